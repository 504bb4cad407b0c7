"""The scalar autograd engine: a ``Value`` node, ``backward()`` and ``grad()``.

Every operation computes, in the forward pass, its result and the local
derivatives ∂out/∂parent as plain floats and stores them on the result node.
``backward()`` is then one loop over the graph in reverse topological order:
``parent.grad += local * node.grad``. No closures are stored, so no node refers
back to itself and a dropped graph is freed at once by reference counting.

A plain number on either side of an operator is folded into the op instead of
becoming a node of its own, and recorded as the node's ``_const``: ``x * 3``
has the single parent ``x``, local derivative 3.0 and ``_const`` 3.0.

>>> x = Value(2.0, label="x")
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad  # d(x² + 3x)/dx = 2x + 3
7.0
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Callable, Iterable, Optional, Sequence, Union

Number = Union[int, float]
Operand = Union["Value", int, float]

# What counts as a plain number. float and int come first: isinstance finds
# them in nanoseconds, where the check against the Real ABC takes hundreds.
_REAL = (float, int, Real)


class Op(str):
    """The name of one of the engine's own operations.

    It compares and prints as the plain name (``"tanh"``), as micrograd's ``_op``
    does; being an ``Op`` says the engine knows the op's second derivative,
    which an op made with ``Value.op`` or a closure does not have.
    """

    __slots__ = ()


ADD, SUB, RSUB, NEG, MUL, DIV, RDIV = (Op(s) for s in ("+", "-", "rsub", "neg", "*", "/", "rdiv"))
POW, RPOW, DOT = Op("**"), Op("rpow"), Op("dot")
EXP, LOG, LOG1P, TANH, SIGMOID, RELU, ABS = (
    Op(s) for s in ("exp", "log", "log1p", "tanh", "sigmoid", "relu", "abs")
)

# Local derivatives that many nodes share: one tuple for all of them.
_ZERO, _ONE, _NEG = (0.0,), (1.0,), (-1.0,)
_PLUS, _MINUS = (1.0, 1.0), (1.0, -1.0)


class Value:
    """A scalar in a computation graph: its data, its grad, and how it was made.

    ``Value(data, label="")``, or micrograd's ``Value(data, _children, _op)``
    for an op whose gradient rule is the closure assigned to ``out._backward``.

    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = (a * b).tanh()
    >>> c.backward()
    >>> round(a.grad, 6), round(b.grad, 6)
    (-7.4e-05, 4.9e-05)
    """

    # __dict__ takes what code written for micrograd sets on a node (an
    # optimiser's p.m, a drawing's _vis_color, a closure in _backward) and the
    # label, which most nodes of a large graph never get: a slot for it would
    # move every node up a 16-byte size class, the dict costs only the labelled.
    __slots__ = ("data", "grad", "_prev", "_local", "_op", "_const", "__dict__")
    label = ""

    def __init__(
        self,
        data: Number,
        _children: Union[Iterable[Value], str, None] = (),
        _op: str = "",
        label: Optional[str] = "",
    ) -> None:
        if isinstance(_children, str) or _children is None:  # Value(2.0, "x"): a label
            _children, label = (), _children
        if not isinstance(data, _REAL):
            raise TypeError(f"Value() needs a real number, got {type(data).__name__} {data!r}")
        if label is not None and not isinstance(label, str):
            raise TypeError(f"Value(): label must be a str, got {type(label).__name__} {label!r}")
        if not isinstance(_children, (tuple, list, set, frozenset)) or not all(
            isinstance(child, Value) for child in _children
        ):
            raise TypeError(f"Value(): _children must be a tuple of Values, got {_children!r}")
        self.data = _constant("Value()", data)
        self.grad = 0.0
        if label:
            self.label = label
        self._prev: tuple[Value, ...] = tuple(_children)
        # micrograd's constructor: the gradient rule is a closure set later
        self._local: Optional[tuple[float, ...]] = None if self._prev else ()
        self._op = str(_op)
        self._const = None

    @staticmethod
    def op(
        data: Number, parents: Sequence[Value], local_derivatives: Sequence[Number], name: str
    ) -> Value:
        """A new op: its value and ∂out/∂parent for each parent, no closure needed.

        >>> x = Value(3.0)
        >>> cube = Value.op(x.data ** 3, [x], [3 * x.data ** 2], "cube")
        >>> cube.backward(); x.grad
        27.0
        """
        if isinstance(parents, Value):
            raise TypeError(
                f"Value.op {name!r}: parents must be a sequence of Values, got one Value"
            )
        parents, local = tuple(parents), tuple(local_derivatives)
        if not all(isinstance(p, Value) for p in parents):
            raise TypeError(f"Value.op {name!r}: parents must be Values, got {parents!r}")
        if len(parents) != len(local):
            raise ValueError(
                f"Value.op {name!r}: {len(parents)} parents but {len(local)} local derivatives"
            )
        for d in (data, *local):
            if not isinstance(d, _REAL):
                raise TypeError(f"Value.op {name!r}: expected numbers, got {d!r}")
        op = f"Value.op {name!r}"
        local = tuple(_constant(op, d) for d in local)
        return _result(_constant(op, data), parents, local, str(name))

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # --- arithmetic: each op gives its value and its local derivatives -------

    def __add__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return _result(self.data + other.data, (self, other), _PLUS, ADD)
        if isinstance(other, _REAL):
            other = _constant("+", other)
            return _result(self.data + other, (self,), _ONE, ADD, other)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return _result(self.data - other.data, (self, other), _MINUS, SUB)
        if isinstance(other, _REAL):
            other = _constant("-", other)
            return _result(self.data - other, (self,), _ONE, SUB, other)
        return NotImplemented

    def __rsub__(self, other: Number) -> Value:
        if isinstance(other, _REAL):
            other = _constant("-", other)
            return _result(other - self.data, (self,), _NEG, RSUB, other)
        return NotImplemented

    def __neg__(self) -> Value:
        return _result(-self.data, (self,), _NEG, NEG)

    def __mul__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            return _result(self.data * other.data, (self, other), (other.data, self.data), MUL)
        if isinstance(other, _REAL):
            other = _constant("*", other)
            return _result(self.data * other, (self,), (other,), MUL, other)
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other: Operand) -> Value:
        if isinstance(other, Value):
            b = other.data
            if b == 0.0:
                raise ZeroDivisionError(f"/: division by zero: divisor is {_name(other)}")
            out = self.data / b
            return _result(out, (self, other), (1.0 / b, -out / b), DIV)
        if isinstance(other, _REAL):
            if other == 0:
                raise ZeroDivisionError(f"/: division of {_name(self)} by the number 0")
            other = _constant("/", other)
            return _result(self.data / other, (self,), (1.0 / other,), DIV, other)
        return NotImplemented

    def __rtruediv__(self, other: Number) -> Value:
        if isinstance(other, _REAL):
            b = self.data
            if b == 0.0:
                raise ZeroDivisionError(f"/: division by zero: divisor is {_name(self)}")
            other = _constant("/", other)
            out = other / b
            return _result(out, (self,), (-out / b,), RDIV, other)
        return NotImplemented

    def __pow__(self, exponent: Operand) -> Value:
        """xᵖ, with ∂/∂x = p·xᵖ⁻¹ and, for a Value exponent, ∂/∂p = xᵖ·ln x."""
        x = self.data
        if isinstance(exponent, Value):
            p = exponent.data
            if x < 0.0:
                raise ValueError(
                    f"**: negative base {_name(self)} to the Value exponent {_name(exponent)}: "
                    "the derivative with respect to the exponent is not real"
                )
        elif isinstance(exponent, _REAL):
            p = _constant("**", exponent)
            if x < 0.0 and not p.is_integer():
                raise ValueError(f"**: negative base {_name(self)} to the non-integer power {p:g}")
        else:
            return NotImplemented
        if x == 0.0 and p < 0.0:
            raise ZeroDivisionError(f"**: zero base {_name(self)} to the negative power {p:g}")
        out = _power(x, p)
        # p·x^(p−1), where 0·anything is 0 (x⁰ is flat even where x⁻¹ overflows)
        d_x = 0.0 if p == 0.0 else p * _power(x, p - 1.0) if x != 0.0 or p >= 1.0 else math.inf
        if not isinstance(exponent, Value):
            return _result(out, (self,), (d_x,), POW, p)
        d_p = out * math.log(x) if x > 0.0 else 0.0  # 0ᵖ·ln 0 → 0, as PyTorch
        return _result(out, (self, exponent), (d_x, d_p), POW)

    def __rpow__(self, base: Number) -> Value:
        """cˣ for a plain number c, with slope cˣ·ln c."""
        if not isinstance(base, _REAL):
            return NotImplemented
        c, x = _constant("**", base), self.data
        if c < 0.0:
            raise ValueError(f"**: negative base {c!r} to the Value exponent {_name(self)}")
        if c == 0.0 and x < 0.0:
            raise ZeroDivisionError(f"**: zero base to the negative power {_name(self)}")
        out = _power(c, x)
        return _result(out, (self,), (out * math.log(c) if c > 0.0 else 0.0,), RPOW, c)

    # --- functions -----------------------------------------------------------

    def exp(self) -> Value:
        """eˣ, whose slope is itself; past e⁷⁰⁹ it is inf, as in IEEE arithmetic.

        >>> y = Value(0.0).exp(); y.data, y._local
        (1.0, (1.0,))
        """
        try:
            out = math.exp(self.data)
        except OverflowError:
            out = math.inf
        return _result(out, (self,), (out,), EXP)

    def log(self) -> Value:
        """ln x for x > 0, with slope 1/x.

        >>> Value(2.0).log()._local
        (0.5,)
        """
        x = self.data
        if not x > 0.0:
            raise ValueError(f"log: needs a positive value, got {_name(self)}")
        return _result(math.log(x), (self,), (1.0 / x,), LOG)

    def log1p(self) -> Value:
        """ln(1 + x) for x > −1, with slope 1/(1 + x); exact where 1 + x rounds to 1.

        >>> Value(1e-20).log1p().data  # ln(1 + 1e-20) would give 0.0
        1e-20
        """
        x = self.data
        if not x > -1.0:
            raise ValueError(f"log1p: needs a value above -1, got {_name(self)}")
        return _result(math.log1p(x), (self,), (1.0 / (1.0 + x),), LOG1P)

    def tanh(self) -> Value:
        """tanh x, with slope 1 − tanh²x.

        >>> Value(800.0).tanh()._local  # saturated: flat, no overflow
        (0.0,)
        """
        t = math.tanh(self.data)  # saturates to ±1 without overflow
        return _result(t, (self,), (1.0 - t * t,), TANH)

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1 + e⁻ˣ), with slope σ(x)(1 − σ(x)).

        >>> y = Value(0.0).sigmoid(); y.data, y._local
        (0.5, (0.25,))
        """
        x = self.data
        # exp of a negative number only, so no overflow for any finite x
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _result(s, (self,), (s * (1.0 - s),), SIGMOID)

    def relu(self) -> Value:
        """max(x, 0), with slope 1 for x > 0 and 0 otherwise (0 at the kink, as PyTorch).

        >>> [Value(x).relu()._local for x in (-1.0, 0.0, 2.0)]
        [(0.0,), (0.0,), (1.0,)]
        """
        x = self.data
        if x > 0.0 or x != x:  # NaN stays NaN instead of becoming a silent 0
            return _result(x, (self,), _ONE, RELU)
        return _result(0.0, (self,), _ZERO, RELU)

    def abs(self) -> Value:
        """|x|, with slope sign(x): 0 at the kink, as PyTorch.

        >>> [Value(x).abs()._local for x in (-3.0, 0.0, 2.0)]
        [(-1.0,), (0.0,), (1.0,)]
        """
        x = self.data
        slope = 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0
        return _result(abs(x), (self,), (slope,), ABS)

    __abs__ = abs

    @staticmethod
    def sum(terms: Iterable[Operand]) -> Value:
        """One "+" node for a whole sum, so Σ wᵢxᵢ + b costs one node, not n.

        >>> Value.sum([Value(1.0), Value(2.0), 3]).data
        6.0
        """
        parents, constant = [], None
        for term in terms:
            if isinstance(term, Value):
                parents.append(term)
            elif isinstance(term, _REAL):
                term = _constant("Value.sum", term)
                constant = term if constant is None else constant + term
            else:
                raise TypeError(f"Value.sum: cannot add {type(term).__name__} {term!r}")
        data = 0.0 if constant is None else constant
        for parent in parents:
            data += parent.data
        return _result(data, tuple(parents), (1.0,) * len(parents), ADD, constant)

    @staticmethod
    def dot(weights: Iterable[Operand], inputs: Iterable[Operand]) -> Value:
        """Σ wᵢxᵢ as one node, with ∂/∂wᵢ = xᵢ and ∂/∂xᵢ = wᵢ: a neuron's weighted
        sum costs one node instead of n products and a sum.

        Its parents are the Value·Value products first, as pairs (w₁, x₁, w₂,
        x₂, …), then the Values multiplied by a plain number; ``_const`` counts
        the parents in pairs, so each knows whose value its slope is.

        >>> w, x = [Value(2.0), Value(-1.0)], [3.0, Value(4.0)]
        >>> z = Value.dot(w, x); z.backward()
        >>> z.data, w[0].grad, x[1].grad
        (2.0, 3.0, -1.0)
        """
        weights, inputs = list(weights), list(inputs)
        if len(weights) != len(inputs):
            raise ValueError(f"Value.dot: {len(weights)} weights but {len(inputs)} inputs")
        paired, paired_local, single, single_local, data = [], [], [], [], 0.0
        for w, x in zip(weights, inputs):
            if isinstance(w, Value):
                if isinstance(x, Value):
                    paired += (w, x)
                    paired_local += (x.data, w.data)
                    data += w.data * x.data
                else:
                    x = _number("Value.dot", x)
                    single.append(w)
                    single_local.append(x)
                    data += w.data * x
            elif isinstance(x, Value):
                w = _number("Value.dot", w)
                single.append(x)
                single_local.append(w)
                data += w * x.data
            else:
                data += _number("Value.dot", w) * _number("Value.dot", x)
        return _result(data, (*paired, *single), (*paired_local, *single_local), DOT, len(paired))

    # --- reverse mode ---------------------------------------------------------

    def backward(self) -> None:
        """Add ∂self/∂leaf to every leaf's grad, like PyTorch's ``backward()``.

        Leaves accumulate across calls; every interior node is reset first, so
        it holds ∂self/∂node of this pass only. Nothing is left behind between
        calls: an interrupted pass, or a grad set by hand, changes nothing here.

        >>> x = Value(3.0); y = x * x
        >>> y.backward(); y.backward(); x.grad  # 6 twice, as in PyTorch
        12.0
        """
        if self._local == ():  # a leaf root: its own gradient is 1
            self.grad = (0.0 if self.grad is None else self.grad) + 1.0
            return
        order = self._topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            local = node._local
            if local is None:  # made with micrograd's constructor: its closure
                node._backward()
                continue
            grad = node.grad
            i = 0  # a plain counter: zip() or enumerate() here take 1.5–2× as long
            for parent in node._prev:
                try:
                    parent.grad += local[i] * grad
                except TypeError:  # a leaf's grad set to None, as PyTorch's zero_grad does
                    parent.grad = _cleared(parent) + local[i] * grad
                i += 1

    def _backward(self) -> None:
        """One step of the chain rule, as in micrograd: add ∂self/∂parent × self.grad
        into each parent's grad. A leaf's does nothing; a node made with
        micrograd's constructor does what the closure assigned to it does.

        >>> x = Value(3.0); y = x * x; y.grad = 1.0
        >>> y._backward(); x.grad
        6.0
        """
        if self._local:
            for parent, local in zip(self._prev, self._local):
                parent.grad += local * self.grad

    def _topological_order(self) -> list[Value]:
        """Interior nodes, parents before children, found without recursion so
        that graphs of any depth work, and without touching any grad.

        A depth-first search on an explicit stack (a stack of iterators made the
        cyclic collector rescan deep graphs): a node goes back on the stack under
        a ``None`` marker, and when the marker comes up again all of its parents
        are in ``order``. Visited nodes are kept in a set local to this call
        (a Value hashes by identity), so nothing stays behind when a pass is
        interrupted.
        """
        order: list[Value] = []
        seen: set[Value] = set()
        stack: list[Optional[Value]] = [self] if self._prev else []
        while stack:
            node = stack.pop()
            if node is None:
                order.append(stack.pop())
            elif node not in seen:
                seen.add(node)
                stack.append(node)
                stack.append(None)
                for parent in node._prev:
                    if parent._prev and parent not in seen:
                        stack.append(parent)
        return order


