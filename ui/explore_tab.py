"""The "Explore" tab of the page: hyperparameter sweeps with the theory on top, the notes' learning-rate
picture, basins of attraction, the notes' random search, one update taken apart.  Streamlit only: the work is
in ``ui/explore_views.py`` (cached), the shared controls and callbacks in ``ui/explore_controls.py``, the
pictures in ``viz.explore``, the words in ``viz.i18n`` (in the page's language, ``scene.lang``)."""

from __future__ import annotations

import functools
import re

import streamlit as st

import optim_core
import page_model
from page_model import Scene
from page_model import explore_settings as settings
from viz import explore, i18n

from . import explore_controls as controls
from . import explore_views, heavy_work, widgets
from .checked_figure import plotly_chart
from .state import option_labels, tr



def render(scene: Scene, surface) -> None:
    """The tab for ``scene`` on its ``surface`` (built once by the page)."""
    message = st.session_state.pop("explore_message", None)
    if message:
        st.success(i18n.render(message, scene.lang))
    section = widgets.choice(st.segmented_control, tr("Explore"), tuple(VIEWS), key="explore_section",
                             format_func=option_labels(), label_visibility="collapsed")
    description, picker, draw = VIEWS[section]
    st.caption(tr(description))
    run_index = controls.run_picker(scene, picker)
    if run_index is not None:
        draw(scene, surface, run_index)


def sweep_section(scene: Scene, surface, run_index: int) -> None:
    run = scene.runs[run_index]
    params = settings.float_params(run.optimizer, run.params)
    left, right = st.columns(2)
    with left:
        if st.session_state.get(f"sweep_x.{run.optimizer}", params[0]) not in params:  # options changed
            st.session_state.pop(f"sweep_x.{run.optimizer}")
        x_param = st.selectbox(tr("x axis"), params, key=f"sweep_x.{run.optimizer}")
        x_range = controls.range_inputs(run.optimizer, x_param, "sweep")
    with right:
        others = [p for p in params if p != x_param]
        y_param = widgets.choice(st.selectbox, tr("y axis"), others + [settings.NO_Y_AXIS],
                                 key=f"sweep_y.{run.optimizer}", format_func=option_labels())
        y_param = None if y_param == settings.NO_Y_AXIS else y_param
        y_range = controls.range_inputs(run.optimizer, y_param, "sweep") if y_param else (0.0, 1.0, False)
    a, b, c, d = st.columns(4)
    resolution = a.select_slider(tr("resolution"), settings.RESOLUTIONS, value=48, key="sweep_resolution")
    steps = b.number_input(tr("steps per run"), *settings.STEPS_RANGE, value=300, step=50, key="sweep_steps")
    tol = c.select_slider(tr("tolerance"), page_model.TOL_OPTIONS, value=1e-6, key="sweep_tol",
                          format_func=lambda v: f"{v:g}")
    with d:
        colour_by = widgets.choice(st.radio, tr("colour"), tuple(settings.COLOUR_BY), key="sweep_colour",
                                   horizontal=True,
                                   format_func=lambda by, label=option_labels(): label(settings.COLOUR_BY[by]))
    if x_range is None or y_range is None:
        return
    view = heavy_work.run(lambda progress: explore_views.sweep_view(
        scene, run_index, x_param, x_range, y_param, y_range, resolution, steps, tol, colour_by, surface),
        tr("Running the sweep…"), progress_bar=False)
    theory = view["theory"]
    if theory is not None:
        st.markdown(tr(
            "**Theory on this quadratic**: λmin = {lambda_min:.4g}, λmax = {lambda_max:.4g}, κ = {kappa:.4g}. "
            "Gradient descent is stable for lr < 2/λmax = **{gd_lr_max:.4g}**. Momentum is fastest at "
            "lr* = (2/(√λmin + √λmax))² = **{lr_opt:.4g}** and μ* = ((√κ − 1)/(√κ + 1))² = **{mu_opt:.4g}** "
            "(Goh, *Why Momentum Really Works*, 2017).", lambda_min=theory.lambda_min, lambda_max=theory.lambda_max,
            kappa=theory.kappa, gd_lr_max=theory.gd_lr_max, lr_opt=theory.momentum_lr_opt,
            mu_opt=theory.momentum_mu_opt))
    on_select = functools.partial(controls.on_sweep_select, scene, run_index, x_param, view["x_values"], y_param,
                                  view["y_values"], view["click_curve"])
    plotly_chart(view["figure"], key="sweep_chart", on_select=on_select, selection_mode="points")
    best = ", ".join(f"{k} = {v:.3g}" for k, v in view["best"].items())
    if y_param:
        caption = ("{reached} of {cells} settings reached the tolerance, {diverged} diverged; best cell: {best}. "
                   "Click a cell to add that setting as a run.")
    else:
        caption = ("{reached} of {cells} settings reached the tolerance, {diverged} diverged; best: {best}. "
                   "Click a point to add that setting as a run.")
    st.caption(tr(caption, reached=view["reached"], cells=view["cells"], diverged=view["diverged"], best=best))


