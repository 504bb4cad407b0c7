"""backward_steps: backward() one edge at a time — the same numbers as backward(),
in its order, one step per edge, with no grad touched; the ledger, the page and
the animation that show them."""

import math
import re
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd_xent import Value, backward_steps
from micrograd_xent.losses import bce
from micrograd_xent.steps import Step, Steps

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")

REPLAYED_GRAPHS = 2000  # the report quotes this number


def four(x):
    """A number as the ledger and draw_dot write it: 4 significant digits."""
    return f"{x + 0.0:#.4g}"


# --- random graphs ---------------------------------------------------------------

OPS = {
    "neg": lambda a, b, c: -a,
    "exp": lambda a, b, c: a.exp(),
    "log": lambda a, b, c: a.log(),
    "log1p": lambda a, b, c: a.log1p(),
    "tanh": lambda a, b, c: a.tanh(),
    "sigmoid": lambda a, b, c: a.sigmoid(),
    "relu": lambda a, b, c: a.relu(),
    "abs": lambda a, b, c: abs(a),
    "x**2": lambda a, b, c: a**2,
    "x**3.0": lambda a, b, c: a**3.0,
    "x+y": lambda a, b, c: a + b,
    "x-y": lambda a, b, c: a - b,
    "x*y": lambda a, b, c: a * b,
    "x/y": lambda a, b, c: a / b,
    "|x|**y": lambda a, b, c: abs(a) ** b,
    "x+c": lambda a, b, c: a + c,
    "x-c": lambda a, b, c: a - c,
    "c-x": lambda a, b, c: c - a,
    "x*c": lambda a, b, c: a * c,
    "x/c": lambda a, b, c: a / c,
    "c/x": lambda a, b, c: c / a,
    "|c|**x": lambda a, b, c: abs(c) ** a,
    "sum": lambda a, b, c: Value.sum([a, b, c, a]),
    "dot": lambda a, b, c: Value.dot([a, b, c], [b, 2.0, a]),
}


@st.composite
def graphs(draw):
    """A random graph over a few leaves: every op of the engine, plain numbers folded
    in, Values reused (fan-out) and summed (fan-in). Returns (root, every Value made)."""
    leaves = [
        Value(draw(st.floats(-3, 3, allow_nan=False)), label=f"x{i}")
        for i in range(draw(st.integers(1, 4)))
    ]
    nodes = list(leaves)
    pick = st.integers(0, 10**6)
    for _ in range(draw(st.integers(1, 14))):
        a, b = (nodes[draw(pick) % len(nodes)] for _ in range(2))
        c = draw(st.sampled_from([0.5, 2.0, -1.5, 3.0]))
        try:
            out = OPS[draw(st.sampled_from(sorted(OPS)))](a, b, c)
        except (ValueError, ZeroDivisionError):  # a domain error: log of a negative, 1/0
            continue
        if math.isfinite(out.data) and abs(out.data) < 1e6:
            nodes.append(out)
    root = Value.sum(nodes[-3:]) if draw(st.booleans()) else nodes[-1]
    return root, nodes + [root]


def same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


@settings(max_examples=REPLAYED_GRAPHS, deadline=None, suppress_health_check=list(HealthCheck))
@given(graphs())
def test_every_step_replays_what_backward_does(graph):
    root, _ = graph
    nodes = _graph_of(root)
    for node in nodes:
        node.grad = 0.0
    steps = backward_steps(root)
    assert all(node.grad == 0.0 for node in nodes)  # worked out without touching a grad

    root.backward()
    final = {}
    for step in steps:
        # the upstream is the node's complete gradient: what backward() leaves in it
        assert same(step.upstream, step.node.grad)
        assert same(step.contribution, step.local * step.upstream)
        final[step.parent] = step.total
    # every Value but the root gets its grad from the steps, and it is backward()'s
    assert set(final) == nodes - {root}
    for node, total in final.items():
        assert same(total, node.grad)


