"""The "Network" tab with streamlit.testing.v1.AppTest: the page's runs train a small network (ui/network_tab.py).

Golden values are computed by hand, not by the code under test: the spiral network 2-100-3 has
N = 2·100 + 100 + 100·3 + 3 = 603 weights; the book's four runs are 1 SGD, 2 Momentum, 3 AdaGrad, 4 Adam with the
network learning rates of ch06/optimizer_compare_mnist.py (0.01, 0.01, 0.01, 0.001); a 64-200-200-200-200-200-10
network has 64·200 + 200 + 4·(200·200 + 200) + 200·10 + 10 = 175,810 weights.
"""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

# tests/test_app.py (pytest puts tests/ on sys.path)
from test_app import choice_key, edit_runs, no_exception, open_app, row_data, shown

BOOK_RUNS = ["1 SGD", "2 Momentum", "3 AdaGrad", "4 Adam"]
BOOK_NET_LRS = [0.01, 0.01, 0.01, 0.001]  # the book's Fig. 6-9
VIEW_LABELS = {"loss": "Loss curves", "regions": "Decision regions", "landscape": "Landscape",
               "gradcheck": "Gradient check", "init": "Initial weights", "batchnorm": "Batch Norm",
               "overfit": "Overfitting", "search": "Hyperparameter search", "ensembles": "Ensembles"}
CJK = re.compile(r"[\u4e00-\u9fff]")


def open_network(query=None):
    return open_app({"view": "network", **(query or {})})


def figure(at) -> dict:
    """The one Plotly chart the Network tab shows."""
    charts = at.get("plotly_chart")
    assert len(charts) == 1, f"{len(charts)} Plotly charts"
    return json.loads(charts[0].proto.spec)


def numbers(spec) -> np.ndarray:
    """A trace's x or y: a plain list, or plotly.js's typed array {"dtype", "bdata"} (base64 of little-endian)."""
    if isinstance(spec, dict):
        dtype = {"f4": "<f4", "f8": "<f8", "i4": "<i4", "i2": "<i2", "u1": "u1"}[spec["dtype"]]
        return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dtype).astype(float)
    return np.asarray(spec, dtype=float)


def legend_names(fig) -> list:
    return [trace["name"] for trace in fig["data"] if trace.get("showlegend", True) is not False and "name" in trace]


def loss_traces(fig) -> dict:
    """name -> (raw minibatch loss, smoothed loss), the left panel's two line traces of each run."""
    curves = {}
    for trace in fig["data"]:
        if trace.get("xaxis", "x") in ("x", None) and trace.get("yaxis", "y") in ("y", None):
            curves.setdefault(trace["name"], []).append(numbers(trace["y"]))
    return {name: tuple(ys) for name, ys in curves.items()}


def raw_losses(at) -> dict:
    return {name: ys[0] for name, ys in loss_traces(figure(at)).items()}


def view_options(at) -> list:
    [group] = [g for g in at.get("button_group") if str(g.key).startswith("net.view@")]
    return [option.content for option in group.proto.options]


def show_view(at, view: str):
    at.session_state["net.view"] = view
    return at.run()


def texts(elements) -> str:
    return " ".join(shown(e.value) for e in elements)


def lab_state(at) -> dict:
    """The network lab's settings as the session holds them (the keys ui/state.py declares)."""
    keys = ["net.data", "net.layers", "net.units", "net.act", "net.batch", "net.iters", "net.seed", "net.init",
            "net.view", "net.plane"]
    state = {key: at.session_state[key] for key in keys if key in at.session_state}
    state["lrs"] = [at.session_state[key] for key in lr_keys(at)]
    return state


def lr_keys(at) -> list:
    """Each run's network learning-rate key, in run order."""
    return [f"run{run_id}.{at.session_state[f'run{run_id}.optimizer']}.net_lr" for run_id in at.session_state["run_ids"]]


def net_query(at) -> dict:
    return {key: at.query_params[key] for key in at.query_params if key.startswith("net.")}


