"""The Explore tab's shared controls and callbacks: which run to explore, a hyperparameter's range,
the run's colour, and adding a clicked or found setting to the page as a run (``ui.state.add_run``)."""

from __future__ import annotations

import streamlit as st

import optim_core
import page_model
from page_model import Scene
from viz import i18n, styles

from . import state as page_state
from .state import tr


def run_colour(run_index: int) -> str:
    """The colour of the page's run ``run_index`` (its optimizer's, in its shade: viz.styles), as its path
    is drawn on the Paths tab."""
    state = st.session_state
    run_ids = state.get("run_ids") or []
    if run_index >= len(run_ids):
        return styles.FALLBACK_COLOUR
    run_id = run_ids[run_index]
    return styles.run_style(state.get(f"run{run_id}.optimizer", ""), state.get(f"run{run_id}.variant", 0)).colour


def run_picker(scene: Scene, key: str) -> int | None:
    if not scene.runs:
        st.info(tr("Add a run first (“Add run”, above the tabs): its optimizer and settings are what gets explored."))
        return None
    labels = [tr("Run {n}: {label}", n=i + 1, label=run.label()) for i, run in enumerate(scene.runs)]
    if not 0 <= (st.session_state.get(key) or 0) < len(labels):  # a run since removed, or a link's
        st.session_state[key] = 0
    index = st.selectbox(tr("run to explore"), range(len(labels)), format_func=labels.__getitem__, key=key)
    return min(index or 0, len(scene.runs) - 1)


def range_inputs(optimizer: str, param: str, key: str):
    spec = optim_core.hyper_spec(optimizer, param)
    (low, high), log = spec.sweep, spec.log
    left, right = st.columns(2)
    fmt = "%.2e" if log else "%.4f"
    lo = left.number_input(tr("{param} from", param=param), value=low, min_value=0.0, format=fmt,
                           key=f"{key}.{param}.lo")
    hi = right.number_input(tr("{param} to", param=param), value=high, min_value=0.0, format=fmt,
                            key=f"{key}.{param}.hi")
    problem = None
    if not lo < hi:
        problem = tr("{param}: 'from' must be below 'to'", param=param)
    elif log and lo <= 0:
        problem = tr("{param}: a log-scaled range must start above 0", param=param)
    elif not spec.high_inclusive and hi >= spec.high:
        problem = tr("{param}: valid values are below {high:g}, so 'to' must be below it", param=param, high=spec.high)
    if problem:
        st.error(problem)
        return None
    return (float(lo), float(hi), log)


def add_run(optimizer: str, hyper: dict) -> None:
    """Add a run to the main view (the page's session state), e.g. a clicked sweep cell."""
    state = st.session_state
    if len(state["run_ids"]) >= page_model.MAX_RUNS:
        state["explore_message"] = i18n.Message("The page shows at most {n} runs: remove one first.",
                                                n=page_model.MAX_RUNS)
        return
    names = {spec.name for spec in optim_core.hyper_specs(optimizer)}
    run = page_model.RunSpec.of(optimizer, **{k: v for k, v in hyper.items() if k in names})
    page_state.add_run(optimizer, run.hyper)
    state["explore_message"] = i18n.Message("Added {label} to the Paths tab.", label=run.label())


def snap(optimizer: str, param: str, value: float) -> float:
    """A clicked value rounded to two significant digits on a log scale (the sliders' grid), to 3 decimals else."""
    return float(f"{value:.2g}") if optim_core.hyper_spec(optimizer, param).log else round(float(value), 3)


def on_sweep_select(scene: Scene, run_index: int, x_param, x_values, y_param, y_values, curve: int) -> None:
    """A click on a sweep (the chart's selection event): the clicked setting becomes a run.  Only points of
    the trace ``curve`` count (``viz.explore.click_curve``: an invisible marker on every cell of a 2-D
    sweep, on every point of a 1-D one); its points run over x first, then y."""
    event = st.session_state.get("sweep_chart") or {}
    for point in event.get("selection", {}).get("points", []):
        if point.get("curve_number") != curve or point.get("point_index") is None:
            continue
        i, j = divmod(int(point["point_index"]), len(x_values))
        if i >= (len(y_values) if y_param else 1):
            continue
        run = scene.runs[run_index]
        hyper = run.params
        hyper[x_param] = snap(run.optimizer, x_param, x_values[j])
        if y_param:
            hyper[y_param] = snap(run.optimizer, y_param, y_values[i])
        add_run(run.optimizer, hyper)
        return
