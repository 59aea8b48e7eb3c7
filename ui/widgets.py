"""Widgets that survive a language switch, text shown as typed, and callbacks that never crash.

Why a key per language: Streamlit sends a select box's value over the wire as its *label*.  After
the language changes, the browser still holds the old label ("Elongated bowl") and sends it with
the next rerun; matched against the new labels ("拉长的碗") it is not found and comes back as the
raw string instead of the id.  So a choice widget lives under ``f"{key}@{lang}"`` (a new widget
for each language, with nothing stale in the browser) and mirrors the id in ``state[key]``,
which is what the page reads.  ``state[key]`` is never a widget, so it also survives a run in
which the widget is not drawn.
"""

from __future__ import annotations

import functools
import logging
import re

import streamlit as st

from viz import i18n

_LOG = logging.getLogger(__name__)
# Every ASCII punctuation character may be backslash-escaped in CommonMark; Streamlit adds ":" for
# emoji and colour directives (":red[…]") and "$" for LaTeX.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def literal(text: str) -> str:
    """``text`` escaped for st.markdown / st.error / st.warning: shown exactly as typed, never as
    Markdown, HTML, LaTeX, a link or an emoji code; line breaks become spaces."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).splitlines()))


def widget_key(key: str) -> str:
    """The key of the widget that shows ``state[key]`` in the page's current language."""
    return f"{key}@{st.session_state.get('lang', 'en')}"


def choice(widget, label: str, options, *, key: str, format_func, on_change=None, args=(), **kwargs):
    """``widget`` (st.selectbox, st.radio, st.segmented_control, …) showing the id in
    ``state[key]`` with labels in the page's language; a pick is copied to ``state[key]``
    before ``on_change(*args)`` runs.  Returns the id."""
    state = st.session_state
    shown = widget_key(key)
    options = tuple(options)
    if state.get(key) not in options:  # first drawn, or its options changed: the first one
        state[key] = options[0]
    if shown not in state or state[shown] != state[key]:
        state[shown] = state[key]

    def picked():
        # Only an id is taken: a label (a browser still holding another language's) or None (a
        # segmented control clicked off) leaves the id as it was.
        if state.get(shown) in options:
            state[key] = state[shown]
        if on_change is not None:
            on_change(*args)

    widget(label, options, key=shown, format_func=format_func, on_change=safe(picked), **kwargs)
    return state[key]


def safe(callback):
    """``callback`` that reports an unexpected error as a short message in the page's language
    (``state["callback_error"]``, shown by the page) instead of replacing the page with a
    traceback; the traceback goes to the server's log."""

    @functools.wraps(callback)
    def guarded(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except Exception as error:  # noqa: BLE001  the audience must never see a traceback
            _LOG.exception("callback %s failed", getattr(callback, "__name__", callback))
            # a ValueError of ours names the field and its range; anything else only its kind
            st.session_state["callback_error"] = (
                i18n.Message.of(error) if isinstance(error, ValueError)
                else i18n.Message("an unexpected {kind}", kind=type(error).__name__))

    return guarded
