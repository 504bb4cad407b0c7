"""`micrograd-xent draw`: gradients printed, the image written, every mistake one line and exit 2."""

import math
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from micrograd_xent.cli import main

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
PACKAGE_ROOT = Path(__file__).resolve().parents[1]


def gradients(stdout):
    """{"w": -1.5, ...} from the lines "  d/dw = -1.5"."""
    pairs = (
        line.strip()[len("d/d") :].split(" = ")
        for line in stdout.splitlines()
        if line.startswith("  d/d")
    )
    return {name: float(value) for name, value in pairs}


@needs_dot
def test_draw_prints_each_gradient_and_writes_the_svg(tmp_path, capsys):
    out = tmp_path / "neuron.svg"
    argv = ["draw", "tanh(w*x + b)", "--set", "w=-3", "x=2", "b=6.5", "-o", str(out)]
    assert main(argv) == 0
    stdout = capsys.readouterr().out
    t = math.tanh(0.5)
    expected = {"w": 2 * (1 - t * t), "x": -3 * (1 - t * t), "b": 1 - t * t}
    assert gradients(stdout) == pytest.approx(expected, rel=1e-5)
    assert f"= {t:.4f}" in stdout
    assert str(out) in stdout
    ET.parse(out)


@needs_dot
def test_draw_writes_a_png_with_edge_labels_top_to_bottom(tmp_path, capsys):
    out = tmp_path / "bce.png"
    argv = ["draw", "bce(sigmoid(w*x + b), y)", "--set", "w=0.5", "--set", "x=1.5"]
    argv += ["--set", "b=-0.25", "--set", "y=1", "-o", str(out), "--edge-labels", "--rankdir", "TB"]
    assert main(argv) == 0
    a = 1 / (1 + math.exp(-(0.5 * 1.5 - 0.25)))
    assert gradients(capsys.readouterr().out)["b"] == pytest.approx(a - 1.0, rel=1e-5)  # σ(z) − y
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_draw_writes_dot_source_to_a_gv_file(tmp_path, capsys):
    out = tmp_path / "x.gv"
    assert main(["draw", "x*x", "--set", "x=3", "-o", str(out)]) == 0
    assert gradients(capsys.readouterr().out) == {"x": 6.0}
    assert "<b>x</b>" in out.read_text(encoding="utf-8")


def test_draw_writes_expression_svg_by_default(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["draw", "x + 1", "--set", "x=1"]) == (0 if shutil.which("dot") else 2)
    assert (tmp_path / "expression.svg").exists() == bool(shutil.which("dot"))
    assert gradients(capsys.readouterr().out) == {"x": 1.0}  # printed with or without Graphviz


