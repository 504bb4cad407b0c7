"""The contract of ``grad`` and ``hessian``: gradients as Values, differentiated again.

Oracles: derivatives written out by hand in the tests, central finite
differences, and PyTorch's double backward in float64 on random expression
graphs. The slope rules that build gradient graphs (``SLOPES_AS_VALUES``) are
held to the floats every op stores, at random points, op by op.
"""

import math
import shutil

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from micrograd_xent import Value, draw_dot, engine
from micrograd_xent.engine import SLOPES_AS_VALUES, grad, hessian
from either_way import dot, total
from oracles import numeric_grad

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def every_node(root):
    """root and everything it depends on, leaves included."""
    seen, stack = {id(root): root}, [root]
    while stack:
        for parent in stack.pop()._prev:
            if id(parent) not in seen:
                seen[id(parent)] = parent
                stack.append(parent)
    return list(seen.values())


# --- the contract -------------------------------------------------------------


def test_grad_returns_one_value_per_input_in_order():
    x, y = Value(2.0), Value(-3.0)
    out = x * x * y  # ∂/∂x = 2xy = -12, ∂/∂y = x² = 4
    dy, dx = grad(out, [y, x])
    assert isinstance(dx, Value) and isinstance(dy, Value)
    assert (dy.data, dx.data) == (4.0, -12.0)


@pytest.mark.parametrize("create_graph", [False, True])
def test_one_value_as_inputs_gives_a_list_of_one(create_graph):
    x = Value(0.5)
    result = grad(x.exp(), x, create_graph=create_graph)
    assert isinstance(result, list) and len(result) == 1
    assert result[0].data == pytest.approx(math.exp(0.5), rel=1e-15)


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_input_the_output_does_not_depend_on_gets_zero(create_graph):
    x, unused = Value(1.5), Value(7.0)
    dx, du = grad(x.tanh(), [x, unused], create_graph=create_graph)
    assert du.data == 0.0
    assert dx.data == pytest.approx(1 - math.tanh(1.5) ** 2, rel=1e-15)


def test_the_derivative_of_the_output_with_respect_to_itself_is_one():
    x = Value(3.0)
    y = x * 2
    assert [d.data for d in grad(y, [y, x])] == [1.0, 2.0]
    assert grad(x, x)[0].data == 1.0  # a leaf as output


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_changes_no_grad_anywhere(create_graph):
    x, w, b = Value(0.4, label="x"), Value(-1.2, label="w"), Value(0.3, label="b")
    out = (w * x + b).tanh() * x + (x / w).sigmoid()
    nodes = every_node(out)
    for i, node in enumerate(nodes):  # sentinels, so any write would show
        node.grad = 100.0 + i
    grad(out, [x, w, b], create_graph=create_graph)
    assert [node.grad for node in nodes] == [100.0 + i for i in range(len(nodes))]


def test_without_create_graph_the_results_are_new_leaves():
    x, y = Value(1.5), Value(-0.5)
    results = grad((x * y).exp(), [x, y])
    assert all(r._prev == () for r in results)
    assert all(r is not x and r is not y for r in results)


def test_with_create_graph_the_result_is_a_graph_over_the_inputs():
    x = Value(0.7, label="x")
    [dy] = grad(x.tanh(), x, create_graph=True)
    assert dy._prev  # built by ops, not a constant
    assert any(node is x for node in every_node(dy))


@given(st.floats(-3.0, 3.0))
def test_grad_of_grad_is_the_second_derivative(v):
    x = Value(v)
    [dy] = grad(x**3 + x.exp(), x, create_graph=True)
    [d2y] = grad(dy, x)
    assert dy.data == pytest.approx(3 * v * v + math.exp(v), rel=1e-14)
    assert d2y.data == pytest.approx(6 * v + math.exp(v), rel=1e-13, abs=1e-13)


@pytest.mark.parametrize("v", [-2.0, -0.3, 0.0, 0.8, 2.5])
def test_third_derivative_of_x_to_the_fourth_is_24x(v):
    x = Value(v)
    [d1] = grad(x**4, x, create_graph=True)
    [d2] = grad(d1, x, create_graph=True)
    [d3] = grad(d2, x)
    assert (d1.data, d2.data) == pytest.approx((4 * v**3, 12 * v**2), rel=1e-14, abs=1e-14)
    assert d3.data == pytest.approx(24 * v, rel=1e-14, abs=1e-14)


