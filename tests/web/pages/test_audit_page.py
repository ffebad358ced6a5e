"""/audit and /audit.csv: who may read the log, filters and paging against counts made by
hand from rows written for this module, the CSV download, hostile filter values."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from web_helpers import PASSWORD, ROLE_USER

from cxpm.store.audit import AuditFilter, list_audit
from cxpm.store.db import audit_values
from cxpm.store.models import AuditLog
from cxpm.users.accounts import add_user
from cxpm.users.permissions import ROLES, has_permission

ACTOR = "audit-page-fixture"
ENTITY = "audit_page_thing"
START = datetime(2020, 1, 1, 0, 30)
COUNT = 120


def spec(i: int) -> dict:
    """Row i of this module's rows: one every 6 hours from START (four a day)."""
    return audit_values(actor=ACTOR, action=("create", "update")[i % 2], entity=ENTITY,
                        entity_id=f"thing-{i % 10}",
                        before=None if i % 2 == 0 else {"colour": f"c{i - 1}", "size": 1},
                        after={"colour": f"c{i}", "size": 1},
                        note="=HYPERLINK(\"http://x\")" if i == 7 else None,
                        at=START + timedelta(hours=6 * i))


ROWS = [spec(i) for i in range(COUNT)]


@pytest.fixture(scope="module")
def logged(world) -> dict[int, int]:
    """This module's audit rows (row number -> id) and a scoped analyst."""
    ws = world.client.app.state.web.workspace
    with Session(ws.app_db) as session:
        rows = [AuditLog(**row) for row in ROWS]
        session.add_all(rows)
        session.commit()
        numbers = {i: row.id for i, row in enumerate(rows)}
    add_user(ws, "aud-scoped", role="analyst", scope="vendor=acme", password=PASSWORD,
             actor="test")
    return numbers


def row_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="audit-(\d+)">', page)]


def newest_first(logged: dict[int, int], keep=lambda i: True) -> list[int]:
    return [logged[i] for i in range(COUNT - 1, -1, -1) if keep(i)]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/audit", "/audit.csv"])
def test_audit_by_role(world, logged, role: str, path: str) -> None:
    response = world.get(path, world.session(ROLE_USER[role]))
    expected = 200 if has_permission(role, "audit:read") else 403
    assert response.status_code == expected, response.text[:300]
    if expected == 403:
        assert "audit:read" in response.text


def test_scoped_reader_is_refused_with_the_reason(world, logged) -> None:
    raw = world.session("aud-scoped")
    for path in ("/audit", "/audit.csv", f"/audit?actor={ACTOR}"):
        response = world.get(path, raw)
        assert response.status_code == 403
        assert "cannot be limited to your scope (vendor=acme)" in html.unescape(response.text)
        assert ACTOR not in response.text


def test_nav_link_for_readers_only(world, logged) -> None:
    assert 'href="/audit"' in world.get("/actions", world.session("ana")).text
    assert 'href="/audit"' not in world.get("/actions", world.session("sue")).text


def test_pages_of_fifty_newest_first(world, logged) -> None:
    raw = world.session("ada")
    expected = newest_first(logged)
    seen, url, pages = [], f"/audit?actor={ACTOR}", 0
    while url:
        page = world.get(url, raw)
        assert page.status_code == 200
        text = html.unescape(page.text)
        ids = row_ids(text)
        first = len(seen) + 1
        assert f"Rows {first}–{len(seen) + len(ids)} of {COUNT}" in text
        assert ("audit-previous" in text) == (pages > 0)
        seen += ids
        pages += 1
        found = re.search(r'href="([^"]+)" id="audit-next"', text)
        url = found.group(1) if found else None
    assert pages == 3 and seen == expected
    assert len(row_ids(world.get(f"/audit?actor={ACTOR}&offset=100", raw).text)) == 20


def test_filters_match_hand_counts(world, logged) -> None:
    raw = world.session("ana")
    # thing-3 and update: i % 10 == 3 (always odd, so always an update): 12 rows.
    page = html.unescape(world.get(f"/audit?entity={ENTITY}&entity_id=thing-3&action=update",
                                   raw).text)
    assert row_ids(page) == newest_first(logged, lambda i: i % 10 == 3)
    assert f"of {COUNT // 10} matching" in page
    # 2020-01-02 .. 2020-01-03 holds rows 4..11 (four a day).
    dated = world.get(f"/audit?actor={ACTOR}&from=2020-01-02&to=2020-01-03", raw).text
    assert row_ids(dated) == newest_first(logged, lambda i: 4 <= i <= 11)
    library = list_audit(world.client.app.state.web.workspace,
                         AuditFilter(actor=ACTOR, since=datetime(2020, 1, 2).date(),
                                     until=datetime(2020, 1, 3).date()))
    assert row_ids(dated) == [e.id for e in library.entries]
    none = world.get("/audit?actor=nobody-at-all", raw).text
    assert row_ids(none) == [] and "No audit rows match the filter" in none


