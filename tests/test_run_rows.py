"""The runs as compact rows above the tabs (issue 15, item 5): one row per run with its optimizer, learning
rate, stable / edge, its main other hyperparameter and "⋯" (every other setting, the stability text,
Remove); the sidebar keeps the scene.  Driven with streamlit.testing.v1.AppTest, as tests/test_app.py.

All the rows are one components-v2 component (ui/run_rows.py, ui/run_rows_web/run_rows.js): AppTest reads what it
was sent (``rows_data``) and sends what its JavaScript sends, the edits ``edit_runs`` (tests/test_app.py).  How the
browser draws the data is tests/test_browser.py's."""

import base64
import doctest
import json
import math
import re

import numpy as np
from streamlit.components.v2.bidi_component.main import _make_trigger_id

import optim_core
import page_model
from ui import run_rows
from ui.state import run_key
from viz import styles

from test_app import (chart, edit_runs, legend, no_exception, open_app, row_data, rows_data, rows_element,
                      send_edits)


def url_runs(at) -> list:
    value = at.query_params["run"]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def table(at) -> str:
    return next(m.value for m in at.markdown if "<table" in m.value)


def block(node, key: str):
    """The container or element with that key (st.container, the rows component), anywhere below ``node``; None if
    there is none."""
    if getattr(node, "key", None) == key and getattr(node, "type", "") != "markdown":
        return node
    for child in getattr(node, "children", {}).values():
        found = block(child, key)
        if found is not None:
            return found
    return None


def page_order(node) -> list:
    """Every block's key (or type, for an unkeyed block) below ``node``, in the order the page shows them."""
    found = [getattr(node, "key", None) or getattr(node, "type", "")]
    for child in getattr(node, "children", {}).values():
        found += page_order(child)
    return found


def widgets_in(node) -> list:
    """The keys of every widget below ``node``, in the page's order."""
    keys = []
    for child in getattr(node, "children", {}).values():
        if getattr(child, "type", "") in ("selectbox", "select_slider", "toggle", "button", "checkbox", "radio",
                                          "number_input", "slider", "text_input"):
            keys.append(child.key)
        keys += widgets_in(child)
    return keys


def controls(row) -> list:
    """A row's controls: its learning rate, its main other hyperparameter (if any), then those under "⋯"."""
    return [row["lr"], *([row["main"]] if row["main"] else []), *row["more"]]


def values(row) -> dict:
    return {control["name"]: control["value"] for control in controls(row)}


def run_state(at) -> dict:
    """Every run setting the session holds (run{id}.optimizer, run{id}.{optimizer}.{name}, run{id}.variant)."""
    return {key: at.session_state[key] for key in at.session_state if re.match(r"run\d+\.", str(key))}


# --- the rows -------------------------------------------------------------------------------------------------


def test_every_run_has_a_row_above_the_tabs_with_the_keys_it_always_had():
    """One row per run, in the runs' order, numbered from 1, each showing the values the session holds under the
    keys the URL, the presets and the lessons know (run{id}.optimizer, run{id}.{optimizer}.{name}).  The rows sit
    above the tabs, the chart right below them; Add run / Reset runs in the heading's line."""
    at = open_app()
    no_exception(at)
    run_ids = at.session_state["run_ids"]
    data = rows_data(at)
    assert [row["id"] for row in data["rows"]] == run_ids and [row["number"] for row in data["rows"]] == [1, 2, 3, 4]
    assert rows_element(at).key == run_rows.KEY == "run_rows"
    # the book's comparison, by hand: SGD 0.95, Momentum 0.1, AdaGrad 1.5, Adam 0.3
    for row, optimizer, lr in zip(data["rows"], ("sgd", "momentum", "adagrad", "adam"), (0.95, 0.1, 1.5, 0.3)):
        run_id = row["id"]
        assert row["optimizer"] == at.session_state[f"run{run_id}.optimizer"] == optimizer
        assert row["lr"]["name"] == "lr" and row["lr"]["value"] == lr
        for name, value in values(row).items():
            assert at.session_state[run_key(run_id, optimizer, name)] == value, (run_id, name)
    assert [optimizer for optimizer, _ in data["optimizers"]] == list(optim_core.names())  # every rule in the box
    # the rules with an lr limit (SGD, Momentum): one click to stable or the edge; AdaGrad and Adam have none
    assert [row["cue"] is not None for row in data["rows"]] == [True, True, False, False]
    order = page_order(at.main)
    assert order.index("run_rows") < order.index("view")  # above the tabs: the chart comes right below
    # Add run / Reset runs sit in the heading's line, beside the surface's name: the chart keeps that row
    buttons = block(at.main, "run_buttons")
    assert widgets_in(buttons) == ["add_run", "reset_runs"]
    assert order.index("run_buttons") < order.index("run_rows")
    assert not [key for key in widgets_in(at.main) if re.match(r"run\d+\.|remove\d", str(key))]  # no widget per row


