"""Adam and its family: Adam, NAdam, AMSGrad, AdamW (cs231n "Neural Networks 3"; the book's ch. 6)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._base import (HyperSpec, Rule, decay, eps, eps_convention, eps_placement, lr, momentum, root_latex,
                    rsqrt_denominator)


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


def amsgrad_init(x):
    return AMSGradState(np.zeros_like(x), np.zeros_like(x), 1.0, 1.0, np.zeros_like(x))


def _moments(g, state, hp, explain):
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
    moments = (exp_avg, exp_avg_sq, state.beta1_power * beta1, state.beta2_power * beta2)
    if explain is not None:
        explain.term("m_prev", r"m_{k-1}", state.exp_avg)
        explain.term("v_prev", r"v_{k-1}", state.exp_avg_sq)
        explain.term("m", r"m_k = \beta_1 m_{k-1} + (1-\beta_1) g_k", exp_avg)
        explain.term("v", r"v_k = \beta_2 v_{k-1} + (1-\beta_2) g_k^2", exp_avg_sq)
        explain.term("beta1_power", r"\textstyle\prod_{i \le k} \beta_1 = \beta_1^k", moments[2])
        explain.term("beta2_power", r"\textstyle\prod_{i \le k} \beta_2 = \beta_2^k", moments[3])
    return moments


def _explain_step(explain, g, state, hp, effective_lr, beta1_power=None):
    """The step −η_eff ⊙ m̂ as its two parts: the history β₁·m_{k−1} and the new gradient (1 − β₁)·g_k,
    each divided by 1 − β₁ᵏ when the moment is bias-corrected (``beta1_power`` = β₁ᵏ given)."""
    beta1, corrected = hp["beta1"], beta1_power is not None
    correction = 1.0 - beta1_power if corrected else 1.0
    suffix = r"/(1-\beta_1^k)" if corrected else ""
    explain.term("effective_lr", r"\eta_{\text{eff}}", effective_lr)
    explain.part("momentum", r"-\eta_{\text{eff}}\,\beta_1 m_{k-1}" + suffix,
                 -effective_lr * (beta1 * state.exp_avg / correction), history=True)
    explain.part("gradient", r"-\eta_{\text{eff}}\,(1-\beta_1) g_k" + suffix,
                 -effective_lr * ((1.0 - beta1) * g / correction))


# --- Adam -------------------------------------------------------------------------------------


def adam_update(g, state, x, t, hp, hessian=None, explain=None):
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
    exp_avg, exp_avg_sq, beta1_power, beta2_power = moments = _moments(g, state, hp, explain)
    rate, epsilon, placement = hp["lr"], hp["eps"], hp["eps_placement"]
    if not hp["bias_correction"]:
        effective_lr = rate / rsqrt_denominator(exp_avg_sq, epsilon, placement)
        direction = exp_avg
    elif placement == "book":
        # lr·√c2/c1·m/(√v + eps)  ==  [lr·√c2/(√v + eps)]·m̂
        effective_lr = rate * np.sqrt(1.0 - beta2_power) / rsqrt_denominator(exp_avg_sq, epsilon, "outside")
        direction = exp_avg / (1.0 - beta1_power)
    else:
        direction = exp_avg / (1.0 - beta1_power)
        effective_lr = rate / rsqrt_denominator(exp_avg_sq / (1.0 - beta2_power), epsilon, placement)
    if explain is not None:
        explain.term("m_hat", r"\hat m_k = m_k / (1-\beta_1^k)" if hp["bias_correction"] else
                     r"m_k \text{ (no bias correction)}", direction)
        if hp["bias_correction"] and placement != "book":
            explain.term("v_hat", r"\hat v_k = v_k / (1-\beta_2^k)", exp_avg_sq / (1.0 - beta2_power))
        _explain_step(explain, g, state, hp, effective_lr, beta1_power if hp["bias_correction"] else None)
    return -(effective_lr * direction), AdamState(*moments), effective_lr


MOMENTS_LATEX = (r"m \leftarrow \beta_1 m + (1-\beta_1)\, g \qquad v \leftarrow \beta_2 v + (1-\beta_2)\, g\odot g"
                 r"\qquad ")


def adam_latex(hp) -> str:
    moments = MOMENTS_LATEX
    if not hp.get("bias_correction", True):
        return moments + r"x \leftarrow x - \frac{\eta\, m}{" + root_latex("v", hp) + "}"
    if hp.get("eps_placement") == "book":
        return moments + r"x \leftarrow x - \eta\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,\frac{m}{\sqrt{v}+\epsilon}"
    return moments + (r"\hat m = \frac{m}{1-\beta_1^t},\; \hat v = \frac{v}{1-\beta_2^t} \qquad "
                      r"x \leftarrow x - \frac{\eta\, \hat m}{" + root_latex(r"\hat v", hp) + "}")


def adam_conventions(hp) -> tuple:
    if hp.get("eps_placement") == "book":
        return eps_convention(hp)
    return eps_convention(hp) + ("bias correction on" if hp.get("bias_correction", True) else
                                 "no bias correction (the notes' first form)",)


BETA1 = momentum("beta1", "β₁", "first-moment decay")
BETA2 = decay("beta2", 0.999, "β₂", "second-moment decay")


def _adam_variant(name, title, init, update, step_latex, *, intuition, reference, extra=()) -> Rule:
    """A rule of Adam's family: Adam's moments and hyperparameters (plus ``extra``), its own step."""
    return Rule(name, title, init, update, (lr(0.1), BETA1, BETA2, eps(1e-8), *extra, eps_placement()),
                latex=lambda hp: MOMENTS_LATEX + step_latex(hp), intuition=intuition, reference=reference,
                conventions=eps_convention, adaptive=True)

ADAM = Rule(
    "adam", "Adam", adam_init, adam_update,
    (lr(0.1), BETA1, BETA2, eps(1e-8),
     HyperSpec("bias_correction", True, choices=(True, False), label="bias correction",
               help="divide m, v by (1 − βᵗ)"),
     eps_placement("book")),
    latex=adam_latex,
    intuition="Momentum on the gradient (m) plus RMSProp's per-coordinate scaling (v), with bias correction "
              "because m and v start at zero.",
    reference="Kingma & Ba 2015; cs231n notes",
    conventions=adam_conventions,
    adaptive=True,
)


# --- NAdam ------------------------------------------------------------------------------------


def nadam_update(g, state, x, t, hp, hessian=None, explain=None):
    """NAdam (Dozat 2016, "Incorporating Nesterov Momentum into Adam"), in the form of
    optax.nadam (no momentum-decay schedule):
    m, v as in Adam;  m̂ = beta1·m / (1 − beta1ᵗ⁺¹) + (1 − beta1)·g / (1 − beta1ᵗ);
    v̂ = v / (1 − beta2ᵗ);  x ← x − lr·m̂ / (√v̂ + eps)."""
    beta1 = hp["beta1"]
    exp_avg, exp_avg_sq, beta1_power, beta2_power = moments = _moments(g, state, hp, explain)
    ahead = beta1 * exp_avg / (1.0 - beta1_power * beta1)
    current = (1.0 - beta1) * g / (1.0 - beta1_power)
    corrected_sq = exp_avg_sq / (1.0 - beta2_power)
    effective_lr = hp["lr"] / rsqrt_denominator(corrected_sq, hp["eps"], hp["eps_placement"])
    if explain is not None:
        explain.term("m_hat", r"\hat m_k = \frac{\beta_1 m_k}{1-\beta_1^{k+1}} + \frac{(1-\beta_1) g_k}{1-\beta_1^k}",
                     ahead + current)
        explain.term("v_hat", r"\hat v_k = v_k / (1-\beta_2^k)", corrected_sq)
        explain.term("effective_lr", r"\eta_{\text{eff}}", effective_lr)
        explain.part("momentum", r"-\eta_{\text{eff}}\,\frac{\beta_1 m_k}{1-\beta_1^{k+1}}", -effective_lr * ahead,
                     history=True)
        explain.part("gradient", r"-\eta_{\text{eff}}\,\frac{(1-\beta_1) g_k}{1-\beta_1^k}", -effective_lr * current)
    return -(effective_lr * (ahead + current)), AdamState(*moments), effective_lr


NADAM = _adam_variant(
    "nadam", "NAdam", adam_init, nadam_update,
    lambda hp: (r"\hat m = \frac{\beta_1 m}{1-\beta_1^{t+1}} + \frac{(1-\beta_1)\, g}{1-\beta_1^t} \qquad "
                r"x \leftarrow x - \frac{\eta\, \hat m}{" + root_latex(r"\hat v", hp) + "}"),
    intuition="Adam with a Nesterov-style look-ahead on the momentum term.",
    reference="Dozat 2016, ICLR workshop; optax.nadam",
)


# --- AMSGrad ----------------------------------------------------------------------------------


def amsgrad_update(g, state, x, t, hp, hessian=None, explain=None):
    """AMSGrad (Reddi, Kale & Kumar 2018), with bias correction as in torch.optim.Adam(amsgrad=True):
    m, v as in Adam;  v_max ← max(v_max, v);
    x ← x − lr·(m / (1 − beta1ᵗ)) / (√(v_max / (1 − beta2ᵗ)) + eps)."""
    exp_avg, exp_avg_sq, beta1_power, beta2_power = moments = _moments(g, state, hp, explain)
    max_exp_avg_sq = np.maximum(state.max_exp_avg_sq, exp_avg_sq)
    direction = exp_avg / (1.0 - beta1_power)
    corrected_sq = max_exp_avg_sq / (1.0 - beta2_power)
    effective_lr = hp["lr"] / rsqrt_denominator(corrected_sq, hp["eps"], hp["eps_placement"])
    if explain is not None:
        explain.term("m_hat", r"\hat m_k = m_k / (1-\beta_1^k)", direction)
        explain.term("v_max", r"v^{\max}_k = \max(v^{\max}_{k-1}, v_k)", max_exp_avg_sq)
        explain.term("v_hat", r"\hat v_k = v^{\max}_k / (1-\beta_2^k)", corrected_sq)
        _explain_step(explain, g, state, hp, effective_lr, beta1_power)
    return -(effective_lr * direction), AMSGradState(*moments, max_exp_avg_sq), effective_lr


AMSGRAD = _adam_variant(
    "amsgrad", "AMSGrad", amsgrad_init, amsgrad_update,
    lambda hp: (r"v_{\max} \leftarrow \max(v_{\max}, v) \qquad x \leftarrow x - "
                r"\frac{\eta\, \hat m}{" + root_latex(r"\hat v_{\max}", hp) + "}"),
    intuition="Adam that divides by the largest v seen so far, so a coordinate's step size never grows back.",
    reference="Reddi, Kale & Kumar 2018; torch.optim.Adam(amsgrad=True)",
)


# --- AdamW: Adam, then decoupled weight decay ------------------------------------------------


def adamw_update(g, state, x, t, hp, hessian=None, explain=None):
    """AdamW (Loshchilov & Hutter 2019, decoupled weight decay), as torch.optim.AdamW:
    x ← x − lr·weight_decay·x, then the bias-corrected Adam step:
    x ← x − lr·m̂ / (√v̂ + eps).  The decay pulls toward the origin, so on a surface whose
    minimum is elsewhere the run settles slightly off it."""
    adam_step, new_state, effective_lr = adam_update(g, state, x, t, {**hp, "bias_correction": True}, hessian, explain)
    decay = -hp["lr"] * hp["weight_decay"] * x
    if explain is not None:
        explain.part("weight_decay", r"-\eta\lambda\, x_{k-1}", decay)
    return adam_step + decay, new_state, effective_lr


ADAMW = _adam_variant(
    "adamw", "AdamW", adam_init, adamw_update,
    lambda hp: (r"x \leftarrow x - \eta\,\lambda\, x - \frac{\eta\, \hat m}{" + root_latex(r"\hat v", hp)
                + r"}\quad (\lambda = \text{weight\_decay})"),
    intuition="Adam with weight decay applied to the parameters directly, decoupled from the gradient scaling.",
    reference="Loshchilov & Hutter 2019; torch.optim.AdamW",
    extra=(HyperSpec("weight_decay", 0.01, 0.0, math.inf, True, False,
                     (0.0, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0), True, (1e-4, 1.0),
                     label="weight decay λ", help="decoupled decay"),),
)
