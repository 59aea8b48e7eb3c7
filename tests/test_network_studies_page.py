"""The Network tab's chapter-6 views (ui/network_studies.py) with streamlit.testing.v1.AppTest: each opens from a link,
in English and in Chinese, its charts hold what the book's experiment shows, its settings travel in the URL.

Golden values come from the book (Deep Learning from Scratch, ch. 6) and from arithmetic, not from the code under
test: the figure numbers (6-10, 6-11, 6-13, 6-14 the activation histograms, 6-15 training with each initial weight
scale, 6-18/6-19 Batch Norm, 6-20 overfitting, 6-21 weight decay, 6-23 dropout, 6-24 hyperparameter search); a
network that does not learn ten classes stays at the loss ln 10 = 2.3026; the 8×8 digits are 1797 images of which a
fifth, 359, are held out, so a validation accuracy is k/359 and a training accuracy on n images is k/n; the Batch
Norm study's 8 scales are σ = 10^(−4k/7), k = 0 … 7 (the book's logspace(0, −4, 16), halved); a Batch Norm layer
after the hidden layer of 2-100-3 adds γ and β per hidden unit; cs231n's coarse-to-fine rule "the smallest range
holding the best five, widened by a tenth of its width (at least 0.2) on each side", recomputed here from the
scatter's own points.

The studies' results are shared by every session of a process (``shared_results``): the first test to open a view
pays for it, the others reuse it.

    .venv/bin/python -m pytest -q tests/test_network_studies_page.py
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from test_app import choice_key, no_exception, open_app, shown  # tests/test_app.py (pytest puts tests/ on sys.path)
from test_network_page import (CJK, figure, loss_traces, net_query, numbers, open_network, show_view, texts,
                               view_options)

CHARTS = {"init": 2, "batchnorm": 1, "overfit": 1, "search": 2, "ensembles": 1}
# the book's figures each view's captions name (the ensembles are cs231n's, not the book's)
FIGURES = {"init": ("Fig. 6-10", "Fig. 6-11", "Fig. 6-13", "Fig. 6-14", "Fig. 6-15"),
           "batchnorm": ("Figs. 6-18, 6-19",), "overfit": ("Figs. 6-20, 6-21, 6-23",), "search": ("Fig. 6-24",),
           "ensembles": ("cs231n",)}
FIGURES_ZH = {"init": ("图 6-10", "图 6-11", "图 6-13", "图 6-14", "图 6-15"), "batchnorm": ("图 6-18、6-19",),
              "overfit": ("图 6-20、6-21、6-23",), "search": ("图 6-24",), "ensembles": ("cs231n",)}
BOOK_LR_RANGE, BOOK_DECAY_RANGE = (-6.0, -2.0), (-8.0, -4.0)  # the book's 10^uniform(−6, −2), 10^uniform(−8, −4)
HELD_OUT = 359  # 1797 digits, a fifth held out
LN10 = math.log(10)
EDGE_LR_HIGH = "The best trial lies at the high edge of the learning rate range"


def open_study(view: str, **query):
    return open_network({"net.view": view, **query})


def charts(at) -> list:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def study_captions(at) -> list:
    """The chapter-6 view's captions (the run rows' and the sidebar's are the page's, not the study's)."""
    words = ("Fig.", "book", "cs231n", "图", "书")
    return [shown(c.value) for c in at.caption if any(word in c.value for word in words)]


def net_widgets(at) -> list:
    """The study's widgets (keys net.*): sliders, select sliders, radios, buttons."""
    return [w for kind in ("slider", "select_slider", "radio", "button") for w in getattr(at, kind)
            if str(w.key).startswith("net.")]


def sentences(text: str) -> list:
    """The English sentences (and clauses) of a caption long enough to be recognised: 25 characters or more."""
    return [part.strip() for part in re.split(r"[.:;]\s", text) if len(part.strip()) >= 25]