def test_the_main_other_hyperparameter_is_chosen_in_one_place():
    """The first numeric hyperparameter after lr that is not ε and applies: μ, β₁, the decay rate, m, c₁ with a
    line search; none for AdaGrad and for SGD or Newton with a fixed step."""
    def main(optimizer, **options):
        defaults = {spec.name: spec.default for spec in optim_core.hyper_specs(optimizer)}
        spec = run_rows.main_hyper(optimizer, {**defaults, **options})
        return None if spec is None else spec.name

    assert main("momentum") == main("nesterov") == "mu"
    assert main("adam") == main("nadam") == main("amsgrad") == main("adamw") == "beta1"
    assert main("rmsprop") == "decay_rate" and main("adadelta") == "rho" and main("lbfgs") == "m"
    assert main("adagrad") is None and main("sgd") is None and main("newton") is None
    assert main("sgd", line_search="armijo") == "c1" and main("bfgs") == "c1"  # BFGS searches (strong Wolfe)
    assert [run_rows.symbol(optim_core.hyper_spec(name, param)) for name, param in (
        ("sgd", "lr"), ("bfgs", "lr"), ("momentum", "mu"), ("adam", "beta1"), ("rmsprop", "decay_rate"),
        ("lbfgs", "m"), ("sgd", "c1"), ("adamw", "weight_decay"), ("adam", "eps"))] == [
        "η", "η", "μ", "β₁", "ρ", "m", "c₁", "λ", "ε"]


def test_the_row_shows_mu_for_momentum_and_beta1_for_adam_and_the_rest_behind_more():
    """Beside the learning rate: μ for Momentum, β₁ for Adam, nothing for AdaGrad.  Under "⋯": every other
    hyperparameter that applies, each as its rule defines it (a slider on its grid, a toggle, a select box),
    never the learning rate nor the main one again."""
    at = open_app()
    run_ids = at.session_state["run_ids"]
    momentum, adagrad, adam = (row_data(at, run_id) for run_id in run_ids[1:])
    assert (momentum["main"]["name"], momentum["main"]["symbol"], momentum["main"]["value"]) == ("mu", "μ", 0.9)
    assert (adam["main"]["name"], adam["main"]["symbol"], adam["main"]["value"]) == ("beta1", "β₁", 0.9)
    assert adagrad["main"] is None and momentum["more"] == []
    assert [(c["name"], c["kind"]) for c in adam["more"]] == [
        ("beta2", "slider"), ("eps", "slider"), ("bias_correction", "toggle"), ("eps_placement", "select")]
    assert [c["name"] for c in adagrad["more"]] == ["eps", "eps_placement"]
    placement = adam["more"][3]
    assert [value for value, _ in placement["choices"]] == ["outside", "inside", "book"]
    assert [(adam["lr"]["symbol"], adam["lr"]["label"])] == [("η", "learning rate η (log scale)")]
    grids = rows_data(at)["grids"]
    for row in rows_data(at)["rows"]:
        names = [control["name"] for control in row["more"]]
        assert "lr" not in names and (row["main"] is None or row["main"]["name"] not in names)
        for control in controls(row):
            if control["kind"] == "slider":  # every slider's value is on the grid it is drawn on
                grid = grids[control["grid"]]
                assert control["value"] in grid["values"] and len(grid["labels"]) == len(grid["values"])
    assert rows_data(at)["words"]["Remove this run"] == "Remove this run"  # Remove, under every row's "⋯"


