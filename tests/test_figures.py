"""The figures as plain dicts: valid Plotly, small, frames that carry only what moves."""

import struct
import zlib

import numpy as np
import plotly.graph_objects as go
import pytest

import optim_core
import surfaces
from viz import figures as fg
from viz import scene as sc


def build(scene, **options):
    surface = scene.surface_object()
    trajectories = sc.simulate(scene)
    runs = [fg.RunView(r.label(), fg.PALETTE[i], tr, optim_core.RULES[r.optimizer].adaptive)
            for i, (r, tr) in enumerate(zip(scene.runs, trajectories))]
    return surface, runs, fg.paths_figure(surface, scene.start, runs, fg.background(surface), steps=scene.steps,
                                          **options)


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
@pytest.mark.parametrize("options", [{}, dict(show_average=True, show_field=True)])
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
        x = fg.decode(frame["data"][0]["x"])
        np.testing.assert_allclose(x, sgd_path[:k + 1, 0], rtol=1e-6)
        position = fg.decode(frame["data"][4]["x"])
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
    scene = sc.Scene(runs=(sc.RunSpec.of("sgd", lr=1.5),), start=(0.0, 2.0), steps=50)
    _, runs, figure = build(scene)
    labels = [t for t in figure["data"] if t.get("text") == ["diverged at step 13"]]
    assert len(labels) == 1
    np.testing.assert_allclose(fg.decode(labels[0]["y"]), [runs[0].trajectory.xy[-1, 1]], rtol=1e-6)
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
    z = fg.decode(figure["data"][0]["z"])
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
