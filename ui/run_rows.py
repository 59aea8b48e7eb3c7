"""The runs, one compact row each, above the tabs: the chart and every run's main controls on one screen
(issue 15, item 5).  The sidebar keeps the scene (``ui/sidebar.py``).

A row: a badge in exactly the run's colour with its number; its optimizer; its learning rate on the rule's
grid; the one-click "stable" / "edge" learning rates ("stable" turns red with a ⚠ past the rule's limit:
``stability``); its main other hyperparameter (``main_hyper``); and "⋯", which opens every other hyperparameter
of the run (ε, its placement, the Nesterov form, bias correction, the line search and its c₁, c₂, …), the
stability text and "Remove this run" under the row.  Add run / Reset runs are Streamlit buttons in the heading.

All the rows are one Streamlit components-v2 component (``run_rows_web/run_rows.js``, no iframe), not some twenty
Streamlit elements per row: an lr change reran every one of them, half of its server CPU (issue 14), and
Streamlit's slider waits about 0.1 s before it sends a value (issue 15's latency).  Python stays the source of
every value and every word: ``rows_data`` sends each row's values, grids (with their labels), words and help;
the browser sends back edits (``apply_edits``), which are checked against the rule before they change a run.

The session state keeps the keys it always had (``run{id}.optimizer``, ``state.run_key(id, optimizer, name)``):
the URL, the presets, the lessons and the other tabs know the runs by them.  They are plain session-state values
now (no widget owns them), so nothing is forgotten while "⋯" is closed.  Every hyperparameter's control, its
label, grid and help, comes from its rule (``optim_core.RULES``).
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import NamedTuple

import streamlit as st

import optim_core
import page_model
from viz import equations, styles

from . import callbacks, viewport, widgets
from .state import option_labels, run_hyper, run_key, run_looks, tr

LOG = logging.getLogger("optimizer_paths")
WEB = Path(__file__).with_name("run_rows_web")
KEY = "run_rows"  # the component's key (its element gets the class st-key-run_rows)
# A hyperparameter that is never a run's main other one: ε is a numerical stabiliser, rarely touched.
NOT_MAIN = ("lr", "eps")


def main_hyper(optimizer: str, hyper: dict) -> optim_core.HyperSpec | None:
    """The run's main other hyperparameter, the one its row shows beside the learning rate (chosen here and
    nowhere else): the first numeric hyperparameter after lr in the rule's order that is not ε and that
    applies with the run's options (``HyperSpec.applies``).  So μ for Momentum and Nesterov, β₁ for the Adam
    family, the decay rate ρ for RMSProp and AdaDelta, the memory m for L-BFGS, c₁ for a rule with a line
    search; None for AdaGrad and for SGD or Newton taking a fixed step.  Option-valued hyperparameters (ε
    placement, Nesterov form, bias correction, the line search) are never main: they sit behind "⋯"."""
    specs = optim_core.hyper_specs(optimizer)
    names = [spec.name for spec in specs]
    after_lr = specs[names.index("lr") + 1:] if "lr" in names else specs
    return next((spec for spec in after_lr
                 if not spec.choices and spec.name not in NOT_MAIN and spec.applies(hyper)), None)


_WORD = re.compile(r"[A-Za-z]{2,}")


def symbol(spec: optim_core.HyperSpec, lang: str = "en") -> str:
    """A hyperparameter's sign, shown before its slider in a row: the first word of its English label that is
    not an English word ("learning rate η" -> "η", "momentum μ" -> "μ", "β₁", "memory m" -> "m",
    "sufficient decrease c₁" -> "c₁"); a label without one is shown whole, translated."""
    for word in spec.label.split():
        word = word.strip("()")
        if word and not _WORD.fullmatch(word):
            return word
    return equations.hyper_label(spec, lang)


# --- the stability cue ------------------------------------------------------------------------------------


class Stability(NamedTuple):
    """The stability cue of one run: 2/λmax at the start, the rule's own limit on the local quadratic model
    (None: the rule has none for these options, e.g. with a line search) and the one-click learning rates."""

    lr_max: float
    limit: float | None
    stable: float | None = None
    edge: float | None = None


def stability(optimizer: str, hyper: dict, lr_max: float | None) -> Stability | None:
    """The run's cue (None: no direction curves upward at the start).  ``Rule.lr_limit``: GD 2/λmax, heavy
    ball 2(1 + μ)/λmax, Nesterov 2(1 + μ)/((1 + 2μ)λmax), Newton 2."""
    if lr_max is None:
        return None
    rule = optim_core.RULES[optimizer]
    limit = None if rule.lr_limit is None else rule.lr_limit(hyper, 2.0 / lr_max)
    if limit is None:
        return Stability(lr_max, None)
    return Stability(lr_max, limit, *callbacks.stable_learning_rates(optimizer, limit))


def past_limit(cue: Stability | None, hyper: dict) -> bool:
    """The learning rate is past the rule's limit (at the limit itself the steepest direction oscillates with a
    constant amplitude: "edge" is not a warning)."""
    return cue is not None and cue.limit is not None and hyper["lr"] > cue.limit


def warning_text(optimizer: str, hyper: dict, cue: Stability) -> str:
    """Past the rule's limit: what goes wrong (the row shows it in red)."""
    return tr("⚠ lr = {lr:.3g} > {rule} = {limit:.3g} at the start: the steepest direction oscillates with "
              "growing amplitude on the local quadratic model", lr=hyper["lr"],
              rule=optim_core.RULES[optimizer].lr_limit_text, limit=cue.limit)


