"""The claims a lesson step makes, checked on its scene: ``check(scene, fact) -> (ok, sentence)``.

A fact is a kind and its parameters (a ``model.Fact``, or a plain dict with a "kind" key).  ``check`` runs
the scene as the page does (``page_model.simulate``; the Explore views' facts with ``optim_core.analysis``
and the page's default controls) and says what it measured, with the numbers, so a failing test explains
itself.  Runs are counted from 0 in the scene's order.  "Reaches the tolerance" is the summary table's
definition: the first step k with f(x_k) − f* ≤ tol (‖∇f(x_k)‖ ≤ tol on a surface without a minimum),
never for a run that diverged.

``KINDS`` lists every kind with its parameters; ``parse(table, run_count)`` checks a fact read from a
file against it (names, types, bounds, run indices) and returns ``(Fact | None, problems)``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Mapping

import numpy as np

import optim_core
import page_model
from optim_core import analysis
from page_model import Scene, explore_settings

from .model import Fact

REQUIRED = object()

# --- parameter types: each returns the value or raises ValueError with what was expected --------------------


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError("a finite number")
    return float(value)


def _positive(value):
    if _number(value) <= 0:
        raise ValueError("a number above 0")
    return float(value)


def _fraction(value):
    if not 0 <= _number(value) <= 1:
        raise ValueError("a number from 0 to 1")
    return float(value)


def _whole(low, high):
    def whole(value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return value
    return whole


def _one_of(*choices):
    def one_of(value):
        if value not in choices:
            raise ValueError("one of " + ", ".join(map(repr, choices)))
        return value
    return one_of


def _point(value):
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError("two numbers [x, y]")
    return (_number(value[0]), _number(value[1]))


def _verdicts(value):
    if not isinstance(value, (list, tuple)) or not 2 <= len(value) <= 11 or \
            any(v not in analysis.LR_VERDICTS for v in value):
        raise ValueError("a list of 2 to 11 of " + ", ".join(map(repr, analysis.LR_VERDICTS)))
    return tuple(value)


def _table(values_check, what):
    def table(value):
        if isinstance(value, tuple) and all(isinstance(pair, tuple) and len(pair) == 2 for pair in value):
            value = dict(value)  # a parsed Fact's table, as (name, value) pairs
        if not isinstance(value, Mapping) or len(value) > 4 or not all(isinstance(k, str) for k in value):
            raise ValueError(f"a table of at most 4 hyperparameter names to {what}")
        return tuple(sorted((k, values_check(v)) for k, v in value.items()))
    return table


RUN = "run"  # a run index, checked against the scene
COUNT = _whole(0, 100_000)
PARAM_NAME = _one_of(*sorted({spec.name for name in optim_core.names() for spec in optim_core.hyper_specs(name)
                              if not spec.choices} | {""}))

# kind -> {parameter: (type, default)}; NEEDS_ONE_OF: the kinds that want at least one of some parameters
KINDS = {
    "converges": {"run": (RUN, REQUIRED), "within": (COUNT, None), "after": (COUNT, None)},
    "misses": {"run": (RUN, REQUIRED)},
    "diverges": {"run": (RUN, REQUIRED)},
    "stalls": {"run": (RUN, REQUIRED), "fraction": (_fraction, 0.1)},
    "faster": {"run": (RUN, REQUIRED), "than": (RUN, REQUIRED), "factor": (_positive, 1.0),
               "count": (_one_of("steps", "gradients"), "steps")},
    "same_pace": {"run": (RUN, REQUIRED), "as": (RUN, REQUIRED), "within": (COUNT, 1)},
    "first": {"run": (RUN, REQUIRED)},
    "ends_near": {"run": (RUN, REQUIRED), "point": (_point, REQUIRED), "within": (_positive, REQUIRED)},
    "ends_away": {"run": (RUN, REQUIRED), "point": (_point, REQUIRED), "beyond": (_positive, REQUIRED)},
    "lingers": {"run": (RUN, REQUIRED), "point": (_point, REQUIRED), "within": (_positive, REQUIRED),
                "at_least": (COUNT, None), "at_most": (COUNT, None)},
    "zigzag": {"run": (RUN, REQUIRED), "coordinate": (_one_of("x", "y"), REQUIRED), "at_least": (COUNT, None),
               "at_most": (COUNT, None)},
    "overshoot": {"run": (RUN, REQUIRED), "coordinate": (_one_of("x", "y"), REQUIRED), "point": (_point, None),
                  "at_most": (_number, None), "at_least": (_number, None), "than": (RUN, None)},
    "first_step": {"run": (RUN, REQUIRED), "length": (_positive, REQUIRED), "rel": (_positive, 0.01)},
    "gap": {"run": (RUN, REQUIRED), "last": (_whole(1, 3000), 1), "at_most": (_number, None),
            "at_least": (_number, None)},
    "lr_at": {"run": (RUN, REQUIRED), "t": (_whole(0, 2999), REQUIRED), "value": (_positive, REQUIRED),
              "rel": (_positive, 1e-4)},
    "lr_limit": {"value": (_positive, REQUIRED), "run": (RUN, None), "rel": (_positive, 1e-3)},
    "condition": {"value": (_positive, REQUIRED), "rel": (_positive, 1e-3)},
    "helps": {"run": (RUN, REQUIRED), "setting": (_one_of("schedule", "mu_ramp", "noise", "warmup"), REQUIRED),
              "measure": (_one_of("steps", "gap"), "gap"), "factor": (_positive, 1.0),
              "last": (_whole(1, 3000), 1)},
    "cost": {"parameters": (_whole(1, 10**12), REQUIRED), "hessian_entries": (_positive, None),
             "inversion_flops": (_positive, None), "hessian_bytes": (_positive, None),
             "lbfgs_m": (_whole(1, 100), None), "lbfgs_floats": (_positive, None)},
    "lr_picture": {"run": (RUN, 0), "count": (_whole(2, 11), 7), "decades": (_positive, 3.0),
                   "steps": (_whole(1, 3000), None), "verdicts": (_verdicts, None), "good": (_positive, None)},
    "search": {"run": (RUN, 0), "stage": (_one_of("coarse", "fine", "grid"), "coarse"), "low": (_positive, 1e-6),
               "high": (_positive, 10.0), "n": (_whole(1, 256), 49), "seed": (_whole(0, 1_000_000), 0),
               "steps": (_whole(1, 3000), 300), "tol": (_positive, 1e-6), "also": (PARAM_NAME, None),
               "edges": (_table(_one_of("lower", "upper"), '"lower" or "upper"'), None),
               "distinct": (_table(_whole(0, 256), "counts"), None), "best_within": (COUNT, None),
               "beats": (_one_of("coarse", "fine", "grid"), None), "reached_at_most": (COUNT, None),
               "best": (_table(_positive, "numbers"), None)},
    "basins": {"run": (RUN, 0), "resolution": (_whole(2, 150), 80), "steps": (_whole(1, 3000), 300),
               "no_minimum_at_least": (_fraction, None), "no_minimum_at_most": (_fraction, None),
               "found": (_whole(0, 1000), None)},
}
NEEDS_ONE_OF = {
    "lingers": ("at_least", "at_most"), "zigzag": ("at_least", "at_most"),
    "overshoot": ("at_most", "at_least", "than"), "gap": ("at_most", "at_least"),
    "cost": ("hessian_entries", "inversion_flops", "hessian_bytes", "lbfgs_floats"),
    "lr_picture": ("verdicts", "good"),
    "search": ("edges", "distinct", "best_within", "beats", "reached_at_most", "best"),
    "basins": ("no_minimum_at_least", "no_minimum_at_most", "found"),
}


def shown(value, limit: int = 40) -> str:
    """A value as a file wrote it (its repr), cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse(table, run_count: int) -> tuple:
    """(Fact or None, problems) of one fact as read from a file: a known kind, known parameters of the right
    type and range, run indices below ``run_count``.  A bad parameter drops the fact (it could not be checked)."""
    if not isinstance(table, Mapping):
        return None, ["is not a table {kind = …, …}"]
    kind = table.get("kind")
    if kind not in KINDS:
        return None, [f"kind = {shown(kind)} is not one of {', '.join(KINDS)}"]
    schema, params, problems = KINDS[kind], {}, []
    for name, value in table.items():
        if name == "kind":
            continue
        if name not in schema:
            problems.append(f"{kind}: unknown parameter {shown(name)} (known: {', '.join(schema)})")
            continue
        try:
            params[name] = _checked(schema[name][0], value, run_count)
        except ValueError as error:
            problems.append(f"{kind}: {name} = {shown(value)} is not {error}")
    problems += [f"{kind}: {name} is missing" for name, (_, default) in schema.items()
                 if default is REQUIRED and name not in params and name not in table]
    wanted = NEEDS_ONE_OF.get(kind, ())
    if wanted and not any(name in table for name in wanted):
        problems.append(f"{kind}: give at least one of {', '.join(wanted)}")
    if problems:
        return None, problems
    return Fact(kind, tuple(params.items())), []


