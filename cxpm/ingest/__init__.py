"""Validated ingest: source files -> mapped, validated canonical rows; rejects quarantined."""

from cxpm.ingest.batches import list_batches, quarantined_rows
from cxpm.ingest.loader import ingest
from cxpm.ingest.mapping import Mapping, load_mapping
from cxpm.ingest.models import BatchInfo, IngestSummary, QuarantinedRow

__all__ = [
    "BatchInfo",
    "IngestSummary",
    "Mapping",
    "QuarantinedRow",
    "ingest",
    "list_batches",
    "load_mapping",
    "quarantined_rows",
]
