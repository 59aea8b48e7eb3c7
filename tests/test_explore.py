"""The Explore tab: sweeps with theory, basins, random search, one step; figures and page."""

import base64
import json
import math
import struct
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

import optim_core
import surfaces
from optim_core import analysis
from viz import explore as ex
from viz import equations
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
    go.Figure(ex.step_figure(step, BOWL, tr.xy, fg.PALETTE[0]))


def test_the_sweep_section_runs_a_1d_sweep_for_sgd():
    at = explore("Sweep")
    assert not at.exception and not at.error
    [figure] = figures(at)
    assert figure["layout"]["yaxis"]["title"]["text"].startswith("steps to")
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


# --- issue 8, items 7, 8 and 17 --------------------------------------------------------------------------


def _momentum_sweep_figure(lang="en"):
    result = analysis.sweep(BOWL, "momentum", "lr", np.geomspace(1e-3, 3, 16), "mu", np.linspace(0, 0.98, 16),
                            steps=200, tol=1e-6)
    return ex.sweep_figure(result, theory=analysis.quadratic_theory(BOWL), lang=lang)


def _sgd_line_figure(lang="en"):
    result = analysis.sweep(BOWL, "sgd", "lr", np.geomspace(1e-3, 3, 24), steps=300)
    return result, ex.sweep_line_figure(result, theory=analysis.quadratic_theory(BOWL), lang=lang)


