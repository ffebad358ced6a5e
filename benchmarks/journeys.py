"""Benchmark: journey stitching (`build_journeys`, full) against one hand-written DuckDB query.

    python benchmarks/journeys.py                 # 10M contacts (default)
    python benchmarks/journeys.py --rows 1000000  # quicker
    python benchmarks/journeys.py --chunk-rows 100000000  # the full build in one slice

N synthetic contacts are written to Parquet and loaded once into a workspace warehouse:
customers (a quarter as many as contacts, so most come back) with a few reasons over a year,
about 15 % transfer and escalation segments (chains of up to three levels, a few orphans
whose parent is not loaded), 4 % unknown customers and 2 % outbound contacts. Then, each in
its own process (so peak memory is measured separately), `build_journeys(full=True)` writes
the journeys and journey_steps tables, and a hand-written DuckDB query (a recursive CTE for
the roots, window functions for the journeys) computes the journey id of every contact into
a table. The script checks that both give every contact the same journey id, and prints both
times (best of --repeat), the ratio cxpm / hand-written (goal: <= 2) and each process's peak
resident memory. The cxpm build does more than the query: it also writes every step's
columns and the journeys summary (outcome, channels, handle time ...), so the script also
times cxpm's stitching alone (the journey id of every contact, like the query).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from peak_memory import peak_rss_mb
from synthetic import organisation_columns, table_from_columns

from cxpm.journeys.build import CHUNK_ROWS
from cxpm.schema import TABLES
from cxpm.warehouse import arrow_schema

CHUNK = 1_000_000
YEAR_START = np.datetime64("2025-01-01T00:00:00", "us")
SECONDS_IN_YEAR = 365 * 24 * 3600
LEVEL1 = 0.13  # share of customer-initiated contacts with a transfer or escalation
LEVEL2 = 0.035  # ... whose segment is transferred again
LEVEL3 = 0.01
WINDOW_S = 7 * 86400


def _us(seconds: np.ndarray) -> np.ndarray:
    return (seconds * 1e6).astype("timedelta64[us]")


def _chunk(rng: np.random.Generator, start: int, rows: int, customers: int) -> pa.Table:
    """`rows` contacts: customer-initiated ones, then their segments (parents first)."""
    roots = int(rows / (1 + LEVEL1 + LEVEL2 + LEVEL3))
    ids = np.char.add("c", np.arange(start, start + rows).astype(str))
    arrived = np.empty(rows, dtype="datetime64[us]")
    parent = np.full(rows, None, dtype=object)
    arrived[:roots] = YEAR_START + _us(rng.random(roots) * SECONDS_IN_YEAR)
    customer = np.char.add("k", rng.integers(0, customers, rows).astype(str)).astype(object)
    customer[:roots][rng.random(roots) < 0.04] = None
    reason = rng.choice(np.array(["billing", "tech", "sales", "account"]), rows).astype(object)
    reason[rng.random(rows) < 0.05] = None
    # Segments: each level points at random rows of the level above and copies its customer.
    level_start, level_size, filled = 0, roots, roots
    for share in (LEVEL1, LEVEL2, LEVEL3):
        size = min(int(roots * share), rows - filled)
        above = level_start + rng.integers(0, level_size, size)
        span = slice(filled, filled + size)
        parent[span] = ids[above]
        arrived[span] = arrived[above] + _us(rng.uniform(60, 900, size))
        customer[span] = customer[above]
        reason[span] = reason[above]
        level_start, level_size, filled = filled, size, filled + size
    arrived[filled:] = YEAR_START + _us(rng.random(rows - filled) * SECONDS_IN_YEAR)
    orphans = rng.random(rows) < 0.001
    parent[orphans] = np.char.add("missing", ids[orphans]).astype(object)
    is_segment = np.zeros(rows, dtype=bool)
    is_segment[roots:filled] = True
    abandoned = rng.random(rows) < 0.06
    wait = rng.exponential(30.0, rows)
    answered = np.where(abandoned, np.datetime64("NaT"), arrived + _us(wait))
    talk = np.where(abandoned, np.nan, rng.gamma(4.0, 70.0, rows))
    ended = np.where(abandoned, arrived + _us(wait), answered + _us(np.nan_to_num(talk)))
    bot = (~is_segment) & (rng.random(rows) < 0.3)
    columns = {
        "contact_id": ids,
        "parent_contact_id": parent,
        "customer_id": customer,
        "channel": rng.choice(np.array(["voice", "chat", "email", "messaging"]), rows,
                              p=[0.6, 0.2, 0.1, 0.1]),
        "direction": np.where((~is_segment) & (rng.random(rows) < 0.02), "outbound",
                              "inbound"),
        "handled_by": np.where(bot, "bot", "agent"),
        **organisation_columns(rng, rows),
        "arrived_at": arrived,
        "answered_at": answered,
        "ended_at": ended,
        "abandoned": abandoned,
        "talk_s": talk,
        "hold_s": None,
        "wrap_s": None,
        "transferred": rng.random(rows) < 0.1,
        "escalated": bot & (rng.random(rows) < 0.3),
        "reason": reason,
        "resolved": rng.random(rows) < 0.8,
        "revenue": None,
        "local_time": arrived,
        "source": np.full(rows, "benchmark"),
        "batch_id": np.full(rows, "benchmark"),
    }
    return table_from_columns(columns, arrow_schema(TABLES["contacts"]), rows)


def generate(folder: Path, rows: int, seed: int) -> list[Path]:
    rng = np.random.default_rng(seed)
    customers = max(1, rows // 4)
    files = []
    for index, start in enumerate(range(0, rows, CHUNK)):
        path = folder / f"contacts-{index:03d}.parquet"
        pq.write_table(_chunk(rng, start, min(CHUNK, rows - start), customers), path)
        files.append(path)
    return files


def load(workspace: Path, files: list[Path]) -> None:
    """Straight into the warehouse, with a batch record so the build sees one batch."""
    from cxpm.workspace import init_workspace

    ws = init_workspace(workspace, "UTC")
    pattern = str(files[0].parent / "contacts-*.parquet")
    con = ws.warehouse.con
    con.raw_sql("SET enable_progress_bar = false")
    con.raw_sql(f"INSERT INTO contacts SELECT * FROM read_parquet('{pattern}')")
    con.raw_sql("INSERT INTO ingest_batches VALUES ('benchmark', 'contacts', 'benchmark', '', "
                "0, 0, 0, 0, TIMESTAMP '2026-01-01 00:00:00')")
    ws.close()


HAND_WRITTEN_SQL = f"""
CREATE OR REPLACE TABLE hand AS
WITH RECURSIVE walk(contact_id, cur, depth) AS (
  SELECT contact_id, contact_id, 0 FROM w.contacts WHERE parent_contact_id IS NOT NULL
  UNION ALL
  SELECT walk.contact_id, p.contact_id, walk.depth + 1
  FROM walk JOIN w.contacts c ON c.contact_id = walk.cur
            JOIN w.contacts p ON p.contact_id = c.parent_contact_id
  WHERE walk.depth < 20
),
roots AS (SELECT contact_id, arg_max(cur, depth) AS root FROM walk GROUP BY contact_id),
ci AS (
  SELECT contact_id, customer_id, reason, arrived_at,
         epoch(arrived_at) - lag(epoch(arrived_at)) OVER byc AS gap
  FROM w.contacts
  WHERE parent_contact_id IS NULL AND coalesce(direction, 'inbound') <> 'outbound'
  WINDOW byc AS (PARTITION BY customer_id, reason ORDER BY arrived_at, contact_id)
),
runs AS (
  SELECT *, sum(is_start::INT) OVER (PARTITION BY customer_id, reason
                                     ORDER BY arrived_at, contact_id
                                     ROWS UNBOUNDED PRECEDING) AS run
  FROM (SELECT *, customer_id IS NULL OR gap IS NULL OR gap > {WINDOW_S} AS is_start FROM ci)
),
ci_journeys AS (
  SELECT contact_id,
         CASE WHEN customer_id IS NULL THEN contact_id
              ELSE max(CASE WHEN is_start THEN contact_id END)
                   OVER (PARTITION BY customer_id, reason, run) END AS journey_id
  FROM runs
),
placed AS (
  SELECT c.contact_id, coalesce(r.root, c.contact_id) AS root FROM w.contacts c
  LEFT JOIN roots r USING (contact_id)
)
SELECT placed.contact_id,
       coalesce(j.journey_id, CASE WHEN rc.parent_contact_id IS NOT NULL
                                   THEN placed.root END) AS journey_id
