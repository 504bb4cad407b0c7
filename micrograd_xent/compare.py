"""Autograd, the hand-derived deltas and finite differences, side by side.

One small network with random weights is built twice: as ``Value``s, with the
loss from ``losses`` (a forward expression only) and ``backward()``; and as
floats for ``deltas.backprop``. Every δ (autograd's δ is the grad of the
pre-activation node z) and every weight and bias gradient is then checked a
third way, by central finite differences of the loss; the output layer's δ
also a fourth, by BP1 in its general form Jᵀ∇_a C. With ``batch=m`` the cost
is the mean over m samples, as in vectorised textbook code. A second table
per pair holds the curvature ∂²C/∂z_L²: by hand, by autograd differentiating
its own gradient, and by finite differences of the first derivative.

Layers are numbered as in Nielsen's book: layer 1 is the input, so a
2-3-2 network has weights and biases in layers 2 and 3.

>>> report = compare("bce", "sigmoid", layers=(2, 3, 2), seed=0)
>>> report.ok, len(report.rows), len(report.curvature)
(True, 22, 4)
"""

from __future__ import annotations

import html
import json
import random
from dataclasses import asdict, dataclass
from typing import Callable, Optional, Sequence

from . import deltas, losses
from .engine import Value, grad, hessian
from .nn import activation_function, weighted_input

# Three outputs, not two: with n = 2 the mean (1/n)Σ equals the quadratic ½Σ, so a
# swap of the mse and quadratic formulas would go unseen.
LAYERS = (2, 3, 3)
TOLERANCE = 1e-6  # central differences with h = 1e-5 are good to about 1e-10
STEP = 1e-5
FORMATS = ("table", "markdown", "json", "html")


@dataclass
class Network:
    """A fully connected network, its input and target, as plain floats."""

    weights: list[list[list[float]]]  # weights[l][j][k]: neuron j of layer l, input k
    biases: list[list[float]]
    activations: list[str]
    x: list  # one input vector, or one per sample of a batch (as deltas.backprop reads it)
    y: object  # a list of targets or a class index; one of them per sample of a batch
    loss: str
    batch: Optional[int] = None  # the number of samples m, or None for one input

    def samples(self) -> list[tuple]:
        """(x, y) of every sample: one for a single input."""
        return list(zip(self.x, self.y)) if self.batch else [(self.x, self.y)]


def random_network(
    loss: str,
    activation: str,
    hidden_activation: str,
    layers: Sequence[int],
    seed: int,
    batch: Optional[int] = None,
) -> Network:
    """Weights, biases and inputs uniform in [−1, 1], targets the loss can take."""
    rng = random.Random(seed)
    sizes = list(layers)
    weights = [
        [[rng.uniform(-1, 1) for _ in range(n_in)] for _ in range(n_out)]
        for n_in, n_out in zip(sizes, sizes[1:])
    ]
    biases = [[rng.uniform(-1, 1) for _ in range(n)] for n in sizes[1:]]
    samples = []
    for _ in range(batch or 1):
        x = [rng.uniform(-1, 1) for _ in range(sizes[0])]
        samples.append((x, _random_target(rng, loss, activation, sizes[-1])))
    activations = [hidden_activation] * (len(sizes) - 2) + [activation]
    if batch:
        xs, ys = (list(column) for column in zip(*samples))
        return Network(weights, biases, activations, xs, ys, loss, batch)
    ((x, y),) = samples
    return Network(weights, biases, activations, x, y, loss)


def _random_target(rng: random.Random, loss: str, activation: str, n_out: int):
    if loss == "cross_entropy":
        return rng.randrange(n_out)
    if loss in ("bce", "bce_with_logits"):
        return [float(rng.randrange(2)) for _ in range(n_out)]
    if loss == "hinge":
        return [rng.choice((-1.0, 1.0)) for _ in range(n_out)]
    if activation in ("sigmoid", "softmax"):  # these reach targets in (0, 1) only
        return [rng.uniform(0.05, 0.95) for _ in range(n_out)]
    return [rng.uniform(-0.95, 0.95) for _ in range(n_out)]


# --- the network as Values, and what finite differences move ---------------------


@dataclass(frozen=True)
class Quantity:
    """One number the cost depends on: a weight, a bias, or one sample's pre-activation z
    (which has no parameter of its own: finite differences reach ∂C/∂z by shifting it)."""

    kind: str  # "w", "b" or "z"
    layer: int  # index into weights: 0 is Nielsen's layer 2
    neuron: int
    input: Optional[int] = None  # the weight's input k
    sample: int = 0  # the sample whose z is shifted


