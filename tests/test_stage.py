"""What the stage is sent (viz/stage.py): the run's own points, the panels by point number, the step arrows from
the rule itself, a line search's trials and the quasi-Newton ellipses; and the playback settings' URL round trip."""

import re
from pathlib import Path

import numpy as np
import pytest

import optim_core
import page_model
import surfaces
from optim_core import analysis
from page_model import playback
from viz import figures as fg
from viz import i18n
from viz import stage

BOWL = surfaces.get("bowl")
START = np.array([-7.0, 2.0])


def runs_of(surface, specs, steps=30, record_state=True, start=START):
    views = []
    for label, optimizer, hyper, colour, symbol in specs:
        tr = optim_core.run(surface, optim_core.make(optimizer, **hyper), start, steps, record_state=record_state)
        views.append(fg.RunView(label, colour, tr, optim_core.RULES[optimizer].adaptive, symbol))
    return views


def data_of(surface, views, arrows=False, **options):
    parts = [analysis.run_parts(view.trajectory) for view in views] if arrows else None
    return stage.stage_data(surface, START, views, fg.background(surface, width=200), steps=30, parts=parts, **options)


BOOK = [("SGD lr=0.95", "sgd", dict(lr=0.95), "#D55E00", "circle"),
        ("Momentum lr=0.1", "momentum", dict(lr=0.1, mu=0.9), "#0072B2", "square"),
        ("Adam lr=0.3", "adam", dict(lr=0.3), "#CC79A7", "pentagon-open")]


def test_the_stage_gets_every_point_of_every_run():
    views = runs_of(BOWL, BOOK)
    data = data_of(BOWL, views)
    assert [run["label"] for run in data["runs"]] == [label for label, *_ in BOOK]
    for run, view in zip(data["runs"], views):
        xy = fg.decode(run["xy"]).reshape(-1, 2)
        np.testing.assert_allclose(xy, view.trajectory.xy, rtol=1e-6)  # float32 of the runner's points
        assert run["end"] == 30 and run["status"] == view.trajectory.status
    # SGD's first step by hand: x₁ = x₀ − 0.95·∇f(x₀), ∇f(−7, 2) = (x/10, 2y) = (−0.7, 4)
    first = fg.decode(data["runs"][0]["xy"]).reshape(-1, 2)[1]
    np.testing.assert_allclose(first, [-7 + 0.95 * 0.7, 2 - 0.95 * 4], rtol=1e-6)
    assert data["runs"][2]["open"] and data["runs"][2]["outline"]  # a pentagon, drawn hollow (a second variant)
    assert data["runs"][0]["outline"] is None  # a circle


def test_the_panels_are_indexed_by_point_number():
    views = runs_of(BOWL, BOOK[:1])
    run = data_of(BOWL, views)["runs"][0]
    loss = fg.decode(run["panels"]["2"])
    tr = views[0].trajectory
    np.testing.assert_allclose(loss, np.maximum(tr.loss - BOWL.f_min, fg.LOG_FLOOR), rtol=1e-6)
    step = fg.decode(run["panels"]["3"])
    assert np.isnan(step[0])  # no step before the first point
    np.testing.assert_allclose(step[1:], tr.step_norm, rtol=1e-6)


def test_the_curvature_tooltip_has_the_hessian_at_every_point():
    """The bowl's Hessian is diag(1/10, 2) everywhere: eigenvalues 0.1 and 2, κ = 20."""
    run = data_of(BOWL, runs_of(BOWL, BOOK[:1]))["runs"][0]
    eigen = fg.decode(run["eigen"]).reshape(-1, 2)
    np.testing.assert_allclose(eigen, np.tile([0.1, 2.0], (31, 1)), rtol=1e-6)
    np.testing.assert_allclose(fg.decode(run["kappa"]), 20.0, rtol=1e-6)


def test_step_arrows_are_the_rules_parts():
    """Momentum's update 2 on the bowl is μ·v₁ + (−lr·g₁) = (0.063, −0.36) + (0.0693, −0.32) (by hand, as in
    tests/test_analysis.py); the parts are sent with their kind, which sets the arrow's colour."""
    data = data_of(BOWL, runs_of(BOWL, BOOK), arrows=True)
    momentum = data["runs"][1]
    kinds = {part["kind"]: fg.decode(part["value"]).reshape(-1, 2) for part in momentum["parts"]}
    assert set(kinds) == {"history", "gradient"}
    np.testing.assert_allclose(kinds["history"][1], [0.063, -0.36], atol=1e-6)
    np.testing.assert_allclose(kinds["gradient"][1], [0.0693, -0.32], atol=1e-6)
    adam = data["runs"][2]
    g = np.array([-0.7, 4.0])  # Adam's first step: η_eff = lr/(|g| + ε) on each axis
    np.testing.assert_allclose(fg.decode(adam["effective_lr"]).reshape(-1, 2)[0], 0.3 / (np.abs(g) + 1e-8), rtol=1e-5)
    assert data["part_colours"]["gradient"] != data["part_colours"]["history"]
    assert all(run["parts"] is None for run in data_of(BOWL, runs_of(BOWL, BOOK))["runs"])  # arrows off


