"""optim_core: every update rule of the notes, run on analytic 2-D surfaces, in pure NumPy.

    import surfaces, optim_core
    s = surfaces.get("bowl")
    opt = optim_core.make("adam", lr=0.3)
    tr = optim_core.run(s, opt, start=(-7.0, 2.0), steps=30)
    tr.xy, tr.loss, tr.status

See ``rules`` for the formulas, ``line_search`` for the Armijo and strong Wolfe
searches of sgd, newton, bfgs and lbfgs, ``schedules`` for learning-rate and momentum
schedules, ``runner`` for batches and how runs stop, and ``analysis`` for
hyperparameter sweeps, quadratic theory, basins of attraction, random search and
one update taken apart.
"""

from . import line_search, schedules
from .rules import RULES, Explanation, HyperSpec, Rule, hyper_spec
from .runner import (DIVERGE_RADIUS_FACTOR, LineSearchRecord, Optimizer, Trajectory, hyper_specs, make, names, run,
                     run_reduced)
from . import analysis  # noqa: E402  (uses run)

__all__ = ["analysis", "line_search", "schedules", "RULES", "Explanation", "HyperSpec", "Rule", "hyper_spec",
           "Optimizer", "Trajectory", "LineSearchRecord", "DIVERGE_RADIUS_FACTOR", "hyper_specs", "make", "names", "run",
           "run_reduced"]