def stability_text(optimizer: str, hyper: dict, cue: Stability) -> str:
    """The cue in words (under "⋯"): the warning past the limit, else 2/λmax and the rule's limit."""
    rule = optim_core.RULES[optimizer]
    if past_limit(cue, hyper):
        return warning_text(optimizer, hyper, cue)
    if cue.limit is not None and rule.lr_limit_text != "2/λmax":
        return tr("2/λmax at the start = {lr_max:.3g}; {rule} = {limit:.3g}", lr_max=cue.lr_max,
                  rule=rule.lr_limit_text, limit=cue.limit)
    return tr("2/λmax at the start = {lr_max:.3g}", lr_max=cue.lr_max)


def cue_data(optimizer: str, hyper: dict, cue: Stability | None) -> dict | None:
    """The "stable" / "edge" buttons: their learning rates and tooltips (None: the rule has no limit here).
    Past the limit "stable" is red with a ⚠ and its tooltip starts with the warning."""
    if cue is None or cue.limit is None:
        return None
    rule_text = optim_core.RULES[optimizer].lr_limit_text
    stable_help = tr("largest stable: lr = {lr:.3g}, the largest slider value below {rule}", lr=cue.stable,
                     rule=rule_text)
    past = past_limit(cue, hyper)
    return {"stable": cue.stable, "edge": cue.edge, "past": past,
            "stable_help": warning_text(optimizer, hyper, cue) + "\n\n" + stable_help if past else stable_help,
            "edge_help": tr("edge of stability: lr = {lr:.3g} = {rule}, where the steepest direction neither grows "
                            "nor shrinks", lr=cue.edge, rule=rule_text)}


# --- what the browser is sent -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)  # pure; the same few grids on every run
def grid_labels(options: tuple) -> list:
    """A slider grid's labels, as the page writes numbers (``widgets.number_format``)."""
    return [widgets.number_format(value) for value in options]


class Grids:
    """The slider grids of one draw, each sent once ("g0", "g1", …) however many controls use it."""

    def __init__(self):
        self.ids: dict = {}

    def id_of(self, options: tuple) -> str:
        return self.ids.setdefault(options, f"g{len(self.ids)}")

    def payload(self) -> dict:
        return {grid_id: {"values": list(options), "labels": grid_labels(options)}
                for options, grid_id in self.ids.items()}


def control(run_id: int, optimizer: str, spec: optim_core.HyperSpec, grids: Grids, lang: str) -> dict:
    """One hyperparameter's control as its rule defines it: a toggle (a flag), a select box (options; their
    labels translated, their values the URL's) or a slider on the rule's grid (the run's value inserted if it is
    not on it)."""
    state = st.session_state
    key = run_key(run_id, optimizer, spec.name)
    value = state.setdefault(key, spec.default)
    common = {"name": spec.name, "label": equations.hyper_label(spec, lang), "help": tr(spec.help),
              "symbol": symbol(spec, lang)}
    if spec.choices and isinstance(spec.default, bool):
        return dict(common, kind="toggle", value=bool(value))
    if spec.choices:
        words = option_labels()
        return dict(common, kind="select", value=value if value in spec.choices else spec.choices[0],
                    choices=[[choice, words(spec.choice_label(choice))] for choice in spec.choices])
    return dict(common, kind="slider", value=value, grid=grids.id_of(page_model.options_with(tuple(spec.options),
                                                                                           value)))


