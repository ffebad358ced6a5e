"""Journey stitching as portable Ibis expressions (docs/journeys.md, "Definitions").

A contact belongs to the journey of its root (follow parent_contact_id up). Customer-initiated
contacts (no parent, not outbound) of a known customer are sequenced per customer (and reason
when repeat.match_reason): one starts a new journey when the previous one arrived more than
repeat.window_days earlier, exactly like the metric engine's customer_contacts source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from cxpm.errors import CxpmError

MAX_LEVELS = 20
_ROOTS_SCHEMA = pa.schema([("__rid", pa.string()), ("__root", pa.string())])


@dataclass(frozen=True)
class StitchParams:
    window_days: float
    match_reason: bool

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> StitchParams:
        return cls(float(params["repeat.window_days"]), bool(params["repeat.match_reason"]))


def customer_initiated(contacts: ir.Table) -> ir.BooleanValue:
    return contacts.parent_contact_id.isnull() & (
        ibis.coalesce(contacts.direction, "inbound") != "outbound")


def _backend(table: ir.Table) -> ibis.BaseBackend:
    return table._find_backend(use_default=True)


def find_roots(contacts: ir.Table, segments: ir.Table,
               max_levels: int = MAX_LEVELS) -> pa.Table:
    """The root of each of `segments` (rows of `contacts` with a parent): the highest loaded
    ancestor. Columns __rid (the segment) and __root. A segment whose parent is not loaded
    is its own root. Joins are repeated, one level at a time, until no root moves."""
    con = _backend(contacts)
    ids = contacts.select(__pid=contacts.contact_id)
    seg = segments.select(__id=segments.contact_id, __parent=segments.parent_contact_id)
    # up = the loaded parent of every segment in the warehouse (null when not loaded)
    every = contacts.filter(contacts.parent_contact_id.notnull())
    every = every.select(__id=every.contact_id, __parent=every.parent_contact_id)
    links = every.left_join(ids, every.__parent == ids.__pid).select(
        __lid=every.__id, __up=ids.__pid)
    links = links.filter(links.__up.notnull())
    start = seg.left_join(ids, seg.__parent == ids.__pid)
    state = con.to_pyarrow(start.select(
        __rid=start.__id, __root=ibis.coalesce(start.__pid, start.__id)))
    settled: list[pa.Table] = []
    for _ in range(max_levels):
        current = ibis.memtable(state)
        step = current.left_join(links, current.__root == links.__lid)
        moved = con.to_pyarrow(step.select(
            __rid=step.__rid, __root=ibis.coalesce(step.__up, step.__root),
            __moved=step.__up.notnull()))
        mask = moved["__moved"]
        settled.append(moved.filter(pa.compute.invert(mask)).select(["__rid", "__root"]))
        state = moved.filter(mask).select(["__rid", "__root"])
        if state.num_rows == 0:
            break
    else:
        looping = sorted(state["__rid"].to_pylist())[:5]
        raise CxpmError(
            f"parent_contact_id chains longer than {max_levels} levels or in a cycle, e.g. "
            f"contacts {', '.join(looping)}; fix parent_contact_id of those contacts")
    return pa.concat_tables([t.cast(_ROOTS_SCHEMA) for t in settled]).combine_chunks()


def sequence_customer_initiated(rows: ir.Table, params: StitchParams) -> ir.Table:
    """Customer-initiated rows with journey_start and journey_id. Same arithmetic as the
    metric engine's customer_contacts source, so the two agree to the second."""
    rows = rows.mutate(__arr_s=rows.arrived_at.epoch_seconds().cast("float64"))
    keys = ["customer_id"] + (["reason"] if params.match_reason else [])
    order = ["arrived_at", "contact_id"]
    window = ibis.window(group_by=keys, order_by=order)
    rows = rows.mutate(__prev_s=rows.__arr_s.lag().over(window))
    span = params.window_days * 86400
    start = rows.customer_id.isnull() | rows.__prev_s.isnull() | (
        (rows.__arr_s - rows.__prev_s) > span)
    rows = rows.mutate(journey_start=start)
    rows = rows.mutate(__run=rows.journey_start.ifelse(1, 0).sum().over(
        ibis.window(group_by=keys, order_by=order, rows=(None, 0))))
    # Within one customer (and reason) and run there is exactly one start: its id is the max.
    first = rows.journey_start.ifelse(rows.contact_id, ibis.null("string"))
    run_window = ibis.window(group_by=[*keys, "__run"])
    rows = rows.mutate(journey_id=ibis.ifelse(rows.customer_id.isnull(), rows.contact_id,
                                              first.max().over(run_window)))
    return rows.drop("__arr_s", "__prev_s", "__run")


def chunk_key(rows: ir.Table) -> ir.StringValue:
    """What a full build is sliced by: the customer, or the contact itself when the customer
    is unknown. Taken from a journey's root (or first) contact, it puts every journey of one
    customer in one slice."""
    return ibis.coalesce(rows.customer_id, rows.contact_id)


def keyed_roots(contacts: ir.Table, roots: pa.Table) -> pa.Table:
    """`roots` (from find_roots) with __key, the chunk_key of each root contact."""
    con = _backend(contacts)
    found = ibis.memtable(roots)
    owners = contacts.select(__oid=contacts.contact_id, __key=chunk_key(contacts))
    joined = found.join(owners, found.__root == owners.__oid)
    return con.to_pyarrow(joined.select("__rid", "__root", "__key"))


