"""Contact flow of the operation: arrivals, bots, queues, transfers, resolution and revenue."""

from __future__ import annotations

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
from cxpm.demo.queueing import serve_queue
from cxpm.demo.segments import CHANNEL_CODES, Segments, add_human, reason_arrays
from cxpm.demo.workforce import Workforce

ESCALATION_SHARE = 0.85  # of the non-containable intents a bot hands to a human
SELF_SERVICE_ESCALATION = 0.6
BOT_SECONDS = {"chat": 210.0, "messaging": 260.0, "self_service": 140.0}


def escalation_rate(program_idx: int, channel: str) -> float:
    prog = PROGRAMS[program_idx]
    weights = np.array([r.weight for r in prog.reasons])
    contain = reason_arrays("containable")[program_idx]
    share = SELF_SERVICE_ESCALATION if channel == "self_service" else ESCALATION_SHARE
    return float((weights / weights.sum() * (1 - contain)).sum() * share)


def transfer_probability(handle_factor: np.ndarray) -> np.ndarray:
    return 0.04 + 0.07 * (handle_factor > 1.15)


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
        weights = np.array([r.weight for r in prog.reasons])
        weights = weights / weights.sum()
        contain = reason_arrays("containable")[p_idx]
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
            share = SELF_SERVICE_ESCALATION if channel == "self_service" else ESCALATION_SHARE
            escalate = open_now & (rng.random(n) < (1 - contain[reason]) * share)
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


def add_transfers(rng: np.random.Generator, segs: Segments, cols: dict[str, np.ndarray],
                  served: Served, pools: list[Pool]) -> np.ndarray:
    """Voice contacts that the first agent cannot finish go to the shared tier-2 team.

    Returns the indexes of the transferred parents.
    """
    voice_pool = np.array([p.channel == "voice" for p in pools])
    is_voice = (cols["pool"] >= 0) & voice_pool[np.maximum(cols["pool"], 0)]
    answered = is_voice & (served.answered >= 0)
    parents = []
    for p_idx in range(len(PROGRAMS)):
        factor = reason_arrays("handle_factor")[p_idx]
        cand = np.flatnonzero(answered & (cols["program"] == p_idx))
        move = cand[rng.random(len(cand)) < transfer_probability(factor[cols["reason"][cand]])]
        talk_end = served.answered[move] + served_talk(cols, served, move) + cols["hold"][move]
        add_human(rng, segs, p_idx, "voice", "tier2", talk_end.astype(np.int64),
                  cols["reason"][move], pool_of_queue(pools, TIER2_QUEUE, len(move)), move)
        parents.append(move)
    return np.concatenate(parents)


def served_talk(cols: dict[str, np.ndarray], served: Served, idx: np.ndarray) -> np.ndarray:
    """Talk seconds as served (new hires talk longer): busy time less hold and wrap."""
    return (served.busy_until[idx] - served.answered[idx] - cols["hold"][idx]
            - cols["wrap"][idx]).astype(np.float64)
