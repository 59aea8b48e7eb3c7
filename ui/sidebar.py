"""The sidebar, the scene: language, projector mode, preset, surface (or a typed formula), start point, steps
and the settings over time (schedule, momentum ramp, noise, display).  The runs are rows above the tabs
(``ui/run_rows.py``)."""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

import page_model
import surfaces
from page_model import scene as scene_model
from viz import i18n

from . import callbacks, explore_tab, lesson_panel, widgets
from .state import CUSTOM, option_labels, tr

SCHEDULE_LABELS = {"constant": "constant", "step": "step decay", "exponential": "exponential  η₀·e^(−kt)",
                   "inverse_time": "1/t  η₀/(1 + kt)", "cosine": "cosine annealing",
                   "warm_restarts": "warm restarts (SGDR)", "cyclic": "cyclic (triangular)", "one_cycle": "one-cycle"}
ANNEAL_LABELS = {"cos": "cosine", "linear": "linear"}


def render(surface, tabs: tuple) -> None:
    """The sidebar; ``surface``: the scene's (the start's bounds); ``tabs``: the page's tabs (a lesson's step
    opens one)."""
    state = st.session_state
    with st.sidebar:
        st.selectbox(tr("Language"), page_model.LANGUAGES, key="lang", format_func=i18n.LANGUAGE_NAMES.get)
        st.toggle(tr("Projector"), key="projector", help=tr("Larger type, thicker paths, fewer controls on screen."))
        widgets.choice(st.selectbox, tr("Preset"), (CUSTOM,) + tuple(page_model.PRESETS), key="preset",
                       format_func=functools.partial(preset_title, lang=state["lang"]),
                       on_change=callbacks.on_preset, help=tr("Load a well-known figure in one click."))
        if state["preset"] in page_model.PRESETS:
            st.caption(tr(page_model.PRESETS[state["preset"]].description))
        else:
            st.caption(tr("Your own scene: pick a preset to load a well-known one."))
        lesson_panel.picker(tabs, tuple(explore_tab.VIEWS))

        st.subheader(tr("Surface"))
        widgets.choice(st.selectbox, tr("Surface"), surfaces.names() + (page_model.FORMULA,), key="surface",
                       on_change=callbacks.on_surface, format_func=surface_titles(state["lang"]).get,
                       label_visibility="collapsed")
        st.toggle(tr("keep my learning rates"), key="keep_lrs",
                  help=tr("Off: a new surface gives each run a learning rate worth seeing there."))
        if state.get("lr_note"):
            st.caption(widgets.literal(i18n.render(state["lr_note"], state["lang"])))
        if state["surface"] == page_model.FORMULA:
            formula_controls()
        else:
            for spec in surfaces.param_specs(state["surface"]):
                surface_param_widget(spec)
        start_controls(surface)
        st.number_input(tr("steps"), *page_model.STEPS_RANGE, key="steps", step=10)

        with st.expander(tr("More: learning rate over time, noise, display"), expanded=not state["projector"]):
            more_settings()


def preset_title(key: str, lang: str = "en") -> str:
    return i18n.t("your own scene" if key == CUSTOM else page_model.PRESETS[key].title, lang)


@st.cache_data(max_entries=4, max_size="1MB", show_spinner=False)
def surface_titles(lang: str) -> dict:
    """Each surface's name in ``lang``, by id (the surface box's labels, made once, not on every rerun)."""
    titles = {surface_id: i18n.surface_name(surface_id, surfaces.get(surface_id).title, lang)
              for surface_id in surfaces.names()}
    titles[page_model.FORMULA] = i18n.t("✎ your own formula f(x, y)", lang)
    return titles


def surface_param_widget(spec) -> None:
    key = f"surface.{spec.name}"
    st.session_state.setdefault(key, spec.default)
    if spec.log:
        grid = np.unique(np.round(np.geomspace(spec.low, spec.high, 31), 2))
        options = page_model.options_with(tuple(float(v) for v in grid), float(st.session_state[key]))
        st.select_slider(tr(spec.label), options=options, key=key, format_func=widgets.number_format)
    else:
        st.slider(tr(spec.label), float(spec.low), float(spec.high), key=key, step=(spec.high - spec.low) / 100)


def formula_controls() -> None:
    """The typed surface: f(x, y) and its domain, applied when the parser accepts them."""
    state = st.session_state
    apply = widgets.safe(callbacks.on_formula)
    st.text_input("f(x, y) =", key="formula_text", on_change=apply, max_chars=500,
                  help=tr("Python syntax: + − * / ** and sin, cos, tan, exp, log, log10, sqrt, abs, tanh, sinh, cosh, "
                          "arctan; the names x, y, pi, e. Example: (1-x)**2 + 100*(y-x**2)**2"))
    left, right = st.columns(2)
    left.number_input(tr("x from"), key="formula_x_lo", on_change=apply, format="%.4g")
    right.number_input(tr("x to"), key="formula_x_hi", on_change=apply, format="%.4g")
    left.number_input(tr("y from"), key="formula_y_lo", on_change=apply, format="%.4g")
    right.number_input(tr("y to"), key="formula_y_hi", on_change=apply, format="%.4g")
    if state.get("formula_error"):
        st.error(widgets.literal(tr("{error}. The previous surface stays.", error=state["formula_error"])))


