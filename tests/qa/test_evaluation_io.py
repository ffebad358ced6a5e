"""Reading evaluation files: CSV long format and JSON, and every malformed case as a
one-line error naming the file and where."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cxpm.errors import CxpmError
from cxpm.qa.evaluation_io import EvaluationInput, parse_timestamp, read_evaluations

HEADER = "evaluation_id,form_id,form_version,agent_id,evaluator_id,evaluated_at,item_id,answer"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_long_format_repeated_or_blank_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "e.csv", "\n".join([
        HEADER,
        "e1,svc,1,A1,E1,2026-10-05T10:00:00,cc,yes",
        "e1,,,,,,bc,na",                             # blank: taken from the first row
        "e1,svc,1,A1,E1,2026-10-05T10:00:00,tone,4",  # repeated: the same values
        "e2,svc,,A2,,2026-10-05T12:00:00+02:00,cc,no",
    ]) + "\n")
    first, second = read_evaluations(path, "UTC")
    assert (first.evaluation_id, first.form_id, first.form_version, first.agent_id,
            first.evaluator_id) == ("e1", "svc", 1, "A1", "E1")
    assert first.answers == {"cc": "yes", "bc": "na", "tone": "4"}
    assert first.evaluated_at == datetime(2026, 10, 5, 10, 0)
    assert (second.form_version, second.evaluator_id) == (None, None)
    assert second.evaluated_at == datetime(2026, 10, 5, 10, 0)  # 12:00 at +02:00
    assert second.answers == {"cc": "no"}
    assert first.origin == "e.csv line 2 (evaluation e1)"


def test_json_list_and_object_answers(tmp_path: Path) -> None:
    data = {"evaluations": [
        {"evaluation_id": "e1", "form_id": "svc", "agent_id": "A1",
         "evaluated_at": "2026-10-05T10:00:00", "answers": {"cc": "yes", "tone": 4}},
        {"evaluation_id": "e2", "form_id": "svc", "form_version": 2.0, "agent_id": "B1",
         "evaluated_at": "2026-10-05T10:00:00Z", "contact_id": "c9",
         "answers": [{"item_id": "cc", "answer": "no"}, {"item_id": "res", "answer": "bad"}]},
    ]}
    wrapped = read_evaluations(write(tmp_path, "a.json", json.dumps(data)), "UTC")
    bare = read_evaluations(write(tmp_path, "b.json", json.dumps(data["evaluations"])), "UTC")
    assert [e.model_dump(exclude={"origin"}) for e in wrapped] == \
        [e.model_dump(exclude={"origin"}) for e in bare]
    first, second = wrapped
    assert first.answers == {"cc": "yes", "tone": 4}
    assert (second.form_version, second.contact_id) == (2, "c9")
    assert second.answers == {"cc": "no", "res": "bad"}


def test_local_time_is_workspace_time_with_dst() -> None:
    # Paris is UTC+2 in summer time (until 25 October 2026), UTC+1 after.
    assert parse_timestamp("2026-10-05T14:30:00", "Europe/Paris", "x") == \
        datetime(2026, 10, 5, 12, 30)
    assert parse_timestamp("2026-11-05T14:30:00", "Europe/Paris", "x") == \
        datetime(2026, 11, 5, 13, 30)
    assert parse_timestamp("2026-11-05T14:30:00-05:00", "Europe/Paris", "x") == \
        datetime(2026, 11, 5, 19, 30)


def test_api_input_with_an_aware_time_is_stored_as_utc() -> None:
    given = datetime(2026, 10, 5, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    evaluation = EvaluationInput(evaluation_id="e", form_id="f", agent_id="A",
                                 evaluated_at=given)
    assert evaluation.evaluated_at == datetime(2026, 10, 5, 10, 0)
    assert evaluation.evaluated_at.tzinfo is None


CSV_CASES = [
    # (file text, expected message pattern)
    ("evaluation_id,form_id,agent_id,item_id,answer\ne1,svc,A1,cc,yes\n",
     r"^e\.csv: missing column\(s\) evaluated_at"),
    (HEADER + ",colour\ne1,svc,1,A1,E1,2026-10-05T10:00:00,cc,yes,red\n",
     r"^e\.csv: unknown column\(s\) colour"),
    (HEADER + "\ne1,svc,1,A1,E1,2026-10-05T10:00:00,cc,yes\n"
              "e1,svc,1,A2,E1,2026-10-05T10:00:00,bc,yes\n",
     r"^e\.csv line 3: evaluation e1 has agent_id 'A1' on an earlier line and 'A2' here"),
    (HEADER + "\ne1,svc,1,A1,E1,2026-10-05T10:00:00,cc,yes\ne1,,,,,,cc,no\n",
     r"^e\.csv line 3: evaluation e1 answers item cc twice"),
    (HEADER + "\ne1,svc,1,A1,E1,5 Oct 2026,cc,yes\n",
     r"^e\.csv line 2 \(evaluation e1\): evaluated_at '5 Oct 2026' is not an ISO date-time"),
    (HEADER + "\ne1,svc,one,A1,E1,2026-10-05T10:00:00,cc,yes\n",
     r"^e\.csv line 2 \(evaluation e1\): form_version 'one' is not a whole number"),
    (HEADER + "\ne1,svc,0,A1,E1,2026-10-05T10:00:00,cc,yes\n",
     r"^e\.csv line 2 \(evaluation e1\): form_version must be 1 or more"),
    (HEADER + "\ne1,svc,1,,E1,2026-10-05T10:00:00,cc,yes\n",
     r"^e\.csv line 2 \(evaluation e1\): missing agent_id"),
    (HEADER + "\ne1,svc,1,A1,E1,2026-10-05T10:00:00,,yes\n", r"^e\.csv line 2: missing item_id"),
    (HEADER + "\ne1,svc,1,A1,E1,2026-10-05T10:00:00,cc,yes,extra\n",
     r"^e\.csv line 2: more values than columns"),
    ("", r"^e\.csv: missing column\(s\)"),
    (HEADER + "\n", r"^e\.csv: no evaluations in the file"),
]


@pytest.mark.parametrize(("text", "message"), CSV_CASES)
def test_malformed_csv(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CxpmError, match=message) as excinfo:
        read_evaluations(write(tmp_path, "e.csv", text), "UTC")
    assert "\n" not in str(excinfo.value)


GOOD_JSON = {"evaluation_id": "e1", "form_id": "svc", "agent_id": "A1",
             "evaluated_at": "2026-10-05T10:00:00", "answers": {"cc": "yes"}}
JSON_CASES = [
    ("{not json", r"^e\.json: not valid JSON \(line 1"),
    ("", r"^e\.json: not valid JSON"),
    ("[]", r"^e\.json: no evaluations in the file"),
    ('{"rows": []}', r"^e\.json: expected a list of evaluations"),
    (json.dumps([GOOD_JSON, GOOD_JSON]), r"^e\.json evaluation #2: evaluation e1 appears twice"),
    (json.dumps([{**GOOD_JSON, "colour": "red"}]),
     r"^e\.json evaluation #1: unknown field\(s\) colour"),
    (json.dumps([{**GOOD_JSON, "evaluated_at": "yesterday"}]),
     r"^e\.json evaluation #1: evaluated_at 'yesterday' is not an ISO date-time"),
    (json.dumps([{**GOOD_JSON, "form_version": "v2"}]),
     r"^e\.json evaluation #1: form_version 'v2' is not a whole number"),
    (json.dumps([{**GOOD_JSON, "form_version": 1.5}]),
     r"^e\.json evaluation #1: form_version 1\.5 is not a whole number"),
    (json.dumps([{**GOOD_JSON, "form_version": True}]),
     r"^e\.json evaluation #1: form_version True is not a whole number"),
    (json.dumps([{**GOOD_JSON, "answers": [{"item_id": "cc", "answer": "yes"},
                                           {"item_id": "cc", "answer": "no"}]}]),
     r"^e\.json evaluation #1: item cc answered twice"),
    (json.dumps([{**GOOD_JSON, "answers": "yes"}]), r"^e\.json evaluation #1: answers must be"),
    (json.dumps(["e1"]), r"^e\.json evaluation #1: expected an object"),
    (json.dumps([{k: v for k, v in GOOD_JSON.items() if k != "form_id"}]),
     r"^e\.json evaluation #1: missing form_id"),
]


@pytest.mark.parametrize(("text", "message"), JSON_CASES)
def test_malformed_json(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CxpmError, match=message) as excinfo:
        read_evaluations(write(tmp_path, "e.json", text), "UTC")
    assert "\n" not in str(excinfo.value)


def test_wrong_extension_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CxpmError, match=r"^e\.txt: evaluation files are \.csv or \.json$"):
        read_evaluations(write(tmp_path, "e.txt", "x"), "UTC")
    with pytest.raises(CxpmError, match="file not found"):
        read_evaluations(tmp_path / "absent.csv", "UTC")
    path = tmp_path / "latin.csv"
    path.write_bytes((HEADER + "\ne1,svc,1,A\xe9,E1,2026-10-05T10:00:00,cc,yes\n")
                     .encode("latin-1"))
    with pytest.raises(CxpmError, match=r"latin\.csv: not a UTF-8 text file$"):
        read_evaluations(path, "UTC")


def test_ids_longer_than_the_database_columns_are_refused(tmp_path) -> None:
    path = tmp_path / "long.json"
    path.write_text('[{"evaluation_id": "' + "e" * 121 + '", "form_id": "f", '
                    '"agent_id": "a", "evaluated_at": "2026-10-01T10:00:00", '
                    '"answers": {}}]', encoding="utf-8")
    with pytest.raises(CxpmError, match="evaluation_id longer than 120 characters"):
        read_evaluations(path, "UTC")
