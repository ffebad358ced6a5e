"""NaN and infinities are quarantined: they pass range checks and would poison every sum."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
from ingest_helpers import contact, table_rows

from cxpm.ingest import ingest, quarantined_rows


def test_non_finite_numbers_are_quarantined_from_csv(workspace, write_csv) -> None:
    path = write_csv("c.csv", [
        contact("c1", talk_s="NaN"),
        contact("c2", revenue="inf"),
        contact("c3", hold_s="-Infinity"),
        contact("c4", talk_s="120", revenue="5.5"),
    ])
    summary = ingest(workspace, "contacts", [path])
    assert (summary.loaded, summary.quarantined) == (1, 3)
    reasons = {r.line: r.reason for r in quarantined_rows(workspace, summary.batch_id)}
    assert reasons[2] == "talk_s: nan is not a finite number"
    assert reasons[3] == "revenue: inf is not a finite number"
    assert reasons[4].startswith("hold_s: -inf is not a finite number")
    assert [r["contact_id"] for r in table_rows(workspace, "contacts")] == ["c4"]


def test_non_finite_numbers_are_quarantined_from_parquet(workspace, tmp_path) -> None:
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({
        "queue": ["q", "q"], "interval_start": ["2026-08-01T07:00:00Z"] * 2,
        "interval_s": [1800.0, 1800.0], "volume": [float("nan"), 12.0],
        "created_at": ["2026-07-25T00:00:00Z", "2026-07-26T00:00:00Z"],
        "horizon": ["week-ahead", "week-ahead"],
    }), path)
    summary = ingest(workspace, "forecasts", [path])
    assert (summary.loaded, summary.quarantined) == (1, 1)
    [bad] = quarantined_rows(workspace, summary.batch_id)
    assert bad.reason == "volume: nan is not a finite number"
