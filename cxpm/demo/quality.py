"""Quality monitoring of the simulated operation: a random sample of agent and bot contacts
evaluated item by item with the demo's forms, and a monthly calibration session.

Evaluators mostly cover one site each. QA-04, who covers Manila, is lenient: they pass many
failed items, so Manila's accuracy looks better than it is, and every calibration session
shows them scoring well above the expert (QA-01) on the same contacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from cxpm.demo.answers import critical_failure, demo_forms, recorded_answers, true_answers
from cxpm.demo.clock import iso_utc
from cxpm.demo.operation import SITE_BY_NAME

DAY = 86400
EVALUATORS = tuple(f"QA-{i:02d}" for i in range(1, 7))
EXPERT = "QA-01"
LENIENT = "QA-04"
# Most evaluations of a site's agents are done by its evaluators; the rest by anyone.
SITE_EVALUATORS = {"Charlotte": ("QA-02", "QA-03"), "Manila": ("QA-04", "QA-05"),
                   "Bogota": ("QA-05", "QA-06")}
SITE_SHARE = 0.8
BOT_EVALUATORS = ("QA-01", "QA-03")
SAMPLE_RATE = {"agent": 0.03, "bot": 0.004}
# Bots differ too: the telecom assistant is the newest and errs most.
BOT_RISK = {"banking": 0.5, "telecom": 1.0, "travel": 0.7}
CALIBRATION_CONTACTS = 10
CALIBRATION_WITH_ERRORS = 5  # contacts with a critical error, so leniency shows
CALIBRATION_MIN_DAYS = 7  # a month needs this many simulated days to hold a session


def risk_of(contact: dict, rows: np.ndarray) -> np.ndarray:
    """Multiplier on the base error rates: site and agent quality, novices and unresolved
    outcomes for people; the bot's own quality and unresolved outcomes for bots."""
    is_bot = contact["is_bot"][rows]
    site_quality = np.array([SITE_BY_NAME[s].quality if s is not None else 1.0
                             for s in contact["site_name"][rows]])
    unresolved = np.where(contact["resolved_flag"][rows], 1.0, 1.5)
    bot_quality = np.array([BOT_RISK.get(p, 1.0) for p in contact["program_name"][rows]])
    human = (site_quality * contact["quality"][rows]
             * np.where(contact["novice"][rows], 1.7, 1.0))
    return np.where(is_bot, bot_quality, human) * unresolved


