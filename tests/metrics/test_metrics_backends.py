"""The same definitions on other Ibis backends give the same numbers as DuckDB.

Polars runs every metric except the repeat/journey ones (the Ibis polars backend has no
window functions); SQLite runs every metric, at the grains it can truncate to.
"""

from __future__ import annotations

import pytest
from metric_helpers import memtables, polars_tables, sqlite_tables

from cxpm.errors import CxpmError
from cxpm.metrics.catalog import load_catalog
from cxpm.metrics.engine import compute, to_records

WINDOWED = {"repeat_contact_rate", "first_contact_resolution", "contacts_per_journey"}
# Metrics over the materialised journeys tables need a built workspace (tests/journeys).
JOURNEY_SOURCES = {"journeys", "journey_surveys", "bot_sessions"}
ALL_IDS = [d.id for d in load_catalog() if not JOURNEY_SOURCES & set(d.sources)]

QUERIES = [
    {},
    {"by": ["program", "site"], "grain": "month"},
    {"by": ["channel"], "grain": "week"},
    {"by": ["site"], "grain": "day", "where": {"program": ["P1", "P2"]}},
    {"grain": "month", "start": "2024-01-02", "end": "2024-02-05",
     "params": {"service_level.threshold_s_by_channel.voice": 30,
                "repeat.match_reason": False}},
]


def _usable(ids, query):
    """Metrics that accept every dimension of the query."""
    catalog = load_catalog()
    dims = [*query.get("by", ()), *query.get("where", {})]
    return [i for i in ids if all(d in catalog.get(i).dimensions for d in dims)]


def _run(tables, ids, query):
    from datetime import date

    kwargs = dict(query)
    for key in ("start", "end"):
        if key in kwargs:
            kwargs[key] = date.fromisoformat(kwargs[key])
    return to_records(compute(tables, ids, **kwargs))


def _same(left, right):
    assert left and len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], float):
                assert b[key] == pytest.approx(a[key]), (a, b)
            else:
                assert a[key] == b[key], (a, b)


@pytest.fixture(scope="module")
def duck():
    return memtables()


@pytest.mark.parametrize("query", QUERIES)
def test_polars_backend_matches_duckdb(duck, query):
    ids = _usable([i for i in ALL_IDS if i not in WINDOWED], query)
    _same(_run(duck, ids, query), _run(polars_tables(), ids, query))


def test_polars_interval_grain_matches_duckdb(duck):
    query = {"by": ["queue"], "grain": "interval", "interval_minutes": 15}
    ids = ["offered", "handled", "abandonment_rate", "service_level", "asa", "aht"]
    _same(_run(duck, ids, query), _run(polars_tables(), ids, query))


@pytest.mark.parametrize("query", [q for q in QUERIES if q.get("grain") != "week"])
def test_sqlite_backend_matches_duckdb(duck, query):
    ids = _usable(ALL_IDS, query)
    _same(_run(duck, ids, query), _run(sqlite_tables(), ids, query))


def test_backend_without_an_operation_gives_a_clear_error():
    with pytest.raises(CxpmError, match="backend cannot compute repeat_contact_rate"):
        compute(polars_tables(), ["repeat_contact_rate"])