@pytest.mark.parametrize("v", [-3.0, -0.6, 0.0, 0.4, 1.1, 5.0])
def test_third_derivative_of_tanh_matches_the_closed_form(v):
    t = math.tanh(v)
    # d/dx tanh = 1 − t², d²/dx² = −2t(1 − t²), d³/dx³ = −2(1 − t²)(1 − 3t²)
    x = Value(v)
    [d1] = grad(x.tanh(), x, create_graph=True)
    [d2] = grad(d1, x, create_graph=True)
    [d3] = grad(d2, x)
    assert d1.data == pytest.approx(1 - t * t, rel=1e-14)
    assert d2.data == pytest.approx(-2 * t * (1 - t * t), rel=1e-13, abs=1e-15)
    assert d3.data == pytest.approx(-2 * (1 - t * t) * (1 - 3 * t * t), rel=1e-12, abs=1e-15)


def test_hessian_is_the_matrix_of_second_derivatives_as_floats():
    x, y = Value(1.5), Value(-0.5)
    h = hessian(x * x * y + (x * y).exp(), [x, y])
    # f = x²y + e^(xy): f_xx = 2y + y²e^(xy), f_xy = 2x + (1 + xy)e^(xy), f_yy = x²e^(xy)
    e = math.exp(1.5 * -0.5)
    expected = [[2 * -0.5 + 0.25 * e, 3.0 + (1 - 0.75) * e], [3.0 + (1 - 0.75) * e, 2.25 * e]]
    assert all(type(entry) is float for row in h for entry in row)
    assert h[0] == pytest.approx(expected[0], rel=1e-14)
    assert h[1] == pytest.approx(expected[1], rel=1e-14)


def test_hessian_of_one_value_is_a_one_by_one_matrix():
    x = Value(2.0)
    assert hessian(x**3, x) == [[12.0]]


def test_relu_and_abs_have_second_derivative_zero():
    x = Value(0.7)
    assert hessian(x.relu() * 3, [x]) == [[0.0]]
    assert hessian(x.abs() + 1, [x]) == [[0.0]]


def test_a_gradient_can_be_used_inside_a_loss():
    """A gradient penalty: C = (o − ½)² + (∂o/∂w)² for o = tanh(w·x + b);
    backward() on C reaches w and b through the gradient's own graph."""
    x, w, b = 0.8, Value(0.6, label="w"), Value(-0.2, label="b")
    o = (w * x + b).tanh()
    [do_dw] = grad(o, w, create_graph=True)
    loss = (o - 0.5) ** 2 + do_dw**2
    loss.backward()

    def plain(w, b):
        t = math.tanh(w * x + b)
        return (t - 0.5) ** 2 + (x * (1 - t * t)) ** 2

    assert loss.data == pytest.approx(plain(0.6, -0.2), rel=1e-14)
    assert [w.grad, b.grad] == pytest.approx(numeric_grad(plain, [0.6, -0.2]), rel=1e-7)


@needs_dot
def test_the_graph_of_a_gradient_can_be_drawn():
    """For o = tanh(w·x + b), ∂o/∂w = x·(1 − o²): its graph reaches back to
    w, x and b through o, and renders as an image."""
    x, w, b = Value(2.0, label="x"), Value(-0.5, label="w"), Value(0.3, label="b")
    o = (w * x + b).tanh()
    o.label = "o"
    [do_dw] = grad(o, w, create_graph=True)
    do_dw.label = "∂o/∂w"
    dot = draw_dot(do_dw)
    source = dot.source
    for label in ("x", "w", "b", "o", "∂o/∂w"):
        assert f"<b>{label}</b>" in source
    assert "tanh" in source
    t = math.tanh(-0.7)
    assert f"data {2.0 * (1 - t * t):#.4g}" in source
    assert b"<svg" in dot.pipe(format="svg")


# --- where create_graph cannot go ---------------------------------------------


def test_create_graph_through_a_value_op_node_is_a_value_error_naming_the_op():
    x = Value(3.0)
    cube = Value.op(x.data**3, [x], [3 * x.data**2], "cube")
    assert grad(cube, x)[0].data == 27.0  # its first derivative is known
    with pytest.raises(ValueError, match="'cube'"):
        grad(cube * 2, x, create_graph=True)
    with pytest.raises(ValueError, match="'cube'"):
        hessian(cube, [x])


