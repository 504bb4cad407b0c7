"""Expression text, such as ``"tanh(w*x + b)"``, built into a graph of Values.

The text is parsed with ``ast.parse`` and walked over a whitelist: numbers,
names, ``+ - * / **``, unary ``-``/``+``, calls of exp, log, tanh, sigmoid,
relu and the losses (list literals only as a loss's arguments). Anything else
is refused before any of it is evaluated, and nothing is ever passed to
``eval``, ``exec`` or ``compile``: the text can build Values, nothing more.

>>> root, leaves = parse_expression("tanh(w*x + b)", {"w": -3.0, "x": 2.0, "b": 6.0})
>>> root.backward()
>>> round(leaves["w"].grad, 4)  # x · (1 − tanh²(0))
2.0
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Mapping, Union

from . import losses
from .engine import Value

FUNCTIONS = ("exp", "log", "tanh", "sigmoid", "relu")
LOSSES = losses.LOSSES
MAX_EXPONENT = 100  # x**100 is already past any use; 9**9**9 must not get near a CPU
MAX_LENGTH = 10_000

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_FLOAT_ERRORS = {  # Python's errors for two plain numbers, named by op as the engine names its own
    (ast.Div, ZeroDivisionError): "/: division by zero",
    (ast.Pow, ZeroDivisionError): "**: zero to a negative power",
    (ast.Pow, OverflowError): "**: overflow: the result is larger than the largest float",
}
_OTHER_OPERATORS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Not: "not",
    ast.Invert: "~",
}
_REFUSED = {  # how an error names syntax outside the whitelist
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.List: "a list outside a loss's arguments",
    ast.Tuple: "a tuple",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.Compare: "a comparison",
    ast.BoolOp: "and/or",
    ast.IfExp: "a conditional expression",
    ast.NamedExpr: "an assignment expression",
    ast.Starred: "* unpacking",
    ast.JoinedStr: "an f-string",
}

Built = Union[Value, float, list]


class ExpressionError(ValueError):
    """Expression text that cannot be built: the message names the problem and
    the column (1-based) where it is."""


class MissingValueError(ExpressionError):
    """A name in the expression has no value; ``.name`` is that name."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


