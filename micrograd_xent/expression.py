"""Expression text, such as ``"tanh(w*x + b)"``, built into a graph of Values.

The text is parsed with ``ast.parse`` and walked over a whitelist: numbers,
names, ``+ - * / **``, unary ``-``/``+``, calls of exp, log, log1p, tanh, sigmoid,
relu, abs and the losses (list literals only as a loss's arguments). Anything else
is refused before any of it is evaluated, and nothing is ever passed to
``eval``, ``exec`` or ``compile``: the text can build Values, nothing more.
Names are read as Python reads identifiers (NFKC: ``ｘ`` is ``x``), in the
text and in the values given for them alike.

>>> root, leaves = parse_expression("tanh(w*x + b)", {"w": -3.0, "x": 2.0, "b": 6.0})
>>> root.backward()
>>> round(leaves["w"].grad, 4)  # x · (1 − tanh²(0))
2.0
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
import unicodedata
from typing import Mapping, Union

from . import losses
from .engine import Value

FUNCTIONS = ("exp", "log", "log1p", "tanh", "sigmoid", "relu", "abs")
LOSSES = losses.LOSSES
MAX_EXPONENT = 100  # x**100 is already past any use; 9**9**9 must not get near a CPU
# Python 3.11 and 3.12 build a flat sum x+x+… as a tree nested once per term and
# give up near 3,000 terms; 4,000 characters keep every flat sum well below that.
MAX_LENGTH = 4_000

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
    if not isinstance(text, str):
        raise TypeError(f"parse_expression: text must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters long, over {MAX_LENGTH}")
    _check_characters(text)
    if not text.strip():
        raise ExpressionError("the expression is empty")
    source = _Source(text)
    try:
        tree = ast.parse(source.code, mode="eval")
    except SyntaxError as error:
        where = " at the end"
        if error.offset:
            where = f" at {source.position(error.lineno or 1, error.offset)}"
        raise ExpressionError(f"not a valid expression: {error.msg}{where}") from None
    except (MemoryError, RecursionError):
        raise ExpressionError("the expression is nested too deeply") from None
    builder = _Builder(source, _named(values))
    root = builder.build(tree.body)
    if isinstance(root, list):
        raise ExpressionError("the expression is a list; it must give one number")
    return (root if isinstance(root, Value) else Value(root)), builder.leaves


def variable_name(name: str) -> str:
    """A name as an expression reads it: Python's NFKC form of an identifier.

    >>> variable_name("ｘ")
    'x'
    """
    return unicodedata.normalize("NFKC", name)


def _named(values: Mapping[str, float]) -> dict[str, float]:
    named: dict[str, float] = {}
    for name, value in values.items():
        key = variable_name(name)
        if key in named:
            raise ExpressionError(f"{name!r} is the variable {key!r}, given a value twice")
        named[key] = value
    return named


def _check_characters(text: str) -> None:
    """Refuse what ``ast.parse`` reports differently on each Python (a NUL is a
    ValueError on 3.10, a SyntaxError later) or cannot read at all."""
    for i, c in enumerate(text):
        if c == "\0":
            what = "a NUL character"
        elif "\udc80" <= c <= "\udcff":  # how Python hands on a byte that is not UTF-8
            what = f"the undecodable byte {bytes([ord(c) - 0xDC00])!r}"
        elif "\ud800" <= c <= "\udfff":
            what = f"the lone surrogate {ascii(c)}"
        else:
            continue
        line = text.count("\n", 0, i) + 1
        raise ExpressionError(
            f"the expression has {what} at {_position(line, i - text.rfind(chr(10), 0, i))}"
        )


def _position(line: int, column: int) -> str:
    return f"line {line}, column {column}" if line > 1 else f"column {column}"


class _Source:
    """The text as parsed, without the leading blanks that ``ast.parse`` takes
    for an indent (``eval`` drops them too), and positions in the text as typed."""

    def __init__(self, text: str) -> None:
        self.code = text.lstrip()
        dropped = text[: len(text) - len(self.code)]
        self.lines_dropped = dropped.count("\n")
        self.columns_dropped = len(dropped) - (dropped.rfind("\n") + 1)

    def position(self, line: int, column: int) -> str:
        """Where a 1-based line and column of ``code`` are in the text as typed."""
        if line == 1:
            column += self.columns_dropped
        return _position(line + self.lines_dropped, column)


def _loss_spelled_with_dashes(node: ast.AST) -> ast.AST:
    """``cross-entropy(z, y)`` as the report spells it parses as ``cross − entropy(z, y)``:
    the call of the loss it names (``x - cross-entropy(z, y)`` keeps its ``x −``).

    >>> tree = ast.parse("cross-entropy(z, 1)", mode="eval").body
    >>> _loss_spelled_with_dashes(tree).func.id
    'cross_entropy'
    """
    if not (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Sub)
        and isinstance(node.right, ast.Call)
        and isinstance(node.right.func, ast.Name)
    ):
        return node
    parts, rest = [node.right.func.id], node.left
    while True:
        if isinstance(rest, ast.Name):
            parts, before = [rest.id, *parts], None
        elif isinstance(rest, ast.BinOp) and isinstance(rest.op, ast.Sub):
            if not isinstance(rest.right, ast.Name):
                return node
            parts, before = [rest.right.id, *parts], rest.left
        else:
            return node
        name = "_".join(parts)
        if name in LOSSES:
            call = ast.Call(ast.Name(name, ast.Load()), node.right.args, node.right.keywords)
            call = ast.copy_location(call, node)
            return (
                call
                if before is None
                else ast.copy_location(ast.BinOp(before, ast.Sub(), call), node)
            )
        if before is None:
            return node
        rest = before


class _Builder:
    """Walks the syntax tree; every node either builds a Value/number or is refused.

    The walk keeps its own stack instead of recursing, so a long flat sum,
    which Python's parser nests one level per term, builds at any length.
    """

    def __init__(self, source: _Source, values: Mapping[str, float]) -> None:
        self.source = source
        self.values = values
        self.leaves: dict[str, Value] = {}

    def build(self, tree: ast.AST) -> Built:
        """Each node's operands first, then the node, from a stack of
        (node, in a loss's arguments, operands built) entries."""
        built: list[Built] = []
        todo = [(tree, False, False)]
        while todo:
            node, in_loss, ready = todo.pop()
            if ready:
                count = len(self._operands(node, in_loss))
                operands = built[len(built) - count :]
                del built[len(built) - count :]
                built.append(self._combine(node, operands))
            else:
                node = _loss_spelled_with_dashes(node)
                todo.append((node, in_loss, True))
                for operand, operand_in_loss in reversed(self._operands(node, in_loss)):
                    todo.append((operand, operand_in_loss, False))
        return built[0]

    def _operands(self, node: ast.AST, in_loss: bool) -> list[tuple[ast.AST, bool]]:
        """What ``node`` is built from (and whether each is a loss's argument),
        or an ExpressionError if ``node`` is outside the whitelist."""
        if isinstance(node, (ast.Constant, ast.Name)):
            return []
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            return [(node.operand, False)]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return [(node.left, False), (node.right, False)]
        if isinstance(node, ast.Call):
            name = self._checked_call(node)
            return [(arg, name in LOSSES) for arg in node.args]
        if isinstance(node, ast.List) and in_loss:
            return [(item, True) for item in node.elts]
        if isinstance(node, (ast.UnaryOp, ast.BinOp)):
            symbol = _OTHER_OPERATORS.get(type(node.op), type(node.op).__name__)
            self._refuse(node, f"the operator {symbol} is not supported")
        what = _REFUSED.get(type(node), type(node).__name__)
        self._refuse(node, f"{what} is not allowed")

    def _combine(self, node: ast.AST, operands: list[Built]) -> Built:
        """``node``'s value from its operands' values."""
        if isinstance(node, ast.Constant):
            return self._number(node)
        if isinstance(node, ast.Name):
            return self._leaf(node)
        if isinstance(node, ast.UnaryOp):
            (operand,) = operands
            return (
                self._apply(node, operator.neg, operand)
                if isinstance(node.op, ast.USub)
                else operand
            )
        if isinstance(node, ast.BinOp):
            left, right = operands
            if isinstance(node.op, ast.Pow) and not isinstance(right, Value):
                if abs(right) > MAX_EXPONENT:
                    self._refuse(
                        node, f"the exponent {right:g} is too large (limit ±{MAX_EXPONENT})"
                    )
            return self._apply(node, _BINARY[type(node.op)], left, right)
        if isinstance(node, ast.Call):
            return self._call(node, operands)
        return list(operands)  # a list literal among a loss's arguments

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

    def _checked_call(self, node: ast.Call) -> str:
        """The name of a call of a whitelisted function with the right arguments."""
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in FUNCTIONS and name not in LOSSES:
            allowed = ", ".join((*FUNCTIONS, *LOSSES))
            nearest = difflib.get_close_matches(name or "", (*FUNCTIONS, *LOSSES), n=1)
            hint = f"{name} is no function here (did you mean {nearest[0]}?); " if nearest else ""
            self._refuse(node, f"{hint}only calls of {allowed} are allowed")
        if node.keywords:
            self._refuse(node, f"{name}: keyword arguments are not allowed")
        arity = 1 if name in FUNCTIONS else 2
        if len(node.args) != arity:
            self._refuse(
                node, f"{name} takes {arity} argument{'s' * (arity > 1)}, got {len(node.args)}"
            )
        return name

    def _call(self, node: ast.Call, arguments: list[Built]) -> Built:
        name = node.func.id
        if name in FUNCTIONS:
            (x,) = arguments
            x = x if isinstance(x, Value) else Value(x)
            return self._apply(node, getattr(Value, name), x)
        first, second = arguments
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
        segment = ast.get_source_segment(self.source.code, node) or ""
        if len(segment) > 40:
            segment = segment[:37] + "..."
        raise ExpressionError(f"{problem}: {segment!r} ({self._where(node)})")

    def _where(self, node: ast.AST) -> str:
        # col_offset counts UTF-8 bytes; a reader counts characters
        line = self.source.code.splitlines()[node.lineno - 1]
        column = len(line.encode()[: node.col_offset].decode(errors="ignore")) + 1
        return self.source.position(node.lineno, column)


def _has_value(built: Built) -> bool:
    if isinstance(built, list):
        return any(_has_value(item) for item in built)
    return isinstance(built, Value)
