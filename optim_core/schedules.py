"""Learning-rate (and momentum) schedules: plain functions of the update count.

A schedule is a small frozen object you call with the update index ``t``
(0 for the first update, an int or an integer array) and that returns the value
for that update, like optax's ``schedules``.  Anywhere a float hyperparameter is
accepted (``lr``, ``mu``, ``beta1``, ...) a schedule is accepted too.

The forms are the ones of the cs231n notes ("annealing the learning rate"):

* ``constant(value)``:                         α_t = α
* ``step_decay(init, factor, every)``:         α_t = α₀ · factor^⌊t / every⌋
  (the notes: "halve every 5 epochs" is ``factor=0.5, every=5``)
* ``exponential_decay(init, k)``:              α_t = α₀ · e^(−k t)
* ``inverse_time_decay(init, k)``:             α_t = α₀ / (1 + k t)
* ``linear_ramp(start, end, ramp_steps)``:     from ``start`` to ``end`` over
  ``ramp_steps`` updates, then held; the notes' momentum schedule
  "start at 0.5 and anneal to 0.99 over several epochs" is
  ``linear_ramp(0.5, 0.99, N)``.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields

import numpy as np


def _number(default=MISSING, *, low=None, whole=False):
    """A schedule's field: a finite number, ≥ ``low`` when given, a whole number when ``whole``."""
    return field(default=default, metadata={"low": low, "whole": whole})


def _check_finite(name, value, low=None):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} = {value!r} is not a number")
    number = float(value)
    if not (math.isfinite(number) and (low is None or number >= low)):
        bound = "" if low is None else f" ≥ {low:g}"
        raise ValueError(f"{name} = {value!r} is out of range: valid range is a finite number{bound}")
    return number


class Schedule:
    """Base class: ``schedule(t)`` gives the value used by update ``t`` (0-based).

    Subclasses are frozen dataclasses whose fields are numbers: a plain field takes any finite
    number, a ``_number(default, low=..., whole=...)`` field says its bound; ``__post_init__``
    checks every field and stores it as a float (an int for a whole number).
    """

    def __post_init__(self):
        for spec in fields(self):
            value = getattr(self, spec.name)
            low, whole = spec.metadata.get("low"), spec.metadata.get("whole", False)
            number = _check_finite(spec.name, value, low)
            if whole and number != int(number):
                raise ValueError(f"{spec.name} = {value!r} is out of range: valid range is a whole number ≥ {low:g}")
            object.__setattr__(self, spec.name, int(number) if whole else number)

    def __call__(self, t):
        raise NotImplementedError

    def values(self, steps: int) -> np.ndarray:
        """The values for updates 0 … steps − 1, as a float array of shape (steps,)."""
        return np.asarray(self(np.arange(steps)), dtype=float).reshape(steps)


@dataclass(frozen=True)
class constant(Schedule):
    """α_t = value."""

    value: float

    def __call__(self, t):
        return np.full(np.shape(t), self.value) if np.ndim(t) else self.value


@dataclass(frozen=True)
class step_decay(Schedule):
    """α_t = init · factor^⌊t / every⌋  (multiply by ``factor`` every ``every`` updates)."""

    init: float
    factor: float = _number(0.5, low=0.0)
    every: int = _number(10, low=1, whole=True)

    def __call__(self, t):
        return self.init * self.factor ** (np.asarray(t) // self.every)


@dataclass(frozen=True)
class _Decay(Schedule):
    """A smooth decay from ``init`` at rate ``k`` ≥ 0 per update."""

    init: float
    k: float = _number(0.05, low=0.0)


@dataclass(frozen=True)
class exponential_decay(_Decay):
    """α_t = init · e^(−k·t)."""

    def __call__(self, t):
        return self.init * np.exp(-self.k * np.asarray(t, dtype=float))


@dataclass(frozen=True)
class inverse_time_decay(_Decay):
    """α_t = init / (1 + k·t)."""

    k: float = _number(0.1, low=0.0)

    def __call__(self, t):
        return self.init / (1.0 + self.k * np.asarray(t, dtype=float))


@dataclass(frozen=True)
class linear_ramp(Schedule):
    """α_t = start + (end − start) · min(t / ramp_steps, 1): a ramp, then held at ``end``."""

    start: float
    end: float
    ramp_steps: int = _number(100, low=1, whole=True)

    def __call__(self, t):
        fraction = np.minimum(np.asarray(t, dtype=float) / self.ramp_steps, 1.0)
        return self.start + (self.end - self.start) * fraction


SCHEDULES = {
    "constant": constant,
    "step_decay": step_decay,
    "exponential_decay": exponential_decay,
    "inverse_time_decay": inverse_time_decay,
    "linear_ramp": linear_ramp,
}
