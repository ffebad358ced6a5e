"""Benchmark: the metric engine against one hand-written DuckDB query on the same data.

    python benchmarks/metrics_engine.py                 # 10M contacts (default)
    python benchmarks/metrics_engine.py --rows 1000000  # quicker

N synthetic contacts are written to Parquet and loaded once into a workspace warehouse.
Then, each in its own process (so peak memory is measured separately), the engine computes
offered, handled, abandonment_rate, service_level, asa and aht by program, site, channel
and month, and a hand-written DuckDB query computes the same numbers. The script checks
that both agree, and prints both times (best of --repeat), the ratio engine / hand-written
(goal: <= 1.5 at 10M rows) and each process's peak resident memory.
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

from cxpm.schema import TABLES
from cxpm.warehouse import arrow_schema

METRICS = ["offered", "handled", "abandonment_rate", "service_level", "asa", "aht"]
BY = ["program", "site", "channel"]
CHUNK = 1_000_000
YEAR_START = np.datetime64("2025-01-01T00:00:00", "us")
SECONDS_IN_YEAR = 365 * 24 * 3600
SL_THRESHOLD_S = {"voice": 20.0, "chat": 20.0, "email": 86400.0}
SHORT_ABANDON_S = 5.0


def _chunk(rng: np.random.Generator, start: int, rows: int) -> pa.Table:
    """`rows` synthetic contacts: arrivals over a year, waits, abandons and handle times."""
    schema = arrow_schema(TABLES["contacts"])
    channel = rng.choice(np.array(["voice", "chat", "email", "messaging"]), rows,
                         p=[0.6, 0.2, 0.1, 0.1])
    arrived = YEAR_START + (rng.random(rows) * SECONDS_IN_YEAR * 1e6).astype("timedelta64[us]")
    wait_s = rng.exponential(35.0, rows)
    wait_s = np.where(channel == "email", wait_s * 600, wait_s)
    abandoned = rng.random(rows) < 0.07
    answered = np.where(abandoned, np.datetime64("NaT"),
                        arrived + (wait_s * 1e6).astype("timedelta64[us]"))
    talk = np.where(abandoned, np.nan, rng.gamma(4.0, 70.0, rows))
    hold = np.where(abandoned, np.nan, rng.exponential(20.0, rows))
    wrap = np.where(abandoned, np.nan, rng.exponential(30.0, rows))
    ended = np.where(abandoned, arrived + (wait_s * 1e6).astype("timedelta64[us]"),
                     answered + (np.nan_to_num(talk + hold) * 1e6).astype("timedelta64[us]"))
    ids = np.char.add("c", np.arange(start, start + rows).astype(str))
    columns = {
        "contact_id": ids,
        "parent_contact_id": None,
        "customer_id": np.char.add("k", rng.integers(0, rows // 3 + 1, rows).astype(str)),
        "channel": channel,
        "direction": np.where(rng.random(rows) < 0.02, "outbound", "inbound"),
        "handled_by": np.full(rows, "agent"),
        **organisation_columns(rng, rows),
        "arrived_at": arrived,
        "answered_at": answered,
        "ended_at": ended,
        "abandoned": abandoned,
        "talk_s": talk,
        "hold_s": hold,
        "wrap_s": wrap,
        "transferred": rng.random(rows) < 0.05,
        "escalated": np.zeros(rows, dtype=bool),
        "reason": rng.choice(np.array(["billing", "tech", "sales", "account"]), rows),
        "resolved": rng.random(rows) < 0.8,
        "revenue": None,
        "local_time": arrived,
        "source": np.full(rows, "benchmark"),
        "batch_id": np.full(rows, "benchmark"),
    }
    return table_from_columns(columns, schema, rows)


def generate(folder: Path, rows: int, seed: int) -> list[Path]:
    rng = np.random.default_rng(seed)
    files = []
    for index, start in enumerate(range(0, rows, CHUNK)):
        path = folder / f"contacts-{index:03d}.parquet"
        pq.write_table(_chunk(rng, start, min(CHUNK, rows - start)), path)
        files.append(path)
    return files


def load(workspace: Path, files: list[Path]) -> None:
    from cxpm.workspace import init_workspace

    ws = init_workspace(workspace, "UTC")
    pattern = str(files[0].parent / "contacts-*.parquet")
    ws.warehouse.con.raw_sql("SET enable_progress_bar = false")
    ws.warehouse.con.raw_sql(f"INSERT INTO contacts SELECT * FROM read_parquet('{pattern}')")
    ws.close()


HAND_WRITTEN_SQL = """
WITH c AS (
  SELECT program, site, channel,
         date_trunc('month', local_time) AS period_start,
         abandoned, answered_at IS NOT NULL AS handled,
         epoch(answered_at) - epoch(arrived_at) AS wait_s,
         epoch(ended_at) - epoch(arrived_at) AS abandon_after_s,
         coalesce(talk_s, 0) + coalesce(hold_s, 0) + coalesce(wrap_s, 0) AS handle_s,
         CASE channel WHEN 'email' THEN 86400.0 ELSE 20.0 END AS threshold_s
  FROM contacts
  WHERE coalesce(direction, 'inbound') <> 'outbound'
)
SELECT program, site, channel, period_start,
       count(*) AS offered,
       count(*) FILTER (WHERE handled) AS handled,
       count(*) FILTER (WHERE abandoned) AS abandoned,
       count(*) FILTER (WHERE handled AND wait_s <= threshold_s) AS answered_within,
       count(*) FILTER (WHERE abandoned AND abandon_after_s > threshold_s) AS abandoned_after,
       sum(wait_s) FILTER (WHERE handled) AS wait_sum,
       sum(handle_s) FILTER (WHERE handled) AS handle_sum
