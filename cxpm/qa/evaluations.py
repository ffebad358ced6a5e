"""Saving evaluations: validate every one against its form version, score it, store it with
its answers and an audit-log row, and copy it to the warehouse. All or nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import ibis
from pydantic import BaseModel
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.qa.evaluation_io import EvaluationInput
from cxpm.qa.form_store import FormCache
from cxpm.qa.forms import Form
from cxpm.qa.scoring import AnswerError, ScoredEvaluation, score_evaluation
from cxpm.qa.sync import foreign_evaluation_ids, sync_evaluations
from cxpm.store.db import audit_values, record_audit, utc_now
from cxpm.store.models import AuditLog, QaAnswer, QaCalibrationSession, QaEvaluation
from cxpm.workspace import Workspace

MAX_PROBLEMS_SHOWN = 20


class EvaluationsRejectedError(CxpmError):
    """Some evaluations are invalid; nothing was saved. `problems` lists each reason."""

    def __init__(self, problems: list[str], total: int) -> None:
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        lines = "\n  ".join(shown) + (f"\n  ... and {more} more" if more else "")
        super().__init__(f"{len(problems)} problem(s) in {total} evaluation(s); nothing was "
                         f"saved:\n  {lines}")


class SaveSummary(BaseModel):
    read: int
    saved: int
    updated: int
    unchanged: int
    evaluation_ids: list[str]



def _content_hash(evaluation: EvaluationInput, version: int, scored: ScoredEvaluation) -> str:
    """What makes two entries of an evaluation the same: its fields and its answers as the
    form reads them (so 5 and 5.0, or Yes and yes, are the same answer)."""
    data = evaluation.model_dump(mode="json", exclude={"origin", "form_version", "answers"})
    data["form_version"] = version
    data["answers"] = {item.item_id: item.answer for item in scored.items}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _snapshot(row: QaEvaluation) -> dict:
    """What the audit log keeps of an evaluation."""
    return {
        "form": f"{row.form_id}@{row.form_version}", "contact_id": row.contact_id,
        "agent_id": row.agent_id, "evaluator_id": row.evaluator_id,
        "evaluated_at": row.evaluated_at.isoformat(), "score": row.score,
        "customer_critical_error": row.customer_critical_error,
        "business_critical_error": row.business_critical_error,
        "compliance_critical_error": row.compliance_critical_error,
        "noncritical_errors": row.noncritical_errors,
        "noncritical_opportunities": row.noncritical_opportunities,
        "calibration_session_id": row.calibration_session_id,
        "answers": {a.item_id: a.answer for a in row.answers},
    }


def contact_facts(workspace: Workspace,
                  contact_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    """(handled_by, channel) of the evaluated contacts that are loaded in the warehouse."""
    if not contact_ids:
        return {}
    contacts = workspace.warehouse.table("contacts")
    wanted = ibis.memtable({"contact_id": list(dict.fromkeys(contact_ids))},
                           schema={"contact_id": "string"})
    rows = contacts.filter(contacts.contact_id.isin(wanted.contact_id)).select(
        "contact_id", "handled_by", "channel").to_pyarrow().to_pylist()
    return {r["contact_id"]: (r["handled_by"], r["channel"]) for r in rows}


def _form_fits_contact(form: Form, facts: tuple[str | None, str | None] | None) -> list[str]:
    """A form names who (agents, bots) and which channels it evaluates; an evaluation of a
    loaded contact outside those is refused. Contacts not loaded yet are not checked."""
    if facts is None:
        return []
    handled_by, channel = facts
    problems = []
    if handled_by is not None and handled_by not in form.applies_to:
        who = {"agent": "an agent", "bot": "a bot"}.get(handled_by, handled_by)
        problems.append(f"form {form.label} evaluates {' and '.join(form.applies_to)}s only, "
                        f"but the contact was handled by {who}")
    if channel is not None and form.channels and channel not in form.channels:
        problems.append(f"form {form.label} is for {', '.join(form.channels)}, but the "
                        f"contact's channel is {channel}")
    return problems


def _evaluation_values(evaluation: EvaluationInput, version: int, scored: ScoredEvaluation,
                       digest: str, created: datetime, now: datetime) -> dict[str, Any]:
    return {
        "evaluation_id": evaluation.evaluation_id, "form_id": evaluation.form_id,
        "form_version": version, "contact_id": evaluation.contact_id,
        "agent_id": evaluation.agent_id, "evaluator_id": evaluation.evaluator_id,
        "evaluated_at": evaluation.evaluated_at,
        "calibration_session_id": evaluation.calibration_session_id,
        "comment": evaluation.comment, "score": scored.score,
        "customer_critical_error": scored.customer_critical_error,
        "business_critical_error": scored.business_critical_error,
        "compliance_critical_error": scored.compliance_critical_error,
        "noncritical_errors": scored.noncritical_errors,
        "noncritical_opportunities": scored.noncritical_opportunities,
        "content_hash": digest, "created_at": created, "updated_at": now,
    }


def _answer_values(evaluation_id: str, scored: ScoredEvaluation) -> list[dict[str, Any]]:
    return [{"evaluation_id": evaluation_id, "item_id": item.item_id, "position": position,
             "section_id": item.section_id, "category": item.category, "answer": item.answer,
             "applicable": item.applicable, "points": item.points,
             "max_points": item.max_points, "error": item.error,
             "opportunities": item.opportunities, "errors": item.errors}
            for position, item in enumerate(scored.items)]


def _snapshot_values(values: dict[str, Any], answers: list[dict[str, Any]]) -> dict:
    """What the audit log keeps of an evaluation being saved."""
    keep = {k: values[k] for k in _AUDITED}
    keep["form"] = f"{values['form_id']}@{values['form_version']}"
    keep["evaluated_at"] = values["evaluated_at"].isoformat()
    keep["answers"] = {a["item_id"]: a["answer"] for a in answers}
    return keep


_AUDITED = ("contact_id", "agent_id", "evaluator_id", "score", "customer_critical_error",
            "business_critical_error", "compliance_critical_error", "noncritical_errors",
            "noncritical_opportunities", "calibration_session_id")


def save_evaluations(workspace: Workspace, evaluations: Sequence[EvaluationInput], *,
                     actor: str, replace: bool = False) -> SaveSummary:
    """Validate, score and save `evaluations` in one transaction, then copy them to the
    warehouse tables `evaluations` and `evaluation_items`.

    An evaluation id saved before with the same content is left as it is (unchanged); with
    other content it is refused unless `replace`, which re-scores it and audits the change.
    Any invalid evaluation rejects the whole set (EvaluationsRejectedError lists every
    reason)."""
    if not evaluations:
        raise CxpmError("no evaluations to save")
    problems: list[str] = []
    ids = [e.evaluation_id for e in evaluations]
    if len(set(ids)) < len(ids):
        seen: set[str] = set()
        repeated = sorted({i for i in ids if i in seen or seen.add(i)})
        problems += [f"evaluation {i}: appears more than once" for i in repeated]
    foreign = foreign_evaluation_ids(workspace, ids)
    problems += [f"evaluation {i}: already loaded into the warehouse from a file "
                 f"(cxpm ingest); it cannot also be entered here" for i in sorted(foreign)]
    now = utc_now()
    new_rows: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    replaced: list[str] = []
    unchanged = 0
    facts = contact_facts(workspace, [e.contact_id for e in evaluations if e.contact_id])
    with Session(workspace.app_db) as session:
        forms = FormCache(session)
        existing = _existing(session, ids)
        for evaluation in evaluations:
            where = evaluation.origin or f"evaluation {evaluation.evaluation_id}"
            old = existing.get(evaluation.evaluation_id)
            # Without a form_version, a saved evaluation keeps the version it was scored
            # with: a later form version must not turn a re-import into a revision.
            requested = evaluation.form_version
            if requested is None and old is not None and old.form_id == evaluation.form_id:
                requested = old.form_version
            try:
                form, version = forms.get(evaluation.form_id, requested)
                scored = score_evaluation(form, evaluation.answers)
                problems += [f"{where}: {p}" for p in _form_fits_contact(
                    form, facts.get(evaluation.contact_id or ""))]
            except AnswerError as exc:
                problems += [f"{where}: {p}" for p in exc.problems]
                continue
            except CxpmError as exc:
                problems.append(f"{where}: {exc}")
                continue
            digest = _content_hash(evaluation, version, scored)
            if old is not None and old.content_hash == digest:
                unchanged += 1
                continue
            if old is not None and not replace:
                problems.append(f"{where}: already saved with other answers; use --replace "
                                f"to revise it")
                continue
            values = _evaluation_values(evaluation, version, scored, digest,
                                        old.created_at if old else now, now)
            item_values = _answer_values(evaluation.evaluation_id, scored)
            new_rows.append(values)
            answers += item_values
            audits.append(audit_values(
                actor=actor, action="update" if old else "create", entity="qa_evaluation",
                entity_id=evaluation.evaluation_id, at=now,
                before=_snapshot(old) if old else None,
                after=_snapshot_values(values, item_values)))
            if old is not None:
                replaced.append(evaluation.evaluation_id)
        if problems:
            session.rollback()
            raise EvaluationsRejectedError(problems, len(evaluations))
        _ensure_sessions(session, {r["calibration_session_id"] for r in new_rows}, actor, now)
        # Bulk statements: an import of thousands of evaluations stays a matter of seconds.
        for chunk in _chunks(replaced):
            session.execute(delete(QaAnswer).where(QaAnswer.evaluation_id.in_(chunk)))
            session.execute(delete(QaEvaluation).where(QaEvaluation.evaluation_id.in_(chunk)))
        connection = session.connection()
        for model, rows in ((QaEvaluation, new_rows), (QaAnswer, answers),
                            (AuditLog, audits)):
            if rows:
                connection.execute(insert(model.__table__), rows)
        # The warehouse first: if that fails, the app database is rolled back and nothing
        # is saved. Unchanged evaluations are copied again too, which repairs a warehouse
        # that lost them.
        sync_evaluations(workspace, ids, session=session)
        session.commit()
    return SaveSummary(read=len(evaluations), saved=len(new_rows) - len(replaced),
                       updated=len(replaced), unchanged=unchanged,
                       evaluation_ids=[r["evaluation_id"] for r in new_rows])


def _chunks(ids: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]


def _existing(session: Session, ids: Sequence[str]) -> dict[str, QaEvaluation]:
    found: dict[str, QaEvaluation] = {}
    for chunk in _chunks(list(dict.fromkeys(ids))):
        for row in session.scalars(select(QaEvaluation).where(
                QaEvaluation.evaluation_id.in_(chunk))):
            found[row.evaluation_id] = row
    return found


def _ensure_sessions(session: Session, session_ids: set[str | None], actor: str,
                     now: datetime) -> None:
    """Evaluations name their calibration session; one named for the first time is created
    (audited like one created with `cxpm qa calibration new`)."""
    for session_id in sorted(i for i in session_ids if i):
        if session.get(QaCalibrationSession, session_id) is None:
            session.add(QaCalibrationSession(session_id=session_id, created_at=now,
                                             created_by=actor))
            record_audit(session, actor=actor, action="create",
                         entity="qa_calibration_session", entity_id=session_id, before=None,
                         after={"title": None, "expert_id": None},
                         note="named by an imported evaluation")
    session.flush()


def delete_evaluation(workspace: Workspace, evaluation_id: str, *, actor: str) -> None:
    """Remove an evaluation (audited) from the app database and the warehouse."""
    with Session(workspace.app_db) as session:
        row = session.get(QaEvaluation, evaluation_id)
        if row is None:
            raise CxpmError(f"no evaluation {evaluation_id!r}")
        record_audit(session, actor=actor, action="delete", entity="qa_evaluation",
                     entity_id=evaluation_id, before=_snapshot(row), after=None)
        session.delete(row)
        sync_evaluations(workspace, [evaluation_id], session=session)
        session.commit()
