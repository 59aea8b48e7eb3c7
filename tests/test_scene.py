"""The scene and its URL: round trips, and every bad value falls back with a warning."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optim_core
import page_model


def as_query(query: dict) -> dict:
    """What Streamlit's query params give back: every value a list of strings."""
    return {k: v if isinstance(v, list) else [v] for k, v in query.items()}


@pytest.mark.parametrize("key", list(page_model.PRESETS))
def test_every_preset_survives_the_url(key):
    scene = page_model.PRESETS[key].scene
    again, warnings = page_model.from_query(as_query(page_model.to_query(scene)))
    assert warnings == []
    assert again == scene


def test_default_scene_is_the_books_comparison():
    scene = page_model.DEFAULT_SCENE
    assert scene.surface == "bowl" and scene.start == (-7.0, 2.0) and scene.steps == 30
    assert [(r.optimizer, r.params["lr"]) for r in scene.runs] == [("sgd", 0.95), ("momentum", 0.1),
                                                                  ("adagrad", 1.5), ("adam", 0.3)]
    assert scene.runs[1].params["mu"] == 0.9
    assert page_model.from_query({}) == (scene, [])


def _together(optimizer: str, hyper: dict) -> bool:
    """Whether the engine takes these values together (each is in its range; a pair such as c1 < c2 may not be)."""
    try:
        optim_core.make(optimizer, **hyper)
    except ValueError:
        return False
    return True


run_strategy = st.sampled_from(optim_core.names()).flatmap(
    lambda name: st.fixed_dictionaries({
        spec.name: st.sampled_from(spec.choices if spec.choices else spec.options)
        for spec in optim_core.hyper_specs(name)
        if not (spec.name in ("mu", "beta1", "beta2", "decay_rate", "rho"))
    }).filter(lambda hyper, name=name: _together(name, hyper)).map(
        lambda hyper, name=name: page_model.RunSpec.of(name, **hyper)))


@settings(max_examples=60, deadline=None)
@given(runs=st.lists(run_strategy, min_size=0, max_size=page_model.MAX_RUNS),
       steps=st.integers(*page_model.STEPS_RANGE), noise=st.sampled_from([0.0, 0.1, 2.5]),
       schedule=st.sampled_from(page_model.SCHEDULES), average=st.booleans(),
       tol=st.sampled_from(page_model.TOL_OPTIONS), x=st.floats(-10, 10), y=st.floats(-5, 5),
       warmup=st.integers(0, 3000), cycles=st.integers(1, 100), t_mult=st.integers(1, 10),
       min_factor=st.floats(0, 1), pct_start=st.floats(0.01, 0.99), anneal=st.sampled_from(["cos", "linear"]))
def test_any_scene_survives_the_url(runs, steps, noise, schedule, average, tol, x, y, warmup, cycles, t_mult,
                                    min_factor, pct_start, anneal):
    scene = page_model.Scene(start=(x, y), steps=steps, runs=tuple(runs), noise=noise, schedule=schedule,
                             average=average, tol=tol, warmup=warmup, cycles=cycles, t_mult=t_mult,
                             min_factor=min_factor, pct_start=pct_start, anneal=anneal)
    again, warnings = page_model.from_query(as_query(page_model.to_query(scene)))
    assert warnings == [] and again == scene


