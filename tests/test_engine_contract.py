"""The engine rows of issue 11, each as a property against an independent oracle.

- ``backward()`` keeps no state between calls: a pass interrupted anywhere on a
  long chain, or grads the user set (None included), change nothing about the
  next call. Oracle: chains whose steps have slope ±1 and integer data, so the
  exact derivative is a product of signs; PyTorch float64 for general graphs.
- A leaf root accumulates like any leaf, as in PyTorch.
- Overflow is IEEE's for every op, value and slope as in PyTorch float64.
- Each op records the plain number folded into it (``_const``) and its name.
- ``abs`` and ``log1p`` against PyTorch, and the formula for tiny arguments.
- Bad constructor arguments are TypeErrors naming what was given.
"""

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_xent import Value

# --- backward() keeps no state between calls --------------------------------------

# One chain step: (how it changes a Value, its slope). Integer constants keep
# every value exact, so ∂end/∂start is exactly the product of the slopes.
STEPS = {
    "x + 3": (lambda v: v + 3, 1),
    "x - 2": (lambda v: v - 2, 1),
    "5 - x": (lambda v: 5 - v, -1),
    "-x": (lambda v: -v, -1),
    "x * -1": (lambda v: v * -1, -1),
    "sum": (lambda v: Value.sum([v, 1]), 1),
}


def closure_identity(parent: Value, fail_first_call: bool = False) -> Value:
    """out = parent, made the way micrograd adds an op: its constructor and a
    closure in ``_backward``. With ``fail_first_call`` the closure is Ctrl-C the
    first time it runs: a pass stopped halfway down the graph."""
    out = Value(parent.data, (parent,), "id")
    calls = []

    def _backward():
        calls.append(1)
        if fail_first_call and len(calls) == 1:
            raise KeyboardInterrupt
        parent.grad += out.grad

    out._backward = _backward
    return out


def chain(start: Value, steps: list, stop_at=None) -> tuple:
    """The chain of steps from start, with a micrograd-style node after every
    fifth step; the one at position ``stop_at`` interrupts the first pass.
    Returns the end and the exact slope ∂end/∂start."""
    v, slope = start, 1
    for i, name in enumerate(steps):
        make, step_slope = STEPS[name]
        v, slope = make(v), slope * step_slope
        if i % 5 == 4 or i == stop_at:
            v = closure_identity(v, fail_first_call=i == stop_at)
    return v, slope


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=3000),
    where=st.floats(0.0, 1.0),
    start=st.integers(-50, 50),
    scale=st.integers(-9, 9),
)
def test_backward_after_an_interrupted_pass_gives_the_grads_of_a_fresh_graph(
    steps, where, start, scale
):
    stop_at = int(where * (len(steps) - 1))
    x, y = Value(start), Value(scale)
    end, slope = chain(x, steps, stop_at)
    root = end * y  # y is reached before the interruption, x after it
    with pytest.raises(KeyboardInterrupt):
        root.backward()
    assert x.grad == 0.0 and y.grad == end.data  # the pass stopped in between
    root.backward()
    # exact: ∂root/∂x = y·slope; y has its share from both passes, as a leaf does
    assert x.grad == scale * slope
    assert y.grad == 2 * end.data
    fresh_x, fresh_y = Value(start), Value(scale)
    fresh_end, _ = chain(fresh_x, steps)
    (fresh_end * fresh_y).backward()
    assert (x.grad, y.grad) == (fresh_x.grad, 2 * fresh_y.grad)


def test_backward_after_an_exception_in_a_long_chain_is_complete():
    x = Value(1.0)
    end, slope = chain(x, ["x + 3", "-x"] * 50_000, stop_at=60_000)
    with pytest.raises(KeyboardInterrupt):
        end.backward()
    end.backward()
    assert x.grad == slope == 1


def graph_both_ways(torch, make, point):
    """The same expression with Values and with PyTorch float64 leaves."""
    values = [Value(p) for p in point]
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point]
    return values, make(*values), tensors, make(*tensors)


def diamond(x, y):
    a = x * y
    b = a.tanh() + a.exp() * x
    return b * b - a / (1 + y * y)


