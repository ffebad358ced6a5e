"""Synthetic tables shared by the benchmarks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa


def table_from_columns(columns: Mapping[str, Any], schema: pa.Schema, rows: int) -> pa.Table:
    """An Arrow table of `schema` from column values (None = a column of nulls)."""
    arrays = []
    for field in schema:
        value = columns[field.name]
        if value is None:
            arrays.append(pa.nulls(rows, field.type))
        else:
            arrays.append(pa.array(value, type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)
