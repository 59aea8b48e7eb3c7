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


run_strategy = st.sampled_from(optim_core.names()).flatmap(
    lambda name: st.fixed_dictionaries({
        spec.name: st.sampled_from(spec.choices if spec.choices else spec.options)
        for spec in optim_core.hyper_specs(name)
        if not (spec.name in ("mu", "beta1", "beta2", "decay_rate", "rho"))
    }).map(lambda hyper, name=name: page_model.RunSpec.of(name, **hyper)))


@settings(max_examples=60, deadline=None)
@given(runs=st.lists(run_strategy, min_size=0, max_size=page_model.MAX_RUNS),
       steps=st.integers(*page_model.STEPS_RANGE), noise=st.sampled_from([0.0, 0.1, 2.5]),
       schedule=st.sampled_from(page_model.SCHEDULES), average=st.booleans(),
       tol=st.sampled_from(page_model.TOL_OPTIONS), x=st.floats(-10, 10), y=st.floats(-5, 5))
def test_any_scene_survives_the_url(runs, steps, noise, schedule, average, tol, x, y):
    scene = page_model.Scene(start=(x, y), steps=steps, runs=tuple(runs), noise=noise, schedule=schedule,
                             average=average, tol=tol)
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
        ({"schedule": "cosine"}, "schedule", "constant", ["schedule='cosine'", "one of constant"]),
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
