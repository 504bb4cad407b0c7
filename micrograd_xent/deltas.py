"""The hand-derived deltas: backpropagation as the textbook writes it, no autograd.

In Nielsen's notation (Neural Networks and Deep Learning, chapter 2) layer l
has weighted inputs z_l = W_l a_{l−1} + b_l, activations a_l = σ(z_l), and
error δ_l = ∂C/∂z_l. Four equations give every gradient:

    BP1  δ_L = ∂C/∂a_L ⊙ σ'(z_L)            the output layer: the loss is here
    BP2  δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ'(z_l)  every hidden layer, whatever the loss
    BP3  ∂C/∂b_l = δ_l
    BP4  ∂C/∂W_l = δ_l a_{l−1}ᵀ

The loss enters only through BP1, so each (loss, output activation) pair has
its own closed-form δ_L below. Nothing here imports the engine: ``compare``
sets these formulas beside ``backward()`` on the forward-only losses.

>>> output_delta("bce", "sigmoid", [0.0], [1.0])  # (σ(0) − 1)/1
[-0.5]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from numbers import Real
from typing import Sequence

import numpy as np

# --- activations σ and their derivatives σ' ----------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1/(1 + e^−z), written as ½(1 + tanh(z/2)) so no exp can overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """σ'(z) = σ(z)(1 − σ(z)), at most ¼: the factor that slows a saturated neuron."""
    a = sigmoid(z)
    return a * (1.0 - a)


def tanh_prime(z: np.ndarray) -> np.ndarray:
    """tanh'(z) = 1 − tanh²(z)."""
    return 1.0 - np.tanh(z) ** 2


def linear(z: np.ndarray) -> np.ndarray:
    return z


def linear_prime(z: np.ndarray) -> np.ndarray:
    return np.ones_like(z)


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


def relu_prime(z: np.ndarray) -> np.ndarray:
    """ReLU'(z) = 1 where z > 0, else 0 (at the kink z = 0 autograd also takes 0)."""
    return (z > 0.0).astype(float)


def softmax(z: np.ndarray) -> np.ndarray:
    """pᵢ = e^zᵢ / Σⱼ e^zⱼ, with max z subtracted first (the ratio is unchanged)."""
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


ACTIVATIONS = {
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "linear": linear,
    "relu": relu,
    "softmax": softmax,
}

# Softmax has no entry: its derivative is a Jacobian, not an elementwise σ'(z),
# so it only appears at the output, inside the cross-entropy delta.
PRIMES = {"sigmoid": sigmoid_prime, "tanh": tanh_prime, "linear": linear_prime, "relu": relu_prime}

# Outputs a squared-error cost is paired with; ReLU (micrograd's hidden default)
# is offered for hidden layers only.
SQUARED_ERROR_OUTPUTS = ("sigmoid", "tanh", "linear")


# --- BP1: the output delta δ_L = ∂C/∂z_L, one formula per loss ----------------


def quadratic_delta(z: np.ndarray, y: np.ndarray, activation: str) -> np.ndarray:
    """Quadratic cost C = ½ Σ (a − y)²:  δ_L = (a − y) ⊙ σ'(z).

    >>> quadratic_delta(np.array([3.0]), np.array([1.0]), "linear").tolist()  # (3 − 1)·1
    [2.0]
    """
    a = ACTIVATIONS[activation](z)
    return (a - y) * PRIMES[activation](z)


def mse_delta(z: np.ndarray, y: np.ndarray, activation: str) -> np.ndarray:
    """Mean squared error C = (1/n) Σ (a − y)²:  δ_L = (2/n)(a − y) ⊙ σ'(z).

    >>> mse_delta(np.array([3.0, 1.0]), np.array([1.0, 1.0]), "linear").tolist()  # (2/2)(a − y)
    [2.0, 0.0]
    """
    n = len(z)
    return (2.0 / n) * quadratic_delta(z, y, activation)


def bce_sigmoid_delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """BCE C = −(1/n) Σ [y ln a + (1−y) ln(1−a)] with a = σ(z):  δ_L = (a − y)/n.

    ∂C/∂a = (a − y) / (n·a(1 − a)) and σ'(z) = a(1 − a): the σ'(z) cancels.

    >>> bce_sigmoid_delta(np.array([0.0, 0.0]), np.array([1.0, 0.0])).tolist()  # (½ − y)/2
    [-0.25, 0.25]
    """
    a = sigmoid(z)
    return (a - y) / len(z)


