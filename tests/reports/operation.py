"""A small hand-built operation for the report tests: one voice queue, six contacts a day from
Monday 2026-01-05 to Sunday 2026-04-26 (16 whole weeks). The first contact of each day
abandons (1 in 6); in the week of 2026-04-13 the first four do (a special cause). Targets:
abandonment rate at most 5% (missed every month) and AHT at most 1,000 s (met). The raw
rows stay here so that tests work out expected values with plain Python."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from cxpm.ingest.loader import ingest
from cxpm.schema import get_table
from cxpm.targets.model import TargetSpec
from cxpm.targets.store import set_target
from cxpm.workspace import init_workspace

FIRST_DAY = date(2026, 1, 5)
LAST_DAY = date(2026, 4, 26)
CONTACTS_PER_DAY = 6
SPIKE_WEEK = date(2026, 4, 13)
ABANDON_TARGET = 0.05
AHT_TARGET = 1000.0


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def abandoned_today(day: date) -> int:
    return 4 if SPIKE_WEEK <= day < SPIKE_WEEK + timedelta(days=7) else 1


def build_contacts() -> list[dict[str, Any]]:
    rows = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        for j in range(CONTACTS_PER_DAY):
            arrived = datetime(day.year, day.month, day.day, 10, 10 * j)
            abandoned = j < abandoned_today(day)
            talk = 200 + 10 * j
            rows.append({
                "contact_id": f"c-{day.isoformat()}-{j}", "channel": "voice",
                "queue": "main", "program": "billing", "site": "north",
                "agent_id": None if abandoned else f"a{j}",
                "arrived_at": _stamp(arrived),
                "answered_at": None if abandoned else _stamp(arrived + timedelta(seconds=10)),
                "ended_at": _stamp(arrived + timedelta(seconds=30 if abandoned else 10 + talk)),
                "abandoned": "true" if abandoned else "false",
                "talk_s": None if abandoned else talk,
                "day": day,
            })
        day += timedelta(days=1)
    return rows


def build_workspace(path: Path) -> Path:
    """The workspace at `path`, contacts loaded and the two targets set (closed again)."""
    rows = build_contacts()
    columns = [c for c in get_table("contacts").column_names if c in rows[0]]
    source = path.parent / f"{path.name}-contacts.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row[c] is None else row[c] for c in columns])
    ws = init_workspace(path, "UTC")
    try:
        summary = ingest(ws, "contacts", [source])
        assert summary.loaded == len(rows), summary
        for metric, value in (("abandonment_rate", ABANDON_TARGET), ("aht", AHT_TARGET)):
            set_target(ws, TargetSpec(metric=metric, valid_from=date(2025, 1, 1), value=value,
                                      owner="ops"), actor="test")
    finally:
        ws.close()
    return path


def add_actions(path: Path) -> None:
    """Corrective actions on the abandonment rate: #1 due 2026-04-30; #2 due 2026-06-30
    with a task due 2026-05-01; #3 due 2026-06-30, nothing late."""
    from cxpm.review.actions.model import ActionSpec, ActionUpdate, TaskSpec
    from cxpm.review.actions.store import create_action, update_action
    from cxpm.workspace import open_workspace

    ws = open_workspace(path)
    try:
        for title, due in (("Staff the morning peak", date(2026, 4, 30)),
                           ("Fix the IVR callback option", date(2026, 6, 30)),
                           ("Review the queue announcements", date(2026, 6, 30))):
            action = create_action(ws, ActionSpec(
                title=title, metric="abandonment_rate", owner="ops", due_date=due,
                origin="missed_target", problem="Abandonment far above target"), actor="test")
        update_action(ws, 2, ActionUpdate(add_tasks=[TaskSpec(
            description="Test the callback", due_date=date(2026, 5, 1))]), actor="test")
        assert action.id == 3
    finally:
        ws.close()
