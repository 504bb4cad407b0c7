"""The ``micrograd-xent`` command: argument parsing, then a call into the package.

Errors a user can cause (bad arguments, an expression that does not parse, a
missing value, a Graphviz that fails) exit with status 2 and a one-line
message, never a traceback; Ctrl-C exits 130 with one line; output into a
closed pipe (``| head -1``) ends quietly with 141, as a program ended by SIGPIPE.
"""

from __future__ import annotations

import argparse
import difflib
import math
import os
import sys
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence

from . import __version__

DESCRIPTION = """\
Where does the loss function go in backpropagation? micrograd-xent builds
losses as forward expressions of scalar Values, lets autograd compute the
deltas, and sets them beside the deltas a textbook derives by hand."""

EPILOG = """\
examples:
  micrograd-xent tour                      write the full report to ./tour-output
  micrograd-xent compare --loss cross-entropy --activation softmax --layers 2,3,2
  micrograd-xent draw "tanh(w*x + b)" --set w=-3 x=2 b=6.88 -o neuron.svg
  micrograd-xent explain "bce(sigmoid(w*x + b), 1)" --set w=-0.8 x=1.5 b=0.5 -o bce.html

run 'micrograd-xent COMMAND --help' for the options of one command."""


class UsageError(Exception):
    """A mistake in what the user typed: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The ``micrograd-xent`` parser: a subcommand each for tour, compare, draw, explain.

    >>> build_parser().parse_args(["compare", "--loss", "cross-entropy"]).loss
    'cross_entropy'
    """
    parser = _Parser(
        prog="micrograd-xent",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    _add_tour(commands)
    _add_compare(commands)
    _add_draw(commands)
    _add_explain(commands)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command ``argv`` (default: the command line's) and return its exit status.

    >>> main(["explain", "x*x", "--set", "x=3"])  # doctest: +ELLIPSIS
    out = x*x
    backward from out = 9.000: out.grad = 1 to start
    ...
      x.grad = 6.000
    0
    """
    for stream in (sys.stdout, sys.stderr):  # a name or byte the terminal cannot show
        if hasattr(stream, "reconfigure"):  # is written as an escape, not an error
            stream.reconfigure(errors="backslashreplace")
    try:
        args = build_parser().parse_args(argv)
        status = args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit, where it cannot be caught
        return status
    except UsageError as error:
        _error(str(error))
        return 2
    except KeyboardInterrupt:
        print("micrograd-xent: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader is gone (| head): nothing more to say; point stdout at
        # /dev/null so that Python's own flush at exit does not complain either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as error:  # a bug: still one line, and saying so
        _error(f"internal error, please report it: {type(error).__name__}: {error}")
        return 2


def _error(message: str) -> None:
    """One line on stderr, whatever the message holds: dot's multi-line output,
    a control character from the command line."""
    line = " ".join(message.split())
    line = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in line)
    print(f"micrograd-xent: error: {line}", file=sys.stderr)


def name_choice(kind: str, names: Callable[[], Iterable[str]]) -> Callable[[str], str]:
    """An argparse type for one of ``names()``, read as people write it: case,
    dashes, spaces and underscores do not count ("cross-entropy" is
    ``cross_entropy``), and a misspelt name gets the nearest one suggested.

    >>> loss = name_choice("loss", lambda: ["mse", "bce", "cross_entropy"])
    >>> loss("Cross-Entropy")
    'cross_entropy'
    >>> loss("bcee")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    argparse.ArgumentTypeError: unknown loss 'bcee'; did you mean 'bce'? (choose from ...)
    """

    def choose(text: str) -> str:
        valid = list(names())
        by_key = {_name_key(name): name for name in valid}
        if _name_key(text) in by_key:
            return by_key[_name_key(text)]
        nearest = difflib.get_close_matches(_name_key(text), by_key, n=1)
        hint = f"; did you mean {by_key[nearest[0]]!r}?" if nearest else ""
        raise argparse.ArgumentTypeError(
            f"unknown {kind} {text!r}{hint} (choose from {', '.join(valid)})"
        )

    return choose


def _name_key(name: str) -> str:
    return name.strip().casefold().replace("-", "_").replace(" ", "_")


def _losses() -> list[str]:
    from .losses import LOSSES

    return list(LOSSES)


def _output_activations() -> list[str]:
    from .deltas import ACTIVATIONS

    return list(ACTIVATIONS)


def _paired_output_activations() -> list[str]:
    from .deltas import OUTPUT_DELTAS

    return list(dict.fromkeys(activation for _, activation in OUTPUT_DELTAS))


def _hidden_activations() -> list[str]:
    from .deltas import PRIMES

    return list(PRIMES)


# --- tour --------------------------------------------------------------------


def _add_tour(commands) -> None:
    tour = commands.add_parser(
        "tour",
        help="write the report: graphs, delta tables and plots (the main job)",
        description="Build the example graphs, step through backward() one edge at a "
        "time, compare autograd with the hand-derived deltas for every loss and output "
        "activation, show which pairs cancel σ', reproduce the learning slowdown, draw "
        "the loss landscapes and each loss's curvature, and write it all, with an "
        "index.html that leads with the answer, to a folder. Prints a line per section.",
    )
    tour.add_argument(
        "--out",
        default="tour-output",
        type=_path,
        metavar="DIR",
        help="output folder (default: ./tour-output)",
    )
    tour.set_defaults(run=_run_tour)


def _run_tour(args: argparse.Namespace) -> int:
    from .graph import GraphvizFailedError, GraphvizNotFoundError
    from .tour import write_tour  # matplotlib is loaded only by this command

    try:
        index = write_tour(args.out)
    except OSError as error:  # e.g. --out names a file, or a folder we may not write to
        raise UsageError(f"tour: cannot write the report to {args.out!r}: {error.strerror}")
    except (GraphvizNotFoundError, GraphvizFailedError) as error:
        raise UsageError(f"tour: {error}") from None
    print((index.parent / "summary.txt").read_text(encoding="utf-8"), end="")
    print(f"open the report: {index.resolve()}")
    return 0


def _path(text: str) -> str:
    """An argparse type: a path that names something. An empty one would mean
    the current folder (the tour would fill it with the report's files)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("give a path that is not empty")
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"a path cannot hold a NUL character: {text!r}")
    return text


# --- compare -----------------------------------------------------------------


def _add_compare(commands) -> None:
    compare = commands.add_parser(
        "compare",
        help="autograd vs hand-derived vs finite-difference deltas, as tables",
        description="Compare every delta and parameter gradient three ways. Exit status "
        "0 when all agree, 1 when any row disagrees, 2 on bad arguments. With no "
        "--loss and no --activation, every supported pair that fits the layer sizes is "
        "compared (a note on stderr names those skipped).",
    )
    compare.add_argument(
        "--loss",
        type=name_choice("loss", _losses),
        metavar="NAME",
        help=f"{', '.join(_losses())}; dashes for underscores are fine, as in "
        "cross-entropy (default: every loss)",
    )
    compare.add_argument(
        "--activation",
        type=name_choice("activation", _output_activations),
        metavar="NAME",
        help=f"output activation: {', '.join(_paired_output_activations())} (default: every "
        "one with a hand-derived delta for the loss)",
    )
    compare.add_argument(
        "--hidden-activation",
        type=name_choice("hidden activation", _hidden_activations),
        default="sigmoid",
        metavar="NAME",
        help=f"activation of the hidden layers: {', '.join(_hidden_activations())} "
        "(default: sigmoid)",
    )
    compare.add_argument(
        "--layers",
        type=_layer_sizes,
        metavar="N,N,...",
        help="layer sizes from input to output (default: 2,3,3: with three outputs the "
        "mse delta 2/n differs from the quadratic cost's, so a swap would show)",
    )
    compare.add_argument(
        "--seed", type=int, default=0, help="seed of the random weights (default: 0)"
    )
    compare.add_argument(
        "--batch",
        type=_batch_size,
        metavar="M",
        help="a mini-batch of M random inputs, the cost their mean (default: one input)",
    )
    compare.add_argument(
        "--format",
        choices=("table", "markdown", "json"),
        default="table",
        help="aligned text, Markdown tables, or one JSON document (default: table)",
    )
    compare.set_defaults(run=_run_compare)


# every weight is also checked by finite differences, two forward passes each
_MAX_COMPARE_PARAMETERS = 500


def _layer_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected two or more positive sizes like 2,3,2, got {text!r}"
        )
    parameters = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes, sizes[1:]))
    if parameters > _MAX_COMPARE_PARAMETERS:
        raise argparse.ArgumentTypeError(
            f"{text} has {parameters} parameters; each is checked by finite differences, "
            f"so keep it to {_MAX_COMPARE_PARAMETERS}"
        )
    return sizes


