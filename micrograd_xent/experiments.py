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
from .engine import Value, hessian
from .nn import MLP, SGD, activation_function

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


# --- second derivatives: the curvature of each loss and Newton's step -----------

CURVATURE_PAIRS = (("quadratic", "sigmoid"), ("bce", "sigmoid"), ("mse", "linear"))


def curvature_in_z(loss: str, activation: str, z: float, y: float) -> float:
    """∂²C/∂z² for one output a = activation(z) and target y, from ``hessian``.

    For the quadratic cost after a sigmoid it is σ'(z)² + (a − y)σ''(z),
    negative where the neuron is saturated and wrong; for bce after a sigmoid
    a(1 − a); for mse after a linear output 2.

    >>> round(curvature_in_z("quadratic", "sigmoid", 4.0, 0.0), 4)
    -0.0164
    >>> curvature_in_z("mse", "linear", 4.0, 0.0)
    2.0
    """
    zv = Value(z, label="z")
    a = activation_function(activation)(zv)
    return hessian(losses.LOSSES[loss](a, y), [zv])[0][0]


def neuron_hessian(cost: str, w: float, b: float, data=LANDSCAPE_DATA) -> list[list[float]]:
    """The 2 × 2 Hessian in (w, b) of the cost of σ(w·x + b) on ``data``.

    >>> neuron_hessian("mse", 0.0, 0.0, ([1.0], [1.0]))  # 2σ'² − 2(1 − a)σ'' at a = ½
    [[0.125, 0.125], [0.125, 0.125]]
    """
    wv, bv = Value(w, label="w"), Value(b, label="b")
    xs, ys = data
    return hessian(losses.LOSSES[cost]([(wv * x + bv).sigmoid() for x in xs], ys), [wv, bv])


def eigenvalues(h: Sequence[Sequence[float]]) -> tuple[float, float]:
    """The eigenvalues of a symmetric 2 × 2 matrix [[a, b], [b, d]], smaller first:
    (a + d)/2 ∓ √(((a − d)/2)² + b²).

    >>> eigenvalues([[2.0, 1.0], [1.0, 2.0]])
    (1.0, 3.0)
    """
    (a, b), (_, d) = h
    mean, radius = (a + d) / 2, math.hypot((a - d) / 2, b)
    return mean - radius, mean + radius


def smallest_curvature(
    landscape: Landscape, cost: str = "quadratic", data=LANDSCAPE_DATA
) -> list[list[float]]:
    """The smaller eigenvalue of the cost's Hessian in (w, b) at each point of
    the landscape's grid, rows b and columns w like ``landscape.costs``. Where
    it is negative the cost curves downward along some direction: not convex."""
    return [
        [eigenvalues(neuron_hessian(cost, w, b, data))[0] for w in landscape.w] for b in landscape.b
    ]


NEWTON_METHODS = ("gradient descent", "Newton", "saddle-free Newton")


@dataclass
class CurvatureRun:
    """One neuron trained by ``method`` on ``cost``; index i is after i steps.
    ``eigenvalues[i]`` are those of the cost's Hessian in (w, b) there."""

    cost: str
    method: str
    outputs: list[float]
    costs: list[float]
    eigenvalues: list[tuple[float, float]]


def newton_step(
    h: Sequence[Sequence[float]], g: Sequence[float], saddle_free: bool = False
) -> tuple[float, float]:
    """The step (Δw, Δb) that solves H·Δ = −g, direction by direction.

    In the eigenvectors v of H it is −(v·g)/λ·v for each eigenvalue λ. A zero
    eigenvalue is a direction the cost does not curve along: no step along it
    (the pseudo-inverse's step: the shortest of those that come closest). A
    negative one makes Newton climb toward a maximum along v; ``saddle_free``
    divides by |λ| instead, which always steps downhill.

    >>> newton_step([[2.0, 0.0], [0.0, 4.0]], [2.0, 2.0])  # a bowl: straight to its bottom
    (-1.0, -0.5)

    With H singular the step goes along (1, 1) only, the one direction H sees:
    >>> [round(s, 12) for s in newton_step([[1.0, 1.0], [1.0, 1.0]], [3.0, 3.0])]
    [-1.5, -1.5]
    """
    (a, b), (_, d) = h
    low, high = eigenvalues(h)
    # H's eigenvectors are its axes turned by θ, tan 2θ = 2b/(a − d), |θ| ≤ π/4. Taken
    # from the angle they stay accurate when H is nearly diagonal, where solving
    # (H − λ)v = 0 subtracts nearly equal numbers; and a diagonal H keeps exact axes.
    # (cos θ, sin θ) is the axis nearer w, so it goes with the eigenvalue on a's side.
    side = 1.0 if a >= d else -1.0
    theta = 0.5 * math.atan2(side * 2.0 * b, side * (a - d))
    cos, sin = math.cos(theta), math.sin(theta)
    near_w, near_b = (high, low) if a >= d else (low, high)
    step = [0.0, 0.0]
    for lam, v in ((near_w, (cos, sin)), (near_b, (-sin, cos))):
        if abs(lam) <= 1e-12 * max(abs(low), abs(high)):
            continue
        along = -(v[0] * g[0] + v[1] * g[1]) / (abs(lam) if saddle_free else lam)
        step = [step[0] + along * v[0], step[1] + along * v[1]]
    return step[0], step[1]


def newton_vs_gradient_descent(
    costs: Sequence[str] = ("quadratic", "bce"),
    start: tuple[float, float] = SATURATED_START,
    x: float = 1.0,
    y: float = 0.0,
    gd_steps: int = 300,
    newton_steps: int = 20,
    eta: float = 0.15,
) -> list[CurvatureRun]:
    """Nielsen's saturated neuron trained three ways on each cost, using ``hessian``.

    Gradient descent (step −η·g), Newton's step (H·Δ = −g) and the saddle-free
    Newton step (|H|·Δ = −g). With one input the cost depends on w and b only
    through z = w·x + b, so H is singular everywhere and each Newton step is
    the pseudo-inverse's: Newton's step in z, spread over w and b. One run per
    cost and method, in the order of ``costs`` and ``NEWTON_METHODS``.
    """
    data = ([x], [y])
    runs = []
    for cost in costs:
        for method in NEWTON_METHODS:
            steps = gd_steps if method == "gradient descent" else newton_steps
            run = CurvatureRun(cost, method, [], [], [])
            w, b = start
            for _ in range(steps + 1):  # step 0 is the start, before any update
                c, dw, db = neuron_cost(cost, w, b, data)
                h = neuron_hessian(cost, w, b, data)
                run.outputs.append(Value(w * x + b).sigmoid().data)
                run.costs.append(c)
                run.eigenvalues.append(eigenvalues(h))
                if method == "gradient descent":
                    step = (-eta * dw, -eta * db)
                else:
                    step = newton_step(h, (dw, db), saddle_free=method != "Newton")
                w, b = w + step[0], b + step[1]
            runs.append(run)
    return runs
