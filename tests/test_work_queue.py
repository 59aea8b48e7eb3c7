"""page_model.work_queue.WorkQueue: at most ``slots`` computations at once, the others in arrival order.

The expected orders and counts are worked out by hand from the sequence of enter/leave calls; the threaded test lets
each worker finish only when the test says so (events), so nothing depends on timing.
"""

import threading

import pytest

from page_model.work_queue import WorkQueue


def test_the_first_slots_run_at_once_and_the_rest_wait_in_arrival_order():
    queue = WorkQueue(2)
    a, b, c, d = (queue.enter() for _ in range(4))
    assert [queue.wait(t, 0) for t in (a, b, c, d)] == [True, True, False, False]
    assert (queue.running(), queue.waiting()) == (2, 2)
    assert [queue.ahead(t) for t in (a, b, c, d)] == [0, 0, 0, 1]
    queue.leave(b)  # b finished: c (first in line) runs, d is next
    assert [queue.wait(t, 0) for t in (c, d)] == [True, False] and queue.ahead(d) == 0
    queue.leave(a)
    assert queue.wait(d, 0) and (queue.running(), queue.waiting()) == (2, 0)


def test_a_student_who_leaves_the_line_gives_up_the_place():
    queue = WorkQueue(1)
    running, first, second, third = (queue.enter() for _ in range(4))
    queue.leave(second)  # left while waiting
    assert [queue.ahead(t) for t in (first, third)] == [0, 1]
    queue.leave(running)
    assert queue.wait(first, 0) and not queue.wait(third, 0) and queue.ahead(third) == 0
    queue.leave(first)
    assert queue.wait(third, 0)
    queue.leave(third)
    queue.leave(third)  # leaving twice (a finally after an interruption) changes nothing
    assert (queue.running(), queue.waiting()) == (0, 0)


def test_more_requests_than_slots_all_finish_in_order_and_never_more_than_the_slots_at_once():
    slots, requests = 2, 9
    queue = WorkQueue(slots)
    lock, most = threading.Lock(), [0]
    release = [threading.Event() for _ in range(requests)]
    began = [threading.Event() for _ in range(requests)]
    tickets = [queue.enter() for _ in range(requests)]  # entered in this order, before any worker starts

    def work(i):
        assert queue.wait(tickets[i], 30)
        with lock:
            most[0] = max(most[0], queue.running())
        began[i].set()
        assert release[i].wait(30)
        queue.leave(tickets[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(requests)]
    for thread in threads:
        thread.start()
    for i in range(slots):
        assert began[i].wait(30), f"request {i} never started"
    for i in range(requests):  # request i finishes: exactly request i + slots (the next in line) may start
        assert [k for k in range(requests) if began[k].is_set()] == list(range(min(requests, i + slots)))
        release[i].set()
        if i + slots < requests:
            assert began[i + slots].wait(30), f"request {i + slots} never started"
    for thread in threads:
        thread.join(30)
    assert all(event.is_set() for event in began)  # every request got its turn
    assert most[0] <= slots
    assert (queue.running(), queue.waiting()) == (0, 0)


def test_a_queue_needs_a_slot():
    with pytest.raises(ValueError, match="slots"):
        WorkQueue(0)
