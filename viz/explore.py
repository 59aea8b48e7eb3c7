"""Figures of the "Explore" tab as plain dicts: a sweep heatmap with the theory drawn on it,
basins of attraction, the notes' random search beside a grid search, one update taken apart.

The numbers come from ``optim_core.analysis``; here they only become pictures, with their words
in ``lang`` ("en" | "zh", see ``i18n``).
"""

from __future__ import annotations

import math

import numpy as np

from .figures import PALETTE, Background, _f32
from .i18n import t

LOG_PARAMS = ("lr", "eps", "weight_decay")
BASIN_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442", "#882255")
NEVER_COLOUR = "#d9d9d9"
DIVERGED_COLOUR = "#7f0000"


def axis_values(param: str, values: np.ndarray) -> np.ndarray:
    """What a sweep axis plots: log10 of log-scaled parameters, the values themselves otherwise."""
    return np.log10(values) if param in LOG_PARAMS else np.asarray(values, dtype=float)


def _log_ticks(low: float, high: float) -> dict:
    ticks = np.arange(math.floor(low), math.ceil(high) + 1)
    return dict(tickvals=ticks.tolist(), ticktext=[f"1e{int(t)}" if t not in (0, 1) else ("1" if t == 0 else "10")
                                                   for t in ticks])


def _axis(param: str, values: np.ndarray, lang: str) -> dict:
    shown = axis_values(param, values)
    title = t("{param} (log scale)", lang, param=param) if param in LOG_PARAMS else param
    axis = dict(title=title, showgrid=False, zeroline=False,
                range=[float(shown.min() - _half_cell(shown)), float(shown.max() + _half_cell(shown))])
    if param in LOG_PARAMS:
        axis.update(_log_ticks(shown.min(), shown.max()))
    return axis


def _half_cell(shown: np.ndarray) -> float:
    return float(np.diff(shown).mean() / 2) if len(shown) > 1 else 0.5


