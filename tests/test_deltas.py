"""The hand-derived deltas, checked against formulas and finite differences written here."""

import ast
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_xent import deltas

H = 1e-6


def sig(t):
    return 1.0 / (1.0 + math.exp(-t))


def bce(a, y):
    return -sum(u * math.log(p) + (1 - u) * math.log(1 - p) for p, u in zip(a, y)) / len(a)


def softmax(z):
    e = [math.exp(t - max(z)) for t in z]
    return [v / sum(e) for v in e]


def quadratic(a, y):
    return 0.5 * sum((p - u) ** 2 for p, u in zip(a, y))


def huber(a, y):
    d = [p - u for p, u in zip(a, y)]
    return sum(0.5 * e * e if abs(e) <= 1.0 else abs(e) - 0.5 for e in d) / len(d)


ACTIVATION = {"sigmoid": lambda z: [sig(t) for t in z], "tanh": lambda z: [math.tanh(t) for t in z]}
ACTIVATION.update({"linear": list, "softmax": softmax})

# the costs as functions of the output pre-activations z, written out by hand
COSTS = {
    **{("quadratic", f): lambda z, y, f=f: quadratic(ACTIVATION[f](z), y) for f in ACTIVATION},
    **{
        ("mse", f): lambda z, y, f=f: 2 * quadratic(ACTIVATION[f](z), y) / len(z)
        for f in ACTIVATION
    },
    ("bce", "sigmoid"): lambda z, y: bce([sig(t) for t in z], y),
    ("bce_with_logits", "linear"): lambda z, y: bce([sig(t) for t in z], y),
    ("cross_entropy", "softmax"): lambda z, y: math.log(sum(math.exp(t) for t in z)) - z[y],
    ("l1", "linear"): lambda z, y: sum(abs(t - u) for t, u in zip(z, y)) / len(z),
    ("huber", "linear"): huber,
    ("hinge", "linear"): lambda z, y: sum(max(0.0, 1 - u * t) for t, u in zip(z, y)) / len(z),
}
PAIRS = sorted(COSTS)
Z = [0.3, -1.2, 2.0]


def target(pair):
    """A target the loss takes, with every kind of case (inside and past huber's δ and
    hinge's margin) at Z."""
    loss = pair[0]
    if loss == "cross_entropy":
        return 2
    if loss == "hinge":
        return [1.0, -1.0, 1.0]  # margins 0.3, 1.2, 2.0
    if loss in ("bce", "bce_with_logits"):
        return [1.0, 0.0, 0.4]
    return [0.9, 0.1, 0.4]  # huber: |z − y| = 0.6, 1.3, 1.6


def numeric_gradient(f, z):
    grad = []
    for i in range(len(z)):
        up, down = list(z), list(z)
        up[i] += H
        down[i] -= H
        grad.append((f(up) - f(down)) / (2 * H))
    return grad


def numeric_jacobian(f, z):
    """Row i is the gradient of f(z)[i], by central differences."""
    return [numeric_gradient(lambda zz, i=i: f(zz)[i], z) for i in range(len(f(z)))]


@pytest.mark.parametrize("pair", PAIRS)
def test_output_delta_is_the_gradient_of_the_cost_with_respect_to_z(pair):
    y = target(pair)
    expected = numeric_gradient(lambda zz: COSTS[pair](zz, y), Z)
    assert deltas.output_delta(*pair, Z, y) == pytest.approx(expected, abs=1e-8)


def test_every_supported_pair_is_checked_here():
    assert set(deltas.OUTPUT_DELTAS) == set(COSTS) == set(deltas.OUTPUT_CURVATURES)


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
    "pair", [("bce", "tanh"), ("cross_entropy", "sigmoid"), ("hinge", "sigmoid")]
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
    assert_gradients_match_finite_differences(
        g, weights, biases, lambda w, b: float_network_loss(w, b, x, y)
    )


