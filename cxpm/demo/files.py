"""Writes simulated tables as canonical CSV files (no mapping needed to ingest them) and
evaluations as the JSON that `cxpm qa evaluations import` reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from cxpm.demo.clock import iso_utc
from cxpm.schema import get_table


def _column(values: np.ndarray | list, col_type: str) -> pa.Array:
    if col_type == "timestamp":
        arr = np.asarray(values, dtype=np.int64)
        return pa.array(iso_utc(arr), type=pa.string())
    if col_type == "float":
        return pa.array(np.asarray(values, dtype=np.float64), from_pandas=True)
    if col_type == "int":
        arr = np.asarray(values, dtype=object)
        return pa.array(arr, type=pa.int64(), from_pandas=True)
    if col_type == "bool":
        return pa.array(np.asarray(values, dtype=object), type=pa.bool_())
    return pa.array(np.asarray(values, dtype=object), type=pa.string())


def write_table(out_dir: Path, table_name: str, columns: dict[str, np.ndarray | list]) -> Path:
    """One CSV with exactly the canonical columns of `table_name`, in schema order.

    Timestamps are epoch seconds (negative = null); floats use NaN and other types None
    for null.
    """
    table = get_table(table_name)
    missing = set(table.column_names) - set(columns)
    if missing:
        raise ValueError(f"{table_name}: no values for {sorted(missing)}")
    arrays = [_column(columns[c.name], c.type) for c in table.columns]
    path = out_dir / f"{table_name}.csv"
    pacsv.write_csv(pa.Table.from_arrays(arrays, names=table.column_names), path,
                    pacsv.WriteOptions(quoting_style="needed"))
    return path


def write_evaluations(out_dir: Path, records: list[dict]) -> Path:
    """Evaluations in the JSON import format of `cxpm qa evaluations import` (docs/qa.md),
    one evaluation per line so the file stays readable."""
    path = out_dir / "evaluations.json"
    lines = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":"))
                        for r in records)
    path.write_text(f'{{"evaluations": [\n{lines}\n]}}\n', encoding="utf-8")
    return path
