"""The hand-derived deltas: backpropagation as the textbook writes it, no autograd.

In Nielsen's notation (Neural Networks and Deep Learning, chapter 2) layer l
has weighted inputs z_l = W_l a_{l−1} + b_l, activations a_l = σ(z_l), and
error δ_l = ∂C/∂z_l. Four equations give every gradient:

    BP1  δ_L = ∂C/∂a_L ⊙ σ'(z_L)            the output layer: the loss is here
    BP2  δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ'(z_l)  every hidden layer, whatever the loss
    BP3  ∂C/∂b_l = δ_l
    BP4  ∂C/∂W_l = δ_l a_{l−1}ᵀ

The loss enters only through BP1, so each (loss, output activation) pair has
its own closed-form δ_L below, and its own curvature ∂²C/∂z_L². In general BP1
is δ_L = Jᵀ ∇_a C with J = ∂a/∂z (``general_output_delta``); each closed form is
that product with σ'(z) cancelled (the canonical pairs) or kept. Nothing here
imports the engine: ``compare`` sets these formulas beside ``backward()``.

>>> output_delta("bce", "sigmoid", [0.0], [1.0])  # (σ(0) − 1)/1
[-0.5]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from numbers import Real
from typing import Sequence, Union

import numpy as np
from numpy.typing import ArrayLike

# A target: a list of numbers like the output, or for cross-entropy a class index
Target = Union[int, Sequence[float], np.ndarray]

# --- activations σ and their derivatives σ', σ'' ------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^−z), written as ½(1 + tanh(z/2)) so no exp can overflow.

    >>> sigmoid(np.array([0.0, 800.0])).tolist()
    [0.5, 1.0]
    """
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """σ'(z) = σ(z)(1 − σ(z)), at most ¼: the factor that slows a saturated neuron.

    >>> sigmoid_prime(np.array([0.0])).tolist()
    [0.25]
    """
    a = sigmoid(z)
    return a * (1.0 - a)


def sigmoid_double_prime(z: np.ndarray) -> np.ndarray:
    """σ''(z) = σ'(z)(1 − 2σ(z)): negative for z > 0, where σ bends towards 1."""
    a = sigmoid(z)
    return a * (1.0 - a) * (1.0 - 2.0 * a)


def tanh_prime(z: np.ndarray) -> np.ndarray:
    """tanh'(z) = 1 − tanh²(z)."""
    return 1.0 - np.tanh(z) ** 2


def tanh_double_prime(z: np.ndarray) -> np.ndarray:
    """tanh''(z) = −2 tanh(z)(1 − tanh²(z))."""
    t = np.tanh(z)
    return -2.0 * t * (1.0 - t * t)


def linear(z: np.ndarray) -> np.ndarray:
    """The identity, a = z: a regression output."""
    return z


def linear_prime(z: np.ndarray) -> np.ndarray:
    """linear'(z) = 1: nothing to cancel, nothing to shrink."""
    return np.ones_like(z)


def linear_double_prime(z: np.ndarray) -> np.ndarray:
    """linear''(z) = 0."""
    return np.zeros_like(z)


def relu(z: np.ndarray) -> np.ndarray:
    """ReLU(z) = max(z, 0), micrograd's hidden activation."""
    return np.maximum(z, 0.0)


def relu_prime(z: np.ndarray) -> np.ndarray:
    """ReLU'(z) = 1 where z > 0, else 0 (at the kink z = 0 autograd also takes 0).

    >>> relu_prime(np.array([-1.0, 0.0, 2.0])).tolist()
    [0.0, 0.0, 1.0]
    """
    return (z > 0.0).astype(float)


def softmax(z: np.ndarray) -> np.ndarray:
    """pᵢ = e^zᵢ / Σⱼ e^zⱼ, with max z subtracted first (the ratio is unchanged);
    a 2-D z is a batch, one sample per row.

    >>> softmax(np.array([1000.0, 1000.0])).tolist()
    [0.5, 0.5]
    """
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_jacobian(z: np.ndarray) -> np.ndarray:
    """∂p/∂z = diag(p) − ppᵀ: each p_i depends on every z_j, so no elementwise σ'.

    >>> softmax_jacobian(np.array([0.0, 0.0])).tolist()  # p = (½, ½)
    [[0.25, -0.25], [-0.25, 0.25]]
    """
    p = softmax(z)
    return np.diag(p) - np.outer(p, p)