@pytest.mark.parametrize(
    "query, field, expected, words",
    [
        ({"steps": "abc"}, "steps", 30, ["steps='abc'", "a whole number from 1 to 3000"]),
        ({"steps": "-4"}, "steps", 30, ["steps='-4'"]),
        ({"steps": "2.5"}, "steps", 30, ["steps='2.5'"]),
        ({"steps": "1e9"}, "steps", 30, ["steps='1e9'"]),
        ({"surface": "nope"}, "surface", "bowl", ["surface='nope'", "one of bowl"]),
        ({"start": "1,2,3"}, "start", (-7.0, 2.0), ["start='1,2,3'"]),
        ({"start": "nan,0"}, "start", (-7.0, 2.0), ["start='nan,0'"]),
        ({"start": "500,0"}, "start", (-7.0, 2.0), ["start='500,0'", "x in [-20, 20]"]),
        ({"noise": "inf"}, "noise", 0.0, ["noise='inf'"]),
        ({"seed": "-1"}, "seed", 0, ["seed='-1'"]),
        ({"schedule": "sgdr"}, "schedule", "constant", ["schedule='sgdr'", "one of constant", "one_cycle"]),
        ({"warmup": "-5"}, "warmup", 0, ["warmup='-5'", "a whole number from 0 to 3000"]),
        ({"warmup": "2.5"}, "warmup", 0, ["warmup='2.5'", "a whole number from 0 to 3000"]),
        ({"cycles": "0"}, "cycles", 3, ["cycles='0'", "a whole number from 1 to 100"]),
        ({"cycles": "many"}, "cycles", 3, ["cycles='many'", "a whole number from 1 to 100"]),
        ({"t_mult": "1.5"}, "t_mult", 1, ["t_mult='1.5'", "a whole number from 1 to 10"]),
        ({"t_mult": "11"}, "t_mult", 1, ["t_mult='11'", "a whole number from 1 to 10"]),
        ({"min_factor": "2"}, "min_factor", 0.1, ["min_factor='2'", "a number from 0 to 1"]),
        ({"min_factor": "nan"}, "min_factor", 0.1, ["min_factor='nan'", "a number from 0 to 1"]),
        ({"pct_start": "1"}, "pct_start", 0.3, ["pct_start='1'", "a number from 0.01 to 0.99"]),
        ({"pct_start": "0"}, "pct_start", 0.3, ["pct_start='0'", "a number from 0.01 to 0.99"]),
        ({"div_factor": "0.5"}, "div_factor", 25.0, ["div_factor='0.5'", "a number from 1 to 10000"]),
        ({"final_div_factor": "inf"}, "final_div_factor", 1e4, ["final_div_factor='inf'",
                                                                "a number from 1 to 1e+06"]),
        ({"anneal": "exp"}, "anneal", "cos", ["anneal='exp'", "one of cos, linear"]),
        ({"average": "yes"}, "average", False, ["average='yes'", "0 or 1"]),
        ({"tol": "0.5"}, "tol", 1e-3, ["tol='0.5'"]),
        ({"surface": "ill_conditioned", "surface.kappa": "0.5"}, "surface_params", (("kappa", 10.0), ("angle", 0.0)),
         ["surface.kappa='0.5'", "from 1 to 1000"]),
    ],
)
def test_bad_url_values_fall_back_with_a_warning(query, field, expected, words):
    scene, warnings = page_model.from_query(as_query(query))
    assert getattr(scene, field) == expected
    assert len(warnings) == 1
    for word in words:
        assert word in warnings[0]


def test_bad_runs_in_the_url():
    query = as_query({"run": ["sgd:lr=0.5", "adamax:lr=1", "momentum:lr=abc,mu=2,zeta=3", "adam:eps_placement=under",
                              "nesterov:form=sideways", "adam:bias_correction=maybe"]})
    scene, warnings = page_model.from_query(query)
    assert [r.optimizer for r in scene.runs] == ["sgd", "momentum", "adam", "nesterov", "adam"]
    assert scene.runs[0].params["lr"] == 0.5
    assert scene.runs[1].params == {"lr": 0.1, "mu": 0.9}  # defaults replace the bad values
    assert scene.runs[2].params["eps_placement"] == "outside"
    assert scene.runs[3].params["form"] == "lookahead"
    assert scene.runs[4].params["bias_correction"] is True
    text = "\n".join(warnings)
    for word in ["'adamax:lr=1'", "lr='abc'", "mu='2'", "'zeta' is not a hyperparameter of momentum",
                 "eps_placement='under'", "form='sideways'", "bias_correction='maybe'"]:
        assert word in text
    assert len(warnings) == 7


def test_values_that_do_not_go_together_fall_back_with_a_warning():
    rules = [name for name in optim_core.names()
             if {"c1", "c2"} <= {spec.name for spec in optim_core.hyper_specs(name)}]
    if not rules:
        pytest.skip("no rule has a pair of hyperparameters checked together (c1 < c2)")
    name = rules[0]
    default_c2 = optim_core.hyper_spec(name, "c2").default
    scene, warnings = page_model.from_query(as_query({"run": f"{name}:c1=0.01,c2=0.01"}))
    assert scene.runs[0].params["c1"] == 0.01 and scene.runs[0].params["c2"] == default_c2
    assert len(warnings) == 1 and "c2='0.01'" in warnings[0] and "c1 < c2" in warnings[0]


