"""The result cache: least-recently-used eviction, one computation for concurrent requests
of one key, failures never stored."""

from __future__ import annotations

import threading
import time

import pytest

from cxpm.web.cache import ResultCache


def test_second_request_is_a_hit() -> None:
    cache = ResultCache()
    calls = []
    assert cache.get_or_compute("k", lambda: calls.append(1) or 42) == 42
    assert cache.get_or_compute("k", lambda: calls.append(1) or 43) == 42
    assert (len(calls), cache.hits, cache.misses) == (1, 1, 1)


def test_least_recently_used_entry_is_evicted() -> None:
    cache = ResultCache(max_entries=2)
    cache.get_or_compute("a", lambda: 1)
    cache.get_or_compute("b", lambda: 2)
    cache.get_or_compute("a", lambda: 0)  # a is now the most recent
    cache.get_or_compute("c", lambda: 3)  # evicts b
    assert len(cache) == 2
    assert cache.get_or_compute("a", lambda: -1) == 1
    assert cache.get_or_compute("b", lambda: 20) == 20


def test_concurrent_requests_compute_once() -> None:
    cache = ResultCache()
    calls = []
    start = threading.Barrier(12)
    results = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 7

    def request() -> None:
        start.wait()
        results.append(cache.get_or_compute(("v1", "scorecard"), slow))

    threads = [threading.Thread(target=request) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [7] * 12
    assert len(calls) == 1


def test_a_failure_is_not_stored() -> None:
    cache = ResultCache()

    def fail() -> int:
        raise RuntimeError("warehouse busy")

    with pytest.raises(RuntimeError):
        cache.get_or_compute("k", fail)
    assert len(cache) == 0
    assert cache.get_or_compute("k", lambda: 5) == 5


def test_at_least_one_entry() -> None:
    with pytest.raises(ValueError):
        ResultCache(max_entries=0)


def test_peek_never_computes() -> None:
    cache = ResultCache()
    assert cache.peek("k") == (False, None)
    cache.get_or_compute("k", lambda: 3)
    assert cache.peek("k") == (True, 3)
