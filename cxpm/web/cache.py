"""Computed results kept per data version: a metric query asked twice between two warehouse
writes is computed once, however many requests ask at the same time."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_MAX_ENTRIES = 512


class ResultCache:
    """A bounded least-recently-used map whose keys carry the data version they were
    computed at; concurrent requests for one missing key wait for a single computation."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("a result cache holds at least one entry")
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._pending: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _lookup(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return True, self._entries[key]
            return False, None

    def peek(self, key: Hashable) -> tuple[bool, Any]:
        """(True, value) when `key` is stored, else (False, None); never computes."""
        return self._lookup(key)

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value stored under `key`, else `compute()`'s, stored. An exception is not
        stored: the next request computes again."""
        found, value = self._lookup(key)
        if found:
            return value
        with self._lock:
            gate = self._pending.setdefault(key, threading.Lock())
        with gate:
            found, value = self._lookup(key)
            if found:
                return value
            try:
                value = compute()
                with self._lock:
                    self.misses += 1
                    self._entries[key] = value
                    self._entries.move_to_end(key)
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
            finally:
                with self._lock:
                    self._pending.pop(key, None)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
