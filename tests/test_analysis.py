"""optim_core.analysis against numbers worked out by hand and against the closed-form theory.

The golden values come from the surfaces' definitions, not from the module: the bowl
f = x²/20 + y² has Hessian diag(1/10, 2); ill_conditioned(κ) has eigenvalues 1/κ and 1 at
any angle; heavy-ball momentum on a quadratic is optimal at lr* = (2/(√λ_min + √λ_max))²,
mu* = ((√κ − 1)/(√κ + 1))² (G. Goh, "Why Momentum Really Works", Distill 2017).
"""

import math
import re

import numpy as np
import pytest

import optim_core
import surfaces
from optim_core import analysis, schedules

BOWL = surfaces.get("bowl")
START = (-7.0, 2.0)


# --- sweep --------------------------------------------------------------------------------------


def test_sweep_steps_to_tol_by_hand():
    """Momentum with mu = 0 is SGD.  lr = 0.5 on the bowl from (−7, 2): y₁ = 0 and x_k = −7·0.95ᵏ,
    so f(x_k) = 2.45·0.9025ᵏ ≤ 1e-6 first at k = ⌈ln(1e-6/2.45)/ln 0.9025⌉ = 144.
    lr = 1e-4 needs far more than 300 steps: −1."""
    result = analysis.sweep(BOWL, "momentum", "lr", [1e-4, 0.5], "mu", [0.0], start=START, steps=300, tol=1e-6)
    assert result.steps_to_tol.shape == (1, 2)
    assert math.ceil(math.log(1e-6 / 2.45) / math.log(0.9025)) == 144
    assert result.steps_to_tol.tolist() == [[-1, 144]]
    assert result.status.tolist() == [["max_steps", "converged"]]
    assert result.best == {"lr": 0.5, "mu": 0.0} and result.best_index == (0, 1)
    np.testing.assert_allclose(result.final_loss[0, 1], 2.45 * 0.9025**300, rtol=1e-9)


def test_sweep_without_a_finite_minimum_uses_the_gradient_norm():
    """Saddle x² − y² from (−1.5, 0), SGD lr = 0.25: x_k = −1.5·0.5ᵏ, ‖∇f‖ = 3·0.5ᵏ ≤ 1e-3
    first at k = ⌈log₂ 3000⌉ = 12."""
    saddle = surfaces.get("saddle")
    result = analysis.sweep(saddle, "sgd", "lr", [0.25], start=(-1.5, 0.0), steps=40, tol=1e-3)
    assert result.steps_to_tol.shape == (1,) and result.y_values is None
    assert result.steps_to_tol[0] == math.ceil(math.log2(3000)) == 12
    assert result.gap == "‖∇f(x)‖" and result.best == {"lr": 0.25}


def test_sweep_handles_a_128_by_128_grid_in_one_batch():
    result = analysis.sweep(BOWL, "adam", "lr", np.geomspace(1e-3, 3, 128), "beta1", np.linspace(0, 0.99, 128),
                            steps=20, tol=1e-3)
    assert result.steps_to_tol.shape == result.final_loss.shape == result.diverged.shape == (128, 128)
    assert result.status.shape == (128, 128)


def _full_trace_batch(surface, name, hyper, steps, tol, start=None):
    """What the sweeps computed before running reductions: every path, then the gap along it."""
    tr = optim_core.run(surface, optim_core.make(name, **hyper), start=start, steps=steps, tol=None, traces=False)
    return tr, analysis.steps_to_tol(surface, tr, tol), analysis._gap(surface, tr)[..., -1]


@pytest.mark.parametrize("surface_id, name, x_param, x_values, y_param, y_values", [
    ("bowl", "momentum", "lr", np.geomspace(1e-3, 3, 17), "mu", np.linspace(0, 0.99, 11)),
    ("rosenbrock", "adam", "lr", np.geomspace(1e-4, 1, 9), "beta1", np.linspace(0, 0.99, 7)),
    ("saddle", "rmsprop", "lr", np.geomspace(1e-3, 3, 9), "decay_rate", np.linspace(0.5, 0.99, 5)),
    ("himmelblau", "bfgs", "lr", np.geomspace(1e-2, 3, 6), None, None),
])
def test_sweep_keeps_running_reductions_with_the_numbers_of_the_full_paths(surface_id, name, x_param, x_values,
                                                                           y_param, y_values):
    surface = surfaces.get(surface_id)
    steps = 70 if name == "bfgs" else 300
    result = analysis.sweep(surface, name, x_param, x_values, y_param, y_values, steps=steps, tol=1e-6)
    hyper = {x_param: x_values} if y_param is None else {x_param: x_values[None, :], y_param: y_values[:, None]}
    tr, reached, final_gap = _full_trace_batch(surface, name, hyper, steps, 1e-6)
    np.testing.assert_array_equal(result.steps_to_tol, reached)
    np.testing.assert_array_equal(result.final_loss, tr.final_loss)
    np.testing.assert_array_equal(result.final_gap, final_gap)
    np.testing.assert_array_equal(result.diverged, tr.status == "diverged")
    np.testing.assert_array_equal(result.stopped_at, tr.stopped_at)


