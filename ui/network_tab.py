"""The "Network" tab: the page's runs train a small neural network (``nets``), the book's Fig. 6-9 protocol (the same
initial weights, the same minibatches), and the class sees the loss curves, the decision regions, the loss landscape
with every run's path on it, and a gradient check.  Streamlit only: the settings are ``page_model.network_lab.Lab``
(in the session state: ``ui/state.py``), the work is ``nets``, the pictures ``viz.network``.

The training is kept in the session (one, the latest: bounded), with a progress bar while it runs; moving the shown
iteration only redraws.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from nets import data as datasets
from nets import gradcheck, landscape, network, train
import page_model
from page_model import Scene, network_lab
from viz import i18n
from viz import network as pictures

from . import heavy_work, network_studies, stage, viewport, widgets
from .checked_figure import plotly_chart
from . import state as page_state
from .state import LAB_KEYS, lab_from_state, net_lr_key, option_labels, run_looks, tr

VIEW_TITLES = {"loss": "Loss curves", "regions": "Decision regions", "landscape": "Landscape",
               "gradcheck": "Gradient check", "init": "Initial weights", "batchnorm": "Batch Norm",
               "overfit": "Overfitting", "search": "Hyperparameter search", "ensembles": "Ensembles"}
INIT_TITLES = {"he": "He: √(2/n)", "xavier": "Xavier: √(1/n)", "0.01": "σ = 0.01", "0.1": "σ = 0.1", "1": "σ = 1"}
PRESET_TITLES = {"spiral": "cs231n's spiral, 2-100-3",
                 "book_digits": "The book's Fig. 6-9 on the digits: SGD, Momentum, AdaGrad, Adam"}
PLANE_TITLES = {"pca": "principal directions of the paths", "random": "filter-normalised random directions"}
REGION_SIZE = 64
REGION_FRAMES = 51
GRADCHECK_EXAMPLES = 16


def render(scene: Scene) -> None:
    view = view_picker()
    if view in network_lab.STUDY_VIEWS:  # the book's ch. 6 experiments, each in its own setting
        st.caption(tr("The book's chapter 6 experiment, in the book's setting scaled to the 8×8 digits (the caption "
                      "under the figure says how); the class's changes are in the link."))
        network_studies.render(view, scene.lang)
        return
    st.caption(tr("The runs above train a small neural network: the same initial weights and the same minibatches for "
                  "every run (the book's Fig. 6-9), so the only difference is the optimizer. Each run has a learning "
                  "rate of its own for the network."))
    preset_buttons()
    controls(scene)
    lab = lab_from_state()
    try:
        data = dataset(lab.data, lab.data_params, lab.seed)
        arch = lab.architecture(data).check()
        runs, titles, refused = network_runs(scene, lab, arch)
    except ValueError as error:
        st.error(widgets.literal(i18n.render(i18n.Message.of(error), scene.lang)))
        return
    if view == "regions" and not data.is_2d:
        view = "loss"
    for message in refused:
        st.info(widgets.literal(i18n.render(message, scene.lang)))
    if not runs:
        st.info(tr("No run can train this network: add a first-order run (SGD, Momentum, AdaGrad, Adam, …)."))
        return
    work = train.work(arch, runs, lab.iterations, lab.batch, len(data.y_train))
    if work > train.MAX_WORK:
        st.error(tr("This training is too large for the page: about {work:.2g} operations, the limit is {limit:.2g}. "
                    "Lower the iterations, the batch size, the units, the layers or the number of runs.", work=work,
                    limit=train.MAX_WORK))
        return
    training = trained(lab, data, arch, runs, titles)
    looks = [look for look, title in zip(run_looks(), all_titles(scene)) if title in titles]
    show(view, lab, data, arch, training, titles, [look.colour for look in looks], scene.lang)


def preset_buttons() -> None:
    columns = st.columns(len(PRESET_TITLES))
    for column, (name, title) in zip(columns, PRESET_TITLES.items()):
        column.button(tr(title), key=f"net.preset.{name}", on_click=widgets.safe(on_preset), args=(name,),
                      width="stretch")


def on_preset(name: str) -> None:
    """A lab preset: its data set, network and training; the book's figure also brings the book's four runs."""
    if name == "book_digits":
        runs = page_model.PRESETS["book"].scene.runs
        page_state.load_scene(page_model.with_runs(page_state.scene_from_state(), runs), keep_display=True)
    page_state.load_lab(network_lab.PRESETS[name])


def controls(scene: Scene) -> None:
    """The data set, the network and the training (folded under a one-line summary), and each run's learning rate
    for the network."""
    state = st.session_state
    for field in ("layers", "units", "batch", "iterations", "seed", "batchnorm"):
        state.setdefault(LAB_KEYS[field], getattr(network_lab.Lab(), field))
    with st.expander(summary(lab_from_state(), scene.lang), key="net.settings_open"):
        data_col, net_col, train_col = st.columns(3)
        with data_col:
            data_controls(scene.lang)
        with net_col:
            network_controls()
        with train_col:
            st.select_slider(tr("batch size"), network_lab.BATCH_OPTIONS, key="net.batch")
            st.select_slider(tr("iterations"), network_lab.ITERATION_OPTIONS, key="net.iters")
            st.number_input(tr("seed (weights, minibatches, split)"), *network_lab.SEED_RANGE, key="net.seed")
    learning_rates(scene)


def data_controls(lang: str) -> None:
    state = st.session_state
    name = widgets.choice(st.selectbox, tr("data set"), tuple(datasets.DATASETS), key="net.data",
                          format_func=lambda n: datasets.DATASETS[n].title_zh if lang == "zh"
                          else datasets.DATASETS[n].title)
    for param in datasets.DATASETS[name].params:
        key = f"net.{name}.{param.name}"
        state.setdefault(key, param.default)
        title = param.title_zh if lang == "zh" else param.title
        if param.integer:
            st.number_input(title, int(param.low), int(param.high), step=10 if param.high > 100 else 1, key=key)
        else:
            st.slider(title, float(param.low), float(param.high), step=0.05, key=key)


def network_controls() -> None:
    labels = option_labels()
    st.select_slider(tr("hidden layers"), range(network.HIDDEN_LAYERS[0], network.HIDDEN_LAYERS[1] + 1), key="net.layers")
    st.select_slider(tr("units per layer"), network_lab.UNIT_OPTIONS, key="net.units")
    widgets.choice(st.selectbox, tr("activation"), network_lab.ACTIVATIONS, key="net.act", format_func=labels)
    widgets.choice(st.selectbox, tr("initial weights"), network_lab.INITS, key="net.init",
                   format_func=lambda v: labels(INIT_TITLES[v]))
    st.toggle(tr("Batch Norm after every hidden affine layer"), key="net.bn")


def summary(lab, lang: str) -> str:
    """The expander's title: the data set, the network and the training in one line."""
    spec = datasets.DATASETS[lab.data]
    title = spec.title_zh if lang == "zh" else spec.title
    shape = "-".join(map(str, lab.hidden))
    activation = f"{lab.activation} + Batch Norm" if lab.batchnorm else lab.activation
    return i18n.t("Data: {data} · network: {shape} {activation} · batch {batch} · {iterations} iterations", lang,
                  data=title, shape=shape, activation=activation, batch=lab.batch, iterations=lab.iterations)