FROM placed
LEFT JOIN ci_journeys j ON j.contact_id = placed.root
LEFT JOIN w.contacts rc ON rc.contact_id = placed.root
WHERE coalesce(j.journey_id, CASE WHEN rc.parent_contact_id IS NOT NULL
                                  THEN placed.root END) IS NOT NULL
"""


def measure(which: str, workspace: Path, repeat: int, out: Path,
            chunk_rows: int | None = None) -> None:
    """Child process: time `which` `repeat` times, write its (contact_id, journey_id) to
    `out` (untimed) and print timings and peak RSS as JSON."""
    import duckdb

    times = []
    if which == "cxpm":
        from cxpm.journeys.build import build_journeys
        from cxpm.workspace import open_workspace

        for _ in range(repeat):
            ws = open_workspace(workspace)
            ws.warehouse.con.raw_sql("SET enable_progress_bar = false")
            started = time.perf_counter()
            build_journeys(ws, full=True, chunk_rows=chunk_rows or CHUNK_ROWS)
            times.append(time.perf_counter() - started)
            ws.close()
        peak_mb = peak_rss_mb()
        stitch_times = _stitch_only(workspace, repeat)
        con = duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True)
        con.execute(f"COPY (SELECT contact_id, journey_id FROM journey_steps) TO '{out}' "
                    "(FORMAT parquet)")
    else:
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH '{workspace / 'warehouse.duckdb'}' AS w (READ_ONLY)")
        for _ in range(repeat):
            started = time.perf_counter()
            con.execute(HAND_WRITTEN_SQL)
            times.append(time.perf_counter() - started)
        peak_mb = peak_rss_mb()
        con.execute(f"COPY hand TO '{out}' (FORMAT parquet)")
    con.close()
    print(json.dumps({"best_s": min(times), "times_s": times, "peak_rss_mb": peak_mb,
                      "stitch_best_s": min(stitch_times) if which == "cxpm" else None}))


def _stitch_only(workspace: Path, repeat: int) -> list[float]:
    """The like-for-like part: the journey id of every contact, as the hand-written query
    computes it, without writing the two tables."""
    from cxpm.journeys.stitch import StitchParams, stitch_steps
    from cxpm.workspace import open_workspace

    times = []
    ws = open_workspace(workspace)
    contacts = ws.warehouse.table("contacts")
    for _ in range(repeat):
        started = time.perf_counter()
        ids = stitch_steps(contacts, contacts, StitchParams(7, True))
        ws.warehouse.con.to_pyarrow(ids.select("contact_id", "journey_id"))
        times.append(time.perf_counter() - started)
    ws.close()
    return times


def _child(which: str, workspace: Path, repeat: int, out: Path,
           chunk_rows: int | None = None) -> dict:
    chunking = ["--chunk-rows", str(chunk_rows)] if chunk_rows else []
    done = subprocess.run([sys.executable, __file__, "--measure", which, "--workspace",
                           str(workspace), "--repeat", str(repeat), "--out", str(out),
                           *chunking], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(ours: Path, hand: Path) -> tuple[int, int]:
    """(contacts compared, contacts whose journey ids differ or that only one side has)."""
    import duckdb

    con = duckdb.connect()
    total, differ = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE a.journey_id IS DISTINCT FROM b.journey_id) "
        f"FROM read_parquet('{ours}') a FULL JOIN read_parquet('{hand}') b "
        f"USING (contact_id)").fetchone()
    con.close()
    return total, differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chunk-rows", type=int, default=None,
                        help="Contacts per slice of the full build (default: cxpm's).")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="Keep data here (default: a temporary folder).")
    parser.add_argument("--measure", choices=["cxpm", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.workspace, args.repeat, args.out, args.chunk_rows)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        files = generate(folder, args.rows, args.seed)
        workspace = folder / "workspace"
        load(workspace, files)
        print(f"{args.rows:,} contacts generated and loaded in "
              f"{time.perf_counter() - started:.1f} s ({datetime.now():%Y-%m-%d %H:%M})",
              flush=True)
        hand = _child("duckdb", workspace, args.repeat, folder / "hand.parquet")
        ours = _child("cxpm", workspace, args.repeat, folder / "cxpm.parquet",
                      args.chunk_rows)
        total, differ = compare(folder / "cxpm.parquet", folder / "hand.parquet")
        print(f"contacts in journeys: {total:,}; journey ids agree: {differ == 0}"
              + (f" ({differ:,} differ)" if differ else ""))
        for name, run in (("hand-written DuckDB", hand), ("cxpm build_journeys", ours)):
            print(f"{name:20}: {run['best_s']:.3f} s  peak RSS {run['peak_rss_mb']:.0f} MB")
        print(f"{'ratio cxpm / hand':20}: {ours['best_s'] / hand['best_s']:.2f}  (goal <= 2); "
              f"full build in slices of {args.chunk_rows or CHUNK_ROWS:,} contacts")
        print(f"{'cxpm stitching only':20}: {ours['stitch_best_s']:.3f} s  (journey ids of "
              f"every contact, tables not written); ratio to hand "
              f"{ours['stitch_best_s'] / hand['best_s']:.2f}")
        if differ:
            sys.exit(1)


if __name__ == "__main__":
    main()