def figure_texts(fig: dict) -> list:
    """What a chart writes: axis titles, legend names, subplot titles, the colour bar's title."""
    found = [axis["title"]["text"] for key, axis in fig["layout"].items()
             if key.startswith(("xaxis", "yaxis")) and isinstance(axis.get("title"), dict) and axis["title"].get("text")]
    found += [trace["name"] for trace in fig["data"] if trace.get("name") and trace.get("showlegend", True)]
    found += [a["text"] for a in fig["layout"].get("annotations", []) if not a["text"].startswith("σ = ")]
    found += [trace["marker"]["colorbar"]["title"]["text"] for trace in fig["data"]
              if isinstance(trace.get("marker"), dict) and "colorbar" in trace["marker"]]
    return found


def switch_view(at, view: str):
    """Click the Network view control (a segmented control keyed net.view@<lang>)."""
    [group] = [g for g in at.get("button_group") if str(g.key).startswith("net.view@")]
    return group.set_value(view).run()


def trace_ys(fig: dict) -> dict:
    return {trace["name"]: numbers(trace["y"]) for trace in fig["data"]}


def is_fraction_of(values, n: int) -> bool:
    """Every value is k/n (float32 stored: a little slack)."""
    values = np.asarray(values, dtype=float)
    return bool(np.all(np.abs(values * n - np.round(values * n)) < 1e-3))


# --- every study view opens from a link, in English and in Chinese ------------------------------------------------


@pytest.mark.parametrize("view", list(CHARTS))
def test_a_study_view_opens_from_a_link_with_its_charts_and_the_books_figures(view):
    at = open_study(view)
    no_exception(at)
    assert not at.warning or view == "search", texts(at.warning)
    assert at.session_state["view"] == "Network" and at.session_state["net.view"] == view
    assert at.query_params["view"] == "network" and at.query_params["net.view"] == view
    assert len(at.get("plotly_chart")) == CHARTS[view]
    captions = " ".join(study_captions(at))
    for figure_number in FIGURES[view]:
        assert figure_number in captions, (figure_number, captions)
    assert "net_training" not in at.session_state  # the lab's own training does not run for a study view


@pytest.mark.parametrize("view", list(CHARTS))
def test_a_study_view_in_chinese_says_everything_in_chinese(view):
    english = open_study(view)
    at = open_study(view, lang="zh")
    no_exception(at)
    assert at.session_state["view"] == "神经网络" and at.session_state["net.view"] == view
    assert len(at.get("plotly_chart")) == CHARTS[view]
    captions = study_captions(at)
    assert captions and all(CJK.search(c) for c in captions), captions
    joined = " ".join(captions)
    for figure_number in FIGURES_ZH[view]:
        assert figure_number in joined, (figure_number, joined)
    # no sentence of the English captions is left in the Chinese page
    page = " ".join([shown(c.value) for c in at.caption] + [shown(m.value) for m in at.markdown]
                    + [shown(s.value) for s in at.subheader])
    for caption in study_captions(english):
        for sentence in sentences(caption):
            assert sentence not in page, f"English left in the Chinese {view} view: {sentence!r}"
    # the study's controls, the charts' words, the warnings and the metrics
    for widget in net_widgets(at):
        assert CJK.search(widget.label), (widget.key, widget.label)
    assert all(CJK.search(label) for label in view_options(at)), view_options(at)
    for fig in charts(at):
        words = figure_texts(fig)
        assert words, f"the {view} chart has no words"
        assert all(CJK.search(word) for word in words), [w for w in words if not CJK.search(w)]
    assert all(CJK.search(shown(w.value)) for w in at.warning), texts(at.warning)
    assert all(CJK.search(m.label) and CJK.search(m.proto.delta) for m in at.metric)
    assert all(CJK.search(s.value) for s in at.subheader), [s.value for s in at.subheader]


# --- what each study shows ------------------------------------------------------------------------------------------


