"""The runs as compact rows above the tabs (issue 15, item 5): one row per run with its optimizer, learning
rate, stable / edge, its main other hyperparameter and "⋯" (every other setting, the stability text,
Remove); the sidebar keeps the scene.  Driven with streamlit.testing.v1.AppTest, as tests/test_app.py."""

import doctest

import optim_core
import page_model
from ui import run_rows
from ui.state import run_key
from viz import styles

from test_app import close_more, no_exception, open_app, open_more


def url_runs(at) -> list:
    value = at.query_params["run"]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def table(at) -> str:
    return next(m.value for m in at.markdown if "<table" in m.value)


def block(node, key: str):
    """The container (st.container, a row's place) with that key, anywhere below ``node``; None if there is none."""
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


def popover(row):
    return next(child for child in row.children.values() if getattr(child, "type", "") == "popover")


# --- the rows -------------------------------------------------------------------------------------------------


def test_every_run_has_a_row_above_the_tabs_with_the_widget_keys_it_always_had():
    at = open_app()
    no_exception(at)
    run_ids = at.session_state["run_ids"]
    rows = block(at.main, "run_rows")
    assert rows is not None
    assert [key for key in (getattr(c, "key", None) for c in rows.children.values()) if key] == [
        f"run_row_{run_id}" for run_id in run_ids]
    order = page_order(at.main)
    assert order.index("run_rows") < order.index("view")  # above the tabs: the chart comes right below
    for position, (run_id, optimizer) in enumerate(zip(run_ids, ("sgd", "momentum", "adagrad", "adam"))):
        open_more(at, run_id)  # Remove is behind "⋯", drawn only while it is open: one row's at a time
        row = block(block(at.main, "run_rows"), f"run_row_{run_id}")
        keys = widgets_in(row)
        # optimizer first, then its learning rate (on a phone the row wraps in this order)
        assert keys[:2] == [f"run{run_id}.optimizer", run_key(run_id, optimizer, "lr")]
        assert keys[-1] == f"remove{run_id}"
        assert at.selectbox(key=f"run{run_id}.optimizer").value == optimizer
        badge = block(row, f"run_badge_{run_id}")
        assert [m.value for m in badge.markdown] == [str(position + 1)]
        close_more(at, run_id)
    rows = block(at.main, "run_rows")
    sgd, momentum = run_ids[0], run_ids[1]
    for run_id in (sgd, momentum):  # the rules with an lr limit: one click to stable or the edge
        assert {f"run{run_id}.stable_lr", f"run{run_id}.edge_lr"} <= set(widgets_in(block(rows, f"run_row_{run_id}")))
    # Add run / Reset runs sit in the heading's line, beside the surface's name: the chart keeps that row
    buttons = block(at.main, "run_buttons")
    assert widgets_in(buttons) == ["add_run", "reset_runs"]
    assert order.index("run_buttons") < order.index("run_rows")


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
    at = open_app()
    run_ids = at.session_state["run_ids"]
    rows = block(at.main, "run_rows")
    momentum, adagrad, adam = run_ids[1], run_ids[2], run_ids[3]
    assert widgets_in(block(rows, f"run_main_{momentum}")) == [run_key(momentum, "momentum", "mu")]
    assert widgets_in(block(rows, f"run_main_{adam}")) == [run_key(adam, "adam", "beta1")]
    assert block(rows, f"run_main_{adagrad}") is None and block(rows, f"run_main_none_{adagrad}") is not None
    open_more(at, adam)
    rows = block(at.main, "run_rows")
    more = widgets_in(popover(block(rows, f"run_row_{adam}")))
    assert more == [run_key(adam, "adam", "beta2"), run_key(adam, "adam", "eps"),
                    run_key(adam, "adam", "bias_correction"), run_key(adam, "adam", "eps_placement") + "@en",
                    f"remove{adam}"]
    # the signs before the sliders
    assert [m.value for m in block(rows, f"run_main_{momentum}").markdown] == ["μ"]
    assert [m.value for m in block(rows, f"run_lr_{adam}").markdown] == ["η"]


def test_changing_the_learning_rate_in_a_row_changes_the_run():
    at = open_app()
    first = at.session_state["run_ids"][0]
    before = table(at)
    at.select_slider(key=run_key(first, "sgd", "lr")).set_value(0.5).run()
    no_exception(at)
    assert url_runs(at)[0] == "sgd:lr=0.5" and table(at) != before
    momentum = at.session_state["run_ids"][1]
    at.select_slider(key=run_key(momentum, "momentum", "mu")).set_value(0.5).run()
    assert url_runs(at)[1] == "momentum:lr=0.1,mu=0.5"


