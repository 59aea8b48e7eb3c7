"""Downloads of a scene, for the page's download buttons; pure functions, no Streamlit.

``standalone_html`` (str): the animated Plotly figure with plotly.js inlined, plays offline.
``gif_bytes``, ``mp4_bytes``, ``png_bytes``: pictures drawn by ``animation_frames`` (Pillow).
``trajectories_csv``, ``trajectories_json`` (str): every run's numbers and how to reproduce them.

The pictures: the surface (``figures.background``) is drawn once; lines and markers are drawn at
twice the size and scaled down (antialiasing); the path canvas grows frame by frame, so a frame
draws only its new segments, then the current positions and "step k" on a copy.
"""

from __future__ import annotations

import base64
import csv
import functools
import io
import json
import math
import os
import re
import tempfile
import urllib.parse
from dataclasses import dataclass
from html import escape

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

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


class _Renderer:
    """Draws frames of one scene: the static parts once, the paths incrementally."""

    def _step_text(self, k: int, last: int) -> str:
        return t("step {k} / {n}", self.lang, k=k, n=last)

    def __init__(self, scene, trajectories, *, width, height, palette, symbols, line_width, font_size):
        trajectories = tuple(trajectories)
        if len(trajectories) != len(scene.runs):
            raise ValueError(f"{len(trajectories)} trajectories for {len(scene.runs)} runs: give one per run")
        self.surface = scene.surface_object()
        self.scene, self.trajectories = scene, trajectories
        self.longest = fg.longest_run(trajectories)
        self.layout = frame_layout(scene, width=width, height=height, font_size=font_size, surface=self.surface)
        self.lang = picture_language(scene)
        self.font = _font(self.layout.font_size, self.lang)
        self.colours = [_rgb(palette[i % len(palette)]) for i in range(len(trajectories))]
        self.symbols = [symbols[i % len(symbols)] for i in range(len(trajectories))]
        self.line_width = line_width
        left, top, plot_w, plot_h = self.layout.plot
        # data → plot-canvas pixels at SCALE× (Pillow's coordinates: pixel centres at integers)
        self.paths_px = [(self.layout.pixel(tr.xy) - (left, top)) * SCALE - 0.5 for tr in trajectories]
        self.base = self._surface_canvas(plot_w, plot_h)
        self.chrome = self._chrome()
        size = self.layout.font_size
        self.position_markers = [_position_sprite(colour, symbol, diameter=5 * line_width + 3)  # Plotly's "now" size
                                 for colour, symbol in zip(self.colours, self.symbols)]
        self.crosses = [_cross_sprite(c, arm=size * 0.45, stroke=max(2.5, size / 5.5)) for c in self.colours]

    def frame_steps(self, max_frames: int):
        """The steps that get a frame: the figure's (``figures.frame_steps``)."""
        return fg.frame_steps(self.longest, max_frames)

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
        size = self.layout.font_size * SCALE

        def at(points):
            return (self.layout.pixel(points) - origin) * SCALE - 0.5

        saddles = self.surface.saddles if len(self.surface.saddles) <= 12 else np.zeros((0, 2))
        for cx, cy in at(saddles):
            a = size * 0.3
            draw.line((cx - a, cy - a, cx + a, cy + a), fill=(51, 51, 51), width=round(SCALE * 1.5))
            draw.line((cx - a, cy + a, cx + a, cy - a), fill=(51, 51, 51), width=round(SCALE * 1.5))
        for cx, cy in at(self.surface.minima[:40]):
            draw.polygon(_star(cx, cy, size * 0.55), fill=MARKER_RGB, outline=WHITE, width=SCALE)
        (cx, cy), r = at(np.array(self.scene.start)), size * 0.3
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=WHITE, outline=MARKER_RGB, width=round(SCALE * 2.5))
        return canvas

    def _chrome(self) -> Image.Image:
        """Everything around the surface: title, axes, ticks, legend (drawn at SCALE×, scaled down once)."""
        lay, s = self.layout, SCALE
        left, top, plot_w, plot_h = lay.plot
        canvas = Image.new("RGB", (lay.width * s, lay.height * s), WHITE)
        draw = ImageDraw.Draw(canvas)
        font, small = _font(lay.font_size * s, self.lang), _font(max(8, round(lay.font_size * 0.8)) * s, self.lang)
        pad, tick = round(lay.font_size * 0.6) * s, round(lay.font_size * 0.35) * s
        draw.rectangle((left * s - s, top * s - s, (left + plot_w) * s, (top + plot_h) * s - 1 + s),
                       outline=(120, 120, 120), width=s)
        title_room = (left + plot_w - left) * s - _text_width(font, self._step_text(0, 0).replace("0", "0000")) - pad
        title = surface_title(self.surface, self.lang)
        draw.text((left * s, top * s / 2), _fit(font, title, title_room), font=font, fill=TEXT_RGB, anchor="lm")
        (x_lo, x_hi), (y_lo, y_hi) = lay.x_range, lay.y_range
        bottom = (top + plot_h) * s
        for value, label in _ticks(x_lo, x_hi):
            px = (left + (value - x_lo) / (x_hi - x_lo) * plot_w) * s
            draw.line((px, bottom, px, bottom + tick), fill=TICK_RGB, width=s)
            draw.text((px, bottom + tick + s), label, font=small, fill=TICK_RGB, anchor="mt")
        draw.text(((left + plot_w / 2) * s, bottom + tick + small.size * 1.3 + s), "x", font=font, fill=TEXT_RGB,
                  anchor="mt")
        widest = 0
        for value, label in _ticks(y_lo, y_hi):
            py = (top + (y_hi - value) / (y_hi - y_lo) * plot_h) * s
            draw.line((left * s - tick, py, left * s, py), fill=TICK_RGB, width=s)
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
                draw.polygon(_star(middle, y, size * 0.55), fill=MARKER_RGB, outline=WHITE, width=s)
            else:
                r = size * 0.3
                draw.ellipse((middle - r, y - r, middle + r, y + r), fill=WHITE, outline=MARKER_RGB,
                             width=round(s * 2.5))
            shown = _fit(self.font, text, room + 0.5)  # decided at 1×: the 2× font's widths differ slightly
            draw.text((x + swatch, y), shown, font=font, fill=TEXT_RGB, anchor="lm")

    # moving parts

    def _draw_path_part(self, draw, points: np.ndarray, colour, symbol, first: bool):
        """Segments through ``points`` (SCALE× pixels) and a marker at each point (the first one too if ``first``)."""
        width, height = draw.im.size
        margin = 4 * self.line_width * SCALE
        low, high_x, high_y = -margin, width + margin, height + margin
        line = max(1, round(self.line_width * SCALE))
        if len(points) > 1:
            inside = np.all((points >= low) & (points <= (high_x, high_y)))
            if inside:
                draw.line([tuple(p) for p in points], fill=colour, width=line, joint="curve")
            else:
                p, q, keep = _clip_segments(points[:-1], points[1:], low, high_x, high_y)
                for a, b in zip(p[keep], q[keep]):
                    draw.line((*a, *b), fill=colour, width=line)
        r = self.line_width * 0.9 * SCALE
        shown = points if first else points[1:]
        for cx, cy in shown[np.all((shown >= low) & (shown <= (high_x, high_y)), axis=1)]:
            _draw_marker(draw, symbol, cx, cy, r, colour)

    def frames(self, steps, shown=None):
        """One RGB image per step of ``steps`` (increasing; only those in ``shown`` if given): the paths up to
        that step.  The paths grow in the same chunks whatever is shown, so a frame does not depend on it."""
        canvas = self.base.copy()
        draw = ImageDraw.Draw(canvas)
        drawn = [0] * len(self.trajectories)  # points of each path already on the canvas
        lay = self.layout
        left, top, plot_w, plot_h = lay.plot
        for k in steps:
            k = int(k)
            for i, (tr, points) in enumerate(zip(self.trajectories, self.paths_px)):
                end = min(k, len(tr.xy) - 1) + 1
                if end > drawn[i]:
                    self._draw_path_part(draw, points[max(drawn[i] - 1, 0):end], self.colours[i], self.symbols[i],
                                         drawn[i] == 0)
                    drawn[i] = end
            if shown is not None and k not in shown:
                continue
            plot = canvas.reduce(SCALE)
            notes = []
            for i, tr in enumerate(self.trajectories):
                held = min(k, len(tr.xy) - 1)
                cx, cy = lay.pixel(tr.xy[held]) - (left, top)
                if tr.status == "diverged" and k >= len(tr.xy) - 1:
                    sprite, offset = self.crosses[i]
                    cx = float(np.clip(cx, offset, plot_w - 1 - offset))  # keep the ✕ in view
                    cy = float(np.clip(cy, offset, plot_h - 1 - offset))
                    notes.append((i, cx + left, cy + top, t("diverged at step {k}", self.lang, k=tr.stopped_at)))
                else:
                    sprite, offset = self.position_markers[i]
                    if not (-offset <= cx <= plot_w + offset and -offset <= cy <= plot_h + offset):
                        continue
                plot.paste(sprite, (math.floor(cx) - offset, math.floor(cy) - offset), sprite)
            frame = self.chrome.copy()
            frame.paste(plot, (left, top))
            draw_frame = ImageDraw.Draw(frame)
            draw_frame.text((left + plot_w, top / 2), self._step_text(k, self.longest - 1), font=self.font,
                            fill=TEXT_RGB, anchor="rm")
            for i, x, y, text in notes:
                room = _text_width(self.font, text)
                x = float(np.clip(x, room / 2 + 2, lay.width - room / 2 - 2))
                y = y - lay.font_size * 0.9 if y > top + lay.font_size * 1.5 else y + lay.font_size * 0.9
                draw_frame.text((x, y), text, font=self.font, fill=self.colours[i], anchor="mm", stroke_width=2,
                                stroke_fill=WHITE)
            yield frame


