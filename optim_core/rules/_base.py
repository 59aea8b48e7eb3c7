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

from .. import line_search as search

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
    applies_when: tuple = ()  # ((option name, values), ...): the value matters only with those options
    choice_labels: tuple = ()  # English words for ``choices`` where the ids are terse (a page shows these)

    def choice_label(self, value) -> str:
        """The English word a page shows for option ``value`` (the id itself where none is given)."""
        return dict(zip(self.choices, self.choice_labels)).get(value, str(value))

    def applies(self, hp) -> bool:
        """The value matters with the options of ``hp`` (c2 only with a strong Wolfe search, ...): a page can
        leave out the slider and the sweep axis of a hyperparameter that does not apply."""
        return all(hp.get(name) in values for name, values in self.applies_when)

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
    ``effective_lr`` differs per coordinate.  ``lr_limit(hp, lambda_max)`` is the largest learning rate
    for which the rule converges on a quadratic whose largest curvature is ``lambda_max`` (the
    attribute None, or a None returned for these options: no such limit, e.g. with a line search),
    named in words by ``lr_limit_text``.
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
    needs_surface: Callable = lambda hp: False
    check: Callable = lambda hp: None
    lr_limit: Callable | None = None
    lr_limit_text: str = ""


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


# --- a line search along the rule's direction (optim_core.line_search) ---------------------------------

C1_OPTIONS = (1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4)
C2_OPTIONS = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
BACKTRACK_OPTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def line_search_hyper(default: str) -> tuple:
    """line_search ("none" | "armijo" | "wolfe"), c1, c2 and Armijo's backtracking factor ρ (``backtrack``;
    AdaDelta's decay is ``rho``).
    Sweep ranges keep c1 < c2 on every cell of a c1 × c2 sweep."""
    return (HyperSpec("line_search", default, choices=("none", "armijo", "wolfe"), label="line search",
                      help="how the step length along the direction is chosen",
                      choice_labels=("none: a fixed step lr", "Armijo backtracking", "strong Wolfe")),
            HyperSpec("c1", 1e-4, 0.0, 1.0, False, False, C1_OPTIONS, True, (1e-6, 0.05),
                      label="sufficient decrease c₁", help="Armijo: f must drop by at least c₁·α·|slope|",
                      applies_when=(("line_search", ("armijo", "wolfe")),)),
            HyperSpec("c2", 0.9, 0.0, 1.0, False, False, C2_OPTIONS, False, (0.1, 0.99),
                      label="curvature c₂", help="strong Wolfe: the slope must shrink to c₂·|slope at 0|",
                      applies_when=(("line_search", ("wolfe",)),)),
            HyperSpec("backtrack", 0.5, 0.0, 1.0, False, False, BACKTRACK_OPTIONS, False, (0.1, 0.9),
                      label="backtracking factor ρ", help="Armijo: each trial step is ρ times the last",
                      applies_when=(("line_search", ("armijo",)),)))


def searches(hp) -> bool:
    """The rule's ``needs_surface``: a line search is chosen."""
    return hp.get("line_search", "none") != "none"


def check_c1_c2(hp) -> None:
    """0 < c1 < c2 < 1 (the strong Wolfe conditions can then always be met, N&W Lemma 3.1)."""
    c1, c2 = hp.get("c1"), hp.get("c2")
    if c1 is None or c2 is None or not all(isinstance(v, (float, int, np.ndarray)) for v in (c1, c2)):
        return  # a schedule is checked by the runner, on its values
    bad = ~(np.asarray(c1) < np.asarray(c2))
    if np.any(bad):
        first = np.argwhere(np.broadcast_to(bad, np.broadcast_shapes(np.shape(c1), np.shape(c2))))
        index = tuple(first[0]) if first.size else ()
        c1_bad, c2_bad = (float(np.broadcast_to(v, bad.shape)[index]) for v in (c1, c2))
        raise ValueError(f"c1 = {c1_bad:g} and c2 = {c2_bad:g} are not valid together: valid range is "
                         "0 < c1 < c2 < 1")


LINE_SEARCH_CONVENTIONS = {  # the 30 is line_search.MAX_TRIALS (tests/test_line_search.py checks it)
    "armijo": "Armijo backtracking from α₀ = η: α ← ρα until sufficient decrease, at most 30 trials; "
              "none found: no step",
    "wolfe": "strong Wolfe line search from α₀ = η (Nocedal & Wright Alg. 3.5–3.6, scipy's interpolation), "
             "at most 30 trials; failing that, the lowest trial with sufficient decrease, else no step",
}


def line_search_conventions(hp) -> tuple:
    method = hp.get("line_search", "none")
    if method == "none":
        return ()
    return (LINE_SEARCH_CONVENTIONS[method], "not a descent direction (slope ≥ 0): no step")


def line_search_latex(hp, direction: str) -> str:
    """How alpha_k is chosen along ``direction`` (LaTeX), after the update's own formula."""
    method = hp.get("line_search", "none")
    armijo = r"f(x + \alpha p) \le f(x) + c_1 \alpha\, \nabla f^\top p"
    if method == "armijo":
        return (r"\qquad p = %s,\; \alpha_k = \rho^j \eta,\ j = \min\{j \ge 0 : %s\}"
                % (direction, armijo.replace(r"\alpha", r"\rho^j \eta")))
    if method == "wolfe":
        return (r"\qquad p = %s,\; \alpha_k:\ %s,\; |\nabla f(x + \alpha p)^\top p| \le c_2 |\nabla f^\top p|"
                % (direction, armijo))
    return ""


def step_latex(fixed: str, direction: str):
    """``latex(hp)`` of a rule that may search: its ``fixed`` step, or x ← x + α_k p along ``direction``
    with how α_k is chosen."""
    def latex(hp) -> str:
        if searches(hp):
            return r"x \leftarrow x + \alpha_k p" + line_search_latex(hp, direction)
        return fixed
    return latex


# What a rule that may search tells the runner: ask for the surface when it searches; check c1 < c2.
SEARCHING = dict(needs_surface=searches, check=check_c1_c2)


def searched_step(p, g, x, hp, surface, explain, key, label):
    """The step alpha·p and the rate to report: alpha from the line search when the runner hands over
    its ``surface`` probe, else alpha = lr.  With ``explain``: p, its slope g·p, alpha and the step."""
    if surface is not None:
        alpha, _ = search.step_length(surface, x, p, g, hp)
        alpha = alpha[..., None]
        delta = np.where(alpha > 0, alpha * p, 0.0)
    else:
        alpha = hp["lr"]
        delta = alpha * p
    if explain is not None:
        explain.term("direction", r"p_k", p)
        explain.term("slope", r"g_k^\top p_k", search.dot(g, p))
        explain.term("alpha", r"\alpha_k", alpha)
        explain.part(key, label, delta)
    return delta, alpha
