"""A corrective action and its parts, as plain pydantic models (what the CLI and the web app
pass in and get back). Lists of allowed values are documented in docs/actions.md."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

State = Literal["open", "analysing", "acting", "verifying", "closed-effective",
                "closed-ineffective"]
STATES: tuple[str, ...] = State.__args__
CLOSED_STATES: tuple[str, ...] = ("closed-effective", "closed-ineffective")

Origin = Literal["signal", "missed_target", "manual"]
ORIGINS: tuple[str, ...] = Origin.__args__

ROOT_CAUSE_METHODS: tuple[str, ...] = ("5-whys", "fishbone", "pareto", "other")

CAUSE_CATEGORIES: tuple[str, ...] = ("people", "process", "technology", "forecast/staffing",
                                     "customer/demand", "vendor", "other")

VerificationResult = Literal["effective", "ineffective"]


class Finding(BaseModel):
    """One step of a root-cause analysis. For 5 whys: the question asked and its answer, in
    order; for other methods `why` may be empty and `answer` holds the finding."""

    why: str | None = None
    answer: str = Field(min_length=1)


class TaskSpec(BaseModel):
    description: str = Field(min_length=1)
    owner: str | None = None
    due_date: date | None = None


class TaskInfo(TaskSpec):
    number: int  # 1, 2, ... within its action, in the order added
    done_date: date | None = None


class Evidence(BaseModel):
    """One period of an effectiveness check."""

    period: str  # YYYY-MM
    phase: Literal["baseline", "after"]
    value: float | None
    target: float | None
    status: str | None  # met | warning | missed | no data (after-implementation periods)
    signals: list[str]  # every rule the point completes on the baseline-limit chart
    adverse_signals: list[str]  # those pointing the worse way; they break control


class Verification(BaseModel):
    """A recorded verification result: needed to close an action."""

    result: VerificationResult
    method: Literal["automatic", "manual"]
    verified_at: datetime
    verified_by: str
    note: str | None = None
    evidence: list[Evidence] = []


class ActionSpec(BaseModel):
    """A new corrective action."""

    title: str = Field(min_length=1)
    metric: str
    scope: dict[str, str] = Field(default_factory=dict)
    problem: str | None = None
    owner: str | None = None
    due_date: date | None = None
    origin: Origin = "manual"
    origin_ref: str | None = None  # e.g. "we1 2026-05" or "target 7 2026-05"


class ActionUpdate(BaseModel):
    """Changes to an action; None (or empty) leaves a field as it is. Field changes are
    applied before the state change, so one update can set the implementation date and
    enter verifying."""

    state: State | None = None
    title: str | None = None
    problem: str | None = None
    owner: str | None = None
    due_date: date | None = None
    root_cause_method: str | None = None
    findings: list[Finding] | None = None  # replaces the list, in the order given
    cause_category: str | None = None
    add_tasks: list[TaskSpec] = []
    done_tasks: list[int] = []  # task numbers finished (done date: the update's `today`)
    implemented_on: date | None = None
    verification: Verification | None = None
    note: str | None = None  # kept in the audit log

    @field_validator("root_cause_method")
    @classmethod
    def _method(cls, value: str | None) -> str | None:
        return normalise_method(value) if value is not None else None


def normalise_method(text: str) -> str:
    """'5 whys', '5_whys' and '5-Whys' are the same method."""
    return "-".join(text.strip().lower().replace("_", " ").split())


class ActionInfo(BaseModel):
    id: int
    title: str
    problem: str | None
    metric: str
    scope: dict[str, str]
    origin: Origin
    origin_ref: str | None
    owner: str | None
    due_date: date | None
    state: State
    root_cause_method: str | None
    findings: list[Finding]
    cause_category: str | None
    tasks: list[TaskInfo]
    implemented_on: date | None
    verification: Verification | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
