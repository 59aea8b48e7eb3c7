"""The page's session state, declared once: what each key holds, and the scene <-> state <-> URL moves.

Scene keys: ``surface``, ``surface.{name}`` (its parameters), ``start_x``/``start_y``, ``formula`` (the
applied formula) with ``formula_x_range``/``formula_y_range``, and ``formula_text``/``formula_x_lo`` …
(what is typed, applied by ``callbacks.on_formula``), ``steps``, ``schedule``, ``decay_k``, … (the
fields of ``page_model.Scene``); the teacher's display settings ``projector`` and ``lang``.

Run slots: a run has an id; its settings live under ``run{id}.optimizer``, ``run{id}.variant`` (its
shade, see ``viz.styles``) and ``run{id}.{optimizer}.{name}`` for
each hyperparameter (``run_key``); ``run_ids`` lists the runs in order and ``next_run_id`` is the next id.

Every text is English in the code and goes through ``tr`` (``viz.i18n.t`` in the page's language).
"""

from __future__ import annotations

import dataclasses
import re

import streamlit as st

import lessons
import optim_core
import page_model
import surfaces
from nets import data as datasets
from page_model import Scene, explore_settings, network_lab
from viz import i18n, styles

from . import stage

# Display settings belong to the teacher, not to the scene: a preset, a surface or a reset keeps them.
DISPLAY_SETTINGS = ("projector", "lang")
# The scene's fields that are one widget each (the surface, start, formula and runs are more).
PLAIN_FIELDS = ("steps",) + page_model.scene.SCHEDULE_FIELDS + ("mu_ramp", "noise", "seed", "average", "tol", "field")
CUSTOM = "custom"  # the preset box's id for a scene that is no preset


def tr(text: str, **params) -> str:
    """``text`` in the page's language (see viz/i18n.py)."""
    return i18n.t(text, st.session_state.get("lang", "en"), **params)


def option_labels():
    """A widget's format_func: an English option label in the page's language."""
    return i18n.translator(st.session_state.get("lang", "en"))


# --- run slots ---------------------------------------------------------------------------------------------


def run_key(run_id: int, optimizer: str, name: str) -> str:
    return f"run{run_id}.{optimizer}.{name}"


def run_hyper(run_id: int) -> dict:
    """The run's hyperparameters as its widgets hold them (a widget not drawn yet: its default)."""
    state = st.session_state
    optimizer = state[f"run{run_id}.optimizer"]
    return {spec.name: state.get(run_key(run_id, optimizer, spec.name), spec.default)
            for spec in optim_core.hyper_specs(optimizer)}


def taken_variants(except_id: int | None = None) -> list:
    """(optimizer, variant) of every run but ``except_id``."""
    state = st.session_state
    return [(state[f"run{r}.optimizer"], state.get(f"run{r}.variant", 0)) for r in state["run_ids"] if r != except_id]


def add_run(optimizer: str, hyper) -> int:
    """A new run at the end, in the first shade of ``optimizer`` no other run uses;
    ``hyper`` is (name, value) pairs.  Returns its id."""
    state = st.session_state
    new_id = state["next_run_id"]
    state["next_run_id"] += 1
    state[f"run{new_id}.optimizer"] = optimizer
    state[f"run{new_id}.variant"] = styles.first_free_variant(optimizer, taken_variants())
    for name, value in hyper:
        state[run_key(new_id, optimizer, name)] = value
    state["run_ids"] = state["run_ids"] + [new_id]
    return new_id


def run_looks() -> tuple:
    """Each run's colour and marker, in the order of the runs: fixed by its optimizer and its
    variant, so a run keeps its look when others come and go."""
    state = st.session_state
    return tuple(styles.run_style(state[f"run{run_id}.optimizer"], state.get(f"run{run_id}.variant", 0))
                 for run_id in state["run_ids"])


# --- scene <-> state ---------------------------------------------------------------------------------------


