"""The main view's work, done once per rerun: ``compute`` builds the scene's surface once, runs each run
once (a run whose path did not change is not run again) and takes the curvature at the start once; the
tabs, the sidebar and the exports all use what it returns.  The pictures come from ``viz.figures``.

Caches: a path is kept by ``st.cache_resource`` (an ``optim_core.Trajectory`` does not pickle, and
nothing changes it once run); the figures, the surface's picture and the curvature by
``st.cache_data``.  A parameter whose name starts with "_" is not part of a cache key (Streamlit's
rule): the surface and the paths are passed that way, next to the scene or key that determines them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import streamlit as st

import optim_core
import page_model
from optim_core import analysis
from page_model import Scene
from viz import figures
from viz import stage as stage_view

from . import stage

SCREEN_STYLE = dict(height=660, font_size=14, line_width=2.5)
PROJECTOR_STYLE = dict(height=760, font_size=20, line_width=4.0)


@dataclass(frozen=True)
class PageView:
    """What one rerun computed for a scene."""

    scene: Scene
    looks: tuple  # each run's styles.RunStyle
    surface: object  # the scene's surfaces.Surface
    trajectories: tuple  # each run's optim_core.Trajectory
    curvature: analysis.HessianInfo  # at the start
    stage: dict  # what the stage draws (viz.stage.stage_data)
    summary: tuple  # page_model.RunSummary per run
    undefined_share: float  # of the domain, where f is not defined
    stacked: bool  # a narrow screen: the still figure's side panels go below it
    arrows: bool  # the stage draws each update's parts (every run kept its state)

    @property
    def figure(self) -> dict:
        """The still, self-animating Plotly figure of the paths (the HTML export), made when first asked for."""
        return paths_figure(self.scene, self.looks, self.stacked, self.surface, self.trajectories)


def compute(scene: Scene, looks: tuple, stacked: bool = False, arrows: bool | None = None) -> PageView:
    """Everything the page draws for ``scene`` (``stacked``: a narrow screen; ``arrows``: the stage draws the
    parts of each update, so every run keeps its state; None: as the viewer's playback settings say).
    Raises ValueError for a scene that cannot be run."""
    arrows = stage.settings()["arrows"] if arrows is None else arrows
    surface = scene.surface_object()
    trajectories = tuple(_path(page_model.path_scene(scene, run), surface, arrows) for run in scene.runs)
    key = surface_key(scene)
    drawn = build_view(scene, looks, arrows, surface, trajectories)
    return PageView(scene, looks, surface, trajectories, start_curvature(key, scene.start, surface),
                    drawn["stage"], drawn["summary"], undefined_share(key, surface), stacked, arrows)


def surface_key(scene: Scene) -> tuple:
    """What defines the scene's surface (a cache key)."""
    return (scene.surface, scene.surface_params, scene.formula, scene.x_range, scene.y_range)


def style(scene: Scene) -> dict:
    return PROJECTOR_STYLE if scene.projector else SCREEN_STYLE


# A Scene's repr names every field exactly (floats in their shortest round-trip form), so it is a cache key;
# Streamlit's own hashing of a Scene took about 1 ms, several times a rerun (issue 14).
BY_REPR = {Scene: repr}


@st.cache_resource(max_entries=128, show_spinner=False, hash_funcs=BY_REPR)  # a 3000-step path holds ≈ 0.3 MB
def _path(path_scene: Scene, _surface, arrows: bool = False) -> optim_core.Trajectory:
    """The path of the one run of ``path_scene`` (``page_model.path_scene``) on its surface ``_surface``; with its
    state and line-search trials where a chart draws them (``figures.draws_state``: a run that searches, BFGS,
    L-BFGS; every run when the stage draws the step ``arrows``), not for the others (a 3000-step Adam run would
    keep four more vectors a step)."""
    run = path_scene.runs[0]
    return page_model.simulate_run(path_scene, run, _surface,
                                   record_state=arrows or figures.draws_state(path_scene.optimizer(run)))


@st.cache_data(max_entries=64, max_size="32MB", show_spinner=False)
def background(key: tuple, _surface) -> figures.Background:
    """The surface's picture, cached by what defines the surface (``surface_key``)."""
    return figures.background(_surface)


@st.cache_data(max_entries=64, max_size="1MB", show_spinner=False)
def undefined_share(key: tuple, _surface) -> float:
    """The fraction of the domain where f is not defined (a typed formula such as log(x))."""
    _, _, _, values = figures.grid(_surface, 81, 81)
    return float(np.mean(~np.isfinite(values)))


@st.cache_data(max_entries=256, max_size="4MB", show_spinner=False)
def start_curvature(key: tuple, start: tuple, _surface) -> analysis.HessianInfo:
    """The Hessian at the start: its eigenvalues, κ and 2/λmax (the stability cue and the lr hints)."""
    return analysis.hessian_info(_surface, np.asarray(start, dtype=float))


@st.cache_data(max_entries=64, max_size="64MB", show_spinner=False, hash_funcs=BY_REPR)
def build_view(scene: Scene, looks: tuple, arrows: bool, _surface, _trajectories) -> dict:
    """What the stage draws and the summary table, for a scene whose surface and paths are given."""
    parts = [analysis.run_parts(tr) if arrows else None for tr in _trajectories]
    data = stage_view.stage_data(_surface, scene.start, run_views(scene, _trajectories, looks),
                                 background(surface_key(scene), _surface), steps=scene.steps, parts=parts,
                                 previews=lr_previews(scene, _surface, arrows),
                                 show_average=scene.average, show_field=scene.field, snapshots=scene.cycle_ends(),
                                 lang=scene.lang, projector=scene.projector, font_size=style(scene)["font_size"],
                                 line_width=style(scene)["line_width"])
    data["revision"] = f"{hash((scene, looks, arrows)) & 0xFFFFFFFF:08x}"  # the browser marks what it drew with it
    return {"stage": data, "summary": page_model.summarise(scene, _trajectories, _surface)}


# Runs of at most this many steps get their neighbours' paths too (at 500 steps: about 40 KB more for four runs).
PREVIEW_STEPS = 500


def lr_neighbours(run: page_model.RunSpec) -> tuple:
    """The learning rates one place below and one above the run's on its row's slider (the rule's grid, with the
    run's own value in it, as ``ui.run_rows`` offers it)."""
    lr = run.params.get("lr")
    if lr is None:  # a rule without a learning rate
        return ()
    options = page_model.options_with(tuple(optim_core.hyper_spec(run.optimizer, "lr").options), lr)
    at = options.index(lr)
    return tuple(options[i] for i in (at - 1, at + 1) if 0 <= i < len(options))


def lr_previews(scene: Scene, surface, arrows: bool = False) -> list:
    """For each run, [(lr, label, trajectory)] of its learning rate's two neighbours on the slider (the label: the
    run's there, for the stage's legend): the stage shows one the moment its row's slider moves there, until the
    rerun brings the run itself (the same numbers, computed here).  Only on scenes of at most PREVIEW_STEPS steps;
    the paths are cached like the runs' own (the run the slider left is the neighbour of the one it reached:
    ``arrows`` as the runs', so the keys match)."""
    if scene.steps > PREVIEW_STEPS:
        return [[] for _ in scene.runs]
    previews = []
    for run in scene.runs:
        moved = [replace(run, hyper=tuple((name, lr if name == "lr" else value) for name, value in run.hyper))
                 for lr in lr_neighbours(run)]
        previews.append([(other.params["lr"], other.label(), path) for other in moved
                         if (path := _preview_path(scene, other, surface, arrows)) is not None])
    return previews


def _preview_path(scene: Scene, run: page_model.RunSpec, surface, arrows: bool):
    """A neighbour's path (the runs' own cache), or None if it cannot be run: a preview is never worth an error."""
    try:
        return _path(page_model.path_scene(scene, run), surface, arrows)
    except ValueError:
        return None


@st.cache_data(max_entries=8, max_size="32MB", show_spinner=False, hash_funcs=BY_REPR)
def paths_figure(scene: Scene, looks: tuple, stacked: bool, _surface, _trajectories) -> dict:
    """The Plotly figure that animates itself (its own frames, buttons and slider): the HTML export."""
    return figures.paths_figure(_surface, scene.start, run_views(scene, _trajectories, looks),
                                background(surface_key(scene), _surface), steps=scene.steps,
                                show_average=scene.average, show_field=scene.field, snapshots=scene.cycle_ends(),
                                lang=scene.lang, stacked=stacked, **style(scene))


@st.cache_data(max_entries=64, max_size="32MB", show_spinner=False, hash_funcs=BY_REPR)
def build_3d(scene: Scene, looks: tuple, _surface, _trajectories) -> dict:
    """The 3-D tab's figure: the surface with every run's path lying on it."""
    return figures.surface_3d_figure(_surface, run_views(scene, _trajectories, looks))


def run_views(scene: Scene, trajectories, looks: tuple) -> list:
    return [figures.RunView(run.label(), look.colour, trajectory, optim_core.RULES[run.optimizer].adaptive,
                            look.symbol)
            for run, trajectory, look in zip(scene.runs, trajectories, looks)]
