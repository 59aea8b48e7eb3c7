"""``make`` an optimizer, ``run`` it on a surface, get a ``Trajectory`` back.

Batches: every float hyperparameter, every schedule's values and ``start`` may be
arrays; they broadcast to one batch shape ``B`` and the whole batch runs in one
vectorised loop.  Runs of a batch are independent, so stopping is decided per
run: a run that converged or diverged keeps its last valid point from then on.

``run_reduced`` runs the same loop but keeps only each run's outcome (final point and
loss, verdict, first step to a tolerance): the memory of a sweep or a basin map is then
a chunk of points per run, whatever the number of steps.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from . import line_search
from .rules import RULES, HyperSpec, Rule
from .schedules import Schedule

# How many updates run between checks for "every run of the batch has stopped".
_CHECK_EVERY = 64
# How many points of each run a check takes the gradient at in one go (when the loop's are not exact or not kept).
_GRADIENT_ROWS = 16
# A run is diverged once it is farther than this many domain half-diagonals from the domain's centre
# (in x or in y: the test is a box, which two reductions over a chunk of steps decide).
DIVERGE_RADIUS_FACTOR = 1e3


@dataclass(frozen=True)
class Optimizer:
    """A validated rule with its hyperparameters (floats, arrays, schedules or options)."""

    name: str
    hyperparams: MappingProxyType
    rule: Rule

    @property
    def title(self) -> str:
        return self.rule.title

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparams.items())
        return f"optim_core.make({self.name!r}, {args})"


def names() -> tuple:
    """Ids of all optimizers, the notes' rules first."""
    return tuple(RULES)


def hyper_specs(name: str) -> tuple:
    """The HyperSpec of every hyperparameter of optimizer ``name`` (defaults, ranges, slider hints)."""
    return _rule(name).hyper


def _rule(name) -> Rule:
    if name not in RULES:
        raise ValueError(f"optimizer = {name!r} is unknown: valid optimizers are {', '.join(RULES)}")
    return RULES[name]


def _range_text(spec: HyperSpec) -> str:
    left = "[" if spec.low_inclusive else "("
    right = "]" if spec.high_inclusive else ")"
    return f"{left}{spec.low:g}, {spec.high:g}{right}"


def _check_value(spec: HyperSpec, value):
    """Raise ValueError naming the hyperparameter if any entry of ``value`` is outside its range."""
    array = np.asarray(value, dtype=float)
    low_ok = array >= spec.low if spec.low_inclusive else array > spec.low
    high_ok = array <= spec.high if spec.high_inclusive else array < spec.high
    bad = ~(np.isfinite(array) & low_ok & high_ok)
    if np.any(bad):
        offending = array[bad].flat[0] if array.ndim else float(array)
        raise ValueError(
            f"{spec.name} = {offending:g} is out of range: valid range is {_range_text(spec)}"
        )


def _validate(spec: HyperSpec, value):
    if spec.choices:
        if not any(value == choice and type(value) is type(choice) for choice in spec.choices):
            raise ValueError(
                f"{spec.name} = {value!r} is not valid: choose one of {', '.join(map(repr, spec.choices))}"
            )
        return value
    if isinstance(value, Schedule):
        return value  # its values are checked when the run knows how many steps it has
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{spec.name} = {value!r} is not a number: valid range is {_range_text(spec)}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{spec.name} = {value!r} is not a number: valid range is {_range_text(spec)}") from None
    _check_value(spec, array)
    return float(array) if array.ndim == 0 else array


def make(name: str, **hyperparams) -> Optimizer:
    """Optimizer ``name`` with ``hyperparams`` (missing ones take their defaults).

    Args:
        name: the rule's id, one of ``names()`` ("sgd", "momentum", "adam", ...).
        **hyperparams: values by name (``hyper_specs(name)`` lists them, with ranges): a float,
            an array (a batch: every array and ``run``'s start broadcast together), a
            ``schedules.Schedule``, or one of the spec's choices for an option.

    Raises:
        ValueError naming the parameter, the value and the valid range for an unknown
        optimizer, an unknown hyperparameter or a value out of range, and naming both for values
        valid alone but not together (a line search's c1 ≥ c2).
    """
    rule = _rule(name)
    specs = {spec.name: spec for spec in rule.hyper}
    unknown = set(hyperparams) - set(specs)
    if unknown:
        raise ValueError(
            f"{sorted(unknown)[0]} is not a hyperparameter of {name}: valid ones are {', '.join(specs)}"
        )
    values = {key: _validate(spec, hyperparams.get(key, spec.default)) for key, spec in specs.items()}
    rule.check(values)
    return Optimizer(name, MappingProxyType(values), rule)


