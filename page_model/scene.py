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
SCHEDULES = ("constant", "step", "exponential", "inverse_time")
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
    schedule: str = "constant"  # of every run's lr: constant | step | exponential | inverse_time
    decay_k: float = 0.05  # exponential: lr·e^(−kt); inverse_time: lr/(1 + kt)
    step_factor: float = 0.5  # step: multiply by step_factor …
    step_every: int = 10  # … every step_every updates
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

    def lr_schedule(self, lr: float):
        """The learning-rate schedule of a run whose lr slider says ``lr``."""
        if self.schedule == "step":
            return schedules.step_decay(lr, self.step_factor, self.step_every)
        if self.schedule == "exponential":
            return schedules.exponential_decay(lr, self.decay_k)
        if self.schedule == "inverse_time":
            return schedules.inverse_time_decay(lr, self.decay_k)
        return lr

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
