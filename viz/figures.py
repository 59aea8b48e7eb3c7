"""Plotly figures as plain dicts: the animated paths over the surface, the traces, the 3-D view.

Why plain dicts: building ``plotly.graph_objects`` frames validates every property and costs
0.1–1 s for an animation; a dict costs a few milliseconds.  ``tests/test_figures.py`` checks
these dicts against Plotly's schema once (``go.Figure(fig)``), so the app need not on every rerun.

Why a picture under the paths: Plotly drops contour and heatmap traces while scatter traces
animate with ``redraw=False`` (plotly.py #2151, #5256; plotly.js #4491).  The surface is drawn
once, as a PNG in ``layout.images`` (filled bands plus contour lines, gaps where f is undefined),
and only the scatter traces that move are in the frames.

Paths are drawn inside the surface's domain (cut at its edge, ``clip_path``); the side panels keep every
step.  Inside a step (runs recorded with ``record_state=True``, see ``draws_state``): a line search's rejected
trials x_{k−1} + α_i·p_k, faint dots on the ray from the step's start, and for BFGS / L-BFGS the ellipse of the
inverse-Hessian approximation H_k at the moving marker beside the true ∇²f⁻¹'s (dashed); both animate with the
path (one trace per run, at most TRIAL_WINDOW trials a frame).  Log axes are labelled with whole decades only (``log_ticks``): Plotly's own minor "2" and "5" labels
collide with the decades on panels ~110 px high.
"""

from __future__ import annotations

import base64
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from optim_core import Explanation, analysis
from optim_core.schedules import Schedule
from page_model.simulate import distance_to_nearest

from .i18n import around, has_chinese, t

# Okabe & Ito's colour-blind-safe palette (without yellow, weak on a light page), then Tol's wine.
PALETTE = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882255")
# A marker shape per run as well, so runs stay apart without colour (print, projectors, colour vision).
# None of them is a landmark's shape (the minimum's star, the saddle's thin ✕, a diverged end's ✕): all filled.
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "triangle-down", "pentagon", "hexagon", "bowtie")
# The surface's bands, low to high: cream to slate, light enough for every path colour to stand out.
BAND_RAMP = ((0.0, (252, 248, 238)), (0.35, (233, 236, 234)), (0.7, (205, 216, 226)), (1.0, (160, 178, 200)))
LINE_RGB = np.array((92, 104, 124))
MAX_FRAMES = 150
CLICK_COLUMNS = 31  # the invisible grid of markers that a click on the surface selects
CLICK_META = "click"  # the ``meta`` of the trace whose points a click selects (see click_curve)
FRAME_POINT_BUDGET = 24_000  # path points over all frames and runs: keeps the figure small
PLAY_SECONDS = {"▶ Play": 5.0, "▶▶ Fast": 2.0, "▶ Slow": 12.0}  # button label (English, see i18n): seconds
LOG_FLOOR = 1e-30  # zeros on log axes are drawn here
# A line search's trials (rejected ones: the accepted one is the path's next point) a frame shows per run: the
# most recent TRIAL_WINDOW while playing (fewer if their points over all frames would pass TRIAL_POINT_BUDGET),
# up to TRIAL_REST at rest.  Every SVG point is restyled on each frame: a few dozen keep playback smooth.
TRIAL_WINDOW, TRIAL_REST, TRIAL_POINT_BUDGET = 40, 400, 12_000
# Rules whose state is an inverse-Hessian approximation H_k: the chart draws its ellipse at the moving marker.
CURVATURE_RULES = ("bfgs", "lbfgs")
# The curvature ellipses' longer semi-axis, as a fraction of the domain's shorter side, and their points.
ELLIPSE_FRACTION, ELLIPSE_POINTS = 0.1, 41
ELLIPSE_MARKERS = 2.0  # … and at least this many times the moving marker's size
TRUE_CURVATURE_COLOUR = "#333333"


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
    data = banded_png(values, levels)
    return Background("data:image/png;base64," + base64.b64encode(data).decode("ascii"), tuple(levels), len(data))


def banded_png(values: np.ndarray, levels) -> bytes:
    """Values on a grid (row 0 the lowest y) as banded colours between ``levels`` with a line at every level, a PNG;
    transparent where a value is NaN.  The surfaces' picture, and the network's loss landscape."""
    band = np.searchsorted(levels, np.nan_to_num(values, nan=-np.inf))  # 0 … len(levels)
    rgb = _ramp(band / len(levels))
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    rgb[edge] = 0.45 * rgb[edge] + 0.55 * LINE_RGB
    alpha = np.where(np.isnan(values), 0, 255)
    rgba = np.concatenate([rgb, alpha[..., None]], axis=-1).astype(np.uint8)[::-1]  # row 0 is the top
    return png(rgba)


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


def frame_steps(longest: int, max_frames: int = MAX_FRAMES) -> np.ndarray:
    """Which steps of runs ``longest`` points long get an animation frame: all of them, or ``max_frames``
    spread evenly.  The figure's frames and the exported pictures' (``export``) are these."""
    if longest <= max_frames:
        return np.arange(longest)
    return np.unique(np.round(np.linspace(0, longest - 1, max_frames)).astype(int))


def longest_run(trajectories) -> int:
    """How many points the longest of the trajectories has (1 when there is none)."""
    return max((len(tr.xy) for tr in trajectories), default=1)


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


# --- the domain: paths drawn up to its edge ---------------------------------------------------------


def inside(points, box) -> np.ndarray:
    """Which points (..., 2) lie in ``box`` = ((x_lo, x_hi), (y_lo, y_hi)), edges included."""
    points = np.asarray(points, dtype=float)
    (x_lo, x_hi), (y_lo, y_hi) = box
    x, y = points[..., 0], points[..., 1]
    return (x >= x_lo) & (x <= x_hi) & (y >= y_lo) & (y <= y_hi)


def _clamp(points, box) -> np.ndarray:
    (x_lo, x_hi), (y_lo, y_hi) = box
    return np.clip(points, [x_lo, y_lo], [x_hi, y_hi])  # NaN stays NaN


def _windows(points: np.ndarray, box):
    """Each segment points[i] → points[i+1] as (p, d) with (t_in, t_out): the part p + t·d, t_in ≤ t ≤ t_out,
    lies in the box (Liang–Barsky); the segment misses the box where t_in > t_out."""
    p, d = points[:-1], np.diff(points, axis=0)
    t_in, t_out = np.zeros(len(p)), np.ones(len(p))
    for axis, (lo, hi) in enumerate(box):
        moving = d[:, axis] != 0
        with np.errstate(divide="ignore", invalid="ignore"):
            low, high = (lo - p[:, axis]) / d[:, axis], (hi - p[:, axis]) / d[:, axis]
        t_in = np.where(moving, np.maximum(t_in, np.minimum(low, high)), t_in)
        t_out = np.where(moving, np.minimum(t_out, np.maximum(low, high)), t_out)
        t_out = np.where(~moving & ((p[:, axis] < lo) | (p[:, axis] > hi)), -1.0, t_out)
    return p, d, t_in, t_out