def test_changing_the_learning_rate_in_a_row_changes_the_run():
    at = open_app()
    first = at.session_state["run_ids"][0]
    before, before_legend = table(at), legend(at)
    edit_runs(at, (first, "lr", 0.5))
    no_exception(at)
    assert url_runs(at)[0] == "sgd:lr=0.5" and table(at) != before
    assert legend(at)[0][0] == "SGD lr=0.5" and legend(at)[1:] == before_legend[1:]
    assert row_data(at, first)["lr"]["value"] == 0.5 and at.session_state[run_key(first, "sgd", "lr")] == 0.5
    momentum = at.session_state["run_ids"][1]
    edit_runs(at, (momentum, "mu", 0.5))
    assert url_runs(at)[1] == "momentum:lr=0.1,mu=0.5" and row_data(at, momentum)["main"]["value"] == 0.5


def test_the_rarer_settings_behind_more_change_the_run():
    at = open_app({"run": ["adam:lr=0.3", "nesterov:lr=0.1"]})
    adam, nesterov = at.session_state["run_ids"]
    edit_runs(at, (adam, "bias_correction", False))
    no_exception(at)
    assert url_runs(at)[0] == "adam:lr=0.3,bias_correction=0"
    edit_runs(at, (adam, "eps_placement", "inside"))
    edit_runs(at, (adam, "eps", 1e-4))
    assert url_runs(at)[0] == "adam:lr=0.3,eps=0.0001,bias_correction=0,eps_placement=inside"
    assert {name: values(row_data(at, adam))[name] for name in ("eps", "bias_correction", "eps_placement")} == {
        "eps": 1e-4, "bias_correction": False, "eps_placement": "inside"}
    edit_runs(at, (nesterov, "form", "reformulated"))
    no_exception(at)
    assert url_runs(at)[1] == "nesterov:lr=0.1,form=reformulated"


def test_more_always_carries_every_rarer_setting_at_the_runs_value():
    """"⋯" opens in the browser without a rerun, so the rows' data holds, at every rerun, every other setting
    at the run's own value (a shared link's β₂, bias correction and ε placement; the rule's default for the rest),
    the stability text and the words of Remove, not the rule's defaults; and sending it changes no run."""
    link = "adam:lr=0.3,beta2=0.99,bias_correction=0,eps_placement=inside"
    at = open_app({"run": [link, "sgd:lr=0.5,line_search=wolfe"]})
    no_exception(at)
    adam, sgd = at.session_state["run_ids"]
    for _ in range(3):
        row = row_data(at, adam)
        assert values(row) == {"lr": 0.3, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "bias_correction": False,
                               "eps_placement": "inside"}
        assert row["stability"] == {"text": "2/λmax at the start = 1", "warning": False}
        assert values(row_data(at, sgd)) == {"lr": 0.5, "c1": 1e-4, "line_search": "wolfe", "c2": 0.9}
        for run_id in (adam, sgd):
            row = row_data(at, run_id)
            for name, value in values(row).items():
                assert at.session_state[run_key(run_id, row["optimizer"], name)] == value
        assert url_runs(at) == [link, "sgd:lr=0.5,line_search=wolfe"]
        at.run()
        no_exception(at)


def test_a_setting_changed_under_more_survives_later_lr_edits():
    """Set under "⋯", then the run's learning rate changed in the row (and the other run's): the URL, the
    session state and the row still hold the setting, rerun after rerun."""
    at = open_app({"run": ["sgd:lr=0.5", "adam:lr=0.3"]})
    sgd, adam = at.session_state["run_ids"]
    names = [spec.name for spec in optim_core.hyper_specs("adam")]
    edit_runs(at, (adam, "bias_correction", False), (adam, "eps", 1e-4))
    no_exception(at)
    assert url_runs(at)[1] == "adam:lr=0.3,eps=0.0001,bias_correction=0"
    hyper = {name: at.session_state[run_key(adam, "adam", name)] for name in names}
    assert hyper["bias_correction"] is False and hyper["eps"] == 1e-4
    edit_runs(at, (adam, "lr", 0.1))
    edit_runs(at, (sgd, "lr", 0.4))
    for _ in range(3):  # the lr changes, then two more reruns
        no_exception(at)
        [sgd_run, adam_run] = url_runs(at)
        assert sgd_run == "sgd:lr=0.4"
        assert adam_run.startswith("adam:lr=0.1,")
        assert "bias_correction=0" in adam_run.split(",") and "eps=0.0001" in adam_run.split(",")
        assert {name: at.session_state[run_key(adam, "adam", name)] for name in names} == {**hyper, "lr": 0.1}
        assert values(row_data(at, adam)) == {**hyper, "lr": 0.1}  # what "⋯" shows when it opens
        at.run()


