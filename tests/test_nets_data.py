"""Tests of nets.data: the toy 2-D sets against their formulas, the shipped digits, the split, bad input.

The golden values are computed here independently of nets/data.py: the cs231n spiral code written
out again, circle radii checked by hand, XOR labels from signs, and the digits compared with
scikit-learn's own copy and with facts from the UCI documentation.
"""

import inspect
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nets import data
from nets.data import DATASETS, Dataset, load

ROOT = Path(__file__).resolve().parents[1]
TOY = ("spiral", "moons", "circles", "xor", "blobs")


def rows_sorted(x):
    """The rows of x in lexicographic order: compares two point sets as multisets."""
    x = np.asarray(x)
    return x[np.lexsort(x.T[::-1])]


# ---------------------------------------------------------------------------------------------
# Registry


def test_registry_names_titles_and_flags():
    assert tuple(DATASETS) == ("spiral", "moons", "circles", "xor", "blobs", "digits")
    assert {name: spec.title_zh for name, spec in DATASETS.items()} == {
        "spiral": "螺旋", "moons": "双月", "circles": "同心圆", "xor": "异或", "blobs": "高斯团", "digits": "手写数字",
    }
    assert [name for name, spec in DATASETS.items() if spec.is_2d] == list(TOY)
    for name, spec in DATASETS.items():
        assert spec.name == name
        assert spec.title and spec.title_zh
        assert callable(spec.generator)
    with pytest.raises(TypeError):
        DATASETS["new"] = DATASETS["xor"]  # read-only


def test_registry_parameters_match_the_generators_and_the_brief():
    for name, spec in DATASETS.items():
        signature = inspect.signature(spec.generator).parameters
        assert [p.name for p in spec.params] == [p for p in signature if p != "seed"]
        assert ("seed" in signature) == spec.seeded
        for param in spec.params:
            assert signature[param.name].default == param.default
            assert param.low <= param.default <= param.high
            assert param.title and param.title_zh
    ranges = {(name, p.name): (p.low, p.high, p.integer) for name, spec in DATASETS.items() for p in spec.params}
    assert ranges[("spiral", "points_per_class")] == (20, 2000, True)
    for name in ("moons", "circles", "xor", "blobs"):
        assert ranges[(name, "points")] == (20, 2000, True)
    for name in TOY[:4]:
        assert ranges[(name, "noise")] == (0, 1, False)
    for name in ("spiral", "blobs"):
        assert ranges[(name, "classes")] == (2, 10, True)
    assert DATASETS["digits"].params == ()


# ---------------------------------------------------------------------------------------------
# Spiral: cs231n's code, written out again here


def cs231n_spiral(N, K, noise, seed):
    """The spiral of cs231n's "Neural Networks Case Study", with np.random.randn → rng.standard_normal."""
    rng = np.random.default_rng(seed)
    D = 2
    X = np.zeros((N * K, D))
    y = np.zeros(N * K, dtype="uint8")
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)  # radius
        t = np.linspace(j * 4, (j + 1) * 4, N) + rng.standard_normal(N) * noise  # theta
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


