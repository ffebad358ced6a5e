"""What needs attention: a live technology without a current verification, with an overdue
(or missing) ethics-policy review, or without a passed data-security review."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel

from cxpm.technology.model import ChangeEntry, TechnologyInfo, VerificationRecord


class FlaggedTechnology(BaseModel):
    technology: TechnologyInfo
    reasons: list[str]


def is_live(technology: TechnologyInfo, today: date) -> bool:
    """Live and already past its go-live date (a future go-live date is not live yet)."""
    return technology.status == "live" and (
        technology.live_from is None or technology.live_from <= today)


def latest_material_change(technology: TechnologyInfo) -> ChangeEntry | None:
    material = [c for c in technology.changes if c.material]
    return max(material, key=lambda c: (c.changed_on, c.recorded_at), default=None)


def _after(record: VerificationRecord, change: ChangeEntry | None) -> bool:
    """Dated after the change; on the same day, recorded after it."""
    if change is None:
        return True
    return (record.verified_on, record.recorded_at) > (change.changed_on, change.recorded_at)


def current_verification(technology: TechnologyInfo) -> VerificationRecord | None:
    """The latest verification that passed, is for the current version and is dated after
    the latest material change; None when there is none."""
    change = latest_material_change(technology)
    current = [v for v in technology.verifications
               if v.result == "pass" and v.verified_version == technology.version
               and _after(v, change)]
    return max(current, key=lambda v: (v.verified_on, v.recorded_at), default=None)


def _verification_reason(technology: TechnologyInfo) -> str:
    if not technology.verifications:
        return "never verified"
    last = max(technology.verifications, key=lambda v: (v.verified_on, v.recorded_at))
    change = latest_material_change(technology)
    if last.verified_version != technology.version:
        return (f"not verified since version {technology.version} (last verification: "
                f"version {last.verified_version}, {last.verified_on})")
    if not _after(last, change):
        return (f"not verified since the change of {change.changed_on} "
                f"({change.description})")
    if last.result == "fail":
        return f"the last verification ({last.verified_on}) failed"
    return "no current verification"


def technology_flags(technology: TechnologyInfo, today: date) -> list[str]:
    """Why a live technology needs attention (empty when it does not, or is not live)."""
    if not is_live(technology, today):
        return []
    reasons = []
    if current_verification(technology) is None:
        reasons.append(_verification_reason(technology))
    ethics = technology.ethics
    if ethics is None:
        reasons.append("no ethics-policy attestation")
    elif ethics.next_review_due < today:
        reasons.append(f"ethics review overdue (due {ethics.next_review_due})")
    review = technology.security_review
    if review is None:
        reasons.append("no data-security review")
    elif review.result != "pass":
        reasons.append(f"data-security review failed ({review.reviewed_on})")
    return reasons


def flagged_technologies(technologies: Iterable[TechnologyInfo],
                         today: date) -> list[FlaggedTechnology]:
    """The live technologies that need attention, in id order."""
    out = [FlaggedTechnology(technology=t, reasons=technology_flags(t, today))
           for t in sorted(technologies, key=lambda t: t.id)]
    return [f for f in out if f.reasons]
