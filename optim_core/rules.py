"""The update rules: one ``init`` and one ``update`` pure function per rule.

Every rule works on arrays of shape ``(..., 2)`` (one run, a batch of runs, a
mesh of starts) and follows the same contract, in the style of optax:

    state = init(x)
    delta, state, effective_lr = update(g, state, x, t, hp, hessian)
    x = x + delta

``g`` is the gradient the rule asked for (at ``x``, or at ``grad_point(x, state, hp)``
for Nesterov's look-ahead form), ``t`` the update count starting at 1, ``hp`` the
hyperparameters for this update (Python floats, or arrays of shape ``(..., 1)``
for a batch), ``hessian`` the ``(..., 2, 2)`` Hessian for rules that need it.
``effective_lr`` is the per-coordinate factor the rule multiplies its step
direction by this update (``lr`` for the plain rules, ``lr / (√cache + eps)`` for
the adaptive ones); it is what the app plots as "effective learning rate".

State is an immutable NamedTuple whose fields are named as in torch.optim
(``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``, ...).  The formulas are the
ones of the cs231n notes and *Deep Learning from Scratch* ch. 6 in
``shared/seeds``; each docstring gives the exact form implemented.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np

# The smallest positive normal float: dividing by max(denominator, _TINY) keeps eps = 0 at a zero
# gradient from producing 0/0, and is a no-op whenever the denominator is positive.
_TINY = np.finfo(float).tiny


class HyperSpec(NamedTuple):
    """One hyperparameter: its default, valid interval and a suggested slider range."""

    name: str
    default: object
    low: float = -math.inf
    high: float = math.inf
    low_inclusive: bool = True
    high_inclusive: bool = False
    slider: tuple = ()  # (low, high, log) suggested for a UI
    choices: tuple = ()  # for option-valued hyperparameters (strings, bools)
    help: str = ""


class Rule(NamedTuple):
    name: str
    title: str
    init: Callable
    update: Callable
    hyper: tuple  # of HyperSpec
    grad_point: Callable | None = None  # where to evaluate the gradient; None means at x
    needs_hessian: bool = False
    adaptive: bool = False  # has a per-coordinate effective learning rate
    reference: str = ""


def _rsqrt_denominator(second_moment, eps, eps_placement):
    """√s + eps ("outside", PyTorch / the notes) or √(s + eps) ("inside", optax's eps_root)."""
    if eps_placement == "inside":
        denominator = np.sqrt(second_moment + eps)
    else:
        denominator = np.sqrt(second_moment)
        denominator += eps
        if type(eps) is float and eps > 0.0:  # the common case: the denominator is already ≥ eps > 0
            return denominator
    return np.maximum(denominator, _TINY, out=denominator)


# --- plain gradient descent ---------------------------------------------------------------


class EmptyState(NamedTuple):
    pass


def sgd_init(x):
    return EmptyState()


def sgd_update(g, state, x, t, hp, hessian=None):
    """Vanilla update (cs231n): x ← x − lr·g."""
    lr = hp["lr"]
    return -lr * g, state, lr


# --- momentum -----------------------------------------------------------------------------


class MomentumState(NamedTuple):
    momentum_buffer: np.ndarray  # v, the velocity; starts at 0


def momentum_init(x):
    return MomentumState(np.zeros_like(x))


def momentum_update(g, state, x, t, hp, hessian=None):
    """Momentum (cs231n; the book's ``Momentum`` class): v ← mu·v − lr·g;  x ← x + v."""
    lr = hp["lr"]
    velocity = hp["mu"] * state.momentum_buffer - lr * g
    return velocity, MomentumState(velocity), lr


def nesterov_grad_point(x, state, hp):
    """The look-ahead point x_ahead = x + mu·v at which Nesterov evaluates the gradient."""
    if hp["form"] == "lookahead":
        return x + hp["mu"] * state.momentum_buffer
    return x


def nesterov_update(g, state, x, t, hp, hessian=None):
    """Nesterov momentum, in either of the notes' two forms.

    ``form="lookahead"`` (Sutskever's thesis §7.2): g is taken at x_ahead = x + mu·v, then
        v ← mu·v − lr·g;  x ← x + v.
    ``form="reformulated"`` (the notes' "通过变换写成下面的形式"): g is taken at x itself, and
        v_prev = v;  v ← mu·v − lr·g;  x ← x − mu·v_prev + (1 + mu)·v.
    With a constant mu the reformulated iterate is the look-ahead point of the first form:
    x_reformulated_k = x_k + mu·v_k.
    """
    lr, mu = hp["lr"], hp["mu"]
    previous_velocity = state.momentum_buffer
    velocity = mu * previous_velocity - lr * g
    if hp["form"] == "lookahead":
        delta = velocity
    else:
        delta = -mu * previous_velocity + (1.0 + mu) * velocity
    return delta, MomentumState(velocity), lr


# --- per-parameter adaptive rules ------------------------------------------------------------


class CacheState(NamedTuple):
    cache: np.ndarray  # running sum (AdaGrad) or running mean (RMSProp) of g²


def cache_init(x):
    return CacheState(np.zeros_like(x))


def adagrad_update(g, state, x, t, hp, hessian=None):
    """AdaGrad (Duchi et al. 2011; cs231n; the book's ``AdaGrad`` with eps = 1e-7):
    cache ← cache + g²;  x ← x − lr·g / (√cache + eps)."""
    cache = state.cache + g * g
    effective_lr = hp["lr"] / _rsqrt_denominator(cache, hp["eps"], hp["eps_placement"])
    return -effective_lr * g, CacheState(cache), effective_lr


def rmsprop_update(g, state, x, t, hp, hessian=None):
    """RMSProp (Hinton, Coursera lecture 6e; cs231n):
    cache ← decay_rate·cache + (1 − decay_rate)·g²;  x ← x − lr·g / (√cache + eps)."""
    decay_rate = hp["decay_rate"]
    cache = decay_rate * state.cache + (1.0 - decay_rate) * (g * g)
    effective_lr = hp["lr"] / _rsqrt_denominator(cache, hp["eps"], hp["eps_placement"])
    return -effective_lr * g, CacheState(cache), effective_lr


class AdamState(NamedTuple):
    exp_avg: np.ndarray  # m, first moment estimate
    exp_avg_sq: np.ndarray  # v, second moment estimate
    beta1_power: object  # Π beta1 over the updates so far (= beta1ᵗ for a constant beta1)
    beta2_power: object  # Π beta2


class AMSGradState(NamedTuple):
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    beta1_power: object
    beta2_power: object
    max_exp_avg_sq: np.ndarray  # running maximum of v


def adam_init(x):
    return AdamState(np.zeros_like(x), np.zeros_like(x), 1.0, 1.0)


def _moments(g, state, hp):
    """m ← beta1·m + (1 − beta1)·g,  v ← beta2·v + (1 − beta2)·g², and the running powers of the betas.

    Written as m ← g + beta1·(m − g) (the same number, one operation fewer).  The bias corrections
    use the running products Π beta, which equal betaᵗ for constant betas and are the exact
    correction (E[m_t] = (1 − Π beta)·g for a constant g) when a beta follows a schedule; a running
    product also costs one multiplication where betaᵗ costs a power per update.
    """
    beta1, beta2 = hp["beta1"], hp["beta2"]
    g_squared = g * g
    # in place on fresh arrays: the same arithmetic without temporaries (this runs on whole sweeps)
    exp_avg = state.exp_avg - g
    exp_avg *= beta1
    exp_avg += g
    exp_avg_sq = state.exp_avg_sq - g_squared
    exp_avg_sq *= beta2
    exp_avg_sq += g_squared
    return exp_avg, exp_avg_sq, state.beta1_power * beta1, state.beta2_power * beta2


def adam_update(g, state, x, t, hp, hessian=None):
    """Adam (Kingma & Ba 2015; cs231n):
    m ← beta1·m + (1 − beta1)·g;  v ← beta2·v + (1 − beta2)·g²;
    with ``bias_correction`` (default): m̂ = m / (1 − beta1ᵗ), v̂ = v / (1 − beta2ᵗ),
        x ← x − lr·m̂ / (√v̂ + eps)                       (eps_placement="outside", PyTorch)
        x ← x − lr·m̂ / √(v̂ + eps)                       (eps_placement="inside", optax eps_root)
        x ← x − lr·√(1 − beta2ᵗ)/(1 − beta1ᵗ)·m / (√v + eps)  (eps_placement="book": the book's
            ``Adam`` class and Kingma & Ba §2's "efficient" form, eps added to the uncorrected √v);
    without it (the notes' first, simplified form): x ← x − lr·m / (√v + eps).
    ``effective_lr`` is the factor that multiplies m̂ (m without bias correction).
    """
    exp_avg, exp_avg_sq, beta1_power, beta2_power = moments = _moments(g, state, hp)
    lr, eps, placement = hp["lr"], hp["eps"], hp["eps_placement"]
    if not hp["bias_correction"]:
        effective_lr = lr / _rsqrt_denominator(exp_avg_sq, eps, placement)
        direction = exp_avg
    elif placement == "book":
        # lr·√c2/c1·m/(√v + eps)  ==  [lr·√c2/(√v + eps)]·m̂
        effective_lr = lr * np.sqrt(1.0 - beta2_power) / _rsqrt_denominator(exp_avg_sq, eps, "outside")
        direction = exp_avg / (1.0 - beta1_power)
    else:
        direction = exp_avg / (1.0 - beta1_power)
        effective_lr = lr / _rsqrt_denominator(exp_avg_sq / (1.0 - beta2_power), eps, placement)
    return -(effective_lr * direction), AdamState(*moments), effective_lr


def nadam_update(g, state, x, t, hp, hessian=None):
    """NAdam (Dozat 2016, "Incorporating Nesterov Momentum into Adam"), in the form of
    optax.nadam (no momentum-decay schedule):
    m, v as in Adam;  m̂ = beta1·m / (1 − beta1ᵗ⁺¹) + (1 − beta1)·g / (1 − beta1ᵗ);
    v̂ = v / (1 − beta2ᵗ);  x ← x − lr·m̂ / (√v̂ + eps)."""
    beta1 = hp["beta1"]
    exp_avg, exp_avg_sq, beta1_power, beta2_power = moments = _moments(g, state, hp)
    direction = beta1 * exp_avg / (1.0 - beta1_power * beta1) + (1.0 - beta1) * g / (1.0 - beta1_power)
    corrected_sq = exp_avg_sq / (1.0 - beta2_power)
    effective_lr = hp["lr"] / _rsqrt_denominator(corrected_sq, hp["eps"], hp["eps_placement"])
    return -(effective_lr * direction), AdamState(*moments), effective_lr


def amsgrad_init(x):
    return AMSGradState(np.zeros_like(x), np.zeros_like(x), 1.0, 1.0, np.zeros_like(x))


def amsgrad_update(g, state, x, t, hp, hessian=None):
    """AMSGrad (Reddi, Kale & Kumar 2018), with bias correction as in torch.optim.Adam(amsgrad=True):
    m, v as in Adam;  v_max ← max(v_max, v);
    x ← x − lr·(m / (1 − beta1ᵗ)) / (√(v_max / (1 − beta2ᵗ)) + eps)."""
    exp_avg, exp_avg_sq, beta1_power, beta2_power = moments = _moments(g, state, hp)
    max_exp_avg_sq = np.maximum(state.max_exp_avg_sq, exp_avg_sq)
    direction = exp_avg / (1.0 - beta1_power)
    corrected_sq = max_exp_avg_sq / (1.0 - beta2_power)
    effective_lr = hp["lr"] / _rsqrt_denominator(corrected_sq, hp["eps"], hp["eps_placement"])
    return -(effective_lr * direction), AMSGradState(*moments, max_exp_avg_sq), effective_lr


def adamw_update(g, state, x, t, hp, hessian=None):
    """AdamW (Loshchilov & Hutter 2019, decoupled weight decay), as torch.optim.AdamW:
    x ← x − lr·weight_decay·x, then the bias-corrected Adam step:
    x ← x − lr·m̂ / (√v̂ + eps).  The decay pulls toward the origin, so on a surface whose
    minimum is elsewhere the run settles slightly off it."""
    delta, new_state, effective_lr = adam_update(g, state, x, t, {**hp, "bias_correction": True}, hessian)
    return delta - hp["lr"] * hp["weight_decay"] * x, new_state, effective_lr


class AdadeltaState(NamedTuple):
    square_avg: np.ndarray  # E[g²]
    acc_delta: np.ndarray  # E[Δx²]


def adadelta_init(x):
    return AdadeltaState(np.zeros_like(x), np.zeros_like(x))


def adadelta_update(g, state, x, t, hp, hessian=None):
    """AdaDelta (Zeiler 2012, Algorithm 1), with torch.optim.Adadelta's lr factor:
    E[g²] ← rho·E[g²] + (1 − rho)·g²;
    Δ = −√(E[Δx²] + eps) / √(E[g²] + eps) · g;
    E[Δx²] ← rho·E[Δx²] + (1 − rho)·Δ²;   x ← x + lr·Δ.
    eps sits inside both square roots (Zeiler's form); there is no eps_placement option."""
    rho, eps = hp["rho"], hp["eps"]
    square_avg = rho * state.square_avg + (1.0 - rho) * (g * g)
    unit_ratio = np.sqrt(state.acc_delta + eps) / np.maximum(np.sqrt(square_avg + eps), _TINY)
    delta = -unit_ratio * g
    acc_delta = rho * state.acc_delta + (1.0 - rho) * (delta * delta)
    lr = hp["lr"]
    return lr * delta, AdadeltaState(square_avg, acc_delta), lr * unit_ratio


# --- second order ----------------------------------------------------------------------------


def newton_update(g, state, x, t, hp, hessian=None):
    """Newton's method (cs231n "second order methods"): x ← x − lr·H⁻¹g.

    H⁻¹g is solved in closed form for 2 × 2.  Where H is singular (|det H| ≤ 1e-12·‖H‖²,
    e.g. at the monkey saddle's origin) the Moore–Penrose pseudo-inverse is used instead:
    the step moves only along directions of nonzero curvature, and at a zero Hessian
    Newton stands still.  It never raises.  On a saddle Newton is attracted to the saddle,
    because it jumps to the stationary point of the local quadratic model, whatever its kind.
    """
    a, b = hessian[..., 0, 0], hessian[..., 0, 1]
    c, d = hessian[..., 1, 0], hessian[..., 1, 1]
    det = a * d - b * c
    scale = a * a + b * b + c * c + d * d
    singular = np.isfinite(det) & (np.abs(det) <= 1e-12 * scale)
    safe_det = np.where(singular, 1.0, det)
    solved = np.stack([d * g[..., 0] - b * g[..., 1], -c * g[..., 0] + a * g[..., 1]], axis=-1)
    solved = solved / safe_det[..., None]
    if np.any(singular):
        pseudo = np.linalg.pinv(np.where(singular[..., None, None], hessian, 0.0))
        solved = np.where(singular[..., None], np.einsum("...ij,...j->...i", pseudo, g), solved)
    lr = hp["lr"]
    return -lr * solved, state, lr


# --- hyperparameter specs --------------------------------------------------------------------

_LR_SLIDER = (1e-5, 10.0, True)


def _lr(default):
    return HyperSpec("lr", default, 0.0, math.inf, True, False, _LR_SLIDER, help="learning rate")


_MU = HyperSpec("mu", 0.9, 0.0, 1.0, True, False, (0.0, 0.999, False), help="momentum (friction) coefficient")
_BETA1 = HyperSpec("beta1", 0.9, 0.0, 1.0, True, False, (0.0, 0.999, False), help="first-moment decay")
_BETA2 = HyperSpec("beta2", 0.999, 0.0, 1.0, True, False, (0.0, 0.9999, False), help="second-moment decay")
_DECAY = HyperSpec("decay_rate", 0.99, 0.0, 1.0, True, False, (0.0, 0.999, False), help="cache decay rate")
_PLACEMENT = HyperSpec(
    "eps_placement", "outside", choices=("outside", "inside"), help="√s + eps (outside) or √(s + eps) (inside)"
)


def _eps(default):
    return HyperSpec("eps", default, 0.0, math.inf, True, False, (1e-12, 1.0, True), help="numerical stabiliser")


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("sgd", "SGD", sgd_init, sgd_update, (_lr(0.1),), reference="cs231n notes; Deep Learning from Scratch ch. 6"),
        Rule("momentum", "Momentum", momentum_init, momentum_update, (_lr(0.1), _MU),
             reference="Polyak 1964; cs231n notes"),
        Rule("nesterov", "Nesterov", momentum_init, nesterov_update,
             (_lr(0.1), _MU, HyperSpec("form", "lookahead", choices=("lookahead", "reformulated"),
                                        help="where the gradient is taken")),
             grad_point=nesterov_grad_point, reference="Nesterov 1983; Sutskever 2013 thesis §7.2; cs231n notes"),
        Rule("adagrad", "AdaGrad", cache_init, adagrad_update, (_lr(1.0), _eps(1e-7), _PLACEMENT),
             adaptive=True, reference="Duchi, Hazan & Singer 2011; cs231n notes"),
        Rule("rmsprop", "RMSProp", cache_init, rmsprop_update, (_lr(0.01), _DECAY, _eps(1e-8), _PLACEMENT),
             adaptive=True, reference="Hinton, Coursera Neural Networks lecture 6e; cs231n notes"),
        Rule("adam", "Adam", adam_init, adam_update,
             (_lr(0.1), _BETA1, _BETA2, _eps(1e-8),
              HyperSpec("bias_correction", True, choices=(True, False), help="divide m, v by (1 − βᵗ)"),
              _PLACEMENT._replace(choices=("outside", "inside", "book"))),
             adaptive=True, reference="Kingma & Ba 2015; cs231n notes"),
        Rule("newton", "Newton", sgd_init, newton_update, (_lr(1.0),), needs_hessian=True,
             reference="cs231n notes, second-order methods"),
        Rule("adadelta", "AdaDelta", adadelta_init, adadelta_update,
             (_lr(1.0), HyperSpec("rho", 0.95, 0.0, 1.0, True, False, (0.0, 0.999, False), help="decay rate"),
              _eps(1e-6)),
             adaptive=True, reference="Zeiler 2012, arXiv:1212.5701"),
        Rule("nadam", "NAdam", adam_init, nadam_update, (_lr(0.1), _BETA1, _BETA2, _eps(1e-8), _PLACEMENT),
             adaptive=True, reference="Dozat 2016, ICLR workshop; optax.nadam"),
        Rule("amsgrad", "AMSGrad", amsgrad_init, amsgrad_update, (_lr(0.1), _BETA1, _BETA2, _eps(1e-8), _PLACEMENT),
             adaptive=True, reference="Reddi, Kale & Kumar 2018; torch.optim.Adam(amsgrad=True)"),
        Rule("adamw", "AdamW", adam_init, adamw_update,
             (_lr(0.1), _BETA1, _BETA2, _eps(1e-8),
              HyperSpec("weight_decay", 0.01, 0.0, math.inf, True, False, (0.0, 1.0, False), help="decoupled decay"),
              _PLACEMENT),
             adaptive=True, reference="Loshchilov & Hutter 2019; torch.optim.AdamW"),
    )
}
