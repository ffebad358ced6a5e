"""A small hand-built operation for the target and scorecard tests: two programs over four
months (2026-01 to 2026-04), ten inbound voice contacts per program and month, surveys and
monthly costs. The raw rows are kept here so that tests work out expected values from them
with plain Python; the workspace is loaded with the real ingest once per package and copied
for each module that changes it."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cxpm.ingest.loader import ingest
from cxpm.schema import get_table
from cxpm.workspace import Workspace, init_workspace, open_workspace

MONTHS = (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1))
PROGRAMS = ("banking", "billing")
# Abandoned contacts (out of ten) and the talk time of the first answered contact, per month.
ABANDONED = {"banking": (1, 0, 1, 2), "billing": (3, 2, 3, 1)}
TALK_BASE = {"banking": (200, 220, 180, 240), "billing": (300, 260, 280, 250)}
COST = {"banking": (1800.0, 2000.0, 2100.0, 1500.0), "billing": (2200.0, 2000.0, 1500.0, 2700.0)}
CONTACTS_PER_MONTH = 10


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_rows() -> dict[str, list[dict[str, Any]]]:
    """Contacts j = 0..9 per program and month: the first ABANDONED[j] abandon, the others
    are answered after 10 s and talk TALK_BASE + 10 j seconds; site north for even j, south
    for odd; agent a1..a4 by j. Every answered contact has a survey: CSAT 5, or 2 when
    (j + month index) is a multiple of 3. Costs: one labor amount per program and month."""
    contacts, surveys, costs = [], [], []
    for m, month in enumerate(MONTHS):
        for program in PROGRAMS:
            for j in range(CONTACTS_PER_MONTH):
                arrived = datetime(month.year, month.month, j + 1, 10, 0, 0)
                abandoned = j < ABANDONED[program][m]
                talk = TALK_BASE[program][m] + 10 * j
                contact_id = f"{program[:2]}-{m}-{j}"
                contacts.append({
                    "contact_id": contact_id, "channel": "voice", "queue": "main",
                    "program": program, "site": "north" if j % 2 == 0 else "south",
                    "agent_id": None if abandoned else f"a{j % 4 + 1}",
                    "arrived_at": _stamp(arrived),
                    "answered_at": None if abandoned else _stamp(arrived + timedelta(seconds=10)),
                    "ended_at": _stamp(arrived + timedelta(seconds=30 if abandoned
                                                           else 10 + talk)),
                    "abandoned": "true" if abandoned else "false",
                    "talk_s": None if abandoned else talk,
                    "month": month,
                })
                if not abandoned:
                    surveys.append({
                        "survey_id": f"s-{contact_id}", "contact_id": contact_id,
                        "responded_at": _stamp(arrived + timedelta(hours=1)),
                        "csat": 2 if (j + m) % 3 == 0 else 5,
                        "program": program, "month": month,
                    })
            costs.append({
                "period_start": _stamp(datetime(month.year, month.month, 1)),
                "period_end": _stamp(datetime(month.year, month.month, 1) + timedelta(days=28)),
                "program": program, "cost_type": "labor", "amount": COST[program][m],
                "currency": "EUR", "month": month,
            })
    return {"contacts": contacts, "surveys": surveys, "costs": costs}


def write_table_csv(path: Path, table: str, rows: Sequence[dict[str, Any]]) -> Path:
    columns = [c for c in get_table(table).column_names if any(c in r for r in rows)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return path


def load_operation(path: Path, rows: dict[str, list[dict[str, Any]]]) -> None:
    """A workspace at `path` with `rows` ingested (closed again)."""
    ws = init_workspace(path, "UTC")
    try:
        for table, table_rows in rows.items():
            source = write_table_csv(path.parent / f"{path.name}-{table}.csv", table, table_rows)
            summary = ingest(ws, table, [source])
            assert summary.loaded == len(table_rows), (table, summary)
    finally:
        ws.close()


@pytest.fixture(scope="package")
def raw() -> dict[str, list[dict[str, Any]]]:
    return build_rows()


@pytest.fixture(scope="package")
def operation_dir(tmp_path_factory: pytest.TempPathFactory,
                  raw: dict[str, list[dict[str, Any]]]) -> Path:
    path = tmp_path_factory.mktemp("operation") / "ws"
    load_operation(path, raw)
    return path


@pytest.fixture(scope="module")
def operation(operation_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The loaded operation, a copy of its own for each test module."""
    copy = tmp_path_factory.mktemp("copy") / "ws"
    shutil.copytree(operation_dir, copy)
    ws = open_workspace(copy)
    yield ws
    ws.close()
