"""``micrograd-xent tour`` end to end: the report, its files and its numbers.

``tour`` (tests/conftest.py) is one run of the command, shared with the browser test.
"""

import html
import json
import math
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from oracles import first_index_below, train_sigmoid_neuron
from PIL import Image

from micrograd_xent import experiments
from micrograd_xent.cli import main
from micrograd_xent.tour import backward, graphs

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GRAPHS = ("neuron_tanh", "neuron_bce", "softmax_cross_entropy")

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


class Tables(HTMLParser):
    """Every table of a page as rows of cell texts, the header row first."""

    def __init__(self):
        super().__init__()
        self.tables = []
        self.in_cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.tables[-1][-1].append("")
            self.in_cell = True

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.in_cell = False

    def handle_data(self, data):
        if self.in_cell:
            self.tables[-1][-1][-1] += data


def table_headed(page, first_columns):
    parser = Tables()
    parser.feed(page)
    return next(t for t in parser.tables if t[0][: len(first_columns)] == first_columns)


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
    figures = {"slowdown.png", "printed_loss.png", "landscape.png", "moons.png"}
    figures |= {"which_pairs_cancel.png", "curvature.png", "curvature_landscape.png", "newton.png"}
    assert figures | {"compare.json", "compare.md"} <= set(files)
    for name in files:
        path = out / name
        assert path.is_file(), f"index.html shows {name}, which was not written"
        if name.endswith(".png"):
            assert path.read_bytes().startswith(PNG_SIGNATURE)
            assert path.stat().st_size > 10_000, f"{name} looks empty"


# Nielsen's neuron in plain floats with hand-derived gradients: (cost, w, b) → outputs
NIELSEN_RUNS = {
    (cost, w, b): train_sigmoid_neuron(cost, w, b, epochs=300)[0]
    for cost in ("quadratic", "bce")
    for w, b in ((0.6, 0.9), (2.0, 2.0))
}


def test_tour_prints_the_summary_with_the_slowdown_figures(tour):
    out, _, stdout, _ = tour
    assert stdout.startswith((out / "summary.txt").read_text(encoding="utf-8"))
    for (cost, w, b), outputs in NIELSEN_RUNS.items():
        epoch = first_index_below(outputs, 0.5)
        assert (
            f"slowdown: {cost:9} from (w, b) = ({w}, {b}): output {outputs[0]:.3f} → "
            f"{outputs[-1]:.3f} after 300 epochs; below 0.5 at epoch {epoch}\n"
        ) in stdout


def test_tour_shows_progress_on_stderr_as_a_step_counter(tour):
    steps = re.findall(r"^\[(\d+)/(\d+)\] ", tour[3], flags=re.MULTILINE)
    total = int(steps[0][1])
    assert [int(k) for k, _ in steps] == list(range(1, total + 1))


def test_report_text_quotes_the_runs_numbers(tour):
    page = (tour[0] / "index.html").read_text(encoding="utf-8")
    saturated = NIELSEN_RUNS["quadratic", 2.0, 2.0]
    assert f"outputs {saturated[0]:.2f}" in page  # 0.98, Nielsen's saturated start
    for outputs in NIELSEN_RUNS.values():
        assert f"<td>{outputs[0]:.3f}</td>" in page
        assert f"<td>{outputs[-1]:.3f}</td>" in page
    assert "{" not in page.split("</style>")[1], "an unformatted placeholder in the text"


def first_screen(page):
    """The part of index.html before the contents: the answer in brief."""
    return page.split("<h2>Contents</h2>")[0]


def test_report_leads_with_the_output_deltas_the_bce_graph_and_the_slowdown(tour):
    lead = first_screen((tour[0] / "index.html").read_text(encoding="utf-8"))
    # the δ_L of each pair, by hand as a formula and as this run's number
    for pair, formula in [
        ("quadratic + sigmoid", "(a − y) ⊙ σ'(z)"),
        ("bce + sigmoid", "(a − y)/n"),
        ("cross_entropy + softmax", "p − onehot(y)"),
    ]:
        assert f"<td>{pair}</td><td>{formula}</td>" in lead.replace("&#x27;", "'")
    assert 'src="slowdown.png"' in lead
    saturated = NIELSEN_RUNS["quadratic", 2.0, 2.0]
    fast = NIELSEN_RUNS["bce", 2.0, 2.0]
    assert f"needs {first_index_below(saturated, 0.5)} epochs" in lead
    assert f"cross-entropy {first_index_below(fast, 0.5)}." in lead


