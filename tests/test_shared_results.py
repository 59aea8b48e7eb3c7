"""The server-wide store of finished computations (page_model/shared_results.py).

Where the expected values come from: the sizes are NumPy's ``nbytes`` worked out by hand (8 bytes a float64, 4 a
float32 or int32) plus the module's stated 64 bytes for a container or a non-array leaf; the eviction order is
worked out by hand for a store that holds exactly two 80-byte arrays; the concurrency tests count the calls to
``compute`` under a lock and order the threads with events, never with sleeps: the store's own ``threading.Event``
is replaced by one that reports when a thread starts waiting on it, so a test knows that every asker is waiting
before it lets the computation finish.  Every wait on another thread is bounded (a safety net against a hang, not a
timing assertion).
"""

import threading
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np
import pytest

from page_model import shared_results
from page_model.shared_results import SharedResults, size_of

BOUND = 30  # seconds: the longest any test waits for another thread (only reached if something hangs)


# --- size_of ---------------------------------------------------------------------------------------------------------


class Pair(NamedTuple):
    members: np.ndarray
    ensemble: np.ndarray


def test_size_of_an_array_is_its_bytes():
    assert size_of(np.zeros(10)) == 80  # 10 × 8
    assert size_of(np.zeros((3, 4), np.float32)) == 48  # 12 × 4
    assert size_of(np.zeros((2, 0, 5))) == 0
    assert size_of(np.zeros(7, np.int32)[::2]) == 16  # 4 elements of the view × 4


def test_size_of_sums_nested_arrays_plus_64_a_container_or_other_leaf():
    a, b = np.zeros(10), np.zeros((3, 4), np.float32)  # 80 and 48 bytes
    assert size_of(3.5) == 64 and size_of(None) == 64 and size_of("text") == 64
    assert size_of((a, b)) == 80 + 48 + 64
    assert size_of([a, [b, a]]) == 80 + (48 + 80 + 64) + 64
    assert size_of(Pair(np.zeros(3), np.zeros(3))) == 24 + 24 + 64  # a NamedTuple is a tuple
    assert size_of({"x": a, "y": [b, "text"], "z": 2}) == 80 + (48 + 64 + 64) + 64 + 64
    # the arrays' part by differences, whatever the overhead: adding an array adds exactly its bytes
    assert size_of((a, b, np.zeros(100))) - size_of((a, b)) == 800
    assert size_of({"x": a, "big": np.zeros((5, 5))}) - size_of({"x": a}) == 200


# --- the store: bounded by bytes, least recently used out first --------------------------------------------------------


def put(store, key, value):
    return store.get_or_compute(key, lambda: value)


def test_a_third_array_evicts_the_least_recently_stored():
    store = SharedResults(160)  # exactly two arrays of 80 bytes
    a, b, c = np.zeros(10), np.ones(10), np.full(10, 2.0)
    assert put(store, "a", a) is a and put(store, "b", b) is b
    assert store.bytes == 160 and store.get("a") is a and store.get("b") is b
    assert put(store, "c", c) is c  # a was used before b (the gets above: a, then b)
    assert store.get("a") is None and store.get("b") is b and store.get("c") is c
    assert store.bytes == 160


def test_get_makes_a_result_the_most_recently_used():
    store = SharedResults(160)
    a, b, c = np.zeros(10), np.ones(10), np.full(10, 2.0)
    put(store, "a", a)
    put(store, "b", b)
    assert store.get("a") is a  # now b is the least recently used
    put(store, "c", c)
    assert store.get("b") is None and store.get("a") is a and store.get("c") is c


def test_a_hit_of_get_or_compute_also_refreshes_and_does_not_compute():
    store = SharedResults(160)
    a, b, c = np.zeros(10), np.ones(10), np.full(10, 2.0)
    put(store, "a", a)
    put(store, "b", b)
    assert store.get_or_compute("a", lambda: pytest.fail("a is stored: no computation")) is a
    put(store, "c", c)
    assert store.get("b") is None and store.get("a") is a


def test_a_result_evicts_as_many_as_it_needs():
    store = SharedResults(240)  # three 80-byte arrays, or one 160-byte array and one 80-byte array
    for key in "abc":
        put(store, key, np.zeros(10))
    big = np.zeros(20)
    assert put(store, "big", big) is big  # a and b go (oldest first), c stays
    assert store.get("a") is None and store.get("b") is None and store.get("c") is not None
    assert store.bytes == 240


def test_a_result_larger_than_the_store_is_returned_and_not_kept():
    store = SharedResults(160)
    a = np.zeros(10)
    put(store, "a", a)
    huge = np.zeros(21)  # 168 bytes > 160
    assert put(store, "huge", huge) is huge
    assert store.get("huge") is None
    assert store.get("a") is a and store.bytes == 80  # nothing evicted for it


def test_a_missing_key_is_none_and_not_pending():
    store = SharedResults(160)
    assert store.get("nothing") is None and not store.is_pending("nothing")


# --- the store: one computation for many askers ----------------------------------------------------------------------