def test_a_value_op_named_like_a_built_in_op_still_has_no_second_derivative():
    x = Value(0.5)
    fake = Value.op(math.tanh(0.5), [x], [1 - math.tanh(0.5) ** 2], "tanh")
    with pytest.raises(ValueError, match="'tanh'.*Value.op"):
        grad(fake, x, create_graph=True)


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_closure_made_node_is_a_value_error_naming_the_op(create_graph):
    x = Value(2.0)
    out = Value(x.data**2, (x,), "square")

    def _backward():
        x.grad += 2 * x.data * out.grad

    out._backward = _backward
    with pytest.raises(ValueError, match="'square'"):
        grad(out + 1, x, create_graph=create_graph)


@pytest.mark.parametrize("output, inputs", [(2.0, []), (Value(1.0), [1.0]), (Value(1.0), "x")])
def test_grad_of_non_values_is_a_type_error(output, inputs):
    with pytest.raises(TypeError, match="grad"):
        grad(output, inputs)


# --- each op's two derivative forms agree ----------------------------------------
#
# Every op stores its local derivatives as floats; SLOPES_AS_VALUES rebuilds
# them as Values for create_graph=True. At random points the two must agree,
# for every form of every op: Value·Value, a folded number on either side,
# Value.sum and Value.dot with mixed partners.

anywhere = st.floats(-5.0, 5.0)
positive = st.floats(0.05, 5.0)
nonzero = anywhere.filter(lambda v: abs(v) > 0.05)
numbers = st.floats(-4.0, 4.0)


def form(name, op, make, *points):
    return pytest.param(op, make, st.tuples(*points), id=name)


FORMS = [
    form("x + y", "+", lambda x, y: x + y, anywhere, anywhere),
    form("x + c", "+", lambda x, c: x + c, anywhere, numbers),
    form("c + x", "+", lambda x, c: c + x, anywhere, numbers),
    form(
        "Value.sum([x, c, y, x])",
        "+",
        lambda x, y, c: Value.sum([x, c, y, x]),
        anywhere,
        anywhere,
        numbers,
    ),
    form("Value.sum([x, y])", "+", lambda x, y: Value.sum([x, y]), anywhere, anywhere),
    form("x - y", "-", lambda x, y: x - y, anywhere, anywhere),
    form("x - c", "-", lambda x, c: x - c, anywhere, numbers),
    form("c - x", "rsub", lambda x, c: c - x, anywhere, numbers),
    form("-x", "neg", lambda x: -x, anywhere),
    form("x * y", "*", lambda x, y: x * y, anywhere, anywhere),
    form("x * x", "*", lambda x: x * x, anywhere),
    form("x * c", "*", lambda x, c: x * c, anywhere, numbers),
    form("c * x", "*", lambda x, c: c * x, anywhere, numbers),
    form("x / y", "/", lambda x, y: x / y, anywhere, nonzero),
    form("x / c", "/", lambda x, c: x / c, anywhere, nonzero),
    form("c / x", "rdiv", lambda x, c: c / x, nonzero, numbers),
    form("x ** c", "**", lambda x, c: x**c, positive, numbers),
    form("x ** k, x < 0", "**", lambda x, k: x**k, nonzero, st.integers(-3, 4).map(float)),
    form("x ** y", "**", lambda x, y: x**y, positive, numbers),
    form("x ** x", "**", lambda x: x**x, positive),
    form("c ** x", "rpow", lambda x, c: c**x, anywhere, positive),
    form("0 ** x", "rpow", lambda x: 0.0**x, positive),
    form(
        "Value.dot([x, c, y, c], [d, x, y, d])",
        "dot",
        lambda x, y, c, d: Value.dot([x, c, y, c], [d, x, y, d]),
        anywhere,
        anywhere,
        numbers,
        numbers,
    ),
    form(
        "Value.dot([x, y], [y, x])",
        "dot",
        lambda x, y: Value.dot([x, y], [y, x]),
        anywhere,
        anywhere,
    ),
    form("exp(x)", "exp", lambda x: x.exp(), anywhere),
    form("log(x)", "log", lambda x: x.log(), positive),
    form("log1p(x)", "log1p", lambda x: x.log1p(), st.floats(-0.95, 5.0)),
    form("tanh(x)", "tanh", lambda x: x.tanh(), anywhere),
    form("sigmoid(x)", "sigmoid", lambda x: x.sigmoid(), anywhere),
    form("relu(x)", "relu", lambda x: x.relu(), anywhere),
    form("abs(x)", "abs", lambda x: abs(x), anywhere),
]

VALUE_ARGUMENTS = {"x", "y"}  # the rest of a form's arguments are plain numbers


def build(make, point):
    names = make.__code__.co_varnames[: make.__code__.co_argcount]
    return make(*(Value(v) if n in VALUE_ARGUMENTS else v for n, v in zip(names, point)))


