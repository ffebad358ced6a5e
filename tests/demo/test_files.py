"""The demo's files are canonical: every row passes the schema's rules, runs are repeatable."""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from cxpm.demo import DEFAULT_END_DATE, simulate_operation
from cxpm.errors import CxpmError
from cxpm.schema import TABLES

from .conftest import SMALL

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# Evaluations are item-level answers in evaluations.json, scored on import (test_demo_qa.py).
CSV_TABLES = sorted(set(TABLES) - {"evaluations", "evaluation_items"})


def parse(value: str, col_type: str) -> object:
    """The value in its column type; raises ValueError when it does not parse."""
    if col_type == "timestamp":
        if not TIMESTAMP.match(value):
            raise ValueError(f"not an ISO 8601 UTC timestamp: {value!r}")
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    if col_type == "bool":
        if value not in ("true", "false"):
            raise ValueError(f"not a boolean: {value!r}")
        return value == "true"
    if col_type == "int":
        return int(value)
    if col_type == "float":
        return float(value)
    return value


def violations(table_name: str, rows: list[dict[str, str]]) -> list[str]:
    table = TABLES[table_name]
    problems = []
    seen_keys = set()
    for line, row in enumerate(rows, start=2):
        values = {}
        for col in table.columns:
            raw = row[col.name]
            if raw == "":
                if col.required:
                    problems.append(f"{table_name}:{line} {col.name} is required")
                values[col.name] = None
                continue
            try:
                value = parse(raw, col.type)
            except ValueError as err:
                problems.append(f"{table_name}:{line} {col.name}: {err}")
                continue
            if col.enum and value not in col.enum:
                problems.append(f"{table_name}:{line} {col.name}={value!r} not in enum")
            if col.minimum is not None and value < col.minimum:
                problems.append(f"{table_name}:{line} {col.name}={value} below minimum")
            if col.maximum is not None and value > col.maximum:
                problems.append(f"{table_name}:{line} {col.name}={value} above maximum")
            values[col.name] = value
        for order in table.orders:
            early, late = values.get(order.earlier), values.get(order.later)
            if early is not None and late is not None and late < early:
                problems.append(f"{table_name}:{line} {order.later} before {order.earlier}")
        key = tuple(row[k] for k in table.key)
        if key in seen_keys:
            problems.append(f"{table_name}:{line} duplicate key {key}")
        seen_keys.add(key)
    return problems


def test_every_canonical_table_is_written(small_run):
    assert set(small_run) == {*CSV_TABLES, "evaluations"}
    for table in CSV_TABLES:
        paths = small_run[table]
        assert paths and all(p.name.endswith(".csv") and p.exists() for p in paths), table
    assert [p.name for p in small_run["evaluations"]] == ["evaluations.json"]


@pytest.mark.parametrize("table_name", CSV_TABLES)
def test_headers_are_the_canonical_columns(small_run, table_name):
    header = small_run[table_name][0].read_text(encoding="utf-8").splitlines()[0]
    assert header.replace('"', "").split(",") == TABLES[table_name].column_names


@pytest.mark.parametrize("table_name", CSV_TABLES)
def test_every_row_passes_the_schema_rules(rows, table_name):
    assert rows[table_name], f"{table_name} is empty"
    problems = violations(table_name, rows[table_name])
    assert problems == [], problems[:10]


def test_the_validator_catches_bad_rows():
    good = {"agent_id": "A1", "state": "available", "started_at": "2026-08-01T07:00:00Z",
            "ended_at": "2026-08-01T07:10:00Z"}
    assert violations("agent_states", [good]) == []
    bad = [dict(good, state="asleep"), dict(good, ended_at="2026-08-01T06:00:00Z"),
           dict(good, started_at="2026-08-01 07:00:00"), dict(good, agent_id="")]
    for row in bad:
        assert len(violations("agent_states", [row])) == 1, row
    assert len(violations("agent_states", [good, good])) == 1


@pytest.mark.parametrize("table_name", ["agent_states", "schedules"])
def test_time_logs_never_overlap_per_agent(rows, table_name):
    by_agent = defaultdict(list)
    for row in rows[table_name]:
        by_agent[row["agent_id"]].append((row["started_at"], row["ended_at"]))
    for agent, spans in by_agent.items():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end, f"{agent}: {table_name} overlap at {start}"


def test_same_arguments_give_identical_files(small_run, tmp_path: Path):
    again = simulate_operation(tmp_path, **SMALL)
    for table, paths in small_run.items():
        assert paths[0].read_bytes() == again[table][0].read_bytes(), table


def test_another_seed_gives_other_data(small_run, tmp_path: Path):
    other = simulate_operation(tmp_path, **dict(SMALL, seed=SMALL["seed"] + 1))
    assert other["contacts"][0].read_bytes() != small_run["contacts"][0].read_bytes()


def test_period_ends_on_the_end_date_in_the_reporting_zone(rows):
    arrivals = [r["arrived_at"] for r in rows["contacts"]]
    # Last local day is DEFAULT_END_DATE in New York (UTC-4 in October).
    assert max(arrivals) < "2026-11-01T04:00:00Z"
    assert max(arrivals) >= f"{DEFAULT_END_DATE.isoformat()}T04:00:00Z"
    assert min(arrivals) >= "2026-10-18T04:00:00Z"


def test_progress_is_reported_up_to_done(tmp_path: Path):
    steps = []
    simulate_operation(tmp_path, days=2, scale=0.05, progress=lambda s, f: steps.append(f))
    assert steps == sorted(steps) and steps[-1] == 1.0


def test_a_tiny_run_still_has_rows_in_every_table(tmp_path: Path):
    files = simulate_operation(tmp_path, days=1, scale=0.01)
    for table, paths in files.items():
        assert len(paths[0].read_text().splitlines()) > 1, table
    evaluations = json.loads(files["evaluations"][0].read_text())["evaluations"]
    assert evaluations and all(e["answers"] for e in evaluations)


@pytest.mark.parametrize("kwargs", [{"days": 0}, {"scale": 0}, {"timezone": "Mars/Olympus"}])
def test_bad_arguments_are_clear_errors(tmp_path: Path, kwargs):
    with pytest.raises(CxpmError):
        simulate_operation(tmp_path, **kwargs)
