"""The backward pass one edge at a time: what ``backward()`` does, as steps.

``backward()`` walks the graph from the output back to the inputs and, for
each edge node → parent, adds ``local × node.grad`` into ``parent.grad``.
``backward_steps(root)`` records exactly those additions, in that order,
without touching any ``.grad``: read them as a ledger (``text()``), step
through them in a browser (``html()``, or inline in Jupyter) or watch them as
an animation (``save("steps.gif")``).

>>> from micrograd_xent import Value
>>> w, x = Value(-0.8, label="w"), Value(1.5, label="x")
>>> steps = backward_steps(w * x)
>>> print(steps)
backward from w*x = -1.200: (w*x).grad = 1 to start
  1. w.grad += x·(w*x).grad = 1.500 × 1.000 = 1.500   (w.grad now 1.500)
  2. x.grad += w·(w*x).grad = -0.8000 × 1.000 = -0.8000   (x.grad now -0.8000)
the gradients of (w*x):
  w.grad = 1.500
  x.grad = -0.8000
>>> w.grad  # untouched
0.0
"""

from __future__ import annotations

import copy
import io
import json
import math
import re
import uuid
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Mapping, NamedTuple, Optional, Union

from .engine import Value
from .graph import (
    _FONT,
    MAX_NODES,
    GraphTooLargeError,
    GraphvizNotFoundError,
    _constant,
    _number,
    _suffix,
    draw_dot,
)

SAVE_FORMATS = (".html", ".gif", ".txt")
_LONGEST_NAME = 24  # past this an unlabelled node is named by its op and a number
_FROM, _TO = "#e8590c", "#2f9e44"  # the node passing its gradient, the parent receiving it


class Step(NamedTuple):
    """One addition ``parent.grad += local × node.grad`` of the backward pass.

    >>> w, x = Value(2.0, label="w"), Value(3.0, label="x")
    >>> step = backward_steps(w * x)[0]
    >>> step.parent.label, step.local, step.upstream, step.contribution, step.total
    ('w', 3.0, 1.0, 3.0, 3.0)
    """

    node: Value  # passes its gradient down
    parent: Value  # receives it
    local: float  # ∂node/∂parent
    upstream: float  # ∂root/∂node, complete by now
    contribution: float  # local × upstream
    total: float  # ∂root/∂parent summed so far, this step included


