"""Journeys as a process-mining event log: CSV with pm4py's column names, or IEEE XES.

One event per journey step: the case is the journey, the activity the step label, the
timestamp the step's arrival (ISO 8601, UTC offset). Rows stream from the warehouse in
batches, so a log larger than memory can be written.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO
from xml.sax.saxutils import quoteattr

import ibis.expr.types as ir
from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.files import atomic_output
from cxpm.journeys.selection import select_journeys, step_label

EventLogFormat = Literal["csv", "xes"]
FORMATS: tuple[str, ...] = ("csv", "xes")
CASE = "case:concept:name"
ACTIVITY = "concept:name"
TIMESTAMP = "time:timestamp"
RESOURCE = "org:resource"
LIFECYCLE = "lifecycle:transition"
CSV_COLUMNS = (CASE, ACTIVITY, TIMESTAMP, RESOURCE, LIFECYCLE, "channel", "queue",
               "handled_by", "contact_id", "case:reason")
# Event attributes besides concept:name and time:timestamp, as XES string attributes.
_EVENT_STRINGS = ((RESOURCE, "agent_id"), ("channel", "channel"), ("queue", "queue"),
                  ("handled_by", "handled_by"), ("contact_id", "contact_id"))
_BATCH_ROWS = 50_000
# Characters XML 1.0 cannot hold at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_XES_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1849-2016" xes.features="" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" \
uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="__INVALID__"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="__INVALID__"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00+00:00"/>
    <string key="lifecycle:transition" value="complete"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="concept:name" value="cxpm journeys"/>
"""


class EventLogSummary(BaseModel):
    path: str
    format: str
    cases: int
    events: int


def eventlog_format(path: Path, fmt: str | None) -> EventLogFormat:
    """The format asked for, else the one the file name ends with."""
    chosen = (fmt or path.suffix.lstrip(".")).lower()
    if chosen not in FORMATS:
        if fmt:
            raise CxpmError(f"event log format must be csv or xes, got {fmt!r}")
        raise CxpmError(f"cannot tell the event log format from {path.name!r}: name the file "
                        ".csv or .xes, or give the format")
    return chosen  # type: ignore[return-value]


def export_eventlog(tables: Mapping[str, ir.Table], path: Path, *, period: str | None = None,
                    fmt: str | None = None) -> EventLogSummary:
    """Write the steps of the journeys that started in `period` (YYYY-MM, local; all when
    None) as an event log to `path`, replaced only once complete. `fmt` is "csv" or "xes";
    by default the file extension decides."""
    path = Path(path)
    chosen = eventlog_format(path, fmt)
    events = _events(tables, period)
    with atomic_output(path) as temporary, temporary.open("w", encoding="utf-8",
                                                          newline="") as out:
        writer = _write_csv if chosen == "csv" else _write_xes
        cases, count = writer(events, out)
    return EventLogSummary(path=str(path), format=chosen, cases=cases, events=count)


def _events(tables: Mapping[str, ir.Table], period: str | None) -> Iterator[dict[str, Any]]:
    """Steps in case order (journey, then step), with their label and the journey's reason."""
    journeys, steps = select_journeys(tables, period)
    reasons = journeys.select(__journey=journeys.journey_id, __reason=journeys.reason)
    rows = steps.left_join(reasons, steps.journey_id == reasons.__journey)
    rows = rows.select(
        "journey_id", "step", "contact_id", "agent_id", "channel", "queue", "handled_by",
        "arrived_at", activity=step_label(rows), reason=rows.__reason,
    ).order_by("journey_id", "step", "contact_id")
    for batch in rows.to_pyarrow_batches(chunk_size=_BATCH_ROWS):
        yield from batch.to_pylist()


def _timestamp(moment: datetime) -> str:
    """Stored timestamps are naive UTC: written ISO 8601 with the +00:00 offset."""
    return moment.replace(tzinfo=UTC).isoformat()


def _write_csv(events: Iterator[dict[str, Any]], out: TextIO) -> tuple[int, int]:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    cases, count, current = 0, 0, None
    for event in events:
        if event["journey_id"] != current:
            cases, current = cases + 1, event["journey_id"]
        writer.writerow([event["journey_id"], event["activity"],
                         _timestamp(event["arrived_at"]), event["agent_id"], "complete",
                         event["channel"], event["queue"], event["handled_by"],
                         event["contact_id"], event["reason"]])
        count += 1
    return cases, count


def _xml(value: Any) -> str:
    """An attribute value, quoted and escaped; characters XML cannot hold become U+FFFD."""
    return quoteattr(_NOT_XML.sub("\ufffd", str(value)))


def _string(key: str, value: Any) -> str:
    return f"<string key={_xml(key)} value={_xml(value)}/>"


def _write_xes(events: Iterator[dict[str, Any]], out: TextIO) -> tuple[int, int]:
    out.write(_XES_HEAD)
    cases, count, current = 0, 0, None
    for event in events:
        if event["journey_id"] != current:
            if current is not None:
                out.write("  </trace>\n")
            cases, current = cases + 1, event["journey_id"]
            out.write(f"  <trace>\n    {_string('concept:name', current)}\n")
            if event["reason"] is not None:
                out.write(f"    {_string('reason', event['reason'])}\n")
        attributes = [_string(ACTIVITY, event["activity"]),
                      f"<date key={_xml(TIMESTAMP)} "
                      f"value={_xml(_timestamp(event['arrived_at']))}/>",
                      _string(LIFECYCLE, "complete")]
        attributes += [_string(key, event[column]) for key, column in _EVENT_STRINGS
                       if event[column] is not None]
        out.write("    <event>\n" + "".join(f"      {a}\n" for a in attributes)
                  + "    </event>\n")
        count += 1
    if current is not None:
        out.write("  </trace>\n")
    out.write("</log>\n")
    return cases, count
