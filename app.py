"""Optimizer trajectories for the classroom: the Streamlit page, in outline.

Read the session state (or, on a first visit, the URL) into a scene; compute its view once
(``ui/views.py``); draw the heading, a compact row per run (``ui/run_rows.py``), the five tabs and the
sidebar (the scene), each from its own module in ``ui/``.
The model (scene, URL, presets, runs) lives in ``page_model/``, the pictures in ``viz/``, the numbers in
``optim_core``/``surfaces``; none of them knows Streamlit.  All per-user state is in
``st.session_state`` (its layout: ``ui/state.py``); nothing at module level changes (one server serves
a whole class).  Every text is English in the code and goes through ``tr``, so the page reads in
English or Chinese.
"""

from __future__ import annotations

import dataclasses
import logging

import streamlit as st

import page_model
from ui import (explore_tab, header, lesson_panel, network_tab, no_delay, paths_tab, rules_tab, run_rows, sidebar,
                stage, surface3d_tab, viewport, views, widgets)
from ui import state as page_state
from ui.state import tr
from viz import i18n

st.set_page_config(page_title="Optimizer paths", page_icon="📉", layout="wide")
LOG = logging.getLogger("optimizer_paths")

# The tabs, by their English labels; st.tabs keeps the open one's label (in the page's language) in
# session_state["view"].
VIEWS = ("Paths", "Explore", "3-D surface", "Update rules", "Network")


def main() -> None:
    state = st.session_state
    if "run_ids" not in state:
        no_delay.apply()  # this session's websocket, and the listening socket for the next ones
        scene, warnings = page_state.read_url()
        page_state.load_scene(scene)
        warnings += page_state.read_place(VIEWS, tuple(explore_tab.VIEWS))
        warnings += page_state.read_lab()
        warnings += page_state.read_explore(scene)
        warnings += lesson_panel.read_url(VIEWS, tuple(explore_tab.VIEWS))
        state["url_warnings"] = warnings  # i18n.Messages, shown in the page's language
        if scene.projector:  # a link opened in projector mode: the class sees the page, not the sidebar (any tab)
            st.set_page_config(initial_sidebar_state="collapsed")
    st.set_page_config(page_title=tr("Optimizer paths"))
    page_state.resend_values()
    page_state.keep_lab()
    page_state.keep_explore()
    stage.preload()
    header.problems()
    try:
        scene = page_state.scene_from_state()
        view = views.compute(scene, page_state.run_looks(), viewport.is_narrow())
    except ValueError as error:  # every widget is range-checked; this is the last line of defence
        st.error(widgets.literal(tr("This setting cannot be run: {error}", error=i18n.Message.of(error))))
        fallback_sidebar()
        return
    state["preset"] = page_state.match_preset(scene)
    state["outside_runs"] = outside_runs(scene)
    header.render(view)
    lesson_panel.render(VIEWS, tuple(explore_tab.VIEWS))
    runs_and_tabs(view)
    sidebar.render(view.surface, VIEWS)
    viewport.watch()


def outside_runs(scene) -> tuple:
    """What the heading and the sidebar show of a scene: all of it but the runs' settings (their number: Add run
    is disabled at the most runs), and the preset it matches."""
    return dataclasses.replace(scene, runs=()), len(scene.runs), page_state.match_preset(scene)


@st.fragment
def runs_and_tabs(view: views.PageView) -> None:
    """The run rows and the open tab.  A change in here (a learning rate, μ, an optimizer, the stage's speed)
    reruns only this part, not the heading and the sidebar: the chart gets its new paths sooner, and the
    server works less.  Rerun alone, it computes its view again from the state (``view`` is the one of the
    last whole run); a change that the heading or the sidebar must show (the start moved by a click, a run
    added, a preset matched or left) reruns the whole page."""
    state = st.session_state
    page_state.keep_lab()
    page_state.keep_explore()
    header.problems()  # what a run row's edit could not do (a whole run has said it already)
    try:
        scene = page_state.scene_from_state()
        if scene != view.scene or stage.settings()["arrows"] != view.arrows:
            view = views.compute(scene, page_state.run_looks(), viewport.is_narrow())
    except ValueError:
        st.rerun(scope="app")  # the whole page says what cannot be run, and offers the fallback controls
    if outside_runs(scene) != state.get("outside_runs"):
        st.rerun(scope="app")
    page_state.write_url(scene, page_state.place_query(VIEWS, tuple(explore_tab.VIEWS), scene))
    # each run's main controls, right above the chart, but drawn after it: the chart's new paths reach the
    # browser before the rows' widgets do
    rows = st.container()
    tabs(view)
    with rows:
        run_rows.render(view.curvature.lr_max)


def tabs(view: views.PageView) -> None:
    """Only the open tab runs (on_change="rerun" makes the tabs lazy): a sweep or a WebGL scene costs
    nothing until it is looked at."""
    labels = [tr(name) for name in VIEWS]
    keep_open_tab(labels)
    paths, explore, three_d, rules, net = st.tabs(labels, key="view", on_change="rerun")
    if paths.open:
        with paths:
            paths_tab.render(view)
    if explore.open:
        with explore:
            explore_tab.render(view.scene, view.surface)
    if three_d.open:
        with three_d:
            surface3d_tab.render(view)
    if rules.open:
        with rules:
            rules_tab.render(view.scene)
    if net.open:
        with net:
            network_tab.render(view.scene)


def keep_open_tab(labels: list) -> None:
    """After a language switch session_state["view"] holds the open tab's label in the other language:
    put the same tab's label in this one, so the tab stays open (set before st.tabs is drawn)."""
    state = st.session_state
    current = state.get("view")
    for name, label in zip(VIEWS, labels):
        if current != label and current in {i18n.t(name, lang) for lang in page_model.LANGUAGES}:
            state["view"] = label


def fallback_sidebar() -> None:
    """The run rows and the sidebar over the default scene's surface, so a setting that cannot be run (a
    run's or the scene's) can be changed."""
    state = st.session_state
    fallback = page_model.DEFAULT_SCENE
    surface = fallback.surface_object()
    start = (float(state["start_x"]), float(state["start_y"]))
    run_rows.buttons()
    run_rows.render(views.start_curvature(views.surface_key(fallback), start, surface).lr_max)
    sidebar.render(surface, VIEWS)


def run_page() -> None:
    """The page, with a last guard: whatever still goes wrong is said in a sentence in the page's
    language (the traceback goes to the server's log, never to the audience)."""
    try:
        main()
    except Exception:  # noqa: BLE001
        LOG.exception("the page failed")
        st.error(tr("Something went wrong while drawing the page. Your scene is kept: change a setting or reload "
                    "the page."))


run_page()
