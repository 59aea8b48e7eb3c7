"""Each update rule against values computed by hand from the notes' formulas.

The numbers below come from the seeds' formulas applied by hand to the book's
bowl f = x²/20 + y² from (−7, 2), where ∇f = (x/10, 2y), so g₀ = (−0.7, 4).
"""

import math

import numpy as np
import pytest

import optim_core
import surfaces

BOWL = surfaces.get("bowl")
START = (-7.0, 2.0)


def first_points(name, steps=2, **hyper):
    return optim_core.run(BOWL, optim_core.make(name, **hyper), start=START, steps=steps, tol=None).xy


def test_sgd_first_step():
    # x ← x − lr·g = (−7 + 0.95·0.7, 2 − 0.95·4)
    np.testing.assert_allclose(first_points("sgd", 1, lr=0.95)[1], [-6.335, -1.8], rtol=0, atol=1e-12)


def test_momentum_two_steps():
    # v₁ = −0.1·(−0.7, 4) = (0.07, −0.4); x₁ = (−6.93, 1.6); g₁ = (−0.693, 3.2)
    # v₂ = 0.9·v₁ − 0.1·g₁ = (0.1323, −0.68); x₂ = (−6.7977, 0.92)
    xy = first_points("momentum", 2, lr=0.1, mu=0.9)
    np.testing.assert_allclose(xy[1:], [[-6.93, 1.6], [-6.7977, 0.92]], atol=1e-12)


def test_nesterov_lookahead_two_steps():
    # step 1 is Momentum's (v = 0): x₁ = (−6.93, 1.6), v₁ = (0.07, −0.4)
    # look-ahead x₁ + 0.9·v₁ = (−6.867, 1.24), g there = (−0.6867, 2.48)
    # v₂ = (0.063 + 0.06867, −0.36 − 0.248) = (0.13167, −0.608); x₂ = (−6.79833, 0.992)
    xy = first_points("nesterov", 2, lr=0.1, mu=0.9, form="lookahead")
    np.testing.assert_allclose(xy[1:], [[-6.93, 1.6], [-6.79833, 0.992]], atol=1e-12)


def test_nesterov_reformulated_first_step():
    # v_prev = 0, v = (0.07, −0.4); x += −0.9·0 + 1.9·v = (0.133, −0.76)
    np.testing.assert_allclose(first_points("nesterov", 1, lr=0.1, form="reformulated")[1], [-6.867, 1.24],
                               atol=1e-12)


def test_nesterov_forms_are_the_same_method_seen_at_the_lookahead_point():
    """The reformulated iterate is the look-ahead point of the first form: x_k + mu·v_k,
    where v_k = x_k − x_{k−1} in the look-ahead form (the notes' change of variables)."""
    rosen = surfaces.get("rosenbrock")
    mu = 0.8
    common = dict(start=(-1.2, 1.0), steps=60, tol=None)
    look = optim_core.run(rosen, optim_core.make("nesterov", lr=5e-4, mu=mu, form="lookahead"), **common).xy
    reform = optim_core.run(rosen, optim_core.make("nesterov", lr=5e-4, mu=mu, form="reformulated"), **common).xy
    velocity = np.diff(look, axis=0)
    np.testing.assert_allclose(reform[1:], look[1:] + mu * velocity, rtol=1e-10, atol=1e-12)
    assert not np.allclose(reform, look)


def test_adagrad_first_step_and_effective_lr():
    # cache = g² = (0.49, 16); x ← x − 1.5·g/(√cache + 1e-7)  (the book's AdaGrad)
    tr = optim_core.run(BOWL, optim_core.make("adagrad", lr=1.5), start=START, steps=1, tol=None)
    expected = [-7 + 1.5 * 0.7 / (0.7 + 1e-7), 2 - 1.5 * 4 / (4 + 1e-7)]
    np.testing.assert_allclose(tr.xy[1], expected, rtol=1e-14)
    np.testing.assert_allclose(tr.effective_lr[0], [1.5 / (0.7 + 1e-7), 1.5 / (4 + 1e-7)], rtol=1e-14)


