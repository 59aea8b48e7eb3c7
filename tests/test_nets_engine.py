"""The network engine of ``nets``: layers, the flat layout, the network and the gradient check.

Golden values come from outside the code under test: centred differences written here, a forward
pass written here with its own offsets into theta, scipy's logsumexp and softmax, and a 2-2-2
network worked out by hand in the comments.
"""

import math

import numpy as np
import pytest
from scipy.special import expit, logsumexp
from scipy.special import softmax as scipy_softmax

from nets import gradcheck, layers
from nets.network import (Architecture, Network, accuracy, flatten, init_params, layer_slices, loss, loss_and_grad,
                          predict_proba, unflatten)

H = 1e-5


def centred_differences(f, array, h=H):
    """(f(a + h e_i) − f(a − h e_i)) / 2h for every entry i of ``array`` (changed and restored)."""
    derivatives = np.empty(array.shape)
    for i in np.ndindex(array.shape):
        saved = array[i]
        array[i] = saved + h
        f_plus = f()
        array[i] = saved - h
        f_minus = f()
        array[i] = saved
        derivatives[i] = (f_plus - f_minus) / (2 * h)
    return derivatives


def max_relative_error(analytic, numeric):
    """cs231n's elementwise |a − n| / max(|a|, |n|), 0 where both are 0; the largest."""
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    errors = np.abs(analytic - numeric) / np.where(scale == 0, 1.0, scale)
    return errors.max()


def reference_forward(sizes, activation, theta, x):
    """Scores of one network (theta (n,)) and its hidden pre-activations, reading theta with offsets
    counted here: [W1 row-major, b1, W2, b2, …]."""
    squash = {"relu": lambda z: np.maximum(z, 0.0), "sigmoid": expit, "tanh": np.tanh}[activation]
    offset, h, pre_activations = 0, x, []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        W = theta[offset:offset + n_in * n_out].reshape(n_in, n_out)
        b = theta[offset + n_in * n_out:offset + n_in * n_out + n_out]
        offset += n_in * n_out + n_out
        z = h @ W + b
        pre_activations.append(z)
        h = squash(z)
    return z, pre_activations[:-1]


def reference_loss(scores, labels):
    """Mean over the examples of −log softmax(scores)[label] = logsumexp(s) − s_label (scipy)."""
    return np.mean(logsumexp(scores, axis=-1) - scores[np.arange(len(labels)), labels])


def random_problem(sizes, activation, seed, n_examples=6, weight_std=0.5):
    rng = np.random.default_rng(seed)
    arch = Architecture(sizes, activation)
    theta = rng.normal(0.0, weight_std, arch.n_params)
    x = rng.standard_normal((n_examples, sizes[0]))
    labels = rng.integers(0, sizes[-1], n_examples)
    return arch, theta, x, labels


# --- layers: backward against centred differences of forward -------------------------------------


@pytest.mark.parametrize("x_shape, W_shape", [
    ((5, 3), (3, 4)),              # one network
    ((5, 3), (2, 3, 4)),           # a shared x against 2 copies of W: dW (2, 3, 4), dx Σ over copies
    ((2, 5, 3), (2, 3, 4)),        # one x per copy
    ((2, 5, 3), (3, 4)),           # one W under a batch of x: dW Σ over the batch
    ((5, 3), (2, 3, 3, 4)),        # a grid of copies
])
def test_affine_backward_matches_centred_differences(x_shape, W_shape):
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal(W_shape), rng.standard_normal(W_shape[:-2] + (4,))
    affine = layers.Affine(W, b)
    upstream = rng.standard_normal(np.broadcast_shapes(x_shape[:-2], W_shape[:-2]) + (5, 4))

    def total():  # L = Σ y ⊙ G, so ∂L/∂y = G
        return np.sum(layers.Affine(W, b).forward(x) * upstream)

    np.testing.assert_allclose(affine.forward(x), np.matmul(x, W) + b[..., None, :], rtol=1e-14)
    dx = affine.backward(upstream)
    assert dx.shape == x.shape and affine.dW.shape == W.shape and affine.db.shape == b.shape
    for analytic, wrt in ((dx, x), (affine.dW, W), (affine.db, b)):
        assert max_relative_error(analytic, centred_differences(total, wrt)) < 1e-7


