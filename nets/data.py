"""Data sets for the small networks: five 2-D toy problems and the 8×8 handwritten digits.

Pure NumPy; nothing is downloaded and scikit-learn is not imported.  Every generator is seeded
(``np.random.default_rng(seed)``), so the same arguments always give identical arrays, and returns
``(x, y)``: ``x`` of shape (N, d) float64, ``y`` of shape (N,) int64 with labels 0 … classes − 1,
in blocks of one class after another.  ``load`` checks the arguments, makes the points and holds
out a seeded, stratified validation split.

The sets (``DATASETS``, in this order):

* ``spiral``  螺旋   cs231n's spiral ("Neural Networks Case Study"): ``classes`` arms of
  ``points_per_class`` points; arm j has r = linspace(0, 1, N), t = linspace(4j, 4(j + 1), N) +
  noise·randn(N) and x = r·(sin t, cos t).  Not linearly separable: the classic reason for a
  hidden layer.
* ``moons``   双月   two interleaving half circles as in ``sklearn.datasets.make_moons``.
* ``circles`` 同心圆 two concentric circles, the inner one of radius ``factor``.
* ``xor``     异或   TensorFlow Playground's XOR: uniform in [−1, 1]², label 1 where x·y < 0.
* ``blobs``   高斯团 isotropic Gaussian blobs around centres evenly spaced on a circle of radius 2.
* ``digits``  手写数字 the 1797 8×8 images of handwritten digits that scikit-learn ships, pixel
  values 0–16 scaled to [0, 1]; 64 inputs, 10 classes.

Only the first five are 2-D (``Dataset.is_2d``), so only they have a decision-region map
(``Dataset.bounds`` gives the box it should cover).

Provenance and licence of ``digits.npz``
----------------------------------------
``nets/digits.npz`` holds ``images`` (1797, 8, 8) uint8 with values 0–16 and ``labels`` (1797,)
uint8.  It is exactly ``sklearn.datasets.load_digits()`` (scikit-learn 1.9.1, whose
``datasets/data/digits.csv.gz`` is a copy of the test set ``optdigits.tes`` of the UCI
"Optical Recognition of Handwritten Digits" data set), made once with::

    from sklearn.datasets import load_digits
    d = load_digits()
    np.savez_compressed("nets/digits.npz", images=d.images.astype(np.uint8),
                        labels=d.target.astype(np.uint8))

and checked against scikit-learn by ``tests/test_nets_data.py``.

* Data: E. Alpaydin and C. Kaynak (1998), "Optical Recognition of Handwritten Digits", UCI
  Machine Learning Repository, https://doi.org/10.24432/C50P49, licensed CC BY 4.0
  (https://creativecommons.org/licenses/by/4.0/).  Kaynak, C. (1995), Methods of Combining
  Multiple Classifiers and Their Applications to Handwritten Digit Recognition, MSc thesis,
  Bogazici University; Alpaydin, E. and Kaynak, C. (1998), Cascading Classifiers, Kybernetika.
* The copy taken from: scikit-learn, BSD-3-Clause licence, © the scikit-learn developers.
"""

from __future__ import annotations

import functools
import math
import numbers
from pathlib import Path
from types import MappingProxyType
from typing import Callable, NamedTuple

import numpy as np

__all__ = [
    "BLOB_RADIUS",
    "DATASETS",
    "Dataset",
    "DatasetSpec",
    "Param",
    "VALIDATION_RANGE",
    "blobs",
    "circles",
    "digits",
    "head",
    "load",
    "moons",
    "spiral",
    "stratified_split",
    "xor",
]

BLOB_RADIUS = 2.0
"""Radius of the circle on which ``blobs`` places its centres."""

VALIDATION_RANGE = (0.05, 0.5)
"""Valid fractions of each class held out for validation by ``load``."""

DIGITS_FILE = Path(__file__).with_name("digits.npz")


