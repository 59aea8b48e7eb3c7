"""Downloads of a scene, for the page's download buttons; pure functions, no Streamlit.

``standalone_html`` (str): the animated Plotly figure with plotly.js inlined, plays offline.
``gif_bytes``, ``mp4_bytes``, ``png_bytes``: pictures drawn by ``animation_frames`` (Pillow).
``trajectories_csv``, ``trajectories_json`` (str): every run's numbers and how to reproduce them.

The pictures play the runs at ``steps_per_second`` (``animation_timeline``): between two steps the markers
glide along the segment, as on the page's stage.  The surface (``figures.background``) and, unless
``hide_future``, every whole path, faint, are drawn once; lines and markers are drawn at twice the size and
scaled down (antialiasing); the paths so far grow on a canvas step by step, so a frame draws only its new
steps, then on a copy the segments up to the markers, the markers, with ``arrows`` each update's parts
(``analysis.run_parts``) and "step k".  ``RESOLUTIONS``: the sizes the page offers; lines and type grow with
the size (``picture_scale``).
"""

from __future__ import annotations

import base64
import csv
import functools
import io
import json
import math
import numbers
import os
import re
import struct
import tempfile
import urllib.parse
from dataclasses import dataclass
from fractions import Fraction
from html import escape

import numpy as np
from PIL import Image, ImageChops, ImageColor, ImageDraw, ImageFont

from optim_core import analysis

from . import figures as fg
from .i18n import surface_title, t
import page_model

FORMAT = "optimizer-trajectories/1"
TEXT_RGB = (34, 34, 34)
TICK_RGB = (90, 90, 90)
MARKER_RGB = (17, 17, 17)  # minima, start ring: as in the Plotly figure
WHITE = (255, 255, 255)
SCALE = 2  # lines and markers are drawn at SCALE× and scaled down once per frame


# --- HTML ---------------------------------------------------------------------------------------------


def standalone_html(figure: dict, title: str) -> str:
    """The animated figure as one HTML file with plotly.js inlined: plays offline, no server."""
    import plotly.io

    data = []
    for trace in figure["data"]:
        if trace.get("marker", {}).get("opacity") == 0 and "<i>" in trace.get("hovertemplate", ""):
            # the invisible click grid: a click moves the start only in the app, so drop its italic hint
            trace = {**trace, "hovertemplate": re.sub(r"<br><i>.*?</i>", "", trace["hovertemplate"])}
        data.append(trace)
    offline = {**figure, "data": data, "layout": {**figure["layout"], "clickmode": "event"}}
    page = plotly.io.to_html(offline, include_plotlyjs=True, full_html=True, auto_play=False, validate=False,
                             include_mathjax=False, div_id="optimizer-paths", default_height="auto",
                             config={"displaylogo": False, "scrollZoom": True, "responsive": True})
    head = f'<meta name="viewport" content="width=device-width, initial-scale=1" />\n<title>{escape(title)}</title>'
    heading = (f'<h1 style="font-family: sans-serif; font-size: 1.3em; margin: 0.4em 0.6em">{escape(title)}</h1>')
    page = page.replace('<meta charset="utf-8" />', '<meta charset="utf-8" />\n' + head, 1)
    return page.replace("<body>", "<body>\n" + heading, 1)


# --- frames -------------------------------------------------------------------------------------------


LATIN_FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf")
# Debian's fonts-noto-cjk (which .ci/run installs), then other common CJK fonts.
CJK_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "NotoSansCJK-Regular.ttc",
             "NotoSansCJKsc-Regular.otf", "wqy-microhei.ttc", "wqy-zenhei.ttc")


@functools.lru_cache(maxsize=32)
def _font(size: int, lang: str = "en"):
    for name in (CJK_FONTS if lang == "zh" else ()) + LATIN_FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


@functools.lru_cache(maxsize=1)
def _has_cjk_font() -> bool:
    for name in CJK_FONTS:
        try:
            ImageFont.truetype(name, 10)
            return True
        except OSError:
            continue
    return False


def picture_language(scene) -> str:
    """The language of the words drawn in pictures: the page's, if a font can draw Chinese here."""
    return scene.lang if scene.lang == "en" or _has_cjk_font() else "en"


def _text_width(font, text: str) -> float:
    return font.getlength(text)


def _fit(font, text: str, width: float) -> str:
    """``text``, cut with "…" to fit ``width`` pixels."""
    if _text_width(font, text) <= width:
        return text
    while text and _text_width(font, text + "…") > width:
        text = text[:-1]
    return text + "…"


def _ticks(low: float, high: float, target: int = 6) -> list:
    """About ``target`` round values in [low, high], with their labels."""
    raw = (high - low) / target
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step - 1e-9)
    values = [i * step for i in range(first, math.floor(high / step + 1e-9) + 1)]
    return [(v, f"{0.0 if abs(v) < step * 1e-9 else v:.6g}") for v in values]


@dataclass(frozen=True)
class FrameLayout:
    """Where things are in a frame: the surface occupies ``plot`` = (left, top, width, height) pixels;
    ``legend`` holds each legend entry's (x, y, text width) (x, y: the swatch's left end, mid-height)."""

    width: int
    height: int
    plot: tuple
    x_range: tuple
    y_range: tuple
    font_size: int
    legend: tuple

    def pixel(self, xy) -> np.ndarray:
        """Continuous frame coordinates (x right, y down; pixel i covers [i, i + 1)) of data points (..., 2)."""
        left, top, width, height = self.plot
        (x_lo, x_hi), (y_lo, y_hi) = self.x_range, self.y_range
        xy = np.asarray(xy, dtype=float)
        return np.stack([left + (xy[..., 0] - x_lo) / (x_hi - x_lo) * width,
                         top + (y_hi - xy[..., 1]) / (y_hi - y_lo) * height], axis=-1)


def legend_texts(scene, surface) -> list:
    """The legend's entries: each run's label, then the markers' keys (in the pictures' language)."""
    lang = picture_language(scene)
    return [run.label() for run in scene.runs] + ([t("minimum", lang)] if len(surface.minima) else []) \
        + [t("start", lang)]


def _plot_size(available_w, available_h, aspect) -> tuple:
    """The surface's size in the space available: its own aspect ratio when it is between 1:3 and 3:1
    (as the Plotly figure keeps it), else the whole space."""
    if 1 / 3 <= aspect <= 3:
        plot_w = int(min(available_w, available_h / aspect))
        return plot_w, min(round(plot_w * aspect), int(available_h))  # as figures.background rounds
    return int(available_w), int(available_h)


