"""What the page shows, as one immutable value: a ``Scene`` (surface, start, steps, runs, ...).

The app builds a Scene from its widgets, writes it to the URL with ``to_query`` and reads a
shared link back with ``from_query``, which never raises: every malformed, unknown or
out-of-range value falls back to its default and adds a warning naming the field and its
valid range.  The warnings are ``i18n.Message``s: English strings that the page renders in its
own language.  ``simulate`` runs every run of a scene with ``optim_core``.

No Streamlit here: the scene is plain data, testable on its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Mapping

import numpy as np

import optim_core
import surfaces
from optim_core import schedules

from .i18n import Message, TranslatedError


def _two_digit_grid(low_exponent, high_exponent):
    """Every value with two significant digits from 10**low to 10**high: 1.0, 1.1, …, 9.9 per decade."""
    values = [round(m / 10 * 10.0**e, 12) for e in range(low_exponent, high_exponent) for m in range(10, 100)]
    return tuple(values) + (10.0**high_exponent,)


# Slider values.  Values outside these lists (from a shared link) are inserted where they belong.
LR_OPTIONS = _two_digit_grid(-5, 1)  # 1e-5 … 10, log scale
EPS_OPTIONS = (0.0,) + tuple(round(m * 10.0**e, 15) for e in range(-12, 0) for m in (1, 2, 5)) + (1.0,)
MOMENTUM_OPTIONS = tuple(round(0.05 * i, 2) for i in range(20)) + (0.96, 0.97, 0.98, 0.99, 0.995, 0.999)
DECAY_OPTIONS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999)
WEIGHT_DECAY_OPTIONS = (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)
TOL_OPTIONS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8, 1e-10)
SLIDER_OPTIONS = {
    "lr": LR_OPTIONS,
    "eps": EPS_OPTIONS,
    "mu": MOMENTUM_OPTIONS,
    "beta1": MOMENTUM_OPTIONS,
    "beta2": DECAY_OPTIONS,
    "decay_rate": DECAY_OPTIONS,
    "rho": DECAY_OPTIONS,
    "weight_decay": WEIGHT_DECAY_OPTIONS,
}
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


def _book_runs():
    return (RunSpec.of("sgd", lr=0.95), RunSpec.of("momentum", lr=0.1, mu=0.9), RunSpec.of("adagrad", lr=1.5),
            RunSpec.of("adam", lr=0.3))


@dataclass(frozen=True)
class Preset:
    title: str
    description: str
    scene: Scene = field(repr=False)


def _ill_conditioned_momentum():
    """Momentum at the quadratic optimum lr* = (2/(√λmin + √λmax))², mu* = ((√κ − 1)/(√κ + 1))²."""
    kappa = 100.0
    lr = (2 / (math.sqrt(1 / kappa) + 1.0)) ** 2
    mu = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    return RunSpec.of("momentum", lr=round(lr, 4), mu=round(mu, 4))


PRESETS = {
    "book": Preset(
        "The book's comparison (ch. 6)",
        "f = x²/20 + y² from (−7, 2), 30 steps: SGD zig-zags, Momentum rolls like a ball, AdaGrad damps "
        "the steep direction, Adam combines both.",
        Scene(runs=_book_runs()),
    ),
    "saddle": Preset(
        "A saddle point",
        "f = x² − y², starting just off the ridge: SGD lingers near the saddle, Momentum and Adam escape, "
        "Newton jumps onto the saddle.",
        Scene(surface="saddle", start=(-1.5, 1e-3), steps=40,
              runs=(RunSpec.of("sgd", lr=0.05), RunSpec.of("momentum", lr=0.05, mu=0.9), RunSpec.of("adam", lr=0.05),
                    RunSpec.of("newton"))),
    ),
    "rosenbrock": Preset(
        "The Rosenbrock valley",
        "A curved, flat-bottomed valley: SGD crawls, Momentum and Nesterov follow the valley, Newton needs a "
        "handful of steps.",
        Scene(surface="rosenbrock", start=(-1.2, 1.0), steps=500, tol=1e-4,
              runs=(RunSpec.of("sgd", lr=1e-3), RunSpec.of("momentum", lr=1e-3, mu=0.9),
                    RunSpec.of("nesterov", lr=1e-3, mu=0.9), RunSpec.of("adam", lr=0.05), RunSpec.of("newton"))),
    ),
    "beale": Preset(
        "Beale's function, the classic set",
        "The optimizers of the well-known animations on Beale's function, from (1, 1.5).",
        Scene(surface="beale", start=(1.0, 1.5), steps=300,
              runs=(RunSpec.of("sgd", lr=1e-3), RunSpec.of("momentum", lr=1e-3, mu=0.9),
                    RunSpec.of("nesterov", lr=1e-3, mu=0.9), RunSpec.of("adagrad", lr=0.5),
                    RunSpec.of("adadelta", lr=1.0), RunSpec.of("rmsprop", lr=0.01), RunSpec.of("adam", lr=0.05))),
    ),
    "ill_conditioned": Preset(
        "Ill-conditioned bowl, κ = 100",
        "A rotated quadratic with condition number 100: SGD at lr just under 2/λmax zig-zags, Momentum at its "
        "theoretical optimum (lr*, mu*) converges fast, Adam rotates badly.",
        Scene(surface="ill_conditioned", surface_params=(("kappa", 100.0), ("angle", 30.0)),
              start=surfaces.get("ill_conditioned", kappa=100.0, angle=30.0).default_start, steps=100,
              runs=(RunSpec.of("sgd", lr=1.9), _ill_conditioned_momentum(), RunSpec.of("nesterov", lr=1.0, mu=0.9),
                    RunSpec.of("adam", lr=0.3))),
    ),
}
DEFAULT_SCENE = PRESETS["book"].scene


# --- URL ------------------------------------------------------------------------------------


def _format(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, tuple):
        return ",".join(map(_format, value))
    return repr(float(value))  # the shortest text that reads back as the same float


def run_to_text(run: RunSpec) -> str:
    """"adam:lr=0.3,beta1=0.9,…": one run in a URL."""
    return run.optimizer + ":" + ",".join(f"{k}={_format(v)}" for k, v in run.hyper)


def to_query(scene: Scene) -> dict:
    """The scene as URL query parameters (a list value is a repeated key)."""
    query = {
        "surface": scene.surface,
        "start": f"{_format(scene.start[0])},{_format(scene.start[1])}",
        "steps": str(scene.steps),
        "run": [run_to_text(run) for run in scene.runs],
    }
    for name, value in scene.surface_params:
        query[f"surface.{name}"] = _format(value)
    if scene.surface == FORMULA:
        query["formula"] = scene.formula
        query["x_range"] = _format(scene.x_range)
        query["y_range"] = _format(scene.y_range)
    defaults = Scene()
    for name in ("schedule", "decay_k", "step_factor", "step_every", "mu_ramp", "noise", "seed", "average", "tol",
                 "field", "projector", "lang"):
        value = getattr(scene, name)
        if value != getattr(defaults, name):
            query[name] = _format(value)
    return query


class _Reader:
    """Reads query values one by one, collecting a warning (a Message) for each one it cannot use.
    ``where`` names the part of the URL being read when it is not the URL as a whole (one run)."""

    def __init__(self, query: Mapping, where: Message | None = None):
        self.query = query
        self.where = where
        self.warnings = []

    def raw(self, key):
        value = self.query.get(key)
        if isinstance(value, (list, tuple)):
            value = value[-1] if value else None
        return value

    def refuse(self, key, text, valid: Message, default, outcome: Message | None = None):
        """Warn that ``key=text`` is not ``valid`` and say what happens instead (default: ``default`` is used)."""
        shown = repr(text if len(str(text)) <= 60 else str(text)[:57] + "…")
        outcome = outcome or Message("using {default}", default=_format(default))
        if self.where is None:
            self.warnings.append(Message("URL value {key}={shown} is not valid ({valid}); {outcome}.", key=key,
                                         shown=shown, valid=valid, outcome=outcome))
        else:
            self.warnings.append(Message("{where}: {key}={shown} is not valid ({valid}); {outcome}.",
                                         where=self.where, key=key, shown=shown, valid=valid, outcome=outcome))
        return default

    def number(self, key, default, low, high, integer=False, choices=None):
        text = self.raw(key)
        if text is None:
            return default
        if choices is not None:
            valid = Message("one of {choices}", choices=", ".join(map(_format, choices)))
        elif integer:
            valid = Message("a whole number from {low:g} to {high:g}", low=low, high=high)
        else:
            valid = Message("a number from {low:g} to {high:g}", low=low, high=high)
        try:
            value = float(text)
        except ValueError:
            return self.refuse(key, text, valid, default)
        if not (math.isfinite(value) and low <= value <= high) or (integer and value != int(value)):
            return self.refuse(key, text, valid, default)
        if choices is not None and value not in choices:
            return self.refuse(key, text, valid, default)
        return int(value) if integer else value

    def flag(self, key, default):
        text = self.raw(key)
        if text is None:
            return default
        if text in ("0", "1"):
            return text == "1"
        return self.refuse(key, text, Message("0 or 1"), default)

    def choice(self, key, default, choices):
        text = self.raw(key)
        if text is None:
            return default
        if text in choices:
            return text
        return self.refuse(key, text, Message("one of {choices}", choices=", ".join(choices)), default)


def _parse_run(text: str, reader: _Reader, index: int):
    optimizer, _, rest = str(text).partition(":")
    key = Message("run {n}", n=index + 1)
    if optimizer not in optim_core.names():
        reader.refuse(key, text, Message("an optimizer: {names}", names=", ".join(optim_core.names())), None,
                      outcome=Message("run left out"))
        return None
    specs = {spec.name: spec for spec in optim_core.hyper_specs(optimizer)}
    hyper = {}
    for item in filter(None, rest.split(",")):
        name, _, value = item.partition("=")
        spec = specs.get(name)
        if spec is None:
            reader.warnings.append(Message("URL value {key}: {name} is not a hyperparameter of {optimizer} ({names}); "
                                           "ignored.", key=key, name=repr(name), optimizer=optimizer,
                                           names=", ".join(specs)))
            continue
        sub = _Reader({name: value}, where=Message("run {n} ({optimizer})", n=index + 1, optimizer=optimizer))
        if spec.choices:
            if isinstance(spec.default, bool):
                hyper[name] = sub.flag(name, spec.default)
            else:
                hyper[name] = sub.choice(name, spec.default, spec.choices)
        else:
            low, high, _ = spec.slider
            low = min(low, min(SLIDER_OPTIONS.get(name, (low,))))
            high = max(high, max(SLIDER_OPTIONS.get(name, (high,))))
            parsed = sub.number(name, spec.default, low, high)
            if parsed != spec.default and not _in_engine_range(spec, parsed):
                parsed = sub.refuse(name, value, Message("see the slider's range"), spec.default)
            hyper[name] = parsed
        reader.warnings += sub.warnings
    return RunSpec.of(optimizer, **hyper)


def _in_engine_range(spec, value) -> bool:
    low_ok = value >= spec.low if spec.low_inclusive else value > spec.low
    high_ok = value <= spec.high if spec.high_inclusive else value < spec.high
    return low_ok and high_ok


def from_query(query: Mapping) -> tuple:
    """(Scene, warnings) from URL query parameters; never raises.  A missing key takes the
    default scene's value; so does every value that cannot be used, with a warning (a Message:
    the English text, renderable in the page's language)."""
    reader = _Reader(query)
    default = DEFAULT_SCENE
    surface_id = reader.choice("surface", default.surface, surfaces.names() + (FORMULA,))
    formula, x_range, y_range = "", FORMULA_RANGE, FORMULA_RANGE
    if surface_id == FORMULA:
        formula = str(reader.raw("formula") or "")
        x_range = _parse_range(reader, "x_range")
        y_range = _parse_range(reader, "y_range")
        try:
            surface = surfaces.from_formula(formula, x_range=x_range, y_range=y_range)
        except ValueError as error:
            shown = formula if len(formula) <= 60 else formula[:57] + "…"
            reader.warnings.append(Message("URL value formula={shown} cannot be used ({error}); using the default "
                                           "surface.", shown=repr(shown), error=Message.of(error)))
            surface_id, formula = default.surface, ""
    specs = () if surface_id == FORMULA else surfaces.param_specs(surface_id)
    surface_params = tuple((spec.name, reader.number(f"surface.{spec.name}", spec.default, spec.low, spec.high))
                           for spec in specs)
    unknown = sorted(k for k in query if k.startswith("surface.") and k[8:] not in {s.name for s in specs})
    for key in unknown:
        reader.warnings.append(Message("URL value {key} is not a parameter of {surface}; ignored.", key=key,
                                       surface=surface_id))
    if surface_id != FORMULA:
        surface = surfaces.get(surface_id, **dict(surface_params))
    start = _parse_start(reader, surface, default if surface_id == default.surface else None)

    run_texts = query.get("run")
    if run_texts is None:
        runs = default.runs
    else:
        run_texts = [run_texts] if isinstance(run_texts, str) else list(run_texts)
        if len(run_texts) > MAX_RUNS:
            reader.warnings.append(Message("URL has {count} runs; the page shows at most {max_runs}.",
                                           count=len(run_texts), max_runs=MAX_RUNS))
        runs = tuple(r for i, t in enumerate(run_texts[:MAX_RUNS]) if (r := _parse_run(t, reader, i)) is not None)

    base = Scene()
    scene = Scene(
        surface=surface_id,
        surface_params=surface_params,
        start=start,
        steps=reader.number("steps", default.steps, *STEPS_RANGE, integer=True),
        runs=runs,
        schedule=reader.choice("schedule", base.schedule, SCHEDULES),
        decay_k=reader.number("decay_k", base.decay_k, 0.0, 10.0),
        step_factor=reader.number("step_factor", base.step_factor, 0.01, 1.0),
        step_every=reader.number("step_every", base.step_every, 1, 1000, integer=True),
        mu_ramp=reader.number("mu_ramp", base.mu_ramp, 0, 3000, integer=True),
        noise=reader.number("noise", base.noise, *NOISE_RANGE),
        seed=reader.number("seed", base.seed, *SEED_RANGE, integer=True),
        average=reader.flag("average", base.average),
        tol=reader.number("tol", base.tol, 1e-10, 1e-1, choices=TOL_OPTIONS),
        field=reader.flag("field", base.field),
        projector=reader.flag("projector", base.projector),
        lang=reader.choice("lang", base.lang, LANGUAGES),
        formula=formula,
        x_range=x_range,
        y_range=y_range,
    )
    return scene, reader.warnings


