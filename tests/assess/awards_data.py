"""A small operation for the awards tests (library and CLI): three programs (A, B,
C) over 2025 and 2026, loaded with the real ingest, and targets set through the target
store. Each contact has its own customer; program C has no surveys in 2026. The raw rows
are kept as plain Python so the tests can work every expected number out from them
independently."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from cxpm.ingest.loader import ingest
from cxpm.schema import get_table
from cxpm.targets.model import TargetSpec
from cxpm.targets.store import set_targets
from cxpm.workspace import init_workspace

PROGRAMS = {"A": ("S1", "V1"), "B": ("S2", "V1"), "C": ("S2", "V2")}

# Per program and year: each contact's (resolved, revenue); survey answers (contact number,
# csat, nps); evaluations (contact number, customer-, business-, compliance-critical error);
# cost rows (amounts, one in January and one in July).
OPERATION: dict[tuple[str, int], dict[str, Any]] = {
    ("A", 2025): {"contacts": [(True, 10), (True, 0), (False, 20), (True, 10)],
                  "surveys": [(0, 5, 9), (1, 4, 10), (2, 3, 6)],
                  "evaluations": [(0, 0, 0, 0), (1, 1, 0, 0), (2, 0, 0, 0), (3, 0, 0, 0)],
                  "costs": [30.0, 10.0]},
    ("A", 2026): {"contacts": [(True, 10), (True, 10), (True, 10), (True, 10)],
                  "surveys": [(0, 5, 10), (1, 5, 9), (2, 4, 9), (3, 4, 8)],
                  "evaluations": [(0, 0, 0, 0), (1, 0, 0, 0), (2, 0, 0, 0)],
                  "costs": [20.0, 12.0]},
    ("B", 2025): {"contacts": [(True, 5), (True, 5), (True, 5), (True, 5)],
                  "surveys": [(0, 3, 5), (1, 2, 6), (2, 4, 9)],
                  "evaluations": [(0, 0, 0, 0), (1, 0, 0, 1), (2, 1, 1, 0)],
                  "costs": [8.0, 8.0]},
    ("B", 2026): {"contacts": [(True, 5), (True, 15), (False, 5), (True, 5), (True, 0)],
                  "surveys": [(0, 4, 9), (1, 4, 8), (2, 3, 7), (3, 5, 10)],
                  "evaluations": [(0, 0, 0, 0), (1, 0, 0, 0), (3, 0, 1, 0), (4, 0, 0, 0)],
                  "costs": [10.0, 5.0]},
    ("C", 2025): {"contacts": [(True, 0), (False, 30), (True, 10)],
                  "surveys": [(0, 5, 7), (2, 4, 10)],
                  "evaluations": [(0, 0, 0, 0), (1, 0, 0, 0)],
                  "costs": [21.0, 6.0]},
    ("C", 2026): {"contacts": [(True, 20), (True, 10), (True, 30)],
                  "surveys": [],
                  "evaluations": [(0, 0, 0, 0), (2, 0, 0, 0)],
                  "costs": [15.0, 9.0]},
}

YEARS = (2025, 2026)


def target_specs() -> list[TargetSpec]:
    """Targets: global ones, a more specific CSAT target for program B, a cost-per-contact
    target that changes at the start of 2026, and none for first-contact resolution."""
    start = date(2025, 1, 1)
    return [
        TargetSpec(metric="csat", valid_from=start, value=0.8),
        TargetSpec(metric="csat", scope={"program": "B"}, valid_from=start, value=0.9),
        TargetSpec(metric="nps", valid_from=start, value=40),
        TargetSpec(metric="customer_critical_accuracy", valid_from=start, value=0.9),
        TargetSpec(metric="business_critical_accuracy", valid_from=start, value=0.9),
        TargetSpec(metric="compliance_critical_accuracy", valid_from=start, value=0.95),
        TargetSpec(metric="cost_per_contact", valid_from=start, valid_to=date(2025, 12, 31),
                   value=6.0),
        TargetSpec(metric="cost_per_contact", valid_from=date(2026, 1, 1), value=5.0),
        TargetSpec(metric="cost_per_resolved_contact", valid_from=start, value=8.0),
        TargetSpec(metric="revenue_per_contact", valid_from=start, value=10.0),
    ]


def contact_id(program: str, year: int, number: int) -> str:
    return f"{program}{year}-{number}"


def _rows() -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {"contacts": [], "surveys": [], "evaluations": [],
                                             "costs": []}
    for (program, year), spec in OPERATION.items():
        site, vendor = PROGRAMS[program]
        for number, (resolved, revenue) in enumerate(spec["contacts"]):
            day = f"{year}-03-{number + 1:02d}"
            rows["contacts"].append({
                "contact_id": contact_id(program, year, number), "channel": "voice",
                "direction": "inbound", "handled_by": "agent", "queue": "main",
                "program": program, "site": site, "vendor": vendor, "agent_id": "a1",
                "customer_id": f"K-{program}{year}-{number}", "reason": "billing",
                "arrived_at": f"{day}T10:00:00Z", "answered_at": f"{day}T10:00:20Z",
                "ended_at": f"{day}T10:05:00Z", "abandoned": "false", "talk_s": "280",
                "resolved": str(resolved).lower(), "revenue": str(revenue)})
        for index, (number, csat, nps) in enumerate(spec["surveys"]):
            rows["surveys"].append({
                "survey_id": f"s-{program}{year}-{index}",
                "contact_id": contact_id(program, year, number),
                "responded_at": f"{year}-04-{number + 1:02d}T09:00:00Z", "csat": csat,
                "nps": nps})
        for index, (number, cce, bce, comp) in enumerate(spec["evaluations"]):
            rows["evaluations"].append({
                "evaluation_id": f"e-{program}{year}-{index}",
                "contact_id": contact_id(program, year, number), "agent_id": "a1",
                "evaluated_at": f"{year}-05-{number + 1:02d}T09:00:00Z",
                "customer_critical_error": bool(cce), "business_critical_error": bool(bce),
                "compliance_critical_error": bool(comp)})
        for month, amount in zip(("01", "07"), spec["costs"], strict=True):
            rows["costs"].append({
                "period_start": f"{year}-{month}-01T00:00:00Z",
                "period_end": f"{year}-{month}-28T00:00:00Z", "program": program,
                "site": site, "vendor": vendor, "cost_type": "labor", "amount": amount,
                "currency": "USD"})
    return rows


def _write(path: Path, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else str(row[c]).lower()
                             if isinstance(row.get(c), bool) else row[c] for c in columns])
    return path


def build_workspace(folder: Path) -> Path:
    """Create the workspace under `folder`, load the operation, set the targets, close it
    (each test opens its own connection) and return its path."""
    ws = init_workspace(folder / "ws", "UTC")
    for table, rows in _rows().items():
        columns = [c for c in get_table(table).column_names if any(c in r for r in rows)]
        summary = ingest(ws, table, [_write(folder / f"{table}.csv", columns, rows)])
        assert summary.loaded == len(rows), (table, summary)
    set_targets(ws, target_specs(), actor="test")
    ws.close()
    return folder / "ws"