def clip_path(points, box) -> np.ndarray:
    """The polyline through ``points`` (n, 2) cut to ``box``: its parts inside, each drawn up to the edge where
    the path leaves and from the edge where it comes back, with a NaN row between parts (plotly.js breaks
    the line there).  A path inside the box comes back as it is."""
    points = np.asarray(points, dtype=float)
    if len(points) == 0 or inside(points, box).all():
        return points
    p, d, t_in, t_out = _windows(points, box)
    crosses, from_outside = t_in <= t_out, ~inside(p, box)
    rows = np.stack([np.full_like(p, np.nan), p + t_in[:, None] * d, p + t_out[:, None] * d], axis=1)
    keep = np.stack([crosses & from_outside, crosses & from_outside, crosses], axis=1)
    path = np.concatenate([points[:1][inside(points[:1], box)], rows[keep]])
    drawn = np.flatnonzero(np.isfinite(path[:, 0]))
    return _clamp(path[drawn[0]:] if len(drawn) else path[:0], box)


@dataclass(frozen=True)
class Clipped:
    """Where a run is drawn: each step's point, or, while the run is outside the domain, the point on the
    edge where it last left; and the step at which it left for good (None if it ends inside)."""

    shown: np.ndarray
    left_at: int | None
    all_inside: bool


def clip_run(points, box) -> Clipped:
    points = np.asarray(points, dtype=float)
    within = inside(points, box)
    if within.all():
        return Clipped(points, None, True)
    if len(points) == 1:
        return Clipped(_clamp(points, box), 0, False)
    p, d, t_in, t_out = _windows(points, box)
    leaves = (t_in <= t_out) & (t_out < 1)
    exits = p + np.clip(t_out, 0, 1)[:, None] * d
    last_exit = np.maximum.accumulate(np.where(leaves, np.arange(len(p)), -1))  # per segment: latest exit so far
    shown = points.copy()
    for step in np.flatnonzero(~within):
        segment = last_exit[step - 1] if step > 0 else -1
        shown[step] = exits[segment] if segment >= 0 else points[step]
    left_at = None
    if not within[-1]:
        left_at = int(last_exit[-1]) + 1 if last_exit[-1] >= 0 else 0
    return Clipped(_clamp(shown, box), left_at, False)


# --- log axes: whole decades, never a lone minor digit ------------------------------------------------


def _nice(value: float, up: bool) -> float:
    """The nearest of 1, 2, 5 × 10^k at or above (up) / at or below ``value``."""
    exponent = int(np.floor(np.log10(value)))
    mantissa = value / 10.0**exponent
    choices = (1, 2, 5, 10)
    if up:
        return next(c for c in choices if c >= mantissa * (1 - 1e-9)) * 10.0**exponent
    return [c for c in choices if c <= mantissa * (1 + 1e-9)][-1] * 10.0**exponent


def _power_text(exponent: int, mantissa: float = 1) -> str:
    """1, 10, 10⁻³ as Plotly writes powers (exponentformat "power"), with a mantissa: 2×10⁻⁷."""
    if mantissa == 1 and exponent in (0, 1):
        return "1" if exponent == 0 else "10"
    power = "10<sup>" + str(exponent).replace("-", "\u2212") + "</sup>"
    return power if mantissa == 1 else f"{mantissa:g}×{power}"


def log_ticks(low: float, high: float, room: float = 4.0) -> dict:
    """Ticks of a log axis that shows [low, high] (0 < low ≤ high), where ``room`` gaps between labels fit
    along the axis: whole decades, or every second, third, fifth, tenth, … decade when the range holds more
    than ``room`` decades; the values 1, 2, 5 × 10^k when the data span less than a decade.  Every label is
    a whole value (never a lone "2" or "5" beside a decade), and the range runs from decade to decade."""
    if high / low >= 10 * (1 - 1e-9):
        lo, hi = int(np.floor(np.log10(low) + 1e-9)), int(np.ceil(np.log10(high) - 1e-9))
        every = next(s for s in (1, 2, 3, 5, 10, 20, 50, 100, 200, 500) if (hi - lo) / s <= max(room, 1))
        exponents = [e for e in range(lo, hi + 1) if e % every == 0]
        return dict(tickmode="array", tickvals=[10.0**e for e in exponents],
                    ticktext=[_power_text(e) for e in exponents], range=[float(lo), float(hi)])
    lo, hi = _nice(low, up=False), _nice(high, up=True)
    if hi <= lo * (1 + 1e-9):
        lo, hi = _nice(lo * 0.99, up=False), _nice(hi * 1.01, up=True)
    values = [m * 10.0**e for e in range(int(np.floor(np.log10(lo))) - 1, int(np.ceil(np.log10(hi))) + 1)
              for m in (1, 2, 5) if lo * (1 - 1e-9) <= m * 10.0**e <= hi * (1 + 1e-9)]
    if len(values) > room + 1:
        values = values[::2] if len(values) % 2 else values[::2] + values[-1:]
    texts = []
    for value in values:
        exponent = int(np.floor(np.log10(value) + 1e-9))
        mantissa = round(value / 10.0**exponent)
        texts.append(f"{value:.12g}" if 1e-3 <= value < 1e4 else _power_text(exponent, mantissa))
    return dict(tickmode="array", tickvals=values, ticktext=texts,
                range=[float(np.log10(lo)), float(np.log10(hi))])


# --- the main figure ----------------------------------------------------------------------------------

PANEL_AXES = ("2", "3", "4", "5")  # the side panels' axis suffixes: loss, step size, effective lr, distance
# Button labels (English, see i18n).  Not "⏮": Debian's fonts (and many a classroom PC's) have no glyph for it.
PAUSE, RESTART = "❚❚ Pause", "↺ Restart"
# The plot area's width the slider's start is reckoned in: a chart ~770 px wide (a 1280 px screen beside the
# sidebar); on a narrower one the buttons would reach into the slider (use ``stacked`` there).
ASSUMED_PLOT_PX = 700
PHONE_CHART_PX = 358  # stacked: a 390 px phone screen less Streamlit's side paddings
PANEL_PX = 140  # stacked: a side panel's height


@dataclass(frozen=True)
class RunView:
    """What the figure needs of one run."""

    label: str
    colour: str
    trajectory: object
    adaptive: bool
    symbol: str = "circle"


@dataclass(frozen=True)
class _Drawn:
    """A run with what the figure derives from it once: where it is drawn, and its four panel series."""

    run: RunView
    clipped: Clipped
    series: dict  # panel axis suffix → (steps, values)


def _panel_series(surface, tr, targets) -> dict:
    steps = np.arange(len(tr.xy))
    with np.errstate(invalid="ignore"):
        return {"2": (steps, gap_trace(surface, tr.loss)[0]),
                "3": (steps[1:], np.maximum(tr.step_norm, LOG_FLOOR)),
                "4": (steps[1:], tr.effective_lr[:, 0]),
                "5": (steps, np.maximum(distance_to_nearest(tr.xy, targets), LOG_FLOOR))}


# --- inside a step: a line search's trials, the curvature BFGS and L-BFGS believe in ------------------------


def _translucent(colour: str, alpha: float) -> str:
    """A "#rrggbb" colour as rgba with opacity ``alpha``."""
    if len(colour) != 7 or not colour.startswith("#"):
        return colour
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha:g})"


def draws_state(optimizer) -> bool:
    """Whether the paths chart draws more of a run of ``optimizer`` than its path: the trials of its line
    search, or the ellipse of BFGS's / L-BFGS's inverse-Hessian approximation.  Such a run is to be run with
    ``record_state=True`` (its trials and state are kept then only)."""
    return optimizer.name in CURVATURE_RULES or bool(optimizer.rule.needs_surface(optimizer.hyperparams))


