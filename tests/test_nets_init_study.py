"""The book's initial-weight experiment (nets/init_study.py) against closed forms and the book's own reading."""

import math

import numpy as np
import pytest

from nets import init_study


def normal_cdf(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def test_every_activation_is_counted_once():
    for activation in ("sigmoid", "tanh", "relu"):
        h = init_study.histograms("xavier", activation)
        assert h.counts.shape == (5, 30) and h.edges[0] == 0 and h.edges[-1] == 1
        assert (h.counts.sum(axis=1) + h.outside == 1000 * 100).all()
    assert (init_study.histograms("1", "sigmoid").outside == 0).all()  # a sigmoid never leaves [0, 1]


def test_sigma_one_piles_the_sigmoid_at_0_and_1_as_the_closed_form_says():
    # layer 1: z = x·w with 100 terms of N(0,1)·N(0,1): z ~ N(0, 100); sigmoid(z) < 1/30 iff z < −ln 29
    h = init_study.histograms("1", "sigmoid")
    ends = (h.counts[0, 0] + h.counts[0, -1]) / 1e5
    assert ends == pytest.approx(2 * normal_cdf(-math.log(29) / 10), abs=0.03)  # 0.736
    assert ends > 0.6


def test_a_tiny_sigma_collapses_every_unit_near_one_half():
    # σ = 0.01: z has standard deviation 0.1 (layer 1) then 0.05; sigmoid(z) ≈ 1/2 + z/4 stays within 0.4 … 0.6
    h = init_study.histograms("0.01", "sigmoid")
    middle = (h.edges[:-1] >= 0.4 - 1e-12) & (h.edges[1:] <= 0.6 + 1e-12)
    assert (h.counts[:, middle].sum(axis=1) >= 0.9995e5).all()  # layer 1's ±4σ
    assert h.std[0] == pytest.approx(0.1 / 4, rel=0.05) and h.std[-1] < 0.02


def test_xavier_keeps_the_sigmoid_spread_and_he_keeps_relu_alive():
    xavier = init_study.histograms("xavier", "sigmoid")
    ends = (xavier.counts[:, 0] + xavier.counts[:, -1]) / 1e5
    assert (ends < 0.05).all() and (xavier.std > 0.05).all()
    he = init_study.activations("he", "relu")
    stds = [a.std() for a in he]
    assert 0.5 < stds[-1] / stds[0] < 2  # He: the variance carried through
    xavier_relu = init_study.activations("xavier", "relu")
    # Xavier with ReLU halves the second moment at each layer (E[a_k²] = 100·0.01·E[a_{k−1}²]/2), up to the
    # fluctuation of one 100 × 100 draw per layer
    moments = np.array([float(np.mean(a ** 2)) for a in xavier_relu])
    assert moments[0] == pytest.approx(0.5, rel=0.05)
    assert ((moments[1:] / moments[:-1] > 0.35) & (moments[1:] / moments[:-1] < 0.75)).all()


def test_the_scales_are_the_books():
    for scale, sigma in (("1", 1.0), ("0.01", 0.01), ("xavier", 0.1), ("he", math.sqrt(0.02))):
        a = init_study.activations(scale, "relu", samples=2, layers=1, seed=3)
        rng = np.random.default_rng(3)  # the same draws, by hand: the inputs, then W
        x = rng.standard_normal((2, 100))
        w = rng.standard_normal((100, 100)) * sigma
        np.testing.assert_allclose(a[0], np.maximum(x @ w, 0), rtol=1e-12)


def test_a_bad_activation_names_the_valid_ones():
    with pytest.raises(ValueError, match="relu, sigmoid, tanh"):
        init_study.activations("he", "softplus")
