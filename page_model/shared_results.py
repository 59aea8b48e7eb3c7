"""Finished computations shared by every student of a server, bounded in bytes, each computed once.

A class opening the same experiment at the same moment should pay for it once: the first asker computes, the others
wait for its result (``get_or_compute``).  The store keeps at most ``max_bytes`` of results (their arrays' sizes,
``size_of``), dropping the least recently used first; a result larger than the whole store is returned and not
kept.  Thread-safe (Streamlit runs every session's script in a thread of one process).  No Streamlit here: the page
makes one store per server (``st.cache_resource``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Hashable

import numpy as np


def size_of(value) -> int:
    """The bytes of the arrays in ``value`` (a NumPy array, or tuples, lists and dicts of them: a NamedTuple
    included), plus 64 a leaf for everything else."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, (tuple, list)):
        return sum(size_of(item) for item in value) + 64
    if isinstance(value, dict):
        return sum(size_of(item) for item in value.values()) + 64
    return 64


class SharedResults:
    """A bounded, thread-safe store of results by key (see the module)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = int(max_bytes)
        self._lock = threading.Lock()
        self._items: OrderedDict = OrderedDict()  # key → (value, size), least recently used first
        self._pending: dict = {}  # key → _Pending: the computation under way
        self.bytes = 0

    def get(self, key: Hashable):
        """The stored result of ``key`` (now the most recently used), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key][0]

    def is_pending(self, key: Hashable) -> bool:
        """True while some session computes ``key``."""
        with self._lock:
            return key in self._pending

    def get_or_compute(self, key: Hashable, compute: Callable[[], object]):
        """The result of ``key``: stored, or awaited from the session computing it, or computed here by ``compute()``
        (its exception propagates to this caller only; a waiting caller then computes it itself).  A waiting caller
        gets the computed result even when it is too large to be kept."""
        while True:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key][0]
                pending = self._pending.get(key)
                if pending is None:
                    pending = self._pending[key] = _Pending()
                    break
            pending.done.wait()
            if pending.succeeded:
                return pending.value
        try:
            value = compute()
        except BaseException:
            with self._lock:
                del self._pending[key]
            pending.done.set()
            raise
        size = size_of(value)
        with self._lock:  # stored and no longer pending at once: no asker can find it neither
            self._put(key, value, size)
            del self._pending[key]
        pending.value, pending.succeeded = value, True
        pending.done.set()
        return value

    def _put(self, key, value, size: int) -> None:
        """Keep ``value`` (the lock held), dropping the least recently used until it fits; not if it never fits."""
        if size > self.max_bytes:
            return
        if key in self._items:
            self.bytes -= self._items.pop(key)[1]
        while self._items and self.bytes + size > self.max_bytes:
            self.bytes -= self._items.popitem(last=False)[1][1]
        self._items[key] = (value, size)
        self.bytes += size


class _Pending:
    """A computation under way: set ``done`` when it ends, with ``value`` when it ``succeeded``."""

    def __init__(self):
        self.done = threading.Event()
        self.value = None
        self.succeeded = False