def test_affine_without_dx_still_gives_dW_and_db():
    rng = np.random.default_rng(1)
    x, W, b = rng.standard_normal((5, 3)), rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4))
    with_dx, without_dx = layers.Affine(W, b), layers.Affine(W, b, need_dx=False)
    upstream = rng.standard_normal((2, 5, 4))
    with_dx.forward(x), without_dx.forward(x)
    assert without_dx.backward(upstream) is None
    np.testing.assert_array_equal(with_dx.backward(upstream).shape, x.shape)
    np.testing.assert_array_equal(without_dx.dW, with_dx.dW)
    np.testing.assert_array_equal(without_dx.db, with_dx.db)


def activation_inputs(seed):
    """Entries of size ≥ 0.1: a ±1e-5 step never crosses ReLU's kink at 0, where ReLU is not
    differentiable and a centred difference would average the two slopes."""
    u = np.random.default_rng(seed).standard_normal((2, 4, 5))
    return np.sign(u) * (0.1 + np.abs(u))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_activation_backward_matches_centred_differences(name):
    x = activation_inputs(2)
    upstream = np.random.default_rng(3).standard_normal(x.shape)
    layer = layers.ACTIVATIONS[name]()
    layer.forward(x)
    dx = layer.backward(upstream)
    numeric = centred_differences(lambda: np.sum(layers.ACTIVATIONS[name]().forward(x) * upstream), x)
    assert max_relative_error(dx, numeric) < 1e-7


@pytest.mark.parametrize("name, formula", [
    ("relu", lambda x: np.maximum(x, 0.0)), ("sigmoid", expit), ("tanh", np.tanh)])
def test_activation_forward_and_in_place(name, formula):
    x = activation_inputs(4)
    upstream = np.random.default_rng(5).standard_normal(x.shape)
    copy_layer, in_place_layer = layers.ACTIVATIONS[name](), layers.ACTIVATIONS[name](in_place=True)
    expected_y = formula(x)
    x_before = x.copy()
    np.testing.assert_allclose(copy_layer.forward(x), expected_y, rtol=1e-14, atol=1e-16)
    np.testing.assert_array_equal(x, x_before)  # the default layer leaves its input alone
    expected_dx = copy_layer.backward(upstream)
    y = in_place_layer.forward(x)
    assert y is x  # written over its input
    np.testing.assert_allclose(y, expected_y, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(in_place_layer.backward(upstream.copy()), expected_dx, rtol=1e-14)


def test_sigmoid_does_not_overflow():
    with np.errstate(all="raise"):
        y = layers.Sigmoid().forward(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_array_equal(y, [0.0, 0.5, 1.0])


def test_softmax_with_loss_backward_matches_centred_differences():
    rng = np.random.default_rng(6)
    scores, labels = rng.standard_normal((3, 4, 5)), np.array([0, 4, 2, 2])
    weights = rng.standard_normal(3)  # dout: one per copy, L = Σ_r w_r loss_r

    layer = layers.SoftmaxWithLoss()
    assert layer.forward(scores, labels).shape == (3,)
    dscores = layer.backward(weights)
    numeric = centred_differences(lambda: weights @ layers.SoftmaxWithLoss().forward(scores, labels), scores)
    assert max_relative_error(dscores, numeric) < 1e-7


def test_softmax_with_loss_against_scipy():
    rng = np.random.default_rng(7)
    scores, labels = rng.standard_normal((2, 6, 4)) * 3, rng.integers(0, 4, 6)
    layer = layers.SoftmaxWithLoss()
    np.testing.assert_allclose(layer.forward(scores, labels), [reference_loss(s, labels) for s in scores], rtol=1e-13)
    np.testing.assert_allclose(layer.probs, scipy_softmax(scores, axis=-1), rtol=1e-13)
    # backward(1) = (softmax − onehot) / B
    onehot = np.eye(4)[labels]
    np.testing.assert_allclose(layer.backward(), (scipy_softmax(scores, axis=-1) - onehot) / 6, rtol=1e-13)


def test_softmax_is_stable_for_huge_scores():
    scores = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0]])
    layer = layers.SoftmaxWithLoss()
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # e^(−2e4) underflowing to 0 is fine
        value = layer.forward(scores, np.array([0, 2]))
        dscores = layer.backward()
    # example 1: log Σ e^s = 1e4 (+ e^(−1e4), below float precision), s_0 = 1e4  → −log p = 0
    # example 2: log Σ e^s = 1e4, s_2 = 0                                    → −log p = 1e4
    assert value == pytest.approx(5e3, rel=1e-15)
    np.testing.assert_allclose(dscores, [[0.0, 0.0, 0.0], [0.0, 0.5, -0.5]], atol=1e-300)


