"""The losses: values and gradients against formulas written here (plain float
math), central finite differences of those formulas and ``torch.nn.functional``
in float64; the extremes; the textbook output deltas; bad input.
"""

import ast
import inspect
import math

import pytest

from micrograd_xent import Value, losses
from micrograd_xent.losses import (
    bce,
    bce_with_logits,
    cross_entropy,
    log_softmax,
    mse,
    quadratic,
    softmax,
)
from oracles import numeric_grad

# --- the formulas, in plain floats ----------------------------------------------


def mse_formula(p, t):
    return sum((a - b) ** 2 for a, b in zip(p, t)) / len(p)


def quadratic_formula(p, t):
    return 0.5 * sum((a - b) ** 2 for a, b in zip(p, t))


def bce_formula(p, t):
    return -sum(b * math.log(a) + (1 - b) * math.log(1 - a) for a, b in zip(p, t)) / len(p)


def bce_with_logits_formula(x, t):
    # log(1 + eˣ) − t·x, with log(1 + eˣ) = max(x, 0) + log1p(e^−|x|)
    return sum(max(a, 0.0) + math.log1p(math.exp(-abs(a))) - a * b for a, b in zip(x, t)) / len(x)


def softmax_formula(z):
    m = max(z)
    e = [math.exp(a - m) for a in z]
    return [a / sum(e) for a in e]


def cross_entropy_formula(z, k):
    m = max(z)
    return m + math.log(sum(math.exp(a - m) for a in z)) - z[k]


def sigmoid_formula(z):
    return 1.0 / (1.0 + math.exp(-z))


def engine_loss(loss, predictions, targets):
    """(loss value, gradient with respect to the predictions)."""
    p = [Value(v) for v in predictions]
    out = loss(p, targets)
    out.backward()
    return out.data, [v.grad for v in p]


def tensor(torch, data):
    return torch.tensor(data, dtype=torch.float64, requires_grad=True)


# --- mse, quadratic, bce, bce_with_logits ------------------------------------------

PAIRED = [
    pytest.param(mse, mse_formula, "mse_loss", [0.5, -1.2, 2.0], [0.0, -1.0, 3.5], id="mse"),
    pytest.param(
        quadratic, quadratic_formula, None, [0.5, -1.2, 2.0], [0.0, -1.0, 3.5], id="quadratic"
    ),
    pytest.param(
        bce,
        bce_formula,
        "binary_cross_entropy",
        [0.9, 0.2, 0.6, 0.03],
        [1.0, 0.0, 0.3, 1.0],
        id="bce",
    ),
    pytest.param(
        bce_with_logits,
        bce_with_logits_formula,
        "binary_cross_entropy_with_logits",
        [2.2, -0.4, 0.0, -7.5],
        [1.0, 0.0, 0.3, 1.0],
        id="bce_with_logits",
    ),
]


@pytest.mark.parametrize("loss, formula, torch_name, predictions, targets", PAIRED)
def test_paired_loss_value_matches_its_formula(loss, formula, torch_name, predictions, targets):
    value, _ = engine_loss(loss, predictions, targets)
    assert value == pytest.approx(formula(predictions, targets), rel=1e-13)


@pytest.mark.parametrize("loss, formula, torch_name, predictions, targets", PAIRED)
def test_paired_loss_gradient_matches_finite_differences(
    loss, formula, torch_name, predictions, targets
):
    _, grads = engine_loss(loss, predictions, targets)
    expected = numeric_grad(lambda *p: formula(p, targets), predictions)
    assert grads == pytest.approx(expected, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("loss, formula, torch_name, predictions, targets", PAIRED)
def test_paired_loss_matches_torch_float64(torch, loss, formula, torch_name, predictions, targets):
    def quadratic_cost(p, t):
        return 0.5 * ((p - t) ** 2).sum()

    torch_loss = getattr(torch.nn.functional, torch_name) if torch_name else quadratic_cost
    value, grads = engine_loss(loss, predictions, targets)
    p = tensor(torch, predictions)
    expected = torch_loss(p, torch.tensor(targets, dtype=torch.float64))
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-12)
    assert grads == pytest.approx(p.grad.tolist(), rel=1e-12, abs=1e-15)


def test_mse_of_a_small_case_by_hand():
    assert mse([Value(1.0), Value(2.0)], [0.0, 0.0]).data == 2.5  # (1 + 4) / 2
    assert quadratic([Value(1.0), Value(2.0)], [0.0, 0.0]).data == 2.5  # (1 + 4) / 2


# --- softmax and log_softmax ---------------------------------------------------------

