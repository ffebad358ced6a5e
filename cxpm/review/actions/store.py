"""Corrective actions in the app database. Every change is written to the audit log with
the action as it was before and after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.review.actions.model import (
    CAUSE_CATEGORIES,
    CLOSED_STATES,
    ROOT_CAUSE_METHODS,
    STATES,
    ActionInfo,
    ActionSpec,
    ActionUpdate,
    Finding,
    TaskInfo,
    Verification,
)
from cxpm.review.actions.workflow import check_transition
from cxpm.store.db import record_audit, utc_now
from cxpm.store.models import CorrectiveAction, CorrectiveActionTask
from cxpm.workspace import Workspace

ENTITY = "corrective_action"



def _info(row: CorrectiveAction) -> ActionInfo:
    return ActionInfo(
        id=row.id, title=row.title, problem=row.problem, metric=row.metric,
        scope=dict(row.scope), origin=row.origin, origin_ref=row.origin_ref, owner=row.owner,
        due_date=row.due_date, state=row.state, root_cause_method=row.root_cause_method,
        findings=[Finding(**f) for f in row.findings], cause_category=row.cause_category,
        tasks=[TaskInfo(number=t.number, description=t.description, owner=t.owner,
                        due_date=t.due_date, done_date=t.done_date) for t in row.tasks],
        implemented_on=row.implemented_on,
        verification=Verification(**row.verification) if row.verification else None,
        created_at=row.created_at, updated_at=row.updated_at, closed_at=row.closed_at)


def _audit_view(row: CorrectiveAction) -> dict[str, Any]:
    return _info(row).model_dump(mode="json", exclude={"updated_at"})


def check_metric_scope(workspace: Workspace, metric: str, scope: dict[str, str]) -> None:
    """The metric exists and can be filtered by every dimension of the scope."""
    definition = workspace.metric_catalog().get(metric)
    unknown = [d for d in scope if d not in definition.dimensions]
    if unknown:
        raise CxpmError(f"metric {metric} cannot be scoped by {', '.join(unknown)}; its "
                        f"dimensions are {', '.join(definition.dimensions) or 'none'}")


def _check_choice(value: str | None, choices: Sequence[str], what: str) -> None:
    if value is not None and value not in choices:
        raise CxpmError(f"unknown {what} {value!r}; {what}s are {', '.join(choices)}")


def create_action(workspace: Workspace, spec: ActionSpec, *, actor: str) -> ActionInfo:
    """A new action in state open."""
    check_metric_scope(workspace, spec.metric, spec.scope)
    with Session(workspace.app_db) as session:
        now = utc_now()
        row = CorrectiveAction(
            title=spec.title, problem=spec.problem, metric=spec.metric, scope=dict(spec.scope),
            origin=spec.origin, origin_ref=spec.origin_ref, owner=spec.owner,
            due_date=spec.due_date, state="open", findings=[], created_at=now,
            updated_at=now, tasks=[])
        session.add(row)
        session.flush()
        record_audit(session, actor=actor, action="create", entity=ENTITY,
                     entity_id=str(row.id), before=None, after=_audit_view(row))
        session.commit()
        return _info(row)


def _load(session: Session, action_id: int) -> CorrectiveAction:
    row = session.get(CorrectiveAction, action_id)
    if row is None:
        raise CxpmError(f"no corrective action {action_id}")
    return row


def get_action(workspace: Workspace, action_id: int) -> ActionInfo:
    with Session(workspace.app_db) as session:
        return _info(_load(session, action_id))


def list_actions(workspace: Workspace, *, state: str | None = None) -> list[ActionInfo]:
    """Every action (in `state`), oldest first."""
    _check_choice(state, STATES, "state")
    with Session(workspace.app_db) as session:
        query = select(CorrectiveAction).order_by(CorrectiveAction.id)
        if state is not None:
            query = query.where(CorrectiveAction.state == state)
        return [_info(row) for row in session.scalars(query).all()]


def _apply_fields(row: CorrectiveAction, change: ActionUpdate, today: date,
                  now: datetime) -> None:
    _check_choice(change.root_cause_method, ROOT_CAUSE_METHODS, "root-cause method")
    _check_choice(change.cause_category, CAUSE_CATEGORIES, "cause category")
    for name in ("title", "problem", "owner", "due_date", "root_cause_method",
                 "cause_category", "implemented_on"):
        value = getattr(change, name)
        if value is not None:
            setattr(row, name, value)
    if change.findings is not None:
        row.findings = [f.model_dump() for f in change.findings]
    numbers = {t.number: t for t in row.tasks}
    for task in change.add_tasks:
        number = max(numbers, default=0) + 1
        numbers[number] = CorrectiveActionTask(
            number=number, description=task.description, owner=task.owner,
            due_date=task.due_date, created_at=now)
        row.tasks.append(numbers[number])
    for number in change.done_tasks:
        if number not in numbers:
            raise CxpmError(f"action {row.id} has no task {number} (tasks: "
                            f"{', '.join(map(str, sorted(numbers))) or 'none'})")
        if numbers[number].done_date is not None:
            raise CxpmError(f"task {number} of action {row.id} is already done "
                            f"({numbers[number].done_date})")
        numbers[number].done_date = today
    if change.verification is not None:
        if row.implemented_on is None:
            raise CxpmError(f"action {row.id}: a verification needs the implementation date")
        row.verification = change.verification.model_dump(mode="json")


def _apply_state(row: CorrectiveAction, change: ActionUpdate, now: datetime) -> None:
    new_state = change.state
    if new_state is None:
        return
    check_transition(_info(row), new_state)
    if new_state == "verifying":
        # a verification belongs to one fix: entering verifying starts a new check
        row.verification = (change.verification.model_dump(mode="json")
                            if change.verification is not None else None)
    row.state = new_state
    row.closed_at = now if new_state in CLOSED_STATES else None


def update_action(workspace: Workspace, action_id: int, change: ActionUpdate, *, actor: str,
                  today: date | None = None) -> ActionInfo:
    """Apply `change` (fields first, then the state change) in one audited step; an illegal
    change saves nothing."""
    today = today or workspace.today()
    with Session(workspace.app_db) as session:
        row = _load(session, action_id)
        before = _audit_view(row)
        now = utc_now()
        _apply_fields(row, change, today, now)
        _apply_state(row, change, now)
        session.flush()
        after = _audit_view(row)
        if after == before and not change.note:
            raise CxpmError(f"action {action_id}: nothing to change")
        if after != before:
            row.updated_at = now
        record_audit(session, actor=actor,
                     action="transition" if change.state else
                     ("update" if after != before else "note"),
                     entity=ENTITY, entity_id=str(action_id), before=before, after=after,
                     note=change.note)
        session.commit()
        return _info(row)
