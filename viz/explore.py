"""Figures of the "Explore" tab as plain dicts: a sweep heatmap with the theory drawn on it,
basins of attraction, the notes' random search beside a grid search, one update taken apart.

The numbers come from ``optim_core.analysis``; here they only become pictures, with their words
in ``lang`` ("en" | "zh", see ``i18n``).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from optim_core import HyperSpec, hyper_spec

from .figures import CLICK_META, PALETTE, Background, _f32, background
from .figures import click_curve  # noqa: F401  (a sweep's settings are clicked as the paths chart's grid)
from .equations import hyper_label
from .i18n import has_chinese, t

BASIN_COLOURS = ("#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#0072B2", "#D55E00", "#F0E442", "#882255")
NEVER_COLOUR = "#d9d9d9"
DIVERGED_COLOUR = "#7f0000"
# What is drawn over a sweep's heatmap (the best cell, the theory): a hue Viridis lacks, so it stands out on
# every cell colour, on the grey and dark-red cells, and on the white legend too.
OVERLAY_COLOUR = "#FF1F8E"
OUTLINE_COLOUR = "#111111"
# A click selects a point, and Plotly then fades every point not selected: the drawn ones must stay as they are.
KEEP = dict(selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)))
HIDDEN = dict(selected=dict(marker=dict(opacity=0)), unselected=dict(marker=dict(opacity=0)))
LABEL_BG = "rgba(255,255,255,0.85)"  # under a label drawn over the data
LEGEND_ROOM = 50  # px under the plot area for a legend below the x axis's ticks and title


def _legend_below(height: int, margin: dict) -> dict:
    """A horizontal legend under the x axis's title, clear of Plotly's toolbar (the modebar) at the top
    right; ``margin`` must leave LEGEND_ROOM at the bottom for it."""
    plot = height - margin["t"] - margin["b"]
    return dict(orientation="h", x=0, xanchor="left", y=-62 / plot, yanchor="top")


def axis_values(spec: HyperSpec, values: np.ndarray) -> np.ndarray:
    """What a sweep axis plots: log10 of log-scaled parameters, the values themselves otherwise."""
    return np.log10(values) if spec.log else np.asarray(values, dtype=float)


def _log_ticks(low: float, high: float) -> dict:
    ticks = np.arange(math.floor(low), math.ceil(high) + 1)
    return dict(tickvals=ticks.tolist(), ticktext=[f"1e{int(t)}" if t not in (0, 1) else ("1" if t == 0 else "10")
                                                   for t in ticks])


def _axis(spec: HyperSpec, values: np.ndarray, lang: str) -> dict:
    shown = axis_values(spec, values)
    axis = dict(title=dict(text=hyper_label(spec, lang)), showgrid=False, zeroline=False,
                range=[float(shown.min() - _half_cell(shown)), float(shown.max() + _half_cell(shown))])
    if spec.log:
        axis.update(_log_ticks(shown.min(), shown.max()))
    return axis


def _log_axis(low: float, high: float) -> dict:
    """A log axis's range over [low, high] with ticks at 1, 2, 5 × 10^k written out (Plotly's own
    labels a short log range with bare leading digits: "3" for 300)."""
    mantissas = (1, 2, 5) if math.log10(high / low) <= 4 else (1,)  # a long range: powers of ten only
    ticks = [m * 10.0**e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
             for m in mantissas if low <= m * 10.0**e <= high]
    return dict(range=[math.log10(low), math.log10(high)], tickvals=ticks, ticktext=[f"{v:g}" for v in ticks])


def _half_cell(shown: np.ndarray) -> float:
    return float(np.diff(shown).mean() / 2) if len(shown) > 1 else 0.5


def sweep_figure(result, *, theory=None, colour_by: str = "steps", height: int = 560, font_size: int = 14,
                 lang: str = "en") -> dict:
    """A heatmap of a 2-D sweep (cells coloured by steps to reach tol, or by log10 of the final gap),
    diverged cells dark red, never-reached cells grey; an invisible marker on every cell to click.

    With ``theory`` (a QuadraticTheory) on a Momentum lr × mu sweep: the stability boundary
    lr = 2(1 + mu)/λ_max, contours of the predicted steps from the iteration matrix's spectral
    radius, and the predicted optimum (lr*, mu*)."""
    xs = axis_values(hyper_spec(result.optimizer, result.x_param), result.x_values)
    ys = axis_values(hyper_spec(result.optimizer, result.y_param), result.y_values)
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
                     showlegend=False, meta=CLICK_META, **HIDDEN,
                     customdata=_f32(np.stack([x_cells.ravel(), y_cells.ravel()], axis=-1)),
                     text=outcome.ravel().tolist(),
                     hovertemplate=(f"{result.x_param} = %{{customdata[0]:.3g}}, {result.y_param} = "
                                    f"%{{customdata[1]:.3g}}<br>{colour_title}: %{{text}}"
                                    f"<br><i>{t('click to add this setting as a run', lang)}</i><extra></extra>")))
    best = result.best_index
    data.append(dict(type="scatter", x=[float(xs[best[1]])], y=[float(ys[best[0]])], mode="markers",
                     name=t("best cell", lang), **KEEP,
                     marker=dict(symbol="circle-open", size=16, color=OVERLAY_COLOUR, line=dict(width=3)),
                     hoverinfo="skip"))  # the hover and the click go to the cell under it
    if theory is not None and result.optimizer == "momentum" and {result.x_param, result.y_param} == {"lr", "mu"}:
        data += _momentum_theory_traces(result, theory, lang)
    margin = dict(l=70, r=20, t=30, b=50 + LEGEND_ROOM)
    layout = dict(height=height, font=dict(size=font_size), margin=margin,
                  xaxis=_axis(hyper_spec(result.optimizer, result.x_param), result.x_values, lang),
                  yaxis=_axis(hyper_spec(result.optimizer, result.y_param), result.y_values, lang),
                  legend=_legend_below(height, margin), clickmode="event+select", dragmode="zoom")
    return dict(data=data, layout=layout)


def _momentum_theory_traces(result, theory, lang: str) -> list:
    lr_is_x = result.x_param == "lr"
    xs = axis_values(hyper_spec(result.optimizer, result.x_param), result.x_values)
    ys = axis_values(hyper_spec(result.optimizer, result.y_param), result.y_values)
    mus = np.linspace(0.0, 0.999, 200)
    boundary_lr = axis_values(hyper_spec(result.optimizer, "lr"), 2 * (1 + mus) / theory.lambda_max)
    traces = [dict(type="scatter", x=_f32(boundary_lr if lr_is_x else mus), y=_f32(mus if lr_is_x else boundary_lr),
                   mode="lines", name=t("stability boundary lr = 2(1+μ)/λmax", lang),
                   line=dict(color=OVERLAY_COLOUR, width=3, dash="dash"), hoverinfo="skip")]
    # predicted steps to reach tol: the gap shrinks like ρ(lr, μ)^(2k), ρ the iteration matrix's spectral radius
    lr_cells = result.x_values[None, :] if lr_is_x else result.y_values[:, None]
    mu_cells = result.y_values[:, None] if lr_is_x else result.x_values[None, :]
    rate = theory.momentum_rate(lr_cells, mu_cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        predicted = np.where(rate < 1, np.log(result.tol) / (2 * np.log(rate)), np.nan)
    # level lines at a fifth of the sweep's step budget apart, up to the budget itself
    size = max(result.steps // 5, 1)
    traces.append(dict(type="contour", x=_f32(xs), y=_f32(ys), z=_f32(np.minimum(predicted, 2 * result.steps)),
                       showscale=False, colorscale=[[0, OVERLAY_COLOUR], [1, OVERLAY_COLOUR]],
                       contours=dict(coloring="lines", showlabels=True,
                                     labelfont=dict(color=OVERLAY_COLOUR, size=12, weight="bold"),
                                     start=size, end=result.steps, size=size),
                       line=dict(width=1.5, dash="dot"), name=t("theory: predicted steps to tol", lang),
                       hoverinfo="skip", showlegend=True))
    best_lr = float(axis_values(hyper_spec(result.optimizer, "lr"), np.asarray(theory.momentum_lr_opt)))
    best_mu = float(theory.momentum_mu_opt)
    traces.append(dict(type="scatter", x=[best_lr if lr_is_x else best_mu], y=[best_mu if lr_is_x else best_lr],
                       mode="markers+text", name=t("theory optimum (lr*, μ*)", lang), text=[t("theory optimum", lang)],
                       **KEEP,
                       textposition="top center", textfont=dict(color="white", shadow=f"0 0 3px {OUTLINE_COLOUR}"),
                       marker=dict(symbol="star", size=18, color=OVERLAY_COLOUR,
                                   line=dict(color=OUTLINE_COLOUR, width=1.5)), hoverinfo="skip"))
    return traces


def sweep_line_figure(result, *, theory=None, height=480, font_size=14, lang: str = "en") -> dict:
    """A 1-D sweep (e.g. SGD's lr): steps to tol against the parameter, with GD's theory on quadratics:
    the stability limit 2/λmax, the best lr 2/(λmin + λmax) and the steps predicted by |1 − lr·λ|.
    Settings that diverged or never reached tol are marked at the step budget; every setting is a
    point to click (an invisible marker, the trace ``click_curve`` finds).  The y axis ends a little
    above the budget: the theory's steps beyond it leave the chart."""
    xs = axis_values(hyper_spec(result.optimizer, result.x_param), result.x_values)
    steps = np.where(result.steps_to_tol >= 0, result.steps_to_tol, np.nan).astype(float)
    top = float(result.steps)
    never = np.isnan(steps) & ~result.diverged
    data = [dict(type="scatter", x=_f32(xs), y=_f32(steps), mode="lines+markers", name=t("measured", lang),
                 line=dict(color=PALETTE[1], width=2), marker=dict(size=7, color=PALETTE[1]), hoverinfo="skip",
                 **KEEP)]
    for where, name, marker in ((result.diverged, "diverged", dict(symbol="x", color=DIVERGED_COLOUR, size=9)),
                                (never, "never reached tol", dict(symbol="circle-open", color="#6b6b6b", size=8))):
        if where.any():
            data.append(dict(type="scatter", x=_f32(xs[where]), y=_f32(np.full(where.sum(), top)), mode="markers",
                             name=t(name, lang), marker=marker, hoverinfo="skip", **KEEP))
    shapes, annotations = [], []
    if theory is not None and result.x_param == "lr":
        data.append(_gd_theory_trace(result, theory, xs, lang))
        shapes, annotations = _gd_theory_lines(theory, hyper_spec(result.optimizer, "lr"), xs, lang)
    outcome = [t("diverged", lang) if d else t("{n} steps", lang, n=int(n)) if np.isfinite(n)
               else t("never reached tol", lang) for d, n in zip(result.diverged, steps)]
    data.append(dict(type="scatter", x=_f32(xs), y=_f32(np.where(np.isnan(steps), top, steps)), mode="markers",
                     marker=dict(size=18, opacity=0), name=t("settings", lang), showlegend=False, meta=CLICK_META,
                     **HIDDEN,
                     customdata=[float(v) for v in result.x_values], text=outcome,
                     hovertemplate=(f"{result.x_param} = %{{customdata:.3g}}: %{{text}}"
                                    f"<br><i>{t('click to add this setting as a run', lang)}</i><extra></extra>")))
    margin = dict(l=70, r=20, t=40, b=50 + LEGEND_ROOM)
    layout = dict(height=height, font=dict(size=font_size), margin=margin,
                  xaxis=_axis(hyper_spec(result.optimizer, result.x_param), result.x_values, lang),
                  yaxis=dict(title=dict(text=t("steps to {gap} ≤ {tol:g}", lang, gap=result.gap, tol=result.tol)),
                             type="log", **_log_axis(max(np.nanmin(np.append(steps, top)), 1) / 1.5, top * 3)),
                  shapes=shapes, annotations=annotations, legend=_legend_below(height, margin),
                  hovermode="closest", clickmode="event+select", dragmode="zoom")
    return dict(data=data, layout=layout)


# The notes' figure's colours for its four curves (yellow, green, red, blue), in Okabe & Ito's shades.
VERDICT_COLOURS = {"very high": "#E69F00", "high": "#009E73", "good": "#D55E00", "low": "#0072B2"}
VERDICT_DASHES = {"very high": "dot", "high": "dash", "good": "solid", "low": "dashdot"}


def learning_rate_figure(curves, *, height=480, font_size=14, lang: str = "en") -> dict:
    """The notes' learning-rate picture: the gap against the step for every learning rate of ``curves``
    (``analysis.LearningRateCurves``), each line in the colour and dash of its verdict (very high, high,
    good, low), so the figure reads without colour too; a run that blew up ends where it did."""
    steps = np.arange(curves.gap.shape[-1])
    floor = np.nanmin(np.where(curves.gap > 0, curves.gap, np.nan)) if np.any(curves.gap > 0) else 1e-12
    data = []
    good = curves.verdicts.index("good") if "good" in curves.verdicts else None
    for i, (lr, gap, verdict) in enumerate(zip(curves.lrs, curves.gap, curves.verdicts)):
        name = t("lr = {lr:.3g} ({verdict})", lang, lr=float(lr), verdict=t(verdict, lang))
        # of several curves with one verdict, the farther from the good rate, the fainter
        opacity = 1.0 if good is None else max(0.35, 1.0 - 0.2 * (abs(i - good) - 1))
        data.append(dict(type="scatter", x=_f32(steps), y=_f32(np.maximum(gap, floor)), mode="lines", name=name,
                         opacity=opacity,
                         line=dict(color=VERDICT_COLOURS[verdict], dash=VERDICT_DASHES[verdict],
                                   width=3.5 if verdict == "good" else 2),
                         hovertemplate=f"{name}<br>k = %{{x}}: %{{y:.3g}}<extra></extra>"))
    # a run that blows up leaves through the top, as in the notes' figure: the others keep the room
    top = min(np.nanmax(curves.gap), 1e3 * curves.gap[0, 0]) if np.isfinite(curves.gap).any() else 1.0
    margin = dict(l=70, r=20, t=30, b=50 + LEGEND_ROOM)
    layout = dict(height=height, font=dict(size=font_size), margin=margin,
                  xaxis=dict(title=dict(text=t("step", lang)), range=[0, float(steps[-1])]),
                  yaxis=dict(title=dict(text=t("{param} (log scale)", lang, param=curves.gap_name)), type="log",
                             **_log_axis(max(floor, top * 1e-16) / 2, top * 2)),
                  legend=_legend_below(height, margin), hovermode="closest")
    return dict(data=data, layout=layout)


TRIAL_COLOURS = {"none": "#009E73", "armijo": DIVERGED_COLOUR, "curvature": "#E69F00", "not lower": "#6b6b6b"}
# what a trial's code (optim_core.line_search.FAILED) and a search's status (STATUS) say, in words
TRIAL_WORDS = {"none": "accepted", "armijo": "not enough decrease", "curvature": "slope still too steep",
               "not lower": "not below the best trial"}
SEARCH_WORDS = {"ok": "found an acceptable α", "armijo only": "ran out of trials: took the best with enough decrease",
                "no step": "found no step", "not descent": "not a descent direction: no step"}


def _intervals(mask: np.ndarray, alphas: np.ndarray) -> list:
    """The (start, end) of every run of True in ``mask`` over the sample points ``alphas``."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(int), [0]])))
    return [(float(alphas[a]), float(alphas[b - 1])) for a, b in zip(edges[::2], edges[1::2])]


def line_search_figure(surface, x, p, c1: float, c2: float, trials, accepted: float, *, height=480, font_size=14,
                       lang: str = "en") -> dict:
    """One line search drawn: φ(α) = f(x + αp) along the direction p, the sufficient-decrease line
    φ(0) + c1·α·φ′(0), the α where the strong curvature condition |φ′(α)| ≤ c2·|φ′(0)| holds (a band
    along the bottom), the acceptable α (both conditions) shaded, the trials numbered in the order tried
    and coloured by the condition they failed, and the accepted α.  Trials that span more than 30× in α
    (a search that backtracked far) put α on a log axis; a trial far above φ(0) is drawn at the top edge
    as ▲ (its hover says its value), so the region around the accepted α keeps the room.

    Args:
        surface, x, p: the surface, the step's start x_{k−1} and the search direction.
        c1, c2: the conditions' constants (c2 only matters for a Wolfe search; pass None for Armijo).
        trials: (α, φ(α), condition failed) of every trial, in order ("none": accepted).
        accepted: the α the search took (0: no step).
    """
    x, p = np.asarray(x, dtype=float), np.asarray(p, dtype=float)
    tried = [alpha for alpha, *_ in trials if alpha > 0] + ([accepted] if accepted > 0 else []) or [1e-12]
    log_x = max(tried) / min(tried) > 30
    alphas = np.geomspace(min(tried) / 3, max(tried) * 1.5, 600) if log_x else np.linspace(0, max(tried) * 1.3, 600)
    with np.errstate(all="ignore"):
        phi = surface.f(x + alphas[:, None] * p)
        dphi = np.einsum("ij,j->i", surface.grad(x + alphas[:, None] * p), p)
        phi0, dphi0 = float(surface.f(x)), float(surface.grad(x) @ p)
    decrease = phi0 + c1 * alphas * dphi0
    curvature_ok = np.abs(dphi) <= c2 * abs(dphi0) if c2 is not None else np.ones(len(alphas), bool)
    low = float(np.nanmin(np.append(phi, phi0)))
    top = phi0 + 1.5 * max(phi0 - low, 1e-12 * max(abs(phi0), 1.0))
    # shapes take data values on a log axis too (annotations would take log10: plotly.js#6194)
    shapes = [dict(type="rect", xref="x", yref="paper", x0=a, x1=b, y0=0, y1=1, line=dict(width=0),
                   fillcolor="rgba(0,158,115,0.14)", layer="below")
              for a, b in _intervals((phi <= decrease) & curvature_ok, alphas)]
    if c2 is not None:
        shapes += [dict(type="rect", xref="x", yref="paper", x0=a, x1=b, y0=0, y1=0.035, line=dict(width=0),
                        fillcolor="#E69F00") for a, b in _intervals(curvature_ok, alphas)]
    data = [dict(type="scatter", x=_f32(alphas), y=_f32(phi), mode="lines", name="φ(α) = f(x + αp)",
                 line=dict(color=PALETTE[1], width=3), hoverinfo="skip"),
            dict(type="scatter", x=_f32(alphas), y=_f32(decrease), mode="lines",
                 name=t("sufficient decrease: φ(0) + c₁αφ′(0)", lang), line=dict(color=DIVERGED_COLOUR, dash="dash"),
                 hoverinfo="skip")]
    data += _trial_traces(trials, top, lang)
    if accepted > 0:
        data.append(dict(type="scatter", x=[float(accepted)], y=[float(surface.f(x + accepted * p))], mode="markers",
                         name=t("accepted α = {alpha:.3g}", lang, alpha=float(accepted)),
                         marker=dict(symbol="circle-open", size=24, color="#111111", line=dict(width=3))))
    margin = dict(l=70, r=20, t=30, b=50 + LEGEND_ROOM)
    span = top - low
    xaxis = dict(title=dict(text=t("step length α", lang)), zeroline=False, type="log" if log_x else "linear",
                 range=[float(np.log10(alphas[0])), float(np.log10(alphas[-1]))] if log_x else [0, float(alphas[-1])])
    layout = dict(height=height, font=dict(size=font_size), margin=margin, shapes=shapes, xaxis=xaxis,
                  yaxis=dict(title=dict(text="φ(α)"), range=[low - 0.1 * span, top + 0.05 * span]),
                  legend=_legend_below(height, margin), hovermode="closest")
    return dict(data=data, layout=layout)


def _trial_traces(trials, top: float, lang: str) -> list:
    """A numbered marker per trial, coloured by what it failed; one above ``top`` sits on the edge as ▲."""
    traces = []
    for order, (alpha, value, failed) in enumerate(trials, start=1):
        above = not value <= top
        hover = t("trial {n}: α = {alpha:.3g}, {outcome}", lang, n=order, alpha=float(alpha),
                  outcome=t(TRIAL_WORDS.get(failed, failed), lang)) + f"<br>φ = {value:.4g}<extra></extra>"
        traces.append(dict(type="scatter", x=[float(alpha)], y=[float(top if above else value)], mode="markers+text",
                           text=[str(order)], textposition="bottom center" if above else "top center",
                           showlegend=False, hovertemplate=hover, cliponaxis=False,
                           marker=dict(size=12, symbol="triangle-up" if above else "circle",
                                       color=TRIAL_COLOURS.get(failed, "#333333"), line=dict(width=1.5, color="#ffffff"))))
    return traces


def _gd_theory_lines(theory, lr_spec: HyperSpec, xs: np.ndarray, lang: str) -> tuple:
    """Vertical lines at GD's stability limit 2/λmax and its best lr 2/(λmin + λmax) (where the sweep
    reaches), labelled inside the plot's top, one row each (the lines may almost touch), each label
    reading away from the nearer side: clear of each other and of Plotly's toolbar above the plot."""
    shapes, annotations = [], []
    low, high = float(xs.min()), float(xs.max())
    lines = ((theory.gd_lr_max, "2/λmax: unstable beyond", DIVERGED_COLOUR),
             (theory.gd_lr_opt, "2/(λmin+λmax): best", "#333333"))
    for row, (value, text, colour) in enumerate(lines):
        x = float(axis_values(lr_spec, np.asarray(value)))
        if not low <= x <= high:
            continue
        reads_right = x - low < 0.6 * (high - low)
        shapes.append(dict(type="line", x0=x, x1=x, y0=0, y1=1, yref="paper",
                           line=dict(dash="dash", width=2, color=colour)))
        annotations.append(dict(x=x, y=1, yref="paper", text=t(text, lang), showarrow=False, yanchor="top",
                                yshift=-2 - 26 * row, xanchor="left" if reads_right else "right",
                                xshift=4 if reads_right else -4, bgcolor=LABEL_BG, font=dict(color=colour)))
    return shapes, annotations


