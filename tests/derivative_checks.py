"""Shared by the derivative tests of the catalogue surfaces and of typed formulas."""

import numpy as np


def local_scale(surface, points):
    """Size of f and its first two derivatives at the points, for difference-quotient tolerances."""
    return (
        1.0
        + np.abs(surface.f(points))
        + np.abs(surface.grad(points)).max(axis=-1)
        + np.abs(surface.hessian(points)).max(axis=(-2, -1))
    )
