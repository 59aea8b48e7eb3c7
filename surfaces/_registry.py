"""Looking surfaces up by id, with their parameters checked."""

from __future__ import annotations

import functools
import math
import numbers

from ._catalog import CATALOG
from ._surface import ParamSpec, Surface


def names() -> tuple[str, ...]:
    """Ids of all surfaces, in teaching order (bowl first)."""
    return tuple(CATALOG)


def param_specs(surface_id: str) -> tuple[ParamSpec, ...]:
    """The parameters `get` accepts for this surface (empty tuple if none)."""
    return _catalog_entry(surface_id)[1]


def get(surface_id: str, **params: float) -> Surface:
    """The surface with this id, e.g. ``get("ill_conditioned", kappa=100, angle=30)``.

    Parameters left out take their defaults. Raises ValueError for an unknown
    id, an unknown parameter, or a value that is not a real number in range.
    """
    specs = param_specs(surface_id)
    spec_by_name = {spec.name: spec for spec in specs}
    for name in params:
        if name not in spec_by_name:
            accepted = ", ".join(spec_by_name) if spec_by_name else "none"
            raise ValueError(
                f"unknown parameter {name!r} for surface {surface_id!r}; accepted parameters: {accepted}"
            )
    values = tuple(
        (spec.name, _checked_value(spec, params.get(spec.name, spec.default))) for spec in specs
    )
    return _build(surface_id, values)


def _catalog_entry(surface_id):
    if not isinstance(surface_id, str) or surface_id not in CATALOG:
        raise ValueError(f"unknown surface id {surface_id!r}; valid ids are: {', '.join(CATALOG)}")
    return CATALOG[surface_id]


def _checked_value(spec: ParamSpec, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{spec.name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value) + 0.0  # turns -0.0 into 0.0, so titles never read "-0°"
    if not (math.isfinite(value) and spec.low <= value <= spec.high):
        raise ValueError(
            f"{spec.name} = {value:g} is out of range: valid range is [{spec.low:g}, {spec.high:g}]"
        )
    return value


@functools.lru_cache(maxsize=256)
def _build(surface_id: str, values: tuple[tuple[str, float], ...]) -> Surface:
    # Cached so that equal requests give the identical (identity-hashed) Surface.
    builder = CATALOG[surface_id][0]
    return builder(**dict(values))


def rebuild(surface_id: str, params: dict[str, float]) -> Surface:
    """Unpickling hook for Surface: look the surface up again instead of storing functions."""
    return get(surface_id, **params)