def test_the_rarer_settings_behind_more_change_the_run():
    at = open_app({"run": ["adam:lr=0.3", "nesterov:lr=0.1"]})
    adam, nesterov = at.session_state["run_ids"]
    open_more(at, adam)
    at.toggle(key=run_key(adam, "adam", "bias_correction")).set_value(False).run()
    no_exception(at)
    assert url_runs(at)[0] == "adam:lr=0.3,bias_correction=0"
    at.selectbox(key=run_key(adam, "adam", "eps_placement") + "@en").set_value("inside").run()
    at.select_slider(key=run_key(adam, "adam", "eps")).set_value(1e-4).run()
    assert url_runs(at)[0] == "adam:lr=0.3,eps=0.0001,bias_correction=0,eps_placement=inside"
    close_more(at, adam)  # a click on the other row's "⋯" closes this one
    open_more(at, nesterov)
    at.selectbox(key=run_key(nesterov, "nesterov", "form") + "@en").set_value("reformulated").run()
    no_exception(at)
    assert url_runs(at)[1] == "nesterov:lr=0.1,form=reformulated"


def test_more_draws_its_widgets_only_while_open():
    """"⋯" is a lazy popover: closed, the row sends none of the rarer widgets nor Remove (a third of the
    elements an lr change sent); opened, they are there; closed again, they go, and the run is unchanged."""
    at = open_app()
    no_exception(at)
    adam = at.session_state["run_ids"][3]
    rarer = [run_key(adam, "adam", "beta2"), run_key(adam, "adam", "eps"), run_key(adam, "adam", "bias_correction"),
             run_key(adam, "adam", "eps_placement") + "@en", f"remove{adam}"]
    before = url_runs(at)

    def more():
        return popover(block(at.main, f"run_row_{adam}"))

    for _ in range(2):  # closed at first, and closed again after being opened
        page = widgets_in(at.main)
        assert not more().proto.popover.open and widgets_in(more()) == [] and not more().caption
        assert not set(rarer) & set(page), set(rarer) & set(page)
        assert not [key for key in page if key.startswith("remove")]  # no row's Remove: every "⋯" is closed
        assert widgets_in(block(at.main, f"run_row_{adam}")) == [
            f"run{adam}.optimizer", run_key(adam, "adam", "lr"), run_key(adam, "adam", "beta1")]
        open_more(at, adam)
        no_exception(at)
        assert more().proto.popover.open and widgets_in(more()) == rarer
        assert [c.value for c in more().caption] == ["2/λmax at the start = 1"]
        assert not [key for key in widgets_in(at.main) if key.startswith("remove") and key != f"remove{adam}"]
        assert url_runs(at) == before  # opening "⋯" changes no run
        close_more(at, adam)
        no_exception(at)
        assert url_runs(at) == before


def test_a_setting_changed_behind_more_survives_closing_it():
    """Set behind "⋯", then "⋯" closed (its widgets no longer drawn) and the run's learning rate changed in the
    row: the URL and the session state still hold the setting, rerun after rerun."""
    at = open_app({"run": ["sgd:lr=0.5", "adam:lr=0.3"]})
    sgd, adam = at.session_state["run_ids"]
    names = [spec.name for spec in optim_core.hyper_specs("adam")]
    open_more(at, adam)
    at.toggle(key=run_key(adam, "adam", "bias_correction")).set_value(False).run()
    at.select_slider(key=run_key(adam, "adam", "eps")).set_value(1e-4).run()
    no_exception(at)
    assert url_runs(at)[1] == "adam:lr=0.3,eps=0.0001,bias_correction=0"
    hyper = {name: at.session_state[run_key(adam, "adam", name)] for name in names}
    assert hyper["bias_correction"] is False and hyper["eps"] == 1e-4
    close_more(at, adam)
    no_exception(at)
    assert run_key(adam, "adam", "eps") not in widgets_in(at.main)  # closed: its widgets are not drawn
    at.select_slider(key=run_key(adam, "adam", "lr")).set_value(0.1).run()
    for _ in range(3):  # the lr change, then two more reruns
        no_exception(at)
        [sgd_run, adam_run] = url_runs(at)
        assert sgd_run == "sgd:lr=0.5"
        assert adam_run.startswith("adam:lr=0.1,")
        assert "bias_correction=0" in adam_run.split(",") and "eps=0.0001" in adam_run.split(",")
        assert {name: at.session_state[run_key(adam, "adam", name)] for name in names} == {**hyper, "lr": 0.1}
        at.run()
    open_more(at, adam)  # opened again, its widgets show the settings
    assert at.toggle(key=run_key(adam, "adam", "bias_correction")).value is False
    assert at.select_slider(key=run_key(adam, "adam", "eps")).value == 1e-4