class LineSearchRecord(NamedTuple):
    """What the line search of each update k did, batch first like the other traces.

    alpha, status   (..., n): the step length taken (0: no step) and how the search ended, a code into
                    ``line_search.STATUS`` ("ok", "armijo only", "no step", "not descent")
    phi0, dphi0     (..., n): phi(0) = f(x_{k-1}) and phi'(0) = g·p (NaN where there was no search)
    trial_alpha, trial_phi, trial_dphi, trial_failed
                    (..., n, T) every trial in order: alpha, phi(alpha) = f(x + alpha p),
                    phi'(alpha) = ∇f(x + alpha p)·p (NaN where not evaluated) and the condition it
                    failed, a code into ``line_search.FAILED`` ("none": accepted, "armijo",
                    "curvature", "not lower"); NaN and -1 past a step's last trial
    The phi and trial fields are kept with ``record_state=True`` only (None otherwise).
    """

    alpha: np.ndarray
    status: np.ndarray
    phi0: np.ndarray | None = None
    dphi0: np.ndarray | None = None
    trial_alpha: np.ndarray | None = None
    trial_phi: np.ndarray | None = None
    trial_dphi: np.ndarray | None = None
    trial_failed: np.ndarray | None = None


class Trajectory:
    """What ``run`` returns.

    Single run (no array argument): ``xy`` has shape ``(n + 1, 2)`` with n = ``stopped_at``
    updates kept (``stopped_at - 1`` for a diverged run), every entry finite.

    Batch of shape B: ``xy`` has shape ``(*B, steps + 1, 2)``.  A run that stopped early
    holds its last valid point in ``xy`` (so its loss and ``grad`` hold too), its ``step`` and
    ``step_norm`` are 0 and its ``effective_lr``, ``grad_used``, ``lr`` and ``state`` are NaN
    after it; ``active`` marks the valid points, and ``status`` and ``stopped_at`` are arrays
    of shape B.

    Traces (the derived ones are computed on first access, so a large sweep that only
    reads ``status`` or ``final_xy`` never pays for them):
      xy            positions x_0 … x_n
      xy_avg        running (Polyak) average (x_0 + … + x_k)/(k + 1) of the valid iterates
      loss          f(x_k)
      grad          exact ∇f(x_k) (without noise)
      grad_used     the gradient each update used (noisy; at the look-ahead point for Nesterov)
      step          Δx_k = x_k − x_{k−1}, k = 1 … n
      step_norm     ‖Δx_k‖
      effective_lr  per coordinate, what multiplied the step direction at update k
      lr            the learning rate (schedule value) of update k
      state         with record_state=True: the rule's state after update k, by field name
                    (momentum_buffer, cache, exp_avg, exp_avg_sq, ...), each shaped like ``step``,
                    or (..., n, *shape) for a field that is not one vector per run (BFGS's matrix
                    (..., n, d, d), L-BFGS's pairs (..., n, m, d), a number per run (..., n))
      f_evals, grad_evals
                    evaluations of f and of ∇f made to know x_k and ∇f(x_k), cumulative, (..., n + 1):
                    ∇f once per point for a rule without a line search (f never); with one, also its
                    trials, counted as an implementation that keeps what it has would (phi(0) is the
                    previous step's accepted value, ∇f at the accepted trial is the next gradient)
      line_search   for a rule that searched (else None): a ``LineSearchRecord``; ``lr`` and
                    ``effective_lr`` are then the step length alpha_k each update took
    status: "converged" (‖∇f(x_k)‖ ≤ tol), "diverged" (update ``stopped_at`` produced a
    non-finite point or loss, or a point farther than ``diverge_radius`` (default
    DIVERGE_RADIUS_FACTOR half-diagonals of the domain) from the domain's centre in x or in y;
    xy ends at the point before it) or "max_steps".
    """

    def __init__(self, surface, optimizer, steps, xy, active, last_valid, status, stopped_at, grad_used,
                 effective_lr, lr, state, evaluations=None, line_search=None):
        self.surface = surface
        self.optimizer = optimizer
        self.steps = steps
        self.xy = xy
        self.active = active
        self._last_valid = last_valid
        self.status = status
        self.stopped_at = stopped_at
        self._grad_used, self._effective_lr, self._lr, self._state = grad_used, effective_lr, lr, state
        self._evaluations = evaluations  # (f_evals, grad_evals) of a searching rule, held after a stop
        self.line_search = line_search

    def __repr__(self):
        return f"<Trajectory {self.optimizer!r} status={self.status!r} xy.shape={self.xy.shape}>"

    def _after_start(self, values, vector=True):
        """Mask per-update values (…, n, [2]) with NaN where the run had already stopped."""
        if values is None:
            raise AttributeError("this trajectory was run with traces=False: it kept only the positions")
        mask = self.active[..., 1:]
        trailing = values.ndim - mask.ndim if vector else 0
        return np.where(mask.reshape(mask.shape + (1,) * trailing), values, np.nan)

    @functools.cached_property
    def loss(self) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self.surface.f(self.xy)

    @functools.cached_property
    def grad(self) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self.surface.grad(self.xy)

    @functools.cached_property
    def step(self) -> np.ndarray:
        return np.diff(self.xy, axis=-2)

    @functools.cached_property
    def step_norm(self) -> np.ndarray:
        return np.linalg.norm(self.step, axis=-1)

    @functools.cached_property
    def xy_avg(self) -> np.ndarray:
        active = self.active[..., None]
        average = np.cumsum(np.where(active, self.xy, 0.0), axis=-2) / np.cumsum(active, axis=-2)
        if self.active.all():
            return average
        last = np.take_along_axis(average, np.asarray(self._last_valid)[..., None, None], axis=-2)
        return np.where(active, average, last)

    @functools.cached_property
    def grad_used(self) -> np.ndarray:
        return self._after_start(self._grad_used)

    @functools.cached_property
    def effective_lr(self) -> np.ndarray:
        return self._after_start(self._effective_lr)

    @functools.cached_property
    def lr(self) -> np.ndarray:
        return self._after_start(self._lr, vector=False)

    @functools.cached_property
    def state(self) -> MappingProxyType:
        if self._state is None:
            raise AttributeError("this trajectory was run with traces=False: it kept only the positions")
        return MappingProxyType({name: self._after_start(values) for name, values in self._state.items()})

    @functools.cached_property
    def f_evals(self) -> np.ndarray:
        if self._evaluations is not None:
            return self._evaluations[0]
        return np.zeros(self.active.shape, dtype=np.int32)

    @functools.cached_property
    def grad_evals(self) -> np.ndarray:
        if self._evaluations is not None:
            return self._evaluations[1]
        points = np.arange(1, self.active.shape[-1] + 1, dtype=np.int32)
        held = np.minimum(points, np.asarray(self._last_valid)[..., None] + 1)
        return held.astype(np.int32)

    @property
    def final_xy(self) -> np.ndarray:
        return self.xy[..., -1, :]

    @property
    def final_loss(self) -> np.ndarray:
        return self.loss[..., -1]


