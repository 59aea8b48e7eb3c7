"""nets.landscape against values worked out by hand.

The golden values come from constructions, not from the module: trajectories built on a plane
spanned by hand-picked orthonormal u, v; a point cloud M·Q with M's columns orthogonal (so its
singular values are the column norms, by hand) and Q the orthogonal matrix with rows
(1, 2, 2)/3, (2, 1, −2)/3, (2, −2, 1)/3; the quadratic Σ cᵢθᵢ² expanded along hand-picked
directions.  ``np.linalg.svd`` serves as an independent reference because the module uses the
Gram trick (an eigendecomposition of M·Mᵀ or Mᵀ·M), not an SVD.
"""

import contextlib
import math
import warnings

import numpy as np
import pytest

import optim_core
from nets import data, landscape, network, train
from nets.landscape import Plane

# --- hand-made constructions --------------------------------------------------------------------

N = 7
U = np.array([3, 4, 0, 0, 0, 0, 0]) / 5.0  # largest |component| (4/5) positive
V = np.array([0, 0, 1, 2, -2, 0, 0]) / 3.0  # largest |component| first at index 3, positive
ORIGIN = np.array([0.5, -1.0, 2.0, 0.25, 3.0, -2.0, 1.5])
# (a, b) of every checkpoint: Σ a·b = 4 − 2 + 0 − 2 − 2 + 2 = 0, Σ a² = 26 > Σ b² = 11, so the
# principal axes of the cloud are u then v exactly.
AB = np.array([[[4.0, 1.0], [2.0, -1.0], [0.0, 0.0]],
               [[-2.0, 1.0], [-1.0, 2.0], [-1.0, -2.0]]])
Q = np.array([[1, 2, 2], [2, 1, -2], [2, -2, 1]]) / 3.0  # orthogonal and symmetric


def _planar_paths():
    return ORIGIN + AB[..., :1] * U + AB[..., 1:] * V  # (2, 3, 7)


def _cloud(n=3):
    """6 points whose differences to the origin are ±3q₁, ±2q₂, ±1q₃ (qᵢ = rows of Q, padded
    with zeros to n): singular values 3√2, 2√2, √2, so explained = (18 + 8) / (18 + 8 + 2) = 13/14."""
    M = np.array([[3, 0, 0], [-3, 0, 0], [0, 2, 0], [0, -2, 0], [0, 0, 1], [0, 0, -1]], float) @ Q
    origin = np.linspace(-1.0, 1.0, n)
    return origin + np.pad(M, ((0, 0), (0, n - 3)))[None], origin


@contextlib.contextmanager
def _no_warnings():
    """Any warning (a NumPy RuntimeWarning such as 0/0 included) becomes an error."""
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        yield


# --- pca_plane + project -------------------------------------------------------------------------


def test_a_trajectory_on_a_plane_is_recovered_exactly():
    paths = _planar_paths()
    plane = landscape.pca_plane(paths, ORIGIN)
    assert plane.kind == "pca" and plane.orthonormal and plane.principal == 2
    np.testing.assert_allclose(plane.directions, [U, V], atol=1e-14)
    np.testing.assert_allclose(plane.directions @ plane.directions.T, np.eye(2), atol=1e-14)
    assert plane.explained == pytest.approx(1.0, abs=1e-14)
    coords = landscape.project(paths, plane)
    assert coords.shape == (2, 3, 2)
    np.testing.assert_allclose(coords, AB, atol=1e-13)
    assert landscape.describe(plane) == ("the plane of the first two principal directions of the "
                                         "trajectories, which hold 100.0 % of their variance")


@pytest.mark.parametrize("n", [3, 10])  # m = 6 > n (Mᵀ·M branch) and m = 6 ≤ n (M·Mᵀ branch)
def test_explained_of_a_known_cloud(n):
    paths, origin = _cloud(n)
    plane = landscape.pca_plane(paths, origin)
    assert plane.explained == pytest.approx(13 / 14, rel=1e-13)
    q = np.pad(Q, ((0, 0), (0, n - 3)))
    np.testing.assert_allclose(plane.directions, q[:2], atol=1e-13)  # (1,2,2)/3 and (2,1,−2)/3: signs +
    coords = landscape.project(paths, plane)[0]
    np.testing.assert_allclose(coords, [[3, 0], [-3, 0], [0, 2], [0, -2], [0, 0], [0, 0]], atol=1e-13)
    assert "92.9 %" in landscape.describe(plane)