def test_initial_weights_train_as_in_the_books_fig_6_15():
    at = open_study("init")
    no_exception(at)
    _, training = charts(at)
    legend = [trace for trace in training["data"] if trace.get("showlegend", True) and trace.get("name")]
    names = [trace["name"] for trace in legend]
    assert len(legend) == 4 and len(training["data"]) == 8  # a faint raw and a smoothed curve per scale
    assert sorted(name.split(" (")[0] for name in names) == sorted(["σ = 1", "σ = 0.01", "Xavier: √(1/n)",
                                                                    "He: √(2/n)"])
    curves = {name.split(" (")[0]: numbers(trace["y"]) for name, trace in zip(names, legend)}
    iterations = int(re.search(r"(\d+) iterations; σ = 1", " ".join(study_captions(at))).group(1))
    assert all(len(y) == iterations for y in curves.values())
    assert "diverged" in next(name for name in names if name.startswith("σ = 1"))  # the caption: σ = 1 → ∞
    # σ = 0.01 does not learn: ten classes guessed evenly, the loss stays at ln 10
    assert curves["σ = 0.01"][-1] == pytest.approx(LN10, abs=0.01)
    # Xavier learns, He learns fastest
    assert curves["He: √(2/n)"][-1] < curves["Xavier: √(1/n)"][-1] < LN10 - 0.1


def test_batch_norm_has_eight_scales_each_with_and_without():
    at = open_study("batchnorm")
    no_exception(at)
    [fig] = charts(at)
    panels = {}
    for trace in fig["data"]:
        panels.setdefault((trace["xaxis"], trace["yaxis"]), []).append(trace)
    assert len(panels) == 8 and len(fig["data"]) == 16
    for pair in panels.values():
        assert sorted(trace["name"] for trace in pair) == ["with Batch Norm", "without Batch Norm"]
    titles = [a["text"] for a in fig["layout"]["annotations"] if a["text"].startswith("σ = ")]
    assert titles == [f"σ = {10 ** (-4 * k / 7):.2g}" for k in range(8)]
    # 20 epochs, kept every 2; training accuracy on the 1000 images: k/1000
    for trace in fig["data"]:
        assert numbers(trace["x"]).tolist() == list(range(0, 21, 2))
        assert is_fraction_of(numbers(trace["y"]), 1000)
    # the book: with Batch Norm the network learns at scales where the plain one does not learn at all
    finals = {(trace["xaxis"], trace["name"]): numbers(trace["y"])[-1] for trace in fig["data"]}
    rescued = [x for (x, name), value in finals.items() if name == "with Batch Norm" and value >= 0.8
               and finals[(x, "without Batch Norm")] <= 0.2]
    assert len(rescued) >= 3, finals


def test_overfitting_shows_four_curves_and_the_two_validation_accuracies():
    at = open_study("overfit")
    no_exception(at)
    [fig] = charts(at)
    ys = trace_ys(fig)
    assert list(ys) == ["plain: training", "plain: validation", "λ = 0.1, r = 0: training",
                        "λ = 0.1, r = 0: validation"]  # the book's Fig. 6-21: λ = 0.1
    for trace in fig["data"]:
        assert numbers(trace["x"])[0] == 0 and numbers(trace["x"])[-1] == 200  # the book's 200 epochs
    for name, y in ys.items():
        assert is_fraction_of(y, HELD_OUT if "validation" in name else 300), name  # 300 training images
    assert ys["plain: training"][-1] == 1.0  # overfitting: every training image right (the book's Fig. 6-20)
    assert ys["plain: validation"][-1] < 1.0
    metrics = list(at.metric)
    assert [m.label for m in metrics] == ["plain: validation accuracy", "λ = 0.1, r = 0: validation accuracy"]
    for metric, name in zip(metrics, ("plain", "λ = 0.1, r = 0")):
        train, val = ys[f"{name}: training"][-1], ys[f"{name}: validation"][-1]
        assert metric.value == f"{val:.1%}"
        assert metric.proto.delta == f"training {train:.1%}, gap {train - val:+.1%}"


def test_no_weight_decay_and_no_dropout_is_the_plain_training():
    at = open_study("overfit")
    at.select_slider(key="net.wd").set_value(0.0).run()
    at.slider(key="net.drop").set_value(0.0).run()
    no_exception(at)
    assert (at.session_state["net.wd"], at.session_state["net.drop"]) == (0.0, 0.0)
    assert at.query_params["net.wd"] == "0" and "net.drop" not in at.query_params  # 0.0 is the default ratio
    ys = trace_ys(charts(at)[0])
    assert list(ys) == ["plain: training", "plain: validation", "λ = 0, r = 0: training", "λ = 0, r = 0: validation"]
    np.testing.assert_array_equal(ys["λ = 0, r = 0: training"], ys["plain: training"])
    np.testing.assert_array_equal(ys["λ = 0, r = 0: validation"], ys["plain: validation"])
    first, second = at.metric
    assert first.value == second.value and first.proto.delta == second.proto.delta