def _graph_of(root):
    """Every Value the root depends on, and the root."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(node._prev)
    return seen


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(graphs())
def test_one_step_per_edge_and_every_step_out_of_a_node_after_every_step_into_it(graph):
    root, _ = graph
    steps = backward_steps(root)
    edges = {}
    for node in root._topological_order():  # the interior nodes, root included
        for parent in node._prev:
            edges[(node, parent)] = edges.get((node, parent), 0) + 1
    counted = {}
    for step in steps:
        counted[(step.node, step.parent)] = counted.get((step.node, step.parent), 0) + 1
    assert counted == edges

    last_in, first_out = {}, {}
    for k, step in enumerate(steps):
        last_in[step.parent] = k
        first_out.setdefault(step.node, k)
    for node, k in first_out.items():
        assert last_in.get(node, -1) < k


# --- the contract, case by case -----------------------------------------------------


def test_x_times_x_gives_two_steps_into_x_and_the_sum_of_both():
    x = Value(3.0, label="x")
    steps = backward_steps(x * x)
    assert [(s.parent, s.local, s.upstream, s.contribution, s.total) for s in steps] == [
        (x, 3.0, 1.0, 3.0, 3.0),
        (x, 3.0, 1.0, 3.0, 6.0),  # d(x²)/dx = 2x
    ]


def test_a_leaf_root_has_no_steps():
    x = Value(2.0, label="x")
    steps = backward_steps(x)
    assert len(steps) == 0 and list(steps) == []
    assert "x is a leaf" in steps.text()


def test_steps_is_a_sequence_of_steps_with_the_contract_fields():
    w, x = Value(-0.8, label="w"), Value(1.5, label="x")
    steps = backward_steps(w * x + 1.0)
    assert isinstance(steps, Steps) and len(steps) == 3
    assert steps[-1] is steps[2] and list(steps) == [steps[0], steps[1], steps[2]]
    assert steps[1:] == (steps[1], steps[2])
    first = steps[0]
    assert isinstance(first, Step)
    assert first._fields == ("node", "parent", "local", "upstream", "contribution", "total")
    _, parent, local, upstream, contribution, total = steps[1]
    assert (parent, local, upstream, contribution, total) == (w, 1.5, 1.0, 1.5, 1.5)


def test_a_node_made_with_micrographs_closure_constructor_is_refused_naming_its_op():
    a = Value(2.0)
    square = Value(a.data**2, (a,), "square")

    def _backward():
        a.grad += 2 * a.data * square.grad

    square._backward = _backward
    with pytest.raises(ValueError, match="'square'.*Value.op"):
        backward_steps(square + 1.0)


def test_an_op_made_with_value_op_is_stepped_through():
    x = Value(3.0, label="x")
    cube = Value.op(x.data**3, [x], [3 * x.data**2], "cube")
    [step] = backward_steps(cube)
    assert (step.local, step.total) == (27.0, 27.0)
    assert "x.grad += (∂cube(x)/∂x)·cube(x).grad = 27.00 × 1.000 = 27.00" in str(
        backward_steps(cube)
    )


def test_steps_leave_every_grad_as_it_was():
    w, x = Value(-0.8, label="w"), Value(1.5, label="x")
    w.grad, x.grad = 7.0, None  # whatever the user left there
    z = w * x
    z.grad = -2.0
    steps = backward_steps(z.tanh())
    steps.text()
    steps.grads(1)
    assert (w.grad, x.grad, z.grad) == (7.0, None, -2.0)


def test_grads_after_k_steps_hold_only_what_has_arrived():
    x = Value(2.0, label="x")
    y = x * x + x  # the + passes 1 to x*x and to x, then x*x passes 2 to x twice
    steps = backward_steps(y)
    assert x not in steps.grads(0) and steps.grads(0)[y] == 1.0
    assert [steps.grads(k).get(x) for k in range(len(steps) + 1)] == [None, None, 1.0, 3.0, 5.0]


def test_backward_steps_needs_a_value():
    with pytest.raises(TypeError, match="needs a Value, got float"):
        backward_steps(2.0)


# --- the ledger ------------------------------------------------------------------------


def lecture_neuron():
    """Karpathy's lecture neuron: o = tanh(x1·w1 + x2·w2 + b) with o = 1/√2."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, {"x1": x1, "x2": x2, "w1": w1, "w2": w2, "b": b, "n": n}


