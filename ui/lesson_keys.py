"""Presentation-clicker keys in lesson mode: a tiny invisible Streamlit components-v2 component
(``ui/lesson_web/keys.js``, no iframe) that listens on the page's keydown and sends PageDown as "next" and
PageUp as "previous" (a teacher's clicker sends those), unless the focus is in a text field.  Drawn only while a
lesson is open (``ui/lesson_panel.py``); the page's callback then does what the Next / Previous buttons do.

The browser sends the trigger "press" = {"key": "next" | "previous", "nonce": …}; a trigger holds its value for
the one run it causes (the nonce makes two presses two values).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

KEY = "lesson_keys"
MOVES = {"next": 1, "previous": -1}
# nothing to see, and no room taken: its element leaves the layout (no gap in the lesson panel's column)
CSS = f".st-key-{KEY} {{ display: none !important; }}"
_component = st.components.v2.component(
    "optimizer_paths_lesson_keys", html="", css=CSS,
    js=(Path(__file__).with_name("lesson_web") / "keys.js").read_text(encoding="utf-8"),
    isolate_styles=False)  # in the page: it listens on the page's own document, and its CSS reaches the page


def render(on_press) -> None:
    """The listener (nothing to see): ``on_press()`` runs when a key was pressed (read which with ``pressed``)."""
    _component(key=KEY, height=0, on_press_change=on_press)


def pressed() -> int:
    """The last press as a step: +1 (next), -1 (previous), 0 (none, or a value that is neither)."""
    press = (st.session_state.get(KEY) or {}).get("press")
    key = press.get("key") if isinstance(press, dict) else None
    return MOVES.get(key, 0) if isinstance(key, str) else 0
