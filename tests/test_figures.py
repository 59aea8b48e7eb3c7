"""The figures as plain dicts: valid Plotly, small, frames that carry only what moves."""

import re
import struct
import zlib

import numpy as np
import plotly.graph_objects as go
import pytest

import optim_core
import surfaces
from viz import figures as fg
from viz import i18n
import page_model as sc


def build(scene, **options):
    surface = scene.surface_object()
    trajectories = sc.simulate(scene)
    runs = [fg.RunView(r.label(), fg.PALETTE[i], tr, optim_core.RULES[r.optimizer].adaptive)
            for i, (r, tr) in enumerate(zip(scene.runs, trajectories))]
    return surface, runs, fg.paths_figure(surface, scene.start, runs, fg.background(surface), steps=scene.steps,
                                          **options)


def in_frame(data, frame, name):
    """The frame's copy of the animated trace ``name`` of the figure's ``data`` (a run's label, "now")."""
    index = next(i for i, trace in enumerate(data) if trace.get("name") == name and i in frame["traces"])
    return frame["data"][frame["traces"].index(index)]


def read_png(data: bytes):
    """A minimal PNG reader for 8-bit RGBA, written from the PNG specification (filter type 0 only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        tag = data[position + 4:position + 8]
        chunks.setdefault(tag, b"")
        chunks[tag] += data[position + 8:position + 8 + length]
        position += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour_type) == (8, 6)
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8).reshape(height, 1 + 4 * width)
    assert np.all(raw[:, 0] == 0)
    return raw[:, 1:].reshape(height, width, 4)


@pytest.mark.parametrize("key", list(sc.PRESETS))
@pytest.mark.parametrize("options", [{}, dict(show_average=True, show_field=True), dict(stacked=True, lang="zh")])
def test_every_preset_figure_is_valid_plotly(key, options):
    _, _, figure = build(sc.PRESETS[key].scene, **options)
    go.Figure(figure)  # raises on any property Plotly does not know


def test_the_default_figure_is_small_and_animated():
    _, runs, figure = build(sc.DEFAULT_SCENE)
    assert fg.figure_bytes(figure) < 1_000_000
    assert len(figure["frames"]) == 31  # steps 0 … 30
    animated = figure["frames"][0]["traces"]
    # frames carry the 4 paths, the positions and one marker trace per panel, never the surface
    assert len(animated) == 4 + 1 + 4
    for frame in figure["frames"]:
        assert all(trace["type"] == "scatter" for trace in frame["data"])
    assert len(figure["layout"]["images"]) == 1
    assert figure["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    assert not any(trace["type"] in ("contour", "heatmap") for trace in figure["data"])


def test_frames_reveal_the_path_step_by_step():
    _, runs, figure = build(sc.DEFAULT_SCENE)
    sgd_path = runs[0].trajectory.xy
    for k in (0, 7, 30):
        frame = figure["frames"][k]
        assert frame["name"] == str(k)
        x = fg.decode(in_frame(figure["data"], frame, runs[0].label)["x"])
        np.testing.assert_allclose(x, sgd_path[:k + 1, 0], rtol=1e-6)
        position = fg.decode(in_frame(figure["data"], frame, "now")["x"])
        np.testing.assert_allclose(position[0], sgd_path[k, 0], rtol=1e-6)


def test_long_runs_get_at_most_max_frames_and_a_bounded_tail():
    scene = sc.PRESETS["rosenbrock"].scene
    _, runs, figure = build(scene)
    assert len(figure["frames"]) == fg.MAX_FRAMES
    points = sum(len(fg.decode(t["x"])) for f in figure["frames"] for t in f["data"][:len(runs)])
    assert points <= fg.FRAME_POINT_BUDGET
    assert fg.figure_bytes(figure) < 1_500_000
    # the last frame is the last step, so the animation ends where the static paths end
    assert figure["frames"][-1]["name"] == str(scene.steps)


def test_a_diverged_run_is_marked_where_it_stopped():
    # SGD at lr 1.5 on the bowl from (0, 2): y ← (1 − 2·1.5)·y = −2y, so y_k = 2·(−2)^k on the line x = 0;
    # it leaves y ≤ 5 at step 2 and stops at step 13 with y_12 = 8192, last crossing the chart up through y = 5
    scene = sc.Scene(runs=(sc.RunSpec.of("sgd", lr=1.5),), start=(0.0, 2.0), steps=50)
    _, runs, figure = build(scene)
    labels = [a for a in figure["layout"]["annotations"] if a["text"] == "diverged at step 13"]
    assert len(labels) == 1
    assert (labels[0]["x"], labels[0]["y"]) == pytest.approx((0.0, 5.0))
    assert labels[0]["yanchor"] == "top" and labels[0]["yshift"] < 0  # read downward, into the chart
    mark = next(t for t in figure["data"] if t.get("name") == "diverged at step 13")
    assert mark["marker"]["symbol"] == "x"
    np.testing.assert_allclose([fg.decode(mark["x"])[0], fg.decode(mark["y"])[0]], [0.0, 5.0], atol=1e-6)
    for trace in figure["data"]:
        for axis in ("x", "y"):
            if isinstance(trace.get(axis), dict):
                values = fg.decode(trace[axis])
                assert not np.any(np.isinf(values))


def test_background_png_bands_lines_and_gaps():
    bowl = surfaces.get("bowl")
    back = fg.background(bowl, width=300)
    import base64

    image = read_png(base64.b64decode(back.uri.split(",", 1)[1]))
    assert image.shape == (150, 300, 4) and back.size_bytes < 200_000
    assert np.all(image[..., 3] == 255)
    # the minimum (centre) is in the lowest band: the ramp's first colour, cream
    centre = image[75, 150, :3]
    assert tuple(centre) == fg.BAND_RAMP[0][1]
    # contour lines: darker pixels exist, and far more than a handful of distinct colours
    assert len(np.unique(image[..., :3].reshape(-1, 3), axis=0)) > 20


def test_undefined_values_are_transparent_gaps():
    class HalfDefined:
        """f = log(x) + y², undefined for x ≤ 0."""

        x_range, y_range, log_levels, f_min = (-2.0, 2.0), (-1.0, 1.0), False, None

        def f(self, p):
            p = np.asarray(p, dtype=float)
            return np.log(p[..., 0]) + p[..., 1] ** 2

    image = read_png(__import__("base64").b64decode(fg.background(HalfDefined(), width=200).uri.split(",", 1)[1]))
    assert np.all(image[:, :95, 3] == 0) and np.all(image[:, 105:, 3] == 255)


def test_levels_are_log_spaced_where_the_surface_needs_it():
    rosen = surfaces.get("rosenbrock")
    _, _, _, values = fg.grid(rosen, 200, 200)
    levels = fg.contour_levels(rosen, values) - rosen.f_min
    ratios = levels[1:] / levels[:-1]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)
    bowl = surfaces.get("bowl")
    _, _, _, values = fg.grid(bowl, 200, 200)
    np.testing.assert_allclose(np.diff(fg.contour_levels(bowl, values), 2), 0, atol=1e-9)


def test_gradient_field_arrows_point_downhill():
    bowl = surfaces.get("bowl")
    x, y = fg.arrows(bowl, count=5)
    segments = np.stack([x, y], axis=-1).reshape(-1, 7, 2)  # tail, tip, gap, left, tip, right, gap
    tails, tips = segments[:, 0], segments[:, 1]
    direction = tips - tails
    gradient = bowl.grad(tails)
    assert np.all(np.einsum("ij,ij->i", direction, gradient) < 0)


def test_3d_figure_is_valid():
    surface, runs, _ = build(sc.PRESETS["rosenbrock"].scene)
    figure = fg.surface_3d_figure(surface, runs)
    go.Figure(figure)
    assert figure["layout"]["scene"]["zaxis"]["title"] == "log10(1 + f − f*)"
    z = fg.decode(next(trace for trace in figure["data"] if trace["type"] == "surface")["z"])
    assert z.shape == (90, 90)  # a 2-D grid: a flat array draws no surface at all
    _, _, _, values = fg.grid(surface, 90, 90)
    np.testing.assert_allclose(z, np.log10(1 + values), rtol=1e-5)


def test_png_encoder_against_the_reader():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    np.testing.assert_array_equal(read_png(fg.png(image)), image)


# Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of color vision
# deficiency", severity 1.0 matrices, applied to linear RGB.
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def smallest_difference(colours, matrix) -> float:
    """The smallest CIE76 ΔE between two of ``colours`` as seen through ``matrix``."""
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in colours]) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    seen = np.clip(linear @ np.asarray(matrix).T, 0, 1)
    xyz = seen @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    lab = np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=-1)
    distances = np.linalg.norm(lab[:, None] - lab[None], axis=-1)
    return float(distances[np.triu_indices(len(colours), 1)].min())


@pytest.mark.parametrize("deficiency", list(CVD))
def test_run_colours_stay_apart_under_colour_vision_deficiencies(deficiency):
    assert smallest_difference(fg.PALETTE, CVD[deficiency]) > 15
    # the check can fail: plain red and green merge for a deuteranope
    if deficiency == "deuteranopia":
        assert smallest_difference(("#D62728", "#2CA02C"), CVD[deficiency]) < 15


def test_runs_also_differ_by_marker_shape():
    assert len(set(fg.SYMBOLS)) == len(fg.SYMBOLS) == len(fg.PALETTE)


# --- issue 8: ticks, markers, playback, undefined surfaces, paths leaving the chart, phones ----------------------

POWER = re.compile(r"^(?:(\d+(?:\.\d+)?)×)?10<sup>(\u2212?\d+)</sup>$")


def label_value(text: str) -> float:
    """The number a tick label stands for: 1, 0.2, 10, 10<sup>−3</sup>, 2×10<sup>−7</sup>."""
    match = POWER.match(text)
    if match:
        mantissa, exponent = match.groups()
        return float(mantissa or 1) * 10.0 ** int(exponent.replace("\u2212", "-"))
    return float(text)


def panel_pixels(layout, axis) -> float:
    margin = layout["margin"]
    low, high = axis["domain"]
    return (layout["height"] - margin["t"] - margin["b"]) * (high - low)


def test_log_ticks_are_whole_decades_or_one_two_five():
    # 3e-4 … 20 spans the decades 10^-4 … 10^2: six gaps where four fit, so every second decade
    ticks = fg.log_ticks(3e-4, 20, room=4)
    assert ticks["tickvals"] == pytest.approx([1e-4, 1e-2, 1, 100])
    assert ticks["ticktext"] == ["10<sup>−4</sup>", "10<sup>−2</sup>", "1", "10<sup>2</sup>"]
    assert ticks["range"] == [-4, 2]
    # a loss that reached zero is drawn at 1e-30: 32 decades where 3.2 gaps fit → every tenth (every fifth: 6.4)
    assert fg.log_ticks(1e-30, 100, room=3.2)["tickvals"] == pytest.approx([1e-30, 1e-20, 1e-10, 1])
    # less than a decade: 1, 2, 5 × 10^k around the data, written in full
    ticks = fg.log_ticks(0.3, 0.8)
    assert ticks["tickvals"] == pytest.approx([0.2, 0.5, 1]) and ticks["ticktext"] == ["0.2", "0.5", "1"]
    assert ticks["range"] == pytest.approx([np.log10(0.2), 0])
    assert fg.log_ticks(2e-7, 6e-7)["ticktext"] == ["2×10<sup>−7</sup>", "5×10<sup>−7</sup>", "10<sup>−6</sup>"]
    assert fg.log_ticks(0.95, 0.95)["tickvals"] == pytest.approx([0.5, 1])  # a constant lr still gets two ticks


@pytest.mark.parametrize("key", ["book", "rosenbrock", "saddle"])
@pytest.mark.parametrize("style", [dict(), dict(height=760, font_size=20, line_width=4.0), dict(stacked=True)])
def test_side_panels_label_only_whole_values_with_room_between(key, style):
    _, _, figure = build(sc.PRESETS[key].scene, **style)
    layout = figure["layout"]
    log_axes = [name for name in layout if name.startswith("yaxis") and layout[name].get("type") == "log"]
    assert len(log_axes) >= 3
    for name in log_axes:
        axis = layout[name]
        assert axis["tickmode"] == "array" and "dtick" not in axis  # no "D1"/"D2": Plotly's minor digits
        values, texts = axis["tickvals"], axis["ticktext"]
        # every label is its tick's whole value: no lone "2" or "5" standing for 2·10^k beside 10^k
        for value, text in zip(values, texts):
            assert label_value(text) == pytest.approx(value, rel=1e-9), (name, text, value)
        exponents = np.log10(values)
        whole_decades = np.allclose(exponents, np.round(exponents))
        assert whole_decades or max(values) / min(values) <= 10, (name, values)
        low, high = axis["range"]
        assert all(low <= e <= high for e in exponents)
        # neighbouring labels at least two label heights apart on the panel
        spacing = panel_pixels(layout, axis) * np.min(np.diff(exponents)) / (high - low)
        assert spacing >= 2 * axis["tickfont"]["size"], (name, spacing)


LANDMARK_SHAPES = {"star", "x", "x-thin", "cross", "cross-thin", "asterisk", "hexagram", "star-triangle-up",
                   "star-triangle-down", "star-square", "star-diamond", "y-up", "y-down", "y-left", "y-right"}


def test_run_markers_never_look_like_landmarks():
    assert len(set(fg.SYMBOLS)) == len(fg.SYMBOLS) == 8
    assert not set(fg.SYMBOLS) & LANDMARK_SHAPES
    assert not any(symbol.endswith(("-open", "-dot")) for symbol in fg.SYMBOLS)  # filled, unlike the start's ring
    scene = sc.PRESETS["beale"].scene  # Adam ends on the minimum (3, 0.5)
    _, runs, figure = build(scene)
    data = figure["data"]
    names = [trace.get("name") for trace in data]
    minimum, saddles, start = (names.index(name) for name in ("minima", "saddles", "start"))
    assert data[minimum]["marker"]["symbol"] == "star" and data[saddles]["marker"]["symbol"] == "x-thin"
    assert data[start]["marker"]["color"] == "white"
    # drawn after (above) every path and every current-position marker
    on_the_surface = [i for i, trace in enumerate(data) if trace.get("xaxis", "x") == "x" and trace.get("name")
                      in {run.label for run in runs} | {"now"}]
    assert on_the_surface and max(on_the_surface) < min(minimum, saddles, start)
    now = data[names.index("now")]
    assert data[minimum]["marker"]["size"] > now["marker"]["size"]  # the star shows round Adam's marker


def test_play_goes_on_from_where_it_stands_and_restart_starts_over():
    _, _, figure = build(sc.DEFAULT_SCENE)
    buttons = {button["label"]: button for button in figure["layout"]["updatemenus"][0]["buttons"]}
    for label in ("▶ Play", "▶▶ Fast", "▶ Slow"):
        frames, options = buttons[label]["args"]
        # plotly.js with fromcurrent plays the frames after the current one, and all of them from the last one
        assert frames is None and options["fromcurrent"] is True and options["mode"] == "immediate"
    frames, options = buttons["↺ Restart"]["args"]
    assert frames is None and options["fromcurrent"] is False
    assert buttons["❚❚ Pause"]["args"][0] == [None]
    assert figure["layout"]["sliders"][0]["active"] == len(figure["frames"]) - 1  # at rest on the last step
    _, _, chinese = build(sc.DEFAULT_SCENE, lang="zh")
    labels = [button["label"] for button in chinese["layout"]["updatemenus"][0]["buttons"]]
    assert len(labels) == 5 and all(i18n.has_chinese(label) for label in labels)


# The five buttons' widths measured in Debian's Chromium (plotly.js 4.1, DejaVu Sans): English / Chinese labels.
BUTTON_ROW_PX = {("en", 14): 398, ("zh", 14): 408, ("en", 20): 513, ("zh", 20): 529}


@pytest.mark.parametrize("lang, font_size", list(BUTTON_ROW_PX))
def test_the_slider_starts_right_of_the_buttons_or_below_them(lang, font_size):
    _, _, figure = build(sc.DEFAULT_SCENE, lang=lang, font_size=font_size)
    layout = figure["layout"]
    slider, menu = layout["sliders"][0], layout["updatemenus"][0]
    assert slider["x"] + slider["len"] <= 1.0 + 1e-9
    if slider["x"] > 0:  # beside the buttons on a chart ~770 px wide (plot area 700 px: a 1280 px screen and sidebar)
        assert slider["x"] * 700 >= BUTTON_ROW_PX[lang, font_size] + 8
    else:  # on its own row: below the buttons' (33 px at font 14, measured; 1.3 em + 14 px)
        plot_h = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
        assert -slider["y"] * plot_h >= -menu["y"] * plot_h + 1.3 * font_size + 14
    if font_size == 14:  # the page's usual size: beside them
        assert slider["x"] > 0
    if font_size == 20:  # projector: the buttons need 513–529 px, most of a 700 px plot area
        assert slider["x"] == 0 and slider["len"] == 1


UNDEFINED_LEFT = dict(surface="formula", formula="log(x)", x_range=(-5.0, 5.0), y_range=(-5.0, 5.0), steps=30,
                      runs=(sc.RunSpec.of("sgd", lr=0.1), sc.RunSpec.of("adam", lr=0.3),
                            sc.RunSpec.of("momentum", lr=0.1), sc.RunSpec.of("newton")))


def label_box(annotation, plot_w, plot_h, layout_x, layout_y):
    """The rectangle (pixels, y up) an annotation covers on a plot_w × plot_h surface: ~0.55 em a character."""
    size = annotation["font"]["size"]
    width, height = 0.55 * size * len(annotation["text"]), 1.3 * size
    x = (annotation["x"] - layout_x[0]) / (layout_x[1] - layout_x[0]) * plot_w + annotation.get("xshift", 0)
    y = (annotation["y"] - layout_y[0]) / (layout_y[1] - layout_y[0]) * plot_h + annotation.get("yshift", 0)
    left = x - {"left": 0, "center": width / 2, "right": width}[annotation["xanchor"]]
    bottom = y - {"bottom": 0, "middle": height / 2, "top": height}[annotation["yanchor"]]
    return left, bottom, left + width, bottom + height


@pytest.mark.parametrize("start", [(1.0, 1.0), (-1.0, 1.0)])
def test_diverged_labels_of_several_runs_stay_apart(start):
    # from (1, 1) SGD, Adam and Momentum step into x ≤ 0 within a few steps, all near (0.1 … 0.4, 1), and
    # Newton (∂f/∂x = 1/x, ∂²f/∂x² = −1/x²: x ← x − (−x²)(1/x) = 2x) doubles x until it leaves at x = 5;
    # from (−1, 1) log is undefined at the start and all four stop there, at step 0
    scene = sc.Scene(start=start, **UNDEFINED_LEFT)
    _, _, figure = build(scene)
    layout = figure["layout"]
    labels = [a for a in layout["annotations"] if "diverged at step" in a["text"]]
    assert len(labels) == 4
    assert {a["text"].split(":")[0] for a in labels} == {run.label() for run in scene.runs}  # each names its run
    for plot in (434, 515):  # the surface's side in pixels on a narrower and a 900 px wide chart
        boxes = [label_box(a, plot, plot, layout["xaxis"]["range"], layout["yaxis"]["range"]) for a in labels]
        for i, a in enumerate(boxes):
            for b in boxes[:i]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
            assert -5 <= a[0] and a[2] <= plot + 5 and 0 <= a[1] and a[3] <= plot  # inside the chart
    if start == (-1.0, 1.0):  # one point: stacked one line apart each
        shifts = sorted(a["yshift"] for a in labels)
        assert np.min(np.abs(np.diff(shifts))) >= 1.2 * labels[0]["font"]["size"]


def traced_values(figure, axis_name) -> np.ndarray:
    letter = axis_name[0]
    values = [fg.decode(trace[letter]) for trace in figure["data"]
              if trace.get(letter + "axis", letter) == axis_name and isinstance(trace.get(letter), dict)]
    return np.concatenate(values)


def test_a_panel_without_data_is_not_drawn():
    # log(x) has no minimum and no saddle: no distance panel, and the three others share the column
    _, _, figure = build(sc.Scene(start=(1.0, 1.0), **UNDEFINED_LEFT))
    layout = figure["layout"]
    assert "yaxis5" not in layout and "xaxis5" not in layout
    assert not any(trace.get("yaxis") == "y5" for trace in figure["data"])
    assert not any("distance" in a["text"] for a in layout["annotations"])
    domains = sorted(layout[f"yaxis{s}"]["domain"] for s in "234")
    assert domains[0][0] == pytest.approx(0) and domains[-1][1] == pytest.approx(1)
    assert all(low[1] < high[0] for low, high in zip(domains, domains[1:]))
    assert layout["xaxis4"]["showticklabels"] and layout["xaxis2"]["matches"] == "x4"  # the step axis, at the bottom
    for suffix in "234":
        assert np.isfinite(traced_values(figure, "y" + suffix)).any()
    # every run undefined at its start: nothing to plot beside the surface, which takes the whole width
    _, _, figure = build(sc.Scene(start=(-1.0, 1.0), **UNDEFINED_LEFT))
    assert not any(name.startswith(("xaxis", "yaxis")) and name[-1].isdigit() for name in figure["layout"])
    assert figure["layout"]["xaxis"]["domain"] == [0.0, 1.0]
    go.Figure(figure)


def test_a_run_that_leaves_the_chart_is_drawn_to_its_edge():
    # SGD at lr 2.5 on the bowl x²/20 + y² from (−7, 2): x ← 0.75x, y ← −4y, so (x_k, y_k) =
    # (−7·0.75^k, 2·(−4)^k); y_6 = 8192 is more than 1000 half-diagonals out: it stops at step 7 with 7 points
    scene = sc.Scene(runs=(sc.RunSpec.of("sgd", lr=2.5), sc.RunSpec.of("momentum", lr=0.1)), steps=30)
    surface, runs, figure = build(scene)
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    assert (x_lo, x_hi, y_lo, y_hi) == (-10, 10, -5, 5) and runs[0].trajectory.stopped_at == 7

    def inside(trace):
        x, y = fg.decode(trace["x"]), fg.decode(trace["y"])
        drawn = np.isfinite(x)
        assert np.array_equal(drawn, np.isfinite(y)) and drawn.any()
        assert np.all((x_lo <= x[drawn]) & (x[drawn] <= x_hi) & (y_lo <= y[drawn]) & (y[drawn] <= y_hi))
        return x, y

    surface_traces = [t for t in figure["data"] if t.get("xaxis", "x") == "x" and t.get("name") != "click grid"]
    for trace in surface_traces:
        inside(trace)
    for frame in figure["frames"]:
        for name in (runs[0].label, runs[1].label, "now"):  # the two paths and the current positions
            inside(in_frame(figure["data"], frame, name))
    # the path goes from (−7, 2) toward (−5.25, −8) and leaves through y = −5 at t = 0.7: x = −7 + 0.7·1.75
    sgd = next(t for t in figure["data"] if t.get("showlegend") and t["name"] == runs[0].label)
    x, y = inside(sgd)
    np.testing.assert_allclose([x[1], y[1]], [-5.775, -5.0], rtol=1e-6)
    # it last crosses the chart from y_5 = −2048 to y_6 = 8192 and leaves through y = 5 at t = 2053/10240
    x5, x6 = -7 * 0.75**5, -7 * 0.75**6
    exit_x = x5 + 2053 / 10240 * (x6 - x5)
    label = next(a for a in figure["layout"]["annotations"] if a["text"] == "diverged at step 7")
    assert (label["x"], label["y"]) == pytest.approx((exit_x, 5.0), rel=1e-9)
    assert label["yanchor"] == "top" and label["yshift"] < 0 and label["xanchor"] == "center"
    now = in_frame(figure["data"], figure["frames"][-1], "now")
    np.testing.assert_allclose([fg.decode(now["x"])[0], fg.decode(now["y"])[0]], [exit_x, 5.0], rtol=1e-6)
    # the panels keep the whole run: the loss at step 6 is x_6²/20 + y_6²
    loss = next(t for t in figure["data"] if t.get("yaxis") == "y2" and t["line"]["color"] == runs[0].colour
                and t.get("mode") == "lines")
    assert fg.decode(loss["y"])[-1] == pytest.approx(x6**2 / 20 + 8192.0**2, rel=1e-6)


def test_clip_path_cuts_at_the_edges_and_breaks_between_parts():
    box = ((0.0, 1.0), (0.0, 1.0))
    # in, out through x = 1 at y = 0.5, back in through y = 1 at x = 0.5, in
    path = fg.clip_path([(0.5, 0.5), (1.5, 0.5), (0.5, 1.5), (0.5, 0.5)], box)
    expected = [(0.5, 0.5), (1.0, 0.5), (np.nan, np.nan), (1.0, 1.0), (1.0, 1.0), (np.nan, np.nan), (0.5, 1.0),
                (0.5, 0.5)]
    # (1.5, 0.5) → (0.5, 1.5) touches the box only at its corner (1, 1)
    np.testing.assert_allclose(path, expected)
    inner = np.array([(0.1, 0.2), (0.3, 0.4)])
    assert fg.clip_path(inner, box) is not None and np.array_equal(fg.clip_path(inner, box), inner)


# Heights measured in Chromium: a row of buttons is 33 px; the stacked rows' widths at font 14.
BUTTON_ROW_HEIGHT = 33
STACKED_ROWS_PX = {"en": (66 + 92 + 85 + 4, 77 + 70 + 2), "zh": (70 + 80 + 96 + 4, 84 + 70 + 2)}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_stacked_for_a_phone(lang):
    _, _, figure = build(sc.DEFAULT_SCENE, stacked=True, lang=lang)
    layout = figure["layout"]
    margin = layout["margin"]
    plot_h = layout["height"] - margin["t"] - margin["b"]
    assert layout["height"] < 1500
    # one column: the surface on top at full width, to scale; each panel below it, a readable height
    assert layout["xaxis"]["domain"] == [0.0, 1.0] and layout["yaxis"]["scaleanchor"] == "x"
    domains = [layout["yaxis"]["domain"]] + [layout[f"yaxis{s}"]["domain"] for s in "2345"]
    for upper, lower in zip(domains, domains[1:]):
        assert lower[1] < upper[0]  # below, not overlapping
        assert (upper[0] - lower[1]) * plot_h >= layout["font"]["size"] * 1.3  # room for the panel's title
    assert all(layout[f"xaxis{s}"]["domain"] == [0.0, 1.0] for s in "2345")
    assert all((high - low) * plot_h >= 130 for low, high in domains[1:])
    # the bowl's domain is 20 × 10: drawn at the phone's width (~294 px) it is ~147 px high
    assert (domains[0][1] - domains[0][0]) * plot_h == pytest.approx(147, abs=15)
    # the buttons in two rows that fit a 390 px phone, the slider on its own row below them
    menus = layout["updatemenus"]
    assert len(menus) == 2 and sum(len(m["buttons"]) for m in menus) == 5
    assert all(width <= 358 - margin["l"] for width in STACKED_ROWS_PX[lang])
    lowest_row_top = -min(m["y"] for m in menus) * plot_h
    slider = layout["sliders"][0]
    assert slider["x"] == 0 and slider["len"] == 1
    assert -slider["y"] * plot_h >= lowest_row_top + BUTTON_ROW_HEIGHT
    assert -menus[1]["y"] * plot_h >= -menus[0]["y"] * plot_h + BUTTON_ROW_HEIGHT
    go.Figure(figure)


def test_a_cyclic_schedule_marks_its_snapshots_and_their_average():
    """Warm restarts with 3 cycles over the book's 30 steps end cycles after steps 10, 20 and 30 (by hand:
    T₀ = 30 / 3 = 10, T_mult = 1); each run's points there are its snapshots, their mean the ensemble."""
    scene = sc.Scene(runs=(sc.RunSpec.of("momentum", lr=0.1), sc.RunSpec.of("adam", lr=0.3)), schedule="warm_restarts",
                     cycles=3)
    assert scene.cycle_ends() == (10, 20, 30)
    surface, runs, figure = build(scene, snapshots=scene.cycle_ends())
    for run in runs:
        marks = next(t for t in figure["data"] if t.get("name") == f"{run.label} · snapshots")
        ensemble = next(t for t in figure["data"] if t.get("name") == f"{run.label} · snapshot ensemble")
        expected = run.trajectory.xy[[10, 20, 30]]
        np.testing.assert_allclose(np.column_stack([fg.decode(marks["x"]), fg.decode(marks["y"])]), expected,
                                   rtol=1e-6)
        np.testing.assert_allclose([ensemble["x"][0], ensemble["y"][0]], expected.mean(axis=0), rtol=1e-12)
    assert sc.Scene().cycle_ends() == () and sc.Scene(schedule="step").cycle_ends() == ()  # no cycles, no snapshots