def _checked(kind_of_value, value, run_count: int):
    if kind_of_value is RUN:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < run_count:
            raise ValueError(f"a run of this scene: 0 … {run_count - 1} (runs count from 0)" if run_count
                             else "a run: this scene has none")
        return value
    return kind_of_value(value)


def _params(fact) -> dict:
    """The fact's parameters with the defaults filled in."""
    given = fact.as_dict() if isinstance(fact, Fact) else dict(fact)
    schema = KINDS[given["kind"]]
    return {name: given.get(name, default) for name, (_, default) in schema.items()}


# --- running a scene once for all its facts ---------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _simulated(scene: Scene) -> tuple:
    """(surface, trajectories) of the scene, as the page computes them."""
    surface = scene.surface_object()
    return surface, page_model.simulate(scene, surface)


class _Measured:
    """What the facts measure on one scene: each run's path, its gap and its step to the tolerance."""

    def __init__(self, scene: Scene):
        self.scene = scene
        self.surface, self.paths = _simulated(scene)

    def name(self, i: int) -> str:
        return f"run {i} ({self.scene.runs[i].label()})"

    def gap(self, i: int) -> np.ndarray:
        path = self.paths[i]
        if self.surface.f_min is None:
            return np.linalg.norm(path.grad, axis=-1)
        return path.loss - self.surface.f_min

    def gap_name(self) -> str:
        return "‖∇f‖" if self.surface.f_min is None else "f − f*"

    def reached(self, i: int) -> int | None:
        """The first step at the tolerance, or None (never, or diverged)."""
        k = int(analysis.steps_to_tol(self.surface, self.paths[i], self.scene.tol))
        return k if k >= 0 else None

    def gradients_to_tol(self, i: int) -> int | None:
        k = self.reached(i)
        return None if k is None else int(self.paths[i].grad_evals[k])

    def when(self, i: int) -> str:
        k = self.reached(i)
        return f"never within {self.scene.steps} steps ({self.paths[i].status})" if k is None else f"at step {k}"

    def tolerance(self) -> str:
        return f"{self.gap_name()} ≤ {self.scene.tol:g}"