def cross_entropy_softmax_delta(z: np.ndarray, y: int) -> np.ndarray:
    """Cross-entropy C = −ln p_y with p = softmax(z), y a class index:  δ_L = p − onehot(y).

    >>> cross_entropy_softmax_delta(np.array([0.0, 0.0]), 0).tolist()  # [½ − 1, ½]
    [-0.5, 0.5]
    """
    p = softmax(z)
    onehot = np.zeros_like(z)
    onehot[y] = 1.0
    return p - onehot


OUTPUT_DELTAS = {
    **{("quadratic", f): partial(quadratic_delta, activation=f) for f in SQUARED_ERROR_OUTPUTS},
    **{("mse", f): partial(mse_delta, activation=f) for f in SQUARED_ERROR_OUTPUTS},
    ("bce", "sigmoid"): bce_sigmoid_delta,
    ("cross_entropy", "softmax"): cross_entropy_softmax_delta,
}


def supported_pairs() -> str:
    """The (loss, output activation) pairs with a hand-derived δ_L, for messages."""
    return ", ".join(f"{loss} + {activation}" for loss, activation in OUTPUT_DELTAS)


def output_delta(loss: str, activation: str, z: Sequence[float], y) -> list[float]:
    """δ_L = ∂C/∂z_L for the output pre-activations ``z`` and target ``y`` (BP1).

    ``y`` is a list of targets like ``z``, or a class index for cross-entropy.

    >>> output_delta("cross_entropy", "softmax", [0.0, 0.0], 1)  # p − onehot(1)
    [0.5, -0.5]
    """
    formula = OUTPUT_DELTAS.get((loss, activation))
    if formula is None:
        raise ValueError(
            f"output_delta: no hand-derived delta for loss {loss!r} with activation "
            f"{activation!r}; supported pairs: {supported_pairs()}"
        )
    z = np.asarray(z, dtype=float).ravel()
    if not len(z):
        raise ValueError("output_delta: needs at least one output, got an empty z")
    return np.asarray(formula(z, _target(loss, y, len(z))), dtype=float).tolist()


def _target(loss: str, y, n: int):
    if loss == "cross_entropy":
        # 1.0 is class 1, as losses.cross_entropy reads it; 1.5 is no class
        if not isinstance(y, Real) or not float(y).is_integer() or not 0 <= y < n:
            raise ValueError(
                f"output_delta: cross_entropy needs a class index in 0..{n - 1}, got {y!r}"
            )
        return int(y)
    y = np.asarray(y, dtype=float).ravel()
    if len(y) != n:
        raise ValueError(f"output_delta: {n} outputs z but {len(y)} targets y")
    if loss == "bce":
        outside = y[~((y >= 0.0) & (y <= 1.0))]
        if outside.size:
            raise ValueError(
                f"output_delta: a bce target must lie in [0, 1], got {float(outside[0])!r}"
            )
    return y


# --- BP2–BP4: the recursion through the hidden layers -------------------------


@dataclass
class Gradients:
    """What ``backprop`` returns, in layer order (input side first)."""

    deltas: list[np.ndarray]  # δ_l, shape (n_l,)
    grad_weights: list[np.ndarray]  # ∂C/∂W_l, shape (n_l, n_{l−1})
    grad_biases: list[np.ndarray]  # ∂C/∂b_l, shape (n_l,)