# --- the hyperparameter search --------------------------------------------------------------------------------------


def trials(at) -> tuple:
    """(log10 lr, log10 λ, final validation accuracy) of every trial, from the scatter (its colour is the accuracy)."""
    scatter = charts(at)[0]
    points = scatter["data"][0]
    return (np.log10(np.asarray(points["x"], dtype=float)), np.log10(np.asarray(points["y"], dtype=float)),
            np.asarray(points["marker"]["color"], dtype=float))


def narrowed_by_hand(lr, decay, accuracy, top=5) -> tuple:
    """cs231n's coarse to fine, as the button says: the best five's range, widened by a tenth (≥ 0.2) each side."""
    order = np.argsort(-accuracy, kind="stable")
    assert accuracy[order[top - 1]] > accuracy[order[top]], "a tie at the fifth place: the best five are not one set"
    ranges = []
    for values in (lr[order[:top]], decay[order[:top]]):
        margin = max(0.2, 0.1 * (values.max() - values.min()))
        ranges.append((round(max(-10.0, values.min() - margin), 1), round(min(1.0, values.max() + margin), 1)))
    return tuple(ranges)


def test_the_books_ranges_put_the_best_learning_rate_at_the_high_edge():
    """The digits in 25 epochs need a larger learning rate than the book's 10^−2: the best trial is near the top of
    (−6, −2), and the page says to widen the range there."""
    at = open_study("search")
    no_exception(at)
    assert (at.session_state["net.lrr"], at.session_state["net.wdr"]) == (BOOK_LR_RANGE, BOOK_DECAY_RANGE)
    scatter, curves = charts(at)
    assert len(scatter["data"][0]["x"]) == 20  # 20 trials
    lr, decay, accuracy = trials(at)
    assert np.all((BOOK_LR_RANGE[0] <= lr) & (lr <= BOOK_LR_RANGE[1]))
    assert np.all((BOOK_DECAY_RANGE[0] <= decay) & (decay <= BOOK_DECAY_RANGE[1]))
    assert is_fraction_of(accuracy, 100)  # 100 validation images carved out of the training part
    best = int(np.argmax(accuracy))
    assert (lr[best] - BOOK_LR_RANGE[0]) / 4 > 0.9  # in the top tenth of the range (log scale)
    assert 0.1 < (decay[best] - BOOK_DECAY_RANGE[0]) / 4 < 0.9
    [warning] = [shown(w.value) for w in at.warning]
    assert warning.startswith(EDGE_LR_HIGH) and "weight decay" not in warning
    # the best five's curves (Fig. 6-24): a validation and a training curve each, the best first
    ranked = [trace["name"] for trace in curves["data"] if trace.get("name", "").startswith("#")]
    assert len(ranked) == 10 and len(set(ranked)) == 5 and ranked[0].startswith("#1: lr ")
    assert f"{10 ** lr[best]:.2e}" in ranked[0]


def test_search_again_narrows_the_ranges_to_the_best_five_and_the_books_ranges_restore():
    at = open_study("search")
    lr, decay, accuracy = trials(at)
    expected_lr, expected_decay = narrowed_by_hand(lr, decay, accuracy)
    at.button(key="net.search.narrow").click().run()
    no_exception(at)
    assert at.session_state["net.lrr"] == expected_lr and at.session_state["net.wdr"] == expected_decay
    for (low, high), (old_low, old_high) in ((expected_lr, BOOK_LR_RANGE), (expected_decay, BOOK_DECAY_RANGE)):
        assert high - low < old_high - old_low  # narrower
    assert at.query_params["net.lrr"] == f"{expected_lr[0]:g},{expected_lr[1]:g}"
    assert at.query_params["net.wdr"] == f"{expected_decay[0]:g},{expected_decay[1]:g}"
    assert at.slider(key="net.lrr").value == expected_lr and at.slider(key="net.wdr").value == expected_decay
    # the new search samples the new ranges
    new_lr, new_decay, _ = trials(at)
    assert np.all((expected_lr[0] <= new_lr) & (new_lr <= expected_lr[1]))
    assert np.all((expected_decay[0] <= new_decay) & (new_decay <= expected_decay[1]))

    at.button(key="net.search.book").click().run()
    no_exception(at)
    assert (at.session_state["net.lrr"], at.session_state["net.wdr"]) == (BOOK_LR_RANGE, BOOK_DECAY_RANGE)
    assert "net.lrr" not in at.query_params and "net.wdr" not in at.query_params  # the defaults need no word
    np.testing.assert_array_equal(trials(at)[0], lr)  # the same search as before (seeded)