# --- the network: gradients, a hand-worked example, batches ----------------------------------------


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_smooth_network_gradient_matches_centred_differences(activation):
    arch, theta, x, labels = random_problem((3, 6, 5, 4), activation, seed=8)
    value, grad = loss_and_grad(arch, theta, x, labels)
    assert value == pytest.approx(reference_loss(reference_forward(arch.sizes, activation, theta, x)[0], labels),
                                  rel=1e-13)
    numeric = centred_differences(lambda: reference_loss(reference_forward(arch.sizes, activation, theta, x)[0],
                                                         labels), theta)
    assert max_relative_error(grad, numeric) < 1e-7


def test_relu_network_gradient_matches_centred_differences_away_from_kinks():
    arch, theta, x, labels = random_problem((3, 6, 5, 4), "relu", seed=9)
    # Precondition: every pre-activation is ≥ 1e-3 from ReLU's kink at 0.  A step of h = 1e-5 in
    # one parameter moves a pre-activation by about h·(size of an input) ≪ 1e-3, so no step crosses
    # a kink, the loss is smooth on [θ − h, θ + h] and the strict bound of smooth nets applies.
    _, pre_activations = reference_forward(arch.sizes, "relu", theta, x)
    assert min(np.abs(z).min() for z in pre_activations) > 1e-3
    assert any((z < 0).any() for z in pre_activations)  # some units are off: the mask matters
    _, grad = loss_and_grad(arch, theta, x, labels)
    numeric = centred_differences(lambda: reference_loss(reference_forward(arch.sizes, "relu", theta, x)[0],
                                                         labels), theta)
    assert max_relative_error(grad, numeric) < 1e-7