@needs_dot
def test_the_first_screen_shows_the_bce_graph_with_delta_at_z(tour):
    lead = first_screen((tour[0] / "index.html").read_text(encoding="utf-8"))
    assert 'src="neuron_bce.svg"' in lead
    z = 1.5 * -0.8 + 0.5
    assert f"by hand σ(z) − y {1 / (1 + math.exp(-z)) - 1:.6f}" in lead


def test_the_lead_table_quotes_the_comparisons_output_deltas(tour):
    out = tour[0]
    lead = first_screen((out / "index.html").read_text(encoding="utf-8"))
    document = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    for comparison in document["comparisons"]:
        output_layer = len(comparison["layers"])
        first = next(
            row
            for row in comparison["rows"]
            if row["layer"] == output_layer and row["parameter"] == "δ"
        )
        assert f"<td>{first['autograd']:.6f}</td><td>{first['hand_derived']:.6f}</td>" in lead


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
def test_tour_renders_each_graph_to_svg_and_png_and_shows_one(tour, name):
    out = tour[0]
    assert (out / f"{name}.png").read_bytes().startswith(PNG_SIGNATURE)
    assert ET.parse(out / f"{name}.svg").getroot().tag.endswith("svg")
    assert {f"{name}.png", f"{name}.svg"} & set(referenced_files(out / "index.html"))


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
    drawing = graphs.tanh_neuron()
    v = values_by_label(drawing.root)
    assert {"x1", "x2", "w1", "w2", "b", "x1*w1", "x2*w2", "x1*w1 + x2*w2", "n", "o"} <= set(v)
    x1, x2, w1, w2, b = (graphs.TANH_NEURON[k] for k in ("x1", "x2", "w1", "w2", "b"))
    o = math.tanh(x1 * w1 + x2 * w2 + b)
    assert o == pytest.approx(1 / math.sqrt(2))  # the lecture's choice of b
    dn = 1 - o * o
    expected = {"x1": w1 * dn, "w1": x1 * dn, "x2": w2 * dn, "w2": x2 * dn, "b": dn}
    for label, grad in expected.items():
        assert v[label].grad == pytest.approx(grad, abs=1e-12)


def test_bce_neuron_hand_delta_is_sigmoid_of_z_minus_y_like_autograd():
    drawing = graphs.bce_neuron()
    ((z, hand),) = drawing.deltas.items()
    p = graphs.BCE_NEURON
    zz = p["w"] * p["x"] + p["b"]
    expected = 1 / (1 + math.exp(-zz)) - p["y"]
    assert z.label == "z" and z.data == pytest.approx(zz)
    assert hand == pytest.approx(expected, abs=1e-12)
    assert z.grad == pytest.approx(expected, abs=1e-12)
    assert f"{expected:.6f}" in drawing.caption


def test_bce_neuron_target_is_a_plain_number_not_a_labelled_input():
    v = values_by_label(graphs.bce_neuron().root)
    assert {"x", "w", "b"} <= set(v) and "y" not in v
    assert isinstance(graphs.BCE_NEURON["y"], float)


def test_softmax_hand_deltas_are_p_minus_onehot_like_autograd():
    drawing = graphs.softmax_cross_entropy()
    example = graphs.SOFTMAX_CROSS_ENTROPY
    logits, target = example["logits"], example["target"]
    total = sum(math.exp(z) for z in logits)
    expected = [math.exp(z) / total - (i == target) for i, z in enumerate(logits)]
    nodes, hands = zip(*drawing.deltas.items())
    assert [z.data for z in nodes] == list(logits)
    assert list(hands) == pytest.approx(expected, abs=1e-12)
    assert [z.grad for z in nodes] == pytest.approx(expected, abs=1e-12)


def test_without_dot_the_graphs_are_saved_as_dot_source_with_install_help(tmp_path, monkeypatch):
    empty = tmp_path / "no-dot-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    section = graphs.section(tmp_path)
    for name in GRAPHS:
        assert (tmp_path / f"{name}.gv").read_text(encoding="utf-8").startswith("digraph")
        assert not (tmp_path / f"{name}.png").exists()
    assert section.figures == [] and "<img" not in section.lead
    assert section.files == [f"{name}.gv" for name in GRAPHS]
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


# --- which pairs cancel σ' ------------------------------------------------------------

SIGMA_4 = 1 / (1 + math.exp(-4))
SIGMA_PRIME_4 = math.exp(-4) / (1 + math.exp(-4)) ** 2  # σ'(4) ≈ 0.0177


