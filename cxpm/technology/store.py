"""Technologies in the app database. Every change is written to the audit log with the
technology as it was before and after; changes to the technology itself also go to its
change log."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxpm.errors import CxpmError
from cxpm.store.db import record_audit, utc_now
from cxpm.store.models import Technology, TechnologyVerification
from cxpm.store.models import TechnologyChange as ChangeRow
from cxpm.technology.model import (
    CHANGE_FIELDS,
    MATERIAL_FIELDS,
    ChangeEntry,
    EthicsAttestation,
    SecurityReview,
    TechnologyChange,
    TechnologyInfo,
    TechnologySpec,
    VerificationOutcome,
    VerificationRecord,
)
from cxpm.workspace import Workspace

ENTITY = "technology"



def _info(row: Technology) -> TechnologyInfo:
    return TechnologyInfo(
        id=row.id, name=row.name, kind=row.kind, owner=row.owner, purpose=row.purpose,
        channels=list(row.channels), vendor=row.vendor, model=row.model, version=row.version,
        agent_id=row.agent_id, live_from=row.live_from, status=row.status,
        ethics=EthicsAttestation(**row.ethics) if row.ethics else None,
        security_review=SecurityReview(**row.security_review) if row.security_review
        else None,
        verifications=[VerificationRecord(
            number=v.number, verified_on=v.verified_on, method=v.method,
            verified_version=v.verified_version, result=v.result, verifier=v.verifier,
            details=dict(v.details), recorded_at=v.recorded_at) for v in row.verifications],
        changes=[ChangeEntry(
            number=c.number, changed_on=c.changed_on, description=c.description,
            actor=c.actor, before=dict(c.before), after=dict(c.after), material=c.material,
            recorded_at=c.recorded_at) for c in row.changes],
        created_at=row.created_at, updated_at=row.updated_at)


def _audit_view(row: Technology) -> dict[str, Any]:
    """What the audit log keeps: the record's own fields (verifications and changes are
    audited one by one as they are added)."""
    return _info(row).model_dump(mode="json", exclude={"updated_at", "verifications",
                                                       "changes"})


def _load(session: Session, technology_id: str) -> Technology:
    row = session.get(Technology, technology_id)
    if row is None:
        raise CxpmError(f"no technology {technology_id!r} (see `cxpm tech list`)")
    return row


def add_technology(workspace: Workspace, spec: TechnologySpec, *,
                   actor: str) -> TechnologyInfo:
    """Register a technology: live from `spec.live_from` when given, else planned."""
    with Session(workspace.app_db) as session:
        if session.get(Technology, spec.id) is not None:
            raise CxpmError(f"technology {spec.id!r} already exists; change it with "
                            f"`cxpm tech change`")
        now = utc_now()
        row = Technology(
            **spec.model_dump(), status="live" if spec.live_from else "planned",
            created_at=now, updated_at=now, verifications=[], changes=[])
        session.add(row)
        session.flush()
        record_audit(session, actor=actor, action="create", entity=ENTITY, entity_id=row.id,
                     before=None, after=_audit_view(row))
        session.commit()
        return _info(row)


def get_technology(workspace: Workspace, technology_id: str) -> TechnologyInfo:
    with Session(workspace.app_db) as session:
        return _info(_load(session, technology_id))


def list_technologies(workspace: Workspace) -> list[TechnologyInfo]:
    """Every technology, by id."""
    with Session(workspace.app_db) as session:
        return [_info(row) for row in session.scalars(
            select(Technology).order_by(Technology.id)).all()]


def _changed_fields(row: Technology, change: TechnologyChange,
                    changed_on: date) -> dict[str, Any]:
    wanted = {name: getattr(change, name) for name in CHANGE_FIELDS
              if getattr(change, name) is not None}
    if wanted.get("status") == "live" and row.live_from is None and "live_from" not in wanted:
        wanted["live_from"] = changed_on
    if "live_from" in wanted and wanted.get("status", row.status) == "planned":
        wanted["status"] = "live"
    return {name: value for name, value in wanted.items() if getattr(row, name) != value}


def change_technology(workspace: Workspace, technology_id: str, change: TechnologyChange, *,
                      actor: str, today: date | None = None) -> TechnologyInfo:
    """Apply `change` and add it to the change log (audited). A change of kind, vendor,
    model, version or channels, or one described without changing a field (new content,
    retraining), is material: the technology must be verified again."""
    changed_on = change.changed_on or today or workspace.today()
    with Session(workspace.app_db) as session:
        row = _load(session, technology_id)
        before_view = _audit_view(row)
        fields = _changed_fields(row, change, changed_on)
        asked = [n for n in CHANGE_FIELDS if getattr(change, n) is not None]
        if asked and not fields:
            raise CxpmError(f"technology {technology_id}: nothing to change (the values "
                            f"given are the current ones)")
        before = {name: _plain(getattr(row, name)) for name in fields}
        for name, value in fields.items():
            setattr(row, name, list(value) if name == "channels" else value)
        now = utc_now()
        entry = ChangeRow(
            number=max((c.number for c in row.changes), default=0) + 1,
            changed_on=changed_on, description=change.description, actor=actor,
            before=before, after={name: _plain(value) for name, value in fields.items()},
            material=not fields or any(name in MATERIAL_FIELDS for name in fields),
            recorded_at=now)
        row.changes.append(entry)
        row.updated_at = now
        session.flush()
        record_audit(session, actor=actor, action="change", entity=ENTITY,
                     entity_id=technology_id, before=before_view, after=_audit_view(row),
                     note=change.description)
        session.commit()
        return _info(row)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def attest_ethics(workspace: Workspace, technology_id: str, attestation: EthicsAttestation,
                  *, actor: str) -> TechnologyInfo:
    """Record the ethics-policy attestation (replaces the previous one; the audit log keeps
    it)."""
    if attestation.next_review_due <= attestation.attested_on:
        raise CxpmError(f"the next ethics review ({attestation.next_review_due}) must be "
                        f"after the attestation date ({attestation.attested_on})")
    return _set_json(workspace, technology_id, "ethics", attestation.model_dump(mode="json"),
                     actor=actor, action="attest")


def record_security_review(workspace: Workspace, technology_id: str, review: SecurityReview,
                           *, actor: str) -> TechnologyInfo:
    """Record a data-security review (replaces the previous one; the audit log keeps it)."""
    return _set_json(workspace, technology_id, "security_review",
                     review.model_dump(mode="json"), actor=actor, action="security_review")


def _set_json(workspace: Workspace, technology_id: str, field: str, value: dict[str, Any], *,
              actor: str, action: str) -> TechnologyInfo:
    with Session(workspace.app_db) as session:
        row = _load(session, technology_id)
        before = _audit_view(row)
        setattr(row, field, value)
        row.updated_at = utc_now()
        session.flush()
        record_audit(session, actor=actor, action=action, entity=ENTITY,
                     entity_id=technology_id, before=before, after=_audit_view(row))
        session.commit()
        return _info(row)


def record_verification(workspace: Workspace, technology_id: str,
                        outcome: VerificationOutcome, *, verifier: str, actor: str,
                        verified_on: date | None = None,
                        version: str | None = None) -> TechnologyInfo:
    """Add a verification record for `version` (default: the current version), audited."""
    with Session(workspace.app_db) as session:
        row = _load(session, technology_id)
        record = TechnologyVerification(
            number=max((v.number for v in row.verifications), default=0) + 1,
            verified_on=verified_on or workspace.today(), method=outcome.method,
            verified_version=version if version is not None else row.version,
            result=outcome.result, verifier=verifier,
            details={**outcome.details, "reason": outcome.reason}, recorded_at=utc_now())
        row.verifications.append(record)
        row.updated_at = record.recorded_at
        session.flush()
        after = _info(row).verifications[-1].model_dump(mode="json")
        record_audit(session, actor=actor, action="verify", entity=ENTITY,
                     entity_id=technology_id, before=None, after=after, note=outcome.reason)
        session.commit()
        return _info(row)
