"""A multi-layer perceptron whose parameters are one flat vector theta of shape (..., n).

    Affine → [BatchNorm] → activation → [Dropout] → … → Affine → SoftmaxWithLoss

as the book's ``MultiLayerNet`` and ``MultiLayerNetExtend`` (*Deep Learning from Scratch*,
``common/multi_layer_net*.py``), with the book's L2 weight decay.  The flat layout is

    theta = [W1 row-major (in·out), b1, (γ1, β1,) W2, b2, …]      (γ, β of each hidden layer with Batch Norm)

and a Batch-Norm network keeps its running means and variances apart from theta, in ``buffers``
(..., s) = [mean1, var1, mean2, var2, …]: they are statistics, not parameters an optimizer moves.

and every leading axis of theta is a copy of the network (a batch of runs, a grid on a loss
landscape), computed in the same NumPy calls.  ``unflatten`` hands out views, so the gradient is
written layer by layer straight into one array of theta's shape.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

from .layers import ACTIVATIONS, Affine, BatchNormalization, Dropout, SoftmaxWithLoss, softmax

# Valid ranges (inclusive) checked by Architecture.check.
HIDDEN_LAYERS = (1, 6)  # 6: the book's 7-layer network of the overfitting experiment
HIDDEN_UNITS = (2, 200)
INPUTS = (1, 4096)
CLASSES = (2, 100)


class Architecture(NamedTuple):
    """sizes = (inputs, hidden units…, classes), e.g. (2, 100, 3); the activation between layers; Batch
    Normalization after every hidden affine layer (the book's ``MultiLayerNetExtend(use_batchnorm=True)``)."""

    sizes: tuple
    activation: str = "relu"
    batchnorm: bool = False

    @property
    def shapes(self) -> list:
        """[(W shape, b shape)] per affine layer: ((in, out), (out,))."""
        return [((n_in, n_out), (n_out,)) for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]

    @property
    def param_shapes(self) -> dict:
        """{"W1": (in, out), "b1": (out,), "gamma1": (out,), "beta1": (out,), "W2": …} in the flat layout's order."""
        shapes, last = {}, len(self.sizes) - 1
        for i, (w_shape, b_shape) in enumerate(self.shapes, start=1):
            shapes[f"W{i}"], shapes[f"b{i}"] = w_shape, b_shape
            if self.batchnorm and i < last:
                shapes[f"gamma{i}"], shapes[f"beta{i}"] = b_shape, b_shape
        return shapes

    @property
    def n_params(self) -> int:
        """n = Σ_layers (in·out + out), plus 2·units per hidden layer with Batch Norm."""
        return sum(math.prod(shape) for shape in self.param_shapes.values())

    @property
    def n_buffers(self) -> int:
        """s = 2·units per hidden layer with Batch Norm (its running mean and variance), else 0."""
        return 2 * sum(self.sizes[1:-1]) if self.batchnorm else 0

    @property
    def layer_names(self) -> tuple:
        """("W1", "b1", (“gamma1”, "beta1",) "W2", …), the order of the flat layout."""
        return tuple(self.param_shapes)

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
def _slices(arch: Architecture) -> dict:
    """W_i takes in·out entries, then b_i out entries (then γ_i, β_i), layer after layer."""
    slices, start = {}, 0
    for name, shape in arch.param_shapes.items():
        slices[name] = slice(start, start + math.prod(shape))
        start += math.prod(shape)
    return slices


def layer_slices(arch: Architecture) -> dict:
    """{"W1": slice, "b1": slice, …}: where each layer's parameters sit in theta's last axis."""
    return dict(_slices(arch))


def unflatten(arch: Architecture, theta) -> list:
    """[(W, b)] per layer, VIEWS of theta (..., n): W (..., in, out), b (..., out).

    Writing into a W writes into theta.  (Splitting theta's last axis never needs a copy, so the
    views hold for any strides; a list or another non-array is first made an array.)
    """
    theta = np.asarray(theta)
    if theta.ndim == 0 or theta.shape[-1] != arch.n_params:
        raise ValueError(f"theta has shape {theta.shape}, its last axis must be n_params = {arch.n_params}")
    slices, batch = _slices(arch), theta.shape[:-1]
    return [(theta[..., slices[f"W{i}"]].reshape(batch + w_shape), theta[..., slices[f"b{i}"]])
            for i, (w_shape, _) in enumerate(arch.shapes, start=1)]


def norm_params(arch: Architecture, theta) -> list:
    """[(γ, β)] per hidden layer of a Batch-Norm network, views of theta (..., n): each (..., units); [] without."""
    theta, slices = np.asarray(theta), _slices(arch)
    return [(theta[..., slices[f"gamma{i}"]], theta[..., slices[f"beta{i}"]])
            for i in range(1, len(arch.sizes) - 1) if arch.batchnorm]


def running_stats(arch: Architecture, buffers) -> list:
    """[(running mean, running variance)] per hidden layer, views of buffers (..., s): each (..., units)."""
    buffers, start, stats = np.asarray(buffers), 0, []
    if buffers.shape[-1:] != (arch.n_buffers,):
        raise ValueError(f"buffers has shape {buffers.shape}, its last axis must be n_buffers = {arch.n_buffers}")
    for units in arch.sizes[1:-1] if arch.batchnorm else ():
        stats.append((buffers[..., start:start + units], buffers[..., start + units:start + 2 * units]))
        start += 2 * units
    return stats


def init_buffers(arch: Architecture, batch_shape=()) -> np.ndarray:
    """Running means 0 and variances 1 (torch's start; the book starts the variance at 0), shape batch + (s,)."""
    buffers = np.zeros(tuple(batch_shape) + (arch.n_buffers,))
    for _, var in running_stats(arch, buffers):
        var[...] = 1.0
    return buffers


def flatten(arch: Architecture, params) -> np.ndarray:
    """The inverse of ``unflatten``: [(W (..., in, out), b (..., out))] → theta (..., n), float64 (with Batch Norm,
    γ = 1 and β = 0)."""
    batch = np.broadcast_shapes(*(np.shape(W)[:-2] for W, _ in params), *(np.shape(b)[:-1] for _, b in params))
    theta = np.zeros(batch + (arch.n_params,))
    for gamma, _ in norm_params(arch, theta):
        gamma[...] = 1.0
    for (W_slot, b_slot), (W, b) in zip(unflatten(arch, theta), params, strict=True):
        W_slot[...] = W
        b_slot[...] = b
    return theta


def init_params(arch: Architecture, rng, scale="he") -> np.ndarray:
    """theta (n,) float64 with W ~ N(0, σ²) and b = 0, as the book's MultiLayerNet.

        scale "he":     σ = √(2 / n_in)   (for ReLU)
        scale "xavier": σ = √(1 / n_in)   (for sigmoid, tanh)
        scale σ > 0:    σ itself          (the book's weight_init_std)

    and, with Batch Norm, γ = 1 and β = 0.  rng: a np.random.Generator or a seed.
    """
    std_of = init_std(scale)
    rng = np.random.default_rng(rng)
    theta = np.zeros(arch.n_params)
    for W, _ in unflatten(arch, theta):
        W[...] = rng.standard_normal(W.shape) * std_of(W.shape[0])
    for gamma, _ in norm_params(arch, theta):
        gamma[...] = 1.0
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

    ``layers`` = [Affine, (BatchNormalization,) activation, (Dropout,) Affine, …, Affine]; ``last_layer`` =
    SoftmaxWithLoss.  The activations work in place: each overwrites the fresh output of the layer before it (and,
    going back, the fresh ∂L/∂y of the layer after it), which saves memory traffic.
    x is (B, in), shared by every copy, or (..., B, in); labels are class indices (B,).

    ``training`` (the default) normalises with each batch's own statistics and drops units; then ``buffers``
    (..., s), when given, are the running statistics a trainer's step updates in place.  ``training=False``
    normalises with ``buffers`` (needed with Batch Norm) and scales for dropout as its convention says.
    ``dropout``: the ratio r of hidden units dropped after each activation (``inverted``: which convention, see
    ``layers.Dropout``; ``rng`` draws the masks).  ``weight_decay`` λ (a number or one per copy (...,)) adds the
    book's ½·λ·Σ‖W‖² over the weight matrices (not the biases, γ or β) to the loss and λ·W to their gradients.
    """

    def __init__(self, arch: Architecture, theta, *, buffers=None, training=True, dropout=0.0, inverted=True,
                 rng=None, weight_decay=0.0):
        if arch.activation not in ACTIVATIONS:
            raise ValueError(f"activation {arch.activation!r} must be one of {', '.join(ACTIVATIONS)}")
        self.arch = arch
        self.theta = np.asarray(theta, dtype=np.float64)
        self.weight_decay = np.asarray(weight_decay, dtype=np.float64)
        norms = norm_params(arch, self.theta)
        stats = running_stats(arch, buffers) if buffers is not None else [None] * len(norms)
        if arch.batchnorm and not training and buffers is None:
            raise ValueError("a Batch-Norm network in evaluation mode needs its running statistics (buffers)")
        self.layers, self.owners = [], []  # owners: (layer, its parameters' names) in the flat layout's order
        for i, (W, b) in enumerate(unflatten(arch, self.theta), start=1):
            if i > 1:
                if arch.batchnorm:
                    (gamma, beta), running = norms[i - 2], stats[i - 2]
                    norm = BatchNormalization(gamma, beta, running, training, update_running=training)
                    self.layers.append(norm)
                    self.owners.append((norm, ("dgamma", f"gamma{i - 1}"), ("dbeta", f"beta{i - 1}")))
                self.layers.append(ACTIVATIONS[arch.activation](in_place=True))
                if dropout > 0:
                    self.layers.append(Dropout(dropout, rng, training, inverted))
            affine = Affine(W, b, need_dx=i > 1)
            self.layers.append(affine)
            self.owners.append((affine, ("dW", f"W{i}"), ("db", f"b{i}")))
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
        """L = mean over the B examples of −log softmax(scores)[label] + ½·λ·Σ‖W‖², shape (...,)."""
        scores = self.predict(x)
        data_loss = self.last_layer.forward(scores, _check_labels(labels, scores.shape))
        if not np.any(self.weight_decay):
            return data_loss
        squares = sum(np.sum(W * W, axis=(-2, -1)) for W, _ in unflatten(self.arch, self.theta))
        return data_loss + 0.5 * self.weight_decay * squares

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
        slices = _slices(self.arch)
        for layer, *parts in self.owners:
            for attribute, name in parts:
                grad[..., slices[name]] = getattr(layer, attribute).reshape(grad.shape[:-1] + (-1,))
        if np.any(self.weight_decay):
            decay = self.weight_decay[..., None] if self.weight_decay.ndim else self.weight_decay
            for name in self.arch.layer_names:
                if name.startswith("W"):
                    grad[..., slices[name]] += decay * self.theta[..., slices[name]]
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


def loss(arch: Architecture, theta, x, labels, **options) -> np.ndarray:
    """Mean softmax cross-entropy over the examples, one a copy of the weights: (...,).  ``options``: ``Network``'s
    (a Batch-Norm network without them normalises with the examples' own statistics)."""
    return Network(arch, theta, **options).loss(x, labels)


def loss_and_grad(arch: Architecture, theta, x, labels, **options):
    """(loss (...,), grad of theta's shape (..., n)) in the flat layout."""
    return Network(arch, theta, **options).gradient(x, labels)


def predict_proba(arch: Architecture, theta, x, **options) -> np.ndarray:
    """softmax(scores): class probabilities (..., B, K)."""
    return softmax(Network(arch, theta, **options).predict(x))


def evaluation(buffers=None, dropout=0.0, inverted=True) -> dict:
    """``Network``'s options for predicting with trained weights: evaluation mode with the running statistics, the
    test-time scaling of dropout's convention."""
    return dict(buffers=buffers, training=False, dropout=dropout, inverted=inverted)


def predict_proba_chunked(arch: Architecture, weights, x, buffers=None, **options) -> np.ndarray:
    """``predict_proba`` of many weight vectors (..., n) on x (B, in), a few vectors a call (``chunk_size``: bounded
    memory), as float32 (..., B, K).  With Batch Norm, ``buffers`` (..., s): each vector's running statistics, and
    the prediction is in evaluation mode (``evaluation``)."""
    weights = np.asarray(weights)
    flat = weights.reshape(-1, weights.shape[-1])
    stats = None if buffers is None else np.asarray(buffers, dtype=np.float64).reshape(len(flat), -1)
    step = chunk_size(arch, len(x))
    parts = []
    for lo in range(0, len(flat), step):
        chunk_options = options if stats is None else {**evaluation(), **options, "buffers": stats[lo:lo + step]}
        parts.append(predict_proba(arch, flat[lo:lo + step].astype(np.float64), x, **chunk_options).astype(np.float32))
    return np.concatenate(parts).reshape(weights.shape[:-1] + parts[0].shape[-2:])


def accuracy(arch: Architecture, theta, x, labels, **options) -> np.ndarray:
    """Fraction of the examples whose highest score is their label: (...,)."""
    scores = Network(arch, theta, **options).predict(x)
    labels = _check_labels(labels, scores.shape)
    return (scores.argmax(axis=-1) == labels).mean(axis=-1)
