"""The workforce: roster with hires and leavers, schedules placed on the forecast requirement,
and what agents actually did (adherence, unplanned absence, shrinkage)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cxpm.demo.operation import (
    EMAIL_FROM,
    EMAIL_TO,
    INTERVAL_S,
    OPEN_FROM,
    OPEN_TO,
    PART_TIME_INTERVALS,
    PART_TIME_SHARE,
    SHIFT_INTERVALS,
    STAFFING_FACTOR,
    STAFFING_LEVEL,
    WEEKDAY_FACTOR,
    Pool,
)

DAY = 86400
CLASS_DAYS = 14  # new-hire class, calendar days
# Days off follow the weekly demand: people work when the customers call.
_WORK_SHARE = np.asarray(WEEKDAY_FACTOR) / np.mean(WEEKDAY_FACTOR) * 5 / 7
DAY_OFF_P = (1 - _WORK_SHARE) / (1 - _WORK_SHARE).sum()
IN_SHIFT_COVERAGE = 0.72  # share of a scheduled interval an agent is on the phones
FIRST_NAMES = ("Ana", "Ben", "Carla", "Dev", "Elena", "Femi", "Grace", "Hiro", "Ines", "Jon",
               "Kemal", "Lina", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq",
               "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe")
LAST_NAMES = ("Reyes", "Santos", "Kim", "Okafor", "Garcia", "Nguyen", "Rossi", "Cruz", "Patel",
              "Lopez", "Mendoza", "Silva", "Brown", "Tan", "Diaz", "Haddad", "Morales", "Ito")


@dataclass
class Agent:
    index: int
    agent_id: str
    pool: int
    site: str
    hired_day: int  # day index relative to the first simulated day (negative = before)
    leave_day: int | None
    termination_type: str | None
    proficient_day: int
    quality: float  # multiplier on critical-error probabilities
    absence_rate: float
    days_off: tuple[int, int]
    shift_intervals: int
    name: str
    team: str
    supervisor_id: str


@dataclass
class Workforce:
    agents: list[Agent]
    # Planned activities: (agent, activity, start, end) in UTC seconds.
    schedule: list[tuple[int, str, int, int]] = field(default_factory=list)
    # Actual non-productive states and shift bounds per worked agent-day.
    blocks: list[tuple[int, str, int, int]] = field(default_factory=list)
    shifts: list[tuple[int, int, int]] = field(default_factory=list)  # (agent, login, logout)
    # Productive windows per pool: agent -> list of (start, end, speed).
    windows: dict[int, dict[int, list[tuple[int, int, float]]]] = field(default_factory=dict)


def _leave_day(rng: np.random.Generator, hired_day: int, start_day: int) -> int:
    """Day the agent leaves: a high hazard in the first 90 days, a lower one after."""
    early, late = 1.3 / 365, 0.38 / 365
    day = start_day
    tenure = day - hired_day
    if tenure < 90:
        gap = rng.exponential(1 / early)
        if gap < 90 - tenure:
            return day + int(gap)
        day = hired_day + 90
    return day + int(rng.exponential(1 / late))


def build_roster(rng: np.random.Generator, pools: list[Pool], headcount: list[int],
                 days: int) -> list[Agent]:
    agents: list[Agent] = []

    def hire(pool_idx: int, site: str, days_off: tuple[int, int], hired_day: int,
             start_day: int) -> None:
        pool = pools[pool_idx]
        idx = len(agents)
        poor = rng.random() < 0.1
        quality = float(rng.lognormal(0.0, 0.3)) * (3.0 if poor else 1.0)
        leave = _leave_day(rng, hired_day, start_day)
        leave_day = leave if leave < days else None
        term_type = None
        if leave_day is not None:
            term_type = "involuntary" if rng.random() < (0.55 if poor else 0.2) else "voluntary"
        team_no = idx % 3 + 1
        agents.append(Agent(
            index=idx,
            agent_id=f"A{idx + 1:04d}",
            pool=pool_idx,
            site=site,
            hired_day=hired_day,
            leave_day=leave_day,
            termination_type=term_type,
            proficient_day=hired_day + CLASS_DAYS + int(rng.integers(25, 55)),
            quality=quality,
            absence_rate=float(rng.beta(2, 34)),
            days_off=days_off,
            shift_intervals=(PART_TIME_INTERVALS if rng.random() < PART_TIME_SHARE
                             else SHIFT_INTERVALS),
            name=f"{FIRST_NAMES[rng.integers(len(FIRST_NAMES))]} "
                 f"{LAST_NAMES[rng.integers(len(LAST_NAMES))]}",
            team=f"{pool.queue}-{site.lower()}-t{team_no}",
            supervisor_id=f"SUP-{site[:3].upper()}-{pool_idx:02d}{team_no}",
        ))
        if leave_day is not None:
            replacement_day = leave_day + int(rng.integers(7, 29))
            if replacement_day < days:
                hire(pool_idx, site, days_off, replacement_day, replacement_day)

    for pool_idx, count in enumerate(headcount):
        for site, days_off in zip(_split_sites(pools[pool_idx], count), _days_off(count),
                                  strict=True):
            if rng.random() < 0.15:
                hired = -int(rng.integers(20, 120))
            else:
                hired = -120 - int(rng.exponential(600))
            hire(pool_idx, site, days_off, hired, 0)
    return agents


def _days_off(count: int) -> list[tuple[int, int]]:
    """Two days off per agent so that each weekday's staff follows its demand."""
    taken = np.zeros(7)
    out = []
    for k in range(1, count + 1):
        need = DAY_OFF_P * 2 * k - taken
        first, second = (int(d) for d in np.argsort(-need, kind="stable")[:2])
        taken[[first, second]] += 1
        out.append((min(first, second), max(first, second)))
    return out


