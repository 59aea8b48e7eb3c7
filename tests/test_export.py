"""The downloads: every file is opened again and checked against the runs it was made from."""

import base64
import copy
import csv
import dataclasses
import io
import json
import math
import os
import re
import tempfile
import types
import urllib.parse

import imageio_ffmpeg
import numpy as np
import pandas as pd
import plotly.offline
import pytest
from PIL import Image

import optim_core
import surfaces
from viz import export as ex
from viz import figures as fg
import page_model as sc
from viz import styles

BOOK = sc.PRESETS["book"].scene  # f = x²/20 + y² from (−7, 2): SGD lr 0.95, Momentum, AdaGrad, Adam
ROSENBROCK = sc.PRESETS["rosenbrock"].scene  # 500 steps: more steps than frames
DIVERGING = sc.Scene(runs=(sc.RunSpec.of("sgd", lr=2.0), sc.RunSpec.of("adam", lr=0.3)))  # SGD: |1 − 2·2| = 3 in y


@pytest.fixture(scope="module")
def book():
    return BOOK, sc.simulate(BOOK)


# At 10 steps a second and 10 frames a second, frame k shows step k; without the faint whole paths ahead, a
# frame shows the paths so far only.
STEP_A_FRAME = dict(steps_per_second=10, fps=10, hide_future=True)


@pytest.fixture(scope="module")
def book_gif(book):
    return ex.gif_bytes(*book, **STEP_A_FRAME)


@pytest.fixture(scope="module")
def book_frames(book):
    return [np.asarray(frame) for frame in ex.animation_frames(*book, **STEP_A_FRAME)]


def rgb(colour):
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])


def pixel_of(layout, x, y):
    """The frame pixel (column, row) that holds data point (x, y), worked out from the plot rectangle."""
    left, top, width, height = layout.plot
    (x_lo, x_hi), (y_lo, y_hi) = layout.x_range, layout.y_range
    return left + math.floor((x - x_lo) / (x_hi - x_lo) * width), top + math.floor((y_hi - y) / (y_hi - y_lo) * height)


def distance_to_polyline(point, polyline):
    """Smallest distance from a point to the segments of a polyline (n, 2)."""
    a, b = polyline[:-1], polyline[1:]
    d = b - a
    t = np.clip(np.einsum("ij,ij->i", point - a, d) / np.maximum(np.einsum("ij,ij->i", d, d), 1e-12), 0, 1)
    return float(np.min(np.linalg.norm(a + t[:, None] * d - point, axis=1)))


def gif_frame(gif: Image.Image, index: int) -> np.ndarray:
    gif.seek(index)
    return np.asarray(gif.convert("RGB")).astype(int)


# --- HTML ---------------------------------------------------------------------------------------------


def paths_figure(scene):
    surface, trajectories = scene.surface_object(), sc.simulate(scene)
    runs = [fg.RunView(r.label(), fg.PALETTE[i], tr, optim_core.RULES[r.optimizer].adaptive, fg.SYMBOLS[i])
            for i, (r, tr) in enumerate(zip(scene.runs, trajectories))]
    return fg.paths_figure(surface, scene.start, runs, fg.background(surface), steps=scene.steps)


def payload(html: str, call: str):
    """The arguments after ``call`` in the page's script: the div id, then JSON values."""
    decoder = json.JSONDecoder()
    position = html.index(call) + len(call)
    values = []
    while True:
        while html[position] in " \n,":
            position += 1
        if html[position] == ")":
            return values
        if html[position] == "'":  # plotly.py quotes the div id with ' in addFrames
            end = html.index("'", position + 1)
            value, position = html[position + 1:end], end + 1
        else:
            value, position = decoder.raw_decode(html, position)
        values.append(value)


def test_html_inlines_plotly_js_and_loads_nothing_from_outside():
    figure = paths_figure(BOOK)
    html = ex.standalone_html(figure, "Book <comparison> & more")
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "<title>Book &lt;comparison&gt; &amp; more</title>" in html
    # no script, stylesheet or image is fetched: every <script> tag has its code inline
    script_tags = re.findall(r"<script\b[^>]*>", html)
    assert script_tags and all(tag == "<script>" for tag in script_tags)
    assert not re.search(r"<link\b", html)
    assert not re.search(r"<img\b", html)
    # the bundle is there and understands typed arrays ({"dtype", "bdata"}: plotly.js ≥ 2.28)
    version = re.search(r"plotly\.js v(\d+)\.(\d+)\.(\d+)", html)
    assert version and tuple(map(int, version.groups()[:2])) >= (2, 28)
    assert ".".join(version.groups()) == plotly.offline.get_plotlyjs_version()
    assert len(html) > 3_000_000  # the whole library, not a loader


def test_html_carries_the_whole_animation():
    figure = paths_figure(BOOK)
    html = ex.standalone_html(figure, "Book")
    div_id, data, layout, config = payload(html, "Plotly.newPlot(")
    _, frames = payload(html, "Plotly.addFrames(")
    assert div_id == "optimizer-paths" and f'id="{div_id}"' in html
    assert len(frames) == len(figure["frames"]) == 31
    assert [f["name"] for f in frames] == [f["name"] for f in figure["frames"]]
    # the numbers arrive as typed arrays, unchanged: the last frame's SGD path is the SGD run's
    sgd = sc.simulate(BOOK)[0].xy
    sgd_index = next(i for i, trace in enumerate(data) if trace.get("name") == BOOK.runs[0].label()
                     and i in frames[-1]["traces"])
    sgd_path = frames[-1]["data"][frames[-1]["traces"].index(sgd_index)]
    assert sgd_path["x"]["dtype"] == "f4"
    np.testing.assert_allclose(fg.decode(sgd_path["x"]), sgd[:, 0], rtol=1e-6)
    np.testing.assert_allclose(fg.decode(sgd_path["y"]), sgd[:, 1], rtol=1e-6)
    assert len(data) == len(figure["data"])
    # the Play buttons, the slider, the surface as an inline picture
    labels = [button["label"] for button in layout["updatemenus"][0]["buttons"]]
    assert labels[:3] == list(fg.PLAY_SECONDS) and "Pause" in labels[3]
    assert len(layout["sliders"][0]["steps"]) == 31
    assert layout["images"][0]["source"].startswith("data:image/png;base64,")
    # offline there is no app to move the start: no click hint, no selection on click
    assert layout["clickmode"] == "event"
    assert not any("click to start" in trace.get("hovertemplate", "") for trace in data)
    click_grid = next(trace for trace in data if trace.get("name") == "click grid")
    in_app = next(trace for trace in figure["data"] if trace.get("name") == "click grid")
    assert click_grid["marker"]["opacity"] == 0 and "<i>" in in_app["hovertemplate"]
    assert click_grid["hovertemplate"].startswith("x=%{x:.3g}, y=%{y:.3g}<br>f=%{customdata:.4g}")
    assert "<i>" not in click_grid["hovertemplate"] and click_grid["hovertemplate"].endswith("<extra></extra>")
    assert config["displaylogo"] is False
    assert "Plotly.animate(" not in html.split("Plotly.addFrames(")[1]  # waits for Play