def test_a_line_search_brings_its_constants_and_c1_becomes_the_main_one():
    at = open_app({"run": "sgd:lr=0.5"})
    [run_id] = at.session_state["run_ids"]
    rows = block(at.main, "run_rows")
    assert block(rows, f"run_main_{run_id}") is None
    open_more(at, run_id)  # the line search is behind "⋯"
    at.selectbox(key=run_key(run_id, "sgd", "line_search") + "@en").set_value("wolfe").run()
    no_exception(at)
    rows = block(at.main, "run_rows")
    assert widgets_in(block(rows, f"run_main_{run_id}")) == [run_key(run_id, "sgd", "c1")]
    assert run_key(run_id, "sgd", "c2") in widgets_in(popover(block(rows, f"run_row_{run_id}")))
    assert "line_search=wolfe" in url_runs(at)[0]


def test_remove_behind_more_removes_the_run_and_its_row():
    at = open_app()
    second = at.session_state["run_ids"][1]
    open_more(at, second)
    at.button(key=f"remove{second}").click().run()
    no_exception(at)
    assert second not in at.session_state["run_ids"]
    assert [run.split(":")[0] for run in url_runs(at)] == ["sgd", "adagrad", "adam"]
    assert block(at.main, f"run_row_{second}") is None
    rows = block(at.main, "run_rows")
    assert [block(rows, f"run_badge_{r}").markdown[0].value for r in at.session_state["run_ids"]] == ["1", "2", "3"]


def test_add_run_up_to_the_limit_and_reset():
    at = open_app()
    while len(at.session_state["run_ids"]) < page_model.MAX_RUNS:
        at.button(key="add_run").click().run()
    no_exception(at)
    assert at.button(key="add_run").disabled
    assert len([k for k in widgets_in(block(at.main, "run_rows")) if k.endswith(".optimizer")]) == page_model.MAX_RUNS
    at.button(key="reset_runs").click().run()
    assert [run.split(":")[0] for run in url_runs(at)] == ["sgd", "momentum", "adagrad", "adam"]


def test_the_stability_cue_warns_in_the_row_and_one_click_makes_the_run_stable():
    """SGD on the bowl (λmax = 2) is unstable from lr = 2/λmax = 1: past it "stable" turns red with a ⚠ and
    the warning as its tooltip; the sentence is also behind "⋯".  One click: the largest slider value below 1."""
    at = open_app({"run": "sgd:lr=1.5"})
    [run_id] = at.session_state["run_ids"]
    stable = at.button(key=f"run{run_id}.stable_lr")
    assert stable.proto.type == "primary" and stable.proto.icon == ":material/warning:"
    assert stable.help.startswith(":red[⚠ lr = 1.5 ≥ 2/λmax = 1 at the start")
    open_more(at, run_id)
    assert any(c.value.startswith(":red[⚠ lr = 1.5 ≥ 2/λmax = 1") for c in popover(
        block(at.main, f"run_row_{run_id}")).caption)
    stable.click().run()
    no_exception(at)
    assert at.session_state[run_key(run_id, "sgd", "lr")] == 0.99 and url_runs(at) == ["sgd:lr=0.99"]
    stable = at.button(key=f"run{run_id}.stable_lr")
    assert stable.proto.type == "secondary" and not stable.proto.icon
    open_more(at, run_id)  # a click on "stable" (outside "⋯") closes it in the browser: open it again
    assert [c.value for c in popover(block(at.main, f"run_row_{run_id}")).caption] == ["2/λmax at the start = 1"]


def test_a_rule_without_an_lr_limit_has_no_stable_buttons_but_says_two_over_lambda_max():
    at = open_app({"run": "adam:lr=0.3"})
    [run_id] = at.session_state["run_ids"]
    row = block(at.main, f"run_row_{run_id}")
    assert f"run{run_id}.stable_lr" not in widgets_in(row) and block(row, f"run_cue_none_{run_id}") is not None
    open_more(at, run_id)
    row = block(at.main, f"run_row_{run_id}")
    assert f"run{run_id}.stable_lr" not in widgets_in(row)
    assert [c.value for c in popover(row).caption] == ["2/λmax at the start = 1"]


def test_the_sidebar_keeps_the_scene_and_holds_no_run():
    at = open_app()
    keys = widgets_in(at.sidebar)
    assert not [key for key in keys if key.startswith(("run", "remove")) or key in ("add_run", "reset_runs")], keys
    for key in ("lang", "projector", "preset@en", "surface@en", "start_x", "start_y", "steps", "schedule@en"):
        assert key in keys
    assert "Runs" not in [s.value for s in at.sidebar.subheader]


