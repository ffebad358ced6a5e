"""Batches: idempotent re-loads, atomic writes, batch records and the count invariant."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import contact, row_counts, table_rows, writer_for

from cxpm.errors import CxpmError
from cxpm.ingest import IngestSummary, ingest, list_batches, quarantined_rows, writer
from cxpm.warehouse import BATCHES_TABLE, QUARANTINE_TABLE
from cxpm.workspace import init_workspace


def test_loading_the_same_file_again_loads_nothing_twice(workspace, write_csv) -> None:
    path = write_csv("c.csv", [contact("c1"), contact("c2"), contact("bad", channel="fax")])
    first = ingest(workspace, "contacts", [path])
    second = ingest(workspace, "contacts", [path])
    assert (first.loaded, first.quarantined, first.duplicates) == (2, 1, 0)
    assert (second.loaded, second.quarantined, second.duplicates) == (0, 1, 2)
    assert sorted(r["contact_id"] for r in table_rows(workspace, "contacts")) == ["c1", "c2"]
    # An overlapping later export loads only what is new.
    later = write_csv("later.csv", [contact("c2"), contact("c3")])
    third = ingest(workspace, "contacts", [later])
    assert (third.loaded, third.duplicates) == (1, 1)
    assert [r["source"] for r in table_rows(workspace, "contacts")
            if r["contact_id"] == "c3"] == ["later.csv"]


def test_several_files_are_one_batch(workspace, write_csv) -> None:
    a = write_csv("a.csv", [contact("c1"), contact("c2")])
    b = write_csv("b.csv", [contact("c2"), contact("c3"), contact("x", talk_s="-5")])
    summary = ingest(workspace, "contacts", [a, b])
    assert (summary.read, summary.loaded, summary.quarantined) == (5, 3, 2)
    reasons = {(r.source_file, r.line): r.reason
               for r in quarantined_rows(workspace, summary.batch_id)}
    assert reasons[("b.csv", 2)] == "duplicate key (contact_id=c2) of line 3 in a.csv"
    assert reasons[("b.csv", 4)] == "talk_s: -5.0 is below the minimum 0"
    [batch] = list_batches(workspace)
    assert batch.batch_id == summary.batch_id
    assert batch.source_files == ["a.csv", "b.csv"]
    assert (batch.table, batch.read, batch.loaded, batch.quarantined, batch.duplicates) == (
        "contacts", 5, 3, 2, 0)


def test_batches_are_listed_oldest_first(workspace, write_csv) -> None:
    first = ingest(workspace, "contacts", [write_csv("a.csv", [contact("c1")])])
    second = ingest(workspace, "contacts", [write_csv("b.csv", [contact("c1")])])
    assert [b.batch_id for b in list_batches(workspace)] == [first.batch_id, second.batch_id]
    assert quarantined_rows(workspace, second.batch_id) == []


def test_unknown_batch_is_a_clear_error(workspace) -> None:
    with pytest.raises(CxpmError, match="no batch 'nope'"):
        quarantined_rows(workspace, "nope")


def test_a_failing_write_leaves_nothing_behind(workspace, write_csv, monkeypatch) -> None:
    path = write_csv("c.csv", [contact("c1"), contact("bad", channel="fax")])
    con = workspace.warehouse.con
    real_insert = con.insert
    written: list[str] = []

    def insert_then_fail(name, obj, **kwargs):
        if name == BATCHES_TABLE:  # rows and quarantine are already written by now
            raise RuntimeError("disk full")
        written.append(name)
        return real_insert(name, obj, **kwargs)

    monkeypatch.setattr(con, "insert", insert_then_fail)
    with pytest.raises(CxpmError, match="nothing was loaded: disk full"):
        ingest(workspace, "contacts", [path])
    assert written == ["contacts", QUARANTINE_TABLE]
    assert row_counts(workspace) == dict.fromkeys(row_counts(workspace), 0)
    monkeypatch.undo()
    assert ingest(workspace, "contacts", [path]).loaded == 1


def test_without_transactions_partial_writes_are_undone(workspace, write_csv,
                                                        monkeypatch) -> None:
    """Backends without a usable transaction get their partial writes deleted by batch id."""
    path = write_csv("c.csv", [contact("c1"), contact("bad", channel="fax")])
    con = workspace.warehouse.con
    real_insert = con.insert

    def insert_then_fail(name, obj, **kwargs):
        if name == BATCHES_TABLE:
            raise RuntimeError("connection lost")
        return real_insert(name, obj, **kwargs)

    monkeypatch.setattr(writer, "has_transactions", lambda warehouse: False)
    monkeypatch.setattr(con, "insert", insert_then_fail)
    with pytest.raises(CxpmError, match="nothing was loaded: connection lost"):
        ingest(workspace, "contacts", [path])
    assert row_counts(workspace) == dict.fromkeys(row_counts(workspace), 0)


def test_progress_reaches_the_total(workspace, write_csv) -> None:
    a = write_csv("a.csv", [contact(f"a{i}") for i in range(50)])
    b = write_csv("b.csv", [contact(f"b{i}") for i in range(50)])
    seen: list[tuple[int, int]] = []
    ingest(workspace, "contacts", [a, b], progress=lambda done, total: seen.append((done, total)))
    total = a.stat().st_size + b.stat().st_size
    assert seen[-1] == (total, total)
    assert all(t == total for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_summary_json_contract(workspace, write_csv) -> None:
    summary = ingest(workspace, "contacts", [write_csv("a.csv", [contact("c1")])])
    assert list(summary.model_dump()) == ["batch_id", "table", "read", "loaded", "quarantined",
                                          "duplicates"]


# Rows are drawn from a small id space so batches mix new keys, keys loaded earlier,
# keys repeated within the batch, and invalid rows.
_row = st.tuples(
    st.sampled_from(["c1", "c2", "c3", "c4", "c5", ""]),
    st.sampled_from(["voice", "chat", "fax"]),
    st.sampled_from(["10", "-1", "x", ""]),
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(_row, min_size=1, max_size=12), min_size=1, max_size=3))
def test_read_equals_loaded_plus_quarantined_plus_duplicates(workspace, tmp_path,
                                                              batches) -> None:
    # One workspace serves all examples: each example gets its own key prefix.
    prefix = uuid.uuid4().hex[:8]
    write = writer_for(tmp_path)
    loaded_keys: set[str] = set()
    for n, batch in enumerate(batches):
        batch = [(f"{prefix}-{cid}" if cid else "", ch, talk) for cid, ch, talk in batch]
        rows = [contact(cid, channel=ch, talk_s=talk) for cid, ch, talk in batch]
        summary: IngestSummary = ingest(workspace, "contacts", [write(f"b{n}.csv", rows)])
        assert summary.read == len(rows)
        assert summary.read == summary.loaded + summary.quarantined + summary.duplicates
        # Independent expectation: a row is valid when it has an id, a known channel and
        # a non-negative number or nothing as talk time; the first valid row of a key
        # loads unless the key is already loaded; later ones are quarantined.
        valid = [cid for cid, ch, talk in batch if cid and ch != "fax" and talk in ("10", "")]
        first_seen = list(dict.fromkeys(valid))
        expected_loaded = [k for k in first_seen if k not in loaded_keys]
        assert summary.loaded == len(expected_loaded)
        assert summary.duplicates == len(first_seen) - len(expected_loaded)
        assert summary.quarantined == len(rows) - len(first_seen)
        assert len(quarantined_rows(workspace, summary.batch_id)) == summary.quarantined
        loaded_keys |= set(expected_loaded)
    stored = [r["contact_id"] for r in table_rows(workspace, "contacts")
              if r["contact_id"].startswith(prefix)]
    assert sorted(stored) == sorted(loaded_keys)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(alphabet='ab1,"\n\r;\t ', max_size=80))
def test_any_text_is_loaded_quarantined_or_refused_whole(workspace, tmp_path, body) -> None:
    """Arbitrary text after a valid header: either a clean refusal (nothing written) or
    every record accounted for and its quarantine rows stored. One workspace serves all
    examples, so keys loaded by an earlier example come back as duplicates."""
    path = tmp_path / "fuzz.csv"
    path.write_text("contact_id,arrived_at,abandoned\n" + body, encoding="utf-8", newline="")
    before = row_counts(workspace)
    try:
        summary = ingest(workspace, "contacts", [path])
    except CxpmError as exc:
        assert "\n" not in str(exc)
        assert row_counts(workspace) == before
        return
    after = row_counts(workspace)
    assert summary.read == summary.loaded + summary.quarantined + summary.duplicates
    assert summary.read >= 1
    assert len(quarantined_rows(workspace, summary.batch_id)) == summary.quarantined
    assert after["contacts"] - before["contacts"] == summary.loaded
    assert after[QUARANTINE_TABLE] - before[QUARANTINE_TABLE] == summary.quarantined


def test_workspace_path_is_reused(tmp_path: Path) -> None:
    """Another process (the CLI) opening the same workspace sees the batch records."""
    ws = init_workspace(tmp_path / "ws", "UTC")
    write = writer_for(tmp_path)
    summary = ingest(ws, "contacts", [write("a.csv", [contact("c1")])])
    ws.close()
    from cxpm.workspace import open_workspace

    again = open_workspace(tmp_path / "ws")
    assert [b.batch_id for b in list_batches(again)] == [summary.batch_id]
    again.close()
