"""The scalar autograd engine: a ``Value`` node and reverse-mode ``backward()``.

Every operation computes, in the forward pass, its result and the local
derivatives ∂out/∂parent as plain floats and stores them on the result node.
``backward()`` is then one loop over the graph in reverse topological order:
``parent.grad += local * node.grad``. No closures are stored, so no node refers
back to itself and a dropped graph is freed at once by reference counting.

A plain number on either side of an operator is folded into the local
derivative instead of becoming a node of its own: ``x * 3`` has the single
parent ``x`` with local derivative 3.0.

>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad  # d(x² + 3x)/dx = 2x + 3
7.0
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Iterable, Union

Number = Union[int, float]
Operand = Union["Value", int, float]

# Local derivatives that many nodes share: one tuple for all of them.
_ZERO = (0.0,)
_ONE = (1.0,)
_PLUS = (1.0, 1.0)
_MINUS = (1.0, -1.0)
_NEG = (-1.0,)

# What counts as a plain number. float and int come first: isinstance finds
# them in nanoseconds, where the check against the Real ABC takes hundreds.
_REAL = (float, int, Real)


class Value:
    """A scalar in a computation graph: its data, its grad, and how it was made.

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = (a * b).tanh()
    >>> c.backward()
    >>> round(a.grad, 6), round(b.grad, 6)
    (-7.4e-05, 4.9e-05)
    """

    __slots__ = ("data", "grad", "label", "_prev", "_local", "_op")

    def __init__(self, data: Number, label: str = "") -> None:
        if not isinstance(data, _REAL):
            raise TypeError(f"Value() needs a real number, got {type(data).__name__} {data!r}")
        try:
            self.data = float(data)
        except OverflowError:
            raise OverflowError(
                f"Value(): the {type(data).__name__} given is larger than the largest float"
            ) from None
        self.grad = 0.0
        self.label = "" if label is None else str(label)
        self._prev: tuple[Value, ...] = ()
        self._local: tuple[float, ...] = ()
        self._op = ""

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # --- arithmetic: each op gives its value and its local derivatives -------

    def __add__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return _result(self.data + other.data, (self, other), _PLUS, "+")
        if isinstance(other, _REAL):
            return _result(self.data + float(other), (self,), _ONE, "+")
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return _result(self.data - other.data, (self, other), _MINUS, "-")
        if isinstance(other, _REAL):
            return _result(self.data - float(other), (self,), _ONE, "-")
        return NotImplemented

    def __rsub__(self, other: Number) -> Value:
        if isinstance(other, _REAL):
            return _result(float(other) - self.data, (self,), _NEG, "-")
        return NotImplemented

    def __neg__(self) -> Value:
        return _result(-self.data, (self,), _NEG, "neg")

    def __mul__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return _result(self.data * other.data, (self, other), (other.data, self.data), "*")
        if isinstance(other, _REAL):
            other = float(other)
            return _result(self.data * other, (self,), (other,), "*")
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            b = other.data
            if b == 0.0:
                raise ZeroDivisionError(f"/: division by zero: divisor is {_name(other)}")
            out = self.data / b
            return _result(out, (self, other), (1.0 / b, -out / b), "/")
        if isinstance(other, _REAL):
            if other == 0:
                raise ZeroDivisionError(f"/: division of {_name(self)} by the number 0")
            other = float(other)
            return _result(self.data / other, (self,), (1.0 / other,), "/")
        return NotImplemented

    def __rtruediv__(self, other: Number) -> Value:
        if isinstance(other, _REAL):
            b = self.data
            if b == 0.0:
                raise ZeroDivisionError(f"/: division by zero: divisor is {_name(self)}")
            out = float(other) / b
            return _result(out, (self,), (-out / b,), "/")
        return NotImplemented

    def __pow__(self, exponent: Operand) -> Value:
        if isinstance(exponent, Value):
            return self._power(exponent.data, exponent)
        if isinstance(exponent, _REAL):
            return self._power(float(exponent), None)
        return NotImplemented

    def __rpow__(self, base: Number) -> Value:
        if not isinstance(base, _REAL):
            return NotImplemented
        # c ** x: the number c is folded like any other, leaving x the one parent
        power = Value(base)._power(self.data, self)
        return _result(power.data, (self,), power._local[1:], f"{float(base):g}**")

    def _power(self, p: float, exponent: Value | None) -> Value:
        """x^p with ∂/∂x = p·x^(p−1); a Value exponent also gets ∂/∂p = x^p·ln x."""
        base = self.data
        if base < 0.0 and exponent is not None:
            raise ValueError(
                f"**: negative base {_name(self)} to the Value exponent {_name(exponent)}: "
                "the derivative with respect to the exponent is not real"
            )
        if base < 0.0 and not p.is_integer():
            raise ValueError(f"**: negative base {_name(self)} to the non-integer power {p:g}")
        if base == 0.0 and p < 0.0:
            raise ZeroDivisionError(f"**: zero base {_name(self)} to the negative power {p:g}")
        try:
            out = base**p
            if base != 0.0 or p >= 1.0:
                d_base = p * base ** (p - 1.0)
            else:  # float ** raises for 0 to a negative power; the slope is 0 or inf
                d_base = 0.0 if p == 0.0 else math.inf
        except OverflowError:
            power = f"{p:g}" if exponent is None else _name(exponent)
            raise OverflowError(
                f"**: overflow: {_name(self)} to the power {power} is larger than the largest float"
            ) from None
        if exponent is None:
            return _result(out, (self,), (d_base,), f"**{p:g}")
        d_exponent = out * math.log(base) if base > 0.0 else 0.0  # 0^p·ln 0 → 0, as PyTorch
        return _result(out, (self, exponent), (d_base, d_exponent), "**")

    # --- functions -----------------------------------------------------------

    def exp(self) -> Value:
        """eˣ, whose slope is itself."""
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"exp: overflow: exp({_name(self)}) is larger than the largest float"
            ) from None
        return _result(out, (self,), (out,), "exp")

    def log(self) -> Value:
        """ln x for x > 0, with slope 1/x."""
        x = self.data
        if not x > 0.0:
            raise ValueError(f"log: needs a positive value, got {_name(self)}")
        return _result(math.log(x), (self,), (1.0 / x,), "log")

    def tanh(self) -> Value:
        """tanh x, with slope 1 − tanh²x."""
        t = math.tanh(self.data)  # saturates to ±1 without overflow
        return _result(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1 + e⁻ˣ), with slope σ(x)(1 − σ(x))."""
        x = self.data
        # exp of a negative number only, so no overflow for any finite x
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _result(s, (self,), (s * (1.0 - s),), "sigmoid")

    def relu(self) -> Value:
        """max(x, 0), with slope 1 for x > 0 and 0 otherwise (0 at the kink, as PyTorch)."""
        x = self.data
        if x > 0.0 or x != x:  # NaN stays NaN instead of becoming a silent 0
            return _result(x, (self,), _ONE, "relu")
        return _result(0.0, (self,), _ZERO, "relu")

    @staticmethod
    def sum(terms: Iterable[Operand]) -> Value:
        """One "+" node for a whole sum, so Σ wᵢxᵢ + b costs one node, not n.

        >>> Value.sum([Value(1.0), Value(2.0), 3]).data
        6.0
        """
        parents, constant = [], 0.0
        for term in terms:
            if isinstance(term, Value):
                parents.append(term)
            elif isinstance(term, _REAL):
                constant += float(term)
            else:
                raise TypeError(f"Value.sum: cannot add {type(term).__name__} {term!r}")
        data = constant
        for parent in parents:
            data += parent.data
        return _result(data, tuple(parents), (1.0,) * len(parents), "+")

    @staticmethod
    def dot(weights: Iterable[Operand], inputs: Iterable[Operand]) -> Value:
        """Σ wᵢxᵢ as one node, with ∂/∂wᵢ = xᵢ and ∂/∂xᵢ = wᵢ: a neuron's weighted
        sum costs one node instead of n products and a sum.

        >>> w, x = [Value(2.0), Value(-1.0)], [3.0, Value(4.0)]
        >>> z = Value.dot(w, x); z.backward()
        >>> z.data, w[0].grad, x[1].grad
        (2.0, 3.0, -1.0)
        """
        weights, inputs = list(weights), list(inputs)
        if len(weights) != len(inputs):
            raise ValueError(f"Value.dot: {len(weights)} weights but {len(inputs)} inputs")
        parents, local, data = [], [], 0.0
        for w, x in zip(weights, inputs):
            w_data, x_data = _number("Value.dot", w), _number("Value.dot", x)
            data += w_data * x_data
            if isinstance(w, Value):
                parents.append(w)
                local.append(x_data)
            if isinstance(x, Value):
                parents.append(x)
                local.append(w_data)
        return _result(data, tuple(parents), tuple(local), "dot")

    # --- reverse mode ---------------------------------------------------------

    def backward(self) -> None:
        """Set this node's grad to 1 and add ∂self/∂leaf to every leaf's grad.

        Leaves accumulate across calls, as in PyTorch; every interior node is
        reset first, so it holds ∂self/∂node of this pass only.
        """
        order = self._topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            grad, local = node.grad, node._local
            i = 0  # a plain counter: zip() or enumerate() here take 1.5–2× as long
            for parent in node._prev:
                parent.grad += local[i] * grad
                i += 1

    def _topological_order(self) -> list[Value]:
        """Interior nodes, parents before children, found without recursion so
        that graphs of any depth work. Leaves their grads as None: the caller
        resets them, as ``backward()`` does next.

        A depth-first search on an explicit stack of nodes (a stack of iterators
        made the cyclic collector rescan deep graphs): a node goes back on the
        stack under a ``None`` marker, and when the marker comes up again all of
        its parents are in ``order``. A visited node is marked by grad = None
        rather than kept in a set: at a million nodes the set's lookups,
        scattered over memory, cost as much as all the rest of the pass.
        """
        order: list[Value] = []
        stack: list[Value | None] = [self] if self._prev else []
        while stack:
            node = stack.pop()
            if node is None:
                order.append(stack.pop())
            elif node.grad is not None:
                node.grad = None
                stack.append(node)
                stack.append(None)
                for parent in node._prev:
                    if parent._prev and parent.grad is not None:
                        stack.append(parent)
        return order


def _result(data: float, prev: tuple, local: tuple, op: str) -> Value:
    """A new node made by an operation: no input validation, it is ours."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._prev = prev
    out._local = local
    out._op = op
    return out


_new_value = object.__new__


def _number(op: str, x: Operand) -> float:
    """The float in a Value or a plain number; anything else is a TypeError."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, _REAL):
        return float(x)
    raise TypeError(f"{op}: expected Values or numbers, got {type(x).__name__} {x!r}")


def _name(node: Value) -> str:
    """How an error message names a node: its value and, if set, its label."""
    return f"{node.data!r} (label {node.label!r})" if node.label else repr(node.data)