def test_too_many_runs_are_cut_with_a_warning():
    scene, warnings = page_model.from_query(as_query({"run": ["sgd:lr=0.1"] * 12}))
    assert len(scene.runs) == page_model.MAX_RUNS and "at most 8" in warnings[0]


def test_an_empty_run_list_is_kept():
    scene, warnings = page_model.from_query({"run": []})
    assert scene.runs == () and warnings == []


def test_hostile_and_huge_values_are_just_refused():
    scene, warnings = page_model.from_query(as_query({"steps": "__import__('os')", "surface": "x" * 100_000,
                                                      "run": "sgd:lr=" + "9" * 5000}))
    assert scene.steps == 30 and scene.surface == "bowl" and scene.runs[0].params["lr"] == 0.1
    assert all(len(w) < 300 for w in warnings) and len(warnings) == 3


def test_schedules_and_ramp_reach_the_optimizer():
    scene = page_model.Scene(runs=(page_model.RunSpec.of("momentum", lr=0.2, mu=0.9),), schedule="inverse_time",
                             decay_k=0.5, mu_ramp=10)
    opt = scene.optimizer(scene.runs[0])
    assert opt.hyperparams["lr"](np.arange(3)).tolist() == pytest.approx([0.2, 0.2 / 1.5, 0.1])
    assert opt.hyperparams["mu"](0) == 0.5 and opt.hyperparams["mu"](10) == pytest.approx(0.9)
    step = page_model.Scene(schedule="step", step_factor=0.5, step_every=2).lr_schedule(1.0)
    assert step(np.arange(5)).tolist() == [1, 1, 0.5, 0.5, 0.25]


NEW_SCHEDULES = {
    "cosine": dict(min_factor=0.0),
    "warm_restarts": dict(cycles=4, t_mult=2, min_factor=0.05),
    "cyclic": dict(cycles=2, min_factor=0.25),
    "one_cycle": dict(pct_start=0.4, anneal="linear", div_factor=10.0, final_div_factor=100.0),
}


@pytest.mark.parametrize("schedule", list(NEW_SCHEDULES))
@pytest.mark.parametrize("warmup", [0, 5])
def test_every_new_schedule_survives_the_url(schedule, warmup):
    runs = (page_model.RunSpec.of("sgd", lr=0.95), page_model.RunSpec.of("adam", lr=0.3))
    for params in (NEW_SCHEDULES[schedule], {}):  # its own parameters, and the defaults (left out of the URL)
        scene = page_model.Scene(runs=runs, schedule=schedule, warmup=warmup, **params)
        query = page_model.to_query(scene)
        assert query["schedule"] == schedule and ("warmup" in query) == bool(warmup)
        assert all(query[name] for name in params)
        again, warnings = page_model.from_query(as_query(query))
        assert warnings == [] and again == scene


def test_the_warm_up_goes_with_every_schedule_in_the_url():
    for schedule in page_model.SCHEDULES:
        scene = page_model.Scene(schedule=schedule, warmup=12, steps=300)
        again, warnings = page_model.from_query(as_query(page_model.to_query(scene)))
        assert warnings == [] and again == scene and again.warmup == 12


def test_existing_urls_keep_working():
    old = {"schedule": "step", "step_factor": "0.25", "step_every": "4", "decay_k": "0.2", "run": "sgd:lr=0.5"}
    scene, warnings = page_model.from_query(as_query(old))
    assert warnings == [] and (scene.schedule, scene.step_factor, scene.step_every) == ("step", 0.25, 4)
    assert (scene.warmup, scene.cycles, scene.t_mult, scene.min_factor, scene.anneal) == (0, 3, 1, 0.1, "cos")
    assert scene.lr_schedule(0.5).values(5).tolist() == [0.5] * 4 + [0.125]
    # a scene with none of the new settings writes none of the new keys
    query = page_model.to_query(page_model.Scene(schedule="exponential", decay_k=0.2))
    assert not {"warmup", "cycles", "t_mult", "min_factor", "pct_start", "div_factor", "final_div_factor",
                "anneal"} & set(query)
    assert page_model.to_query(page_model.DEFAULT_SCENE) == page_model.to_query(page_model.Scene(
        runs=page_model.DEFAULT_SCENE.runs))