def test_the_ledger_of_the_lecture_neuron_has_the_numbers_worked_by_hand():
    o, _ = lecture_neuron()
    lines = backward_steps(o).text().splitlines()
    # by hand: o = tanh(n) = 1/√2, so do/dn = 1 − o² = 1/2; then each + passes 1/2
    # on, and each * gives one factor the other's value times 1/2
    assert lines[0] == "backward from o = 0.7071: o.grad = 1 to start"
    assert (
        lines[1] == "  1. n.grad += (1 - o²)·o.grad = 0.5000 × 1.000 = 0.5000   (n.grad now 0.5000)"
    )
    assert (
        "x1.grad += w1·(x1*w1).grad = -3.000 × 0.5000 = -1.500   (x1.grad now -1.500)" in lines[6]
    )
    assert "w1.grad += x1·(x1*w1).grad = 2.000 × 0.5000 = 1.000   (w1.grad now 1.000)" in lines[7]
    assert lines[-6:] == [
        "the gradients of o:",
        "  x1.grad = -1.500",
        "  w1.grad = 1.000",
        "  x2.grad = 0.5000",
        "  w2.grad = 0.000",
        "  b.grad = 0.5000",
    ]


def bce_neuron():
    """The tour's BCE neuron: L = bce(σ(w·x + b), 1), with the hand-derived δ = a − 1."""
    w, x, b = Value(-0.8, label="w"), Value(1.5, label="x"), Value(0.5, label="b")
    z = w * x + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    loss = bce(a, 1.0)
    loss.label = "L"
    return loss, {"w": w, "x": x, "b": b, "z": z, "a": a}


def test_the_ledger_of_the_bce_neuron_shows_sigmoids_slope_by_its_rule():
    loss, _ = bce_neuron()
    text = backward_steps(loss).text()
    # by hand: z = -0.7, a = σ(z); ∂L/∂a = -1/a, σ'(z) = a(1 - a), ∂L/∂z = a - 1
    s = 1 / (1 + math.exp(0.7))
    rule = f"z.grad += (σ(z)(1 - σ(z)))·a.grad = {four(s * (1 - s))} × {four(-1 / s)}"
    assert rule + f" = {four(s - 1)}" in text
    assert "w.grad += x·z.grad" not in text  # w*x is a node of its own between w and z
    assert f"w.grad += x·(w*x).grad = 1.500 × {four(s - 1)} = {four(1.5 * (s - 1))}" in text
    assert f"  w.grad = {four(1.5 * (s - 1))}" in text.splitlines()


def test_at_a_fan_in_the_ledger_shows_the_sum_building():
    x = Value(3.0, label="x")
    lines = backward_steps(x * x - x).text().splitlines()
    # the - passes -1 to x, then x*x passes x = 3 to x twice: 2x - 1 = 5
    assert lines[2].endswith("(x.grad now -1.000)")
    assert lines[3].endswith("(x.grad now -1.000 + 3.000 = 2.000)")
    assert lines[4].endswith("(x.grad now 2.000 + 3.000 = 5.000)")


@pytest.mark.parametrize(
    "build, rule",
    [
        (lambda x: x * 3, "x.grad += 3·(x*3).grad"),
        (lambda x: x / 4, "x.grad += (1/4)·(x/4).grad"),
        (lambda x: 2 / x, "x.grad += (-2/x²)·(2/x).grad"),
        (lambda x: 5 - x, "x.grad += -1·(5 - x).grad"),
        (lambda x: x**3, "x.grad += (3·x^2)·(x**3).grad"),
        (lambda x: x.exp(), "x.grad += exp(x)·exp(x).grad"),
        (lambda x: x.log(), "x.grad += (1/x)·log(x).grad"),
        (lambda x: x.log1p(), "x.grad += (1/(1 + x))·log1p(x).grad"),
        (lambda x: x.tanh(), "x.grad += (1 - tanh(x)²)·tanh(x).grad"),
        (lambda x: x.sigmoid(), "x.grad += (σ(x)(1 - σ(x)))·sigmoid(x).grad"),
        (lambda x: x.relu(), "x.grad += (1 if x > 0 else 0)·relu(x).grad"),
        (lambda x: x.abs(), "x.grad += sign(x)·abs(x).grad"),
        (lambda x: 2**x, "x.grad += ((2**x)·ln 2)·(2**x).grad"),
        (lambda x: Value.dot([x], [7.0]), "x.grad += 7·(x*7).grad"),
    ],
)
def test_each_local_derivative_is_named_by_its_rule(build, rule):
    x = Value(2.0, label="x")
    assert rule in backward_steps(build(x)).text()