def assert_gradients_match_finite_differences(g, weights, biases, cost):
    """Every ∂C/∂W_l[j][k] and ∂C/∂b_l[j] of ``g`` against central differences of
    ``cost(weights, biases)``, a function of nested lists of floats."""

    def cost_moving(l, j, k, h):
        moved = [[list(row) for row in w] for w in weights]
        moved_b = [list(b) for b in biases]
        if k is None:
            moved_b[l][j] += h
        else:
            moved[l][j][k] += h
        return cost(moved, moved_b)

    for l, w in enumerate(weights):
        for j, row in enumerate(w):
            for k in [None, *range(len(row))]:
                numeric = (cost_moving(l, j, k, H) - cost_moving(l, j, k, -H)) / (2 * H)
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
    with pytest.raises(
        ValueError,
        match=r"layer 1 has weights of shape \(1, 2\) and 1 biases, "
        r"reading the 1 values of layer 0; weights\[1\] must be n_l × 1",
    ):
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


@pytest.mark.parametrize("target", [2.0, -0.5])
def test_a_bce_target_outside_zero_one_is_a_value_error(target):
    with pytest.raises(ValueError, match=r"output_delta: .*bce target .*\[0, 1\]") as error:
        deltas.output_delta("bce", "sigmoid", [1.0, 0.0], [0.5, target])
    assert repr(target) in str(error.value)


def test_an_empty_output_is_a_value_error():
    with pytest.raises(ValueError, match="output_delta: z is empty"):
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
    "formula",
    sorted(
        {
            getattr(f, "func", f)
            for f in [*deltas.OUTPUT_DELTAS.values(), *deltas.OUTPUT_CURVATURES.values()]
        },
        key=lambda f: f.__name__,
    ),
    ids=lambda f: f.__name__,
)
def test_each_formula_shows_an_example(formula):
    assert ">>> " + formula.__name__ in formula.__doc__  # test_docstrings.py runs it


# --- cross-entropy with soft labels and label smoothing: δ_L = p − q -------------------------


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("y", [2, [0.2, 0.3, 0.5], [0.0, 1.0, 0.0]])
def test_cross_entropy_delta_is_p_minus_the_smoothed_target(y, smoothing):
    q = [float(k == y) for k in range(3)] if isinstance(y, int) else y
    q = [(1 - smoothing) * qk + smoothing / 3 for qk in q]
    expected = [p - qk for p, qk in zip(softmax(Z), q)]
    assert deltas.output_delta("cross_entropy", "softmax", Z, y, smoothing) == pytest.approx(
        expected, rel=1e-12, abs=1e-15
    )


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("y", [2, [0.2, 0.3, 0.5]])
def test_cross_entropy_delta_matches_torch_float64(torch, y, smoothing):
    z = torch.tensor([Z], dtype=torch.float64, requires_grad=True)
    target = torch.tensor([y]) if isinstance(y, int) else torch.tensor([y], dtype=torch.float64)
    torch.nn.functional.cross_entropy(z, target, label_smoothing=smoothing).backward()
    ours = deltas.output_delta("cross_entropy", "softmax", Z, y, label_smoothing=smoothing)
    assert ours == pytest.approx(z.grad[0].tolist(), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    "y, smoothing, words",
    [
        ([0.5, 0.5], 0.0, "3 class probabilities"),
        ([0.5, 0.6, -0.1], 0.0, "3 class probabilities"),
        (1, 1.5, "label_smoothing must lie in"),
    ],
)
def test_bad_cross_entropy_targets_are_value_errors(y, smoothing, words):
    with pytest.raises(ValueError, match=words):
        deltas.output_delta("cross_entropy", "softmax", Z, y, smoothing)


def test_label_smoothing_for_another_loss_is_a_value_error():
    with pytest.raises(ValueError, match="label_smoothing applies to cross_entropy only"):
        deltas.output_delta("mse", "linear", Z, [0.0] * 3, label_smoothing=0.1)


# --- bad input names the argument ----------------------------------------------------------


@pytest.mark.parametrize(
    "z, y, error, words",
    [
        (None, [1.0], TypeError, "output_delta: z is None"),
        ([1.0], None, TypeError, "output_delta: y is None"),
        (["a"], [1.0], TypeError, "output_delta: z must hold numbers"),
        ([1.0, None], [1.0, 2.0], TypeError, "output_delta: z must hold numbers"),
        ([1.0], [[1.0], [2.0, 3.0]], ValueError, "output_delta: y must be a flat list"),
        ([1.0, 2.0], [1.0], ValueError, "2 outputs z but 1 targets y"),
        ([math.nan], [1.0], ValueError, r"output_delta: z\[0\] is nan"),
        ([0.0], [math.nan], ValueError, r"output_delta: y\[0\] is nan"),
    ],
)
def test_bad_z_or_y_is_an_error_naming_the_argument(z, y, error, words):
    with pytest.raises(error, match=words):
        deltas.output_delta("mse", "linear", z, y)


