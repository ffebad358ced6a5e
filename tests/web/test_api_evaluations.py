"""POST and GET /api/evaluations: saved through save_evaluations, rejected as a whole with
the problems listed, and limited to the caller's scope."""

from __future__ import annotations

import pytest
from web_helpers import WebFixture

from cxpm.qa.form_store import save_form
from cxpm.qa.forms import parse_form_toml

FORM = '''id = "api-care"
version = 1
title = "API care call"
critical_failure = "zero_score"

[[sections]]
id = "main"
title = "Main"
weight = 1

  [[sections.items]]
  id = "greet"
  text = "Greeted the caller"
  type = "yes_no"
  category = "non_critical"
'''


@pytest.fixture(scope="module", autouse=True)
def form(web: WebFixture) -> None:
    save_form(web.workspace, parse_form_toml(FORM, "api-care.toml"), actor="test")


def evaluation(evaluation_id: str, agent: str, **change) -> dict:
    return {"evaluation_id": evaluation_id, "form_id": "api-care", "agent_id": agent,
            "evaluated_at": "2026-08-04T10:00", "answers": {"greet": "yes"}} | change


def post(web: WebFixture, role: str, body):
    return web.client.post("/api/evaluations", json=body, headers=web.headers(role))


def listed(web: WebFixture, role: str, **params) -> list[dict]:
    response = web.client.get("/api/evaluations", params=params, headers=web.headers(role))
    assert response.status_code == 200, response.text
    return response.json()


def test_save_and_list_by_scope(web: WebFixture) -> None:
    saved = post(web, "qa", [evaluation("api-e1", "a1"), evaluation(
        "api-e3", "a3", evaluated_at="2026-09-01T10:00+00:00", answers={"greet": "no"})])
    assert saved.status_code == 200, saved.text
    assert (saved.json()["saved"], saved.json()["evaluation_ids"]) == (2, ["api-e1", "api-e3"])
    every = {e["evaluation_id"]: e for e in listed(web, "analyst")
             if e["evaluation_id"].startswith("api-")}
    assert (every["api-e1"]["score"], every["api-e3"]["score"]) == (100, 0)
    assert every["api-e1"]["evaluator_id"] == "quinn"
    assert every["api-e1"]["evaluated_at"] == "2026-08-04T10:00:00"  # workspace UTC
    august = [e["evaluation_id"] for e in listed(web, "analyst", period="2026-08")]
    assert "api-e1" in august and "api-e3" not in august
    # acme's agents are a1 and a2; the agent a1 sees only itself.
    assert {e["agent_id"] for e in listed(web, "vendor")} <= {"a1", "a2"}
    assert "api-e1" in {e["evaluation_id"] for e in listed(web, "vendor")}
    assert {e["agent_id"] for e in listed(web, "agent")} == {"a1"}
    north = {e["evaluation_id"] for e in listed(web, "supervisor")}
    assert {"api-e1", "api-e3"} <= north  # a1 and a3 work at north


def test_rejection_lists_every_problem_and_saves_nothing(web: WebFixture) -> None:
    response = post(web, "admin", [evaluation("api-bad1", "a1", answers={"greet": "maybe"}),
                                   evaluation("api-bad2", "a2", form_id="nope")])
    assert response.status_code == 400, response.text
    problems = response.json()["problems"]
    assert len(problems) >= 2 and any("greet" in p for p in problems)
    assert not [e for e in listed(web, "admin") if e["evaluation_id"].startswith("api-bad")]


def test_scoped_evaluator_only_within_scope(web: WebFixture) -> None:
    # The supervisor's scope is site north: a2 works at south.
    refused = post(web, "supervisor", [evaluation("api-s2", "a2")])
    assert refused.status_code == 400
    assert refused.json()["problems"] == ["evaluation api-s2: agent a2 is not within your scope"]
    assert post(web, "supervisor", [evaluation("api-s1", "a1")]).status_code == 200


@pytest.mark.parametrize("body", [
    [], {"evaluation_id": "x"}, [evaluation("api-x", "a1", evaluated_at="yesterday")],
    [evaluation("api-x", "a1", evaluated_at="2026-13-45T10:00")],
    [evaluation("../../etc/passwd", "a1")], [evaluation("api-x", "a1' OR 1=1")],
    [evaluation("api-x", "a1", extra=1)], [evaluation("api-x", "a1", answers=[1])],
])
def test_bad_input_is_400(web: WebFixture, body) -> None:
    response = post(web, "qa", body)
    assert response.status_code == 400, response.text


def test_permissions_and_bad_period(web: WebFixture) -> None:
    assert post(web, "analyst", [evaluation("api-p", "a1")]).status_code == 403
    assert post(web, "vendor", [evaluation("api-p", "a1")]).status_code == 403
    assert web.client.get("/api/evaluations").status_code == 401
    for period in ("2026-13", "2026", "x' OR 1=1"):
        response = web.client.get("/api/evaluations", params={"period": period},
                                  headers=web.headers("qa"))
        assert response.status_code == 400
