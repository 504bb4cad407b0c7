"""draw_dot and render: what the DOT source holds, and the files it becomes."""

import html
import math
import random
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_xent import Value, draw_dot
from micrograd_xent.graph import (
    GraphTooLargeError,
    GraphvizFailedError,
    GraphvizNotFoundError,
    render,
)
from micrograd_xent.losses import bce

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def records(dot):
    """The body lines that draw a Value: each shows its data."""
    return [line for line in dot.body if "data " in line]


def op_nodes(dot):
    return [line for line in dot.body if re.match(r"\s*v\d+_op \[", line)]


def op_texts(dot):
    """What each op node shows, as a reader sees it (the HTML-like label unescaped)."""
    return [html.unescape(re.search(r"label=<(.*?)> ", line).group(1)) for line in op_nodes(dot)]


def edge_label(dot, tail, head):
    for line in dot.body:
        if re.match(rf"\s*{tail} -> {head}\b", line):
            found = re.search(r'label="?([^"\]]+)"?', line)
            return found.group(1) if found else None
    raise AssertionError(f"no edge {tail} -> {head}")


def neuron():
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.5, label="b")
    n = x * w + b
    n.label = "n"
    out = n.tanh()
    out.label = "out"
    out.backward()
    return out, x, w, b


def test_one_record_per_unique_value_and_one_op_node_per_operation():
    x = Value(3.0, label="x")
    y = x * x + x  # x used three times, still one node
    y.backward()
    dot = draw_dot(y)
    assert len(records(dot)) == 3  # x, x*x, y
    assert len(op_nodes(dot)) == 2  # *, +


def test_records_show_label_data_and_grad():
    out, x, w, b = neuron()
    source = draw_dot(out).source
    # x.grad = w·(1 − tanh²(0.5)), written out by hand
    expected_x_grad = -3.0 * (1 - math.tanh(0.5) ** 2)
    assert "<b>x</b>" in source and "<b>out</b>" in source
    assert "data 2.000" in source and "data -3.000" in source
    assert f"grad {expected_x_grad:.4g}" in source
    assert f"data {math.tanh(0.5):.4f}" in source


def test_op_nodes_show_the_operation():
    out, *_ = neuron()
    assert sorted(op_texts(draw_dot(out))) == ["*", "+", "tanh"]


@pytest.mark.parametrize(
    "build, text",
    [
        (lambda x: x * 3, "* 3"),
        (lambda x: x + 0.001, "+ 0.001"),
        (lambda x: x - 2, "- 2"),
        (lambda x: 3 - x, "3 -"),
        (lambda x: x / 4, "/ 4"),
        (lambda x: 5 / x, "5 /"),
    ],
)
def test_a_number_folded_into_an_op_is_shown_in_the_op_node(build, text):
    assert op_texts(draw_dot(build(Value(2.0)))) == [text]


def op_label(dot):
    """The text of the one op node in ``dot``."""
    (text,) = op_texts(dot)
    return text


INF = float("inf")


@pytest.mark.parametrize(
    "build, text",
    [
        (lambda: Value.sum([Value(1.0), 3, Value(2.0)]), "+ 3"),
        (lambda: Value.sum([Value(1.0), 3, 4.5]), "+ 7.5"),
        (lambda: Value.sum([Value(1.0), Value(2.0)]), "+"),
        (lambda: 0.1 + Value(0.2), "+ 0.1"),  # 0.30000000000000004 − 0.2 is not 0.1 exactly
        (lambda: Value(-1e20) - 3e19, "- 3e+19"),
        # where the data has lost the number, the drawing still shows it
        (lambda: Value(1e20) - 1, "- 1"),  # 1e20 − 1 rounds to 1e20
        (lambda: 1 - Value(1e20), "1 -"),
        (lambda: Value(1e20) + 10000, "+ 1e+04"),
        (lambda: Value(INF) + 1, "+ 1"),
        (lambda: 1 - Value(INF), "1 -"),
        (lambda: Value(1.0) - 0, "- 0"),
        (lambda: Value(1.0) + Value(2.0), "+"),
        (lambda: Value(1.0) - Value(2.0), "-"),
        (lambda: Value(1.0) * Value(2.0), "*"),
        (lambda: Value(1.0) / Value(2.0), "/"),
        (lambda: Value(3.0) ** 2, "**2"),
        (lambda: Value(3.0) ** -0.5, "**-0.5"),
        (lambda: Value(3.0) ** Value(2.0), "**"),
        (lambda: 2 ** Value(3.0), "2**"),
        (lambda: -Value(3.0), "neg"),
        (lambda: Value.dot([Value(1.0), 2.0], [3.0, Value(4.0)]), "dot"),
        (lambda: Value(0.5).log1p(), "log1p"),
        (lambda: Value(-0.5).abs(), "abs"),
    ],
)
def test_each_op_shows_the_number_the_engine_recorded(build, text):
    assert op_label(draw_dot(build())) == text


