"""Target suggestions on the small operation of conftest.py: the best quartile of the
groups, external benchmarks by segment, and the gaps; expected values from the raw rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from cxpm.errors import CxpmError
from cxpm.targets.suggest import read_benchmarks, suggest_targets
from cxpm.workspace import Workspace


def _suggest(ws: Workspace, **kwargs):
    return suggest_targets(ws.warehouse.tables(), ws.metric_catalog(),
                           params=ws.metric_params(), **kwargs)


def aht_by_agent(raw, months: set[date]) -> dict[str, float]:
    talk: dict[str, list[float]] = defaultdict(list)
    for c in raw["contacts"]:
        if c["month"] in months and c["agent_id"] is not None:
            talk[c["agent_id"]].append(c["talk_s"])
    return {agent: sum(t) / len(t) for agent, t in talk.items()}


def csat_by_agent(raw, months: set[date]) -> dict[str, float]:
    agent_of = {c["contact_id"]: c["agent_id"] for c in raw["contacts"]}
    scores: dict[str, list[int]] = defaultdict(list)
    for s in raw["surveys"]:
        if s["month"] in months:
            scores[agent_of[s["contact_id"]]].append(s["csat"])
    return {agent: sum(v >= 4 for v in vals) / len(vals) for agent, vals in scores.items()}


def test_internal_best_quartile_lower_is_better(operation: Workspace, raw) -> None:
    # two months ending with March: February and March
    expected = aht_by_agent(raw, {date(2026, 2, 1), date(2026, 3, 1)})
    best = float(np.percentile(list(expected.values()), 25))
    result = _suggest(operation, metric="aht", by="agent_id", months=2, end="2026-03")
    assert (result.window_start, result.window_end) == ("2026-02", "2026-03")
    assert result.direction == "lower" and result.groups == len(expected) == 4
    assert result.internal == pytest.approx(best)
    assert result.statistic.startswith("p25 of the 4 groups")
    # abandoned contacts have no agent: they form no group
    assert [r.group for r in result.rows] == sorted(expected)
    for row in result.rows:
        assert row.value == pytest.approx(expected[row.group])
        assert row.internal_gap == pytest.approx(best - expected[row.group])
        assert row.external is None and row.external_gap is None
    assert result.benchmark_statistic is None


def test_internal_best_quartile_higher_is_better(operation: Workspace, raw) -> None:
    # default window: six months back from the latest month with contacts (2026-04)
    expected = csat_by_agent(raw, set(m["month"] for m in raw["contacts"]))
    best = float(np.percentile(list(expected.values()), 75))
    result = _suggest(operation, metric="csat", by="agent_id")
    assert (result.window_start, result.window_end) == ("2025-11", "2026-04")
    assert result.internal == pytest.approx(best)
    assert {r.group: r.value for r in result.rows} == pytest.approx(expected)
    assert {r.group: r.internal_gap for r in result.rows} == pytest.approx(
        {g: best - v for g, v in expected.items()})


def _benchmark_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bench.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_external_benchmark_by_segment_then_all(operation: Workspace, raw,
                                                tmp_path: Path) -> None:
    path = _benchmark_file(tmp_path, "metric,segment,p25,p50,p75\n"
                                     "aht,all,270,300,330\n"
                                     "aht,banking,250,,\n"
                                     "csat,all,0.7,0.8,0.9\n")
    april = {date(2026, 4, 1)}
    talk: dict[str, list[float]] = defaultdict(list)
    for c in raw["contacts"]:
        if c["month"] in april and c["talk_s"] is not None:
            talk[c["program"]].append(c["talk_s"])
    values = {p: sum(t) / len(t) for p, t in talk.items()}
    result = _suggest(operation, metric="aht", by="program", months=1,
                      benchmarks=read_benchmarks(path))
    external = {r.group: r.external for r in result.rows}
    assert external == {"banking": 250.0, "billing": 270.0}  # own segment, else "all"
    assert {r.group: r.external_gap for r in result.rows} == pytest.approx(
        {p: external[p] - values[p] for p in values})
    assert result.benchmark_statistic.startswith("p25")

    csat = _suggest(operation, metric="csat", by="program", months=1,
                    benchmarks=read_benchmarks(path))
    assert {r.external for r in csat.rows} == {0.9}  # higher is better: p75
    assert csat.benchmark_statistic.startswith("p75")


def test_read_benchmarks(tmp_path: Path) -> None:
    path = _benchmark_file(tmp_path, "metric,segment,p10,p90,note\n"
                                     "aht,,200,400,x\nasa, voice ,,30,\n")
    benchmarks = read_benchmarks(path)
    assert [(b.metric, b.segment, b.percentiles) for b in benchmarks] == [
        ("aht", "", {10: 200.0, 90: 400.0}), ("asa", "voice", {90: 30.0})]


@pytest.mark.parametrize(("text", "message"), [
    ("segment,p50\nall,3\n", "bench.csv: needs a metric column"),
    ("metric,segment,median\naht,all,3\n", "bench.csv: no percentile columns"),
    ("metric,segment,p50\naht,all,3\naht,banking,fast\n",
     "bench.csv line 3: p50 'fast' is not a number"),
])
def test_bad_benchmark_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CxpmError, match=message):
        read_benchmarks(_benchmark_file(tmp_path, text))


def test_suggestion_errors(operation: Workspace, tmp_path: Path) -> None:
    with pytest.raises(CxpmError, match="offered has no better direction"):
        _suggest(operation, metric="offered", by="program")
    without_aht = read_benchmarks(_benchmark_file(tmp_path, "metric,segment,p25\n"
                                                            "csat,all,0.7\n"))
    with pytest.raises(CxpmError, match="benchmark file has no rows for metric aht"):
        _suggest(operation, metric="aht", by="program", benchmarks=without_aht)
    with pytest.raises(CxpmError, match="cannot be split or filtered by colour"):
        _suggest(operation, metric="aht", by="colour")
    with pytest.raises(CxpmError, match="--months must be at least 1"):
        _suggest(operation, metric="aht", by="program", months=0)
    with pytest.raises(CxpmError, match="period must be YYYY-MM"):
        _suggest(operation, metric="aht", by="program", end="April")


def test_window_without_data_suggests_nothing(operation: Workspace) -> None:
    result = _suggest(operation, metric="aht", by="program", months=2, end="2025-06")
    assert (result.internal, result.groups, result.rows) == (None, 0, [])
