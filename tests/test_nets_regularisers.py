"""Batch Normalization, Dropout and weight decay in ``nets``: the layers, the network, the trainer.

Golden values come from outside the code under test: centred differences, the formulas written out again below
in NumPy (a forward pass that reads theta and the running statistics with its own offsets), hand counts, and the
sampling distribution of a mean (its standard error) for Dropout's expectation.
"""

import numpy as np
import pytest
from scipy.special import logsumexp

import optim_core
from nets import data, network, train
from nets.layers import BatchNormalization, Dropout
from nets.network import Architecture, Network
from test_nets_engine import centred_differences, max_relative_error  # tests/ is on sys.path

EPS = 1e-6  # the book's ε of Batch Normalization
MOMENTUM = 0.9  # the running averages' m
SPIRAL = data.load("spiral", seed=0, points_per_class=60)


# --- helpers: a reference network written out again ----------------------------------------------------------


SQUASH = {"relu": lambda z: np.maximum(z, 0.0), "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)), "tanh": np.tanh}


def read_theta(sizes, batchnorm, theta):
    """{name: array} read from theta (n,) with offsets counted here:
    [W1 row-major (in·out), b1, (γ1, β1,) W2, b2, (γ2, β2,) …, W_L, b_L] (no γ, β on the last layer)."""
    params, offset, last = {}, 0, len(sizes) - 1

    def take(count, shape):
        nonlocal offset
        piece = theta[offset:offset + count].reshape(shape)
        offset += count
        return piece

    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{i}"] = take(n_in * n_out, (n_in, n_out))
        params[f"b{i}"] = take(n_out, (n_out,))
        if batchnorm and i < last:
            params[f"gamma{i}"] = take(n_out, (n_out,))
            params[f"beta{i}"] = take(n_out, (n_out,))
    assert offset == len(theta)
    return params


def read_buffers(sizes, buffers):
    """[(running mean, running var)] per hidden layer from buffers (s,) = [mean1, var1, mean2, var2, …]."""
    stats, offset = [], 0
    for units in sizes[1:-1]:
        stats.append((buffers[offset:offset + units], buffers[offset + units:offset + 2 * units]))
        offset += 2 * units
    assert offset == len(buffers)
    return stats


def reference_scores(sizes, activation, batchnorm, theta, x, buffers=None, keep_scale=1.0, masks=None):
    """Scores (B, K) of one network theta (n,), and the batch statistics [(μ, σ²)] of its Batch-Norm layers.

    Each hidden layer: z = hW + b → (Batch Norm: with the batch's mean and biased variance over the B examples
    when ``buffers`` is None, else with the running ones) γ (z − μ)/√(σ² + ε) + β → activation → × ``keep_scale``
    (dropout's test-time scaling) or × masks[i] (a training mask, already scaled)."""
    p = read_theta(sizes, batchnorm, theta)
    running = read_buffers(sizes, buffers) if buffers is not None else None
    h, stats, last = x, [], len(sizes) - 1
    for i in range(1, last + 1):
        z = h @ p[f"W{i}"] + p[f"b{i}"]
        if i == last:
            return z, stats
        if batchnorm:
            if running is None:
                mu = z.sum(axis=0) / len(z)
                var = ((z - mu) ** 2).sum(axis=0) / len(z)
                stats.append((mu, var))
            else:
                mu, var = running[i - 1]
            z = p[f"gamma{i}"] * (z - mu) / np.sqrt(var + EPS) + p[f"beta{i}"]
        h = SQUASH[activation](z)
        h = h * (keep_scale if masks is None else masks[i - 1])
    raise AssertionError("unreachable")


def cross_entropy(scores, labels):
    """Mean over the examples of −log softmax(scores)[label] = logsumexp(s) − s_label."""
    return np.mean(logsumexp(scores, axis=-1) - scores[np.arange(len(labels)), labels])


def probabilities(scores):
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sum_of_squared_weights(sizes, batchnorm, theta):
    """Σ over the weight matrices W_i of Σ W², read with the offsets counted here (no b, γ, β)."""
    p = read_theta(sizes, batchnorm, theta)
    return sum(np.sum(p[f"W{i}"] ** 2) for i in range(1, len(sizes)))


def random_problem(sizes, activation="tanh", batchnorm=True, seed=0, n_examples=8, copies=None):
    """(arch, theta, x, labels) with γ near 1 and β, b random (every parameter takes part)."""
    rng = np.random.default_rng(seed)
    arch = Architecture(sizes, activation, batchnorm)
    shape = (arch.n_params,) if copies is None else (copies, arch.n_params)
    theta = rng.normal(0.0, 0.6, shape)
    if batchnorm:
        for gamma, _ in network.norm_params(arch, theta):
            gamma += 1.0
    x = rng.standard_normal((n_examples, sizes[0]))
    labels = rng.integers(0, sizes[-1], n_examples)
    return arch, theta, x, labels


# --- 1, 2. Batch Normalization, the layer -------------------------------------------------------------------


@pytest.mark.parametrize("x_shape, gamma_shape", [
    ((7, 4), (4,)),            # one network
    ((3, 7, 4), (3, 4)),       # R = 3 copies, each its own γ, β
    ((3, 7, 4), (4,)),         # one γ, β under a batch of inputs: ∂γ, ∂β summed over the copies
])
def test_batchnorm_backward_matches_centred_differences(x_shape, gamma_shape):
    rng = np.random.default_rng(10)
    x = rng.standard_normal(x_shape) * 2.0 + 0.5
    gamma, beta = 1.0 + 0.5 * rng.standard_normal(gamma_shape), rng.standard_normal(gamma_shape)
    dout = rng.standard_normal(x_shape)

    def total():  # L = Σ y ⊙ dout, so ∂L/∂y = dout
        return np.sum(BatchNormalization(gamma, beta).forward(x) * dout)

    layer = BatchNormalization(gamma, beta)
    layer.forward(x)
    dx = layer.backward(dout)
    assert dx.shape == x.shape and layer.dgamma.shape == gamma.shape and layer.dbeta.shape == beta.shape
    for analytic, wrt in ((dx, x), (layer.dgamma, gamma), (layer.dbeta, beta)):
        assert max_relative_error(analytic, centred_differences(total, wrt)) < 1e-7
    # a property of normalising over B: ∂L/∂x sums to 0 over the examples (shifting a column changes nothing)
    np.testing.assert_allclose(dx.sum(axis=-2), 0.0, atol=1e-12)


def direct_batchnorm(x, gamma, beta):
    """The training formulas over the B axis (−2): μ, the biased σ², y = γ (x − μ)/√(σ² + ε) + β."""
    B = x.shape[-2]
    mu = x.sum(axis=-2) / B
    var = ((x - mu[..., None, :]) ** 2).sum(axis=-2) / B
    y = gamma[..., None, :] * (x - mu[..., None, :]) / np.sqrt(var[..., None, :] + EPS) + beta[..., None, :]
    return y, mu, var


def test_batchnorm_forward_in_training_and_the_running_averages():
    rng = np.random.default_rng(11)
    x1, x2 = rng.standard_normal((2, 9, 5)) * 3 + 1, rng.standard_normal((2, 9, 5)) - 2
    gamma, beta = rng.uniform(0.5, 2.0, (2, 5)), rng.standard_normal((2, 5))
    mean0, var0 = rng.standard_normal((2, 5)), rng.uniform(0.5, 2.0, (2, 5))
    running = (mean0.copy(), var0.copy())
    layer = BatchNormalization(gamma, beta, running, training=True, update_running=True)

    y1, mu1, v1 = direct_batchnorm(x1, gamma, beta)
    np.testing.assert_allclose(layer.forward(x1), y1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(running[0], 0.9 * mean0 + 0.1 * mu1, rtol=1e-12)
    np.testing.assert_allclose(running[1], 0.9 * var0 + 0.1 * v1, rtol=1e-12)  # the biased variance (÷ B)
    # a second batch compounds: 0.81·old + 0.09·first + 0.1·second
    y2, mu2, v2 = direct_batchnorm(x2, gamma, beta)
    np.testing.assert_allclose(layer.forward(x2), y2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(running[0], 0.81 * mean0 + 0.09 * mu1 + 0.1 * mu2, rtol=1e-12)
    np.testing.assert_allclose(running[1], 0.81 * var0 + 0.09 * v1 + 0.1 * v2, rtol=1e-12)
    # the normalised batch: mean 0, variance σ²/(σ² + ε) per unit and copy, before γ, β
    np.testing.assert_allclose(layer.xn.mean(axis=-2), 0.0, atol=1e-12)
    np.testing.assert_allclose((layer.xn ** 2).mean(axis=-2), v2 / (v2 + EPS), rtol=1e-12)


def test_batchnorm_leaves_the_running_averages_alone_without_update_running():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((6, 3)) * 2
    gamma, beta = rng.uniform(0.5, 2.0, 3), rng.standard_normal(3)
    running = (rng.standard_normal(3), rng.uniform(0.5, 2.0, 3))
    before = (running[0].copy(), running[1].copy())
    out = BatchNormalization(gamma, beta, running, training=True, update_running=False).forward(x)
    np.testing.assert_allclose(out, direct_batchnorm(x, gamma, beta)[0], rtol=1e-12, atol=1e-12)  # batch stats
    np.testing.assert_array_equal(running[0], before[0])
    np.testing.assert_array_equal(running[1], before[1])


def test_batchnorm_evaluation_uses_the_running_statistics():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((2, 6, 4)) * 2 + 1
    gamma, beta = rng.uniform(0.5, 2.0, (2, 4)), rng.standard_normal((2, 4))
    mean, var = rng.standard_normal((2, 4)), rng.uniform(0.1, 3.0, (2, 4))
    running = (mean.copy(), var.copy())
    layer = BatchNormalization(gamma, beta, running, training=False, update_running=True)
    expected = gamma[:, None, :] * (x - mean[:, None, :]) / np.sqrt(var[:, None, :] + EPS) + beta[:, None, :]
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(running[0], mean)  # evaluation never updates them
    np.testing.assert_array_equal(running[1], var)
    # with zero running variance the ε keeps it finite: (x − μ)/√ε
    zero = BatchNormalization(np.ones(4), np.zeros(4), (np.zeros(4), np.zeros(4)), training=False)
    np.testing.assert_allclose(zero.forward(x[0]), x[0] / np.sqrt(EPS), rtol=1e-12)
    with pytest.raises(ValueError, match="running"):
        BatchNormalization(gamma, beta, None, training=False).forward(x)


# --- 3. Dropout, the layer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("inverted", [True, False])
def test_dropout_backward_with_a_fixed_mask_matches_centred_differences(inverted):
    rng = np.random.default_rng(20)
    x, dout, ratio = rng.standard_normal((2, 6, 5)), rng.standard_normal((2, 6, 5)), 0.4

    def total():  # the same mask every time: the generator is re-seeded identically
        return np.sum(Dropout(ratio, np.random.default_rng(7), inverted=inverted).forward(x) * dout)

    layer = Dropout(ratio, np.random.default_rng(7), inverted=inverted)
    out = layer.forward(x)
    dx = layer.backward(dout)
    assert max_relative_error(dx, centred_differences(total, x)) < 1e-7
    # by hand: the mask drawn as the layer says (unit dropped when u < r), kept units scaled by 1/(1 − r) or 1
    kept = np.random.default_rng(7).random(x.shape) >= ratio
    scale = 1.0 / (1.0 - ratio) if inverted else 1.0
    np.testing.assert_allclose(out, np.where(kept, x * scale, 0.0), rtol=1e-15)
    np.testing.assert_allclose(dx, np.where(kept, dout * scale, 0.0), rtol=1e-15)


@pytest.mark.parametrize("inverted", [True, False])
@pytest.mark.parametrize("ratio", [0.2, 0.5, 0.8])
def test_dropout_training_output_averages_to_the_evaluation_output(inverted, ratio):
    rng = np.random.default_rng(21)
    x = rng.standard_normal((4, 6)) + 0.3
    masks = 20_000
    layer = Dropout(ratio, np.random.default_rng(22), training=True, inverted=inverted)
    samples = layer.forward(np.broadcast_to(x, (masks,) + x.shape))  # 20,000 independent masks at once

    expected = x if inverted else x * (1.0 - ratio)  # by hand: E[mask/(1 − r)] = 1, E[mask] = 1 − r
    evaluation = Dropout(ratio, None, training=False, inverted=inverted).forward(x)
    np.testing.assert_allclose(evaluation, expected, rtol=1e-15)

    mean = samples.mean(axis=0)
    standard_error = samples.std(axis=0, ddof=1) / np.sqrt(masks)
    # the standard error predicted from the Bernoulli mask: |x|·s·√(r(1 − r)/N), s the kept units' scale
    scale = 1.0 / (1.0 - ratio) if inverted else 1.0
    np.testing.assert_allclose(standard_error, np.abs(x) * scale * np.sqrt(ratio * (1 - ratio) / masks), rtol=0.05)
    z = (mean - expected) / standard_error
    assert np.all(np.abs(z) < 4.5), z  # 24 entries: P(any |z| > 4.5) ≈ 2e-4
    assert abs(np.mean(z)) < 4 / np.sqrt(z.size)  # and no systematic bias: the mean of 24 z's, 4 SE

    dropped = np.mean(layer.scaled_mask == 0)
    n = layer.scaled_mask.size
    assert abs(dropped - ratio) < 4 * np.sqrt(ratio * (1 - ratio) / n)
    np.testing.assert_allclose(np.unique(layer.scaled_mask), [0.0, scale])


def test_dropout_ratio_must_be_below_one():
    for ratio in (1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="dropout ratio"):
            Dropout(ratio, np.random.default_rng(0))
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(Dropout(0.0, np.random.default_rng(0)).forward(x), x)  # r = 0 keeps everything


# --- 4. weight decay ------------------------------------------------------------------------------------------


def test_weight_decay_adds_half_lambda_times_the_squared_weights_only():
    arch, theta, x, labels = random_problem((3, 5, 4, 3), "tanh", batchnorm=True, seed=30)
    lam = 0.37
    data_loss = cross_entropy(reference_scores(arch.sizes, "tanh", True, theta, x)[0], labels)
    squares = sum_of_squared_weights(arch.sizes, True, theta)
    # b, γ, β are large here: counting them would change the sum a lot
    everything = np.sum(theta ** 2)
    assert everything - squares > 1.0
    value = Network(arch, theta, weight_decay=lam).loss(x, labels)
    assert value == pytest.approx(data_loss + 0.5 * lam * squares, rel=1e-12)
    assert network.loss(arch, theta, x, labels, weight_decay=lam) == pytest.approx(value, rel=1e-15)
    assert network.loss(arch, theta, x, labels) == pytest.approx(data_loss, rel=1e-12)

    _, plain = network.loss_and_grad(arch, theta, x, labels)
    decayed_value, decayed = network.loss_and_grad(arch, theta, x, labels, weight_decay=lam)
    assert decayed_value == pytest.approx(value, rel=1e-15)
    is_weight = np.zeros(arch.n_params, dtype=bool)  # the W entries, by the offsets counted here
    offset = 0
    for i, (n_in, n_out) in enumerate(zip(arch.sizes[:-1], arch.sizes[1:]), start=1):
        is_weight[offset:offset + n_in * n_out] = True
        offset += n_in * n_out + n_out + (2 * n_out if i < len(arch.sizes) - 1 else 0)
    np.testing.assert_allclose(decayed[is_weight], plain[is_weight] + lam * theta[is_weight], rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(decayed[~is_weight], plain[~is_weight])


def test_weight_decay_one_lambda_per_copy():
    arch, theta, x, labels = random_problem((2, 6, 3), "sigmoid", batchnorm=True, seed=31, copies=3)
    lam = np.array([0.0, 0.5, 2.0])
    values, grads = network.loss_and_grad(arch, theta, x, labels, weight_decay=lam)
    assert values.shape == (3,) and grads.shape == theta.shape
    for r in range(3):
        data_loss = cross_entropy(reference_scores(arch.sizes, "sigmoid", True, theta[r], x)[0], labels)
        squares = sum_of_squared_weights(arch.sizes, True, theta[r])
        assert values[r] == pytest.approx(data_loss + 0.5 * lam[r] * squares, rel=1e-12)
        value_alone, grad_alone = network.loss_and_grad(arch, theta[r], x, labels, weight_decay=lam[r])
        assert value_alone == pytest.approx(values[r], rel=1e-13)
        np.testing.assert_allclose(grads[r], grad_alone, rtol=1e-12, atol=1e-15)


# --- 5. the whole network against centred differences ---------------------------------------------------------


GRADIENT_CASES = {
    "batchnorm": dict(),
    "batchnorm+dropout": dict(dropout=0.3),
    "batchnorm+dropout(book)": dict(dropout=0.3, inverted=False),
    "batchnorm+decay": dict(weight_decay=0.2),
    "batchnorm+dropout+decay": dict(dropout=0.25, weight_decay=0.1),
}


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("case", list(GRADIENT_CASES))
def test_network_gradient_matches_centred_differences(case, activation):
    options = GRADIENT_CASES[case]
    arch, theta, x, labels = random_problem((3, 6, 5, 4), activation, batchnorm=True, seed=40, n_examples=10)

    def options_now():  # a generator re-created each time: the same masks for every evaluation
        return {**options, "rng": np.random.default_rng(41)} if "dropout" in options else options

    value, grad = network.loss_and_grad(arch, theta, x, labels, **options_now())
    numeric = centred_differences(lambda: network.loss(arch, theta, x, labels, **options_now()), theta)
    if "dropout" not in options:  # the analytic loss is the formula's
        expected = cross_entropy(reference_scores(arch.sizes, activation, True, theta, x)[0], labels)
        expected += 0.5 * options.get("weight_decay", 0.0) * sum_of_squared_weights(arch.sizes, True, theta)
        assert value == pytest.approx(expected, rel=1e-12)

    slices = network.layer_slices(arch)
    hidden_biases = np.zeros(arch.n_params, dtype=bool)
    for i in range(1, len(arch.sizes) - 1):
        hidden_biases[slices[f"b{i}"]] = True
    # a bias followed by Batch Norm is subtracted out again with the batch mean: its gradient is zero
    assert np.abs(grad[hidden_biases]).max() < 1e-14
    assert np.abs(numeric[hidden_biases]).max() < 1e-9
    assert np.abs(grad[slices["b3"]]).min() > 1e-4  # the last layer's bias does matter
    # every entry not ~0 (|g| > 1e-3): the analytic gradient within a relative 1e-7 of the differences.  Smaller
    # entries are held to the differences' own noise floor instead (rounding ≈ 1e-16·|L|/h ≈ 1e-11 absolute,
    # which is above 1e-7 relative once |g| < 1e-4)
    sizeable = np.abs(grad) > 1e-3
    assert sizeable.sum() >= 0.7 * (~hidden_biases).sum()  # most of the 94 entries: the check means something
    assert max_relative_error(grad[sizeable], numeric[sizeable]) < 1e-7
    assert np.abs(grad - numeric)[~sizeable].max() < 1e-9


def test_batched_network_gradient_with_dropout_and_per_copy_decay():
    arch, theta, x, labels = random_problem((2, 5, 4, 3), "tanh", batchnorm=True, seed=42, copies=2)
    lam = np.array([0.05, 0.3])

    def options():
        return dict(dropout=0.2, rng=np.random.default_rng(43), weight_decay=lam)

    values, grad = network.loss_and_grad(arch, theta, x, labels, **options())
    numeric = centred_differences(lambda: np.sum(network.loss(arch, theta, x, labels, **options())), theta)
    assert values.shape == (2,)
    hidden_biases = np.zeros(theta.shape, dtype=bool)
    for name in ("b1", "b2"):
        hidden_biases[:, network.layer_slices(arch)[name]] = True
    assert np.abs(grad[hidden_biases]).max() < 1e-14  # exactly 0 up to rounding, in every copy
    sizeable = np.abs(grad) > 1e-3
    assert sizeable.sum() >= 0.7 * (~hidden_biases).sum()
    assert max_relative_error(grad[sizeable], numeric[sizeable]) < 1e-7
    assert np.abs(grad - numeric)[~sizeable].max() < 1e-9


# --- 6. the flat layout with Batch Norm ----------------------------------------------------------------------


def test_batchnorm_layout_by_hand():
    arch = Architecture((3, 5, 4, 2), batchnorm=True)
    # W1 3·5 + b1 5 + γ1 5 + β1 5  +  W2 5·4 + b2 4 + γ2 4 + β2 4  +  W3 4·2 + b3 2
    assert arch.n_params == (15 + 5 + 5 + 5) + (20 + 4 + 4 + 4) + (8 + 2) == 72
    assert Architecture((3, 5, 4, 2)).n_params == 15 + 5 + 20 + 4 + 8 + 2 == 54
    assert arch.layer_names == ("W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3")
    assert arch.param_shapes["gamma2"] == (4,) and arch.param_shapes["W2"] == (5, 4)
    assert arch.n_buffers == 2 * (5 + 4) == 18
    assert Architecture((3, 5, 4, 2)).n_buffers == 0
    starts = {name: s.start for name, s in network.layer_slices(arch).items()}
    assert starts == dict(W1=0, b1=15, gamma1=20, beta1=25, W2=30, b2=50, gamma2=54, beta2=58, W3=62, b3=70)

    theta = network.init_params(arch, 0)
    p = read_theta(arch.sizes, True, theta)
    for i in (1, 2):
        np.testing.assert_array_equal(p[f"gamma{i}"], 1.0)
        np.testing.assert_array_equal(p[f"beta{i}"], 0.0)
        np.testing.assert_array_equal(p[f"b{i}"], 0.0)
    assert np.all(p["W1"] != 0) and np.all(p["W3"] != 0)
    (g1, be1), (g2, be2) = network.norm_params(arch, theta)
    g2[...] = 3.0  # views of theta
    assert np.all(theta[54:58] == 3.0)

    buffers = network.init_buffers(arch)
    assert buffers.shape == (18,)
    np.testing.assert_array_equal(buffers, [0.0] * 5 + [1.0] * 5 + [0.0] * 4 + [1.0] * 4)
    assert network.init_buffers(arch, (2, 3)).shape == (2, 3, 18)
    (m1, v1), (m2, v2) = network.running_stats(arch, np.arange(18.0))
    assert (m1.tolist(), v1.tolist(), m2.tolist(), v2.tolist()) == (
        [0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12, 13], [14, 15, 16, 17])
    with pytest.raises(ValueError, match="n_buffers = 18"):
        network.running_stats(arch, np.zeros(17))


# --- 7. evaluation mode ---------------------------------------------------------------------------------------


def random_buffers(arch, rng):
    stats = []
    for units in arch.sizes[1:-1]:
        stats += [rng.standard_normal(units), rng.uniform(0.2, 3.0, units)]
    return np.concatenate(stats)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_evaluation_mode_prediction_equals_a_direct_forward_pass(activation):
    arch, theta, x, _ = random_problem((3, 5, 4, 3), activation, batchnorm=True, seed=50, n_examples=7)
    buffers = random_buffers(arch, np.random.default_rng(51))
    saved = buffers.copy()
    expected = probabilities(reference_scores(arch.sizes, activation, True, theta, x, buffers=buffers)[0])
    got = network.predict_proba(arch, theta, x, **network.evaluation(buffers))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(buffers, saved)  # evaluation leaves the statistics alone
    # the batch's own statistics (training mode) give something else: the test can tell them apart
    training = network.predict_proba(arch, theta, x)
    assert not np.allclose(training, expected, atol=1e-3)
    # one example at a time gives the same as the batch (no batch statistics in evaluation)
    one = network.predict_proba(arch, theta, x[2:3], **network.evaluation(buffers))
    np.testing.assert_allclose(one[0], expected[2], rtol=1e-12)


def test_evaluation_mode_of_a_batch_of_networks():
    arch, theta, x, labels = random_problem((2, 6, 3), "relu", batchnorm=True, seed=52, n_examples=9, copies=3)
    rng = np.random.default_rng(53)
    buffers = np.stack([random_buffers(arch, rng) for _ in range(3)])
    expected = np.stack([probabilities(reference_scores(arch.sizes, "relu", True, theta[r], x, buffers=buffers[r])[0])
                         for r in range(3)])
    np.testing.assert_allclose(network.predict_proba(arch, theta, x, **network.evaluation(buffers)), expected,
                               rtol=1e-12, atol=1e-15)
    accuracy = network.accuracy(arch, theta, x, labels, **network.evaluation(buffers))
    np.testing.assert_allclose(accuracy, (expected.argmax(axis=-1) == labels).mean(axis=-1))


def test_predict_proba_chunked_with_buffers_predicts_in_evaluation_mode():
    arch, theta, x, _ = random_problem((2, 6, 3), "relu", batchnorm=True, seed=52, n_examples=9, copies=3)
    rng = np.random.default_rng(53)
    buffers = np.stack([random_buffers(arch, rng) for _ in range(3)])
    expected = np.stack([probabilities(reference_scores(arch.sizes, "relu", True, theta[r], x, buffers=buffers[r])[0])
                         for r in range(3)])
    chunked = network.predict_proba_chunked(arch, theta, x, buffers=buffers)
    assert chunked.dtype == np.float32
    np.testing.assert_allclose(chunked, expected, rtol=1e-5, atol=1e-7)


def test_evaluation_mode_without_buffers_on_a_batchnorm_network_raises():
    arch, theta, x, labels = random_problem((3, 5, 4, 3), "relu", batchnorm=True, seed=54)
    with pytest.raises(ValueError, match="buffers|running"):
        network.predict_proba(arch, theta, x, **network.evaluation())
    with pytest.raises(ValueError, match="buffers|running"):
        Network(arch, theta, training=False)
    plain = Architecture((3, 5, 3))  # without Batch Norm evaluation needs nothing
    theta_plain = network.init_params(plain, 0)
    network.predict_proba(plain, theta_plain, x, **network.evaluation())


def test_training_mode_with_buffers_updates_them_with_the_batch_statistics():
    arch, theta, x, labels = random_problem((3, 5, 4, 3), "tanh", batchnorm=True, seed=55, n_examples=12)
    buffers = random_buffers(arch, np.random.default_rng(56))
    before = buffers.copy()
    network.loss_and_grad(arch, theta, x, labels, buffers=buffers)
    _, stats = reference_scores(arch.sizes, "tanh", True, theta, x)
    expected = np.concatenate([np.concatenate([0.9 * m + 0.1 * mu, 0.9 * v + 0.1 * var])
                               for (m, v), (mu, var) in zip(read_buffers(arch.sizes, before), stats)])
    np.testing.assert_allclose(buffers, expected, rtol=1e-12, atol=1e-15)


# --- 8. training --------------------------------------------------------------------------------------------


BN_ARCH = Architecture((2, 10, 8, 3), "relu", batchnorm=True)


def replayed_batches(arch, seed, batch_size, iterations, init="he"):
    """The trainer's draws (θ₀ first, then the minibatches), as tests/test_nets_train.py replays them."""
    rng = np.random.default_rng(seed)
    theta0 = network.init_params(arch, rng, init)
    return theta0, train.minibatches(rng, len(SPIRAL.y_train), batch_size, iterations)


@pytest.fixture(scope="module")
def bn_training():
    return train.train(BN_ARCH, SPIRAL, [optim_core.runner.make("sgd", lr=0.1)], iterations=30, batch_size=32, seed=3)


def test_training_keeps_running_statistics_that_follow_the_batches(bn_training):
    trained = bn_training
    C = len(trained.checkpoints)
    assert trained.checkpoints.tolist() == list(range(31))
    assert trained.buffers.shape == (1, C, BN_ARCH.n_buffers) == (1, 31, 36)
    assert np.all(np.isfinite(trained.buffers))
    np.testing.assert_array_equal(trained.buffers[0, 0], network.init_buffers(BN_ARCH))  # mean 0, var 1 at t = 0
    assert np.all(np.any(np.diff(trained.buffers[0], axis=0) != 0, axis=-1))  # they move at every checkpoint
    # replay: running ← 0.9·running + 0.1·(the batch's μ, σ² at θ_t), from the kept weights, by the formulas here
    _, batches = replayed_batches(BN_ARCH, 3, 32, 30)
    running = [(np.zeros(units), np.ones(units)) for units in BN_ARCH.sizes[1:-1]]
    for t in range(30):
        theta_t = trained.weights[0, t].astype(float)
        _, stats = reference_scores(BN_ARCH.sizes, "relu", True, theta_t, SPIRAL.x_train[batches[t]])
        running = [(0.9 * m + 0.1 * mu, 0.9 * v + 0.1 * var) for (m, v), (mu, var) in zip(running, stats)]
        expected = np.concatenate([np.concatenate(pair) for pair in running])
        np.testing.assert_allclose(trained.buffers[0, t + 1], expected, rtol=1e-4, atol=1e-6)
    # the curve is the minibatch loss in training mode (the batch's own statistics)
    theta_t = trained.weights[0, 7].astype(float)
    scores, _ = reference_scores(BN_ARCH.sizes, "relu", True, theta_t, SPIRAL.x_train[batches[7]])
    assert trained.loss[0, 7] == pytest.approx(cross_entropy(scores, SPIRAL.y_train[batches[7]]), rel=1e-5)


def test_evaluate_of_the_final_weights_is_a_direct_evaluation_mode_computation(bn_training):
    trained = bn_training
    theta, buffers = trained.weights[0, -1].astype(float), trained.buffers[0, -1].astype(float)
    results = {}
    for split, (x, labels) in {"train": (SPIRAL.x_train, SPIRAL.y_train), "val": (SPIRAL.x_val, SPIRAL.y_val)}.items():
        scores, _ = reference_scores(BN_ARCH.sizes, "relu", True, theta, x, buffers=buffers)
        results[split] = (cross_entropy(scores, labels), np.mean(scores.argmax(axis=-1) == labels))
    evaluated = train.evaluate(BN_ARCH, SPIRAL, trained.weights[:, -1:], trained.buffers[:, -1:])
    for got, want in zip(evaluated, (*results["train"], *results["val"])):
        assert got.shape == (1, 1)
        assert got[0, 0] == pytest.approx(want, rel=1e-9)
    assert trained.train_accuracy[0, -1] == results["train"][1]
    assert trained.val_accuracy[0, -1] == results["val"][1]
    assert trained.val_loss[0, -1] == pytest.approx(results["val"][0], rel=1e-9)


def test_weight_decay_shrinks_the_weights_and_is_in_the_loss_curve():
    arch = Architecture((2, 16, 3), "relu", batchnorm=True)
    theta0 = network.init_params(arch, np.random.default_rng(99))
    theta0[network.layer_slices(arch)["beta1"]] = 0.3  # b, γ, β out of the decay term must not count
    sgd = optim_core.runner.make("sgd", lr=0.1)
    trained = train.train(arch, SPIRAL, [sgd, sgd], iterations=30, batch_size=32, seed=5, theta0=theta0,
                          regulariser=train.Regulariser(weight_decay=[0.0, 0.1]))
    np.testing.assert_array_equal(trained.weights[:, 0], np.stack([theta0, theta0]).astype(np.float32))
    np.testing.assert_allclose(trained.regulariser.per_run(2), [0.0, 0.1])
    final = [sum_of_squared_weights(arch.sizes, True, trained.weights[r, -1].astype(float)) for r in range(2)]
    assert final[1] < final[0]
    # iteration 0: the decayed run's curve is the minibatch loss + ½·λ·Σ W² of θ₀, the plain run's the data loss
    _, batches = replayed_batches(arch, 5, 32, 30)
    x, labels = SPIRAL.x_train[batches[0]], SPIRAL.y_train[batches[0]]
    data_loss = cross_entropy(reference_scores(arch.sizes, "relu", True, theta0, x)[0], labels)
    squares = sum_of_squared_weights(arch.sizes, True, theta0)
    assert trained.loss[0, 0] == pytest.approx(data_loss, rel=1e-12)
    assert trained.loss[1, 0] == pytest.approx(data_loss + 0.5 * 0.1 * squares, rel=1e-12)
    # the kept metrics are the data's cross-entropy, without the decay term
    theta_end, buffers_end = trained.weights[1, -1].astype(float), trained.buffers[1, -1].astype(float)
    scores, _ = reference_scores(arch.sizes, "relu", True, theta_end, SPIRAL.x_train, buffers=buffers_end)
    assert trained.train_loss[1, -1] == pytest.approx(cross_entropy(scores, SPIRAL.y_train), rel=1e-9)


@pytest.mark.parametrize("regulariser, field", [
    (train.Regulariser(dropout=0.95), "dropout"),
    (train.Regulariser(dropout=-0.1), "dropout"),
    (train.Regulariser(weight_decay=-0.01), "weight_decay"),
    (train.Regulariser(weight_decay=[0.1, -0.1]), "weight_decay"),
    (train.Regulariser(weight_decay=[0.1, 0.2, 0.3]), "weight_decay"),  # three λ for two runs
    (train.Regulariser(weight_decay=float("nan")), "weight_decay"),
    (train.Regulariser(weight_decay=11.0), "weight_decay"),
])
def test_regulariser_out_of_range_names_the_field(regulariser, field):
    runs = [optim_core.runner.make("sgd", lr=0.01)] * 2
    with pytest.raises(ValueError, match=field):
        train.train(BN_ARCH, SPIRAL, runs, iterations=2, batch_size=8, regulariser=regulariser)


def test_dropout_training_is_deterministic_in_the_seed():
    arch = Architecture((2, 16, 3))
    runs = [optim_core.runner.make("sgd", lr=0.1)]
    dropping = train.Regulariser(dropout=0.5)
    one, two = (train.train(arch, SPIRAL, runs, iterations=20, batch_size=16, seed=8, regulariser=dropping)
                for _ in range(2))
    np.testing.assert_array_equal(one.loss, two.loss)
    np.testing.assert_array_equal(one.weights, two.weights)
    other = train.train(arch, SPIRAL, runs, iterations=20, batch_size=16, seed=9, regulariser=dropping)
    assert not np.allclose(one.loss, other.loss)
    # and the masks do act: the same seed without dropout gives another curve from the very first batch
    plain = train.train(arch, SPIRAL, runs, iterations=20, batch_size=16, seed=8)
    assert one.loss[0, 0] != pytest.approx(plain.loss[0, 0], rel=1e-6)
    np.testing.assert_array_equal(one.weights[:, 0], plain.weights[:, 0])  # from the same θ₀


@pytest.mark.parametrize("batchnorm", [False, True])
def test_dropout_of_the_books_convention_evaluates_with_the_keep_scaling(batchnorm):
    arch = Architecture((2, 12, 8, 3), "tanh", batchnorm=batchnorm)
    ratio = 0.5
    regulariser = train.Regulariser(dropout=ratio, inverted=False)
    trained = train.train(arch, SPIRAL, [optim_core.runner.make("sgd", lr=0.2)], iterations=20, batch_size=32,
                          seed=6, init="xavier", regulariser=regulariser)
    assert trained.regulariser == regulariser
    theta = trained.weights[0, -1].astype(float)
    buffers = trained.buffers[0, -1].astype(float) if batchnorm else None
    scores, _ = reference_scores(arch.sizes, "tanh", batchnorm, theta, SPIRAL.x_val, buffers=buffers,
                                 keep_scale=1.0 - ratio)
    expected_loss = cross_entropy(scores, SPIRAL.y_val)
    expected_accuracy = np.mean(scores.argmax(axis=-1) == SPIRAL.y_val)
    evaluated = train.evaluate(arch, SPIRAL, trained.weights[:, -1:], trained.buffers[:, -1:], regulariser)
    assert evaluated[2][0, 0] == pytest.approx(expected_loss, rel=1e-9)
    assert evaluated[3][0, 0] == expected_accuracy
    assert trained.val_loss[0, -1] == pytest.approx(expected_loss, rel=1e-9)
    # the unscaled network (the inverted convention's test time) gives another loss: the scaling is really there
    unscaled, _ = reference_scores(arch.sizes, "tanh", batchnorm, theta, SPIRAL.x_val, buffers=buffers)
    assert cross_entropy(unscaled, SPIRAL.y_val) != pytest.approx(expected_loss, rel=1e-3)
    inverted = train.evaluate(arch, SPIRAL, trained.weights[:, -1:], trained.buffers[:, -1:],
                              train.Regulariser(dropout=ratio, inverted=True))
    assert inverted[2][0, 0] == pytest.approx(cross_entropy(unscaled, SPIRAL.y_val), rel=1e-9)
    # Training.evaluation() hands the same options to the network
    probs = network.predict_proba(arch, theta, SPIRAL.x_val, **network.evaluation(buffers, **trained.evaluation()))
    np.testing.assert_allclose(probs, probabilities(scores), rtol=1e-10, atol=1e-14)