@pytest.mark.parametrize("N, K, noise, seed", [(100, 3, 0.2, 0), (20, 2, 0.0, 5), (57, 10, 1.0, 123), (2000, 4, 0.35, 9)])
def test_spiral_is_the_cs231n_spiral(N, K, noise, seed):
    x, y = data.spiral(points_per_class=N, classes=K, noise=noise, seed=seed)
    X, Y = cs231n_spiral(N, K, noise, seed)
    np.testing.assert_allclose(x, X, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(y, Y)
    assert x.dtype == np.float64 and y.dtype == np.int64


def test_spiral_by_hand_without_noise():
    x, y = data.spiral(points_per_class=100, classes=3, noise=0.0)
    assert np.bincount(y).tolist() == [100, 100, 100]
    # Each arm starts at the origin and ends on the unit circle at angle t = 4(j + 1).
    for j, (sin_t, cos_t) in enumerate([(-0.7568024953079282, -0.6536436208636119),  # sin 4, cos 4
                                        (0.9893582466233818, -0.14550003380861354),  # sin 8, cos 8
                                        (-0.5365729180004349, 0.8438539587324921)]):  # sin 12, cos 12
        arm = x[y == j]
        np.testing.assert_array_equal(arm[0], [0.0, 0.0])
        np.testing.assert_allclose(arm[-1], [sin_t, cos_t], atol=1e-12)
        np.testing.assert_allclose(np.hypot(arm[:, 0], arm[:, 1]), np.linspace(0, 1, 100), atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Moons, circles, XOR, blobs: geometry by hand


@pytest.mark.parametrize("points", [20, 300, 301, 2000])
def test_moons_without_noise_lie_on_their_half_circles(points):
    x, y = data.moons(points=points, noise=0.0)
    n0 = points // 2
    assert np.bincount(y).tolist() == [n0, points - n0]
    assert np.all(y[:n0] == 0) and np.all(y[n0:] == 1)
    upper, lower = x[y == 0], x[y == 1]
    # Class 0: the upper half of the unit circle, from (1, 0) to (−1, 0).
    np.testing.assert_allclose(upper[:, 0] ** 2 + upper[:, 1] ** 2, 1.0, atol=1e-12)
    assert np.all(upper[:, 1] >= -1e-12)
    np.testing.assert_allclose(upper[[0, -1]], [[1, 0], [-1, 0]], atol=1e-12)
    # Class 1: the unit circle about (1, 0.5), its lower half, from (0, 0.5) to (2, 0.5).
    np.testing.assert_allclose((lower[:, 0] - 1) ** 2 + (lower[:, 1] - 0.5) ** 2, 1.0, atol=1e-12)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)
    np.testing.assert_allclose(lower[[0, -1]], [[0, 0.5], [2, 0.5]], atol=1e-12)
    # Evenly spaced in angle: equal chords along each arc.
    for arc in (upper, lower):
        chords = np.hypot(*np.diff(arc, axis=0).T)
        np.testing.assert_allclose(chords, chords[0], rtol=1e-9)


@pytest.mark.parametrize("points, factor", [(20, 0.5), (300, 0.5), (301, 0.3), (2000, 0.9)])
def test_circles_without_noise_lie_on_their_circles(points, factor):
    x, y = data.circles(points=points, noise=0.0, factor=factor)
    n0 = points // 2
    assert np.bincount(y).tolist() == [n0, points - n0]
    radius = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0, atol=1e-12)
    np.testing.assert_allclose(radius[y == 1], factor, atol=1e-12)
    for label, n in ((0, n0), (1, points - n0)):
        angles = np.mod(np.arctan2(x[y == label, 1], x[y == label, 0]), 2 * np.pi)
        np.testing.assert_allclose(np.sort(angles), 2 * np.pi * np.arange(n) / n, atol=1e-9)


@pytest.mark.parametrize("name, kwargs", [("moons", {}), ("circles", {"factor": 0.7})])
def test_noise_is_gaussian_with_standard_deviation_noise(name, kwargs):
    generator = DATASETS[name].generator
    clean, y0 = generator(points=2000, noise=0.0, seed=3, **kwargs)
    noisy, y1 = generator(points=2000, noise=0.25, seed=3, **kwargs)
    np.testing.assert_array_equal(y0, y1)
    shift = noisy - clean
    # 4000 normal draws: the sample mean is within 4 standard errors, the sample std within 5 %.
    assert abs(shift.mean()) < 4 * 0.25 / math.sqrt(4000)
    assert abs(shift.std() / 0.25 - 1) < 0.05


def test_moons_and_circles_match_scikit_learn_without_noise():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    for points in (20, 301):
        x, y = data.moons(points=points, noise=0.0)
        X, Y = sklearn_datasets.make_moons(n_samples=points, shuffle=False, noise=None)
        np.testing.assert_allclose(x, X, atol=1e-12)
        np.testing.assert_array_equal(y, Y)
        x, y = data.circles(points=points, noise=0.0, factor=0.4)
        X, Y = sklearn_datasets.make_circles(n_samples=points, shuffle=False, noise=None, factor=0.4)
        np.testing.assert_allclose(x, X, atol=1e-12)
        np.testing.assert_array_equal(y, Y)


