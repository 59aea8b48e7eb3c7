"""The network lab's settings as one immutable value (``Lab``), its URL form, and its presets.

The lab trains a small network (``nets``) with the page's runs: each run's optimizer and settings, but a
learning rate of its own for the network (``lrs``, by the run's position; a run without one takes
``default_lr`` of its optimizer, the book's Fig. 6-9 values).  The lab is part of a shared link under keys
``net.*``; ``from_query`` never raises (a bad value falls back with a warning naming the key and its range).

No Streamlit here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

from nets import data as datasets
from nets import ensembles, network, search
from viz.i18n import Message

from .scene import MAX_RUNS
from .url import _Reader

ACTIVATIONS = ("relu", "sigmoid", "tanh")
INITS = ("he", "xavier", "0.01", "0.1", "1")  # the book's weight_init_std values besides He and Xavier
VIEWS = ("loss", "regions", "landscape", "gradcheck", "init", "batchnorm", "overfit", "search", "ensembles")
STUDY_VIEWS = ("init", "batchnorm", "overfit", "search", "ensembles")  # the book's ch. 6 experiments: settings of their own
INIT_ACTIVATIONS = ("sigmoid", "tanh", "relu")
OVERFIT_EXAMPLES = (100, 300, 500)
WEIGHT_DECAYS = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
DROPOUT_RANGE = (0.0, 0.5)
DROPOUT_CONVENTIONS = ("inverted", "book")
PLANES = ("pca", "random")
BATCH_OPTIONS = (1, 8, 16, 32, 64, 100, 128, 256, 512, 1000, 2000)
ITERATION_OPTIONS = (50, 100, 200, 300, 500, 1000, 2000, 3000, 5000)
UNIT_OPTIONS = (2, 3, 4, 5, 6, 8, 10, 16, 20, 32, 50, 64, 100, 128, 150, 200)
LR_RANGE = (1e-5, 10.0)
SEED_RANGE = (0, 1_000_000)
# The book's Fig. 6-9 (ch06/optimizer_compare_mnist.py): SGD, Momentum, AdaGrad 0.01, Adam 0.001; the other rules
# by their kin (RMSProp's and the Adam family's 0.001 as torch's defaults; the quasi-Newton rules' first trial 1).
DEFAULT_LRS = {"sgd": 0.01, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.01, "rmsprop": 0.001, "adam": 0.001,
               "nadam": 0.001, "amsgrad": 0.001, "adamw": 0.001, "adadelta": 1.0, "lbfgs": 1.0, "bfgs": 1.0,
               "newton": 1.0}


def default_lr(optimizer: str) -> float:
    return DEFAULT_LRS.get(optimizer, 0.01)


def default_params(name: str) -> tuple:
    return tuple((param.name, param.default) for param in datasets.DATASETS[name].params)


@dataclass(frozen=True)
class Lab:
    """Everything the network lab shows, besides the runs themselves."""

    data: str = "spiral"
    data_params: tuple = ()  # (name, value) of the data set's parameters, defaults filled in
    layers: int = 1  # hidden layers, each of ``units`` units (the book's networks)
    units: int = 100
    activation: str = "relu"
    batch: int = 100
    iterations: int = 1000
    seed: int = 0
    init: str = "he"
    lrs: tuple = ()  # the network learning rate of run 1, 2, …; missing ones take default_lr
    view: str = "loss"
    plane: str = "pca"
    batchnorm: bool = False
    # the ch. 6 views (each the book's own setting; these are what the class changes)
    init_activation: str = "sigmoid"
    overfit_examples: int = 300
    weight_decay: float = 0.1  # the book's Fig. 6-21
    dropout: float = 0.0
    dropout_convention: str = "inverted"
    trials: int = 20
    lr_range: tuple = search.BOOK_LR_RANGE
    decay_range: tuple = search.BOOK_DECAY_RANGE
    members: int = 5

    def __post_init__(self):
        given = dict(self.data_params)
        full = tuple((param.name, given.get(param.name, param.default)) for param in datasets.DATASETS[self.data].params)
        object.__setattr__(self, "data_params", full)
        object.__setattr__(self, "lrs", tuple(float(lr) for lr in self.lrs))
        for name in ("lr_range", "decay_range"):
            object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))

    def lr(self, index: int, optimizer: str) -> float:
        return self.lrs[index] if index < len(self.lrs) else default_lr(optimizer)

    def dataset(self):
        """The data set (``nets.data.load``; its split seeded by ``seed``)."""
        return datasets.load(self.data, seed=self.seed, **dict(self.data_params))

    @property
    def hidden(self) -> tuple:
        return (self.units,) * self.layers

    def architecture(self, data) -> network.Architecture:
        return network.Architecture((data.input_dim, *self.hidden, data.classes), self.activation, self.batchnorm)

    def init_scale(self):
        return self.init if self.init in ("he", "xavier") else float(self.init)


PRESETS = {
    "spiral": Lab(),
    # the book's Fig. 6-9 on the digits: a 5-layer network of 100 units (MultiLayerNet(784, [100]*4, 10)), batch 128
    "book_digits": Lab(data="digits", layers=4, units=100, batch=128, iterations=1000),
}


# --- the URL --------------------------------------------------------------------------------------------


def _number_text(value) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def to_query(lab: Lab) -> dict:
    """The lab's settings that differ from the default lab, as ``net.*`` URL parameters."""
    base, query = Lab(data=lab.data), {}
    if lab.data != Lab().data:
        query["net.data"] = lab.data
    for (name, value), (_, default) in zip(lab.data_params, base.data_params):
        if value != default:
            query[f"net.{name}"] = _number_text(value)
    for key, value, default in (("layers", str(lab.layers), str(base.layers)), ("units", str(lab.units), str(base.units)),
                                ("act", lab.activation, base.activation), ("batch", str(lab.batch), str(base.batch)),
                                ("iters", str(lab.iterations), str(base.iterations)),
                                ("seed", str(lab.seed), str(base.seed)), ("init", lab.init, base.init),
                                ("view", lab.view, base.view), ("plane", lab.plane, base.plane),
                                ("bn", str(int(lab.batchnorm)), str(int(base.batchnorm))),
                                ("iact", lab.init_activation, base.init_activation),
                                ("ofn", str(lab.overfit_examples), str(base.overfit_examples)),
                                ("wd", _number_text(lab.weight_decay), _number_text(base.weight_decay)),
                                ("drop", _number_text(lab.dropout), _number_text(base.dropout)),
                                ("dconv", lab.dropout_convention, base.dropout_convention),
                                ("trials", str(lab.trials), str(base.trials)),
                                ("lrr", _range_text(lab.lr_range), _range_text(base.lr_range)),
                                ("wdr", _range_text(lab.decay_range), _range_text(base.decay_range)),
                                ("members", str(lab.members), str(base.members))):
        if value != default:
            query[f"net.{key}"] = value
    if lab.lrs:
        query["net.lr"] = ",".join(_number_text(lr) for lr in lab.lrs)
    return query


