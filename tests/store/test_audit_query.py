"""Reading the audit log (cxpm.store.audit) on SQLite and PostgreSQL: filters, newest-first
paging and streaming against counts made by hand from the rows written, hostile values."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.store.audit import (
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    AuditFilter,
    FieldChange,
    field_changes,
    iter_audit,
    list_audit,
)
from cxpm.store.db import audit_values
from cxpm.store.models import AuditLog
from cxpm.workspace import Workspace

START = datetime(2026, 3, 1, 22, 0)
ACTORS = ("ada", "ana", "x' OR 1=1 --")
ENTITIES = ("user", "target", "qa_evaluation")
ACTIONS = ("add", "update", "delete", "disable")


def spec(i: int) -> dict:
    """Row i: 40 rows over six days, some sharing a timestamp (the id breaks the tie)."""
    return audit_values(actor=ACTORS[i % 3], action=ACTIONS[i % 4], entity=ENTITIES[i % 3],
                        entity_id=f"obj{i % 5}", before={"n": i} if i % 2 else None,
                        after={"n": i + 1}, note=None,
                        at=START + timedelta(hours=3 * (i // 2)))


ROWS = [spec(i) for i in range(40)]


@pytest.fixture
def logged(app_workspace: Workspace) -> Workspace:
    with Session(app_workspace.app_db) as session:
        session.add_all(AuditLog(**row) for row in ROWS)
        session.commit()
    return app_workspace


def expected_ids(keep=lambda row: True) -> list[int]:
    """Ids (1-based insertion order) of the kept rows, newest first, ties newest id first."""
    kept = [(row["at"], i + 1) for i, row in enumerate(ROWS) if keep(row)]
    return [i for _, i in sorted(kept, reverse=True)]


def ids(entries) -> list[int]:
    return [e.id for e in entries]


def test_whole_log_newest_first(logged: Workspace) -> None:
    page = list_audit(logged, limit=MAX_PAGE_SIZE)
    assert page.total == 40 and ids(page.entries) == expected_ids()
    # Rows 38 and 39 share the newest timestamp: the later id comes first.
    assert ids(page.entries)[:2] == [40, 39]
    assert not page.has_next and not page.has_previous


@pytest.mark.parametrize(("filters", "keep"), [
    ({"actor": "ana"}, lambda r: r["actor"] == "ana"),
    ({"actor": "x' OR 1=1 --"}, lambda r: r["actor"] == "x' OR 1=1 --"),
    ({"entity": "target"}, lambda r: r["entity"] == "target"),
    ({"entity_id": "obj3"}, lambda r: r["entity_id"] == "obj3"),
    ({"action": "delete"}, lambda r: r["action"] == "delete"),
    ({"entity": "user", "action": "add"},
     lambda r: r["entity"] == "user" and r["action"] == "add"),
    ({"since": date(2026, 3, 3)}, lambda r: r["at"] >= datetime(2026, 3, 3)),
    ({"until": date(2026, 3, 3)}, lambda r: r["at"] < datetime(2026, 3, 4)),
    ({"since": date(2026, 3, 2), "until": date(2026, 3, 2)},
     lambda r: r["at"].date() == date(2026, 3, 2)),
    ({"actor": "  ada  "}, lambda r: r["actor"] == "ada"),
    ({"actor": "", "entity": ""}, lambda r: True),
])
def test_filters(logged: Workspace, filters: dict, keep) -> None:
    page = list_audit(logged, AuditFilter(**filters), limit=MAX_PAGE_SIZE)
    assert ids(page.entries) == expected_ids(keep)
    assert page.total == len(expected_ids(keep))


def test_day_bounds_are_inclusive(logged: Workspace) -> None:
    # 2026-03-02 holds rows at 01:00 ... 22:00 (hours 3..24 after START, two rows each).
    on_day = [r for r in ROWS if r["at"].date() == date(2026, 3, 2)]
    assert len(on_day) == 16
    page = list_audit(logged, AuditFilter(since=date(2026, 3, 2), until=date(2026, 3, 2)))
    assert page.total == 16
    assert {e.at.date() for e in page.entries} == {date(2026, 3, 2)}
    assert list_audit(logged, AuditFilter(until=date.max)).total == 40
    assert list_audit(logged, AuditFilter(since=date(2027, 1, 1))).total == 0


def test_pages_cover_the_log_once(logged: Workspace) -> None:
    seen, offset = [], 0
    while True:
        page = list_audit(logged, AuditFilter(entity="user"), limit=4, offset=offset)
        assert page.has_previous == (offset > 0)
        seen += ids(page.entries)
        if not page.has_next:
            break
        offset += 4
    assert seen == expected_ids(lambda r: r["entity"] == "user")
    assert page.last_number == page.total == len(seen) == 14
    past = list_audit(logged, limit=10, offset=1000)
    assert (past.entries, past.total, past.first_number) == ([], 40, 0)


def test_stream_reads_every_row_once_in_order(logged: Workspace) -> None:
    # Batches of 3 split the shared timestamps: the keyset must not skip or repeat a row.
    assert ids(iter_audit(logged, batch=3)) == expected_ids()
    assert ids(iter_audit(logged, AuditFilter(actor="ana"), batch=2)) == expected_ids(
        lambda r: r["actor"] == "ana")
    assert list(iter_audit(logged, AuditFilter(actor="nobody"))) == []


def test_entries_carry_values_and_changes(logged: Workspace) -> None:
    entry = list_audit(logged, AuditFilter(entity_id="obj1", actor="ana"), limit=1).entries[0]
    # obj1 and ana: i % 5 == 1 and i % 3 == 1 -> i in (1, 16, 31); the newest is 31.
    assert (entry.id, entry.before, entry.after) == (32, {"n": 31}, {"n": 32})
    assert entry.changes == [FieldChange(field="n", before=31, after=32)]


@pytest.mark.parametrize("hostile", [
    "x' OR '1'='1", "'; DROP TABLE audit_log;--", "../../etc/passwd", "%", "_", "*",
    "\\", "<script>alert(1)</script>", "ünïcode ✓"])
def test_hostile_values_match_nothing(logged: Workspace, hostile: str) -> None:
    for field in ("actor", "entity", "entity_id", "action"):
        assert list_audit(logged, AuditFilter(**{field: hostile})).total == 0
    with Session(logged.app_db) as session:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == 40


@pytest.mark.parametrize(("values", "problem"), [
    ({"actor": "a" * 121}, "at most 120 characters"),
    ({"entity_id": "x" * 5000}, "at most 200 characters"),
    ({"actor": "ada\x00"}, "control characters"),
    ({"action": "add\n"}, None),  # a trailing newline is stripped like other spaces
    ({"since": "not a date"}, "valid date"),
    ({"since": date(2026, 3, 5), "until": date(2026, 3, 1)}, "starts (2026-03-05) after"),
    ({"where": "1=1"}, "Extra inputs"),
])
def test_invalid_filters_are_refused(values: dict, problem: str | None) -> None:
    if problem is None:
        assert AuditFilter(**values).action == "add"
        return
    with pytest.raises(ValidationError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        AuditFilter(**values)


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (MAX_PAGE_SIZE + 1, 0), (10, -1),
                                               (10, MAX_OFFSET + 1)])
def test_page_bounds(app_workspace: Workspace, limit: int, offset: int) -> None:
    with pytest.raises(CxpmError, match="must be between"):
        list_audit(app_workspace, limit=limit, offset=offset)


def test_field_changes() -> None:
    assert field_changes(None, {"a": 1, "b": None}) == [FieldChange(field="a", after=1)]
    assert field_changes({"a": 1}, None) == [FieldChange(field="a", before=1)]
    assert field_changes({"a": 1, "b": [1], "c": "x"}, {"a": 1, "b": [2], "d": "y"}) == [
        FieldChange(field="b", before=[1], after=[2]), FieldChange(field="c", before="x"),
        FieldChange(field="d", after="y")]
    assert field_changes(None, None) == []
