"""Where metrics read from: canonical tables, enriched with dimensions of related tables, plus
two derived sources (customer_contacts for repeats and journeys, roster_periods for attrition).

Every source yields rows with its dimension columns and, unless the grain is "all", a
`period_start` column; rows are already limited to the requested time range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from cxpm.errors import CxpmError
from cxpm.journeys.sources import (
    BOT_SESSION_COLUMNS,
    JOURNEY_SURVEY_COLUMNS,
    bot_session_rows,
    journey_rows,
    journey_survey_rows,
)
from cxpm.journeys.tables import JOURNEYS_COLUMNS
from cxpm.metrics.forecast_accuracy import (
    FORECAST_DAY_DOC,
    FORECAST_INTERVAL_COLUMNS,
    FORECAST_INTERVAL_DOC,
    forecast_days,
    forecast_intervals,
)
from cxpm.metrics.formula import compile_formula
from cxpm.metrics.params import DEFAULT_PARAMS
from cxpm.metrics.schedule import (
    SCHEDULE_INTERVAL_COLUMNS,
    SCHEDULE_INTERVAL_DOC,
    SCHEDULE_STATE_COLUMNS,
    SCHEDULE_STATE_DOC,
    schedule_intervals,
    schedule_states,
)
from cxpm.schema import LOCAL_TIME_COLUMN, TABLES
from cxpm.warehouse import ibis_schema

PERIOD = "period_start"
# Rows carry the period under another name: costs has a column called period_start.
PERIOD_KEY = "__period"
GRAINS = ("interval", "hour", "day", "week", "month", "quarter", "year", "all")
_TRUNCATE_UNITS = {"hour": "h", "day": "D", "week": "W", "month": "M", "quarter": "Q",
                   "year": "Y"}
SECONDS_PER_YEAR = 365.25 * 86400
_EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True)
class BuildContext:
    """What a query asks for, as far as sources care."""

    grain: str
    interval_minutes: int
    start: datetime | None  # local, inclusive
    end: datetime | None  # local, exclusive
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Lookup:
    """Columns copied from a related table by key (a left join: rows are never dropped)."""

    table: str
    left_key: str
    right_key: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    name: str
    doc: str
    table: str  # the canonical table the rows come from
    dimensions: tuple[str, ...]
    lookups: tuple[Lookup, ...] = ()
    derived: Mapping[str, str] = field(default_factory=dict)  # column -> formula
    derived_doc: Mapping[str, str] = field(default_factory=dict)
    min_grain: str | None = None
    params: tuple[str, ...] = ()  # parameters the source itself reads

    @property
    def tables(self) -> tuple[str, ...]:
        """Canonical tables this source may read."""
        return tuple(dict.fromkeys([self.table, *(lk.table for lk in self.lookups)]))


CONTACT_DIMS = ("program", "site", "vendor", "channel", "queue", "direction", "handled_by",
                "agent_id", "reason")
_CONTACT_DERIVED = {
    "inbound": "coalesce(direction, 'inbound') != 'outbound'",
    "customer_initiated": "isnull(parent_contact_id) and coalesce(direction, 'inbound') != "
                          "'outbound'",
    "wait_s": "seconds_between(arrived_at, answered_at)",
    "time_to_abandon_s": "if_else(isnull(answered_at), seconds_between(arrived_at, ended_at), "
                         "None)",
    "handle_s": "coalesce(talk_s, 0) + coalesce(hold_s, 0) + coalesce(wrap_s, 0)",
}
_CONTACT_DERIVED_DOC = {
    "inbound": "direction is not outbound (null direction counts as inbound)",
    "customer_initiated": "inbound and no parent_contact_id (not a transfer or escalation "
                          "segment)",
    "wait_s": "seconds from arrived_at to answered_at (null when not answered)",
    "time_to_abandon_s": "seconds from arrived_at to ended_at of an unanswered contact",
    "handle_s": "talk_s + hold_s + wrap_s, missing parts counted as 0",
}
_CONTACT_LOOKUP = Lookup("contacts", "contact_id", "contact_id",
                         ("program", "site", "vendor", "channel", "queue", "handled_by",
                          "agent_id", "reason"))
_ROSTER_COLUMNS = ("site", "vendor", "team")
_DURATION = {"duration_s": "seconds_between(started_at, ended_at)"}
JOURNEY_DIMS = ("program", "site", "vendor", "channel", "queue", "handled_by", "reason",
                "unknown_customer", "first_channel", "last_channel")
_JOURNEY_DERIVED = {"channel": "first_channel",
                    "duration_s": "seconds_between(started_at, ended_at)"}
_JOURNEY_DERIVED_DOC = {
    "channel": "the channel of the journey's first customer-initiated contact",
    "duration_s": "seconds from started_at (first arrival) to ended_at (last end)",
}
_JOURNEY_PARAMS = ("repeat.window_days", "repeat.match_reason")
_DURATION_DOC = {"duration_s": "seconds from started_at to ended_at"}

SOURCES: dict[str, Source] = {s.name: s for s in (
    Source("contacts", "Contact segments", "contacts", CONTACT_DIMS,
           derived=_CONTACT_DERIVED, derived_doc=_CONTACT_DERIVED_DOC),
    Source("customer_contacts",
           "Customer-initiated contacts (no parent_contact_id, not outbound) of known "
           "customers, each flagged against the customer's other such contacts",
           "contacts", CONTACT_DIMS, derived=_CONTACT_DERIVED,
           derived_doc={
               **_CONTACT_DERIVED_DOC,
               "repeat_within_window": "the customer's next customer-initiated contact (same "
                                       "reason when repeat.match_reason) arrived within "
                                       "repeat.window_days",
               "journey_start": "no previous customer-initiated contact of the customer (same "
                                "reason when repeat.match_reason) within repeat.window_days",
           }, params=("repeat.window_days", "repeat.match_reason")),
    Source("journeys",
           "One row per journey from the journeys table written by `cxpm journeys build` "
           "(docs/journeys.md); dimensions are those of the journey's first "
           "customer-initiated contact, and a journey counts in the period of its start",
           "journeys", JOURNEY_DIMS, derived=_JOURNEY_DERIVED,
           derived_doc=_JOURNEY_DERIVED_DOC, params=_JOURNEY_PARAMS),
    Source("journey_surveys",
           "One row per journey with a CSAT answer: the latest survey (by responded_at, then "
           "survey_id) with a CSAT answer on any of the journey's contacts, with the "
           "journey's columns; reads journeys, journey_steps and surveys",
           "journeys", JOURNEY_DIMS, derived=_JOURNEY_DERIVED,
           derived_doc=_JOURNEY_DERIVED_DOC, params=_JOURNEY_PARAMS),
    Source("bot_sessions",
           "Customer-initiated contacts handled by a bot, from the journeys (`cxpm journeys "
           "build`), each flagged contained (answered, not abandoned, not escalated), "
           "repeated (the customer's next customer-initiated contact is in the same journey: "
           "within repeat.window_days) and negative_survey (a survey of the contact with CSAT "
           "at or below survey.csat_bottom_box_max or resolved_reported false)",
           "journeys", ("program", "site", "vendor", "channel", "queue", "handled_by",
                        "agent_id", "reason", "unknown_customer"),
           params=(*_JOURNEY_PARAMS, "survey.csat_bottom_box_max")),
    Source("surveys", "Survey responses; contact dimensions come from the surveyed contact",
           "surveys", ("program", "site", "vendor", "channel", "queue", "handled_by",
                       "agent_id", "reason"),
           lookups=(_CONTACT_LOOKUP,)),
    Source("evaluations", "Quality evaluations; contact dimensions come from the evaluated "
           "contact, site/vendor (when the contact has none) and team from the roster",
           "evaluations", ("program", "site", "vendor", "channel", "queue", "handled_by",
                           "reason", "team", "agent_id", "evaluator_id", "form_id"),
           lookups=(Lookup("contacts", "contact_id", "contact_id",
                           ("program", "site", "vendor", "channel", "queue", "handled_by",
                            "reason")),
                    Lookup("roster", "agent_id", "agent_id", _ROSTER_COLUMNS))),
    Source("evaluation_items", "Item-level answers of evaluations scored in cxpm; "
           "dimensions as for evaluations, plus the item, its section and error category",
           "evaluation_items", ("program", "site", "vendor", "channel", "queue", "handled_by",
                                "reason", "team", "agent_id", "evaluator_id", "form_id",
                                "item_id", "section_id", "category"),
           lookups=(Lookup("contacts", "contact_id", "contact_id",
                           ("program", "site", "vendor", "channel", "queue", "handled_by",
                            "reason")),
                    Lookup("roster", "agent_id", "agent_id", _ROSTER_COLUMNS))),
    Source("agent_states", "Agent state log; site, vendor and team from the roster. A state "
           "counts in the period where it started", "agent_states",
           ("site", "vendor", "team", "agent_id", "state"),
           lookups=(Lookup("roster", "agent_id", "agent_id", _ROSTER_COLUMNS),),
           derived=_DURATION, derived_doc=_DURATION_DOC),
    Source("schedules", "Scheduled activities; site, vendor and team from the roster",
           "schedules", ("site", "vendor", "team", "agent_id", "activity"),
           lookups=(Lookup("roster", "agent_id", "agent_id", _ROSTER_COLUMNS),),
           derived=_DURATION, derived_doc=_DURATION_DOC),
    Source("training", "Training and verification records; site, vendor and team from the "
           "roster (subject_id = agent_id)", "training",
           ("site", "vendor", "team", "agent_id", "subject_type", "course"),
           lookups=(Lookup("roster", "subject_id", "agent_id", _ROSTER_COLUMNS),),
           derived={"agent_id": "subject_id"}, derived_doc={"agent_id": "subject_id"}),
    Source("roster_periods",
           "One row per roster member and period they were employed in or left in",
           "roster", ("site", "vendor", "team", "supervisor_id", "agent_id"),
           derived_doc={
               "leaver": "terminated_at (local) falls in the period",
               "employed_years": "time employed within the period, in years of 365.25 days",
           }, min_grain="day"),
    Source("costs", "Costs; a cost row counts in the period containing its period_start",
           "costs", ("program", "site", "vendor", "cost_type", "currency")),
    Source("forecasts", "Forecast snapshots", "forecasts", ("queue", "horizon")),
    Source("forecast_intervals",
           "One row per queue and forecast interval: the latest snapshot created at or "
           "before the interval started (only horizon label `forecast.horizon` when set; "
           "ties go to the first label alphabetically), with the actual inbound contacts "
           "offered in the queue during that interval (by local arrival time, the forecast's "
           "own interval length; 0 when none). Contacts in intervals without a forecast are "
           "left out; should a queue's chosen intervals overlap (snapshots with different "
           "interval lengths), a contact counts in each. Reads `contacts` for the actuals",
           "forecasts", ("queue",), derived_doc=FORECAST_INTERVAL_DOC,
           params=("forecast.horizon",)),
    Source("forecast_days",
           "forecast_intervals summed per queue and local day, so daily totals can be "
           "compared", "forecasts", ("queue",), derived_doc=FORECAST_DAY_DOC,
           min_grain="day", params=("forecast.horizon",)),
    Source("schedule_states",
           "One row per paid schedule row (activity not in states.unpaid) with the agent "
           "state time overlapping it; site, vendor and team from the roster. A schedule row "
           "counts in the period where it starts. Reads `agent_states`; overlaps are found "
           "for state and schedule rows of up to a day",
           "schedules", ("site", "vendor", "team", "agent_id", "activity"),
           lookups=(Lookup("roster", "agent_id", "agent_id", _ROSTER_COLUMNS),),
           derived_doc=SCHEDULE_STATE_DOC,
           params=("states.handling", "states.available", "states.unpaid")),
    Source("schedule_intervals",
           "One row per queue and forecast interval with required agents (the latest "
           "snapshot with required_agents created at or before the interval started; "
           "`forecast.horizon` as in forecast_intervals) and the agents scheduled on queue "
           "and logged in. An agent counts for the queue in which they handled the most "
           "contacts (all stored contacts, ties to the first queue alphabetically); agents "
           "who handled none count for no queue. Reads `schedules`, `agent_states` and "
           "`contacts`", "forecasts", ("queue",), derived_doc=SCHEDULE_INTERVAL_DOC,
           params=("forecast.horizon", "states.handling", "states.available",
                   "states.unpaid")),
)}

_SPECIAL_COLUMNS: dict[str, dict[str, str]] = {
    "customer_contacts": {"repeat_within_window": "boolean", "journey_start": "boolean"},
    "roster_periods": {"leaver": "boolean", "employed_years": "float64"},
    "forecast_intervals": FORECAST_INTERVAL_COLUMNS,
    "schedule_states": SCHEDULE_STATE_COLUMNS,
}
# Derived sources whose rows have exactly these columns (not their table's).
_OWN_COLUMNS: dict[str, dict[str, str]] = {
    "forecast_days": {"queue": "string", "volume": "float64", "aht_s": "float64",
                      **FORECAST_INTERVAL_COLUMNS, LOCAL_TIME_COLUMN: "timestamp(6)"},
    "schedule_intervals": SCHEDULE_INTERVAL_COLUMNS,
    "journeys": JOURNEYS_COLUMNS,
    "journey_surveys": JOURNEY_SURVEY_COLUMNS,
    "bot_sessions": BOT_SESSION_COLUMNS,
}
_FORECAST_SOURCES = ("forecast_intervals", "forecast_days")


def get_source(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise CxpmError(f"unknown source {name!r}; sources are: {', '.join(SOURCES)}") from None


@cache
def schema_table(name: str) -> ir.Table:
    """An unbound table with every column a formula over this source may read."""
    source = get_source(name)
    fields = dict(_OWN_COLUMNS.get(name) or ibis_schema(TABLES[source.table]).items())
    for lookup in source.lookups:
        for column in lookup.columns:
            fields.setdefault(column, ibis_schema(TABLES[lookup.table])[column])
    fields.update(_SPECIAL_COLUMNS.get(name, {}))
    table = ibis.table(fields, name=name)
    return table.mutate(**{col: _as_expr(compile_formula(text, table, DEFAULT_PARAMS), table)
                           for col, text in source.derived.items()})


def _as_expr(value: Any, table: ir.Table) -> ir.Value:
    return value if isinstance(value, ir.Expr) else ibis.literal(value)


def period_expr(ts: ir.TimestampValue, grain: str, interval_minutes: int) -> ir.Value:
    """Start of the period containing `ts` (weeks start on Monday)."""
    if grain == "interval":
        hour = ts.truncate("h")
        if interval_minutes == 60:
            return hour
        return hour + (ts.minute() // interval_minutes * interval_minutes).as_interval("m")
    return ts.truncate(_TRUNCATE_UNITS[grain])


def build_rows(name: str, tables: Mapping[str, ir.Table], ctx: BuildContext,
               needed: set[str]) -> ir.Table:
    """Rows of a source with the `needed` columns (plus PERIOD_KEY unless grain all)."""
    source = get_source(name)
    if source.min_grain and ctx.grain in ("interval", "hour"):
        raise CxpmError(f"source {name} is not defined below {source.min_grain} grain "
                        f"(asked for {ctx.grain})")
    if name == "roster_periods":
        return _roster_periods(_table(tables, "roster"), ctx)
    if name in _FORECAST_SOURCES:
        rows = forecast_intervals(_table(tables, "forecasts"), _table(tables, "contacts"),
                                  ctx.start, ctx.end, ctx.params)
        if name == "forecast_days":
            rows = forecast_days(rows)
    elif name == "schedule_states":
        rows = schedule_states(_table(tables, "schedules"), _table(tables, "agent_states"),
                               ctx.start, ctx.end, ctx.params)
    elif name == "schedule_intervals":
        rows = schedule_intervals(_table(tables, "forecasts"), _table(tables, "schedules"),
                                  _table(tables, "agent_states"), _table(tables, "contacts"),
                                  ctx.start, ctx.end, ctx.params)
    elif name == "journeys":
        rows = _limit_time(journey_rows(tables, ctx.params), ctx)
    elif name == "journey_surveys":
        rows = _limit_time(journey_survey_rows(tables, ctx.params), ctx)
    elif name == "bot_sessions":
        rows = _limit_time(bot_session_rows(tables, ctx.params), ctx)
    else:
        rows = _table(tables, source.table)
        if name == "customer_contacts":
            rows = _sequence_customer_contacts(rows, ctx.params)
        rows = _limit_time(rows, ctx)
    rows = _enrich(rows, source, tables, needed)
    derived = {col: text for col, text in source.derived.items() if col in needed}
    if derived:
        rows = rows.mutate(**{col: _as_expr(compile_formula(text, rows, ctx.params), rows)
                              for col, text in derived.items()})
    if ctx.grain != "all":
        rows = rows.mutate(**{PERIOD_KEY: period_expr(rows[LOCAL_TIME_COLUMN], ctx.grain,
                                                  ctx.interval_minutes)})
    return rows


def _table(tables: Mapping[str, ir.Table], name: str) -> ir.Table:
    try:
        return tables[name]
    except KeyError:
        raise CxpmError(f"table {name!r} is needed but was not given") from None


def _limit_time(rows: ir.Table, ctx: BuildContext) -> ir.Table:
    local = rows[LOCAL_TIME_COLUMN]
    if ctx.start is not None:
        rows = rows.filter(local >= ctx.start)
    if ctx.end is not None:
        rows = rows.filter(local < ctx.end)
    return rows


def _enrich(rows: ir.Table, source: Source, tables: Mapping[str, ir.Table],
            needed: set[str]) -> ir.Table:
    for index, lookup in enumerate(source.lookups):
        wanted = [c for c in lookup.columns if c in needed]
        if not wanted:
            continue
        related = _table(tables, lookup.table)
        right = related.select(
            **{f"__key{index}": related[lookup.right_key]},
            **{f"__{index}_{c}": related[c] for c in wanted})
        joined = rows.left_join(right, rows[lookup.left_key] == right[f"__key{index}"])
        updates = {}
        for column in wanted:
            fetched = joined[f"__{index}_{column}"]
            # A value the row already has (e.g. the contact's site) wins over the related one.
            updates[column] = (ibis.coalesce(joined[column], fetched)
                               if column in rows.columns else fetched)
        keep = [c for c in rows.columns if c not in updates]
        rows = joined.select(*keep, **updates)
    return rows


def _sequence_customer_contacts(contacts: ir.Table, params: Mapping[str, Any]) -> ir.Table:
    """Flag repeats and journey starts. Windows run over every customer-initiated contact, so
    a repeat after the requested range still counts and filters never break sequences."""
    direction = ibis.coalesce(contacts.direction, "inbound")
    rows = contacts.filter(contacts.parent_contact_id.isnull(), direction != "outbound",
                           contacts.customer_id.notnull())
    rows = rows.mutate(__arr_s=rows.arrived_at.epoch_seconds().cast("float64"))
    keys = [rows.customer_id] + ([rows.reason] if params["repeat.match_reason"] else [])
    window = ibis.window(group_by=keys, order_by=[rows.arrived_at, rows.contact_id])
    rows = rows.mutate(__next_s=rows.__arr_s.lead().over(window),
                       __prev_s=rows.__arr_s.lag().over(window))
    span = float(params["repeat.window_days"]) * 86400
    rows = rows.mutate(
        repeat_within_window=rows.__next_s.notnull() & ((rows.__next_s - rows.__arr_s) <= span),
        journey_start=rows.__prev_s.isnull() | ((rows.__arr_s - rows.__prev_s) > span),
    )
    return rows.drop("__arr_s", "__next_s", "__prev_s")


def _epoch(moment: datetime) -> float:
    return (moment - _EPOCH).total_seconds()


def _roster_periods(roster: ir.Table, ctx: BuildContext) -> ir.Table:
    """Employment clipped to each period. Local leaving time = terminated_at shifted by the
    hire's UTC offset (local_time - hired_at); off by at most a DST hour."""
    hire_s = roster[LOCAL_TIME_COLUMN].epoch_seconds().cast("float64")
    offset = hire_s - roster.hired_at.epoch_seconds().cast("float64")
    people = roster.mutate(__hire_s=hire_s,
                           __term_s=roster.terminated_at.epoch_seconds().cast("float64") + offset)
    if ctx.grain == "all":
        bounds = people.aggregate(
            __lo=people.__hire_s.min(),
            __hi=ibis.coalesce(people.__term_s, people.__hire_s).max() + 1)
        grid = bounds.select(
            __ps=ibis.literal(_epoch(ctx.start)) if ctx.start else bounds.__lo,
            __pe=ibis.literal(_epoch(ctx.end)) if ctx.end else bounds.__hi)
    else:
        columns = _period_grid(people, ctx)
        grid = ibis.memtable(pa.table({
            PERIOD_KEY: pa.array(columns[PERIOD_KEY], pa.timestamp("us")),
            "__ps": pa.array(columns["__ps"], pa.float64()),
            "__pe": pa.array(columns["__pe"], pa.float64())}))
    rows = people.cross_join(grid)
    begin = ibis.ifelse(rows.__hire_s > rows.__ps, rows.__hire_s, rows.__ps)
    stop = ibis.coalesce(rows.__term_s, rows.__pe)
    stop = ibis.ifelse(stop < rows.__pe, stop, rows.__pe)
    rows = rows.mutate(
        employed_years=ibis.ifelse(stop > begin, (stop - begin) / SECONDS_PER_YEAR, 0.0),
        leaver=rows.__term_s.notnull() & (rows.__term_s >= rows.__ps)
        & (rows.__term_s < rows.__pe),
    )
    rows = rows.filter((rows.employed_years > 0) | rows.leaver)
    return rows.drop("__hire_s", "__term_s", "__ps", "__pe")


