"""Running a scene: every run's path with ``optim_core`` (``simulate``), and the summary table's rows."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

import optim_core
from optim_core import analysis
from viz.i18n import Message

from .scene import RunSpec, Scene


def simulate(scene: Scene, surface=None) -> tuple:
    """Every run of the scene, as optim_core Trajectories (same start, steps, noise and seed).
    ``surface``: the scene's surface, when the caller has built it already."""
    surface = scene.surface_object() if surface is None else surface
    return tuple(simulate_run(scene, run, surface) for run in scene.runs)


def simulate_run(scene: Scene, run: RunSpec, surface, *, record_state: bool = False) -> optim_core.Trajectory:
    """One run of the scene on its surface ``surface``; ``record_state``: also keep the rule's state and its
    line search's trials after every update (``optim_core.run``'s option; the paths chart draws them)."""
    return optim_core.run(surface, scene.optimizer(run), start=scene.start, steps=scene.steps, noise=scene.noise,
                          seed=scene.seed, record_state=record_state)


# What a scene holds beyond its runs' paths: how they are judged and shown.
_NOT_IN_A_PATH = ("average", "tol", "field", "projector", "lang")


def path_scene(scene: Scene, run: RunSpec) -> Scene:
    """The scene reduced to what ``run``'s path depends on (its surface, start, steps, schedule, noise
    and the run itself): equal for two scenes whose runs share this path, so a key to cache it by."""
    neutral = {name: Scene.__dataclass_fields__[name].default for name in _NOT_IN_A_PATH}
    return replace(scene, runs=(run,), **neutral)


def with_runs(scene: Scene, runs) -> Scene:
    return replace(scene, runs=tuple(runs))


def distance_to_nearest(points: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """‖p − nearest target‖ for points (..., 2) and targets (k, 2); NaN when there are none."""
    if len(targets) == 0:
        return np.full(np.shape(points)[:-1], np.nan)
    return np.min(np.linalg.norm(np.asarray(points)[..., None, :] - targets, axis=-1), axis=-1)


@dataclass(frozen=True)
class RunSummary:
    """One row of the summary table."""

    label: str
    status: str  # "converged" | "diverged" | "max_steps"
    stopped_at: int
    final_gap: float  # f − f_min at the last point (f itself when the minimum is unknown)
    steps_to_tol: int | None  # first k with f(x_k) − f_min ≤ tol; None if never
    distance: float  # to the nearest minimum (NaN when the surface lists none)
    final_xy: tuple
    f_evals: int = 0  # evaluations of f (a line search's trials) and of ∇f over the run, so a method that
    grad_evals: int = 0  # takes few steps of several evaluations each is compared fairly with one a step

    @property
    def status_message(self) -> Message:
        if self.status == "diverged":
            return Message("diverged at step {k}", k=self.stopped_at)
        if self.status == "converged":
            return Message("converged at step {k} (‖∇f‖ ≤ 1e-8)", k=self.stopped_at)
        return Message("ran all {n} steps", n=self.stopped_at)

    @property
    def status_text(self) -> str:
        return str(self.status_message)


def summarise(scene: Scene, trajectories, surface=None) -> tuple:
    """A summary row per run (``surface``: the scene's, when the caller has it already)."""
    surface = scene.surface_object() if surface is None else surface
    rows = []
    for run, trajectory in zip(scene.runs, trajectories):
        gap = trajectory.loss - surface.f_min if surface.f_min is not None else trajectory.loss
        # the Explore tab's definition: f − f_min ≤ tol, or ‖∇f‖ ≤ tol where there is no minimum
        reached = int(analysis.steps_to_tol(surface, trajectory, scene.tol))
        rows.append(RunSummary(
            label=run.label(),
            status=trajectory.status,
            stopped_at=trajectory.stopped_at,
            final_gap=float(gap[-1]),
            steps_to_tol=reached if reached >= 0 else None,
            distance=float(distance_to_nearest(trajectory.xy[-1], surface.minima)),
            final_xy=(float(trajectory.xy[-1, 0]), float(trajectory.xy[-1, 1])),
            f_evals=int(trajectory.f_evals[-1]), grad_evals=int(trajectory.grad_evals[-1]),
        ))
    return tuple(rows)