@dataclass
class Forward:
    cost: Value
    zs: list[list[list[Value]]]  # zs[sample][layer][neuron]: the pre-activation nodes


def _forward(net: Network, weights, biases, shift: Optional[Quantity] = None, h: float = 0.0):
    """The cost as a Value expression (the mean over the samples of a batch)."""
    costs, zs = [], []
    for i, (x, y) in enumerate(net.samples()):
        a, sample_zs = x, []
        for l, (w, b, name) in enumerate(zip(weights, biases, net.activations)):
            z = [weighted_input(row, bj, a) for row, bj in zip(w, b)]
            if shift is not None and (shift.kind, shift.layer, shift.sample) == ("z", l, i):
                z[shift.neuron] = z[shift.neuron] + h
            sample_zs.append(z)
            a = _activate(name, z)
        costs.append(output_cost(net.loss, net.activations[-1], sample_zs[-1], y))
        zs.append(sample_zs)
    cost = costs[0] if len(costs) == 1 else Value.sum(costs) / len(costs)
    return Forward(cost, zs)


def _activate(name: str, z: list[Value]) -> list[Value]:
    return losses.softmax(z) if name == "softmax" else [activation_function(name)(v) for v in z]


def output_cost(loss: str, activation: str, z: list[Value], y) -> Value:
    """One sample's cost from its output pre-activations ``z``: the ``activation``,
    then the ``loss`` (cross-entropy reads the logits, as F.cross_entropy does).

    >>> output_cost("bce", "sigmoid", [Value(0.0)], [1.0]).data  # −ln σ(0) = ln 2
    0.6931471805599453
    """
    if loss == "cross_entropy":
        return losses.cross_entropy(z, y)
    return losses.LOSSES[loss](_activate(activation, z), y)


def _as_values(nested):
    return [_as_values(item) for item in nested] if isinstance(nested, list) else Value(nested)


def central_difference(f: Callable[[float], float], h: float = STEP) -> float:
    """(f(h) − f(−h)) / 2h: the slope at 0 of f, a function of a shift, good to O(h²).

    >>> round(central_difference(lambda h: (3.0 + h) ** 2), 8)  # d(x²)/dx at 3
    6.0
    """
    return (f(h) - f(-h)) / (2 * h)


def _cost_shifted(net: Network, quantity: Quantity, h: float) -> float:
    weights, biases = _as_values(net.weights), _as_values(net.biases)
    l, j = quantity.layer, quantity.neuron
    if quantity.kind == "w":
        weights[l][j][quantity.input] += h
    elif quantity.kind == "b":
        biases[l][j] += h
    return _forward(net, weights, biases, quantity, h).cost.data


# --- the report -------------------------------------------------------------------


@dataclass
class Row:
    layer: int  # Nielsen's numbering: the input is layer 1
    neuron: int
    sample: Optional[int]  # the batch sample of a δ; None for one input and for w, b
    parameter: str  # "δ" (∂C/∂z), "b", or "w[k]" for the weight from input k
    autograd: float
    hand_derived: float
    general_bp1: Optional[float]  # Jᵀ∇_a C, for the output layer's δ only
    finite_difference: float
    diff: float  # the spread of the values
    ok: bool


@dataclass
class CurvatureRow:
    """∂²C/∂z_i∂z_j of the output layer (of one sample of a batch)."""

    sample: Optional[int]
    i: int
    j: int
    autograd: float  # grad of grad: the engine differentiating its own gradient graph
    hand_derived: float  # deltas.output_curvature
    finite_difference: float  # of autograd's first derivative
    diff: float
    ok: bool


def _agreement(autograd: float, *others: Optional[float]) -> tuple[float, bool]:
    values = [autograd, *(v for v in others if v is not None)]
    diff = max(values) - min(values)
    return diff, diff <= TOLERANCE * max(1.0, abs(autograd))


