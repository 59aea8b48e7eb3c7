"""The "Explore" tab of the page: hyperparameter sweeps with the theory on top, basins of
attraction, the notes' random search, one update taken apart.  Streamlit only: the numbers come
from ``optim_core.analysis``, the pictures from ``viz.explore``."""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

import optim_core
from optim_core import analysis
from viz import explore as ex
from viz import figures as fg
from viz import scene as sc

from .checked_figure import CheckedFigure

SWEEP_RANGES = {  # param: (low, high, log) proposed for a sweep axis
    "lr": (1e-4, 10.0, True),
    "mu": (0.0, 0.99, False),
    "beta1": (0.0, 0.99, False),
    "beta2": (0.5, 0.9999, False),
    "decay_rate": (0.5, 0.9999, False),
    "rho": (0.5, 0.9999, False),
    "eps": (1e-10, 1.0, True),
    "weight_decay": (1e-4, 1.0, True),
}
RESOLUTIONS = (16, 24, 32, 48, 64, 96, 128)
SECTIONS = ("Sweep", "Basins", "Random search", "One step")


def float_params(optimizer: str) -> list:
    return [spec.name for spec in optim_core.hyper_specs(optimizer) if not spec.choices]


def _fixed(scene: sc.Scene, run: sc.RunSpec, varied) -> dict:
    """The run's other hyperparameters (with the scene's schedules), all but the varied ones."""
    opt = scene.optimizer(run)
    return {k: v for k, v in opt.hyperparams.items() if k not in varied}


# --- cached pure work -------------------------------------------------------------------------------------


@st.cache_data(max_entries=32, show_spinner="Running the sweep…")
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
        figure = ex.sweep_figure(result, theory=theory, colour_by=colour_by)
    else:
        figure = ex.sweep_line_figure(result, theory=theory)
    return {"figure": figure, "best": result.best, "x_values": result.x_values, "y_values": result.y_values,
            "theory": theory, "diverged": int(result.diverged.sum()), "cells": int(result.diverged.size),
            "reached": int((result.steps_to_tol >= 0).sum())}


@st.cache_data(max_entries=16, show_spinner="Starting a run from every point…")
def basins_view(scene: sc.Scene, run_index: int, resolution: int, steps: int) -> dict:
    surface = scene.surface_object()
    run = scene.runs[run_index]
    hyper = {k: v for k, v in scene.optimizer(run).hyperparams.items()}
    basin = analysis.basins(surface, run.optimizer, hyper, nx=resolution, ny=resolution, steps=steps)
    back = fg.background(surface)
    return {"figure": ex.basins_figure(basin, surface, back), "found": basin.found, "counts": basin.counts.tolist(),
            "minima": len(basin.minima)}


@st.cache_data(max_entries=16, show_spinner="Sampling settings…")
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
    return {"figure": ex.search_figure((coarse, fine), grid, param=first), "warnings": coarse.on_boundary,
            "fine_warnings": fine.on_boundary, "best": dict(fine.best), "coarse_best": dict(coarse.best),
            "fine_ranges": {k: tuple(v) for k, v in fine_ranges.items()},
            "distinct": (coarse.distinct_values, grid.distinct_values)}


@st.cache_data(max_entries=64, show_spinner=False)
def step_view(scene: sc.Scene, run_index: int, k: int) -> dict:
    surface = scene.surface_object()
    run = scene.runs[run_index]
    opt = scene.optimizer(run)
    tr = optim_core.run(surface, opt, start=scene.start, steps=k, tol=None, record_state=True, noise=scene.noise,
                        seed=scene.seed)
    k = min(k, len(tr.xy) - 1)
    breakdown = analysis.trajectory_breakdown(surface, tr, k)
    info = analysis.hessian_info(surface, breakdown.x_prev)
    figure = ex.step_figure(breakdown, surface, fg.background(surface), tr.xy,
                            fg.PALETTE[run_index % len(fg.PALETTE)])
    rows = [(term.label, ex.format_value(term.value)) for term in breakdown.terms.values()]
    parts = [(term.label, ex.format_value(term.value)) for term in breakdown.parts.values()]
    return {"figure": figure, "rows": rows, "parts": parts, "formula": breakdown.formula, "k": k,
            "error": float(np.max(np.abs(breakdown.reconstructed - breakdown.delta))),
            "delta": ex.format_value(breakdown.delta), "eigenvalues": info.eigenvalues.tolist(),
            "condition": info.condition, "lr_max": info.lr_max}


