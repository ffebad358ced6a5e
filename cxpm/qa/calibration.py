"""Calibration sessions: several evaluators (and optionally an expert) score the same
contacts independently; the report says how far they agree and who is out of line."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from cxpm.errors import CxpmError
from cxpm.metrics.params import resolve_params
from cxpm.metrics.sources import BuildContext, build_rows, get_source
from cxpm.qa.agreement import (
    AgreementResult,
    Rating,
    bias_against_reference,
    fleiss_kappa,
    incomplete_design_reason,
    krippendorff_alpha,
    percent_agreement,
)
from cxpm.store.db import record_audit, utc_now
from cxpm.store.models import QaCalibrationSession, QaEvaluation
from cxpm.workspace import Workspace

CRITICAL_FLAGS = ("customer_critical_error", "business_critical_error",
                  "compliance_critical_error")
Reach = Literal["within", "partly", "outside"]


class SessionInfo(BaseModel):
    session_id: str
    title: str | None
    expert_id: str | None
    evaluations: int
    contacts: int
    evaluators: int
    created_at: datetime


class Agreement(BaseModel):
    """Agreement on one kind of judgement: Krippendorff's alpha (with its units, raters and
    pairable values), pairwise percent agreement and, for a complete design, Fleiss' kappa."""

    what: str
    level: str
    alpha: float | None
    units: int
    raters: int
    pairable_values: int
    percent_agreement: float | None
    fleiss_kappa: float | None
    fleiss_kappa_note: str | None


class EvaluatorCalibration(BaseModel):
    evaluator_id: str
    contacts: int
    mean_score_difference: float | None  # evaluator minus reference; > 0 = lenient
    mean_abs_score_difference: float | None
    flag_agreement: float | None  # share of critical-error flags equal to the reference's
    outside_tolerance: bool
    reasons: list[str]


class ItemAgreement(BaseModel):
    item_id: str
    alpha: float | None
    percent_agreement: float | None
    pairable_values: int
    low: bool


class CalibrationReport(BaseModel):
    session: SessionInfo
    reference: str  # "expert <id>" or "consensus of the other evaluators" (score: median)
    score_tolerance: float
    flag_agreement_min: float
    alpha_min: float
    agreement: list[Agreement]
    evaluators: list[EvaluatorCalibration]
    items: list[ItemAgreement]  # lowest agreement first
    notes: list[str]



def save_session(workspace: Workspace, session_id: str, *, actor: str,
                 title: str | None = None, expert_id: str | None = None) -> SessionInfo:
    """Create a calibration session or change its title or expert (audited)."""
    if not session_id.strip():
        raise CxpmError("a calibration session needs an id")
    with Session(workspace.app_db) as session:
        row = session.get(QaCalibrationSession, session_id)
        before = None if row is None else {"title": row.title, "expert_id": row.expert_id}
        if row is None:
            row = QaCalibrationSession(session_id=session_id, created_at=utc_now(),
                                       created_by=actor)
            session.add(row)
        if title is not None:
            row.title = title
        if expert_id is not None:
            row.expert_id = expert_id or None
        record_audit(session, actor=actor, action="update" if before else "create",
                     entity="qa_calibration_session", entity_id=session_id, before=before,
                     after={"title": row.title, "expert_id": row.expert_id})
        session.commit()
    return _session_info(workspace, session_id)


def _session_info(workspace: Workspace, session_id: str) -> SessionInfo:
    return next(s for s in list_sessions(workspace) if s.session_id == session_id)


def list_sessions(workspace: Workspace) -> list[SessionInfo]:
    with Session(workspace.app_db) as session:
        counts = {row[0]: row[1:] for row in session.execute(
            select(QaEvaluation.calibration_session_id, func.count(),
                   func.count(func.distinct(QaEvaluation.contact_id)),
                   func.count(func.distinct(QaEvaluation.evaluator_id)))
            .where(QaEvaluation.calibration_session_id.is_not(None))
            .group_by(QaEvaluation.calibration_session_id))}
        return [SessionInfo(session_id=s.session_id, title=s.title, expert_id=s.expert_id,
                            evaluations=counts.get(s.session_id, (0, 0, 0))[0],
                            contacts=counts.get(s.session_id, (0, 0, 0))[1],
                            evaluators=counts.get(s.session_id, (0, 0, 0))[2],
                            created_at=s.created_at)
                for s in session.scalars(select(QaCalibrationSession)
                                         .order_by(QaCalibrationSession.session_id))]


