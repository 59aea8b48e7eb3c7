"""Hand a figure dict to ``st.plotly_chart`` without Streamlit validating it again on every rerun."""

import plotly.graph_objects as go


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
