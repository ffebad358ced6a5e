"""GET /api/metrics: the CLI's JSON contract, and the caller's scope applied to it."""

from __future__ import annotations

from collections import Counter

import pytest
from web_helpers import WebFixture


def api(web: WebFixture, role: str, **params):
    return web.client.get("/api/metrics", params=params, headers=web.headers(role))


def cli_args(params: dict) -> list[str]:
    args = []
    for key, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            if key == "where":
                dim, _, text = item.partition(":")
                item = f"{dim}={text}"
            args += [f"--{'interval-minutes' if key == 'interval_minutes' else key}",
                     str(item)]
    return args


QUERIES = [
    {},
    {"metric": ["offered", "aht", "service_level"], "by": "vendor"},
    {"metric": ["handled", "abandonment_rate"], "by": ["site", "queue"], "grain": "day"},
    {"metric": "offered", "grain": "interval", "interval_minutes": 60,
     "from": "2026-08-04", "to": "2026-08-04"},
    {"metric": ["asa", "offered"], "where": ["vendor:globex", "queue:tech"], "by": "agent_id"},
    {"metric": "offered", "by": "vendor", "from": "2026-08-03T10:00", "to": "2026-08-04T09:00"},
]


@pytest.mark.parametrize("params", QUERIES)
def test_same_json_as_the_cli(web: WebFixture, cli, params: dict) -> None:
    expected = cli("metrics", "compute", "--format", "json", "-w", str(web.workspace.path),
                   *cli_args(params))
    assert expected.exit_code == 0, expected.stderr
    response = api(web, "analyst", **params)
    assert response.status_code == 200, response.text
    assert response.json() == expected.json()
    assert response.json(), "each query has rows"


def inbound(rows: list[dict], **match: str) -> list[dict]:
    return [r for r in rows if r["direction"] != "outbound"
            and all(r[k] == v for k, v in match.items())]


def value_of(records: list[dict], metric: str, **dims: str) -> float:
    (match,) = [r for r in records if r["metric"] == metric
                and all(r.get(k) == v for k, v in dims.items())]
    return match["value"]


def test_offered_counts_by_hand(web: WebFixture) -> None:
    records = api(web, "admin", metric="offered", by="vendor").json()
    assert value_of(records, "offered", vendor="acme") == len(inbound(web.rows, vendor="acme"))
    assert value_of(records, "offered", vendor="globex") == len(
        inbound(web.rows, vendor="globex"))


def test_vendor_user_sees_its_vendor_only(web: WebFixture) -> None:
    acme = len(inbound(web.rows, vendor="acme"))
    assert 0 < acme < len(inbound(web.rows))
    total = api(web, "vendor", metric="offered").json()
    assert total == [{"metric": "offered", "value": acme, "numerator": None,
                      "denominator": None}]
    by_vendor = api(web, "vendor", metric="offered", by="vendor").json()
    assert [(r["vendor"], r["value"]) for r in by_vendor] == [("acme", acme)]
    by_site = api(web, "vendor", metric="offered", by="site").json()
    assert sum(r["value"] for r in by_site) == acme
    # Asking for another vendor, alone or alongside its own, never reaches the other's rows.
    assert api(web, "vendor", metric="offered", where="vendor:globex").json() == []
    both = api(web, "vendor", metric="offered", by="vendor",
               where=["vendor:globex", "vendor:acme"]).json()
    assert [(r["vendor"], r["value"]) for r in both] == [("acme", acme)]
    by_agent = api(web, "vendor", metric="offered", by="agent_id").json()
    expected = Counter(r["agent_id"] for r in inbound(web.rows, vendor="acme"))
    assert {r["agent_id"]: r["value"] for r in by_agent} == expected
    assert set(expected) == {"a1", "a2", None}  # None: acme's abandoned contacts


def test_agent_user_sees_itself_only(web: WebFixture) -> None:
    mine = inbound(web.rows, agent_id="a1")
    records = api(web, "agent", metric=["offered", "aht"], by="agent_id").json()
    assert {r["agent_id"] for r in records} == {"a1"}
    assert value_of(records, "offered") == len(mine)
    handle = [int(r["talk_s"]) + int(r["hold_s"]) + int(r["wrap_s"]) for r in mine]
    assert value_of(records, "aht") == pytest.approx(sum(handle) / len(handle))
    assert api(web, "agent", metric="offered", where="agent_id:a3").json() == []


def test_site_scope_by_day(web: WebFixture) -> None:
    records = api(web, "supervisor", metric="offered", grain="day").json()
    days = Counter(r["arrived_at"][:10] for r in inbound(web.rows, site="north"))
    assert {r["period_start"][:10]: r["value"] for r in records} == days


@pytest.mark.parametrize(("role", "metric", "dimension"), [
    ("vendor", "forecast_accuracy_volume", "vendor"),
    ("agent", "cost_per_contact", "agent_id"),
    ("supervisor", "schedule_fit", "site"),
])
def test_metric_that_cannot_be_scoped_is_refused(web: WebFixture, role: str, metric: str,
                                                 dimension: str) -> None:
    response = api(web, role, metric=["offered", metric])
    assert response.status_code == 403
    assert metric in response.json()["detail"]
    assert f"no {dimension} dimension" in response.json()["detail"]
    assert api(web, "analyst", metric=metric).status_code == 200


def test_unknown_metric_and_dimension_are_400(web: WebFixture) -> None:
    unknown = api(web, "analyst", metric="offerd")
    assert unknown.status_code == 400
    assert unknown.json()["detail"] == "unknown metric 'offerd'; did you mean offered?"
    dimension = api(web, "analyst", metric="offered", by="team")
    assert dimension.status_code == 400
    assert "cannot be split or filtered by team" in dimension.json()["detail"]
    backwards = api(web, "analyst", **{"from": "2026-08-05", "to": "2026-08-01"})
    assert backwards.status_code == 400 and "empty time range" in backwards.json()["detail"]
    assert api(web, "analyst", bogus="1").status_code == 400
    far = api(web, "analyst", to="9999-12-31")  # the engine would add a day past year 9999
    assert far.status_code == 400
    assert far.json()["detail"] == "to must be before the year 9999, got '9999-12-31'"


def test_unauthenticated_is_401(web: WebFixture) -> None:
    response = web.client.get("/api/metrics")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    bad = web.client.get("/api/metrics", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
