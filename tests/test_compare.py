"""compare: autograd, the hand-derived deltas and finite differences on the same network."""

import json
import math

import numpy as np
import pytest

from micrograd_xent import compare, deltas

PAIRS = sorted(deltas.OUTPUT_DELTAS)


def parameter_count(layers):
    """Rows a report must have: δ, b and every weight of every neuron."""
    return sum(n_out * (n_in + 2) for n_in, n_out in zip(layers, layers[1:]))


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("pair", PAIRS)
def test_every_pair_agrees_three_ways_at_depths_one_to_four(pair, depth):
    layers = (3,) + (4,) * (depth - 1) + (2,)
    report = compare.compare(*pair, hidden_activation="tanh", layers=layers, seed=depth)
    assert report.ok, report.table()
    assert len(report.rows) == parameter_count(layers)
    assert report.max_autograd_vs_hand < 1e-12
    for row in report.rows:
        assert row.finite_difference == pytest.approx(row.autograd, abs=1e-7)


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "linear", "relu"])
def test_every_hidden_activation_agrees(hidden):
    assert all(r.ok for r in compare.compare_all(layers=(2, 3, 3, 2), hidden_activation=hidden))


def test_five_layer_sigmoid_bce_covers_weights_and_biases_of_layers_two_to_five():
    report = compare.compare("bce", "sigmoid", "sigmoid", layers=(2, 3, 3, 3, 1), seed=7)
    assert report.ok, report.table()
    assert {r.layer for r in report.rows} == {2, 3, 4, 5}
    for layer in (2, 3, 4, 5):
        names = {r.parameter for r in report.rows if r.layer == layer}
        assert {"δ", "b", "w[0]"} <= names


def sigmoid(t):
    return 1 / (1 + math.exp(-t))


def output_layer_z(net):
    """The output pre-activations of a network with sigmoid hidden layers, in plain floats."""
    a = net.x
    for w, b in zip(net.weights, net.biases):
        z = [sum(wk * ak for wk, ak in zip(row, a)) + bj for row, bj in zip(w, b)]
        a = [sigmoid(t) for t in z]
    return z


def test_softmax_cross_entropy_output_delta_is_p_minus_onehot():
    args = ("cross_entropy", "softmax", "sigmoid", (2, 3, 4), 3)
    report = compare.compare(*args)
    net = compare.random_network(*args)
    z = output_layer_z(net)
    p = [math.exp(t) / sum(math.exp(s) for s in z) for t in z]
    expected = [pj - (j == net.y) for j, pj in enumerate(p)]
    output_deltas = [r for r in report.rows if r.layer == 3 and r.parameter == "δ"]
    assert [r.autograd for r in output_deltas] == pytest.approx(expected, abs=1e-12)
    assert [r.hand_derived for r in output_deltas] == pytest.approx(expected, abs=1e-12)


def test_bce_sigmoid_output_delta_is_sigma_of_z_minus_y_over_n():
    args = ("bce", "sigmoid", "sigmoid", (2, 3, 2), 0)
    report = compare.compare(*args)
    net = compare.random_network(*args)
    expected = [(sigmoid(t) - y) / 2 for t, y in zip(output_layer_z(net), net.y)]
    output_deltas = [r.autograd for r in report.rows if r.layer == 3 and r.parameter == "δ"]
    assert output_deltas == pytest.approx(expected, abs=1e-12)


def test_targets_suit_the_loss():
    assert set(compare.random_network("bce", "sigmoid", "sigmoid", (2, 9), 1).y) == {0.0, 1.0}
    assert 0 <= compare.random_network("cross_entropy", "softmax", "tanh", (2, 5), 1).y < 5
    assert all(0 < y < 1 for y in compare.random_network("mse", "sigmoid", "tanh", (2, 5), 1).y)


def without_sigma_prime(z, y):
    """The quadratic cost's output delta with the σ'(z) factor dropped: a − y."""
    return deltas.sigmoid(z) - y


