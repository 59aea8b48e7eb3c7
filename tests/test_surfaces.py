"""Tests of the surfaces package: exact derivatives, critical points, metadata, bad input."""

import copy
import dataclasses
import pickle
import types
import warnings

import numpy as np
from derivative_checks import local_scale
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import surfaces

EXPECTED_IDS = (
    "bowl",
    "ill_conditioned",
    "saddle",
    "monkey_saddle",
    "rosenbrock",
    "beale",
    "himmelblau",
    "rastrigin",
    "six_hump_camel",
    "two_wells",
)

# Every surface with its default parameters, then some non-default parameter choices.
VARIANTS = [(surface_id, {}) for surface_id in EXPECTED_IDS] + [
    ("ill_conditioned", {"kappa": 100, "angle": 30}),
    ("ill_conditioned", {"kappa": 1000, "angle": -60}),
    ("ill_conditioned", {"kappa": 1, "angle": 90}),
    ("rosenbrock", {"b": 10}),
    ("rosenbrock", {"a": 2, "b": 1000}),
    ("rosenbrock", {"a": 0.5, "b": 1}),
]


def variant_name(variant):
    surface_id, params = variant
    return surface_id + "".join(f"-{name}={value}" for name, value in params.items())


def parametrize_variants(test):
    return pytest.mark.parametrize("variant", VARIANTS, ids=[variant_name(v) for v in VARIANTS])(test)


def surface_of(variant):
    surface_id, params = variant
    return surfaces.get(surface_id, **params)


def central_gradient(f, p, h=1e-5):
    p = np.asarray(p, dtype=float)
    return np.stack([(f(p + step) - f(p - step)) / (2 * h) for step in h * np.eye(2)], axis=-1)


def central_hessian(grad, p, h=1e-5):
    p = np.asarray(p, dtype=float)
    columns = [(grad(p + step) - grad(p - step)) / (2 * h) for step in h * np.eye(2)]
    return np.stack(columns, axis=-1)


def assert_gradient_matches_differences(surface, points):
    exact = surface.grad(points)
    numeric = central_gradient(surface.f, points)
    tolerance = 1e-7 * local_scale(surface, points)[..., None]
    assert np.all(np.abs(exact - numeric) <= tolerance), (exact, numeric)


def assert_hessian_matches_differences(surface, points):
    exact = surface.hessian(points)
    numeric = central_hessian(surface.grad, points)
    tolerance = 1e-7 * local_scale(surface, points)[..., None, None]
    assert np.all(np.abs(exact - numeric) <= tolerance), (exact, numeric)


