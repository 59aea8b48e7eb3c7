"""Plotly figures as plain dicts: the animated paths over the surface, the traces, the 3-D view.

Why plain dicts: building ``plotly.graph_objects`` frames validates every property and costs
0.1–1 s for an animation; a dict costs a few milliseconds.  ``tests/test_figures.py`` checks
these dicts against Plotly's schema once (``go.Figure(fig)``), so the app need not on every rerun.

Why a picture under the paths: Plotly drops contour and heatmap traces while scatter traces
animate with ``redraw=False`` (plotly.py #2151, #5256; plotly.js #4491).  The surface is drawn
once, as a PNG in ``layout.images`` (filled bands plus contour lines, gaps where f is undefined),
and only the scatter traces that move are in the frames.
"""

from __future__ import annotations

import base64
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from optim_core import analysis

from .i18n import around, t
from .scene import distance_to_nearest

# Okabe & Ito's colour-blind-safe palette (without yellow, weak on a light page), then Tol's wine.
PALETTE = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882255")
# A marker shape per run as well, so runs stay apart without colour (print, projectors, colour vision).
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "cross", "x", "star", "pentagon")
# The surface's bands, low to high: cream to slate, light enough for every path colour to stand out.
BAND_RAMP = ((0.0, (252, 248, 238)), (0.35, (233, 236, 234)), (0.7, (205, 216, 226)), (1.0, (160, 178, 200)))
LINE_RGB = np.array((92, 104, 124))
MAX_FRAMES = 150
CLICK_COLUMNS = 31  # the invisible grid of markers that a click on the surface selects
FRAME_POINT_BUDGET = 24_000  # path points over all frames and runs: keeps the figure small
PLAY_SECONDS = {"▶ Play": 5.0, "▶▶ Fast": 2.0, "▶ Slow": 12.0}  # button label (English, see i18n): seconds
LOG_FLOOR = 1e-30  # zeros on log axes are drawn here


# --- the surface as a picture ---------------------------------------------------------------------


def grid(surface, nx: int, ny: int):
    """Points (ny, nx, 2) over the surface's domain and f there (NaN where undefined)."""
    xs = np.linspace(*surface.x_range, nx)
    ys = np.linspace(*surface.y_range, ny)
    points = np.stack(np.meshgrid(xs, ys), axis=-1)
    with np.errstate(all="ignore"):
        values = np.asarray(surface.f(points), dtype=float)
    values[~np.isfinite(values)] = np.nan
    return xs, ys, points, values