def frame_layout(scene, *, width: int = 960, height: int = 600, font_size: int | None = None,
                 surface=None) -> FrameLayout:
    """The frame's geometry: a title bar on top, the axes' labels left of and below the surface, and
    the legend right of it or under it, whichever leaves the surface more room.

    Args:
        scene: the page's scene (its surface, runs and language).
        width, height: the frame's size in pixels (at least 200 × 150).
        font_size: in pixels; None: 2.7 % of the height (at least 10).
        surface: the scene's surface when the caller has it already; None: ``scene.surface_object()``.
    """
    if width < 200 or height < 150:
        raise ValueError(f"frame size {width}×{height} is too small: use at least 200×150 pixels")
    surface = surface or scene.surface_object()
    font_size = font_size or max(10, round(height * 0.027))
    lang = picture_language(scene)
    font, small = _font(font_size, lang), _font(max(8, round(font_size * 0.8)), lang)
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    aspect = (y_hi - y_lo) / (x_hi - x_lo)
    pad, tick, row = round(font_size * 0.6), round(font_size * 0.35), round(font_size * 1.6)
    swatch = round(font_size * 2.6)
    top = round(font_size * 2.2)
    bottom = round(small.size * 1.3 + font_size * 1.2 + tick + pad)
    widest_tick = max(_text_width(small, label) for _, label in _ticks(y_lo, y_hi))
    left = round(pad + _text_width(font, "y") + pad + widest_tick + tick + pad / 2)
    texts = legend_texts(scene, surface)
    runs = len(scene.runs)

    # legend on the right: one entry a row, a gap between the runs and the markers' keys
    column = round(min(swatch + max(_text_width(font, t) for t in texts), 0.4 * width))
    right_size = _plot_size(width - left - 3 * pad - column, height - top - bottom, aspect)
    # legend underneath: entries side by side, wrapping
    rows, x, line_width = 1, 0, width - left - pad
    for text in texts:
        entry = swatch + min(_text_width(font, text), line_width - swatch) + 2 * pad
        if x and x + entry > line_width:
            rows, x = rows + 1, 0
        x += entry
    below_size = _plot_size(width - left - pad, height - top - bottom - rows * row - pad, aspect)

    plot_w, plot_h = max(right_size, below_size, key=lambda size: size[0] * size[1])
    plot_w, plot_h = max(plot_w, 16), max(plot_h, 16)
    legend = []
    if (plot_w, plot_h) == right_size:
        left += max((width - left - plot_w - 3 * pad - column) // 2, 0)
        top += max((height - top - plot_h - bottom) // 2, 0)
        y = top + row / 2
        for i, text in enumerate(texts):
            y += row / 2 if i == runs else 0
            legend.append((left + plot_w + 2 * pad, y, column - swatch))
            y += row
    else:
        left += max((width - left - plot_w - pad) // 2, 0)
        top += max((height - top - plot_h - bottom - rows * row - pad) // 2, 0)
        x, y, line_width = left, top + plot_h + bottom + row / 2, width - left - pad
        for text in texts:
            room = min(_text_width(font, text), line_width - swatch)
            entry = swatch + room + 2 * pad
            if x > left and x - left + entry > line_width:
                x, y = left, y + row
            legend.append((x, y, room))
            x += entry
    return FrameLayout(width, height, (left, top, plot_w, plot_h), (x_lo, x_hi), (y_lo, y_hi), font_size,
                       tuple(legend))


def _rgb(colour: str) -> tuple:
    return ImageColor.getrgb(colour)[:3]


def _star(cx: float, cy: float, radius: float) -> list:
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else radius * 0.45
        angle = math.pi / 2 + i * math.pi / 5
        points.append((cx + r * math.cos(angle), cy - r * math.sin(angle)))
    return points


def _symbol_outline(symbol: str, r: float):
    """Corner offsets of a Plotly marker symbol of radius ``r`` about its centre (None: a circle)."""
    if symbol == "square":
        a = 0.9 * r
        return [(-a, -a), (a, -a), (a, a), (-a, a)]
    if symbol == "diamond":
        a = 1.2 * r
        return [(0, -a), (a, 0), (0, a), (-a, 0)]
    if symbol == "triangle-up":
        a = 1.15 * r
        return [(0, -a), (a * 0.95, a * 0.6), (-a * 0.95, a * 0.6)]
    if symbol in ("cross", "x"):
        a, w = 1.1 * r, 0.38 * r
        plus = [(-w, -a), (w, -a), (w, -w), (a, -w), (a, w), (w, w), (w, a), (-w, a), (-w, w), (-a, w), (-a, -w),
                (-w, -w)]
        if symbol == "cross":
            return plus
        c = math.sqrt(0.5)
        return [(c * (x - y), c * (x + y)) for x, y in plus]
    if symbol == "star":
        return [(x, y) for x, y in _star(0.0, 0.0, 1.25 * r)]
    if symbol == "pentagon":
        return _regular(5, 1.05 * r, math.pi / 2)
    if symbol == "hexagon":
        return _regular(6, 1.05 * r, 0.0)
    if symbol == "octagon":
        return _regular(8, 1.05 * r, math.pi / 8)
    if symbol == "diamond-wide":
        a, b = 1.35 * r, 0.8 * r
        return [(0, -b), (a, 0), (0, b), (-a, 0)]
    triangles = {"triangle-down": -math.pi / 2, "triangle-left": math.pi, "triangle-right": 0.0}
    if symbol in triangles:
        return _regular(3, 1.15 * r, triangles[symbol])
    if symbol in ("bowtie", "hourglass"):  # two triangles meeting at the centre
        a = 0.95 * r
        corners = [(-a, -a), (a, a), (a, -a), (-a, a)]
        return corners if symbol == "bowtie" else [(y, x) for x, y in corners]
    return None


def _regular(sides: int, a: float, first_angle: float) -> list:
    """A regular polygon of circumradius ``a`` with a corner at ``first_angle`` (y grows downward)."""
    return [(a * math.cos(first_angle + i * 2 * math.pi / sides), -a * math.sin(first_angle + i * 2 * math.pi / sides))
            for i in range(sides)]


def _draw_marker(draw, symbol: str, cx: float, cy: float, r: float, fill):
    """A marker of ``symbol`` centred at (cx, cy): filled, or only its rim for Plotly's "-open" shapes."""
    hollow = symbol.endswith("-open")
    outline = _symbol_outline(symbol.removesuffix("-open"), r)
    style = dict(outline=fill, width=max(1, round(0.22 * r))) if hollow else dict(fill=fill)
    if outline is None:
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), **style)
    else:
        draw.polygon([(cx + dx, cy + dy) for dx, dy in outline], **style)


def _sprite(size: int, draw_at) -> tuple:
    """An antialiased RGBA marker of ``size``×``size`` pixels (odd), drawn at 4× by ``draw_at(draw, centre, unit)``;
    returns (image, offset of its centre)."""
    big = Image.new("RGBA", (size * 4, size * 4), (0, 0, 0, 0))
    draw_at(ImageDraw.Draw(big), size * 2 - 0.5, 4)
    return big.reduce(4), size // 2


def _position_sprite(colour: tuple, symbol: str, diameter: float) -> tuple:
    """The current position: the run's symbol in its colour with a white rim (as Plotly's "now" markers)."""
    size = int(math.ceil(1.3 * diameter + 6)) | 1

    def draw_at(draw, c, u):
        r = diameter / 2 * u
        _draw_marker(draw, symbol, c, c, r + 1.5 * u, WHITE + (255,))
        _draw_marker(draw, symbol, c, c, r, colour + (255,))

    return _sprite(size, draw_at)


def _cross_sprite(colour: tuple, arm: float, stroke: float) -> tuple:
    """A diverged run's ✕ in its colour, outlined in white."""
    size = int(math.ceil(2 * arm + 2 * stroke + 4)) | 1

    def draw_at(draw, c, u):
        a = arm * u
        for fill, width in ((WHITE, (stroke + 2) * u), (colour, stroke * u)):
            draw.line((c - a, c - a, c + a, c + a), fill=fill + (255,), width=round(width))
            draw.line((c - a, c + a, c + a, c - a), fill=fill + (255,), width=round(width))

    return _sprite(size, draw_at)


def _clip_segments(p: np.ndarray, q: np.ndarray, low: float, high_x: float, high_y: float):
    """Segments p→q (n, 2) clipped to the box [low, high_x] × [low, high_y] (Liang–Barsky):
    the clipped ends and which segments touch the box."""
    d = q - p
    t0, t1 = np.zeros(len(p)), np.ones(len(p))
    keep = np.ones(len(p), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for axis, high in ((0, high_x), (1, high_y)):
            for direction, distance in ((-d[:, axis], p[:, axis] - low), (d[:, axis], high - p[:, axis])):
                parallel = direction == 0
                keep &= ~(parallel & (distance < 0))
                t = distance / direction
                t0 = np.where(~parallel & (direction < 0), np.maximum(t0, t), t0)
                t1 = np.where(~parallel & (direction > 0), np.minimum(t1, t), t1)
    keep &= t0 <= t1
    return p + t0[:, None] * d, p + t1[:, None] * d, keep


# --- playback: speed, size, frames --------------------------------------------------------------------------

RESOLUTIONS = {"960×600": (960, 600), "1280×720": (1280, 720), "1920×1080": (1920, 1080)}
REFERENCE_SIZE = (960, 600)  # line_width and font_size are meant at this size; they scale with the picture
STEPS_PER_SECOND = (0.5, 1000.0)  # the stage's speeds: one step every two seconds … 1000 steps a second
DEFAULT_SECONDS = 5.0  # steps_per_second=None: the longest run in 5 s of motion, long enough to talk over
FASTEST_SECONDS = 2.0  # a faster speed plays the longest run in 2 s, as the stage does
GIF_FPS, MP4_FPS = 20, 30
GIF_MAX_FRAMES, MP4_MAX_FRAMES = 300, 600
# An update's parts (``analysis.run_parts``) as arrows: the gradient, the part that carries the past, the rest.
ARROW_COLOURS = {"gradient": "#B00020", "history": "#1f4ed8", "other": "#444444"}
GIF_TRANSPARENT = 255  # the palette's spare index: a frame's pixels unchanged since the previous frame


def check_steps_per_second(value) -> float:
    """``value`` as a float when it is a speed the exports play at (``STEPS_PER_SECOND``), else ValueError."""
    low, high = STEPS_PER_SECOND
    try:
        speed = math.nan if isinstance(value, (bool, str)) else float(value)
    except (TypeError, ValueError):
        speed = math.nan
    if not low <= speed <= high:  # NaN fails too
        raise ValueError(f"steps_per_second must be a number of steps a second from {low:g} to {high:g}, "
                         f"got {value!r}")
    return speed


def picture_size(size=None, width: int | None = None, height: int | None = None) -> tuple:
    """The pictures' (width, height): ``size``, one of ``RESOLUTIONS`` (its value or its name), or else
    ``width`` × ``height`` (each 960 × 600's when not given)."""
    if size is None:
        default_width, default_height = REFERENCE_SIZE
        return (default_width if width is None else int(width), default_height if height is None else int(height))
    if width is not None or height is not None:
        raise ValueError("give size, or width and height, not both")
    if isinstance(size, str):
        if size in RESOLUTIONS:
            return RESOLUTIONS[size]
    elif isinstance(size, (tuple, list)) and tuple(size) in RESOLUTIONS.values():
        return tuple(int(v) for v in size)
    raise ValueError(f"size must be one of {', '.join(RESOLUTIONS)} (width × height in pixels), got {size!r}")


def picture_scale(width: int, height: int) -> float:
    """How much bigger than at 960 × 600 lines and type are drawn in a picture of this size (1920 × 1080: 1.8)."""
    return min(width / REFERENCE_SIZE[0], height / REFERENCE_SIZE[1])


@dataclass(frozen=True)
class Timeline:
    """What an animation's frames show and for how long.

    positions        the step each frame shows, evenly spaced from 0 to the longest run's last step; a float:
                     between two steps the markers stand on the segment between them
    frame_seconds    how long each frame lasts (a Fraction; the exports hold the last one longer)
    steps_per_second the speed played (the one asked for within the stage's limits, see ``animation_timeline``);
                     the frames play last / ((len(positions) − 1)·frame_seconds) steps a second, the same up to
                     rounding the motion to whole frames
    """

    positions: np.ndarray
    frame_seconds: Fraction
    steps_per_second: float

    @property
    def fps(self) -> Fraction:
        return 1 / self.frame_seconds


def animation_timeline(longest: int, *, steps_per_second: float | None = None, fps: float = GIF_FPS,
                       max_frames: int = GIF_MAX_FRAMES, gif: bool = False) -> Timeline:
    """The frames of an animation of runs ``longest`` points long (steps 0 … longest − 1).

    The speed is the stage's (``ui/stage_web/stage.js``): ``steps_per_second``, or None: the whole run in
    ``DEFAULT_SECONDS``; at least 0.5 steps a second, at most the whole run in ``FASTEST_SECONDS`` (a 30-step
    run at 1000 steps a second plays in 2 s).
    The motion lasts (longest − 1)/speed seconds, cut into frames of 1/fps s (a GIF's: whole
    hundredths, at least 0.02 s, as browsers slow down shorter ones), at least one; frame i shows step
    (longest − 1)·i/(frames − 1).  When that would take more than ``max_frames`` frames, the frames get
    longer instead (fewer frames a second, down to whole hundredths of a frame a second for an MP4, the
    same speed), so every animation has at most ``max_frames`` frames: at 0.5 steps a second a
    3000-step run lasts 100 minutes in 300 GIF frames of 20.07 s.

    Args:
        longest: the points of the longest run (``figures.longest_run``).
        steps_per_second: 0.5 … 1000 (``STEPS_PER_SECOND``, else ValueError); None: the whole run in
            ``DEFAULT_SECONDS``.
        fps: frames a second (> 0).
        max_frames: at most this many frames (≥ 2).
        gif: frame lengths in whole hundredths of a second.
    """
    last = max(int(longest) - 1, 0)
    chosen = last / DEFAULT_SECONDS if steps_per_second is None else check_steps_per_second(steps_per_second)
    slowest = STEPS_PER_SECOND[0]
    speed = min(max(chosen, slowest), max(last / FASTEST_SECONDS, slowest))
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not 0 < fps < math.inf:
        raise ValueError(f"fps must be a positive number of frames a second, got {fps!r}")
    if isinstance(max_frames, bool) or not isinstance(max_frames, numbers.Integral) or max_frames < 2:
        raise ValueError(f"max_frames must be a whole number of frames, at least 2, got {max_frames!r}")
    seconds = last / speed
    if gif:
        frame = Fraction(max(2, round(100 / fps)), 100)
        if seconds > frame * (max_frames - 1):
            frame = Fraction(math.ceil(100 * seconds / (max_frames - 1)), 100)
    else:
        frame = 1 / Fraction(fps).limit_denominator(1001)
        if seconds > frame * (max_frames - 1):
            frame = 1 / Fraction(max(1, math.floor(100 * (max_frames - 1) / seconds)), 100)
    intervals = min(max(1, round(seconds / frame)), max_frames - 1) if last else 0
    return Timeline(np.arange(intervals + 1) * last / max(intervals, 1), frame, speed)


def _arrow_parts(tr):
    """Run ``tr``'s updates taken apart (``analysis.run_parts``) as ((RGB, (n, 2) vectors), …) in the rule's
    order; None for a run kept without its state (record_state=False): its arrows are left out, never
    worked out on a second run."""
    try:
        every = analysis.run_parts(tr)
    except ValueError:
        return None
    kinds = {key: "gradient" if key == "gradient" else "history" if key == every.history else "other"
             for key in every.parts}
    return tuple((_rgb(ARROW_COLOURS[kinds[key]]), np.asarray(vectors, dtype=float))
                 for key, vectors in every.parts.items())


def _arrow_shape(a: np.ndarray, b: np.ndarray, head: float, high_x: float, high_y: float):
    """Arrow a → b (pixels) in the box [0, high_x] × [0, high_y]: its shaft clipped to the box ((p, q) or None)
    and its head, a triangle ``head`` long (at most half the arrow) at b, or None when b is outside."""
    d = b - a
    length = float(np.hypot(*d))
    if not math.isfinite(length) or length < 1:
        return None, None
    u, h = d / length, min(head, 0.5 * length)
    tip = 0 <= b[0] <= high_x and 0 <= b[1] <= high_y
    end = b - 0.8 * h * u if tip else b
    p, q, keep = _clip_segments(a[None], end[None], 0, high_x, high_y)
    shaft = (p[0], q[0]) if keep[0] else None
    normal = np.array([-u[1], u[0]]) * 0.5 * h
    triangle = [tuple(b), tuple(b - h * u + normal), tuple(b - h * u - normal)] if tip else None
    return shaft, triangle


def _region(points: np.ndarray, pad: float, size: tuple):
    """The 1× box (x0, y0, x1, y1) around SCALE× ``points`` (n, 2) widened by ``pad``, within ``size``; None if
    it is empty."""
    x0, y0 = np.floor((points.min(axis=0) - pad) / SCALE).astype(int)
    x1, y1 = np.ceil((points.max(axis=0) + pad) / SCALE).astype(int)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, size[0]), min(y1, size[1])
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


class _Renderer:
    """Draws frames of one scene: the static parts once; the paths step by step on a canvas at SCALE× (each
    step's segment and marker, the runs in order), kept scaled down where it changed, so a frame depends only
    on the position it shows; the moving parts (segments up to the markers, markers, arrows) on a copy."""

    def _step_text(self, k: int, last: int) -> str:
        return t("step {k} / {n}", self.lang, k=k, n=last)

    def __init__(self, scene, trajectories, *, width, height, palette, symbols, line_width, font_size,
                 hide_future=False, arrows=False):
        trajectories = tuple(trajectories)
        if len(trajectories) != len(scene.runs):
            raise ValueError(f"{len(trajectories)} trajectories for {len(scene.runs)} runs: give one per run")
        self.surface = scene.surface_object()
        self.scene, self.trajectories = scene, trajectories
        self.longest = fg.longest_run(trajectories)
        self.scale = picture_scale(width, height)
        font_size = None if font_size is None else max(8, round(font_size * self.scale))
        self.layout = frame_layout(scene, width=width, height=height, font_size=font_size, surface=self.surface)
        self.lang = picture_language(scene)
        self.font = _font(self.layout.font_size, self.lang)
        self.colours = [_rgb(palette[i % len(palette)]) for i in range(len(trajectories))]
        self.symbols = [symbols[i % len(symbols)] for i in range(len(trajectories))]
        self.line_width = line_width * self.scale
        left, top, plot_w, plot_h = self.layout.plot
        # data → plot-canvas pixels at SCALE× (Pillow's coordinates: pixel centres at integers)
        self.paths_px = [(self.layout.pixel(tr.xy) - (left, top)) * SCALE - 0.5 for tr in trajectories]
        margin = 4 * self.line_width * SCALE  # a line or a marker just outside still shows its edge
        self.box = (-margin, plot_w * SCALE + margin, plot_h * SCALE + margin)
        self.segments = [_clip_segments(p[:-1], p[1:], *self.box) for p in self.paths_px]
        self.inside = [np.all((p >= -margin) & (p <= self.box[1:]), axis=1) for p in self.paths_px]
        self.parts = [_arrow_parts(tr) if arrows else None for tr in trajectories]
        self.base = self._surface_canvas(plot_w, plot_h)
        if not hide_future:
            self._draw_whole_paths(self.base)
        self.chrome = self._chrome()
        size = self.layout.font_size
        self.position_markers = [_position_sprite(colour, symbol, diameter=5 * self.line_width + 3)  # Plotly's "now"
                                 for colour, symbol in zip(self.colours, self.symbols)]
        self.crosses = [_cross_sprite(c, arm=size * 0.45, stroke=max(2.5, size / 5.5)) for c in self.colours]
        self._restart()

    # static parts

    def _surface_canvas(self, plot_w, plot_h) -> Image.Image:
        """The surface, minima, saddles and start at SCALE×, over white where f is undefined."""
        back = fg.background(self.surface, width=plot_w)
        picture = Image.open(io.BytesIO(base64.b64decode(back.uri.split(",", 1)[1]))).convert("RGBA")
        if picture.size != (plot_w, plot_h):
            picture = picture.resize((plot_w, plot_h), Image.Resampling.BILINEAR)
        flat = Image.new("RGB", picture.size, WHITE)
        flat.paste(picture, mask=picture.getchannel("A"))
        canvas = flat.resize((plot_w * SCALE, plot_h * SCALE), Image.Resampling.NEAREST)
        draw = ImageDraw.Draw(canvas)
        origin = np.array(self.layout.plot[:2])
        size, stroke = self.layout.font_size * SCALE, SCALE * self.scale

        def at(points):
            return (self.layout.pixel(points) - origin) * SCALE - 0.5

        saddles = self.surface.saddles if len(self.surface.saddles) <= 12 else np.zeros((0, 2))
        for cx, cy in at(saddles):
            a = size * 0.3
            draw.line((cx - a, cy - a, cx + a, cy + a), fill=(51, 51, 51), width=round(stroke * 1.5))
            draw.line((cx - a, cy + a, cx + a, cy - a), fill=(51, 51, 51), width=round(stroke * 1.5))
        for cx, cy in at(self.surface.minima[:40]):
            draw.polygon(_star(cx, cy, size * 0.55), fill=MARKER_RGB, outline=WHITE, width=max(SCALE, round(stroke)))
        (cx, cy), r = at(np.array(self.scene.start)), size * 0.3
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=WHITE, outline=MARKER_RGB, width=round(stroke * 2.5))
        return canvas

    def _draw_whole_paths(self, canvas):
        """Every run's whole path, faint (as the figure's: 35 % opacity, 0.6 × the line width), under the paths."""
        width = max(1, round(0.6 * self.line_width * SCALE))
        for colour, points, inside, (p, q, keep) in zip(self.colours, self.paths_px, self.inside, self.segments):
            if len(points) < 2 or not keep.any():
                continue
            mask = Image.new("L", canvas.size, 0)
            draw = ImageDraw.Draw(mask)
            if inside.all():
                draw.line([tuple(point) for point in points], fill=255, width=width, joint="curve")
            else:
                for a, b in zip(p[keep], q[keep]):
                    draw.line((*a, *b), fill=255, width=width)
            canvas.paste(colour, (0, 0, *canvas.size), mask.point(lambda v: round(v * 0.35)))

    def _chrome(self) -> Image.Image:
        """Everything around the surface: title, axes, ticks, legend (drawn at SCALE×, scaled down once)."""
        lay, s = self.layout, SCALE
        left, top, plot_w, plot_h = lay.plot
        canvas = Image.new("RGB", (lay.width * s, lay.height * s), WHITE)
        draw = ImageDraw.Draw(canvas)
        font, small = _font(lay.font_size * s, self.lang), _font(max(8, round(lay.font_size * 0.8)) * s, self.lang)
        pad, tick = round(lay.font_size * 0.6) * s, round(lay.font_size * 0.35) * s
        rule = max(1, round(self.scale)) * s  # the frame's and the ticks' lines
        draw.rectangle((left * s - rule, top * s - rule, (left + plot_w) * s + rule - s, (top + plot_h) * s - 1 + rule),
                       outline=(120, 120, 120), width=rule)
        title_room = (left + plot_w - left) * s - _text_width(font, self._step_text(0, 0).replace("0", "0000")) - pad
        title = surface_title(self.surface, self.lang)
        draw.text((left * s, top * s / 2), _fit(font, title, title_room), font=font, fill=TEXT_RGB, anchor="lm")
        (x_lo, x_hi), (y_lo, y_hi) = lay.x_range, lay.y_range
        bottom = (top + plot_h) * s
        for value, label in _ticks(x_lo, x_hi):
            px = (left + (value - x_lo) / (x_hi - x_lo) * plot_w) * s
            draw.line((px, bottom, px, bottom + tick), fill=TICK_RGB, width=rule)
            draw.text((px, bottom + tick + s), label, font=small, fill=TICK_RGB, anchor="mt")
        draw.text(((left + plot_w / 2) * s, bottom + tick + small.size * 1.3 + s), "x", font=font, fill=TEXT_RGB,
                  anchor="mt")
        widest = 0
        for value, label in _ticks(y_lo, y_hi):
            py = (top + (y_hi - value) / (y_hi - y_lo) * plot_h) * s
            draw.line((left * s - tick, py, left * s, py), fill=TICK_RGB, width=rule)
            draw.text((left * s - tick - pad / 2, py), label, font=small, fill=TICK_RGB, anchor="rm")
            widest = max(widest, _text_width(small, label))
        draw.text((left * s - tick - pad - widest, (top + plot_h / 2) * s), "y", font=font, fill=TEXT_RGB,
                  anchor="rm")
        self._legend(draw, font, s)
        return canvas.reduce(s)

    def _legend(self, draw, font, s):
        lay = self.layout
        swatch, size = round(lay.font_size * 2.6) * s, lay.font_size * s
        texts = legend_texts(self.scene, self.surface)
        for i, (text, (x, y, room)) in enumerate(zip(texts, lay.legend)):
            x, y, middle = x * s, y * s, x * s + swatch * 0.35
            if i < len(self.colours):
                colour = self.colours[i]
                draw.line((x, y, x + swatch * 0.7, y), fill=colour, width=round(self.line_width * s))
                _draw_marker(draw, self.symbols[i], middle, y, self.line_width * 0.9 * s * 1.6, colour)
            elif text == t("minimum", self.lang) and i == len(self.colours):
                draw.polygon(_star(middle, y, size * 0.55), fill=MARKER_RGB, outline=WHITE,
                             width=max(s, round(s * self.scale)))
            else:
                r = size * 0.3
                draw.ellipse((middle - r, y - r, middle + r, y + r), fill=WHITE, outline=MARKER_RGB,
                             width=round(s * 2.5 * self.scale))
            shown = _fit(self.font, text, room + 0.5)  # decided at 1×: the 2× font's widths differ slightly
            draw.text((x + swatch, y), shown, font=font, fill=TEXT_RGB, anchor="lm")

    # the paths so far

    def _restart(self):
        self.canvas = self.base.copy()
        self.draw = ImageDraw.Draw(self.canvas)
        self.plot = self.canvas.reduce(SCALE)
        self.drawn = -1  # the last step drawn on the canvas

    def _grow(self, node: int):
        """The canvas up to step ``node``: step by step, each run's segment into it and its marker on it (the
        same strokes whatever frames were drawn before); the 1× picture brought up to date where it changed."""
        if node < self.drawn:
            self._restart()
        line, radius = max(1, round(self.line_width * SCALE)), self.line_width * 0.9 * SCALE
        changed = []
        for k in range(self.drawn + 1, node + 1):
            for i, points in enumerate(self.paths_px):
                if k >= len(points):
                    continue
                p, q, keep = self.segments[i]
                if k and keep[k - 1]:
                    self.draw.line((*p[k - 1], *q[k - 1]), fill=self.colours[i], width=line)
                    changed += [p[k - 1], q[k - 1]]
                if self.inside[i][k]:
                    _draw_marker(self.draw, self.symbols[i], *points[k], radius, self.colours[i])
                    changed.append(points[k])
        self.drawn = max(self.drawn, node)
        region = _region(np.array(changed), line + radius + 2, self.plot.size) if changed else None
        if region:
            x0, y0, x1, y1 = region
            self.plot.paste(self.canvas.crop((x0 * SCALE, y0 * SCALE, x1 * SCALE, y1 * SCALE)).reduce(SCALE), (x0, y0))

    # moving parts

    def _at(self, tr, s: float):
        """Where run ``tr`` is at position ``s`` (held at its last point once there): (step k reached, the way
        to k + 1 gone, 0 ≤ fraction < 1, the point x_k + fraction·(x_(k+1) − x_k))."""
        held = min(s, len(tr.xy) - 1)
        k = math.floor(held)
        fraction = held - k
        return k, fraction, tr.xy[k] if fraction == 0 else tr.xy[k] + fraction * (tr.xy[k + 1] - tr.xy[k])

    def _moving_segments(self, s: float) -> Image.Image:
        """The 1× picture of the paths so far with each run's segment from its last step to its marker."""
        plot = self.plot.copy()
        runs, starts, ends = [], [], []
        for i, (tr, points) in enumerate(zip(self.trajectories, self.paths_px)):
            k, fraction, _ = self._at(tr, s)
            if fraction:
                runs.append(i)
                starts.append(points[k])
                ends.append(points[k] + fraction * (points[k + 1] - points[k]))
        if not runs:
            return plot
        p, q, keep = _clip_segments(np.array(starts), np.array(ends), *self.box)
        line = max(1, round(self.line_width * SCALE))
        region = _region(np.concatenate([p[keep], q[keep]]), line + 2, plot.size) if keep.any() else None
        if region:
            x0, y0, x1, y1 = region
            origin = np.array([x0, y0]) * SCALE
            patch = self.canvas.crop((x0 * SCALE, y0 * SCALE, x1 * SCALE, y1 * SCALE))
            draw = ImageDraw.Draw(patch)
            for i, a, b in zip(np.array(runs)[keep], p[keep], q[keep]):
                draw.line((*(a - origin), *(b - origin)), fill=self.colours[i], width=line)
            plot.paste(patch.reduce(SCALE), (x0, y0))
        return plot

    def _place_markers(self, plot, s: float) -> list:
        """Each run's marker where it is at ``s`` (a diverged run's ✕ at the edge once it stopped); returns the
        notes to write: (run, x, y, "diverged at step k")."""
        lay = self.layout
        left, top, plot_w, plot_h = lay.plot
        notes = []
        for i, tr in enumerate(self.trajectories):
            _, _, point = self._at(tr, s)
            cx, cy = lay.pixel(point) - (left, top)
            if tr.status == "diverged" and s >= len(tr.xy) - 1:
                sprite, offset = self.crosses[i]
                cx = float(np.clip(cx, offset, plot_w - 1 - offset))  # keep the ✕ in view
                cy = float(np.clip(cy, offset, plot_h - 1 - offset))
                notes.append((i, cx + left, cy + top, t("diverged at step {k}", self.lang, k=tr.stopped_at)))
            else:
                sprite, offset = self.position_markers[i]
                if not (-offset <= cx <= plot_w + offset and -offset <= cy <= plot_h + offset):
                    continue
            plot.paste(sprite, (math.floor(cx) - offset, math.floor(cy) - offset), sprite)
        return notes

    def _draw_arrows(self, plot, s: float):
        """On each moving run, the update it is travelling (update k from x_(k−1) to x_k while its marker is
        between them) taken apart: its parts head to tail from x_(k−1), in the rule's order, true vectors in
        data units clipped to the plot, each with a small head; drawn at SCALE× over the region they cover."""
        left, top, plot_w, plot_h = self.layout.plot
        chains = []
        for tr, parts in zip(self.trajectories, self.parts):
            if not parts or s >= len(tr.xy) - 1:
                continue
            k = math.floor(s) + 1
            corners = tr.xy[k - 1] + np.cumsum([np.zeros(2)] + [vectors[k - 1] for _, vectors in parts], axis=0)
            if np.all(np.isfinite(corners)):
                chains.append(((self.layout.pixel(corners) - (left, top)) * SCALE - 0.5, [c for c, _ in parts]))
        if not chains:
            return
        high_x, high_y = plot_w * SCALE - 1, plot_h * SCALE - 1
        width, head = max(1, round(0.8 * self.line_width * SCALE)), 3 * self.line_width * SCALE
        shapes = [(colour, *_arrow_shape(a, b, head, high_x, high_y))
                  for corners, colours in chains for a, b, colour in zip(corners[:-1], corners[1:], colours)]
        points = [np.array(shaft) for _, shaft, _ in shapes if shaft] + [np.array(tip) for *_, tip in shapes if tip]
        region = _region(np.concatenate(points), width + 2, plot.size) if points else None
        if not region:
            return
        x0, y0, x1, y1 = region
        origin = np.array([x0, y0]) * SCALE
        patch = plot.crop(region).resize(((x1 - x0) * SCALE, (y1 - y0) * SCALE), Image.Resampling.NEAREST)
        draw = ImageDraw.Draw(patch)
        for colour, shaft, triangle in shapes:
            if shaft:
                draw.line((*(shaft[0] - origin), *(shaft[1] - origin)), fill=colour, width=width)
            if triangle:
                draw.polygon([tuple(np.array(corner) - origin) for corner in triangle], fill=colour)
        plot.paste(patch.reduce(SCALE), (x0, y0))

    def frame(self, position: float) -> Image.Image:
        """The picture at ``position`` (a step; between two steps, the markers on the segment between them): the
        paths so far (over the faint whole paths unless hide_future), each run's marker, its arrows, "step k"."""
        s = float(np.clip(position, 0, self.longest - 1))
        self._grow(math.floor(s))
        plot = self._moving_segments(s)
        notes = self._place_markers(plot, s)
        self._draw_arrows(plot, s)
        lay = self.layout
        left, top, plot_w, _ = lay.plot
        frame = self.chrome.copy()
        frame.paste(plot, (left, top))
        draw_frame = ImageDraw.Draw(frame)
        draw_frame.text((left + plot_w, top / 2), self._step_text(math.floor(s), self.longest - 1), font=self.font,
                        fill=TEXT_RGB, anchor="rm")
        for i, x, y, text in notes:
            room = _text_width(self.font, text)
            x = float(np.clip(x, room / 2 + 2, lay.width - room / 2 - 2))
            y = y - lay.font_size * 0.9 if y > top + lay.font_size * 1.5 else y + lay.font_size * 0.9
            draw_frame.text((x, y), text, font=self.font, fill=self.colours[i], anchor="mm",
                            stroke_width=max(2, round(2 * self.scale)), stroke_fill=WHITE)
        return frame

    def frames(self, positions):
        """One RGB image per position of ``positions`` (``frame``), made one at a time."""
        for position in positions:
            yield self.frame(position)


def _renderer(scene, trajectories, size, width, height, **look) -> _Renderer:
    width, height = picture_size(size, width, height)
    return _Renderer(scene, trajectories, width=width, height=height, **look)


def animation_frames(scene, trajectories, *, steps_per_second: float | None = None, fps: float = GIF_FPS,
                     max_frames: int = GIF_MAX_FRAMES, size=None, width: int | None = None, height: int | None = None,
                     hide_future: bool = False, arrows: bool = False, palette=fg.PALETTE, symbols=fg.SYMBOLS,
                     line_width: float = 3, font_size: int | None = None):
    """RGB PIL images (a generator), one per frame of ``animation_timeline``: the surface, the paths so far
    (over the whole paths drawn faint), the current positions gliding along the segments, the minima, a
    legend and "step k".

    Args:
        scene: the page's scene: its surface, runs and language.
        trajectories: one ``optim_core.Trajectory`` per run of the scene, in its order.
        steps_per_second: the speed, 0.5 … 1000 steps a second, at most the whole run in 2 s (as the stage);
            None: the whole run in ``DEFAULT_SECONDS`` (see ``animation_timeline``).
        fps, max_frames: frames a second, and at most this many frames (then fewer a second, see
            ``animation_timeline``); the GIF's defaults.
        size: one of ``RESOLUTIONS`` (value or name), or None: ``width`` × ``height`` (default 960 × 600, at
            least 200 × 150); lines and type grow with the picture (``picture_scale``).
        hide_future: draw only the path so far (no faint whole path ahead of the markers).
        arrows: draw on each moving marker its update's parts (``_Renderer._draw_arrows``); a run kept without
            its state (record_state=False) and with a stateful rule gets none.
        palette, symbols: a colour and a marker shape per run (cycled), as in the figure.
        line_width: the paths' width in pixels at 960 × 600.
        font_size: in pixels at 960 × 600; None: 2.7 % of the height.
    """
    trajectories = tuple(trajectories)
    timeline = animation_timeline(fg.longest_run(trajectories), steps_per_second=steps_per_second, fps=fps,
                                  max_frames=max_frames, gif=True)
    renderer = _renderer(scene, trajectories, size, width, height, palette=palette, symbols=symbols,
                         line_width=line_width, font_size=font_size, hide_future=hide_future, arrows=arrows)
    return renderer.frames(timeline.positions)


def png_bytes(scene, trajectories, step: float | None = None, *, size=None, width: int | None = None,
              height: int | None = None, hide_future: bool = False, arrows: bool = False, palette=fg.PALETTE,
              symbols=fg.SYMBOLS, line_width: float = 3, font_size: int | None = None) -> bytes:
    """One frame as PNG, the "current view": the paths up to ``step``, the same picture as the animation's frame
    at that position (a frame depends on nothing else).

    Args:
        scene, trajectories: as in ``animation_frames``.
        step: the position shown, clipped to the runs' steps (between two steps, the markers on the segment
            between them, as an animation frame shows them); None: the longest run's last.
        size, width, height, hide_future, arrows, palette, symbols, line_width, font_size: as in
            ``animation_frames``.
    """
    if step is not None and not math.isfinite(step):
        raise ValueError(f"step must be a finite number (a step of the runs), got {step!r}")
    renderer = _renderer(scene, trajectories, size, width, height, palette=palette, symbols=symbols,
                         line_width=line_width, font_size=font_size, hide_future=hide_future, arrows=arrows)
    buffer = io.BytesIO()
    renderer.frame(renderer.longest - 1 if step is None else step).save(buffer, format="PNG")
    return buffer.getvalue()


def _gif_palette(samples, colours) -> tuple:
    """One palette for every frame: (RGB colours, how many lead exactly): the run, arrow, text and marker
    colours, then the colours that best cover the sample frames (the surface's bands, antialiased edges);
    255 in all, so that a frame can spare an index (``GIF_TRANSPARENT``) for its unchanged pixels.

    The exact colours' 4×4×4 colour cells belong to them alone (see ``_PaletteIndex``)."""
    exact = list(dict.fromkeys([WHITE, TEXT_RGB, MARKER_RGB, TICK_RGB, *colours]))
    strip = Image.new("RGB", (samples[0].width, sum(s.height for s in samples)))
    y = 0
    for sample in samples:
        strip.paste(sample, (0, y))
        y += sample.height
    fitted = strip.quantize(255 - len(exact), method=Image.Quantize.MEDIANCUT).getpalette()[: 3 * (255 - len(exact))]
    taken = {_cell(rgb) for rgb in exact}
    rest = [rgb for rgb in zip(fitted[0::3], fitted[1::3], fitted[2::3]) if _cell(rgb) not in taken]
    return exact + rest, len(exact)


def _cell(rgb) -> int:
    return (rgb[0] >> 2) << 12 | (rgb[1] >> 2) << 6 | rgb[2] >> 2


class _PaletteIndex:
    """Maps RGB pixels onto a fixed palette: each 4×4×4 colour cell to the palette colour nearest its
    centre (worked out for the cells that occur), the cell of a palette's leading ``exact`` colour
    to that colour.  (Pillow's ``quantize(palette=…)`` maps white to a grey one cell away.)"""

    def __init__(self, colours: list, exact: int):
        self.colours = np.array(colours, dtype=float)
        self.palette_bytes = bytes(np.array(colours + [colours[0]] * (256 - len(colours)), dtype=np.uint8))
        self.table = np.full(1 << 18, -1, dtype=np.int16)
        for i, rgb in enumerate(colours[:exact]):
            self.table[_cell(rgb)] = i

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """Palette indices (uint8) of RGB pixels (..., 3)."""
        rgb = rgb >> 2
        cells = (rgb[..., 0].astype(np.int32) << 12) | (rgb[..., 1].astype(np.int32) << 6) | rgb[..., 2]
        index = self.table[cells]
        if index.size and index.min() < 0:
            new = np.unique(cells[index < 0])
            centres = np.stack([new >> 12, (new >> 6) & 63, new & 63], axis=-1) * 4 + 1.5
            distances = ((centres[:, None, :] - self.colours[None]) ** 2).sum(axis=-1)
            self.table[new] = distances.argmin(axis=1)
            index = self.table[cells]
        return index.astype(np.uint8)


def _gif_header(size: tuple, palette_bytes: bytes) -> bytes:
    """A GIF's start: its size, the 256-colour global palette, and "loop for ever" (NETSCAPE2.0)."""
    screen = struct.pack("<6sHHBBB", b"GIF89a", *size, 0xF7, 0, 0)  # global palette of 2⁸ colours, 8 bits each
    return screen + palette_bytes + b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"


def _gif_frame(indices: np.ndarray, offset: tuple, centiseconds: int, transparent: bool) -> bytes:
    """One frame of a GIF: how long it shows and how (left in place; ``GIF_TRANSPARENT`` pixels let the
    previous frame show through if ``transparent``), then the box ``indices`` (rows × columns of palette
    indices) at ``offset``, LZW-coded by Pillow (a one-frame GIF's image block, moved to ``offset``)."""
    control = struct.pack("<4BHBB", 0x21, 0xF9, 4, 0x04 | transparent, centiseconds, GIF_TRANSPARENT, 0)
    buffer = io.BytesIO()
    Image.frombytes("L", indices.shape[::-1], indices.tobytes()).convert("P").save(
        buffer, format="GIF", optimize=False, interlace=False)
    data = buffer.getvalue()
    at = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)  # past the header and global palette
    while data[at] == 0x21:  # extensions: label, then sub-blocks up to an empty one
        at += 2
        while data[at]:
            at += data[at] + 1
        at += 1
    assert data[at] == 0x2C and data[-1] == 0x3B, "not a one-frame GIF"
    return control + b"\x2c" + struct.pack("<HH", *offset) + data[at + 5:-1]


