"""A safe parser for small math expressions such as ``(x+y)*z``.

``chainrule explain "(x+y)*z" --x -2 --y 5 --z -4`` turns the expression into a
chainrule computation, so its graph can be drawn and its backward pass traced. The
text comes from a user, so it is never handed to ``eval``: Python's ``ast`` module
parses it and only an explicit allow-list of syntax is accepted:

* numbers (``2``, ``-3.5``, ``1e-3``) and variable names (``x``, ``w0``);
* the operators ``+ - * / **`` and unary ``-`` / ``+``;
* calls of the functions in ``FUNCTIONS`` (``exp log sigmoid tanh relu max min sqrt
  abs``), with positional arguments only.

Everything else (attributes, subscripts, lambdas, comprehensions, keyword
arguments, strings, names starting with ``_``, any other call) is rejected with an
``ExpressionError`` that quotes the offending piece and its column.

Example::

    >>> expression = parse_expression("(x+y)*z")
    >>> expression.variables
    ('x', 'y', 'z')
    >>> result = expression.evaluate({"x": -2, "y": 5, "z": -4})
    >>> result.output.item()
    -12.0
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np

import chainrule as cr
from chainrule._tensor import Tensor

__all__ = ["ExpressionError", "Expression", "Evaluation", "FUNCTIONS", "parse_expression"]

MAX_LENGTH = 2000  # characters: expressions are for reading, not for stress tests


class ExpressionError(ValueError):
    """An expression uses syntax outside the allowed grammar, or lacks a value."""


def _maximum(*args: Tensor) -> Tensor:
    """max(a) is the largest element of a; max(a, b, ...) the elementwise maximum."""
    if len(args) == 1:
        return args[0].amax()
    return reduce(lambda a, b: a.maximum(b), args)


def _minimum(*args: Tensor) -> Tensor:
    """min(a) is the smallest element of a; min(a, b, ...) the elementwise minimum."""
    if len(args) == 1:
        return args[0].amin()
    return reduce(lambda a, b: a.minimum(b), args)


# name -> (function of tensors, smallest and largest number of arguments (None: any)).
FUNCTIONS: dict[str, tuple[Callable[..., Tensor], int, int | None]] = {
    "exp": (Tensor.exp, 1, 1),
    "log": (Tensor.log, 1, 1),
    "sigmoid": (Tensor.sigmoid, 1, 1),
    "tanh": (Tensor.tanh, 1, 1),
    "relu": (Tensor.relu, 1, 1),
    "sqrt": (Tensor.sqrt, 1, 1),
    "abs": (Tensor.abs, 1, 1),
    "max": (_maximum, 1, None),
    "min": (_minimum, 1, None),
}

_BINARY: dict[type[ast.operator], Callable[[Tensor, Tensor], Tensor]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}

_UNARY: dict[type[ast.unaryop], Callable[[Tensor], Tensor]] = {
    ast.USub: lambda a: -a,
    ast.UAdd: lambda a: a,
}

# What to call a refused kind of syntax in the error message.
_REFUSED: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript (indexing)",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Compare: "a comparison",
    ast.BoolOp: "a boolean operator",
    ast.IfExp: "a conditional expression",
    ast.NamedExpr: "an assignment",
    ast.Starred: "a starred argument",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.JoinedStr: "an f-string",
    ast.Await: "await",
    ast.Yield: "yield",
}

_GRAMMAR = (
    "An expression may use numbers, variable names, + - * / ** and the functions "
    + ", ".join(FUNCTIONS)
)


@dataclass
class Evaluation:
    """The result of evaluating an ``Expression``.

    Attributes:
        output: the expression's value, a tensor recording the computation.
        inputs: the variables, name -> leaf tensor with ``requires_grad=True`` (pass it
            as ``names`` to ``chainrule.viz.graph`` or ``explain`` to label them).
    """

    output: Tensor
    inputs: dict[str, Tensor]


@dataclass(frozen=True)
class Expression:
    """A parsed, checked expression: evaluate it as often as you like."""

    source: str
    tree: ast.Expression
    variables: tuple[str, ...]

    def evaluate(
        self,
        values: Mapping[str, Any],
        dtype: Any = np.float64,
    ) -> Evaluation:
        """Compute the expression on chainrule tensors, recording the graph.

        Args:
            values: a value (number, array or tensor) for every variable.
            dtype: the dtype of the variables and constants (float64 by default, so
                that the numbers match a hand calculation).

        Returns:
            An ``Evaluation`` with the output tensor and the input tensors by name.
        """
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise ExpressionError(
                f"no value for {', '.join(repr(n) for n in missing)} in {self.source!r}: "
                f"give one per variable ({', '.join(self.variables)})"
            )
        unused = [name for name in values if name not in self.variables]
        if unused:
            raise ExpressionError(
                f"{', '.join(repr(n) for n in unused)} given a value but not used in "
                f"{self.source!r} (its variables are {', '.join(self.variables) or 'none'})"
            )
        inputs = {name: _variable(name, values[name], dtype) for name in self.variables}
        evaluator = _Evaluator(self.source, inputs, np.dtype(dtype))
        output = evaluator.visit(self.tree.body)
        if not isinstance(output, Tensor) or output.grad_fn is None:
            raise ExpressionError(f"{self.source!r} has no variables: nothing to differentiate")
        return Evaluation(output=output, inputs=inputs)


def parse_expression(source: str) -> Expression:
    """Parse and check ``source`` against the allowed grammar (never ``eval``).

    Raises:
        ExpressionError: for a syntax error or any construct outside the grammar,
            quoting the offending piece of text and its column.

    Example::

        >>> parse_expression("1/(1+exp(-(w0*x0+w1*x1+w2)))").variables
        ('w0', 'x0', 'w1', 'x1', 'w2')
    """
    if not isinstance(source, str):
        raise TypeError(f"parse_expression() takes a string, got {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression too long ({len(source)} > {MAX_LENGTH} characters)")
    if not source.strip():
        raise ExpressionError("empty expression")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as error:
        column = (error.offset or 1) - 1
        raise ExpressionError(
            f"cannot parse {source!r}: {error.msg} at column {column + 1}\n"
            f"  {source}\n  {' ' * column}^"
        ) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"expression too deeply nested: {source[:40]!r}...") from None
    variables: list[str] = []
    checker = _Checker(source.strip(), variables)
    checker.visit(tree.body)
    return Expression(source=source.strip(), tree=tree, variables=tuple(variables))


def _variable(name: str, value: Any, dtype: Any) -> Tensor:
    """A leaf tensor for a variable, in ``dtype``, requiring grad."""
    try:
        data = np.array(value.data if isinstance(value, Tensor) else value, dtype=dtype)
    except (TypeError, ValueError):
        raise ExpressionError(
            f"the value of {name!r} must be a number or an array of numbers, got {value!r}"
        ) from None
    return cr.tensor(data, dtype=dtype, requires_grad=True)


class _Checker:
    """Walks the tree once, accepting only the allowed node types."""

    def __init__(self, source: str, variables: list[str]) -> None:
        self.source = source
        self.variables = variables

    def refuse(self, node: ast.AST, what: str) -> ExpressionError:
        """An error quoting the offending piece of source and its column."""
        piece = ast.get_source_segment(self.source, node) or type(node).__name__
        column = getattr(node, "col_offset", 0) + 1
        return ExpressionError(
            f"{what} is not allowed: {piece!r} at column {column} of {self.source!r}. {_GRAMMAR}"
        )

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.refuse(node, f"the constant {value!r}")
        elif isinstance(node, ast.Name):
            self.check_name(node)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise self.refuse(node, f"the operator {type(node.op).__name__}")
            self.visit(node.left)
            self.visit(node.right)
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise self.refuse(node, f"the operator {type(node.op).__name__}")
            self.visit(node.operand)
        elif isinstance(node, ast.Call):
            self.check_call(node)
        else:
            raise self.refuse(node, _REFUSED.get(type(node), f"{type(node).__name__} syntax"))

    def check_name(self, node: ast.Name) -> None:
        name = node.id
        if name.startswith("_"):
            raise self.refuse(node, f"the name {name!r} (names may not start with '_')")
        if name in FUNCTIONS:
            raise self.refuse(node, f"{name!r} without a call (it is a function: {name}(...))")
        if name not in self.variables:
            self.variables.append(name)

    def check_call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name):
            raise self.refuse(node.func, "calling anything but a function's name")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.refuse(node.func, f"calling {name!r}")
        if node.keywords:
            raise self.refuse(node, f"a keyword argument to {name}()")
        _, least, most = FUNCTIONS[name]
        count = len(node.args)
        if count < least or (most is not None and count > most):
            expected = f"{least}" if least == most else f"{least} or more"
            raise self.refuse(node, f"{name}() with {count} argument(s) (it takes {expected})")
        for argument in node.args:
            self.visit(argument)


class _Evaluator:
    """Computes a checked tree on tensors."""

    def __init__(self, source: str, inputs: dict[str, Tensor], dtype: np.dtype) -> None:
        self.source = source
        self.inputs = inputs
        self.dtype = dtype

    def visit(self, node: ast.expr) -> Tensor:
        if isinstance(node, ast.Constant):
            return cr.tensor(float(node.value), dtype=self.dtype)  # type: ignore[arg-type]
        if isinstance(node, ast.Name):
            return self.inputs[node.id]
        with np.errstate(all="ignore"):  # 9**9**9 is inf, not an hour of big integers
            if isinstance(node, ast.BinOp):
                left, right = self.visit(node.left), self.visit(node.right)
                result = _BINARY[type(node.op)](left, right)
            elif isinstance(node, ast.UnaryOp):
                result = _UNARY[type(node.op)](self.visit(node.operand))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                function = FUNCTIONS[node.func.id][0]
                result = function(*[self.visit(argument) for argument in node.args])
            else:  # the checker let nothing else through
                raise ExpressionError(f"unexpected {type(node).__name__} in {self.source!r}")
        return result