@settings(max_examples=100, deadline=None)
@given(
    point=st.tuples(st.floats(-2, 2), st.floats(-2, 2)),
    tamper=st.lists(
        st.sampled_from([None, 0.0, 7.5, -1e300, math.nan, math.inf, "junk"]), min_size=8
    ),
)
def test_grads_set_by_hand_on_interior_nodes_change_nothing(torch, point, tamper):
    values, root, tensors, expected = graph_both_ways(torch, diamond, point)
    interior = root._topological_order()  # the root included
    for node, junk in zip(interior, tamper):
        node.grad = junk  # a user's None, a stale number, anything
    root.backward()
    expected.backward()
    assert [v.grad for v in values] == pytest.approx([t.grad.item() for t in tensors], rel=1e-12)


def test_root_grad_set_to_none_then_backward():
    x = Value(3.0)
    y = x * x
    y.grad = None
    y.backward()
    assert (y.grad, x.grad) == (1.0, 6.0)


@settings(max_examples=50, deadline=None)
@given(point=st.tuples(st.floats(-2, 2), st.floats(-2, 2)))
def test_a_leaf_whose_grad_was_set_to_none_starts_again_from_zero(torch, point):
    values, root, tensors, expected = graph_both_ways(torch, diamond, point)
    root.backward()
    for v in values:
        v.grad = None  # as PyTorch's zero_grad(set_to_none=True) leaves it
    root.backward()
    expected.backward()
    assert [v.grad for v in values] == pytest.approx([t.grad.item() for t in tensors], rel=1e-12)


@given(a=st.floats(-1e6, 1e6), k=st.floats(-1e6, 1e6))
def test_a_leaf_root_accumulates_like_any_leaf_as_in_pytorch(torch, a, k):
    x = Value(a)
    (x * k).backward()
    x.backward()
    t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    (t * k).backward()
    t.backward()
    assert x.grad == t.grad.item() == k + 1.0


def test_a_leaf_root_whose_grad_is_none_gets_one():
    x = Value(2.0)
    x.grad = None
    x.backward()
    assert x.grad == 1.0


def test_topological_order_touches_no_grad():
    x, y = Value(0.5), Value(-1.5)
    root = diamond(x, y)
    nodes = [*root._topological_order(), x, y]  # the root comes last in the order
    for i, node in enumerate(nodes):
        node.grad = float(i)
    order = root._topological_order()
    assert [n.grad for n in nodes] == [float(i) for i in range(len(nodes))]
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:  # parents before children
        assert all(position[id(p)] < position[id(node)] for p in node._prev if p._prev)


# --- overflow is IEEE's, as in PyTorch float64 ---------------------------------------


def case(name, make, *point):
    return pytest.param(make, point, id=name)


OVERFLOW = [
    case("1e-310 ** 0", lambda x: x**0, 1e-310),
    case("1e-200 ** -1", lambda x: x**-1, 1e-200),
    case("-1e-200 ** -1", lambda x: x**-1, -1e-200),
    case("5e-324 ** 0.01", lambda x: x**0.01, 5e-324),
    case("1e200 ** 2", lambda x: x**2, 1e200),
    case("-1e200 ** 3", lambda x: x**3, -1e200),
    case("(-2) ** 1001", lambda x: x**1001, -2.0),
    case("1e-160 ** -2", lambda x: x**-2, 1e-160),
    case("1e200 * 1e200", lambda x, y: x * y, 1e200, 1e200),
    case("1e200 * -1e200", lambda x, y: x * y, 1e200, -1e200),
    case("1e308 + 1e308", lambda x, y: x + y, 1e308, 1e308),
    case("1e200 / 1e-200", lambda x, y: x / y, 1e200, 1e-200),
    case("1 / 1e-310", lambda x: 1 / x, 1e-310),
    case("exp(1000)", lambda x: x.exp(), 1000.0),
    case("exp(710)", lambda x: x.exp(), 710.0),
    case("2 ** 2000", lambda x: 2**x, 2000.0),
    case("0.5 ** -2000", lambda x: 0.5**x, -2000.0),
    case("10 ** Value 400", lambda x, y: x**y, 10.0, 400.0),
    case("1e300 ** 1.5", lambda x: x**1.5, 1e300),
    case("tanh(1e308)", lambda x: x.tanh(), 1e308),
    case("sigmoid(-1e308)", lambda x: x.sigmoid(), -1e308),
    case("log1p(1e308)", lambda x: x.log1p(), 1e308),
]


def same_float(ours: float, theirs: float) -> bool:
    if math.isnan(theirs) or math.isinf(theirs):
        return ours == theirs or (math.isnan(ours) and math.isnan(theirs))
    return math.isclose(ours, theirs, rel_tol=1e-15, abs_tol=0.0)


