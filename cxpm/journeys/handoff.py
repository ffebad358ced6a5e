"""The handle-time effect of bot-to-agent hand-offs: do agents take longer over contacts a
bot passed on than over the ones that came to them directly?

For each group (by default the agent's queue), over journey steps handled by an agent:
  hand-off segments  agent steps whose parent step was handled by a bot (an escalation)
  direct contacts    agent steps that are customer-initiated (no parent)
  effect             AHT of hand-offs − AHT of direct contacts, in seconds
  extra handle time  hand-off segments × effect (negative when the bot's context saves time)
AHT here is talk + hold + wrap of answered steps, as in the aht metric.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel

from cxpm.errors import CxpmError
from cxpm.journeys.selection import select_journeys

HANDOFF_DIMENSIONS = ("queue", "program", "site", "vendor", "channel", "reason")


class HandoffEffect(BaseModel):
    dimensions: dict[str, Any]
    handoffs: int
    handoff_aht_s: float | None
    direct: int
    direct_aht_s: float | None
    effect_s: float | None
    extra_handle_s: float | None


def handoff_effect(tables: Mapping[str, ir.Table], *, period: str | None = None,
                   by: Sequence[str] = ("queue",)) -> list[HandoffEffect]:
    """The hand-off effect per group of `by` (dimensions of the agent step), largest extra
    handle time first."""
    unknown = [d for d in by if d not in HANDOFF_DIMENSIONS]
    if unknown:
        raise CxpmError(f"cannot split hand-offs by {', '.join(unknown)}; choose from "
                        f"{', '.join(HANDOFF_DIMENSIONS)}")
    _, steps = select_journeys(tables, period)
    parents = steps.select(parent_id=steps.contact_id, parent_handler=steps.handled_by)
    agent = steps.filter(steps.handled_by == "agent", steps.answered_at.notnull())
    joined = agent.left_join(parents, agent.parent_contact_id == parents.parent_id)
    is_handoff = joined.parent_handler.fill_null("") == "bot"
    is_direct = joined.customer_initiated.fill_null(False)
    handle = joined.handle_s.fill_null(0)
    grouped = joined.group_by(list(by)).aggregate(
        handoffs=is_handoff.cast("int64").sum(),
        handoff_s=ibis.ifelse(is_handoff, handle, 0).sum(),
        direct=is_direct.cast("int64").sum(),
        direct_s=ibis.ifelse(is_direct, handle, 0).sum())
    rows = grouped.filter(grouped.handoffs > 0).to_pyarrow().to_pylist()
    out = []
    for row in rows:
        handoff_aht = row["handoff_s"] / row["handoffs"] if row["handoffs"] else None
        direct_aht = row["direct_s"] / row["direct"] if row["direct"] else None
        effect = (handoff_aht - direct_aht if handoff_aht is not None
                  and direct_aht is not None else None)
        out.append(HandoffEffect(
            dimensions={d: row[d] for d in by}, handoffs=int(row["handoffs"]),
            handoff_aht_s=handoff_aht, direct=int(row["direct"]), direct_aht_s=direct_aht,
            effect_s=effect,
            extra_handle_s=None if effect is None else effect * row["handoffs"]))
    out.sort(key=lambda e: (e.extra_handle_s is None, -(e.extra_handle_s or 0)))
    return out
