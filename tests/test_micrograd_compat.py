"""Code written for micrograd and Karpathy's lecture keeps working on our Values.

The patterns that code uses, in our own words: the lecture's manual walk with
``_backward()``, an op added with micrograd's constructor and a closure, extra
attributes on a node, an optimiser that keeps its state on the parameters, the
lecture's network drawn. The comparisons with micrograd itself run only where
micrograd 0.1.0 is installed (the ``dev`` extra).
"""

import math
import random

import pytest
from oracles import numeric_grad

from micrograd_xent import Value, draw_dot, grad
from micrograd_xent.nn import MLP


@pytest.fixture(scope="module")
def micrograd():
    return pytest.importorskip("micrograd.engine")


@pytest.fixture(scope="module")
def micrograd_nn():
    return pytest.importorskip("micrograd.nn")


def trace(root):
    """Nodes and edges found the way micrograd's draw_dot finds them: through _prev."""
    nodes, edges, stack = [], [], [root]
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        for parent in node._prev:
            edges.append((parent, node))
            stack.append(parent)
    return nodes, edges


def expression(value_class):
    # only ops whose _op micrograd spells as we do (its relu is "ReLU", ours "relu")
    a, b, c = value_class(2.0), value_class(-3.0), value_class(10.0)
    e = a * b
    return (e + c) * e + a**2


def test_draw_dot_style_traversal_reads_the_same_graph_as_micrograds(micrograd):
    ours, theirs = expression(Value), expression(micrograd.Value)
    ours.backward()
    theirs.backward()
    our_nodes, our_edges = trace(ours)
    their_nodes, their_edges = trace(theirs)

    def summary(nodes):
        # micrograd spells x**2 "**2"; here the 2 is the node's _const
        return sorted((n._op.rstrip("0123456789."), n.data, n.grad) for n in nodes)

    assert summary(our_nodes) == summary(their_nodes)
    assert len(our_edges) == len(their_edges)


def twin_mlps(micrograd_nn, nin, nouts, seed):
    """Our MLP and micrograd's, each drawn from the global random module at one seed."""
    state = random.getstate()
    try:
        random.seed(seed)
        ours = MLP(nin, nouts)
        random.seed(seed)
        return ours, micrograd_nn.MLP(nin, nouts)
    finally:
        random.setstate(state)


def test_unseeded_mlp_draws_the_same_network_as_micrograd(micrograd_nn):
    ours, theirs = twin_mlps(micrograd_nn, 2, [4, 3, 1], seed=7)
    x = [0.6, -1.4]
    out, expected = ours(x), theirs(x)
    out.backward()
    expected.backward()
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert out.data == pytest.approx(expected.data, rel=1e-13)
    assert [p.grad for p in ours.parameters()] == pytest.approx(
        [p.grad for p in theirs.parameters()], rel=1e-12
    )


# --- the lecture's neuron, walked by hand ------------------------------------------


