"""Reading the audit log: filtered, newest first, one bounded page at a time.

Shared by the web page (/audit, /audit.csv) and any command-line reader. Filters are
compared as values through SQLAlchemy expressions, never spliced into SQL text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.store.models import AuditLog

if TYPE_CHECKING:
    from cxpm.workspace import Workspace

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# Deeper than any real log; keeps OFFSET within every database's integer range.
MAX_OFFSET = 10_000_000
# Rows fetched per round trip when a whole filtered log is streamed (CSV download).
STREAM_BATCH = 1000


class AuditFilter(BaseModel):
    """Which audit rows to show; every field is optional and they combine with AND.
    Text fields match exactly; dates are UTC calendar days, both ends included."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    actor: str | None = Field(None, max_length=120, description="who made the change")
    entity: str | None = Field(None, max_length=60,
                               description="object type, e.g. user, target, qa_evaluation")
    entity_id: str | None = Field(None, max_length=200, description="object id")
    action: str | None = Field(None, max_length=60, description="e.g. add, update, delete")
    since: date | None = Field(None, description="first UTC day included")
    until: date | None = Field(None, description="last UTC day included")

    @field_validator("actor", "entity", "entity_id", "action", mode="after")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        # NUL and other control characters are never in a stored value, and PostgreSQL
        # refuses NUL in a query parameter outright.
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("must not contain control characters")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> AuditFilter:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"the range starts ({self.since}) after it ends ({self.until})")
        return self

    def is_empty(self) -> bool:
        return not any(self.model_dump().values())


class FieldChange(BaseModel):
    """One field of an audited record whose value differs between before and after."""

    field: str
    before: Any = None
    after: Any = None


class AuditEntry(BaseModel):
    id: int
    at: datetime  # naive UTC
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str | None

    @property
    def changes(self) -> list[FieldChange]:
        return field_changes(self.before, self.after)


class AuditPage(BaseModel):
    """One page of the filtered log, newest first, and how many rows match in all."""

    entries: list[AuditEntry]
    total: int
    limit: int
    offset: int

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.entries) < self.total

    @property
    def first_number(self) -> int:
        """1-based position of the page's first row (0 when the page is empty)."""
        return self.offset + 1 if self.entries else 0

    @property
    def last_number(self) -> int:
        return self.offset + len(self.entries)


def field_changes(before: dict[str, Any] | None,
                  after: dict[str, Any] | None) -> list[FieldChange]:
    """The fields whose values differ, in the order the record lists them (a field that is
    missing on one side counts as none there): a creation lists what was set, a deletion
    what was removed."""
    before, after = before or {}, after or {}
    fields = list(before) + [k for k in after if k not in before]
    return [FieldChange(field=k, before=before.get(k), after=after.get(k))
            for k in fields if before.get(k) != after.get(k)]


def _conditions(filters: AuditFilter) -> list[Any]:
    conditions = []
    for column, value in ((AuditLog.actor, filters.actor), (AuditLog.entity, filters.entity),
                          (AuditLog.entity_id, filters.entity_id),
                          (AuditLog.action, filters.action)):
        if value is not None:
            conditions.append(column == value)
    if filters.since is not None:
        conditions.append(AuditLog.at >= datetime.combine(filters.since, time()))
    if filters.until is not None and filters.until < date.max:
        conditions.append(AuditLog.at < datetime.combine(filters.until + timedelta(days=1),
                                                         time()))
    return conditions


def _newest_first(statement: Select) -> Select:
    return statement.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def _entry(row: AuditLog) -> AuditEntry:
    return AuditEntry(id=row.id, at=row.at, actor=row.actor, action=row.action,
                      entity=row.entity, entity_id=row.entity_id, before=row.before,
                      after=row.after, note=row.note)


def list_audit(workspace: Workspace, filters: AuditFilter | None = None, *,
               limit: int = DEFAULT_PAGE_SIZE, offset: int = 0) -> AuditPage:
    """One page of the audit log, newest first, with the count of all matching rows."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise CxpmError(f"page size must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
    if not 0 <= offset <= MAX_OFFSET:
        raise CxpmError(f"offset must be between 0 and {MAX_OFFSET}, got {offset}")
    conditions = _conditions(filters or AuditFilter())
    with Session(workspace.app_db) as session:
        total = session.scalar(select(func.count()).select_from(AuditLog).where(*conditions))
        rows = session.scalars(_newest_first(select(AuditLog).where(*conditions))
                               .limit(limit).offset(offset))
        return AuditPage(entries=[_entry(r) for r in rows], total=total or 0, limit=limit,
                         offset=offset)


def iter_audit(workspace: Workspace, filters: AuditFilter | None = None, *,
               batch: int = STREAM_BATCH) -> Iterator[AuditEntry]:
    """Every matching row, newest first, fetched `batch` rows at a time (keyset paging:
    rows added meanwhile do not shift or repeat what is already read)."""
    conditions = _conditions(filters or AuditFilter())
    last: tuple[datetime, int] | None = None
    while True:
        after_last = [] if last is None else [or_(
            AuditLog.at < last[0], and_(AuditLog.at == last[0], AuditLog.id < last[1]))]
        with Session(workspace.app_db) as session:
            rows = [_entry(r) for r in session.scalars(
                _newest_first(select(AuditLog).where(*conditions, *after_last)).limit(batch))]
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].at, rows[-1].id


def compact_value(value: Any, max_length: int = 120) -> str:
    """A value as short text for a table cell: JSON for structures, '—' for none."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                          sort_keys=True, default=str)
    return text if len(text) <= max_length else text[:max_length - 1] + "…"
