"""Line searches (optim_core.line_search): the conditions checked directly from f and ∇f, the strong Wolfe
step against scipy's ``line_search`` (N&W Algorithms 3.5 / 3.6, the same interpolation), Armijo against a
backtracking loop written here, what a failing search does, the records of the trials and the counts of
evaluations, and the c1 < c2 check."""

import inspect
import math
import warnings
from unittest import mock

import numpy as np
import pytest
import scipy.optimize
import scipy.optimize._linesearch as scipy_linesearch

import optim_core
import surfaces
from optim_core import line_search as ls
from optim_core.rules import _base

SURFACES = ["rosenbrock", "beale", "himmelblau", "six_hump_camel", "rastrigin", "ill_conditioned", "two_wells"]
C1 = np.array([1e-4, 1e-3, 0.1])
C2 = np.array([0.9, 0.5, 0.2])


def cases(surface, n=40, seed=0):
    """n points of the domain, the gradient there, and three kinds of descent direction: −g, −g/‖g‖ and a
    random direction turned downhill."""
    rng = np.random.default_rng(seed)
    low = np.array([surface.x_range[0], surface.y_range[0]])
    high = np.array([surface.x_range[1], surface.y_range[1]])
    points = low + (high - low) * rng.random((n, 2))
    grads = surface.grad(points)
    turned = rng.standard_normal((n, 2))
    turned = np.where((np.sum(turned * grads, axis=-1) < 0)[:, None], turned, -turned)
    return points, grads, {"-g": -grads, "-g/|g|": -grads / np.linalg.norm(grads, axis=-1, keepdims=True),
                           "random": turned}


def search_grid(surface, points, grads, directions, method, lr=1.0, rho=0.5, record=False):
    """One vectorised search for every (point, c1/c2 pair): a batch (n, 3), hyperparameters laid out as
    the runner lays them out, (..., 1)."""
    n, k = len(points), len(C1)

    def spread(a):
        return np.ascontiguousarray(np.broadcast_to(a[:, None, :], (n, k, 2)))

    hp = dict(line_search=method, lr=lr, backtrack=rho, c1=np.broadcast_to(C1[None, :, None], (n, k, 1)),
              c2=np.broadcast_to(C2[None, :, None], (n, k, 1)))
    probe = ls.Probe(surface, (n, k), record=record)
    alpha, status = ls.step_length(probe, spread(points), spread(directions), spread(grads), hp)
    return alpha, status, probe


def scipy_alpha(surface, x, p, g, c1, c2):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns where its search does not converge (it then returns None)
        return scipy.optimize.line_search(lambda z: float(surface.f(z)), surface.grad, x, p, gfk=g,
                                          old_fval=float(surface.f(x)), c1=c1, c2=c2)[0]


def scipy_zoom_with_unsigned_margins():
    """scipy's zoom with its safeguard margins taken on |α_hi − α_lo|, as N&W intend: scipy computes them
    from the signed width, so where α_hi < α_lo (after zoom(α_i, α_{i−1}) or a swap of the ends) its
    check lets an interpolated step fall outside the interval.  Two words of scipy's own source change."""
    source = inspect.getsource(scipy_linesearch._zoom)
    signed = ("cchk = delta1 * dalpha", "qchk = delta2 * dalpha")
    if not all(text in source for text in signed):
        pytest.skip("scipy's _zoom has changed: the margins are no longer computed as this test expects")
    for text in signed:
        source = source.replace(text, text.replace("dalpha", "abs(dalpha)"))
    namespace = dict(vars(scipy_linesearch))
    exec(source, namespace)  # noqa: S102 (scipy's own function, two words changed)
    return mock.patch.object(scipy_linesearch, "_zoom", namespace["_zoom"])


def wolfe_holds(surface, x, p, alpha, c1, c2):
    """The strong Wolfe conditions at alpha, computed here from f and ∇f."""
    g0 = surface.grad(x) @ p
    new = x + alpha * p
    sufficient = surface.f(new) <= surface.f(x) + c1 * alpha * g0
    curvature = abs(surface.grad(new) @ p) <= c2 * abs(g0)
    return bool(sufficient and curvature)