def _kept_state(tr) -> bool:
    """Whether the run was recorded with its state (``record_state=True``) and holds some."""
    try:
        return bool(tr.state)
    except AttributeError:  # run with traces=False
        return False


def _replay(tr, points) -> dict:
    """The named quantities (``Explanation.terms``) of the update from x_i for each i of ``points`` (a single
    run's point numbers), computed again by the rule itself from the recorded state and gradient, all points
    in one vectorised call; from the last point, an update the run did not take, with the exact gradient
    there.  Without a line search's probe the step is lr·p: only what comes before the step is meant (the
    direction p, BFGS's H).  None when the run kept no state (``record_state=False``)."""
    opt = tr.optimizer
    rule, n = opt.rule, len(tr.xy) - 1
    points = np.asarray(points, dtype=int)
    initial = rule.init(tr.xy[:1])
    if initial._fields and not _kept_state(tr):
        return None
    state = type(initial)(*(np.concatenate([start, np.asarray(tr.state[field])[:n]])[points]
                            for field, start in zip(initial._fields, initial)))
    x = tr.xy[points]
    g = np.concatenate([tr.grad_used[:n], tr.grad[n:n + 1]])[points]
    hp = {}
    for key, value in opt.hyperparams.items():
        if isinstance(value, Schedule):  # update i + 1 uses the value at t = i, as the runner does
            value = np.asarray(value(points), dtype=float)[:, None]
        hp[key] = value
    hessian = tr.surface.hessian(x) if rule.needs_hessian else None
    explanation = Explanation()
    with np.errstate(all="ignore"):
        rule.update(g, state, x, points + 1, hp, hessian, explain=explanation)
    return {key: np.asarray(term.value) for key, term in explanation.terms.items()}


@dataclass(frozen=True)
class _Trials:
    """A run's rejected line-search trials x_{k−1} + α_i·p_k, step by step: each step's ray from x_{k−1}
    through its trials (sorted by α, cut at the domain's edge, a NaN row after it), all steps in ``points``;
    step k's ray is ``points[offset[k − 1]:offset[k]]`` and holds ``count[k − 1]`` trials."""

    points: np.ndarray  # (P, 2)
    offset: np.ndarray  # (n + 1,): where each step's ray starts (offset[0] = 0), and the end
    count: np.ndarray  # (n,): trials per step

    def shown(self, k: int, window: int) -> np.ndarray:
        """The rays of steps ≤ k, the most recent of them that hold at most ``window`` trials."""
        total = np.concatenate([[0], np.cumsum(self.count[:k])])  # trials of steps < j + 1, j = 0 … k
        first = int(np.searchsorted(total, total[-1] - window, side="left"))
        return self.points[self.offset[first]:self.offset[k]]


def line_search_trials(tr, box) -> _Trials | None:
    """The trials of a run that searched and kept them (``record_state=True``), else None.  Only rejected
    trials are drawn (the accepted one is the path's next point); p_k is the direction the rule computes
    (``_replay``), so a step whose search found nothing still shows where it looked."""
    record = tr.line_search
    if record is None or record.trial_alpha is None:
        return None
    n = len(tr.xy) - 1
    alpha, failed = np.asarray(record.trial_alpha)[:n], np.asarray(record.trial_failed)[:n]
    rejected = (failed > 0) & np.isfinite(alpha)
    steps = np.flatnonzero(rejected.any(axis=-1))
    count = rejected.sum(axis=-1)
    rays = [np.zeros((0, 2))] * n
    if len(steps):
        terms = _replay(tr, steps)
        if terms is None or "direction" not in terms:
            return None
        for step, p in zip(steps, terms["direction"]):
            x = tr.xy[step]
            with np.errstate(all="ignore"):
                ray = np.concatenate([x[None], x + np.sort(alpha[step][rejected[step]])[:, None] * p])
            ray = ray[np.all(np.isfinite(ray), axis=-1)]
            rays[step] = np.concatenate([clip_path(ray, box), np.full((1, 2), np.nan)])
    offset = np.concatenate([[0], np.cumsum([len(ray) for ray in rays])]).astype(int)
    points = np.concatenate(rays) if n else np.zeros((0, 2))
    return _Trials(points, offset, count)


def inverse_hessians(tr, points) -> np.ndarray | None:
    """H_k, the inverse-Hessian approximation BFGS / L-BFGS holds at x_k for each k of ``points`` (the matrix
    its next step would use, Nocedal & Wright's H_k: H_0 = I; after its exact line searches on a 2-D
    quadratic, H_2 = A⁻¹), (K, 2, 2); None for another rule or a run without its state."""
    if tr.optimizer.name not in CURVATURE_RULES:
        return None
    terms = _replay(tr, points)
    return None if terms is None else terms.get("inv_hessian")


def ellipses(centres, matrices, radius) -> np.ndarray:
    """The ellipse {c + M^½ u : ‖u‖ = r} of each symmetric positive definite 2 × 2 matrix M (K, 2, 2) about its
    centre c (K, 2), with r set so that its longer semi-axis is ``radius``: the level set of the quadratic
    model x ↦ ½ xᵀM⁻¹x, its shape (orientation, aspect ratio) only.  (K, ELLIPSE_POINTS + 1, 2), closed, a NaN
    row after each; all NaN for a matrix that is not positive definite (or not finite)."""
    angle = np.linspace(0.0, 2 * np.pi, ELLIPSE_POINTS)
    circle = np.stack([np.cos(angle), np.sin(angle)], axis=-1)  # (E, 2)
    points = np.asarray(centres, dtype=float)[:, None, :] + np.einsum("kij,ej->kei", ellipse_axes(matrices, radius),
                                                                      circle)
    return np.concatenate([points, np.full((len(points), 1, 2), np.nan)], axis=1)


def ellipse_axes(matrices, radius) -> np.ndarray:
    """The semi-axes of ``ellipses``' ellipse of each matrix (K, 2, 2), as columns: the ellipse is c + A·(cos θ,
    sin θ), its longer semi-axis ``radius``; all NaN for a matrix that is not positive definite (or not finite)."""
    matrices = np.asarray(matrices, dtype=float)
    matrices = 0.5 * (matrices + np.swapaxes(matrices, -1, -2))
    finite = np.all(np.isfinite(matrices), axis=(-2, -1))
    values, vectors = np.linalg.eigh(np.where(finite[:, None, None], matrices, np.eye(2)))  # ascending
    good = finite & (values[:, 0] > 0) & (values[:, 1] > 0)
    with np.errstate(all="ignore"):
        semi = radius * np.sqrt(values / values[:, 1:])  # (K, 2): along each eigenvector
    axes = vectors * semi[:, None, :]
    axes[~good] = np.nan
    return axes


def true_inverse_hessians(surface, centres) -> np.ndarray:
    """∇²f(x)⁻¹ at each centre (K, 2, 2); NaN where the Hessian is not positive definite."""
    with np.errstate(all="ignore"):
        hessians = np.asarray(surface.hessian(np.asarray(centres, dtype=float)), dtype=float)
        hessians = 0.5 * (hessians + np.swapaxes(hessians, -1, -2))
        finite = np.all(np.isfinite(hessians), axis=(-2, -1))
        values, vectors = np.linalg.eigh(np.where(finite[:, None, None], hessians, np.eye(2)))
        inverse = np.einsum("kij,kj,klj->kil", vectors, 1.0 / values, vectors)
    good = finite & (values[:, 0] > 0)
    inverse[~good] = np.nan
    return inverse


