"""micrograd-xent compare: output formats and exit status."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from micrograd_xent import cli, compare, deltas, losses


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
        (["--loss", "hinje"], "unknown loss 'hinje'"),
        (["--loss", "bcee"], "argument --loss: unknown loss 'bcee'; did you mean 'bce'?"),
        (["--loss", "crossentropy"], "did you mean 'cross_entropy'?"),
        (["--loss", "quadratik"], "did you mean 'quadratic'?"),
        (
            ["--activation", "sigmoyd"],
            "--activation: unknown activation 'sigmoyd'; did you mean 'sigmoid'?",
        ),
        (["--hidden-activation", "rellu"], "did you mean 'relu'?"),
        (["--loss", "bce_with_logits", "--activation", "sigmoid"], "supported pairs"),
        (["--loss", "hinge_loss"], "'hinge_loss'"),
        (["--loss", "hinge", "--activation", "sigmoid"], "supported pairs"),
        (["--batch", "0"], "--batch"),
        (["--batch", "x"], "--batch"),
        (["--batch", "65"], "--batch"),
        (["--batch", "-2"], "--batch"),
        (["--loss", "bce", "--activation", "tanh"], "supported pairs"),
        (["--activation", "relu"], "no hand-derived delta for output activation 'relu';"),
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


def command(*argv, **popen):
    """``micrograd-xent ARGV`` in a process of its own, as a shell starts it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "micrograd_xent", *argv], env=env, cwd=ROOT, **popen
    )


@pytest.mark.parametrize(
    "argv, field, name",
    [
        (["--loss", "cross-entropy"], "loss", "cross_entropy"),  # as the report writes it
        (["--loss", "Cross_Entropy"], "loss", "cross_entropy"),
        (["--loss", "cross entropy"], "loss", "cross_entropy"),
        (["--loss", "MSE"], "loss", "mse"),
        (["--activation", "Softmax"], "activation", "softmax"),
        (["--hidden-activation", "ReLU"], "hidden_activation", "relu"),
    ],
)
def test_a_name_is_read_whatever_its_case_dashes_or_underscores(capsys, argv, field, name):
    status, out, _ = run(capsys, *argv, "--format", "json")
    assert status == 0
    assert {c[field] for c in json.loads(out)["comparisons"]} == {name}


def test_a_name_far_from_any_is_refused_listing_the_valid_ones(capsys):
    status, _, err = run(capsys, "--loss", "zzzz")
    assert status == 2 and "did you mean" not in err
    assert "unknown loss 'zzzz'" in err
    for name in losses.LOSSES:  # every loss, including any added later
        assert name in err


def test_every_loss_and_activation_is_accepted_by_its_own_name():
    for name in losses.LOSSES:
        assert cli.name_choice("loss", lambda: losses.LOSSES)(name) == name
        assert (
            cli.name_choice("loss", lambda: losses.LOSSES)(name.replace("_", "-").upper()) == name
        )
    for name in deltas.ACTIVATIONS:
        assert cli.name_choice("activation", lambda: deltas.ACTIVATIONS)(name.title()) == name


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["--version"])
    assert exit.value.code == 0
    version = (ROOT / "micrograd_xent" / "__init__.py").read_text(encoding="utf-8")
    expected = re.search(r'^__version__ = "([^"]+)"$', version, re.M).group(1)
    assert capsys.readouterr().out == f"micrograd-xent {expected}\n"


def test_output_into_a_closed_pipe_ends_quietly():
    process = command("compare", "--layers", "2,2", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before anything is written, as after | head -1
    _, stderr = process.communicate(timeout=120)
    assert stderr == b""
    assert process.returncode == 141  # as a program ended by SIGPIPE


def test_head_reading_one_line_of_a_long_output_ends_quietly():
    done = subprocess.run(
        f"{sys.executable} -m micrograd_xent compare --format markdown | head -1",
        shell=True,
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert done.stderr == b"" and done.stdout.count(b"\n") == 1


def test_ctrl_c_exits_130_with_one_line():
    # a comparison of 420 parameters by finite differences runs for seconds
    process = command(
        "compare", "--layers", "4,16,16,4", stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    time.sleep(3)  # past the imports, into the comparison
    assert process.poll() is None, "finished before it could be interrupted"
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr == b"micrograd-xent: interrupted\n" and stdout == b""


def test_tour_refuses_an_empty_out(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for out in ("", "  "):
        assert cli.main(["tour", "--out", out]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--out" in err and "not empty" in err
    assert list(tmp_path.iterdir()) == []  # nothing written into the current folder


def test_a_bug_is_still_one_line_and_says_it_is_one(capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(compare, "compare_all", broken)
    status, out, err = run(capsys)
    assert status == 2 and out == ""
    assert (
        err
        == "micrograd-xent: error: internal error, please report it: RuntimeError: boom second line\n"
    )


def test_tour_with_a_failing_graphviz_exits_2_with_its_first_line(capsys, tmp_path, monkeypatch):
    dot = tmp_path / "dot"
    dot.write_text("#!/bin/sh\necho 'Error: out of memory' >&2\necho more >&2\nexit 1\n")
    dot.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert cli.main(["tour", "--out", str(tmp_path / "report")]) == 2
    err = capsys.readouterr().err  # the tour's progress lines, then the error
    assert "Traceback" not in err and err.splitlines()[-1] == (
        "micrograd-xent: error: tour: Graphviz's dot failed (exit status 1): Error: out of memory"
    )


def test_ctrl_c_in_the_tour_exits_130_with_one_line_after_its_progress(tmp_path):
    process = command(
        "tour", "--out", str(tmp_path / "report"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    time.sleep(1.0)  # into the command: its imports and first drawings take longer
    assert process.poll() is None, "finished before it could be interrupted"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert b"Traceback" not in stderr
    assert stderr.decode().splitlines()[-1] == "micrograd-xent: interrupted"