def test_which_pairs_cancel_comes_right_after_the_comparison(tour):
    page = (tour[0] / "index.html").read_text(encoding="utf-8")
    titles = re.findall(r"<h2>(.*?)</h2>", page)
    comparison = titles.index("Autograd vs the hand-derived deltas vs finite differences")
    assert titles[comparison + 1] == "Which pairs cancel σ&#x27;?"
    assert 'src="which_pairs_cancel.png"' in page


def test_which_pairs_cancel_table_sets_formulas_beside_the_runs_numbers(tour):
    page = (tour[0] / "index.html").read_text(encoding="utf-8")
    header, *rows = table_headed(page, ["loss + output activation", "∇_a C"])
    by_pair = {row[0]: row for row in rows}
    assert len(by_pair) == 14
    bce = by_pair["bce + sigmoid"]
    assert bce[1] == f"(a − y)/(n·a(1 − a)) = {1 + math.exp(4):.3g}"  # 1/(1 − σ(4)) = 55.6
    assert bce[2] == f"σ'(z) = a(1 − a) = {SIGMA_PRIME_4:.3g}"
    assert bce[4] == f"(a − y)/n = {SIGMA_4:.3g}"
    assert bce[5] == f"{SIGMA_4:.6g}"  # autograd: 0.982014
    assert bce[6] == "cancelled"
    quadratic = by_pair["quadratic + sigmoid"]
    assert quadratic[4] == f"(a − y) ⊙ σ'(z) = {SIGMA_4 * SIGMA_PRIME_4:.3g}"  # 0.0173
    assert quadratic[5] == f"{SIGMA_4 * SIGMA_PRIME_4:.6g}"
    assert quadratic[6] == "stays"
    assert by_pair["cross_entropy + softmax"][5] == f"({SIGMA_4:.6g}, {-SIGMA_4:.6g})"
    assert by_pair["quadratic + linear"][4] == "a − y = 4"


def test_every_pair_where_sigma_prime_stays_has_a_small_delta_and_no_other(tour):
    page = (tour[0] / "index.html").read_text(encoding="utf-8")
    _, *rows = table_headed(page, ["loss + output activation", "∇_a C"])
    for row in rows:
        first_delta = abs(float(row[5].strip("()").split(",")[0]))
        if row[6] == "stays":
            assert first_delta <= 2 * SIGMA_4 * SIGMA_PRIME_4 + 1e-6, row[0]
        else:
            assert row[6] in ("cancelled", "is 1")
            assert first_delta >= SIGMA_4 - 1e-6, row[0]


def test_tour_prints_the_which_pairs_cancel_table(tour):
    lines = tour[2].splitlines()
    start = lines.index("which pairs cancel σ' (z = 4, target 0):")
    assert lines[start + 1].startswith("loss + output activation ∇_a C")
    table = lines[start + 2 : start + 16]
    bce = next(line for line in table if line.startswith("bce + sigmoid "))
    assert f" {SIGMA_4:.6g} " in bce and bce.endswith("cancelled")


# --- the printed loss and the comparison's tables --------------------------------------


def test_the_printed_loss_section_says_where_the_batchs_1_over_m_goes(tour):
    page = html.unescape((tour[0] / "index.html").read_text(encoding="utf-8"))
    section = page.split("I print MSE or cross-entropy")[2].split("<section")[0]
    assert "all m = 24 points" in section
    assert "d_Z2 = (A2 − Y)/m; d_W2 = d_Z2ᵀ A1" in section
    assert "d_Z2 = A2 − Y; d_W2 = (1/m) d_Z2ᵀ A1" in section


def test_each_pairs_details_hold_compares_own_gradient_and_curvature_tables(tour):
    out = tour[0]
    page = (out / "index.html").read_text(encoding="utf-8")
    document = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    details = re.findall(r"<details>.*?</details>", page, flags=re.S)
    assert len(details) == len(document["comparisons"])
    for block, comparison in zip(details, document["comparisons"]):
        assert block.count("<table>") == 2
        assert "general BP1" in block and "curvature ∂²C/∂z² of layer 3" in block
        assert block.count("<tr>") == 2 + len(comparison["rows"]) + len(comparison["curvature"])


# --- backward, one edge at a time ------------------------------------------------------

BCE_Z = -0.8 * 1.5 + 0.5  # the BCE neuron of the first screen: w = −0.8, x = 1.5, b = 0.5, y = 1


def section_html(page, title):
    """The HTML of the section with this title, entities unescaped."""
    return html.unescape(page).split(f"<h2>{title}</h2>")[1].split("</section>")[0]


