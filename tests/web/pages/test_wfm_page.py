"""GET /wfm/intraday: the page × every role, its numbers equal `intraday` (what `cxpm wfm
intraday` prints) for the same query, and a scoped user limited to the queues of its scope
alone — numbers checked by hand from the raw contacts."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from small_demo import OUTSOURCER, ROLE_USER, DemoSite, build_small_demo

from cxpm.formatting import format_value
from cxpm.users.permissions import ROLES, has_permission
from cxpm.web.pages.wfm import COLUMNS
from cxpm.wfm.intraday import intraday

PATH = "/wfm/intraday"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    from cxpm.web.app import create_app

    ws = build_small_demo(tmp_path_factory.mktemp("wfm-page"))
    app = create_app(ws.path)
    with TestClient(app, follow_redirects=False) as client:
        yield DemoSite(client, app.state.web.workspace)


@pytest.fixture(scope="module")
def contacts(site: DemoSite) -> list[dict]:
    """The raw contact rows, for counting by hand."""
    with site.client.app.state.web.warehouse() as warehouse:
        return warehouse.tables()["contacts"].select(
            "queue", "vendor", "direction", "local_time").to_pyarrow().to_pylist()


def _latest_day(contacts: list[dict]) -> date:
    return max(r["local_time"] for r in contacts).date()


def _table(page: str) -> list[dict[str, str]]:
    """The intraday table's rows: interval and each data-field cell, as shown."""
    body = page.split('id="intraday"', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr><td>(\d\d:\d\d)</td>(.*?)</tr>", body, re.S):
        cells = dict(re.findall(r'data-field="(\w+)">([^<]*)</td>', row[1]))
        rows.append({"interval": row[0], **{k: html.unescape(v) for k, v in cells.items()}})
    return rows


def _shown(records: list[dict]) -> list[dict[str, str]]:
    """The library's rows as the page formats them."""
    return [{"interval": r["interval_start"].strftime("%H:%M"),
             **{field: format_value(r[field], unit) for field, _, unit in COLUMNS}}
            for r in records]


def _library(site: DemoSite, day: date, **kwargs) -> list[dict]:
    ws = site.workspace
    with site.client.app.state.web.warehouse() as warehouse:
        return intraday(warehouse.tables(), day, params=ws.metric_params(),
                        **kwargs).to_pylist()


def _own_queues(contacts: list[dict], vendor: str) -> list[str]:
    by_queue: dict[str, set] = {}
    for r in contacts:
        if r["queue"] is not None:
            by_queue.setdefault(r["queue"], set()).add(r["vendor"])
    return sorted(q for q, vendors in by_queue.items() if vendors == {vendor})


@pytest.mark.parametrize("role", ROLES)
def test_page_by_role(site: DemoSite, role: str) -> None:
    response = site.get(PATH, ROLE_USER[role])
    if not has_permission(role, "wfm:read"):
        assert response.status_code == 403
        assert "wfm:read" in response.text
        return
    assert response.status_code == 200, response.text[:300]
    assert _table(response.text)


def test_nav_link_only_for_roles_that_may_see_it(site: DemoSite) -> None:
    assert 'href="/wfm/intraday"' in site.get("/", "ana").text
    assert 'href="/wfm/intraday"' not in site.get("/", "quinn").text


def test_unauthenticated_is_sent_to_login(site: DemoSite) -> None:
    response = site.client.get(PATH)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_default_day_and_all_queues_equal_the_library(site: DemoSite, contacts) -> None:
    day = _latest_day(contacts)
    page = site.get(PATH, "ana").text
    assert f"Intraday {day.isoformat()}" in page
    expected = _library(site, day)
    assert _table(page) == _shown(expected)
    assert len(expected) == 48  # the demo forecasts half-hours all day


def test_one_queue_on_a_chosen_day_equals_the_library(site: DemoSite, contacts) -> None:
    day = _latest_day(contacts) - timedelta(days=1)
    page = site.get(f"{PATH}?date={day.isoformat()}&queue=banking-voice", "ada").text
    assert _table(page) == _shown(_library(site, day, queue="banking-voice"))
    assert '<option value="banking-voice" selected>' in page
    # The chart's data are the same numbers.
    charts = json.loads(re.search(r'id="chart-data">(.*?)</script>', page, re.S).group(1))
    volume = charts["intraday"]["vconcat"][0]["data"]["values"]
    actual = {v["t"][11:16]: v["value"] for v in volume if v["series"] == "actual"}
    assert actual == {r["interval_start"].strftime("%H:%M"): r["actual_volume"]
                      for r in _library(site, day, queue="banking-voice")}


def test_vendor_user_sees_only_queues_served_by_its_vendor_alone(site: DemoSite,
                                                                 contacts) -> None:
    own = _own_queues(contacts, OUTSOURCER)
    shared = sorted({r["queue"] for r in contacts if r["vendor"] == OUTSOURCER} - set(own))
    assert own and shared  # the demo has both kinds: desks of its own, shared voice queues
    day = _latest_day(contacts)
    page = site.get(PATH, "vic").text
    offered = re.findall(r'<option value="([^"]+)"', page)
    assert offered == own
    assert all(q not in page for q in shared)
    rows = _table(page)
    # Actual volume per interval, counted by hand: inbound contacts of its own queues.
    start = datetime(day.year, day.month, day.day)
    for row in rows:
        begin = start + timedelta(hours=int(row["interval"][:2]),
                                  minutes=int(row["interval"][3:]))
        count = sum(1 for r in contacts if r["queue"] in own
                    and (r["direction"] or "inbound") != "outbound"
                    and begin <= r["local_time"] < begin + timedelta(minutes=30))
        assert row["actual_volume"] == format_value(float(count), "count"), row
    # Forecast volume: the sum of its own queues' forecasts, never the shared queues'.
    forecast: dict[str, float] = {}
    for queue in own:
        for record in _library(site, day, queue=queue):
            at = record["interval_start"].strftime("%H:%M")
            forecast[at] = forecast.get(at, 0.0) + record["forecast_volume"]
    assert [row["interval"] for row in rows] == sorted(forecast)
    for row in rows:
        assert row["forecast_volume"] == format_value(forecast[row["interval"]], "count")
    assert _table(page) != _table(site.get(PATH, "ana").text)
    # The supervisor scoped to the same vendor sees the same page.
    assert _table(site.get(PATH, "sue").text) == rows


def test_scoped_user_cannot_reach_other_queues(site: DemoSite, contacts) -> None:
    shared = next(r["queue"] for r in contacts if r["vendor"] == OUTSOURCER
                  and r["queue"] not in _own_queues(contacts, OUTSOURCER))
    others = _own_queues(contacts, "Andes CX")
    for queue in (shared, others[0], "no-such-queue"):
        response = site.get(f"{PATH}?queue={queue}", "vic")
        assert response.status_code == 404, queue
        assert "within your scope" in response.text


def test_scope_with_no_queue_of_its_own_is_refused(site: DemoSite) -> None:
    response = site.get(PATH, "ned")  # a vendor without contacts
    assert response.status_code == 403
    assert "cannot be limited to your scope" in response.text
    assert "<table" not in response.text


def test_bad_input(site: DemoSite) -> None:
    response = site.get(f"{PATH}?date=2026-02-30", "ana")
    assert response.status_code == 400 and "YYYY-MM-DD" in response.text
    for query in ("date=yesterday", "date=2026-10-31%27%20OR%201=1", "color=red"):
        assert site.get(f"{PATH}?{query}", "ana").status_code == 400, query
    # A day or queue without forecasts is a message on the page, not an error.
    empty = site.get(f"{PATH}?date=2020-01-01", "ana")
    assert empty.status_code == 200 and "no forecast intervals on 2020-01-01" in empty.text
    odd = site.get(f"{PATH}?queue=%3Cscript%3E", "ana")
    assert odd.status_code == 200 and "<script>" not in odd.text.split("<main>", 1)[1]
    assert "has no forecast" in odd.text


def test_no_forecasts_in_the_shared_world(world) -> None:
    """The shared workspace has contacts only: a clear message; its scoped users, whose
    queues are all shared between vendors, get 403."""
    page = world.get(PATH, world.session("ana"))
    assert page.status_code == 200 and "no forecast intervals" in page.text
    assert world.get(PATH, world.session("vic")).status_code == 403
