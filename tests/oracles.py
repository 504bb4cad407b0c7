"""Independent oracles for the tests: plain float math, never the engine."""

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
