"""Types that describe a canonical table: the single source of truth for columns and rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["string", "float", "int", "bool", "timestamp", "date"]

# Columns every table gets at ingest; not part of a source file.
SOURCE_COLUMN = "source"
BATCH_COLUMN = "batch_id"
# The table's time column converted to the workspace reporting time zone (naive local
# wall-clock time). Stored at ingest so periods (day, month...) follow the reporting time
# zone with portable Ibis expressions on every backend.
LOCAL_TIME_COLUMN = "local_time"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    doc: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None

    def describe_rules(self) -> str:
        """Human-readable validation rules of this column."""
        rules = []
        if self.required:
            rules.append("required")
        if self.enum:
            rules.append("one of " + ", ".join(self.enum))
        if self.minimum is not None:
            rules.append(f">= {self.minimum:g}")
        if self.maximum is not None:
            rules.append(f"<= {self.maximum:g}")
        return "; ".join(rules)


@dataclass(frozen=True)
class TimeOrder:
    """A rule that one timestamp column is not earlier than another when both are set."""

    earlier: str
    later: str


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    time_column: str
    orders: tuple[TimeOrder, ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def stored_column_names(self) -> list[str]:
        """Columns as stored in the warehouse: canonical columns plus system columns."""
        return [*self.column_names, LOCAL_TIME_COLUMN, SOURCE_COLUMN, BATCH_COLUMN]