def _check_start(start):
    try:
        start = np.asarray(start, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"start = {start!r} is not a point: give (x, y) with finite numbers") from None
    if start.ndim == 0 or start.shape[-1] != 2:
        raise ValueError(f"start = {start.tolist()!r} is not a point: give (x, y) with finite numbers")
    if not np.all(np.isfinite(start)):
        bad = start[~np.isfinite(start)].flat[0]
        raise ValueError(f"start = {start.tolist()!r} contains {bad}: valid range is finite numbers")
    return start


def _check_scalar(name, value, low, integer=False, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} = {value!r} is not a number: valid range is [{low:g}, inf)")
    if not (math.isfinite(value) and value >= low) or (integer and value != int(value)):
        kind = "whole numbers" if integer else "finite numbers"
        raise ValueError(f"{name} = {value!r} is out of range: valid range is {kind} ≥ {low:g}")
    return int(value) if integer else float(value)


def _check_seed(seed):
    if seed is None:
        return
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed = {seed!r} is not valid: use a whole number ≥ 0 or None")
    if seed < 0:
        raise ValueError(f"seed = {seed!r} is out of range: valid range is whole numbers ≥ 0")


def run(surface, opt: Optimizer, start=None, steps: int = 100, *, noise: float = 0.0, seed=None,
        tol: float | None = 1e-8, diverge_radius: float | None = None, record_state: bool = False,
        traces: bool = True) -> Trajectory:
    """Run ``opt`` on ``surface`` for up to ``steps`` updates from ``start`` (default: the surface's).

    Args:
        surface: a ``surfaces.Surface`` (``f``, ``grad``, ``hessian``, ``x_range``, ``y_range``, ...).
        opt: the optimizer, from ``make``; its array hyperparameters and schedules set the batch.
        start: the first point (x, y), or an array of them of shape (*B, 2); None: the surface's.
        steps: how many updates at most (a whole number ≥ 0).
        noise: σ ≥ 0 of N(0, σ²) noise added to each gradient coordinate.
        seed: the noise's random seed (a whole number ≥ 0), or None for fresh noise.
        tol: stop a run as converged once ‖∇f(x_k)‖ ≤ tol; None: never.
        diverge_radius: distance from the domain's centre, in x or in y, beyond which a run counts
            as diverged; None: DIVERGE_RADIUS_FACTOR (1000) half-diagonals of the domain.
        record_state: also keep the rule's state after every update in ``tr.state``.
        traces: False keeps only the positions (``xy`` and what derives from it: ``loss``, ``grad``,
            ``step``, ...), not ``grad_used``, ``effective_lr``, ``lr`` or ``state``: a third of the
            memory.  A large batch that needs only each run's outcome calls ``run_reduced``, which keeps
            no path at all.

    Returns:
        The Trajectory (see its docstring for the shapes of a single run and of a batch).

    Raises:
        ValueError naming the argument, the value and the valid range for bad input.
    """
    steps, noise, tol, start, constants, per_step, batch_shape, rng = _prepare(surface, opt, start, steps, noise,
                                                                               seed, tol)
    exact = rng is None and opt.rule.grad_point is None and traces
    watch = _watch(surface, start, diverge_radius, tol, exact, batch_shape)
    record = _Record.empty(opt.rule, np.broadcast_to(start, batch_shape + (2,)), steps, record_state, traces)
    searches = None
    if opt.rule.needs_surface(opt.hyperparams):
        searches = _Searches(surface, batch_shape, steps, record_state and traces, traces)
    with np.errstate(all="ignore"):
        _loop(surface, opt.rule, constants, per_step, record, watch, noise, rng, steps, searches)
    lr_trace = None
    if traces:
        lr_trace = searches.alpha if searches else _lr_trace(opt, per_step, steps, batch_shape)
    return _assemble(surface, opt, record, lr_trace, watch, batch_shape, searches)


