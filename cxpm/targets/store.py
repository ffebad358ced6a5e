"""Targets in the app database. Every change is written to the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.store.db import record_audit, utc_now
from cxpm.store.models import Target
from cxpm.targets.model import TargetInfo, TargetSpec, checked_definition, scope_key
from cxpm.workspace import Workspace

_FIELDS = tuple(TargetSpec.model_fields)



def _audit_view(row: Target) -> dict:
    return {name: (value.isoformat() if isinstance(value, date) else value)
            for name in _FIELDS for value in [getattr(row, name)]}


def _info(row: Target, direction: str) -> TargetInfo:
    return TargetInfo(id=row.id, direction=direction,
                      **{name: getattr(row, name) for name in _FIELDS})


def set_targets(workspace: Workspace, specs: Sequence[TargetSpec], *,
                actor: str) -> list[TargetInfo]:
    """Create targets, or update the one with the same metric, scope and valid_from.
    All are checked first; one bad target saves none."""
    catalog = workspace.metric_catalog()
    directions = {spec.metric: checked_definition(spec, catalog).direction for spec in specs}
    saved = []
    with Session(workspace.app_db) as session:
        now = utc_now()
        for spec in specs:
            key = scope_key(spec.scope)
            row = session.scalars(select(Target).where(
                Target.metric == spec.metric, Target.scope_key == key,
                Target.valid_from == spec.valid_from)).one_or_none()
            before = _audit_view(row) if row is not None else None
            if row is None:
                row = Target(created_at=now)
                session.add(row)
            for name in _FIELDS:
                setattr(row, name, getattr(spec, name))
            row.scope = dict(spec.scope)
            row.scope_key = key
            row.updated_at = now
            session.flush()
            record_audit(session, actor=actor, action="update" if before else "create",
                         entity="target", entity_id=str(row.id), before=before,
                         after=_audit_view(row))
            saved.append(_info(row, directions[spec.metric]))
        session.commit()
    return saved


def set_target(workspace: Workspace, spec: TargetSpec, *, actor: str) -> TargetInfo:
    return set_targets(workspace, [spec], actor=actor)[0]


def list_targets(workspace: Workspace, metric: str | None = None) -> list[TargetInfo]:
    """Every target (of `metric`), by metric, scope and start."""
    catalog = workspace.metric_catalog()
    with Session(workspace.app_db) as session:
        query = select(Target).order_by(Target.metric, Target.scope_key, Target.valid_from)
        if metric is not None:
            query = query.where(Target.metric == metric)
        rows = session.scalars(query).all()
        out = []
        for row in rows:
            direction = catalog.get(row.metric).direction if row.metric in catalog.ids() \
                else "unknown"
            out.append(_info(row, direction))
        return out


def delete_target(workspace: Workspace, target_id: int, *, actor: str) -> None:
    with Session(workspace.app_db) as session:
        row = session.get(Target, target_id)
        if row is None:
            raise CxpmError(f"no target {target_id}")
        record_audit(session, actor=actor, action="delete", entity="target",
                     entity_id=str(target_id), before=_audit_view(row), after=None)
        session.delete(row)
        session.commit()
