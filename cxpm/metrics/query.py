"""One metric query as the CLI and the web API both run it: defaults, time bounds, the
workspace's catalog and parameters, then the engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

import pyarrow as pa

from cxpm.errors import CxpmError
from cxpm.workspace import Workspace

DEFAULT_COMPUTE_METRICS = ("offered", "handled", "abandonment_rate", "service_level", "asa",
                           "aht")
_LAST_YEAR = 9999


def parse_when(text: str | None, option: str) -> date | datetime | None:
    """A --from/--to value: YYYY-MM-DD, or a local date and time."""
    if text is None:
        return None
    try:
        value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        raise CxpmError(f"{option} expects YYYY-MM-DD or YYYY-MM-DDTHH:MM, got {text!r}") from None
    # The engine adds a day to an inclusive end date: 9999-12-31 has no next day.
    if value.year >= _LAST_YEAR:
        raise CxpmError(f"{option} must be before the year {_LAST_YEAR}, got {text!r}")
    return value


def compute_query(workspace: Workspace, metrics: Sequence[str], *, by: Sequence[str] = (),
                  grain: str = "all", interval_minutes: int = 30,
                  start: date | datetime | None = None, end: date | datetime | None = None,
                  where: Mapping[str, Sequence[str]] | None = None,
                  param_overrides: Sequence[str] = ()) -> pa.Table:
    """The engine's long table for `metrics` (the default set when empty) over the
    workspace's warehouse, catalog and parameters (`param_overrides` as K=V)."""
    from cxpm.metrics.engine import compute

    return compute(
        workspace.warehouse.tables(), list(metrics or DEFAULT_COMPUTE_METRICS), by=list(by),
        grain=grain, interval_minutes=interval_minutes, start=start, end=end,
        where=where or {}, params=workspace.metric_params(param_overrides),
        catalog=workspace.metric_catalog())
