"""The cyclic schedules of the notes' ensembles slides: each against its closed form by hand, against the
formulas of torch's and optax's documentation (transcribed here, no torch or optax needed), where its
cycles end, its checks, and the runner driven by each one."""

import math

import numpy as np
import pytest

import optim_core
import surfaces
from optim_core import schedules

BOWL = surfaces.get("bowl")
COS_PI_4 = math.sqrt(0.5)  # cos(π/4) = 0.70710678…
COS_PI_7 = math.cos(math.pi / 7)  # 0.90096887…


# --- closed forms, by hand ---------------------------------------------------------------------------------


def test_cosine_annealing_by_hand():
    s = schedules.cosine_annealing(1.0, period=6, minimum=0.2)
    # η_t = 0.2 + ½(1 − 0.2)(1 + cos(π t/6)) = 0.2 + 0.4·(1 + cos(π t/6))
    expected = {
        0: 1.0,  # 0.2 + 0.4·2
        2: 0.8,  # cos(π/3) = 0.5:   0.2 + 0.4·1.5
        3: 0.6,  # cos(π/2) = 0:     0.2 + 0.4·1
        4: 0.4,  # cos(2π/3) = −0.5: 0.2 + 0.4·0.5
        6: 0.2,  # cos(π) = −1:      η_min
        9: 0.2,  # past T: held at η_min
    }
    for t, value in expected.items():
        assert s(t) == pytest.approx(value, abs=1e-15), t
    assert s.cycle_ends(6) == (6,) and s.cycle_ends(100) == (6,) and s.cycle_ends(5) == ()


def test_warm_restarts_by_hand():
    s = schedules.warm_restarts(1.0, period=2, t_mult=2, minimum=0.0)
    # cycles of 2, 4, 8, 16 updates starting at t = 0, 2, 6, 14; η = ½(1 + cos(π T_cur/T_i))
    expected = {
        0: 1.0,  # T_cur = 0
        1: 0.5,  # T_cur = 1, T_i = 2: ½(1 + cos(π/2)) = ½
        2: 1.0,  # restart
        3: 0.5 * (1 + COS_PI_4),  # T_cur = 1, T_i = 4: ½(1 + 0.7071…) = 0.8536…
        4: 0.5,  # T_cur = 2, T_i = 4
        5: 0.5 * (1 - COS_PI_4),  # T_cur = 3, T_i = 4: ½(1 − 0.7071…) = 0.1464…
        6: 1.0,  # restart
        10: 0.5,  # T_cur = 4, T_i = 8
        14: 1.0,  # restart
        22: 0.5,  # T_cur = 8, T_i = 16
    }
    for t, value in expected.items():
        assert s(t) == pytest.approx(value, abs=1e-15), t
    assert s.cycle_ends(16) == (2, 6, 14) and s.cycle_ends(14) == (2, 6, 14) and s.cycle_ends(13) == (2, 6)
    assert s.cycle_ends(1) == ()

    equal = schedules.warm_restarts(1.0, period=3, t_mult=1, minimum=0.1)
    # η = 0.1 + 0.45·(1 + cos(π T_cur/3)), T_cur = t mod 3
    for t, value in {0: 1.0, 1: 0.775, 2: 0.325, 3: 1.0, 4: 0.775, 8: 0.325}.items():
        # 0.1 + 0.45·1.5 = 0.775 (cos(π/3) = ½); 0.1 + 0.45·0.5 = 0.325 (cos(2π/3) = −½)
        assert equal(t) == pytest.approx(value, abs=1e-15), t
    assert equal.cycle_ends(10) == (3, 6, 9)


def test_cyclic_triangular_by_hand():
    s = schedules.cyclic_triangular(base=0.1, peak=1.0, step_size=4)
    # cycle = ⌊1 + t/8⌋, x = |t/4 − 2·cycle + 1|, η = 0.1 + 0.9·max(0, 1 − x)
    expected = {
        0: 0.1,  # cycle 1, x = |0 − 1| = 1
        2: 0.55,  # x = |0.5 − 1| = 0.5: 0.1 + 0.45
        4: 1.0,  # x = 0: the peak
        6: 0.55,  # x = |1.5 − 1| = 0.5
        8: 0.1,  # cycle 2, x = |2 − 3| = 1: back to base
        11: 0.775,  # cycle 2, x = |2.75 − 3| = 0.25: 0.1 + 0.9·0.75
        12: 1.0,  # x = |3 − 3| = 0
    }
    for t, value in expected.items():
        assert s(t) == pytest.approx(value, abs=1e-15), t
    assert s.cycle_ends(20) == (8, 16) and s.cycle_ends(7) == ()


