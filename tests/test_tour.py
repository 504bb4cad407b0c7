"""``micrograd-xent tour`` end to end: the report, its files and its numbers."""

import contextlib
import io
import json
import math
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from micrograd_xent import experiments as ex
from micrograd_xent import tour as tour_module
from micrograd_xent.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GRAPHS = ("neuron_tanh", "neuron_bce", "softmax_cross_entropy")

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    """One run of the command into a fresh folder: (folder, exit status, stdout, stderr)."""
    out = tmp_path_factory.mktemp("tour") / "report"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(["tour", "--out", str(out)])
    return out, status, stdout.getvalue(), stderr.getvalue()


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.files = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and not value.startswith("#"):
                self.files.append(value)


def referenced_files(index):
    parser = Links()
    parser.feed(index.read_text(encoding="utf-8"))
    return parser.files


def test_tour_exits_0_and_prints_the_path_of_index_html(tour):
    out, status, stdout, _ = tour
    assert status == 0
    assert str((out / "index.html").resolve()) in stdout


def test_tour_writes_every_file_index_html_references(tour):
    out = tour[0]
    files = referenced_files(out / "index.html")
    figures = {"slowdown.png", "only_printed.png", "landscape.png", "moons.png"}
    assert figures | {"compare.json", "compare.md"} <= set(files)
    for name in files:
        path = out / name
        assert path.is_file(), f"index.html shows {name}, which was not written"
        if name.endswith(".png"):
            assert path.read_bytes().startswith(PNG_SIGNATURE)
            assert path.stat().st_size > 10_000, f"{name} looks empty"


def test_tour_prints_the_summary_with_the_slowdown_figures(tour):
    out, _, stdout, _ = tour
    assert stdout.startswith((out / "summary.txt").read_text(encoding="utf-8"))
    quadratic_saturated = ex.learning_slowdown()[1]
    assert quadratic_saturated.start == (2.0, 2.0)
    epoch = ex.first_epoch_below(quadratic_saturated.outputs, 0.5)
    start = quadratic_saturated.outputs[0]
    assert f"slowdown: quadratic from (w, b) = (2.0, 2.0): output {start:.3f} → " in stdout
    assert f"below 0.5 at epoch {epoch}" in stdout


def test_tour_shows_progress_on_stderr_as_a_step_counter(tour):
    steps = re.findall(r"^\[(\d+)/(\d+)\] ", tour[3], flags=re.MULTILINE)
    total = int(steps[0][1])
    assert [int(k) for k, _ in steps] == list(range(1, total + 1))


def test_report_text_quotes_the_runs_numbers(tour):
    page = (tour[0] / "index.html").read_text(encoding="utf-8")
    runs = ex.learning_slowdown()
    assert f"outputs {runs[1].outputs[0]:.2f}" in page  # 0.98, Nielsen's saturated start
    for run in runs:
        assert f"<td>{run.outputs[0]:.3f}</td>" in page
        assert f"<td>{run.outputs[-1]:.3f}</td>" in page
    assert "{" not in page.split("</style>")[1], "an unformatted placeholder in the text"


