"""A file that cannot be read at all: a one-line CxpmError and nothing written anywhere."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import CONTACT_COLUMNS, contact, row_counts

from cxpm.errors import CxpmError
from cxpm.ingest import ingest


def _good_csv(tmp_path: Path) -> str:
    lines = [",".join(CONTACT_COLUMNS)]
    row = contact("c1")
    lines.append(",".join(str(row.get(c) or "") for c in CONTACT_COLUMNS))
    return "\n".join(lines) + "\n"


def _missing(tmp: Path) -> tuple[Path, dict]:
    return tmp / "nope.csv", {}


def _folder(tmp: Path) -> tuple[Path, dict]:
    (tmp / "dir.csv").mkdir()
    return tmp / "dir.csv", {}


def _unknown_suffix(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "contacts.xlsx"
    path.write_text(_good_csv(tmp))
    return path, {}


def _unknown_input_format(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "contacts.csv"
    path.write_text(_good_csv(tmp))
    return path, {"input_format": "xml"}


def _empty(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "empty.csv"
    path.write_bytes(b"")
    return path, {}


def _blank(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "blank.csv"
    path.write_text("\n\n")
    return path, {}


def _header_only(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "header.csv"
    path.write_text(",".join(CONTACT_COLUMNS) + "\n")
    return path, {}


def _wrong_delimiter(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "semicolons.csv"
    path.write_text(_good_csv(tmp).replace(",", ";"))
    return path, {}


def _tab_file_read_as_csv(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "tabs.txt"
    path.write_text(_good_csv(tmp).replace(",", "\t"))
    return path, {"input_format": "csv"}


def _rows_with_another_delimiter(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "mixed.csv"
    lines = _good_csv(tmp).splitlines()
    path.write_text(lines[0] + "\n" + lines[1].replace(",", ";") + "\n")
    return path, {}


def _bad_encoding(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "latin1.csv"
    path.write_bytes(_good_csv(tmp).replace("billing", "facturación").encode("latin-1"))
    return path, {}


def _truncated_csv(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "cut.csv"
    path.write_text(_good_csv(tmp) + 'c2,,,"voice')
    return path, {}


def _truncated_jsonl(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "cut.jsonl"
    path.write_text(
        '{"contact_id": "c1", "arrived_at": "2026-08-01T07:30:12Z", "abandoned": false}\n'
        '{"contact_id": "c2", "arrived_at": "2026-08-01T07:3'
    )
    return path, {}


def _jsonl_without_objects(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "arrays.jsonl"
    path.write_text("[1, 2]\n[3, 4]\n")
    return path, {}


def _corrupt_parquet(tmp: Path) -> tuple[Path, dict]:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"contact_id": ["c1"] * 100}), buffer)
    path = tmp / "cut.parquet"
    path.write_bytes(buffer.getvalue()[:-30])
    return path, {}


def _missing_required_column(tmp: Path) -> tuple[Path, dict]:
    path = tmp / "no-arrival.csv"
    path.write_text("contact_id,abandoned\nc1,false\n")
    return path, {}


CASES: dict[str, tuple[Callable[[Path], tuple[Path, dict]], str]] = {
    "missing file": (_missing, "file not found"),
    "folder": (_folder, "not a file"),
    "unknown suffix": (_unknown_suffix, "cannot tell the format of contacts.xlsx"),
    "unknown --input-format": (_unknown_input_format, "unknown input format 'xml'"),
    "empty": (_empty, "empty.csv is empty"),
    "blank lines only": (_blank, "blank.csv is empty"),
    "header only": (_header_only, "has a header but no data rows"),
    "wrong delimiter": (_wrong_delimiter, "looks separated by ';'; wrong delimiter?"),
    "tab file read as csv": (_tab_file_read_as_csv, "looks separated by TAB"),
    "rows with another delimiter": (
        _rows_with_another_delimiter,
        "mixed.csv: no data row has the 23 fields of the header (first row: expected 23 "
        "fields, found 1); wrong delimiter?",
    ),
    "bad encoding": (_bad_encoding, "latin1.csv line 2: not valid utf-8 text"),
    "truncated csv": (_truncated_csv, "cut.csv is truncated"),
    "truncated jsonl": (_truncated_jsonl, "cut.jsonl is truncated"),
    "jsonl without objects": (_jsonl_without_objects, "no line is a readable JSON object"),
    "corrupt parquet": (_corrupt_parquet, "cut.parquet is not a readable Parquet file"),
    "missing required column": (
        _missing_required_column, "missing column(s): arrived_at (required column arrived_at)"
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_unreadable_file_is_one_line_error_and_nothing_loaded(case, workspace,
                                                              tmp_path) -> None:
    make, expected = CASES[case]
    path, options = make(tmp_path)
    before = row_counts(workspace)
    with pytest.raises(CxpmError) as info:
        ingest(workspace, "contacts", [path], **options)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert row_counts(workspace) == before == dict.fromkeys(before, 0)


def test_one_unreadable_file_stops_the_whole_batch(workspace, write_csv, tmp_path) -> None:
    good = write_csv("good.csv", [contact("c1"), contact("c2")])
    bad, _ = _truncated_csv(tmp_path)
    with pytest.raises(CxpmError, match="truncated"):
        ingest(workspace, "contacts", [good, bad])
    assert row_counts(workspace) == dict.fromkeys(row_counts(workspace), 0)


def test_unknown_table_and_no_files(workspace, write_csv) -> None:
    with pytest.raises(CxpmError, match="unknown table 'calls'"):
        ingest(workspace, "calls", [write_csv("c.csv", [contact("c1")])])
    with pytest.raises(CxpmError, match="no files to ingest"):
        ingest(workspace, "contacts", [])