def backward_steps(root: Value) -> Steps:
    """What ``root.backward()`` does, one edge at a time, in its order; no grad changes.

    >>> x = Value(3.0, label="x")
    >>> [(s.local, s.total) for s in backward_steps(x * x)]  # two edges into x
    [(3.0, 3.0), (3.0, 6.0)]
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps: needs a Value, got {type(root).__name__} {root!r}")
    order = root._topological_order()  # backward()'s own order, so the two cannot drift apart
    for node in order:
        if node._local is None:
            raise ValueError(
                f"backward_steps: the op {node._op!r} was made with micrograd's constructor "
                "and a closure, whose steps cannot be read without running it and writing "
                "grads; make it with Value.op(data, parents, local_derivatives, name)"
            )
    totals = {id(root): 1.0}
    steps, edges = [], []
    for node in reversed(order):
        upstream = totals[id(node)]
        for i, (parent, local) in enumerate(zip(node._prev, node._local)):
            contribution = local * upstream
            # 0.0 + first, as backward() starts each grad at 0.0 (so -0.0 becomes 0.0 there too)
            total = totals.get(id(parent), 0.0) + contribution
            totals[id(parent)] = total
            steps.append(Step(node, parent, local, upstream, contribution, total))
            edges.append(i)
    return Steps(root, steps, edges)


class Steps(Sequence):
    """The steps of one backward pass: a sequence of ``Step``, with ways to show them.

    ``text()`` (or ``str()``) is the ledger, ``html()`` a page that steps
    through the graph, ``save(path)`` writes .html, .gif or .txt.
    """

    def __init__(self, root: Value, steps: Sequence[Step], edges: Sequence[int]) -> None:
        self.root = root
        self._steps = tuple(steps)
        # which of node._prev each step's edge is: x * x has two steps into x
        self._edges = tuple(edges)

    def __len__(self) -> int:
        return len(self._steps)

    def __getitem__(self, index):
        return self._steps[index]

    def __repr__(self) -> str:
        return f"<Steps: {len(self)} steps of backward() from {_Names(self.root)[self.root]}>"

    def __str__(self) -> str:
        return self.text()

    def leaves(self) -> list[Value]:
        """The inputs and parameters, in the order the expression names them.

        >>> w, x = Value(2.0, label="w"), Value(3.0, label="x")
        >>> [v.label for v in backward_steps(x * w + x).leaves()]
        ['x', 'w']
        """
        return _leaves(self.root)

    def grads(self, k: Optional[int] = None) -> dict[Value, float]:
        """Each Value's grad after the first k steps (all by default); the ones
        not reached yet are missing, and the root holds 1.0 from the start.

        >>> x = Value(2.0, label="x")
        >>> steps = backward_steps(x * x + x)
        >>> steps.grads(0)[x] if x in steps.grads(0) else "?", steps.grads()[x]
        ('?', 5.0)
        """
        k = len(self) if k is None else k
        grads = {self.root: 1.0}
        for step in self._steps[:k]:
            grads[step.parent] = step.total
        return grads

    # --- the ledger ------------------------------------------------------------

    def text(self) -> str:
        """The ledger: the start, a line per step, then each leaf's gradient.

        >>> w, x = Value(2.0, label="w"), Value(3.0, label="x")
        >>> print(backward_steps(w * x).text())
        backward from w*x = 6.000: (w*x).grad = 1 to start
          1. w.grad += x·(w*x).grad = 3.000 × 1.000 = 3.000   (w.grad now 3.000)
          2. x.grad += w·(w*x).grad = 2.000 × 1.000 = 2.000   (x.grad now 2.000)
        the gradients of (w*x):
          w.grad = 3.000
          x.grad = 2.000
        """
        return "\n".join(self._lines(_Names(self.root)))

    def _lines(self, names: _Names) -> list[str]:
        """The start line, one line per step, then the leaves' gradients."""
        root = names.ref(self.root)
        if not self:
            return [f"{root} is a leaf: backward() adds 1 to {root}.grad and has no steps"]
        start = f"backward from {names[self.root]} = {_number(self.root.data)}: "
        lines = [start + f"{root}.grad = 1 to start"]
        lines += [f"{k:3d}. {line}" for k, line in enumerate(self._step_lines(names), 1)]
        lines.append(f"the gradients of {root}:")
        final = self.grads()
        lines += [f"  {names.ref(leaf)}.grad = {_number(final[leaf])}" for leaf in self.leaves()]
        return lines

    def _step_lines(self, names: _Names) -> list[str]:
        lines, totals = [], {}
        for step, i in zip(self._steps, self._edges):
            node, parent = names.ref(step.node), names.ref(step.parent)
            rule = _rule(step.node, i, names)
            now = _number(step.total)
            if step.parent in totals:  # a fan-in: show the sum building
                sign = "-" if step.contribution < 0.0 else "+"
                term = _number(abs(step.contribution))
                now = f"{_number(totals[step.parent])} {sign} {term} = {now}"
            totals[step.parent] = step.total
            lines.append(
                f"{parent}.grad += {rule}·{node}.grad = {_number(step.local)} × "
                f"{_number(step.upstream)} = {_number(step.contribution)}   "
                f"({parent}.grad now {now})"
            )
        return lines

    # --- the viewer and the animation --------------------------------------------

    def html(
        self,
        deltas: Optional[Mapping[Value, float]] = None,
        *,
        rankdir: str = "LR",
        max_nodes: Optional[int] = MAX_NODES,
        depth: Optional[int] = None,
    ) -> str:
        """One standalone page that steps through the backward pass over the graph.

        Everything is inline (the SVG that Graphviz laid out once, the style,
        the script), so it works opened from disk with no network. ``deltas``
        sets hand-derived δ beside autograd's; ``rankdir``, ``max_nodes`` and
        ``depth`` are ``draw_dot``'s (a step into a Value left out still shows
        its ledger line).
        """
        drawing = _Drawing(self, deltas, rankdir=rankdir, max_nodes=max_nodes, depth=depth)
        return _page(self, drawing, f"mx{uuid.uuid4().hex[:10]}")

    def _repr_html_(self) -> str:
        """The viewer inline in Jupyter, VS Code or JupyterLab (see ``show``); the
        ledger, and why, where there is no viewer (no Graphviz, a graph too large)."""
        try:
            return self.show()._repr_html_()
        except (GraphvizNotFoundError, GraphTooLargeError) as error:
            return f"<p>{escape(str(error))}</p>\n<pre>{escape(self.text())}</pre>"

    def show(self, deltas: Optional[Mapping[Value, float]] = None, **draw_options) -> Inline:
        """The viewer for a notebook cell, with ``html``'s options (``deltas=`` …).

        It is the page in an iframe, so its ids and script cannot clash with
        anything else in the notebook, and it keeps working where a frontend
        strips scripts from the outputs themselves.
        """
        return Inline(self.html(deltas, **draw_options))

    def gif_frames(self, deltas: Optional[Mapping[Value, float]] = None, **draw_options) -> list:
        """PIL images, one for the start and one per step, all the same size
        (``draw_options``: ``rankdir``, ``max_nodes`` and ``depth``, as for ``html``)."""
        from PIL import Image

        pngs = _Drawing(self, deltas, **draw_options).frames()
        images = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
        # dot sizes a frame by its caption too: pad all to the largest, top left
        width, height = max(i.width for i in images), max(i.height for i in images)
        frames = []
        for image in images:
            frame = Image.new("RGB", (width, height), "white")
            frame.paste(image, (0, 0))
            frames.append(frame)
        return frames

    def save(
        self, path: Union[str, Path], deltas: Optional[Mapping[Value, float]] = None, **draw_options
    ) -> Path:
        """Write the page (.html), the animation (.gif) or the ledger (.txt); returns the path.

        ``deltas`` and ``draw_options`` (``rankdir``, ``max_nodes``, ``depth``) as for ``html``.
        """
        path = Path(path)
        suffix = _suffix(
            "Steps.save",
            path,
            SAVE_FORMATS,
            ".html for the step-by-step page, .gif for the animation or .txt for the ledger",
        )
        if suffix == ".txt":
            path.write_text(self.text() + "\n", encoding="utf-8")
        elif suffix == ".html":
            html = self.html(deltas, **draw_options)
            path.write_text(html, encoding="utf-8")
        else:
            frames = self.gif_frames(deltas, **draw_options)
            # the start and the end stay on screen longer than the steps between
            durations = [1500] + [900] * (len(frames) - 2) + [3000] if len(frames) > 1 else [1500]
            frames[0].save(
                path, save_all=True, append_images=frames[1:], duration=durations, loop=0
            )
        return path


