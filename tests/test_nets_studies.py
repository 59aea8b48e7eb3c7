"""The chapter-6 studies: hyperparameter search (nets/search.py), model ensembles (nets/ensembles.py), the
overfitting experiment (nets/overfitting.py), Batch Norm across weight scales (nets/batchnorm_study.py) and training
from the four initial scales (nets/init_study.training).

Where the expected values come from:

* the search's sampling: the same ``np.random.default_rng`` draws made here, 10 ** (low + u·(high − low)) written
  out, and a Kolmogorov–Smirnov test (scipy.stats.kstest) that the exponents are uniform;
* ``on_edge``, ``narrowed``, ``ranking``: hand-built ``Search`` tuples whose answers are worked out by hand in the
  comments (positions on the log scale, the top-k's min/max exponents widened by max(0.2, 10 % of the width));
* ``ensembles.grow``: a 3-member, 4-example, 3-class table of probabilities worked out by hand (with majority vote
  alongside, to show that averaging probabilities is not voting);
* ``ensembles.build``: "threshold networks" whose accuracy and ensembles have closed forms: network t predicts
  class 1 for input x₀ iff x₀ > t, with P(class 1) = sigmoid(x₀ − t), and the mean of such networks' weights is the
  network of the mean threshold;
* the studies' wiring: the trainer is replaced by a spy (no training) and what it is given is compared with the
  book's settings and with N(0, 1) draws made here; or the study is compared with a direct ``train.train`` call in
  the book's setting written out here; the networks' outputs by a plain NumPy forward pass written here;
* the book's claims (ch. 6.2, 6.3.2): σ = 0.01 predicts uniform probabilities (loss ln 10), σ = 1 blows up, He ends
  below Xavier; Batch Norm learns at σ = 10⁻⁴ where the plain network predicts one class.

The real studies take a second or three each: each runs once, in a module fixture.  No timing is asserted.
"""

import math
import re
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np
import pytest
from scipy import stats

import optim_core
from nets import batchnorm_study, data, ensembles, init_study, network, overfitting, search, train

DIGITS = data.load("digits")  # 1438 training, 359 validation images


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    """BLAS on one thread for this module (as tests/benchmarks/bench_network.py can): on a busy 2-core machine the
    studies' multi-threaded matrix products wait on each other and take ten times as long.  Every comparison of two
    trainings in this module is made under the same limit."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(1, "blas"):
        yield


# --- helpers ----------------------------------------------------------------------------------------------------


def forward_scores(sizes, theta, x):
    """A ReLU MLP in the flat layout [W1 row-major, b1, W2, b2, …] (no Batch Norm), by hand: scores (B, K)."""
    theta, a, start = np.asarray(theta, dtype=np.float64), np.asarray(x, dtype=np.float64), 0
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        W = theta[start:start + n_in * n_out].reshape(n_in, n_out)
        start += n_in * n_out
        b = theta[start:start + n_out]
        start += n_out
        a = a @ W + b
        if layer < len(sizes) - 2:
            a = np.maximum(a, 0.0)
    assert start == len(theta)
    return a


def hand_draws(sizes, rng, stds):
    """The layers' N(0, 1) draws of one generator, W_i of shape (n_in, n_out) in order, each times stds[i]."""
    return [rng.standard_normal((n_in, n_out)) * std for (n_in, n_out), std in zip(zip(sizes[:-1], sizes[1:]), stds)]


def hand_theta(sizes, Ws, batchnorm=False):
    """The flat layout of weights Ws with b = 0 (and γ = 1, β = 0 after every hidden layer with Batch Norm)."""
    parts = []
    for i, W in enumerate(Ws):
        n_out = W.shape[1]
        parts += [W.ravel(), np.zeros(n_out)]
        if batchnorm and i < len(Ws) - 1:
            parts += [np.ones(n_out), np.zeros(n_out)]
    return np.concatenate(parts)


def n_params(sizes):
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def hand_search(lr_exponents, decay_exponents, final, *, lr_range=(-6.0, -2.0), decay_range=(-8.0, -4.0),
                first=None, weights=None):
    """A Search of T trials with the given exponents and final validation accuracies (an earlier epoch's accuracy
    ``first``, 0.1 by default)."""
    final = np.asarray(final, dtype=float)
    first = np.full(len(final), 0.1) if first is None else np.asarray(first, dtype=float)
    val = np.column_stack([first, final])
    weights = np.zeros((len(final), 1), np.float32) if weights is None else weights
    return search.Search(10.0 ** np.asarray(lr_exponents, dtype=float), 10.0 ** np.asarray(decay_exponents, dtype=float),
                         np.array([0.0, 1.0]), val.copy(), val, weights, lr_range, decay_range, None)


class Spy:
    """Stands in for ``train.train``: records its arguments and returns ``result``."""

    def __init__(self, result):
        self.result, self.calls = result, []

    def __call__(self, arch, data_, optimizers, **options):
        self.calls.append(SimpleNamespace(arch=arch, data=data_, optimizers=list(optimizers), **options))
        return self.result(arch, len(optimizers), options) if callable(self.result) else self.result


