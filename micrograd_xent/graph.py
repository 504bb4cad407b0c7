"""Draw a graph of Values: each node's data and grad, the ops between them.

``draw_dot(root)`` returns a ``graphviz.Digraph`` (micrograd's call, and a
Digraph shows itself inline in Jupyter). Beyond micrograd it can label each
edge with its local derivative ∂out/∂in — multiply along a path and you get
the grad — and set the deltas autograd found beside hand-derived ones.

>>> from micrograd_xent import Value
>>> x = Value(2.0, label="x")
>>> y = (x * 3).tanh()
>>> y.backward()
>>> dot = draw_dot(y, edge_labels=True)
>>> len([line for line in dot.body if "data" in line])  # x, x*3 and y
3
"""

from __future__ import annotations

import math
import os
import signal
import unicodedata
from collections import deque
from contextlib import contextmanager
from html import escape
from numbers import Integral, Real
from pathlib import Path
from typing import Mapping, Optional, Union

import graphviz

from .engine import Value

# Karpathy's lecture MLP(3, [4, 4, 1]) over four examples with a squared-error
# loss has about 350 Values and should draw as it did there; much past that a
# drawing is no longer read, only scrolled (and dot slows down or fails).
MAX_NODES = 400
MAX_LABEL = 80  # characters of a label shown; Graphviz refuses a label over 16 KB
RANKDIRS = ("LR", "TB", "RL", "BT")

FILE_FORMATS = {".svg": "svg", ".png": "png", ".gv": None, ".dot": None}  # None: DOT source

INSTALL_HELP = (
    "Graphviz's 'dot' program was not found on PATH; install Graphviz to render "
    "images: apt-get install graphviz (Debian/Ubuntu), brew install graphviz (macOS), "
    "conda install -c conda-forge graphviz, or winget install graphviz (Windows). "
    "The DOT source needs no Graphviz: save it with a .gv or .dot path, or use "
    "the Digraph's .source."
)

