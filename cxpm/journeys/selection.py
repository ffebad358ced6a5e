"""What friction, flows, the map and the event log share: the tables they read, the period
they select and the step labels they show."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir

from cxpm.errors import CxpmError
from cxpm.warehouse import Warehouse

JOURNEYS = "journeys"
STEPS = "journey_steps"
# Canonical tables friction reads beside the journeys: costs are priced per handle second of
# all contacts, CSAT comes from surveys of the journey's contacts.
CANONICAL = ("contacts", "surveys", "costs")
END = "end"
ABANDONED = "abandoned"
UNKNOWN = "unknown"

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def journey_tables(warehouse: Warehouse) -> dict[str, ir.Table]:
    """The journeys, their steps and the canonical tables friction needs, by name. A clear
    error when the journeys have not been built in this warehouse yet."""
    existing = set(warehouse.con.list_tables())
    missing = [name for name in (JOURNEYS, STEPS) if name not in existing]
    if missing:
        raise CxpmError(f"the warehouse has no {' or '.join(missing)} table: build the "
                        "journeys first (cxpm journeys build)")
    tables = {name: warehouse.con.table(name) for name in (JOURNEYS, STEPS)}
    tables.update({name: warehouse.table(name) for name in CANONICAL})
    return tables


def parse_period(period: str) -> tuple[datetime, datetime]:
    """The local start (inclusive) and end (exclusive) of a YYYY-MM month."""
    match = _PERIOD.match(period.strip()) if isinstance(period, str) else None
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise CxpmError(f"period must be a month written YYYY-MM, got {period!r}")
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1)
    end = datetime(year + month // 12, month % 12 + 1, 1)
    return start, end


def journey_months(tables: Mapping[str, ir.Table]) -> list[str]:
    """The local months (YYYY-MM) in which journeys started, latest first."""
    journeys = table_of(tables, JOURNEYS)
    local = journeys.local_time
    months = journeys.filter(local.notnull()).select(
        year=local.year(), month=local.month()).distinct().to_pyarrow().to_pylist()
    return sorted((f"{m['year']:04d}-{m['month']:02d}" for m in months), reverse=True)


def table_of(tables: Mapping[str, ir.Table], name: str) -> ir.Table:
    try:
        return tables[name]
    except KeyError:
        raise CxpmError(f"table {name!r} is needed but was not given") from None


def select_journeys(tables: Mapping[str, ir.Table],
                    period: str | None) -> tuple[ir.Table, ir.Table]:
    """Journeys that started in `period` (local month; all when None) and their steps."""
    journeys = table_of(tables, JOURNEYS)
    steps = table_of(tables, STEPS)
    if period is None:
        return journeys, steps
    start, end = parse_period(period)
    journeys = journeys.filter(journeys.local_time >= start, journeys.local_time < end)
    steps = steps.semi_join(journeys.select("journey_id"), "journey_id")
    return journeys, steps


def _text(value: ir.StringValue) -> ir.StringValue:
    """Empty strings read as missing, like nulls."""
    return value.nullif("")


def place(steps: ir.Table) -> ir.StringValue:
    """Where a step happened: its queue, else its channel, else 'unknown'."""
    return ibis.coalesce(_text(steps.queue), _text(steps.channel), ibis.literal(UNKNOWN))


def step_label(steps: ir.Table) -> ir.StringValue:
    """`handled_by:queue` (the channel when there is no queue), e.g. "bot:billing"."""
    handler = ibis.coalesce(_text(steps.handled_by), ibis.literal(UNKNOWN))
    return handler.concat(":", place(steps))


def outcome(steps: ir.Table) -> ir.StringValue:
    """Where a journey goes after its last step: "abandoned" or "end"."""
    return ibis.ifelse(steps.abandoned.fill_null(False), ABANDONED, END)


def journey_order(steps: ir.Table) -> Any:
    """Steps of one journey in their order (an Ibis window)."""
    return ibis.window(group_by=steps.journey_id, order_by=[steps.step, steps.contact_id])
