"""The test surfaces: formulas with exact gradients and Hessians, and their builders.

Every builder's docstring gives the formula, the plotting domain, the critical
points and the reference, in the manner of ``scipy.optimize.rosen``; the reference
the Surface carries is read from there (``_catalogued``), so it is written once.
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

from ._surface import (
    ParamSpec,
    Surface,
    coordinates,
    make_surface,
    newton_refine,
    symmetric_matrix,
    vector,
)


def _catalogued(builder, title: str, latex: str, derivatives, *, x, y, minima, f_min, start, saddles=(),
                log_levels=False, params=None) -> Surface:
    """The Surface a catalogue builder returns.

    Its id is the builder's name and its reference the "Reference:" paragraph of the builder's
    docstring; ``derivatives`` are its (f, grad, hessian), which take the ``params`` as keywords;
    ``x`` and ``y`` are the domain's ranges and ``start`` the default start.
    """
    if params:
        derivatives = [functools.partial(function, **params) for function in derivatives]
    f, grad, hessian = derivatives
    return make_surface(id=builder.__name__, title=title, latex=latex, f=f, grad=grad, hessian=hessian, x_range=x,
                        y_range=y, minima=minima, f_min=f_min, saddles=saddles, default_start=start,
                        log_levels=log_levels, params=params, reference=_reference(builder))


def _reference(builder) -> str:
    """The paragraph of the builder's docstring that begins "Reference: ", on one line."""
    paragraph = inspect.getdoc(builder).split("Reference: ", 1)[1].split("\n\n", 1)[0]
    return " ".join(paragraph.split())

# ---------------------------------------------------------------------------
# Bowl


def bowl_f(p):
    """f(x, y) = x²/20 + y².

    >>> float(bowl_f((-7.0, 2.0)))  # 49/20 + 4, the book's start
    6.45
    """
    x, y = coordinates(p)
    return x**2 / 20.0 + y**2


def bowl_grad(p):
    x, y = coordinates(p)
    return vector(x / 10.0, 2.0 * y)


def bowl_hessian(p):
    x, _ = coordinates(p)
    return symmetric_matrix(np.full_like(x, 0.1), np.zeros_like(x), np.full_like(x, 2.0))


def bowl() -> Surface:
    """Elongated bowl f(x, y) = x²/20 + y².

    Domain x ∈ [-10, 10], y ∈ [-5, 5]. Minimum f(0, 0) = 0; the curvature is
    20 times larger along y than along x, so plain SGD zig-zags across the bowl.

    Reference: Koki Saitoh (斎藤康毅), Deep Learning from Scratch (ゼロから作るDeep Learning),
    O'Reilly Japan, 2016, ch. 6 (f = x²/20 + y²).
    """
    return _catalogued(bowl, "Elongated bowl", r"f(x,y)=\frac{x^2}{20}+y^2", (bowl_f, bowl_grad, bowl_hessian),
                       x=(-10, 10), y=(-5, 5), minima=[[0, 0]], f_min=0.0, start=(-7, 2))


# ---------------------------------------------------------------------------
# Ill-conditioned quadratic


def _quadratic_coefficients(kappa, angle):
    """Entries (a, b, c) of A = R diag(1/κ, 1) Rᵀ, R the rotation by `angle` degrees."""
    theta = np.deg2rad(angle)
    cos, sin = np.cos(theta), np.sin(theta)
    small, large = 1.0 / kappa, 1.0
    a = small * cos**2 + large * sin**2
    b = (small - large) * cos * sin
    c = small * sin**2 + large * cos**2
    return a, b, c


def ill_conditioned_f(p, kappa=10.0, angle=0.0):
    """f(p) = ½ pᵀ A p with A = R diag(1/κ, 1) Rᵀ, R the rotation by `angle` degrees.

    >>> round(float(ill_conditioned_f((1.0, 2.0), kappa=10.0)), 12)  # ½ (0.1·1 + 1·4)
    2.05
    >>> round(float(ill_conditioned_f((0.0, 1.0), kappa=10.0, angle=90.0)), 12)  # y is the flat axis now
    0.05
    """
    x, y = coordinates(p)
    a, b, c = _quadratic_coefficients(kappa, angle)
    return 0.5 * (a * x**2 + 2.0 * b * x * y + c * y**2)


