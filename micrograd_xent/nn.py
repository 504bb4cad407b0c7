"""Neurons, layers and MLPs built from ``Value``s, compatible with micrograd's.

``MLP(nin, nouts)`` with no options is micrograd's network: ReLU hidden
layers, a linear output layer, weights uniform in [−1, 1], biases 0. Each
layer may instead name its activation: "relu", "tanh", "sigmoid" or "linear".

>>> model = MLP(2, [3, 1], seed=0)
>>> len(model.parameters())
13
>>> out = model([1.0, -2.0])
>>> type(out).__name__
'Value'
"""

from __future__ import annotations

import random
from numbers import Real
from typing import Callable, Optional, Sequence, Union

from .engine import Value

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
_REPR_NAMES = {
    "relu": "ReLU",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "linear": "Linear",
}  # micrograd's

Inputs = Sequence[Union[Value, int, float]]


def activation_function(name: str) -> Callable[[Value], Value]:
    """The ``Value`` method an activation's name stands for ("linear": z itself).

    Softmax is no elementwise function of one z: ``losses.softmax`` takes them all.

    >>> activation_function("tanh")(Value(0.0)).data, activation_function("linear")(Value(2.0)).data
    (0.0, 2.0)
    """
    if name == "linear":
        return _identity
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return getattr(Value, name)


def weighted_input(weights: Inputs, bias: Union[Value, float], inputs: Inputs) -> Value:
    """z = Σ wᵢxᵢ + b, the one forward step every neuron of a fully connected layer takes.

    Σ wᵢxᵢ is one "dot" node: a neuron is 3 nodes (dot, + b, activation), not 2n + 2.

    >>> weighted_input([Value(2.0), Value(-1.0)], Value(0.5), [3.0, 4.0]).data
    2.5
    """
    return Value.dot(weights, inputs) + bias


def _identity(z: Value) -> Value:
    return z


class Module:
    """What every model part has: its parameters, and a way to zero their grads."""

    def parameters(self) -> list[Value]:
        """Every trainable Value, weights before the bias in each neuron."""
        return []

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0 before the next ``backward()``."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """activation(Σ wᵢxᵢ + b) for ``nin`` inputs.

    ``nonlin`` is micrograd's flag (True: ReLU, False: linear) and may also be
    an activation's name; ``activation`` names one and wins when both are given.

    >>> n = Neuron(2, activation="tanh", rng=random.Random(0))
    >>> n, len(n.parameters()), type(n([1.0, 2.0])).__name__
    (TanhNeuron(2), 3, 'Value')
    """

    def __init__(
        self,
        nin: int,
        nonlin: Union[bool, str] = True,
        *,
        activation: Optional[str] = None,
        rng: Optional[random.Random] = None,
    ) -> None:
        rng = rng or random
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = _activation_name(activation, nonlin)

    def __call__(self, x: Inputs) -> Value:
        if isinstance(x, (Value, Real)):  # one input needs no list around it
            x = [x]
        if not hasattr(x, "__len__") or isinstance(x, str):
            raise TypeError(
                f"Neuron: expected a list of {len(self.w)} inputs, got {type(x).__name__} {x!r}"
            )
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        return activation_function(self.activation)(weighted_input(self.w, self.b, x))

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{_REPR_NAMES[self.activation]}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs; a single Value when ``nout`` is 1.

    >>> layer = Layer(2, 3, activation="sigmoid", rng=random.Random(0))
    >>> len(layer([1.0, 2.0])), len(layer.parameters())
    (3, 9)
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        nonlin: Union[bool, str] = True,
        *,
        activation: Optional[str] = None,
        rng: Optional[random.Random] = None,
    ) -> None:
        self.neurons = [Neuron(nin, nonlin, activation=activation, rng=rng) for _ in range(nout)]

    def __call__(self, x: Inputs) -> Union[Value, list[Value]]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A fully connected network: ``MLP(2, [16, 16, 1])`` has layers 2→16→16→1.

    ``seed`` makes the initial weights reproducible without touching the
    global ``random`` state (which is used when ``seed`` is None, as micrograd does).
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        *,
        seed: Optional[int] = None,
    ) -> None:
        if isinstance(nouts, (str, Real)) or not hasattr(nouts, "__iter__"):
            raise TypeError(
                f"MLP: nouts must be a list of layer sizes, like [16, 1], got {nouts!r}"
            )
        rng = random.Random(seed) if seed is not None else None
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation=output_activation if i == last else activation,
                rng=rng,
            )
            for i in range(len(nouts))
        ]

    def __call__(self, x: Inputs) -> Union[Value, list[Value]]:
        for layer in self.layers:
            x = layer(x)
            x = [x] if isinstance(x, Value) else x
        return x[0] if len(x) == 1 else x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


class SGD:
    """Plain gradient descent, p ← p − η·∂L/∂p, shaped like ``torch.optim.SGD``.

    >>> w = Value(1.0); opt = SGD([w], lr=0.1)
    >>> (w * w).backward(); opt.step(); w.data
    0.8
    """

    def __init__(self, parameters: Sequence[Value], lr: float) -> None:
        self.parameters = list(parameters)
        self.lr = lr

    def step(self) -> None:
        """Move each parameter against its gradient."""
        for p in self.parameters:
            p.data -= self.lr * p.grad

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0, as ``Module.zero_grad`` does."""
        for p in self.parameters:
            p.grad = 0.0


def _activation_name(activation: Optional[str], nonlin: Union[bool, str]) -> str:
    if activation is None and isinstance(nonlin, str):
        activation = nonlin  # Neuron(3, "tanh"): a name where micrograd's flag goes
    if activation is None:
        return "relu" if nonlin else "linear"
    activation_function(activation)  # an unknown name fails here, at construction
    return activation
