"""A full build stitched in slices of customers equals the build in one piece, on DuckDB and
on SQLite, and a failure between slices writes nothing."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import ibis
import pytest

import cxpm.journeys.build as build
from cxpm.journeys.build import (
    BATCHES_KEY,
    _chunk_bounds,
    _write_full,
    build_journeys,
    journeys_status,
    read_meta,
)
from cxpm.journeys.stitch import StitchParams
from cxpm.journeys.tables import JOURNEYS_SCHEMA, STEPS_SCHEMA
from cxpm.schema import TABLES
from cxpm.warehouse import Warehouse, ibis_schema
from cxpm.workspace import Workspace

from .conftest import at, contact, load, sqlite_insert

WINDOW = timedelta(days=7)


def generated_contacts(seed: int = 7) -> list[dict[str, Any]]:
    """Roots of 25 customers (some unknown, some outbound) over two months, then transfers
    and escalations in chains up to four deep, some carrying another customer than their
    root (the slice must follow the root), and orphans whose parent is never loaded."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for n in range(160):
        customer = None if rng.random() < 0.06 else f"K{rng.randrange(25):02d}"
        rows.append(contact(
            f"r{n:03d}", at(days=rng.uniform(0, 60)), customer,
            reason=rng.choice(["billing", "tech", None]),
            channel=rng.choice(["voice", "chat", "email"]),
            direction="outbound" if rng.random() < 0.05 else "inbound",
            resolved=rng.random() < 0.7, abandoned=rng.random() < 0.08,
            talk_s=rng.uniform(30, 600)))
    for n in range(70):
        parent = rng.choice(rows)
        customer = parent["customer_id"] if rng.random() < 0.8 else f"K{rng.randrange(30):02d}"
        rows.append(contact(
            f"s{n:03d}", parent["arrived_at"] + timedelta(minutes=rng.uniform(1, 30)),
            customer, parent=parent["contact_id"], reason=parent["reason"],
            handled_by=rng.choice(["agent", "bot"]), transferred=rng.random() < 0.5,
            escalated=rng.random() < 0.3, resolved=rng.random() < 0.6,
            talk_s=rng.uniform(30, 600)))
    for n in range(5):
        rows.append(contact(f"o{n}", at(days=rng.uniform(0, 60)), f"K{n:02d}",
                            parent=f"gone{n}"))
    return rows


def generated_surveys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"survey_id": f"v{n}", "contact_id": row["contact_id"],
             "responded_at": row["arrived_at"] + timedelta(hours=2), "csat": 1 + n % 5,
             "resolved_reported": n % 3 != 0}
            for n, row in enumerate(rows[::9])]


def expected_journey_ids(rows: list[dict[str, Any]]) -> dict[str, str]:
    """journey_id of every contact in a journey, from the definitions in docs/journeys.md."""
    by_id = {r["contact_id"]: r for r in rows}

    def root(row: dict[str, Any]) -> dict[str, Any]:
        while row["parent_contact_id"] in by_id:
            row = by_id[row["parent_contact_id"]]
        return row

    initiated = [r for r in rows if r["parent_contact_id"] is None
                 and r["direction"] != "outbound"]
    journey_of: dict[str, str] = {}
    groups: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for row in initiated:
        if row["customer_id"] is None:
            journey_of[row["contact_id"]] = row["contact_id"]
        else:
            groups.setdefault((row["customer_id"], row["reason"]), []).append(row)
    for group in groups.values():
        group.sort(key=lambda r: (r["arrived_at"], r["contact_id"]))
        previous = None
        for row in group:
            if previous is None or row["arrived_at"] - previous["arrived_at"] > WINDOW:
                current = row["contact_id"]
            journey_of[row["contact_id"]] = current
            previous = row
    out = {}
    for row in rows:
        top = root(row)
        if top["contact_id"] in journey_of:
            out[row["contact_id"]] = journey_of[top["contact_id"]]
        elif top["parent_contact_id"] is not None:  # orphan: its parent is not loaded
            out[row["contact_id"]] = top["contact_id"]
    return out


def tables(con: Any, *, with_built_at: bool = False) -> tuple[list, list]:
    out = []
    for name in ("journeys", "journey_steps"):
        table = con.table(name)
        table = table if with_built_at else table.drop("built_at")
        rows = con.to_pyarrow(table).to_pylist()
        out.append(sorted(rows, key=lambda r: (r["journey_id"], r.get("step") or 0)))
    return out[0], out[1]


def assert_same(found: tuple[list, list], expected: tuple[list, list]) -> None:
    """Steps exactly equal; journeys too, except that handle_s, a sum of floats, may differ
    in its last bits: the database adds a journey's steps in the order it reads them, and
    that order is how they happen to be stored, which slicing changes."""
    assert found[1] == expected[1]
    assert [{**r, "handle_s": None} for r in found[0]] == [
        {**r, "handle_s": None} for r in expected[0]]
    for mine, theirs in zip(found[0], expected[0], strict=True):
        assert math.isclose(mine["handle_s"], theirs["handle_s"], rel_tol=1e-12)


@pytest.fixture
def generated(workspace: Workspace) -> Workspace:
    rows = generated_contacts()
    load(workspace, "contacts", rows)
    load(workspace, "surveys", generated_surveys(rows))
    return workspace


