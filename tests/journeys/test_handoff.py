"""The handle-time effect of bot-to-agent hand-offs, on friction_data.py's journeys."""

from __future__ import annotations

import pytest

from cxpm.errors import CxpmError
from cxpm.journeys.handoff import handoff_effect
from cxpm.journeys.selection import journey_tables
from cxpm.workspace import Workspace

from . import friction_data as fd


@pytest.fixture
def tables(workspace: Workspace) -> dict:
    fd.build(workspace)
    return journey_tables(workspace.warehouse)


def test_handoffs_against_direct_contacts_by_queue(tables: dict) -> None:
    # Hand-offs (agent steps whose parent is a bot step): billing c2 300, c4 200, c11 250;
    # tech c13 150. Direct (customer-initiated agent steps, answered): billing c7 400,
    # c8 200, c9 300, c14 100, c15 100, c16 120, c18 100. c5 and c19 are agent-to-agent
    # transfers: neither.
    effects = {e.dimensions["queue"]: e for e in handoff_effect(tables)}
    billing = effects["billing"]
    handoff_aht, direct_aht = (300 + 200 + 250) / 3, (400 + 200 + 300 + 100 + 100 + 120
                                                         + 100) / 7
    assert (billing.handoffs, billing.direct) == (3, 7)
    assert billing.handoff_aht_s == pytest.approx(handoff_aht)
    assert billing.direct_aht_s == pytest.approx(direct_aht)
    assert billing.extra_handle_s == pytest.approx(3 * (handoff_aht - direct_aht))
    tech = effects["tech"]
    assert (tech.handoffs, tech.direct, tech.effect_s) == (1, 0, None)
    assert list(effects) == ["billing", "tech"]  # a known effect ranks first


def test_period_and_dimensions(tables: dict) -> None:
    # February has no hand-off (J9 is an agent-to-agent transfer).
    assert handoff_effect(tables, period="2026-02") == []
    by_program = handoff_effect(tables, by=("program",))
    assert [(e.dimensions, e.handoffs) for e in by_program] == [({"program": "P1"}, 4)]
    with pytest.raises(CxpmError, match="cannot split hand-offs by agent_id"):
        handoff_effect(tables, by=("agent_id",))
