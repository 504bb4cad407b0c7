"""Autograd, the hand-derived deltas and finite differences, side by side.

One small network with random weights is built twice: as ``Value``s, with the
loss from ``losses`` (a forward expression only) and ``backward()``; and as
floats for ``deltas.backprop``. Every δ (autograd's δ is the grad of the
pre-activation node z) and every weight and bias gradient is then checked a
third way, by central finite differences of the loss.

Layers are numbered as in Nielsen's book: layer 1 is the input, so a
2-3-2 network has weights and biases in layers 2 and 3.

>>> report = compare("bce", "sigmoid", layers=(2, 3, 2), seed=0)
>>> report.ok, len(report.rows)
(True, 22)
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from typing import Optional, Sequence

from . import deltas, losses
from .engine import Value

# Three outputs, not two: with n = 2 the mean (1/n)Σ equals the quadratic ½Σ, so a
# swap of the mse and quadratic formulas would go unseen.
LAYERS = (2, 3, 3)
TOLERANCE = 1e-6  # central differences with h = 1e-5 are good to about 1e-10
STEP = 1e-5


@dataclass
class Network:
    """A fully connected network, one input and its target, as plain floats."""

    weights: list[list[list[float]]]  # weights[l][j][k]: neuron j of layer l, input k
    biases: list[list[float]]
    activations: list[str]
    x: list[float]
    y: object  # a list of targets, or a class index for cross-entropy
    loss: str


def random_network(
    loss: str, activation: str, hidden_activation: str, layers: Sequence[int], seed: int
) -> Network:
    """Weights, biases and input uniform in [−1, 1], targets the loss can take."""
    rng = random.Random(seed)
    sizes = list(layers)
    weights = [
        [[rng.uniform(-1, 1) for _ in range(n_in)] for _ in range(n_out)]
        for n_in, n_out in zip(sizes, sizes[1:])
    ]
    biases = [[rng.uniform(-1, 1) for _ in range(n)] for n in sizes[1:]]
    x = [rng.uniform(-1, 1) for _ in range(sizes[0])]
    n_out = sizes[-1]
    if loss == "cross_entropy":
        y = rng.randrange(n_out)
    elif loss == "bce":
        y = [float(rng.randrange(2)) for _ in range(n_out)]
    elif activation == "sigmoid":  # a sigmoid can reach targets in (0, 1) only
        y = [rng.uniform(0.05, 0.95) for _ in range(n_out)]
    else:
        y = [rng.uniform(-0.95, 0.95) for _ in range(n_out)]
    activations = [hidden_activation] * (len(sizes) - 2) + [activation]
    return Network(weights, biases, activations, x, y, loss)


# --- the three ways to a gradient ---------------------------------------------


def _forward(net: Network, weights, biases, nudge=None) -> tuple[Value, list[list[Value]]]:
    """The loss as a Value expression, and the z nodes of every layer.

    ``nudge`` = (l, j, h) adds h to z of neuron j in layer l: how finite
    differences reach ∂C/∂z, which has no parameter of its own.
    """
    a, zs = net.x, []
    for l, (w, b, name) in enumerate(zip(weights, biases, net.activations)):
        z = [Value.dot(row, a) + bj for row, bj in zip(w, b)]
        if nudge is not None and nudge[0] == l:
            z[nudge[1]] = z[nudge[1]] + nudge[2]
        zs.append(z)
        a = z if name in ("linear", "softmax") else [getattr(zj, name)() for zj in z]
    return losses.LOSSES[net.loss](a, net.y), zs  # cross_entropy takes the logits


def _as_values(nested):
    return [_as_values(item) for item in nested] if isinstance(nested, list) else Value(nested)


def _loss_at(net: Network, where: tuple, h: float) -> float:
    """The loss with one quantity moved by h: ("w", l, j, k), ("b", l, j) or ("z", l, j)."""
    kind, l, j, *k = where
    weights, biases = _as_values(net.weights), _as_values(net.biases)
    nudge = (l, j, h) if kind == "z" else None
    if kind == "w":
        weights[l][j][k[0]] += h
    elif kind == "b":
        biases[l][j] += h
    return _forward(net, weights, biases, nudge)[0].data


def _finite_difference(net: Network, where: tuple) -> float:
    return (_loss_at(net, where, STEP) - _loss_at(net, where, -STEP)) / (2 * STEP)


# --- the report ---------------------------------------------------------------


@dataclass
class Row:
    layer: int  # Nielsen's numbering: the input is layer 1
    neuron: int
    parameter: str  # "δ" (∂C/∂z), "b", or "w[k]" for the weight from input k
    autograd: float
    hand_derived: float
    finite_difference: float
    diff: float  # the spread of the three values
    ok: bool


@dataclass
class Report:
    loss: str
    activation: str
    hidden_activation: str
    layers: tuple[int, ...]
    seed: int
    rows: list[Row]

    @property
    def max_diff(self) -> float:
        return max(row.diff for row in self.rows)

    @property
    def max_autograd_vs_hand(self) -> float:
        return max(abs(row.autograd - row.hand_derived) for row in self.rows)

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def title(self) -> str:
        hidden = f", {self.hidden_activation} hidden" if len(self.layers) > 2 else ""
        shape = "-".join(map(str, self.layers))
        return f"{self.loss} + {self.activation} output{hidden}, layers {shape}, seed {self.seed}"

    def verdict(self) -> str:
        bad = sum(not row.ok for row in self.rows)
        if bad:
            return f"{bad} of {len(self.rows)} rows DISAGREE (max |diff| {self.max_diff:.1e})"
        rows = len(self.rows)
        return f"all {rows} rows agree within {TOLERANCE:g} (max |diff| {self.max_diff:.1e})"

    def table(self) -> str:
        """Plain text for a terminal, under 100 columns."""
        line = "{:>5} {:>6} {:<6} {:>16} {:>16} {:>16} {:>9}  {}"
        header = ("layer", "neuron", "param", "autograd", "hand-derived", "finite diff")
        lines = [self.title(), line.format(*header, "|diff|", "ok")]
        for r in self.rows:
            numbers = (f"{v:16.10f}" for v in (r.autograd, r.hand_derived, r.finite_difference))
            mark = "ok" if r.ok else "FAIL"
            diff = f"{r.diff:.1e}"
            lines.append(line.format(r.layer, r.neuron, r.parameter, *numbers, diff, mark))
        lines.append(self.verdict())
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = [
            f"#### {self.title()}",
            "",
            "| layer | neuron | parameter | autograd | hand-derived | finite difference "
            "| \\|diff\\| | ok |",
            "|---:|---:|:---|---:|---:|---:|---:|:---|",
        ]
        for r in self.rows:
            mark = "ok" if r.ok else "**FAIL**"
            lines.append(
                f"| {r.layer} | {r.neuron} | {r.parameter} | {r.autograd:.10f} | "
                f"{r.hand_derived:.10f} | {r.finite_difference:.10f} | {r.diff:.1e} | {mark} |"
            )
        lines += ["", self.verdict()]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "loss": self.loss,
            "activation": self.activation,
            "hidden_activation": self.hidden_activation,
            "layers": list(self.layers),
            "seed": self.seed,
            "tolerance": TOLERANCE,
            "max_diff": self.max_diff,
            "ok": self.ok,
            "rows": [asdict(row) for row in self.rows],
        }


def compare(
    loss: str = "bce",
    activation: str = "sigmoid",
    hidden_activation: str = "sigmoid",
    layers: Sequence[int] = LAYERS,
    seed: int = 0,
) -> Report:
    """Every δ and parameter gradient of one random network, three ways.

    >>> compare("cross_entropy", "softmax", layers=(3, 4)).max_autograd_vs_hand < 1e-12
    True
    """
    layers = _checked(loss, activation, hidden_activation, layers)
    net = random_network(loss, activation, hidden_activation, layers, seed)

    weights, biases = _as_values(net.weights), _as_values(net.biases)
    cost, zs = _forward(net, weights, biases)
    cost.backward()
    hand = deltas.backprop(net.weights, net.biases, net.x, net.y, loss, net.activations)

    def row(l: int, j: int, parameter: str, autograd: float, hand_derived, where: tuple) -> Row:
        values = (autograd, float(hand_derived), _finite_difference(net, where))
        diff = max(values) - min(values)
        return Row(l + 2, j, parameter, *values, diff, diff <= TOLERANCE * max(1.0, abs(autograd)))

    rows = []
    for l, (z, w, b) in enumerate(zip(zs, weights, biases)):
        for j in range(len(z)):
            rows.append(row(l, j, "δ", z[j].grad, hand.deltas[l][j], ("z", l, j)))
            rows.append(row(l, j, "b", b[j].grad, hand.grad_biases[l][j], ("b", l, j)))
            for k, wjk in enumerate(w[j]):
                hand_wjk = hand.grad_weights[l][j][k]
                rows.append(row(l, j, f"w[{k}]", wjk.grad, hand_wjk, ("w", l, j, k)))
    return Report(loss, activation, hidden_activation, layers, seed, rows)


def compare_all(
    layers: Sequence[int] = LAYERS,
    hidden_activation: str = "sigmoid",
    seed: int = 0,
    *,
    loss: Optional[str] = None,
    activation: Optional[str] = None,
) -> list[Report]:
    """``compare`` for every supported (loss, output activation) pair, or for
    those with the given ``loss`` and/or output ``activation``.

    Pairs that cannot apply to ``layers`` are left out (``skipped`` says which);
    when no selected pair applies, the error says why.

    >>> [(r.loss, r.activation) for r in compare_all((2, 1), activation="sigmoid")]
    [('quadratic', 'sigmoid'), ('mse', 'sigmoid'), ('bce', 'sigmoid')]
    """
    layers = _checked_layers(layers)
    pairs = _selected(loss, activation)
    # when none applies, compare on the first one raises the error that says why
    runnable = [(lo, act) for lo, act in pairs if _cannot_apply(act, layers) is None] or pairs[:1]
    return [compare(lo, act, hidden_activation, layers, seed) for lo, act in runnable]


def skipped(
    layers: Sequence[int], *, loss: Optional[str] = None, activation: Optional[str] = None
) -> list[str]:
    """The pairs ``compare_all`` leaves out for these layer sizes, and why.

    >>> skipped((2, 3, 1))
    ['cross_entropy + softmax: a softmax output needs at least 2 neurons, got 1']
    """
    layers = _checked_layers(layers)
    reasons = [(lo, act, _cannot_apply(act, layers)) for lo, act in _selected(loss, activation)]
    return [f"{lo} + {act}: {why}" for lo, act, why in reasons if why is not None]


def summary(reports: Sequence[Report]) -> str:
    """One line over many reports: do they all agree, and how closely.

    >>> summary([compare("mse", "linear", layers=(1, 1))]).split(";")[0]
    'ok: 1 pair, 3 rows agree within 1e-06'
    """
    bad = [r for r in reports if not r.ok]
    pairs = f"{len(reports)} pair{'s' if len(reports) > 1 else ''}"
    closeness = (
        f"max |diff| {max(r.max_diff for r in reports):.1e}, "
        f"max |autograd − hand| {max(r.max_autograd_vs_hand for r in reports):.1e}"
    )
    if bad:
        names = ", ".join(f"{r.loss} + {r.activation}" for r in bad)
        return f"DISAGREE: {len(bad)} of {pairs} ({names}); {closeness}"
    rows = sum(len(r.rows) for r in reports)
    return f"ok: {pairs}, {rows} rows agree within {TOLERANCE:g}; {closeness}"


def render(reports: Sequence[Report], format: str = "table") -> str:
    """What ``micrograd-xent compare`` prints: "table", "markdown" or "json".

    >>> render([compare("mse", "linear", layers=(1, 1))], "markdown").splitlines()[0]
    '#### mse + linear output, layers 1-1, seed 0'
    """
    if format == "json":
        document = {
            "ok": all(r.ok for r in reports),
            "max_diff": max(r.max_diff for r in reports),
            "comparisons": [r.to_dict() for r in reports],
        }
        return json.dumps(document, indent=2, ensure_ascii=False)
    sections = [r.markdown() if format == "markdown" else r.table() for r in reports]
    return "\n\n".join(sections + [summary(reports)])


def _checked(loss: str, activation: str, hidden_activation: str, layers: Sequence[int]) -> tuple:
    if (loss, activation) not in deltas.OUTPUT_DELTAS:
        raise ValueError(_unsupported(loss, activation))
    if hidden_activation not in deltas.PRIMES:
        raise ValueError(
            f"compare: unknown hidden activation {hidden_activation!r}; "
            f"choose one of {', '.join(deltas.PRIMES)}"
        )
    layers = _checked_layers(layers)
    why = _cannot_apply(activation, layers)
    if why is not None:
        raise ValueError(f"compare: {why}")
    return layers


def _checked_layers(layers: Sequence[int]) -> tuple[int, ...]:
    layers = tuple(layers)
    if len(layers) < 2 or not all(isinstance(n, int) and n >= 1 for n in layers):
        raise ValueError(f"compare: layers must be two or more positive sizes, got {layers!r}")
    return layers


def _cannot_apply(activation: str, layers: tuple[int, ...]) -> Optional[str]:
    """Why a pair with this output activation cannot run on these layer sizes, if it cannot."""
    if activation == "softmax" and layers[-1] < 2:
        return f"a softmax output needs at least 2 neurons, got {layers[-1]}"
    return None


def _selected(loss: Optional[str], activation: Optional[str]) -> list[tuple[str, str]]:
    pairs = [
        (lo, act)
        for lo, act in deltas.OUTPUT_DELTAS
        if loss in (None, lo) and activation in (None, act)
    ]
    if not pairs:
        raise ValueError(_unsupported(loss, activation))
    return pairs


def _unsupported(loss, activation) -> str:
    return (
        f"compare: no hand-derived delta for loss {loss!r} with output activation "
        f"{activation!r}; supported pairs: {deltas.supported_pairs()}"
    )