class Inline:
    """A page shown inline in a notebook: Jupyter, VS Code and JupyterLab call ``_repr_html_``."""

    def __init__(self, page: str) -> None:
        self.page = page

    def _repr_html_(self) -> str:
        match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', self.page)
        height = float(match.group(2)) * 4 / 3 if match else 300  # pt → px
        height = int(min(height + 200, 760))
        return (
            f'<iframe srcdoc="{escape(self.page, quote=True)}" sandbox="allow-scripts" '
            f'style="width:100%;height:{height}px;border:1px solid #ddd" '
            'title="backward() step by step"></iframe>'
        )


# --- names and rules -------------------------------------------------------------


class _Names(dict):
    """How the ledger names each Value: its label; unlabelled, the expression of
    its op (``w*x + b``, ``tanh(n)``), or the op and a number once that gets long.

    ``ref(node)`` is the name to put before ".grad": ``(w*x).grad``.
    """

    def __init__(self, root: Value) -> None:
        super().__init__()
        self._precedence: dict[Value, int] = {}
        self._unnamed = 0
        for node in root._topological_order() or [root]:  # parents first
            for parent in node._prev:
                if parent not in self:
                    self._add(parent)
            self._add(node)

    def ref(self, node: Value) -> str:
        return self[node] if self._precedence[node] == _ATOM else f"({self[node]})"

    def _add(self, node: Value) -> None:
        if node.label:  # a label such as "x1*w1" is bracketed like the expression it reads as
            name, precedence = node.label, _ATOM if _is_one_term(node.label) else 0
        elif not node._prev:
            name, precedence = f"Value({_number(node.data)})", _ATOM
        else:
            name, precedence = self._expression(node)
            if len(name) > _LONGEST_NAME:
                self._unnamed += 1
                name, precedence = f"[{node._op}#{self._unnamed}]", _ATOM
        self[node], self._precedence[node] = name, precedence

    def _expression(self, node: Value) -> tuple[str, int]:
        op, const, prev = node._op, node._const, node._prev
        if op in _INFIX:
            precedence = _INFIX[op]
            terms = [self._operand(p, precedence, right=k > 0) for k, p in enumerate(prev)]
            if const is not None:  # x * 3, or the numbers of a Value.sum
                terms.append(_constant(const))
            return _SPACED.get(op, op).join(terms), precedence
        if op in _CONSTANT_FIRST:
            symbol = _CONSTANT_FIRST[op]
            operand = self._operand(prev[0], _INFIX[symbol], right=True)
            return f"{_constant(const)}{_SPACED.get(symbol, symbol)}{operand}", _INFIX[symbol]
        if op == "neg":
            return f"-{self._operand(prev[0], _NEGATION, right=True)}", _NEGATION
        if op == "dot":  # the Value·Value pairs first, then each Value times its number
            mul = _INFIX["*"]
            pairs = [self._operand(p, mul, right=k % 2 == 1) for k, p in enumerate(prev[:const])]
            terms = [f"{a}*{b}" for a, b in zip(pairs[::2], pairs[1::2])] + [
                f"{self._operand(p, mul, right=False)}*{_constant(local)}"
                for p, local in zip(prev[const:], node._local[const:])
            ]
            return " + ".join(terms), _INFIX["+"]
        return f"{op}({', '.join(self[p] for p in prev)})", _ATOM

    def _operand(self, node: Value, precedence: int, right: bool) -> str:
        """A name inside an expression, bracketed where the reading would change."""
        own = self._precedence[node]
        if own < precedence or own == precedence and right and precedence != _INFIX["+"]:
            return f"({self[node]})"
        return self[node]


