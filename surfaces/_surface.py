"""The Surface and ParamSpec records, and the array helpers the surface formulas share."""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

ArrayFunction = Callable[[np.ndarray], np.ndarray]


class ParamSpec(NamedTuple):
    """One parameter of a surface, with what a slider needs to offer it."""

    name: str
    default: float
    low: float
    high: float
    label: str
    log: bool = False


@dataclass(frozen=True, eq=False)
class Surface:
    """A 2-D test function with exact derivatives and what is known about its critical points.

    ``f``, ``grad`` and ``hessian`` take points of shape ``(..., 2)`` and return
    arrays of shape ``(...)``, ``(..., 2)`` and ``(..., 2, 2)``.  At huge or non-finite
    points they return inf/NaN with NumPy's usual floating-point warnings; they do not
    silence them per call (a gradient is taken every optimizer step, and ``np.errstate``
    would cost a third of it); ``optim_core.run`` evaluates them under ``np.errstate``.
    """

    id: str
    title: str
    latex: str
    f: ArrayFunction
    grad: ArrayFunction
    hessian: ArrayFunction
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    minima: np.ndarray
    minima_values: np.ndarray
    f_min: float | None
    saddles: np.ndarray
    default_start: tuple[float, float]
    log_levels: bool
    params: types.MappingProxyType
    reference: str
    # True when f is finite at every finite point (polynomials, cosines): then optim_core.run need not
    # evaluate f while it runs to notice a run that walked where f is undefined (log of a negative, ...).
    defined_everywhere: bool = True

    def __repr__(self) -> str:
        params = "".join(f", {name}={value:g}" for name, value in self.params.items())
        return f"surfaces.get({self.id!r}{params})"

    def __reduce__(self):
        from ._registry import rebuild

        return rebuild, (self.id, dict(self.params))


def make_surface(
    *,
    id: str,
    title: str,
    latex: str,
    f: ArrayFunction,
    grad: ArrayFunction,
    hessian: ArrayFunction,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    minima,
    f_min: float | None,
    default_start: tuple[float, float],
    reference: str,
    saddles=(),
    log_levels: bool = False,
    params: dict[str, float] | None = None,
    defined_everywhere: bool = True,
) -> Surface:
    """Build a Surface, freezing its arrays and evaluating f at the minima.

    Args:
        id: the id ``surfaces.get`` knows it by ("formula" for a typed one).
        title: its name as the page shows it.
        latex: its formula in LaTeX, "f(x,y)=…".
        f, grad, hessian: exact and vectorised over points of shape (..., 2).
        x_range, y_range: the plotting domain, (low, high) each.
        minima: the known minima, (n, 2), lowest first (may be empty).
        f_min: the global minimum value, or None when unknown or unbounded below.
        default_start: the start a run takes when none is given.
        reference: where the function comes from.
        saddles: the known saddle points, (n, 2).
        log_levels: space the contour levels logarithmically (needs ``f_min``).
        params: the builder's parameters by name (what ``surfaces.get`` was given).
        defined_everywhere: f is finite at every finite point (see ``Surface``).
    """
    minima = read_only_points(minima)
    return Surface(
        id=id,
        title=title,
        latex=latex,
        f=f,
        grad=grad,
        hessian=hessian,
        x_range=(float(x_range[0]), float(x_range[1])),
        y_range=(float(y_range[0]), float(y_range[1])),
        minima=minima,
        minima_values=read_only(f(minima)),
        f_min=None if f_min is None else float(f_min),
        saddles=read_only_points(saddles),
        default_start=(float(default_start[0]), float(default_start[1])),
        log_levels=bool(log_levels),
        params=types.MappingProxyType(dict(params or {})),
        reference=reference,
        defined_everywhere=bool(defined_everywhere),
    )


def read_only(array) -> np.ndarray:
    array = np.array(array, dtype=float)
    array.flags.writeable = False
    return array


def read_only_points(points) -> np.ndarray:
    return read_only(np.reshape(np.asarray(points, dtype=float), (-1, 2)))


def coordinates(p) -> tuple[np.ndarray, np.ndarray]:
    """Split points of shape (..., 2) into their x and y arrays."""
    p = np.asarray(p, dtype=float)
    if p.ndim == 0 or p.shape[-1] != 2:
        raise ValueError(f"points must have shape (..., 2), got shape {p.shape}")
    return p[..., 0], p[..., 1]


# vector and symmetric_matrix fill a preallocated array: a gradient is evaluated every optimizer
# step, and np.stack(np.broadcast_arrays(...)) costs several times more for one point.
def _common_shape(*arrays) -> tuple:
    shapes = [np.shape(a) for a in arrays]
    return shapes[0] if all(shape == shapes[0] for shape in shapes) else np.broadcast_shapes(*shapes)


def vector(fx, fy) -> np.ndarray:
    """Stack the two partial derivatives into gradients of shape (..., 2)."""
    out = np.empty(_common_shape(fx, fy) + (2,))
    out[..., 0] = fx
    out[..., 1] = fy
    return out


def symmetric_matrix(fxx, fxy, fyy) -> np.ndarray:
    """Stack second derivatives into Hessians of shape (..., 2, 2)."""
    out = np.empty(_common_shape(fxx, fxy, fyy) + (2, 2))
    out[..., 0, 0] = fxx
    out[..., 0, 1] = out[..., 1, 0] = fxy
    out[..., 1, 1] = fyy
    return out


def newton_refine(grad: ArrayFunction, hessian: ArrayFunction, points, steps: int = 50) -> np.ndarray:
    """Polish approximate critical points with Newton steps on the exact derivatives."""
    points = np.array(points, dtype=float).reshape(-1, 2)
    for _ in range(steps):
        step = np.linalg.solve(hessian(points), grad(points)[..., None])[..., 0]
        points = points - step
        if np.all(np.abs(step) <= 1e-15 * (1.0 + np.abs(points))):
            break
    gradient_norms = np.linalg.norm(grad(points), axis=-1)
    if not np.all(gradient_norms < 1e-10):
        raise RuntimeError(f"Newton refinement did not converge: |grad| = {gradient_norms}")
    return points