def ill_conditioned_grad(p, kappa=10.0, angle=0.0):
    x, y = coordinates(p)
    a, b, c = _quadratic_coefficients(kappa, angle)
    return vector(a * x + b * y, b * x + c * y)


def ill_conditioned_hessian(p, kappa=10.0, angle=0.0):
    x, _ = coordinates(p)
    a, b, c = _quadratic_coefficients(kappa, angle)
    return symmetric_matrix(np.full_like(x, a), np.full_like(x, b), np.full_like(x, c))


def _rotate(point, angle):
    theta = np.deg2rad(angle)
    x, y = point
    return (x * np.cos(theta) - y * np.sin(theta), x * np.sin(theta) + y * np.cos(theta))


def ill_conditioned(kappa: float = 10.0, angle: float = 0.0) -> Surface:
    """Ill-conditioned quadratic f(p) = ½ pᵀ A p, A = R diag(1/κ, 1) Rᵀ.

    In the rotated coordinates u = x cos θ + y sin θ, w = −x sin θ + y cos θ
    (θ = `angle` in degrees), f = ½ (u²/κ + w²): the eigenvalues of the Hessian
    are 1/κ and 1, and the flat valley (eigenvalue 1/κ) runs along the x axis
    rotated counter-clockwise by θ.

    Parameters: κ ∈ [1, 1000] (condition number), θ ∈ [-90°, 90°].
    Domain [-10, 10]². Minimum f(0, 0) = 0. The start R·(−8, 3) lies up the
    valley and off its floor, so gradient descent zig-zags across it.
    Contours are log-spaced once κ > 20, when the valley floor is too flat
    for evenly spaced levels.

    Reference: J. Nocedal and S. J. Wright, Numerical Optimization, 2nd ed.,
    Springer, 2006, §3.3; G. Goh, "Why Momentum Really Works", Distill, 2017.
    """
    if angle == 0:
        latex = rf"f(x,y)=\frac{{1}}{{2}}\left(\frac{{x^2}}{{{kappa:g}}}+y^2\right)"
    else:
        latex = (
            rf"f(x,y)=\frac{{1}}{{2}}\left(\frac{{u^2}}{{{kappa:g}}}+w^2\right),\quad "
            rf"u=x\cos{angle:g}^\circ+y\sin{angle:g}^\circ,\quad "
            rf"w=-x\sin{angle:g}^\circ+y\cos{angle:g}^\circ"
        )
    return _catalogued(ill_conditioned, f"Ill-conditioned quadratic (κ = {kappa:g}, {angle:g}°)", latex,
                       (ill_conditioned_f, ill_conditioned_grad, ill_conditioned_hessian), x=(-10, 10), y=(-10, 10),
                       minima=[[0, 0]], f_min=0.0, start=_rotate((-8.0, 3.0), angle), log_levels=kappa > 20,
                       params={"kappa": kappa, "angle": angle})


# ---------------------------------------------------------------------------
# Saddle


def saddle_f(p):
    """f(x, y) = x² − y².

    >>> float(saddle_f((3.0, 2.0)))  # 9 − 4
    5.0
    """
    x, y = coordinates(p)
    return x**2 - y**2


def saddle_grad(p):
    x, y = coordinates(p)
    return vector(2.0 * x, -2.0 * y)


def saddle_hessian(p):
    x, _ = coordinates(p)
    return symmetric_matrix(np.full_like(x, 2.0), np.zeros_like(x), np.full_like(x, -2.0))


def saddle() -> Surface:
    """Saddle f(x, y) = x² − y².

    Domain [-2, 2]². Saddle point at (0, 0), where the gradient vanishes but the
    Hessian diag(2, −2) is indefinite; unbounded below, no minimum. The start
    (−1.5, 0.001) sits just off the ridge y = 0: gradient descent first heads for
    the saddle and slows down, then the tiny y offset grows and the run escapes.

    Reference: I. Goodfellow, Y. Bengio and A. Courville, Deep Learning,
    MIT Press, 2016, §4.3.1, fig. 4.5 (f = x² − y²).
    """
    return _catalogued(saddle, "Saddle point", r"f(x,y)=x^2-y^2", (saddle_f, saddle_grad, saddle_hessian),
                       x=(-2, 2), y=(-2, 2), minima=[], f_min=None, saddles=[[0, 0]], start=(-1.5, 1e-3))


