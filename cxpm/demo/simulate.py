"""Simulated operation: runs the model end to end and writes every canonical table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from cxpm.demo import contacts as flow
from cxpm.demo import tables as build
from cxpm.demo.clock import day_bases, zone
from cxpm.demo.demand import expected_arrivals, forecast_queue, staffing_requirement
from cxpm.demo.files import write_evaluations, write_table
from cxpm.demo.ledger import costs, training_records
from cxpm.demo.operation import (
    INTERVALS_PER_DAY,
    OPEN_FROM,
    OPEN_TO,
    PROGRAMS,
    pools,
)
from cxpm.demo.quality import evaluation_records
from cxpm.demo.workforce import build_roster, pool_headcount, schedule_and_work
from cxpm.errors import CxpmError

DEFAULT_END_DATE = date(2026, 10, 31)
DAY = 86400
Progress = Callable[[str, float], None]


def _check(days: int, scale: float) -> None:
    if not 1 <= days <= 730:
        raise CxpmError(f"demo days must be between 1 and 730, got {days}")
    if not 0.01 <= scale <= 20:
        raise CxpmError(f"demo scale must be between 0.01 and 20, got {scale}")


def simulate_operation(out_dir: Path, *, days: int = 90, scale: float = 1.0, seed: int = 7,
                       end_date: date = DEFAULT_END_DATE, timezone: str = "America/New_York",
                       progress: Progress | None = None) -> dict[str, list[Path]]:
    """Simulate `days` days of the operation ending on `end_date` (local) and write one CSV
    per canonical table under `out_dir`, except evaluations: those are item-level answers
    to the demo's forms in evaluations.json (the `cxpm qa evaluations import` format),
    scored when imported. Same arguments give byte-identical files."""
    _check(days, scale)
    report = progress or (lambda _step, _fraction: None)
    tz = zone(timezone)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    dates = [end_date - timedelta(days=days - 1 - i) for i in range(days)]
    weekdays = np.array([d.weekday() for d in dates])
    day_base = day_bases(dates, tz)
    all_pools = pools()

    report("forecasting demand", 0.02)
    forecasts = _forecasts(rng, weekdays, scale)
    requirement = [_pool_requirement(p, forecasts) for p in all_pools]

    report("hiring and scheduling agents", 0.1)
    agents = build_roster(rng, all_pools, pool_headcount(all_pools, requirement), days)
    wf = schedule_and_work(rng, all_pools, agents, requirement, day_base, weekdays)

    report("simulating contacts and queues", 0.3)
    segs, escalated = flow.generate_arrivals(rng, all_pools, day_base, weekdays, scale)
    cols = segs.columns()
    n0 = len(cols["arrived"])
    served = flow.Served(np.full(n0, -1, np.int64), np.full(n0, -1, np.int64),
                         np.full(n0, -1, np.int64))
    digital = [i for i, p in enumerate(all_pools) if p.channel not in ("voice", "tier2")]
    flow.run_pools(cols, all_pools, digital, wf, served)
    served, transferred_parents = flow.run_voice(rng, segs, cols, all_pools, wf, served)
    cols = segs.columns()
    escalated = np.r_[escalated, np.full(len(cols["arrived"]) - n0, -1)]

    report("resolving journeys", 0.55)
    contact = build.contact_table(rng, cols, served, escalated, transferred_parents, all_pools,
                                  agents, day_base)
    report("surveys, quality and costs", 0.7)
    content = {"contacts": contact}
    content["agent_states"] = build.agent_state_table(wf, contact, agents)
    content["schedules"] = {
        "agent_id": [agents[a].agent_id for a, *_ in wf.schedule],
        "activity": [s[1] for s in wf.schedule],
        "started_at": [s[2] for s in wf.schedule],
        "ended_at": [s[3] for s in wf.schedule],
    }
    content["forecasts"] = build.forecast_table(forecasts, day_base, weekdays)
    content["surveys"] = build.survey_table(rng, contact)
    evaluations = evaluation_records(rng, contact, dates, day_base)
    content["roster"] = build.roster_table(agents, day_base)
    bot_ids = sorted({b for b in contact["agent_id"][contact["is_bot"]]})
    rows = training_records(rng, wf, all_pools, day_base, bot_ids)
    content["training"] = dict(zip(
        ("subject_id", "subject_type", "course", "completed_at", "verified", "score"),
        map(list, zip(*rows, strict=True)), strict=True))
    cost_rows = costs(wf, all_pools, dates, day_base, tz, contact)
    content["costs"] = dict(zip(
        ("period_start", "period_end", "program", "site", "vendor", "cost_type", "amount"),
        map(list, zip(*cost_rows, strict=True)), strict=True))
    content["costs"]["currency"] = ["USD"] * len(cost_rows)

    report("writing files", 0.85)
    written = {name: [write_table(out_dir, name, cols_)] for name, cols_ in content.items()}
    written["evaluations"] = [write_evaluations(out_dir, evaluations)]
    report("done", 1.0)
    return written


def _forecasts(rng: np.random.Generator, weekdays: np.ndarray, scale: float) -> dict:
    """Week-ahead forecast per live queue from expected arrivals (bot escalations and
    transfers included) with deliberate errors."""
    out = {}
    for p_idx, prog in enumerate(PROGRAMS):
        expected = {ch: expected_arrivals(prog, ch, weekdays, scale) for ch in prog.channel_mix}
        live = {ch: v for ch, v in expected.items() if ch in ("voice", "email")}
        for ch in ("chat", "messaging"):
            if ch in expected:
                live[ch] = expected[ch] * flow.escalation_rate(p_idx, ch) * _open_mask()
        if "self_service" in expected:
            live["voice"] = live["voice"] + (expected["self_service"] * _open_mask()
                                             * flow.escalation_rate(p_idx, "self_service"))
        weights = flow.reason_weights(p_idx)
        transfer = weights * flow.transfer_probability(p_idx)
        bounce = np.array([r.bounce_back_p for r in prog.reasons])
        live["tier2"] = live["voice"] * float(transfer.sum()) * 0.92
        # Calls tier 2 sends back queue on the front line again.
        live["voice"] = live["voice"] * (1 + float((transfer * bounce).sum()) * 0.92 * 0.9)
        for ch, volume in live.items():
            queue = f"{prog.name}-{ch}"
            out[queue] = forecast_queue(rng, queue, ch, volume, prog.forecast_bias, weekdays)
    return out


def _pool_requirement(pool, forecasts: dict) -> np.ndarray:
    if pool.channel == "tier2":
        shared = [fc for q, fc in forecasts.items() if q.endswith("-tier2")]
        volume = sum(fc.volume for fc in shared)
        return staffing_requirement(volume, shared[0].aht_s, "tier2")
    fc = forecasts[pool.queue]
    return staffing_requirement(fc.volume, fc.aht_s, pool.channel)


def _open_mask() -> np.ndarray:
    mask = np.zeros(INTERVALS_PER_DAY)
    mask[OPEN_FROM:OPEN_TO] = 1.0
    return mask