_ATOM, _POWER, _NEGATION = 9, 4, 3
_INFIX = {"+": 1, "-": 1, "*": 2, "/": 2, "**": _POWER}
_SPACED = {"+": " + ", "-": " - "}  # w*x + b: the spaces show what binds tighter
_CONSTANT_FIRST = {"rsub": "-", "rdiv": "/", "rpow": "**"}


# ∂out/∂x of each one-input op, as a learner writes it: o is the op's output, x its
# input (bracketed where needed), z its input unbracketed, c the number folded in
_RULES = {
    "rsub": "-1",
    "neg": "-1",
    "rdiv": "-{c}/{x}²",
    "rpow": "{o}·ln {c}",
    "exp": "{o}",
    "log": "1/{x}",
    "log1p": "1/(1 + {x})",
    "tanh": "1 - {o}²",
    "sigmoid": "σ({z})(1 - σ({z}))",
    "relu": "(1 if {z} > 0 else 0)",
    "abs": "sign({x})",
}


def _rule(node: Value, i: int, names: _Names) -> str:
    """∂node/∂parent i as a learner writes it: "x" for ∂(w*x)/∂w, "(1 - o²)" for tanh."""
    op, const, prev = node._op, node._const, node._prev
    if op in _RULES:
        c = "" if const is None else _constant(const)
        x, z = names.ref(prev[0]), names[prev[0]]
        rule = _RULES[op].format(o=names.ref(node), x=x, z=z, c=c)
    elif op == "+":
        rule = "1"
    elif op == "-":
        rule = "1" if i == 0 else "-1"
    elif op == "*":
        rule = _constant(const) if const is not None else names.ref(prev[1 - i])
    elif op == "/" and const is not None:
        rule = f"1/{_constant(const)}"
    elif op == "/":
        a, b = names.ref(prev[0]), names.ref(prev[1])
        rule = f"1/{b}" if i == 0 else f"-{a}/{b}²"
    elif op == "**":
        rule = _power_rule(node, i, names)
    elif op == "dot":
        rule = _dot_partner(node, i, names)
    else:  # an op made with Value.op: no rule known, only its number
        rule = f"∂{names.ref(node)}/∂{names.ref(prev[i])}"
    return rule if _is_one_term(rule) else f"({rule})"  # so "·" multiplies all of it