def paths_figure(surface, start, runs, back: Background, *, steps: int, show_average=False, show_field=False,
                 snapshots=(), height=660, font_size=14, line_width=2.5, lang="en", stacked=False) -> dict:
    """The page's main figure: paths over the surface (animated), and loss, step size, effective
    learning rate and distance to the nearest minimum against the step, sharing one step axis; a panel
    no run has data for is left out.  Paths are drawn inside the surface's domain, up to its edge.
    Its words are in ``lang`` ("en" | "zh"); run labels stay as they are.

    Args:
        surface: the ``surfaces.Surface`` drawn (``back`` is its picture).
        start: the start point, marked with a ringed disc.
        runs: a ``RunView`` per run (label, colour, trajectory, adaptive?, marker symbol).
        back: ``background(surface)``, the surface as a picture under the paths.
        steps: the scene's number of steps: the panels' step axis runs from 0 to it.
        show_average: also draw each run's running (Polyak) average.
        show_field: also draw arrows of −∇f over the surface.
        snapshots: the steps where a cyclic lr schedule's cycles end: each run's point there is marked, and
            their average (the snapshot ensemble of the notes' ensembles slides) drawn as a larger mark.
        height: the figure's height in pixels (side panels; not used when ``stacked``).
        font_size: in pixels.
        line_width: the paths' width in pixels.
        lang: "en" or "zh".
        stacked: for a narrow (phone) screen, the panels go below the surface in one column and the step
            slider below the buttons; the height is then reckoned from the panels.
    """
    box = (tuple(surface.x_range), tuple(surface.y_range))
    targets = surface.minima if len(surface.minima) else surface.saddles
    drawn = [_Drawn(run, clip_run(run.trajectory.xy, box), _panel_series(surface, run.trajectory, targets))
             for run in runs]
    panels = [s for s in PANEL_AXES if any(np.isfinite(d.series[s][1]).any() for d in drawn)]
    shown_steps = frame_steps(longest_run(run.trajectory for run in runs))
    legend = [run.label for run in runs] + (_curvature_legend(lang) if _believers(drawn) else [])
    geometry = (_stacked_geometry(surface, panels, font_size, legend) if stacked
                else _side_geometry(surface, panels, height, font_size, lang))
    motion = _Motion(surface, drawn, panels, shown_steps, lang, _ellipse_radius(box, geometry, line_width))

    data = [_click_grid(surface, lang)]
    if show_field:
        fx, fy = arrows(surface)
        data.append(dict(type="scatter", x=_f32(fx), y=_f32(fy), mode="lines", line=dict(color="rgba(70,80,100,0.55)",
                         width=1.2), hoverinfo="skip", showlegend=False, name="−∇f"))
    for index, item in enumerate(drawn):
        data += _run_traces(item, index, box, panels, show_average, line_width, lang)
        data += _snapshot_traces(item, index, box, snapshots, line_width, lang)
    first_animated = len(data)
    data += motion.styled(line_width)
    animated = list(range(first_animated, len(data)))
    data += _landmarks(surface, start, line_width, lang)  # after the paths: drawn on top of them
    marks, labels = _ends(drawn, box, font_size, lang, geometry.contour_px)
    data += marks
    frames = [dict(name=str(int(k)), data=motion.at(int(k)), traces=animated) for k in shown_steps]
    layout = _layout(surface, geometry, panels, drawn, steps, shown_steps, font_size, lang)
    layout["annotations"] += labels
    (x_lo, x_hi), (y_lo, y_hi) = box
    layout["images"] = [dict(source=back.uri, xref="x", yref="y", x=x_lo, y=y_hi, sizex=x_hi - x_lo,
                             sizey=y_hi - y_lo, sizing="stretch", layer="below", opacity=1.0)]
    return dict(data=data, layout=layout, frames=frames)


def _believers(drawn) -> list:
    """The indices of the BFGS / L-BFGS runs whose state was kept: their curvature ellipses are drawn."""
    return [index for index, item in enumerate(drawn) if item.run.trajectory.optimizer.name in CURVATURE_RULES
            and _kept_state(item.run.trajectory)]


BELIEVED, TRUE_CURVATURE = "curvature believed (H)", "true curvature (∇²f⁻¹)"  # legend entries: H filled, dashed


def _curvature_legend(lang) -> list:
    return [t(BELIEVED, lang), t(TRUE_CURVATURE, lang)]


def _ellipse_radius(box, geometry, line_width) -> float:
    """The curvature ellipses' longer semi-axis: ELLIPSE_FRACTION of the domain's shorter side, and at least
    ELLIPSE_MARKERS times the moving marker's size (a small chart, projector markers)."""
    (x_lo, x_hi), (y_lo, y_hi) = box
    per_px = max((x_hi - x_lo) / max(geometry.contour_px[0], 1), (y_hi - y_lo) / max(geometry.contour_px[1], 1))
    return max(ELLIPSE_FRACTION * min(x_hi - x_lo, y_hi - y_lo), ELLIPSE_MARKERS * (5 * line_width + 3) * per_px)


def click_curve(figure: dict) -> int | None:
    """The index of the trace a click selects (``meta`` CLICK_META): the paths chart's grid of invisible
    markers, a sweep's settings; never assumed to be a given trace number."""
    return next((i for i, trace in enumerate(figure["data"]) if trace.get("meta") == CLICK_META), None)


def _click_grid(surface, lang) -> dict:
    """A grid of invisible markers to click on (Streamlit reports selections, not clicks).
    CLICK_COLUMNS across: Plotly restyles every SVG point of the figure on each animation frame, so a
    finer grid costs playback frame rate (1681 points: ~28 fps, 441: ~34 fps, measured in Chromium)."""
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    cx = np.linspace(x_lo, x_hi, CLICK_COLUMNS)
    rows = int(np.clip(round(CLICK_COLUMNS * (y_hi - y_lo) / (x_hi - x_lo)), 11, 2 * CLICK_COLUMNS))
    cy = np.linspace(y_lo, y_hi, rows)
    click = np.stack(np.meshgrid(cx, cy), axis=-1).reshape(-1, 2)
    with np.errstate(all="ignore"):
        click_f = surface.f(click)
    return dict(type="scatter", x=_f32(click[:, 0]), y=_f32(click[:, 1]), mode="markers",
                name=t("click grid", lang), meta=CLICK_META, marker=dict(size=14, opacity=0, color="#000000"),
                showlegend=False,
                customdata=_f32(click_f), hovertemplate="x=%{x:.3g}, y=%{y:.3g}<br>f=%{customdata:.4g}<br><i>"
                + t("click to start here", lang) + "</i><extra></extra>")