# --- frames, PNG ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("scene", [BOOK, ROSENBROCK, sc.PRESETS["ill_conditioned"].scene],
                         ids=["book", "rosenbrock", "ill_conditioned"])
def test_layout_keeps_the_surface_in_proportion_and_everything_in_the_frame(scene):
    layout = ex.frame_layout(scene, width=960, height=600)
    left, top, width, height = layout.plot
    surface = scene.surface_object()
    aspect = (surface.y_range[1] - surface.y_range[0]) / (surface.x_range[1] - surface.x_range[0])
    assert abs(height - width * aspect) <= 1
    assert left >= 0 and top >= 0 and left + width <= 960 and top + height <= 600
    assert width * height > 0.35 * 960 * 600  # the surface gets most of the frame
    assert len(layout.legend) == len(scene.runs) + 2  # the runs, "minimum", "start"
    for x, y, text_width in layout.legend:
        assert 0 <= x and x + text_width <= 960 and 0 <= y <= 600
        inside_plot = left <= x <= left + width and top <= y <= top + height
        assert not inside_plot


def test_frames_show_the_surface_the_start_and_each_run_where_it_is(book, book_frames):
    scene, trajectories = book
    layout = ex.frame_layout(scene)
    left, top, width, height = layout.plot
    assert len(book_frames) == 31
    assert all(frame.shape == (600, 960, 3) and frame.dtype == np.uint8 for frame in book_frames)

    # step 0: every run is at the start; the last run's marker is drawn on top
    column, row = pixel_of(layout, *scene.start)
    assert np.abs(book_frames[0][row, column].astype(int) - rgb(fg.PALETTE[3])).max() <= 2

    # far from every path the picture is figures.background's, decoded independently, over white
    picture = Image.open(io.BytesIO(base64.b64decode(fg.background(scene.surface_object(), width=width).uri[22:])))
    assert picture.size == (width, height)
    surface_rgba = np.asarray(picture.convert("RGBA")).astype(int)
    for x, y in [(8.0, -4.0), (-9.0, 4.5), (5.0, 3.0), (9.5, 0.0)]:
        column, row = pixel_of(layout, x, y)
        expected = surface_rgba[row - top, column - left, :3]
        for frame in (book_frames[0], book_frames[-1]):
            assert np.abs(frame[row, column].astype(int) - expected).max() <= 2, (x, y)

    # the last frame: each run's marker sits on its last point (markers are drawn in run order, so a
    # run is checked where no later run's marker covers it)
    ends = np.array([tr.xy[-1] for tr in trajectories])
    pixels = layout.pixel(ends)
    checked = 0
    for i, (x, y) in enumerate(ends):
        if np.min(np.linalg.norm(pixels[i + 1:] - pixels[i], axis=1), initial=np.inf) > 24:
            column, row = pixel_of(layout, x, y)
            assert np.abs(book_frames[-1][row, column].astype(int) - rgb(fg.PALETTE[i])).max() <= 2, i
            checked += 1
    assert checked >= 2


def test_paths_are_drawn_in_their_colours_and_grow_frame_by_frame(book, book_frames):
    scene, trajectories = book
    layout = ex.frame_layout(scene)
    paths = [layout.pixel(tr.xy) for tr in trajectories]
    marker_radius = (5 * 3 + 3) / 2 + 1.5  # Plotly's "now" size for line width 3, and its white rim

    def clear_of_markers(point, frame, runs):
        """No current-position marker of ``runs`` covers ``point`` in frame ``frame`` (frames are steps 0 … 30)."""
        return all(np.linalg.norm(paths[j][min(frame, len(paths[j]) - 1)] - point) > marker_radius + 2 for j in runs)

    for i, path in enumerate(paths):
        others = [j for j in range(len(paths)) if j != i]
        candidates = []  # segment middles away from the other paths' lines, by how far
        for k in range(len(path) - 1):
            middle = (path[k] + path[k + 1]) / 2
            clearance = min(distance_to_polyline(middle, paths[j]) for j in others)
            earlier = [f for f in range(k + 1) if clear_of_markers(middle, f, range(len(paths)))]
            if clearance > 6 and earlier and clear_of_markers(middle, k + 1, others) and \
                    clear_of_markers(middle, 30, others):
                candidates.append((clearance, k + 1, middle, earlier[-1]))
        assert candidates, i
        _, step, middle, earlier = max(candidates, key=lambda c: c[0])
        column, row = int(middle[0]), int(middle[1])
        colour = rgb(fg.PALETTE[i])
        # drawn from its step on …
        for frame in (book_frames[step], book_frames[-1]):
            assert np.abs(frame[row, column].astype(int) - colour).max() <= 8, i
        # … and not before
        assert np.abs(book_frames[earlier][row, column].astype(int) - colour).max() > 40, i


def test_png_is_the_animation_frame_of_its_step(book, book_frames):
    scene, trajectories = book
    last = Image.open(io.BytesIO(ex.png_bytes(scene, trajectories, hide_future=True)))
    assert last.format == "PNG" and last.size == (960, 600) and last.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(last), book_frames[-1])
    middle = Image.open(io.BytesIO(ex.png_bytes(scene, trajectories, step=12, hide_future=True)))
    np.testing.assert_array_equal(np.asarray(middle), book_frames[12])
    small = Image.open(io.BytesIO(ex.png_bytes(scene, trajectories, width=640, height=360)))
    assert small.size == (640, 360)


def test_png_between_frames_of_a_long_run():
    """Rosenbrock's 500 steps by default in 5 s at 20 frames a second: 100 frames of 0.05 s after the first,
    frame i at step 5i; a PNG of a step between two frames is a picture of its own."""
    trajectories = sc.simulate(ROSENBROCK)
    frames = list(ex.animation_frames(ROSENBROCK, trajectories, width=480, height=300))
    assert len(frames) == 101
    at_frame = np.asarray(Image.open(io.BytesIO(ex.png_bytes(ROSENBROCK, trajectories, step=200, width=480,
                                                             height=300))))
    np.testing.assert_array_equal(at_frame, np.asarray(frames[40]))
    picture = np.asarray(Image.open(io.BytesIO(ex.png_bytes(ROSENBROCK, trajectories, step=201, width=480,
                                                            height=300))))
    assert picture.shape == (300, 480, 3)
    assert not np.array_equal(picture, np.asarray(frames[40]))