def _bounds(value: float, at_least, at_most) -> bool:
    return (at_least is None or value >= at_least) and (at_most is None or value <= at_most)


def _bounds_text(at_least, at_most) -> str:
    parts = [f"≥ {at_least:g}"] if at_least is not None else []
    return " and ".join(parts + ([f"≤ {at_most:g}"] if at_most is not None else []))


def _close(value: float, expected: float, rel: float) -> bool:
    return abs(value - expected) <= rel * abs(expected)


# --- the kinds ---------------------------------------------------------------------------------------------

CHECKS = {}


def _kind(name):
    def register(function):
        CHECKS[name] = function
        return function
    return register


@_kind("converges")
def _converges(m: _Measured, p: dict) -> tuple:
    k, within, after = m.reached(p["run"]), p["within"], p["after"]
    ok = k is not None and (within is None or k <= within) and (after is None or k > after)
    needed = " and ".join(([f"after step {after}"] if after is not None else []) +
                          ([f"within {within} steps"] if within is not None else []))
    return ok, f"{m.name(p['run'])} reaches {m.tolerance()} {m.when(p['run'])} (needed: {needed or 'at all'})"


@_kind("misses")
def _misses(m: _Measured, p: dict) -> tuple:
    return m.reached(p["run"]) is None, f"{m.name(p['run'])} reaches {m.tolerance()} {m.when(p['run'])}"


@_kind("diverges")
def _diverges(m: _Measured, p: dict) -> tuple:
    i = p["run"]
    gap, status = m.gap(i), m.paths[i].status
    ok = status == "diverged" or gap[-1] > gap[0]
    return ok, (f"{m.name(i)}: status {status}, {m.gap_name()} from {gap[0]:.4g} to {gap[-1]:.4g} "
                f"(diverging: stopped as diverged, or ended above where it began)")