# --- inside a step: line-search trials and the curvature BFGS believes in ------------------------------------


def build_recorded(scene, **options):
    """``build`` as the page runs paths (ui.views._path): with their state and trials where the chart draws them."""
    surface = scene.surface_object()
    trajectories = [sc.simulate_run(scene, run, surface, record_state=fg.draws_state(scene.optimizer(run)))
                    for run in scene.runs]
    runs = [fg.RunView(r.label(), fg.PALETTE[i], tr, optim_core.RULES[r.optimizer].adaptive)
            for i, (r, tr) in enumerate(zip(scene.runs, trajectories))]
    return surface, runs, fg.paths_figure(surface, scene.start, runs, fg.background(surface), steps=scene.steps,
                                          **options)


def xy_of(trace) -> np.ndarray:
    return np.column_stack([fg.decode(trace["x"]), fg.decode(trace["y"])])


def test_only_runs_that_search_or_learn_curvature_keep_their_state():
    assert fg.draws_state(optim_core.make("sgd", line_search="armijo"))
    assert fg.draws_state(optim_core.make("newton", line_search="wolfe"))
    assert fg.draws_state(optim_core.make("bfgs")) and fg.draws_state(optim_core.make("lbfgs", line_search="none"))
    assert not fg.draws_state(optim_core.make("sgd")) and not fg.draws_state(optim_core.make("adam"))


