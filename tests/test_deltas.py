"""The hand-derived deltas, checked against formulas and finite differences written here."""

import ast
import math
from pathlib import Path

import numpy as np
import pytest

from micrograd_xent import deltas

H = 1e-6


def sig(t):
    return 1.0 / (1.0 + math.exp(-t))


def bce(a, y):
    return -sum(u * math.log(p) + (1 - u) * math.log(1 - p) for p, u in zip(a, y)) / len(a)


# the costs as functions of the output pre-activations z, written out by hand
COSTS = {
    ("quadratic", "sigmoid"): lambda z, y: 0.5 * sum((sig(t) - u) ** 2 for t, u in zip(z, y)),
    ("quadratic", "tanh"): lambda z, y: 0.5 * sum((math.tanh(t) - u) ** 2 for t, u in zip(z, y)),
    ("quadratic", "linear"): lambda z, y: 0.5 * sum((t - u) ** 2 for t, u in zip(z, y)),
    ("mse", "sigmoid"): lambda z, y: sum((sig(t) - u) ** 2 for t, u in zip(z, y)) / len(z),
    ("mse", "tanh"): lambda z, y: sum((math.tanh(t) - u) ** 2 for t, u in zip(z, y)) / len(z),
    ("mse", "linear"): lambda z, y: sum((t - u) ** 2 for t, u in zip(z, y)) / len(z),
    ("bce", "sigmoid"): lambda z, y: bce([sig(t) for t in z], y),
    ("cross_entropy", "softmax"): lambda z, y: math.log(sum(math.exp(t) for t in z)) - z[y],
}


def numeric_gradient(f, z):
    grad = []
    for i in range(len(z)):
        up, down = list(z), list(z)
        up[i] += H
        down[i] -= H
        grad.append((f(up) - f(down)) / (2 * H))
    return grad


@pytest.mark.parametrize("pair", sorted(COSTS))
def test_output_delta_is_the_gradient_of_the_cost_with_respect_to_z(pair):
    z = [0.3, -1.2, 2.0]
    y = 2 if pair[0] == "cross_entropy" else [0.9, 0.1, 0.4]
    expected = numeric_gradient(lambda zz: COSTS[pair](zz, y), z)
    assert deltas.output_delta(*pair, z, y) == pytest.approx(expected, abs=1e-8)


def test_every_supported_pair_is_checked_here():
    assert set(deltas.OUTPUT_DELTAS) == set(COSTS)


def test_bce_after_sigmoid_is_a_minus_y_over_n_without_sigma_prime():
    z, y = [2.0, -3.0], [1.0, 0.0]
    expected = [(sig(2.0) - 1.0) / 2, (sig(-3.0) - 0.0) / 2]
    assert deltas.output_delta("bce", "sigmoid", z, y) == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_after_softmax_is_p_minus_onehot():
    z = [1.0, 2.0, 3.0]
    total = sum(math.exp(t) for t in z)
    expected = [math.exp(1) / total, math.exp(2) / total - 1.0, math.exp(3) / total]
    delta = deltas.output_delta("cross_entropy", "softmax", z, 1)
    assert delta == pytest.approx(expected, rel=1e-12)