class Dataset(NamedTuple):
    """A data set split into a training and a validation part.

    ``x_train`` (N, d) float64 and ``y_train`` (N,) int64, likewise ``x_val`` and ``y_val``;
    every class 0 … classes − 1 occurs in both parts.  Each part is in a seeded random order.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    classes: int

    @property
    def input_dim(self) -> int:
        """d, the number of inputs of one example (2 for the toy sets, 64 for the digits)."""
        return int(self.x_train.shape[1])

    @property
    def is_2d(self) -> bool:
        """True when d == 2: the sets whose decision regions can be drawn in the plane."""
        return self.input_dim == 2

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """(x_lo, x_hi, y_lo, y_hi): the box a decision-region map should cover; None if not 2-D.

        The smallest box holding every training and validation point, widened on each side by
        10 % of its larger side (the same margin on both axes).
        """
        if not self.is_2d:
            return None
        points = np.concatenate([self.x_train, self.x_val])
        lo, hi = points.min(axis=0), points.max(axis=0)
        span = float(np.max(hi - lo))
        margin = 0.1 * span if span > 0 else 1.0
        return (float(lo[0] - margin), float(hi[0] + margin), float(lo[1] - margin), float(hi[1] + margin))


class Param(NamedTuple):
    """One parameter of a generator, with what a slider needs to offer it.

    Valid values v satisfy ``low ≤ v ≤ high``, and are whole numbers when ``integer``.
    """

    name: str
    default: int | float
    low: int | float
    high: int | float
    integer: bool
    title: str
    title_zh: str


class DatasetSpec(NamedTuple):
    """A registry entry: titles, the generator and its parameters.

    ``generator(**params, seed=seed)`` (``seed`` only when ``seeded``) returns ``(x, y)``.
    """

    name: str
    title: str
    title_zh: str
    generator: Callable[..., tuple[np.ndarray, np.ndarray]]
    params: tuple[Param, ...]
    is_2d: bool
    seeded: bool


# ---------------------------------------------------------------------------------------------
# Checking values


def _text(value) -> str:
    """A value as an error message shows it: 2 → '2', 2.5 → '2.5', nan → 'nan', '3' → "'3'"."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return f"{float(value):.12g}"
    return repr(value)


def _range_text(param: Param) -> str:
    kind = " (whole numbers)" if param.integer else ""
    return f"{_text(param.low)} ≤ {param.name} ≤ {_text(param.high)}{kind}"