# every sample adds its δ rows and curvature entries, each checked by finite differences
_MAX_BATCH = 64


def _batch_size(text: str) -> int:
    if not text.isdecimal() or not 1 <= int(text) <= _MAX_BATCH:
        raise argparse.ArgumentTypeError(
            f"expected a number of samples from 1 to {_MAX_BATCH}, got {text!r}"
        )
    return int(text)


def _run_compare(args: argparse.Namespace) -> int:
    from . import compare

    layers = args.layers or compare.LAYERS
    try:
        reports = compare.compare_all(
            layers,
            args.hidden_activation,
            args.seed,
            loss=args.loss,
            activation=args.activation,
            batch=args.batch,
        )
    except ValueError as error:
        raise UsageError(str(error)) from None
    for note in compare.skipped(layers, loss=args.loss, activation=args.activation):
        print(f"micrograd-xent: note: skipped {note}", file=sys.stderr)
    print(compare.render(reports, args.format))
    return 0 if all(report.ok for report in reports) else 1


# --- draw ----------------------------------------------------------------------


def _add_draw(commands) -> None:
    from .graph import MAX_NODES

    draw = commands.add_parser(
        "draw",
        help="draw the graph of an expression and print each input's gradient",
        description="Parse EXPR safely (never eval), build its graph of Values, run "
        f"backward and render the graph. {_expression_help()}",
    )
    _add_expression_arguments(draw, '"tanh(w*x + b)"', "w=-3", "x=2")
    draw.add_argument(
        "-o",
        "--output",
        default="expression.svg",
        type=_path,
        metavar="FILE",
        help="FILE.svg or FILE.png (needs Graphviz), or FILE.gv for the DOT source "
        "(default: expression.svg)",
    )
    draw.add_argument(
        "--edge-labels", action="store_true", help="write the local derivative on each edge"
    )
    draw.add_argument(
        "--rankdir",
        choices=("LR", "TB"),
        default="LR",
        help="left to right (default) or top to bottom",
    )
    draw.add_argument(
        "--depth",
        type=_count,
        metavar="N",
        help="draw only the Values within N ops of the output (default: all)",
    )
    draw.add_argument(
        "--max-nodes",
        type=_count,
        metavar="N",
        help=f"refuse to draw more than N Values, 0 for no limit (default: {MAX_NODES}, "
        "past which a drawing is no longer read, only scrolled)",
    )
    draw.set_defaults(run=_run_draw)


