"""The update rules, each defined once: see ``_base`` for what a ``Rule`` holds and the update contract.

``RULES`` maps an optimizer's id to its ``Rule``, the notes' rules first.  A new rule is one
``Rule(...)`` in a module of this package (its update with its named parts, hyperparameters,
LaTeX, intuition and reference) added to the tuple below; the page, the sweeps and the "one step
taken apart" view read everything from it.
"""

from ._base import Explanation, HyperSpec, Rule, Term
from .adam import ADAM, ADAMW, AMSGRAD, NADAM
from .adaptive import ADADELTA, ADAGRAD, RMSPROP
from .newton import NEWTON
from .plain import MOMENTUM, NESTEROV, SGD
from .quasi_newton import BFGS, LBFGS

RULES: dict = {rule.name: rule for rule in (SGD, MOMENTUM, NESTEROV, ADAGRAD, RMSPROP, ADAM, NEWTON, BFGS, LBFGS,
                                            ADADELTA, NADAM, AMSGRAD, ADAMW)}



def hyper_spec(optimizer: str, param: str) -> HyperSpec:
    """The HyperSpec of hyperparameter ``param`` of ``optimizer`` (ValueError naming the valid ones)."""
    specs = {spec.name: spec for spec in RULES[optimizer].hyper}
    if param not in specs:
        raise ValueError(f"{param} is not a hyperparameter of {optimizer}: valid ones are {', '.join(specs)}")
    return specs[param]


__all__ = ["RULES", "Explanation", "HyperSpec", "Rule", "Term", "hyper_spec"]
