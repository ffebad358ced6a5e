"""Mapping files: every key does what docs/mapping.md says; mistakes name the key."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from ingest_helpers import row_counts, table_rows

from cxpm.errors import CxpmError
from cxpm.ingest import ingest, load_mapping, quarantined_rows

EXPORT = """\
Call Ref;Day;Clock;Skill;Result;Agent;Wait;Talk;Kind
1001;03/08/2026;09:15:00;Billing;ANS;ag7;12;300;real
1002;03/08/2026;09:20:30;Sales;ABN;-;40;0;real
1003;03/08/2026;25:99:00;Billing;ANS;ag7;5;100;real
1004;03/08/2026;09:30:00;Billing;ANS;ag8;soon;100;real
1005;03/08/2026;09:40:00;Billing;ANS;ag8;5;100;test
"""

MAPPING = """\
table = "contacts"
input_format = "csv"
delimiter = ";"
encoding = "utf-8"
timezone = "Europe/Berlin"
timestamp_format = "%d/%m/%Y %H:%M:%S"

[define]
wait_s = "TRY_CAST(Wait AS INTEGER)"
arrival = "TRY_STRPTIME(Day || ' ' || Clock, '%d/%m/%Y %H:%M:%S')"

[columns]
contact_id = { expr = "'acme-' || \\"Call Ref\\"" }
channel = { value = "voice" }
queue = { source = "Skill", values = { Billing = "billing", Sales = "sales" } }
agent_id = { source = "Agent", values = { "-" = "" } }
arrived_at = { expr = "Day || ' ' || Clock" }
answered_at = { expr = "arrival + to_seconds(wait_s)", when = "Result = 'ANS'" }
abandoned = { source = "Result", values = { ANS = false, ABN = true } }
talk_s = "Talk"