def test_one_cycle_by_hand():
    # peak 1, T = 10, pct_start 0.3: η_initial = 1/25 = 0.04, η_final = 0.04/1e4 = 4e-6,
    # phase 1 ends at e₁ = 0.3·10 − 1 = 2, phase 2 at e₂ = 9
    s = schedules.one_cycle(1.0, total_steps=10, pct_start=0.3)
    final = 4e-6
    expected = {
        0: 0.04,  # p = 0: η_initial
        1: 0.52,  # p = ½: 1 + ½(0.04 − 1)(1 + cos(π/2)) = 1 − 0.48
        2: 1.0,  # p = 1: the peak
        3: final + 0.5 * (1 - final) * (1 + COS_PI_7),  # p = (3 − 2)/7: 0.95048…
        9: final,  # p = 1: η_final
    }
    for t, value in expected.items():
        assert s(t) == pytest.approx(value, rel=1e-12), t
    linear = schedules.one_cycle(1.0, total_steps=10, pct_start=0.2, anneal="linear")
    # e₁ = 0.2·10 − 1 = 1, e₂ = 9: phase 2 is 8 updates long
    for t, value in {0: 0.04, 1: 1.0, 3: 1 + (final - 1) * 0.25, 5: 1 + (final - 1) * 0.5, 9: final}.items():
        # t = 3: p = 2/8 = ¼ → 0.750001; t = 5: p = ½ → 0.500002
        assert linear(t) == pytest.approx(value, rel=1e-12), t
    cosine = schedules.one_cycle(1.0, total_steps=10, pct_start=0.2)
    assert cosine(5) == pytest.approx(final + 0.5 * (1 - final), rel=1e-12)  # p = ½: cos(π/2) = 0 → 0.500002
    assert s(50) == pytest.approx(final)  # past the last update: held
    assert s.cycle_ends(10) == (10,) and s.cycle_ends(9) == ()


def test_linear_warmup_then_any_schedule_by_hand():
    s = schedules.linear_warmup(schedules.cosine_annealing(1.0, period=4), warmup_steps=4)
    # t < 4: 0 + (1 − 0)·t/4; t ≥ 4: ½(1 + cos(π (t − 4)/4)), held at 0 from t = 8
    for t, value in {0: 0.0, 1: 0.25, 3: 0.75, 4: 1.0, 6: 0.5, 8: 0.0, 10: 0.0}.items():
        assert s(t) == pytest.approx(value, abs=1e-15), t
    assert s.cycle_ends(10) == (8,) and s.cycle_ends(7) == () and s.cycle_ends(3) == ()
    held = schedules.linear_warmup(0.5, warmup_steps=2, start=0.1)  # a number: a constant after the warm-up
    assert held.values(4).tolist() == pytest.approx([0.1, 0.3, 0.5, 0.5])  # 0.1 + 0.4·t/2, then 0.5
    decay = schedules.linear_warmup(schedules.step_decay(1.0, 0.5, every=2), warmup_steps=2)
    assert decay.values(7).tolist() == pytest.approx([0.0, 0.5, 1.0, 1.0, 0.5, 0.5, 0.25])
    restarts = schedules.linear_warmup(schedules.warm_restarts(1.0, period=3), warmup_steps=5)
    assert restarts.cycle_ends(20) == (8, 11, 14, 17, 20)  # 5 + (3, 6, 9, 12, 15)
    plain = schedules.cyclic_triangular(0.1, 1.0, 3)
    np.testing.assert_array_equal(schedules.linear_warmup(plain, 0).values(20), plain.values(20))


def test_decays_have_no_cycles():
    for s in [schedules.constant(0.1), schedules.step_decay(0.1), schedules.exponential_decay(0.1),
              schedules.inverse_time_decay(0.1), schedules.linear_ramp(0.5, 0.9, 10)]:
        assert s.cycle_ends(100) == ()
    assert schedules.linear_warmup(schedules.exponential_decay(0.1), 5).cycle_ends(100) == ()


