"""What ingest returns: the batch summary, batch records and quarantined rows."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class IngestSummary(BaseModel):
    """The result of one `ingest` call. Invariant: read == loaded + quarantined + duplicates.

    `model_dump()` is the JSON contract of `cxpm ingest --format json`."""

    batch_id: str
    table: str
    read: int
    loaded: int
    quarantined: int
    duplicates: int


class BatchInfo(BaseModel):
    """One loaded batch, as recorded in the warehouse."""

    batch_id: str
    table: str
    source_files: list[str]
    read: int
    loaded: int
    quarantined: int
    duplicates: int
    loaded_at: datetime


class QuarantinedRow(BaseModel):
    """A rejected input row: where it came from, its raw content and why it was rejected."""

    batch_id: str
    table: str
    source_file: str
    line: int
    raw: str
    reason: str
