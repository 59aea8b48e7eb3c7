"""The Explore tab: sweeps with theory, basins, random search, one step; figures and page."""

import json
import math
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

import optim_core
import surfaces
from optim_core import analysis
from viz import explore as ex
from viz import figures as fg

APP = str(Path(__file__).resolve().parents[1] / "app.py")
BOWL = surfaces.get("bowl")


def explore(section, query=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.session_state["view"] = "Explore"
    at.session_state["explore_section"] = section
    return at.run()


def figures(at) -> list:
    return [json.loads(e.proto.spec) for e in at.get("plotly_chart")]


def test_momentum_sweep_figure_draws_the_theory_where_it_belongs():
    theory = analysis.quadratic_theory(BOWL)
    result = analysis.sweep(BOWL, "momentum", "lr", np.geomspace(1e-3, 3, 24), "mu", np.linspace(0, 0.98, 24),
                            steps=200, tol=1e-6)
    figure = ex.sweep_figure(result, theory=theory)
    go.Figure(figure)
    optimum = next(t for t in figure["data"] if t.get("name") == "theory optimum (lr*, μ*)")
    # the bowl: λ = 0.1, 2 → lr* = (2/(√0.1 + √2))² , μ* = ((√20 − 1)/(√20 + 1))² (hand formula)
    lr_star = (2 / (math.sqrt(0.1) + math.sqrt(2))) ** 2
    mu_star = ((math.sqrt(20) - 1) / (math.sqrt(20) + 1)) ** 2
    assert optimum["x"] == [pytest.approx(math.log10(lr_star))] and optimum["y"] == [pytest.approx(mu_star)]
    boundary = next(t for t in figure["data"] if t.get("name", "").startswith("stability boundary"))
    x, y = fg.decode(boundary["x"]), fg.decode(boundary["y"])
    np.testing.assert_allclose(10.0 ** x, 2 * (1 + y) / 2.0, rtol=1e-5)


def test_sweep_line_and_other_figures_are_valid_plotly():
    theory = analysis.quadratic_theory(BOWL)
    line = analysis.sweep(BOWL, "sgd", "lr", np.geomspace(1e-3, 3, 40), steps=300)
    go.Figure(ex.sweep_line_figure(line, theory=theory))
    himmelblau = surfaces.get("himmelblau")
    basin = analysis.basins(himmelblau, "sgd", {"lr": 0.01}, nx=30, ny=30, steps=300)
    go.Figure(ex.basins_figure(basin, himmelblau, fg.background(himmelblau, width=200)))
    ranges = {"lr": (1e-4, 1.0, True)}
    coarse = analysis.random_search(BOWL, "sgd", ranges, 25, seed=0, steps=100)
    fine = analysis.random_search(BOWL, "sgd", analysis.refine(coarse), 25, seed=1, steps=100)
    grid = analysis.grid_search(BOWL, "sgd", ranges, 25, steps=100)
    go.Figure(ex.search_figure((coarse, fine), grid))
    step = analysis.step_breakdown(BOWL, optim_core.make("nesterov"), start=(-7, 2), k=3)
    tr = optim_core.run(BOWL, optim_core.make("nesterov"), start=(-7, 2), steps=3, tol=None)
    go.Figure(ex.step_figure(step, BOWL, fg.background(BOWL, width=200), tr.xy, fg.PALETTE[0]))


def test_the_sweep_section_runs_a_1d_sweep_for_sgd():
    at = explore("Sweep")
    assert not at.exception and not at.error
    [figure] = figures(at)
    assert figure["layout"]["yaxis"]["title"].startswith("steps to")
    assert any("Theory on this quadratic" in m.value for m in at.markdown)


def test_the_sweep_section_draws_a_momentum_heatmap_with_theory():
    at = explore("Sweep")
    at.selectbox(key="sweep_run").set_value(1).run()  # Momentum lr=0.1
    assert not at.exception and not at.error
    [figure] = figures(at)
    assert figure["data"][2]["type"] == "heatmap"
    names = [t.get("name") for t in figure["data"]]
    assert "theory optimum (lr*, μ*)" in names and "theory: predicted steps to tol" in names
    caption = next(c.value for c in at.caption if "settings reached the tolerance" in c.value)
    assert "best cell: lr =" in caption


def test_a_bad_sweep_range_is_a_message_not_a_traceback():
    at = explore("Sweep")
    at.number_input(key="sweep.lr.lo").set_value(5.0).run()
    at.number_input(key="sweep.lr.hi").set_value(1.0).run()
    assert not at.exception
    assert any("'from' must be below 'to'" in e.value for e in at.error)


def test_basins_on_himmelblau_find_all_four_minima():
    at = explore("Basins", {"surface": "himmelblau", "start": "0,0", "run": "sgd:lr=0.01"})
    at.select_slider(key="basins_resolution").set_value(50).run()
    assert not at.exception and not at.error
    assert any(c.value == "Reached 4 of the 4 listed minima." for c in at.caption)


def test_random_search_warns_when_the_best_is_on_the_edge():
    at = explore("Random search", {"run": "sgd:lr=0.1"})
    at.slider(key="search_lr").set_value((-6.0, -4.0)).run()  # on the bowl a larger lr is always better here
    assert not at.exception and not at.error
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("Coarse stage: best lr =") and "upper edge" in w for w in warnings)


def test_random_search_tries_more_distinct_values_than_a_grid():
    at = explore("Random search", {"run": "momentum:lr=0.1,mu=0.9"})  # samples lr and mu: 49 runs
    assert not at.exception and not at.error
    caption = next(c.value for c in at.caption if c.value.startswith("Distinct values tried"))
    assert "lr: 49 vs 7" in caption and "mu: 49 vs 7" in caption
    # lr = 10**uniform(-6, 1) brackets the bowl's best lr well inside the range
    assert not any(w.value.startswith("Coarse stage: best lr") for w in at.warning)


def test_random_search_adds_the_best_as_a_run():
    at = explore("Random search", {"run": "sgd:lr=0.1"})
    at.button(key="search_add_best").click().run()
    assert not at.exception and len(at.session_state["run_ids"]) == 2
    assert any(m.value.startswith("Added SGD lr=") for m in at.success)


def test_one_step_taken_apart_adds_up():
    at = explore("One step", {"run": "momentum:lr=0.1,mu=0.9"})
    at.slider(key="step_k").set_value(2).run()
    assert not at.exception and not at.error
    text = next(m.value for m in at.markdown if m.value.startswith("**The parts add up**"))
    # update 2 of the book's Momentum from (−7, 2): Δx = 0.9·(0.07, −0.4) − 0.1·(−0.693, 3.2)
    assert "(0.1323, -0.68)" in text
    difference = float(text.rsplit("difference ", 1)[1].rstrip(").").rstrip(")"))
    assert difference <= 1e-12