# --- search: sampling ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 7])
def test_sample_is_ten_to_a_uniform_exponent_lr_from_column_0_decay_from_column_1(seed):
    lr, decay = search.sample(6, (-6.0, -2.0), (-8.0, -4.0), np.random.default_rng(seed))
    u = np.random.default_rng(seed).uniform(size=(6, 2))
    np.testing.assert_allclose(lr, 10.0 ** (-6.0 + 4.0 * u[:, 0]), rtol=1e-13)
    np.testing.assert_allclose(decay, 10.0 ** (-8.0 + 4.0 * u[:, 1]), rtol=1e-13)
    assert ((1e-6 <= lr) & (lr <= 1e-2)).all() and ((1e-8 <= decay) & (decay <= 1e-4)).all()
    # a seed gives the same draws as a generator of that seed
    seeded = search.sample(6, (-6.0, -2.0), (-8.0, -4.0), seed)
    np.testing.assert_array_equal(seeded[0], lr)
    np.testing.assert_array_equal(seeded[1], decay)


def test_sample_exponents_are_uniform_over_each_range():
    lr, decay = search.sample(4000, (-5.0, -1.0), (-9.0, -6.5), np.random.default_rng(11))
    lr_u, decay_u = (np.log10(lr) + 5.0) / 4.0, (np.log10(decay) + 9.0) / 2.5
    assert ((0 <= lr_u) & (lr_u <= 1)).all() and ((0 <= decay_u) & (decay_u <= 1)).all()
    assert stats.kstest(lr_u, "uniform").pvalue > 0.001
    assert stats.kstest(decay_u, "uniform").pvalue > 0.001
    # uniform in log10, not in the value: the values themselves are far from uniform on (1e-5, 1e-1)
    assert stats.kstest(lr, "uniform", args=(1e-5, 1e-1 - 1e-5)).pvalue < 1e-6


# --- search: the data -----------------------------------------------------------------------------------------


def marked_dataset(n_train=700, n_val=50):
    """Training rows that carry their index (x[i] = (i, i)), validation rows marked negative."""
    x_train = np.repeat(np.arange(n_train, dtype=float)[:, None], 2, axis=1)
    x_val = -1.0 - np.repeat(np.arange(n_val, dtype=float)[:, None], 2, axis=1)
    return data.Dataset("marked", x_train, np.arange(n_train) % 3, x_val, np.arange(n_val) % 3, 3)


def test_split_holds_out_the_last_validation_rows_of_the_first_examples_training_rows():
    part = search.split(marked_dataset())
    # the book's setting: 500 examples, 100 of them for validation
    assert len(part.y_train) == 400 and len(part.y_val) == 100 and part.x_train.shape == (400, 2)
    assert part.x_train[:, 0].tolist() == list(range(400))
    assert part.x_val[:, 0].tolist() == list(range(400, 500))
    assert set(part.x_train[:, 0]).isdisjoint(part.x_val[:, 0])
    assert (part.x_val >= 0).all()  # none of the data set's own validation (test) rows
    np.testing.assert_array_equal(part.y_val, np.arange(400, 500) % 3)


def test_split_follows_the_setting(monkeypatch):
    monkeypatch.setitem(search.SETTING, "examples", 60)
    monkeypatch.setitem(search.SETTING, "validation", 15)
    part = search.split(marked_dataset())
    assert part.x_train[:, 0].tolist() == list(range(45)) and part.x_val[:, 0].tolist() == list(range(45, 60))


SMALL_SEARCH = dict(examples=100, validation=40, hidden=(10,), batch=20, epochs=2)


@pytest.fixture(scope="module")
def small_searches():
    """A 3-trial search with small settings on the digits, and the same on the digits whose validation (test)
    split is replaced by NaN images and shifted labels."""
    garbage = DIGITS._replace(x_val=np.full_like(DIGITS.x_val, np.nan), y_val=(DIGITS.y_val + 1) % 10)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in SMALL_SEARCH.items():
            patch.setitem(search.SETTING, key, value)
        return search.run(DIGITS, trials=3, seed=4), search.run(garbage, trials=3, seed=4)


def test_the_search_never_touches_the_test_split(small_searches):
    intact, garbage = small_searches
    for field in ("lr", "weight_decay", "epochs", "train_accuracy", "val_accuracy", "weights"):
        np.testing.assert_array_equal(getattr(garbage, field), getattr(intact, field), err_msg=field)
    # and the validation accuracy is on the 40 held-out training images: multiples of 1/40
    assert np.allclose(intact.val_accuracy * 40, np.round(intact.val_accuracy * 40))
    assert intact.val_accuracy.shape == (3, 3) and intact.epochs.tolist() == [0.0, 1.0, 2.0]


def test_the_searchs_weights_keep_only_the_final_weights_alive(small_searches):
    intact, _ = small_searches
    n = 64 * 10 + 10 + 10 * 10 + 10  # (64, 10, 10): 760 weights
    assert intact.weights.shape == (3, n) and intact.weights.dtype == np.float32
    kept_alive = intact.weights.nbytes if intact.weights.base is None else intact.weights.base.nbytes
    assert kept_alive == 3 * n * 4


