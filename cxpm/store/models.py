"""Application-database models: workflow records edited by people (users, audit log...)."""

from __future__ import annotations

from datetime import date, datetime

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
