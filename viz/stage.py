"""What the stage (``ui/stage.py``, the Paths tab's animated chart) is sent: the still picture as Plotly figures,
and each run's numbers as typed arrays that the browser animates itself.

The stage draws in two layers.  Plotly draws what does not move: the surface's picture, the gradient field, the
landmarks, each run's whole path (faint, hoverable), its running average and snapshots, where it diverged or
left, and the side panels (loss, step size, effective lr, distance against the step).  A canvas over it draws
what moves, at the browser's frame rate: each run's trail up to the play head, its step nodes, its marker
gliding along the current segment, and on request the parts of the current update as arrows.  So this module
sends the path itself (every point, float32), the panels' series, the curvature at every point (for the
marker's tooltip) and, when the arrows are asked for, the parts of every update (``analysis.run_parts``: the
rule's own numbers).  The picture of a marker is the shape ``export`` draws (one outline per symbol).

No Streamlit here.
"""

from __future__ import annotations

import numpy as np

from optim_core import analysis

from . import export, figures
from .figures import LOG_FLOOR, _f32
from .i18n import ZH, t

# Part kinds, each with its arrow colour: the gradient's part, the part that carries the past (a momentum), the rest.
PART_COLOURS = {"gradient": "#B00020", "history": "#1F4ED8", "other": "#444444"}
PANEL_PX = 150  # one side panel's height when the panels are stacked below the chart
# Words the stage shows (English; sent in the page's language).
WORDS = ("↺ Restart", "◀ Step", "▶ Play", "❚❚ Pause", "Step ▶", "Reveal", "speed", "steps/s",
         "whole run in 5 s", "hide the future", "step arrows", "step {k} of {n}", "diverged at step {k}",
         "left the chart at step {k}", "Space: play/pause · ←/→: one step · Home: restart",
         "{label}, step {k}: Hessian eigenvalues {low}, {high}; κ = {kappa}",
         "gradient part", "momentum part", "other part")


def stage_data(surface, start, runs, back: figures.Background, *, steps: int, parts=None, previews=None,
               show_average=False, show_field=False, snapshots=(), font_size=14, line_width=2.5, lang="en",
               projector=False) -> dict:
    """Everything the stage draws for these runs.

    Args:
        surface, start, runs, back, steps, show_average, show_field, snapshots, font_size, line_width, lang: as in
            ``figures.paths_figure``.
        parts: for each run, its ``analysis.RunParts`` (the step arrows) or None; None: no arrows for any run.
        previews: for each run, [(lr, label, trajectory)] the stage may show at once when the run's lr slider moves to lr
            (``ui.views.lr_previews``); None: none.
        projector: the teacher's projector mode (larger type, set by the page).
    """
    box = (tuple(surface.x_range), tuple(surface.y_range))
    targets = surface.minima if len(surface.minima) else surface.saddles
    drawn = [figures._Drawn(run, figures.clip_run(run.trajectory.xy, box),
                            figures._panel_series(surface, run.trajectory, targets)) for run in runs]
    panels = [s for s in figures.PANEL_AXES if any(np.isfinite(d.series[s][1]).any() for d in drawn)]
    parts = parts or [None] * len(runs)
    previews = previews or [[] for _ in runs]
    return {
        "box": [list(map(float, box[0])), list(map(float, box[1]))],
        "steps": int(steps),
        "chart": chart_figure(surface, start, drawn, back, show_average, show_field, snapshots, font_size,
                              line_width, lang),
        "panels": panel_figure(surface, drawn, panels, steps, font_size, lang) if panels else None,
        "panel_axes": panels,
        "runs": [dict(run_record(surface, item, panels, run_parts), preview=preview_records(run_previews, box))
                 for item, run_parts, run_previews in zip(drawn, parts, previews)],
        "curvature_words": [t(figures.BELIEVED, lang), t(figures.TRUE_CURVATURE, lang)],
        "words": {word: template(word, lang) for word in WORDS},  # the browser fills in {k}, {n}, …
        "font_size": font_size,
        "line_width": line_width,
        "projector": bool(projector),
        "part_colours": PART_COLOURS,
    }


