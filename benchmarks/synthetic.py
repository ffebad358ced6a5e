"""Synthetic tables shared by the benchmarks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
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


def organisation_columns(rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
    """Queue, program, site, vendor and agent of synthetic contacts, drawn in this order."""
    return {
        "queue": rng.choice(np.array([f"q{i}" for i in range(12)]), rows),
        "program": rng.choice(np.array(["retail", "telco", "travel"]), rows),
        "site": rng.choice(np.array(["north", "south", "east"]), rows),
        "vendor": rng.choice(np.array(["in-house", "acme", "globex"]), rows),
        "agent_id": np.char.add("a", rng.integers(0, 2000, rows).astype(str)),
    }
