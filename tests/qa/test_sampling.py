"""Stratified sampling of contacts and the balanced spread of the sample over evaluators."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxpm.errors import CxpmError
from cxpm.qa.sampling import (
    DAY_PARTS,
    assign_evaluators,
    day_part_expr,
    draw_sample,
    largest_remainder,
)
from cxpm.qa.stats import sample_size

START = datetime(2026, 3, 2)
CANDIDATE_SCHEMA = {
    "contact_id": pl.String,
    "subject_id": pl.String,
    "handled_by": pl.String,
    "channel": pl.String,
    "local_time": pl.Datetime("us"),
}
# A representative hour for each day part
HOURS = {"night": 3, "morning": 9, "afternoon": 14, "evening": 20}


def _candidates(count: int = 600, subjects: int = 3, seed: int = 1) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = [
        {
            "contact_id": f"c{index:05d}",
            "subject_id": f"agent{index % subjects}",
            "handled_by": "agent",
            "channel": rng.choice(["voice", "chat", "email"]),
            "local_time": START + timedelta(minutes=rng.randrange(7 * 24 * 60)),
        }
        for index in range(count)
    ]
    return pl.DataFrame(rows, schema=CANDIDATE_SCHEMA)


def _stratum_candidates(subject: str, sizes: dict[tuple[str, str], int]) -> pl.DataFrame:
    rows = []
    for (channel, part), size in sizes.items():
        for index in range(size):
            rows.append({
                "contact_id": f"{subject}-{channel}-{part}-{index}",
                "subject_id": subject,
                "handled_by": "bot",
                "channel": channel,
                "local_time": START + timedelta(days=index, hours=HOURS[part], minutes=index),
            })
    return pl.DataFrame(rows)


def test_day_parts_cover_the_clock() -> None:
    times = pl.DataFrame({"local_time": [START + timedelta(hours=h) for h in range(24)]})
    parts = times.select(day_part_expr())["day_part"].to_list()
    expected = [next(p.name for p in DAY_PARTS if p.start_hour <= h < p.end_hour)
                for h in range(24)]
    assert parts == expected
    assert parts[0] == "night" and parts[6] == "morning" and parts[12] == "afternoon"
    assert parts[17] == "afternoon" and parts[18] == "evening" and parts[23] == "evening"


@pytest.mark.parametrize(
    ("sizes", "total", "expected"),
    [
        # quotas 3.5, 2.1, 1.4: floors 3+2+1, one left goes to the .5 remainder
        ([5, 3, 2], 7, [4, 2, 1]),
        # quotas 2.381, 1.667, 0.714, 0.238: floors 2+1+0+0, two left go to .714 and .667
        ([10, 7, 3, 1], 5, [2, 2, 1, 0]),
        ([4, 4], 3, [2, 1]),  # equal remainders: the earlier stratum first
        ([3, 3], 6, [3, 3]),
    ],
)
def test_largest_remainder_by_hand(sizes: list[int], total: int, expected: list[int]) -> None:
    assert largest_remainder(sizes, total) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=12), st.data())
def test_largest_remainder_properties(sizes: list[int], data: st.DataObject) -> None:
    total = data.draw(st.integers(0, sum(sizes)))
    allocation = largest_remainder(sizes, total)
    assert sum(allocation) == total
    for size, drawn in zip(sizes, allocation, strict=True):
        quota = Fraction(total * size, max(sum(sizes), 1))
        assert abs(drawn - quota) < 1
        assert 0 <= drawn <= size


def test_stratum_allocation_in_a_drawn_sample() -> None:
    sizes = {("chat", "morning"): 10, ("voice", "morning"): 7, ("voice", "evening"): 3,
             ("chat", "night"): 1}
    draw = draw_sample(_stratum_candidates("bot1", sizes), per_subject=5, seed=4)
    counts = {
        (row["channel"], row["day_part"]): row["len"]
        for row in draw.sample.group_by("channel", "day_part").len().iter_rows(named=True)
    }
    # quotas 5*10/21 = 2.38, 5*7/21 = 1.67, 5*3/21 = 0.71, 5*1/21 = 0.24 -> 2, 2, 1, 0
    assert counts == {("chat", "morning"): 2, ("voice", "morning"): 2, ("voice", "evening"): 1}
    assert draw.sample["stratum_size"].sum() == 2 * 10 + 2 * 7 + 1 * 3


def test_sample_is_reproducible_and_independent_of_row_order() -> None:
    candidates = _candidates()
    first = draw_sample(candidates, margin=0.1, seed=7)
    again = draw_sample(candidates, margin=0.1, seed=7)
    shuffled = draw_sample(candidates.sample(fraction=1.0, shuffle=True, seed=3), margin=0.1,
                           seed=7)
    assert first.sample.equals(again.sample)
    assert first.sample.equals(shuffled.sample)
    assert first.summary.equals(shuffled.summary)
    other = draw_sample(candidates, margin=0.1, seed=8)
    assert set(other.sample["contact_id"]) != set(first.sample["contact_id"])


def test_sample_rows_are_distinct_candidates() -> None:
    candidates = _candidates()
    sample = draw_sample(candidates, per_subject=40, seed=2).sample
    assert sample["contact_id"].n_unique() == sample.height == 120
    original = candidates.with_columns(pl.col("subject_id").cast(pl.String))
    joined = sample.join(original, on="contact_id", suffix="_candidate")
    assert joined.height == sample.height
    for column in ("subject_id", "channel", "local_time", "handled_by"):
        assert (joined[column] == joined[f"{column}_candidate"]).all()


def test_margin_sizes_follow_sample_size_per_subject() -> None:
    candidates = pl.concat([
        _candidates(900, 1, seed=5).with_columns(subject_id=pl.lit("big")),
        _candidates(60, 1, seed=6).with_columns(
            subject_id=pl.lit("small"), contact_id=pl.col("contact_id") + "s"
        ),
    ])
    draw = draw_sample(candidates, margin=0.05, seed=1)
    summary = {row["subject_id"]: row for row in draw.summary.iter_rows(named=True)}
    for subject, available in (("big", 900), ("small", 60)):
        required = sample_size(0.95, 0.05, population=available)
        assert summary[subject]["available"] == available
        assert summary[subject]["required"] == summary[subject]["drawn"] == required
        assert summary[subject]["shortfall"] == 0
        assert draw.sample.filter(pl.col("subject_id") == subject).height == required
    # hand check of the finite-population correction for 60 contacts:
    # 384.146 / (1 + 383.146 / 60) = 52.01, rounded up
    assert summary["small"]["required"] == 53


def test_shortfall_when_a_subject_has_too_few_candidates() -> None:
    sizes = {("chat", "morning"): 3, ("voice", "night"): 2}
    candidates = pl.concat([
        _stratum_candidates("thin", sizes),
        _stratum_candidates("wide", {("chat", "morning"): 30, ("voice", "night"): 20}),
    ])
    draw = draw_sample(candidates, per_subject=10, seed=0)
    rows = {row["subject_id"]: row for row in draw.summary.iter_rows(named=True)}
    assert rows["thin"] == {"subject_id": "thin", "available": 5, "required": 10, "drawn": 5,
                            "shortfall": 5}
    assert rows["wide"] == {"subject_id": "wide", "available": 50, "required": 10, "drawn": 10,
                            "shortfall": 0}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one"),
        ({"per_subject": 5, "margin": 0.05}, "exactly one"),
        ({"per_subject": 0}, "at least 1"),
    ],
)
def test_draw_sample_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(CxpmError, match=message):
        draw_sample(_candidates(30), **kwargs)


def test_draw_sample_rejects_bad_candidates() -> None:
    candidates = _candidates(30)
    with pytest.raises(CxpmError, match="lack column"):
        draw_sample(candidates.drop("channel"), per_subject=2)
    with pytest.raises(CxpmError, match="appears more than once"):
        draw_sample(pl.concat([candidates, candidates.head(1)]), per_subject=2)
    no_channel = candidates.with_columns(
        channel=pl.when(pl.col("contact_id") == "c00004").then(None).otherwise(pl.col("channel"))
    )
    with pytest.raises(CxpmError, match=r"1 candidate contact\(s\) have no channel"):
        draw_sample(no_channel, per_subject=2)


def test_empty_candidates_give_an_empty_sample() -> None:
    draw = draw_sample(_candidates(0), per_subject=5)
    assert draw.sample.height == 0 and draw.summary.height == 0
    assert "day_part" in draw.sample.columns


@settings(max_examples=60, deadline=None)
@given(
    contacts=st.integers(0, 80),
    subjects=st.integers(1, 6),
    evaluators=st.integers(1, 7),
    seed=st.integers(0, 1000),
)
def test_evaluator_loads_are_balanced(
    contacts: int, subjects: int, evaluators: int, seed: int
) -> None:
    sample = _candidates(contacts, subjects, seed=seed)
    names = [f"e{index}" for index in range(evaluators)]
    assigned = assign_evaluators(sample, names, seed=seed)
    assert assigned.height == contacts
    assert sorted(assigned["contact_id"]) == sorted(sample["contact_id"])
    loads = [assigned.filter(pl.col("evaluator_id") == name).height for name in names]
    assert max(loads) - min(loads) <= 1


def test_evaluator_assignment_is_reproducible_and_mixed() -> None:
    sample = draw_sample(_candidates(), per_subject=20, seed=1).sample
    names = ["ana", "ben", "chloe"]
    first = assign_evaluators(sample, names, seed=5)
    assert first.equals(assign_evaluators(sample.reverse(), names, seed=5))
    assert not first.equals(assign_evaluators(sample, names, seed=6))
    # every subject has at least as many contacts as there are evaluators: all see every subject
    per_evaluator = first.group_by("evaluator_id").agg(pl.col("subject_id").n_unique())
    assert per_evaluator["subject_id"].to_list() == [3, 3, 3]


def test_assign_evaluators_errors() -> None:
    sample = _candidates(10)
    with pytest.raises(CxpmError, match="no evaluators"):
        assign_evaluators(sample, [])
    with pytest.raises(CxpmError, match="only once"):
        assign_evaluators(sample, ["a", "a"])
    with pytest.raises(CxpmError, match="more than once"):
        assign_evaluators(pl.concat([sample, sample.head(1)]), ["a"])
