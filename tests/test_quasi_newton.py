"""BFGS and L-BFGS (optim_core/rules/quasi_newton.py): against scipy's BFGS and L-BFGS-B on Rosenbrock,
quadratic termination with an exact line search (N&W Thm 6.4), the update written out here, the skipped
update, the two-loop recursion against the matrix form, L-BFGS = BFGS while it remembers everything,
and batches."""

import numpy as np
import pytest
import scipy.optimize

import optim_core
import surfaces
from optim_core import analysis
from optim_core import line_search as ls
from optim_core.rules import quasi_newton as qn

ROSENBROCK = surfaces.get("rosenbrock")
START = (-1.2, 1.0)


def scipy_iterations_to(method, tol, **options):
    """scipy's iterations until ‖∇f‖ ≤ tol (2-norm, the runner's test), counted on its iterates."""
    norms = []
    scipy.optimize.minimize(lambda z: float(ROSENBROCK.f(z)), START, jac=ROSENBROCK.grad, method=method,
                            options=options, callback=lambda z: norms.append(np.linalg.norm(ROSENBROCK.grad(z))))
    reached = [k + 1 for k, norm in enumerate(norms) if norm <= tol]
    assert reached, f"scipy's {method} did not reach ‖∇f‖ ≤ {tol}"
    return reached[0]


@pytest.mark.parametrize("name, method, options", [
    ("bfgs", "BFGS", dict(gtol=1e-12, norm=2, maxiter=1000)),
    ("lbfgs", "L-BFGS-B", dict(gtol=1e-12, ftol=0.0, maxcor=10, maxiter=1000)),
])
def test_rosenbrock_from_the_classic_start_in_as_many_iterations_as_scipy(name, method, options):
    """To ‖∇f‖ ≤ 1e-8 (then ‖x − (1, 1)‖ ≤ 1e-7 and f ≤ 1e-8) within ±30 % of scipy's iterations, measured
    here.  The runs differ where the methods do: scipy's BFGS starts from H₀ = I without eq. 6.20's
    scaling and tries alpha_0 = min(1, 1.01·2Δf/φ'(0)) (eq. 3.60); L-BFGS-B uses Moré–Thuente's search."""
    tr = optim_core.run(ROSENBROCK, optim_core.make(name), start=START, steps=500, tol=1e-8)
    assert tr.status == "converged"
    assert np.linalg.norm(tr.xy[-1] - 1.0) <= 1e-7 and tr.loss[-1] <= 1e-8
    theirs = scipy_iterations_to(method, 1e-8, **options)
    assert 0.7 * theirs <= tr.stopped_at <= 1.3 * theirs, (tr.stopped_at, theirs)


QUADRATICS = [("ill_conditioned", dict(kappa=10, angle=30), (3.0, -2.0)),
              ("ill_conditioned", dict(kappa=100, angle=-40), (-4.0, 1.5)),
              ("bowl", {}, (-7.0, 2.0))]
EXACT = dict(line_search="wolfe", c1=1e-10, c2=1e-8)  # |φ'(α)| ≤ 1e-8·|φ'(0)|: an exact line search


@pytest.mark.parametrize("name, params, start", QUADRATICS)
def test_on_a_quadratic_with_an_exact_line_search_bfgs_ends_in_two_steps_with_the_true_inverse_hessian(
        name, params, start):
    """N&W Theorem 6.4: on a quadratic with exact line searches BFGS reaches the minimum in n = 2 steps and
    H_n = A⁻¹.  Each α is the exact minimiser along p, −gᵀp / pᵀAp, computed here."""
    s = surfaces.get(name, **params)
    A = s.hessian(np.zeros(2))
    tr = optim_core.run(s, optim_core.make("bfgs", **EXACT), start=start, steps=3, tol=None, record_state=True)
    for k in range(2):
        g = s.grad(tr.xy[k])
        p = tr.step[k] / tr.lr[k]
        assert tr.lr[k] == pytest.approx(-(g @ p) / (p @ A @ p), rel=1e-9)
    assert np.linalg.norm(s.grad(tr.xy[2])) <= 1e-12 * np.linalg.norm(s.grad(tr.xy[0]))
    np.testing.assert_allclose(tr.xy[2], [0.0, 0.0], atol=1e-12)
    # update 3 takes in the pair of step 2: H_2
    np.testing.assert_allclose(tr.state["inv_hessian"][2], np.linalg.inv(A), rtol=1e-8, atol=1e-12)
    converged = optim_core.run(s, optim_core.make("bfgs", **EXACT), start=start, steps=50, tol=1e-10)
    assert converged.status == "converged" and converged.stopped_at <= 2