def stitch_steps(contacts: ir.Table, rows: ir.Table, params: StitchParams,
                 max_levels: int = MAX_LEVELS, roots: ir.Table | None = None) -> ir.Table:
    """journey_steps rows (without built_at) for `rows`, a subset of `contacts` closed under
    journeys: every customer-initiated contact of its known customers and every segment of
    its journeys. Roots are looked up in all of `contacts` unless `roots` (columns __rid,
    __root, covering at least the segments among `rows`) are given; segments under an
    outbound root belong to no journey."""
    if roots is None:
        segments = rows.filter(rows.parent_contact_id.notnull())
        roots = ibis.memtable(find_roots(contacts, segments, max_levels))
    else:
        roots = roots.select("__rid", "__root")
    ci = sequence_customer_initiated(rows.filter(customer_initiated(rows)), params)
    ci_ids = ci.select(__cid=ci.contact_id, __jid=ci.journey_id)
    with_root = rows.left_join(roots, rows.contact_id == roots.__rid)
    with_root = with_root.mutate(root_contact_id=ibis.coalesce(with_root.__root,
                                                               with_root.contact_id))
    root_rows = rows.select(__oid=rows.contact_id, __root_parent=rows.parent_contact_id)
    joined = with_root.left_join(ci_ids, with_root.root_contact_id == ci_ids.__cid)
    joined = joined.left_join(root_rows, joined.root_contact_id == root_rows.__oid)
    orphan = joined.__cid.isnull() & joined.__root_parent.notnull()
    steps = joined.mutate(
        journey_id=ibis.coalesce(joined.__jid, orphan.ifelse(joined.root_contact_id,
                                                            ibis.null("string"))),
        orphan=orphan,
        customer_initiated=customer_initiated(joined),
    )
    steps = steps.filter(steps.journey_id.notnull())
    order = ibis.window(group_by=steps.journey_id, order_by=[steps.arrived_at,
                                                             steps.contact_id])
    steps = steps.mutate(step=(ibis.row_number().over(order) + 1).cast("int64"))
    handle = (ibis.coalesce(steps.talk_s, 0.0) + ibis.coalesce(steps.hold_s, 0.0)
              + ibis.coalesce(steps.wrap_s, 0.0))
    return steps.select(
        "journey_id", "step", "contact_id", "parent_contact_id", "root_contact_id",
        "customer_initiated", "orphan", "customer_id", "reason", "channel", "queue",
        "program", "site", "vendor", "handled_by", "agent_id", "arrived_at", "answered_at",
        "ended_at", "abandoned", "transferred", "escalated", "resolved",
        handle_s=handle.cast("float64"), local_time=steps.local_time)


def summarise_journeys(steps: ir.Table, surveys: ir.Table) -> ir.Table:
    """One journeys row (without built_at) per journey in `steps` (every step of each).

    The outcome is that of the last customer-initiated contact's tree (the contact and its
    transfers and escalations): its final step's outcome."""
    s = steps
    trees = s.group_by(["journey_id", "root_contact_id"]).aggregate(
        __root_step=s.step.min(where=s.contact_id == s.root_contact_id),
        __final=s.step.max())
    latest = trees.group_by("journey_id").aggregate(__latest=trees.__root_step.max(),
                                                    __last=trees.__final.max())
    ends = trees.join(latest, (trees.journey_id == latest.journey_id)
                      & (trees.__root_step == latest.__latest)).select(
        __ejid=trees.journey_id, __final=trees.__final, __last=latest.__last)
    # One join gives every step its journey's final and last step numbers; the outcome and
    # the last channel are then conditional aggregates (arg_max is not portable: SQLite's
    # bare-column max picks one row per query).
    s = s.join(ends, s.journey_id == ends.__ejid)
    answered_ok = (s.answered_at.notnull() & ~ibis.coalesce(s.abandoned, False)
                   & ibis.coalesce(s.resolved, True))
    unresolved = surveys.filter(surveys.resolved_reported == False)  # noqa: E712 (SQL)
    start = s.contact_id == s.journey_id

    def count(condition: ir.BooleanValue) -> ir.IntegerScalar:
        return ibis.coalesce(condition, False).ifelse(1, 0).sum().cast("int64")

    journeys = s.group_by("journey_id").aggregate(
        customer_id=s.customer_id.max(where=start),
        reason=s.reason.max(where=start),
        orphan=s.orphan.any(),
        started_at=s.arrived_at.min(where=start),
        ended_at=ibis.coalesce(s.ended_at.max(), s.arrived_at.max()),
        local_time=s.local_time.min(where=start),
        contacts=count(s.customer_initiated),
        segments=s.count().cast("int64"),
        channels=s.channel.nunique().cast("int64"),
        first_channel=s.channel.max(where=start),
        program=s.program.max(where=start),
        site=s.site.max(where=start),
        vendor=s.vendor.max(where=start),
        queue=s.queue.max(where=start),
        handled_by=s.handled_by.max(where=start),
        last_channel=s.channel.max(where=s.step == s.__last),
        __ok=(s.step == s.__final).ifelse(answered_ok, False).any(),
        __said_no=count(s.contact_id.isin(unresolved.contact_id)),
        handle_s=s.handle_s.sum().cast("float64"),
        bot_steps=count(s.handled_by == "bot"),
        agent_steps=count(s.handled_by == "agent"),
        escalations=count(s.escalated),
        transfers=count(s.transferred),
        abandoned_steps=count(s.abandoned),
    )
    resolved = ibis.ifelse(journeys.contacts > 0,
                           ibis.coalesce(journeys.__ok, False) & (journeys.__said_no == 0),
                           ibis.null("boolean"))
    return journeys.mutate(unknown_customer=journeys.customer_id.isnull(),
                           resolved=resolved).drop("__ok", "__said_no")
