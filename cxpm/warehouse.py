"""The analytical warehouse, reached only through Ibis (DuckDB embedded by default)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from cxpm.errors import CxpmError
from cxpm.schema import BATCH_COLUMN, LOCAL_TIME_COLUMN, SOURCE_COLUMN, TABLES, Table

QUARANTINE_TABLE = "quarantine"
BATCHES_TABLE = "ingest_batches"
META_TABLE = "workspace_meta"

_IBIS_TYPES: dict[str, dt.DataType] = {
    "string": dt.string,
    "float": dt.float64,
    "int": dt.int64,
    "bool": dt.boolean,
    # Canonical timestamps are UTC; stored naive so every backend reads them the same way.
    "timestamp": dt.Timestamp(scale=6),
    "date": dt.date,
}

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}

QUARANTINE_SCHEMA = ibis.schema(
    {
        "batch_id": "string",
        "table_name": "string",
        "source_file": "string",
        "line": "int64",
        "raw": "string",
        "reason": "string",
        "quarantined_at": "timestamp(6)",
    }
)

BATCHES_SCHEMA = ibis.schema(
    {
        "batch_id": "string",
        "table_name": "string",
        "source_file": "string",
        "file_sha256": "string",
        "read": "int64",
        "loaded": "int64",
        "quarantined": "int64",
        "duplicates": "int64",
        "loaded_at": "timestamp(6)",
    }
)


META_SCHEMA = ibis.schema({"key": "string", "value": "string"})


def ibis_schema(table: Table) -> ibis.Schema:
    """The stored Ibis schema of a canonical table (canonical plus system columns)."""
    fields = {c.name: _IBIS_TYPES[c.type] for c in table.columns}
    fields[LOCAL_TIME_COLUMN] = _IBIS_TYPES["timestamp"]
    fields[SOURCE_COLUMN] = dt.string
    fields[BATCH_COLUMN] = dt.string
    return ibis.schema(fields)


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of a table as stored (same columns and order as `ibis_schema`)."""
    fields = [pa.field(c.name, _ARROW_TYPES[c.type]) for c in table.columns]
    fields += [
        pa.field(LOCAL_TIME_COLUMN, _ARROW_TYPES["timestamp"]),
        pa.field(SOURCE_COLUMN, pa.string()),
        pa.field(BATCH_COLUMN, pa.string()),
    ]
    return pa.schema(fields)


def embedded_path(url: str, scheme: str, workspace: Path) -> Path | None:
    """The file of an embedded-store URL, SQLAlchemy style: `scheme:///rel` is relative to
    the workspace, `scheme:////abs` is absolute. None when the URL is not that scheme."""
    prefix = f"{scheme}:///"
    if not url.startswith(prefix):
        return None
    rest = url.removeprefix(prefix)
    return Path(rest) if rest.startswith("/") else workspace / rest


def held_by_another_process(exc: BaseException) -> bool:
    """Whether opening an embedded DuckDB file failed because another process holds it
    (DuckDB lets one process at a time open a file for writing)."""
    return "Could not set lock on file" in str(exc) or "Conflicting lock" in str(exc)


def connect(url: str, workspace: Path, *, wait_seconds: float = 0.0,
            on_wait: Callable[[str], None] | None = None) -> ibis.BaseBackend:
    """Open an Ibis backend from a URL; embedded DuckDB paths are relative to the workspace.

    An embedded file another process holds is retried for up to `wait_seconds` (the web
    server holds it only while it computes; an ingest holds it until it commits);
    `on_wait` is told once, with the reason, when waiting starts."""
    path = embedded_path(url, "duckdb", workspace)
    deadline = time.monotonic() + wait_seconds
    pause = 0.02
    while True:
        try:
            return ibis.duckdb.connect(str(path)) if path is not None else ibis.connect(url)
        except Exception as exc:  # backends raise many types; the user needs the URL and why
            busy = path is not None and held_by_another_process(exc)
            left = deadline - time.monotonic()
            if busy and left > 0:
                if on_wait is not None:
                    on_wait(str(exc))
                    on_wait = None
                time.sleep(min(pause, left))
                pause = min(pause * 2, 0.5)
                continue
            if busy:
                raise CxpmError(
                    f"the warehouse {path} is in use by another process (gave up after "
                    f"{wait_seconds:g} s; workspace setting warehouse_wait_seconds): "
                    f"{exc}") from None
            raise CxpmError(f"cannot open warehouse {url!r}: {exc}") from None


