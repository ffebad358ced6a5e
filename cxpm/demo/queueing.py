"""Event-driven multi-server FCFS queue with impatient customers and agents who are only
available inside their productive windows (between breaks, lunches, meetings...)."""

from __future__ import annotations

import heapq

import numpy as np


def serve_queue(arrived: np.ndarray, patience: np.ndarray, talk: np.ndarray,
                other: np.ndarray, windows: dict[int, list[tuple[int, int, float]]],
                concurrency: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Serve contacts in arrival order by the agent free earliest (longest idle first).

    arrived: sorted arrival seconds; patience: seconds a customer waits before abandoning
    (inf = never); talk: talk seconds at normal speed (scaled by the window's speed factor,
    slower for new hires); other: whole seconds of hold and wrap. A contact may run past the
    end of a window (the agent finishes it before going on break). Returns answered_at and
    busy_until (-1 when abandoned or never served) and the agent index (-1). With
    concurrency > 1 each agent works that many sessions at once (chat, messaging).
    """
    if concurrency > 1:
        windows = {agent * concurrency + slot: ws for agent, ws in windows.items()
                   for slot in range(concurrency)}
    n = len(arrived)
    answered = np.full(n, -1, dtype=np.int64)
    agent_of = np.full(n, -1, dtype=np.int64)
    busy_until = np.full(n, -1, dtype=np.int64)
    starts = {a: [w[0] for w in ws] for a, ws in windows.items() if ws}
    ends = {a: [w[1] for w in ws] for a, ws in windows.items() if ws}
    speeds = {a: [w[2] for w in ws] for a, ws in windows.items() if ws}
    free_at = dict.fromkeys(starts, 0)
    heap = [(starts[a][0], a, 0) for a in sorted(starts)]
    heapq.heapify(heap)
    arrived_l = arrived.tolist()
    deadline_l = (arrived + patience).tolist()
    talk_l = talk.tolist()
    other_l = np.asarray(other, dtype=np.int64).tolist()
    for i in range(n):
        t = arrived_l[i]
        while heap:
            avail, agent, w = heap[0]
            start = avail if avail > t else t
            w_ends = ends[agent]
            if start < w_ends[w]:
                break
            # The agent's window closed before this contact could start: move to a later one.
            w_ends_len = len(w_ends)
            w += 1
            while w < w_ends_len and w_ends[w] <= t:
                w += 1
            if w == w_ends_len:
                heapq.heappop(heap)
                continue
            heapq.heapreplace(heap, (max(free_at[agent], starts[agent][w]), agent, w))
        if not heap:
            continue
        if start > deadline_l[i]:
            continue
        end = start + int(talk_l[i] * speeds[agent][w] + 0.5) + other_l[i]
        answered[i] = start
        agent_of[i] = agent
        busy_until[i] = end
        free_at[agent] = end
        w_ends = ends[agent]
        if end < w_ends[w]:
            heapq.heapreplace(heap, (end, agent, w))
            continue
        w += 1
        while w < len(w_ends) and w_ends[w] <= end:
            w += 1
        if w == len(w_ends):
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (max(end, starts[agent][w]), agent, w))
    if concurrency > 1:
        agent_of = np.where(agent_of >= 0, agent_of // concurrency, -1)
    return answered, busy_until, agent_of
