"""Tests of surfaces.from_formula: the grammar, refusals of hostile text, exact derivatives, the Surface."""

import copy
import pickle
import re
import warnings

import numpy as np
from derivative_checks import local_scale
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import optim_core
import surfaces
from surfaces import formula, from_formula


def random_points(x_range, y_range, count, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(*x_range, size=count), rng.uniform(*y_range, size=count)], axis=-1)


def five_point_gradient(f, p, h=1e-3):
    """Fourth-order central differences: error O(h⁴), so h can stay well above rounding noise."""
    p = np.asarray(p, dtype=float)
    columns = []
    for step in h * np.eye(2):
        columns.append((-f(p + 2 * step) + 8 * f(p + step) - 8 * f(p - step) + f(p - 2 * step)) / (12 * h))
    return np.stack(columns, axis=-1)


def assert_derivatives_match_differences(surface, points):
    scale = local_scale(surface, points)
    gradient, numeric_gradient = surface.grad(points), five_point_gradient(surface.f, points)
    assert np.all(np.abs(gradient - numeric_gradient) <= 1e-7 * scale[..., None]), (gradient, numeric_gradient)
    hessian, numeric_hessian = surface.hessian(points), five_point_gradient(surface.grad, points)
    assert np.all(np.abs(hessian - numeric_hessian) <= 1e-7 * scale[..., None, None]), (hessian, numeric_hessian)


def defined_around(surface, point, h=2e-3):
    """f, grad and hessian are finite at the point and everywhere the differences look."""
    offsets = np.array([[0, 0], [h, 0], [-h, 0], [0, h], [0, -h]])
    with np.errstate(all="ignore"):
        near = point + offsets
        return bool(
            np.all(np.isfinite(surface.f(near)))
            and np.all(np.isfinite(surface.grad(near)))
            and np.all(np.isfinite(surface.hessian(near)))
        )


def refusal_of(text, **kwargs) -> str:
    with pytest.raises(ValueError) as caught:
        from_formula(text, **kwargs)
    return str(caught.value)


# ---------------------------------------------------------------------------
# Three formulas against values worked out independently


def test_bowl_typed_equals_the_catalogue_bowl():
    bowl = surfaces.get("bowl")
    typed = from_formula("x**2/20 + y**2", x_range=bowl.x_range, y_range=bowl.y_range)
    points = random_points(bowl.x_range, bowl.y_range, 1000)
    np.testing.assert_allclose(typed.f(points), bowl.f(points), rtol=1e-14, atol=0)
    np.testing.assert_allclose(typed.grad(points), bowl.grad(points), rtol=1e-14, atol=0)
    np.testing.assert_array_equal(typed.hessian(points), bowl.hessian(points))
    np.testing.assert_array_equal(typed.minima, [[0.0, 0.0]])
    assert typed.f_min == 0.0 and typed.saddles.shape == (0, 2)


def test_rosenbrock_typed_equals_the_catalogue_rosenbrock():
    rosenbrock = surfaces.get("rosenbrock")
    typed = from_formula("(1-x)**2 + 100*(y-x**2)**2", x_range=rosenbrock.x_range, y_range=rosenbrock.y_range)
    points = random_points(rosenbrock.x_range, rosenbrock.y_range, 1000, seed=1)
    scale = 1.0 + np.abs(rosenbrock.f(points))
    np.testing.assert_allclose(typed.f(points), rosenbrock.f(points), rtol=1e-13)
    assert np.all(np.abs(typed.grad(points) - rosenbrock.grad(points)) <= 1e-12 * scale[:, None])
    assert np.all(np.abs(typed.hessian(points) - rosenbrock.hessian(points)) <= 1e-12 * scale[:, None, None])
    np.testing.assert_allclose(typed.minima, [[1.0, 1.0]], atol=1e-12)
    assert typed.f_min == pytest.approx(0.0, abs=1e-20)
    assert typed.log_levels  # a deep, narrow valley, as the catalogue's Rosenbrock