def _check(param: Param, value) -> int | float:
    """``value`` as an int (``param.integer``) or float, or ValueError naming the field and range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"{param.name} = {value!r} is not a number: valid range is {_range_text(param)}"
        )
    number = float(value)
    whole = math.isfinite(number) and number == math.floor(number)
    if not (math.isfinite(number) and param.low <= number <= param.high) or (param.integer and not whole):
        raise ValueError(
            f"{param.name} = {_text(value)} is out of range: valid range is {_range_text(param)}"
        )
    return int(number) if param.integer else number + 0.0


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Real):
        raise ValueError(f"seed = {seed!r} is not a number: valid range is seed ≥ 0 (whole numbers)")
    if not (math.isfinite(float(seed)) and float(seed) >= 0 and float(seed) == math.floor(float(seed))):
        raise ValueError(f"seed = {_text(seed)} is out of range: valid range is seed ≥ 0 (whole numbers)")
    return int(seed)


def _checked(name: str, values: dict) -> dict:
    params = DATASETS[name].params
    return {param.name: _check(param, values[param.name]) for param in params}


# ---------------------------------------------------------------------------------------------
# Generators


def spiral(points_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: int = 0):
    """cs231n's spiral, "Neural Networks Case Study", exactly.

    For each class j = 0 … classes − 1 in turn, with N = points_per_class::

        r = linspace(0, 1, N)
        t = linspace(4j, 4(j + 1), N) + randn(N) · noise      # rng.standard_normal(N)
        x = (r sin t, r cos t),  y = j

    The normal draws come from ``np.random.default_rng(seed)``, one call of N per class, in
    class order (cs231n calls the legacy ``np.random.randn`` the same way).  Returns ``(x, y)``
    with ``classes · N`` points, class 0's block first.
    """
    v = _checked("spiral", {"points_per_class": points_per_class, "classes": classes, "noise": noise})
    seed = _check_seed(seed)
    n, k = v["points_per_class"], v["classes"]
    rng = np.random.default_rng(seed)
    x = np.zeros((n * k, 2))
    y = np.zeros(n * k, dtype=np.int64)
    for j in range(k):
        ix = slice(n * j, n * (j + 1))
        r = np.linspace(0.0, 1.0, n)
        t = np.linspace(j * 4, (j + 1) * 4, n) + rng.standard_normal(n) * v["noise"]
        x[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return x, y


def moons(points: int = 300, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles, the geometry of ``sklearn.datasets.make_moons``.

    n0 = points // 2 points of class 0 on the upper half of the unit circle and n1 = points − n0
    of class 1 on a lower half circle shifted right and down::

        class 0: (cos θ, sin θ),             θ = linspace(0, π, n0)
        class 1: (1 − cos θ, 1 − sin θ − ½), θ = linspace(0, π, n1)

    then every coordinate gets Gaussian noise of standard deviation ``noise``
    (``noise · rng.standard_normal((points, 2))``, one draw).
    """
    v = _checked("moons", {"points": points, "noise": noise})
    seed = _check_seed(seed)
    n = v["points"]
    n0 = n // 2
    n1 = n - n0
    rng = np.random.default_rng(seed)
    theta0 = np.linspace(0.0, np.pi, n0)
    theta1 = np.linspace(0.0, np.pi, n1)
    x = np.concatenate([
        np.c_[np.cos(theta0), np.sin(theta0)],
        np.c_[1.0 - np.cos(theta1), 1.0 - np.sin(theta1) - 0.5],
    ])
    x = x + v["noise"] * rng.standard_normal((n, 2))
    y = np.repeat(np.arange(2, dtype=np.int64), [n0, n1])
    return x, y


def circles(points: int = 300, noise: float = 0.1, factor: float = 0.5, seed: int = 0):
    """Two concentric circles, the geometry of ``sklearn.datasets.make_circles``.

    n0 = points // 2 points of class 0 on the unit circle and n1 = points − n0 of class 1 on the
    circle of radius ``factor``, each evenly spaced from angle 0::

        class 0: (cos θ, sin θ),        θ = 2π i / n0,  i = 0 … n0 − 1
        class 1: factor (cos θ, sin θ), θ = 2π i / n1,  i = 0 … n1 − 1

    then Gaussian noise of standard deviation ``noise`` on every coordinate (one draw of shape
    (points, 2)).
    """
    v = _checked("circles", {"points": points, "noise": noise, "factor": factor})
    seed = _check_seed(seed)
    n = v["points"]
    n0 = n // 2
    n1 = n - n0
    rng = np.random.default_rng(seed)
    theta0 = np.linspace(0.0, 2 * np.pi, n0, endpoint=False)
    theta1 = np.linspace(0.0, 2 * np.pi, n1, endpoint=False)
    x = np.concatenate([
        np.c_[np.cos(theta0), np.sin(theta0)],
        v["factor"] * np.c_[np.cos(theta1), np.sin(theta1)],
    ])
    x = x + v["noise"] * rng.standard_normal((n, 2))
    y = np.repeat(np.arange(2, dtype=np.int64), [n0, n1])
    return x, y