@dataclass
class Report:
    """One pair compared: a row per δ, bias and weight, and the output's curvature.

    >>> report = compare("mse", "linear", layers=(1, 1))
    >>> report.ok, report.title()
    (True, 'mse + linear output, layers 1-1, seed 0')
    """

    loss: str
    activation: str
    hidden_activation: str
    layers: tuple[int, ...]
    seed: int
    batch: Optional[int]
    rows: list[Row]
    curvature: list[CurvatureRow]

    @property
    def max_diff(self) -> float:
        """The largest spread between the ways any one number was found."""
        return max(row.diff for row in [*self.rows, *self.curvature])

    @property
    def max_autograd_vs_hand(self) -> float:
        """The largest |autograd − hand-derived|: finite differences left out."""
        return max(abs(row.autograd - row.hand_derived) for row in [*self.rows, *self.curvature])

    @property
    def ok(self) -> bool:
        """Every row and curvature entry agrees within ``TOLERANCE``."""
        return all(row.ok for row in [*self.rows, *self.curvature])

    def title(self) -> str:
        """The pair, the network's shape, its seed and the batch, in one line."""
        hidden = f", {self.hidden_activation} hidden" if len(self.layers) > 2 else ""
        shape = "-".join(map(str, self.layers))
        batch = f", batch of {self.batch}" if self.batch else ""
        return (
            f"{self.loss} + {self.activation} output{hidden}, layers {shape}, seed {self.seed}"
            f"{batch}"
        )

    def verdict(self) -> str:
        """One line: all agree, or how many rows do not."""
        bad_rows = sum(not row.ok for row in self.rows)
        bad_curvature = sum(not entry.ok for entry in self.curvature)
        if bad_rows or bad_curvature:
            return (
                f"{bad_rows} of {len(self.rows)} rows and {bad_curvature} of "
                f"{len(self.curvature)} curvature entries DISAGREE (max |diff| {self.max_diff:.1e})"
            )
        return (
            f"all {len(self.rows)} rows and {len(self.curvature)} curvature entries agree "
            f"within {TOLERANCE:g} (max |diff| {self.max_diff:.1e})"
        )

    def table(self) -> str:
        """Plain text for a terminal, under 100 columns."""
        return self._formatted("table")

    def markdown(self) -> str:
        """The two tables as Markdown pipe tables under a heading."""
        return self._formatted("markdown")

    def html(self) -> str:
        """The two tables as HTML, for a page such as the tour's."""
        return self._formatted("html")

    def _formatted(self, format: str) -> str:
        heading = {
            "table": "{}",
            "markdown": "#### {}",
            "html": "<h4>{}</h4>",
        }[format]
        verdict = f"<p>{html.escape(self.verdict())}</p>" if format == "html" else self.verdict()
        title = html.escape(self.title()) if format == "html" else self.title()
        curvature_title = f"curvature ∂²C/∂z² of layer {len(self.layers)} (the output)"
        blank = [""] if format == "markdown" else []
        return "\n".join(
            [heading.format(title), *blank, format_table(*self._gradient_cells(), format=format)]
            + [*blank, heading.format(curvature_title), *blank]
            + [format_table(*self._curvature_cells(), format=format), *blank, verdict]
        )

    def _gradient_cells(self) -> tuple[list[str], list[list[str]], str]:
        sample = ["sample"] if self.batch else []
        header = ["layer", "neuron", *sample, "param", "autograd", "hand-derived"]
        header += ["general BP1", "finite diff", "|diff|", "ok"]
        cells = [
            [
                str(r.layer),
                str(r.neuron),
                *([_blank_if_none(r.sample, str)] if self.batch else []),
                r.parameter,
                _fixed(r.autograd),
                _fixed(r.hand_derived),
                _blank_if_none(r.general_bp1, _fixed),
                _fixed(r.finite_difference),
                f"{r.diff:.1e}",
                "ok" if r.ok else "FAIL",
            ]
            for r in self.rows
        ]
        return header, cells, "rr" + "r" * len(sample) + "lrrrrrl"

    def _curvature_cells(self) -> tuple[list[str], list[list[str]], str]:
        sample = ["sample"] if self.batch else []
        header = [*sample, "i", "j", "autograd", "hand-derived", "finite diff", "|diff|", "ok"]
        cells = [
            [
                *([str(r.sample)] if self.batch else []),
                str(r.i),
                str(r.j),
                _fixed(r.autograd),
                _fixed(r.hand_derived),
                _fixed(r.finite_difference),
                f"{r.diff:.1e}",
                "ok" if r.ok else "FAIL",
            ]
            for r in self.curvature
        ]
        return header, cells, "r" * len(sample) + "rrrrrrl"

    def to_dict(self) -> dict:
        """Everything in the report as plain JSON types, for ``--format json``."""
        return {
            "loss": self.loss,
            "activation": self.activation,
            "hidden_activation": self.hidden_activation,
            "layers": list(self.layers),
            "seed": self.seed,
            "batch": self.batch,
            "tolerance": TOLERANCE,
            "max_diff": self.max_diff,
            "ok": self.ok,
            "rows": [asdict(row) for row in self.rows],
            "curvature": [asdict(row) for row in self.curvature],
        }