def test_sine_bowl_derivatives_by_hand_and_by_differences():
    typed = from_formula("sin(x)*cos(y) + 0.1*(x**2 + y**2)")
    points = random_points(typed.x_range, typed.y_range, 1000, seed=2)
    x, y = points[:, 0], points[:, 1]
    np.testing.assert_allclose(typed.f(points), np.sin(x) * np.cos(y) + 0.1 * (x**2 + y**2), rtol=1e-14)
    by_hand = np.stack([np.cos(x) * np.cos(y) + 0.2 * x, -np.sin(x) * np.sin(y) + 0.2 * y], axis=-1)
    np.testing.assert_allclose(typed.grad(points), by_hand, rtol=1e-13, atol=1e-14)
    fxx = -np.sin(x) * np.cos(y) + 0.2
    fxy = -np.cos(x) * np.sin(y)
    hessian_by_hand = np.stack([np.stack([fxx, fxy], -1), np.stack([fxy, fxx], -1)], axis=-2)
    np.testing.assert_allclose(typed.hessian(points), hessian_by_hand, rtol=1e-13, atol=1e-14)
    assert_derivatives_match_differences(typed, points)


# ---------------------------------------------------------------------------
# Derivatives of every function and operation

# Each allowed function composed with an inner function of x and y, over a range where it is defined.
FUNCTION_FORMULAS = {
    "sin": "sin(0.6*x - 0.3*y + 0.2*x*y)",
    "cos": "cos(0.6*x - 0.3*y + 0.2*x*y)",
    "tan": "tan(0.3*x - 0.2*y + 0.1*x*y)",
    "exp": "exp(0.6*x - 0.3*y + 0.2*x*y)",
    "log": "log(1.5 + sin(x + 0.3*y)*cos(0.5*y))",
    "log10": "log10(1.5 + sin(x + 0.3*y)*cos(0.5*y))",
    "sqrt": "sqrt(1.5 + sin(x + 0.3*y)*cos(0.5*y))",
    "abs": "abs(0.6*x - 0.3*y + 0.2*x*y)",
    "tanh": "tanh(0.6*x - 0.3*y + 0.2*x*y)",
    "sinh": "sinh(0.6*x - 0.3*y + 0.2*x*y)",
    "cosh": "cosh(0.6*x - 0.3*y + 0.2*x*y)",
    "arctan": "arctan(0.6*x - 0.3*y + 0.2*x*y)",
    "atan": "atan(0.6*x - 0.3*y + 0.2*x*y)",
    "power 3": "(0.6*x - 0.3*y + 0.2*x*y)**3",
    "power 2.5": "(1.5 + sin(x + 0.3*y))**2.5",
    "power -1.5": "(1.5 + sin(x + 0.3*y))**-1.5",
    "power 1/2": "(2 + x*y/4)**(1/2)",
    "division": "(x**2 - y)/(2 + cos(x*y))",
}


def test_the_function_formulas_cover_the_allow_list():
    assert set(formula.FUNCTIONS) | set(formula.FUNCTION_ALIASES) <= set(FUNCTION_FORMULAS)


@pytest.mark.parametrize("name", FUNCTION_FORMULAS)
@settings(max_examples=60, deadline=None)
@given(x=st.floats(-2, 2), y=st.floats(-2, 2))
def test_derivatives_of_each_function_match_differences(name, x, y):
    surface = from_formula(FUNCTION_FORMULAS[name], x_range=(-2, 2), y_range=(-2, 2))
    point = np.array([x, y])
    if name == "abs":  # abs has a kink where its argument is 0
        assume(abs(0.6 * x - 0.3 * y + 0.2 * x * y) > 1e-2)
    assert_derivatives_match_differences(surface, point)


def test_abs_and_sqrt_derivatives_by_hand():
    """abs: d|u| = sign(u)·u'; sqrt: d√u = u'/(2√u)."""
    absolute = from_formula("abs(x - 2*y)")
    np.testing.assert_array_equal(absolute.grad([[3.0, 1.0], [0.0, 1.0], [2.0, 1.0]]), [[1, -2], [-1, 2], [0, 0]])
    root = from_formula("sqrt(x*y)", x_range=(0.1, 5), y_range=(0.1, 5))
    np.testing.assert_allclose(root.grad([2.0, 8.0]), [8 / (2 * 4), 2 / (2 * 4)], rtol=1e-15)


# Smooth building blocks only (no poles, kinks or domain edges), so differences are reliable everywhere.
SMOOTH_FUNCTIONS = ("sin", "cos", "exp", "tanh", "arctan", "sinh", "cosh")


def smooth_formulas():
    leaves = st.sampled_from(["x", "y", "0.5*x", "1.5*y", "(x + 0.3)", "(2 - y)", "pi*x"])

    def combine(children):
        return st.one_of(
            st.tuples(children, st.sampled_from([" + ", " - ", "*"]), children).map("".join),
            st.tuples(st.sampled_from(SMOOTH_FUNCTIONS), children).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(children, st.sampled_from(["2", "3", "4"])).map(lambda t: f"({t[0]})**{t[1]}"),
            children.map(lambda text: "-" + text),
        )

    return st.recursive(leaves, combine, max_leaves=6)