# --- callbacks ----------------------------------------------------------------------------------------------


def add_run(optimizer: str, hyper: dict) -> None:
    """Add a run to the main view (the page's session state), e.g. a clicked sweep cell."""
    state = st.session_state
    if len(state["run_ids"]) >= sc.MAX_RUNS:
        state["explore_message"] = f"The page shows at most {sc.MAX_RUNS} runs: remove one first."
        return
    run = sc.RunSpec.of(optimizer, **{k: v for k, v in hyper.items() if k in {s.name for s in
                                                                              optim_core.hyper_specs(optimizer)}})
    new_id = state["next_run_id"]
    state["next_run_id"] += 1
    state[f"run{new_id}.optimizer"] = optimizer
    for name, value in run.hyper:
        state[f"run{new_id}.{optimizer}.{name}"] = value
    state["run_ids"] = state["run_ids"] + [new_id]
    state["explore_message"] = f"Added {run.label()} to the Paths tab."


def _snap(param: str, value: float) -> float:
    """A clicked value rounded to two significant digits (the sliders' grid)."""
    return float(f"{value:.2g}") if param in ex.LOG_PARAMS else round(float(value), 3)


def on_sweep_select(scene: sc.Scene, run_index: int, x_param, x_values, y_param, y_values) -> None:
    event = st.session_state.get("sweep_chart") or {}
    for point in event.get("selection", {}).get("points", []):
        if point.get("curve_number") != 3:  # the invisible marker on every cell
            continue
        i, j = divmod(int(point["point_index"]), len(x_values))
        run = scene.runs[run_index]
        hyper = run.params
        hyper[x_param] = _snap(x_param, x_values[j])
        if y_param:
            hyper[y_param] = _snap(y_param, y_values[i])
        add_run(run.optimizer, hyper)
        return


# --- the tab ----------------------------------------------------------------------------------------------


def _run_picker(scene: sc.Scene, key: str) -> int | None:
    if not scene.runs:
        st.info("Add a run in the sidebar first: its optimizer and settings are what gets explored.")
        return None
    labels = [f"Run {i + 1}: {run.label()}" for i, run in enumerate(scene.runs)]
    index = st.selectbox("run to explore", range(len(labels)), format_func=labels.__getitem__, key=key)
    return min(index or 0, len(scene.runs) - 1)


def _range_inputs(param: str, key: str):
    low, high, log = SWEEP_RANGES[param]
    left, right = st.columns(2)
    fmt = "%.2e" if log else "%.4f"
    lo = left.number_input(f"{param} from", value=low, min_value=0.0, format=fmt, key=f"{key}.{param}.lo")
    hi = right.number_input(f"{param} to", value=high, min_value=0.0, format=fmt, key=f"{key}.{param}.hi")
    spec = next(s for name in optim_core.names() for s in optim_core.hyper_specs(name) if s.name == param)
    problem = None
    if not lo < hi:
        problem = f"{param}: 'from' must be below 'to'"
    elif log and lo <= 0:
        problem = f"{param}: a log-scaled range must start above 0"
    elif not spec.high_inclusive and hi >= spec.high:
        problem = f"{param}: valid values are below {spec.high:g}, so 'to' must be below it"
    if problem:
        st.error(problem)
        return None
    return (float(lo), float(hi), log)