def _snapshot_traces(item: _Drawn, index, box, snapshots, line_width, lang) -> list:
    """A snapshot ensemble: the run's points at the end of each cycle of a cyclic lr schedule (hollow), and
    their average (filled, larger); a run that stopped early has only the snapshots it reached."""
    run, tr = item.run, item.run.trajectory
    reached = [k for k in snapshots if k < len(tr.xy)]
    if not reached:
        return []
    points = tr.xy[reached]
    average = points.mean(axis=0)
    (x_lo, x_hi), (y_lo, y_hi) = box
    inside = (points[:, 0] >= x_lo) & (points[:, 0] <= x_hi) & (points[:, 1] >= y_lo) & (points[:, 1] <= y_hi)
    hover = t("snapshot after step %{{customdata}}", lang) + "<extra></extra>"
    traces = [dict(type="scatter", x=_f32(points[inside, 0]), y=_f32(points[inside, 1]), mode="markers",
                   name=t("{label} · snapshots", lang, label=run.label), legendgroup=f"run{index}", showlegend=False,
                   customdata=[int(k) for k, keep in zip(reached, inside) if keep], hovertemplate=hover,
                   marker=dict(symbol="hexagram-open", size=9 + 2 * line_width, color=run.colour,
                               line=dict(width=line_width * 0.8, color=run.colour)))]
    if x_lo <= average[0] <= x_hi and y_lo <= average[1] <= y_hi:
        traces.append(dict(type="scatter", x=[float(average[0])], y=[float(average[1])], mode="markers",
                           name=t("{label} · snapshot ensemble", lang, label=run.label), legendgroup=f"run{index}",
                           showlegend=False, hovertemplate=t("average of {n} snapshots", lang, n=len(reached))
                           + "<br>x=%{x:.4g}, y=%{y:.4g}<extra></extra>",
                           marker=dict(symbol="hexagram", size=13 + 2 * line_width, color=run.colour,
                                       line=dict(width=1.5, color="#ffffff"))))
    return traces


def _run_traces(item: _Drawn, index, box, panels, show_average, line_width, lang) -> list:
    """A run's static traces: its whole path (faint, cut at the domain's edge), its running average, and
    its lines on the side panels (all of its data, inside the domain or not)."""
    run, tr, group = item.run, item.run.trajectory, f"run{index}"
    xy = clip_path(tr.xy, box)
    traces = [dict(type="scatter", x=_f32(xy[:, 0]), y=_f32(xy[:, 1]), mode="lines", name=run.label,
                   legendgroup=group, showlegend=False, line=dict(color=run.colour, width=line_width * 0.6),
                   opacity=0.35, hoverinfo="skip", xaxis="x", yaxis="y")]
    if show_average:
        average = clip_path(tr.xy_avg, box)
        traces.append(dict(type="scatter", x=_f32(average[:, 0]), y=_f32(average[:, 1]), mode="lines",
                           name=t("{label} · average", lang, label=run.label), legendgroup=group,
                           showlegend=False, line=dict(color=run.colour, width=line_width, dash="dot"),
                           hovertemplate=t("running average, step %{{pointNumber}}", lang) + "<extra></extra>"))
    hover = run.label + "<br>" + t("step %{{x}}: %{{y:.3g}}", lang) + "<extra></extra>"
    for suffix in panels:
        xs, ys = item.series[suffix]
        traces.append(dict(type="scatter", x=_f32(xs), y=_f32(ys), mode="lines", legendgroup=group, showlegend=False,
                           line=dict(color=run.colour, width=2), xaxis="x" + suffix, yaxis="y" + suffix,
                           hovertemplate=hover))
    if run.adaptive and "4" in panels:
        traces.append(dict(type="scatter", x=_f32(np.arange(1, len(tr.xy))), y=_f32(tr.effective_lr[:, 1]),
                           mode="lines", legendgroup=group, showlegend=False,
                           line=dict(color=run.colour, width=2, dash="dot"), xaxis="x4", yaxis="y4",
                           hovertemplate=run.label + " (y)<br>" + t("step %{{x}}: %{{y:.3g}}", lang)
                           + "<extra></extra>"))
    return traces


