"""The Explore tab's work, without widgets: sweeps, basins, the random search and one step taken apart,
each cached by what it depends on.  The numbers come from ``optim_core.analysis``, the pictures from
``viz.explore``.  ``_surface`` is the scene's surface, built once per rerun by the page (a parameter
starting with "_" is not part of a cache key; the scene is, and it says which surface that is)."""

from __future__ import annotations

import numpy as np
import streamlit as st

import optim_core
from optim_core import analysis, line_search
from page_model import RunSpec, Scene
from viz import explore, i18n

from . import views


def _fixed(scene: Scene, run: RunSpec, varied) -> dict:
    """The run's other hyperparameters (with the scene's schedules), all but the varied ones."""
    opt = scene.optimizer(run)
    return {k: v for k, v in opt.hyperparams.items() if k not in varied}


@st.cache_data(max_entries=32, max_size="64MB", show_spinner=False, hash_funcs=views.BY_REPR)
def sweep_view(scene: Scene, run_index: int, x_param: str, x_range: tuple, y_param, y_range, resolution: int,
               steps: int, tol: float, colour_by: str, _surface) -> dict:
    """A sweep of one run's hyperparameters (one batched run), with the quadratic theory on top."""
    surface = _surface
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
        figure = explore.sweep_figure(result, theory=theory, colour_by=colour_by, lang=scene.lang)
    else:
        figure = explore.sweep_line_figure(result, theory=theory, lang=scene.lang)
    return {"figure": figure, "click_curve": explore.click_curve(figure), "best": result.best,
            "x_values": result.x_values, "y_values": result.y_values, "theory": theory,
            "diverged": int(result.diverged.sum()), "cells": int(result.diverged.size),
            "reached": int((result.steps_to_tol >= 0).sum())}


@st.cache_data(max_entries=16, max_size="32MB", show_spinner=False, hash_funcs=views.BY_REPR)
def basins_view(scene: Scene, run_index: int, resolution: int, steps: int, _surface) -> dict:
    """Where a run from every start point of a grid ends."""
    surface = _surface
    run = scene.runs[run_index]
    hyper = {k: v for k, v in scene.optimizer(run).hyperparams.items()}
    basin = analysis.basins(surface, run.optimizer, hyper, nx=resolution, ny=resolution, steps=steps)
    back = views.background(views.surface_key(scene), surface)  # the Paths tab's picture of the surface
    return {"figure": explore.basins_figure(basin, surface, back, lang=scene.lang), "found": basin.found,
            "counts": basin.counts.tolist(),
            "minima": len(basin.minima)}


@st.cache_data(max_entries=16, max_size="32MB", show_spinner=False, hash_funcs=views.BY_REPR)
def search_view(scene: Scene, run_index: int, ranges: tuple, n: int, seed: int, steps: int, tol: float,
                _surface) -> dict:
    """The notes' random search, coarse then fine, beside a grid search of the same budget."""
    surface = _surface
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
    return {"figure": explore.search_figure((coarse, fine), grid, param=first, lang=scene.lang),
            "warnings": boundary_warnings("coarse", coarse) + boundary_warnings("fine", fine),
            "best": dict(fine.best), "coarse_best": dict(coarse.best),
            "fine_ranges": {k: tuple(v) for k, v in fine_ranges.items()},
            "distinct": (coarse.distinct_values, grid.distinct_values)}


@st.cache_data(max_entries=64, max_size="16MB", show_spinner=False, hash_funcs=views.BY_REPR)
def step_view(scene: Scene, run_index: int, k: int, colour: str, _surface) -> dict:
    """Update ``k`` of one run taken apart term by term (a short run of its own, which records the rule's state)."""
    surface = _surface
    run = scene.runs[run_index]
    opt = scene.optimizer(run)
    trajectory = optim_core.run(surface, opt, start=scene.start, steps=k, tol=None, record_state=True,
                                noise=scene.noise, seed=scene.seed)
    k = min(k, len(trajectory.xy) - 1)
    breakdown = analysis.trajectory_breakdown(surface, trajectory, k)
    info = analysis.hessian_info(surface, breakdown.x_prev)
    figure = explore.step_figure(breakdown, surface, trajectory.xy, colour, lang=scene.lang)
    rows = [(term.label, explore.format_value(term.value)) for term in breakdown.terms.values()]
    parts = [(term.label, explore.format_value(term.value)) for term in breakdown.parts.values()]
    return {"figure": figure, "rows": rows, "parts": parts, "formula": breakdown.formula, "k": k,
            "error": float(np.max(np.abs(breakdown.reconstructed - breakdown.delta))),
            "delta": explore.format_value(breakdown.delta), "eigenvalues": info.eigenvalues.tolist(),
            "condition": info.condition, "lr_max": info.lr_max}


@st.cache_data(max_entries=32, max_size="16MB", show_spinner=False, hash_funcs=views.BY_REPR)
def line_search_view(scene: Scene, run_index: int, k: int, _surface) -> dict | None:
    """The line search of update ``k`` of one run: φ(α) along its direction with the conditions and the trials
    (a short run of its own that records them); None if the run's rule does not search."""
    run = scene.runs[run_index]
    opt = scene.optimizer(run)
    hp = dict(run.params)
    if not opt.rule.needs_surface(hp):
        return None
    trajectory = optim_core.run(_surface, opt, start=scene.start, steps=k, tol=None, record_state=True,
                                noise=scene.noise, seed=scene.seed)
    k = min(k, len(trajectory.xy) - 1)
    if k < 1:
        return {"k": 0}
    breakdown = analysis.trajectory_breakdown(_surface, trajectory, k)
    record = trajectory.line_search
    alphas, phis, failed = record.trial_alpha[k - 1], record.trial_phi[k - 1], record.trial_failed[k - 1]
    trials = [(float(a), float(f), line_search.FAILED[int(code)]) for a, f, code in zip(alphas, phis, failed)
              if code >= 0]
    accepted = float(record.alpha[k - 1])
    c2 = hp["c2"] if hp["line_search"] == "wolfe" else None
    figure = explore.line_search_figure(_surface, breakdown.x_prev, breakdown.terms["direction"].value, hp["c1"], c2,
                                        trials, accepted, lang=scene.lang)
    return {"k": k, "figure": figure, "trials": trials, "accepted": accepted,
            "status": line_search.STATUS[int(record.status[k - 1])], "method": hp["line_search"]}


@st.cache_data(max_entries=16, max_size="32MB", show_spinner=False, hash_funcs=views.BY_REPR)
def learning_rate_view(scene: Scene, run_index: int, count: int, decades: float, steps: int, _surface) -> dict:
    """The notes' learning-rate picture: one run's optimizer at ``count`` learning rates over ``decades``
    decades around its own, every other setting kept (one batched run)."""
    run = scene.runs[run_index]
    lrs = analysis.spread_learning_rates(float(run.params["lr"]), count, decades)
    curves = analysis.learning_rate_curves(_surface, run.optimizer, lrs, fixed=_fixed(scene, run, ["lr"]),
                                           start=scene.start, steps=steps)
    good = [float(lr) for lr, verdict in zip(curves.lrs, curves.verdicts) if verdict == "good"]
    return {"figure": explore.learning_rate_figure(curves, lang=scene.lang), "good": good[0] if good else None,
            "verdicts": list(zip(curves.lrs.tolist(), curves.verdicts))}


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