@pytest.mark.parametrize("name, params, start", QUADRATICS)
def test_lbfgs_remembering_every_pair_takes_bfgs_steps(name, params, start):
    """With m ≥ the number of iterations and the same H₀ (I, then (yᵀs/yᵀy)·I for the first pair), the
    two-loop recursion applies BFGS's matrix: the same iterates."""
    s = surfaces.get(name, **params)
    bfgs = optim_core.run(s, optim_core.make("bfgs", **EXACT), start=start, steps=2, tol=None)
    lbfgs = optim_core.run(s, optim_core.make("lbfgs", m=5, **EXACT), start=start, steps=2, tol=None)
    np.testing.assert_allclose(lbfgs.xy, bfgs.xy, rtol=1e-10, atol=1e-13)
    # on Rosenbrock too, while both have H₀ = γ₁I: the first three points (from then on L-BFGS rescales
    # H₀ by the newest pair each step, eq. 7.20, and BFGS keeps its matrix)
    bfgs = optim_core.run(ROSENBROCK, optim_core.make("bfgs"), start=START, steps=2, tol=None)
    lbfgs = optim_core.run(ROSENBROCK, optim_core.make("lbfgs", m=20), start=START, steps=2, tol=None)
    np.testing.assert_allclose(lbfgs.xy, bfgs.xy, rtol=1e-10)


def test_the_two_loop_recursion_applies_the_bfgs_matrix_built_from_gamma_i():
    """N&W Alg. 7.4 = m BFGS updates (eq. 6.17, written out here) of γI applied to g, for a batch, in d = 5."""
    rng = np.random.default_rng(3)
    d, m, batch = 5, 6, (4,)
    A = rng.standard_normal(batch + (d, d))
    A = A @ np.swapaxes(A, -1, -2) + d * np.eye(d)  # y = A s: positive curvature
    s = rng.standard_normal(batch + (m, d))
    y = np.einsum("...ij,...mj->...mi", A, s)
    g = rng.standard_normal(batch + (d,))
    s_history = np.zeros(batch + (qn.MEMORY, d))
    y_history = np.zeros(batch + (qn.MEMORY, d))
    s_history[..., -m:, :], y_history[..., -m:, :] = s, y
    hg, gamma = qn.two_loop(g, s_history, y_history, m)
    for b in range(batch[0]):
        gamma_by_hand = s[b, -1] @ y[b, -1] / (y[b, -1] @ y[b, -1])
        H = gamma_by_hand * np.eye(d)
        for i in range(m):
            rho = 1.0 / (y[b, i] @ s[b, i])
            left = np.eye(d) - rho * np.outer(s[b, i], y[b, i])
            H = left @ H @ left.T + rho * np.outer(s[b, i], s[b, i])
        assert gamma[b] == pytest.approx(gamma_by_hand, rel=1e-14)
        np.testing.assert_allclose(hg[b], H @ g[b], rtol=1e-10)
        np.testing.assert_allclose(qn.implied_inverse_hessian(s_history, y_history, m)[b], H, rtol=1e-10, atol=1e-14)
    # a smaller m uses the newest pairs only
    short, _ = qn.two_loop(g, s_history, y_history, 2)
    fewer = np.zeros_like(s_history), np.zeros_like(y_history)
    fewer[0][..., -2:, :], fewer[1][..., -2:, :] = s[..., -2:, :], y[..., -2:, :]
    np.testing.assert_allclose(short, qn.two_loop(g, *fewer, 20)[0], rtol=1e-12)


