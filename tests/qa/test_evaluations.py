"""Saving evaluations: validation against the form version (all or nothing), scoring,
audit log, warehouse copy, idempotent re-import, replace, form versions, rollback."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from cxpm.errors import CxpmError
from cxpm.ingest.loader import ingest
from cxpm.qa.evaluation_io import read_evaluations
from cxpm.qa.evaluations import EvaluationsRejectedError, delete_evaluation, save_evaluations
from cxpm.qa.form_store import import_form
from cxpm.qa.sync import QA_SOURCE, sync_evaluations
from cxpm.schema import get_table
from cxpm.workspace import Workspace, init_workspace

from .conftest import (
    CC_FAIL,
    COMP_FAIL,
    FORM_ID,
    GOOD,
    MINOR,
    app_counts,
    audit_rows,
    evaluation,
    minor_score,
    warehouse_rows,
    write_csv,
    write_form,
)


@pytest.fixture
def ws(workspace: Workspace, tmp_path: Path) -> Workspace:
    import_form(workspace, write_form(tmp_path, version=1), actor="ann")
    return workspace


def by_id(rows: list[dict]) -> dict[str, dict]:
    return {r["evaluation_id"]: r for r in rows}


def test_invalid_evaluations_reject_the_whole_set(ws: Workspace) -> None:
    before = app_counts(ws)
    batch = [
        evaluation("ok", "A1", GOOD),
        evaluation("unknown-item", "A1", {**GOOD, "zz": "yes"}),
        evaluation("missing", "A1", {k: v for k, v in GOOD.items() if k != "comp"}),
        evaluation("scale", "A1", {**GOOD, "tone": "7"}),
        evaluation("option", "A1", {**GOOD, "res": "meh"}),
        evaluation("na", "A1", {**GOOD, "cc": "na"}),
        evaluation("form", "A1", GOOD).model_copy(update={"form_id": "nope"}),
        evaluation("version", "A1", GOOD, form_version=9),
    ]
    with pytest.raises(EvaluationsRejectedError) as excinfo:
        save_evaluations(ws, batch, actor="ann")
    problems = excinfo.value.problems
    assert len(problems) == 7
    expected = [("unknown-item", "zz"), ("missing", "comp"), ("scale", "tone"),
                ("option", "res"), ("na", "cc"), ("form", "nope"), ("version", "9")]
    for (evaluation_id, detail), problem in zip(expected, problems, strict=True):
        assert problem.startswith(f"evaluation {evaluation_id}:"), problem
        assert detail in problem
    assert not any(p.startswith("evaluation ok") for p in problems)
    assert str(excinfo.value).startswith("7 problem(s) in 8 evaluation(s); nothing was saved")
    assert app_counts(ws) == before
    assert warehouse_rows(ws, "evaluations") == warehouse_rows(ws, "evaluation_items") == []


def test_save_audit_warehouse_and_replace(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "paris", "Europe/Paris")
    try:
        import_form(ws, write_form(tmp_path, version=1), actor="ann")
        columns = ["evaluation_id", "form_id", "contact_id", "agent_id", "evaluator_id",
                   "evaluated_at", "item_id", "answer"]
        # Local wall-clock times: 5 October is summer time (UTC+2), 5 November winter (UTC+1).
        rows = [{"evaluation_id": "e1", "form_id": FORM_ID, "contact_id": "c1",
                 "agent_id": "A1", "evaluator_id": "E1", "evaluated_at": "2026-10-05T14:30:00",
                 "item_id": k, "answer": v} for k, v in GOOD.items()]
        rows += [{"evaluation_id": "e2", "form_id": FORM_ID, "agent_id": "B1",
                  "evaluated_at": "2026-11-05T14:30:00", "item_id": k, "answer": v}
                 for k, v in CC_FAIL.items()]
        path = write_csv(tmp_path / "e.csv", columns, rows)
        summary = save_evaluations(ws, read_evaluations(path, ws.timezone), actor="ann")
        assert (summary.read, summary.saved, summary.updated, summary.unchanged) == (2, 2, 0, 0)

        stored = by_id(warehouse_rows(ws, "evaluations"))
        assert stored["e1"]["evaluated_at"] == datetime(2026, 10, 5, 12, 30)
        assert stored["e1"]["local_time"] == datetime(2026, 10, 5, 14, 30)
        assert stored["e2"]["evaluated_at"] == datetime(2026, 11, 5, 13, 30)
        assert stored["e2"]["local_time"] == datetime(2026, 11, 5, 14, 30)
        assert {r["source"] for r in stored.values()} == {QA_SOURCE}
        # GOOD: 100, no flag, 4 non-critical opportunities; CC_FAIL: zero_score -> 0.
        assert (stored["e1"]["score"], stored["e1"]["customer_critical_error"],
                stored["e1"]["noncritical_errors"],
                stored["e1"]["noncritical_opportunities"]) == (100.0, False, 0, 4)
        assert (stored["e2"]["score"], stored["e2"]["customer_critical_error"],
                stored["e2"]["business_critical_error"],
                stored["e2"]["compliance_critical_error"]) == (0.0, True, False, False)
        assert (stored["e1"]["form_id"], stored["e1"]["form_version"]) == (FORM_ID, 1)
        items = warehouse_rows(ws, "evaluation_items")
        assert len(items) == 12
        cc = {r["evaluation_id"]: r for r in items if r["item_id"] == "cc"}
        assert (cc["e2"]["error"], cc["e2"]["category"], cc["e2"]["answer"]) == \
            (True, "customer_critical", "no")
        assert cc["e2"]["local_time"] == datetime(2026, 11, 5, 14, 30)
        assert {r["source"] for r in items} == {QA_SOURCE}

        audits = audit_rows(ws, "qa_evaluation")
        assert [(a.action, a.entity_id, a.actor) for a in audits] == [
            ("create", "e1", "ann"), ("create", "e2", "ann")]
        assert audits[0].before is None and audits[0].after["score"] == 100.0

        # The same file again: unchanged, nothing audited.
        again = save_evaluations(ws, read_evaluations(path, ws.timezone), actor="bob")
        assert (again.saved, again.updated, again.unchanged) == (0, 0, 2)
        assert len(audit_rows(ws, "qa_evaluation")) == 2

        # e2 with other answers: refused without replace, nothing changes.
        revised = [evaluation("e2", "B1", MINOR, evaluated_at="2026-11-05T13:30:00",
                              evaluator_id=None)]
        with pytest.raises(EvaluationsRejectedError, match="use --replace"):
            save_evaluations(ws, revised, actor="bob")
        assert by_id(warehouse_rows(ws, "evaluations"))["e2"]["score"] == 0.0

        done = save_evaluations(ws, revised, actor="bob", replace=True)
        assert (done.saved, done.updated, done.unchanged) == (0, 1, 0)
        stored = by_id(warehouse_rows(ws, "evaluations"))
        assert stored["e2"]["score"] == minor_score(2)
        assert stored["e2"]["customer_critical_error"] is False
        assert stored["e2"]["noncritical_errors"] == 3  # nc 2 opportunities + tone 1
        assert len(warehouse_rows(ws, "evaluation_items")) == 12
        update = audit_rows(ws, "qa_evaluation")[-1]
        assert (update.action, update.entity_id, update.actor) == ("update", "e2", "bob")
        assert update.before["score"] == 0.0 and update.before["answers"]["cc"] == "no"
        assert update.after["score"] == minor_score(2)
        assert update.after["answers"]["nc"] == "no"

        delete_evaluation(ws, "e2", actor="bob")
        assert set(by_id(warehouse_rows(ws, "evaluations"))) == {"e1"}
        assert audit_rows(ws, "qa_evaluation")[-1].action == "delete"
        with pytest.raises(CxpmError, match="no evaluation 'e2'"):
            delete_evaluation(ws, "e2", actor="bob")
    finally:
        ws.close()


def test_new_form_version_keeps_old_scores(ws: Workspace, tmp_path: Path) -> None:
    save_evaluations(ws, [evaluation("old", "A1", MINOR)], actor="ann")
    import_form(ws, write_form(tmp_path, version=2, nc_weight=5), actor="ann")
    save_evaluations(ws, [evaluation("new", "A1", MINOR),
                          evaluation("pinned", "A1", MINOR, form_version=1)], actor="ann")
    # Rewriting every warehouse copy from the app database changes nothing either.
    sync_evaluations(ws)
    stored = by_id(warehouse_rows(ws, "evaluations"))
    assert (stored["old"]["score"], stored["old"]["form_version"]) == (minor_score(2), 1)
    assert (stored["pinned"]["score"], stored["pinned"]["form_version"]) == (minor_score(2), 1)
    assert (stored["new"]["score"], stored["new"]["form_version"]) == (minor_score(5), 2)
    assert minor_score(2) == 64.29 and minor_score(5) == 45.0
    items = [r for r in warehouse_rows(ws, "evaluation_items") if r["item_id"] == "nc"]
    assert {r["evaluation_id"]: r["form_version"] for r in items} == \
        {"old": 1, "pinned": 1, "new": 2}
    # Re-importing the old evaluation file as it was (no form_version) is "unchanged": it
    # keeps the version it was scored with rather than clashing with the latest one.
    again = save_evaluations(ws, [evaluation("old", "A1", MINOR)], actor="ann")
    assert (again.unchanged, again.updated, again.saved) == (1, 0, 0)
    # Revising its answers keeps its version too, unless the file names another one.
    save_evaluations(ws, [evaluation("old", "A1", GOOD)], actor="ann", replace=True)
    assert by_id(warehouse_rows(ws, "evaluations"))["old"]["form_version"] == 1
    save_evaluations(ws, [evaluation("old", "A1", MINOR, form_version=2)], actor="ann",
                     replace=True)
    stored = by_id(warehouse_rows(ws, "evaluations"))["old"]
    assert (stored["form_version"], stored["score"]) == (2, minor_score(5))


def test_ids_loaded_by_ingest_are_refused(ws: Workspace, tmp_path: Path) -> None:
    columns = get_table("evaluations").column_names
    path = write_csv(tmp_path / "loaded.csv", columns, [{
        "evaluation_id": "x1", "agent_id": "A1", "evaluated_at": "2026-10-01T10:00:00",
        "score": "90", "customer_critical_error": "false", "business_critical_error": "false",
        "compliance_critical_error": "false"}])
    assert ingest(ws, "evaluations", [path]).loaded == 1
    with pytest.raises(EvaluationsRejectedError, match="evaluation x1: already loaded into "
                                                       "the warehouse"):
        save_evaluations(ws, [evaluation("x1", "A1", GOOD)], actor="ann")
    save_evaluations(ws, [evaluation("q1", "A1", GOOD)], actor="ann")
    sync_evaluations(ws)
    rows = by_id(warehouse_rows(ws, "evaluations"))
    assert set(rows) == {"x1", "q1"}
    assert rows["x1"]["score"] == 90.0 and rows["x1"]["source"] == "loaded.csv"


def test_warehouse_failure_saves_nothing(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    save_evaluations(ws, [evaluation("e1", "A1", GOOD)], actor="ann")
    before_app = app_counts(ws)
    before_rows = warehouse_rows(ws, "evaluations")

    def broken_insert(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full\nsecond line")

    monkeypatch.setattr(ws.warehouse.con, "insert", broken_insert)
    with pytest.raises(CxpmError, match=r"^copying evaluations to the warehouse failed: "
                                        r"disk full$"):
        save_evaluations(ws, [evaluation("e2", "A1", COMP_FAIL)], actor="ann")
    with pytest.raises(CxpmError, match="copying evaluations to the warehouse failed"):
        save_evaluations(ws, [evaluation("e1", "A1", CC_FAIL)], actor="ann", replace=True)
    monkeypatch.undo()
    assert app_counts(ws) == before_app
    assert warehouse_rows(ws, "evaluations") == before_rows
    assert len(warehouse_rows(ws, "evaluation_items")) == 6
    # e1 is still the original: importing it again is "unchanged".
    assert save_evaluations(ws, [evaluation("e1", "A1", GOOD)], actor="ann").unchanged == 1


def test_repeated_id_in_one_batch(ws: Workspace) -> None:
    with pytest.raises(EvaluationsRejectedError, match="evaluation e1: appears more than once"):
        save_evaluations(ws, [evaluation("e1", "A1", GOOD), evaluation("e1", "A2", GOOD)],
                         actor="ann")
    with pytest.raises(CxpmError, match="no evaluations to save"):
        save_evaluations(ws, [], actor="ann")


def test_a_form_only_evaluates_the_subjects_and_channels_it_names(tmp_path: Path) -> None:
    from cxpm.workspace import init_workspace

    from .conftest import form_toml, load_operation

    ws = init_workspace(tmp_path / "ws", "UTC")
    load_operation(ws, tmp_path / "files")
    text = form_toml().replace('critical_failure = "zero_score"',
                               'critical_failure = "zero_score"\napplies_to = ["bot"]\n'
                               'channels = ["chat"]')
    path = tmp_path / "bot-form.toml"
    path.write_text(text, encoding="utf-8")
    import_form(ws, path, actor="ann")
    # c1 is a voice contact handled by agent A1; c8 a chat handled by bot B1; x9 not loaded.
    wrong = evaluation("e-agent", "A1", GOOD, contact_id="c1")
    with pytest.raises(EvaluationsRejectedError) as rejected:
        save_evaluations(ws, [wrong, evaluation("e-bot", "B1", GOOD, contact_id="c8")],
                         actor="ann")
    assert len(rejected.value.problems) == 2
    assert "evaluates bots only, but the contact was handled by an agent" in (
        rejected.value.problems[0])
    assert "contact's channel is voice" in rejected.value.problems[1]
    assert app_counts(ws)["qa_evaluations"] == 0
    summary = save_evaluations(ws, [evaluation("e-bot", "B1", GOOD, contact_id="c8"),
                                    evaluation("e-later", "B1", GOOD, contact_id="x9")],
                               actor="ann")
    assert summary.saved == 2
    ws.close()
