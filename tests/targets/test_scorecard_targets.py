"""The scorecard judged against targets, on the operation of conftest.py (2026-01..04).
Every expected value is worked out here from the raw rows; which target applies to which
row is written out by hand (see TARGETS and APPLIES)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest

from cxpm.errors import CxpmError
from cxpm.scorecard import build_scorecard
from cxpm.targets.attainment import Attainment, achieving_results
from cxpm.targets.model import TargetInfo
from cxpm.workspace import Workspace

JAN, FEB, MAR, APR = (date(2026, m, 1) for m in (1, 2, 3, 4))
METRICS = ("abandonment_rate", "aht", "csat", "cost_per_contact")
FAMILY = {"abandonment_rate": "service", "aht": "efficiency", "csat": "experience",
          "cost_per_contact": "cost"}
DIRECTION = {"abandonment_rate": "lower", "aht": "lower", "csat": "higher",
             "cost_per_contact": "lower"}


def _target(tid: int, metric: str, value: float, warning: float | None = None,
            scope: dict[str, str] | None = None, valid_from: date = JAN,
            valid_to: date | None = None) -> TargetInfo:
    return TargetInfo(id=tid, metric=metric, direction=DIRECTION[metric], scope=scope or {},
                      valid_from=valid_from, valid_to=valid_to, value=value, warning=warning)


TARGETS = {
    "abandon_all": _target(1, "abandonment_rate", 0.15, 0.2),
    "abandon_banking": _target(2, "abandonment_rate", 0.1, scope={"program": "banking"}),
    "aht_all": _target(3, "aht", 280.0, 300.0),
    # valid only from the last month, and only for billing
    "csat_billing": _target(4, "csat", 0.65, scope={"program": "billing"}, valid_from=APR),
    "cost_all": _target(5, "cost_per_contact", 250.0),
}
# (metric, program or None for the overall row) -> the target that applies
APPLIES = {
    ("abandonment_rate", None): "abandon_all", ("abandonment_rate", "banking"): "abandon_banking",
    ("abandonment_rate", "billing"): "abandon_all",
    ("aht", None): "aht_all", ("aht", "banking"): "aht_all", ("aht", "billing"): "aht_all",
    ("csat", "billing"): "csat_billing",
    ("cost_per_contact", None): "cost_all", ("cost_per_contact", "banking"): "cost_all",
    ("cost_per_contact", "billing"): "cost_all",
}


def actual(raw: Mapping[str, list[dict[str, Any]]], metric: str, program: str | None,
           month: date) -> float:
    """The metric from the raw rows, for one program (None: all) and month."""
    def mine(row: dict[str, Any]) -> bool:
        return row["month"] == month and program in (None, row["program"])

    contacts = [c for c in raw["contacts"] if mine(c)]
    answered = [c for c in contacts if c["abandoned"] == "false"]
    if metric == "abandonment_rate":
        return (len(contacts) - len(answered)) / len(contacts)
    if metric == "aht":
        return sum(c["talk_s"] for c in answered) / len(answered)
    if metric == "csat":
        surveys = [s for s in raw["surveys"] if mine(s)]
        return sum(s["csat"] >= 4 for s in surveys) / len(surveys)
    return sum(c["amount"] for c in raw["costs"] if mine(c)) / len(answered)


def status(value: float, target: TargetInfo) -> str:
    better = (lambda a, b: a >= b) if target.direction == "higher" else (lambda a, b: a <= b)
    if better(value, target.value):
        return "met"
    if target.warning is not None and better(value, target.warning):
        return "warning"
    return "missed"


def expected_row(raw, metric: str, program: str | None, months: list[date],
                 required: int, targets: Mapping[str, TargetInfo]) -> dict[str, Any]:
    name = APPLIES.get((metric, program))
    target = targets.get(name) if name else None
    values = {m: actual(raw, metric, program, m) for m in months}
    out: dict[str, Any] = {"value": values[APR], "trend": [values[m] for m in months]}
    if target is None:
        return out | {"target": None, "status": None, "consistent": None}
    judged = [status(values[m], target) for m in months if m >= target.valid_from]
    met = judged.count("met")
    return out | {"target": target.value, "status": status(values[APR], target),
                  "target_id": target.id, "periods_met": met,
                  "periods_considered": len(judged), "consistent": met >= required}


def _card(ws: Workspace, targets: Mapping[str, TargetInfo], by: list[str],
          **params: Any):
    return build_scorecard(ws.warehouse.tables(), period="2026-04", by=by,
                           params=ws.metric_params([f"{k}={v}" for k, v in params.items()]),
                           catalog=ws.metric_catalog(), metrics=("offered", *METRICS),
                           targets=list(targets.values()))


@pytest.fixture(scope="module")
def by_program(operation: Workspace):
    return _card(operation, TARGETS, ["program"])


def _check_rows(card, raw, months: list[date], required: int,
                targets: Mapping[str, TargetInfo]) -> None:
    checked = 0
    for row in card.rows:
        if row.metric not in METRICS:
            continue
        program = row.dimensions.get("program")
        want = expected_row(raw, row.metric, program, months, required, targets)
        got = row.model_dump()
        where = (row.metric, program)
        assert got["value"] == pytest.approx(want["value"]), where
        assert got["trend"] == pytest.approx(want["trend"]), where
        for key in ("target", "status", "consistent", "target_id", "periods_met",
                    "periods_considered"):
            if key in want:
                assert got[key] == want[key], (where, key)
        checked += 1
    assert checked == len(METRICS) * (len(card.rows) // (len(METRICS) + 1))


def test_statuses_trend_and_consistency_by_program(by_program, raw) -> None:
    assert [r.dimensions["program"] for r in by_program.rows
            if r.metric == "aht"] == ["banking", "billing"]
    assert (by_program.consistency_periods, by_program.consistency_required) == (3, 3)
    _check_rows(by_program, raw, [FEB, MAR, APR], 3, TARGETS)


def test_the_data_exercises_every_status(by_program) -> None:
    """Guard against a fixture that would make the checks above trivial."""
    statuses = {r.status for r in by_program.rows}
    assert {"met", "warning", "missed"} <= statuses
    assert {r.consistent for r in by_program.rows} >= {True, False, None}


def test_overall_rows_take_only_global_targets(operation: Workspace, raw) -> None:
    card = _card(operation, TARGETS, [])
    _check_rows(card, raw, [FEB, MAR, APR], 3, TARGETS)
    csat = next(r for r in card.rows if r.metric == "csat")
    assert csat.target is None  # csat's only target is scoped to billing


def test_fewer_months_required(operation: Workspace, raw) -> None:
    card = _card(operation, TARGETS, ["program"], **{"scorecard.consistency_required": 2})
    assert card.consistency_required == 2
    _check_rows(card, raw, [FEB, MAR, APR], 2, TARGETS)
    assert sum(bool(r.consistent) for r in card.rows) > sum(
        bool(r.consistent) for r in _card(operation, TARGETS, ["program"]).rows)


def test_longer_window(operation: Workspace, raw) -> None:
    card = _card(operation, TARGETS, ["program"], **{"scorecard.consistency_periods": 4,
                                                    "scorecard.consistency_required": 3})
    assert all(len(r.trend) == 4 for r in card.rows)
    _check_rows(card, raw, [JAN, FEB, MAR, APR], 3, TARGETS)


def test_a_target_from_the_last_month_counts_one_period(operation: Workspace, raw) -> None:
    late_aht = dict(TARGETS, aht_all=_target(3, "aht", 280.0, 300.0, valid_from=APR))
    card = _card(operation, late_aht, ["program"])
    _check_rows(card, raw, [FEB, MAR, APR], 3, late_aht)
    for row in (r for r in card.rows if r.metric == "aht"):
        assert row.periods_considered == 1 and row.consistent is False


def test_required_above_periods_is_an_error(operation: Workspace) -> None:
    with pytest.raises(CxpmError, match=r"consistency_required \(4\) cannot exceed"):
        _card(operation, TARGETS, [], **{"scorecard.consistency_required": 4})


def test_achieving_results_overall_and_by_family(by_program, raw) -> None:
    tally: dict[str, list[int]] = {}
    for (metric, program), _ in APPLIES.items():
        if program is None:
            continue
        want = expected_row(raw, metric, program, [FEB, MAR, APR], 3, TARGETS)
        for key in ("all", FAMILY[metric]):
            tally.setdefault(key, [0, 0])
            tally[key][0] += 1
            tally[key][1] += want["consistent"]
    got = [(a.family, a.with_target, a.consistent, a.share) for a in by_program.achieving]
    order = ["all", "experience", "cost", "efficiency", "service"]
    assert got == [(f, tally[f][0], tally[f][1], pytest.approx(tally[f][1] / tally[f][0]))
                   for f in order]


def test_achieving_results_ordering_and_empty() -> None:
    def judged(consistent: bool | None) -> Attainment:
        return Attainment(target=None if consistent is None else 1.0, warning=None,
                          target_id=None, status=None, periods_met=None,
                          periods_considered=None, consistent=consistent)

    rows = [("quality", judged(True)), ("automation", judged(False)), ("cost", judged(True)),
            ("experience", judged(False)), ("experience", judged(True)),
            ("service", judged(None))]
    got = [(a.family, a.with_target, a.consistent, a.share) for a in achieving_results(rows)]
    assert got == [("all", 5, 3, 0.6), ("experience", 2, 1, 0.5), ("cost", 1, 1, 1.0),
                   ("automation", 1, 0, 0.0), ("quality", 1, 1, 1.0)]
    assert achieving_results([("service", judged(None))]) == []


def test_json_rows_keep_both_contracts(by_program) -> None:
    rows = by_program.model_dump()["rows"]
    issue_5 = {"program", "metric", "period_start", "value", "target", "status",
               "consistent", "periods_met", "periods_considered"}
    issue_2 = {"family", "title", "unit", "direction", "dimensions", "previous", "change",
               "improved"}
    for row in rows:
        assert issue_5 | issue_2 <= set(row)
        assert row["program"] == row["dimensions"]["program"]
        assert row["period_start"] == "2026-04-01T00:00:00"
    aht = next(r for r in rows if r["metric"] == "aht" and r["program"] == "banking")
    assert aht["direction"] == "lower" and aht["family"] == "efficiency"
    assert aht["change"] == pytest.approx(aht["value"] - aht["previous"])
    assert aht["improved"] is (aht["change"] < 0)
    # a row without a target keeps the target keys, empty
    offered = next(r for r in rows if r["metric"] == "offered")
    assert (offered["target"], offered["status"], offered["consistent"]) == (None, None, None)


def test_without_targets_nothing_is_judged(operation: Workspace) -> None:
    card = _card(operation, {}, ["program"])
    assert card.achieving == []
    assert all(r.target is None and r.status is None for r in card.rows)


def test_assess_month_without_value_and_ended_target() -> None:
    from cxpm.targets.attainment import assess
    from cxpm.targets.book import TargetBook

    book = TargetBook([_target(9, "aht", 280.0, valid_to=date(2026, 3, 31))])
    months = [FEB, MAR, APR]
    # a value missing this month: status "no data", the month is not considered
    still = TargetBook([_target(9, "aht", 280.0)])
    got = assess(still, "aht", "lower", {}, months, {FEB: 270.0, MAR: 290.0}, 2)
    assert (got.status, got.periods_met, got.periods_considered, got.consistent) == (
        "no data", 1, 2, False)
    # the target ended in March: no target, status or consistency this month, but the
    # months it covered are still counted
    ended = assess(book, "aht", "lower", {}, months, {FEB: 270.0, MAR: 275.0, APR: 200.0}, 2)
    assert (ended.target, ended.status, ended.consistent) == (None, None, None)
    assert (ended.periods_met, ended.periods_considered) == (2, 2)

