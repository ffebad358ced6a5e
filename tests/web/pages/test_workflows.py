"""QA evaluation entry and the corrective-action workflow through the pages."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.review.actions.store import get_action
from cxpm.store.models import AuditLog, QaEvaluation


def _entry(**answers: str) -> dict[str, str]:
    return {"form": "care@1", "evaluation_id": answers.pop("evaluation_id"),
            "agent_id": answers.pop("agent_id", "a1"), "evaluated_at": "2026-08-04T10:00",
            **{f"item:{k}": v for k, v in answers.items()}}


def test_qa_entry_form_is_generated_from_the_form(world) -> None:
    page = world.get("/qa/evaluations/new?form=care@1", world.session("quinn")).text
    assert 'name="item:greet" value="yes"' in page and 'name="item:greet" value="no"' in page
    assert re.search(r'name="item:tone"[^>]*min="1" max="5"', page)
    assert world.get("/qa/evaluations/new?form=care@9",
                     world.session("quinn")).status_code == 404


def test_qa_entry_shows_problems_inline_and_saves_nothing(world) -> None:
    raw = world.session("quinn")
    response = world.post("/qa/evaluations", raw,
                          _entry(evaluation_id="pg-bad", greet="yes", tone="9"))
    assert response.status_code == 400
    tone = re.search(r'id="item-tone".*?</div>\s*(<p class="field-error">.*?</p>)',
                     response.text, re.S)
    assert tone and "9" in tone.group(1)
    assert 'id="item-greet"' in response.text and 'value="yes" checked' in response.text
    with Session(world.client.app.state.web.workspace.app_db) as session:
        assert session.get(QaEvaluation, "pg-bad") is None


def test_qa_entry_saves_with_the_user_as_actor(world) -> None:
    raw = world.session("quinn")
    response = world.post("/qa/evaluations", raw,
                          _entry(evaluation_id="pg-good", greet="yes", tone="4"))
    assert response.status_code == 303
    assert response.headers["location"].endswith("saved=pg-good")
    with Session(world.client.app.state.web.workspace.app_db) as session:
        row = session.get(QaEvaluation, "pg-good")
        assert (row.agent_id, row.evaluator_id, row.form_id) == ("a1", "quinn", "care")
        audit = session.scalar(select(AuditLog).where(AuditLog.entity_id == "pg-good"))
        assert audit.actor == "quinn"


def test_scoped_evaluator_only_evaluates_agents_in_scope(world) -> None:
    raw = world.session("sue")  # supervisor, site=north: a1 is north, a2 south
    refused = world.post("/qa/evaluations", raw,
                         _entry(evaluation_id="pg-sue-2", agent_id="a2", greet="yes",
                                tone="5"))
    assert refused.status_code == 400 and "not within your scope" in refused.text
    accepted = world.post("/qa/evaluations", raw,
                          _entry(evaluation_id="pg-sue-1", agent_id="a1", greet="no",
                                 tone="5"))
    assert accepted.status_code == 303


def test_action_create_and_advance(world) -> None:
    ws = world.client.app.state.web.workspace
    raw = world.session("ana")
    created = world.post("/actions", raw, {"title": "Tech queue slow",
                                           "metric": "service_level", "scope_dim": "vendor",
                                           "scope_value": "globex", "owner": "lee"})
    assert created.status_code == 303
    action_id = int(created.headers["location"].rsplit("/", 1)[1])
    action = get_action(ws, action_id)
    assert (action.state, action.scope, action.owner) == ("open", {"vendor": "globex"}, "lee")
    page = world.get(f"/actions/{action_id}", raw).text
    assert re.findall(r'name="new_state" value="([^"]+)"', page) == ["analysing"]
    wrong = world.post(f"/actions/{action_id}/transition", raw, {"new_state": "verifying"})
    assert wrong.status_code == 400 and get_action(ws, action_id).state == "open"
    for state in ("analysing", "acting"):
        moved = world.post(f"/actions/{action_id}/transition", raw, {"new_state": state})
        assert moved.status_code == 303
        assert get_action(ws, action_id).state == state
    no_date = world.post(f"/actions/{action_id}/transition", raw, {"new_state": "verifying"})
    assert no_date.status_code == 400 and "implementation date" in no_date.text
    world.post(f"/actions/{action_id}/transition", raw,
               {"new_state": "verifying", "implemented_on": "2026-08-04"})
    world.post(f"/actions/{action_id}/transition", raw,
               {"new_state": "closed-ineffective", "note": "still slow"})
    closed = get_action(ws, action_id)
    assert closed.state == "closed-ineffective"
    assert (closed.verification.result, closed.verification.verified_by) == ("ineffective",
                                                                              "ana")


def test_scoped_supervisor_creates_within_its_own_scope(world) -> None:
    raw = world.session("sue")
    created = world.post("/actions", raw, {"title": "North", "metric": "service_level",
                                           "scope_dim": "vendor", "scope_value": "globex"})
    action = get_action(world.client.app.state.web.workspace,
                        int(created.headers["location"].rsplit("/", 1)[1]))
    assert action.scope == {"site": "north"}


def test_bad_action_input_is_one_line_not_a_crash(world) -> None:
    raw = world.session("ana")
    for data in ({"title": "", "metric": "service_level"},
                 {"title": "x", "metric": "'; drop table users; --"},
                 {"title": "x", "metric": "service_level", "due_date": "../../etc"},
                 {"title": "x", "metric": "service_level", "scope_dim": "queue",
                  "scope_value": "billing"}):
        response = world.post("/actions", raw, data)
        assert response.status_code == 400, data
        assert 'class="error"' in response.text
