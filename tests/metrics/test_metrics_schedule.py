"""Schedule metrics (adherence, conformance, planned/unplanned shrinkage, absenteeism,
schedule fit) on a hand-made day: a late login, an overrun lunch and an absence."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from metric_helpers import memtables, polars_tables, sqlite_tables

from cxpm.errors import CxpmError
from cxpm.metrics.engine import compute, to_records

MON, TUE = "2024-03-04", "2024-03-05"


def _at(day: str, hm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}:00")


def _row(agent: str, kind: str, day: str, start: str, end: str, column: str) -> dict:
    return {"agent_id": agent, column: kind, "started_at": _at(day, start),
            "ended_at": _at(day, end)}


def _sched(agent, activity, day, start, end):
    return _row(agent, activity, day, start, end, "activity")


def _state(agent, state, day, start, end):
    return _row(agent, state, day, start, end, "state")


SCHEDULES = [
    # A1: 4 h paid (09-13) with a 15-minute break.
    _sched("A1", "available", MON, "09:00", "11:00"),
    _sched("A1", "break", MON, "11:00", "11:15"),
    _sched("A1", "available", MON, "11:15", "13:00"),
    # A2: 3.5 h with lunch and training.
    _sched("A2", "available", MON, "09:00", "10:00"),
    _sched("A2", "lunch", MON, "10:00", "10:30"),
    _sched("A2", "available", MON, "10:30", "12:00"),
    _sched("A2", "training", MON, "12:00", "12:30"),
    # A3: absent on Monday (no states); the offline row is not scheduled (paid) time.
    _sched("A3", "available", MON, "09:00", "13:00"),
    _sched("A3", "offline", MON, "13:00", "13:30"),
    _sched("A3", "available", TUE, "09:00", "10:00"),
]

STATES = [
    # A1 logs in 10 minutes late.
    _state("A1", "offline", MON, "08:00", "09:10"),
    _state("A1", "available", MON, "09:10", "10:00"),
    _state("A1", "on_contact", MON, "10:00", "10:30"),
    _state("A1", "wrap", MON, "10:30", "10:40"),
    _state("A1", "available", MON, "10:40", "11:00"),
    _state("A1", "break", MON, "11:00", "11:15"),
    _state("A1", "available", MON, "11:15", "13:00"),
    # A2 overruns lunch by 15 minutes.
    _state("A2", "available", MON, "09:00", "09:30"),
    _state("A2", "on_contact", MON, "09:30", "10:00"),
    _state("A2", "lunch", MON, "10:00", "10:45"),
    _state("A2", "available", MON, "10:45", "12:00"),
    _state("A2", "training", MON, "12:00", "12:30"),
    _state("A2", "offline", MON, "12:30", "13:00"),
    _state("A3", "available", TUE, "09:00", "10:00"),
]

ROSTER = [
    {"agent_id": "A1", "site": "S1", "team": "T1", "hired_at": _at("2023-01-01", "00:00")},
    {"agent_id": "A2", "site": "S1", "team": "T1", "hired_at": _at("2023-01-01", "00:00")},
    {"agent_id": "A3", "site": "S2", "team": "T2", "hired_at": _at("2023-01-01", "00:00")},
]


def _handled(contact_id: str, agent: str, queue: str, day: str, hm: str) -> dict:
    arrived = _at(day, hm)
    return {"contact_id": contact_id, "arrived_at": arrived, "queue": queue,
            "channel": "voice", "direction": "inbound", "abandoned": False,
            "answered_at": arrived + timedelta(seconds=10), "talk_s": 100.0,
            "agent_id": agent}


# Primary queues: A1 Q1 (2 of 3), A2 Q1, A3 Q2.
CONTACTS = [
    _handled("c1", "A1", "Q1", MON, "10:00"),
    _handled("c2", "A1", "Q1", MON, "10:10"),
    _handled("c3", "A1", "Q2", MON, "10:20"),
    _handled("c4", "A2", "Q1", MON, "09:30"),
    _handled("c5", "A3", "Q2", TUE, "09:10"),
]

EARLY = _at("2024-03-01", "00:00")


def _fc(queue: str, hm: str, required: float | None, created: datetime = EARLY) -> dict:
    return {"queue": queue, "interval_start": _at(MON, hm), "interval_s": 1800.0,
            "volume": 10.0, "aht_s": 100.0, "required_agents": required,
            "created_at": created, "horizon": "week-ahead"}


FORECASTS = [
    _fc("Q1", "09:00", 2), _fc("Q1", "09:30", 1), _fc("Q1", "10:00", 2),
    _fc("Q1", "10:30", 3),
    # Made after the interval began: never used.
    _fc("Q1", "10:30", 30, created=_at(MON, "10:45")),
    _fc("Q2", "09:00", 1),
    _fc("Q2", "09:30", None),  # no required agents: left out
]

ROWS = {"schedules": SCHEDULES, "agent_states": STATES, "roster": ROSTER,
        "contacts": CONTACTS, "forecasts": FORECASTS}

H = 3600
# Per (agent, day): paid scheduled seconds, adherent, planned off-queue, unplanned
# (scheduled on queue but not on queue), absent seconds, paid state seconds, worked out by hand.
BY_AGENT_DAY = {
    # late login: 09:00-09:10 of the first on-queue row is missed.
    ("A1", MON): dict(scheduled=4 * H, adherent=6600 + 900 + 6300, planned=900,
                      unplanned=600, absent=0, worked=13800),
    # overrun lunch: 10:30-10:45 of the second on-queue row is missed.
    ("A2", MON): dict(scheduled=3.5 * H, adherent=3600 + 1800 + 4500 + 1800,
                      planned=1800 + 1800, unplanned=900, absent=0, worked=12600),
    ("A3", MON): dict(scheduled=4 * H, adherent=0, planned=0, unplanned=4 * H,
                      absent=4 * H, worked=0),
    ("A3", TUE): dict(scheduled=H, adherent=H, planned=0, unplanned=0, absent=0, worked=H),
}

IDS = ["schedule_adherence", "conformance", "shrinkage_planned", "shrinkage_unplanned",
       "absenteeism"]


def _expected(parts: list[dict]) -> dict[str, tuple[float | None, float, float]]:
    scheduled = sum(p["scheduled"] for p in parts)

    def ratio(key):
        top = sum(p[key] for p in parts)
        return (top / scheduled if scheduled else None, top, scheduled)

    return {"schedule_adherence": ratio("adherent"), "conformance": ratio("worked"),
            "shrinkage_planned": ratio("planned"), "shrinkage_unplanned": ratio("unplanned"),
            "absenteeism": ratio("absent")}


def _check(records: list[dict], expected: dict) -> None:
    got = {r["metric"]: r for r in records}
    assert got.keys() == expected.keys()
    for metric, (value, numerator, denominator) in expected.items():
        assert got[metric]["numerator"] == pytest.approx(numerator), metric
        assert got[metric]["denominator"] == pytest.approx(denominator), metric
        assert got[metric]["value"] == pytest.approx(value), metric


@pytest.fixture(scope="module")
def tables():
    return memtables(ROWS)


def test_whole_period_by_hand(tables):
    records = to_records(compute(tables, IDS))
    _check(records, _expected(list(BY_AGENT_DAY.values())))
    # Written out: 45000 paid scheduled seconds, 29100 adherent, 14400 absent.
    got = {r["metric"]: r["value"] for r in records}
    assert got["schedule_adherence"] == pytest.approx(29100 / 45000)
    assert got["absenteeism"] == pytest.approx(14400 / 45000)
    assert got["shrinkage_planned"] == pytest.approx(4500 / 45000)
    assert got["shrinkage_unplanned"] == pytest.approx(15900 / 45000)
    assert got["conformance"] == pytest.approx(30000 / 45000)


def test_by_agent_and_day(tables):
    records = to_records(compute(tables, IDS, by=["agent_id"], grain="day"))
    keys = {(r["agent_id"], r["period_start"][:10]) for r in records}
    assert keys == set(BY_AGENT_DAY)
    for (agent, day), parts in BY_AGENT_DAY.items():
        rows = [r for r in records
                if r["agent_id"] == agent and r["period_start"].startswith(day)]
        _check(rows, _expected([parts]))


def test_by_site_from_roster(tables):
    records = to_records(compute(tables, IDS, by=["site"]))
    s1 = [r for r in records if r["site"] == "S1"]
    _check(s1, _expected([BY_AGENT_DAY["A1", MON], BY_AGENT_DAY["A2", MON]]))


def test_unpaid_states_parameter_changes_scheduled_time(tables):
    # With lunch unpaid, A2's lunch row is neither scheduled nor planned shrinkage.
    params = {"states.unpaid": ["offline", "lunch"]}
    got = {r["metric"]: r for r in to_records(compute(
        tables, ["shrinkage_planned"], where={"agent_id": ["A2"]}, params=params))}
    assert got["shrinkage_planned"]["numerator"] == pytest.approx(1800)
    assert got["shrinkage_planned"]["denominator"] == pytest.approx(3 * H)


# Schedule fit, Q1 (agents A1 and A2), per interval: (required, scheduled on queue).
# 09:00 both available 2.0; 09:30 2.0; 10:00 A2 at lunch 1.0; 10:30 2.0.
FIT_Q1 = [(2, 2.0), (1, 2.0), (2, 1.0), (3, 2.0)]
FIT_Q2 = [(1, 1.0)]  # A3 scheduled (absent, but scheduled is what counts)


def _fit(rows, tolerance=0.10):
    error = sum(abs(s - r) for r, s in rows)
    required = sum(r for r, _ in rows)
    under = sum(s < r * (1 - tolerance) for r, s in rows)
    over = sum(s > r * (1 + tolerance) for r, s in rows)
    return {"schedule_fit": 1 - error / required, "understaffed_intervals": under,
            "overstaffed_intervals": over}


FIT_IDS = ["schedule_fit", "understaffed_intervals", "overstaffed_intervals"]


def test_schedule_fit_by_queue(tables):
    got = {(r["queue"], r["metric"]): r["value"]
           for r in to_records(compute(tables, FIT_IDS, by=["queue"]))}
    for queue, rows in (("Q1", FIT_Q1), ("Q2", FIT_Q2)):
        for metric, value in _fit(rows).items():
            assert got[queue, metric] == pytest.approx(value), (queue, metric)
    # Q1 written out: errors 0 + 1 + 1 + 1 over 8 required; 10:00 and 10:30 under, 09:30 over.
    assert got["Q1", "schedule_fit"] == pytest.approx(1 - 3 / 8)
    assert (got["Q1", "understaffed_intervals"], got["Q1", "overstaffed_intervals"]) == (2, 1)


def test_schedule_fit_overall_and_tolerance(tables):
    got = {r["metric"]: r["value"] for r in to_records(compute(tables, FIT_IDS))}
    assert got == pytest.approx(_fit(FIT_Q1 + FIT_Q2))
    loose = {r["metric"]: r["value"] for r in to_records(compute(
        tables, FIT_IDS, params={"schedule_fit.tolerance": 0.5}))}
    assert loose == pytest.approx(_fit(FIT_Q1 + FIT_Q2, 0.5))
    assert loose["understaffed_intervals"] == 0


def test_schedule_fit_at_interval_grain(tables):
    records = to_records(compute(tables, ["schedule_fit"], by=["queue"], grain="interval",
                                 where={"queue": ["Q1"]}))
    got = [r["value"] for r in records]
    assert got == pytest.approx([1 - abs(s - r) / r for r, s in FIT_Q1])


@pytest.mark.parametrize("backend", [sqlite_tables, polars_tables])
def test_same_numbers_on_other_backends(backend):
    tables = backend(ROWS)
    records = to_records(compute(tables, IDS + FIT_IDS))
    _check([r for r in records if r["metric"] in IDS], _expected(list(BY_AGENT_DAY.values())))
    fit = {r["metric"]: r["value"] for r in records if r["metric"] in FIT_IDS}
    assert fit == pytest.approx(_fit(FIT_Q1 + FIT_Q2))


def test_range_limits_schedule_rows_not_overlaps(tables):
    # Tuesday only: A3's hour; Monday's states (a day earlier) are not needed, nor counted.
    got = {r["metric"]: r for r in to_records(compute(tables, IDS, start=datetime(2024, 3, 5),
                                                      end=datetime(2024, 3, 6)))}
    _check(list(got.values()), _expected([BY_AGENT_DAY["A3", TUE]]))


def test_errors(tables):
    with pytest.raises(CxpmError, match="queue"):
        compute(tables, ["schedule_adherence"], by=["queue"])
    with pytest.raises(CxpmError, match=r"schedule_fit\.tolerance"):
        compute(tables, ["schedule_fit"], params={"schedule_fit.tolerance": -1})
    with pytest.raises(CxpmError, match=r"conformance.*activity"):
        compute(tables, ["conformance"], by=["activity"])


def test_overlaps_across_midnight():
    # A night shift: the first state starts the day before the break row it overlaps.
    schedules = [_row("A4", "available", MON, "22:00", "23:59", "activity"),
                 _sched("A4", "break", TUE, "01:00", "01:15"),
                 _sched("A4", "available", TUE, "01:15", "02:00")]
    schedules[0]["ended_at"] = _at(TUE, "01:00")
    states = [_state("A4", "available", MON, "21:55", "23:59"),
              _state("A4", "break", TUE, "01:10", "01:25"),
              _state("A4", "available", TUE, "01:25", "02:00")]
    states[0]["ended_at"] = _at(TUE, "01:10")
    tables = memtables({"schedules": schedules, "agent_states": states})
    got = {r["metric"]: r for r in to_records(compute(tables, IDS))}
    # Adherent: 22:00-01:00 on queue (10800), break 01:10-01:15 (300), 01:25-02:00 (2100).
    assert got["schedule_adherence"]["numerator"] == pytest.approx(10800 + 300 + 2100)
    assert got["schedule_adherence"]["denominator"] == pytest.approx(4 * H)
    # Unplanned: 01:15-01:25 of the last on-queue row was spent on the late break.
    assert got["shrinkage_unplanned"]["numerator"] == pytest.approx(600)
    assert got["absenteeism"]["value"] == 0