def template(text: str, lang: str) -> str:
    """A text in ``lang`` with its {placeholders} left for the browser to fill in."""
    return ZH.get(text, text) if lang == "zh" else text


def preview_records(previews, box) -> list:
    """A run's neighbouring paths as the stage shows them for a moment: their points clipped to the chart (the
    markers too), where they end and how, and the run's label there (the legend's)."""
    records = []
    for lr, label, trajectory in previews:
        clipped = figures.clip_run(trajectory.xy, box)
        records.append({"lr": float(lr), "label": label, "shown": _f32(clipped.shown), "end": int(len(trajectory.xy) - 1),
                        "status": trajectory.status, "left_at": clipped.left_at})
    return records


def run_record(surface, item, panels, parts) -> dict:
    """One run as the canvas needs it: its look, its points, its panel values, the curvature at each point
    (its tooltip) and, if asked for, the parts of every update."""
    run, tr = item.run, item.run.trajectory
    info = analysis.hessian_info(surface, tr.xy)
    outline = export._symbol_outline(run.symbol.removesuffix("-open"), 1.0)
    record = {
        "label": run.label, "colour": run.colour, "symbol": run.symbol,
        "outline": None if outline is None else [[float(x), float(y)] for x, y in outline],
        "open": run.symbol.endswith("-open"),
        "xy": _f32(tr.xy), "shown": _f32(item.clipped.shown),
        "status": tr.status, "end": int(len(tr.xy) - 1),
        "left_at": item.clipped.left_at,
        "eigen": _f32(info.eigenvalues), "kappa": _f32(info.condition),
        "panels": {suffix: _f32(_panel_values(item.series[suffix], len(tr.xy))) for suffix in panels},
        "parts": None,
    }
    record.update(inside_the_step(surface, item))
    if parts is not None and parts.parts:
        record["parts"] = [{"kind": _part_kind(key, parts), "label": parts.labels[key], "value": _f32(value)}
                           for key, value in parts.parts.items()]
        record["effective_lr"] = None if parts.effective_lr is None else _f32(parts.effective_lr)
    return record


def inside_the_step(surface, item) -> dict:
    """What the chart shows inside a step, for a run that kept its state: a line search's rejected trials
    (each update's ray from x_k through them: ``figures.line_search_trials``) and, for BFGS and L-BFGS, the
    ellipses of the curvature they believe in (H_k) and of the true ∇²f(x_k)⁻¹ at each point, as their
    semi-axes (``figures.ellipse_axes``; the browser draws c + A·(cos θ, sin θ))."""
    tr = item.run.trajectory
    box = (tuple(surface.x_range), tuple(surface.y_range))
    found = {"trials": None, "curvature": None}
    trials = figures.line_search_trials(tr, box)
    if trials is not None:
        found["trials"] = {"points": _f32(trials.points), "offset": figures._i32(trials.offset)}
    believed = figures.inverse_hessians(tr, np.arange(len(tr.xy))) if figures._kept_state(tr) else None
    if believed is not None:
        radius = figures.ELLIPSE_FRACTION * min(box[0][1] - box[0][0], box[1][1] - box[1][0])
        found["curvature"] = {"believed": _f32(figures.ellipse_axes(believed, radius)),
                              "true": _f32(figures.ellipse_axes(figures.true_inverse_hessians(surface, tr.xy), radius))}
    return found


def _part_kind(key: str, parts) -> str:
    if key == parts.history:
        return "history"
    return "gradient" if key == "gradient" else "other"


def _panel_values(series, points: int) -> np.ndarray:
    """A panel's values by point number 0 … points − 1 (NaN where the series has none; ≥ LOG_FLOOR)."""
    steps, values = series
    out = np.full(points, np.nan)
    out[np.asarray(steps, dtype=int)] = values
    return np.where(np.isfinite(out), np.maximum(out, LOG_FLOOR), np.nan)