# ---------------------------------------------------------------------------
# Monkey saddle


def monkey_saddle_f(p):
    """f(x, y) = x³ − 3xy².

    >>> float(monkey_saddle_f((2.0, 1.0)))  # 8 − 6
    2.0
    """
    x, y = coordinates(p)
    return x**3 - 3.0 * x * y**2


def monkey_saddle_grad(p):
    x, y = coordinates(p)
    return vector(3.0 * x**2 - 3.0 * y**2, -6.0 * x * y)


def monkey_saddle_hessian(p):
    x, y = coordinates(p)
    return symmetric_matrix(6.0 * x, -6.0 * y, -6.0 * x)


def monkey_saddle() -> Surface:
    """Monkey saddle f(x, y) = x³ − 3xy².

    Domain [-2, 2]². Degenerate saddle at (0, 0): gradient and Hessian both
    vanish there, so second-order information cannot tell which way is down.
    Three valleys descend from it (towards 60°, 180° and 300°) between three
    ridges; unbounded below, no minimum. Start (1.5, 0.2) is just beside the
    ridge along the positive x axis.

    Reference: E. W. Weisstein, "Monkey Saddle", MathWorld, Wolfram Research,
    https://mathworld.wolfram.com/MonkeySaddle.html.
    """
    return _catalogued(monkey_saddle, "Monkey saddle", r"f(x,y)=x^3-3xy^2",
                       (monkey_saddle_f, monkey_saddle_grad, monkey_saddle_hessian),
                       x=(-2, 2), y=(-2, 2), minima=[], f_min=None, saddles=[[0, 0]], start=(1.5, 0.2))


# ---------------------------------------------------------------------------
# Rosenbrock


def rosenbrock_f(p, a=1.0, b=100.0):
    """f(x, y) = (a − x)² + b (y − x²)².

    >>> round(float(rosenbrock_f((-1.2, 1.0))), 12)  # 2.2² + 100·(1 − 1.44)² = 4.84 + 19.36
    24.2
    """
    x, y = coordinates(p)
    return (a - x) ** 2 + b * (y - x**2) ** 2


def rosenbrock_grad(p, a=1.0, b=100.0):
    x, y = coordinates(p)
    return vector(-2.0 * (a - x) - 4.0 * b * x * (y - x**2), 2.0 * b * (y - x**2))


def rosenbrock_hessian(p, a=1.0, b=100.0):
    x, y = coordinates(p)
    return symmetric_matrix(2.0 - 4.0 * b * y + 12.0 * b * x**2, -4.0 * b * x, np.full_like(x, 2.0 * b))


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    """Rosenbrock's banana function f(x, y) = (a − x)² + b (y − x²)².

    Parameters: a ∈ [0.5, 2], b ∈ [1, 1000]. Domain x ∈ [-2, 2], y ∈ [-1, 3],
    widened to keep the minimum inside for a > 1.5. Minimum f(a, a²) = 0 at the
    end of a long, curved, flat-bottomed valley along y = x². Classic start
    (−1.2, 1). Contours are log-spaced.

    Reference: H. H. Rosenbrock, "An automatic method for finding the greatest
    or least value of a function", The Computer Journal 3(3):175–184, 1960;
    scipy.optimize.rosen.
    """
    return _catalogued(rosenbrock, f"Rosenbrock (a = {a:g}, b = {b:g})", rf"f(x,y)=({a:g}-x)^2+{b:g}\,(y-x^2)^2",
                       (rosenbrock_f, rosenbrock_grad, rosenbrock_hessian), x=(-2, max(2.0, a + 0.5)),
                       y=(-1, max(3.0, a**2 + 1.0)), minima=[[a, a**2]], f_min=0.0, start=(-1.2, 1.0),
                       log_levels=True, params={"a": a, "b": b})