def _gd_theory_trace(result, theory, xs: np.ndarray, lang: str) -> dict:
    """Gradient descent's predicted steps to tol on a quadratic: the gap shrinks like |1 − lr·λ|^(2k)."""
    rate = theory.gd_rate(result.x_values)
    with np.errstate(divide="ignore", invalid="ignore"):
        predicted = np.where(rate < 1, np.log(result.tol) / (2 * np.log(rate)), np.nan)
    return dict(type="scatter", x=_f32(xs), y=_f32(predicted), mode="lines", name=t("theory: |1 − lr·λ|^k", lang),
                line=dict(color="black", dash="dot"), hoverinfo="skip")


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
    # the legend right of the plot, from its top down: below Plotly's toolbar, which sits in the top margin
    layout = dict(height=height, font=dict(size=font_size), margin=dict(l=60, r=20, t=40, b=50),
                  xaxis=dict(range=[x_lo, x_hi], title=dict(text=t("start x", lang)), showgrid=False,
                             constrain="domain"),
                  yaxis=dict(range=[y_lo, y_hi], title=dict(text=t("start y", lang)), showgrid=False, scaleanchor="x",
                             constrain="domain"),
                  legend=dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top"),
                  images=[dict(source=back.uri, xref="x", yref="y", x=x_lo, y=y_hi, sizex=x_hi - x_lo,
                               sizey=y_hi - y_lo, sizing="stretch", layer="below")])
    return dict(data=data, layout=layout)


