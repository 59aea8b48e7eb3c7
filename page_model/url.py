"""A scene in a URL and back: ``to_query`` writes it, ``from_query`` reads a shared link and never
raises: every malformed, unknown or out-of-range value falls back to its default and adds a warning
naming the field and its valid range.  The warnings are ``i18n.Message``s: English strings that the
page renders in its own language."""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

import optim_core
import surfaces
from viz.i18n import Message

from .presets import DEFAULT_SCENE
from .scene import (ANNEALS, CYCLES_RANGE, DECAY_K_RANGE, DIV_FACTOR_RANGE, FINAL_DIV_FACTOR_RANGE, FORMULA,
                    FORMULA_RANGE, LANGUAGES, MAX_RUNS, MIN_FACTOR_RANGE, NOISE_RANGE, PCT_START_RANGE, RANGE_LIMIT,
                    SCHEDULE_FIELDS, SCHEDULES, SEED_RANGE, STEP_EVERY_RANGE, STEP_FACTOR_RANGE, STEPS_RANGE,
                    T_MULT_RANGE, TOL_OPTIONS, WARMUP_RANGE, RunSpec, Scene, check_range, start_bounds)


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
    """"adam:lr=0.3,beta2=0.99": one run in a URL, its learning rate and every hyperparameter that is not at
    its default (a link stays short, and an old link keeps meaning what it meant when a rule gains an option)."""
    defaults = {spec.name: spec.default for spec in optim_core.hyper_specs(run.optimizer)}
    return run.optimizer + ":" + ",".join(f"{k}={_format(v)}" for k, v in run.hyper
                                          if k == "lr" or v != defaults[k] or type(v) is not type(defaults[k]))


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
    for name in SCHEDULE_FIELDS + ("mu_ramp", "noise", "seed", "average", "tol", "field", "projector", "lang"):
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

    def number(self, key, default, low, high, integer=False, choices=None, outcome: Message | None = None):
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
            return self.refuse(key, text, valid, default, outcome)
        if not (math.isfinite(value) and low <= value <= high) or (integer and value != int(value)):
            return self.refuse(key, text, valid, default, outcome)
        if choices is not None and value not in choices:
            return self.refuse(key, text, valid, default, outcome)
        return int(value) if integer else value

    def flag(self, key, default):
        text = self.raw(key)
        if text is None:
            return default
        if text in ("0", "1"):
            return text == "1"
        return self.refuse(key, text, Message("0 or 1"), default)

    def choice(self, key, default, choices, outcome: Message | None = None):
        text = self.raw(key)
        if text is None:
            return default
        if text in choices:
            return text
        return self.refuse(key, text, Message("one of {choices}", choices=", ".join(choices)), default, outcome)


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
            parsed = sub.number(name, spec.default, low, high)
            if parsed != spec.default and not _in_engine_range(spec, parsed):
                parsed = sub.refuse(name, value, Message("see the slider's range"), spec.default)
            hyper[name] = parsed
        reader.warnings += sub.warnings
    try:
        return RunSpec.of(optimizer, **hyper)
    except ValueError:  # each value in its range, but some not together (c1 < c2): keep those that go together
        pass
    kept = {}
    for name, value in hyper.items():
        try:
            optim_core.make(optimizer, **kept, **{name: value})
            kept[name] = value
        except ValueError as error:
            sub = _Reader({}, where=Message("run {n} ({optimizer})", n=index + 1, optimizer=optimizer))
            sub.refuse(name, _format(value), Message.of(error), specs[name].default)
            reader.warnings += sub.warnings
    return RunSpec.of(optimizer, **kept)


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
        decay_k=reader.number("decay_k", base.decay_k, *DECAY_K_RANGE),
        step_factor=reader.number("step_factor", base.step_factor, *STEP_FACTOR_RANGE),
        step_every=reader.number("step_every", base.step_every, *STEP_EVERY_RANGE, integer=True),
        warmup=reader.number("warmup", base.warmup, *WARMUP_RANGE, integer=True),
        cycles=reader.number("cycles", base.cycles, *CYCLES_RANGE, integer=True),
        t_mult=reader.number("t_mult", base.t_mult, *T_MULT_RANGE, integer=True),
        min_factor=reader.number("min_factor", base.min_factor, *MIN_FACTOR_RANGE),
        pct_start=reader.number("pct_start", base.pct_start, *PCT_START_RANGE),
        div_factor=reader.number("div_factor", base.div_factor, *DIV_FACTOR_RANGE),
        final_div_factor=reader.number("final_div_factor", base.final_div_factor, *FINAL_DIV_FACTOR_RANGE),
        anneal=reader.choice("anneal", base.anneal, ANNEALS),
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