@settings(max_examples=150, deadline=None)
@given(text=smooth_formulas(), x=st.floats(-1.5, 1.5), y=st.floats(-1.5, 1.5))
def test_derivatives_of_random_smooth_formulas_match_differences(text, x, y):
    surface = from_formula(text, x_range=(-2, 2), y_range=(-2, 2))
    point = np.array([x, y])
    assume(defined_around(surface, point))
    scale = local_scale(surface, point)
    # Random compositions can oscillate fast (sin((2 - y)**4)), where no fixed step is accurate; the
    # difference between steps h and h/2 bounds the error of the h/2 estimate (15 times over, at O(h⁴)).
    for exact, function in ((surface.grad(point), surface.f), (surface.hessian(point), surface.grad)):
        coarse, fine = five_point_gradient(function, point, h=1e-3), five_point_gradient(function, point, h=5e-4)
        error_bound = np.abs(coarse - fine)
        assume(np.all(error_bound < 1e-3 * scale))
        assert np.all(np.abs(exact - fine) <= 1e-7 * scale + error_bound), (exact, fine, error_bound)
    hessian = surface.hessian(point)
    assert hessian[0, 1] == hessian[1, 0]


# ---------------------------------------------------------------------------
# The formula means what Python means, and its title reads back as the same formula

ALL_FUNCTIONS = formula.FUNCTIONS + tuple(formula.FUNCTION_ALIASES)


def python_formulas():
    """Formulas over the whole grammar, parenthesised only sometimes, so precedence decides."""
    leaves = st.sampled_from(["x", "y", "2*x", "y*3", "x/4", "0.5", "pi", "e", "1e-3*y", "7"])

    def combine(children):
        return st.one_of(
            st.tuples(children, st.sampled_from([" + ", " - ", "*", "/", " * ", "-"]), children).map("".join),
            st.tuples(st.sampled_from(ALL_FUNCTIONS), children).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(["x", "y", "(x - y)"]), st.sampled_from(["2", "3", "-1", "0.5", "(1/3)", "-2"]))
            .map(lambda t: f"{t[0]}**{t[1]}"),
            children.map(lambda text: "-" + text),
            children.map(lambda text: "+" + text),
            children.map(lambda text: f"({text})"),
        )

    return st.recursive(leaves, combine, max_leaves=8)


def python_value(text, points):
    """Python's own reading of a formula this test generated (never user input), as the oracle."""
    namespace = {name: getattr(np, formula.FUNCTION_ALIASES.get(name, name)) for name in ALL_FUNCTIONS}
    namespace.update(x=points[..., 0], y=points[..., 1], pi=np.pi, e=np.e, __builtins__={})
    return np.broadcast_to(eval(text, namespace), points.shape[:-1])  # noqa: S307


@settings(max_examples=200, deadline=None)
@given(text=python_formulas())
def test_random_formulas_mean_what_python_means_and_titles_read_back(text):
    assume(re.search(r"\b[xy]\b", text))
    try:
        surface = from_formula(text)
    except ValueError as refusal:  # e.g. log(-x**2 - 7) is defined nowhere; nothing else may be refused
        assert "not defined anywhere" in str(refusal) or "nowhere to start" in str(refusal), str(refusal)
        return
    points = random_points((-5, 5), (-5, 5), 300, seed=3)
    with np.errstate(all="ignore"):
        expected = python_value(text, points)
        np.testing.assert_allclose(surface.f(points), expected, rtol=1e-12, equal_nan=True)
        reread = from_formula(surface.title)
        assert reread.title == surface.title
        np.testing.assert_allclose(reread.f(points), expected, rtol=1e-12, equal_nan=True)


# ---------------------------------------------------------------------------
# Refusals