@pytest.mark.parametrize("name", SURFACES)
def test_strong_wolfe_steps_satisfy_both_conditions_and_equal_scipys(name):
    """Every accepted step satisfies both conditions.  Where scipy's search converges, the step is
    scipy's to 1e-9, except where scipy's signed safeguard changes its choice (scipy with unsigned margins,
    N&W's safeguard, chooses otherwise): those cases are left out here and compared in the next test."""
    surface = surfaces.get(name)
    points, grads, directions = cases(surface)
    compared = excluded = 0
    for kind, p in directions.items():
        alpha, status, _ = search_grid(surface, points, grads, p, "wolfe")
        for i in range(len(points)):
            for j in range(len(C1)):
                if status[i, j] == ls.OK:
                    assert wolfe_holds(surface, points[i], p[i], alpha[i, j], C1[j], C2[j]), (kind, i, j)
                theirs = scipy_alpha(surface, points[i], p[i], grads[i], C1[j], C2[j])
                if theirs is None:  # scipy gave up (10 bracketing, 10 zoom trials): nothing to compare
                    continue
                assert wolfe_holds(surface, points[i], p[i], theirs, C1[j], C2[j])
                with scipy_zoom_with_unsigned_margins():
                    safeguarded = scipy_alpha(surface, points[i], p[i], grads[i], C1[j], C2[j])
                if safeguarded != theirs:
                    excluded += 1
                    continue
                compared += 1
                assert status[i, j] == ls.OK and alpha[i, j] == pytest.approx(theirs, rel=1e-9), (kind, i, j)
    assert compared > 0.5 * 3 * len(points) * len(C1), (compared, excluded)


@pytest.mark.parametrize("name", SURFACES)
def test_strong_wolfe_equals_scipy_with_unsigned_safeguards_everywhere_scipy_converges(name):
    """Once scipy's zoom takes its margins on |α_hi − α_lo|, every step where scipy converges is scipy's:
    the one legitimate difference is that safeguard (N&W: the trial must stay inside the interval)."""
    surface = surfaces.get(name)
    points, grads, directions = cases(surface, seed=1)
    compared = 0
    for p in directions.values():
        alpha, status, _ = search_grid(surface, points, grads, p, "wolfe")
        for i in range(len(points)):
            for j in range(len(C1)):
                with scipy_zoom_with_unsigned_margins():
                    theirs = scipy_alpha(surface, points[i], p[i], grads[i], C1[j], C2[j])
                if theirs is not None:
                    compared += 1
                    assert status[i, j] == ls.OK and alpha[i, j] == pytest.approx(theirs, rel=1e-9), (i, j)
    assert compared > 0.5 * 3 * len(points) * len(C1)


def test_the_signed_safeguard_is_the_difference_somewhere():
    """The exclusion above is not empty: on the two wells scipy as it is takes other steps."""
    surface = surfaces.get("two_wells")
    points, grads, directions = cases(surface)
    differs = 0
    alpha, status, _ = search_grid(surface, points, grads, directions["-g"], "wolfe")
    for i in range(len(points)):
        for j in range(len(C1)):
            theirs = scipy_alpha(surface, points[i], directions["-g"][i], grads[i], C1[j], C2[j])
            differs += theirs is not None and not math.isclose(theirs, alpha[i, j], rel_tol=1e-9)
    assert differs > 0


def backtracking_by_hand(surface, x, p, alpha0, c1, rho, budget=30):
    """N&W Algorithm 3.1, one run, written out: (alpha, trials) or (0, trials) if none is found."""
    f0, slope = surface.f(x), surface.grad(x) @ p
    alpha = alpha0
    for trial in range(1, budget + 1):
        if surface.f(x + alpha * p) <= f0 + c1 * alpha * slope:
            return alpha, trial
        alpha *= rho
    return 0.0, budget


@pytest.mark.parametrize("name", SURFACES)
@pytest.mark.parametrize("rho", [0.5, 0.1, 0.9])
def test_armijo_is_backtracking_and_its_steps_decrease_enough(name, rho):
    surface = surfaces.get(name)
    points, grads, directions = cases(surface, n=25)
    for p in directions.values():
        alpha, status, probe = search_grid(surface, points, grads, p, "armijo", lr=2.0, rho=rho)
        for i in range(len(points)):
            for j in range(len(C1)):
                expected, trials = backtracking_by_hand(surface, points[i], p[i], 2.0, C1[j], rho)
                assert alpha[i, j] == expected and status[i, j] == (ls.OK if expected else ls.NO_STEP)
                # f(x) once, then one f per trial; no gradient beyond the one at x
                assert probe.f_evals[i, j] == 1 + trials and probe.grad_evals[i, j] == 1
                if expected:
                    new = points[i] + expected * p[i]
                    assert surface.f(new) <= surface.f(points[i]) + C1[j] * expected * (grads[i] @ p[i])


