"""`cxpm spc FILE.csv`: a control chart of a plain series, with Western Electric signals."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from cxpm.cli.common import (
    FormatOption,
    SummaryFormat,
    console,
    format_value,
    print_json,
    render_rows,
)

if TYPE_CHECKING:
    from cxpm.review.spc import ControlChart


class Chart(StrEnum):
    xmr = "xmr"
    p = "p"
    laney_p = "laney-p"


CHART_NAMES = {"xmr": "XmR", "p": "p", "laney-p": "Laney p′"}
PROPORTION_CHARTS = ("p", "laney-p")


def spc_cmd(
    file: Annotated[Path, typer.Argument(
        metavar="FILE.csv", help="CSV with header columns period,value[,denominator], in "
        "time order.")],
    chart: Annotated[Chart, typer.Option(
        "--chart", case_sensitive=False,
        help="xmr: individuals and moving range; p: proportions (values 0..1) with a "
        "denominator per period; laney-p: Laney p′, a p-chart whose limits are widened by "
        "sigma_z for busy series that vary more than a binomial (when a p-chart flags "
        "nearly every point).")],
    baseline: Annotated[int | None, typer.Option(
        "--baseline", help="Compute the centre and limits (and laney-p's sigma_z) from the "
        "first N points only (default: all points).")] = None,
    format: FormatOption = SummaryFormat.table,
) -> None:
    """Control chart of a series: centre, limits and the rule signals of every point
    (we1-we4: Western Electric rules, trend: 6 in a row rising or falling)."""
    from cxpm.review.spc import control_chart, read_series_csv

    periods, values, denominators = read_series_csv(file)
    result = control_chart(periods, values, chart=chart.value, denominators=denominators,
                           baseline=baseline)
    if format is SummaryFormat.json:
        print_json(result.contract())
        return
    unit = "ratio" if result.chart in PROPORTION_CHARTS else None
    rows = [{"period": p.period, "value": p.value, "lcl": p.lcl, "ucl": p.ucl,
             "signals": Text(', '.join(p.signals), style="red") if p.signals else ""}
            for p in result.points]
    console.print(render_rows(rows, units={"value": unit, "lcl": unit, "ucl": unit} if unit
                              else None))
    console.print(_summary(result))


def _summary(result: ControlChart) -> str:
    unit = "ratio" if result.chart in PROPORTION_CHARTS else None
    points = len(result.points)
    limits = ("all points" if result.baseline == points
              else f"the first {result.baseline} of {points} points")
    flagged = [p for p in result.points if p.signals]
    spread = ("" if result.moving_range is None
              else f", average moving range {format_value(result.moving_range.center)}")
    if result.sigma_z is not None:
        spread += f", sigma_z {format_value(result.sigma_z)} (p-chart limits × sigma_z)"
    line = (f"{CHART_NAMES[result.chart]} chart: centre {format_value(result.center, unit)}"
            f"{spread}, limits from {limits}; ")
    if not flagged:
        return line + "no signals (only common-cause variation)"
    return line + f"{len(flagged)} of {points} points signal: " + "; ".join(
        f"{p.period} {', '.join(p.signals)}" for p in flagged)


def register(app: typer.Typer) -> None:
    app.command("spc")(spc_cmd)