@_kind("stalls")
def _stalls(m: _Measured, p: dict) -> tuple:
    i = p["run"]
    norms = m.paths[i].step_norm
    first, last = float(norms[0]), float(norms[-1])
    ok = m.reached(i) is None and m.paths[i].status != "diverged" and last <= p["fraction"] * first
    return ok, (f"{m.name(i)} reaches {m.tolerance()} {m.when(i)}; its last step is {last:.3g}, "
                f"{last / first:.3g} of its first ({first:.3g}; a stall: ≤ {p['fraction']:g})")


@_kind("faster")
def _faster(m: _Measured, p: dict) -> tuple:
    count = m.reached if p["count"] == "steps" else m.gradients_to_tol
    fast, slow = count(p["run"]), count(p["than"])
    slow_value = math.inf if slow is None else slow
    ok = fast is not None and fast * p["factor"] < slow_value
    words = "steps" if p["count"] == "steps" else "gradient evaluations"
    ratio = f"{slow_value / fast:.3g}×" if fast else "—"
    return ok, (f"to {m.tolerance()}: {m.name(p['run'])} needs {_count_text(fast)} {words}, "
                f"{m.name(p['than'])} {_count_text(slow)}: {ratio} (needed: more than {p['factor']:g}×)")


def _count_text(value) -> str:
    return "never" if value is None else str(value)


@_kind("same_pace")
def _same_pace(m: _Measured, p: dict) -> tuple:
    one, other = m.reached(p["run"]), m.reached(p["as"])
    ok = one is not None and other is not None and abs(one - other) <= p["within"]
    return ok, (f"{m.name(p['run'])} reaches {m.tolerance()} {m.when(p['run'])}, {m.name(p['as'])} "
                f"{m.when(p['as'])} (needed: within {p['within']} steps of each other)")


@_kind("first")
def _first(m: _Measured, p: dict) -> tuple:
    steps = [m.reached(i) for i in range(len(m.paths))]
    mine = steps[p["run"]]
    others = [math.inf if k is None else k for i, k in enumerate(steps) if i != p["run"]]
    ok = mine is not None and all(mine < k for k in others)
    listed = ", ".join(f"run {i}: {_count_text(k)}" for i, k in enumerate(steps))
    return ok, f"steps to {m.tolerance()}: {listed} (needed: run {p['run']} strictly first)"


def _final_distance(m: _Measured, p: dict) -> tuple:
    end = m.paths[p["run"]].xy[-1]
    return float(np.linalg.norm(end - np.asarray(p["point"]))), end


@_kind("ends_near")
def _ends_near(m: _Measured, p: dict) -> tuple:
    distance, end = _final_distance(m, p)
    return distance <= p["within"], (f"{m.name(p['run'])} ends at ({end[0]:.4g}, {end[1]:.4g}), {distance:.3g} from "
                                     f"{p['point']} (needed: ≤ {p['within']:g})")


@_kind("ends_away")
def _ends_away(m: _Measured, p: dict) -> tuple:
    distance, end = _final_distance(m, p)
    return distance >= p["beyond"], (f"{m.name(p['run'])} ends at ({end[0]:.4g}, {end[1]:.4g}), {distance:.3g} "
                                     f"from {p['point']} (needed: ≥ {p['beyond']:g})")


@_kind("lingers")
def _lingers(m: _Measured, p: dict) -> tuple:
    xy = m.paths[p["run"]].xy
    near = int(np.sum(np.linalg.norm(xy - np.asarray(p["point"]), axis=-1) <= p["within"]))
    return _bounds(near, p["at_least"], p["at_most"]), (
        f"{near} of the {len(xy)} points of {m.name(p['run'])} lie within {p['within']:g} of {p['point']} "
        f"(needed: {_bounds_text(p['at_least'], p['at_most'])})")


@_kind("zigzag")
def _zigzag(m: _Measured, p: dict) -> tuple:
    column = 0 if p["coordinate"] == "x" else 1
    signs = np.sign(np.diff(m.paths[p["run"]].xy[:, column]))
    signs = signs[signs != 0]
    turns = int(np.sum(signs[1:] != signs[:-1]))
    return _bounds(turns, p["at_least"], p["at_most"]), (
        f"{m.name(p['run'])} turns back in {p['coordinate']} {turns} times in {len(signs)} moves "
        f"(needed: {_bounds_text(p['at_least'], p['at_most'])})")