def animation_frames(scene, trajectories, *, width: int = 960, height: int = 600, max_frames: int = fg.MAX_FRAMES,
                     palette=fg.PALETTE, symbols=fg.SYMBOLS, line_width: float = 3, font_size: int | None = None):
    """RGB PIL images (a generator), one per step of ``figures.frame_steps``: the surface, the paths so far,
    the current positions, the minima, a legend and "step k".

    Args:
        scene: the page's scene: its surface, runs and language.
        trajectories: one ``optim_core.Trajectory`` per run of the scene, in its order.
        width, height: the pictures' size in pixels (at least 200 × 150).
        max_frames: at most this many frames, spread evenly over the longest run's steps.
        palette, symbols: a colour and a marker shape per run (cycled), as in the figure.
        line_width: the paths' width in pixels.
        font_size: in pixels; None: 2.7 % of the height.
    """
    renderer = _Renderer(scene, trajectories, width=width, height=height, palette=palette, symbols=symbols,
                         line_width=line_width, font_size=font_size)
    return renderer.frames(renderer.frame_steps(max_frames))


def png_bytes(scene, trajectories, step: int | None = None, *, width: int = 960, height: int = 600,
              max_frames: int = fg.MAX_FRAMES, palette=fg.PALETTE, symbols=fg.SYMBOLS, line_width: float = 3,
              font_size: int | None = None) -> bytes:
    """One frame as PNG, the "current view": the paths up to ``step``; at a step the animation shows,
    the same picture as its frame.

    Args:
        scene, trajectories: as in ``animation_frames``.
        step: the step shown, clipped to the runs' steps; None: the longest run's last.
        width, height, max_frames, palette, symbols, line_width, font_size: as in ``animation_frames``
            (``max_frames`` sets which steps the animation shows).
    """
    renderer = _Renderer(scene, trajectories, width=width, height=height, palette=palette, symbols=symbols,
                         line_width=line_width, font_size=font_size)
    last = renderer.longest - 1
    step = last if step is None else int(np.clip(step, 0, last))
    # the paths grow in the animation's chunks, so a frame step gives exactly the animation's frame
    before = [int(k) for k in renderer.frame_steps(max_frames) if k < step]
    buffer = io.BytesIO()
    next(renderer.frames(before + [step], shown={step})).save(buffer, format="PNG")
    return buffer.getvalue()