def row_data(position: int, run_id: int, look: styles.RunStyle, lr_limit: float | None, grids: Grids,
             lang: str) -> dict:
    """Everything one row shows."""
    state = st.session_state
    optimizer = state[f"run{run_id}.optimizer"]
    specs = optim_core.hyper_specs(optimizer)
    lr = control(run_id, optimizer, optim_core.hyper_spec(optimizer, "lr"), grids, lang)
    hyper = run_hyper(run_id)
    main = main_hyper(optimizer, hyper)
    cue = stability(optimizer, hyper, lr_limit)
    title = optim_core.RULES[optimizer].title
    return {
        "id": run_id, "number": position + 1, "colour": look.colour, "ink": text_colour(look.colour),
        "optimizer": optimizer, "title": tr("Run {n}: {title}", n=position + 1, title=title),
        "lr": lr, "main": None if main is None else control(run_id, optimizer, main, grids, lang),
        "cue": cue_data(optimizer, hyper, cue),
        "more": [control(run_id, optimizer, spec, grids, lang) for spec in specs
                 if spec.name != "lr" and spec is not main and spec.applies(hyper)],  # e.g. c2 only with Wolfe
        "stability": None if cue is None else {"text": stability_text(optimizer, hyper, cue),
                                               "warning": past_limit(cue, hyper)},
    }


WORDS = ("optimizer", "stable", "edge", "Remove this run", "More settings of this run")


def rows_data(lr_limit: float | None) -> dict:
    """What the rows component draws: each row, the grids its sliders use, the optimizers, the words."""
    state = st.session_state
    lang = state.get("lang", "en")
    grids = Grids()
    rows = [row_data(position, run_id, look, lr_limit, grids, lang)
            for position, (run_id, look) in enumerate(zip(state["run_ids"], run_looks()))]
    state[ONE_CLICK] = {row["id"]: (row["cue"]["stable"], row["cue"]["edge"]) for row in rows if row["cue"]}
    return {"rows": rows, "grids": grids.payload(),
            "optimizers": [[name, optim_core.RULES[name].title] for name in optim_core.names()],
            "words": {word: tr(word) for word in WORDS}, "projector": bool(state.get("projector")),
            "cue_width": CUE_WIDTH.get(lang, WIDEST_CUE), "applied": state.get(APPLIED, 0)}


# The stable / edge buttons' place, wide enough for their words in each language (in rem: it grows with the
# projector's type).
CUE_WIDTH = {"en": "9.5rem", "zh": "12rem"}
WIDEST_CUE = "12rem"


# --- what the browser sends back --------------------------------------------------------------------------

APPLIED = "run_rows_applied"  # the number of the last edit applied (the browser numbers its edits)
MAX_EDITS = 256  # at most this many edits of a message are looked at, numbered at most this far past the last
ONE_CLICK = "run_rows_one_click"  # {run id: (stable, edge)}: the learning rates the rows' buttons last offered


def apply_edits() -> None:
    """The browser's edits since the last it saw applied: [{"seq", "run", "name", "value"}, …] in order.  It
    sends every edit not yet applied each time (two sends that Streamlit merges lose nothing), so an edit
    whose number is not past the last applied one is skipped.  A name: "optimizer", "remove" or one of the
    run's hyperparameters.  A run that is gone, a name the rule does not have or a value its control does not
    offer changes nothing (the page's own controls send none; a hand-made message might)."""
    state = st.session_state
    sent = (state.get(KEY) or {}).get("edit") or {}
    edits = sent.get("edits") if isinstance(sent, dict) else None
    ignored = 0
    for edit in edits[-MAX_EDITS:] if isinstance(edits, list) else ():  # bounded work for any message
        seq = edit.get("seq") if isinstance(edit, dict) else None
        applied = state.get(APPLIED, 0)
        if type(seq) is not int or not applied < seq <= applied + MAX_EDITS:  # (a huge number would end the
            continue                                                        # session's edits: JS counts in doubles)
        state[APPLIED] = seq
        run_id = edit.get("run")
        if type(run_id) is int and run_id in state["run_ids"]:  # not True, not 1.0 (both == 1)
            ignored += not apply_edit(run_id, edit.get("name"), edit.get("value"))
    if ignored:
        LOG.warning("run rows: ignored %d edit(s) that no control offers", ignored)


