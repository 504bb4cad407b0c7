"""Section: expression graphs after ``backward()``, with the hand-derived deltas.

Three expressions — micrograd's tanh neuron, a sigmoid neuron with BCE, a
softmax with cross-entropy — drawn by ``draw_dot``. The BCE neuron is the
report's lead: the one graph where δ at z shows the σ'(z) cancelled.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from .. import deltas, losses
from ..engine import Value
from ..graph import GraphvizNotFoundError, draw_dot, render
from .page import Section, figure, link

STEP = "drawing the expression graphs"
TITLE = "Expression graphs, with the deltas derived by hand"

# micrograd's lecture neuron: b is chosen so that n = 0.8813…, tanh(n) = 1/√2
TANH_NEURON = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
BCE_NEURON = {"x": 1.5, "w": -0.8, "b": 0.5, "y": 1.0}
SOFTMAX_CROSS_ENTROPY = {"logits": (2.0, 1.0, 0.1), "target": 0}


@dataclass
class Drawing:
    """An expression after ``backward()``: its file name, root, how to draw it
    (``draw_dot`` options) and a caption quoting its numbers."""

    name: str
    root: Value
    options: dict
    caption: str

    @property
    def deltas(self) -> dict[Value, float]:
        """The hand-derived δ drawn at each annotated node."""
        return self.options.get("deltas", {})


def _labelled(value: Value, label: str) -> Value:
    value.label = label
    return value


def tanh_neuron() -> Drawing:
    """micrograd's classic neuron o = tanh(x1·w1 + x2·w2 + b), labelled as in the lecture.

    >>> round(tanh_neuron().root.data, 4)  # 1/√2
    0.7071
    """
    x1, x2, w1, w2, b = (Value(v, label=k) for k, v in TANH_NEURON.items())
    x1w1 = _labelled(x1 * w1, "x1*w1")
    x2w2 = _labelled(x2 * w2, "x2*w2")
    x1w1x2w2 = _labelled(x1w1 + x2w2, "x1*w1 + x2*w2")
    n = _labelled(x1w1x2w2 + b, "n")
    o = _labelled(n.tanh(), "o")
    o.backward()
    caption = (
        f"micrograd's neuron o = tanh(n) = {o.data:.4f}. Each edge carries its local "
        f"derivative; multiplying along the path from x1 gives x1.grad = w1 · (1 − o²) = "
        f"{w1.data:g} · {n.grad:.4f} = {x1.grad:.4f}, and w2.grad = x2 · {n.grad:.4f} = "
        f"{w2.grad:.4f} because x2 = {x2.data:g}."
    )
    return Drawing("neuron_tanh", o, {"edge_labels": True}, caption)


def bce_neuron() -> Drawing:
    """A sigmoid neuron with its BCE: L = bce(σ(w·x + b), y), δ annotated at z.

    The target y is a plain number, as data is: the loss folds it into its
    ops, so it is no leaf and gets no gradient.

    >>> ((z, hand),) = bce_neuron().deltas.items()
    >>> z.label, round(z.grad, 4), round(hand, 4)  # autograd's δ, the hand-derived σ(z) − y
    ('z', -0.6682, -0.6682)
    """
    x, w, b = (Value(BCE_NEURON[k], label=k) for k in ("x", "w", "b"))
    y = BCE_NEURON["y"]
    z = _labelled(_labelled(w * x, "w*x") + b, "z")
    a = _labelled(z.sigmoid(), "a")
    loss = _labelled(losses.bce(a, y), "L")
    loss.backward()
    hand = deltas.output_delta("bce", "sigmoid", [z.data], [y])[0]
    caption = (
        f"A sigmoid neuron a = σ(z) = {a.data:.4f} with target y = {y:g} and "
        f"L = bce(a, y) = {loss.data:.4f}, the loss written only as logs, products and sums. "
        f"Autograd gives δ = ∂L/∂z = {z.grad:.6f} at z; the hand formula σ(z) − y gives "
        f"{hand:.6f}: the σ'(z) = {a.data * (1 - a.data):.4f} of the sigmoid has cancelled."
    )
    return Drawing("neuron_bce", loss, {"deltas": {z: hand}}, caption)


def softmax_cross_entropy() -> Drawing:
    """Cross-entropy over three logits: L = cross_entropy([z1, z2, z3], target).

    >>> [round(hand, 4) for hand in softmax_cross_entropy().deltas.values()]
    [-0.341, 0.2424, 0.0986]
    """
    logits = [
        Value(v, label=f"z{i}") for i, v in enumerate(SOFTMAX_CROSS_ENTROPY["logits"], start=1)
    ]
    target = SOFTMAX_CROSS_ENTROPY["target"]
    loss = _labelled(losses.cross_entropy(logits, target), "L")
    loss.backward()
    hand = deltas.output_delta("cross_entropy", "softmax", [z.data for z in logits], target)
    p = [q.data for q in losses.softmax([z.data for z in logits])]
    caption = (
        f"Softmax cross-entropy over logits ({_numbers(z.data for z in logits)}) with class "
        f"{target} (z{target + 1}): p = softmax(z) = ({_numbers(p)}), "
        f"L = −log p{target + 1} = {loss.data:.4f}. Autograd's δ at the logits is "
        f"({_numbers(z.grad for z in logits)}); the hand formula p − onehot(y) gives "
        f"({_numbers(hand)})."
    )
    return Drawing("softmax_cross_entropy", loss, {"deltas": dict(zip(logits, hand))}, caption)


def _numbers(xs) -> str:
    return ", ".join(f"{x:.4f}" for x in xs)


def section(out: Path) -> Section:
    lead_drawing = bce_neuron()
    drawings = [tanh_neuron(), lead_drawing, softmax_cross_entropy()]
    # top to bottom and closely ranked: each graph then fits the page's width at full size
    dots = [draw_dot(d.root, rankdir="TB", **d.options) for d in drawings]
    for dot in dots:
        dot.graph_attr.update(ranksep="0.2", nodesep="0.25")
        dot.node_attr.update(height="0.3", margin="0.06,0.03")  # the ops' ellipses, less tall
    try:
        for d, dot in zip(drawings, dots):
            for suffix in (".svg", ".png"):
                render(dot, out / f"{d.name}{suffix}")
    except GraphvizNotFoundError as missing:
        for d, dot in zip(drawings, dots):
            render(dot, out / f"{d.name}.gv")
        return _without_dot(drawings, lead_drawing, missing)
    others = [d for d in drawings if d is not lead_drawing]
    svgs = ", ".join(link(f"{d.name}.svg") for d in drawings)
    return Section(
        TITLE,
        _intro(drawings)
        + f"<p>The BCE neuron is drawn at the top. {html.escape(lead_drawing.caption)}</p>"
        + f"<p>Each graph is also saved as SVG, which zooms without blurring: {svgs}.</p>",
        [(f"{d.name}.png", d.caption) for d in others],
        lead=figure(f"{lead_drawing.name}.svg", _lead_caption(lead_drawing), "tall"),
        summary=[f"graphs: {_delta_line(drawings)}"],
        files=[f"{d.name}.png" for d in drawings] + [f"{d.name}.svg" for d in drawings],
    )


def _intro(drawings: list[Drawing]) -> str:
    annotated = [d for d in drawings if d.deltas]
    count = sum(len(d.deltas) for d in annotated)
    return (
        f"<p>Expressions after <code>backward()</code>, drawn by "
        f"<code>draw_dot</code>. Each box is a Value: its label, data and grad (∂ of the output "
        f"with respect to it); inputs and parameters are blue, the output amber, and each "
        f"ellipse is an operation with any plain number folded into it. Where a loss follows "
        f"an activation, the pre-activation node also shows the δ derived by hand next to "
        f"autograd's, green when they agree: {count} deltas in {len(annotated)} of the "
        f"{len(drawings)} graphs (micrograd's tanh neuron has no loss, so no δ).</p>"
    )


def _lead_caption(drawing: Drawing) -> str:
    ((z, hand),) = drawing.deltas.items()
    return (
        f"bce(σ(w·x + b), y): at z, δ by autograd {z.grad:.6f}, by hand σ(z) − y {hand:.6f} "
        f"(green: they agree). The σ'(z) of the sigmoid has cancelled."
    )


def _without_dot(
    drawings: list[Drawing], lead_drawing: Drawing, missing: GraphvizNotFoundError
) -> Section:
    """The section when only the graphs' DOT source could be saved."""
    sources = [f"{d.name}.gv" for d in drawings]
    links = ", ".join(link(name) for name in sources)
    text = (
        f"{_intro(drawings)}<p><strong>No images here:</strong> {html.escape(str(missing))}</p>"
        f"<p>The DOT source of each graph was saved instead ({links}); after installing "
        f"Graphviz, <code>dot -Tsvg NAME.gv -o NAME.svg</code> draws one, or run the tour "
        f"again.</p><ul>"
        + "".join(f"<li>{html.escape(d.caption)}</li>" for d in drawings)
        + "</ul>"
    )
    return Section(
        TITLE,
        text,
        lead=f"<p>{html.escape(lead_drawing.caption)}</p>\n",
        summary=[
            "graphs: Graphviz's dot was not found, so only the DOT source (.gv) was saved; "
            "install Graphviz (apt-get install graphviz, brew install graphviz, ...) for images",
            f"graphs: {_delta_line(drawings)}",
        ],
        files=sources,
    )


def _delta_line(drawings: list[Drawing]) -> str:
    """Autograd's δ beside the hand-derived one, for every annotated node."""
    pairs = [(node, hand) for d in drawings for node, hand in d.deltas.items()]
    worst = max(abs(node.grad - hand) for node, hand in pairs)
    return f"{len(pairs)} deltas annotated, max |autograd − hand| {worst:.1e}"