def load_scene(scene: Scene, *, keep_display: bool = False) -> None:
    """Put a scene into the page's session state (call before the widgets are drawn).  With
    ``keep_display`` the teacher's display settings (projector mode, language) stay as they are."""
    state = st.session_state
    state["surface"] = scene.surface
    for name, value in scene.surface_params:
        state[f"surface.{name}"] = value
    state["start_x"], state["start_y"] = float(scene.start[0]), float(scene.start[1])
    state["formula"] = scene.formula
    state["formula_text"] = scene.formula or page_model.FORMULA_EXAMPLE
    state["formula_x_range"], state["formula_y_range"] = scene.x_range, scene.y_range
    state["formula_x_lo"], state["formula_x_hi"] = scene.x_range
    state["formula_y_lo"], state["formula_y_hi"] = scene.y_range
    state["formula_error"] = None
    state["lr_note"] = None  # what the last surface switch did to the learning rates (callbacks.suit_learning_rates)
    for name in PLAIN_FIELDS + (() if keep_display else DISPLAY_SETTINGS):
        state[name] = getattr(scene, name)
    first = state.get("next_run_id", 0)
    state["run_ids"] = list(range(first, first + len(scene.runs)))
    state["next_run_id"] = first + len(scene.runs)
    variants = styles.scene_variants(run.optimizer for run in scene.runs)
    for run_id, run, variant in zip(state["run_ids"], scene.runs, variants):
        state[f"run{run_id}.optimizer"] = run.optimizer
        state[f"run{run_id}.variant"] = variant
        for name, value in run.hyper:
            state[run_key(run_id, run.optimizer, name)] = value


def scene_from_state() -> Scene:
    """The scene the widgets describe.  It is read before the widgets are drawn (so the chart is sent
    first and the browser starts loading Plotly early); a widget not drawn yet has its default."""
    state = st.session_state
    surface_id = state["surface"]
    specs = () if surface_id == page_model.FORMULA else surfaces.param_specs(surface_id)
    params = tuple((spec.name, float(state.get(f"surface.{spec.name}", spec.default))) for spec in specs)
    runs = tuple(page_model.RunSpec.of(state[f"run{run_id}.optimizer"], **run_hyper(run_id))
                 for run_id in state["run_ids"])
    return Scene(
        surface=surface_id, surface_params=params, start=(float(state["start_x"]), float(state["start_y"])),
        steps=int(state["steps"]), runs=runs, schedule=state["schedule"], decay_k=float(state["decay_k"]),
        step_factor=float(state["step_factor"]), step_every=int(state["step_every"]), mu_ramp=int(state["mu_ramp"]),
        **{name: state[name] for name in page_model.scene.SCHEDULE_FIELDS[4:]},
        noise=float(state["noise"]), seed=int(state["seed"]), average=bool(state["average"]),
        tol=float(state["tol"]), field=bool(state["field"]), projector=bool(state["projector"]),
        lang=state["lang"], formula=state.get("formula", ""),
        x_range=state.get("formula_x_range", page_model.FORMULA_RANGE),
        y_range=state.get("formula_y_range", page_model.FORMULA_RANGE),
    )


def same_scene(one: Scene, other: Scene) -> bool:
    """Equal but for the display settings (the teacher's, not the scene's)."""
    neutral = {name: Scene.__dataclass_fields__[name].default for name in DISPLAY_SETTINGS}
    return dataclasses.replace(one, **neutral) == dataclasses.replace(other, **neutral)


def match_preset(scene: Scene) -> str:
    """The preset the scene is (display settings aside), or CUSTOM once it differs from every one."""
    return next((key for key, preset in page_model.PRESETS.items() if same_scene(scene, preset.scene)), CUSTOM)


# --- state <-> URL -----------------------------------------------------------------------------------------


