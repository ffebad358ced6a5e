"""Target files: export then import gives the same targets; every malformed file names the
file and the line (CSV) or entry (JSON) at fault."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from cxpm.errors import CxpmError
from cxpm.metrics.catalog import load_catalog
from cxpm.targets.files import COLUMNS, read_targets, targets_text
from cxpm.targets.model import TargetSpec
from cxpm.targets.store import list_targets, set_targets
from cxpm.workspace import Workspace

SPECS = [
    TargetSpec(metric="aht", valid_from=date(2026, 1, 1), value=300.0, warning=330.0,
               scope={"program": "Cards, Loans", "site": "north"},
               benchmark_source="Industry study", benchmark_date=date(2025, 6, 30),
               benchmark_statistic="top quartile", benchmark_value=287.5, owner="Zoë",
               rationale='budget, "stretch"\nsecond line'),
    TargetSpec(metric="service_level", valid_from=date(2026, 3, 1),
               valid_to=date(2026, 12, 31), value=0.8),
    TargetSpec(metric="csat", scope={"program": "billing"}, valid_from=date(2026, 1, 1),
               value=0.85, warning=0.8),
]
FIELDS = tuple(TargetSpec.model_fields)


def _as_specs(targets) -> list[TargetSpec]:
    return [TargetSpec(**{f: getattr(t, f) for f in FIELDS}) for t in targets]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_round_trip(workspace: Workspace, tmp_path: Path, fmt: str) -> None:
    set_targets(workspace, SPECS, actor="t")
    stored = list_targets(workspace)
    path = tmp_path / f"targets.{fmt}"
    path.write_text(targets_text(stored, fmt), encoding="utf-8")
    assert read_targets(path, load_catalog()) == _as_specs(stored)
    assert sorted(read_targets(path), key=lambda s: s.metric) == sorted(
        SPECS, key=lambda s: s.metric)


def test_export_writes_the_import_columns(workspace: Workspace) -> None:
    set_targets(workspace, SPECS[1:2], actor="t")
    [header, row] = targets_text(list_targets(workspace), "csv").splitlines()
    assert header.split(",") == list(COLUMNS)
    assert row == "service_level,,2026-03-01,2026-12-31,0.8,,,,,,,"
    [entry] = json.loads(targets_text(list_targets(workspace), "json"))
    assert entry == {c: None for c in COLUMNS} | {
        "metric": "service_level", "scope": {}, "valid_from": "2026-03-01",
        "valid_to": "2026-12-31", "value": 0.8}


def test_csv_cells_may_be_months_and_comma_scopes(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("metric,scope,valid_from,value\n"
                    "aht,\"program=banking,site=north\",2026-04,300\n", encoding="utf-8")
    [spec] = read_targets(path)
    assert spec.scope == {"program": "banking", "site": "north"}
    assert spec.valid_from == date(2026, 4, 1)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "metric,scope,valid_from,value,warning\n"
GOOD = "aht,,2026-01,300,\n"


@pytest.mark.parametrize(("body", "message"), [
    ("metric,valid_from,value,colour\naht,2026-01,300,red\n",
     "t.csv line 1: unknown column(s) colour"),
    (HEADER + GOOD + ",,2026-01,300,\n", "t.csv line 3: missing metric"),
    (HEADER + GOOD + "aht,,2026-01,,\n", "t.csv line 3: missing value"),
    (HEADER + GOOD + "aht,,,300,\n", "t.csv line 3: missing valid_from"),
    (HEADER + GOOD + "aht,,2026-01,fast,\n", "t.csv line 3: value 'fast' is not a number"),
    (HEADER + GOOD + "aht,,2026-01,300,x\n", "t.csv line 3: warning 'x' is not a number"),
    (HEADER + GOOD + "aht,,2026-1-5,300,\n",
     "t.csv line 3: valid_from expects YYYY-MM or YYYY-MM-DD, got '2026-1-5'"),
    (HEADER + GOOD + "aht,program,2026-01,300,\n",
     "t.csv line 3: scope expects DIM=VALUE, got 'program'"),
    (HEADER + GOOD + "aht,,2026-01,300,,extra\n",
     "t.csv line 3: more cells than the header has columns"),
    # a blank line still counts as a line of the file
    (HEADER + GOOD + "\n" + "aht,,2026-01,x,\n", "t.csv line 4: value 'x' is not a number"),
    (HEADER + GOOD + "aht,,2026-01,310,\n",
     "t.csv line 3: same metric, scope and valid_from as line 2"),
    (HEADER, "t.csv: no targets in the file"),
])
def test_bad_csv(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(CxpmError) as caught:
        read_targets(_write(tmp_path, "t.csv", body))
    assert str(caught.value).startswith(message), str(caught.value)


@pytest.mark.parametrize(("body", "message"), [
    (HEADER + GOOD + "aht_x,,2026-01,300,\n", "t.csv line 3: unknown metric 'aht_x'"),
    (HEADER + GOOD + "aht,channel=voice,2026-02,300,250\n",
     "t.csv line 3: target for aht: the warning threshold must be above the target"),
    (HEADER + GOOD + "cost_per_contact,channel=voice,2026-01,3,\n",
     "t.csv line 3: metric cost_per_contact cannot be scoped by channel"),
    (HEADER + GOOD + "aht,,2026-02,nan,\n", "t.csv line 3: target for aht: value must be "
                                           "a finite number"),
])
def test_bad_target_for_its_metric_names_the_line(tmp_path: Path, body: str,
                                                  message: str) -> None:
    path = _write(tmp_path, "t.csv", body)
    with pytest.raises(CxpmError, match="^" + re.escape(message)):
        read_targets(path, load_catalog())


@pytest.mark.parametrize(("entries", "message"), [
    ([{"metric": "aht", "valid_from": "2026-01", "value": 300, "colour": "red"}],
     "t.json target #1: unknown field(s) colour"),
    ([{"metric": "aht", "valid_from": "2026-01", "value": 300},
      {"valid_from": "2026-01", "value": 300}], "t.json target #2: missing metric"),
    ([{"metric": "aht", "valid_from": "2026-01"}], "t.json target #1: missing value"),
    ([{"metric": "aht", "value": 3}], "t.json target #1: missing valid_from"),
    ([{"metric": "aht", "valid_from": "2026-01", "value": "fast"}],
     "t.json target #1: value 'fast' is not a number"),
    ([{"metric": "aht", "valid_from": "2026-01", "value": True}],
     "t.json target #1: value True is not a number"),
    ([{"metric": "aht", "valid_from": "Jan 2026", "value": 3}],
     "t.json target #1: valid_from expects YYYY-MM or YYYY-MM-DD"),
    ([{"metric": "aht", "valid_from": "2026-01", "value": 3, "scope": ["program"]}],
     "t.json target #1: scope must be an object"),
    ([{"metric": "aht", "valid_from": "2026-01", "value": 3, "scope": "program"}],
     "t.json target #1: scope expects DIM=VALUE"),
    ({"metric": "aht"}, "t.json: expected a list of target objects"),
    ([], "t.json: no targets in the file"),
])
def test_bad_json(tmp_path: Path, entries, message: str) -> None:
    with pytest.raises(CxpmError) as caught:
        read_targets(_write(tmp_path, "t.json", json.dumps(entries)))
    assert str(caught.value).startswith(message), str(caught.value)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(CxpmError, match=r"t\.json: not valid JSON \(line 2"):
        read_targets(_write(tmp_path, "t.json", "[\n{oops}]"))
    with pytest.raises(CxpmError, match=r"t\.txt: target files are \.csv or \.json"):
        read_targets(_write(tmp_path, "t.txt", GOOD))
    with pytest.raises(CxpmError, match="file not found"):
        read_targets(tmp_path / "missing.csv")