def test_a_direction_that_is_not_a_descent_direction_takes_no_step_and_costs_nothing():
    surface = surfaces.get("rosenbrock")
    points, grads, _ = cases(surface, n=6)
    ascent = np.concatenate([grads[:3], np.zeros((3, 2))])  # uphill, and no direction at all
    for method in ("armijo", "wolfe"):
        alpha, status, probe = search_grid(surface, points, grads, ascent, method)
        assert np.all(alpha == 0) and np.all(status == ls.NOT_DESCENT)
        assert np.all(probe.f_evals == 0) and np.all(probe.grad_evals == 1)


def test_a_search_that_runs_out_of_trials_falls_back_and_never_gives_nan():
    """Along a line f keeps falling: no slope ever shrinks, so strong Wolfe doubles alpha until its
    budget is spent, then takes the lowest trial with sufficient decrease; on a surface undefined on
    half the plane the trials beyond it fail sufficient decrease; a huge alpha_0 never makes NaN."""
    line = surfaces.from_formula("-x - y", x_range=(-5, 5), y_range=(-5, 5))
    x, g = np.array([[0.0, 0.0]]), np.array([[-1.0, -1.0]])
    probe = ls.Probe(line, (1,), record=True)
    alpha, status = ls.step_length(probe, x, -g, g, dict(line_search="wolfe", lr=1.0, c1=1e-4, c2=0.9))
    assert status[0] == ls.ARMIJO_ONLY and alpha[0] == 2.0 ** (ls.MAX_TRIALS - 1)
    assert len(probe.trials) == ls.MAX_TRIALS
    undefined = surfaces.from_formula("log(x) + y**2", x_range=(0.1, 5), y_range=(-2, 2))
    x = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])
    p = np.array([[-1.0, -1.0], [-1.0, -1.0], [-3.0, 0.5]])
    for method in ("armijo", "wolfe"):
        for lr in (1.0, 1e12, 1e300):
            probe = ls.Probe(undefined, (3,))
            alpha, status = ls.step_length(probe, x, p, undefined.grad(x), dict(line_search=method, lr=lr, c1=1e-4,
                                                                               c2=0.9, backtrack=0.5))
            assert np.all(np.isfinite(alpha)) and np.all(np.isfinite(undefined.f(x + alpha[:, None] * p)))


def test_every_trial_is_recorded_from_f_and_its_gradient():
    """The records, checked against f and ∇f computed here: phi, phi', the condition each trial failed;
    and the counts are the records' evaluations."""
    surface = surfaces.get("beale")
    points, grads, directions = cases(surface, n=20)
    p = directions["random"]
    alpha, status, probe = search_grid(surface, points, grads, p, "wolfe", record=True)
    seen_failures = set()
    phi_count = np.ones(alpha.shape, dtype=int)  # phi(0)
    slope_count = np.ones(alpha.shape, dtype=int)  # ∇f(x)
    for trial_alpha, phi, dphi, failed in probe.trials:
        tried = failed >= 0
        phi_count += tried
        slope_count += tried & ~np.isnan(dphi)
        for i, j in zip(*np.nonzero(tried)):
            new = points[i] + trial_alpha[i, j] * p[i]
            assert phi[i, j] == pytest.approx(surface.f(new), rel=1e-12)
            sufficient = surface.f(new) <= surface.f(points[i]) + C1[j] * trial_alpha[i, j] * (grads[i] @ p[i])
            code = ls.FAILED[failed[i, j]]
            seen_failures.add(code)
            if not sufficient:
                assert code == "armijo" and np.isnan(dphi[i, j])
            elif code in ("none", "curvature"):
                assert dphi[i, j] == pytest.approx(surface.grad(new) @ p[i], rel=1e-12)
                assert (abs(dphi[i, j]) <= C2[j] * abs(grads[i] @ p[i])) == (code == "none")
            else:
                assert code == "not lower" and np.isnan(dphi[i, j])
        assert np.all(np.isnan(trial_alpha[~tried]))
    assert {"none", "armijo", "curvature"} <= seen_failures
    np.testing.assert_array_equal(probe.f_evals, phi_count)
    np.testing.assert_array_equal(probe.grad_evals, slope_count)


