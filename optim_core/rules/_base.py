"""What a rule is: its hyperparameters, its definition, and the record of one update taken apart.

A ``Rule`` holds everything the project knows about an optimizer, in one place (as optax keeps a
transform's math beside its code): the pure ``init``/``update`` pair, the hyperparameters with
their defaults, valid ranges, slider grids and sweep ranges, the update in LaTeX for the options
chosen, one sentence of intuition, the conventions it follows and its reference.

The update contract, in the style of optax:

    state = init(x)
    delta, state, effective_lr = update(g, state, x, t, hp, hessian, explain=None)
    x = x + delta

Arrays have shape ``(..., d)``: one run, a batch of runs, a mesh of starts.  Given an
``Explanation``, ``update`` also records its named intermediate quantities (``terms``) and the
named parts of its step (``parts``, vectors that add up to ``delta``), from the very values it
computes: the "one step taken apart" view has no second copy of any rule's math.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np

# The smallest positive normal float: dividing by max(denominator, TINY) keeps eps = 0 at a zero
# gradient from producing 0/0, and is a no-op whenever the denominator is positive.
TINY = np.finfo(float).tiny


class HyperSpec(NamedTuple):
    """One hyperparameter: default, valid interval, and how a page shows it.

    ``options`` are the values a slider offers, in order (a value from a shared link that is not
    among them is inserted); ``log`` says the value is best seen on a log scale (its slider,
    sweep axis and random search); ``sweep`` is the (low, high) a sweep axis proposes; ``label``
    the slider's English label; ``choices`` the options of an option-valued hyperparameter.
    """

    name: str
    default: object
    low: float = -math.inf
    high: float = math.inf
    low_inclusive: bool = True
    high_inclusive: bool = False
    options: tuple = ()
    log: bool = False
    sweep: tuple = ()
    choices: tuple = ()
    label: str = ""
    help: str = ""

    @property
    def slider(self) -> tuple:
        """(lowest, highest, log) of the slider's options; () for an option-valued hyperparameter."""
        return (min(self.options), max(self.options), self.log) if self.options else ()

    def accepts(self, value) -> bool:
        """``value`` lies in the valid interval (a number; options are checked by ``make``)."""
        low_ok = value >= self.low if self.low_inclusive else value > self.low
        high_ok = value <= self.high if self.high_inclusive else value < self.high
        return bool(low_ok and high_ok)


class Term(NamedTuple):
    """One named quantity of an update: a LaTeX label and its value (float, (d,) or (d, d))."""

    label: str
    value: object


class Explanation:
    """Collects the named quantities of one update while a rule computes it.

    ``terms``: every quantity, in the order the rule computes it.  ``parts``: vectors whose sum is
    the step Δx.  ``history``: the key of the part that carries the past (a momentum), if any.
    """

    def __init__(self):
        self.terms: dict = {}
        self.parts: dict = {}
        self.history: str | None = None

    def term(self, key: str, label: str, value) -> None:
        self.terms[key] = Term(label, value)

    def part(self, key: str, label: str, value, *, history: bool = False) -> None:
        self.parts[key] = Term(label, value)
        if history:
            self.history = key


class Rule(NamedTuple):
    """An optimizer, defined once.

    ``latex(hp)`` gives the update in LaTeX in the convention the options of ``hp`` select;
    ``conventions(hp)`` the English sentences saying which convention that is;
    ``grad_point(x, state, hp)`` where the gradient is taken (None: at x), named in LaTeX by
    ``grad_point_label``; ``needs_hessian`` asks the runner for the Hessian; ``adaptive`` says
    ``effective_lr`` differs per coordinate.
    """

    name: str
    title: str
    init: Callable
    update: Callable
    hyper: tuple  # of HyperSpec
    latex: Callable
    intuition: str
    reference: str
    conventions: Callable = lambda hp: ()
    grad_point: Callable | None = None
    grad_point_label: str = ""
    needs_hessian: bool = False
    adaptive: bool = False


# --- the hyperparameters several rules share ---------------------------------------------------


def two_digit_grid(low_exponent: int, high_exponent: int) -> tuple:
    """Every value with two significant digits from 10**low to 10**high: 1.0, 1.1, …, 9.9 per decade."""
    values = [round(m / 10 * 10.0**e, 12) for e in range(low_exponent, high_exponent) for m in range(10, 100)]
    return tuple(values) + (10.0**high_exponent,)


LR_OPTIONS = two_digit_grid(-5, 1)  # 1e-5 … 10
EPS_OPTIONS = (0.0,) + tuple(round(m * 10.0**e, 15) for e in range(-12, 0) for m in (1, 2, 5)) + (1.0,)
MOMENTUM_OPTIONS = tuple(round(0.05 * i, 2) for i in range(20)) + (0.96, 0.97, 0.98, 0.99, 0.995, 0.999)
DECAY_OPTIONS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999)


def lr(default: float) -> HyperSpec:
    return HyperSpec("lr", default, 0.0, math.inf, True, False, LR_OPTIONS, True, (1e-4, 10.0),
                     label="learning rate η", help="learning rate")


def eps(default: float) -> HyperSpec:
    return HyperSpec("eps", default, 0.0, math.inf, True, False, EPS_OPTIONS, True, (1e-10, 1.0),
                     label="ε", help="numerical stabiliser")


def decay(name: str, default: float, label: str, help: str) -> HyperSpec:
    """A decay rate in [0, 1): of a cache, a moment or an average."""
    return HyperSpec(name, default, 0.0, 1.0, True, False, DECAY_OPTIONS, False, (0.5, 0.9999),
                     label=label, help=help)


def momentum(name: str, label: str, help: str) -> HyperSpec:
    """A momentum-like coefficient in [0, 1), default 0.9."""
    return HyperSpec(name, 0.9, 0.0, 1.0, True, False, MOMENTUM_OPTIONS, False, (0.0, 0.99),
                     label=label, help=help)


def eps_placement(*extra: str) -> HyperSpec:
    return HyperSpec("eps_placement", "outside", choices=("outside", "inside") + extra, label="ε placement",
                     help="√s + eps (outside) or √(s + eps) (inside)")


EPS_CONVENTIONS = {"outside": "eps outside the square root (the notes, PyTorch)",
                   "inside": "eps inside the square root (optax's eps_root)",
                   "book": "the book's Adam: eps added to the uncorrected √v"}


def eps_convention(hp) -> tuple:
    """The sentence naming where eps sits, for the rules that have the option."""
    return (EPS_CONVENTIONS[hp.get("eps_placement", "outside")],)


def root_latex(inner: str, hp) -> str:
    """√inner + ε ("outside") or √(inner + ε) ("inside") in LaTeX."""
    if hp.get("eps_placement") == "inside":
        return r"\sqrt{%s+\epsilon}" % inner
    return r"\sqrt{%s}+\epsilon" % inner


def rsqrt_denominator(second_moment, eps, eps_placement):
    """√s + eps ("outside", PyTorch / the notes) or √(s + eps) ("inside", optax's eps_root)."""
    if eps_placement == "inside":
        denominator = np.sqrt(second_moment + eps)
    else:
        denominator = np.sqrt(second_moment)
        denominator += eps
        if type(eps) is float and eps > 0.0:  # the common case: the denominator is already ≥ eps > 0
            return denominator
    return np.maximum(denominator, TINY, out=denominator)
