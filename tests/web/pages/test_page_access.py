"""Each page × each role per the permission matrix, and each scoped user limited to its
scope: its own vendor on the scorecard, out-of-scope actions answering 404."""

from __future__ import annotations

import re

import pytest
from web_helpers import ROLE_USER, USERS

from cxpm.users.permissions import ROLES, has_permission

PAGES = {"/": "metrics:read", "/metrics/offered": "metrics:read",
         "/qa/evaluations/new": "qa:evaluate", "/actions": "actions:read"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", list(PAGES))
def test_page_by_role(world, role: str, path: str) -> None:
    response = world.get(path, world.session(ROLE_USER[role]))
    expected = 200 if has_permission(role, PAGES[path]) else 403
    assert response.status_code == expected, response.text[:300]
    if expected == 403:
        assert PAGES[path] in response.text


@pytest.mark.parametrize("role", ROLES)
def test_posts_by_role(world, role: str) -> None:
    raw = world.session(ROLE_USER[role])
    created = world.post("/actions", raw, {"title": f"by {role}", "metric": "offered"})
    assert created.status_code == (303 if has_permission(role, "actions:write") else 403)
    moved = world.post(f"/actions/{world.actions['globex']}/transition", raw,
                       {"new_state": "nonsense"})
    if not has_permission(role, "actions:write"):
        assert moved.status_code == 403
    entry = world.post("/qa/evaluations", raw, {"form": "care@1", "agent_id": "a1"})
    assert entry.status_code == (400 if has_permission(role, "qa:evaluate") else 403)


def _scope_dim(username: str) -> tuple[str, str] | None:
    scope = USERS[username][1]
    if scope is None:
        return None
    kind, value = scope.split("=")
    return {"agent": "agent_id"}.get(kind, kind), value


def test_vendor_user_sees_only_its_vendor_on_the_scorecard(world, web) -> None:
    raw = world.session("vic")
    page = world.get("/?by=vendor", raw).text
    assert "globex" not in page
    cells = re.findall(r'<td>(acme|globex)</td>', page)
    assert cells and set(cells) == {"acme"}
    # Contacts offered for acme, counted by hand from the rows: inbound contacts.
    offered = sum(1 for r in web.rows if r["vendor"] == "acme" and r["direction"] == "inbound")
    row = re.search(r'Contacts offered</a></td>\s*<td>acme</td>\s*<td class="num strong">'
                    r'([\d,]+)</td>', page)
    assert row and int(row.group(1).replace(",", "")) == offered
    total = world.get("/", raw).text  # no grouping asked: still only acme's rows, labelled
    assert "globex" not in total
    first = re.search(r'Contacts offered</a></td>\s*<td>acme</td>\s*<td class="num strong">'
                      r'([\d,]+)</td>', total)
    assert first and int(first.group(1).replace(",", "")) == offered


def test_admin_sees_both_vendors(world) -> None:
    page = world.get("/?by=vendor", world.session("ada")).text
    assert set(re.findall(r'<td>(acme|globex)</td>', page)) == {"acme", "globex"}


@pytest.mark.parametrize("username", ["ada", "ana", "sue", "quinn", "vic"])
def test_actions_outside_the_scope_answer_404(world, username: str) -> None:
    raw = world.session(username)
    role = USERS[username][0]
    scope = _scope_dim(username)
    listing = world.get("/actions", raw).text
    for label, action_id in world.actions.items():
        visible = scope is None or (scope == ("vendor", label))
        detail = world.get(f"/actions/{action_id}", raw)
        assert detail.status_code == (200 if visible else 404), (username, label)
        assert (f'href="/actions/{action_id}"' in listing) == visible
        if not visible and has_permission(role, "actions:write"):
            moved = world.post(f"/actions/{action_id}/transition", raw,
                               {"new_state": "analysing"})
            assert moved.status_code == 404
    assert world.get("/actions/999999", raw).status_code == 404


def test_vendor_metric_drill_down_is_limited(world) -> None:
    raw = world.session("vic")
    page = world.get("/metrics/offered?by=vendor&grain=day", raw).text
    assert "globex" not in page
    asked = world.get("/metrics/offered?by=queue&where=vendor:globex", raw)
    assert asked.status_code == 200
    assert "No data within your scope" in asked.text


def test_unknown_metric_is_404(world) -> None:
    assert world.get("/metrics/nope", world.session("ada")).status_code == 404
