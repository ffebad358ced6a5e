"""Agreement between evaluators who rated the same units (calibration statistics).

Ratings are long rows (unit, rater, value); a missing value (None, NaN or an empty CSV cell) is
a rating the rater did not give. Krippendorff's alpha comes from the `krippendorff` package and
Fleiss' kappa from statsmodels; docs/qa-statistics.md defines every figure returned here.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.files import read_user_text

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval", "ratio")
Value = str | float
REQUIRED_COLUMNS = ("unit", "rater", "value")


@dataclass(frozen=True)
class Rating:
    """One rater's value for one unit; `value` None means the rating is missing."""

    unit: str
    rater: str
    value: Value | None


class AgreementResult(BaseModel):
    """Krippendorff's alpha with the counts it rests on (the `cxpm qa agreement` JSON)."""

    alpha: float | None
    units: int
    raters: int
    pairable_values: int


class BiasStat(BaseModel):
    """One rater against a reference, over the units where both have a value."""

    n: int
    mean_difference: float | None
    mean_abs_difference: float | None
    agreement_rate: float | None


def normalize_value(value: object) -> Value | None:
    """A rating value as a float when it is numeric, a stripped label otherwise, None if missing.

    Numeric text ("4", "4.0") becomes the number 4.0 so that the two spellings agree.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        if math.isnan(number):
            return None
        if math.isinf(number):
            raise CxpmError(f"rating value {value!r} is not a finite number")
        return number
    text = str(value).strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def _rating(unit: object, rater: object, value: object) -> Rating:
    return Rating(str(unit), str(rater), normalize_value(value))


def read_ratings_csv(path: Path) -> list[Rating]:
    """Ratings from a CSV with header columns unit, rater, value (others ignored)."""
    try:
        with io.StringIO(read_user_text(Path(path)), newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames
            if not header:
                raise CxpmError(f"{path}: the file is empty (expected columns unit,rater,value)")
            names = [name.strip() for name in header]
            missing = [column for column in REQUIRED_COLUMNS if column not in names]
            if missing:
                raise CxpmError(f"{path}: missing column(s) {', '.join(missing)}")
            reader.fieldnames = names
            ratings: list[Rating] = []
            seen: dict[tuple[str, str], tuple[Value | None, int]] = {}
            for row in reader:
                line = reader.line_num
                unit = (row.get("unit") or "").strip()
                rater = (row.get("rater") or "").strip()
                if not unit or not rater:
                    raise CxpmError(f"{path}, line {line}: unit and rater must not be empty")
                rating = Rating(unit, rater, normalize_value(row.get("value")))
                key = (unit, rater)
                if key in seen:
                    previous, previous_line = seen[key]
                    if previous != rating.value:
                        raise CxpmError(
                            f"{path}, line {line}: rater {rater!r} rated unit {unit!r} again "
                            f"with a different value (first on line {previous_line})"
                        )
                    continue
                seen[key] = (rating.value, line)
                ratings.append(rating)
    except csv.Error as exc:
        raise CxpmError(f"{path}: cannot read the file ({exc})") from exc
    if not ratings:
        raise CxpmError(f"{path}: no ratings (only a header)")
    return ratings


def _values_by_unit(ratings: Iterable[Rating]) -> dict[str, dict[str, Value]]:
    """unit -> rater -> value, without missing values; conflicting duplicates are an error."""
    table: dict[str, dict[str, Value]] = defaultdict(dict)
    seen: dict[tuple[str, str], Value | None] = {}
    for rating in ratings:
        unit, rater = str(rating.unit), str(rating.rater)
        value = normalize_value(rating.value)
        if (unit, rater) in seen and seen[unit, rater] != value:
            raise CxpmError(f"rater {rater!r} has two different values for unit {unit!r}")
        seen[unit, rater] = value
        if value is not None:
            table[unit][rater] = value
    return dict(table)


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise CxpmError(f"unknown level of measurement {level!r}: use {', '.join(LEVELS)}")


def _numeric_codes(values: Iterable[Value], level: Level) -> dict[Value, float]:
    """How each distinct value enters the alpha computation.

    nominal: any labels, coded by their sorted order (the order does not matter);
    ordinal: numeric codes only, ranked by value; interval/ratio: the numbers themselves.
    """
    distinct = set(values)
    labels = sorted(value for value in distinct if isinstance(value, str))
    if level == "nominal":
        numbers = sorted(value for value in distinct if not isinstance(value, str))
        return {value: float(code) for code, value in enumerate([*numbers, *labels])}
    if labels:
        kind = "numeric codes" if level == "ordinal" else "numbers"
        raise CxpmError(
            f"{level} agreement needs {kind}; got non-numeric value {labels[0]!r}"
        )
    if level == "ratio" and any(float(value) < 0 for value in distinct):
        raise CxpmError("ratio agreement needs values of zero or more")
    if level == "ordinal":
        return {value: float(rank) for rank, value in enumerate(sorted(distinct))}
    return {value: float(value) for value in distinct}


def krippendorff_alpha(ratings: Iterable[Rating], level: Level) -> AgreementResult:
    """Krippendorff's alpha at `level`; alpha is None when it is undefined.

    It is undefined when no unit has two values (nothing pairable) or when all pairable values
    are equal (no variation, so no expected disagreement to compare against).
    """
    _check_level(level)
    table = _values_by_unit(ratings)
    raters = {rater for by_rater in table.values() for rater in by_rater}
    paired = {unit: by_rater for unit, by_rater in table.items() if len(by_rater) >= 2}
    pairable_values = sum(len(by_rater) for by_rater in paired.values())
    codes = _numeric_codes(
        (value for by_rater in table.values() for value in by_rater.values()), level
    )
    result = AgreementResult(
        alpha=None, units=len(table), raters=len(raters), pairable_values=pairable_values
    )
    paired_values = {value for by_rater in paired.values() for value in by_rater.values()}
    if len(paired_values) < 2:
        return result
    rater_order = sorted({rater for by_rater in paired.values() for rater in by_rater})
    unit_order = sorted(paired)
    matrix = np.full((len(rater_order), len(unit_order)), np.nan)
    rater_index = {rater: index for index, rater in enumerate(rater_order)}
    for column, unit in enumerate(unit_order):
        for rater, value in paired[unit].items():
            matrix[rater_index[rater], column] = codes[value]
    import krippendorff  # imported here: it takes a while, and most commands never need it

    value = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement=level))
    return result.model_copy(update={"alpha": value if math.isfinite(value) else None})


def percent_agreement(ratings: Iterable[Rating]) -> float | None:
    """Share of agreeing pairs among all pairs of values given to the same unit.

    Every unordered pair of two raters' values on one unit counts once, so a unit rated by more
    raters weighs more. None when no unit has two values.
    """
    pairs = 0
    agreeing = 0
    for by_rater in _values_by_unit(ratings).values():
        count = len(by_rater)
        pairs += count * (count - 1) // 2
        agreeing += sum(c * (c - 1) // 2 for c in Counter(by_rater.values()).values())
    return agreeing / pairs if pairs else None


def incomplete_design_reason(ratings: Iterable[Rating]) -> str | None:
    """Why Fleiss' kappa cannot be computed for these ratings, or None when it can."""
    table = _values_by_unit(ratings)
    if not table:
        return "no ratings"
    sizes = Counter(len(by_rater) for by_rater in table.values())
    if len(sizes) > 1:
        return "units were rated by different numbers of raters"
    (size,) = sizes
    if size < 2:
        return "every unit needs at least two ratings"
    return None