def test_a_line_search_sends_its_trials_and_bfgs_its_ellipses():
    rosenbrock = surfaces.get("rosenbrock")
    views = runs_of(rosenbrock, [("BFGS", "bfgs", {}, "#7700FF", "octagon"),
                                 ("SGD Armijo", "sgd", dict(lr=1.0, line_search="armijo"), "#D55E00", "circle")],
                    steps=20, start=np.array([-1.2, 1.0]))
    data = stage.stage_data(rosenbrock, (-1.2, 1.0), views, fg.background(rosenbrock, width=200), steps=20)
    bfgs, sgd = data["runs"]
    axes = fg.decode(bfgs["curvature"]["believed"]).reshape(-1, 2, 2)
    assert axes.shape[0] == len(views[0].trajectory.xy)
    # H₀ = I: a circle, both semi-axes of length ELLIPSE_FRACTION × the domain's shorter side (4 on Rosenbrock)
    np.testing.assert_allclose(np.linalg.norm(axes[0], axis=0), [0.4, 0.4], rtol=1e-5)
    points, offset = fg.decode(sgd["trials"]["points"]), fg.decode(sgd["trials"]["offset"])
    assert offset[0] == 0 and np.all(np.diff(offset) >= 0) and offset[-1] == len(points)
    tr = views[1].trajectory
    for k in np.flatnonzero(np.diff(offset)):  # each update's ray starts where the update started
        np.testing.assert_allclose(points[offset[k]], tr.xy[k], rtol=1e-6)
    assert sgd["curvature"] is None


def test_the_still_chart_marks_what_the_future_would_spoil():
    """The whole paths are "path" traces and the end marks and their labels "future": the stage hides them while
    the future is hidden.  A diverging run has both."""
    views = runs_of(BOWL, [("SGD lr=2.5", "sgd", dict(lr=2.5), "#D55E00", "circle")])
    chart = data_of(BOWL, views)["chart"]
    metas = [trace.get("meta") for trace in chart["data"]]
    assert metas.count("path") == 1 and metas.count("future") == 1
    assert [note["meta"] for note in chart["layout"]["annotations"]] == ["future"]
    assert chart["layout"]["yaxis"]["scaleanchor"] == "x"  # both axes to one scale


def test_every_word_of_the_stage_is_translated():
    for word in stage.WORDS:
        assert word in i18n.ZH, word
        assert set(_fields(i18n.ZH[word])) == set(_fields(word)), word  # the same placeholders for the browser


def _fields(text):
    import string
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


@pytest.mark.parametrize("value, expected", [("auto", "auto"), ("6", 6.0), ("0.5", 0.5), ("1000", 1000.0)])
def test_speed_values(value, expected):
    assert playback.parse("speed", value) == expected


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "1001", "fast"])
def test_bad_speeds_are_refused_with_their_range(value):
    with pytest.raises(ValueError, match="0.5 and 1000"):
        playback.parse("speed", value)


@pytest.mark.parametrize("key, value", [("hide", "yes"), ("arrows", "2"), ("hide", ""), ("colour", "1")])
def test_bad_switches_are_refused(key, value):
    with pytest.raises(ValueError, match="expected"):
        playback.parse(key, value)


def test_only_settings_off_their_defaults_go_into_the_url():
    assert playback.to_query(playback.DEFAULTS) == {}
    assert playback.to_query({"speed": 0.5, "hide": False, "arrows": True}) == {"speed": "0.5", "hide": "0",
                                                                               "arrows": "1"}


def test_the_default_scene_is_small_enough_to_send_on_every_change():
    scene = page_model.DEFAULT_SCENE
    surface = scene.surface_object()
    views = [fg.RunView(run.label(), "#000000", page_model.simulate_run(scene, run, surface), False)
             for run in scene.runs]
    data = stage.stage_data(surface, scene.start, views, fg.background(surface), steps=scene.steps)
    import json
    assert len(json.dumps(data)) < 200_000


def test_the_playback_doctests():
    import doctest

    result = doctest.testmod(playback)
    assert result.attempted > 0 and result.failed == 0


def test_the_stage_draws_only_what_its_plotly_bundle_has():
    """The browser's plotly.js is the basic bundle (static/plotly-basic.min.js; ui/stage.py says why): every trace
    and layout part the stage is sent, on every surface with every option on, must be one the bundle registers
    (read from the bundle's own text, where each module says its type and name)."""
    repo = Path(__file__).resolve().parents[1]
    bundle = (repo / "static" / "plotly-basic.min.js").read_text(encoding="utf-8")
    assert "app/static/plotly-basic.min.js" in (repo / "ui" / "stage_web" / "plotly_loader.js").read_text()
    traces = set(re.findall(r'moduleType:"trace",name:"(\w+)"', bundle))
    parts = set(re.findall(r'moduleType:"component",name:"(\w+)"', bundle))
    assert traces == {"bar", "pie", "scatter"}  # what the bundle's README says it holds
    specs = BOOK + [("BFGS", "bfgs", {}, "#7700FF", "octagon"),
                    ("SGD Armijo", "sgd", dict(lr=0.5, line_search="armijo"), "#009E73", "diamond")]
    for name in surfaces.names():
        surface = surfaces.get(name)
        start = np.array(surface.default_start, dtype=float)
        views = runs_of(surface, specs, steps=12, start=start)
        data = stage.stage_data(surface, start, views, fg.background(surface, width=80), steps=12,
                                parts=[analysis.run_parts(view.trajectory) for view in views], show_average=True,
                                show_field=True, snapshots=(4, 8))
        for figure in (data["chart"], data["panels"] or {"data": [], "layout": {}}):
            assert {trace.get("type", "scatter") for trace in figure["data"]} <= traces, name
            used = {key for key in ("images", "annotations", "shapes", "updatemenus", "sliders")
                    if figure["layout"].get(key)}
            assert used <= parts, name
            # no subplot kind beyond the cartesian axes (the bundle has no 3-D, geo, polar, ternary or map plots)
            assert not [key for key in figure["layout"]
                        if re.fullmatch(r"(scene|geo|polar|ternary|mapbox|map|smith)\d*", key)], name
        assert data["chart"]["layout"]["images"]  # the surface's picture is a layout image: kept in the bundle
