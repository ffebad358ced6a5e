"""Rows of each canonical table from the simulated state, as columns for the CSV writer.

Timestamps are UTC epoch seconds (negative = null); see files.write_table."""

from __future__ import annotations

import numpy as np

from cxpm.demo import contacts as flow
from cxpm.demo.feedback import surveys
from cxpm.demo.journeys import assign_customers, roots_and_leaves
from cxpm.demo.operation import INTERVAL_S, INTERVALS_PER_DAY, PROGRAMS, SITE_BY_NAME
from cxpm.demo.segments import CHANNEL_CODES, reason_arrays
from cxpm.demo.states import build_states

DAY = 86400


def forecast_table(forecasts: dict, day_base: np.ndarray, weekdays: np.ndarray) -> dict:
    """Week-ahead forecast rows for the intervals a queue is open or expects contacts."""
    parts: dict[str, list] = {k: [] for k in ("queue", "interval_start", "volume", "aht_s",
                                              "required_agents", "created_at")}
    starts = day_base[:, None] + np.arange(INTERVALS_PER_DAY)[None, :] * INTERVAL_S
    # Published on the Wednesday evening before the week it covers.
    created = day_base - weekdays * DAY - 5 * DAY + 18 * 3600
    for queue in sorted(forecasts):
        fc = forecasts[queue]
        keep = (fc.volume > 0.005) | (fc.required > 0)
        parts["queue"].append(np.full(int(keep.sum()), queue, dtype=object))
        parts["interval_start"].append(starts[keep])
        parts["volume"].append(fc.volume[keep].round(2))
        parts["aht_s"].append(np.full(int(keep.sum()), round(fc.aht_s, 1)))
        parts["required_agents"].append(fc.required[keep].round(2))
        parts["created_at"].append(np.broadcast_to(created[:, None], keep.shape)[keep])
    out = {k: np.concatenate(v) for k, v in parts.items()}
    out["interval_s"] = np.full(len(out["queue"]), float(INTERVAL_S))
    out["horizon"] = np.full(len(out["queue"]), "week-ahead", dtype=object)
    return out


def _resolution(rng: np.random.Generator, cols: dict, served: flow.Served,
                escalated: np.ndarray, transferred: np.ndarray, all_pools: list, agents: list,
                day_base: np.ndarray) -> tuple[np.ndarray, ...]:
    """Whether each segment resolved the need: the reason's base rate, the agent's skill
    and tenure, tier 2 does better; bots resolve containable intents they keep.

    Returns (resolved, agent quality, novice agent, tier-2 segment) per segment."""
    n = len(cols["arrived"])
    is_bot = cols["bot"] == 1
    is_email = cols["channel"] == CHANNEL_CODES.index("email")
    program = cols["program"]
    resolve_p = np.zeros(n)
    contain = np.zeros(n)
    for p_idx in range(len(PROGRAMS)):
        mask = program == p_idx
        resolve_p[mask] = reason_arrays("resolve_p")[p_idx][cols["reason"][mask]]
        contain[mask] = reason_arrays("containable")[p_idx][cols["reason"][mask]]
    agent_idx = served.agent
    has_agent = agent_idx >= 0
    quality = np.ones(n)
    quality[has_agent] = np.array([agents[a].quality for a in agent_idx[has_agent]])
    day = np.clip(np.searchsorted(day_base, cols["arrived"], side="right") - 1, 0, None)
    novice = np.zeros(n, dtype=bool)
    novice[has_agent] = np.array([agents[a].proficient_day for a in agent_idx[has_agent]]) \
        > day[has_agent]
    tier2 = np.array([p.channel == "tier2" for p in all_pools])[np.maximum(cols["pool"], 0)] \
        & (cols["pool"] >= 0)
    p_human = np.clip(resolve_p - 0.05 * (quality - 1) - 0.07 * novice
                      - 0.04 * is_email, 0.05, 0.99)
    p_human = np.where(tier2, 0.9, p_human)
    p_bot = 0.45 + 0.5 * contain
    draw = rng.random(n)
    resolved = np.where(is_bot, (escalated != 1) & (draw < p_bot), draw < p_human)
    resolved &= ~transferred
    return resolved, quality, novice, tier2