def test_line_search_trials_are_drawn_step_by_step_and_cut_at_the_edge():
    """Armijo SGD at lr 3 on the bowl x²/20 + y² from (−7, 2): p = −∇f = (0.7, −4), f(x0) = 6.45.  The
    search tries α = lr·ρ^i = 3, 1.5, 0.75 (ρ = 0.5): x0 + 3p = (−4.9, −10), f = 101.2, and x0 + 1.5p =
    (−5.95, −4), f = 17.77, fail sufficient decrease; x0 + 0.75p = (−6.475, −1), f = 3.096, is accepted: the
    path's x1.  The first trial lies below the chart (y ≥ −5): its ray from x0 is cut where it leaves, at
    t = 7/12 of the way: (−7 + 2.1·7/12, −5) = (−5.775, −5)."""
    scene = sc.Scene(runs=(sc.RunSpec.of("sgd", lr=3.0, line_search="armijo"),), start=(-7.0, 2.0), steps=8)
    surface, runs, figure = build_recorded(scene)
    tr = runs[0].trajectory
    x0, p, lr, rho = np.array([-7.0, 2.0]), np.array([0.7, -4.0]), 3.0, 0.5
    alphas = lr * rho ** np.arange(3)
    np.testing.assert_allclose(tr.line_search.trial_alpha[0], alphas)
    np.testing.assert_allclose(tr.xy[1], x0 + alphas[2] * p)  # the accepted trial is the path's next point
    name = f"{runs[0].label} · line-search trials"
    static = next(trace for trace in figure["data"] if trace.get("name") == name)
    assert static["line"]["color"] == runs[0].colour and static["mode"] == "lines+markers"
    # frame 0: no step yet, no trial (one NaN point: plotly.js would keep the old points of an empty frame trace);
    # frame 1: step 1's ray x0 → x0 + 1.5p → the edge, then a break
    assert np.isnan(xy_of(in_frame(figure["data"], figure["frames"][0], name))).all()
    step_1 = xy_of(in_frame(figure["data"], figure["frames"][1], name))
    np.testing.assert_allclose(step_1, [x0, x0 + alphas[1] * p, (-7 + 2.1 * 7 / 12, -5.0), (np.nan, np.nan)],
                               rtol=1e-6)
    # frame k shows the trials of steps 1 … k, each ray from x_{j−1} along −∇f(x_{j−1}), nothing later
    box = (surface.x_range, surface.y_range)
    for k in range(1, len(tr.xy)):
        expected = []
        for j in range(1, k + 1):
            rejected = np.sort(tr.line_search.trial_alpha[j - 1][tr.line_search.trial_failed[j - 1] > 0])
            ray = tr.xy[j - 1] - rejected[:, None] * surface.grad(tr.xy[j - 1])
            expected += [fg.clip_path(np.concatenate([tr.xy[j - 1:j], ray]), box), np.full((1, 2), np.nan)]
        np.testing.assert_allclose(xy_of(in_frame(figure["data"], figure["frames"][k], name)),
                                   np.concatenate(expected), rtol=1e-6, atol=1e-6)
    go.Figure(figure)


