"""The ACD state log: handled contacts, the (possibly delayed) breaks and aux states, and
'available' time filling every gap of each logged-in shift. States never overlap per agent."""

from __future__ import annotations

import numpy as np

_KEY = np.int64(10**11)  # agent * _KEY + seconds sorts by agent, then time


def build_states(shifts: list[tuple[int, int, int]], blocks: list[tuple[int, str, int, int]],
                 contact_agent: np.ndarray, answered: np.ndarray, talk_end: np.ndarray,
                 busy_until: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Returns (agent, state, started_at, ended_at) arrays sorted by agent and time."""
    shift_arr = np.array(shifts, dtype=np.int64).reshape(-1, 3)
    order = np.lexsort((shift_arr[:, 1], shift_arr[:, 0]))
    shift_arr = shift_arr[order]
    shift_keys = shift_arr[:, 0] * _KEY + shift_arr[:, 1]

    c_order = np.lexsort((answered, contact_agent))
    c_agent, c_start = contact_agent[c_order], answered[c_order]
    c_talk_end, c_end = talk_end[c_order], busy_until[c_order]
    c_keys = c_agent * _KEY + c_start
    # Latest end so far per agent (keys keep agents apart): concurrent sessions overlap.
    c_reach = np.maximum.accumulate(c_agent * _KEY + c_end) if len(c_end) else c_end

    b_agent = np.array([b[0] for b in blocks], dtype=np.int64)
    b_state = np.array([b[1] for b in blocks], dtype=object)
    b_start = np.array([b[2] for b in blocks], dtype=np.int64)
    b_end = np.array([b[3] for b in blocks], dtype=np.int64)
    # A contact that runs into a break delays the break; its planned end stays.
    prev = np.searchsorted(c_keys, b_agent * _KEY + b_start, side="right") - 1
    has_prev = prev >= 0
    prev_safe = np.where(has_prev, prev, 0)
    same = has_prev & (c_agent[prev_safe] == b_agent) if len(c_keys) else np.zeros_like(has_prev)
    reach = c_reach[prev_safe] - b_agent * _KEY if len(c_keys) else b_start
    b_start = np.where(same, np.maximum(b_start, reach), b_start)
    keep = b_end > b_start

    # Overlapping sessions merge into one busy spell: on contact until the last talk ends,
    # then wrap until the last session's work is done.
    if len(c_keys):
        prev_reach = np.r_[np.int64(-1), c_reach[:-1]]
        first = np.flatnonzero(c_keys >= prev_reach)
        s_agent, s_start = c_agent[first], c_start[first]
        s_end = np.maximum.reduceat(c_end, first)
        s_talk_end = np.maximum.reduceat(c_talk_end, first)
    else:
        s_agent = s_start = s_end = s_talk_end = c_end
    wrap_keep = s_end > s_talk_end
    agent = np.concatenate([s_agent, s_agent[wrap_keep], b_agent[keep]])
    state = np.concatenate([np.full(len(s_agent), "on_contact", dtype=object),
                            np.full(int(wrap_keep.sum()), "wrap", dtype=object), b_state[keep]])
    start = np.concatenate([s_start, s_talk_end[wrap_keep], b_start[keep]])
    end = np.concatenate([s_talk_end, s_end[wrap_keep], b_end[keep]])

    shift_of = np.searchsorted(shift_keys, agent * _KEY + start, side="right") - 1
    # A contact may keep the agent logged in after the planned logout (overtime).
    logout = shift_arr[:, 2].copy()
    np.maximum.at(logout, shift_of, end)
    login = shift_arr[:, 1]

    order = np.lexsort((start, shift_of))
    agent, state, start, end, shift_of = (agent[order], state[order], start[order], end[order],
                                          shift_of[order])
    # Gaps: before each item (from the previous item's end or the login) and after the last.
    first_of_shift = np.r_[True, shift_of[1:] != shift_of[:-1]] if len(start) else np.zeros(0, bool)
    prev_end = np.where(first_of_shift, login[shift_of], np.r_[0, end[:-1]] if len(end) else end)
    gap = start > prev_end
    last_of_shift = np.r_[shift_of[1:] != shift_of[:-1], True] if len(start) else first_of_shift
    tail = last_of_shift & (logout[shift_of] > end)
    empty_shifts = np.setdiff1d(np.arange(len(shift_arr)), shift_of)

    all_agent = np.concatenate([agent, agent[gap], agent[tail], shift_arr[empty_shifts, 0]])
    all_state = np.concatenate([state, np.full(int(gap.sum()), "available", dtype=object),
                                np.full(int(tail.sum()), "available", dtype=object),
                                np.full(len(empty_shifts), "available", dtype=object)])
    all_start = np.concatenate([start, prev_end[gap], end[tail], login[empty_shifts]])
    all_end = np.concatenate([end, start[gap], logout[shift_of[tail]], logout[empty_shifts]])
    final = np.lexsort((all_start, all_agent))
    return all_agent[final], all_state[final], all_start[final], all_end[final]