def sweep_figure(result, *, theory=None, colour_by: str = "steps", height: int = 560, font_size: int = 14,
                 lang: str = "en") -> dict:
    """A heatmap of a 2-D sweep (cells coloured by steps to reach tol, or by log10 of the final gap),
    diverged cells dark red, never-reached cells grey; an invisible marker on every cell to click.

    With ``theory`` (a QuadraticTheory) on a Momentum lr × mu sweep: the stability boundary
    lr = 2(1 + mu)/λ_max, contours of the predicted steps from the iteration matrix's spectral
    radius, and the predicted optimum (lr*, mu*)."""
    xs = axis_values(result.x_param, result.x_values)
    ys = axis_values(result.y_param, result.y_values)
    if colour_by == "steps":
        z = np.where(result.steps_to_tol >= 0, result.steps_to_tol, np.nan).astype(float)
        colour_title = t("steps to {gap} ≤ {tol:g}", lang, gap=result.gap, tol=result.tol)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.log10(np.maximum(result.final_gap, 1e-300))
        z = np.where(result.diverged | ~np.isfinite(z), np.nan, z)
        colour_title = t("log10 final {gap}", lang, gap=result.gap)
    never = np.where(~result.diverged & np.isnan(z), 1.0, np.nan)
    diverged = np.where(result.diverged, 1.0, np.nan)
    # The heatmaps only paint; hovering and clicking go to an invisible marker on every cell, because
    # Streamlit reports clicks as selected points of a scatter trace.
    common = dict(type="heatmap", x=_f32(xs), y=_f32(ys), hoverinfo="skip", xgap=0, ygap=0)
    data = [
        dict(common, z=_f32(never), colorscale=[[0, NEVER_COLOUR], [1, NEVER_COLOUR]], showscale=False,
             name=t("never reached", lang)),
        dict(common, z=_f32(diverged), colorscale=[[0, DIVERGED_COLOUR], [1, DIVERGED_COLOUR]], showscale=False,
             name=t("diverged", lang)),
        dict(common, z=_f32(z), colorscale="Viridis", reversescale=colour_by == "steps", name=colour_title,
             colorbar=dict(title=dict(text=colour_title, side="right"), thickness=14)),
    ]
    grid_x, grid_y = np.meshgrid(xs, ys)
    x_cells, y_cells = np.meshgrid(result.x_values, result.y_values)
    outcome = np.where(result.diverged, t("diverged", lang),
                       np.where(np.isnan(z), t("never reached tol", lang), np.char.mod("%.4g", np.nan_to_num(z))))
    data.append(dict(type="scattergl", x=_f32(grid_x.ravel()), y=_f32(grid_y.ravel()), mode="markers",
                     marker=dict(size=max(4, 400 // max(len(xs), len(ys))), opacity=0), name=t("cells", lang),
                     showlegend=False,
                     customdata=_f32(np.stack([x_cells.ravel(), y_cells.ravel()], axis=-1)),
                     text=outcome.ravel().tolist(),
                     hovertemplate=(f"{result.x_param} = %{{customdata[0]:.3g}}, {result.y_param} = "
                                    f"%{{customdata[1]:.3g}}<br>{colour_title}: %{{text}}"
                                    f"<br><i>{t('click to add this setting as a run', lang)}</i><extra></extra>")))
    best = result.best_index
    data.append(dict(type="scatter", x=[float(xs[best[1]])], y=[float(ys[best[0]])], mode="markers",
                     name=t("best cell", lang),
                     marker=dict(symbol="circle-open", size=16, color="white", line=dict(width=3)),
                     hovertemplate=t("best cell", lang) + "<extra></extra>"))
    if theory is not None and result.optimizer == "momentum" and {result.x_param, result.y_param} == {"lr", "mu"}:
        data += _momentum_theory_traces(result, theory, lang)
    layout = dict(height=height, font=dict(size=font_size), margin=dict(l=60, r=20, t=30, b=50),
                  xaxis=_axis(result.x_param, result.x_values, lang),
                  yaxis=_axis(result.y_param, result.y_values, lang),
                  legend=dict(orientation="h", y=1.08, x=0), clickmode="event+select", dragmode="zoom")
    return dict(data=data, layout=layout)


def _momentum_theory_traces(result, theory, lang: str) -> list:
    lr_is_x = result.x_param == "lr"
    xs = axis_values(result.x_param, result.x_values)
    ys = axis_values(result.y_param, result.y_values)
    mus = np.linspace(0.0, 0.999, 200)
    boundary_lr = axis_values("lr", 2 * (1 + mus) / theory.lambda_max)
    traces = [dict(type="scatter", x=_f32(boundary_lr if lr_is_x else mus), y=_f32(mus if lr_is_x else boundary_lr),
                   mode="lines", name=t("stability boundary lr = 2(1+μ)/λmax", lang),
                   line=dict(color="white", width=3, dash="dash"), hoverinfo="skip")]
    # predicted steps to reach tol: the gap shrinks like ρ(lr, μ)^(2k), ρ the iteration matrix's spectral radius
    lr_cells = result.x_values[None, :] if lr_is_x else result.y_values[:, None]
    mu_cells = result.y_values[:, None] if lr_is_x else result.x_values[None, :]
    rate = theory.momentum_rate(lr_cells, mu_cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        predicted = np.where(rate < 1, np.log(result.tol) / (2 * np.log(rate)), np.nan)
    # level lines at a fifth of the sweep's step budget apart, up to the budget itself
    size = max(result.steps // 5, 1)
    traces.append(dict(type="contour", x=_f32(xs), y=_f32(ys), z=_f32(np.minimum(predicted, 2 * result.steps)),
                       showscale=False, colorscale=[[0, "white"], [1, "white"]],
                       contours=dict(coloring="lines", showlabels=True, labelfont=dict(color="white", size=12),
                                     start=size, end=result.steps, size=size),
                       line=dict(width=1.5, dash="dot"), name=t("theory: predicted steps to tol", lang),
                       hoverinfo="skip", showlegend=True))
    best_lr = float(axis_values("lr", np.asarray(theory.momentum_lr_opt)))
    best_mu = float(theory.momentum_mu_opt)
    traces.append(dict(type="scatter", x=[best_lr if lr_is_x else best_mu], y=[best_mu if lr_is_x else best_lr],
                       mode="markers+text", name=t("theory optimum (lr*, μ*)", lang), text=[t("theory optimum", lang)],
                       textposition="top center", textfont=dict(color="white"),
                       marker=dict(symbol="star", size=18, color="white", line=dict(color="black", width=1))))
    return traces


def sweep_line_figure(result, *, theory=None, height=420, font_size=14, lang: str = "en") -> dict:
    """A 1-D sweep (e.g. SGD's lr): steps to tol against the parameter, with GD's theory on quadratics:
    the stability limit 2/λmax, the best lr 2/(λmin + λmax) and the steps predicted by |1 − lr·λ|."""
    xs = axis_values(result.x_param, result.x_values)
    steps = np.where(result.steps_to_tol >= 0, result.steps_to_tol, np.nan).astype(float)
    data = [dict(type="scatter", x=_f32(xs), y=_f32(steps), mode="lines+markers", name=t("measured", lang),
                 line=dict(color=PALETTE[1], width=2),
                 hovertemplate=t("%{{x:.3g}}: %{{y}} steps", lang) + "<extra></extra>")]
    if result.diverged.any():
        top = np.nanmax(steps) if np.isfinite(steps).any() else result.steps
        data.append(dict(type="scatter", x=_f32(xs[result.diverged]), y=_f32(np.full(result.diverged.sum(), top)),
                         mode="markers", name=t("diverged", lang),
                         marker=dict(symbol="x", color=DIVERGED_COLOUR, size=9)))
    shapes, annotations = [], []
    if theory is not None and result.x_param == "lr":
        rate = theory.gd_rate(result.x_values)
        with np.errstate(divide="ignore", invalid="ignore"):
            predicted = np.where(rate < 1, np.log(result.tol) / (2 * np.log(rate)), np.nan)
        data.append(dict(type="scatter", x=_f32(xs), y=_f32(predicted), mode="lines",
                         name=t("theory: |1 − lr·λ|^k", lang),
                         line=dict(color="black", dash="dot")))
        # the best lr 2/(λmin+λmax) is always left of the limit 2/λmax: its label reads leftwards, the
        # limit's rightwards, so the two never print over each other even when the lines almost touch
        for value, text, side, colour in ((theory.gd_lr_max, "2/λmax: unstable beyond", "left", DIVERGED_COLOUR),
                                          (theory.gd_lr_opt, "2/(λmin+λmax): best", "right", "#333333")):
            x = float(axis_values("lr", np.asarray(value)))
            shapes.append(dict(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper",
                               line=dict(dash="dash", width=2, color=colour)))
            annotations.append(dict(x=x, y=1, yref="paper", text=t(text, lang), showarrow=False, yanchor="bottom",
                                    xanchor=side, font=dict(color=colour)))
    layout = dict(height=height, font=dict(size=font_size), margin=dict(l=60, r=20, t=40, b=50),
                  xaxis=_axis(result.x_param, result.x_values, lang),
                  yaxis=dict(title=t("steps to {gap} ≤ {tol:g}", lang, gap=result.gap, tol=result.tol), type="log"),
                  shapes=shapes, annotations=annotations, legend=dict(orientation="h", y=1.15))
    return dict(data=data, layout=layout)


def basins_figure(basin, surface, back: Background, *, height=560, font_size=14, lang: str = "en") -> dict:
    """Each start point coloured by the minimum its run ends in (grey: not converged, dark red:
    diverged), over the surface, with the minima marked and how many starts reached each."""
    k = len(basin.minima)
    # categories: 0 diverged, 1 not converged, 2 + i minimum i
    category = np.where(basin.label == -2, 0, np.where(basin.label == -1, 1, basin.label + 2)).astype(float)
    colours = [DIVERGED_COLOUR, NEVER_COLOUR] + [BASIN_COLOURS[i % len(BASIN_COLOURS)] for i in range(k)]
    n = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    data = [dict(type="heatmap", x=_f32(basin.x), y=_f32(basin.y), z=_f32(category), zmin=0, zmax=n,
                 colorscale=scale, showscale=False, opacity=0.7, hoverinfo="skip", name=t("basins", lang))]
    counts = basin.counts
    for i, point in enumerate(basin.minima[:len(BASIN_COLOURS) * 4]):
        data.append(dict(type="scatter", x=[float(point[0])], y=[float(point[1])], mode="markers",
                         name=t("minimum ({x:.3g}, {y:.3g}): {count} starts", lang, x=point[0], y=point[1],
                                count=int(counts[i])),
                         showlegend=bool(counts[i]) and i < 12,
                         marker=dict(symbol="star", size=16, color=BASIN_COLOURS[i % len(BASIN_COLOURS)],
                                     line=dict(color="black", width=1.5))))
    for colour, name, count in ((NEVER_COLOUR, "not converged: {count} starts", int((basin.label == -1).sum())),
                                (DIVERGED_COLOUR, "diverged: {count} starts", int((basin.label == -2).sum()))):
        data.append(dict(type="scatter", x=[None], y=[None], mode="markers", name=t(name, lang, count=count),
                         marker=dict(symbol="square", size=12, color=colour)))
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    layout = dict(height=height, font=dict(size=font_size), margin=dict(l=50, r=20, t=30, b=40),
                  xaxis=dict(range=[x_lo, x_hi], title=t("start x", lang), showgrid=False, constrain="domain"),
                  yaxis=dict(range=[y_lo, y_hi], title=t("start y", lang), showgrid=False, scaleanchor="x",
                             constrain="domain"),
                  legend=dict(orientation="v", x=1.02, y=1),
                  images=[dict(source=back.uri, xref="x", yref="y", x=x_lo, y=y_hi, sizex=x_hi - x_lo,
                               sizey=y_hi - y_lo, sizing="stretch", layer="below")])
    return dict(data=data, layout=layout)


def search_figure(random_stages, grid, param="lr", *, height=460, font_size=14, lang: str = "en") -> dict:
    """Random search (coarse stage, then fine) beside a grid search with the same budget: the final gap
    against ``param``; the ticks under each plot are the distinct values of ``param`` each one tried."""
    data = []
    stage_names = ("random, coarse ({n} runs)", "random, fine ({n} runs)")
    stage_colours = (PALETTE[1], PALETTE[0])
    floor = 1e-30
    lows = []
    hover = param + "=%{x:.3g}<br>" + t("final gap %{{y:.3g}}", lang) + "<extra></extra>"
    for stage, result in enumerate(random_stages):
        gap = np.where(result.diverged, np.nan, np.maximum(result.final_gap, floor))
        lows.append(np.nanmin(gap) if np.isfinite(gap).any() else 1.0)
        data.append(dict(type="scatter", x=_f32(result.samples[param]), y=_f32(gap), mode="markers",
                         name=t(stage_names[stage], lang, n=result.n), xaxis="x", yaxis="y",
                         marker=dict(color=stage_colours[stage], size=7, opacity=0.8), hovertemplate=hover))
    gap = np.where(grid.diverged, np.nan, np.maximum(grid.final_gap, floor))
    lows.append(np.nanmin(gap) if np.isfinite(gap).any() else 1.0)
    data.append(dict(type="scatter", x=_f32(grid.samples[param]), y=_f32(gap), mode="markers",
                     name=t("grid ({n} runs)", lang, n=grid.n), xaxis="x2", yaxis="y2",
                     marker=dict(color=PALETTE[2], size=7, symbol="square", opacity=0.8), hovertemplate=hover))
    rug_y = min(lows) / 10
    for result, axis, colour in ((random_stages[0], "", PALETTE[1]), (grid, "2", PALETTE[2])):
        distinct = np.unique(result.samples[param])
        data.append(dict(type="scatter", x=_f32(distinct), y=_f32(np.full(len(distinct), rug_y)), mode="markers",
                         marker=dict(symbol="line-ns-open", size=14, color=colour), showlegend=False,
                         xaxis="x" + axis, yaxis="y" + axis, hoverinfo="skip"))
    log_x = param in LOG_PARAMS
    axis = dict(type="log" if log_x else "linear", title=param, exponentformat="power")
    layout = dict(height=height, font=dict(size=font_size), margin=dict(l=60, r=20, t=60, b=50),
                  xaxis=dict(axis, domain=[0, 0.47]), xaxis2=dict(axis, domain=[0.53, 1]),
                  yaxis=dict(type="log", title=t("final f − f*", lang), anchor="x", exponentformat="power"),
                  yaxis2=dict(type="log", anchor="x2", matches="y", exponentformat="power"),
                  legend=dict(orientation="h", y=1.18),
                  annotations=[
                      dict(text=t("random: {n} distinct {param} values", lang, param=param,
                                  n=len(np.unique(random_stages[0].samples[param]))),
                           x=0.0, y=1.02, xref="paper", yref="paper", showarrow=False, xanchor="left"),
                      dict(text=t("grid: {n} distinct {param} values", lang, param=param,
                                  n=len(np.unique(grid.samples[param]))),
                           x=0.53, y=1.02, xref="paper", yref="paper", showarrow=False, xanchor="left")])
    return dict(data=data, layout=layout)


# Colours apart from the runs' palette: the arrows must not read as paths.  Labels in English (see i18n).
ARROW_STYLE = {"grad": ("−∇f direction", "#8c8c8c"), "momentum": ("momentum part", "#6a3d9a"),
               "step": ("Δx, the step taken", "#111111")}


def step_figure(breakdown, surface, back: Background, path_xy: np.ndarray, colour: str, *, height=480,
                font_size=14, lang: str = "en") -> dict:
    """Update k around x_{k−1}: the path so far, and arrows for the (descent) gradient direction,
    the momentum part and the step actually taken, on a zoomed view of the surface."""
    origin = np.asarray(breakdown.x_prev, dtype=float)
    step = np.asarray(breakdown.arrows["step"], dtype=float)
    span = max(4 * float(np.linalg.norm(step)), 0.04 * max(np.ptp(surface.x_range), np.ptp(surface.y_range)))
    x_range, y_range = [origin[0] - span, origin[0] + span], [origin[1] - span, origin[1] + span]
    k = breakdown.k
    data = [dict(type="scatter", x=_f32(path_xy[:k + 1, 0]), y=_f32(path_xy[:k + 1, 1]), mode="lines+markers",
                 name=t("path", lang), line=dict(color=colour, width=2), marker=dict(size=7, color=colour))]
    annotations = []
    for key, vector in breakdown.arrows.items():
        vector = np.asarray(vector, dtype=float)
        if key == "grad":  # the gradient may be far longer than the step: draw its direction, downhill
            norm = np.linalg.norm(vector)
            vector = -vector / norm * 0.6 * span if norm > 0 else vector
        label, arrow_colour = ARROW_STYLE.get(key, (key, "#888888"))
        tip = origin + vector
        annotations.append(dict(x=float(tip[0]), y=float(tip[1]), ax=float(origin[0]), ay=float(origin[1]),
                                xref="x", yref="y", axref="x", ayref="y", showarrow=True, arrowhead=3,
                                arrowsize=1.2, arrowwidth=3, arrowcolor=arrow_colour, text=""))
        # the label at the tip, beyond it along the arrow, so labels of different arrows do not collide
        # alternate sides across the arrow too: nearly parallel arrows (momentum part and step) keep apart
        direction = vector / (np.linalg.norm(vector) or 1.0)
        across = direction[::-1] * np.array([-1.0, 1.0]) * (1 if len(annotations) % 4 == 0 else -1)
        beyond = tip + 0.12 * span * direction + 0.08 * span * across
        annotations.append(dict(x=float(beyond[0]), y=float(beyond[1]), xref="x", yref="y", showarrow=False,
                                text=t(label, lang), bgcolor="rgba(255,255,255,0.85)",
                                font=dict(color=arrow_colour, size=font_size)))
    if breakdown.lookahead_point is not None:
        point = np.asarray(breakdown.lookahead_point, dtype=float)
        data.append(dict(type="scatter", x=[float(point[0])], y=[float(point[1])], mode="markers+text",
                         text=[t("look-ahead x + μv", lang)], textposition="bottom center",
                         name=t("look-ahead point", lang),
                         marker=dict(symbol="diamond", size=12, color="#444444")))
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    layout = dict(height=height, font=dict(size=font_size), margin=dict(l=50, r=20, t=30, b=40),
                  xaxis=dict(range=x_range, showgrid=False, title="x", constrain="domain"),
                  yaxis=dict(range=y_range, showgrid=False, title="y", scaleanchor="x", constrain="domain"),
                  annotations=annotations, showlegend=False,
                  images=[dict(source=back.uri, xref="x", yref="y", x=x_lo, y=y_hi, sizex=x_hi - x_lo,
                               sizey=y_hi - y_lo, sizing="stretch", layer="below")])
    return dict(data=data, layout=layout)


def format_value(value) -> str:
    """A term's value as text: a number, a vector (x, y) or a 2 × 2 matrix."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return f"{float(array):.6g}"
    if array.ndim == 1:
        return "(" + ", ".join(f"{v:.6g}" for v in array) + ")"
    return "[" + "; ".join("(" + ", ".join(f"{v:.4g}" for v in row) + ")" for row in array) + "]"