def test_a_run_that_never_backtracks_or_kept_no_trials_draws_none():
    plain = sc.Scene(runs=(sc.RunSpec.of("sgd", lr=0.1),), steps=5)
    _, _, figure = build_recorded(plain)
    assert not any("line-search" in trace.get("name", "") for trace in figure["data"])
    scene = sc.Scene(runs=(sc.RunSpec.of("sgd", lr=3.0, line_search="armijo"),), start=(-7.0, 2.0), steps=8)
    _, _, figure = build(scene)  # run without record_state: the trials were not kept
    assert not any("line-search" in trace.get("name", "") for trace in figure["data"])


BELIEVED, TRUE_CURVATURE = fg.BELIEVED, fg.TRUE_CURVATURE


def believed(figure, frame, run) -> np.ndarray:
    """The frame's ellipse of ``run``'s H_k (the curvature ellipses share a legend entry; each has its run's colour)."""
    index = next(i for i, trace in enumerate(figure["data"]) if trace.get("name") == BELIEVED
                 and trace["line"]["color"] == run.colour and i in frame["traces"])
    return xy_of(frame["data"][frame["traces"].index(index)])


def semi_axes(ellipse, centre) -> tuple:
    """Half the ellipse's extent along x and along y about its centre."""
    points = ellipse[np.isfinite(ellipse[:, 0])] - centre
    return np.abs(points[:, 0]).max(), np.abs(points[:, 1]).max()


