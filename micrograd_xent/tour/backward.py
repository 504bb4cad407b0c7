"""Section: backward, one edge at a time.

The BCE neuron of the first screen, and the same neuron with the quadratic
cost, stepped through by ``steps.backward_steps``: an animation on the page,
a viewer page and a ledger beside it. The text quotes the ledger's lines at
a and z, where BCE's 1/(a(1 − a)) meets the sigmoid's σ'(z).

>>> COSTS
('bce', 'quadratic')
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from .. import deltas
from ..engine import Value
from ..graph import GraphvizNotFoundError
from ..steps import SAVE_FORMATS, Steps, backward_steps
from .graphs import BCE_NEURON, sigmoid_neuron
from .page import Section, figure, link

STEP = "stepping through backward one edge at a time"
TITLE = "Backward, one edge at a time"

COSTS = ("bce", "quadratic")
COST_NAMES = {"bce": "BCE", "quadratic": "the quadratic cost ½(a − y)²"}


@dataclass
class Walk:
    """One neuron's backward pass as steps, with the numbers the text quotes."""

    cost: str
    steps: Steps
    z: Value
    a: Value
    hand_delta: float  # deltas.output_delta at z
    cost_gradient: float  # deltas.cost_gradient at a: ∂L/∂a by hand

    @property
    def stem(self) -> str:
        return f"backward_{self.cost}"

    def ledger_lines(self, *parents: Value) -> list[str]:
        """The ledger's lines of the steps into ``parents``, as it prints them."""
        lines = self.steps.text().splitlines()[1 : 1 + len(self.steps)]
        return [line for step, line in zip(self.steps, lines) if step.parent in parents]

    def into(self, parent: Value) -> list:
        return [step for step in self.steps if step.parent is parent]


def walk(cost: str) -> Walk:
    """The steps of ``cost(σ(w·x + b), y)`` with the BCE neuron's numbers.

    >>> w = walk("quadratic")
    >>> len(w.steps), round(w.steps.grads()[w.z], 4) == round(w.hand_delta, 4)
    (8, True)
    """
    loss, z, a = sigmoid_neuron(cost)
    y = [BCE_NEURON["y"]]
    return Walk(
        cost,
        backward_steps(loss),
        z,
        a,
        deltas.output_delta(cost, "sigmoid", [z.data], y)[0],
        deltas.cost_gradient(cost, [a.data], y)[0],
    )


def section(out: Path) -> Section:
    walks = [walk(cost) for cost in COSTS]
    try:
        # top to bottom, the graph fits half the page's width and stays readable
        files = [
            w.steps.save(out / f"{w.stem}{suffix}", _deltas(w), rankdir="TB").name
            for w in walks
            for suffix in SAVE_FORMATS
        ]
    except GraphvizNotFoundError as missing:
        for w in walks:
            w.steps.save(out / f"{w.stem}.txt")
        return _without_dot(walks, missing)
    bce, quadratic = walks
    animations = "".join(figure(f"{w.stem}.gif", _caption(w)) for w in walks)
    return Section(
        TITLE,
        _intro(bce)
        + f'<div class="side-by-side">{animations}</div>\n'
        + _cancelling(bce, quadratic)
        + _links(walks),
        summary=[_summary_line(w) for w in walks],
        files=files,
    )


def _deltas(w: Walk) -> dict[Value, float]:
    return {w.z: w.hand_delta}


def _intro(bce: Walk) -> str:
    return (
        f"<p>How did the grads in the graphs get there? <code>backward()</code> walks the "
        f"graph from L back to the inputs, and along each edge node → parent it adds the "
        f"local derivative ∂node/∂parent times node.grad into parent.grad. "
        f"<code>steps.backward_steps(L)</code> records each of those additions, in "
        f"backward's order, without touching a grad. The animation shows them one "
        f"by one on the BCE neuron of the first screen (w = {BCE_NEURON['w']:g}, "
        f"x = {BCE_NEURON['x']:g}, b = {BCE_NEURON['b']:g}, target y = {BCE_NEURON['y']:g}): "
        f"{len(bce.steps)} steps, the current node orange, the parent it feeds green, a grad "
        f"not known yet shown as ?. Beside it, the same neuron with "
        f"{COST_NAMES['quadratic']}.</p>"
    )