def search_figure(random_stages, grid, param="lr", *, height=520, font_size=14, lang: str = "en") -> dict:
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
    spec = hyper_spec(grid.optimizer, param)
    axis = dict(type="log" if spec.log else "linear", title=dict(text=hyper_label(spec, lang)),
                exponentformat="power")
    margin = dict(l=70, r=20, t=50, b=50 + LEGEND_ROOM)
    layout = dict(height=height, font=dict(size=font_size), margin=margin,
                  xaxis=dict(axis, domain=[0, 0.47]), xaxis2=dict(axis, domain=[0.53, 1]),
                  yaxis=dict(type="log", title=dict(text=t("final f − f*", lang)), anchor="x",
                             exponentformat="power"),
                  yaxis2=dict(type="log", anchor="x2", matches="y", exponentformat="power"),
                  legend=_legend_below(height, margin),
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
STEP_MARGIN = dict(l=50, r=20, t=30, b=40)
LABEL_GAP = 6  # px between an arrow's tip and its label's box


def background_window(surface, x_range, y_range, width: int) -> Background:
    """The surface's picture over a window of the plane (a zoom), ``width`` pixels wide: computed over the
    window itself, so it is as sharp as the zoomed chart, with contour levels spread over the window."""
    window = dataclasses.replace(surface, x_range=(float(x_range[0]), float(x_range[1])),
                                 y_range=(float(y_range[0]), float(y_range[1])))
    return background(window, width)


def text_size(text: str, font_size: float) -> tuple:
    """A generous estimate of a label's box in pixels (width, height): Latin letters and symbols about
    0.6 em wide, Chinese characters 1 em, plus the annotation's padding."""
    width = sum(font_size * (1.0 if has_chinese(ch) else 0.6) for ch in text)
    return width + 8, 1.35 * font_size + 6


def _inside(points: np.ndarray, centre: np.ndarray, half: np.ndarray) -> int:
    """How many of ``points`` (n, 2) lie in the box around ``centre`` with half-sizes ``half``."""
    return int(np.all(np.abs(points - centre) <= half, axis=-1).sum()) if len(points) else 0


def _overlap(centre_a, half_a, centre_b, half_b) -> float:
    """The area two boxes (centre, half-sizes) share."""
    sides = np.minimum(centre_a + half_a, centre_b + half_b) - np.maximum(centre_a - half_a, centre_b - half_b)
    return float(np.prod(np.clip(sides, 0, None)))


def _samples(start: np.ndarray, end: np.ndarray, every: float = 3.0) -> np.ndarray:
    count = max(2, int(np.linalg.norm(end - start) / every) + 1)
    return start + np.linspace(0.0, 1.0, count)[:, None] * (end - start)


def place_labels(tips: list, sizes: list, side: float, *, lines: np.ndarray, points: np.ndarray | None = None,
                 boxes: list = ()) -> list:
    """Where each arrow's label goes: its box's centre as a pixel offset from the arrow's tip.

    Everything is in pixels, y up, the arrows starting at (0, 0) in the middle of a square plot of
    ``side`` pixels.  One label after the other, each takes the place around its tip (16 directions,
    three distances) that overlaps the labels placed before, ``boxes`` (fixed ones, (centre, half)),
    the arrows (``lines``: sampled points) and the path (``points``) least, stays inside the plot
    (with a margin: in a narrow column the plot is smaller, the offsets are not), and lies as nearly
    as possible straight beyond its tip."""
    placed = [(np.asarray(c, float), np.asarray(h, float)) for c, h in boxes]
    points = np.zeros((0, 2)) if points is None else points
    offsets = []
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    for tip, (width, height) in zip(tips, sizes):
        tip = np.asarray(tip, dtype=float)
        half = np.array([width / 2, height / 2])
        length = np.linalg.norm(tip)
        heading = math.atan2(tip[1], tip[0]) if length > 0 else math.pi / 2
        best, best_cost = None, math.inf
        for reach in (1.0, 2.0, 3.5):
            for angle in heading + angles:
                u = np.array([math.cos(angle), math.sin(angle)])
                centre = tip + u * (LABEL_GAP * reach + half @ np.abs(u))
                cost = sum(1000 * _overlap(centre, half, c, h) for c, h in placed)
                outside = np.clip(np.abs(centre) + half - 0.42 * side, 0, None)
                cost += 1000 * float(outside.sum()) * max(width, height)
                cost += 40 * _inside(lines, centre, half + 2) + 4 * _inside(points, centre, half + 2)
                cost += 30 * (1 - math.cos(angle - heading)) + 10 * reach
                if cost < best_cost:
                    best, best_cost = centre, cost
        placed.append((best, half))
        offsets.append(best - tip)
    return offsets


def _arrow_vectors(breakdown, span: float) -> dict:
    """The arrows to draw (key -> vector): the gradient as its downhill direction (it may be far longer
    than the step), 0.6 of the zoom's half-width long; the others as they are."""
    vectors = {}
    for key, vector in breakdown.arrows.items():
        vector = np.asarray(vector, dtype=float)
        if key == "grad":
            norm = np.linalg.norm(vector)
            vector = -vector / norm * 0.6 * span if norm > 0 else vector
        vectors[key] = vector
    return vectors


def step_figure(breakdown, surface, path_xy: np.ndarray, colour: str, *, height=480, font_size=14,
                lang: str = "en", oversample: float = 1.5) -> dict:
    """Update k around x_{k−1}: the path so far, and arrows for the (descent) gradient direction,
    the momentum part and the step actually taken, on a zoomed view of the surface drawn at the
    zoom's own resolution (``oversample`` times the plot's pixels), each arrow's label placed apart
    from the other labels and arrows."""
    origin = np.asarray(breakdown.x_prev, dtype=float)
    step = np.asarray(breakdown.arrows["step"], dtype=float)
    span = max(4 * float(np.linalg.norm(step)), 0.04 * max(np.ptp(surface.x_range), np.ptp(surface.y_range)))
    x_range, y_range = [origin[0] - span, origin[0] + span], [origin[1] - span, origin[1] + span]
    side = height - STEP_MARGIN["t"] - STEP_MARGIN["b"]  # the square plot's side in pixels
    scale = side / (2 * span)  # pixels per unit
    k = breakdown.k
    data = [dict(type="scatter", x=_f32(path_xy[:k + 1, 0]), y=_f32(path_xy[:k + 1, 1]), mode="lines+markers",
                 name=t("path", lang), line=dict(color=colour, width=2), marker=dict(size=7, color=colour))]
    vectors = _arrow_vectors(breakdown, span)
    annotations = [dict(x=float(origin[0] + v[0]), y=float(origin[1] + v[1]), ax=float(origin[0]),
                        ay=float(origin[1]), xref="x", yref="y", axref="x", ayref="y", showarrow=True, arrowhead=3,
                        arrowsize=1.2, arrowwidth=3, arrowcolor=ARROW_STYLE.get(key, (key, "#888888"))[1], text="")
                   for key, v in vectors.items()]
    boxes = []
    if breakdown.lookahead_point is not None:
        point = np.asarray(breakdown.lookahead_point, dtype=float)
        text = t("look-ahead x + μv", lang)
        data.append(dict(type="scatter", x=[float(point[0])], y=[float(point[1])], mode="markers+text",
                         text=[text], textposition="bottom center", name=t("look-ahead point", lang),
                         marker=dict(symbol="diamond", size=12, color="#444444")))
        width, tall = text_size(text, font_size)
        boxes.append(((point - origin) * scale - [0, 8 + tall / 2], (width / 2, tall / 2)))
        boxes.append(((point - origin) * scale, (7, 7)))
    annotations += _arrow_labels(vectors, origin, scale, side, path_xy[:k + 1], boxes, font_size, lang)
    layout = dict(height=height, font=dict(size=font_size), margin=STEP_MARGIN,
                  xaxis=dict(range=x_range, showgrid=False, title=dict(text="x"), constrain="domain"),
                  yaxis=dict(range=y_range, showgrid=False, title=dict(text="y"), scaleanchor="x", constrain="domain"),
                  annotations=annotations, showlegend=False,
                  images=[dict(source=background_window(surface, x_range, y_range, int(side * oversample)).uri,
                               xref="x", yref="y", x=x_range[0], y=y_range[1], sizex=2 * span, sizey=2 * span,
                               sizing="stretch", layer="below")])
    return dict(data=data, layout=layout)


def _arrow_labels(vectors: dict, origin, scale: float, side: float, path_xy, boxes: list, font_size, lang) -> list:
    """The arrows' labels as annotations at their tips, shifted (in pixels) to where place_labels puts them."""
    keys = sorted(vectors, key=lambda key: key != "step")  # the step taken first: it gets the best place
    texts = [t(ARROW_STYLE.get(key, (key, ""))[0], lang) for key in keys]
    tips = [vectors[key] * scale for key in keys]
    lines = np.concatenate([_samples(np.zeros(2), tip) for tip in tips])
    path = (np.asarray(path_xy, dtype=float) - origin) * scale
    points = np.concatenate([_samples(a, b) for a, b in zip(path[:-1], path[1:])]) if len(path) > 1 else path
    offsets = place_labels(tips, [text_size(text, font_size) for text in texts], side, lines=lines, points=points,
                           boxes=boxes)
    return [dict(x=float(origin[0] + vectors[key][0]), y=float(origin[1] + vectors[key][1]), xref="x", yref="y",
                 showarrow=False, text=text, xanchor="center", yanchor="middle", xshift=float(offset[0]),
                 yshift=float(offset[1]), bgcolor=LABEL_BG, borderpad=2,
                 font=dict(color=ARROW_STYLE.get(key, (key, "#888888"))[1], size=font_size))
            for key, text, offset in zip(keys, texts, offsets)]


def format_value(value) -> str:
    """A term's value as text: a number, a vector (x, y) or a 2 × 2 matrix."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return f"{float(array):.6g}"
    if array.ndim == 1:
        return "(" + ", ".join(f"{v:.6g}" for v in array) + ")"
    return "[" + "; ".join("(" + ", ".join(f"{v:.4g}" for v in row) + ")" for row in array) + "]"