def check_range(low, high, name: str) -> tuple:
    """A typed domain (low, high): finite, low < high, within ±RANGE_LIMIT; a ValueError
    (``i18n.TranslatedError``, ``name`` translated when the table has it) otherwise."""
    if not (math.isfinite(low) and math.isfinite(high) and -RANGE_LIMIT <= low < high <= RANGE_LIMIT):
        raise TranslatedError(Message("{name} = ({low:g}, {high:g}) is not valid: give low < high, both within "
                                      "±{limit:g}", name=Message(name), low=low, high=high, limit=RANGE_LIMIT))
    return (float(low), float(high))


def _parse_range(reader: _Reader, key: str) -> tuple:
    text = reader.raw(key)
    if text is None:
        return FORMULA_RANGE
    valid = Message("low,high with low < high, both within ±{limit:g}", limit=RANGE_LIMIT)
    try:
        low, high = (float(p) for p in str(text).split(","))
        return check_range(low, high, key)
    except ValueError:
        return reader.refuse(key, text, valid, FORMULA_RANGE)


def start_bounds(surface) -> tuple:
    """Where a start point may be: the surface's domain widened by half its size on every side."""
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    dx, dy = (x_hi - x_lo) / 2, (y_hi - y_lo) / 2
    return (x_lo - dx, x_hi + dx), (y_lo - dy, y_hi + dy)