def _luminance(colour: str) -> float:
    """WCAG relative luminance of "#rrggbb" (or "white", "black")."""
    colour = {"white": "#ffffff", "black": "#000000"}.get(colour, colour)
    channels = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(channels <= 0.03928, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def _legend_colours(trace) -> list:
    """The colours a trace's legend symbol is drawn in (marker fill and outline, line, contour lines)."""
    colours = []
    marker = trace.get("marker", {})
    if trace.get("type") == "contour":
        colours += [stop[1] for stop in trace["colorscale"]]
    elif "markers" in trace.get("mode", ""):
        open_symbol = str(marker.get("symbol", "")).endswith("-open")
        colours += [marker["color"]] if open_symbol or "line" not in marker else [marker["line"]["color"]]
    if "lines" in trace.get("mode", "") or trace.get("type") == "contour":
        colours += [trace.get("line", {}).get("color")] if trace.get("line", {}).get("color") else []
    return colours


def test_sweep_legend_symbols_show_on_a_white_legend_below_the_plot():
    figure = _momentum_sweep_figure()
    go.Figure(figure)
    shown = [trace for trace in figure["data"] if trace.get("showlegend", trace["type"] != "heatmap")]
    names = [trace["name"] for trace in shown]
    assert {"best cell", "stability boundary lr = 2(1+μ)/λmax", "theory: predicted steps to tol",
            "theory optimum (lr*, μ*)"} <= set(names)
    for trace in shown:
        colours = _legend_colours(trace)
        assert colours, trace["name"]
        # each symbol has a colour at contrast ≥ 3:1 against the white legend (white itself: 1:1)
        assert max((1.05 / (_luminance(c) + 0.05) for c in colours)) >= 3, (trace["name"], colours)
    # the legend sits under the x axis (Plotly's toolbar is at the top right), with room left for it
    legend, layout = figure["layout"]["legend"], figure["layout"]
    assert legend["y"] < 0 and legend["yanchor"] == "top" and layout["margin"]["b"] >= 90


def test_the_1d_sweep_and_the_search_keep_their_legends_and_labels_clear_of_the_toolbar():
    _, line = _sgd_line_figure()
    assert line["layout"]["legend"]["y"] < 0
    # the theory's labels are inside the plot's top, one row each, never in the top margin with the toolbar
    labels = line["layout"]["annotations"]
    assert len(labels) == 2 and all(a["yanchor"] == "top" and a["y"] == 1 for a in labels)
    assert len({a["yshift"] for a in labels}) == 2
    ranges = {"lr": (1e-4, 1.0, True)}
    coarse = analysis.random_search(BOWL, "sgd", ranges, 16, seed=0, steps=50)
    grid = analysis.grid_search(BOWL, "sgd", ranges, 16, steps=50)
    assert ex.search_figure((coarse, coarse), grid)["layout"]["legend"]["y"] < 0


def _titles(figure) -> dict:
    layout = figure["layout"]
    return {key: value.get("title", {}).get("text") if isinstance(value.get("title"), dict) else value.get("title")
            for key, value in layout.items() if key[:5] in ("xaxis", "yaxis") and key != "yaxis2"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_explore_plot_names_its_axes(lang):
    """Titles as {"text": ...}: plotly.js 3 ignores a plain string, so the axes showed none."""
    lr, mu = ("learning rate η (log scale)", "momentum μ") if lang == "en" else ("学习率 η（对数刻度）", "动量 μ")
    assert _titles(_momentum_sweep_figure(lang)) == {"xaxis": lr, "yaxis": mu}
    _, line = _sgd_line_figure(lang)
    titles = _titles(line)
    assert titles["xaxis"] == lr and titles["yaxis"]
    ranges = {"lr": (1e-4, 1.0, True)}
    coarse = analysis.random_search(BOWL, "sgd", ranges, 16, seed=0, steps=50)
    grid = analysis.grid_search(BOWL, "sgd", ranges, 16, steps=50)
    titles = _titles(ex.search_figure((coarse, coarse), grid, lang=lang))
    assert titles["xaxis"] == titles["xaxis2"] == lr and titles["yaxis"]
    himmelblau = surfaces.get("himmelblau")
    basin = analysis.basins(himmelblau, "sgd", {"lr": 0.01}, nx=20, ny=20, steps=100)
    titles = _titles(ex.basins_figure(basin, himmelblau, fg.background(himmelblau, width=100), lang=lang))
    assert titles == ({"xaxis": "start x", "yaxis": "start y"} if lang == "en" else {"xaxis": "起点 x", "yaxis": "起点 y"})
    assert _titles(_step_figure("momentum", lr=0.1, mu=0.9)) == {"xaxis": "x", "yaxis": "y"}
    assert equations.hyper_label(optim_core.hyper_spec("adamw", "weight_decay"), lang) == ("weight decay λ (log scale)" if lang == "en" else "权值衰减 λ（对数刻度）")


def test_every_setting_of_a_1d_sweep_is_a_point_to_click():
    result, figure = _sgd_line_figure()
    go.Figure(figure)
    curve = ex.click_curve(figure)
    click = figure["data"][curve]
    assert curve == len(figure["data"]) - 1  # drawn last: on top of the measured line, so it gets the hover
    assert click["customdata"] == pytest.approx(result.x_values.tolist())
    np.testing.assert_allclose(fg.decode(click["x"]), np.log10(result.x_values), rtol=1e-6)
    assert "click to add this setting as a run" in click["hovertemplate"]
    # diverged and never-reached settings are clickable too: drawn at the step budget
    y = fg.decode(click["y"])
    assert np.isfinite(y).all() and np.all(y[result.diverged] == result.steps)
    # the other traces leave the hover (and so the click) to it; a selection fades none of them
    for trace in figure["data"][:curve]:
        assert trace.get("hoverinfo") == "skip", trace["name"]
        if "markers" in trace.get("mode", ""):
            assert trace["unselected"]["marker"]["opacity"] == 1
    measured = next(trace for trace in figure["data"] if trace["name"] == "measured")
    assert measured["mode"] == "lines+markers"
    # the 2-D heatmap's cells are found the same way
    heatmap = _momentum_sweep_figure()
    curve = ex.click_curve(heatmap)
    assert heatmap["data"][curve]["name"] == "cells"
    # nothing drawn over the cells takes their hover (and click): not the best cell, not the theory's star
    assert [trace["name"] for i, trace in enumerate(heatmap["data"])
            if i != curve and trace.get("hoverinfo") != "skip"] == []


def _step_figure(optimizer, k=5, **hyper):
    opt = optim_core.make(optimizer, **hyper)
    trajectory = optim_core.run(BOWL, opt, start=(-7, 2), steps=k, tol=None, record_state=True)
    breakdown = analysis.trajectory_breakdown(BOWL, trajectory, k)
    return ex.step_figure(breakdown, BOWL, trajectory.xy, fg.PALETTE[0])


def _label_boxes(figure, side: float) -> list:
    """(text, centre, half-size) in pixels of the labels of the arrows, for a square plot of ``side`` px:
    the box from the text's length (0.55 em a character) and the font size, as drawn by Plotly."""
    layout = figure["layout"]
    (x0, x1), (y0, y1) = layout["xaxis"]["range"], layout["yaxis"]["range"]
    boxes = []
    for a in layout["annotations"]:
        if a.get("showarrow") or not a.get("text"):
            continue
        size = a["font"]["size"]
        centre = np.array([(a["x"] - x0) / (x1 - x0) * side + a.get("xshift", 0),
                           (a["y"] - y0) / (y1 - y0) * side + a.get("yshift", 0)])
        boxes.append((a["text"], centre, np.array([0.55 * size * len(a["text"]) / 2, 1.2 * size / 2])))
    return boxes


@pytest.mark.parametrize("optimizer, hyper", [("momentum", dict(lr=0.1, mu=0.9)), ("adam", dict(lr=0.3)),
                                              ("nesterov", dict(lr=0.1, mu=0.9)), ("sgd", dict(lr=0.95))])
def test_one_step_labels_keep_apart(optimizer, hyper):
    """The book's scene, update 5: "Δx, the step taken" and "momentum part" printed over each other."""
    figure = _step_figure(optimizer, **hyper)
    layout = figure["layout"]
    nominal = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    arrows = [a for a in layout["annotations"] if a.get("showarrow")]
    for side in (nominal, 0.85 * nominal):  # the plot is a little narrower in a narrow column
        boxes = _label_boxes(figure, side)
        assert len(boxes) == len(arrows) >= 2
        for i, (text, centre, half) in enumerate(boxes):
            assert np.all(np.abs(centre - side / 2) + half <= side / 2 + 1), (text, "outside the plot")
            for other, centre2, half2 in boxes[i + 1:]:
                apart = np.abs(centre - centre2) >= half + half2
                assert apart.any(), (text, other, side)


@pytest.mark.parametrize("optimizer, hyper", [("momentum", dict(lr=0.1, mu=0.9)), ("adam", dict(lr=0.3))])
def test_one_step_draws_the_surface_at_the_zooms_own_resolution(optimizer, hyper):
    figure = _step_figure(optimizer, **hyper)
    layout = figure["layout"]
    [image] = layout["images"]
    (x0, x1), (y0, y1) = layout["xaxis"]["range"], layout["yaxis"]["range"]
    # the picture covers exactly the zoomed window, not the whole surface
    assert (image["x"], image["y"]) == (pytest.approx(x0), pytest.approx(y1))
    assert (image["sizex"], image["sizey"]) == (pytest.approx(x1 - x0), pytest.approx(y1 - y0))
    assert x1 - x0 < np.ptp(BOWL.x_range) / 2
    # and has at least as many pixels across as the plot (and not absurdly many)
    png = base64.b64decode(image["source"].split(",", 1)[1])
    width, height = struct.unpack(">II", png[16:24])
    side = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    assert side <= width <= 3 * side and side <= height <= 3 * side


def test_background_window_is_the_surface_over_the_window():
    window = ex.background_window(BOWL, (-1.0, 1.0), (-0.5, 0.5), 200)
    png = base64.b64decode(window.uri.split(",", 1)[1])
    assert struct.unpack(">II", png[16:24]) == (200, 100)
    # levels spread over the window's values (f ≤ 0.3 there), not the whole bowl's (f up to 125)
    assert max(window.levels) < 0.3 < max(fg.background(BOWL, width=100).levels)


def test_the_learning_rate_picture_labels_each_curve_and_adds_the_good_one():
    at = explore("Learning rates", {"run": "sgd:lr=0.05", "steps": "30"})
    assert not at.exception and not at.error
    [figure] = figures(at)
    names = [trace["name"] for trace in figure["data"]]
    assert len(names) == 7 and names[3].startswith("lr = 0.05 ")
    verdicts = [name.rsplit("(", 1)[1].rstrip(")") for name in names]
    assert set(verdicts) <= {"very high", "high", "good", "low"} and verdicts.count("good") == 1
    good = float(names[verdicts.index("good")].split("=")[1].split("(")[0])
    assert good != 0.05
    at.button(key="rates_add_good").click().run()
    assert not at.exception and len(at.session_state["run_ids"]) == 2
    assert any(m.value.startswith(f"Added SGD lr={good:.3g}") for m in at.success)


def test_the_line_search_view_draws_each_trial_of_a_step():
    """SGD with Armijo backtracking (α₀ = lr = 2, ρ = 0.5, c₁ = 1e-4) on the bowl from (−7, 2): p = −g = (0.7, −4),
    φ(α) = (−7 + 0.7α)²/20 + (2 − 4α)², φ(0) = 6.45, φ′(0) = −‖g‖² = −16.49.  By hand: φ(2) = 31.36/20 + 36 =
    37.568 fails sufficient decrease; φ(1) = 39.69/20 + 4 = 5.9845 ≤ 6.45 − 1e-4·1·16.49: two trials, α = 1."""
    at = explore("Line search", {"run": "sgd:lr=2,line_search=armijo"})
    assert not at.exception and not at.error
    [figure] = figures(at)
    trials = [t for t in figure["data"] if t.get("mode") == "markers+text"]
    assert [(t["text"][0], t["x"][0]) for t in trials] == [("1", 2.0), ("2", 1.0)]
    # the first trial is far above φ(0): drawn on the top edge as ▲, its value in the hover
    assert trials[0]["marker"]["symbol"] == "triangle-up" and "φ = 37.57" in trials[0]["hovertemplate"]
    assert trials[1]["y"][0] == pytest.approx(5.9845) and trials[1]["marker"]["symbol"] == "circle"
    caption = next(c.value for c in at.caption if c.value.startswith("Update 1, Armijo backtracking"))
    assert "2 trials" in caption and "took α = 1" in caption and "not enough decrease" in caption
    plain = explore("Line search", {"run": "sgd:lr=0.1"})
    assert any("takes a fixed step" in m.value for m in plain.info)