def learning_rate_section(scene: Scene, surface, run_index: int) -> None:
    a, b, c = st.columns(3)
    count = a.select_slider(tr("learning rates"), settings.RATE_COUNTS, value=7, key="rates_count")
    decades = b.select_slider(tr("spread (decades)"), settings.RATE_DECADES, value=3.0, key="rates_decades")
    steps = c.number_input(tr("steps per run"), *settings.STEPS_RANGE, value=max(scene.steps, 50), step=50,
                           key="rates_steps")
    view = heavy_work.run(lambda progress: explore_views.learning_rate_view(
        scene, run_index, count, decades, steps, surface), tr("Running every learning rate…"), progress_bar=False)
    plotly_chart(view["figure"], key="rates_chart")
    run = scene.runs[run_index]
    if view["good"] is None:
        st.warning(tr("Every learning rate blew up: try a smaller one for this run."))
        return
    good = controls.snap(run.optimizer, "lr", view["good"])
    rates = [lr for lr, _ in view["verdicts"]]
    if view["good"] in (rates[0], rates[-1]):
        st.warning(tr("The good learning rate is at the edge of the range tried: widen the spread (the notes: "
                      "beware a best value on the edge)."))
    if good == run.params["lr"]:
        st.caption(tr("This run's own learning rate is the good one here."))
        return
    st.button(tr("Add the good one (lr = {lr:.3g}) as a run", lr=good), key="rates_add_good",
              on_click=controls.add_run, args=(run.optimizer, {**run.params, "lr": good}))


def basins_section(scene: Scene, surface, run_index: int) -> None:
    if not len(surface.minima):
        st.info(tr("{surface} has no minimum to end in: try Himmelblau, two wells, six-hump camel or Rastrigin.",
                   surface=i18n.surface_title(surface, scene.lang)))
        return
    left, right = st.columns(2)
    resolution = left.select_slider(tr("starts per side"), settings.BASIN_RESOLUTIONS, value=80,
                                    key="basins_resolution")
    steps = right.number_input(tr("steps per run"), *settings.STEPS_RANGE, value=300, step=50, key="basins_steps")
    view = heavy_work.run(lambda progress: explore_views.basins_view(scene, run_index, resolution, steps, surface),
                          tr("Starting a run from every point…"), progress_bar=False)
    plotly_chart(view["figure"], key="basins_chart")
    st.caption(tr("Reached {found} of the {minima} listed minima.", found=len(view["found"]), minima=view["minima"]))


def search_section(scene: Scene, surface, run_index: int) -> None:
    run = scene.runs[run_index]
    left, right = st.columns(2)
    with left:
        low, high = st.slider(tr("log10 lr range"), *settings.SEARCH_LR_RANGE, value=(-6.0, 1.0), step=0.5,
                              key="search_lr")
    ranges = [("lr", (10.0**low, 10.0**high, True))]
    with right:
        # with two parameters the grid tries only √n values of each: the notes' point about random search
        second = [p for p in settings.float_params(run.optimizer, run.params) if p != "lr"]
        extra = widgets.choice(st.selectbox, tr("also sample"), second + [settings.NOTHING_ELSE],
                               key=f"search_extra.{run.optimizer}", format_func=option_labels())
        if extra != settings.NOTHING_ELSE:
            bounds = controls.range_inputs(run.optimizer, extra, "search")
            if bounds is None:
                return
            ranges.append((extra, bounds))
    a, b, c, d = st.columns(4)
    n = a.select_slider(tr("runs per stage"), settings.SEARCH_SIZES, value=49, key="search_n")
    steps = b.number_input(tr("steps per run"), *settings.STEPS_RANGE, value=300, step=50, key="search_steps")
    seed = c.number_input(tr("seed"), *settings.SEED_RANGE, value=0, key="search_seed")
    tol = d.select_slider(tr("tolerance"), page_model.TOL_OPTIONS, value=1e-6, key="search_tol",
                          format_func=lambda v: f"{v:g}")
    view = heavy_work.run(lambda progress: explore_views.search_view(
        scene, run_index, tuple(ranges), n, seed, steps, tol, surface), tr("Sampling settings…"), progress_bar=False)
    for warning in view["warnings"]:
        st.warning(warning.render(scene.lang))
    plotly_chart(view["figure"], key="search_chart")
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
              key="search_add_best", on_click=controls.add_run,
              args=(run.optimizer, {k: controls.snap(run.optimizer, k, v) if k in view["best"] else v
                                    for k, v in best.items()}))


