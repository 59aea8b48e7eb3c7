"""The network lab's chapter-6 views: the book's experiments on the initial weights, Batch Normalization,
overfitting with weight decay and dropout, hyperparameter search on validation data, and the notes' ensembles.

Each runs in its own setting, the book's scaled to the 8×8 digits and stated in its caption, so that a class can
compare with the book; what the class changes (the activation, λ, the dropout ratio, the search's ranges, …) is in
the URL (``page_model.network_lab.Lab``).  The work is ``nets``; its results are shared by every session of the
server (``shared_result``: a class opening the same view pays for it once), the pictures are
``viz.network_studies``.  Streamlit only.
"""

from __future__ import annotations

import streamlit as st

from nets import batchnorm_study, ensembles, init_study, overfitting, search
from nets import data as datasets
from page_model import network_lab
from page_model.shared_results import SharedResults
from viz import network as pictures
from viz import network_studies as study_pictures

from . import heavy_work, viewport, widgets
from .checked_figure import plotly_chart
from .state import LAB_KEYS, lab_from_state, option_labels, tr

SHARED_BYTES = 96e6  # the studies' results kept for the whole server (the search's final weights are the largest)
CONVENTION_TITLES = {"inverted": "inverted: × 1/(1 − r) in training (cs231n)",
                     "book": "the book's: × (1 − r) at test time"}


@st.cache_resource(show_spinner=False)
def shared_results() -> SharedResults:
    """One store per server for every session."""
    return SharedResults(SHARED_BYTES)


def shared_result(key: tuple, compute, text: str):
    """The result of ``compute(progress)`` for ``key``: kept for the class; computed here (through the server's queue,
    with a progress bar) when no one has, or awaited when another session is computing it."""
    store = shared_results()
    found = store.get(key)
    if found is not None:
        return found
    if store.is_pending(key):
        with st.spinner(tr("Another student started this computation: waiting for it…")):
            return store.get_or_compute(key, lambda: heavy_work.run(compute, text))
    return store.get_or_compute(key, lambda: heavy_work.run(compute, text))


def font_size() -> int:
    return 20 if st.session_state.get("projector") else 14


def show(figure: dict, key: str) -> None:
    plotly_chart(figure, key=key)


STUDY_FIELDS = ("init_activation", "overfit_examples", "weight_decay", "dropout", "dropout_convention", "trials",
                "lr_range", "decay_range", "members")


def render(view: str, lang: str) -> None:
    state = st.session_state
    for field in STUDY_FIELDS:  # a widget drawn for the first time starts from the lab's default, not its own
        state.setdefault(LAB_KEYS[field], getattr(network_lab.Lab(), field))
    {"init": initial_weights, "batchnorm": batch_norm, "overfit": overfitting_view, "search": search_view,
     "ensembles": ensembles_view}[view](lang)


def initial_weights(lang: str) -> None:
    """The book's experiment (ch. 6.2) and then the same scales training the digits (Fig. 6-15)."""
    labels = option_labels()
    activation = widgets.choice(st.radio, tr("activation"), network_lab.INIT_ACTIVATIONS, key="net.iact",
                                horizontal=True, format_func=labels)
    st.caption(tr("The book's experiment (ch. 6.2): 1000 random inputs through 5 layers of 100 units, no bias; each "
                  "histogram counts one layer's activations in 30 bins over 0 … 1. The book shows, for the sigmoid, "
                  "σ = 1 piling them at 0 and 1 (the gradient vanishes there, Fig. 6-10), σ = 0.01 collapsing them "
                  "near 0.5 (every unit says the same, Fig. 6-11) and Xavier keeping them spread (Fig. 6-13); with "
                  "ReLU, He's σ = √(2/n) keeps every layer alive where Xavier's shrinks layer by layer (Fig. 6-14)."))
    histograms = shared_result(("init-histograms", activation), lambda progress: {
        scale: init_study.histograms(scale, activation) for scale in init_study.SCALES}, tr("Computing…"))
    show(pictures.init_figure(histograms, lang=lang, font_size=font_size()), "net_init_chart")
    st.subheader(tr("Training with each scale (Fig. 6-15)"))
    setting = init_study.TRAINING
    training = shared_result(("init-training",), lambda progress: init_study.training(progress=progress),
                             tr("Training the network…"))
    show(study_pictures.init_training_figure(training, init_study.SCALES, lang=lang, font_size=font_size()),
         "net_init_training_chart")
    st.caption(tr("The book (Fig. 6-15) trains MNIST with a 5-layer network of 100 ReLU units, SGD lr 0.01, batch 128, "
                  "2000 iterations: σ = 0.01 does not learn at all, Xavier learns and He learns fastest. Here: the "
                  "8×8 digits, the same ReLU network, SGD lr {lr}, batch {batch}, {iterations} iterations; σ = 1 "
                  "sends the loss to infinity.", lr=setting["lr"],
                  batch=setting["batch"], iterations=setting["iterations"]))