class Warehouse:
    """Canonical tables plus ingest bookkeeping, on any Ibis backend."""

    def __init__(self, con: ibis.BaseBackend,
                 on_commit: Callable[[], None] | None = None) -> None:
        self.con = con
        # Told after every committed write: readers elsewhere key their caches on it.
        self.on_commit = on_commit

    def ensure_tables(self) -> None:
        """Create every canonical and bookkeeping table that does not exist yet, and add the
        columns a newer cxpm defines to tables created by an older one (always nullable,
        so rows already loaded stay valid)."""
        existing = set(self.con.list_tables())
        for table in TABLES.values():
            if table.name not in existing:
                self.con.create_table(table.name, schema=ibis_schema(table))
            else:
                self._add_missing_columns(table)
        if QUARANTINE_TABLE not in existing:
            self.con.create_table(QUARANTINE_TABLE, schema=QUARANTINE_SCHEMA)
        if BATCHES_TABLE not in existing:
            self.con.create_table(BATCHES_TABLE, schema=BATCHES_SCHEMA)
        if META_TABLE not in existing:
            self.con.create_table(META_TABLE, schema=META_SCHEMA)

    def has_transactions(self) -> bool:
        """Whether BEGIN/COMMIT through `raw_sql` wrap Ibis inserts (same connection)."""
        return self.con.name == "duckdb"

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A real transaction where the backend gives one through raw SQL (DuckDB); elsewhere
        the writes simply run (callers that need all-or-nothing there undo by hand)."""
        if not self.has_transactions():
            yield
        else:
            self.con.raw_sql("BEGIN TRANSACTION")
            try:
                yield
            except BaseException:
                self.con.raw_sql("ROLLBACK")
                raise
            self.con.raw_sql("COMMIT")
        if self.on_commit is not None:
            self.on_commit()

    def _add_missing_columns(self, table: Table) -> None:
        stored = self.con.get_schema(table.name)
        for name, dtype in ibis_schema(table).items():
            if name not in stored:
                sql_type = self.con.compiler.type_mapper.from_ibis(dtype).sql(self.con.dialect)
                self.con.raw_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{name}" {sql_type}')

    def check_timezone(self, timezone: str) -> None:
        """Refuse to mix time zones: `local_time` of loaded rows follows the time zone they
        were loaded in, so a workspace whose time zone changed after loading data would
        report wrong periods. With nothing loaded yet, the new time zone is simply kept."""
        if META_TABLE not in self.con.list_tables():
            return
        meta = {row["key"]: row["value"]
                for row in self.table(META_TABLE).to_pyarrow().to_pylist()}
        loaded_in = meta.get("timezone")
        if loaded_in == timezone:
            return
        if loaded_in is not None and self.table(BATCHES_TABLE).count().to_pyarrow().as_py():
            raise CxpmError(
                f"the warehouse holds data loaded in time zone {loaded_in} but the workspace "
                f"now says {timezone}; restore timezone = \"{loaded_in}\" in cxpm.toml (or "
                "CXPM_TIMEZONE), or load the data again into a new workspace"
            )
        meta["timezone"] = timezone
        rows = ibis.memtable({"key": list(meta), "value": list(meta.values())},
                             schema=META_SCHEMA)
        self.con.insert(META_TABLE, rows, overwrite=True)

    def table(self, name: str) -> ir.Table:
        """An Ibis expression over a warehouse table."""
        try:
            return self.con.table(name)
        except Exception:
            raise CxpmError(
                f"warehouse has no table {name!r}; is this an initialised workspace?"
            ) from None

    def tables(self) -> Mapping[str, ir.Table]:
        """Every canonical table as an Ibis expression, by name; each is opened on first use
        (opening one costs a schema query)."""
        return _LazyTables(self)


class _LazyTables(Mapping[str, ir.Table]):
    def __init__(self, warehouse: Warehouse) -> None:
        self._warehouse = warehouse
        self._opened: dict[str, ir.Table] = {}

    def __getitem__(self, name: str) -> ir.Table:
        if name not in TABLES:
            raise KeyError(name)
        if name not in self._opened:
            self._opened[name] = self._warehouse.table(name)
        return self._opened[name]

    def __iter__(self) -> Iterator[str]:
        return iter(TABLES)

    def __len__(self) -> int:
        return len(TABLES)