def _fixed(value: float) -> str:
    return f"{value:.10f}"


def _blank_if_none(value, formatted: Callable) -> str:
    return "" if value is None else formatted(value)


def format_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], align: str, format: str = "table"
) -> str:
    """Rows of text cells as a plain-text table, a Markdown pipe table or an HTML table;
    ``align`` has one letter per column, "l" or "r".

    >>> print(format_table(["name", "n"], [["a", "1"], ["bb", "22"]], "lr"))
    name  n
    a     1
    bb   22
    """
    if format == "markdown":
        lines = [header, [":---" if a == "l" else "---:" for a in align], *rows]
        return "\n".join(
            "| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in lines
        )
    if format == "html":
        styles = ["" if a == "l" else ' style="text-align:right"' for a in align]
        head = "".join(f"<th{s}>{html.escape(c)}</th>" for s, c in zip(styles, header))
        body = "".join(
            "<tr>"
            + "".join(f"<td{s}>{html.escape(c)}</td>" for s, c in zip(styles, row))
            + "</tr>\n"
            for row in rows
        )
        return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>"
    widths = [max(len(line[k]) for line in [header, *rows]) for k in range(len(header))]
    return "\n".join(
        " ".join(
            cell.ljust(width) if a == "l" else cell.rjust(width)
            for cell, width, a in zip(line, widths, align)
        ).rstrip()
        for line in [header, *rows]
    )


def compare(
    loss: str = "bce",
    activation: str = "sigmoid",
    hidden_activation: str = "sigmoid",
    layers: Sequence[int] = LAYERS,
    seed: int = 0,
    batch: Optional[int] = None,
) -> Report:
    """Every δ and parameter gradient of one random network, and the output layer's
    curvature, three ways; with ``batch=m`` for the mean cost over m samples.

    >>> compare("cross_entropy", "softmax", layers=(3, 4)).max_autograd_vs_hand < 1e-12
    True
    >>> compare("mse", "linear", layers=(2, 2), batch=4).ok
    True
    """
    layers = _checked(loss, activation, hidden_activation, layers, batch)
    net = random_network(loss, activation, hidden_activation, layers, seed, batch)

    weights, biases = _as_values(net.weights), _as_values(net.biases)
    forward = _forward(net, weights, biases)
    forward.cost.backward()
    textbook = deltas.backprop(net.weights, net.biases, net.x, net.y, loss, net.activations)
    m = batch or 1
    samples = net.samples()
    general = [
        [d / m for d in deltas.general_output_delta(loss, activation, _data(zs[-1]), y)]
        for zs, (_, y) in zip(forward.zs, samples)
    ]

    def row(quantity: Quantity, parameter, autograd, hand_derived, general_bp1=None) -> Row:
        fd = central_difference(lambda h: _cost_shifted(net, quantity, h))
        diff, ok = _agreement(autograd, float(hand_derived), general_bp1, fd)
        return Row(
            layer=quantity.layer + 2,
            neuron=quantity.neuron,
            sample=quantity.sample if batch and quantity.kind == "z" else None,
            parameter=parameter,
            autograd=autograd,
            hand_derived=float(hand_derived),
            general_bp1=general_bp1,
            finite_difference=fd,
            diff=diff,
            ok=ok,
        )

    rows = []
    output = len(layers) - 2
    for l, (w, b) in enumerate(zip(weights, biases)):
        for j in range(len(b)):
            for i, zs in enumerate(forward.zs):
                hand = textbook.deltas[l][i][j] if batch else textbook.deltas[l][j]
                general_bp1 = general[i][j] if l == output else None
                rows.append(
                    row(Quantity("z", l, j, sample=i), "δ", zs[l][j].grad, hand, general_bp1)
                )
            rows.append(row(Quantity("b", l, j), "b", b[j].grad, textbook.grad_biases[l][j]))
            for k, wjk in enumerate(w[j]):
                hand = textbook.grad_weights[l][j][k]
                rows.append(row(Quantity("w", l, j, input=k), f"w[{k}]", wjk.grad, hand))
    curvature = [
        entry
        for i, (zs, (_, y)) in enumerate(zip(forward.zs, samples))
        for entry in _curvature_rows(net, _data(zs[-1]), y, i if batch else None)
    ]
    return Report(loss, activation, hidden_activation, layers, seed, batch, rows, curvature)


