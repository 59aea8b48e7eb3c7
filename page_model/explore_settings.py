"""The Explore tab's settings in a shared link (issue 15, item 8): each view's controls under ``ex.*``.

A setting is named in the URL as its widget's session-state key with ``ex.`` before it (``ex.sweep_resolution=64``);
a key that holds the explored run's optimizer (``sweep_x.{opt}``: the sweep's axes are the optimizer's own) drops
it (``ex.sweep_x=mu``), and the ranges of a swept or searched hyperparameter are ``ex.sweep.<name>.lo`` / ``.hi``.
``to_query`` writes the open view's settings that differ from their defaults; ``from_query`` reads them back as
session-state keys and values, never raises, and warns about each value it cannot use (naming the key and what
is valid), as the rest of the page's URL does.  The controls' options live here and nowhere else
(``ui/explore_tab.py`` draws them).

No Streamlit here.
"""

from __future__ import annotations

import math
import re
from typing import Callable, Mapping, NamedTuple

import optim_core
from viz.i18n import Message

from .scene import MAX_RUNS, TOL_OPTIONS
from .url import _Reader

PREFIX = "ex."
RESOLUTIONS = (16, 24, 32, 48, 64, 96, 128)  # a sweep's cells per side
RATE_COUNTS = (3, 5, 7, 9, 11)
RATE_DECADES = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
BASIN_RESOLUTIONS = (30, 50, 80, 100, 150)
SEARCH_SIZES = (16, 25, 36, 49, 64, 100, 144, 256)
COLOUR_BY = {"steps": "steps to tol", "loss": "final loss"}  # a sweep's colour: option -> its English label
STEPS_RANGE = (10, 3000)
SEED_RANGE = (0, 1_000_000)
SEARCH_LR_RANGE = (-8.0, 2.0)  # log10 of the learning rate, in steps of 0.5
RANGE_BOUND = 1e6  # a swept range's ends, in the hyperparameter's own units
NO_Y_AXIS = "(none: a 1-D sweep)"  # the sweep's y-axis choice without a second parameter ("none" in a link)
NOTHING_ELSE = "nothing else"  # the search's second parameter when there is none ("none" in a link)
IGNORED = Message("ignored")  # what happens to a value a link gives that is not valid: the control keeps its own


class Setting(NamedTuple):
    """One control: its session-state ``key`` ("{opt}": the explored run's optimizer), its ``default`` (None: it
    depends on the scene, see ``defaults``), what values it takes (``kind``: choice, int, pair, name) and
    ``valid``: the choices, or the (low, high) of an int."""

    key: str
    default: object
    kind: str
    valid: tuple = ()


def _run(key: str) -> Setting:
    return Setting(key, 0, "int", (0, MAX_RUNS - 1))


def _steps(key: str, default) -> Setting:
    return Setting(key, default, "int", STEPS_RANGE)


# Each view's settings (by the view's English name, as ``ui/explore_tab.VIEWS``), in the order a link lists them;
# a view whose first setting is its run picker.
VIEW_SETTINGS = {
    "Sweep": (_run("sweep_run"), Setting("sweep_x.{opt}", None, "name"), Setting("sweep_y.{opt}", None, "name"),
              Setting("sweep_resolution", 48, "choice", RESOLUTIONS), _steps("sweep_steps", 300),
              Setting("sweep_tol", 1e-6, "choice", TOL_OPTIONS),
              Setting("sweep_colour", "steps", "choice", tuple(COLOUR_BY))),
    "Learning rates": (_run("rates_run"), Setting("rates_count", 7, "choice", RATE_COUNTS),
                       Setting("rates_decades", 3.0, "choice", RATE_DECADES), _steps("rates_steps", None)),
    "Basins": (_run("basins_run"), Setting("basins_resolution", 80, "choice", BASIN_RESOLUTIONS),
               _steps("basins_steps", 300)),
    "Random search": (_run("search_run"), Setting("search_lr", (-6.0, 1.0), "pair", SEARCH_LR_RANGE),
                      Setting("search_extra.{opt}", None, "name"), Setting("search_n", 49, "choice", SEARCH_SIZES),
                      _steps("search_steps", 300), Setting("search_seed", 0, "int", SEED_RANGE),
                      Setting("search_tol", 1e-6, "choice", TOL_OPTIONS)),
    "One step": (_run("step_run"), Setting("step_k", None, "int", (1, 3000))),
    "Line search": (_run("search_step_run"), Setting("search_step_k", 1, "int", (1, 3000))),
}
RANGE_PREFIXES = {"Sweep": "sweep", "Random search": "search"}  # views whose hyperparameter ranges are typed in
_RANGE_KEY = re.compile(r"(sweep|search)\.([a-z_0-9]{1,30})\.(lo|hi)")
_ALL_SETTINGS = [setting for settings in VIEW_SETTINGS.values() for setting in settings]
_STATE_KEYS = frozenset(setting.key for setting in _ALL_SETTINGS if "{opt}" not in setting.key)
_OPTIMIZER_KEYS = tuple(setting.key.replace("{opt}", "") for setting in _ALL_SETTINGS if "{opt}" in setting.key)
_HYPERPARAMETERS = frozenset(spec.name for name in optim_core.names() for spec in optim_core.hyper_specs(name))