HOSTILE = [
    ("__import__('os').system('ls')", r"^calls are allowed only to sin, .*: \"__import__\('os'\)\.system\" at column 1$"),
    ("os.system('ls')", r"^calls are allowed only to sin, cos, .*: 'os\.system' at column 1$"),
    ("x.__class__", r"^attribute access is not allowed at column 1 \('x\.__class__'\)$"),
    ("().__class__.__bases__[0]", r"^indexing with \[\.\.\.\] is not allowed at column 1"),
    ("lambda: 1", r"^lambda is not allowed at column 1"),
    ("[x for x in ()]", r"^comprehensions are not allowed at column 1"),
    ("{x: 1}", r"^dicts are not allowed at column 1"),
    ("x[0]", r"^indexing with \[\.\.\.\] is not allowed at column 1 \('x\[0\]'\)$"),
    ("eval('1')", r"^calls are allowed only to .*: 'eval' at column 1$"),
    ("open('f')", r"^calls are allowed only to .*: 'open' at column 1$"),
    ("getattr(x, 'y')", r"^calls are allowed only to .*: 'getattr' at column 1$"),
    ("sin(x, y)", r"^sin takes exactly one argument \(got 2\) at column 1 \('sin\(x, y\)'\)$"),
    ("sin(x=1)", r"^keyword arguments are not allowed at column 1"),
    ("9**9**9", r"^this power is too large \(a power of numbers must lie within ±1e6\) at column 4 \('9\*\*9'\)$"),
    ("x**y", r"^the exponent 'y' at column 4 depends on x or y: the exponent of \*\* must be a number"),
    ("x**1000", r"^the exponent '1000' at column 4 is too large: exponents of \*\* must be numbers within ±10$"),
    ("1e308*x", r"^this number is too large \(numbers must lie within ±1e6\) at column 1 \('1e308'\)$"),
    ("(" * 100000, r"^the formula is too long: 100000 characters, at most 500$"),
    ("x+" * 100000 + "x", r"^the formula is too long: 200001 characters, at most 500$"),
    ("x" * 10_000_000, r"^the formula is too long: 10000000 characters, at most 500$"),
    ("-" * 5000 + "x", r"^the formula is too long"),
    ("-" * 400 + "x", r"^the formula is nested too deeply: more than 30 levels at column 31$"),
    ("(" * 200 + "x" + ")" * 200, r"^too many nested brackets: more than 30 at column 31$"),
    ("sin(" * 31 + "x" + ")" * 31, r"^too many nested brackets: more than 30 at column 124$"),
    ("x if y else 1", r"^conditional expressions \(\.\.\. if \.\.\. else \.\.\.\) are not allowed at column 1"),
    ("x < y", r"^comparisons are not allowed at column 1 \('x < y'\)$"),
    ("x and y", r"^'and' and 'or' are not allowed at column 1"),
    ('"abc"', r"^text in quotes is not allowed at column 1"),
    ("b'x'", r"^bytes are not allowed at column 1"),
    ("1j*x", r"^complex numbers are not allowed at column 1 \('1j'\)$"),
    ("True*x", r"^True and False are not allowed \(use 1 and 0\) at column 1"),
    ("x^2", r"^'\^' at column 2 is not a power in Python: use \*\* for powers \(x\*\*2\)$"),
    ("f'{x}'", r"^f-strings are not allowed at column 1"),
    ("(x := 1)", r"^assignments \(:=\) are not allowed at column 2"),
    ("*x", r"^syntax error at column 1"),
    ("", r"^the formula is empty"),
    ("   ", r"^the formula is empty"),
    ("2*x.real", r"^attribute access is not allowed at column 3 \('x\.real'\)$"),
    ("os", r"^unknown name 'os' at column 1: the variables are x and y, the constants pi and e$"),
    ("x + __builtins__", r"^names with double underscores are not allowed: '__builtins__' at column 5$"),
    ("x // 2", r"^the operator '//' at column 3 is not allowed"),
    ("x % 2", r"^the operator '%' at column 3 is not allowed"),
    ("~x", r"^'~' is not allowed at column 1"),
    ("not x", r"^'not' is not allowed at column 1"),
    ("x, y", r"^tuples are not allowed"),
    ("sin(*x)", r"^starred expressions \(\*\.\.\.\) are not allowed at column 5"),
    ("sin", r"^'sin' at column 1 is a function: write sin\(\.\.\.\)$"),
    ("2x", r"^syntax error at column 1: invalid decimal literal \(write products with \*, e\.g\. 2\*x\)$"),
    ("x +", r"^syntax error at the end of the formula"),
    ("x y", r"^syntax error at column 3: invalid syntax \(write products with \*, e\.g\. 2\*x\)$"),
    ("sin(x y)", r"^syntax error at column 5: .*write products with \*"),
    ("2(x + 1)", r"^'2' at column 1 is not a function: write products with \*, e\.g\. 2\*\(x \+ 1\)$"),
    ("x(y)", r"^'x' at column 1 is not a function"),
    ("x\ny", r"^line breaks and control characters are not allowed: '\\n' at column 2$"),
    ("x\x00", r"^line breaks and control characters are not allowed"),
    ("x × y", r"^syntax error at column 3: invalid character '×'"),
    ("2**x", r"^the exponent 'x' at column 4 depends on x or y: .*for powers of e write exp\(\.\.\.\)"),
    ("(-8)**(1/3)*x", r"^this power of numbers is not a finite real number at column 1"),
    ("x**log(-1)", r"^the exponent 'log\(-1\)' at column 4 is not a finite number$"),
    ("3 + 4*pi", r"^the formula does not use x or y"),
    ("sqrt(-1 - x**2 - y**2)", r"^f is not defined anywhere in the domain \[-5, 5\] × \[-5, 5\]"),
    ("x" + "+x" * 100, r"^the formula has too many parts: more than 200"),
]


