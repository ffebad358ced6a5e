"""Every state change, allowed and illegal, through the store; the audit log of each."""

from __future__ import annotations

from datetime import date
from itertools import product
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.review.actions.model import STATES, ActionSpec, ActionUpdate, Finding, TaskSpec
from cxpm.review.actions.store import create_action, get_action, update_action
from cxpm.review.actions.workflow import TRANSITIONS
from cxpm.store.models import AuditLog
from cxpm.workspace import Workspace, init_workspace

from .verification import manual

# The documented table (docs/actions.md), written out independently of the code's.
ALLOWED = {
    ("open", "analysing"),
    ("analysing", "acting"),
    ("acting", "verifying"), ("acting", "analysing"),
    ("verifying", "closed-effective"), ("verifying", "closed-ineffective"),
    ("verifying", "acting"),
    ("closed-effective", "analysing"), ("closed-effective", "acting"),
    ("closed-ineffective", "analysing"), ("closed-ineffective", "acting"),
}

# How to reach each state: the updates that lead there from open.
PATHS: dict[str, list[ActionUpdate]] = {
    "open": [],
    "analysing": [ActionUpdate(state="analysing")],
    "acting": [ActionUpdate(state="analysing"), ActionUpdate(state="acting")],
    "verifying": [ActionUpdate(state="analysing"), ActionUpdate(state="acting"),
                  ActionUpdate(state="verifying", implemented_on=date(2026, 5, 1))],
}
PATHS["closed-effective"] = [*PATHS["verifying"], ActionUpdate(
    state="closed-effective", verification=manual("effective"))]
PATHS["closed-ineffective"] = [*PATHS["verifying"], ActionUpdate(
    state="closed-ineffective", verification=manual("ineffective"))]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    workspace = init_workspace(Path(tmp_path_factory.mktemp("actions")) / "ws", "UTC")
    yield workspace
    workspace.close()


def audit_rows(ws: Workspace, action_id: int) -> list[AuditLog]:
    with Session(ws.app_db) as session:
        return list(session.scalars(select(AuditLog).where(
            AuditLog.entity == "corrective_action", AuditLog.entity_id == str(action_id))
            .order_by(AuditLog.id)).all())


def action_in(ws: Workspace, state: str) -> int:
    action = create_action(ws, ActionSpec(title=f"reach {state}", metric="abandonment_rate",
                                          scope={"queue": "billing"}), actor="tester")
    for change in PATHS[state]:
        update_action(ws, action.id, change, actor="tester")
    assert get_action(ws, action.id).state == state
    return action.id


def test_code_table_is_the_documented_one() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    assert set(TRANSITIONS) == set(STATES)


@pytest.mark.parametrize(("start", "end"), sorted(product(STATES, STATES)))
def test_transition(ws: Workspace, start: str, end: str) -> None:
    action_id = action_in(ws, start)
    # everything a state needs is supplied, so only the table decides
    change = ActionUpdate(state=end, implemented_on=date(2026, 5, 1), verification=manual(
        "ineffective" if end == "closed-ineffective" else "effective"))
    audits_before = len(audit_rows(ws, action_id))
    if (start, end) in ALLOWED:
        updated = update_action(ws, action_id, change, actor="lead")
        assert updated.state == end
        assert (updated.closed_at is not None) == end.startswith("closed")
        last = audit_rows(ws, action_id)[-1]
        assert (last.action, last.actor) == ("transition", "lead")
        assert (last.before["state"], last.after["state"]) == (start, end)
    else:
        with pytest.raises(CxpmError) as error:
            update_action(ws, action_id, change, actor="lead")
        named = str(error.value).split("allowed: ")[1]
        assert set(named.split(", ")) == {b for a, b in ALLOWED if a == start}
        assert get_action(ws, action_id).state == start
        assert len(audit_rows(ws, action_id)) == audits_before


def test_verifying_needs_an_implementation_date(ws: Workspace) -> None:
    action_id = action_in(ws, "acting")
    with pytest.raises(CxpmError, match="implementation date"):
        update_action(ws, action_id, ActionUpdate(state="verifying"), actor="lead")
    assert get_action(ws, action_id).state == "acting"