def _changed_box(previous: Image.Image | None, current: Image.Image):
    """Where frame ``current`` differs from ``previous``: its box (x0, y0, x1, y1) and which pixels of the box
    changed (rows × columns); the whole frame first, an empty 1 × 1 box when nothing changed."""
    if previous is None:
        return (0, 0, *current.size), None
    difference = ImageChops.difference(previous, current)
    box = difference.getbbox()
    if box is None:
        return (0, 0, 1, 1), np.zeros((1, 1), dtype=bool)
    return box, np.asarray(difference.crop(box)).any(axis=-1)


def gif_bytes(scene, trajectories, *, steps_per_second: float | None = None, fps: float = GIF_FPS,
              hold_last: float = 1.0, max_frames: int = GIF_MAX_FRAMES, size=None, width: int | None = None,
              height: int | None = None, hide_future: bool = False, arrows: bool = False, palette=fg.PALETTE,
              symbols=fg.SYMBOLS, line_width: float = 3, font_size: int | None = None) -> bytes:
    """An animated GIF of ``animation_frames`` that loops, written frame by frame: each frame only the box that
    changed since the one before, its unchanged pixels transparent (memory: two frames, not the animation).

    Args:
        scene, trajectories: as in ``animation_frames``.
        steps_per_second: the speed, 0.5 … 1000 steps a second, at most the whole run in 2 s (as the stage);
            None: the whole run in ``DEFAULT_SECONDS`` (see ``animation_timeline``).
        fps: frames a second; a GIF's frame lasts whole hundredths of a second: round(100/fps)/100 s, at least
            0.02 s (fps 20: 0.05 s).
        hold_last: seconds the last frame stays longer.
        max_frames: at most this many frames (300): a longer animation gets longer frames (lower fps, the same
            speed; ``animation_timeline``).
        size, width, height, hide_future, arrows, palette, symbols, line_width, font_size: as in
            ``animation_frames``.
    """
    trajectories = tuple(trajectories)
    timeline = animation_timeline(fg.longest_run(trajectories), steps_per_second=steps_per_second, fps=fps,
                                  max_frames=max_frames, gif=True)
    renderer = _renderer(scene, trajectories, size, width, height, palette=palette, symbols=symbols,
                         line_width=line_width, font_size=font_size, hide_future=hide_future, arrows=arrows)
    positions = timeline.positions
    samples = [renderer.frame(positions[0]), renderer.frame(positions[-1])]
    exact = renderer.colours + ([_rgb(colour) for colour in ARROW_COLOURS.values()] if arrows else [])
    to_palette = _PaletteIndex(*_gif_palette(samples, exact))
    delays = [int(timeline.frame_seconds * 100)] * len(positions)
    delays[-1] = min(delays[-1] + round(100 * hold_last), 65535)
    out = io.BytesIO()
    out.write(_gif_header((renderer.layout.width, renderer.layout.height),
                          to_palette.palette_bytes))
    previous = None
    for frame, delay in zip(renderer.frames(positions), delays):
        box, changed = _changed_box(previous, frame)
        indices = to_palette(np.asarray(frame.crop(box)))
        if changed is not None:
            indices[~changed] = GIF_TRANSPARENT
        out.write(_gif_frame(indices, box[:2], delay, changed is not None))
        previous = frame
    out.write(b"\x3b")
    return out.getvalue()