def slopes_as_floats(node):
    return [s.data if isinstance(s, Value) else float(s) for s in SLOPES_AS_VALUES[node._op](node)]


@pytest.mark.parametrize("op, make, points", FORMS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_each_ops_slopes_as_values_equal_its_stored_floats(op, make, points, data):
    node = build(make, data.draw(points))
    assert node._op == op
    assert len(slopes_as_floats(node)) == len(node._local) == len(node._prev)
    assert slopes_as_floats(node) == pytest.approx(list(node._local), rel=1e-12, abs=1e-300)


def test_the_forms_above_cover_every_op_in_slopes_as_values():
    assert {op for op, _, _ in (p.values for p in FORMS)} == set(SLOPES_AS_VALUES)


def test_slopes_as_values_covers_every_op_the_engine_defines():
    defined = {value for value in vars(engine).values() if isinstance(value, engine.Op)}
    assert len(defined) >= 17
    assert defined == set(SLOPES_AS_VALUES)


@pytest.mark.parametrize("p", [0.5, 0.25])
def test_power_below_one_at_zero_has_the_same_infinite_slope_in_both_forms(p):
    """Like PyTorch, d(x^p)/dx at x = 0 is inf for 0 < p < 1, in either form."""
    x = Value(0.0)
    assert grad(x**p, x)[0].data == math.inf
    assert grad(x**p, x, create_graph=True)[0].data == math.inf
    assert grad(x ** Value(p), x, create_graph=True)[0].data == math.inf


# --- every op twice differentiable: PyTorch's double backward on random graphs ----
#
# A random program: three inputs, then up to eight steps, each applying one of
# STEPS to earlier nodes (so nodes are reused: the graphs are DAGs, not trees)
# and a plain number c in [−2, 2]. It runs once on Values and once on float64
# tensors. Every built-in op appears, in each of its forms; where an op has a
# restricted domain its argument is made to fit (1 + b², |c| + 0.3, 0.9·tanh a).


def power(base, exponent):
    """base ** exponent for Values; e^(exponent · ln base) for tensors.

    PyTorch's pow backward returns 0 for ∂/∂base where the exponent is exactly
    0, through a where() whose own derivative is 0, so its double backward
    gives ∂²(aᵇ)/∂a∂b = 0 there instead of 1/a (and an asymmetric Hessian).
    The exp-log form is the same function without that shortcut.
    """
    if isinstance(base, Value):
        return base**exponent
    return (exponent * base.log()).exp()


STEPS = {
    "a + b": lambda a, b, c: a + b,
    "a + c": lambda a, b, c: a + c,
    "c + a": lambda a, b, c: c + a,
    "a - b": lambda a, b, c: a - b,
    "a - c": lambda a, b, c: a - c,
    "c - a": lambda a, b, c: c - a,
    "-a": lambda a, b, c: -a,
    "a * b": lambda a, b, c: a * b,
    "a * c": lambda a, b, c: a * c,
    "c * a": lambda a, b, c: c * a,
    "a / (1 + b²)": lambda a, b, c: a / (1 + b * b),
    "a / (c + 3)": lambda a, b, c: a / (c + 3),
    "c / (1 + a²)": lambda a, b, c: c / (1 + a * a),
    "a ** 2": lambda a, b, c: a**2,
    "a ** 3": lambda a, b, c: a**3,
    "(1 + a²) ** c": lambda a, b, c: (1 + a * a) ** c,
    "sigmoid(a) ** b": lambda a, b, c: power(a.sigmoid(), b),
    "(|c| + 0.3) ** a": lambda a, b, c: (abs(c) + 0.3) ** a,
    "exp a": lambda a, b, c: a.exp(),
    "log(1 + a²)": lambda a, b, c: (1 + a * a).log(),
    "log(sigmoid a)": lambda a, b, c: a.sigmoid().log(),
    "log1p(a²)": lambda a, b, c: (a * a).log1p(),
    "log1p(0.9 tanh a)": lambda a, b, c: (0.9 * a.tanh()).log1p(),
    "tanh a": lambda a, b, c: a.tanh(),
    "sigmoid a": lambda a, b, c: a.sigmoid(),
    "relu a": lambda a, b, c: a.relu(),
    "abs a": lambda a, b, c: a.abs(),
    "sum(a, b, c, a)": lambda a, b, c: total([a, b, c, a]),
    "dot([a, c, b, c], [b, a, c, 2])": lambda a, b, c: dot([a, c, b, c], [b, a, c, 2.0]),
}
N_INPUTS = 3

programs = st.lists(
    st.tuples(
        st.sampled_from(sorted(STEPS)),
        st.integers(0, 10),  # how far back a is (0: the newest node)
        st.integers(0, 10),  # how far back b is
        st.floats(-2.0, 2.0),
    ),
    min_size=1,
    max_size=8,
)
points = st.lists(st.floats(-2.0, 2.0), min_size=N_INPUTS, max_size=N_INPUTS)


def run(program, inputs):
    """The program's output for these inputs (Values or tensors alike)."""
    nodes = list(inputs)
    for name, back_a, back_b, c in program:
        a, b = nodes[-1 - back_a % len(nodes)], nodes[-1 - back_b % len(nodes)]
        nodes.append(STEPS[name](a, b, c))
    return nodes[-1]


def engine_derivatives(program, point):
    """(first derivatives, matrix of second derivatives) by grad() twice."""
    xs = [Value(v) for v in point]
    first = grad(run(program, xs), xs, create_graph=True)
    return [g.data for g in first], [[d.data for d in grad(g, xs)] for g in first]


def torch_derivatives(torch, program, point):
    """The same by torch.autograd.grad(..., create_graph=True), then grad again."""
    xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    first = torch.autograd.grad(run(program, xs), xs, create_graph=True, allow_unused=True)
    second = []
    for g in first:
        if g is None or not g.requires_grad:  # a constant derivative: its own derivative is 0
            second.append([0.0] * len(xs))
            continue
        row = torch.autograd.grad(g, xs, retain_graph=True, allow_unused=True)
        second.append([0.0 if d is None else d.item() for d in row])
    return [0.0 if g is None else g.item() for g in first], second


def finite_and_moderate(*rows):
    return all(math.isfinite(v) and abs(v) < 1e8 for row in rows for v in row)


def assert_close_to(actual, expected):
    """Within 1e-9 of the largest entry: both sides round differently in float64."""
    scale = max([1.0] + [abs(v) for v in expected])
    assert actual == pytest.approx(expected, rel=1e-9, abs=1e-9 * scale)


@settings(max_examples=2000, deadline=None)
@given(program=programs, point=points)
def test_random_graphs_second_derivatives_match_torch_double_backward(torch, program, point):
    try:
        first, second = engine_derivatives(program, point)
    except (ValueError, ZeroDivisionError):  # a domain edge torch would answer with nan
        assume(False)
    assume(finite_and_moderate(first, *second))
    expected_first, expected_second = torch_derivatives(torch, program, point)
    assert_close_to(first, expected_first)
    for row, expected_row in zip(second, expected_second):
        assert_close_to(row, expected_row)


@settings(max_examples=300, deadline=None)
@given(program=programs, point=points)
def test_random_graphs_hessian_matches_torch_functional_hessian(torch, program, point):
    xs = [Value(v) for v in point]
    try:
        h = hessian(run(program, xs), xs)
    except (ValueError, ZeroDivisionError):
        assume(False)
    assume(finite_and_moderate(*h))
    inputs = tuple(torch.tensor(v, dtype=torch.float64) for v in point)
    expected = torch.autograd.functional.hessian(lambda *ts: run(program, ts), inputs)
    for row, expected_row in zip(h, expected):
        assert_close_to(row, [e.item() for e in expected_row])


def test_second_derivative_through_a_ten_thousand_node_chain():
    """y = x·x·…·x (n + 1 factors) = xⁿ⁺¹: d²y/dx² = n(n + 1)xⁿ⁻¹, at x = 1 n(n + 1)."""
    n = 10_000
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * x
    [dy] = grad(y, x, create_graph=True)
    [d2y] = grad(dy, x)
    assert dy.data == n + 1
    assert d2y.data == n * (n + 1)


def test_grad_is_re_exported_by_the_package():
    import micrograd_xent

    assert micrograd_xent.grad is grad


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda y, x: grad(y, 3), ("grad", "inputs", "int 3")),
        (lambda y, x: hessian(y, None), ("hessian", "inputs", "NoneType")),
        (lambda y, x: grad(y, x, create_graph="yes"), ("grad", "create_graph", "'yes'")),
    ],
)
def test_bad_arguments_to_grad_and_hessian_are_type_errors_naming_them(call, words):
    x = Value(1.0)
    with pytest.raises(TypeError) as info:
        call(x * 2, x)
    assert all(word in str(info.value) for word in words)
