"""The two derived warehouse tables written by `build_journeys` (see docs/journeys.md)."""

from __future__ import annotations

import ibis

JOURNEYS_TABLE = "journeys"
STEPS_TABLE = "journey_steps"

# Columns beyond the shared spec: orphan (journeys and steps), root_contact_id (steps).
JOURNEYS_COLUMNS: dict[str, str] = {
    "journey_id": "string",
    "customer_id": "string",
    "reason": "string",
    "unknown_customer": "boolean",
    "orphan": "boolean",
    "started_at": "timestamp(6)",
    "ended_at": "timestamp(6)",
    "local_time": "timestamp(6)",
    "contacts": "int64",
    "segments": "int64",
    "channels": "int64",
    "first_channel": "string",
    "last_channel": "string",
    "program": "string",
    "site": "string",
    "vendor": "string",
    "queue": "string",
    "handled_by": "string",
    "resolved": "boolean",
    "handle_s": "float64",
    "bot_steps": "int64",
    "agent_steps": "int64",
    "escalations": "int64",
    "transfers": "int64",
    "abandoned_steps": "int64",
    "built_at": "timestamp(6)",
}

STEPS_COLUMNS: dict[str, str] = {
    "journey_id": "string",
    "step": "int64",
    "contact_id": "string",
    "parent_contact_id": "string",
    "root_contact_id": "string",
    "customer_initiated": "boolean",
    "orphan": "boolean",
    "customer_id": "string",
    "reason": "string",
    "channel": "string",
    "queue": "string",
    "program": "string",
    "site": "string",
    "vendor": "string",
    "handled_by": "string",
    "agent_id": "string",
    "arrived_at": "timestamp(6)",
    "answered_at": "timestamp(6)",
    "ended_at": "timestamp(6)",
    "abandoned": "boolean",
    "transferred": "boolean",
    "escalated": "boolean",
    "resolved": "boolean",
    "handle_s": "float64",
    "local_time": "timestamp(6)",
    "built_at": "timestamp(6)",
}

JOURNEYS_SCHEMA = ibis.schema(JOURNEYS_COLUMNS)
STEPS_SCHEMA = ibis.schema(STEPS_COLUMNS)