# --- the loss curves ----------------------------------------------------------------------------------------


def test_the_network_tab_trains_the_four_runs_and_draws_their_loss_curves():
    at = open_network()
    no_exception(at)
    assert at.session_state["view"] == "Network"
    fig = figure(at)
    assert legend_names(fig) == BOOK_RUNS
    curves = loss_traces(fig)
    assert list(curves) == BOOK_RUNS
    for name, (raw, smooth) in curves.items():
        assert len(raw) == len(smooth) == 1000  # the default lab: 1000 iterations
        assert np.all(np.isfinite(smooth)), name
        assert smooth[-1] < smooth[0], f"{name}'s smoothed loss does not decrease: {smooth[0]} -> {smooth[-1]}"
        assert raw[-100:].mean() < raw[:100].mean(), name
    # every run starts from the same θ₀ on the same first minibatch: the same loss at iteration 0 (float32)
    first = [raw[0] for raw, _ in curves.values()]
    assert max(first) - min(first) <= 1e-6 * max(first)
    # with 3 classes and He's small initial weights, the first loss is near ln 3 = 1.0986
    assert 0.7 < first[0] < 1.6


def test_the_default_network_learning_rates_are_the_books():
    at = open_network()
    assert [at.session_state[key] for key in lr_keys(at)] == BOOK_NET_LRS
    assert not any(key == "net.lr" for key in at.query_params)  # the defaults need no word in the link


def test_the_view_control_offers_the_nine_views():
    at = open_network()
    assert view_options(at) == list(VIEW_LABELS.values())


# --- the other views ------------------------------------------------------------------------------------------


def test_decision_regions_play_the_kept_iterations():
    at = show_view(open_network(), "regions")
    no_exception(at)
    fig = figure(at)
    frames = fig["frames"]
    training = at.session_state["net_training"][1]
    kept = [int(k) for k in training.checkpoints]
    assert 2 <= len(frames) == min(51, len(kept)) <= 51
    names = [int(frame["name"]) for frame in frames]
    assert names == sorted(set(names)) and names[0] == 0 and names[-1] == 1000  # from θ₀ to the last iteration
    assert set(names) <= set(kept)
    [slider] = fig["layout"]["sliders"]
    assert [step["label"] for step in slider["steps"]] == [frame["name"] for frame in frames]
    assert slider["active"] == len(frames) - 1  # shown at the last iteration
    [menu] = fig["layout"]["updatemenus"]
    assert [button["label"] for button in menu["buttons"]] == ["▶ Play", "❚❚ Pause"]
    # one map per run, in every frame; the first and the last differ (the network learned)
    first, last = frames[0]["layout"]["images"], frames[-1]["layout"]["images"]
    assert len(first) == len(last) == len(fig["layout"]["images"]) == 4
    assert all(image["source"].startswith("data:image/png;base64,") for image in first + last)
    assert [a["source"] for a in first] != [a["source"] for a in last]
    notes = [a["text"] for a in fig["layout"]["annotations"]]
    assert [note.split(" · ")[0] for note in notes] == BOOK_RUNS and all(note.endswith("%") for note in notes)


def test_decision_regions_by_clicking_the_view_control():
    at = open_network()
    [group] = [g for g in at.get("button_group") if str(g.key).startswith("net.view@")]
    group.set_value("regions").run()
    no_exception(at)
    assert at.session_state["net.view"] == "regions"
    assert len(figure(at)["frames"]) == 51


