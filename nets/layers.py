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


class BatchNormalization:
    """Batch Normalization (Ioffe & Szegedy 2015; the book's ``BatchNormalization``, ch. 6.3), over the B examples
    of each unit, x (..., B, D), γ and β (..., D):

        training:    μ = mean_B x,   σ² = mean_B (x − μ)²,   x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β
                     running_mean ← m·running_mean + (1 − m)·μ,   running_var ← m·running_var + (1 − m)·σ²
        evaluation:  x̂ = (x − running_mean) / √(running_var + ε),   y = γ x̂ + β

    with ε = 1e-6 and m = 0.9, as the book.  Backward (training mode), as the book writes it out step by step:

        ∂L/∂β = Σ_B ∂L/∂y,   ∂L/∂γ = Σ_B x̂ ∂L/∂y,   ∂L/∂x̂ = γ ∂L/∂y
        ∂L/∂x_c = ∂L/∂x̂ / σ̂ + (2/B) x_c ∂L/∂σ²,   ∂L/∂σ² = −½ Σ_B ∂L/∂x̂ x_c / σ̂³      (x_c = x − μ, σ̂ = √(σ² + ε))
        ∂L/∂x = ∂L/∂x_c − (1/B) Σ_B ∂L/∂x_c

    ``running`` = (running_mean, running_var), arrays (..., D) or None.  In training mode they are updated in place
    when ``update_running`` (a trainer's step), else left alone (a landscape or a line search probes the loss with
    the batch's own statistics); evaluation mode needs them.
    """

    EPS = 1e-6
    MOMENTUM = 0.9

    def __init__(self, gamma, beta, running=None, training=True, update_running=False):
        self.gamma, self.beta = gamma, beta
        self.running = running
        self.training = training
        self.update_running = update_running
        self.xc = self.xn = self.std = None
        self.dgamma = self.dbeta = None

    def forward(self, x):
        if not self.training:
            if self.running is None:
                raise ValueError("BatchNormalization in evaluation mode needs the running mean and variance")
            mean, var = self.running
            scale = self.gamma / np.sqrt(var + self.EPS)  # γ x̂ + β = x·scale + (β − mean·scale)
            out = np.multiply(x, scale[..., None, :])
            out += (self.beta - mean * scale)[..., None, :]
            return out
        mu = x.mean(axis=-2, keepdims=True)
        self.xc = x - mu
        out = np.square(self.xc)  # the in-place steps below save memory traffic, not arithmetic
        var = out.mean(axis=-2, keepdims=True)
        self.std = np.sqrt(var + self.EPS)
        self.xn = self.xc / self.std
        if self.update_running and self.running is not None:
            for kept, batch in zip(self.running, (mu, var)):
                kept *= self.MOMENTUM
                kept += (1.0 - self.MOMENTUM) * batch[..., 0, :]
        np.multiply(self.xn, self.gamma[..., None, :], out=out)
        out += self.beta[..., None, :]
        return out

    def backward(self, dout):
        batch_size = dout.shape[-2]
        self.dbeta = _sum_to_shape(dout.sum(axis=-2), self.beta.shape)
        work = self.xn * dout
        self.dgamma = _sum_to_shape(work.sum(axis=-2), self.gamma.shape)
        dxn = np.multiply(dout, self.gamma[..., None, :], out=work)
        dxc = dxn / self.std
        dstd = -np.sum(np.multiply(dxn, self.xc, out=work), axis=-2, keepdims=True) / (self.std * self.std)
        dvar = 0.5 * dstd / self.std
        dxc += np.multiply(self.xc, (2.0 / batch_size) * dvar, out=work)
        dmu = np.sum(dxc, axis=-2, keepdims=True)
        dxc -= dmu / batch_size
        return dxc


class Dropout:
    """Dropout (Srivastava et al. 2014; the book's ``Dropout``, ch. 6.4.3): in training, each unit of each example
    is dropped with probability r (the dropout ratio), mask ~ Bernoulli(1 − r), and the gradient flows only
    through the kept units:

        inverted (cs231n's recommendation, this page's default):   training y = x·mask / (1 − r),   test y = x
        the book's:                                                training y = x·mask,             test y = x·(1 − r)

    Both make the expected training output equal the test output.  ``rng``: a numpy Generator for the masks.
    """

    def __init__(self, ratio, rng=None, training=True, inverted=True):
        if not 0.0 <= ratio < 1.0:
            raise ValueError(f"dropout ratio = {ratio} must be 0 ≤ r < 1")
        if training and ratio > 0 and rng is None:
            raise ValueError("Dropout in training needs rng, a numpy Generator for its masks")
        self.ratio, self.rng, self.training, self.inverted = float(ratio), rng, training, inverted
        self.scaled_mask = None

    def forward(self, x):
        keep = 1.0 - self.ratio
        if not self.training:
            return x if self.inverted else x * keep
        self.scaled_mask = (self.rng.random(x.shape) >= self.ratio) / (keep if self.inverted else 1.0)
        return x * self.scaled_mask

    def backward(self, dout):
        return dout * self.scaled_mask


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