def contour_levels(surface, values: np.ndarray, count: int = 24) -> np.ndarray:
    """Level values: log-spaced in f − f_min for surfaces whose valleys need it, else linear."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.array([0.0, 1.0])
    if surface.log_levels and surface.f_min is not None:
        gap = finite - surface.f_min
        high = float(np.quantile(gap, 0.995))
        low = max(float(np.quantile(gap, 0.002)), high * 1e-6, 1e-12)
        return surface.f_min + np.geomspace(low, high, count)
    low, high = np.quantile(finite, [0.0, 0.98])
    if high <= low:
        high = low + 1.0
    return np.linspace(low, high, count + 2)[1:-1]


def _ramp(fraction: np.ndarray) -> np.ndarray:
    stops = np.array([stop for stop, _ in BAND_RAMP])
    colours = np.array([rgb for _, rgb in BAND_RAMP], dtype=float)
    return np.stack([np.interp(fraction, stops, colours[:, c]) for c in range(3)], axis=-1)


def png(rgba: np.ndarray) -> bytes:
    """Encode an (h, w, 4) uint8 image as PNG (zlib only: no imaging library needed)."""
    height, width, _ = rgba.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8), rgba.reshape(height, -1)], axis=1)

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) \
        + chunk(b"IEND", b"")


@dataclass(frozen=True)
class Background:
    uri: str  # data:image/png;base64,…
    levels: tuple
    size_bytes: int


def background(surface, width: int = 900) -> Background:
    """The surface as banded colours with contour lines; transparent where f is undefined."""
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    height = int(np.clip(round(width * (y_hi - y_lo) / (x_hi - x_lo)), width // 4, width))
    _, _, _, values = grid(surface, width, height)
    levels = contour_levels(surface, values)
    band = np.searchsorted(levels, np.nan_to_num(values, nan=-np.inf))  # 0 … len(levels)
    rgb = _ramp(band / len(levels))
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    rgb[edge] = 0.45 * rgb[edge] + 0.55 * LINE_RGB
    alpha = np.where(np.isnan(values), 0, 255)
    rgba = np.concatenate([rgb, alpha[..., None]], axis=-1).astype(np.uint8)[::-1]  # row 0 is the top
    data = png(rgba)
    return Background("data:image/png;base64," + base64.b64encode(data).decode("ascii"), tuple(levels), len(data))


# --- helpers ----------------------------------------------------------------------------------------


def _f32(values) -> dict:
    """A plotly.js typed array ({"dtype", "bdata"}): 4 bytes a number, base64, instead of ~18 as text."""
    array = np.ascontiguousarray(values, dtype=np.float32)
    spec = {"dtype": "f4", "bdata": base64.b64encode(array).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = ", ".join(map(str, array.shape))
    return spec


def _i32(values) -> dict:
    array = np.ascontiguousarray(values, dtype=np.int32)
    return {"dtype": "i4", "bdata": base64.b64encode(array).decode("ascii")}


def decode(spec) -> np.ndarray:
    """The numbers of a typed array spec (or of a plain list): for tests and exports."""
    if isinstance(spec, dict) and "bdata" in spec:
        dtype = {"f4": np.float32, "f8": np.float64, "i4": np.int32}[spec["dtype"]]
        values = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype)
        return values.reshape([int(n) for n in spec["shape"].split(",")]) if "shape" in spec else values
    return np.asarray(spec, dtype=float)


def frame_steps(longest: int) -> np.ndarray:
    """Which steps get an animation frame: all of them, or MAX_FRAMES spread evenly."""
    if longest <= MAX_FRAMES:
        return np.arange(longest)
    return np.unique(np.round(np.linspace(0, longest - 1, MAX_FRAMES)).astype(int))


def tail_length(steps_shown: np.ndarray, runs: int) -> int:
    """How many points of each path a frame carries: the whole path so far when the budget allows,
    else the most recent points (the complete path stays drawn faintly underneath)."""
    longest = int(steps_shown[-1]) + 1 if len(steps_shown) else 1
    for tail in range(longest, 9, -1):
        if runs * np.minimum(steps_shown + 1, tail).sum() <= FRAME_POINT_BUDGET:
            return tail
    return 10


def gap_trace(surface, loss: np.ndarray) -> tuple:
    """(values, label, log axis?) for the loss panel: f − f_min when the minimum is known."""
    if surface.f_min is None:
        return loss, "f(x)", False
    return np.maximum(loss - surface.f_min, LOG_FLOOR), "f − f*", True


def arrows(surface, count: int = 15) -> tuple:
    """Segments (None between them) of equal-length arrows along −∇f, the descent direction, on a
    count × count grid; lengths and heads are set in screen proportions (the domain as a unit square)."""
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    low, span = np.array([x_lo, y_lo]), np.array([x_hi - x_lo, y_hi - y_lo])
    u = np.linspace(0, 1, count + 2)[1:-1]
    tails = np.stack(np.meshgrid(u, u), axis=-1).reshape(-1, 2)
    with np.errstate(all="ignore"):
        direction = -surface.grad(low + tails * span) / span
        unit = direction / np.linalg.norm(direction, axis=-1, keepdims=True)
    keep = np.all(np.isfinite(unit), axis=-1)
    tails, unit = tails[keep], unit[keep]
    length = 0.75 / (count + 1)
    tips = tails + length * unit
    across = unit[:, ::-1] * np.array([-1.0, 1.0])
    left = tips - 0.35 * length * unit + 0.2 * length * across
    right = tips - 0.35 * length * unit - 0.2 * length * across
    gap = np.full_like(tails, np.nan)
    segments = np.stack([tails, tips, gap, left, tips, right, gap], axis=1).reshape(-1, 2)
    segments = low + segments * span  # NaN rows stay NaN: plotly.js breaks the line there
    return segments[:, 0], segments[:, 1]


# --- the main figure ----------------------------------------------------------------------------------

PANELS = (  # (axis suffix, y domain)
    ("2", (0.79, 1.0)),
    ("3", (0.53, 0.74)),
    ("4", (0.27, 0.48)),
    ("5", (0.0, 0.22)),
)


@dataclass(frozen=True)
class RunView:
    """What the figure needs of one run."""

    label: str
    colour: str
    trajectory: object
    adaptive: bool
    symbol: str = "circle"


def paths_figure(surface, start, runs, back: Background, *, steps: int, show_average=False, show_field=False,
                 height=660, font_size=14, line_width=2.5, lang="en") -> dict:
    """The page's main figure: paths over the surface (animated), and loss, step size, effective
    learning rate and distance to the nearest minimum against the step, sharing one step axis.
    Its words are in ``lang`` ("en" | "zh"); run labels stay as they are."""
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    data, animated = [], []
    targets = surface.minima if len(surface.minima) else surface.saddles
    distance_title = "distance to nearest minimum" if len(surface.minima) else "distance to the saddle"

    # Static: a grid of invisible markers to click on (Streamlit reports selections, not clicks).
    # CLICK_COLUMNS across: Plotly restyles every SVG point of the figure on each animation frame, so a
    # finer grid costs playback frame rate (1681 points: ~28 fps, 441: ~34 fps, measured in Chromium)
    cx = np.linspace(x_lo, x_hi, CLICK_COLUMNS)
    rows = int(np.clip(round(CLICK_COLUMNS * (y_hi - y_lo) / (x_hi - x_lo)), 11, 2 * CLICK_COLUMNS))
    cy = np.linspace(y_lo, y_hi, rows)
    click = np.stack(np.meshgrid(cx, cy), axis=-1).reshape(-1, 2)
    with np.errstate(all="ignore"):
        click_f = surface.f(click)
    data.append(dict(type="scatter", x=_f32(click[:, 0]), y=_f32(click[:, 1]), mode="markers",
                     name=t("click grid", lang), marker=dict(size=14, opacity=0, color="#000000"), showlegend=False,
                     customdata=_f32(click_f), hovertemplate="x=%{x:.3g}, y=%{y:.3g}<br>f=%{customdata:.4g}<br><i>"
                     + t("click to start here", lang) + "</i><extra></extra>"))
    if show_field:
        fx, fy = arrows(surface)
        data.append(dict(type="scatter", x=_f32(fx), y=_f32(fy), mode="lines", line=dict(color="rgba(70,80,100,0.55)", width=1.2),
                         hoverinfo="skip", showlegend=False, name="−∇f"))
    if len(surface.minima):
        data.append(dict(type="scatter", x=_f32(surface.minima[:40, 0]), y=_f32(surface.minima[:40, 1]),
                         mode="markers", name=t("minima", lang), showlegend=False,
                         marker=dict(symbol="star", size=14, color="#111111", line=dict(color="white", width=1)),
                         hovertemplate=t("minimum (%{{x:.4g}}, %{{y:.4g}})", lang) + "<extra></extra>"))
    if len(surface.saddles) and len(surface.saddles) <= 12:
        data.append(dict(type="scatter", x=_f32(surface.saddles[:, 0]), y=_f32(surface.saddles[:, 1]),
                         mode="markers", name=t("saddles", lang), showlegend=False,
                         marker=dict(symbol="x-thin", size=12, line=dict(color="#333333", width=2)),
                         hovertemplate=t("saddle (%{{x:.4g}}, %{{y:.4g}})", lang) + "<extra></extra>"))

    longest = max((len(run.trajectory.xy) for run in runs), default=1)
    shown_steps = frame_steps(longest)
    tail = tail_length(shown_steps, max(len(runs), 1))

    for index, run in enumerate(runs):
        tr, group = run.trajectory, f"run{index}"
        xy = tr.xy
        data.append(dict(type="scatter", x=_f32(xy[:, 0]), y=_f32(xy[:, 1]), mode="lines", name=run.label,
                         legendgroup=group, showlegend=False, line=dict(color=run.colour, width=line_width * 0.6),
                         opacity=0.35, hoverinfo="skip", xaxis="x", yaxis="y"))
        if show_average:
            data.append(dict(type="scatter", x=_f32(tr.xy_avg[:, 0]), y=_f32(tr.xy_avg[:, 1]), mode="lines",
                             name=t("{label} · average", lang, label=run.label), legendgroup=group,
                             showlegend=False, line=dict(color=run.colour, width=line_width, dash="dot"),
                             hovertemplate=t("running average, step %{{pointNumber}}", lang) + "<extra></extra>"))
        if tr.status == "diverged":
            data.append(dict(type="scatter", x=_f32(xy[-1:, 0]), y=_f32(xy[-1:, 1]), mode="markers+text",
                             legendgroup=group, showlegend=False,
                             text=[t("diverged at step {k}", lang, k=int(tr.stopped_at))],
                             textposition="top center", textfont=dict(color=run.colour, size=font_size),
                             marker=dict(symbol="x", size=16, color=run.colour, line=dict(width=2, color="white")),
                             hoverinfo="skip"))
        steps_axis = np.arange(len(xy))
        values, loss_name, _ = gap_trace(surface, tr.loss)
        panel_values = (
            ("2", steps_axis, values, "solid"),
            ("3", steps_axis[1:], np.maximum(tr.step_norm, LOG_FLOOR), "solid"),
            ("4", steps_axis[1:], tr.effective_lr[:, 0], "solid"),
            ("5", steps_axis, np.maximum(distance_to_nearest(xy, targets), LOG_FLOOR), "solid"),
        )
        for suffix, xs, ys, dash in panel_values:
            data.append(dict(type="scatter", x=_f32(xs), y=_f32(ys), mode="lines", legendgroup=group,
                             showlegend=False, line=dict(color=run.colour, width=2, dash=dash), xaxis="x" + suffix,
                             yaxis="y" + suffix, hovertemplate=run.label + "<br>" + t("step %{{x}}: %{{y:.3g}}", lang)
                             + "<extra></extra>"))
        if run.adaptive:
            data.append(dict(type="scatter", x=_f32(steps_axis[1:]), y=_f32(tr.effective_lr[:, 1]), mode="lines",
                             legendgroup=group, showlegend=False, line=dict(color=run.colour, width=2, dash="dot"),
                             xaxis="x4", yaxis="y4",
                             hovertemplate=run.label + " (y)<br>" + t("step %{{x}}: %{{y:.3g}}", lang)
                             + "<extra></extra>"))

    data.append(dict(type="scatter", x=[float(start[0])], y=[float(start[1])], mode="markers",
                     name=t("start", lang), showlegend=False,
                     marker=dict(symbol="circle", size=11, color="white", line=dict(color="#111111", width=2.5)),
                     hovertemplate=t("start (%{{x:.4g}}, %{{y:.4g}})", lang) + "<extra></extra>"))

    # Animated: each run's path so far, the current positions, and the current step on each panel.
    first_animated = len(data)

    def held(k, run):
        return min(k, len(run.trajectory.xy) - 1)

    last = int(shown_steps[-1])

    def path_so_far(run, k):
        """The path up to step k: its most recent ``tail`` points while playing, all of it at the end
        (so the chart at rest and after playback shows every path in full)."""
        end = held(k, run) + 1
        part = run.trajectory.xy[0 if k == last else max(0, end - tail):end]
        return dict(type="scatter", x=_f32(part[:, 0]), y=_f32(part[:, 1]))

    # The stability cue where each run is: the Hessian's eigenvalues and condition number there.
    curvature = [analysis.hessian_info(surface, run.trajectory.xy) for run in runs]

    def positions(k):
        points = np.array([run.trajectory.xy[held(k, run)] for run in runs]).reshape(-1, 2)
        texts = []
        for run, info in zip(runs, curvature):
            i = held(k, run)
            low, high = info.eigenvalues[i]
            texts.append(t("{label}, step {k}<br>Hessian eigenvalues {low:.3g}, {high:.3g}; κ = {kappa:.3g}", lang,
                           label=run.label, k=i, low=low, high=high, kappa=info.condition[i]))
        return dict(type="scatter", x=_f32(points[:, 0]), y=_f32(points[:, 1]), hovertext=texts)

    def panel_markers(k):
        markers = []
        for suffix, _ in PANELS:
            xs, ys = [], []
            for run in runs:
                tr, i = run.trajectory, held(k, run)
                if suffix == "2":
                    value = gap_trace(surface, tr.loss[i:i + 1])[0][0]
                elif suffix == "3":
                    value = tr.step_norm[i - 1] if i > 0 else np.nan
                elif suffix == "4":
                    value = tr.effective_lr[i - 1, 0] if i > 0 else np.nan
                else:
                    value = distance_to_nearest(tr.xy[i], targets)
                xs.append(i)
                ys.append(max(float(value), LOG_FLOOR) if np.isfinite(value) else np.nan)
            markers.append(dict(type="scatter", x=_i32(xs), y=_f32(ys)))
        return markers

    for index, run in enumerate(runs):
        trace = path_so_far(run, last)
        trace.update(mode="lines+markers", legendgroup=f"run{index}", showlegend=True, name=run.label,
                     line=dict(color=run.colour, width=line_width),
                     marker=dict(size=max(4, line_width * 1.8), color=run.colour, symbol=run.symbol),
                     hovertemplate=f"{run.label}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>")
        data.append(trace)
    colours = [run.colour for run in runs]
    current = positions(last)
    current.update(mode="markers", showlegend=False, name=t("now", lang), hoverinfo="text",
                   marker=dict(size=5 * line_width + 3, color=colours, symbol=[run.symbol for run in runs],
                               line=dict(color="white", width=2)))
    data.append(current)
    for (suffix, _), marker in zip(PANELS, panel_markers(last)):
        marker.update(mode="markers", showlegend=False, hoverinfo="skip", xaxis="x" + suffix, yaxis="y" + suffix,
                      marker=dict(size=9, color=colours, symbol=[run.symbol for run in runs],
                                  line=dict(color="white", width=1.5)))
        data.append(marker)
    animated = list(range(first_animated, len(data)))

    frames = []
    for k in shown_steps:
        k = int(k)
        frame_data = [path_so_far(run, k) for run in runs] + [positions(k)] + panel_markers(k)
        frames.append(dict(name=str(k), data=frame_data, traces=animated))

    layout = _layout(surface, steps, shown_steps, height, font_size, loss_log=surface.f_min is not None,
                     distance_title=distance_title, loss_name=gap_trace(surface, np.zeros(1))[1], lang=lang)
    layout["images"] = [dict(source=back.uri, xref="x", yref="y", x=x_lo, y=y_hi, sizex=x_hi - x_lo,
                             sizey=y_hi - y_lo, sizing="stretch", layer="below", opacity=1.0)]
    return dict(data=data, layout=layout, frames=frames)


def _layout(surface, steps, shown_steps, height, font_size, *, loss_log, distance_title, loss_name, lang) -> dict:
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    aspect = (y_hi - y_lo) / (x_hi - x_lo)
    if aspect < 0.6:  # a wide domain drawn to scale is short: do not leave a tall empty band above it
        height = int(height * 0.85)
    layout = dict(
        height=height,
        margin=dict(l=50, r=20, t=40, b=95),
        font=dict(size=font_size),
        plot_bgcolor="white",
        paper_bgcolor="white",
        hovermode="closest",
        dragmode="pan",
        clickmode="event+select",
        legend=dict(orientation="h", x=0.0, y=1.07, xanchor="left", yanchor="bottom", font=dict(size=font_size)),
        xaxis=dict(domain=[0.0, 0.62], range=[x_lo, x_hi], showgrid=False, zeroline=False, title="x", ticks="outside"),
        yaxis=dict(domain=[0.0, 1.0], range=[y_lo, y_hi], showgrid=False, zeroline=False, title="y", ticks="outside"),
        uirevision="keep",  # keep the user's zoom when only the paths change
    )
    if 1 / 3 <= aspect <= 3:
        layout["yaxis"].update(scaleanchor="x", scaleratio=1, constrain="domain")
        layout["xaxis"].update(constrain="domain")
    titles = {"2": t("loss {name}", lang, name=loss_name), "3": t("step size ‖Δx‖", lang),
              "4": t("effective lr (x solid, y dotted)", lang), "5": t(distance_title, lang)}
    annotations = []
    for suffix, domain in PANELS:
        layout["xaxis" + suffix] = dict(domain=[0.71, 1.0], anchor="y" + suffix, range=[0, max(steps, 1)],
                                        showticklabels=suffix == "5", title=t("step", lang) if suffix == "5" else None,
                                        matches=None if suffix == "5" else "x5", showgrid=True, gridcolor="#eeeeee",
                                        zeroline=False)
        is_log = suffix != "2" or loss_log
        # nticks keeps a log axis that spans less than a decade from labelling every digit
        layout["yaxis" + suffix] = dict(domain=list(domain), anchor="x" + suffix, type="log" if is_log else "linear",
                                        showgrid=True, gridcolor="#eeeeee", exponentformat="power", zeroline=False,
                                        nticks=5, tickfont=dict(size=max(font_size - 3, 9)))
        annotations.append(dict(text=titles[suffix], x=0.71, y=domain[1], xref="paper", yref="paper",
                                xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=font_size - 1)))
    layout["annotations"] = annotations
    n_frames = len(shown_steps)
    buttons = []
    for label, seconds in PLAY_SECONDS.items():
        duration = float(np.clip(seconds * 1000 / max(n_frames, 1), 1000 / 60, 600))
        buttons.append(dict(label=t(label, lang), method="animate",
                            args=[None, dict(frame=dict(duration=duration, redraw=False), fromcurrent=False,
                                             transition=dict(duration=0), mode="immediate")]))
    buttons.append(dict(label=t("❚❚ Pause", lang), method="animate",
                        args=[[None], dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0),
                                           mode="immediate")]))
    layout["updatemenus"] = [dict(type="buttons", direction="left", showactive=False, x=0.0, y=-0.09,
                                  xanchor="left", yanchor="top", pad=dict(t=0, r=6), buttons=buttons,
                                  font=dict(size=font_size))]
    step_prefix, step_suffix = around("step {k}", lang)  # Plotly writes the step between the two
    slider_left = 0.36 + 0.013 * max(font_size - 14, 0)
    layout["sliders"] = [dict(
        # the slider starts right of the four play buttons, which grow with the font (projector mode)
        active=n_frames - 1, x=slider_left, y=-0.06, len=1 - slider_left, xanchor="left", yanchor="top",
        pad=dict(t=0, b=0),
        currentvalue=dict(prefix=step_prefix, suffix=step_suffix, font=dict(size=font_size, color="#333333")),
        transition=dict(duration=0),
        # one label per frame is unreadable past a few dozen: then only "step k" above the slider speaks
        font=dict(size=max(font_size - 4, 8), color="#666666" if n_frames <= 40 else "rgba(0,0,0,0)"),
        steps=[dict(label=str(int(k)), method="animate",
                    args=[[str(int(k))], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                              transition=dict(duration=0))]) for k in shown_steps],
    )]
    return layout


# --- 3-D --------------------------------------------------------------------------------------------------


def surface_3d_figure(surface, runs, *, height=620, font_size=14) -> dict:
    """The surface in 3-D with the paths lying on it (z = log10(1 + f − f*) where levels are log)."""
    xs, ys, _, values = grid(surface, 90, 90)
    log = surface.log_levels and surface.f_min is not None

    def height_of(f):
        return np.log10(1 + np.maximum(f - surface.f_min, 0)) if log else f

    z = height_of(values)
    data = [dict(type="surface", x=_f32(xs), y=_f32(ys), z=_f32(z), colorscale="Blues", reversescale=True,
                 opacity=0.9, showscale=False, hoverinfo="skip",
                 contours=dict(z=dict(show=True, usecolormap=True, project=dict(z=True))))]
    for run in runs:
        tr = run.trajectory
        data.append(dict(type="scatter3d", x=_f32(tr.xy[:, 0]), y=_f32(tr.xy[:, 1]), z=_f32(height_of(tr.loss)),
                         mode="lines+markers", name=run.label, line=dict(color=run.colour, width=6),
                         marker=dict(size=3, color=run.colour)))
    z_title = "log10(1 + f − f*)" if log else "f(x, y)"
    layout = dict(height=height, margin=dict(l=0, r=0, t=30, b=0), font=dict(size=font_size),
                  legend=dict(orientation="h", y=1.02),
                  scene=dict(xaxis=dict(title="x", range=list(surface.x_range)),
                             yaxis=dict(title="y", range=list(surface.y_range)),
                             zaxis=dict(title=z_title), aspectmode="manual", aspectratio=dict(x=1.3, y=1.3, z=0.7)))
    return dict(data=data, layout=layout)


def figure_bytes(figure: dict) -> int:
    """The size of the figure as sent to the browser (Plotly's JSON, arrays base64-encoded)."""
    import plotly.io

    return len(plotly.io.to_json(figure, validate=False))


def frame_count(figure: dict) -> int:
    return len(figure.get("frames", ()))
