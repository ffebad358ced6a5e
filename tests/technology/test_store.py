"""Registry errors: unknown ids, unknown channels, duplicates, empty changes, bad dates."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from cxpm.errors import CxpmError
from cxpm.technology.model import (
    EthicsAttestation,
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
    record_security_review,
)
from cxpm.technology.verification import verify_technology
from cxpm.workspace import Workspace

SPEC = TechnologySpec(id="ivr-main", name="Main IVR", kind="ivr", channels=["voice"],
                      version="7", live_from=date(2026, 2, 1))


def test_unknown_ids(workspace: Workspace) -> None:
    attestation = EthicsAttestation(policy_version="1", attested_by="a",
                                    attested_on=date(2026, 1, 1),
                                    next_review_due=date(2027, 1, 1))
    calls = [
        lambda: get_technology(workspace, "nope"),
        lambda: change_technology(workspace, "nope", TechnologyChange(description="x"),
                                  actor="a"),
        lambda: attest_ethics(workspace, "nope", attestation, actor="a"),
        lambda: record_security_review(workspace, "nope", SecurityReview(
            reviewed_on=date(2026, 1, 1), result="pass", reviewer="a"), actor="a"),
        lambda: verify_technology(workspace, "nope", TestSetRequest(cases=1, correct=1),
                                  verifier="a", actor="a"),
    ]
    for call in calls:
        with pytest.raises(CxpmError, match="no technology 'nope'"):
            call()


def test_registration_rules(workspace: Workspace) -> None:
    tech = add_technology(workspace, SPEC, actor="ana")
    assert (tech.status, tech.live_from) == ("live", date(2026, 2, 1))
    with pytest.raises(CxpmError, match="technology 'ivr-main' already exists"):
        add_technology(workspace, SPEC, actor="ana")
    with pytest.raises(CxpmError, match="nothing to change"):
        change_technology(workspace, "ivr-main", TechnologyChange(
            description="same", version="7"), actor="ana")
    with pytest.raises(CxpmError, match=r"next ethics review \(2026-01-01\) must be after"):
        attest_ethics(workspace, "ivr-main", EthicsAttestation(
            policy_version="1", attested_by="a", attested_on=date(2026, 1, 1),
            next_review_due=date(2026, 1, 1)), actor="a")
    # a change described without field changes (new prompts) needs a new verification
    tech = change_technology(workspace, "ivr-main", TechnologyChange(
        description="new prompts", changed_on=date(2026, 3, 1)), actor="ana")
    assert (tech.changes[-1].material, tech.changes[-1].before) == (True, {})
    tech = change_technology(workspace, "ivr-main", TechnologyChange(
        description="retire", status="retired", owner="bo",
        changed_on=date(2026, 4, 1)), actor="ana")
    entry = tech.changes[-1]
    assert (entry.before, entry.after, entry.material) == (
        {"owner": None, "status": "live"}, {"owner": "bo", "status": "retired"}, False)


@pytest.mark.parametrize(("fields", "message"), [
    ({"channels": ["fax"]}, "unknown channel 'fax'"),
    ({"kind": "robot"}, "kind"),
    ({"id": "Bad Id"}, "id"),
])
def test_invalid_specs(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TechnologySpec(**{**SPEC.model_dump(), **fields})
    with pytest.raises(ValidationError, match="unknown channel 'fax'"):
        TechnologyChange(description="x", channels=["chat", "fax"])
