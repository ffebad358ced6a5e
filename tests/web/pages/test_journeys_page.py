"""GET /journeys: the page × every role (scoped users refused: journeys cross vendors), its
flows and friction equal `journey_flows` and `friction_points` (what `cxpm journeys flows`
and `cxpm journeys friction` print) for the same period and split, its Sankey the journey
map's, and plotly.js served from the package with the style rules the CSP would block."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from small_demo import ROLE_USER, USERS, DemoSite, build_small_demo

from cxpm.journeys.flows import journey_flows, step_flows
from cxpm.journeys.friction import KIND_TITLES, friction_points
from cxpm.journeys.sankey import DEFAULT_TOP_FLOWS, largest_connected, node_name
from cxpm.journeys.selection import journey_months, journey_tables
from cxpm.users.permissions import ROLES, has_permission
from cxpm.web.pages.journeys import TOP_FRICTION

PATH = "/journeys"
STATIC = Path(__file__).parents[3] / "cxpm" / "web" / "static"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSite]:
    from cxpm.web.app import create_app

    ws = build_small_demo(tmp_path_factory.mktemp("journeys-page"))
    app = create_app(ws.path)
    with TestClient(app, follow_redirects=False) as client:
        yield DemoSite(client, app.state.web.workspace)


def _library(site: DemoSite, function, *args, **kwargs):
    with site.client.app.state.web.warehouse() as warehouse:
        return function(journey_tables(warehouse), *args, **kwargs)


def _rows(page: str, table_id: str) -> list[list[str]]:
    body = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


@pytest.mark.parametrize("role", ROLES)
def test_page_by_role(site: DemoSite, role: str) -> None:
    username = ROLE_USER[role]
    response = site.get(PATH, username)
    if not has_permission(role, "metrics:read"):
        assert response.status_code == 403
        return
    if USERS[username][1] is not None:  # scoped: journeys cannot be limited to a scope
        assert response.status_code == 403
        assert "cannot be limited to your scope" in response.text
        assert 'id="sankey' not in response.text and 'id="friction"' not in response.text
        return
    assert response.status_code == 200, response.text[:300]
    assert 'id="sankey-data"' in response.text


@pytest.mark.parametrize("username", ["vic", "val", "sid", "sue", "al"])
def test_every_scoped_user_is_refused(site: DemoSite, username: str) -> None:
    for query in ("", "?period=2026-10", "?by=vendor"):
        response = site.get(PATH + query, username)
        assert response.status_code == 403, (username, query)
        assert "a journey crosses vendors" in response.text


def test_flows_and_friction_equal_the_library(site: DemoSite) -> None:
    page = site.get(PATH, "ana").text
    flows = _library(site, journey_flows)
    assert _rows(page, "flows") == [[f.source, f.target, f"{f.count:,}"] for f in flows]
    points = _library(site, friction_points, params=site.workspace.metric_params())
    shown = _rows(page, "friction")
    assert len(shown) == min(TOP_FRICTION, len(points)) > 0
    assert [row[:6] for row in shown] == [
        [str(p.rank), KIND_TITLES[p.kind], p.location, f"{p.customers:,}",
         f"{p.journeys:,}", f"{p.extra_contacts:,}"] for p in points[:TOP_FRICTION]]


def test_period_and_by_equal_the_library(site: DemoSite) -> None:
    months = _library(site, journey_months)
    period = months[0]
    page = site.get(f"{PATH}?period={period}&by=vendor", "ada").text
    assert f'<option value="{period}" selected>' in page
    assert _rows(page, "flows") == [[f.source, f.target, f"{f.count:,}"]
                                    for f in _library(site, journey_flows, period)]
    points = _library(site, friction_points, period=period, by=["vendor"],
                      params=site.workspace.metric_params())[:TOP_FRICTION]
    assert [(row[0], row[2], row[3]) for row in _rows(page, "friction")] == [
        (str(p.rank), p.location, p.by["vendor"] or "—") for p in points]


def test_sankey_is_the_journey_maps(site: DemoSite) -> None:
    page = site.get(PATH, "ada").text
    figure = json.loads(re.search(r'id="sankey-data">(.*?)</script>', page, re.S).group(1))
    (trace,) = figure["data"]
    labels, links = trace["node"]["label"], trace["link"]
    drawn = sorted((labels[s], labels[t], v) for s, t, v in
                   zip(links["source"], links["target"], links["value"], strict=True))
    chosen = largest_connected(_library(site, step_flows), DEFAULT_TOP_FLOWS)
    assert drawn == sorted((node_name(f.source, f.source_step),
                            node_name(f.target, f.target_step), f.count) for f in chosen)
    # Drawn by our own script with the packaged plotly.js: no inline script.
    assert '<script src="/assets/plotly.js" defer></script>' in page
    assert '<script src="/static/sankey.js" defer></script>' in page
    assert not re.search(r"<script(?![^>]*(src=|type=\"application/json\"))", page)


def test_a_month_without_journeys_and_bad_input(site: DemoSite) -> None:
    empty = site.get(f"{PATH}?period=2020-01", "ana")
    assert empty.status_code == 200 and "no journeys started in 2020-01" in empty.text
    for query in ("period=2026-13", "period=october", "by=colour", "by=vendor%3Bdrop",
                  "period=2026-10%27--", "top=5"):
        response = site.get(f"{PATH}?{query}", "ana")
        assert response.status_code == 400, query


def test_plotly_served_from_the_package(site: DemoSite) -> None:
    from plotly.offline import get_plotlyjs

    response = site.client.get("/assets/plotly.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.text == get_plotlyjs()
    again = site.client.get("/assets/plotly.js",
                            headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_plotly_css_holds_every_rule_plotly_would_inject() -> None:
    """plotly.js adds its style rules at run time, which style-src 'self' blocks: our copy
    must have them all (this fails after a plotly upgrade that adds rules)."""
    from plotly.offline import get_plotlyjs

    script = get_plotlyjs()
    start = script.index('{"X,X div"')
    end = script.index("}", script.index('"Y .notifier-close:hover"')) + 1
    pairs = re.findall(r'''(?:"([^"]*)"|'([^']*)'):(?:"([^"]*)"|'([^']*)')''',
                       script[start:end])
    css = (STATIC / "plotly.css").read_text()
    for key, key2, rule, rule2 in pairs:
        selector = (key or key2).replace("X", ".js-plotly-plot .plotly").replace(
            "Y", ".plotly-notifier")
        assert f"{selector} {{ {rule or rule2} }}" in css, selector
    assert len(pairs) > 50


def test_not_built_says_how_to_build(world) -> None:
    """The shared workspace has contacts but no journeys: the page says how to build them."""
    response = world.get(PATH, world.session("ana"))
    assert response.status_code == 200
    assert "cxpm journeys build" in response.text
    assert 'id="sankey' not in response.text
    assert world.get(PATH, world.session("vic")).status_code == 403