def test_each_badge_is_drawn_in_exactly_its_runs_colour():
    at = open_app()
    css = next(h.proto.body for h in at.get("html") if "st-key-run_badge_" in h.proto.body)
    for run_id, optimizer in zip(at.session_state["run_ids"], ("sgd", "momentum", "adagrad", "adam")):
        colour = styles.OPTIMIZER_COLOURS[optimizer]
        assert f".st-key-run_badge_{run_id} {{ background-color: {colour}; }}" in css
    second = at.session_state["run_ids"][1]
    open_more(at, second)
    at.button(key=f"remove{second}").click().run()  # the others keep their colours
    css = next(h.proto.body for h in at.get("html") if "st-key-run_badge_" in h.proto.body)
    assert f"run_badge_{second} " not in css
    assert f".st-key-run_badge_{at.session_state['run_ids'][-1]} {{ background-color: " \
           f"{styles.OPTIMIZER_COLOURS['adam']}; }}" in css


def test_projector_mode_sets_the_rows_in_large_type():
    at = open_app({"projector": "1"})
    css = next(h.proto.body for h in at.get("html") if "st-key-run_rows" in h.proto.body)
    assert "font-size: 20px" in css
    assert "font-size: 20px" not in next(h.proto.body for h in open_app().get("html")
                                         if "st-key-run_rows" in h.proto.body)


def test_the_widgets_behind_more_start_from_the_runs_values():
    """Streamlit draws a popover's widgets when it first opens, from their default: that default must be the
    run's value (with the rule's default, opening "⋯" showed β₂ = 0 and the next rerun made it so).  Before
    that, a shared link's rarer settings survive rerun after rerun with "⋯" never opened (its widgets are not
    drawn then: ``run_rows.keep_closed_settings`` keeps their values)."""
    link = "adam:lr=0.3,beta2=0.99,bias_correction=0,eps_placement=inside"
    at = open_app({"run": link})
    no_exception(at)
    [run_id] = at.session_state["run_ids"]
    settings = {name: at.session_state[run_key(run_id, "adam", name)]
                for name in ("beta2", "bias_correction", "eps_placement")}
    assert settings == {"beta2": 0.99, "bias_correction": False, "eps_placement": "inside"}
    for _ in range(3):
        at.run()
        no_exception(at)
        assert run_key(run_id, "adam", "beta2") not in widgets_in(at.main)  # "⋯" is still closed
        assert url_runs(at) == [link]
        assert {name: at.session_state[run_key(run_id, "adam", name)] for name in settings} == settings
    open_more(at, run_id)
    no_exception(at)
    beta2 = at.select_slider(key=run_key(run_id, "adam", "beta2"))
    assert beta2.options[int(beta2.proto.default[0])] == "0.99" and beta2.value == 0.99
    bias_correction = at.toggle(key=run_key(run_id, "adam", "bias_correction"))
    assert bias_correction.proto.default is False and bias_correction.value is False
    placement = at.selectbox(key=run_key(run_id, "adam", "eps_placement") + "@en")
    assert placement.options[placement.proto.default] == "inside" and placement.value == "inside"
    at.run()  # the next rerun sends the opened widgets' values back: the run is unchanged
    assert url_runs(at) == [link]
    close_more(at, run_id)  # closed again, its widgets are no longer drawn: the settings stay all the same
    for _ in range(2):
        at.run()
        assert url_runs(at) == [link]
        assert {name: at.session_state[run_key(run_id, "adam", name)] for name in settings} == settings


def test_a_phone_gets_the_rows_in_wrapped_lines_optimizer_and_lr_first():
    css = run_rows.row_css([0], (styles.run_style("sgd"),), False)
    assert "@media (max-width: 699px)" in css and "order: 0" in css


def test_the_doctests():
    assert doctest.testmod(run_rows).failed == 0


def test_in_projector_mode_the_rows_fold_into_one_line_and_still_work():
    """Projector mode gives the chart the screen: the rows sit in an expander, closed at first, named by the runs'
    optimizers; its widgets are drawn all the same, so a run keeps its settings and can still be changed."""
    at = open_app({"projector": "1"})
    no_exception(at)
    [folded] = [e for e in at.expander if e.label.startswith("Runs: ")]
    assert folded.label == "Runs: SGD, Momentum, AdaGrad, Adam" and not folded.proto.expanded
    assert block(folded, "run_rows") is not None
    first = at.session_state["run_ids"][0]
    at.select_slider(key=run_key(first, "sgd", "lr")).set_value(0.5).run()
    no_exception(at)
    assert any(r.startswith("sgd:lr=0.5") for r in url_runs(at))
    plain = open_app()
    assert not [e for e in plain.expander if e.label.startswith("Runs: ")]
