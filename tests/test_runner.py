"""run(): batches, stopping, divergence, noise, schedules, averaging and bad input."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optim_core
import surfaces
from optim_core import schedules

BOWL = surfaces.get("bowl")


def test_single_run_shapes_and_traces():
    tr = optim_core.run(BOWL, optim_core.make("momentum", lr=0.1), start=(-7, 2), steps=30, tol=None)
    assert tr.xy.shape == (31, 2) and tr.loss.shape == (31,) and tr.grad.shape == (31, 2)
    assert tr.step.shape == (30, 2) and tr.step_norm.shape == (30,) and tr.effective_lr.shape == (30, 2)
    assert tr.status == "max_steps" and tr.stopped_at == 30
    np.testing.assert_allclose(tr.loss, tr.xy[:, 0] ** 2 / 20 + tr.xy[:, 1] ** 2)
    np.testing.assert_allclose(tr.step, np.diff(tr.xy, axis=0))
    np.testing.assert_allclose(tr.step_norm, np.hypot(*np.diff(tr.xy, axis=0).T))
    np.testing.assert_allclose(tr.lr, 0.1)


def test_polyak_average_is_the_running_mean_of_the_iterates():
    tr = optim_core.run(BOWL, optim_core.make("sgd", lr=0.95), start=(-7, 2), steps=30, tol=None)
    expected = np.cumsum(tr.xy, axis=0) / np.arange(1, 32)[:, None]
    np.testing.assert_allclose(tr.xy_avg, expected)
    # on the zig-zag the average sits much closer to the valley floor y = 0 than the last iterate
    assert abs(tr.xy_avg[-1, 1]) < 0.5 * abs(tr.xy[-1, 1])


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "newton", "bfgs",
                                  "lbfgs", "adadelta", "nadam", "amsgrad", "adamw"])
def test_batch_equals_single_runs(name):
    rosen = surfaces.get("rosenbrock")
    lrs = np.array([1e-4, 5e-4, 1e-3])
    starts = np.array([[-1.2, 1.0], [0.5, 2.0]])
    batch = optim_core.run(rosen, optim_core.make(name, lr=lrs[:, None]), start=starts, steps=80, tol=None)
    assert batch.xy.shape == (3, 2, 81, 2)
    for i, lr in enumerate(lrs):
        for j, start in enumerate(starts):
            single = optim_core.run(rosen, optim_core.make(name, lr=lr), start=start, steps=80, tol=None)
            n = single.xy.shape[0]
            np.testing.assert_allclose(batch.xy[i, j, :n], single.xy, rtol=1e-12, atol=1e-14)
            assert batch.status[i, j] == single.status and batch.stopped_at[i, j] == single.stopped_at


def test_batch_marks_runs_that_stopped_early():
    lrs = np.array([0.5, 1.5, 0.0])  # converges / diverges (|1 − 2·1.5| = 2 > 1) / stands still
    tr = optim_core.run(BOWL, optim_core.make("sgd", lr=lrs), start=(0.0, 2.0), steps=200, tol=1e-8)
    assert list(tr.status) == ["converged", "diverged", "max_steps"]
    # lr 0.5: y ← (1 − 1)·y reaches 0 after one update
    assert tr.stopped_at[0] == 1 and tr.stopped_at[2] == 200
    # lr 1.5: |y_k| = 2·2^k leaves 1000 half-diagonals (11180.3) at k = 13
    assert tr.stopped_at[1] == 13
    assert tr.xy.shape == (3, 201, 2) and np.all(np.isfinite(tr.xy))
    assert tr.active[1].sum() == 13 and np.all(tr.xy[1, 13:] == tr.xy[1, 12])
    assert np.all(tr.step_norm[1, 12:] == 0) and np.all(np.isnan(tr.effective_lr[1, 12:]))


def test_divergence_keeps_the_last_finite_point():
    tr = optim_core.run(BOWL, optim_core.make("sgd", lr=1.5), start=(0.0, 2.0), steps=100)
    assert tr.status == "diverged" and tr.stopped_at == 13
    assert tr.xy.shape == (13, 2) and abs(tr.xy[-1, 1]) == 2 * 2**12
    tr = optim_core.run(BOWL, optim_core.make("sgd", lr=1e300), start=(-7, 2), steps=100)
    assert tr.status == "diverged" and tr.stopped_at == 1 and tr.xy.shape == (1, 2)


def test_overflow_to_inf_is_diverged_not_nan():
    tr = optim_core.run(surfaces.get("rosenbrock"), optim_core.make("sgd", lr=0.1), start=(-1.2, 1.0),
                        steps=50, diverge_radius=1e300)
    assert tr.status == "diverged" and np.all(np.isfinite(tr.xy)) and np.all(np.isfinite(tr.loss))


def test_convergence_stops_the_run():
    tr = optim_core.run(BOWL, optim_core.make("sgd", lr=0.5), start=(-7, 2), steps=1000, tol=1e-6)
    # x shrinks by 0.95 per step: |x_k|/10 ≤ 1e-6 first at 0.7·0.95^k ≤ 1e-6, k = ⌈ln(1e-6/0.7)/ln 0.95⌉
    expected = math.ceil(math.log(1e-6 / 0.7) / math.log(0.95))
    assert tr.status == "converged" and tr.stopped_at == expected and tr.xy.shape == (expected + 1, 2)


def test_noise_is_reproducible_with_a_seed():
    opt = optim_core.make("sgd", lr=0.1)
    a = optim_core.run(BOWL, opt, steps=20, noise=0.5, seed=3)
    b = optim_core.run(BOWL, opt, steps=20, noise=0.5, seed=3)
    c = optim_core.run(BOWL, opt, steps=20, noise=0.5, seed=4)
    clean = optim_core.run(BOWL, opt, steps=20, noise=0.0, seed=3)
    np.testing.assert_array_equal(a.xy, b.xy)
    assert not np.allclose(a.xy, c.xy)
    # the noise is exactly what was added to the exact gradient
    noise = a.grad_used - a.grad[:-1]
    assert 0.3 < noise.std() < 0.7
    np.testing.assert_allclose(clean.grad_used, clean.grad[:-1])


def test_schedule_values():
    t = np.arange(12)
    np.testing.assert_allclose(schedules.constant(0.3)(t), 0.3)
    np.testing.assert_allclose(schedules.step_decay(1.0, 0.5, every=5)(t), [1] * 5 + [0.5] * 5 + [0.25] * 2)
    np.testing.assert_allclose(schedules.exponential_decay(2.0, k=0.1)(t), 2.0 * np.exp(-0.1 * t))
    np.testing.assert_allclose(schedules.inverse_time_decay(2.0, k=0.5)(t), 2.0 / (1 + 0.5 * t))
    ramp = schedules.linear_ramp(0.5, 0.99, ramp_steps=10)
    assert ramp(0) == 0.5 and ramp(10) == pytest.approx(0.99) and ramp(50) == pytest.approx(0.99)
    assert ramp(5) == pytest.approx(0.745)


def test_schedule_drives_the_run():
    lr = schedules.step_decay(0.9, 0.5, every=2)
    tr = optim_core.run(BOWL, optim_core.make("sgd", lr=lr), start=(0.0, 1.0), steps=4, tol=None)
    np.testing.assert_allclose(tr.lr, [0.9, 0.9, 0.45, 0.45])
    # y ← (1 − 2·lr_t)·y
    np.testing.assert_allclose(tr.xy[:, 1], np.cumprod([1, 1 - 1.8, 1 - 1.8, 1 - 0.9, 1 - 0.9]), atol=1e-15)


def test_momentum_ramp_schedule():
    mu = schedules.linear_ramp(0.0, 0.5, ramp_steps=1)
    tr = optim_core.run(BOWL, optim_core.make("momentum", lr=0.1, mu=mu), start=(0.0, 1.0), steps=2, tol=None)
    # update 0 uses mu = 0, update 1 uses mu = 0.5: v₁ = −0.2, y₁ = 0.8; v₂ = 0.5·(−0.2) − 0.1·1.6
    np.testing.assert_allclose(tr.xy[:, 1], [1.0, 0.8, 0.8 - 0.1 - 0.16])


def test_a_schedule_leaving_the_valid_range_is_refused():
    with pytest.raises(ValueError, match=r"mu = 1 is out of range: valid range is \[0, 1\)"):
        optim_core.run(BOWL, optim_core.make("momentum", mu=schedules.linear_ramp(0.5, 1.0, 5)), steps=10)


def test_eps_zero_at_a_zero_gradient_gives_no_nan():
    for name in ["adagrad", "rmsprop", "adam", "nadam", "amsgrad", "adamw"]:
        for placement in ["outside", "inside"]:
            tr = optim_core.run(BOWL, optim_core.make(name, eps=0.0, eps_placement=placement), start=(0.0, 0.0),
                                steps=5, tol=None)
            assert np.all(tr.xy == 0.0), name
    tr = optim_core.run(BOWL, optim_core.make("adam", eps=0.0), start=(3.0, 0.0), steps=5, tol=None)
    assert np.all(np.isfinite(tr.xy)) and np.all(tr.xy[:, 1] == 0.0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: optim_core.make("adamax"), r"optimizer = 'adamax' is unknown: valid optimizers are sgd"),
        (lambda: optim_core.make("sgd", mu=0.9), r"mu is not a hyperparameter of sgd: valid ones are lr"),
        (lambda: optim_core.make("sgd", lr=-0.1), r"lr = -0.1 is out of range: valid range is \[0, inf\)"),
        (lambda: optim_core.make("sgd", lr=float("nan")), r"lr = nan is out of range"),
        (lambda: optim_core.make("sgd", lr=float("inf")), r"lr = inf is out of range"),
        (lambda: optim_core.make("sgd", lr="fast"), r"lr = 'fast' is not a number"),
        (lambda: optim_core.make("sgd", lr=True), r"lr = True is not a number"),
        (lambda: optim_core.make("momentum", mu=1.0), r"mu = 1 is out of range: valid range is \[0, 1\)"),
        (lambda: optim_core.make("momentum", mu=-0.5), r"mu = -0.5 is out of range"),
        (lambda: optim_core.make("adam", beta1=1.2), r"beta1 = 1.2 is out of range: valid range is \[0, 1\)"),
        (lambda: optim_core.make("adam", beta2=np.array([0.9, 1.0])), r"beta2 = 1 is out of range"),
        (lambda: optim_core.make("adagrad", eps=-1e-8), r"eps = -1e-08 is out of range: valid range is \[0, inf\)"),
        (lambda: optim_core.make("rmsprop", decay_rate=1.0), r"decay_rate = 1 is out of range"),
        (lambda: optim_core.make("nesterov", form="sideways"), r"form = 'sideways' is not valid: choose one of"),
        (lambda: optim_core.make("adam", eps_placement="under"), r"eps_placement = 'under' is not valid"),
        (lambda: optim_core.make("adam", bias_correction=1), r"bias_correction = 1 is not valid"),
        (lambda: optim_core.run(BOWL, optim_core.make("sgd"), steps=-1), r"steps = -1 is out of range"),
        (lambda: optim_core.run(BOWL, optim_core.make("sgd"), steps=2.5), r"steps = 2.5 is out of range"),
        (lambda: optim_core.run(BOWL, optim_core.make("sgd"), start=(np.nan, 0)), r"start = \[nan, 0.0\] contains"),
        (lambda: optim_core.run(BOWL, optim_core.make("sgd"), start=(1, 2, 3)), r"start = \[1.0, 2.0, 3.0\] is not"),
        (lambda: optim_core.run(BOWL, optim_core.make("sgd"), noise=-1), r"noise = -1 is out of range"),
        (lambda: optim_core.run(BOWL, optim_core.make("sgd"), seed=-2), r"seed = -2 is out of range"),
        (lambda: schedules.step_decay(0.1, 0.5, every=0), r"every = 0 is out of range"),
        (lambda: schedules.exponential_decay(0.1, k=-1), r"k = -1 is out of range"),
    ],
)
def test_bad_input_is_a_value_error_that_names_the_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_zero_steps_returns_the_start():
    tr = optim_core.run(BOWL, optim_core.make("adam"), start=(1.0, 1.0), steps=0)
    assert tr.xy.shape == (1, 2) and tr.status == "max_steps" and tr.stopped_at == 0


def test_converged_at_the_start():
    tr = optim_core.run(BOWL, optim_core.make("adam"), start=(0.0, 0.0), steps=10)
    assert tr.status == "converged" and tr.stopped_at == 0 and tr.xy.shape == (1, 2)


_UNIT = st.floats(0.0, 0.999999, allow_nan=False)
_ANY_RULE = st.sampled_from(optim_core.names())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=_ANY_RULE,
    surface=st.sampled_from(surfaces.names()),
    lr=st.one_of(st.just(0.0), st.floats(1e-12, 1e12), st.just(1e300)),
    mu=_UNIT, beta1=_UNIT, beta2=_UNIT,
    eps=st.one_of(st.just(0.0), st.floats(1e-300, 1e3)),
    start=st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)),
    noise=st.one_of(st.just(0.0), st.floats(0, 1e6)),
    placement=st.sampled_from(["outside", "inside"]),
    line_search=st.sampled_from(["none", "armijo", "wolfe"]),
    c1=st.floats(1e-9, 0.5, exclude_min=True), c2=st.floats(0.5, 1.0, exclude_min=True, exclude_max=True),
    backtrack=st.floats(0.0, 1.0, exclude_min=True, exclude_max=True), memory=st.floats(1.0, 20.0),
)
def test_property_never_a_non_finite_position_nor_an_unexpected_exception(
        name, surface, lr, mu, beta1, beta2, eps, start, noise, placement, line_search, c1, c2, backtrack, memory):
    specs = {spec.name for spec in optim_core.hyper_specs(name)}
    candidates = dict(lr=lr, mu=mu, beta1=beta1, beta2=beta2, decay_rate=beta2, eps=eps, eps_placement=placement,
                      rho=beta2 if name == "adadelta" else backtrack,  # AdaDelta's decay / a line search's backtracking
                      line_search=line_search, c1=c1, c2=c2, m=memory)
    opt = optim_core.make(name, **{k: v for k, v in candidates.items() if k in specs})
    tr = optim_core.run(surfaces.get(surface), opt, start=start, steps=40, noise=noise, seed=0)
    assert np.all(np.isfinite(tr.xy))
    assert np.all(np.isfinite(tr.loss))
    assert tr.status in ("converged", "diverged", "max_steps")
    kept = max(tr.stopped_at, 1) if tr.status == "diverged" else tr.stopped_at + 1
    assert tr.xy.shape == (kept, 2)


def test_recorded_state_is_the_rules_state_after_each_update():
    tr = optim_core.run(BOWL, optim_core.make("momentum", lr=0.1, mu=0.9), start=(-7, 2), steps=3, tol=None,
                        record_state=True)
    # x += v, so the velocity after update k is the step taken by update k
    np.testing.assert_allclose(tr.state["momentum_buffer"], tr.step)
    tr = optim_core.run(BOWL, optim_core.make("adagrad", lr=1.5), start=(-7, 2), steps=2, tol=None,
                        record_state=True)
    np.testing.assert_allclose(tr.state["cache"][0], [0.49, 16.0])
    np.testing.assert_allclose(tr.state["cache"][1], [0.49, 16.0] + tr.grad[1] ** 2)


@pytest.mark.parametrize("name", surfaces.names())
def test_surfaces_marked_defined_everywhere_are_finite_out_to_the_divergence_box(name):
    """optim_core.run skips watching f on these surfaces inside the default box; check that is safe."""
    s = surfaces.get(name)
    if not s.defined_everywhere:
        pytest.skip(f"{name} is not marked defined everywhere")
    (x_lo, x_hi), (y_lo, y_hi) = s.x_range, s.y_range
    centre = np.array([(x_lo + x_hi) / 2, (y_lo + y_hi) / 2])
    radius = optim_core.DIVERGE_RADIUS_FACTOR * math.hypot(x_hi - x_lo, y_hi - y_lo) / 2
    u = np.linspace(-1, 1, 201)
    box = centre + radius * np.stack(np.meshgrid(u, u), axis=-1)
    with np.errstate(all="raise"):
        assert np.all(np.isfinite(s.f(box)))


# --- run_reduced: the outcomes of run, without the paths ---------------------------------------------------

REDUCED_SURFACES = {
    "bowl": surfaces.get("bowl"),
    "rosenbrock": surfaces.get("rosenbrock"),
    "himmelblau": surfaces.get("himmelblau"),
    "saddle": surfaces.get("saddle"),  # no finite minimum: the gap is ‖∇f‖
    # not defined everywhere: f is watched for non-finite values
    "formula": surfaces.from_formula("sqrt(x) + y**2", x_range=(0.1, 4), y_range=(-4, 4)),
}
# Per rule, settings from crawling to blowing up (each run of a batch of 9 learning rates).
REDUCED_EXTRA = {"sgd": [{}, {"line_search": "armijo"}, {"line_search": "wolfe"}],
                 "newton": [{}, {"line_search": "wolfe"}], "bfgs": [{}, {"line_search": "armijo"}],
                 "lbfgs": [{"m": 3.0}]}


def _assert_same_outcome(surface, opt, start, steps, tol, tol_gap):
    from optim_core import analysis
    from optim_core.runner import run_reduced

    tr = optim_core.run(surface, opt, start=start, steps=steps, tol=tol, traces=False)
    out = run_reduced(surface, opt, start=start, steps=steps, tol=tol, tol_gap=tol_gap)
    np.testing.assert_array_equal(out.status, tr.status)
    np.testing.assert_array_equal(out.stopped_at, tr.stopped_at)
    np.testing.assert_array_equal(out.final_xy, tr.final_xy)  # bit for bit (NaN never: xy is finite)
    np.testing.assert_array_equal(out.final_loss, tr.final_loss)
    np.testing.assert_array_equal(out.final_gap, analysis._gap(surface, tr)[..., -1])
    np.testing.assert_array_equal(out.steps_to_tol, analysis.steps_to_tol(surface, tr, tol_gap))
    return out


@pytest.mark.parametrize("surface_name", REDUCED_SURFACES)
@pytest.mark.parametrize("name", optim_core.names())
def test_run_reduced_gives_the_outcomes_of_run_bit_for_bit(name, surface_name):
    """Every rule, converging, crawling and diverging cells, over several check chunks (150 steps > 2 × 64; 70
    for a rule with a line search), with and without stopping at ‖∇f‖ ≤ tol."""
    surface = REDUCED_SURFACES[surface_name]
    lrs = np.geomspace(1e-4, 30.0, 9)
    for extra in REDUCED_EXTRA.get(name, [{}]):
        opt = optim_core.make(name, lr=lrs, **extra)
        steps = 70 if opt.rule.needs_surface(opt.hyperparams) else 150  # a search is slow; 70 > 64 still
        for tol in (None, 1e-5):
            _assert_same_outcome(surface, opt, None, steps, tol, 1e-3)


def test_run_reduced_covers_every_outcome_and_schedules():
    """A 2-D grid (lr × mu) with a schedule, starts in a batch, a single run, 0 and 1 steps, noise."""
    lr = np.geomspace(1e-3, 3, 12)[None, :]
    mu = np.linspace(0, 0.99, 10)[:, None]
    for extra in ({}, {"mu": schedules.linear_ramp(0.5, 0.99, 50)}):
        hyper = {"lr": lr, "mu": mu, **extra}
        opt = optim_core.make("momentum", **hyper)
        for steps in (0, 1, 63, 64, 65, 200):
            out = _assert_same_outcome(BOWL, opt, (-7.0, 2.0), steps, None, 1e-6)
        assert {"diverged", "max_steps"} <= set(out.status.ravel().tolist())
        assert (out.steps_to_tol > 0).any() and (out.steps_to_tol == -1).any()
    opt = optim_core.make("adam", lr=schedules.cosine_annealing(0.5, 100))
    _assert_same_outcome(BOWL, opt, np.array([[-7.0, 2.0], [3.0, 1.0], [0.0, 1e-9]]), 300, 1e-6, 1e-4)
    single = _assert_same_outcome(BOWL, optim_core.make("adam", lr=0.3), None, 500, 1e-8, 1e-4)
    assert isinstance(single.status, str) and single.final_xy.shape == (2,)
    noisy = optim_core.make("sgd", lr=np.array([0.05, 0.5, 5.0]))
    tr = optim_core.run(BOWL, noisy, steps=100, noise=0.5, seed=3, tol=None, traces=False)
    out = optim_core.runner.run_reduced(BOWL, noisy, steps=100, noise=0.5, seed=3, tol=None)
    np.testing.assert_array_equal(out.final_xy, tr.final_xy)
    assert (out.steps_to_tol == -1).all()  # no tol_gap: not counted


def test_run_reduced_converged_runs_are_held_and_count_only_valid_points():
    """A run that converged (‖∇f‖ ≤ tol) at k is held there: a gap reached only after k does not count."""
    opt = optim_core.make("momentum", lr=np.array([0.01, 0.1, 0.5, 0.95]), mu=0.9)
    out = _assert_same_outcome(BOWL, opt, (-7.0, 2.0), 400, 1e-2, 1e-9)
    assert "converged" in set(out.status.tolist())