def is_complete_design(ratings: Iterable[Rating]) -> bool:
    """True when every rated unit has the same number (two or more) of values."""
    return incomplete_design_reason(list(ratings)) is None


def fleiss_kappa(ratings: Iterable[Rating]) -> float | None:
    """Fleiss' kappa over nominal categories; None unless the design is complete (see
    `incomplete_design_reason`) or when every rating falls in a single category."""
    ratings = list(ratings)
    if incomplete_design_reason(ratings) is not None:
        return None
    table = _values_by_unit(ratings)
    codes = _numeric_codes(
        (value for by_rater in table.values() for value in by_rater.values()), "nominal"
    )
    if len(codes) < 2:
        return None
    subjects = np.array(
        [[int(codes[value]) for value in by_rater.values()] for by_rater in table.values()]
    )
    from statsmodels.stats import inter_rater  # slow to import; only kappa needs it

    counts, _categories = inter_rater.aggregate_raters(subjects, n_cat=len(codes))
    kappa = float(inter_rater.fleiss_kappa(counts, method="fleiss"))
    return kappa if math.isfinite(kappa) else None


def _central(values: list[Value], level: Level) -> Value | None:
    """mean (interval/ratio), median (ordinal; the midpoint of the two middle values when
    their number is even) or the unique mode (nominal; None on a tie)."""
    if not values:
        return None
    if level == "nominal":
        ranked = Counter(values).most_common()
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            return None
        return ranked[0][0]
    _numeric_codes(values, level)  # rejects labels with a clear message
    numbers = [float(value) for value in values]
    if level == "ordinal":
        return float(statistics.median(numbers))
    return float(statistics.fmean(numbers))