# ---------------------------------------------------------------------------
# Beale

_BEALE_CONSTANTS = (1.5, 2.25, 2.625)


def beale_f(p):
    """f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)².

    >>> float(beale_f((1.0, 1.0)))  # 1.5² + 2.25² + 2.625²
    14.203125
    >>> float(beale_f((3.0, 0.5)))  # the minimum
    0.0
    """
    x, y = coordinates(p)
    return sum((c - x + x * y**i) ** 2 for i, c in enumerate(_BEALE_CONSTANTS, start=1))


def beale_grad(p):
    x, y = coordinates(p)
    fx = fy = 0.0
    for i, c in enumerate(_BEALE_CONSTANTS, start=1):
        residual = c - x + x * y**i
        fx = fx + 2.0 * residual * (y**i - 1.0)
        fy = fy + 2.0 * residual * i * x * y ** (i - 1)
    return vector(fx, fy)


def beale_hessian(p):
    # f = Σ rᵢ², so ∇²f = 2 Σ (∇rᵢ ∇rᵢᵀ + rᵢ ∇²rᵢ) with rᵢ = cᵢ − x + x yⁱ.
    x, y = coordinates(p)
    fxx = fxy = fyy = 0.0
    for i, c in enumerate(_BEALE_CONSTANTS, start=1):
        residual = c - x + x * y**i
        rx, ry = y**i - 1.0, i * x * y ** (i - 1)
        rxy, ryy = i * y ** (i - 1), i * (i - 1) * x * y ** max(i - 2, 0)
        fxx = fxx + 2.0 * rx * rx
        fxy = fxy + 2.0 * (rx * ry + residual * rxy)
        fyy = fyy + 2.0 * (ry * ry + residual * ryy)
    return symmetric_matrix(fxx, fxy, fyy)


_BEALE_SADDLES = newton_refine(beale_grad, beale_hessian, [[0.0, 1.0], [0.1005, -2.6445]])


def beale() -> Surface:
    """Beale function f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)².

    Domain [-4.5, 4.5]². Minimum f(3, 0.5) = 0, in a narrow curved valley;
    saddles at (0, 1) (f = 14.203125; f is constant on the whole line x = 0)
    and (0.100538, −2.644514). Sharp walls near the corners (f ≈ 1.8·10⁵), so
    contours are log-spaced. Start (1, 1.5).

    Reference: E. M. L. Beale, "On an iterative method for finding a local
    minimum of a function of more than one variable", Technical Report 25,
    Statistical Techniques Research Group, Princeton University, 1958;
    M. Jamil and X.-S. Yang, "A literature survey of benchmark functions for
    global optimization problems", IJMMNO 4(2):150–194, 2013.
    """
    return _catalogued(beale, "Beale function", r"f(x,y)=(1.5-x+xy)^2+(2.25-x+xy^2)^2+(2.625-x+xy^3)^2",
                       (beale_f, beale_grad, beale_hessian), x=(-4.5, 4.5), y=(-4.5, 4.5),
                       minima=[[3.0, 0.5]], f_min=0.0, saddles=_BEALE_SADDLES, start=(1.0, 1.5), log_levels=True)


# ---------------------------------------------------------------------------
# Himmelblau


def himmelblau_f(p):
    """f(x, y) = (x² + y − 11)² + (x + y² − 7)².

    >>> float(himmelblau_f((0.0, 0.0))), float(himmelblau_f((3.0, 2.0)))  # 121 + 49; a minimum
    (170.0, 0.0)
    """
    x, y = coordinates(p)
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def himmelblau_grad(p):
    x, y = coordinates(p)
    first, second = x**2 + y - 11.0, x + y**2 - 7.0
    return vector(4.0 * x * first + 2.0 * second, 2.0 * first + 4.0 * y * second)


def himmelblau_hessian(p):
    x, y = coordinates(p)
    return symmetric_matrix(12.0 * x**2 + 4.0 * y - 42.0, 4.0 * (x + y), 12.0 * y**2 + 4.0 * x - 26.0)