def _context(contact: dict, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Contact facts that decide whether an item applies."""
    hold = contact["hold_s"][rows]
    return {
        "hold": np.nan_to_num(hold.astype(float)) > 0,
        "cancel": np.array([str(r).startswith("cancel-") for r in contact["reason"][rows]]),
        "escalated": np.array([bool(e) for e in contact["escalated"][rows]]),
    }


def _form_of(contact: dict, rows: np.ndarray) -> np.ndarray:
    is_bot = contact["is_bot"][rows]
    voice = contact["channel_name"][rows] == "voice"
    return np.where(is_bot, "bot", np.where(voice, "voice", "digital")).astype(object)


def _evaluators(rng: np.random.Generator, contact: dict, rows: np.ndarray) -> np.ndarray:
    k = len(rows)
    anyone = np.array(EVALUATORS, dtype=object)[rng.integers(0, len(EVALUATORS), k)]
    pair = rng.integers(0, 2, k)
    own = np.array([SITE_EVALUATORS.get(s, EVALUATORS[1:3])[p]
                    for s, p in zip(contact["site_name"][rows], pair, strict=True)],
                   dtype=object)
    people = np.where(rng.random(k) < SITE_SHARE, own, anyone)
    bots = np.array(BOT_EVALUATORS, dtype=object)[pair]
    return np.where(contact["is_bot"][rows], bots, people)


@dataclass
class Evaluated:
    """Evaluations in columns, answers per form."""

    contact_row: np.ndarray
    evaluator: np.ndarray
    evaluated_at: np.ndarray
    form: np.ndarray
    session: np.ndarray
    answers: dict[str, dict[str, np.ndarray]]  # form id -> item id -> answer per evaluation
    rows_of_form: dict[str, np.ndarray]  # form id -> positions of its evaluations


def regular_evaluations(rng: np.random.Generator, contact: dict,
                        period_end: int) -> tuple[Evaluated, dict[str, np.ndarray]]:
    """A random sample of served agent and bot segments, evaluated within hours or days of
    the contact; those the evaluators had not reached by the end of the period are not in
    the data yet. Also returns the true answers of the voice evaluations."""
    served = np.flatnonzero((contact["answered_at"] >= 0)
                            & ((contact["agent_index"] >= 0) | contact["is_bot"]))
    rate = np.where(contact["is_bot"][served], SAMPLE_RATE["bot"], SAMPLE_RATE["agent"])
    picked = served[rng.random(len(served)) < rate]
    evaluated = contact["ended_at"][picked] + rng.integers(6 * 3600, 5 * DAY, len(picked))
    done = evaluated < period_end - 3600
    if not done.any() and len(served):
        # Tiny runs still get an evaluation, done just before the period ends.
        picked = served[-1:]
        evaluated = np.array([max(contact["ended_at"][picked[0]], period_end - 7200)])
        done = np.ones(1, dtype=bool)
    picked, evaluated = picked[done], evaluated[done]
    order = np.lexsort((picked, evaluated))
    picked, evaluated = picked[order], evaluated[order]
    forms = _form_of(contact, picked)
    evaluator = _evaluators(rng, contact, picked)
    risk = risk_of(contact, picked)
    context = _context(contact, picked)
    answers: dict[str, dict[str, np.ndarray]] = {}
    rows_of_form: dict[str, np.ndarray] = {}
    voice_truth: dict[str, np.ndarray] = {}
    for form_id, form in demo_forms().items():
        rows = np.flatnonzero(forms == form_id)
        truth = true_answers(rng, form, risk[rows],
                             {k: v[rows] for k, v in context.items()})
        answers[form_id] = recorded_answers(rng, form, truth, evaluator[rows] == LENIENT)
        rows_of_form[form_id] = rows
        if form_id == "voice":
            voice_truth = truth
    return Evaluated(picked, evaluator, evaluated, forms, np.full(len(picked), None, object),
                     answers, rows_of_form), voice_truth


def session_id(month: str) -> str:
    return f"CAL-{month}"


def session_title(session: str) -> str:
    return f"Voice calibration {session.removeprefix('CAL-')}"


def calibration(rng: np.random.Generator, regular: Evaluated, voice_truth: dict[str, np.ndarray],
                contact: dict, dates: list[date], day_base: np.ndarray) -> Evaluated:
    """One voice calibration session per month: every evaluator, the expert included,
    scores the same contacts (half of them with a critical error) from recordings, late in
    the month."""
    form = demo_forms()["voice"]
    voice_rows = regular.rows_of_form["voice"]
    segment = regular.contact_row[voice_rows]
    arrived_day = np.searchsorted(day_base, contact["arrived_at"][segment], side="right") - 1
    has_error = critical_failure(form, voice_truth)
    months = np.array([d.strftime("%Y-%m") for d in dates])
    parts: list[tuple[str, np.ndarray, int]] = []
    for month in dict.fromkeys(months.tolist()):
        days = np.flatnonzero(months == month)
        if len(days) < CALIBRATION_MIN_DAYS:
            continue
        held_at = int(day_base[days[-1] - 4] + 15 * 3600)
        candidates = np.flatnonzero(np.isin(arrived_day, days)
                                    & (regular.evaluated_at[voice_rows] < held_at))
        flawed = candidates[has_error[candidates]]
        flawed = rng.choice(flawed, min(CALIBRATION_WITH_ERRORS, len(flawed)), replace=False)
        clean = candidates[~has_error[candidates]]
        clean = rng.choice(clean, min(CALIBRATION_CONTACTS - len(flawed), len(clean)),
                           replace=False)
        chosen = np.sort(np.r_[flawed, clean]).astype(np.int64)
        if len(chosen) >= 2:
            parts.append((session_id(month), chosen, held_at))
    rows, evaluators, when, sessions = [], [], [], []
    answers: dict[str, list[np.ndarray]] = {item.id: [] for _, item in form.iter_items()}
    for session, chosen, held_at in parts:
        truth = {item: values[chosen] for item, values in voice_truth.items()}
        for position, evaluator in enumerate(EVALUATORS):
            recorded = recorded_answers(rng, form, truth,
                                        np.full(len(chosen), evaluator == LENIENT))
            for item, values in recorded.items():
                answers[item].append(values)
            rows.append(segment[chosen])
            evaluators.append(np.full(len(chosen), evaluator, dtype=object))
            # Each evaluator works through the recordings alone, a few minutes apiece.
            when.append(held_at + np.arange(len(chosen)) * 420 + position * 30)
            sessions.append(np.full(len(chosen), session, dtype=object))
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return Evaluated(empty, np.zeros(0, object), empty, np.zeros(0, object),
                         np.zeros(0, object), {"voice": {}}, {"voice": empty})
    count = sum(len(r) for r in rows)
    return Evaluated(np.concatenate(rows), np.concatenate(evaluators), np.concatenate(when),
                     np.full(count, "voice", dtype=object), np.concatenate(sessions),
                     {"voice": {k: np.concatenate(v) for k, v in answers.items()}},
                     {"voice": np.arange(count)})


def _plain(value: object) -> object:
    return int(value) if isinstance(value, np.integer) else value


def evaluation_records(rng: np.random.Generator, contact: dict, dates: list[date],
                       day_base: np.ndarray) -> list[dict]:
    """The evaluations as `cxpm qa evaluations import` reads them (JSON objects)."""
    period_end = int(day_base[-1] + DAY)
    regular, voice_truth = regular_evaluations(rng, contact, period_end)
    sessions = calibration(rng, regular, voice_truth, contact, dates, day_base)
    forms = demo_forms()
    records: list[dict] = []
    for batch in (regular, sessions):
        start = len(records)
        records.extend({} for _ in range(len(batch.contact_row)))
        stamps = iso_utc(batch.evaluated_at)
        for position, row in enumerate(batch.contact_row.tolist()):
            records[start + position].update(
                evaluation_id=f"EV{start + position + 1:06d}",
                form_id=batch.form[position], form_version=forms[batch.form[position]].version,
                contact_id=contact["contact_id"][row], agent_id=contact["agent_id"][row],
                evaluator_id=batch.evaluator[position], evaluated_at=stamps[position])
            if batch.session[position] is not None:
                records[start + position]["calibration_session_id"] = batch.session[position]
        for form_id, positions in batch.rows_of_form.items():
            items = batch.answers[form_id]
            for offset, position in enumerate(positions.tolist()):
                records[start + position]["answers"] = {
                    item: _plain(values[offset]) for item, values in items.items()
                    if values[offset] is not None}
    return records