# --- through the runner --------------------------------------------------------------------------------


@pytest.mark.parametrize("name, hyper", [("sgd", dict(line_search="wolfe", lr=1.0)),
                                         ("sgd", dict(line_search="armijo", lr=1.0, backtrack=0.3)),
                                         ("newton", dict(line_search="wolfe")), ("newton", dict(line_search="armijo")),
                                         ("bfgs", {}), ("bfgs", dict(line_search="armijo")),
                                         ("lbfgs", dict(c1=1e-3, c2=0.5)), ("lbfgs", dict(line_search="armijo"))])
def test_every_accepted_step_of_a_run_satisfies_its_conditions(name, hyper):
    """From the path alone: p = Δx/α with α the step the run reports (tr.lr), checked with f and ∇f."""
    s = surfaces.get("rosenbrock")
    opt = optim_core.make(name, **hyper)
    tr = optim_core.run(s, opt, start=(-1.2, 1.0), steps=60, record_state=True)
    c1, c2 = opt.hyperparams["c1"], opt.hyperparams["c2"]
    record = tr.line_search
    assert record.alpha.shape == record.status.shape == tr.lr.shape == (len(tr.step),)
    np.testing.assert_array_equal(tr.lr, record.alpha)
    for k in range(len(tr.step)):
        alpha = tr.lr[k]
        if record.status[k] != ls.OK:
            continue
        x, new = tr.xy[k], tr.xy[k + 1]
        p = tr.step[k] / alpha
        slope = s.grad(x) @ p
        assert slope < 0 and record.dphi0[k] == pytest.approx(slope, rel=1e-9)
        assert s.f(new) <= s.f(x) + c1 * alpha * slope * (1 - 1e-12)
        if opt.hyperparams["line_search"] == "wolfe":
            assert abs(s.grad(new) @ p) <= c2 * abs(slope) * (1 + 1e-9)
    assert np.mean(record.status == ls.OK) > 0.9


def test_the_runner_counts_evaluations_as_the_records_show_them():
    s = surfaces.get("rosenbrock")
    tr = optim_core.run(s, optim_core.make("bfgs"), start=(-1.2, 1.0), steps=50, record_state=True)
    record = tr.line_search
    tried = record.trial_failed >= 0  # (n, T)
    phi_per_step = tried.sum(axis=-1)
    slopes_per_step = (tried & ~np.isnan(record.trial_dphi)).sum(axis=-1)
    # the gradient at the new point is one of the search's slopes where the step was accepted
    extra_gradient = record.status != ls.OK
    assert tr.f_evals[0] == 0 and tr.grad_evals[0] == 1
    np.testing.assert_array_equal(np.diff(tr.f_evals), phi_per_step + (np.arange(len(tried)) == 0))
    np.testing.assert_array_equal(np.diff(tr.grad_evals), slopes_per_step + extra_gradient)
    # one gradient a step for a rule without a search, no f
    adam = optim_core.run(s, optim_core.make("adam", lr=0.01), start=(-1.2, 1.0), steps=30)
    np.testing.assert_array_equal(adam.grad_evals, np.arange(1, 32))
    assert np.all(adam.f_evals == 0) and adam.line_search is None


def test_a_sweep_over_c1_and_c2_is_one_batch_equal_to_its_single_runs():
    s = surfaces.get("rosenbrock")
    c1 = np.array([1e-4, 1e-2, 0.1])[:, None]
    c2 = np.array([0.2, 0.5, 0.9])[None, :]
    for name in ("sgd", "bfgs"):
        batch = optim_core.run(s, optim_core.make(name, lr=1.0, line_search="wolfe", c1=c1, c2=c2), start=(-1.2, 1.0),
                               steps=40, record_state=True)
        assert batch.xy.shape == (3, 3, 41, 2)
        for i in range(3):
            for j in range(3):
                single = optim_core.run(s, optim_core.make(name, lr=1.0, line_search="wolfe", c1=float(c1[i, 0]),
                                                           c2=float(c2[0, j])), start=(-1.2, 1.0), steps=40,
                                        record_state=True)
                n = len(single.xy)
                np.testing.assert_allclose(batch.xy[i, j, :n], single.xy, rtol=1e-12, atol=1e-14)
                np.testing.assert_array_equal(batch.f_evals[i, j, :n], single.f_evals)
                np.testing.assert_array_equal(batch.grad_evals[i, j, :n], single.grad_evals)
                np.testing.assert_array_equal(batch.line_search.status[i, j, :n - 1], single.line_search.status)
                assert batch.status[i, j] == single.status and batch.stopped_at[i, j] == single.stopped_at


