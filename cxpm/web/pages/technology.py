"""/technology — the technology governance registry, as `cxpm tech list` and `cxpm tech
show`, and for technology:write the forms of `cxpm tech add | change | attest |
security-review | verify`, through the same functions (cxpm.technology, audited with the user
as actor).

Scope: a technology belongs to no vendor, site or program of the operation (its `vendor` is
the supplier of the software, not an outsourcer), so none is within a scoped user's scope:
such a user gets an empty registry that says why, every technology answers 404 (as any
object out of scope), and registering one is refused (403) — never the whole registry.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cxpm.errors import CxpmError, date_from_user, model_from_user
from cxpm.schema.tables import CHANNELS
from cxpm.technology.flags import current_verification, technology_flags
from cxpm.technology.model import (
    KINDS,
    STATUSES,
    EthicsAttestation,
    QaFormRequest,
    SecurityReview,
    TechnologyChange,
    TechnologyInfo,
    TechnologySpec,
    TestSetRequest,
)
from cxpm.technology.store import (
    add_technology,
    attest_ethics,
    change_technology,
    get_technology,
    list_technologies,
    record_security_review,
)
from cxpm.technology.verification import verify_technology
from cxpm.users.permissions import has_permission
from cxpm.web.deps import Principal, WebState, web_state
from cxpm.web.pages.common import PageError, csrf_checked, page_require, render
from cxpm.web.scope import scope_filter

router = APIRouter(include_in_schema=False)
NAV = ((80, "Technology", "/technology", "technology:read"),)

Short = Annotated[str, Form(max_length=200)]
Day = Annotated[str, Form(max_length=10)]
Number = Annotated[str, Form(max_length=40)]
Text = Annotated[str, Form(max_length=2000)]
Channels = Annotated[list[str], Form(max_length=len(CHANNELS))]


def out_of_scope(principal: Principal) -> str | None:
    """Why a scoped user sees no technology (None for an unscoped user)."""
    if scope_filter(principal) is None:
        return None
    return (f"The technology registry is not divided by vendor, site or program, so no "
            f"technology is within your scope ({principal.scope_kind}="
            f"{principal.scope_value}).")


Reader = Annotated[Principal, Depends(page_require("technology:read"))]
Writer = Annotated[Principal, Depends(page_require("technology:write"))]
State = Annotated[WebState, Depends(web_state)]


def _date(text: str, what: str) -> date | None:
    return date_from_user(text.strip() or None, what)  # a blank field is not given


def _number(text: str, what: str, kind: type[int] | type[float]) -> int | float | None:
    if not text.strip():
        return None
    try:
        return kind(text.strip())
    except ValueError:
        raise CxpmError(f"{what} expects {'a whole number' if kind is int else 'a number'}, "
                        f"got {text!r}") from None


def _text(text: str) -> str | None:
    return text.strip() or None


def _get(state: WebState, principal: Principal, technology_id: str) -> TechnologyInfo:
    """The technology, if it exists and is within the user's scope (else 404)."""
    try:
        if out_of_scope(principal) is None:
            return get_technology(state.workspace, technology_id)
    except CxpmError:
        pass
    raise PageError(status.HTTP_404_NOT_FOUND, f"No technology {technology_id!r}.")


def _choices() -> dict[str, Any]:
    return {"kinds": KINDS, "statuses": STATUSES, "channels": CHANNELS}


def _list_page(request: Request, principal: Principal, state: WebState, *, flagged: bool,
               error: str | None = None, form: dict[str, Any] | None = None,
               status_code: int = 200) -> HTMLResponse:
    today = state.workspace.today()
    scope_note = out_of_scope(principal)
    rows = [] if scope_note else [(t, technology_flags(t, today), current_verification(t))
                                  for t in list_technologies(state.workspace)]
    if flagged:
        rows = [row for row in rows if row[1]]
    return render(request, "technology.html", principal, status_code=status_code, rows=rows,
                  flagged=flagged, error=error, form=form or {}, today=today,
                  scope_note=scope_note, **_choices(),
                  can_write=has_permission(principal.role, "technology:write")
                  and not scope_note)


@router.get("/technology", response_class=HTMLResponse)
def technology_page(request: Request, principal: Reader, state: State,
                    flagged: bool = False) -> HTMLResponse:
    return _list_page(request, principal, state, flagged=flagged)