class Outcome(NamedTuple):
    """What ``run_reduced`` keeps of every run, each array of the batch shape B (numbers for a single run).

    final_xy      (*B, 2) the last valid point (where a stopped run is held; the point before the blow-up of a
                  diverged run), the same as ``run(...).final_xy``
    final_loss    (*B) f there
    final_gap     (*B) the gap there: f − f_min, or ‖∇f‖ on a surface without a finite minimum (``gap``)
    status        (*B) "converged", "diverged" or "max_steps", the runner's verdict as in ``Trajectory``
    stopped_at    (*B) as in ``Trajectory``
    steps_to_tol  (*B) the first k with gap(x_k) ≤ tol_gap among the run's valid points; −1 if never, if the
                  run diverged, or if no tol_gap was given
    """

    final_xy: np.ndarray
    final_loss: np.ndarray
    final_gap: np.ndarray
    status: np.ndarray
    stopped_at: np.ndarray
    steps_to_tol: np.ndarray


def gap(surface, xy) -> np.ndarray:
    """f(x) − f_min at points ``xy`` (..., 2), or ‖∇f(x)‖ when the surface has no finite minimum: how far a run
    is from done (the one definition the analyses and ``run_reduced`` share)."""
    with np.errstate(all="ignore"):
        return _gap_values(surface, xy)


def _gap_values(surface, xy):
    if surface.f_min is None:
        return np.linalg.norm(surface.grad(xy), axis=-1)
    return surface.f(xy) - surface.f_min


def run_reduced(surface, opt: Optimizer, start=None, steps: int = 100, *, tol_gap: float | None = None,
                noise: float = 0.0, seed=None, tol: float | None = 1e-8,
                diverge_radius: float | None = None) -> Outcome:
    """``run`` for a large batch that needs only each run's outcome: the same loop and the same numbers, but
    it keeps running reductions (the last valid point, the first step with gap ≤ ``tol_gap``, the verdict)
    instead of every position, so its memory is a chunk of _CHECK_EVERY + 1 points per run whatever ``steps``.

    Args: as for ``run`` (no traces, no recorded state), and
        tol_gap: ``steps_to_tol`` counts the first k with gap(x_k) ≤ tol_gap (``gap``: f − f_min, or ‖∇f‖
            when the surface has no finite minimum); None: not counted (all −1).

    Returns:
        An ``Outcome``: per run, what ``run(...)`` followed by ``analysis.steps_to_tol`` would give, bit for bit.
    """
    steps, noise, tol, start, constants, per_step, batch_shape, rng = _prepare(surface, opt, start, steps, noise,
                                                                               seed, tol)
    tol_gap = _check_scalar("tol_gap", tol_gap, 0.0, allow_none=True)
    shape = batch_shape or (1,)  # a single run runs as a batch of one
    watch = _watch(surface, start, diverge_radius, tol, False, shape)
    record = _Record.empty(opt.rule, np.broadcast_to(start, shape + (2,)), steps, False, False, ring=True)
    searches = None
    if opt.rule.needs_surface(opt.hyperparams):
        searches = _Searches(surface, shape, steps, False, False, evaluations=False)
    reduce = _Reductions(surface, shape, tol_gap)
    with np.errstate(all="ignore"):
        last = _loop(surface, opt.rule, constants, per_step, record, watch, noise, rng, steps, searches, reduce)
        running = watch.stop_index < 0
        reduce.final_xy[running] = last.reshape(shape + (2,))[running]
        final_loss = surface.f(reduce.final_xy)
    final_gap = final_loss - surface.f_min if surface.f_min is not None else gap(surface, reduce.final_xy)
    last_valid, status, stopped_at = _verdict(watch, steps + 1)
    reduce.finish(last_valid)
    steps_to_tol = np.where(status == "diverged", -1, reduce.first)
    fields = (reduce.final_xy, final_loss, final_gap, status, stopped_at, steps_to_tol)
    if batch_shape == ():
        final_xy, *numbers = (field[0] for field in fields)
        return Outcome(final_xy, float(numbers[0]), float(numbers[1]), str(numbers[2]), int(numbers[3]),
                       int(numbers[4]))
    return Outcome(*fields)


class _Reductions:
    """A reduced run's running reductions: each run's first index k with gap(x_k) ≤ tol_gap, updated after
    every update on the new point while it is in cache (``step``), and each stopped run's last valid point,
    taken from the chunk of points whose check stopped it (``chunk``).  An index past a run's last valid point
    does not count (``finish``): the held path of ``run`` never reaches tol after it."""

    def __init__(self, surface, batch_shape, tol_gap):
        self.surface, self.tol_gap = surface, tol_gap
        self.final_xy = np.zeros(batch_shape + (2,))
        self.first = np.full(batch_shape, -1)

    def step(self, x, k: int):
        if self.tol_gap is not None:
            hit = _gap_values(self.surface, x) <= self.tol_gap  # the loop ignores floating-point errors
            hit &= self.first < 0
            np.copyto(self.first, k, where=hit)

    def chunk(self, record: _Record, watch: _Watch, lo: int, hi: int):
        stop = watch.stop_index
        newly = (stop >= lo) & (stop < hi)  # the runs this chunk's check stopped
        if np.any(newly):
            last = np.maximum(np.where(watch.stop_kind[newly] == 2, stop[newly] - 1, stop[newly]), 0)
            held = record.xs[:, newly]  # (rows, k, 2): their points since base
            self.final_xy[newly] = held[last - record.base, np.arange(held.shape[1])]

    def finish(self, last_valid):
        self.first[self.first > last_valid] = -1


