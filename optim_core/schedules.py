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

and the cyclic ones of the notes' ensembles slides (snapshot ensembles collect the
point at the end of every cycle):

* ``cosine_annealing(init, period, minimum)``:  η_t = η_min + ½(η₀ − η_min)(1 + cos(π t/T)),
  then held at η_min (Loshchilov & Hutter 2017)
* ``warm_restarts(init, period, t_mult, minimum)``: the same cosine, restarted after
  T₀, T₀·T_mult, T₀·T_mult², … updates (SGDR, Loshchilov & Hutter 2017)
* ``cyclic_triangular(base, peak, step_size)``: up from base to peak in ``step_size``
  updates and down again (Smith 2017, "Cyclical Learning Rates")
* ``one_cycle(peak, total_steps, pct_start, div_factor, final_div_factor, anneal)``:
  up to peak, then down far below the start (Smith & Topin 2018; as
  ``torch.optim.lr_scheduler.OneCycleLR``)
* ``linear_warmup(after, warmup_steps, start)``: a linear warm-up over W updates, then
  any schedule (optax's ``join_schedules`` of a ``linear_schedule`` and ``after``)

Every schedule also says where its cycles end, ``cycle_ends(steps)``: the number of updates
k ≤ steps after which a cycle is complete (so ``xy[k]`` of a run is a snapshot of a snapshot
ensemble); the decays have no cycles and return ().
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields

import numpy as np


def _number(default=MISSING, *, low=None, high=None, whole=False, open_low=False, open_high=False):
    """A schedule's field: a finite number, ≥ ``low`` and ≤ ``high`` when given (> and < when
    ``open_low`` / ``open_high``), a whole number when ``whole``."""
    return field(default=default, metadata={"low": low, "high": high, "whole": whole, "open_low": open_low,
                                            "open_high": open_high})


def _choice(default, choices):
    """A schedule's field that is one of a few words (``choices``)."""
    return field(default=default, metadata={"choices": tuple(choices)})


def _schedule(default=MISSING):
    """A schedule's field that is another schedule (or a plain number, taken as a constant)."""
    return field(default=default, metadata={"schedule": True})


def _valid_range(low=None, high=None, whole=False, open_low=False, open_high=False) -> str:
    """"a finite number ≥ 0", "a whole number ≥ 1", "a finite number > 0 and < 1": the words of a range."""
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if open_low else '≥'} {low:g}")
    if high is not None:
        bounds.append(f"{'<' if open_high else '≤'} {high:g}")
    text = "a whole number" if whole else "a finite number"
    return text + (" " + " and ".join(bounds) if bounds else "")


def _check_finite(name, value, low=None, high=None, whole=False, open_low=False, open_high=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} = {value!r} is not a number")
    number = float(value)
    inside = math.isfinite(number) and (low is None or (number > low if open_low else number >= low)) and (
        high is None or (number < high if open_high else number <= high)) and (not whole or number == int(number))
    if not inside:
        raise ValueError(f"{name} = {value!r} is out of range: valid range is "
                         f"{_valid_range(low, high, whole, open_low, open_high)}")
    return number


class Schedule:
    """Base class: ``schedule(t)`` gives the value used by update ``t`` (0-based).

    Subclasses are frozen dataclasses whose fields are numbers: a plain field takes any finite
    number, a ``_number(default, low=..., high=..., whole=...)`` field says its bounds, a
    ``_choice(default, choices)`` field is one of a few words and a ``_schedule()`` field is another
    schedule; ``__post_init__`` checks every field and stores a number as a float (an int for a
    whole number).
    """

    def __post_init__(self):
        for spec in fields(self):
            value = getattr(self, spec.name)
            meta = spec.metadata
            if meta.get("schedule"):
                if not isinstance(value, Schedule):
                    value = constant(_check_finite(spec.name, value))
                object.__setattr__(self, spec.name, value)
                continue
            if "choices" in meta:
                if value not in meta["choices"]:
                    raise ValueError(f"{spec.name} = {value!r} is out of range: valid range is one of "
                                     f"{', '.join(meta['choices'])}")
                continue
            whole = meta.get("whole", False)
            number = _check_finite(spec.name, value, meta.get("low"), meta.get("high"), whole,
                                   meta.get("open_low", False), meta.get("open_high", False))
            object.__setattr__(self, spec.name, int(number) if whole else number)

    def __call__(self, t):
        raise NotImplementedError

    def values(self, steps: int) -> np.ndarray:
        """The values for updates 0 … steps − 1, as a float array of shape (steps,)."""
        return np.asarray(self(np.arange(steps)), dtype=float).reshape(steps)

    def cycle_ends(self, steps: int) -> tuple:
        """The update counts k ≤ ``steps`` after which a cycle of the schedule is complete, in order
        (a run's ``xy[k]`` is then the point at the end of a cycle: a snapshot of a snapshot
        ensemble).  A schedule without cycles (the decays) has none: ()."""
        _check_finite("steps", steps, 0, whole=True)
        return ()


