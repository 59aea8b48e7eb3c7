"""The runs, one compact row each, above the tabs: the chart and every run's main controls on one screen
(issue 15, item 5).  The sidebar keeps the scene (``ui/sidebar.py``).

A row: a badge in exactly the run's colour with its number; its optimizer; its learning rate on the rule's
grid; the one-click "stable" / "edge" learning rates ("stable" turns red with a ⚠ past the rule's limit:
``stability``); its main other hyperparameter (``main_hyper``); and "⋯", a popover with every other
hyperparameter of the run (ε, its placement, the Nesterov form, bias correction, the line search and its c₁,
c₂, …), the stability text and "Remove this run".  Below the rows: Add run / Reset runs.  At 1400 × 1000 a
row is 40 px high (48 px apart), so four rows and the buttons take about 230 px and the chart fits below.

Every widget keeps the key it always had (``run{id}.optimizer``, ``state.run_key(id, optimizer, name)``,
``run{id}.stable_lr``, ``run{id}.edge_lr``, ``remove{id}``, ``add_run``, ``reset_runs``): the URL, the presets
and the session state know the runs by them.  "⋯" draws its content only while it is open (an lr change
sends a third fewer elements); ``keep_closed_settings`` keeps the values of its widgets while it is closed.
Every hyperparameter's widget, its label, grid and help, comes from its
rule (``optim_core.RULES``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

import streamlit as st

import optim_core
import page_model
from viz import equations, styles

from . import callbacks, viewport, widgets
from .state import option_labels, run_hyper, run_key, run_looks, tr

SPACE = "\u00a0"  # what holds an empty place of a row open (Streamlit does not draw an empty container)
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
    return cue is not None and cue.limit is not None and hyper["lr"] >= cue.limit


def warning_text(optimizer: str, hyper: dict, cue: Stability) -> str:
    return tr(":red[⚠ lr = {lr:.3g} ≥ {rule} = {limit:.3g} at the start: the steepest direction oscillates with "
              "growing amplitude on the local quadratic model]", lr=hyper["lr"],
              rule=optim_core.RULES[optimizer].lr_limit_text, limit=cue.limit)


def stability_text(optimizer: str, hyper: dict, cue: Stability) -> str:
    """The cue in words (in the "⋯" popover): the warning past the limit, else 2/λmax and the rule's limit."""
    rule = optim_core.RULES[optimizer]
    if past_limit(cue, hyper):
        return warning_text(optimizer, hyper, cue)
    if cue.limit is not None and rule.lr_limit_text != "2/λmax":
        return tr("2/λmax at the start = {lr_max:.3g}; {rule} = {limit:.3g}", lr_max=cue.lr_max,
                  rule=rule.lr_limit_text, limit=cue.limit)
    return tr("2/λmax at the start = {lr_max:.3g}", lr_max=cue.lr_max)


def stability_buttons(run_id: int, optimizer: str, hyper: dict, cue: Stability) -> None:
    """One click to the largest stable lr or to the edge of stability.  Past the rule's limit "stable" turns
    red with a ⚠, and its tooltip starts with the warning (the same words as behind "⋯")."""
    rule_text = optim_core.RULES[optimizer].lr_limit_text
    stable_help = tr("largest stable: lr = {lr:.3g}, the largest slider value below {rule}", lr=cue.stable,
                     rule=rule_text)
    past = past_limit(cue, hyper)
    st.button(tr("stable"), key=f"run{run_id}.stable_lr", on_click=widgets.safe(callbacks.on_set_lr),
              args=(run_id, cue.stable), type="primary" if past else "secondary",
              icon=":material/warning:" if past else None,
              help=warning_text(optimizer, hyper, cue) + "\n\n" + stable_help if past else stable_help)
    st.button(tr("edge"), key=f"run{run_id}.edge_lr", on_click=widgets.safe(callbacks.on_set_lr),
              args=(run_id, cue.edge),
              help=tr("edge of stability: lr = {lr:.3g} = {rule}, where the steepest direction neither grows nor "
                      "shrinks", lr=cue.edge, rule=rule_text))


# --- the rows -----------------------------------------------------------------------------------------------


