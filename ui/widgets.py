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
import json
import logging
import re
from pathlib import Path

import streamlit as st

from viz import i18n

_LOG = logging.getLogger(__name__)
# ASCII punctuation is what Markdown, HTML, Streamlit's directives (":red[…]", "$…$") and GFM's bare
# links ("http://…", "www.…") are made of.  As numeric character references ("&#42;") it is text to
# CommonMark, never markup: unlike a backslash escape, it also stops a bare URL from becoming a link.
_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")
# Streamlit also links bare "http://…", "www.…" and "a@b.c" in plain text (character references do not
# stop that): an invisible word joiner (U+2060) where a link would start keeps them text.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)


def literal(text: str) -> str:
    """``text`` for st.markdown / st.error / st.warning, shown exactly as typed: never as Markdown,
    HTML, LaTeX, a colour directive or a link; line breaks become spaces.

    >>> literal("2*x <b>")
    '2&#42;x &#60;b&#62;'
    """
    text = _AUTOLINK.sub("\u2060", " ".join(str(text).splitlines()))
    return _PUNCTUATION.sub(lambda match: f"&#{ord(match.group())};", text)


@functools.lru_cache(maxsize=4096, typed=True)  # pure; Streamlit formats every option of every slider on every run
def number_format(value) -> str:
    """A select slider's label for a value: 3 significant digits, "on"/"off" for a flag.

    >>> number_format(0.30000000000000004), number_format(0), number_format(True)
    ('0.3', '0', 'on')
    """
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return value
    return "0" if value == 0 else f"{value:.3g}"


def widget_key(key: str) -> str:
    """The key of the widget that shows ``state[key]`` now: one per language and per revision."""
    state = st.session_state
    revision = state.get(f"{key}@revision", 0)
    return f"{key}@{state.get('lang', 'en')}" + (f"#{revision}" if revision else "")


def choice(widget, label: str, options, *, key: str, format_func, on_change=None, args=(), **kwargs):
    """``widget`` (st.selectbox, st.radio, st.segmented_control, …) showing the id in
    ``state[key]`` with labels in the page's language; a pick is copied to ``state[key]``
    before ``on_change(*args)`` runs.  Returns the id.

    When the page itself changes ``state[key]`` (the preset box saying "your own scene" after a
    slider move), the box becomes a new widget (its revision goes up): a browser that has not yet
    heard of the change would otherwise send the old value back as if the user had picked it, and
    the preset box would reload its preset over the student's slider move."""
    state = st.session_state
    options = tuple(options)
    if state.get(key) not in options:  # first drawn, or its options changed: the first one
        state[key] = options[0]
    shown = widget_key(key)
    if shown in state and state[shown] != state[key]:
        state[f"{key}@revision"] = state.get(f"{key}@revision", 0) + 1
        shown = widget_key(key)
    if shown not in state:
        state[shown] = state[key]

    def picked():
        if shown != widget_key(key):  # a superseded widget the browser still had: not the user's pick
            return
        # Only an id is taken: a label (a browser still holding another language's) or None (a
        # segmented control clicked off) leaves the id as it was, and is no change to act on.
        if state.get(shown) not in options or state[shown] == state[key]:
            return
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


def packed(data) -> bytes:
    """A components-v2 component's data as JSON bytes (its JavaScript reads them with ``unpack``).

    Given a dict, Streamlit looks at each of its values for a data frame and serialises it twice (once to send,
    once, sorted, for the element's identity, which a keyed component does not use): a fifth of an lr change's
    CPU.  Bytes it sends as they are."""
    return json.dumps(data, separators=(",", ":")).encode()


SHARED_JS = Path(__file__).with_name("shared_web") / "common.js"


def component_js(*parts: Path) -> str:
    """A component's JavaScript: the shared helpers (``shared_web/common.js``: ``element``, ``unpack``, the lr
    event's name), then ``parts`` in order."""
    return "\n".join(path.read_text(encoding="utf-8") for path in (SHARED_JS, *parts))
