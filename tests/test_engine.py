"""The contract of ``Value``: every op's value and gradient, graph shapes,
``backward()`` semantics, input checking and memory behaviour.

Oracles: plain float math (``math``), central finite differences on it, and
PyTorch in float64. The expressions are written once and evaluated three ways:
the helpers ``exp``, ``log``, ... send a plain float to ``math`` and call the
method of the same name on a Value or a torch tensor.
"""

import gc
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from micrograd_xent import Value
from either_way import dot, total
from oracles import numeric_grad


def _math_or_method(math_fn, method):
    def apply(x):
        return math_fn(x) if isinstance(x, float) else getattr(x, method)()

    return apply


exp = _math_or_method(math.exp, "exp")
log = _math_or_method(math.log, "log")
tanh = _math_or_method(math.tanh, "tanh")
sigmoid = _math_or_method(lambda x: 1.0 / (1.0 + math.exp(-x)), "sigmoid")
relu = _math_or_method(lambda x: max(x, 0.0), "relu")


def engine_result(f, point):
    """f at point with the engine: (value, [∂f/∂xᵢ])."""
    xs = [Value(v) for v in point]
    out = f(*xs)
    out.backward()
    return out.data, [x.grad for x in xs]


def torch_result(torch, f, point):
    """f at point with PyTorch float64: (value, [∂f/∂xᵢ])."""
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    out = f(*xs)
    out.backward()
    return out.item(), [x.grad.item() for x in xs]


def case(name, f, *point):
    return pytest.param(f, point, id=name)


OPS = [
    case("x + y", lambda x, y: x + y, 1.5, -0.25),
    case("x + 3", lambda x: x + 3, 1.5),
    case("3 + x", lambda x: 3 + x, 1.5),
    case("x + 2.5", lambda x: x + 2.5, -0.7),
    case("2.5 + x", lambda x: 2.5 + x, -0.7),
    case("x - y", lambda x, y: x - y, 1.5, -0.25),
    case("x - 3", lambda x: x - 3, 1.5),
    case("3 - x", lambda x: 3 - x, 1.5),
    case("0.5 - x", lambda x: 0.5 - x, 1.5),
    case("x * y", lambda x, y: x * y, 1.5, -0.25),
    case("x * 3", lambda x: x * 3, 1.5),
    case("3 * x", lambda x: 3 * x, 1.5),
    case("x * -0.5", lambda x: x * -0.5, 1.5),
    case("-0.5 * x", lambda x: -0.5 * x, 1.5),
    case("x / y", lambda x, y: x / y, 1.5, -0.25),
    case("x / 4", lambda x: x / 4, 1.5),
    case("4 / x", lambda x: 4 / x, 1.5),
    case("1.5 / x", lambda x: 1.5 / x, -0.6),
    case("-x", lambda x: -x, 1.5),
    case("x ** 2", lambda x: x**2, 1.3),
    case("x ** 3, negative base", lambda x: x**3, -1.3),
    case("x ** -2", lambda x: x**-2, 1.3),
    case("x ** 0.5", lambda x: x**0.5, 1.3),
    case("x ** 2.5", lambda x: x**2.5, 1.3),
    case("x ** 0", lambda x: x**0, 1.3),
    case("x ** y", lambda x, y: x**y, 1.7, 0.6),
    case("2 ** x", lambda x: 2**x, 0.8),
    case("2.5 ** x", lambda x: 2.5**x, -0.8),
    case("exp(x)", lambda x: exp(x), 0.9),
    case("log(x)", lambda x: log(x), 0.9),
    case("tanh(x)", lambda x: tanh(x), 0.9),
    case("tanh(x), x < 0", lambda x: tanh(x), -1.4),
    case("sigmoid(x)", lambda x: sigmoid(x), 0.9),
    case("sigmoid(x), x < 0", lambda x: sigmoid(x), -1.4),
    case("relu(x), x > 0", lambda x: relu(x), 0.9),
    case("relu(x), x < 0", lambda x: relu(x), -0.9),
    case("Value.sum([x, y, 3, x])", lambda x, y: total([x, y, 3, x]), 0.4, -1.1),
    case("Value.dot([x, y], [y, z])", lambda x, y, z: dot([x, y], [y, z]), 0.4, -1.1, 2.0),
    case("Value.dot([x, 2, x], [3, y, x])", lambda x, y: dot([x, 2, x], [3, y, x]), 0.4, -1.1),
]