def test_tour_into_a_path_that_is_a_file_exits_2_with_one_line(tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    assert main(["tour", "--out", str(blocker)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("micrograd-xent: error: tour: cannot write the report to")


def test_tour_writes_every_file_its_summary_lists(tour):
    out, _, stdout, _ = tour
    wrote = next(line for line in stdout.splitlines() if line.startswith("wrote "))
    names = re.split(r", | and ", wrote.removeprefix("wrote "))
    assert {"index.html", "summary.txt", "compare.json", "compare.md"} <= set(names)
    for name in names:
        assert (out / name).is_file(), f"the summary lists {name}, which was not written"


# --- the graphs ---------------------------------------------------------------------


@needs_dot
@pytest.mark.parametrize("name", GRAPHS)
def test_tour_renders_each_graph_to_svg_and_png_and_shows_the_png(tour, name):
    out = tour[0]
    assert (out / f"{name}.png").read_bytes().startswith(PNG_SIGNATURE)
    assert ET.parse(out / f"{name}.svg").getroot().tag.endswith("svg")
    assert f"{name}.png" in referenced_files(out / "index.html")


@needs_dot
@pytest.mark.parametrize("name, annotated", [("neuron_bce", 1), ("softmax_cross_entropy", 3)])
def test_every_hand_delta_drawn_agrees_with_autograd(tour, name, annotated):
    svg = (tour[0] / f"{name}.svg").read_text(encoding="utf-8")
    assert svg.count("δ autograd") == annotated
    assert "MISMATCH" not in svg


def values_by_label(root):
    found, stack = {}, [root]
    while stack:
        node = stack.pop()
        if node.label:
            found[node.label] = node
        stack.extend(node._prev)
    return found


def test_tanh_neuron_has_micrograds_labels_and_gradients():
    drawing = tour_module.tanh_neuron()
    v = values_by_label(drawing.root)
    assert {"x1", "x2", "w1", "w2", "b", "x1*w1", "x2*w2", "x1*w1 + x2*w2", "n", "o"} <= set(v)
    x1, x2, w1, w2, b = (tour_module.TANH_NEURON[k] for k in ("x1", "x2", "w1", "w2", "b"))
    o = math.tanh(x1 * w1 + x2 * w2 + b)
    assert o == pytest.approx(1 / math.sqrt(2))  # the lecture's choice of b
    dn = 1 - o * o
    expected = {"x1": w1 * dn, "w1": x1 * dn, "x2": w2 * dn, "w2": x2 * dn, "b": dn}
    for label, grad in expected.items():
        assert v[label].grad == pytest.approx(grad, abs=1e-12)


def test_bce_neuron_hand_delta_is_sigmoid_of_z_minus_y_like_autograd():
    drawing = tour_module.bce_neuron()
    ((z, hand),) = drawing.options["deltas"].items()
    p = tour_module.BCE_NEURON
    zz = p["w"] * p["x"] + p["b"]
    expected = 1 / (1 + math.exp(-zz)) - p["y"]
    assert z.label == "z" and z.data == pytest.approx(zz)
    assert hand == pytest.approx(expected, abs=1e-12)
    assert z.grad == pytest.approx(expected, abs=1e-12)
    assert f"{expected:.6f}" in drawing.caption


def test_softmax_hand_deltas_are_p_minus_onehot_like_autograd():
    drawing = tour_module.softmax_cross_entropy()
    logits, target = tour_module.SOFTMAX["logits"], tour_module.SOFTMAX["target"]
    total = sum(math.exp(z) for z in logits)
    expected = [math.exp(z) / total - (i == target) for i, z in enumerate(logits)]
    nodes, hands = zip(*drawing.options["deltas"].items())
    assert [z.data for z in nodes] == list(logits)
    assert list(hands) == pytest.approx(expected, abs=1e-12)
    assert [z.grad for z in nodes] == pytest.approx(expected, abs=1e-12)


def test_without_dot_the_graphs_are_saved_as_dot_source_with_install_help(tmp_path, monkeypatch):
    empty = tmp_path / "no-dot-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    section = tour_module.graphs_section(tmp_path)
    for name in GRAPHS:
        assert (tmp_path / f"{name}.gv").read_text(encoding="utf-8").startswith("digraph")
        assert not (tmp_path / f"{name}.png").exists()
    assert section.figures == []
    assert "apt-get install graphviz" in section.text
    assert any("install Graphviz" in line for line in section.summary)


# --- the comparison -----------------------------------------------------------------


def test_comparison_json_parses_and_every_pair_agrees(tour):
    out = tour[0]
    document = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert document["ok"] is True
    pairs = {(c["loss"], c["activation"]) for c in document["comparisons"]}
    assert {("bce", "sigmoid"), ("cross_entropy", "softmax"), ("mse", "linear")} <= pairs
    for comparison in document["comparisons"]:
        layers = {row["layer"] for row in comparison["rows"]}
        assert layers == {2, 3}, "the hidden layer (2) and the output layer (3)"
    assert (out / "compare.md").read_text(encoding="utf-8").count("| layer |") == len(pairs)


def test_report_shows_the_comparison_summary_and_a_table_per_pair(tour):
    out, _, stdout, _ = tour
    page = (out / "index.html").read_text(encoding="utf-8")
    document = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert page.count("<details>") == len(document["comparisons"])
    assert f"max |diff| {document['max_diff']:.1e}" in page
    assert f"max |diff| {document['max_diff']:.1e}" in stdout