def parse_expression(text: str, values: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
    """Build ``text`` into Values; return the root and the leaves by name.

    Each name becomes one leaf ``Value(values[name], label=name)``, shared by
    all its uses, so ``x*x`` gets the gradient 2x. The root is not backpropagated.

    >>> root, leaves = parse_expression("x*x + 3", {"x": 2.0})
    >>> root.data, leaves["x"].label
    (7.0, 'x')
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long, over {MAX_LENGTH}")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        line = f"line {error.lineno}, " if (error.lineno or 1) > 1 else ""
        where = f" at {line}column {error.offset}" if error.offset else " at the end"
        raise ExpressionError(f"not a valid expression: {error.msg}{where}") from None
    except (MemoryError, RecursionError):
        raise ExpressionError("the expression is nested too deeply") from None
    builder = _Builder(text, values)
    try:
        root = builder.build(tree.body)
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply") from None
    if isinstance(root, list):
        raise ExpressionError("the expression is a list; it must give one number")
    return (root if isinstance(root, Value) else Value(root)), builder.leaves


class _Builder:
    """Walks the syntax tree; every node either builds a Value/number or is refused."""

    def __init__(self, text: str, values: Mapping[str, float]) -> None:
        self.text = text
        self.values = values
        self.leaves: dict[str, Value] = {}

    def build(self, node: ast.AST, in_loss: bool = False) -> Built:
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._leaf(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand)
            return (
                self._apply(node, operator.neg, operand)
                if isinstance(node.op, ast.USub)
                else operand
            )
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Pow) and not isinstance(right, Value):
                if abs(right) > MAX_EXPONENT:
                    self._refuse(
                        node, f"the exponent {right:g} is too large (limit ±{MAX_EXPONENT})"
                    )
            return self._apply(node, _BINARY[type(node.op)], left, right)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.List) and in_loss:
            return [self.build(item, in_loss=True) for item in node.elts]
        if isinstance(node, (ast.UnaryOp, ast.BinOp)):
            symbol = _OTHER_OPERATORS.get(type(node.op), type(node.op).__name__)
            self._refuse(node, f"the operator {symbol} is not supported")
        what = _REFUSED.get(type(node), type(node).__name__)
        self._refuse(node, f"{what} is not allowed")

    def _number(self, node: ast.Constant) -> float:
        if type(node.value) not in (int, float):  # bool, complex, str, bytes, None, ...
            self._refuse(node, f"{type(node.value).__name__} constants are not allowed")
        try:
            number = float(node.value)
        except OverflowError:  # an int literal past the largest float
            number = math.inf
        if not math.isfinite(number):  # a float literal past it, such as 1e999, parses as inf
            self._refuse(node, "the number is too large for a float")
        return number

    def _leaf(self, node: ast.Name) -> Value:
        name = node.id
        if name in self.leaves:
            return self.leaves[name]
        if name in FUNCTIONS or name in LOSSES:
            self._refuse(node, f"{name} is a function; call it as {name}(...)")
        if name not in self.values:
            raise MissingValueError(
                f"no value for the variable {name!r} ({self._where(node)})", name
            )
        self.leaves[name] = Value(self.values[name], label=name)
        return self.leaves[name]

    def _call(self, node: ast.Call) -> Built:
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS and name not in LOSSES:
            allowed = ", ".join((*FUNCTIONS, *LOSSES))
            self._refuse(node, f"only calls of {allowed} are allowed")
        if node.keywords:
            self._refuse(node, f"{name}: keyword arguments are not allowed")
        arity = 1 if name in FUNCTIONS else 2
        if len(node.args) != arity:
            self._refuse(
                node, f"{name} takes {arity} argument{'s' * (arity > 1)}, got {len(node.args)}"
            )
        if name in FUNCTIONS:
            x = self.build(node.args[0])
            x = x if isinstance(x, Value) else Value(x)
            return self._apply(node, getattr(Value, name), x)
        first, second = (self.build(arg, in_loss=True) for arg in node.args)
        if name == "cross_entropy" and _has_value(second):
            self._refuse(node.args[1], "cross_entropy: the class index must be a number")
        return self._apply(node, LOSSES[name], first, second)

    def _apply(self, node: ast.AST, operation, *operands: Built) -> Union[Value, float]:
        """Run one op; turn a domain error or a non-finite result into an ExpressionError."""
        try:
            result = operation(*operands)
        except (ArithmeticError, ValueError, TypeError, IndexError) as error:
            if not any(isinstance(operand, Value) for operand in operands):
                problem = _FLOAT_ERRORS.get((type(getattr(node, "op", None)), type(error)))
                if problem:
                    self._refuse(node, problem)
            raise ExpressionError(f"{error} ({self._where(node)})") from None
        data = result.data if isinstance(result, Value) else result
        if not isinstance(data, float) or not math.isfinite(data):
            self._refuse(node, f"the result {data!r} is not a finite real number")
        return result

    def _refuse(self, node: ast.AST, problem: str):
        segment = ast.get_source_segment(self.text, node) or ""
        if len(segment) > 40:
            segment = segment[:37] + "..."
        raise ExpressionError(f"{problem}: {segment!r} ({self._where(node)})")

    def _where(self, node: ast.AST) -> str:
        # col_offset counts UTF-8 bytes; a reader counts characters
        line = self.text.splitlines()[node.lineno - 1]
        column = len(line.encode()[: node.col_offset].decode(errors="ignore")) + 1
        return f"line {node.lineno}, column {column}" if node.lineno > 1 else f"column {column}"


def _has_value(built: Built) -> bool:
    if isinstance(built, list):
        return any(_has_value(item) for item in built)
    return isinstance(built, Value)
