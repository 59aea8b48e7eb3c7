"""The layers of a network, one class each, forward and backward side by side.

In the style of *Deep Learning from Scratch* (斎藤康毅), ``common/layers.py``: ``forward`` keeps
what ``backward`` needs, ``backward(dout)`` takes ∂L/∂(output) and returns ∂L/∂(input).

Every array may carry leading batch dimensions "...", one entry per copy of the weights (a batch
of runs, a grid of points on a loss landscape):

    W (..., in, out)    b (..., out)    x (..., B, in) or a shared x (B, in)

B is the number of examples; matmul broadcasts x against W's batch dimensions.  Gradients come
back summed to the shape of what they differentiate, so a shared x gets Σ over the copies and
an unbatched W under a batched x gets Σ over the batch.  Losses have shape (...,), one a copy.
"""

import numpy as np


def _sum_to_shape(grad, shape):
    """``grad`` summed over the axes that broadcasting added to, or stretched in, an array of ``shape``.

    (y = f(broadcast a) sees a once per copy, so ∂L/∂a adds the copies' contributions.)
    """
    if grad.shape == shape:
        return grad
    added = grad.ndim - len(shape)
    stretched = tuple(added + i for i, n in enumerate(shape) if n == 1 and grad.shape[added + i] != 1)
    return grad.sum(axis=tuple(range(added)) + stretched, keepdims=True).reshape(shape)


class Affine:
    """y = xW + b  (x (..., B, in), W (..., in, out), b (..., out), y (..., B, out)).

        ∂L/∂x = ∂L/∂y Wᵀ,   ∂L/∂W = xᵀ ∂L/∂y,   ∂L/∂b = Σ_rows ∂L/∂y

    The transposes swap the last two axes; the products over B are summed by matmul.
    ``need_dx=False`` skips ∂L/∂x (the first layer of a network, whose input is the data).
    """

    def __init__(self, W, b, need_dx=True):
        self.W = W
        self.b = b
        self.need_dx = need_dx
        self.x = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        if x.ndim < self.W.ndim:  # a shared input: NumPy's matmul is faster on an explicit (zero-copy) broadcast
            x = np.broadcast_to(x, self.W.shape[:-2] + x.shape[-2:])
        out = np.matmul(x, self.W)
        out += self.b[..., None, :]  # in place: `matmul(x, W) + b[..., None, :]` measured several times slower
        return out

    def backward(self, dout):
        self.dW = _sum_to_shape(np.matmul(np.swapaxes(self.x, -1, -2), dout), self.W.shape)
        self.db = _sum_to_shape(dout.sum(axis=-2), self.b.shape)
        if not self.need_dx:
            return None
        return _sum_to_shape(np.matmul(dout, np.swapaxes(self.W, -1, -2)), self.x.shape)


class ReLU:
    """y = max(x, 0);   ∂L/∂x = ∂L/∂y where x > 0, else 0 (the kink at 0 takes the 0 side).

    ``active`` (x > 0) says which units are on: the "winners" of max(x, 0) that a gradient check
    watches for kinks crossed.  ``in_place=True`` writes y over x and ∂L/∂x over ∂L/∂y (see
    ``Network``: there they are fresh arrays nothing else holds).
    """

    def __init__(self, in_place=False):
        self.in_place = in_place
        self.active = None

    def forward(self, x):
        self.active = x > 0
        return np.maximum(x, 0.0, out=x if self.in_place else None)

    def backward(self, dout):
        return np.multiply(dout, self.active, out=dout if self.in_place else None)


class Sigmoid:
    """y = σ(x) = 1 / (1 + e^(−x)) = ½(1 + tanh(x/2));   ∂L/∂x = ∂L/∂y · y(1 − y).

    The tanh form never overflows.  ``in_place=True`` writes y over x.
    """

    def __init__(self, in_place=False):
        self.in_place = in_place
        self.out = None

    def forward(self, x):
        out = np.multiply(x, 0.5, out=x if self.in_place else None)
        np.tanh(out, out=out)
        out += 1.0
        out *= 0.5
        self.out = out
        return out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)


class Tanh:
    """y = tanh(x);   ∂L/∂x = ∂L/∂y · (1 − y²).   ``in_place=True`` writes y over x."""

    def __init__(self, in_place=False):
        self.in_place = in_place
        self.out = None

    def forward(self, x):
        self.out = np.tanh(x, out=x if self.in_place else None)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out * self.out)


def log_softmax(scores):
    """log p_k = s_k − log Σ_j e^(s_j) = (s_k − m) − log Σ_j e^(s_j − m),  m = max_j s_j.

    Shifting by the max leaves p unchanged, makes every exponent ≤ 0 (no overflow) and the sum
    ≥ 1 (no log 0), over the last axis.
    """
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(scores):
    """p_k = e^(s_k) / Σ_j e^(s_j), over the last axis, computed as exp(log_softmax(s))."""
    return np.exp(log_softmax(scores))


class SoftmaxWithLoss:
    """Softmax then the mean cross-entropy over the B examples, for integer labels t (B,):

        L = −(1/B) Σ_i log p_(i, t_i),     p = softmax(scores) over the classes,
        ∂L/∂scores = (p − onehot(t)) / B

    scores (..., B, K) → loss (...,); ``backward(dout)`` takes dout = ∂(total)/∂L, a number or
    one per copy (...,).
    """

    def __init__(self):
        self.probs = None
        self.labels = None

    def forward(self, scores, labels):
        self.labels = labels
        log_probs = log_softmax(scores)
        self.probs = np.exp(log_probs)
        return -log_probs[..., np.arange(labels.shape[0]), labels].mean(axis=-1)

    def backward(self, dout=1.0):
        batch_size = self.labels.shape[0]
        dscores = self.probs.copy()
        dscores[..., np.arange(batch_size), self.labels] -= 1.0
        dscores *= np.asarray(dout, dtype=float)[..., None, None] / batch_size
        return dscores


ACTIVATIONS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh}