@pytest.mark.parametrize("m,n", [(60, 40), (30, 80)])
def test_pca_plane_agrees_with_an_svd(m, n):
    rng = np.random.default_rng(m)
    points = rng.standard_normal((m, n)) * np.geomspace(3.0, 0.1, n)
    origin = rng.standard_normal(n)
    plane = landscape.pca_plane(points.reshape(3, m // 3, n), origin)
    _, s, vt = np.linalg.svd(points - origin)
    assert plane.explained == pytest.approx((s[0] ** 2 + s[1] ** 2) / np.sum(s**2), rel=1e-12)
    np.testing.assert_allclose(np.abs(np.sum(plane.directions * vt[:2], axis=1)), 1.0, atol=1e-10)
    assert all(d[np.argmax(np.abs(d))] > 0 for d in plane.directions)


def test_non_finite_rows_are_ignored():
    paths = _planar_paths()
    diverged = np.full((1, 3, N), np.nan)
    diverged[0, 0] = ORIGIN + 4.0 * U  # a finite point on the plane, then NaN / inf
    diverged[0, 2, 3] = np.inf
    with_bad = np.concatenate([paths, diverged])
    with _no_warnings():
        plane = landscape.pca_plane(with_bad, ORIGIN)
        coords = landscape.project(with_bad, plane)
    np.testing.assert_allclose(plane.directions, [U, V], atol=1e-14)
    np.testing.assert_allclose(coords[:2], AB, atol=1e-13)
    np.testing.assert_allclose(coords[2, 0], [4.0, 0.0], atol=1e-13)
    assert np.isnan(coords[2, 1:]).all()
    alphas, betas = landscape.grid(plane, coords)
    assert np.isfinite(alphas).all() and np.isfinite(betas).all()


def test_a_run_on_a_line_gives_a_valid_plane():
    w = np.array([0.0, -1.0, 0.0, 2.0, 2.0, 0.0, 0.0])  # ‖w‖ = 3; largest |component| at 3, positive
    paths = (ORIGIN + np.array([-1.0, 0.5, 2.0, 0.0])[:, None] * w)[None]
    with _no_warnings():
        plane = landscape.pca_plane(paths, ORIGIN)
        coords = landscape.project(paths, plane)
    assert plane.principal == 1 and plane.orthonormal and plane.explained == pytest.approx(1.0, abs=1e-14)
    np.testing.assert_allclose(plane.directions[0], w / 3, atol=1e-14)
    np.testing.assert_allclose(plane.directions @ plane.directions.T, np.eye(2), atol=1e-14)
    # the completion: e₀ has no component along w (the first of the smallest Σ d_j²)
    np.testing.assert_array_equal(plane.directions[1], np.eye(N)[0])
    np.testing.assert_allclose(coords[0], [[-3, 0], [1.5, 0], [6, 0], [0, 0]], atol=1e-13)
    assert "line" in landscape.describe(plane)


@pytest.mark.parametrize("case", ["still", "all_nan", "one_point", "empty"])
def test_no_movement_gives_a_valid_plane(case):
    paths = {"still": np.tile(ORIGIN, (2, 5, 1)), "all_nan": np.full((3, 4, N), np.nan),
             "one_point": ORIGIN[None, None], "empty": np.zeros((0, 4, N))}[case]
    with _no_warnings():
        plane = landscape.pca_plane(paths, ORIGIN)
        coords = landscape.project(paths, plane)
        alphas, betas = landscape.grid(plane, coords, size=5)
    assert plane.principal == 0 and plane.orthonormal and plane.explained == 1.0
    np.testing.assert_array_equal(plane.directions, np.eye(N)[:2])
    assert np.all((coords == 0) | np.isnan(coords))
    assert alphas[0] < 0 < alphas[-1] and betas[0] < 0 < betas[-1]
    assert "did not move" in landscape.describe(plane)


def test_pca_plane_is_deterministic_in_sign():
    paths = _planar_paths()
    a, b = landscape.pca_plane(paths, ORIGIN), landscape.pca_plane(paths[::-1], ORIGIN)
    np.testing.assert_allclose(a.directions, b.directions, atol=1e-14)


# --- random_plane --------------------------------------------------------------------------------

SLICES = {"W1": (slice(0, 12), (3, 4)), "b1": (slice(12, 16), (4,)),
          "W2": (slice(16, 24), (4, 2)), "b2": (slice(24, 26), (2,))}


def test_filter_normalised_random_directions():
    origin = np.random.default_rng(1).standard_normal(26)
    origin[16:24].reshape(4, 2)[:, 1] = 0.0  # a dead unit: its filter has norm 0
    plane = landscape.random_plane(origin, SLICES, np.random.default_rng(7))
    assert plane.kind == "random" and not plane.orthonormal and math.isnan(plane.explained)
    assert plane.directions.shape == (2, 26) and plane.filter_normalised
    for d in plane.directions:
        for name in ("W1", "W2"):
            sl, shape = SLICES[name]
            w, o = d[sl].reshape(shape), origin[sl].reshape(shape)
            for j in range(shape[1]):  # a filter = a column = one output unit
                assert np.linalg.norm(w[:, j]) == pytest.approx(np.linalg.norm(o[:, j]), rel=1e-14, abs=0)
        np.testing.assert_array_equal(d[12:16], 0.0)
        np.testing.assert_array_equal(d[24:26], 0.0)
    assert landscape.describe(plane) == "two filter-normalised random directions (Li et al. 2018)"
    again = landscape.random_plane(origin, SLICES, np.random.default_rng(7))
    np.testing.assert_array_equal(again.directions, plane.directions)


def test_random_directions_without_normalisation_are_gaussian():
    origin = np.zeros(26)
    plane = landscape.random_plane(origin, SLICES, 3, filter_normalise=False)
    assert not plane.filter_normalised and np.all(plane.directions != 0)
    assert "not filter-normalised" in landscape.describe(plane)


def test_project_on_a_non_orthonormal_plane_is_least_squares():
    d = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0]])
    origin = np.array([1.0, 2.0, 3.0, 4.0])
    plane = Plane(origin, d, "random", float("nan"), False)
    on = origin + 2.0 * d[0] - 3.0 * d[1]
    off = on + np.array([1.0, -1.0, 1.0, 5.0])  # orthogonal to both directions
    coords = landscape.project(np.array([[on, off, np.full(4, np.nan)]]), plane)
    np.testing.assert_allclose(coords[0, :2], [[2.0, -3.0], [2.0, -3.0]], atol=1e-14)
    assert np.isnan(coords[0, 2]).all()


