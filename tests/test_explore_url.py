"""Explore's settings in a shared link (issue 15, item 8): ``page_model/explore_settings.py`` and the page.

The expected URL texts and values are written out by hand from the controls' options (the sweep's resolutions
16…128, the search's log10 range in steps of 0.5, …), not produced by the code under test.
"""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from page_model import explore_settings as es

MOMENTUM = ("lr", "mu")  # the float hyperparameters of the default scene's second run (Momentum)


def params_of(index: int) -> tuple:
    return ("lr",) if index == 0 else MOMENTUM


def optimizer_of(index: int) -> str:
    return ("sgd", "momentum", "adagrad", "adam")[index]


def read(query: dict) -> tuple:
    values, warnings = es.from_query({k: [v] for k, v in query.items()}, params_of, optimizer_of)
    return values, [w.render("en") for w in warnings]


def test_a_links_sweep_settings_become_the_controls_values():
    values, warnings = read({"ex.sweep_run": "1", "ex.sweep_x": "mu", "ex.sweep_y": "none",
                             "ex.sweep_resolution": "24", "ex.sweep_steps": "200", "ex.sweep_tol": "0.001",
                             "ex.sweep_colour": "loss", "ex.sweep.mu.lo": "0.5", "ex.sweep.mu.hi": "0.95"})
    assert warnings == []
    assert values == {"sweep_run": 1, "sweep_x.momentum": "mu", "sweep_y.momentum": es.NO_Y_AXIS,
                      "sweep_resolution": 24, "sweep_steps": 200, "sweep_tol": 0.001, "sweep_colour": "loss",
                      "sweep.mu.lo": 0.5, "sweep.mu.hi": 0.95}


def test_the_other_views_settings():
    values, warnings = read({"ex.rates_count": "9", "ex.rates_decades": "5", "ex.basins_resolution": "150",
                             "ex.search_lr": "-4.5,0", "ex.search_extra": "none", "ex.search_n": "100",
                             "ex.search_seed": "42", "ex.step_k": "12", "ex.search_step_run": "3",
                             "ex.search_step_k": "2"})
    assert warnings == []
    assert values == {"rates_count": 9, "rates_decades": 5.0, "basins_resolution": 150, "search_lr": (-4.5, 0.0),
                      "search_extra.sgd": es.NOTHING_ELSE, "search_n": 100, "search_seed": 42, "step_k": 12,
                      "search_step_run": 3, "search_step_k": 2}


@pytest.mark.parametrize("key, text, valid", [
    ("ex.sweep_resolution", "20", "one of 16, 24, 32, 48, 64, 96, 128"),
    ("ex.sweep_steps", "5", "a whole number from 10 to 3000"),
    ("ex.sweep_steps", "1e9", "a whole number from 10 to 3000"),
    ("ex.search_seed", "-1", "a whole number from 0 to 1e+06"),
    ("ex.search_lr", "-9,0", "two numbers low,high from -8 to 2 in steps of 0.5, low below high"),
    ("ex.search_lr", "-2,-3", "two numbers low,high from -8 to 2 in steps of 0.5, low below high"),
    ("ex.search_lr", "-2.2,1", "two numbers low,high from -8 to 2 in steps of 0.5, low below high"),
    ("ex.sweep_run", "9", "a whole number from 0 to 7"),
    ("ex.sweep_x", "beta1", "one of lr"),  # run 1 is SGD: no β₁ to sweep
    ("ex.sweep_colour", "<b>x</b>", "one of steps, loss"),
    ("ex.sweep.lr.lo", "nan", "a number from 0 to 1e+06"),
])
def test_a_bad_value_is_ignored_with_a_warning_naming_the_key_and_what_is_valid(key, text, valid):
    values, warnings = read({key: text})
    name = key[len("ex."):]
    assert name not in values and not any(k.startswith(name.split(".")[0]) for k in values if k != "sweep_run")
    assert warnings == [f"URL value {key}={text!r} is not valid ({valid}); ignored."]