def test_run_trains_each_sampled_trial_from_its_own_he_draws(monkeypatch):
    for key, value in SMALL_SEARCH.items():
        monkeypatch.setitem(search.SETTING, key, value)
    sizes, T = (64, 10, 10), 4
    n = n_params(sizes)
    fake = lambda arch, runs, options: SimpleNamespace(
        epochs=lambda n_train: np.array([0.0, 1.0, 2.0]), train_accuracy=np.zeros((runs, 3)),
        val_accuracy=np.tile([0.1, 0.2, 0.3], (runs, 1)), weights=np.arange(runs * 3 * n, dtype=np.float32).reshape(runs, 3, n),
        diverged_at=np.full(runs, -1))
    spy = Spy(fake)
    monkeypatch.setattr(train, "train", spy)
    result = search.run(DIGITS, trials=T, lr_range=(-5.0, -1.0), decay_range=(-7.0, -3.0), seed=9)
    (call,) = spy.calls
    u = np.random.default_rng([9, 2]).uniform(size=(T, 2))
    lr, decay = 10.0 ** (-5.0 + 4.0 * u[:, 0]), 10.0 ** (-7.0 + 4.0 * u[:, 1])
    np.testing.assert_allclose(result.lr, lr, rtol=1e-13)
    np.testing.assert_allclose(result.weight_decay, decay, rtol=1e-13)
    assert [opt.name for opt in call.optimizers] == ["sgd"] * T
    np.testing.assert_allclose([opt.hyperparams["lr"] for opt in call.optimizers], lr, rtol=1e-13)
    np.testing.assert_allclose(call.regulariser.weight_decay, decay, rtol=1e-13)
    assert call.arch.sizes == sizes and call.arch.activation == "relu" and not call.arch.batchnorm
    # 60 training images, 2 epochs of batch 20: 6 iterations; a checkpoint every epoch; the seed's minibatches
    assert (call.iterations, call.batch_size, call.keep, call.seed) == (6, 20, 2, 9)
    np.testing.assert_array_equal(call.data.x_train, DIGITS.x_train[:60])
    np.testing.assert_array_equal(call.data.x_val, DIGITS.x_train[60:100])
    for k in range(T):  # He: σ = √(2 / n_in), each trial its own generator [seed, 3, k]
        Ws = hand_draws(sizes, np.random.default_rng([9, 3, k]), [math.sqrt(2 / 64), math.sqrt(2 / 10)])
        np.testing.assert_allclose(call.theta0[k], hand_theta(sizes, Ws), rtol=1e-13)
    assert not np.allclose(call.theta0[0], call.theta0[1])
    np.testing.assert_array_equal(result.weights, fake(None, T, None).weights[:, -1])  # the final weights
    assert result.lr_range == (-5.0, -1.0) and result.decay_range == (-7.0, -3.0)


def test_a_diverged_trial_ranks_after_every_trial_that_did_not_diverge(monkeypatch):
    monkeypatch.setitem(search.SETTING, "epochs", 5)
    spy = Spy(None)
    real = train.train

    def recording(*args, **options):
        spy.result = real(*args, **options)
        return spy.result

    monkeypatch.setattr(train, "train", recording)
    result = search.run(DIGITS, trials=12, lr_range=(0.5, 1.0))  # learning rates 3 … 10: some runs blow up
    diverged = spy.result.diverged_at >= 0
    assert diverged.any() and not diverged.all()  # the case in question
    order = diverged[result.ranking()]
    assert not order[:np.sum(~diverged)].any(), f"diverged trials in ranking order: {order}"


# --- search: edges, narrowing, ranking -------------------------------------------------------------------------


@pytest.mark.parametrize("best_lr, best_decay, expected", [
    # the book's ranges: lr (−6, −2), λ (−8, −4), 4 decades each; "on the edge" within 0.4 of an end
    (-5.8, -6.0, [("lr", "low")]),  # position 0.05
    (-2.1, -7.9, [("lr", "high"), ("weight_decay", "low")]),  # 0.975 and 0.025
    (-4.0, -4.2, [("weight_decay", "high")]),  # 0.95
    (-3.9, -6.1, []),  # 0.525 and 0.475: the middle
    (-5.65, -4.35, [("lr", "low"), ("weight_decay", "high")]),  # 0.0875 and 0.9125: just inside
    (-5.55, -4.45, []),  # 0.1125 and 0.8875: just outside
])
def test_on_edge_flags_the_best_trial_near_an_end_of_a_range(best_lr, best_decay, expected):
    # trial 0: at the low corner but worse; trial 2 at the high corner diverged (NaN at the end, best earlier on)
    s = hand_search([-5.99, best_lr, -2.01], [-7.99, best_decay, -4.01], [0.5, 0.8, np.nan], first=[0.1, 0.1, 0.99])
    assert search.on_edge(s) == expected