# --- grid ----------------------------------------------------------------------------------------


def test_grid_by_hand():
    """α ∈ [0, 4] (the origin included): width 4, ± 0.25·4 → [−1, 5].  β ∈ [0, 1], widened to
    ASPECT_MIN·4 = 2 about 0.5 → [−0.5, 1.5], ± 0.25·2 → [−1, 2]."""
    coords = np.array([[[4.0, 1.0], [np.nan, np.nan], [2.0, 0.5]]])
    alphas, betas = landscape.grid(None, coords, size=7, margin=0.25)
    assert landscape.ASPECT_MIN == 0.5
    np.testing.assert_allclose(alphas, np.linspace(-1, 5, 7))
    np.testing.assert_allclose(betas, np.linspace(-1, 2, 7))


def test_grid_covers_every_point():
    coords = np.random.default_rng(0).normal([3.0, -20.0], [1.0, 5.0], size=(4, 30, 2))
    alphas, betas = landscape.grid(None, coords)
    assert alphas.shape == betas.shape == (41,)
    assert alphas[0] < min(coords[..., 0].min(), 0) and alphas[-1] > coords[..., 0].max()
    assert betas[0] < coords[..., 1].min() and betas[-1] > max(coords[..., 1].max(), 0)
    width_a, width_b = np.ptp(alphas), np.ptp(betas)
    assert min(width_a, width_b) >= 0.5 * max(width_a, width_b) - 1e-12