@pytest.mark.parametrize("text, message", HOSTILE, ids=[repr(t[:30]) for t, _ in HOSTILE])
def test_hostile_or_bad_text_is_refused_with_a_message(text, message):
    """How fast: tests/benchmarks/bench_engine.py (speed is measured there, never asserted here)."""
    with pytest.raises(ValueError, match=message):
        from_formula(text)


def test_refusals_read_in_full():
    assert refusal_of("os.system('ls')") == (
        "calls are allowed only to sin, cos, tan, exp, log, log10, sqrt, abs, tanh, sinh, cosh, arctan "
        "(or atan): 'os.system' at column 1"
    )
    assert refusal_of("x**2 + 3*y^2") == "'^' at column 11 is not a power in Python: use ** for powers (x**2)"
    assert refusal_of("x + y.real") == "attribute access is not allowed at column 5 ('y.real')"


def test_columns_count_the_blanks_typed_before_the_formula():
    assert refusal_of("   x + y.real") == "attribute access is not allowed at column 8 ('y.real')"
    assert refusal_of("  x^2") == "'^' at column 4 is not a power in Python: use ** for powers (x**2)"
    assert refusal_of("  2x").startswith("syntax error at column 3:")
    assert refusal_of("  (((" + "(" * 30).endswith("at column 33")


def test_typed_text_never_reaches_python_evaluation(monkeypatch):
    """Refusals and formulas alike work with eval and exec gone and compile limited to making a tree."""
    import ast
    import builtins

    real_compile = builtins.compile

    def forbidden(*args, **kwargs):
        raise AssertionError("eval or exec was called")

    def tree_only_compile(source, filename, mode, flags=0, *args, **kwargs):
        assert flags & ast.PyCF_ONLY_AST, "compile was asked for code, not a syntax tree"
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", tree_only_compile)
    with pytest.raises(ValueError):
        from_formula("__import__('os').system('echo hacked')")
    assert from_formula("x**2 + 3*y**2 - 0.5*x*y").f([1.0, 1.0]) == pytest.approx(3.5)


@pytest.mark.parametrize("text", ["x**2 + y**2 +" * 1000, "x" * 10_000_000, "(" * 10_000_000, "-" * 10_000_000])
def test_huge_text_is_refused_before_it_is_parsed(text, monkeypatch):
    import builtins

    def parsed(*args, **kwargs):
        raise AssertionError("the text reached Python's parser")

    monkeypatch.setattr(builtins, "compile", parsed)
    with pytest.raises(ValueError, match="too long"):
        from_formula(text)


def test_non_text_is_refused():
    for value in (None, 3, b"x**2", ["x"]):
        with pytest.raises(ValueError, match="the formula must be text"):
            from_formula(value)


def test_limits_are_inclusive():
    assert from_formula(" " * 495 + "x + y").title == "x + y"  # 500 characters
    assert "too long" in refusal_of(" " * 496 + "x + y")
    assert from_formula("x" + "+x" * 99).f([1.0, 0.0]) == 100  # 199 parts
    assert "too many parts" in refusal_of("x" + "+x" * 100)
    assert from_formula("-" * 29 + "x").f([1.0, 0.0]) == -1  # 30 levels
    assert "nested too deeply" in refusal_of("-" * 30 + "x")
    assert from_formula("(" * 30 + "x" + ")" * 30).title == "x"
    assert from_formula("1e6*x + 1000000*y").f([1.0, 1.0]) == 2e6
    assert "number is too large" in refusal_of("1000001*x")
    assert from_formula("x**10 + y**-10", x_range=(1, 2), y_range=(1, 2)).f([2.0, 1.0]) == 1025
    assert "too large" in refusal_of("x**10.5")
    assert "too large" in refusal_of("x**-11")
    assert from_formula("10**6*x + 2**-3*y + x**(2**3)").f([1.0, 8.0]) == 1e6 + 1 + 1
    assert "too large" in refusal_of("10**7*x")
    assert "too large" in refusal_of("x**2**4")  # 2**4 = 16 > 10


