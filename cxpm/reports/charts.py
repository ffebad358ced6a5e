"""Vega-Lite chart specifications (built with Altair) for the monthly report: a control
chart per charted metric and a trend sparkline per scorecard row. Data are inlined in each
spec, so a chart never fetches anything."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt

from cxpm.reports.monthly import MetricChart

# Colours shared with the page's CSS (templates/monthly.html).
INK = "#1f2933"
MUTED = "#7b8794"
LIMIT = "#9aa5b1"
SIGNAL = "#c62828"
TARGET = "#2e7d32"
LINE = "#1f5fa8"

_CONFIG = {
    "view": {"stroke": None},
    "font": "Helvetica, Arial, sans-serif",
    "axis": {"labelColor": INK, "titleColor": INK, "gridColor": "#e4e7eb",
             "domainColor": LIMIT, "tickColor": LIMIT, "labelFontSize": 10,
             "titleFontSize": 10, "titleFontWeight": "normal"},
    "legend": {"labelFontSize": 10, "titleFontSize": 10},
}


def value_format(unit: str) -> str:
    """d3 format of a metric's values on an axis or in a tooltip."""
    return ".1%" if unit == "ratio" else ",.4~r"


def control_chart_spec(chart: MetricChart, *, width: int = 520,
                       height: int = 190) -> dict[str, Any]:
    """Values, centre line, control limits (per point for p-charts), the target when there
    is one, and the points that signal a special cause in red with their rule ids."""
    rows = [{"period": p.period[:10], "value": p.value, "ucl": p.ucl, "lcl": p.lcl,
             "center": chart.center, "signal": bool(p.signals),
             "signals": ", ".join(p.signals) or "none"} for p in chart.points]
    fmt = value_format(chart.unit)
    # Periods are calendar dates: read and shown as UTC, so that a browser in another time
    # zone does not move them by a day. Ticks sit on periods, counted back from the latest so
    # that the month reviewed is always labelled, at most about eight of them.
    step = max(1, math.ceil(len(chart.points) / 8))
    ticks = [alt.DateTime(year=int(p.period[:4]), month=int(p.period[5:7]),
                          date=int(p.period[8:10]), utc=True)
             for p in chart.points[::-1][::step]]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("period:T", timeUnit="utcyearmonthdate", title=None,
                axis=alt.Axis(format="%b %d", labelAngle=0, values=ticks,
                              labelOverlap="greedy", labelSeparation=8)))
    limits = base.mark_area(color="#eef2f6").encode(
        y=alt.Y("lcl:Q", title=None, axis=alt.Axis(format=fmt),
                scale=alt.Scale(zero=False)),
        y2="ucl:Q")
    ucl = base.mark_line(color=LIMIT, strokeDash=[4, 3], strokeWidth=1).encode(y="ucl:Q")
    lcl = base.mark_line(color=LIMIT, strokeDash=[4, 3], strokeWidth=1).encode(y="lcl:Q")
    center = base.mark_line(color=MUTED, strokeWidth=1).encode(y="center:Q")
    tooltip = [alt.Tooltip("period:T", timeUnit="utcyearmonthdate", title="period starting",
                           format="%Y-%m-%d"),
               alt.Tooltip("value:Q", format=fmt), alt.Tooltip("ucl:Q", format=fmt),
               alt.Tooltip("lcl:Q", format=fmt), alt.Tooltip("signals:N")]
    line = base.mark_line(color=LINE, strokeWidth=1.6).encode(y="value:Q")
    points = base.mark_point(filled=True, size=36, opacity=1).encode(
        y="value:Q",
        color=alt.Color("signal:N", scale=alt.Scale(domain=[False, True],
                                                    range=[LINE, SIGNAL]), legend=None),
        size=alt.Size("signal:N", scale=alt.Scale(domain=[False, True], range=[22, 80]),
                      legend=None),
        tooltip=tooltip)
    labels = base.transform_filter("datum.signal").mark_text(
        dy=-10, color=SIGNAL, fontSize=9, fontWeight="bold").encode(y="value:Q",
                                                                    text="signals:N")
    layers: list[alt.Chart] = [limits, ucl, lcl, center, line, points, labels]
    if chart.target is not None:
        target = alt.Chart(alt.Data(values=[{"target": chart.target}])).mark_rule(
            color=TARGET, strokeDash=[6, 3], strokeWidth=1.4).encode(
            y="target:Q", tooltip=[alt.Tooltip("target:Q", format=fmt)])
        layers.append(target)
    layered = alt.layer(*layers).properties(width=width, height=height)
    return layered.configure(**_CONFIG).to_dict()


def sparkline_spec(values: Sequence[float | None], periods: Sequence[str], unit: str,
                   target: float | None = None, *, width: int = 84,
                   height: int = 22) -> dict[str, Any]:
    """A tiny line of the last months' values (a gap where a month has none), with the
    target as a dashed line when there is one."""
    rows = [{"period": p, "value": v} for p, v in zip(periods, values, strict=True)]
    fmt = value_format(unit)
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("period:O", axis=None, sort=None))
    line = base.mark_line(color=LINE, strokeWidth=1.5, point=alt.OverlayMarkDef(
        color=LINE, size=14)).encode(
        y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("period:O"), alt.Tooltip("value:Q", format=fmt)])
    layers: list[alt.Chart] = [line]
    if target is not None:
        layers.append(alt.Chart(alt.Data(values=[{"target": target}])).mark_rule(
            color=TARGET, strokeDash=[3, 2], strokeWidth=1).encode(y="target:Q"))
    chart = alt.layer(*layers).properties(width=width, height=height)
    return chart.configure(**{**_CONFIG, "padding": 2}).to_dict()