# --- surface -------------------------------------------------------------------------------------


def _quadratic(c):
    return lambda theta: np.sum(c * theta**2, axis=-1)


def test_surface_at_the_origin_is_the_loss_of_the_origin():
    paths = _planar_paths()
    plane = landscape.pca_plane(paths, ORIGIN)
    loss = _quadratic(np.arange(1.0, N + 1))
    z = landscape.surface(loss, plane, np.array([-1.0, 0.0, 2.0]), np.array([0.0, 0.5]))
    assert z.shape == (2, 3)
    assert z[0, 1] == loss(ORIGIN)


def test_surface_of_a_quadratic_by_hand():
    """θ = (1, 0, 2) + a·(1, 1, 0) + b·(0, 0, 1), c = (1, 2, 3):
    L(a, b) = (1 + a)² + 2a² + 3(2 + b)²."""
    plane = Plane(np.array([1.0, 0.0, 2.0]), np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]), "random", float("nan"), False)
    alphas, betas = np.array([-1.0, 0.0, 1.0, 0.5]), np.array([-1.0, 0.0, -2.0])
    z = landscape.surface(_quadratic(np.array([1.0, 2.0, 3.0])), plane, alphas, betas, chunk=5)
    assert z.shape == (3, 4)
    assert z[0, 2] == pytest.approx(4 + 2 + 3)  # a = 1, b = −1
    assert z[1, 0] == pytest.approx(0 + 2 + 12)  # a = −1, b = 0
    assert z[2, 3] == pytest.approx(2.25 + 0.5 + 0)  # a = 0.5, b = −2
    assert z[1, 1] == pytest.approx(1 + 0 + 12)  # the origin


def test_surface_in_chunks_equals_one_shot_and_bounds_each_call():
    plane = landscape.pca_plane(*_cloud(10))
    calls = []

    def loss(theta):
        calls.append(theta.shape)
        out = np.sum(np.arange(1.0, 11.0) * theta**2, axis=-1)
        return np.where(out > 45, np.inf, np.where(out < 25, np.nan, out))

    alphas, betas = np.linspace(-3, 3, 6), np.linspace(-2, 2, 5)
    chunked = landscape.surface(loss, plane, alphas, betas, chunk=7)
    assert len(calls) == math.ceil(30 / 7) == 5
    assert all(shape[0] <= 7 and shape[1:] == (10,) for shape in calls)
    assert sum(shape[0] for shape in calls) == 30
    one_shot = landscape.surface(loss, plane, alphas, betas, chunk=10**6)
    assert len(calls) == 6 and calls[-1] == (30, 10)
    np.testing.assert_array_equal(chunked, one_shot)
    assert np.isinf(chunked).any() and np.isnan(chunked).any()  # non-finite values kept


# --- the whole pipeline on a tiny network --------------------------------------------------------


def test_pipeline_on_a_tiny_network():
    """A 3-4-2 tanh network's mean squared error on 20 samples, batched over weight vectors;
    three gradient-descent runs (finite differences) from different starts."""
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((20, 3)), rng.standard_normal((20, 2))

    def loss(theta):
        W1 = theta[..., 0:12].reshape(theta.shape[:-1] + (3, 4))
        b1, W2 = theta[..., 12:16], theta[..., 16:24].reshape(theta.shape[:-1] + (4, 2))
        h = np.tanh(np.einsum("sd,...dh->...sh", x, W1) + b1[..., None, :])
        out = np.einsum("...sh,...ho->...so", h, W2) + theta[..., None, 24:26]
        return np.mean((out - y) ** 2, axis=(-2, -1))

    def grad(theta, eps=1e-6):
        e = np.eye(26) * eps
        return (loss(theta + e) - loss(theta - e)) / (2 * eps)

    paths = np.empty((3, 31, 26))
    for r in range(3):
        theta = rng.standard_normal(26) * 0.5
        for k in range(31):
            paths[r, k] = theta
            theta = theta - 0.2 * grad(theta)
    origin = paths[np.argmin(loss(paths[:, -1])), -1]
    for plane in (landscape.pca_plane(paths, origin), landscape.random_plane(origin, SLICES, 0)):
        coords = landscape.project(paths, plane)
        alphas, betas = landscape.grid(plane, coords, size=9)
        z = landscape.surface(loss, plane, alphas, betas, chunk=10)
        assert z.shape == (9, 9) and np.isfinite(z).all()
        assert 0 < plane.explained <= 1 if plane.kind == "pca" else math.isnan(plane.explained)
        assert landscape.surface(loss, plane, [0.0], [0.0])[0, 0] == loss(origin)