def learning_rates(scene: Scene) -> None:
    """One learning-rate slider per run, in the run's colour order (the book's defaults: SGD 0.01, Adam 0.001)."""
    state = st.session_state
    columns = st.columns(max(1, min(4, len(state["run_ids"]))))
    for index, (run_id, run) in enumerate(zip(state["run_ids"], scene.runs)):
        key = net_lr_key(run_id, run.optimizer)
        state.setdefault(key, network_lab.default_lr(run.optimizer))
        options = _lr_options(state[key])
        columns[index % len(columns)].select_slider(
            tr("{run}: η for the network", run=f"{index + 1} {run.title}"), options, key=key,
            format_func=widgets.number_format)


def _lr_options(value: float) -> tuple:
    grid = tuple(round(m * 10.0 ** e, 12) for e in range(-5, 1) for m in (1, 2, 3, 5)) + (10.0,)
    return grid if value in grid else tuple(sorted(grid + (value,)))


def all_titles(scene: Scene) -> list:
    return [f"{index + 1} {run.title}" for index, run in enumerate(scene.runs)]


def network_runs(scene: Scene, lab, arch) -> tuple:
    """(optimizers, their titles, messages for the refused runs): each run's settings with its network lr and the
    scene's schedule over the lab's iterations."""
    over_iterations = dataclasses.replace(scene, steps=lab.iterations)
    optimizers, titles, refused = [], [], []
    for index, (run, title) in enumerate(zip(scene.runs, all_titles(scene))):
        spec = dataclasses.replace(run, hyper=tuple((k, lab.lr(index, run.optimizer) if k == "lr" else v)
                                                    for k, v in run.hyper))
        optimizer = over_iterations.optimizer(spec)
        words = train.refusal_words(optimizer, arch.n_params)
        if words:
            refused.append(i18n.Message("Run {number} is left out: {reason}", number=index + 1,
                                        reason=i18n.Message(words[0], **words[1])))
            continue
        optimizers.append(optimizer)
        titles.append(title)
    return optimizers, titles, refused


