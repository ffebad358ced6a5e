"""Shared builders for the technology tests: a workspace with the example bot form, bot
evaluations with chosen critical errors, and technologies built in memory."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from cxpm.qa.evaluation_io import EvaluationInput
from cxpm.qa.evaluations import save_evaluations
from cxpm.qa.form_store import import_form
from cxpm.technology.model import (
    ChangeEntry,
    EthicsAttestation,
    SecurityReview,
    TechnologyInfo,
    VerificationRecord,
)
from cxpm.workspace import Workspace

BOT_FORM = Path(__file__).parents[2] / "examples" / "qa" / "bot-form.toml"
BOT = "bot-help"

# Every answer of the bot form at its best; an error is made by naming the kind.
PERFECT = {"intent_understood": "yes", "clarification_loops": "yes",
           "correct_answer": "correct", "no_invented_policy": "yes",
           "transaction_correct": "yes", "data_protection": "yes",
           "disclosed_automation": "yes", "correct_handoff": "yes", "context_passed": "yes",
           "tone": 5, "concise": "yes"}
# One failed item per kind of critical error.
ERROR_ITEM = {"customer": ("intent_understood", "no"),
              "business": ("transaction_correct", "no"),
              "compliance": ("data_protection", "no")}


@pytest.fixture
def ws(workspace: Workspace) -> Workspace:
    import_form(workspace, BOT_FORM, actor="qa")
    return workspace


def bot_evaluation(evaluation_id: str, at: datetime, errors: Iterable[str] = (), *,
                   agent_id: str = BOT, calibration: str | None = None) -> EvaluationInput:
    answers: dict[str, Any] = dict(PERFECT)
    for kind in errors:
        item, answer = ERROR_ITEM[kind]
        answers[item] = answer
    return EvaluationInput(evaluation_id=evaluation_id, form_id="bot", agent_id=agent_id,
                           evaluator_id="qa1", evaluated_at=at,
                           calibration_session_id=calibration, answers=answers)


def save(ws: Workspace, evaluations: list[EvaluationInput]) -> None:
    save_evaluations(ws, evaluations, actor="qa")


def technology(**fields: Any) -> TechnologyInfo:
    """A live bot, version 2, verified, attested and reviewed: nothing to flag unless a
    test changes it."""
    at = datetime(2026, 1, 10, 9)
    values: dict[str, Any] = dict(
        id="faq-bot", name="FAQ bot", kind="bot", owner="ana", purpose=None,
        channels=["chat"], vendor=None, model=None, version="2", agent_id=BOT,
        live_from=date(2026, 1, 15), status="live",
        ethics=EthicsAttestation(policy_version="1", attested_by="ana",
                                 attested_on=date(2026, 1, 5),
                                 next_review_due=date(2026, 7, 1)),
        security_review=SecurityReview(reviewed_on=date(2026, 1, 6), result="pass",
                                       reviewer="sec"),
        verifications=[verification(1, date(2026, 1, 10), "2", at=at)], changes=[],
        created_at=at, updated_at=at)
    values.update(fields)
    return TechnologyInfo(**values)


def verification(number: int, on: date, version: str | None, result: str = "pass",
                 at: datetime | None = None) -> VerificationRecord:
    return VerificationRecord(number=number, verified_on=on, method="test_set",
                              verified_version=version, result=result, verifier="qa",
                              details={},
                              recorded_at=at or datetime.combine(on, datetime.min.time()))


def change(number: int, on: date, material: bool = True,
           at: datetime | None = None) -> ChangeEntry:
    return ChangeEntry(number=number, changed_on=on, description=f"change {number}",
                       actor="ana", before={}, after={}, material=material,
                       recorded_at=at or datetime.combine(on, datetime.min.time()))