# --- a trained network's landscape (of_network), bounded -------------------------------------------------------

def test_the_budget_keeps_every_example_when_it_fits_and_cuts_examples_before_the_grid():
    ls = landscape
    # the spiral's 2-100-3 (603 weights), 240 examples: 41² · 240 · 2 · 603 = 4.9e8 ≤ 2e10
    assert ls.budget(603, 240) == (41, 240)
    # the digits' 64-100-100-10 (17,710 weights): 1.5e10 / (41² · 2 · 17,710) = 251.9 examples of 1438: at least
    # FEW_EXAMPLES (300) are kept, so the grid shrinks to 37 (37² · 300 · 35,420 = 1.45e10)
    assert ls.budget(17_710, 1438) == (37, 300)
    # 5 × 200 units on the digits (175,810): 300 examples need 41² · 300 · 2 · 175,810 = 1.8e11: the grid shrinks to
    # 21 (441 · 300 · 351,620 = 4.7e10 still too much), then the examples: 1.5e10 / (441 · 351,620) = 96.7 → the
    # floor, 100
    assert ls.budget(175_810, 1438) == (21, 100)
    # past even that, MIN_EXAMPLES holds
    assert ls.budget(10_000_000, 1438) == (21, 100)


def test_a_networks_landscape_measures_the_loss_of_the_examples_it_says():
    ls = landscape
    spiral = data.load("spiral", points_per_class=40)
    arch = network.Architecture((2, 8, 3))
    trained = train.train(arch, spiral, [optim_core.make("sgd", lr=0.5), optim_core.make("adam", lr=0.05)],
                          iterations=30, batch_size=16)
    view = ls.of_network(arch, spiral.x_train, spiral.y_train, trained.weights.astype(float),
                         trained.train_loss[:, -1], "pca")
    assert view.examples == view.available == len(spiral.y_train)
    best = int(np.argmin(trained.train_loss[:, -1]))
    centre = np.argmin(np.abs(view.alphas)), np.argmin(np.abs(view.betas))
    origin = trained.weights[best, -1].astype(float)
    point = origin + view.alphas[centre[0]] * view.plane.directions[0] + view.betas[centre[1]] * view.plane.directions[1]
    expected = network.loss(arch, point, spiral.x_train, spiral.y_train)
    assert view.losses[centre[1], centre[0]] == pytest.approx(expected, rel=1e-10)
    np.testing.assert_allclose(view.plane.origin, origin)


def test_chunked_prediction_equals_one_call():
    arch = network.Architecture((2, 30, 3))
    weights = np.random.default_rng(0).normal(size=(3, 7, arch.n_params)) * 0.3
    x = np.random.default_rng(1).normal(size=(50, 2))
    np.testing.assert_allclose(network.predict_proba_chunked(arch, weights, x), network.predict_proba(arch, weights, x),
                               rtol=1e-6)
    # the bound: one call's activations within ACTIVATION_BYTES
    big = network.Architecture((64, 200, 200, 200, 200, 200, 10))
    per_vector = 8.0 * 4096 * 200 * 6
    assert network.chunk_size(big, 4096) == max(1, int(network.ACTIVATION_BYTES // per_vector)) == 1
