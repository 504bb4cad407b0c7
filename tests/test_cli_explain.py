"""`micrograd-xent explain`: the ledger printed, the page, animation or ledger written,
every mistake one line and exit 2."""

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_xent.cli import main

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
NEURON = ["explain", "tanh(w*x + b)", "--set", "w=-3", "x=2", "b=6.8813735870195432"]


def test_explain_prints_the_ledger_with_the_numbers_worked_by_hand(capsys):
    assert main(NEURON) == 0
    out = capsys.readouterr().out.splitlines()
    # by hand: out = tanh(0.8814) = 1/√2, 1 − out² = 1/2; w gets x·1/2, x gets w·1/2
    assert out[0] == "out = tanh(w*x + b)"
    assert out[1] == "backward from out = 0.7071: out.grad = 1 to start"
    assert out[2].startswith("  1. (w*x + b).grad += (1 - out²)·out.grad = 0.5000 × 1.000")
    assert "w.grad += x·(w*x).grad = 2.000 × 0.5000 = 1.000   (w.grad now 1.000)" in out[5]
    assert out[-3:] == ["  w.grad = 1.000", "  x.grad = -1.500", "  b.grad = 0.5000"]


def test_explain_writes_the_ledger_to_a_txt_file(tmp_path, capsys):
    path = tmp_path / "ledger.txt"
    assert main([*NEURON, "-o", str(path)]) == 0
    out = capsys.readouterr().out
    ledger = path.read_text(encoding="utf-8")
    assert ledger.startswith("backward from out = 0.7071") and ledger in out
    assert out.endswith(f"wrote {path}\n")


@needs_dot
def test_explain_writes_the_page_and_the_animation(tmp_path, capsys):
    from PIL import Image

    argv = ["explain", "bce(sigmoid(w*x + b), 1)", "--set", "w=-0.8", "x=1.5", "b=0.5"]
    assert main([*argv, "-o", str(tmp_path / "bce.html")]) == 0
    page = (tmp_path / "bce.html").read_text(encoding="utf-8")
    assert "<svg" in page and '<input type="range"' in page
    a = 1 / (1 + math.exp(0.7))  # σ(-0.8·1.5 + 0.5)
    assert f"w.grad = {(a - 1) * 1.5:#.4g}" in capsys.readouterr().out  # BCE: ∂L/∂w = (a − y)x

    assert main([*argv, "-o", str(tmp_path / "bce.gif")]) == 0
    ledger_lines = [line for line in capsys.readouterr().out.splitlines() if line[:4].strip()]
    with Image.open(tmp_path / "bce.gif") as gif:
        steps = sum(1 for line in ledger_lines if re.match(r"\s*\d+\. ", line))
        assert gif.n_frames == steps + 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (["explain", "x +", "--set", "x=1"], "not a valid expression"),
        (["explain", "x + q", "--set", "x=1"], "'q'.*--set q=NUMBER"),
        (["explain", "log(x)", "--set", "x=0"], "log: needs a positive value"),
        (["explain", "x", "--set", "x=1", "y=2"], "no 'y' in the expression"),
        (["explain", "x", "--set", "x=nan"], "finite"),
        (
            ["explain", "x*x", "--set", "x=1", "-o", "steps.png"],
            r"FILE\.html, FILE\.gif or FILE\.txt",
        ),
        (["explain", "x*x", "--set", "x=1", "-o", "steps"], r"FILE\.html"),
        (["explain", "x.__class__", "--set", "x=1"], "attribute access"),
        (["explain", "(lambda: 1)()"], "lambda|only calls"),
        (["explain", "9**9**9"], "too large"),
        (["explain", "__import__('os').system('echo pwned')"], "only calls of"),
        (["explain", "x\x1b[31m", "--set", "x=1"], "not a valid expression|character"),
        (["explain"], "EXPR|expr"),
    ],
)
def test_bad_input_exits_2_with_one_line_on_stderr(argv, message, capsys, tmp_path, monkeypatch):
    assert re.search(message, refused(argv, capsys, tmp_path, monkeypatch))


def refused(argv, capsys, folder, monkeypatch):
    """The one line of a command that must exit 2, print nothing and write nothing."""
    monkeypatch.chdir(folder)
    status = main(argv)
    out, err = capsys.readouterr()
    [line] = err.splitlines()
    assert (status, out, list(folder.iterdir())) == (2, "", [])
    assert line.startswith("micrograd-xent: error:")
    return line


def test_a_file_that_cannot_be_written_exits_2_after_the_ledger(tmp_path, capsys):
    target = tmp_path / "no such folder" / "steps.txt"
    assert main([*NEURON, "-o", str(target)]) == 2
    captured = capsys.readouterr()
    assert "backward from out" in captured.out
    assert captured.err.strip().splitlines() == [
        f"micrograd-xent: error: cannot write {target}: No such file or directory"
    ]


@needs_dot
def test_a_graph_too_large_to_draw_exits_2_and_points_to_the_ledger(tmp_path, capsys):
    expr = "x" + " + x" * 400
    assert main(["explain", expr, "--set", "x=1", "-o", str(tmp_path / "big.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "-o FILE.txt" in err[0]


def test_without_graphviz_the_page_exits_2_with_the_install_help(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # a folder with no dot in it
    assert main([*NEURON, "-o", str(tmp_path / "steps.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "install Graphviz" in err[0]


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('touch {marker}')",
        "open('{marker}', 'w')",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        "x" * 20_000,
    ],
)
def test_the_command_refuses_hostile_input_without_side_effect(tmp_path, monkeypatch, expr, capsys):
    argv = ["explain", expr.format(marker=tmp_path / "pwned"), "-o", "steps.html"]
    refused(argv, capsys, tmp_path, monkeypatch)  # and no file: neither pwned nor steps.html


def test_the_installed_command_explains_as_the_function_does(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "micrograd_xent", *NEURON, "-o", "steps.txt"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=True,
    )
    assert (tmp_path / "steps.txt").read_text(encoding="utf-8") in done.stdout
    assert done.stderr == ""


@needs_dot
def test_a_leaf_gets_its_one_line_and_a_page_with_no_steps(tmp_path, capsys):
    assert main(["explain", "x", "--set", "x=2", "-o", str(tmp_path / "x.html")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("x is a leaf: backward() adds 1 to x.grad and has no steps\n")
    assert '<input type="range" min="0" max="0"' in (tmp_path / "x.html").read_text(
        encoding="utf-8"
    )
