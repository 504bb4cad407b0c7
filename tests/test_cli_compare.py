"""micrograd-xent compare: output formats and exit status."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_xent import cli, deltas


def without_sigma_prime(z, y):
    """The quadratic cost's output delta with the σ'(z) factor dropped: a − y."""
    return deltas.sigmoid(z) - y


ROOT = Path(__file__).resolve().parents[1]
PAIR_COUNT = len(deltas.OUTPUT_DELTAS)
SOFTMAX_PAIRS = [f"{loss} + {act}" for loss, act in deltas.OUTPUT_DELTAS if act == "softmax"]


def run(capsys, *argv):
    status = cli.main(["compare", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_no_options_prints_every_pair_then_a_summary_and_exits_0(capsys):
    status, out, err = run(capsys)
    lines = out.splitlines()
    assert status == 0 and err == ""
    titles = [line for line in lines if line.endswith("sigmoid hidden, layers 2-3-3, seed 0")]
    assert len(titles) == PAIR_COUNT
    assert lines[-1].startswith(f"ok: {PAIR_COUNT} pairs")
    assert max(len(line) for line in lines) <= 100


def test_one_output_compares_every_other_pair_and_notes_the_skipped_softmax(capsys):
    status, out, err = run(capsys, "--layers", "2,3,1")
    assert status == 0
    assert out.splitlines()[-1].startswith(f"ok: {PAIR_COUNT - len(SOFTMAX_PAIRS)} pairs")
    assert "softmax output" not in out
    assert err == "".join(
        f"micrograd-xent: note: skipped {pair}: a softmax output needs at least 2 neurons, got 1\n"
        for pair in SOFTMAX_PAIRS
    )


def test_one_output_with_json_is_still_one_document_on_stdout(capsys):
    status, out, err = run(capsys, "--layers", "2,1", "--format", "json")
    comparisons = json.loads(out)["comparisons"]
    assert status == 0 and len(comparisons) == PAIR_COUNT - len(SOFTMAX_PAIRS)
    assert "skipped cross_entropy + softmax" in err


def test_one_pair_prints_one_table(capsys):
    status, out, _ = run(capsys, "--loss", "bce", "--activation", "sigmoid", "--layers", "2,3,2")
    assert status == 0
    assert out.splitlines()[0] == "bce + sigmoid output, sigmoid hidden, layers 2-3-2, seed 0"
    assert out.count(" output, ") == 1


def test_json_is_one_parseable_document(capsys):
    status, out, _ = run(capsys, "--format", "json", "--layers", "2,2,2", "--seed", "4")
    document = json.loads(out)
    assert status == 0 and document["ok"] is True
    assert len(document["comparisons"]) == PAIR_COUNT
    assert {c["seed"] for c in document["comparisons"]} == {4}


def test_markdown_has_a_pipe_table_per_pair(capsys):
    status, out, _ = run(capsys, "--format", "markdown", "--hidden-activation", "tanh")
    assert status == 0
    assert out.count("| layer | neuron | param |") == PAIR_COUNT
    assert out.count("| i | j | autograd |") == PAIR_COUNT


def test_a_wrong_hand_formula_exits_1_and_shows_the_row(monkeypatch, capsys):
    monkeypatch.setitem(deltas.OUTPUT_DELTAS, ("quadratic", "sigmoid"), without_sigma_prime)
    status, out, _ = run(capsys)
    assert status == 1
    assert "FAIL" in out
    assert out.splitlines()[-1].startswith("DISAGREE: 1 of")
    assert "quadratic + sigmoid" in out.splitlines()[-1]


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--layers", "2,x"], "--layers"),
        (["--layers", "3"], "--layers"),
        (["--layers", "2,0,1"], "--layers"),
        (["--layers", "784,30,10"], "parameters"),
        (["--loss", "hinge_loss"], "'hinge_loss'"),
        (["--loss", "hinge", "--activation", "sigmoid"], "supported pairs"),
        (["--batch", "0"], "--batch"),
        (["--batch", "x"], "--batch"),
        (["--batch", "65"], "--batch"),
        (["--batch", "-2"], "--batch"),
        (["--loss", "bce", "--activation", "tanh"], "supported pairs"),
        (["--activation", "relu"], "'relu'"),
        (["--hidden-activation", "softmax"], "'softmax'"),
        (["--activation", "softmax", "--layers", "2,1"], "at least 2"),
        (["--loss", "cross_entropy", "--layers", "2,3,1"], "at least 2"),
        (["--format", "xml"], "--format"),
        (["--seed", "one"], "--seed"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_on_stderr(capsys, argv, words):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("micrograd-xent: error: ")
    assert words in err


def test_a_batch_of_four_compares_every_pair_and_exits_0(capsys):
    status, out, err = run(capsys, "--batch", "4")
    lines = out.splitlines()
    assert status == 0 and err == ""
    assert len([line for line in lines if line.endswith("seed 0, batch of 4")]) == PAIR_COUNT
    assert lines[-1].startswith(f"ok: {PAIR_COUNT} pairs")
    assert max(len(line) for line in lines) <= 100


def test_a_batch_in_json_is_one_document_with_a_delta_per_sample(capsys):
    status, out, _ = run(capsys, "--batch", "3", "--loss", "hinge", "--format", "json")
    [comparison] = json.loads(out)["comparisons"]
    assert status == 0 and comparison["batch"] == 3 and comparison["ok"] is True
    samples = {row["sample"] for row in comparison["rows"] if row["parameter"] == "δ"}
    assert samples == {0, 1, 2}


def test_python_dash_m_runs_compare():
    result = subprocess.run(
        [sys.executable, "-m", "micrograd_xent", "compare", "--loss=bce", "--format=json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["comparisons"][0]["activation"] == "sigmoid"