def test_searches_and_basins_keep_the_numbers_of_the_full_paths():
    ranges = {"lr": (1e-4, 10.0, True), "mu": (0.0, 0.99, False)}
    for result in (analysis.random_search(BOWL, "momentum", ranges, 40, seed=1, steps=200, start=START),
                   analysis.grid_search(BOWL, "momentum", ranges, 40, steps=200, start=START)):
        _, reached, final_gap = _full_trace_batch(BOWL, "momentum", dict(result.samples), 200, 1e-6, START)
        np.testing.assert_array_equal(result.steps_to_tol, reached)
        np.testing.assert_array_equal(result.final_gap, final_gap)
    himmelblau = surfaces.get("himmelblau")
    basin = analysis.basins(himmelblau, "momentum", {"lr": 0.01, "mu": 0.9}, nx=23, ny=19, steps=300)
    tr = optim_core.run(himmelblau, basin.optimizer, start=basin.starts, steps=300, tol=1e-4, traces=False)
    np.testing.assert_array_equal(basin.final_xy, tr.final_xy)
    np.testing.assert_array_equal(basin.status, tr.status)
    np.testing.assert_array_equal(basin.stopped_at, tr.stopped_at)


def test_a_sweeps_memory_does_not_grow_with_its_steps():
    """Running reductions: a 64 × 64 sweep holds a chunk of points per cell, not its path (a path of 2000
    steps for 4096 cells alone would be 131 MB).  Measured with tracemalloc (NumPy reports its buffers)."""
    import tracemalloc

    def peak(steps):
        tracemalloc.start()
        try:
            analysis.sweep(BOWL, "momentum", "lr", np.geomspace(1e-3, 3, 64), "mu", np.linspace(0, 0.99, 64),
                           steps=steps)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    short, long = peak(100), peak(2000)
    assert long < 1.2 * short + 1e6
    assert long < 20e6


def test_the_pages_largest_sweep_and_basin_map_stay_far_below_300_mb():
    """Issue 14's bound, measured in a fresh process (its peak resident set over its size after the imports):
    the 128 × 128 × 3000 Momentum sweep held 1.7 GB of paths and the 150 × 150 × 3000 basin map 1.2 GB; with
    running reductions each adds a few tens of MB.  No time is asserted."""
    import subprocess
    import sys
    from pathlib import Path

    code = """if True:
        import resource, numpy as np, surfaces
        from optim_core import analysis
        bowl, himmelblau = surfaces.get("bowl"), surfaces.get("himmelblau")
        analysis.sweep(bowl, "momentum", "lr", [0.1, 0.2], "mu", [0.5, 0.9], steps=5)
        analysis.basins(himmelblau, "momentum", {"lr": 0.01, "mu": 0.9}, nx=2, ny=2, steps=5)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        analysis.sweep(bowl, "momentum", "lr", np.geomspace(1e-3, 3, 128), "mu", np.linspace(0, 0.99, 128),
                       steps=3000)
        sweep = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        analysis.basins(himmelblau, "momentum", {"lr": 0.01, "mu": 0.9}, nx=150, ny=150, steps=3000)
        basins = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(sweep - before, basins - before)
    """
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    sweep_kb, basins_kb = map(int, out.stdout.split())
    assert sweep_kb < 100_000, f"the sweep added {sweep_kb / 1e3:.0f} MB"
    assert basins_kb < 150_000, f"the basin map added {basins_kb / 1e3:.0f} MB"


def test_sweep_rejects_bad_parameters():
    with pytest.raises(ValueError, match="both"):
        analysis.sweep(BOWL, "momentum", "lr", [0.1], "lr", [0.2])
    with pytest.raises(ValueError, match="not a hyperparameter"):
        analysis.sweep(BOWL, "sgd", "mu", [0.1], "lr", [0.2])
    with pytest.raises(ValueError, match="options"):
        analysis.sweep(BOWL, "adam", "lr", [0.1], "eps_placement", [0.2])
    with pytest.raises(ValueError, match="varied and fixed"):
        analysis.sweep(BOWL, "momentum", "lr", [0.1], "mu", [0.2], fixed={"mu": 0.5})
    with pytest.raises(ValueError, match="mu = 1"):
        analysis.sweep(BOWL, "momentum", "lr", [0.1], "mu", [1.0])


# The fastest cell of a finite sweep is not exactly the theoretical optimum, which minimises the
# asymptotic rate: steps_to_tol is an integer, and to a finite tol the count includes the transient.
# At the optimum the iteration matrix has a double eigenvalue, so the error decays like k·rᵏ, not
# rᵏ, and a finite tol favours slightly smaller lr and larger mu (complex roots, no factor k).  With a
# practical tol = 1e-12 that pull moves the best cell by up to 27 % in lr and +0.08 in mu on these
# grids; with tol = 1e-30 (reachable: f ≥ 0 is a double down to 1e-308, and 500 steps suffice at
# rate 9/11) the rate dominates and the best cell sits within 10 % in lr and 0.03 in mu.  The grids
# step 12 % in lr and 0.02 in mu, so a factor 1.3 in lr and ±0.06 in mu allows about two cells
# and still pins the optimum inside grids that span 1000× in lr and 0 … 0.98 in mu.
@pytest.mark.parametrize("surface, eigenvalues", [
    (BOWL, (0.1, 2.0)),
    (surfaces.get("ill_conditioned", kappa=100), (0.01, 1.0)),
    (surfaces.get("ill_conditioned", kappa=100, angle=30), (0.01, 1.0)),
])
def test_momentum_sweep_finds_the_theoretical_optimum(surface, eigenvalues):
    small, large = eigenvalues
    kappa = large / small
    lr_opt = (2 / (math.sqrt(small) + math.sqrt(large))) ** 2
    mu_opt = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    result = analysis.sweep(surface, "momentum", "lr", np.geomspace(0.01, 10, 64), "mu", np.linspace(0, 0.98, 50),
                            steps=500, tol=1e-30)
    best = result.best
    assert 1 / 1.3 < best["lr"] / lr_opt < 1.3, (best, lr_opt)
    assert abs(best["mu"] - mu_opt) < 0.06, (best, mu_opt)
    assert result.steps_to_tol[result.best_index] > 0


