"""The tour's experiments, each held to a plain-float computation written here."""

import math

import pytest

from micrograd_xent import experiments as ex


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def simulate_neuron(cost, w, b, epochs, eta=0.15, x=1.0, y=0.0):
    """Nielsen's neuron with the gradients derived by hand: ∂C/∂z is
    (a − y)·a(1 − a) for ½(a − y)², and a − y for cross-entropy."""
    outputs, costs = [], []
    for _ in range(epochs + 1):
        a = sigmoid(w * x + b)
        outputs.append(a)
        if cost == "quadratic":
            costs.append(0.5 * (a - y) ** 2)
            dz = (a - y) * a * (1 - a)
        else:
            costs.append(-(y * math.log(a) + (1 - y) * math.log(1 - a)))
            dz = a - y
        w, b = w - eta * dz * x, b - eta * dz
    return outputs, costs


def test_slowdown_matches_a_plain_float_simulation_with_hand_derived_gradients():
    runs = ex.learning_slowdown(epochs=300)
    assert [(r.cost, r.start) for r in runs] == [
        ("quadratic", (0.6, 0.9)),
        ("quadratic", (2.0, 2.0)),
        ("bce", (0.6, 0.9)),
        ("bce", (2.0, 2.0)),
    ]
    for run in runs:
        outputs, costs = simulate_neuron(run.cost, *run.start, epochs=300)
        assert run.outputs == pytest.approx(outputs, rel=1e-12, abs=1e-15)
        assert run.costs == pytest.approx(costs, rel=1e-12, abs=1e-15)


def test_slowdown_starts_at_nielsens_published_outputs():
    runs = ex.learning_slowdown(epochs=0)
    assert runs[0].outputs[0] == pytest.approx(0.82, abs=0.005)
    assert runs[1].outputs[0] == pytest.approx(0.98, abs=0.005)


def test_saturated_neuron_learns_slowly_under_quadratic_cost_but_not_under_cross_entropy():
    quadratic, bce = (r for r in ex.learning_slowdown() if r.start == (2.0, 2.0))
    # Nielsen's picture: the quadratic cost barely moves the output for ~150 epochs
    assert quadratic.outputs[150] > 0.9
    assert ex.first_epoch_below(bce.outputs, 0.5) < 30
    assert ex.first_epoch_below(quadratic.outputs, 0.5) > 150


def test_first_epoch_below_is_none_when_never_below():
    assert ex.first_epoch_below([1.0, 0.7], 0.5) is None
    assert ex.first_epoch_below([1.0, 0.4, 0.1], 0.5) == 1


def test_mse_gradient_and_hand_applied_mse_delta_train_the_same_weights():
    by_mse, by_bce, tutorial = ex.only_printed(epochs=60)
    assert len(by_mse.weights) == len(tutorial.weights) == 61
    for w_mse, w_tutorial in zip(by_mse.weights, tutorial.weights):
        assert w_tutorial == pytest.approx(w_mse, rel=1e-12, abs=1e-12)


def test_bce_gradient_trains_different_weights_and_reaches_lower_bce():
    by_mse, by_bce, tutorial = ex.only_printed(epochs=60)
    assert by_bce.weights[0] == by_mse.weights[0]  # the same starting network
    assert max(abs(a - b) for a, b in zip(by_bce.weights[-1], by_mse.weights[-1])) > 0.1
    assert by_bce.losses["bce"][-1] < tutorial.losses["bce"][-1]


def test_only_printed_reports_the_loss_each_program_prints():
    by_mse, by_bce, tutorial = ex.only_printed(epochs=5)
    assert (by_mse.printed, by_bce.printed, tutorial.printed) == ("mse", "bce", "bce")
    assert tutorial.reported == tutorial.losses["bce"]
    # one sigmoid output a per point: mse ≤ 1 always, and bce ≥ mse (−log a ≥ (1 − a)²)
    assert all(0 < m <= 1 for m in by_mse.reported)
    assert all(b >= m for b, m in zip(tutorial.losses["bce"], tutorial.losses["mse"]))


@pytest.mark.parametrize("w, b", [(0.0, 0.0), (1.5, -0.5), (-6.0, 6.0)])
def test_neuron_cost_and_gradient_match_formulas(w, b):
    xs, ys = ex.LANDSCAPE_DATA
    n = len(xs)
    a = [sigmoid(w * x + b) for x in xs]
    mse = sum((ai - yi) ** 2 for ai, yi in zip(a, ys)) / n
    mse_dz = [2 / n * (ai - yi) * ai * (1 - ai) for ai, yi in zip(a, ys)]
    bce = -sum(yi * math.log(ai) + (1 - yi) * math.log(1 - ai) for ai, yi in zip(a, ys)) / n
    bce_dz = [(ai - yi) / n for ai, yi in zip(a, ys)]
    for cost, value, dz in (("mse", mse, mse_dz), ("bce", bce, bce_dz)):
        expected = (value, sum(d * x for d, x in zip(dz, xs)), sum(dz))
        assert ex.neuron_cost(cost, w, b) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_landscape_rows_are_b_and_columns_are_w():
    landscape = ex.loss_landscape(limit=2.0, steps=5)
    assert landscape.w == landscape.b == pytest.approx([-2.0, -1.0, 0.0, 1.0, 2.0])
    assert landscape.costs["bce"][1][3] == pytest.approx(ex.neuron_cost("bce", 1.0, -1.0)[0])
    value, w, b = ex.grid_minimum(landscape, "mse")
    assert value == min(min(row) for row in landscape.costs["mse"])
    assert landscape.costs["mse"][landscape.b.index(b)][landscape.w.index(w)] == value


def test_two_moons_lie_on_their_half_circles_and_repeat_with_the_seed():
    xs, ys = ex.two_moons(50, noise=0.0, seed=3)
    assert len(xs) == 50 and ys.count(0.0) == ys.count(1.0) == 25
    for (x, y), label in zip(xs, ys):
        centre = (0.0, 0.0) if label == 0.0 else (1.0, 0.5)
        assert math.dist((x, y), centre) == pytest.approx(1.0)
        assert (y >= -1e-12) if label == 0.0 else (y <= 0.5 + 1e-12)
    assert ex.two_moons(20, seed=7) == ex.two_moons(20, seed=7)
    assert ex.two_moons(20, seed=7) != ex.two_moons(20, seed=8)


def test_mlp_on_two_moons_learns_and_grid_holds_its_outputs():
    ticks = []
    run = ex.train_two_moons(n=40, epochs=60, progress=ticks.append)
    assert ticks == list(range(1, 61))
    assert len(run.losses) == 60
    assert run.losses[-1] < 0.7 * run.losses[0]
    correct = sum((run.model(x).data > 0.5) == (y == 1.0) for x, y in zip(run.xs, run.ys))
    assert run.accuracy == correct / 40 and run.accuracy > 0.8
    gx, gy, p = ex.decision_grid(run.model, (-1.0, 2.0), (-0.5, 1.0), steps=4)
    assert gx == pytest.approx([-1.0, 0.0, 1.0, 2.0]) and gy == pytest.approx([-0.5, 0.0, 0.5, 1.0])
    assert p[2][1] == run.model([0.0, 0.5]).data
