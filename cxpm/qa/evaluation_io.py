"""Reading evaluation files: item-level answers as CSV (one row per answer) or JSON (one
object per evaluation). The format is documented in docs/qa.md."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator

from cxpm.errors import CxpmError
from cxpm.files import read_user_text

# Evaluation-level fields; a CSV repeats them on every answer row of the evaluation.
EVALUATION_FIELDS = ("evaluation_id", "form_id", "form_version", "contact_id", "agent_id",
                     "evaluator_id", "evaluated_at", "calibration_session_id", "comment")
REQUIRED_FIELDS = ("evaluation_id", "form_id", "agent_id", "evaluated_at")
CSV_ANSWER_FIELDS = ("item_id", "answer")


class EvaluationInput(BaseModel):
    """One evaluation as entered: who was evaluated on which contact, with which form
    version (latest when None), and the raw answer per item id."""

    evaluation_id: str = Field(min_length=1, max_length=120)
    form_id: str = Field(min_length=1, max_length=80)
    form_version: int | None = None
    contact_id: str | None = Field(default=None, max_length=120)
    agent_id: str = Field(min_length=1, max_length=120)
    evaluator_id: str | None = Field(default=None, max_length=120)
    evaluated_at: datetime  # naive UTC
    calibration_session_id: str | None = Field(default=None, max_length=120)
    comment: str | None = None
    answers: dict[str, Any] = Field(default_factory=dict)
    origin: str = ""  # where it came from, for messages ("file.csv line 12")

    @field_validator("evaluated_at")
    @classmethod
    def _naive_utc(cls, value: datetime) -> datetime:
        # The web app may hand over an aware time; storage is naive UTC.
        if value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)
        return value


def parse_timestamp(text: str, timezone: str, where: str) -> datetime:
    """ISO 8601 date-time to naive UTC; without an offset it is local time of the workspace."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CxpmError(f"{where}: evaluated_at {text!r} is not an ISO date-time "
                        f"(e.g. 2026-10-05T14:30:00 or 2026-10-05T14:30:00+02:00)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.astimezone(UTC).replace(tzinfo=None)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str | None:
    return None if _blank(value) else str(value).strip()


def _version(value: Any, where: str) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON 2.0
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(str(value).strip())
    except ValueError:
        raise CxpmError(f"{where}: form_version {value!r} is not a whole number") from None
    if number < 1:
        raise CxpmError(f"{where}: form_version must be 1 or more, got {number}")
    return number


# Ids are stored in 120-character columns on every database (PostgreSQL enforces it).
MAX_ID_LENGTH = 120


def _evaluation(fields: dict[str, Any], answers: dict[str, Any], timezone: str,
                where: str) -> EvaluationInput:
    missing = [name for name in REQUIRED_FIELDS if _blank(fields.get(name))]
    if missing:
        raise CxpmError(f"{where}: missing {', '.join(missing)}")
    too_long = [name for name in ("evaluation_id", "contact_id", "agent_id", "evaluator_id",
                                  "calibration_session_id")
                if len(str(fields.get(name) or "").strip()) > MAX_ID_LENGTH]
    if too_long:
        raise CxpmError(f"{where}: {', '.join(too_long)} longer than {MAX_ID_LENGTH} "
                        f"characters")
    return EvaluationInput(
        evaluation_id=_text(fields["evaluation_id"]), form_id=_text(fields["form_id"]),
        form_version=_version(fields.get("form_version"), where),
        contact_id=_text(fields.get("contact_id")), agent_id=_text(fields["agent_id"]),
        evaluator_id=_text(fields.get("evaluator_id")),
        evaluated_at=parse_timestamp(str(fields["evaluated_at"]), timezone, where),
        calibration_session_id=_text(fields.get("calibration_session_id")),
        comment=_text(fields.get("comment")), answers=answers, origin=where)