def test_dropping_sigma_prime_from_the_output_delta_is_caught(monkeypatch):
    monkeypatch.setitem(deltas.OUTPUT_DELTAS, ("quadratic", "sigmoid"), without_sigma_prime)
    report = compare.compare("quadratic", "sigmoid")
    assert not report.ok
    wrong = [r for r in report.rows if not r.ok]
    assert {(r.layer, r.parameter) for r in wrong} >= {(3, "δ"), (3, "b")}
    for row in wrong:  # autograd still agrees with finite differences: the hand side is off
        assert row.autograd == pytest.approx(row.finite_difference, abs=1e-7)
    assert "FAIL" in report.table() and "DISAGREE" in report.table()
    curvature_wrong = sum(not r.ok for r in report.curvature)
    assert report.verdict().startswith(
        f"{len(wrong)} of {len(report.rows)} rows and {curvature_wrong} of "
        f"{len(report.curvature)} curvature entries DISAGREE"
    )


def test_dropping_sigma_prime_from_the_hidden_recursion_is_caught_below_the_output(monkeypatch):
    monkeypatch.setitem(deltas.PRIMES, "sigmoid", np.ones_like)
    report = compare.compare("bce", "sigmoid", "sigmoid", layers=(2, 3, 2))
    # the simplified output delta has no σ' in it; the general BP1's Jacobian has
    assert all(r.ok for r in report.rows if r.layer == 3 and r.parameter != "δ")
    assert all(r.hand_derived == pytest.approx(r.autograd) for r in report.rows if r.layer == 3)
    assert not all(r.ok for r in report.rows if r.layer == 2)


@pytest.mark.parametrize("batch", [None, 4])
def test_the_table_reads_at_100_columns_with_one_line_per_row(batch):
    report = compare.compare("mse", "tanh", "tanh", layers=(2, 3, 2), batch=batch)
    lines = report.table().splitlines()
    assert max(len(line) for line in lines) <= 100
    # title, header, rows, curvature title, its header, its rows, verdict
    assert len(lines) == len(report.rows) + len(report.curvature) + 5


@pytest.mark.parametrize("batch", [None, 2])
def test_markdown_is_two_pipe_tables_with_one_line_per_row(batch):
    report = compare.compare(batch=batch)
    table = [line for line in report.markdown().splitlines() if line.startswith("|")]
    assert len(table) == len(report.rows) + 2 + len(report.curvature) + 2
    columns = 9 + (batch is not None)
    pipes = [line.count("|") - line.count("\\|") for line in table]
    assert pipes == [columns + 1] * (len(report.rows) + 2) + [columns - 1] * (
        len(report.curvature) + 2
    )


def test_json_is_one_document_with_every_row():
    report = compare.compare("cross_entropy", "softmax", layers=(2, 2, 3))
    document = json.loads(compare.render([report], "json"))
    assert document["ok"] is True and document["max_diff"] == report.max_diff
    comparison = document["comparisons"][0]
    assert comparison["ok"] is True and comparison["layers"] == [2, 2, 3]
    assert len(comparison["rows"]) == len(report.rows)
    assert len(comparison["curvature"]) == 9
    columns = ("layer", "neuron", "sample", "parameter", "autograd", "hand_derived")
    assert set(comparison["rows"][0]) == {
        *columns,
        "general_bp1",
        "finite_difference",
        "diff",
        "ok",
    }
    assert set(comparison["curvature"][0]) == {
        "sample",
        "i",
        "j",
        "autograd",
        "hand_derived",
        "finite_difference",
        "diff",
        "ok",
    }


def test_a_report_has_one_way_to_json_the_render_function():
    assert not hasattr(compare.Report, "to_json")


def test_compare_all_runs_each_supported_pair_once():
    reports = compare.compare_all()
    assert sorted((r.loss, r.activation) for r in reports) == PAIRS
    assert compare.summary(reports).startswith("ok:")