def _overshoot_of(m: _Measured, i: int, column: int, target) -> float:
    """How far run i goes past ``target`` in one coordinate, on the side away from its start (0 if never)."""
    xy = m.paths[i].xy
    side = np.sign(target[column] - xy[0, column]) or 1.0
    return float(max(0.0, np.max(side * (xy[:, column] - target[column]))))


@_kind("overshoot")
def _overshoot(m: _Measured, p: dict) -> tuple:
    column = 0 if p["coordinate"] == "x" else 1
    target = p["point"]
    if target is None:
        if not len(m.surface.minima):
            return False, "overshoot: this surface lists no minimum: give point = [x, y]"
        start = np.asarray(m.scene.start)
        target = tuple(m.surface.minima[np.argmin(np.linalg.norm(m.surface.minima - start, axis=-1))])
    mine = _overshoot_of(m, p["run"], column, target)
    ok, needed = _bounds(mine, p["at_least"], p["at_most"]), [_bounds_text(p["at_least"], p["at_most"])]
    if p["than"] is not None:
        other = _overshoot_of(m, p["than"], column, target)
        ok, needed = ok and mine < other, needed + [f"< {m.name(p['than'])}'s {other:.4g}"]
    return ok, (f"{m.name(p['run'])} goes {mine:.4g} past {p['coordinate']} = {target[column]:.4g} "
                f"(needed: {' and '.join(filter(None, needed))})")


@_kind("first_step")
def _first_step(m: _Measured, p: dict) -> tuple:
    path = m.paths[p["run"]]
    length = float(path.step_norm[0]) if len(path.step_norm) else math.nan
    return _close(length, p["length"], p["rel"]), (f"the first step of {m.name(p['run'])} is {length:.6g} long "
                                                   f"(expected {p['length']:.6g} ± {p['rel']:.0%})")


def _mean_gap(m: _Measured, i: int, last: int) -> float:
    return float(np.mean(m.gap(i)[-last:]))


@_kind("gap")
def _gap(m: _Measured, p: dict) -> tuple:
    value = _mean_gap(m, p["run"], p["last"])
    return _bounds(value, p["at_least"], p["at_most"]), (
        f"{m.name(p['run'])}: {m.gap_name()} over its last {p['last']} points averages {value:.4g} "
        f"(needed: {_bounds_text(p['at_least'], p['at_most'])})")


@_kind("lr_at")
def _lr_at(m: _Measured, p: dict) -> tuple:
    lrs = m.paths[p["run"]].lr
    value = float(lrs[p["t"]]) if p["t"] < len(lrs) else math.nan
    return _close(value, p["value"], p["rel"]), (f"{m.name(p['run'])} takes update {p['t'] + 1} (t = {p['t']}) "
                                                 f"at lr {value:.6g} (expected {p['value']:.6g})")


@_kind("lr_limit")
def _lr_limit(m: _Measured, p: dict) -> tuple:
    lambda_max = float(np.max(analysis.hessian_info(m.surface, m.scene.start).eigenvalues))
    if not lambda_max > 0:
        return False, f"λmax = {lambda_max:.4g} at the start: no upward curvature, no limit"
    if p["run"] is None:
        limit, what = 2.0 / lambda_max, "2/λmax"
    else:
        run = m.scene.runs[p["run"]]
        rule = optim_core.RULES[run.optimizer]
        limit = rule.lr_limit(run.params, lambda_max) if rule.lr_limit else None
        what = f"{m.name(p['run'])}'s limit {rule.lr_limit_text or 'none'}"
        if limit is None:
            return False, f"{what}: this rule has no learning-rate limit with these options"
    return _close(limit, p["value"], p["rel"]), (f"λmax = {lambda_max:.6g} at the start {m.scene.start}: {what} "
                                                 f"= {limit:.6g} (expected {p['value']:.6g})")


@_kind("condition")
def _condition(m: _Measured, p: dict) -> tuple:
    info = analysis.hessian_info(m.surface, m.scene.start)
    low, high = (float(v) for v in info.eigenvalues)
    return _close(info.condition, p["value"], p["rel"]), (
        f"the Hessian's eigenvalues at the start are {low:.6g} and {high:.6g}: κ = {info.condition:.6g} "
        f"(expected {p['value']:.6g})")


