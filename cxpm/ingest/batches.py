"""What was loaded: batch records and the rows each batch quarantined."""

from __future__ import annotations

from cxpm.errors import CxpmError
from cxpm.ingest.models import BatchInfo, QuarantinedRow
from cxpm.warehouse import BATCHES_TABLE, QUARANTINE_TABLE
from cxpm.workspace import Workspace


def list_batches(workspace: Workspace) -> list[BatchInfo]:
    """Every batch, oldest first; a batch of several files is one entry."""
    records = workspace.warehouse.table(BATCHES_TABLE).to_pyarrow().to_pylist()
    batches: dict[str, BatchInfo] = {}
    for rec in sorted(records, key=lambda r: (r["loaded_at"], r["batch_id"])):
        batch = batches.get(rec["batch_id"])
        if batch is None:
            batches[rec["batch_id"]] = BatchInfo(
                batch_id=rec["batch_id"], table=rec["table_name"],
                source_files=[rec["source_file"]], read=rec["read"], loaded=rec["loaded"],
                quarantined=rec["quarantined"], duplicates=rec["duplicates"],
                loaded_at=rec["loaded_at"],
            )
            continue
        batch.source_files.append(rec["source_file"])
        batch.read += rec["read"]
        batch.loaded += rec["loaded"]
        batch.quarantined += rec["quarantined"]
        batch.duplicates += rec["duplicates"]
    return list(batches.values())


def quarantined_rows(workspace: Workspace, batch_id: str) -> list[QuarantinedRow]:
    """The rows batch `batch_id` quarantined, in file and line order."""
    warehouse = workspace.warehouse
    batches = warehouse.table(BATCHES_TABLE)
    known = batches.filter(batches.batch_id == batch_id).count().to_pyarrow().as_py()
    if not known:
        raise CxpmError(f"no batch {batch_id!r}; `cxpm quarantine list` shows the batches")
    table = warehouse.table(QUARANTINE_TABLE)
    rows = (
        table.filter(table.batch_id == batch_id)
        .order_by(["source_file", "line"])
        .to_pyarrow()
        .to_pylist()
    )
    return [
        QuarantinedRow(
            batch_id=r["batch_id"], table=r["table_name"], source_file=r["source_file"],
            line=r["line"], raw=r["raw"], reason=r["reason"],
        )
        for r in rows
    ]