def render(scene: sc.Scene) -> None:
    message = st.session_state.pop("explore_message", None)
    if message:
        st.success(message)
    section = st.segmented_control("Explore", SECTIONS, key="explore_section", default=SECTIONS[0],
                                   label_visibility="collapsed") or SECTIONS[0]
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
    st.caption("Every cell is a full run with that setting; all cells run in one batched call.")
    run_index = _run_picker(scene, "sweep_run")
    if run_index is None:
        return
    run = scene.runs[run_index]
    params = float_params(run.optimizer)
    left, right = st.columns(2)
    with left:
        x_param = st.selectbox("x axis", params, key=f"sweep_x.{run.optimizer}")
        x_range = _range_inputs(x_param, "sweep")
    with right:
        others = [p for p in params if p != x_param]
        y_param = st.selectbox("y axis", others + ["(none: a 1-D sweep)"], key=f"sweep_y.{run.optimizer}")
        y_param = None if y_param.startswith("(") else y_param
        y_range = _range_inputs(y_param, "sweep") if y_param else (0.0, 1.0, False)
    a, b, c, d = st.columns(4)
    resolution = a.select_slider("resolution", RESOLUTIONS, value=48, key="sweep_resolution")
    steps = b.number_input("steps per run", 10, 3000, value=300, step=50, key="sweep_steps")
    tol = c.select_slider("tolerance", sc.TOL_OPTIONS, value=1e-6, key="sweep_tol", format_func=lambda v: f"{v:g}")
    colour_by = d.radio("colour", ["steps", "loss"], key="sweep_colour", horizontal=True,
                        format_func={"steps": "steps to tol", "loss": "final loss"}.get)
    if x_range is None or y_range is None:
        return
    view = sweep_view(scene, run_index, x_param, x_range, y_param, y_range, resolution, steps, tol, colour_by)
    theory = view["theory"]
    if theory is not None:
        st.markdown(
            f"**Theory on this quadratic**: λmin = {theory.lambda_min:.4g}, λmax = {theory.lambda_max:.4g}, "
            f"κ = {theory.kappa:.4g}. Gradient descent is stable for lr < 2/λmax = **{theory.gd_lr_max:.4g}**. "
            f"Momentum is fastest at lr* = (2/(√λmin + √λmax))² = **{theory.momentum_lr_opt:.4g}** and "
            f"μ* = ((√κ − 1)/(√κ + 1))² = **{theory.momentum_mu_opt:.4g}** (Goh, *Why Momentum Really Works*, 2017).")
    on_select = functools.partial(on_sweep_select, scene, run_index, x_param, view["x_values"], y_param,
                                  view["y_values"])
    st.plotly_chart(CheckedFigure(view["figure"]), key="sweep_chart", on_select=on_select, selection_mode="points")
    best = ", ".join(f"{k} = {v:.3g}" for k, v in view["best"].items())
    st.caption(f"{view['reached']} of {view['cells']} settings reached the tolerance, {view['diverged']} diverged; "
               f"best cell: {best}. Click a cell to add that setting as a run.")


def basins_section(scene: sc.Scene, surface) -> None:
    st.caption("Every start point of a grid runs the chosen run's optimizer; its colour says which minimum it "
               "ends in.")
    run_index = _run_picker(scene, "basins_run")
    if run_index is None:
        return
    if not len(surface.minima):
        st.info(f"{surface.title} has no minimum to end in: try Himmelblau, two wells, six-hump camel or Rastrigin.")
        return
    left, right = st.columns(2)
    resolution = left.select_slider("starts per side", (30, 50, 80, 100, 150), value=80, key="basins_resolution")
    steps = right.number_input("steps per run", 10, 3000, value=300, step=50, key="basins_steps")
    view = basins_view(scene, run_index, resolution, steps)
    st.plotly_chart(CheckedFigure(view["figure"]), key="basins_chart")
    st.caption(f"Reached {len(view['found'])} of the {view['minima']} listed minima.")


