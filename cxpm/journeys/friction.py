"""Friction points: the transitions inside journeys where customers bounce, drop out or come
back, ranked by the customers they affect and what they cost (docs/journeys-friction.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.journeys.selection import (
    UNKNOWN,
    journey_order,
    place,
    select_journeys,
    table_of,
)

FRICTION_KINDS: dict[str, str] = {
    "escalation": "bot escalated to an agent (location: the bot's queue)",
    "transfer": "agent transferred to an agent (location: from-queue → to-queue)",
    "abandon_retry": "customer abandoned, then contacted again (location: the abandoned "
                     "contact's queue)",
    "channel_switch": "consecutive customer contacts on different channels (location: "
                      "from-channel → to-channel)",
    "repeat_after_resolved": "customer contacted again after a resolved disposition "
                             "(location: the queue of the resolving contact)",
}
KIND_TITLES: dict[str, str] = {
    "escalation": "bot → agent escalation", "transfer": "agent → agent transfer",
    "abandon_retry": "abandon, then retry", "channel_switch": "channel switch",
    "repeat_after_resolved": "repeat after resolved"}
# Dimensions of the step where the friction happens that friction can be split by.
BY_DIMENSIONS = ("program", "site", "vendor", "channel", "queue", "handled_by", "agent_id",
                 "reason")
MIN_SURVEYS_PARAM = "friction.min_surveys"
DEFAULT_MIN_SURVEYS = 30
TOP_BOX_PARAM = "survey.csat_top_box_min"
DEFAULT_TOP_BOX = 4
ARROW = " → "


class FrictionPoint(BaseModel):
    """One friction point (kind and location, within one group of `by`), ranked."""

    rank: int
    kind: str
    location: str
    by: dict[str, str | None] = {}
    customers: int
    journeys: int
    occurrences: int
    extra_contacts: int
    extra_handle_s: float
    cost: float | None
    unpriced_handle_s: float
    csat_with: float | None
    csat_without: float | None
    csat_difference: float | None
    surveys_with: int
    surveys_without: int


def friction_points(tables: Mapping[str, ir.Table], *, period: str | None = None,
                    by: Sequence[str] = (),
                    params: Mapping[str, Any] | None = None) -> list[FrictionPoint]:
    """Friction points of the journeys that started in `period` (YYYY-MM, local; all when
    None), split by dimensions `by` of the step where the friction happens. Sorted by
    customers affected, then extra contacts, then extra handle time (largest first).

    `tables` holds journeys, journey_steps, contacts, surveys and costs. `params` may set
    friction.min_surveys (surveys needed on each side of a CSAT difference) and
    survey.csat_top_box_min."""
    by = _check_by(by)
    params = params or {}
    min_surveys = int(params.get(MIN_SURVEYS_PARAM, DEFAULT_MIN_SURVEYS))
    top_box = int(params.get(TOP_BOX_PARAM, DEFAULT_TOP_BOX))
    journeys, steps = select_journeys(tables, period)
    keys = ["kind", "location", *by]

    occurrences = _occurrences(steps, by)
    firsts = occurrences.group_by(*keys, "journey_id").aggregate(
        step=occurrences.step.min(), occurrences=occurrences.count())
    after = _after(_priced(steps, tables))
    firsts = firsts.join(after, ["journey_id", "step"])
    surveyed = _journey_surveys(journeys, steps, tables, top_box)
    rows = firsts.join(surveyed, "journey_id")

    summary = rows.group_by(*keys).aggregate(
        customers=rows.customer_id.nunique() + rows.customer_id.isnull().cast("int64").sum(),
        journeys=rows.count(),
        occurrences=rows.occurrences.sum(),
        extra_contacts=rows.rest_contacts.sum(),
        extra_handle_s=rows.rest_handle_s.sum(),
        cost=rows.rest_cost.sum(),
        priced_steps=rows.rest_priced.sum(),
        unpriced_handle_s=rows.rest_unpriced_s.sum(),
    ).to_pyarrow().to_pylist()
    with_point = rows.group_by(*keys, "journey_program").aggregate(
        surveys=rows.surveys.sum(), top=rows.top.sum()).to_pyarrow().to_pylist()
    per_program = surveyed.group_by("journey_program").aggregate(
        surveys=surveyed.surveys.sum(), top=surveyed.top.sum()).to_pyarrow().to_pylist()

    csat = _csat_sides(with_point, per_program, keys)
    points = [_point(row, by, csat[tuple(row[k] for k in keys)], min_surveys)
              for row in summary]
    points.sort(key=lambda p: (-p.customers, -p.extra_contacts, -p.extra_handle_s, p.kind,
                               p.location, [str(v) for v in p.by.values()]))
    for rank, point in enumerate(points, start=1):
        point.rank = rank
    return points


def _check_by(by: Sequence[str]) -> list[str]:
    dims = list(dict.fromkeys(by))
    unknown = [d for d in dims if d not in BY_DIMENSIONS]
    if unknown:
        raise CxpmError(f"friction cannot be split by {', '.join(unknown)}; dimensions are: "
                        f"{', '.join(BY_DIMENSIONS)}")
    return dims


def _occurrences(steps: ir.Table, by: list[str]) -> ir.Table:
    """One row per friction occurrence: kind, location, journey_id, `step` (the first step
    the friction led to: the segment handed over to, or the customer's next contact) and the
    `by` dimensions of the step where the friction happens."""
    base = steps.mutate(
        __place=place(steps),
        __channel=ibis.coalesce(steps.channel.nullif(""), ibis.literal(UNKNOWN)),
        __ci=steps.customer_initiated.fill_null(False),
        __step=steps.step.cast("int64"),
    )
    later = ibis.window(group_by=base.journey_id, order_by=[base.__step, base.contact_id],
                        rows=(1, None))
    base = base.mutate(__next_ci=ibis.ifelse(base.__ci, base.__step, ibis.null("int64"))
                       .min().over(later))

    def shaped(rows: ir.Table, kind: str, location: ir.StringValue, target: ir.IntegerValue,
               dims: Mapping[str, ir.Value]) -> ir.Table:
        return rows.select(kind=ibis.literal(kind), location=location,
                           journey_id=rows.journey_id, step=target,
                           **{d: dims[d].cast("string") for d in by})

    # Escalations and transfers: a step and the segment it handed over to.
    parent = base.select(
        "journey_id", "contact_id", "handled_by", "__place",
        **{f"__by_{d}": base[d] for d in by})
    child = base.filter(base.parent_contact_id.notnull()).select(
        __child_journey=base.journey_id, __parent=base.parent_contact_id,
        __child_handler=base.handled_by, __child_place=base.__place,
        __child_step=base.__step)
    pairs = parent.join(child, [parent.contact_id == child.__parent,
                                parent.journey_id == child.__child_journey])
    escalated = pairs.filter(pairs.handled_by == "bot", pairs.__child_handler == "agent")
    escalations = shaped(escalated, "escalation", escalated.__place, escalated.__child_step,
                         {d: escalated[f"__by_{d}"] for d in by})
    transferred = pairs.filter(pairs.handled_by == "agent", pairs.__child_handler == "agent")
    transfers = shaped(transferred, "transfer",
                       transferred.__place.concat(ARROW, transferred.__child_place),
                       transferred.__child_step, {d: transferred[f"__by_{d}"] for d in by})

    # Abandon then retry, channel switches: consecutive customer-initiated contacts.
    ci = base.filter(base.__ci)
    ci = ci.mutate(__next_channel=ci.__channel.lead().over(journey_order(ci)))
    retried = ci.filter(ci.abandoned.fill_null(False), ci.__next_ci.notnull())
    abandons = shaped(retried, "abandon_retry", retried.__place, retried.__next_ci,
                      {d: retried[d] for d in by})
    switched = ci.filter(ci.__next_ci.notnull(), ci.__channel != ci.__next_channel)
    switches = shaped(switched, "channel_switch",
                      switched.__channel.concat(ARROW, switched.__next_channel),
                      switched.__next_ci, {d: switched[d] for d in by})

    # Repeat after resolved: the last resolved step before the customer's next contact (the
    # contact itself or a segment it was handed to).
    resolved = base.filter(base.resolved.fill_null(False), base.__next_ci.notnull())
    resolved = resolved.mutate(__last=resolved.__step.max().over(
        ibis.window(group_by=[resolved.journey_id, resolved.__next_ci])))
    resolved = resolved.filter(resolved.__step == resolved.__last)
    repeats = shaped(resolved, "repeat_after_resolved", resolved.__place, resolved.__next_ci,
                     {d: resolved[d] for d in by})

    return ibis.union(escalations, transfers, abandons, switches, repeats, distinct=False)


def _priced(steps: ir.Table, tables: Mapping[str, ir.Table]) -> ir.Table:
    """Steps with their handle time and its cost: handle_s × the cost per handle second of
    the step's program, site and vendor in the step's local month (null when unpriced)."""
    rates = _rates(table_of(tables, "contacts"), table_of(tables, "costs"))
    keyed = steps.mutate(**_keys(steps))
    joined = keyed.left_join(rates, ["__program", "__site", "__vendor", "__month"])
    handle = joined.handle_s.fill_null(0.0)
    return joined.select(
        "journey_id", "contact_id",
        step=joined.step.cast("int64"),
        handle_s=handle,
        cost=handle * joined.rate,
        priced=joined.rate.notnull().cast("int64"),
        unpriced_s=ibis.ifelse(joined.rate.isnull(), handle, 0.0),
    )


def _keys(table: ir.Table) -> dict[str, ir.Value]:
    """Join keys for program, site, vendor (a missing value matches a missing value) and the
    local month."""
    return {"__program": table.program.fill_null(""), "__site": table.site.fill_null(""),
            "__vendor": table.vendor.fill_null(""),
            "__month": table.local_time.truncate("M")}


def _rates(contacts: ir.Table, costs: ir.Table) -> ir.Table:
    """Cost per handle second by program, site, vendor and local month: the month's costs
    (by the month of their period_start) / the handle time of all its contacts."""
    handle = (contacts.talk_s.fill_null(0.0) + contacts.hold_s.fill_null(0.0)
              + contacts.wrap_s.fill_null(0.0))
    work = contacts.mutate(**_keys(contacts), __handle=handle)
    work = work.group_by("__program", "__site", "__vendor", "__month").aggregate(
        __handle=work.__handle.sum())
    spent = costs.mutate(**_keys(costs))
    spent = spent.group_by("__program", "__site", "__vendor", "__month").aggregate(
        __amount=spent.amount.sum())
    rates = work.join(spent, ["__program", "__site", "__vendor", "__month"])
    rates = rates.filter(rates.__handle > 0)
    return rates.select("__program", "__site", "__vendor", "__month",
                        rate=rates.__amount / rates.__handle)


def _after(priced: ir.Table) -> ir.Table:
    """Per step, the rest of its journey from that step on: contacts, handle time, cost,
    priced steps and unpriced handle time."""
    following = ibis.window(group_by=priced.journey_id,
                            order_by=[priced.step, priced.contact_id], rows=(0, None))
    return priced.select(
        "journey_id", "step",
        rest_contacts=priced.step.count().over(following).fill_null(0),
        rest_handle_s=priced.handle_s.sum().over(following).fill_null(0.0),
        rest_cost=priced.cost.sum().over(following),
        rest_priced=priced.priced.sum().over(following).fill_null(0),
        rest_unpriced_s=priced.unpriced_s.sum().over(following).fill_null(0.0),
    )


def _journey_surveys(journeys: ir.Table, steps: ir.Table, tables: Mapping[str, ir.Table],
                     top_box: int) -> ir.Table:
    """Each journey's customer, program and CSAT answers over its contacts' surveys."""
    surveys = table_of(tables, "surveys")
    surveys = surveys.filter(surveys.csat.notnull())
    contacts = steps.select(__journey=steps.journey_id, __contact=steps.contact_id)
    linked = surveys.join(contacts, surveys.contact_id == contacts.__contact)
    per_journey = linked.group_by(journey_id=linked.__journey).aggregate(
        surveys=linked.count(), top=(linked.csat >= top_box).cast("int64").sum())
    joined = journeys.left_join(per_journey, "journey_id")
    return joined.select(
        journey_id=joined.journey_id, customer_id=joined.customer_id,
        journey_program=joined.program,
        surveys=joined.surveys.fill_null(0), top=joined.top.fill_null(0))


def _csat_sides(with_point: list[dict[str, Any]], per_program: list[dict[str, Any]],
                keys: list[str]) -> dict[tuple, dict[str, int]]:
    """Survey counts of journeys with each point and of the journeys without it on the same
    programs (the programs of the journeys that have the point)."""
    totals = {row["journey_program"]: row for row in per_program}
    sides: dict[tuple, dict[str, int]] = {}
    for row in with_point:
        side = sides.setdefault(tuple(row[k] for k in keys),
                                {"surveys_with": 0, "top_with": 0, "surveys_without": 0,
                                 "top_without": 0})
        total = totals[row["journey_program"]]
        side["surveys_with"] += row["surveys"]
        side["top_with"] += row["top"]
        side["surveys_without"] += total["surveys"] - row["surveys"]
        side["top_without"] += total["top"] - row["top"]
    return sides


def _share(top: int, surveys: int, minimum: int) -> float | None:
    return top / surveys if surveys and surveys >= minimum else None


def _point(row: dict[str, Any], by: list[str], side: dict[str, int],
           min_surveys: int) -> FrictionPoint:
    csat_with = _share(side["top_with"], side["surveys_with"], min_surveys)
    csat_without = _share(side["top_without"], side["surveys_without"], min_surveys)
    difference = (csat_with - csat_without
                  if csat_with is not None and csat_without is not None else None)
    return FrictionPoint(
        rank=0, kind=row["kind"], location=row["location"], by={d: row[d] for d in by},
        customers=row["customers"], journeys=row["journeys"],
        occurrences=row["occurrences"], extra_contacts=row["extra_contacts"],
        extra_handle_s=float(row["extra_handle_s"]),
        cost=row["cost"] if row["priced_steps"] else None,
        unpriced_handle_s=float(row["unpriced_handle_s"]),
        csat_with=csat_with, csat_without=csat_without, csat_difference=difference,
        surveys_with=side["surveys_with"], surveys_without=side["surveys_without"])
