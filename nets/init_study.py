"""The book's experiment on the initial weights (ch. 6.2, ``ch06/weight_init_activation_histogram.py``).

1000 inputs x ~ N(0, 1)^100 go through 5 layers of 100 units with no bias,

    a_k = h(a_{k−1} W_k),   W_k ~ N(0, σ²),

and each layer's activations are counted in 30 bins over (0, 1), as the book draws them.  With σ = 1 and the
sigmoid they pile up at 0 and 1 (the gradient vanishes there); with σ = 0.01 they collapse near 0.5 (every unit
says the same: the network loses its expressiveness); Xavier's σ = √(1/n) keeps them spread for sigmoid and tanh,
He's σ = √(2/n) for ReLU (Figs. 6-10, 6-11, 6-13, 6-14).

``training`` then trains the digits with each of the four scales (Fig. 6-15): σ = 0.01 does not learn at all, Xavier
learns, He learns fastest with ReLU, and σ = 1 blows up.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import data as datasets
from . import network, train
from .layers import ACTIVATIONS
from .network import init_std

SCALES = ("1", "0.01", "xavier", "he")  # the book's four settings, as the page names them
SAMPLES, UNITS, LAYERS, BINS = 1000, 100, 5, 30


class Histograms(NamedTuple):
    """counts (layers, bins): how many of the samples × units activations of each layer fall in each bin of
    ``edges`` (bins + 1,) over (0, 1); ``outside`` (layers,): how many fell outside it (ReLU's above 1, tanh's
    below 0); ``std`` (layers,): each layer's standard deviation of the activations."""

    counts: np.ndarray
    edges: np.ndarray
    outside: np.ndarray
    std: np.ndarray


def activations(scale, activation: str, *, samples=SAMPLES, units=UNITS, layers=LAYERS, seed=0) -> list:
    """Each layer's activations (samples, units) for weights of ``scale`` ("1", "0.01", "xavier", "he" or a σ)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation {activation!r} must be one of {', '.join(ACTIVATIONS)}")
    std = init_std(_scale(scale))(units)
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((samples, units))
    result = []
    for _ in range(layers):
        a = ACTIVATIONS[activation]().forward(a @ (rng.standard_normal((units, units)) * std))
        result.append(a)
    return result


def histograms(scale, activation: str, *, bins=BINS, seed=0) -> Histograms:
    """The book's histograms of ``activations``: 30 bins over (0, 1) per layer."""
    layers = activations(scale, activation, seed=seed)
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts = np.array([np.histogram(a, bins=edges)[0] for a in layers])
    outside = np.array([a.size for a in layers]) - counts.sum(axis=1)
    return Histograms(counts, edges, outside, np.array([a.std() for a in layers]))


# Fig. 6-15: the book trains MNIST with a 5-layer network of 100 ReLU units (MultiLayerNet(784, [100] * 4, 10)), SGD
# lr 0.01, batch 128, 2000 iterations.  Here: the 8×8 digits, the same network, SGD and batch; 300 iterations (the
# digits are easier, and the view must answer in about a second).
TRAINING = dict(hidden=(100, 100, 100, 100), lr=0.01, batch=128, iterations=300)


def training(activation: str = "relu", *, seed: int = 0, progress=None) -> train.Training:
    """The digits trained with each of SCALES as the initial weights (the runs in that order): the same minibatches,
    the same standard-normal draws scaled differently; SGD at the book's lr.  Only the curves are returned."""
    from optim_core.runner import make

    data = datasets.load("digits", seed=seed)
    arch = network.Architecture((data.input_dim, *TRAINING["hidden"], data.classes), activation).check()
    theta0 = np.stack([network.init_params(arch, seed, _scale(scale)) for scale in SCALES])
    sgd = make("sgd", lr=TRAINING["lr"])
    return train.train(arch, data, [sgd] * len(SCALES), iterations=TRAINING["iterations"],
                       batch_size=TRAINING["batch"], seed=seed, theta0=theta0, keep=1, progress=progress).curves_only()


def _scale(scale: str):
    return scale if scale in ("xavier", "he") else float(scale)
