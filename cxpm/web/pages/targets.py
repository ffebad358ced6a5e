"""/targets — the targets editor: every target that reaches the user's scope, as `cxpm
targets list`, and for targets:write a form to add, change and delete one through the same
functions as `cxpm targets set | delete` (cxpm.targets.store, audited with the user as actor).

Scope (docs: .notes/docs-targets-tech-pages.md): a scoped user sees the targets that apply to
its own rows — those naming its own value, and those naming no value of its dimension
(organisation-wide ones, or ones limited by other dimensions only): goals reveal no data, and
its scorecard is judged against them. Targets naming another value (another vendor's) are
neither listed nor reachable (404). It may only change targets limited to its own value; a
new target of a scoped user is always limited to it.
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxpm.errors import CxpmError, model_from_user
from cxpm.targets.model import (
    TargetInfo,
    TargetSpec,
    applies_within,
    limited_to,
    parse_month_or_date,
    parse_scope,
)
from cxpm.targets.store import delete_target, list_targets, set_target
from cxpm.users.permissions import has_permission
from cxpm.web.deps import Principal, WebState, web_state
from cxpm.web.pages.common import PageError, csrf_checked, page_require, render
from cxpm.web.scope import scope_filter

router = APIRouter(include_in_schema=False)
NAV = ((70, "Targets", "/targets", "targets:read"),)

Short = Annotated[str, Form(max_length=200)]
Number = Annotated[str, Form(max_length=40)]
Day = Annotated[str, Form(max_length=10)]
# The fields of the form besides the target's key (metric, scope, valid_from).
DETAIL_FIELDS = ("valid_to", "value", "warning", "benchmark_source", "benchmark_date",
                 "benchmark_statistic", "benchmark_value", "owner", "rationale")


def visible(principal: Principal, target: TargetInfo) -> bool:
    scope = scope_filter(principal)
    return scope is None or applies_within(target.scope, *scope)


def changeable(principal: Principal, target: TargetInfo) -> bool:
    scope = scope_filter(principal)
    return scope is None or limited_to(target.scope, *scope)


def scope_text(scope: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in sorted(scope.items()))


def _number(text: str, what: str, *, required: bool = False) -> float | None:
    text = text.strip()
    if not text:
        if required:
            raise CxpmError(f"{what} is required")
        return None
    try:
        number = float(text)
    except ValueError:
        raise CxpmError(f"{what} expects a number, got {text!r}") from None
    if not math.isfinite(number):
        raise CxpmError(f"{what} must be a finite number, got {text!r}")
    return number


def _text(text: str) -> str | None:
    return text.strip() or None


def spec_from_form(metric: str, scope: dict[str, str], valid_from: str,
                   form: dict[str, str]) -> TargetSpec:
    """A target from the form's text, parsed as `cxpm targets set` parses its options."""
    return model_from_user(
        TargetSpec,
        metric=metric, scope=scope,
        valid_from=parse_month_or_date(valid_from or "1970-01", "from"),
        valid_to=parse_month_or_date(form["valid_to"], "to") if form["valid_to"].strip()
        else None,
        value=_number(form["value"], "target value", required=True),
        warning=_number(form["warning"], "warning"),
        benchmark_source=_text(form["benchmark_source"]),
        benchmark_date=parse_month_or_date(form["benchmark_date"], "benchmark date")
        if form["benchmark_date"].strip() else None,
        benchmark_statistic=_text(form["benchmark_statistic"]),
        benchmark_value=_number(form["benchmark_value"], "benchmark value"),
        owner=_text(form["owner"]), rationale=_text(form["rationale"]))


def scope_for(principal: Principal, text: str) -> dict[str, str]:
    """The scope typed in the form; a scoped user's own value is forced onto it."""
    scope = parse_scope(text)
    forced = scope_filter(principal)
    if forced is not None:
        dim, value = forced
        if scope.setdefault(dim, value) != value:
            raise CxpmError(f"{dim}={scope[dim]} is outside your scope ({dim}={value})")
    return scope


def _visible_target(state: WebState, principal: Principal, target_id: int, *,
                    to_change: bool) -> TargetInfo:
    found = [t for t in list_targets(state.workspace) if t.id == target_id]
    if not found or not visible(principal, found[0]) or (
            to_change and not changeable(principal, found[0])):
        raise PageError(status.HTTP_404_NOT_FOUND, f"No target {target_id}.")
    return found[0]


def _metric_choices(state: WebState) -> list[tuple[str, str]]:
    catalog = state.workspace.metric_catalog()
    return [(m, catalog.get(m).title) for m in catalog.ids()
            if catalog.get(m).direction in ("higher", "lower")]


