"""The network lab's pictures (Plotly figures as dicts): loss curves, decision regions, the loss landscape with the
runs' projected paths, and the gradient check's table rows.  Every text is English here and passes through ``t``
(``viz.i18n``) in the page's language.  No Streamlit here.
"""

from __future__ import annotations

import base64

import numpy as np

from .figures import _f32, banded_png, log_ticks, png
from .i18n import around, t

# One colour per class (Okabe–Ito, then Tol's muted set): the decision regions and the data points.
CLASS_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#332288", "#888888",
                 "#882255")
GRADCHECK_HEADERS = ("layer", "weights checked", "largest relative error", "verdict", "kinks crossed")


def smooth_curve(values: np.ndarray) -> np.ndarray:
    """The book's ``common/util.py`` smooth_curve: a Kaiser window of 11 (β = 2), the ends mirrored; NaN stays out
    (a diverged run's curve is smoothed up to where it stopped)."""
    finite = values[np.isfinite(values)]
    if finite.size < 11:
        return values.copy()
    window = np.kaiser(11, 2)
    padded = np.r_[finite[10:0:-1], finite, finite[-1:-11:-1]]
    smooth = np.convolve(window / window.sum(), padded, mode="valid")[5:-5]
    out = np.full_like(values, np.nan)
    out[np.flatnonzero(np.isfinite(values))] = smooth
    return out


def _title(text: str) -> dict:
    return dict(text=text)


def _layout(font_size: int, lang: str, **extra) -> dict:
    """The lab's common layout: the legend in one row at the bottom of the figure, under the x axis's ticks and
    title, with room for them at any type size (projector mode's 20 px too)."""
    return dict(font=dict(size=font_size), margin=dict(l=60, r=20, t=50, b=4 * font_size + 34), hovermode="closest",
                legend=dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0), template="plotly_white",
                **extra)


def loss_figure(training, names, colours, *, lang="en", font_size=14, narrow=False) -> dict:
    """Left: every run's minibatch loss per iteration, raw (faint) and smoothed (the book's Fig. 6-9), on a log
    axis; right: its validation accuracy at the kept iterations."""
    iterations = np.arange(training.iterations)
    data = []
    for run, (name, colour) in enumerate(zip(names, colours)):
        loss = training.loss[run]
        data.append(dict(type="scattergl", x=_f32(iterations), y=_f32(loss), mode="lines", name=name,
                         line=dict(color=colour, width=1), opacity=0.25, legendgroup=name, showlegend=False,
                         hoverinfo="skip"))
        data.append(dict(type="scattergl", x=_f32(iterations), y=_f32(smooth_curve(loss)), mode="lines", name=name,
                         line=dict(color=colour, width=2.5), legendgroup=name,
                         hovertemplate=f"{name}<br>{t('iteration', lang)} %{{x}}<br>{t('loss', lang)} %{{y:.4g}}"
                                       "<extra></extra>"))
        data.append(dict(type="scatter", x=training.checkpoints.tolist(), y=_f32(training.val_accuracy[run]),
                         mode="lines", name=name, xaxis="x2", yaxis="y2", line=dict(color=colour, width=2.5),
                         legendgroup=name, showlegend=False,
                         hovertemplate=f"{name}<br>{t('iteration', lang)} %{{x}}<br>"
                                       f"{t('validation accuracy', lang)} %{{y:.1%}}<extra></extra>"))
    finite = training.loss[np.isfinite(training.loss) & (training.loss > 0)]
    ticks = log_ticks(float(finite.min()), float(finite.max()), 5) if finite.size else {}
    # side by side; on a phone one above the other
    left, right = ([0, 1], [0, 1]) if narrow else ([0, 0.47], [0.55, 1])
    lower, upper = ([0, 0.42], [0.58, 1]) if narrow else ([0, 1], [0, 1])
    return dict(data=data, layout=_layout(
        font_size, lang,
        height=720 if narrow else 460, xaxis=dict(title=_title(t("iteration", lang)), domain=left),
        yaxis=dict(title=_title(t("training loss (minibatch)", lang)), type="log", domain=upper, **ticks),
        xaxis2=dict(title=_title(t("iteration", lang)), domain=right, anchor="y2"),
        yaxis2=dict(title=_title(t("validation accuracy", lang)), anchor="x2", range=[0, 1.02], tickformat=".0%",
                    domain=lower)))


def region_grid(bounds, size: int = 64) -> tuple:
    """(xs, ys, points (size·size, 2)) over a 2-D data set's box (``Dataset.bounds``)."""
    x_lo, x_hi, y_lo, y_hi = bounds
    xs, ys = np.linspace(x_lo, x_hi, size), np.linspace(y_lo, y_hi, size)
    return xs, ys, np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


