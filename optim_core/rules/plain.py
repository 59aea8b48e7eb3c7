"""Gradient descent and its momentum forms (cs231n "Neural Networks 3"; the book's ch. 6)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import (HyperSpec, Rule, SEARCHING, line_search_conventions, line_search_hyper, lr, momentum,
                    searched_step, searches, step_latex)

NOTES = "cs231n notes; Deep Learning from Scratch ch. 6"


class EmptyState(NamedTuple):
    pass


def stateless_init(x):
    return EmptyState()


# --- SGD --------------------------------------------------------------------------------------


def sgd_update(g, state, x, t, hp, hessian=None, explain=None, surface=None):
    """Vanilla update (cs231n; the book's ``SGD`` class): x ← x − lr·g.

    With ``line_search`` "armijo" or "wolfe", steepest descent with a line search: p = −g and
    x ← x + α·p, α searched from α₀ = lr along p (``optim_core.line_search``) when the runner hands over
    its ``surface`` probe; without one α = lr (a recorded run's lr is the α it accepted)."""
    if surface is None and (explain is None or not searches(hp)):
        rate = hp["lr"]
        delta = -rate * g
        if explain is not None:
            explain.part("gradient", r"-\eta\, g_k", delta)
        return delta, state, rate
    delta, alpha = searched_step(-g, g, x, hp, surface, explain, "gradient", r"-\alpha_k\, g_k")
    return delta, state, alpha


SGD = Rule(
    "sgd", "SGD", stateless_init, sgd_update, (lr(0.1), *line_search_hyper("none")),
    latex=step_latex(r"x \leftarrow x - \eta\, g", "-g"),
    intuition="Steps straight down the gradient; on a long, narrow bowl the gradient does not point at the "
              "minimum, so the path zig-zags across the valley, as in the book's figure.",
    reference="cs231n notes; Deep Learning from Scratch ch. 6; line search: Nocedal & Wright 2006 ch. 3",
    conventions=line_search_conventions,
    **SEARCHING,
    # x ← (1 − lr·λ)x shrinks iff |1 − lr·λ| < 1; with a line search lr is only the first trial: no limit
    lr_limit=lambda hp, lambda_max: None if searches(hp) else 2.0 / lambda_max,
    lr_limit_text="2/λmax",
)


# --- Momentum ---------------------------------------------------------------------------------


class MomentumState(NamedTuple):
    momentum_buffer: np.ndarray  # v, the velocity; starts at 0


def momentum_init(x):
    return MomentumState(np.zeros_like(x))


def _velocity(g, state, hp, explain):
    """v ← mu·v − lr·g, as its two parts: the remembered velocity and the new gradient step."""
    rate, mu = hp["lr"], hp["mu"]
    remembered, pushed = mu * state.momentum_buffer, -rate * g
    velocity = remembered + pushed
    if explain is not None:
        explain.term("mu", r"\mu", mu)
        explain.term("v_prev", r"v_{k-1}", state.momentum_buffer)
        explain.term("v", r"v_k = \mu v_{k-1} - \eta\, g_k", velocity)
    return velocity, remembered, pushed


def momentum_update(g, state, x, t, hp, hessian=None, explain=None):
    """Momentum (cs231n; the book's ``Momentum`` class): v ← mu·v − lr·g;  x ← x + v."""
    velocity, remembered, pushed = _velocity(g, state, hp, explain)
    if explain is not None:
        explain.part("momentum", r"\mu v_{k-1}", remembered, history=True)
        explain.part("gradient", r"-\eta\, g_k", pushed)
    return velocity, MomentumState(velocity), hp["lr"]


MU = momentum("mu", "momentum μ", "momentum (friction) coefficient")

MOMENTUM = Rule(
    "momentum", "Momentum", momentum_init, momentum_update, (lr(0.1), MU),
    latex=lambda hp: r"v \leftarrow \mu v - \eta\, g \qquad x \leftarrow x + v",
    intuition="A ball rolling in the bowl: the velocity keeps what agrees from step to step (the long, gentle "
              "direction) and cancels what flips sign (the steep one); mu acts like friction.",
    reference="Polyak 1964; cs231n notes",
    # heavy ball on λ: z² − (1 + mu − lr·λ)z + mu = 0 has both roots inside the unit circle iff lr·λ < 2(1 + mu)
    lr_limit=lambda hp, lambda_max: 2.0 * (1.0 + hp["mu"]) / lambda_max,
    lr_limit_text="2(1+μ)/λmax",
)


# --- Nesterov ---------------------------------------------------------------------------------


def nesterov_grad_point(x, state, hp):
    """The look-ahead point x + mu·v at which the look-ahead form takes the gradient."""
    if hp["form"] == "lookahead":
        return x + hp["mu"] * state.momentum_buffer
    return x


def nesterov_update(g, state, x, t, hp, hessian=None, explain=None):
    """Nesterov momentum, in either of the notes' two forms.

    ``form="lookahead"`` (Sutskever's thesis §7.2): g is taken at x_ahead = x + mu·v, then
        v ← mu·v − lr·g;  x ← x + v.
    ``form="reformulated"`` (the notes' "通过变换写成下面的形式"; PyTorch's): g is taken at x, and
        v_prev = v;  v ← mu·v − lr·g;  x ← x − mu·v_prev + (1 + mu)·v
                                        = x + mu²·v_prev − (1 + mu)·lr·g.
    With a constant mu the reformulated iterate is the look-ahead point of the first form.
    """
    mu = hp["mu"]
    velocity, remembered, pushed = _velocity(g, state, hp, explain)
    if hp["form"] == "lookahead":
        delta, history, current = velocity, remembered, pushed
    else:
        history, current = mu * remembered, (1.0 + mu) * pushed
        delta = history + current
    if explain is not None:
        lookahead = hp["form"] == "lookahead"
        explain.part("momentum", r"\mu v_{k-1}" if lookahead else r"\mu^2 v_{k-1}", history,
                     history=True)
        explain.part("gradient", r"-\eta\, g_k" if lookahead else r"-(1+\mu)\,\eta\, g_k", current)
    return delta, MomentumState(velocity), hp["lr"]


def nesterov_latex(hp) -> str:
    if hp.get("form") == "reformulated":
        return (r"v_{\text{prev}} = v,\; v \leftarrow \mu v - \eta\, g(x) \qquad "
                r"x \leftarrow x - \mu v_{\text{prev}} + (1+\mu)\, v")
    return r"v \leftarrow \mu v - \eta\, g(x + \mu v) \qquad x \leftarrow x + v"


NESTEROV = Rule(
    "nesterov", "Nesterov", momentum_init, nesterov_update,
    (lr(0.1), MU, HyperSpec("form", "lookahead", choices=("lookahead", "reformulated"), label="Nesterov form",
                            help="where the gradient is taken")),
    latex=nesterov_latex,
    intuition="Momentum that looks ahead: the gradient is taken where the velocity is about to carry the "
              "point, so it brakes before overshooting.",
    reference="Nesterov 1983; Sutskever 2013 thesis §7.2; cs231n notes",
    conventions=lambda hp: ("look-ahead form (gradient at x + mu·v)" if hp.get("form") == "lookahead" else
                            "the notes' reformulated form (PyTorch's); its x is the look-ahead point",),
    grad_point=nesterov_grad_point,
    # on λ with h = lr·λ: z² − (1 + mu)(1 − h)z + mu(1 − h) = 0; Jury's conditions give h < 2(1 + mu)/(1 + 2mu)
    # (both forms: the reformulated iterate is the look-ahead point of the same sequence)
    lr_limit=lambda hp, lambda_max: 2.0 * (1.0 + hp["mu"]) / ((1.0 + 2.0 * hp["mu"]) * lambda_max),
    lr_limit_text="2(1+μ)/((1+2μ)λmax)",
    grad_point_label=r"x_{k-1} + \mu v_{k-1}",
)