def _cancelling(bce: Walk, quadratic: Walk) -> str:
    a = bce.a.data
    (into_z,) = bce.into(bce.z)
    slope = into_z.local
    return (
        f"<p>Watch a and z. BCE's two logs send a.grad = {bce.steps.grads()[bce.a]:.4f} down "
        f"to a, which is ∂L/∂a = (a − y)/(a(1 − a)) = {bce.cost_gradient:.4f} with "
        f"1/(a(1 − a)) = {1 / (a * (1 - a)):.3f} in it. The next edge, into z, carries the "
        f"sigmoid's local derivative σ'(z) = σ(z)(1 − σ(z)) = {slope:.4f}. In the ledger:</p>"
        f"{_pre(bce.ledger_lines(bce.a, bce.z))}"
        f"<p>σ'(z) × 1/(a(1 − a)) = {slope / (a * (1 - a)):.6g}: the two cancel and leave "
        f"z.grad = a − y = {bce.steps.grads()[bce.z]:.4f}, the δ derived by hand "
        f"({bce.hand_delta:.4f}) shown at z. That is the whole point of pairing BCE with a "
        f"sigmoid.</p>"
        f"<p>The same neuron with {COST_NAMES['quadratic']}: a.grad is just a − y = "
        f"{quadratic.steps.grads()[quadratic.a]:.4f} (by hand "
        f"{quadratic.cost_gradient:.4f}), with nothing in it to cancel σ'(z) on the edge "
        f"into z:</p>"
        f"{_pre(quadratic.ledger_lines(quadratic.a, quadratic.z))}"
        f"<p>z.grad = (a − y)σ'(z) = {quadratic.steps.grads()[quadratic.z]:.4f}, "
        f"{bce.steps.grads()[bce.z] / quadratic.steps.grads()[quadratic.z]:.2f} times "
        f"smaller than BCE's (1/σ'(z)), and every gradient below z — w, b and x — carries "
        f"that factor.</p>"
    )


def _links(walks: list[Walk]) -> str:
    items = "".join(
        f"<li>{html.escape(COST_NAMES[w.cost])}: the viewer {link(f'{w.stem}.html')} "
        f"(a slider, ◀ ▶ and the arrow keys step through the graph; it works offline) and "
        f"the ledger {link(f'{w.stem}.txt')}</li>"
        for w in walks
    )
    return f"<p>Step through them yourself:</p><ul>{items}</ul>"


def _pre(lines: list[str]) -> str:
    return f"<pre>{html.escape(chr(10).join(lines))}</pre>\n"


def _caption(w: Walk) -> str:
    (into_z,) = w.into(w.z)
    return (
        f"backward() on {COST_NAMES[w.cost]} after a sigmoid, one edge per frame: at z, "
        f"σ'(z) = {into_z.local:.4f} times a.grad = {into_z.upstream:.4f} gives "
        f"z.grad = {into_z.total:.4f}"
    )


def _summary_line(w: Walk) -> str:
    (into_z,) = w.into(w.z)
    fate = "cancelled" if w.cost == "bce" else "kept"
    return (
        f"backward: {w.cost:9} neuron, {len(w.steps):2d} steps; into z: σ'(z) × a.grad = "
        f"{into_z.local:.4f} × {into_z.upstream:.4f} = {into_z.total:.4f} (σ' {fate})"
    )


def _without_dot(walks: list[Walk], missing: GraphvizNotFoundError) -> Section:
    """The section with the ledgers only, when Graphviz cannot draw the frames."""
    bce, quadratic = walks
    text = (
        f"<p><strong>No animation here:</strong> {html.escape(str(missing))}</p>"
        + _intro(bce)
        + _cancelling(bce, quadratic)
        + "<p>The ledgers: "
        + ", ".join(link(f"{w.stem}.txt") for w in walks)
        + ".</p>"
    )
    return Section(
        TITLE,
        text,
        summary=[_summary_line(w) for w in walks],
        files=[f"{w.stem}.txt" for w in walks],
    )
