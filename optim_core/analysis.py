"""Analysis for "Explore hyperparameters": sweeps, quadratic theory, basins, searches, one step in detail.

Every function here is pure NumPy and runs its whole batch in ONE call of the runner (no
Python loop over grid cells or samples).  Sweeps, searches and basin maps call
``runner.run_reduced``, which keeps running reductions (the final point, the first step to
``tol``, the verdict) instead of every position, so their memory does not grow with the steps;
``recommended_lr`` and ``learning_rate_curves`` (a few dozen runs at most) keep whole paths:

* ``sweep``            steps to reach ``tol`` over a 2-D grid of two hyperparameters
* ``quadratic_theory`` the closed-form rates of GD and heavy-ball momentum on a quadratic
                       (G. Goh, "Why Momentum Really Works", Distill 2017)
* ``hessian_info``     curvature at points: eigenvalues, condition number, GD's largest stable lr
* ``basins``           which minimum each start of a grid of starts ends in
* ``random_search``, ``grid_search``, ``refine``
                       the notes' hyperparameter search: lr = 10**uniform(log lo, log hi), random
                       beats grid, beware of a best value on the edge of its range, coarse to fine
* ``step_breakdown``   update k of any rule, split into named terms that add up to Δx

"How fast" is measured by the gap to the minimum: f(x_k) − f_min, or ‖∇f(x_k)‖ on a
surface without a finite minimum (``f_min is None``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from .rules import Explanation, HyperSpec, Term, hyper_spec  # noqa: F401  (Term: part of the StepBreakdown API)
from .runner import Optimizer, Trajectory, hyper_specs, make, run, run_reduced
from .schedules import Schedule

# A best value within this fraction of its range's width from an end (in log10 space for log
# ranges) lies "on the boundary" (the notes: 注意边界上的最佳值).
EDGE_FRACTION = 0.05


# --- shared helpers --------------------------------------------------------------------------


def _gap(surface, tr: Trajectory) -> np.ndarray:
    """f(x_k) − f_min along every run, or ‖∇f(x_k)‖ when the surface has no finite minimum (as
    ``runner.gap``, from the trajectory's cached loss and gradient)."""
    if surface.f_min is None:
        return np.linalg.norm(tr.grad, axis=-1)
    return tr.loss - surface.f_min


def _gap_name(surface) -> str:
    return "‖∇f(x)‖" if surface.f_min is None else "f(x) − f_min"


def _first_reached(gap: np.ndarray, tol: float, diverged: np.ndarray) -> np.ndarray:
    """First k with gap_k ≤ tol along the last axis; −1 if never, or if the run diverged."""
    reached = gap <= tol
    first = np.where(reached.any(axis=-1), reached.argmax(axis=-1), -1)
    return np.where(diverged, -1, first)


def steps_to_tol(surface, tr: Trajectory, tol: float):
    """First k with gap(x_k) ≤ tol along every run of ``tr`` (gap = f − f_min, or ‖∇f‖ when the surface
    has no finite minimum); −1 if never, or if the run diverged.  The one definition the summary
    table, the sweeps and the searches share."""
    return _first_reached(_gap(surface, tr), _check_tol(tol), tr.status == "diverged")


class _Batch(NamedTuple):
    """What a sweep or a search keeps of a batch of runs, each array shaped like the batch."""

    steps_to_tol: np.ndarray
    final_loss: np.ndarray
    final_gap: np.ndarray
    diverged: np.ndarray
    stopped_at: np.ndarray
    status: np.ndarray  # "converged" (reached tol), "diverged" or "max_steps"


def _run_batch(surface, name, hyperparams, start, steps, tol) -> _Batch:
    """Run optimizer ``name`` with (batched) ``hyperparams`` in one call and reduce every run to its outcome.

    The runs keep running reductions (``run_reduced``), not their paths: the memory is a chunk of points per
    run whatever ``steps``, and the numbers are those of ``run`` followed by ``steps_to_tol``."""
    outcome = run_reduced(surface, make(name, **hyperparams), start=_check_start_point(start), steps=steps,
                          tol=None, tol_gap=tol)
    diverged = outcome.status == "diverged"
    reached = outcome.steps_to_tol
    status = np.where(diverged, "diverged", np.where(reached >= 0, "converged", "max_steps"))
    return _Batch(reached, outcome.final_loss, outcome.final_gap, diverged, outcome.stopped_at, status)


def _ranking(steps_to_tol, final_gap, diverged, stopped_at) -> np.ndarray:
    """Flat indices from best to worst: runs that reached tol by fewest steps (ties: smaller
    final gap), then the others by final gap, then diverged runs, the latest to blow up first."""
    steps_to_tol, diverged = np.ravel(steps_to_tol), np.ravel(diverged)
    never = np.iinfo(np.int64).max
    steps_key = np.where(steps_to_tol >= 0, steps_to_tol, never)
    gap_key = np.where(diverged, -np.ravel(stopped_at).astype(float),
                       np.nan_to_num(np.ravel(final_gap), nan=np.inf))
    return np.lexsort((gap_key, steps_key, diverged))


def _check_start_point(start):
    if start is None:
        return None
    point = np.asarray(start, dtype=float)
    if point.shape != (2,):
        raise ValueError(f"start = {start!r} is not one point: give (x, y)")
    return point


def _check_count(name, value, low=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} = {value!r} is out of range: valid range is whole numbers ≥ {low}")
    return int(value)


def _check_tol(tol) -> float:
    if isinstance(tol, bool) or not isinstance(tol, (int, float, np.integer, np.floating)) or not tol >= 0 \
            or not math.isfinite(tol):
        raise ValueError(f"tol = {tol!r} is out of range: valid range is finite numbers ≥ 0")
    return float(tol)


def _float_spec(name, param) -> HyperSpec:
    """The HyperSpec of a float hyperparameter ``param`` of optimizer ``name`` (ValueError otherwise)."""
    hyper_specs(name)  # an unknown optimizer is refused by name
    spec = hyper_spec(name, param)
    if spec.choices:
        raise ValueError(f"{param} of {name} takes options {spec.choices}, not a range of numbers")
    return spec


def _merge_fixed(fixed, varied):
    fixed = dict(fixed or {})
    clash = sorted(set(fixed) & set(varied))
    if clash:
        raise ValueError(f"{clash[0]} is both varied and fixed: give it in one place only")
    return {**fixed, **varied}


# --- 1. sweep over two hyperparameters -----------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SweepResult:
    """A grid of runs: cell (i, j) used ``y_param = y_values[i]``, ``x_param = x_values[j]``
    (a 1-D sweep, ``y_param=None``, has arrays of shape (nx,) and ``y_values`` None).

    steps_to_tol  (ny, nx) int: first k with gap(x_k) ≤ tol, −1 if never (or diverged)
    final_loss    (ny, nx) f at the last (held) point
    final_gap     (ny, nx) gap at the last point (gap = f − f_min, or ‖∇f‖ if f_min is None)
    diverged      (ny, nx) bool, the runner's verdict
    stopped_at    (ny, nx) the update at which a diverged run blew up (``steps`` otherwise)
    status        (ny, nx) "converged" (reached tol), "diverged" or "max_steps"
    """

    optimizer: str
    x_param: str
    y_param: str | None
    x_values: np.ndarray
    y_values: np.ndarray | None
    steps_to_tol: np.ndarray
    final_loss: np.ndarray
    final_gap: np.ndarray
    diverged: np.ndarray
    stopped_at: np.ndarray
    status: np.ndarray
    tol: float
    steps: int
    gap: str  # what was compared with tol: "f(x) − f_min" or "‖∇f(x)‖"

    @property
    def best_index(self) -> tuple:
        """(i, j) of the best cell ((j,) for a 1-D sweep): fewest steps to tol, ties and runs that
        never got there by final gap, diverged runs last."""
        flat = int(_ranking(self.steps_to_tol, self.final_gap, self.diverged, self.stopped_at)[0])
        return tuple(int(i) for i in np.unravel_index(flat, self.steps_to_tol.shape))

    @property
    def best(self) -> dict:
        """{x_param: value, y_param: value} of the best cell."""
        index = self.best_index
        best = {self.x_param: float(self.x_values[index[-1]])}
        if self.y_param is not None:
            best[self.y_param] = float(self.y_values[index[0]])
        return best


def sweep(surface, name, x_param, x_values, y_param=None, y_values=None, *, fixed=None, start=None, steps=500,
          tol=1e-6) -> SweepResult:
    """Run optimizer ``name`` for every pair (x_param, y_param) of the grid, in one batch.

    steps_to_tol[i, j] = min{k : f(x_k) − f_min ≤ tol}  (‖∇f(x_k)‖ ≤ tol if f_min is None),
    −1 if no k ≤ ``steps`` qualifies or the run diverged.  ``fixed`` holds the other
    hyperparameters (floats, schedules or options); ``start`` one point (default: the surface's).
    Without ``y_param`` it is a 1-D sweep of ``x_param`` (SGD has only lr).

    Args:
        surface: a ``surfaces.Surface``.
        name: the optimizer's id (``optim_core.names()``).
        x_param, x_values: the hyperparameter along the x axis and its (nx,) values.
        y_param, y_values: the one along the y axis and its (ny,) values; None for a 1-D sweep.
        fixed: the other hyperparameters (floats, schedules or options); their defaults otherwise.
        start: one (x, y) start for every cell; the surface's default start if None.
        steps: updates per run.
        tol: the gap below which a run counts as having reached the minimum.
    """
    if x_param == y_param:
        raise ValueError(f"x_param and y_param are both {x_param!r}: sweep two different hyperparameters")
    if (y_param is None) != (y_values is None):
        raise ValueError("give y_param and y_values together, or neither for a 1-D sweep")
    _float_spec(name, x_param)
    x_values = np.asarray(x_values, dtype=float).ravel()
    varied = {x_param: x_values}
    if y_param is not None:
        _float_spec(name, y_param)
        y_values = np.asarray(y_values, dtype=float).ravel()
        varied = {x_param: x_values[None, :], y_param: y_values[:, None]}
        if y_values.size == 0:
            raise ValueError("y_values must hold at least one value")
    if x_values.size == 0:
        raise ValueError("x_values must hold at least one value")
    steps, tol = _check_count("steps", steps, 0), _check_tol(tol)
    batch = _run_batch(surface, name, _merge_fixed(fixed, varied), start, steps, tol)
    return SweepResult(name, x_param, y_param, x_values, y_values, batch.steps_to_tol, batch.final_loss,
                       batch.final_gap, batch.diverged, batch.stopped_at, batch.status, float(tol), steps,
                       _gap_name(surface))


# --- 2. theory on a quadratic -----------------------------------------------------------------


def gd_rate(lr, eigenvalues):
    """Gradient descent's linear rate on a quadratic: max over λ of |1 − lr·λ|."""
    lr = np.asarray(lr, dtype=float)
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    return np.max(np.abs(1.0 - lr[..., None] * eigenvalues), axis=-1)


def momentum_rate(lr, mu, eigenvalues):
    """Heavy-ball momentum's linear rate on a quadratic (broadcasts lr and mu).

    Per eigenvalue λ the iterate obeys (x_{k+1}, x_k) = M (x_k, x_{k−1}) with
    M = [[1 + mu − lr·λ, −mu], [1, 0]]; its eigenvalues solve z² − b z + mu = 0, b = 1 + mu − lr·λ:
    ρ(M) = √mu when b² < 4mu (complex pair), else (|b| + √(b² − 4mu)) / 2.
    Returns max over λ of ρ(M).  mu = 0 gives |1 − lr·λ| (gradient descent).
    """
    lr, mu = np.broadcast_arrays(np.asarray(lr, dtype=float), np.asarray(mu, dtype=float))
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    b = 1.0 + mu[..., None] - lr[..., None] * eigenvalues
    discriminant = b * b - 4.0 * mu[..., None]
    real_radius = 0.5 * (np.abs(b) + np.sqrt(np.maximum(discriminant, 0.0)))
    radius = np.where(discriminant < 0.0, np.sqrt(np.maximum(mu[..., None], 0.0)), real_radius)
    return np.max(radius, axis=-1)


def momentum_stable(lr, mu, eigenvalues):
    """Heavy-ball momentum converges on the quadratic: 0 ≤ mu < 1 and 0 < lr·λ < 2(1 + mu) for every λ
    (the same set as momentum_rate < 1)."""
    lr, mu = np.broadcast_arrays(np.asarray(lr, dtype=float), np.asarray(mu, dtype=float))
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    step = lr[..., None] * eigenvalues
    inside = (step > 0.0) & (step < 2.0 * (1.0 + mu[..., None]))
    return (mu >= 0.0) & (mu < 1.0) & np.all(inside, axis=-1)


def predicted_steps_to_tol(rate, initial_gap, tol):
    """Steps for f − f_min to fall from ``initial_gap`` to ``tol`` if it shrinks by rate² per step
    (f − f_min is quadratic in the error): k = ⌈ln(tol / gap₀) / (2 ln rate)⌉; 0 if gap₀ ≤ tol,
    −1 if rate ≥ 1.  It ignores the constant in front of rateᵏ, so it is an estimate."""
    rate, initial_gap = np.broadcast_arrays(np.asarray(rate, dtype=float), np.asarray(initial_gap, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.ceil(np.log(tol / initial_gap) / (2.0 * np.log(rate)))
    k = np.where(initial_gap <= tol, 0, np.where((rate < 1.0) & np.isfinite(k), k, -1))
    k = np.where(rate <= 0.0, np.where(initial_gap <= tol, 0, 1), k)
    return k.astype(int) if k.ndim else int(k)


@dataclass(frozen=True, eq=False)
class QuadraticTheory:
    """Closed-form facts of f(x) = ½ (x − x*)ᵀ H (x − x*) + f_min with constant H ≻ 0.

    κ = λ_max / λ_min.  Gradient descent: stable for lr < 2/λ_max, fastest at lr = 2/(λ_min + λ_max)
    with rate (κ − 1)/(κ + 1).  Heavy-ball momentum (Goh 2017): fastest at
    lr* = (2 / (√λ_min + √λ_max))², mu* = ((√κ − 1)/(√κ + 1))², with rate (√κ − 1)/(√κ + 1).
    """

    hessian: np.ndarray
    eigenvalues: np.ndarray  # ascending
    lambda_min: float
    lambda_max: float
    kappa: float
    gd_lr_max: float
    gd_lr_opt: float
    gd_rate_opt: float
    momentum_lr_opt: float
    momentum_mu_opt: float
    momentum_rate_opt: float

    def gd_rate(self, lr):
        """max over λ of |1 − lr·λ|."""
        return gd_rate(lr, self.eigenvalues)

    def momentum_rate(self, lr, mu):
        """Spectral radius of [[1 + mu − lr·λ, −mu], [1, 0]], max over λ (see the module function)."""
        return momentum_rate(lr, mu, self.eigenvalues)

    def momentum_stable(self, lr, mu):
        """0 ≤ mu < 1 and 0 < lr·λ < 2(1 + mu) for all λ, i.e. lr < 2(1 + mu)/λ_max."""
        return momentum_stable(lr, mu, self.eigenvalues)

    def predicted_steps_to_tol(self, rate, initial_gap, tol):
        """⌈ln(tol / gap₀) / (2 ln rate)⌉ (see the module function)."""
        return predicted_steps_to_tol(rate, initial_gap, tol)


def _sample_points(surface, fractions) -> np.ndarray:
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    fractions = np.asarray(fractions, dtype=float)
    return np.stack([x_lo + fractions[:, 0] * (x_hi - x_lo), y_lo + fractions[:, 1] * (y_hi - y_lo)], axis=-1)


_PROBE_FRACTIONS = [(0.5, 0.5), (0.0, 0.0), (1.0, 1.0), (0.0, 1.0), (1.0, 0.0), (0.13, 0.71), (0.83, 0.29),
                    (0.37, 0.05)]


def quadratic_theory(surface) -> QuadraticTheory | None:
    """The theory of ``QuadraticTheory`` if ``surface`` is a convex quadratic, else None.

    Quadratic ⇔ the Hessian is the same at a spread of probe points (corners, centre, interior);
    the theory also needs H positive definite (λ_min > 0), so the saddle x² − y² gives None.
    """
    hessians = surface.hessian(_sample_points(surface, _PROBE_FRACTIONS))
    hessian = hessians[0]
    scale = float(np.max(np.abs(hessian)))
    if not np.all(np.isfinite(hessians)) or not np.allclose(hessians, hessian, rtol=1e-9, atol=1e-12 * scale):
        return None
    eigenvalues = np.linalg.eigvalsh(0.5 * (hessian + hessian.T))
    lambda_min, lambda_max = float(eigenvalues[0]), float(eigenvalues[-1])
    if not lambda_min > 0.0:
        return None
    kappa = lambda_max / lambda_min
    root_kappa = math.sqrt(kappa)
    hessian = np.array(hessian)
    hessian.flags.writeable = False
    eigenvalues.flags.writeable = False
    return QuadraticTheory(
        hessian=hessian,
        eigenvalues=eigenvalues,
        lambda_min=lambda_min,
        lambda_max=lambda_max,
        kappa=kappa,
        gd_lr_max=2.0 / lambda_max,
        gd_lr_opt=2.0 / (lambda_min + lambda_max),
        gd_rate_opt=(kappa - 1.0) / (kappa + 1.0),
        momentum_lr_opt=(2.0 / (math.sqrt(lambda_min) + math.sqrt(lambda_max))) ** 2,
        momentum_mu_opt=((root_kappa - 1.0) / (root_kappa + 1.0)) ** 2,
        momentum_rate_opt=(root_kappa - 1.0) / (root_kappa + 1.0),
    )


# --- 3. curvature at points -----------------------------------------------------------------------


class HessianInfo(NamedTuple):
    """Curvature at point(s) of shape (..., 2).

    eigenvalues   (..., 2) ascending λ₁ ≤ λ₂ of the Hessian H
    eigenvectors  (..., 2, 2) their unit directions, as columns
    condition     (...) |λ|max / |λ|min, inf where H is singular
    lr_max        2/λ_max, gradient descent's largest stable lr for the local quadratic model;
                  None (one point) or NaN (batch) where λ_max ≤ 0 (no upward curvature)
    """

    hessian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    condition: object
    lr_max: object


def hessian_info(surface, point) -> HessianInfo:
    """Eigen-decomposition H = Q diag(λ) Qᵀ of the Hessian at ``point`` (..., 2), κ = |λ|max/|λ|min,
    and lr_max = 2/λ_max (GD on the local quadratic model is stable for lr < 2/λ_max)."""
    point = np.asarray(point, dtype=float)
    if point.ndim == 0 or point.shape[-1] != 2:
        raise ValueError(f"point must have shape (..., 2), got shape {point.shape}")
    hessian = surface.hessian(point)
    eigenvalues, eigenvectors = np.linalg.eigh(0.5 * (hessian + np.swapaxes(hessian, -1, -2)))
    magnitudes = np.abs(eigenvalues)
    largest, smallest = magnitudes.max(axis=-1), magnitudes.min(axis=-1)
    singular = smallest <= np.finfo(float).eps * largest
    with np.errstate(divide="ignore", invalid="ignore"):
        condition = np.where(singular, np.inf, largest / np.where(singular, 1.0, smallest))
        lambda_max = eigenvalues[..., -1]
        lr_max = np.where(lambda_max > 0.0, 2.0 / np.where(lambda_max > 0.0, lambda_max, 1.0), np.nan)
    if point.ndim == 1:
        return HessianInfo(hessian, eigenvalues, eigenvectors, float(condition),
                           float(lr_max) if lambda_max > 0.0 else None)
    return HessianInfo(hessian, eigenvalues, eigenvectors, condition, lr_max)


# --- 4. basins of attraction ---------------------------------------------------------------------

NOT_CONVERGED = -1
DIVERGED = -2


@dataclass(frozen=True, eq=False)
class BasinMap:
    """Where each start of an (ny, nx) grid ends.

    label[i, j]: index into ``minima`` of the minimum the run from starts[i, j] converged to,
    −1 (NOT_CONVERGED: still moving, or stopped at a critical point that is no listed minimum)
    or −2 (DIVERGED).
    """

    optimizer: Optimizer
    x: np.ndarray  # (nx,)
    y: np.ndarray  # (ny,)
    starts: np.ndarray  # (ny, nx, 2)
    label: np.ndarray  # (ny, nx) int
    final_xy: np.ndarray  # (ny, nx, 2)
    status: np.ndarray  # (ny, nx) the runner's status
    stopped_at: np.ndarray  # (ny, nx) update at which each run stopped
    minima: np.ndarray  # (k, 2)
    radius: float

    @property
    def counts(self) -> np.ndarray:
        """(k,) how many starts ended in each minimum."""
        return np.bincount(self.label[self.label >= 0], minlength=len(self.minima))

    @property
    def found(self) -> tuple:
        """Indices of the minima reached from at least one start."""
        return tuple(int(i) for i in np.flatnonzero(self.counts))


def basins(surface, name, hyperparams: dict | None = None, *, nx=100, ny=100, steps=300, tol=1e-4,
           radius=None) -> BasinMap:
    """Start optimizer ``name`` from every point of an (ny, nx) grid over the domain, in one batch.

    A run is labelled with minimum i when it stopped with ‖∇f‖ ≤ tol within ``radius`` of minima[i]
    (its nearest); ``radius`` defaults to min(0.05 × domain diagonal, 0.45 × closest distance
    between two minima), so every label is unambiguous.

    Args:
        surface: a ``surfaces.Surface`` (its ``minima`` are the basins' labels).
        name, hyperparams: the optimizer's id and one setting of its hyperparameters.
        nx, ny: starts along x and y, spread over the surface's domain, ends included.
        steps, tol: updates per run, and the ‖∇f‖ below which a run has stopped at a point.
        radius: how close to a minimum a stopped run must be to take its label.
    """
    nx, ny = _check_count("nx", nx), _check_count("ny", ny)
    opt = make(name, **dict(hyperparams or {}))
    batched = [key for key, value in opt.hyperparams.items() if isinstance(value, np.ndarray) and value.size > 1]
    if batched:
        raise ValueError(f"{batched[0]} is an array: basins runs one optimizer setting from every start")
    x = np.linspace(*surface.x_range, nx)
    y = np.linspace(*surface.y_range, ny)
    starts = np.stack(np.meshgrid(x, y), axis=-1)
    outcome = run_reduced(surface, opt, start=starts, steps=steps, tol=tol)  # outcomes only, not the paths
    minima = np.asarray(surface.minima, dtype=float)
    if radius is None:
        diagonal = math.hypot(surface.x_range[1] - surface.x_range[0], surface.y_range[1] - surface.y_range[0])
        radius = 0.05 * diagonal
        if len(minima) > 1:
            pairwise = np.linalg.norm(minima[:, None, :] - minima[None, :, :], axis=-1)
            radius = min(radius, 0.45 * float(pairwise[np.triu_indices(len(minima), 1)].min()))
    final_xy = outcome.final_xy
    label = np.full(final_xy.shape[:-1], NOT_CONVERGED)
    if len(minima):
        distance = np.linalg.norm(final_xy[..., None, :] - minima, axis=-1)
        nearest = distance.argmin(axis=-1)
        near = np.take_along_axis(distance, nearest[..., None], axis=-1)[..., 0] <= radius
        label = np.where((outcome.status == "converged") & near, nearest, NOT_CONVERGED)
    label = np.where(outcome.status == "diverged", DIVERGED, label)
    return BasinMap(opt, x, y, starts, label, final_xy, outcome.status, outcome.stopped_at, minima, float(radius))


# --- 5. random search and grid search (cs231n: 超参数调优) -------------------------------------------


@dataclass(frozen=True, eq=False)
class SearchResult:
    """n runs, one per sampled setting: ``samples[param]`` is an (n,) array.

    final_loss, final_gap, steps_to_tol, diverged, stopped_at, status are (n,) arrays as in SweepResult;
    ``best_index`` ranks as SweepResult.best_index does; ``edges`` maps each parameter of the best
    that lies in the outer EDGE_FRACTION of its range (log10 space for log ranges) to "lower" or
    "upper", and ``on_boundary`` says so in words.
    """

    method: str  # "random" or "grid"
    optimizer: str
    ranges: MappingProxyType  # param -> (lo, hi, log)
    samples: MappingProxyType  # param -> (n,) values
    final_loss: np.ndarray
    final_gap: np.ndarray
    steps_to_tol: np.ndarray
    diverged: np.ndarray
    stopped_at: np.ndarray
    status: np.ndarray
    best_index: int
    best: MappingProxyType  # param -> value of the best run
    edges: MappingProxyType  # param -> "lower" | "upper"
    on_boundary: tuple  # warning messages, empty if the best is inside every range
    tol: float
    steps: int
    gap: str

    @property
    def n(self) -> int:
        return len(self.final_loss)

    @property
    def distinct_values(self) -> dict:
        """How many different values of each parameter were tried (random: n; grid: n^(1/d))."""
        return {param: int(np.unique(values).size) for param, values in self.samples.items()}


def _check_ranges(name, ranges) -> dict:
    if not ranges:
        raise ValueError("ranges is empty: give {param: (lo, hi, log)}")
    checked = {}
    for param, bounds in ranges.items():
        _float_spec(name, param)
        try:
            lo, hi, log = bounds
        except (TypeError, ValueError):
            raise ValueError(f"ranges[{param!r}] = {bounds!r} is not (lo, hi, log)") from None
        lo, hi, log = float(lo), float(hi), bool(log)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"ranges[{param!r}] = {bounds!r} is not valid: need finite lo < hi")
        if log and lo <= 0.0:
            raise ValueError(f"ranges[{param!r}] = {bounds!r} is log-scaled: need lo > 0")
        checked[param] = (lo, hi, log)
    return checked


def _position(value, lo, hi, log):
    """Where ``value`` lies in [lo, hi] as a fraction of the width (in log10 space if ``log``)."""
    if log:
        return (math.log10(value) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    return (value - lo) / (hi - lo)


def boundary_edges(best: dict, ranges: dict, fraction: float = EDGE_FRACTION) -> dict:
    """{param: "lower" | "upper"} for every value of ``best`` within ``fraction`` of an end of its range."""
    edges = {}
    for param, value in best.items():
        position = _position(value, *ranges[param])
        if position < fraction:
            edges[param] = "lower"
        elif position > 1.0 - fraction:
            edges[param] = "upper"
    return edges


def _boundary_message(param, value, lo, hi, edge):
    return f"best {param} = {value:.3g} lies on the {edge} edge of [{lo:g}, {hi:g}]: widen the range"


def _evaluate(method, surface, name, ranges, samples, *, fixed, start, steps, tol) -> SearchResult:
    """One batched run over the (n,) samples, then rank them and check the best for edges."""
    steps, tol = _check_count("steps", steps, 0), _check_tol(tol)
    batch = _run_batch(surface, name, _merge_fixed(fixed, samples), start, steps, tol)
    best_index = int(_ranking(batch.steps_to_tol, batch.final_gap, batch.diverged, batch.stopped_at)[0])
    best = {param: float(values[best_index]) for param, values in samples.items()}
    edges = boundary_edges(best, ranges)
    messages = tuple(_boundary_message(p, best[p], *ranges[p][:2], edge) for p, edge in edges.items())
    return SearchResult(method, name, MappingProxyType(dict(ranges)), MappingProxyType(samples), batch.final_loss,
                        batch.final_gap, batch.steps_to_tol, batch.diverged, batch.stopped_at, batch.status,
                        best_index, MappingProxyType(best), MappingProxyType(edges), messages, float(tol), steps,
                        _gap_name(surface))


def random_search(surface, name, ranges: dict, n, *, seed, steps=500, fixed=None, start=None,
                  tol=1e-6) -> SearchResult:
    """The notes' random search: n independent settings, each parameter drawn on its own as
    10**uniform(log10 lo, log10 hi) for a log range (the notes' lr = 10**uniform(-6, 1)),
    uniform(lo, hi) otherwise; all n runs in one batch.

    Args:
        surface, name: the surface and the optimizer's id.
        ranges: {param: (lo, hi, log)} of the float hyperparameters to sample.
        n: how many settings.
        seed: makes it reproducible (None: a fresh draw).
        steps, tol, fixed, start: as for ``sweep``.
    """
    ranges = _check_ranges(name, ranges)
    n = _check_count("n", n)
    rng = np.random.default_rng(seed)
    samples = {}
    for param, (lo, hi, log) in ranges.items():
        if log:
            samples[param] = 10.0 ** rng.uniform(math.log10(lo), math.log10(hi), n)
        else:
            samples[param] = rng.uniform(lo, hi, n)
    return _evaluate("random", surface, name, ranges, samples, fixed=fixed, start=start, steps=steps, tol=tol)


def grid_search(surface, name, ranges: dict, n, *, steps=500, fixed=None, start=None, tol=1e-6) -> SearchResult:
    """Grid search with the same budget: m = ⌊n^(1/d)⌋ values per parameter (d parameters, both
    ends included, log-spaced for log ranges), m^d ≤ n runs in one batch, so each parameter gets
    only m distinct values where random search tries n."""
    ranges = _check_ranges(name, ranges)
    n = _check_count("n", n)
    per_axis = max(1, int(math.floor(n ** (1.0 / len(ranges)) + 1e-9)))
    axes = [np.geomspace(lo, hi, per_axis) if log else np.linspace(lo, hi, per_axis)
            for lo, hi, log in ranges.values()]
    mesh = np.meshgrid(*axes, indexing="ij")
    samples = {param: values.ravel() for param, values in zip(ranges, mesh)}
    return _evaluate("grid", surface, name, ranges, samples, fixed=fixed, start=start, steps=steps, tol=tol)


def refine(result: SearchResult, factor: float = 0.2) -> dict:
    """The next, finer stage (从粗到细): for each parameter a range ``factor`` times as wide as before
    (in log10 space for log ranges), centred on the best value and clipped to the parameter's
    valid interval.  A best value on an edge thus moves the range past that edge."""
    if not 0.0 < factor <= 1.0:
        raise ValueError(f"factor = {factor!r} is out of range: valid range is (0, 1]")
    specs = {spec.name: spec for spec in hyper_specs(result.optimizer)}
    refined = {}
    for param, (lo, hi, log) in result.ranges.items():
        best = result.best[param]
        spec = specs[param]
        valid_lo = spec.low if spec.low_inclusive else np.nextafter(spec.low, math.inf)
        valid_hi = spec.high if spec.high_inclusive else np.nextafter(spec.high, -math.inf)
        if not spec.high_inclusive and spec.slider and spec.slider[1] < spec.high:
            valid_hi = spec.slider[1]  # e.g. mu: stay below 1 at the slider's 0.999
        if log:
            half = 0.5 * factor * (math.log10(hi) - math.log10(lo))
            new_lo, new_hi = 10.0 ** (math.log10(best) - half), 10.0 ** (math.log10(best) + half)
        else:
            half = 0.5 * factor * (hi - lo)
            new_lo, new_hi = best - half, best + half
        refined[param] = (float(max(new_lo, valid_lo)), float(min(new_hi, valid_hi)), log)
    return refined


# --- 6. the notes' learning-rate picture ----------------------------------------------------------

# The notes' figure of loss against epochs for four learning rates, in its words (cs231n "Neural Networks 3",
# 学习率的效果): a very high rate blows up, a high one drops fast and stalls, a low one crawls, a good one wins.
LR_VERDICTS = ("very high", "high", "good", "low")


def spread_learning_rates(centre: float, count: int = 7, decades: float = 3.0) -> np.ndarray:
    """``count`` learning rates spread evenly on a log scale over ``decades`` decades around ``centre``:
    centre·10^(decades·(i/(count − 1) − ½)), i = 0 … count − 1 (the notes: search lr on a log scale)."""
    count = _check_count("count", count, 2)
    if not (centre > 0 and math.isfinite(centre)) or not (decades > 0 and math.isfinite(decades)):
        raise ValueError(f"centre = {centre!r}, decades = {decades!r}: both must be finite numbers above 0")
    return centre * 10.0 ** (decades * (np.arange(count) / (count - 1) - 0.5))


def learning_rate_verdicts(lrs, final_gap, initial_gap, diverged) -> tuple:
    """Each learning rate's place in the notes' picture, judged by its outcome.

    "very high": the run diverged or ended above where it began (the loss went up); "good": of the
    others, the one that ended lowest (ties: the smaller learning rate); "high" and "low": the others,
    above or below the good one.  Without a good one (all blew up) every rate is "very high".
    """
    lrs, final_gap, diverged = np.asarray(lrs, float), np.asarray(final_gap, float), np.asarray(diverged, bool)
    blew_up = diverged | ~np.isfinite(final_gap) | (final_gap > initial_gap)
    if blew_up.all():
        return ("very high",) * len(lrs)
    good = int(np.lexsort((lrs, np.where(blew_up, np.inf, final_gap)))[0])
    return tuple("very high" if blew_up[i] else "good" if i == good else "high" if lrs[i] > lrs[good] else "low"
                 for i in range(len(lrs)))


@dataclass(frozen=True, eq=False)
class LearningRateCurves:
    """One optimizer at several learning rates: gap[i, k] after update k at lrs[i] (NaN once a run has
    stopped), and each rate's verdict (``LR_VERDICTS``)."""

    optimizer: str
    lrs: np.ndarray
    gap: np.ndarray
    verdicts: tuple
    gap_name: str


def learning_rate_curves(surface, name, lrs, *, fixed=None, start=None, steps=100) -> LearningRateCurves:
    """Run ``name`` at every learning rate of ``lrs`` in one batch and keep each run's gap along its path.

    Args:
        surface, name: the surface and the optimizer's id.
        lrs: the (n,) learning rates, e.g. ``spread_learning_rates(lr)``.
        fixed: the other hyperparameters (floats, schedules or options).
        start, steps: one start for every run (the surface's default if None), and updates per run.
    """
    lrs = np.sort(np.asarray(lrs, dtype=float).ravel())
    if lrs.size == 0:
        raise ValueError("lrs must hold at least one value")
    steps = _check_count("steps", steps, 1)
    tr = run(surface, make(name, **_merge_fixed(fixed, {"lr": lrs})), start=_check_start_point(start), steps=steps,
             tol=None)
    held_gap = _gap(surface, tr)  # a stopped run holds its last valid point
    verdicts = learning_rate_verdicts(lrs, held_gap[:, -1], held_gap[0, 0], tr.status == "diverged")
    return LearningRateCurves(name, lrs, np.where(tr.active, held_gap, np.nan), verdicts, _gap_name(surface))


def recommended_lr(surface, name, lr_grid, *, fixed=None, start=None, steps=100) -> float:
    """A learning rate from ``lr_grid`` that shows something worth seeing on ``surface`` (one batched run).

    A rate is out if its run diverges or leaves the surface's domain (widened by 5 % on each
    side) before the end (on a surface without a minimum: before half of the steps, so an escape from a
    saddle stays in view), or if the rule has a limit on the local quadratic model at the start
    (``Rule.lr_limit``) and the rate is past it.  Of the rest: with a known minimum, the rate whose gap
    f − f_min is lowest on average (in log) over the second half of the run, so a path that settles
    beats one that bounces and happens to end low (ties: the smaller rate); without one, the largest.
    If every rate is out: the smallest.
    """
    lr_grid = np.sort(np.asarray(lr_grid, dtype=float).ravel())
    opt = make(name, **_merge_fixed(fixed, {"lr": lr_grid}))
    # Whole paths: the page asks about 26 rates (26 × (steps + 1) points), and the mean over the second half
    # is then np.mean's, not a running sum's.
    tr = run(surface, opt, start=_check_start_point(start), steps=_check_count("steps", steps, 1), tol=None)
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    margin = 0.05 * np.array([x_hi - x_lo, y_hi - y_lo])
    low, high = np.array([x_lo, y_lo]) - margin, np.array([x_hi, y_hi]) + margin
    watched = tr.xy if surface.f_min is not None else tr.xy[:, : steps // 2 + 1]
    out = (tr.status == "diverged") | np.any((watched < low) | (watched > high), axis=(-2, -1))
    limit = _lr_limit_at(surface, opt.rule, opt.hyperparams, tr.xy[0, 0])
    out |= lr_grid >= limit
    if out.all():
        return float(lr_grid[0])
    if surface.f_min is None:
        return float(lr_grid[np.flatnonzero(~out)[-1]])
    settled = np.mean(np.log10(np.maximum(tr.loss[:, steps // 2:] - surface.f_min, 1e-300)), axis=-1)
    return float(lr_grid[np.lexsort((lr_grid, np.where(out, np.inf, settled)))[0]])


def _lr_limit_at(surface, rule, hyperparams, point) -> float:
    """The rule's largest stable lr on the local quadratic model at ``point`` (inf if it has none there)."""
    if rule.lr_limit is None:
        return math.inf
    lambda_max = float(np.max(hessian_info(surface, point).eigenvalues))
    if not lambda_max > 0:
        return math.inf
    hp = {key: value for key, value in hyperparams.items() if not isinstance(value, np.ndarray)}
    limit = rule.lr_limit(hp, lambda_max)
    return math.inf if limit is None else float(limit)


# --- 7. one update, term by term ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class StepBreakdown:
    """Update k (1-based) of one run, x_k = x_{k−1} + Δx_k, with every intermediate quantity.

    terms    every named quantity, in the order the rule computes them
    parts    vectors that add up to Δx_k (drawn head to tail from x_{k−1})
    arrows   vectors to draw at x_{k−1}: "grad" (the gradient the update used), "momentum"
             (the history part of the step, for rules that have one) and "step" (Δx_k)
    """

    optimizer: str
    k: int
    formula: str  # LaTeX
    x_prev: np.ndarray
    x_new: np.ndarray
    delta: np.ndarray  # Δx_k as recorded by the runner
    grad_point: np.ndarray  # where the gradient was taken
    lookahead_point: np.ndarray | None  # where the gradient was taken, if not at x_{k−1} (Nesterov)
    terms: MappingProxyType  # key -> Term
    parts: MappingProxyType  # key -> Term, values sum to Δx
    arrows: MappingProxyType  # key -> (2,) vector

    @property
    def reconstructed(self) -> np.ndarray:
        """Σ parts, which equals ``delta`` up to rounding."""
        return np.sum([part.value for part in self.parts.values()], axis=0)


def _hyper_for_update(opt: Optimizer, k: int, lr: float) -> dict:
    """Hyperparameter values update k used (schedules evaluated at t = k − 1, as the runner does)."""
    hp = {}
    for key, value in opt.hyperparams.items():
        if isinstance(value, Schedule):
            value = float(np.asarray(value(k - 1)))
        elif isinstance(value, np.ndarray):
            raise ValueError(f"{key} is an array: step_breakdown needs one run, not a batch")
        hp[key] = value
    hp["lr"] = lr
    return hp


def _state_before(tr: Trajectory, k: int):
    """The rule's state before update k, from the states the runner recorded."""
    init_state = tr.optimizer.rule.init(tr.xy[0])
    if init_state._fields and not tr.state:
        raise ValueError("the trajectory has no state: run it with record_state=True")
    if k == 1:
        return init_state
    return type(init_state)(*(tr.state[field][k - 2] for field in init_state._fields))


def trajectory_breakdown(surface, tr: Trajectory, k: int) -> StepBreakdown:
    """Update k (1-based) of a single-run Trajectory recorded with ``record_state=True``, taken
    apart by the rule itself: its update runs again on the recorded gradient and state with an
    ``Explanation``, which collects the rule's named quantities and the parts of its step."""
    if tr.xy.ndim != 2:
        raise ValueError("step_breakdown needs a single run, not a batch")
    k = _check_count("k", k)
    if k > len(tr.step):
        raise ValueError(f"k = {k} is out of range: the run has {len(tr.step)} updates")
    rule = tr.optimizer.rule
    state = _state_before(tr, k)
    x_prev, x_new, delta, g = tr.xy[k - 1], tr.xy[k], tr.step[k - 1], tr.grad_used[k - 1]
    hp = _hyper_for_update(tr.optimizer, k, float(tr.lr[k - 1]))
    explanation = Explanation()
    explanation.term("x_prev", r"x_{k-1}", x_prev)
    # a searching rule's lr is the step length its search accepted, not a fixed rate
    explanation.term("lr", r"\alpha_k" if rule.needs_surface(hp) else r"\eta", hp["lr"])
    lookahead_point = None if rule.grad_point is None else rule.grad_point(x_prev, state, hp)
    if lookahead_point is x_prev:  # a grad_point that hands back x itself takes the gradient at x
        lookahead_point = None
    if lookahead_point is not None:
        explanation.term("lookahead_point", rule.grad_point_label, lookahead_point)
    where = rule.grad_point_label if lookahead_point is not None else r"x_{k-1}"
    explanation.term("g", r"g_k = \nabla f(" + where + ")", g)
    hessian = surface.hessian(x_prev) if rule.needs_hessian else None
    rule.update(g, state, x_prev, k, hp, hessian, explain=explanation)
    explanation.term("delta", r"\Delta x_k = x_k - x_{k-1}", delta)
    arrows = {"grad": g}
    if explanation.history is not None:
        arrows["momentum"] = explanation.parts[explanation.history].value
    arrows["step"] = delta
    return StepBreakdown(tr.optimizer.name, k, rule.latex(hp), x_prev, x_new, delta,
                         x_prev if lookahead_point is None else lookahead_point, lookahead_point,
                         MappingProxyType(explanation.terms), MappingProxyType(explanation.parts),
                         MappingProxyType(arrows))


@dataclass(frozen=True, eq=False)
class RunParts:
    """Every update of one run taken apart by its rule, all updates at once (the stage's arrows).

    parts         key -> (n, d): the vectors whose sum is each update's step Δx_k (k = 1 … n)
    labels        key -> the part's LaTeX label, as the rule names it
    history       the key of the part that carries the past (a momentum), if any
    effective_lr  (n, d): what multiplied each coordinate of the step direction (lr/(√cache + ε) for the
                  adaptive rules), None if the rule does not name one
    """

    parts: MappingProxyType
    labels: MappingProxyType
    history: str | None
    effective_lr: np.ndarray | None

    @property
    def reconstructed(self) -> np.ndarray:
        """Σ parts: each update's Δx, up to rounding."""
        return np.sum(list(self.parts.values()), axis=0)


def _stacked_state(start, recorded, n: int) -> np.ndarray:
    """One state field before each of n updates: the initial value, then the value after each update but
    the last, a row per update: (n, d), (n, d, d) for a matrix, (n,) for a number per run (BFGS's count of
    updates), (n, 1) for a number the rule keeps for the whole batch (Adam's β₁ᵏ)."""
    recorded = np.asarray(recorded, dtype=float)[:max(n - 1, 0)]
    start = np.asarray(start, dtype=float)
    shared = start.ndim == 0  # one number for the whole batch (Adam's β₁ᵏ)
    start = np.broadcast_to(start, (1,) + recorded.shape[1:]) if shared else start.reshape((1,) + recorded.shape[1:])
    stacked = np.concatenate([start, recorded])
    return stacked[:, None] if shared and stacked.ndim == 1 else stacked  # a column, to broadcast


def run_parts(tr: Trajectory) -> RunParts:
    """``trajectory_breakdown`` for every update of a single run recorded with ``record_state=True``, in one
    vectorised call of the rule's own update: update k starts from the recorded state before it, takes the
    gradient it used and the learning rate it used (a searching rule's accepted step length, a schedule's
    value), so no rule's math is repeated here."""
    if tr.xy.ndim != 2:
        raise ValueError("run_parts needs a single run, not a batch")
    rule, n = tr.optimizer.rule, len(tr.step)
    if n == 0:  # stopped before its first update
        return RunParts(MappingProxyType({}), MappingProxyType({}), None, None)
    initial = rule.init(tr.xy[:1])
    if initial._fields and not tr.state:
        raise ValueError("the trajectory has no state: run it with record_state=True")
    before = np.arange(n)  # update k + 1 starts from point k with the state after update k
    state = type(initial)(*(_stacked_state(start, tr.state[field], n) for field, start in zip(initial._fields, initial)))
    hp = {key: np.asarray(value(before), dtype=float)[:, None] if isinstance(value, Schedule) else value
          for key, value in tr.optimizer.hyperparams.items()}
    hp["lr"] = np.asarray(tr.lr, dtype=float)[:n, None]
    x = tr.xy[:n]
    hessian = tr.surface.hessian(x) if rule.needs_hessian else None
    explanation = Explanation()
    with np.errstate(all="ignore"):
        rule.update(tr.grad_used[:n], state, x, before + 1, hp, hessian, explain=explanation)
    effective = explanation.terms.get("effective_lr")
    return RunParts(MappingProxyType({key: np.broadcast_to(part.value, x.shape) for key, part in explanation.parts.items()}),
                    MappingProxyType({key: part.label for key, part in explanation.parts.items()}),
                    explanation.history,
                    None if effective is None else np.broadcast_to(effective.value, x.shape))


def step_breakdown(surface, opt: Optimizer, start=None, k: int = 1) -> StepBreakdown:
    """Run ``opt`` for k updates from ``start`` (record_state=True, no noise, no stopping) and
    break update k into its terms; see ``trajectory_breakdown`` for a run you already have."""
    k = _check_count("k", k)
    tr = run(surface, opt, start=_check_start_point(start), steps=k, tol=None, record_state=True)
    return trajectory_breakdown(surface, tr, k)