def reused_five_times(x):
    return x * x + 3 * x - exp(x) / x + tanh(x) * x


def diamond(x, y):
    a = x * y
    return tanh(a) * exp(a) + a


def stacked_diamonds(x, y):
    a = x + y
    b = a * a
    c = sigmoid(b) / (1 + b * b)
    return c * b - log(1 + c) * a


def shared_subexpression_in_both_operands(x, y, z):
    s = x * y - z
    return (s * s + z) / (1 + s * s) + s**3


GRAPHS = [
    case("x * x", lambda x: x * x, 1.3),
    case("x used five times", reused_five_times, 0.7),
    case("diamond", diamond, 0.4, -0.9),
    case("stacked diamonds", stacked_diamonds, 0.3, 0.5),
    case("shared subexpression", shared_subexpression_in_both_operands, 0.8, -0.4, 1.2),
]


# --- values and gradients against the oracles ---------------------------------


@pytest.mark.parametrize("f, point", OPS + GRAPHS)
def test_value_matches_float_math(f, point):
    data, _ = engine_result(f, point)
    assert data == pytest.approx(f(*point), rel=1e-13)


@pytest.mark.parametrize("f, point", OPS + GRAPHS)
def test_gradient_matches_central_finite_differences(f, point):
    _, grads = engine_result(f, point)
    assert grads == pytest.approx(numeric_grad(f, point), rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("f, point", OPS + GRAPHS)
def test_value_and_gradient_match_torch_float64(torch, f, point):
    data, grads = engine_result(f, point)
    expected_data, expected_grads = torch_result(torch, f, point)
    assert data == pytest.approx(expected_data, rel=1e-13)
    assert grads == pytest.approx(expected_grads, rel=1e-12, abs=1e-15)


def test_a_node_used_twice_accumulates_both_contributions():
    x = Value(1.3)
    (x * x).backward()
    assert x.grad == 2 * 1.3


def test_power_of_a_negative_base_to_an_integer_exponent():
    x = Value(-2.0)
    y = x**3
    y.backward()
    assert (y.data, x.grad) == (-8.0, 12.0)


@pytest.mark.parametrize("p, slope", [(0.5, math.inf), (1.0, 1.0), (2.0, 0.0)])
@pytest.mark.parametrize("as_value", [False, True], ids=["number exponent", "Value exponent"])
def test_zero_base_power_has_the_one_sided_slope_of_x_to_the_p(p, slope, as_value):
    # d/dx xᵖ at 0⁺ is p·0ᵖ⁻¹: infinite for p < 1 (PyTorch agrees); 0ᵖ is flat in p
    x, exponent = Value(0.0), Value(p)
    out = x ** (exponent if as_value else p)
    out.backward()
    assert (out.data, x.grad, exponent.grad) == (0.0, slope, 0.0)


# --- random expression trees ---------------------------------------------------

# Each op keeps its operands inside its domain, so every tree is differentiable
# everywhere: logs see only positive numbers, divisors are at least 1, bases of
# a Value power lie in (0, 1). relu is left out (its kink defeats differences).
UNARY = {
    "neg": lambda a: -a,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "exp(tanh a)": lambda a: exp(tanh(a)),
    "log(sigmoid a)": lambda a: log(sigmoid(a)),
    "log(1 + a²)": lambda a: log(1 + a * a),
    "a ** 2": lambda a: a**2,
    "a ** 3": lambda a: a**3,
}
BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "a / (1 + b²)": lambda a, b: a / (1 + b * b),
    "sigmoid(a) ** tanh(b)": lambda a, b: sigmoid(a) ** tanh(b),
}
VARIABLES = ("x", "y", "z")