def _result(data: float, prev: tuple, local: Optional[tuple], op: str, const=None) -> Value:
    """A new node made by an operation: no input validation, it is ours."""
    out = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out._prev = prev
    out._local = local
    out._op = op
    out._const = const
    return out


_new_value = object.__new__


def _cleared(leaf: Value) -> float:
    """0.0 for a grad set to None; any other grad that is not a number is an error."""
    if leaf.grad is None:
        return 0.0
    raise TypeError(f"backward: the grad of {_name(leaf)} is {leaf.grad!r}, not a number")


def _power(base: float, p: float) -> float:
    """base ** p with IEEE overflow: ±inf where Python raises OverflowError."""
    try:
        return base**p
    except OverflowError:
        return -math.inf if base < 0.0 and p % 2.0 == 1.0 else math.inf


def _number(op: str, x: Operand) -> float:
    """The float in a Value or a plain number; anything else is a TypeError."""
    if isinstance(x, Value):
        return x.data
    if isinstance(x, _REAL):
        return _constant(op, x)
    raise TypeError(f"{op}: expected Values or numbers, got {type(x).__name__} {x!r}")


def _constant(op: str, c: Number) -> float:
    """A plain number as a float; an int past the float range is named, with its op."""
    try:
        return float(c)
    except OverflowError:
        raise OverflowError(
            f"{op}: the {type(c).__name__} given is larger than the largest float"
        ) from None


