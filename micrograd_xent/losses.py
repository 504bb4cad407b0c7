"""Losses and softmax written only as forward expressions of ``Value`` operations.

There is no gradient code in this file, on purpose: the output deltas a
textbook derives by hand (a − y for BCE after a sigmoid, p − onehot(y) for
softmax cross-entropy, ...) must fall out of ``backward()`` on these
expressions. Names and reductions follow ``torch.nn.functional``.

Each loss takes Values or plain numbers (a single one counts as a sequence of
one) and returns a scalar Value.

>>> p = Value(0.8)
>>> loss = bce(p, 1.0)
>>> round(loss.data, 4)
0.2231
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Iterable, Sequence, Union

from .engine import Value

Scalar = Union[Value, int, float]
Scalars = Union[Scalar, Sequence[Scalar]]

_LOG_FLOOR = -100.0  # PyTorch's clamp on each log term of binary_cross_entropy
_LOG_FLOOR_INPUT = math.exp(_LOG_FLOOR)


def mse(predictions: Scalars, targets: Scalars) -> Value:
    """Mean squared error, mean over n of (p − t)², like ``F.mse_loss``.

    >>> mse([Value(1.0), Value(2.0)], [0.0, 0.0]).data
    2.5
    """
    p, t = _paired("mse", predictions, targets)
    return _mean([(pi - ti) ** 2 for pi, ti in zip(p, t)])


def quadratic(predictions: Scalars, targets: Scalars) -> Value:
    """The textbook quadratic cost ½ Σ (p − t)² (Nielsen, chapter 1).

    >>> quadratic([Value(1.0), Value(2.0), Value(2.0)], [0.0, 0.0, 0.0]).data  # mse: 3.0
    4.5
    """
    p, t = _paired("quadratic", predictions, targets)
    return 0.5 * _total([(pi - ti) ** 2 for pi, ti in zip(p, t)])


def bce(probabilities: Scalars, targets: Scalars) -> Value:
    """Binary cross-entropy, mean over n of −[t log p + (1−t) log(1−p)].

    Like ``F.binary_cross_entropy``, each log is clamped at −100, so p of
    exactly 0 or 1 gives a finite loss (``bce(0.0, 1.0)`` is 100); in the
    clamped region the loss no longer depends on p, so its gradient there is 0.

    >>> round(bce([Value(0.9), Value(0.2)], [1, 0]).data, 6)
    0.164252
    """
    p, t = _paired("bce", probabilities, targets)
    _check_unit_interval("bce", "probability", p)
    _check_unit_interval("bce", "target", t)
    terms = [ti * _clamped_log(pi) + (1.0 - ti) * _clamped_log(1.0 - pi) for pi, ti in zip(p, t)]
    return -_mean(terms)


def bce_with_logits(logits: Scalars, targets: Scalars) -> Value:
    """BCE of sigmoid(x) computed from the logit x, stable for any finite x.

    Uses −[t log σ(x) + (1−t) log(1−σ(x))] = softplus(x) − t·x, like
    ``F.binary_cross_entropy_with_logits``.

    >>> round(bce_with_logits(Value(0.0), 1.0).data, 6)  # log 2
    0.693147
    """
    x, t = _paired("bce_with_logits", logits, targets)
    _check_unit_interval("bce_with_logits", "target", t)
    return _mean([_softplus(xi) - xi * ti for xi, ti in zip(x, t)])


def softmax(logits: Scalars) -> list[Value]:
    """exp(zᵢ) / Σ exp(zⱼ), computed after subtracting max z so exp cannot overflow.

    >>> [round(p.data, 4) for p in softmax([1.0, 2.0, 3.0])]
    [0.09, 0.2447, 0.6652]
    """
    exps = [z.exp() for z in _shifted(_values("softmax", logits))]
    total = _total(exps)
    return [e / total for e in exps]


def log_softmax(logits: Scalars) -> list[Value]:
    """zᵢ − log Σ exp(zⱼ), with the max subtracted first (log-sum-exp trick).

    >>> [round(q.data, 4) for q in log_softmax([1000.0, 0.0])]
    [0.0, -1000.0]
    """
    shifted = _shifted(_values("log_softmax", logits))
    log_total = _total([s.exp() for s in shifted]).log()
    return [s - log_total for s in shifted]


def cross_entropy(logits, target) -> Value:
    """Cross-entropy of softmax(logits) with class indices, like ``F.cross_entropy``.

    One sample: a sequence of logits and a class index → −log_softmax(logits)[target].
    A batch: a sequence of logit sequences and a sequence of indices → the mean.

    >>> round(cross_entropy([2.0, 1.0, 0.1], 0).data, 4)
    0.417
    >>> round(cross_entropy([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]], [0, 2]).data, 4)
    0.7578
    """
    if not isinstance(target, Iterable):  # one sample
        return -log_softmax(logits)[_class_index(target, _count(logits))]
    samples, targets = list(logits), list(target)
    if len(samples) != len(targets):
        raise ValueError(
            f"cross_entropy: {len(samples)} samples of logits but {len(targets)} targets"
        )
    if not samples:
        raise ValueError("cross_entropy: needs at least one sample")
    return _mean([cross_entropy(z, y) for z, y in zip(samples, targets)])


# Every loss by name, for code that picks one from text (the command line, reports).
LOSSES = {
    "mse": mse,
    "quadratic": quadratic,
    "bce": bce,
    "bce_with_logits": bce_with_logits,
    "cross_entropy": cross_entropy,
}


# --- helpers: input checking and the stable building blocks ------------------


def _total(terms: list[Value]) -> Value:
    # a sum of one term is the term: no pass-through node to clutter a drawing
    return terms[0] if len(terms) == 1 else Value.sum(terms)


def _mean(terms: list[Value]) -> Value:
    return terms[0] if len(terms) == 1 else Value.sum(terms) / len(terms)


def _values(loss: str, xs: Scalars) -> list[Value]:
    try:
        items = [xs] if isinstance(xs, (Value, Real)) else list(xs)
    except TypeError:
        raise TypeError(
            f"{loss}: expected a Value, a number or a sequence of them, "
            f"got {type(xs).__name__} {xs!r}"
        ) from None
    if not items:
        raise ValueError(f"{loss}: needs at least one value, got an empty sequence")
    for item in items:
        if not isinstance(item, (Value, Real)):
            raise TypeError(
                f"{loss}: expected Values or numbers, got {type(item).__name__} {item!r}"
            )
    return [item if isinstance(item, Value) else Value(item) for item in items]


def _paired(loss: str, predictions: Scalars, targets: Scalars) -> tuple[list[Value], list[Value]]:
    p, t = _values(loss, predictions), _values(loss, targets)
    if len(p) != len(t):
        raise ValueError(f"{loss}: {len(p)} predictions but {len(t)} targets")
    return p, t


def _check_unit_interval(loss: str, what: str, values: list[Value]) -> None:
    for v in values:
        if not 0.0 <= v.data <= 1.0:
            label = f" (label {v.label!r})" if v.label else ""
            raise ValueError(f"{loss}: a {what} must lie in [0, 1], got {v.data!r}{label}")


def _clamped_log(x: Value) -> Value:
    # log x ≤ −100 exactly when x ≤ e^−100; there PyTorch uses −100.
    return x.log() if x.data > _LOG_FLOOR_INPUT else Value(_LOG_FLOOR)


def _softplus(x: Value) -> Value:
    # log(1 + eˣ) = x + log(1 + e⁻ˣ): pick the form whose exp cannot overflow.
    if x.data > 0.0:
        return x + (1.0 + (-x).exp()).log()
    return (1.0 + x.exp()).log()


def _shifted(z: list[Value]) -> list[Value]:
    # softmax is unchanged by a shift, and after it the largest exp is exp(0)
    top = max(v.data for v in z)
    return [v - top for v in z]


def _count(logits: Scalars) -> int:
    return 1 if isinstance(logits, (Value, Real)) else len(logits)


def _class_index(target, classes: int) -> int:
    if not isinstance(target, Real):
        raise TypeError(
            f"cross_entropy: a class index must be an int, got {type(target).__name__} {target!r}"
        )
    if not float(target).is_integer():
        raise ValueError(f"cross_entropy: a class index must be an integer, got {target!r}")
    index = int(target)
    if not 0 <= index < classes:
        raise IndexError(
            f"cross_entropy: class index {index} is out of range for {classes} classes "
            f"(valid: 0 to {classes - 1})"
        )
    return index