_HIMMELBLAU_MINIMA = newton_refine(
    himmelblau_grad,
    himmelblau_hessian,
    [[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]],
)
_HIMMELBLAU_SADDLES = newton_refine(
    himmelblau_grad,
    himmelblau_hessian,
    [[3.385154, 0.073852], [0.086678, 2.884255], [-3.073026, -0.081353], [-0.127961, -1.953715]],
)


def himmelblau() -> Surface:
    """Himmelblau function f(x, y) = (x² + y − 11)² + (x + y² − 7)².

    Domain [-5, 5]². Four minima, all with f = 0: (3, 2), (−2.805118, 3.131312),
    (−3.779310, −3.283186), (3.584428, −1.848126); a local maximum at
    (−0.270845, −0.923039) and four saddles between the wells. Start (0, 0):
    plain gradient descent ends in (3, 2), faster methods may pick another well.
    Contours are log-spaced.

    Reference: D. M. Himmelblau, Applied Nonlinear Programming, McGraw-Hill, 1972.
    """
    return _catalogued(himmelblau, "Himmelblau function", r"f(x,y)=(x^2+y-11)^2+(x+y^2-7)^2",
                       (himmelblau_f, himmelblau_grad, himmelblau_hessian), x=(-5, 5), y=(-5, 5),
                       minima=_HIMMELBLAU_MINIMA, f_min=0.0, saddles=_HIMMELBLAU_SADDLES, start=(0.0, 0.0),
                       log_levels=True)


# ---------------------------------------------------------------------------
# Rastrigin


def rastrigin_f(p):
    """f(x, y) = 20 + x² − 10 cos 2πx + y² − 10 cos 2πy.

    >>> round(float(rastrigin_f((0.5, 0.0))), 12)  # 20 + 0.25 + 10 (cos π = −1) − 10
    20.25
    """
    x, y = coordinates(p)
    return 20.0 + x**2 - 10.0 * np.cos(2.0 * np.pi * x) + y**2 - 10.0 * np.cos(2.0 * np.pi * y)


def rastrigin_grad(p):
    x, y = coordinates(p)
    return vector(
        2.0 * x + 20.0 * np.pi * np.sin(2.0 * np.pi * x),
        2.0 * y + 20.0 * np.pi * np.sin(2.0 * np.pi * y),
    )


def rastrigin_hessian(p):
    x, y = coordinates(p)
    return symmetric_matrix(
        2.0 + 40.0 * np.pi**2 * np.cos(2.0 * np.pi * x),
        np.zeros_like(x),
        2.0 + 40.0 * np.pi**2 * np.cos(2.0 * np.pi * y),
    )


def _rastrigin_critical_points():
    """Minima and saddles of Rastrigin in [-5.12, 5.12]², global minimum first.

    f is a sum of one 1-D term per coordinate, each with minima near the integers
    −5…5 and maxima near the half-integers ±0.5…±4.5; a 2-D minimum pairs two
    1-D minima, a saddle pairs a 1-D minimum with a 1-D maximum.
    """
    integers = np.arange(-5.0, 6.0)
    half_integers = np.concatenate([np.arange(-4.5, 0.0), np.arange(0.5, 5.0)])
    minima = np.stack(np.meshgrid(integers, integers, indexing="ij"), axis=-1).reshape(-1, 2)
    saddles = np.concatenate(
        [
            np.stack(np.meshgrid(integers, half_integers, indexing="ij"), axis=-1).reshape(-1, 2),
            np.stack(np.meshgrid(half_integers, integers, indexing="ij"), axis=-1).reshape(-1, 2),
        ]
    )
    minima = newton_refine(rastrigin_grad, rastrigin_hessian, minima)
    saddles = newton_refine(rastrigin_grad, rastrigin_hessian, saddles)
    return minima[np.argsort(rastrigin_f(minima), kind="stable")], saddles


_RASTRIGIN_MINIMA, _RASTRIGIN_SADDLES = _rastrigin_critical_points()