LOGITS = [[1.0, 2.0, 3.0], [0.3, -1.7, 0.0, 2.4], [5.0]]
WEIGHTS = [0.7, -1.3, 2.1, 0.4]  # a fixed linear read-out, to turn a vector output into a scalar


def read_out(f, z):
    """f(z) as floats, and the gradient of the scalar Σ wᵢ f(z)ᵢ with respect to z."""
    zs = [Value(v) for v in z]
    out = f(zs)
    Value.sum(w * o for w, o in zip(WEIGHTS, out)).backward()
    return [o.data for o in out], [v.grad for v in zs]


@pytest.mark.parametrize("z", LOGITS)
def test_softmax_values_and_gradient_match_the_formula(z):
    values, grads = read_out(softmax, z)
    s = softmax_formula(z)
    mean_w = sum(w * si for w, si in zip(WEIGHTS, s))
    assert values == pytest.approx(s, rel=1e-13)
    # ∂(Σ wᵢ sᵢ)/∂zⱼ = sⱼ (wⱼ − Σ wᵢ sᵢ)
    assert grads == pytest.approx(
        [sj * (w - mean_w) for sj, w in zip(s, WEIGHTS)], rel=1e-12, abs=1e-15
    )


@pytest.mark.parametrize("z", LOGITS)
def test_log_softmax_values_and_gradient_match_the_formula(z):
    values, grads = read_out(log_softmax, z)
    s = softmax_formula(z)
    w_total = sum(WEIGHTS[: len(z)])
    assert values == pytest.approx([math.log(si) for si in s], rel=1e-13)
    # ∂(Σ wᵢ log sᵢ)/∂zⱼ = wⱼ − sⱼ Σ wᵢ
    assert grads == pytest.approx(
        [w - sj * w_total for sj, w in zip(s, WEIGHTS)], rel=1e-12, abs=1e-15
    )


@pytest.mark.parametrize("ours, theirs", [(softmax, "softmax"), (log_softmax, "log_softmax")])
@pytest.mark.parametrize("z", LOGITS + [[1000.0, 0.0, -1000.0]])
def test_softmax_and_log_softmax_match_torch_float64(torch, ours, theirs, z):
    values, grads = read_out(ours, z)
    t = tensor(torch, z)
    expected = getattr(torch.nn.functional, theirs)(t, dim=0)
    (expected * torch.tensor(WEIGHTS[: len(z)], dtype=torch.float64)).sum().backward()
    assert values == pytest.approx(expected.tolist(), rel=1e-12, abs=1e-300)
    assert grads == pytest.approx(t.grad.tolist(), rel=1e-12, abs=1e-15)


def test_softmax_and_log_softmax_return_a_list_of_values():
    for out in (softmax([1.0, 2.0]), log_softmax((Value(1.0), 2))):
        assert isinstance(out, list) and len(out) == 2 and all(isinstance(v, Value) for v in out)


def test_softmax_and_log_softmax_stay_finite_for_huge_logits():
    assert [p.data for p in softmax([1000.0, 0.0, -1000.0])] == [1.0, 0.0, 0.0]
    assert [q.data for q in log_softmax([1000.0, 0.0, -1000.0])] == [0.0, -1000.0, -2000.0]


# --- cross_entropy -----------------------------------------------------------------------

SAMPLES = [
    ([2.0, 1.0, 0.1], 0),
    ([0.3, -1.7, 0.0, 2.4], 2),
    ([1000.0, 0.0, -1000.0], 0),
    ([1000.0, 0.0, -1000.0], 1),
    ([1000.0, 0.0, -1000.0], 2),
]


@pytest.mark.parametrize("z, k", SAMPLES)
def test_cross_entropy_is_minus_log_softmax_with_gradient_p_minus_onehot(z, k):
    zs = [Value(v) for v in z]
    out = cross_entropy(zs, k)
    out.backward()
    onehot = [1.0 if j == k else 0.0 for j in range(len(z))]
    assert out.data == pytest.approx(cross_entropy_formula(z, k), rel=1e-13)
    assert [v.grad for v in zs] == pytest.approx(
        [p - y for p, y in zip(softmax_formula(z), onehot)], rel=1e-12, abs=1e-15
    )


@pytest.mark.parametrize("z, k", SAMPLES)
def test_cross_entropy_of_one_sample_matches_torch_float64(torch, z, k):
    zs = [Value(v) for v in z]
    out = cross_entropy(zs, k)
    out.backward()
    t = tensor(torch, [z])
    expected = torch.nn.functional.cross_entropy(t, torch.tensor([k]))
    expected.backward()
    assert math.isfinite(out.data)
    assert out.data == pytest.approx(expected.item(), rel=1e-12)
    assert [v.grad for v in zs] == pytest.approx(t.grad[0].tolist(), rel=1e-12, abs=1e-15)