def test_gd_stability_boundary_matches_divergence_in_an_sgd_sweep():
    """GD on the bowl diverges exactly when lr > 2/λ_max = 1: |1 − 2·lr| > 1.  No grid value lies
    within 0.4 % of 1 (the grid step is 2.5 %), so above it |1 − 2·lr| ≥ 1.008, which carries y₀ = 2
    past 1000 half-diagonals (11180) well within 3000 steps (1.008³⁰⁰⁰ ≈ 2·10¹⁰)."""
    lrs = np.linspace(0.013, 1.6, 64)
    assert np.min(np.abs(lrs - 1.0)) > 0.004
    result = analysis.sweep(BOWL, "sgd", "lr", lrs, start=START, steps=3000)
    np.testing.assert_array_equal(result.diverged, lrs > 1.0)
    assert analysis.quadratic_theory(BOWL).gd_lr_max == pytest.approx(1.0)


def test_momentum_stability_boundary_matches_divergence_in_a_sweep():
    """Momentum on the bowl is stable iff lr·2 < 2(1 + mu), i.e. lr < 1 + mu.  Cells within 1 %
    of the boundary are left out: there the rate is within about 2 % of 1 and 3000 steps may not
    settle the question either way; everywhere else the sweep must agree with the formula."""
    lrs = np.geomspace(0.05, 4, 60)
    mus = np.linspace(0, 0.95, 40)
    result = analysis.sweep(BOWL, "momentum", "lr", lrs, "mu", mus, start=START, steps=3000)
    boundary = 1.0 + mus[:, None]
    predicted_unstable = lrs[None, :] > boundary
    clear = np.abs(lrs[None, :] / boundary - 1) > 0.01
    assert clear.sum() > 0.95 * clear.size
    np.testing.assert_array_equal(result.diverged[clear], predicted_unstable[clear])
    # and the module's own stability test is the same formula
    theory = analysis.quadratic_theory(BOWL)
    np.testing.assert_array_equal(theory.momentum_stable(lrs[None, :], mus[:, None])[clear],
                                  ~predicted_unstable[clear])


# --- quadratic theory ---------------------------------------------------------------------------


def test_quadratic_theory_of_the_bowl_by_hand():
    theory = analysis.quadratic_theory(BOWL)
    assert theory.lambda_min == pytest.approx(0.1) and theory.lambda_max == pytest.approx(2.0)
    assert theory.kappa == pytest.approx(20.0)
    assert theory.gd_lr_max == pytest.approx(1.0)
    assert theory.gd_lr_opt == pytest.approx(2 / 2.1)
    assert theory.gd_rate_opt == pytest.approx(19 / 21)
    # (2/(0.316228 + 1.414214))² = 1.155774² ; ((4.472136 − 1)/(4.472136 + 1))² = 0.634512²
    assert theory.momentum_lr_opt == pytest.approx(1.335815, rel=1e-6)
    assert theory.momentum_mu_opt == pytest.approx(0.402605, rel=1e-5)
    assert theory.momentum_rate_opt == pytest.approx(0.634512, rel=1e-5)


def test_quadratic_theory_ignores_the_rotation():
    theory = analysis.quadratic_theory(surfaces.get("ill_conditioned", kappa=50, angle=-35))
    np.testing.assert_allclose(theory.eigenvalues, [1 / 50, 1.0], rtol=1e-12)
    assert theory.kappa == pytest.approx(50.0)


@pytest.mark.parametrize("surface_id", ["saddle", "monkey_saddle", "rosenbrock", "himmelblau", "two_wells",
                                        "beale", "rastrigin", "six_hump_camel"])
def test_quadratic_theory_is_none_for_other_surfaces(surface_id):
    # the saddle x² − y² has a constant Hessian, but it is not positive definite
    assert analysis.quadratic_theory(surfaces.get(surface_id)) is None


def test_momentum_rate_without_momentum_is_gradient_descents():
    lrs = np.array([0.3, 0.9, 1.2])
    # max(|1 − 0.03|, |1 − 0.6|), max(|1 − 0.09|, |1 − 1.8|), max(|1 − 0.12|, |1 − 2.4|)
    np.testing.assert_allclose(analysis.momentum_rate(lrs, 0.0, [0.1, 2.0]), [0.97, 0.91, 1.4], rtol=1e-12)
    np.testing.assert_allclose(analysis.gd_rate(lrs, [0.1, 2.0]), [0.97, 0.91, 1.4], rtol=1e-12)


