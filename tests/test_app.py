"""The page with streamlit.testing.v1.AppTest: loads, responds, round-trips its URL, never raises."""

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

import page_model
import surfaces
from viz import figures as fg
from viz import i18n
from viz import styles

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_app(query=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def stage_element(at):
    [element] = [e for e in at.get("bidi_component") if e.proto.component_name == "optimizer_paths_stage"]
    return element


def chart(at) -> dict:
    """What the stage (the Paths tab's chart, ui/stage.py) was sent: viz.stage.stage_data and the settings."""
    return json.loads(stage_element(at).proto.bytes)  # ui/widgets.packed


def legend(at) -> list:
    """Each run's (label, colour) as the stage draws them."""
    return [(run["label"], run["colour"]) for run in chart(at)["runs"]]


def labels(at) -> list:
    return [label for label, _ in legend(at)]


def stage_event(at, *, click=None, settings=None):
    """What the browser sends when the surface is clicked (a trigger) or a playback setting changes (state)."""
    from streamlit.components.v2.bidi_component.main import _make_trigger_id

    element = stage_element(at)
    states = at._tree.get_widget_states()
    if click is not None:
        state = states.widgets.add()
        state.id = _make_trigger_id(element.proto.id, "events")
        state.json_trigger_value = json.dumps([{"event": "click", "value": click}])
    if settings is not None:
        state = states.widgets.add()
        state.id = element.proto.id
        state.json_value = json.dumps({"settings": settings})
    return at._run(states)


def table(at) -> str:
    return next(m.value for m in at.markdown if "<table" in m.value)


def shown(markdown: str) -> str:
    """The text the browser shows for Markdown source whose punctuation is written as character references."""
    return html.unescape(markdown).replace("\u2060", "")  # the word joiner that keeps a bare URL unlinked


def url(at, key) -> list:
    """A query parameter of the page, always as a list of strings."""
    value = at.query_params[key]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def no_exception(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


# --- the run rows: one components-v2 component for every run (ui/run_rows.py, ui/run_rows_web/run_rows.js) -----


def rows_element(at):
    """The run rows component (its key: "run_rows")."""
    [element] = [e for e in at.get("bidi_component") if e.proto.component_name == "optimizer_paths_run_rows"]
    return element


def rows_data(at) -> dict:
    """What the run rows were sent (``run_rows.rows_data``): each row's values, controls, words and help."""
    return json.loads(rows_element(at).proto.bytes)  # ui/widgets.packed


def row_data(at, run_id) -> dict:
    """One run's row as the rows were sent it."""
    [row] = [row for row in rows_data(at)["rows"] if row["id"] == run_id]
    return row


def send_edits(at, edits, *, also=()) -> AppTest:
    """Rerun with the rows' trigger "edit" carrying ``edits`` exactly as given ([{"seq", "run", "name", "value"},
    …]), as the rows' JavaScript sends them; ``also``: more widget states sent with them (a stale widget's)."""
    from streamlit.components.v2.bidi_component.main import _make_trigger_id

    states = at._tree.get_widget_states()
    states.widgets.extend(also)
    state = states.widgets.add()
    state.id = _make_trigger_id(rows_element(at).proto.id, "events")
    state.json_trigger_value = json.dumps([{"event": "edit", "value": {"edits": list(edits)}}])
    return at._run(states)


def edit_runs(at, *edits, also=()) -> AppTest:
    """Rerun with the edits (run_id, name, value) sent in one go, in order, numbered on from the last edit the page
    applied: what a row sends when its optimizer, a slider, a select box, a toggle, "stable" / "edge" (name "lr")
    or "Remove this run" (name "remove") is used."""
    applied = rows_data(at)["applied"]
    return send_edits(at, [{"seq": applied + number, "run": run_id, "name": name, "value": value}
                           for number, (run_id, name, value) in enumerate(edits, start=1)], also=also)


# Export draws its content only while open (a lazy popover, ui/paths_tab.py): a test opens it as a click on it
# does, by setting its state and rerunning.


def open_export(at) -> AppTest:
    """Open the Paths tab's Export popover (the picture size and the download buttons)."""
    at.session_state["export_open"] = True
    return at.run()


def close_export(at) -> AppTest:
    at.session_state["export_open"] = False
    return at.run()


def test_the_default_page_is_the_books_comparison():
    at = open_app()
    no_exception(at)
    assert labels(at) == ["SGD lr=0.95", "Momentum lr=0.1", "AdaGrad lr=1.5", "Adam lr=0.3"]
    assert [run["end"] for run in chart(at)["runs"]] == [30] * 4  # every step is sent: the browser tweens them
    assert shown(at.markdown[0].value) == "### Elongated bowl"
    assert table(at).count("ran all 30 steps") == 4
    assert url(at, "surface") == ["bowl"] and len(url(at, "run")) == 4


@pytest.mark.parametrize("surface_id", surfaces.names())
def test_every_surface_loads(surface_id):
    at = open_app()
    at.selectbox(key="surface@en").set_value(surface_id).run()
    no_exception(at)
    assert at.session_state["start_x"] == surfaces.get(surface_id).default_start[0]
    assert chart(at)["chart"]["layout"]["xaxis"]["range"] == list(surfaces.get(surface_id).x_range)


@pytest.mark.parametrize("surface_id", surfaces.names())
def test_a_new_surface_suits_the_learning_rates_unless_kept(surface_id):
    """The book's four runs moved to another surface: with the book's rates SGD and Momentum blew up at once on
    most surfaces (Rosenbrock: step 2).  Now no run diverges and none leaves the domain in the scene's steps;
    with "keep my learning rates" on, the rates stay as they were."""
    at = open_app()
    at.selectbox(key="surface@en").set_value(surface_id).run()
    no_exception(at)
    assert "diverged" not in table(at)
    scene, _ = page_model.from_query({key: at.query_params[key] for key in at.query_params})
    (x_lo, x_hi), (y_lo, y_hi) = scene.surface_object().x_range, scene.surface_object().y_range
    wide = 0.05 * np.array([x_hi - x_lo, y_hi - y_lo])
    for trajectory in page_model.simulate(scene):
        first_half = trajectory.xy[: scene.steps // 2 + 1]  # a saddle's escape may leave the picture later
        assert np.all((first_half >= np.array([x_lo, y_lo]) - wide) & (first_half <= np.array([x_hi, y_hi]) + wide))
    kept = open_app()
    kept.toggle(key="keep_lrs").set_value(True).run()
    kept.selectbox(key="surface@en").set_value(surface_id).run()
    assert [run.split(",")[0] for run in url(kept, "run")] == ["sgd:lr=0.95", "momentum:lr=0.1", "adagrad:lr=1.5",
                                                                "adam:lr=0.3"]


def test_the_page_says_which_learning_rates_a_new_surface_changed():
    at = open_app()
    at.selectbox(key="surface@en").set_value("rosenbrock").run()
    note = next(c.value for c in at.caption if "Learning rates suited to this surface" in c.value)
    assert "SGD 0.95 → " in shown(note) and "Momentum 0.1 → " in shown(note)


@pytest.mark.parametrize("key", list(page_model.PRESETS))
def test_every_preset_loads(key):
    at = open_app()
    at.selectbox(key="preset@en").set_value(key).run()
    no_exception(at)
    preset = page_model.PRESETS[key].scene
    assert labels(at) == [run.label() for run in preset.runs]


def path_of_first_run(data) -> np.ndarray:
    return fg.decode(data["runs"][0]["xy"]).reshape(-1, 2)


def test_changing_a_slider_changes_the_chart():
    at = open_app()
    before, before_table = path_of_first_run(chart(at)), table(at)
    first = at.session_state["run_ids"][0]
    edit_runs(at, (first, "lr", 0.5))  # the first row's learning-rate slider
    no_exception(at)
    assert at.session_state[f"run{first}.sgd.lr"] == 0.5 and row_data(at, first)["lr"]["value"] == 0.5
    after = path_of_first_run(chart(at))
    assert not np.allclose(before, after) and table(at) != before_table
    # SGD at lr 0.5 on the bowl: y ← (1 − 2·0.5)·y = 0 after one step (closed form)
    assert after[1, 1] == pytest.approx(0.0, abs=1e-6)
    assert any(r.startswith("sgd:lr=0.5") for r in url(at, "run"))


def test_the_url_reproduces_the_scene():
    at = open_app()
    at.selectbox(key="surface@en").set_value("ill_conditioned").run()
    at.select_slider(key="surface.kappa").set_value(100.0).run()
    at.number_input(key="steps").set_value(60).run()
    at.button(key="add_run").click().run()
    at.toggle(key="average").set_value(True).run()
    no_exception(at)
    again = open_app({key: at.query_params[key] for key in at.query_params})
    no_exception(again)
    assert not again.warning
    assert chart(again) == chart(at)
    assert table(again) == table(at)


def test_malformed_url_values_warn_and_fall_back():
    at = open_app({"steps": "abc", "surface": "nope", "run": ["adamax:lr=1", "sgd:lr=-5"], "start": "x,y"})
    no_exception(at)
    warnings = shown(" ".join(w.value for w in at.warning))
    assert "steps='abc'" in warnings and "surface='nope'" in warnings and "'adamax:lr=1'" in warnings
    assert "lr='-5'" in warnings and "start='x,y'" in warnings
    assert chart(at)["chart"]["layout"]["xaxis"]["range"] == [-10, 10]  # the default surface
    at.button(key="dismiss_warnings").click().run()
    assert not at.warning


def test_a_diverging_run_is_flagged_not_a_traceback():
    at = open_app()
    edit_runs(at, (at.session_state["run_ids"][0], "lr", 10.0))  # SGD at the top of its slider
    no_exception(at)
    assert "⚠ diverged at step" in table(at)
    sgd = chart(at)["runs"][0]
    assert sgd["status"] == "diverged"
    # its marker is drawn on the chart's edge once it has left (the canvas clips the line there)
    shown_points = fg.decode(sgd["shown"]).reshape(-1, 2)
    assert np.all(np.abs(shown_points[:, 0]) <= 10) and np.all(np.abs(shown_points[:, 1]) <= 5)
    # where it ended is marked, and hidden with the rest of the future while playback hides it
    assert [t.get("meta") for t in chart(at)["chart"]["data"]].count("future") == 1


def test_runs_can_be_added_removed_and_reset():
    at = open_app()
    at.button(key="add_run").click().run()
    assert len(at.session_state["run_ids"]) == 5
    # the last run's optimizer at half its learning rate, said in its label: visibly a new run
    assert labels(at)[-2:] == ["Adam lr=0.3", "Adam lr=0.15"]
    first = at.session_state["run_ids"][0]
    edit_runs(at, (first, "remove", None))  # "Remove this run", under the row's "⋯"
    assert labels(at)[0] == "Momentum lr=0.1" and len(labels(at)) == 4
    at.button(key="reset_runs").click().run()
    assert labels(at)[0] == "SGD lr=0.95" and len(labels(at)) == 4
    no_exception(at)


def test_switching_a_runs_optimizer_shows_its_own_hyperparameters():
    """A row's optimizer box: the row then holds that rule's controls at their values (Nesterov: μ beside the
    learning rate, its form under "⋯"; Adam: β₁ beside it, β₂, ε, bias correction and ε placement under "⋯", and
    no stable / edge, Adam has no lr limit), and a setting of the new rule changes the run."""
    at = open_app()
    first = at.session_state["run_ids"][0]
    assert row_data(at, first)["main"] is None  # SGD with a fixed step: no main other hyperparameter
    edit_runs(at, (first, "optimizer", "nesterov"))
    no_exception(at)
    row = row_data(at, first)
    assert row["optimizer"] == at.session_state[f"run{first}.optimizer"] == "nesterov"
    assert (row["main"]["name"], row["main"]["value"]) == ("mu", 0.9)
    assert [(c["name"], c["kind"], c["value"]) for c in row["more"]] == [("form", "select", "lookahead")]
    edit_runs(at, (first, "form", "reformulated"))  # the Nesterov form, under the row's "⋯"
    assert any(r.startswith("nesterov:") and "form=reformulated" in r for r in url(at, "run"))
    assert row_data(at, first)["more"][0]["value"] == "reformulated"
    edit_runs(at, (first, "optimizer", "adam"))
    no_exception(at)
    row = row_data(at, first)
    assert row["title"] == "Run 1: Adam" and row["cue"] is None and row["main"]["name"] == "beta1"
    assert [c["name"] for c in row["more"]] == ["beta2", "eps", "bias_correction", "eps_placement"]
    assert url(at, "run")[0].startswith("adam:")


def test_an_optimizer_and_its_learning_rate_sent_together_apply_in_order():
    """The browser sends every edit the page has not applied yet in one message: the optimizer box, then the new
    optimizer's learning rate, both apply, in that order (the lr is Adam's, not SGD's).  Sent the other way round,
    the lr lands on SGD and Adam keeps its own (0.1, the rule's default)."""
    at = open_app()
    first = at.session_state["run_ids"][0]
    edit_runs(at, (first, "optimizer", "adam"), (first, "lr", 0.05))
    no_exception(at)
    assert rows_data(at)["applied"] == 2
    assert url(at, "run")[0] == "adam:lr=0.05" and labels(at)[0] == "Adam lr=0.05"
    assert row_data(at, first)["lr"]["value"] == 0.05
    other = open_app()
    first = other.session_state["run_ids"][0]
    edit_runs(other, (first, "lr", 0.05), (first, "optimizer", "adam"))
    no_exception(other)
    assert other.session_state[f"run{first}.sgd.lr"] == 0.05 and url(other, "run")[0] == "adam:lr=0.1"


def test_schedule_noise_and_field_controls():
    at = open_app()
    at.selectbox(key="schedule@en").set_value("inverse_time").run()
    at.number_input(key="decay_k").set_value(0.5).run()
    at.number_input(key="noise").set_value(0.5).run()
    at.toggle(key="field").set_value(True).run()
    no_exception(at)
    assert any(t.get("name") == "−∇f" for t in chart(at)["chart"]["data"])
    assert url(at, "schedule") == ["inverse_time"] and url(at, "noise") == ["0.5"]


def test_update_rules_tab_shows_each_convention():
    at = open_app({"run": ["adam:lr=0.3,eps_placement=inside", "nesterov:lr=0.1,form=reformulated"]})
    at.session_state["view"] = "Update rules"
    at.run()
    no_exception(at)
    formulas = [e.value for e in at.latex]
    assert any(r"\sqrt{\hat v+\epsilon}" in f for f in formulas)
    assert any(r"(1+\mu)\, v" in f for f in formulas)
    captions = " ".join(c.value for c in at.caption)
    assert "eps inside the square root" in captions and "reformulated form" in captions


def test_the_3d_tab_draws_the_surface():
    at = open_app()
    at.session_state["view"] = "3-D surface"
    at.run()
    no_exception(at)
    figures = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    assert [f["data"][0]["type"] for f in figures] == ["surface"]


def test_the_stability_cue_names_the_largest_stable_learning_rate():
    at = open_app()
    cue = next(c.value for c in at.caption if c.value.startswith("Curvature at the start"))
    # the bowl's Hessian is diag(1/10, 2): κ = 20 and 2/λmax = 1
    assert "eigenvalues 0.1, 2" in cue and "κ = 20" in cue and "2/λmax = 1 " in cue


def test_nesterovs_cue_gives_its_own_limit_and_one_click_sets_it():
    """On the bowl (λmax = 2) with μ = 0.9, Nesterov converges only for lr < 2(1 + μ)/((1 + 2μ)λmax) =
    3.8/5.6 = 0.67857 (by hand; test_rules runs it): "largest stable" is the slider's 0.67 and the "edge of
    stability" 0.678 (three digits, rounded down)."""
    at = open_app({"run": "nesterov:lr=0.1,mu=0.9"})
    run_id = at.session_state["run_ids"][0]
    row = row_data(at, run_id)
    assert "2(1+μ)/((1+2μ)λmax) = 0.679" in row["stability"]["text"]  # the stability text, under the row's "⋯"
    assert (row["cue"]["stable"], row["cue"]["edge"], row["cue"]["past"]) == (0.67, 0.678, False)
    edit_runs(at, (run_id, "lr", row["cue"]["stable"]))  # a click on "stable"
    no_exception(at)
    assert at.session_state[f"run{run_id}.nesterov.lr"] == 0.67 and url(at, "run")[0] == "nesterov:lr=0.67"
    edit_runs(at, (run_id, "lr", row_data(at, run_id)["cue"]["edge"]))  # a click on "edge"
    no_exception(at)
    assert at.session_state[f"run{run_id}.nesterov.lr"] == 0.678 and url(at, "run")[0] == "nesterov:lr=0.678"
    row = row_data(at, run_id)
    assert row["lr"]["value"] == 0.678 and not row["cue"]["past"]  # 0.678 < 0.67857: still stable
    assert not row["stability"]["warning"] and "⚠" not in row["stability"]["text"]


def test_the_lr_control_warns_past_two_over_lambda_max():
    at = open_app()
    run_of = {at.session_state[f"run{r}.optimizer"]: r for r in at.session_state["run_ids"]}
    edit_runs(at, (run_of["sgd"], "lr", 1.5))
    no_exception(at)
    sgd, momentum = row_data(at, run_of["sgd"]), row_data(at, run_of["momentum"])  # the texts under each "⋯"
    # the bowl's λmax = 2: SGD is unstable past 2/λmax = 1; Momentum (μ = 0.9) past 2·1.9/2 = 1.9
    assert sgd["stability"]["text"].startswith("⚠ lr = 1.5 > 2/λmax = 1 at the start") and sgd["stability"]["warning"]
    assert sgd["cue"]["past"] and sgd["cue"]["stable_help"].startswith("⚠ lr = 1.5 > 2/λmax = 1 at the start")
    assert momentum["stability"] == {"text": "2/λmax at the start = 1; 2(1+μ)/λmax = 1.9", "warning": False}
    assert not momentum["cue"]["past"]


def test_a_typed_formula_becomes_the_surface():
    at = open_app()
    at.selectbox(key="surface@en").set_value(page_model.FORMULA).run()
    no_exception(at)
    assert url(at, "formula") == [page_model.FORMULA_EXAMPLE]
    at.text_input(key="formula_text").set_value("(1-x)**2 + 100*(y-x**2)**2").run()
    no_exception(at)
    assert shown(at.markdown[0].value) == "### (1 - x)**2 + 100*(y - x**2)**2"
    # the typed Rosenbrock on the default domain gives the same loss as the catalogue's, independently coded
    rosen = surfaces.get("rosenbrock")
    sgd = path_of_first_run(chart(at))
    np.testing.assert_allclose(sgd[0], [at.session_state["start_x"], at.session_state["start_y"]], rtol=1e-6)
    assert url(at, "surface") == [page_model.FORMULA] and url(at, "x_range") == ["-5.0,5.0"]
    assert rosen.f(sgd[0]) > 0


def test_a_refused_formula_keeps_the_previous_surface():
    at = open_app({"surface": page_model.FORMULA, "formula": "x**2 + y**2"})
    before = chart(at)
    at.text_input(key="formula_text").set_value("__import__('os').system('ls')").run()
    assert not at.exception
    [message] = [shown(e.value) for e in at.error]
    assert "__import__('os').system" in message and "column 1" in message and "previous surface stays" in message
    assert chart(at) == before and url(at, "formula") == ["x**2 + y**2"]
    at.number_input(key="formula_x_lo").set_value(9.0).run()  # from 9 to 5: not a range
    assert any("x range = (9, 5) is not valid" in shown(e.value) for e in at.error)
    assert chart(at) == before


def test_a_formula_survives_the_url_and_a_bad_one_warns():
    query = {"surface": page_model.FORMULA, "formula": "log(x) + y**2", "x_range": "-2,3", "y_range": "-2,2",
             "start": "0.5,1", "run": "sgd:lr=1.0"}
    at = open_app(query)
    no_exception(at)
    assert not at.warning
    # SGD from (0.5, 1) at lr 1 jumps to x = 0.5 − 1/0.5 < 0, where log is undefined: diverged, not NaN
    assert "⚠ diverged at step 1" in table(at)
    again = open_app({k: at.query_params[k] for k in at.query_params})
    assert chart(again) == chart(at)
    bad = open_app({"surface": page_model.FORMULA, "formula": "os.system('ls')"})
    no_exception(bad)
    assert any("formula=\"os.system('ls')\"" in shown(w.value) and "using the default surface" in shown(w.value)
               for w in bad.warning)
    assert shown(bad.markdown[0].value) == "### Elongated bowl"


def test_projector_mode_enlarges_the_figure_and_travels_in_the_url():
    at = open_app()
    at.toggle(key="projector").set_value(True).run()
    no_exception(at)
    data = chart(at)
    assert data["projector"] and data["font_size"] == 20 and data["line_width"] == 4.0  # screen: 14 and 2.5
    assert url(at, "projector") == ["1"]
    assert any("font-size: 20px" in h.proto.body for h in at.get("html"))


def test_export_buttons_are_offered():
    at = open_export(open_app())
    no_exception(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Interactive HTML", "Animated GIF", "MP4 video", "PNG image", "CSV", "JSON"]


EXPORT_LABELS = ["Interactive HTML", "Animated GIF", "MP4 video", "PNG image", "CSV", "JSON"]


def test_export_draws_its_buttons_only_while_open():
    """Export is a lazy popover: closed, none of its elements is sent (they cost every rerun); opened, the
    picture size and the six downloads, one below the other, in this order."""
    at = open_app()
    no_exception(at)
    [export] = [p for p in at.get("popover") if p.proto.popover.label == "Export"]
    assert not export.proto.popover.open
    assert at.get("download_button") == [] and "export_size" not in [s.key for s in at.selectbox]
    open_export(at)
    no_exception(at)
    [export] = [p for p in at.get("popover") if p.proto.popover.label == "Export"]
    assert export.proto.popover.open
    assert [b.proto.label for b in export.get("download_button")] == EXPORT_LABELS
    assert [b.key for b in export.get("download_button")] == [
        f"export_{ext}" for ext in ("html", "gif", "mp4", "png", "csv", "json")]
    assert "export_size" in [s.key for s in export.selectbox]
    close_export(at)
    assert at.get("download_button") == [] and "export_size" not in [s.key for s in at.selectbox]


def test_the_picture_size_chosen_in_export_survives_closing_it():
    at = open_export(open_app())
    at.selectbox(key="export_size").set_value("1920×1080").run()
    close_export(at)
    at.run()
    open_export(at)
    assert at.selectbox(key="export_size").value == "1920×1080"


# --- a lesson never breaks (language switches, display settings, user text, runs) ---------------------


def choice_key(at, key: str) -> str:
    """The widget key of a choice box in the page's current language and revision (ui/widgets.py)."""
    revision = at.session_state[f"{key}@revision"] if f"{key}@revision" in at.session_state else 0
    return f"{key}@{at.session_state['lang']}" + (f"#{revision}" if revision else "")


def send_label(at, key: str, label: str) -> AppTest:
    """Rerun with the choice box ``key`` sending ``label`` as its value, exactly as a browser does
    (Streamlit's wire value is the label), whether or not the box offers that label now."""
    box = at.selectbox(key=key)
    state = WidgetState(id=box.id, string_value=label)
    box.__class__ = type("SentLabel", (type(box),), {"_widget_state": property(lambda self: state)})
    return at.run()


def test_switching_the_language_then_touching_any_widget_never_breaks():
    at = open_app()
    for lang, other in (("zh", "en"), ("en", "zh"), ("zh", "en")):
        at.selectbox(key="lang").set_value(lang).run()
        no_exception(at)
        # The browser still holds each choice box's label in the other language and may send it back.
        stale = {"surface": i18n.surface_name("bowl", "Elongated bowl", other),
                 "preset": i18n.t(page_model.PRESETS["book"].title, other), "schedule": i18n.t("constant", other)}
        for key, label in stale.items():
            send_label(at, choice_key(at, key), label)
            no_exception(at)
        assert (at.session_state["surface"], at.session_state["preset"], at.session_state["schedule"]) == (
            "bowl", "book", "constant")
        first = at.session_state["run_ids"][0]
        at.number_input(key="steps").set_value(40).run()
        edit_runs(at, (first, "lr", 0.5))
        no_exception(at)
        assert at.session_state[f"run{first}.sgd.lr"] == 0.5
        at.toggle(key="field").set_value(True).run()
        at.selectbox(key=choice_key(at, "surface")).set_value("himmelblau").run()
        at.selectbox(key=choice_key(at, "preset")).set_value("book").run()
        for view in ("Explore", "3-D surface", "Update rules", "Paths"):
            at.session_state["view"] = i18n.t(view, lang)
            at.run()
            no_exception(at)
        assert at.session_state["surface"] == "bowl" and at.session_state["lang"] == lang
        assert ("lang" in at.query_params) == (lang == "zh")


def test_a_preset_a_surface_and_a_reset_keep_projector_mode_and_the_language():
    at = open_app({"projector": "1", "lang": "zh"})
    at.selectbox(key=choice_key(at, "preset")).set_value("rosenbrock").run()
    assert at.session_state["projector"] and at.session_state["lang"] == "zh"
    assert url(at, "projector") == ["1"] and url(at, "lang") == ["zh"] and url(at, "surface") == ["rosenbrock"]
    at.selectbox(key=choice_key(at, "surface")).set_value("beale").run()
    at.button(key="reset_runs").click().run()
    no_exception(at)
    assert at.session_state["projector"] and url(at, "projector") == ["1"] and url(at, "lang") == ["zh"]
    assert [r.split(":")[0] for r in url(at, "run")] == ["sgd", "momentum", "nesterov", "adam", "newton"]


def test_the_preset_box_says_your_own_scene_once_the_scene_differs():
    at = open_app()
    assert at.session_state["preset"] == "book"
    at.selectbox(key=choice_key(at, "surface")).set_value("saddle").run()
    assert at.session_state["preset"] == "custom"
    assert "Your own scene" in " ".join(c.value for c in at.sidebar.caption)
    assert "SGD zig-zags" not in " ".join(c.value for c in at.sidebar.caption)
    at.selectbox(key=choice_key(at, "preset")).set_value("saddle").run()
    assert at.session_state["preset"] == "saddle"
    at.session_state["paths_chart"] = {"selection": {"points": [{"curve_number": 0, "x": 0.5, "y": -0.5}]}}
    at.run()  # a click on the chart: a new start
    at.number_input(key="start_x").set_value(0.5).run()
    assert at.session_state["preset"] == "custom"
    at.selectbox(key=choice_key(at, "preset")).set_value("book").run()
    at.toggle(key="projector").set_value(True).run()  # a display setting: still the book's scene
    assert at.session_state["preset"] == "book"


def test_user_and_url_text_is_shown_literally():
    markdown_it = pytest.importorskip("markdown_it")
    at = open_app()
    at.selectbox(key=choice_key(at, "surface")).set_value(page_model.FORMULA).run()
    at.text_input(key="formula_text").set_value("sin(x)*cos(y) + 0.1*(x**2+y**2)").run()
    heading = markdown_it.MarkdownIt("commonmark").render(at.markdown[0].value)
    assert heading == "<h3>sin(x)*cos(y) + 0.1*(x**2 + y**2)</h3>\n"  # no <em>: the stars are shown
    at.text_input(key="formula_text").set_value("__import__('os')").run()
    rendered = markdown_it.MarkdownIt("commonmark").render(at.error[0].value)
    assert "<strong>" not in rendered and "__import__" in rendered
    link = open_app({"steps": "[x](http://e.com) :red[a] $x^2$", "seed": "![i](http://e.com/a.png) <b>b</b>"})
    rendered = "".join(markdown_it.MarkdownIt("gfm-like").render(w.value) for w in link.warning)
    assert "<a " not in rendered  # GFM's linkify too: a bare http:// stays text
    rendered = rendered.replace("\u2060", "")
    assert "<a " not in rendered and "<img" not in rendered and "<b>" not in rendered
    for text in ("[x](http://e.com)", ":red[a]", "$x^2$", "![i](http://e.com/a.png)", "&lt;b&gt;b&lt;/b&gt;"):
        assert text in rendered


def _page_with_a_failing_callback():
    import streamlit as st

    from ui import widgets

    def fails():
        raise RuntimeError("/srv/app/secret.py, line 3")

    def refuses():
        raise ValueError("steps = 0 is not valid: give a whole number from 1 to 3000")

    st.button("fails", key="fails", on_click=widgets.safe(fails))
    st.button("refuses", key="refuses", on_click=widgets.safe(refuses))
    error = st.session_state.pop("callback_error", None)
    if error is not None:
        st.error(widgets.literal(str(error)))


def test_a_failing_callback_is_a_sentence_not_a_traceback():
    at = AppTest.from_function(_page_with_a_failing_callback).run()
    at.button(key="fails").click().run()
    assert not at.exception
    assert shown(at.error[0].value) == "an unexpected RuntimeError"  # no path, no traceback
    at.button(key="refuses").click().run()
    assert shown(at.error[0].value) == "steps = 0 is not valid: give a whole number from 1 to 3000"
    at.run()
    assert not at.error  # said once


def test_the_page_hides_tracebacks_and_the_developer_menu():
    import tomllib

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["toolbarMode"] == "viewer"


def test_a_run_keeps_its_colour_and_every_optimizer_has_one():
    at = open_app()

    def colours():
        return dict(legend(at))

    before = colours()
    assert before["Adam lr=0.3"] == styles.OPTIMIZER_COLOURS["adam"]
    second = at.session_state["run_ids"][1]
    edit_runs(at, (second, "remove", None))
    after = colours()
    assert "Momentum lr=0.1" not in after and all(after[name] == before[name] for name in after)
    at.selectbox(key=choice_key(at, "preset")).set_value("beale").run()
    assert colours()["Adam lr=0.05"] == styles.OPTIMIZER_COLOURS["adam"]  # Adam is pink in every preset
    rows = rows_data(at)["rows"]
    assert [row["id"] for row in rows] == at.session_state["run_ids"]
    assert [row["colour"] for row in rows] == list(colours().values())  # each run row's badge


def row_title(at, run_id) -> str:
    """What a run's row calls it (its "⋯" and the title of its rarer settings, ui/run_rows.py): "Run n: optimizer"."""
    return row_data(at, run_id)["title"]


def test_a_new_run_is_visibly_different():
    at = open_app({"run": [f"sgd:lr={0.1 * (k + 1):.1f}" for k in range(5)]})
    at.button(key="add_run").click().run()
    last = at.session_state["run_ids"][-1]
    assert row_title(at, last) == "Run 6: SGD"
    (second_last, colour_before), (last_label, colour) = legend(at)[-2:]
    assert last_label == "SGD lr=0.25" and second_last == "SGD lr=0.5" and colour != colour_before
    assert row_data(at, last)["colour"] == colour != row_data(at, at.session_state["run_ids"][-2])["colour"]
    edit_runs(at, (last, "optimizer", "adam"))
    no_exception(at)
    assert row_title(at, last) == "Run 6: Adam"
    assert legend(at)[-1][1] == row_data(at, last)["colour"] == styles.OPTIMIZER_COLOURS["adam"]


def test_the_summary_table_scrolls_on_a_narrow_screen():
    at = open_app()
    assert "overflow-x:auto" in table(at)


def test_a_surface_undefined_on_half_its_domain_says_so():
    at = open_app({"surface": page_model.FORMULA, "formula": "log(x)"})
    no_exception(at)
    # log(x) on [-5, 5]²: undefined for x <= 0, 41 of the 81 grid columns (x = -5 … 0)
    assert any("not defined on about 51%" in info.value for info in at.info), [i.value for i in at.info]
    assert not open_app().info


def test_a_preset_box_the_page_changed_ignores_its_old_value_from_the_browser():
    """A slider move makes the scene "your own"; a browser that has not heard of that yet sends the
    preset box's old value with the next rerun.  That must not reload the preset over the move."""
    at = open_app()
    first = at.session_state["run_ids"][0]
    old_box = choice_key(at, "preset")
    stale = at.selectbox(key=old_box)._widget_state  # what the browser's preset box holds: the book's title
    edit_runs(at, (first, "lr", 0.5))
    assert at.session_state["preset"] == "custom" and choice_key(at, "preset") != old_box
    edit_runs(at, (first, "lr", 0.4), also=[stale])  # the old box's value comes with it
    no_exception(at)
    assert at.session_state["preset"] == "custom"
    assert any(r.startswith("sgd:lr=0.4") for r in url(at, "run"))


def test_the_widget_helpers_doctests():
    import doctest

    from ui import widgets

    assert doctest.testmod(widgets).failed == 0


# --- a rerun computes each thing once (issue 9, item 4) ----------------------------------------------------


def test_a_slider_change_builds_the_surface_once_and_runs_only_the_changed_run(monkeypatch):
    """One lr change: the scene's surface is built once, only the run whose lr changed is run, with its slider's two
    neighbours (the other paths are unchanged and kept; a move of one place finds the run already computed as a
    neighbour), the curvature at the (unchanged) start is not taken again, and each run's path curvature (the
    paths figure's hover) once.  Before: 21 surface look-ups (7 builds of the
    scene's surface), 4 runs, 6 Hessians; and the 3-D tab ran every run again."""
    import collections

    import streamlit as st

    import optim_core
    from optim_core import analysis

    calls = collections.Counter()

    def counted(name, function):
        def counting(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return counting

    st.cache_data.clear()
    st.cache_resource.clear()
    at = open_app()
    first = at.session_state["run_ids"][0]
    runs = len(at.session_state["run_ids"])
    for module, name in ((surfaces, "get"), (surfaces, "from_formula"), (optim_core, "run"),
                         (analysis, "hessian_info")):
        monkeypatch.setattr(module, name, counted(name, getattr(module, name)))
    edit_runs(at, (first, "lr", 0.47))
    no_exception(at)
    assert any(r.startswith("sgd:lr=0.47") for r in url(at, "run"))
    assert calls["get"] + calls["from_formula"] == 1
    assert calls["run"] == 3  # the run, and its slider's neighbours 0.46 and 0.48 (the stage's previews)
    assert calls["hessian_info"] == runs  # one per path drawn; none at the start, which did not move
    calls.clear()
    edit_runs(at, (first, "lr", 0.48))  # one place up: the run was a preview, 0.47 the run before; only 0.49 is new
    no_exception(at)
    assert (calls["run"], calls["get"] + calls["from_formula"]) == (1, 1), calls
    calls.clear()
    at.session_state["view"] = "3-D surface"
    at.run()  # the 3-D tab draws the paths the view already has
    no_exception(at)
    assert calls["run"] == 0 and calls["get"] + calls["from_formula"] == 1 and calls["hessian_info"] == 0


def test_a_click_on_the_surface_moves_the_start():
    """The stage sends a click on the surface as a trigger {x, y}; nonsense from the browser changes nothing."""
    for lang in ("en", "zh"):
        at = open_app({"lang": lang} if lang != "en" else None)
        stage_event(at, click={"x": "nan", "y": 0.5})
        stage_event(at, click={"y": 0.5})
        assert (at.session_state["start_x"], at.session_state["start_y"]) == (-7.0, 2.0)
        stage_event(at, click={"x": 1.5, "y": 0.5})
        no_exception(at)
        assert (at.session_state["start_x"], at.session_state["start_y"]) == (1.5, 0.5)
        assert url(at, "start") == ["1.5,0.5"]
        np.testing.assert_allclose(path_of_first_run(chart(at))[0], [1.5, 0.5])


def test_playback_settings_travel_in_the_url_and_bad_ones_warn():
    at = open_app()
    assert chart(at)["settings"] == {"speed": "auto", "hide": True, "arrows": False}
    assert "speed" not in at.query_params and "hide" not in at.query_params
    stage_event(at, settings={"speed": 2, "hide": False, "arrows": True})
    no_exception(at)
    assert (url(at, "speed"), url(at, "hide"), url(at, "arrows")) == (["2"], ["0"], ["1"])
    data = chart(at)
    assert data["settings"] == {"speed": 2.0, "hide": False, "arrows": True}
    assert all(run["parts"] for run in data["runs"])  # the arrows: every run's parts, from its rule
    again = open_app({key: at.query_params[key] for key in at.query_params})
    assert chart(again)["settings"] == data["settings"] and not again.warning
    bad = open_app({"speed": "9999", "hide": "maybe"})
    no_exception(bad)
    warnings = shown(" ".join(w.value for w in bad.warning))
    assert "speed='9999'" in warnings and "0.5 … 1000" in warnings and "hide='maybe'" in warnings
    assert chart(bad)["settings"] == {"speed": "auto", "hide": True, "arrows": False}


def test_the_summary_counts_evaluations_so_bfgs_is_compared_fairly():
    """Adam takes one gradient a point and never evaluates f: 30 updates from the start are 0 / 31.  BFGS's
    Wolfe search evaluates f at every trial, so it shows more f evaluations than steps taken."""
    at = open_app({"surface": "rosenbrock", "run": ["adam:lr=0.1", "bfgs:lr=1"], "steps": "30"})
    no_exception(at)
    rows = [shown(row) for row in table(at).split("<tr>")[2:]]
    assert "<td>0 / 31</td>" in rows[0]
    bfgs_counts = re.search(r"<td>(\d+) / (\d+)</td>", rows[1]).groups()
    stopped_at = int(re.search(r"(?:converged at step|ran all) (\d+)", rows[1]).group(1))
    assert int(bfgs_counts[0]) > stopped_at and int(bfgs_counts[1]) >= stopped_at


def test_a_long_update_rule_is_broken_into_lines_at_its_gaps():
    at = open_app({"run": ["bfgs:lr=1", "sgd:lr=0.1"]})
    at.session_state["view"] = "Update rules"
    at.run()
    no_exception(at)
    _, bfgs, sgd = (e.value.strip("$\n") for e in at.latex)  # the surface's formula comes first
    assert bfgs.startswith(r"\begin{gathered}") and bfgs.count(r" \\ ") == 1  # the update, then the search
    assert sgd == r"x \leftarrow x - \eta\, g"  # a short one stays as it is


def test_after_a_surface_switch_the_basin_map_is_not_all_diverged():
    """With the book's SGD at lr 0.95, every start of Himmelblau's basin map diverged (6400 of 6400): nothing to
    see.  After the switch SGD's learning rate suits the surface and the map finds minima."""
    at = open_app()
    at.selectbox(key="surface@en").set_value("himmelblau").run()
    at.session_state["view"], at.session_state["explore_section"] = "Explore", "Basins"
    at.run()
    at.select_slider(key="basins_resolution").set_value(30).run()
    no_exception(at)
    found = next(c.value for c in at.caption if c.value.startswith("Reached"))
    assert int(found.split()[1]) >= 2


def test_the_open_tab_and_explore_view_travel_in_the_url():
    at = open_app({"view": "explore", "explore": "line_search", "run": "sgd:lr=2,line_search=armijo"})
    no_exception(at)
    assert at.session_state["view"] == "Explore" and at.session_state["explore_section"] == "Line search"
    assert url(at, "view") == ["explore"] and url(at, "explore") == ["line_search"]
    assert any(e.proto.spec and "step length" in e.proto.spec for e in at.get("plotly_chart"))
    at.session_state["view"] = "Update rules"
    at.run()
    assert url(at, "view") == ["update_rules"] and "explore" not in at.query_params
    at.session_state["view"] = "Paths"
    at.run()
    assert "view" not in at.query_params  # the first tab needs no word in the link
    bad = open_app({"view": "nowhere", "explore": "sweep"})
    assert any("view='nowhere' is not one of paths, explore, 3_d_surface, update_rules" in shown(w.value)
               for w in bad.warning)
    assert bad.session_state.get("view") in (None, "Paths")
