"""Analytic 2-D test surfaces for visualising optimizer trajectories.

>>> import surfaces
>>> s = surfaces.get("ill_conditioned", kappa=100, angle=30)
>>> s.f([1.0, 2.0]), s.grad([[1.0, 2.0]]).shape, s.hessian([0.0, 0.0]).shape
...

``names()`` lists the ids, ``param_specs(id)`` describes the parameters a
surface accepts (for sliders), and ``get(id, **params)`` returns a `Surface`
whose ``f``, ``grad`` and ``hessian`` are exact and vectorised over points of
shape ``(..., 2)``.
"""

from ._registry import get, names, param_specs
from ._surface import ParamSpec, Surface
from .formula import from_formula

__all__ = ["ParamSpec", "Surface", "from_formula", "get", "names", "param_specs"]