@pytest.mark.parametrize("name", ["bfgs", "lbfgs"])
def test_the_curvature_bfgs_believes_in_learns_the_bowl(name):
    """The bowl x²/20 + y² has ∇²f = diag(1/10, 2), so ∇²f⁻¹ = diag(10, 0.5): its ellipse is aligned with x,
    its semi-axes in the ratio √(10/0.5) = √20 ≈ 4.47; the longer one at least 0.1 of the domain's shorter
    side (10): 1.0 (more where that would be small beside the marker).  H_0 = I: a circle as wide.  With exact
    line searches on a 2-D quadratic (N&W Thm 6.4) BFGS ends at the minimum in 2 steps with H_2 = A⁻¹ (L-BFGS
    too, remembering both pairs): at step 2 the two ellipses coincide."""
    exact = dict(line_search="wolfe", c1=1e-10, c2=1e-8)
    scene = sc.Scene(runs=(sc.RunSpec.of(name, **exact),), start=(-7.0, 2.0), steps=10)
    surface, runs, figure = build_recorded(scene)
    tr = runs[0].trajectory
    assert tr.status == "converged" and len(tr.xy) == 3 and len(figure["frames"]) == 3
    true_name = TRUE_CURVATURE
    assert {BELIEVED, TRUE_CURVATURE} <= {trace.get("name") for trace in figure["data"] if trace.get("showlegend")}
    frames = figure["frames"]
    true_0 = xy_of(in_frame(figure["data"], frames[0], true_name))
    believed_0 = believed(figure, frames[0], runs[0])
    major, minor = semi_axes(true_0, tr.xy[0])
    assert major / minor == pytest.approx(np.sqrt(20), rel=1e-4)  # ≈ 4.47, the longer axis along x
    (x_lo, x_hi), (y_lo, y_hi) = surface.x_range, surface.y_range
    assert major >= 0.1 * min(x_hi - x_lo, y_hi - y_lo) == 1.0
    np.testing.assert_allclose(np.linalg.norm(believed_0[:-1] - tr.xy[0], axis=1), major, rtol=1e-5)  # H_0 = I
    believed_1 = believed(figure, frames[1], runs[0])
    true_1 = xy_of(in_frame(figure["data"], frames[1], true_name))
    assert np.nanmax(np.abs(believed_1 - true_1)) > 0.3  # one pair of (s, y): not there yet
    true_2 = xy_of(in_frame(figure["data"], frames[2], true_name))
    believed_2 = believed(figure, frames[2], runs[0])
    np.testing.assert_allclose(believed_2, true_2, atol=1e-5)  # H_2 = A⁻¹
    assert semi_axes(believed_2, tr.xy[2]) == pytest.approx((major, major / np.sqrt(20)), rel=1e-4)
    offsets = believed_2[:-1] - tr.xy[2]
    farthest = offsets[np.argmax(np.linalg.norm(offsets, axis=1))]
    np.testing.assert_allclose(np.abs(farthest), (major, 0.0), atol=1e-5)  # the longer axis along x
    go.Figure(figure)