def test_the_landscape_has_its_picture_its_frames_and_the_variance_share():
    at = show_view(open_network(), "landscape")
    no_exception(at)
    fig = figure(at)
    [image] = fig["layout"]["images"]
    assert image["source"].startswith("data:image/png;base64,") and len(image["source"]) > 1000
    assert image["xref"] == "x" and image["yref"] == "y"
    training = at.session_state["net_training"][1]
    assert 2 <= len(fig["frames"]) == len(training.checkpoints)
    assert [int(f["name"]) for f in fig["frames"]] == [int(k) for k in training.checkpoints]
    caption = next(c.value for c in at.caption if "variance" in c.value)
    share = float(re.search(r"holds (\d+(?:\.\d)?)% of their variance", shown(caption)).group(1))
    # the share, computed here by an SVD: the checkpoints of every run about the best run's final weights,
    # (s₁² + s₂²) / Σ sᵢ² (Li et al. 2018's PCA plane)
    paths = training.weights.astype(float)
    best = int(np.nanargmin(np.where(np.isfinite(training.train_loss[:, -1]), training.train_loss[:, -1], np.inf)))
    rows = paths.reshape(-1, paths.shape[-1])
    rows = rows[np.all(np.isfinite(rows), axis=1)] - paths[best, -1]
    s = np.linalg.svd(rows, compute_uv=False)
    assert share == pytest.approx(100 * (s[0] ** 2 + s[1] ** 2) / np.sum(s ** 2), abs=0.051)
    assert 0 < share <= 100


def test_the_landscape_on_a_random_plane():
    at = show_view(open_network(), "landscape")
    at.session_state["net.plane"] = "random"
    at.run()
    no_exception(at)
    fig = figure(at)
    assert len(fig["layout"]["images"]) == 1 and fig["frames"]
    assert any("random directions" in c.value for c in at.caption)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_the_gradient_check_is_good_for_smooth_activations(activation):
    at = open_network()
    at.session_state["net.act"] = activation
    at.run()
    at = show_view(at, "gradcheck")
    no_exception(at)
    [table] = at.dataframe
    rows = table.value
    assert list(rows["layer"]) == ["W1", "b1", "W2", "b2"]
    assert list(rows["kinks crossed"]) == [0, 0, 0, 0]  # a smooth activation has no kinks
    assert not any("kink" in verdict for verdict in rows["verdict"]), rows
    assert list(rows["verdict"]) == ["good"] * 4, rows
    # 2-100-3: W1 has 200 weights, b1 100, W2 300, b2 3; at most 40 checked per layer
    assert list(rows["weights checked"]) == [40, 40, 40, 3]
    errors = [float(e) for e in rows["largest relative error"]]
    assert all(0 <= e < 1e-7 for e in errors), errors


# --- the URL --------------------------------------------------------------------------------------------------


def test_a_change_goes_into_the_url_and_the_url_restores_it():
    at = open_network()
    assert net_query(at) == {}
    at.select_slider(key="net.iters").set_value(200).run()
    at.select_slider(key="net.units").set_value(50).run()
    no_exception(at)
    assert at.query_params["net.iters"] == "200" and at.query_params["net.units"] == "50"
    assert at.query_params["view"] == "network"
    fig = figure(at)
    assert all(len(raw) == 200 for raw, _ in loss_traces(fig).values())
    assert "50 relu" in at.expander[0].label and "200" in at.expander[0].label

    again = open_app({key: at.query_params[key] for key in at.query_params})
    no_exception(again)
    assert not again.warning
    assert again.session_state["view"] == "Network"
    assert (again.session_state["net.iters"], again.session_state["net.units"]) == (200, 50)
    assert lab_state(again) == lab_state(at)
    assert figure(again) == fig  # the same seed: the same training, the same picture


def test_a_link_with_net_settings_opens_them():
    at = open_network({"net.layers": "2", "net.units": "20", "net.act": "tanh", "net.batch": "32",
                       "net.iters": "100", "net.seed": "5", "net.lr": "0.1,0.05", "net.view": "gradcheck"})
    no_exception(at)
    assert not at.warning
    state = lab_state(at)
    assert (state["net.layers"], state["net.units"], state["net.act"], state["net.batch"], state["net.iters"],
            state["net.seed"], state["net.view"]) == (2, 20, "tanh", 32, 100, 5, "gradcheck")
    assert state["lrs"] == [0.1, 0.05, 0.01, 0.001]  # the runs without one: the book's
    # 2-20-20-3: W1, b1, W2, b2, W3, b3
    assert list(at.dataframe[0].value["layer"]) == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert at.query_params["net.lr"] == "0.1,0.05,0.01,0.001"


