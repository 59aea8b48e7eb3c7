"""What the page shows, as one immutable value: a ``Scene`` (surface, start, steps, runs, ...), and
the values its controls offer (slider grids, limits).

No Streamlit here: the scene is plain data, testable on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import optim_core
import surfaces
from optim_core import schedules
from viz.i18n import Message, TranslatedError


TOL_OPTIONS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8, 1e-10)
SCHEDULES = ("constant", "step", "exponential", "inverse_time", "cosine", "warm_restarts", "cyclic", "one_cycle")
# the Scene's fields each schedule reads (the warm-up, ``warmup``, goes with any of them)
SCHEDULE_PARAMS = {"constant": (), "step": ("step_factor", "step_every"), "exponential": ("decay_k",),
                   "inverse_time": ("decay_k",), "cosine": ("min_factor",),
                   "warm_restarts": ("cycles", "t_mult", "min_factor"), "cyclic": ("cycles", "min_factor"),
                   "one_cycle": ("pct_start", "anneal", "div_factor", "final_div_factor")}
# every field of the lr schedule, in the URL's order (a widget each in the sidebar)
SCHEDULE_FIELDS = ("schedule", "decay_k", "step_factor", "step_every", "warmup", "cycles", "t_mult", "min_factor",
                   "pct_start", "div_factor", "final_div_factor", "anneal")
# their valid values (the URL's and the sidebar's); the engine's own bounds are wider
DECAY_K_RANGE = (0.0, 10.0)
STEP_FACTOR_RANGE = (0.01, 1.0)
STEP_EVERY_RANGE = (1, 1000)
WARMUP_RANGE = (0, 3000)
CYCLES_RANGE = (1, 100)
T_MULT_RANGE = (1, 10)
MIN_FACTOR_RANGE = (0.0, 1.0)
PCT_START_RANGE = (0.01, 0.99)
DIV_FACTOR_RANGE = (1.0, 1e4)
FINAL_DIV_FACTOR_RANGE = (1.0, 1e6)
ANNEALS = ("cos", "linear")
_WHOLE_FIELDS = ("warmup", "cycles", "t_mult")
_FLOAT_FIELDS = ("min_factor", "pct_start", "div_factor", "final_div_factor")
LANGUAGES = ("en", "zh")
FORMULA = "formula"  # the surface id of a typed formula (surfaces.from_formula)
FORMULA_RANGE = (-5.0, 5.0)
FORMULA_EXAMPLE = "sin(x)*cos(y) + 0.1*(x**2 + y**2)"
RANGE_LIMIT = 1e4  # a typed domain must lie within ±RANGE_LIMIT
MAX_RUNS = 8
STEPS_RANGE = (1, 3000)
NOISE_RANGE = (0.0, 10.0)
SEED_RANGE = (0, 1_000_000)


def options_with(options: tuple, value) -> tuple:
    """The slider's options, with ``value`` inserted in order if it is not one of them."""
    return options if value in options else tuple(sorted(options + (value,)))


@dataclass(frozen=True)
class RunSpec:
    """One run: an optimizer and all its hyperparameters (as (name, value) pairs, in spec order)."""

    optimizer: str
    hyper: tuple

    @classmethod
    def of(cls, optimizer: str, **hyper) -> "RunSpec":
        """A run with ``hyper`` over the optimizer's defaults (raises ValueError if invalid)."""
        specs = optim_core.hyper_specs(optimizer)
        optim_core.make(optimizer, **hyper)  # validates names and ranges
        return cls(optimizer, tuple((spec.name, hyper.get(spec.name, spec.default)) for spec in specs))

    @property
    def params(self) -> dict:
        return dict(self.hyper)

    @property
    def title(self) -> str:
        return optim_core.RULES[self.optimizer].title

    def label(self) -> str:
        """A short name for legends: "Adam lr=0.3" (plus what differs from the defaults)."""
        defaults = {spec.name: spec.default for spec in optim_core.hyper_specs(self.optimizer)}
        parts = [f"lr={_short(self.params['lr'])}"]
        parts += [f"{k}={_short(v)}" for k, v in self.hyper if k != "lr" and v != defaults[k]]
        return f"{self.title} " + " ".join(parts)