def test_bfgs_scales_h0_before_its_first_update_and_keeps_the_secant_condition():
    """H₁ from the first pair, by hand: γ = yᵀs/yᵀy, H₁ = (I − ρsyᵀ)γI(I − ρysᵀ) + ρssᵀ; then every
    recorded H_k satisfies H_k y_{k−1} = s_{k−1} (the secant equation, N&W eq. 6.17's point)."""
    tr = optim_core.run(ROSENBROCK, optim_core.make("bfgs"), start=START, steps=12, tol=None, record_state=True)
    H = tr.state["inv_hessian"]
    np.testing.assert_array_equal(H[0], np.eye(2))  # the first step is steepest descent
    s, y = tr.step[0], tr.grad[1] - tr.grad[0]
    rho, gamma = 1 / (y @ s), (y @ s) / (y @ y)
    left = np.eye(2) - rho * np.outer(s, y)
    np.testing.assert_allclose(H[1], left @ (gamma * np.eye(2)) @ left.T + rho * np.outer(s, s), rtol=1e-12)
    for k in range(1, 12):
        s, y = tr.step[k - 1], tr.grad[k] - tr.grad[k - 1]
        np.testing.assert_allclose(H[k] @ y, s, rtol=1e-7, atol=1e-14)
        assert np.all(np.linalg.eigvalsh(H[k]) > 0)
    assert np.all(tr.state["skipped"] == 0) and list(tr.state["updates"]) == list(range(12))


@pytest.mark.parametrize("name, surface, hyper", [("bfgs", "saddle", dict(line_search="none", lr=0.05)),
                                                   ("lbfgs", "saddle", dict(line_search="none", lr=0.05)),
                                                   ("lbfgs", "rosenbrock", dict(line_search="armijo"))])
def test_an_update_without_positive_curvature_is_skipped_and_marked(name, surface, hyper):
    """Without the curvature condition (a fixed step, or Armijo backtracking) a pair may have yᵀs ≤ 0 (checked
    from the path here): on the saddle along most steps, in Rosenbrock's indefinite region near (−1, 1).
    Those pairs are marked and not used: BFGS's H stays as it was."""
    s = surfaces.get(surface)
    tr = optim_core.run(s, optim_core.make(name, **hyper), start=s.default_start, steps=40, tol=None,
                        record_state=True)
    ys = np.einsum("ki,ki->k", tr.step[:-1], np.diff(tr.grad[:-1], axis=0))  # pair of step k, taken in at k + 1
    negative = ys <= 0
    assert negative.sum() >= 3
    np.testing.assert_array_equal(tr.state["skipped"][1:], negative.astype(float))
    assert tr.state["skipped"][0] == 0
    if name == "bfgs":
        for k in np.flatnonzero(negative) + 1:
            np.testing.assert_array_equal(tr.state["inv_hessian"][k], tr.state["inv_hessian"][k - 1])