@st.cache_data(max_entries=16, max_size="64MB", show_spinner=False)
def dataset(name: str, params: tuple, seed: int):
    return datasets.load(name, seed=seed, **dict(params))


def trained(lab, data, arch, runs, titles):
    """The training of these runs, kept in the session (the latest one only); a progress bar while it runs."""
    state = st.session_state
    key = (lab.data, lab.data_params, arch, lab.batch, lab.iterations, lab.seed, lab.init, tuple(map(repr, runs)))
    kept = state.get("net_training")
    if kept is None or kept[0] != key:
        state.pop("net_training", None)  # free the old one first: one training per session
        training = heavy_work.run(lambda progress: train.train(
            arch, data, runs, iterations=lab.iterations, batch_size=lab.batch, seed=lab.seed, init=lab.init_scale(),
            progress=progress), tr("Training the network…"))
        kept = (key, training, {})
        state["net_training"] = kept
    return kept[1]


def extras() -> dict:
    """What was derived from the kept training (the landscape of each plane), kept beside it."""
    return st.session_state["net_training"][2]


def once(key: tuple, build):
    """A figure of the kept training, built once per look (view, language, type size, …): a rerun that changes
    nothing in it sends it again without rebuilding its frames.  At most a few are kept."""
    figures = extras().setdefault("figures", {})
    if key not in figures:
        if len(figures) >= 6:
            figures.clear()
        figures[key] = build()
    return figures[key]


def view_picker() -> str:
    """The view (the decision regions only for a 2-D data set)."""
    is_2d = datasets.DATASETS[st.session_state.get("net.data", network_lab.Lab().data)].is_2d
    views = tuple(VIEW_TITLES) if is_2d else tuple(v for v in VIEW_TITLES if v != "regions")
    labels = option_labels()
    return widgets.choice(st.segmented_control, tr("Network view"), views, key="net.view",
                          format_func=lambda v: labels(VIEW_TITLES[v]), label_visibility="collapsed")


def font_size() -> int:
    return 20 if st.session_state.get("projector") else 14


def show(view, lab, data, arch, training, titles, colours, lang) -> None:
    diverged = [f"{title} ({tr('diverged at iteration {k}', k=int(k))})"
                for title, k in zip(titles, training.diverged_at) if k >= 0]
    if diverged:
        st.warning(widgets.literal(", ".join(diverged)))
    font = font_size()
    if view == "loss":
        narrow = viewport.is_narrow()
        figure = once(("loss", lang, font, narrow), lambda: pictures.loss_figure(training, titles, colours, lang=lang,
                                                                                 font_size=font, narrow=narrow))
        plotly_chart(figure, key="net_loss_chart")
    elif view == "regions":
        regions(data, arch, training, titles, lang, font)
    elif view == "landscape":
        landscape_view(lab, data, arch, training, titles, colours, lang, font)
    else:
        gradient_check(data, arch, training, titles, lang)