def _as_float(t) -> np.ndarray:
    return np.asarray(t, dtype=float)


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


@dataclass(frozen=True)
class cosine_annealing(Schedule):
    """η_t = η_min + ½(η₀ − η_min)(1 + cos(π t/T)) for t ≤ T, then held at η_min.

    ``init`` = η₀, ``period`` = T (whole, ≥ 1), ``minimum`` = η_min.  One cycle, ending after T
    updates: ``cycle_ends`` gives (T,) once the run has T updates.  Past T the value stays at η_min
    (optax's ``cosine_decay_schedule``; torch's recursive ``CosineAnnealingLR`` would climb back).

    Reference: I. Loshchilov and F. Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts",
    ICLR 2017, eq. (5) (one cycle, no restart); torch.optim.lr_scheduler.CosineAnnealingLR.
    """

    init: float
    period: int = _number(100, low=1, whole=True)
    minimum: float = 0.0

    def __call__(self, t):
        fraction = np.minimum(_as_float(t), self.period) / self.period
        return self.minimum + 0.5 * (self.init - self.minimum) * (1.0 + np.cos(np.pi * fraction))

    def cycle_ends(self, steps: int) -> tuple:
        super().cycle_ends(steps)
        return (self.period,) if self.period <= steps else ()


@dataclass(frozen=True)
class warm_restarts(Schedule):
    """SGDR: η_t = η_min + ½(η₀ − η_min)(1 + cos(π T_cur/T_i)), restarted at η₀ after every cycle.

    T_cur counts the updates since the last restart; cycle i lasts T_i = T₀·T_mult^i updates
    (``period`` = T₀, ``t_mult`` = T_mult, both whole, ≥ 1), so the restarts come after
    T₀, T₀(1 + T_mult), T₀(1 + T_mult + T_mult²), … updates; these are the ``cycle_ends``.  Within a
    cycle the last update uses η_min + ½(η₀ − η_min)(1 + cos(π (T_i − 1)/T_i)), just above η_min.

    Reference: I. Loshchilov and F. Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts",
    ICLR 2017, eq. (5); torch.optim.lr_scheduler.CosineAnnealingWarmRestarts (T_0, T_mult, eta_min).
    """

    init: float
    period: int = _number(10, low=1, whole=True)
    t_mult: int = _number(1, low=1, whole=True)
    minimum: float = 0.0

    def _restarts(self, upto: float) -> np.ndarray:
        """The update counts at which a cycle starts, 0 first, up to ``upto`` (T_mult ≥ 2: a few dozen)."""
        starts, length = [0], self.period
        while starts[-1] + length <= upto:
            starts.append(starts[-1] + length)
            length *= self.t_mult
        return np.asarray(starts, dtype=float)

    def __call__(self, t):
        t = _as_float(t)
        if self.t_mult == 1:
            t_cur, t_i = np.mod(t, self.period), float(self.period)
        else:
            starts = self._restarts(float(np.max(t, initial=0.0)))
            index = np.maximum(np.searchsorted(starts, t, side="right") - 1, 0)
            t_cur = t - starts[index]
            t_i = self.period * float(self.t_mult) ** index
        return self.minimum + 0.5 * (self.init - self.minimum) * (1.0 + np.cos(np.pi * t_cur / t_i))

    def cycle_ends(self, steps: int) -> tuple:
        super().cycle_ends(steps)
        if self.t_mult == 1:
            return tuple(range(self.period, int(steps) + 1, self.period))
        return tuple(int(s) for s in self._restarts(steps)[1:])


@dataclass(frozen=True)
class cyclic_triangular(Schedule):
    """Smith's triangular policy: from ``base`` up to ``peak`` in ``step_size`` updates, back down in
    ``step_size`` more, and again:

        cycle = ⌊1 + t/(2s)⌋,  x = |t/s − 2·cycle + 1|,  η_t = base + (peak − base)·max(0, 1 − x)

    (s = ``step_size``, whole, ≥ 1).  A cycle lasts 2s updates; the ``cycle_ends`` are 2s, 4s, ….

    Reference: L. N. Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017,
    section 3.1 and its listing; torch.optim.lr_scheduler.CyclicLR(mode="triangular").
    """

    base: float
    peak: float
    step_size: int = _number(10, low=1, whole=True)

    def __call__(self, t):
        t = _as_float(t)
        cycle = np.floor(1.0 + t / (2 * self.step_size))
        x = np.abs(t / self.step_size - 2 * cycle + 1)
        return self.base + (self.peak - self.base) * np.maximum(0.0, 1.0 - x)

    def cycle_ends(self, steps: int) -> tuple:
        super().cycle_ends(steps)
        return tuple(range(2 * self.step_size, int(steps) + 1, 2 * self.step_size))


