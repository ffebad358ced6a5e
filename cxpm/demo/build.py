"""Build the demo workspace: simulate an operation, load it through the normal ingest,
import its evaluation forms and item-level evaluations through cxpm qa, set its targets and
actions, and build its journeys (so journey metrics, friction, flows and the map work right
away)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from cxpm.config import CONFIG_FILE
from cxpm.demo.users import DemoLogin
from cxpm.errors import CxpmError
from cxpm.ingest import IngestSummary, ingest
from cxpm.workspace import Workspace, init_workspace

DEMO_MARKER = ".cxpm-demo"
DEMO_TIMEZONE = "America/New_York"
# Load order: reference data first, facts after (no table depends on another at ingest,
# but this reads naturally in the summary).
LOAD_ORDER = ("roster", "training", "schedules", "agent_states", "forecasts", "contacts",
              "surveys", "costs")
# Evaluations are not ingested: they are answers to forms, scored by cxpm qa.
QA_FILE = "evaluations"
DEMO_ACTOR = "cxpm demo"


class QualitySummary(BaseModel):
    """What the demo imported through cxpm qa."""

    forms: list[str]  # "voice@1"
    evaluations: int
    bot_evaluations: int
    calibration_sessions: list[str]
    expert_id: str
    seconds: float


class DemoResult(BaseModel):
    workspace: Path
    files: dict[str, list[Path]]  # what the simulation wrote under raw/
    summaries: list[IngestSummary]
    quality: QualitySummary
    targets: int  # targets set up, as a team would have (cxpm.demo.targets)
    logins: list[DemoLogin]  # web app users (cxpm.demo.users)
    actions: int  # corrective actions under way
    journeys: int  # journeys built from the loaded contacts (cxpm journeys build --full)
    journey_steps: int
    simulate_seconds: float
    load_seconds: float  # ingest, the quality import, targets and the journeys build


def _prepare_folder(path: Path) -> None:
    """Re-use a previous demo workspace; refuse to touch any other non-empty folder."""
    if not path.exists():
        return
    if (path / DEMO_MARKER).exists():
        shutil.rmtree(path)
        return
    if (path / CONFIG_FILE).exists() or any(path.iterdir()):
        raise CxpmError(
            f"{path} exists and is not a demo workspace; choose another --workspace"
        )


def build_demo(path: Path, *, days: int = 90, scale: float = 1.0, seed: int = 7,
               progress: Callable[[str, float], None] | None = None) -> tuple[Workspace,
                                                                              DemoResult]:
    """Create (or re-create) a demo workspace at `path` and load a simulated operation."""
    from cxpm.demo import simulate_operation

    if days < 1:
        raise CxpmError("--days must be at least 1")
    if scale <= 0:
        raise CxpmError("--scale must be greater than 0")
    path = path.expanduser().resolve()
    _prepare_folder(path)
    workspace = init_workspace(path, DEMO_TIMEZONE)
    (path / DEMO_MARKER).write_text("created by `cxpm demo`; safe to delete\n")
    started = time.perf_counter()
    files = simulate_operation(workspace.raw_dir, days=days, scale=scale, seed=seed,
                               timezone=DEMO_TIMEZONE, progress=progress)
    simulated = time.perf_counter()
    summaries = []
    tables = [t for t in LOAD_ORDER if t in files] + [
        t for t in files if t not in LOAD_ORDER and t != QA_FILE]
    for index, table in enumerate(tables):
        if progress:
            progress(f"loading {table}", index / (len(tables) + 1))
        summaries.append(ingest(workspace, table, files[table]))
    if progress:
        progress("scoring quality evaluations", len(tables) / (len(tables) + 1))
    quality = import_quality(workspace, files[QA_FILE][0])
    from cxpm.demo.simulate import DEFAULT_END_DATE
    from cxpm.demo.targets import seed_targets_and_actions

    targets, actions = seed_targets_and_actions(workspace, DEFAULT_END_DATE)
    from cxpm.demo.technology import seed_technologies

    seed_technologies(workspace, DEFAULT_END_DATE, DEMO_ACTOR)
    if progress:
        progress("building journeys", (len(tables) + 0.5) / (len(tables) + 1))
    from cxpm.journeys.build import build_journeys

    journeys = build_journeys(workspace, full=True)
    from cxpm.demo.operation import IN_HOUSE, SITES
    from cxpm.demo.users import create_demo_users

    outsourced = next(site.vendor for site in SITES if site.vendor != IN_HOUSE)
    logins = create_demo_users(workspace, outsourced, actor=DEMO_ACTOR)
    if progress:
        progress("loaded", 1.0)
    loaded = time.perf_counter()
    return workspace, DemoResult(workspace=path, files=files, summaries=summaries,
                                 quality=quality, targets=targets, actions=actions,
                                 logins=logins,
                                 journeys=journeys.journeys, journey_steps=journeys.steps,
                                 simulate_seconds=simulated - started,
                                 load_seconds=loaded - simulated)


def import_quality(workspace: Workspace, evaluations_file: Path) -> QualitySummary:
    """The demo's forms, its calibration sessions (with their expert) and its evaluations,
    through the same library calls as `cxpm qa forms import` and `cxpm qa evaluations
    import`: every evaluation is validated against its form and scored on the way in."""
    from cxpm.demo.answers import demo_forms
    from cxpm.demo.quality import EXPERT, session_title
    from cxpm.qa.calibration import save_session
    from cxpm.qa.evaluation_io import read_evaluations
    from cxpm.qa.evaluations import save_evaluations
    from cxpm.qa.form_store import save_form

    started = time.perf_counter()
    forms = [save_form(workspace, form, actor=DEMO_ACTOR).form
             for form in demo_forms().values()]
    evaluations = read_evaluations(evaluations_file, workspace.timezone)
    sessions = sorted({e.calibration_session_id for e in evaluations
                       if e.calibration_session_id})
    for session in sessions:
        save_session(workspace, session, actor=DEMO_ACTOR, title=session_title(session),
                     expert_id=EXPERT)
    saved = save_evaluations(workspace, evaluations, actor=DEMO_ACTOR)
    bot_forms = {f.id for f in demo_forms().values() if f.applies_to == ["bot"]}
    return QualitySummary(
        forms=[f"{f.form_id}@{f.version}" for f in forms], evaluations=saved.saved,
        bot_evaluations=sum(e.form_id in bot_forms for e in evaluations),
        calibration_sessions=sessions, expert_id=EXPERT,
        seconds=time.perf_counter() - started)
