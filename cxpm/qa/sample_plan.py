"""Drawing the month's evaluation sample from a workspace: handled contacts not yet evaluated,
stratified per agent or bot by channel and day part, dealt out evenly to evaluators."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

import ibis.expr.types as ir
import polars as pl
from pydantic import BaseModel, ConfigDict

from cxpm.errors import CxpmError
from cxpm.qa.sampling import assign_evaluators, draw_sample
from cxpm.schema import LOCAL_TIME_COLUMN
from cxpm.scorecard import month_end, parse_period

RECENT_EVALUATOR_DAYS = 92


class SamplePlan(BaseModel):
    """The drawn sample (with evaluator_id) and, per agent or bot, how many contacts were
    available, required and drawn."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    period: str
    evaluators: list[str]
    assignments: pl.DataFrame
    summary: pl.DataFrame


def candidate_contacts(tables: Mapping[str, ir.Table], period: str) -> pl.DataFrame:
    """Handled inbound segments of the month (agent or bot, as the `handled` metric counts
    them) whose contact has no evaluation yet."""
    first = parse_period(period)
    start = first
    end = month_end(first) + timedelta(days=1)
    contacts = tables["contacts"]
    evaluated = tables["evaluations"].filter(
        tables["evaluations"].contact_id.notnull()).select("contact_id").distinct()
    local = contacts[LOCAL_TIME_COLUMN]
    rows = contacts.filter(
        local >= start, local < end, contacts.answered_at.notnull(),
        contacts.agent_id.notnull(), contacts.direction.fill_null("inbound") != "outbound")
    rows = rows.anti_join(evaluated, "contact_id")
    selected = rows.select("contact_id", subject_id=rows.agent_id, handled_by=rows.handled_by,
                           channel=rows.channel.fill_null("unknown"),
                           local_time=rows[LOCAL_TIME_COLUMN])
    return pl.from_arrow(selected.to_pyarrow())


def recent_evaluators(tables: Mapping[str, ir.Table], period: str) -> list[str]:
    """Evaluators who evaluated in the three months up to the end of `period`."""
    end = month_end(parse_period(period)) + timedelta(days=1)
    evaluations = tables["evaluations"]
    local = evaluations[LOCAL_TIME_COLUMN]
    recent = evaluations.filter(local < end, local >= end - timedelta(days=RECENT_EVALUATOR_DAYS),
                                evaluations.evaluator_id.notnull(),
                                evaluations.calibration_session_id.isnull())
    names = recent.select("evaluator_id").distinct().to_pyarrow()["evaluator_id"].to_pylist()
    return sorted(names)


def plan_sample(tables: Mapping[str, ir.Table], *, period: str,
                per_agent: int | None = None, margin: float | None = None,
                confidence: float = 0.95, expected_rate: float = 0.5, seed: int = 0,
                evaluators: Sequence[str] = ()) -> SamplePlan:
    """Draw the sample of `period` (YYYY-MM): `per_agent` contacts per agent or bot, or as
    many as a `margin` at `confidence` needs; the same inputs and seed give the same sample.
    Without `evaluators`, those who evaluated in the last three months share the work."""
    if (per_agent is None) == (margin is None):
        raise CxpmError("give either --per-agent N or --margin E")
    candidates = candidate_contacts(tables, period)
    if candidates.is_empty():
        raise CxpmError(f"no handled contacts without an evaluation in {period}")
    chosen = list(evaluators) or recent_evaluators(tables, period)
    if not chosen:
        raise CxpmError("no evaluators: name them with --evaluators (none evaluated in the "
                        "last three months)")
    draw = draw_sample(candidates, per_subject=per_agent, margin=margin,
                       confidence=confidence, expected_rate=expected_rate, seed=seed)
    assignments = assign_evaluators(draw.sample, chosen, seed=seed)
    return SamplePlan(period=period, evaluators=chosen, assignments=assignments,
                      summary=draw.summary)