@pytest.mark.parametrize("make, point", OVERFLOW)
def test_overflow_gives_the_value_and_slopes_of_pytorch_float64(torch, make, point):
    values, out, tensors, expected = graph_both_ways(torch, make, point)
    out.backward()
    expected.backward()
    assert same_float(out.data, expected.item())
    for v, t in zip(values, tensors):
        assert same_float(v.grad, t.grad.item())


def test_overflow_examples_of_the_contract():
    # written out, so a reader sees the rule without PyTorch at hand
    x = Value(1e-310)
    y = x**0
    y.backward()
    assert (y.data, x.grad) == (1.0, 0.0)
    x = Value(1e-200)
    y = x**-1
    y.backward()
    assert (y.data, x.grad) == (1e200, -math.inf)
    assert (Value(1e200) ** 2).data == math.inf
    assert (Value(1e200) * Value(1e200)).data == math.inf
    assert Value(1000.0).exp().data == math.inf
    assert (2 ** Value(2000.0)).data == math.inf


# --- what each op records ----------------------------------------------------------


def records(name, make, op, const, parents):
    return pytest.param(make, op, const, parents, id=name)


X, Y = Value(2.0, label="x"), Value(5.0, label="y")

RECORDS = [
    records("x * 3", lambda: X * 3, "*", 3.0, [X]),
    records("3 * x", lambda: 3 * X, "*", 3.0, [X]),
    records("x * y", lambda: X * Y, "*", None, [X, Y]),
    records("x + 1", lambda: X + 1, "+", 1.0, [X]),
    records("1 + x", lambda: 1 + X, "+", 1.0, [X]),
    records("x + y", lambda: X + Y, "+", None, [X, Y]),
    records("x - 3", lambda: X - 3, "-", 3.0, [X]),
    records("3 - x", lambda: 3 - X, "rsub", 3.0, [X]),
    records("x - y", lambda: X - Y, "-", None, [X, Y]),
    records("-x", lambda: -X, "neg", None, [X]),
    records("x / 4", lambda: X / 4, "/", 4.0, [X]),
    records("4 / x", lambda: 4 / X, "rdiv", 4.0, [X]),
    records("x / y", lambda: X / Y, "/", None, [X, Y]),
    records("x ** 2", lambda: X**2, "**", 2.0, [X]),
    records("x ** -0.5", lambda: X**-0.5, "**", -0.5, [X]),
    records("x ** y", lambda: X**Y, "**", None, [X, Y]),
    records("2 ** x", lambda: 2**X, "rpow", 2.0, [X]),
    records("exp", lambda: X.exp(), "exp", None, [X]),
    records("log", lambda: X.log(), "log", None, [X]),
    records("log1p", lambda: X.log1p(), "log1p", None, [X]),
    records("tanh", lambda: X.tanh(), "tanh", None, [X]),
    records("sigmoid", lambda: X.sigmoid(), "sigmoid", None, [X]),
    records("relu", lambda: X.relu(), "relu", None, [X]),
    records("abs", lambda: abs(X), "abs", None, [X]),
    records("Value.sum with numbers", lambda: Value.sum([X, 1, Y, 2.5]), "+", 3.5, [X, Y]),
    records("Value.sum of Values", lambda: Value.sum([X, Y, X]), "+", None, [X, Y, X]),
    # Value.dot: the Value·Value pairs first, _const counts the parents in them
    records("Value.dot", lambda: Value.dot([X, 2], [3, Y]), "dot", 0, [X, Y]),
    records("Value.dot, one pair", lambda: Value.dot([2, X], [Y, X]), "dot", 2, [X, X, Y]),
]


@pytest.mark.parametrize("make, op, const, parents", RECORDS)
def test_each_op_records_its_name_and_the_number_folded_into_it(make, op, const, parents):
    out = make()
    assert out._op == op
    assert out._const == const and type(out._const) is type(const)
    assert len(out._prev) == len(parents)
    assert all(p is q for p, q in zip(out._prev, parents))


# --- abs and log1p ------------------------------------------------------------------

# PyTorch's log1p flushes a subnormal result to 0 (log1p(-5e-324) is 0.0 there),
# so the comparison keeps to normal floats and the tiny ones get the formula.
normal_floats = st.floats(allow_nan=False).filter(lambda x: x == 0 or abs(x) > 1e-300)


