"""The "Explore" tab of the page: hyperparameter sweeps with the theory on top, basins of
attraction, the notes' random search, one update taken apart.  Streamlit only: the numbers come
from ``optim_core.analysis``, the pictures from ``viz.explore``, the words from ``viz.i18n`` (in the
page's language, ``scene.lang``)."""

from __future__ import annotations

import functools
import re

import numpy as np
import streamlit as st

import optim_core
from optim_core import analysis
from viz import explore as ex
from viz import figures as fg
from viz import i18n
from viz import scene as sc
from viz import styles

from . import runs, widgets
from .checked_figure import CheckedFigure

RESOLUTIONS = (16, 24, 32, 48, 64, 96, 128)
SECTIONS = ("Sweep", "Basins", "Random search", "One step")  # English; shown translated
NO_Y_AXIS = "(none: a 1-D sweep)"
NOTHING_ELSE = "nothing else"
COLOUR_BY = {"steps": "steps to tol", "loss": "final loss"}  # a sweep's colour: option -> English label


def float_params(optimizer: str) -> list:
    return [spec.name for spec in optim_core.hyper_specs(optimizer) if not spec.choices]


def tr(text: str, **params) -> str:
    """``text`` in the page's language (see viz/i18n.py)."""
    return i18n.t(text, st.session_state.get("lang", "en"), **params)


def option_labels():
    """A widget's format_func: an English option label in the page's language."""
    return i18n.translator(st.session_state.get("lang", "en"))


def _fixed(scene: sc.Scene, run: sc.RunSpec, varied) -> dict:
    """The run's other hyperparameters (with the scene's schedules), all but the varied ones."""
    opt = scene.optimizer(run)
    return {k: v for k, v in opt.hyperparams.items() if k not in varied}


# --- cached pure work -------------------------------------------------------------------------------------


@st.cache_data(max_entries=32, show_spinner=False)
def sweep_view(scene: sc.Scene, run_index: int, x_param: str, x_range: tuple, y_param, y_range, resolution: int,
               steps: int, tol: float, colour_by: str) -> dict:
    surface = scene.surface_object()
    run = scene.runs[run_index]

    def values(param, bounds):
        low, high, log = bounds
        return np.geomspace(low, high, resolution) if log else np.linspace(low, high, resolution)

    varied = [x_param] + ([y_param] if y_param else [])
    result = analysis.sweep(surface, run.optimizer, x_param, values(x_param, x_range),
                            y_param, values(y_param, y_range) if y_param else None,
                            fixed=_fixed(scene, run, varied), start=scene.start, steps=steps, tol=tol)
    theory = analysis.quadratic_theory(surface)
    if y_param:
        figure = ex.sweep_figure(result, theory=theory, colour_by=colour_by, lang=scene.lang)
    else:
        figure = ex.sweep_line_figure(result, theory=theory, lang=scene.lang)
    return {"figure": figure, "click_curve": ex.click_curve(figure), "best": result.best,
            "x_values": result.x_values, "y_values": result.y_values, "theory": theory,
            "diverged": int(result.diverged.sum()), "cells": int(result.diverged.size),
            "reached": int((result.steps_to_tol >= 0).sum())}


@st.cache_data(max_entries=16, show_spinner=False)
def basins_view(scene: sc.Scene, run_index: int, resolution: int, steps: int) -> dict:
    surface = scene.surface_object()
    run = scene.runs[run_index]
    hyper = {k: v for k, v in scene.optimizer(run).hyperparams.items()}
    basin = analysis.basins(surface, run.optimizer, hyper, nx=resolution, ny=resolution, steps=steps)
    back = fg.background(surface)
    return {"figure": ex.basins_figure(basin, surface, back, lang=scene.lang), "found": basin.found,
            "counts": basin.counts.tolist(),
            "minima": len(basin.minima)}