def test_a_malformed_net_value_in_the_url_warns_and_falls_back():
    at = open_network({"net.units": "abc", "net.act": "gelu", "net.lr": "0.1,x"})
    no_exception(at)
    warnings = texts(at.warning)
    assert "net.units='abc'" in warnings and "2 to 200" in warnings
    assert "net.act='gelu'" in warnings and "relu, sigmoid, tanh" in warnings
    assert "net.lr='0.1,x'" in warnings
    assert at.session_state["net.units"] == 100 and at.session_state["net.act"] == "relu"
    assert legend_names(figure(at)) == BOOK_RUNS  # the tab still trains, with the defaults


def test_a_digits_link_asking_for_decision_regions_shows_the_loss_curves():
    at = open_network({"net.data": "digits", "net.view": "regions", "net.iters": "100"})
    no_exception(at)
    assert "Decision regions" not in view_options(at)
    assert legend_names(figure(at)) == BOOK_RUNS and "frames" not in figure(at)


# --- runs that cannot train, data sets, the work bound ----------------------------------------------------------


@pytest.mark.parametrize("optimizer, words", [("newton", "Hessian"), ("bfgs", "N × N matrix")])
def test_a_second_order_run_is_left_out_and_the_others_train(optimizer, words):
    at = open_network()
    at.button(key="add_run").click().run()
    new = at.session_state["run_ids"][-1]
    edit_runs(at, (new, "optimizer", optimizer))  # the new run's optimizer box, in its row
    no_exception(at)
    assert row_data(at, new)["optimizer"] == at.session_state[f"run{new}.optimizer"] == optimizer
    assert at.session_state["view"] == "Network"
    info = texts(at.info)
    assert "Run 5 is left out" in info and words in info, info
    assert "N = 603" in info, info  # 2·100 + 100 + 100·3 + 3 weights
    if optimizer == "newton":
        assert "N² = 363,609" in info, info  # 603² = 363,609
    assert legend_names(figure(at)) == BOOK_RUNS


def test_the_digits_have_no_decision_regions_and_the_tab_still_works():
    at = show_view(open_network({"net.iters": "200"}), "regions")
    at.selectbox(key=choice_key(at, "net.data")).set_value("digits").run()
    no_exception(at)
    assert view_options(at) == [label for view, label in VIEW_LABELS.items() if view != "regions"]
    assert at.session_state["net.view"] == "loss"
    fig = figure(at)
    assert legend_names(fig) == BOOK_RUNS and "frames" not in fig
    for view in ("landscape", "gradcheck"):
        show_view(at, view)
        no_exception(at)
    # 64-100-10: W1, b1, W2, b2; b2 has the 10 classes' biases
    assert list(at.dataframe[0].value["layer"]) == ["W1", "b1", "W2", "b2"]
    assert list(at.dataframe[0].value["weights checked"])[-1] == 10


def test_a_training_too_large_for_the_page_says_what_to_lower():
    at = open_network()
    # all at once (one by one, the trainings on the way there are allowed, and long)
    for key, value in (("net.data", "digits"), ("net.layers", 5), ("net.units", 200), ("net.iters", 5000),
                       ("net.batch", 2000)):
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    [error] = [shown(e.value) for e in at.error]
    assert "too large" in error
    assert "Lower the iterations, the batch size, the units, the layers or the number of runs" in error
    # 6 · 175,810 weights · 5000 iterations · 4 runs · ≈1438 examples (1797 digits less a fifth held out) ≈ 3.0e13
    assert "about 3e+13 operations" in error, error
    assert "Traceback" not in error and not at.get("plotly_chart")
    assert "net.units" in at.query_params  # the settings stay, to be lowered
    # lowering it trains again
    at.session_state["net.iters"], at.session_state["net.batch"] = 50, 32
    at.run()
    at.select_slider(key="net.layers").set_value(1).run()
    no_exception(at)
    assert legend_names(figure(at)) == BOOK_RUNS


