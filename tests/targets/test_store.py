"""Targets in the app database: create, update in place, list, delete, all audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.store.models import AuditLog, Target
from cxpm.targets.model import TargetSpec
from cxpm.targets.store import delete_target, list_targets, set_target, set_targets
from cxpm.workspace import Workspace


def _audit(ws: Workspace) -> list[AuditLog]:
    with Session(ws.app_db) as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.entity == "target")
                                    .order_by(AuditLog.id)))


def _count(ws: Workspace) -> int:
    with Session(ws.app_db) as session:
        return len(session.scalars(select(Target)).all())


def aht(value: float = 300.0, **values) -> TargetSpec:
    return TargetSpec(**{"metric": "aht", "valid_from": date(2026, 1, 1), "value": value,
                         **values})


def test_create_then_update_same_metric_scope_and_start(workspace: Workspace) -> None:
    first = set_target(workspace, aht(scope={"site": "north", "program": "banking"},
                                      warning=330.0, owner="ops", rationale="budget",
                                      benchmark_source="survey 2025",
                                      benchmark_date=date(2025, 6, 1),
                                      benchmark_statistic="top quartile",
                                      benchmark_value=290.0), actor="ana")
    assert first.direction == "lower"
    assert (first.metric, first.scope, first.value, first.warning) == (
        "aht", {"site": "north", "program": "banking"}, 300.0, 330.0)
    # same metric, the same scope written in another order, same start: an update
    second = set_target(workspace, aht(280.0, scope={"program": "banking", "site": "north"}),
                        actor="ben")
    assert second.id == first.id
    assert _count(workspace) == 1
    [stored] = list_targets(workspace)
    assert (stored.value, stored.warning, stored.owner) == (280.0, None, None)

    create, update = _audit(workspace)
    assert (create.action, create.actor, create.entity_id) == ("create", "ana", str(first.id))
    assert create.before is None
    assert create.after["value"] == 300.0 and create.after["valid_from"] == "2026-01-01"
    assert create.after["benchmark_date"] == "2025-06-01"
    assert (update.action, update.actor) == ("update", "ben")
    assert update.before == create.after
    assert update.after["value"] == 280.0 and update.after["owner"] is None


def test_other_start_or_scope_is_a_new_target(workspace: Workspace) -> None:
    saved = set_targets(workspace, [aht(), aht(valid_from=date(2026, 4, 1)),
                                    aht(scope={"program": "banking"})], actor="t")
    assert len({t.id for t in saved}) == 3
    assert [a.action for a in _audit(workspace)] == ["create"] * 3


def test_list_orders_and_filters(workspace: Workspace) -> None:
    set_targets(workspace, [
        TargetSpec(metric="service_level", valid_from=date(2026, 1, 1), value=0.8),
        aht(valid_from=date(2026, 4, 1)),
        aht(scope={"program": "banking"}),
        aht(),
    ], actor="t")
    listed = list_targets(workspace)
    # by metric, then scope text ("" before "program=banking"), then start
    assert [(t.metric, t.scope, t.valid_from) for t in listed] == [
        ("aht", {}, date(2026, 1, 1)), ("aht", {}, date(2026, 4, 1)),
        ("aht", {"program": "banking"}, date(2026, 1, 1)),
        ("service_level", {}, date(2026, 1, 1))]
    assert [t.direction for t in listed] == ["lower", "lower", "lower", "higher"]
    assert [t.metric for t in list_targets(workspace, "service_level")] == ["service_level"]
    assert list_targets(workspace, "csat") == []


def test_delete_is_audited(workspace: Workspace) -> None:
    keep, gone = set_targets(workspace, [aht(), aht(scope={"site": "north"})], actor="t")
    delete_target(workspace, gone.id, actor="carla")
    assert [t.id for t in list_targets(workspace)] == [keep.id]
    last = _audit(workspace)[-1]
    assert (last.action, last.actor, last.entity_id, last.after) == (
        "delete", "carla", str(gone.id), None)
    assert last.before["scope"] == {"site": "north"}
    with pytest.raises(CxpmError, match=f"no target {gone.id}"):
        delete_target(workspace, gone.id, actor="carla")


def test_one_bad_target_saves_none(workspace: Workspace) -> None:
    set_target(workspace, aht(), actor="t")
    before = list_targets(workspace)
    bad = [aht(250.0), aht(scope={"program": "banking"}),
           TargetSpec(metric="offered", valid_from=date(2026, 1, 1), value=100)]
    with pytest.raises(CxpmError, match="offered has no better direction"):
        set_targets(workspace, bad, actor="t")
    assert list_targets(workspace) == before
    assert len(_audit(workspace)) == 1
