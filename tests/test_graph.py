"""draw_dot and render: what the DOT source holds, and the files it becomes."""

import math
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from micrograd_xent import Value, draw_dot
from micrograd_xent.graph import GraphTooLargeError, GraphvizNotFoundError, render
from micrograd_xent.losses import bce

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def records(dot):
    """The body lines that draw a Value: each shows its data."""
    return [line for line in dot.body if "data " in line]


def op_nodes(dot):
    return [line for line in dot.body if re.match(r"\s*v\d+_op \[", line)]


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
    labels = " ".join(op_nodes(draw_dot(out)))
    for op in ("*", "+", "tanh"):
        assert f"label={op}" in labels or f'label="{op}"' in labels


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
    dot = draw_dot(build(Value(2.0)))
    assert f'label="{text}"' in " ".join(op_nodes(dot))


def op_label(dot):
    """The label of the one op node in ``dot``."""
    (line,) = op_nodes(dot)
    return re.search(r'label="?([^"\]]+)"?', line).group(1)


@pytest.mark.parametrize(
    "build, text",
    [
        (lambda: Value.sum([Value(1.0), 3, Value(2.0)]), "+ 3"),
        (lambda: 0.1 + Value(0.2), "+ 0.1"),  # 0.30000000000000004 − 0.2 is not 0.1 exactly
        (lambda: Value(-1e20) - 3e19, "- 3e+19"),
    ],
)
def test_a_folded_constant_is_recovered_when_rounding_cannot_hide_it(build, text):
    assert op_label(draw_dot(build())) == text


INF = float("inf")


@pytest.mark.parametrize(
    "build, op",
    [
        (lambda: Value(1e20) - 1, "-"),  # 1e20 − 1 rounds to 1e20: the 1 is gone from the data
        (lambda: 1 - Value(1e20), "-"),
        (lambda: Value(1e20) + 10000, "+"),  # rounds to 1e20 + 16384, which is not the 10000
        (lambda: Value.sum([Value(1e20), Value(1.0), 5.0]), "+"),
        (lambda: Value(INF) + 1, "+"),  # inf − inf would show "+ nan"
        (lambda: Value(INF) - 1, "-"),
        (lambda: 1 - Value(INF), "-"),
        (lambda: Value(1.0) - 0, "-"),  # indistinguishable from x − c with c lost
    ],
)
def test_a_constant_that_cannot_be_recovered_exactly_shows_the_bare_op(build, op):
    assert op_label(draw_dot(build())) == op


def test_a_number_base_to_a_value_power_is_shown_as_the_engine_names_it():
    x = Value(3.0, label="x")
    y = Value(8.0)  # 2**x as one node with the single parent x, made by hand
    y._prev, y._local, y._op = (x,), (8.0 * math.log(2.0),), "2**"
    assert op_label(draw_dot(y)) == "2**"
    assert op_label(draw_dot(x**2)) == "**2"


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


def bce_neuron():
    w, x, b = Value(0.5, label="w"), Value(1.5, label="x"), Value(-0.25, label="b")
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
        draw_dot(chain(400))
    message = str(error.value)
    assert "400 Values" in message and "max_nodes=None" in message and "depth=299" in message
    # what a caller (the command line) needs to word its own advice
    assert (error.value.size, error.value.max_nodes, error.value.depth) == (400, 300, 299)


def test_when_no_depth_fits_the_error_suggests_none():
    with pytest.raises(GraphTooLargeError) as error:
        draw_dot(chain(3), max_nodes=0)
    assert error.value.depth is None and "depth=" not in str(error.value)


def test_max_nodes_none_draws_a_large_graph():
    assert len(records(draw_dot(chain(400), max_nodes=None))) == 400


def test_depth_draws_only_the_values_nearest_the_root_and_says_so():
    dot = draw_dot(chain(400), depth=5)
    assert len(records(dot)) == 6
    assert "6 of 400 Values" in dot.source
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