def test_an_op_made_with_value_op_shows_its_name_and_local_derivative():
    x = Value(3.0, label="x")
    cube = Value.op(27.0, [x], [27.0], "cube")
    dot = draw_dot(cube, edge_labels=True)
    assert op_label(dot) == "cube" and edge_label(dot, "v0", "v1_op") == "27.00"


def test_an_op_made_with_micrograds_closure_draws_without_edge_labels():
    x = Value(3.0, label="x")
    out = Value(x.data**2, (x,), "square")

    def _backward():
        x.grad += 2 * x.data * out.grad

    out._backward = _backward
    out.backward()
    dot = draw_dot(out, edge_labels=True)
    assert op_label(dot) == "square" and edge_label(dot, "v0", "v1_op") is None
    assert "grad 6.000" in dot.source


def test_a_sum_of_many_terms_is_one_plus_node():
    terms = [Value(float(i)) for i in range(5)]
    dot = draw_dot(Value.sum(terms))
    assert len(records(dot)) == 6
    assert len(op_nodes(dot)) == 1


def test_edge_labels_show_the_local_derivative_only_when_asked():
    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    z = x * y
    plain, labelled = draw_dot(z), draw_dot(z, edge_labels=True)
    names = {v: f"v{i}" for i, v in enumerate([x, y, z])}  # drawing order: inputs first
    assert edge_label(plain, names[x], "v2_op") is None
    assert edge_label(labelled, names[x], "v2_op") == "-3.000"  # ∂(xy)/∂x = y
    assert edge_label(labelled, names[y], "v2_op") == "2.000"
    assert "local derivative" in labelled.source


def test_leaves_and_root_are_coloured_apart_from_interior_nodes():
    out, *_ = neuron()
    fill = {
        re.search(r"<b>(\w+)</b>", line).group(1): re.search(r'bgcolor="([^"]+)"', line).group(1)
        for line in records(draw_dot(out))
        if "<b>" in line
    }
    assert fill["x"] == fill["w"] == fill["b"]
    assert len({fill["x"], fill["n"], fill["out"]}) == 3


def bce_neuron(x=1.5, b=-0.25):
    """z = w·x + b with w = 0.5, L = bce(σ(z), 1)."""
    w, x, b = Value(0.5, label="w"), Value(x, label="x"), Value(b, label="b")
    z = w * x + b
    z.label = "z"
    loss = bce(z.sigmoid(), 1.0)
    loss.backward()
    return loss, z


def test_a_matching_hand_delta_is_marked_ok_in_green():
    loss, z = bce_neuron()
    hand = 1 / (1 + math.exp(-z.data)) - 1.0  # δ = σ(z) − y for bce after a sigmoid
    line = next(line for line in records(draw_dot(loss, deltas={z: hand})) if "<b>z</b>" in line)
    assert f"hand {hand:.4f}" in line and "ok" in line
    assert "#c6efce" in line


def test_a_wrong_hand_delta_is_marked_mismatch_in_red():
    loss, z = bce_neuron()
    line = next(line for line in records(draw_dot(loss, deltas={z: 0.5})) if "<b>z</b>" in line)
    assert "MISMATCH" in line and "#ffc7ce" in line


def test_deltas_for_a_value_outside_the_graph_is_an_error():
    loss, _ = bce_neuron()
    with pytest.raises(ValueError, match="not in the graph"):
        draw_dot(loss, deltas={Value(1.0): 0.0})


def chain(n):
    x = Value(0.1, label="x")
    for _ in range(n - 1):
        x = x * 1.0
    return x


def test_a_graph_over_max_nodes_is_refused_with_size_and_ways_out():
    with pytest.raises(GraphTooLargeError) as error:
        draw_dot(chain(600))
    message = str(error.value)
    # a chain has one Value per depth, so depth=399 is 400 Values: the default limit
    assert "600 Values" in message and "max_nodes=None" in message and "depth=399" in message
    # what a caller (the command line) needs to word its own advice
    assert (error.value.size, error.value.max_nodes, error.value.depth) == (600, 400, 399)


