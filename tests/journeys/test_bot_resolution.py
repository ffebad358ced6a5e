"""bot_resolution_rate on friction_data.py's journeys: contained AND no repeat within the
window AND no negative survey, over customer-initiated bot contacts of known customers."""

from __future__ import annotations

import pytest

from cxpm.journeys.selection import journey_tables
from cxpm.metrics.engine import compute, to_records
from cxpm.metrics.params import resolve_params
from cxpm.workspace import Workspace

from . import friction_data as fd


def rate(tables: dict, **params: object) -> dict:
    records = to_records(compute(tables, ["bot_resolution_rate", "bot_containment_rate"],
                                 params=resolve_params({}, params)))
    return {r["metric"]: r for r in records}


def test_bot_resolution_counts_only_contained_unrepeated_unhappy_free_sessions(
        workspace: Workspace) -> None:
    fd.build(workspace)
    tables = journey_tables(workspace.warehouse)
    # Bot sessions of known customers: c1 (K1, escalated to c2), c3 (K2, escalated), c12
    # (K1, escalated), c17 (K6, contained, CSAT 5, alone in its journey). c10 belongs to an
    # unknown customer and is left out. Resolved: c17 only.
    result = rate(tables)
    resolution = result["bot_resolution_rate"]
    assert (resolution["numerator"], resolution["denominator"]) == (1, 4)
    assert resolution["value"] == pytest.approx(0.25)


def test_an_unhappy_survey_undoes_the_resolution(workspace: Workspace) -> None:
    steps = fd.step_rows()
    fd.write_journey_tables(workspace, steps, fd.journey_rows(steps))
    fd._canonical(workspace, "contacts", fd.contact_rows(steps))
    # c17 now scores CSAT 3: above the default bottom box (1-2), inside a bottom box of 1-3.
    surveys = [dict(row, csat=3) if row["contact_id"] == "c17" else row
               for row in fd.survey_rows()]
    fd._canonical(workspace, "surveys", surveys)
    tables = journey_tables(workspace.warehouse)
    assert rate(tables)["bot_resolution_rate"]["numerator"] == 1
    assert rate(tables, **{"survey.csat_bottom_box_max": 3})["bot_resolution_rate"][
        "numerator"] == 0


def test_a_repeat_within_the_window_undoes_the_resolution(workspace: Workspace) -> None:
    # K6 comes back two days after c17 (same reason): J8 now has two customer contacts.
    repeat = fd.Journey("J8", "K6", "billing", (
        fd._bot("c17", "2026-01-14T15:00", 20, resolved=True),
        fd._agent("c40", "2026-01-16T15:00", "voice", "billing", 100, resolved=True)))
    journeys = tuple(repeat if j.journey_id == "J8" else j for j in fd.JOURNEYS)
    steps = fd.step_rows(journeys)
    fd.write_journey_tables(workspace, steps, fd.journey_rows(steps))
    fd._canonical(workspace, "contacts", fd.contact_rows(steps))
    fd._canonical(workspace, "surveys", fd.survey_rows())
    tables = journey_tables(workspace.warehouse)
    resolution = rate(tables)["bot_resolution_rate"]
    assert (resolution["numerator"], resolution["denominator"]) == (0, 4)
