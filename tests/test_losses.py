"""The losses: values and gradients against formulas written here (plain float
math), central finite differences of those formulas and ``torch.nn.functional``
in float64; the extremes; the textbook output deltas; bad input.
"""

import ast
import inspect
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import numeric_grad

from micrograd_xent import Value, losses
from micrograd_xent.losses import (
    bce,
    bce_with_logits,
    cross_entropy,
    hinge,
    huber,
    l1,
    log_softmax,
    mse,
    quadratic,
    softmax,
)

# --- the formulas, in plain floats ----------------------------------------------


def mse_formula(p, t):
    return sum((a - b) ** 2 for a, b in zip(p, t)) / len(p)


def quadratic_formula(p, t):
    return 0.5 * sum((a - b) ** 2 for a, b in zip(p, t))


def l1_formula(p, t):
    return sum(abs(a - b) for a, b in zip(p, t)) / len(p)


def huber_formula(p, t, delta=1.0):
    d = [a - b for a, b in zip(p, t)]
    return sum(0.5 * e * e if abs(e) <= delta else delta * (abs(e) - 0.5 * delta) for e in d) / len(
        d
    )


def hinge_formula(s, t):
    return sum(max(0.0, 1.0 - b * a) for a, b in zip(s, t)) / len(s)


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
    pytest.param(l1, l1_formula, "l1_loss", [0.5, -1.2, 2.0], [0.0, -1.0, 3.5], id="l1"),
    pytest.param(
        huber, huber_formula, "huber_loss", [0.5, -1.2, 2.0, 0.3], [0.0, -1.0, 3.5, 2.0], id="huber"
    ),
    pytest.param(
        hinge, hinge_formula, "hinge", [2.0, 0.5, -0.3, 1.5], [1.0, -1.0, 1.0, -1.0], id="hinge"
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
    written_out = {  # the two losses torch.nn.functional has no function for
        None: lambda p, t: 0.5 * ((p - t) ** 2).sum(),
        "hinge": lambda s, t: torch.clamp(1 - t * s, min=0).mean(),
    }
    torch_loss = written_out.get(torch_name) or getattr(torch.nn.functional, torch_name)
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
        (lambda: bce(1.5, 1.0), ["bce", "probabilities[0]", "1.5"]),
        (lambda: bce(-0.1, 0.0), ["bce", "probabilities[0]", "-0.1"]),
        (lambda: bce(Value(1.2, label="p"), 1.0), ["bce", "1.2", "'p'"]),
        (lambda: bce(0.5, 1.2), ["bce", "targets[0]", "1.2"]),
        (lambda: bce([0.5, 0.5], [1.0, -0.5]), ["bce", "targets[1]", "-0.5"]),
        (lambda: bce(float("nan"), 1.0), ["bce", "probabilities[0]", "nan"]),
        (lambda: bce_with_logits(0.0, 1.5), ["bce_with_logits", "targets[0]", "1.5"]),
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


@pytest.mark.parametrize("bad", [None, object(), "0.5"])
def test_a_loss_of_something_that_is_neither_number_nor_sequence_is_a_type_error(bad):
    with pytest.raises(TypeError, match="mse: predictions must be a Value, a number or a sequence"):
        losses.mse(bad, 1.0)
    with pytest.raises(TypeError, match="mse: targets must be a Value, a number or a sequence"):
        losses.mse(1.0, bad)
    with pytest.raises(TypeError, match="cross_entropy: target must be a Value, a number"):
        losses.cross_entropy([1.0, 2.0], bad)


def test_an_empty_argument_is_named():
    with pytest.raises(ValueError, match="hinge: targets needs at least one value"):
        losses.hinge(1.0, [])


# --- huber's delta, hinge's targets -----------------------------------------------------------------


@pytest.mark.parametrize("delta", [0.25, 1.0, 3.0])
def test_huber_with_another_delta_matches_torch_float64(torch, delta):
    p, t = [0.5, -1.2, 2.0, 0.3, 0.1], [0.0, -1.0, 3.5, 2.0, 0.1]
    value, grads = engine_loss(lambda a, b: huber(a, b, delta=delta), p, t)
    logits = tensor(torch, p)
    expected = torch.nn.functional.huber_loss(
        logits, torch.tensor(t, dtype=torch.float64), delta=delta
    )
    expected.backward()
    assert value == pytest.approx(huber_formula(p, t, delta), rel=1e-13)
    assert value == pytest.approx(expected.item(), rel=1e-12)
    assert grads == pytest.approx(logits.grad.tolist(), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("delta", [0.0, -1.0, math.nan, math.inf, "1"])
def test_huber_needs_a_positive_delta(delta):
    with pytest.raises(ValueError, match="huber: delta must be a positive number"):
        huber([1.0], [0.0], delta=delta)


EXTREME = ([1e6, -1e6, 1e-300, 3.0], [-1e6, 1e6, 0.0, 3.0])  # huge, tiny, exact


@pytest.mark.parametrize("loss, name", [(l1, "l1_loss"), (huber, "huber_loss"), (mse, "mse_loss")])
def test_regression_losses_at_extreme_differences_match_torch_float64(torch, loss, name):
    p, t = EXTREME
    value, grads = engine_loss(loss, p, t)
    tensor_p = tensor(torch, p)
    expected = getattr(torch.nn.functional, name)(tensor_p, torch.tensor(t, dtype=torch.float64))
    expected.backward()
    assert value == pytest.approx(expected.item(), rel=1e-12)
    assert grads == pytest.approx(tensor_p.grad.tolist(), rel=1e-12, abs=1e-300)


def test_hinge_is_zero_beyond_the_margin_and_linear_inside_it():
    s = [Value(2.0), Value(0.5), Value(-0.5)]
    out = hinge(s, [1, 1, -1])
    out.backward()
    assert out.data == pytest.approx((0.0 + 0.5 + 0.5) / 3, rel=1e-15)
    assert [v.grad for v in s] == pytest.approx([0.0, -1 / 3, 1 / 3], rel=1e-15)


@pytest.mark.parametrize("target", [0, 0.5, 2, -1.5])
def test_hinge_targets_other_than_plus_minus_one_are_a_value_error(target):
    with pytest.raises(ValueError, match=r"hinge: targets\[1\] must be -1 or \+1"):
        hinge([1.0, 1.0], [1, target])


# --- bce_with_logits is accurate for every finite logit -------------------------------------------


def exact_bce_with_logits(x, t):
    """log(1 + e⁻ˣ) + (1 − t)·x in 400-digit arithmetic, rounded to a float at the end
    (for x = −700 the two terms cancel in their first 300 digits)."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(400):
        x, t = mpmath.mpf(x), mpmath.mpf(t)
        return float(mpmath.log1p(mpmath.exp(-x)) + (1 - t) * x)


def exact_sigmoid_minus(x, t):
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(60):
        return float(1 / (1 + mpmath.exp(-mpmath.mpf(x))) - mpmath.mpf(t))


def test_bce_with_logits_at_logit_40_target_1_is_4_25e_minus_18_not_0():
    x = Value(40.0)
    out = bce_with_logits(x, 1.0)
    out.backward()
    assert out.data == pytest.approx(4.248354255291589e-18, rel=1e-15)
    assert x.grad == pytest.approx(-4.248354255291589e-18, rel=1e-12)  # σ(40) − 1


LOGIT_GRID = [-1e300, -1000.0, -700.0, -100.0, -40.0, -30.0, -5.0, -1e-10, 0.0]
LOGIT_GRID += [1e-10, 0.7, 5.0, 30.0, 40.0, 700.0, 1000.0, 1e300]


@pytest.mark.parametrize("t", [0.0, 1.0, 0.3])
@pytest.mark.parametrize("x", LOGIT_GRID)
def test_bce_with_logits_is_within_1e_12_of_the_exact_value(x, t):
    logit = Value(x)
    out = bce_with_logits(logit, t)
    out.backward()
    assert out.data == pytest.approx(exact_bce_with_logits(x, t), rel=1e-12, abs=1e-300)
    assert logit.grad == pytest.approx(exact_sigmoid_minus(x, t), rel=1e-12, abs=1e-300)


@settings(max_examples=300, deadline=None)
@given(
    x=st.floats(-700, 700, allow_nan=False),
    t=st.sampled_from([0.0, 1.0]) | st.floats(0, 1),
)
def test_bce_with_logits_is_accurate_for_random_logits_and_targets(x, t):
    assert bce_with_logits(x, t).data == pytest.approx(
        exact_bce_with_logits(x, t), rel=1e-12, abs=1e-300
    )


# --- cross_entropy: soft labels, label smoothing, batches -----------------------------------------

SOFT = [
    ([2.0, 1.0, 0.1], [0.7, 0.2, 0.1]),
    ([0.3, -1.7, 0.0, 2.4], [0.25, 0.25, 0.5, 0.0]),
    ([1000.0, 0.0, -1000.0], [0.0, 0.5, 0.5]),
    ([1000.0, 0.0, -1000.0], [1.0, 0.0, 0.0]),
]


def torch_cross_entropy(torch, z, target, smoothing):
    """(value, gradient) of F.cross_entropy in float64 for one sample or a batch."""
    batch = isinstance(z[0], list)
    logits = tensor(torch, z if batch else [z])
    targets = target if batch else [target]
    if isinstance(targets[0], list):
        targets = torch.tensor(targets, dtype=torch.float64)
    else:
        targets = torch.tensor(targets)
    out = torch.nn.functional.cross_entropy(logits, targets, label_smoothing=smoothing)
    out.backward()
    grad = logits.grad.tolist()
    return out.item(), grad if batch else grad[0]


ONE_SAMPLE = [(z, q, eps) for z, q in SOFT for eps in (0.0, 0.1, 1.0)]
ONE_SAMPLE += [(z, k, eps) for z, k in SAMPLES for eps in (0.05, 0.3, 1.0)]


@pytest.mark.parametrize("z, target, smoothing", ONE_SAMPLE)
def test_cross_entropy_with_soft_labels_or_smoothing_matches_torch_float64(
    torch, z, target, smoothing
):
    zs = [Value(v) for v in z]
    out = cross_entropy(zs, target, label_smoothing=smoothing)
    out.backward()
    value, grad = torch_cross_entropy(torch, z, target, smoothing)
    assert out.data == pytest.approx(value, rel=1e-12)
    assert [v.grad for v in zs] == pytest.approx(grad, rel=1e-12, abs=1e-15)


def test_label_smoothing_is_the_mixture_of_the_target_and_the_uniform_distribution():
    z, k, eps = [2.0, 1.0, 0.1], 0, 0.2
    q = [(1 - eps) * (j == k) + eps / 3 for j in range(3)]
    log_p = [math.log(p) for p in softmax_formula(z)]
    expected = -sum(qj * lp for qj, lp in zip(q, log_p))
    assert cross_entropy(z, k, label_smoothing=eps).data == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_a_batch_of_soft_labels_matches_torch_float64(torch, smoothing):
    z = [row for row, _ in SOFT[:1]] + [[0.3, -1.7, 0.0], [1000.0, 0.0, -1000.0]]
    q = [[0.7, 0.2, 0.1], [0.0, 0.0, 1.0], [0.0, 0.5, 0.5]]
    zs = [[Value(v) for v in row] for row in z]
    out = cross_entropy(zs, q, label_smoothing=smoothing)
    out.backward()
    value, grad = torch_cross_entropy(torch, z, q, smoothing)
    assert out.data == pytest.approx(value, rel=1e-12)
    for row, expected in zip(zs, grad):
        assert [v.grad for v in row] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_a_one_hot_soft_label_gives_the_class_index_loss():
    z = [0.3, -1.7, 0.0, 2.4]
    assert cross_entropy(z, [0.0, 0.0, 1.0, 0.0]).data == pytest.approx(
        cross_entropy(z, 2).data, rel=1e-15
    )


@pytest.mark.parametrize(
    "logits, target, words",
    [
        ([2.0, 1.0], [0, 0], "class probabilities"),  # not a batch of two one-logit samples
        ([2.0, 1.0], [0.5, 0.25, 0.25], "class probabilities"),
        ([2.0, 1.0, 0.0], [1.5, -0.5, 0.0], "class probabilities"),
        ([[1, 2], [1, 2, 3]], [0, 2], r"logits\[1\] has 3"),
        ([[1, 2], [1, 2]], 0, "one target per sample"),
        ([[1, 2], [1, 2]], [[0.5, 0.5], [1.0]], r"target\[1\]"),
    ],
    ids=["two indices", "soft too long", "negative", "ragged", "scalar target", "ragged soft"],
)
def test_cross_entropy_targets_that_fit_no_reading_are_a_value_error(logits, target, words):
    with pytest.raises(ValueError, match=words) as error:
        cross_entropy(logits, target)
    assert str(error.value).startswith("cross_entropy: ")


@pytest.mark.parametrize("smoothing", [-0.1, 1.5, math.nan])
def test_label_smoothing_outside_zero_one_is_a_value_error(smoothing):
    with pytest.raises(ValueError, match="cross_entropy: label_smoothing must lie in"):
        cross_entropy([1.0, 2.0], 0, label_smoothing=smoothing)


# --- NaN names the loss and the position, never an op the user did not call -----------------------

NAN = math.nan


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: cross_entropy([NAN, 0.0], 1), r"cross_entropy: logits\[0\] is nan"),
        (lambda: cross_entropy([[0.0, 1.0], [1.0, NAN]], [0, 1]), r"logits\[1\]\[1\] is nan"),
        (lambda: cross_entropy([0.0, 1.0], [0.5, NAN]), r"cross_entropy: target\[1\] is nan"),
        (lambda: cross_entropy([0.0, 1.0], NAN), "cross_entropy: .*class index.*nan"),
        (lambda: log_softmax([1.0, NAN]), r"log_softmax: logits\[1\] is nan"),
        (lambda: softmax([NAN]), r"softmax: logits\[0\] is nan"),
        (lambda: bce_with_logits(NAN, 1), r"bce_with_logits: logits\[0\] is nan"),
        (lambda: bce_with_logits(0.0, NAN), r"bce_with_logits: targets\[0\] is nan"),
        (lambda: bce([0.5, Value(NAN)], [1, 0]), r"bce: probabilities\[1\] is nan"),
        (lambda: mse([1.0, 2.0], [0.0, NAN]), r"mse: targets\[1\] is nan"),
        (lambda: quadratic([NAN], [0.0]), r"quadratic: predictions\[0\] is nan"),
        (lambda: l1([NAN], [0.0]), r"l1: predictions\[0\] is nan"),
        (lambda: huber([0.0], [NAN]), r"huber: targets\[0\] is nan"),
        (lambda: hinge([NAN], [1]), r"hinge: scores\[0\] is nan"),
        (lambda: hinge([0.0], [NAN]), r"hinge: targets\[0\] is nan"),
    ],
)
def test_a_nan_is_a_value_error_naming_the_loss_and_the_position(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- plain-number targets are constants, not nodes --------------------------------------------------


def leaves(root):
    seen, stack, found = set(), [root], []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node._prev:
            stack.extend(node._prev)
        else:
            found.append(node)
    return found


@pytest.mark.parametrize(
    "loss, predictions, targets",
    [
        (mse, [0.5, -1.0], [1.0, 2.0]),
        (quadratic, [0.5, -1.0], [1.0, 2.0]),
        (l1, [0.5, -1.0], [1.0, 2.0]),
        (huber, [0.5, -1.0], [1.0, 2.0]),
        (hinge, [0.5, -1.0], [1, -1]),
        (bce, [0.5, 1.0], [1.0, 0.25]),
        (bce_with_logits, [0.5, -1.0], [1.0, 0.0]),
        (cross_entropy, [0.5, -1.0, 2.0], 2),
        (cross_entropy, [0.5, -1.0, 2.0], [0.25, 0.25, 0.5]),
    ],
)
def test_the_only_leaves_of_a_loss_are_its_predictions(loss, predictions, targets):
    p = [Value(v) for v in predictions]
    found = leaves(loss(p, targets))
    assert {id(v) for v in found} <= {id(v) for v in p}


def test_a_value_target_is_a_leaf_and_gets_a_gradient():
    p, t = Value(0.5), Value(2.0)
    mse(p, t).backward()
    assert t.grad == pytest.approx(2 * (2.0 - 0.5))
