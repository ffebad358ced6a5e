"""A bot from registration to a second verification: test set, live, version change (no
longer current, flagged), verification from real QA evaluations (current again), audit."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.store.models import AuditLog
from cxpm.technology.flags import current_verification, technology_flags
from cxpm.technology.model import (
    EthicsAttestation,
    QaFormRequest,
    SecurityReview,
    TechnologyChange,
    TechnologySpec,
    TestSetRequest,
)
from cxpm.technology.store import (
    add_technology,
    attest_ethics,
    change_technology,
    get_technology,
    list_technologies,
    record_security_review,
)
from cxpm.technology.verification import verify_technology
from cxpm.workspace import Workspace

from .conftest import BOT, bot_evaluation, save

JUNE = date(2026, 6, 1)


def test_lifecycle(ws: Workspace) -> None:
    tech = add_technology(ws, TechnologySpec(
        id="helpbot", name="Help bot", kind="bot", owner="ana", channels=["chat", "messaging"],
        vendor="acme", model="m-1", version="1.0", agent_id=BOT), actor="ana")
    assert (tech.status, tech.live_from, tech.channels) == ("planned", None,
                                                            ["chat", "messaging"])
    assert technology_flags(tech, JUNE) == []  # not live: nothing to flag

    tech = verify_technology(ws, "helpbot", TestSetRequest(cases=200, correct=194),
                             verifier="qa", actor="qa", verified_on=date(2026, 3, 1))
    first = tech.verifications[0]
    assert (first.result, first.verified_version, first.details["accuracy"]) == (
        "pass", "1.0", 194 / 200)

    tech = change_technology(ws, "helpbot", TechnologyChange(
        description="go live", status="live", changed_on=date(2026, 3, 2)), actor="ana")
    assert (tech.status, tech.live_from) == ("live", date(2026, 3, 2))
    assert tech.changes[0].material is False  # going live is not a change to verify again
    assert technology_flags(tech, JUNE) == ["no ethics-policy attestation",
                                            "no data-security review"]
    attest_ethics(ws, "helpbot", EthicsAttestation(
        policy_version="2026.1", attested_by="ana", attested_on=date(2026, 3, 1),
        next_review_due=date(2026, 9, 1)), actor="ana")
    tech = record_security_review(ws, "helpbot", SecurityReview(
        reviewed_on=date(2026, 3, 1), result="pass", reviewer="sec"), actor="sec")
    assert technology_flags(tech, JUNE) == []
    assert current_verification(tech).number == 1

    tech = change_technology(ws, "helpbot", TechnologyChange(
        description="new intents", version="1.1", changed_on=date(2026, 4, 1)), actor="ana")
    entry = tech.changes[-1]
    assert (entry.before, entry.after, entry.material) == ({"version": "1.0"},
                                                           {"version": "1.1"}, True)
    assert current_verification(tech) is None
    assert technology_flags(tech, JUNE) == [
        "not verified since version 1.1 (last verification: version 1.0, 2026-03-01)"]

    # 20 evaluations of the bot in April, one with a customer-critical error: 19/20 = 0.95
    april = datetime(2026, 4, 2, 10)
    save(ws, [bot_evaluation(f"e{i:02}", april + timedelta(hours=i),
                             ["customer"] if i == 7 else []) for i in range(20)]
         + [bot_evaluation("old", datetime(2026, 3, 20, 10), ["compliance"])])
    with pytest.raises(CxpmError, match="evaluation old predates the change of 2026-04-01"):
        verify_technology(ws, "helpbot", QaFormRequest(
            form="bot", date_from=date(2026, 3, 1), date_to=date(2026, 4, 30)),
            verifier="qa", actor="qa", verified_on=date(2026, 5, 1))
    tech = verify_technology(ws, "helpbot", QaFormRequest(
        form="bot", date_from=date(2026, 4, 1), date_to=date(2026, 4, 30)),
        verifier="qa", actor="qa", verified_on=date(2026, 5, 1))
    second = tech.verifications[-1]
    assert (second.result, second.verified_version, second.details["evaluations"]) == (
        "pass", "1.1", 20)
    assert second.details["accuracies"] == {"customer": 19 / 20, "business": 1.0,
                                            "compliance": 1.0}
    assert (second.details["form_id"], second.details["form_version"]) == ("bot", 1)
    assert current_verification(tech).number == 2
    assert technology_flags(tech, JUNE) == []
    assert technology_flags(tech, date(2026, 9, 2)) == [
        "ethics review overdue (due 2026-09-01)"]
    assert get_technology(ws, "helpbot") == tech
    assert [t.id for t in list_technologies(ws)] == ["helpbot"]

    with Session(ws.app_db) as session:
        rows = session.scalars(select(AuditLog).where(
            AuditLog.entity == "technology").order_by(AuditLog.id)).all()
    assert [(r.action, r.actor) for r in rows] == [
        ("create", "ana"), ("verify", "qa"), ("change", "ana"), ("attest", "ana"),
        ("security_review", "sec"), ("change", "ana"), ("verify", "qa")]
    assert rows[0].before is None and rows[0].after["version"] == "1.0"
    assert (rows[2].before["status"], rows[2].after["status"]) == ("planned", "live")
    assert rows[3].before["ethics"] is None
    assert rows[3].after["ethics"]["next_review_due"] == "2026-09-01"
    assert (rows[5].before["version"], rows[5].after["version"]) == ("1.0", "1.1")
    assert rows[6].after["verified_version"] == "1.1" and rows[6].after["result"] == "pass"
