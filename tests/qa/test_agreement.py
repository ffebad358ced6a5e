"""Agreement statistics against published worked examples and hand computations."""

from __future__ import annotations

from itertools import permutations
from pathlib import Path

import pytest

from cxpm.errors import CxpmError
from cxpm.qa.agreement import (
    LEVELS,
    AgreementResult,
    Rating,
    bias_against_reference,
    consensus,
    fleiss_kappa,
    incomplete_design_reason,
    is_complete_design,
    krippendorff_alpha,
    percent_agreement,
    rater_bias,
    read_ratings_csv,
)

# Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), the example with missing
# values: 4 coders, 12 units; "." is a value the coder did not give.
KRIPPENDORFF_EXAMPLE = {
    "A": "1 2 3 3 2 1 4 1 2 . . .",
    "B": "1 2 3 3 2 2 4 1 2 5 . 3",
    "C": ". 3 3 3 2 3 4 2 2 5 1 .",
    "D": "1 2 3 3 2 4 4 1 2 5 1 .",
}
PUBLISHED_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# Fleiss (1971) as reproduced in Wikipedia's "Fleiss' kappa": 10 subjects, 14 raters each,
# counts of raters per category (5 categories). Published: P-bar 0.378, kappa 0.210.
FLEISS_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def _example_ratings(labels: dict[str, str] | None = None) -> list[Rating]:
    ratings = []
    for coder, row in KRIPPENDORFF_EXAMPLE.items():
        for unit, value in enumerate(row.split(), start=1):
            given = None if value == "." else value
            if given is not None and labels:
                given = labels[given]
            ratings.append(Rating(f"u{unit:02d}", coder, given))
    return ratings


def _fleiss_ratings() -> list[Rating]:
    ratings = []
    for subject, counts in enumerate(FLEISS_COUNTS):
        rater = 0
        for category, count in enumerate(counts):
            for _ in range(count):
                ratings.append(Rating(f"s{subject}", f"r{rater}", f"cat{category}"))
                rater += 1
    return ratings


def _hand_alpha(units: list[list[float]], delta) -> float:
    """Krippendorff's alpha from its definition: 1 - D_o / D_e over pairable values."""
    pairable = [values for values in units if len(values) >= 2]
    n = sum(len(values) for values in pairable)
    observed = sum(
        sum(delta(a, b) for a, b in permutations(values, 2)) / (len(values) - 1)
        for values in pairable
    ) / n
    pooled = [value for values in pairable for value in values]
    expected = sum(delta(a, b) for a, b in permutations(pooled, 2)) / (n * (n - 1))
    return 1 - observed / expected


def _example_units() -> list[list[float]]:
    columns = [row.split() for row in KRIPPENDORFF_EXAMPLE.values()]
    return [
        [float(row[unit]) for row in columns if row[unit] != "."] for unit in range(12)
    ]


@pytest.mark.parametrize("level", LEVELS)
def test_krippendorff_published_example(level: str) -> None:
    result = krippendorff_alpha(_example_ratings(), level)
    assert round(result.alpha, 3) == PUBLISHED_ALPHA[level]
    assert (result.units, result.raters, result.pairable_values) == (12, 4, 40)


def test_alpha_matches_the_definition_computed_by_hand() -> None:
    units = _example_units()
    nominal = _hand_alpha(units, lambda a, b: float(a != b))
    interval = _hand_alpha(units, lambda a, b: (a - b) ** 2)
    ratio = _hand_alpha(units, lambda a, b: ((a - b) / (a + b)) ** 2)
    ratings = _example_ratings()
    assert krippendorff_alpha(ratings, "nominal").alpha == pytest.approx(nominal, abs=1e-12)
    assert krippendorff_alpha(ratings, "interval").alpha == pytest.approx(interval, abs=1e-12)
    assert krippendorff_alpha(ratings, "ratio").alpha == pytest.approx(ratio, abs=1e-12)


def test_json_contract_has_exactly_the_four_keys() -> None:
    result = krippendorff_alpha(_example_ratings(), "nominal")
    assert isinstance(result, AgreementResult)
    assert set(result.model_dump()) == {"alpha", "units", "raters", "pairable_values"}


def test_nominal_labels_agree_with_numeric_codes() -> None:
    labels = {"1": "very low", "2": "low", "3": "mid", "4": "high", "5": "very high"}
    by_label = krippendorff_alpha(_example_ratings(labels), "nominal")
    assert by_label.alpha == pytest.approx(krippendorff_alpha(_example_ratings(), "nominal").alpha)