@st.cache_data(max_entries=16, show_spinner=False)
def search_view(scene: sc.Scene, run_index: int, ranges: tuple, n: int, seed: int, steps: int, tol: float) -> dict:
    surface = scene.surface_object()
    run = scene.runs[run_index]
    ranges = {param: bounds for param, bounds in ranges}
    fixed = _fixed(scene, run, ranges)
    coarse = analysis.random_search(surface, run.optimizer, ranges, n, seed=seed, steps=steps, fixed=fixed,
                                    start=scene.start, tol=tol)
    fine_ranges = analysis.refine(coarse)
    fine = analysis.random_search(surface, run.optimizer, fine_ranges, n, seed=seed + 1, steps=steps, fixed=fixed,
                                  start=scene.start, tol=tol)
    grid = analysis.grid_search(surface, run.optimizer, ranges, n, steps=steps, fixed=fixed, start=scene.start,
                                tol=tol)
    first = next(iter(ranges))
    return {"figure": ex.search_figure((coarse, fine), grid, param=first, lang=scene.lang),
            "warnings": boundary_warnings("coarse", coarse) + boundary_warnings("fine", fine),
            "best": dict(fine.best), "coarse_best": dict(coarse.best),
            "fine_ranges": {k: tuple(v) for k, v in fine_ranges.items()},
            "distinct": (coarse.distinct_values, grid.distinct_values)}


@st.cache_data(max_entries=64, show_spinner=False)
def step_view(scene: sc.Scene, run_index: int, k: int, colour: str) -> dict:
    surface = scene.surface_object()
    run = scene.runs[run_index]
    opt = scene.optimizer(run)
    trajectory = optim_core.run(surface, opt, start=scene.start, steps=k, tol=None, record_state=True,
                                noise=scene.noise, seed=scene.seed)
    k = min(k, len(trajectory.xy) - 1)
    breakdown = analysis.trajectory_breakdown(surface, trajectory, k)
    info = analysis.hessian_info(surface, breakdown.x_prev)
    figure = ex.step_figure(breakdown, surface, trajectory.xy, colour, lang=scene.lang)
    rows = [(term.label, ex.format_value(term.value)) for term in breakdown.terms.values()]
    parts = [(term.label, ex.format_value(term.value)) for term in breakdown.parts.values()]
    return {"figure": figure, "rows": rows, "parts": parts, "formula": breakdown.formula, "k": k,
            "error": float(np.max(np.abs(breakdown.reconstructed - breakdown.delta))),
            "delta": ex.format_value(breakdown.delta), "eigenvalues": info.eigenvalues.tolist(),
            "condition": info.condition, "lr_max": info.lr_max}


# The notes' "beware a best value on the edge of its range", per stage of a search; after the stage,
# the words of optim_core's SearchResult.on_boundary.
BOUNDARY_WARNINGS = {
    "coarse": "Coarse stage: best {param} = {value:.3g} lies on the {edge} edge of [{low:g}, {high:g}]: "
              "widen the range",
    "fine": "Fine stage: best {param} = {value:.3g} lies on the {edge} edge of [{low:g}, {high:g}]: widen the range",
}


def boundary_warnings(stage: str, result) -> tuple:
    """The boundary warnings of one stage ("coarse" | "fine") of a search, as Messages made from the
    result's data (``edges``, ``best``, ``ranges``), so the page can show them in its language."""
    return tuple(i18n.Message(BOUNDARY_WARNINGS[stage], param=param, value=result.best[param],
                              edge=i18n.Message(edge), low=result.ranges[param][0], high=result.ranges[param][1])
                 for param, edge in result.edges.items())


# --- callbacks ----------------------------------------------------------------------------------------------


def add_run(optimizer: str, hyper: dict) -> None:
    """Add a run to the main view (the page's session state), e.g. a clicked sweep cell."""
    state = st.session_state
    if len(state["run_ids"]) >= sc.MAX_RUNS:
        state["explore_message"] = i18n.Message("The page shows at most {n} runs: remove one first.", n=sc.MAX_RUNS)
        return
    run = sc.RunSpec.of(optimizer, **{k: v for k, v in hyper.items() if k in {s.name for s in
                                                                              optim_core.hyper_specs(optimizer)}})
    runs.add_run(optimizer, run.hyper)
    state["explore_message"] = i18n.Message("Added {label} to the Paths tab.", label=run.label())