@dataclass(frozen=True)
class one_cycle(Schedule):
    """One cycle over ``total_steps`` = T updates, as torch's ``OneCycleLR`` (two phases):

        η_initial = peak/div_factor,  η_final = η_initial/final_div_factor
        phase 1, t ≤ e₁ = pct_start·T − 1:  from η_initial to peak,  p = t/e₁
        phase 2, t > e₁ (up to e₂ = T − 1): from peak to η_final,    p = (t − e₁)/(e₂ − e₁)
        anneal="cos":    η = end + ½(start − end)(1 + cos(π p))
        anneal="linear": η = start + (end − start)·p

    ``pct_start`` in (0, 1), ``div_factor`` and ``final_div_factor`` > 0, T whole, ≥ 1.  Past the
    last update (t > T − 1, where torch raises) the value stays at η_final; when e₁ = 0 exactly
    (torch divides 0 by 0 there) update 0 is phase 1's end, the peak.  One cycle: ``cycle_ends`` is
    (T,) once the run has T updates.  torch's three_phase=True and its momentum cycling are not
    here (a momentum cycle is another schedule for ``mu`` or ``beta1``).

    Reference: L. N. Smith and N. Topin, "Super-Convergence: Very Fast Training of Neural Networks
    Using Large Learning Rates", 2018; torch.optim.lr_scheduler.OneCycleLR (pct_start=0.3,
    div_factor=25, final_div_factor=1e4, anneal_strategy="cos" are its defaults).
    """

    peak: float
    total_steps: int = _number(100, low=1, whole=True)
    pct_start: float = _number(0.3, low=0.0, high=1.0, open_low=True, open_high=True)
    div_factor: float = _number(25.0, low=0.0, open_low=True)
    final_div_factor: float = _number(1e4, low=0.0, open_low=True)
    anneal: str = _choice("cos", ("cos", "linear"))

    def _anneal(self, start, end, p):
        if self.anneal == "cos":
            return end + 0.5 * (start - end) * (1.0 + np.cos(np.pi * p))
        return start + (end - start) * p

    def __call__(self, t):
        t = _as_float(t)
        initial = self.peak / self.div_factor
        final = initial / self.final_div_factor
        end1, end2 = self.pct_start * self.total_steps - 1.0, self.total_steps - 1.0
        rising = t <= end1
        with np.errstate(divide="ignore", invalid="ignore"):
            p1 = np.where(end1 > 0, t / end1, 1.0)
        p2 = (t - end1) / (end2 - end1)  # end2 − end1 = T·(1 − pct_start) > 0
        return np.where(rising, self._anneal(initial, self.peak, np.clip(p1, 0.0, 1.0)),
                        self._anneal(self.peak, final, np.clip(p2, 0.0, 1.0)))[()]  # [()]: a number for a number

    def cycle_ends(self, steps: int) -> tuple:
        super().cycle_ends(steps)
        return (self.total_steps,) if self.total_steps <= steps else ()


@dataclass(frozen=True)
class linear_warmup(Schedule):
    """A linear warm-up over W = ``warmup_steps`` updates, then the schedule ``after``, started afresh:

        η_t = start + (after(0) − start)·t/W   for t < W
        η_t = after(t − W)                     for t ≥ W

    so the warm-up ends where ``after`` begins (W = 0: ``after`` alone).  ``after`` is any schedule
    (a number is a constant); ``start`` = 0 by default, so update 0 does not move.  Its
    ``cycle_ends`` are those of ``after``, W later.

    Reference: optax.join_schedules([optax.linear_schedule(start, after(0), W), after], [W]) (and
    optax.warmup_cosine_decay_schedule for ``after`` a cosine); P. Goyal et al., "Accurate, Large
    Minibatch SGD: Training ImageNet in 1 Hour", 2017, section 2.2 (gradual warm-up).
    """

    after: Schedule = _schedule()
    warmup_steps: int = _number(5, low=0, whole=True)
    start: float = 0.0

    def __call__(self, t):
        t = _as_float(t)
        later = np.asarray(self.after(np.maximum(t - self.warmup_steps, 0.0)), dtype=float)
        if self.warmup_steps == 0:
            return later[()]
        target = float(np.asarray(self.after(0), dtype=float))
        ramp = self.start + (target - self.start) * t / self.warmup_steps
        return np.where(t < self.warmup_steps, ramp, later)[()]

    def cycle_ends(self, steps: int) -> tuple:
        super().cycle_ends(steps)
        if steps < self.warmup_steps:
            return ()
        return tuple(self.warmup_steps + k for k in self.after.cycle_ends(int(steps) - self.warmup_steps))


SCHEDULES = {
    "constant": constant,
    "step_decay": step_decay,
    "exponential_decay": exponential_decay,
    "inverse_time_decay": inverse_time_decay,
    "linear_ramp": linear_ramp,
    "cosine_annealing": cosine_annealing,
    "warm_restarts": warm_restarts,
    "cyclic_triangular": cyclic_triangular,
    "one_cycle": one_cycle,
    "linear_warmup": linear_warmup,
}
