"""How a run looks: a colour and a marker shape per optimizer, the same in every scene and preset,
so "Adam is pink" holds through a whole lesson.  Runs of the same optimizer differ by shade and by
the marker's fill (their *variant*: 0 for the first, 1 for the next, …).

The colours are Okabe & Ito's colour-blind-safe set for the seven rules of the notes, two violets for
the quasi-Newton rules (BFGS, L-BFGS), and four of Paul Tol's for the rules kept for comparison; ``tests/test_styles.py`` checks that every pair stays
apart (CIE76 ΔE > 15) under simulated protanopia, deuteranopia and tritanopia.  No run marker is a
star, an x or a white circle: those are the landmarks (minimum, saddle and diverged end, start).

No Streamlit here.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import NamedTuple

OPTIMIZER_COLOURS = MappingProxyType({
    "sgd": "#D55E00",  # vermillion
    "momentum": "#0072B2",  # blue
    "nesterov": "#56B4E9",  # sky blue: Momentum's relative
    "adagrad": "#009E73",  # bluish green
    "rmsprop": "#E69F00",  # orange
    "adam": "#CC79A7",  # reddish purple ("Adam is pink")
    "newton": "#000000",  # black
    "bfgs": "#7700FF",  # violet: found by a search for the colour farthest from the others under every CVD
    "lbfgs": "#AA55FF",  # lavender: BFGS's relative (the search's second pick, ΔE ≥ 24 from every colour)
    "adadelta": "#882255",  # Tol's wine
    "nadam": "#332288",  # Tol's indigo
    "amsgrad": "#DDCC77",  # Tol's sand
    "adamw": "#661100",  # dark brown
})
OPTIMIZER_SYMBOLS = MappingProxyType({
    "sgd": "circle",
    "momentum": "square",
    "nesterov": "diamond",
    "adagrad": "triangle-up",
    "rmsprop": "triangle-down",
    "adam": "pentagon",
    "newton": "hexagon",
    "bfgs": "octagon",
    "lbfgs": "diamond-wide",
    "adadelta": "triangle-right",
    "nadam": "hourglass",
    "amsgrad": "triangle-left",
    "adamw": "bowtie",
})
LANDMARK_SYMBOLS = frozenset({"star", "x", "x-thin", "cross", "cross-thin", "hexagram"})  # hexagram: snapshots
FALLBACK_COLOUR, FALLBACK_SYMBOL = "#555555", "circle"
# Variant k of an optimizer: its colour mixed toward black (k odd) or white (k even), and the
# marker alternately filled and open.
_SHADE_STEPS = (0.0, 0.35, 0.3, 0.55, 0.5, 0.7, 0.6, 0.8)


class RunStyle(NamedTuple):
    colour: str
    symbol: str


def _mix(colour: str, toward: tuple, amount: float) -> str:
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(c + (t - c) * amount) for c, t in zip(rgb, toward)]
    return "#" + "".join(f"{c:02X}" for c in mixed)


def run_style(optimizer: str, variant: int = 0) -> RunStyle:
    """The colour and marker of the ``variant``-th run of ``optimizer`` on the page.

    >>> run_style("adam")
    RunStyle(colour='#CC79A7', symbol='pentagon')
    >>> run_style("sgd", 1)  # vermillion mixed 35 % toward black: 0xD5 * 0.65 = 138.45 -> 0x8A
    RunStyle(colour='#8A3D00', symbol='circle-open')
    """
    base = OPTIMIZER_COLOURS.get(optimizer, FALLBACK_COLOUR)
    symbol = OPTIMIZER_SYMBOLS.get(optimizer, FALLBACK_SYMBOL)
    variant = max(int(variant), 0)
    amount = _SHADE_STEPS[variant % len(_SHADE_STEPS)]
    toward = (0, 0, 0) if variant % 2 else (255, 255, 255)
    if base == "#000000" and variant:  # black only lightens
        toward = (255, 255, 255)
    return RunStyle(_mix(base, toward, amount), symbol + ("-open" if variant % 2 else ""))


def first_free_variant(optimizer: str, taken) -> int:
    """The smallest variant not used by another run of ``optimizer``; ``taken`` holds the
    (optimizer, variant) pairs of the other runs."""
    used = {variant for other, variant in taken if other == optimizer}
    return next(k for k in range(len(used) + 1) if k not in used)


def scene_variants(optimizers) -> tuple:
    """Variants for runs given in order (a loaded link or preset): 0, 1, … per optimizer."""
    seen: dict = {}
    variants = []
    for optimizer in optimizers:
        variants.append(seen.get(optimizer, 0))
        seen[optimizer] = variants[-1] + 1
    return tuple(variants)