def rastrigin() -> Surface:
    """Rastrigin function f(x, y) = 20 + x² − 10 cos 2πx + y² − 10 cos 2πy.

    Domain [-5.12, 5.12]². Global minimum f(0, 0) = 0, surrounded by a regular
    grid of 120 local minima near the integer points (coordinates pulled
    slightly towards 0, e.g. ±0.994959, ±1.989912, …, ±4.974691) and 220
    saddles between them. Start (3.2, 2.6), in the basin of the local minimum
    near (3, 3).

    Reference: L. A. Rastrigin, Systems of Extremal Control, Nauka, Moscow,
    1974; H. Mühlenbein, M. Schomisch and J. Born, "The parallel genetic
    algorithm as function optimizer", Parallel Computing 17:619–632, 1991.
    """
    return _catalogued(rastrigin, "Rastrigin function", r"f(x,y)=20+x^2-10\cos(2\pi x)+y^2-10\cos(2\pi y)",
                       (rastrigin_f, rastrigin_grad, rastrigin_hessian), x=(-5.12, 5.12), y=(-5.12, 5.12),
                       minima=_RASTRIGIN_MINIMA, f_min=0.0, saddles=_RASTRIGIN_SADDLES, start=(3.2, 2.6))


# ---------------------------------------------------------------------------
# Six-hump camel


