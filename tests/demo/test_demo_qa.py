"""The demo's quality data: item-level evaluations of agents and bots scored through cxpm qa,
a monthly calibration session with one lenient evaluator, and the reports that show it.

Expected figures are counted here from the raw files (evaluations.json, contacts.csv,
roster.csv) with plain Python and the form files read with tomllib."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from statistics import mean
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from cxpm.demo.answers import LENIENT_MISS, demo_forms, recorded_answers, true_answers
from cxpm.demo.build import DEMO_TIMEZONE, DemoResult
from cxpm.demo.quality import EVALUATORS, EXPERT, LENIENT
from cxpm.metrics.engine import compute, to_records
from cxpm.qa.calibration import calibration_report, list_sessions
from cxpm.workspace import open_workspace

from .handcount import CRITICAL, critical_errors, form_items, is_error, read_evaluations

ACCURACIES = {f"{c}_accuracy": c for c in CRITICAL}
DIMENSIONS = ("handled_by", "site", "agent_id", "team", "evaluator_id", "form_id")


@pytest.fixture(scope="module")
def workspace(small_demo: DemoResult):
    ws = open_workspace(small_demo.workspace)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def evaluations(small_demo: DemoResult) -> list[dict]:
    return read_evaluations(small_demo.files["evaluations"][0])


@pytest.fixture(scope="module")
def contact_of(rows) -> dict[str, dict[str, str]]:
    return {c["contact_id"]: c for c in rows["contacts"]}


def test_every_evaluation_was_scored_and_synced(small_demo, workspace, evaluations):
    assert small_demo.quality.forms == ["voice@1", "digital@1", "bot@1"]
    assert small_demo.quality.evaluations == len(evaluations)
    stored = workspace.warehouse.table("evaluations").to_pyarrow().to_pylist()
    assert sorted(e["evaluation_id"] for e in stored) == sorted(
        e["evaluation_id"] for e in evaluations)
    by_id = {e["evaluation_id"]: e for e in evaluations}
    for row in stored:
        expected = critical_errors(by_id[row["evaluation_id"]])
        assert {c: row[f"{c}_error"] for c in CRITICAL} == expected, row["evaluation_id"]
    items = workspace.warehouse.table("evaluation_items").count().to_pyarrow().as_py()
    assert items == sum(len(form_items(e["form_id"])) for e in evaluations)


def test_each_contact_is_evaluated_with_the_form_for_its_channel(evaluations, contact_of):
    kinds = defaultdict(set)
    for e in evaluations:
        c = contact_of[e["contact_id"]]
        assert e["agent_id"] == c["agent_id"]
        kinds[e["form_id"]].add((c["handled_by"], "voice" if c["channel"] == "voice"
                                 else "digital"))
        assert set(e["answers"]) <= set(form_items(e["form_id"]))
    assert kinds["voice"] == {("agent", "voice")}
    assert kinds["digital"] == {("agent", "digital")}
    assert {h for h, _ in kinds["bot"]} == {"bot"}
    assert demo_forms()["bot"].applies_to == ["bot"]


def test_bots_are_evaluated_and_have_their_own_accuracies(workspace, evaluations, contact_of):
    bot_evaluations = [e for e in evaluations if contact_of[e["contact_id"]]["handled_by"]
                       == "bot"]
    assert len(bot_evaluations) >= 5
    records = to_records(compute(workspace.warehouse.tables(), list(ACCURACIES),
                                 by=["handled_by"], grain="all",
                                 params=workspace.metric_params()))
    bots = {r["metric"]: r for r in records if r["handled_by"] == "bot"}
    regular = [e for e in bot_evaluations if not e.get("calibration_session_id")]
    assert set(bots) == set(ACCURACIES)
    for metric, category in ACCURACIES.items():
        assert bots[metric]["denominator"] == len(regular)
        clean = sum(not critical_errors(e)[category] for e in regular)
        assert bots[metric]["numerator"] == clean


def _group_of(dimension: str, evaluation: dict, contact: dict, team_of: dict) -> str | None:
    if dimension in ("handled_by", "site"):
        return contact[dimension] or None
    if dimension == "team":
        return team_of.get(evaluation["agent_id"])
    return evaluation[dimension]


@pytest.mark.parametrize("dimension", DIMENSIONS)
def test_the_three_critical_accuracies_by_every_dimension(workspace, evaluations, contact_of,
                                                           rows, dimension):
    team_of = {r["agent_id"]: r["team"] for r in rows["roster"]}
    flags = defaultdict(list)
    for e in evaluations:
        if e.get("calibration_session_id"):
            continue
        group = _group_of(dimension, e, contact_of[e["contact_id"]], team_of)
        flags[group].append(critical_errors(e))
    expected = {(group, metric): mean(not f[category] for f in found)
                for group, found in flags.items() for metric, category in ACCURACIES.items()}
    records = to_records(compute(workspace.warehouse.tables(), list(ACCURACIES),
                                 by=[dimension], grain="all",
                                 params=workspace.metric_params()))
    got = {(r[dimension], r["metric"]): r["value"] for r in records}
    assert got == pytest.approx(expected)
    # Three separate figures, not one blended accuracy.
    assert any(len({got[(g, m)] for m in ACCURACIES}) > 1 for g in flags)


def test_calibration_flags_the_lenient_evaluator_and_no_one_else(workspace, evaluations):
    sessions = list_sessions(workspace)
    assert [s.session_id for s in sessions] == ["CAL-2026-10"]
    for session in sessions:
        assert session.expert_id == EXPERT and session.evaluators == len(EVALUATORS)
        report = calibration_report(workspace, session.session_id)
        assert report.reference == f"expert {EXPERT}"
        flagged = {e.evaluator_id for e in report.evaluators if e.outside_tolerance}
        assert flagged == {LENIENT}
        # The report's figures, counted from the stored scores and the raw answers.
        stored = workspace.warehouse.table("evaluations").to_pyarrow().to_pylist()
        score = {(r["contact_id"], r["evaluator_id"]): r["score"] for r in stored
                 if r["calibration_session_id"] == session.session_id}
        answers = {(e["contact_id"], e["evaluator_id"]): critical_errors(e)
                   for e in evaluations
                   if e.get("calibration_session_id") == session.session_id}
        contacts = sorted({c for c, _ in score})
        for row in report.evaluators:
            who = row.evaluator_id
            difference = mean(score[(c, who)] - score[(c, EXPERT)] for c in contacts)
            agree = mean(answers[(c, who)][k] == answers[(c, EXPERT)][k]
                         for c in contacts for k in CRITICAL)
            assert row.mean_score_difference == pytest.approx(difference)
            assert row.flag_agreement == pytest.approx(agree)
            if who == LENIENT:
                assert difference > report.score_tolerance
            else:
                assert abs(difference) <= report.score_tolerance
        missed = sum(any(answers[(c, EXPERT)][k] and not answers[(c, LENIENT)][k]
                         for k in CRITICAL) for c in contacts)
        assert missed >= 1


def test_qa_report_shows_the_pareto_of_critical_errors(cli, small_demo, evaluations,
                                                       contact_of):
    base = ["qa", "report", "--workspace", small_demo.workspace, "--by", "site"]
    table = cli(*base)
    assert table.exit_code == 0, table.stderr
    assert "Pareto" in table.stdout and "Bogota" in table.stdout
    report = cli(*base, "--top", "50", "--format", "json").json()
    zone = ZoneInfo(DEMO_TIMEZONE)
    expected: dict[tuple, int] = defaultdict(int)
    for e in evaluations:
        when = datetime.fromisoformat(e["evaluated_at"]).astimezone(UTC).astimezone(zone)
        if e.get("calibration_session_id") or when.strftime("%Y-%m") != report["period"]:
            continue
        items = form_items(e["form_id"])
        for item_id, answer in e["answers"].items():
            if items[item_id]["category"] in CRITICAL and is_error(items[item_id], answer):
                expected[(contact_of[e["contact_id"]]["site"] or None, item_id)] += 1
    got = {(p["dimensions"]["site"], p["item_id"]): p["errors"] for p in report["pareto"]}
    assert got == expected and got
    assert {"site": "Bogota"} in [r["dimensions"] for r in report["rows"]]


def test_cli_lists_the_demo_forms_and_reports_the_session(cli, small_demo):
    folder = small_demo.workspace
    forms = cli("qa", "forms", "list", "--workspace", folder, "--format", "json").json()
    assert sorted(f["form_id"] for f in forms) == ["bot", "digital", "voice"]
    result = cli("qa", "calibration", "report", "CAL-2026-10", "--workspace", folder)
    assert result.exit_code == 0, result.stderr
    assert LENIENT in result.stdout and "OUT OF TOLERANCE" in result.stdout


def test_only_the_lenient_evaluator_passes_critical_errors():
    rng = np.random.default_rng(1)
    form = demo_forms()["voice"]
    n = 20000
    context = {k: np.ones(n, dtype=bool) for k in ("hold", "cancel", "escalated")}
    truth = true_answers(rng, form, np.full(n, 8.0), context)
    careful = recorded_answers(rng, form, truth, np.zeros(n, dtype=bool))
    lenient = recorded_answers(rng, form, truth, np.ones(n, dtype=bool))
    failed = passed = 0
    for _, item in form.iter_items():
        if item.category == "non_critical":
            continue
        spec = form_items("voice")[item.id]
        assert list(careful[item.id]) == list(truth[item.id]), item.id
        for true, seen in zip(truth[item.id], lenient[item.id], strict=True):
            if is_error(spec, true):
                failed += 1
                passed += not is_error(spec, seen)
            else:
                assert seen == true
    assert failed > 1000
    assert passed / failed == pytest.approx(LENIENT_MISS, abs=0.03)