BATCH = ([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0], [1000.0, 0.0, -1000.0], [-0.5, 3.0, 1.0]], [0, 2, 1, 1])


def test_cross_entropy_of_a_batch_is_the_mean_over_samples():
    z, k = BATCH
    zs = [[Value(v) for v in row] for row in z]
    out = cross_entropy(zs, k)
    out.backward()
    n = len(z)
    expected_grads = [
        [(p - (1.0 if j == kk else 0.0)) / n for j, p in enumerate(softmax_formula(row))]
        for row, kk in zip(z, k)
    ]
    assert out.data == pytest.approx(sum(map(cross_entropy_formula, z, k)) / n, rel=1e-13)
    for row, expected in zip(zs, expected_grads):
        assert [v.grad for v in row] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_cross_entropy_of_a_batch_matches_torch_float64(torch):
    z, k = BATCH
    zs = [[Value(v) for v in row] for row in z]
    out = cross_entropy(zs, k)
    out.backward()
    t = tensor(torch, z)
    expected = torch.nn.functional.cross_entropy(t, torch.tensor(k))
    expected.backward()
    assert out.data == pytest.approx(expected.item(), rel=1e-12)
    assert [[v.grad for v in row] for row in zs] == [
        pytest.approx(g, rel=1e-12, abs=1e-15) for g in t.grad.tolist()
    ]


# --- the extremes ---------------------------------------------------------------------------

EXTREME_LOGITS = ([1000.0, -1000.0, 1000.0, -1000.0, 0.0], [1.0, 0.0, 0.0, 1.0, 0.5])


def test_bce_with_logits_is_finite_at_logits_of_plus_minus_1000():
    x, t = EXTREME_LOGITS
    value, grads = engine_loss(bce_with_logits, x, t)
    n = len(x)
    assert value == pytest.approx((1000.0 + 1000.0 + math.log(2.0)) / n, rel=1e-13)
    # ∂/∂xᵢ = (σ(xᵢ) − tᵢ)/n, with σ(±1000) = 1 or 0 exactly in floats
    assert grads == pytest.approx([0.0, 0.0, 1 / n, -1 / n, 0.0], abs=1e-15)


def test_bce_with_logits_at_logits_of_plus_minus_1000_matches_torch(torch):
    x, t = EXTREME_LOGITS
    value, grads = engine_loss(bce_with_logits, x, t)
    logits = tensor(torch, x)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, torch.tensor(t, dtype=torch.float64)
    )
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-12)
    assert grads == pytest.approx(logits.grad.tolist(), rel=1e-12, abs=1e-15)


CLAMPED = [
    (0.0, 1.0, 100.0),
    (1.0, 0.0, 100.0),
    (0.0, 0.0, 0.0),
    (1.0, 1.0, 0.0),
    (0.0, 0.25, 25.0),
    (1e-60, 1.0, 100.0),
]


@pytest.mark.parametrize("p, t, expected", CLAMPED)
def test_bce_at_p_of_0_or_1_clamps_each_log_at_minus_100(p, t, expected):
    assert bce(p, t).data == expected


@pytest.mark.parametrize("p, t, expected", CLAMPED)
def test_bce_at_p_of_0_or_1_equals_torch(torch, p, t, expected):
    ours = bce(p, t).data
    theirs = torch.nn.functional.binary_cross_entropy(
        torch.tensor([p], dtype=torch.float64), torch.tensor([t], dtype=torch.float64)
    )
    assert ours == theirs.item()


# --- the textbook output deltas fall out of autograd ------------------------------------------

Z, Y = [0.4, -1.3, 2.2], [1.0, 0.0, 1.0]


def deltas_through(activation, loss):
    """∂loss/∂z where the prediction is activation(z)."""
    z = [Value(v) for v in Z]
    loss([activation(v) for v in z], Y).backward()
    return [v.grad for v in z]


def test_bce_after_sigmoid_gives_delta_a_minus_y_over_n():
    a = [sigmoid_formula(v) for v in Z]
    expected = [(ai - yi) / len(Z) for ai, yi in zip(a, Y)]
    assert deltas_through(Value.sigmoid, bce) == pytest.approx(expected, rel=1e-12)


def test_quadratic_after_sigmoid_gives_delta_a_minus_y_times_sigmoid_prime():
    a = [sigmoid_formula(v) for v in Z]
    expected = [(ai - yi) * ai * (1 - ai) for ai, yi in zip(a, Y)]
    assert deltas_through(Value.sigmoid, quadratic) == pytest.approx(expected, rel=1e-12)