@pytest.mark.parametrize("y", [[0.0, 1.0], [1.0, 0.5]])
def test_a_hinge_target_other_than_plus_minus_one_is_a_value_error(y):
    with pytest.raises(ValueError, match="hinge target must be -1 or \\+1"):
        deltas.output_delta("hinge", "linear", [0.0, 1.0], y)


def test_the_tutorial_error_with_mismatched_lengths_is_a_value_error():
    with pytest.raises(ValueError, match="tutorial_output_error: 2 expected values but 1 outputs"):
        deltas.tutorial_output_error([1.0, 2.0], [0.5])


# --- BP1 in its general form -------------------------------------------------------------------


LOSS_OF_A = {  # each cost as a function of what it reads, written out by hand
    "quadratic": quadratic,
    "mse": lambda a, y: 2 * quadratic(a, y) / len(a),
    "l1": lambda a, y: sum(abs(p - u) for p, u in zip(a, y)) / len(a),
    "huber": huber,
    "hinge": lambda s, t: sum(max(0.0, 1 - u * p) for p, u in zip(s, t)) / len(s),
    "bce": bce,
    "bce_with_logits": lambda x, y: bce([sig(t) for t in x], y),
    "cross_entropy": lambda a, y: -sum(q * math.log(p) for p, q in zip(a, y)),
}


@pytest.mark.parametrize("loss", sorted(LOSS_OF_A))
def test_cost_gradient_is_the_gradient_of_the_cost_in_a(loss):
    a = [0.3, 0.8, 0.6]
    y = {"hinge": [1.0, -1.0, 1.0], "cross_entropy": [0.2, 0.3, 0.5]}.get(loss, [1.0, 0.0, 0.4])
    expected = numeric_gradient(lambda aa: LOSS_OF_A[loss](aa, y), a)
    assert deltas.cost_gradient(loss, a, y) == pytest.approx(expected, abs=1e-8)


def test_cost_gradient_of_bce_at_a_saturated_output_is_a_value_error_not_inf():
    with pytest.raises(ValueError, match=r"bce has an infinite derivative.*a\[1\] = 1.0"):
        deltas.cost_gradient("bce", [0.5, 1.0], [1.0, 1.0])


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "linear", "relu", "softmax"])
def test_activation_jacobian_is_the_derivative_of_the_activation(activation):
    f = {**ACTIVATION, "relu": lambda z: [max(t, 0.0) for t in z]}[activation]
    assert deltas.activation_jacobian(activation, Z) == [
        pytest.approx(row, abs=1e-8) for row in numeric_jacobian(f, Z)
    ]


@pytest.mark.parametrize("pair", PAIRS)
def test_the_general_bp1_agrees_with_each_simplified_output_delta(pair):
    y = target(pair)
    general = deltas.general_output_delta(*pair, Z, y)
    assert general == pytest.approx(deltas.output_delta(*pair, Z, y), rel=1e-12, abs=1e-15)


def test_the_general_bp1_refuses_a_range_the_loss_cannot_read():
    with pytest.raises(ValueError, match="bce reads probabilities.*'tanh'"):
        deltas.general_output_delta("bce", "tanh", Z, [1.0, 0.0, 0.0])


def test_the_general_bp1_takes_any_output_for_a_loss_on_real_numbers():
    # relu + mse has no closed form in OUTPUT_DELTAS: Jᵀ∇C = 1[z > 0]·2(a − y)/n
    y = [0.5, 0.5, 0.5]
    expected = [2 * (max(t, 0) - u) / 3 * (t > 0) for t, u in zip(Z, y)]
    assert deltas.general_output_delta("mse", "relu", Z, y) == pytest.approx(expected)


# --- the curvature ∂²C/∂z² ------------------------------------------------------------------------