def test_several_bad_schedule_values_warn_once_each():
    query = as_query({"schedule": "cyclic", "cycles": "-2", "min_factor": "x", "warmup": "9999", "anneal": ""})
    scene, warnings = page_model.from_query(query)
    assert scene.schedule == "cyclic" and (scene.cycles, scene.min_factor, scene.warmup, scene.anneal) == (
        3, 0.1, 0, "cos")
    assert len(warnings) == 4
    for word in ("cycles='-2'", "min_factor='x'", "warmup='9999'", "anneal=''"):
        assert sum(word in w for w in warnings) == 1


def test_the_new_schedules_reach_the_optimizer():
    run = page_model.RunSpec.of("sgd", lr=0.8)
    scene = page_model.Scene(runs=(run,), steps=30, schedule="cosine", min_factor=0.25)
    lr = scene.optimizer(run).hyperparams["lr"]
    # T = 30 (the scene's steps): 0.2 + ½(0.8 − 0.2)(1 + cos(π t/30)); t = 15: 0.2 + 0.3 = 0.5
    assert lr(0) == pytest.approx(0.8) and lr(15) == pytest.approx(0.5) and lr(30) == pytest.approx(0.2)
    assert scene.cycle_ends() == (30,)

    cyclic = page_model.Scene(steps=30, schedule="cyclic", cycles=3, min_factor=0.1).lr_schedule(1.0)
    # step size 30/(2·3) = 5: up from 0.1 to 1 in 5 updates, down in 5
    assert cyclic.values(11).tolist() == pytest.approx([0.1, 0.28, 0.46, 0.64, 0.82, 1.0, 0.82, 0.64, 0.46, 0.28,
                                                         0.1])
    restarts = page_model.Scene(steps=30, schedule="warm_restarts", cycles=3, t_mult=1, min_factor=0.0)
    assert restarts.cycle_period() == 10 and restarts.cycle_ends() == (10, 20, 30)
    assert restarts.lr_schedule(1.0)(10) == 1.0 and restarts.lr_schedule(1.0)(5) == pytest.approx(0.5)

    one = page_model.Scene(steps=30, schedule="one_cycle").lr_schedule(1.0)
    # torch's defaults: from 1/25, up to 1 at update 0.3·30 − 1 = 8, down to 1/25/1e4 at update 29
    assert one(0) == pytest.approx(0.04) and one(8) == 1.0 and one(29) == pytest.approx(4e-6)


