"""`ingest`: read, map, validate, dedupe and load one batch of files atomically."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from cxpm.errors import CxpmError
from cxpm.ingest.dedupe import DUPLICATE, STAGED, mark_batch_duplicates, mark_loaded_duplicates
from cxpm.ingest.mapping import Mapping, check_mapping_for_table, load_mapping
from cxpm.ingest.models import IngestSummary
from cxpm.ingest.readers import LINE, RAW, check_readable, detect_format, read_source
from cxpm.ingest.staging import FILE, FILE_INDEX, REASON, StagedFile, Stager, lit, q
from cxpm.ingest.writer import write_atomically
from cxpm.schema import BATCH_COLUMN, LOCAL_TIME_COLUMN, SOURCE_COLUMN, Table, get_table
from cxpm.warehouse import (
    BATCHES_SCHEMA,
    BATCHES_TABLE,
    QUARANTINE_SCHEMA,
    QUARANTINE_TABLE,
    arrow_schema,
)
from cxpm.workspace import Workspace

Progress = Callable[[int, int], None]


def ingest(
    workspace: Workspace,
    table: str,
    files: Sequence[Path],
    *,
    mapping: Path | None = None,
    input_format: str | None = None,
    progress: Progress | None = None,
) -> IngestSummary:
    """Load `files` into canonical `table` as one batch; rejected rows go to quarantine.

    Nothing is written unless every file can be read; then the rows, the quarantine rows and
    the batch record are written together. Rows whose key is already loaded count as
    duplicates, so loading the same file twice loads nothing twice.

    `mapping` is a mapping file (docs/mapping.md); `input_format` (csv, tsv, parquet,
    jsonl) wins over the mapping's and the file names'. `progress(done, total)` is called
    now and then with total = the files' size in bytes; the last call has done == total."""
    target = get_table(table)
    spec = load_mapping(mapping) if mapping is not None else None
    if spec is not None and mapping is not None:
        check_mapping_for_table(spec, target, mapping.name)
    paths = [Path(f) for f in files]
    if not paths:
        raise CxpmError("no files to ingest")
    for path in paths:
        check_readable(path)
    chosen = input_format or (spec.input_format if spec else None)
    formats = [detect_format(p, chosen) for p in paths]
    batch_id = _new_batch_id()
    total = sum(p.stat().st_size for p in paths)
    report = _Report(progress, total)
    staging = duckdb.connect()
    try:
        _stage_files(staging, target, spec, workspace.timezone, paths, formats, report)
        mark_batch_duplicates(staging, target)
        mark_loaded_duplicates(staging, target, workspace.warehouse)
        report.loading(0.5)
        rows, quarantine, batches = _outputs(staging, target, batch_id, paths)
    finally:
        staging.close()
    write_atomically(
        workspace.warehouse,
        [(target.name, rows), (QUARANTINE_TABLE, quarantine), (BATCHES_TABLE, batches)],
    )
    report.loading(1.0)
    totals = {k: sum(batches[k].to_pylist()) for k in ("read", "loaded", "quarantined",
                                                        "duplicates")}
    return IngestSummary(batch_id=batch_id, table=target.name, **totals)


class _Report:
    """Progress in bytes of input. Reading and mapping the files take the first 80 % of
    the bar, deduplicating and writing the rest, so it ends at `total` when all is done."""

    _READ_SHARE = 0.8

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = total

    def reading(self, done_bytes: int) -> None:
        if self.progress is not None:
            self.progress(int(done_bytes * self._READ_SHARE), self.total)

    def loading(self, fraction: float) -> None:
        if self.progress is not None:
            share = self._READ_SHARE + (1 - self._READ_SHARE) * fraction
            self.progress(round(self.total * share), self.total)


def _new_batch_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def _stage_files(
    staging: duckdb.DuckDBPyConnection,
    target: Table,
    spec: Mapping | None,
    timezone: str,
    paths: list[Path],
    formats: list[str],
    report: _Report,
) -> None:
    stager = Stager(staging, target, spec, timezone)
    done = 0
    for index, (path, fmt) in enumerate(zip(paths, formats, strict=True)):
        data = read_source(
            path,
            fmt,
            delimiter=spec.delimiter if spec else None,
            encoding=spec.encoding if spec else "utf-8",
            progress=lambda read, before=done: report.reading(before + read),
        )
        stager.stage(StagedFile(path.name, index, data, fmt == "parquet"), STAGED,
                     create=index == 0)
        done += path.stat().st_size
        report.reading(done)


def _outputs(
    staging: duckdb.DuckDBPyConnection, target: Table, batch_id: str, paths: list[Path]
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The rows to load, the quarantine rows and one batch record per file."""
    now = datetime.now(UTC).replace(tzinfo=None)
    stamp = f"TIMESTAMP {lit(now.isoformat(sep=' '))}"
    columns = ", ".join(q(c) for c in target.column_names)
    rows = staging.execute(
        f"SELECT {columns}, {q(LOCAL_TIME_COLUMN)}, {q(FILE)} AS {q(SOURCE_COLUMN)}, "
        f"{lit(batch_id)} AS {q(BATCH_COLUMN)} FROM {STAGED} "
        f"WHERE {q(REASON)} IS NULL AND NOT {DUPLICATE} ORDER BY {q(FILE_INDEX)}, {q(LINE)}"
    ).to_arrow_table().cast(arrow_schema(target))
    quarantine = staging.execute(
        f"SELECT {lit(batch_id)} AS batch_id, {lit(target.name)} AS table_name, "
        f"{q(FILE)} AS source_file, {q(LINE)} AS line, coalesce({q(RAW)}, '') AS raw, "
        f"{q(REASON)} AS reason, {stamp} AS quarantined_at FROM {STAGED} "
        f"WHERE {q(REASON)} IS NOT NULL ORDER BY {q(FILE_INDEX)}, {q(LINE)}"
    ).to_arrow_table().cast(QUARANTINE_SCHEMA.to_pyarrow())
    counts = staging.execute(
        f"""SELECT {q(FILE_INDEX)},
            count(*) AS read,
            count(*) FILTER (WHERE {q(REASON)} IS NULL AND NOT {DUPLICATE}) AS loaded,
            count(*) FILTER (WHERE {q(REASON)} IS NOT NULL) AS quarantined,
            count(*) FILTER (WHERE {q(REASON)} IS NULL AND {DUPLICATE}) AS duplicates
        FROM {STAGED} GROUP BY ALL"""
    ).fetchall()
    by_file = {row[0]: row[1:] for row in counts}
    records = []
    for index, path in enumerate(paths):
        read, loaded, quarantined, duplicates = by_file.get(index, (0, 0, 0, 0))
        records.append({
            "batch_id": batch_id, "table_name": target.name, "source_file": path.name,
            "file_sha256": _sha256(path), "read": read, "loaded": loaded,
            "quarantined": quarantined, "duplicates": duplicates, "loaded_at": now,
        })
    batches = pa.Table.from_pylist(records, schema=BATCHES_SCHEMA.to_pyarrow())
    return rows, quarantine, batches


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


