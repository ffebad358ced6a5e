"""Map and validate one staged file with SQL in an in-memory DuckDB.

This is staging, not analytics: the warehouse is still reached only through Ibis. Every
conversion is a TRY_ cast so one bad value quarantines its row instead of failing the batch.
The result is one row per input row with the typed canonical columns, `local_time` and the
reason the row is rejected (null when valid)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from cxpm.errors import CxpmError
from cxpm.ingest.mapping import ColumnSpec, Mapping, referenced_columns, scalar_text
from cxpm.ingest.readers import LINE, RAW, READ_ERROR
from cxpm.schema import LOCAL_TIME_COLUMN, Column, Table

REASON = "_cxpm_reason"
FILE = "_cxpm_file"
FILE_INDEX = "_cxpm_file_index"
EXCLUDED = "_cxpm_excluded"

_SQL_TYPES = {"float": "DOUBLE", "int": "BIGINT", "date": "DATE"}
_TRUE = ("true", "t", "1", "yes", "y")
_FALSE = ("false", "f", "0", "no", "n")


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _text_col(name: str) -> str:
    return q(f"{name}__text")


def _reason_value(sql: str) -> str:
    """A value shown inside a reason, quoted and cut short."""
    return f"'''' || left(CAST({sql} AS VARCHAR), 80) || ''''"


@dataclass(frozen=True)
class StagedFile:
    """A staged source file: its Arrow data and what the staging SQL needs to know."""

    name: str
    index: int
    data: pa.Table
    typed_source: bool  # Parquet: columns are typed and raw text is built from them


class Stager:
    """Builds and runs the mapping + validation SQL for a table and an optional mapping."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        table: Table,
        mapping: Mapping | None,
        workspace_timezone: str,
    ) -> None:
        self.con = con
        self.table = table
        self.mapping = mapping or Mapping()
        self.workspace_timezone = workspace_timezone
        self._header_names: dict[str, str] = {}  # lower-cased -> as in the current file
        # Naive source timestamps are read in the mapping's time zone (UTC by default).
        con.execute(f"SET TimeZone = {lit(self.mapping.timezone)}")

    # -- column resolution -------------------------------------------------------------

    def _spec(self, column: Column, source_names: set[str]) -> ColumnSpec | None:
        spec = self.mapping.spec(column.name)
        if spec is None and column.name.lower() in source_names:
            return ColumnSpec(source=column.name)
        return spec

    def _inputs(self, sql: str) -> set[str]:
        """Source columns an expression reads, following defines to their inputs; spelled
        as in the file header when the file has them."""
        defines = {k.lower(): v for k, v in self.mapping.define.items()}
        found: set[str] = set()
        for name in referenced_columns(sql):
            if name.lower() in defines:
                found |= self._inputs(defines[name.lower()])
            else:
                found.add(self._header_names.get(name.lower(), name))
        return found

    def check_columns(self, staged: StagedFile) -> None:
        """A file lacking columns the mapping reads or required columns cannot be loaded."""
        self._header_names = {c.lower(): c for c in staged.data.column_names}
        names = set(self._header_names)
        needed: dict[str, str] = {}
        defines = {k.lower() for k in self.mapping.define}
        clash = sorted(defines & names)
        if clash:
            raise CxpmError(
                f"{staged.name}: define.{clash[0]} has the name of a source column; rename it"
            )
        for key, sql in self.mapping.expressions().items():
            for name in self._inputs(sql):
                if name.lower() not in names and name.lower() not in defines:
                    needed.setdefault(name, key)
        for column in self.table.columns:
            spec = self._spec(column, names)
            if spec is not None and spec.source is not None:
                if spec.source.lower() not in names | defines:
                    needed.setdefault(spec.source, f"columns.{column.name}")
            elif spec is None and column.required:
                needed.setdefault(column.name, f"required column {column.name}")
        if needed:
            missing = ", ".join(f"{n} ({why})" for n, why in needed.items())
            present = [c for c in staged.data.column_names if not c.startswith("_cxpm_")]
            raise CxpmError(
                f"{staged.name}: missing column(s): {missing}; "
                f"the file has: {', '.join(present)}"
            )

    # -- SQL ---------------------------------------------------------------------------

    def _source_select(self, staged: StagedFile) -> str:
        cols = [c for c in staged.data.column_names if not c.startswith("_cxpm_")]
        exprs = [f"NULLIF(CAST({q(c)} AS VARCHAR), '') AS {q(c)}" for c in cols]
        if staged.typed_source:
            packed = ", ".join(f"{q(c)} := {q(c)}" for c in cols)
            raw = f"CAST(to_json(struct_pack({packed})) AS VARCHAR)"
        else:
            raw = q(RAW)
        exprs += [
            f"{q(LINE)}",
            f"{raw} AS {q(RAW)}",
            f"{q(READ_ERROR)}",
            f"{lit(staged.name)} AS {q(FILE)}",
            f"{staged.index} AS {q(FILE_INDEX)}",
        ]
        sql = f"SELECT {', '.join(exprs)} FROM staged_source"
        for name, expr in self.mapping.define.items():
            sql = f"SELECT *, ({expr}) AS {q(name)} FROM ({sql})"
        return sql

    def _text_expr(self, column: Column, spec: ColumnSpec | None) -> tuple[str, str | None]:
        """SQL for the column's text before parsing, and (for expressions) the condition
        under which a null result means the expression failed on non-empty inputs."""
        failed_when = None
        if spec is None:
            text = "CAST(NULL AS VARCHAR)"
        elif spec.value is not None:
            text = lit(scalar_text(spec.value))
        elif spec.source is not None:
            text = q(spec.source)
        else:
            assert spec.expr is not None
            text = f"CAST(({spec.expr}) AS VARCHAR)"
            inputs = sorted(self._inputs(spec.expr))
            conditions = [f"{q(i)} IS NOT NULL" for i in inputs] or ["TRUE"]
            failed_when = " AND ".join(conditions)
        if spec is not None and spec.value_map:
            text = f"trim({text})"
            cases = " ".join(
                f"WHEN {lit(k)} THEN {lit(v) if v != '' else 'NULL'}"
                for k, v in spec.value_map.items()
            )
            text = f"CASE {text} {cases} ELSE {text} END"
        if spec is not None and spec.when is not None:
            text = f"CASE WHEN ({spec.when}) THEN {text} END"
            if failed_when is not None:
                failed_when = f"({spec.when}) AND {failed_when}"
        return f"NULLIF(trim({text}), '')", failed_when

    def _parse(self, column: Column, spec: ColumnSpec | None) -> str:
        text = _text_col(column.name)
        fmt = spec.format if spec is not None and spec.format else None
        if column.type == "timestamp":
            fmt = fmt or self.mapping.timestamp_format
            # ISO 8601 text is always understood: expressions that compute a timestamp
            # hand it over in that form whatever format the source text has.
            iso = f"TRY_CAST({text} AS TIMESTAMPTZ)"
            if fmt:
                return f"COALESCE(CAST(TRY_STRPTIME({text}, {lit(fmt)}) AS TIMESTAMPTZ), {iso})"
            return iso  # kept time-zone aware until stored as naive UTC
        if column.type == "date" and fmt:
            iso = f"TRY_CAST({text} AS DATE)"
            return f"COALESCE(CAST(TRY_STRPTIME({text}, {lit(fmt)}) AS DATE), {iso})"
        if column.type == "bool":
            trues = ", ".join(lit(v) for v in _TRUE)
            falses = ", ".join(lit(v) for v in _FALSE)
            return (
                f"CASE WHEN lower({text}) IN ({trues}) THEN TRUE "
                f"WHEN lower({text}) IN ({falses}) THEN FALSE END"
            )
        if column.type == "string":
            return text
        if column.type == "int":
            # A plain cast would round 4.5 to 5; only whole numbers are ints.
            exact = f"TRY_CAST({text} AS DECIMAL(38, 9))"
            return f"CASE WHEN {exact} = trunc({exact}) THEN TRY_CAST({exact} AS BIGINT) END"
        return f"TRY_CAST({text} AS {_SQL_TYPES[column.type]})"

    def _reasons(self) -> str:
        checks: list[str] = []
        for column in self.table.columns:
            value, text, name = q(column.name), _text_col(column.name), column.name
            failed = q(f"{name}__failed")
            checks.append(
                f"CASE WHEN {text} IS NOT NULL AND {value} IS NULL THEN '{name}: cannot read ' "
                f"|| {_reason_value(text)} || ' as {column.type}' END"
            )
            checks.append(
                f"CASE WHEN {failed} THEN '{name}: the mapping expression gave no value for ' "
                f"|| {q(f'{name}__inputs')} END"
            )
            if column.required:
                checks.append(
                    f"CASE WHEN {text} IS NULL AND NOT {failed} "
                    f"THEN '{name} is required but empty' END"
                )
            if column.enum:
                allowed = ", ".join(lit(v) for v in column.enum)
                checks.append(
                    f"CASE WHEN {value} NOT IN ({allowed}) THEN '{name}: ' || "
                    f"{_reason_value(value)} || ' is not one of {', '.join(column.enum)}' END"
                )
            if column.type == "float":
                # NaN and infinities pass range checks and poison every sum they enter.
                checks.append(
                    f"CASE WHEN NOT isfinite({value}) THEN '{name}: ' || "
                    f"CAST({value} AS VARCHAR) || ' is not a finite number' END"
                )
            if column.minimum is not None:
                checks.append(
                    f"CASE WHEN {value} < {column.minimum!r} THEN '{name}: ' || "
                    f"CAST({value} AS VARCHAR) || ' is below the minimum {column.minimum:g}' END"
                )
            if column.maximum is not None:
                checks.append(
                    f"CASE WHEN {value} > {column.maximum!r} THEN '{name}: ' || "
                    f"CAST({value} AS VARCHAR) || ' is above the maximum {column.maximum:g}' END"
                )
        for order in self.table.orders:
            later, earlier = q(order.later), q(order.earlier)
            shown_later = f"strftime(timezone('UTC', {later}), '%Y-%m-%dT%H:%M:%SZ')"
            shown_earlier = f"strftime(timezone('UTC', {earlier}), '%Y-%m-%dT%H:%M:%SZ')"
            checks.append(
                f"CASE WHEN {later} < {earlier} THEN '{order.later} (' || {shown_later} || "
                f"') is before {order.earlier} (' || {shown_earlier} || ')' END"
            )
        validation = f"NULLIF(concat_ws('; ', {', '.join(checks)}), '')"
        return f"COALESCE({q(READ_ERROR)}, {q(EXCLUDED)}, {validation})"

    def _exclusion(self) -> str:
        excluded = " ".join(
            f"WHEN ({rule.when}) THEN {lit('excluded: ' + rule.reason)}"
            for rule in self.mapping.exclude
        )
        return f"CASE {excluded} END" if excluded else "CAST(NULL AS VARCHAR)"

    def query(self, staged: StagedFile) -> str:
        """SQL selecting the typed canonical columns, local_time and the reject reason."""
        source_names = {c.lower() for c in staged.data.column_names}
        specs = {c.name: self._spec(c, source_names) for c in self.table.columns}
        keep = [q(LINE), q(RAW), q(READ_ERROR), q(FILE), q(FILE_INDEX), q(EXCLUDED)]
        # Stage 1 reads source columns and defines; later stages see only what stage 1
        # derived, so canonical names never collide with same-named source columns.
        derived: list[str] = []
        for column in self.table.columns:
            spec = specs[column.name]
            text, failed_when = self._text_expr(column, spec)
            derived.append(f"{text} AS {_text_col(column.name)}")
            failed = f"{failed_when} AND ({text}) IS NULL" if failed_when else "FALSE"
            derived.append(f"COALESCE({failed}, FALSE) AS {q(column.name + '__failed')}")
            inputs = sorted(self._inputs(spec.expr)) if spec and spec.expr else []
            shown = " || ', ' || ".join(f"'{i}=' || {_reason_value(q(i))}" for i in inputs)
            derived.append(f"{shown or 'CAST(NULL AS VARCHAR)'} AS {q(column.name + '__inputs')}")
        derived.append(f"{self._exclusion()} AS {q(EXCLUDED)}")
        base = self._source_select(staged)
        internal = [q(LINE), q(RAW), q(READ_ERROR), q(FILE), q(FILE_INDEX)]
        text_stage = f"SELECT {', '.join(internal)}, {', '.join(derived)} FROM ({base})"
        per_column = [
            f"{_text_col(c.name)}, {q(c.name + '__failed')}, {q(c.name + '__inputs')}, "
            f"{self._parse(c, specs[c.name])} AS {q(c.name)}"
            for c in self.table.columns
        ]
        typed_stage = f"SELECT {', '.join(keep)}, {', '.join(per_column)} FROM ({text_stage})"
        stored = [
            f"timezone('UTC', {q(c.name)}) AS {q(c.name)}" if c.type == "timestamp"
            else q(c.name)
            for c in self.table.columns
        ]
        local = (
            f"timezone({lit(self.workspace_timezone)}, {q(self.table.time_column)}) "
            f"AS {q(LOCAL_TIME_COLUMN)}"
        )
        reason = f"{self._reasons()} AS {q(REASON)}"
        outputs = [q(LINE), q(RAW), q(FILE), q(FILE_INDEX)]
        return (
            f"SELECT {', '.join(stored)}, {local}, {', '.join(outputs)}, {reason} "
            f"FROM ({typed_stage})"
        )

    def stage(self, staged: StagedFile, target: str, *, create: bool) -> None:
        """Append the mapped and validated rows of one file to table `target`."""
        self.check_columns(staged)
        self.con.register("staged_source", staged.data)
        try:
            sql = self.query(staged)
            verb = f"CREATE TABLE {q(target)} AS" if create else f"INSERT INTO {q(target)}"
            self.con.execute(f"{verb} {sql}")
        except duckdb.Error as exc:
            message = str(exc).splitlines()[0]
            raise CxpmError(
                f"{staged.name}: the mapping cannot be applied: {message}"
            ) from None
        finally:
            self.con.unregister("staged_source")
