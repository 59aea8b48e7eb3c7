"""The "3-D surface" tab: the surface in WebGL with every run's path lying on it (the paths of the view)."""

from __future__ import annotations

from . import views
from .checked_figure import plotly_chart


def render(view: views.PageView) -> None:
    figure = views.build_3d(view.scene, view.looks, view.surface, view.trajectories)
    plotly_chart(figure, key="surface_3d", config={"displaylogo": False})