# --- against the formulas of torch's and optax's documentation (transcribed, no torch or optax needed) -------


def torch_cosine_annealing(epoch, base_lr, T_max, eta_min):
    """torch.optim.lr_scheduler.CosineAnnealingLR, its closed form (the docs' formula) for epoch ≤ T_max."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / T_max)) / 2


def torch_warm_restarts(epoch, base_lr, T_0, T_mult, eta_min):
    """torch.optim.lr_scheduler.CosineAnnealingWarmRestarts.step(epoch), as its source computes T_cur, T_i."""
    if epoch >= T_0:
        if T_mult == 1:
            T_cur, T_i = epoch % T_0, T_0
        else:
            n = int(math.log((epoch / T_0 * (T_mult - 1) + 1), T_mult))
            T_cur = epoch - T_0 * (T_mult**n - 1) / (T_mult - 1)
            T_i = T_0 * T_mult**n
    else:
        T_cur, T_i = epoch, T_0
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * T_cur / T_i)) / 2


def torch_cyclic(iteration, base_lr, max_lr, step_size_up, step_size_down=None):
    """torch.optim.lr_scheduler.CyclicLR(mode="triangular").get_lr()."""
    step_size_down = step_size_up if step_size_down is None else step_size_down
    total_size = step_size_up + step_size_down
    step_ratio = step_size_up / total_size
    cycle = math.floor(1 + iteration / total_size)
    x = 1.0 + iteration / total_size - cycle
    scale_factor = x / step_ratio if x <= step_ratio else (x - 1) / (step_ratio - 1)
    return base_lr + (max_lr - base_lr) * scale_factor


def torch_one_cycle(step_num, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4,
                    anneal_strategy="cos"):
    """torch.optim.lr_scheduler.OneCycleLR.get_lr() (three_phase=False), from its source."""
    initial_lr = max_lr / div_factor
    min_lr = initial_lr / final_div_factor
    phases = [(float(pct_start * total_steps) - 1, initial_lr, max_lr), (total_steps - 1, max_lr, min_lr)]

    def anneal(start, end, pct):
        if anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    start_step = 0
    for i, (end_step, start_lr, end_lr) in enumerate(phases):
        if step_num <= end_step or i == len(phases) - 1:
            return anneal(start_lr, end_lr, (step_num - start_step) / (end_step - start_step))
        start_step = end_step


def optax_warmup_cosine(step, init_value, peak_value, warmup_steps, decay_steps, end_value):
    """optax.warmup_cosine_decay_schedule: join_schedules([linear_schedule(init, peak, W),
    cosine_decay_schedule(peak, decay_steps − W, alpha=end/peak)], [W]), from optax's source."""
    if step < warmup_steps:
        return init_value + (peak_value - init_value) * step / warmup_steps
    count = min(step - warmup_steps, decay_steps - warmup_steps)
    cosine = 0.5 * (1 + math.cos(math.pi * count / (decay_steps - warmup_steps)))
    alpha = end_value / peak_value
    return peak_value * ((1 - alpha) * cosine + alpha)


def test_cosine_annealing_matches_torchs_formula():
    s = schedules.cosine_annealing(0.3, period=37, minimum=0.01)
    for t in range(38):
        assert s(t) == pytest.approx(torch_cosine_annealing(t, 0.3, 37, 0.01), rel=1e-12), t


@pytest.mark.parametrize("period, t_mult", [(1, 1), (5, 1), (7, 1), (1, 2), (3, 2), (10, 2), (2, 3)])
def test_warm_restarts_match_torchs_formula(period, t_mult):
    s = schedules.warm_restarts(0.5, period=period, t_mult=t_mult, minimum=0.02)
    values = s.values(300)
    starts = set()
    start, length = 0, period
    while start <= 300:
        starts.add(start)
        start, length = start + length, length * t_mult
    for t in range(300):
        if t_mult == 3 and t in starts:  # torch's float log: log₃(243) = 4.999…, one cycle early there
            assert values[t] == pytest.approx(0.5)
            continue
        assert values[t] == pytest.approx(torch_warm_restarts(t, 0.5, period, t_mult, 0.02), rel=1e-12), t


