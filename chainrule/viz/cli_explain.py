"""``chainrule explain``: the backward pass of an expression, step by step.

Variables are given after the expression, in any of three spellings::

    chainrule explain "(x+y)*z" --x -2 --y 5 --z -4
    chainrule explain "(x+y)*z" x=-2 y=5 z=-4
    chainrule explain "(x+y)*z" --var x=-2 --var y=5 --var z=-4

(``--NAME VALUE`` reads naturally and accepts negative numbers; ``--var NAME=VALUE``
works for any name, even one spelled like an option of this command.) An expression
that starts with ``-`` goes after ``--``: ``chainrule explain --x 2 -- "-x*x"``.
The expression is parsed by ``chainrule.viz.expr`` (never ``eval``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EPILOG = """examples:
  chainrule explain "(x+y)*z" --x -2 --y 5 --z -4
  chainrule explain "1/(1+exp(-(w0*x0+w1*x1+w2)))" --w0 2 --x0 -1 --w1 -3 --x1 -2 --w2 -3
  chainrule explain "max(x, y) * z" x=3 y=1 z=2 --markdown
  chainrule explain "x*x + x" --var x=3 --graph circuit.svg

The functions are exp log sigmoid tanh relu max min sqrt abs; the operators + - * / **.
"""


class UsageError(ValueError):
    """A command-line mistake, reported without a traceback."""


def _add_options(parser: argparse.ArgumentParser) -> None:
    """The options, which may come before or after the expression."""
    parser.add_argument(
        "--var",
        action="append",
        default=None,
        metavar="NAME=VALUE",
        help="a variable's value (repeatable); --NAME VALUE and NAME=VALUE work too",
    )
    parser.add_argument("--markdown", action="store_true", default=None, help="print Markdown")
    parser.add_argument("--digits", type=int, default=None, help="significant digits (4)")
    parser.add_argument(
        "--graph",
        metavar="FILE",
        default=None,
        help="also draw the graph to FILE (.svg, .png, .pdf, .dot or .json)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``chainrule explain EXPRESSION [variables and options]``."""
    parser.allow_abbrev = False  # --d must stay a variable, not become --digits
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument("expression", help='the expression, e.g. "(x+y)*z"')
    _add_options(parser)
    parser.add_argument(
        "values",
        nargs=argparse.REMAINDER,
        metavar="...",
        help="the variables: --x -2 --y 5, or x=-2 y=5",
    )


def parse_values(tokens: Sequence[str]) -> dict[str, float]:
    """Read ``--x -2``, ``--x=-2``, ``x=-2`` (and ``--var`` values) into a dict.

    Raises:
        UsageError: for a token that is none of these, a missing or non-numeric
            value, a repeated name.
    """
    values: dict[str, float] = {}
    position = 0
    while position < len(tokens):
        token = tokens[position]
        if token.startswith("--"):
            body = token[2:]
            if "=" in body:
                name, text = body.split("=", 1)
            elif position + 1 < len(tokens):
                name, text = body, tokens[position + 1]
                position += 1
            else:
                raise UsageError(f"{token} needs a value, e.g. {token} 1.5")
        elif "=" in token:
            name, text = token.split("=", 1)
        else:
            raise UsageError(
                f"unexpected argument {token!r}: give variables as --x VALUE, x=VALUE "
                "or --var x=VALUE"
            )
        if not name.isidentifier():
            raise UsageError(f"{name!r} is not a variable name (in {token!r})")
        if name in values:
            raise UsageError(f"variable {name!r} given twice")
        try:
            values[name] = float(text)
        except ValueError:
            raise UsageError(f"the value of {name!r} must be a number, got {text!r}") from None
        position += 1
    return values


def run(args: argparse.Namespace) -> int:
    from chainrule.viz.explain import explain
    from chainrule.viz.expr import ExpressionError, parse_expression

    # Options written after the expression arrive in args.values: pick them out.
    late_parser = argparse.ArgumentParser(
        prog="chainrule explain", add_help=False, allow_abbrev=False
    )
    _add_options(late_parser)
    late, rest = late_parser.parse_known_args(list(args.values))
    markdown = bool(args.markdown or late.markdown)
    digits = late.digits if late.digits is not None else args.digits or 4
    graph_path = late.graph or args.graph
    assignments = [f"--{item}" for item in (args.var or []) + (late.var or [])]
    try:
        values = parse_values(assignments + rest)
        expression = parse_expression(args.expression)
        evaluation = expression.evaluate(values)
    except (UsageError, ExpressionError) as error:
        print(f"chainrule explain: error: {error}", file=sys.stderr)
        return 2
    given = ", ".join(f"{name} = {values[name]:g}" for name in expression.variables)
    title = f"f = {expression.source}" + (f"  at {given}" if given else "")
    explanation = explain(evaluation.output, evaluation.inputs, digits=digits, title=title)
    print(explanation.to_markdown() if markdown else explanation.to_text())
    if graph_path:
        from chainrule.viz.graph import graph

        drawing = graph(evaluation.output, evaluation.inputs, digits=digits, title=title)
        try:
            drawing.save(graph_path)
        except (RuntimeError, ValueError) as error:
            print(f"chainrule explain: error: {error}", file=sys.stderr)
            return 1
        print(f"graph written to {graph_path}")
    return 0