def test_output_delta_returns_a_list_of_floats():
    result = deltas.output_delta("mse", "linear", np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    assert result == [1.0, 2.0] and all(type(v) is float for v in result)


@pytest.mark.parametrize(
    "pair", [("bce", "tanh"), ("cross_entropy", "sigmoid"), ("hinge", "linear")]
)
def test_an_unsupported_pair_is_a_value_error_listing_the_supported_ones(pair):
    with pytest.raises(ValueError) as error:
        deltas.output_delta(*pair, [0.0, 1.0], [0.0, 1.0])
    message = str(error.value)
    assert repr(pair[0]) in message
    assert "bce + sigmoid" in message and "cross_entropy + softmax" in message


def test_a_class_index_out_of_range_is_a_value_error():
    with pytest.raises(ValueError, match="class index"):
        deltas.output_delta("cross_entropy", "softmax", [0.0, 1.0], 2)


def test_mismatched_targets_are_a_value_error():
    with pytest.raises(ValueError, match="2 outputs z but 3 targets"):
        deltas.output_delta("mse", "linear", [0.0, 1.0], [0.0, 1.0, 2.0])


def test_sigmoid_saturates_without_overflow_warnings():
    with np.errstate(all="raise"):
        delta = deltas.output_delta("bce", "sigmoid", [800.0, -800.0], [1.0, 0.0])
    assert delta == [0.0, 0.0]


def test_the_tutorial_error_is_minus_the_quadratic_output_delta():
    z, expected = [0.4, -2.0, 1.5], [1.0, 0.0, 0.3]
    output = [sig(t) for t in z]
    tutorial = deltas.tutorial_output_error(expected, output)
    by_hand = [(e - o) * o * (1 - o) for e, o in zip(expected, output)]
    assert tutorial == pytest.approx(by_hand, rel=1e-12)
    quadratic_delta = deltas.output_delta("quadratic", "sigmoid", z, expected)
    assert tutorial == pytest.approx([-d for d in quadratic_delta])


# --- backprop -----------------------------------------------------------------


def test_two_layer_sigmoid_bce_worked_case():
    w2, b2 = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]], [0.1, -0.2, 0.3]
    w3, b3 = [[1.0, -2.0, 0.5]], [0.05]
    x, y = [1.0, -0.5], [1.0]

    z2 = [sum(w * xi for w, xi in zip(row, x)) + b for row, b in zip(w2, b2)]
    a2 = [sig(t) for t in z2]
    z3 = sum(w * a for w, a in zip(w3[0], a2)) + b3[0]
    delta3 = sig(z3) - y[0]  # BCE after a sigmoid, one output
    delta2 = [w3[0][j] * delta3 * a2[j] * (1 - a2[j]) for j in range(3)]

    g = deltas.backprop(
        weights=[w2, w3], biases=[b2, b3], x=x, y=y, loss="bce", activations=["sigmoid", "sigmoid"]
    )
    assert np.allclose(g.deltas[1], [delta3], rtol=1e-12)
    assert np.allclose(g.deltas[0], delta2, rtol=1e-12)
    assert np.allclose(g.grad_biases[0], delta2, rtol=1e-12)
    assert np.allclose(g.grad_weights[1], [[delta3 * a for a in a2]], rtol=1e-12)
    assert np.allclose(g.grad_weights[0], [[d * xi for xi in x] for d in delta2], rtol=1e-12)


def float_network_loss(weights, biases, x, y):
    """A sigmoid network with BCE, as plain floats: the finite-difference oracle."""
    a = x
    for w, b in zip(weights, biases):
        a = [sig(sum(wk * ak for wk, ak in zip(row, a)) + bj) for row, bj in zip(w, b)]
    return bce(a, y)


def test_five_layer_sigmoid_bce_gradients_match_finite_differences():
    rng = np.random.default_rng(5)
    sizes = [3, 4, 3, 4, 2]  # layers 2 to 5 have weights and biases
    weights = [rng.uniform(-1, 1, (n, m)).tolist() for m, n in zip(sizes, sizes[1:])]
    biases = [rng.uniform(-1, 1, n).tolist() for n in sizes[1:]]
    x, y = [0.2, -0.7, 0.9], [1.0, 0.0]
    g = deltas.backprop(weights, biases, x, y, "bce", ["sigmoid"] * 4)

    def loss_moving(l, j, k, h):
        moved = [[list(row) for row in w] for w in weights]
        moved_b = [list(b) for b in biases]
        if k is None:
            moved_b[l][j] += h
        else:
            moved[l][j][k] += h
        return float_network_loss(moved, moved_b, x, y)

    for l in range(4):
        for j in range(sizes[l + 1]):
            for k in [None, *range(sizes[l])]:
                numeric = (loss_moving(l, j, k, H) - loss_moving(l, j, k, -H)) / (2 * H)
                analytic = g.grad_biases[l][j] if k is None else g.grad_weights[l][j][k]
                assert analytic == pytest.approx(numeric, abs=1e-8), (l + 2, j, k)


def test_backprop_returns_each_layers_shape_for_numpy_inputs():
    sizes = [2, 5, 3]
    weights = [np.full((5, 2), 0.1), np.full((3, 5), -0.2)]
    biases = [np.zeros(5), np.zeros(3)]
    x = np.array([1.0, 2.0])
    g = deltas.backprop(weights, biases, x, 0, "cross_entropy", ["tanh", "softmax"])
    assert [np.shape(d) for d in g.deltas] == [(5,), (3,)]
    assert [np.shape(b) for b in g.grad_biases] == [(5,), (3,)]
    assert [np.shape(w) for w in g.grad_weights] == [(n, m) for m, n in zip(sizes, sizes[1:])]


def test_backprop_names_a_weight_matrix_of_the_wrong_shape():
    with pytest.raises(ValueError, match="layer 1 has weights of shape"):
        weights = [[[1.0, 2.0]], [[1.0, 2.0]]]  # layer 1 reads 1 input, not 2
        deltas.backprop(weights, [[0.0], [0.0]], [1.0, 1.0], [0.0], "mse", ["linear", "linear"])


