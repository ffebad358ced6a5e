"""Files already in canonical form load without a mapping; every validation rule holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import contact, table_rows

from cxpm.ingest import ingest, quarantined_rows
from cxpm.workspace import init_workspace


@pytest.fixture
def paris(tmp_path: Path):
    ws = init_workspace(tmp_path / "paris", "Europe/Paris")
    yield ws
    ws.close()


def test_timestamps_booleans_and_nulls_are_read_as_documented(paris, write_csv) -> None:
    rows = [
        contact("z", arrived_at="2026-08-01T07:30:12Z", answered_at="2026-08-01T07:30:40.25Z",
                ended_at=None, talk_s=None, abandoned="false"),
        contact("offset", arrived_at="2026-08-01T09:30:12+02:00", answered_at=None,
                ended_at=None, abandoned="true"),
        contact("naive", arrived_at="2026-12-01 07:30:12", answered_at=None, ended_at=None,
                abandoned="TRUE", customer_id="", queue=""),
    ]
    summary = ingest(paris, "contacts", [write_csv("contacts.csv", rows)])
    assert summary.model_dump() == {
        "batch_id": summary.batch_id, "table": "contacts", "read": 3, "loaded": 3,
        "quarantined": 0, "duplicates": 0,
    }
    got = {r["contact_id"]: r for r in table_rows(paris, "contacts")}
    z, offset, naive = got["z"], got["offset"], got["naive"]
    assert z["arrived_at"] == datetime(2026, 8, 1, 7, 30, 12)
    assert z["answered_at"] == datetime(2026, 8, 1, 7, 30, 40, 250000)
    assert z["ended_at"] is None and z["talk_s"] is None and z["abandoned"] is False
    # Offsets are respected: 09:30:12+02:00 is 07:30:12 UTC.
    assert offset["arrived_at"] == datetime(2026, 8, 1, 7, 30, 12)
    assert offset["abandoned"] is True
    # Naive timestamps are UTC when no mapping says otherwise.
    assert naive["arrived_at"] == datetime(2026, 12, 1, 7, 30, 12)
    assert naive["customer_id"] is None and naive["queue"] is None
    # local_time is the time column in the workspace zone: Paris is UTC+2 in August,
    # UTC+1 in December.
    assert z["local_time"] == datetime(2026, 8, 1, 9, 30, 12)
    assert naive["local_time"] == datetime(2026, 12, 1, 8, 30, 12)
    assert {r["source"] for r in got.values()} == {"contacts.csv"}
    assert {r["batch_id"] for r in got.values()} == {summary.batch_id}


def _frame_rows() -> list[dict]:
    return [
        contact("a", talk_s="200"),
        contact("b", answered_at=None, ended_at=None, abandoned="true", talk_s=None),
    ]


def _loaded(ws) -> list[dict]:
    rows = table_rows(ws, "contacts")
    for r in rows:
        r.pop("batch_id")
        r.pop("source")
    return sorted(rows, key=lambda r: r["contact_id"])


def test_parquet_and_jsonl_load_like_csv(tmp_path: Path, write_csv) -> None:
    rows = _frame_rows()
    csv_ws = init_workspace(tmp_path / "csv", "UTC")
    ingest(csv_ws, "contacts", [write_csv("c.csv", rows)])

    jsonl = tmp_path / "c.jsonl"
    typed = []
    for r in rows:
        t = {k: v for k, v in r.items() if v is not None}
        t["abandoned"] = t["abandoned"] == "true"
        if "talk_s" in t:
            t["talk_s"] = float(t["talk_s"])
        typed.append(t)
    jsonl.write_text("".join(json.dumps(t) + "\n" for t in typed), encoding="utf-8")
    json_ws = init_workspace(tmp_path / "json", "UTC")
    assert ingest(json_ws, "contacts", [jsonl]).loaded == 2

    def ts(text: str | None) -> datetime | None:
        if text is None:
            return None
        # Parquet with zone-aware timestamps in another zone: the instant must survive.
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(
            timezone(timedelta(hours=-5))
        )

    table = pa.table({
        "contact_id": [r["contact_id"] for r in rows],
        "channel": [r["channel"] for r in rows],
        "queue": [r["queue"] for r in rows],
        "arrived_at": pa.array([ts(r["arrived_at"]) for r in rows],
                               type=pa.timestamp("us", tz="America/New_York")),
        "answered_at": pa.array([ts(r["answered_at"]) for r in rows],
                                type=pa.timestamp("us", tz="America/New_York")),
        "ended_at": pa.array(
            [None if r["ended_at"] is None else
             datetime.fromisoformat(r["ended_at"].replace("Z", "+00:00")).astimezone(UTC)
             .replace(tzinfo=None) for r in rows],
            type=pa.timestamp("us"),  # naive: UTC
        ),
        "abandoned": [r["abandoned"] == "true" for r in rows],
        "talk_s": pa.array([None if r["talk_s"] is None else float(r["talk_s"]) for r in rows]),
    })
    parquet = tmp_path / "c.parquet"
    pq.write_table(table, parquet)
    pq_ws = init_workspace(tmp_path / "pq", "UTC")
    assert ingest(pq_ws, "contacts", [parquet]).loaded == 2

    expected = _loaded(csv_ws)
    assert expected[0]["arrived_at"] == datetime(2026, 8, 1, 7, 30, 12)
    assert _loaded(json_ws) == expected
    assert _loaded(pq_ws) == expected
    for ws in (csv_ws, json_ws, pq_ws):
        ws.close()


def test_each_rule_quarantines_with_a_reason_naming_column_and_value(workspace,
                                                                     write_csv) -> None:
    rows = [
        contact("ok"),
        contact("bad-number", talk_s="abc"),
        contact("", queue="no id"),
        contact("bad-enum", channel="fax"),
        contact("negative", talk_s="-1"),
        contact("order", answered_at="2026-08-01T07:00:00Z"),
        contact("bad-time", arrived_at="yesterday"),
        contact("bad-bool", abandoned="maybe"),
        contact("ok"),
    ]
    path = write_csv("rules.csv", rows)
    summary = ingest(workspace, "contacts", [path])
    assert (summary.read, summary.loaded, summary.quarantined, summary.duplicates) == (
        9, 1, 8, 0)
    reasons = {r.line: r.reason for r in quarantined_rows(workspace, summary.batch_id)}
    # Line 1 is the header, so row i of `rows` is on line i + 2.
    assert reasons[3] == "talk_s: cannot read 'abc' as float"
    assert reasons[4] == "contact_id is required but empty"
    assert reasons[5] == "channel: 'fax' is not one of voice, chat, email, messaging, " \
                         "social, self_service"
    assert reasons[6] == "talk_s: -1.0 is below the minimum 0"
    assert reasons[7] == ("answered_at (2026-08-01T07:00:00Z) is before arrived_at "
                          "(2026-08-01T07:30:12Z)")
    assert reasons[8].startswith("arrived_at: cannot read 'yesterday' as timestamp")
    assert reasons[9] == "abandoned: cannot read 'maybe' as bool"
    assert reasons[10] == "duplicate key (contact_id=ok) of line 2 in rules.csv"
    quarantined = {r.line: r for r in quarantined_rows(workspace, summary.batch_id)}
    assert quarantined[3].raw == path.read_text().splitlines()[2]
    assert quarantined[3].source_file == "rules.csv" and quarantined[3].table == "contacts"


def test_maximum_rule(workspace, write_csv) -> None:
    columns = ["survey_id", "responded_at", "csat", "nps"]
    rows = [
        {"survey_id": "s1", "responded_at": "2026-08-01T10:00:00Z", "csat": "5", "nps": "10"},
        {"survey_id": "s2", "responded_at": "2026-08-01T10:00:00Z", "csat": "6", "nps": "3"},
        {"survey_id": "s3", "responded_at": "2026-08-01T10:00:00Z", "csat": "4.5"},
    ]
    summary = ingest(workspace, "surveys", [write_csv("s.csv", rows, columns)])
    assert summary.loaded == 1
    reasons = sorted(r.reason for r in quarantined_rows(workspace, summary.batch_id))
    assert reasons[0] == "csat: 6 is above the maximum 5"


def test_nullable_key_columns_compare_null_safely(workspace, write_csv) -> None:
    columns = ["period_start", "period_end", "program", "site", "vendor", "cost_type",
               "amount", "currency"]
    base = {"period_start": "2026-08-01T00:00:00Z", "period_end": "2026-09-01T00:00:00Z",
            "cost_type": "labor", "amount": "100", "currency": "EUR"}
    rows = [
        {**base, "program": "A"},
        {**base, "program": "A"},  # same key as line 2, all-null site/vendor included
        {**base, "program": None},
        {**base, "program": "A", "site": "s1"},
    ]
    path = write_csv("costs.csv", rows, columns)
    first = ingest(workspace, "costs", [path])
    assert (first.loaded, first.quarantined) == (3, 1)
    reason = quarantined_rows(workspace, first.batch_id)[0].reason
    assert reason.startswith("duplicate key (period_start=2026-08-01 00:00:00, program=A, "
                             "site=null, vendor=null, cost_type=labor) of line 2")
    again = ingest(workspace, "costs", [path])
    assert (again.loaded, again.quarantined, again.duplicates) == (0, 1, 3)


def test_timestamp_keys_dedupe_on_reload(workspace, write_csv) -> None:
    columns = ["agent_id", "state", "started_at", "ended_at"]
    rows = [
        {"agent_id": "a1", "state": "available", "started_at": "2026-08-01T08:00:00Z",
         "ended_at": "2026-08-01T08:30:00Z"},
        {"agent_id": "a1", "state": "break", "started_at": "2026-08-01T08:30:00Z",
         "ended_at": "2026-08-01T08:45:00Z"},
    ]
    path = write_csv("states.csv", rows, columns)
    assert ingest(workspace, "agent_states", [path]).loaded == 2
    # The same instants written with an offset are the same keys.
    shifted = [{**r, "started_at": r["started_at"].replace("08:", "10:").replace("Z", "+02:00")}
               for r in rows]
    again = ingest(workspace, "agent_states", [write_csv("states2.csv", shifted, columns)])
    assert (again.loaded, again.duplicates) == (0, 2)


def test_quoted_fields_and_records_spanning_lines(workspace, tmp_path) -> None:
    header = "contact_id,arrived_at,abandoned,reason"
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(
        f"{header}\n"
        '"q1","2026-08-01T07:30:12Z",false,"billing, refund"\n'
        '"q2","2026-08-01T07:30:12Z",false\n'
        '\n'
        '"q3","2026-08-01T07:30:12Z",true,"say ""hi"""\n',
        encoding="utf-8",
    )
    summary = ingest(workspace, "contacts", [quoted])
    assert (summary.read, summary.loaded, summary.quarantined) == (3, 2, 1)
    [bad] = quarantined_rows(workspace, summary.batch_id)
    assert (bad.line, bad.reason) == (3, "expected 4 fields, found 3")
    assert bad.raw == '"q2","2026-08-01T07:30:12Z",false'

    multiline = tmp_path / "multiline.csv"
    multiline.write_text(
        f"{header}\n"
        'm1,2026-08-01T07:30:12Z,false,"first line\nsecond line"\n'
        "m2,2026-08-01T07:30:12Z,false\n"
        "m3,2026-08-01T07:30:12Z,maybe,x\n",
        encoding="utf-8",
    )
    summary = ingest(workspace, "contacts", [multiline])
    assert (summary.read, summary.loaded, summary.quarantined) == (3, 1, 2)
    reasons = {r.line: (r.reason, r.raw) for r in quarantined_rows(workspace, summary.batch_id)}
    assert reasons == {
        4: ("expected 4 fields, found 3", "m2,2026-08-01T07:30:12Z,false"),
        5: ("abandoned: cannot read 'maybe' as bool", "m3,2026-08-01T07:30:12Z,maybe,x"),
    }
    got = {r["contact_id"]: r["reason"] for r in table_rows(workspace, "contacts")}
    assert got == {"q1": "billing, refund", "q3": 'say "hi"', "m1": "first line\nsecond line"}


