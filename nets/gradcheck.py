"""Gradient checks: backpropagation against centred differences, the recipe of cs231n
("Neural Networks Part 3", Gradient checks):

* the centred formula  ∂f/∂θ_i ≈ (f(θ + h e_i) − f(θ − h e_i)) / 2h,  h ≈ 1e-5, in float64
  (its error is O(h²), the one-sided formula's O(h));
* the relative error  |a − n| / max(|a|, |n|)  (0 where both are 0), not the absolute one;
* kinks: where f is not differentiable (ReLU at 0) a step of ±h that crosses a kink gives a wrong
  numerical gradient.  cs231n: keep track of the "winners" of max(x, 0) while evaluating f(θ + h)
  and f(θ − h); if one changed, a kink was crossed and the numerical gradient is not exact.
* few examples and few coordinates: ``max_coords_per_layer`` samples coordinates of big layers;
* precision (cs231n: "be careful with the step size h", "stick around the active range of floating point"):
  f(θ ± h e_i) is only known to about ε·|f| (ε the machine epsilon), so the centred difference carries a rounding
  noise of about ε·|f|/h whatever the gradient.  A coordinate whose gradient is so small that this noise alone
  would exceed the "good" bound (1e-7) is compared on the scale ``noise_floor`` = ε·|f|/(h·1e-7) instead of its
  own: a tiny but correct gradient is not called "ok with kinks", a wrong one still stands out.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .layers import ReLU
from .network import Architecture, Network, layer_slices, loss_and_grad

THRESHOLDS = ((1e-7, "good"), (1e-4, "ok with kinks"), (1e-2, "uncomfortable"), (float("inf"), "bug"))
"""(bound, verdict): a relative error gets the first verdict whose bound it is below (NaN: "bug").

cs231n, "Neural Networks Part 3", in practice:

* relative error > 1e-2 usually means the gradient is probably wrong;
* 1e-2 > relative error > 1e-4 should make you feel uncomfortable;
* 1e-4 > relative error is usually okay for objectives with kinks.  But if there are no kinks
  (e.g. use of tanh nonlinearities and softmax), then 1e-4 is too high;
* 1e-7 and less you should be happy.

Also: the deeper the network, the higher the relative errors (errors add up along the layers).
"""


class LayerCheck(NamedTuple):
    """One parameter block ("W1", "b1", …): its largest relative error and the cs231n verdict.

    ``n_checked`` coordinates were compared; at ``kinks_crossed`` of them the ReLU pattern at
    θ + h e_i differed from that at θ − h e_i, so their numerical gradient is not exact.
    """

    name: str
    max_relative_error: float
    verdict: str
    n_checked: int = 0
    kinks_crossed: int = 0


def numerical_gradient(f, theta, h=1e-5, coords=None) -> np.ndarray:
    """∂f/∂θ_i ≈ (f(θ + h e_i) − f(θ − h e_i)) / 2h, for a scalar f of theta (n,), in float64.

    At the flat indices ``coords`` (default every i): the result has their length.  The caller's
    theta is not modified.
    """
    theta = np.array(theta, dtype=np.float64)
    coords = range(theta.size) if coords is None else coords
    derivatives = np.empty(len(coords))
    for k, i in enumerate(coords):
        saved = theta[i]
        theta[i] = saved + h
        f_plus = float(f(theta))
        theta[i] = saved - h
        f_minus = float(f(theta))
        theta[i] = saved
        derivatives[k] = (f_plus - f_minus) / (2.0 * h)
    return derivatives


def relative_error(analytic, numeric, floor: float = 0.0) -> np.ndarray:
    """|a − n| / max(|a|, |n|, floor) elementwise, 0 where that is 0 (NaN stays NaN)."""
    analytic, numeric = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    difference = np.abs(analytic - numeric)
    return np.divide(difference, scale, out=np.zeros(np.broadcast(analytic, numeric).shape), where=scale != 0)


def noise_floor(loss: float, h: float) -> float:
    """ε·|f|/(h·1e-7): the gradient below which the centred difference's rounding noise would by itself exceed the
    "good" bound (see the module's docstring)."""
    return float(np.finfo(np.float64).eps * max(abs(loss), np.finfo(np.float64).tiny) / (h * THRESHOLDS[0][0]))


def verdict(error) -> str:
    """cs231n's verdict on a relative error, from ``THRESHOLDS``."""
    return next((name for bound, name in THRESHOLDS if error < bound), "bug")


def check(arch: Architecture, theta, x, labels, h=1e-5, max_coords_per_layer=None, seed=0) -> list:
    """Backprop's gradient of the loss against centred differences, block by block.

    theta (n,), x (B, in), labels (B,); returns [LayerCheck] for W1, b1, W2, …  With ``max_coords_per_layer`` an int,
    that many coordinates of each block are drawn (without replacement, ``seed``) instead of all.
    """
    theta = np.array(theta, dtype=np.float64)
    if theta.shape != (arch.n_params,):
        raise ValueError(f"theta has shape {theta.shape}, gradcheck needs one network ({arch.n_params},)")
    loss, analytic = loss_and_grad(arch, theta, x, labels)
    floor = noise_floor(float(loss), h)
    rng = np.random.default_rng(seed)
    records = []
    for name, block in layer_slices(arch).items():
        coords = np.arange(block.start, block.stop)
        if max_coords_per_layer is not None and coords.size > max_coords_per_layer:
            coords = np.sort(rng.choice(coords, size=max_coords_per_layer, replace=False))
        numeric, kinks = _centred_differences(arch, theta, x, labels, coords, h)
        error = float(relative_error(analytic[coords], numeric, floor).max(initial=0.0))
        records.append(LayerCheck(name, error, verdict(error), int(coords.size), kinks))
    return records


def _centred_differences(arch, theta, x, labels, coords, h):
    """(numerical ∂L/∂θ_i at coords, how many of them crossed a ReLU kink), as numerical_gradient."""
    derivatives, kinks = np.empty(coords.size), 0
    for k, i in enumerate(coords):
        saved = theta[i]
        theta[i] = saved + h
        loss_plus, pattern_plus = _loss_and_pattern(arch, theta, x, labels)
        theta[i] = saved - h
        loss_minus, pattern_minus = _loss_and_pattern(arch, theta, x, labels)
        theta[i] = saved
        derivatives[k] = (loss_plus - loss_minus) / (2.0 * h)
        kinks += any(not np.array_equal(a, b) for a, b in zip(pattern_plus, pattern_minus))
    return derivatives, kinks


def _loss_and_pattern(arch, theta, x, labels):
    """The loss and which ReLU units are on, per ReLU layer (empty for smooth activations)."""
    network = Network(arch, theta)
    loss = float(network.loss(x, labels))
    return loss, [layer.active for layer in network.layers if isinstance(layer, ReLU)]