def _split_sites(pool: Pool, count: int) -> list[str]:
    """Sites of `count` agents in proportion to the pool's site shares."""
    out: list[str] = []
    for k in range(count):
        # The site furthest below its share gets the next agent.
        site = max(pool.sites, key=lambda s: s[1] * (k + 1) - out.count(s[0]))[0]
        out.append(site)
    return out


def pool_headcount(pools: list[Pool], requirement: list[np.ndarray]) -> list[int]:
    """Agents to employ per pool: enough shifts for the average week, with absence and the
    deliberate tight or loose pools."""
    counts = []
    for pool, req in zip(pools, requirement, strict=True):
        mean_shift = ((1 - PART_TIME_SHARE) * SHIFT_INTERVALS
                      + PART_TIME_SHARE * PART_TIME_INTERVALS)
        daily_shifts = req.sum(axis=1).mean() / (mean_shift * IN_SHIFT_COVERAGE)
        agents = (daily_shifts * 7 / 5 / 0.95 * STAFFING_LEVEL
                  * STAFFING_FACTOR.get(pool.queue, 1.0))
        counts.append(max(2, round(agents)))
    return counts


def _place_shifts(required: np.ndarray, lengths: list[int], first: int, last: int) -> list[int]:
    """Greedy shift starts (interval index) covering the requirement curve of one day;
    full shifts first, then the part-time ones on what is left (the peaks)."""
    coverage = np.zeros_like(required)
    starts = [0] * len(lengths)
    for i in sorted(range(len(lengths)), key=lambda k: -lengths[k]):
        length = lengths[i]
        gap = required - coverage
        positive = np.maximum(gap, 0)
        cum_pos = np.r_[0.0, np.cumsum(positive)]
        cum_gap = np.r_[0.0, np.cumsum(gap)]
        cand = np.arange(first, last - length + 1)
        score = (cum_pos[cand + length] - cum_pos[cand]
                 + 0.01 * (cum_gap[cand + length] - cum_gap[cand]))
        start = int(cand[np.argmax(score)])
        coverage[start:start + length] += IN_SHIFT_COVERAGE
        starts[i] = start
    return starts


QUARTER = 900
# Off-phone activities: (activity, earliest and latest start in quarter hours after the
# shift start, length in quarter hours, probability per shift).
ACTIVITIES = (
    ("break", 6, 11, 1, 1.0),
    ("lunch", 14, 20, 2, 1.0),
    ("break", 23, 28, 1, 1.0),
    ("training", 1, 27, 4, 0.5),
    ("meeting", 1, 29, 1, 0.6),
    ("meeting", 1, 28, 2, 0.15),
    ("coaching", 1, 28, 2, 0.35),
)


def _planned_activities(rng: np.random.Generator, surplus: list[float],
                        shift_quarter: int, quarters: int) -> list[tuple[str, int, int]]:
    """Off-phone activities placed where the pool has the most staff to spare, as a WFM
    tool would; `surplus` (staff minus requirement per quarter hour of the day) is updated.

    Returns (activity, offset seconds, length seconds) sorted by offset.
    """
    busy = [False] * quarters
    plan = []
    for activity, earliest, latest, length, chance in ACTIVITIES:
        if chance < 1.0 and rng.random() >= chance:
            continue
        latest = min(latest, quarters - length - 1)
        if latest < earliest or (activity == "lunch" and quarters < 24):
            continue
        best, best_score = None, -1e9
        for offset in range(earliest, latest + 1):
            if any(busy[max(0, offset - 1):offset + length + 1]):
                continue  # keep a quarter hour on the phones between activities
            score = sum(surplus[shift_quarter + offset:shift_quarter + offset + length])
            if score > best_score + 1e-9:
                best, best_score = offset, score
        if best is None:
            continue
        for q in range(best, best + length):
            busy[q] = True
            surplus[shift_quarter + q] -= 1.0
        plan.append((activity, best * QUARTER, length * QUARTER))
    return sorted(plan, key=lambda a: a[1])


