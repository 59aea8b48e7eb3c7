"""The page's run slots in session state, declared once (app.py's sidebar and the Explore tab both add runs).

A run has an id; its settings live under ``run{id}.optimizer``, ``run{id}.variant`` (its shade, see
``viz.styles``), ``run{id}.expanded`` (its panel open) and ``run{id}.{optimizer}.{name}`` for each
hyperparameter; ``state["run_ids"]`` lists the runs in order and ``state["next_run_id"]`` is the next id.
"""

from __future__ import annotations

import streamlit as st

from viz import styles


def run_key(run_id: int, optimizer: str, name: str) -> str:
    return f"run{run_id}.{optimizer}.{name}"


def taken_variants(except_id: int | None = None) -> list:
    """(optimizer, variant) of every run but ``except_id``."""
    state = st.session_state
    return [(state[f"run{r}.optimizer"], state.get(f"run{r}.variant", 0)) for r in state["run_ids"] if r != except_id]


def add_run(optimizer: str, hyper) -> int:
    """A new run at the end, in the first shade of ``optimizer`` no other run uses, its panel open;
    ``hyper`` is (name, value) pairs.  Returns its id."""
    state = st.session_state
    new_id = state["next_run_id"]
    state["next_run_id"] += 1
    state[f"run{new_id}.optimizer"] = optimizer
    state[f"run{new_id}.variant"] = styles.first_free_variant(optimizer, taken_variants())
    state[f"run{new_id}.expanded"] = True
    for name, value in hyper:
        state[run_key(new_id, optimizer, name)] = value
    state["run_ids"] = state["run_ids"] + [new_id]
    return new_id