def test_a_link_lists_only_the_open_views_settings_that_differ_from_their_defaults():
    state = {"sweep_run": 1, "sweep_x.momentum": "mu", "sweep_y.momentum": es.NO_Y_AXIS, "sweep_resolution": 48,
             "sweep_steps": 500, "sweep_tol": 1e-6, "sweep_colour": "steps", "sweep.mu.lo": 0.5,
             "sweep.mu.hi": 0.99,  # Momentum's own sweep range ends at 0.99: left out
             "search.lr.lo": 0.1, "rates_count": 9, "step_k": 3}
    assert es.to_query("Sweep", state, "momentum", 30, MOMENTUM) == {
        "ex.sweep_run": "1", "ex.sweep_x": "mu", "ex.sweep_y": "none", "ex.sweep_steps": "500", "ex.sweep.mu.lo": "0.5"}
    # the axes at their defaults (x the first parameter, y the next) are left out
    assert es.to_query("Sweep", {"sweep_x.momentum": "lr", "sweep_y.momentum": "mu"}, "momentum", 30, MOMENTUM) == {}
    assert es.to_query("Learning rates", state, "sgd", 30) == {"ex.rates_count": "9"}
    assert es.to_query("One step", state, "sgd", 30) == {}  # k = 3 is the default of a 30-step scene
    assert es.to_query("One step", state, "sgd", 2) == {"ex.step_k": "3"}  # … and not of a 2-step one
    assert es.to_query("Random search", {"search_lr": (-4.5, 0.0), "search_seed": 7}, "sgd", 30) == {
        "ex.search_lr": "-4.5,0", "ex.search_seed": "7"}


def test_what_a_link_writes_reads_back_the_same():
    state = {"search_run": 2, "search_lr": (-7.5, 1.5), "search_extra.adagrad": es.NOTHING_ELSE, "search_n": 256,
             "search_steps": 1000, "search_seed": 123456, "search_tol": 1e-10, "search.eps.lo": 1e-9}
    query = es.to_query("Random search", state, "adagrad", 30, ("lr", "eps"))
    values, warnings = es.from_query({k: [v] for k, v in query.items()},
                                     lambda i: ("lr", "eps"), lambda i: "adagrad")
    assert warnings == [] and values == state


# --- the page --------------------------------------------------------------------------------------------------


def open_page(query: dict) -> AppTest:
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def ex_query(at: AppTest) -> dict:
    return {key: value for key, value in at.query_params.items() if key.startswith("ex.")}


def test_a_shared_link_opens_the_sweep_with_its_settings_and_keeps_them_in_the_url():
    at = open_page({"view": "explore", "ex.sweep_run": "1", "ex.sweep_x": "mu", "ex.sweep_y": "none",
                    "ex.sweep_resolution": "24", "ex.sweep_steps": "200", "ex.sweep.mu.lo": "0.5"})
    assert not at.exception
    assert at.select_slider(key="sweep_resolution").value == 24
    assert at.number_input(key="sweep_steps").value == 200
    assert at.selectbox(key="sweep_x.momentum").value == "mu"
    assert at.number_input(key="sweep.mu.lo").value == 0.5
    assert ex_query(at) == {"ex.sweep_run": "1", "ex.sweep_x": "mu", "ex.sweep_y": "none",
                            "ex.sweep_resolution": "24", "ex.sweep_steps": "200", "ex.sweep.mu.lo": "0.5"}
    at.select_slider(key="sweep_resolution").set_value(32).run()
    assert ex_query(at)["ex.sweep_resolution"] == "32"


