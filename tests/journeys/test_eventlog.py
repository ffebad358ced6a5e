"""The event log read back by pm4py: one case per journey, one event per step, and the
directly-follows graph pm4py discovers equals the journey flows between steps."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from cxpm.errors import CxpmError
from cxpm.journeys.eventlog import export_eventlog
from cxpm.journeys.flows import journey_flows
from cxpm.journeys.selection import journey_tables
from cxpm.workspace import Workspace

from . import friction_data as fd

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pm4py announces its licence as a warning on import
    import pm4py

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

STEPS = sum(len(j.steps) for j in fd.JOURNEYS)


@pytest.fixture
def tables(workspace: Workspace) -> dict:
    fd.build(workspace)
    return journey_tables(workspace.warehouse)


def between_steps(tables: dict, period: str | None = None) -> dict[tuple[str, str], int]:
    return {(f.source, f.target): f.count for f in journey_flows(tables, period)
            if f.target not in ("end", "abandoned")}


def last_steps(tables: dict) -> Counter:
    ends: Counter = Counter()
    for flow in journey_flows(tables):
        if flow.target in ("end", "abandoned"):
            ends[flow.source] += flow.count
    return ends


def test_xes_read_by_pm4py(tables: dict, tmp_path: Path) -> None:
    path = tmp_path / "journeys.xes"
    summary = export_eventlog(tables, path)
    assert (summary.format, summary.cases, summary.events) == ("xes", 10, STEPS)
    log = pm4py.read_xes(str(path))
    assert log["case:concept:name"].nunique() == len(fd.JOURNEYS) and len(log) == STEPS
    dfg, _starts, ends = pm4py.discover_dfg(log)
    assert dict(dfg) == between_steps(tables)
    assert Counter(ends) == last_steps(tables)
    first = log[log["concept:name"] == "bot:billing_bot"].sort_values("time:timestamp").iloc[0]
    assert first["case:concept:name"] == "J1" and first["org:resource"] == "bot-1"
    assert first["time:timestamp"] == pd.Timestamp("2026-01-05T10:00:00Z")
    assert first["lifecycle:transition"] == "complete" and first["channel"] == "chat"


def test_csv_read_by_pm4py(tables: dict, tmp_path: Path) -> None:
    path = tmp_path / "journeys.csv"
    summary = export_eventlog(tables, path, period="2026-01")
    frame = pd.read_csv(path)
    # 2026-01 leaves out J9 (2 steps)
    assert (summary.cases, summary.events, len(frame)) == (9, STEPS - 2, STEPS - 2)
    assert frame["time:timestamp"].str.endswith("+00:00").all()
    frame = pm4py.format_dataframe(frame, case_id="case:concept:name",
                                   activity_key="concept:name", timestamp_key="time:timestamp")
    log = pm4py.convert_to_event_log(frame)
    assert len(log) == 9 and sum(len(trace) for trace in log) == STEPS - 2
    dfg, _starts, _ends = pm4py.discover_dfg(log)
    assert dict(dfg) == between_steps(tables, "2026-01")


def test_xml_is_escaped(workspace: Workspace, tmp_path: Path) -> None:
    odd = 'a<b> & "c"\x01'
    steps = fd.step_rows(fd.JOURNEYS[:1])
    steps[0]["queue"] = odd
    fd.write_journey_tables(workspace, steps, fd.journey_rows(steps))
    path = tmp_path / "odd.xes"
    export_eventlog(journey_tables(workspace.warehouse), path)
    queues = [e.get("value") for e in ET.parse(path).iter()
              if e.get("key") == "queue"]
    # the control character cannot be written in XML 1.0: it becomes U+FFFD
    assert queues == ['a<b> & "c"\ufffd', "billing"]
    log = pm4py.read_xes(str(path))
    assert log["concept:name"].tolist() == ['bot:a<b> & "c"\ufffd', "agent:billing"]


def test_format_from_extension_or_option(tables: dict, tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    with pytest.raises(CxpmError, match=r"name the file \.csv or \.xes"):
        export_eventlog(tables, path)
    summary = export_eventlog(tables, path, fmt="xes")
    assert summary.format == "xes" and path.read_text().startswith("<?xml")
    with pytest.raises(CxpmError, match="csv or xes"):
        export_eventlog(tables, path, fmt="json")
    first = pd.read_csv(export_eventlog(tables, tmp_path / "log.csv").path).iloc[0]
    assert datetime.fromisoformat(first["time:timestamp"]) == datetime.fromisoformat(
        "2026-01-05T10:00:00+00:00")
