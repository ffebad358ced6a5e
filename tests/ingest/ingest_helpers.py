"""Shared helpers for ingest tests: write small source files, look at what the warehouse holds."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cxpm.schema import TABLES, get_table
from cxpm.warehouse import BATCHES_TABLE, QUARANTINE_TABLE
from cxpm.workspace import Workspace

CONTACT_COLUMNS = get_table("contacts").column_names


def contact(contact_id: str, **values: Any) -> dict[str, Any]:
    """A valid canonical contacts row; keyword arguments override fields."""
    row: dict[str, Any] = {
        "contact_id": contact_id,
        "channel": "voice",
        "queue": "billing",
        "arrived_at": "2026-08-01T07:30:12Z",
        "answered_at": "2026-08-01T07:30:40Z",
        "ended_at": "2026-08-01T07:35:00Z",
        "abandoned": "false",
        "talk_s": "200",
    }
    row.update(values)
    return row


def writer_for(tmp_path: Path) -> Callable[..., Path]:
    def write(
        name: str,
        rows: Sequence[dict[str, Any]],
        columns: Sequence[str] = CONTACT_COLUMNS,
        delimiter: str = ",",
    ) -> Path:
        path = tmp_path / name
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
        return path

    return write


def table_rows(ws: Workspace, name: str) -> list[dict[str, Any]]:
    return ws.warehouse.table(name).to_pyarrow().to_pylist()


def row_counts(ws: Workspace) -> dict[str, int]:
    """Rows in every table ingest writes to (to check that nothing was written)."""
    names = [*TABLES, QUARANTINE_TABLE, BATCHES_TABLE]
    return {n: ws.warehouse.table(n).count().to_pyarrow().as_py() for n in names}