def test_the_settings_survive_a_visit_to_another_tab():
    at = open_page({"view": "explore", "explore": "random_search"})
    at.number_input(key="search_seed").set_value(9).run()
    at.select_slider(key="search_n").set_value(100).run()
    at.session_state["view"] = "Paths"
    at.run()
    assert ex_query(at) == {}  # the Paths tab's link has no Explore settings
    at.session_state["view"] = "Explore"
    at.run()
    assert not at.exception
    assert at.number_input(key="search_seed").value == 9 and at.select_slider(key="search_n").value == 100
    assert ex_query(at) == {"ex.search_n": "100", "ex.search_seed": "9"}


def test_a_bad_link_value_is_named_in_a_warning_and_the_view_still_runs():
    at = open_page({"view": "explore", "explore": "one_step", "ex.step_k": "500", "ex.sweep_resolution": "<i>7</i>"})
    assert not at.exception
    assert at.slider(key="step_k").value == 30  # the link's k, within the scene's 30 steps
    warnings = " ".join(html.unescape(w.value) for w in at.warning)
    assert "ex.sweep_resolution='<i>7</i>' is not valid (one of 16, 24, 32, 48, 64, 96, 128); ignored." in warnings


@pytest.mark.parametrize("key", ["ex.sweep_size", "ex.sweep.foo.lo"])  # a misspelt setting; no rule has "foo"
def test_an_unknown_ex_key_is_named_in_a_warning(key):
    values, warnings = read({key: "64"})
    assert values == {}
    assert len(warnings) == 1 and warnings[0].startswith(f"URL key {key!r} is not one of Explore's settings (")
    assert "ex.sweep_resolution" in warnings[0] and warnings[0].endswith("; ignored.")


def test_the_session_keys_that_hold_explores_settings():
    assert all(es.is_setting_key(key) for key in (
        "sweep_resolution", "search_lr", "step_k", "sweep_x.momentum", "sweep_y.adam", "search_extra.sgd",
        "sweep.lr.lo", "search.eps.hi"))
    assert not any(es.is_setting_key(key) for key in ("steps", "run0.sgd.lr", "net.view", "sweep_chart", "lang"))


# --- a lesson's step may set them too ------------------------------------------------------------------------


SWEEP_LESSON = """id = "sweep-mu"
title = {en = "Sweep mu", zh = "扫描 mu"}

[[steps]]
scene = "surface=bowl&run=sgd:lr=0.5&run=momentum:lr=0.1&view=explore&ex.sweep_run=1&ex.sweep_x=mu&ex.sweep_y=none&ex.sweep_resolution=24&ex.sweep_steps=150"
[steps.text]
en = "Sweep the momentum of run 2 alone."
zh = "只扫描第 2 个运行的动量。"

[[steps]]
scene = "surface=bowl&run=sgd:lr=0.5&view=explore&explore=one_step&ex.step_k=5&ex.sweep_resolution=7"
[steps.text]
en = "One update, taken apart."
zh = "拆开一次更新。"
"""


def test_a_lesson_step_reads_its_explore_settings_and_names_a_bad_one():
    import lessons

    lesson, problems = lessons.load(SWEEP_LESSON.encode(), source="sweep.toml")
    first, second = lesson.steps
    assert dict(first.place["explore_settings"]) == {
        "sweep_run": 1, "sweep_x.momentum": "mu", "sweep_y.momentum": es.NO_Y_AXIS, "sweep_resolution": 24,
        "sweep_steps": 150}
    assert dict(second.place["explore_settings"]) == {"step_k": 5}
    assert len(problems) == 1 and "ex.sweep_resolution='7' is not valid" in problems[0]


def test_an_uploaded_lesson_opens_the_sweep_with_its_settings():
    at = open_page({})
    at.get("file_uploader")[0].upload("sweep.toml", SWEEP_LESSON.encode(), "application/toml").run()
    assert not at.exception
    assert at.session_state["lesson_step"] == 1
    assert at.select_slider(key="sweep_resolution").value == 24
    assert at.number_input(key="sweep_steps").value == 150
    assert at.selectbox(key="sweep_x.momentum").value == "mu"
    assert ex_query(at)["ex.sweep_resolution"] == "24"