URL_KEYS = frozenset({"net.data", "net.lr", *(f"net.{param.name}" for spec in datasets.DATASETS.values()
                                                for param in spec.params),
                      *(f"net.{key}" for key in ("layers", "units", "act", "batch", "iters", "seed", "init", "view",
                                                 "plane", "bn", "iact", "ofn", "wd", "drop", "dconv", "trials", "lrr",
                                                 "wdr", "members"))})  # every key to_query writes and from_query reads


def _range_text(bounds) -> str:
    return ",".join(_number_text(v) for v in bounds)


def from_query(query: Mapping) -> tuple:
    """(Lab, warnings) from URL parameters; never raises (the page URL's reader: one wording of every warning)."""
    reader = _Reader(query)
    base = Lab()
    name = reader.choice("net.data", base.data, tuple(datasets.DATASETS))
    params = tuple((p.name, reader.number(f"net.{p.name}", p.default, p.low, p.high, integer=p.integer))
                   for p in datasets.DATASETS[name].params)
    lab = Lab(data=name, data_params=params, layers=reader.number("net.layers", base.layers, *network.HIDDEN_LAYERS, integer=True),
              units=reader.number("net.units", base.units, *network.HIDDEN_UNITS, integer=True), activation=reader.choice("net.act", base.activation, ACTIVATIONS),
              batch=reader.number("net.batch", base.batch, 1, BATCH_OPTIONS[-1], integer=True),
              iterations=reader.number("net.iters", base.iterations, 1, ITERATION_OPTIONS[-1], integer=True),
              seed=reader.number("net.seed", base.seed, *SEED_RANGE, integer=True),
              init=reader.choice("net.init", base.init, INITS), lrs=_lrs(reader),
              view=reader.choice("net.view", base.view, VIEWS), plane=reader.choice("net.plane", base.plane, PLANES),
              batchnorm=reader.flag("net.bn", base.batchnorm),
              init_activation=reader.choice("net.iact", base.init_activation, INIT_ACTIVATIONS),
              overfit_examples=reader.number("net.ofn", base.overfit_examples, min(OVERFIT_EXAMPLES),
                                             max(OVERFIT_EXAMPLES), integer=True, choices=OVERFIT_EXAMPLES),
              weight_decay=reader.number("net.wd", base.weight_decay, 0.0, max(WEIGHT_DECAYS), choices=WEIGHT_DECAYS),
              dropout=reader.number("net.drop", base.dropout, *DROPOUT_RANGE),
              dropout_convention=reader.choice("net.dconv", base.dropout_convention, DROPOUT_CONVENTIONS),
              trials=reader.number("net.trials", base.trials, *search.TRIALS_RANGE, integer=True),
              lr_range=_exponents(reader, "net.lrr", base.lr_range),
              decay_range=_exponents(reader, "net.wdr", base.decay_range),
              members=reader.number("net.members", base.members, *ensembles.MEMBERS_RANGE, integer=True))
    return lab, reader.warnings


def _exponents(reader, key: str, default: tuple) -> tuple:
    """A search range "low,high" (powers of ten) with low < high inside ``search.EXPONENT_RANGE``."""
    text = reader.raw(key)
    if text is None:
        return default
    low, high = search.EXPONENT_RANGE
    valid = Message("two powers of ten low,high with {low:g} ≤ low < high ≤ {high:g}", low=low, high=high)
    try:
        return search.check_range(key, [float(part) for part in str(text).split(",", 1)]) if "," in str(text) \
            else reader.refuse(key, text, valid, default)
    except ValueError:
        return reader.refuse(key, text, valid, default)


def _lrs(reader) -> tuple:
    text = reader.raw("net.lr")
    if text is None:
        return ()
    valid = Message("learning rates from {low:g} to {high:g}, separated by commas", low=LR_RANGE[0], high=LR_RANGE[1])
    try:
        values = tuple(float(part) for part in str(text).split(","))
    except ValueError:
        values = ()
    if not values or len(values) > MAX_RUNS or not all(math.isfinite(v) and LR_RANGE[0] <= v <= LR_RANGE[1] for v in values):
        return reader.refuse("net.lr", text, valid, (), outcome=Message("using each optimizer's default"))
    return values