def lecture_neuron():
    """o = tanh(x1·w1 + x2·w2 + b), the lecture's numbers: n = 0.8814, o = 1/√2."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    return locals()


def test_the_lectures_manual_walk_with_underscore_backward():
    v = lecture_neuron()
    v["o"].grad = 1.0
    for name in ["o", "n", "b", "x1w1x2w2", "x2w2", "x1w1", "x1", "w1", "x2", "w2"]:
        v[name]._backward()  # a leaf's does nothing, as in micrograd
    # by hand: do/dn = 1 − o² = 1/2, + passes it on, * swaps the other factor in
    do_dn = 1 - v["o"].data ** 2
    assert do_dn == pytest.approx(0.5)
    assert v["n"].grad == v["b"].grad == v["x1w1"].grad == v["x2w2"].grad == do_dn
    assert v["x1"].grad == do_dn * -3.0 and v["w1"].grad == do_dn * 2.0
    assert v["x2"].grad == do_dn * 1.0 and v["w2"].grad == do_dn * 0.0


def test_the_manual_walk_and_backward_agree():
    by_hand, automatic = lecture_neuron(), lecture_neuron()
    by_hand["o"].grad = 1.0
    for name in ["o", "n", "x1w1x2w2", "x2w2", "x1w1"]:
        by_hand[name]._backward()
    automatic["o"].backward()
    for name in ["x1", "x2", "w1", "w2", "b"]:
        assert by_hand[name].grad == automatic[name].grad


# --- an op added micrograd's way: the constructor and a closure ---------------------


def cube(x: Value) -> Value:
    """x³ added as the lecture adds tanh: a node from micrograd's constructor,
    whose gradient rule is a closure assigned to its _backward."""
    out = Value(x.data**3, (x,), "cube")

    def _backward():
        x.grad += 3 * x.data**2 * out.grad

    out._backward = _backward
    return out


def test_an_op_added_with_a_closure_takes_part_in_backward():
    def f(a, b):
        return (cube(a * b) + a).tanh() if isinstance(a, Value) else math.tanh((a * b) ** 3 + a)

    a, b = Value(0.4), Value(-0.7)
    out = f(a, b)
    assert out._prev[0]._prev[0]._op == "cube"
    out.backward()
    assert [a.grad, b.grad] == pytest.approx(numeric_grad(f, [0.4, -0.7]), rel=1e-7)


def test_a_second_backward_through_a_closure_adds_the_same_again():
    x = Value(1.5)
    y = cube(x) * 2
    y.backward()
    y.backward()  # leaves accumulate; the closure's node starts again from 0
    assert x.grad == 2 * (2 * 3 * 1.5**2)


def test_grad_refuses_a_closure_op_naming_it():
    x = Value(1.5)
    with pytest.raises(ValueError, match="'cube'.*closure"):
        grad(cube(x), x)


def test_an_op_made_with_value_op_needs_no_closure():
    x = Value(0.3)
    y = Value.op(math.sinh(x.data), [x], [math.cosh(x.data)], "sinh")
    (y * y).backward()
    assert y._op == "sinh" and y._prev == (x,)
    assert x.grad == pytest.approx(2 * math.sinh(0.3) * math.cosh(0.3), rel=1e-15)
    [d] = grad(y, x)
    assert d.data == math.cosh(0.3)


def test_micrograds_constructor_keeps_a_tuple_of_children_as_children():
    a, b = Value(1.0), Value(2.0)
    out = Value(3.0, (a, b))  # no op name: still children, not a label
    assert out._prev == (a, b) and out.label == ""
    named = Value(3.0, (a, b), "+", label="s")
    assert (named._op, named.label) == ("+", "s")
    assert Value(3.0, [a])._prev == (a,)
    assert Value(3.0, "c").label == "c"  # a str is this project's label


# --- extra attributes: an optimiser's state, a drawing's colour ------------------------


def test_a_value_takes_extra_attributes_and_keeps_them():
    p = Value(0.5)
    p.m, p.v = 0.0, 0.0
    p._vis_color = "lightgreen"
    y = p * p
    y._vis_color = "red"
    y.backward()
    assert (p.m, p.v, p._vis_color, y._vis_color, p.grad) == (0.0, 0.0, "lightgreen", "red", 1.0)


# the lecture's four examples and their targets
LECTURE_XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
LECTURE_YS = [1.0, -1.0, -1.0, 1.0]


def adam_steps(params, loss_fn, steps=15, lr=0.05, betas=(0.9, 0.95)):
    """AdamW as micrograd-style code writes it: its moments kept on each parameter."""
    for p in params:
        p.m, p.v = 0.0, 0.0
    for t in range(1, steps + 1):
        loss = loss_fn()
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.m = betas[0] * p.m + (1 - betas[0]) * p.grad
            p.v = betas[1] * p.v + (1 - betas[1]) * p.grad**2
            m_hat, v_hat = p.m / (1 - betas[0] ** t), p.v / (1 - betas[1] ** t)
            p.data -= lr * m_hat / (v_hat**0.5 + 1e-8)
    return loss_fn().data


def test_an_optimiser_keeping_state_on_parameters_trains_as_on_micrograd(micrograd_nn):
    ours, theirs = twin_mlps(micrograd_nn, 3, [4, 4, 1], seed=3)

    def loss(model):
        return lambda: sum((model(x) - y) ** 2 for x, y in zip(LECTURE_XS, LECTURE_YS))

    first = loss(ours)().data
    ours_final = adam_steps(ours.parameters(), loss(ours))
    theirs_final = adam_steps(theirs.parameters(), loss(theirs))
    assert ours_final < first
    assert ours_final == pytest.approx(theirs_final, rel=1e-12)
    assert [p.data for p in ours.parameters()] == pytest.approx(
        [p.data for p in theirs.parameters()], rel=1e-12
    )


# --- the lecture's network, drawn -------------------------------------------------------


def lecture_mlp_loss():
    """The lecture's MLP(3, [4, 4, 1]) over its four examples, written as the
    lecture writes it: tanh neurons summing w·x with Python's sum()."""
    rng = random.Random(0)

    def layer(nin, nout):
        return [
            ([Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(rng.uniform(-1, 1)))
            for _ in range(nout)
        ]

    layers = [layer(3, 4), layer(4, 4), layer(4, 1)]

    def forward(x):
        for neurons in layers:
            x = [sum((wi * xi for wi, xi in zip(w, x)), b).tanh() for w, b in neurons]
        return x[0]

    return sum((forward(x) - y) ** 2 for x, y in zip(LECTURE_XS, LECTURE_YS))


def values_in(root):
    seen, stack = {}, [root]
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen[id(v)] = v
            stack.extend(v._prev)
    return len(seen)


def test_draw_dot_draws_the_lectures_mlp_over_four_examples_by_default():
    loss = lecture_mlp_loss()
    loss.backward()
    assert values_in(loss) == 345  # the figure issue 12 names
    dot = draw_dot(loss)
    assert sum("data" in line for line in dot.body) == 345