# --- preparing a run -----------------------------------------------------------------------------------


def _prepare(surface, opt: Optimizer, start, steps, noise, seed, tol):
    """Checked arguments, the hyperparameters split into constants and schedule values, the batch shape
    and the noise's generator (None without noise)."""
    steps = _check_scalar("steps", steps, 0, integer=True)
    noise = _check_scalar("noise", noise, 0.0)
    tol = _check_scalar("tol", tol, 0.0, allow_none=True)
    start = _check_start(surface.default_start if start is None else start)
    _check_seed(seed)
    constants, per_step, batch_shape = _batch_hyperparams(opt, start, steps)
    if per_step:
        _check_together(opt, per_step, batch_shape)
    rng = np.random.default_rng(seed) if noise > 0 else None
    return steps, noise, tol, start, constants, per_step, batch_shape, rng


def hyper_schedule(opt: Optimizer, steps: int):
    """Split hyperparameters into constants and per-update arrays (steps, *shape), the schedules' values
    checked against their ranges (a network's trainer, ``nets.train``, reads them too)."""
    constants, per_step = {}, {}
    specs = {spec.name: spec for spec in opt.rule.hyper}
    for key, value in opt.hyperparams.items():
        if isinstance(value, Schedule):
            values = np.stack([np.asarray(value(t), dtype=float) for t in range(steps)]) if steps else np.zeros((0,))
            _check_value(specs[key], values)
            per_step[key] = values
        else:
            constants[key] = value
    return constants, per_step


def _batch_hyperparams(opt: Optimizer, start: np.ndarray, steps: int):
    """(constants, per-update schedule values, batch shape B): B broadcasts the start and every array."""
    constants, per_step = hyper_schedule(opt, steps)
    shapes = [start.shape[:-1]]
    shapes += [np.shape(v) for v in constants.values() if isinstance(v, np.ndarray)]
    shapes += [v.shape[1:] for v in per_step.values()]
    batch_shape = np.broadcast_shapes(*shapes)
    # Array hyperparameters are laid out in the full (*B, 2) shape once: NumPy multiplies two arrays
    # of one shape several times faster than it broadcasts (*B, 1) against (*B, 2).
    constants = {k: np.ascontiguousarray(np.broadcast_to(v[..., None], batch_shape + (2,)))
                 if isinstance(v, np.ndarray) else v for k, v in constants.items()}
    return constants, per_step, batch_shape


def _check_together(opt: Optimizer, per_step, batch_shape):
    """The rule's check of values valid alone but not together, on the schedules' values: every value
    laid out as (steps or 1, *B) so that they broadcast."""
    width = len(batch_shape)

    def aligned(value, leading):
        value = np.asarray(value) if not isinstance(value, str) else value
        if isinstance(value, str) or value.ndim == 0:
            return value
        core = value.shape[1:] if leading else value.shape
        return value.reshape(value.shape[:1] * leading + (1,) * (1 - leading) + (1,) * (width - len(core)) + core)

    hp = {key: aligned(per_step[key], 1) if key in per_step else aligned(value, 0)
          for key, value in opt.hyperparams.items()}
    opt.rule.check(hp)


class _Watch:
    """What decides that a run stopped, and what was decided: per run, the first index at which it
    converged (x_k) or diverged (x_k is bad), -1 while it runs, and which of the two (1, 2; 0 running)."""

    def __init__(self, surface, box_low, box_high, watch_loss, tol, grads_are_exact, batch_shape):
        self.f, self.grad = surface.f, surface.grad
        self.box_low, self.box_high, self.watch_loss, self.tol = box_low, box_high, watch_loss, tol
        # The gradient the loop takes at x_k is the exact ∇f(x_k) unless it is noisy or taken elsewhere.
        self.grads_are_exact = grads_are_exact
        self.stop_index = np.full(batch_shape, -1)
        self.stop_kind = np.zeros(batch_shape, dtype=np.int8)

    def all_stopped(self) -> bool:
        return bool(np.all(self.stop_index >= 0))


def _watch(surface, start, diverge_radius, tol, grads_are_exact, batch_shape) -> _Watch:
    """The box centre ± diverge_radius a run must stay in, and whether its loss must stay finite."""
    x_lo, x_hi = surface.x_range
    y_lo, y_hi = surface.y_range
    centre = np.array([(x_lo + x_hi) / 2, (y_lo + y_hi) / 2])
    default_radius = DIVERGE_RADIUS_FACTOR * math.hypot(x_hi - x_lo, y_hi - y_lo) / 2
    radius = _check_scalar("diverge_radius", default_radius if diverge_radius is None else diverge_radius, 0.0)
    # Surfaces defined everywhere have a finite f inside the default box, so f need not be watched there.
    watch_loss = not surface.defined_everywhere or radius > default_radius
    # the start itself is never "far": a run may start outside the plotted domain
    radius = max(radius, 2.0 * float(np.max(np.linalg.norm(start - centre, axis=-1))))
    return _Watch(surface, centre - radius, centre + radius, watch_loss, tol, grads_are_exact, batch_shape)