def _curvature_rows(net: Network, z: list[float], y, sample: Optional[int]) -> list[CurvatureRow]:
    """∂²C/∂z_L² of one sample's share of the cost (1/m of its own cost in a batch)."""
    m = net.batch or 1

    def cost_at(z_values: list[float]) -> tuple[Value, list[Value]]:
        leaves = [Value(v) for v in z_values]
        return output_cost(net.loss, net.activations[-1], leaves, y) / m, leaves

    def first_derivative(i: int, j: int, h: float) -> float:
        moved = list(z)
        moved[j] += h
        cost, leaves = cost_at(moved)
        return grad(cost, leaves)[i].data

    by_autograd = hessian(*cost_at(z))
    by_hand = deltas.output_curvature(net.loss, net.activations[-1], z, y)
    rows = []
    for i in range(len(z)):
        for j in range(len(z)):
            fd = central_difference(lambda h, i=i, j=j: first_derivative(i, j, h))
            hand = by_hand[i][j] / m
            diff, ok = _agreement(by_autograd[i][j], hand, fd)
            rows.append(CurvatureRow(sample, i, j, by_autograd[i][j], hand, fd, diff, ok))
    return rows


def _data(values: list[Value]) -> list[float]:
    return [v.data for v in values]


def compare_all(
    layers: Sequence[int] = LAYERS,
    hidden_activation: str = "sigmoid",
    seed: int = 0,
    *,
    loss: Optional[str] = None,
    activation: Optional[str] = None,
    batch: Optional[int] = None,
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
    return [compare(lo, act, hidden_activation, layers, seed, batch) for lo, act in runnable]


def skipped(
    layers: Sequence[int], *, loss: Optional[str] = None, activation: Optional[str] = None
) -> list[str]:
    """The pairs ``compare_all`` leaves out for these layer sizes, and why.

    >>> skipped((2, 3, 1), activation="softmax")
    ['quadratic + softmax: a softmax output needs at least 2 neurons, got 1', \
'mse + softmax: a softmax output needs at least 2 neurons, got 1', \
'cross_entropy + softmax: a softmax output needs at least 2 neurons, got 1']
    """
    layers = _checked_layers(layers)
    reasons = [(lo, act, _cannot_apply(act, layers)) for lo, act in _selected(loss, activation)]
    return [f"{lo} + {act}: {why}" for lo, act, why in reasons if why is not None]


def summary(reports: Sequence[Report]) -> str:
    """One line over many reports: do they all agree, and how closely (the rows
    counted are the gradient rows and the curvature entries).

    >>> summary([compare("mse", "linear", layers=(1, 1))]).split(";")[0]
    'ok: 1 pair, 4 rows agree within 1e-06'
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
    rows = sum(len(r.rows) + len(r.curvature) for r in reports)
    return f"ok: {pairs}, {rows} rows agree within {TOLERANCE:g}; {closeness}"


def render(reports: Sequence[Report], format: str = "table") -> str:
    """What ``micrograd-xent compare`` prints: "table", "markdown" or "json" (or "html").

    >>> render([compare("mse", "linear", layers=(1, 1))], "markdown").splitlines()[0]
    '#### mse + linear output, layers 1-1, seed 0'
    """
    if format not in FORMATS:
        raise ValueError(f"render: unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    if format == "json":
        document = {
            "ok": all(r.ok for r in reports),
            "max_diff": max(r.max_diff for r in reports),
            "summary": summary(reports),
            "comparisons": [r.to_dict() for r in reports],
        }
        return json.dumps(document, indent=2, ensure_ascii=False)
    sections = [r._formatted(format) for r in reports]
    line = summary(reports)
    return "\n\n".join(
        sections + [f"<p><strong>{html.escape(line)}</strong></p>" if format == "html" else line]
    )


def _checked(
    loss: str,
    activation: str,
    hidden_activation: str,
    layers: Sequence[int],
    batch: Optional[int],
) -> tuple:
    if (loss, activation) not in deltas.OUTPUT_DELTAS:
        raise ValueError(_unsupported(loss, activation))
    if hidden_activation not in deltas.PRIMES:
        raise ValueError(
            f"compare: unknown hidden activation {hidden_activation!r}; "
            f"choose one of {', '.join(deltas.PRIMES)}"
        )
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or batch < 1):
        raise ValueError(
            f"compare: batch must be a whole number of samples, 1 or more, got {batch!r}"
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


def _unsupported(loss: Optional[str], activation: Optional[str]) -> str:
    # a side left open (None) is any loss or any activation: say so, not "loss None"
    asked = " with ".join(
        f"{side} {name!r}"
        for side, name in (("loss", loss), ("output activation", activation))
        if name is not None
    )
    return (
        f"compare: no hand-derived delta for {asked}; supported pairs: {deltas.supported_pairs()}"
    )