def search_section(scene: sc.Scene) -> None:
    st.caption("The notes' recipe: sample lr = 10**uniform(a, b) (other parameters on their own scale), run "
               "them all, then search a narrower range around the best (coarse to fine). Beware a best value on "
               "the edge of its range. Beside it: a grid search with the same number of runs.")
    run_index = _run_picker(scene, "search_run")
    if run_index is None:
        return
    run = scene.runs[run_index]
    left, right = st.columns(2)
    with left:
        low, high = st.slider("log10 lr range", -8.0, 2.0, value=(-6.0, 1.0), step=0.5, key="search_lr")
    ranges = [("lr", (10.0**low, 10.0**high, True))]
    with right:
        # with two parameters the grid tries only √n values of each: the notes' point about random search
        second = [p for p in float_params(run.optimizer) if p != "lr"]
        extra = st.selectbox("also sample", second + ["nothing else"], key=f"search_extra.{run.optimizer}")
        if extra != "nothing else":
            bounds = _range_inputs(extra, "search")
            if bounds is None:
                return
            ranges.append((extra, bounds))
    a, b, c, d = st.columns(4)
    n = a.select_slider("runs per stage", (16, 25, 36, 49, 64, 100, 144, 256), value=49, key="search_n")
    steps = b.number_input("steps per run", 10, 3000, value=300, step=50, key="search_steps")
    seed = c.number_input("seed", 0, 1_000_000, value=0, key="search_seed")
    tol = d.select_slider("tolerance", sc.TOL_OPTIONS, value=1e-6, key="search_tol", format_func=lambda v: f"{v:g}")
    view = search_view(scene, run_index, tuple(ranges), n, seed, steps, tol)
    for warning in view["warnings"]:
        st.warning(f"Coarse stage: {warning}")
    for warning in view["fine_warnings"]:
        st.warning(f"Fine stage: {warning}")
    st.plotly_chart(CheckedFigure(view["figure"]), key="search_chart")
    random_distinct, grid_distinct = view["distinct"]
    st.caption("Distinct values tried, random vs grid: "
               + ", ".join(f"{p}: {random_distinct[p]} vs {grid_distinct[p]}" for p in random_distinct)
               + ". Fine stage searched " + ", ".join(f"{p} in [{lo:.3g}, {hi:.3g}]" for p, (lo, hi, _) in
                                                       view["fine_ranges"].items()) + ".")
    best = {**run.params, **view["best"]}
    st.button(f"Add the best setting ({', '.join(f'{k} = {v:.3g}' for k, v in view['best'].items())}) as a run",
              key="search_add_best", on_click=add_run,
              args=(run.optimizer, {k: _snap(k, v) if k in view["best"] else v for k, v in best.items()}))


def step_section(scene: sc.Scene) -> None:
    st.caption("One update of one run, split into the terms of its formula, with the actual numbers.")
    run_index = _run_picker(scene, "step_run")
    if run_index is None:
        return
    k = st.slider("update k", 1, max(scene.steps, 1), value=min(3, scene.steps), key="step_k")
    view = step_view(scene, run_index, k)
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(CheckedFigure(view["figure"]), key="step_chart")
    with right:
        st.latex(view["formula"])
        table = "| term | value |\n|---|---|\n" + "\n".join(f"| ${label}$ | {value} |" for label, value in view["rows"])
        st.markdown(table)
        parts = " + ".join(f"${label}$" for label, _ in view["parts"])
        st.markdown(f"**The parts add up**: {parts} = {view['delta']} = Δx (largest difference "
                    f"{view['error']:.1e}).")
        eigen = ", ".join(f"{v:.4g}" for v in view["eigenvalues"])
        lr_max = "no upward curvature" if view["lr_max"] is None else f"2/λmax = {view['lr_max']:.4g}"
        st.caption(f"Curvature at x_(k−1): Hessian eigenvalues {eigen}, condition number "
                   f"{view['condition']:.4g}, {lr_max}.")
        if view["k"] < k:
            st.caption(f"The run stopped at step {view['k']}.")


