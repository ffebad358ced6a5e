"""/audit — the audit log, newest first, filtered and paged; /audit.csv downloads the
filtered log. Audit rows are not tied to a vendor, site or agent, so only users whose scope
is all may read them (docs/security.md)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import ValidationError

from cxpm.store.audit import (
    DEFAULT_PAGE_SIZE,
    MAX_OFFSET,
    AuditEntry,
    AuditFilter,
    compact_value,
    iter_audit,
    list_audit,
)
from cxpm.web.deps import Principal, WebState, web_state
from cxpm.web.pages.common import UNSCOPED_ONLY, PageError, page_require, render, scope_text

router = APIRouter(include_in_schema=False)
NAV = ((90, "Audit", "/audit", "audit:read", UNSCOPED_ONLY),)

# Query parameter -> AuditFilter field, and the label a problem is reported under.
PARAMETERS = {"actor": ("actor", "who"), "entity": ("entity", "object type"),
              "entity_id": ("entity_id", "object id"), "action": ("action", "action"),
              "from": ("since", "from"), "to": ("until", "to")}
LABELS = {field: label for field, label in PARAMETERS.values()}
CSV_COLUMNS = ("id", "at_utc", "actor", "action", "entity", "entity_id", "changes",
               "before", "after", "note")
# Changed fields listed per row; the rest fold under "more".
SHOWN_CHANGES = 6
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def audit_reader(principal: Annotated[Principal, Depends(page_require("audit:read"))]
                 ) -> Principal:
    """A user with audit:read whose scope is all: the log covers every vendor and agent,
    and no row of it can be limited to a narrower scope."""
    if principal.scope_kind != "all":
        raise PageError(status.HTTP_403_FORBIDDEN,
                        f"The audit log records changes for every vendor, site and agent; "
                        f"it cannot be limited to your scope ({scope_text(principal)}), so "
                        f"only users whose scope is all may read it.")
    return principal


def _raw_filters(request: Request) -> dict[str, str]:
    """The filter parameters as typed (to fill the form again), the last of repeats."""
    return {name: request.query_params.get(name, "") for name in PARAMETERS}


def _problem_text(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        field = str(error["loc"][0]) if error.get("loc") else ""
        message = error.get("msg", "invalid").removeprefix("Value error, ")
        problems.append(f"{LABELS.get(field, 'filter')}: {message}" if field else message)
    return "Invalid filter — " + "; ".join(problems)


def parse_filters(raw: dict[str, str]) -> AuditFilter:
    """The checked filter (PageError 400 naming the problem otherwise)."""
    values = {field: raw[name] or None for name, (field, _) in PARAMETERS.items()}
    try:
        return AuditFilter.model_validate(values)
    except ValidationError as exc:
        raise PageError(status.HTTP_400_BAD_REQUEST, _problem_text(exc)) from None


def parse_offset(text: str | None) -> int:
    try:
        offset = int(text) if text else 0
    except ValueError:
        offset = -1
    if not 0 <= offset <= MAX_OFFSET:
        raise PageError(status.HTTP_400_BAD_REQUEST,
                        f"Invalid page: offset must be a whole number from 0 to {MAX_OFFSET}.")
    return offset


def _link(path: str, raw: dict[str, str], offset: int | None = None) -> str:
    params = {k: v for k, v in raw.items() if v}
    if offset:
        params["offset"] = str(offset)
    return path + ("?" + urlencode(params) if params else "")


def _row(entry: AuditEntry) -> dict[str, Any]:
    """A table row: a record created or removed lists its values on one line ("set" or
    "removed"); a change lists each changed field as before → after."""
    changes = entry.changes
    if entry.before is None or entry.after is None:
        side = "after" if entry.before is None else "before"
        return {"entry": entry, "kind": "set" if side == "after" else "removed",
                "changes": [(c.field, compact_value(getattr(c, side), 60), "")
                            for c in changes]}
    return {"entry": entry, "kind": "changed",
            "changes": [(c.field, compact_value(c.before), compact_value(c.after))
                        for c in changes]}


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, principal: Annotated[Principal, Depends(audit_reader)],
               state: Annotated[WebState, Depends(web_state)]) -> HTMLResponse:
    raw = _raw_filters(request)
    try:
        filters = parse_filters(raw)
        offset = parse_offset(request.query_params.get("offset"))
    except PageError as exc:
        return render(request, "audit.html", principal, status_code=exc.status_code,
                      error=exc.message, raw=raw, page=None)
    page = list_audit(state.workspace, filters, limit=DEFAULT_PAGE_SIZE, offset=offset)
    return render(request, "audit.html", principal, raw=raw, page=page, error=None,
                  rows=[_row(e) for e in page.entries], filtered=not filters.is_empty(),
                  previous_url=_link("/audit", raw, max(0, offset - page.limit))
                  if page.has_previous else None,
                  next_url=_link("/audit", raw, offset + page.limit)
                  if page.has_next else None,
                  csv_url=_link("/audit.csv", raw), shown=SHOWN_CHANGES)


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True,
                                               default=str)


def csv_lines(entries: Iterator[AuditEntry]) -> Iterator[str]:
    """The audit rows as CSV text, a header line first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for e in entries:
        changes = "; ".join(f"{c.field}: {compact_value(c.before, 10_000)} → "
                            f"{compact_value(c.after, 10_000)}" for c in e.changes)
        writer.writerow([e.id, e.at.isoformat(sep=" "), _cell(e.actor), _cell(e.action),
                         _cell(e.entity), _cell(e.entity_id), _cell(changes),
                         _json(e.before), _json(e.after), _cell(e.note or "")])
        yield flush()


@router.get("/audit.csv")
def audit_csv(request: Request, _: Annotated[Principal, Depends(audit_reader)],
              state: Annotated[WebState, Depends(web_state)]) -> StreamingResponse:
    filters = parse_filters(_raw_filters(request))
    return StreamingResponse(
        csv_lines(iter_audit(state.workspace, filters)), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"',
                 "Cache-Control": "no-store"})