ACTIVATIONS = {
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "linear": linear,
    "relu": relu,
    "softmax": softmax,
}

# Softmax has no entry: its derivative is a Jacobian, not an elementwise σ'(z).
PRIMES = {"sigmoid": sigmoid_prime, "tanh": tanh_prime, "linear": linear_prime, "relu": relu_prime}
DOUBLE_PRIMES = {
    "sigmoid": sigmoid_double_prime,
    "tanh": tanh_double_prime,
    "linear": linear_double_prime,
}

# Outputs a squared-error cost is paired with: the elementwise ones, and softmax (the
# non-canonical pair). ReLU (micrograd's hidden default) is offered for hidden layers only.
ELEMENTWISE_OUTPUTS = ("sigmoid", "tanh", "linear")
SQUARED_ERROR_OUTPUTS = (*ELEMENTWISE_OUTPUTS, "softmax")

HUBER_DELTA = 1.0  # losses.huber's default, where its square turns into |a − y|


# --- BP1: the output delta δ_L = ∂C/∂z_L, one formula per pair -----------------------


def quadratic_delta(z: np.ndarray, y: np.ndarray, activation: str) -> np.ndarray:
    """Quadratic cost C = ½ Σ (a − y)²:  δ_L = (a − y) ⊙ σ'(z).

    >>> quadratic_delta(np.array([3.0]), np.array([1.0]), "linear").tolist()  # (3 − 1)·1
    [2.0]
    """
    a = ACTIVATIONS[activation](z)
    return (a - y) * PRIMES[activation](z)


def quadratic_softmax_delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """C = ½ Σ (p − y)² with p = softmax(z), the non-canonical pair: no σ' cancels.

    δ_L = Jᵀ(p − y) with J = diag(p) − ppᵀ, that is p ⊙ (g − p·g) for g = p − y.

    >>> quadratic_softmax_delta(np.array([0.0, 0.0]), np.array([1.0, 0.0])).tolist()
    [-0.25, 0.25]
    """
    p = softmax(z)
    g = p - y
    return p * (g - p @ g)


def mse_delta(z: np.ndarray, y: np.ndarray, activation: str) -> np.ndarray:
    """Mean squared error C = (1/n) Σ (a − y)²:  δ_L = (2/n) × the quadratic cost's δ_L.

    >>> mse_delta(np.array([3.0, 1.0]), np.array([1.0, 1.0]), "linear").tolist()  # (2/2)(a − y)
    [2.0, 0.0]
    """
    n = len(z)
    if activation == "softmax":
        return (2.0 / n) * quadratic_softmax_delta(z, y)
    return (2.0 / n) * quadratic_delta(z, y, activation)


def bce_sigmoid_delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """BCE C = −(1/n) Σ [y ln a + (1−y) ln(1−a)] with a = σ(z):  δ_L = (a − y)/n.

    ∂C/∂a = (a − y) / (n·a(1 − a)) and σ'(z) = a(1 − a): the σ'(z) cancels.

    >>> bce_sigmoid_delta(np.array([0.0, 0.0]), np.array([1.0, 0.0])).tolist()  # (½ − y)/2
    [-0.25, 0.25]
    """
    a = sigmoid(z)
    return (a - y) / len(z)


def bce_with_logits_delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """BCE read from the logits z (a linear output; the sigmoid is inside the loss):
    δ_L = (σ(z) − y)/n, the same δ_L as BCE after a sigmoid.

    >>> bce_with_logits_delta(np.array([0.0]), np.array([1.0])).tolist()
    [-0.5]
    """
    return bce_sigmoid_delta(z, y)