def _snap(optimizer: str, param: str, value: float) -> float:
    """A clicked value rounded to two significant digits on a log scale (the sliders' grid), to 3 decimals else."""
    return float(f"{value:.2g}") if optim_core.hyper_spec(optimizer, param).log else round(float(value), 3)


def on_sweep_select(scene: sc.Scene, run_index: int, x_param, x_values, y_param, y_values, curve: int) -> None:
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
        hyper[x_param] = _snap(run.optimizer, x_param, x_values[j])
        if y_param:
            hyper[y_param] = _snap(run.optimizer, y_param, y_values[i])
        add_run(run.optimizer, hyper)
        return


# --- the tab ----------------------------------------------------------------------------------------------


def run_colour(run_index: int) -> str:
    """The colour of the page's run ``run_index`` (its optimizer's, in its shade: viz.styles), as its path
    is drawn on the Paths tab."""
    state = st.session_state
    run_ids = state.get("run_ids") or []
    if run_index >= len(run_ids):
        return styles.FALLBACK_COLOUR
    run_id = run_ids[run_index]
    return styles.run_style(state.get(f"run{run_id}.optimizer", ""), state.get(f"run{run_id}.variant", 0)).colour


def _run_picker(scene: sc.Scene, key: str) -> int | None:
    if not scene.runs:
        st.info(tr("Add a run in the sidebar first: its optimizer and settings are what gets explored."))
        return None
    labels = [tr("Run {n}: {label}", n=i + 1, label=run.label()) for i, run in enumerate(scene.runs)]
    index = st.selectbox(tr("run to explore"), range(len(labels)), format_func=labels.__getitem__, key=key)
    return min(index or 0, len(scene.runs) - 1)


def _range_inputs(optimizer: str, param: str, key: str):
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


def render(scene: sc.Scene) -> None:
    message = st.session_state.pop("explore_message", None)
    if message:
        st.success(i18n.render(message, scene.lang))
    section = widgets.choice(st.segmented_control, tr("Explore"), SECTIONS, key="explore_section",
                             format_func=option_labels(), label_visibility="collapsed")
    surface = scene.surface_object()
    if section == "Sweep":
        sweep_section(scene, surface)
    elif section == "Basins":
        basins_section(scene, surface)
    elif section == "Random search":
        search_section(scene)
    else:
        step_section(scene)