leaves = st.sampled_from(VARIABLES) | st.floats(-2.0, 2.0)
trees = st.recursive(
    leaves,
    lambda children: (
        st.tuples(st.sampled_from(sorted(UNARY)), children)
        | st.tuples(st.sampled_from(sorted(BINARY)), children, children)
    ),
    max_leaves=10,
)


def evaluate(tree, env):
    if isinstance(tree, str):
        return env[tree]
    if isinstance(tree, float):
        return tree
    op, *operands = tree
    return {**UNARY, **BINARY}[op](*(evaluate(t, env) for t in operands))


@settings(max_examples=200, deadline=None)
@given(tree=trees, point=st.tuples(*[st.floats(-2.0, 2.0)] * len(VARIABLES)))
def test_random_expression_gradient_matches_finite_differences(tree, point):
    def f(*values):
        return evaluate(tree, dict(zip(VARIABLES, values)))

    try:
        value = f(*point)
        fd = numeric_grad(f, point)
    except OverflowError:
        value = math.inf
    assume(abs(value) < 1e6)
    xs = [Value(v) for v in point]
    out = f(*xs)
    assume(isinstance(out, Value))  # a tree of constants only has no gradient
    out.backward()
    # difference error grows with |f| (rounding, over 2h) and with curvature
    scale = max(1.0, abs(value))
    for grad, expected in zip([x.grad for x in xs], fd):
        assert abs(grad - expected) <= 1e-5 * max(scale, abs(expected))


# --- backward(): depth and repeated calls ---------------------------------------


def test_backward_through_a_million_node_chain():
    n, c = 1_000_000, 1.0 + 1e-7
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * c
    y.backward()  # recursion would overflow the stack long before this depth
    assert x.grad == pytest.approx(c**n, rel=1e-9)  # d(x·cⁿ)/dx = cⁿ


def leaves_and_root():
    x, y = Value(0.6), Value(-1.2)
    return x, y, ((x * y).tanh() + y.exp()) * x


def test_second_backward_adds_the_same_amount_to_every_leaf():
    x, y, out = leaves_and_root()
    out.backward()
    first = [x.grad, y.grad]
    out.backward()
    assert [x.grad, y.grad] == pytest.approx([2 * g for g in first], rel=1e-15)


def test_second_backward_accumulates_in_leaves_like_torch_retain_graph(torch):
    x, y, out = leaves_and_root()
    out.backward()
    out.backward()
    tx, ty = (torch.tensor(v.data, dtype=torch.float64, requires_grad=True) for v in (x, y))
    tout = ((tx * ty).tanh() + ty.exp()) * tx
    tout.backward(retain_graph=True)
    tout.backward()
    assert [x.grad, y.grad] == pytest.approx([tx.grad.item(), ty.grad.item()], rel=1e-12)


def test_second_backward_does_not_compound_through_interior_nodes():
    # micrograd gives 18 here: its interior grads are not reset between calls
    x = Value(1.0)
    a = x * 2
    b = a * 3
    b.backward()
    b.backward()
    assert x.grad == 12.0
    assert (a.grad, b.grad) == (3.0, 1.0)


def test_interior_node_holds_the_latest_pass_gradient():
    x = Value(3.0)
    a = x * 2.0
    b = a * a  # b = a², ∂b/∂a = 2a = 12
    for _ in range(3):
        b.backward()
        assert a.grad == 12.0
    assert x.grad == 3 * 24.0  # ∂b/∂x = 8x per pass


def test_backward_on_a_leaf_sets_its_grad_to_one():
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0


# --- data coercion, labels, internals, repr ---------------------------------------


@pytest.mark.parametrize("data, stored", [(3, 3.0), (-2.5, -2.5), (True, 1.0), (False, 0.0)])
def test_data_is_stored_as_a_float(data, stored):
    v = Value(data)
    assert type(v.data) is float and v.data == stored
    assert v.grad == 0.0 and type(v.grad) is float