def test_rejected_parquet_and_jsonl_rows_keep_row_number_and_content(workspace,
                                                                      tmp_path) -> None:
    parquet = tmp_path / "c.parquet"
    pq.write_table(pa.table({
        "contact_id": ["p1", "p2"],
        "channel": ["voice", "fax"],
        "arrived_at": pa.array([datetime(2026, 8, 1, 7), datetime(2026, 8, 1, 8)],
                               type=pa.timestamp("us")),
        "abandoned": [False, True],
    }), parquet)
    summary = ingest(workspace, "contacts", [parquet])
    [bad] = quarantined_rows(workspace, summary.batch_id)
    assert (bad.line, bad.source_file) == (2, "c.parquet")
    assert json.loads(bad.raw) == {"contact_id": "p2", "channel": "fax",
                                   "arrived_at": "2026-08-01 08:00:00", "abandoned": True}

    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text(
        '{"contact_id": "j1", "arrived_at": "2026-08-01T07:00:00Z", "abandoned": false}\n'
        "\n"
        "not json\n"
        '["a list"]\n'
        '{"contact_id": "j2", "arrived_at": "2026-08-01T07:00:00Z"}\n',
        encoding="utf-8",
    )
    summary = ingest(workspace, "contacts", [jsonl])
    assert (summary.read, summary.loaded, summary.quarantined) == (4, 1, 3)
    reasons = {r.line: (r.reason, r.raw) for r in quarantined_rows(workspace, summary.batch_id)}
    assert reasons[3] == ("invalid JSON: Expecting value", "not json")
    assert reasons[4] == ("not a JSON object", '["a list"]')
    assert reasons[5][0] == "abandoned is required but empty"
