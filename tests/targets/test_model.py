"""The status rule, the checks a target must pass for its metric, scope and date parsing."""

from __future__ import annotations

from datetime import date

import pytest

from cxpm.errors import CxpmError
from cxpm.metrics.catalog import load_catalog
from cxpm.targets.model import (
    TargetSpec,
    checked_definition,
    judge,
    parse_month_or_date,
    parse_scope,
    scope_key,
)

CATALOG = load_catalog()


@pytest.mark.parametrize(("value", "expected"), [
    (0.95, "met"),      # better than the target
    (0.90, "met"),      # equal to the target
    (0.87, "warning"),  # between target and warning threshold
    (0.85, "warning"),  # equal to the warning threshold
    (0.80, "missed"),   # worse than both
    (None, "no data"),
])
def test_judge_higher_is_better(value: float | None, expected: str) -> None:
    assert judge(value, 0.90, 0.85, "higher") == expected


@pytest.mark.parametrize(("value", "expected"), [
    (250.0, "met"),
    (300.0, "met"),
    (320.0, "warning"),
    (330.0, "warning"),
    (331.0, "missed"),
    (None, "no data"),
])
def test_judge_lower_is_better(value: float | None, expected: str) -> None:
    assert judge(value, 300.0, 330.0, "lower") == expected


def test_judge_without_warning_threshold_is_met_or_missed() -> None:
    assert judge(0.89, 0.90, None, "higher") == "missed"
    assert judge(301.0, 300.0, None, "lower") == "missed"
    assert judge(0.90, 0.90, None, "higher") == "met"


def test_judge_treats_rounding_noise_as_equal() -> None:
    noisy = 0.1 + 0.2  # 0.30000000000000004: above 0.3 in binary floating point
    assert noisy > 0.3
    assert judge(noisy, 0.3, None, "lower") == "met"
    assert judge(0.3 + 1e-6, 0.3, None, "lower") == "missed"


def _spec(**values) -> TargetSpec:
    return TargetSpec(**{"metric": "aht", "valid_from": date(2026, 1, 1), "value": 300.0,
                         **values})


def test_checked_definition_returns_the_metric() -> None:
    definition = checked_definition(_spec(scope={"program": "banking"}, warning=330.0),
                                    CATALOG)
    assert (definition.id, definition.direction) == ("aht", "lower")


@pytest.mark.parametrize(("values", "message"), [
    ({"metric": "aht_typo"}, "unknown metric 'aht_typo'"),
    ({"metric": "offered"}, "offered has no better direction"),
    ({"metric": "cost_per_contact", "scope": {"channel": "voice"}},
     "cost_per_contact cannot be scoped by channel"),
    ({"valid_to": date(2025, 12, 31)}, "valid_to 2025-12-31 is before valid_from 2026-01-01"),
    # lower is better: the warning threshold lies above the target
    ({"warning": 290.0}, "warning threshold must be above the target"),
    ({"warning": 300.0}, "warning threshold must be above the target"),
    ({"metric": "service_level", "value": 0.8, "warning": 0.85},
     "warning threshold must be below the target"),
    ({"value": float("nan")}, "value must be a finite number"),
    ({"warning": float("inf")}, "warning must be a finite number"),
])
def test_checked_definition_rejects(values: dict, message: str) -> None:
    with pytest.raises(CxpmError, match=message):
        checked_definition(_spec(**values), CATALOG)


def test_valid_to_equal_to_valid_from_is_one_day() -> None:
    checked_definition(_spec(valid_to=date(2026, 1, 1)), CATALOG)


def test_parse_scope() -> None:
    assert parse_scope(None) == {}
    assert parse_scope("") == {}
    assert parse_scope("program=billing;channel=voice") == {"program": "billing",
                                                           "channel": "voice"}
    assert parse_scope(" program = billing , site=north ") == {"program": "billing",
                                                              "site": "north"}
    # a comma inside a value is not a separator: no DIM= follows it
    assert parse_scope("program=Cards, Loans;site=north") == {"program": "Cards, Loans",
                                                             "site": "north"}


@pytest.mark.parametrize(("text", "message"), [
    ("program", "expects DIM=VALUE, got 'program'"),
    ("program=", "expects DIM=VALUE"),
    ("=billing", "expects DIM=VALUE"),
    ("program=a;program=b", "names program twice"),
])
def test_parse_scope_rejects(text: str, message: str) -> None:
    with pytest.raises(CxpmError, match=message):
        parse_scope(text)


def test_scope_key_sorts_dimensions() -> None:
    assert scope_key({"site": "n", "program": "b"}) == "program=b;site=n"
    assert scope_key({}) == ""


def test_parse_month_or_date() -> None:
    assert parse_month_or_date("2026-03", "x") == date(2026, 3, 1)
    assert parse_month_or_date(" 2026-03-15 ", "x") == date(2026, 3, 15)
    for bad in ("2026-13", "March", "2026-02-30", ""):
        with pytest.raises(CxpmError, match="--from expects YYYY-MM or YYYY-MM-DD"):
            parse_month_or_date(bad, "--from")


def test_a_scope_longer_than_its_column_is_refused() -> None:
    from datetime import date

    from cxpm.metrics.catalog import load_catalog
    from cxpm.targets.model import TargetSpec, checked_definition

    spec = TargetSpec(metric="service_level", scope={"program": "p" * 400},
                      valid_from=date(2026, 1, 1), value=0.8)
    with pytest.raises(CxpmError, match="scope is longer than 400 characters"):
        checked_definition(spec, load_catalog())