def test_a_line_search_brings_its_constants_and_c1_becomes_the_main_one():
    at = open_app({"run": "sgd:lr=0.5"})
    [run_id] = at.session_state["run_ids"]
    row = row_data(at, run_id)
    assert row["main"] is None and [c["name"] for c in row["more"]] == ["line_search"]
    assert [value for value, _ in row["more"][0]["choices"]] == ["none", "armijo", "wolfe"]
    edit_runs(at, (run_id, "line_search", "wolfe"))  # the line search is under "⋯"
    no_exception(at)
    row = row_data(at, run_id)
    assert (row["main"]["name"], row["main"]["symbol"], row["main"]["value"]) == ("c1", "c₁", 1e-4)
    assert [(c["name"], c["value"]) for c in row["more"]] == [("line_search", "wolfe"), ("c2", 0.9)]
    assert "line_search=wolfe" in url_runs(at)[0]
    edit_runs(at, (run_id, "line_search", "armijo"))  # backtracking: its factor instead of c₂
    assert [c["name"] for c in row_data(at, run_id)["more"]] == ["line_search", "backtrack"]


def test_remove_behind_more_removes_the_run_and_its_row():
    at = open_app()
    second = at.session_state["run_ids"][1]
    edit_runs(at, (second, "remove", None))
    no_exception(at)
    assert second not in at.session_state["run_ids"]
    assert [run.split(":")[0] for run in url_runs(at)] == ["sgd", "adagrad", "adam"]
    rows = rows_data(at)["rows"]
    assert [row["id"] for row in rows] == at.session_state["run_ids"] and second not in [row["id"] for row in rows]
    assert [row["number"] for row in rows] == [1, 2, 3]
    assert [row["title"] for row in rows] == ["Run 1: SGD", "Run 2: AdaGrad", "Run 3: Adam"]


def test_add_run_up_to_the_limit_and_reset():
    at = open_app()
    while len(at.session_state["run_ids"]) < page_model.MAX_RUNS:
        at.button(key="add_run").click().run()
    no_exception(at)
    assert at.button(key="add_run").disabled
    assert [row["number"] for row in rows_data(at)["rows"]] == list(range(1, page_model.MAX_RUNS + 1))
    at.button(key="reset_runs").click().run()
    assert [run.split(":")[0] for run in url_runs(at)] == ["sgd", "momentum", "adagrad", "adam"]
    assert [row["optimizer"] for row in rows_data(at)["rows"]] == ["sgd", "momentum", "adagrad", "adam"]


def test_the_stability_cue_warns_in_the_row_and_one_click_makes_the_run_stable():
    """SGD on the bowl (λmax = 2) is unstable from lr = 2/λmax = 1: past it "stable" turns red with a ⚠ and
    the warning as its tooltip; the sentence is also under "⋯", said to be a warning (the browser colours it).
    One click: the largest slider value below 1, 0.99; the edge is 1."""
    at = open_app({"run": "sgd:lr=1.5"})
    [run_id] = at.session_state["run_ids"]
    row = row_data(at, run_id)
    cue = row["cue"]
    assert cue["past"] and (cue["stable"], cue["edge"]) == (0.99, 1.0)
    assert cue["stable_help"].startswith("⚠ lr = 1.5 > 2/λmax = 1 at the start: ")
    assert cue["edge_help"].startswith("edge of stability: lr = 1 = 2/λmax")
    assert row["stability"]["warning"] and row["stability"]["text"].startswith("⚠ lr = 1.5 > 2/λmax = 1 at the start")
    assert ":red[" not in row["stability"]["text"] + cue["stable_help"]  # plain text: no Markdown to show
    edit_runs(at, (run_id, "lr", cue["stable"]))  # a click on "stable"
    no_exception(at)
    assert at.session_state[run_key(run_id, "sgd", "lr")] == 0.99 and url_runs(at) == ["sgd:lr=0.99"]
    row = row_data(at, run_id)
    assert not row["cue"]["past"] and row["cue"]["stable_help"].startswith("largest stable: lr = 0.99")
    assert row["stability"] == {"text": "2/λmax at the start = 1", "warning": False}
    edit_runs(at, (run_id, "lr", row["cue"]["edge"]))  # "edge": at lr = 1 the oscillation neither grows nor shrinks
    assert url_runs(at) == ["sgd:lr=1.0"] and not row_data(at, run_id)["cue"]["past"]
    assert not row_data(at, run_id)["stability"]["warning"]


