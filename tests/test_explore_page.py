"""The Explore tab as a page (AppTest): a click on a sweep, the words beside it.

AppTest cannot click a Plotly chart, so ``select`` sends what the browser sends after a click: the
chart's selection event, as the chart's widget state, in the next rerun.  The points are made as
plotly.js reports them (Streamlit passes on ``curve_number``, ``point_index``, ``x``, ``y`` and
``customdata``), with the curve number of the trace the figure marks as clickable
(``viz.explore.click_curve``), never a bare index.
"""

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from viz import explore as ex
from viz import figures as fg
from viz import styles

from test_app import row_data
from test_explore import explore  # the page opened on an Explore section


def sweep_chart(at: AppTest):
    [chart] = [e for e in at.get("plotly_chart") if e.proto.id.endswith("sweep_chart")]
    return chart, json.loads(chart.proto.spec)


def point(figure: dict, curve: int, index: int) -> dict:
    """A point of trace ``curve`` as Streamlit reports a clicked one."""
    trace = figure["data"][curve]
    reported = {"curve_number": curve, "point_number": index, "point_index": index,
                "x": float(fg.decode(trace["x"])[index]), "y": float(fg.decode(trace["y"])[index])}
    if isinstance(trace.get("customdata"), list):
        reported["customdata"] = trace["customdata"][index]
    return reported


def select(at: AppTest, points: list) -> AppTest:
    """Rerun with the sweep chart's selection event set to ``points`` (what a click in the browser does)."""
    chart, _ = sweep_chart(at)
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = chart.proto.id
    indices = [p["point_index"] for p in points]
    state.string_value = json.dumps({"selection": {"points": points, "point_indices": indices, "box": [], "lasso": []}})
    return at._run(states)


def test_clicking_a_point_of_the_1d_sweep_adds_that_run():
    at = explore("Sweep", {"run": "sgd:lr=0.1"})
    assert not at.exception and not at.error
    _, figure = sweep_chart(at)
    curve = ex.click_curve(figure)
    assert figure["data"][curve]["meta"] == "click"
    values = np.asarray(figure["data"][curve]["customdata"])
    index = int(np.argmin(np.abs(values - 0.5)))  # the setting nearest lr = 0.5
    at = select(at, [point(figure, curve, index)])
    assert not at.exception and not at.error
    expected = float(f"{values[index]:.2g}")
    assert [m.value for m in at.success] == [f"Added SGD lr={expected:g} to the Paths tab."]
    assert len(at.session_state["run_ids"]) == 2
    new = at.session_state["run_ids"][-1]
    assert at.session_state[f"run{new}.optimizer"] == "sgd"
    assert at.session_state[f"run{new}.sgd.lr"] == expected
    assert at.session_state[f"run{new}.variant"] == 1  # the second SGD run: SGD's next shade, not run 1's look
    row = row_data(at, new)  # its row above the tabs, ready to be changed
    assert (row["number"], row["optimizer"], row["lr"]["value"]) == (2, "sgd", expected)
    assert row["colour"] == styles.run_style("sgd", 1).colour != row_data(at, at.session_state["run_ids"][0])["colour"]


def test_a_click_on_a_point_of_another_trace_adds_nothing():
    at = explore("Sweep", {"run": "sgd:lr=0.1"})
    _, figure = sweep_chart(at)
    measured = next(i for i, trace in enumerate(figure["data"]) if trace["name"] == "measured")
    assert measured != ex.click_curve(figure)
    at = select(at, [point(figure, measured, 3)])
    assert not at.exception and not at.success and len(at.session_state["run_ids"]) == 1


def test_the_1d_sweep_says_point_and_the_heatmap_says_cell():
    at = explore("Sweep", {"run": "sgd:lr=0.1"})
    caption = next(c.value for c in at.caption if "settings reached the tolerance" in c.value)
    assert caption.endswith("Click a point to add that setting as a run.") and "best: lr =" in caption
    at = explore("Sweep", {"run": "momentum:lr=0.1,mu=0.9"})
    caption = next(c.value for c in at.caption if "settings reached the tolerance" in c.value)
    assert caption.endswith("Click a cell to add that setting as a run.") and "best cell: lr =" in caption


def test_clicking_a_cell_of_the_heatmap_adds_that_run():
    at = explore("Sweep", {"run": "momentum:lr=0.1,mu=0.9"})
    _, figure = sweep_chart(at)
    curve = ex.click_curve(figure)
    cells = figure["data"][curve]
    assert cells["name"] == "cells"
    setting = fg.decode(cells["customdata"])
    index = int(np.argmin(np.abs(np.log10(setting[:, 0] / 0.3)) + np.abs(setting[:, 1] - 0.5)))
    at = select(at, [point(figure, curve, index)])
    assert not at.exception and not at.error
    lr, mu = float(f"{setting[index, 0]:.2g}"), round(float(setting[index, 1]), 3)
    new = at.session_state["run_ids"][-1]
    assert at.session_state[f"run{new}.momentum.lr"] == lr
    assert at.session_state[f"run{new}.momentum.mu"] == pytest.approx(mu, abs=1e-3)
    row = row_data(at, new)
    assert (row["lr"]["value"], row["main"]["name"]) == (lr, "mu")
    assert row["main"]["value"] == at.session_state[f"run{new}.momentum.mu"]
    assert at.success[0].value.startswith("Added Momentum lr=")


def test_the_explore_plots_in_chinese_name_their_axes():
    at = explore("Sweep", {"run": "sgd:lr=0.1", "lang": "zh"})
    assert not at.exception
    _, figure = sweep_chart(at)
    assert figure["layout"]["xaxis"]["title"]["text"] == "学习率 η（对数刻度）"
    assert any(c.value.endswith("点击一个点，可把该设置添加为运行。") for c in at.caption)


def test_the_one_step_path_has_its_runs_colour():
    at = explore("One step", {"run": ["momentum:lr=0.1,mu=0.9", "sgd:lr=0.95"]})
    at.selectbox(key="step_run").set_value(1).run()
    assert not at.exception and not at.error
    [chart] = at.get("plotly_chart")
    path = json.loads(chart.proto.spec)["data"][0]
    assert path["line"]["color"] == styles.run_style("sgd").colour  # not the colour of position 1