def test_on_edge_measures_the_position_in_the_searchs_own_ranges():
    # lr range (−3, 1): 10^−2.8 lies at 0.05 (low); λ range (−10, −9): 10^−9.5 is the middle
    s = hand_search([-2.8, -1.0], [-9.5, -9.05], [0.9, 0.2], lr_range=(-3.0, 1.0), decay_range=(-10.0, -9.0))
    assert search.on_edge(s) == [("lr", "low")]


def test_ranking_puts_the_best_final_accuracy_first_and_nan_last():
    s = hand_search([-4] * 6, [-6] * 6, [0.5, np.nan, 0.7, 0.5, np.nan, 0.9], first=[0.9, 1.0, 0.1, 0.1, 1.0, 0.1])
    # by the final epoch's accuracy; ties in trial order; diverged (NaN) last
    assert search.Search.ranking(s).tolist() == [5, 2, 0, 3, 1, 4]


def test_narrowed_is_the_top_trials_exponent_range_widened_by_at_least_0_2():
    s = hand_search([-4.0, -3.5, -3.2, -4.3, -3.8, -2.1, -5.9], [-6.0, -5.5, -7.1, -6.4, -5.9, -4.1, -7.9],
                    [0.90, 0.85, 0.80, 0.75, 0.70, 0.30, np.nan])
    # top 5 = trials 0 … 4.  lr: −4.3 … −3.2, width 1.1, margin max(0.2, 0.11) = 0.2 → (−4.5, −3.0);
    # λ: −7.1 … −5.5, width 1.6, margin 0.2 → (−7.3, −5.3).  Trials 5 and 6 (worse, diverged) are left out.
    assert search.narrowed(s) == ((-4.5, -3.0), (-7.3, -5.3))
    # top 1 = trial 0 alone: width 0, margin 0.2
    assert search.narrowed(s, top=1) == ((-4.2, -3.8), (-6.2, -5.8))


def test_narrowed_widens_by_a_tenth_of_a_wide_range_and_rounds_to_0_1():
    s = hand_search([-5.0, -2.6, -4.0, -5.9], [-7.5, -4.5, -6.0, -7.99], [0.6, 0.8, 0.7, 0.1])
    # top 3 = trials 1, 2, 0.  lr −5.0 … −2.6: width 2.4, margin 0.24 → (−5.24, −2.36) → (−5.2, −2.4);
    # λ −7.5 … −4.5: width 3.0, margin 0.3 → (−7.8, −4.2)
    assert search.narrowed(s, top=3) == ((-5.2, -2.4), (-7.8, -4.2))


def test_narrowed_stays_inside_the_exponent_range():
    s = hand_search([0.9, 0.5, -1.0], [-9.9, -9.5, -9.0], [0.8, 0.7, 0.1], lr_range=(-1.0, 1.0),
                    decay_range=(-10.0, -9.0))
    # top 2: lr 0.5 … 0.9 → (0.3, 1.1) → high clipped to 1.0; λ −9.9 … −9.5 → (−10.1, −9.3) → low clipped to −10
    assert search.narrowed(s, top=2) == ((0.3, 1.0), (-10.0, -9.3))
    for bounds in search.narrowed(s, top=2):
        search.check_range("narrowed", bounds)  # a valid range for the next search


# --- search: refusals ------------------------------------------------------------------------------------------


def test_check_range_returns_floats():
    assert search.check_range("lr range", (-10, 1)) == (-10.0, 1.0)
    assert all(type(v) is float for v in search.check_range("lr range", np.array([-6, -2])))


@pytest.mark.parametrize("bounds", [(-3.0, -3.0), (-2.0, -6.0), (-11.0, -2.0), (-3.0, 1.5), (math.nan, -2.0)])
def test_check_range_refuses_and_names_the_field(bounds):
    with pytest.raises(ValueError, match="^learning rate exponents"):
        search.check_range("learning rate exponents", bounds)


@pytest.mark.parametrize("trials", [1, 61, True, 2.0, "5", None])
def test_run_refuses_a_bad_number_of_trials(trials):
    with pytest.raises(ValueError, match="trials"):
        search.run(DIGITS, trials=trials)


@pytest.mark.parametrize("options, field", [
    (dict(lr_range=(-2.0, -6.0)), "lr range"),
    (dict(lr_range=(-4.0, 2.0)), "lr range"),
    (dict(decay_range=(-5.0, -5.0)), "weight decay range"),
    (dict(decay_range=(-12.0, -4.0)), "weight decay range"),
])
def test_run_refuses_a_bad_range_naming_it(options, field):
    with pytest.raises(ValueError, match=re.escape(field)):
        search.run(DIGITS, trials=3, **options)


# --- ensembles: growing one ----------------------------------------------------------------------------------------