def _list_page(request: Request, principal: Principal, state: WebState, *, metric: str = "",
               error: str | None = None, notice: str | None = None,
               form: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    targets = [t for t in list_targets(state.workspace, metric or None)
               if visible(principal, t)]
    catalog = state.workspace.metric_catalog()
    can_write = has_permission(principal.role, "targets:write")
    return render(request, "targets.html", principal, status_code=status_code,
                  targets=targets, metric=metric, error=error, notice=notice,
                  form=form or {},
                  can_write=can_write, changeable={t.id for t in targets
                                                   if can_write and changeable(principal, t)},
                  titles={m: catalog.get(m).title for m in catalog.ids()},
                  units={m: catalog.get(m).unit for m in catalog.ids()},
                  metrics=_metric_choices(state), forced_scope=scope_filter(principal),
                  scope_text=scope_text)


@router.get("/targets", response_class=HTMLResponse)
def targets_page(request: Request,
                 principal: Annotated[Principal, Depends(page_require("targets:read"))],
                 state: Annotated[WebState, Depends(web_state)],
                 metric: Annotated[str, Query(max_length=64)] = "",
                 saved: Annotated[int | None, Query()] = None,
                 deleted: Annotated[int | None, Query()] = None) -> HTMLResponse:
    notice = (f"Target {saved} saved." if saved is not None
              else f"Target {deleted} deleted." if deleted is not None else None)
    return _list_page(request, principal, state, metric=metric, notice=notice)


@router.post("/targets", dependencies=[Depends(csrf_checked)])
def add_target_page(
        request: Request,
        principal: Annotated[Principal, Depends(page_require("targets:write"))],
        state: Annotated[WebState, Depends(web_state)],
        metric: Annotated[str, Form(max_length=64)] = "",
        scope: Annotated[str, Form(max_length=400)] = "",
        valid_from: Day = "", valid_to: Day = "", value: Number = "", warning: Number = "",
        benchmark_source: Short = "", benchmark_date: Day = "", benchmark_statistic: Short = "",
        benchmark_value: Number = "", owner: Annotated[str, Form(max_length=120)] = "",
        rationale: Annotated[str, Form(max_length=2000)] = "") -> Response:
    form = {"metric": metric, "scope": scope, "valid_from": valid_from, "valid_to": valid_to,
            "value": value, "warning": warning, "benchmark_source": benchmark_source,
            "benchmark_date": benchmark_date, "benchmark_statistic": benchmark_statistic,
            "benchmark_value": benchmark_value, "owner": owner, "rationale": rationale}
    try:
        spec = spec_from_form(metric, scope_for(principal, scope), valid_from, form)
        saved = set_target(state.workspace, spec, actor=principal.username)
    except CxpmError as exc:
        return _list_page(request, principal, state, error=str(exc), form=form,
                          status_code=status.HTTP_400_BAD_REQUEST)
    return RedirectResponse(f"/targets?saved={saved.id}#target-{saved.id}",
                            status_code=status.HTTP_303_SEE_OTHER)


def _edit_page(request: Request, principal: Principal, target: TargetInfo,
               form: dict[str, str], *, error: str | None = None,
               status_code: int = 200) -> HTMLResponse:
    return render(request, "target_edit.html", principal, status_code=status_code,
                  target=target, form=form, error=error, scope_text=scope_text)


def _form_of(target: TargetInfo) -> dict[str, str]:
    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return {name: text(getattr(target, name)) for name in DETAIL_FIELDS}


@router.get("/targets/{target_id}/edit", response_class=HTMLResponse)
def edit_target_form(request: Request, target_id: int,
                     principal: Annotated[Principal, Depends(page_require("targets:write"))],
                     state: Annotated[WebState, Depends(web_state)]) -> HTMLResponse:
    target = _visible_target(state, principal, target_id, to_change=True)
    return _edit_page(request, principal, target, _form_of(target))


@router.post("/targets/{target_id}/edit", dependencies=[Depends(csrf_checked)])
def edit_target_page(
        request: Request, target_id: int,
        principal: Annotated[Principal, Depends(page_require("targets:write"))],
        state: Annotated[WebState, Depends(web_state)],
        valid_to: Day = "", value: Number = "", warning: Number = "",
        benchmark_source: Short = "", benchmark_date: Day = "", benchmark_statistic: Short = "",
        benchmark_value: Number = "", owner: Annotated[str, Form(max_length=120)] = "",
        rationale: Annotated[str, Form(max_length=2000)] = "") -> Response:
    target = _visible_target(state, principal, target_id, to_change=True)
    form = {"valid_to": valid_to, "value": value, "warning": warning,
            "benchmark_source": benchmark_source, "benchmark_date": benchmark_date,
            "benchmark_statistic": benchmark_statistic, "benchmark_value": benchmark_value,
            "owner": owner, "rationale": rationale}
    try:
        # Metric, scope and start are the target's identity: `set` with the same ones
        # updates this very target (a different one would be a new target).
        spec = spec_from_form(target.metric, target.scope, target.valid_from.isoformat(),
                              form)
        set_target(state.workspace, spec, actor=principal.username)
    except CxpmError as exc:
        return _edit_page(request, principal, target, form, error=str(exc),
                          status_code=status.HTTP_400_BAD_REQUEST)
    return RedirectResponse(f"/targets?saved={target_id}#target-{target_id}",
                            status_code=status.HTTP_303_SEE_OTHER)


@router.post("/targets/{target_id}/delete", dependencies=[Depends(csrf_checked)])
def delete_target_page(
        target_id: int,
        principal: Annotated[Principal, Depends(page_require("targets:write"))],
        state: Annotated[WebState, Depends(web_state)]) -> Response:
    _visible_target(state, principal, target_id, to_change=True)
    delete_target(state.workspace, target_id, actor=principal.username)
    return RedirectResponse(f"/targets?deleted={target_id}",
                            status_code=status.HTTP_303_SEE_OTHER)