@_kind("helps")
def _helps(m: _Measured, p: dict) -> tuple:
    setting, i = p["setting"], p["run"]
    default = Scene.__dataclass_fields__[setting].default
    without = _Measured(dataclasses.replace(m.scene, **{setting: default}))
    if p["measure"] == "gap":
        with_it, without_it = _mean_gap(m, i, p["last"]), _mean_gap(without, i, p["last"])
        ok = with_it * p["factor"] < without_it
        what = f"{m.gap_name()} over the last {p['last']} points averages"
        values = f"{with_it:.4g} with {setting} = {getattr(m.scene, setting)}, {without_it:.4g} with {default}"
    else:
        with_it, without_it = m.reached(i), without.reached(i)
        ok = with_it is not None and with_it * p["factor"] < (math.inf if without_it is None else without_it)
        what = f"steps to {m.tolerance()}:"
        values = (f"{_count_text(with_it)} with {setting} = {getattr(m.scene, setting)}, {_count_text(without_it)} "
                  f"with {default}")
    return ok, f"{m.name(i)}: {what} {values} (needed: better by more than {p['factor']:g}×)"


@_kind("cost")
def _cost(m: _Measured | None, p: dict) -> tuple:
    n = p["parameters"]
    exact = {"hessian_entries": float(n) ** 2, "inversion_flops": float(n) ** 3, "hessian_bytes": 4.0 * n**2}
    if p["lbfgs_m"] is not None:
        exact["lbfgs_floats"] = 2.0 * p["lbfgs_m"] * n
    given = {name: p[name] for name in ("hessian_entries", "inversion_flops", "hessian_bytes", "lbfgs_floats")
             if p[name] is not None}
    ok = all(name in exact and _close(exact[name], value, 1e-9) for name, value in given.items())
    told = ", ".join(f"{name} = {value:.4g} (exact {exact.get(name, math.nan):.4g})" for name, value in given.items())
    return ok, (f"N = {n:.4g} parameters: {told} [N², N³, 4·N² bytes in float32, 2·m·N floats for "
                f"L-BFGS's m pairs{'' if p['lbfgs_m'] is None else ', m = ' + str(p['lbfgs_m'])}]")


def _fixed(scene: Scene, run, varied) -> dict:
    """The run's other hyperparameters, with the scene's schedules (as the Explore tab passes them)."""
    return {k: v for k, v in scene.optimizer(run).hyperparams.items() if k not in varied}


@_kind("lr_picture")
def _lr_picture(m: _Measured, p: dict) -> tuple:
    scene, run = m.scene, m.scene.runs[p["run"]]
    steps = p["steps"] or max(scene.steps, 50)  # the page's "steps per run" default
    lrs = analysis.spread_learning_rates(float(run.params["lr"]), p["count"], p["decades"])
    curves = analysis.learning_rate_curves(m.surface, run.optimizer, lrs, fixed=_fixed(scene, run, ["lr"]),
                                           start=scene.start, steps=steps)
    good = [float(lr) for lr, verdict in zip(curves.lrs, curves.verdicts) if verdict == "good"]
    ok = (p["verdicts"] is None or tuple(curves.verdicts) == p["verdicts"]) and \
        (p["good"] is None or bool(good and _close(good[0], p["good"], 1e-3)))
    shown = ", ".join(f"{lr:.3g}: {verdict}" for lr, verdict in zip(curves.lrs, curves.verdicts))
    return ok, (f"{m.name(p['run'])} at {p['count']} learning rates over {p['decades']:g} decades, {steps} steps: "
                f"{shown} (expected {p['verdicts'] or ''} {'' if p['good'] is None else 'good = %g' % p['good']})")


def page_second_parameter(run) -> str:
    """The parameter the page's random search samples beside lr by default ("also sample": the first float
    hyperparameter of the run that applies with its options), or "" when there is none."""
    params = [name for name in explore_settings.float_params(run.optimizer, run.params) if name != "lr"]
    return params[0] if params else ""