def _name(node: Value) -> str:
    """How an error message names a node: its value and, if set, its label."""
    return f"{node.data!r} (label {node.label!r})" if node.label else repr(node.data)


# --- gradients as Values: second derivatives ----------------------------------


# The local derivatives of each op above as Values, built from the node n and
# its parents, so that a gradient made of them can be differentiated again.
# They are the rules whose floats each op stores (a test checks that every op's
# two forms agree at random points); a float here is a constant slope.
def _dot_slopes(n: Value) -> list:
    """∂(Σ wᵢxᵢ)/∂wᵢ = xᵢ: in a Value·Value pair the other Value, else the number."""
    parents, paired = n._prev, n._const
    partners = [parents[i + 1 if i % 2 == 0 else i - 1] for i in range(paired)]
    return partners + list(n._local[paired:])


SLOPES_AS_VALUES: dict[str, Callable[[Value], Sequence[Operand]]] = {
    ADD: lambda n: n._local,
    SUB: lambda n: n._local,
    RSUB: lambda n: n._local,
    NEG: lambda n: n._local,
    MUL: lambda n: n._local if n._const is not None else (n._prev[1], n._prev[0]),
    DIV: lambda n: n._local if n._const is not None else (1.0 / n._prev[1], -n / n._prev[1]),
    RDIV: lambda n: (-n / n._prev[0],),
    POW: lambda n: _power_slopes(n, *n._prev),
    RPOW: lambda n: n._local if n._const == 0.0 else (n * math.log(n._const),),
    DOT: _dot_slopes,
    EXP: lambda n: (n,),
    LOG: lambda n: (1.0 / n._prev[0],),
    LOG1P: lambda n: (1.0 / (1.0 + n._prev[0]),),
    TANH: lambda n: (1.0 - n * n,),
    SIGMOID: lambda n: (n * (1.0 - n),),
    RELU: lambda n: n._local,  # a step: its slope is flat on either side
    ABS: lambda n: n._local,
}


