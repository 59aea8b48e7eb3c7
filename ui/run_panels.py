"""The sidebar's runs: one panel per run (its optimizer, every hyperparameter as its rule defines it,
``optim_core.RULES``: label, slider grid, help; the stability cue next to its learning rate), each marked
in exactly its run's colour, and the Add run / Reset runs buttons."""

from __future__ import annotations

import streamlit as st

import optim_core
import page_model
from viz import equations, styles

from . import callbacks, widgets
from .state import option_labels, run_hyper, run_key, run_looks, tr


def render(lr_limit: float | None) -> None:
    """Every run's panel and the buttons below them; ``lr_limit``: 2/λmax at the start (None: no
    direction curves upward there)."""
    state = st.session_state
    looks = run_looks()
    st.html(badge_css(state["run_ids"], looks))
    for position, (run_id, look) in enumerate(zip(state["run_ids"], looks)):
        run_controls(position, run_id, lr_limit, look)
    left, right = st.columns(2)
    left.button(tr("➕ Add run"), key="add_run", on_click=widgets.safe(callbacks.on_add_run),
                disabled=len(state["run_ids"]) >= page_model.MAX_RUNS, use_container_width=True)
    right.button(tr("↺ Reset runs"), key="reset_runs", on_click=widgets.safe(callbacks.on_reset_runs),
                 use_container_width=True,
                 help=tr("Back to the preset's runs (the book's comparison for your own scene)."))


def badge_css(run_ids, looks) -> str:
    """Each run panel's label starts with a bar in the run's own colour (a run's colour is an exact
    hex value; Streamlit's named Markdown colours only approximate it)."""
    rules = [f".st-key-run_panel_{run_id} summary::before {{ content: ''; display: inline-block; width: 1.6em; "
             f"height: 0.55em; margin-right: 0.5em; border-radius: 3px; background-color: {look.colour}; }}"
             for run_id, look in zip(run_ids, looks)]
    return "<style>" + " ".join(rules) + "</style>"


def run_controls(position: int, run_id: int, lr_limit, look: styles.RunStyle) -> None:
    """One run's panel; its label carries a badge drawn in exactly the run's colour (see ``badge_css``)."""
    state = st.session_state
    optimizer = state[f"run{run_id}.optimizer"]
    with st.container(key=f"run_panel_{run_id}"):
        # Open or closed as the user left it, through a change of optimizer (a new label, so a new
        # expander to Streamlit); a new run opens.
        expanded = state.setdefault(f"run{run_id}.expanded", not state["projector"] and position < 4)
        with st.expander(tr("Run {n}: {title}", n=position + 1, title=optim_core.RULES[optimizer].title),
                         expanded=expanded, key=f"run{run_id}.panel", on_change=callbacks.remember_panel,
                         args=(run_id,)):
            st.selectbox(tr("optimizer"), optim_core.names(), key=f"run{run_id}.optimizer",
                         format_func=lambda k: optim_core.RULES[k].title,
                         on_change=widgets.safe(callbacks.on_optimizer), args=(run_id,))
            hyper = run_hyper(run_id)
            for spec in optim_core.hyper_specs(optimizer):
                if not spec.applies(hyper):  # e.g. c2 without a Wolfe search
                    continue
                hyper_widget(run_id, optimizer, spec)
                if spec.name == "lr" and lr_limit is not None:
                    stability_cue(run_id, optimizer, lr_limit)
            st.button(tr("Remove this run"), key=f"remove{run_id}", on_click=widgets.safe(callbacks.on_remove_run),
                      args=(run_id,))


def hyper_widget(run_id: int, optimizer: str, spec: optim_core.HyperSpec) -> None:
    key = run_key(run_id, optimizer, spec.name)
    st.session_state.setdefault(key, spec.default)
    label = equations.hyper_label(spec, st.session_state.get("lang", "en"))  # the rule's label, translated
    if spec.choices and isinstance(spec.default, bool):
        st.toggle(label, key=key, help=tr(spec.help))
    elif spec.choices:  # option values stay as they are (they are the URL's); their labels are translated
        words = option_labels()
        widgets.choice(st.selectbox, label, spec.choices, key=key, help=tr(spec.help),
                       format_func=lambda value, spec=spec, words=words: words(spec.choice_label(value)))
    else:
        options = page_model.options_with(tuple(spec.options), st.session_state[key])  # the rule's grid
        st.select_slider(label, options=options, key=key, format_func=widgets.number_format, help=tr(spec.help))


def stability_cue(run_id: int, optimizer: str, lr_max: float) -> None:
    """Next to the lr slider: 2/λmax at the start and the rule's own limit on the local quadratic model
    (``Rule.lr_limit``: GD 2/λmax, heavy ball 2(1 + μ)/λmax, Nesterov 2(1 + μ)/((1 + 2μ)λmax), Newton 2), a
    warning when the run's lr is past it, and one click to the largest stable lr or the edge of stability."""
    rule = optim_core.RULES[optimizer]
    hyper = run_hyper(run_id)
    limit = None if rule.lr_limit is None else rule.lr_limit(hyper, 2.0 / lr_max)  # None: no limit (a search)
    if limit is None:
        st.caption(tr("2/λmax at the start = {lr_max:.3g}", lr_max=lr_max))
        return
    if hyper["lr"] >= limit:
        st.caption(tr(":red[⚠ lr = {lr:.3g} ≥ {rule} = {limit:.3g} at the start: the steepest direction "
                      "oscillates with growing amplitude on the local quadratic model]", lr=hyper["lr"],
                      rule=rule.lr_limit_text, limit=limit))
    elif rule.lr_limit_text != "2/λmax":
        st.caption(tr("2/λmax at the start = {lr_max:.3g}; {rule} = {limit:.3g}", lr_max=lr_max,
                      rule=rule.lr_limit_text, limit=limit))
    else:
        st.caption(tr("2/λmax at the start = {lr_max:.3g}", lr_max=lr_max))
    stable, edge = callbacks.stable_learning_rates(optimizer, limit)
    stable_help = tr("largest stable: lr = {lr:.3g}, the largest slider value below {rule}", lr=stable,
                     rule=rule.lr_limit_text)
    edge_help = tr("edge of stability: lr = {lr:.3g} = {rule}, where the steepest direction neither grows nor "
                   "shrinks", lr=edge, rule=rule.lr_limit_text)
    left, right = st.columns(2)
    left.button(tr("stable"), key=f"run{run_id}.stable_lr", on_click=widgets.safe(callbacks.on_set_lr),
                args=(run_id, stable), help=stable_help, use_container_width=True)
    right.button(tr("edge"), key=f"run{run_id}.edge_lr", on_click=widgets.safe(callbacks.on_set_lr),
                 args=(run_id, edge), help=edge_help, use_container_width=True)