def _run_draw(args: argparse.Namespace) -> int:
    from .graph import (
        MAX_NODES,
        GraphTooLargeError,
        GraphvizFailedError,
        GraphvizNotFoundError,
        render,
    )

    root, leaves = _parse_expression(args)
    root.backward()
    # the gradients need no Graphviz: print them before a rendering that may fail
    # + 0.0 turns -0.0 into 0.0, as the drawing does: "-0" only puzzles a reader
    print(f"{args.expr} = {root.data + 0.0:.6g}")
    for name, leaf in leaves.items():
        print(f"  d/d{name} = {leaf.grad + 0.0:.6g}")
    sys.stdout.flush()  # so they come before the error when stdout and stderr share a terminal
    max_nodes = MAX_NODES if args.max_nodes is None else args.max_nodes or None
    try:
        path = render(
            root,
            args.output,
            edge_labels=args.edge_labels,
            rankdir=args.rankdir,
            depth=args.depth,
            max_nodes=max_nodes,
        )
    except GraphTooLargeError as error:  # its message names draw_dot's arguments, not the flags
        ways_out = "--max-nodes 0 to draw them all"
        if error.depth is not None:
            ways_out = f"--depth {error.depth} to draw the Values nearest the output, or {ways_out}"
        raise UsageError(
            f"{error.size} Values to draw, more than --max-nodes {error.max_nodes} can show "
            f"readably; pass {ways_out}"
        ) from None
    except (ValueError, OSError, GraphvizNotFoundError, GraphvizFailedError) as error:
        raise _writing_failed(args.output, error) from None
    print(f"wrote {path}")
    return 0


# --- explain -------------------------------------------------------------------