def test_widening_the_learning_rate_range_upwards_removes_the_edge_warning():
    """What the data say: with lr in 10^(−3 … 0) the best trial's lr lies inside the range (not in its top or bottom
    tenth), so the page no longer warns; and it is far better than the book's range's best."""
    at = open_study("search")
    book_best = trials(at)[2].max()
    at.slider(key="net.lrr").set_value((-3.0, 0.0)).run()
    no_exception(at)
    assert at.query_params["net.lrr"] == "-3,0"
    assert not at.warning, texts(at.warning)
    lr, decay, accuracy = trials(at)
    best = int(np.argmax(accuracy))
    assert 0.1 < (lr[best] + 3.0) / 3.0 < 0.9 and 0.1 < (decay[best] + 8.0) / 4.0 < 0.9
    assert accuracy.max() > book_best + 0.3, (accuracy.max(), book_best)


# --- the URL ----------------------------------------------------------------------------------------------------------


def test_an_overfitting_link_opens_its_settings():
    query = {"net.view": "overfit", "net.wd": "0.03", "net.drop": "0.2", "net.dconv": "book", "net.ofn": "100"}
    at = open_network(query)
    no_exception(at)
    assert not at.warning, texts(at.warning)
    assert at.select_slider(key="net.ofn").value == 100
    assert at.select_slider(key="net.wd").value == 0.03
    assert at.slider(key="net.drop").value == pytest.approx(0.2)
    assert at.radio(key=choice_key(at, "net.dconv")).value == "book"
    assert net_query(at) == query  # written back as read
    ys = trace_ys(charts(at)[0])
    assert list(ys) == ["plain: training", "plain: validation", "λ = 0.03, r = 0.2: training",
                        "λ = 0.03, r = 0.2: validation"]
    assert is_fraction_of(ys["plain: training"], 100)  # 100 training images
    assert "on 100 of the 8×8 digits" in " ".join(study_captions(at))
    again = open_app({key: at.query_params[key] for key in at.query_params})
    no_exception(again)
    assert charts(again) == charts(at)


BOOK_LR_TEXT = "using -6.0,-2.0"


@pytest.mark.parametrize("key, value, view, words, fallback", [
    ("net.lrr", "abc", "search", ("low < high", BOOK_LR_TEXT), BOOK_LR_RANGE),
    ("net.lrr", "-2,-6", "search", ("low < high", BOOK_LR_TEXT), BOOK_LR_RANGE),
    ("net.trials", "999", "search", ("a whole number", "using 20"), 20),
    ("net.drop", "0.7", "overfit", ("a number from 0 to 0.5", "using 0.0"), 0.0),
    ("net.wd", "0.05", "overfit", ("one of 0.0, 0.001", "using 0.1"), 0.1),
])
def test_a_malformed_study_value_in_the_url_warns_and_falls_back(key, value, view, words, fallback):
    at = open_study(view, **{key: value})
    no_exception(at)
    refused = [shown(w.value) for w in at.warning if shown(w.value).startswith("URL value")]
    assert len(refused) == 1, texts(at.warning)
    assert f"{key}='{value}' is not valid" in refused[0], refused
    for word in words:
        assert word in refused[0], (word, refused)
    assert at.session_state[key] == fallback
    assert key not in at.query_params  # the default, not written
    assert len(at.get("plotly_chart")) == CHARTS[view]  # the view still shows its study, with the default


