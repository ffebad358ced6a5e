"""Which target applies to a scorecard cell: scope, specificity, validity."""

from __future__ import annotations

from datetime import date
from itertools import count

from cxpm.targets.book import TargetBook
from cxpm.targets.model import TargetInfo

_ids = count(1)
APRIL = date(2026, 4, 1)


def target(value: float, scope: dict[str, str] | None = None, *, metric: str = "aht",
           valid_from: date = date(2026, 1, 1), valid_to: date | None = None) -> TargetInfo:
    return TargetInfo(id=next(_ids), direction="lower", metric=metric, scope=scope or {},
                      valid_from=valid_from, valid_to=valid_to, value=value)


def found(book: TargetBook, dimensions: dict, month: date = APRIL,
          metric: str = "aht") -> float | None:
    hit = book.find(metric, dimensions, month)
    return None if hit is None else hit.value


def test_scoped_target_applies_only_to_groups_split_by_its_dimension() -> None:
    book = TargetBook([target(280.0, {"program": "banking"})])
    assert found(book, {"program": "banking"}) == 280.0
    assert found(book, {"program": "banking", "site": "north"}) == 280.0
    assert found(book, {"program": "billing"}) is None
    assert found(book, {}) is None                 # the overall row
    assert found(book, {"site": "north"}) is None  # split by site only
    assert found(book, {"program": "banking"}, metric="asa") is None


def test_global_target_applies_everywhere() -> None:
    book = TargetBook([target(300.0)])
    for dims in ({}, {"program": "billing"}, {"site": "north", "channel": "voice"}):
        assert found(book, dims) == 300.0


def test_most_specific_scope_wins_whatever_the_order() -> None:
    targets = [target(300.0), target(280.0, {"program": "banking"}),
               target(260.0, {"program": "banking", "site": "north"}),
               target(270.0, {"site": "north"})]
    for ordered in (targets, targets[::-1]):
        book = TargetBook(ordered)
        assert found(book, {"program": "banking", "site": "north"}) == 260.0
        assert found(book, {"program": "banking", "site": "south"}) == 280.0
        assert found(book, {"program": "billing", "site": "north"}) == 270.0
        assert found(book, {"program": "billing"}) == 300.0


def test_later_start_wins_and_valid_to_ends_a_target() -> None:
    book = TargetBook([
        target(300.0, valid_to=date(2026, 2, 28)),
        target(290.0, valid_from=date(2026, 3, 1)),
        target(250.0, valid_from=date(2026, 5, 1)),  # next month: not yet
    ])
    assert found(book, {}, date(2026, 1, 1)) == 300.0
    assert found(book, {}, date(2026, 2, 1)) == 300.0
    assert found(book, {}, date(2026, 3, 1)) == 290.0
    assert found(book, {}, APRIL) == 290.0
    assert found(book, {}, date(2026, 5, 1)) == 250.0
    assert found(book, {}, date(2025, 12, 1)) is None


def test_a_period_takes_the_target_valid_on_its_first_day() -> None:
    book = TargetBook([target(300.0, valid_from=date(2026, 4, 15)),
                       target(320.0, valid_to=date(2026, 3, 10))])
    assert found(book, {}, date(2026, 3, 1)) == 320.0  # ends mid-March: still March's
    assert found(book, {}, APRIL) is None              # starts mid-April: from May
    assert found(book, {}, date(2026, 5, 1)) == 300.0


def test_specific_scope_beats_a_later_global_target() -> None:
    book = TargetBook([target(280.0, {"program": "banking"}),
                       target(300.0, valid_from=date(2026, 3, 1))])
    assert found(book, {"program": "banking"}) == 280.0
    assert found(book, {"program": "billing"}) == 300.0
