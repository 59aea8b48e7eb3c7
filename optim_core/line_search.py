"""Line searches along a direction p, vectorised over a batch of runs (pure NumPy).

    phi(alpha) = f(x + alpha p),   phi'(alpha) = ∇f(x + alpha p) · p

* ``armijo``: backtracking, alpha ← rho·alpha from alpha_0 until sufficient decrease
      phi(alpha) ≤ phi(0) + c1·alpha·phi'(0)                     (N&W eq. 3.6a, Alg. 3.1);
* ``strong_wolfe``: Nocedal & Wright, *Numerical Optimization* 2nd ed. (2006), Algorithm 3.5
  (bracketing: alpha doubles until an interval is known to hold acceptable steps) and Algorithm 3.6
  (zoom: a safeguarded quadratic, then cubic, interpolation inside it) until, besides sufficient
  decrease, the strong curvature condition  |phi'(alpha)| ≤ c2·|phi'(0)|  (eq. 3.7b) holds.
  The interpolation is scipy's ``scalar_search_wolfe2``'s: the quadratic of phi_lo, phi'_lo, phi_hi
  (N&W eq. 3.57) on the first zoom trial, then the cubic through phi_lo, phi'_lo, phi_hi and the
  previous end point (eq. 3.58's form); a cubic closer than 0.2·|hi − lo| to an end falls back to the
  quadratic, a quadratic closer than 0.1·|hi − lo| to bisection.

Every run of the batch searches at once: one evaluation of f (and, where needed, of ∇f) per trial
for the runs still searching; a run whose search has ended waits, masked, so a sweep over c1 × c2 is
one loop.  At most ``MAX_TRIALS`` trials a step.  What happens when a search fails is fixed here:

* p is not a descent direction (phi'(0) ≥ 0, or not finite) or alpha_0 = 0: no step (alpha = 0),
  status ``"not descent"``; nothing is evaluated;
* Armijo: no sufficient decrease within the budget: no step, status ``"no step"``;
* strong Wolfe: the budget runs out: the trial with the lowest phi among those satisfying sufficient
  decrease is taken (status ``"armijo only"``), or, if there is none, no step (``"no step"``).

Never an exception, never NaN: a trial where f is not finite fails sufficient decrease.

``Probe`` is what the runner hands a searching rule: f and ∇f at trial points, the count of both
per run, and (when asked) every trial: alpha, phi, phi' (NaN where not evaluated) and the condition
it failed (``FAILED``).
"""

from __future__ import annotations

import numpy as np

MAX_TRIALS = 30
# Why a trial was not accepted: codes of Probe's records (-1: no trial).
FAILED = ("none", "armijo", "curvature", "not lower")
ACCEPTED, ARMIJO, CURVATURE, NOT_LOWER = range(4)
# How a step's search ended.
STATUS = ("ok", "armijo only", "no step", "not descent")
OK, ARMIJO_ONLY, NO_STEP, NOT_DESCENT = range(4)
# Zoom's safeguards (scipy's delta1, delta2): distances from the ends, as fractions of |hi - lo|.
CUBIC_MARGIN, QUADRATIC_MARGIN = 0.2, 0.1


def dot(a, b):
    return np.einsum("...i,...i->...", a, b)


def per_run(value):
    """A hyperparameter as one number per run: the runner lays batched values out as (..., d)."""
    return value[..., 0] if isinstance(value, np.ndarray) and value.ndim else value