def test_a_sum_of_many_terms_is_one_level_of_nesting():
    terms = " + ".join(f"{k}*x" for k in range(1, 36))  # 35 terms: 35 levels if each + counted
    assert from_formula(terms).f([1.0, 0.0]) == sum(range(1, 36))


def test_bad_domain_and_start_are_refused():
    assert "is empty" in refusal_of("x + y", x_range=(1, 1))
    assert "out of range" in refusal_of("x + y", y_range=(0, float("nan")))
    assert "not valid" in refusal_of("x + y", x_range="ab")
    assert "lies outside the domain" in refusal_of("x + y", start=(6, 0))
    assert "f is not defined at the start (-1, 0)" in refusal_of("log(x) + y", start=(-1, 0))


# ---------------------------------------------------------------------------
# Where f is undefined


def test_undefined_values_are_nan_or_inf_without_an_exception():
    surface = from_formula("log(x) + 1/y + sqrt(x + y)")
    points = [[-1.0, 1.0], [1.0, 0.0], [1.0, -3.0], [2.0, 1.0]]
    with warnings.catch_warnings(), np.errstate(all="ignore"):  # as optim_core.run evaluates surfaces
        warnings.simplefilter("error")
        values = surface.f(points)
        gradients = surface.grad(points)
        hessians = surface.hessian(points)
    assert np.isnan(values[0]) and np.isinf(values[1]) and np.isnan(values[2])
    assert values[3] == pytest.approx(np.log(2) + 1 + np.sqrt(3))
    assert gradients.shape == (4, 2) and hessians.shape == (4, 2, 2)
    assert np.all(np.isfinite(gradients[3])) and np.all(np.isfinite(hessians[3]))


def test_log_at_minus_one_is_nan():
    surface = from_formula("log(x)")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("error")
        assert np.isnan(surface.f([-1.0, 0.0]))


def test_a_run_that_steps_where_f_is_undefined_stops_as_diverged():
    surface = from_formula("log(x) + y**2", x_range=(-2, 3), y_range=(-2, 2), start=(0.5, 1))
    assert surface.defined_everywhere is False
    # From (0.5, 1), ∇f = (1/x, 2y) = (2, 2): the first SGD step with lr = 1 lands on (-1.5, -1), where log is NaN.
    np.testing.assert_array_equal(surface.grad([0.5, 1.0]), [2.0, 2.0])
    tr = optim_core.run(surface, optim_core.make("sgd", lr=1.0), steps=50)
    assert tr.status == "diverged" and tr.stopped_at == 1
    np.testing.assert_array_equal(tr.xy, [[0.5, 1.0]])
    # With a small rate the run walks down the log towards x = 0 for a while, then steps across it.
    tr = optim_core.run(surface, optim_core.make("sgd", lr=0.01), steps=50)
    assert tr.status == "diverged" and 5 < tr.stopped_at < 50
    assert np.all(np.isfinite(tr.xy)) and np.all(tr.xy[:, 0] > 0) and np.all(np.isfinite(tr.loss))
    assert np.all(np.diff(tr.loss) < 0)


# ---------------------------------------------------------------------------
# The Surface


def test_surface_fields():
    surface = from_formula("x**2/20 + y**2")
    assert isinstance(surface, surfaces.Surface)
    assert surface.id == "formula"
    assert surface.title == "x**2/20 + y**2"
    assert surface.latex == r"f(x,y)=\frac{x^{2}}{20}+y^{2}"
    assert surface.reference == "typed by the user"
    assert dict(surface.params) == {} and surface.defined_everywhere is False
    assert surface.x_range == (-5.0, 5.0) and surface.y_range == (-5.0, 5.0)
    assert surface.default_start == (-3.5, 3.5)  # 70 % of the way from the centre to the top-left corner
    assert surface.log_levels is False
    for array in (surface.minima, surface.saddles, surface.minima_values):
        assert array.dtype == float and not array.flags.writeable
    assert surface.minima_values.shape == (1,)
    assert "from_formula" in surfaces.__all__