@router.post("/technology", dependencies=[Depends(csrf_checked)])
def add_technology_page(
        request: Request, principal: Writer, state: State,
        technology_id: Annotated[str, Form(max_length=80)] = "", name: Short = "",
        kind: Annotated[str, Form(max_length=20)] = "", owner: Short = "",
        purpose: Text = "", channel: Channels = [],  # noqa: B006
        vendor: Short = "", model: Short = "", version: Short = "", agent_id: Short = "",
        live_from: Day = "") -> Response:
    form = {"technology_id": technology_id, "name": name, "kind": kind, "owner": owner,
            "purpose": purpose, "channel": channel, "vendor": vendor, "model": model,
            "version": version, "agent_id": agent_id, "live_from": live_from}
    reason = out_of_scope(principal)
    if reason:
        raise PageError(status.HTTP_403_FORBIDDEN, f"{reason} You cannot register one.")
    try:
        spec = model_from_user(TechnologySpec, id=technology_id.strip(), name=name.strip(),
                        kind=kind, owner=_text(owner), purpose=_text(purpose),
                        channels=channel, vendor=_text(vendor), model=_text(model),
                        version=_text(version), agent_id=_text(agent_id),
                        live_from=_date(live_from, "go-live date"))
        tech = add_technology(state.workspace, spec, actor=principal.username)
    except CxpmError as exc:
        return _list_page(request, principal, state, flagged=False, error=str(exc),
                          form=form, status_code=status.HTTP_400_BAD_REQUEST)
    return RedirectResponse(f"/technology/{tech.id}", status_code=status.HTTP_303_SEE_OTHER)