def slug(name: str) -> str:
    """A tab's or a view's English name as a URL value: "Update rules" -> "update_rules"."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def place_query(tabs: tuple, sections: tuple, scene: Scene | None = None) -> dict:
    """Where the page is, beside the scene in the URL: the open tab (``view``) and, in Explore, the view
    (``explore``) and its settings (``ex.*``, for ``scene``'s runs); the first tab and view are left out; then the
    playback settings and the lesson and step.  ``tabs``/``sections``: their English names, in order."""
    state = st.session_state
    open_tab = next((name for name in tabs if state.get("view") in {i18n.t(name, lang) for lang in page_model.LANGUAGES}),
                    tabs[0])
    query = {} if open_tab == tabs[0] else {"view": slug(open_tab)}
    if open_tab == "Explore":
        section = state.get("explore_section", sections[0])
        if section != sections[0]:
            query["explore"] = slug(section)
        if scene is not None and scene.runs:
            query.update(explore_query(section, scene))
    return {**query, **page_model.playback.to_query(stage.settings()), **network_lab.to_query(lab_from_state()),
            **lesson_query()}


# --- Explore's settings (``page_model/explore_settings.py``) ---------------------------------------------------


def explore_query(section: str, scene: Scene) -> dict:
    """The open Explore view's settings that differ from their defaults, as ``ex.*`` URL parameters."""
    state = st.session_state
    run_index = min(int(state.get(explore_settings.run_key(section), 0) or 0), len(scene.runs) - 1)
    run = scene.runs[run_index]
    return explore_settings.to_query(section, state, run.optimizer, scene.steps,
                                     tuple(explore_settings.float_params(run.optimizer, run.params)))


def read_explore(scene: Scene) -> list:
    """The Explore settings a shared link gives (first visit, after the scene's runs are loaded); its warnings."""
    query = {key: st.query_params.get_all(key) for key in st.query_params.keys()
             if key.startswith(explore_settings.PREFIX)}
    if not query:
        return []
    values, warnings = explore_settings.from_query(query, *explore_settings.run_lookups(scene.runs))
    for key, value in values.items():
        st.session_state[key] = value
    return warnings


def keep_explore() -> None:
    """Keep the Explore settings while their widgets are not drawn (another tab, another view), as ``keep_lab``
    does for the lab: a student who looks at the paths and comes back finds the sweep as they left it."""
    state = st.session_state
    for key in [key for key in state if isinstance(key, str) and explore_settings.is_setting_key(key)]:
        state[key] = state[key]


def lesson_query() -> dict:
    """The lesson and step on (``ui/lesson_panel.py``), so a link reopens it there: a built-in lesson by its id, one
    from a URL by that URL (an uploaded one cannot be found again from a link)."""
    state = st.session_state
    lesson, step = state.get("lesson"), state.get("lesson_step")
    if lesson in lessons.BUILTIN and isinstance(step, int):
        return {"lesson": lesson, "step": str(step)}
    if lesson == "@url" and state.get("lesson_url") and isinstance(step, int):  # ui/lesson_panel.py's REMOTE
        return {"lesson": state["lesson_url"], "step": str(step)}
    return {}


def read_playback() -> list:
    """The playback settings a shared link gives (first visit); a bad value is ignored with a warning."""
    state, warnings = st.session_state, []
    for name, key in stage.STATE_KEYS.items():
        value = st.query_params.get(name)
        if value is None:
            continue
        try:
            state[key] = page_model.playback.parse(name, value)
        except ValueError:
            warnings.append(i18n.Message("URL value {key}={shown} is not one of {valid}; ignored.", key=name,
                                         shown=repr(value[:40]), valid=page_model.playback.VALID[name]))
    return warnings


def read_place(tabs: tuple, sections: tuple) -> list:
    """Open the tab and Explore view a shared link names (first visit); a value that names none is left at
    the first, with a warning naming it and the valid ones."""
    state, warnings = st.session_state, []
    for key, names, target in (("view", tabs, "view"), ("explore", sections, "explore_section")):
        value = st.query_params.get(key)
        if value is None:
            continue
        chosen = next((name for name in names if slug(name) == value), None)
        if chosen is None:
            warnings.append(i18n.Message("URL value {key}={shown} is not one of {valid}; ignored.", key=key,
                                         shown=repr(value[:40]), valid=", ".join(slug(name) for name in names)))
        else:
            state[target] = i18n.t(chosen, state["lang"]) if key == "view" else chosen
    return warnings + read_playback()


def read_url() -> tuple:
    """(scene, warnings) of the page's URL (``page_model.from_query``: it never raises)."""
    query = {key: st.query_params.get_all(key) for key in st.query_params.keys()}
    return page_model.from_query(query)


def read_lab() -> list:
    """The network lab a shared link gives (first visit, after the scene's runs are loaded); its warnings."""
    query = {key: st.query_params.get_all(key) for key in st.query_params.keys() if key.startswith("net.")}
    lab, warnings = network_lab.from_query(query)
    load_lab(lab)
    return warnings


def write_url(scene: Scene, place: dict | None = None) -> None:
    """The scene (and ``place``: the open tab and view) into the URL, only when it changed (a shared link
    reproduces the scene and opens where it was taken)."""
    query = {**page_model.to_query(scene), **(place or {})}
    current = {key: st.query_params.get_all(key) for key in st.query_params.keys()}
    wanted = {key: value if isinstance(value, list) else [value] for key, value in query.items()}
    if current != wanted:
        st.query_params.from_dict(query)


# --- the network lab (``ui/network_tab.py``) ------------------------------------------------------------------

LAB_KEYS = {"layers": "net.layers", "units": "net.units", "activation": "net.act", "batch": "net.batch",
            "iterations": "net.iters", "seed": "net.seed", "init": "net.init", "view": "net.view", "plane": "net.plane",
            "batchnorm": "net.bn", "init_activation": "net.iact", "overfit_examples": "net.ofn",
            "weight_decay": "net.wd", "dropout": "net.drop", "dropout_convention": "net.dconv", "trials": "net.trials",
            "lr_range": "net.lrr", "decay_range": "net.wdr", "members": "net.members"}


RESEND_RUNS = 4  # the first runs of a session, in which widget code may still be loading (see resend_values)


def resend_values() -> None:
    """In a session's first few runs, give every widget whose value the page set (from the URL, a scene, the lab) that
    value again.

    Streamlit tells the browser such a value once, in the run that set it; a widget whose code the browser has not
    loaded by the next run then appears with its own default (start x at −20, steps at 1, the language box saying
    English on a Chinese page) while the server keeps the right value, and the student's first click builds on the
    wrong one.  It happens when the first run computes for seconds (the server then answers the browser's requests
    for widget code late).  Only the first RESEND_RUNS runs: afterwards every widget's code is there, and resending
    on every run could undo a slider's newer value with an older run's."""
    state = st.session_state
    runs = state.get("resend_runs", 0)
    if runs >= RESEND_RUNS:
        return
    state["resend_runs"] = runs + 1
    keys = ["lang", "view", "start_x", "start_y", "formula_text", "formula_x_lo", "formula_x_hi", "formula_y_lo",
            "formula_y_hi", "keep_lrs", "projector", *stage.STATE_KEYS.values(), *PLAIN_FIELDS]
    keys += [key for key in state if isinstance(key, str) and key.startswith("surface.")]
    keys += [key for key in state if isinstance(key, str) and "@" in key and not key.endswith("@revision")]  # choices
    for key in keys:
        if key in state:
            state[key] = state[key]


def keep_lab() -> None:
    """Keep the network lab's settings while their widgets are not drawn (another tab, another view).

    Streamlit forgets a widget's value at the end of a run that did not draw it; writing the value back at the start
    of every run (the page's and its fragment's) makes it the session's own, as Streamlit's docs advise.  Only the
    lab's settings (the URL's ``net.*``): a button's key cannot be written, and the gradient check's pickers set
    their own value."""
    state = st.session_state
    keys = [*LAB_KEYS.values(), "net.data"]
    keys += [f"net.{name}.{param.name}" for name, spec in datasets.DATASETS.items() for param in spec.params]
    keys += [net_lr_key(run_id, state[f"run{run_id}.optimizer"]) for run_id in state.get("run_ids", ())
             if f"run{run_id}.optimizer" in state]
    for key in keys:
        if key in state:
            state[key] = state[key]


def net_lr_key(run_id: int, optimizer: str) -> str:
    """A run's learning rate for the network: its own, beside the surface's (per optimizer, as every setting)."""
    return run_key(run_id, optimizer, "net_lr")


def load_lab(lab) -> None:
    """Put a ``page_model.network_lab.Lab`` into the session state (the runs' learning rates by position)."""
    state = st.session_state
    state["net.data"] = lab.data
    for name, value in lab.data_params:
        state[f"net.{lab.data}.{name}"] = value
    for field, key in LAB_KEYS.items():
        state[key] = getattr(lab, field)
    for index, run_id in enumerate(state.get("run_ids", ())):
        optimizer = state[f"run{run_id}.optimizer"]
        state[net_lr_key(run_id, optimizer)] = lab.lr(index, optimizer)


def lab_from_state():
    """The Lab the network tab's widgets describe (a widget not drawn yet: the default)."""
    state, base = st.session_state, network_lab.Lab()
    name = state.get("net.data", base.data)
    params = tuple((p.name, state.get(f"net.{name}.{p.name}", p.default)) for p in datasets.DATASETS[name].params)
    lrs = tuple(state.get(net_lr_key(run_id, state[f"run{run_id}.optimizer"]),
                          network_lab.default_lr(state[f"run{run_id}.optimizer"])) for run_id in state["run_ids"])
    defaults = tuple(network_lab.default_lr(state[f"run{run_id}.optimizer"]) for run_id in state["run_ids"])
    return network_lab.Lab(data=name, data_params=params, lrs=() if lrs == defaults else lrs,
                           **{field: state.get(key, getattr(base, field)) for field, key in LAB_KEYS.items()})