def test_a_rule_without_an_lr_limit_has_no_stable_buttons_but_says_two_over_lambda_max():
    """Adam, and SGD with a line search (the search picks the step), have no lr limit: no stable / edge; under
    "⋯" the curvature still says 2/λmax (the bowl's: 1)."""
    at = open_app({"run": ["adam:lr=0.3", "sgd:lr=2,line_search=armijo", "sgd:lr=0.5"]})
    adam, searching, fixed = (row_data(at, run_id) for run_id in at.session_state["run_ids"])
    for row in (adam, searching):
        assert row["cue"] is None
        assert row["stability"] == {"text": "2/λmax at the start = 1", "warning": False}
    assert fixed["cue"] is not None  # the same rule with a fixed step has one


def test_the_sidebar_keeps_the_scene_and_holds_no_run():
    at = open_app()
    keys = widgets_in(at.sidebar)
    assert not [key for key in keys if key.startswith(("run", "remove")) or key in ("add_run", "reset_runs")], keys
    for key in ("lang", "projector", "preset@en", "surface@en", "start_x", "start_y", "steps", "schedule@en"):
        assert key in keys
    assert "Runs" not in [s.value for s in at.sidebar.subheader]
    assert block(at.sidebar, "run_rows") is None


def contrast(one: str, other: str) -> float:
    """The WCAG 2 contrast ratio of two #RRGGBB colours (written here, not taken from the code under test)."""
    def luminance(colour):
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_each_badge_is_drawn_in_exactly_its_runs_colour_with_readable_ink():
    """A row's badge is in exactly the colour of the run's path on the chart (the optimizer's colour), its number
    in black or white, whichever reads better (WCAG AA: a contrast of at least 4.5); removing a run leaves the
    others' colours as they were."""
    at = open_app({"run": ["sgd:lr=0.1", "momentum:lr=0.1", "adagrad:lr=1", "adam:lr=0.3", "newton:lr=1",
                           "bfgs:lr=1", "amsgrad:lr=0.1", "adamw:lr=0.1"]})
    rows = rows_data(at)["rows"]
    assert [row["colour"] for row in rows] == [colour for _, colour in legend(at)]
    for row in rows:
        assert row["colour"] == styles.OPTIMIZER_COLOURS[row["optimizer"]]
        assert row["ink"] in ("#000000", "#FFFFFF")
        other = "#FFFFFF" if row["ink"] == "#000000" else "#000000"
        assert contrast(row["colour"], row["ink"]) >= max(4.5, contrast(row["colour"], other)), row
    # by hand: black on Adam's pink #CC79A7, white on Momentum's blue #0072B2 and on Newton's black
    assert [row["ink"] for row in rows[1:5]] == ["#FFFFFF", "#000000", "#000000", "#FFFFFF"]
    second = at.session_state["run_ids"][1]
    edit_runs(at, (second, "remove", None))  # the others keep their colours
    after = rows_data(at)["rows"]
    assert second not in [row["id"] for row in after]
    assert [(row["id"], row["colour"]) for row in after] == [(row["id"], row["colour"]) for row in rows
                                                            if row["id"] != second]


def test_projector_mode_sets_the_rows_in_large_type():
    """Projector mode: the rows are told so and their stylesheet sets every word at 20 px (14 px on a screen)."""
    at = open_app({"projector": "1"})
    assert rows_data(at)["projector"] is True and rows_data(open_app())["projector"] is False
    css = rows_element(at).proto.css_content
    assert re.search(r"\.rr\.rr-projector\s*\{[^}]*--rr-font:\s*20px", css)
    assert re.search(r"\.rr\s*\{[^}]*--rr-font:\s*14px[^}]*font-size:\s*var\(--rr-font\)", css)