@needs_dot
def test_backward_section_shows_both_animations_and_links_their_viewers(tour):
    out = tour[0]
    page = (out / "index.html").read_text(encoding="utf-8")
    section = section_html(page, "Backward, one edge at a time")
    for cost, steps in (("bce", 13), ("quadratic", 8)):
        assert f'src="backward_{cost}.gif"' in section
        assert f'href="backward_{cost}.html"' in section
        assert f'href="backward_{cost}.txt"' in section
        with Image.open(out / f"backward_{cost}.gif") as gif:
            assert gif.n_frames == steps + 1  # the start, then one frame per edge
        viewer = (out / f"backward_{cost}.html").read_text(encoding="utf-8")
        assert "<svg" in viewer and "<script" in viewer and 'src="http' not in viewer


def test_backward_section_quotes_the_ledger_where_sigma_prime_meets_bces_gradient(tour):
    page = (tour[0] / "index.html").read_text(encoding="utf-8")
    section = section_html(page, "Backward, one edge at a time")
    a = 1 / (1 + math.exp(-BCE_Z))
    slope = a * (1 - a)
    # the ledger's line into z, written here from the formulas: σ'(z) × a.grad, and with
    # BCE a.grad = ∂(−ln a)/∂a = −1/a for y = 1
    into_z = "z.grad += (σ(z)(1 - σ(z)))·a.grad"
    assert f"{into_z} = {slope:.4f} × {-1 / a:.3f} = {a - 1:.4f}" in section
    assert f"1/(a(1 − a)) = {1 / slope:.3f}" in section
    assert f"z.grad = a − y = {a - 1:.4f}" in section
    # the quadratic cost: a.grad = a − y, and σ'(z) stays in z.grad
    assert f"{into_z} = {slope:.4f} × {a - 1:.4f} = {(a - 1) * slope:.4f}" in section
    assert f"{1 / slope:.2f} times smaller than BCE's" in section


def test_tour_prints_each_neurons_step_into_z(tour):
    a = 1 / (1 + math.exp(-BCE_Z))
    slope = a * (1 - a)
    assert (
        f"backward: bce       neuron, 13 steps; into z: σ'(z) × a.grad = {slope:.4f} × "
        f"{-1 / a:.4f} = {a - 1:.4f} (σ' cancelled)"
    ) in tour[2]
    assert (
        f"backward: quadratic neuron,  8 steps; into z: σ'(z) × a.grad = {slope:.4f} × "
        f"{a - 1:.4f} = {(a - 1) * slope:.4f} (σ' kept)"
    ) in tour[2]


def test_without_dot_the_backward_section_saves_the_ledgers_and_says_why(tmp_path, monkeypatch):
    empty = tmp_path / "no-dot-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    section = backward.section(tmp_path)
    assert section.files == ["backward_bce.txt", "backward_quadratic.txt"]
    for name in section.files:
        assert (tmp_path / name).read_text(encoding="utf-8").startswith("backward from L = ")
    assert not list(tmp_path.glob("*.gif")) and "<img" not in section.text
    assert "No animation here" in section.text


# --- the curvature of each loss --------------------------------------------------------

CURVATURE_TITLE = "The curvature of each loss: second derivatives and Newton's step"


def test_curvature_section_shows_its_three_figures(tour):
    out = tour[0]
    section = section_html((out / "index.html").read_text(encoding="utf-8"), CURVATURE_TITLE)
    for name in ("curvature.png", "curvature_landscape.png", "newton.png"):
        assert f'<img src="{name}"' in section
        assert (out / name).read_bytes().startswith(PNG_SIGNATURE)


def test_curvature_text_gives_the_sign_change_at_ln2_and_the_curvature_at_z_4(tour):
    page = (tour[0] / "index.html").read_text(encoding="utf-8")
    section = section_html(page, CURVATURE_TITLE)
    assert f"above {math.log(2):.4f}" in section
    a = 1 / (1 + math.exp(-4.0))
    s1 = a * (1 - a)
    # σ'² + (a − y)σ'' with y = 0 and σ'' = σ'(1 − 2a)
    assert f"at z = 4 the curvature is {s1 * s1 + a * s1 * (1 - 2 * a):.4f}" in section


def test_curvature_text_quotes_the_newton_runs(tour):
    section = section_html((tour[0] / "index.html").read_text(encoding="utf-8"), CURVATURE_TITLE)
    runs = {(r.cost, r.method): r for r in experiments.newton_vs_gradient_descent()}
    climb = " → ".join(f"{v:.3f}" for v in runs["quadratic", "Newton"].outputs[:5])
    assert climb in section and "0.982 → 0.994" in climb
    assert f"{runs['bce', 'Newton'].outputs[1]:.1e} in a single step" in section
    assert "below 0.2 at step 4" in section
