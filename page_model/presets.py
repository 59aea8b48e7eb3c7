"""The presets: well-known figures loaded in one click (the book's comparison is the default scene)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import surfaces

from .scene import RunSpec, Scene


def _book_runs():
    return (RunSpec.of("sgd", lr=0.95), RunSpec.of("momentum", lr=0.1, mu=0.9), RunSpec.of("adagrad", lr=1.5),
            RunSpec.of("adam", lr=0.3))


@dataclass(frozen=True)
class Preset:
    title: str
    description: str
    scene: Scene = field(repr=False)


def _ill_conditioned_momentum():
    """Momentum at the quadratic optimum lr* = (2/(√λmin + √λmax))², mu* = ((√κ − 1)/(√κ + 1))²."""
    kappa = 100.0
    lr = (2 / (math.sqrt(1 / kappa) + 1.0)) ** 2
    mu = ((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1)) ** 2
    return RunSpec.of("momentum", lr=round(lr, 4), mu=round(mu, 4))


PRESETS = {
    "book": Preset(
        "The book's comparison (ch. 6)",
        "f = x²/20 + y² from (−7, 2), 30 steps: SGD zig-zags, Momentum rolls like a ball, AdaGrad damps "
        "the steep direction, Adam combines both.",
        Scene(runs=_book_runs()),
    ),
    "saddle": Preset(
        "A saddle point",
        "f = x² − y², starting just off the ridge: SGD lingers near the saddle, Momentum and Adam escape, "
        "Newton jumps onto the saddle.",
        Scene(surface="saddle", start=(-1.5, 1e-3), steps=40,
              runs=(RunSpec.of("sgd", lr=0.05), RunSpec.of("momentum", lr=0.05, mu=0.9), RunSpec.of("adam", lr=0.05),
                    RunSpec.of("newton"))),
    ),
    "rosenbrock": Preset(
        "The Rosenbrock valley",
        "A curved, flat-bottomed valley: SGD crawls, Momentum and Nesterov follow the valley, Newton needs a "
        "handful of steps.",
        Scene(surface="rosenbrock", start=(-1.2, 1.0), steps=500, tol=1e-4,
              runs=(RunSpec.of("sgd", lr=1e-3), RunSpec.of("momentum", lr=1e-3, mu=0.9),
                    RunSpec.of("nesterov", lr=1e-3, mu=0.9), RunSpec.of("adam", lr=0.05), RunSpec.of("newton"))),
    ),
    "beale": Preset(
        "Beale's function, the classic set",
        "The optimizers of the well-known animations on Beale's function, from (1, 1.5).",
        Scene(surface="beale", start=(1.0, 1.5), steps=300,
              runs=(RunSpec.of("sgd", lr=1e-3), RunSpec.of("momentum", lr=1e-3, mu=0.9),
                    RunSpec.of("nesterov", lr=1e-3, mu=0.9), RunSpec.of("adagrad", lr=0.5),
                    RunSpec.of("adadelta", lr=1.0), RunSpec.of("rmsprop", lr=0.01), RunSpec.of("adam", lr=0.05))),
    ),
    "ill_conditioned": Preset(
        "Ill-conditioned bowl, κ = 100",
        "A rotated quadratic with condition number 100: SGD at lr just under 2/λmax zig-zags, Momentum at its "
        "theoretical optimum (lr*, mu*) converges fast, Adam rotates badly.",
        Scene(surface="ill_conditioned", surface_params=(("kappa", 100.0), ("angle", 30.0)),
              start=surfaces.get("ill_conditioned", kappa=100.0, angle=30.0).default_start, steps=100,
              runs=(RunSpec.of("sgd", lr=1.9), _ill_conditioned_momentum(), RunSpec.of("nesterov", lr=1.0, mu=0.9),
                    RunSpec.of("adam", lr=0.3))),
    ),
}
DEFAULT_SCENE = PRESETS["book"].scene
