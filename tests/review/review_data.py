"""Small hand-built operations for the review tests (library and CLI), loaded with the real
ingest in UTC. The raw rows stay plain Python so that every expected number is worked out
from them independently of the metric engine.

- The drill operation: programs telecom and retail, February and March 2026, queues with
  different volumes and abandonment; queue legacy exists only in February and queue
  priority only in March. Two agents in teams red and blue log states in both months.
- The weekly operation: one program from Saturday 2025-12-13 to Tuesday 2026-03-31, so the
  first and last weeks are partial. Weeks alternate between a quiet and a busy pattern;
  the planted variant abandons most contacts of the week of 2026-03-16.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from cxpm.ingest.loader import ingest
from cxpm.schema import get_table
from cxpm.targets.model import TargetSpec
from cxpm.targets.store import set_targets
from cxpm.workspace import init_workspace

SL_THRESHOLD_S = 20  # the default service-level threshold for voice

# ---------------------------------------------------------------- the drill operation

FEB, MAR = date(2026, 2, 1), date(2026, 3, 1)
# (program, queue) -> month -> (offered, abandoned)
DRILL_PLAN: dict[tuple[str, str], dict[date, tuple[int, int]]] = {
    ("telecom", "billing"): {FEB: (10, 1), MAR: (12, 3)},
    ("telecom", "sales"): {FEB: (6, 1), MAR: (4, 2)},
    ("telecom", "legacy"): {FEB: (4, 2)},
    ("telecom", "priority"): {MAR: (4, 0)},
    ("retail", "billing"): {FEB: (5, 0), MAR: (5, 4)},
}
AGENT_TEAMS = {"a1": "red", "a2": "blue"}
# Hours per agent and month in state on_contact and available: occupancy 0.75 and 0.9.
AGENT_HOURS = {"a1": (3.0, 1.0), "a2": (4.5, 0.5)}


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _contact(contact_id: str, program: str, queue: str, arrived: datetime, *,
             abandoned: bool, wait_s: int, talk_s: int, abandon_after_s: int,
             agent_id: str) -> dict[str, Any]:
    return {
        "contact_id": contact_id, "channel": "voice", "direction": "inbound",
        "queue": queue, "program": program, "site": "north",
        "agent_id": None if abandoned else agent_id,
        "arrived_at": stamp(arrived),
        "answered_at": None if abandoned else stamp(arrived + timedelta(seconds=wait_s)),
        "ended_at": stamp(arrived + timedelta(
            seconds=abandon_after_s if abandoned else wait_s + talk_s)),
        "abandoned": "true" if abandoned else "false",
        "talk_s": None if abandoned else talk_s,
        # kept for the tests, not loaded
        "_arrived": arrived, "_abandoned": abandoned,
        "_wait_s": None if abandoned else wait_s,
        "_abandon_after_s": abandon_after_s if abandoned else None,
        "_talk_s": None if abandoned else talk_s,
    }


def drill_contacts() -> list[dict[str, Any]]:
    """Contact k of a queue and month arrives on day k + 1; the first `abandoned` abandon
    (after 30 s for even k, 10 s for odd k: the latter do not count in the service-level
    denominator); the others wait 3 + 4 k seconds (within 20 s for k <= 4)."""
    rows = []
    for (program, queue), months in DRILL_PLAN.items():
        for month, (offered, abandoned) in months.items():
            for k in range(offered):
                arrived = datetime(month.year, month.month, k + 1, 9 + len(queue) % 5, 0)
                rows.append(_contact(
                    f"{program}-{queue}-{month:%m}-{k}", program, queue, arrived,
                    abandoned=k < abandoned, wait_s=3 + 4 * k, talk_s=100 + 10 * k,
                    abandon_after_s=30 if k % 2 == 0 else 10, agent_id=f"a{k % 2 + 1}"))
    return rows


def drill_roster() -> list[dict[str, Any]]:
    return [{"agent_id": agent, "name": agent.upper(), "site": "north", "team": team,
             "hired_at": "2025-01-01T00:00:00Z"} for agent, team in AGENT_TEAMS.items()]


def drill_agent_states() -> list[dict[str, Any]]:
    """Per agent and month one on_contact block then one available block on day 2."""
    rows = []
    for month in (FEB, MAR):
        for agent, (handling, available) in AGENT_HOURS.items():
            start = datetime(month.year, month.month, 2, 8, 0)
            middle = start + timedelta(hours=handling)
            rows.append({"agent_id": agent, "state": "on_contact", "started_at": stamp(start),
                         "ended_at": stamp(middle)})
            rows.append({"agent_id": agent, "state": "available", "started_at": stamp(middle),
                         "ended_at": stamp(middle + timedelta(hours=available))})
    return rows


def drill_targets() -> list[TargetSpec]:
    """A global abandonment target and a stricter-looking but more specific one for
    telecom (the specific one applies to telecom), an occupancy target for everyone and a
    service-level target for telecom."""
    start = date(2026, 1, 1)
    return [
        TargetSpec(metric="abandonment_rate", valid_from=start, value=0.10),
        TargetSpec(metric="abandonment_rate", scope={"program": "telecom"}, valid_from=start,
                   value=0.15),
        TargetSpec(metric="occupancy", valid_from=start, value=0.85),
        TargetSpec(metric="service_level", scope={"program": "telecom"}, valid_from=start,
                   value=0.80),
    ]


# ---------------------------------------------------------------- the weekly operation

WEEK0 = date(2025, 12, 8)  # Monday of the (partial) first week
DATA_START = date(2025, 12, 13)  # a Saturday
DATA_END = date(2026, 3, 31)  # a Tuesday: the reviewed month ends mid-week
PLANTED_WEEK = date(2026, 3, 16)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def is_busy_week(monday: date) -> bool:
    return ((monday - WEEK0).days // 7) % 2 == 1


def weekly_contacts(planted: bool) -> list[dict[str, Any]]:
    """Three contacts a day; busy weeks add three on Monday, wait 14 s instead of 10 s and
    talk 240 s instead of 200 s. Quiet weeks abandon the first contact of Monday and
    Thursday, busy weeks that of Monday, Wednesday and Friday (after 40 s). The planted
    week abandons the first two contacts of every day."""
    rows = []
    day = DATA_START
    while day <= DATA_END:
        monday = week_start(day)
        busy = is_busy_week(monday)
        count = 3 + (3 if busy and day.weekday() == 0 else 0)
        for j in range(count):
            if planted and monday == PLANTED_WEEK:
                abandoned = j < 2
            else:
                abandoned = j == 0 and day.weekday() in ((0, 2, 4) if busy else (0, 3))
            rows.append(_contact(
                f"w-{day:%Y%m%d}-{j}", "care", "main",
                datetime(day.year, day.month, day.day, 9 + j, 0), abandoned=abandoned,
                wait_s=14 if busy else 10, talk_s=240 if busy else 200,
                abandon_after_s=40, agent_id="a1"))
        day += timedelta(days=1)
    return rows


def weekly_targets() -> list[TargetSpec]:
    """Abandonment misses; AHT lands in its warning band; service level misses with the
    planted week and is in its warning band without it; ASA is met."""
    start = date(2025, 12, 1)
    return [
        TargetSpec(metric="abandonment_rate", valid_from=start, value=0.05),
        TargetSpec(metric="service_level", valid_from=start, value=0.90, warning=0.85),
        TargetSpec(metric="aht", valid_from=start, value=200.0, warning=250.0),
        TargetSpec(metric="asa", valid_from=start, value=30.0),
    ]


# ---------------------------------------------------------------- loading

def write_table_csv(path: Path, table: str, rows: Sequence[dict[str, Any]]) -> Path:
    columns = [c for c in get_table(table).column_names if any(c in r for r in rows)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return path


def load_workspace(path: Path, tables: dict[str, list[dict[str, Any]]],
                   targets: Iterable[TargetSpec] = ()) -> Path:
    """A UTC workspace at `path` with `tables` ingested and `targets` set (closed again)."""
    ws = init_workspace(path, "UTC")
    try:
        for table, rows in tables.items():
            source = write_table_csv(path.parent / f"{path.name}-{table}.csv", table, rows)
            summary = ingest(ws, table, [source])
            assert summary.loaded == len(rows), (table, summary)
        specs = list(targets)
        if specs:
            set_targets(ws, specs, actor="tests")
    finally:
        ws.close()
    return path


def build_drill_workspace(folder: Path) -> Path:
    return load_workspace(folder / "drill", {
        "contacts": drill_contacts(), "roster": drill_roster(),
        "agent_states": drill_agent_states()}, drill_targets())


def build_weekly_workspace(folder: Path, planted: bool) -> Path:
    name = "planted" if planted else "control"
    return load_workspace(folder / name, {"contacts": weekly_contacts(planted)},
                          weekly_targets())


# ---------------------------------------------------------------- plain-Python figures

def abandonment_rate(rows: Sequence[dict[str, Any]]) -> float:
    return sum(r["_abandoned"] for r in rows) / len(rows)


def service_level(rows: Sequence[dict[str, Any]], threshold: int = SL_THRESHOLD_S) -> float:
    """Answered within the threshold / (answered + abandoned after the threshold)."""
    answered = [r for r in rows if not r["_abandoned"]]
    late_abandons = [r for r in rows if r["_abandoned"] and r["_abandon_after_s"] > threshold]
    within = [r for r in answered if r["_wait_s"] <= threshold]
    return len(within) / (len(answered) + len(late_abandons))


def service_level_denominator(rows: Sequence[dict[str, Any]],
                              threshold: int = SL_THRESHOLD_S) -> int:
    return sum(1 for r in rows if not r["_abandoned"]
               or r["_abandon_after_s"] > threshold)


def aht(rows: Sequence[dict[str, Any]]) -> float:
    answered = [r for r in rows if not r["_abandoned"]]
    return sum(r["_talk_s"] for r in answered) / len(answered)


def asa(rows: Sequence[dict[str, Any]]) -> float:
    answered = [r for r in rows if not r["_abandoned"]]
    return sum(r["_wait_s"] for r in answered) / len(answered)


def in_month(rows: Iterable[dict[str, Any]], month: date) -> list[dict[str, Any]]:
    return [r for r in rows if (r["_arrived"].year, r["_arrived"].month)
            == (month.year, month.month)]


def by_week(rows: Iterable[dict[str, Any]]) -> dict[date, list[dict[str, Any]]]:
    weeks: dict[date, list[dict[str, Any]]] = {}
    for row in rows:
        weeks.setdefault(week_start(row["_arrived"].date()), []).append(row)
    return dict(sorted(weeks.items()))
