"""Per-parameter adaptive learning rates: AdaGrad, RMSProp, AdaDelta (cs231n "Neural Networks 3")."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import TINY, Rule, decay, eps, eps_convention, eps_placement, lr, root_latex, rsqrt_denominator


class CacheState(NamedTuple):
    cache: np.ndarray  # running sum (AdaGrad) or running mean (RMSProp) of g²


def cache_init(x):
    return CacheState(np.zeros_like(x))


def _scaled_step(g, cache, hp, explain):
    """−lr·g / (√cache + eps): the step of AdaGrad and RMSProp, and its effective learning rate."""
    effective_lr = hp["lr"] / rsqrt_denominator(cache, hp["eps"], hp["eps_placement"])
    delta = -effective_lr * g
    if explain is not None:
        explain.term("effective_lr", r"\eta_{\text{eff}} = \eta / (" + root_latex("c_k", hp) + ")", effective_lr)
        explain.part("gradient", r"-\eta_{\text{eff}}\, g_k", delta)
    return delta, effective_lr


# --- AdaGrad ----------------------------------------------------------------------------------


def adagrad_update(g, state, x, t, hp, hessian=None, explain=None):
    """AdaGrad (Duchi et al. 2011; cs231n; the book's ``AdaGrad`` with eps = 1e-7):
    cache ← cache + g²;  x ← x − lr·g / (√cache + eps)."""
    cache = state.cache + g * g
    if explain is not None:
        explain.term("cache_prev", r"c_{k-1}", state.cache)
        explain.term("cache", r"c_k = c_{k-1} + g_k^2", cache)
    delta, effective_lr = _scaled_step(g, cache, hp, explain)
    return delta, CacheState(cache), effective_lr


ADAGRAD = Rule(
    "adagrad", "AdaGrad", cache_init, adagrad_update, (lr(1.0), eps(1e-7), eps_placement()),
    latex=lambda hp: r"h \leftarrow h + g \odot g \qquad x \leftarrow x - \frac{\eta\, g}{" + root_latex("h", hp) + "}",
    intuition="Each coordinate gets its own learning rate, divided by the root of all its squared gradients "
              "so far: steep directions are damped at once, but the rates only ever shrink, so it stalls.",
    reference="Duchi, Hazan & Singer 2011; cs231n notes",
    conventions=eps_convention,
    adaptive=True,
)


# --- RMSProp ----------------------------------------------------------------------------------


def rmsprop_update(g, state, x, t, hp, hessian=None, explain=None):
    """RMSProp (Hinton, Coursera lecture 6e; cs231n):
    cache ← decay_rate·cache + (1 − decay_rate)·g²;  x ← x − lr·g / (√cache + eps)."""
    decay_rate = hp["decay_rate"]
    cache = decay_rate * state.cache + (1.0 - decay_rate) * (g * g)
    if explain is not None:
        explain.term("decay_rate", r"\rho", decay_rate)
        explain.term("cache_prev", r"c_{k-1}", state.cache)
        explain.term("cache", r"c_k = \rho c_{k-1} + (1-\rho) g_k^2", cache)
    delta, effective_lr = _scaled_step(g, cache, hp, explain)
    return delta, CacheState(cache), effective_lr


RMSPROP = Rule(
    "rmsprop", "RMSProp", cache_init, rmsprop_update,
    (lr(0.01), decay("decay_rate", 0.99, "decay rate ρ", "cache decay rate"), eps(1e-8), eps_placement()),
    latex=lambda hp: (r"h \leftarrow \rho h + (1-\rho)\, g \odot g \qquad x \leftarrow x - \frac{\eta\, g}{"
                      + root_latex("h", hp) + r"} \quad (\rho = \text{decay\_rate})"),
    intuition="AdaGrad with a memory that fades (decay_rate): the per-coordinate rate adapts without "
              "shrinking forever.",
    reference="Hinton, Coursera Neural Networks lecture 6e; cs231n notes",
    conventions=eps_convention,
    adaptive=True,
)


# --- AdaDelta ---------------------------------------------------------------------------------


class AdadeltaState(NamedTuple):
    square_avg: np.ndarray  # E[g²]
    acc_delta: np.ndarray  # E[Δx²]


def adadelta_init(x):
    return AdadeltaState(np.zeros_like(x), np.zeros_like(x))


def adadelta_update(g, state, x, t, hp, hessian=None, explain=None):
    """AdaDelta (Zeiler 2012, Algorithm 1), with torch.optim.Adadelta's lr factor:
    E[g²] ← rho·E[g²] + (1 − rho)·g²;
    Δ = −√(E[Δx²] + eps) / √(E[g²] + eps) · g;
    E[Δx²] ← rho·E[Δx²] + (1 − rho)·Δ²;   x ← x + lr·Δ.
    eps sits inside both square roots (Zeiler's form); there is no eps_placement option."""
    rho, epsilon, rate = hp["rho"], hp["eps"], hp["lr"]
    square_avg = rho * state.square_avg + (1.0 - rho) * (g * g)
    unit_ratio = np.sqrt(state.acc_delta + epsilon) / np.maximum(np.sqrt(square_avg + epsilon), TINY)
    unit_step = -unit_ratio * g
    acc_delta = rho * state.acc_delta + (1.0 - rho) * (unit_step * unit_step)
    if explain is not None:
        explain.term("square_avg", r"E[g^2]_k = \rho E[g^2]_{k-1} + (1-\rho) g_k^2", square_avg)
        explain.term("acc_delta_prev", r"E[\Delta x^2]_{k-1}", state.acc_delta)
        explain.term("unit_ratio", r"\frac{\sqrt{E[\Delta x^2]_{k-1}+\epsilon}}{\sqrt{E[g^2]_k+\epsilon}}",
                     unit_ratio)
        explain.term("unit_step", r"\Delta_k", unit_step)
        explain.term("acc_delta", r"E[\Delta x^2]_k = \rho E[\Delta x^2]_{k-1} + (1-\rho)\Delta_k^2", acc_delta)
        explain.term("effective_lr", r"\eta_{\text{eff}} = \eta\,\frac{\sqrt{E[\Delta x^2]_{k-1}+\epsilon}}"
                                     r"{\sqrt{E[g^2]_k+\epsilon}}", rate * unit_ratio)
        explain.part("gradient", r"\eta\,\Delta_k", rate * unit_step)
    return rate * unit_step, AdadeltaState(square_avg, acc_delta), rate * unit_ratio


ADADELTA = Rule(
    "adadelta", "AdaDelta", adadelta_init, adadelta_update,
    (lr(1.0), decay("rho", 0.95, "ρ", "decay rate"), eps(1e-6)),
    latex=lambda hp: (r"s \leftarrow \rho s + (1-\rho) g\odot g \quad \Delta = -\frac{\sqrt{u+\epsilon}}"
                      r"{\sqrt{s+\epsilon}}\,g \quad u \leftarrow \rho u + (1-\rho)\Delta\odot\Delta \quad "
                      r"x \leftarrow x + \eta\,\Delta"),
    intuition="RMSProp whose step size carries its own units: a running average of past steps replaces "
              "the learning rate.",
    reference="Zeiler 2012, arXiv:1212.5701",
    adaptive=True,
)