# K = 3 members, B = 4 examples, C = 3 classes; labels 0, 1, 2, 0.  Each row sums to 1.
GROW_PROBABILITIES = np.array([
    # member A: predicts 0 ✓, 1 ✓, 0 ✗, 1 ✗                 → 2/4
    [[0.60, 0.30, 0.10], [0.20, 0.50, 0.30], [0.50, 0.10, 0.40], [0.10, 0.80, 0.10]],
    # member B: predicts 1 ✗, 2 ✗, 2 ✓, 1 ✗                 → 1/4
    [[0.40, 0.50, 0.10], [0.10, 0.20, 0.70], [0.20, 0.10, 0.70], [0.45, 0.50, 0.05]],
    # member C: predicts 1 ✗, 1 ✓, 2 ✓, 0 ✓                 → 3/4
    [[0.30, 0.40, 0.30], [0.30, 0.40, 0.30], [0.10, 0.20, 0.70], [0.90, 0.05, 0.05]],
])
GROW_LABELS = np.array([0, 1, 2, 0])
# k = 1: A alone, 2/4.
# k = 2: A + B = [1.0, 0.8, 0.2] → 0 ✓, [0.3, 0.7, 1.0] → 2 ✗, [0.7, 0.2, 1.1] → 2 ✓, [0.55, 1.3, 0.15] → 1 ✗: 2/4.
# k = 3: + C   = [1.3, 1.2, 0.5] → 0 ✓, [0.6, 1.1, 1.3] → 2 ✗, [0.8, 0.4, 1.8] → 2 ✓, [1.45, 1.35, 0.2] → 0 ✓: 3/4.
# Examples 0 and 3 are right although two of the three members are wrong there; majority vote (1, 1, 2, 1) gets 2/4.


def test_grow_averages_the_members_probabilities_not_their_votes():
    growth = ensembles.grow(GROW_PROBABILITIES, GROW_LABELS)
    np.testing.assert_allclose(growth.members, [0.5, 0.25, 0.75])
    np.testing.assert_allclose(growth.ensemble, [0.5, 0.5, 0.75])
    votes = np.argmax(GROW_PROBABILITIES, axis=-1)  # the majority vote of all three differs
    majority = np.array([np.bincount(column, minlength=3).argmax() for column in votes.T])
    assert majority.tolist() == [1, 1, 2, 1] and np.mean(majority == GROW_LABELS) == 0.5


def test_grow_with_one_member_is_that_member():
    growth = ensembles.grow(GROW_PROBABILITIES[2:], GROW_LABELS)
    np.testing.assert_allclose(growth.members, [0.75])
    np.testing.assert_allclose(growth.ensemble, [0.75])


def test_of_average_is_the_accuracy_of_the_mean_weights():
    spiral = data.load("spiral", points_per_class=60)
    arch = network.Architecture((2, 8, 3))
    weights = np.random.default_rng(5).standard_normal((5, arch.n_params)).astype(np.float32)
    growth = ensembles.of_average(arch, weights, spiral.x_val, spiral.y_val)
    x, labels, w = spiral.x_val, spiral.y_val, weights.astype(np.float64)
    members = [np.mean(np.argmax(forward_scores(arch.sizes, theta, x), axis=-1) == labels) for theta in w]
    averaged = [float(network.accuracy(arch, w[:k].mean(axis=0), x, labels)) for k in range(1, 6)]
    np.testing.assert_allclose(growth.members, members)
    np.testing.assert_allclose(growth.ensemble, averaged)
    # this case tells a mean of weights from a mean of predictions (what of_weights does)
    assert not np.allclose(growth.ensemble, ensembles.of_weights(arch, weights, x, labels).ensemble)
    assert len(set(np.round(members, 6))) > 1


# --- ensembles: building one -------------------------------------------------------------------------------------

THRESHOLD_ARCH = network.Architecture((2, 2, 2))
THRESHOLD_B = 25
THRESHOLD_X0 = (np.arange(THRESHOLD_B) + 0.1) / THRESHOLD_B  # never equal to a mean of up to 4 multiples of 1/25
THRESHOLDS = data.Dataset("thresholds", np.c_[THRESHOLD_X0, np.ones(THRESHOLD_B)], np.ones(THRESHOLD_B, np.int64),
                          np.c_[THRESHOLD_X0, np.ones(THRESHOLD_B)], np.ones(THRESHOLD_B, np.int64), 2)


def threshold_theta(t):
    """(2, 2, 2) ReLU: W1 = I, b1 = 0 gives h = (x₀, 1) for x = (x₀ ≥ 0, 1); W2 = [[0, 1], [t, 0]], b2 = 0 gives the
    scores (t, x₀): class 1 iff x₀ > t, P(class 1) = sigmoid(x₀ − t).  Linear in t: a mean of these is the one of
    the mean threshold."""
    return np.array([1, 0, 0, 1, 0, 0, 0, 1, t, 0, 0, 0], dtype=np.float64)


def threshold_growth(thresholds, average=False):
    """The closed form: every label is 1; a member is right where x₀ > t; the first k together predict 1 where
    mean sigmoid(x₀ − t_i) > ½ (or, averaging weights, where x₀ > mean t_i)."""
    t = np.asarray(thresholds, dtype=np.float64)
    members = [np.mean(THRESHOLD_X0 > ti) for ti in t]
    ensemble = []
    for k in range(1, len(t) + 1):
        if average:
            ensemble.append(np.mean(THRESHOLD_X0 > t[:k].mean()))
        else:
            p1 = np.mean(1 / (1 + np.exp(-(THRESHOLD_X0[None, :] - t[:k, None]))), axis=0)
            assert np.min(np.abs(p1 - 0.5)) > 1e-4  # no near-tie for float32 probabilities to break
            ensemble.append(np.mean(p1 > 0.5))
    return np.array(members), np.array(ensemble)