def test_adagrad_second_step_accumulates():
    # x₁ ≈ (−5.5, 0.5); g₁ = (−0.55, 1.0); cache = (0.49 + 0.3025, 16 + 1)
    x1 = np.array([-7 + 1.5 * 0.7 / (0.7 + 1e-7), 2 - 1.5 * 4 / (4 + 1e-7)])
    g1 = np.array([x1[0] / 10, 2 * x1[1]])
    cache = np.array([0.49, 16.0]) + g1**2
    np.testing.assert_allclose(first_points("adagrad", 2, lr=1.5)[2], x1 - 1.5 * g1 / (np.sqrt(cache) + 1e-7),
                               rtol=1e-14)


def test_adagrad_eps_inside():
    xy = first_points("adagrad", 1, lr=1.0, eps=0.01, eps_placement="inside")
    np.testing.assert_allclose(xy[1], [-7 + 0.7 / math.sqrt(0.49 + 0.01), 2 - 4 / math.sqrt(16.01)], rtol=1e-14)


def test_rmsprop_first_step():
    # cache = 0.01·g²; step = 0.01·g/(0.1·|g| + 1e-8) ≈ 0.1 per coordinate
    xy = first_points("rmsprop", 1, lr=0.01, decay_rate=0.99)
    expected = [-7 + 0.01 * 0.7 / (0.1 * 0.7 + 1e-8), 2 - 0.01 * 4 / (0.1 * 4 + 1e-8)]
    np.testing.assert_allclose(xy[1], expected, rtol=1e-14)


def test_adam_first_step_is_lr_per_coordinate():
    # t = 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps)
    xy = first_points("adam", 1, lr=0.3)
    np.testing.assert_allclose(xy[1], [-7 + 0.3 * 0.7 / (0.7 + 1e-8), 2 - 0.3 * 4 / (4 + 1e-8)], rtol=1e-14)


def test_adam_second_step_by_hand():
    # eps = 0 keeps the arithmetic exact: x₁ = (−6.7, 1.7), g₁ = (−0.67, 3.4)
    # m = 0.9·0.1·g₀ + 0.1·g₁ = (−0.13, 0.70);  m̂ = m / (1 − 0.81)
    # v = 0.999·0.001·g₀² + 0.001·g₁² = (0.00093841, 0.027544);  v̂ = v / (1 − 0.999²)
    m_hat = np.array([-0.13, 0.70]) / 0.19
    v_hat = np.array([0.00093841, 0.027544]) / (1 - 0.999**2)
    expected = np.array([-6.7, 1.7]) - 0.3 * m_hat / np.sqrt(v_hat)
    np.testing.assert_allclose(first_points("adam", 2, lr=0.3, eps=0.0)[2], expected, rtol=1e-12)


def test_adam_without_bias_correction_is_the_notes_first_form():
    # m = 0.1·g, v = 0.001·g²: step = lr·0.1·g/(√0.001·|g|) = lr·3.1623·sign(g)
    xy = first_points("adam", 1, lr=0.1, eps=0.0, bias_correction=False)
    np.testing.assert_allclose(xy[1], [-7 + 0.1 * 0.1 / math.sqrt(0.001), 2 - 0.1 * 0.1 / math.sqrt(0.001)],
                               rtol=1e-12)