def _short(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return value
    return f"{value:.4g}"


@dataclass(frozen=True)
class Scene:
    """Everything a shared link reproduces."""

    surface: str = "bowl"
    surface_params: tuple = ()
    start: tuple = (-7.0, 2.0)
    steps: int = 30
    runs: tuple = ()
    # of every run's lr: constant | step | exponential | inverse_time | cosine | warm_restarts | cyclic | one_cycle
    schedule: str = "constant"
    decay_k: float = 0.05  # exponential: lr·e^(−kt); inverse_time: lr/(1 + kt)
    step_factor: float = 0.5  # step: multiply by step_factor …
    step_every: int = 10  # … every step_every updates
    # With any schedule: a linear warm-up from 0 over the first W updates (0: none); the schedule starts after it.
    warmup: int = 0
    # The cyclic schedules count in the scene's updates: their periods follow ``steps`` (see schedule_length).
    cycles: int = 3  # warm_restarts, cyclic: how many cycles fit in the updates after the warm-up
    t_mult: int = 1  # warm_restarts: each cycle T_mult times as long as the one before (SGDR's T_mult)
    min_factor: float = 0.1  # cosine, warm_restarts, cyclic: the lowest lr, as a fraction of the run's lr
    pct_start: float = 0.3  # one_cycle: the fraction of the updates spent rising (torch's defaults from here on)
    div_factor: float = 25.0  # one_cycle: it starts at lr/div_factor …
    final_div_factor: float = 1e4  # … and ends at lr/(div_factor·final_div_factor)
    anneal: str = "cos"  # one_cycle: "cos" or "linear"
    mu_ramp: int = 0  # 0: off; N: mu ramps linearly from 0.5 to the run's mu over N updates
    noise: float = 0.0
    seed: int = 0
    average: bool = False  # draw the running (Polyak) average of each path
    tol: float = 1e-3  # "steps to reach": first k with f(x_k) − f_min ≤ tol
    field: bool = False  # gradient field arrows
    projector: bool = False  # larger type, thicker paths, fewer controls
    lang: str = "en"  # the page's language: "en" or "zh"
    formula: str = ""  # with surface == FORMULA: f(x, y) as typed, and its domain
    x_range: tuple = FORMULA_RANGE
    y_range: tuple = FORMULA_RANGE

    def __post_init__(self):
        # every parameter of the surface, defaults filled in, so equal scenes compare equal
        given = dict(self.surface_params)
        specs = () if self.surface == FORMULA else surfaces.param_specs(self.surface)
        full = tuple((spec.name, float(given.get(spec.name, spec.default))) for spec in specs)
        object.__setattr__(self, "surface_params", full)
        object.__setattr__(self, "start", (float(self.start[0]), float(self.start[1])))
        for name in _WHOLE_FIELDS:  # widgets and URLs may hand 3.0 for 3: one value, one spelling
            object.__setattr__(self, name, int(getattr(self, name)))
        for name in _FLOAT_FIELDS:
            object.__setattr__(self, name, float(getattr(self, name)))
        if self.surface != FORMULA:  # the formula fields mean nothing then: keep them neutral
            object.__setattr__(self, "formula", "")
            object.__setattr__(self, "x_range", FORMULA_RANGE)
            object.__setattr__(self, "y_range", FORMULA_RANGE)
        else:
            object.__setattr__(self, "x_range", (float(self.x_range[0]), float(self.x_range[1])))
            object.__setattr__(self, "y_range", (float(self.y_range[0]), float(self.y_range[1])))

    def surface_object(self):
        """The Surface (raises ValueError for a formula the parser refuses)."""
        if self.surface == FORMULA:
            return surfaces.from_formula(self.formula, x_range=self.x_range, y_range=self.y_range)
        return surfaces.get(self.surface, **dict(self.surface_params))

    def schedule_length(self) -> int:
        """The updates the schedule itself spans: the scene's steps after the warm-up (at least 1).  The
        cosine's T and one-cycle's total steps are this; the cycles of warm_restarts and cyclic divide it."""
        return max(1, self.steps - self.warmup)

    def cycle_period(self) -> int:
        """warm_restarts: the first period T₀, so that ``cycles`` periods T₀, T₀·T_mult, … fit in
        ``schedule_length()`` (rounded down: the rest of the run starts one more cycle); cyclic: the step
        size s (a cycle is 2s updates, ``cycles`` of them fit).  Otherwise 0."""
        length, n, m = self.schedule_length(), self.cycles, self.t_mult
        if self.schedule == "warm_restarts":
            return max(1, length // n if m == 1 else length * (m - 1) // (m**n - 1))
        if self.schedule == "cyclic":
            return max(1, length // (2 * n))
        return 0

    def lr_schedule(self, lr: float):
        """The learning-rate schedule of a run whose lr slider says ``lr`` (a plain number when constant).
        The cyclic schedules peak at ``lr``; their lowest value is ``min_factor``·lr (one-cycle: torch's
        lr/div_factor at the start and lr/(div_factor·final_div_factor) at the end)."""
        low, length = self.min_factor * lr, self.schedule_length()
        if self.schedule == "step":
            schedule = schedules.step_decay(lr, self.step_factor, self.step_every)
        elif self.schedule == "exponential":
            schedule = schedules.exponential_decay(lr, self.decay_k)
        elif self.schedule == "inverse_time":
            schedule = schedules.inverse_time_decay(lr, self.decay_k)
        elif self.schedule == "cosine":
            schedule = schedules.cosine_annealing(lr, length, low)
        elif self.schedule == "warm_restarts":
            schedule = schedules.warm_restarts(lr, self.cycle_period(), self.t_mult, low)
        elif self.schedule == "cyclic":
            schedule = schedules.cyclic_triangular(low, lr, self.cycle_period())
        elif self.schedule == "one_cycle":
            schedule = schedules.one_cycle(lr, length, self.pct_start, self.div_factor, self.final_div_factor,
                                           self.anneal)
        else:
            schedule = lr
        if self.warmup:
            return schedules.linear_warmup(schedule, self.warmup)
        return schedule

    def cycle_ends(self) -> tuple:
        """The update counts k ≤ steps after which a cycle of the lr schedule is complete (``xy[k]`` of each
        path: the snapshots of a snapshot ensemble); () for a schedule without cycles."""
        schedule = self.lr_schedule(1.0)
        return schedule.cycle_ends(self.steps) if isinstance(schedule, schedules.Schedule) else ()

    def optimizer(self, run: RunSpec) -> optim_core.Optimizer:
        hyper = run.params
        hyper["lr"] = self.lr_schedule(hyper["lr"])
        if self.mu_ramp and "mu" in hyper and hyper["mu"] > 0.5:
            hyper["mu"] = schedules.linear_ramp(0.5, hyper["mu"], self.mu_ramp)
        return optim_core.make(run.optimizer, **hyper)


def check_range(low, high, name: str) -> tuple:
    """A typed domain (low, high): finite, low < high, within ±RANGE_LIMIT; a ValueError
    (``i18n.TranslatedError``, ``name`` translated when the table has it) otherwise."""
    if not (math.isfinite(low) and math.isfinite(high) and -RANGE_LIMIT <= low < high <= RANGE_LIMIT):
        raise TranslatedError(Message("{name} = ({low:g}, {high:g}) is not valid: give low < high, both within "
                                      "±{limit:g}", name=Message(name), low=low, high=high, limit=RANGE_LIMIT))
    return (float(low), float(high))


def start_bounds(surface) -> tuple:
    """Where a start point may be: the surface's domain widened by half its size on every side."""
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    dx, dy = (x_hi - x_lo) / 2, (y_hi - y_lo) / 2
    return (x_lo - dx, x_hi + dx), (y_lo - dy, y_hi + dy)