def test_two_layer_network_by_hand():
    arch = Architecture((2, 2, 2), "relu")
    # W1 = [[1, −1], [0.5, 1]], b1 = [0, 0.5], W2 = [[1, −1], [0, 1]], b2 = [0, 0]
    theta = np.array([1.0, -1.0, 0.5, 1.0, 0.0, 0.5, 1.0, -1.0, 0.0, 1.0, 0.0, 0.0])
    x, labels = np.array([[1.0, 2.0], [-1.0, 1.0]]), np.array([0, 1])
    # Forward.
    #   x1 = (1, 2):  z = (1·1 + 2·0.5 + 0, 1·(−1) + 2·1 + 0.5) = (2, 1.5),  h = (2, 1.5)
    #   x2 = (−1, 1): z = (−1 + 0.5 + 0, 1 + 1 + 0.5) = (−0.5, 2.5),        h = (0, 2.5)
    #   scores: s1 = (2·1 + 1.5·0, 2·(−1) + 1.5·1) = (2, −0.5);  s2 = (0, 2.5)
    #   the label's score beats the other by 2.5 in both, so with q = 1/(1 + e^2.5) = 0.0758581800…
    #   p1 = (1 − q, q), p2 = (q, 1 − q) and L = −log(1 − q) = log(1 + e^−2.5) = 0.0788897342…
    q = 1.0 / (1.0 + math.exp(2.5))
    assert q == pytest.approx(0.0758581800, abs=1e-10)
    value, grad = loss_and_grad(arch, theta, x, labels)
    assert value == pytest.approx(math.log(1.0 + math.exp(-2.5)), rel=1e-14)
    assert value == pytest.approx(0.0788897342, abs=1e-10)
    # Backward, B = 2.
    #   ds = (p − onehot)/2:  ds1 = (−q/2, q/2),  ds2 = (q/2, −q/2)
    #   dW2 = h1ᵀds1 + h2ᵀds2 = [[−q, q], [−0.75q, 0.75q]] + [[0, 0], [1.25q, −1.25q]]
    #       = [[−q, q], [0.5q, −0.5q]];   db2 = ds1 + ds2 = (0, 0)
    #   dh = ds W2ᵀ:  dh1 = (−q/2 − q/2, q/2) = (−q, q/2),  dh2 = (q/2 + q/2, −q/2) = (q, −q/2)
    #   ReLU: x2's unit 1 is off (z = −0.5):  dz1 = (−q, q/2),  dz2 = (0, −q/2)
    #   dW1 = x1ᵀdz1 + x2ᵀdz2 = [[−q, q/2], [−2q, q]] + [[0, q/2], [0, −q/2]] = [[−q, q], [−2q, q/2]]
    #   db1 = dz1 + dz2 = (−q, 0)
    expected_grad = q * np.array([-1, 1, -2, 0.5, -1, 0, -1, 1, 0.5, -0.5, 0, 0])
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-13, atol=1e-16)
    # One SGD step θ ← θ − 0.5·∇ (0.5q = 0.0379290900…, 0.25q = 0.0189645450…):
    #   W1 = [[1 + 0.5q, −1 − 0.5q], [0.5 + q, 1 − 0.25q]]
    #      = [[1.0379290900, −1.0379290900], [0.5758581800, 0.9810354550]]
    #   b1 = [0.5q, 0.5] = [0.0379290900, 0.5]
    #   W2 = [[1 + 0.5q, −1 − 0.5q], [−0.25q, 1 + 0.25q]]
    #      = [[1.0379290900, −1.0379290900], [−0.0189645450, 1.0189645450]]
    #   b2 = [0, 0]
    stepped = theta - 0.5 * grad
    np.testing.assert_allclose(stepped, [1.0379290900, -1.0379290900, 0.5758581800, 0.9810354550, 0.0379290900, 0.5,
                                         1.0379290900, -1.0379290900, -0.0189645450, 1.0189645450, 0.0, 0.0],
                               rtol=0, atol=1e-10)
    assert loss(arch, stepped, x, labels) < value
    np.testing.assert_array_equal(accuracy(arch, theta, x, labels), 1.0)       # argmax s1 = 0, argmax s2 = 1
    np.testing.assert_array_equal(accuracy(arch, theta, x, np.array([1, 1])), 0.5)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_loss_and_predict_proba_against_the_reference(activation):
    arch, theta, x, labels = random_problem((4, 7, 5, 3), activation, seed=10, n_examples=9)
    scores, _ = reference_forward(arch.sizes, activation, theta, x)
    assert loss(arch, theta, x, labels) == pytest.approx(reference_loss(scores, labels), rel=1e-13)
    np.testing.assert_allclose(predict_proba(arch, theta, x), scipy_softmax(scores, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(Network(arch, theta).predict(x), scores, rtol=1e-12, atol=1e-14)
    assert accuracy(arch, theta, x, labels) == np.mean(scores.argmax(axis=1) == labels)


def test_network_is_built_like_multilayernet():
    net = Network(Architecture((2, 4, 4, 3), "tanh"), np.zeros(Architecture((2, 4, 4, 3)).n_params))
    assert [type(layer).__name__ for layer in net.layers] == ["Affine", "Tanh", "Affine", "Tanh", "Affine"]
    assert isinstance(net.last_layer, layers.SoftmaxWithLoss)


def test_batch_of_networks_equals_each_alone():
    arch, _, x, labels = random_problem((3, 8, 4), "tanh", seed=11)
    thetas = np.random.default_rng(12).normal(0, 0.7, (5, arch.n_params))
    values, grads = loss_and_grad(arch, thetas, x, labels)
    assert values.shape == (5,) and grads.shape == (5, arch.n_params)
    for theta, value, grad in zip(thetas, values, grads):
        alone_value, alone_grad = loss_and_grad(arch, theta, x, labels)
        assert alone_value.shape == () and alone_grad.shape == (arch.n_params,)
        np.testing.assert_allclose(value, alone_value, rtol=1e-13)
        np.testing.assert_allclose(grad, alone_grad, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(accuracy(arch, thetas, x, labels), [accuracy(arch, t, x, labels) for t in thetas])
    np.testing.assert_allclose(predict_proba(arch, thetas, x)[3], predict_proba(arch, thetas[3], x), rtol=1e-13)


def test_grid_of_networks_and_per_copy_inputs():
    arch, _, _, labels = random_problem((3, 8, 4), "relu", seed=13)
    rng = np.random.default_rng(14)
    grid = rng.normal(0, 0.7, (3, 4, arch.n_params))
    x_per_copy = rng.standard_normal((3, 4, len(labels), 3))
    values, grads = loss_and_grad(arch, grid, x_per_copy, labels)
    assert values.shape == (3, 4) and grads.shape == (3, 4, arch.n_params)
    for i, j in np.ndindex(3, 4):
        alone_value, alone_grad = loss_and_grad(arch, grid[i, j], x_per_copy[i, j], labels)
        np.testing.assert_allclose(values[i, j], alone_value, rtol=1e-13)
        np.testing.assert_allclose(grads[i, j], alone_grad, rtol=1e-12, atol=1e-15)


def test_one_network_on_a_batch_of_inputs_sums_the_gradients():
    arch, theta, _, labels = random_problem((3, 5, 4), "sigmoid", seed=15)
    xs = np.random.default_rng(16).standard_normal((4, len(labels), 3))
    values, grad = loss_and_grad(arch, theta, xs, labels)
    assert values.shape == (4,) and grad.shape == theta.shape
    alone = [loss_and_grad(arch, theta, x, labels) for x in xs]
    np.testing.assert_allclose(values, [value for value, _ in alone], rtol=1e-13)
    np.testing.assert_allclose(grad, sum(g for _, g in alone), rtol=1e-12)


def test_gradient_does_not_change_theta():
    arch, theta, x, labels = random_problem((3, 5, 4), "relu", seed=17)
    before = theta.copy()
    loss_and_grad(arch, theta, x, labels)
    np.testing.assert_array_equal(theta, before)


def test_huge_scores_give_a_finite_loss_and_gradient():
    arch = Architecture((2, 2, 3), "relu")
    # W1 = I, b1 = 0, W2 = [[1e4, 0, −1e4], [0, 0, 0]]: x = (1, 0) scores (1e4, 0, −1e4)
    theta = np.array([1.0, 0, 0, 1, 0, 0, 1e4, 0, -1e4, 0, 0, 0, 0, 0, 0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        value, grad = loss_and_grad(arch, theta, np.array([[1.0, 0.0]]), np.array([2]))
    assert value == pytest.approx(2e4, rel=1e-15)  # logsumexp = 1e4, s_label = −1e4
    assert np.isfinite(grad).all()


def test_bad_inputs_raise():
    arch, theta, x, labels = random_problem((3, 5, 4), "relu", seed=18)
    with pytest.raises(ValueError, match="x has shape"):
        loss(arch, theta, x[:, :2], labels)
    with pytest.raises(ValueError, match="labels"):
        loss(arch, theta, x, np.full(len(labels), 4))
    with pytest.raises(ValueError, match="labels"):
        loss(arch, theta, x, labels[:-1])
    with pytest.raises(ValueError, match="n_params"):
        loss(arch, theta[:-1], x, labels)
    with pytest.raises(ValueError, match="activation"):
        loss(Architecture((3, 5, 4), "softplus"), theta, x, labels)


# --- the flat layout ------------------------------------------------------------------------------


def test_architecture_counts():
    arch = Architecture((2, 100, 3))
    assert arch.activation == "relu"
    assert arch.n_params == 2 * 100 + 100 + 100 * 3 + 3 == 603
    assert arch.shapes == [((2, 100), (100,)), ((100, 3), (3,))]
    assert arch.layer_names == ("W1", "b1", "W2", "b2")
    assert arch.check() is arch


@pytest.mark.parametrize("arch, words", [
    (Architecture((2, 3)), ("hidden layers", "1–6")),
    (Architecture((2, 10, 10, 10, 10, 10, 10, 10, 3)), ("hidden layers", "1–6")),
    (Architecture((2, 1, 3)), ("hidden layer 1", "2–200")),
    (Architecture((2, 10, 201, 3)), ("hidden layer 2", "2–200")),
    (Architecture((0, 10, 3)), ("inputs", "1–4096")),
    (Architecture((4097, 10, 3)), ("inputs", "1–4096")),
    (Architecture((2, 10, 1)), ("classes", "2–100")),
    (Architecture((2, 10, 101)), ("classes", "2–100")),
    (Architecture((2, 10, 3), "softplus"), ("activation", "relu, sigmoid, tanh")),
    (Architecture((2, 10.5, 3)), ("sizes", "integers")),
])
def test_architecture_check_names_the_field_and_range(arch, words):
    with pytest.raises(ValueError) as raised:
        arch.check()
    for word in words:
        assert word in str(raised.value)


def test_layer_slices_tile_theta_in_order():
    arch = Architecture((3, 4, 2))
    slices = layer_slices(arch)
    assert list(slices) == ["W1", "b1", "W2", "b2"]
    assert [(s.start, s.stop) for s in slices.values()] == [(0, 12), (12, 16), (16, 24), (24, 26)]


def test_unflatten_returns_row_major_views():
    arch = Architecture((3, 4, 2))
    theta = np.arange(26.0)
    (W1, b1), (W2, b2) = unflatten(arch, theta)
    assert W1.shape == (3, 4) and b1.shape == (4,) and W2.shape == (4, 2) and b2.shape == (2,)
    assert W1[1, 2] == 1 * 4 + 2 and b1[0] == 12 and W2[3, 1] == 16 + 3 * 2 + 1 and b2[1] == 25
    W1[2, 3] = -1.0
    b2[...] = -2.0
    assert theta[11] == -1.0 and (theta[24:] == -2.0).all()


def test_unflatten_of_a_batch_returns_views():
    arch = Architecture((3, 4, 2))
    grid = np.zeros((2, 5, arch.n_params))
    (W1, b1), (W2, b2) = unflatten(arch, grid)
    assert W1.shape == (2, 5, 3, 4) and b1.shape == (2, 5, 4) and W2.shape == (2, 5, 4, 2) and b2.shape == (2, 5, 2)
    W2[1, 4, 0, 1] = 7.0
    assert grid[1, 4, 16 + 1] == 7.0
    strided = np.zeros((4, arch.n_params))[::2]  # not contiguous: still views
    assert all(np.shares_memory(W, strided) and np.shares_memory(b, strided) for W, b in unflatten(arch, strided))


def test_flatten_inverts_unflatten():
    arch = Architecture((3, 4, 5, 2))
    theta = np.random.default_rng(19).standard_normal((2, arch.n_params))
    again = flatten(arch, unflatten(arch, theta))
    np.testing.assert_array_equal(again, theta)
    assert not np.shares_memory(again, theta)
    params = [(np.full((3, 4), 1.0), np.full(4, 2.0)), (np.full((4, 5), 3.0), np.full(5, 4.0)),
              (np.full((5, 2), 5.0), np.full(2, 6.0))]
    for (W, b), (W_again, b_again) in zip(params, unflatten(arch, flatten(arch, params))):
        np.testing.assert_array_equal(W_again, W)
        np.testing.assert_array_equal(b_again, b)


# --- initialisation -------------------------------------------------------------------------------


@pytest.mark.parametrize("scale, expected_std", [
    ("he", math.sqrt(2 / 1000)), ("xavier", math.sqrt(1 / 1000)), (0.01, 0.01)])
def test_init_std_of_a_large_layer(scale, expected_std):
    arch = Architecture((1000, 200, 3))
    theta = init_params(arch, np.random.default_rng(20), scale=scale)
    assert theta.shape == (arch.n_params,) and theta.dtype == np.float64
    (W1, b1), (W2, b2) = unflatten(arch, theta)
    # 200 000 draws: the sample std is within ~0.2 % of σ (one standard error 1/√(2·200 000))
    assert W1.std() == pytest.approx(expected_std, rel=0.02)
    assert abs(W1.mean()) < 5 * expected_std / math.sqrt(W1.size)
    assert (b1 == 0).all() and (b2 == 0).all()


def test_init_is_reproducible_and_second_layer_uses_its_own_fan_in():
    arch = Architecture((50, 400, 100))
    theta = init_params(arch, 21)
    np.testing.assert_array_equal(theta, init_params(arch, np.random.default_rng(21)))
    assert not np.array_equal(theta, init_params(arch, 22))
    W2 = unflatten(arch, theta)[1][0]
    assert W2.std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)  # 40 000 draws


@pytest.mark.parametrize("scale", ["glorot", -1.0, 0.0, float("nan"), True, None])
def test_init_rejects_bad_scale(scale):
    with pytest.raises(ValueError, match="scale"):
        init_params(Architecture((2, 3, 2)), 0, scale=scale)


# --- gradcheck ------------------------------------------------------------------------------------


def test_numerical_gradient_of_a_known_function():
    def f(theta):  # f = Σ sin θ_i + θ_0 θ_1²,  ∇f = cos θ + (θ_1², 2θ_0θ_1, 0, …)
        return np.sin(theta).sum() + theta[0] * theta[1] ** 2

    theta = np.array([0.3, -1.2, 2.0, 0.7])
    before = theta.copy()
    expected = np.cos(theta) + np.array([theta[1] ** 2, 2 * theta[0] * theta[1], 0, 0])
    np.testing.assert_allclose(gradcheck.numerical_gradient(f, theta), expected, rtol=1e-9)
    np.testing.assert_allclose(gradcheck.numerical_gradient(f, theta, coords=[2, 0]), expected[[2, 0]], rtol=1e-9)
    np.testing.assert_array_equal(theta, before)


def test_relative_error():
    # |1−1|/1 = 0;  both 0 → 0;  |2−1|/2 = 0.5;  |−1−1|/1 = 2
    np.testing.assert_array_equal(gradcheck.relative_error([1.0, 0.0, 2.0, -1.0], [1.0, 0.0, 1.0, 1.0]),
                                  [0.0, 0.0, 0.5, 2.0])


@pytest.mark.parametrize("error, expected", [
    (0.5, "bug"), (2e-2, "bug"), (5e-3, "uncomfortable"), (2e-4, "uncomfortable"), (5e-5, "ok with kinks"),
    (2e-7, "ok with kinks"), (5e-8, "good"), (0.0, "good"), (float("nan"), "bug")])
def test_verdicts_follow_cs231n(error, expected):
    assert gradcheck.verdict(error) == expected


def test_check_is_good_on_a_smooth_net():
    arch, theta, x, labels = random_problem((3, 6, 5, 4), "tanh", seed=23)
    records = gradcheck.check(arch, theta, x, labels)
    assert [r.name for r in records] == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert [r.n_checked for r in records] == [18, 6, 30, 5, 20, 4]
    assert all(r.verdict == "good" and r.max_relative_error < 1e-7 and r.kinks_crossed == 0 for r in records)


def test_check_is_uncomfortable_with_a_gradient_one_percent_off(monkeypatch):
    # dW scaled by 1.01: relative error |1.01 − 1|/1.01 = 0.0099, in cs231n's uncomfortable band
    arch, theta, x, labels = random_problem((3, 6, 4), "tanh", seed=24)
    backward = layers.Affine.backward

    def one_percent_off(self, dout):
        dx = backward(self, dout)
        self.dW = self.dW * 1.01
        return dx

    monkeypatch.setattr(layers.Affine, "backward", one_percent_off)
    records = {r.name: r for r in gradcheck.check(arch, theta, x, labels)}
    for name in ("W1", "W2"):
        assert records[name].verdict == "uncomfortable"
        assert records[name].max_relative_error == pytest.approx(0.01 / 1.01, rel=1e-4)
    assert records["b1"].verdict == records["b2"].verdict == "good"


def test_check_finds_a_relu_that_forgets_its_mask(monkeypatch):
    arch, theta, x, labels = random_problem((3, 6, 4), "relu", seed=25)
    monkeypatch.setattr(layers.ReLU, "backward", lambda self, dout: dout)
    verdicts = {r.name: r.verdict for r in gradcheck.check(arch, theta, x, labels)}
    # the bug sits below W2: the layers after it are still right
    assert verdicts == {"W1": "bug", "b1": "bug", "W2": "good", "b2": "good"}


def test_check_samples_coordinates_with_a_seed():
    arch, theta, x, labels = random_problem((5, 8, 3), "sigmoid", seed=26)
    records = gradcheck.check(arch, theta, x, labels, max_coords_per_layer=4, seed=1)
    assert [r.n_checked for r in records] == [4, 4, 4, 3]
    assert records == gradcheck.check(arch, theta, x, labels, max_coords_per_layer=4, seed=1)
    assert all(r.verdict == "good" for r in records)


def test_check_counts_kinks_crossed():
    arch = Architecture((2, 3, 2), "relu")
    theta = init_params(arch, 27)
    x, labels = np.array([[1.0, -0.5], [0.3, 0.8]]), np.array([0, 1])
    W1, b1 = unflatten(arch, theta)[0]
    b1[0] = 1e-7 - x[0] @ W1[:, 0]  # example 0's first hidden unit sits 1e-7 above the kink
    records = {r.name: r for r in gradcheck.check(arch, theta, x, labels)}
    # b1[0] ± 1e-5 and W1[0, 0] ± 1e-5·x[0, 0], W1[1, 0] ± 1e-5·x[0, 1] all cross it
    assert records["b1"].kinks_crossed == 1
    assert records["W1"].kinks_crossed == 2
    assert records["W2"].kinks_crossed == records["b2"].kinks_crossed == 0


def test_against_torch_autograd():
    torch = pytest.importorskip("torch")
    arch, theta, x, labels = random_problem((3, 6, 5, 4), "tanh", seed=28)
    value, grad = loss_and_grad(arch, theta, x, labels)
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    h, offset = torch.tensor(x, dtype=torch.float64), 0
    for i, (n_in, n_out) in enumerate(zip(arch.sizes[:-1], arch.sizes[1:])):
        W = t[offset:offset + n_in * n_out].reshape(n_in, n_out)
        b = t[offset + n_in * n_out:offset + n_in * n_out + n_out]
        offset += n_in * n_out + n_out
        h = h @ W + b
        if i < len(arch.sizes) - 2:
            h = torch.tanh(h)
    torch_loss = torch.nn.functional.cross_entropy(h, torch.tensor(labels))
    torch_loss.backward()
    assert value == pytest.approx(torch_loss.item(), rel=1e-13)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-11, atol=1e-15)


def test_the_noise_floor_is_the_rounding_noise_over_the_good_bound():
    # ε·|f|/(h·1e-7) with ε = 2.220446049250313e-16, f = 0.3, h = 1e-5: 6.661338e-5
    assert gradcheck.noise_floor(0.3, 1e-5) == pytest.approx(2.220446049250313e-16 * 0.3 / 1e-12)
    # a gradient of 1e-5 off by 5e-12 (rounding noise): compared on the floor, "good"; a 1 % error still stands out
    assert gradcheck.relative_error(1e-5, 1e-5 + 5e-12, floor=6.66e-5) < 1e-7
    assert gradcheck.relative_error(1e-2, 1.01e-2, floor=6.66e-5) == pytest.approx(0.01 / 1.01)