def backprop(weights, biases, x, y, loss: str, activations: Sequence[str]) -> Gradients:
    """Every δ_l, ∂C/∂W_l and ∂C/∂b_l of one input ``x`` with target ``y``.

    δ_L = output_delta(loss, ...)              (BP1)
    δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ'(z_l)         (BP2)
    ∂C/∂b_l = δ_l,  ∂C/∂W_l = δ_l a_{l−1}ᵀ     (BP3, BP4)

    ``weights[l]`` has one row per neuron of layer l; arrays may be nested lists.

    >>> g = backprop([[[1.0]]], [[0.0]], [2.0], [0.0], "mse", ["linear"])
    >>> g.deltas[0].tolist(), g.grad_weights[0].tolist()  # 2(a − y) = 4, times a_0 = 2
    ([4.0], [[8.0]])
    """
    weights = [_layer_array("weights", l, w) for l, w in enumerate(weights)]
    biases = [_layer_array("biases", l, b).ravel() for l, b in enumerate(biases)]
    x = np.asarray(x, dtype=float).ravel()
    _check_network(weights, biases, x, activations)

    # BP1 and BP2 read every z_l and BP4 every a_(l−1), so all are kept (x is a_1)
    zs, outputs = [], [x]
    for w, b, name in zip(weights, biases, activations):
        z = w @ outputs[-1] + b
        zs.append(z)
        outputs.append(ACTIVATIONS[name](z))

    num_layers = len(weights)
    nabla_b, nabla_w = [None] * num_layers, [None] * num_layers
    delta = np.array(output_delta(loss, activations[-1], zs[-1], y))  # BP1
    nabla_b[-1], nabla_w[-1] = delta, np.outer(delta, outputs[-2])  # BP3, BP4
    # l counts back from the output, as in Nielsen's network.py: l = 2 is the last hidden layer
    for l in range(2, num_layers + 1):
        delta = (weights[-l + 1].T @ delta) * PRIMES[activations[-l]](zs[-l])  # BP2
        nabla_b[-l], nabla_w[-l] = delta, np.outer(delta, outputs[-l - 1])  # BP3, BP4
    # BP3 makes ∂C/∂b_l equal to δ_l, but as separate arrays: a caller may change one
    return Gradients(deltas=nabla_b, grad_weights=nabla_w, grad_biases=[d.copy() for d in nabla_b])


def _layer_array(what: str, l: int, value) -> np.ndarray:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"backprop: the {what} of layer {l} are not a rectangular array of numbers "
            f"(rows of different lengths?), got {value!r}"
        ) from None


def _check_network(weights, biases, x, activations) -> None:
    if isinstance(activations, str):  # a str is a sequence too: of one-letter "names"
        raise TypeError(
            f"backprop: activations must be a list of names, one per layer, got {activations!r}"
        )
    if not len(weights) == len(biases) == len(activations) > 0:
        raise ValueError(
            f"backprop: needs one weight matrix, bias vector and activation per layer, got "
            f"{len(weights)}, {len(biases)} and {len(activations)}"
        )
    inputs = len(x)
    for l, (w, b, name) in enumerate(zip(weights, biases, activations)):
        if w.ndim != 2 or w.shape[1] != inputs or b.shape != (w.shape[0],):
            raise ValueError(
                f"backprop: layer {l} has weights of shape {w.shape} and {len(b)} biases, "
                f"but it reads {inputs} inputs (weights[l] is n_l × n_(l−1), one row per neuron)"
            )
        is_output = l == len(weights) - 1
        if name not in (ACTIVATIONS if is_output else PRIMES):
            raise ValueError(
                f"backprop: activation {name!r} is not available for layer {l}; "
                f"hidden layers take {', '.join(PRIMES)}, the output also softmax"
            )
        inputs = w.shape[0]


# --- the tutorial form ---------------------------------------------------------


def transfer_derivative(output):
    """σ'(z) written through the neuron's output a = σ(z): a(1 − a)."""
    return output * (1.0 - output)


def tutorial_output_error(expected: Sequence[float], output: Sequence[float]) -> list[float]:
    """The output error from-scratch tutorials compute for a sigmoid network:

        error = (expected − output) · transfer_derivative(output)

    It is −δ_L of the quadratic cost C = ½ Σ (a − y)²: (y − a)·σ'(z). The loss is
    hidden in it (the quadratic one), and the sign is flipped because such
    tutorials then update with w += η·error·input, which is w −= η·∂C/∂w.
    With cross-entropy the σ'(z) factor would cancel and leave y − a.

    >>> tutorial_output_error([1.0], [0.5])  # (1 − 0.5) · 0.5 · 0.5
    [0.125]
    """
    expected = np.asarray(expected, dtype=float)
    output = np.asarray(output, dtype=float)
    return ((expected - output) * transfer_derivative(output)).tolist()