def player(iterations, lang: str, font_size: int, *, redraw: bool, y: float = 0.0, seconds: float = 6.0,
           narrow: bool = False) -> dict:
    """Play / Pause and a slider over frames named by their ``iterations`` (the last shown first): plotly.js plays
    them in the browser, no server round trip.  Play from the last frame starts again from the first.  ``narrow``
    (a phone): the slider goes on its own line under the buttons."""
    names = [str(int(k)) for k in iterations]
    frame_ms = max(40, int(1000 * seconds / max(1, len(names))))
    play = dict(label=t("▶ Play", lang), method="animate",
                args=[None, dict(frame=dict(duration=frame_ms, redraw=redraw), fromcurrent=True, mode="immediate",
                                 transition=dict(duration=0))])
    pause = dict(label=t("❚❚ Pause", lang), method="animate",
                 args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate", transition=dict(duration=0))])
    prefix, suffix = around("iteration {k}", lang)
    slider_pad = 2 * font_size + 70 if narrow else font_size + 24
    slider = dict(active=len(names) - 1, x=0.0 if narrow else 0.2, len=1.0 if narrow else 0.8, y=y, yanchor="top",
                  pad=dict(t=slider_pad, b=0),
                  currentvalue=dict(prefix=prefix, suffix=suffix, font=dict(size=font_size, color="#333333")),
                  font=dict(size=max(font_size - 4, 8), color="rgba(0,0,0,0)"), transition=dict(duration=0),
                  steps=[dict(label=name, method="animate",
                              args=[[name], dict(mode="immediate", frame=dict(duration=0, redraw=redraw),
                                                 transition=dict(duration=0))]) for name in names])
    menu = dict(type="buttons", direction="left", showactive=False, x=0, y=y, xanchor="left", yanchor="top",
                pad=dict(t=font_size + 24, r=8), font=dict(size=font_size), buttons=[play, pause])
    return dict(updatemenus=[menu], sliders=[slider])


def class_palette(classes: int) -> np.ndarray:
    return np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in CLASS_COLOURS[:classes]], dtype=float)


def regions_image(probabilities: np.ndarray, shape: tuple) -> str:
    """The predicted class at every grid point in its colour, paler where the network is unsure (the top
    probability near 1/K), as a PNG data URI; ``probabilities`` (ny·nx, K), row 0 the lowest y."""
    classes = probabilities.shape[-1]
    picked = probabilities.argmax(axis=-1)
    confidence = np.clip((probabilities.max(axis=-1) - 1 / classes) / (1 - 1 / classes), 0, 1)
    tint = (0.25 + 0.45 * confidence)[:, None]
    rgb = 255 - tint * (255 - class_palette(classes)[picked])
    rgba = np.concatenate([rgb, np.full((len(rgb), 1), 255.0)], axis=1).reshape(shape + (4,)).astype(np.uint8)
    return "data:image/png;base64," + base64.b64encode(png(rgba[::-1])).decode("ascii")  # a PNG's row 0 is the top