@pytest.mark.parametrize("n", [100_001, 1_000_000])
def test_a_huge_graph_is_refused_naming_the_ways_out(n):
    with pytest.raises(GraphTooLargeError, match=rf"{n} Values.*max_nodes=None.*depth=399"):
        draw_dot(chain(n))


@pytest.mark.parametrize("n", [1_000, 4_000])
def test_the_size_check_is_one_pass_over_the_graph(n):
    # counted in lines of graph.py run, not seconds: one pass is a few lines per Value,
    # a check that rescans the graph per depth (30 s at 10^5 Values) is n²/2 of them
    root, lines = chain(n), 0

    def count(frame, event, arg):
        nonlocal lines
        if frame.f_code.co_filename.endswith("graph.py"):
            lines += event == "line"
            return count
        return None

    sys.settrace(count)
    try:
        with pytest.raises(GraphTooLargeError):
            draw_dot(root)
    finally:
        sys.settrace(None)
    assert lines < 30 * n


def test_a_wide_graph_is_refused_with_the_depth_that_fits():
    leaves = [Value(float(i)) for i in range(1000)]
    root = Value.sum(leaves).tanh()  # depth 0: root, 1: the sum, 2: 1000 leaves
    with pytest.raises(GraphTooLargeError, match="depth=1 to draw the 2 nearest") as error:
        draw_dot(root)
    assert error.value.size == 1002


