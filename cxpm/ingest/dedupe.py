"""Duplicate keys: within a batch (quarantined) and against the warehouse (counted)."""

from __future__ import annotations

import duckdb
import ibis
import pyarrow as pa

from cxpm.ingest.readers import LINE
from cxpm.ingest.staging import FILE, FILE_INDEX, REASON, q
from cxpm.schema import Table
from cxpm.warehouse import Warehouse, arrow_schema

STAGED = "staged"
DUPLICATE = "_cxpm_duplicate"


def _key_text(target: Table) -> str:
    parts = [
        f"'{k}=' || coalesce(CAST({q(k)} AS VARCHAR), 'null')" for k in target.key
    ]
    return " || ', ' || ".join(parts)


def mark_batch_duplicates(staging: duckdb.DuckDBPyConnection, target: Table) -> None:
    """A second valid row with the key of an earlier one in the batch is quarantined,
    naming the first. PARTITION BY groups nulls together: the comparison is null-safe."""
    keys = ", ".join(q(k) for k in target.key)
    window = f"PARTITION BY {keys} ORDER BY {q(FILE_INDEX)}, {q(LINE)}"
    staging.execute(
        f"""
        UPDATE {STAGED} SET {q(REASON)} = d.msg FROM (
            SELECT {q(FILE_INDEX)} AS fi, {q(LINE)} AS ln,
                row_number() OVER w AS rn,
                'duplicate key (' || {_key_text(target)} || ') of line '
                    || first_value({q(LINE)}) OVER w || ' in '
                    || first_value({q(FILE)}) OVER w AS msg
            FROM {STAGED} WHERE {q(REASON)} IS NULL
            WINDOW w AS ({window})
        ) d
        WHERE d.rn > 1 AND {STAGED}.{q(FILE_INDEX)} = d.fi AND {STAGED}.{q(LINE)} = d.ln
        """
    )


def mark_loaded_duplicates(
    staging: duckdb.DuckDBPyConnection, target: Table, warehouse: Warehouse
) -> None:
    """Flag valid rows whose key is already in the warehouse (a re-load)."""
    staging.execute(f"ALTER TABLE {STAGED} ADD COLUMN {DUPLICATE} BOOLEAN DEFAULT FALSE")
    keys = ", ".join(q(k) for k in target.key)
    candidates = staging.execute(
        f"SELECT DISTINCT {keys} FROM {STAGED} WHERE {q(REASON)} IS NULL"
    ).to_arrow_table()
    if candidates.num_rows == 0:
        return
    schema = arrow_schema(target)
    candidates = candidates.cast(pa.schema([schema.field(k) for k in target.key]))
    existing = warehouse.table(target.name)
    batch = ibis.memtable(candidates)
    predicates = [
        batch[k] == existing[k] if target.column(k).required
        else batch[k].identical_to(existing[k])
        for k in target.key
    ]
    found = batch.semi_join(existing, predicates).to_pyarrow()
    if found.num_rows == 0:
        return
    staging.register("loaded_keys", found)
    match = " AND ".join(
        f"{STAGED}.{q(k)} IS NOT DISTINCT FROM e.{q(k)}" for k in target.key
    )
    staging.execute(
        f"UPDATE {STAGED} SET {DUPLICATE} = TRUE FROM loaded_keys e "
        f"WHERE {STAGED}.{q(REASON)} IS NULL AND {match}"
    )
    staging.unregister("loaded_keys")