def session_reach(workspace: Workspace, dimension: str, value: str) -> dict[str, Reach]:
    """How far each calibration session lies within `dimension` = `value` (e.g. a user's
    scope vendor=acme): "within" when every one of its evaluations is, "partly" when some
    are, "outside" when none are or it has no evaluations. An evaluation's dimension is the
    one the quality metrics give it (the evaluated contact's, the roster's for team and
    where the contact has no site or vendor); one missing from the warehouse counts as
    outside, so that doubt never widens what a user sees. Reads the warehouse."""
    if dimension not in get_source("evaluations").dimensions:
        raise CxpmError(f"evaluations have no dimension {dimension!r}")
    with Session(workspace.app_db) as session:
        members = session.execute(
            select(QaEvaluation.calibration_session_id, QaEvaluation.evaluation_id)
            .where(QaEvaluation.calibration_session_id.is_not(None))).all()
        sessions = list(session.scalars(select(QaCalibrationSession.session_id)))
    context = BuildContext("all", 30, None, None, resolve_params({}))
    rows = build_rows("evaluations", workspace.warehouse.tables(), context,
                      {"evaluation_id", "calibration_session_id", dimension})
    rows = rows.filter(rows.calibration_session_id.notnull())
    found = {r["evaluation_id"]: r[dimension]
             for r in rows.select("evaluation_id", dimension).to_pyarrow().to_pylist()}
    inside: dict[str, list[bool]] = {s: [] for s in sessions}
    for session_id, evaluation_id in members:
        found_value = found.get(evaluation_id)
        inside.setdefault(session_id, []).append(
            found_value is not None and str(found_value) == value)
    return {s: "outside" if not any(flags) else "within" if all(flags) else "partly"
            for s, flags in inside.items()}


def _agreement(what: str, level: str, ratings: list[Rating]) -> Agreement:
    alpha: AgreementResult = krippendorff_alpha(ratings, level)
    nominal = level == "nominal"
    reason = incomplete_design_reason(ratings) if nominal else "Fleiss' kappa is for " \
        "nominal judgements"
    return Agreement(
        what=what, level=level, alpha=alpha.alpha, units=alpha.units, raters=alpha.raters,
        pairable_values=alpha.pairable_values,
        percent_agreement=percent_agreement(ratings) if nominal else None,
        fleiss_kappa=fleiss_kappa(ratings) if nominal and reason is None else None,
        fleiss_kappa_note=reason)