@pytest.mark.parametrize("name", ["bfgs", "lbfgs"])
def test_batch_equals_single_runs_over_starts_c1_c2_and_memory(name):
    c1 = np.array([1e-4, 0.01])[:, None, None]
    c2 = np.array([0.5, 0.9])[None, :, None]
    starts = np.array([[-1.2, 1.0], [0.5, 2.0]])
    extra = dict(m=np.array([3.0, 10.0])[None, None, :]) if name == "lbfgs" else {}
    batch = optim_core.run(ROSENBROCK, optim_core.make(name, c1=c1, c2=c2, **extra), start=starts, steps=60,
                           record_state=True)
    shape = np.broadcast_shapes(c1.shape, c2.shape, starts.shape[:-1], *(v.shape for v in extra.values()))
    assert batch.xy.shape == shape + (61, 2)
    for index in np.ndindex(shape):
        hyper = dict(c1=float(c1[index[0], 0, 0]), c2=float(c2[0, index[1], 0]))
        if name == "lbfgs":
            hyper["m"] = float(extra["m"][0, 0, index[2]])
        single = optim_core.run(ROSENBROCK, optim_core.make(name, **hyper), start=starts[index[-1]], steps=60,
                                record_state=True)
        n = len(single.xy)
        np.testing.assert_allclose(batch.xy[index][:n], single.xy, rtol=1e-12, atol=1e-14)
        np.testing.assert_array_equal(batch.grad_evals[index][:n], single.grad_evals)
        np.testing.assert_array_equal(batch.f_evals[index][:n], single.f_evals)
        for field, values in single.state.items():
            np.testing.assert_allclose(batch.state[field][index][: n - 1], values, rtol=1e-12, atol=1e-14)
        assert batch.status[index] == single.status and batch.stopped_at[index] == single.stopped_at
        assert np.all(batch.f_evals[index][n - 1:] == single.f_evals[-1])  # held after the run stopped


@pytest.mark.parametrize("name", ["bfgs", "lbfgs"])
def test_one_step_taken_apart_shows_alpha_p_and_h(name):
    tr = optim_core.run(ROSENBROCK, optim_core.make(name), start=START, steps=6, tol=None, record_state=True)
    parts = analysis.trajectory_breakdown(ROSENBROCK, tr, 4)
    terms = parts.terms
    assert terms["alpha"].value == tr.lr[3] and {"direction", "inv_hessian", "s", "y", "slope"} <= set(terms)
    np.testing.assert_allclose(parts.reconstructed, tr.step[3], rtol=0, atol=1e-15)
    np.testing.assert_allclose(terms["direction"].value, -terms["inv_hessian"].value @ tr.grad_used[3], rtol=1e-10)
    assert terms["slope"].value < 0


def test_evaluations_of_bfgs_lbfgs_newton_and_adam_on_rosenbrock():
    """The fair comparison: BFGS and L-BFGS take a few evaluations a step, Adam one gradient."""
    counts = {}
    for name, hyper in (("bfgs", {}), ("lbfgs", {}), ("newton", {}), ("newton", dict(line_search="wolfe")),
                        ("adam", dict(lr=0.01))):
        tr = optim_core.run(ROSENBROCK, optim_core.make(name, **hyper), start=START, steps=2000, tol=1e-8)
        counts[name, tuple(hyper.items())] = (tr.status, tr.stopped_at, int(tr.f_evals[-1]), int(tr.grad_evals[-1]))
    for key, (status, steps, f_evals, grad_evals) in counts.items():
        if key[0] == "adam":
            assert (f_evals, grad_evals) == (0, steps + 1)
        else:
            assert status == "converged"
            assert grad_evals >= steps + 1 and (f_evals > steps) == (key[0] != "newton" or bool(key[1]))


def test_lbfgs_memory_is_a_whole_number_of_the_newest_pairs():
    m7 = optim_core.run(ROSENBROCK, optim_core.make("lbfgs", m=7.0), start=START, steps=30, tol=None)
    m7_9 = optim_core.run(ROSENBROCK, optim_core.make("lbfgs", m=7.9), start=START, steps=30, tol=None)
    m8 = optim_core.run(ROSENBROCK, optim_core.make("lbfgs", m=8.0), start=START, steps=30, tol=None)
    np.testing.assert_array_equal(m7.xy, m7_9.xy)
    assert not np.array_equal(m7.xy, m8.xy)
    with pytest.raises(ValueError, match=r"m = 21 is out of range: valid range is \[1, 20\]"):
        optim_core.make("lbfgs", m=21)


def test_the_search_statuses_of_a_run_are_ok_on_rosenbrock():
    tr = optim_core.run(ROSENBROCK, optim_core.make("bfgs"), start=START, steps=200)
    assert set(tr.line_search.status) == {ls.OK}