def _is_one_term(text: str) -> bool:
    """True for "x", "-1", "tanh(n)", "(a + b)"; False for "1 - o²", "σ(z)(1 - σ(z))"."""
    head = re.match(r"-?[^\s()·/+*-]*", text).end()
    if head == len(text):
        return True
    if text[head] != "(":
        return False
    depth = 0
    for i in range(head, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i == len(text) - 1
    return False


def _power_rule(node: Value, i: int, names: _Names) -> str:
    x = names.ref(node._prev[0])
    if node._const is None:  # x ** y
        y = names.ref(node._prev[1])
        return f"{y}·{x}^({y} - 1)" if i == 0 else f"{names.ref(node)}·ln {x}"
    p = node._const
    if p in (0.0, 1.0):
        return _constant(p)
    return f"{_constant(p)}·{x}" if p == 2.0 else f"{_constant(p)}·{x}^{_constant(p - 1.0)}"


def _dot_partner(node: Value, i: int, names: _Names) -> str:
    """The factor beside parent i in Σ wⱼxⱼ: a plain number, or the Value in its pair."""
    if i < node._const:  # the first _const parents are the Value·Value pairs (w₁, x₁, …)
        return names.ref(node._prev[i ^ 1])
    return _constant(node._local[i])


# --- the drawing that the page and the animation show ------------------------------


class _Drawing:
    """The graph drawn by ``draw_dot`` once, on copies of the Values that hold
    the final grads (the user's grads stay untouched), and what each step marks."""

    def __init__(
        self,
        steps: Steps,
        deltas: Optional[Mapping[Value, float]],
        rankdir: str = "LR",
        max_nodes: Optional[int] = MAX_NODES,
        depth: Optional[int] = None,
    ) -> None:
        self.steps = steps
        self.options = {"rankdir": rankdir, "max_nodes": max_nodes, "depth": depth}
        self.copies = _copy_graph(steps.root)
        self.deltas = dict(deltas or {})
        for node in self.deltas:
            if node not in self.copies:
                raise ValueError(f"Steps: deltas has a Value that is not in the graph: {node!r}")
        self.dot = self._draw(steps.grads(), self.deltas)
        drawn = self.dot.node_names
        self.names = {node: drawn[c] for node, c in self.copies.items() if c in drawn}
        # each Value's op node: the tail of the edge into the Value
        value_names = set(self.names.values())
        self.op_of = {head: tail for tail, head in _edges(self.dot) if head in value_names}
        self.done = {steps.root: 0}  # the step after which each grad is complete
        for k, step in enumerate(steps, 1):
            self.done[step.parent] = k

    def _draw(self, grads: Mapping[Value, float], deltas: Mapping[Value, float]):
        for node, copied in self.copies.items():
            copied.grad = grads.get(node, math.nan)
        return draw_dot(
            self.copies[self.steps.root],
            deltas={self.copies[node]: delta for node, delta in deltas.items()},
            **self.options,
        )

    def marks(self, k: int) -> tuple[Optional[str], Optional[str], Optional[str], int]:
        """What step k (1 on) marks, as DOT names: the node passing its gradient,
        its op node, the parent receiving it, and which of the edges parent → op
        it is (x * x has two). A name is None where the drawing leaves it out."""
        step, i = self.steps[k - 1], self.steps._edges[k - 1]
        node = self.names.get(step.node)
        repeat = sum(1 for p in step.node._prev[:i] if p is step.parent)
        return node, self.op_of.get(node), self.names.get(step.parent), repeat

    def frames(self) -> list[bytes]:
        """PNG frames: the start and each step, every node where the first put it."""
        laid_out = json.loads(self.dot.pipe(format="json"))
        objects = laid_out.get("objects", [])
        positions = {o["name"]: o["pos"] for o in objects if "pos" in o}
        edge_positions: dict[tuple[str, str], list[str]] = {}  # dot's json sorts the edges
        for edge in laid_out.get("edges", []):
            pair = (objects[edge["tail"]]["name"], objects[edge["head"]]["name"])
            edge_positions.setdefault(pair, []).append(edge["pos"])
        names = _Names(self.steps.root)
        lines = [self.steps._lines(names)[0], *self.steps._step_lines(names)]
        pngs = []
        for k in range(len(self.steps) + 1):
            dot = self._frame(k, edge_positions)
            for name, pos in positions.items():
                dot.node(name, pos=pos)
            caption = f"step {k} of {len(self.steps)}:  {lines[k]}"
            dot.attr(label=caption, labelloc="t", fontname=_FONT, fontsize="14", bb=laid_out["bb"])
            dot.engine = "neato"  # with -n2: draw at the positions given, no new layout
            pngs.append(dot.pipe(format="png", neato_no_op=2))
        return pngs

    def _frame(self, k: int, edge_positions: dict[tuple[str, str], list[str]]):
        """The drawing after k steps: grads so far, "?" for the rest, step k marked."""
        grads = self.steps.grads(k)
        deltas = {node: d for node, d in self.deltas.items() if self.done[node] <= k}
        dot = self._draw(grads, deltas)
        unknown = {name for node, name in self.names.items() if node not in grads}
        node, op, parent, repeat = self.marks(k) if k else (None, None, None, 0)
        seen: dict[tuple[str, str], int] = {}
        body = []
        for line in dot.body:
            edge = _EDGE.match(line)
            if edge:
                pair = edge.groups()
                nth = seen[pair] = seen.get(pair, -1) + 1  # x * x: two edges x → op
                extra = f'pos="{edge_positions[pair][nth]}"'
                if pair == (parent, op) and nth == repeat:
                    extra += f' color="{_FROM}" penwidth=3'
                line = f"{line.rstrip()} [{extra}]\n"
            elif line.split(" ", 1)[0].strip() in unknown:
                line = line.replace(f"grad {_number(math.nan)}", "grad ?")
            body.append(line)
        dot.body = body
        box = {"shape": "box", "penwidth": "3", "margin": "0.03"}
        if node:
            dot.node(node, color=_FROM, **box)
        if op:
            dot.node(op, color=_FROM, penwidth="3")
        if parent:
            dot.node(parent, color=_TO, **box)
        return dot


_EDGE = re.compile(r"\t(\S+) -> (\S+?)(?: \[.*)?\n?$")


def _edges(dot) -> list[tuple[str, str]]:
    """The edges in a DOT body, (tail, head), in the order they were made."""
    return [m.groups() for m in map(_EDGE.match, dot.body) if m]


def _leaves(root: Value) -> list[Value]:
    """The graph's leaves, in the order the expression names them."""
    leaves, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if not node._prev:
            leaves.append(node)
        stack.extend(reversed(node._prev))
    return leaves


def _copy_graph(root: Value) -> dict[Value, Value]:
    """A copy of every Value in the graph, linked to each other as the originals are."""
    copies = {}
    for node in _leaves(root) + root._topological_order():  # parents before children
        copied = copy.copy(node)
        copied._prev = tuple(copies[parent] for parent in node._prev)
        copies[node] = copied
    return copies


# --- the page ------------------------------------------------------------------------


def _page(steps: Steps, drawing: _Drawing, uid: str) -> str:
    """The viewer: the SVG laid out once; the script only changes texts and colours."""
    names = _Names(steps.root)
    svg = drawing.dot.pipe(format="svg").decode("utf-8")
    svg = svg[svg.index("<svg") :]  # the XML prologue and DOCTYPE are not allowed inside HTML
    final = steps.grads()
    data = {
        "start": steps._lines(names)[0],
        "lines": steps._step_lines(names),
        # the passing node, its op, the receiving parent, which edge of the two in x*x,
        # and the parent's grad after the step, as draw_dot writes it
        "steps": [[*drawing.marks(k), _number(step.total)] for k, step in enumerate(steps, 1)],
        "nodes": {
            name: {
                "final": _number(final[node]),
                "start": _number(1.0) if node is steps.root else "?",
                "delta": _number(drawing.deltas[node]) if node in drawing.deltas else None,
                "done": drawing.done[node],
            }
            for node, name in drawing.names.items()
        },
    }
    script = _SCRIPT.replace("__UID__", uid).replace("__DATA__", _json_for_script(data))
    title = f"backward() from {names[steps.root]}, one edge at a time"
    ledger = escape(steps.text())
    n = len(steps)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{_STYLE.replace("__UID__", uid)}</style>
</head>
<body>
<div class="mx" id="{uid}">
<h1>{escape(title)}</h1>
<div class="mx-bar">
<button type="button" data-go="back" title="step back (←)" aria-label="step back">◀</button>
<input type="range" min="0" max="{n}" value="{n}" step="1" aria-label="step">
<button type="button" data-go="forward" title="step forward (→)" aria-label="step forward">▶</button>
<button type="button" data-go="play" title="play from here" aria-label="play">▶▶</button>
<span class="mx-count">step {n} of {n}</span>
</div>
<div class="mx-graph">{svg}</div>
<p class="mx-line">{escape(data["lines"][-1] if n else data["start"])}</p>
<p class="mx-legend"><span class="mx-key mx-key-from"></span> passes its gradient down
<span class="mx-key mx-key-to"></span> receives it &nbsp; "?" not reached yet &nbsp;
← → step, Home/End jump</p>
<details><summary>the whole ledger</summary><pre>{ledger}</pre></details>
</div>
<script>{script}</script>
</body>
</html>
"""


def _json_for_script(data) -> str:
    """JSON that cannot end the script element: every < is written \\u003c."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")