class Base(NamedTuple):
    """What ``build`` reads of a ``train.Training``."""

    arch: network.Architecture
    weights: np.ndarray


# base training: R = 4 runs, C = 5 kept checkpoints; run r's checkpoint c is the network of threshold (5r + c)/25,
# whose accuracy is (25 − 5r − c)/25: every kept network is told apart by its accuracy
BASE_T = (5 * np.arange(4)[:, None] + np.arange(5)[None, :]) / 25
BASE = Base(THRESHOLD_ARCH, np.array([[threshold_theta(t) for t in row] for row in BASE_T], dtype=np.float32))


@pytest.mark.parametrize("kind, thresholds, members", [
    ("inits", [4 / 25, 9 / 25, 14 / 25], [21 / 25, 16 / 25, 11 / 25]),  # runs 0, 1, 2 at their final checkpoint
    ("checkpoints", [4 / 25, 3 / 25, 2 / 25], [21 / 25, 22 / 25, 23 / 25]),  # run 0, checkpoints 4, 3, 2
    ("average", [4 / 25, 3 / 25, 2 / 25], [21 / 25, 22 / 25, 23 / 25]),
])
def test_build_takes_the_kinds_members_from_the_base_training(kind, thresholds, members):
    growth = ensembles.build(kind, THRESHOLDS, 3, BASE)
    expected_members, expected_ensemble = threshold_growth(thresholds, average=kind == "average")
    np.testing.assert_allclose(expected_members, members)  # the hand values and the closed form agree
    np.testing.assert_allclose(growth.members, expected_members)
    np.testing.assert_allclose(growth.ensemble, expected_ensemble)


def test_build_average_is_the_network_of_the_mean_weights():
    # run 0's final checkpoints 4, 3, 2, 1 (thresholds 4, 3, 2, 1 / 25); means 4, 3.5, 3, 2.5 / 25:
    # x₀ = (i + 0.1)/25 > those for i ≥ 4, 4, 3, 3 → 21, 21, 22, 22 of 25
    growth = ensembles.build("average", THRESHOLDS, 4, BASE)
    np.testing.assert_allclose(growth.ensemble, [21 / 25, 21 / 25, 22 / 25, 22 / 25])


def test_build_search_takes_the_searchs_best_trials_in_ranking_order():
    t = np.array([1, 4, 7, 10, 13]) / 25
    s = hand_search([-4] * 5, [-6] * 5, [0.3, 0.9, np.nan, 0.5, 0.7],
                    weights=np.array([threshold_theta(ti) for ti in t], dtype=np.float32))._replace(arch=THRESHOLD_ARCH)
    growth = ensembles.build("search", THRESHOLDS, 3, BASE, search=s)
    # ranking 1, 4, 3, 0, 2: the top 3 have thresholds 4, 13, 10 / 25
    expected_members, expected_ensemble = threshold_growth([4 / 25, 13 / 25, 10 / 25])
    np.testing.assert_allclose(growth.members, [21 / 25, 12 / 25, 15 / 25])
    np.testing.assert_allclose(growth.members, expected_members)
    np.testing.assert_allclose(growth.ensemble, expected_ensemble)


@pytest.mark.parametrize("kind, members, field", [
    ("bagging", 3, "kind"), ("Inits", 3, "kind"), ("inits", 1, "members"), ("inits", 11, "members"),
    ("checkpoints", True, "members"), ("average", 0, "members"),
])
def test_build_refuses_a_bad_kind_or_number_of_members(kind, members, field):
    with pytest.raises(ValueError, match=field):
        ensembles.build(kind, THRESHOLDS, members, BASE)


def test_build_refuses_a_fractional_number_of_members():
    with pytest.raises(ValueError, match="members"):
        ensembles.build("inits", THRESHOLDS, 2.5, BASE)


def test_base_training_runs_differ_only_in_their_he_draws(monkeypatch):
    monkeypatch.setitem(ensembles.SETTING, "examples", 40)
    monkeypatch.setitem(ensembles.SETTING, "hidden", (6,))
    monkeypatch.setitem(ensembles.SETTING, "iterations", 8)
    monkeypatch.setitem(ensembles.SETTING, "batch", 20)
    monkeypatch.setitem(ensembles.SETTING, "keep", 4)
    base = ensembles.base_training(DIGITS, 3, seed=2)
    sizes = (64, 6, 10)
    assert base.arch.sizes == sizes and base.weights.shape == (3, 5, n_params(sizes))
    assert base.checkpoints.tolist() == [0, 2, 4, 6, 8] and base.iterations == 8 and base.batch_size == 20
    for k in range(3):  # He draws of generator [seed, 4, k]
        Ws = hand_draws(sizes, np.random.default_rng([2, 4, k]), [math.sqrt(2 / 64), math.sqrt(2 / 6)])
        np.testing.assert_allclose(base.weights[k, 0], hand_theta(sizes, Ws), rtol=1e-6, atol=1e-7)
    # measured on the first 40 training images: accuracies are multiples of 1/40
    assert np.allclose(base.train_accuracy * 40, np.round(base.train_accuracy * 40))
    assert base.titles == ("Momentum",) * 3