def sweep_section(scene: sc.Scene, surface) -> None:
    st.caption(tr("Every cell is a full run with that setting; all cells run in one batched call."))
    run_index = _run_picker(scene, "sweep_run")
    if run_index is None:
        return
    run = scene.runs[run_index]
    params = float_params(run.optimizer)
    left, right = st.columns(2)
    with left:
        x_param = st.selectbox(tr("x axis"), params, key=f"sweep_x.{run.optimizer}")
        x_range = _range_inputs(run.optimizer, x_param, "sweep")
    with right:
        others = [p for p in params if p != x_param]
        y_param = widgets.choice(st.selectbox, tr("y axis"), others + [NO_Y_AXIS], key=f"sweep_y.{run.optimizer}",
                                 format_func=option_labels())
        y_param = None if y_param == NO_Y_AXIS else y_param
        y_range = _range_inputs(run.optimizer, y_param, "sweep") if y_param else (0.0, 1.0, False)
    a, b, c, d = st.columns(4)
    resolution = a.select_slider(tr("resolution"), RESOLUTIONS, value=48, key="sweep_resolution")
    steps = b.number_input(tr("steps per run"), 10, 3000, value=300, step=50, key="sweep_steps")
    tol = c.select_slider(tr("tolerance"), sc.TOL_OPTIONS, value=1e-6, key="sweep_tol",
                          format_func=lambda v: f"{v:g}")
    with d:
        colour_by = widgets.choice(st.radio, tr("colour"), ["steps", "loss"], key="sweep_colour", horizontal=True,
                                   format_func=lambda by, label=option_labels(): label(COLOUR_BY[by]))
    if x_range is None or y_range is None:
        return
    with st.spinner(tr("Running the sweep…")):
        view = sweep_view(scene, run_index, x_param, x_range, y_param, y_range, resolution, steps, tol, colour_by)
    theory = view["theory"]
    if theory is not None:
        st.markdown(tr(
            "**Theory on this quadratic**: λmin = {lambda_min:.4g}, λmax = {lambda_max:.4g}, κ = {kappa:.4g}. "
            "Gradient descent is stable for lr < 2/λmax = **{gd_lr_max:.4g}**. Momentum is fastest at "
            "lr* = (2/(√λmin + √λmax))² = **{lr_opt:.4g}** and μ* = ((√κ − 1)/(√κ + 1))² = **{mu_opt:.4g}** "
            "(Goh, *Why Momentum Really Works*, 2017).", lambda_min=theory.lambda_min, lambda_max=theory.lambda_max,
            kappa=theory.kappa, gd_lr_max=theory.gd_lr_max, lr_opt=theory.momentum_lr_opt,
            mu_opt=theory.momentum_mu_opt))
    on_select = functools.partial(on_sweep_select, scene, run_index, x_param, view["x_values"], y_param,
                                  view["y_values"], view["click_curve"])
    st.plotly_chart(CheckedFigure(view["figure"]), key="sweep_chart", on_select=on_select, selection_mode="points")
    best = ", ".join(f"{k} = {v:.3g}" for k, v in view["best"].items())
    if y_param:
        caption = ("{reached} of {cells} settings reached the tolerance, {diverged} diverged; best cell: {best}. "
                   "Click a cell to add that setting as a run.")
    else:
        caption = ("{reached} of {cells} settings reached the tolerance, {diverged} diverged; best: {best}. "
                   "Click a point to add that setting as a run.")
    st.caption(tr(caption, reached=view["reached"], cells=view["cells"], diverged=view["diverged"], best=best))


def basins_section(scene: sc.Scene, surface) -> None:
    st.caption(tr("Every start point of a grid runs the chosen run's optimizer; its colour says which minimum it "
                  "ends in."))
    run_index = _run_picker(scene, "basins_run")
    if run_index is None:
        return
    if not len(surface.minima):
        st.info(tr("{surface} has no minimum to end in: try Himmelblau, two wells, six-hump camel or Rastrigin.",
                   surface=i18n.surface_title(surface, scene.lang)))
        return
    left, right = st.columns(2)
    resolution = left.select_slider(tr("starts per side"), (30, 50, 80, 100, 150), value=80,
                                    key="basins_resolution")
    steps = right.number_input(tr("steps per run"), 10, 3000, value=300, step=50, key="basins_steps")
    with st.spinner(tr("Starting a run from every point…")):
        view = basins_view(scene, run_index, resolution, steps)
    st.plotly_chart(CheckedFigure(view["figure"]), key="basins_chart")
    st.caption(tr("Reached {found} of the {minima} listed minima.", found=len(view["found"]), minima=view["minima"]))


