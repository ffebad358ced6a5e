"""Calibration sessions and their report, on a session built by hand: four evaluators score
six contacts; X1 (the expert), X2 and X3 score what happened (X3 is one point generous on
one scale answer), LEN answers yes on every failed item and 5 on every scale."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import fleiss_kappa

from cxpm.errors import CxpmError
from cxpm.qa.calibration import calibration_report, list_sessions, save_session
from cxpm.qa.evaluations import save_evaluations
from cxpm.qa.form_store import import_form
from cxpm.workspace import Workspace, init_workspace, open_workspace

from .conftest import (
    BC_FAIL,
    CC_FAIL,
    COMP_FAIL,
    GOOD,
    MINOR,
    audit_rows,
    evaluation,
    minor_score,
    write_form,
)

TRUTH = {"k1": GOOD, "k2": CC_FAIL, "k3": COMP_FAIL, "k4": MINOR, "k5": BC_FAIL,
         "k6": {**CC_FAIL, "tone": "2"}}
TRUE_SCORE = {"k1": 100.0, "k2": 0.0, "k3": 0.0, "k4": minor_score(2), "k5": 0.0, "k6": 0.0}
EVALUATORS = ("X1", "X2", "X3", "LEN")
FLAG_ITEMS = {"cc": "customer_critical_error", "bc": "business_critical_error",
              "comp": "compliance_critical_error"}


def answers_of(evaluator: str, contact: str) -> dict[str, str]:
    truth = dict(TRUTH[contact])
    if evaluator == "X3" and contact == "k4":
        truth["tone"] = "4"
    if evaluator == "LEN":
        truth = {k: ("yes" if v == "no" else "5" if k == "tone" else v)
                 for k, v in truth.items()}
    return truth


def score_of(evaluator: str, contact: str) -> float:
    if evaluator == "LEN":
        return 100.0  # nothing fails
    if evaluator == "X3" and contact == "k4":
        return round(100 * 4.75 / 7, 2)  # tone 4 -> (4-1)/(5-1) = 0.75
    return TRUE_SCORE[contact]


def session_batch(session: str, skip: set[tuple[str, str]] = frozenset(),
                  evaluators: tuple[str, ...] = EVALUATORS) -> list:
    return [evaluation(f"{session}-{e}-{k}", "A1", answers_of(e, k), contact_id=k,
                       evaluator_id=e, session=session)
            for e in evaluators for k in TRUTH if (e, k) not in skip]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    folder = tmp_path_factory.mktemp("calibration")
    workspace = init_workspace(folder / "ws", "UTC")
    import_form(workspace, write_form(folder), actor="ann")
    save_evaluations(workspace, session_batch("CAL") + session_batch("NOEXP")
                     + session_batch("INC", skip={("LEN", "k6")})
                     + session_batch("ONE", evaluators=("X1",)), actor="ann")
    save_session(workspace, "CAL", actor="lead", expert_id="X1", title="October")
    yield workspace
    workspace.close()


def test_sessions_created_implicitly_and_explicitly(ws: Workspace) -> None:
    sessions = {s.session_id: s for s in list_sessions(ws)}
    assert set(sessions) == {"CAL", "NOEXP", "INC", "ONE"}
    assert (sessions["CAL"].expert_id, sessions["CAL"].title) == ("X1", "October")
    assert (sessions["CAL"].evaluations, sessions["CAL"].contacts,
            sessions["CAL"].evaluators) == (24, 6, 4)
    assert sessions["INC"].evaluations == 23
    assert sessions["NOEXP"].expert_id is None
    audits = [(a.action, a.entity_id, a.actor) for a in audit_rows(ws, "qa_calibration_session")]
    # The import created the sessions its evaluations name; the lead then set CAL's expert.
    assert sorted(audits) == sorted([("create", s, "ann") for s in sessions]
                                    + [("update", "CAL", "lead")])
    assert [a for a in audits if a[1] == "CAL"] == [("create", "CAL", "ann"),
                                                    ("update", "CAL", "lead")]


def test_new_explicit_session_is_audited(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ws", "UTC")
    try:
        info = save_session(workspace, "NEW", actor="lead", expert_id="X9", title="T")
        assert (info.session_id, info.expert_id, info.title, info.evaluations) == \
            ("NEW", "X9", "T", 0)
        (audit,) = audit_rows(workspace, "qa_calibration_session")
        assert (audit.action, audit.before, audit.after) == \
            ("create", None, {"title": "T", "expert_id": "X9"})
        with pytest.raises(CxpmError, match="needs an id"):
            save_session(workspace, " ", actor="lead")
    finally:
        workspace.close()


def flagged(report) -> dict[str, bool]:
    return {e.evaluator_id: e.outside_tolerance for e in report.evaluators}


def test_report_against_the_expert(ws: Workspace) -> None:
    report = calibration_report(ws, "CAL")
    assert report.reference == "expert X1"
    assert flagged(report) == {"X2": False, "X3": False, "LEN": True}
    evaluators = {e.evaluator_id: e for e in report.evaluators}
    lenient = evaluators["LEN"]
    expected_difference = sum(100.0 - TRUE_SCORE[k] for k in TRUTH) / len(TRUTH)
    assert lenient.mean_score_difference == pytest.approx(expected_difference)
    # 18 flags (6 contacts x 3 categories); the expert raised 4 (k2, k3, k5, k6), LEN none.
    assert lenient.flag_agreement == pytest.approx(14 / 18)
    assert len(lenient.reasons) == 2
    assert evaluators["X3"].mean_score_difference == pytest.approx(
        (round(100 * 4.75 / 7, 2) - minor_score(2)) / 6)
    assert evaluators["X2"].flag_agreement == 1.0


def test_report_against_the_consensus(ws: Workspace) -> None:
    report = calibration_report(ws, "NOEXP")
    assert report.reference.startswith("consensus")
    assert flagged(report) == {"X1": False, "X2": False, "X3": False, "LEN": True}


def matrix(values: dict[tuple[str, str], Any]) -> np.ndarray:
    """raters x units, nan where missing."""
    units = sorted({u for u, _ in values})
    raters = sorted({r for _, r in values})
    return np.array([[values.get((u, r), math.nan) for u in units] for r in raters],
                     dtype=float)


def test_alpha_kappa_and_items(ws: Workspace) -> None:
    report = calibration_report(ws, "CAL")
    agreement = {a.what: a for a in report.agreement}
    scores = {(k, e): score_of(e, k) for e in EVALUATORS for k in TRUTH}
    flags = {(f"{k}/{item}", e): float(answers_of(e, k)[item] == "no")
             for e in EVALUATORS for k in TRUTH for item in FLAG_ITEMS}
    codes: dict[str, int] = {}
    answers = {(f"{k}/{item}", e): float(codes.setdefault(value, len(codes)))
               for e in EVALUATORS for k in TRUTH for item, value in answers_of(e, k).items()}
    assert agreement["scores"].alpha == pytest.approx(
        krippendorff.alpha(reliability_data=matrix(scores), level_of_measurement="interval"))
    assert agreement["critical-error flags"].alpha == pytest.approx(
        krippendorff.alpha(reliability_data=matrix(flags), level_of_measurement="nominal"))
    assert agreement["item answers"].alpha == pytest.approx(
        krippendorff.alpha(reliability_data=matrix(answers), level_of_measurement="nominal"))
    assert agreement["scores"].units == 6 and agreement["scores"].raters == 4
    # Fleiss' kappa on the flags: a units x categories count table.
    table = [[sum(1 for e in EVALUATORS if flags[(u, e)] == c) for c in (0.0, 1.0)]
             for u in sorted({u for u, _ in flags})]
    assert agreement["critical-error flags"].fleiss_kappa == pytest.approx(fleiss_kappa(table))
    assert agreement["scores"].fleiss_kappa is None

    # Items, least agreed first: pairwise agreement of the four answers per contact.
    def share(item: str) -> float:
        pairs = agree = 0
        for k in TRUTH:
            counts = Counter(answers_of(e, k)[item] for e in EVALUATORS)
            pairs += 6
            agree += sum(c * (c - 1) // 2 for c in counts.values())
        return agree / pairs

    items = [(i.item_id, i.percent_agreement) for i in report.items]
    assert items[0] == ("tone", pytest.approx(28 / 36))
    assert items[1] == ("cc", pytest.approx(30 / 36))
    assert items[-1] == ("res", 1.0)
    assert all(p == pytest.approx(share(i)) for i, p in items)
    assert [p for _, p in items] == sorted(p for _, p in items)


def test_incomplete_design_and_absent_expert(ws: Workspace) -> None:
    save_session(ws, "INC", actor="lead", expert_id="X9")
    report = calibration_report(ws, "INC")
    flags = next(a for a in report.agreement if a.what == "critical-error flags")
    assert flags.fleiss_kappa is None
    assert flags.fleiss_kappa_note == "units were rated by different numbers of raters"
    # LEN skipped k6: 23 evaluations, 3 flags each, 5 contacts rated by four.
    incomplete = {(f"{k}/{item}", e): float(answers_of(e, k)[item] == "no")
                  for e in EVALUATORS for k in TRUTH for item in FLAG_ITEMS
                  if (e, k) != ("LEN", "k6")}
    assert flags.alpha == pytest.approx(krippendorff.alpha(
        reliability_data=matrix(incomplete), level_of_measurement="nominal"))
    # The expert scored nothing: the consensus is the reference, and a note says so.
    assert report.reference.startswith("consensus")
    assert any("expert X9 scored none" in note for note in report.notes)
    assert flagged(report) == {"X1": False, "X2": False, "X3": False, "LEN": True}


def test_tolerance_from_settings_and_overrides(ws: Workspace) -> None:
    config = ws.path / "cxpm.toml"
    original = config.read_text(encoding="utf-8")
    # LEN is 72.6 points too generous and agrees on 14/18 = 78% of the flags.
    assert '"qa.calibration.score_tolerance" = 5.0' in original
    config.write_text(original.replace('"qa.calibration.score_tolerance" = 5.0',
                                       '"qa.calibration.score_tolerance" = 80'),
                      encoding="utf-8")
    reopened = open_workspace(ws.path)
    try:
        report = calibration_report(reopened, "CAL")
        assert report.score_tolerance == 80
        (reason,) = next(e for e in report.evaluators if e.evaluator_id == "LEN").reasons
        assert "critical-error flags agree" in reason
        relaxed = calibration_report(reopened, "CAL", reopened.metric_params(
            ["qa.calibration.flag_agreement_min=0.75"]))
        assert flagged(relaxed) == {"X2": False, "X3": False, "LEN": False}
        strict = calibration_report(reopened, "CAL", reopened.metric_params(
            ["qa.calibration.score_tolerance=0.5"]))
        assert flagged(strict) == {"X2": False, "X3": True, "LEN": True}
    finally:
        reopened.close()
        config.write_text(original, encoding="utf-8")


def test_errors(ws: Workspace) -> None:
    with pytest.raises(CxpmError, match="no calibration session 'NOPE'; sessions: CAL"):
        calibration_report(ws, "NOPE")
    with pytest.raises(CxpmError, match="needs evaluations by at least two evaluators"):
        calibration_report(ws, "ONE")
