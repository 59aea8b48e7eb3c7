"""Heavy computations (a network training, a chapter-6 study, an Explore sweep, basin map, search or learning-rate
fan) go through the server's queue (``page_model.work_queue``): at most SLOTS at once, the others wait in line with
their place shown on a progress bar.  A student who changes the request or leaves while waiting or computing stops
it: Streamlit interrupts the script at its next call (a progress update), and the place is given up.  Streamlit
only.
"""

from __future__ import annotations

import os

import streamlit as st

from page_model.work_queue import WorkQueue

from .state import tr

SLOTS = max(1, os.cpu_count() or 1)  # one computation per core; the rest of a class waits its turn
POLL_SECONDS = 0.25


@st.cache_resource(show_spinner=False)
def work_queue() -> WorkQueue:
    """One queue per server, for every session."""
    return WorkQueue(SLOTS)


def run(compute, text: str):
    """``compute(progress)`` once the queue lets it run, with a progress bar (``progress(fraction)`` moves it);
    while it waits, the bar says how many computations are ahead."""
    queue = work_queue()
    ticket = queue.enter()
    bar = st.progress(0.0, text=text)
    try:
        while not queue.wait(ticket, POLL_SECONDS):
            bar.progress(0.0, text=tr("The server is busy: waiting for {ahead} computation(s) of other students "
                                      "ahead of this one…", ahead=queue.ahead(ticket) + queue.running()))
        bar.progress(0.0, text=text)
        return compute(lambda done: bar.progress(min(1.0, max(0.0, float(done))), text=text))
    finally:
        queue.leave(ticket)
        bar.empty()