def test_mse_after_linear_gives_delta_two_over_n_times_a_minus_y():
    expected = [2 / len(Z) * (zi - yi) for zi, yi in zip(Z, Y)]
    assert deltas_through(lambda v: v, mse) == pytest.approx(expected, rel=1e-12)


# --- accepted input shapes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loss, prediction, target",
    [(mse, 3.0, 1.0), (quadratic, 3.0, 1.0), (bce, 0.8, 1.0), (bce_with_logits, -0.7, 0.4)],
    ids=["mse", "quadratic", "bce", "bce_with_logits"],
)
def test_a_single_value_or_number_counts_as_a_sequence_of_one(loss, prediction, target):
    one = Value(prediction)
    single = loss(one, target)
    single.backward()
    listed = [Value(prediction)]
    as_list = loss(listed, [target])
    as_list.backward()
    assert isinstance(single, Value)
    assert single.data == as_list.data == loss(prediction, target).data
    assert one.grad == listed[0].grad


def test_softmax_and_cross_entropy_accept_a_single_logit():
    assert [p.data for p in softmax(Value(2.0))] == [1.0]
    assert [q.data for q in log_softmax(2.0)] == [0.0]
    assert cross_entropy(Value(2.0), 0).data == 0.0


def test_losses_accept_plain_numbers_and_return_a_value():
    for out in (mse([1.0, 2.0], [0, 0]), bce([0.5], [1]), cross_entropy([1, 2, 3], 2)):
        assert isinstance(out, Value)


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: mse([1.0, 2.0], [1.0]), "mse"),
        (lambda: quadratic([1.0], [1.0, 2.0]), "quadratic"),
        (lambda: bce([0.5, 0.5], [1.0]), "bce"),
        (lambda: bce_with_logits([0.5], [1.0, 0.0]), "bce_with_logits"),
        (lambda: cross_entropy([[1.0, 2.0], [3.0, 4.0]], [0]), "cross_entropy"),
    ],
    ids=["mse", "quadratic", "bce", "bce_with_logits", "cross_entropy"],
)
def test_mismatched_lengths_raise_value_error_naming_the_loss(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize(
    "call, fragments",
    [
        (lambda: bce(1.5, 1.0), ["bce", "probability", "1.5"]),
        (lambda: bce(-0.1, 0.0), ["bce", "probability", "-0.1"]),
        (lambda: bce(Value(1.2, label="p"), 1.0), ["bce", "1.2", "'p'"]),
        (lambda: bce(0.5, 1.2), ["bce", "target", "1.2"]),
        (lambda: bce(0.5, -0.5), ["bce", "target", "-0.5"]),
        (lambda: bce(float("nan"), 1.0), ["bce", "nan"]),
        (lambda: bce_with_logits(0.0, 1.5), ["bce_with_logits", "target", "1.5"]),
    ],
    ids=["p > 1", "p < 0", "labelled p", "t > 1", "t < 0", "p nan", "logits t > 1"],
)
def test_probability_or_target_outside_0_1_raises_value_error(call, fragments):
    with pytest.raises(ValueError) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value)


@pytest.mark.parametrize(
    "logits, target",
    [([1.0, 2.0, 3.0], 3), ([1.0, 2.0, 3.0], -1), ([[1.0, 2.0], [3.0, 4.0]], [0, 2])],
    ids=["index = classes", "negative index", "batch"],
)
def test_class_index_out_of_range_raises(logits, target):
    with pytest.raises((IndexError, ValueError), match="cross_entropy"):
        cross_entropy(logits, target)


def test_a_class_index_that_is_not_an_integer_raises_value_error():
    with pytest.raises(ValueError, match="cross_entropy.*1.5"):
        cross_entropy([1.0, 2.0, 3.0], 1.5)


def test_a_value_as_class_index_raises_a_clear_type_error():
    with pytest.raises(TypeError, match="cross_entropy.*class index"):
        cross_entropy([1.0, 2.0, 3.0], Value(1.0))


def test_empty_input_raises_value_error():
    for call in (lambda: mse([], []), lambda: softmax([]), lambda: cross_entropy([], [])):
        with pytest.raises(ValueError):
            call()


# --- the point of the module -----------------------------------------------------------------------


def test_losses_module_contains_no_gradient_code():
    tree = ast.parse(inspect.getsource(losses))
    touched = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert not touched & {"grad", "_local", "_prev", "_backward", "backward"}


@pytest.mark.parametrize("bad", [None, object()])
def test_a_loss_of_something_that_is_neither_number_nor_sequence_is_a_type_error(bad):
    with pytest.raises(TypeError, match="mse: expected a Value, a number or a sequence"):
        losses.mse(bad, 1.0)
