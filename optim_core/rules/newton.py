"""Second order: Newton's method (cs231n "Neural Networks 3", second-order methods)."""

from __future__ import annotations

import numpy as np

from ._base import (Rule, SEARCHING, line_search_conventions, line_search_hyper, lr, searched_step, searches,
                    step_latex)
from .plain import stateless_init


def newton_direction(hessian, g):
    """H⁻¹g for (..., 2, 2) Hessians, in closed form; the Moore–Penrose pseudo-inverse where H is
    singular (|det H| ≤ 1e-12·‖H‖²_F), so the step moves only along directions of nonzero curvature."""
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
    return solved


def newton_update(g, state, x, t, hp, hessian=None, explain=None, surface=None):
    """Newton's method (cs231n "second order methods"): x ← x − lr·H⁻¹g.

    It never raises: at a zero Hessian Newton stands still.  On a saddle Newton is attracted to the
    saddle, because it jumps to the stationary point of the local quadratic model, whatever its kind.
    With ``line_search`` "armijo" or "wolfe" (damped Newton): p = −H⁻¹g, x ← x + α·p with α searched
    from α₀ = lr; where p is not a descent direction (H not positive definite) no step is taken.
    """
    direction = newton_direction(hessian, g)
    if explain is not None:
        explain.term("hessian", r"H = \nabla^2 f(x_{k-1})", hessian)
        explain.term("newton_direction", r"H^{-1} g_k", direction)
    if surface is None and (explain is None or not searches(hp)):
        delta = -hp["lr"] * direction
        if explain is not None:
            explain.part("newton", r"-\eta\, H^{-1} g_k", delta)
        return delta, state, hp["lr"]
    delta, alpha = searched_step(-direction, g, x, hp, surface, explain, "newton", r"-\alpha_k\, H^{-1} g_k")
    return delta, state, alpha


NEWTON = Rule(
    "newton", "Newton", stateless_init, newton_update, (lr(1.0), *line_search_hyper("none")),
    latex=step_latex(r"x \leftarrow x - \eta\, H^{-1} g", r"-H^{-1} g"),
    intuition="Jumps to the minimum of the local quadratic model: one step on a quadratic bowl, but it heads "
              "for any stationary point, saddles included.",
    reference="cs231n notes, second-order methods; line search: Nocedal & Wright 2006 ch. 3",
    conventions=lambda hp: ("singular Hessian: pseudo-inverse, no step along zero curvature",
                            *line_search_conventions(hp)),
    needs_hessian=True,
    **SEARCHING,
    # with the exact Hessian of a quadratic the error shrinks by |1 − lr| a step, whatever λ is
    lr_limit=lambda hp, lambda_max: None if searches(hp) else 2.0,
    lr_limit_text="2",
)