def regions_figure(xs, ys, probabilities, data, names, accuracies, iterations, *, lang="en", font_size=14,
                   narrow=False) -> dict:
    """One small map per run: the class the network predicts at every point of the box, and the training points in
    their true class's colour; one frame per kept iteration (Play).

    probabilities: (R, F, len(ys)·len(xs), K) at the F iterations; accuracies: (R, F) validation accuracy there."""
    runs = len(names)
    columns = 2 if runs in (2, 4) else min(runs, 3)  # four maps as 2 × 2: each big enough to read from the back
    rows = -(-runs // columns)
    box = dict(x=float(xs[0]), y=float(ys[-1]), sizex=float(xs[-1] - xs[0]), sizey=float(ys[-1] - ys[0]))
    row_px = 190 if narrow else 340  # a phone's maps are about 170 px wide
    traces, layout = [], _layout(font_size, lang, height=row_px * rows + (210 if narrow else 150), showlegend=False)
    for run in range(runs):
        axis = "" if run == 0 else str(run + 1)
        traces.append(dict(type="scatter", x=_f32(data.x_train[:, 0]), y=_f32(data.x_train[:, 1]), mode="markers",
                           xaxis="x" + axis, yaxis="y" + axis, hoverinfo="skip",
                           marker=dict(size=5, color=[CLASS_COLOURS[c] for c in data.y_train.tolist()],
                                       line=dict(color="white", width=0.6))))
        column, row = run % columns, run // columns
        layout[f"xaxis{axis}"] = dict(domain=[column / columns + 0.02, (column + 1) / columns - 0.02],
                                      anchor="y" + axis, showticklabels=False, range=[xs[0], xs[-1]], showgrid=False,
                                      zeroline=False)
        layout[f"yaxis{axis}"] = dict(domain=[1 - (row + 1) / rows + 0.1 / rows, 1 - row / rows - 0.08 / rows],
                                      anchor="x" + axis, showticklabels=False, range=[ys[0], ys[-1]], showgrid=False,
                                      zeroline=False, scaleanchor="x" + axis, constrain="domain")
    layout["xaxis"]["constrain"] = "domain"

    def picture(frame: int) -> dict:
        images = [dict(box, source=regions_image(probabilities[run, frame], (len(ys), len(xs))),
                       xref=f"x{'' if run == 0 else run + 1}", yref=f"y{'' if run == 0 else run + 1}",
                       sizing="stretch", layer="below") for run in range(runs)]
        notes = [dict(text=f"{names[run]} · {accuracies[run, frame]:.0%}", showarrow=False,
                      xref=f"x{'' if run == 0 else run + 1} domain", yref=f"y{'' if run == 0 else run + 1} domain",
                      x=0.5, y=1.0, yanchor="bottom", font=dict(size=font_size)) for run in range(runs)]
        return dict(images=images, annotations=notes)

    layout.update(picture(len(iterations) - 1), **player(iterations, lang, font_size, redraw=True, narrow=narrow))
    if narrow:
        layout["margin"].update(l=10, r=10, b=130)
    frames = [dict(name=str(int(k)), layout=picture(f)) for f, k in enumerate(iterations)]
    return dict(data=traces, layout=layout, frames=frames)


def upsample(values: np.ndarray, factor: int) -> np.ndarray:
    """Bilinear interpolation of a grid (ny, nx) onto one ``factor`` times finer in each direction."""
    ny, nx = values.shape
    fine_x, fine_y = np.linspace(0, nx - 1, (nx - 1) * factor + 1), np.linspace(0, ny - 1, (ny - 1) * factor + 1)
    rows = np.array([np.interp(fine_x, np.arange(nx), row) for row in values])
    return np.array([np.interp(fine_y, np.arange(ny), column) for column in rows.T]).T


def landscape_picture(losses: np.ndarray, count: int = 24) -> tuple:
    """The loss on the plane as the surfaces are drawn (``figures.banded_png``): bands between levels evenly spaced
    in log₁₀ loss (the 0.2 % and 98 % quantiles bound them), smoothed onto a 10× finer grid.  (data URI, levels)."""
    finite = losses[np.isfinite(losses) & (losses > 0)]
    low, high = (float(np.quantile(finite, 0.002)), float(np.quantile(finite, 0.98))) if finite.size else (1e-3, 1.0)
    high = max(high, low * 1.01)
    log_loss = np.log10(np.clip(np.nan_to_num(losses, nan=high, posinf=high), low, None))
    levels = np.linspace(np.log10(low), np.log10(high), count)
    data = banded_png(upsample(log_loss, 10), levels)
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii"), 10.0 ** levels


def landscape_figure(alphas, betas, losses, coords, iterations, names, colours, *, hide_future=True, lang="en",
                     font_size=14, narrow=False) -> dict:
    """The training loss on the plane (banded contours, as the surfaces are drawn) and every run's projected path,
    growing frame by frame to the kept iteration (Play).  coords: (R, C, 2); losses: (len(betas), len(alphas)).
    The picture is a layout image, so that playing the frames never redraws it.  Unless ``hide_future`` (the page's
    playback setting), each whole path is drawn faint under the growing one."""
    picture, levels = landscape_picture(losses)
    x_range, y_range = [float(alphas[0]), float(alphas[-1])], [float(betas[0]), float(betas[-1])]
    image = dict(source=picture, xref="x", yref="y", x=x_range[0], y=y_range[1], sizex=x_range[1] - x_range[0],
                 sizey=y_range[1] - y_range[0], sizing="stretch", layer="below")
    data = []
    start = coords[0, 0]
    data.append(dict(type="scatter", x=[float(start[0])], y=[float(start[1])], mode="markers", name=t("start θ₀", lang),
                     marker=dict(symbol="x", size=12, color="black")))
    moving = []
    for run, (name, colour) in enumerate(zip(names, colours)):
        if not hide_future:
            data.append(dict(type="scatter", x=_f32(coords[run, :, 0]), y=_f32(coords[run, :, 1]), mode="lines",
                             line=dict(color=colour, width=1, dash="dot"), opacity=0.35, showlegend=False,
                             hoverinfo="skip"))
        moving += [len(data), len(data) + 1]
        data.append(dict(type="scatter", mode="lines", name=name, line=dict(color=colour, width=3), legendgroup=name,
                         hoverinfo="skip"))
        data.append(dict(type="scatter", mode="markers", marker=dict(color=colour, size=13,
                                                                     line=dict(color="white", width=1.5)),
                         legendgroup=name, showlegend=False, hovertemplate=f"{name}<extra></extra>"))

    def paths_to(frame: int) -> list:
        shown = []
        for run in range(len(names)):
            path = coords[run, :frame + 1]
            shown += [dict(x=path[:, 0].tolist(), y=path[:, 1].tolist()),
                      dict(x=[float(path[-1, 0])], y=[float(path[-1, 1])])]
        return shown

    for index, values in zip(moving, paths_to(len(iterations) - 1)):
        data[index].update(values)
    frames = [dict(name=str(int(k)), data=paths_to(f), traces=moving) for f, k in enumerate(iterations)]
    layout = _layout(font_size, lang, height=520 if narrow else (820 if font_size >= 20 else 640), images=[image],
                     xaxis=dict(title=_title(t("direction 1", lang)), showgrid=False, constrain="domain", zeroline=False,
                                range=x_range),
                     yaxis=dict(title=_title(t("direction 2", lang)), showgrid=False, scaleanchor="x",
                                constrain="domain", zeroline=False, range=y_range),
                     **player(iterations, lang, font_size, redraw=False, y=-0.12, narrow=narrow))
    layout["margin"].update(b=200 if narrow else 140, t=50 + (2 * font_size if narrow else font_size))
    layout["legend"].update(yref="paper", y=1.0, yanchor="bottom")  # above the plot: the player below grows with the type
    if narrow:
        layout["margin"].update(l=40, r=10)
    layout["meta"] = dict(levels=[float(v) for v in levels])
    return dict(data=data, layout=layout, frames=frames)


def gradcheck_rows(checks, lang="en") -> list:
    """The table of ``nets.gradcheck.check``: one row per layer, its verdict in words."""
    return [{t(GRADCHECK_HEADERS[0], lang): check.name, t(GRADCHECK_HEADERS[1], lang): int(check.n_checked),
             t(GRADCHECK_HEADERS[2], lang): f"{check.max_relative_error:.2e}",
             t(GRADCHECK_HEADERS[3], lang): t(check.verdict, lang),
             t(GRADCHECK_HEADERS[4], lang): int(check.kinks_crossed)} for check in checks]


INIT_NAMES = {"1": "σ = 1", "0.01": "σ = 0.01", "xavier": "Xavier: √(1/n)", "he": "He: √(2/n)"}


def init_figure(histograms: dict, *, lang="en", font_size=14) -> dict:
    """The book's Figs. 6-10, 6-11, 6-13 and 6-14 side by side: a row per weight scale, a column per layer, each
    the histogram of that layer's activations (30 bins over 0 … 1, as the book draws them).
    histograms: scale → ``nets.init_study.Histograms``."""
    rows, columns = len(histograms), len(next(iter(histograms.values())).counts)
    data, layout = [], _layout(font_size, lang, height=170 * rows + 90, showlegend=False, bargap=0.05)
    layout["margin"].update(l=110, t=40)
    for row, (scale, h) in enumerate(histograms.items()):
        centres = (h.edges[:-1] + h.edges[1:]) / 2
        for column, counts in enumerate(h.counts):
            index = row * columns + column + 1
            axis = "" if index == 1 else str(index)
            data.append(dict(type="bar", x=_f32(centres), y=counts.tolist(), xaxis="x" + axis, yaxis="y" + axis,
                             marker=dict(color="#0072B2"), hovertemplate="%{x:.2f}: %{y}<extra></extra>"))
            gap = 0.025
            layout[f"xaxis{axis}"] = dict(domain=[column / columns + gap, (column + 1) / columns - gap],
                                          anchor="y" + axis, range=[0, 1], tickvals=[0, 0.5, 1],
                                          showticklabels=row == rows - 1)
            layout[f"yaxis{axis}"] = dict(domain=[1 - (row + 1) / rows + 0.06, 1 - row / rows - 0.03],
                                          anchor="x" + axis, showticklabels=False)
            if row == 0:
                layout.setdefault("annotations", []).append(dict(
                    text=t("layer {k}", lang, k=column + 1), showarrow=False, xref=f"x{axis} domain",
                    yref=f"y{axis} domain", x=0.5, y=1.0, yanchor="bottom", font=dict(size=font_size)))
        first = "" if row == 0 else str(row * columns + 1)  # the row's first axes
        layout.setdefault("annotations", []).append(dict(
            text=t(INIT_NAMES.get(scale, scale), lang), showarrow=False, xref="paper", yref=f"y{first} domain",
            x=-0.01, xanchor="right", y=0.5, font=dict(size=font_size)))
    return dict(data=data, layout=layout)