_LEAF_FILL = "#dbeafe"  # inputs and parameters
_ROOT_FILL = "#fde68a"  # the output, usually the loss
_OP_FILL = "#eeeeee"
_OK_FILL, _MISMATCH_FILL = "#c6efce", "#ffc7ce"
_FONT = "Helvetica,Arial,sans-serif"


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` is not installed, so only the DOT source can be saved."""


class GraphvizFailedError(RuntimeError):
    """Graphviz's ``dot`` ran and failed; the message is the first line it wrote."""


class GraphTooLargeError(ValueError):
    """The graph has more Values than ``max_nodes``; the message says what to pass.

    ``size`` is how many Values there were to draw, ``depth`` the largest depth
    that fits in ``max_nodes`` (None if none does), for a caller to word its own advice.
    """

    def __init__(self, message: str, size: int, max_nodes: int, depth: Optional[int]) -> None:
        super().__init__(message)
        self.size, self.max_nodes, self.depth = size, max_nodes, depth


@contextmanager
def _needs_dot():
    try:
        yield
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(INSTALL_HELP) from None
    except graphviz.CalledProcessError as error:
        said = (error.stderr or b"").decode("utf-8", errors="replace").strip()
        first = _readable(said.splitlines()[0]) if said else "no message"
        if error.returncode < 0:  # dot 2.43 crashes on some large graphs, silently
            how = f"crashed ({signal.Signals(-error.returncode).name})"
        else:
            how = f"failed (exit status {error.returncode})"
        raise GraphvizFailedError(f"Graphviz's dot {how}: {first}") from None


class ValueGraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering (also inline in Jupyter, which
    pipes to SVG) explains a missing or failing ``dot`` in one message.

    ``node_names`` maps each Value drawn to its node's name in the DOT source
    (the ``<title>`` of its group in the SVG).
    """

    def pipe(self, *args, **kwargs):
        kwargs.setdefault("quiet", True)  # what dot says goes into the error, not to stderr
        with _needs_dot():
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        kwargs.setdefault("quiet", True)
        with _needs_dot():
            return super().render(*args, **kwargs)


def draw_dot(
    root: Value,
    format: str = "svg",
    rankdir: str = "LR",
    *,
    edge_labels: bool = False,
    deltas: Optional[Mapping[Value, float]] = None,
    depth: Optional[int] = None,
    max_nodes: Optional[int] = MAX_NODES,
) -> graphviz.Digraph:
    """The graph ending at ``root``: a node per Value (label, data, grad), one per op.

    Leaves (inputs, parameters) are blue and ``root`` amber. ``edge_labels``
    writes ∂out/∂in on each edge. ``deltas`` maps Values (the pre-activations
    z) to hand-derived δ = ∂root/∂z; each such node shows "autograd / hand",
    green when they agree to the four digits drawn, red when not. ``depth``
    draws only the Values within that many ops of ``root``. A graph of more
    than ``max_nodes`` Values raises ``GraphTooLargeError`` before anything is
    drawn; ``max_nodes=None`` draws any size. Drawing changes nothing in the
    graph, no grad included.

    >>> z = Value(0.5, label="z")
    >>> loss = (z.sigmoid() - 1.0) ** 2
    >>> loss.backward()
    >>> s = 1 / (1 + math.exp(-0.5))
    >>> "ok" in draw_dot(loss, deltas={z: 2 * (s - 1) * s * (1 - s)}).source
    True
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: needs a Value, got {type(root).__name__} {root!r}")
    _check_choice("format", format, graphviz.FORMATS, "a Graphviz format such as 'svg' or 'png'")
    _check_choice("rankdir", rankdir, RANKDIRS, "one of " + ", ".join(map(repr, RANKDIRS)))
    _check_count("depth", depth)
    _check_count("max_nodes", max_nodes)
    deltas = _checked_deltas(deltas)
    depths = _depths(root)
    missing = [node for node in deltas if node not in depths]
    if missing:
        raise ValueError(f"draw_dot: deltas has a Value that is not in the graph: {missing[0]!r}")
    counts = _counts_by_depth(depths)
    size = sum(counts if depth is None else counts[: depth + 1])
    if max_nodes is not None and size > max_nodes:
        raise _too_large(counts, size, max_nodes)

    dot = ValueGraph(format=format, graph_attr={"rankdir": rankdir})
    dot.attr("node", fontname=_FONT, fontsize="12")
    dot.attr("edge", fontname=_FONT, fontsize="10", color="#555555")
    shown = _inputs_first(root, depths, depth)
    names = {node: f"v{i}" for i, node in enumerate(shown)}
    dot.node_names = names  # for a caller that marks Values in the drawing (steps.py)
    for node in shown:
        name = names[node]
        dot.node(name, _record(node, node is root, deltas.get(node)), shape="plaintext")
        if not node._prev:
            continue
        op = f"{name}_op"
        if depth is not None and depths[node] == depth:  # cut here: hint at what is above
            dot.node(op, _html(f"… {_op_text(node)}"), style="dashed", fontsize="10")
        else:
            dot.node(op, _html(_op_text(node)), style="filled", fillcolor=_OP_FILL)
            # a node made with micrograd's constructor has a closure, not local derivatives
            local = node._local if edge_labels and node._local is not None else ()
            for i, parent in enumerate(node._prev):
                dot.edge(names[parent], op, label=_number(local[i]) if local else None)
        dot.edge(op, name)
    cut_deltas = sum(1 for node in deltas if depth is not None and depths[node] > depth)
    caption = _caption(edge_labels, bool(deltas), len(shown), len(depths), cut_deltas)
    if caption:
        dot.attr(label=caption, labelloc="b", fontname=_FONT, fontsize="10")
    return dot


def _suffix(caller: str, path: Path, formats, choices: str) -> str:
    """The extension of ``path``, lower-cased, when ``formats`` has it; else a
    ValueError in ``caller``'s name that lists the ``choices``."""
    suffix = path.suffix.lower()
    if suffix not in formats:
        kind = f"a {suffix}" if suffix else "an extensionless"
        raise ValueError(f"{caller}: cannot write {kind} file ({path}); use {choices}")
    return suffix


def render(
    graph: Union[Value, graphviz.Digraph], path: Union[str, os.PathLike], **draw_options
) -> Path:
    """Write ``graph`` (a Digraph, or a Value drawn with ``draw_dot(**draw_options)``).

    The extension picks the file: .svg or .png (rendered by Graphviz's ``dot``),
    .gv or .dot (the DOT source, which needs no Graphviz). Returns the path.

    >>> import tempfile
    >>> path = render(Value(2.0, label="x") * 3, Path(tempfile.mkdtemp()) / "x.gv")
    >>> path.name, path.read_text().startswith("digraph")
    ('x.gv', True)
    """
    if not isinstance(graph, (Value, graphviz.Digraph)):
        raise TypeError(
            f"render: graph must be a Value or a graphviz.Digraph, "
            f"got {type(graph).__name__} {graph!r}"
        )
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"render: path must be a str or a path, got {type(path).__name__}")
    path = Path(path)
    suffix = _suffix(
        "render", path, FILE_FORMATS, ".svg or .png for an image, .gv or .dot for the DOT source"
    )
    if isinstance(graph, Value):
        graph = draw_dot(graph, **draw_options)
    image_format = FILE_FORMATS[suffix]
    if image_format is None:
        path.write_text(graph.source, encoding="utf-8")
    else:
        with _needs_dot():
            path.write_bytes(graph.pipe(format=image_format, quiet=True))
    return path


def _check_choice(argument: str, given, choices, wanted: str) -> None:
    if not isinstance(given, str):
        raise TypeError(f"draw_dot: {argument} must be a str, got {type(given).__name__} {given!r}")
    if given not in choices:
        raise ValueError(f"draw_dot: {argument} must be {wanted}, got {given!r}")


def _check_count(argument: str, given) -> None:
    """``depth`` and ``max_nodes``: None or a whole number, 0 or more."""
    if given is None:
        return
    if not isinstance(given, Integral) or isinstance(given, bool):
        raise TypeError(
            f"draw_dot: {argument} must be a whole number (an int) or None, "
            f"got {type(given).__name__} {given!r}"
        )
    if given < 0:
        raise ValueError(f"draw_dot: {argument} must be 0 or more, got {given}")


def _checked_deltas(deltas) -> dict[Value, float]:
    if deltas is None:
        return {}
    if not isinstance(deltas, Mapping):
        raise TypeError(f"draw_dot: deltas must map Values to numbers, got {type(deltas).__name__}")
    for node, delta in deltas.items():
        if not isinstance(node, Value) or not isinstance(delta, Real):
            raise TypeError(
                f"draw_dot: deltas must map Values to numbers, got the entry {node!r}: {delta!r}"
            )
    return {node: float(delta) for node, delta in deltas.items()}


# --- what a node shows -------------------------------------------------------


def _record(node: Value, is_root: bool, hand_delta: Optional[float]) -> str:
    """An HTML-like table: label, data, grad; below it the δ comparison if asked."""
    fill = _ROOT_FILL if is_root else _LEAF_FILL if not node._prev else "white"
    cells = [f"<td><b>{_markup(str(node.label))}</b></td>"] if node.label else []
    cells += [f"<td>data {_number(node.data)}</td>", f"<td>grad {_number(node.grad)}</td>"]
    rows = f"<tr>{''.join(cells)}</tr>"
    if hand_delta is not None:
        agree = _agree(node.grad, hand_delta)
        verdict, colour = ("ok", _OK_FILL) if agree else ("MISMATCH", _MISMATCH_FILL)
        rows += (
            f'<tr><td colspan="{len(cells)}" bgcolor="{colour}">δ autograd {_number(node.grad)}'
            f" / hand {_number(hand_delta)}  {verdict}</td></tr>"
        )
    return (
        f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4" '
        f'bgcolor="{fill}">{rows}</table>>'
    )


def _agree(autograd, hand: float) -> bool:
    """Whether a hand-derived δ agrees with autograd's at the precision drawn:
    the same four digits, or equal to far more than four digits where rounding
    to four falls between them (0.33185 and 0.3318499999)."""
    if not isinstance(autograd, Real) or math.isnan(autograd) or math.isnan(hand):
        return False
    return _number(autograd) == _number(hand) or math.isclose(
        autograd, hand, rel_tol=1e-6, abs_tol=1e-9
    )


# How an op shows the plain number folded into it: {c} as _constant writes it,
# {p} for a power as Python writes one (x**2, 2**x). A constant left of - or /
# stands before the op ("1 -" is 1 minus the input), with no letter for the
# input that a reader could take for a labelled leaf. (dot's _const is no
# number of the sum but a count of its parents, so dot shows just its name.)
_WITH_CONSTANT = {
    "+": "+ {c}",
    "-": "- {c}",
    "*": "* {c}",
    "/": "/ {c}",
    "rsub": "{c} -",
    "rdiv": "{c} /",
    "**": "**{p}",
    "rpow": "{p}**",
}


def _op_text(node: Value) -> str:
    """The op, with the number the engine recorded folded into it: "* 3", "1 -", "**2"."""
    const = node._const
    if const is None or node._op not in _WITH_CONSTANT:
        return node._op
    return _WITH_CONSTANT[node._op].format(c=_constant(const), p=f"{const:g}")


def _constant(x: float) -> str:
    """A plain number in an op, to four significant digits without padding: "3", "0.001"."""
    return f"{x:.4g}"


def _number(x: float) -> str:
    """Four significant digits, always with a point, so 2.0 reads "2.000"; a grad
    set to something else (None, as a reset) is shown as it is."""
    if not isinstance(x, Real):
        return _readable(repr(x), 20)
    return f"{x + 0.0:#.4g}"  # + 0.0 turns -0.0 into 0.0: "-0.000" only puzzles a reader


def _readable(text: str, limit: int = MAX_LABEL) -> str:
    """``text`` as a drawing can show it: cut to ``limit`` characters, and each
    control character, surrogate or unassigned code point written as its escape
    (``\\x00``, ``\\ufffe``), which Graphviz would otherwise refuse or garble.

    >>> _readable("a\\x01b"), _readable("δ" * 100, 5)
    ('a\\\\x01b', 'δδδδ…')
    """
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(
        ascii(c)[1:-1] if unicodedata.category(c) in ("Cc", "Cs", "Cn") else c for c in text
    )


def _html(text: str) -> str:
    """A Graphviz HTML-like label showing ``text`` as it is: no ``\\N`` or ``\\l``
    escapes, no markup."""
    return f"<{_markup(str(text))}>"


def _markup(text: str) -> str:
    """``text`` for an HTML-like label. A "]" is written as a character
    reference too: dot's lexer fails on text that is only "]" or "]]"."""
    return escape(_readable(text)).replace("]", "&#93;")


def _caption(edge_labels: bool, deltas: bool, shown: int, total: int, cut_deltas: int) -> str:
    notes = []
    if shown < total:
        notes.append(f"showing the {shown} of {total} Values nearest the output")
    if cut_deltas:
        notes.append(f"{cut_deltas} Value(s) with a hand-derived δ lie beyond this depth")
    if edge_labels:
        notes.append("edge label: local derivative ∂out/∂in")
    if deltas:
        notes.append("δ = ∂output/∂node: autograd / hand-derived")
    return "\n".join(notes)


# --- size ----------------------------------------------------------------------


def _depths(root: Value) -> dict[Value, int]:
    """Each Value's distance in ops from ``root``, breadth first, root first."""
    depths = {root: 0}
    queue = deque([root])
    while queue:
        node = queue.popleft()
        for parent in node._prev:
            if parent not in depths:
                depths[parent] = depths[node] + 1
                queue.append(parent)
    return depths


def _counts_by_depth(depths: dict[Value, int]) -> list[int]:
    """How many Values lie at each depth; ``depths`` is in breadth-first order."""
    counts = [0] * (depths[next(reversed(depths))] + 1)
    for d in depths.values():
        counts[d] += 1
    return counts


def _inputs_first(root: Value, depths: dict[Value, int], depth: Optional[int]) -> list[Value]:
    """The Values within ``depth`` of ``root``, parents before children and
    leaves in the order they are first used, so that dot stacks x1, w1, x2, w2
    as the expression reads.

    A depth-first search of its own, which goes no further than ``depth``:
    the engine's sort is made for ``backward()`` and knows no depth.
    """
    order: list[Value] = []
    seen = {root}
    stack = [(root, iter(root._prev if depth != 0 else ()))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in seen and (depth is None or depths[parent] <= depth):
                seen.add(parent)
                cut = depth is not None and depths[parent] == depth
                stack.append((parent, iter(() if cut else parent._prev)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _too_large(counts: list[int], size: int, max_nodes: int) -> GraphTooLargeError:
    message = (
        f"draw_dot: {size} Values to draw, more than max_nodes={max_nodes} can show "
        "readably; pass max_nodes=None to draw them all anyway"
    )
    depth, fitting = None, 0
    for d, count in enumerate(counts):
        if fitting + count > max_nodes:
            break
        depth, fitting = d, fitting + count
    if depth is not None:
        message += f", or depth={depth} to draw the {fitting} nearest the output"
    return GraphTooLargeError(message, size, max_nodes, depth)