class Waits:
    """A stand-in for the module's ``threading``: its Events report how many threads have started waiting."""

    def __init__(self):
        self.count, self.changed = 0, threading.Condition()
        waits = self

        class ReportingEvent(threading.Event):
            def wait(self, timeout=None):
                with waits.changed:
                    waits.count += 1
                    waits.changed.notify_all()
                return super().wait(timeout)

        self.module = SimpleNamespace(Lock=threading.Lock, Event=ReportingEvent)

    def until(self, count):
        with self.changed:
            return self.changed.wait_for(lambda: self.count >= count, timeout=BOUND)


@pytest.fixture
def waits(monkeypatch):
    waits = Waits()
    monkeypatch.setattr(shared_results, "threading", waits.module)
    return waits


class Counter:
    def __init__(self):
        self.value, self.lock = 0, threading.Lock()

    def add(self):
        with self.lock:
            self.value += 1


def in_thread(function):
    """Start ``function()`` in a thread; the returned namespace holds its ``result`` or its ``error``."""
    outcome = SimpleNamespace(result=None, error=None)

    def run():
        try:
            outcome.result = function()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome.error = error

    outcome.thread = threading.Thread(target=run, daemon=True)
    outcome.thread.start()
    return outcome


def test_eight_askers_at_once_compute_once_and_share_the_result(waits):
    store = SharedResults(10_000)
    calls, started, release = Counter(), threading.Event(), threading.Event()

    def compute():
        calls.add()
        started.set()
        assert release.wait(BOUND)
        return np.arange(5.0)  # a new object each call: sharing shows as identity

    askers = [in_thread(lambda: store.get_or_compute("key", compute)) for _ in range(8)]
    assert started.wait(BOUND)
    assert waits.until(7)  # the other seven are waiting for the one computing
    assert store.is_pending("key") and store.get("key") is None
    assert calls.value == 1
    release.set()
    for asker in askers:
        asker.thread.join(BOUND)
        assert not asker.thread.is_alive() and asker.error is None
    assert calls.value == 1
    first = askers[0].result
    assert all(asker.result is first for asker in askers)
    np.testing.assert_array_equal(first, np.arange(5.0))
    assert store.get("key") is first and not store.is_pending("key")


def test_is_pending_only_while_computing():
    store = SharedResults(10_000)
    seen = []

    def compute():
        seen.append(store.is_pending("key"))
        return np.zeros(3)

    assert not store.is_pending("key")
    store.get_or_compute("key", compute)
    assert seen == [True] and not store.is_pending("key")

    def failing():
        seen.append(store.is_pending("other"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        store.get_or_compute("other", failing)
    assert seen == [True, True] and not store.is_pending("other")


def test_an_error_reaches_its_owner_only_and_a_waiter_then_computes_itself(waits):
    store = SharedResults(10_000)
    started, release, calls = threading.Event(), threading.Event(), Counter()

    def failing():
        started.set()
        assert release.wait(BOUND)
        raise RuntimeError("the owner's computation failed")

    def working():
        calls.add()
        return np.ones(4)

    owner = in_thread(lambda: store.get_or_compute("key", failing))
    assert started.wait(BOUND)
    waiter = in_thread(lambda: store.get_or_compute("key", working))
    assert waits.until(1)  # the waiter waits for the owner
    assert calls.value == 0 and store.is_pending("key")
    release.set()
    for outcome in (owner, waiter):
        outcome.thread.join(BOUND)
        assert not outcome.thread.is_alive()
    assert isinstance(owner.error, RuntimeError) and owner.result is None
    assert waiter.error is None and calls.value == 1
    np.testing.assert_array_equal(waiter.result, np.ones(4))
    assert store.get("key") is waiter.result and not store.is_pending("key")


def test_a_failed_computation_is_not_stored_and_is_tried_again():
    store = SharedResults(10_000)
    with pytest.raises(ZeroDivisionError):
        store.get_or_compute("key", lambda: 1 / 0)
    assert store.get("key") is None and store.bytes == 0
    value = np.zeros(2)
    assert store.get_or_compute("key", lambda: value) is value


def test_an_asker_right_after_the_computation_gets_its_result_without_computing(waits, monkeypatch):
    store = SharedResults(10_000)
    calls, late, finished = Counter(), [], []
    real_size_of = shared_results.size_of

    def compute():
        calls.add()
        return np.arange(3.0)

    def late_asker():
        try:
            return store.get_or_compute("key", compute)
        finally:
            with waits.changed:
                finished.append(True)
                waits.changed.notify_all()

    def measuring(value):
        # the owner has its result and is about to store it; another session asks now
        if not late:
            late.append(in_thread(late_asker))
            with waits.changed:  # until that asker has its answer, or waits for this computation
                waits.changed.wait_for(lambda: finished or waits.count >= 1, timeout=BOUND)
        return real_size_of(value)

    monkeypatch.setattr(shared_results, "size_of", measuring)
    first = store.get_or_compute("key", compute)
    late[0].thread.join(BOUND)
    assert not late[0].thread.is_alive() and late[0].error is None
    assert calls.value == 1, "computed twice"
    assert late[0].result is first