def xor(points: int = 300, noise: float = 0.1, seed: int = 0):
    """TensorFlow Playground's XOR: points uniform in [−1, 1]², label 1 where x·y < 0.

    Exactly n0 = points // 2 points of class 0 (x·y > 0: first and third quadrants) and
    n1 = points − n0 of class 1 (x·y < 0), so both classes are always present; within each class
    the points are uniform on its two quadrants (together: uniform on the square, balanced).
    Drawn as |x|, |y| = 1 − rng.random((points, 2)) ∈ (0, 1] (never on an axis), the sign of x
    from rng.integers(0, 2, points), the sign of y equal to it for class 0 and opposite for
    class 1.  Then Gaussian noise of standard deviation ``noise`` moves the positions (one draw
    of shape (points, 2)); the labels stay those of the positions before the noise.
    """
    v = _checked("xor", {"points": points, "noise": noise})
    seed = _check_seed(seed)
    n = v["points"]
    n0 = n // 2
    rng = np.random.default_rng(seed)
    magnitude = 1.0 - rng.random((n, 2))
    sign_x = 2.0 * rng.integers(0, 2, n) - 1.0
    y = np.repeat(np.arange(2, dtype=np.int64), [n0, n - n0])
    sign_y = np.where(y == 0, sign_x, -sign_x)
    x = magnitude * np.c_[sign_x, sign_y]
    x = x + v["noise"] * rng.standard_normal((n, 2))
    return x, y