def calibration_report(workspace: Workspace, session_id: str,
                       params: Mapping[str, Any] | None = None) -> CalibrationReport:
    """Agreement, evaluator bias and the least agreed items of a calibration session. The
    reference is the session's expert when set (and they scored), else for each evaluator
    the consensus of the other evaluators on the same contacts (the median of their scores,
    the most common flag)."""
    params = resolve_params(params if params is not None else workspace.settings.params)
    info = next((s for s in list_sessions(workspace) if s.session_id == session_id), None)
    if info is None:
        known = [s.session_id for s in list_sessions(workspace)]
        raise CxpmError(f"no calibration session {session_id!r}"
                        + (f"; sessions: {', '.join(known)}" if known else ""))
    evaluations, notes = _session_evaluations(workspace, session_id)
    if len({e.evaluator_id for e in evaluations}) < 2:
        raise CxpmError(f"calibration session {session_id} needs evaluations by at least two "
                        f"evaluators of the same contacts")
    scores = [Rating(e.contact_id, e.evaluator_id, e.score) for e in evaluations]
    flags = [Rating(f"{e.contact_id}/{flag}", e.evaluator_id, int(getattr(e, flag)))
             for e in evaluations for flag in CRITICAL_FLAGS]
    answers: dict[str, list[Rating]] = {}
    for e in evaluations:
        for a in e.answers:
            answers.setdefault(a.item_id, []).append(
                Rating(e.contact_id, e.evaluator_id, a.answer if a.applicable else "na"))
    all_answers = [Rating(f"{r.unit}/{item}", r.rater, r.value)
                   for item, ratings in answers.items() for r in ratings]
    agreement = [_agreement("critical-error flags", "nominal", flags),
                 _agreement("item answers", "nominal", all_answers),
                 _agreement("scores", "interval", scores)]
    for flag in CRITICAL_FLAGS:
        agreement.append(_agreement(flag.removesuffix("_error").replace("_", "-") + " flag",
                                    "nominal", [r for r in flags if r.unit.endswith(flag)]))
    expert = info.expert_id if info.expert_id in {e.evaluator_id for e in evaluations} else None
    if info.expert_id and expert is None:
        notes.append(f"the expert {info.expert_id} scored none of the session's contacts; "
                     f"evaluators are compared with the consensus instead")
    tolerance = float(params["qa.calibration.score_tolerance"])
    flag_min = float(params["qa.calibration.flag_agreement_min"])
    alpha_min = float(params["qa.calibration.alpha_min"])
    # Without an expert, each evaluator's score reference is the median of the others: with
    # the mean, one very lenient evaluator would drag the reference of every other
    # evaluator and get them all flagged as strict.
    score_bias = bias_against_reference(scores, expert, "interval" if expert else "ordinal")
    flag_bias = bias_against_reference(flags, expert, "nominal")
    contacts = {}
    for e in evaluations:
        contacts.setdefault(e.evaluator_id, set()).add(e.contact_id)
    evaluators = []
    for evaluator in sorted(score_bias):
        s, f = score_bias[evaluator], flag_bias.get(evaluator)
        reasons = []
        if s.mean_difference is not None and abs(s.mean_difference) > tolerance:
            side = "higher" if s.mean_difference > 0 else "lower"
            reasons.append(f"scores {abs(s.mean_difference):.1f} points {side} than the "
                           f"reference (tolerance {tolerance:g})")
        if f is not None and f.agreement_rate is not None and f.agreement_rate < flag_min:
            reasons.append(f"critical-error flags agree with the reference on "
                           f"{f.agreement_rate:.0%} (minimum {flag_min:.0%})")
        evaluators.append(EvaluatorCalibration(
            evaluator_id=evaluator, contacts=len(contacts.get(evaluator, ())),
            mean_score_difference=s.mean_difference,
            mean_abs_score_difference=s.mean_abs_difference,
            flag_agreement=f.agreement_rate if f else None,
            outside_tolerance=bool(reasons), reasons=reasons))
    items = []
    for item, ratings in answers.items():
        result = krippendorff_alpha(ratings, "nominal")
        share = percent_agreement(ratings)
        items.append(ItemAgreement(
            item_id=item, alpha=result.alpha, percent_agreement=share,
            pairable_values=result.pairable_values,
            low=(result.alpha is not None and result.alpha < alpha_min)
            or (result.alpha is None and share is not None and share < 1)))
    items.sort(key=lambda i: (i.percent_agreement if i.percent_agreement is not None else 2,
                              i.alpha if i.alpha is not None else 2, i.item_id))
    return CalibrationReport(
        session=info, reference=f"expert {expert}" if expert else
        "consensus of the other evaluators", score_tolerance=tolerance,
        flag_agreement_min=flag_min, alpha_min=alpha_min, agreement=agreement,
        evaluators=evaluators, items=items, notes=notes)


def _session_evaluations(workspace: Workspace,
                         session_id: str) -> tuple[list[QaEvaluation], list[str]]:
    """The session's evaluations, one per contact and evaluator (the latest when an
    evaluator scored a contact twice, which is noted)."""
    notes: list[str] = []
    with Session(workspace.app_db) as session:
        rows = session.scalars(
            select(QaEvaluation).options(selectinload(QaEvaluation.answers))
            .where(QaEvaluation.calibration_session_id == session_id)
            .order_by(QaEvaluation.evaluated_at, QaEvaluation.evaluation_id)).all()
        session.expunge_all()
    latest: dict[tuple[str, str], QaEvaluation] = {}
    missing_contact = 0
    for row in rows:
        if row.contact_id is None or row.evaluator_id is None:
            missing_contact += 1
            continue
        key = (row.contact_id, row.evaluator_id)
        if key in latest:
            notes.append(f"{row.evaluator_id} scored contact {row.contact_id} more than once; "
                         f"the latest evaluation ({row.evaluation_id}) is used")
        latest[key] = row
    if missing_contact:
        notes.append(f"{missing_contact} evaluation(s) without a contact or an evaluator are "
                     f"left out")
    forms = {(r.form_id, r.form_version) for r in latest.values()}
    if len(forms) > 1:
        notes.append("the session mixes form versions: "
                     + ", ".join(f"{f}@{v}" for f, v in sorted(forms))
                     + "; item agreement compares items by id")
    return list(latest.values()), notes