@pytest.mark.parametrize("points, seed", [(20, 0), (301, 1), (2000, 7)])
def test_xor_labels_by_sign(points, seed):
    x, y = data.xor(points=points, noise=0.0, seed=seed)
    assert np.all(np.abs(x) <= 1) and np.all(x != 0)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(int))
    assert np.bincount(y).tolist() == [points // 2, points - points // 2]


def test_xor_is_uniform_on_the_square():
    x, y = data.xor(points=2000, noise=0.0, seed=11)
    # Each of the 4 quadrants holds about a quarter (binomial, 500 ± 5σ with σ ≈ 15.8) ...
    quadrant = (x[:, 0] > 0) * 2 + (x[:, 1] > 0)
    assert np.all(np.abs(np.bincount(quadrant, minlength=4) - 500) < 80)
    # ... and |x|, |y| are uniform on (0, 1]: mean 1/2 and variance 1/12.
    magnitude = np.abs(x).ravel()
    assert abs(magnitude.mean() - 0.5) < 4 * math.sqrt(1 / 12 / 4000)
    assert abs(magnitude.var() - 1 / 12) < 0.01


def test_xor_noise_moves_positions_not_labels():
    clean, y0 = data.xor(points=500, noise=0.0, seed=2)
    noisy, y1 = data.xor(points=500, noise=0.05, seed=2)
    np.testing.assert_array_equal(y0, y1)
    assert 0 < np.abs(noisy - clean).max() < 0.05 * 6
    agree = np.mean(y1 == (noisy[:, 0] * noisy[:, 1] < 0))
    assert 0.9 < agree < 1  # a few points near the axes change side


@pytest.mark.parametrize("points, classes", [(300, 3), (301, 3), (20, 10), (2000, 7), (50, 2)])
def test_blobs_near_their_centres(points, classes):
    spread = 0.05
    x, y = data.blobs(points=points, classes=classes, spread=spread, seed=4)
    counts = np.bincount(y, minlength=classes)
    assert counts.sum() == points and counts.max() - counts.min() <= 1
    assert counts.tolist() == sorted(counts.tolist(), reverse=True)
    for k in range(classes):
        centre = 2 * np.array([math.cos(2 * math.pi * k / classes), math.sin(2 * math.pi * k / classes)])
        distance = np.hypot(*(x[y == k] - centre).T)
        assert distance.max() < 6 * spread  # P(a 2-D normal beyond 6σ) = e^−18
    x, y = data.blobs(points=points, classes=classes, spread=0.0, seed=4)
    np.testing.assert_allclose(np.hypot(x[:, 0], x[:, 1]), 2.0, atol=1e-12)


def test_blobs_spread_is_the_standard_deviation():
    x, y = data.blobs(points=2000, classes=4, spread=0.5, seed=8)
    centres = 2 * np.array([[1, 0], [0, 1], [-1, 0], [0, -1]])
    shift = x - centres[y]
    assert abs(shift.std() / 0.5 - 1) < 0.05


# ---------------------------------------------------------------------------------------------
# Class counts, dtypes, reproducibility


@pytest.mark.parametrize("name, params, counts", [
    ("spiral", {}, [100] * 3),
    ("spiral", {"points_per_class": 20, "classes": 10}, [20] * 10),
    ("moons", {"points": 301}, [150, 151]),
    ("circles", {}, [150, 150]),
    ("xor", {"points": 21}, [10, 11]),
    ("blobs", {"points": 302, "classes": 4}, [76, 76, 75, 75]),
])
def test_class_counts(name, params, counts):
    x, y = DATASETS[name].generator(**params)
    assert np.bincount(y).tolist() == counts
    assert x.shape == (sum(counts), 2) and x.dtype == np.float64 and y.dtype == np.int64
    ds = load(name, **params)
    both = np.bincount(ds.y_train, minlength=len(counts)) + np.bincount(ds.y_val, minlength=len(counts))
    assert both.tolist() == counts
    assert ds.classes == len(counts)


@pytest.mark.parametrize("name", list(DATASETS))
def test_same_arguments_give_identical_arrays(name):
    first, second = load(name, seed=42), load(name, seed=42)
    for a, b in zip(first[1:5], second[1:5]):
        np.testing.assert_array_equal(a, b)
    assert first.classes == second.classes and first.name == second.name == name
    other = load(name, seed=43)
    assert not np.array_equal(first.x_train, other.x_train)  # a different split (and points)


@pytest.mark.parametrize("name", TOY)
def test_the_seed_changes_the_points_and_validation_does_not(name):
    generator = DATASETS[name].generator
    x1, _ = generator(seed=1)
    x2, _ = generator(seed=2)
    assert not np.array_equal(x1, x2)
    a, b = load(name, seed=5, validation=0.1), load(name, seed=5, validation=0.5)
    np.testing.assert_array_equal(rows_sorted(np.r_[a.x_train, a.x_val]), rows_sorted(np.r_[b.x_train, b.x_val]))
    x, _ = generator(seed=5)
    np.testing.assert_array_equal(rows_sorted(np.r_[a.x_train, a.x_val]), rows_sorted(x))


def test_dataset_arrays_shapes_and_properties():
    ds = load("moons")
    assert isinstance(ds, Dataset) and ds._fields == ("name", "x_train", "y_train", "x_val", "y_val", "classes")
    assert ds.x_train.shape == (240, 2) and ds.x_val.shape == (60, 2)
    assert ds.y_train.shape == (240,) and ds.y_val.shape == (60,)
    for array, dtype in ((ds.x_train, np.float64), (ds.y_train, np.int64), (ds.x_val, np.float64), (ds.y_val, np.int64)):
        assert array.dtype == dtype and array.flags.c_contiguous
    assert ds.input_dim == 2 and ds.is_2d
    digits = load("digits")
    assert digits.input_dim == 64 and not digits.is_2d and digits.bounds is None


@pytest.mark.parametrize("name", TOY)
def test_bounds_cover_every_point_with_a_margin(name):
    ds = load(name)
    x_lo, x_hi, y_lo, y_hi = ds.bounds
    points = np.r_[ds.x_train, ds.x_val]
    margin = 0.1 * max(np.ptp(points[:, 0]), np.ptp(points[:, 1]))
    assert margin > 0
    np.testing.assert_allclose([x_lo, x_hi, y_lo, y_hi], [points[:, 0].min() - margin, points[:, 0].max() + margin,
                                                          points[:, 1].min() - margin, points[:, 1].max() + margin])
    assert all(isinstance(v, float) for v in ds.bounds)


# ---------------------------------------------------------------------------------------------
# The split


# held out per class of sizes 2, 7, 40, 151: validation · n rounded half up, then kept within 1 … n − 1 (by hand:
# 0.05 · 7 = 0.35 → 0 → 1; 0.05 · 151 = 7.55 → 8; 0.33 · 7 = 2.31 → 2; 0.5 · 2 = 1; 0.5 · 151 = 75.5 → 76)
HELD_OUT = {0.05: [1, 1, 2, 8], 0.2: [1, 1, 8, 30], 0.33: [1, 2, 13, 50], 0.5: [1, 4, 20, 76]}


@pytest.mark.parametrize("validation", [0.05, 0.2, 0.33, 0.5])
def test_split_is_stratified_disjoint_covering_and_reproducible(validation):
    y = np.repeat(np.arange(4), [2, 7, 40, 151])
    train, val = data.stratified_split(y, validation, seed=3)
    assert len(np.intersect1d(train, val)) == 0
    np.testing.assert_array_equal(np.sort(np.r_[train, val]), np.arange(len(y)))
    held_out = [int(np.sum(y[val] == label)) for label in range(4)]
    assert held_out == HELD_OUT[validation]  # every class in both parts, in its share
    again = data.stratified_split(y, validation, seed=3)
    np.testing.assert_array_equal(train, again[0])
    np.testing.assert_array_equal(val, again[1])
    other = data.stratified_split(y, validation, seed=4)
    assert not np.array_equal(val, other[1])


def test_split_is_shuffled():
    y = np.repeat(np.arange(2), 500)
    train, val = data.stratified_split(y, 0.2, seed=0)
    assert not np.all(np.diff(train) > 0)  # not in index order, nor class after class
    assert 0 < np.mean(y[train][:100]) < 1


@pytest.mark.parametrize("name, params", [(name, {}) for name in DATASETS] + [
    ("blobs", {"points": 20, "classes": 10}),
    ("spiral", {"points_per_class": 20, "classes": 10}),
    ("xor", {"points": 20}),
])
@pytest.mark.parametrize("validation", [0.05, 0.5])
def test_load_keeps_every_class_in_both_parts(name, params, validation):
    ds = load(name, validation=validation, **params)
    assert set(ds.y_train.tolist()) == set(ds.y_val.tolist()) == set(range(ds.classes))
    n = len(ds.y_train) + len(ds.y_val)
    assert abs(len(ds.y_val) - validation * n) <= ds.classes  # at most one rounding per class


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(TOY),
    points=st.integers(20, 2000),
    classes=st.integers(2, 10),
    noise=st.floats(0, 1),
    seed=st.integers(0, 2**32),
    validation=st.floats(0.05, 0.5),
)
def test_any_valid_arguments_load(name, points, classes, noise, seed, validation):
    names = {p.name for p in DATASETS[name].params}
    params = {"points": points, "points_per_class": points // 10 + 20, "classes": classes, "noise": noise}
    params = {key: value for key, value in params.items() if key in names}
    ds = load(name, seed=seed, validation=validation, **params)
    assert np.all(np.isfinite(ds.x_train)) and np.all(np.isfinite(ds.x_val))
    assert set(ds.y_train.tolist()) == set(ds.y_val.tolist()) == set(range(ds.classes))
    expected = params.get("points", params.get("points_per_class", 0) * params.get("classes", 1))
    assert len(ds.y_train) + len(ds.y_val) == expected
    assert len(ds.y_train) + len(ds.y_val) <= 20000  # the ranges bound the memory


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize("call, message", [
    (lambda: load("moons", noise=2), "noise = 2 is out of range: valid range is 0 ≤ noise ≤ 1"),
    (lambda: load("spiral", noise=-0.1), "noise = -0.1 is out of range: valid range is 0 ≤ noise ≤ 1"),
    (lambda: load("xor", noise=float("nan")), "noise = nan is out of range: valid range is 0 ≤ noise ≤ 1"),
    (lambda: load("moons", points=19), "points = 19 is out of range: valid range is 20 ≤ points ≤ 2000 (whole numbers)"),
    (lambda: load("circles", points=2001), "points = 2001 is out of range: valid range is 20 ≤ points ≤ 2000"),
    (lambda: load("xor", points=100.5), "points = 100.5 is out of range: valid range is 20 ≤ points ≤ 2000 (whole"),
    (lambda: load("moons", points="100"), "points = '100' is not a number: valid range is 20 ≤ points ≤ 2000"),
    (lambda: load("moons", points=True), "points = True is not a number"),
    (lambda: load("spiral", points_per_class=10), "points_per_class = 10 is out of range: valid range is 20 ≤ "
                                                  "points_per_class ≤ 2000"),
    (lambda: load("spiral", classes=1), "classes = 1 is out of range: valid range is 2 ≤ classes ≤ 10"),
    (lambda: load("blobs", classes=11), "classes = 11 is out of range: valid range is 2 ≤ classes ≤ 10"),
    (lambda: load("blobs", spread=3), "spread = 3 is out of range: valid range is 0 ≤ spread ≤ 2"),
    (lambda: load("circles", factor=1.0), "factor = 1 is out of range: valid range is 0.1 ≤ factor ≤ 0.9"),
    (lambda: load("moons", seed=-1), "seed = -1 is out of range: valid range is seed ≥ 0 (whole numbers)"),
    (lambda: load("moons", seed=1.5), "seed = 1.5 is out of range: valid range is seed ≥ 0"),
    (lambda: load("moons", seed=None), "seed = None is not a number: valid range is seed ≥ 0"),
    (lambda: load("digits", validation=0.6), "validation = 0.6 is out of range: valid range is 0.05 ≤ validation ≤ 0.5"),
    (lambda: load("moons", validation=0.01), "validation = 0.01 is out of range: valid range is 0.05 ≤ validation"),
    (lambda: load("digits", noise=0.1), "unknown parameter 'noise' for data set 'digits': valid parameters are none"),
    (lambda: load("moons", classes=3), "unknown parameter 'classes' for data set 'moons': valid parameters are "
                                       "points, noise"),
    (lambda: load("mnist"), "unknown data set 'mnist': valid names are spiral, moons, circles, xor, blobs, digits"),
    (lambda: load(3), "unknown data set 3: valid names are spiral"),
    (lambda: data.spiral(classes=1), "classes = 1 is out of range: valid range is 2 ≤ classes ≤ 10"),
    (lambda: data.blobs(points=5000), "points = 5000 is out of range"),
    (lambda: data.xor(seed=-3), "seed = -3 is out of range"),
    (lambda: data.stratified_split(np.array([0, 0, 1]), 0.2), "class 1 has 1 example"),
    (lambda: data.stratified_split(np.array([0, 0, 1, 1]), 0.9), "validation = 0.9 is out of range"),
])
def test_bad_input_names_the_field_and_its_range(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert message in str(caught.value)


def test_whole_valued_floats_are_accepted_as_counts():
    a, b = load("moons", points=100.0, seed=2.0), load("moons", points=100, seed=2)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert load("spiral", classes=np.int64(4)).classes == 4


# ---------------------------------------------------------------------------------------------
# Digits


# UCI optdigits.names, "Class Distribution", the test set optdigits.tes (= scikit-learn's copy).
UCI_TEST_SET_CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]

# digits.images[0] as printed in scikit-learn's tutorials: a zero.
FIRST_IMAGE = [
    [0, 0, 5, 13, 9, 1, 0, 0],
    [0, 0, 13, 15, 10, 15, 5, 0],
    [0, 3, 15, 2, 0, 11, 8, 0],
    [0, 4, 12, 0, 0, 8, 8, 0],
    [0, 5, 8, 0, 0, 9, 8, 0],
    [0, 4, 11, 0, 1, 12, 7, 0],
    [0, 2, 14, 5, 10, 12, 0, 0],
    [0, 0, 6, 13, 10, 0, 0, 0],
]


def test_digits_shape_classes_and_values():
    x, y = data.digits()
    assert x.shape == (1797, 64) and x.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(x * 16, np.round(x * 16))  # k/16, k = 0 … 16
    assert np.bincount(y).tolist() == UCI_TEST_SET_CLASS_COUNTS
    np.testing.assert_array_equal(x[0].reshape(8, 8) * 16, FIRST_IMAGE)
    assert y[:10].tolist() == list(range(10)) and y[-3:].tolist() == [8, 9, 8]


def test_digits_are_scikit_learns_digits():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    reference = sklearn_datasets.load_digits()
    x, y = data.digits()
    np.testing.assert_array_equal(x, reference.data / 16)
    np.testing.assert_array_equal(y, reference.target)


def test_digits_load_split():
    ds = load("digits", seed=0, validation=0.2)
    assert ds.classes == 10 and ds.input_dim == 64
    assert len(ds.y_train) + len(ds.y_val) == 1797
    counts_val = np.bincount(ds.y_val, minlength=10)
    np.testing.assert_array_equal(counts_val, np.floor(0.2 * np.array(UCI_TEST_SET_CLASS_COUNTS) + 0.5))
    x, _ = data.digits()
    np.testing.assert_array_equal(rows_sorted(np.r_[ds.x_train, ds.x_val]), rows_sorted(x))


def test_digits_returns_fresh_arrays():
    x, y = data.digits()
    x[:] = -1
    y[:] = -1
    x2, y2 = data.digits()
    assert x2.min() == 0 and y2.min() == 0


def test_shipped_file_is_small_and_plain():
    path = ROOT / "nets" / "digits.npz"
    assert path.stat().st_size < 100_000
    with np.load(path, allow_pickle=False) as archive:  # no pickled objects inside
        assert sorted(archive.files) == ["images", "labels"]
        assert archive["images"].dtype == np.uint8 and archive["images"].shape == (1797, 8, 8)
        assert archive["labels"].dtype == np.uint8 and archive["labels"].shape == (1797,)


def test_the_module_needs_only_numpy():
    code = (
        "import sys, nets.data as d\n"
        "for name in d.DATASETS: d.load(name)\n"
        "bad = [m for m in ('sklearn', 'streamlit', 'scipy', 'plotly') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_module_docstring_lists_the_sets_and_the_licences():
    doc = data.__doc__
    for name in DATASETS:
        assert f"``{name}``" in doc
    for fact in ("BSD-3-Clause", "CC BY 4.0", "Alpaydin", "Kaynak", "1998", "load_digits"):
        assert fact in doc
