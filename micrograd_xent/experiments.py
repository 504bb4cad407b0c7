"""The experiments behind the tour: small trainings that show what the loss does.

Every gradient here comes from ``backward()`` on a loss from ``losses`` (the one
exception, on purpose, is the tutorial's hand-applied MSE delta in
``printed_or_trained``). The results are plain numbers, for plots or for reading.

>>> runs = learning_slowdown(epochs=2)
>>> [(r.cost, r.start, round(r.outputs[0], 2)) for r in runs][:2]
[('quadratic', (0.6, 0.9), 0.82), ('quadratic', (2.0, 2.0), 0.98)]
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from . import compare, deltas, losses
from .engine import Value
from .nn import MLP, SGD

# --- Nielsen's learning slowdown ----------------------------------------------

# (w, b): σ(1.5) ≈ 0.82, a start that learns fast under either cost; σ(4) ≈ 0.98, saturated
SATURATED_START = (2.0, 2.0)
NIELSEN_STARTS = ((0.6, 0.9), SATURATED_START)


@dataclass
class NeuronRun:
    """One sigmoid neuron trained from ``start`` = (w, b); index i is after i updates."""

    cost: str
    start: tuple[float, float]
    outputs: list[float]
    costs: list[float]


def learning_slowdown(
    starts: Sequence[tuple[float, float]] = NIELSEN_STARTS,
    epochs: int = 300,
    eta: float = 0.15,
    x: float = 1.0,
    y: float = 0.0,
) -> list[NeuronRun]:
    """Nielsen's saturated neuron (NNDL ch. 3): quadratic cost vs cross-entropy.

    One sigmoid neuron a = σ(wx + b) learns to output y from input x by gradient
    descent on the cost; with the quadratic cost ½(a − y)² the gradient carries a
    factor σ'(z), which is tiny when the neuron starts saturated (a ≈ 1), so
    learning crawls. Cross-entropy's gradient is (a − y)x: no such factor.
    Returns one run per cost and start, quadratic runs first.
    """
    return [
        _train_neuron(cost, start, epochs, eta, x, y)
        for cost in ("quadratic", "bce")
        for start in starts
    ]


def _train_neuron(
    cost: str, start: tuple[float, float], epochs: int, eta: float, x: float, y: float
) -> NeuronRun:
    w, b = Value(start[0], label="w"), Value(start[1], label="b")
    run = NeuronRun(cost, start, [], [])
    for _ in range(epochs + 1):  # epoch 0 is the start, before any update
        a = (w * x + b).sigmoid()
        c = losses.LOSSES[cost](a, y)
        run.outputs.append(a.data)
        run.costs.append(c.data)
        w.grad = b.grad = 0.0
        c.backward()
        w.data -= eta * w.grad
        b.data -= eta * b.grad
    return run


def find_run(runs: Sequence[NeuronRun], cost: str, start: tuple[float, float]) -> NeuronRun:
    """The run of ``learning_slowdown`` with this cost and start.

    >>> find_run(learning_slowdown(epochs=0), "bce", SATURATED_START).cost
    'bce'
    """
    return next(run for run in runs if run.cost == cost and run.start == start)


def first_epoch_below(values: Sequence[float], threshold: float) -> Optional[int]:
    """The first index whose value is below ``threshold``, or None if none is.

    >>> first_epoch_below([0.9, 0.5, 0.1], 0.2)
    2
    """
    return next((i for i, v in enumerate(values) if v < threshold), None)


# --- the loss that is printed vs the loss that is trained ----------------------


@dataclass
class TrainingRun:
    """A training run: how its gradient was made, the loss it printed, and the
    mse, bce and parameters after each epoch (index i is after i updates)."""

    name: str
    printed: str
    losses: dict[str, list[float]]
    weights: list[list[float]]

    @property
    def reported(self) -> list[float]:
        return self.losses[self.printed]


@dataclass
class PrintedOrTrained:
    """The same network trained three ways; ``runs`` lists them in this order."""

    mse_gradient: TrainingRun  # autograd's gradient of mse; mse printed
    bce_gradient: TrainingRun  # autograd's gradient of bce; bce printed
    mse_delta_bce_printed: TrainingRun  # the tutorial's MSE delta by hand; bce printed

    @property
    def runs(self) -> tuple[TrainingRun, TrainingRun, TrainingRun]:
        return self.mse_gradient, self.bce_gradient, self.mse_delta_bce_printed


def max_weight_difference(a: TrainingRun, b: TrainingRun) -> float:
    """The largest |difference| between two runs' parameters, over every epoch.

    >>> runs = printed_or_trained(epochs=2).runs
    >>> max_weight_difference(runs[0], runs[0])
    0.0
    """
    return max(abs(x - y) for at_a, at_b in zip(a.weights, b.weights) for x, y in zip(at_a, at_b))


def printed_or_trained(
    epochs: int = 150, eta: float = 2.0, hidden: int = 3, points: int = 24, seed: int = 1
) -> PrintedOrTrained:
    """The same sigmoid network trained three ways, to show where the loss acts.

    1. ``mse_gradient``: the gradient of ``losses.mse`` by autograd, mse printed;
    2. ``bce_gradient``: the gradient of ``losses.bce`` by autograd, bce printed;
    3. ``mse_delta_bce_printed``: the tutorial's way, the output delta
       (2/n)(a − y)·a(1 − a) — the MSE delta, (expected − output)·
       transfer_derivative(output) up to sign and the 2/n of the mean —
       applied by hand, while bce is only printed.
    Runs 1 and 3 follow the same weights epoch by epoch; run 2 does not.
    """
    xs, ys = two_moons(points, noise=0.1, seed=seed)

    def train(name: str, printed: str, step: Step) -> TrainingRun:
        return _train(name, printed, step, xs, ys, epochs, eta, hidden, seed)

    return PrintedOrTrained(
        train("gradient of mse", "mse", _autograd_step("mse")),
        train("gradient of bce", "bce", _autograd_step("bce")),
        train("MSE delta by hand, bce printed", "bce", _tutorial_step),
    )


Step = Callable[[list[Value], list[Value], list[float]], None]


def _autograd_step(cost: str) -> Step:
    def step(z: list[Value], a: list[Value], y: list[float]) -> None:
        losses.LOSSES[cost](a, y).backward()

    return step


def _tutorial_step(z: list[Value], a: list[Value], y: list[float]) -> None:
    n = len(a)
    deltas = [2.0 / n * (ai.data - yi) * ai.data * (1.0 - ai.data) for ai, yi in zip(a, y)]
    # Σ δᵢ·zᵢ with the δᵢ held constant has ∂/∂zᵢ = δᵢ: backward() then carries
    # the hand-made output delta into the hidden layers and the weights.
    Value.sum(d * zi for d, zi in zip(deltas, z)).backward()


def _train(
    name: str,
    printed: str,
    step: Step,
    xs: list[list[float]],
    ys: list[float],
    epochs: int,
    eta: float,
    hidden: int,
    seed: int,
) -> TrainingRun:
    # linear output layer + sigmoid here, so the tutorial step can reach z
    model = MLP(2, [hidden, 1], activation="sigmoid", output_activation="linear", seed=seed)
    sgd = SGD(model.parameters(), lr=eta)
    run = TrainingRun(name, printed, {"mse": [], "bce": []}, [])
    for _ in range(epochs + 1):
        z = [model(x) for x in xs]
        a = [zi.sigmoid() for zi in z]
        for cost, values in run.losses.items():
            values.append(losses.LOSSES[cost](a, ys).data)
        run.weights.append([p.data for p in sgd.parameters])
        sgd.zero_grad()
        step(z, a, ys)
        sgd.step()
    return run


# --- which pairs cancel σ': BP1 factor by factor at a saturated output ------------

SATURATED_Z = 4.0  # σ(4) ≈ 0.982: the output is near 1, the target 0, σ'(4) ≈ 0.018


@dataclass
class OutputDelta:
    """BP1, δ_L = Jᵀ ∇_a C, for one (loss, output activation) pair at one output z
    and target y: each factor by hand (``deltas``), and δ_L by ``backward()``."""

    loss: str
    activation: str
    z: list[float]
    y: object  # as the loss reads it: a list of targets, or a class index
    a: list[float]  # the output activations the loss reads
    cost_gradient: list[float]  # ∇_a C
    jacobian: list[list[float]]  # J = ∂a/∂z: diag(σ'(z)), or diag(p) − ppᵀ for softmax
    product: list[float]  # Jᵀ ∇_a C, before anything cancels
    delta: list[float]  # the pair's simplified δ_L (deltas.output_delta)
    autograd: list[float]  # ∂C/∂z of the forward-only loss


def wrong_output(loss: str, activation: str, z: float = SATURATED_Z) -> tuple[list[float], object]:
    """An output at ``z`` whose target is 0 (a wrong, and for z ≫ 0 saturated, output).

    One output, target 0; hinge's targets are ±1, so −1 stands for 0. A softmax
    has two outputs (z, 0) with class 1 the target: its first probability is
    σ(z), target 0, as for a sigmoid.

    >>> wrong_output("bce", "sigmoid"), wrong_output("cross_entropy", "softmax")
    (([4.0], [0.0]), ([4.0, 0.0], 1))
    """
    if activation == "softmax":
        return [z, 0.0], (1 if loss == "cross_entropy" else [0.0, 1.0])
    return [z], [-1.0 if loss == "hinge" else 0.0]


def output_delta_factors(loss: str, activation: str, z: list[float], y) -> OutputDelta:
    """Every factor of BP1 for one pair at ``z``, target ``y``, and autograd's δ_L.

    >>> d = output_delta_factors("bce", "sigmoid", [0.0], [1.0])
    >>> d.cost_gradient, d.jacobian, d.product, d.delta, d.autograd  # −1/a · σ'(0) = −½
    ([-2.0], [[0.25]], [-0.5], [-0.5], [-0.5])
    """
    a = deltas.ACTIVATIONS[activation](np.asarray(z, dtype=float)).tolist()
    leaves = [Value(v) for v in z]
    compare.output_cost(loss, activation, leaves, y).backward()
    return OutputDelta(
        loss,
        activation,
        list(z),
        y,
        a,
        deltas.cost_gradient(loss, a, y),
        deltas.activation_jacobian(activation, z),
        deltas.general_output_delta(loss, activation, z, y),
        deltas.output_delta(loss, activation, z, y),
        [v.grad for v in leaves],
    )


def saturated_output_deltas(z: float = SATURATED_Z) -> list[OutputDelta]:
    """``output_delta_factors`` of every pair with a hand-derived δ_L at ``wrong_output``.

    >>> d = saturated_output_deltas()[0]
    >>> d.loss, d.activation, round(d.delta[0], 4)  # (σ(4) − 0)·σ'(4)
    ('quadratic', 'sigmoid', 0.0173)
    """
    return [
        output_delta_factors(loss, activation, *wrong_output(loss, activation, z))
        for loss, activation in deltas.OUTPUT_DELTAS
    ]


def output_delta_curves(zs: Sequence[float]) -> dict[tuple[str, str], list[float]]:
    """|δ_L| of the first output at ``wrong_output(z)`` for each z, for every pair.

    >>> curves = output_delta_curves([0.0, 4.0])
    >>> [round(v, 3) for v in curves["bce", "sigmoid"]]  # σ(z) − 0
    [0.5, 0.982]
    """
    return {
        (loss, activation): [
            abs(deltas.output_delta(loss, activation, *wrong_output(loss, activation, z))[0])
            for z in zs
        ]
        for loss, activation in deltas.OUTPUT_DELTAS
    }


# --- the loss landscape of one sigmoid neuron ----------------------------------

LANDSCAPE_DATA = ([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0], [0.0, 0.0, 1.0, 0.0, 1.0, 1.0])


@dataclass
class Landscape:
    """costs[name][i][j] is the cost at b = b[i], w = w[j] (rows are b, like contour's Z)."""

    w: list[float]
    b: list[float]
    costs: dict[str, list[list[float]]]


def neuron_cost(cost: str, w: float, b: float, data=LANDSCAPE_DATA) -> tuple[float, float, float]:
    """The cost of σ(w·x + b) on ``data`` = (xs, ys) and its gradient (∂/∂w, ∂/∂b).

    >>> c, dw, db = neuron_cost("mse", 0.0, 0.0, ([1.0], [1.0]))
    >>> c, dw, db  # a = ½: (½ − 1)², and 2(a − y)·σ'(0) = −¼
    (0.25, -0.25, -0.25)
    """
    wv, bv = Value(w, label="w"), Value(b, label="b")
    xs, ys = data
    c = losses.LOSSES[cost]([(wv * x + bv).sigmoid() for x in xs], ys)
    c.backward()
    return c.data, wv.grad, bv.grad


def loss_landscape(
    costs: Sequence[str] = ("mse", "bce"), limit: float = 8.0, steps: int = 61, data=LANDSCAPE_DATA
) -> Landscape:
    """Each cost of one sigmoid neuron on a square grid of (w, b) in [−limit, limit]²."""
    axis = [-limit + 2 * limit * i / (steps - 1) for i in range(steps)]
    return Landscape(
        axis,
        axis,
        {c: [[neuron_cost(c, w, b, data)[0] for w in axis] for b in axis] for c in costs},
    )


def grid_minimum(landscape: Landscape, cost: str) -> tuple[float, float, float]:
    """The smallest cost on the grid and where: (cost, w, b)."""
    return min(
        (value, landscape.w[j], landscape.b[i])
        for i, row in enumerate(landscape.costs[cost])
        for j, value in enumerate(row)
    )


# --- an MLP on two moons ----------------------------------------------------------


def two_moons(
    n: int = 100, noise: float = 0.1, seed: int = 0
) -> tuple[list[list[float]], list[float]]:
    """Two interleaving half circles, ``n`` points, labels 0 (upper) and 1 (lower).

    Like scikit-learn's ``make_moons``: the upper moon is (cos t, sin t), the
    lower (1 − cos t, ½ − sin t), t in [0, π], plus Gaussian noise.

    >>> xs, ys = two_moons(4, noise=0.0)
    >>> [[round(c, 3) for c in x] for x in xs], ys
    ([[1.0, 0.0], [0.0, 0.5], [-1.0, 0.0], [2.0, 0.5]], [0.0, 1.0, 0.0, 1.0])
    """
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * (i // 2) / max(1, (n - 1) // 2)
        upper = i % 2 == 0
        x, y = (math.cos(t), math.sin(t)) if upper else (1 - math.cos(t), 0.5 - math.sin(t))
        xs.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        ys.append(0.0 if upper else 1.0)
    return xs, ys


@dataclass
class MoonsRun:
    """An MLP trained on two moons: the data, its loss per epoch, its final accuracy."""

    model: MLP
    xs: list[list[float]]
    ys: list[float]
    losses: list[float]
    accuracy: float


def train_two_moons(
    n: int = 100,
    hidden: Sequence[int] = (6, 6),
    epochs: int = 120,
    eta: float = 0.7,
    seed: int = 0,
    progress: Optional[Callable[[int], None]] = None,
) -> MoonsRun:
    """Full-batch gradient descent on ``losses.bce`` for a tanh MLP with a sigmoid output.

    ``progress(epoch)`` is called after each epoch, for a progress display.
    """
    xs, ys = two_moons(n, seed=seed)
    model = MLP(2, list(hidden) + [1], activation="tanh", output_activation="sigmoid", seed=seed)
    sgd = SGD(model.parameters(), lr=eta)
    curve = []
    for epoch in range(epochs):
        loss = losses.bce([model(x) for x in xs], ys)
        curve.append(loss.data)
        sgd.zero_grad()
        loss.backward()
        sgd.step()
        if progress:
            progress(epoch + 1)
    correct = sum((model(x).data > 0.5) == (y == 1.0) for x, y in zip(xs, ys))
    return MoonsRun(model, xs, ys, curve, correct / n)


def decision_grid(
    model: MLP, x_range: tuple[float, float], y_range: tuple[float, float], steps: int = 60
) -> tuple[list[float], list[float], list[list[float]]]:
    """The model's output on a grid: (grid xs, grid ys, p[i][j] at ys[i], xs[j])."""
    gx = [x_range[0] + (x_range[1] - x_range[0]) * j / (steps - 1) for j in range(steps)]
    gy = [y_range[0] + (y_range[1] - y_range[0]) * i / (steps - 1) for i in range(steps)]
    return gx, gy, [[model([x, y]).data for x in gx] for y in gy]