class Probe:
    """f and ∇f of ``surface`` along search directions, for a batch of runs of shape ``batch_shape``.

    Counts per run (``f_evals``, ``grad_evals``) what an implementation that keeps the values it has
    needs: phi(0) = f(x) is the accepted phi of the previous step, and ∇f at an accepted trial is the
    next step's gradient.  ``record=True`` keeps the trials of the current step (``trials``)."""

    def __init__(self, surface, batch_shape, record=False):
        self.f, self.grad = surface.f, surface.grad
        self.f_evals = np.zeros(batch_shape, dtype=np.int64)
        self.grad_evals = np.ones(batch_shape, dtype=np.int64)  # ∇f(x_0), which the runner takes
        self.f_here = np.full(batch_shape, np.nan)  # f at the current point, where known
        self.grad_known = np.zeros(batch_shape, dtype=bool)  # ∇f at the point just reached is known
        self.record = record
        self.trials = []  # of the current step: (alpha, phi, dphi, failed), each of the batch's shape
        self.phi0 = self.dphi0 = self.status = None  # of the current step

    @staticmethod
    def _evaluate(function, points, mask, trailing=()):
        """function at ``points`` (…, d) where ``mask`` (only there, for a part of the batch); NaN elsewhere."""
        if mask.all():
            return function(points)
        values = np.full(mask.shape + trailing, np.nan)
        if mask.any():
            values[mask] = function(points[mask])
        return values

    def values(self, x, p, alpha, mask):
        """phi(alpha) where ``mask``, counted."""
        self.f_evals += mask
        return self._evaluate(self.f, x + alpha[..., None] * p, mask)

    def slopes(self, x, p, alpha, mask):
        """phi'(alpha) where ``mask``, counted."""
        if not mask.any():
            return np.full(mask.shape, np.nan)
        self.grad_evals += mask
        return dot(self._evaluate(self.grad, x + alpha[..., None] * p, mask, p.shape[-1:]), p)

    def value_here(self, x, mask):
        """phi(0) = f(x) where ``mask``: kept from the step that reached x, else evaluated."""
        missing = mask & np.isnan(self.f_here)
        if missing.any():
            self.f_evals += missing
            self.f_here = np.where(missing, self._evaluate(self.f, x, missing), self.f_here)
        return self.f_here

    def trial(self, alpha, phi, dphi, failed, mask):
        if self.record:
            self.trials.append((np.where(mask, alpha, np.nan), np.where(mask, phi, np.nan),
                                np.where(mask, dphi, np.nan), np.where(mask, failed, -1).astype(np.int8)))

    def moved(self, alpha, phi, grad_known):
        """The step is taken: f at the new point is phi; ∇f there is known where ``grad_known`` (or no move)."""
        self.f_here = np.where(alpha > 0, phi, self.f_here)
        self.grad_known = grad_known | ~(alpha > 0)

    def next_step(self):
        """After an update: the runner takes ∇f at the new point (counted unless the search had it)."""
        self.grad_evals += ~self.grad_known
        self.grad_known = np.zeros_like(self.grad_known)
        self.trials = []


def step_length(probe: Probe, x, p, g, hp):
    """The alpha of x + alpha p by ``hp["line_search"]`` ("armijo" or "wolfe") from alpha_0 = lr, with
    c1, c2, backtrack (ρ) from ``hp``; returns (alpha, status), one per run.  phi'(0) = g·p with the g the update
    was given (the exact ∇f(x) unless the run adds noise)."""
    with np.errstate(all="ignore"):
        dphi0 = dot(g, p)
        alpha0 = np.broadcast_to(np.asarray(per_run(hp["lr"]), dtype=float), dphi0.shape)
        searching = np.isfinite(dphi0) & (dphi0 < 0) & (alpha0 > 0) & np.isfinite(p).all(axis=-1)
        phi0 = probe.value_here(x, searching)
        if probe.record:
            probe.phi0, probe.dphi0 = np.where(searching, phi0, np.nan), np.where(searching, dphi0, np.nan)
        if hp["line_search"] == "armijo":
            alpha, phi, status = armijo(probe, x, p, phi0, dphi0, alpha0, per_run(hp["c1"]), per_run(hp["backtrack"]),
                                        searching)
            grad_known = np.zeros_like(searching)
        else:
            alpha, phi, status, grad_known = strong_wolfe(probe, x, p, phi0, dphi0, alpha0, per_run(hp["c1"]),
                                                          per_run(hp["c2"]), searching)
        status = np.where(searching, status, NOT_DESCENT)
        probe.moved(alpha, phi, grad_known)
        probe.status = status
    return alpha, status


# --- Armijo backtracking (N&W Algorithm 3.1) ---------------------------------------------------------


def armijo(probe, x, p, phi0, dphi0, alpha0, c1, rho, searching):
    """alpha ← rho·alpha from alpha_0 until phi(alpha) ≤ phi(0) + c1·alpha·phi'(0), at most MAX_TRIALS
    trials; the runs in ``searching`` only.  Returns (alpha, phi(alpha), status); no step where none
    was found."""
    alpha = np.array(np.broadcast_to(alpha0, phi0.shape), dtype=float)
    phi_star = np.array(phi0, dtype=float)
    found = np.zeros(phi0.shape, dtype=bool)
    active = searching.copy()
    for _ in range(MAX_TRIALS):
        if not active.any():
            break
        phi = probe.values(x, p, alpha, active)
        sufficient = np.isfinite(phi) & (phi <= phi0 + c1 * alpha * dphi0)  # f must be finite there
        probe.trial(alpha, phi, np.nan, np.where(sufficient, ACCEPTED, ARMIJO), active)
        accepted = active & sufficient
        phi_star = np.where(accepted, phi, phi_star)
        found |= accepted
        active &= ~sufficient
        alpha = np.where(active, rho * alpha, alpha)
    return np.where(found, alpha, 0.0), phi_star, np.where(found, OK, NO_STEP)


