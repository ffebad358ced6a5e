"""Journey flows: how many journeys go from one step to the next (Sankey data)."""

from __future__ import annotations

from collections.abc import Mapping

import ibis.expr.types as ir
from pydantic import BaseModel

from cxpm.journeys.selection import journey_order, outcome, select_journeys, step_label


class Flow(BaseModel):
    """Journeys moving from step label `source` to step label `target`, `count` times."""

    source: str
    target: str
    count: int


class StepFlow(BaseModel):
    """A flow that also knows the positions: from step `source_step` to `target_step` (None
    when the target is an outcome, "end" or "abandoned")."""

    source: str
    source_step: int
    target: str
    target_step: int | None
    count: int


def _transitions(tables: Mapping[str, ir.Table], period: str | None) -> ir.Table:
    """One row per step: its label and position, and the next step's (or the outcome)."""
    _, steps = select_journeys(tables, period)
    order = journey_order(steps)
    steps = steps.mutate(label=step_label(steps), position=steps.step.cast("int64"))
    steps = steps.mutate(next_label=steps.label.lead().over(order),
                         next_position=steps.position.lead().over(order),
                         outcome=outcome(steps))
    return steps.select(
        "journey_id", "label", "position", "next_position",
        target=steps.next_label.fill_null(steps.outcome))


def journey_flows(tables: Mapping[str, ir.Table], period: str | None = None) -> list[Flow]:
    """Consecutive steps of every journey (started in `period`, YYYY-MM, when given) counted
    per label pair; each journey's last step flows to "abandoned" when it was abandoned,
    else to "end". Largest flows first."""
    rows = _transitions(tables, period)
    counts = rows.group_by(source=rows.label, target=rows.target).aggregate(count=rows.count())
    records = counts.to_pyarrow().to_pylist()
    records.sort(key=lambda r: (-r["count"], r["source"], r["target"]))
    return [Flow(**r) for r in records]


def step_flows(tables: Mapping[str, ir.Table], period: str | None = None) -> list[StepFlow]:
    """Like `journey_flows`, but split by step position, so a loop (a step followed by a step
    with the same label) becomes two distinct nodes: what a Sankey diagram needs."""
    rows = _transitions(tables, period)
    counts = rows.group_by(source=rows.label, source_step=rows.position, target=rows.target,
                           target_step=rows.next_position).aggregate(count=rows.count())
    records = counts.to_pyarrow().to_pylist()
    records.sort(key=lambda r: (-r["count"], r["source_step"], r["source"], r["target"]))
    return [StepFlow(**r) for r in records]
