"""The stage: the Paths tab's animated chart, a Streamlit components-v2 component (``ui/stage_web/stage.js``; no
iframe) that loads plotly.js once, receives the paths as typed arrays (``viz.stage.stage_data``) and animates
them itself, so playback is smooth, resumable and steppable and a rerun does not restart it.

plotly.js is plotly's "basic" bundle (``static/plotly-basic.min.js``: the scatter, bar and pie traces on cartesian
axes, with layout images, shapes, annotations and the legend; npm's ``plotly.js-basic-dist-min`` 4.1.1, the version of the plotly package's full bundle, MIT licence
beside it), served by Streamlit's static file serving (``server.enableStaticServing`` in
``.streamlit/config.toml``).  The stage draws only scatter traces (tests/test_stage.py checks every trace it is
sent against the bundle's list), and the basic bundle is a quarter of the full one's 4.8 MB: on a first load
the browser evaluates it in about a fifth of the time, which brought the page's first load from 1.4× to about
1.0× that of a one-chart Streamlit page (tests/benchmarks/bench_stage.py (d)).

Playback settings, the viewer's own and in the URL: ``stage_speed`` ("auto": the whole run in 5 s, or steps a
second), ``stage_hide`` (hide the future during playback) and ``stage_arrows`` (the parts of each update as
arrows).  The browser sends them back when they change (``on_settings``), and a click on the surface
(``on_click``) moves the start there.
"""

from __future__ import annotations

import math
from pathlib import Path

import streamlit as st

from page_model import playback

from . import widgets

WEB = Path(__file__).with_name("stage_web")
KEY = "stage"
# the session-state key of each playback setting (page_model.playback: their values, defaults and URL form)
STATE_KEYS = {"speed": "stage_speed", "hide": "stage_hide", "arrows": "stage_arrows"}


_LOADER = (WEB / "plotly_loader.js").read_text(encoding="utf-8")
_component = st.components.v2.component(
    "optimizer_paths_stage", html="", css=(WEB / "stage.css").read_text(encoding="utf-8"),
    js=widgets.component_js(WEB / "plotly_loader.js", WEB / "stage.js"),
    isolate_styles=False)  # in the page, not a shadow root: plotly.js styles its chart from the document's head
_preloader = st.components.v2.component("optimizer_paths_preload", js=_LOADER + "\nexport default function () { loadPlotly(); }\n")


def preload() -> None:
    """Start loading plotly.js at once (draw this first: the stage itself comes after the run rows)."""
    with st.sidebar:
        _preloader(key="plotly_preload", height=0)


def settings() -> dict:
    """The viewer's playback settings, for the stage, the exports and the URL."""
    state = st.session_state
    return {name: state.get(key, playback.DEFAULTS[name]) for name, key in STATE_KEYS.items()}


def on_settings() -> None:
    """The browser changed a playback setting: keep it (a bad value is ignored: the stage's own controls only
    offer valid ones)."""
    state = st.session_state
    sent = (state.get(KEY) or {}).get("settings") or {}
    try:
        state[STATE_KEYS["speed"]] = playback.parse_speed(sent.get("speed", "auto"))
    except ValueError:
        pass
    for name in ("hide", "arrows"):
        state[STATE_KEYS[name]] = bool(sent.get(name, playback.DEFAULTS[name]))


def on_click() -> None:
    """A click on the surface: start the runs there (inside the start's bounds, see the sidebar)."""
    state = st.session_state
    click = (state.get(KEY) or {}).get("click") or {}
    try:
        x, y = float(click["x"]), float(click["y"])
    except (KeyError, TypeError, ValueError):
        return
    if math.isfinite(x) and math.isfinite(y):
        state["start_x"], state["start_y"] = x, y


def rewind() -> None:
    """Put the play head at step 0, paused, on the next draw (a lesson's step that asks the class to guess)."""
    st.session_state["stage_rewind"] = st.session_state.get("stage_rewind", 0) + 1


def render(data: dict) -> None:
    """Draw the stage with ``data`` (``viz.stage.stage_data`` plus the settings, a revision and the rewind count:
    when it changes the browser puts the play head at step 0)."""
    _component(data=widgets.packed(dict(data, settings=settings(), rewind=st.session_state.get("stage_rewind", 0))),
               key=KEY,
               on_settings_change=widgets.safe(on_settings), on_click_change=widgets.safe(on_click))