@given(x=normal_floats)
def test_abs_matches_pytorch_float64(torch, x):
    values, out, tensors, expected = graph_both_ways(torch, lambda v: v.abs(), [x])
    out.backward()
    expected.backward()
    assert (out.data, values[0].grad) == (expected.item(), tensors[0].grad.item())


@given(x=normal_floats.filter(lambda x: x > -1))
def test_log1p_matches_pytorch_float64(torch, x):
    values, out, tensors, expected = graph_both_ways(torch, lambda v: v.log1p(), [x])
    out.backward()
    expected.backward()
    assert math.isclose(out.data, expected.item(), rel_tol=1e-15)
    assert math.isclose(values[0].grad, tensors[0].grad.item(), rel_tol=1e-15)


@given(x=st.floats(-1e-20, 1e-20, allow_subnormal=True))
def test_log1p_of_a_tiny_number_is_the_number_with_slope_one(x):
    # ln(1 + x) = x − x²/2 + …: below 1e-20 the x² term is far under x's last bit
    v = Value(x)
    out = v.log1p()
    out.backward()
    assert (out.data, v.grad) == (x, 1.0)


@pytest.mark.parametrize("x", [-1.0, -1.5, -math.inf])
def test_log1p_at_or_below_minus_one_is_a_value_error_naming_it(x):
    with pytest.raises(ValueError, match=rf"log1p: .*{re.escape(repr(x))}"):
        Value(x).log1p()


# --- bad arguments to the constructor ---------------------------------------------------


@pytest.mark.parametrize(
    "label, given_",
    [(5, "int 5"), (b"x", "bytes b'x'"), (["x"], "list ['x']"), (2.5, "float 2.5")],
)
def test_a_label_that_is_not_a_str_is_a_type_error_naming_it(label, given_):
    with pytest.raises(TypeError, match=re.escape(f"label must be a str, got {given_}")):
        Value(1.0, label=label)
    with pytest.raises(TypeError, match="label must be a str"):
        Value(1.0, (), "", label)


@pytest.mark.parametrize(
    "children",
    [(Value(1.0), 2.0), 5, b"xy", [Value(1.0), "a"], (None,)],
    ids=["a number among Values", "an int", "bytes", "a str among Values", "None inside"],
)
def test_children_that_are_not_values_are_a_type_error_naming_them(children):
    with pytest.raises(TypeError, match=r"_children must be a tuple of Values, got") as info:
        Value(1.0, children, "op")
    assert repr(children) in str(info.value)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param("2.0", id="str"),
        pytest.param(None, id="None"),
        pytest.param(1j, id="complex"),
        pytest.param([1.0], id="list"),
        pytest.param({"x": 1.0}, id="dict"),
        pytest.param(Value(2.0), id="a Value"),
    ],
)
def test_data_that_is_not_a_real_number_is_a_type_error_naming_type_and_value(data):
    with pytest.raises(TypeError) as info:
        Value(data)
    assert type(data).__name__ in str(info.value) and repr(data) in str(info.value)


# --- where the engine differs from PyTorch on purpose ---------------------------------------
# Local derivatives are plain floats taken in the forward pass (design.md, "How a node holds
# the chain rule"), so a slope past the float range is ±inf before it meets the upstream
# gradient, and IEEE's 0 · inf is NaN. PyTorch, computing grad / x or masking, stays finite.
# The README's "What the engine promises" says so; these pin the documented behaviour.


@pytest.mark.parametrize(
    "make, point",
    [
        case("log(x) * 1e-310", lambda x: x.log() * 1e-310, 1e-310),
        case("x / 1e-310 * 1e-310", lambda x, d: (x / d) * 1e-310, 1.0, 1e-310),
        case("exp(log x)", lambda x: x.log().exp(), 1e-310),
    ],
)
def test_a_slope_past_the_float_range_is_inf_where_pytorch_divides_by_x(torch, make, point):
    values, out, tensors, expected = graph_both_ways(torch, make, point)
    out.backward()
    expected.backward()
    assert tensors[0].grad.item() == 1.0  # exact: 1/x times x
    assert values[0].grad == math.inf


def test_relus_flat_side_times_an_infinite_gradient_is_nan_where_pytorch_masks_it(torch):
    values, out, tensors, expected = graph_both_ways(
        torch, lambda x: x.relu() * 1e200 * 1e200 + x, [-1.0]
    )
    out.backward()
    expected.backward()
    assert tensors[0].grad.item() == 1.0
    assert math.isnan(values[0].grad)  # 0 · inf + 1
