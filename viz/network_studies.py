"""The pictures of the network lab's chapter-6 experiments (Plotly figures as dicts): the four initial weights
training (Fig. 6-15), with and without Batch Norm across weight scales (Fig. 6-19), training against validation
accuracy with weight decay or dropout (Figs. 6-20, 6-21, 6-23), a hyperparameter search (Fig. 6-24 and the scatter
of every trial), and the four kinds of ensembles.  English here, through ``t`` in the page's language.  No
Streamlit here.
"""

from __future__ import annotations

import numpy as np

from .figures import _f32
from .i18n import t
from .network import CLASS_COLOURS, INIT_NAMES, _layout, smooth_curve

TRAIN_DASH, VAL_DASH = "solid", "dash"
PLAIN_COLOUR, REGULARISED_COLOUR = "#888888", "#D55E00"
ENSEMBLE_TITLES = {"inits": "The same model, different initialisations",
                   "search": "The best models of the search",
                   "checkpoints": "Checkpoints of one run",
                   "average": "Running average of one run's parameters"}


def _axes(index: int) -> tuple:
    """("x", "y") for the first subplot, ("x2", "y2") for the second, …"""
    suffix = "" if index == 1 else str(index)
    return "x" + suffix, "y" + suffix


def _grid(layout: dict, rows: int, columns: int, gap: float = 0.06, **axis) -> list:
    """Lay out rows × columns subplots in ``layout``; their (x, y) axis names, row by row.  ``gap``: between columns,
    a share of the width; between rows there is room for a row's tick labels and the next row's title at the
    layout's type size."""
    font = layout["font"]["size"]
    plot_height = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    vgap = min(0.3, (3.2 * font + 8) / plot_height * rows) / rows  # a share of the plotting height, per row
    names = []
    for row in range(rows):
        for column in range(columns):
            x, y = _axes(row * columns + column + 1)
            layout["xaxis" + x[1:]] = dict(domain=[column / columns + gap / 2, (column + 1) / columns - gap / 2],
                                           anchor=y, **axis)
            layout["yaxis" + y[1:]] = dict(domain=[1 - (row + 1) / rows + vgap, 1 - row / rows], anchor=x)
            names.append((x, y))
    return names


def _subtitle(layout: dict, text: str, x: str, y: str, font_size: int) -> None:
    layout.setdefault("annotations", []).append(dict(text=text, showarrow=False, xref=f"{x} domain",
                                                     yref=f"{y} domain", x=0.5, y=1.0, yanchor="bottom",
                                                     font=dict(size=font_size)))


def init_training_figure(training, scales, *, lang="en", font_size=14) -> dict:
    """The book's Fig. 6-15: the minibatch loss of each initial weight scale per iteration, smoothed (the raw curve
    faint); a run that diverged ends where it did, marked."""
    iterations = np.arange(training.iterations)
    data = []
    for run, (scale, colour) in enumerate(zip(scales, CLASS_COLOURS)):
        name = t(INIT_NAMES.get(scale, scale), lang)
        diverged = int(training.diverged_at[run])
        if diverged >= 0:
            name = f"{name} ({t('diverged at iteration {k}', lang, k=diverged)})"
        loss = training.loss[run]
        data.append(dict(type="scatter", x=_f32(iterations), y=_f32(loss), mode="lines", line=dict(color=colour,
                         width=1), opacity=0.25, showlegend=False, hoverinfo="skip", legendgroup=scale))
        data.append(dict(type="scatter", x=_f32(iterations), y=_f32(smooth_curve(loss)), mode="lines", name=name,
                         line=dict(color=colour, width=3), legendgroup=scale,
                         hovertemplate=f"{name}<br>{t('iteration', lang)} %{{x}}<br>{t('loss', lang)} %{{y:.3f}}"
                                       "<extra></extra>"))
    layout = _layout(font_size, lang, height=420, xaxis=dict(title=dict(text=t("iteration", lang))),
                     yaxis=dict(title=dict(text=t("loss", lang)), range=[0, _loss_ceiling(training)]))
    return dict(data=data, layout=layout)


def _loss_ceiling(training) -> float:
    """The loss axis's top: a little above the highest smoothed loss of the runs that did not diverge (a diverged
    run leaves through the top, as the book's σ = 1 would), at least ln 10 + 0.5 (the untrained loss of 10 classes)."""
    highs = [np.nanmax(smooth_curve(loss)) for loss, k in zip(training.loss, training.diverged_at)
             if k < 0 and np.isfinite(loss).any()]
    return float(max([np.log(10) + 0.5, *(1.1 * high for high in highs if np.isfinite(high))]))


