"""`cxpm wfm intraday`: one day, interval by interval, forecast vs actual and staffing."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from cxpm.cli.common import (
    FormatOption,
    SummaryFormat,
    WorkspaceOption,
    console,
    print_json,
    render_rows,
    workspace_from,
)
from cxpm.errors import CxpmError
from cxpm.wfm.intraday import intraday

wfm_app = typer.Typer(help="Workforce management views.", no_args_is_help=True)

# Short headers so the table fits a terminal; --format json has the full names.
_HEADERS = {"interval_start": "interval", "forecast_volume": "fc vol",
            "actual_volume": "vol", "forecast_aht_s": "fc AHT s", "actual_aht_s": "AHT s",
            "required_agents": "required", "scheduled_agents": "scheduled",
            "logged_in_agents": "logged in", "service_level": "SL"}


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CxpmError(f"--date expects YYYY-MM-DD, got {text!r}") from None


@wfm_app.command("intraday")
def intraday_command(
    day: Annotated[str, typer.Option("--date", help="Local day, YYYY-MM-DD.",
                                     show_default=False)],
    queue: Annotated[str | None, typer.Option("--queue", help="One queue (default: all "
                                              "queues summed per interval).")] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", help="Override a metric parameter, KEY=VALUE (repeatable).")] = None,
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Per interval: forecast vs actual volume and AHT, required vs scheduled vs logged-in
    agents, and service level."""
    when = _day(day)
    ws = workspace_from(workspace)
    table = intraday(ws.warehouse.tables(), when, queue=queue,
                     params=ws.metric_params(param or []))
    records = table.to_pylist()
    if format == SummaryFormat.json:
        print_json(records)  # interval_start as local ISO 8601 text
        return
    title = f"Intraday {when.isoformat()}" + (f", queue {queue}" if queue else ", all queues")
    shown = [{_HEADERS[k]: (v.strftime("%H:%M") if k == "interval_start" else v)
              for k, v in record.items() if k in _HEADERS} for record in records]
    console.print(render_rows(shown, list(_HEADERS.values()), title=title,
                              units={"SL": "ratio"}))


def register(app: typer.Typer) -> None:
    app.add_typer(wfm_app, name="wfm")