def test_compare_all_can_select_by_loss_or_activation():
    assert [(r.loss, r.activation) for r in compare.compare_all(loss="bce")] == [("bce", "sigmoid")]
    assert {r.loss for r in compare.compare_all(activation="tanh")} == {"mse", "quadratic"}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"loss": "bce", "activation": "tanh"}, "supported pairs: .*bce \\+ sigmoid"),
        ({"loss": "hinge", "activation": "sigmoid"}, "'hinge'"),
        ({"loss": "cross-entropy", "activation": "softmax"}, "'cross-entropy'"),
        ({"batch": 0}, "batch must be a whole number"),
        ({"loss": "cross_entropy", "activation": "softmax", "layers": (2, 1)}, "at least 2"),
        ({"hidden_activation": "softmax"}, "'softmax'"),
        ({"layers": (2,)}, "two or more"),
    ],
)
def test_bad_arguments_are_value_errors_that_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare.compare(**kwargs)


def test_compare_all_with_an_unknown_loss_is_a_value_error():
    with pytest.raises(ValueError, match="'hinge_loss'"):
        compare.compare_all(loss="hinge_loss")


def test_compare_all_leaves_out_the_pairs_that_cannot_apply_to_one_output():
    reports = compare.compare_all(layers=(2, 3, 1))
    expected = sorted(pair for pair in PAIRS if pair[1] != "softmax")
    assert sorted((r.loss, r.activation) for r in reports) == expected
    assert compare.skipped((2, 3, 1)) == [
        f"{loss} + softmax: a softmax output needs at least 2 neurons, got 1"
        for loss in ("quadratic", "mse", "cross_entropy")
    ]
    assert compare.skipped((2, 3, 2)) == [] and compare.skipped((2, 1), loss="bce") == []


@pytest.mark.parametrize("selection", [{"loss": "cross_entropy"}, {"activation": "softmax"}])
def test_compare_all_asked_for_softmax_on_one_output_is_a_value_error(selection):
    with pytest.raises(ValueError, match="softmax output needs at least 2 neurons, got 1"):
        compare.compare_all(layers=(2, 1), **selection)


@pytest.mark.parametrize(
    "name",
    [
        "compare",
        "compare_all",
        "skipped",
        "summary",
        "render",
        "format_table",
        "central_difference",
    ],
)
def test_each_public_function_shows_an_example(name):
    assert ">>> " in getattr(compare, name).__doc__  # test_docstrings.py runs it


# --- every pair, the general BP1, mini-batches --------------------------------------------------


def test_every_pair_of_the_contract_is_compared():
    expected = {("quadratic", f) for f in ("sigmoid", "tanh", "linear", "softmax")}
    expected |= {("mse", f) for f in ("sigmoid", "tanh", "linear", "softmax")}
    expected |= {("bce", "sigmoid"), ("bce_with_logits", "linear"), ("cross_entropy", "softmax")}
    expected |= {("l1", "linear"), ("huber", "linear"), ("hinge", "linear")}
    assert {(r.loss, r.activation) for r in compare.compare_all()} == expected


@pytest.mark.parametrize("pair", PAIRS)
def test_the_general_bp1_column_fills_the_output_deltas_only_and_agrees(pair):
    report = compare.compare(*pair, layers=(2, 3, 3), seed=2)
    for row in report.rows:
        is_output_delta = row.layer == 3 and row.parameter == "δ"
        assert (row.general_bp1 is not None) == is_output_delta
        if is_output_delta:
            assert row.general_bp1 == pytest.approx(row.autograd, abs=1e-12)


def output_layer_zs(net):
    """Each sample's output pre-activations, sigmoid hidden layers, in plain floats."""
    zs = []
    for x in net.x:
        a = x
        for w, b in zip(net.weights, net.biases):
            z = [sum(wk * ak for wk, ak in zip(row, a)) + bj for row, bj in zip(w, b)]
            a = [sigmoid(t) for t in z]
        zs.append(z)
    return zs


@pytest.mark.parametrize("pair", PAIRS)
def test_every_pair_agrees_on_a_batch_of_three(pair):
    report = compare.compare(*pair, layers=(3, 4, 2), seed=5, batch=3)
    assert report.ok, report.table()
    deltas_per_neuron = 4 + 2  # one δ row per sample and neuron
    assert len(report.rows) == parameter_count((3, 4, 2)) + 2 * deltas_per_neuron
    assert len(report.curvature) == 3 * 2 * 2
    assert {r.sample for r in report.rows if r.parameter == "δ"} == {0, 1, 2}
    assert {r.sample for r in report.rows if r.parameter != "δ"} == {None}