_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 12px; color: #222; }
#__UID__ h1 { font-size: 17px; font-weight: normal; margin: 0 0 8px; }
#__UID__ .mx-bar { display: flex; align-items: center; gap: 6px; margin-bottom: 8px; }
#__UID__ .mx-bar input { flex: 1; max-width: 520px; }
#__UID__ .mx-bar button { font-size: 15px; min-width: 38px; padding: 2px 6px; }
#__UID__ .mx-count { font-variant-numeric: tabular-nums; min-width: 110px; }
#__UID__ .mx-graph { overflow: auto; max-height: 70vh; border: 1px solid #eee; }
#__UID__ .mx-line { font-family: Menlo, Consolas, monospace; font-size: 14px;
  background: #fff4e6; padding: 6px 8px; margin: 8px 0 4px; white-space: pre-wrap; }
#__UID__ .mx-legend { font-size: 12px; color: #555; margin: 4px 0; }
#__UID__ .mx-key { display: inline-block; width: 12px; height: 12px; vertical-align: middle;
  border: 3px solid; margin-left: 8px; }
#__UID__ .mx-key-from { border-color: #e8590c; }
#__UID__ .mx-key-to { border-color: #2f9e44; }
#__UID__ pre { font-size: 12px; }
#__UID__ .mx-from polygon[stroke="black"], #__UID__ .mx-from ellipse {
  stroke: #e8590c; stroke-width: 3px; }
