"""The demo operation's technology register: its bots and self-service as a team would have
recorded them, with one clean record and two that need attention, so the registry and
`cxpm review` have something to show.

- The banking chat bot: verified on a test set, ethics attested, security review passed.
- The telecom bot: verified, then retrained for the new bill layout (a material change,
  the planted billing-question friction) and not verified since.
- The travel self-service line: its ethics review is overdue.
"""

from __future__ import annotations

from datetime import date, timedelta

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
    record_security_review,
)
from cxpm.technology.verification import verify_technology
from cxpm.workspace import Workspace

POLICY = "AI and automation ethics policy v2"
SUPPLIER = "Conversa Labs (demo supplier)"


def seed_technologies(workspace: Workspace, end: date, actor: str) -> int:
    """Register the demo's technologies over the 90 days ending `end`; returns how many."""
    start = end - timedelta(days=89)
    specs = [
        TechnologySpec(id="banking-chat-bot", name="Banking chat assistant", kind="bot",
                       owner="automation lead", purpose="Answers balance, card and payment "
                       "questions on chat; hands over to an agent when unsure.",
                       channels=["chat"], vendor=SUPPLIER, model="intent-nlu", version="4.1",
                       agent_id="BOT-banking", live_from=start - timedelta(days=200)),
        TechnologySpec(id="telecom-bot", name="Telecom messaging bot", kind="bot",
                       owner="automation lead", purpose="Billing and plan questions on chat "
                       "and messaging.", channels=["chat", "messaging"], vendor=SUPPLIER,
                       model="intent-nlu", version="4.1", agent_id="BOT-telecom",
                       live_from=start - timedelta(days=150)),
        TechnologySpec(id="travel-self-service", name="Travel self-service line", kind="ivr",
                       owner="travel program manager", purpose="Booking look-ups and changes "
                       "by phone without an agent.", channels=["self_service"],
                       vendor=SUPPLIER, model="voice-flows", version="2.0",
                       agent_id="SSV-travel", live_from=start - timedelta(days=400)),
    ]
    for spec in specs:
        add_technology(workspace, spec, actor=actor)
        attest_ethics(workspace, spec.id, EthicsAttestation(
            policy_version=POLICY, attested_by=spec.owner or actor,
            attested_on=spec.live_from, next_review_due=spec.live_from + timedelta(days=365)),
            actor=actor)
        record_security_review(workspace, spec.id, SecurityReview(
            reviewed_on=spec.live_from - timedelta(days=14), result="pass",
            reviewer="information security"), actor=actor)
        verify_technology(workspace, spec.id, TestSetRequest(cases=400, correct=384),
                          verifier="automation lead", actor=actor,
                          verified_on=spec.live_from - timedelta(days=7))
    # The new bill layout: the telecom bot's intents were retrained, and nobody has verified
    # the new version (what the billing-question escalations are about).
    change_technology(workspace, "telecom-bot", TechnologyChange(
        description="Intent model retrained for the new bill layout", version="4.2",
        changed_on=start + timedelta(days=30)), actor=actor)
    return len(specs)
