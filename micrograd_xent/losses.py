"""Losses and softmax written only as forward expressions of ``Value`` operations.

There is no gradient code in this file, on purpose: the output deltas a
textbook derives by hand (a − y for BCE after a sigmoid, p − onehot(y) for
softmax cross-entropy, ...) must fall out of ``backward()`` on these
expressions. Names and reductions follow ``torch.nn.functional``.

Each loss takes Values or plain numbers (a single one counts as a sequence of
one) and returns a scalar Value. A plain-number target is folded into the ops
as a constant, so it is no node of the graph. A NaN anywhere is an error that
names the loss and where the NaN sits.

>>> p = Value(0.8)
>>> loss = bce(p, 1.0)
>>> round(loss.data, 4)
0.2231
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Sequence, Union

from .engine import Value

Scalar = Union[Value, int, float]
Scalars = Union[Scalar, Sequence[Scalar]]
Target = Union[Value, float]  # a plain-number target stays a float: a constant of the ops

_LOG_FLOOR = -100.0  # PyTorch's clamp on each log term of binary_cross_entropy
_LOG_FLOOR_INPUT = math.exp(_LOG_FLOOR)
_PROBABILITY_SUM_TOLERANCE = 1e-6  # soft labels from a division may miss 1 by a few ulps


def mse(predictions: Scalars, targets: Scalars) -> Value:
    """Mean squared error, mean over n of (p − t)², like ``F.mse_loss``.

    >>> mse([Value(1.0), Value(2.0)], [0.0, 0.0]).data
    2.5
    """
    p, t = _paired("mse", "predictions", predictions, targets)
    return _mean([(pi - ti) ** 2 for pi, ti in zip(p, t)])


def quadratic(predictions: Scalars, targets: Scalars) -> Value:
    """The textbook quadratic cost ½ Σ (p − t)² (Nielsen, chapter 1).

    >>> quadratic([Value(1.0), Value(2.0), Value(2.0)], [0.0, 0.0, 0.0]).data  # mse: 3.0
    4.5
    """
    p, t = _paired("quadratic", "predictions", predictions, targets)
    return 0.5 * _total([(pi - ti) ** 2 for pi, ti in zip(p, t)])


def l1(predictions: Scalars, targets: Scalars) -> Value:
    """Mean absolute error, mean over n of |p − t|, like ``F.l1_loss``.

    >>> l1([Value(1.0), Value(-2.0)], [0.0, 0.0]).data
    1.5
    """
    p, t = _paired("l1", "predictions", predictions, targets)
    return _mean([(pi - ti).abs() for pi, ti in zip(p, t)])


def huber(predictions: Scalars, targets: Scalars, delta: float = 1.0) -> Value:
    """Mean over n of ½(p − t)² where |p − t| ≤ delta, else delta·(|p − t| − ½·delta),
    like ``F.huber_loss``: squared error near the target, absolute error far from it.

    >>> huber([Value(0.5), Value(3.0)], [0.0, 0.0]).data  # (½·0.25 + (3 − ½)) / 2
    1.3125
    """
    if isinstance(delta, bool) or not isinstance(delta, Real) or not 0.0 < delta < math.inf:
        raise ValueError(f"huber: delta must be a positive number, got {delta!r}")
    p, t = _paired("huber", "predictions", predictions, targets)
    return _mean([_huber_term(pi - ti, float(delta)) for pi, ti in zip(p, t)])


def hinge(scores: Scalars, targets: Scalars) -> Value:
    """The max-margin loss of micrograd's demo: mean over n of max(0, 1 − t·s), t = ±1.

    >>> hinge([Value(2.0), Value(0.5)], [1, -1]).data  # (0 + 1.5) / 2
    0.75
    """
    s, t = _paired("hinge", "scores", scores, targets)
    for i, ti in enumerate(t):
        if _data(ti) not in (-1.0, 1.0):
            raise ValueError(f"hinge: targets[{i}] must be -1 or +1, got {_data(ti)!r}")
    return _mean([(1.0 - ti * si).relu() for si, ti in zip(s, t)])


def bce(probabilities: Scalars, targets: Scalars) -> Value:
    """Binary cross-entropy, mean over n of −[t log p + (1−t) log(1−p)].

    Like ``F.binary_cross_entropy``, each log is clamped at −100, so p of
    exactly 0 or 1 gives a finite loss (``bce(0.0, 1.0)`` is 100); in the
    clamped region the loss no longer depends on p, so its gradient there is 0.

    >>> round(bce([Value(0.9), Value(0.2)], [1, 0]).data, 6)
    0.164252
    """
    p, t = _paired("bce", "probabilities", probabilities, targets)
    _check_unit_interval("bce", "probabilities", p)
    _check_unit_interval("bce", "targets", t)
    terms = [ti * _clamped_log(pi) + (1.0 - ti) * _clamped_log(1.0 - pi) for pi, ti in zip(p, t)]
    return -_mean(terms)


def bce_with_logits(logits: Scalars, targets: Scalars) -> Value:
    """BCE of σ(x) computed from the logit x, accurate for every finite x.

    −[t log σ(x) + (1−t) log(1−σ(x))] = log(1 + e⁻ˣ) + (1−t)·x = log(1 + eˣ) − t·x,
    like ``F.binary_cross_entropy_with_logits``. The form is picked by the sign
    of x so that both of its terms are ≥ 0 (nothing cancels) and, through
    ``log1p``, a loss as small as 4.25e-18 (x = 40, t = 1) is not rounded to 0.

    >>> round(bce_with_logits(Value(0.0), 1.0).data, 6)  # log 2
    0.693147
    >>> bce_with_logits(40.0, 1.0).data
    4.248354255291589e-18
    """
    x, t = _paired("bce_with_logits", "logits", logits, targets)
    _check_unit_interval("bce_with_logits", "targets", t)
    return _mean([_logistic_loss(xi, ti) for xi, ti in zip(x, t)])


def softmax(logits: Scalars) -> list[Value]:
    """exp(zᵢ) / Σ exp(zⱼ), computed after subtracting max z so exp cannot overflow.

    >>> [round(p.data, 4) for p in softmax([1.0, 2.0, 3.0])]
    [0.09, 0.2447, 0.6652]
    """
    exps = [z.exp() for z in _shifted(_values("softmax", "logits", logits))]
    total = _total(exps)
    return [e / total for e in exps]


def log_softmax(logits: Scalars) -> list[Value]:
    """zᵢ − log Σ exp(zⱼ), with the max subtracted first (log-sum-exp trick).

    >>> [round(q.data, 4) for q in log_softmax([1000.0, 0.0])]
    [0.0, -1000.0]
    """
    shifted = _shifted(_values("log_softmax", "logits", logits))
    log_total = _total([s.exp() for s in shifted]).log()
    return [s - log_total for s in shifted]


def cross_entropy(
    logits: Union[Scalars, Sequence[Scalars]],
    target: Union[Scalars, Sequence[Scalars]],
    label_smoothing: float = 0.0,
) -> Value:
    """Cross-entropy of softmax(logits), like ``F.cross_entropy``.

    One sample: a sequence of logits and either a class index k → −log_softmax(z)[k],
    or class probabilities q (soft labels, one per logit, summing to 1) →
    −Σ q_k log_softmax(z)_k. A batch: a sequence of logit sequences, all the same
    length, and one target per sample → the mean. ``label_smoothing`` ε mixes the
    target with the uniform distribution, q ← (1 − ε)q + ε/K, as PyTorch does.

    >>> round(cross_entropy([2.0, 1.0, 0.1], 0).data, 4)
    0.417
    >>> round(cross_entropy([2.0, 1.0, 0.1], [0.5, 0.5, 0.0]).data, 4)
    0.917
    >>> round(cross_entropy([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0]], [0, 2]).data, 4)
    0.7578
    """
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, Real):
        raise TypeError(f"cross_entropy: label_smoothing must be a number, got {label_smoothing!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing!r}"
        )
    if not _is_batch(logits):
        return _sample_cross_entropy(logits, target, float(label_smoothing), "")
    samples = list(logits)
    if isinstance(target, (Value, Real)) or not hasattr(target, "__len__"):
        raise ValueError(
            f"cross_entropy: a batch of {len(samples)} samples needs one target per sample, "
            f"got {target!r}"
        )
    targets = list(target)
    if len(samples) != len(targets):
        raise ValueError(
            f"cross_entropy: {len(samples)} samples of logits but {len(targets)} targets"
        )
    width = _length(samples[0])
    for i, sample in enumerate(samples):
        if _length(sample) != width:
            raise ValueError(
                f"cross_entropy: every sample needs the same number of logits; logits[0] has "
                f"{width}, logits[{i}] has {_length(sample)}"
            )
    costs = [
        _sample_cross_entropy(z, y, float(label_smoothing), f"[{i}]")
        for i, (z, y) in enumerate(zip(samples, targets))
    ]
    return _mean(costs)


# Every loss by name, for code that picks one from text (the command line, reports).
LOSSES = {
    "mse": mse,
    "quadratic": quadratic,
    "l1": l1,
    "huber": huber,
    "hinge": hinge,
    "bce": bce,
    "bce_with_logits": bce_with_logits,
    "cross_entropy": cross_entropy,
}


# --- the terms that need care ----------------------------------------------------


def _huber_term(d: Value, delta: float) -> Value:
    # the two pieces meet at |d| = delta with the same value and the same slope
    if abs(d.data) <= delta:
        return 0.5 * d**2
    return delta * (d.abs() - 0.5 * delta)


def _clamped_log(x: Value) -> Union[Value, float]:
    # log x ≤ −100 exactly when x ≤ e^−100; there PyTorch uses the constant −100.
    return x.log() if x.data > _LOG_FLOOR_INPUT else _LOG_FLOOR


def _logistic_loss(x: Value, t: Target) -> Value:
    # e^−|x| ≤ 1, so exp cannot overflow; log1p keeps it even when 1 + e^−|x| rounds to 1
    if x.data > 0.0:
        return (-x).exp().log1p() + x * (1.0 - t)
    return x.exp().log1p() - x * t


def _sample_cross_entropy(logits, target, smoothing: float, sample: str) -> Value:
    z = _values("cross_entropy", f"logits{sample}", logits)
    log_p = log_softmax(z)
    if isinstance(target, (Value, Real)):
        k = _class_index(target, len(z), sample)
        if smoothing == 0.0:
            return -log_p[k]
        q = [1.0 if j == k else 0.0 for j in range(len(z))]
    else:
        q = _class_probabilities(target, len(z), sample)
    if smoothing:
        q = [(1.0 - smoothing) * qk + smoothing / len(z) for qk in q]
    return -Value.dot(q, log_p)


# --- input checking --------------------------------------------------------------


def _items(loss: str, argument: str, xs: Scalars) -> list[Scalar]:
    """``xs`` as a list of Values and numbers; one alone counts as a list of one."""
    # a str is iterable, but its characters are no numbers: name the whole of it
    try:
        if isinstance(xs, str):
            raise TypeError
        items = [xs] if isinstance(xs, (Value, Real)) else list(xs)
    except TypeError:
        raise TypeError(
            f"{loss}: {argument} must be a Value, a number or a sequence of them, "
            f"got {type(xs).__name__} {xs!r}"
        ) from None
    if not items:
        raise ValueError(f"{loss}: {argument} needs at least one value, got an empty sequence")
    for i, item in enumerate(items):
        if not isinstance(item, (Value, Real)):
            raise TypeError(
                f"{loss}: expected Values or numbers, got {type(item).__name__} {item!r} "
                f"in {argument}[{i}]"
            )
        if math.isnan(_data(item)):
            raise ValueError(f"{loss}: {argument}[{i}] is nan")
    return items


def _values(loss: str, argument: str, xs: Scalars) -> list[Value]:
    return [x if isinstance(x, Value) else Value(x) for x in _items(loss, argument, xs)]


def _targets(loss: str, argument: str, xs: Scalars) -> list[Target]:
    return [x if isinstance(x, Value) else float(x) for x in _items(loss, argument, xs)]


def _paired(
    loss: str, argument: str, predictions: Scalars, targets: Scalars
) -> tuple[list[Value], list[Target]]:
    p, t = _values(loss, argument, predictions), _targets(loss, "targets", targets)
    if len(p) != len(t):
        raise ValueError(f"{loss}: {len(p)} {argument} but {len(t)} targets")
    return p, t


def _data(x: Scalar) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _check_unit_interval(loss: str, argument: str, values: list[Target]) -> None:
    for i, v in enumerate(values):
        if not 0.0 <= _data(v) <= 1.0:
            label = f" (label {v.label!r})" if isinstance(v, Value) and v.label else ""
            raise ValueError(f"{loss}: {argument}[{i}] must lie in [0, 1], got {_data(v)!r}{label}")


def _is_batch(logits) -> bool:
    """A sequence whose first item is itself a sequence: one logit sequence per sample."""
    if isinstance(logits, (Value, Real, str)):
        return False
    try:
        first = next(iter(logits), None)
    except TypeError:
        return False  # _items names what was given
    return first is not None and not isinstance(first, (Value, Real, str))


def _length(logits) -> int:
    return 1 if isinstance(logits, (Value, Real)) else len(logits)


def _class_index(target: Scalar, classes: int, sample: str) -> int:
    if not isinstance(target, Real):
        raise TypeError(
            f"cross_entropy: a class index must be an int, got {type(target).__name__} "
            f"{target!r} in target{sample}"
        )
    if not float(target).is_integer():
        raise ValueError(
            f"cross_entropy: a class index must be an integer, got {target!r} in target{sample}"
        )
    index = int(target)
    if not 0 <= index < classes:
        raise IndexError(
            f"cross_entropy: class index {index} in target{sample} is out of range for "
            f"{classes} classes (valid: 0 to {classes - 1})"
        )
    return index


def _class_probabilities(target, classes: int, sample: str) -> list[Target]:
    """Soft labels: one non-negative probability per class, summing to 1."""
    q = _targets("cross_entropy", f"target{sample}", target)
    total = sum(_data(qk) for qk in q)
    if (
        len(q) != classes
        or any(_data(qk) < 0.0 for qk in q)
        or not abs(total - 1.0) <= _PROBABILITY_SUM_TOLERANCE
    ):
        raise ValueError(
            f"cross_entropy: a sequence target is read as class probabilities (soft labels: "
            f"{classes} non-negative numbers summing to 1), got {target!r} in target{sample}; "
            f"for a batch, give one sequence of logits per sample"
        )
    return q


def _total(terms: list[Value]) -> Value:
    # a sum of one term is the term: no pass-through node to clutter a drawing
    return terms[0] if len(terms) == 1 else Value.sum(terms)


def _mean(terms: list[Value]) -> Value:
    return terms[0] if len(terms) == 1 else Value.sum(terms) / len(terms)


def _shifted(z: list[Value]) -> list[Value]:
    # softmax is unchanged by a shift, and after it the largest exp is exp(0)
    top = max(v.data for v in z)
    return [v - top for v in z]