def test_changes_are_shown_compactly(world, logged) -> None:
    page = world.get(f"/audit?actor={ACTOR}&entity_id=thing-5", world.session("ada")).text
    row = re.search(rf'<tr id="audit-{logged[5]}">(.*?)</tr>', page, re.S).group(1)
    # Row 5 changed colour c4 -> c5; its size did not change, so it is not listed.
    assert re.search(r"<strong>colour</strong>: <span[^>]*>c4</span> → <span[^>]*>c5</span>",
                     row)
    assert "size" not in row
    # Row 0 created the thing: every field it set is listed.
    created = re.search(rf'<tr id="audit-{logged[0]}">(.*?)</tr>',
                        world.get(f"/audit?actor={ACTOR}&entity_id=thing-0",
                                  world.session("ada")).text, re.S).group(1)
    assert "<strong>colour</strong>" in created and "<strong>size</strong>" in created


def test_csv_download_of_the_filter(world, logged) -> None:
    response = world.get(f"/audit.csv?actor={ACTOR}&action=update", world.session("ada"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["id"]) for r in rows] == newest_first(logged, lambda i: i % 2 == 1)
    seventh = next(r for r in rows if int(r["id"]) == logged[7])
    assert seventh["note"] == "'=HYPERLINK(\"http://x\")"  # not run as a formula
    assert seventh["changes"] == "colour: c6 → c7"
    assert seventh["at_utc"] == str(START + timedelta(hours=42))
    page_link = re.search(r'href="([^"]+)" id="audit-csv"',
                          world.get(f"/audit?actor={ACTOR}&action=update",
                                    world.session("ada")).text).group(1)
    assert html.unescape(page_link) == f"/audit.csv?actor={ACTOR}&action=update"


PAYLOADS = ["x' OR 1=1 --", "'; DROP TABLE audit_log;--", "../../etc/passwd",
            "..\\..\\windows\\win.ini", "%", "1) OR (1=1", "<script>alert(1)</script>",
            "%00", "vendor\x00", "a" * 5000]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_filter_values(world, logged, payload: str) -> None:
    raw = world.session("ada")
    ws = world.client.app.state.web.workspace
    with Session(ws.app_db) as session:
        before = session.scalar(select(func.count()).select_from(AuditLog))
    for name in ("actor", "entity", "entity_id", "action", "from", "to", "offset"):
        response = world.get("/audit", raw, params={name: payload})
        assert response.status_code in (200, 400), (name, response.status_code)
        if response.status_code == 200:
            assert row_ids(response.text) == [], name
        else:
            assert 'class="error"' in response.text
        assert "<script>alert" not in response.text
        csv_response = world.get("/audit.csv", raw, params={name: payload})
        assert csv_response.status_code in (200, 400)
    with Session(ws.app_db) as session:
        assert session.scalar(select(func.count()).select_from(AuditLog)) == before


@pytest.mark.parametrize(("params", "problem"), [
    ({"actor": "a" * 121}, "who: String should have at most 120 characters"),
    ({"from": "2020-02-30"}, "from: Input should be a valid date"),
    ({"from": "2020-03-02", "to": "2020-03-01"}, "starts (2020-03-02) after it ends"),
    ({"offset": "-50"}, "offset must be a whole number"),
    ({"offset": "1e99"}, "offset must be a whole number"),
])
def test_bad_filters_answer_400_with_the_problem(world, logged, params: dict,
                                                 problem: str) -> None:
    response = world.get("/audit", world.session("ana"), params=params)
    assert response.status_code == 400
    assert problem in html.unescape(response.text)
    # The form keeps what was typed, to be corrected.
    for name, value in params.items():
        if name != "offset":
            assert f'name="{name}"' in response.text and f'value="{value}"' in response.text


def test_logged_out_readers_go_to_the_login(world) -> None:
    for path in ("/audit", "/audit.csv"):
        response = world.get(path, None)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
