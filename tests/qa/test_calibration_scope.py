"""How far calibration sessions lie within a scope (the web app shows a scoped user only the
sessions wholly within it): by the evaluated contacts' dimensions, the roster's where a
contact has none."""

from __future__ import annotations

import pytest

from cxpm.errors import CxpmError
from cxpm.qa.calibration import save_session, session_reach
from cxpm.qa.evaluations import save_evaluations
from cxpm.workspace import Workspace

from .conftest import CALIBRATION_EVALUATION, GOOD, contact_dimension, contact_of, evaluation

# session -> contacts scored by both E1 and E2 (the agent is the contact's).
SESSIONS = {"V1ONLY": ["c1", "c2"], "MIXED": ["c1", "c4"], "V2ONLY": ["c4", "c15"]}


@pytest.fixture(scope="module")
def sessions(operation: Workspace) -> Workspace:
    save_evaluations(operation, [
        evaluation(f"{s}-{e}-{c}", contact_of(c)["agent_id"], GOOD, contact_id=c,
                   evaluator_id=e, session=s)
        for s, contacts in SESSIONS.items() for c in contacts for e in ("E1", "E2")],
        actor="ann")
    save_session(operation, "EMPTY", actor="ann")
    return operation


def expected_reach(dimension: str, value: str) -> dict[str, str]:
    contacts = {**SESSIONS, "S1": [CALIBRATION_EVALUATION[2]], "EMPTY": []}
    reach = {}
    for session, ids in contacts.items():
        inside = [(contact_of(c)["agent_id"] if dimension == "agent_id"
                   else contact_dimension(contact_of(c), dimension)) == value for c in ids]
        reach[session] = ("outside" if not any(inside) else "within" if all(inside)
                          else "partly")
    return reach


@pytest.mark.parametrize(("dimension", "value"), [("vendor", "V1"), ("vendor", "V2"),
                                                  ("site", "S2"), ("agent_id", "A1")])
def test_reach_of_each_session(sessions: Workspace, dimension: str, value: str) -> None:
    expected = expected_reach(dimension, value)
    assert session_reach(sessions, dimension, value) == expected


def test_every_kind_of_reach_occurs(sessions: Workspace) -> None:
    # c4 and c15 have no vendor of their own: A2's (V2) makes V2ONLY wholly V2's.
    assert session_reach(sessions, "vendor", "V2") == {
        "V1ONLY": "outside", "MIXED": "partly", "V2ONLY": "within", "S1": "within",
        "EMPTY": "outside"}
    assert expected_reach("vendor", "V2") == session_reach(sessions, "vendor", "V2")


def test_unknown_dimension(sessions: Workspace) -> None:
    with pytest.raises(CxpmError, match="no dimension 'item_id'"):
        session_reach(sessions, "item_id", "cc")
