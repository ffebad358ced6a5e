"""Mapping files: how a source export becomes a canonical table (TOML, validated)."""

from __future__ import annotations

import json
import tomllib
from functools import cache
from pathlib import Path
from typing import Literal

import duckdb
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cxpm.config import TimezoneName
from cxpm.errors import CxpmError
from cxpm.schema import Table

InputFormat = Literal["csv", "tsv", "parquet", "jsonl"]
Scalar = str | bool | int | float


def scalar_text(value: Scalar) -> str:
    """TOML scalars as the text a source file would hold (true, not True)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


class ColumnSpec(BaseModel):
    """Where one canonical column comes from: exactly one of source, expr or value."""

    model_config = ConfigDict(extra="forbid")

    source: str | None = Field(None, description="Source column to take the value from")
    expr: str | None = Field(None, description="SQL expression over source columns and defines")
    value: Scalar | None = Field(None, description="Constant for every row")
    when: str | None = Field(
        None, description="SQL condition; the column is null on rows where it is false"
    )
    values: dict[str, Scalar] = Field(
        default_factory=dict, description='Value map applied before parsing; "" means null'
    )
    format: str | None = Field(None, description="strptime format for timestamp/date text")

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnSpec:
        given = [k for k in ("source", "expr", "value") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of source, expr or value")
        return self

    @property
    def value_map(self) -> dict[str, str]:
        return {k: scalar_text(v) for k, v in self.values.items()}


class ExcludeRule(BaseModel):
    """Rows matching `when` are quarantined with `reason` (never silently dropped)."""

    model_config = ConfigDict(extra="forbid")

    when: str
    reason: str = Field(min_length=1)


class Mapping(BaseModel):
    """A mapping file. Every key is optional: an empty mapping means canonical input."""

    model_config = ConfigDict(extra="forbid")

    table: str | None = None
    input_format: InputFormat | None = None
    delimiter: str | None = Field(None, min_length=1, max_length=1)
    encoding: str = "utf-8"
    timezone: TimezoneName = "UTC"
    timestamp_format: str | None = None
    define: dict[str, str] = Field(default_factory=dict)
    columns: dict[str, str | ColumnSpec] = Field(default_factory=dict)
    exclude: list[ExcludeRule] = Field(default_factory=list)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, name: str) -> str:
        import codecs

        try:
            codecs.lookup(name)
        except LookupError:
            raise ValueError(f"unknown encoding {name!r}") from None
        return name

    def spec(self, column: str) -> ColumnSpec | None:
        """The column's spec with the rename shortcut (`col = "src"`) expanded."""
        spec = self.columns.get(column)
        return ColumnSpec(source=spec) if isinstance(spec, str) else spec

    def expressions(self) -> dict[str, str]:
        """Every SQL snippet of the mapping by its key path, for syntax checks."""
        found = {f"define.{name}": expr for name, expr in self.define.items()}
        for name in self.columns:
            spec = self.spec(name)
            assert spec is not None
            if spec.expr is not None:
                found[f"columns.{name}.expr"] = spec.expr
            if spec.when is not None:
                found[f"columns.{name}.when"] = spec.when
        for i, rule in enumerate(self.exclude):
            found[f"exclude[{i}].when"] = rule.when
        return found


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping file; errors name the file and the offending key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CxpmError(f"mapping file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CxpmError(f"cannot read mapping {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CxpmError(f"mapping {path} is not valid TOML: {exc}") from None
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        raise CxpmError(f"mapping {path}: {_first_error(exc)}") from None
    for key, sql in mapping.expressions().items():
        problem = sql_syntax_error(sql)
        if problem:
            raise CxpmError(f"mapping {path}: {key}: invalid SQL expression: {problem}")
    return mapping


def check_mapping_for_table(mapping: Mapping, table: Table, origin: str) -> None:
    """Column keys must be canonical columns of the table the mapping is used for."""
    if mapping.table is not None and mapping.table != table.name:
        raise CxpmError(
            f"mapping {origin} is for table {mapping.table!r}, not {table.name!r}"
        )
    unknown = [name for name in mapping.columns if name not in table.column_names]
    if unknown:
        raise CxpmError(
            f"mapping {origin}: columns.{unknown[0]}: {table.name!r} has no column "
            f"{unknown[0]!r} (columns: {', '.join(table.column_names)})"
        )


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    # A table under [columns] fails both union members; the ColumnSpec error is the useful one.
    err = next((e for e in errors if any(_is_member(p) for p in e["loc"])), errors[0])
    # Union members (str | ColumnSpec) add their type name to the location; users never
    # wrote those, so they are left out of the key path.
    parts = [
        f"[{p}]" if isinstance(p, int) else str(p)
        for p in err["loc"]
        if p != "str" and not _is_member(p)
    ]
    key = ".".join(parts).replace(".[", "[")
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    return f"{key}: {msg}" if key else msg


def _is_member(part: object) -> bool:
    return isinstance(part, str) and "ColumnSpec" in part


@cache
def _parser() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _parse_tree(sql: str) -> dict:
    query = f"SELECT ({sql}) FROM t"
    result = _parser().execute("SELECT json_serialize_sql(?)", [query]).fetchone()
    assert result is not None
    return json.loads(result[0])


def sql_syntax_error(sql: str) -> str | None:
    """DuckDB's parser message when `sql` is not one valid expression, else None."""
    tree = _parse_tree(sql)
    if tree.get("error"):
        return str(tree.get("error_message", "syntax error")).splitlines()[0]
    if len(tree["statements"][0]["node"]["select_list"]) != 1:
        return "expected a single expression"
    return None


def referenced_columns(sql: str) -> set[str]:
    """Names of the columns an SQL expression reads, as written (SQL names fold case)."""
    names: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("class") == "COLUMN_REF":
                names.add(node["column_names"][-1])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(_parse_tree(sql)["statements"][0]["node"]["select_list"])
    return names