def blobs(points: int = 300, classes: int = 3, spread: float = 0.5, seed: int = 0):
    """Isotropic Gaussian blobs around centres evenly spaced on a circle of radius 2.

    Class k of K = ``classes`` has centre c_k = 2 (cos 2πk/K, sin 2πk/K) and
    points // K points, one more for the first points mod K classes; each point is
    c_k + spread · z with z a standard normal draw (one draw of shape (points, 2)).
    """
    v = _checked("blobs", {"points": points, "classes": classes, "spread": spread})
    seed = _check_seed(seed)
    n, k = v["points"], v["classes"]
    rng = np.random.default_rng(seed)
    counts = [n // k + (1 if j < n % k else 0) for j in range(k)]
    y = np.repeat(np.arange(k, dtype=np.int64), counts)
    angle = 2 * np.pi * np.arange(k) / k
    centres = BLOB_RADIUS * np.c_[np.cos(angle), np.sin(angle)]
    x = centres[y] + v["spread"] * rng.standard_normal((n, 2))
    return x, y


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    with np.load(DIGITS_FILE, allow_pickle=False) as archive:
        images = np.array(archive["images"])
        labels = np.array(archive["labels"])
    if images.shape != (1797, 8, 8) or labels.shape != (1797,) or images.max() > 16 or labels.max() > 9:
        raise ValueError(f"{DIGITS_FILE} is damaged: unexpected shapes or values")
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def digits():
    """The 8×8 handwritten digits that scikit-learn ships (``sklearn.datasets.load_digits``).

    Returns ``(x, y)``: x (1797, 64) float64, the images flattened row by row with pixel values
    0–16 divided by 16 (so in [0, 1]); y (1797,) int64, the digit 0–9.  In scikit-learn's order
    (not grouped by class).  Loaded from ``nets/digits.npz`` with NumPy only; no randomness.
    """
    images, labels = _digits_arrays()
    return images.reshape(len(images), 64) / 16.0, labels.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# Registry


def _points(default: int) -> Param:
    return Param("points", default, 20, 2000, True, "Points", "点数")


def _noise(default: float) -> Param:
    return Param("noise", default, 0.0, 1.0, False, "Noise", "噪声")


def _classes(default: int) -> Param:
    return Param("classes", default, 2, 10, True, "Classes", "类别数")


DATASETS: MappingProxyType[str, DatasetSpec] = MappingProxyType({
    "spiral": DatasetSpec(
        "spiral", "Spiral", "螺旋", spiral,
        (Param("points_per_class", 100, 20, 2000, True, "Points per class", "每类点数"),
         _classes(3), _noise(0.2)),
        True, True),
    "moons": DatasetSpec("moons", "Moons", "双月", moons, (_points(300), _noise(0.1)), True, True),
    "circles": DatasetSpec(
        "circles", "Circles", "同心圆", circles,
        (_points(300), _noise(0.1), Param("factor", 0.5, 0.1, 0.9, False, "Inner radius", "内圆半径")),
        True, True),
    "xor": DatasetSpec("xor", "XOR", "异或", xor, (_points(300), _noise(0.1)), True, True),
    "blobs": DatasetSpec(
        "blobs", "Blobs", "高斯团", blobs,
        (_points(300), _classes(3), Param("spread", 0.5, 0.0, 2.0, False, "Spread", "散布")),
        True, True),
    "digits": DatasetSpec("digits", "Handwritten digits", "手写数字", digits, (), False, False),
})
"""Name → DatasetSpec, in teaching order."""

_CLASSES = {"moons": 2, "circles": 2, "xor": 2, "digits": 10}


# ---------------------------------------------------------------------------------------------
# Split and load


def stratified_split(y, validation: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val) of a seeded split that holds out ``validation`` of every class.

    Class c with n_c ≥ 2 examples puts n_val = clip(⌊validation · n_c + ½⌉, 1, n_c − 1) of them,
    chosen at random, in the validation part and the rest in the training part, so every class
    is in both.  Draws from ``np.random.default_rng(seed)``: one permutation per class in class
    order, then one permutation of each part (so each part is in random order).  The two index
    arrays are disjoint and together cover 0 … len(y) − 1.
    """
    low, high = VALIDATION_RANGE
    fraction = _check(Param("validation", 0.2, low, high, False, "", ""), validation)
    return _split(y, fraction, np.random.default_rng(_check_seed(seed)))


def _split(y, fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be a non-empty 1-D array of integer labels, got shape {y.shape} {y.dtype}")
    train, val = [], []
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        if len(members) < 2:
            raise ValueError(f"class {label} has {len(members)} example: a split needs at least 2 per class")
        n_val = min(max(int(math.floor(fraction * len(members) + 0.5)), 1), len(members) - 1)
        val.append(members[:n_val])
        train.append(members[n_val:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(val))


def load(name: str, *, seed: int = 0, validation: float = 0.2, **params) -> Dataset:
    """Data set ``name`` with its parameters checked, split into training and validation parts.

    ``params`` are the generator's parameters (``DATASETS[name].params``; missing ones take their
    defaults).  ``seed`` (whole, ≥ 0) seeds the generator; the split draws from a second stream,
    ``np.random.default_rng([seed, 1])``, so the points do not depend on ``validation``.
    ``validation`` (0.05 ≤ validation ≤ 0.5) is the fraction of every class held out
    (``stratified_split``).  The same arguments give identical arrays.

    Raises ValueError for an unknown name (listing the valid ones), an unknown parameter (listing
    the accepted ones) or a value outside its range (naming the field and the valid range).
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}: valid names are {', '.join(DATASETS)}")
    spec = DATASETS[name]
    accepted = {param.name for param in spec.params}
    for key in params:
        if key not in accepted:
            valid = ", ".join(param.name for param in spec.params) or "none"
            raise ValueError(f"unknown parameter {key!r} for data set {name!r}: valid parameters are {valid}")
    values = _checked(name, {param.name: params.get(param.name, param.default) for param in spec.params})
    seed = _check_seed(seed)
    low, high = VALIDATION_RANGE
    fraction = _check(Param("validation", 0.2, low, high, False, "", ""), validation)
    x, y = spec.generator(**values, seed=seed) if spec.seeded else spec.generator(**values)
    train, val = _split(y, fraction, np.random.default_rng([seed, 1]))
    classes = values["classes"] if "classes" in values else _CLASSES[name]
    return Dataset(
        name,
        np.ascontiguousarray(x[train], dtype=np.float64),
        np.ascontiguousarray(y[train], dtype=np.int64),
        np.ascontiguousarray(x[val], dtype=np.float64),
        np.ascontiguousarray(y[val], dtype=np.int64),
        int(classes),
    )


def head(data: Dataset, n_train: int) -> Dataset:
    """The same data set with only its first ``n_train`` training examples (a random subset: the split is in a
    seeded random order); the validation split unchanged."""
    return data._replace(x_train=data.x_train[:n_train], y_train=data.y_train[:n_train])