def test_momentum_rate_by_hand():
    # λ = 1, lr = 0.25, mu = 0.25: z² − z + 0.25 = (z − 0.5)², critical damping, rate √mu = 0.5
    assert analysis.momentum_rate(0.25, 0.25, [1.0]) == pytest.approx(0.5)
    # λ = 1, lr = 1, mu = 0.81: z² − 0.81z + 0.81 has complex roots of modulus √0.81 = 0.9
    assert analysis.momentum_rate(1.0, 0.81, [1.0]) == pytest.approx(0.9)
    # λ = 1, lr = 0.05, mu = 0.25: z² − 1.2z + 0.25, roots (1.2 ± √0.44)/2 = 0.93166, 0.26834
    assert analysis.momentum_rate(0.05, 0.25, [1.0]) == pytest.approx((1.2 + math.sqrt(0.44)) / 2)
    # λ = 1, lr = 3, mu = 0.5: z² + 1.5z + 0.5 = (z + 1)(z + 0.5): on the stability boundary
    assert analysis.momentum_rate(3.0, 0.5, [1.0]) == pytest.approx(1.0)


def test_momentum_rate_is_the_spectral_radius_of_the_iteration_matrix():
    rng = np.random.default_rng(7)
    lr = 10 ** rng.uniform(-3, 1, 200)
    mu = rng.uniform(0, 0.999, 200)
    eigenvalues = np.array([0.02, 1.0])
    rates = analysis.momentum_rate(lr, mu, eigenvalues)
    for i in range(200):
        radius = max(np.max(np.abs(np.linalg.eigvals([[1 + mu[i] - lr[i] * lam, -mu[i]], [1.0, 0.0]])))
                     for lam in eigenvalues)
        assert rates[i] == pytest.approx(radius, rel=1e-6, abs=1e-9)
    # the stable set is exactly rate < 1 (away from rounding at the boundary)
    stable = analysis.momentum_stable(lr, mu, eigenvalues)
    clear = np.abs(rates - 1) > 1e-9
    np.testing.assert_array_equal(stable[clear], (rates < 1)[clear])


def test_momentum_rate_is_smallest_at_the_optimum():
    theory = analysis.quadratic_theory(surfaces.get("ill_conditioned", kappa=100))
    lr, mu = np.meshgrid(np.geomspace(0.5, 10, 300), np.linspace(0, 0.99, 300))
    rates = theory.momentum_rate(lr, mu)
    assert rates.min() >= theory.momentum_rate_opt - 1e-12
    assert theory.momentum_rate(theory.momentum_lr_opt, theory.momentum_mu_opt) == pytest.approx(9 / 11)
    i = np.unravel_index(rates.argmin(), rates.shape)
    assert lr[i] == pytest.approx(theory.momentum_lr_opt, rel=0.03)
    assert mu[i] == pytest.approx(theory.momentum_mu_opt, abs=0.01)


def test_predicted_steps_to_tol_is_close_to_the_measured_count():
    """SGD lr = 0.5 on the bowl: rate 0.95, f from 6.45 to 1e-6 predicted in
    ⌈ln(1e-6/6.45)/(2 ln 0.95)⌉ = 153 steps; the run takes 144 (its y part vanishes at once)."""
    theory = analysis.quadratic_theory(BOWL)
    predicted = theory.predicted_steps_to_tol(theory.gd_rate(0.5), 6.45, 1e-6)
    assert predicted == math.ceil(math.log(1e-6 / 6.45) / (2 * math.log(0.95))) == 153
    assert analysis.predicted_steps_to_tol(1.2, 6.45, 1e-6) == -1
    assert analysis.predicted_steps_to_tol(0.5, 1e-7, 1e-6) == 0


# --- hessian_info ---------------------------------------------------------------------------


def test_hessian_info_at_a_himmelblau_minimum_by_hand():
    """At (3, 2): f_xx = 12x² + 4y − 42 = 74, f_xy = 4x + 4y = 20, f_yy = 4x + 12y² − 26 = 34,
    λ = 54 ∓ √(20² + 20²) = 54 ∓ 28.2843."""
    info = analysis.hessian_info(surfaces.get("himmelblau"), (3.0, 2.0))
    np.testing.assert_allclose(info.hessian, [[74, 20], [20, 34]], rtol=1e-12)
    np.testing.assert_allclose(info.eigenvalues, [54 - math.sqrt(800), 54 + math.sqrt(800)], rtol=1e-12)
    assert info.condition == pytest.approx((54 + math.sqrt(800)) / (54 - math.sqrt(800)))
    assert info.lr_max == pytest.approx(2 / (54 + math.sqrt(800)))
    h = info.hessian @ info.eigenvectors
    np.testing.assert_allclose(h, info.eigenvectors * info.eigenvalues, atol=1e-10)


def test_hessian_info_on_saddles_and_batches():
    info = analysis.hessian_info(surfaces.get("saddle"), (0.3, -1.0))
    np.testing.assert_allclose(info.eigenvalues, [-2.0, 2.0])
    assert info.condition == pytest.approx(1.0) and info.lr_max == pytest.approx(1.0)
    # the monkey saddle's Hessian vanishes at the origin: singular, no upward curvature
    flat = analysis.hessian_info(surfaces.get("monkey_saddle"), (0.0, 0.0))
    assert flat.condition == math.inf and flat.lr_max is None
    # Himmelblau's local maximum (−0.270845, −0.923039): negative definite, no stable lr
    points = np.array([[[0.0, 0.0], [3.0, 2.0]], [[0.0, 0.0], [-0.270845, -0.923039]]])
    batch = analysis.hessian_info(surfaces.get("himmelblau"), points)
    assert batch.eigenvalues.shape == (2, 2, 2) and batch.condition.shape == (2, 2) and batch.lr_max.shape == (2, 2)
    assert np.all(batch.eigenvalues[1, 1] < 0) and np.isnan(batch.lr_max[1, 1])
    assert batch.lr_max[0, 1] == pytest.approx(2 / (54 + math.sqrt(800)))