# --- Batch Norm in the lab's own network --------------------------------------------------------------------------


def test_batch_norm_in_the_labs_network_trains_and_draws_its_regions():
    at = open_network({"net.bn": "1"})
    no_exception(at)
    assert at.toggle(key="net.bn").value is True
    assert "Batch Norm" in at.expander[0].label and "100 relu + Batch Norm" in at.expander[0].label
    assert at.query_params["net.bn"] == "1"
    with_bn = loss_traces(figure(at))
    assert list(with_bn) == ["1 SGD", "2 Momentum", "3 AdaGrad", "4 Adam"]
    for raw, smooth in with_bn.values():
        assert len(raw) == 1000 and np.all(np.isfinite(smooth)) and smooth[-1] < smooth[0]
    # the gradient check names Batch Norm's γ and β of the hidden layer (2-100-3: 100 each)
    show_view(at, "gradcheck")
    no_exception(at)
    assert list(at.dataframe[0].value["layer"]) == ["W1", "b1", "gamma1", "beta1", "W2", "b2"]
    show_view(at, "regions")
    no_exception(at)
    regions = figure(at)
    assert len(regions["layout"]["images"]) == 4 and len(regions["frames"]) == 51
    # without Batch Norm it is another network: other curves
    at.toggle(key="net.bn").set_value(False).run()
    show_view(at, "loss")
    no_exception(at)
    assert "Batch Norm" not in at.expander[0].label and "net.bn" not in at.query_params
    assert not np.array_equal(loss_traces(figure(at))["1 SGD"][0], with_bn["1 SGD"][0])


# --- a view change keeps the other settings -------------------------------------------------------------------------


def test_a_view_change_keeps_the_choices_of_the_other_views():
    """The choice widgets (radios kept under their own key: ui/widgets.py's choice) survive other views."""
    at = open_study("overfit", **{"net.dconv": "book"})
    switch_view(at, "init")
    at.radio(key=choice_key(at, "net.iact")).set_value("relu").run()
    switch_view(at, "search")
    at.slider(key="net.trials").set_value(10).run()  # a rerun on the other view
    switch_view(at, "overfit")
    no_exception(at)
    assert at.radio(key=choice_key(at, "net.dconv")).value == "book"
    assert at.session_state["net.iact"] == "relu"
    assert at.query_params["net.dconv"] == "book" and at.query_params["net.iact"] == "relu"


def test_a_view_change_keeps_the_weight_decay_and_the_dropout():
    at = open_study("overfit")
    at.select_slider(key="net.wd").set_value(0.03).run()
    at.slider(key="net.drop").set_value(0.2).run()
    assert at.query_params["net.wd"] == "0.03"
    switch_view(at, "search")
    assert at.query_params.get("net.wd") == "0.03", net_query(at)
    switch_view(at, "overfit")
    no_exception(at)
    assert at.select_slider(key="net.wd").value == 0.03 and at.slider(key="net.drop").value == pytest.approx(0.2)
    assert at.query_params.get("net.wd") == "0.03", net_query(at)


def test_a_study_view_keeps_the_labs_own_network():
    at = open_network()
    at.select_slider(key="net.units").set_value(50).run()
    switch_view(at, "init")
    at.radio(key=choice_key(at, "net.iact")).set_value("relu").run()  # one rerun on the study view
    assert at.query_params.get("net.units") == "50", net_query(at)
    switch_view(at, "loss")
    assert at.session_state["net.units"] == 50 and "50 relu" in at.expander[0].label


def test_the_ensembles_keep_the_searchs_narrowed_ranges():
    at = open_study("search")
    at.button(key="net.search.narrow").click().run()
    narrowed = at.session_state["net.lrr"], at.session_state["net.wdr"]
    switch_view(at, "ensembles")
    no_exception(at)
    at.slider(key="net.members").set_value(6).run()
    no_exception(at)
    kept = tuple(at.session_state[key] if key in at.session_state else None for key in ("net.lrr", "net.wdr"))
    assert kept == narrowed
    assert "net.lrr" in at.query_params, net_query(at)