def batch_norm(lang: str) -> None:
    """The book's Figs. 6-18 and 6-19: with and without Batch Norm across initial weight scales."""
    comparison = shared_result(("batchnorm",), lambda progress: batchnorm_study.compare(progress=progress),
                               tr("Training the network…"))
    narrow = viewport.is_narrow()
    show(study_pictures.batchnorm_figure(comparison, lang=lang, font_size=font_size(), narrow=narrow),
         "net_batchnorm_chart")
    setting = batchnorm_study.SETTING
    st.caption(tr("The book (Figs. 6-18, 6-19) trains 1000 MNIST images with a 6-layer network of 100 ReLU units, SGD "
                  "lr 0.01, batch 100, 20 epochs, from weights W ~ N(0, σ²) for 16 scales σ, with and without a Batch "
                  "Norm layer after every hidden affine layer: with it the network learns faster, and it learns at "
                  "scales where the plain one does not learn at all. Here: {examples} of the 8×8 digits, 4 hidden "
                  "layers of {units} units, SGD lr {lr}, batch {batch}, {epochs} epochs, {count} scales; training "
                  "accuracy with Batch Norm in evaluation mode (its running averages). The network lab's settings "
                  "have a Batch Norm switch too.", examples=setting["examples"], units=setting["hidden"][0],
                  lr=setting["lr"], batch=setting["batch"], epochs=setting["epochs"],
                  count=len(batchnorm_study.SCALES)))


def overfitting_view(lang: str) -> None:
    """The book's Figs. 6-20, 6-21 and 6-23: training against validation accuracy; weight decay and dropout."""
    labels = option_labels()
    left, middle, right = st.columns(3)
    examples = left.select_slider(tr("training images"), network_lab.OVERFIT_EXAMPLES, key="net.ofn")
    decay = middle.select_slider(tr("weight decay λ"), network_lab.WEIGHT_DECAYS, key="net.wd",
                                 format_func=widgets.number_format)
    dropout = right.slider(tr("dropout ratio r"), *network_lab.DROPOUT_RANGE, step=0.05, key="net.drop")
    convention = widgets.choice(st.radio, tr("dropout convention"), network_lab.DROPOUT_CONVENTIONS, key="net.dconv",
                                horizontal=True, format_func=lambda v: labels(CONVENTION_TITLES[v]))
    inverted = convention == "inverted"
    runs = {}
    for name, (wd, r) in (("plain", (0.0, 0.0)), ("regularised", (decay, dropout))):
        runs[name] = shared_result(("overfit", examples, wd, r, inverted if r else True),
                                   lambda progress, wd=wd, r=r: overfitting.run(wd, r, inverted, examples=examples,
                                                                               progress=progress),
                                   tr("Training the network…"))
    setting_name = tr("λ = {decay}, r = {dropout}", decay=widgets.number_format(decay), dropout=f"{dropout:g}")
    show(study_pictures.overfit_figure(runs["plain"], runs["regularised"], examples, setting_name, lang=lang,
                                       font_size=font_size()), "net_overfit_chart")
    gaps = st.columns(2)
    for column, (name, training) in zip(gaps, runs.items()):
        train_acc, val_acc = training.train_accuracy[0, -1], training.val_accuracy[0, -1]
        column.metric(tr("{name}: validation accuracy", name=tr("plain") if name == "plain" else setting_name),
                      f"{val_acc:.1%}", tr("training {train:.1%}, gap {gap:+.1%}", train=train_acc,
                                           gap=train_acc - val_acc), delta_color="off", delta_arrow="off")
    st.caption(tr("The book (Figs. 6-20, 6-21, 6-23) trains 300 MNIST images with a 7-layer network of 100 ReLU units, "
                  "SGD lr 0.01, batch 100, for 200 epochs: the training accuracy reaches 100 % while the test accuracy "
                  "stays far below (overfitting); weight decay λ = 0.1 (½·λ·Σ‖W‖² added to the loss) and dropout "
                  "r = 0.2 narrow the gap. Here: the same network and training on {examples} of the 8×8 digits, "
                  "validation on the 359 held-out ones. The digits are easier than MNIST, so the gap is smaller "
                  "with 300 images; 100 images show it clearly. Dropout drops each hidden unit with probability r "
                  "in training; the convention above says where the factor 1 − r goes (both give the same expected "
                  "output).", examples=examples))