def test_a_phone_gets_the_rows_in_wrapped_lines_optimizer_and_lr_first():
    """Below 700 px (the width under which the browser says the page is narrow) a row wraps: the badge and the
    optimizer first, then "⋯" beside them, then the sliders; the empty places of a row go."""
    css = rows_element(open_app()).proto.css_content
    phone = css[css.index("@media (max-width: 699px)"):]
    assert re.search(r"\.rr-row\s*>\s*\.rr-head\s*\{\s*order:\s*0", phone)
    assert re.search(r"\.rr-row\s*>\s*\.rr-more\s*\{\s*order:\s*1", phone)
    assert re.search(r"\.rr-row\s*>\s*\.rr-none\s*\{\s*display:\s*none", phone)


def test_the_doctests():
    assert doctest.testmod(run_rows).failed == 0


def test_in_projector_mode_and_on_a_phone_the_rows_fold_into_one_line_and_still_work():
    """Projector mode and a phone give the chart the screen: the rows sit in an expander, closed at first, named by
    the runs' optimizers; they are sent all the same, so a run keeps its settings and can still be changed."""
    for query, narrow in (({"projector": "1"}, False), (None, True)):
        at = open_app(query)
        if narrow:  # what the browser says on a phone (ui/viewport.py)
            at.session_state["viewport_narrow"] = True
            at.run()
        no_exception(at)
        [folded] = [e for e in at.expander if e.label.startswith("Runs: ")]
        assert folded.label == "Runs: SGD, Momentum, AdaGrad, Adam" and not folded.proto.expanded
        assert block(folded, "run_rows") is not None
        first = at.session_state["run_ids"][0]
        edit_runs(at, (first, "lr", 0.5))
        no_exception(at)
        assert url_runs(at)[0] == "sgd:lr=0.5"
        edit_runs(at, (first, "optimizer", "adam"))
        [folded] = [e for e in at.expander if e.label.startswith("Runs: ")]
        assert folded.label == "Runs: Adam, Momentum, AdaGrad, Adam"
    plain = open_app()
    assert not [e for e in plain.expander if e.label.startswith("Runs: ")]
    assert block(plain.main, "run_rows") is not None


# --- what the browser sends back --------------------------------------------------------------------------


def test_edits_the_page_has_applied_are_skipped():
    """The browser sends every edit the page has not said it applied, numbered, so two sends that cross lose
    nothing: an edit whose number is not past the last one applied is skipped (it would undo a later one)."""
    at = open_app()
    first = at.session_state["run_ids"][0]
    assert rows_data(at)["applied"] == 0
    send_edits(at, [{"seq": 1, "run": first, "name": "lr", "value": 0.5}])
    assert url_runs(at)[0] == "sgd:lr=0.5" and rows_data(at)["applied"] == 1
    # the first edit again, sent before the browser heard it was applied, then a new one
    send_edits(at, [{"seq": 1, "run": first, "name": "lr", "value": 0.5},
                    {"seq": 2, "run": first, "name": "lr", "value": 0.4}])
    assert url_runs(at)[0] == "sgd:lr=0.4" and rows_data(at)["applied"] == 2
    for stale in ([{"seq": 1, "run": first, "name": "lr", "value": 0.5}],  # arriving late
                  [{"seq": 2, "run": first, "name": "lr", "value": 0.3}],  # a number already applied
                  [{"seq": 0, "run": first, "name": "remove", "value": None}]):
        send_edits(at, stale)
        no_exception(at)
        assert url_runs(at)[0] == "sgd:lr=0.4" and rows_data(at)["applied"] == 2
        assert len(at.session_state["run_ids"]) == 4
    send_edits(at, [{"seq": 7, "run": first, "name": "lr", "value": 0.3}])  # numbers may jump (a new mount)
    assert url_runs(at)[0] == "sgd:lr=0.3" and rows_data(at)["applied"] == 7


