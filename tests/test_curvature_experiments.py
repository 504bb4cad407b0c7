"""The second-derivative experiments, each held to closed forms written here,
finite differences of plain-float costs, and NumPy's linear algebra."""

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from micrograd_xent import deltas, experiments


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# Each cost C(z) of one output, and its ∂²C/∂z² derived by hand:
# quadratic ½(σ(z) − y)²: σ'² + (a − y)σ'' with σ' = a(1 − a), σ'' = σ'(1 − 2a);
# bce −[y ln a + (1 − y) ln(1 − a)]: a(1 − a); mse (z − y)² of a linear output: 2.
COSTS = {
    ("quadratic", "sigmoid"): lambda z, y: 0.5 * (sigmoid(z) - y) ** 2,
    # −ln σ(z) = ln(1 + e⁻ᶻ) and −ln(1 − σ(z)) = ln(1 + eᶻ): no 1 − σ(z) to round
    ("bce", "sigmoid"): lambda z, y: (
        y * math.log1p(math.exp(-z)) + (1 - y) * math.log1p(math.exp(z))
    ),
    ("mse", "linear"): lambda z, y: (z - y) ** 2,
}


def curvature_by_hand(loss, activation, z, y):
    if activation == "linear":
        return 2.0
    a = sigmoid(z)
    s1 = a * (1 - a)
    if loss == "bce":
        return s1
    return s1 * s1 + (a - y) * s1 * (1 - 2 * a)


def second_difference(f, z, h=1e-4):
    return (f(z + h) - 2 * f(z) + f(z - h)) / (h * h)


@pytest.mark.parametrize("pair", experiments.CURVATURE_PAIRS, ids="+".join)
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
@pytest.mark.parametrize("z", [-6.0, -1.5, 0.0, 0.4, 2.0, 4.0, 7.0])
def test_curvature_in_z_matches_the_hand_formula_and_finite_differences(pair, y, z):
    curvature = experiments.curvature_in_z(*pair, z, y)
    assert curvature == pytest.approx(curvature_by_hand(*pair, z, y), rel=1e-12, abs=1e-15)
    fd = second_difference(lambda t: COSTS[pair](t, y), z)
    assert curvature == pytest.approx(fd, rel=1e-4, abs=1e-6)


def test_quadratic_cost_after_a_sigmoid_turns_concave_past_z_ln2_for_y_0():
    # with y = 0 the hand formula is σ'·a·(2 − 3a): negative exactly where a > ⅔
    ln2 = math.log(2)
    assert experiments.curvature_in_z("quadratic", "sigmoid", ln2 - 1e-3, 0.0) > 0
    assert experiments.curvature_in_z("quadratic", "sigmoid", ln2 + 1e-3, 0.0) < 0
    # the number: a saturated, wrong neuron at z = 4
    assert experiments.curvature_in_z("quadratic", "sigmoid", 4.0, 0.0) == pytest.approx(
        -0.0164, abs=5e-5
    )


@given(st.floats(-30.0, 30.0), st.floats(0.0, 1.0))
def test_bce_after_a_sigmoid_never_curves_down(z, y):
    assert experiments.curvature_in_z("bce", "sigmoid", z, y) >= 0.0


# --- the Hessian of one neuron's cost in (w, b) ------------------------------------


def neuron_hessian_by_hand(cost, w, b, data):
    """Σ_k C''(z_k)·[[x², x], [x, 1]], since z = w·x + b; mse is the mean of
    (a − y)², so 2/n times the quadratic cost's curvature."""
    xs, ys = data
    h = np.zeros((2, 2))
    for x, y in zip(xs, ys):
        loss = "bce" if cost == "bce" else "quadratic"
        c2 = curvature_by_hand(loss, "sigmoid", w * x + b, y)
        scale = {"quadratic": 1.0, "mse": 2.0 / len(xs), "bce": 1.0 / len(xs)}[cost]
        h += scale * c2 * np.array([[x * x, x], [x, 1.0]])
    return h