def cross_entropy_softmax_delta(z: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Cross-entropy C = −Σ q_k ln p_k with p = softmax(z):  δ_L = p − q.

    q is onehot(y) for a class index y, the soft labels otherwise, and with label
    smoothing ε the mixture (1 − ε)q + ε/K. ∂C/∂p_k = −q_k/p_k, and Jᵀ of that is
    p Σq − q = p − q: the softmax's Jacobian cancels.

    >>> cross_entropy_softmax_delta(np.array([0.0, 0.0]), np.array([1.0, 0.0])).tolist()
    [-0.5, 0.5]
    """
    return softmax(z) - q


def l1_delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean absolute error C = (1/n) Σ |a − y| with a = z:  δ_L = sign(a − y)/n.

    >>> l1_delta(np.array([3.0, -1.0]), np.array([1.0, 0.0])).tolist()
    [0.5, -0.5]
    """
    a = z
    return np.sign(a - y) / len(z)


def huber_delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Huber C = (1/n) Σ [½(a − y)² if |a − y| ≤ δ else δ(|a − y| − ½δ)] with a = z, δ = 1:
    δ_L = clip(a − y, −δ, δ)/n, the quadratic cost's slope near the target, capped far off.

    >>> huber_delta(np.array([0.5, 3.0]), np.array([0.0, 0.0])).tolist()
    [0.25, 0.5]
    """
    a = z
    return np.clip(a - y, -HUBER_DELTA, HUBER_DELTA) / len(z)


def hinge_delta(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Hinge C = (1/n) Σ max(0, 1 − t·s) with scores s = z, t = ±1:  δ_L = −t·1[t·s < 1]/n.

    >>> hinge_delta(np.array([2.0, 0.5]), np.array([1.0, 1.0])).tolist()  # past the margin: 0
    [0.0, -0.5]
    """
    s = z
    return np.where(t * s < 1.0, -t, 0.0) / len(z)


# --- the curvature ∂²C/∂z_L², one formula per pair -------------------------------------


def quadratic_curvature(z: np.ndarray, y: np.ndarray, activation: str) -> np.ndarray:
    """C = ½ Σ (a − y)²: ∂²C/∂z_i² = σ'(z)² + (a − y)σ''(z), 0 off the diagonal.

    The derivative of δ = (a − y)σ'(z) by the product rule. The second term is
    negative where the neuron is saturated and wrong (z = 4, y = 0: about −0.016),
    so there the quadratic cost is not convex in z.

    >>> quadratic_curvature(np.array([4.0]), np.array([0.0]), "sigmoid").round(4).tolist()
    [[-0.0164]]
    """
    a = ACTIVATIONS[activation](z)
    return np.diag(PRIMES[activation](z) ** 2 + (a - y) * DOUBLE_PRIMES[activation](z))


def quadratic_softmax_curvature(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """C = ½ Σ (p − y)² with p = softmax(z):  ∂²C/∂z² = JᵀJ + diag(δ) − δpᵀ − pδᵀ.

    J = diag(p) − ppᵀ and δ = Jᵀ(p − y) is the delta above: the first term is
    Gauss–Newton's, the rest Σ_i (p_i − y_i) ∂²p_i/∂z², summed out by hand.

    >>> quadratic_softmax_curvature(np.array([0.0, 0.0]), np.array([0.5, 0.5])).tolist()
    [[0.125, -0.125], [-0.125, 0.125]]
    """
    p = softmax(z)
    jacobian = softmax_jacobian(z)
    delta = quadratic_softmax_delta(z, y)
    return jacobian.T @ jacobian + np.diag(delta) - np.outer(delta, p) - np.outer(p, delta)


def mse_curvature(z: np.ndarray, y: np.ndarray, activation: str) -> np.ndarray:
    """C = (1/n) Σ (a − y)²: (2/n) × the quadratic cost's curvature.

    >>> mse_curvature(np.array([1.0, 2.0]), np.array([0.0, 0.0]), "linear").tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    n = len(z)
    if activation == "softmax":
        return (2.0 / n) * quadratic_softmax_curvature(z, y)
    return (2.0 / n) * quadratic_curvature(z, y, activation)


def bce_sigmoid_curvature(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """BCE after a sigmoid: the derivative of (a − y)/n is diag(a(1 − a))/n, never
    negative: the cost is convex in z, whatever the target.

    >>> bce_sigmoid_curvature(np.array([0.0]), np.array([1.0])).tolist()
    [[0.25]]
    """
    a = sigmoid(z)
    return np.diag(a * (1.0 - a)) / len(z)


def bce_with_logits_curvature(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """BCE from the logits: the same diag(σ(z)(1 − σ(z)))/n.

    >>> bce_with_logits_curvature(np.array([0.0]), np.array([0.0])).tolist()
    [[0.25]]
    """
    return bce_sigmoid_curvature(z, y)


def cross_entropy_softmax_curvature(z: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Cross-entropy after a softmax: the derivative of p − q is diag(p) − ppᵀ (the
    softmax's Jacobian; q sums to 1), positive semi-definite: convex in z.

    >>> cross_entropy_softmax_curvature(np.array([0.0, 0.0]), np.array([1.0, 0.0])).tolist()
    [[0.25, -0.25], [-0.25, 0.25]]
    """
    return softmax_jacobian(z)


def l1_curvature(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|a − y| is linear on each side of its kink: the curvature is 0 (where it exists).

    >>> l1_curvature(np.array([3.0]), np.array([1.0])).tolist()
    [[0.0]]
    """
    return np.zeros((len(z), len(z)))


def huber_curvature(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Huber: 1/n on the diagonal where |a − y| ≤ δ (the squared part), 0 where it is linear.

    >>> huber_curvature(np.array([0.5, 3.0]), np.array([0.0, 0.0])).tolist()
    [[0.5, 0.0], [0.0, 0.0]]
    """
    a = z
    return np.diag((np.abs(a - y) <= HUBER_DELTA) / len(z))


def hinge_curvature(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    """max(0, 1 − t·s) is linear on each side of the margin: the curvature is 0.

    >>> hinge_curvature(np.array([0.5]), np.array([1.0])).tolist()
    [[0.0]]
    """
    return np.zeros((len(z), len(z)))


# Each pair's two formulas side by side, δ_L and ∂²C/∂z², as network2.py keeps a cost's
# fn and delta together.
FORMULAS = {
    **{
        ("quadratic", f): (
            partial(quadratic_delta, activation=f),
            partial(quadratic_curvature, activation=f),
        )
        for f in ELEMENTWISE_OUTPUTS
    },
    ("quadratic", "softmax"): (quadratic_softmax_delta, quadratic_softmax_curvature),
    **{
        ("mse", f): (partial(mse_delta, activation=f), partial(mse_curvature, activation=f))
        for f in SQUARED_ERROR_OUTPUTS
    },
    ("bce", "sigmoid"): (bce_sigmoid_delta, bce_sigmoid_curvature),
    ("bce_with_logits", "linear"): (bce_with_logits_delta, bce_with_logits_curvature),
    ("cross_entropy", "softmax"): (cross_entropy_softmax_delta, cross_entropy_softmax_curvature),
    ("l1", "linear"): (l1_delta, l1_curvature),
    ("huber", "linear"): (huber_delta, huber_curvature),
    ("hinge", "linear"): (hinge_delta, hinge_curvature),
}
OUTPUT_DELTAS = {pair: delta for pair, (delta, _) in FORMULAS.items()}
OUTPUT_CURVATURES = {pair: curvature for pair, (_, curvature) in FORMULAS.items()}


def supported_pairs() -> str:
    """The (loss, output activation) pairs with a hand-derived δ_L, for messages."""
    return ", ".join(f"{loss} + {activation}" for loss, activation in OUTPUT_DELTAS)


def output_delta(
    loss: str, activation: str, z: Sequence[float], y: Target, label_smoothing: float = 0.0
) -> list[float]:
    """δ_L = ∂C/∂z_L for the output pre-activations ``z`` and target ``y`` (BP1).

    ``y`` is a list of targets like ``z``; for cross-entropy a class index or a
    list of class probabilities, with ``label_smoothing`` as in the loss.

    >>> output_delta("cross_entropy", "softmax", [0.0, 0.0], 1)  # p − onehot(1)
    [0.5, -0.5]
    """
    formula = _formula("output_delta", OUTPUT_DELTAS, loss, activation)
    z = _vector("output_delta", "z", z)
    return formula(z, _target("output_delta", loss, y, len(z), label_smoothing)).tolist()


def output_curvature(
    loss: str, activation: str, z: Sequence[float], y: Target, label_smoothing: float = 0.0
) -> list[list[float]]:
    """∂²C/∂z_L², the n × n matrix of second derivatives of the cost in the output z.

    >>> output_curvature("bce", "sigmoid", [0.0, 0.0], [1.0, 0.0])  # diag(a(1 − a))/n
    [[0.125, 0.0], [0.0, 0.125]]
    """
    formula = _formula("output_curvature", OUTPUT_CURVATURES, loss, activation)
    z = _vector("output_curvature", "z", z)
    return formula(z, _target("output_curvature", loss, y, len(z), label_smoothing)).tolist()


# --- BP1 in its general form: δ_L = Jᵀ ∇_a C ----------------------------------------------

# Losses that read probabilities: the activations before them must stay inside (0, 1).
_PROBABILITY_OUTPUTS = {"bce": ("sigmoid", "softmax"), "cross_entropy": ("softmax", "sigmoid")}


def cost_gradient(
    loss: str, a: Sequence[float], y: Target, label_smoothing: float = 0.0
) -> list[float]:
    """∇_a C: the loss's derivative with respect to what it reads, the output activations
    a (the logits for ``bce_with_logits``). For cross-entropy C = −Σ q_k ln a_k.

    >>> cost_gradient("bce", [0.5], [1.0])  # −y/a + (1 − y)/(1 − a)
    [-2.0]
    """
    if loss not in _COST_GRADIENTS:
        raise ValueError(
            f"cost_gradient: unknown loss {loss!r}; choose one of {', '.join(_COST_GRADIENTS)}"
        )
    a = _vector("cost_gradient", "a", a)
    if loss in _PROBABILITY_OUTPUTS and not np.all((a > 0.0) & (a < 1.0)):
        outside = int(np.flatnonzero(~((a > 0.0) & (a < 1.0)))[0])
        raise ValueError(
            f"cost_gradient: {loss} has an infinite derivative unless every a lies strictly "
            f"inside (0, 1), got a[{outside}] = {float(a[outside])!r}"
        )
    y = _target("cost_gradient", loss, y, len(a), label_smoothing)
    return _COST_GRADIENTS[loss](a, y).tolist()


_COST_GRADIENTS = {
    "quadratic": lambda a, y: a - y,
    "mse": lambda a, y: 2.0 * (a - y) / len(a),
    "l1": lambda a, y: np.sign(a - y) / len(a),
    "huber": lambda a, y: np.clip(a - y, -HUBER_DELTA, HUBER_DELTA) / len(a),
    "hinge": lambda s, t: np.where(t * s < 1.0, -t, 0.0) / len(s),
    "bce": lambda a, y: (a - y) / (a * (1.0 - a)) / len(a),
    "bce_with_logits": lambda x, y: (sigmoid(x) - y) / len(x),
    "cross_entropy": lambda a, q: -q / a,
}


def activation_jacobian(activation: str, z: Sequence[float]) -> list[list[float]]:
    """J = ∂a/∂z as an n × n list: diag(σ'(z)) for an elementwise σ, diag(p) − ppᵀ for softmax.

    >>> activation_jacobian("softmax", [0.0, 0.0])
    [[0.25, -0.25], [-0.25, 0.25]]
    """
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation_jacobian: unknown activation {activation!r}; "
            f"choose one of {', '.join(ACTIVATIONS)}"
        )
    z = _vector("activation_jacobian", "z", z)
    return _jacobian(activation, z).tolist()


def general_output_delta(
    loss: str, activation: str, z: Sequence[float], y: Target, label_smoothing: float = 0.0
) -> list[float]:
    """δ_L = Jᵀ ∇_a C, BP1 before anything cancels, for any loss after any output
    activation whose range the loss accepts.

    >>> general_output_delta("bce", "sigmoid", [0.0], [1.0])  # ¼ · (−2): σ' kept, then cancelled
    [-0.5]
    """
    accepted = _PROBABILITY_OUTPUTS.get(loss, tuple(ACTIVATIONS))
    if activation not in accepted:
        raise ValueError(
            f"general_output_delta: {loss} reads probabilities; its output activation must be "
            f"one of {', '.join(accepted)}, got {activation!r}"
        )
    z = _vector("general_output_delta", "z", z)
    a = ACTIVATIONS[activation](z)
    nabla_a = np.array(cost_gradient(loss, a, y, label_smoothing))
    return (_jacobian(activation, z).T @ nabla_a).tolist()


def _jacobian(activation: str, z: np.ndarray) -> np.ndarray:
    return softmax_jacobian(z) if activation == "softmax" else np.diag(PRIMES[activation](z))


# --- input checking ---------------------------------------------------------------------


def _formula(caller: str, formulas: dict, loss: str, activation: str):
    formula = formulas.get((loss, activation))
    if formula is None:
        raise ValueError(
            f"{caller}: no hand-derived formula for loss {loss!r} with activation "
            f"{activation!r}; supported pairs: {supported_pairs()}"
        )
    return formula


def _vector(caller: str, argument: str, values) -> np.ndarray:
    """``values`` as a flat float array; None, text, ragged rows or a NaN are refused."""
    if values is None:
        raise TypeError(f"{caller}: {argument} is None; expected a list of numbers")
    try:
        array = np.asarray(values)
    except ValueError:
        raise ValueError(f"{caller}: {argument} must be a flat list of numbers, got {values!r}")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{caller}: {argument} must hold numbers, got {values!r}")
    if array.ndim > 1:
        raise ValueError(f"{caller}: {argument} must be a flat list of numbers, got {values!r}")
    array = array.astype(float).ravel()
    if not array.size:
        raise ValueError(f"{caller}: {argument} is empty; needs at least one number")
    nan = np.flatnonzero(np.isnan(array))
    if nan.size:
        raise ValueError(f"{caller}: {argument}[{nan[0]}] is nan")
    return array


def _target(caller: str, loss: str, y, n: int, label_smoothing: float) -> np.ndarray:
    """y as the array the formulas read: for cross-entropy the distribution q."""
    if label_smoothing != 0.0 and loss != "cross_entropy":
        raise ValueError(f"{caller}: label_smoothing applies to cross_entropy only, not {loss}")
    if loss == "cross_entropy":
        return _class_distribution(caller, y, n, label_smoothing)
    y = _vector(caller, "y", y)
    if len(y) != n:
        raise ValueError(f"{caller}: {n} outputs z but {len(y)} targets y")
    if loss in ("bce", "bce_with_logits"):
        outside = np.flatnonzero(~((y >= 0.0) & (y <= 1.0)))
        if outside.size:
            i = int(outside[0])
            raise ValueError(
                f"{caller}: a {loss} target must lie in [0, 1], got y[{i}] = {float(y[i])!r}"
            )
    if loss == "hinge":
        outside = np.flatnonzero(np.abs(y) != 1.0)
        if outside.size:
            i = int(outside[0])
            raise ValueError(
                f"{caller}: a hinge target must be -1 or +1, got y[{i}] = {float(y[i])!r}"
            )
    return y


def _class_distribution(caller: str, y, n: int, label_smoothing: float) -> np.ndarray:
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, Real):
        raise TypeError(f"{caller}: label_smoothing must be a number, got {label_smoothing!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{caller}: label_smoothing must lie in [0, 1], got {label_smoothing!r}")
    if isinstance(y, Real) or (isinstance(y, np.ndarray) and y.ndim == 0):
        # 1.0 is class 1, as losses.cross_entropy reads it; 1.5 is no class
        if not float(y).is_integer() or not 0 <= y < n:
            raise ValueError(
                f"{caller}: cross_entropy needs a class index in 0..{n - 1}, got {y!r}"
            )
        q = np.zeros(n)
        q[int(y)] = 1.0
    else:
        q = _vector(caller, "y", y)
        if len(q) != n or np.any(q < 0.0) or not abs(q.sum() - 1.0) <= 1e-6:
            raise ValueError(
                f"{caller}: cross_entropy needs a class index or {n} class probabilities "
                f"summing to 1 as y, got {y!r}"
            )
    return (1.0 - label_smoothing) * q + label_smoothing / n


# --- BP2–BP4: the recursion through the hidden layers -------------------------------------


@dataclass
class Gradients:
    """What ``backprop`` returns, in layer order (input side first)."""

    deltas: list[np.ndarray]  # δ_l, shape (n_l,), or (m, n_l) for a batch of m
    grad_weights: list[np.ndarray]  # ∂C/∂W_l, shape (n_l, n_{l−1})
    grad_biases: list[np.ndarray]  # ∂C/∂b_l, shape (n_l,)


def backprop(
    weights: Sequence[ArrayLike],
    biases: Sequence[ArrayLike],
    x: ArrayLike,
    y: Union[Target, Sequence[Target]],
    loss: str,
    activations: Sequence[str],
    label_smoothing: float = 0.0,
) -> Gradients:
    """Every δ_l, ∂C/∂W_l and ∂C/∂b_l of an input ``x`` with target ``y``.

    δ_L = output_delta(loss, ...)              (BP1)
    δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ'(z_l)         (BP2)
    ∂C/∂b_l = δ_l,  ∂C/∂W_l = δ_l a_{l−1}ᵀ     (BP3, BP4)

    ``weights[l]`` has one row per neuron of layer l; arrays may be nested lists.
    A batch is ``x`` of shape (m, n_0) with one target per sample in ``y``: the
    cost is the mean of the samples' costs, so each row of δ_l carries the 1/m
    of vectorised code (``d_Z2 = (A2 − Y)/m``) and the gradients are summed.

    >>> g = backprop([[[1.0]]], [[0.0]], [2.0], [0.0], "mse", ["linear"])
    >>> g.deltas[0].tolist(), g.grad_weights[0].tolist()  # 2(a − y) = 4, times a_0 = 2
    ([4.0], [[8.0]])
    >>> g = backprop([[[1.0]]], [[0.0]], [[2.0], [1.0]], [[0.0], [0.0]], "mse", ["linear"])
    >>> g.deltas[0].tolist(), g.grad_weights[0].tolist()  # rows 2(a − y)/2; 2·2 + 1·1
    ([[2.0], [1.0]], [[5.0]])
    """
    weights = [_layer_array("weights", l, w) for l, w in enumerate(weights)]
    biases = [_layer_array("biases", l, b).ravel() for l, b in enumerate(biases)]
    x = _layer_array("x", 0, x)
    batch = x.ndim == 2
    a = x if batch else x.reshape(1, -1)  # one row per sample
    m = len(a)
    targets = _batch_targets(y, m) if batch else [y]
    _check_network(weights, biases, a.shape[1], activations)

    # BP1 and BP2 read every z_l and BP4 every a_(l−1), so all are kept (x is a_1);
    # with a row per sample, z_l = a_(l−1) W_lᵀ + b_l
    zs, outputs = [], [a]
    for w, b, name in zip(weights, biases, activations):
        z = outputs[-1] @ w.T + b
        zs.append(z)
        outputs.append(ACTIVATIONS[name](z))

    num_layers = len(weights)
    nabla_b, nabla_w, deltas = [None] * num_layers, [None] * num_layers, [None] * num_layers
    # BP1 per sample; the cost is the mean over the batch, so each row carries 1/m
    output_deltas = [
        output_delta(loss, activations[-1], z, t, label_smoothing) for z, t in zip(zs[-1], targets)
    ]
    delta = np.array(output_deltas) / m
    deltas[-1], nabla_b[-1], nabla_w[-1] = delta, delta.sum(0), delta.T @ outputs[-2]  # BP3, 4
    # l counts back from the output, as in Nielsen's network.py: l = 2 is the last hidden layer
    for l in range(2, num_layers + 1):
        # BP2 with a row per sample: (W_{l+1}ᵀ δ)ᵀ = δᵀ W_{l+1}
        delta = (delta @ weights[-l + 1]) * PRIMES[activations[-l]](zs[-l])
        deltas[-l], nabla_b[-l], nabla_w[-l] = delta, delta.sum(0), delta.T @ outputs[-l - 1]
    if not batch:
        deltas = [d[0] for d in deltas]
    return Gradients(deltas=deltas, grad_weights=nabla_w, grad_biases=nabla_b)


def _layer_array(what: str, l: int, value) -> np.ndarray:
    place = "" if what == "x" else f" of layer {l}"
    if value is None:
        raise TypeError(f"backprop: {what}{place} is None; expected an array of numbers")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        array = None
    if array is None or array.ndim > 2:
        raise ValueError(
            f"backprop: the {what}{place} are not a rectangular array of numbers "
            f"(rows of different lengths?), got {value!r}"
        )
    if np.isnan(array).any():
        raise ValueError(f"backprop: the {what}{place} contain a NaN: {value!r}")
    return array


def _batch_targets(y, m: int) -> list:
    if y is None or isinstance(y, (Real, str)) or len(y) != m:
        raise ValueError(f"backprop: a batch of {m} samples x needs {m} targets y, got {y!r}")
    return list(y)


def _check_network(weights, biases, inputs: int, activations) -> None:
    if isinstance(activations, str):  # a str is a sequence too: of one-letter "names"
        raise TypeError(
            f"backprop: activations must be a list of names, one per layer, got {activations!r}"
        )
    if not len(weights) == len(biases) == len(activations) > 0:
        raise ValueError(
            f"backprop: needs one weight matrix, bias vector and activation per layer, got "
            f"{len(weights)}, {len(biases)} and {len(activations)}"
        )
    for l, (w, b, name) in enumerate(zip(weights, biases, activations)):
        if w.ndim != 2 or w.shape[1] != inputs or b.shape != (w.shape[0],):
            source = "x" if l == 0 else f"layer {l - 1}"
            raise ValueError(
                f"backprop: layer {l} has weights of shape {w.shape} and {len(b)} biases, "
                f"reading the {inputs} values of {source}; weights[{l}] must be n_l × "
                f"{inputs} (one row per neuron) and biases[{l}] hold n_l"
            )
        is_output = l == len(weights) - 1
        if name not in (ACTIVATIONS if is_output else PRIMES):
            raise ValueError(
                f"backprop: activation {name!r} is not available for layer {l}; "
                f"hidden layers take {', '.join(PRIMES)}, the output also softmax"
            )
        inputs = w.shape[0]


# --- the tutorial form ---------------------------------------------------------------------


def transfer_derivative(output: np.ndarray) -> np.ndarray:
    """σ'(z) written through the neuron's output a = σ(z): a(1 − a).

    >>> transfer_derivative(0.5)
    0.25
    """
    return output * (1.0 - output)


def tutorial_output_error(expected: Sequence[float], output: Sequence[float]) -> list[float]:
    """The output error from-scratch tutorials compute for a sigmoid network:

        error = (expected − output) · transfer_derivative(output)

    It is −δ_L of the quadratic cost C = ½ Σ (a − y)²: (y − a)·σ'(z). The loss is
    hidden in it (the quadratic one), and the sign is flipped because such
    tutorials then update with w += η·error·input, which is w −= η·∂C/∂w.
    With cross-entropy the σ'(z) factor would cancel and leave y − a. In their
    vectorised form over a batch of m the mean cost puts a 1/m in this error
    (``d_Z2 = (A2 − Y)/m``): ``backprop`` with a batch does the same.

    >>> tutorial_output_error([1.0], [0.5])  # (1 − 0.5) · 0.5 · 0.5
    [0.125]
    """
    expected = _vector("tutorial_output_error", "expected", expected)
    output = _vector("tutorial_output_error", "output", output)
    if len(expected) != len(output):
        raise ValueError(
            f"tutorial_output_error: {len(expected)} expected values but {len(output)} outputs"
        )
    return ((expected - output) * transfer_derivative(output)).tolist()