def mp4_bytes(scene, trajectories, *, steps_per_second: float | None = None, fps: float = MP4_FPS,
              hold_last: float = 1.0, crf: int = 20, max_frames: int = MP4_MAX_FRAMES, size=None,
              width: int | None = None, height: int | None = None, hide_future: bool = False, arrows: bool = False,
              palette=fg.PALETTE, symbols=fg.SYMBOLS, line_width: float = 3, font_size: int | None = None) -> bytes:
    """An H.264 MP4 of ``animation_frames``, encoded by the ffmpeg binary that the ``imageio-ffmpeg``
    wheel ships.

    Args:
        scene, trajectories: as in ``animation_frames``.
        steps_per_second: the speed, 0.5 … 1000 steps a second, at most the whole run in 2 s (as the stage);
            None: the whole run in ``DEFAULT_SECONDS`` (see ``animation_timeline``).
        fps: frames a second (30).
        hold_last: seconds for which the last frame is repeated.
        crf: x264's quality (lower is better and bigger).
        max_frames: at most this many frames before the held ones (600): a longer animation gets fewer frames
            a second (whole hundredths of one, the same speed; ``animation_timeline``).
        size, width, height: as in ``animation_frames``, an odd width or height rounded down to even (yuv420p).
        hide_future, arrows, palette, symbols, line_width, font_size: as in ``animation_frames``.
    """
    import imageio_ffmpeg

    trajectories = tuple(trajectories)
    timeline = animation_timeline(fg.longest_run(trajectories), steps_per_second=steps_per_second, fps=fps,
                                  max_frames=max_frames)
    width, height = picture_size(size, width, height)
    width, height = width - width % 2, height - height % 2
    renderer = _Renderer(scene, trajectories, width=width, height=height, palette=palette, symbols=symbols,
                         line_width=line_width, font_size=font_size, hide_future=hide_future, arrows=arrows)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "paths.mp4")
        writer = imageio_ffmpeg.write_frames(path, (width, height), fps=timeline.fps, codec="libx264",
                                             pix_fmt_out="yuv420p", quality=None, macro_block_size=2,
                                             ffmpeg_log_level="error",
                                             output_params=["-crf", str(crf), "-preset", "medium",
                                                            "-movflags", "+faststart"])
        writer.send(None)  # starts ffmpeg
        try:
            frame = None
            for frame in renderer.frames(timeline.positions):
                writer.send(frame.tobytes())
            for _ in range(round(hold_last * timeline.fps)):
                writer.send(frame.tobytes())
        finally:
            writer.close()
        with open(path, "rb") as file:
            return file.read()