def chart_figure(surface, start, drawn, back, show_average, show_field, snapshots, font_size, line_width, lang):
    """The still part of the chart: the surface's picture, the field, each run's whole path (``meta`` "path",
    hidden while the future is hidden), average and snapshots, its end mark (``meta`` "future"), the landmarks.
    Its size and margins are the stage's (set in the browser)."""
    box = (tuple(surface.x_range), tuple(surface.y_range))
    data = []
    if show_field:
        fx, fy = figures.arrows(surface)
        data.append(dict(type="scatter", x=_f32(fx), y=_f32(fy), mode="lines", hoverinfo="skip", showlegend=False,
                         line=dict(color="rgba(70,80,100,0.55)", width=1.2), name="−∇f"))
    for index, item in enumerate(drawn):
        data += [_whole_path(item, box, line_width, lang)]
        data += [trace for trace in figures._run_traces(item, index, box, [], show_average, line_width, lang)[1:]]
        data += figures._snapshot_traces(item, index, box, snapshots, line_width, lang)
    data += figures._landmarks(surface, start, line_width, lang)
    marks, labels = figures._ends(drawn, box, font_size, lang, (700, 350))
    for mark in marks:
        mark["meta"] = "future"
    data += marks
    (x_lo, x_hi), (y_lo, y_hi) = box
    layout = dict(
        font=dict(size=font_size), plot_bgcolor="white", paper_bgcolor="white", hovermode="closest",
        dragmode="pan", showlegend=False, uirevision="keep", margin=dict(l=10, r=10, t=10, b=10),
        # no axis titles: the ticks say x and y well enough, and the rows they would take go to the surface
        xaxis=dict(range=[x_lo, x_hi], showgrid=False, zeroline=False, ticks="outside", constrain="domain"),
        yaxis=dict(range=[y_lo, y_hi], showgrid=False, zeroline=False, ticks="outside", constrain="domain"),
        annotations=[dict(label, meta="future") for label in labels],
        images=[dict(source=back.uri, xref="x", yref="y", x=x_lo, y=y_hi, sizex=x_hi - x_lo, sizey=y_hi - y_lo,
                     sizing="stretch", layer="below")],
    )
    if 1 / 3 <= (y_hi - y_lo) / (x_hi - x_lo) <= 3:  # drawn to scale: the stage sizes the chart to the domain
        layout["yaxis"].update(scaleanchor="x", scaleratio=1)
    return dict(data=data, layout=layout)


def _whole_path(item, box, line_width, lang) -> dict:
    """A run's whole path, faint, with its points hoverable (run, step, where)."""
    run, tr = item.run, item.run.trajectory
    xy = figures.clip_path(tr.xy, box)
    return dict(type="scatter", x=_f32(xy[:, 0]), y=_f32(xy[:, 1]), mode="lines", name=run.label, meta="path",
                showlegend=False, line=dict(color=run.colour, width=line_width * 0.6), opacity=0.4,
                hovertemplate=run.label + "<br>" + t("step %{{pointNumber}}", lang) + ": (%{x:.4g}, %{y:.4g})"
                + "<extra></extra>")


def panel_figure(surface, drawn, panels, steps, font_size, lang) -> dict:
    """The side panels, one above the other on one step axis: each run's lines (``meta`` "path")."""
    data = []
    for index, item in enumerate(drawn):
        for trace in figures._run_traces(item, index, ((-np.inf, np.inf), (-np.inf, np.inf)), panels, False, 2.0,
                                         lang)[1:]:
            trace["meta"] = "path"
            data.append(trace)
    geometry = _panel_geometry(panels)
    axes = figures._panel_axes(surface, geometry, panels, drawn, steps, font_size, lang)
    layout = dict(font=dict(size=font_size - 1), plot_bgcolor="white", paper_bgcolor="white", hovermode="closest",
                  showlegend=False, margin=dict(l=64, r=12, t=28, b=44), dragmode=False, **axes)
    return dict(data=data, layout=layout)


def _panel_geometry(panels):
    """The panels stacked in one column (paper coordinates); their pixel height is the stage's."""
    gap = 0.09
    domains = figures._panel_domains(panels, gap)
    return figures._Geometry(height=0, margin={}, contour=((0, 1), (0, 1)), panel_x=(0.0, 1.0), panel_y=domains,
                             panel_px=PANEL_PX, menus=(), slider=(0, 0, 1), legend_y=1.0, contour_px=(1, 1))