def _detail_page(request: Request, principal: Principal, state: WebState, tech: TechnologyInfo,
                 *, failed: str | None = None, error: str | None = None,
                 form: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    today = state.workspace.today()
    current = current_verification(tech)
    return render(request, "technology_detail.html", principal, status_code=status_code,
                  tech=tech, flags=technology_flags(tech, today), today=today,
                  current=current.number if current else None, failed=failed, error=error,
                  form=form or {}, can_write=has_permission(principal.role, "technology:write"),
                  **_choices())


@router.get("/technology/{technology_id}", response_class=HTMLResponse)
def technology_detail(request: Request, technology_id: str, principal: Reader,
                      state: State) -> HTMLResponse:
    return _detail_page(request, principal, state, _get(state, principal, technology_id))


def _done(technology_id: str) -> RedirectResponse:
    return RedirectResponse(f"/technology/{technology_id}",
                            status_code=status.HTTP_303_SEE_OTHER)


@router.post("/technology/{technology_id}/change", dependencies=[Depends(csrf_checked)])
def change_page(
        request: Request, technology_id: str, principal: Writer, state: State,
        description: Text = "", name: Short = "",
        kind: Annotated[str, Form(max_length=20)] = "", owner: Short = "", purpose: Text = "",
        channel: Channels = [],  # noqa: B006
        vendor: Short = "", model: Short = "", version: Short = "", agent_id: Short = "",
        new_status: Annotated[str, Form(max_length=20)] = "", live_from: Day = "",
        changed_on: Day = "") -> Response:
    tech = _get(state, principal, technology_id)
    form = {"description": description, "name": name, "kind": kind, "owner": owner,
            "purpose": purpose, "channel": channel, "vendor": vendor, "model": model,
            "version": version, "agent_id": agent_id, "new_status": new_status,
            "live_from": live_from, "changed_on": changed_on}
    try:
        # Blank fields stay as they are; the channel boxes replace the list only when they
        # differ from it (the form shows the current channels ticked).
        channels = channel if set(channel) != set(tech.channels) else None
        change = model_from_user(TechnologyChange, description=description.strip(),
                          name=_text(name), kind=kind or None, owner=_text(owner),
                          purpose=_text(purpose), channels=channels, vendor=_text(vendor),
                          model=_text(model), version=_text(version),
                          agent_id=_text(agent_id), status=new_status or None,
                          live_from=_date(live_from, "go-live date"),
                          changed_on=_date(changed_on, "date of the change"))
        change_technology(state.workspace, technology_id, change, actor=principal.username)
    except CxpmError as exc:
        return _detail_page(request, principal, state, tech, failed="change", error=str(exc),
                            form=form, status_code=status.HTTP_400_BAD_REQUEST)
    return _done(technology_id)


@router.post("/technology/{technology_id}/attest", dependencies=[Depends(csrf_checked)])
def attest_page(
        request: Request, technology_id: str, principal: Writer, state: State,
        policy_version: Short = "", review_due: Day = "", attested_by: Short = "",
        attested_on: Day = "") -> Response:
    tech = _get(state, principal, technology_id)
    form = {"policy_version": policy_version, "review_due": review_due,
            "attested_by": attested_by, "attested_on": attested_on}
    try:
        attestation = model_from_user(
            EthicsAttestation, policy_version=policy_version.strip(),
            attested_by=attested_by.strip() or principal.username,
            attested_on=_date(attested_on, "attestation date") or state.workspace.today(),
            next_review_due=_date(review_due, "next review due"))
        attest_ethics(state.workspace, technology_id, attestation, actor=principal.username)
    except CxpmError as exc:
        return _detail_page(request, principal, state, tech, failed="attest", error=str(exc),
                            form=form, status_code=status.HTTP_400_BAD_REQUEST)
    return _done(technology_id)


@router.post("/technology/{technology_id}/security-review",
             dependencies=[Depends(csrf_checked)])
def security_review_page(
        request: Request, technology_id: str, principal: Writer, state: State,
        result: Annotated[str, Form(max_length=10)] = "", notes: Text = "",
        reviewer: Short = "", reviewed_on: Day = "") -> Response:
    tech = _get(state, principal, technology_id)
    form = {"result": result, "notes": notes, "reviewer": reviewer,
            "reviewed_on": reviewed_on}
    try:
        review = model_from_user(SecurityReview, result=result,
                          reviewed_on=_date(reviewed_on, "review date") or state.workspace.today(),
                          reviewer=reviewer.strip() or principal.username,
                          notes=_text(notes))
        record_security_review(state.workspace, technology_id, review,
                               actor=principal.username)
    except CxpmError as exc:
        return _detail_page(request, principal, state, tech, failed="security",
                            error=str(exc), form=form,
                            status_code=status.HTTP_400_BAD_REQUEST)
    return _done(technology_id)


@router.post("/technology/{technology_id}/verify", dependencies=[Depends(csrf_checked)])
def verify_page(
        request: Request, technology_id: str, principal: Writer, state: State,
        method: Annotated[str, Form(max_length=20)] = "",
        cases: Number = "", correct: Number = "", threshold: Number = "",
        qa_form: Short = "", date_from: Day = "", date_to: Day = "",
        evaluations: Text = "", min_evaluations: Number = "", min_accuracy: Number = "",
        version: Short = "", verifier: Short = "", verified_on: Day = "") -> Response:
    tech = _get(state, principal, technology_id)
    form = {"method": method, "cases": cases, "correct": correct, "threshold": threshold,
            "qa_form": qa_form, "date_from": date_from, "date_to": date_to,
            "evaluations": evaluations, "min_evaluations": min_evaluations,
            "min_accuracy": min_accuracy, "version": version, "verifier": verifier,
            "verified_on": verified_on}
    try:
        request_model: QaFormRequest | TestSetRequest
        if method == "test_set":
            optional = {k: v for k, v in (
                ("threshold", _number(threshold, "threshold", float)),) if v is not None}
            request_model = model_from_user(TestSetRequest, cases=_number(cases, "cases", int),
                                     correct=_number(correct, "correct", int), **optional)
        elif method == "qa_form":
            optional = {k: v for k, v in (
                ("min_evaluations", _number(min_evaluations, "minimum evaluations", int)),
                ("min_accuracy", _number(min_accuracy, "minimum accuracy", float)))
                if v is not None}
            request_model = model_from_user(
                QaFormRequest, form=qa_form.strip(),
                evaluation_ids=[e for e in evaluations.replace(",", " ").split() if e],
                date_from=_date(date_from, "from"), date_to=_date(date_to, "to"), **optional)
        else:
            raise CxpmError("choose a verification method: test_set or qa_form")
        verify_technology(state.workspace, technology_id, request_model,
                          verifier=verifier.strip() or principal.username,
                          actor=principal.username,
                          verified_on=_date(verified_on, "verification date"),
                          version=_text(version))
    except CxpmError as exc:
        failed = f"verify-{method}" if method in ("test_set", "qa_form") else None
        return _detail_page(request, principal, state, tech, failed=failed,
                            error=str(exc), form=form,
                            status_code=status.HTTP_400_BAD_REQUEST)
    return _done(technology_id)