@pytest.mark.parametrize("step_size", [1, 2, 5, 13])
def test_cyclic_triangular_matches_torchs_formula(step_size):
    s = schedules.cyclic_triangular(0.05, 0.8, step_size)
    np.testing.assert_allclose(s.values(200), [torch_cyclic(t, 0.05, 0.8, step_size) for t in range(200)],
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("total_steps, pct_start", [(10, 0.3), (30, 0.3), (300, 0.25), (7, 0.5), (2, 0.3),
                                                    (1, 0.3), (101, 0.9)])
@pytest.mark.parametrize("anneal", ["cos", "linear"])
def test_one_cycle_matches_torchs_formula(total_steps, pct_start, anneal):
    s = schedules.one_cycle(0.9, total_steps, pct_start, div_factor=10.0, final_div_factor=100.0, anneal=anneal)
    expected = [torch_one_cycle(t, 0.9, total_steps, pct_start, 10.0, 100.0, anneal) for t in range(total_steps)]
    np.testing.assert_allclose(s.values(total_steps), expected, rtol=1e-12, atol=1e-15)


def test_one_cycle_where_torch_divides_by_zero():
    # pct_start·T = 1: phase 1 is the single update 0 (torch: 0/0); here it is phase 1's end, the peak
    s = schedules.one_cycle(1.0, total_steps=10, pct_start=0.1)
    assert s(0) == 1.0 and np.all(np.isfinite(s.values(10)))


@pytest.mark.parametrize("warmup, decay, init, end", [(5, 30, 0.0, 0.0), (10, 300, 0.01, 0.001), (1, 2, 0.2, 0.1)])
def test_linear_warmup_then_cosine_matches_optax(warmup, decay, init, end):
    s = schedules.linear_warmup(schedules.cosine_annealing(0.5, decay - warmup, end), warmup, start=init)
    expected = [optax_warmup_cosine(t, init, 0.5, warmup, decay, end) for t in range(decay + 5)]
    np.testing.assert_allclose(s.values(decay + 5), expected, rtol=1e-12, atol=1e-15)


# --- shapes, checks -----------------------------------------------------------------------------------------

NEW = [
    schedules.cosine_annealing(0.5, 20, 0.05),
    schedules.warm_restarts(0.5, 3, 2, 0.01),
    schedules.warm_restarts(0.5, 4),
    schedules.cyclic_triangular(0.05, 0.5, 3),
    schedules.one_cycle(0.5, 20),
    schedules.one_cycle(0.5, 20, anneal="linear"),
    schedules.linear_warmup(schedules.warm_restarts(0.5, 4, 2), 3),
    schedules.linear_warmup(schedules.exponential_decay(0.5, 0.1), 5, start=0.05),
]


@pytest.mark.parametrize("s", NEW, ids=repr)
def test_values_broadcast_like_the_existing_schedules(s):
    t = np.arange(24).reshape(2, 3, 4)
    grid = np.asarray(s(t))
    assert grid.shape == t.shape and isinstance(s(5), (float, np.floating))  # a number for a number
    assert grid.ravel().tolist() == pytest.approx([float(s(int(k))) for k in t.ravel()], rel=1e-15)
    np.testing.assert_array_equal(s.values(24), grid.ravel())


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: schedules.cosine_annealing(0.1, period=0), r"period = 0 is out of range: valid range is a whole "
                                                           r"number ≥ 1"),
        (lambda: schedules.cosine_annealing(0.1, period=2.5), r"period = 2.5 is out of range"),
        (lambda: schedules.cosine_annealing(0.1, minimum=float("nan")), r"minimum = nan is out of range"),
        (lambda: schedules.cosine_annealing("0.1"), r"init = '0.1' is not a number"),
        (lambda: schedules.warm_restarts(0.1, period=-3), r"period = -3 is out of range"),
        (lambda: schedules.warm_restarts(0.1, t_mult=0), r"t_mult = 0 is out of range: valid range is a whole "
                                                        r"number ≥ 1"),
        (lambda: schedules.warm_restarts(0.1, t_mult=1.5), r"t_mult = 1.5 is out of range"),
        (lambda: schedules.cyclic_triangular(0.1, 1.0, step_size=0), r"step_size = 0 is out of range"),
        (lambda: schedules.cyclic_triangular(0.1, float("inf")), r"peak = inf is out of range"),
        (lambda: schedules.one_cycle(1.0, total_steps=0), r"total_steps = 0 is out of range"),
        (lambda: schedules.one_cycle(1.0, pct_start=0.0), r"pct_start = 0.0 is out of range: valid range is a "
                                                         r"finite number > 0 and < 1"),
        (lambda: schedules.one_cycle(1.0, pct_start=1.0), r"pct_start = 1.0 is out of range"),
        (lambda: schedules.one_cycle(1.0, div_factor=0), r"div_factor = 0 is out of range: valid range is a "
                                                        r"finite number > 0"),
        (lambda: schedules.one_cycle(1.0, final_div_factor=-1), r"final_div_factor = -1 is out of range"),
        (lambda: schedules.one_cycle(1.0, anneal="exp"), r"anneal = 'exp' is out of range: valid range is one "
                                                        r"of cos, linear"),
        (lambda: schedules.linear_warmup("fast", 3), r"after = 'fast' is not a number"),
        (lambda: schedules.linear_warmup(0.1, warmup_steps=-1), r"warmup_steps = -1 is out of range: valid range "
                                                               r"is a whole number ≥ 0"),
        (lambda: schedules.linear_warmup(0.1, 3, start=True), r"start = True is not a number"),
        (lambda: schedules.cosine_annealing(0.1).cycle_ends(-1), r"steps = -1 is out of range"),
    ],
)
def test_bad_fields_are_value_errors_naming_the_field_and_range(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_registry_lists_every_schedule():
    for name in ["cosine_annealing", "warm_restarts", "cyclic_triangular", "one_cycle", "linear_warmup"]:
        assert schedules.SCHEDULES[name] is getattr(schedules, name)


# --- the runner ---------------------------------------------------------------------------------------------


class listed(schedules.Schedule):
    """The per-step values as a plain list: update t uses values[t]."""

    def __init__(self, values):
        self.table = np.asarray(values, dtype=float)

    def __call__(self, t):
        return self.table[t]


@pytest.mark.parametrize("s", NEW, ids=repr)
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_a_run_with_the_schedule_is_the_run_with_its_list_of_lrs(s, optimizer):
    steps = 25
    scheduled = optim_core.run(BOWL, optim_core.make(optimizer, lr=s), start=(-7.0, 2.0), steps=steps, tol=None)
    by_list = optim_core.run(BOWL, optim_core.make(optimizer, lr=listed(s.values(steps))), start=(-7.0, 2.0),
                             steps=steps, tol=None)
    np.testing.assert_array_equal(scheduled.xy, by_list.xy)
    np.testing.assert_allclose(scheduled.lr, s.values(steps))


@pytest.mark.parametrize("s", NEW[:5], ids=repr)
def test_a_batch_with_the_schedule_equals_its_single_runs(s):
    starts = np.array([[-7.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    mus = np.array([0.5, 0.9, 0.0])
    batch = optim_core.run(BOWL, optim_core.make("momentum", lr=s, mu=mus), start=starts, steps=20, tol=None)
    assert batch.xy.shape == (3, 21, 2)
    for i in range(3):
        single = optim_core.run(BOWL, optim_core.make("momentum", lr=listed(s.values(20)), mu=float(mus[i])),
                                start=tuple(starts[i]), steps=20, tol=None)
        np.testing.assert_allclose(batch.xy[i], single.xy, rtol=1e-13, atol=1e-15)


def test_sgd_on_the_bowl_follows_the_cosine_in_closed_form():
    # SGD on y²: y ← (1 − 2η_t)·y, so y_k = 2·Π_{t<k}(1 − 2η_t) with η_t = 0.25·(1 + cos(π t/4))
    s = schedules.cosine_annealing(0.5, period=4)
    tr = optim_core.run(BOWL, optim_core.make("sgd", lr=s), start=(0.0, 2.0), steps=4, tol=None)
    etas = [0.5, 0.25 * (1 + COS_PI_4), 0.25, 0.25 * (1 - COS_PI_4)]
    np.testing.assert_allclose(tr.xy[:, 1], 2 * np.cumprod([1.0] + [1 - 2 * eta for eta in etas]), atol=1e-15)