class _Motion:
    """What the animation moves, at a step k: each run's path so far, where each run is (on the domain's edge
    while it is outside), and its marker on every panel."""

    def __init__(self, surface, drawn, panels, shown_steps, lang, ellipse_radius=1.0):
        self.drawn, self.panels, self.lang = drawn, panels, lang
        self.box = (tuple(surface.x_range), tuple(surface.y_range))
        self.last = int(shown_steps[-1])
        self.tail = tail_length(shown_steps, max(len(drawn), 1))
        # the stability cue where each run is: the Hessian's eigenvalues and condition number there
        self.curvature = [analysis.hessian_info(surface, item.run.trajectory.xy) for item in drawn]
        # a line search's trials: (index of the run, its _Trials) for each run that kept them
        self.trials = [(index, trials) for index, item in enumerate(drawn)
                       if (trials := line_search_trials(item.run.trajectory, self.box)) is not None]
        self.trial_window = self._trial_window(shown_steps)
        self.ellipses = self._curvature(surface, shown_steps, ellipse_radius)

    def _trial_window(self, shown_steps) -> int:
        """How many of a run's latest trials a frame shows while playing: TRIAL_WINDOW, halved until the
        trials' points over all frames fit TRIAL_POINT_BUDGET."""
        window = TRIAL_WINDOW
        while window > 1:
            total = sum(len(trials.shown(self.held(int(k), self.drawn[index]), window))
                        for index, trials in self.trials for k in shown_steps)
            if total <= TRIAL_POINT_BUDGET:
                break
            window //= 2
        return window

    def _curvature(self, surface, shown_steps, radius) -> list:
        """For each BFGS / L-BFGS run that kept its state: (index of the run, the ellipses of its H_k and of
        the true ∇²f(x_k)⁻¹ at each point it shows, by point number), both at the marker (on the domain's edge
        while it is outside), their longer semi-axis ``radius``."""
        found = []
        for index in _believers(self.drawn):
            item = self.drawn[index]
            tr = item.run.trajectory
            points = np.unique([self.held(int(k), item) for k in shown_steps])
            believed = inverse_hessians(tr, points)
            if believed is None:
                continue
            centres = item.clipped.shown[points]
            true = true_inverse_hessians(surface, tr.xy[points])
            found.append((index, dict(zip(points.tolist(), ellipses(centres, believed, radius))),
                          dict(zip(points.tolist(), ellipses(centres, true, radius)))))
        return found

    @staticmethod
    def held(k, item) -> int:
        return min(k, len(item.run.trajectory.xy) - 1)

    def path(self, item, k) -> dict:
        """The path up to step k: its most recent ``tail`` points while playing, all of it at the end
        (so the chart at rest and after playback shows every path in full)."""
        end = self.held(k, item) + 1
        part = item.run.trajectory.xy[0 if k == self.last else max(0, end - self.tail):end]
        if not item.clipped.all_inside:
            part = clip_path(part, self.box)
        return dict(type="scatter", x=_f32(part[:, 0]), y=_f32(part[:, 1]))

    def positions(self, k) -> dict:
        points = np.array([item.clipped.shown[self.held(k, item)] for item in self.drawn]).reshape(-1, 2)
        texts = []
        for item, info in zip(self.drawn, self.curvature):
            i = self.held(k, item)
            low, high = info.eigenvalues[i]
            texts.append(t("{label}, step {k}<br>Hessian eigenvalues {low:.3g}, {high:.3g}; κ = {kappa:.3g}",
                           self.lang, label=item.run.label, k=i, low=low, high=high, kappa=info.condition[i]))
        return dict(type="scatter", x=_f32(points[:, 0]), y=_f32(points[:, 1]), hovertext=texts)

    def panel_markers(self, k) -> list:
        markers = []
        for suffix in self.panels:
            xs, ys = [], []
            for item in self.drawn:
                i = self.held(k, item)
                steps, values = item.series[suffix]
                at = i - int(steps[0]) if len(steps) else -1
                value = float(values[at]) if 0 <= at < len(values) else np.nan
                xs.append(i)
                ys.append(max(value, LOG_FLOOR) if np.isfinite(value) else np.nan)
            markers.append(dict(type="scatter", x=_i32(xs), y=_f32(ys)))
        return markers

    def trial_rays(self, k) -> list:
        """Each searching run's rejected trials of the steps ≤ k (the most recent ones; more at rest)."""
        window = TRIAL_REST if k == self.last else self.trial_window
        rays = []
        for index, trials in self.trials:
            part = trials.shown(self.held(k, self.drawn[index]), window)
            if not len(part):  # plotly.js keeps a trace's old points when a frame gives it none
                part = np.full((1, 2), np.nan)
            rays.append(dict(type="scatter", x=_f32(part[:, 0]), y=_f32(part[:, 1])))
        return rays

    def curvature_ellipses(self, k) -> list:
        """Each BFGS / L-BFGS run's ellipse of H_k at its marker, then one trace with the true ∇²f⁻¹'s ellipses of
        them all (dashed), none where the Hessian is not positive definite."""
        if not self.ellipses:
            return []
        traces, true = [], []
        for index, believed, truth in self.ellipses:
            i = self.held(k, self.drawn[index])
            traces.append(dict(type="scatter", x=_f32(believed[i][:, 0]), y=_f32(believed[i][:, 1])))
            true.append(truth[i])
        true = np.concatenate(true)
        return traces + [dict(type="scatter", x=_f32(true[:, 0]), y=_f32(true[:, 1]))]

    def parts(self, k) -> tuple:
        """The animated traces at step k by what they show: (each run's path, the line searches' trials, the
        curvature ellipses, the positions, the panel markers)."""
        return ([self.path(item, k) for item in self.drawn], self.trial_rays(k), self.curvature_ellipses(k),
                self.positions(k), self.panel_markers(k))

    def at(self, k) -> list:
        paths, trials, ellipses_, positions, markers = self.parts(k)
        return paths + trials + ellipses_ + [positions] + markers

    def styled(self, line_width) -> list:
        """The animated traces as the chart shows them at rest (the last step), with their styles."""
        paths, trials, ellipses_, positions, markers = self.parts(self.last)
        colours = [item.run.colour for item in self.drawn]
        symbols = [item.run.symbol for item in self.drawn]
        for (index, _), rays in zip(self.trials, trials):
            run = self.drawn[index].run
            rays.update(mode="lines+markers", legendgroup=f"run{index}", showlegend=False, opacity=0.6,
                        name=t("{label} · line-search trials", self.lang, label=run.label),
                        line=dict(color=run.colour, width=max(1.0, line_width * 0.4)),
                        marker=dict(size=max(4, line_width * 1.6), color=run.colour, symbol="circle-open",
                                    line=dict(width=1.2, color=run.colour)),
                        hovertemplate=t("{label}: a line-search trial x + αp the search rejected", self.lang,
                                        label=run.label) + "<br>(%{x:.4g}, %{y:.4g})<extra></extra>")
        for number, ((index, _, _), ellipse) in enumerate(zip(self.ellipses, ellipses_)):
            run = self.drawn[index].run
            # one legend entry for them all (each is in its run's colour; the hover names the run)
            ellipse.update(mode="lines", legendgroup="curvature", showlegend=number == 0,
                           name=t(BELIEVED, self.lang),
                           line=dict(color=run.colour, width=max(1.5, line_width * 0.8)), fill="toself",
                           fillcolor=_translucent(run.colour, 0.18),
                           hovertemplate=t("{label}: the ellipse of its inverse-Hessian approximation H<sub>k</sub>,"
                                           "<br>the quadratic model it believes in (shape only)", self.lang,
                                           label=run.label) + "<extra></extra>")
        if self.ellipses:
            ellipses_[-1].update(mode="lines", legendgroup="curvature", showlegend=True,
                                 name=t(TRUE_CURVATURE, self.lang),
                                 line=dict(color=TRUE_CURVATURE_COLOUR, width=1.5, dash="dash"),
                                 hovertemplate=t("the ellipse of the true inverse Hessian ∇²f(x)<sup>−1</sup> "
                                                 "(shape only;<br>not drawn where ∇²f is not positive definite)",
                                                 self.lang) + "<extra></extra>")
        for index, (path, item) in enumerate(zip(paths, self.drawn)):
            run = item.run
            path.update(mode="lines+markers", legendgroup=f"run{index}", showlegend=True, name=run.label,
                        line=dict(color=run.colour, width=line_width),
                        marker=dict(size=max(4, line_width * 1.8), color=run.colour, symbol=run.symbol),
                        hovertemplate=f"{run.label}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>")
        positions.update(mode="markers", showlegend=False, name=t("now", self.lang), hoverinfo="text",
                         cliponaxis=False,  # whole, also on the domain's edge
                         marker=dict(size=5 * line_width + 3, color=colours, symbol=symbols,
                                     line=dict(color="white", width=2)))
        for suffix, marker in zip(self.panels, markers):
            marker.update(mode="markers", showlegend=False, hoverinfo="skip", xaxis="x" + suffix, yaxis="y" + suffix,
                          cliponaxis=False,
                          marker=dict(size=9, color=colours, symbol=symbols, line=dict(color="white", width=1.5)))
        return paths + trials + ellipses_ + [positions] + markers


def _landmarks(surface, start, line_width, lang) -> list:
    """The minima (black stars, larger than any run's marker, white-rimmed), the saddles (thin crosses) and the
    start (a white disc ringed in black): shapes no run marker has (SYMBOLS), drawn above the paths."""
    traces = []
    if len(surface.minima):
        traces.append(dict(type="scatter", x=_f32(surface.minima[:40, 0]), y=_f32(surface.minima[:40, 1]),
                           mode="markers", name=t("minima", lang), showlegend=False,
                           marker=dict(symbol="star", size=max(20, 5 * line_width + 8), color="#111111",
                                       line=dict(color="white", width=1.5)),
                           hovertemplate=t("minimum (%{{x:.4g}}, %{{y:.4g}})", lang) + "<extra></extra>"))
    if len(surface.saddles) and len(surface.saddles) <= 12:
        traces.append(dict(type="scatter", x=_f32(surface.saddles[:, 0]), y=_f32(surface.saddles[:, 1]),
                           mode="markers", name=t("saddles", lang), showlegend=False,
                           marker=dict(symbol="x-thin", size=max(14, 3 * line_width + 6),
                                       line=dict(color="#333333", width=2.5)),
                           hovertemplate=t("saddle (%{{x:.4g}}, %{{y:.4g}})", lang) + "<extra></extra>"))
    traces.append(dict(type="scatter", x=[float(start[0])], y=[float(start[1])], mode="markers",
                       name=t("start", lang), showlegend=False,
                       marker=dict(symbol="circle", size=int(6 + 2 * line_width), color="white",
                                   line=dict(color="#111111", width=2.5)),
                       hovertemplate=t("start (%{{x:.4g}}, %{{y:.4g}})", lang) + "<extra></extra>"))
    return traces


DIVERGED, LEFT = "diverged at step {k}", "left the chart at step {k}"
NAMED = {DIVERGED: "{label}: diverged at step {k}", LEFT: "{label}: left the chart at step {k}"}  # several labels


