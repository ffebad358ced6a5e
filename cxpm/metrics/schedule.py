"""Schedule-versus-actual rows for the adherence, shrinkage, absenteeism and schedule-fit
metrics, built with portable Ibis (equality joins plus an overlap condition).

`schedule_states`: one row per paid schedule row (activity not in `states.unpaid`) with the
seconds of agent states overlapping it. A schedule row counts in the period where it starts.
- in adherence: the agent's state matches the activity. An *on-queue* activity (a state in
  `states.handling` or `states.available`) is matched by any on-queue state (an agent
  scheduled `available` who is on a contact is adhering); any other activity only by the same
  state (`break` by `break`).
- on-queue overlap: seconds in an on-queue state while the row is scheduled.
- absent: the agent has no paid state starting on the schedule row's local day. Planned leave
  is not scheduled (or scheduled as an unpaid state), so every scheduled absence is unplanned.

`schedule_intervals`: one row per queue and forecast interval that has required agents (the
latest snapshot with required_agents created at or before the interval started, as in
forecast accuracy) with the average number of agents scheduled on queue and logged in (paid
states) during the interval. Schedules and states have no queue: an agent counts for the
queue in which they handled the most contacts (all stored contacts; ties go to the first
queue alphabetically). Agents who handled no contacts count for no queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir

from cxpm.metrics.forecast_accuracy import select_snapshots
from cxpm.schema import LOCAL_TIME_COLUMN

SCHEDULE_STATE_COLUMNS: dict[str, str] = {
    "scheduled_s": "float64",
    "adherent_s": "float64",
    "on_queue_activity": "boolean",
    "on_queue_s": "float64",
    "absent": "boolean",
}

SCHEDULE_STATE_DOC: dict[str, str] = {
    "scheduled_s": "seconds from started_at to ended_at of the schedule row",
    "adherent_s": "seconds of the row during which the agent's state matched the activity "
                  "(any on-queue state for an on-queue activity, else the same state)",
    "on_queue_activity": "the activity is in states.handling or states.available",
    "on_queue_s": "seconds of the row during which the agent was in an on-queue state",
    "absent": "the agent has no paid state starting on the row's local day",
}

SCHEDULE_INTERVAL_COLUMNS: dict[str, str] = {
    "queue": "string",
    "interval_s": "float64",
    "required_agents": "float64",
    "scheduled_agents": "float64",
    "logged_in_agents": "float64",
    LOCAL_TIME_COLUMN: "timestamp(6)",
}

SCHEDULE_INTERVAL_DOC: dict[str, str] = {
    "required_agents": "agents required on queue (the selected forecast snapshot's)",
    "scheduled_agents": "scheduled on-queue seconds of the queue's agents in the interval / "
                        "interval_s (average agents scheduled on queue)",
    "logged_in_agents": "paid state seconds of the queue's agents in the interval / "
                        "interval_s (average agents logged in)",
}


def _seconds(ts: ir.TimestampValue) -> ir.FloatingValue:
    return ts.epoch_seconds().cast("float64")


def _day(seconds: ir.FloatingValue) -> ir.IntegerValue:
    """UTC day number of an epoch-seconds value."""
    return (seconds / 86400).floor().cast("int64")


def _near_days(spans: ir.Table, day: str) -> ir.Table:
    """Each row three times, keyed `__near` = its day - 1, its day and its day + 1. Two spans
    of at most a day each can only overlap when their start days are within a day, so an
    equality join on `__near` plus an overlap filter finds every overlap without a non-equi
    join (which some backends, e.g. Polars, lack). A paid state or schedule row longer than a
    day only overlaps what starts within a day of its start."""
    return ibis.union(*(spans.mutate(__near=spans[day] + offset) for offset in (-1, 0, 1)))


def _overlap(a_start: ir.Value, a_end: ir.Value, b_start: ir.Value,
             b_end: ir.Value) -> ir.FloatingValue:
    """Seconds two spans (epoch seconds) share; 0 when disjoint."""
    begin = ibis.ifelse(a_start > b_start, a_start, b_start)
    stop = ibis.ifelse(a_end < b_end, a_end, b_end)
    return ibis.ifelse(stop > begin, stop - begin, 0.0)


def _states(agent_states: ir.Table, start: datetime | None, end: datetime | None,
            params: Mapping[str, Any]) -> ir.Table:
    """Paid states (loosely limited to the range: a state may start a day before a schedule
    row), as epoch seconds."""
    rows = _near_range(
        agent_states.filter(~agent_states.state.isin(list(params["states.unpaid"]))),
        start, end)
    on_queue = list(params["states.handling"]) + list(params["states.available"])
    return rows.select(
        __st_agent=rows.agent_id, __st_state=rows.state,
        __st_on_queue=rows.state.isin(on_queue),
        __st_start=_seconds(rows.started_at), __st_end=_seconds(rows.ended_at),
        __st_day=rows[LOCAL_TIME_COLUMN].truncate("D"))


def schedule_states(schedules: ir.Table, agent_states: ir.Table, start: datetime | None,
                    end: datetime | None, params: Mapping[str, Any]) -> ir.Table:
    """Paid schedule rows (local start in [start, end)) with their overlapping state time."""
    local = schedules[LOCAL_TIME_COLUMN]
    rows = schedules.filter(~schedules.activity.isin(list(params["states.unpaid"])))
    if start is not None:
        rows = rows.filter(local >= start)
    if end is not None:
        rows = rows.filter(local < end)
    on_queue = list(params["states.handling"]) + list(params["states.available"])
    rows = rows.mutate(__s_start=_seconds(rows.started_at), __s_end=_seconds(rows.ended_at),
                       on_queue_activity=rows.activity.isin(on_queue))
    states = _states(agent_states, start, end, params)
    rows = rows.mutate(__s_day=_day(rows.__s_start))
    near = _near_days(states.mutate(__st_uday=_day(states.__st_start)), "__st_uday")
    pairs = rows.join(near, [rows.agent_id == near.__st_agent, rows.__s_day == near.__near])
    pairs = pairs.filter(pairs.__s_start < pairs.__st_end, pairs.__st_start < pairs.__s_end)
    shared = _overlap(pairs.__s_start, pairs.__s_end, pairs.__st_start, pairs.__st_end)
    matches = ibis.ifelse(pairs.on_queue_activity, pairs.__st_on_queue,
                          pairs.__st_state == pairs.activity)
    pairs = pairs.mutate(__adh=ibis.ifelse(matches, shared, 0.0),
                         __onq=ibis.ifelse(pairs.__st_on_queue, shared, 0.0))
    # Schedules are keyed by (agent_id, started_at), so the overlaps go back by that key.
    overlaps = pairs.group_by(__o_agent=pairs.agent_id, __o_start=pairs.started_at).aggregate(
        __o_adh=pairs.__adh.sum(), __o_onq=pairs.__onq.sum())
    days = states.select(__d_agent=states.__st_agent, __d_day=states.__st_day).distinct()
    joined = rows.left_join(overlaps, [rows.agent_id == overlaps.__o_agent,
                                       rows.started_at == overlaps.__o_start])
    joined = joined.left_join(days, [joined.agent_id == days.__d_agent,
                                     joined[LOCAL_TIME_COLUMN].truncate("D") == days.__d_day])
    return joined.select(
        *schedules.columns,
        scheduled_s=joined.__s_end - joined.__s_start,
        adherent_s=ibis.coalesce(joined.__o_adh, 0.0),
        on_queue_activity=joined.on_queue_activity,
        on_queue_s=ibis.coalesce(joined.__o_onq, 0.0),
        absent=joined.__d_agent.isnull(),
    )


def primary_queues(contacts: ir.Table) -> ir.Table:
    """(agent_id, queue): the queue in which each agent handled the most contacts."""
    handled = contacts.filter(contacts.agent_id.notnull(), contacts.queue.notnull(),
                              contacts.answered_at.notnull())
    counts = handled.group_by(__p_agent=handled.agent_id, __p_queue=handled.queue).aggregate(
        __p_n=handled.count())
    best = counts.group_by(__b_agent=counts.__p_agent).aggregate(__b_n=counts.__p_n.max())
    top = counts.join(best, [counts.__p_agent == best.__b_agent, counts.__p_n == best.__b_n])
    first = top.group_by(agent_id=top.__p_agent).aggregate(queue=top.__p_queue.min())
    return first


def _near_range(rows: ir.Table, start: datetime | None, end: datetime | None) -> ir.Table:
    """Rows starting within a day of the local range [start, end)."""
    local = rows[LOCAL_TIME_COLUMN]
    if start is not None:
        rows = rows.filter(local >= start - timedelta(days=1))
    if end is not None:
        rows = rows.filter(local < end + timedelta(days=1))
    return rows


def schedule_intervals(forecasts: ir.Table, schedules: ir.Table, agent_states: ir.Table,
                       contacts: ir.Table, start: datetime | None, end: datetime | None,
                       params: Mapping[str, Any]) -> ir.Table:
    """Forecast intervals with required agents, and the agents scheduled and logged in."""
    local = forecasts[LOCAL_TIME_COLUMN]
    rows = forecasts.filter(forecasts.required_agents.notnull())
    if start is not None:
        rows = rows.filter(local >= start)
    if end is not None:
        rows = rows.filter(local < end)
    chosen = select_snapshots(rows, params)
    chosen = chosen.select(
        "queue", "interval_s", "required_agents", LOCAL_TIME_COLUMN,
        __i_start=_seconds(chosen.interval_start),
        __i_end=_seconds(chosen.interval_start) + chosen.interval_s.cast("float64"))
    agents = primary_queues(contacts)
    on_queue = list(params["states.handling"]) + list(params["states.available"])
    planned = _near_range(schedules.filter(schedules.activity.isin(on_queue)), start, end)
    planned = planned.join(agents, planned.agent_id == agents.agent_id).select(
        __w_queue=agents.queue, __w_start=_seconds(planned.started_at),
        __w_end=_seconds(planned.ended_at))
    states = _near_range(
        agent_states.filter(~agent_states.state.isin(list(params["states.unpaid"]))),
        start, end)
    logged = states.join(agents, states.agent_id == agents.agent_id).select(
        __w_queue=agents.queue, __w_start=_seconds(states.started_at),
        __w_end=_seconds(states.ended_at))
    keys = chosen.select(__k_queue=chosen.queue, __k_start=chosen.__i_start,
                         __k_end=chosen.__i_end).distinct()
    keys = keys.mutate(__k_day=_day(keys.__k_start))
    result = chosen
    for name, spans in (("scheduled", planned), ("logged", logged)):
        near = _near_days(spans.mutate(__w_day=_day(spans.__w_start)), "__w_day")
        pairs = keys.join(near, [keys.__k_queue == near.__w_queue,
                                 keys.__k_day == near.__near])
        pairs = pairs.filter(pairs.__w_start < pairs.__k_end, pairs.__k_start < pairs.__w_end)
        shared = _overlap(pairs.__k_start, pairs.__k_end, pairs.__w_start, pairs.__w_end)
        sums = pairs.group_by(**{f"__{name}_q": pairs.__k_queue,
                                 f"__{name}_s": pairs.__k_start}).aggregate(
            **{f"__{name}_sec": shared.sum()})
        result = result.left_join(sums, [result.queue == sums[f"__{name}_q"],
                                         result.__i_start == sums[f"__{name}_s"]])
    length = result.interval_s.cast("float64")
    return result.select(
        "queue", "required_agents", LOCAL_TIME_COLUMN,
        interval_s=length,
        scheduled_agents=ibis.coalesce(result.__scheduled_sec, 0.0) / length,
        logged_in_agents=ibis.coalesce(result.__logged_sec, 0.0) / length,
    )