@pytest.mark.parametrize("pair", PAIRS)
def test_output_curvature_is_the_derivative_of_the_hand_derived_delta(pair):
    y = target(pair)
    expected = numeric_jacobian(lambda zz: deltas.output_delta(*pair, zz, y), Z)
    assert deltas.output_curvature(*pair, Z, y) == [pytest.approx(r, abs=1e-8) for r in expected]


def torch_cost(torch, pair, y):
    """The cost of a pair as a torch function of z, for torch.autograd.functional.hessian."""
    F = torch.nn.functional
    loss, activation = pair
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "linear": lambda z: z}
    act["softmax"] = lambda z: torch.softmax(z, 0)
    t = torch.tensor(y, dtype=torch.float64) if loss != "cross_entropy" else torch.tensor([y])
    return {
        "quadratic": lambda z: 0.5 * ((act[activation](z) - t) ** 2).sum(),
        "mse": lambda z: F.mse_loss(act[activation](z), t),
        "bce": lambda z: F.binary_cross_entropy(torch.sigmoid(z), t),
        "bce_with_logits": lambda z: F.binary_cross_entropy_with_logits(z, t),
        "cross_entropy": lambda z: F.cross_entropy(z.unsqueeze(0), t),
        "l1": lambda z: F.l1_loss(z, t),
        "huber": lambda z: F.huber_loss(z, t),
        "hinge": lambda z: torch.clamp(1 - t * z, min=0).mean(),
    }[loss]


@pytest.mark.parametrize("pair", PAIRS)
def test_output_curvature_matches_torch_double_backward_float64(torch, pair):
    y = target(pair)
    z = torch.tensor(Z, dtype=torch.float64)
    expected = torch.autograd.functional.hessian(torch_cost(torch, pair, y), z)
    # rel 1e-10: torch's double backward through bce's log(σ(z)) keeps only 11 digits
    assert deltas.output_curvature(*pair, Z, y) == [
        pytest.approx(row, rel=1e-10, abs=1e-15) for row in expected.tolist()
    ]


def test_quadratic_sigmoid_curvature_is_negative_on_a_saturated_wrong_neuron():
    a = sig(4.0)
    sigma_prime = a * (1 - a)
    expected = sigma_prime**2 + (a - 0.0) * sigma_prime * (1 - 2 * a)
    [[curvature]] = deltas.output_curvature("quadratic", "sigmoid", [4.0], [0.0])
    assert curvature == pytest.approx(expected, rel=1e-12)
    assert -0.017 < curvature < -0.016


@pytest.mark.parametrize("z", [-4.0, 0.0, 4.0])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_bce_sigmoid_curvature_is_a_times_one_minus_a_never_negative(z, y):
    [[curvature]] = deltas.output_curvature("bce", "sigmoid", [z], [y])
    assert curvature == pytest.approx(sig(z) * (1 - sig(z)), rel=1e-12) and curvature > 0


def test_cross_entropy_softmax_curvature_is_positive_semidefinite():
    curvature = np.array(deltas.output_curvature("cross_entropy", "softmax", Z, 0))
    p = np.array(softmax(Z))
    assert curvature == pytest.approx(np.diag(p) - np.outer(p, p), rel=1e-12)
    assert np.linalg.eigvalsh(curvature).min() > -1e-15


# --- backprop on a mini-batch ----------------------------------------------------------------------

BATCH_X = [[0.2, -0.7, 0.9], [1.0, 0.3, -0.4], [-0.6, 0.5, 0.1], [0.0, -1.0, 0.8]]


def random_net(sizes, seed=3):
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-1, 1, (n, m)).tolist() for m, n in zip(sizes, sizes[1:])]
    biases = [rng.uniform(-1, 1, n).tolist() for n in sizes[1:]]
    return weights, biases


def mean_cost(weights, biases, xs, ys, cost, activations):
    """The mean over the batch of each sample's cost, in plain floats."""
    total = 0.0
    for x, y in zip(xs, ys):
        a = x
        for w, b, name in zip(weights, biases, activations):
            z = [sum(wk * ak for wk, ak in zip(row, a)) + bj for row, bj in zip(w, b)]
            a = z if name == "softmax" else ACTIVATION[name](z)
        total += cost(a, y)
    return total / len(xs)


