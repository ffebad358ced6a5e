"""Which queues a scoped user may see the intraday view of.

Forecasts, schedules and agent states carry no vendor, site or program: a forecast belongs to
a queue, and an agent's schedule to the queue the agent handled the most contacts in. So the
intraday figures of a queue belong to one vendor (site, program) only when every contact
of that queue does — then its forecast, its actual contacts, its service level and the
agents counted for it are all that vendor's. A queue shared with others (a voice queue served
by two vendors) cannot be split, so it is left out, never shown whole.
"""

from __future__ import annotations

import ibis.expr.types as ir

from cxpm.errors import CxpmError

SCOPE_COLUMNS = ("vendor", "site", "program", "agent_id")


def queues_within(contacts: ir.Table, dimension: str, value: str) -> list[str]:
    """Queues with at least one contact, all of whose contacts (over all the data, as the
    agents' queues are) have `dimension` equal to `value`; a contact with no value there
    counts as outside. Sorted."""
    if dimension not in SCOPE_COLUMNS:
        raise CxpmError(f"queues cannot be limited by {dimension!r}; one of: "
                        f"{', '.join(SCOPE_COLUMNS)}")
    rows = contacts.filter(contacts.queue.notnull())
    inside = (rows[dimension] == value).fill_null(False)
    counts = rows.group_by("queue").aggregate(
        contacts=rows.count(), inside=inside.cast("int64").sum())
    own = counts.filter(counts.contacts == counts.inside)
    return sorted(own.select("queue").to_pyarrow().column("queue").to_pylist())