def test_ordinal_ranks_numeric_codes_not_their_spacing() -> None:
    # ordinal alpha depends only on the order of the codes: stretching the scale changes nothing
    stretched = {"1": "1", "2": "2", "3": "30", "4": "31", "5": "500"}
    ordinal = krippendorff_alpha(_example_ratings(stretched), "ordinal").alpha
    assert ordinal == pytest.approx(krippendorff_alpha(_example_ratings(), "ordinal").alpha)


@pytest.mark.parametrize("level", ["ordinal", "interval", "ratio"])
def test_labels_are_rejected_above_nominal(level: str) -> None:
    ratings = [Rating("u1", "A", "yes"), Rating("u1", "B", "no")]
    with pytest.raises(CxpmError, match="non-numeric value 'no'"):
        krippendorff_alpha(ratings, level)


def test_ratio_rejects_negative_values_and_unknown_level() -> None:
    with pytest.raises(CxpmError, match="zero or more"):
        krippendorff_alpha([Rating("u1", "A", -1), Rating("u1", "B", 2)], "ratio")
    with pytest.raises(CxpmError, match="unknown level"):
        krippendorff_alpha([Rating("u1", "A", 1)], "circular")


def test_alpha_undefined_cases() -> None:
    lonely = [Rating("u1", "A", 1), Rating("u2", "B", 2), Rating("u3", "C", None)]
    result = krippendorff_alpha(lonely, "nominal")
    assert (result.alpha, result.units, result.raters, result.pairable_values) == (None, 2, 2, 0)
    # the only variation is in an unpaired unit: no expected disagreement among pairable values
    same = [Rating("u1", "A", 1), Rating("u1", "B", 1), Rating("u2", "A", 2)]
    assert krippendorff_alpha(same, "interval").alpha is None


def test_numeric_text_and_numbers_are_the_same_value() -> None:
    ratings = [Rating("u1", "A", "4"), Rating("u1", "B", 4.0), Rating("u2", "A", 1),
               Rating("u2", "B", "1.0")]
    assert percent_agreement(ratings) == 1.0


def test_percent_agreement_counts_pairs() -> None:
    ratings = [
        Rating("u1", "A", "yes"), Rating("u1", "B", "yes"), Rating("u1", "C", "no"),
        Rating("u2", "A", "no"), Rating("u2", "B", "no"), Rating("u2", "C", None),
        Rating("u3", "A", "yes"),
    ]
    # u1: pairs AB agree, AC and BC differ; u2: AB agree; u3 has no pair -> 2 of 4
    assert percent_agreement(ratings) == 0.5
    assert percent_agreement([Rating("u1", "A", "yes")]) is None


def test_percent_agreement_of_fleiss_example_is_p_bar() -> None:
    assert round(percent_agreement(_fleiss_ratings()), 3) == 0.378


def test_fleiss_kappa_published_example() -> None:
    ratings = _fleiss_ratings()
    assert is_complete_design(ratings)
    assert round(fleiss_kappa(ratings), 3) == 0.210


def test_fleiss_kappa_needs_a_complete_design() -> None:
    ratings = _example_ratings()
    assert not is_complete_design(ratings)
    assert incomplete_design_reason(ratings) == "units were rated by different numbers of raters"
    assert fleiss_kappa(ratings) is None
    single = [Rating("u1", "A", 1), Rating("u2", "A", 2)]
    assert incomplete_design_reason(single) == "every unit needs at least two ratings"
    assert fleiss_kappa(single) is None
    one_category = [Rating("u1", "A", 1), Rating("u1", "B", 1)]
    assert fleiss_kappa(one_category) is None


def test_conflicting_duplicate_ratings_are_an_error() -> None:
    with pytest.raises(CxpmError, match="two different values"):
        percent_agreement([Rating("u1", "A", 1), Rating("u1", "A", 2), Rating("u1", "B", 1)])
    with pytest.raises(CxpmError, match="two different values"):
        percent_agreement([Rating("u1", "A", None), Rating("u1", "A", 2), Rating("u1", "B", 1)])


def _write(tmp_path: Path, text: str, name: str = "ratings.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_ratings_csv(tmp_path: Path) -> None:
    lines = ["item,unit,rater,value"]
    for rating in _example_ratings():
        value = "" if rating.value is None else rating.value
        lines.append(f"x,{rating.unit},{rating.rater},{value}")
    lines.append("x,u01,A,1")  # an identical repeat is harmless
    ratings = read_ratings_csv(_write(tmp_path, "\n".join(lines) + "\n"))
    assert len(ratings) == 48
    assert sum(rating.value is None for rating in ratings) == 7
    assert round(krippendorff_alpha(ratings, "interval").alpha, 3) == 0.849


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("unit,rater,value\n", "no ratings"),
        ("unit,value\nu1,3\n", "missing column(s) rater"),
        ("unit,rater,value\nu1,A,1\nu1,B,2\nu1,A,3\n", "line 4: rater 'A' rated unit 'u1' again"),
        ("unit,rater,value\nu1,,1\n", "line 2: unit and rater must not be empty"),
    ],
)
def test_read_ratings_csv_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CxpmError) as error:
        read_ratings_csv(_write(tmp_path, text))
    assert message in str(error.value)


