"""Read a source file into a staging Arrow table: every source column as text, plus the
line number, the raw text and a read error per row (wrong field count, bad JSON...).

A file that cannot be read at all raises CxpmError; a row that cannot be read is kept
with its error so it is quarantined, never dropped."""

from __future__ import annotations

import csv
import gc
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cxpm.errors import CxpmError

LINE = "_cxpm_line"
RAW = "_cxpm_raw"
READ_ERROR = "_cxpm_read_error"
INTERNAL_COLUMNS = (LINE, RAW, READ_ERROR)

FORMATS = ("csv", "tsv", "parquet", "jsonl")
_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_DELIMITERS = {"csv": ",", "tsv": "\t"}
_PROGRESS_EVERY = 20_000

# Reports bytes of the current file read so far.
ByteProgress = Callable[[int], None]


ENCODING_HINT = (
    "give the file's encoding in a mapping file (even a two-line one: table = \"NAME\" and "
    "encoding = \"latin-1\") passed with --mapping"
)

def detect_format(path: Path, explicit: str | None) -> str:
    """The input format: an explicit choice wins, otherwise the file name decides."""
    if explicit is not None:
        if explicit not in FORMATS:
            raise CxpmError(
                f"unknown input format {explicit!r}; use one of {', '.join(FORMATS)}"
            )
        return explicit
    fmt = _SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CxpmError(
            f"cannot tell the format of {path.name} from its name; "
            f"use --input-format ({', '.join(FORMATS)})"
        )
    return fmt


def check_readable(path: Path) -> None:
    if not path.exists():
        raise CxpmError(f"file not found: {path}")
    if not path.is_file():
        raise CxpmError(f"not a file: {path}")
    if path.stat().st_size == 0:
        raise CxpmError(f"{path.name} is empty")


def read_source(
    path: Path,
    fmt: str,
    *,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    progress: ByteProgress | None = None,
) -> pa.Table:
    """The staging table of one file (source columns as strings plus internal columns)."""
    check_readable(path)
    if fmt == "parquet":
        table = _read_parquet(path)
    elif fmt == "jsonl":
        table = _read_jsonl(path, encoding, progress)
    else:
        table = _read_delimited(path, delimiter or _DELIMITERS[fmt], encoding, progress)
    if progress is not None:
        progress(path.stat().st_size)
    return table


class _Lines:
    """Feeds decoded lines to csv.reader and remembers them, so each record keeps its raw
    text and first line number even when a quoted field spans lines."""

    def __init__(self, fh, encoding: str, name: str) -> None:
        self._fh = fh
        self._encoding = encoding
        self._name = name
        self.bytes_read = 0
        self.line_no = 0
        self._pending: list[str] = []
        self.record_start = 1

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        data = self._fh.readline()
        if not data:
            raise StopIteration
        self.bytes_read += len(data)
        self.line_no += 1
        try:
            text = data.decode(self._encoding)
        except UnicodeDecodeError as exc:
            raise CxpmError(
                f"{self._name} line {self.line_no}: not valid {self._encoding} text "
                f"({exc.reason}); {ENCODING_HINT}"
            ) from None
        if self.line_no == 1:
            text = text.removeprefix("\ufeff")
        if not self._pending:
            self.record_start = self.line_no
        self._pending.append(text)
        return text

    def take(self) -> tuple[int, str]:
        """Line number and raw text of the record just parsed."""
        raw = "".join(self._pending).rstrip("\r\n")
        self._pending = []
        return self.record_start, raw


def _read_delimited(
    path: Path, delimiter: str, encoding: str, progress: ByteProgress | None
) -> pa.Table:
    data = path.read_bytes()
    text = _decode(data, encoding, path.name)
    # When no quoted field can span lines, every line is one record and Arrow's C parser
    # does the splitting. Otherwise (or with stray carriage returns) the csv module reads
    # record by record, keeping each record's first line number and raw text.
    if text.count("\r") == text.count("\r\n"):
        table = _read_line_records(text, delimiter, path.name)
        if table is not None:
            return table
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small lists: the cyclic GC would only slow this down
    try:
        return _read_quoted(path, delimiter, encoding, progress)
    finally:
        if gc_was_enabled:
            gc.enable()


