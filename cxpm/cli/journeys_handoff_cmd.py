"""`cxpm journeys handoffs`: the handle-time effect of bot-to-agent hand-offs."""

from __future__ import annotations

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


def handoffs(
    period: Annotated[str | None, typer.Option(
        "--period", help="Journeys starting in this month (YYYY-MM); all when omitted.")]
    = None,
    by: Annotated[list[str], typer.Option(
        "--by", help="Split by the agent step's queue, program, site, vendor, channel or "
        "reason (repeatable; default queue).")] = [],  # noqa: B006
    format: FormatOption = SummaryFormat.table,
    workspace: WorkspaceOption = None,
) -> None:
    """Do agents take longer over contacts a bot passed on than over direct ones? AHT of
    hand-off segments against direct contacts, and the extra handle time."""
    from cxpm.journeys.handoff import handoff_effect
    from cxpm.journeys.selection import journey_tables

    ws = workspace_from(workspace)
    effects = handoff_effect(journey_tables(ws.warehouse), period=period,
                             by=tuple(by) or ("queue",))
    if format is SummaryFormat.json:
        print_json([e.model_dump() for e in effects])
        return
    if not effects:
        console.print("no bot-to-agent hand-offs in these journeys")
        return
    console.print(render_rows([{
        **e.dimensions, "hand-offs": e.handoffs, "AHT after bot (s)": e.handoff_aht_s,
        "direct": e.direct, "AHT direct (s)": e.direct_aht_s, "effect (s)": e.effect_s,
        "extra handle (h)": None if e.extra_handle_s is None else e.extra_handle_s / 3600}
        for e in effects], title="Bot-to-agent hand-offs: handle-time effect"))


def register(journeys_app: typer.Typer) -> None:
    journeys_app.command("handoffs")(handoffs)