@pytest.mark.parametrize(
    "bad", ["2.0", None, 1 + 2j, [1.0]], ids=["str", "None", "complex", "list"]
)
def test_non_real_data_raises_type_error_naming_what_was_given(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_an_operand_that_is_not_a_number_raises_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "1"
    with pytest.raises(TypeError):
        Value(1.0) * [2.0]
    with pytest.raises(TypeError, match="Value.sum.*str"):
        Value.sum([Value(1.0), "2"])


def test_dot_of_mismatched_lengths_is_a_value_error():
    with pytest.raises(ValueError, match="Value.dot: 2 weights but 1 inputs"):
        Value.dot([Value(1.0), Value(2.0)], [3.0])


def test_dot_of_a_non_number_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="Value.dot.*str"):
        Value.dot([Value(1.0)], ["2"])


def test_label_defaults_to_empty_and_is_kept():
    assert Value(1.0).label == ""
    assert Value(1.0, label="w1").label == "w1"


def test_a_leaf_has_no_parents_and_no_op():
    leaf = Value(1.0)
    assert tuple(leaf._prev) == () and leaf._op == ""


@pytest.mark.parametrize(
    "make, op",
    [
        pytest.param(lambda x, y: x + y, "+", id="+"),
        pytest.param(lambda x, y: x * y, "*", id="*"),
        pytest.param(lambda x, y: x.exp(), "exp", id="exp"),
        pytest.param(lambda x, y: x.log(), "log", id="log"),
        pytest.param(lambda x, y: x.relu(), "relu", id="relu"),
        pytest.param(lambda x, y: x.tanh(), "tanh", id="tanh"),
        pytest.param(lambda x, y: x.sigmoid(), "sigmoid", id="sigmoid"),
    ],
)
def test_op_and_parents_are_recorded_micrograd_style(make, op):
    x, y = Value(0.5), Value(2.0)
    out = make(x, y)
    assert out._op == op
    assert all(isinstance(p, Value) for p in out._prev)
    parents = {id(p) for p in out._prev}
    assert id(x) in parents and parents <= {id(x), id(y)}


@pytest.mark.parametrize("op", ["tanh", "sigmoid"])
def test_tanh_and_sigmoid_are_one_node_with_the_input_as_only_parent(op):
    x = Value(0.3)
    out = getattr(x, op)()
    parents = list(out._prev)
    assert out._op == op and len(parents) == 1 and parents[0] is x


def test_repr_shows_data_and_grad():
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(2)) == "Value(data=2.0, grad=0.0)"
    y = Value(2.0) * 3
    y.backward()
    assert repr(y) == "Value(data=6.0, grad=1.0)"


def test_repr_shows_the_label_when_set():
    text = repr(Value(2.0, label="x"))
    assert text.startswith("Value(data=2.0, grad=0.0") and "'x'" in text


# --- domain errors ------------------------------------------------------------------


def raises(name, make, error, *fragments):
    return pytest.param(make, error, fragments, id=name)


DOMAIN_ERRORS = [
    raises("log of 0", lambda: Value(0.0, label="p").log(), ValueError, "log", "0.0", "p"),
    raises("log of a negative", lambda: Value(-1.5).log(), ValueError, "log", "-1.5"),
    raises(
        "Value / zero Value",
        lambda: Value(1.0) / Value(0.0, label="d"),
        ZeroDivisionError,
        "/",
        "0.0",
        "'d'",
    ),
    raises(
        "number / zero Value",
        lambda: 2 / Value(0.0, label="d"),
        ZeroDivisionError,
        "/",
        "0.0",
        "'d'",
    ),
    raises(
        "Value / the number 0",
        lambda: Value(2.5, label="n") / 0,
        ZeroDivisionError,
        "/",
        "2.5",
        "'n'",
    ),
    raises("Value / 0.0", lambda: Value(2.5) / 0.0, ZeroDivisionError, "/", "2.5"),
    raises(
        "negative ** 0.5",
        lambda: Value(-2.0, label="b") ** 0.5,
        ValueError,
        "**",
        "-2.0",
        "0.5",
        "'b'",
    ),
    raises("negative ** 1/3", lambda: Value(-8.0) ** (1 / 3), ValueError, "**", "-8.0"),
    raises(
        "negative ** Value",
        lambda: Value(-2.0, label="b") ** Value(0.5),
        ValueError,
        "**",
        "-2.0",
        "'b'",
    ),
    raises("negative number ** Value", lambda: (-2.0) ** Value(0.5), ValueError, "**", "-2.0"),
    raises(
        "zero ** negative",
        lambda: Value(0.0, label="z") ** -1,
        ZeroDivisionError,
        "**",
        "0.0",
        "'z'",
    ),
]


