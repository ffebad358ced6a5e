"""`cxpm demo`: a realistic simulated operation, loaded and scored, in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from cxpm.cli.common import console, err_console, render_rows
from cxpm.cli.scorecard_cmd import print_scorecard

DEFAULT_DEMO_FOLDER = Path("cxpm-demo")


def demo(
    workspace: Annotated[Path, typer.Option(
        "--workspace", "-w", help="Folder for the demo workspace (re-created on each run).")]
    = DEFAULT_DEMO_FOLDER,
    days: Annotated[int, typer.Option("--days", help="Days of operation to simulate.")] = 90,
    scale: Annotated[float, typer.Option(
        "--scale", help="Volume multiplier (1 ≈ 3,000 contacts a day).")] = 1.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same data).")]
    = 7,
    no_serve: Annotated[bool, typer.Option(
        "--no-serve", help="Do not start the web app afterwards.")] = False,
    port: Annotated[int, typer.Option(
        "--port", min=1, max=65535, help="Port of the web app (127.0.0.1 only).")] = 8000,
) -> None:
    """Simulate a contact-center operation, load it through ingest (evaluations through
    cxpm qa, scored with the demo's forms) and show the scorecard."""
    from cxpm.demo.build import build_demo
    from cxpm.scorecard import build_scorecard
    from cxpm.targets.store import list_targets

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True,
                  disable=not err_console.is_terminal) as bar:
        task = bar.add_task("simulating", total=1.0)
        ws, result = build_demo(
            workspace, days=days, scale=scale, seed=seed,
            progress=lambda step, done: bar.update(task, description=step, completed=done))
    console.print(f"Demo workspace: [bold]{result.workspace}[/bold] "
                  f"(simulated in {result.simulate_seconds:.1f} s, "
                  f"loaded in {result.load_seconds:.1f} s)")
    console.print(render_rows([s.model_dump() for s in result.summaries],
                              ["table", "read", "loaded", "quarantined", "duplicates"],
                              title="Loaded through ingest"))
    quality = result.quality
    sessions = quality.calibration_sessions
    console.print(f"Quality: forms {', '.join(quality.forms)}; {quality.evaluations:,} "
                  f"evaluations scored item by item ({quality.bot_evaluations:,} of bots)"
                  + (f"; calibration sessions {', '.join(sessions)} (expert "
                     f"{quality.expert_id})" if sessions else ""), highlight=False)
    console.print(f"Targets: {result.targets} set from illustrative benchmarks; "
                  f"{result.actions} corrective actions under way", highlight=False)
    console.print(f"Journeys: {result.journeys:,} built from {result.journey_steps:,} contact "
                  "segments (a bot intent and a transfer loop are planted as friction)",
                  highlight=False)
    card = build_scorecard(ws.warehouse.tables(), params=ws.metric_params(),
                           catalog=ws.metric_catalog(), targets=list_targets(ws))
    ws.close()
    print_scorecard(card)
    folder = result.workspace
    console.print("\n[bold]Next steps[/bold]")
    for line in (
        f"cxpm scorecard --workspace {folder} --by program",
        f"cxpm metrics compute --workspace {folder} --by channel --grain month",
        f"cxpm metrics explain service_level --workspace {folder}",
        f"cxpm quarantine list --workspace {folder}",
        f"cxpm review --workspace {folder} --by program",
        f"cxpm review drill --workspace {folder} --metric service_level "
        f"--where program=telecom --period {card.period} --by queue",
        f"cxpm actions list --workspace {folder}",
        f"cxpm report monthly --workspace {folder} --output monthly-report.html",
        f"cxpm qa report --workspace {folder} --by site",
        f"cxpm journeys friction --workspace {folder} --by reason",
        f"cxpm journeys map --workspace {folder} --output journeys.html",
        *([f"cxpm qa calibration report {sessions[-1]} --workspace {folder}"]
          if sessions else []),
        "docs/quickstart.md explains loading your own exports (cxpm init, cxpm ingest).",
    ):
        console.print(f"  {line}", highlight=False)
    console.print("\n[bold]Logins[/bold] (also in "
                  f"{folder / 'demo-login.txt'})", highlight=False)
    for login in result.logins:
        scope = f", {login.scope}" if login.scope else ""
        console.print(f"  {login.username} ({login.role}{scope}): password {login.password}",
                      highlight=False, markup=False)
    if not no_serve:
        from cxpm.cli.serve_cmd import serve

        console.print(f"\nOpen http://127.0.0.1:{port} and log in (Ctrl+C stops the server; "
                      "--no-serve skips it).", highlight=False)
        serve(host="127.0.0.1", port=port, workspace=folder)


def register(app: typer.Typer) -> None:
    app.command()(demo)
