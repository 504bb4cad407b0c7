"""Independent oracles for the tests: plain float math, never the engine."""

import math
from typing import Callable, Sequence


def numeric_grad(f: Callable[..., float], xs: Sequence[float], h: float = 1e-6) -> list[float]:
    """Central finite differences (f(x + h) − f(x − h)) / 2h, one per variable.

    ``f`` takes plain floats, one argument per entry of ``xs``.

    >>> [round(g, 6) for g in numeric_grad(lambda a, b: a * b, [2.0, 3.0])]
    [3.0, 2.0]
    """
    grads = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        grads.append((f(*up) - f(*down)) / (2 * h))
    return grads


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def train_sigmoid_neuron(
    cost: str, w: float, b: float, epochs: int, eta: float = 0.15, x: float = 1.0, y: float = 0.0
) -> tuple[list[float], list[float]]:
    """Nielsen's neuron a = σ(wx + b) by gradient descent, with the gradients derived
    by hand: ∂C/∂z is (a − y)·a(1 − a) for the quadratic cost ½(a − y)², and a − y
    for cross-entropy ("bce"). Returns the outputs and costs, index i after i updates.

    >>> outputs, costs = train_sigmoid_neuron("bce", 0.0, 0.0, epochs=1, eta=1.0)
    >>> outputs[0], round(outputs[1], 4)  # one step from z = 0: w = b = −½
    (0.5, 0.2689)
    """
    outputs, costs = [], []
    for _ in range(epochs + 1):
        a = sigmoid(w * x + b)
        outputs.append(a)
        if cost == "quadratic":
            costs.append(0.5 * (a - y) ** 2)
            dz = (a - y) * a * (1 - a)
        else:
            costs.append(-(y * math.log(a) + (1 - y) * math.log(1 - a)))
            dz = a - y
        w, b = w - eta * dz * x, b - eta * dz
    return outputs, costs


def first_index_below(values: Sequence[float], threshold: float):
    """The first i with values[i] < threshold, or None.

    >>> first_index_below([3, 2, 1], 2), first_index_below([3], 2)
    (2, None)
    """
    for i, value in enumerate(values):
        if value < threshold:
            return i
    return None
