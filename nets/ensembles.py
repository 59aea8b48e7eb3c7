"""Model ensembles (cs231n "Neural Networks 3", *Evaluation: model ensembles*): averaging the predictions of several
models gains a few percent, more with more members (with diminishing returns), more the more the members differ.
The notes' four ways to build one, each measured on the held-out split:

    "inits"        the same model trained from different initialisations (the only difference: θ₀)
    "search"       the best models of a hyperparameter search (``nets.search``)
    "checkpoints"  the weights of one run at several checkpoints near its end
    "average"      the running average of one run's parameters: θ̄_k = mean of its last k checkpoints' weights (one
                   model, not an average of predictions: the notes' "a smoothed version of the weights")

The ensemble of k members predicts p̄ = (1/k) Σ_i softmax(scores_i) and takes argmax p̄.

The base training here: 200 of the 8×8 digits' training images (few, so that the members differ), 2 hidden layers
of 100 ReLU units, SGD with Momentum (lr 0.01, μ 0.9), batch 100, 200 iterations (100 epochs), weights kept every 20
iterations; every ensemble is measured on the lab's validation split (359 images).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import data as datasets
from . import network, train

KINDS = ("inits", "search", "checkpoints", "average")
SETTING = dict(examples=200, hidden=(100, 100), lr=0.01, momentum=0.9, batch=100, iterations=200, keep=10)
MEMBERS_RANGE = (2, 10)  # "checkpoints" and "average" use the last K of the SETTING["keep"] + 1 kept weights


class Growth(NamedTuple):
    """members (K,): each member's own accuracy, in the order they join; ensemble (K,): the accuracy of the first
    k members together, k = 1 … K."""

    members: np.ndarray
    ensemble: np.ndarray


def grow(probabilities: np.ndarray, labels: np.ndarray) -> Growth:
    """From each member's class probabilities (K, B, C) on the examples with ``labels`` (B,)."""
    members = np.mean(np.argmax(probabilities, axis=-1) == labels, axis=-1)
    running = np.cumsum(probabilities, axis=0)  # Σ of the first k members; argmax of the mean is that of the sum
    return Growth(members, np.mean(np.argmax(running, axis=-1) == labels, axis=-1))


def of_weights(arch, weights, x, labels) -> Growth:
    """An ensemble of the networks with ``weights`` (K, n), on (x, labels)."""
    return grow(network.predict_proba_chunked(arch, weights, x).astype(np.float64), labels)


def of_average(arch, weights, x, labels) -> Growth:
    """members: each weight vector (K, n) alone; ensemble[k − 1]: the network whose weights are the mean of the first
    k vectors."""
    averages = np.cumsum(np.asarray(weights, dtype=np.float64), axis=0) / np.arange(1, len(weights) + 1)[:, None]
    accuracy = lambda w: np.mean(np.argmax(network.predict_proba_chunked(arch, w, x), axis=-1) == labels, axis=-1)
    return Growth(accuracy(weights), accuracy(averages))


def base_training(data: datasets.Dataset, members: int, *, seed: int = 0, progress=None) -> train.Training:
    """``members`` runs of Momentum on the first SETTING["examples"] training examples of ``data`` that differ only
    in their initial weights (He, seeded per member; the same minibatches)."""
    from optim_core.runner import make

    data = datasets.head(data, SETTING["examples"])
    arch = network.Architecture((data.input_dim, *SETTING["hidden"], data.classes), "relu").check()
    theta0 = np.stack([network.init_params(arch, np.random.default_rng([seed, 4, k]), "he") for k in range(members)])
    momentum = make("momentum", lr=SETTING["lr"], mu=SETTING["momentum"])
    return train.train(arch, data, [momentum] * members, iterations=SETTING["iterations"], batch_size=SETTING["batch"],
                       seed=seed, theta0=theta0, keep=SETTING["keep"], progress=progress)


def build(kind: str, data: datasets.Dataset, members: int, base: train.Training, search=None) -> Growth:
    """The ensemble of ``kind`` with ``members`` members, measured on ``data``'s validation split: "inits" from the
    base training's final weights, "checkpoints" and "average" from its first run's last ``members`` checkpoints
    (the final one first), "search" from ``search``'s best trials (a ``nets.search.Search``)."""
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} must be one of {', '.join(KINDS)}")
    if isinstance(members, bool) or not isinstance(members, (int, np.integer)) or \
            not MEMBERS_RANGE[0] <= members <= MEMBERS_RANGE[1]:
        raise ValueError(f"members = {members!r} must be {MEMBERS_RANGE[0]} to {MEMBERS_RANGE[1]}")
    x, labels = data.x_val, data.y_val
    if kind == "inits":
        return of_weights(base.arch, base.weights[:members, -1], x, labels)
    if kind == "search":
        return of_weights(search.arch, search.weights[search.ranking()[:members]], x, labels)
    late = base.weights[0, ::-1][:members]
    return (of_weights if kind == "checkpoints" else of_average)(base.arch, late, x, labels)
