"""Event-driven multi-server FCFS queue with impatient customers and agents who are only
available inside their productive windows (between breaks, lunches, meetings...)."""

from __future__ import annotations

import heapq

import numpy as np


class PoolServer:
    """The agents of one pool, taking contacts one at a time in arrival order by the agent
    free earliest (longest idle first).

    A contact may run past the end of a window (the agent finishes it before going on
    break). With concurrency > 1 each agent works that many sessions at once (chat,
    messaging)."""

    def __init__(self, windows: dict[int, list[tuple[int, int, float]]],
                 concurrency: int = 1) -> None:
        if concurrency > 1:
            windows = {agent * concurrency + slot: ws for agent, ws in windows.items()
                       for slot in range(concurrency)}
        self.concurrency = concurrency
        self.starts = {a: [w[0] for w in ws] for a, ws in windows.items() if ws}
        self.ends = {a: [w[1] for w in ws] for a, ws in windows.items() if ws}
        self.speeds = {a: [w[2] for w in ws] for a, ws in windows.items() if ws}
        self.free_at = dict.fromkeys(self.starts, 0)
        self.heap = [(self.starts[a][0], a, 0) for a in sorted(self.starts)]
        heapq.heapify(self.heap)

    def serve(self, t: int, deadline: float, talk: float, other: int) -> tuple[int, int, int]:
        """Serve a contact arriving at `t` (not before any contact served so far) that waits
        until `deadline`; talk seconds at normal speed (scaled by the window's speed factor,
        slower for new hires) and whole seconds of hold and wrap. Returns answered_at,
        busy_until and the agent, all -1 when abandoned or never served."""
        heap, ends, starts, free_at = self.heap, self.ends, self.starts, self.free_at
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
        if not heap or start > deadline:
            return -1, -1, -1
        end = start + int(talk * self.speeds[agent][w] + 0.5) + other
        free_at[agent] = end
        w_ends = ends[agent]
        if end < w_ends[w]:
            heapq.heapreplace(heap, (end, agent, w))
        else:
            w += 1
            while w < len(w_ends) and w_ends[w] <= end:
                w += 1
            if w == len(w_ends):
                heapq.heappop(heap)
            else:
                heapq.heapreplace(heap, (max(end, starts[agent][w]), agent, w))
        return start, end, agent // self.concurrency


def serve_queue(arrived: np.ndarray, patience: np.ndarray, talk: np.ndarray,
                other: np.ndarray, windows: dict[int, list[tuple[int, int, float]]],
                concurrency: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Serve contacts sorted by arrival (`arrived` seconds; `patience` seconds a customer
    waits before abandoning, inf = never; `talk` and `other` as in PoolServer.serve).
    Returns answered_at and busy_until (-1 when abandoned or never served) and the agent
    index (-1)."""
    server = PoolServer(windows, concurrency)
    n = len(arrived)
    answered = np.full(n, -1, dtype=np.int64)
    agent_of = np.full(n, -1, dtype=np.int64)
    busy_until = np.full(n, -1, dtype=np.int64)
    deadline_l = (arrived + patience).tolist()
    talk_l = talk.tolist()
    other_l = np.asarray(other, dtype=np.int64).tolist()
    for i, t in enumerate(arrived.tolist()):
        answered[i], busy_until[i], agent_of[i] = server.serve(t, deadline_l[i], talk_l[i],
                                                               other_l[i])
    return answered, busy_until, agent_of