def test_no_true_ellipse_where_the_hessian_is_not_positive_definite():
    """On the saddle the Hessian is indefinite everywhere: only BFGS's own ellipse is drawn."""
    scene = sc.Scene(surface="saddle", runs=(sc.RunSpec.of("bfgs"),), steps=5)
    _, runs, figure = build_recorded(scene)
    for frame in figure["frames"]:
        true = xy_of(in_frame(figure["data"], frame, TRUE_CURVATURE))
        assert not np.isfinite(true).any() and np.isfinite(believed(figure, frame, runs[0])).any()


def test_trials_and_ellipses_keep_frames_small():
    """A long searching run: each frame shows at most TRIAL_WINDOW of a run's latest trials while playing, and
    all frames' trial points stay within TRIAL_POINT_BUDGET."""
    scene = sc.Scene(runs=(sc.RunSpec.of("sgd", lr=3.0, line_search="armijo"), sc.RunSpec.of("bfgs")), steps=600)
    _, runs, figure = build_recorded(scene)
    name = f"{runs[0].label} · line-search trials"
    sizes = [len(fg.decode(in_frame(figure["data"], frame, name)["x"])) for frame in figure["frames"][:-1]]
    assert 0 < max(sizes) <= 3 * fg.TRIAL_WINDOW and sum(sizes) <= fg.TRIAL_POINT_BUDGET
    assert fg.figure_bytes(figure) < 1_500_000
    go.Figure(figure)