# --- overfitting ----------------------------------------------------------------------------------------------------

OVERFIT_EXAMPLES = 137  # not a divisor of anything else around: accuracies on it are multiples of 1/137


@pytest.fixture(scope="module")
def overfit_runs():
    """The study's plain run on 137 images, and the book's setting written out here (6 hidden layers of 100 ReLU
    units, SGD lr 0.01, batch 100, 200 epochs, accuracies every 4 epochs: 50 checkpoints) trained directly."""
    study = overfitting.run(0.0, 0.0, examples=OVERFIT_EXAMPLES, seed=0)
    digits = data.load("digits", seed=0)
    digits = digits._replace(x_train=digits.x_train[:OVERFIT_EXAMPLES], y_train=digits.y_train[:OVERFIT_EXAMPLES])
    arch = network.Architecture((64,) + (100,) * 6 + (10,), "relu")
    direct = train.train(arch, digits, [optim_core.make("sgd", lr=0.01)], iterations=200 * OVERFIT_EXAMPLES // 100,
                         batch_size=100, seed=0, keep=50)
    return study, direct, digits


def test_overfitting_without_remedies_is_the_plain_book_setting(overfit_runs):
    study, direct, _ = overfit_runs
    assert study.arch == direct.arch and study.iterations == 274 and study.batch_size == 100
    np.testing.assert_array_equal(study.checkpoints, direct.checkpoints)
    assert len(study.checkpoints) == 51
    for field in ("loss", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "diverged_at"):
        np.testing.assert_array_equal(getattr(study, field), getattr(direct, field), err_msg=field)
    assert study.regulariser == train.Regulariser(0.0, 0.0, True)


def test_overfitting_returns_the_curves_only(overfit_runs):
    study, _, _ = overfit_runs
    assert study.weights.shape == (1, 51, 0) and study.buffers.shape == (1, 51, 0)
    assert study.loss.shape == (1, 274) and study.train_accuracy.shape == (1, 51)


def test_overfitting_measures_the_training_accuracy_on_its_examples(overfit_runs):
    study, direct, digits = overfit_runs
    acc = study.train_accuracy[0]
    assert np.allclose(acc * OVERFIT_EXAMPLES, np.round(acc * OVERFIT_EXAMPLES), atol=1e-9)
    assert not np.allclose(acc * 100, np.round(acc * 100))  # not a multiple of 1/100 everywhere: it is 1/137
    val = study.val_accuracy[0]
    assert np.allclose(val * 359, np.round(val * 359), atol=1e-9)  # the whole held-out split
    # the last checkpoint by hand: the final weights' predictions on the 137 images
    scores = forward_scores(direct.arch.sizes, direct.weights[0, -1].astype(np.float64), digits.x_train)
    assert acc[-1] == pytest.approx(np.mean(np.argmax(scores, axis=-1) == digits.y_train), abs=1e-12)
    assert acc[-1] > val[-1]  # the overfitting gap the study is about


def test_overfitting_adds_the_books_weight_decay_and_passes_dropout(monkeypatch):
    monkeypatch.setitem(overfitting.SETTING, "epochs", 2)  # 2 iterations on 100 images
    plain, decayed = (overfitting.run(wd, 0.0, examples=100, seed=3) for wd in (0.0, 0.1))
    # the first minibatch's loss at θ₀ (the trainer's He draws of generator 3) gains ½·λ·Σ‖W‖²
    sizes = (64,) + (100,) * 6 + (10,)
    Ws = hand_draws(sizes, np.random.default_rng(3), [math.sqrt(2 / n) for n in sizes[:-1]])
    squares = sum(float(np.sum(W * W)) for W in Ws)
    assert decayed.loss[0, 0] - plain.loss[0, 0] == pytest.approx(0.5 * 0.1 * squares, rel=1e-9)
    assert decayed.regulariser == train.Regulariser(0.1, 0.0, True)
    dropped = overfitting.run(0.0, 0.2, inverted=False, examples=100, seed=3)
    assert dropped.regulariser == train.Regulariser(0.0, 0.2, False)
    assert dropped.loss[0, 0] != plain.loss[0, 0]  # units dropped in training


@pytest.mark.parametrize("examples", [99, 501, 0, True])
def test_overfitting_refuses_examples_out_of_range(examples):
    with pytest.raises(ValueError, match="examples"):
        overfitting.run(examples=examples)


# --- Batch Norm across scales ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def comparison():
    return batchnorm_study.compare(seed=0)


def test_compare_has_a_row_per_scale_and_a_column_every_two_epochs(comparison):
    np.testing.assert_allclose(comparison.scales, 10.0 ** np.linspace(0, -4, 8), rtol=1e-12)
    assert comparison.epochs.tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]
    assert comparison.with_bn.shape == comparison.without_bn.shape == (8, 11)
    for accuracy in (comparison.with_bn, comparison.without_bn):  # on the 1000 training images
        assert np.allclose(accuracy * 1000, np.round(accuracy * 1000), atol=1e-9)