def frames_of(training) -> np.ndarray:
    """The kept iterations' indices that the decision regions play: at most REGION_FRAMES of them."""
    count = len(training.checkpoints)
    return np.unique(np.round(np.linspace(0, count - 1, min(count, REGION_FRAMES))).astype(int))


def regions(data, arch, training, titles, lang, font) -> None:
    kept = extras()
    if "regions" not in kept:
        xs, ys, points = pictures.region_grid(data.bounds, REGION_SIZE)
        frames = frames_of(training)
        kept["regions"] = (xs, ys, frames, network.predict_proba_chunked(
            arch, training.weights[:, frames], points, training.buffers[:, frames], **training.evaluation()))
    xs, ys, frames, probabilities = kept["regions"]
    narrow = viewport.is_narrow()
    figure = once(("regions", lang, font, narrow), lambda: pictures.regions_figure(
        xs, ys, probabilities, data, titles, training.val_accuracy[:, frames], training.checkpoints[frames], lang=lang,
        font_size=font, narrow=narrow))
    plotly_chart(figure, key="net_regions_chart")


def landscape_view(lab, data, arch, training, titles, colours, lang, font) -> None:
    labels = option_labels()
    plane_kind = widgets.choice(st.radio, tr("plane"), network_lab.PLANES, key="net.plane", horizontal=True,
                                format_func=lambda v: labels(PLANE_TITLES[v]))
    kept = extras()
    if plane_kind not in kept:
        kept[plane_kind] = heavy_work.run(lambda progress: landscape.of_network(
            arch, data.x_train, data.y_train, training.weights, training.train_loss[:, -1], plane_kind, lab.seed),
            tr("Computing the landscape…"), progress_bar=False)
    view = kept[plane_kind]
    plane, alphas, betas, losses, coords = view.plane, view.alphas, view.betas, view.losses, view.coords
    if view.examples < view.available:
        st.caption(tr("The loss on the plane is measured on {k} of the {n} training examples (a fixed random subset), "
                      "so that it answers in about a second.", k=view.examples, n=view.available))
    if plane.kind == "pca":
        st.caption(tr("The plane through the best run's final weights spanned by the first two principal directions "
                      "of all the runs' weight paths: it holds {share:.1%} of their variance.", share=plane.explained))
    else:
        st.caption(tr("The plane through the best run's final weights along two random directions, each filter "
                      "scaled to the weights' own (Li et al. 2018); the paths are projected onto it."))
    hide, narrow = stage.settings()["hide"], viewport.is_narrow()
    figure = once(("landscape", plane_kind, lang, font, hide, narrow), lambda: pictures.landscape_figure(
        alphas, betas, losses, coords, training.checkpoints, titles, colours, lang=lang, hide_future=hide,
        font_size=font, narrow=narrow))
    plotly_chart(figure, key="net_landscape_chart")


def gradient_check(data, arch, training, titles, lang) -> None:
    left, right = st.columns(2)
    run = left.selectbox(tr("run"), range(len(titles)), format_func=lambda i: titles[i], key="net.check_run")
    checkpoints = training.checkpoints.tolist()
    at = right.select_slider(tr("at iteration"), checkpoints, value=checkpoints[-1], key="net.check_at")
    theta = training.weights[run, checkpoints.index(at)].astype(float)
    if not np.all(np.isfinite(theta)):
        st.info(tr("This run's weights are not finite here: nothing to check."))
        return
    checks = gradcheck.check(arch, theta, data.x_train[:GRADCHECK_EXAMPLES], data.y_train[:GRADCHECK_EXAMPLES],
                             max_coords_per_layer=40)
    st.dataframe(pictures.gradcheck_rows(checks, lang), hide_index=True)
    st.caption(tr("Analytic gradients (backpropagation) against centred differences (f(θ + h) − f(θ − h))/2h, "
                  "h = 1e-5, on {n} training examples: the largest relative error |a − n| / max(|a|, |n|) per layer. "
                  "cs231n's rule: above 1e-2 the gradient is probably wrong; 1e-2 to 1e-4 is uncomfortable; 1e-4 to "
                  "1e-7 is fine for ReLU (its kinks) but too high for tanh or sigmoid; below 1e-7 is good.",
                  n=GRADCHECK_EXAMPLES))