def test_given_start_is_the_default_start():
    assert from_formula("x**2 + y**2", start=(1, -2)).default_start == (1.0, -2.0)


def test_default_start_avoids_undefined_corners():
    surface = from_formula("log(x) + y**2")  # undefined on the left half
    assert surface.default_start == (3.5, 3.5)
    assert np.isfinite(surface.f(surface.default_start))


@pytest.mark.parametrize("text, title, latex", [
    ("(1-x)**2 + 100*(y-x**2)**2", "(1 - x)**2 + 100*(y - x**2)**2",
     r"\left(1-x\right)^{2}+100\left(y-x^{2}\right)^{2}"),
    ("sin(x)*cos(y)", "sin(x)*cos(y)", r"\sin\left(x\right)\,\cos\left(y\right)"),
    ("-x**2 + (-y)**2", "-x**2 + (-y)**2", r"-x^{2}+\left(-y\right)^{2}"),
    ("x - (y - 1) - x - y", "x - (y - 1) - x - y", r"x-\left(y-1\right)-x-y"),
    ("x/(y/2)", "x/(y/2)", r"\frac{x}{\frac{y}{2}}"),
    ("(x/2)**2", "(x/2)**2", r"\left(\frac{x}{2}\right)^{2}"),
    ("sqrt(abs(x)) + exp(-y)", "sqrt(abs(x)) + exp(-y)", r"\sqrt{\left|x\right|}+\exp\left(-y\right)"),
    ("2*pi*x + e**2*y", "2*pi*x + e**2*y", r"2\pi\,x+e^{2}\,y"),
    ("log(x) + log10(y) + atan(x*y)", "log(x) + log10(y) + arctan(x*y)",
     r"\ln\left(x\right)+\log_{10}\left(y\right)+\arctan\left(x\,y\right)"),
    ("x**-1 + +y", "x**-1 + y", r"x^{-1}+y"),
    ("x * 2 + 1.50e-5*y", "x*2 + 1.5e-05*y", r"x \cdot 2+1.5\cdot 10^{-5}\,y"),
    ("(x + y)*(x - y)/2", "(x + y)*(x - y)/2", r"\frac{\left(x+y\right)\,\left(x-y\right)}{2}"),
    ("(x - 1)/(y + 2)**2 - -x", "(x - 1)/(y + 2)**2 - -x", r"\frac{x-1}{\left(y+2\right)^{2}}-\left(-x\right)"),
])
def test_title_and_latex(text, title, latex):
    surface = from_formula(text)
    assert surface.title == title
    assert surface.latex == "f(x,y)=" + latex
    reread = from_formula(title)
    assert reread.title == title
    points = random_points((-5, 5), (-5, 5), 100)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(reread.f(points), surface.f(points))


@pytest.mark.parametrize("batch_shape", [(), (5,), (3, 4), (0,)])
@pytest.mark.parametrize("text", ["x + 2*y", "3*x**2 - y", "x*y", "sin(x) + y**3"])
def test_output_shapes_follow_the_batch_shape_even_for_constant_derivatives(text, batch_shape):
    surface = from_formula(text)
    points = np.random.default_rng(4).uniform(-1, 1, size=batch_shape + (2,))
    assert np.shape(surface.f(points)) == batch_shape
    assert surface.grad(points).shape == batch_shape + (2,)
    assert surface.hessian(points).shape == batch_shape + (2, 2)


def test_returned_arrays_are_fresh():
    surface = from_formula("x + y")
    points = np.array([[1.0, 2.0]])
    value = surface.f(points)
    value[0] = 99.0
    assert points[0, 0] == 1.0 and surface.f(points)[0] == 3.0


def test_points_without_a_last_axis_of_two_are_rejected():
    surface = from_formula("x + y")
    for function in (surface.f, surface.grad, surface.hessian):
        with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
            function([1.0, 2.0, 3.0])


def test_critical_points_match_the_catalogue():
    for surface_id, text in (
        ("two_wells", "(x**2 - 1)**2 + 0.3*x + y**2"),
        ("himmelblau", "(x**2 + y - 11)**2 + (x + y**2 - 7)**2"),
        ("six_hump_camel", "(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (-4 + 4*y**2)*y**2"),
    ):
        known = surfaces.get(surface_id)
        typed = from_formula(text, x_range=known.x_range, y_range=known.y_range)
        for found, listed in ((typed.minima, known.minima), (typed.saddles, known.saddles)):
            assert len(found) == len(listed), surface_id
            for point in listed:
                assert np.min(np.linalg.norm(found - point, axis=-1)) < 1e-9, (surface_id, point)
        assert typed.f_min == pytest.approx(known.f_min, abs=1e-12)
        np.testing.assert_allclose(typed.minima_values[0], typed.f_min)


