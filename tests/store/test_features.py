"""Each app-DB feature round-trips through its library API on SQLite and PostgreSQL: what is
saved reads back the same, and every change is in the audit log."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.qa.evaluation_io import EvaluationInput
from cxpm.qa.evaluations import delete_evaluation, save_evaluations
from cxpm.qa.form_store import get_form, import_form, list_forms
from cxpm.review.actions.model import ActionSpec, ActionUpdate, Finding, TaskSpec
from cxpm.review.actions.store import create_action, get_action, list_actions, update_action
from cxpm.store.db import record_audit
from cxpm.store.models import AuditLog, QaAnswer, QaEvaluation
from cxpm.targets.model import TargetSpec
from cxpm.targets.store import delete_target, list_targets, set_target
from cxpm.technology.model import EthicsAttestation, TechnologyChange, TechnologySpec
from cxpm.technology.store import (
    add_technology,
    attest_ethics,
    change_technology,
    get_technology,
)
from cxpm.users.accounts import add_user, authenticate, list_users, reset_password, set_disabled
from cxpm.users.tokens import issue_token, resolve_token
from cxpm.workspace import Workspace


def audit(workspace: Workspace, entity: str) -> list[tuple[str, str, dict | None]]:
    with Session(workspace.app_db) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.entity == entity)
                               .order_by(AuditLog.id))
        return [(r.action, r.entity_id, r.after) for r in rows]


def test_audit_log_keeps_json_and_text(app_workspace: Workspace) -> None:
    before = {"name": "Zoë", "tags": ["a", "b"], "nested": {"n": 1.5, "ok": True}}
    with Session(app_workspace.app_db) as session:
        record_audit(session, actor="ann", action="update", entity="thing", entity_id="x" * 200,
                     before=before, after=None, note="ünïcode ✓ " * 50)
        session.commit()
    with Session(app_workspace.app_db) as session:
        row = session.scalars(select(AuditLog)).one()
    assert (row.before, row.after, row.entity_id) == (before, None, "x" * 200)
    assert row.note == "ünïcode ✓ " * 50
    assert isinstance(row.at, datetime) and row.at.tzinfo is None


FORM = '''id = "svc"
version = 1
title = "Service"
critical_failure = "zero_score"

[[sections]]
id = "main"
title = "Main"
weight = 1

  [[sections.items]]
  id = "greet"
  text = "Greets the customer"
  type = "yes_no"
  category = "non_critical"

  [[sections.items]]
  id = "comply"
  text = "Reads the disclosure"
  type = "yes_no"
  category = "compliance_critical"
'''


def test_qa_forms_and_evaluations(app_workspace: Workspace, tmp_path: Path) -> None:
    form_file = tmp_path / "svc.toml"
    form_file.write_text(FORM, encoding="utf-8")
    import_form(app_workspace, form_file, actor="ann")
    assert [(f.form_id, f.version, f.title) for f in list_forms(app_workspace)] == [
        ("svc", 1, "Service")]
    form, info = get_form(app_workspace, "svc")
    assert info.version == 1
    assert [i.id for s in form.sections for i in s.items] == ["greet", "comply"]

    at = datetime(2026, 10, 20, 10, 0)
    saved = [EvaluationInput(evaluation_id="e1", form_id="svc", agent_id="A1",
                             evaluator_id="E1", evaluated_at=at,
                             answers={"greet": "yes", "comply": "yes"}),
             EvaluationInput(evaluation_id="e2", form_id="svc", agent_id="A2",
                             evaluated_at=at, answers={"greet": "no", "comply": "no"})]
    save_evaluations(app_workspace, saved, actor="ann")
    with Session(app_workspace.app_db) as session:
        rows = {r.evaluation_id: r for r in session.scalars(select(QaEvaluation))}
        answers = {(a.evaluation_id, a.item_id): a.error for a in session.scalars(
            select(QaAnswer))}
    # e1 passes everything: 100; e2 fails the compliance-critical item: flagged, scored 0.
    assert rows["e1"].score == 100 and rows["e1"].compliance_critical_error is False
    assert rows["e2"].score == 0 and rows["e2"].compliance_critical_error is True
    assert (rows["e2"].noncritical_errors, rows["e2"].noncritical_opportunities) == (1, 1)
    assert rows["e1"].evaluated_at == at and rows["e2"].evaluator_id is None
    assert answers == {("e1", "greet"): False, ("e1", "comply"): False,
                       ("e2", "greet"): True, ("e2", "comply"): True}

    delete_evaluation(app_workspace, "e2", actor="ann")
    with Session(app_workspace.app_db) as session:
        assert session.scalars(select(QaEvaluation.evaluation_id)).all() == ["e1"]
        # The answers of a deleted evaluation go with it (ON DELETE CASCADE / the ORM).
        assert {a.evaluation_id for a in session.scalars(select(QaAnswer))} == {"e1"}
    assert [a[:2] for a in audit(app_workspace, "qa_form")] == [("import", "svc@1")]
    assert [a[:2] for a in audit(app_workspace, "qa_evaluation")] == [
        ("create", "e1"), ("create", "e2"), ("delete", "e2")]


def test_targets(app_workspace: Workspace) -> None:
    spec = TargetSpec(metric="aht", scope={"program": "billing", "site": "leeds"},
                      valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31), value=300.0,
                      warning=330.0, benchmark_source="survey", owner="ann", rationale="why")
    saved = set_target(app_workspace, spec, actor="ann")
    listed = list_targets(app_workspace, "aht")
    assert [t.model_dump(exclude={"id", "direction"}) for t in listed] == [spec.model_dump()]
    assert listed[0].direction == "lower"
    changed = set_target(app_workspace, spec.model_copy(update={"value": 280.0}), actor="bob")
    assert changed.id == saved.id and list_targets(app_workspace)[0].value == 280.0
    delete_target(app_workspace, saved.id, actor="bob")
    assert list_targets(app_workspace) == []
    actions = [a for a, _, _ in audit(app_workspace, "target")]
    assert actions[:2] == ["create", "update"] and len(actions) == 3


def test_corrective_actions(app_workspace: Workspace) -> None:
    created = create_action(app_workspace, ActionSpec(
        title="Long calls", metric="aht", scope={"program": "billing"}, owner="ann",
        due_date=date(2026, 11, 30)), actor="ann")
    assert created.state == "open" and created.findings == [] and created.tasks == []
    update_action(app_workspace, created.id, ActionUpdate(
        state="analysing", root_cause_method="5-whys",
        findings=[Finding(why="Why long?", answer="Slow tool")],
        add_tasks=[TaskSpec(description="Fix the tool", owner="bob")]), actor="ann",
        today=date(2026, 11, 2))
    update_action(app_workspace, created.id, ActionUpdate(done_tasks=[1]), actor="bob",
                  today=date(2026, 11, 3))
    action = get_action(app_workspace, created.id)
    assert (action.state, action.scope, action.root_cause_method) == (
        "analysing", {"program": "billing"}, "5-whys")
    assert [(f.why, f.answer) for f in action.findings] == [("Why long?", "Slow tool")]
    assert [(t.number, t.description, t.done_date) for t in action.tasks] == [
        (1, "Fix the tool", date(2026, 11, 3))]
    assert [a.id for a in list_actions(app_workspace, state="analysing")] == [created.id]
    assert list_actions(app_workspace, state="open") == []
    assert [a for a, _, _ in audit(app_workspace, "corrective_action")] == [
        "create", "transition", "update"]


def test_technology(app_workspace: Workspace) -> None:
    add_technology(app_workspace, TechnologySpec(
        id="faq-bot", name="FAQ bot", kind="bot", channels=["chat", "messaging"],
        vendor="acme", version="1.0", agent_id="BOT1"), actor="ann")
    change_technology(app_workspace, "faq-bot", TechnologyChange(
        description="new model", version="1.1"), actor="ann", today=date(2026, 5, 1))
    attest_ethics(app_workspace, "faq-bot", EthicsAttestation(
        policy_version="v2", attested_by="ann", attested_on=date(2026, 5, 2),
        next_review_due=date(2027, 5, 2)), actor="ann")
    info = get_technology(app_workspace, "faq-bot")
    assert (info.version, info.channels, info.vendor) == ("1.1", ["chat", "messaging"], "acme")
    assert info.ethics is not None and info.ethics.next_review_due == date(2027, 5, 2)
    assert [(c.number, c.changed_on, c.material) for c in info.changes] == [
        (1, date(2026, 5, 1), True)]
    assert len(audit(app_workspace, "technology")) == 3


def test_users_and_tokens(app_workspace: Workspace) -> None:
    add_user(app_workspace, "ann", role="admin", password="correct horse", actor="root")
    add_user(app_workspace, "vic", role="vendor", scope="vendor=acme", password=None,
             actor="ann")
    assert [(u.username, u.role, u.scope, u.disabled) for u in list_users(app_workspace)] == [
        ("ann", "admin", "all", False), ("vic", "vendor", "vendor=acme", False)]
    with Session(app_workspace.app_db) as session:
        user = authenticate(session, "ann", "correct horse")
        assert user is not None and authenticate(session, "ann", "wrong") is None
        raw = issue_token(session, user)
        session.commit()
    with Session(app_workspace.app_db) as session:
        resolved = resolve_token(session, raw)
        assert resolved is not None and resolved[0].username == "ann"
        assert resolved[1].revoked is False
    # Disabling revokes every token (a boolean update on both databases).
    set_disabled(app_workspace, "ann", True, actor="root")
    with Session(app_workspace.app_db) as session:
        assert resolve_token(session, raw) is None
    reset_password(app_workspace, "vic", "another secret", actor="ann")
    with Session(app_workspace.app_db) as session:
        assert authenticate(session, "vic", "another secret") is not None
        assert authenticate(session, "ann", "correct horse") is None  # disabled
    assert [a for a, _, _ in audit(app_workspace, "user")] == [
        "add", "add", "disable", "reset_password"]