# (run, name, value): what no row's control sends for the page {"run": ["sgd:lr=0.5", "adam:lr=0.3"]}
FORGED = [
    ("sgd", "lr", 0.123),  # off the grid (0.12, 0.13)
    ("sgd", "lr", math.nan), ("sgd", "lr", math.inf), ("sgd", "lr", -0.5), ("sgd", "lr", 0.0),
    ("sgd", "lr", "0.5"), ("sgd", "lr", None), ("sgd", "lr", [0.5]), ("sgd", "lr", {"value": 0.5}),
    ("sgd", "lr", True),  # a bool for a float (True == 1.0, which is on the grid)
    ("adam", "beta1", 1.0),  # not on β₁'s grid, and β₁ < 1
    ("sgd", "zeta", 0.5), ("sgd", None, 0.5), ("sgd", "", 0.5),  # no such hyperparameter
    ("sgd", "mu", 0.5),  # Momentum's, not SGD's
    ("sgd", "line_search", "bisection"), ("sgd", "line_search", 1),
    ("adam", "bias_correction", 0), ("adam", "bias_correction", "false"),  # an int, a string for a flag
    ("adam", "eps_placement", "INSIDE"), ("adam", "eps_placement", "内"),
    ("sgd", "optimizer", "adamax"), ("sgd", "optimizer", None), ("sgd", "optimizer", "SGD"),
    ("gone", "lr", 0.5), ("gone", "remove", None), ("gone", "optimizer", "adam"),  # a run that is gone
    ("never", "lr", 0.5), ("never", "remove", None),  # a run that never was
    ("true", "remove", None), ("true", "lr", 0.5), ("float", "remove", None),  # True and 1.0 both == run 1
    ("sgd", "optimizer", ["adam"]), ("sgd", "optimizer", {"adam": 1}),  # unhashable
    ("sgd", "c1", 0.001),  # SGD's sufficient-decrease constant, which its row does not show without a line search
    ("sgd", "lr", 10 ** 400),  # an integer JSON allows and a float cannot hold
]


def test_a_forged_edit_changes_nothing_and_never_raises():
    """The rows' own controls send only values they offer; a hand-made message might send anything.  A value not
    on the control's grid or not among its choices, of the wrong type, a name the rule does not have, a run that
    is gone: the edit is used up (its number applied) and no run changes; the page shows no error."""
    at = open_app({"run": ["sgd:lr=0.5", "adam:lr=0.3", "momentum:lr=0.1"]})
    sgd, adam, gone = at.session_state["run_ids"]
    edit_runs(at, (gone, "remove", None))
    assert adam == 1  # so True and 1.0 compare equal to its id
    runs = {"sgd": sgd, "adam": adam, "gone": gone, "never": 99, "true": True, "float": 1.0}
    before, urls, rows = run_state(at), url_runs(at), rows_data(at)["rows"]
    assert urls == ["sgd:lr=0.5", "adam:lr=0.3"]
    for run, name, value in FORGED:
        applied = rows_data(at)["applied"]
        edit_runs(at, (runs[run], name, value))
        no_exception(at)
        assert not at.error, (run, name, value, [e.value for e in at.error])
        assert (run_state(at), url_runs(at)) == (before, urls), (run, name, value)
        assert rows_data(at)["rows"] == rows and rows_data(at)["applied"] == applied + 1
    # all of them in one send, then a true edit: it still applies
    edit_runs(at, *((runs[run], name, value) for run, name, value in FORGED), (sgd, "lr", 0.4))
    no_exception(at)
    assert url_runs(at) == ["sgd:lr=0.4", "adam:lr=0.3"]
    assert rows_data(at)["applied"] == applied + 1 + len(FORGED) + 1


def test_a_malformed_message_changes_nothing_and_never_raises():
    """Not even a list of edits: nothing to apply, and no error on the page."""
    at = open_app()
    urls = url_runs(at)
    for edits in ([5, None, "edit", []], [{"run": 0, "name": "lr", "value": 0.5}],  # no number
                  [{"seq": "9", "run": 0, "name": "lr", "value": 0.5}], [{"seq": 1.5, "run": 0, "name": "lr",
                                                                          "value": 0.5}]):
        send_edits(at, edits)
        no_exception(at)
        assert url_runs(at) == urls and rows_data(at)["applied"] == 0
    for sent in (None, 5, "edits", [1], {"edits": "x"}, {"edits": None}):  # the trigger's value itself
        states = at._tree.get_widget_states()
        state = states.widgets.add()
        state.id = _make_trigger_id(rows_element(at).proto.id, "events")
        state.json_trigger_value = json.dumps([{"event": "edit", "value": sent}])
        at._run(states)
        no_exception(at)
        assert url_runs(at) == urls and rows_data(at)["applied"] == 0


