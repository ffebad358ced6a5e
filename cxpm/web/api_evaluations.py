"""POST /api/evaluations (enter evaluations, saved through `save_evaluations` with the caller
as actor and evaluator) and GET /api/evaluations (the saved ones, within the caller's scope)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import ibis
from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cxpm.errors import CxpmError
from cxpm.qa.evaluation_io import MAX_ID_LENGTH, EvaluationInput, parse_timestamp
from cxpm.qa.evaluations import EvaluationsRejectedError, save_evaluations
from cxpm.qa.scoring import AnswerError
from cxpm.schema import get_table
from cxpm.web.api_metrics import json_ready
from cxpm.web.deps import Principal, WebState, require, web_state
from cxpm.web.pages.qa import agent_in_scope
from cxpm.web.scope import scope_filter

router = APIRouter(prefix="/api", tags=["evaluations"])

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]*$",
                                      max_length=MAX_ID_LENGTH)]
Answer = str | int | float | bool | None
MAX_EVALUATIONS = 500


class EvaluationBody(BaseModel):
    """One evaluation: the raw answer per item id of the form version (latest when
    omitted). `evaluated_at` is a workspace-local date-time, or one with an offset."""

    model_config = ConfigDict(extra="forbid")

    evaluation_id: Id
    form_id: Id
    form_version: int | None = Field(default=None, ge=1, le=999_999)
    contact_id: Id | None = None
    agent_id: Id
    evaluated_at: Annotated[str, StringConstraints(pattern=r"^[0-9T:.\-+Z ]+$", max_length=32)]
    calibration_session_id: Id | None = None
    comment: str | None = Field(default=None, max_length=2000)
    answers: dict[Annotated[str, StringConstraints(max_length=80)],
                  Annotated[Answer, Field(union_mode="left_to_right")]] = Field(
        default_factory=dict, max_length=500)


class EvaluationsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$",
                               description="Month YYYY-MM (local time); all when omitted.")


def _rejected(problems: list[str]) -> JSONResponse:
    return JSONResponse({"detail": f"{len(problems)} problem(s); nothing was saved",
                         "problems": problems}, status_code=status.HTTP_400_BAD_REQUEST)


@router.post("/evaluations", responses={
    400: {"description": "Rejected: `problems` lists every reason; nothing was saved"}})
def enter_evaluations(
        body: list[EvaluationBody],
        principal: Annotated[Principal, Depends(require("qa:evaluate"))],
        state: Annotated[WebState, Depends(web_state)]) -> JSONResponse:
    """Validate, score and save evaluations in one step (one bad evaluation saves none),
    as `cxpm qa evaluations import`; a scoped evaluator may only evaluate agents who handled
    contacts within its scope."""
    if not 1 <= len(body) <= MAX_EVALUATIONS:
        raise CxpmError(f"send between 1 and {MAX_EVALUATIONS} evaluations, got {len(body)}")
    timezone = state.workspace.timezone
    problems: list[str] = []
    evaluations: list[EvaluationInput] = []
    for item in body:
        where = f"evaluation {item.evaluation_id}"
        if not agent_in_scope(state, principal, item.agent_id):
            problems.append(f"{where}: agent {item.agent_id} is not within your scope")
        try:
            evaluated_at = parse_timestamp(item.evaluated_at, timezone, where)
        except CxpmError as exc:
            problems.append(str(exc))
            continue
        evaluations.append(EvaluationInput(
            **item.model_dump(exclude={"evaluated_at"}), evaluated_at=evaluated_at,
            evaluator_id=principal.username, origin=where))
    if problems:
        return _rejected(problems)
    try:
        with state.warehouse():  # saving also copies the evaluations to the warehouse
            summary = save_evaluations(state.workspace, evaluations, actor=principal.username)
    except (EvaluationsRejectedError, AnswerError) as exc:
        return _rejected(exc.problems)
    return JSONResponse(summary.model_dump())


def _month(period: str) -> tuple[datetime, datetime]:
    try:
        start = date.fromisoformat(period + "-01")
    except ValueError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST,
                            detail=f"period {period!r} is not a month (YYYY-MM)") from None
    end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return datetime(start.year, start.month, 1), datetime(end.year, end.month, 1)


@router.get("/evaluations")
def evaluations(query: Annotated[EvaluationsQuery, Query()],
                principal: Annotated[Principal, Depends(require("qa:read"))],
                state: Annotated[WebState, Depends(web_state)]) -> JSONResponse:
    """Saved evaluations (of the month, by local time), oldest first; a scoped user sees
    only evaluations of agents within its scope (an agent: its own)."""
    columns = get_table("evaluations").column_names
    with state.warehouse():
        tables = state.workspace.warehouse.tables()
        table = tables["evaluations"]
        if query.period:
            start, end = _month(query.period)
            table = table.filter((table.local_time >= ibis.literal(start))
                                 & (table.local_time < ibis.literal(end)))
        scope = scope_filter(principal)
        if scope is not None:
            dim, value = scope
            if dim == "agent_id":
                table = table.filter(table.agent_id == ibis.literal(value))
            else:
                contacts = tables["contacts"]
                agents = contacts.filter(contacts[dim] == ibis.literal(value)).agent_id
                table = table.filter(table.agent_id.isin(agents))
        rows: list[dict[str, Any]] = (table.select(*columns)
                                      .order_by(["evaluated_at", "evaluation_id"])
                                      .to_pyarrow().to_pylist())
    return JSONResponse(json_ready(jsonable_encoder(rows)))
