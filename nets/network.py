"""A multi-layer perceptron whose parameters are one flat vector theta of shape (..., n).

    Affine → activation → … → Affine → SoftmaxWithLoss

as the book's ``MultiLayerNet`` (*Deep Learning from Scratch*, ``common/multi_layer_net.py``),
without weight decay.  The flat layout is

    theta = [W1 row-major (in·out), b1, W2, b2, …]

and every leading axis of theta is a copy of the network (a batch of runs, a grid on a loss
landscape), computed in the same NumPy calls.  ``unflatten`` hands out views, so the gradient is
written layer by layer straight into one array of theta's shape.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from .layers import ACTIVATIONS, Affine, SoftmaxWithLoss, softmax

# Valid ranges (inclusive) checked by Architecture.check.
HIDDEN_LAYERS = (1, 5)
HIDDEN_UNITS = (2, 200)
INPUTS = (1, 4096)
CLASSES = (2, 100)


class Architecture(NamedTuple):
    """sizes = (inputs, hidden units…, classes), e.g. (2, 100, 3); the activation between layers."""

    sizes: tuple
    activation: str = "relu"

    @property
    def shapes(self) -> list:
        """[(W shape, b shape)] per affine layer: ((in, out), (out,))."""
        return [((n_in, n_out), (n_out,)) for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]

    @property
    def n_params(self) -> int:
        """n = Σ_layers (in·out + out)."""
        return sum(n_in * n_out + n_out for (n_in, n_out), _ in self.shapes)

    @property
    def layer_names(self) -> tuple:
        """("W1", "b1", "W2", "b2", …), the order of the flat layout."""
        return tuple(f"{kind}{i}" for i in range(1, len(self.sizes)) for kind in "Wb")

    def check(self) -> "Architecture":
        """Raise ValueError naming the field and its valid range; return self when valid."""
        sizes = tuple(self.sizes)
        if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in sizes):
            raise ValueError(f"sizes must be integers (inputs, hidden units…, classes), got {self.sizes!r}")
        _check_range("sizes: the number of hidden layers", len(sizes) - 2, HIDDEN_LAYERS)
        _check_range("sizes[0] (inputs)", sizes[0], INPUTS)
        for i, units in enumerate(sizes[1:-1], start=1):
            _check_range(f"sizes[{i}] (units of hidden layer {i})", units, HIDDEN_UNITS)
        _check_range(f"sizes[{len(sizes) - 1}] (classes)", sizes[-1], CLASSES)
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation {self.activation!r} must be one of {', '.join(ACTIVATIONS)}")
        return self


def _check_range(field, value, valid):
    """ValueError "<field> = <value> must be <low>–<high>" unless low ≤ value ≤ high."""
    low, high = valid
    if not low <= value <= high:
        raise ValueError(f"{field} = {value} must be {low}–{high}")


ACTIVATION_BYTES = 32e6  # what one batched call's activations may take (float64, every layer kept for backward)


def chunk_size(arch: Architecture, examples: int) -> int:
    """How many weight vectors one call may take for ``examples`` inputs so that its activations (examples × the
    widest layer × the layers, float64) stay under ACTIVATION_BYTES: at least 1."""
    per_vector = 8.0 * examples * max(arch.sizes[1:]) * (len(arch.sizes) - 1)
    return max(1, int(ACTIVATION_BYTES // per_vector))


# --- the flat layout ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _slices(sizes: tuple) -> dict:
    """W_i takes in·out entries, then b_i out entries, layer after layer."""
    slices, start = {}, 0
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        slices[f"W{i}"] = slice(start, start + n_in * n_out)
        slices[f"b{i}"] = slice(start + n_in * n_out, start + n_in * n_out + n_out)
        start += n_in * n_out + n_out
    return slices


def layer_slices(arch: Architecture) -> dict:
    """{"W1": slice, "b1": slice, …}: where each layer's parameters sit in theta's last axis."""
    return dict(_slices(tuple(arch.sizes)))


def unflatten(arch: Architecture, theta) -> list:
    """[(W, b)] per layer, VIEWS of theta (..., n): W (..., in, out), b (..., out).

    Writing into a W writes into theta.  (Splitting theta's last axis never needs a copy, so the
    views hold for any strides; a list or another non-array is first made an array.)
    """
    theta = np.asarray(theta)
    if theta.ndim == 0 or theta.shape[-1] != arch.n_params:
        raise ValueError(f"theta has shape {theta.shape}, its last axis must be n_params = {arch.n_params}")
    slices, batch = _slices(tuple(arch.sizes)), theta.shape[:-1]
    return [(theta[..., slices[f"W{i}"]].reshape(batch + w_shape), theta[..., slices[f"b{i}"]])
            for i, (w_shape, _) in enumerate(arch.shapes, start=1)]


def flatten(arch: Architecture, params) -> np.ndarray:
    """The inverse of ``unflatten``: [(W (..., in, out), b (..., out))] → theta (..., n), float64."""
    batch = np.broadcast_shapes(*(np.shape(W)[:-2] for W, _ in params), *(np.shape(b)[:-1] for _, b in params))
    theta = np.empty(batch + (arch.n_params,))
    for (W_slot, b_slot), (W, b) in zip(unflatten(arch, theta), params, strict=True):
        W_slot[...] = W
        b_slot[...] = b
    return theta


def init_params(arch: Architecture, rng, scale="he") -> np.ndarray:
    """theta (n,) float64 with W ~ N(0, σ²) and b = 0, as the book's MultiLayerNet.

        scale "he":     σ = √(2 / n_in)   (for ReLU)
        scale "xavier": σ = √(1 / n_in)   (for sigmoid, tanh)
        scale σ > 0:    σ itself          (the book's weight_init_std)

    rng: a np.random.Generator or a seed.
    """
    std_of = init_std(scale)
    rng = np.random.default_rng(rng)
    theta = np.zeros(arch.n_params)
    for W, _ in unflatten(arch, theta):
        W[...] = rng.standard_normal(W.shape) * std_of(W.shape[0])
    return theta


def init_std(scale):
    """n_in → σ for an init scale, or ValueError naming ``scale``."""
    if isinstance(scale, str):
        if scale == "he":
            return lambda n_in: math.sqrt(2.0 / n_in)
        if scale == "xavier":
            return lambda n_in: math.sqrt(1.0 / n_in)
    elif isinstance(scale, (int, float, np.floating, np.integer)) and not isinstance(scale, bool):
        if math.isfinite(scale) and scale > 0:
            return lambda n_in: float(scale)
    raise ValueError(f'scale {scale!r} must be "he", "xavier" or a positive number σ')


# --- the network ----------------------------------------------------------------------------------


class Network:
    """The layers of ``arch`` on the weights of theta (..., n) (views, not copies).

    ``layers`` = [Affine, activation, Affine, …, Affine]; ``last_layer`` = SoftmaxWithLoss.
    The activations work in place: each overwrites the fresh output of the Affine before it (and,
    going back, the fresh ∂L/∂y of the Affine after it), which saves memory traffic.
    x is (B, in), shared by every copy, or (..., B, in); labels are class indices (B,).
    """

    def __init__(self, arch: Architecture, theta):
        if arch.activation not in ACTIVATIONS:
            raise ValueError(f"activation {arch.activation!r} must be one of {', '.join(ACTIVATIONS)}")
        self.arch = arch
        self.theta = np.asarray(theta, dtype=np.float64)
        self.layers = []
        for i, (W, b) in enumerate(unflatten(arch, self.theta)):
            if i > 0:
                self.layers.append(ACTIVATIONS[arch.activation](in_place=True))
            self.layers.append(Affine(W, b, need_dx=i > 0))
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        """scores (..., B, K) of the inputs x."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim < 2 or x.shape[-1] != self.arch.sizes[0]:
            raise ValueError(f"x has shape {x.shape}, expected (..., B, {self.arch.sizes[0]})")
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x, labels):
        """L = mean over the B examples of −log softmax(scores)[label], shape (...,)."""
        scores = self.predict(x)
        return self.last_layer.forward(scores, _check_labels(labels, scores.shape))

    def gradient(self, x, labels):
        """(L (...,), ∇L (theta's shape)) by backpropagation.

        The gradient of each copy is that of its own loss; if x has batch axes that theta lacks,
        the gradient is that of the sum of the losses over those axes.
        """
        loss = self.loss(x, labels)
        dout = self.last_layer.backward(1.0)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        grad = np.empty(self.theta.shape)
        affines = self.layers[::2]  # layers alternate Affine, activation, …, Affine
        for (dW, db), affine in zip(unflatten(self.arch, grad), affines, strict=True):
            dW[...] = affine.dW
            db[...] = affine.db
        return loss, grad


