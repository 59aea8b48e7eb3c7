"""A new rule is one definition: a toy rule, defined and registered here and nowhere else, appears on
the page with its sliders, its equation and intuition, its step taken apart and a sweep over its
hyperparameters (issue 9: "one place per rule")."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import optim_core
import surfaces
from optim_core.rules._base import HyperSpec, Rule, lr
from optim_core.rules.plain import stateless_init

APP = str(Path(__file__).resolve().parents[1] / "app.py")


# --- the toy rule: everything about it is in these lines ------------------------------------------


def clipped_update(g, state, x, t, hp, hessian=None, explain=None):
    """Clipped gradient descent: x ← x − lr·clip(g, −c, c), as two parts: the plain gradient step
    −lr·g and what clipping takes back from it, −lr·(clip(g) − g)."""
    rate, threshold = hp["lr"], hp["clip"]
    clipped = np.clip(g, -threshold, threshold)
    plain, taken_back = -rate * g, -rate * (clipped - g)
    if explain is not None:
        explain.term("clipped", r"\operatorname{clip}(g_k, -c, c)", clipped)
        explain.part("gradient", r"-\eta\, g_k", plain)
        explain.part("clipping", r"-\eta\,(\operatorname{clip}(g_k) - g_k)", taken_back)
    return plain + taken_back, state, rate


CLIPPED = Rule(
    "clipped", "Clipped SGD", stateless_init, clipped_update,
    (lr(0.3), HyperSpec("clip", 0.5, 0.0, math.inf, False, False, (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0), True,
                        (0.05, 5.0), label="clip threshold c", help="largest |g| per coordinate")),
    latex=lambda hp: r"x \leftarrow x - \eta\, \operatorname{clip}(g, -c, c)",
    intuition="Gradient descent whose step is capped in every coordinate, so a steep wall cannot throw it far.",
    reference="a toy rule of the test suite",
)


@pytest.fixture
def toy_rule(monkeypatch):
    monkeypatch.setitem(optim_core.RULES, CLIPPED.name, CLIPPED)
    st.cache_data.clear()
    yield CLIPPED
    st.cache_data.clear()


def open_page(view=None, section=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["run"] = ["clipped:lr=0.3,clip=0.5", "sgd:lr=0.1"]
    at.run()
    if view:
        at.session_state["view"] = view
    if section:
        at.session_state["explore_section"] = section
    return at.run() if view else at


def test_the_toy_rule_runs_by_hand(toy_rule):
    """On the bowl from (−7, 2), g₀ = (−0.7, 4): clipped to (−0.5, 0.5), so x₁ = (−7, 2) − 0.3·(−0.5, 0.5)
    = (−6.85, 1.85)."""
    tr = optim_core.run(surfaces.get("bowl"), optim_core.make("clipped"), start=(-7, 2), steps=1, tol=None)
    np.testing.assert_allclose(tr.xy[1], [-6.85, 1.85], rtol=0, atol=1e-12)


def rows(at):
    """The run rows' element (one components-v2 component, ui/run_rows.py)."""
    [element] = [e for e in at.get("bidi_component") if e.proto.component_name == "optimizer_paths_run_rows"]
    return element


def test_the_page_shows_its_sliders(toy_rule):
    """The toy rule's row has its lr slider and, as its main other hyperparameter, the clip threshold on the
    rule's own grid; moving it (as the row's JavaScript sends an edit) changes the run in the URL."""
    from streamlit.components.v2.bidi_component.main import _make_trigger_id

    at = open_page()
    assert not at.exception and not at.error
    data = json.loads(rows(at).proto.bytes)
    row = data["rows"][0]
    assert row["lr"]["label"] == "learning rate η (log scale)"
    clip = row["main"]
    assert clip["label"] == "clip threshold c (log scale)" and clip["value"] == 0.5
    assert data["grids"][clip["grid"]]["labels"] == ["0.05", "0.1", "0.2", "0.5", "1", "2", "5"]
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = _make_trigger_id(rows(at).proto.id, "events")
    edit = {"seq": data["applied"] + 1, "run": row["id"], "name": "clip", "value": 2.0}
    state.json_trigger_value = json.dumps([{"event": "edit", "value": {"edits": [edit]}}])
    at._run(states)
    assert not at.exception and "clipped:lr=0.3,clip=2.0" in at.query_params["run"]


def test_the_update_rules_tab_shows_its_equation_and_intuition(toy_rule):
    at = open_page("Update rules")
    assert not at.exception
    assert any(r"\operatorname{clip}(g, -c, c)" in e.value for e in at.latex)
    assert any("a steep wall cannot throw it far" in m.value for m in at.markdown)


def test_one_step_is_taken_apart_into_its_parts(toy_rule):
    at = open_page("Explore", "One step")
    at.selectbox(key="step_run").set_value(0).run()
    at.slider(key="step_k").set_value(1).run()
    assert not at.exception and not at.error
    text = next(m.value for m in at.markdown if m.value.startswith("**The parts add up**"))
    assert "(0.15, -0.15)" in text  # Δx₁ = −0.3·(−0.5, 0.5), by hand as above
    difference = float(text.rsplit("difference ", 1)[1].rstrip(").").rstrip(")"))
    assert difference <= 1e-12
    shown = json.dumps([t.value.to_dict() for t in at.table]) + " ".join(m.value for m in at.markdown)
    assert "operatorname{clip}(g_k) - g_k" in shown


def test_a_sweep_runs_over_its_hyperparameters(toy_rule):
    at = open_page("Explore", "Sweep")
    at.selectbox(key="sweep_run").set_value(0).run()
    assert not at.exception and not at.error
    [figure] = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    titles = (figure["layout"]["xaxis"]["title"]["text"], figure["layout"]["yaxis"]["title"]["text"])
    assert titles == ("learning rate η (log scale)", "clip threshold c (log scale)")
    assert any(trace["type"] == "heatmap" for trace in figure["data"])