def test_a_diverged_run_gets_a_cross_and_its_step_at_the_edge():
    trajectories = sc.simulate(DIVERGING)
    sgd = trajectories[0]
    assert sgd.status == "diverged" and sgd.stopped_at == 8 and len(sgd.xy) == 8
    assert abs(sgd.xy[-1, 1]) > 1000  # the last kept point is far below the surface's domain
    quiet = copy.copy(sgd)
    quiet.status = "max_steps"
    marked = np.asarray(Image.open(io.BytesIO(ex.png_bytes(DIVERGING, trajectories)))).astype(int)
    unmarked = np.asarray(Image.open(io.BytesIO(ex.png_bytes(DIVERGING, (quiet, trajectories[1]))))).astype(int)
    changed = np.abs(marked - unmarked).max(axis=-1) > 0
    rows, columns = np.nonzero(changed)
    layout = ex.frame_layout(DIVERGING)
    left, top, width, height = layout.plot
    column, _ = pixel_of(layout, sgd.xy[-1, 0], 0.0)
    # the ✕ and "diverged at step 8" sit at the bottom edge, above where the run left
    assert rows.max() < top + height and rows.min() > top + height - 60
    assert abs(np.median(columns) - column) < 10
    assert columns.max() - columns.min() > 80  # the text is wider than a marker
    orange = np.all(np.abs(marked - rgb(fg.PALETTE[0])) <= 8, axis=-1)
    assert np.count_nonzero(orange & changed) > 60
    # before it stopped, the run has no ✕
    before = np.asarray(Image.open(io.BytesIO(ex.png_bytes(DIVERGING, trajectories, step=6)))).astype(int)
    before_quiet = np.asarray(Image.open(io.BytesIO(ex.png_bytes(DIVERGING, (quiet, trajectories[1]), step=6))))
    np.testing.assert_array_equal(before, before_quiet)


def test_frames_refuse_mismatched_runs_and_tiny_sizes(book):
    scene, trajectories = book
    with pytest.raises(ValueError, match="trajectories"):
        list(ex.animation_frames(scene, trajectories[:2]))
    with pytest.raises(ValueError, match="too small"):
        ex.png_bytes(scene, trajectories, width=100, height=80)


def test_a_scene_without_runs_still_draws_the_surface():
    empty = sc.with_runs(BOOK, [])
    picture = Image.open(io.BytesIO(ex.png_bytes(empty, ())))
    assert picture.size == (960, 600)
    gif = Image.open(io.BytesIO(ex.gif_bytes(empty, ())))
    assert gif.n_frames == 1


# --- GIF ---------------------------------------------------------------------------------------------------


def test_gif_has_a_frame_per_step_at_the_right_pace(book_gif):
    gif = Image.open(io.BytesIO(book_gif))
    assert gif.format == "GIF" and gif.size == (960, 600)
    assert gif.n_frames == len(fg.frame_steps(31)) == 31
    assert gif.info["loop"] == 0
    durations = []
    for index in range(gif.n_frames):
        gif.seek(index)
        durations.append(gif.info["duration"])
    assert durations == [100] * 30 + [100 + 1000]  # 10 fps; the last frame held one second


def test_gif_frames_are_the_animation_frames_in_256_colours(book, book_gif, book_frames):
    scene, _ = book
    gif = Image.open(io.BytesIO(book_gif))
    for index in (0, 1, 15, 30):
        decoded = gif_frame(gif, index)
        error = np.abs(decoded - book_frames[index].astype(int))
        assert error.mean() < 1.0 and np.mean(error.max(axis=-1) > 24) < 1e-3, index
    layout = ex.frame_layout(scene)
    # the start in the first frame: Adam's marker (the last run, drawn on top), in Adam's exact colour
    column, row = pixel_of(layout, *scene.start)
    np.testing.assert_array_equal(gif_frame(gif, 0)[row, column], rgb(fg.PALETTE[3]))
    # white stays white (the frame's margins), the run colours stay exact
    last = gif_frame(gif, 30)
    np.testing.assert_array_equal(last[2, 2], [255, 255, 255])
    for i in range(4):
        exact = np.all(last == rgb(fg.PALETTE[i]), axis=-1)
        assert np.count_nonzero(exact) > 200, i


def test_gif_fps_and_size_options(book):
    scene, trajectories = book
    # 30 steps at 15 steps a second: 2 s, at 10 frames a second 20 frames of 0.1 s after the first
    gif = Image.open(io.BytesIO(ex.gif_bytes(scene, trajectories, steps_per_second=15, fps=10, hold_last=0,
                                             width=480, height=300)))
    assert gif.size == (480, 300) and gif.n_frames == 21
    gif.seek(20)
    assert gif.info["duration"] == 100
    # at most 10 frames: 2 s in 9 frames after the first, each ceil(200/9) = 23 hundredths, round(200/23) = 9
    gif = Image.open(io.BytesIO(ex.gif_bytes(scene, trajectories, steps_per_second=15, fps=10, hold_last=0,
                                             max_frames=10, width=480, height=300)))
    assert gif.n_frames == 10
    gif.seek(9)
    assert gif.info["duration"] == 230


# --- MP4 ---------------------------------------------------------------------------------------------------


def read_mp4(data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "paths.mp4")
        with open(path, "wb") as file:
            file.write(data)
        reader = imageio_ffmpeg.read_frames(path)
        meta = next(reader)
        frames = [np.frombuffer(frame, dtype=np.uint8).reshape(meta["size"][1], meta["size"][0], 3)
                  for frame in reader]
    return meta, frames


def test_mp4_is_h264_with_every_frame(book, book_frames):
    scene, trajectories = book
    data = ex.mp4_bytes(scene, trajectories, **STEP_A_FRAME)
    assert data[4:8] == b"ftyp"
    meta, frames = read_mp4(data)
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
    assert tuple(meta["size"]) == (960, 600) and meta["fps"] == 10
    assert len(frames) == 31 + 10  # the frames, then the last one held for a second
    for index in (0, 15, 30):  # lossy, but the same picture
        assert np.abs(frames[index].astype(int) - book_frames[index].astype(int)).mean() < 3, index
    assert np.abs(frames[-1].astype(int) - frames[30].astype(int)).mean() < 1  # held: the same picture


def test_mp4_rounds_odd_sizes_down_to_even(book):
    scene, trajectories = book
    meta, frames = read_mp4(ex.mp4_bytes(scene, trajectories, width=641, height=361, hold_last=0, max_frames=5))
    assert tuple(meta["size"]) == (640, 360) and len(frames) == 5


# --- playback: speed, gliding markers, hidden future, arrows, slide sizes ----------------------------------