def test_adam_book_form_matches_the_books_class():
    """The seeds' ``Adam`` class: lr_t = lr·√(1 − β2ᵗ)/(1 − β1ᵗ); m += (1 − β1)(g − m);
    v += (1 − β2)(g² − v); x −= lr_t·m/(√v + 1e-7), run here by hand for three steps."""
    lr, beta1, beta2, eps = 0.3, 0.9, 0.999, 1e-7
    x, m, v = np.array(START), np.zeros(2), np.zeros(2)
    expected = [x.copy()]
    for it in range(1, 4):
        g = np.array([x[0] / 10, 2 * x[1]])
        lr_t = lr * math.sqrt(1 - beta2**it) / (1 - beta1**it)
        m += (1 - beta1) * (g - m)
        v += (1 - beta2) * (g**2 - v)
        x = x - lr_t * m / (np.sqrt(v) + eps)
        expected.append(x.copy())
    got = first_points("adam", 3, lr=lr, eps=eps, eps_placement="book")
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_eps_placement_changes_adam():
    outside = first_points("adam", 3, lr=0.3, eps=0.5)
    inside = first_points("adam", 3, lr=0.3, eps=0.5, eps_placement="inside")
    # first step: 0.3·0.7/(0.7 + 0.5) versus 0.3·0.7/√(0.49 + 0.5)
    np.testing.assert_allclose(outside[1, 0], -7 + 0.21 / 1.2, rtol=1e-14)
    np.testing.assert_allclose(inside[1, 0], -7 + 0.21 / math.sqrt(0.99), rtol=1e-14)


def test_nadam_first_step():
    # m̂ = 0.9·0.1·g/(1 − 0.9²) + 0.1·g/(1 − 0.9) = (0.09/0.19 + 1)·g ; v̂ = g²
    factor = 0.09 / 0.19 + 1
    xy = first_points("nadam", 1, lr=0.1, eps=0.0)
    np.testing.assert_allclose(xy[1], [-7 + 0.1 * factor, 2 - 0.1 * factor], rtol=1e-12)


def test_amsgrad_keeps_the_largest_second_moment():
    """With a gradient that shrinks, v decays but AMSGrad divides by the running maximum."""
    lr, beta1, beta2 = 0.1, 0.0, 0.5
    xy = first_points("amsgrad", 2, lr=lr, beta1=beta1, beta2=beta2, eps=0.0)
    # step 1: v = 0.5·g₀², v̂ = g₀², x₁ = x₀ − 0.1·sign(g₀) = (−6.9, 1.9)
    # step 2: g₁ = (−0.69, 3.8), v = 0.25·g₀² + 0.5·g₁² ; v_max = max(0.5·g₀², v)
    g0, g1 = np.array([-0.7, 4.0]), np.array([-0.69, 3.8])
    v_max = np.maximum(0.5 * g0**2, 0.25 * g0**2 + 0.5 * g1**2)
    expected = np.array([-6.9, 1.9]) - lr * g1 / np.sqrt(v_max / (1 - 0.25))
    np.testing.assert_allclose(xy[2], expected, rtol=1e-12)


def test_adamw_decay_is_decoupled():
    # first step: Adam's lr·sign(g) plus −lr·wd·x₀
    xy = first_points("adamw", 1, lr=0.1, weight_decay=0.5, eps=0.0)
    np.testing.assert_allclose(xy[1], [-7 + 0.1 + 0.1 * 0.5 * 7, 2 - 0.1 - 0.1 * 0.5 * 2], rtol=1e-12)


def test_adadelta_first_step():
    # E[g²] = 0.05·g²; Δ = −√(0 + 1e-6)/√(0.05·g² + 1e-6)·g
    xy = first_points("adadelta", 1)
    dx = 1e-3 / math.sqrt(0.05 * 0.49 + 1e-6) * 0.7
    dy = 1e-3 / math.sqrt(0.05 * 16 + 1e-6) * 4
    np.testing.assert_allclose(xy[1], [-7 + dx, 2 - dy], rtol=1e-12)