def start_controls(surface) -> None:
    """The start point as numbers, within the surface's domain widened by half its size."""
    (x_lo, x_hi), (y_lo, y_hi) = page_model.start_bounds(surface)
    left, right = st.columns(2)
    left.number_input(tr("start x"), min_value=x_lo, max_value=x_hi, key="start_x", format="%.4g",
                      step=(x_hi - x_lo) / 200)
    right.number_input(tr("start y"), min_value=y_lo, max_value=y_hi, key="start_y", format="%.4g",
                       step=(y_hi - y_lo) / 200)
    st.caption(tr("…or click on the chart to start there."))


def more_settings() -> None:
    st.markdown(tr("**Learning rate over time**"))
    widgets.choice(st.selectbox, tr("lr schedule (applies to every run)"), page_model.SCHEDULES, key="schedule",
                   format_func=lambda schedule, label=option_labels(): label(SCHEDULE_LABELS[schedule]))
    schedule_controls()
    st.number_input(tr("momentum ramp: μ from 0.5 to the run's μ over N steps (0: off)"), 0, 3000, key="mu_ramp",
                    step=10)
    st.markdown(tr("**Noise and display**"))
    left, right = st.columns(2)
    left.number_input(tr("gradient noise σ"), *page_model.NOISE_RANGE, key="noise", step=0.05, format="%.3g")
    right.number_input(tr("seed"), *page_model.SEED_RANGE, key="seed")
    st.select_slider(tr("tolerance for 'steps to reach'"), options=page_model.TOL_OPTIONS, key="tol",
                     format_func=lambda v: f"{v:g}")
    st.toggle(tr("running (Polyak) average"), key="average")
    st.toggle(tr("gradient field (−∇f arrows)"), key="field")


def schedule_controls() -> None:
    """The chosen schedule's parameters (only those), then the warm-up W, which goes with any schedule; a
    caption says what the cyclic ones make of the scene's steps."""
    state = st.session_state
    for name in scene_model.SCHEDULE_FIELDS[1:]:  # a field not loaded yet: the scene's default
        state.setdefault(name, getattr(page_model.Scene(), name))
    schedule = state["schedule"]
    params = scene_model.SCHEDULE_PARAMS[schedule]
    if schedule == "step":
        left, right = st.columns(2)
        left.number_input(tr("multiply by"), *scene_model.STEP_FACTOR_RANGE, key="step_factor", step=0.05)
        right.number_input(tr("every (steps)"), *scene_model.STEP_EVERY_RANGE, key="step_every")
    elif "decay_k" in params:
        st.number_input("k", *scene_model.DECAY_K_RANGE, key="decay_k", step=0.01, format="%.3g")
    if "cycles" in params:
        left, right = st.columns(2)
        left.number_input(tr("cycles"), *scene_model.CYCLES_RANGE, key="cycles",
                          help=tr("How many cycles fit in the run's steps (after the warm-up): the period "
                                  "follows the steps."))
        if "t_mult" in params:
            right.number_input(tr("T_mult"), *scene_model.T_MULT_RANGE, key="t_mult",
                               help=tr("Each cycle is T_mult times as long as the one before."))
    if "min_factor" in params:
        st.number_input(tr("lowest lr (× the run's lr)"), *scene_model.MIN_FACTOR_RANGE, key="min_factor",
                        step=0.05, format="%.3g")
    if schedule == "one_cycle":
        st.slider(tr("rising part (pct_start)"), *scene_model.PCT_START_RANGE, key="pct_start", step=0.01)
        widgets.choice(st.selectbox, tr("annealing"), scene_model.ANNEALS, key="anneal",
                       format_func=lambda anneal, label=option_labels(): label(ANNEAL_LABELS[anneal]))
        left, right = st.columns(2)
        left.number_input(tr("div_factor"), *scene_model.DIV_FACTOR_RANGE, key="div_factor", step=5.0, format="%.4g",
                          help=tr("It starts at lr/div_factor."))
        right.number_input(tr("final_div_factor"), *scene_model.FINAL_DIV_FACTOR_RANGE, key="final_div_factor",
                           step=100.0, format="%.4g", help=tr("It ends at lr/(div_factor·final_div_factor)."))
    st.number_input(tr("linear warm-up: lr from 0 over the first W steps (0: off)"), *scene_model.WARMUP_RANGE,
                    key="warmup", step=5)
    caption = schedule_caption()
    if caption:
        st.caption(caption)


def schedule_caption() -> str:
    """What the chosen schedule makes of the scene's steps: its period and where its cycles end."""
    state = st.session_state
    schedule = state["schedule"]
    if schedule not in ("cosine", "warm_restarts", "cyclic", "one_cycle"):
        return ""
    try:
        scene = page_model.Scene(steps=int(state["steps"]), **{name: state[name]
                                                                for name in scene_model.SCHEDULE_FIELDS})
        length, period, ends = scene.schedule_length(), scene.cycle_period(), scene.cycle_ends()
    except (ValueError, KeyError, TypeError):
        return ""
    shown = ", ".join(map(str, ends[:8])) + (", …" if len(ends) > 8 else "")
    if schedule == "cosine":
        text = tr("T = {length} steps: the whole run after the warm-up.", length=length)
    elif schedule == "one_cycle":
        text = tr("{length} steps: up for the first {pct:.0%}, then down.", length=length, pct=scene.pct_start)
    elif schedule == "warm_restarts":
        text = tr("T₀ = {period} steps.", period=period)
    else:
        text = tr("Step size {period}: up in {period} steps, down in {period}.", period=period)
    if ends:
        text += ("" if state.get("lang") == "zh" else " ") + tr("Cycles end after steps {ends}.", ends=shown)
    return text
