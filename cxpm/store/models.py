"""Application-database models: workflow records edited by people (users, audit log...)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(40))
    # Scope limits what the user may see: "all", or a kind and a value such as vendor=acme.
    scope_kind: Mapped[str] = mapped_column(String(20), default="all")
    scope_value: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # argon2id hash (cxpm.users.passwords); null until a password is set: no login.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class QaForm(Base):
    """One version of an evaluation form; its definition never changes once imported."""

    __tablename__ = "qa_forms"
    __table_args__ = (UniqueConstraint("form_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict] = mapped_column(JSON)
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    imported_by: Mapped[str] = mapped_column(String(120))


class QaEvaluation(Base):
    """A scored evaluation. Its score and error flags were computed with its form version
    when it was saved and are stored, so later form versions never change them."""

    __tablename__ = "qa_evaluations"

    evaluation_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(80), index=True)
    form_version: Mapped[int] = mapped_column(Integer)
    contact_id: Mapped[str | None] = mapped_column(String(120), nullable=True, index=True)
    agent_id: Mapped[str] = mapped_column(String(120), index=True)
    evaluator_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    evaluated_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    calibration_session_id: Mapped[str | None] = mapped_column(String(120), nullable=True,
                                                                index=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    customer_critical_error: Mapped[bool] = mapped_column(Boolean)
    business_critical_error: Mapped[bool] = mapped_column(Boolean)
    compliance_critical_error: Mapped[bool] = mapped_column(Boolean)
    noncritical_errors: Mapped[int] = mapped_column(Integer)
    noncritical_opportunities: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    answers: Mapped[list[QaAnswer]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="QaAnswer.position")


class QaAnswer(Base):
    """One item's answer and what it scored."""

    __tablename__ = "qa_answers"

    evaluation_id: Mapped[str] = mapped_column(
        ForeignKey("qa_evaluations.evaluation_id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    section_id: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(40))
    answer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    applicable: Mapped[bool] = mapped_column(Boolean)
    points: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_points: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[bool] = mapped_column(Boolean)
    opportunities: Mapped[int] = mapped_column(Integer)
    errors: Mapped[int] = mapped_column(Integer)
    evaluation: Mapped[QaEvaluation] = relationship(back_populates="answers")


class QaCalibrationSession(Base):
    """A calibration session: several evaluators score the same contacts independently."""

    __tablename__ = "qa_calibration_sessions"

    session_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    expert_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(120))


class Target(Base):
    """A metric's target for a scope (dimension values) over a validity period."""

    __tablename__ = "targets"
    # Audit rows name targets by id: a deleted target's id is never given to a new one.
    __table_args__: ClassVar[dict] = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[str] = mapped_column(String(80), index=True)
    # Dimension values the target applies to, e.g. {"program": "billing"}; {} = everywhere.
    scope: Mapped[dict] = mapped_column(JSON)
    scope_key: Mapped[str] = mapped_column(String(400))  # canonical text of scope, for lookups
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    value: Mapped[float] = mapped_column(Float)
    warning: Mapped[float | None] = mapped_column(Float, nullable=True)
    benchmark_source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    benchmark_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    benchmark_statistic: Mapped[str | None] = mapped_column(String(80), nullable=True)
    benchmark_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class CorrectiveAction(Base):
    """A corrective action on a metric and scope: problem, root cause, state, verification."""

    __tablename__ = "corrective_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str | None] = mapped_column(Text, nullable=True)
    metric: Mapped[str] = mapped_column(String(80), index=True)
    scope: Mapped[dict] = mapped_column(JSON)  # dimension values, as a target's scope
    origin: Mapped[str] = mapped_column(String(20))  # signal | missed_target | manual
    origin_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    root_cause_method: Mapped[str | None] = mapped_column(String(40), nullable=True)
    findings: Mapped[list] = mapped_column(JSON)  # [{"why": ..., "answer": ...}] in order
    cause_category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    implemented_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    verification: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    tasks: Mapped[list[CorrectiveActionTask]] = relationship(
        back_populates="action", cascade="all, delete-orphan",
        order_by="CorrectiveActionTask.number")


class CorrectiveActionTask(Base):
    """One task of a corrective action, numbered 1, 2, ... within it."""

    __tablename__ = "corrective_action_tasks"
    __table_args__ = (UniqueConstraint("action_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("corrective_actions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    done_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    action: Mapped[CorrectiveAction] = relationship(back_populates="tasks")


class Technology(Base):
    """A technology serving customers (bot, AI assistant, IVR, agent assist): governance
    record with its latest ethics attestation and data-security review (docs/technology.md)."""

    __tablename__ = "technologies"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    purpose: Mapped[str | None] = mapped_column(Text, nullable=True)
    channels: Mapped[list] = mapped_column(JSON)
    vendor: Mapped[str | None] = mapped_column(String(120), nullable=True)
    model: Mapped[str | None] = mapped_column(String(120), nullable=True)
    version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    agent_id: Mapped[str | None] = mapped_column(String(120), nullable=True, index=True)
    live_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    ethics: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    security_review: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    verifications: Mapped[list[TechnologyVerification]] = relationship(
        back_populates="technology", cascade="all, delete-orphan",
        order_by="TechnologyVerification.number")
    changes: Mapped[list[TechnologyChange]] = relationship(
        back_populates="technology", cascade="all, delete-orphan",
        order_by="TechnologyChange.number")


class TechnologyVerification(Base):
    """A knowledge/skills verification of one version of a technology (qa_form or test_set)."""

    __tablename__ = "technology_verifications"
    __table_args__ = (UniqueConstraint("technology_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    technology_id: Mapped[str] = mapped_column(
        ForeignKey("technologies.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    verified_on: Mapped[date] = mapped_column(Date)
    method: Mapped[str] = mapped_column(String(20))
    verified_version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    result: Mapped[str] = mapped_column(String(10))
    verifier: Mapped[str] = mapped_column(String(120))
    details: Mapped[dict] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    technology: Mapped[Technology] = relationship(back_populates="verifications")


class TechnologyChange(Base):
    """One entry of a technology's change log: what changed, before and after."""

    __tablename__ = "technology_changes"
    __table_args__ = (UniqueConstraint("technology_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    technology_id: Mapped[str] = mapped_column(
        ForeignKey("technologies.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    changed_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    before: Mapped[dict] = mapped_column(JSON)
    after: Mapped[dict] = mapped_column(JSON)
    # A change to what the technology does (version, model, vendor, kind, channels, or a
    # change described without field changes) needs a new verification.
    material: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    technology: Mapped[Technology] = relationship(back_populates="changes")


class AuthToken(Base):
    """A bearer token (kind "api") or a browser session (kind "session") of a user. Only the
    SHA-256 of the random token is stored, so a copy of the database cannot log anyone in."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class LoginFailure(Base):
    """A failed login, kept for the rate-limit window (cxpm.users.throttle)."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), index=True)
    client: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
