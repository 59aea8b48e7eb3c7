"""The book's Batch Normalization experiment (ch. 6.3.2, ``ch06/batch_norm_test.py``, Figs. 6-18 and 6-19).

The same network trained with and without Batch Norm, from the same initial weights W ~ N(0, σ²), for a range of
weight scales σ; the training accuracy is measured after every epoch.  The book: MNIST, 1000 training images, a
6-layer network of 100 ReLU units (hidden_size_list=[100] * 5), SGD lr 0.01, batch 100, 20 epochs, 16 scales
σ = logspace(0, −4, 16).  It shows Batch Norm learning faster at almost every scale and learning at scales where the
plain network does not learn at all.

Here, so that the view answers in about two seconds on two cores: the 8×8 digits, 1000 training images, 4 hidden
layers of 50 ReLU units, SGD lr 0.01, batch 100, 20 epochs, 8 scales σ = logspace(0, −4, 8).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import data as datasets
from . import network, train

SETTING = dict(examples=1000, hidden=(50, 50, 50, 50), lr=0.01, batch=100, epochs=20)
SCALES = np.logspace(0, -4, 8)


class Comparison(NamedTuple):
    """scales (S,); epochs (E/2 + 1,) 0, 2, … E; with_bn, without_bn (S, E/2 + 1): the training accuracy every two epochs
    (evaluation mode: Batch Norm with its running statistics)."""

    scales: np.ndarray
    epochs: np.ndarray
    with_bn: np.ndarray
    without_bn: np.ndarray


def compare(*, seed: int = 0, activation: str = "relu", progress=None) -> Comparison:
    """Train the network at every scale of SCALES, with and without Batch Norm: the same σ · N(0, 1) draws, the same
    minibatches.  ``progress(fraction)`` as the trainer's."""
    from optim_core.runner import make

    data = datasets.head(datasets.load("digits", seed=seed), SETTING["examples"])
    per_epoch = SETTING["examples"] // SETTING["batch"]
    results = {}
    for part, batchnorm in enumerate((True, False)):
        arch = network.Architecture((data.input_dim, *SETTING["hidden"], data.classes), activation, batchnorm).check()
        theta0 = np.stack([network.init_params(arch, seed, float(scale)) for scale in SCALES])
        report = None if progress is None else (lambda done, part=part: progress((part + done) / 2))
        training = train.train(arch, data, [make("sgd", lr=SETTING["lr"])] * len(SCALES),
                               iterations=SETTING["epochs"] * per_epoch, batch_size=SETTING["batch"], seed=seed,
                               theta0=theta0, keep=SETTING["epochs"] // 2, progress=report)
        results[batchnorm] = training.train_accuracy
    return Comparison(SCALES.copy(), np.arange(0, SETTING["epochs"] + 1, 2), results[True], results[False])