def search_section(scene: sc.Scene) -> None:
    st.caption(tr("The notes' recipe: sample lr = 10**uniform(a, b) (other parameters on their own scale), run "
                  "them all, then search a narrower range around the best (coarse to fine). Beware a best value on "
                  "the edge of its range. Beside it: a grid search with the same number of runs."))
    run_index = _run_picker(scene, "search_run")
    if run_index is None:
        return
    run = scene.runs[run_index]
    left, right = st.columns(2)
    with left:
        low, high = st.slider(tr("log10 lr range"), -8.0, 2.0, value=(-6.0, 1.0), step=0.5, key="search_lr")
    ranges = [("lr", (10.0**low, 10.0**high, True))]
    with right:
        # with two parameters the grid tries only √n values of each: the notes' point about random search
        second = [p for p in float_params(run.optimizer) if p != "lr"]
        extra = widgets.choice(st.selectbox, tr("also sample"), second + [NOTHING_ELSE],
                               key=f"search_extra.{run.optimizer}", format_func=option_labels())
        if extra != NOTHING_ELSE:
            bounds = _range_inputs(run.optimizer, extra, "search")
            if bounds is None:
                return
            ranges.append((extra, bounds))
    a, b, c, d = st.columns(4)
    n = a.select_slider(tr("runs per stage"), (16, 25, 36, 49, 64, 100, 144, 256), value=49, key="search_n")
    steps = b.number_input(tr("steps per run"), 10, 3000, value=300, step=50, key="search_steps")
    seed = c.number_input(tr("seed"), 0, 1_000_000, value=0, key="search_seed")
    tol = d.select_slider(tr("tolerance"), sc.TOL_OPTIONS, value=1e-6, key="search_tol",
                          format_func=lambda v: f"{v:g}")
    with st.spinner(tr("Sampling settings…")):
        view = search_view(scene, run_index, tuple(ranges), n, seed, steps, tol)
    for warning in view["warnings"]:
        st.warning(warning.render(scene.lang))
    st.plotly_chart(CheckedFigure(view["figure"]), key="search_chart")
    random_distinct, grid_distinct = view["distinct"]
    sep = i18n.separator(scene.lang)
    counts = sep.join(tr("{param}: {random} vs {grid}", param=p, random=random_distinct[p], grid=grid_distinct[p])
                      for p in random_distinct)
    fine = sep.join(tr("{param} in [{low:.3g}, {high:.3g}]", param=p, low=lo, high=hi)
                    for p, (lo, hi, _) in view["fine_ranges"].items())
    st.caption(tr("Distinct values tried, random vs grid: {counts}. Fine stage searched {ranges}.", counts=counts,
                  ranges=fine))
    best = {**run.params, **view["best"]}
    st.button(tr("Add the best setting ({best}) as a run",
                 best=", ".join(f"{k} = {v:.3g}" for k, v in view["best"].items())),
              key="search_add_best", on_click=add_run,
              args=(run.optimizer, {k: _snap(run.optimizer, k, v) if k in view["best"] else v for k, v in best.items()}))


def step_section(scene: sc.Scene) -> None:
    st.caption(tr("One update of one run, split into the terms of its formula, with the actual numbers."))
    run_index = _run_picker(scene, "step_run")
    if run_index is None:
        return
    k = st.slider(tr("update k"), 1, max(scene.steps, 1), value=min(3, scene.steps), key="step_k")
    view = step_view(scene, run_index, k, run_colour(run_index))
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(CheckedFigure(view["figure"]), key="step_chart")
    with right:
        for line in view["formula"].split(r",\quad"):  # one equation a line: the column is narrow
            st.latex(line)
        rows = "\n".join(f"| ${latex_words(label, scene.lang)}$ | {value} |" for label, value in view["rows"])
        st.markdown(f"| {tr('term')} | {tr('value')} |\n|---|---|\n" + rows)
        parts = " + ".join(f"${label}$" for label, _ in view["parts"])
        st.markdown(tr("**The parts add up**: {parts} = {delta} = Δx (largest difference {error:.1e}).", parts=parts,
                       delta=view["delta"], error=view["error"]))
        eigen = ", ".join(f"{v:.4g}" for v in view["eigenvalues"])
        lr_max = i18n.Message("no upward curvature") if view["lr_max"] is None else f"2/λmax = {view['lr_max']:.4g}"
        st.caption(tr("Curvature at x_(k−1): Hessian eigenvalues {eigen}, condition number {condition:.4g}, {lr_max}.",
                      eigen=eigen, condition=view["condition"], lr_max=lr_max))
        if view["k"] < k:
            st.caption(tr("The run stopped at step {k}.", k=view["k"]))


def latex_words(label: str, lang: str) -> str:
    """A term's LaTeX label with the words in its \\text{...} in ``lang`` (the rest is notation)."""
    return re.sub(r"\\text\{ \((.+?)\)\}", lambda m: r"\text{ (" + i18n.t(m.group(1), lang) + ")}", label)


