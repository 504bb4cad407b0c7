"""The tour's experiments, each held to a plain-float computation written here."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import sigmoid, train_sigmoid_neuron

from micrograd_xent import compare, experiments
from micrograd_xent.engine import Value


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


# --- which pairs cancel σ' ---------------------------------------------------------


def sigmoid_slope(z):
    """σ'(z) = e^−z / (1 + e^−z)², written out rather than as σ(1 − σ)."""
    return math.exp(-z) / (1.0 + math.exp(-z)) ** 2


def delta_at_wrong_output(loss, activation, z):
    """δ_L of the first output at z with target 0 (hinge: −1; a softmax of (z, 0) with
    class 1 the target, whose first probability is σ(z)), by hand, for every pair."""
    s, slope = sigmoid(z), sigmoid_slope(z)
    t = math.tanh(z)
    return {
        ("quadratic", "sigmoid"): s * slope,
        ("quadratic", "tanh"): t * (1 - t * t),
        ("quadratic", "linear"): z,
        # Jᵀ(p − y) at p = (s, 1 − s), y = (0, 1): s(g₀ − p·g) = 2s·s(1 − s)
        ("quadratic", "softmax"): 2 * s * slope,
        ("mse", "sigmoid"): 2 * s * slope,
        ("mse", "tanh"): 2 * t * (1 - t * t),
        ("mse", "linear"): 2 * z,
        ("mse", "softmax"): 2 * s * slope,  # (2/n) × the quadratic cost's, n = 2
        ("bce", "sigmoid"): s,
        ("bce_with_logits", "linear"): s,
        ("cross_entropy", "softmax"): s,
        ("l1", "linear"): math.copysign(1.0, z),
        ("huber", "linear"): max(-1.0, min(1.0, z)),
        ("hinge", "linear"): 1.0 if z > -1 else 0.0,
    }[loss, activation]


CANONICAL = {
    ("quadratic", "linear"),
    ("mse", "linear"),
    ("bce", "sigmoid"),
    ("bce_with_logits", "linear"),
    ("cross_entropy", "softmax"),
}
SLOPE_STAYS = {
    ("quadratic", "sigmoid"),
    ("quadratic", "tanh"),
    ("quadratic", "softmax"),
    ("mse", "sigmoid"),
    ("mse", "tanh"),
    ("mse", "softmax"),
}


SIGN_OF_THE_ERROR = {("l1", "linear"), ("huber", "linear"), ("hinge", "linear")}  # σ' = 1
EVERY_PAIR = CANONICAL | SLOPE_STAYS | SIGN_OF_THE_ERROR


def test_saturated_output_deltas_cover_every_pair_at_z_4_with_target_0():
    factors = experiments.saturated_output_deltas()
    pairs = [(f.loss, f.activation) for f in factors]
    assert len(pairs) == 14
    assert set(pairs) == EVERY_PAIR
    for f in factors:
        assert f.z == ([4.0, 0.0] if f.activation == "softmax" else [4.0])


@pytest.mark.parametrize("pair", sorted(EVERY_PAIR))
def test_each_factor_of_bp1_at_the_saturated_output_is_the_formulas(pair):
    f = next(f for f in experiments.saturated_output_deltas() if (f.loss, f.activation) == pair)
    expected = delta_at_wrong_output(*pair, 4.0)
    assert f.delta[0] == pytest.approx(expected, rel=1e-12)
    assert f.product[0] == pytest.approx(expected, rel=1e-12)
    assert f.autograd[0] == pytest.approx(expected, rel=1e-12)


def test_bce_after_a_sigmoid_cancels_a_large_gradient_against_a_small_slope():
    f = next(f for f in experiments.saturated_output_deltas() if f.loss == "bce")
    assert f.cost_gradient[0] == pytest.approx(1 + math.exp(4), rel=1e-12)  # 1/(1 − σ(4))
    assert f.jacobian[0][0] == pytest.approx(sigmoid_slope(4.0), rel=1e-12)
    assert f.delta[0] == pytest.approx(0.982, abs=5e-4)  # σ(4) − 0


def test_canonical_pairs_keep_the_error_the_others_shrink_it_by_the_slope():
    slope = sigmoid_slope(4.0)
    assert slope == pytest.approx(0.0177, abs=5e-5)
    for f in experiments.saturated_output_deltas():
        size = abs(f.delta[0])
        if (f.loss, f.activation) in SLOPE_STAYS:
            assert size <= 2 * slope, (f.loss, f.activation)
        else:
            assert size >= sigmoid(4.0) - 1e-12, (f.loss, f.activation)


def test_output_delta_curves_are_the_formulas_at_every_z():
    zs = [0.25, 1.0, 2.5, 4.0, 7.5]
    curves = experiments.output_delta_curves(zs)
    assert len(curves) == 14
    for pair, values in curves.items():
        expected = [abs(delta_at_wrong_output(*pair, z)) for z in zs]
        assert values == pytest.approx(expected, rel=1e-12, abs=1e-300), pair


@settings(max_examples=40, deadline=None)
@given(z=st.floats(-6.0, 6.0), pair=st.sampled_from(sorted(CANONICAL | SLOPE_STAYS)))
def test_hand_factors_autograd_and_finite_differences_agree_for_any_output(z, pair):
    loss, activation = pair
    zs, y = experiments.wrong_output(loss, activation, z)
    f = experiments.output_delta_factors(loss, activation, zs, y)

    def cost(first):
        moved = [Value(first), *map(Value, zs[1:])]
        return compare.output_cost(loss, activation, moved, y).data

    h = 1e-6
    finite_difference = (cost(z + h) - cost(z - h)) / (2 * h)
    assert f.autograd[0] == pytest.approx(f.delta[0], rel=1e-9, abs=1e-12)
    assert f.product[0] == pytest.approx(f.delta[0], rel=1e-9, abs=1e-12)
    assert f.delta[0] == pytest.approx(finite_difference, rel=1e-5, abs=1e-8)