def _gif_palette(samples, colours) -> tuple:
    """One palette for every frame: (RGB colours, how many lead exactly): the run, text and marker colours, then the
    colours that best cover the sample frames (the surface's bands, antialiased edges); 255 in all,
    so that a frame can spare an index for its transparent "unchanged" pixels.

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
    """Maps RGB frames onto a fixed palette: each 4×4×4 colour cell to the palette colour nearest its
    centre (worked out for the cells that occur), the cell of a palette's leading ``exact`` colour
    to that colour.  (Pillow's ``quantize(palette=…)`` maps white to a grey one cell away.)"""

    def __init__(self, colours: list, exact: int):
        self.colours = np.array(colours, dtype=float)
        self.palette_bytes = bytes(np.array(colours + [colours[0]] * (256 - len(colours)), dtype=np.uint8))
        self.table = np.full(1 << 18, -1, dtype=np.int16)
        for i, rgb in enumerate(colours[:exact]):
            self.table[_cell(rgb)] = i

    def __call__(self, frame: Image.Image) -> Image.Image:
        rgb = np.asarray(frame) >> 2
        cells = (rgb[..., 0].astype(np.int32) << 12) | (rgb[..., 1].astype(np.int32) << 6) | rgb[..., 2]
        index = self.table[cells]
        if index.min() < 0:
            new = np.unique(cells[index < 0])
            centres = np.stack([new >> 12, (new >> 6) & 63, new & 63], axis=-1) * 4 + 1.5
            distances = ((centres[:, None, :] - self.colours[None]) ** 2).sum(axis=-1)
            self.table[new] = distances.argmin(axis=1)
            index = self.table[cells]
        indexed = Image.frombytes("P", frame.size, index.astype(np.uint8).tobytes())
        indexed.putpalette(self.palette_bytes)
        return indexed


def gif_bytes(scene, trajectories, *, fps: float = 20, hold_last: float = 1.0, width: int = 960,
              height: int = 600, max_frames: int = fg.MAX_FRAMES, palette=fg.PALETTE, symbols=fg.SYMBOLS,
              line_width: float = 3, font_size: int | None = None) -> bytes:
    """An animated GIF of ``animation_frames`` that loops.

    Args:
        scene, trajectories: as in ``animation_frames``.
        fps: frames a second; GIF delays are whole hundredths of a second, so a frame lasts
            round(100/fps)/100 s (fps 20: 0.05 s).
        hold_last: seconds the last frame stays longer.
        width, height, max_frames, palette, symbols, line_width, font_size: as in ``animation_frames``.
    """
    renderer = _Renderer(scene, trajectories, width=width, height=height, palette=palette, symbols=symbols,
                         line_width=line_width, font_size=font_size)
    steps = renderer.frame_steps(max_frames)
    samples = list(renderer.frames([steps[0]])) + list(renderer.frames([steps[-1]]))
    to_palette = _PaletteIndex(*_gif_palette(samples, renderer.colours))
    indexed = (to_palette(frame) for frame in renderer.frames(steps))
    durations = [10 * round(100 / fps)] * len(steps)
    durations[-1] += 10 * round(100 * hold_last)
    first = next(indexed)
    buffer = io.BytesIO()
    # optimize=True: pixels unchanged since the previous frame are written transparent (~10× smaller).
    # No palette= argument: Pillow would then remap every frame in Python (~10 ms a frame).
    first.save(buffer, format="GIF", save_all=True, append_images=indexed, duration=durations, loop=0,
               optimize=True, disposal=1)
    return buffer.getvalue()


def mp4_bytes(scene, trajectories, *, fps: float = 24, hold_last: float = 1.0, crf: int = 20, width: int = 960,
              height: int = 600, max_frames: int = fg.MAX_FRAMES, palette=fg.PALETTE, symbols=fg.SYMBOLS,
              line_width: float = 3, font_size: int | None = None) -> bytes:
    """An H.264 MP4 of ``animation_frames``, encoded by the ffmpeg binary that the ``imageio-ffmpeg``
    wheel ships.

    Args:
        scene, trajectories: as in ``animation_frames``.
        fps: frames a second.
        hold_last: seconds for which the last frame is repeated.
        crf: x264's quality (lower is better and bigger).
        width, height: as in ``animation_frames``, an odd one rounded down to even (yuv420p).
        max_frames, palette, symbols, line_width, font_size: as in ``animation_frames``.
    """
    import imageio_ffmpeg

    width, height = width - width % 2, height - height % 2
    renderer = _Renderer(scene, trajectories, width=width, height=height, palette=palette, symbols=symbols,
                         line_width=line_width, font_size=font_size)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "paths.mp4")
        writer = imageio_ffmpeg.write_frames(path, (width, height), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                                             quality=None, macro_block_size=2, ffmpeg_log_level="error",
                                             output_params=["-crf", str(crf), "-preset", "medium",
                                                            "-movflags", "+faststart"])
        writer.send(None)  # starts ffmpeg
        try:
            frame = None
            for frame in renderer.frames(renderer.frame_steps(max_frames)):
                writer.send(frame.tobytes())
            for _ in range(round(hold_last * fps)):
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
