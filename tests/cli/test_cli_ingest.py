"""`cxpm ingest`, `cxpm quarantine` and workspace metric definitions through the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "tests" / "data" / "anonymous-bank" / "calls-1999-02.txt"
BANK_MAPPING = ROOT / "examples" / "mappings" / "anonymous-bank.toml"

CONTACTS_CSV = """contact_id,channel,queue,arrived_at,answered_at,ended_at,abandoned,talk_s
c1,voice,billing,2026-03-02T09:00:00Z,2026-03-02T09:00:10Z,2026-03-02T09:05:10Z,false,300
c2,voice,billing,2026-03-02T09:01:00Z,,2026-03-02T09:01:40Z,true,
c3,voice,billing,2026-03-02T09:02:00Z,2026-03-02T09:01:00Z,2026-03-02T09:03:00Z,false,60
c4,voice,billing,2026-03-02T09:03:00Z,2026-03-02T09:03:30Z,2026-03-02T09:07:30Z,false,240
"""


@pytest.fixture
def ws(cli, tmp_path: Path) -> Path:
    path = tmp_path / "ws"
    assert cli("init", path, "--timezone", "Asia/Jerusalem").exit_code == 0
    return path


def test_ingest_json_summary_contract_and_idempotence(cli, ws: Path, tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text(CONTACTS_CSV)
    first = cli("ingest", "contacts", source, "--workspace", ws, "--format", "json").json()
    assert set(first) == {"batch_id", "table", "read", "loaded", "quarantined", "duplicates"}
    # c3 was answered before it arrived: quarantined, not loaded.
    assert (first["read"], first["loaded"], first["quarantined"], first["duplicates"]) == (
        4, 3, 1, 0)
    again = cli("ingest", "contacts", source, "--workspace", ws, "--format", "json").json()
    assert (again["loaded"], again["duplicates"], again["quarantined"]) == (0, 3, 1)
    assert again["batch_id"] != first["batch_id"]
    shown = cli("quarantine", "show", first["batch_id"], "--workspace", ws, "--format",
                "json").json()
    assert [(row["line"], row["source_file"]) for row in shown] == [(4, "contacts.csv")]
    assert "answered_at" in shown[0]["reason"] and shown[0]["raw"].startswith("c3,")
    listed = cli("quarantine", "list", "--workspace", ws, "--format", "json").json()
    assert [b["batch_id"] for b in listed] == [first["batch_id"], again["batch_id"]]
    offered = cli("metrics", "compute", "--workspace", ws, "--metric", "offered",
                  "--format", "json").json()
    assert offered == [{"metric": "offered", "value": 3.0, "numerator": None,
                        "denominator": None}]


def test_unreadable_file_is_one_line_error_and_loads_nothing(cli, ws: Path,
                                                              tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    wrong = tmp_path / "semicolons.csv"
    wrong.write_text("contact_id;arrived_at;abandoned\nc1;2026-03-02T09:00:00Z;false\n")
    for path in (empty, wrong, tmp_path / "missing.csv"):
        result = cli("ingest", "contacts", path, "--workspace", ws)
        assert result.exit_code == 1, path
        assert result.stderr.startswith("error: ")
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert cli("quarantine", "list", "--workspace", ws, "--format", "json").json() == []
    assert cli("quarantine", "show", "nope", "--workspace", ws).exit_code == 1


def test_anonymous_bank_through_the_cli(cli, ws: Path) -> None:
    summary = cli("ingest", "contacts", BANK, "--mapping", BANK_MAPPING, "--workspace", ws,
                  "--format", "json").json()
    phantoms = sum(1 for line in BANK.read_text().splitlines()[1:]
                   if line.split("\t")[12] == "PHANTOM")
    assert summary["read"] == len(BANK.read_text().splitlines()) - 1
    assert summary["quarantined"] == phantoms
    assert summary["loaded"] == summary["read"] - phantoms
    months = cli("metrics", "compute", "--workspace", ws, "--metric", "offered",
                 "--grain", "month", "--format", "json").json()
    # arrival times are local to Asia/Jerusalem: February 1999 holds every call
    assert [(m["period_start"], m["value"]) for m in months] == [
        ("1999-02-01T00:00:00", float(summary["loaded"]))]


def test_workspace_metrics_in_config(cli, ws: Path, tmp_path: Path) -> None:
    source = tmp_path / "contacts.csv"
    source.write_text(CONTACTS_CSV)
    cli("ingest", "contacts", source, "--workspace", ws)
    config = ws / "cxpm.toml"
    base = config.read_text()
    config.write_text(base + """
[[metrics]]
id = "long_calls_rate"
title = "Share of handled calls over 4 minutes"
family = "efficiency"
unit = "ratio"
direction = "lower"
source = "contacts"
filter = "notnull(answered_at)"
numerator = "talk_s > 240"
denominator = "1"
description = "Handled calls with more than 240 s of talk / handled calls."
""")
    listed = {m["id"] for m in cli("metrics", "list", "--workspace", ws,
                                    "--format", "json").json()}
    assert "long_calls_rate" in listed
    value = cli("metrics", "compute", "--workspace", ws, "--metric", "long_calls_rate",
                "--format", "json").json()[0]
    assert (value["numerator"], value["denominator"]) == (1.0, 2.0)
    config.write_text(base + """
[[metrics]]
id = "broken"
title = "Broken"
family = "efficiency"
unit = "ratio"
direction = "lower"
source = "contacts"
numerator = "no_such_column > 1"
denominator = "1"
description = "Refers to a column contacts does not have."
""")
    result = cli("metrics", "list", "--workspace", ws)
    assert result.exit_code == 1
    assert "broken" in result.stderr and "no_such_column" in result.stderr