def batchnorm_figure(comparison, *, lang="en", font_size=14, narrow=False) -> dict:
    """The book's Fig. 6-19: a small chart per weight scale σ, the training accuracy per epoch with Batch Norm
    (solid) and without (dashed)."""
    count = len(comparison.scales)
    columns = 2 if narrow else 4
    rows = -(-count // columns)
    layout = _layout(font_size, lang, height=((230 if narrow else 250) + 6 * (font_size - 14)) * rows + 90,
                     showlegend=True)
    axes = _grid(layout, rows, columns, gap=0.09, range=[0, comparison.epochs[-1]])
    epochs, data = _f32(comparison.epochs), []
    for index, (scale, (x, y)) in enumerate(zip(comparison.scales, axes)):
        for values, name, colour, dash in ((comparison.with_bn[index], "with Batch Norm", "#0072B2", "solid"),
                                           (comparison.without_bn[index], "without Batch Norm", "#E69F00", "dash")):
            data.append(dict(type="scatter", x=epochs, y=_f32(values), mode="lines", xaxis=x, yaxis=y,
                             name=t(name, lang), legendgroup=name, showlegend=index == 0,
                             line=dict(color=colour, width=2.5, dash=dash),
                             hovertemplate=f"{t(name, lang)}<br>{t('epoch', lang)} %{{x}}<br>"
                                           f"{t('training accuracy', lang)} %{{y:.1%}}<extra></extra>"))
        layout["yaxis" + y[1:]].update(range=[0, 1.02], tickformat=".0%", showticklabels=index % columns == 0)
        _subtitle(layout, f"σ = {scale:.2g}", x, y, font_size)
    layout["annotations"].append(dict(text=t("epoch", lang), showarrow=False, xref="paper", yref="paper", x=0.5,
                                      y=0, yanchor="top", yshift=-round(1.7 * font_size), font=dict(size=font_size)))
    return dict(data=data, layout=layout)


def overfit_figure(plain, regularised, examples: int, setting_name: str, *, lang="en", font_size=14) -> dict:
    """The book's Figs. 6-20, 6-21 and 6-23 in one chart: training (solid) and validation (dashed) accuracy per
    epoch, of the plain network (grey) and of the one with the chosen weight decay and dropout (colour)."""
    data = []
    for training, name, colour in ((plain, t("plain", lang), PLAIN_COLOUR), (regularised, setting_name,
                                                                                  REGULARISED_COLOUR)):
        epochs = _f32(training.epochs(examples))
        for values, split, dash in ((training.train_accuracy[0], "training", TRAIN_DASH),
                                    (training.val_accuracy[0], "validation", VAL_DASH)):
            label = f"{name}: {t(split, lang)}"
            data.append(dict(type="scatter", x=epochs, y=_f32(values), mode="lines", name=label,
                             line=dict(color=colour, width=3, dash=dash),
                             hovertemplate=f"{label}<br>{t('epoch', lang)} %{{x:.0f}}<br>%{{y:.1%}}<extra></extra>"))
    layout = _layout(font_size, lang, height=440, xaxis=dict(title=dict(text=t("epoch", lang))),
                     yaxis=dict(title=dict(text=t("accuracy", lang)), range=[0, 1.02], tickformat=".0%"))
    return dict(data=data, layout=layout)


def search_scatter(search, *, lang="en", font_size=14) -> dict:
    """Every trial at (lr, λ) on log axes, coloured by its final validation accuracy; the best ringed; the searched
    ranges drawn as a box."""
    final = np.nan_to_num(search.val_accuracy[:, -1], nan=0.0)
    best = int(search.ranking()[0])
    text = [f"lr {lr:.2e}<br>λ {wd:.2e}<br>{t('validation accuracy', lang)} {acc:.1%}"
            for lr, wd, acc in zip(search.lr, search.weight_decay, final)]
    data = [dict(type="scatter", x=search.lr.tolist(), y=search.weight_decay.tolist(), mode="markers", text=text,
                 hovertemplate="%{text}<extra></extra>", showlegend=False,
                 marker=dict(size=13, color=final.tolist(), colorscale="Viridis", cmin=0, cmax=1,
                             line=dict(color="#333", width=0.5),
                             colorbar=dict(title=dict(text=t("validation accuracy", lang)), tickformat=".0%"))),
            dict(type="scatter", x=[float(search.lr[best])], y=[float(search.weight_decay[best])], mode="markers",
                 name=t("best", lang), marker=dict(size=24, color="rgba(0,0,0,0)", line=dict(color="#D55E00", width=3)),
                 hoverinfo="skip")]
    (lr_low, lr_high), (wd_low, wd_high) = search.lr_range, search.decay_range
    layout = _layout(font_size, lang, height=440,
                     xaxis=dict(type="log", title=dict(text=t("learning rate", lang)), exponentformat="power",
                                range=[lr_low - 0.2, lr_high + 0.2]),
                     yaxis=dict(type="log", title=dict(text=t("weight decay λ", lang)), exponentformat="power",
                                range=[wd_low - 0.2, wd_high + 0.2]),
                     shapes=[dict(type="rect", x0=10 ** lr_low, x1=10 ** lr_high, y0=10 ** wd_low, y1=10 ** wd_high,
                                  line=dict(color="#888", dash="dot"))])
    return dict(data=data, layout=layout)


def search_curves(search, top: int, *, lang="en", font_size=14) -> dict:
    """The book's Fig. 6-24: the best ``top`` trials' validation (dashed) and training (solid) accuracy per epoch, as
    the overfitting view draws them."""
    data = []
    for place, (trial, colour) in enumerate(zip(search.ranking()[:top], CLASS_COLOURS)):
        name = t("#{rank}: lr {lr}, λ {decay}", lang, rank=place + 1, lr=f"{search.lr[trial]:.2e}",
                 decay=f"{search.weight_decay[trial]:.1e}")
        for values, split, dash, legend in ((search.val_accuracy[trial], "validation", VAL_DASH, True),
                                            (search.train_accuracy[trial], "training", TRAIN_DASH, False)):
            data.append(dict(type="scatter", x=_f32(search.epochs), y=_f32(values), mode="lines", name=name,
                             legendgroup=name, showlegend=legend, line=dict(color=colour, width=2.5, dash=dash),
                             hovertemplate=f"{name}<br>{t(split, lang)}<br>{t('epoch', lang)} %{{x:.0f}}: "
                                           "%{y:.1%}<extra></extra>"))
    for split, dash in (("validation", VAL_DASH), ("training", TRAIN_DASH)):  # the key to the two line styles
        data.append(dict(type="scatter", x=[None], y=[None], mode="lines", name=t(split, lang),
                         line=dict(color="#888888", width=2.5, dash=dash), hoverinfo="skip"))
    layout = _layout(font_size, lang, height=440, xaxis=dict(title=dict(text=t("epoch", lang))),
                     yaxis=dict(title=dict(text=t("accuracy", lang)), range=[0, 1.02], tickformat=".0%"))
    layout["legend"] = dict(orientation="v", x=1.02, y=1)
    layout["margin"]["r"] = 10
    return dict(data=data, layout=layout)


def ensembles_figure(growths: dict, *, lang="en", font_size=14, narrow=False) -> dict:
    """A chart per kind of ensemble: each member's accuracy (dots, in the order they join), the members' mean so
    far (dotted) and the accuracy of the first k members together (the line), for k = 1 … K."""
    columns = 1 if narrow else 2
    rows = -(-len(growths) // columns)
    layout = _layout(font_size, lang, height=((260 if narrow else 300) + 6 * (font_size - 14)) * rows + 90)
    axes = _grid(layout, rows, columns, gap=0.12, dtick=1)
    data = []
    for index, ((kind, growth), (x, y)) in enumerate(zip(growths.items(), axes)):
        k = list(range(1, len(growth.members) + 1))
        mean = np.cumsum(growth.members) / np.arange(1, len(growth.members) + 1)
        average = kind == "average"
        parts = ((growth.members, "a member alone", dict(mode="markers", marker=dict(size=10, color="#888888"))),
                 (mean, "mean of the members so far", dict(mode="lines", line=dict(color="#888888", dash="dot"))),
                 (growth.ensemble, "the averaged weights" if average else "the ensemble (averaged predictions)",
                  dict(mode="lines+markers", line=dict(color="#D55E00" if average else "#0072B2", width=3))))
        for values, name, style in parts:
            data.append(dict(type="scatter", x=k, y=_f32(values), xaxis=x, yaxis=y, name=t(name, lang),
                             legendgroup=name, showlegend=index == 0 or (average and "weights" in name),
                             hovertemplate=f"{t(name, lang)}<br>k = %{{x}}: %{{y:.1%}}<extra></extra>", **style))
        low = float(np.nanmin(np.r_[growth.members, growth.ensemble, 1.0]))  # a range per chart: the gains are small
        layout["yaxis" + y[1:]].update(range=[max(0.0, low - 0.03), 1.0], tickformat=".0%")
        _subtitle(layout, t(ENSEMBLE_TITLES[kind], lang), x, y, font_size)
    layout["annotations"].append(dict(text=t("members k", lang), showarrow=False, xref="paper", yref="paper",
                                      x=0.5, y=0, yanchor="top", yshift=-round(1.7 * font_size), font=dict(size=font_size)))
    return dict(data=data, layout=layout)
