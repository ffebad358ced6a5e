"""GET /api/scorecard: the JSON of `cxpm scorecard --format json`, within the caller's scope."""

from __future__ import annotations

import pytest
from web_helpers import WebFixture

from cxpm.targets.model import TargetSpec
from cxpm.targets.store import set_target


def card(web: WebFixture, role: str, **params):
    return web.client.get("/api/scorecard", params=params, headers=web.headers(role))


def inbound(web: WebFixture, **match: str) -> int:
    return sum(1 for r in web.rows if r["direction"] != "outbound"
               and all(r[k] == v for k, v in match.items()))


def offered(records: dict, **dims: str) -> float:
    (row,) = [r for r in records["rows"] if r["metric"] == "offered"
              and all(r["dimensions"].get(k) == v for k, v in dims.items())]
    return row["value"]


@pytest.fixture(scope="module", autouse=True)
def offered_target(web: WebFixture) -> None:
    # A target on a standard metric, so the contract covers target, status and achieving.
    set_target(web.workspace, TargetSpec(metric="abandonment_rate", value=0.2, scope={},
                                         valid_from="2026-01-01"), actor="test")
    # And one outside the standard list: it is judged on the scorecard all the same.
    set_target(web.workspace, TargetSpec(metric="avg_talk", value=300, scope={},
                                         valid_from="2026-01-01"), actor="test")


@pytest.mark.parametrize("params", [{}, {"by": "vendor"}, {"period": "2026-08", "by": "site"}])
def test_same_json_as_the_cli(web: WebFixture, cli, params: dict) -> None:
    args = [a for k, v in params.items() for a in (f"--{k}", v)]
    expected = cli("scorecard", "--format", "json", "-w", str(web.workspace.path), *args)
    assert expected.exit_code == 0, expected.stderr
    response = card(web, "analyst", **params)
    assert response.status_code == 200, response.text
    assert response.json() == expected.json()
    assert any(r["status"] for r in response.json()["rows"])
    assert any(r["metric"] == "avg_talk" and r["target"] == 300
               for r in response.json()["rows"])


def test_offered_by_vendor_by_hand(web: WebFixture) -> None:
    records = card(web, "admin", by="vendor").json()
    assert records["period"] == "2026-08"
    for vendor in ("acme", "globex"):
        assert offered(records, vendor=vendor) == inbound(web, vendor=vendor)


def test_vendor_sees_its_own_rows_only(web: WebFixture) -> None:
    for by in ("", "vendor", "site"):
        records = card(web, "vendor", by=by).json()
        assert {r["dimensions"]["vendor"] for r in records["rows"]} == {"acme"}
        assert sum(r["value"] for r in records["rows"] if r["metric"] == "offered") == \
            inbound(web, vendor="acme")
    agent = card(web, "agent").json()
    assert {r["dimensions"]["agent_id"] for r in agent["rows"]} == {"a1"}
    assert offered(agent) == inbound(web, agent_id="a1")


@pytest.mark.parametrize("params", [{"period": "2026-13"}, {"period": "Aug"},
                                    {"by": "queue"}, {"by": "vendor'--"}, {"bogus": "1"},
                                    {"period": "1900-01"}])
def test_bad_input_is_400(web: WebFixture, params: dict) -> None:
    response = card(web, "analyst", **params)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]