@dataclass
class _Record:
    """The run's buffers: positions (steps + 1, *B, 2) and, with traces, what each update used.

    A reduced run (``ring``) keeps only the positions of the chunk being checked: ``xs[i]`` is x_{base + i},
    and after each check the last checked point moves to row 0 (``base`` follows it)."""

    xs: np.ndarray
    grads_used: np.ndarray
    effective_lr: np.ndarray
    state_trace: dict
    traces: bool
    ring: bool = False
    base: int = 0

    @classmethod
    def empty(cls, rule: Rule, start: np.ndarray, steps: int, record_state: bool, traces: bool, ring=False):
        rows = min(steps, _CHECK_EVERY) + 1 if ring else steps + 1
        xs = np.empty((rows,) + start.shape)
        xs[0] = start
        if ring:
            return cls(xs, np.empty((0,) + start.shape), np.empty((0,) + start.shape), {}, False, True)
        grads_used = np.empty((steps if traces else 0,) + start.shape)
        fields = rule.init(xs[0])._asdict() if record_state and traces else {}
        state_trace = {name: np.empty((steps,) + _trace_shape(value, start.shape)) for name, value in fields.items()}
        return cls(xs, grads_used, np.empty_like(grads_used), state_trace, traces)


def _trace_shape(value, point_shape) -> tuple:
    """A state field is kept like the point (*B, d) unless it is an array of another rank: a matrix or a
    history per run (*B, m, d), or a number per run (*B)."""
    if isinstance(value, np.ndarray) and value.ndim != len(point_shape):
        return value.shape
    return point_shape


class _Searches:
    """For a rule that searches along its direction: the probe it is handed, and after every update
    the evaluations so far (steps + 1, *B), the step length and status, and (with record_state) the trials."""

    def __init__(self, surface, batch_shape, steps, record_trials, traces, evaluations=True):
        self.probe = line_search.Probe(surface, batch_shape, record=record_trials)
        self.evaluations = None  # a reduced run counts nothing per step
        if evaluations:
            self.evaluations = np.zeros((2, steps + 1) + batch_shape, dtype=np.int32)
            self.evaluations[1, 0] = 1
        n = steps if traces else 0
        self.alpha, self.status = np.zeros((n,) + batch_shape), np.zeros((n,) + batch_shape, dtype=np.int8)
        self.traces, self.record_trials = traces, record_trials
        self.trials, self.phi0 = [], []

    def wrap(self, update):
        """``update`` handed the probe; what its search did is written down after it."""
        probe = self.probe

        def searching_update(g, state, x, t, hp, hessian=None):
            delta, state, alpha = update(g, state, x, t, hp, hessian, surface=probe)
            self.finish(t - 1, alpha)
            return delta, state, alpha

        return searching_update

    def finish(self, index, alpha):
        probe = self.probe
        if self.traces:
            self.alpha[index] = np.asarray(alpha)[..., 0]
            self.status[index] = probe.status
        if self.record_trials:
            self.trials.append(probe.trials)
            self.phi0.append((probe.phi0, probe.dphi0))
        probe.next_step()
        if self.evaluations is not None:
            self.evaluations[0, index + 1] = probe.f_evals
            self.evaluations[1, index + 1] = probe.grad_evals


# --- the loop ------------------------------------------------------------------------------------------


