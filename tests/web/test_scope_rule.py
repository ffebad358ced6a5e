"""The scope rule on its own: forced filters, no widening, refusal of unscopable metrics."""

from __future__ import annotations

import pytest

from cxpm.metrics.catalog import load_catalog
from cxpm.web.deps import Principal
from cxpm.web.scope import OutOfScopeError, scoped_where


def principal(kind: str, value: str | None) -> Principal:
    return Principal(user_id=1, username="u", role="analyst", scope_kind=kind,
                     scope_value=value, token_id=1)


CATALOG = load_catalog()
OFFERED = [CATALOG.get("offered")]


def test_all_scope_keeps_the_request() -> None:
    where = {"vendor": ["a", "b"]}
    assert scoped_where(principal("all", None), OFFERED, where) == where


def test_scope_is_forced() -> None:
    site = principal("site", "north")
    assert scoped_where(site, OFFERED, {}) == {"site": ["north"]}
    assert scoped_where(site, OFFERED, {"queue": ["q"]}) == {"queue": ["q"], "site": ["north"]}
    assert scoped_where(site, OFFERED, {"site": ["south", "north"]}) == {"site": ["north"]}
    assert scoped_where(site, OFFERED, {"site": ["south"]}) is None
    agent = principal("agent", "a7")
    assert scoped_where(agent, OFFERED, {"agent_id": ["a7"]}) == {"agent_id": ["a7"]}


@pytest.mark.parametrize(("kind", "value"), [("team", "red"), ("vendor", None), ("", "x")])
def test_unknown_or_empty_scope_never_widens(kind: str, value: str | None) -> None:
    with pytest.raises(OutOfScopeError):
        scoped_where(principal(kind, value), OFFERED, {})


def test_unscopable_metric_is_refused() -> None:
    with pytest.raises(OutOfScopeError, match="schedule_fit cannot be limited to your scope "
                       r"\(program=care\): its data has no program dimension"):
        scoped_where(principal("program", "care"),
                     [*OFFERED, CATALOG.get("schedule_fit")], {})