# --- language and per-run learning rates ------------------------------------------------------------------------


def test_switching_to_chinese_keeps_the_network_tab_and_its_settings():
    at = open_network()
    at.select_slider(key="net.iters").set_value(200).run()
    at.select_slider(key="net.units").set_value(50).run()
    at.selectbox(key=choice_key(at, "net.act")).set_value("tanh").run()
    before, before_query, before_curves = lab_state(at), net_query(at), raw_losses(at)
    at.selectbox(key="lang").set_value("zh").run()
    no_exception(at)
    assert at.session_state["view"] == "神经网络"  # the open tab, in Chinese
    assert lab_state(at) == before and net_query(at) == before_query
    fig = figure(at)
    assert all(np.array_equal(raw_losses(at)[name], before_curves[name]) for name in BOOK_RUNS)
    assert CJK.search(fig["layout"]["xaxis"]["title"]["text"]) and CJK.search(fig["layout"]["yaxis"]["title"]["text"])
    assert all(CJK.search(label) for label in view_options(at)), view_options(at)
    assert CJK.search(at.expander[0].label)
    # and back to the landscape in Chinese: its Play button too
    show_view(at, "landscape")
    no_exception(at)
    [menu] = figure(at)["layout"]["updatemenus"]
    assert all(CJK.search(button["label"]) for button in menu["buttons"])


def test_a_runs_network_learning_rate_changes_only_its_curve():
    at = open_network()
    before = raw_losses(at)
    first = lr_keys(at)[0]
    at.select_slider(key=first).set_value(0.1).run()
    no_exception(at)
    after = raw_losses(at)
    assert not np.array_equal(after["1 SGD"], before["1 SGD"])
    for name in BOOK_RUNS[1:]:
        np.testing.assert_array_equal(after[name], before[name], err_msg=name)
    assert after["1 SGD"][0] == before["1 SGD"][0]  # iteration 0: the same θ₀, the same first minibatch
    assert at.query_params["net.lr"] == "0.1,0.01,0.01,0.001"
    # the surface's learning rate of the run is not the network's
    run_id = at.session_state["run_ids"][0]
    assert at.session_state[f"run{run_id}.sgd.lr"] == 0.95 and row_data(at, run_id)["lr"]["value"] == 0.95


def test_projector_mode_enlarges_the_networks_type():
    at = open_network({"projector": "1"})
    no_exception(at)
    assert figure(at)["layout"]["font"]["size"] == 20
    at.toggle(key="projector").set_value(False).run()
    no_exception(at)
    assert figure(at)["layout"]["font"]["size"] == 14 and at.session_state["view"] == "Network"


def histograms_figure(at) -> dict:
    """The initial weights view's first chart (the second trains the four scales: Fig. 6-15)."""
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_the_initial_weights_view_shows_the_books_four_scales():
    at = open_network({"net.view": "init"})
    assert not at.exception and not at.error
    assert "net_training" not in at.session_state  # the lab's own training is not run for this view
    fig = histograms_figure(at)
    bars = [trace for trace in fig["data"] if trace["type"] == "bar"]
    assert len(bars) == 4 * 5  # four scales × five layers
    # every histogram counts the 1000 × 100 activations of its layer (a sigmoid never leaves 0 … 1)
    assert all(sum(trace["y"]) == 100_000 for trace in bars)
    # σ = 1 (first row): layer 1's two end bins hold most of them (closed form 0.736, tests/test_nets_init_study.py)
    first = bars[0]["y"]
    assert (first[0] + first[-1]) / 100_000 > 0.6
    assert any("Fig. 6-10" in caption.value for caption in at.caption)
    at.session_state["net.iact"] = "relu"
    at.run()
    relu = [trace for trace in histograms_figure(at)["data"] if trace["type"] == "bar"]
    assert relu != bars and not at.exception