def _period_grid(people: ir.Table, ctx: BuildContext) -> dict[str, list[Any]]:
    start, end = ctx.start, ctx.end
    if start is None or end is None:
        span = people.aggregate(
            lo=people.__hire_s.min(),
            hi=ibis.coalesce(people.__term_s, people.__hire_s).max()).to_pyarrow().to_pylist()[0]
        if span["lo"] is None:
            return {PERIOD_KEY: [], "__ps": [], "__pe": []}
        start = start or _EPOCH + timedelta(seconds=span["lo"])
        end = end or _EPOCH + timedelta(seconds=span["hi"] + 1)
    starts, ps, pe = [], [], []
    current = truncate(start, ctx.grain)
    while current < end:
        following = next_period(current, ctx.grain)
        starts.append(current)
        ps.append(_epoch(max(current, start)))
        pe.append(_epoch(min(following, end)))
        current = following
    return {PERIOD_KEY: starts, "__ps": ps, "__pe": pe}


def truncate(moment: datetime, grain: str) -> datetime:
    """Python twin of `period_expr` for grains of a day or more."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if grain == "year":
        return day.replace(month=1, day=1)
    raise CxpmError(f"grain {grain!r} is not supported here")


def next_period(start: datetime, grain: str) -> datetime:
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    month_index = start.year * 12 + start.month - 1 + months
    return start.replace(year=month_index // 12, month=month_index % 12 + 1)

