"""Canonical tables of the warehouse: one source of truth for columns, types and rules."""

from cxpm.schema.model import (
    BATCH_COLUMN,
    LOCAL_TIME_COLUMN,
    SOURCE_COLUMN,
    Column,
    Table,
    TimeOrder,
)
from cxpm.schema.tables import TABLES, get_table

__all__ = [
    "BATCH_COLUMN",
    "LOCAL_TIME_COLUMN",
    "SOURCE_COLUMN",
    "TABLES",
    "Column",
    "Table",
    "TimeOrder",
    "get_table",
]