def float_params(optimizer: str, hyper: Mapping) -> list:
    """The run's numeric hyperparameters that matter with its options (c2 only with a Wolfe search, …): what a
    sweep or a search may vary."""
    return [spec.name for spec in optim_core.hyper_specs(optimizer) if not spec.choices and spec.applies(hyper)]


def run_lookups(runs: tuple) -> tuple:
    """(float parameters of run i, optimizer of run i) for ``from_query``, over a scene's runs (an index past the
    last is the first, as the page's run picker takes it; no runs: no parameters)."""
    def run(index: int):
        return (runs[index] if index < len(runs) else runs[0]) if runs else None

    return (lambda i: tuple(float_params(run(i).optimizer, run(i).params)) if run(i) else (),
            lambda i: run(i).optimizer if run(i) else "")


def is_setting_key(key: str) -> bool:
    """``key`` holds one of Explore's settings in the session state (``sweep_resolution``, ``sweep_x.momentum``,
    a typed range's end ``sweep.lr.lo``)."""
    return key in _STATE_KEYS or key.startswith(_OPTIMIZER_KEYS) or _RANGE_KEY.fullmatch(key) is not None


def defaults(scene_steps: int) -> dict:
    """The scene-dependent defaults: the learning-rate fan's steps, the "One step" view's update."""
    return {"rates_steps": max(scene_steps, 50), "step_k": min(3, scene_steps)}


def name_defaults(params: tuple, values: Mapping, optimizer: str) -> dict:
    """What the axes' and the search's pickers start at: the first parameter for x, the first other one for y
    (none left: a 1-D sweep), the first besides lr for the search's second parameter (none: nothing else)."""
    params = tuple(params)
    if not params:
        return {}
    x = values.get(f"sweep_x.{optimizer}", params[0])
    return {"sweep_x.{opt}": params[0],
            "sweep_y.{opt}": next((p for p in params if p != x), NO_Y_AXIS),
            "search_extra.{opt}": next((p for p in params if p != "lr"), NOTHING_ELSE)}


def url_name(key: str) -> str:
    """A setting's name in a link: ``sweep_x.{opt}`` -> ``ex.sweep_x``."""
    return PREFIX + key.replace(".{opt}", "")


def run_key(view: str) -> str:
    """The session-state key of the view's run picker."""
    return VIEW_SETTINGS[view][0].key


def to_query(view: str, values: Mapping, optimizer: str, scene_steps: int, params: tuple = ()) -> dict:
    """The ``ex.*`` parameters of ``view``: each setting in ``values`` (session-state keys) that differs from its
    default, and the typed ranges (``sweep.<name>.lo`` …) that differ from the rule's sweep range.  ``params``:
    the explored run's float hyperparameters (``float_params``), whose order gives the axes' defaults."""
    query, scene_defaults = {}, {**defaults(scene_steps), **name_defaults(params, values, optimizer)}
    for setting in VIEW_SETTINGS.get(view, ()):
        key = setting.key.replace("{opt}", optimizer)
        if key not in values:
            continue
        value = values[key]
        default = scene_defaults.get(setting.key, setting.default)
        if value == default or (setting.kind == "name" and value is None):
            continue
        query[url_name(setting.key)] = _text(setting, value)
    prefix = RANGE_PREFIXES.get(view)
    for key in sorted(values):
        match = _RANGE_KEY.fullmatch(key) if isinstance(key, str) else None
        if prefix and match and match.group(1) == prefix and _finite(values[key]):
            if float(values[key]) != _range_default(optimizer, match.group(2), match.group(3)):
                query[PREFIX + key] = f"{float(values[key]):.6g}"
    return query