def render(lr_limit: float | None) -> None:
    """Every run's row; ``lr_limit``: 2/λmax at the start (None: no direction curves upward there).  In projector
    mode and on a phone the rows fold into one line (an expander, closed at first), so the chart has the screen;
    their widgets are drawn all the same (a folded widget keeps its state)."""
    state = st.session_state
    st.html(row_css(state["run_ids"], run_looks(), bool(state.get("projector")), state.get("lang", "en")))
    if state.get("projector") or viewport.is_narrow():
        titles = ", ".join(optim_core.RULES[state[f"run{run_id}.optimizer"]].title for run_id in state["run_ids"])
        holder = st.expander(tr("Runs: {titles}", titles=titles or "—"), expanded=False)
    else:
        holder = st.container()
    with holder, st.container(key="run_rows", gap="xsmall"):
        for position, run_id in enumerate(state["run_ids"]):
            run_row(position, run_id, lr_limit)


def buttons() -> None:
    """Add run / Reset runs (the heading's line draws them, beside the surface's name, to save the chart a row)."""
    state = st.session_state
    with st.container(horizontal=True, key="run_buttons", gap="small", horizontal_alignment="right"):
        st.button(tr("➕ Add run"), key="add_run", on_click=widgets.safe(callbacks.on_add_run),
                  disabled=len(state["run_ids"]) >= page_model.MAX_RUNS)
        st.button(tr("↺ Reset runs"), key="reset_runs", on_click=widgets.safe(callbacks.on_reset_runs),
                  help=tr("Back to the preset's runs (the book's comparison for your own scene)."))


def run_row(position: int, run_id: int, lr_limit: float | None) -> None:
    """One run's row.  It is a flex row that wraps on a narrow screen, in this order: badge and optimizer,
    learning rate, stable / edge, the main other hyperparameter, "⋯"."""
    state = st.session_state
    lang = state.get("lang", "en")
    optimizer = state[f"run{run_id}.optimizer"]
    title = optim_core.RULES[optimizer].title
    hyper = run_hyper(run_id)
    specs = optim_core.hyper_specs(optimizer)
    main = main_hyper(optimizer, hyper)
    cue = stability(optimizer, hyper, lr_limit)
    with st.container(horizontal=True, vertical_alignment="center", gap="small", key=f"run_row_{run_id}"):
        with st.container(horizontal=True, vertical_alignment="center", gap="small", wrap=False, width="content",
                          key=f"run_head_{run_id}"):
            with st.container(key=f"run_badge_{run_id}", width="content"):
                st.markdown(f"{position + 1}", width="content")
            st.selectbox(tr("optimizer"), optim_core.names(), key=f"run{run_id}.optimizer",
                         format_func=lambda k: optim_core.RULES[k].title, label_visibility="collapsed",
                         width=200 if state.get("projector") else 140,
                         on_change=widgets.safe(callbacks.on_optimizer), args=(run_id,))
        labelled_slider(run_id, optimizer, optim_core.hyper_spec(optimizer, "lr"), lang, "lr")
        # the same places in every row, filled or not, so the rows line up like a table's ("_none": an empty
        # place, left out on a phone)
        has_cue = cue is not None and cue.limit is not None
        with st.container(horizontal=True, vertical_alignment="center", gap="small", wrap=False,
                          width="content", key=f"run_cue_{run_id}" if has_cue else f"run_cue_none_{run_id}"):
            if has_cue:
                stability_buttons(run_id, optimizer, hyper, cue)
            else:
                st.markdown(SPACE)
        if main is not None:
            labelled_slider(run_id, optimizer, main, lang, "main")
        else:
            with st.container(key=f"run_main_none_{run_id}"):
                st.markdown(SPACE)
        more = st.popover("⋯", help=tr("Run {n}: {title}", n=position + 1, title=title), key=more_key(run_id),
                          on_change="rerun")
        if more.open:  # drawn only while open (keep_closed_settings keeps its values meanwhile)
            with more:
                st.markdown(f"**{tr('Run {n}: {title}', n=position + 1, title=title)}**")
                for spec in specs:
                    if spec.name == "lr" or spec is main or not spec.applies(hyper):  # e.g. c2 without a Wolfe search
                        continue
                    hyper_widget(run_id, optimizer, spec)
                if cue is not None:
                    st.caption(stability_text(optimizer, hyper, cue))
                st.button(tr("Remove this run"), key=f"remove{run_id}",
                          on_click=widgets.safe(callbacks.on_remove_run), args=(run_id,))