@pytest.mark.parametrize("cost", ["quadratic", "mse", "bce"])
@pytest.mark.parametrize("w, b", [(0.0, 0.0), (2.0, 2.0), (-6.0, 6.0), (3.5, -1.25)])
def test_neuron_hessian_matches_the_hand_formula(cost, w, b):
    h = experiments.neuron_hessian(cost, w, b)
    expected = neuron_hessian_by_hand(cost, w, b, experiments.LANDSCAPE_DATA)
    assert np.allclose(h, expected, rtol=1e-11, atol=1e-15)


def test_neuron_hessian_matches_finite_differences_of_the_plain_cost():
    xs, ys = experiments.LANDSCAPE_DATA

    def cost(w, b):
        return 0.5 * sum((sigmoid(w * x + b) - y) ** 2 for x, y in zip(xs, ys))

    w, b, h = 1.3, -0.4, 1e-4
    fd = [
        [(cost(w + h, b) - 2 * cost(w, b) + cost(w - h, b)) / h**2, 0.0],
        [0.0, (cost(w, b + h) - 2 * cost(w, b) + cost(w, b - h)) / h**2],
    ]
    fd[0][1] = fd[1][0] = (
        cost(w + h, b + h) - cost(w + h, b - h) - cost(w - h, b + h) + cost(w - h, b - h)
    ) / (4 * h * h)
    assert np.allclose(experiments.neuron_hessian("quadratic", w, b), fd, rtol=1e-5, atol=1e-7)


symmetric = st.tuples(*[st.floats(-10.0, 10.0)] * 3).map(lambda t: [[t[0], t[1]], [t[1], t[2]]])


@given(symmetric)
def test_eigenvalues_match_numpy(h):
    expected = np.linalg.eigvalsh(np.array(h))
    assert np.allclose(experiments.eigenvalues(h), expected, rtol=1e-12, atol=1e-12)


def test_smallest_curvature_on_a_grid_matches_the_hand_hessians_eigenvalues():
    landscape = experiments.loss_landscape(costs=("mse",), limit=8.0, steps=7)
    smallest = experiments.smallest_curvature(landscape, "quadratic")
    for i, b in enumerate(landscape.b):
        for j, w in enumerate(landscape.w):
            h = neuron_hessian_by_hand("quadratic", w, b, experiments.LANDSCAPE_DATA)
            expected = np.linalg.eigvalsh(h)[0]
            assert smallest[i][j] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert any(v < 0 for row in smallest for v in row)  # not convex somewhere
    bce = experiments.smallest_curvature(landscape, "bce")
    assert all(v >= -1e-15 for row in bce for v in row)  # convex everywhere


# --- Newton's step ------------------------------------------------------------------


@settings(max_examples=200)
@given(symmetric, st.tuples(st.floats(-5.0, 5.0), st.floats(-5.0, 5.0)))
@example([[1.0, 4.25e-11], [4.25e-11, 1.0]], (0.0, 1.0))  # nearly diagonal: once 7e-7 off
def test_newton_step_solves_h_step_equals_minus_g(h, g):
    matrix = np.array(h)
    low, high = np.linalg.eigvalsh(matrix)
    if min(abs(low), abs(high)) < 1e-3 * max(1.0, abs(low), abs(high)):
        return  # near-singular: the next test's case
    step = experiments.newton_step(h, g)
    assert np.allclose(matrix @ step, -np.array(g), rtol=1e-8, atol=1e-8)


@settings(max_examples=200)
@given(symmetric, st.tuples(st.floats(-5.0, 5.0), st.floats(-5.0, 5.0)))
def test_saddle_free_newton_step_divides_by_the_absolute_eigenvalues(h, g):
    values, vectors = np.linalg.eigh(np.array(h))
    if min(abs(values)) < 1e-3 * max(1.0, *abs(values)):
        return
    expected = -vectors @ np.diag(1 / abs(values)) @ vectors.T @ np.array(g)
    assert np.allclose(
        experiments.newton_step(h, g, saddle_free=True), expected, rtol=1e-8, atol=1e-8
    )


@pytest.mark.parametrize("x, c", [(1.0, 2.0), (1.0, -0.5), (0.5, 3.0), (-2.0, 1e-3)])
def test_newton_step_with_a_singular_hessian_is_the_pseudo_inverses(x, c):
    h = [[c * x * x, c * x], [c * x, c]]  # one neuron, one input: rank one
    g = (0.7, -1.1)
    expected = -np.linalg.pinv(np.array(h)) @ np.array(g)
    assert np.allclose(experiments.newton_step(h, g), expected, rtol=1e-10, atol=1e-12)