def _check_labels(labels, scores_shape):
    """labels as an int array (B,) with 0 ≤ label < K, or ValueError."""
    labels = np.asarray(labels)
    n_examples, n_classes = scores_shape[-2:]
    if labels.shape != (n_examples,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be {n_examples} integer class indices, got {labels.dtype} {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0…{n_classes - 1}")
    return labels


# --- for callers ----------------------------------------------------------------------------------


def loss(arch: Architecture, theta, x, labels) -> np.ndarray:
    """Mean softmax cross-entropy over the examples, one a copy of the weights: (...,)."""
    return Network(arch, theta).loss(x, labels)


def loss_and_grad(arch: Architecture, theta, x, labels):
    """(loss (...,), grad of theta's shape (..., n)) in the flat layout."""
    return Network(arch, theta).gradient(x, labels)


def predict_proba(arch: Architecture, theta, x) -> np.ndarray:
    """softmax(scores): class probabilities (..., B, K)."""
    return softmax(Network(arch, theta).predict(x))


def predict_proba_chunked(arch: Architecture, weights, x) -> np.ndarray:
    """``predict_proba`` of many weight vectors (..., n) on x (B, in), a few vectors a call (``chunk_size``: bounded
    memory), as float32 (..., B, K)."""
    weights = np.asarray(weights)
    flat = weights.reshape(-1, weights.shape[-1])
    step = chunk_size(arch, len(x))
    parts = [predict_proba(arch, flat[lo:lo + step].astype(np.float64), x).astype(np.float32)
             for lo in range(0, len(flat), step)]
    return np.concatenate(parts).reshape(weights.shape[:-1] + parts[0].shape[-2:])


def accuracy(arch: Architecture, theta, x, labels) -> np.ndarray:
    """Fraction of the examples whose highest score is their label: (...,)."""
    scores = Network(arch, theta).predict(x)
    labels = _check_labels(labels, scores.shape)
    return (scores.argmax(axis=-1) == labels).mean(axis=-1)
