"""Training and verification records, and monthly costs."""

from __future__ import annotations

from datetime import date

import numpy as np

from cxpm.demo.clock import local_to_utc_seconds
from cxpm.demo.operation import IN_HOUSE, PROGRAMS, SITE_BY_NAME, Pool
from cxpm.demo.workforce import CLASS_DAYS, Agent, Workforce

DAY = 86400
SEAT_TECH_MONTHLY = 140.0
FACILITIES_MONTHLY = 520.0
VOICE_MINUTE = 0.011
BOT_SESSION = 0.09


def training_records(rng: np.random.Generator, wf: Workforce, pools: list[Pool],
                     day_base: np.ndarray, bot_ids: list[str]) -> list[tuple]:
    """(subject_id, subject_type, course, completed_at, verified, score) rows."""
    days = len(day_base)
    rows: list[tuple] = []

    def at(day: int, hour: int) -> int:
        return int(day_base[0] + day * DAY + hour * 3600)

    for agent in wf.agents:
        program = pools[agent.pool].program
        done = agent.hired_day + CLASS_DAYS
        if done < days and (agent.leave_day is None or done < agent.leave_day):
            score = float(np.clip(rng.normal(84, 8), 0, 100).round(1))
            rows.append((agent.agent_id, "agent", f"new-hire-{program}", at(done, 16),
                         score >= 75, score))
            if score < 75:
                retake = float(np.clip(rng.normal(83, 5), 0, 100).round(1))
                rows.append((agent.agent_id, "agent", f"new-hire-{program}", at(done + 4, 16),
                             retake >= 75, retake))
        active_from = max(agent.hired_day + CLASS_DAYS, 0)
        active_to = days if agent.leave_day is None else agent.leave_day
        if active_to - active_from > 10 and rng.random() < 0.85:
            day = int(rng.integers(active_from, active_to))
            score = float(np.clip(rng.normal(90, 6), 0, 100).round(1))
            rows.append((agent.agent_id, "agent", "compliance-annual", at(day, 15),
                         score >= 80, score))
    program_of = {a.index: pools[a.pool].program for a in wf.agents}
    ids = {a.index: a.agent_id for a in wf.agents}
    in_class = {a.index: a.hired_day + CLASS_DAYS for a in wf.agents}
    for agent, state, start, end in wf.blocks:
        if state != "training":
            continue
        day = int((start - day_base[0]) // DAY)
        if day < in_class[agent]:
            continue
        score = float(np.clip(rng.normal(86, 7), 0, 100).round(1))
        rows.append((ids[agent], "agent", f"product-update-{program_of[agent]}", end,
                     score >= 75, score))
    for bot in bot_ids:
        for day in range(2, days, 21):
            score = float(rng.uniform(86, 99) if rng.random() < 0.88 else rng.uniform(60, 80))
            rows.append((bot, "bot", "release-regression", at(day, 6), score >= 85,
                         round(score, 1)))
            if score < 85 and day + 1 < days:
                rows.append((bot, "bot", "release-regression", at(day + 1, 6), True,
                             round(float(rng.uniform(86, 99)), 1)))
    return rows


def _agent_weights(agents: list[Agent], pools: list[Pool], contact_cols: dict[str, np.ndarray]
                   ) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Share of each agent's cost carried by each (program, site); the shared tier-2 team
    is split by the programs' shares of the contacts it handled."""
    program_shares = {}
    for i, pool in enumerate(pools):
        if pool.channel != "tier2":
            program_shares[i] = {pool.program: 1.0}
            continue
        handled = contact_cols["pool"] == i
        counts = np.array([np.sum(handled & (contact_cols["program_name"] == prog.name))
                           for prog in PROGRAMS], dtype=float)
        total = counts.sum()
        program_shares[i] = {prog.name: (c / total if total else 1 / len(PROGRAMS))
                             for prog, c in zip(PROGRAMS, counts, strict=True)}
    combos = sorted({(prog, a.site) for a in agents for prog in program_shares[a.pool]})
    weights = np.zeros((len(agents), len(combos)))
    for a in agents:
        for prog, share in program_shares[a.pool].items():
            weights[a.index, combos.index((prog, a.site))] += share
    return weights, combos


def month_starts(dates: list[date], tz) -> list[tuple[date, int, int]]:
    """(first day, UTC start, UTC end) of each local month the simulated days touch."""
    firsts = sorted({d.replace(day=1) for d in dates})
    out = []
    for first in firsts:
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        out.append((first, local_to_utc_seconds(first, tz), local_to_utc_seconds(nxt, tz)))
    return out


def costs(wf: Workforce, pools: list[Pool], dates: list[date], day_base: np.ndarray, tz,
          contact_cols: dict[str, np.ndarray]) -> list[tuple]:
    """(period_start, period_end, program, site, vendor, cost_type, amount) rows."""
    months = month_starts(dates, tz)
    month_index = {m[0]: i for i, m in enumerate(months)}
    day_month = np.array([month_index[d.replace(day=1)] for d in dates])
    days_in_month = np.bincount(day_month, minlength=len(months))
    weights, combos = _agent_weights(wf.agents, pools, contact_cols)

    def per_combo(agent: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        day = np.searchsorted(day_base, start, side="right") - 1
        by_agent = np.zeros((len(wf.agents), len(months)))
        np.add.at(by_agent, (agent, day_month[day]), (end - start) / 3600)
        return weights.T @ by_agent

    sched = np.array([(a, s, e) for a, _, s, e in wf.schedule], dtype=np.int64).reshape(-1, 3)
    paid_hours = per_combo(sched[:, 0], sched[:, 1], sched[:, 2])
    logged = np.array(wf.shifts, dtype=np.int64).reshape(-1, 3)
    logged_hours = per_combo(logged[:, 0], logged[:, 1], logged[:, 2])
    seat_days = np.zeros((len(wf.agents), len(months)))
    for agent in wf.agents:
        active = np.zeros(len(dates), dtype=bool)
        active[max(agent.hired_day, 0):agent.leave_day] = True
        np.add.at(seat_days[agent.index], day_month[active], 1)
    month_len = np.array([(m[2] - m[1]) / DAY for m in months])
    seats = weights.T @ seat_days / month_len[None, :]

    # Voice minutes and bot sessions by program, site and month.
    c_day = np.searchsorted(day_base, contact_cols["arrived"], side="right") - 1
    c_month = day_month[np.clip(c_day, 0, len(dates) - 1)]
    voice_minutes = np.zeros((len(combos), len(months)))
    bot_sessions = np.zeros((len(combos), len(months)))
    site_names = contact_cols["site_name"]
    for ci, (program, site) in enumerate(combos):
        prog_mask = contact_cols["program_name"] == program
        talk = np.nan_to_num(contact_cols["talk"]) + np.nan_to_num(contact_cols["hold"])
        mask = prog_mask & (site_names == site) & (contact_cols["channel_name"] == "voice")
        np.add.at(voice_minutes[ci], c_month[mask], talk[mask] / 60)
        first_site = next(iter(next(p for p in PROGRAMS if p.name == program).sites))
        if site == first_site:
            bots = prog_mask & contact_cols["is_bot"]
            np.add.at(bot_sessions[ci], c_month[bots], 1)

    rows = []
    for ci, (program, site) in enumerate(combos):
        info = SITE_BY_NAME[site]
        for mi, (_, start, end) in enumerate(months):
            if days_in_month[mi] == 0:
                continue
            technology = (seats[ci, mi] * SEAT_TECH_MONTHLY + voice_minutes[ci, mi] * VOICE_MINUTE
                          + bot_sessions[ci, mi] * BOT_SESSION)
            items = [("technology", technology)]
            if info.vendor == IN_HOUSE:
                items += [("labor", paid_hours[ci, mi] * info.hourly_cost),
                          ("facilities", seats[ci, mi] * FACILITIES_MONTHLY)]
            else:
                items.append(("vendor_invoice", logged_hours[ci, mi] * info.hourly_cost))
            rows.extend((start, end, program, site, info.vendor, cost_type, round(amount, 2))
                        for cost_type, amount in items)
    return rows