def _add_explain(commands) -> None:
    explain = commands.add_parser(
        "explain",
        help="print backward() one edge at a time and write a page that steps through it",
        description="Parse EXPR safely (never eval), build its graph of Values and print "
        "the ledger of its backward pass: for every edge, the local derivative times the "
        "upstream gradient added into the parent's grad, in backward()'s order. -o writes "
        "a page that steps through the graph (.html, works offline), an animation (.gif) "
        f"or the ledger (.txt). {_expression_help()}",
    )
    _add_expression_arguments(explain, '"bce(sigmoid(w*x + b), 1)"', "w=-0.8", "x=1.5")
    explain.add_argument(
        "-o",
        "--output",
        type=_path,
        metavar="FILE",
        help="FILE.html, FILE.gif or FILE.txt (default: none)",
    )
    explain.set_defaults(run=_run_explain)


def _run_explain(args: argparse.Namespace) -> int:
    from .graph import GraphTooLargeError, GraphvizFailedError, GraphvizNotFoundError
    from .steps import SAVE_FORMATS, backward_steps

    if args.output is not None and Path(args.output).suffix.lower() not in SAVE_FORMATS:
        raise UsageError(f"-o {args.output}: use FILE.html, FILE.gif or FILE.txt")
    root, _ = _parse_expression(args)
    if root._prev:  # a name for the whole of EXPR, short enough to repeat on every line
        root.label = "out"
        print(f"out = {args.expr}")
    steps = backward_steps(root)
    print(steps.text())
    if args.output is None:
        return 0
    sys.stdout.flush()  # the ledger before an error, when stdout and stderr share a terminal
    try:
        path = steps.save(args.output)
    except GraphTooLargeError as error:
        raise UsageError(
            f"{error.size} Values, more than a drawing of the steps can show readably; "
            "write the ledger with -o FILE.txt instead"
        ) from None
    except (ValueError, OSError, GraphvizNotFoundError, GraphvizFailedError) as error:
        raise _writing_failed(args.output, error) from None
    print(f"wrote {path}")
    return 0


def _writing_failed(output: str, error: Exception) -> UsageError:
    """The one line to say why a drawing, page or animation was not written."""
    if isinstance(error, OSError):
        return UsageError(f"cannot write {output}: {error.strerror}")
    return UsageError(str(error))


def _expression_help() -> str:
    from .expression import FUNCTIONS, LOSSES

    return (
        f"EXPR may use numbers, names, + - * / **, the functions {', '.join(FUNCTIONS)} "
        f"and the losses {', '.join(LOSSES)} (with [lists] as their arguments)."
    )


def _add_expression_arguments(command, example: str, *settings: str) -> None:
    """EXPR and --set, which draw and explain read alike."""
    command.add_argument(
        "expr",
        metavar="EXPR",
        help=f"e.g. {example}; one that starts with - goes last, after --",
    )
    one, two = settings
    command.add_argument(
        "--set",
        dest="assignments",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME=NUMBER",
        help=f"the value of each name in EXPR: --set {one} {two} (or --set {one} --set {two})",
    )


def _parse_expression(args: argparse.Namespace):
    """EXPR and its --set values as a graph: (root, {name: leaf}); mistakes are UsageErrors."""
    from .expression import ExpressionError, MissingValueError, parse_expression

    values = _parse_assignments(args.assignments)
    try:
        root, leaves = parse_expression(args.expr, values)
    except MissingValueError as error:
        raise UsageError(f"{error}; give it with --set {error.name}=NUMBER") from None
    except ExpressionError as error:
        raise UsageError(str(error)) from None
    unused = sorted(set(values) - set(leaves))
    if unused:
        raise UsageError(f"--set {unused[0]}: there is no {unused[0]!r} in the expression")
    return root, leaves


def _parse_assignments(assignments: Sequence[str]) -> dict[str, float]:
    """``["w=-3", "x=2"]`` → ``{"w": -3.0, "x": 2.0}``, refusing anything else.

    Names are read as the expression reads them (``ｘ`` is ``x``).
    """
    from .expression import variable_name

    values: dict[str, float] = {}
    for assignment in assignments:
        name, sep, number = assignment.partition("=")
        name, number = variable_name(name.strip()), number.strip()
        if not sep or not name.isidentifier():
            raise UsageError(
                f"--set {assignment!r}: expected NAME=NUMBER, e.g. --set x=2 "
                "(EXPR goes before --set)"
            )
        try:
            value = float(number)
        except ValueError:
            raise UsageError(f"--set {assignment!r}: {number!r} is not a number") from None
        if not math.isfinite(value):
            raise UsageError(f"--set {assignment!r}: the value must be finite")
        if name in values:
            raise UsageError(f"--set {name}: given twice")
        values[name] = value
    return values


def _count(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    if not text.isdecimal():
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more, got {text!r}")
    return int(text)