def test_negative_zero_is_printed_as_0(tmp_path, capsys):
    assert main(["draw", "x*y", "--set", "x=1", "y=-0", "-o", str(tmp_path / "g.gv")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["x*y = 0", "  d/dx = 0", "  d/dy = 1"]  # 1·(−0) is −0.0, d/dx = y


@pytest.mark.parametrize(
    "argv, message",
    [
        (["draw", "x +", "--set", "x=1"], "not a valid expression"),
        (["draw", "x + q", "--set", "x=1"], "'q'.*--set q=NUMBER"),
        (["draw", "x * y", "--set", "x=1"], "'y'"),
        (["draw", "log(x)", "--set", "x=0"], "log: needs a positive value"),
        (["draw", "x", "--set", "x"], "expected NAME=NUMBER"),
        (["draw", "x", "--set", "x=abc"], "'abc' is not a number"),
        (["draw", "x", "--set", "x=inf"], "finite"),
        (["draw", "x", "--set", "x=1", "--set", "x=2"], "given twice"),
        (["draw", "x", "--set", "x=1", "y=2"], "no 'y' in the expression"),
        (["draw", "x", "--set", "x=1", "--rankdir", "XY"], "invalid choice"),
        (["draw", "x.data", "--set", "x=1"], "attribute access"),
        (["draw", "9**9**9"], "too large"),
        (["draw", "1/0"], r"error: /: division by zero: '1/0' \(column 1\)"),
        (["draw", "1e999"], "too large for a float: .1e999."),
        (["draw", "x", "--set", "x=1", "--depth", "-1"], "--depth.*0 or more"),
        (["draw", "x", "--set", "x=1", "--max-nodes", "many"], "--max-nodes.*'many'"),
        (["draw", "__import__('os').system('echo pwned')"], "only calls of"),
    ],
)
def test_bad_input_exits_2_with_one_line_on_stderr(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("micrograd-xent: error:")
    assert re.search(message, lines[0])


def test_draw_without_dot_prints_the_gradients_then_exits_2_with_install_help(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("PATH", str(tmp_path))  # a folder with no dot in it
    assert main(["draw", "x*y", "--set", "x=1", "y=2", "-o", str(tmp_path / "x.svg")]) == 2
    captured = capsys.readouterr()
    assert gradients(captured.out) == {"x": 2.0, "y": 1.0}  # d(xy)/dx = y, d(xy)/dy = x
    assert "= 2" in captured.out
    assert len(captured.err.strip().splitlines()) == 1
    assert "apt-get install graphviz" in captured.err and ".gv" in captured.err


@pytest.mark.parametrize(
    "output, message",
    [("graph.jpg", r"\.jpg"), ("/no/such/dir/g.gv", "cannot write")],
)
def test_a_file_that_cannot_be_written_exits_2_after_the_gradients(
    output, message, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main(["draw", "3*x", "--set", "x=1", "-o", output]) == 2
    captured = capsys.readouterr()
    assert gradients(captured.out) == {"x": 3.0}
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and re.search(message, lines[0])


CHAIN = "x" + "*1.001" * 600  # 601 Values, each one op from the next


def count_records(path):
    return path.read_text(encoding="utf-8").count("data ")


def test_a_graph_too_large_exits_2_after_the_gradients_naming_the_flags_to_pass(tmp_path, capsys):
    assert main(["draw", CHAIN, "--set", "x=1", "-o", str(tmp_path / "big.gv")]) == 2
    captured = capsys.readouterr()
    assert gradients(captured.out)["x"] == pytest.approx(1.001**600, rel=1e-5)
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "601 Values" in lines[0]
    assert "--depth 399" in lines[0] and "--max-nodes 0" in lines[0]
    assert "max_nodes=" not in lines[0] and "depth=" not in lines[0]  # not for the command line
    assert not (tmp_path / "big.gv").exists()


def test_max_nodes_0_draws_a_graph_of_any_size(tmp_path, capsys):
    out = tmp_path / "big.gv"
    assert main(["draw", CHAIN, "--set", "x=1", "--max-nodes", "0", "-o", str(out)]) == 0
    assert count_records(out) == 601


def test_max_nodes_lowers_the_limit_and_the_message_says_so(tmp_path, capsys):
    argv = ["draw", "x*2*3*4", "--set", "x=1", "--max-nodes", "3", "-o", str(tmp_path / "g.gv")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "more than --max-nodes 3" in err and "--depth 2" in err


def test_depth_draws_only_the_values_nearest_the_output(tmp_path, capsys):
    out = tmp_path / "near.gv"
    assert main(["draw", CHAIN, "--set", "x=1", "--depth", "3", "-o", str(out)]) == 0
    assert count_records(out) == 4  # the output and the three Values before it
    assert "4 of 601 Values" in out.read_text(encoding="utf-8")


def test_the_command_refuses_hostile_input_without_traceback_or_side_effect(tmp_path):
    marker = tmp_path / "pwned"
    expr = f"__import__('os').system('touch {marker}')"
    env = {**os.environ, "PYTHONPATH": str(PACKAGE_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "micrograd_xent", "draw", expr, "-o", str(tmp_path / "g.gv")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not marker.exists()


def run_command(*argv, env=None, cwd=None):
    """The installed command as a user runs it: a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "micrograd_xent", *argv],
        capture_output=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(PACKAGE_ROOT), **(env or {})},
        timeout=120,
    )


def one_error_line(stderr: bytes) -> str:
    assert b"Traceback" not in stderr
    lines = stderr.decode("utf-8").splitlines()
    assert len(lines) == 1 and lines[0].startswith("micrograd-xent: error: "), lines
    return lines[0]


@pytest.mark.parametrize(
    "expr, message",
    [
        (b"\xff", r"undecodable byte b'\\xff' at column 1"),  # not UTF-8: as a shell passes it
        (b"x + \xce", r"undecodable byte b'\\xce' at column 5"),
        (b"x\x01", r"column 2"),
        (b"x\x1b[31m", "not a valid expression"),  # a terminal escape is not echoed raw
        (b"(x +\n y.z)", r"line 2, column 2"),
        (b"", "empty"),
    ],
)
def test_any_bytes_as_the_expression_exit_2_with_one_line(expr, message, tmp_path):
    done = run_command("draw", expr, "--set", "x=1", "y=2", "-o", str(tmp_path / "g.gv"))
    assert done.returncode == 2 and done.stdout == b""
    line = one_error_line(done.stderr)
    assert re.search(message, line) and "\x1b" not in line


def test_an_undecodable_name_in_set_exits_2_with_one_line(tmp_path):
    done = run_command("draw", "x", "--set", b"\xff=1", "-o", str(tmp_path / "g.gv"))
    assert done.returncode == 2
    assert "expected NAME=NUMBER" in one_error_line(done.stderr)


def test_a_terminal_that_cannot_show_a_name_gets_an_escape_not_an_error(tmp_path):
    out = tmp_path / "g.gv"
    done = run_command(
        "draw",
        "ｘ*2 + δ",
        "--set",
        "ｘ=3",
        "δ=1",
        "-o",
        str(out),
        env={"PYTHONIOENCODING": "ascii"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("ascii").splitlines()[:3] == [
        "\\uff58*2 + \\u03b4 = 7",
        "  d/dx = 2",
        "  d/d\\u03b4 = 1",
    ]


def test_a_leading_space_is_ignored(tmp_path, capsys):
    assert main(["draw", " x+1", "--set", "x=1", "-o", str(tmp_path / "g.gv")]) == 0
    assert gradients(capsys.readouterr().out) == {"x": 1.0}


def test_a_flat_sum_of_1000_terms_draws(tmp_path, capsys):
    expr = "+".join(["x"] * 1000)  # 1,999 characters
    argv = ["draw", expr, "--set", "x=0.5", "-o", str(tmp_path / "g.gv"), "--depth", "2"]
    assert main(argv) == 0
    assert gradients(capsys.readouterr().out) == {"x": 1000.0}


@pytest.mark.parametrize(
    "expr, assignment",
    [("ｘ*2", "ｘ=3"), ("ｘ*2", "x=3"), ("x*2", "ｘ=3")],
)
def test_names_are_normalised_alike_in_the_expression_and_in_set(
    expr, assignment, tmp_path, capsys
):
    assert main(["draw", expr, "--set", assignment, "-o", str(tmp_path / "g.gv")]) == 0
    out = capsys.readouterr().out
    assert gradients(out) == {"x": 2.0} and "= 6" in out


def test_the_same_normalised_name_set_twice_is_refused(tmp_path, capsys):
    assert main(["draw", "x", "--set", "x=1", "ｘ=2", "-o", str(tmp_path / "g.gv")]) == 2
    assert "given twice" in capsys.readouterr().err


def test_a_finite_power_of_a_tiny_number_draws(tmp_path, capsys):
    assert main(["draw", "x**0", "--set", "x=1e-310", "-o", str(tmp_path / "g.gv")]) == 0
    out = capsys.readouterr().out
    assert "x**0 = 1" in out and gradients(out) == {"x": 0.0}  # d(x⁰)/dx = 0·x⁻¹ = 0


def fake_dot(folder, script):
    dot = folder / "dot"
    dot.write_text("#!/bin/sh\n" + script)
    dot.chmod(0o755)
    return folder


def test_a_failing_graphviz_exits_2_with_its_first_line(tmp_path):
    bin_dir = fake_dot(tmp_path, "printf 'Error: out of memory\\nmore\\n\\xce' >&2\nexit 1\n")
    done = run_command(
        "draw",
        "x*2",
        "--set",
        "x=1",
        "-o",
        str(tmp_path / "g.svg"),
        env={"PATH": f"{bin_dir}:{os.environ['PATH']}"},
    )
    assert done.returncode == 2
    assert gradients(done.stdout.decode()) == {"x": 2.0}  # printed before the rendering
    line = one_error_line(done.stderr)
    assert "Graphviz's dot failed (exit status 1): Error: out of memory" in line


@pytest.mark.parametrize("output, message", [("", "not empty"), ("g\0.svg", "NUL")])
def test_an_output_path_that_names_nothing_is_refused_before_any_work(output, message, capsys):
    assert main(["draw", "x", "--set", "x=1", "-o", output]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "-o/--output" in captured.err and message in captured.err