# --- strong Wolfe (N&W Algorithms 3.5 and 3.6) -------------------------------------------------------

BRACKET, ZOOM, DONE = 0, 1, 2


class _Wolfe:
    """Where each run's search stands: its phase, Alg. 3.5's previous trial (alpha_{i-1}), Alg. 3.6's
    interval (lo: the best point so far, with its slope; hi: the other end; rec: the end replaced
    last, for the cubic), the best trial satisfying sufficient decrease, and the result."""

    def __init__(self, phi0, dphi0, alpha0, searching):
        shape = phi0.shape
        self.phase = np.where(searching, BRACKET, DONE)
        self.a_cur = np.array(np.broadcast_to(alpha0, shape), dtype=float)  # alpha_i, the next bracketing trial
        self.a_prev, self.phi_prev, self.dphi_prev = np.zeros(shape), phi0.copy(), dphi0.copy()  # alpha_0 = 0
        self.lo, self.phi_lo, self.dphi_lo = np.zeros(shape), phi0.copy(), dphi0.copy()
        self.hi, self.phi_hi = np.zeros(shape), phi0.copy()
        self.rec, self.phi_rec = np.zeros(shape), phi0.copy()
        self.zooms = np.zeros(shape, dtype=int)  # trials made in zoom
        self.best, self.phi_best = np.zeros(shape), np.full(shape, np.inf)
        self.alpha, self.phi, self.status = np.zeros(shape), phi0.copy(), np.full(shape, NO_STEP)
        self.grad_known = np.zeros(shape, dtype=bool)


def strong_wolfe(probe, x, p, phi0, dphi0, alpha0, c1, c2, searching):
    """N&W Algorithm 3.5 for the runs in ``searching``: trial alpha_i (alpha_1 = alpha_0, then doubling)
    until phi(alpha_i) fails sufficient decrease or is no lower than phi(alpha_{i-1}) (then
    zoom(alpha_{i-1}, alpha_i)), satisfies the strong curvature condition (accepted), or slopes upward
    (then zoom(alpha_i, alpha_{i-1})); in zoom, Algorithm 3.6.  Returns (alpha, phi(alpha), status,
    whether ∇f at the accepted point was evaluated)."""
    s = _Wolfe(phi0, dphi0, alpha0, searching)
    for trial in range(MAX_TRIALS):
        active = s.phase != DONE
        if not active.any():
            break
        zooming = s.phase == ZOOM
        alpha = np.where(zooming, _interpolate(s), s.a_cur)
        phi = probe.values(x, p, alpha, active)
        sufficient = np.isfinite(phi) & (phi <= phi0 + c1 * alpha * dphi0)  # (3.7a), f finite there
        # no lower than the previous trial (3.5, from its second trial on) or than phi_lo (3.6)
        not_lower = sufficient & (phi >= np.where(zooming, s.phi_lo, s.phi_prev)) & (zooming | (trial > 0))
        shrink = active & ~(sufficient & ~not_lower)
        dphi = probe.slopes(x, p, alpha, active & ~shrink)
        curvature = np.abs(dphi) <= -c2 * dphi0  # (3.7b), the strong form; False where not evaluated
        accepted = active & ~shrink & curvature
        failed = np.select([~sufficient, not_lower, ~curvature], [ARMIJO, NOT_LOWER, CURVATURE], ACCEPTED)
        probe.trial(alpha, phi, dphi, failed, active)
        better = active & sufficient & (phi < s.phi_best)
        s.best, s.phi_best = np.where(better, alpha, s.best), np.where(better, phi, s.phi_best)
        s.alpha, s.phi = np.where(accepted, alpha, s.alpha), np.where(accepted, phi, s.phi)
        s.status, s.grad_known = np.where(accepted, OK, s.status), s.grad_known | accepted
        rest = active & ~accepted
        _bracket(s, alpha, phi, dphi, rest & ~zooming, shrink)
        _zoom(s, alpha, phi, dphi, rest & zooming, shrink)
        s.phase = np.where(accepted, DONE, s.phase)
    unfinished = s.phase != DONE  # the budget ran out: the best trial with sufficient decrease, or no step
    fallback = unfinished & np.isfinite(s.phi_best)
    s.alpha, s.phi = np.where(fallback, s.best, s.alpha), np.where(fallback, s.phi_best, s.phi)
    s.status = np.where(fallback, ARMIJO_ONLY, s.status)
    return s.alpha, s.phi, s.status, s.grad_known