# --- basins -----------------------------------------------------------------------------------

HIMMELBLAU_MINIMA = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]


@pytest.mark.parametrize("name, hyper", [("sgd", dict(lr=0.01)), ("momentum", dict(lr=0.005, mu=0.9)),
                                         ("adam", dict(lr=0.05))])
def test_basins_on_himmelblau_find_all_four_minima(name, hyper):
    himmelblau = surfaces.get("himmelblau")
    basin = analysis.basins(himmelblau, name, hyper, nx=60, ny=50, steps=300)
    assert basin.label.shape == (50, 60) and basin.final_xy.shape == (50, 60, 2)
    assert basin.found == (0, 1, 2, 3)
    assert basin.counts.sum() == np.sum(basin.label >= 0)
    # a start next to each minimum (listed from the literature, not from the surface) ends in it
    for minimum in HIMMELBLAU_MINIMA:
        distance = np.linalg.norm(basin.starts - minimum, axis=-1)
        i, j = np.unravel_index(distance.argmin(), distance.shape)
        np.testing.assert_allclose(himmelblau.minima[basin.label[i, j]], minimum, atol=1e-5)
    # every labelled run really ended at its minimum
    labelled = basin.label >= 0
    ends = himmelblau.minima[basin.label[labelled]]
    assert np.max(np.linalg.norm(basin.final_xy[labelled] - ends, axis=-1)) < 1e-3


def test_basins_on_two_wells_find_both_wells():
    two_wells = surfaces.get("two_wells")
    basin = analysis.basins(two_wells, "sgd", dict(lr=0.05), nx=41, ny=31, steps=300)
    assert basin.found == (0, 1)
    # x < saddle (0.0754) rolls into the global well (−1.0356, 0), x > it into the local one (0.9602, 0)
    global_well = int(np.argmin(np.abs(two_wells.minima[:, 0] + 1.035579)))
    local_well = 1 - global_well
    assert np.all(basin.label[:, basin.x < -0.1] == global_well)
    assert np.all(basin.label[:, basin.x > 0.2] == local_well)


def test_basins_mark_diverged_runs():
    basin = analysis.basins(surfaces.get("himmelblau"), "sgd", dict(lr=0.05), nx=30, ny=30, steps=200)
    assert np.any(basin.label == analysis.DIVERGED)
    np.testing.assert_array_equal(basin.label == analysis.DIVERGED, basin.status == "diverged")


def test_basins_without_minima_label_nothing():
    basin = analysis.basins(surfaces.get("saddle"), "sgd", dict(lr=0.1), nx=10, ny=10, steps=50)
    assert basin.found == () and np.all(basin.label < 0)


def test_basins_take_one_setting():
    with pytest.raises(ValueError, match="lr is an array"):
        analysis.basins(BOWL, "sgd", dict(lr=np.array([0.1, 0.2])), nx=5, ny=5, steps=5)


# --- random search and grid search ------------------------------------------------------------

EDGE_MESSAGE = re.compile(r"best (\w+) = (\S+) lies on the (lower|upper) edge of \[(\S+), (\S+)\]: widen the range")


def test_random_search_warns_when_the_best_lr_is_on_the_upper_edge():
    """lr ∈ [1e-6, 1e-4] on the bowl: every run is far too slow, so the largest lr sampled wins."""
    result = analysis.random_search(BOWL, "sgd", {"lr": (1e-6, 1e-4, True)}, 40, seed=0, steps=200)
    assert result.best["lr"] == result.samples["lr"].max()
    assert dict(result.edges) == {"lr": "upper"}
    (message,) = result.on_boundary
    match = EDGE_MESSAGE.fullmatch(message)
    assert match and match.group(1) == "lr" and match.group(3) == "upper"
    assert match.group(4, 5) == ("1e-06", "0.0001")


def test_random_search_warns_when_the_best_lr_is_on_the_lower_edge():
    """lr ∈ [1.05, 100]: GD on the bowl diverges for every lr > 1; the smallest lr blows up last."""
    result = analysis.random_search(BOWL, "sgd", {"lr": (1.05, 100, True)}, 30, seed=3, steps=300)
    assert result.diverged.all()
    assert result.best["lr"] == result.samples["lr"].min()
    assert dict(result.edges) == {"lr": "lower"}
    assert "lower edge of [1.05, 100]" in result.on_boundary[0]


def test_random_search_does_not_warn_for_an_interior_optimum():
    """lr ∈ [1e-2, 10]: GD's best lr on the bowl is near 2/(0.1 + 2) = 0.95 (log10 ≈ 0, the middle);
    with momentum the optimum (1.34, 0.40) is inside lr ∈ [1e-3, 10], mu ∈ [0, 0.99] too."""
    sgd = analysis.random_search(BOWL, "sgd", {"lr": (1e-2, 10, True)}, 50, seed=0, steps=500, tol=1e-12)
    assert sgd.on_boundary == () and not sgd.diverged[sgd.best_index]
    assert 0.3 < sgd.best["lr"] < 1.0
    ranges = {"lr": (1e-3, 10, True), "mu": (0.0, 0.99, False)}
    momentum = analysis.random_search(BOWL, "momentum", ranges, 64, seed=1, steps=500, tol=1e-12)
    assert momentum.on_boundary == () and momentum.edges == {}