def test_softmax_is_refused_as_a_hidden_activation():
    with pytest.raises(ValueError, match="'softmax' is not available for layer 0"):
        weights = [[[1.0], [1.0]], [[1.0, 1.0]]]
        deltas.backprop(weights, [[0.0, 0.0], [0.0]], [1.0], [0.0], "mse", ["softmax", "linear"])


def test_deltas_imports_nothing_from_the_package():
    source = Path(deltas.__file__).read_text(encoding="utf-8")
    modules = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules.append("." * node.level + (node.module or ""))
    assert modules and not [m for m in modules if m.startswith((".", "micrograd_xent"))]


def test_relu_hidden_layer_uses_the_step_function_as_its_derivative():
    # one relu hidden layer, linear output, mse: δ_1 = W_2ᵀ δ_2 ⊙ 1[z_1 > 0]
    W1, b1, W2, b2 = [[1.0], [-1.0]], [0.5, 0.5], [[2.0, 3.0]], [0.0]
    x, y = [1.0], [0.0]
    # z1 = W1 x + b1 = [1.5, -0.5]: the second hidden neuron is off
    a2 = 2.0 * 1.5  # W2 relu(z1) + b2
    delta2 = 2.0 * (a2 - y[0])  # mse over one output
    g = deltas.backprop([W1, W2], [b1, b2], x, y, "mse", ["relu", "linear"])
    assert g.deltas[1].tolist() == [delta2]
    assert g.deltas[0].tolist() == [2.0 * delta2 * 1.0, 3.0 * delta2 * 0.0]


def test_grad_biases_equal_the_deltas_but_are_separate_arrays():
    weights = [[[1.0], [-1.0]], [[2.0, 3.0]]]
    g = deltas.backprop(weights, [[0.5, 0.5], [0.0]], [1.0], [0.0], "mse", ["tanh", "linear"])
    before = [d.tolist() for d in g.deltas]
    assert [b.tolist() for b in g.grad_biases] == before
    for b in g.grad_biases:
        b[0] = 999.0
    assert [d.tolist() for d in g.deltas] == before


def test_an_integer_valued_float_is_a_class_index_like_in_losses_cross_entropy():
    p1 = math.exp(2.0) / (math.exp(1.0) + math.exp(2.0))
    delta = deltas.output_delta("cross_entropy", "softmax", [1.0, 2.0], 1.0)
    assert delta == pytest.approx([1.0 - p1, p1 - 1.0], rel=1e-12)


def test_a_fractional_class_index_is_a_value_error():
    with pytest.raises(ValueError, match=r"output_delta: cross_entropy needs a class index.*1\.5"):
        deltas.output_delta("cross_entropy", "softmax", [1.0, 2.0], 1.5)


@pytest.mark.parametrize("target", [2.0, -0.5, math.nan])
def test_a_bce_target_outside_zero_one_is_a_value_error(target):
    with pytest.raises(ValueError, match=r"output_delta: .*bce target .*\[0, 1\]") as error:
        deltas.output_delta("bce", "sigmoid", [1.0, 0.0], [0.5, target])
    assert repr(target) in str(error.value)


def test_an_empty_output_is_a_value_error():
    with pytest.raises(ValueError, match="output_delta: needs at least one output"):
        deltas.output_delta("mse", "sigmoid", [], [])


def test_ragged_weight_rows_are_a_value_error_naming_the_layer():
    weights = [[[1.0], [1.0]], [[1.0, 2.0], [3.0]]]  # layer 1's second row is short
    with pytest.raises(ValueError, match="backprop: the weights of layer 1 are not a rectangular"):
        deltas.backprop(weights, [[0.0, 0.0], [0.0, 0.0]], [1.0], [0.0, 0.0], "mse", ["tanh"] * 2)


def test_activations_given_as_one_string_is_an_error_asking_for_a_list():
    with pytest.raises(TypeError, match="backprop: activations must be a list of names"):
        deltas.backprop([[[1.0]]], [[0.0]], [2.0], [0.0], "mse", activations="linear")


def test_sigmoid_prime_is_sigma_times_one_minus_sigma_computing_sigma_once(monkeypatch):
    z = np.array([-3.0, 0.0, 0.7])
    expected = [sig(t) * (1 - sig(t)) for t in z]
    calls = []
    sigmoid = deltas.sigmoid
    monkeypatch.setattr(deltas, "sigmoid", lambda t: calls.append(t) or sigmoid(t))
    assert deltas.sigmoid_prime(z).tolist() == pytest.approx(expected, rel=1e-12)
    assert len(calls) == 1


@pytest.mark.parametrize(
    "name", ["quadratic_delta", "mse_delta", "bce_sigmoid_delta", "cross_entropy_softmax_delta"]
)
def test_each_output_delta_formula_shows_an_example(name):
    assert ">>> " + name in getattr(deltas, name).__doc__  # test_docstrings.py runs it