def _loop(surface, rule: Rule, constants, per_step, record: _Record, watch: _Watch, noise, rng, steps,
          searches=None, reduce=None):
    """The updates, in place in ``record``; every _CHECK_EVERY updates, stop if every run has stopped.
    A rule that searches gets its update wrapped by ``searches`` (the others run it as it is).
    ``reduce`` (a reduced run's ``_Reductions``) sees every new point and every checked chunk of points (a
    reduced run's ``record`` is a ring of one chunk).  Returns the last point."""
    xs, grads_used, effective_lr, state_trace = record.xs, record.grads_used, record.effective_lr, record.state_trace
    traces, ring, base = record.traces, record.ring, 0
    update, grad_point, grad = rule.update, rule.grad_point, surface.grad
    if searches is not None:
        update = searches.wrap(update)
    hessian = surface.hessian if rule.needs_hessian else None
    x = xs[0].copy()
    state = rule.init(x)
    # Large batches keep running extremes (two in-cache operations a step beat re-reading the chunk);
    # a small batch reduces its short chunk instead and saves the per-step work.
    track_extremes = x.size > 64
    chunk_max, chunk_min = x.copy(), x.copy()
    extremes = (chunk_max, chunk_min) if track_extremes else None
    _check_chunk(watch, record, 0, 1, extremes)
    if reduce is not None:
        reduce.step(x, 0)
        reduce.chunk(record, watch, 0, 1)
    checked, t = 1, -1
    for t in range(steps):
        hp = constants
        if per_step:  # the schedules' values at update t (inline: no call per step)
            hp = dict(constants)
            for key, values in per_step.items():
                hp[key] = _with_coordinate_axis(values[t]) if values.ndim > 1 else float(values[t])
        g = grad(x if grad_point is None else grad_point(x, state, hp))
        if rng is not None:
            g = g + noise * rng.standard_normal(g.shape)
        delta, state, step_lr = update(g, state, x, t + 1, hp, hessian and hessian(x))
        if traces:
            effective_lr[t] = step_lr
            grads_used[t] = g
        x = np.add(x, delta, out=xs[t + 1 - base])
        if reduce is not None:
            reduce.step(x, t + 1)
        if track_extremes:
            np.maximum(chunk_max, x, out=chunk_max)
            np.minimum(chunk_min, x, out=chunk_min)
        if state_trace:
            for name, value in zip(state._fields, state):
                state_trace[name][t] = value
        if t % _CHECK_EVERY == _CHECK_EVERY - 1:
            _check_chunk(watch, record, checked, t + 2, extremes)
            if reduce is not None:
                reduce.chunk(record, watch, checked, t + 2)
            checked = t + 2
            chunk_max[...] = chunk_min[...] = x
            if watch.all_stopped():
                break
            if ring:  # the last checked point becomes row 0; the next chunk fills rows 1 …
                xs[0] = x
                record.base = base = t + 1
                x = xs[0]
    # Rows past t + 2 are never written: every run stopped before them, and _assemble holds its last point.
    if checked < t + 2:
        _check_chunk(watch, record, checked, t + 2, extremes)
        if reduce is not None:
            reduce.chunk(record, watch, checked, t + 2)
    return x


def _with_coordinate_axis(value):
    return value[..., None] if isinstance(value, np.ndarray) else value


# --- stopping --------------------------------------------------------------------------------------------


def _check_chunk(watch: _Watch, record: _Record, lo: int, hi: int, extremes):
    """Flag the runs that converged (‖∇f(x_k)‖ ≤ tol) or diverged at a point of xs[lo:hi].

    Diverged means leaving the box centre ± diverge_radius, a non-finite point, or (on surfaces
    not defined everywhere) a non-finite loss.  The loop keeps each run's running extremes over
    the chunk (NaN propagates through them), which tell the runs that went bad somewhere in it;
    only those few are searched point by point (``_first_stops``).
    """
    chunk = record.xs[lo - record.base:hi - record.base]
    running = watch.stop_index < 0
    highest, lowest = extremes if extremes else (chunk.max(axis=0), chunk.min(axis=0))
    candidates = ~((highest <= watch.box_high) & (lowest >= watch.box_low)).all(axis=-1)
    if watch.watch_loss:
        candidates |= ~np.isfinite(watch.f(chunk)).all(axis=0)
    small = None
    if watch.tol is not None:
        if watch.grads_are_exact:  # the loop has not yet taken the gradient at the newest point, x_{hi-1}
            gradients = np.concatenate([record.grads_used[lo:hi - 1], watch.grad(record.xs[hi - 1:hi])])
            small = np.einsum("...i,...i->...", gradients, gradients) <= watch.tol * watch.tol
        else:  # a few rows at a time: a surface's gradient makes temporaries several times the chunk's size
            small = np.empty(chunk.shape[:-1], dtype=bool)
            for row in range(0, len(chunk), _GRADIENT_ROWS):
                gradients = watch.grad(chunk[row:row + _GRADIENT_ROWS])
                squared = np.einsum("...i,...i->...", gradients, gradients)
                np.less_equal(squared, watch.tol * watch.tol, out=small[row:row + _GRADIENT_ROWS])
        candidates |= small.any(axis=0) & running
    candidates &= running
    if np.any(candidates):
        _first_stops(watch, chunk[:, candidates], None if small is None else small[:, candidates], lo, candidates)


def _first_stops(watch: _Watch, sub, small, lo: int, candidates):
    """Among the candidate runs' points ``sub`` (hi - lo, n, 2) of the chunk from ``lo``, the first bad
    one (diverged) and the first good one (‖∇f‖ ≤ tol, converged), whichever comes first, if any."""
    bad = ~((sub <= watch.box_high) & (sub >= watch.box_low)).all(axis=-1)
    if watch.watch_loss:
        bad |= ~np.isfinite(watch.f(sub))
    never = len(sub)
    first_bad = np.where(bad.any(axis=0), bad.argmax(axis=0), never)
    if small is not None:
        good = small & ~bad
        first_good = np.where(good.any(axis=0), good.argmax(axis=0), never)
    else:
        first_good = np.full_like(first_bad, never)
    first = np.minimum(first_bad, first_good)
    watch.stop_index[candidates] = np.where(first < never, lo + first, -1)
    watch.stop_kind[candidates] = np.where(first_good < first_bad, 1, np.where(first_bad < never, 2, 0))


# --- the Trajectory ----------------------------------------------------------------------------------------