def six_hump_camel_f(p):
    """f(x, y) = (4 − 2.1x² + x⁴/3) x² + xy + (−4 + 4y²) y².

    >>> round(float(six_hump_camel_f((1.0, 1.0))), 6)  # (4 − 2.1 + 1/3) + 1 + 0
    3.233333
    """
    x, y = coordinates(p)
    return (4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (-4.0 + 4.0 * y**2) * y**2


def six_hump_camel_grad(p):
    x, y = coordinates(p)
    return vector(8.0 * x - 8.4 * x**3 + 2.0 * x**5 + y, x - 8.0 * y + 16.0 * y**3)


def six_hump_camel_hessian(p):
    x, y = coordinates(p)
    return symmetric_matrix(8.0 - 25.2 * x**2 + 10.0 * x**4, np.ones_like(x), -8.0 + 48.0 * y**2)


_SIX_HUMP_CAMEL_MINIMA = newton_refine(
    six_hump_camel_grad,
    six_hump_camel_hessian,
    [
        [0.0898, -0.7126],
        [-0.0898, 0.7126],
        [1.7036, -0.7961],
        [-1.7036, 0.7961],
        [1.6071, 0.5687],
        [-1.6071, -0.5687],
    ],
)
_SIX_HUMP_CAMEL_SADDLES = newton_refine(
    six_hump_camel_grad,
    six_hump_camel_hessian,
    [
        [0.0, 0.0],
        [1.1092, -0.7683],
        [-1.1092, 0.7683],
        [1.2961, 0.6051],
        [-1.2961, -0.6051],
        [1.6381, 0.2287],
        [-1.6381, -0.2287],
    ],
)


def six_hump_camel() -> Surface:
    """Six-hump camel function f(x, y) = (4 − 2.1x² + x⁴/3) x² + xy + (−4 + 4y²) y².

    Domain x ∈ [-2, 2], y ∈ [-1.2, 1.2] (the usual [-3, 3] × [-2, 2] only adds
    steep walls). Two global minima f(±0.089842, ∓0.712656) = −1.0316284535,
    two local minima f(±1.703607, ∓0.796084) = −0.215464 and two more
    f(±1.607105, ±0.568651) = 2.104250; seven saddles and two local maxima.
    Start (−1.5, −1): plain gradient descent stops in the worst local minimum.

    Reference: L. C. W. Dixon and G. P. Szegő, "The global optimization
    problem: an introduction", in Towards Global Optimisation 2, North-Holland,
    1978, pp. 1–15; M. Jamil and X.-S. Yang, "A literature survey of benchmark
    functions for global optimization problems", IJMMNO 4(2):150–194, 2013.
    """
    return _catalogued(six_hump_camel, "Six-hump camel function",
                       r"f(x,y)=\left(4-2.1x^2+\frac{x^4}{3}\right)x^2+xy+\left(-4+4y^2\right)y^2",
                       (six_hump_camel_f, six_hump_camel_grad, six_hump_camel_hessian), x=(-2, 2), y=(-1.2, 1.2),
                       minima=_SIX_HUMP_CAMEL_MINIMA, f_min=float(six_hump_camel_f(_SIX_HUMP_CAMEL_MINIMA[0])),
                       saddles=_SIX_HUMP_CAMEL_SADDLES, start=(-1.5, -1.0))


# ---------------------------------------------------------------------------
# Two wells


def two_wells_f(p):
    """f(x, y) = (x² − 1)² + 0.3x + y².

    >>> float(two_wells_f((1.0, 0.0))), float(two_wells_f((0.0, 1.0)))  # 0 + 0.3; 1 + 0 + 1
    (0.3, 2.0)
    """
    x, y = coordinates(p)
    return (x**2 - 1.0) ** 2 + 0.3 * x + y**2


def two_wells_grad(p):
    x, y = coordinates(p)
    return vector(4.0 * x**3 - 4.0 * x + 0.3, 2.0 * y)


def two_wells_hessian(p):
    x, _ = coordinates(p)
    return symmetric_matrix(12.0 * x**2 - 4.0, np.zeros_like(x), np.full_like(x, 2.0))


def _two_wells_critical_points():
    """Global minimum, local minimum and saddle, from the roots of 4x³ − 4x + 0.3 = 0."""
    roots = np.sort(np.roots([4.0, 0.0, -4.0, 0.3]).real)
    points = np.stack([roots, np.zeros(3)], axis=-1)
    global_minimum, saddle, local_minimum = newton_refine(two_wells_grad, two_wells_hessian, points)
    return np.stack([global_minimum, local_minimum]), saddle[None, :]


_TWO_WELLS_MINIMA, _TWO_WELLS_SADDLES = _two_wells_critical_points()


def two_wells() -> Surface:
    """Tilted double well f(x, y) = (x² − 1)² + 0.3x + y².

    Domain x ∈ [-2, 2], y ∈ [-1.5, 1.5]. Global minimum f(−1.035579, 0) =
    −0.305428, local minimum f(0.960150, 0) = 0.294146, separated by a saddle
    at (0.075429, 0) with f = 1.011282. Start (1.8, 1) on the local well's
    side: gradient descent stops in the local well, momentum can carry a run
    over the hump into the global one.

    Reference: Tilted quartic double-well potential, a textbook example
    (cf. H. A. Kramers, Physica 7(4):284–304, 1940); coefficients chosen for
    this project.
    """
    return _catalogued(two_wells, "Two wells (local and global minimum)", r"f(x,y)=(x^2-1)^2+0.3x+y^2",
                       (two_wells_f, two_wells_grad, two_wells_hessian), x=(-2, 2), y=(-1.5, 1.5),
                       minima=_TWO_WELLS_MINIMA, f_min=float(two_wells_f(_TWO_WELLS_MINIMA[0])),
                       saddles=_TWO_WELLS_SADDLES, start=(1.8, 1.0))


# ---------------------------------------------------------------------------

# Builder and slider specifications of every surface, in teaching order.
CATALOG = {
    "bowl": (bowl, ()),
    "ill_conditioned": (
        ill_conditioned,
        (
            ParamSpec("kappa", 10.0, 1.0, 1000.0, "condition number κ", log=True),
            ParamSpec("angle", 0.0, -90.0, 90.0, "valley angle (degrees)"),
        ),
    ),
    "saddle": (saddle, ()),
    "monkey_saddle": (monkey_saddle, ()),
    "rosenbrock": (
        rosenbrock,
        (
            ParamSpec("a", 1.0, 0.5, 2.0, "a (minimum at (a, a²))"),
            ParamSpec("b", 100.0, 1.0, 1000.0, "b (valley steepness)", log=True),
        ),
    ),
    "beale": (beale, ()),
    "himmelblau": (himmelblau, ()),
    "rastrigin": (rastrigin, ()),
    "six_hump_camel": (six_hump_camel, ()),
    "two_wells": (two_wells, ()),
}