def consensus(
    ratings: Iterable[Rating], level: Level, *, exclude_rater: str | None = None
) -> dict[str, Value | None]:
    """Per-unit consensus of the raters' values (optionally leaving one rater out)."""
    _check_level(level)
    result: dict[str, Value | None] = {}
    for unit, by_rater in _values_by_unit(ratings).items():
        values = [value for rater, value in by_rater.items() if rater != exclude_rater]
        if values:
            result[unit] = _central(values, level)
    return result


def _bias(pairs: list[tuple[Value, Value]]) -> BiasStat:
    numeric = [
        float(value) - float(reference)
        for value, reference in pairs
        if not isinstance(value, str) and not isinstance(reference, str)
    ]
    return BiasStat(
        n=len(pairs),
        mean_difference=statistics.fmean(numeric) if numeric else None,
        mean_abs_difference=statistics.fmean(abs(d) for d in numeric) if numeric else None,
        agreement_rate=(
            sum(value == reference for value, reference in pairs) / len(pairs) if pairs else None
        ),
    )


def rater_bias(
    scores: Mapping[tuple[str, str], Value], reference: Mapping[str, Value | None]
) -> dict[str, BiasStat]:
    """Each rater against a fixed per-unit reference: scores maps (unit, rater) to a value.

    Differences are rater minus reference, over the units that have both values; the mean
    differences are None when the values are labels rather than numbers.
    """
    pairs: dict[str, list[tuple[Value, Value]]] = defaultdict(list)
    for (unit, rater), raw in sorted(scores.items()):
        value = normalize_value(raw)
        target = normalize_value(reference.get(unit))
        if value is not None and target is not None:
            pairs[rater].append((value, target))
    raters = sorted({rater for _unit, rater in scores})
    return {rater: _bias(pairs[rater]) for rater in raters}


def bias_against_reference(
    ratings: Iterable[Rating], reference_rater: str | None = None, level: Level = "interval"
) -> dict[str, BiasStat]:
    """Each rater's bias against an expert (`reference_rater`) or, without one, against the
    leave-one-out consensus of the other raters on the same unit.

    Leaving the rater out keeps a lenient rater from pulling the consensus towards themself.
    Units where the reference is missing (or a nominal consensus is tied) are not compared.
    The expert is not listed in the result.
    """
    _check_level(level)
    ratings = list(ratings)
    table = _values_by_unit(ratings)
    raters = sorted({str(rating.rater) for rating in ratings})
    if reference_rater is not None:
        if reference_rater not in raters:
            raise CxpmError(f"reference rater {reference_rater!r} has no ratings")
        expert = {
            unit: by_rater[reference_rater]
            for unit, by_rater in table.items()
            if reference_rater in by_rater
        }
        scores = {
            (unit, rater): value
            for unit, by_rater in table.items()
            for rater, value in by_rater.items()
            if rater != reference_rater
        }
        stats = rater_bias(scores, expert)
        return {
            rater: stats.get(rater, _bias([])) for rater in raters if rater != reference_rater
        }
    result: dict[str, BiasStat] = {}
    for rater in raters:
        pairs = []
        for by_rater in table.values():
            if rater not in by_rater:
                continue
            others = [value for other, value in by_rater.items() if other != rater]
            reference = _central(others, level)
            if reference is not None:
                pairs.append((by_rater[rater], reference))
        result[rater] = _bias(pairs)
    return result