def _parse_start(reader: _Reader, surface, default_scene):
    fallback = default_scene.start if default_scene is not None else tuple(surface.default_start)
    text = reader.raw("start")
    if text is None:
        return fallback
    (x_lo, x_hi), (y_lo, y_hi) = start_bounds(surface)
    valid = Message("x,y with x in [{x_lo:g}, {x_hi:g}] and y in [{y_lo:g}, {y_hi:g}]", x_lo=x_lo, x_hi=x_hi,
                    y_lo=y_lo, y_hi=y_hi)
    parts = str(text).split(",")
    try:
        x, y = (float(p) for p in parts)
    except ValueError:
        return reader.refuse("start", text, valid, fallback)
    if not (x_lo <= x <= x_hi and y_lo <= y <= y_hi):  # also refuses nan
        return reader.refuse("start", text, valid, fallback)
    return (x, y)


# --- running a scene ----------------------------------------------------------------------------


def simulate(scene: Scene) -> tuple:
    """Every run of the scene, as optim_core Trajectories (same start, steps, noise and seed)."""
    surface = scene.surface_object()
    return tuple(
        optim_core.run(surface, scene.optimizer(run), start=scene.start, steps=scene.steps, noise=scene.noise,
                       seed=scene.seed)
        for run in scene.runs
    )


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


def summarise(scene: Scene, trajectories) -> tuple:
    surface = scene.surface_object()
    rows = []
    for run, tr in zip(scene.runs, trajectories):
        gap = tr.loss - surface.f_min if surface.f_min is not None else tr.loss
        reached = np.flatnonzero(gap <= scene.tol) if surface.f_min is not None else np.array([], dtype=int)
        rows.append(RunSummary(
            label=run.label(),
            status=tr.status,
            stopped_at=tr.stopped_at,
            final_gap=float(gap[-1]),
            steps_to_tol=int(reached[0]) if reached.size else None,
            distance=float(distance_to_nearest(tr.xy[-1], surface.minima)),
            final_xy=(float(tr.xy[-1, 0]), float(tr.xy[-1, 1])),
        ))
    return tuple(rows)