def _decode(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CxpmError(
            f"{name} line {line}: not valid {encoding} text ({exc.reason}); "
            + ENCODING_HINT
        ) from None


def _read_line_records(text: str, delimiter: str, name: str) -> pa.Table | None:
    """Parse a file whose records are single lines; None when that cannot be assumed."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if "\r" in text:
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if not lines:
        raise CxpmError(f"{name} is empty")
    if '"' in text and any(line.count('"') % 2 for line in lines):
        return None  # a quoted field may continue on the next line
    try:
        first = next(csv.reader([lines[0]], delimiter=delimiter, strict=True))
    except csv.Error:
        return None
    header = _check_header([h.strip() for h in first], name, delimiter)
    width = len(header)
    body = [line if line.strip() else "" for line in lines[1:]]
    filled = [number for number, line in enumerate(body, start=2) if line]
    if not filled:
        raise CxpmError(f"{name} has a header but no data rows")
    invalid: dict[int, str] = {}

    def keep_invalid(row: pacsv.InvalidRow) -> str:
        if row.number is None:
            raise ValueError("row number unknown")
        invalid[row.number] = f"expected {width} fields, found {row.actual_columns}"
        return "skip"

    try:
        parsed = pacsv.read_csv(
            io.BytesIO("\n".join(body).encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=header, use_threads=False),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"' if '"' in text else False,
                invalid_row_handler=keep_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, ValueError):
        return None
    # Arrow numbers rows from 1 skipping empty lines: map them back to file lines.
    good = [n for i, n in enumerate(filled, start=1) if i not in invalid]
    if parsed.num_rows != len(good):
        return None
    if not good:
        _no_row_fits(name, width, invalid[min(invalid)])
    bad = [(filled[i - 1], reason) for i, reason in sorted(invalid.items())]
    bad_part = pa.table({h: pa.nulls(len(bad), type=pa.string()) for h in header})
    table = pa.concat_tables([parsed, bad_part])
    numbers = good + [n for n, _ in bad]
    table = table.append_column(LINE, pa.array(numbers, type=pa.int64()))
    table = table.append_column(
        RAW, pa.array([lines[n - 1] for n in numbers], type=pa.string())
    )
    return table.append_column(
        READ_ERROR, pa.array([None] * len(good) + [r for _, r in bad], type=pa.string())
    )


def _read_quoted(
    path: Path, delimiter: str, encoding: str, progress: ByteProgress | None
) -> pa.Table:
    name = path.name
    with path.open("rb") as fh:
        lines = _Lines(fh, encoding, name)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        header = _read_header(reader, lines, name, delimiter)
        width = len(header)
        good: list[list[str]] = []
        good_meta: list[tuple[int, str]] = []
        bad: list[tuple[int, str, str]] = []
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                line, raw = lines.take()
                if "unexpected end of data" in str(exc):
                    raise CxpmError(
                        f"{name} is truncated: the quoted field opened on line {line} "
                        "never closes"
                    ) from None
                bad.append((line, raw, f"malformed quoting: {exc}"))
                continue
            line, raw = lines.take()
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) == width:
                good.append(row)
                good_meta.append((line, raw))
            else:
                bad.append((line, raw, f"expected {width} fields, found {len(row)}"))
            if progress is not None and lines.line_no % _PROGRESS_EVERY == 0:
                progress(lines.bytes_read)
    if not good and not bad:
        raise CxpmError(f"{name} has a header but no data rows")
    if not good:
        _no_row_fits(name, width, bad[0][2])
    return _staging_table(header, good, good_meta, bad)


def _no_row_fits(name: str, width: int, first_problem: str) -> None:
    """Not one record matches the header: the file is not what it claims to be."""
    raise CxpmError(
        f"{name}: no data row has the {width} fields of the header (first row: "
        f"{first_problem}); wrong delimiter?"
    )


def _read_header(reader, lines: _Lines, name: str, delimiter: str) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise CxpmError(f"{name} is empty") from None
    except csv.Error as exc:
        raise CxpmError(f"{name}: cannot read the header line: {exc}") from None
    lines.take()
    return _check_header([h.strip() for h in header], name, delimiter)


def _check_header(header: list[str], name: str, delimiter: str) -> list[str]:
    if not any(header):
        raise CxpmError(f"{name} is empty (no header line)")
    if len(header) == 1:
        for other in (",", "\t", ";", "|"):
            if other != delimiter and other in header[0]:
                shown = "TAB" if other == "\t" else repr(other)
                raise CxpmError(
                    f"{name}: the header has one column and looks separated by {shown}; "
                    "wrong delimiter? Use --input-format or set `delimiter` in the mapping"
                )
    return _unique_names(header, name)


def _unique_names(header: list[str], name: str) -> list[str]:
    names = [h or f"column{i + 1}" for i, h in enumerate(header)]
    seen: set[str] = set()
    for col in names:
        # SQL expressions fold case, so two names differing only in case would collide.
        if col.lower() in seen:
            raise CxpmError(f"{name}: column {col!r} appears twice in the header")
        if col in INTERNAL_COLUMNS:
            raise CxpmError(f"{name}: column name {col!r} is reserved")
        seen.add(col.lower())
    return names


def _staging_table(
    header: list[str],
    good: list[list[str]],
    good_meta: list[tuple[int, str]],
    bad: list[tuple[int, str, str]],
) -> pa.Table:
    columns = list(zip(*good, strict=True)) if good else [()] * len(header)
    data: dict[str, pa.Array] = {
        col: pa.array(
            list(values) + [None] * len(bad), type=pa.string()
        )
        for col, values in zip(header, columns, strict=True)
    }
    data[LINE] = pa.array([m[0] for m in good_meta] + [b[0] for b in bad], type=pa.int64())
    data[RAW] = pa.array([m[1] for m in good_meta] + [b[1] for b in bad], type=pa.string())
    data[READ_ERROR] = pa.array([None] * len(good) + [b[2] for b in bad], type=pa.string())
    return pa.table(data)


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value)


def _read_jsonl(path: Path, encoding: str, progress: ByteProgress | None) -> pa.Table:
    name = path.name
    records: list[dict[str, str | None]] = []
    meta: list[tuple[int, str, str | None]] = []
    columns: dict[str, None] = {}
    with path.open("rb") as fh:
        lines = _Lines(fh, encoding, name)
        for text in lines:
            line, raw = lines.take()
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as exc:
                if not text.endswith("\n") and line > 1:
                    raise CxpmError(
                        f"{name} is truncated: its last line ({line}) is incomplete JSON"
                    ) from None
                records.append({})
                meta.append((line, raw, f"invalid JSON: {exc.msg}"))
                continue
            if not isinstance(obj, dict):
                records.append({})
                meta.append((line, raw, "not a JSON object"))
                continue
            record = {str(k): _json_text(v) for k, v in obj.items()}
            for key in record:
                columns.setdefault(key, None)
            records.append(record)
            meta.append((line, raw, None))
            if progress is not None and line % _PROGRESS_EVERY == 0:
                progress(lines.bytes_read)
    if not records:
        raise CxpmError(f"{name} is empty (no JSON lines)")
    if not columns:
        raise CxpmError(f"{name}: no line is a readable JSON object")
    names = _unique_names(list(columns), name)
    data = {col: pa.array([r.get(col) for r in records], type=pa.string()) for col in names}
    data[LINE] = pa.array([m[0] for m in meta], type=pa.int64())
    data[RAW] = pa.array([m[1] for m in meta], type=pa.string())
    data[READ_ERROR] = pa.array([m[2] for m in meta], type=pa.string())
    return pa.table(data)


def _read_parquet(path: Path) -> pa.Table:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CxpmError(f"{path.name} is not a readable Parquet file: {first}") from None
    if table.num_rows == 0:
        raise CxpmError(f"{path.name} has no rows")
    _unique_names(table.column_names, path.name)
    # Typed Parquet columns are turned into text (and parsed back) in the staging SQL,
    # so one code path validates every format. The raw text of a row is its JSON.
    table = table.append_column(LINE, pa.array(range(1, table.num_rows + 1), type=pa.int64()))
    table = table.append_column(RAW, pa.nulls(table.num_rows, type=pa.string()))
    return table.append_column(READ_ERROR, pa.nulls(table.num_rows, type=pa.string()))
