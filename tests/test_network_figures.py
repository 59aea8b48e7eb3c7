"""The network lab's pictures (viz/network.py): valid Plotly figures, and their numbers against hand values."""

import base64
import io

import numpy as np
import plotly.graph_objects as go
import pytest
from PIL import Image

import optim_core
from nets import data, landscape, network, train
from viz import network as pictures

SPIRAL = data.load("spiral", points_per_class=40)
ARCH = network.Architecture((2, 12, 3))
NAMES, COLOURS = ["1 SGD", "2 Adam"], ["#D55E00", "#CC79A7"]


@pytest.fixture(scope="module")
def training():
    runs = [optim_core.make("sgd", lr=0.1), optim_core.make("adam", lr=0.01)]
    return train.train(ARCH, SPIRAL, runs, iterations=60, batch_size=20, seed=0)


def decode(uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGBA"))


def test_the_books_smoothing_keeps_constants_and_straight_lines():
    # a symmetric window of weights summing to 1 leaves a constant and (away from the mirrored ends) a line as they are
    np.testing.assert_allclose(pictures.smooth_curve(np.full(40, 2.5)), 2.5)
    line = np.arange(60.0)
    np.testing.assert_allclose(pictures.smooth_curve(line)[10:-10], line[10:-10])
    with_gap = np.r_[np.ones(20), np.full(5, np.nan)]
    smoothed = pictures.smooth_curve(with_gap)
    assert np.isnan(smoothed[20:]).all() and np.allclose(smoothed[:20], 1.0)


def test_the_books_smoothing_is_its_kaiser_window():
    values = np.random.default_rng(0).random(30)
    window = np.kaiser(11, 2) / np.kaiser(11, 2).sum()
    # the middle point by hand: the window centred on it
    assert pictures.smooth_curve(values)[15] == pytest.approx(np.dot(window, values[10:21]))


def test_bilinear_upsampling_reproduces_a_plane_exactly():
    ys, xs = np.mgrid[0:5, 0:7]
    plane = 2.0 * xs - 3.0 * ys + 1.0
    fine = pictures.upsample(plane, 4)
    fine_y, fine_x = np.mgrid[0:17, 0:25] / 4.0
    np.testing.assert_allclose(fine, 2.0 * fine_x - 3.0 * fine_y + 1.0, atol=1e-12)


def test_a_confident_prediction_is_its_class_colour_and_an_unsure_one_is_pale():
    sure = np.array([[0.0, 1.0, 0.0]])  # class 1, confidence 1: tint 0.7 of the class colour over white
    unsure = np.array([[1 / 3, 1 / 3, 1 / 3]])  # confidence 0: tint 0.25
    orange = np.array([0xE6, 0x9F, 0x00])
    pixel = decode(pictures.regions_image(sure, (1, 1)))[0, 0, :3]
    np.testing.assert_allclose(pixel, np.floor(255 - 0.7 * (255 - orange)), atol=1)
    pale = decode(pictures.regions_image(unsure, (1, 1)))[0, 0, :3]
    np.testing.assert_allclose(pale, np.floor(255 - 0.25 * (255 - np.array([0x00, 0x72, 0xB2]))), atol=1)


def test_the_region_image_puts_the_lowest_y_at_the_bottom():
    probabilities = np.zeros((2, 1, 2))
    probabilities[0, 0, 0] = 1.0  # row 0 (lowest y): class 0
    probabilities[1, 0, 1] = 1.0  # row 1: class 1
    image = decode(pictures.regions_image(probabilities.reshape(2, 2), (2, 1)))
    blue, orange = image[1, 0, :3], image[0, 0, :3]  # the PNG's last row is the bottom
    assert blue[2] > blue[0] and orange[0] > orange[2]


def test_every_figure_is_valid_plotly(training):
    figures = [pictures.loss_figure(training, NAMES, COLOURS)]
    xs, ys, points = pictures.region_grid(SPIRAL.bounds, 16)
    probabilities = network.predict_proba(ARCH, training.weights[:, :5].astype(float), points)
    figures.append(pictures.regions_figure(xs, ys, probabilities, SPIRAL, NAMES, training.val_accuracy[:, :5],
                                           training.checkpoints[:5]))
    plane = landscape.pca_plane(training.weights.astype(float), training.weights[1, -1].astype(float))
    coords = landscape.project(training.weights.astype(float), plane)
    alphas, betas = landscape.grid(plane, coords, size=9)
    losses = landscape.surface(lambda theta: network.loss(ARCH, theta, SPIRAL.x_train, SPIRAL.y_train), plane, alphas,
                               betas)
    figures.append(pictures.landscape_figure(alphas, betas, losses, coords, training.checkpoints, NAMES, COLOURS))
    for figure in figures:
        go.Figure(figure)  # raises on anything Plotly does not know


def test_the_landscape_frames_grow_each_path_to_its_kept_iteration(training):
    coords = np.cumsum(np.ones((2, len(training.checkpoints), 2)), axis=1)
    alphas, betas = np.linspace(0, 70, 5), np.linspace(0, 70, 5)
    figure = pictures.landscape_figure(alphas, betas, np.ones((5, 5)), coords, training.checkpoints, NAMES, COLOURS)
    assert [frame["name"] for frame in figure["frames"]] == [str(k) for k in training.checkpoints]
    third = figure["frames"][3]
    assert third["data"][0]["x"] == [1.0, 2.0, 3.0, 4.0] and third["data"][1]["x"] == [4.0]  # path, marker
    image = figure["layout"]["images"][0]
    assert (image["x"], image["y"], image["sizex"], image["sizey"]) == (0.0, 70.0, 70.0, 70.0)
    hidden = sum(trace.get("line", {}).get("dash") == "dot" for trace in figure["data"])
    shown = pictures.landscape_figure(alphas, betas, np.ones((5, 5)), coords, training.checkpoints, NAMES, COLOURS,
                                      hide_future=False)
    assert hidden == 0 and sum(trace.get("line", {}).get("dash") == "dot" for trace in shown["data"]) == 2


def test_the_landscape_bands_follow_the_loss():
    losses = np.outer(np.ones(11), np.logspace(-2, 0, 11))  # the loss grows from left to right
    uri, levels = pictures.landscape_picture(losses)
    image = decode(uri)[:, :, :3].astype(float)
    assert levels[0] == pytest.approx(np.quantile(losses, 0.002)) and levels[-1] == pytest.approx(
        np.quantile(losses, 0.98))
    # figures.BAND_RAMP: pale where low, grey-blue where high
    assert image[50, 2].sum() > image[50, -3].sum()


def test_the_player_starts_at_the_last_frame_and_names_every_frame():
    controls = pictures.player([0, 10, 20], "en", 14, redraw=False)
    slider = controls["sliders"][0]
    assert slider["active"] == 2 and [step["label"] for step in slider["steps"]] == ["0", "10", "20"]
    assert slider["currentvalue"]["prefix"] == "iteration "
    assert pictures.player([0, 10], "zh", 14, redraw=False)["sliders"][0]["currentvalue"]["prefix"] == "第 "


def test_the_initial_weights_figure_is_valid_and_labels_every_row_and_layer():
    from nets import init_study
    figure = pictures.init_figure({scale: init_study.histograms(scale, "tanh") for scale in init_study.SCALES})
    go.Figure(figure)
    texts = [note["text"] for note in figure["layout"]["annotations"]]
    assert [f"layer {k}" for k in range(1, 6)] == texts[:5]
    assert {"σ = 1", "σ = 0.01", "Xavier: √(1/n)", "He: √(2/n)"} <= set(texts)
