"""Contact flow of the operation: arrivals, bots, queues, transfers, resolution and revenue."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from cxpm.demo.demand import draw_arrival_times, expected_arrivals
from cxpm.demo.operation import (
    BOT_CHANNELS,
    CHANNELS,
    OPEN_FROM,
    OPEN_TO,
    PROGRAMS,
    TIER2_QUEUE,
    Pool,
)
from cxpm.demo.queueing import PoolServer, serve_queue
from cxpm.demo.segments import (
    CHANNEL_CODES,
    Segments,
    add_human,
    handle_times,
    reason_arrays,
)
from cxpm.demo.workforce import Workforce

ESCALATION_SHARE = 0.85  # of the non-containable intents a bot hands to a human
SELF_SERVICE_ESCALATION = 0.6
BOT_SECONDS = {"chat": 210.0, "messaging": 260.0, "self_service": 140.0}


def escalation_probability(program_idx: int, channel: str) -> np.ndarray:
    """Per reason, the chance the bot hands a session to an agent (while agents are on):
    the intents it cannot contain, unless the intent sets its own rate (a failing intent)."""
    contain = reason_arrays("containable")[program_idx]
    share = SELF_SERVICE_ESCALATION if channel == "self_service" else ESCALATION_SHARE
    fixed = reason_arrays("bot_escalation")[program_idx]
    return np.where(np.isnan(fixed), (1 - contain) * share, fixed)


def escalation_rate(program_idx: int, channel: str) -> float:
    weights = reason_weights(program_idx)
    return float((weights * escalation_probability(program_idx, channel)).sum())


def reason_weights(program_idx: int) -> np.ndarray:
    weights = np.array([r.weight for r in PROGRAMS[program_idx].reasons])
    return weights / weights.sum()


def transfer_probability(program_idx: int) -> np.ndarray:
    """Per reason, the chance a front-line voice agent transfers an answered call to tier 2:
    long (complex) intents more often, unless the intent sets its own rate."""
    factor = reason_arrays("handle_factor")[program_idx]
    fixed = reason_arrays("transfer_p")[program_idx]
    return np.where(np.isnan(fixed), 0.04 + 0.07 * (factor > 1.15), fixed)


def demand_noise(rng: np.random.Generator, days: int) -> np.ndarray:
    """Day-level surprise the forecast did not see, with a few event days (outages, storms)."""
    noise = rng.lognormal(-0.06**2 / 2, 0.06, days)
    events = rng.random(days) < 0.04
    return noise * np.where(events, 1.0 + rng.uniform(0.2, 0.45, days), 1.0)


def pool_of_queue(pools: list[Pool], queue: str, n: int) -> np.ndarray:
    return np.full(n, next(i for i, p in enumerate(pools) if p.queue == queue))


def generate_arrivals(rng: np.random.Generator, pools: list[Pool], day_base: np.ndarray,
                      weekdays: np.ndarray, scale: float) -> tuple[Segments, np.ndarray]:
    """Customer-initiated contacts and the human segments bots escalate to.

    Returns the segments and, per segment, whether the bot escalated (-1 for human ones).
    """
    segs = Segments()
    escalated_parts: list[np.ndarray] = []
    for p_idx, prog in enumerate(PROGRAMS):
        weights = reason_weights(p_idx)
        noise = demand_noise(rng, len(day_base))
        for channel in prog.channel_mix:
            rate = expected_arrivals(prog, channel, weekdays, scale) * noise[:, None]
            arrived = draw_arrival_times(rng, rate, day_base)
            n = len(arrived)
            reason = rng.choice(len(weights), n, p=weights)
            if channel not in BOT_CHANNELS:
                pool = pool_of_queue(pools, f"{prog.name}-{channel}", n)
                add_human(rng, segs, p_idx, channel, channel, arrived, reason, pool,
                          np.full(n, -1))
                escalated_parts.append(np.full(n, -1))
                continue
            duration = np.round(rng.gamma(3.0, BOT_SECONDS[channel] / 3.0, n)) + 15
            sod = (arrived - day_base[np.searchsorted(day_base, arrived, side="right") - 1])
            open_now = (sod >= OPEN_FROM * 1800) & (sod < OPEN_TO * 1800 - 900)
            escalate = open_now & (rng.random(n)
                                   < escalation_probability(p_idx, channel)[reason])
            bot_ids = segs.add(program=np.full(n, p_idx),
                               channel=np.full(n, CHANNEL_CODES.index(channel)),
                               bot=np.ones(n), pool=np.full(n, -1), reason=reason,
                               parent=np.full(n, -1), arrived=arrived, talk=duration,
                               hold=np.zeros(n), wrap=np.zeros(n), patience=np.full(n, np.inf))
            escalated_parts.append(escalate.astype(np.int64))
            human_channel = "voice" if channel == "self_service" else channel
            k = int(escalate.sum())
            pool = pool_of_queue(pools, f"{prog.name}-{human_channel}", k)
            add_human(rng, segs, p_idx, human_channel, human_channel,
                      arrived[escalate] + duration[escalate].astype(np.int64), reason[escalate],
                      pool, bot_ids[escalate])
            escalated_parts.append(np.full(k, -1))
    return segs, np.concatenate(escalated_parts)


@dataclass
class Served:
    answered: np.ndarray
    busy_until: np.ndarray
    agent: np.ndarray


def run_pools(cols: dict[str, np.ndarray], pools: list[Pool], pool_ids: list[int],
              wf: Workforce, served: Served) -> None:
    """Queue every pool in `pool_ids`; writes answered, busy_until and agent into `served`."""
    for pool_idx in pool_ids:
        members = np.flatnonzero(cols["pool"] == pool_idx)
        members = members[np.argsort(cols["arrived"][members], kind="stable")]
        other = cols["hold"][members] + cols["wrap"][members]
        answered, busy, agent = serve_queue(cols["arrived"][members], cols["patience"][members],
                                            cols["talk"][members], other,
                                            wf.windows.get(pool_idx, {}),
                                            CHANNELS[pools[pool_idx].channel].concurrency)
        served.answered[members] = answered
        served.busy_until[members] = busy
        served.agent[members] = agent


def run_voice(rng: np.random.Generator, segs: Segments, cols: dict[str, np.ndarray],
              pools: list[Pool], wf: Workforce, served: Served) -> tuple[Served, np.ndarray]:
    """The voice queues and the shared tier-2 team in one event-driven run: a front-line
    call the agent cannot finish goes to tier 2 when its talk ends, and tier 2 sends the
    intents it bounces (Reason.bounce_back_p) back to the program's voice queue, where the
    call queues again among the other callers in arrival order.

    `served` holds the segments in `cols`; returns it with the new tier-2 and returning
    segments appended (added to `segs`), and the indexes of the transferred segments."""
    voice = [i for i, p in enumerate(pools) if p.channel == "voice"]
    tier2 = next(i for i, p in enumerate(pools) if p.queue == TIER2_QUEUE)
    servers = {i: PoolServer(wf.windows.get(i, {}), CHANNELS[pools[i].channel].concurrency)
               for i in (*voice, tier2)}
    first = np.flatnonzero(np.isin(cols["pool"], voice))
    n = len(first)
    program, reason = cols["program"][first], cols["reason"][first]
    # Decisions and the later legs' handle times, drawn up front for every front-line call.
    transfer_p = np.zeros(n)
    bounce_p = np.zeros(n)
    factor = np.zeros(n)
    for p_idx, prog in enumerate(PROGRAMS):
        mine = program == p_idx
        transfer_p[mine] = transfer_probability(p_idx)[reason[mine]]
        bounce_p[mine] = np.array([r.bounce_back_p for r in prog.reasons])[reason[mine]]
        factor[mine] = reason_arrays("handle_factor")[p_idx][reason[mine]]
    transfers = rng.random(n) < transfer_p
    bounces = rng.random(n) < bounce_p
    legs = [(cols["talk"][first], cols["hold"][first], cols["wrap"][first],
             cols["patience"][first]), handle_times(rng, "tier2", factor),
            handle_times(rng, "voice", factor)]
    pool_of_leg = [cols["pool"][first], np.full(n, tier2), cols["pool"][first]]
    arrived = np.full((3, n), -1, dtype=np.int64)
    answered = np.full((3, n), -1, dtype=np.int64)
    busy = np.full((3, n), -1, dtype=np.int64)
    agent = np.full((3, n), -1, dtype=np.int64)
    arrived[0] = cols["arrived"][first]
    plain = [tuple(np.asarray(a).tolist() for a in leg) for leg in legs]
    pool_l = [p.tolist() for p in pool_of_leg]
    transfers_l, bounces_l = transfers.tolist(), bounces.tolist()
    events = [(t, 0, j) for j, t in enumerate(arrived[0].tolist())]
    heapq.heapify(events)
    while events:
        t, leg, j = heapq.heappop(events)
        talk, hold, wrap, patience = (values[j] for values in plain[leg])
        start, end, who = servers[pool_l[leg][j]].serve(t, t + patience, talk,
                                                        int(hold) + int(wrap))
        answered[leg, j], busy[leg, j], agent[leg, j] = start, end, who
        if start < 0 or leg == 2 or not (transfers_l if leg == 0 else bounces_l)[j]:
            continue
        talk_end = end - int(wrap)  # the next leg starts when the talk and hold are over
        arrived[leg + 1, j] = talk_end
        heapq.heappush(events, (talk_end, leg + 1, j))

    out = [served.answered.copy(), served.busy_until.copy(), served.agent.copy()]
    for column, part in zip(out, (answered, busy, agent), strict=True):
        column[first] = part[0]
    parent_of_leg = first
    transferred = []
    for leg in (1, 2):
        took = np.flatnonzero(arrived[leg] >= 0)
        talk, hold, wrap, patience = (values[took] for values in legs[leg])
        ids = segs.add(program=program[took], channel=np.full(len(took), CHANNEL_CODES.index(
            "voice")), bot=np.zeros(len(took)), pool=pool_of_leg[leg][took],
            reason=reason[took], parent=parent_of_leg[took], arrived=arrived[leg, took],
            talk=talk, hold=hold, wrap=wrap, patience=patience)
        transferred.append(parent_of_leg[took])
        out = [np.r_[o, part[leg, took]] for o, part in zip(out, (answered, busy, agent),
                                                             strict=True)]
        parent_of_leg = np.full(n, -1, dtype=np.int64)
        parent_of_leg[took] = ids
    return Served(*out), np.concatenate(transferred)