def _ends(drawn, box, font_size, lang, plot_px) -> tuple:
    """Where a run diverged or left the domain for good: a marker there (on the edge if it left), and a label
    in the run's colour that reads toward the inside of the chart; a label that would cover another moves a
    line further in (``plot_px``: the surface's size in pixels, roughly), and with several labels each names
    its run."""
    ends = []
    for index, item in enumerate(drawn):
        tr = item.run.trajectory
        if tr.status == "diverged":
            ends.append((index, item, DIVERGED, int(tr.stopped_at), "x"))
        elif item.clipped.left_at is not None:
            ends.append((index, item, LEFT, item.clipped.left_at, "arrow-bar-up"))
    (x_lo, x_hi), (y_lo, y_hi) = box
    low, span = np.array([x_lo, y_lo]), np.array([x_hi - x_lo, y_hi - y_lo])
    marks, labels, taken = [], [], []
    for index, item, template, k, symbol in ends:
        run, point = item.run, item.clipped.shown[-1]
        marks.append(dict(type="scatter", x=_f32(point[:1]), y=_f32(point[1:]), mode="markers", cliponaxis=False,
                          name=t(template, lang, k=k), legendgroup=f"run{index}", showlegend=False, hoverinfo="name",
                          marker=dict(symbol=symbol, size=16, color=run.colour, line=dict(width=2, color="white"),
                                      angle=0 if symbol == "x" else _outward_angle(point, box))))
        text = t(NAMED[template], lang, label=run.label, k=k) if len(ends) > 1 else t(template, lang, k=k)
        for slot in range(2 * len(ends) + 1):
            label, rect = _label(point, (point - low) / span, slot, text, run.colour, font_size, plot_px)
            if not any(_overlap(rect, other) for other in taken):
                break
        taken.append(rect)
        labels.append(label)
    return marks, labels


def _label(point, fraction, slot, text, colour, font_size, plot_px) -> tuple:
    """An annotation at ``point`` that reads toward the inside of the chart, ``slot`` lines away from it, and
    the rectangle it covers (pixels from the surface's lower left corner)."""
    fx, fy = fraction
    xanchor, xshift = ("left", 8) if fx < 1 / 3 else ("right", -8) if fx > 2 / 3 else ("center", 0)
    line = round(1.3 * font_size + 6)
    offset = 12 + slot * line
    down = fy > 0.5
    width = _text_px(text, font_size) + 6
    left = fx * plot_px[0] + xshift - {"left": 0, "center": width / 2, "right": width}[xanchor]
    bottom = fy * plot_px[1] + (-offset - line if down else offset)
    annotation = dict(x=float(point[0]), y=float(point[1]), xref="x", yref="y", text=text, showarrow=False,
                      xanchor=xanchor, xshift=xshift, yanchor="top" if down else "bottom",
                      yshift=-offset if down else offset, font=dict(color=colour, size=font_size),
                      bgcolor="rgba(255,255,255,0.8)")
    return annotation, (left, bottom, left + width, bottom + line)


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _outward_angle(point, box) -> float:
    """Degrees clockwise from up toward the nearest edge of the domain (where a run left it)."""
    (x_lo, x_hi), (y_lo, y_hi) = box
    gaps = {0.0: y_hi - point[1], 180.0: point[1] - y_lo, 90.0: x_hi - point[0], 270.0: point[0] - x_lo}
    return min(gaps, key=gaps.get)


# --- layout ---------------------------------------------------------------------------------------------


def _text_px(text: str, size: float) -> float:
    """About how wide ``text`` is drawn at font ``size`` (Plotly's default sans-serif; CJK and symbols ~1 em)."""
    em = 0.0
    for ch in text:
        if has_chinese(ch):
            em += 1.0
        elif ord(ch) > 0x2000:  # ▶, ❚, ↺
            em += 0.9
        else:
            em += 0.28 if ch == " " else 0.62 if ch.isupper() else 0.5
    return em * size


def _buttons_px(labels, font_size) -> float:
    """A row of Plotly buttons' width: each its text plus 24 px, 2 px apart (plotly.js updatemenus constants)."""
    return sum(_text_px(label, font_size) + 26 for label in labels)


@dataclass(frozen=True)
class _Geometry:
    """Where everything goes, in paper coordinates."""

    height: int
    margin: dict
    contour: tuple  # (x domain, y domain)
    panel_x: tuple
    panel_y: dict  # panel axis suffix → y domain
    panel_px: float  # a panel's height in pixels (how many tick labels fit)
    menus: tuple  # rows of buttons: (x, y, English labels, font size)
    slider: tuple  # (x, y, length)
    legend_y: float
    contour_px: tuple  # the surface's drawn size in pixels, about


BUTTONS = tuple(PLAY_SECONDS) + (PAUSE, RESTART)


def _panel_domains(panels, gap) -> dict:
    n = len(panels)
    size = (1 - gap * (n - 1)) / max(n, 1)
    return {s: (round(max(0.0, 1 - i * (size + gap) - size), 4), round(1 - i * (size + gap), 4))
            for i, s in enumerate(panels)}


def _side_geometry(surface, panels, height, font_size, lang) -> _Geometry:
    """The panels in a column right of the surface; below, the buttons, and the slider right of them, or, when
    the buttons would take more than the surface's width on a chart ~770 px wide (projector type), on a row of
    its own below them (the figure grows by that row: the surface keeps its size)."""
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    aspect = (y_hi - y_lo) / (x_hi - x_lo)
    if aspect < 0.6:  # a wide domain drawn to scale is short: no tall empty band above it
        height = int(height * 0.85)
    margin = dict(l=50, r=20, t=40, b=95)
    plot_h = height - margin["t"] - margin["b"]
    panel_y = _panel_domains(panels, 0.05)
    panel_px = plot_h * min((hi - lo for lo, hi in panel_y.values()), default=1.0)
    slider_left = (_buttons_px([t(label, lang) for label in BUTTONS], font_size) + 16) / ASSUMED_PLOT_PX
    slider = (slider_left, -0.06, 1 - slider_left)  # right of the buttons
    if slider_left > 0.62:
        slider_top = 0.09 * plot_h + 1.3 * font_size + 20  # below the buttons' row
        margin["b"] = int(slider_top + 2.2 * font_size + 36)
        height += margin["b"] - 95
        slider = (0.0, -slider_top / plot_h, 1.0)
    contour_x = (0.0, 0.62) if panels else (0.0, 1.0)
    width = contour_x[1] * ASSUMED_PLOT_PX
    if 1 / 3 <= aspect <= 3:  # drawn to scale (see _layout)
        width = min(width, plot_h / aspect)
    return _Geometry(height, margin, (contour_x, (0.0, 1.0)), (0.71, 1.0), panel_y, panel_px,
                     ((0.0, -0.09, BUTTONS, font_size),), slider, 1.07,
                     (width, width * aspect if 1 / 3 <= aspect <= 3 else plot_h))


