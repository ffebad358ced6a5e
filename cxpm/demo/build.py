"""Build the demo workspace: simulate an operation, then load it through the normal ingest."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from cxpm.config import CONFIG_FILE
from cxpm.errors import CxpmError
from cxpm.ingest import IngestSummary, ingest
from cxpm.workspace import Workspace, init_workspace

DEMO_MARKER = ".cxpm-demo"
DEMO_TIMEZONE = "America/New_York"
# Load order: reference data first, facts after (no table depends on another at ingest,
# but this reads naturally in the summary).
LOAD_ORDER = ("roster", "training", "schedules", "agent_states", "forecasts", "contacts",
              "evaluations", "surveys", "costs")


class DemoResult(BaseModel):
    workspace: Path
    summaries: list[IngestSummary]
    simulate_seconds: float
    load_seconds: float


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
    tables = [t for t in LOAD_ORDER if t in files] + [t for t in files if t not in LOAD_ORDER]
    for index, table in enumerate(tables):
        if progress:
            progress(f"loading {table}", index / len(tables))
        summaries.append(ingest(workspace, table, files[table]))
    if progress:
        progress("loaded", 1.0)
    loaded = time.perf_counter()
    return workspace, DemoResult(workspace=path, summaries=summaries,
                                 simulate_seconds=simulated - started,
                                 load_seconds=loaded - simulated)