@pytest.mark.parametrize("p, slope", [(0, 0.0), (0.5, math.inf), (1, 1.0), (2, 0.0), (3, 0.0)])
def test_power_at_zero_has_the_slope_of_x_to_the_p(p, slope):
    x = Value(0.0)
    (x**p).backward()
    assert x.grad == slope


@pytest.mark.parametrize("make, error, fragments", DOMAIN_ERRORS)
def test_domain_error_names_the_op_the_value_and_the_label(make, error, fragments):
    with pytest.raises(error) as info:
        make()
    for fragment in fragments:
        assert fragment in str(info.value)


@pytest.mark.parametrize("x", [710.0, 1000.0, 1e308])
def test_exp_overflow_is_inf_as_in_ieee_arithmetic(x):
    v = Value(x, label="z")
    out = v.exp()
    out.backward()
    assert out.data == math.inf and v.grad == math.inf


def test_exp_just_below_overflow_is_exact():
    assert Value(709.0).exp().data == math.exp(709.0)


@pytest.mark.parametrize("x", [800.0, -800.0, 1e308, -1e308])
def test_tanh_saturates_without_error(x):
    v = Value(x)
    out = v.tanh()
    out.backward()
    assert out.data == math.copysign(1.0, x) and v.grad == 0.0


@pytest.mark.parametrize("x, expected", [(800.0, 1.0), (-800.0, 0.0), (1e308, 1.0), (-1e308, 0.0)])
def test_sigmoid_saturates_without_error(x, expected):
    v = Value(x)
    out = v.sigmoid()
    out.backward()
    assert out.data == expected and v.grad == 0.0


# --- memory ----------------------------------------------------------------------------


def live_values():
    return sum(1 for o in gc.get_objects() if type(o) is Value)


def test_a_dropped_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()  # only reference counting may free the graph now
    try:
        before = live_values()
        x, y = Value(0.5), Value(-1.5)
        out = diamond(x, y) + stacked_diamonds(x, y)
        out.backward()
        assert live_values() > before
        del x, y, out
        assert live_values() == before
    finally:
        gc.enable()


def test_a_number_base_to_a_value_power_is_one_node_with_the_exponent_as_parent():
    x = Value(1.5)
    y = 2**x
    y.backward()
    assert y._prev == (x,) and y._op == "rpow" and y._const == 2.0
    assert math.isclose(x.grad, 2**1.5 * math.log(2), rel_tol=1e-15)


def test_zero_to_the_value_power_zero_is_one_with_zero_slopes_as_in_pytorch():
    x, p = Value(0.0), Value(0.0)
    y = x**p
    y.backward()
    assert (y.data, x.grad, p.grad) == (1.0, 0.0, 0.0)


def test_relu_of_nan_stays_nan():
    assert math.isnan(Value(math.nan).relu().data)


def test_a_label_of_none_is_no_label():
    assert Value(1.0, label=None).label == ""


def test_an_integer_too_large_for_a_float_is_an_overflow_error_naming_value():
    with pytest.raises(OverflowError, match=r"Value\(\): the int given is larger"):
        Value(10**400)
