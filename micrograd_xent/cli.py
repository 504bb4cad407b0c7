"""The ``micrograd-xent`` command: argument parsing, then a call into the package.

Errors a user can cause (bad arguments, an expression that does not parse, a
missing value) exit with status 2 and a one-line message, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

DESCRIPTION = """\
Where does the loss function go in backpropagation? micrograd-xent builds
losses as forward expressions of scalar Values, lets autograd compute the
deltas, and sets them beside the deltas a textbook derives by hand."""

EPILOG = """\
examples:
  micrograd-xent tour                      write the full report to ./tour-output
  micrograd-xent compare --loss bce --activation sigmoid --layers 2,3,2
  micrograd-xent draw "tanh(w*x + b)" --set w=-3 x=2 b=6.88 -o neuron.svg

run 'micrograd-xent COMMAND --help' for the options of one command."""


class UsageError(Exception):
    """A mistake in what the user typed: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="micrograd-xent",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    _add_tour(commands)
    _add_compare(commands)
    _add_draw(commands)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.run(args)
    except UsageError as error:
        print(f"micrograd-xent: error: {error}", file=sys.stderr)
        return 2


# --- tour --------------------------------------------------------------------


def _add_tour(commands) -> None:
    tour = commands.add_parser(
        "tour",
        help="write the report: graphs, delta tables and plots (the main job)",
        description="Build the example graphs, compare autograd with the hand-derived "
        "deltas, reproduce the learning slowdown and write it all, with an "
        "index.html, to a folder.",
    )
    tour.add_argument(
        "--out", default="tour-output", metavar="DIR", help="output folder (default: ./tour-output)"
    )
    tour.set_defaults(run=_run_tour)


def _run_tour(args: argparse.Namespace) -> int:
    from .tour import write_tour  # matplotlib is loaded only by this command

    try:
        index = write_tour(args.out)
    except OSError as error:  # e.g. --out names a file, or a folder we may not write to
        raise UsageError(f"tour: cannot write the report to {args.out!r}: {error.strerror}")
    print((index.parent / "summary.txt").read_text(encoding="utf-8"), end="")
    print(f"open the report: {index.resolve()}")
    return 0


# --- compare -----------------------------------------------------------------


def _add_compare(commands) -> None:
    compare = commands.add_parser(
        "compare",
        help="autograd vs hand-derived vs finite-difference deltas, as tables",
        description="Compare every delta and parameter gradient three ways. Exit status "
        "0 when all agree, 1 when any row disagrees, 2 on bad arguments.",
    )
    compare.set_defaults(run=_run_compare)


def _run_compare(args: argparse.Namespace) -> int:
    raise UsageError("compare: not implemented yet")


# --- draw ----------------------------------------------------------------------


def _add_draw(commands) -> None:
    draw = commands.add_parser(
        "draw",
        help="draw the graph of an expression and print each input's gradient",
        description="Parse EXPR safely (never eval), build its graph of Values, run "
        "backward and render the graph.",
    )
    draw.set_defaults(run=_run_draw)


def _run_draw(args: argparse.Namespace) -> int:
    raise UsageError("draw: not implemented yet")
