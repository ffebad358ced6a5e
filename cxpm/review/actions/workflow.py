"""Which state changes an action may make, and what each needs (docs/actions.md)."""

from __future__ import annotations

from cxpm.errors import CxpmError
from cxpm.review.actions.model import CLOSED_STATES, ActionInfo

# from-state -> the states it may move to. Going back from acting to analysing is allowed
# (the cause found was not the cause); verifying -> acting is what a failed effectiveness
# check proposes; a closed action is reopened to analysing (look for the cause again) or to
# acting (the cause stands, the fix needs more work).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("analysing",),
    "analysing": ("acting",),
    "acting": ("verifying", "analysing"),
    "verifying": ("closed-effective", "closed-ineffective", "acting"),
    "closed-effective": ("analysing", "acting"),
    "closed-ineffective": ("analysing", "acting"),
}

REOPEN_STATES: tuple[str, ...] = ("analysing", "acting")


def allowed_next(state: str) -> tuple[str, ...]:
    return TRANSITIONS.get(state, ())


def check_transition(action: ActionInfo, new_state: str) -> None:
    """Raise CxpmError unless `action` (its fields already updated) may enter `new_state`."""
    allowed = allowed_next(action.state)
    if new_state not in allowed:
        raise CxpmError(f"action {action.id} is {action.state}: it cannot become {new_state}; "
                        f"allowed: {', '.join(allowed) or 'none'}")
    if new_state == "verifying" and action.implemented_on is None:
        raise CxpmError(f"action {action.id}: set the implementation date (when the fix went "
                        f"live) before verifying")
    if new_state in CLOSED_STATES:
        expected = "effective" if new_state == "closed-effective" else "ineffective"
        if action.verification is None:
            raise CxpmError(f"action {action.id}: closing needs a verification result "
                            f"(run the effectiveness check or record one)")
        if action.verification.result != expected:
            raise CxpmError(f"action {action.id}: the verification result is "
                            f"{action.verification.result}; it cannot become {new_state}")