def more_key(run_id: int) -> str:
    """The key of a row's "⋯" popover (its state: open or not)."""
    return f"run_more_{run_id}"


def keep_closed_settings() -> None:
    """Keep the settings behind each row's closed "⋯" (call at the start of every run, the fragment's too).

    "⋯" draws its widgets only while it is open: drawn on every rerun, they were a third of the elements an lr
    change sent and cost (issue 14).  Streamlit forgets the value of a widget that a run did not draw; writing
    it back at the start of the run makes it the session's own (as ``state.keep_lab`` does for the lab).  Not
    for an open "⋯" nor the row's own sliders (drawn: a write could undo a newer value the browser sent)."""
    state = st.session_state
    for run_id in state.get("run_ids", ()):
        optimizer = state.get(f"run{run_id}.optimizer")
        if optimizer is None or state.get(more_key(run_id)):
            continue
        main = main_hyper(optimizer, run_hyper(run_id))
        for spec in optim_core.hyper_specs(optimizer):
            key = run_key(run_id, optimizer, spec.name)
            if spec.name != "lr" and spec is not main and key in state:
                state[key] = state[key]


def labelled_slider(run_id: int, optimizer: str, spec: optim_core.HyperSpec, lang: str, role: str) -> None:
    """A hyperparameter's slider in a row: its sign before it ("η", "μ", "β₁"), its full label as the
    widget's (hidden) label; the two never part when the row wraps."""
    with st.container(horizontal=True, vertical_alignment="center", gap="small", wrap=False,
                      key=f"run_{role}_{run_id}"):
        st.markdown(widgets.literal(symbol(spec, lang)), width="content")
        hyper_widget(run_id, optimizer, spec, label_visibility="collapsed")


def hyper_widget(run_id: int, optimizer: str, spec: optim_core.HyperSpec, **kwargs) -> None:
    """A hyperparameter's widget as its rule defines it: a toggle (a flag), a select box (options; their
    labels translated, their values the URL's) or a select slider on the rule's grid.

    Each is given the run's current value as its default too.  Streamlit draws a popover's widgets only
    when the popover first opens, and then from their default, not from the session state: with the
    rule's default there, opening "⋯" showed Adam's β₂ and ε as 0 and bias correction off, and the next
    rerun sent those values back, changing the run.  (The widget's id depends only on its key, so a new
    default is no new widget.)"""
    state = st.session_state
    key = run_key(run_id, optimizer, spec.name)
    state.setdefault(key, spec.default)
    label = equations.hyper_label(spec, state.get("lang", "en"))  # the rule's label, translated
    if spec.choices and isinstance(spec.default, bool):
        st.toggle(label, key=key, value=bool(state[key]), help=tr(spec.help), **kwargs)
    elif spec.choices:  # option values stay as they are (they are the URL's); their labels are translated
        words = option_labels()
        current = state[key] if state[key] in spec.choices else spec.choices[0]
        widgets.choice(st.selectbox, label, spec.choices, key=key, help=tr(spec.help),
                       index=spec.choices.index(current),
                       format_func=lambda value, spec=spec, words=words: words(spec.choice_label(value)), **kwargs)
    else:
        options = page_model.options_with(tuple(spec.options), state[key])  # the rule's grid
        st.select_slider(label, options=options, key=key, value=state[key], format_func=widgets.number_format,
                         help=tr(spec.help), **kwargs)


# --- how the rows look ------------------------------------------------------------------------------------