def test_saddle_only_and_unbounded_surfaces_have_no_f_min():
    saddle = from_formula("x**2 - y**2")
    assert saddle.minima.shape == (0, 2) and saddle.f_min is None
    np.testing.assert_allclose(saddle.saddles, [[0.0, 0.0]], atol=1e-15)
    cubic = from_formula("x**3 - 3*x + y**2")  # local minimum (1, 0), but f falls to -110 at x = -5
    np.testing.assert_allclose(cubic.minima, [[1.0, 0.0]], atol=1e-12)
    np.testing.assert_allclose(cubic.saddles, [[-1.0, 0.0]], atol=1e-12)
    assert cubic.f_min is None


def test_listed_critical_points_are_exact():
    surface = from_formula("sin(x)*cos(y) + 0.1*(x**2 + y**2)")
    assert len(surface.minima) > 1 and len(surface.saddles) > 1
    assert np.all(np.linalg.norm(surface.grad(surface.minima), axis=-1) < 1e-10)
    assert np.all(np.linalg.eigvalsh(surface.hessian(surface.minima)) > 0)
    eigenvalues = np.linalg.eigvalsh(surface.hessian(surface.saddles))
    assert np.all((eigenvalues[:, 0] < 0) & (eigenvalues[:, 1] > 0))
    assert surface.f_min == surface.minima_values[0] == surface.minima_values.min()
    x = np.linspace(-5, 5, 401)
    grid = np.stack(np.meshgrid(x, x), axis=-1)
    assert surface.f(grid).min() >= surface.f_min - 1e-12


def test_log_levels_for_deep_narrow_valleys_only():
    assert from_formula("(1-x)**2 + 100*(y-x**2)**2", x_range=(-2, 2), y_range=(-1, 3)).log_levels
    assert not from_formula("x**2/20 + y**2").log_levels
    assert not from_formula("x**2 - y**2").log_levels  # negative somewhere


# ---------------------------------------------------------------------------
# Caching and pickling


def test_equal_arguments_give_the_same_surface_which_survives_pickling():
    surface = from_formula("x**2 + 3*y**2", x_range=(-2, 2), y_range=(-1, 1))
    assert from_formula(" x**2 + 3*y**2 ", x_range=(-2.0, 2.0), y_range=[-1, 1]) is surface
    assert pickle.loads(pickle.dumps(surface)) is surface
    assert copy.deepcopy(surface) is surface
    assert from_formula("x**2 + 3*y**2") is not surface
    assert repr(surface) == "surfaces.from_formula('x**2 + 3*y**2', x_range=(-2.0, 2.0), y_range=(-1.0, 1.0))"


def test_pickle_rebuilds_the_surface_in_a_fresh_process_cache():
    surface = from_formula("log(x) + y**2", x_range=(-2, 3), y_range=(-2, 2), start=(0.5, 1))
    data = pickle.dumps(surface)
    formula._CACHE.clear()
    rebuilt = pickle.loads(data)
    assert rebuilt is not surface
    assert (rebuilt.title, rebuilt.x_range, rebuilt.y_range, rebuilt.default_start) == (
        surface.title, surface.x_range, surface.y_range, surface.default_start)
    points = random_points((0.1, 3), (-2, 2), 50)
    np.testing.assert_array_equal(rebuilt.grad(points), surface.grad(points))
    assert pickle.loads(data) is rebuilt


def test_a_formula_whose_derivatives_are_too_long_is_refused():
    """sin(sin(…(x·y)…)) 28 deep: the chain rule gives a Hessian of 442 operations a point (a 128 × 128 × 3000
    sweep took about 40 s); it is refused with a sentence in both languages.  Half as deep is accepted, and so
    is every catalogue function typed by hand (Beale's, the longest, takes about 55)."""
    deep = "sin(" * 28 + "x*y" + ")" * 28
    with pytest.raises(formula.FormulaError, match=r"derivatives are too long.*442 operations.*at most 300") as refused:
        from_formula(deep)
    assert "Hessian" in refused.value.zh and "442" in refused.value.zh
    from_formula("sin(" * 14 + "x*y" + ")" * 14)
    from_formula("(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2", x_range=(-4.5, 4.5),
                 y_range=(-4.5, 4.5))