[[exclude]]
when = "Kind = 'test'"
reason = "test call placed by the telephony team"
"""


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "acme-export.dat"
    data.write_text(EXPORT, encoding="utf-8")
    mapping = tmp_path / "acme.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return data, mapping


def test_every_mapping_key_applies(workspace, export) -> None:
    data, mapping = export
    summary = ingest(workspace, "contacts", [data], mapping=mapping)
    assert (summary.read, summary.loaded, summary.quarantined) == (5, 2, 3)
    rows = {r["contact_id"]: r for r in table_rows(workspace, "contacts")}
    answered, abandoned = rows["acme-1001"], rows["acme-1002"]
    # 09:15 in Berlin (UTC+2 in summer) is 07:15 UTC.
    assert answered["arrived_at"] == datetime(2026, 8, 3, 7, 15)
    assert answered["answered_at"] == datetime(2026, 8, 3, 7, 15, 12)
    assert (answered["channel"], answered["queue"], answered["agent_id"]) == (
        "voice", "billing", "ag7")
    assert (answered["abandoned"], answered["talk_s"]) == (False, 300.0)
    assert abandoned["answered_at"] is None  # `when` is false for ABN
    assert (abandoned["agent_id"], abandoned["abandoned"], abandoned["queue"]) == (
        None, True, "sales")
    reasons = {r.line: r.reason for r in quarantined_rows(workspace, summary.batch_id)}
    assert reasons[4].startswith("arrived_at: cannot read '03/08/2026 25:99:00' as timestamp")
    assert reasons[5] == (
        "answered_at: the mapping expression gave no value for Clock='09:30:00', "
        "Day='03/08/2026', Wait='soon'"
    )
    assert reasons[6] == "excluded: test call placed by the telephony team"


def test_input_format_option_overrides_the_mapping(workspace, export, tmp_path) -> None:
    data, mapping = export
    with pytest.raises(CxpmError, match="no line is a readable JSON object"):
        ingest(workspace, "contacts", [data], mapping=mapping, input_format="jsonl")


def _write_mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    return path


BAD_MAPPINGS = {
    "unknown top-level key": ('tabel = "contacts"\n', "m.toml: tabel: unknown key"),
    "unknown column key": (
        '[columns]\nqueue = { source = "Skill", fromat = "x" }\n',
        "columns.queue.fromat: unknown key",
    ),
    "two origins": (
        '[columns]\nqueue = { source = "Skill", value = "x" }\n',
        "columns.queue: give exactly one of source, expr or value",
    ),
    "bad exclude": ('[[exclude]]\nwhen = "x = 1"\n', "exclude[0].reason: Field required"),
    "bad SQL": (
        '[columns]\nqueue = { expr = "upper(Skill" }\n',
        "columns.queue.expr: invalid SQL expression",
    ),
    "not one expression": ('[define]\nx = "1; SELECT 2"\n', "define.x: invalid SQL expression"),
    "bad time zone": ('timezone = "Mars/Olympus"\n', "timezone: unknown time zone"),
    "bad encoding": ('encoding = "klingon"\n', "encoding: unknown encoding"),
    "bad format": ('input_format = "xls"\n', "input_format: Input should be"),
    "invalid TOML": ("[columns\n", "is not valid TOML"),
}


@pytest.mark.parametrize("case", BAD_MAPPINGS)
def test_mapping_mistakes_name_the_key(case, workspace, export, tmp_path) -> None:
    text, expected = BAD_MAPPINGS[case]
    data, _ = export
    mapping = _write_mapping(tmp_path, text)
    with pytest.raises(CxpmError) as info:
        ingest(workspace, "contacts", [data], mapping=mapping)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)
    assert row_counts(workspace) == dict.fromkeys(row_counts(workspace), 0)


def test_mapping_that_does_not_fit_the_table_or_file(workspace, export, tmp_path) -> None:
    data, mapping = export
    with pytest.raises(CxpmError, match="is for table 'contacts', not 'surveys'"):
        ingest(workspace, "surveys", [data], mapping=mapping)
    wrong_column = _write_mapping(tmp_path, '[columns]\nqeue = "Skill"\n')
    with pytest.raises(CxpmError, match=r"columns.qeue: 'contacts' has no column 'qeue'"):
        ingest(workspace, "contacts", [data], mapping=wrong_column)
    missing_source = _write_mapping(
        tmp_path, MAPPING.replace('talk_s = "Talk"', 'talk_s = "TalkTime"')
    )
    with pytest.raises(CxpmError, match=r"missing column\(s\): TalkTime \(columns.talk_s\)"):
        ingest(workspace, "contacts", [data], mapping=missing_source)
    missing_in_expr = _write_mapping(
        tmp_path, MAPPING.replace("'acme-' || \\\"Call Ref\\\"", "'acme-' || CallRef")
    )
    with pytest.raises(CxpmError, match=r"CallRef \(columns.contact_id.expr\)"):
        ingest(workspace, "contacts", [data], mapping=missing_in_expr)
    clash = _write_mapping(tmp_path, MAPPING.replace("wait_s =", "wait ="))
    with pytest.raises(CxpmError, match=r"define\.wait has the name of a source column"):
        ingest(workspace, "contacts", [data], mapping=clash)
    with pytest.raises(CxpmError, match="mapping file not found"):
        ingest(workspace, "contacts", [data], mapping=tmp_path / "none.toml")
    throwing = _write_mapping(tmp_path, MAPPING.replace(
        'talk_s = "Talk"', 'talk_s = { expr = "CAST(Wait AS INTEGER)" }'))
    with pytest.raises(CxpmError, match="the mapping cannot be applied"):
        ingest(workspace, "contacts", [data], mapping=throwing)
    assert row_counts(workspace) == dict.fromkeys(row_counts(workspace), 0)


def test_example_mappings_are_valid() -> None:
    root = Path(__file__).resolve().parents[2] / "examples" / "mappings"
    files = sorted(root.glob("*.toml"))
    assert files
    for path in files:
        assert load_mapping(path).table == "contacts"