# Rows scoped by their containers' keys (Streamlit gives a keyed container the class st-key-<key>).  The
# sliders' min / max labels go (the value above the thumb stays): the rows stay short.
ROWS_CSS = (
    ".st-key-run_rows [data-testid='stSliderTickBar'] { display: none; } "
    # the learning rate gets two thirds of the room the sliders share, the main other hyperparameter one third
    ".st-key-run_rows [data-testid='stLayoutWrapper']:has(> [class*='st-key-run_lr_']) "
    "{ flex: 2 1 13rem; min-width: 13rem; } "
    ".st-key-run_rows [data-testid='stLayoutWrapper']:has(> [class*='st-key-run_main_']) "
    "{ flex: 1 1 9rem; min-width: 9rem; } "
    ".st-key-run_rows [class*='st-key-run_lr_'] [data-testid='stSlider'], "
    ".st-key-run_rows [class*='st-key-run_main_'] [data-testid='stSlider'] { padding-right: 0.6rem; } "
    ".st-key-run_rows [class*='st-key-run_badge_'] { border-radius: 0.4rem; padding: 0 0.55rem; "
    "min-width: 2rem; min-height: 2rem; align-items: center; justify-content: center; } "
    ".st-key-run_rows [class*='st-key-run_badge_'] p { font-weight: 700; } "
    ".st-key-run_rows [data-testid='stLayoutWrapper']:has(> [class*='st-key-run_cue_']) "
    "{ flex: 0 0 var(--run-cue-width); width: var(--run-cue-width); } "
    ".st-key-run_rows [class*='st-key-run_cue_'] { width: 100%; } "
    ".st-key-run_rows [class*='st-key-run_cue_'] button { padding: 0 0.5rem; } "
)
# The stable / edge buttons' place, wide enough for their words in each language (in rem: it grows with the
# projector's type).
CUE_WIDTH = {"en": "9.5rem", "zh": "12rem"}
WIDEST_CUE = "12rem"
# A phone (narrower than ui.viewport.NARROW_PX): the row wraps into lines; "⋯" goes up beside the optimizer,
# the empty places go.
PHONE_ROWS_CSS = (
    "@media (max-width: %dpx) { "
    ".st-key-run_rows [class*='st-key-run_row_'] > [data-testid='stLayoutWrapper'] { order: 2; } "
    ".st-key-run_rows [class*='st-key-run_row_'] > "
    "[data-testid='stLayoutWrapper']:has(> [class*='st-key-run_head_']) { order: 0; } "
    ".st-key-run_rows [class*='st-key-run_row_'] > "
    "[data-testid='stLayoutWrapper']:has(> [data-testid='stPopover']) { order: 1; } "
    ".st-key-run_rows [data-testid='stLayoutWrapper']:has(> [class*='_none_']) { display: none; } "
    ".st-key-run_rows [class*='st-key-run_row_'] { padding-bottom: 0.6rem; "
    "border-bottom: 1px solid rgba(128, 128, 128, 0.25); } "
    "} " % (viewport.NARROW_PX - 1)
)
# Projector mode: the rows' labels and values in at least 20 px (the page's root font is 20 px then; Streamlit
# draws some of these smaller than 1rem).
PROJECTOR_ROWS_CSS = (
    ".st-key-run_rows p, .st-key-run_rows input, .st-key-run_rows [data-testid='stSliderThumbValue'], "
    ".st-key-run_rows [data-baseweb='select'] div, .st-key-run_rows button { font-size: 20px !important; } "
)


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


def badge_css(run_ids, looks) -> str:
    """Each row's badge drawn in exactly its run's colour (a run's colour is an exact hex value; Streamlit's
    named Markdown colours only approximate it), its number in black or white, whichever reads."""
    return " ".join(f".st-key-run_badge_{run_id} {{ background-color: {look.colour}; }} "
                    f".st-key-run_badge_{run_id} p {{ color: {text_colour(look.colour)}; }}"
                    for run_id, look in zip(run_ids, looks))


def row_css(run_ids, looks: tuple[styles.RunStyle, ...], projector: bool, lang: str = "en") -> str:
    """The rows' style block (scoped to them; st.html draws a block of only <style> in no space)."""
    return ("<style>.st-key-run_rows { --run-cue-width: %s; } " % CUE_WIDTH.get(lang, WIDEST_CUE) + ROWS_CSS
            + PHONE_ROWS_CSS + (PROJECTOR_ROWS_CSS if projector else "") + badge_css(run_ids, looks) + "</style>")
