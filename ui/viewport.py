"""Is the page on a narrow screen (a phone)?  The server cannot know; the browser tells it.

A tiny ``st.components.v2`` component (no iframe: its script runs in the page) reports
``narrow = window.innerWidth < NARROW_PX`` once, when it is first drawn; the answer is kept in
``state["viewport_narrow"]`` and the component is not drawn again.  Drawn on every run, the
component made Streamlit replay stale widget values on the rerun after a slider change (the
slider snapped back; caught by tests/test_browser.py), so it lives only until it has spoken.
The page then lays the side panels below the chart on a phone.
"""

from __future__ import annotations

import streamlit as st

NARROW_PX = 700
_KEY = "viewport"
_ANSWER = "viewport_narrow"

_JS = """
export default function(component) {
    component.setStateValue('narrow', window.innerWidth < %d);
}
""" % NARROW_PX

_component = st.components.v2.component("optimizer_paths_viewport", js=_JS)


def _keep_answer() -> None:
    result = st.session_state.get(_KEY)
    try:
        st.session_state[_ANSWER] = bool(result["narrow"])
    except (KeyError, TypeError):
        pass


def watch() -> None:
    """Draw the (invisible) reporter until the browser has answered; call once per run."""
    if _ANSWER not in st.session_state:
        _component(key=_KEY, height=0, on_narrow_change=_keep_answer)


def is_narrow() -> bool:
    """What the browser said (wide until it has spoken)."""
    return bool(st.session_state.get(_ANSWER, False))
