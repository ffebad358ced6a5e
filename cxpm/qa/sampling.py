"""Stratified random samples of contacts for evaluation, and their spread across evaluators.

Pure functions over Polars frames: the caller fetches the candidate contacts (already excluding
the ones evaluated before) and stores the result. docs/qa-statistics.md describes the method.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import polars as pl

from cxpm.errors import CxpmError
from cxpm.qa.stats import sample_size


class DayPart(NamedTuple):
    name: str
    start_hour: int  # inclusive
    end_hour: int  # exclusive


# Day parts by the contact's local wall-clock hour.
DAY_PARTS: tuple[DayPart, ...] = (
    DayPart("night", 0, 6),
    DayPart("morning", 6, 12),
    DayPart("afternoon", 12, 18),
    DayPart("evening", 18, 24),
)

CANDIDATE_COLUMNS = ("contact_id", "subject_id", "handled_by", "channel", "local_time")
# Columns that identify and stratify a contact; a null there would leave it nowhere to go.
_REQUIRED_VALUES = ("contact_id", "subject_id", "channel", "local_time")
SUMMARY_SCHEMA = {
    "subject_id": pl.String,
    "available": pl.Int64,
    "required": pl.Int64,
    "drawn": pl.Int64,
    "shortfall": pl.Int64,
}


@dataclass(frozen=True)
class SampleDraw:
    """The drawn contacts and, per subject, how many were available, required and drawn."""

    sample: pl.DataFrame
    summary: pl.DataFrame


def day_part_expr(column: str = "local_time") -> pl.Expr:
    """The day-part name (a column called day_part) of a naive local datetime column."""
    hour = pl.col(column).dt.hour()
    expr = pl.lit(None, dtype=pl.String)
    for part in reversed(DAY_PARTS):
        expr = pl.when(hour < part.end_hour).then(pl.lit(part.name)).otherwise(expr)
    return expr.alias("day_part")


def largest_remainder(sizes: Sequence[int], total: int) -> list[int]:
    """Split `total` across strata in proportion to `sizes` (Hamilton's method).

    Each stratum gets the floor of its exact quota total * size / sum(sizes); the units left
    over go one each to the largest remainders, ties to the larger stratum, then the earlier one.
    Integer arithmetic keeps the quotas exact.
    """
    population = sum(sizes)
    if total < 0 or total > population:
        raise CxpmError(f"cannot allocate {total} draws over {population} candidates")
    if population == 0:
        return [0 for _ in sizes]
    shares = [divmod(total * size, population) for size in sizes]
    allocation = [whole for whole, _ in shares]
    left = total - sum(allocation)
    order = sorted(range(len(sizes)), key=lambda i: (-shares[i][1], -sizes[i], i))
    for index in order[:left]:
        allocation[index] += 1
    return allocation


def _rng(seed: int, *keys: object) -> np.random.Generator:
    """A generator seeded by `seed` and the stratum's identity (stable across processes)."""
    digest = hashlib.sha256(repr(keys).encode()).digest()
    return np.random.default_rng([seed, int.from_bytes(digest[:8], "big")])


def _validate_candidates(candidates: pl.DataFrame) -> None:
    missing = [column for column in CANDIDATE_COLUMNS if column not in candidates.columns]
    if missing:
        raise CxpmError(f"candidate contacts lack column(s) {', '.join(missing)}")
    if not isinstance(candidates.schema["local_time"], pl.Datetime):
        raise CxpmError("candidate contacts' local_time must be a datetime")
    for column in _REQUIRED_VALUES:
        nulls = candidates.filter(pl.col(column).is_null())
        if nulls.height:
            where = (
                f" (contact {nulls['contact_id'][0]})" if column != "contact_id" else ""
            )
            raise CxpmError(f"{nulls.height} candidate contact(s) have no {column}{where}")
    duplicates = candidates.filter(pl.col("contact_id").is_duplicated())
    if duplicates.height:
        raise CxpmError(
            f"contact {duplicates['contact_id'][0]} appears more than once among the candidates"
        )


def _subject_target(
    available: int,
    per_subject: int | None,
    margin: float | None,
    confidence: float,
    expected_rate: float,
) -> int:
    if per_subject is not None:
        return per_subject
    assert margin is not None
    return sample_size(confidence, margin, population=available, expected_rate=expected_rate)


def draw_sample(
    candidates: pl.DataFrame,
    *,
    per_subject: int | None = None,
    margin: float | None = None,
    confidence: float = 0.95,
    expected_rate: float = 0.5,
    seed: int = 0,
) -> SampleDraw:
    """A stratified random sample of contacts per subject (agent or bot).

    The size per subject is `per_subject`, or the sample size for ±`margin` at `confidence`
    with the subject's candidates as the finite population; never more than are available
    (the summary's shortfall says by how many it fell short). Within a subject the draws are
    split over channel x day-part strata by the largest-remainder method and drawn uniformly
    at random inside each stratum. The same candidates and seed give the same sample, whatever
    their row order.
    """
    if (per_subject is None) == (margin is None):
        raise CxpmError("give exactly one of a per-subject sample size or a margin of error")
    if per_subject is not None and (isinstance(per_subject, bool) or per_subject < 1):
        raise CxpmError(f"per-subject sample size must be at least 1, got {per_subject!r}")
    _validate_candidates(candidates)
    prepared = candidates.with_columns(
        pl.col("subject_id").cast(pl.String), day_part_expr()
    ).sort("contact_id")

    picked: list[pl.DataFrame] = []
    summary_rows: list[dict[str, object]] = []
    by_subject = prepared.partition_by("subject_id", as_dict=True)
    for (subject_id,), contacts in sorted(by_subject.items()):
        available = contacts.height
        required = _subject_target(available, per_subject, margin, confidence, expected_rate)
        drawn = min(required, available)
        strata = sorted(contacts.partition_by("channel", "day_part", as_dict=True).items())
        allocation = largest_remainder([members.height for _key, members in strata], drawn)
        for (channel, part), members, quota in (
            (key, members, quota)
            for (key, members), quota in zip(strata, allocation, strict=True)
            if quota
        ):
            rng = _rng(seed, subject_id, channel, part)
            rows = np.sort(rng.choice(members.height, size=quota, replace=False))
            picked.append(
                members[rows.tolist()].with_columns(
                    stratum_size=pl.lit(members.height, dtype=pl.Int64),
                    stratum_drawn=pl.lit(quota, dtype=pl.Int64),
                )
            )
        summary_rows.append(
            {
                "subject_id": subject_id,
                "available": available,
                "required": required,
                "drawn": drawn,
                "shortfall": required - drawn,
            }
        )

    leading = ["contact_id", "subject_id", "handled_by", "channel", "day_part", "local_time"]
    extras = [c for c in prepared.columns if c not in leading]
    columns = [*leading, *extras, "stratum_size", "stratum_drawn"]
    if picked:
        sample = pl.concat(picked).select(columns).sort("subject_id", "contact_id")
    else:
        sample = prepared.with_columns(
            stratum_size=pl.lit(None, dtype=pl.Int64), stratum_drawn=pl.lit(None, dtype=pl.Int64)
        ).select(columns).clear()
    summary = pl.DataFrame(summary_rows, schema=SUMMARY_SCHEMA)
    return SampleDraw(sample=sample, summary=summary)


def assign_evaluators(
    sample: pl.DataFrame, evaluators: Sequence[str], *, seed: int = 0
) -> pl.DataFrame:
    """`sample` with an `evaluator_id` column: evaluator loads differ by at most one.

    The contacts are put in a random order that keeps each subject's contacts together, and the
    evaluators, in a random order, are dealt one contact each in turn. Consecutive contacts of a
    subject therefore go to different evaluators, so every evaluator sees a mix of subjects.
    """
    names = [str(name) for name in evaluators]
    if not names:
        raise CxpmError("no evaluators to assign the sample to")
    if any(not name.strip() for name in names):
        raise CxpmError("evaluator ids must not be empty")
    if len(set(names)) != len(names):
        raise CxpmError("each evaluator may be listed only once")
    for column in ("contact_id", "subject_id"):
        if column not in sample.columns:
            raise CxpmError(f"the sample lacks column {column}")
    if sample.filter(pl.col("contact_id").is_duplicated()).height:
        raise CxpmError("the sample lists a contact more than once")
    rng = _rng(seed, "assign")
    ordered = sample.sort("subject_id", "contact_id")
    keys = rng.permutation(ordered.height)
    subject_keys = {
        subject: rank
        for rank, subject in enumerate(
            rng.permutation(sorted(ordered["subject_id"].cast(pl.String).unique().to_list()))
        )
    }
    ordered = ordered.with_columns(
        _subject_key=pl.col("subject_id").cast(pl.String).replace_strict(
            subject_keys, return_dtype=pl.Int64
        ),
        _row_key=pl.Series(keys, dtype=pl.Int64),
    ).sort("_subject_key", "_row_key")
    dealer = [str(name) for name in rng.permutation(sorted(names))]
    assigned = [dealer[index % len(dealer)] for index in range(ordered.height)]
    return ordered.drop("_subject_key", "_row_key").with_columns(
        evaluator_id=pl.Series(assigned, dtype=pl.String)
    ).sort("subject_id", "contact_id")