@pytest.mark.parametrize("steps", [30, 300])
def test_the_periods_follow_the_scenes_steps(steps):
    for schedule, period in [("warm_restarts", steps // 3), ("cyclic", steps // 6)]:
        scene = page_model.Scene(steps=steps, schedule=schedule)
        assert scene.cycle_period() == period
        assert scene.cycle_ends() == (steps // 3, 2 * steps // 3, steps)  # 3 cycles, the last ending with the run
    # T_mult = 2, 3 cycles: T₀ = ⌊steps/7⌋ (T₀ + 2T₀ + 4T₀ ≤ steps), the rest starts a 4th cycle
    sgdr = page_model.Scene(steps=steps, schedule="warm_restarts", t_mult=2)
    t0 = steps // 7
    assert sgdr.cycle_period() == t0 and sgdr.cycle_ends() == (t0, 3 * t0, 7 * t0)
    # a warm-up of W: the schedule spans the other steps − W updates and its cycles end W later
    warm = page_model.Scene(steps=steps, schedule="cyclic", warmup=steps // 10)
    size = (steps - steps // 10) // 6
    assert warm.cycle_period() == size
    assert warm.cycle_ends() == tuple(steps // 10 + 2 * size * k for k in (1, 2, 3))


def test_the_warm_up_goes_with_any_schedule():
    for schedule in page_model.SCHEDULES:
        lr = page_model.Scene(steps=30, schedule=schedule, warmup=4).lr_schedule(0.8)
        values = lr.values(30)
        first = page_model.Scene(steps=30, schedule=schedule).lr_schedule(0.8)
        start = first(0) if callable(first) else first
        # 0, ¼, ½, ¾ of the schedule's first value, then the schedule (over steps − 4 updates)
        assert values[:5].tolist() == pytest.approx([0.0, start / 4, start / 2, 3 * start / 4, start]), schedule
    assert page_model.Scene(schedule="constant").lr_schedule(0.8) == 0.8  # no warm-up: a plain number, as before


@pytest.mark.parametrize("steps", [1, 2, 3, 7])
@pytest.mark.parametrize("schedule", list(NEW_SCHEDULES))
def test_a_tiny_scene_still_runs(steps, schedule):
    for warmup in (0, 1, 5):
        scene = page_model.Scene(runs=(page_model.RunSpec.of("adam", lr=0.3),), steps=steps, schedule=schedule,
                                 warmup=warmup, cycles=100, t_mult=10)
        [trajectory] = page_model.simulate(scene)
        assert np.all(np.isfinite(trajectory.xy)) and trajectory.xy.shape == (steps + 1, 2)
        assert all(1 <= k <= steps for k in scene.cycle_ends())


def test_simulate_and_summarise_the_book():
    scene = page_model.DEFAULT_SCENE
    rows = page_model.summarise(scene, page_model.simulate(scene))
    assert [r.status for r in rows] == ["max_steps"] * 4
    # SGD at lr 0.95 on the bowl: x_k = 0.905^k·(−7), y_k = (−0.9)^k·2 (closed form), after 30 steps
    x30, y30 = (1 - 0.095) ** 30 * -7, (1 - 1.9) ** 30 * 2
    assert rows[0].final_xy == pytest.approx((x30, y30))
    assert rows[0].final_gap == pytest.approx(x30**2 / 20 + y30**2)
    assert rows[0].distance == pytest.approx(math.hypot(x30, y30))


def test_summary_of_a_diverged_run():
    scene = page_model.Scene(runs=(page_model.RunSpec.of("sgd", lr=1.5),), start=(0.0, 2.0), steps=100)
    row = page_model.summarise(scene, page_model.simulate(scene))[0]
    # |y_k| = 2·2^k passes 1000 half-diagonals (11180) at k = 13
    assert row.status == "diverged" and row.stopped_at == 13 and row.status_text == "diverged at step 13"


def test_steps_to_reach_the_tolerance():
    # SGD lr 0.5 from (0, 2): y ← 0 after one step, so f − f* = 0 at step 1
    scene = page_model.Scene(runs=(page_model.RunSpec.of("sgd", lr=0.5),), start=(0.0, 2.0), steps=10, tol=1e-3)
    assert page_model.summarise(scene, page_model.simulate(scene))[0].steps_to_tol == 1


def test_options_with_inserts_a_value_in_order():
    assert page_model.options_with((1, 2, 3), 2.5) == (1, 2, 2.5, 3)
    assert page_model.options_with((1, 2, 3), 2) == (1, 2, 3)
    assert all(value in optim_core.hyper_spec("sgd", "lr").options for value in (0.95, 1e-5, 10.0, 1.5))


@pytest.mark.parametrize("schedule", page_model.SCHEDULES)
def test_the_sidebar_shows_only_the_chosen_schedules_parameters(schedule):
    from streamlit.testing.v1 import AppTest

    from page_model.scene import SCHEDULE_PARAMS

    at = AppTest.from_file("../app.py", default_timeout=90)
    at.query_params["schedule"] = schedule
    at.run()
    assert not at.exception
    shown = {w.key for w in (*at.number_input, *at.slider)} | {w.key.partition("@")[0] for w in at.selectbox}
    every = {"decay_k", "step_factor", "step_every", "cycles", "t_mult", "min_factor", "pct_start", "div_factor",
             "final_div_factor", "anneal"}
    assert shown & every == set(SCHEDULE_PARAMS[schedule]) and "warmup" in shown
