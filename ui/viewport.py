"""Is the page on a narrow screen (a phone)?  The server cannot know; the browser tells it.

A tiny ``st.components.v2`` component (no iframe: its script runs in the page) reports
``narrow = window.innerWidth < NARROW_PX`` when it is first drawn and again only when a resize
crosses the line, so it costs one extra rerun on a phone and none on a desktop (where the
default, wide, is already right).  The page then lays the side panels below the chart.
"""

from __future__ import annotations

import streamlit as st

NARROW_PX = 700
_KEY = "viewport"

_JS = """
export default function(component) {
    const { setStateValue } = component;
    let last = null;
    const report = () => {
        const narrow = window.innerWidth < %d;
        if (narrow !== last) { last = narrow; setStateValue('narrow', narrow); }
    };
    report();
    window.addEventListener('resize', report);
    return () => window.removeEventListener('resize', report);
}
""" % NARROW_PX

_component = st.components.v2.component("optimizer_paths_viewport", js=_JS)


def watch() -> None:
    """Draw the (invisible) reporter; call once per run, anywhere on the page."""
    _component(key=_KEY, default={"narrow": False}, height=0, on_narrow_change=lambda: None)


def is_narrow() -> bool:
    """What the browser last said (wide until it has spoken)."""
    result = st.session_state.get(_KEY)
    try:
        return bool(result["narrow"]) if result is not None else False
    except (KeyError, TypeError):
        return False