def test_unlabelled_values_are_named_by_their_expression_or_op():
    x = Value(2.0)
    text = backward_steps((x * 3).tanh()).text()
    assert "Value(2.000).grad += 3·(Value(2.000)*3).grad" in text


# --- the page and the animation (their browser checks are in test_steps_browser.py) ----


@needs_dot
def test_the_page_is_one_standalone_document_with_nothing_to_fetch(tmp_path):
    x = Value(3.0, label="x")
    path = backward_steps((x * x).tanh()).save(tmp_path / "steps.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 1
    assert '<input type="range" min="0" max="3"' in page
    assert not re.search(r"<script[^>]+src|<link|<img|<iframe|@import|url\(|fetch\(", page)
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)


@needs_dot
def test_two_viewers_in_one_notebook_get_their_own_ids():
    x = Value(3.0, label="x")
    steps = backward_steps(x * x)
    first, second = steps._repr_html_(), steps._repr_html_()
    assert first.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in first
    ids = [re.search(r"id=&quot;(mx\w+)&quot;", html).group(1) for html in (first, second)]
    assert ids[0] != ids[1]


@needs_dot
def test_the_animation_has_a_frame_for_the_start_and_one_per_step(tmp_path):
    from PIL import Image

    w, x, b = Value(-0.8, label="w"), Value(1.5, label="x"), Value(0.5, label="b")
    z = w * x + b
    steps = backward_steps(z.sigmoid() * z)  # a fan-in at z
    path = steps.save(tmp_path / "steps.gif", deltas={z: 0.1})
    with Image.open(path) as gif:
        assert gif.n_frames == len(steps) + 1
        sizes = set()
        for k in range(gif.n_frames):
            gif.seek(k)
            sizes.add(gif.convert("RGB").size)
    assert len(sizes) == 1
    frames = steps.gif_frames()
    assert len({frame.size for frame in frames}) == 1


@needs_dot
def test_save_writes_the_ledger_as_text_and_refuses_other_extensions(tmp_path):
    x = Value(3.0, label="x")
    steps = backward_steps(x * x)
    assert steps.save(tmp_path / "steps.TXT").read_text(encoding="utf-8") == steps.text() + "\n"
    with pytest.raises(ValueError, match=r"\.png.*\.html.*\.gif.*\.txt"):
        steps.save(tmp_path / "steps.png")
    with pytest.raises(ValueError, match="extensionless"):
        steps.save(tmp_path / "steps")


@needs_dot
def test_the_page_and_the_animation_leave_every_grad_as_it_was(tmp_path):
    x, w = Value(3.0, label="x"), Value(-1.0, label="w")
    y = (x * w).tanh()
    y.backward()
    before = (x.grad, w.grad, y.grad)
    steps = backward_steps(y)
    steps.html(deltas={y: 1.0})
    for suffix in (".html", ".gif", ".txt"):
        steps.save(tmp_path / f"y{suffix}")
    assert (x.grad, w.grad, y.grad) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["y.gif", "y.html", "y.txt"]


@needs_dot
def test_deltas_must_be_values_of_the_graph():
    x = Value(3.0, label="x")
    with pytest.raises(ValueError, match="not in the graph"):
        backward_steps(x * x).html(deltas={Value(1.0): 0.5})


@needs_dot
def test_a_drawing_cut_at_a_depth_still_steps_through_every_edge(tmp_path):
    from PIL import Image

    loss, v = bce_neuron()
    steps = backward_steps(loss)
    page = steps.html(depth=2, deltas={v["z"]: v["a"].data - 1.0})
    assert page.count('class="node"') < steps.html().count('class="node"')
    assert f'max="{len(steps)}"' in page
    with Image.open(steps.save(tmp_path / "cut.gif", depth=2)) as gif:
        assert gif.n_frames == len(steps) + 1


def test_without_graphviz_a_notebook_shows_the_ledger_and_why(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a folder with no dot in it
    x = Value(3.0, label="x")
    html = backward_steps(x * x)._repr_html_()
    assert "install Graphviz" in html and "x.grad now 3.000 + 3.000 = 6.000" in html


def test_a_graph_too_large_for_the_viewer_shows_the_ledger_and_what_to_pass():
    x = Value(1.0, label="x")
    y = x
    for _ in range(600):  # 601 Values, past draw_dot's default of 400
        y = y + x
    html = backward_steps(y)._repr_html_()
    assert "max_nodes=None" in html and "<pre>" in html