def _lr_trace(opt: Optimizer, per_step, steps: int, batch_shape) -> np.ndarray:
    """The learning rate of every update, (steps, *B): the schedule's values or the constant."""
    if "lr" in per_step:
        values = per_step["lr"]
        values = values.reshape((steps,) + (1,) * (len(batch_shape) + 1 - values.ndim) + values.shape[1:])
    else:
        values = np.asarray(opt.hyperparams["lr"], dtype=float)
    return np.broadcast_to(values, (steps,) + batch_shape)


def _assemble(surface, opt, record: _Record, lr_trace, watch: _Watch, batch_shape, searches=None) -> Trajectory:
    """Hold stopped runs at their last valid point and move the step axis next to last."""
    xs = record.xs
    grads_used, effective_lr, state_trace = record.grads_used, record.effective_lr, record.state_trace
    if not record.traces:
        grads_used = effective_lr = state_trace = None
    n_points = xs.shape[0]
    last_valid, status, stopped_at = _verdict(watch, n_points)
    evaluations = None if searches is None else searches.evaluations

    if batch_shape == ():
        n = int(last_valid) + 1

        def cut(a):
            return None if a is None else a[: n - 1]

        return Trajectory(surface, opt, n_points - 1, xs[:n], np.ones(n, dtype=bool), n - 1, str(status),
                          int(stopped_at), cut(grads_used), cut(effective_lr), cut(lr_trace),
                          None if state_trace is None else {name: cut(v) for name, v in state_trace.items()},
                          None if evaluations is None else tuple(evaluations[:, :n]),
                          _line_search_record(searches, np.ones(n - 1, dtype=bool), n - 1))
    index = np.arange(n_points).reshape((n_points,) + (1,) * len(batch_shape))
    active = index <= last_valid  # (n_points, *B)
    xy = xs  # the run's own buffer: hold stopped runs in place
    if not np.all(last_valid == n_points - 1):
        held = np.take_along_axis(xs, np.broadcast_to(last_valid, (1,) + batch_shape)[..., None], axis=0)
        np.copyto(xy, np.broadcast_to(held, xy.shape), where=~active[..., None])
        if evaluations is not None:
            at_stop = np.take_along_axis(evaluations, np.broadcast_to(last_valid, (2, 1) + batch_shape), axis=1)
            np.copyto(evaluations, np.broadcast_to(at_stop, evaluations.shape), where=~active)

    def batch_first(a):
        return None if a is None else np.moveaxis(a, 0, len(batch_shape))

    return Trajectory(surface, opt, n_points - 1, batch_first(xy), batch_first(active), last_valid, status,
                      stopped_at, batch_first(grads_used), batch_first(effective_lr), batch_first(lr_trace),
                      None if state_trace is None else {k: batch_first(v) for k, v in state_trace.items()},
                      None if evaluations is None else tuple(batch_first(e) for e in evaluations),
                      _line_search_record(searches, active[1:], n_points - 1))


def _verdict(watch: _Watch, n_points: int):
    """Per run: the index of the last valid point, the status and stopped_at (see ``Trajectory``)."""
    stop_index, stop_kind = watch.stop_index, watch.stop_kind
    last_valid = np.where(stop_index < 0, n_points - 1, np.where(stop_kind == 2, stop_index - 1, stop_index))
    last_valid = np.maximum(last_valid, 0)
    status = np.where(stop_kind == 1, "converged", np.where(stop_kind == 2, "diverged", "max_steps"))
    stopped_at = np.where(stop_index < 0, n_points - 1, stop_index)
    return last_valid, status, stopped_at


def _line_search_record(searches, done, n_updates):
    """The LineSearchRecord of the first ``n_updates`` updates, batch first, blank where ``done`` is False
    (the run had stopped): alpha and phi NaN, codes -1."""
    if searches is None or not searches.traces:
        return None
    batch = done.ndim - 1

    def blank(values, fill, trials=False):
        values = values[:n_updates]
        mask = done.reshape(done.shape[:1] + (1,) * trials + done.shape[1:])
        values = np.where(mask, values, fill)
        return np.moveaxis(values, (0, 1) if trials else 0, (batch, batch + 1) if trials else batch)

    fields = dict(alpha=blank(searches.alpha, np.nan), status=blank(searches.status, -1).astype(np.int8))
    if searches.record_trials:
        steps = searches.trials[:n_updates]
        width = max([len(trials) for trials in steps] + [1])
        shape = (n_updates, width) + done.shape[1:]
        columns = [np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, -1)]
        for k, trials in enumerate(steps):
            for j, trial in enumerate(trials):
                for column, value in zip(columns, trial):
                    column[k, j] = value
        phi0 = np.array([pair[0] for pair in searches.phi0[:n_updates]]).reshape(done.shape)
        dphi0 = np.array([pair[1] for pair in searches.phi0[:n_updates]]).reshape(done.shape)
        fields.update(phi0=blank(phi0, np.nan), dphi0=blank(dphi0, np.nan),
                      trial_alpha=blank(columns[0], np.nan, True), trial_phi=blank(columns[1], np.nan, True),
                      trial_dphi=blank(columns[2], np.nan, True),
                      trial_failed=blank(columns[3], -1, True).astype(np.int8))
    return LineSearchRecord(**fields)
