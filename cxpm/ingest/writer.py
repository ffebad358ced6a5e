"""Write a batch to the warehouse: all of it or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa

from cxpm.errors import CxpmError
from cxpm.ingest.staging import lit, q
from cxpm.warehouse import Warehouse


def has_transactions(warehouse: Warehouse) -> bool:
    return warehouse.has_transactions()


@contextmanager
def _transaction(warehouse: Warehouse) -> Iterator[bool]:
    if not has_transactions(warehouse):
        yield False
        return
    with warehouse.transaction():
        yield True


def write_atomically(warehouse: Warehouse, writes: list[tuple[str, pa.Table]]) -> None:
    """All writes of a batch land, or none. The batch record is written last."""
    batch_ids = set(writes[-1][1]["batch_id"].to_pylist())
    try:
        with _transaction(warehouse) as transactional:
            try:
                for name, data in writes:
                    if data.num_rows:
                        warehouse.con.insert(name, data)
            except Exception:
                if not transactional:
                    _undo(warehouse, writes, batch_ids)
                raise
    except Exception as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CxpmError(f"loading the batch failed, nothing was loaded: {message}") from exc


def _undo(warehouse: Warehouse, writes: list[tuple[str, pa.Table]], batch_ids: set[str]) -> None:
    for name, _ in writes:
        column = "batch_id"
        for batch_id in batch_ids:
            warehouse.con.raw_sql(f"DELETE FROM {q(name)} WHERE {q(column)} = {lit(batch_id)}")