def _stacked_geometry(surface, panels, font_size, labels) -> _Geometry:
    """One column for a phone: the surface at full width (to scale), each panel below it PANEL_PX high,
    then two rows of buttons, then the step slider on a row of its own."""
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    width = PHONE_CHART_PX - 42 - 6
    tick = max(font_size - 3, 9)
    # the legend wraps within the plot's width, an entry its text and ~50 px of line and marker (measured)
    legend_rows = _rows([_text_px(label, font_size) + 50 for label in labels], width)
    margin = dict(l=42, r=6, t=int(16 + legend_rows * (1.3 * font_size + 13)))
    axis_px = tick * 1.6 + font_size * 1.4 + 10  # tick labels and an axis title below a plot
    title_px = font_size * 1.4 + 6  # a panel's title above it
    panel_px = max(PANEL_PX, 9 * tick)
    top = width * float(np.clip((y_hi - y_lo) / (x_hi - x_lo), 0.45, 1.25))
    spans = [(0.0, top)]
    for _ in panels:
        top += (axis_px if len(spans) == 1 else 10) + title_px
        spans.append((top, top + panel_px))
        top += panel_px
    plot_h = top
    button_font = min(font_size, 15)
    row_px = button_font * 1.3 + 14
    slider_top = axis_px + 2 * row_px + 12
    margin["b"] = int(slider_top + font_size * 1.4 + 52)

    def domain(span):
        return (round(1 - span[1] / plot_h, 4), round(1 - span[0] / plot_h, 4))

    menus = ((0.0, -axis_px / plot_h, (BUTTONS[0], PAUSE, RESTART), button_font),
             (0.0, -(axis_px + row_px + 4) / plot_h, BUTTONS[1:3], button_font))
    return _Geometry(int(plot_h + margin["t"] + margin["b"]), margin, ((0.0, 1.0), domain(spans[0])), (0.0, 1.0),
                     {s: domain(span) for s, span in zip(panels, spans[1:])}, panel_px, menus,
                     (0.0, -slider_top / plot_h, 1.0), 1.0, (width, spans[0][1]))


def _rows(widths, available) -> int:
    """How many rows items of ``widths`` take, laid out left to right and wrapped at ``available``."""
    rows, used = 1, 0.0
    for width in widths:
        if used and used + width > available:
            rows, used = rows + 1, 0.0
        used += width
    return rows


def _layout(surface, geometry: _Geometry, panels, drawn, steps, shown_steps, font_size, lang) -> dict:
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    (contour_x, contour_y) = geometry.contour
    layout = dict(
        height=geometry.height,
        margin=geometry.margin,
        font=dict(size=font_size),
        plot_bgcolor="white",
        paper_bgcolor="white",
        hovermode="closest",
        dragmode="pan",
        clickmode="event+select",
        legend=dict(orientation="h", x=0.0, y=geometry.legend_y, xanchor="left", yanchor="bottom",
                    font=dict(size=font_size)),
        xaxis=dict(domain=list(contour_x), range=[x_lo, x_hi], showgrid=False, zeroline=False, title="x",
                   ticks="outside", anchor="y"),
        yaxis=dict(domain=list(contour_y), range=[y_lo, y_hi], showgrid=False, zeroline=False, title="y",
                   ticks="outside", anchor="x"),
        uirevision="keep",  # keep the user's zoom when only the paths change
    )
    if 1 / 3 <= (y_hi - y_lo) / (x_hi - x_lo) <= 3:
        layout["yaxis"].update(scaleanchor="x", scaleratio=1, constrain="domain")
        layout["xaxis"].update(constrain="domain")
    layout.update(_panel_axes(surface, geometry, panels, drawn, steps, font_size, lang))
    layout["updatemenus"] = [dict(type="buttons", direction="left", showactive=False, x=x, y=y, xanchor="left",
                                  yanchor="top", pad=dict(t=0, r=6), font=dict(size=size),
                                  buttons=[_button(label, len(shown_steps), lang) for label in labels])
                             for x, y, labels, size in geometry.menus]
    layout["sliders"] = [_slider(geometry.slider, shown_steps, font_size, lang)]
    return layout


def _panel_axes(surface, geometry: _Geometry, panels, drawn, steps, font_size, lang) -> dict:
    """The side panels' axes (one step axis, shared; log axes with whole-decade ticks) and their titles."""
    distance_title = "distance to nearest minimum" if len(surface.minima) else "distance to the saddle"
    titles = {"2": t("loss {name}", lang, name=gap_trace(surface, np.zeros(1))[1]), "3": t("step size ‖Δx‖", lang),
              "4": t("effective lr (x solid, y dotted)", lang), "5": t(distance_title, lang)}
    tick_size = max(font_size - 3, 9)
    room = min(geometry.panel_px / (2.2 * tick_size) / 1.08, 4.0)  # label gaps of 2.2 label heights (range + 8 %)
    axes, annotations = {}, []
    bottom = panels[-1] if panels else None
    for suffix in panels:
        domain = geometry.panel_y[suffix]
        axes["xaxis" + suffix] = dict(domain=list(geometry.panel_x), anchor="y" + suffix, range=[0, max(steps, 1)],
                                      showticklabels=suffix == bottom,
                                      title=t("step", lang) if suffix == bottom else None,
                                      matches=None if suffix == bottom else "x" + bottom, showgrid=True,
                                      gridcolor="#eeeeee", zeroline=False)
        axis = dict(domain=list(domain), anchor="x" + suffix, showgrid=True, gridcolor="#eeeeee", zeroline=False,
                    exponentformat="power", tickfont=dict(size=tick_size))
        values = np.concatenate([item.series[suffix][1] for item in drawn]
                                + [item.run.trajectory.effective_lr[:, 1] for item in drawn
                                   if suffix == "4" and item.run.adaptive])
        values = values[np.isfinite(values) & (values > 0)]
        if (suffix != "2" or surface.f_min is not None) and len(values):
            axis.update(type="log", **log_ticks(float(values.min()), float(values.max()), room))
            low, high = axis["range"]
            axis["range"] = [low - 0.04 * (high - low), high + 0.04 * (high - low)]  # markers whole at the ends
        else:
            axis.update(type="linear", nticks=int(room) + 1)
        axes["yaxis" + suffix] = axis
        annotations.append(dict(text=titles[suffix], x=geometry.panel_x[0], y=domain[1], xref="paper", yref="paper",
                                xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=font_size - 1)))
    axes["annotations"] = annotations
    return axes


def _button(label, n_frames, lang) -> dict:
    """Play (and Fast, Slow) go on from the frame shown (plotly.js plays every frame when that is the last);
    Restart plays from the first frame; Pause stops."""
    still = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    if label == PAUSE:
        return dict(label=t(label, lang), method="animate", args=[[None], still])
    seconds = PLAY_SECONDS.get(label, PLAY_SECONDS["▶ Play"])
    duration = float(np.clip(seconds * 1000 / max(n_frames, 1), 1000 / 60, 600))
    return dict(label=t(label, lang), method="animate",
                args=[None, dict(frame=dict(duration=duration, redraw=False), fromcurrent=label != RESTART,
                                 transition=dict(duration=0), mode="immediate")])


def _slider(place, shown_steps, font_size, lang) -> dict:
    x, y, length = place
    n_frames = len(shown_steps)
    step_prefix, step_suffix = around("step {k}", lang)  # Plotly writes the step between the two
    return dict(
        active=n_frames - 1, x=x, y=y, len=length, xanchor="left", yanchor="top", pad=dict(t=0, b=0),
        currentvalue=dict(prefix=step_prefix, suffix=step_suffix, font=dict(size=font_size, color="#333333")),
        transition=dict(duration=0),
        # one label per frame is unreadable past a few dozen: then only "step k" above the slider speaks
        font=dict(size=max(font_size - 4, 8), color="#666666" if n_frames <= 40 else "rgba(0,0,0,0)"),
        steps=[dict(label=str(int(k)), method="animate",
                    args=[[str(int(k))], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                              transition=dict(duration=0))]) for k in shown_steps],
    )


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
