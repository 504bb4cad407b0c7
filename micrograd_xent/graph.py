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
from collections import deque
from contextlib import contextmanager
from html import escape
from pathlib import Path
from typing import Mapping, Optional, Union

import graphviz

from .engine import Value

MAX_NODES = 300  # past a few hundred nodes a drawing is no longer read, only scrolled

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


class ValueGraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering (also inline in Jupyter, which
    pipes to SVG) explains a missing ``dot`` in one message.

    ``node_names`` maps each Value drawn to its node's name in the DOT source
    (the ``<title>`` of its group in the SVG).
    """

    def pipe(self, *args, **kwargs):
        with _needs_dot():
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
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
    green when they agree, red when not. ``depth`` draws only the Values
    within that many ops of ``root``. A graph of more than ``max_nodes``
    Values raises ``GraphTooLargeError``; ``max_nodes=None`` draws any size.

    >>> z = Value(0.5, label="z")
    >>> loss = (z.sigmoid() - 1.0) ** 2
    >>> loss.backward()
    >>> s = 1 / (1 + math.exp(-0.5))
    >>> "ok" in draw_dot(loss, deltas={z: 2 * (s - 1) * s * (1 - s)}).source
    True
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: needs a Value, got {type(root).__name__} {root!r}")
    if depth is not None and depth < 0:
        raise ValueError(f"draw_dot: depth must be 0 or more, got {depth}")
    deltas = dict(deltas or {})
    depths = _depths(root)
    missing = [node for node in deltas if node not in depths]
    if missing:
        raise ValueError(f"draw_dot: deltas has a Value that is not in the graph: {missing[0]!r}")
    shown = [node for node in _inputs_first(root) if depth is None or depths[node] <= depth]
    if max_nodes is not None and len(shown) > max_nodes:
        raise _too_large(depths, len(shown), max_nodes)

    dot = ValueGraph(format=format, graph_attr={"rankdir": rankdir})
    dot.attr("node", fontname=_FONT, fontsize="12")
    dot.attr("edge", fontname=_FONT, fontsize="10", color="#555555")
    names = {node: f"v{i}" for i, node in enumerate(shown)}
    dot.node_names = names  # for a caller that marks Values in the drawing (steps.py)
    for node in shown:
        name = names[node]
        dot.node(name, _record(node, node is root, deltas.get(node)), shape="plaintext")
        if not node._prev:
            continue
        op = f"{name}_op"
        if depth is not None and depths[node] == depth:  # cut here: hint at what is above
            dot.node(op, f"… {node._op}", shape="ellipse", style="dashed", fontsize="10")
        else:
            dot.node(op, _op_text(node), shape="ellipse", style="filled", fillcolor=_OP_FILL)
            for parent, local in zip(node._prev, node._local):
                dot.edge(names[parent], op, label=_number(local) if edge_labels else None)
        dot.edge(op, name)
    cut_deltas = sum(1 for node in deltas if depth is not None and depths[node] > depth)
    caption = _caption(edge_labels, bool(deltas), len(shown), len(depths), cut_deltas)
    if caption:
        dot.attr(label=caption, labelloc="b", fontname=_FONT, fontsize="10")
    return dot


def render(
    graph: Union[Value, graphviz.Digraph], path: Union[str, os.PathLike], **draw_options
) -> Path:
    """Write ``graph`` (a Digraph, or a Value drawn with ``draw_dot(**draw_options)``).

    The extension picks the file: .svg or .png (rendered by Graphviz's ``dot``),
    .gv or .dot (the DOT source, which needs no Graphviz). Returns the path.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FILE_FORMATS:
        kind = f"a {suffix}" if suffix else "an extensionless"
        raise ValueError(
            f"render: cannot write {kind} file ({path}); "
            "use .svg or .png for an image, .gv or .dot for the DOT source"
        )
    if isinstance(graph, Value):
        graph = draw_dot(graph, **draw_options)
    image_format = FILE_FORMATS[suffix]
    if image_format is None:
        path.write_text(graph.source, encoding="utf-8")
    else:
        with _needs_dot():
            path.write_bytes(graph.pipe(format=image_format))
    return path


# --- what a node shows -------------------------------------------------------


def _record(node: Value, is_root: bool, hand_delta: Optional[float]) -> str:
    """An HTML-like table: label, data, grad; below it the δ comparison if asked."""
    fill = _ROOT_FILL if is_root else _LEAF_FILL if not node._prev else "white"
    cells = [f"<td><b>{escape(node.label)}</b></td>"] if node.label else []
    cells += [f"<td>data {_number(node.data)}</td>", f"<td>grad {_number(node.grad)}</td>"]
    rows = f"<tr>{''.join(cells)}</tr>"
    if hand_delta is not None:
        agree = math.isclose(node.grad, hand_delta, rel_tol=1e-6, abs_tol=1e-9)
        verdict, colour = ("ok", _OK_FILL) if agree else ("MISMATCH", _MISMATCH_FILL)
        rows += (
            f'<tr><td colspan="{len(cells)}" bgcolor="{colour}">δ autograd {_number(node.grad)}'
            f" / hand {_number(hand_delta)}  {verdict}</td></tr>"
        )
    return (
        f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4" '
        f'bgcolor="{fill}">{rows}</table>>'
    )


def _op_text(node: Value) -> str:
    """The op, with the plain number the engine folded into it: "* 3", "- 2", "1 -".

    A constant left of - or / stands before the op ("1 -" is 1 minus the input),
    with no letter for the input that a reader could take for a labelled leaf.
    """
    op, parents = node._op, node._prev
    if op == "+":
        total = 0.0
        for parent in parents:  # in Value.sum's order, so no constant leaves exactly 0
            total += parent.data
        constant = _recovered(node.data - total, node, len(parents))
        return f"+ {constant}" if constant else "+"
    if op not in ("-", "*", "/") or len(parents) != 1:
        return op
    x, local, out = parents[0].data, node._local[0], node.data
    if op == "*":
        return f"* {_constant(local)}"
    if op == "-":
        constant = _recovered(x - out if local > 0 else out + x, node, 1)
        if not constant:
            return "-"
        return f"- {constant}" if local > 0 else f"{constant} -"
    if x != 0.0 and local == -out / x:  # c / x: the engine stored -out/x
        return f"{_constant(out * x)} /"
    return f"/ {_constant(1.0 / local)}"


def _recovered(constant: float, node: Value, additions: int) -> Optional[str]:
    """A constant of + or - worked back from the data, or None if rounding may
    have changed it past the digits shown: 1e20 - 1 is 1e20, so the 1 is gone.

    Each addition, the engine's and ours, is off by at most half an ulp of the
    largest magnitude involved; the constant is shown only if that is far below
    its fourth significant digit. Never 0, inf or nan: 0 is as likely a lost constant.
    """
    scale = abs(node.data) + abs(constant) + sum(abs(parent.data) for parent in node._prev)
    if math.isfinite(scale) and additions * math.ulp(scale) < 1e-6 * abs(constant):
        return _constant(constant)
    return None


def _number(x: float) -> str:
    """Four significant digits, always with a point, so 2.0 reads "2.000"."""
    return f"{x + 0.0:#.4g}"  # + 0.0 turns -0.0 into 0.0: "-0.000" only puzzles a reader


def _constant(x: float) -> str:
    return f"{x:.4g}"


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


def _inputs_first(root: Value) -> list[Value]:
    """Every Value, parents before children and leaves in the order they are
    first used, so that dot stacks x1, w1, x2, w2 as the expression reads.

    A depth-first search of its own: the engine's sort is made for
    ``backward()`` and marks nodes through their grads, which a drawing shows.
    """
    order: list[Value] = []
    seen = {root}
    stack = [(root, iter(root._prev))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent._prev)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _too_large(depths: dict[Value, int], shown: int, max_nodes: int) -> GraphTooLargeError:
    message = (
        f"draw_dot: {shown} Values to draw, more than max_nodes={max_nodes} can show "
        "readably; pass max_nodes=None to draw them all anyway"
    )
    counts = [0] * (max(depths.values()) + 1)
    for d in depths.values():
        counts[d] += 1
    fitting = [d for d in range(len(counts)) if sum(counts[: d + 1]) <= max_nodes]
    depth = fitting[-1] if fitting else None
    if fitting:
        message += f", or depth={depth} to draw the {sum(counts[: depth + 1])} nearest the output"
    return GraphTooLargeError(message, shown, max_nodes, depth)