def test_random_search_samples_on_a_log_scale_and_is_reproducible():
    a = analysis.random_search(BOWL, "sgd", {"lr": (1e-6, 10, True)}, 2000, seed=5, steps=1)
    b = analysis.random_search(BOWL, "sgd", {"lr": (1e-6, 10, True)}, 2000, seed=5, steps=1)
    np.testing.assert_array_equal(a.samples["lr"], b.samples["lr"])
    exponents = np.log10(a.samples["lr"])
    assert exponents.min() >= -6 and exponents.max() < 1
    # uniform in the exponent: about 1/7 of the samples in each decade
    counts = np.histogram(exponents, bins=7, range=(-6, 1))[0]
    assert np.all(np.abs(counts - 2000 / 7) < 60)


def test_random_search_tries_n_distinct_values_where_grid_search_tries_sqrt_n():
    ranges = {"lr": (1e-3, 10, True), "mu": (0.0, 0.99, False)}
    random = analysis.random_search(BOWL, "momentum", ranges, 64, seed=0, steps=50)
    grid = analysis.grid_search(BOWL, "momentum", ranges, 64, steps=50)
    assert random.n == grid.n == 64
    assert random.distinct_values == {"lr": 64, "mu": 64}
    assert grid.distinct_values == {"lr": 8, "mu": 8}
    np.testing.assert_allclose(np.unique(grid.samples["lr"]), np.geomspace(1e-3, 10, 8))
    # a budget that is no square: ⌊√70⌋ = 8 values per axis, 64 runs
    assert analysis.grid_search(BOWL, "momentum", ranges, 70, steps=5).n == 64


def test_refine_narrows_around_the_best_and_moves_past_an_edge():
    ranges = {"lr": (1e-3, 10, True), "mu": (0.0, 0.99, False)}
    coarse = analysis.random_search(BOWL, "momentum", ranges, 64, seed=2, steps=300, tol=1e-12)
    fine = analysis.refine(coarse, factor=0.2)
    lo, hi, log = fine["lr"]
    assert log and math.log10(hi / lo) == pytest.approx(0.2 * 4)
    assert math.sqrt(lo * hi) == pytest.approx(coarse.best["lr"])
    lo, hi, log = fine["mu"]
    assert not log and hi - lo == pytest.approx(0.2 * 0.99) and (lo + hi) / 2 == pytest.approx(coarse.best["mu"])
    # second stage, as the notes do it
    second = analysis.random_search(BOWL, "momentum", fine, 64, seed=3, steps=300, tol=1e-12)
    assert second.steps_to_tol[second.best_index] <= coarse.steps_to_tol[coarse.best_index] + 2
    # a best on the upper edge of lr: the refined range reaches past the old edge
    edge = analysis.random_search(BOWL, "sgd", {"lr": (1e-6, 1e-4, True)}, 20, seed=0, steps=100)
    assert analysis.refine(edge, factor=0.5)["lr"][1] > 1e-4
    # mu stays a valid momentum (< 1) whatever the best is
    high_mu = analysis.refine(analysis.random_search(BOWL, "momentum", {"mu": (0.9, 0.999, False)}, 8, seed=0,
                                                     steps=5, fixed={"lr": 1e-3}), factor=1.0)
    assert high_mu["mu"][1] < 1.0


# --- step breakdown ---------------------------------------------------------------------------

ROSENBROCK = surfaces.get("rosenbrock")
BREAKDOWN_CASES = [(name, {"lr": 5e-4} if name in ("sgd", "momentum", "nesterov") else {})
                   for name in optim_core.names()] + [
    ("nesterov", dict(lr=5e-4, form="reformulated")),
    ("adam", dict(eps_placement="book")),
    ("adam", dict(bias_correction=False, lr=0.01)),
    ("adam", dict(eps_placement="inside", eps=1e-3)),
    ("adagrad", dict(eps_placement="inside", eps=0.01)),
    ("rmsprop", dict(eps_placement="inside")),
    ("amsgrad", dict(beta2=0.5)),
    ("adamw", dict(weight_decay=0.3)),
    ("momentum", dict(lr=schedules.step_decay(1e-3, 0.5, 2), mu=schedules.linear_ramp(0.5, 0.9, 4))),
    ("nesterov", dict(lr=5e-4, mu=schedules.linear_ramp(0.5, 0.9, 4))),
    ("adam", dict(lr=schedules.exponential_decay(0.1, 0.2), beta1=schedules.linear_ramp(0.5, 0.9, 5))),
    ("nadam", dict(beta1=schedules.linear_ramp(0.5, 0.9, 5), beta2=schedules.linear_ramp(0.9, 0.999, 5))),
]