def test_read_ratings_csv_unreadable(tmp_path: Path) -> None:
    with pytest.raises(CxpmError, match="file not found"):
        read_ratings_csv(tmp_path / "absent.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"unit,rater,value\n\xff\xfe,A,1\n")
    with pytest.raises(CxpmError, match="not a UTF-8"):
        read_ratings_csv(binary)


def _calibration() -> list[Rating]:
    """An expert and three evaluators scoring four contacts; L is 10 points lenient."""
    expert = {"c1": 80, "c2": 60, "c3": 90, "c4": 70}
    offsets = {"E": 0, "F": -5, "L": 10}
    ratings = [Rating(unit, "X", score) for unit, score in expert.items()]
    for rater, offset in offsets.items():
        ratings += [Rating(unit, rater, score + offset) for unit, score in expert.items()]
    # F did not score c4
    return [Rating("c4", "F", None) if (r.unit, r.rater) == ("c4", "F") else r for r in ratings]


def test_bias_against_expert() -> None:
    bias = bias_against_reference(_calibration(), "X")
    assert set(bias) == {"E", "F", "L"}
    assert (bias["E"].n, bias["E"].mean_difference, bias["E"].agreement_rate) == (4, 0.0, 1.0)
    assert (bias["F"].n, bias["F"].mean_difference, bias["F"].mean_abs_difference) == (3, -5, 5)
    assert (bias["L"].mean_difference, bias["L"].agreement_rate) == (10.0, 0.0)
    with pytest.raises(CxpmError, match="reference rater 'Z'"):
        bias_against_reference(_calibration(), "Z")


def test_bias_against_leave_one_out_consensus() -> None:
    ratings = [r for r in _calibration() if r.rater != "X"]
    bias = bias_against_reference(ratings, None, "interval")
    # c1..c3: L is +10 against the mean of E and F (-2.5) -> +12.5; c4: +10 against E alone
    assert bias["L"].n == 4
    assert bias["L"].mean_difference == pytest.approx((12.5 * 3 + 10) / 4)
    # F on c1..c3 against the mean of E and L (+5) -> -10
    assert bias["F"].mean_difference == pytest.approx(-10)


def test_bias_on_nominal_flags() -> None:
    flags = {"A": [1, 1, 0, 1], "B": [1, 1, 0, 1], "C": [0, 0, 0, 0]}
    ratings = [
        Rating(f"u{unit}", rater, value)
        for rater, values in flags.items()
        for unit, value in enumerate(values)
    ]
    bias = bias_against_reference(ratings, None, "nominal")
    # C misses the three errors A and B flagged: agreement 1 of 4, flags 0.75 lower on average
    assert bias["C"].agreement_rate == 0.25
    assert bias["C"].mean_difference == -0.75
    # A's leave-one-out consensus (B, C) ties on the three flagged units: only u2 is compared
    assert (bias["A"].n, bias["A"].agreement_rate) == (1, 1.0)


def test_consensus_levels() -> None:
    ratings = [Rating("u1", "A", 1), Rating("u1", "B", 2), Rating("u1", "C", 4),
               Rating("u2", "A", "yes"), Rating("u2", "B", "no")]
    assert consensus(ratings[:3], "interval") == {"u1": pytest.approx(7 / 3)}
    assert consensus(ratings[:3], "ordinal") == {"u1": 2.0}
    assert consensus(ratings[:3], "ordinal", exclude_rater="C") == {"u1": 1.5}
    assert consensus(ratings[3:], "nominal") == {"u2": None}
    assert consensus(ratings[3:], "nominal", exclude_rater="B") == {"u2": "yes"}


def test_rater_bias_with_given_reference() -> None:
    scores = {("u1", "A"): 3, ("u2", "A"): 5, ("u1", "B"): "4", ("u3", "B"): 1}
    bias = rater_bias(scores, {"u1": 4, "u2": 4})
    assert (bias["A"].n, bias["A"].mean_difference, bias["A"].mean_abs_difference) == (2, 0, 1)
    assert (bias["B"].n, bias["B"].agreement_rate) == (1, 1.0)
