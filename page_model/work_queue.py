"""At most a few heavy computations at once on a server; the others wait their turn, first come first served.

One Streamlit process serves a class from one interpreter: thirty students starting a network training at the
same moment would each get a thirtieth of the machine, all finish late, and hold thirty trainings' memory at once.
A ``WorkQueue`` lets ``slots`` of them run and queues the rest in arrival order:

    ticket = queue.enter()
    try:
        while not queue.wait(ticket, 0.25):     # a page shows queue.ahead(ticket) meanwhile; a student who leaves
            show(queue.ahead(ticket))           # or changes the request stops waiting (the page's next call
        compute()                               # raises), and the finally gives the place up
    finally:
        queue.leave(ticket)

No Streamlit here: the page makes one queue per server (``st.cache_resource``).  Thread-safe.
"""

from __future__ import annotations

import itertools
import threading


class WorkQueue:
    """``slots`` computations at once; the others wait in the order they entered."""

    def __init__(self, slots: int):
        if slots < 1:
            raise ValueError(f"slots = {slots} must be at least 1")
        self.slots = int(slots)
        self._changed = threading.Condition()
        self._numbers = itertools.count()
        self._waiting: list = []  # tickets in arrival order
        self._running: set = set()

    def enter(self) -> int:
        """A ticket: its place is the end of the queue (or a free slot at once)."""
        with self._changed:
            ticket = next(self._numbers)
            self._waiting.append(ticket)
            self._admit()
            return ticket

    def _admit(self) -> None:
        """Move the first waiting tickets into the free slots (the lock held)."""
        while self._waiting and len(self._running) < self.slots:
            self._running.add(self._waiting.pop(0))
        self._changed.notify_all()

    def wait(self, ticket: int, timeout: float | None = None) -> bool:
        """True once ``ticket`` may run; False if ``timeout`` seconds passed first (ask again)."""
        with self._changed:
            return self._changed.wait_for(lambda: ticket in self._running, timeout)

    def ahead(self, ticket: int) -> int:
        """How many tickets wait before this one (0 when it runs or is next)."""
        with self._changed:
            return self._waiting.index(ticket) if ticket in self._waiting else 0

    def running(self) -> int:
        with self._changed:
            return len(self._running)

    def waiting(self) -> int:
        with self._changed:
            return len(self._waiting)

    def leave(self, ticket: int) -> None:
        """Give up the slot or the place in the queue (finished, failed or abandoned); the next in line runs."""
        with self._changed:
            self._running.discard(ticket)
            if ticket in self._waiting:
                self._waiting.remove(ticket)
            self._admit()