def _range_default(optimizer: str, param: str, end: str) -> float | None:
    """Where a typed range starts out: the rule's sweep range of ``param`` (None: not a parameter of it)."""
    spec = next((spec for spec in optim_core.hyper_specs(optimizer) if spec.name == param), None)
    if spec is None or not spec.sweep:
        return None
    return float(spec.sweep[0 if end == "lo" else 1])


def from_query(query: Mapping, params_of_run: Callable[[int], tuple], optimizer_of_run: Callable[[int], str]) -> tuple:
    """(session-state values, warnings) of the ``ex.*`` parameters in ``query``; never raises.

    ``params_of_run(i)``: the names of the float hyperparameters of run i (what a sweep or a search may vary);
    ``optimizer_of_run(i)``: its optimizer (the keys that hold it)."""
    reader, values = _Reader(query), {}
    for settings in VIEW_SETTINGS.values():
        run_index = reader.number(url_name(settings[0].key), None, *settings[0].valid, integer=True, outcome=IGNORED)
        if run_index is None:
            run_index = 0
        else:
            values[settings[0].key] = run_index
        optimizer, params = optimizer_of_run(run_index), tuple(params_of_run(run_index))
        for setting in settings[1:]:
            name = url_name(setting.key)
            if name not in query:
                continue
            value = _read(reader, setting, name, params)
            if value is not None:
                values[setting.key.replace("{opt}", optimizer)] = value
    known = {url_name(setting.key) for setting in _ALL_SETTINGS}
    for name in query:
        match = _RANGE_KEY.fullmatch(name[len(PREFIX):]) if name.startswith(PREFIX) else None
        if match and match.group(2) in _HYPERPARAMETERS:
            value = reader.number(name, None, 0.0, RANGE_BOUND, outcome=IGNORED)
            if value is not None:
                values[name[len(PREFIX):]] = value
        elif name.startswith(PREFIX) and name not in known:
            shown = repr(name if len(name) <= 40 else name[:37] + "…")
            reader.warnings.append(Message("URL key {key} is not one of Explore's settings ({names}, "
                                           "ex.sweep.<name>.lo/hi, ex.search.<name>.lo/hi); ignored.",
                                           key=shown, names=", ".join(sorted(known))))
    return values, reader.warnings


def _read(reader: _Reader, setting: Setting, name: str, params: tuple):
    if setting.kind == "choice":
        if isinstance(setting.valid[0], str):
            return reader.choice(name, None, setting.valid, IGNORED)
        return reader.number(name, None, min(setting.valid), max(setting.valid), choices=setting.valid,
                             integer=all(isinstance(v, int) for v in setting.valid), outcome=IGNORED)
    if setting.kind == "int":
        return reader.number(name, None, *setting.valid, integer=True, outcome=IGNORED)
    if setting.kind == "pair":
        return _pair(reader, name, setting.valid)
    # a hyperparameter's name: one the explored run's optimizer has, or "none" (no second parameter)
    none = {"sweep_y.{opt}": NO_Y_AXIS, "search_extra.{opt}": NOTHING_ELSE}.get(setting.key)
    text = reader.raw(name)
    if none is not None and text == "none":
        return none
    return reader.choice(name, None, params + (("none",) if none else ()), IGNORED)


def _pair(reader: _Reader, name: str, bounds: tuple):
    """"low,high" in [bounds], steps of 0.5, low < high."""
    text = reader.raw(name)
    valid = Message("two numbers low,high from {low:g} to {high:g} in steps of 0.5, low below high",
                    low=bounds[0], high=bounds[1])
    try:
        low, high = (float(part) for part in str(text).split(","))
    except ValueError:
        return reader.refuse(name, text, valid, None, IGNORED)
    if not (bounds[0] <= low < high <= bounds[1]) or (2 * low) % 1 or (2 * high) % 1:
        return reader.refuse(name, text, valid, None, IGNORED)
    return (low, high)


def _text(setting: Setting, value) -> str:
    if setting.kind == "pair":
        return f"{value[0]:g},{value[1]:g}"
    if value in (NO_Y_AXIS, NOTHING_ELSE):
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