def step_section(scene: Scene, surface, run_index: int) -> None:
    clamp("step_k", max(scene.steps, 1))
    k = st.slider(tr("update k"), 1, max(scene.steps, 1), value=min(3, scene.steps), key="step_k")
    view = explore_views.step_view(scene, run_index, k, controls.run_colour(run_index), surface)
    left, right = st.columns([3, 2])
    with left:
        plotly_chart(view["figure"], key="step_chart")
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


def line_search_section(scene: Scene, surface, run_index: int) -> None:
    clamp("search_step_k", max(scene.steps, 1))
    k = st.slider(tr("update k"), 1, max(scene.steps, 1), value=1, key="search_step_k")
    view = explore_views.line_search_view(scene, run_index, k, surface)
    if view is None:
        st.info(tr("This run takes a fixed step: give it a line search (Armijo or strong Wolfe; SGD, Newton, BFGS "
                   "and L-BFGS have one) to see it search."))
        return
    if view["k"] < k:
        st.caption(tr("The run stopped at step {k}.", k=view["k"]))
    if view["k"] == 0:
        return
    plotly_chart(view["figure"], key="line_search_chart")
    trials = i18n.separator(scene.lang).join(
        tr("{n}: α = {alpha:.3g} ({outcome})", n=n, alpha=alpha, outcome=tr(explore.TRIAL_WORDS.get(failed, failed)))
        for n, (alpha, _, failed) in enumerate(view["trials"], start=1))
    method = optim_core.hyper_spec(scene.runs[run_index].optimizer, "line_search").choice_label(view["method"])
    st.caption(tr("Update {k}, {method}: {count} trials ({trials}); took α = {alpha:.4g}: {status}.",
                  k=view["k"], method=tr(method), count=len(view["trials"]), trials=trials,
                  alpha=view["accepted"], status=tr(explore.SEARCH_WORDS[view["status"]])))


def clamp(key: str, highest: int) -> None:
    """An "update k" slider's value within the scene's steps (fewer steps since, or a link's k)."""
    if key in st.session_state and not 1 <= st.session_state[key] <= highest:
        st.session_state[key] = min(max(int(st.session_state[key]), 1), highest)


def latex_words(label: str, lang: str) -> str:
    """A term's LaTeX label with the words in its \\text{...} in ``lang`` (the rest is notation)."""
    return re.sub(r"\\text\{ \((.+?)\)\}", lambda m: r"\text{ (" + i18n.t(m.group(1), lang) + ")}", label)


# Each view of the tab, in order (English names, shown translated): its one-line description, the key of its
# run picker, and what draws it once a run is picked.
VIEWS = {
    "Sweep": ("Every cell is a full run with that setting; all cells run in one batched call.",
              "sweep_run", sweep_section),
    "Learning rates": ("The notes' picture of the learning rate: the same run at several learning rates spread on a "
                       "log scale around its own. A very high rate blows up, a high one drops fast and then stalls, a "
                       "low one crawls; the good one ends lowest.", "rates_run", learning_rate_section),
    "Basins": ("Every start point of a grid runs the chosen run's optimizer; its colour says which minimum it ends in.",
               "basins_run", basins_section),
    "Random search": ("The notes' recipe: sample lr = 10**uniform(a, b) (other parameters on their own scale), run "
                      "them all, then search a narrower range around the best (coarse to fine). Beware a best value "
                      "on the edge of its range. Beside it: a grid search with the same number of runs.",
                      "search_run", search_section),
    "One step": ("One update of one run, split into the terms of its formula, with the actual numbers.",
                 "step_run", step_section),
    "Line search": ("What a line search does inside one step: φ(α) = f(x + αp) along the step's direction, the "
                    "sufficient-decrease line, the α where the curvature condition holds (the band along the "
                    "bottom), the acceptable α shaded, and every trial in the order it was tried.",
                    "search_step_run", line_search_section),
}
