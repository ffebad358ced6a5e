"""A technology and its governance records as pydantic models (what the CLI and the web app
pass in and get back). Allowed values are documented in docs/technology.md."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from cxpm.schema.tables import CHANNELS

Kind = Literal["bot", "ai_assistant", "ivr", "agent_assist", "other"]
KINDS: tuple[str, ...] = Kind.__args__
Status = Literal["planned", "live", "retired"]
STATUSES: tuple[str, ...] = Status.__args__
Method = Literal["qa_form", "test_set"]
Result = Literal["pass", "fail"]

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
# Fields whose change alters what the technology does: it must be verified again.
MATERIAL_FIELDS: tuple[str, ...] = ("kind", "vendor", "model", "version", "channels")
# Fields a change may set, in the order the change log shows them.
CHANGE_FIELDS: tuple[str, ...] = ("name", "kind", "owner", "purpose", "channels", "vendor",
                                  "model", "version", "agent_id", "status", "live_from")

# Defaults of a qa_form verification (docs/technology.md, "Verification").
DEFAULT_MIN_EVALUATIONS = 20
DEFAULT_MIN_ACCURACY = 0.95
DEFAULT_TEST_SET_THRESHOLD = 0.95


def check_channels(channels: list[str]) -> list[str]:
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown channel {unknown[0]!r}; channels are {', '.join(CHANNELS)}")
    return list(dict.fromkeys(channels))


Channels = Annotated[list[str], AfterValidator(check_channels)]


class TechnologySpec(BaseModel):
    """A new technology. With `live_from` it is registered as live from that day."""

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    name: str = Field(min_length=1)
    kind: Kind
    owner: str | None = None
    purpose: str | None = None
    channels: Channels = Field(default_factory=list)
    vendor: str | None = None
    model: str | None = None
    version: str | None = None
    agent_id: str | None = None  # its id in contacts and evaluations (handled it / evaluated)
    live_from: date | None = None


class TechnologyChange(BaseModel):
    """A change to a technology; None leaves a field as it is. `status` live without
    `live_from` goes live on the change's date."""

    description: str = Field(min_length=1)
    changed_on: date | None = None  # default: today
    name: str | None = None
    kind: Kind | None = None
    owner: str | None = None
    purpose: str | None = None
    channels: Channels | None = None  # replaces the list
    vendor: str | None = None
    model: str | None = None
    version: str | None = None
    agent_id: str | None = None
    status: Status | None = None
    live_from: date | None = None


class EthicsAttestation(BaseModel):
    """The owner's attestation that the technology follows the ethics policy."""

    policy_version: str = Field(min_length=1)
    attested_by: str = Field(min_length=1)
    attested_on: date  # the review date
    next_review_due: date


class SecurityReview(BaseModel):
    reviewed_on: date
    result: Result
    reviewer: str = Field(min_length=1)
    notes: str | None = None


class QaFormRequest(BaseModel):
    """Verify with saved QA evaluations of the technology's agent_id on a bot form: by
    evaluation ids, or every evaluation (calibration ones left out) in a date range."""

    form: str  # form id, or id@version (default: the latest version)
    evaluation_ids: list[str] = Field(default_factory=list)
    date_from: date | None = None  # local dates of the workspace, inclusive
    date_to: date | None = None
    min_evaluations: int = Field(default=DEFAULT_MIN_EVALUATIONS, ge=1)
    min_accuracy: float = Field(default=DEFAULT_MIN_ACCURACY, ge=0, le=1)


class TestSetRequest(BaseModel):
    """Verify with a test set: `correct` of `cases` answered correctly."""

    __test__ = False  # not a pytest class

    cases: int = Field(ge=1)
    correct: int = Field(ge=0)
    threshold: float = Field(default=DEFAULT_TEST_SET_THRESHOLD, ge=0, le=1)


class VerificationOutcome(BaseModel):
    """A computed verification, ready to record."""

    method: Method
    result: Result
    details: dict[str, Any]
    reason: str


class VerificationRecord(BaseModel):
    number: int  # 1, 2, ... within its technology
    verified_on: date
    method: Method
    verified_version: str | None
    result: Result
    verifier: str
    details: dict[str, Any]
    recorded_at: datetime


class ChangeEntry(BaseModel):
    number: int
    changed_on: date
    description: str
    actor: str
    before: dict[str, Any]  # the changed fields only
    after: dict[str, Any]
    material: bool  # needs a new verification
    recorded_at: datetime


class TechnologyInfo(BaseModel):
    id: str
    name: str
    kind: Kind
    owner: str | None
    purpose: str | None
    channels: list[str]
    vendor: str | None
    model: str | None
    version: str | None
    agent_id: str | None
    live_from: date | None
    status: Status
    ethics: EthicsAttestation | None
    security_review: SecurityReview | None
    verifications: list[VerificationRecord]
    changes: list[ChangeEntry]
    created_at: datetime
    updated_at: datetime