def read_evaluations(path: Path, timezone: str) -> list[EvaluationInput]:
    """Evaluations in a CSV or JSON file (by extension: .csv, .json)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise CxpmError(f"{path.name}: evaluation files are .csv or .json")
    text = read_user_text(path)
    evaluations = (_read_csv(text, path.name, timezone) if suffix == ".csv"
                   else _read_json(text, path.name, timezone))
    if not evaluations:
        raise CxpmError(f"{path.name}: no evaluations in the file")
    return evaluations


def _read_csv(text: str, name: str, timezone: str) -> list[EvaluationInput]:
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in (*REQUIRED_FIELDS, *CSV_ANSWER_FIELDS) if c not in header]
    if missing:
        raise CxpmError(f"{name}: missing column(s) {', '.join(missing)} (the header has "
                        f"{', '.join(header) or 'nothing'})")
    unknown = [c for c in header if c not in (*EVALUATION_FIELDS, *CSV_ANSWER_FIELDS)]
    if unknown:
        raise CxpmError(f"{name}: unknown column(s) {', '.join(unknown)}; columns are "
                        f"{', '.join((*EVALUATION_FIELDS, *CSV_ANSWER_FIELDS))}")
    reader.fieldnames = header
    fields_of: dict[str, dict[str, Any]] = {}
    answers_of: dict[str, dict[str, Any]] = {}
    first_line: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        if None in row:
            raise CxpmError(f"{name} line {line}: more values than columns")
        evaluation_id = _text(row.get("evaluation_id"))
        if evaluation_id is None:
            raise CxpmError(f"{name} line {line}: missing evaluation_id")
        item_id = _text(row.get("item_id"))
        if item_id is None:
            raise CxpmError(f"{name} line {line}: missing item_id")
        fields = fields_of.setdefault(evaluation_id, {})
        first_line.setdefault(evaluation_id, line)
        for column in EVALUATION_FIELDS:
            value = _text(row.get(column))
            if value is None:
                continue
            if fields.get(column) not in (None, value):
                raise CxpmError(f"{name} line {line}: evaluation {evaluation_id} has "
                                f"{column} {fields[column]!r} on an earlier line and "
                                f"{value!r} here")
            fields[column] = value
        answers = answers_of.setdefault(evaluation_id, {})
        if item_id in answers:
            raise CxpmError(f"{name} line {line}: evaluation {evaluation_id} answers item "
                            f"{item_id} twice")
        answers[item_id] = row.get("answer")
    return [_evaluation(fields, answers_of[eid], timezone,
                        f"{name} line {first_line[eid]} (evaluation {eid})")
            for eid, fields in fields_of.items()]


def _read_json(text: str, name: str, timezone: str) -> list[EvaluationInput]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CxpmError(f"{name}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if isinstance(data, dict) and "evaluations" in data:
        data = data["evaluations"]
    if not isinstance(data, list):
        raise CxpmError(f"{name}: expected a list of evaluations (or "
                        f"{{\"evaluations\": [...]}})")
    out = []
    seen: set[str] = set()
    for index, entry in enumerate(data, start=1):
        where = f"{name} evaluation #{index}"
        if not isinstance(entry, dict):
            raise CxpmError(f"{where}: expected an object")
        unknown = [k for k in entry if k not in (*EVALUATION_FIELDS, "answers")]
        if unknown:
            raise CxpmError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}")
        answers = _json_answers(entry.get("answers"), where)
        evaluation = _evaluation(entry, answers, timezone, where)
        if evaluation.evaluation_id in seen:
            raise CxpmError(f"{where}: evaluation {evaluation.evaluation_id} appears twice")
        seen.add(evaluation.evaluation_id)
        out.append(evaluation)
    return out


def _json_answers(value: Any, where: str) -> dict[str, Any]:
    """`{"item": answer}` or `[{"item_id": ..., "answer": ...}]`."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        answers: dict[str, Any] = {}
        for entry in value:
            if not isinstance(entry, dict) or "item_id" not in entry:
                raise CxpmError(f"{where}: each answer needs an item_id and an answer")
            item = str(entry["item_id"])
            if item in answers:
                raise CxpmError(f"{where}: item {item} answered twice")
            answers[item] = entry.get("answer")
        return answers
    raise CxpmError(f"{where}: answers must be an object {{item_id: answer}} or a list")