def _power_slopes(n: Value, x: Value, exponent: Optional[Value] = None) -> tuple:
    """∂xᵖ/∂x = p·xᵖ⁻¹ and, for a Value exponent, ∂xᵖ/∂p = xᵖ·ln x."""
    p = n._const if exponent is None else exponent.data
    if x.data == 0.0 and p < 1.0:  # the slope is 0 (p = 0) or inf: no graph goes on from it
        return n._local
    if exponent is None:
        return (0.0 if p == 0.0 else p if p == 1.0 else p * x ** (p - 1.0),)
    d_p = n * x.log() if x.data > 0.0 else 0.0
    return (exponent * x ** (exponent - 1.0), d_p)


def grad(
    output: Value, inputs: Union[Value, Iterable[Value]], create_graph: bool = False
) -> list[Value]:
    """∂output/∂input for each input, like ``torch.autograd.grad``; no .grad changes.

    With ``create_graph=True`` each result is a node of a graph built from the
    inputs with the engine's own ops, so it can be differentiated again.

    >>> x = Value(3.0)
    >>> y = x ** 3
    >>> [dy] = grad(y, x, create_graph=True)   # 3x²
    >>> [d2y] = grad(dy, x)                    # 6x
    >>> dy.data, d2y.data, x.grad
    (27.0, 18.0, 0.0)
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    if not isinstance(create_graph, bool):
        raise TypeError(f"grad: create_graph must be True or False, got {create_graph!r}")
    inputs = _inputs("grad", inputs)
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs must be Values, got {type(x).__name__} {x!r}")
    grads: dict[Value, Operand] = {output: 1.0}
    for node in reversed(output._topological_order()):
        upstream = grads.get(node)
        if upstream is None:
            continue
        for parent, slope in zip(node._prev, _slopes(node, create_graph)):
            term = upstream if type(slope) is float and slope == 1.0 else slope * upstream
            grads[parent] = grads[parent] + term if parent in grads else term
    results = [grads.get(x, 0.0) for x in inputs]
    return [r if isinstance(r, Value) else Value(r) for r in results]


def _inputs(caller: str, inputs) -> list:
    """One Value, or an iterable of them, as a list."""
    if isinstance(inputs, Value):
        return [inputs]
    try:
        return list(inputs)
    except TypeError:
        raise TypeError(
            f"{caller}: inputs must be a Value or a sequence of Values, "
            f"got {type(inputs).__name__} {inputs!r}"
        ) from None


def _slopes(node: Value, as_values: bool) -> Sequence[Operand]:
    if node._local is None:
        raise ValueError(
            f"grad: the op {node._op!r} was made with micrograd's constructor and a closure, "
            "which grad() cannot run without writing .grad: use backward(), or Value.op"
        )
    if not as_values:
        return node._local
    if not isinstance(node._op, Op):
        raise ValueError(
            f"grad(create_graph=True): the op {node._op!r} was made with Value.op and has no "
            "second derivative: only the engine's own ops do"
        )
    return SLOPES_AS_VALUES[node._op](node)


def hessian(output: Value, inputs: Union[Value, Iterable[Value]]) -> list[list[float]]:
    """H[i][j] = ∂²output/∂inputs[i]∂inputs[j], as floats.

    >>> x, y = Value(1.0), Value(2.0)
    >>> hessian(x * x * y, [x, y])   # [[2y, 2x], [2x, 0]]
    [[4.0, 2.0], [2.0, 0.0]]
    """
    inputs = _inputs("hessian", inputs)
    first = grad(output, inputs, create_graph=True)
    return [[d.data for d in grad(g, inputs)] for g in first]
