"""`cxpm actions`: through the real entry point."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

from cxpm.ingest import ingest
from cxpm.schema import get_table
from cxpm.workspace import Workspace


def flat(text: str) -> str:
    return " ".join(text.split())


def test_life_of_an_action(cli, workspace: Workspace) -> None:
    w = ("-w", str(workspace.path))
    created = cli("actions", "new", "--title", "Lunch abandons", "--metric",
                  "abandonment_rate", "--scope", "queue=billing", "--problem", "Too many",
                  "--owner", "ana", "--origin", "signal", "--origin-ref", "we2 2026-03",
                  "--actor", "ana", "--format", "json", *w)
    assert created.exit_code == 0, created.stderr
    action = created.json()
    assert (action["state"], action["scope"], action["origin_ref"]) == (
        "open", {"queue": "billing"}, "we2 2026-03")
    number = str(action["id"])

    illegal = cli("actions", "update", number, "--state", "verifying", *w)
    assert illegal.exit_code == 1
    assert "cannot become verifying; allowed: analysing" in flat(illegal.stderr)

    result = cli("actions", "update", number, "--state", "analysing",
                 "--root-cause-method", "5 whys",
                 "--finding", "Why do customers hang up? => They wait over 2 minutes",
                 "--finding", "Why? => Lunch breaks all at noon",
                 "--cause-category", "forecast/staffing", "--add-task", "Stagger lunches",
                 "--task-owner", "bo", "--task-due", "2026-04-30", "--note", "5 whys done",
                 "--format", "json", *w)
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["state"] == "analysing" and data["root_cause_method"] == "5-whys"
    assert data["findings"] == [
        {"why": "Why do customers hang up?", "answer": "They wait over 2 minutes"},
        {"why": "Why?", "answer": "Lunch breaks all at noon"}]
    assert data["tasks"][0]["due_date"] == "2026-04-30"

    overdue = cli("actions", "list", "--overdue", "--today", "2026-05-01", "--format",
                  "json", *w)
    assert [(o["action"]["id"], o["days_late"]) for o in overdue.json()] == [
        (action["id"], 1)]
    assert cli("actions", "list", "--overdue", "--today", "2026-04-30", "--format",
               "json", *w).json() == []
    listed = cli("actions", "list", "--state", "analysing", *w)
    assert listed.exit_code == 0 and "Lunch" in listed.stdout

    cli("actions", "update", number, "--state", "acting", "--task-done", "1",
        "--today", "2026-04-20", *w)
    shown = cli("actions", "show", number, *w)
    assert shown.exit_code == 0
    text = flat(shown.stdout)
    assert "state: acting" in text and "Lunch breaks all at noon" in text
    assert "Stagger lunches" in text and "2026-04-20" in text

    bad = cli("actions", "update", number, "--cause-category", "weather", *w)
    assert bad.exit_code == 1 and "unknown cause category 'weather'" in bad.stderr
    empty = cli("actions", "new", "--title", "", "--metric", "aht", *w)
    assert empty.exit_code == 1 and flat(empty.stderr).startswith("error: title:")


def write_contacts(path: Path, abandoned_by_month: dict[date, int], offered: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=get_table("contacts").column_names,
                                restval="")
        writer.writeheader()
        for month, abandoned in abandoned_by_month.items():
            for i in range(offered):
                arrived = datetime.combine(month, datetime.min.time()) + timedelta(days=i,
                                                                                   hours=9)
                gone = i < abandoned
                writer.writerow({
                    "contact_id": f"{month:%Y%m}-{i}", "channel": "voice", "queue": "billing",
                    "arrived_at": f"{arrived:%Y-%m-%dT%H:%M:%S}Z",
                    "answered_at": "" if gone else f"{arrived:%Y-%m-%dT%H:%M:%S}Z",
                    "ended_at": f"{arrived + timedelta(minutes=5):%Y-%m-%dT%H:%M:%S}Z",
                    "abandoned": str(gone).lower()})
    return path


def test_verify_and_apply(cli, workspace: Workspace, tmp_path: Path) -> None:
    w = ("-w", str(workspace.path))
    months = {date(2026, 1, 1): 6, date(2026, 2, 1): 7, date(2026, 3, 1): 1}
    ingest(workspace, "contacts", [write_contacts(tmp_path / "c.csv", months, 20)])
    workspace.close()
    assert cli("targets", "set", "--metric", "abandonment_rate", "--value", "0.1",
               "--from", "2026-01", *w).exit_code == 0
    number = str(cli("actions", "new", "--title", "t", "--metric", "abandonment_rate",
                     "--format", "json", *w).json()["id"])
    for args in (("--state", "analysing"), ("--state", "acting"),
                 ("--state", "verifying", "--implemented", "2026-03-01")):
        assert cli("actions", "update", number, *args, *w).exit_code == 0

    waiting = cli("actions", "verify", number, "--today", "2026-03-31", "--format", "json",
                  *w)
    assert (waiting.json()["proposal"], waiting.json()["applied"]) == ("wait", False)
    refused = cli("actions", "verify", number, "--apply", "--today", "2026-03-31", *w)
    assert refused.exit_code == 1 and "nothing to apply" in refused.stderr

    check = cli("actions", "verify", number, "--periods", "1", "--today", "2026-04-01",
                "--format", "json", *w).json()
    assert check["proposal"] == "close-effective"
    assert [(e["period"], e["phase"], e["value"]) for e in check["evidence"]] == [
        ("2026-01", "baseline", 6 / 20), ("2026-02", "baseline", 7 / 20),
        ("2026-03", "after", 1 / 20)]
    table = cli("actions", "verify", number, "--periods", "1", "--today", "2026-04-01",
                "--apply", "--actor", "auditor", *w)
    assert table.exit_code == 0, table.stderr
    assert "close-effective" in table.stdout and "now closed-effective" in flat(table.stdout)
    assert cli("actions", "show", number, "--format", "json", *w).json()[
        "verification"]["verified_by"] == "auditor"
