"""Flags and the current verification, on technologies built in memory with a fixed today."""

from __future__ import annotations

from datetime import date, datetime

from cxpm.technology.flags import current_verification, flagged_technologies, technology_flags
from cxpm.technology.model import SecurityReview

from .conftest import change, technology, verification

FEB = date(2026, 2, 1)


def test_a_governed_live_technology_has_no_flag() -> None:
    tech = technology()
    assert technology_flags(tech, FEB) == []
    assert current_verification(tech).number == 1


def test_ethics_review_is_overdue_the_day_after_it_was_due() -> None:
    tech = technology()  # next review due 2026-07-01
    assert technology_flags(tech, date(2026, 7, 1)) == []
    assert technology_flags(tech, date(2026, 7, 2)) == ["ethics review overdue (due 2026-07-01)"]


def test_only_live_technologies_are_flagged() -> None:
    bare = dict(verifications=[], ethics=None, security_review=None)
    planned = technology(status="planned", live_from=None, **bare)
    retired = technology(status="retired", **bare)
    not_yet = technology(live_from=date(2026, 3, 1), **bare)
    live = technology(id="live-bot", **bare)
    assert [technology_flags(t, FEB) for t in (planned, retired, not_yet)] == [[], [], []]
    assert technology_flags(live, FEB) == ["never verified", "no ethics-policy attestation",
                                           "no data-security review"]
    flagged = flagged_technologies([planned, live, not_yet], FEB)
    assert [(f.technology.id, len(f.reasons)) for f in flagged] == [("live-bot", 3)]


def test_security_review_must_have_passed() -> None:
    failed = technology(security_review=SecurityReview(
        reviewed_on=date(2026, 1, 20), result="fail", reviewer="sec"))
    assert technology_flags(failed, FEB) == ["data-security review failed (2026-01-20)"]


def test_what_makes_a_verification_current() -> None:
    jan10 = date(2026, 1, 10)
    later = datetime(2026, 1, 10, 12)
    earlier = datetime(2026, 1, 10, 8)
    cases = {
        # a material change after the verification
        "changed": (technology(changes=[change(1, date(2026, 1, 20))]), False),
        # an administrative change (owner, status...) does not need a verification
        "administrative": (technology(changes=[change(1, date(2026, 1, 20), False)]), True),
        # same day: the order they were recorded in decides
        "same day, changed after": (technology(changes=[change(1, jan10, at=later)]), False),
        "same day, changed before": (technology(changes=[change(1, jan10, at=earlier)]), True),
        "other version": (technology(version="3"), False),
        "failed": (technology(verifications=[verification(1, jan10, "2", "fail")]), False),
        "failed after a pass": (technology(verifications=[
            verification(1, jan10, "2"), verification(2, date(2026, 1, 12), "2", "fail")]),
            True),
    }
    assert {name: current_verification(tech) is not None
            for name, (tech, _) in cases.items()} == {
        name: expected for name, (_, expected) in cases.items()}
    assert technology_flags(cases["changed"][0], FEB) == [
        "not verified since the change of 2026-01-20 (change 1)"]
    assert technology_flags(cases["other version"][0], FEB) == [
        "not verified since version 3 (last verification: version 2, 2026-01-10)"]
    assert technology_flags(cases["failed"][0], FEB) == [
        "the last verification (2026-01-10) failed"]