def random_domain_points(surface, count, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(*surface.x_range, size=count)
    y = rng.uniform(*surface.y_range, size=count)
    return np.stack([x, y], axis=-1)


def inside_domain(surface, points):
    points = np.asarray(points).reshape(-1, 2)
    (x_low, x_high), (y_low, y_high) = surface.x_range, surface.y_range
    x, y = points[:, 0], points[:, 1]
    return (x_low <= x) & (x <= x_high) & (y_low <= y) & (y <= y_high)


# ---------------------------------------------------------------------------
# Catalogue and metadata


def test_names_lists_every_surface_in_teaching_order():
    assert surfaces.names()[: len(EXPECTED_IDS)] == EXPECTED_IDS
    assert len(set(surfaces.names())) == len(surfaces.names())


@parametrize_variants
def test_metadata_has_the_documented_types(variant):
    surface = surface_of(variant)
    assert surface.id == variant[0]
    assert isinstance(surface.title, str) and surface.title
    assert isinstance(surface.latex, str) and surface.latex.startswith("f(x,y)=") and "$" not in surface.latex
    assert isinstance(surface.reference, str) and surface.reference
    for low, high in (surface.x_range, surface.y_range):
        assert type(low) is float and type(high) is float and low < high
    assert all(type(c) is float for c in surface.default_start) and len(surface.default_start) == 2
    assert isinstance(surface.log_levels, bool)
    assert isinstance(surface.params, types.MappingProxyType)
    for array, width in ((surface.minima, 2), (surface.saddles, 2), (surface.minima_values, None)):
        assert array.dtype == float and not array.flags.writeable
        assert array.ndim == (2 if width else 1)
        if width:
            assert array.shape[1] == width
    assert surface.minima_values.shape == (len(surface.minima),)


@parametrize_variants
def test_params_hold_every_parameter_with_its_value(variant):
    surface_id, requested = variant
    surface = surface_of(variant)
    specs = surfaces.param_specs(surface_id)
    expected = {spec.name: float(requested.get(spec.name, spec.default)) for spec in specs}
    assert dict(surface.params) == expected
    assert all(type(value) is float for value in surface.params.values())


def test_param_specs_describe_the_sliders():
    assert surfaces.param_specs("bowl") == ()
    kappa, angle = surfaces.param_specs("ill_conditioned")
    assert (kappa.name, kappa.default, kappa.low, kappa.high, kappa.log) == ("kappa", 10, 1, 1000, True)
    assert (angle.name, angle.default, angle.low, angle.high, angle.log) == ("angle", 0, -90, 90, False)
    a, b = surfaces.param_specs("rosenbrock")
    assert (a.name, a.default, b.name, b.default, b.log) == ("a", 1, "b", 100, True)
    for surface_id in surfaces.names():
        for spec in surfaces.param_specs(surface_id):
            assert isinstance(spec, surfaces.ParamSpec)
            assert spec.low <= spec.default <= spec.high and spec.label
            assert isinstance(spec.log, bool) and (spec.low > 0 or not spec.log)


def test_surface_is_frozen_hashable_and_reads_as_its_get_call():
    surface = surfaces.get("ill_conditioned", kappa=100, angle=30)
    with pytest.raises(dataclasses.FrozenInstanceError):
        surface.title = "changed"
    with pytest.raises(ValueError):
        surface.minima[0, 0] = 1.0
    with pytest.raises(TypeError):
        surface.params["kappa"] = 3.0
    assert {surface: 1}[surface] == 1
    assert repr(surface) == "surfaces.get('ill_conditioned', kappa=100, angle=30)"


def test_equal_requests_give_the_same_surface_which_survives_pickling():
    surface = surfaces.get("ill_conditioned", kappa=100, angle=30)
    assert surfaces.get("ill_conditioned", angle=30.0, kappa=100.0) is surface
    assert pickle.loads(pickle.dumps(surface)) is surface
    assert copy.deepcopy(surface) is surface
    assert surfaces.get("ill_conditioned", kappa=101) is not surface


def test_titles_show_the_parameters():
    assert surfaces.get("ill_conditioned").title == "Ill-conditioned quadratic (κ = 10, 0°)"
    assert surfaces.get("ill_conditioned", kappa=100, angle=30).title == "Ill-conditioned quadratic (κ = 100, 30°)"
    assert surfaces.get("rosenbrock", b=10).title == "Rosenbrock (a = 1, b = 10)"
    assert surfaces.get("rosenbrock", b=10).latex == r"f(x,y)=(1-x)^2+10\,(y-x^2)^2"
    assert surfaces.get("bowl").latex == r"f(x,y)=\frac{x^2}{20}+y^2"


def test_log_levels_where_the_dynamic_range_needs_them():
    log_ids = {s for s in surfaces.names() if surfaces.get(s).log_levels}
    assert log_ids == {"rosenbrock", "beale", "himmelblau"}
    assert surfaces.get("ill_conditioned", kappa=100).log_levels
    for surface_id, params in VARIANTS:
        surface = surfaces.get(surface_id, **params)
        assert not surface.log_levels or surface.f_min is not None


# ---------------------------------------------------------------------------
# Derivatives


@parametrize_variants
@pytest.mark.parametrize("check", [assert_gradient_matches_differences, assert_hessian_matches_differences],
                         ids=["gradient of f", "hessian of grad"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_derivatives_match_central_differences_at_any_point(variant, check, data):
    surface = surface_of(variant)
    check(surface, [data.draw(st.floats(*surface.x_range)), data.draw(st.floats(*surface.y_range))])


@parametrize_variants
def test_derivatives_match_central_differences_on_a_random_batch(variant):
    surface = surface_of(variant)
    points = random_domain_points(surface, 2000)
    assert_gradient_matches_differences(surface, points)
    assert_hessian_matches_differences(surface, points)


@parametrize_variants
def test_hessian_is_symmetric(variant):
    surface = surface_of(variant)
    hessians = surface.hessian(random_domain_points(surface, 500, seed=1))
    np.testing.assert_array_equal(hessians, np.swapaxes(hessians, -1, -2))


@parametrize_variants
@pytest.mark.parametrize("batch_shape", [(), (5,), (3, 4), (0,)])
def test_output_shapes_follow_the_batch_shape(variant, batch_shape):
    surface = surface_of(variant)
    points = np.random.default_rng(2).uniform(-1, 1, size=batch_shape + (2,))
    assert np.shape(surface.f(points)) == batch_shape
    assert surface.grad(points).shape == batch_shape + (2,)
    assert surface.hessian(points).shape == batch_shape + (2, 2)


@parametrize_variants
def test_lists_and_tuples_of_ints_are_accepted(variant):
    surface = surface_of(variant)
    as_array = np.array([[1.0, -1.0], [0.5, 2.0]])
    for points in ([[1, -1], [0.5, 2]], ((1, -1), (0.5, 2))):
        np.testing.assert_array_equal(surface.f(points), surface.f(as_array))
        np.testing.assert_array_equal(surface.grad(points), surface.grad(as_array))
        np.testing.assert_array_equal(surface.hessian(points), surface.hessian(as_array))
    assert surface.f((1, -1)) == surface.f(as_array[0])


@pytest.mark.parametrize("bad_points", [1.0, [1.0, 2.0, 3.0], np.zeros((4, 3))])
def test_points_without_a_last_axis_of_two_are_rejected(bad_points):
    surface = surfaces.get("bowl")
    for function in (surface.f, surface.grad, surface.hessian):
        with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
            function(bad_points)


@parametrize_variants
def test_diverging_points_give_inf_or_nan_never_an_exception(variant):
    surface = surface_of(variant)
    points = [[1e200, 1e200], [np.inf, 0], [np.nan, 1], [-np.inf, np.inf], [-1e300, 1e300]]
    with warnings.catch_warnings(), np.errstate(all="ignore"):  # as optim_core.run evaluates them
        warnings.simplefilter("error")
        values = surface.f(points)
        gradients = surface.grad(points)
        hessians = surface.hessian(points)
    assert values.shape == (5,) and gradients.shape == (5, 2) and hessians.shape == (5, 2, 2)
    assert np.isnan(values[2])


# ---------------------------------------------------------------------------
# Critical points


@parametrize_variants
def test_minima_are_critical_points_with_positive_definite_hessian(variant):
    surface = surface_of(variant)
    if len(surface.minima) == 0:
        return
    assert np.all(np.linalg.norm(surface.grad(surface.minima), axis=-1) < 1e-8)
    assert np.all(np.linalg.eigvalsh(surface.hessian(surface.minima)) > 0)
    np.testing.assert_array_equal(surface.minima_values, surface.f(surface.minima))


@parametrize_variants
def test_global_minimum_comes_first_and_equals_f_min(variant):
    surface = surface_of(variant)
    if surface.f_min is None:
        assert surface.minima.shape == (0, 2)
        return
    assert isinstance(surface.f_min, float)
    assert surface.f(surface.minima[0]) == pytest.approx(surface.f_min, abs=1e-12)
    assert np.all(surface.minima_values >= surface.f_min - 1e-12)


@parametrize_variants
def test_f_min_is_a_lower_bound_on_the_domain(variant):
    surface = surface_of(variant)
    x = np.linspace(*surface.x_range, 401)
    y = np.linspace(*surface.y_range, 401)
    values = surface.f(np.stack(np.meshgrid(x, y), axis=-1))
    if surface.f_min is None:
        assert values.min() < -1.0  # unbounded below: the domain already goes well under the saddle
    else:
        assert values.min() >= surface.f_min - 1e-12


@parametrize_variants
def test_saddles_are_critical_points_with_indefinite_or_zero_hessian(variant):
    surface = surface_of(variant)
    assert np.all(np.linalg.norm(surface.grad(surface.saddles), axis=-1) < 1e-8)
    for hessian in surface.hessian(surface.saddles):
        eigenvalues = np.linalg.eigvalsh(hessian)
        assert eigenvalues[0] < 0 < eigenvalues[1] or np.all(hessian == 0)


def newton_critical_points(surface, grid_size=81, steps=80):
    """Critical points inside the domain reached by Newton's method from a grid of starts."""
    x = np.linspace(*surface.x_range, grid_size)
    y = np.linspace(*surface.y_range, grid_size)
    points = np.stack(np.meshgrid(x, y), axis=-1).reshape(-1, 2)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            hessians = surface.hessian(points)
            solvable = np.abs(np.linalg.det(hessians)) > 1e-12
            points = points[solvable & np.all(np.isfinite(points), axis=-1)]
            points = points - np.linalg.solve(surface.hessian(points), surface.grad(points)[..., None])[..., 0]
    converged = np.linalg.norm(surface.grad(points), axis=-1) < 1e-8
    points = points[converged & inside_domain(surface, points)]
    return np.unique(np.round(points, 6), axis=0)


def is_listed(point, listed):
    return len(listed) > 0 and np.min(np.linalg.norm(listed - point, axis=-1)) < 1e-5


@parametrize_variants
def test_every_minimum_and_saddle_newton_finds_is_listed(variant):
    surface = surface_of(variant)
    for point in newton_critical_points(surface):
        eigenvalues = np.linalg.eigvalsh(surface.hessian(point))
        if eigenvalues[0] > 1e-6:
            assert is_listed(point, surface.minima), f"unlisted minimum {point}"
        elif eigenvalues[0] < -1e-6 < 1e-6 < eigenvalues[1]:
            assert is_listed(point, surface.saddles), f"unlisted saddle {point}"


@parametrize_variants
def test_critical_points_and_start_lie_inside_the_domain(variant):
    surface = surface_of(variant)
    assert np.all(inside_domain(surface, surface.minima))
    assert np.all(inside_domain(surface, surface.saddles))
    assert inside_domain(surface, surface.default_start).item()
    assert not is_listed(np.array(surface.default_start), np.concatenate([surface.minima, surface.saddles]))


def test_number_of_listed_critical_points():
    counts = {s: (len(surfaces.get(s).minima), len(surfaces.get(s).saddles)) for s in surfaces.names()}
    assert counts == {
        "bowl": (1, 0),
        "ill_conditioned": (1, 0),
        "saddle": (0, 1),
        "monkey_saddle": (0, 1),
        "rosenbrock": (1, 0),
        "beale": (1, 2),
        "himmelblau": (4, 4),
        "rastrigin": (121, 220),
        "six_hump_camel": (6, 7),
        "two_wells": (2, 1),
    }


# ---------------------------------------------------------------------------
# Values worked out by hand or taken from the literature


def test_bowl_by_hand():
    bowl = surfaces.get("bowl")
    np.testing.assert_allclose(bowl.grad([-7, 2]), [-0.7, 4.0])
    assert bowl.f([-7, 2]) == pytest.approx(49 / 20 + 4)
    np.testing.assert_array_equal(bowl.hessian([3, 4]), [[0.1, 0], [0, 2]])
    assert bowl.f_min == 0 and bowl.default_start == (-7, 2)


@pytest.mark.parametrize("kappa", [1.5, 10, 100, 1000])
@pytest.mark.parametrize("angle", [-90, -45, 0, 30, 60, 90])
def test_ill_conditioned_eigenvalues_and_valley_direction(kappa, angle):
    surface = surfaces.get("ill_conditioned", kappa=kappa, angle=angle)
    eigenvalues, eigenvectors = np.linalg.eigh(surface.hessian([0.3, -0.2]))
    np.testing.assert_allclose(eigenvalues, [1 / kappa, 1], rtol=1e-12)
    valley = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
    assert abs(eigenvectors[:, 0] @ valley) == pytest.approx(1, abs=1e-12)
    assert surface.f(5 * valley) == pytest.approx(25 / (2 * kappa), rel=1e-12)
    across = np.array([-valley[1], valley[0]])
    assert surface.f(5 * across) == pytest.approx(12.5, rel=1e-12)


def test_ill_conditioned_start_is_up_the_valley_and_off_its_floor():
    surface = surfaces.get("ill_conditioned", kappa=100, angle=30)
    theta = np.radians(30)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    np.testing.assert_allclose(surface.default_start, rotation @ [-8, 3], rtol=1e-12)
    assert surfaces.get("ill_conditioned").default_start == (-8, 3)


def test_saddle_and_monkey_saddle_by_hand():
    saddle = surfaces.get("saddle")
    assert saddle.f([3, 2]) == 5 and saddle.f_min is None
    np.testing.assert_array_equal(saddle.hessian([0, 0]), [[2, 0], [0, -2]])
    assert saddle.default_start == (-1.5, 1e-3)
    monkey = surfaces.get("monkey_saddle")
    assert monkey.f([2, 1]) == 8 - 6 and monkey.f_min is None
    np.testing.assert_array_equal(monkey.grad([0, 0]), [0, 0])
    np.testing.assert_array_equal(monkey.hessian([0, 0]), np.zeros((2, 2)))


def test_rosenbrock_by_hand():
    rosenbrock = surfaces.get("rosenbrock")
    assert rosenbrock.f([-1.2, 1]) == pytest.approx(24.2, rel=1e-14)
    np.testing.assert_allclose(rosenbrock.grad([-1.2, 1]), [-215.6, -88.0], rtol=1e-13)
    np.testing.assert_array_equal(rosenbrock.minima, [[1, 1]])
    shifted = surfaces.get("rosenbrock", a=2, b=1000)
    np.testing.assert_array_equal(shifted.minima, [[2, 4]])
    assert shifted.f([2, 4]) == 0


def test_beale_himmelblau_rastrigin_by_hand():
    beale = surfaces.get("beale")
    assert beale.f([3, 0.5]) == 0
    assert beale.f([0, 1]) == 1.5**2 + 2.25**2 + 2.625**2
    himmelblau = surfaces.get("himmelblau")
    assert himmelblau.f([3, 2]) == 0
    literature = [[3, 2], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]]
    np.testing.assert_allclose(himmelblau.minima, literature, atol=1e-6)
    rastrigin = surfaces.get("rastrigin")
    assert rastrigin.f([0, 0]) == 0 and rastrigin.f([1, 1]) == pytest.approx(2)
    np.testing.assert_array_equal(rastrigin.minima[0], [0, 0])


def test_six_hump_camel_against_the_literature():
    camel = surfaces.get("six_hump_camel")
    assert camel.f_min == pytest.approx(-1.031628453, abs=1e-9)
    np.testing.assert_allclose(camel.minima[:2], [[0.0898, -0.7126], [-0.0898, 0.7126]], atol=1e-4)
    np.testing.assert_allclose(camel.minima_values[1], camel.f_min, rtol=1e-14)


def test_two_wells_critical_points_solve_the_cubic():
    wells = surfaces.get("two_wells")
    x = np.concatenate([wells.minima[:, 0], wells.saddles[:, 0]])
    np.testing.assert_allclose(4 * x**3 - 4 * x + 0.3, 0, atol=1e-14)
    assert wells.minima[0, 0] < wells.saddles[0, 0] < wells.minima[1, 0]
    assert wells.minima_values[0] < wells.minima_values[1]
    # the start lies on the local well's side of the saddle
    assert wells.default_start[0] > wells.saddles[0, 0]


# ---------------------------------------------------------------------------
# Bad input


def test_unknown_id_is_named_with_the_valid_ids():
    with pytest.raises(ValueError, match="'nope'") as error:
        surfaces.get("nope")
    assert all(surface_id in str(error.value) for surface_id in EXPECTED_IDS)
    with pytest.raises(ValueError, match="'nope'"):
        surfaces.param_specs("nope")


def test_unknown_parameter_is_named():
    with pytest.raises(ValueError, match="'kappa'"):
        surfaces.get("bowl", kappa=3)
    with pytest.raises(ValueError, match="'kapa'.*kappa, angle"):
        surfaces.get("ill_conditioned", kapa=3)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"kappa": 0.5}, "kappa = 0.5 is out of range: valid range is [1, 1000]"),
        ({"kappa": 1001}, "kappa = 1001 is out of range: valid range is [1, 1000]"),
        ({"kappa": float("nan")}, "kappa = nan is out of range: valid range is [1, 1000]"),
        ({"kappa": float("inf")}, "kappa = inf is out of range: valid range is [1, 1000]"),
        ({"angle": -90.5}, "angle = -90.5 is out of range: valid range is [-90, 90]"),
    ],
)
def test_out_of_range_values_are_rejected_with_the_range(params, message):
    with pytest.raises(ValueError) as error:
        surfaces.get("ill_conditioned", **params)
    assert str(error.value) == message


@pytest.mark.parametrize("value", [True, "10", None, 10 + 0j, [10]])
def test_parameter_values_must_be_real_numbers(value):
    with pytest.raises(ValueError, match="kappa must be a real number"):
        surfaces.get("ill_conditioned", kappa=value)


def test_numpy_numbers_and_range_ends_are_accepted():
    surface = surfaces.get("ill_conditioned", kappa=np.int64(1000), angle=np.float64(-90))
    assert dict(surface.params) == {"kappa": 1000.0, "angle": -90.0}
    assert surfaces.get("rosenbrock", a=0.5, b=1).params["b"] == 1.0


def test_each_surface_carries_a_value_a_reader_can_check_by_hand():
    """The doctests of surfaces/_catalog.py: one hand-computed value per surface (bowl at (−7, 2) is 6.45)."""
    import doctest

    from surfaces import _catalog

    results = doctest.testmod(_catalog)
    assert results.failed == 0 and results.attempted >= 10
