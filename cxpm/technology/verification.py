"""Computing a knowledge/skills verification: from saved QA evaluations of the technology on
a bot form (critical accuracies over enough evaluations), or from a test set (accuracy
against a threshold). docs/technology.md, "Verification"."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.qa.form_store import get_form
from cxpm.store.models import QaEvaluation
from cxpm.technology.flags import latest_material_change
from cxpm.technology.model import (
    QaFormRequest,
    TechnologyInfo,
    TestSetRequest,
    VerificationOutcome,
)
from cxpm.technology.store import get_technology, record_verification
from cxpm.workspace import Workspace

CRITICAL = ("customer", "business", "compliance")


def verify_by_test_set(request: TestSetRequest) -> VerificationOutcome:
    """Pass when correct / cases reaches the threshold."""
    if request.correct > request.cases:
        raise CxpmError(f"a test set of {request.cases} cases cannot have {request.correct} "
                        f"correct answers")
    accuracy = request.correct / request.cases
    passed = accuracy >= request.threshold
    return VerificationOutcome(
        method="test_set", result="pass" if passed else "fail",
        details={"cases": request.cases, "correct": request.correct, "accuracy": accuracy,
                 "threshold": request.threshold},
        reason=f"test-set accuracy {accuracy:.1%} {'>=' if passed else '<'} "
               f"{request.threshold:.1%} ({request.correct} of {request.cases})")


def critical_accuracies(rows: list[QaEvaluation]) -> dict[str, float | None]:
    """Share of evaluations free of each kind of critical error (as the metrics
    customer/business/compliance_critical_accuracy count them)."""
    total = len(rows)
    return {kind: (sum(not getattr(r, f"{kind}_critical_error") for r in rows) / total
                   if total else None) for kind in CRITICAL}


def _utc_bound(day: date, timezone: str) -> datetime:
    """Local midnight starting `day` as naive UTC (evaluations are stored in UTC)."""
    local = datetime.combine(day, time(), tzinfo=ZoneInfo(timezone))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def _select(session: Session, workspace: Workspace, technology: TechnologyInfo,
            request: QaFormRequest, form_id: str, version: int) -> list[QaEvaluation]:
    if request.evaluation_ids:
        if request.date_from or request.date_to:
            raise CxpmError("give evaluation ids or a date range, not both")
        ids = list(dict.fromkeys(request.evaluation_ids))
        rows = {r.evaluation_id: r for r in session.scalars(
            select(QaEvaluation).where(QaEvaluation.evaluation_id.in_(ids)))}
        missing = [i for i in ids if i not in rows]
        if missing:
            raise CxpmError(f"no evaluation {missing[0]!r}")
        for row in rows.values():
            if row.agent_id != technology.agent_id:
                raise CxpmError(f"evaluation {row.evaluation_id} is of {row.agent_id!r}, not "
                                f"of {technology.id} (agent id {technology.agent_id!r})")
            if (row.form_id, row.form_version) != (form_id, version):
                raise CxpmError(f"evaluation {row.evaluation_id} used form "
                                f"{row.form_id}@{row.form_version}, not {form_id}@{version}")
        return [rows[i] for i in ids]
    if request.date_from is None or request.date_to is None:
        raise CxpmError("a qa_form verification needs evaluation ids or a date range "
                        "(from and to)")
    if request.date_to < request.date_from:
        raise CxpmError(f"the date range ends ({request.date_to}) before it starts "
                        f"({request.date_from})")
    query = select(QaEvaluation).where(
        QaEvaluation.agent_id == technology.agent_id, QaEvaluation.form_id == form_id,
        QaEvaluation.form_version == version, QaEvaluation.calibration_session_id.is_(None),
        QaEvaluation.evaluated_at >= _utc_bound(request.date_from, workspace.timezone),
        QaEvaluation.evaluated_at < _utc_bound(request.date_to + timedelta(days=1),
                                               workspace.timezone),
    ).order_by(QaEvaluation.evaluated_at, QaEvaluation.evaluation_id)
    return list(session.scalars(query))


def verify_by_qa_form(workspace: Workspace, technology: TechnologyInfo,
                      request: QaFormRequest) -> VerificationOutcome:
    """Pass when at least `min_evaluations` evaluations are used and the customer-,
    business- and compliance-critical accuracies over them all reach `min_accuracy`.
    Evaluations from before the latest material change evaluated an earlier version of the
    technology and are refused."""
    if technology.agent_id is None:
        raise CxpmError(f"technology {technology.id} has no agent id: set it with `cxpm tech "
                        f"change {technology.id} --agent-id ...` to find its evaluations")
    form, info = get_form(workspace, request.form)
    if "bot" not in form.applies_to:
        raise CxpmError(f"form {info.form_id}@{info.version} does not evaluate bots "
                        f"(applies_to: {', '.join(form.applies_to)})")
    with Session(workspace.app_db) as session:
        rows = _select(session, workspace, technology, request, info.form_id, info.version)
        change = latest_material_change(technology)
        if change is not None:
            since = _utc_bound(change.changed_on, workspace.timezone)
            early = [r.evaluation_id for r in rows if r.evaluated_at < since]
            if early:
                raise CxpmError(f"evaluation {early[0]} predates the change of "
                                f"{change.changed_on} ({change.description}): it evaluated "
                                f"an earlier version")
        accuracies = critical_accuracies(rows)
        ids = [r.evaluation_id for r in rows]
    short = len(rows) < request.min_evaluations
    low = [k for k, v in accuracies.items() if v is not None and v < request.min_accuracy]
    reasons = ([f"{len(rows)} evaluations, fewer than {request.min_evaluations}"]
               if short else []) + [
        f"{kind}-critical accuracy {accuracies[kind]:.1%} < {request.min_accuracy:.1%}"
        for kind in low]
    passed = not reasons
    summary = ", ".join(f"{k} {v:.1%}" for k, v in accuracies.items() if v is not None)
    return VerificationOutcome(
        method="qa_form", result="pass" if passed else "fail",
        details={"form_id": info.form_id, "form_version": info.version,
                 "evaluation_ids": ids, "evaluations": len(rows),
                 "date_from": request.date_from.isoformat() if request.date_from else None,
                 "date_to": request.date_to.isoformat() if request.date_to else None,
                 "accuracies": accuracies, "min_evaluations": request.min_evaluations,
                 "min_accuracy": request.min_accuracy},
        reason=(f"{len(rows)} evaluations on {info.form_id}@{info.version}; critical "
                f"accuracy {summary or 'n/a'}" if passed else "; ".join(reasons)))


def verify_technology(workspace: Workspace, technology_id: str,
                      request: QaFormRequest | TestSetRequest, *, verifier: str, actor: str,
                      verified_on: date | None = None,
                      version: str | None = None) -> TechnologyInfo:
    """Compute a verification (qa_form or test_set, by the request's type) and record it,
    pass or fail, for `version` (default: the current version)."""
    technology = get_technology(workspace, technology_id)
    if verified_on is not None and verified_on > workspace.today():
        raise CxpmError(f"the verification date {verified_on} is in the future")
    outcome = (verify_by_qa_form(workspace, technology, request)
               if isinstance(request, QaFormRequest) else verify_by_test_set(request))
    return record_verification(workspace, technology_id, outcome, verifier=verifier,
                               actor=actor, verified_on=verified_on, version=version)
