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


def run(compute, text: str, *, progress_bar: bool = True):
    """``compute(progress)`` once the queue lets it run.  With ``progress_bar`` a bar shows the work
    (``progress(fraction)`` moves it); without, Streamlit's spinner says ``text`` if it takes over half a second, so a
    cached answer (Explore's views on a rerun) shows nothing.  While it waits its turn, a bar says how many
    computations are ahead."""
    queue = work_queue()
    ticket = queue.enter()
    bars = []  # the progress bar, made when first needed

    def bar():
        if not bars:
            bars.append(st.progress(0.0, text=text))
        return bars[0]

    try:
        while not queue.wait(ticket, POLL_SECONDS):
            bar().progress(0.0, text=tr("The server is busy: waiting for {ahead} computation(s) of other students "
                                        "ahead of this one…", ahead=queue.ahead(ticket) + queue.running()))
        if progress_bar:
            bar().progress(0.0, text=text)
            return compute(lambda done: bar().progress(min(1.0, max(0.0, float(done))), text=text))
        if bars:
            bars[0].empty()
        with st.spinner(text):
            return compute(lambda done: None)
    finally:
        queue.leave(ticket)
        if bars:
            bars[0].empty()
