"""Verification results against hand-counted accuracies, and the errors a verification
refuses."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from cxpm.errors import CxpmError
from cxpm.qa.form_store import import_form
from cxpm.technology.model import QaFormRequest, TechnologySpec, TestSetRequest
from cxpm.technology.store import add_technology, get_technology
from cxpm.technology.verification import (
    verify_by_qa_form,
    verify_by_test_set,
    verify_technology,
)
from cxpm.workspace import Workspace

from .conftest import BOT, bot_evaluation, save

MAY = dict(date_from=date(2026, 5, 1), date_to=date(2026, 5, 31))


@pytest.fixture
def bot_ws(ws: Workspace) -> Workspace:
    """Ten May evaluations of the bot: e01 customer error, e02 customer and compliance
    errors, e03 business error; and three that a May range must leave out: another agent's,
    a calibration one, one from June."""
    add_technology(ws, TechnologySpec(id="helpbot", name="Help bot", kind="bot",
                                      version="1", agent_id=BOT), actor="ana")
    may = datetime(2026, 5, 3, 9)
    errors = {1: ["customer"], 2: ["customer", "compliance"], 3: ["business"]}
    save(ws, [bot_evaluation(f"e{i:02}", may + timedelta(days=i), errors.get(i, []))
              for i in range(1, 11)] + [
        bot_evaluation("x01", may, ["customer"], agent_id="other-bot"),
        bot_evaluation("c01", may, ["compliance"], calibration="cal-1"),
        bot_evaluation("e11", datetime(2026, 6, 1, 9), ["customer"])])
    return ws


def test_qa_form_accuracies_by_hand(bot_ws: Workspace) -> None:
    tech = get_technology(bot_ws, "helpbot")
    # customer: e01, e02 wrong of 10; business: e03; compliance: e02
    expected = {"customer": 8 / 10, "business": 9 / 10, "compliance": 9 / 10}
    passing = verify_by_qa_form(bot_ws, tech, QaFormRequest(
        form="bot@1", min_evaluations=10, min_accuracy=0.8, **MAY))
    assert passing.result == "pass"
    assert passing.details["accuracies"] == expected
    assert passing.details["evaluation_ids"] == [f"e{i:02}" for i in range(1, 11)]

    strict = verify_by_qa_form(bot_ws, tech, QaFormRequest(
        form="bot", min_evaluations=10, min_accuracy=0.85, **MAY))
    assert (strict.result, strict.reason) == ("fail",
                                              "customer-critical accuracy 80.0% < 85.0%")
    few = verify_by_qa_form(bot_ws, tech, QaFormRequest(
        form="bot", min_evaluations=11, min_accuracy=0.8, **MAY))
    assert (few.result, few.reason) == ("fail", "10 evaluations, fewer than 11")
    default = verify_by_qa_form(bot_ws, tech, QaFormRequest(form="bot", **MAY))
    assert default.result == "fail" and "fewer than 20" in default.reason

    chosen = verify_by_qa_form(bot_ws, tech, QaFormRequest(
        form="bot", evaluation_ids=["e01", "e02", "e04"], min_evaluations=3))
    assert chosen.details["accuracies"] == {"customer": 1 / 3, "business": 1.0,
                                            "compliance": 2 / 3}

    recorded = verify_technology(bot_ws, "helpbot", QaFormRequest(
        form="bot", min_evaluations=10, min_accuracy=0.8, **MAY), verifier="qa", actor="qa",
        verified_on=date(2026, 6, 2))
    assert (recorded.verifications[-1].result, recorded.verifications[-1].verified_version,
            recorded.verifications[-1].verified_on) == ("pass", "1", date(2026, 6, 2))


@pytest.mark.parametrize(("request_fields", "message"), [
    ({"evaluation_ids": ["x01"]}, "evaluation x01 is of 'other-bot', not of helpbot"),
    ({"evaluation_ids": ["nope"]}, "no evaluation 'nope'"),
    ({}, "needs evaluation ids or a date range"),
    ({"date_from": date(2026, 5, 31), "date_to": date(2026, 5, 1)}, "ends (2026-05-01) before"),
    ({"evaluation_ids": ["e01"], **MAY}, "evaluation ids or a date range, not both"),
    ({"form": "bot@7", **MAY}, "form 'bot' has no version 7"),
])
def test_qa_form_refusals(bot_ws: Workspace, request_fields: dict, message: str) -> None:
    tech = get_technology(bot_ws, "helpbot")
    with pytest.raises(CxpmError, match=message.replace("(", r"\(").replace(")", r"\)")):
        verify_by_qa_form(bot_ws, tech, QaFormRequest(**{"form": "bot", **request_fields}))


def test_forms_for_people_and_technologies_without_agent_id(bot_ws: Workspace,
                                                             tmp_path: Path) -> None:
    people = tmp_path / "people.toml"
    people.write_text('id = "voice"\nversion = 1\ntitle = "Voice"\napplies_to = ["agent"]\n'
                      'critical_failure = "zero_score"\n'
                      '[[sections]]\nid = "s"\ntitle = "S"\nweight = 1\n'
                      '[[sections.items]]\nid = "cc"\ntext = "CC"\ntype = "yes_no"\n'
                      'category = "customer_critical"\n')
    import_form(bot_ws, people, actor="qa")
    tech = get_technology(bot_ws, "helpbot")
    with pytest.raises(CxpmError, match="form voice@1 does not evaluate bots"):
        verify_by_qa_form(bot_ws, tech, QaFormRequest(form="voice", **MAY))
    anonymous = add_technology(bot_ws, TechnologySpec(id="ivr", name="IVR", kind="ivr"),
                               actor="ana")
    with pytest.raises(CxpmError, match="technology ivr has no agent id"):
        verify_by_qa_form(bot_ws, anonymous, QaFormRequest(form="bot", **MAY))
    with pytest.raises(CxpmError, match="is in the future"):
        verify_technology(bot_ws, "ivr", TestSetRequest(cases=1, correct=1), verifier="qa",
                          actor="qa", verified_on=date.today() + timedelta(days=1))
    assert get_technology(bot_ws, "ivr").verifications == []


@pytest.mark.parametrize(("cases", "correct", "threshold", "result"), [
    (20, 19, 0.95, "pass"),  # 0.95 reaches 0.95
    (20, 18, 0.95, "fail"),  # 0.90
    (10, 7, 0.7, "pass"),
])
def test_test_set(cases: int, correct: int, threshold: float, result: str) -> None:
    outcome = verify_by_test_set(TestSetRequest(cases=cases, correct=correct,
                                                threshold=threshold))
    assert (outcome.result, outcome.details["accuracy"]) == (result, correct / cases)


def test_test_set_with_more_correct_than_cases() -> None:
    with pytest.raises(CxpmError, match="test set of 5 cases cannot have 6 correct"):
        verify_by_test_set(TestSetRequest(cases=5, correct=6))