def lecture_mlp_loss():
    """Karpathy's lecture, written as there: MLP(3, [4, 4, 1]) of tanh neurons,
    four examples, the summed squared error."""
    rng = random.Random(0)

    def neuron(nin):
        return [Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(rng.uniform(-1, 1))

    def layer(nin, nout):
        return [neuron(nin) for _ in range(nout)]

    network = [layer(3, 4), layer(4, 4), layer(4, 1)]

    def forward(x):
        for neurons in network:
            x = [sum((wi * xi for wi, xi in zip(w, x)), b).tanh() for w, b in neurons]
        return x[0]

    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    ypred = [forward(x) for x in xs]
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
    loss.backward()
    return loss


def distinct_values(root):
    seen, todo = {root}, [root]
    while todo:
        for parent in todo.pop()._prev:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_the_lecture_mlp_over_four_examples_draws_by_default():
    loss = lecture_mlp_loss()
    size = len(distinct_values(loss))
    assert 330 <= size <= 400  # "about 350 Values"
    assert len(records(draw_dot(loss))) == size


def test_max_nodes_none_draws_a_large_graph():
    assert len(records(draw_dot(chain(1000), max_nodes=None))) == 1000


def test_depth_draws_only_the_values_nearest_the_root_and_says_so():
    dot = draw_dot(chain(1000), depth=5)
    assert len(records(dot)) == 6
    assert "6 of 1000 Values" in dot.source
    assert "style=dashed" in dot.source  # the cut op, drawn as a hint


def test_draw_dot_refuses_a_non_value():
    with pytest.raises(TypeError, match="draw_dot"):
        draw_dot(3.0)


def test_jupyter_displays_the_graph_as_svg():
    out, *_ = neuron()
    dot = draw_dot(out)
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot not installed")
    bundle = dot._repr_mimebundle_()
    ET.fromstring(bundle["image/svg+xml"])


@needs_dot
def test_render_svg_is_xml(tmp_path):
    out, *_ = neuron()
    path = render(out, tmp_path / "neuron.svg")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert "data 2.000" in path.read_text(encoding="utf-8")


@needs_dot
def test_render_png_has_the_png_signature(tmp_path):
    out, *_ = neuron()
    path = render(draw_dot(out, edge_labels=True), tmp_path / "neuron.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_gv_writes_the_dot_source(tmp_path):
    out, *_ = neuron()
    path = render(out, tmp_path / "neuron.gv")
    assert path.read_text(encoding="utf-8").startswith("digraph")


def test_render_refuses_an_unknown_extension(tmp_path):
    with pytest.raises(ValueError, match=r"\.jpg.*\.svg or \.png"):
        render(Value(1.0), tmp_path / "graph.jpg")


def test_render_refuses_a_path_without_extension_in_plain_english(tmp_path):
    with pytest.raises(ValueError, match="cannot write an extensionless file"):
        render(Value(1.0), tmp_path / "graph")


def test_without_dot_rendering_says_how_to_install_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a folder with no dot in it
    out, *_ = neuron()
    with pytest.raises(GraphvizNotFoundError) as error:
        render(out, tmp_path / "neuron.svg")
    message = str(error.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda", "winget", ".gv"):
        assert hint in message
    assert isinstance(error.value, RuntimeError)
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_without_dot_the_digraph_itself_gives_the_same_message(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    dot = draw_dot(Value(1.0))
    with pytest.raises(GraphvizNotFoundError, match="install Graphviz"):
        dot.pipe(format="svg")
    with pytest.raises(GraphvizNotFoundError, match="install Graphviz"):
        dot.render(tmp_path / "graph")


def test_without_dot_the_source_can_still_be_saved(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    path = render(Value(1.0, label="x"), tmp_path / "graph.dot")
    assert "<b>x</b>" in path.read_text(encoding="utf-8")


def test_a_delta_on_a_node_cut_off_by_depth_is_reported_in_the_caption():
    z = Value(0.5, label="z")
    loss = ((z.sigmoid() - 1.0) ** 2).tanh()
    loss.backward()
    dot = draw_dot(loss, depth=1, deltas={z: 0.0})
    assert "1 Value(s) with a hand-derived δ lie beyond this depth" in dot.source


@pytest.mark.parametrize(
    "options, error, argument",
    [
        ({"depth": 1.5}, TypeError, "depth"),
        ({"depth": math.nan}, TypeError, "depth"),
        ({"depth": True}, TypeError, "depth"),
        ({"depth": "2"}, TypeError, "depth"),
        ({"depth": -1}, ValueError, "depth"),
        ({"max_nodes": 10.0}, TypeError, "max_nodes"),
        ({"max_nodes": -5}, ValueError, "max_nodes"),
        ({"rankdir": "XY"}, ValueError, "rankdir"),
        ({"rankdir": None}, TypeError, "rankdir"),
        ({"format": "jpeg2000"}, ValueError, "format"),
        ({"format": 3}, TypeError, "format"),
        ({"deltas": [1.0]}, TypeError, "deltas"),
        ({"deltas": {"z": 1.0}}, TypeError, "deltas"),
        ({"deltas": "oops"}, TypeError, "deltas"),
    ],
)
def test_a_bad_option_is_an_error_naming_the_argument(options, error, argument):
    out, *_ = neuron()
    with pytest.raises(error, match=rf"draw_dot: {argument}\b"):
        draw_dot(out, **options)


def test_a_bad_delta_value_is_an_error_naming_deltas():
    loss, z = bce_neuron()
    with pytest.raises(TypeError, match="deltas"):
        draw_dot(loss, deltas={z: "0.5"})


def test_render_refuses_what_is_not_a_graph_naming_the_argument(tmp_path):
    with pytest.raises(TypeError, match="render: graph must be a Value or a graphviz.Digraph"):
        render(3, tmp_path / "a.svg")
    with pytest.raises(TypeError, match="render: path"):
        render(Value(1.0), 3)


def test_numpy_integers_are_whole_numbers_for_depth():
    np = pytest.importorskip("numpy")
    assert len(records(draw_dot(chain(10), depth=np.int64(2)))) == 3


def readme_example():
    """README's Jupyter example: x = 2, b = −0.3."""
    return bce_neuron(x=2.0, b=-0.3)


def delta_row(dot):
    return next(line for line in records(dot) if "δ autograd" in line)


@pytest.mark.parametrize("hand", [-0.3318, -0.33181, -0.331812227831834])
def test_a_hand_delta_that_agrees_to_the_four_digits_drawn_is_ok(hand):
    loss, z = readme_example()
    exact = 1 / (1 + math.exp(-(0.5 * 2.0 - 0.3))) - 1.0  # σ(z) − y, as the book derives
    assert f"{z.grad:.4g}" == f"{hand:.4g}" == "-0.3318" and z.grad == pytest.approx(exact)
    line = delta_row(draw_dot(loss, deltas={z: hand}))
    assert "ok" in line and "MISMATCH" not in line


@pytest.mark.parametrize("hand", [-0.3317, -0.3319, 0.3318, math.nan])
def test_a_hand_delta_off_in_the_digits_drawn_is_a_mismatch(hand):
    loss, z = readme_example()
    assert "MISMATCH" in delta_row(draw_dot(loss, deltas={z: hand}))


def test_deltas_either_side_of_a_rounding_boundary_agree_when_nearly_equal():
    z = Value(0.33185, label="z")  # a leaf root: grad 1 after backward
    z.grad = 0.33185000000000003  # drawn as 0.3319 (just above the half)
    hand = 0.33184999999999998  # drawn as 0.3318, and 1e-16 away
    assert f"{z.grad:.4g}" != f"{hand:.4g}"
    assert "ok" in delta_row(draw_dot(z, deltas={z: hand}))


def test_drawing_does_not_touch_any_grad():
    loss, z = readme_example()
    nodes = distinct_values(loss)
    before = {node: node.grad for node in nodes}
    draw_dot(loss, edge_labels=True, deltas={z: -0.3318}, depth=3)
    draw_dot(loss)
    assert {node: node.grad for node in nodes} == before


def test_a_grad_reset_to_none_is_drawn_as_none():
    x = Value(2.0, label="x")
    y = x * 3
    y.grad = None  # as code that resets grads PyTorch's way does
    assert "grad None" in draw_dot(y).source


HOSTILE_LABELS = {
    "nul": "a\x00b",
    "control": "a\x01b\x1b[31m",
    "noncharacter": "a\ufffeb\uffff",
    "surrogate": "a\udcffb",  # an undecodable byte, as the command line hands it on
    "newline": "two\nlines\ttab",
    "markup": "<b>bold</b> & \"quote\" 'single' <br/> ]]>",
    "record": "{a|<f0> b}",
    "bracket": "]",  # dot's lexer fails on a text of just ] or ]]
    "brackets": "]]",
    "backslash": "\\N \\G \\l \\",
    "long": "δ" * 8500,  # 17 KB of UTF-8: over Graphviz's 16 KB label limit
}


def svg_text(svg_bytes):
    """All the text an SVG shows, in document order."""
    root = ET.fromstring(svg_bytes)
    return [element.text or "" for element in root.iter() if element.tag.endswith("text")]


@needs_dot
@pytest.mark.parametrize("name", HOSTILE_LABELS)
def test_any_label_text_renders(name):
    x = Value(1.5, label=HOSTILE_LABELS[name])
    y = x * 2
    y.label = HOSTILE_LABELS[name]
    y.backward()
    texts = svg_text(draw_dot(y).pipe(format="svg"))
    assert "data 1.500" in texts and "data 3.000" in texts


@needs_dot
def test_labels_show_markup_as_text_and_control_characters_as_escapes():
    expected = {  # what a reader sees: markup as typed, the invisible as its Python escape
        "markup": "<b>bold</b> & \"quote\" 'single' <br/> ]]>",
        "record": "{a|<f0> b}",
        "bracket": "]",
        "nul": "a\\x00b",
        "noncharacter": "a\\ufffeb\\uffff",
        "surrogate": "a\\udcffb",
    }
    for name, shown in expected.items():
        texts = svg_text(draw_dot(Value(1.0, label=HOSTILE_LABELS[name])).pipe(format="svg"))
        assert shown in texts, name


def test_an_over_long_label_is_shortened_with_an_ellipsis():
    source = draw_dot(Value(1.0, label="δ" * 8500)).source
    shown = re.search(r"<b>(δ+…)</b>", source).group(1)
    assert 10 <= len(shown) <= 100


@needs_dot
def test_an_op_name_with_markup_or_escapes_renders_as_written():
    x = Value(2.0, label="x")
    y = Value(4.0)  # an op made by hand, named as a user might
    y._prev, y._local, y._op = (x,), (2.0,), "<sq> \\N & \x07"
    assert op_label(draw_dot(y)) == "<sq> \\N & \\x07"
    draw_dot(y).pipe(format="svg")


@needs_dot
def test_every_ascii_character_alone_or_repeated_renders_as_a_label():
    # one graph, one run of dot: Value.sum of a leaf per label
    labels = [chr(i) * n for i in range(128) for n in (1, 2, 3)]
    root = Value.sum(Value(1.0, label=label) for label in labels)
    texts = svg_text(draw_dot(root, max_nodes=None).pipe(format="svg"))
    assert texts.count("data 1.000") == len(labels)


@needs_dot
@settings(max_examples=60, deadline=None)
@given(label=st.text(max_size=300))
def test_any_text_as_a_label_renders_to_svg(label):
    x = Value(1.0, label=label)
    y = (x * 2).tanh()
    y.label = label
    ET.fromstring(draw_dot(y).pipe(format="svg"))


def test_a_failing_dot_is_one_clear_error(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: something broke' >&2\necho second line >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizFailedError, match=r"exit status 3\): Error: something broke$"):
        render(Value(1.0), tmp_path / "g.svg")
    with pytest.raises(GraphvizFailedError):
        draw_dot(Value(1.0)).pipe(format="svg")


def test_a_crashing_dot_is_named_as_a_crash(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\nkill -SEGV $$\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        GraphvizFailedError, match=r"^Graphviz's dot crashed \(SIGSEGV\): no message$"
    ):
        render(Value(1.0), tmp_path / "g.svg")