# --- the stage shows a neighbouring learning rate's path at once (ui/views.lr_previews) ----------------------


def f32(spec) -> np.ndarray:
    """A float32 array as the stage is sent it ({dtype, bdata: base64}, viz.figures._f32)."""
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.float32)


def test_each_run_comes_with_its_neighbouring_learning_rates_paths_which_are_the_runs_themselves():
    """SGD at lr = 0.95 on the default bowl: its slider's neighbours are 0.94 and 0.96 (the grid's hundredths
    there, read off the row), and the stage is sent their paths.  Moved to 0.96, the run the rerun brings is
    exactly the path the stage was sent beforehand for 0.96 (so what the class sees at the key press is the run);
    and that path is SGD itself, x ← x − 0.96·∇f, checked by hand on its first step."""
    at = open_app({"run": ["sgd:lr=0.95", "momentum:lr=0.1"]})
    grid = rows_data(at)["grids"][rows_data(at)["rows"][0]["lr"]["grid"]]["values"]
    at_095 = grid.index(0.95)
    assert (grid[at_095 - 1], grid[at_095 + 1]) == (0.94, 0.96)
    [sgd, _] = chart(at)["runs"]
    previews = {item["lr"]: item for item in sgd["preview"]}
    assert sorted(previews) == [0.94, 0.96]
    assert previews[0.96]["label"] == "SGD lr=0.96"  # the stage's legend during the preview
    ahead = f32(previews[0.96]["shown"]).reshape(-1, 2)
    # by hand: ∇f(−7, 2) = (x/10, 2y) = (−0.7, 4), so x₁ = (−7 + 0.672, 2 − 3.84) = (−6.328, −1.84)
    np.testing.assert_allclose(ahead[1], [-6.328, -1.84], rtol=0, atol=1e-5)
    edit_runs(at, (at.session_state["run_ids"][0], "lr", 0.96))
    no_exception(at)
    [sgd, _] = chart(at)["runs"]
    np.testing.assert_array_equal(f32(sgd["xy"]).reshape(-1, 2), ahead)
    assert previews[0.96]["end"] == sgd["end"] and previews[0.96]["status"] == sgd["status"]
    assert sorted(item["lr"] for item in sgd["preview"]) == [0.95, 0.97]


def test_long_runs_are_sent_without_neighbours():
    """Past views.PREVIEW_STEPS steps the neighbours' paths would weigh more than the runs: none are sent."""
    at = open_app({"run": ["sgd:lr=0.95"], "steps": "600"})
    no_exception(at)
    assert [run["preview"] for run in chart(at)["runs"]] == [[]]


def test_a_message_is_looked_at_only_so_far():
    """A hand-made message of 100 000 edits costs no more than its last MAX_EDITS, and an edit numbered far past
    the last applied (which would end the session's edits: the browser counts in doubles) is skipped."""
    at = open_app({"run": ["sgd:lr=0.5"]})
    [sgd] = at.session_state["run_ids"]
    applied = rows_data(at)["applied"]
    send_edits(at, [{"seq": applied + 2 ** 60, "run": sgd, "name": "lr", "value": 0.4}])
    no_exception(at)
    assert url_runs(at) == ["sgd:lr=0.5"] and rows_data(at)["applied"] == applied
    flood = [{"seq": applied + 1 + i, "run": sgd, "name": "lr", "value": 0.123} for i in range(10 ** 5)]
    flood[-1] = {"seq": applied + 10 ** 5, "run": sgd, "name": "lr", "value": 0.4}
    send_edits(at, flood)  # only the last MAX_EDITS are looked at; their numbers are too far ahead: none applies
    no_exception(at)
    assert url_runs(at) == ["sgd:lr=0.5"] and not at.error
    edit_runs(at, (sgd, "lr", 0.4))  # the next true edit still applies
    assert url_runs(at) == ["sgd:lr=0.4"]