def _with_available(start: int, end: int,
                    blocks: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Blocks (absolute start, end) plus 'available' filling the gaps within [start, end)."""
    out = []
    cursor = start
    for activity, b_start, b_end in blocks:
        if b_start > cursor:
            out.append(("available", cursor, b_start))
        out.append((activity, b_start, b_end))
        cursor = b_end
    if end > cursor:
        out.append(("available", cursor, end))
    return out


def schedule_and_work(rng: np.random.Generator, pools: list[Pool], agents: list[Agent],
                      requirement: list[np.ndarray], day_base: np.ndarray,
                      weekdays: np.ndarray) -> Workforce:
    wf = Workforce(agents=agents)
    by_pool: dict[int, list[Agent]] = {}
    for agent in agents:
        by_pool.setdefault(agent.pool, []).append(agent)
    for pool_idx, pool in enumerate(pools):
        wf.windows[pool_idx] = {a.index: [] for a in by_pool.get(pool_idx, [])}
        first, last = (EMAIL_FROM, EMAIL_TO) if pool.channel == "email" else (OPEN_FROM, OPEN_TO)
        for day, base in enumerate(day_base.tolist()):
            working = [a for a in by_pool.get(pool_idx, [])
                       if a.hired_day <= day and (a.leave_day is None or day < a.leave_day)
                       and weekdays[day] not in a.days_off]
            in_class = [a for a in working if day < a.hired_day + CLASS_DAYS]
            live = [a for a in working if day >= a.hired_day + CLASS_DAYS]
            for agent in in_class:
                start = base + 9 * 3600
                wf.schedule.append((agent.index, "training", start, start + 8 * 3600))
                wf.blocks.append((agent.index, "training", start, start + 8 * 3600))
                wf.shifts.append((agent.index, start, start + 8 * 3600))
            starts = _place_shifts(requirement[pool_idx][day],
                                   [a.shift_intervals for a in live], first, last)
            staffed = np.zeros(2 * len(requirement[pool_idx][day]))
            for agent, start_interval in zip(live, starts, strict=True):
                staffed[2 * start_interval:2 * (start_interval + agent.shift_intervals)] += 1.0
            surplus = (staffed - np.repeat(requirement[pool_idx][day], 2)).tolist()
            for agent, start_interval in zip(live, starts, strict=True):
                _work_day(rng, wf, pool_idx, agent, day, base + start_interval * INTERVAL_S,
                          _planned_activities(rng, surplus, 2 * start_interval,
                                              2 * agent.shift_intervals))
    return wf


def _work_day(rng: np.random.Generator, wf: Workforce, pool_idx: int, agent: Agent, day: int,
              shift_start: int, activities: list[tuple[str, int, int]]) -> None:
    shift_end = shift_start + agent.shift_intervals * INTERVAL_S
    plan = [(act, shift_start + off, shift_start + off + length)
            for act, off, length in activities]
    for activity, start, end in _with_available(shift_start, shift_end, plan):
        wf.schedule.append((agent.index, activity, start, end))
    if rng.random() < agent.absence_rate:
        return  # unplanned absence: scheduled, never logged in
    login = shift_start + (0 if rng.random() < 0.6 else int(rng.exponential(200)))
    logout = shift_end - (int(rng.exponential(400)) if rng.random() < 0.1 else 0)
    actual = []
    cursor = login
    for activity, start, end in plan:
        length = end - start
        if activity in ("break", "lunch"):
            length += int(rng.exponential(150))
        a_start = max(cursor, start + int(rng.normal(0, 120)))
        a_end = min(a_start + length, logout)
        if a_end > a_start:
            actual.append((activity, a_start, a_end))
            cursor = a_end
    if rng.random() < 0.75:
        # Unplanned aux time (system trouble, personal): only where nothing else is happening.
        other_start = login + int(rng.integers(0, max(1, logout - login - 1200)))
        other_end = other_start + 120 + int(rng.exponential(1000))
        if all(other_end <= s or other_start >= e for _, s, e in actual) and other_end < logout:
            actual.append(("other", other_start, other_end))
            actual.sort(key=lambda b: b[1])
    wf.shifts.append((agent.index, login, logout))
    for activity, start, end in actual:
        wf.blocks.append((agent.index, activity, start, end))
    ramp = agent.proficient_day - (agent.hired_day + CLASS_DAYS)
    left = agent.proficient_day - day
    speed = 1.0 + 0.4 * min(1.0, max(0.0, left / ramp))
    windows = wf.windows[pool_idx][agent.index]
    cursor = login
    for _, start, end in actual:
        if start > cursor:
            windows.append((cursor, start, speed))
        cursor = max(cursor, end)
    if logout > cursor:
        windows.append((cursor, logout, speed))
