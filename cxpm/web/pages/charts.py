"""The metric page's trend chart (Vega-Lite, built with Altair like the report's charts)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt

from cxpm.reports.charts import INK, LINE, value_format


def trend_spec(records: Sequence[dict[str, Any]], unit: str, by: str | None, *,
               width: int = 900, height: int = 220) -> dict[str, Any]:
    """Value per period, one line per group of `by` (or one line)."""
    rows = [{"period": r["period_start"][:10], "value": r["value"],
             "group": str(r.get(by)) if by else "all"} for r in records]
    fmt = value_format(unit)
    # Ticks on the periods themselves (read as UTC dates, as the report's control charts),
    # at most about eight of them, counted back from the latest.
    periods = sorted({row["period"] for row in rows})
    step = max(1, math.ceil(len(periods) / 8))
    ticks = [alt.DateTime(year=int(p[:4]), month=int(p[5:7]), date=int(p[8:10]), utc=True)
             for p in periods[::-1][::step]]
    color = (alt.Color("group:N", title=by, legend=alt.Legend(orient="bottom"))
             if by else alt.value(LINE))
    chart = alt.Chart(alt.Data(values=rows)).mark_line(point=True, strokeWidth=1.6).encode(
        x=alt.X("period:T", timeUnit="utcyearmonthdate", title=None,
                axis=alt.Axis(format="%b %d", labelAngle=0, grid=False, values=ticks)),
        y=alt.Y("value:Q", title=None, axis=alt.Axis(format=fmt),
                scale=alt.Scale(zero=False)),
        color=color,
        tooltip=[alt.Tooltip("period:T", timeUnit="utcyearmonthdate", format="%Y-%m-%d",
                             title="period starting"),
                 alt.Tooltip("group:N", title=by or "scope"),
                 alt.Tooltip("value:Q", format=fmt)])
    return chart.properties(width=width, height=height).configure(
        view={"stroke": None}, font="Helvetica, Arial, sans-serif",
        axis={"labelColor": INK, "gridColor": "#e4e7eb", "labelFontSize": 10}).to_dict()