def test_closing_needs_a_matching_verification_result(ws: Workspace) -> None:
    action_id = action_in(ws, "verifying")
    with pytest.raises(CxpmError, match="needs a verification result"):
        update_action(ws, action_id, ActionUpdate(state="closed-effective"), actor="lead")
    with pytest.raises(CxpmError, match="result is ineffective"):
        update_action(ws, action_id, ActionUpdate(
            state="closed-effective", verification=manual("ineffective")), actor="lead")
    # the failed attempt saved nothing, the verification included
    assert get_action(ws, action_id).verification is None


def test_entering_verifying_again_forgets_the_old_verification(ws: Workspace) -> None:
    action_id = action_in(ws, "closed-effective")
    update_action(ws, action_id, ActionUpdate(state="acting"), actor="lead")
    update_action(ws, action_id, ActionUpdate(state="verifying"), actor="lead")
    assert get_action(ws, action_id).verification is None
    with pytest.raises(CxpmError, match="needs a verification result"):
        update_action(ws, action_id, ActionUpdate(state="closed-effective"), actor="lead")


def test_fields_tasks_and_their_audit(ws: Workspace) -> None:
    created = create_action(ws, ActionSpec(
        title="Lunch-time abandons", metric="abandonment_rate", scope={"queue": "billing"},
        problem="Abandons doubled at lunch", owner="ana", origin="signal",
        origin_ref="we2 2026-03"), actor="ana")
    first = audit_rows(ws, created.id)
    assert [(r.action, r.before, r.after["title"], r.after["state"]) for r in first] == [
        ("create", None, "Lunch-time abandons", "open")]
    whys = [Finding(why="Why do customers abandon?", answer="They wait too long"),
            Finding(why="Why do they wait?", answer="Too few agents at lunch")]
    update_action(ws, created.id, ActionUpdate(
        root_cause_method="5 whys", findings=whys, cause_category="forecast/staffing",
        add_tasks=[TaskSpec(description="Stagger lunches", owner="bo",
                            due_date=date(2026, 4, 30))], note="analysis done"),
        actor="ana", today=date(2026, 4, 2))
    update_action(ws, created.id, ActionUpdate(done_tasks=[1]), actor="bo",
                  today=date(2026, 4, 20))
    action = get_action(ws, created.id)
    assert action.root_cause_method == "5-whys"
    assert [f.answer for f in action.findings] == ["They wait too long",
                                                   "Too few agents at lunch"]
    assert [(t.number, t.owner, t.due_date, t.done_date) for t in action.tasks] == [
        (1, "bo", date(2026, 4, 30), date(2026, 4, 20))]
    rows = audit_rows(ws, created.id)
    assert [(r.action, r.actor, r.note) for r in rows[1:]] == [
        ("update", "ana", "analysis done"), ("update", "bo", None)]
    assert rows[1].before["findings"] == [] and rows[1].after["cause_category"] == \
        "forecast/staffing"
    assert rows[2].before["tasks"][0]["done_date"] is None
    assert rows[2].after["tasks"][0]["done_date"] == "2026-04-20"


@pytest.mark.parametrize(("change", "message"), [
    (ActionUpdate(cause_category="weather"), "unknown cause category 'weather'"),
    (ActionUpdate(root_cause_method="guessing"), "unknown root-cause method 'guessing'"),
    (ActionUpdate(done_tasks=[3]), "has no task 3"),
    (ActionUpdate(verification=manual("effective")), "needs the implementation date"),
    (ActionUpdate(), "nothing to change"),
])
def test_bad_updates_are_refused(ws: Workspace, change: ActionUpdate, message: str) -> None:
    action_id = action_in(ws, "open")
    with pytest.raises(CxpmError, match=message):
        update_action(ws, action_id, change, actor="lead")
    assert len(audit_rows(ws, action_id)) == 1


@pytest.mark.parametrize(("metric", "scope", "message"), [
    ("abandonment_ratio", {}, "unknown metric 'abandonment_ratio'"),
    ("abandonment_rate", {"colour": "red"}, "cannot be scoped by colour"),
])
def test_new_action_checks_metric_and_scope(ws: Workspace, metric: str,
                                            scope: dict[str, str], message: str) -> None:
    with pytest.raises(CxpmError, match=message):
        create_action(ws, ActionSpec(title="x", metric=metric, scope=scope), actor="lead")
