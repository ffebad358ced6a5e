"""Shared builders for the quality tests: a small form whose scores are easy to work out by
hand, evaluations against it, and a small operation (contacts and roster) loaded with the
real ingest so that contact and roster dimensions exist."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxpm.ingest.loader import ingest
from cxpm.qa.evaluation_io import EvaluationInput
from cxpm.qa.evaluations import save_evaluations
from cxpm.qa.form_store import import_form
from cxpm.schema import get_table
from cxpm.store.models import AuditLog, QaAnswer, QaCalibrationSession, QaEvaluation, QaForm
from cxpm.workspace import Workspace, init_workspace

FORM_ID = "svc"


def form_toml(version: int = 1, nc_weight: float = 2, critical_failure: str = "zero_score",
              title: str = "Service") -> str:
    """One section, items: cc (customer-critical yes/no), bc (business-critical yes/no, na
    allowed), comp (compliance-critical yes/no), nc (non-critical yes/no, weight
    `nc_weight`, 2 opportunities, na allowed), tone (non-critical scale 1-5, error below 4)
    and res (non-critical choice good 2 / bad 0). All weights 1 unless said."""
    return f'''id = "{FORM_ID}"
version = {version}
title = "{title}"
critical_failure = "{critical_failure}"

[[sections]]
id = "main"
title = "Main"
weight = 1

  [[sections.items]]
  id = "cc"
  text = "Customer-critical"
  type = "yes_no"
  category = "customer_critical"

  [[sections.items]]
  id = "bc"
  text = "Business-critical"
  type = "yes_no"
  category = "business_critical"
  allow_na = true

  [[sections.items]]
  id = "comp"
  text = "Compliance-critical"
  type = "yes_no"
  category = "compliance_critical"

  [[sections.items]]
  id = "nc"
  text = "Non-critical"
  type = "yes_no"
  category = "non_critical"
  weight = {nc_weight}
  opportunities = 2
  allow_na = true

  [[sections.items]]
  id = "tone"
  text = "Tone"
  type = "scale"
  category = "non_critical"
  min = 1
  max = 5
  error_below = 4

  [[sections.items]]
  id = "res"
  text = "Resolution"
  type = "choice"
  category = "non_critical"

    [[sections.items.options]]
    value = "good"
    points = 2

    [[sections.items.options]]
    value = "bad"
    points = 0
'''


def write_form(folder: Path, **kwargs: Any) -> Path:
    path = folder / f"form-v{kwargs.get('version', 1)}-{len(list(folder.glob('*.toml')))}.toml"
    path.write_text(form_toml(**kwargs), encoding="utf-8")
    return path


# Answer sets with their score worked out by hand for nc weight 2 (form version 1):
# GOOD: every item full marks -> 100; non-critical opportunities nc 2 + tone 1 + res 1 = 4.
GOOD = {"cc": "yes", "bc": "yes", "comp": "yes", "nc": "yes", "tone": "5", "res": "good"}
# CC_FAIL: customer-critical failed; zero_score -> 0.
CC_FAIL = {**GOOD, "cc": "no"}
# COMP_FAIL: compliance-critical failed, bc not applicable -> 0.
COMP_FAIL = {**GOOD, "comp": "no", "bc": "na"}
BC_FAIL = {**GOOD, "bc": "no"}
# MINOR: nc failed (2 errors), tone 3 = (3-1)/(5-1) = 0.5 and an error (below 4):
# (1 + 1 + 1 + 0 * w_nc + 0.5 + 1) / (5 + w_nc) -> w_nc 2: 4.5 / 7; w_nc 5: 4.5 / 10.
MINOR = {**GOOD, "nc": "no", "tone": "3"}


def minor_score(nc_weight: float) -> float:
    return round(100 * 4.5 / (5 + nc_weight), 2)


def evaluation(evaluation_id: str, agent_id: str, answers: Mapping[str, Any], *,
               contact_id: str | None = None, evaluator_id: str | None = "E1",
               evaluated_at: str = "2026-10-20T10:00:00", form_version: int | None = None,
               session: str | None = None) -> EvaluationInput:
    return EvaluationInput(
        evaluation_id=evaluation_id, form_id=FORM_ID, form_version=form_version,
        contact_id=contact_id, agent_id=agent_id, evaluator_id=evaluator_id,
        evaluated_at=datetime.fromisoformat(evaluated_at), calibration_session_id=session,
        answers=dict(answers))


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    return path


# The operation of October 2026 (UTC workspace). Agents A1, A2 (team T1), A3 (team T2) and
# the bot B1 (team BOTS). Handled = inbound and answered.
ROSTER = [
    {"agent_id": "A1", "team": "T1", "site": "S1", "vendor": "V1", "hired_at": "2025-01-01"},
    {"agent_id": "A2", "team": "T1", "site": "S2", "vendor": "V2", "hired_at": "2025-01-01"},
    {"agent_id": "A3", "team": "T2", "site": "S1", "vendor": "V1", "hired_at": "2025-01-01"},
    {"agent_id": "B1", "team": "BOTS", "site": "S1", "vendor": "V1", "hired_at": "2025-01-01"},
]


def _contact(contact_id: str, agent_id: str | None, day: int, *, program: str = "P1",
             channel: str = "voice", handled_by: str = "agent", answered: bool = True,
             direction: str = "inbound", hour: int = 10) -> dict[str, Any]:
    arrived = f"2026-10-{day:02d}T{hour:02d}:00:00"
    row = {"contact_id": contact_id, "agent_id": agent_id, "arrived_at": arrived,
           "channel": channel, "program": program, "handled_by": handled_by,
           "direction": direction, "abandoned": "false" if answered else "true",
           "site": next((r["site"] for r in ROSTER if r["agent_id"] == agent_id), None),
           "vendor": next((r["vendor"] for r in ROSTER if r["agent_id"] == agent_id), None)}
    if answered:
        row["answered_at"] = f"2026-10-{day:02d}T{hour:02d}:00:20"
        row["ended_at"] = f"2026-10-{day:02d}T{hour:02d}:05:00"
        row["talk_s"] = "250"
    else:
        row["ended_at"] = f"2026-10-{day:02d}T{hour:02d}:01:00"
    return row


CONTACTS = [
    _contact("c1", "A1", 1), _contact("c2", "A1", 2), _contact("c3", "A1", 3),
    _contact("c4", "A2", 4), _contact("c5", "A2", 5, hour=15),
    _contact("c6", "A3", 6, program="P2"), _contact("c7", "A3", 7, program="P2"),
    _contact("c8", "B1", 8, channel="chat", handled_by="bot"),
    _contact("c9", "B1", 9, channel="chat", handled_by="bot"),
    _contact("c13", "A1", 13, hour=8), _contact("c14", "A1", 14, hour=19),
    _contact("c15", "A2", 15), _contact("c16", "A2", 16),
    _contact("c17", "B1", 17, channel="chat", handled_by="bot", hour=2),
    _contact("c18", "B1", 18, channel="chat", handled_by="bot", hour=14),
    # Not handled: abandoned; outbound. Neither is in a population nor in a sample.
    _contact("c10", None, 10, answered=False),
    _contact("c11", "A1", 11, direction="outbound"),
    # Another month.
    {**_contact("c12", "A1", 12), "arrived_at": "2026-09-12T10:00:00",
     "answered_at": "2026-09-12T10:00:20", "ended_at": "2026-09-12T10:05:00"},
]


# c4 and c15 have no site or vendor: the roster's (A2: S2, V2) apply to them.
for _row in CONTACTS:
    if _row["contact_id"] in ("c4", "c15"):
        _row["site"] = _row["vendor"] = None


def load_operation(workspace: Workspace, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    contacts = write_csv(folder / "contacts.csv", get_table("contacts").column_names, CONTACTS)
    roster = write_csv(folder / "roster.csv", get_table("roster").column_names, ROSTER)
    assert ingest(workspace, "contacts", [contacts]).loaded == len(CONTACTS)
    assert ingest(workspace, "roster", [roster]).loaded == len(ROSTER)


def app_counts(workspace: Workspace) -> dict[str, int]:
    """Rows in the app database tables that quality writes to."""
    with Session(workspace.app_db) as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (QaForm, QaEvaluation, QaAnswer, QaCalibrationSession, AuditLog)}


def audit_rows(workspace: Workspace, entity: str) -> list[AuditLog]:
    with Session(workspace.app_db) as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.entity == entity)
                               .order_by(AuditLog.id)).all()
        session.expunge_all()
        return list(rows)


def warehouse_rows(workspace: Workspace, name: str) -> list[dict[str, Any]]:
    return workspace.warehouse.table(name).to_pyarrow().to_pylist()


# The evaluations of the operation, with what each scores (worked out by hand above):
# id: (agent, contact, evaluator, answers, score, cc error, bc error, comp error,
#      non-critical errors, non-critical opportunities)
OPERATION_EVALUATIONS = {
    "ev1": ("A1", "c1", "E1", GOOD, 100.0, False, False, False, 0, 4),
    "ev2": ("A1", "c2", "E1", CC_FAIL, 0.0, True, False, False, 0, 4),
    "ev3": ("A1", "c3", "E2", COMP_FAIL, 0.0, False, False, True, 0, 4),
    "ev4": ("A2", "c4", "E2", MINOR, 64.29, False, False, False, 3, 4),
    "ev5": ("A3", "c6", "E1", BC_FAIL, 0.0, False, True, False, 0, 4),
    "ev6": ("A3", "c7", "E2", GOOD, 100.0, False, False, False, 0, 4),
    "ev7": ("B1", "c8", "E1", CC_FAIL, 0.0, True, False, False, 0, 4),
    "ev8": ("A1", "c11", "E2", CC_FAIL, 0.0, True, False, False, 0, 4),
}
# Left out of the October figures: a calibration evaluation and one of September.
CALIBRATION_EVALUATION = ("cal1", "A2", "c5", "E1", CC_FAIL)
SEPTEMBER_EVALUATION = ("sep1", "A1", "c12", "E1", GOOD)


@pytest.fixture(scope="module")
def operation(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A UTC workspace with the contacts, roster, form and evaluations above."""
    folder = tmp_path_factory.mktemp("operation")
    ws = init_workspace(folder / "ws", "UTC")
    load_operation(ws, folder / "files")
    import_form(ws, write_form(folder), actor="ann")
    batch = [evaluation(eid, agent, answers, contact_id=contact, evaluator_id=evaluator,
                        evaluated_at=f"2026-10-{20 + i:02d}T10:00:00")
             for i, (eid, (agent, contact, evaluator, answers, *_))
             in enumerate(OPERATION_EVALUATIONS.items())]
    eid, agent, contact, evaluator, answers = CALIBRATION_EVALUATION
    batch.append(evaluation(eid, agent, answers, contact_id=contact, evaluator_id=evaluator,
                            session="S1"))
    eid, agent, contact, evaluator, answers = SEPTEMBER_EVALUATION
    batch.append(evaluation(eid, agent, answers, contact_id=contact, evaluator_id=evaluator,
                            evaluated_at="2026-09-15T10:00:00"))
    save_evaluations(ws, batch, actor="ann")
    yield ws
    ws.close()


def contact_of(contact_id: str) -> dict[str, Any]:
    return next(c for c in CONTACTS if c["contact_id"] == contact_id)


def team_of(agent_id: str) -> str:
    return next(r["team"] for r in ROSTER if r["agent_id"] == agent_id)


def contact_dimension(contact: Mapping[str, Any], dimension: str) -> Any:
    """A contact's dimension as evaluations and the report see it: team from the roster,
    site and vendor from the roster where the contact has none."""
    if dimension == "team":
        return team_of(contact["agent_id"])
    value = contact.get(dimension)
    if value is None and dimension in ("site", "vendor") and contact.get("agent_id"):
        value = next(r[dimension] for r in ROSTER if r["agent_id"] == contact["agent_id"])
    return value


def is_handled_in_october(contact: Mapping[str, Any]) -> bool:
    return (contact.get("answered_at") is not None and contact["direction"] == "inbound"
            and contact["arrived_at"].startswith("2026-10"))
