"""What the sidebar's, the run rows' and the paths chart's widgets do when changed.  Callbacks run before the script,
so they may set widget state; the widgets wrap each in ``widgets.safe`` (an error is a sentence in the
page's language, never a traceback).  The Explore tab's callbacks are in ``ui/explore_tab.py``."""

from __future__ import annotations

import math

import streamlit as st

import optim_core
import page_model
import surfaces
from optim_core import analysis
from viz import i18n, styles

from . import state as page_state


def on_preset() -> None:
    state = st.session_state
    if state["preset"] in page_model.PRESETS:
        state["last_preset"] = state["preset"]
        page_state.load_scene(page_model.PRESETS[state["preset"]].scene, keep_display=True)


def on_surface() -> None:
    state = st.session_state
    if state["surface"] == page_model.FORMULA:
        if not state.get("formula"):
            state["formula_text"] = page_model.FORMULA_EXAMPLE
        on_formula()
        return
    surface = surfaces.get(state["surface"])
    for spec in surfaces.param_specs(surface.id):
        state[f"surface.{spec.name}"] = spec.default
    state["start_x"], state["start_y"] = map(float, surface.default_start)
    suit_learning_rates(surface)


def on_formula() -> None:
    """Apply the typed formula and domain if the parser accepts them; otherwise keep the surface
    that was there and say what is wrong (the message names the offending part)."""
    state = st.session_state
    try:
        x_range = page_model.check_range(state["formula_x_lo"], state["formula_x_hi"], "x range")
        y_range = page_model.check_range(state["formula_y_lo"], state["formula_y_hi"], "y range")
        surface = surfaces.from_formula(state["formula_text"], x_range=x_range, y_range=y_range)
    except ValueError as error:
        state["formula_error"] = i18n.Message.of(error)  # shown in the page's language
        return
    state["formula_error"] = None
    state["formula"], state["formula_x_range"], state["formula_y_range"] = state["formula_text"], x_range, y_range
    state["start_x"], state["start_y"] = map(float, surface.default_start)
    suit_learning_rates(surface)


# The learning rates a new surface is tried with: round numbers, 1, 2, 3, 5 and 7 per decade (all on the lr slider).
LR_GRID = tuple(round(m * 10.0**e, 12) for e in range(-4, 1) for m in (1, 2, 3, 5, 7)) + (10.0,)


def suit_learning_rates(surface) -> None:
    """A new surface: each run gets a learning rate worth seeing there (``analysis.recommended_lr``, from the
    surface's default start over the scene's steps), unless the user keeps their own; the page says which."""
    state = st.session_state
    state["lr_note"] = None
    if state.get("keep_lrs") or not state["run_ids"]:
        return
    changed = []
    for run_id in state["run_ids"]:
        optimizer = state[f"run{run_id}.optimizer"]
        hyper = page_state.run_hyper(run_id)
        old = hyper.pop("lr")
        new = analysis.recommended_lr(surface, optimizer, LR_GRID, fixed=hyper, start=surface.default_start,
                                      steps=int(state["steps"]))
        state[page_state.run_key(run_id, optimizer, "lr")] = new
        if new != old:
            changed.append(f"{optim_core.RULES[optimizer].title} {old:g} → {new:g}")
    if changed:
        state["lr_note"] = i18n.Message("Learning rates suited to this surface: {changes}.",
                                        changes=", ".join(changed))


def on_optimizer(run_id: int) -> None:
    """A run that changes optimizer takes that optimizer's colour, in the first shade no other run of it uses."""
    state = st.session_state
    state[f"run{run_id}.variant"] = styles.first_free_variant(state[f"run{run_id}.optimizer"],
                                                              page_state.taken_variants(run_id))


def _halved(optimizer: str, lr: float) -> float:
    """Half the learning rate (double it at the bottom of its slider): a new run must look different."""
    low = optim_core.hyper_spec(optimizer, "lr").options[0]
    return float(f"{lr / 2:.3g}") if lr / 2 >= low else float(f"{lr * 2:.3g}")


def stable_learning_rates(optimizer: str, limit: float) -> tuple:
    """(largest stable, edge of stability) for a rule whose lr limit is ``limit``: the largest value of the
    lr slider below the limit, and the limit itself to 3 significant digits."""
    options = optim_core.hyper_spec(optimizer, "lr").options
    below = [value for value in options if value < limit]
    unit = 10.0 ** (math.floor(math.log10(limit)) - 2)  # the third significant digit, rounded down: not past it
    return (below[-1] if below else options[0]), round(math.floor(limit / unit) * unit, 12)


def on_add_run() -> None:
    """A new run: the last run's optimizer and settings at half its learning rate (said in its label),
    in that optimizer's next shade."""
    state = st.session_state
    if len(state["run_ids"]) >= page_model.MAX_RUNS:
        return
    if not state["run_ids"]:
        page_state.add_run("adam", ())
        return
    last = state["run_ids"][-1]
    hyper = page_state.run_hyper(last)
    optimizer = state[f"run{last}.optimizer"]
    hyper["lr"] = _halved(optimizer, hyper["lr"])
    page_state.add_run(optimizer, hyper.items())


def on_remove_run(run_id: int) -> None:
    st.session_state["run_ids"] = [r for r in st.session_state["run_ids"] if r != run_id]


def on_reset_runs() -> None:
    """Back to the runs of the preset last chosen (the book's comparison if none was)."""
    preset = page_model.PRESETS[st.session_state.get("last_preset", "book")]
    page_state.load_scene(page_model.with_runs(page_state.scene_from_state(), preset.scene.runs), keep_display=True)


def dismiss_url_warnings() -> None:
    st.session_state["url_warnings"] = []
