"""/targets: the list as `cxpm targets list`, add, edit and delete through the library
(audited), bad input shown inline, every role, and scoped users limited to their scope."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session
from web_helpers import ROLE_USER

from cxpm.errors import CxpmError
from cxpm.formatting import format_value
from cxpm.store.models import AuditLog, User
from cxpm.targets.model import TargetSpec
from cxpm.targets.store import list_targets, set_target
from cxpm.users.accounts import add_user
from cxpm.users.permissions import ROLES, has_permission

SCOPED_ANALYST = "tara"  # analyst, vendor=acme: may write targets, within acme only

# label -> scope. The workspace is shared with other tests (whose data is of 2026): these
# targets are of other metrics than theirs and valid in 2020 only, so they judge nothing
# there. They are not deleted afterwards: SQLite would give a later target a deleted id,
# and that target's audit history would then start with ours.
SCOPES = {"all": {}, "acme": {"vendor": "acme"}, "globex": {"vendor": "globex"},
          "south": {"site": "south"}, "care": {"program": "care"}}


@pytest.fixture(scope="module")
def targets(world) -> dict[str, int]:
    ws = world.client.app.state.web.workspace
    with Session(ws.app_db) as session:
        known = session.scalar(select(User.id).where(User.username == SCOPED_ANALYST))
    if known is None:
        add_user(ws, SCOPED_ANALYST, role="analyst", scope="vendor=acme", password=None,
                 actor="test")
    made = {label: set_target(ws, TargetSpec(
        metric="service_level", scope=scope, valid_from="2020-01-01",
        valid_to="2020-12-31", value=0.8,
        warning=0.7, benchmark_source="survey", benchmark_statistic="median",
        benchmark_value=0.75, owner=f"owner-{label}", rationale=f"why {label}"),
        actor="test").id for label, scope in SCOPES.items()}
    return made


def _listed(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr id="target-(\d+)">', page)}


def _audit(world, target_id: int) -> list[tuple[str, str]]:
    with Session(world.client.app.state.web.workspace.app_db) as session:
        return [(row.action, row.actor) for row in session.scalars(
            select(AuditLog).where(AuditLog.entity == "target",
                                   AuditLog.entity_id == str(target_id))
            .order_by(AuditLog.id))]


def _library_message(world, spec: dict) -> str:
    """What the library says about a bad target, as the page shows it (escaped)."""
    with pytest.raises(CxpmError) as raised:
        set_target(world.client.app.state.web.workspace, TargetSpec(**spec), actor="test")
    return str(escape(str(raised.value)))


FORM = {"metric": "first_contact_resolution", "scope": "program=care", "valid_from": "2020-03",
        "valid_to": "2020-12-31", "value": "0.7", "warning": "0.6", "benchmark_source": "",
        "benchmark_date": "", "benchmark_statistic": "", "benchmark_value": "",
        "owner": "ops", "rationale": "page test"}


@pytest.mark.parametrize("role", ROLES)
def test_page_by_role(world, targets, role: str) -> None:
    response = world.get("/targets", world.session(ROLE_USER[role]))
    assert response.status_code == (200 if has_permission(role, "targets:read") else 403)
    writer = has_permission(role, "targets:write")
    assert ('action="/targets" class="grid"' in response.text) == writer
    assert ('href="/targets/' in response.text and "/edit" in response.text) == writer
    assert re.search(r'href="/targets"[^>]*>Targets</a>', response.text)  # navigation


@pytest.mark.parametrize("role", [r for r in ROLES if not has_permission(r, "targets:write")])
def test_readers_may_not_write(world, targets, role: str) -> None:
    raw = world.session(ROLE_USER[role])
    ws = world.client.app.state.web.workspace
    target = targets["all"]
    assert world.post("/targets", raw, FORM).status_code == 403
    assert world.post(f"/targets/{target}/edit", raw, {"value": "0.1"}).status_code == 403
    assert world.post(f"/targets/{target}/delete", raw, {}).status_code == 403
    assert world.get(f"/targets/{target}/edit", raw).status_code == 403
    assert next(t for t in list_targets(ws) if t.id == target).value == 0.8


def test_list_shows_what_the_library_lists(world, targets) -> None:
    ws = world.client.app.state.web.workspace
    page = world.get("/targets", world.session("ada")).text
    expected = list_targets(ws)
    assert _listed(page) == {t.id for t in expected}
    unit = ws.metric_catalog().get("service_level").unit
    row = re.search(rf'<tr id="target-{targets["acme"]}">(.*?)</tr>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                    row, re.S)]
    assert cells[:11] == [str(targets["acme"]), "Service level", "vendor = acme",
                          "2020-01-01", "2020-12-31", format_value(0.8, unit),
                          format_value(0.7, unit), "higher",
                          f"survey median {format_value(0.75, unit)}", "owner-acme",
                          "why acme"]
    only = world.get("/targets?metric=transfer_rate", world.session("ada")).text
    assert _listed(only) == {t.id for t in list_targets(ws, "transfer_rate")}


@pytest.mark.parametrize(("username", "seen"), [
    ("ada", {"all", "acme", "globex", "south", "care"}),
    ("vic", {"all", "acme", "south", "care"}),      # vendor=acme
    ("tara", {"all", "acme", "south", "care"}),     # analyst, vendor=acme
    ("sue", {"all", "acme", "globex", "care"}),     # supervisor, site=north
    ("al", {"all", "acme", "globex", "south", "care"}),  # agent=a1: no agent targets here
])
def test_scoped_users_see_the_targets_that_reach_them(world, targets, username: str,
                                                      seen: set[str]) -> None:
    page = world.get("/targets", world.session(username)).text
    mine = {label for label, target_id in targets.items() if target_id in _listed(page)}
    assert mine == seen
    for label in set(targets) - seen:
        assert f"why {label}<" not in page


def test_add_edit_delete_are_audited(world, targets) -> None:
    ws = world.client.app.state.web.workspace
    raw = world.session("ana")
    added = world.post("/targets", raw, FORM)
    assert added.status_code == 303, added.text
    target_id = int(re.search(r"saved=(\d+)", added.headers["location"]).group(1))
    saved = next(t for t in list_targets(ws) if t.id == target_id)
    assert (saved.metric, saved.scope, str(saved.valid_from), saved.value, saved.warning,
            saved.owner) == ("first_contact_resolution", {"program": "care"}, "2020-03-01",
                             0.7, 0.6, "ops")
    assert f'id="target-{target_id}"' in world.get("/targets", raw).text

    form = world.get(f"/targets/{target_id}/edit", raw)
    assert form.status_code == 200 and 'name="value" value="0.7"' in form.text
    edited = world.post(f"/targets/{target_id}/edit", raw,
                        {"value": "0.75", "warning": "0.65", "valid_to": "2020-11-30",
                         "owner": "cx", "rationale": "raised"})
    assert edited.status_code == 303
    after = next(t for t in list_targets(ws) if t.id == target_id)
    assert (after.value, after.warning, str(after.valid_to), after.owner, after.rationale,
            after.scope) == (0.75, 0.65, "2020-11-30", "cx", "raised", {"program": "care"})
    same_key = [t for t in list_targets(ws, "first_contact_resolution")
                if t.scope == {"program": "care"}]
    assert [t.id for t in same_key] == [target_id]  # updated in place, no second target

    # A later target first, so that the deleted id is not the highest (see `targets`).
    world.post("/targets", raw, FORM | {"valid_from": "2020-04"})
    deleted = world.post(f"/targets/{target_id}/delete", raw, {})
    assert deleted.status_code == 303
    assert target_id not in {t.id for t in list_targets(ws)}
    assert _audit(world, target_id) == [("create", "ana"), ("update", "ana"),
                                        ("delete", "ana")]


@pytest.mark.parametrize(("change", "spec"), [
    ({"metric": "nope"}, {"metric": "nope"}),
    ({"metric": "offered"}, {"metric": "offered"}),  # neutral: no better direction
    ({"scope": "team=red"}, {"scope": {"team": "red"}}),  # not a dimension of the metric
    ({"warning": "0.9"}, {"warning": 0.9}),  # higher is better: warning must be below
    ({"valid_to": "2020-01-01"}, {"valid_to": "2020-01-01"}),  # before the start
])
def test_bad_input_shows_the_library_message(world, targets, change: dict,
                                             spec: dict) -> None:
    ws = world.client.app.state.web.workspace
    count = len(list_targets(ws))
    response = world.post("/targets", world.session("ana"), FORM | change)
    assert response.status_code == 400
    base = {"metric": FORM["metric"], "scope": {"program": "care"},
            "valid_from": "2020-03-01", "valid_to": "2020-12-31", "value": 0.7,
            "warning": 0.6}
    message = _library_message(world, base | spec)
    assert f'<p class="error" role="alert">{message}</p>' in response.text
    # What the user typed is kept.
    assert 'name="owner" value="ops"' in response.text
    for name in ("scope", "warning", "valid_to"):
        typed = (FORM | change)[name]
        assert f'name="{name}" value="{escape(typed)}"' in response.text
    assert len(list_targets(ws)) == count


@pytest.mark.parametrize(("change", "problem"), [
    ({"valid_from": "2026-13"}, "from expects YYYY-MM or YYYY-MM-DD, got &#39;2026-13&#39;"),
    ({"value": "lots"}, "target value expects a number, got &#39;lots&#39;"),
    ({"value": ""}, "target value is required"),
    ({"value": "nan"}, "target value must be a finite number"),
    ({"scope": "vendor"}, "scope expects DIM=VALUE, got &#39;vendor&#39;"),
    ({"benchmark_date": "June"}, "benchmark date expects YYYY-MM or YYYY-MM-DD"),
])
def test_unparseable_input_is_400(world, targets, change: dict, problem: str) -> None:
    response = world.post("/targets", world.session("ada"), FORM | change)
    assert response.status_code == 400
    assert problem in response.text


def test_bad_edit_keeps_the_input(world, targets) -> None:
    ws = world.client.app.state.web.workspace
    target = targets["care"]
    response = world.post(f"/targets/{target}/edit", world.session("ada"),
                          {"value": "0.8", "warning": "0.95"})
    assert response.status_code == 400
    message = _library_message(world, {"metric": "service_level", "scope": {"program": "care"},
                                       "valid_from": "2020-01-01", "value": 0.8,
                                       "warning": 0.95})
    assert message in response.text and 'name="warning" value="0.95"' in response.text
    assert next(t for t in list_targets(ws) if t.id == target).warning == 0.7


def test_csrf_missing_is_403_and_changes_nothing(world, targets) -> None:
    ws = world.client.app.state.web.workspace
    raw = world.session("ada")
    before = [t.model_dump() for t in list_targets(ws)]
    for path, data in (("/targets", FORM),
                       (f"/targets/{targets['all']}/edit", {"value": "0.5"}),
                       (f"/targets/{targets['all']}/delete", {})):
        for token in (None, "wrong"):
            response = world.post(path, raw, data, csrf=token)
            assert response.status_code == 403, (path, token)
    assert [t.model_dump() for t in list_targets(ws)] == before


def test_scoped_writer_stays_within_its_scope(world, targets) -> None:
    ws = world.client.app.state.web.workspace
    raw = world.session(SCOPED_ANALYST)
    page = world.get("/targets", raw).text
    # It may change its own vendor's target only; the others it sees are read-only.
    assert re.findall(r'href="/targets/(\d+)/edit"', page) == [str(targets["acme"])]
    for label in ("globex", "all", "south", "care"):
        target = targets[label]
        assert world.get(f"/targets/{target}/edit", raw).status_code == 404
        assert world.post(f"/targets/{target}/edit", raw, {"value": "0.1"}).status_code == 404
        assert world.post(f"/targets/{target}/delete", raw, {}).status_code == 404
        assert target in {t.id for t in list_targets(ws)}
    assert world.get("/targets/999999/edit", world.session("ada")).status_code == 404

    outside = world.post("/targets", raw, FORM | {"scope": "vendor=globex"})
    assert outside.status_code == 400
    assert "vendor=globex is outside your scope (vendor=acme)" in outside.text
    added = world.post("/targets", raw, FORM | {"scope": "program=care"})
    assert added.status_code == 303
    target_id = int(re.search(r"saved=(\d+)", added.headers["location"]).group(1))
    saved = next(t for t in list_targets(ws) if t.id == target_id)
    assert saved.scope == {"program": "care", "vendor": "acme"}  # its vendor forced on
    edited = world.post(f"/targets/{targets['acme']}/edit", raw,
                        {"value": "0.85", "warning": "0.7"})
    assert edited.status_code == 303
    assert next(t for t in list_targets(ws) if t.id == targets["acme"]).value == 0.85
    assert _audit(world, targets["acme"])[-1] == ("update", SCOPED_ANALYST)