BATCH_CASES = [
    (
        "mse",
        ["tanh", "sigmoid"],
        [[0.1, 0.9], [0.5, 0.5], [0.3, 0.2], [0.8, 0.4]],
        COSTS[("mse", "linear")],
    ),
    ("cross_entropy", ["sigmoid", "softmax"], [0, 1, 1, 0], COSTS[("cross_entropy", "softmax")]),
]


@pytest.mark.parametrize("loss, activations, ys, cost", BATCH_CASES, ids=["mse", "cross_entropy"])
def test_a_batch_gives_the_gradients_of_the_mean_cost(loss, activations, ys, cost):
    weights, biases = random_net([3, 4, 2])
    g = deltas.backprop(weights, biases, BATCH_X, ys, loss, activations)
    assert_gradients_match_finite_differences(
        g, weights, biases, lambda w, b: mean_cost(w, b, BATCH_X, ys, cost, activations)
    )


def test_each_row_of_a_batch_delta_is_that_samples_delta_over_m():
    weights, biases = random_net([3, 4, 2])
    ys = [[0.1, 0.9], [0.5, 0.5], [0.3, 0.2], [0.8, 0.4]]
    acts = ["tanh", "sigmoid"]
    batch = deltas.backprop(weights, biases, BATCH_X, ys, "mse", acts)
    singles = [deltas.backprop(weights, biases, x, y, "mse", acts) for x, y in zip(BATCH_X, ys)]
    m = len(BATCH_X)
    for l in range(2):
        assert np.shape(batch.deltas[l]) == (m, len(biases[l]))
        for i, single in enumerate(singles):
            assert batch.deltas[l][i] == pytest.approx(single.deltas[l] / m, rel=1e-12)
        assert batch.grad_biases[l] == pytest.approx(sum(s.grad_biases[l] for s in singles) / m)
        assert batch.grad_weights[l] == pytest.approx(sum(s.grad_weights[l] for s in singles) / m)


def test_a_batch_in_numpy_arrays_by_keyword_names():
    weights, biases = random_net([3, 2])
    g = deltas.backprop(
        weights=[np.array(w) for w in weights],
        biases=[np.array(b) for b in biases],
        x=np.array(BATCH_X),
        y=np.array([0, 1, 1, 0]),
        loss="cross_entropy",
        activations=["softmax"],
    )
    assert np.shape(g.deltas[0]) == (4, 2) and np.shape(g.grad_weights[0]) == (2, 3)


def test_a_batch_with_the_wrong_number_of_targets_is_a_value_error():
    weights, biases = random_net([3, 2])
    with pytest.raises(ValueError, match="a batch of 4 samples x needs 4 targets y"):
        deltas.backprop(weights, biases, BATCH_X, [0, 1], "cross_entropy", ["softmax"])


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"x": None}, TypeError, "backprop: x is None"),
        ({"x": [math.nan]}, ValueError, "backprop: the x contain a NaN"),
        ({"weights": [None]}, TypeError, "backprop: weights of layer 0 is None"),
    ],
)
def test_backprop_names_a_none_or_nan_argument(kwargs, error, words):
    arguments = {"weights": [[[1.0]]], "biases": [[0.0]], "x": [1.0], "y": [0.0]}
    with pytest.raises(error, match=words):
        deltas.backprop(**{**arguments, **kwargs}, loss="mse", activations=["linear"])


@settings(max_examples=60, deadline=None)
@given(
    pair=st.sampled_from(PAIRS),
    z=st.lists(st.floats(-6, 6), min_size=3, max_size=3),
)
def test_for_random_z_the_general_bp1_and_the_curvature_hold(pair, z):
    y = target(pair)
    simplified = deltas.output_delta(*pair, z, y)
    assert deltas.general_output_delta(*pair, z, y) == pytest.approx(
        simplified, rel=1e-9, abs=1e-12
    )
    if pair[0] not in ("l1", "huber", "hinge"):  # smooth: finite differences apply everywhere
        expected = numeric_jacobian(lambda zz: deltas.output_delta(*pair, zz, y), z)
        assert deltas.output_curvature(*pair, z, y) == [
            pytest.approx(row, abs=1e-7) for row in expected
        ]