def test_each_batch_delta_is_that_samples_bce_delta_over_m():
    args = ("bce", "sigmoid", "sigmoid", (2, 3, 2), 1, 4)
    report = compare.compare(*args)
    net = compare.random_network(*args)
    for sample, (z, y) in enumerate(zip(output_layer_zs(net), net.y)):
        expected = [(sigmoid(t) - u) / 2 / 4 for t, u in zip(z, y)]  # (a − y)/n, then 1/m
        rows = [r for r in report.rows if r.layer == 3 and r.sample == sample]
        assert [r.autograd for r in rows] == pytest.approx(expected, abs=1e-15)


def test_a_batch_bias_gradient_is_the_sum_of_its_delta_rows():
    report = compare.compare("mse", "linear", "tanh", layers=(2, 2, 2), batch=5)
    for layer in (2, 3):
        for neuron in (0, 1):
            deltas_ = [
                r.autograd
                for r in report.rows
                if (r.layer, r.neuron, r.parameter) == (layer, neuron, "δ")
            ]
            [bias] = [
                r for r in report.rows if (r.layer, r.neuron, r.parameter) == (layer, neuron, "b")
            ]
            assert bias.autograd == pytest.approx(sum(deltas_), abs=1e-15)


# --- the curvature tables -------------------------------------------------------------------------


def test_the_bce_curvature_is_diag_a_times_one_minus_a_over_n():
    args = ("bce", "sigmoid", "sigmoid", (2, 3, 2), 0)
    report = compare.compare(*args)
    net = compare.random_network(*args)
    [z] = output_layer_zs(compare.Network(**{**net.__dict__, "x": [net.x]}))
    for row in report.curvature:
        a = sigmoid(z[row.i])
        expected = a * (1 - a) / 2 if row.i == row.j else 0.0
        assert row.autograd == pytest.approx(expected, abs=1e-15)
        assert row.hand_derived == pytest.approx(expected, abs=1e-15)


def without_sigma_double_prime(z, y):
    """The quadratic cost's curvature with the (a − y)σ''(z) term dropped: Gauss–Newton's."""
    return np.diag(deltas.sigmoid_prime(z) ** 2)


def test_a_wrong_curvature_formula_is_caught_in_the_curvature_table_only(monkeypatch):
    monkeypatch.setitem(
        deltas.OUTPUT_CURVATURES, ("quadratic", "sigmoid"), without_sigma_double_prime
    )
    report = compare.compare("quadratic", "sigmoid")
    assert all(r.ok for r in report.rows)
    wrong = [r for r in report.curvature if not r.ok]
    assert wrong and all(r.i == r.j for r in wrong)
    for row in wrong:  # autograd's second derivative still agrees with finite differences
        assert row.autograd == pytest.approx(row.finite_difference, abs=1e-7)
    assert not report.ok and "FAIL" in report.table()


# --- formats --------------------------------------------------------------------------------------


def test_format_table_writes_text_markdown_and_html_from_the_same_cells():
    header, rows = ["name", "|x|"], [["a", "1"], ["b<c", "22"]]
    assert compare.format_table(header, rows, "lr") == "name |x|\na      1\nb<c   22"
    assert compare.format_table(header, rows, "lr", "markdown").splitlines() == [
        "| name | \\|x\\| |",
        "| :--- | ---: |",
        "| a | 1 |",
        "| b<c | 22 |",
    ]
    page = compare.format_table(header, rows, "lr", "html")
    assert "<th>name</th>" in page and "<td>b&lt;c</td>" in page
    assert '<td style="text-align:right">22</td>' in page


def test_render_html_has_two_tables_per_pair_and_the_summary():
    reports = compare.compare_all(loss="mse")
    page = compare.render(reports, "html")
    assert page.count("<table>") == 2 * len(reports)
    assert compare.summary(reports) in page.replace("&#x27;", "'")


def test_render_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="render: unknown format 'xml'"):
        compare.render(compare.compare_all(loss="bce"), "xml")


def test_central_difference_of_a_cubic_is_its_slope():
    assert compare.central_difference(lambda h: (2.0 + h) ** 3) == pytest.approx(12.0, abs=1e-9)