def test_newton_step_of_a_zero_or_scalar_hessian():
    assert experiments.newton_step([[0.0, 0.0], [0.0, 0.0]], (1.0, 2.0)) == (0.0, 0.0)
    assert experiments.newton_step([[-2.0, 0.0], [0.0, -2.0]], (1.0, 2.0)) == (0.5, 1.0)
    assert experiments.newton_step([[-2.0, 0.0], [0.0, -2.0]], (1.0, 2.0), saddle_free=True) == (
        -0.5,
        -1.0,
    )


def simulate_in_z(cost, method, steps, z=4.0, y=0.0, eta=0.15, x=1.0):
    """Nielsen's neuron with everything by hand: C' and C'' in z, and the
    step in (w, b) that each method takes, written as a step in z. Gradient
    descent moves w by −ηC'x and b by −ηC', so z by −ηC'(x² + 1); the Newton
    steps, the pseudo-inverse's, move z by −C'/C'' (or −C'/|C''|)."""
    outputs = []
    for _ in range(steps + 1):
        a = sigmoid(z)
        outputs.append(a)
        c1 = (a - y) * a * (1 - a) if cost == "quadratic" else a - y
        c2 = curvature_by_hand(cost, "sigmoid", z, y)
        if method == "gradient descent":
            z -= eta * c1 * (x * x + 1)
        else:
            z -= c1 / (c2 if method == "Newton" else abs(c2))
    return outputs


@pytest.fixture(scope="module")
def runs():
    return {(r.cost, r.method): r for r in experiments.newton_vs_gradient_descent()}


def test_newton_runs_cover_both_costs_and_all_methods(runs):
    assert set(runs) == {(c, m) for c in ("quadratic", "bce") for m in experiments.NEWTON_METHODS}
    assert len(runs["quadratic", "gradient descent"].outputs) == 301
    assert len(runs["quadratic", "Newton"].outputs) == 21


@pytest.mark.parametrize("cost", ["quadratic", "bce"])
@pytest.mark.parametrize("method", experiments.NEWTON_METHODS)
def test_newton_runs_match_a_hand_simulation_in_z(runs, cost, method):
    run = runs[cost, method]
    expected = simulate_in_z(cost, method, len(run.outputs) - 1)
    assert run.outputs == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_newton_on_the_quadratic_cost_climbs_toward_the_saturated_plateau(runs):
    run = runs["quadratic", "Newton"]
    # the curvature is negative all the way: Newton heads for a maximum along z
    assert all(low < 0 for low, _ in run.eigenvalues[:-1])
    assert all(a1 > a0 for a0, a1 in zip(run.outputs, run.outputs[1:10]))
    assert all(c1 > c0 for c0, c1 in zip(run.costs, run.costs[1:10]))
    assert run.outputs[-1] > 0.99999 and run.costs[-1] == pytest.approx(0.5, abs=1e-5)


def test_saddle_free_newton_and_gradient_descent_on_the_quadratic_cost(runs):
    assert experiments.first_epoch_below(runs["quadratic", "saddle-free Newton"].outputs, 0.2) == 4
    gd = runs["quadratic", "gradient descent"].outputs
    assert gd[150] > 0.9 and gd[-1] < 0.5  # Nielsen's slow start, then learning


def test_newton_on_bce_reaches_the_target_in_one_step(runs):
    for method in ("Newton", "saddle-free Newton"):  # the same: bce's curvature is positive
        run = runs["bce", method]
        assert run.outputs[1] < 1e-20
        assert all(low == 0.0 and high > 0 for low, high in run.eigenvalues)


@pytest.mark.parametrize("pair", experiments.CURVATURE_PAIRS, ids="+".join)
@pytest.mark.parametrize("z", [-5.0, -0.5, 0.9, 4.0])
def test_curvature_in_z_agrees_with_the_hand_derived_output_curvature(pair, z):
    [[expected]] = deltas.output_curvature(*pair, [z], [0.0])
    assert experiments.curvature_in_z(*pair, z, 0.0) == pytest.approx(
        expected, rel=1e-12, abs=1e-15
    )
