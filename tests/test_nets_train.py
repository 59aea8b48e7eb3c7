"""The trainer (``nets.train``): the rules of optim_core on a network's flat weights, the book's protocol.

The references are the book's own optimizer classes (*Deep Learning from Scratch*, ``common/optimizer.py``),
written out again below in the book's words, run on the same minibatches from the same initial weights.
"""

import math

import numpy as np
import pytest

import optim_core
from nets import data, network, train

SPIRAL = data.load("spiral", points_per_class=60)
ARCH = network.Architecture((2, 16, 3))


# --- the book's classes (common/optimizer.py), for a flat parameter vector -----------------------------------


class BookSGD:
    def __init__(self, lr):
        self.lr = lr

    def update(self, param, grad):
        param -= self.lr * grad


class BookMomentum:
    def __init__(self, lr, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, param, grad):
        if self.v is None:
            self.v = np.zeros_like(param)
        self.v = self.momentum * self.v - self.lr * grad
        param += self.v


class BookAdaGrad:
    def __init__(self, lr):
        self.lr, self.h = lr, None

    def update(self, param, grad):
        if self.h is None:
            self.h = np.zeros_like(param)
        self.h += grad * grad
        param -= self.lr * grad / (np.sqrt(self.h) + 1e-7)


class BookAdam:
    def __init__(self, lr, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2, self.iter, self.m, self.v = lr, beta1, beta2, 0, None, None

    def update(self, param, grad):
        if self.m is None:
            self.m, self.v = np.zeros_like(param), np.zeros_like(param)
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        self.m += (1 - self.beta1) * (grad - self.m)
        self.v += (1 - self.beta2) * (grad ** 2 - self.v)
        param -= lr_t * self.m / (np.sqrt(self.v) + 1e-7)


def book_training(book_optimizer, iterations, batch_size, seed):
    """The book's loop (ch06/optimizer_compare_mnist.py): draw a batch, take the gradient, update."""
    rng = np.random.default_rng(seed)
    theta = network.init_params(ARCH, rng, "he")
    batches = train.minibatches(rng, len(SPIRAL.y_train), batch_size, iterations)
    kept, losses = [theta.copy()], []
    for t in range(iterations):
        x, labels = SPIRAL.x_train[batches[t]], SPIRAL.y_train[batches[t]]
        loss, grad = network.loss_and_grad(ARCH, theta, x, labels)
        losses.append(loss)
        book_optimizer.update(theta, grad)
        kept.append(theta.copy())
    return np.array(kept), np.array(losses)


@pytest.mark.parametrize("optimizer, book", [
    (optim_core.make("sgd", lr=0.1), BookSGD(0.1)),
    (optim_core.make("momentum", lr=0.05, mu=0.9), BookMomentum(0.05, 0.9)),
    (optim_core.make("adagrad", lr=0.1, eps=1e-7), BookAdaGrad(0.1)),
    (optim_core.make("adam", lr=0.01, eps=1e-7, eps_placement="book"), BookAdam(0.01)),
])
def test_each_rule_trains_as_the_books_class(optimizer, book):
    trained = train.train(ARCH, SPIRAL, [optimizer], iterations=40, batch_size=32, seed=3)
    kept, losses = book_training(book, 40, 32, 3)
    assert trained.checkpoints.tolist() == list(range(41))
    np.testing.assert_allclose(trained.weights[0], kept, rtol=1e-5, atol=1e-6)  # the kept weights are float32
    np.testing.assert_allclose(trained.loss[0], losses, rtol=1e-12)


def test_runs_side_by_side_equal_runs_alone():
    sgd, adam = optim_core.make("sgd", lr=0.1), optim_core.make("adam", lr=0.01)
    nesterov = optim_core.make("nesterov", lr=0.05, mu=0.9)
    together = train.train(ARCH, SPIRAL, [sgd, adam, nesterov], iterations=25, batch_size=20, seed=1)
    for row, optimizer in enumerate((sgd, adam, nesterov)):
        alone = train.train(ARCH, SPIRAL, [optimizer], iterations=25, batch_size=20, seed=1)
        np.testing.assert_allclose(together.weights[row], alone.weights[0], rtol=1e-12, atol=0)
        np.testing.assert_allclose(together.loss[row], alone.loss[0], rtol=1e-12)
        np.testing.assert_allclose(together.val_accuracy[row], alone.val_accuracy[0])


def test_every_run_starts_from_the_same_weights_and_sees_the_same_batches():
    runs = [optim_core.make("sgd", lr=0.1), optim_core.make("momentum", lr=0.1)]
    trained = train.train(ARCH, SPIRAL, runs, iterations=10, batch_size=16, seed=7)
    np.testing.assert_array_equal(trained.weights[0, 0], trained.weights[1, 0])
    assert trained.loss[0, 0] == trained.loss[1, 0]  # the first batch's loss at θ₀, for both
    # SGD and Momentum take the same first step (v₁ = −η g₀): the second iteration's loss agrees too
    assert trained.loss[0, 1] == pytest.approx(trained.loss[1, 1], rel=1e-12)


def test_the_same_seed_gives_the_same_curves_and_another_seed_does_not():
    runs = [optim_core.make("adam", lr=0.01)]
    one, two = (train.train(ARCH, SPIRAL, runs, iterations=30, batch_size=16, seed=5) for _ in range(2))
    np.testing.assert_array_equal(one.loss, two.loss)
    other = train.train(ARCH, SPIRAL, runs, iterations=30, batch_size=16, seed=6)
    assert not np.allclose(one.loss, other.loss)


def test_nesterov_curve_shows_the_loss_at_the_weights_not_at_the_look_ahead_point():
    nesterov = optim_core.make("nesterov", lr=0.05, mu=0.9)
    trained = train.train(ARCH, SPIRAL, [nesterov], iterations=12, batch_size=16, seed=2)
    rng = np.random.default_rng(2)  # the trainer's draws: θ₀ first, then the minibatches
    network.init_params(ARCH, rng, "he")
    order = train.minibatches(rng, len(SPIRAL.y_train), 16, 12)
    for t in (3, 11):
        theta_t = trained.weights[0, t].astype(float)
        expected = network.loss(ARCH, theta_t, SPIRAL.x_train[order[t]], SPIRAL.y_train[order[t]])
        assert trained.loss[0, t] == pytest.approx(expected, rel=1e-5)


def test_a_schedule_changes_the_learning_rate_per_iteration():
    from optim_core import schedules
    halving = optim_core.make("sgd", lr=schedules.step_decay(0.2, 0.5, 5))
    trained = train.train(ARCH, SPIRAL, [halving], iterations=12, batch_size=16, seed=4)
    rng = np.random.default_rng(4)
    theta = network.init_params(ARCH, rng, "he")
    order = train.minibatches(rng, len(SPIRAL.y_train), 16, 12)
    for t in range(12):
        _, grad = network.loss_and_grad(ARCH, theta, SPIRAL.x_train[order[t]], SPIRAL.y_train[order[t]])
        theta = theta - 0.2 * 0.5 ** (t // 5) * grad  # 0.2 for t < 5, 0.1 for t < 10, then 0.05
    np.testing.assert_allclose(trained.weights[0, -1], theta, rtol=1e-5, atol=1e-6)


def test_lbfgs_trains_full_batch_and_its_line_search_never_raises_the_loss():
    trained = train.train(ARCH, SPIRAL, [optim_core.make("lbfgs")], iterations=30, batch_size=8, seed=0)
    assert trained.full_batch.tolist() == [True]
    full = [network.loss(ARCH, w.astype(float), SPIRAL.x_train, SPIRAL.y_train) for w in trained.weights[0]]
    np.testing.assert_allclose(trained.loss[0], full[:-1], rtol=1e-5)  # its curve is the whole set's loss
    assert all(b <= a + 1e-6 for a, b in zip(full, full[1:]))  # Armijo's sufficient decrease, every step
    assert full[-1] < 0.5 * full[0]


@pytest.mark.parametrize("name, words", [("newton", ["Hessian", "N² = 1,225", "O(N³)"]),
                                         ("bfgs", ["N × N", "N² = 1,225", "L-BFGS"])])
def test_rules_that_need_an_n_by_n_matrix_are_refused_in_the_notes_terms(name, words):
    # N = 35 weights: N² = 1,225 entries
    reason = train.refusal(optim_core.make(name), 35)
    for word in words:
        assert word in reason
    with pytest.raises(ValueError, match="N × N|Hessian"):
        train.train(ARCH, SPIRAL, [optim_core.make(name)], iterations=2, batch_size=8)


def test_a_diverging_run_is_held_and_says_when():
    runs = [optim_core.make("sgd", lr=1e7), optim_core.make("sgd", lr=0.1)]
    trained = train.train(ARCH, SPIRAL, runs, iterations=20, batch_size=16, seed=0)
    k = trained.diverged_at[0]
    assert 0 <= k < 5 and trained.diverged_at[1] == -1
    assert np.isnan(trained.loss[0, k + 1:]).all() and np.isfinite(trained.loss[1]).all()
    assert np.isfinite(trained.weights[0]).all()  # held at its last finite weights


def test_minibatches_are_distinct_examples_of_the_training_set():
    batches = train.minibatches(np.random.default_rng(0), 50, 16, 200)
    assert batches.shape == (200, 16)
    assert all(len(set(row)) == 16 for row in batches.tolist())
    assert batches.min() >= 0 and batches.max() < 50
    counts = np.bincount(batches.ravel(), minlength=50)  # 3200 draws of 50 examples: each about 64 times
    assert counts.min() > 30 and counts.max() < 100
    assert train.minibatches(np.random.default_rng(0), 10, 50, 3).tolist() == [list(range(10))] * 3


def test_checkpoints_keep_the_first_and_last_iteration_and_at_most_the_bound():
    assert train.checkpoint_iterations(7).tolist() == list(range(8))
    kept = train.checkpoint_iterations(1000, 100)
    assert kept[0] == 0 and kept[-1] == 1000 and len(kept) == 101 and (np.diff(kept) == 10).all()


def test_the_kept_metrics_are_the_networks_accuracy_and_loss():
    trained = train.train(ARCH, SPIRAL, [optim_core.make("adam", lr=0.01)], iterations=30, batch_size=16)
    weights = trained.weights[0, -1].astype(float)
    assert trained.val_accuracy[0, -1] == pytest.approx(network.accuracy(ARCH, weights, SPIRAL.x_val, SPIRAL.y_val))
    assert trained.train_loss[0, -1] == pytest.approx(network.loss(ARCH, weights, SPIRAL.x_train, SPIRAL.y_train),
                                                      rel=1e-9)


def test_settings_out_of_range_name_the_field():
    adam = [optim_core.make("adam")]
    with pytest.raises(ValueError, match="iterations = 0 .*1 to 5000"):
        train.train(ARCH, SPIRAL, adam, iterations=0)
    with pytest.raises(ValueError, match="batch_size = 5001"):
        train.train(ARCH, SPIRAL, adam, batch_size=5001)
    with pytest.raises(ValueError, match="optimizers is empty"):
        train.train(ARCH, SPIRAL, [], iterations=1)


def test_the_work_a_page_may_ask_for_is_bounded():
    digits = data.load("digits")
    n_train = len(digits.y_train)  # 1438
    book = network.Architecture((64, 100, 100, 100, 100, 10))  # the book's Fig. 6-9 on the digits: allowed
    n = book.n_params  # 64·100+100 + 3·(100·100+100) + 100·10+10 = 37,810
    assert n == 37_810
    four = [optim_core.make(name) for name in ("sgd", "momentum", "adagrad", "adam")]
    kept = train.kept_checkpoints(book, 4)  # 32e6 / (4 · 37,810 · 4) = 52.9 → 52
    assert kept == 52
    # 6 per weight and example seen (4 runs × 1000 × 128) + 2 per weight and example measured (4 runs × 53
    # checkpoints × both splits, each within EVAL_EXAMPLES)
    by_hand = 6.0 * n * 1000 * 4 * 128 + 2.0 * n * 4 * 53 * 2 * n_train
    assert train.work(book, four, 1000, 128, n_train) == pytest.approx(by_hand)
    train.check_settings(book, four, 1000, 128, n_train)
    # a line search sees the whole training set SEARCH_EVALUATIONS (4) times an iteration
    lbfgs = [optim_core.make("lbfgs")]
    assert train.work(book, lbfgs, 10, 128, n_train) == pytest.approx(
        6.0 * n * 10 * 4 * n_train + 2.0 * n * 11 * 2 * n_train)
    big = network.Architecture((64, 200, 200, 200, 200, 200, 10))
    with pytest.raises(ValueError, match="too large.*lower the iterations"):
        train.check_settings(big, [optim_core.make("adam")] * 8, 5000, 2000, n_train)


def test_a_big_network_keeps_fewer_checkpoints_so_its_weights_stay_bounded():
    big = network.Architecture((64, 200, 200, 200, 200, 200, 10))
    kept = train.kept_checkpoints(big, 8)
    assert kept < train.MAX_CHECKPOINTS and 4 * big.n_params * 8 * kept <= train.WEIGHTS_BYTES
    assert train.kept_checkpoints(ARCH, 5) == train.MAX_CHECKPOINTS
    assert math.isclose(train.WEIGHTS_BYTES, 32e6)


ELEMENTWISE = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "nadam", "amsgrad", "adamw", "adadelta")


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_a_rule_on_n_coordinates_gives_per_coordinate_what_it_gives_on_pairs(name):
    """The same rule, the same gradients: one (..., 6) array against three (..., 2) ones, ten updates."""
    rng = np.random.default_rng(1)
    optimizer = optim_core.make(name)
    rule, hp = optimizer.rule, dict(optimizer.hyperparams)
    x_wide = rng.normal(size=(4, 6))
    x_pairs = x_wide.reshape(4, 3, 2).copy()
    state_wide, state_pairs = rule.init(x_wide), rule.init(x_pairs)
    for t in range(1, 11):
        g_wide = rng.normal(size=(4, 6))
        point = rule.grad_point
        delta_wide, state_wide, _ = rule.update(g_wide, state_wide, x_wide, t, hp)
        delta_pairs, state_pairs, _ = rule.update(g_wide.reshape(4, 3, 2), state_pairs, x_pairs, t, hp)
        x_wide, x_pairs = x_wide + delta_wide, x_pairs + delta_pairs
        assert point is None or point(x_wide, state_wide, hp).shape == x_wide.shape
        np.testing.assert_array_equal(x_wide.reshape(4, 3, 2), x_pairs)