SGD = sc.Scene(runs=(sc.RunSpec.of("sgd", lr=0.95),))  # x²/20 + y² from (−7, 2): x_k = 0.905^k·(−7), y_k = (−0.9)^k·2
MOMENTUM = sc.Scene(runs=(sc.RunSpec.of("momentum", lr=0.1, mu=0.9),))


def sgd_point(s: float) -> np.ndarray:
    """Where SGD's marker is at step s, by hand: the closed form at the steps around s, the straight line between."""
    k = math.floor(s)
    node = lambda k: np.array([0.905 ** k * -7.0, (-0.9) ** k * 2.0])  # noqa: E731
    return node(k) + (s - k) * (node(k + 1) - node(k))


def png(scene, trajectories, **options) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(ex.png_bytes(scene, trajectories, **options))).convert("RGB")).astype(int)


def marker_centre(picture, colour, layout, radius: int = 3) -> tuple:
    """The centre (continuous frame coordinates) of the one blob of exactly ``colour`` wider than the lines: its
    pixels whose whole (2·radius + 1)² neighbourhood is that colour too (a path is 3 px wide, a step's marker
    5 px, the current position's 18 px), averaged."""
    left, top, width, height = layout.plot
    mask = np.all(picture[top:top + height, left:left + width] == colour, axis=-1)
    side = 2 * radius + 1
    inner = np.lib.stride_tricks.sliding_window_view(mask, (side, side)).all(axis=(2, 3))
    rows, columns = np.nonzero(inner)
    assert len(rows) and np.ptp(rows) < 16 and np.ptp(columns) < 16, "not one marker"
    return left + radius + columns.mean() + 0.5, top + radius + rows.mean() + 0.5


def colour_share(pixel, colour, background) -> float:
    """How much of ``colour`` is mixed into ``background`` at ``pixel`` (0: none, 1: all of it)."""
    towards = colour - background
    return float(np.dot(pixel - background, towards) / np.dot(towards, towards))


def test_frames_and_their_length_follow_steps_per_second(book):
    """30 steps at 6 steps a second last 5 s: at the GIF's 20 frames a second the first frame (the start), then
    100 of 0.05 s; at the MP4's 30 a second, 150 of 1/30 s.  Without steps_per_second: the whole run in 5 s."""
    scene, trajectories = book
    small = dict(width=320, height=200, hold_last=0)
    gif = Image.open(io.BytesIO(ex.gif_bytes(scene, trajectories, steps_per_second=6, **small)))
    assert gif.n_frames == 101
    durations = []
    for index in range(gif.n_frames):
        gif.seek(index)
        durations.append(gif.info["duration"])
    assert durations == [50] * 101
    assert abs(sum(durations) / 1000 - 5.0) <= 0.05  # 5 s ± one frame
    meta, frames = read_mp4(ex.mp4_bytes(scene, trajectories, steps_per_second=6, **small))
    assert meta["fps"] == 30 and len(frames) == 151 and abs(len(frames) / 30 - 5.0) <= 1 / 30
    assert Image.open(io.BytesIO(ex.gif_bytes(scene, trajectories, **small))).n_frames == 101
    # twice as fast: 2.5 s, 50 GIF frames of 0.05 s after the first
    assert Image.open(io.BytesIO(ex.gif_bytes(scene, trajectories, steps_per_second=12, **small))).n_frames == 51
    # faster than the whole run in 2 s plays it in 2 s, as the stage does: 40 frames after the first
    for fast in (15, 16, 1000):
        assert Image.open(io.BytesIO(ex.gif_bytes(scene, trajectories, steps_per_second=fast, **small))).n_frames == 41


def test_a_slow_long_animation_gets_fewer_frames_a_second_not_more_frames(book):
    """30 steps at 1.5 steps a second last 20 s.  GIF: 400 frames of 0.05 s would pass its 300, so a frame lasts
    ceil(2000/299) = 7 hundredths and round(20/0.07) = 286 follow the first.  MP4: 600 of 1/30 s would pass its
    600 frames, so 29.95 frames a second (whole hundredths: floor(100·599/20)/100), round(20·29.95) = 599."""
    scene, trajectories = book
    small = dict(steps_per_second=1.5, width=320, height=200, hold_last=0)
    gif = Image.open(io.BytesIO(ex.gif_bytes(scene, trajectories, **small)))
    assert gif.n_frames == 287
    gif.seek(100)
    assert gif.info["duration"] == 70
    meta, frames = read_mp4(ex.mp4_bytes(scene, trajectories, **small))
    assert len(frames) == 600 and abs(meta["fps"] - 29.95) < 0.01


def test_markers_glide_along_each_segment_between_two_steps():
    """SGD's marker between two steps stands on the straight line between them: at step 1.5 halfway from
    x₁ = (−6.335, −1.8) to x₂ = (−5.733175, 1.62), at (−6.0340875, −0.09); at 1.25 at (−6.18454375, −0.945)."""
    trajectories = sc.simulate(SGD)
    layout = ex.frame_layout(SGD)
    colour = rgb(fg.PALETTE[0])
    np.testing.assert_allclose(sgd_point(1.5), [-6.0340875, -0.09], atol=1e-12)
    np.testing.assert_allclose(sgd_point(1.25), [-6.18454375, -0.945], atol=1e-12)
    for step in (1, 1.25, 1.5, 2):
        column, row = pixel_of(layout, *sgd_point(step))
        found = marker_centre(png(SGD, trajectories, step=step), colour, layout)
        assert abs(found[0] - column - 0.5) <= 1 and abs(found[1] - row - 0.5) <= 1, step
    # the GIF at 6 steps a second, 20 frames a second: frame i at step 0.3·i; the marker never jumps
    gif = Image.open(io.BytesIO(ex.gif_bytes(SGD, trajectories, steps_per_second=6)))
    for index in range(0, 21):
        column, row = pixel_of(layout, *sgd_point(0.3 * index))
        found = marker_centre(gif_frame(gif, index), colour, layout)
        assert abs(found[0] - column - 0.5) <= 1 and abs(found[1] - row - 0.5) <= 1, index


