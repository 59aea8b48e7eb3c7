"""The "Update rules" tab: each run's rule in LaTeX, in the convention the run uses, with one sentence of
intuition from the notes (``viz.equations``)."""

from __future__ import annotations

import streamlit as st

from page_model import Scene
from viz import equations

from .state import tr


def render(scene: Scene) -> None:
    shown = set()
    for run in scene.runs:
        latex = equations.update_rule(run.optimizer, run.params)
        if (run.optimizer, latex) in shown:
            continue
        shown.add((run.optimizer, latex))
        st.markdown(tr("**{title}**: {intuition}", title=run.title,
                       intuition=equations.intuition(run.optimizer, scene.lang)))
        st.latex(equations.wrapped(latex))
        note = equations.convention(run.optimizer, run.params, scene.lang)
        if note:
            st.caption(note)
