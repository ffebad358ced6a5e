"""/qa/evaluations/new — enter one evaluation with a chosen form version: the fields come
from the form definition, problems are shown beside the items, and it is saved through
`save_evaluations` with the user as actor and evaluator."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import ibis
from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from cxpm.errors import CxpmError
from cxpm.qa.evaluation_io import EvaluationInput, parse_timestamp
from cxpm.qa.evaluations import EvaluationsRejectedError, save_evaluations
from cxpm.qa.form_store import FormVersionInfo, get_form, list_forms
from cxpm.qa.forms import Form
from cxpm.qa.scoring import AnswerError
from cxpm.web.deps import Principal, WebState, web_state
from cxpm.web.pages.common import PageError, csrf_checked, page_require, render
from cxpm.web.scope import scope_filter

router = APIRouter(include_in_schema=False)
NAV = ((40, "QA entry", "/qa/evaluations/new", "qa:evaluate"),)

ITEM_PREFIX = "item:"
_ITEM_PROBLEM = re.compile(r"item ([a-z0-9][a-z0-9_-]*): (.+)$")
_FIELD_MAX = 200
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]*$"


class FormRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    form: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]*@[0-9]{1,6}$")
    saved: str | None = Field(default=None, pattern=_ID_PATTERN, max_length=_FIELD_MAX)


def _choose(forms: list[FormVersionInfo], ref: str | None) -> FormVersionInfo | None:
    if ref is None:
        latest = {f.form_id: f for f in forms}  # listed by id then version: the last wins
        return next(iter(latest.values()), None)
    return next((f for f in forms if f"{f.form_id}@{f.version}" == ref), None)


def agent_in_scope(state: WebState, principal: Principal, agent_id: str) -> bool:
    """A scoped evaluator may only evaluate agents who handled contacts within its scope."""
    scope = scope_filter(principal)
    if scope is None:
        return True
    dim, value = scope
    with state.warehouse():
        contacts = state.workspace.warehouse.tables()["contacts"]
        hits = contacts.filter((contacts.agent_id == ibis.literal(agent_id))
                               & (contacts[dim] == ibis.literal(value))).count().to_pyarrow()
    return bool(hits.as_py())


def _page(request: Request, principal: Principal, state: WebState,
          chosen: FormVersionInfo | None, *, values: dict[str, Any] | None = None,
          problems: dict[str, list[str]] | None = None, error: str | None = None,
          saved: str | None = None, status_code: int = 200) -> HTMLResponse:
    forms = list_forms(state.workspace)
    form: Form | None = None
    if chosen is not None:
        form, _ = get_form(state.workspace, chosen.form_id, chosen.version)
    local_now = datetime.now(ZoneInfo(state.workspace.timezone))
    defaults = {"evaluation_id": f"web-{secrets.token_hex(6)}",
                "evaluated_at": local_now.strftime("%Y-%m-%dT%H:%M")}
    return render(request, "qa_new.html", principal, status_code=status_code, forms=forms,
                  chosen=chosen, form=form, values={**defaults, **(values or {})},
                  problems=problems or {}, error=error, saved=saved,
                  item_prefix=ITEM_PREFIX, timezone=state.workspace.timezone)


@router.get("/qa/evaluations/new", response_class=HTMLResponse)
def new_evaluation(request: Request, query: Annotated[FormRef, Query()],
                   principal: Annotated[Principal, Depends(page_require("qa:evaluate"))],
                   state: Annotated[WebState, Depends(web_state)]) -> HTMLResponse:
    chosen = _choose(list_forms(state.workspace), query.form)
    if query.form and chosen is None:
        raise PageError(status.HTTP_404_NOT_FOUND, f"No form version {query.form}.")
    return _page(request, principal, state, chosen, saved=query.saved)


def _split_problems(problems: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    by_item: dict[str, list[str]] = {}
    general: list[str] = []
    for problem in problems:
        found = _ITEM_PROBLEM.search(problem)
        if found:
            by_item.setdefault(found.group(1), []).append(found.group(2))
        else:
            general.append(problem.removeprefix("entry: "))
    return by_item, general


@router.post("/qa/evaluations", dependencies=[Depends(csrf_checked)])
async def save_evaluation(
        request: Request,
        principal: Annotated[Principal, Depends(page_require("qa:evaluate"))],
        state: Annotated[WebState, Depends(web_state)]) -> Response:
    data = await request.form()
    text = {k: v.strip() for k, v in data.items() if isinstance(v, str)}
    if any(len(v) > 2000 for v in text.values()) or len(text) > 500:
        raise PageError(status.HTTP_400_BAD_REQUEST, "The form is too large.")
    # Database and warehouse work off the event loop, as for the other (sync) routes.
    return await run_in_threadpool(_save, request, principal, state, text)


def _save(request: Request, principal: Principal, state: WebState,
          text: dict[str, str]) -> Response:
    chosen = _choose(list_forms(state.workspace), text.get("form")) if text.get("form") else None
    if chosen is None:
        raise PageError(status.HTTP_404_NOT_FOUND, f"No form version {text.get('form')!r}.")
    answers = {k.removeprefix(ITEM_PREFIX): v for k, v in text.items()
               if k.startswith(ITEM_PREFIX) and v}
    general: list[str] = []
    by_item: dict[str, list[str]] = {}
    evaluation_id = text.get("evaluation_id", "")
    agent_id = text.get("agent_id", "")
    if not re.fullmatch(_ID_PATTERN, evaluation_id) or len(evaluation_id) > _FIELD_MAX:
        general.append("evaluation id: letters, digits and . _ : @ - only")
    if not agent_id or len(agent_id) > _FIELD_MAX:
        general.append("agent: required")
    elif not agent_in_scope(state, principal, agent_id):
        general.append(f"agent {agent_id}: not within your scope")
    try:
        evaluated_at = parse_timestamp(text.get("evaluated_at", ""), state.workspace.timezone,
                                       "evaluated at")
    except CxpmError as exc:
        general.append(str(exc))
        evaluated_at = None
    if not general and evaluated_at is not None:
        evaluation = EvaluationInput(
            evaluation_id=evaluation_id, form_id=chosen.form_id,
            form_version=chosen.version, contact_id=text.get("contact_id") or None,
            agent_id=agent_id, evaluator_id=principal.username, evaluated_at=evaluated_at,
            comment=text.get("comment") or None, answers=answers, origin="entry")
        try:
            with state.warehouse():  # saving also copies the evaluation to the warehouse
                save_evaluations(state.workspace, [evaluation], actor=principal.username)
        except (EvaluationsRejectedError, AnswerError) as exc:
            by_item, general = _split_problems(exc.problems)
        except CxpmError as exc:
            general = [str(exc)]
        else:
            return RedirectResponse(
                f"/qa/evaluations/new?form={chosen.form_id}@{chosen.version}"
                f"&saved={evaluation_id}", status_code=status.HTTP_303_SEE_OTHER)
    return _page(request, principal, state, chosen, values=text, problems=by_item,
                 error="; ".join(general) or "Some answers need attention.",
                 status_code=status.HTTP_400_BAD_REQUEST)