def _search(m: _Measured, p: dict) -> dict:
    """The page's random search (coarse, then fine) and the grid search of the same budget."""
    scene, run = m.scene, m.scene.runs[p["run"]]
    also = page_second_parameter(run) if p["also"] is None else p["also"]
    ranges = {"lr": (p["low"], p["high"], True)}
    if also:
        spec = optim_core.hyper_spec(run.optimizer, also)
        ranges[also] = (*spec.sweep, spec.log)
    common = dict(steps=p["steps"], fixed=_fixed(scene, run, ranges), start=scene.start, tol=p["tol"])
    coarse = analysis.random_search(m.surface, run.optimizer, ranges, p["n"], seed=p["seed"], **common)
    fine = analysis.random_search(m.surface, run.optimizer, analysis.refine(coarse), p["n"], seed=p["seed"] + 1,
                                  **common)
    return {"coarse": coarse, "fine": fine, "grid": analysis.grid_search(m.surface, run.optimizer, ranges, p["n"],
                                                                        **common)}


def _best_steps(result) -> float:
    k = int(result.steps_to_tol[result.best_index])
    return math.inf if k < 0 else k


@_kind("search")
def _search_fact(m: _Measured, p: dict) -> tuple:
    run = m.scene.runs[p["run"]]
    if p["also"] and p["also"] not in {s.name for s in optim_core.hyper_specs(run.optimizer)}:
        return False, f"search: {p['also']!r} is not a hyperparameter of {run.optimizer}"
    results = _search(m, p)
    result = results[p["stage"]]
    best, reached = _best_steps(result), int(np.sum(result.steps_to_tol >= 0))
    checks = {
        "edges": lambda: tuple(sorted(result.edges.items())) == p["edges"],
        "distinct": lambda: tuple(sorted(result.distinct_values.items())) == p["distinct"],
        "best_within": lambda: best <= p["best_within"],
        "beats": lambda: best < _best_steps(results[p["beats"]]),
        "reached_at_most": lambda: reached <= p["reached_at_most"],
        "best": lambda: all(name in result.best and _close(result.best[name], value, 0.01)
                            for name, value in p["best"]),
    }
    ok = all(check() for name, check in checks.items() if p[name] is not None)
    other = f"; the {p['beats']} stage's best: {_best_steps(results[p['beats']])} steps" if p["beats"] else ""
    best_setting = ", ".join(f"{k} = {v:.4g}" for k, v in result.best.items())
    return ok, (f"{p['stage']} search of {m.name(p['run'])} over {dict(result.ranges)} (n = {p['n']}, seed "
                f"{p['seed']}): best {best_setting}, {best} steps to {result.gap} ≤ {p['tol']:g}{other}; edges "
                f"{dict(result.edges)}; distinct {result.distinct_values}; {reached} of {result.n} reached "
                f"(expected {', '.join(f'{k} = {p[k]}' for k in checks if p[k] is not None)})")


@_kind("basins")
def _basins(m: _Measured, p: dict) -> tuple:
    run = m.scene.runs[p["run"]]
    if not len(m.surface.minima):
        return False, "basins: this surface lists no minimum"
    result = analysis.basins(m.surface, run.optimizer, dict(m.scene.optimizer(run).hyperparams),
                             nx=p["resolution"], ny=p["resolution"], steps=p["steps"])
    none = float(np.mean(result.label < 0))
    ok = _bounds(none, p["no_minimum_at_least"], p["no_minimum_at_most"]) and \
        (p["found"] is None or len(result.found) == p["found"])
    return ok, (f"{m.name(p['run'])} from {p['resolution']}² starts, {p['steps']} steps: per minimum "
                f"{result.counts.tolist()}, {none:.1%} end in no minimum; {len(result.found)} minima reached "
                f"(needed: no minimum {_bounds_text(p['no_minimum_at_least'], p['no_minimum_at_most'])}"
                f"{'' if p['found'] is None else ', found ' + str(p['found'])})")


SCENE_FREE = {"cost"}  # kinds that need no run of the scene


def check(scene: Scene, fact) -> tuple:
    """(ok, sentence): whether ``fact`` (a ``Fact`` or a dict with "kind") holds on ``scene``, and what was
    measured.  An invalid fact is (False, what is wrong with it)."""
    table = fact.as_dict() if isinstance(fact, Fact) else dict(fact)
    parsed, problems = parse(table, len(scene.runs))
    if parsed is None:
        return False, "not a valid fact: " + "; ".join(problems)
    measured = None if parsed.kind in SCENE_FREE else _Measured(scene)
    ok, sentence = CHECKS[parsed.kind](measured, _params(parsed))
    return bool(ok), sentence