def apply_edit(run_id: int, name, value) -> bool:
    """One edit of one run; False if no control of the row offers it (nothing changes then)."""
    state = st.session_state
    if name == "remove":
        callbacks.on_remove_run(run_id)
    elif name == "optimizer":
        if not (isinstance(value, str) and value in optim_core.RULES):
            return False
        if value != state[f"run{run_id}.optimizer"]:
            state[f"run{run_id}.optimizer"] = value
            callbacks.on_optimizer(run_id)
    else:
        optimizer = state[f"run{run_id}.optimizer"]
        spec = next((spec for spec in optim_core.hyper_specs(optimizer)
                     if spec.name == name and spec.applies(run_hyper(run_id))), None)  # a control the row shows
        key = None if spec is None else run_key(run_id, optimizer, spec.name)
        extra = state.get(ONE_CLICK, {}).get(run_id, ()) if name == "lr" else ()
        option = None if spec is None else offered(spec, state.get(key, spec.default), value, extra)
        if option is None:
            return False
        state[key] = option
    return True


def offered(spec: optim_core.HyperSpec, current, value, extra=()):
    """The option of the hyperparameter's control that ``value`` is (the current value and ``extra``, the
    learning rates of "stable" and "edge", included), as the rule writes it (JSON sends 1.0 as 1); None if the
    control offers no such value."""
    if spec.choices:
        return next((choice for choice in spec.choices if value == choice and type(value) is type(choice)), None)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1e300 < value < 1e300:
        return None  # (an int of 400 digits would overflow math.isfinite; NaN fails the comparison)
    return next((option for option in page_model.options_with(tuple(spec.options), current) + tuple(extra)
                 if option == value and spec.accepts(option)), None)


# --- the rows -----------------------------------------------------------------------------------------------

_component = st.components.v2.component(
    "optimizer_paths_run_rows", html="", css=(WEB / "run_rows.css").read_text(encoding="utf-8"),
    js=widgets.component_js(WEB / "run_rows.js"), isolate_styles=False)


def render(lr_limit: float | None) -> None:
    """Every run's row; ``lr_limit``: 2/λmax at the start (None: no direction curves upward there).  In projector
    mode and on a phone the rows fold into one line (an expander, closed at first), so the chart has the screen."""
    state = st.session_state
    if state.get("projector") or viewport.is_narrow():
        titles = ", ".join(optim_core.RULES[state[f"run{run_id}.optimizer"]].title for run_id in state["run_ids"])
        holder = st.expander(tr("Runs: {titles}", titles=titles or "—"), expanded=False)
    else:
        holder = st.container()
    with holder:
        _component(data=widgets.packed(rows_data(lr_limit)), key=KEY, on_edit_change=widgets.safe(apply_edits))


def buttons() -> None:
    """Add run / Reset runs (the heading's line draws them, beside the surface's name, to save the chart a row)."""
    state = st.session_state
    with st.container(horizontal=True, key="run_buttons", gap="xsmall", horizontal_alignment="right"):
        st.button(tr("Add run"), icon=":material/add:", key="add_run", on_click=widgets.safe(callbacks.on_add_run),
                  disabled=len(state["run_ids"]) >= page_model.MAX_RUNS)
        st.button(tr("Reset runs"), icon=":material/restart_alt:", key="reset_runs", on_click=widgets.safe(callbacks.on_reset_runs),
                  help=tr("Back to the preset's runs (the book's comparison for your own scene)."))


# --- how the rows look ------------------------------------------------------------------------------------


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (#RRGGBB; WCAG relative luminance).

    >>> text_colour("#F0E442"), text_colour("#0072B2")
    ('#000000', '#FFFFFF')
    """
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(background[i:i + 2], 16)) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#FFFFFF"