# --- numbers ----------------------------------------------------------------------------------------------


def _number(value):
    """A float for JSON: None when it is not finite."""
    value = float(value)
    return value if math.isfinite(value) else None


def query_string(scene) -> str:
    """The shareable link's query: ``to_query`` URL-encoded."""
    return urllib.parse.urlencode(page_model.to_query(scene), doseq=True)


def _schedule(scene) -> dict:
    """The scene's lr schedule (its name and every parameter, used or not) and the momentum ramp."""
    fields = {name: getattr(scene, name) for name in page_model.scene.SCHEDULE_FIELDS[1:]}
    return {"name": scene.schedule, **fields, "mu_ramp": scene.mu_ramp}


def _surface_record(scene, surface) -> dict:
    record = {"id": scene.surface, "params": dict(scene.surface_params), "title": surface.title,
              "latex": surface.latex, "x_range": list(map(float, surface.x_range)),
              "y_range": list(map(float, surface.y_range)),
              "minima": [[float(x), float(y)] for x, y in surface.minima],
              "f_min": None if surface.f_min is None else float(surface.f_min)}
    if getattr(scene, "formula", ""):
        record["formula"] = scene.formula
    return record


CSV_COLUMNS = ("run", "label", "optimizer", "step", "x", "y", "f", "f_minus_fmin", "step_norm", "status")