def _bracket(s: _Wolfe, alpha, phi, dphi, rows, shrink):
    """Algorithm 3.5 after its trial alpha_i, for the bracketing runs ``rows`` not accepted."""
    to_zoom = rows & shrink  # zoom(alpha_{i-1}, alpha_i)
    upward = rows & ~shrink & (dphi >= 0)  # zoom(alpha_i, alpha_{i-1})
    onward = rows & ~shrink & ~(dphi >= 0)  # alpha_{i+1} = 2 alpha_i
    entering = to_zoom | upward  # (rec, phi_rec) are still (0, phi(0)): zoom starts as scipy's does
    s.lo = np.select([to_zoom, upward], [s.a_prev, alpha], s.lo)
    s.phi_lo = np.select([to_zoom, upward], [s.phi_prev, phi], s.phi_lo)
    s.dphi_lo = np.select([to_zoom, upward], [s.dphi_prev, dphi], s.dphi_lo)
    s.hi = np.select([to_zoom, upward], [alpha, s.a_prev], s.hi)
    s.phi_hi = np.select([to_zoom, upward], [phi, s.phi_prev], s.phi_hi)
    s.zooms = np.where(entering, 0, s.zooms)
    s.phase = np.where(entering, ZOOM, s.phase)
    s.a_prev = np.where(onward, alpha, s.a_prev)
    s.phi_prev, s.dphi_prev = np.where(onward, phi, s.phi_prev), np.where(onward, dphi, s.dphi_prev)
    s.a_cur = np.where(onward, 2.0 * alpha, s.a_cur)


def _zoom(s: _Wolfe, alpha, phi, dphi, rows, shrink):
    """Algorithm 3.6 after its trial alpha_j, for the zooming runs ``rows`` not accepted: alpha_j
    replaces hi when it fails sufficient decrease or is no lower than phi_lo; otherwise it becomes lo
    (and the old lo becomes hi where phi'(alpha_j)(hi − lo) ≥ 0)."""
    high = rows & shrink
    low = rows & ~shrink
    swap = low & (dphi * (s.hi - s.lo) >= 0)
    keep = low & ~swap
    s.rec = np.select([high | swap, keep], [s.hi, s.lo], s.rec)
    s.phi_rec = np.select([high | swap, keep], [s.phi_hi, s.phi_lo], s.phi_rec)
    s.hi = np.select([high, swap], [alpha, s.lo], s.hi)
    s.phi_hi = np.select([high, swap], [phi, s.phi_lo], s.phi_hi)
    s.lo, s.phi_lo, s.dphi_lo = (np.where(low, new, old) for new, old in
                                 ((alpha, s.lo), (phi, s.phi_lo), (dphi, s.dphi_lo)))
    s.zooms = np.where(rows, s.zooms + 1, s.zooms)


def _interpolate(s: _Wolfe):
    """Zoom's trial inside [lo, hi]: the cubic (from the second zoom trial on) unless within
    CUBIC_MARGIN·|hi − lo| of an end or undefined, then the quadratic unless within
    QUADRATIC_MARGIN·|hi − lo| of an end or undefined, then the midpoint."""
    width = s.hi - s.lo
    left, right = np.minimum(s.lo, s.hi), np.maximum(s.lo, s.hi)

    def inside(candidate, margin):
        return np.isfinite(candidate) & (candidate >= left + margin * np.abs(width)) & \
            (candidate <= right - margin * np.abs(width))

    cubic = _cubic_minimiser(s.lo, s.phi_lo, s.dphi_lo, s.hi, s.phi_hi, s.rec, s.phi_rec)
    quadratic = _quadratic_minimiser(s.lo, s.phi_lo, s.dphi_lo, s.hi, s.phi_hi)
    return np.select([(s.zooms > 0) & inside(cubic, CUBIC_MARGIN), inside(quadratic, QUADRATIC_MARGIN)],
                     [cubic, quadratic], s.lo + 0.5 * width)


def _quadratic_minimiser(a, fa, dfa, b, fb):
    """The minimiser of the quadratic with value fa and slope dfa at a and value fb at b (N&W eq. 3.57)."""
    db = b - a
    curvature = (fb - fa - dfa * db) / (db * db)
    return a - dfa / (2.0 * curvature)


def _cubic_minimiser(a, fa, dfa, b, fb, c, fc):
    """The local minimiser of the cubic with value fa and slope dfa at a and values fb at b, fc at c
    (the form of N&W eq. 3.58, with a in place of 0); NaN or ±inf where there is none."""
    db, dc = b - a, c - a
    rb, rc = fb - fa - dfa * db, fc - fa - dfa * dc  # what the linear part leaves at b and c
    denominator = (db * dc) ** 2 * (db - dc)
    cubic = (dc * dc * rb - db * db * rc) / denominator
    quadratic = (-dc ** 3 * rb + db ** 3 * rc) / denominator
    return a + (-quadratic + np.sqrt(quadratic * quadratic - 3.0 * cubic * dfa)) / (3.0 * cubic)
