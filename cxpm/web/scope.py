"""The user's scope, applied in one place: every metric query of a scoped user is filtered on
the scope's dimension, whatever the request asks.

A vendor user (scope vendor=X) gets `where vendor = X` forced onto the query; a request that
asks for other vendors gets no rows; a metric whose sources cannot be filtered by vendor is
refused (403), never computed unfiltered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cxpm.metrics.catalog import MetricDefinition
from cxpm.users.permissions import SCOPE_DIMENSIONS
from cxpm.web.deps import Principal


class OutOfScopeError(Exception):
    """The request cannot be answered within the user's scope (answered 403)."""


def scope_filter(principal: Principal) -> tuple[str, str] | None:
    """(dimension, value) every query of this user is limited to, or None for scope all."""
    if principal.scope_kind == "all":
        return None
    if principal.scope_kind not in SCOPE_DIMENSIONS or not principal.scope_value:
        # A scope this code does not know must never widen into "all".
        raise OutOfScopeError(f"unknown scope {principal.scope_kind!r}")
    return SCOPE_DIMENSIONS[principal.scope_kind], principal.scope_value


def scoped_where(principal: Principal, definitions: Sequence[MetricDefinition],
                 where: Mapping[str, Sequence[str]]) -> dict[str, list[str]] | None:
    """`where` with the user's scope forced in; None when the request asks only for values
    outside the scope (the answer is then no rows)."""
    limited = {dim: list(values) for dim, values in where.items()}
    scope = scope_filter(principal)
    if scope is None:
        return limited
    dim, value = scope
    unfilterable = [d.id for d in definitions if dim not in d.dimensions]
    if unfilterable:
        raise OutOfScopeError(
            f"{', '.join(unfilterable)} cannot be limited to your scope "
            f"({principal.scope_kind}={value}): its data has no {dim} dimension")
    if dim in limited and value not in limited[dim]:
        return None
    limited[dim] = [value]
    return limited