#__UID__ .mx-to polygon[stroke="black"] { stroke: #2f9e44; stroke-width: 3px; }
#__UID__ .mx-to text.mx-grad { fill: #2f9e44; font-weight: bold; }
#__UID__ .mx-edge path { stroke: #e8590c; stroke-width: 3px; }
#__UID__ .mx-edge polygon { stroke: #e8590c; fill: #e8590c; }
"""

# Finds, once, each node's grad text (and δ text) in the SVG, then at every step
# rewrites those texts and moves the marks: the layout itself never changes.
_SCRIPT = """
(function () {
  "use strict";
  var D = __DATA__;
  var box = document.getElementById("__UID__");
  var slider = box.querySelector("input[type=range]");
  var count = box.querySelector(".mx-count");
  var line = box.querySelector(".mx-line");
  var graph = box.querySelector(".mx-graph");
  var n = D.steps.length, timer = null, groups = {}, edges = {};
  var svg = graph.querySelector("svg"), room = graph.clientWidth - 2;
  var natural = svg.getBoundingClientRect().width;
  if (natural > room && room / natural >= 0.5) {  // shrink to fit while the text stays readable
    svg.style.width = room + "px";
    svg.style.height = "auto";
  }
  box.querySelectorAll("g.node").forEach(function (g) {
    groups[g.querySelector("title").textContent] = g;
  });
  box.querySelectorAll("g.edge").forEach(function (g) {
    var title = g.querySelector("title").textContent;
    (edges[title] = edges[title] || []).push(g);
  });
  Object.keys(edges).forEach(function (title) {  // as made: x*x's two edges, ids edgeN in order
    edges[title].sort(function (a, b) { return a.id.slice(4) - b.id.slice(4); });
  });
  var shown = [];  // what each node shows: its grad text, its delta text and fill
  Object.keys(D.nodes).forEach(function (name) {
    var info = D.nodes[name], g = groups[name];
    if (!g) return;
    var texts = Array.prototype.slice.call(g.querySelectorAll("text"));
    var item = {name: name, info: info};
    texts.forEach(function (t) {
      if (t.textContent === "grad " + info.final) { item.grad = t; t.classList.add("mx-grad"); }
    });
    if (info.delta !== null) {
      for (var i = texts.length - 1; i >= 0; i--) {
        var whole = texts[i].textContent;
        if (texts[i] !== item.grad && whole.indexOf(info.delta) >= 0 &&
            whole.indexOf(info.final) >= 0) {
          var at = whole.indexOf(info.final), end = whole.lastIndexOf(info.delta) + info.delta.length;
          item.delta = texts[i];
          item.whole = whole;
          item.before = whole.slice(0, at);
          item.between = whole.slice(at + info.final.length, end);
          for (var p = texts[i].previousElementSibling; p; p = p.previousElementSibling) {
            if (p.tagName === "polygon" && p.getAttribute("fill") !== "none") {
              item.fill = p; item.colour = p.getAttribute("fill"); break;
            }
          }
          break;
        }
      }
    }
    shown.push(item);
  });
  function mark(name, cls) { if (name && groups[name]) groups[name].classList.add(cls); }
  function show(k) {
    k = Math.max(0, Math.min(n, k));
    var grads = {};
    for (var j = 0; j < k; j++) grads[D.steps[j][2]] = D.steps[j][4];
    shown.forEach(function (item) {
      var now = item.name in grads ? grads[item.name] : item.info.start;
      if (item.grad) item.grad.textContent = "grad " + now;
      if (item.delta) {
        var complete = k >= item.info.done;
        item.delta.textContent = complete ? item.whole : item.before + now + item.between;
        if (item.fill) item.fill.setAttribute("fill", complete ? item.colour : "white");
      }
    });
    box.querySelectorAll(".mx-from, .mx-to, .mx-edge").forEach(function (el) {
      el.classList.remove("mx-from", "mx-to", "mx-edge");
    });
    if (k > 0) {
      var s = D.steps[k - 1];
      mark(s[0], "mx-from"); mark(s[1], "mx-from"); mark(s[2], "mx-to");
      var edge = (edges[s[2] + "->" + s[1]] || [])[s[3]];
      if (edge) edge.classList.add("mx-edge");
      keepInView([groups[s[0]], groups[s[2]]]);
    }
    line.textContent = k === 0 ? D.start : D.lines[k - 1];
    slider.value = String(k);
    count.textContent = "step " + k + " of " + n;
  }
  function keepInView(marked) {  // scroll a large graph so the step's two ends show
    var r = null, v = graph.getBoundingClientRect();
    marked.forEach(function (g) {
      if (!g) return;
      var b = g.getBoundingClientRect();
      r = r ? {left: Math.min(r.left, b.left), right: Math.max(r.right, b.right),
               top: Math.min(r.top, b.top), bottom: Math.max(r.bottom, b.bottom)} : b;
    });
    if (!r) return;
    if (r.left < v.left || r.right > v.right) {
      graph.scrollLeft += (r.left + r.right) / 2 - (v.left + v.right) / 2;
    }
    if (r.top < v.top || r.bottom > v.bottom) {
      graph.scrollTop += (r.top + r.bottom) / 2 - (v.top + v.bottom) / 2;
    }
  }
  function stop() { if (timer !== null) { clearInterval(timer); timer = null; } }
  function play() {
    stop();
    if (Number(slider.value) >= n) show(0);
    timer = setInterval(function () {
      if (Number(slider.value) >= n) { stop(); return; }
      show(Number(slider.value) + 1);
    }, 800);
  }
  slider.addEventListener("input", function () { stop(); show(Number(slider.value)); });
  box.querySelector("[data-go=back]").addEventListener("click", function () {
    stop(); show(Number(slider.value) - 1);
  });
  box.querySelector("[data-go=forward]").addEventListener("click", function () {
    stop(); show(Number(slider.value) + 1);
  });
  box.querySelector("[data-go=play]").addEventListener("click", function () {
    if (timer === null) play(); else stop();
  });
  document.addEventListener("keydown", function (e) {
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) return;
    var k = Number(slider.value);
    var to = {ArrowLeft: k - 1, ArrowRight: k + 1, Home: 0, End: n}[e.key];
    if (to === undefined) return;
    e.preventDefault(); stop(); show(to);
  });
  show(0);
})();
"""