def search_view(lang: str) -> None:
    """The book's hyperparameter search (Fig. 6-24) and cs231n's coarse-to-fine: a scatter of every trial."""
    trials_col, lr_col, decay_col = st.columns([1, 2, 2])
    trials_col.slider(tr("trials"), *search.TRIALS_RANGE, key="net.trials")
    lr_col.slider(tr("learning rate: 10^ from … to"), *search.EXPONENT_RANGE, step=0.1, key="net.lrr")
    decay_col.slider(tr("weight decay λ: 10^ from … to"), *search.EXPONENT_RANGE, step=0.1, key="net.wdr")
    lab = lab_from_state()
    found = searched(lab)
    narrow_col, book_col = st.columns(2)
    narrow_col.button(tr("Search again in the best five's range (coarse → fine)"), key="net.search.narrow",
                      on_click=widgets.safe(on_narrow), args=(found,), width="stretch")
    book_col.button(tr("The book's ranges"), key="net.search.book", on_click=widgets.safe(on_book_ranges),
                    width="stretch")
    for name, end in search.on_edge(found):
        st.warning(tr("The best trial lies at the {end} edge of the {name} range: a better value may lie outside "
                      "it. Widen the range on that side and search again (cs231n).", end=tr(end),
                      name=tr("learning rate" if name == "lr" else "weight decay λ")))
    left, right = st.columns(2) if not viewport.is_narrow() else (st.container(), st.container())
    with left:
        show(study_pictures.search_scatter(found, lang=lang, font_size=font_size()), "net_search_scatter")
    with right:
        show(study_pictures.search_curves(found, 5, lang=lang, font_size=font_size()), "net_search_curves")
    setting = search.SETTING
    st.caption(tr("The book's recipe (Fig. 6-24): sample lr = 10^uniform(−6, −2) and λ = 10^uniform(−8, −4), train "
                  "briefly, rank by the accuracy on VALIDATION data carved out of the training data, then narrow the "
                  "ranges and search again. Here: {trials} trials on {train} of the 8×8 digits' training images, "
                  "{val} more of them for validation (the held-out split is never used: it would be tuned to), 2 "
                  "hidden layers of 100 ReLU units, SGD, batch {batch}, {epochs} epochs each.", trials=lab.trials,
                  train=setting["examples"] - setting["validation"], val=setting["validation"],
                  batch=setting["batch"], epochs=setting["epochs"]))


def searched(lab) -> search.Search:
    """The search of the lab's settings (shared with the class)."""
    return shared_result(("search", lab.trials, lab.lr_range, lab.decay_range), lambda progress: search.run(
        digits(), lab.trials, lab.lr_range, lab.decay_range, progress=progress), tr("Searching…"))


def digits():
    """The lab's digits split (seed 0): the search carves its validation data out of its training part, the
    ensembles are measured on its held-out part."""
    return datasets.load("digits", seed=0)


def on_narrow(found) -> None:
    st.session_state["net.lrr"], st.session_state["net.wdr"] = search.narrowed(found)


def on_book_ranges() -> None:
    st.session_state["net.lrr"], st.session_state["net.wdr"] = search.BOOK_LR_RANGE, search.BOOK_DECAY_RANGE


def ensembles_view(lang: str) -> None:
    """The notes' four kinds of ensembles, as they grow."""
    st.slider(tr("members"), *ensembles.MEMBERS_RANGE, key="net.members")
    lab = lab_from_state()
    data = digits()
    base = shared_result(("ensemble-base", ensembles.MEMBERS_RANGE[1]), lambda progress: ensembles.base_training(
        data, ensembles.MEMBERS_RANGE[1], progress=progress), tr("Training the network…"))
    found = searched(lab)
    growths = {kind: ensembles.build(kind, data, lab.members, base, found) for kind in ensembles.KINDS}
    show(study_pictures.ensembles_figure(growths, lang=lang, font_size=font_size(), narrow=viewport.is_narrow()),
         "net_ensembles_chart")
    setting = ensembles.SETTING
    st.caption(tr("cs231n: averaging the predictions of several independently trained models gains a few percent, more "
                  "with more members and more when they differ. The four ways of the notes, each measured on the 359 "
                  "held-out digits: the same model from different initial weights; the best models of the search "
                  "(its current ranges); the weights of one run at its last checkpoints (every {every} iterations); "
                  "and the running average of one run's weights over those checkpoints (one network, not an "
                  "average of predictions). The models: {examples} training images, 2 hidden layers of 100 ReLU "
                  "units, Momentum lr {lr}, μ {mu}, batch {batch}, {iterations} iterations.",
                  every=setting["iterations"] // setting["keep"], examples=setting["examples"], lr=setting["lr"],
                  mu=setting["momentum"], batch=setting["batch"], iterations=setting["iterations"]))
