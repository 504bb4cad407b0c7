"""Code written for micrograd keeps working on our Values and networks.

Runs only where micrograd 0.1.0 is installed (its ``bench`` extra).
"""

import random

import pytest

from micrograd_xent import Value
from micrograd_xent.nn import MLP

micrograd = pytest.importorskip("micrograd.engine")
micrograd_nn = pytest.importorskip("micrograd.nn")


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


def test_draw_dot_style_traversal_reads_the_same_graph_as_micrograds():
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


def test_unseeded_mlp_draws_the_same_network_as_micrograd():
    state = random.getstate()
    try:
        random.seed(7)
        ours = MLP(2, [4, 3, 1])
        random.seed(7)
        theirs = micrograd_nn.MLP(2, [4, 3, 1])
    finally:
        random.setstate(state)
    x = [0.6, -1.4]
    out, expected = ours(x), theirs(x)
    out.backward()
    expected.backward()
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    assert out.data == pytest.approx(expected.data, rel=1e-13)
    assert [p.grad for p in ours.parameters()] == pytest.approx(
        [p.grad for p in theirs.parameters()], rel=1e-12
    )