# --- hyperparameters -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sgd", "newton", "bfgs", "lbfgs"])
def test_c1_must_be_below_c2_and_the_error_names_both(name):
    with pytest.raises(ValueError, match=r"c1 = 0\.5 and c2 = 0\.4 are not valid together: valid range is "
                                         r"0 < c1 < c2 < 1"):
        optim_core.make(name, c1=0.5, c2=0.4)
    with pytest.raises(ValueError, match=r"c1 = 0\.3 and c2 = 0\.3"):
        optim_core.make(name, c1=np.array([1e-4, 0.3]), c2=0.3)
    with pytest.raises(ValueError, match=r"c2 = 1 is out of range: valid range is \(0, 1\)"):
        optim_core.make(name, c2=1.0)
    with pytest.raises(ValueError, match=r"backtrack = 0 is out of range: valid range is \(0, 1\)"):
        optim_core.make(name, backtrack=0.0)
    with pytest.raises(ValueError, match=r"line_search = 'exact' is not valid: choose one of 'none', 'armijo'"):
        optim_core.make(name, line_search="exact")
    schedule = optim_core.schedules.linear_ramp(1e-4, 0.6, ramp_steps=5)
    with pytest.raises(ValueError, match=r"c1 = 0\.\d+ and c2 = 0\.5 are not valid together"):
        optim_core.run(surfaces.get("bowl"), optim_core.make(name, c1=schedule, c2=0.5), steps=10)


def test_defaults_and_the_sweep_ranges_keep_c1_below_c2():
    for name in ("sgd", "newton", "bfgs", "lbfgs"):
        specs = {spec.name: spec for spec in optim_core.hyper_specs(name)}
        assert specs["c1"].default == 1e-4 and specs["c2"].default == 0.9 and specs["backtrack"].default == 0.5
        assert specs["line_search"].default == ("wolfe" if "bfgs" in name else "none")
        assert specs["c1"].sweep[1] < specs["c2"].sweep[0]  # a c1 × c2 sweep never meets c1 ≥ c2


def test_the_budget_in_the_conventions_is_the_budget():
    assert ls.MAX_TRIALS == 30
    assert all("at most 30 trials" in sentence for sentence in _base.LINE_SEARCH_CONVENTIONS.values())


def test_sgd_and_newton_without_a_search_are_unchanged():
    """line_search="none" (their default) hands the rule no surface and runs the plain update."""
    s = surfaces.get("rosenbrock")
    for name, lr in (("sgd", 1e-3), ("newton", 1.0)):
        tr = optim_core.run(s, optim_core.make(name, lr=lr), start=(-1.2, 1.0), steps=5, tol=None)
        assert tr.line_search is None and np.all(tr.lr == lr) and np.all(tr.f_evals == 0)
    tr = optim_core.run(s, optim_core.make("sgd", lr=1e-3), start=(-1.2, 1.0), steps=1, tol=None)
    np.testing.assert_array_equal(tr.xy[1], np.array([-1.2, 1.0]) - 1e-3 * s.grad(np.array([-1.2, 1.0])))


def test_the_line_search_hyperparameters_say_when_they_apply():
    specs = {spec.name: spec for spec in optim_core.hyper_specs("sgd")}
    applies = {method: {name for name, spec in specs.items() if spec.applies({"line_search": method})}
               for method in ("none", "armijo", "wolfe")}
    assert applies == {"none": {"lr", "line_search"}, "armijo": {"lr", "line_search", "c1", "backtrack"},
                       "wolfe": {"lr", "line_search", "c1", "c2"}}
    assert all(spec.applies({}) for rule in optim_core.RULES.values() for spec in rule.hyper if not spec.applies_when)