def test_hide_future_leaves_out_the_path_ahead_until_the_last_frame():
    """At step 3, SGD's segments 6 → 7 … 11 → 12 lie ahead: drawn faint (the figure's 35 % of the run's colour over
    the surface) without hide_future, not at all with it; the last frame shows them whole either way."""
    trajectories = sc.simulate(SGD)
    layout = ex.frame_layout(SGD)
    left, top, width, height = layout.plot
    picture = Image.open(io.BytesIO(base64.b64decode(fg.background(SGD.surface_object(), width=width).uri[22:])))
    surface = np.asarray(picture.convert("RGB")).astype(int)
    colour = rgb(fg.PALETTE[0])
    path = layout.pixel(np.array([sgd_point(k) for k in range(31)]))
    faint, hidden = png(SGD, trajectories, step=3), png(SGD, trajectories, step=3, hide_future=True)
    last = png(SGD, trajectories, hide_future=True)
    checked = 0
    for k in range(6, 12):
        middle = (path[k] + path[k + 1]) / 2
        if distance_to_polyline(middle, path[:4]) < 25:  # the path so far and the marker on x₃
            continue
        column, row = int(middle[0]), int(middle[1])
        around = [(row + dy, column + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
        background = [surface[r - top, c - left] for r, c in around]
        shares = [colour_share(faint[r, c], colour, b) for (r, c), b in zip(around, background)]
        assert 0.3 <= max(shares) <= 0.4, k
        assert all(np.abs(hidden[r, c] - b).max() <= 2 for (r, c), b in zip(around, background)), k
        assert max(colour_share(last[r, c], colour, b) for (r, c), b in zip(around, background)) >= 0.95, k
        checked += 1
    assert checked >= 3


def test_arrows_take_apart_the_update_the_marker_travels():
    """Momentum (lr 0.1, μ 0.9) on the bowl from (−7, 2): x₁ = (−6.93, 1.6), and update 2 is μ·v₁ = (0.063, −0.36)
    then −lr·g₁ = (0.0693, −0.32) (tests/test_analysis.py): while the marker travels from x₁ to x₂, a blue arrow
    from x₁ to (−6.867, 1.24) and a dark red one from there to x₂ = (−6.7977, 0.92)."""
    surface = MOMENTUM.surface_object()
    kept = tuple(sc.simulate_run(MOMENTUM, run, surface, record_state=True) for run in MOMENTUM.runs)
    layout = ex.frame_layout(MOMENTUM, width=1920, height=1080)
    x1, turn, x2 = np.array([-6.93, 1.6]), np.array([-6.867, 1.24]), np.array([-6.7977, 0.92])
    np.testing.assert_allclose(kept[0].xy[1:3], [x1, x2], atol=1e-12)
    blue, red = rgb("#1f4ed8"), rgb("#B00020")
    for step in (1, 1.5):
        plain = png(MOMENTUM, kept, step=step, size="1920×1080")
        arrows = png(MOMENTUM, kept, step=step, size="1920×1080", arrows=True)
        for a, b, colour in ((x1, turn, blue), (turn, x2, red)):
            for fraction in (0.2, 0.3, 0.4):
                column, row = pixel_of(layout, *(a + fraction * (b - a)))
                assert np.abs(arrows[row, column] - colour).max() <= 10, (step, fraction)
                assert np.abs(plain[row, column] - colour).max() > 60, (step, fraction)
    # a run kept without its state gets no arrows (they are not worked out on a second run) …
    bare = sc.simulate(MOMENTUM)
    np.testing.assert_array_equal(png(MOMENTUM, bare, step=1.5, arrows=True), png(MOMENTUM, bare, step=1.5))
    # … and at its last point a run travels no update
    np.testing.assert_array_equal(png(MOMENTUM, kept, arrows=True), png(MOMENTUM, kept))
    # in the GIF's first frame, update 1 from the start: −lr·g₀ = (0.07, −0.4) alone (no history yet), in its
    # exact colour
    gif = Image.open(io.BytesIO(ex.gif_bytes(MOMENTUM, kept, max_frames=2, size="1920×1080", arrows=True)))
    start = np.array(MOMENTUM.start)
    for fraction in (0.2, 0.3, 0.4):
        column, row = pixel_of(layout, *(start + fraction * (x1 - start)))
        np.testing.assert_array_equal(gif_frame(gif, 0)[row, column], red)


def test_slide_sizes_are_exact_and_draw_lines_and_type_larger(book):
    scene, trajectories = book
    assert ex.RESOLUTIONS == {"960×600": (960, 600), "1280×720": (1280, 720), "1920×1080": (1920, 1080)}
    fast = dict(max_frames=2, hold_last=0)  # the first frame and the last
    gif = Image.open(io.BytesIO(ex.gif_bytes(scene, trajectories, size="1920×1080", **fast)))
    assert gif.size == (1920, 1080) and gif.n_frames == 2
    meta, frames = read_mp4(ex.mp4_bytes(scene, trajectories, size=(1920, 1080), **fast))
    assert tuple(meta["size"]) == (1920, 1080) and frames[0].shape == (1080, 1920, 3)
    for name, (width, height) in ex.RESOLUTIONS.items():
        assert Image.open(io.BytesIO(ex.png_bytes(scene, trajectories, size=name))).size == (width, height)

    def marker_width(picture, layout):  # the current position's marker at the start, across its middle
        column, row = pixel_of(layout, *SGD.start)
        exact = np.all(picture[row] == rgb(fg.PALETTE[0]), axis=-1)
        right, left = column, column
        while exact[right + 1]:
            right += 1
        while exact[left - 1]:
            left -= 1
        return right - left + 1

    def title_height(picture, layout):  # rows of dark text above the surface
        return np.count_nonzero(np.any(np.all(picture[:layout.plot[1] - 2] < 120, axis=-1), axis=1))

    sgd = sc.simulate(SGD)
    small, large = ex.frame_layout(SGD), ex.frame_layout(SGD, width=1920, height=1080)
    at_small, at_large = png(SGD, sgd, step=0), png(SGD, sgd, step=0, size="1920×1080")
    # 1.8 times 960 × 600's: a line 3 px wide becomes 5.4 px, the marker (5 × line + 3) 18 → 30 px, the type 16 → 29 px.
    # The marker's solid colour spans its diameter less its antialiased rim (1 px); the title's ink spans about one
    # em (capitals and descenders) of its font size.
    assert (small.font_size, large.font_size) == (16, 29)
    assert abs(marker_width(at_small, small) - 18) <= 1 and abs(marker_width(at_large, large) - 30) <= 1
    assert abs(title_height(at_small, small) - 16) <= 2 and abs(title_height(at_large, large) - 29) <= 2


@pytest.mark.parametrize("value", [0, -1, -0.5, math.nan, math.inf, 0.49, 1000.5, "fast", True])
def test_a_speed_out_of_range_is_refused_with_its_range(book, value):
    scene, trajectories = book
    message = r"steps_per_second must be a number of steps a second from 0\.5 to 1000"
    for export in (ex.gif_bytes, ex.mp4_bytes, ex.animation_frames):
        with pytest.raises(ValueError, match=message):
            export(scene, trajectories, steps_per_second=value)


@pytest.mark.parametrize("size", [(800, 600), (1920, 1080, 3), "1920x1080", "4K", 1080])
def test_an_unknown_resolution_is_refused_with_the_choices(book, size):
    scene, trajectories = book
    for export in (ex.gif_bytes, ex.mp4_bytes, ex.png_bytes, ex.animation_frames):
        with pytest.raises(ValueError, match="size must be one of 960×600, 1280×720, 1920×1080"):
            export(scene, trajectories, size=size)


def test_other_bad_picture_options_are_refused(book):
    scene, trajectories = book
    with pytest.raises(ValueError, match="size, or width and height"):
        ex.gif_bytes(scene, trajectories, size="1280×720", width=1280)
    with pytest.raises(ValueError, match="fps must be a positive number"):
        ex.mp4_bytes(scene, trajectories, fps=0)
    with pytest.raises(ValueError, match="max_frames must be a whole number of frames, at least 2"):
        ex.gif_bytes(scene, trajectories, max_frames=1)
    with pytest.raises(ValueError, match="step must be a finite number"):
        ex.png_bytes(scene, trajectories, step=math.nan)


# --- CSV ---------------------------------------------------------------------------------------------------

COLUMNS = ["run", "label", "optimizer", "step", "x", "y", "f", "f_minus_fmin", "step_norm", "status"]
BOOK_HYPER = ["lr", "line_search", "c1", "c2", "backtrack", "mu", "eps", "eps_placement", "beta1", "beta2",
              "bias_correction"]  # in order of first use


def read_csv(text):
    """The CSV as Python's csv module reads it: the header, and each row as a dict."""
    table = list(csv.reader(io.StringIO(text, newline="")))
    header, rows = table[0], table[1:]
    assert all(len(row) == len(header) for row in rows), "not rectangular"
    return header, [dict(zip(header, row)) for row in rows]


def read_pandas(text):
    """The CSV as a student opens it: ``pd.read_csv`` with its default options."""
    return pd.read_csv(io.StringIO(text))


def independent_paths(scene):
    """The scene's runs computed here, straight from optim_core (constant lr, no noise, no mu ramp only)."""
    assert scene.schedule == "constant" and scene.noise == 0 and not scene.mu_ramp
    surface = surfaces.get(scene.surface, **dict(scene.surface_params))
    return [optim_core.run(surface, optim_core.make(run.optimizer, **dict(run.hyper)), start=scene.start,
                           steps=scene.steps) for run in scene.runs]


def assert_plain_table(text):
    """One header row, then data: no comment, no blank line, no line of anything else."""
    lines = text.splitlines()
    assert lines[0].split(",")[:4] == COLUMNS[:4]
    assert all(line and not line.startswith("#") for line in lines)


def test_csv_is_a_plain_table_pandas_reads_as_it_is(book):
    scene, trajectories = book
    text = ex.trajectories_csv(scene, trajectories)
    assert_plain_table(text)
    header, rows = read_csv(text)
    assert header == COLUMNS + BOOK_HYPER
    assert len(rows) == sum(len(tr.xy) for tr in trajectories) == 4 * 31
    frame = read_pandas(text)  # the default options: what a student types
    assert frame.shape == (4 * 31, len(COLUMNS) + len(BOOK_HYPER))
    assert list(frame.columns) == COLUMNS + BOOK_HYPER
    for column in ("run", "step"):
        assert frame[column].dtype == np.int64, column
    for column in ("x", "y", "f", "f_minus_fmin", "step_norm", "lr", "mu", "eps", "beta1", "beta2"):
        assert frame[column].dtype == np.float64, column
    assert not frame[["run", "label", "optimizer", "step", "x", "y", "f", "status", "lr"]].isna().any().any()
    # the tidy uses: one loss curve per run, the runs' outcomes, a pivot by optimizer
    assert frame.groupby("run").size().tolist() == [31] * 4
    assert frame.groupby("label")["status"].first().to_dict() == {run.label(): tr.status
                                                                 for run, tr in zip(scene.runs, trajectories)}
    curves = frame.pivot(index="step", columns="optimizer", values="f")
    assert curves.shape == (31, 4) and list(curves.index) == list(range(31))


def test_csv_values_are_the_runs_computed_independently(book):
    scene, trajectories = book
    text = ex.trajectories_csv(scene, trajectories)
    _, rows = read_csv(text)
    frame = read_pandas(text)
    mine = independent_paths(scene)
    surface = surfaces.get("bowl")
    assert surface.f_min == 0.0
    for n, (run, tr) in enumerate(zip(scene.runs, mine), start=1):  # "run" counts as the page does: Run 1, 2, …
        assert tr.status == "max_steps" and len(tr.xy) == 31
        own = [row for row in rows if row["run"] == str(n)]
        assert [int(row["step"]) for row in own] == list(range(31))
        assert {(row["label"], row["optimizer"], row["status"]) for row in own} == {
            (run.label(), run.optimizer, "max_steps")}
        # to the last bit through the csv module …
        np.testing.assert_array_equal([[float(row["x"]), float(row["y"])] for row in own], tr.xy)
        np.testing.assert_array_equal([float(row["f"]) for row in own], surface.f(tr.xy))
        np.testing.assert_array_equal([float(row["f_minus_fmin"]) for row in own], surface.f(tr.xy))
        assert own[0]["step_norm"] == ""
        np.testing.assert_array_equal([float(row["step_norm"]) for row in own[1:]],
                                      np.linalg.norm(np.diff(tr.xy, axis=0), axis=1))
        # … and within an ulp or two through pandas (exact since pandas 3; 2.x's default parser may differ by one)
        runs = frame[frame["run"] == n]
        np.testing.assert_allclose(runs[["x", "y"]].to_numpy(), tr.xy, rtol=1e-15, atol=0)
        np.testing.assert_allclose(runs["f"].to_numpy(), surface.f(tr.xy), rtol=1e-15, atol=0)
        # the hyperparameters: the run's own, empty where its optimizer has none of that name
        hyper = dict(run.hyper)
        for name in BOOK_HYPER:
            cells = {row[name] for row in own}
            if name not in hyper:
                assert cells == {""}, (run.optimizer, name)
                assert runs[name].isna().all(), (run.optimizer, name)
            elif isinstance(hyper[name], bool):
                assert cells == {str(hyper[name])}, name
                assert runs[name].tolist() == [hyper[name]] * 31, name
            elif isinstance(hyper[name], str):
                assert cells == {hyper[name]}, name
            else:
                assert {float(cell) for cell in cells} == {hyper[name]}, name
                assert runs[name].tolist() == [hyper[name]] * 31, name
    # SGD on x²/20 + y² with lr 0.95, by closed form: x_k = (1 − 0.095)^k·(−7), y_k = (1 − 1.9)^k·2
    sgd = frame[frame["optimizer"] == "sgd"]
    assert sgd["label"].unique().tolist() == ["SGD lr=0.95"] and sgd["lr"].unique().tolist() == [0.95]
    k = sgd["step"].to_numpy()
    np.testing.assert_allclose(sgd["x"], 0.905 ** k * -7.0, rtol=1e-12)
    np.testing.assert_allclose(sgd["y"], (-0.9) ** k * 2.0, rtol=1e-12)
    np.testing.assert_allclose(sgd["f"], (0.905 ** k * 7.0) ** 2 / 20 + (0.9 ** k * 2.0) ** 2, rtol=1e-12)


@dataclasses.dataclass(frozen=True)
class NamedRun(sc.RunSpec):
    """A run with a label of its own, as a teacher might type it."""

    name: str = ""

    def label(self) -> str:
        return self.name


LABELS = ['Adam, "fast"', "SGD lr=0.1, the book's", 'He said "go", then stopped', "two\nlines; a ;",
          "# not a comment", "  spaced  "]


def test_csv_labels_with_commas_quotes_and_newlines_survive():
    base = sc.RunSpec.of("adam", lr=0.3)
    scene = sc.Scene(runs=tuple(NamedRun(base.optimizer, base.hyper, label) for label in LABELS), steps=5)
    trajectories = sc.simulate(scene)
    text = ex.trajectories_csv(scene, trajectories)
    _, rows = read_csv(text)
    assert len(rows) == 6 * 6
    assert [row["label"] for row in rows[::6]] == LABELS
    frame = read_pandas(text)
    assert frame.shape == (6 * 6, len(COLUMNS) + 6)
    assert frame.groupby("run")["label"].first().tolist() == LABELS
    assert frame["label"].tolist() == [label for label in LABELS for _ in range(6)]
    np.testing.assert_allclose(frame[["x", "y"]].to_numpy(), np.concatenate([tr.xy for tr in trajectories]),
                               rtol=1e-15)


SCENES = {
    **{key: preset.scene for key, preset in sc.PRESETS.items()},
    "custom": sc.Scene(surface="ill_conditioned", surface_params=(("kappa", 30.0), ("angle", 15.0)), start=(4.0, -3.0),
                       steps=60, runs=(sc.RunSpec.of("nesterov", lr=0.05, mu=0.95), sc.RunSpec.of("rmsprop", lr=0.02)),
                       schedule="exponential", decay_k=0.02, mu_ramp=20, noise=0.5, seed=11, tol=1e-6),
    "diverging": DIVERGING,
}




@pytest.mark.parametrize("key", list(SCENES))
def test_csv_of_every_preset_is_one_row_per_run_and_step(key):
    scene = SCENES[key]
    trajectories = sc.simulate(scene)
    surface = scene.surface_object()
    text = ex.trajectories_csv(scene, trajectories)
    assert_plain_table(text)
    header, rows = read_csv(text)
    names = list(dict.fromkeys(name for run in scene.runs for name, _ in run.hyper))
    assert header == COLUMNS + names and header[len(COLUMNS)] == "lr"
    frame = read_pandas(text)
    assert frame.shape == (sum(len(tr.xy) for tr in trajectories), len(header)) == (len(rows), len(header))
    for n, (run, tr) in enumerate(zip(scene.runs, trajectories), start=1):
        own = frame[frame["run"] == n]
        assert own["step"].tolist() == list(range(len(tr.xy)))
        assert set(own["status"]) == {tr.status} and set(own["label"]) == {run.label()}
        np.testing.assert_allclose(own[["x", "y"]].to_numpy(), tr.xy, rtol=1e-15, atol=0)
        np.testing.assert_allclose(own["f"].to_numpy(), tr.loss, rtol=1e-15, atol=0)
        if surface.f_min is None:
            assert own["f_minus_fmin"].isna().all()
        else:
            np.testing.assert_allclose(own["f_minus_fmin"].to_numpy(), tr.loss - surface.f_min, rtol=1e-15, atol=0)
        exact = [row for row in rows if row["run"] == str(n)]
        np.testing.assert_array_equal([[float(row["x"]), float(row["y"])] for row in exact], tr.xy)
        for name in names:
            assert own[name].isna().all() == (name not in dict(run.hyper)), (run.optimizer, name)


def test_csv_header_names_no_hyperparameter_twice():
    for name in optim_core.names():  # a hyperparameter named like a fixed column would make two columns of a name
        assert not {spec.name for spec in optim_core.hyper_specs(name)} & set(COLUMNS), name
    assert list(ex.CSV_COLUMNS) == COLUMNS
    clash = types.SimpleNamespace(optimizer="sgd", hyper=(("lr", 0.1), ("step", 3)), label=lambda: "odd")
    run = sc.simulate(sc.Scene(runs=(sc.RunSpec.of("sgd"),)))[0]
    with pytest.raises(ValueError, match="clash"):
        ex.trajectories_csv(sc.Scene(runs=(clash,)), [run])
    with pytest.raises(ValueError, match="trajectories"):
        ex.trajectories_csv(BOOK, [run])


def test_the_scene_is_in_the_json_not_in_the_csv():
    """What the CSV's comment lines used to say (surface, params, formula, domain, start, steps, noise,
    seed, schedule, each run's optimizer and hyperparameters, the page's query) is all in the JSON."""
    scene = sc.Scene(surface="rosenbrock", surface_params=(("b", 50.0),), start=(-1.5, 2.0), steps=40,
                     runs=(sc.RunSpec.of("adam", lr=0.05, beta2=0.99), sc.RunSpec.of("sgd", lr=1e-3)),
                     schedule="step", step_factor=0.5, step_every=10, noise=0.1, seed=7)
    trajectories = sc.simulate(scene)
    text = ex.trajectories_csv(scene, trajectories)
    assert_plain_table(text)
    assert "rosenbrock" not in text and "query" not in text
    document = json.loads(ex.trajectories_json(scene, trajectories))
    assert document["format"] == ex.FORMAT
    assert document["surface"]["id"] == "rosenbrock" and document["surface"]["params"] == {"a": 1.0, "b": 50.0}
    assert document["start"] == [-1.5, 2.0] and document["steps"] == 40
    assert document["noise"] == 0.1 and document["seed"] == 7
    assert document["schedule"] == {"name": "step", "decay_k": 0.05, "step_factor": 0.5, "step_every": 10,
                                    "warmup": 0, "cycles": 3, "t_mult": 1, "min_factor": 0.1, "pct_start": 0.3,
                                    "div_factor": 25.0, "final_div_factor": 1e4, "anneal": "cos", "mu_ramp": 0}
    assert [(r["optimizer"], r["label"], r["hyperparameters"]) for r in document["runs"]] == [
        (run.optimizer, run.label(), dict(run.hyper)) for run in scene.runs]
    assert document["runs"][0]["hyperparameters"]["beta2"] == 0.99
    assert sc.from_query(urllib.parse.parse_qs(document["query"])) == (scene, [])
    # the CSV's hyperparameter columns say the same as the JSON
    frame = read_pandas(text)
    assert frame.groupby("run")["beta2"].first().fillna(-1).tolist() == [0.99, -1]
    assert frame.groupby("run")["lr"].first().tolist() == [0.05, 1e-3]
    # a typed formula: the formula and its domain
    formula = sc.Scene(surface=sc.FORMULA, formula="(1-x)**2 + 100*(y-x**2)**2", x_range=(-2.0, 2.0),
                       y_range=(-1.0, 3.0), start=(-1.5, 2.5), steps=20, runs=(sc.RunSpec.of("adam", lr=0.05),))
    trajectories = sc.simulate(formula)
    document = json.loads(ex.trajectories_json(formula, trajectories))
    assert document["surface"]["id"] == sc.FORMULA and document["surface"]["formula"] == formula.formula
    assert document["surface"]["x_range"] == [-2.0, 2.0] and document["surface"]["y_range"] == [-1.0, 3.0]
    assert sc.from_query(urllib.parse.parse_qs(document["query"])) == (formula, [])
    text = ex.trajectories_csv(formula, trajectories)
    assert_plain_table(text)
    assert "x**2" not in text and read_pandas(text).shape[0] == len(trajectories[0].xy)


# --- JSON ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(SCENES))
def test_json_round_trips_the_scene_and_the_paths(key):
    scene = SCENES[key]
    trajectories = sc.simulate(scene)
    document = json.loads(ex.trajectories_json(scene, trajectories))
    assert document["format"] == "optimizer-trajectories/1"
    surface = scene.surface_object()
    assert document["surface"]["id"] == scene.surface
    assert document["surface"]["params"] == dict(scene.surface_params)
    assert document["surface"]["title"] == surface.title and document["surface"]["latex"] == surface.latex
    assert document["surface"]["x_range"] == list(surface.x_range)
    assert document["surface"]["y_range"] == list(surface.y_range)
    np.testing.assert_array_equal(np.reshape(document["surface"]["minima"], (-1, 2)), surface.minima)
    assert document["start"] == list(scene.start) and document["steps"] == scene.steps
    assert document["noise"] == scene.noise and document["seed"] == scene.seed
    assert document["schedule"]["name"] == scene.schedule
    assert sc.from_query(urllib.parse.parse_qs(document["query"])) == (scene, [])
    assert len(document["runs"]) == len(scene.runs)
    for run, tr, record in zip(scene.runs, trajectories, document["runs"]):
        assert record["optimizer"] == run.optimizer and record["label"] == run.label()
        assert record["hyperparameters"] == dict(run.hyper)
        assert record["status"] == tr.status and record["stopped_at"] == tr.stopped_at
        assert record["xy"] == tr.xy.tolist()
        assert record["loss"] == tr.loss.tolist()


def test_json_writes_null_for_a_loss_that_is_not_a_number():
    scene = sc.Scene(runs=(sc.RunSpec.of("sgd", lr=0.5),))
    # as on a typed formula that is undefined somewhere: the engine's xy is finite, f need not be
    run = types.SimpleNamespace(xy=np.array([[1.0, 2.0], [0.5, 1.0], [0.25, 0.5]]),
                                loss=np.array([1.5, np.inf, np.nan]), step_norm=np.array([1.1, 0.6]),
                                status="diverged", stopped_at=3)
    text = ex.trajectories_json(scene, [run])
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["runs"][0]["loss"] == [1.5, None, None]
    text = ex.trajectories_csv(scene, [run])
    _, rows = read_csv(text)  # in the CSV: inf as pandas spells it, NaN as a missing value
    assert [row["f"] for row in rows] == ["1.5", "inf", ""]
    assert [row["f_minus_fmin"] for row in rows] == ["1.5", "inf", ""]
    assert [row["step_norm"] for row in rows] == ["", "1.1", "0.6"]
    frame = read_pandas(text)
    assert frame["f"].dtype == np.float64 and frame["f"].tolist()[:2] == [1.5, math.inf]
    assert math.isnan(frame["f"].iloc[2]) and frame["status"].tolist() == ["diverged"] * 3


MARKER_AREAS = {  # closed-form areas of the outlines for radius r (circumradius a as in export.py)
    "circle": lambda r: math.pi * r**2,
    "square": lambda r: (1.8 * r) ** 2,
    "diamond": lambda r: 2 * (1.2 * r) ** 2,
    "pentagon": lambda r: 5 / 2 * (1.05 * r) ** 2 * math.sin(2 * math.pi / 5),
    "hexagon": lambda r: 3 * math.sqrt(3) / 2 * (1.05 * r) ** 2,
    "octagon": lambda r: 2 * math.sqrt(2) * (1.05 * r) ** 2,  # 8 triangles of two sides a at 45°: 8·a²·sin(45°)/2
    "diamond-wide": lambda r: 2 * (1.35 * r) * (0.8 * r),  # half-diagonals 1.35r and 0.8r
    "triangle-up": lambda r: 1.9 * 1.15 * r * 1.6 * 1.15 * r / 2,  # base 2·0.95a, height 1.6a, a = 1.15r
    "triangle-down": lambda r: 3 * math.sqrt(3) / 4 * (1.15 * r) ** 2,
    "triangle-left": lambda r: 3 * math.sqrt(3) / 4 * (1.15 * r) ** 2,
    "triangle-right": lambda r: 3 * math.sqrt(3) / 4 * (1.15 * r) ** 2,
    "bowtie": lambda r: 2 * (0.95 * r) ** 2,  # two triangles of base 1.9r and height 0.95r
    "hourglass": lambda r: 2 * (0.95 * r) ** 2,
}


def _marker_pixels(symbol: str, r: float = 40.0) -> np.ndarray:
    from PIL import Image, ImageDraw

    image = Image.new("L", (200, 200), 0)
    ex._draw_marker(ImageDraw.Draw(image), symbol, 100, 100, r, 255)
    return np.asarray(image) > 127


@pytest.mark.parametrize("symbol", sorted(set(styles.OPTIMIZER_SYMBOLS.values())))
def test_every_run_marker_is_drawn_in_its_own_shape_filled_and_open(symbol):
    filled = _marker_pixels(symbol)
    assert abs(filled.sum() / MARKER_AREAS[symbol](40.0) - 1) < 0.06, symbol
    rim = _marker_pixels(symbol + "-open")
    assert 0.1 < rim.sum() / filled.sum() < 0.85  # only the rim: a hollow marker
    assert np.all(filled[rim])  # … of the same shape