def contact_table(rng: np.random.Generator, cols: dict, served: flow.Served,
                  escalated: np.ndarray, transferred_parents: np.ndarray, all_pools: list,
                  agents: list, day_base: np.ndarray) -> dict:
    """The contacts table (segments in arrival order, ids CT...) plus helper columns the
    other tables use (is_bot, agent_index, quality, resolved_flag, root, leaf...)."""
    n = len(cols["arrived"])
    is_bot = cols["bot"] == 1
    answered = np.where(is_bot, cols["arrived"], served.answered)
    got_answer = answered >= 0
    hold = np.where(got_answer & ~is_bot, cols["hold"], np.nan)
    wrap = np.where(got_answer & ~is_bot, cols["wrap"], np.nan)
    talk = np.where(is_bot, cols["talk"],
                    np.where(got_answer, served.busy_until - served.answered - np.nan_to_num(hold)
                             - np.nan_to_num(wrap), np.nan))
    is_email = cols["channel"] == CHANNEL_CODES.index("email")
    abandoned = ~got_answer & ~is_email
    patience_end = cols["arrived"] + np.minimum(np.nan_to_num(cols["patience"], posinf=0),
                                                10 * DAY).astype(np.int64)
    ended = np.where(got_answer, answered + np.nan_to_num(talk).astype(np.int64)
                     + np.nan_to_num(hold).astype(np.int64),
                     np.where(abandoned, patience_end, -1))
    transferred = np.zeros(n, dtype=bool)
    transferred[transferred_parents] = True

    resolved, quality, novice, tier2 = _resolution(rng, cols, served, escalated, transferred,
                                                   all_pools, agents, day_base)
    program = cols["program"]
    agent_idx = served.agent
    has_agent = agent_idx >= 0
    resolved_out = np.where(got_answer, resolved, None).astype(object)

    root, leaf = roots_and_leaves(cols["parent"], cols["arrived"])
    roots = np.flatnonzero(cols["parent"] < 0)
    leaf_of_root = leaf[roots]
    bad = ~(got_answer[leaf_of_root] & resolved[leaf_of_root])
    customer_of_root = assign_customers(rng, program, cols["reason"], cols["arrived"], roots,
                                        bad, abandoned[leaf_of_root])
    customer_by_seg = np.full(n, -1, dtype=np.int64)
    customer_by_seg[roots] = customer_of_root
    customer_by_seg = customer_by_seg[root]

    # Revenue: sales intents of the travel program convert when the agent resolves them.
    sales = np.zeros(n, dtype=bool)
    for p_idx, prog in enumerate(PROGRAMS):
        flags = np.array([r.sales for r in prog.reasons])
        sales |= (program == p_idx) & flags[cols["reason"]]
    sold = sales & got_answer & ~is_bot & resolved & (rng.random(n) < 0.42)
    revenue = np.where(sales & got_answer & ~is_bot,
                       np.where(sold, rng.lognormal(6.0, 0.55, n).round(2), 0.0), np.nan)

    # Contact ids follow arrival order so files read naturally.
    order = np.lexsort((np.arange(n), cols["arrived"]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    ids = np.array([f"CT{r + 1:07d}" for r in rank.tolist()], dtype=object)
    parent = cols["parent"]
    parent_id = np.where(parent >= 0, ids[np.maximum(parent, 0)], None)
    channel_names = np.array(CHANNEL_CODES, dtype=object)[cols["channel"]]
    pool_queue = np.array([p.queue for p in all_pools], dtype=object)
    agent_site = np.array([a.site for a in agents] + [None], dtype=object)
    site = agent_site[np.where(has_agent, agent_idx, len(agents))]
    # Unanswered contacts of a single-site desk still belong to that site; a voice queue
    # shared by two sites cannot say which site lost the call.
    desk_site = np.array([p.sites[0][0] if len(p.sites) == 1 else None for p in all_pools],
                         dtype=object)
    unserved = ~has_agent & (cols["pool"] >= 0)
    site[unserved] = desk_site[cols["pool"][unserved]]
    vendor = np.array([SITE_BY_NAME[s].vendor if s is not None else "in-house" for s in site],
                      dtype=object)
    vendor[~is_bot & np.array([s is None for s in site], dtype=bool)] = None
    program_names = np.array([p.name for p in PROGRAMS], dtype=object)[program]
    bot_names = np.where(cols["channel"] == CHANNEL_CODES.index("self_service"), "SSV-", "BOT-")
    agent_ids = np.array([a.agent_id for a in agents] + [None], dtype=object)[
        np.where(has_agent, agent_idx, len(agents))]
    agent_ids[is_bot] = (bot_names[is_bot].astype(object) + program_names[is_bot])
    queue = np.where(is_bot, None, pool_queue[np.maximum(cols["pool"], 0)])
    queue[tier2] = np.char.add(program_names[tier2].astype(str), "-tier2").astype(object)
    queue[is_bot] = np.char.add(program_names[is_bot].astype(str), "-bot").astype(object)
    reasons = np.array([r.name for p in PROGRAMS for r in p.reasons], dtype=object)
    offsets = np.cumsum([0] + [len(p.reasons) for p in PROGRAMS])[:-1]
    out = {
        "contact_id": ids, "parent_contact_id": parent_id,
        "customer_id": np.where(customer_by_seg >= 0,
                                np.char.add("CU", np.char.zfill(customer_by_seg.astype(str), 7)
                                            ).astype(object), None),
        "channel": channel_names, "direction": np.full(n, "inbound", dtype=object),
        "handled_by": np.where(is_bot, "bot", "agent").astype(object), "queue": queue,
        "program": program_names, "site": site, "vendor": vendor, "agent_id": agent_ids,
        "arrived_at": cols["arrived"], "answered_at": answered, "ended_at": ended,
        "abandoned": abandoned, "talk_s": talk, "hold_s": hold, "wrap_s": wrap,
        "transferred": np.where(is_bot, None, transferred).astype(object),
        "escalated": np.where(is_bot, escalated == 1, None).astype(object),
        "reason": reasons[offsets[program] + cols["reason"]], "resolved": resolved_out,
        "revenue": revenue,
    }
    # Helpers for the other tables (not written to contacts.csv).
    out.update(is_bot=is_bot, agent_index=agent_idx, busy_until=served.busy_until,
               quality=quality, novice=novice, resolved_flag=resolved & got_answer,
               root=root, leaf=leaf, roots=roots, program_name=program_names,
               channel_name=channel_names, site_name=site, arrived=cols["arrived"],
               talk=talk, hold=hold, pool=cols["pool"])
    order_cols = {k: (v[order] if isinstance(v, np.ndarray) and len(v) == n else v)
                  for k, v in out.items()}
    # Index arrays must follow the new order as well.
    inverse = rank
    for key in ("root", "leaf"):
        order_cols[key] = inverse[out[key][order]]
    order_cols["roots"] = np.sort(inverse[roots])
    return order_cols


def agent_state_table(wf, contact: dict, agents: list) -> dict:
    human = contact["agent_index"] >= 0
    talk_end = contact["ended_at"][human]
    agent, state, start, end = build_states(
        wf.shifts, wf.blocks, contact["agent_index"][human], contact["answered_at"][human],
        talk_end, contact["busy_until"][human])
    ids = np.array([a.agent_id for a in agents], dtype=object)
    return {"agent_id": ids[agent], "state": state, "started_at": start, "ended_at": end}


def survey_table(rng: np.random.Generator, contact: dict) -> dict:
    roots = contact["roots"]
    leaf = contact["leaf"][roots]
    answered = contact["answered_at"][leaf] >= 0
    roots, leaf = roots[answered], leaf[answered]
    wait = ((contact["answered_at"][leaf] - contact["arrived_at"][leaf])
            + np.where(leaf != roots, contact["answered_at"][roots] - contact["arrived_at"][roots],
                       0))
    bounced = leaf != roots
    res = surveys(rng, leaf, contact["resolved_flag"][leaf], wait.astype(float), bounced,
                  contact["is_bot"][leaf], contact["quality"][leaf], contact["ended_at"][leaf])
    seg = leaf[res["row"]]
    k = len(seg)
    return {
        "survey_id": [f"SV{i + 1:07d}" for i in range(k)],
        "contact_id": contact["contact_id"][seg], "customer_id": contact["customer_id"][seg],
        "responded_at": res["responded"], "csat": res["csat"], "nps": res["nps"],
        "ces": res["ces"], "resolved_reported": res["resolved_reported"],
        "comment": res["comment"],
    }


def roster_table(agents: list, day_base: np.ndarray) -> dict:
    def at(day: int | None, hour: int) -> int:
        return -1 if day is None else int(day_base[0] + day * DAY + hour * 3600)

    days = len(day_base)
    return {
        "agent_id": [a.agent_id for a in agents], "name": [a.name for a in agents],
        "site": [a.site for a in agents],
        "vendor": [SITE_BY_NAME[a.site].vendor for a in agents],
        "team": [a.team for a in agents], "supervisor_id": [a.supervisor_id for a in agents],
        "hired_at": [at(a.hired_day, 9) for a in agents],
        "terminated_at": [at(a.leave_day, 17) for a in agents],
        "termination_type": [a.termination_type for a in agents],
        "proficient_at": [at(a.proficient_day if a.proficient_day < days
                             and (a.leave_day is None or a.proficient_day < a.leave_day)
                             else None, 12) for a in agents],
    }