def _csv_cell(value) -> str:
    """One CSV cell: a float in its shortest exact form (``repr``), NaN as an empty cell (a missing value
    to pandas and to spreadsheets), ±inf as ``inf``/``-inf`` (which pandas reads as floats)."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else repr(float(value))
    return str(value)


def _hyper_columns(runs) -> list:
    """Every hyperparameter name of the scene's runs, in order of first appearance (lr first)."""
    names = []
    for run in runs:
        names += [name for name, _ in run.hyper if name not in names]
    clash = set(names) & set(CSV_COLUMNS)
    if clash:  # an engine change would have to rename one of them
        raise ValueError(f"hyperparameter names {sorted(clash)} clash with the CSV's columns {CSV_COLUMNS}")
    return names


def trajectories_csv(scene, trajectories) -> str:
    """Every run's path as one tidy table: a header row, then one row per (run, step), nothing else, so
    ``pandas.read_csv`` and a spreadsheet open it as it is.

    Columns: ``run`` (1, 2, …: the page's "Run n"), ``label``, ``optimizer``, ``step`` (k = 0 … n),
    ``x``, ``y``, ``f`` = f(x_k), ``f_minus_fmin`` = f(x_k) − f* (empty when the surface's minimum value is
    unknown), ``step_norm`` = ‖x_k − x_(k−1)‖ (empty at step 0), ``status`` (the run's outcome: max_steps,
    converged or diverged), then one column per hyperparameter of the scene's runs (lr, mu, beta1, …),
    empty where a run's optimizer has no such hyperparameter; ``lr`` is the slider's value, before any
    schedule.  The scene itself (surface, formula, domain, start, schedule, noise, seed, the page's
    link) is in ``trajectories_json``.
    """
    trajectories = tuple(trajectories)
    if len(trajectories) != len(scene.runs):
        raise ValueError(f"{len(trajectories)} trajectories for {len(scene.runs)} runs: give one per run")
    f_min = scene.surface_object().f_min
    hyper_names = _hyper_columns(scene.runs)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(CSV_COLUMNS + tuple(hyper_names))
    for i, (run, tr) in enumerate(zip(scene.runs, trajectories), start=1):
        label, norms, hyper = run.label(), tr.step_norm, dict(run.hyper)
        hyper_cells = [_csv_cell(hyper.get(name)) for name in hyper_names]
        for k, ((x, y), loss) in enumerate(zip(tr.xy.tolist(), tr.loss.tolist())):
            loss = float(loss)
            cells = [i, label, run.optimizer, k, x, y, loss, None if f_min is None else loss - float(f_min),
                     None if k == 0 else float(norms[k - 1]), tr.status]
            writer.writerow([_csv_cell(value) for value in cells] + hyper_cells)
    return out.getvalue()


def trajectories_json(scene, trajectories) -> str:
    """The scene and every run's path as JSON (format ``optimizer-trajectories/1``)."""
    surface = scene.surface_object()
    runs = []
    for run, tr in zip(scene.runs, trajectories):
        runs.append({"optimizer": run.optimizer, "label": run.label(), "hyperparameters": dict(run.hyper),
                     "status": tr.status, "stopped_at": int(tr.stopped_at), "xy": tr.xy.tolist(),
                     "loss": [_number(v) for v in tr.loss]})
    document = {"format": FORMAT, "surface": _surface_record(scene, surface), "start": list(scene.start),
                "steps": scene.steps, "noise": scene.noise, "seed": scene.seed, "schedule": _schedule(scene),
                "query": query_string(scene), "runs": runs}
    return json.dumps(document, allow_nan=False, ensure_ascii=False)