FROM c
GROUP BY ALL
"""


def hand_written(con) -> dict[tuple, dict[str, float | None]]:
    """Run the hand-written query and derive the six metrics from its sums."""
    table = con.sql(HAND_WRITTEN_SQL).to_arrow_table().to_pylist()
    results = {}
    for row in table:
        key = (row["program"], row["site"], row["channel"], row["period_start"])
        handled = row["handled"]
        sl_den = handled + row["abandoned_after"]
        results[key] = {
            "offered": row["offered"],
            "handled": handled,
            "abandonment_rate": row["abandoned"] / row["offered"] if row["offered"] else None,
            "service_level": row["answered_within"] / sl_den if sl_den else None,
            "asa": row["wait_sum"] / handled if handled else None,
            "aht": row["handle_sum"] / handled if handled else None,
        }
    return results


def engine(workspace: Path) -> dict[tuple, dict[str, float | None]]:
    from cxpm.metrics.engine import compute
    from cxpm.workspace import open_workspace

    ws = open_workspace(workspace)
    result = compute(ws.warehouse.tables(), METRICS, by=BY, grain="month",
                     params=ws.metric_params())
    results: dict[tuple, dict[str, float | None]] = {}
    for row in result.to_pylist():
        key = (row["program"], row["site"], row["channel"], row["period_start"])
        results.setdefault(key, {})[row["metric"]] = row["value"]
    ws.close()
    return results


def measure(which: str, workspace: Path, repeat: int) -> None:
    """Child process: time `which` `repeat` times and print timings and peak RSS as JSON."""
    import ibis

    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        if which == "engine":
            result = engine(workspace)
        else:
            con = ibis.duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True)
            result = hand_written(con.con)
            con.disconnect()
        times.append(time.perf_counter() - started)
    peak_mb = peak_rss_mb()
    serial = {"|".join(str(k) for k in key): value for key, value in result.items()}
    print(json.dumps({"best_s": min(times), "times_s": times, "peak_rss_mb": peak_mb,
                      "result": serial}, default=str))


def _child(which: str, workspace: Path, repeat: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--measure", which, "--workspace",
                          str(workspace), "--repeat", str(repeat)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _agree(a: dict, b: dict) -> list[str]:
    problems = []
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            problems.append(f"group {key} only in one result")
            continue
        for metric in METRICS:
            x, y = a[key].get(metric), b[key].get(metric)
            if (x is None) != (y is None) or (x is not None and abs(x - y) > 1e-6 * max(1, abs(y))):
                problems.append(f"{key} {metric}: engine {x} vs hand-written {y}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="Keep data here (default: a temporary folder).")
    parser.add_argument("--measure", choices=["engine", "duckdb"], help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.measure, args.workspace, args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        files = generate(folder, args.rows, args.seed)
        workspace = folder / "workspace"
        load(workspace, files)
        print(f"{args.rows:,} contacts generated and loaded in "
              f"{time.perf_counter() - started:.1f} s ({datetime.now():%Y-%m-%d %H:%M})")
        hand = _child("duckdb", workspace, args.repeat)
        eng = _child("engine", workspace, args.repeat)
        problems = _agree(eng["result"], hand["result"])
        print(f"groups: {len(eng['result'])}; results agree: {not problems}")
        for problem in problems[:10]:
            print("  " + problem)
        for name, run in (("hand-written DuckDB", hand), ("cxpm engine", eng)):
            print(f"{name:20}: {run['best_s']:.3f} s  peak RSS {run['peak_rss_mb']:.0f} MB")
        print(f"{'ratio engine / hand':20}: {eng['best_s'] / hand['best_s']:.2f}  (goal <= 1.5)")
        if problems:
            sys.exit(1)


if __name__ == "__main__":
    main()