def test_batch_norm_learns_at_a_tiny_scale_where_the_plain_network_does_not(comparison):
    assert comparison.scales[-1] == pytest.approx(1e-4)
    shares = np.bincount(DIGITS.y_train[:1000], minlength=10) / 1000  # predicting one class gets its share
    assert np.all(comparison.without_bn[-1] <= shares.max() + 1e-12)  # never better than one class
    assert comparison.with_bn[-1, -1] > comparison.without_bn[-1, -1] + 0.2
    assert comparison.with_bn[-1, -1] > shares.max() + 0.2


def test_compare_starts_both_networks_from_the_same_scaled_draws(monkeypatch):
    markers = iter((0.25, 0.75))
    spy = Spy(lambda arch, runs, options: SimpleNamespace(train_accuracy=np.full((runs, 11), next(markers))))
    monkeypatch.setattr(train, "train", spy)
    result = batchnorm_study.compare(seed=5)
    assert [call.arch.batchnorm for call in spy.calls] == [True, False]
    assert (result.with_bn == 0.25).all() and (result.without_bn == 0.75).all()
    sizes = (64, 50, 50, 50, 50, 10)
    unit = hand_draws(sizes, np.random.default_rng(5), [1.0] * 5)  # the N(0, 1) draws, layer by layer
    scales = 10.0 ** np.linspace(0, -4, 8)
    for call in spy.calls:
        bn = call.arch.batchnorm
        assert call.arch.sizes == sizes and call.arch.activation == "relu"
        assert (call.iterations, call.batch_size, call.seed, call.keep) == (200, 100, 5, 10)  # 20 epochs of 10 batches
        assert [opt.hyperparams["lr"] for opt in call.optimizers] == [0.01] * 8
        assert len(call.data.y_train) == 1000 and len(call.data.y_val) == 359
        np.testing.assert_array_equal(call.data.x_train, data.load("digits", seed=5).x_train[:1000])
        assert call.theta0.shape == (8, n_params(sizes) + (2 * 200 if bn else 0))
        for row, s in zip(call.theta0, scales):
            np.testing.assert_allclose(row, hand_theta(sizes, [s * Z for Z in unit], bn), rtol=1e-13, atol=0)
        # what the brief says in network terms: σ · (the σ = 1 draw) for the W entries, through init_params
        one = network.init_params(call.arch, 5, 1.0)
        is_W = np.zeros(len(one), bool)
        for name, where in network.layer_slices(call.arch).items():
            is_W[where] = name.startswith("W")
        np.testing.assert_allclose(call.theta0[:, is_W], scales[:, None] * one[is_W], rtol=1e-13)


# --- training from the four initial scales ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def init_training():
    return init_study.training("relu", seed=0)


def test_training_starts_the_runs_from_the_scales_in_order(monkeypatch):
    spy = Spy(SimpleNamespace(curves_only=lambda: "the curves"))
    monkeypatch.setattr(train, "train", spy)
    assert init_study.training("tanh", seed=2) == "the curves"
    (call,) = spy.calls
    sizes = (64, 100, 100, 100, 100, 10)
    assert call.arch.sizes == sizes and call.arch.activation == "tanh"
    assert (call.iterations, call.batch_size, call.seed, call.keep) == (300, 128, 2, 1)
    assert [(opt.name, opt.hyperparams["lr"]) for opt in call.optimizers] == [("sgd", 0.01)] * 4
    n_in = sizes[:-1]
    stds = {"1": [1.0] * 5, "0.01": [0.01] * 5, "xavier": [math.sqrt(1 / n) for n in n_in],
            "he": [math.sqrt(2 / n) for n in n_in]}
    assert init_study.SCALES == ("1", "0.01", "xavier", "he")
    for row, scale in zip(call.theta0, init_study.SCALES):  # the same N(0, 1) draws of the seed, scaled
        Ws = hand_draws(sizes, np.random.default_rng(2), stds[scale])
        np.testing.assert_allclose(row, hand_theta(sizes, Ws), rtol=1e-13, atol=0)


def test_sigma_one_blows_up_and_the_others_do_not(init_training):
    assert init_training.loss.shape == (4, 300)
    assert init_training.diverged_at[0] >= 0
    assert (init_training.diverged_at[1:] == -1).all()
    assert np.isnan(init_training.loss[0, init_training.diverged_at[0] + 1:]).all()
    assert init_training.weights.shape == (4, 2, 0)  # the curves only


def test_a_tiny_sigma_predicts_uniform_probabilities_loss_ln_10(init_training):
    # near-zero weights: the scores are ≈ 0, softmax gives 1/10 to every class, the loss is −ln(1/10) = ln 10
    assert np.all(np.abs(init_training.loss[1, -50:] - math.log(10)) < 1e-2)


def test_he_ends_below_xavier(init_training):
    he, xavier = init_training.loss[3, -50:].mean(), init_training.loss[2, -50:].mean()
    assert he < xavier
    assert xavier < math.log(10) - 0.1  # and Xavier does learn
