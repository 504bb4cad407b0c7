"""The tour's experiments, each held to a plain-float computation written here."""

import math

import pytest
from oracles import sigmoid, train_sigmoid_neuron

from micrograd_xent import experiments


def test_slowdown_matches_a_plain_float_simulation_with_hand_derived_gradients():
    runs = experiments.learning_slowdown(epochs=300)
    assert [(r.cost, r.start) for r in runs] == [
        ("quadratic", (0.6, 0.9)),
        ("quadratic", (2.0, 2.0)),
        ("bce", (0.6, 0.9)),
        ("bce", (2.0, 2.0)),
    ]
    for run in runs:
        outputs, costs = train_sigmoid_neuron(run.cost, *run.start, epochs=300)
        assert run.outputs == pytest.approx(outputs, rel=1e-12, abs=1e-15)
        assert run.costs == pytest.approx(costs, rel=1e-12, abs=1e-15)


def test_slowdown_starts_at_nielsens_published_outputs():
    runs = experiments.learning_slowdown(epochs=0)
    assert experiments.find_run(runs, "bce", (0.6, 0.9)).outputs[0] == pytest.approx(0.82, abs=5e-3)
    saturated = experiments.find_run(runs, "quadratic", experiments.SATURATED_START)
    assert saturated.outputs[0] == pytest.approx(0.98, abs=5e-3)


def test_saturated_neuron_learns_slowly_under_quadratic_cost_but_not_under_cross_entropy():
    runs = experiments.learning_slowdown()
    quadratic = experiments.find_run(runs, "quadratic", (2.0, 2.0))
    bce = experiments.find_run(runs, "bce", (2.0, 2.0))
    # Nielsen's picture: the quadratic cost barely moves the output for ~150 epochs
    assert quadratic.outputs[150] > 0.9
    assert experiments.first_epoch_below(bce.outputs, 0.5) < 30
    assert experiments.first_epoch_below(quadratic.outputs, 0.5) > 150


def test_first_epoch_below_is_the_first_index_under_the_threshold_or_none():
    assert experiments.first_epoch_below([1.0, 0.7], 0.5) is None
    assert experiments.first_epoch_below([1.0, 0.4, 0.1], 0.5) == 1
    assert experiments.first_epoch_below([0.5, 0.49], 0.5) == 1  # strictly below


# --- the loss that is printed vs the loss that is trained ---------------------


def train_two_three_one(weights, xs, ys, epochs, eta, cost):
    """The sigmoid network 2 → 3 → 1 by full-batch gradient descent, in plain floats.

    ``weights`` in MLP.parameters() order: per hidden neuron w1, w2, b, then the
    output neuron's three weights and bias. ∂C/∂z of the output is (2/n)(a − y)·
    a(1 − a) for mse and (a − y)/n for bce; below it, BP2 by hand. Returns the
    weights and the (mse, bce) after each update, index i after i updates.
    """
    p = list(weights)
    history, costs = [], []
    n = len(xs)
    for _ in range(epochs + 1):
        W1 = [p[3 * j : 3 * j + 2] for j in range(3)]
        b1 = [p[3 * j + 2] for j in range(3)]
        W2, b2 = p[9:12], p[12]
        grads = [0.0] * 13
        mse = bce = 0.0
        for x, y in zip(xs, ys):
            h = [sigmoid(W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j]) for j in range(3)]
            a = sigmoid(sum(W2[j] * h[j] for j in range(3)) + b2)
            mse += (a - y) ** 2 / n
            bce += -(y * math.log(a) + (1 - y) * math.log(1 - a)) / n
            dz2 = 2 / n * (a - y) * a * (1 - a) if cost == "mse" else (a - y) / n
            for j in range(3):
                dz1 = dz2 * W2[j] * h[j] * (1 - h[j])
                grads[3 * j] += dz1 * x[0]
                grads[3 * j + 1] += dz1 * x[1]
                grads[3 * j + 2] += dz1
                grads[9 + j] += dz2 * h[j]
            grads[12] += dz2
        history.append(list(p))
        costs.append((mse, bce))
        p = [pi - eta * g for pi, g in zip(p, grads)]
    return history, costs


@pytest.fixture(scope="module")
def printed_or_trained():
    return experiments.printed_or_trained(epochs=40)


@pytest.mark.parametrize(
    "run_name, cost",
    [("mse_gradient", "mse"), ("bce_gradient", "bce"), ("mse_delta_bce_printed", "mse")],
)
def test_each_run_follows_a_plain_float_training_with_its_hand_derived_delta(
    printed_or_trained, run_name, cost
):
    run = getattr(printed_or_trained, run_name)
    xs, ys = experiments.two_moons(24, noise=0.1, seed=1)
    weights, costs = train_two_three_one(run.weights[0], xs, ys, epochs=40, eta=2.0, cost=cost)
    assert len(run.weights) == 41
    for epoch, (expected, (mse, bce)) in enumerate(zip(weights, costs)):
        assert run.weights[epoch] == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert run.losses["mse"][epoch] == pytest.approx(mse, rel=1e-9)
        assert run.losses["bce"][epoch] == pytest.approx(bce, rel=1e-9)


