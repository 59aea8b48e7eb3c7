"""Hyperparameter search on validation data (the book's ch. 6.5, ``ch06/hyperparameter_optimization.py``; cs231n's
"coarse to fine" search; Fig. 6-24).

Step 0, set a range; step 1, sample at random, on a log scale (the learning rate and the weight decay act
multiplicatively on the training):

    lr = 10^uniform(lr_low, lr_high),   λ = 10^uniform(λ_low, λ_high)        (the book: (−6, −2) and (−8, −4))

step 2, train briefly and rank by the accuracy on the VALIDATION data (carved out of the training data: the test
split is never seen: it would be tuned to); step 3, narrow the range around the best and search again.  If the best
lies at the edge of a range, the range was probably wrong: widen it (cs231n).

The book: 500 MNIST training images, 20 % of them for validation, a 7-layer network of 100 ReLU units, SGD, batch
100, 50 epochs, 100 trials.  Here: 500 of the 8×8 digits' training images (100 of them for validation), 2 hidden
layers of 100 ReLU units, SGD, batch 100, 25 epochs, 20 trials by default: every trial in one batched training.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import data as datasets
from . import network, train

SETTING = dict(examples=500, validation=100, hidden=(100, 100), batch=100, epochs=25)
BOOK_LR_RANGE = (-6.0, -2.0)
BOOK_DECAY_RANGE = (-8.0, -4.0)
EXPONENT_RANGE = (-10.0, 1.0)  # the ranges a page may ask for, as powers of ten
TRIALS_RANGE = (2, 60)
EDGE = 0.1  # the best lies "on the edge" within this share of its range from either end


class Search(NamedTuple):
    """T trials.  lr, weight_decay (T,); epochs (C,); train_accuracy, val_accuracy (T, C) per kept epoch; final
    weights (T, n) float32 (an ensemble of the best); the ranges searched (powers of ten) and the architecture."""

    lr: np.ndarray
    weight_decay: np.ndarray
    epochs: np.ndarray
    train_accuracy: np.ndarray
    val_accuracy: np.ndarray
    weights: np.ndarray
    lr_range: tuple
    decay_range: tuple
    arch: network.Architecture
    # (T,) bool: the trial's training diverged (its curves then end on its last finite weights)
    diverged: np.ndarray | None = None

    def ranking(self) -> np.ndarray:
        """The trials from the best final validation accuracy to the worst (a diverged one after all the others)."""
        final = np.nan_to_num(self.val_accuracy[:, -1], nan=-1.0)
        if self.diverged is not None:
            final = np.where(self.diverged, -2.0 + final / 10, final)
        return np.argsort(-final, kind="stable")


def check_range(name: str, bounds) -> tuple:
    """(low, high) as floats with low < high inside EXPONENT_RANGE, or ValueError naming ``name``."""
    low, high = (float(b) for b in bounds)
    if not (EXPONENT_RANGE[0] <= low < high <= EXPONENT_RANGE[1]):
        raise ValueError(f"{name} = ({low:g}, {high:g}) must be two powers of ten with {EXPONENT_RANGE[0]:g} ≤ low "
                         f"< high ≤ {EXPONENT_RANGE[1]:g}")
    return low, high


def sample(trials: int, lr_range, decay_range, rng) -> tuple:
    """(lr, λ), each (T,): 10 ** uniform over each range, lr first then λ for every trial, from ``rng``."""
    exponents = np.random.default_rng(rng).uniform(size=(trials, 2))
    lr = 10.0 ** (lr_range[0] + exponents[:, 0] * (lr_range[1] - lr_range[0]))
    decay = 10.0 ** (decay_range[0] + exponents[:, 1] * (decay_range[1] - decay_range[0]))
    return lr, decay


def split(data: datasets.Dataset) -> datasets.Dataset:
    """The search's data: the first SETTING["examples"] TRAINING examples, the last SETTING["validation"] of them
    held out for validation.  The data set's own validation split (the test data here) is not in it."""
    train_part = SETTING["examples"] - SETTING["validation"]
    x, y = data.x_train[:SETTING["examples"]], data.y_train[:SETTING["examples"]]
    return data._replace(x_train=x[:train_part], y_train=y[:train_part], x_val=x[train_part:], y_val=y[train_part:])


def run(data: datasets.Dataset, trials: int = 20, lr_range=BOOK_LR_RANGE, decay_range=BOOK_DECAY_RANGE, *,
        seed: int = 0, progress=None) -> Search:
    """Sample ``trials`` settings and train each from its own He initial weights (seeded per trial) on ``split``'s
    training part with SGD; raises ValueError naming a value out of range."""
    from optim_core.runner import make

    if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or not TRIALS_RANGE[0] <= trials <= TRIALS_RANGE[1]:
        raise ValueError(f"trials = {trials!r} must be a whole number {TRIALS_RANGE[0]} to {TRIALS_RANGE[1]}")
    lr_range, decay_range = check_range("lr range", lr_range), check_range("weight decay range", decay_range)
    part = split(data)
    arch = network.Architecture((data.input_dim, *SETTING["hidden"], data.classes), "relu").check()
    lr, decay = sample(trials, lr_range, decay_range, np.random.default_rng([seed, 2]))
    theta0 = np.stack([network.init_params(arch, np.random.default_rng([seed, 3, k]), "he") for k in range(trials)])
    n_train = len(part.y_train)
    training = train.train(arch, part, [make("sgd", lr=float(rate)) for rate in lr],
                           iterations=SETTING["epochs"] * n_train // SETTING["batch"], batch_size=SETTING["batch"],
                           seed=seed, theta0=theta0, regulariser=train.Regulariser(weight_decay=decay),
                           keep=SETTING["epochs"], progress=progress)
    return Search(lr, decay, training.epochs(n_train), training.train_accuracy, training.val_accuracy,
                  training.weights[:, -1].copy(), lr_range, decay_range, arch, training.diverged_at >= 0)


def on_edge(search: Search) -> list:
    """[(parameter, "low" or "high")] where the best trial lies within EDGE of its range's end (log scale):
    "lr" and/or "weight_decay"."""
    best, edges = search.ranking()[0], []
    for name, values, (low, high) in (("lr", search.lr, search.lr_range),
                                      ("weight_decay", search.weight_decay, search.decay_range)):
        position = (np.log10(values[best]) - low) / (high - low)
        if position < EDGE:
            edges.append((name, "low"))
        elif position > 1 - EDGE:
            edges.append((name, "high"))
    return edges


def narrowed(search: Search, top: int = 5) -> tuple:
    """(lr range, λ range), powers of ten: the smallest ranges holding the ``top`` best trials, widened by a tenth of
    their width (at least 0.2) on each side; the next, finer search (cs231n's coarse to fine).  A best trial near an
    end of its range so takes the next search a little past it: the notes' advice to widen on that side."""
    best = search.ranking()[:top]
    ranges = []
    for values in (search.lr, search.weight_decay):
        exponents = np.log10(values[best])
        low, high = float(exponents.min()), float(exponents.max())
        margin = max(0.2, 0.1 * (high - low))
        ranges.append((round(max(EXPONENT_RANGE[0], low - margin), 1), round(min(EXPONENT_RANGE[1], high + margin), 1)))
    return tuple(ranges)
