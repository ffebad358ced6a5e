"""Materialise journeys and journey_steps, fully or for the customers touched by new data."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from itertools import pairwise
from typing import Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.journeys.stitch import (
    StitchParams,
    chunk_key,
    customer_initiated,
    find_roots,
    keyed_roots,
    stitch_steps,
    summarise_journeys,
)
from cxpm.journeys.tables import (
    JOURNEYS_SCHEMA,
    JOURNEYS_TABLE,
    STEPS_SCHEMA,
    STEPS_TABLE,
)
from cxpm.store.db import utc_now
from cxpm.warehouse import BATCHES_TABLE, META_SCHEMA, META_TABLE, Warehouse
from cxpm.workspace import Workspace

Progress = Callable[[int, int], None]
BATCHES_KEY = "journeys.batches"
PARAMS_KEY = "journeys.params"
# Tables whose new batches change journeys: contacts (membership), surveys (resolved).
INPUT_TABLES = ("contacts", "surveys")
_AFFECTED = "journeys_affected"
_SLICE = "journey_steps_slice"
_STAGES = 4
# A full build stitches about this many contacts at a time (see _write_full).
CHUNK_ROWS = 500_000


class JourneyBuildSummary(BaseModel):
    """What one build did: journeys_rebuilt = journeys written by this build; journeys and
    steps = rows in the tables afterwards."""

    mode: Literal["full", "incremental", "unchanged"]
    why_full: str | None = None
    new_batches: int
    customers_rebuilt: int
    journeys_rebuilt: int
    journeys: int
    steps: int
    seconds: float


def build_journeys(workspace: Workspace, *, full: bool = False,
                   progress: Progress | None = None,
                   chunk_rows: int = CHUNK_ROWS) -> JourneyBuildSummary:
    """Write journeys and journey_steps. Incremental unless `full`, the tables are missing
    or the window parameters changed since the last build. progress(done, total) is called
    after each stage."""
    params = StitchParams.from_params(workspace.metric_params())
    return build_in_warehouse(workspace.warehouse, params, full=full, progress=progress,
                              chunk_rows=chunk_rows)


def build_in_warehouse(warehouse: Warehouse, params: StitchParams, *, full: bool = False,
                       progress: Progress | None = None,
                       chunk_rows: int = CHUNK_ROWS) -> JourneyBuildSummary:
    started = time.perf_counter()
    con = warehouse.con
    report = progress or (lambda done, total: None)
    meta = read_meta(warehouse)
    done_batches = set(json.loads(meta.get(BATCHES_KEY, "[]")))
    all_batches = _input_batches(warehouse)
    new = {table: sorted(b for b in ids if b not in done_batches)
           for table, ids in all_batches.items()}
    existing = set(con.list_tables())
    why_full = _why_full(full, existing, meta, params)
    report(1, _STAGES)
    if why_full is None and not any(new.values()):
        report(_STAGES, _STAGES)
        return JourneyBuildSummary(
            mode="unchanged", new_batches=0, customers_rebuilt=0, journeys_rebuilt=0,
            journeys=_count(con.table(JOURNEYS_TABLE)), steps=_count(con.table(STEPS_TABLE)),
            seconds=time.perf_counter() - started)
    contacts = warehouse.table("contacts")
    surveys = warehouse.table("surveys")
    built_at = utc_now()
    with warehouse.transaction():
        for name, schema in ((JOURNEYS_TABLE, JOURNEYS_SCHEMA), (STEPS_TABLE, STEPS_SCHEMA)):
            if name not in existing:
                con.create_table(name, schema=schema)
        if why_full is not None:
            customers = _count(contacts.filter(contacts.customer_id.notnull())
                               .select("customer_id").distinct())
            _clear(warehouse)
            report(2, _STAGES)
            _write_full(warehouse, contacts, surveys, params, built_at, chunk_rows)
            report(3, _STAGES)
        else:
            rows, customers = _incremental_scope(warehouse, contacts, surveys, new)
            report(2, _STAGES)
            _write_steps(warehouse, stitch_steps(contacts, rows, params), built_at)
            report(3, _STAGES)
            stored = con.table(STEPS_TABLE)
            _write_journeys(warehouse, stored.filter(stored.built_at == built_at), surveys,
                            built_at)
        meta[BATCHES_KEY] = json.dumps(sorted(done_batches | {
            b for ids in all_batches.values() for b in ids}))
        meta[PARAMS_KEY] = _params_text(params)
        _write_meta(warehouse, meta)
    report(_STAGES, _STAGES)
    table = con.table(JOURNEYS_TABLE)
    rebuilt = _count(table.filter(table.built_at == built_at))
    return JourneyBuildSummary(
        mode="full" if why_full is not None else "incremental", why_full=why_full,
        new_batches=sum(len(ids) for ids in new.values()), customers_rebuilt=customers,
        journeys_rebuilt=rebuilt,
        journeys=_count(table), steps=_count(con.table(STEPS_TABLE)),
        seconds=time.perf_counter() - started)


def journeys_status(warehouse: Warehouse, params: StitchParams) -> str | None:
    """Why the journeys tables cannot be used as they are (None when they are current, or
    missing while no contacts or surveys were ever loaded: then there are no journeys)."""
    existing = set(warehouse.con.list_tables())
    if JOURNEYS_TABLE not in existing or STEPS_TABLE not in existing:
        if BATCHES_TABLE in existing and not any(_input_batches(warehouse).values()):
            return None
        return "the journeys tables are missing"
    meta = read_meta(warehouse)
    if meta.get(PARAMS_KEY) != _params_text(params):
        return ("repeat.window_days or repeat.match_reason changed since the journeys were "
                "built")
    done = set(json.loads(meta.get(BATCHES_KEY, "[]")))
    pending = sum(1 for ids in _input_batches(warehouse).values() for b in ids
                  if b not in done)
    if pending:
        return f"{pending} batch(es) of contacts or surveys were loaded since the last build"
    return None


def check_current(warehouse: Warehouse, params: StitchParams) -> None:
    """Raise a CxpmError telling the user to build when the journeys are missing or stale."""
    problem = journeys_status(warehouse, params)
    if problem is not None:
        raise CxpmError(f"{problem}: run cxpm journeys build")


def read_meta(warehouse: Warehouse) -> dict[str, str]:
    if META_TABLE not in warehouse.con.list_tables():
        return {}
    return {row["key"]: row["value"]
            for row in warehouse.table(META_TABLE).to_pyarrow().to_pylist()}


def _write_meta(warehouse: Warehouse, meta: dict[str, str]) -> None:
    rows = ibis.memtable({"key": list(meta), "value": list(meta.values())}, schema=META_SCHEMA)
    warehouse.con.insert(META_TABLE, rows, overwrite=True)


def _params_text(params: StitchParams) -> str:
    return json.dumps({"window_days": params.window_days,
                       "match_reason": params.match_reason}, sort_keys=True)


def _why_full(full: bool, existing: set[str], meta: dict[str, str],
              params: StitchParams) -> str | None:
    if full:
        return "asked for"
    if JOURNEYS_TABLE not in existing or STEPS_TABLE not in existing:
        return "first build"
    if meta.get(PARAMS_KEY) != _params_text(params):
        return "repeat.window_days or repeat.match_reason changed"
    return None


def _input_batches(warehouse: Warehouse) -> dict[str, list[str]]:
    batches = warehouse.table(BATCHES_TABLE)
    rows = (batches.filter(batches.table_name.isin(list(INPUT_TABLES)))
            .select("table_name", "batch_id").distinct().to_pyarrow().to_pylist())
    out: dict[str, list[str]] = {t: [] for t in INPUT_TABLES}
    for row in rows:
        out[row["table_name"]].append(row["batch_id"])
    return out


def _count(table: ir.Table) -> int:
    return int(table.count().to_pyarrow().as_py())


def _clear(warehouse: Warehouse) -> None:
    for name in (JOURNEYS_TABLE, STEPS_TABLE):
        warehouse.con.truncate_table(name)


def _write_steps(warehouse: Warehouse, steps: ir.Table, built_at: object,
                 into: str = STEPS_TABLE) -> None:
    steps = steps.mutate(built_at=ibis.literal(built_at))
    warehouse.con.insert(into, steps.select(*STEPS_SCHEMA.names))


def _write_journeys(warehouse: Warehouse, steps: ir.Table, surveys: ir.Table,
                    built_at: object) -> None:
    journeys = summarise_journeys(steps, surveys).mutate(built_at=ibis.literal(built_at))
    warehouse.con.insert(JOURNEYS_TABLE, journeys.select(*JOURNEYS_SCHEMA.names))


def _write_full(warehouse: Warehouse, contacts: ir.Table, surveys: ir.Table,
                params: StitchParams, built_at: object, chunk_rows: int) -> None:
    """Stitch and write every journey, one slice of customers at a time (about `chunk_rows`
    contacts each), so the database's working memory is that of one slice, not of all the
    contacts. Stitching is per customer (chunk_key of the journey's root), so slices are
    independent and their union is exactly the unsliced result. Roots are found once.
    Up to chunk_rows contacts are written in one piece, straight from the stitching."""
    con = warehouse.con
    bounds = _chunk_bounds(con, contacts, chunk_rows)
    if len(bounds) == 1:
        _write_steps(warehouse, stitch_steps(contacts, contacts, params), built_at)
        stored = con.table(STEPS_TABLE)
        _write_journeys(warehouse, stored.filter(stored.built_at == built_at), surveys,
                        built_at)
        return
    segments = contacts.filter(contacts.parent_contact_id.notnull())
    roots = ibis.memtable(keyed_roots(contacts, find_roots(contacts, segments)))
    for low, high in bounds:
        members = roots.filter(_in_range(roots.__key, low, high))
        rows = contacts.filter(
            (contacts.parent_contact_id.isnull() & _in_range(chunk_key(contacts), low, high))
            | contacts.contact_id.isin(members.__rid))
        # The slice's steps go to a temporary table first: the journeys are summarised from
        # it rather than from journey_steps, whose growing content would otherwise be read
        # back (and held in memory) once per slice.
        con.drop_table(_SLICE, force=True)
        con.create_table(_SLICE, schema=STEPS_SCHEMA, temp=True)
        _write_steps(warehouse, stitch_steps(contacts, rows, params, roots=roots), built_at,
                     into=_SLICE)
        sliced = con.table(_SLICE)
        con.insert(STEPS_TABLE, sliced)
        _write_journeys(warehouse, sliced, surveys, built_at)
        con.drop_table(_SLICE)


def _in_range(key: ir.StringValue, low: str | None, high: str | None) -> ir.BooleanValue:
    keep = ibis.literal(True)
    if low is not None:
        keep &= key >= low
    if high is not None:
        keep &= key < high
    return keep


def _chunk_bounds(con: ibis.BaseBackend, contacts: ir.Table,
                  chunk_rows: int) -> list[tuple[str | None, str | None]]:
    """Ranges [low, high) of chunk_key splitting the contacts without a parent (the roots
    of nearly every journey) into slices of about chunk_rows; None = unbounded."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    tops = contacts.filter(contacts.parent_contact_id.isnull())
    if _count(tops) <= chunk_rows:
        return [(None, None)]
    keys = con.to_pyarrow(tops.group_by(__key=chunk_key(tops)).aggregate(__n=tops.count())
                          .order_by("__key"))
    sizes = keys["__n"].to_numpy()
    # Slice of each key: how many rows come before it, in whole chunks.
    slices = (np.cumsum(sizes) - sizes) // chunk_rows
    starts = np.flatnonzero(np.diff(slices) > 0) + 1
    edges: list[str | None] = [None, *keys["__key"].take(pa.array(starts)).to_pylist(), None]
    return list(pairwise(edges))


def _incremental_scope(warehouse: Warehouse, contacts: ir.Table, surveys: ir.Table,
                       new: dict[str, list[str]]) -> tuple[ir.Table, int]:
    """Delete the journeys the new batches touch; return the contacts to stitch again and
    the number of known customers among them.

    Touched: the customers of new contacts, the journeys holding a parent of a new contact,
    orphan journeys whose missing parent arrived, journeys holding a newly surveyed contact,
    and every journey of a customer of any of those."""
    con = warehouse.con
    steps = con.table(STEPS_TABLE)
    journeys = con.table(JOURNEYS_TABLE)
    fresh = contacts.filter(contacts.batch_id.isin(new["contacts"] or [""]))
    fresh_surveys = surveys.filter(surveys.batch_id.isin(new["surveys"] or [""]))
    roots = steps.filter(steps.contact_id == steps.journey_id)
    linked = (
        steps.filter(steps.contact_id.isin(fresh.parent_contact_id)
                     | steps.contact_id.isin(fresh_surveys.contact_id)).select("journey_id")
        .union(roots.filter(roots.parent_contact_id.isin(fresh.contact_id))
               .select("journey_id")))
    linked_customers = journeys.filter(journeys.journey_id.isin(linked.journey_id)).select(
        "customer_id")
    customers = (fresh.select("customer_id").union(linked_customers)
                 .filter(lambda t: t.customer_id.notnull()).distinct())
    customer_ids = con.to_pyarrow(customers)
    affected = journeys.filter(journeys.journey_id.isin(linked.journey_id)
                               | journeys.customer_id.isin(ibis.memtable(customer_ids)
                                                           .customer_id))
    affected_ids = con.to_pyarrow(affected.select("journey_id"))
    if _AFFECTED in con.list_tables():
        con.raw_sql(f'DROP TABLE "{_AFFECTED}"')
    con.create_table(_AFFECTED, schema=ibis.schema({"journey_id": "string"}))
    con.insert(_AFFECTED, affected_ids)
    old_members = con.to_pyarrow(steps.filter(steps.journey_id.isin(
        con.table(_AFFECTED).journey_id)).select(__member=steps.contact_id))
    for name in (STEPS_TABLE, JOURNEYS_TABLE):
        con.raw_sql(f'DELETE FROM "{name}" WHERE "journey_id" IN '
                    f'(SELECT "journey_id" FROM "{_AFFECTED}")')
    con.raw_sql(f'DROP TABLE "{_AFFECTED}"')
    members = ibis.memtable(old_members)
    touched = ibis.memtable(customer_ids)
    rows = contacts.filter(
        (customer_initiated(contacts) & contacts.customer_id.isin(touched.customer_id))
        | contacts.contact_id.isin(members.__member)
        | contacts.batch_id.isin(new["contacts"] or [""]))
    return rows, customer_ids.num_rows
