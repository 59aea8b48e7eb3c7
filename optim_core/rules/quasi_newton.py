"""Quasi-Newton: BFGS and L-BFGS (cs231n "Neural Networks 3", second-order methods; Nocedal & Wright
2006, ch. 6 and 7).  Both build the curvature Newton needs from the gradients alone: each step
x_k − x_{k−1} = s and the change of gradient g_k − g_{k−1} = y it caused give one secant condition
H y = s on the inverse-Hessian approximation H.

The pair of a step is known once the next gradient is: update k first takes in the pair of update
k − 1, then steps along p = −H g with a line search (``optim_core.line_search``; strong Wolfe by
default, which keeps yᵀs > 0).  A pair with yᵀs ≤ ε‖s‖‖y‖ (curvature not positive, or no step) is
skipped and marked (``skipped``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import (HyperSpec, Rule, SEARCHING, line_search_conventions, line_search_hyper, lr, searched_step,
                    step_latex)

REFERENCE = "Nocedal & Wright, Numerical Optimization, 2nd ed. (2006), ch. 6–7; cs231n notes, second-order methods"
# A pair is used when yᵀs > CURVATURE_FLOOR·‖s‖‖y‖: its curvature along s is positive beyond rounding.
CURVATURE_FLOOR = np.finfo(float).eps
# L-BFGS keeps at most this many pairs (its state is (..., MEMORY, d)); the hyperparameter m ≤ MEMORY.
MEMORY = 20


def _dot(a, b):
    return np.einsum("...i,...i->...", a, b)


def _matvec(matrix, vector):
    return np.einsum("...ij,...j->...i", matrix, vector)


def _pair(g, state, t):
    """(s, y, usable) of the previous update: s its step, y = g − the gradient it used."""
    s, y = state.step, g - state.grad_prev
    ys = _dot(y, s)
    usable = (ys > CURVATURE_FLOOR * np.sqrt(_dot(s, s) * _dot(y, y))) & (t > 1)
    return s, y, usable


def _explain_pair(explain, s, y, usable):
    if explain is not None:
        explain.term("s", r"s_{k-1} = x_{k-1} - x_{k-2}", s)
        explain.term("y", r"y_{k-1} = g_k - g_{k-1}", y)
        explain.term("skipped", r"y_{k-1}^\top s_{k-1} \le 0", np.where(usable, 0.0, 1.0))


# --- BFGS --------------------------------------------------------------------------------------------


class BFGSState(NamedTuple):
    inv_hessian: np.ndarray  # H_k (..., d, d): the inverse-Hessian approximation the latest step used
    step: np.ndarray  # s = Δx of the latest step
    grad_prev: np.ndarray  # the gradient the latest step used
    skipped: np.ndarray  # (...,) 1 where the latest update of H was skipped (yᵀs not > 0), else 0
    updates: np.ndarray  # (...,) how many updates H has had (0: H₀ is still to be scaled, eq. 6.20)


def bfgs_init(x):
    batch, d = x.shape[:-1], x.shape[-1]
    return BFGSState(np.array(np.broadcast_to(np.eye(d), batch + (d, d))), np.zeros_like(x), np.zeros_like(x),
                     np.zeros(batch), np.zeros(batch))


def bfgs_inverse_update(H, s, y, usable, first):
    """N&W eq. 6.17, H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ with ρ = 1/(yᵀs), where ``usable``;
    where ``first`` too, H is first replaced by (yᵀs / yᵀy)·I (eq. 6.20)."""
    ys, yy = _dot(y, s), _dot(y, y)
    eye = np.eye(s.shape[-1])
    scaled = np.where((usable & first)[..., None, None], (ys / np.where(usable, yy, 1.0))[..., None, None] * eye, H)
    rho = np.where(usable, 1.0 / np.where(usable, ys, 1.0), 0.0)[..., None, None]
    left = eye - rho * (s[..., :, None] * y[..., None, :])
    updated = left @ scaled @ np.swapaxes(left, -1, -2) + rho * (s[..., :, None] * s[..., None, :])
    return np.where(usable[..., None, None], updated, H)


def bfgs_update(g, state, x, t, hp, hessian=None, explain=None, surface=None):
    """BFGS (N&W Alg. 6.1): take in the previous pair (s, y), H ← (I − ρsyᵀ)H(I − ρysᵀ) + ρssᵀ (skipped
    where yᵀs ≤ ε‖s‖‖y‖; H₀ = I, scaled to (yᵀs/yᵀy)·I before the first update), then p = −H g and
    x ← x + α·p, α by the line search from α₀ = lr (α = lr without one)."""
    s, y, usable = _pair(g, state, t)
    H = bfgs_inverse_update(state.inv_hessian, s, y, usable, state.updates == 0)
    p = -_matvec(H, g)
    _explain_pair(explain, s, y, usable)
    if explain is not None:
        explain.term("inv_hessian", r"H_k", H)
    delta, alpha = searched_step(p, g, x, hp, surface, explain, "quasi_newton", r"-\alpha_k H_k g_k")
    new_state = BFGSState(H, delta, g, np.where(usable | (t == 1), 0.0, 1.0), state.updates + usable)
    return delta, new_state, alpha


def _quasi_newton_latex(update: str, matrix: str, hp) -> str:
    """``update`` of the inverse-Hessian approximation ``matrix``, then the step along −matrix·g."""
    return update + step_latex(r"x \leftarrow x - \eta\, " + matrix + " g", "-" + matrix + " g")(hp)


def bfgs_latex(hp) -> str:
    return _quasi_newton_latex(r"\rho = \frac{1}{y^\top s},\; H \leftarrow (I - \rho\, s y^\top)\, H\, "
                               r"(I - \rho\, y s^\top) + \rho\, s s^\top \qquad ", "H", hp)


def quasi_newton_hyper(*extra) -> tuple:
    return (lr(1.0)._replace(label="learning rate η (first trial step α₀)",
                             help="the line search's first trial step; the step length itself without a search"),
            *extra, *line_search_hyper("wolfe"))


BFGS = Rule(
    "bfgs", "BFGS", bfgs_init, bfgs_update, quasi_newton_hyper(),
    latex=bfgs_latex,
    intuition="Newton without the Hessian: it builds the curvature from how the gradient changes from step "
              "to step, so its steps learn the shape of the valley.",
    reference=REFERENCE,
    conventions=lambda hp: ("H₀ = I for the first step, scaled to (yᵀs / yᵀy)·I just before the first update "
                            "(Nocedal & Wright eq. 6.20)",
                            "update skipped (and marked) where yᵀs ≤ ε‖s‖‖y‖: no positive curvature",
                            *line_search_conventions(hp)),
    **SEARCHING,
)


# --- L-BFGS ------------------------------------------------------------------------------------------


class LBFGSState(NamedTuple):
    s_history: np.ndarray  # (..., MEMORY, d): the latest steps s_i, the newest last; empty rows are 0
    y_history: np.ndarray  # (..., MEMORY, d): their gradient changes y_i
    step: np.ndarray  # s = Δx of the latest step
    grad_prev: np.ndarray  # the gradient the latest step used
    skipped: np.ndarray  # (...,) 1 where the latest pair was not stored (yᵀs not > 0), else 0


def lbfgs_init(x):
    batch, d = x.shape[:-1], x.shape[-1]
    history = np.zeros(batch + (MEMORY, d))
    return LBFGSState(history, history.copy(), np.zeros_like(x), np.zeros_like(x), np.zeros(batch))


def two_loop(g, s_history, y_history, m):
    """H_k g by N&W Algorithm 7.4 over the newest m pairs, with H_k⁰ = γ_k I, γ_k = sᵀy / yᵀy of the
    newest pair (eq. 7.20; 1 without a pair).  Returns (H_k g, γ_k)."""
    ys = _dot(y_history, s_history)
    slots = np.arange(MEMORY)
    used = (slots >= MEMORY - np.asarray(m)[..., None]) & (ys > 0)
    rho = np.where(used, 1.0 / np.where(used, ys, 1.0), 0.0)
    newest_yy = _dot(y_history[..., -1, :], y_history[..., -1, :])
    gamma = np.where(used[..., -1], ys[..., -1] / np.where(used[..., -1], newest_yy, 1.0), 1.0)
    oldest = MEMORY - int(min(MEMORY, max(1, np.max(m))))
    q, alphas = g, {}
    for i in range(MEMORY - 1, oldest - 1, -1):  # newest to oldest
        alphas[i] = rho[..., i] * _dot(s_history[..., i, :], q)
        q = q - alphas[i][..., None] * y_history[..., i, :]
    r = gamma[..., None] * q
    for i in range(oldest, MEMORY):  # oldest to newest
        beta = rho[..., i] * _dot(y_history[..., i, :], r)
        r = r + s_history[..., i, :] * (alphas[i] - beta)[..., None]
    return r, gamma


def implied_inverse_hessian(s_history, y_history, m) -> np.ndarray:
    """The matrix H_k the two-loop recursion applies (..., d, d): its columns are H_k e_j."""
    shape = s_history.shape[:-2] + s_history.shape[-1:]
    columns = [two_loop(np.broadcast_to(unit, shape), s_history, y_history, m)[0] for unit in np.eye(shape[-1])]
    return np.stack(columns, axis=-1)


def lbfgs_update(g, state, x, t, hp, hessian=None, explain=None, surface=None):
    """L-BFGS (N&W Alg. 7.5): store the previous pair (s, y) (not where yᵀs ≤ ε‖s‖‖y‖), p = −H_k g by
    the two-loop recursion over the newest m pairs (m rounded down) with H_k⁰ = γ_k I, then x ← x + α·p,
    α by the line search from α₀ = lr (α = lr without one)."""
    s, y, usable = _pair(g, state, t)
    keep = usable[..., None, None]
    s_history = np.where(keep, np.concatenate([state.s_history[..., 1:, :], s[..., None, :]], axis=-2),
                         state.s_history)
    y_history = np.where(keep, np.concatenate([state.y_history[..., 1:, :], y[..., None, :]], axis=-2),
                         state.y_history)
    m = np.floor(_per_run(hp["m"]))
    hg, gamma = two_loop(g, s_history, y_history, m)
    _explain_pair(explain, s, y, usable)
    if explain is not None:
        explain.term("gamma", r"\gamma_k = \frac{s^\top y}{y^\top y}", gamma)
        explain.term("inv_hessian", r"H_k", implied_inverse_hessian(s_history, y_history, m))
    delta, alpha = searched_step(-hg, g, x, hp, surface, explain, "quasi_newton", r"-\alpha_k H_k g_k")
    return delta, LBFGSState(s_history, y_history, delta, g, np.where(usable | (t == 1), 0.0, 1.0)), alpha


def _per_run(value):
    return value[..., 0] if isinstance(value, np.ndarray) and value.ndim else value


def lbfgs_latex(hp) -> str:
    return _quasi_newton_latex(r"H_k^0 = \gamma_k I,\ \gamma_k = \frac{s_{k-1}^\top y_{k-1}}{y_{k-1}^\top y_{k-1}},\; "
                               r"H_k g = \text{two-loop}\big(g;\ (s_i, y_i)_{i=k-m}^{k-1}\big) \qquad ", "H_k", hp)


LBFGS = Rule(
    "lbfgs", "L-BFGS", lbfgs_init, lbfgs_update,
    quasi_newton_hyper(HyperSpec("m", 10.0, 1.0, float(MEMORY), True, True,
                                 (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 12.0, 15.0, 20.0), False, (1.0, 20.0),
                                 label="memory m", help="how many of the latest (s, y) pairs shape the curvature")),
    latex=lbfgs_latex,
    intuition="BFGS that keeps only the last m steps and gradient changes instead of a whole matrix; it works "
              "very well in full-batch, deterministic mode, as on these surfaces.",
    reference=REFERENCE,
    conventions=lambda hp: ("H₀ᵏ = γₖI with γₖ = sᵀy / yᵀy of the newest pair (Nocedal & Wright eq. 7.20); "
                            "I before the first pair",
                            "the newest m pairs (m rounded down, at most 20); a pair with yᵀs ≤ ε‖s‖‖y‖ is not "
                            "stored",
                            *line_search_conventions(hp)),
    **SEARCHING,
)
