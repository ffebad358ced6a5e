"""Rows of the metric engine's journey sources, read from the materialised tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from cxpm.errors import CxpmError
from cxpm.journeys.tables import (
    JOURNEYS_COLUMNS,
    JOURNEYS_SCHEMA,
    JOURNEYS_TABLE,
    STEPS_SCHEMA,
    STEPS_TABLE,
)

SURVEY_COLUMNS = {"survey_id": "string", "responded_at": "timestamp(6)", "csat": "int64",
                  "nps": "int64", "ces": "int64", "resolved_reported": "boolean"}
JOURNEY_SURVEY_COLUMNS = {**JOURNEYS_COLUMNS, **SURVEY_COLUMNS}


def journey_tables(tables: Mapping[str, ir.Table],
                   params: Mapping[str, Any]) -> tuple[ir.Table, ir.Table]:
    """journeys and journey_steps: as given, else from the warehouse holding `contacts`,
    which must have been built with the current window parameters and every batch."""
    if JOURNEYS_TABLE in tables and STEPS_TABLE in tables:
        return tables[JOURNEYS_TABLE], tables[STEPS_TABLE]
    from cxpm.journeys.build import check_current
    from cxpm.journeys.stitch import StitchParams
    from cxpm.warehouse import Warehouse

    try:
        contacts = tables["contacts"]
    except KeyError:
        raise CxpmError("the journeys tables are missing: run cxpm journeys build") from None
    warehouse = Warehouse(contacts._find_backend(use_default=True))
    check_current(warehouse, StitchParams.from_params(params))
    existing = set(warehouse.con.list_tables())
    if JOURNEYS_TABLE not in existing or STEPS_TABLE not in existing:
        # Nothing loaded yet (check_current passed): there are simply no journeys.
        return (ibis.memtable(JOURNEYS_SCHEMA.to_pyarrow().empty_table()),
                ibis.memtable(STEPS_SCHEMA.to_pyarrow().empty_table()))
    return warehouse.con.table(JOURNEYS_TABLE), warehouse.con.table(STEPS_TABLE)


def journey_rows(tables: Mapping[str, ir.Table], params: Mapping[str, Any]) -> ir.Table:
    journeys, _ = journey_tables(tables, params)
    return journeys


def journey_survey_rows(tables: Mapping[str, ir.Table], params: Mapping[str, Any]) -> ir.Table:
    """One row per journey with a CSAT answer: the latest such survey (responded_at, then
    survey_id) of any of the journey's steps, with the journey's columns."""
    journeys, steps = journey_tables(tables, params)
    try:
        surveys = tables["surveys"]
    except KeyError:
        raise CxpmError("table 'surveys' is needed but was not given") from None
    members = steps.select(__jid=steps.journey_id, __cid=steps.contact_id)
    answered = surveys.filter(surveys.csat.notnull())
    linked = answered.join(members, answered.contact_id == members.__cid)
    latest = ibis.window(group_by=linked.__jid,
                         order_by=[ibis.desc(linked.responded_at), ibis.desc(linked.survey_id)])
    linked = linked.mutate(__rank=ibis.row_number().over(latest))
    linked = linked.filter(linked.__rank == 0).select(
        "__jid", *(ibis._[c].cast(t).name(c) for c, t in SURVEY_COLUMNS.items()))
    joined = journeys.join(linked, journeys.journey_id == linked.__jid)
    return joined.select(*JOURNEY_SURVEY_COLUMNS)


BOT_SESSION_COLUMNS = {
    "journey_id": "string", "contact_id": "string", "customer_id": "string",
    "unknown_customer": "boolean", "channel": "string", "queue": "string",
    "program": "string", "site": "string", "vendor": "string", "agent_id": "string",
    "reason": "string", "handled_by": "string", "contained": "boolean",
    "repeated": "boolean", "negative_survey": "boolean", "local_time": "timestamp(6)",
}


def bot_session_rows(tables: Mapping[str, ir.Table], params: Mapping[str, Any]) -> ir.Table:
    """One row per customer-initiated contact handled by a bot, with three flags:
    contained (not escalated to a person), repeated (the customer's next customer-initiated
    contact is in the same journey, i.e. within the window) and negative_survey (a survey of
    the contact with CSAT at or below survey.csat_bottom_box_max, or saying the need was not
    resolved)."""
    journeys, steps = journey_tables(tables, params)
    try:
        surveys = tables["surveys"]
    except KeyError:
        raise CxpmError("table 'surveys' is needed but was not given") from None
    initiated = steps.filter(steps.customer_initiated.fill_null(False))
    later = initiated.select(__jid=initiated.journey_id, __arrived=initiated.arrived_at)
    bots = initiated.filter(initiated.handled_by == "bot")
    repeats = bots.join(later, (bots.journey_id == later.__jid)
                        & (later.__arrived > bots.arrived_at)).select(
        __repeat_cid=bots.contact_id).distinct()
    bottom = int(params.get("survey.csat_bottom_box_max", 2))
    negative = surveys.filter((surveys.csat <= bottom)
                              | (surveys.resolved_reported == False)).select(  # noqa: E712
        __negative_cid=surveys.contact_id).distinct()
    flags = journeys.select(__jid=journeys.journey_id, __unknown=journeys.unknown_customer)
    rows = (bots.left_join(repeats, bots.contact_id == repeats.__repeat_cid)
            .left_join(negative, bots.contact_id == negative.__negative_cid)
            .left_join(flags, bots.journey_id == flags.__jid))
    return rows.select(
        "journey_id", "contact_id", "customer_id",
        unknown_customer=rows.__unknown.fill_null(False), channel=rows.channel,
        queue=rows.queue, program=rows.program, site=rows.site, vendor=rows.vendor,
        agent_id=rows.agent_id, reason=rows.reason, handled_by=rows.handled_by,
        contained=~rows.escalated.fill_null(False) & rows.answered_at.notnull()
        & ~rows.abandoned.fill_null(False),
        repeated=rows.__repeat_cid.notnull(), negative_survey=rows.__negative_cid.notnull(),
        local_time=rows.local_time)