def test_only_the_gradient_of_bce_trains_differently(printed_or_trained):
    by_mse, by_bce = printed_or_trained.mse_gradient, printed_or_trained.bce_gradient
    assert by_bce.weights[0] == by_mse.weights[0]  # the same starting network
    assert max(abs(a - b) for a, b in zip(by_bce.weights[-1], by_mse.weights[-1])) > 0.1


def test_each_run_reports_the_loss_its_program_prints(printed_or_trained):
    runs = printed_or_trained.runs
    assert [run.printed for run in runs] == ["mse", "bce", "bce"]
    for run in runs:
        assert run.reported == run.losses[run.printed]


# --- the loss landscape -----------------------------------------------------------


def neuron_costs(w, b):
    """mse and bce of σ(w·x + b) on the landscape's data, with ∂/∂w and ∂/∂b by hand."""
    xs, ys = [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0], [0.0, 0.0, 1.0, 0.0, 1.0, 1.0]
    n = len(xs)
    a = [sigmoid(w * x + b) for x in xs]
    mse = sum((ai - yi) ** 2 for ai, yi in zip(a, ys)) / n
    mse_dz = [2 / n * (ai - yi) * ai * (1 - ai) for ai, yi in zip(a, ys)]
    bce = -sum(yi * math.log(ai) + (1 - yi) * math.log(1 - ai) for ai, yi in zip(a, ys)) / n
    bce_dz = [(ai - yi) / n for ai, yi in zip(a, ys)]
    return {
        cost: (value, sum(d * x for d, x in zip(dz, xs)), sum(dz))
        for cost, value, dz in (("mse", mse, mse_dz), ("bce", bce, bce_dz))
    }


@pytest.mark.parametrize("w, b", [(0.0, 0.0), (1.5, -0.5), (-6.0, 6.0)])
def test_neuron_cost_and_gradient_match_formulas(w, b):
    for cost, expected in neuron_costs(w, b).items():
        assert experiments.neuron_cost(cost, w, b) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_landscape_rows_are_b_and_columns_are_w():
    landscape = experiments.loss_landscape(limit=2.0, steps=5)
    assert landscape.w == landscape.b == pytest.approx([-2.0, -1.0, 0.0, 1.0, 2.0])
    assert landscape.costs["bce"][1][3] == pytest.approx(neuron_costs(w=1.0, b=-1.0)["bce"][0])
    value, w, b = experiments.grid_minimum(landscape, "mse")
    assert value == min(min(row) for row in landscape.costs["mse"])
    assert value == pytest.approx(neuron_costs(w, b)["mse"][0])


# --- two moons ------------------------------------------------------------------------


def test_two_moons_lie_on_their_half_circles_and_repeat_with_the_seed():
    xs, ys = experiments.two_moons(50, noise=0.0, seed=3)
    assert len(xs) == 50 and ys.count(0.0) == ys.count(1.0) == 25
    for (x, y), label in zip(xs, ys):
        centre = (0.0, 0.0) if label == 0.0 else (1.0, 0.5)
        assert math.dist((x, y), centre) == pytest.approx(1.0)
        assert (y >= -1e-12) if label == 0.0 else (y <= 0.5 + 1e-12)
    assert experiments.two_moons(20, seed=7) == experiments.two_moons(20, seed=7)
    assert experiments.two_moons(20, seed=7) != experiments.two_moons(20, seed=8)


def plain_float_output(model, x):
    """The trained MLP's output from its parameters' values: tanh hidden layers, sigmoid out."""
    a = list(x)
    for number, layer in enumerate(model.layers, start=1):
        z = [sum(w.data * ai for w, ai in zip(n.w, a)) + n.b.data for n in layer.neurons]
        a = [sigmoid(zj) if number == len(model.layers) else math.tanh(zj) for zj in z]
    return a[0]


def test_mlp_on_two_moons_learns_and_its_accuracy_and_grid_are_its_outputs():
    ticks = []
    run = experiments.train_two_moons(n=40, epochs=60, progress=ticks.append)
    assert ticks == list(range(1, 61))
    assert len(run.losses) == 60
    assert run.losses[-1] < 0.7 * run.losses[0]
    outputs = [plain_float_output(run.model, x) for x in run.xs]
    right = [(p > 0.5) == (y == 1.0) for p, y in zip(outputs, run.ys)]
    assert run.accuracy == pytest.approx(sum(right) / 40) and run.accuracy > 0.8
    gx, gy, p = experiments.decision_grid(run.model, (-1.0, 2.0), (-0.5, 1.0), steps=4)
    assert gx == pytest.approx([-1.0, 0.0, 1.0, 2.0]) and gy == pytest.approx([-0.5, 0.0, 0.5, 1.0])
    assert p[2][1] == pytest.approx(plain_float_output(run.model, [0.0, 0.5]), rel=1e-12)