def test_slices_cover_the_keys_in_order(generated: Workspace) -> None:
    contacts = generated.warehouse.table("contacts")
    con = generated.warehouse.con
    assert _chunk_bounds(con, contacts, 10_000) == [(None, None)]
    bounds = _chunk_bounds(con, contacts, 20)
    assert len(bounds) >= 5
    assert bounds[0][0] is None and bounds[-1][1] is None
    assert all(a[1] == b[0] for a, b in pairwise(bounds))
    edges = [high for _, high in bounds[:-1]]
    assert edges == sorted(edges) and len(set(edges)) == len(edges)
    # Keys (the customer, else the contact) of the contacts without a parent, by slice: no
    # slice is empty, and one holds at most chunk_rows plus the rows of its last key.
    keys = [r["customer_id"] or r["contact_id"] for r in generated_contacts()
            if r["parent_contact_id"] is None]
    largest = max(keys.count(k) for k in keys)
    for low, high in bounds:
        size = sum(1 for k in keys if (low is None or k >= low) and (high is None or k < high))
        assert 0 < size <= 20 + largest


@pytest.mark.parametrize("chunk_rows", [10, 60])
def test_sliced_full_build_equals_one_piece(generated: Workspace, chunk_rows: int) -> None:
    con = generated.warehouse.con
    assert build_journeys(generated, full=True).mode == "full"
    whole = tables(con)
    assert len(_chunk_bounds(con, generated.warehouse.table("contacts"), chunk_rows)) > 2
    assert build_journeys(generated, full=True, chunk_rows=chunk_rows).mode == "full"
    sliced = tables(con)
    assert_same(sliced, whole)
    expected = expected_journey_ids(generated_contacts())
    assert {r["contact_id"]: r["journey_id"] for r in sliced[1]} == expected
    assert len(sliced[0]) == len(set(expected.values()))
    # Every row of both tables carries this build's built_at.
    built = tables(con, with_built_at=True)
    assert len({r["built_at"] for rows in built for r in rows}) == 1


def test_incremental_after_a_sliced_build(generated: Workspace) -> None:
    build_journeys(generated, full=True, chunk_rows=40)
    more = [contact("z1", at(days=20), "K03", reason="tech"),
            contact("z2", at(days=21), None),
            contact("z3", at(days=21, minutes=5), "K03", parent="r010"),
            contact("gone2", at(days=10), "K02")]
    load(generated, "contacts", more)
    assert build_journeys(generated, chunk_rows=40).mode == "incremental"
    incremental = tables(generated.warehouse.con)
    assert build_journeys(generated, full=True, chunk_rows=40).mode == "full"
    assert_same(tables(generated.warehouse.con), incremental)
    expected = expected_journey_ids(generated_contacts() + more)
    assert {r["contact_id"]: r["journey_id"] for r in incremental[1]} == expected


def test_failure_between_slices_writes_nothing(generated: Workspace,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    con = generated.warehouse.con
    build_journeys(generated, full=True, chunk_rows=40)
    before = tables(con, with_built_at=True)
    meta = read_meta(generated.warehouse)
    load(generated, "contacts", [contact("late1", at(days=30), "K07")])
    calls = []
    real = build._write_journeys

    def failing(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        real(*args, **kwargs)

    monkeypatch.setattr(build, "_write_journeys", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        build_journeys(generated, full=True, chunk_rows=40)
    assert len(calls) == 3  # two slices were written before the failure
    assert tables(con, with_built_at=True) == before
    assert read_meta(generated.warehouse) == meta
    assert "late1" not in meta[BATCHES_KEY]
    params = StitchParams.from_params(generated.metric_params())
    assert "1 batch(es)" in (journeys_status(generated.warehouse, params) or "")
    monkeypatch.setattr(build, "_write_journeys", real)
    assert build_journeys(generated, chunk_rows=40).mode == "incremental"
    steps = tables(con)[1]
    assert {r["contact_id"] for r in steps} == {r["contact_id"] for r in before[1]} | {"late1"}


def test_sliced_build_on_sqlite_equals_duckdb(generated: Workspace) -> None:
    build_journeys(generated, full=True)
    duck = tables(generated.warehouse.con)
    rows = generated_contacts()
    con = ibis.sqlite.connect()
    for name, data in (("contacts", rows), ("surveys", generated_surveys(rows))):
        table = TABLES[name]
        full = [{c.name: row.get(c.name) for c in table.columns} for row in data]
        sqlite_insert(con, name, ibis_schema(table),
                      [{**row, "local_time": row[table.time_column]} for row in full])
    # The slicing on SQLite (the build around it truncates tables, which SQLite lacks).
    con.create_table("journeys", schema=JOURNEYS_SCHEMA)
    con.create_table("journey_steps", schema=STEPS_SCHEMA)
    assert len(_chunk_bounds(con, con.table("contacts"), 20)) > 2
    _write_full(Warehouse(con), con.table("contacts"), con.table("surveys"),
                StitchParams(7, True), datetime(2026, 1, 1), chunk_rows=20)
    lite = tables(con)
    assert_same(lite, duck)
    assert {r["built_at"] for r in tables(con, with_built_at=True)[0]} == {
        datetime(2026, 1, 1)}