@pytest.mark.parametrize("name, hyper", BREAKDOWN_CASES, ids=lambda case: str(case))
@pytest.mark.parametrize("k", [1, 2, 7])
def test_step_breakdown_parts_add_up_to_the_recorded_step(name, hyper, k):
    opt = optim_core.make(name, **hyper)
    tr = optim_core.run(ROSENBROCK, opt, start=(-1.2, 1.0), steps=10, tol=None, record_state=True)
    parts = analysis.trajectory_breakdown(ROSENBROCK, tr, k)
    np.testing.assert_allclose(parts.reconstructed, tr.step[k - 1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(parts.x_prev + parts.reconstructed, tr.xy[k], rtol=0, atol=1e-12)
    assert set(parts.arrows) >= {"grad", "step"}
    # the recomputed state after the update is the one the runner recorded
    recorded = {field: values[k - 1] for field, values in tr.state.items()}
    recomputed = {"momentum_buffer": "v", "cache": "cache", "exp_avg": "m", "exp_avg_sq": "v",
                  "max_exp_avg_sq": "v_max", "square_avg": "square_avg", "acc_delta": "acc_delta",
                  "beta1_power": "beta1_power", "beta2_power": "beta2_power"}
    for field, value in recorded.items():
        key = recomputed.get(field)  # a quasi-Newton state (H, the (s, y) history) is checked in test_quasi_newton
        if key in parts.terms:
            np.testing.assert_allclose(parts.terms[key].value, value, rtol=1e-12, atol=1e-300)
    if "effective_lr" in parts.terms:
        np.testing.assert_allclose(parts.terms["effective_lr"].value, tr.effective_lr[k - 1], rtol=1e-12)
    # the same breakdown from the optimizer directly
    again = analysis.step_breakdown(ROSENBROCK, opt, (-1.2, 1.0), k)
    np.testing.assert_allclose(again.delta, parts.delta, rtol=0, atol=0)


@pytest.mark.parametrize("name, hyper", BREAKDOWN_CASES + [("bfgs", {}), ("lbfgs", {}), ("newton", {}),
                                                      ("sgd", dict(line_search="armijo")),
                                                      ("newton", dict(line_search="wolfe"))],
                         ids=lambda case: str(case))
def test_run_parts_is_every_single_breakdown_at_once(name, hyper):
    """The stage's arrows: all updates taken apart in one vectorised call agree with the one-update
    breakdown at each k, and add up to the steps the runner recorded."""
    opt = optim_core.make(name, **hyper)
    tr = optim_core.run(ROSENBROCK, opt, start=(-1.2, 1.0), steps=10, tol=None, record_state=True)
    every = analysis.run_parts(tr)
    np.testing.assert_allclose(every.reconstructed, tr.step, rtol=0, atol=1e-12)
    for k in range(1, len(tr.step) + 1):
        one = analysis.trajectory_breakdown(ROSENBROCK, tr, k)
        assert set(every.parts) == set(one.parts)
        for key, part in one.parts.items():
            np.testing.assert_allclose(every.parts[key][k - 1], part.value, rtol=1e-12, atol=1e-300)
            assert every.labels[key] == part.label
        if "effective_lr" in one.terms:
            np.testing.assert_allclose(every.effective_lr[k - 1], one.terms["effective_lr"].value, rtol=1e-12)


def test_run_parts_of_momentum_by_hand():
    """The bowl from (−7, 2), lr 0.1, mu 0.9: update 1 is −lr·g₀ = (0.07, −0.4) with no history; update 2
    is mu·v₁ = (0.063, −0.36) plus −lr·g₁ = (0.0693, −0.32) (the numbers of test_momentum_breakdown_by_hand)."""
    tr = optim_core.run(BOWL, optim_core.make("momentum", lr=0.1, mu=0.9), START, 2, record_state=True)
    every = analysis.run_parts(tr)
    np.testing.assert_allclose(every.parts["momentum"], [[0, 0], [0.063, -0.36]], atol=1e-15)
    np.testing.assert_allclose(every.parts["gradient"], [[0.07, -0.4], [0.0693, -0.32]], atol=1e-15)
    assert every.history == "momentum" and every.effective_lr is None


def test_run_parts_of_adagrad_scales_each_axis():
    """AdaGrad's first update: cache = g², so lr/(√cache + ε) = lr/(|g| + ε) on each axis; g = (−0.7, 4)."""
    tr = optim_core.run(BOWL, optim_core.make("adagrad", lr=0.5), START, 1, record_state=True)
    every = analysis.run_parts(tr)
    np.testing.assert_allclose(every.effective_lr[0], 0.5 / (np.array([0.7, 4.0]) + 1e-7), rtol=1e-6)
    assert analysis.run_parts(optim_core.run(BOWL, optim_core.make("sgd"), START, 0, record_state=True)).parts == {}


def test_momentum_breakdown_by_hand():
    """The bowl from (−7, 2), lr 0.1, mu 0.9 (see test_rules): v₁ = (0.07, −0.4), g₁ = (−0.693, 3.2);
    update 2 = mu·v₁ − lr·g₁ = (0.063, −0.36) + (0.0693, −0.32) = (0.1323, −0.68)."""
    parts = analysis.step_breakdown(BOWL, optim_core.make("momentum", lr=0.1, mu=0.9), START, 2)
    np.testing.assert_allclose(parts.terms["v_prev"].value, [0.07, -0.4], atol=1e-15)
    np.testing.assert_allclose(parts.terms["g"].value, [-0.693, 3.2], atol=1e-15)
    np.testing.assert_allclose(parts.parts["momentum"].value, [0.063, -0.36], atol=1e-15)
    np.testing.assert_allclose(parts.parts["gradient"].value, [0.0693, -0.32], atol=1e-15)
    np.testing.assert_allclose(parts.delta, [0.1323, -0.68], atol=1e-12)
    np.testing.assert_allclose(parts.arrows["momentum"], [0.063, -0.36], atol=1e-15)
    assert parts.lookahead_point is None and parts.k == 2


def test_nesterov_breakdown_shows_the_lookahead_point():
    """Look-ahead x₁ + 0.9·v₁ = (−6.93, 1.6) + (0.063, −0.36) = (−6.867, 1.24),
    where g = (−0.6867, 2.48)."""
    parts = analysis.step_breakdown(BOWL, optim_core.make("nesterov", lr=0.1, mu=0.9), START, 2)
    np.testing.assert_allclose(parts.lookahead_point, [-6.867, 1.24], atol=1e-12)
    np.testing.assert_allclose(parts.grad_point, parts.lookahead_point)
    np.testing.assert_allclose(parts.terms["g"].value, [-0.6867, 2.48], atol=1e-12)
    np.testing.assert_allclose(parts.delta, [0.13167, -0.608], atol=1e-12)


def test_adam_breakdown_first_step():
    """t = 1: m̂ = g, v̂ = g², η_eff = lr/(|g| + eps); g = (−0.7, 4)."""
    parts = analysis.step_breakdown(BOWL, optim_core.make("adam", lr=0.3), START, 1)
    g = np.array([-0.7, 4.0])
    np.testing.assert_allclose(parts.terms["m_hat"].value, g, rtol=1e-12)
    np.testing.assert_allclose(parts.terms["v_hat"].value, g**2, rtol=1e-12)
    np.testing.assert_allclose(parts.terms["effective_lr"].value, 0.3 / (np.abs(g) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(parts.delta, -0.3 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    # at t = 1 the history part is zero: m₀ = 0
    np.testing.assert_allclose(parts.parts["momentum"].value, 0.0)


def test_step_breakdown_rejects_what_it_cannot_show():
    with pytest.raises(ValueError, match="single run"):
        analysis.step_breakdown(BOWL, optim_core.make("sgd", lr=np.array([0.1, 0.2])), START, 1)
    tr = optim_core.run(BOWL, optim_core.make("momentum"), start=START, steps=3, tol=None)
    with pytest.raises(ValueError, match="record_state"):
        analysis.trajectory_breakdown(BOWL, tr, 2)
    with pytest.raises(ValueError, match="out of range"):
        analysis.step_breakdown(BOWL, optim_core.make("sgd", lr=0.1), START, 0)


def test_steps_to_tol_uses_the_gradient_norm_where_there_is_no_minimum():
    """The saddle x² − y² has no minimum, so the gap is ‖∇f‖ = 2‖(x, −y)‖.  SGD with lr 0.25 from (1, 0)
    halves x every step: ‖∇f(x_k)‖ = 2·0.5ᵏ ≤ 0.3 first at k = 3 (2·0.125 = 0.25; k = 2 gives 0.5)."""
    saddle = surfaces.get("saddle")
    tr = optim_core.run(saddle, optim_core.make("sgd", lr=0.25), start=(1.0, 0.0), steps=6, tol=None)
    assert int(analysis.steps_to_tol(saddle, tr, 0.3)) == 3
    # on the bowl (f_min = 0) it is the gap in f: from (0, 1) with lr 0.25, y halves, f = 0.25ᵏ ≤ 0.01 at k = 4
    tr = optim_core.run(BOWL, optim_core.make("sgd", lr=0.25), start=(0.0, 1.0), steps=6, tol=None)
    assert int(analysis.steps_to_tol(BOWL, tr, 0.01)) == 4


# --- the notes' learning-rate picture ---------------------------------------------------------------


def test_learning_rates_are_spread_on_a_log_scale():
    np.testing.assert_allclose(analysis.spread_learning_rates(0.1, 7, 3.0),
                               [0.1 * 10**-1.5, 0.1 * 10**-1, 0.1 * 10**-0.5, 0.1, 0.1 * 10**0.5, 1.0, 0.1 * 10**1.5])
    with pytest.raises(ValueError, match="centre"):
        analysis.spread_learning_rates(0.0)


def test_verdicts_follow_the_notes_picture():
    """By hand: the rate that diverged and the one that ended above its start are "very high"; of the
    rest, 0.1 ended lowest ("good"), 0.3 is above it ("high"), 0.01 and 0.03 below ("low")."""
    verdicts = analysis.learning_rate_verdicts([0.01, 0.03, 0.1, 0.3, 1.0, 3.0], [5.0, 1.0, 1e-6, 0.5, 9.0, 1.0],
                                               initial_gap=6.45, diverged=[False] * 5 + [True])
    assert verdicts == ("low", "low", "good", "high", "very high", "very high")
    assert analysis.learning_rate_verdicts([1.0, 2.0], [np.nan, 7.0], 6.45, [True, False]) == ("very high",) * 2


def test_sgd_on_the_bowl_shows_every_verdict():
    """GD on the bowl (λ = 0.1, 2): stable for lr < 2/λmax = 1; x shrinks by |1 − 0.1·lr| a step and y by
    |1 − 2·lr|.  Of 0.01 … 10 (7 rates over 3 decades around 0.316), 3.16 and 10 blow up ("very high").
    With 50 steps from (−7, 2), the y part dies fastest near lr = 0.5, but x needs a large lr: 1 (|1 − 2| = 1
    keeps y bouncing) is worse than 0.316, so 0.316 is "good", below it "low"; 1 is "high"."""
    curves = analysis.learning_rate_curves(BOWL, "sgd", analysis.spread_learning_rates(10**-0.5, 7, 3.0),
                                           start=START, steps=50)
    assert curves.verdicts == ("low", "low", "low", "good", "high", "very high", "very high")
    assert curves.gap.shape == (7, 51) and np.isnan(curves.gap[-1, -1]) and not np.isnan(curves.gap[3]).any()
