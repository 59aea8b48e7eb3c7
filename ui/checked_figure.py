"""Hand a figure dict to ``st.plotly_chart`` without Streamlit validating it again on every rerun."""

import plotly.graph_objects as go
import streamlit as st

from viz.type_size import with_type_size

PROJECTOR_TYPE = 20  # px: readable from the back of a classroom


class CheckedFigure(go.Figure):
    """A figure dict handed to st.plotly_chart as it is.

    st.plotly_chart validates a dict against Plotly's schema on every rerun (0.1–1 s with animation
    frames); a Figure object counts as validated and only its ``to_dict()`` is used.  The dicts come
    from ``viz``, whose output ``tests/test_figures.py`` and ``tests/test_explore.py`` validate with
    ``go.Figure(dict)``.
    """

    def __init__(self, figure: dict):  # deliberately skips go.Figure.__init__ and its validation
        self._figure = figure

    def to_dict(self):
        return self._figure


def plotly_chart(figure: dict, key: str, **kwargs):
    """``st.plotly_chart`` of a ``viz`` figure dict; in projector mode with every text part at PROJECTOR_TYPE px
    (Streamlit's theme would shrink the figure's own root size)."""
    if st.session_state.get("projector"):
        figure = with_type_size(figure, PROJECTOR_TYPE)
    return st.plotly_chart(CheckedFigure(figure), key=key, **kwargs)