@pytest.mark.parametrize("lr", [0.05, 0.5, 0.9])
def test_gradient_descent_on_a_quadratic_follows_the_closed_form(lr):
    """x_k = (1 − lr·λ)^k x₀ along each eigen-direction; the bowl's λ are 1/10 and 2."""
    k = np.arange(41)[:, None]
    closed = (1 - lr * np.array([0.1, 2.0])) ** k * np.array(START)
    np.testing.assert_allclose(first_points("sgd", 40, lr=lr), closed, rtol=1e-10, atol=1e-300)


def test_gradient_descent_on_a_rotated_quadratic_follows_the_closed_form():
    s = surfaces.get("ill_conditioned", kappa=50, angle=30)
    hessian = s.hessian(np.zeros(2))
    eigenvalues, eigenvectors = np.linalg.eigh(hessian)
    x0 = np.array([3.0, -2.0])
    coords = eigenvectors.T @ x0
    k = np.arange(21)[:, None]
    closed = ((1 - 0.7 * eigenvalues) ** k * coords) @ eigenvectors.T
    tr = optim_core.run(s, optim_core.make("sgd", lr=0.7), start=x0, steps=20, tol=None)
    np.testing.assert_allclose(tr.xy, closed, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("surface", [("bowl", {}), ("ill_conditioned", dict(kappa=300, angle=-40))])
def test_newton_reaches_a_quadratics_minimum_in_one_step(surface):
    s = surfaces.get(surface[0], **surface[1])
    tr = optim_core.run(s, optim_core.make("newton"), start=(4.0, -3.0), steps=10)
    np.testing.assert_allclose(tr.xy[1], [0.0, 0.0], atol=1e-12)
    assert tr.status == "converged" and tr.stopped_at == 1


def test_newton_is_attracted_to_a_saddle():
    tr = optim_core.run(surfaces.get("saddle"), optim_core.make("newton"), start=(1.0, 0.5), steps=5)
    np.testing.assert_allclose(tr.xy[1], [0.0, 0.0], atol=1e-12)


def test_newton_with_a_singular_hessian_does_not_crash():
    # the monkey saddle's Hessian is zero at the origin: Newton stands still there
    s = surfaces.get("monkey_saddle")
    tr = optim_core.run(s, optim_core.make("newton"), start=(0.0, 0.0), steps=5, tol=None)
    assert np.all(np.isfinite(tr.xy)) and np.allclose(tr.xy, 0.0)
    # x³ − 3xy² along y = 0: H = diag(6x, −6x), g = (3x², 0): Newton halves x each step
    tr = optim_core.run(s, optim_core.make("newton"), start=(1.0, 0.0), steps=4, tol=None)
    np.testing.assert_allclose(tr.xy[:, 0], [1, 0.5, 0.25, 0.125, 0.0625], rtol=1e-12)


# --- a rule is defined once: what its definition must hold ----------------------------------------


def _option_combinations(rule):
    """Every combination of the rule's option-valued hyperparameters, over its defaults."""
    import itertools
    defaults = {spec.name: spec.default for spec in rule.hyper}
    options = [spec for spec in rule.hyper if spec.choices]
    for values in itertools.product(*(spec.choices for spec in options)):
        yield {**defaults, **{spec.name: value for spec, value in zip(options, values)}}


@pytest.mark.parametrize("name", optim_core.names())
def test_every_rule_carries_its_display_settings(name):
    rule = optim_core.RULES[name]
    assert rule.intuition and rule.reference and rule.title
    for spec in rule.hyper:
        assert spec.label, (name, spec.name)
        if spec.choices:
            assert spec.default in spec.choices
            continue
        assert spec.default in spec.options and list(spec.options) == sorted(spec.options), spec.name
        assert all(spec.accepts(value) for value in spec.options), spec.name
        low, high = spec.sweep
        assert low < high and spec.accepts(low) and spec.accepts(high), spec.name
        assert low > 0 or not spec.log, f"{spec.name}: a log-scaled sweep must start above 0"


def test_a_hyperparameter_is_on_one_scale_everywhere():
    """The issue's disagreement: weight_decay was linear on its slider and log in the sweep."""
    scales = {}
    for rule in optim_core.RULES.values():
        for spec in rule.hyper:
            if not spec.choices:
                scales.setdefault(spec.name, set()).add(spec.log)
    assert all(len(found) == 1 for found in scales.values()), scales
    assert scales["lr"] == scales["eps"] == scales["weight_decay"] == {True}


@pytest.mark.parametrize("name", optim_core.names())
def test_every_convention_has_its_latex_and_its_sentence(name):
    rule = optim_core.RULES[name]
    for hp in _option_combinations(rule):
        latex = rule.latex(hp)
        assert latex.count("{") == latex.count("}") and r"\leftarrow" in latex, (hp, latex)
        assert all(isinstance(note, str) and note for note in rule.conventions(hp))
    if "eps_placement" in {spec.name for spec in rule.hyper}:
        assert {rule.latex({**hp, "eps_placement": "inside"}) for hp in _option_combinations(rule)} != \
               {rule.latex({**hp, "eps_placement": "outside"}) for hp in _option_combinations(rule)}


@pytest.mark.parametrize("name", optim_core.names())
def test_explaining_an_update_does_not_change_it(name):
    """The parts are recorded from the very values the update computes: asking for them changes no bit
    of the step or the state, and the parts add up to the step."""
    rule = optim_core.RULES[name]
    x = np.array([-1.2, 1.0])
    rosenbrock = surfaces.get("rosenbrock")
    for hp in _option_combinations(rule):
        hp = {**hp, "lr": 1e-3}
        state = rule.init(x)
        for t in (1, 2, 3):
            point = x if rule.grad_point is None else rule.grad_point(x, state, hp)
            g, hessian = rosenbrock.grad(point), rosenbrock.hessian(x) if rule.needs_hessian else None
            plain = rule.update(g, state, x, t, hp, hessian)
            explanation = optim_core.Explanation()
            explained = rule.update(g, state, x, t, hp, hessian, explain=explanation)
            np.testing.assert_array_equal(plain[0], explained[0])
            for before, after in zip(plain[1], explained[1]):
                np.testing.assert_array_equal(before, after)
            parts = np.sum([part.value for part in explanation.parts.values()], axis=0)
            np.testing.assert_allclose(parts, plain[0], rtol=1e-12, atol=1e-15)
            x, state = x + plain[0], plain[1]


@pytest.mark.parametrize("name, hyper", [("sgd", {}), ("momentum", {"mu": 0.9}), ("momentum", {"mu": 0.5}),
                                         ("nesterov", {"mu": 0.9}), ("nesterov", {"mu": 0.9, "form": "reformulated"}),
                                         ("nesterov", {"mu": 0.3}), ("newton", {})])
@pytest.mark.parametrize("surface", [("bowl", {}), ("ill_conditioned", dict(kappa=50, angle=30))])
def test_a_rules_lr_limit_is_where_it_starts_to_diverge(name, hyper, surface):
    """Just below the rule's limit the run settles, just above it blows up: checked by running it, so a wrong
    limit (the page once gave Nesterov the heavy ball's 2(1 + μ)/λmax, twice too large) fails here."""
    s = surfaces.get(surface[0], **surface[1])
    lambda_max = float(np.linalg.eigvalsh(s.hessian(np.zeros(2)))[-1])
    rule = optim_core.RULES[name]
    limit = rule.lr_limit({**{spec.name: spec.default for spec in rule.hyper}, **hyper}, lambda_max)
    below = optim_core.run(s, optim_core.make(name, lr=0.95 * limit, **hyper), start=(3.0, 2.0), steps=3000, tol=None)
    above = optim_core.run(s, optim_core.make(name, lr=1.05 * limit, **hyper), start=(3.0, 2.0), steps=3000, tol=None)
    assert below.status == "max_steps" and np.linalg.norm(below.xy[-1]) < 1e-3
    assert above.status == "diverged"
