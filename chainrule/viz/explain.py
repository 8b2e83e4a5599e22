"""The backward pass as a table, one step at a time.

``explain(f)`` traces the graph behind ``f`` and lists, for each op in the order the
backward pass visits it (from the output back to the inputs):

* the op's forward value and the upstream gradient d f / d(op output);
* for each of its inputs: the local gradient d(op output)/d(input), and the product
  upstream x local, which is the gradient passed down to that input;
* the pattern at work: **add distributes** (the upstream gradient goes unchanged to
  every input), **mul swaps** (each input gets the other's value times upstream),
  **max routes** (all of it goes to the larger input), and **copy adds** (a value used
  several times receives the sum of the gradients of its uses).

Example, the course's first circuit::

    >>> x, y, z = (cr.tensor(v, dtype=cr.float64, requires_grad=True) for v in (-2, 5, -4))
    >>> q = x + y
    >>> f = q * z
    >>> print(explain(f, names={"x": x, "y": y, "z": z, "q": q}))   # df/dx = -4, ...
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.viz._format import as_float_or_array, number, summary
from chainrule.viz.trace import Edge, Trace, Value, trace

__all__ = ["ExplainRow", "Explanation", "explain", "PATTERNS"]


@dataclass(frozen=True)
class ExplainRow:
    """One input of one op during the backward pass.

    Values are Python floats for one-element tensors, NumPy arrays otherwise, and
    None where there is nothing (a constant input gets no gradient; the local
    gradient of an op like MatMul is a Jacobian, which is never built).

    Attributes:
        step: the backward step (1 is the op that produced the output).
        node: the name of the op's output (``t1``, or the name you gave it).
        op: the op's name, e.g. ``"Mul"``.
        value: the op's forward value.
        upstream: d output / d(op's value), summed over all its uses.
        input: the name of the input this row is about.
        local: d(op's value)/d(input).
        passed: the gradient passed down to the input, upstream x local.
        note: the pattern of backward flow, or the op's local derivative rule.
    """

    step: int
    node: str
    op: str
    value: Any
    upstream: Any
    input: str
    local: Any
    passed: Any
    note: str


# Ops written the way you would write them by hand, for the forward listing.
_FORMULAS: dict[str, Callable[[list[str], Any], str]] = {
    "Add": lambda a, node: f"{a[0]} + {a[1]}",
    "Sub": lambda a, node: f"{a[0]} - {a[1]}",
    "Mul": lambda a, node: f"{a[0]} * {a[1]}",
    "Div": lambda a, node: f"{a[0]} / {a[1]}",
    "Pow": lambda a, node: f"{a[0]} ** {a[1]}",
    "PowScalar": lambda a, node: f"{a[0]} ** {number(node.exponent)}",
    "Neg": lambda a, node: f"-{a[0]}",
    "MatMul": lambda a, node: f"{a[0]} @ {a[1]}",
    "Linear": lambda a, node: f"{a[0]} @ {a[1]}.T" + (f" + {a[2]}" if len(a) > 2 else ""),
    "Maximum": lambda a, node: f"max({a[0]}, {a[1]})",
    "Minimum": lambda a, node: f"min({a[0]}, {a[1]})",
    "Max": lambda a, node: f"max({a[0]})",
}


@dataclass(frozen=True)
class _Use:
    """What a note about one input of an op can refer to."""

    name: str  # this input
    position: int
    other: str  # the other input of a two-input op ("" otherwise)
    other_value: str
    local: Any


def _routes(pattern: str, kind: str) -> Callable[[_Use], str]:
    """The note for max/min: which input the gradient was routed to."""

    def note(use: _Use) -> str:
        share = None if use.local is None else np.asarray(use.local)
        if share is None or share.size != 1:
            return f"{pattern} routes: the gradient goes to the {kind} input, elementwise"
        if share.item() == 1:
            return f"{pattern} routes: {use.name} was the {kind}, it gets all the gradient"
        if share.item() == 0:
            return f"{pattern} routes: {use.name} was not the {kind}, it gets none"
        return f"{pattern} routes: a tie, {use.name} gets half"

    return note


# The patterns of backward flow, by op (other ops get their local derivative rule).
PATTERNS: dict[str, Callable[[_Use], str]] = {
    "Add": lambda u: "add distributes: passes it on unchanged",
    "Sub": lambda u: (
        "add distributes: passes it on unchanged"
        if u.position == 0
        else "add distributes, with the sign flipped for the subtracted input"
    ),
    "Mul": lambda u: f"mul swaps: {u.name} gets {u.other}'s value ({u.other_value}) x upstream",
    "Maximum": _routes("max", "larger"),
    "Minimum": _routes("min", "smaller"),
    "Max": lambda u: "max routes: the gradient goes to the largest element",
    "Relu": lambda u: "relu gates: the gradient passes where the input was > 0",
    # Not patterns with a name, but the local derivatives every course writes out.
    "Div": lambda u: "local: d(a/b)/da = 1/b" if u.position == 0 else "local: d(a/b)/db = -a/b^2",
    "Exp": lambda u: "local: d(e^x)/dx = e^x, the output itself",
    "Neg": lambda u: "local: d(-x)/dx = -1",
    "Log": lambda u: "local: d(ln x)/dx = 1/x",
    "Sigmoid": lambda u: "local: sigma(x)(1 - sigma(x)), from the output",
    "Tanh": lambda u: "local: 1 - tanh(x)^2, from the output",
    "PowScalar": lambda u: "local: d(x^c)/dx = c x^(c-1)",
    "Sqrt": lambda u: "local: 1 / (2 sqrt(x))",
    # Ops on arrays: the vector-Jacobian product, never the Jacobian itself.
    "Sum": lambda u: "sum distributes: every element gets the upstream gradient",
    "Expand": lambda u: "copy adds: the copies' gradients are summed back",
    "Linear": lambda u: ("dL/dx = g W", "dL/dW = g^T x", "dL/db = sum of g over the batch")[
        u.position
    ],
    "MatMul": lambda u: ("dL/da = g b^T", "dL/db = a^T g")[u.position],
    "Cat": lambda u: "each input gets its own slice of the gradient",
    "GetItem": lambda u: "the gradient goes back to the picked elements",
    "Reshape": lambda u: "the gradient is reshaped back",
    "Permute": lambda u: "the gradient's axes are put back in order",
    "SoftmaxCrossEntropy": lambda u: "softmax(x) - one_hot(y), times upstream (/ N for a mean)",
}


def _rule_of(op_class: type) -> str:
    """The local derivative stated in an op's docstring (``d/dx = ...``), else the
    docstring's second sentence (where ops of ``autograd/ops.py`` say how the gradient
    flows), else nothing."""
    doc = " ".join((op_class.__doc__ or "").split())
    match = re.search(r"\bd\w*/d\w", doc)  # d/dx, dL/dx, dloss_i/dx_i
    if match:
        return "local: " + _clause(doc[match.start() :])
    sentences = " ".join((op_class.__doc__ or "").strip().split("\n")).split(".  ")
    return _clause(" ".join(sentences[1].split())) if len(sentences) > 1 else ""


def _clause(text: str, limit: int = 72) -> str:
    """``text`` up to the end of its first clause, at most ``limit`` characters."""
    ends = [text.find(mark) for mark in (". ", ": ", "; ", ", where")]
    end = min([e for e in ends if e > 0], default=len(text))
    clause = text[:end].rstrip(".")
    return clause if len(clause) <= limit else clause[: limit - 3].rstrip() + "..."


class Explanation:
    """The step-by-step backward pass of a computation, as a table.

    ``str(explanation)`` (or ``to_text()``) gives plain text, ``to_markdown()`` a
    Markdown table; ``rows`` holds the numbers for programs, ``gradients`` the final
    gradient of every input.
    """

    def __init__(self, traced: Trace, digits: int = 4, title: str | None = None) -> None:
        self.trace = traced
        self.digits = digits
        self.title = title
        self.rows: list[ExplainRow] = _rows(traced)

    @property
    def output_name(self) -> str:
        return self.trace.values[self.trace.output].name

    @property
    def gradients(self) -> dict[str, Any]:
        """d output / d input for every input (leaf that requires grad), by name."""
        return {v.name: as_float_or_array(v.grad) for v in self.trace.inputs()}

    # ------------------------------------------------------------------ text forms

    def forward_lines(self) -> list[str]:
        """The forward pass, one line per input and op: ``t1 = x + y = 3``."""
        fmt = self._fmt
        lines = []
        for value in self.trace.values:
            if value.kind == "input":
                lines.append(f"{value.name} = {fmt(value.data)}")
            elif value.kind == "op":
                formula = _formula(self.trace, value)
                lines.append(f"{value.name} = {formula} = {fmt(value.data)}    [{value.op}]")
        return lines

    def table(self) -> tuple[list[str], list[list[str]]]:
        """The header and the rows of the backward table, as text cells."""
        header = ["step", "node", "op", "value", "upstream", "input", "local", "passed down"]
        header.append("pattern / rule")
        cells: list[list[str]] = []
        previous_step = -1
        for row in self.rows:
            first = row.step != previous_step
            previous_step = row.step
            cells.append(
                [
                    str(row.step) if first else "",
                    row.node if first else "",
                    row.op if first else "",
                    self._fmt(row.value) if first else "",
                    self._fmt(row.upstream) if first else "",
                    row.input,
                    self._fmt(row.local),
                    self._fmt(row.passed),
                    row.note,
                ]
            )
        return header, cells

    def gradient_line(self) -> str:
        """``df/dx = -4, df/dy = -4, df/dz = 3``."""
        f = self.output_name
        return ", ".join(f"d{f}/d{name} = {self._fmt(g)}" for name, g in self.gradients.items())

    def to_text(self) -> str:
        """The explanation as plain text: forward pass, backward table, gradients."""
        header, cells = self.table()
        widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(header))]

        def line(row: list[str]) -> str:
            return "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()

        parts = [self.title] if self.title else []
        parts.append("Forward pass (inputs to output):")
        parts.extend("  " + text for text in self.forward_lines())
        parts.append("")
        parts.append(
            "Backward pass (output to inputs; passed down = local gradient x upstream gradient):"
        )
        parts.append(line(header))
        parts.append(line(["-" * width for width in widths]))
        parts.extend(line(row) for row in cells)
        parts.append("")
        parts.append("Gradients: " + self.gradient_line())
        return "\n".join(parts)

    def to_markdown(self) -> str:
        """The explanation as Markdown: the forward pass as a list, the backward table."""
        header, cells = self.table()

        def row(items: list[str]) -> str:
            return "| " + " | ".join(item.replace("|", "\\|") for item in items) + " |"

        parts = [f"**{self.title}**", ""] if self.title else []
        parts.append("Forward pass:")
        parts.append("")
        parts.extend(f"- `{text}`" for text in self.forward_lines())
        parts.append("")
        parts.append("Backward pass (passed down = local x upstream):")
        parts.append("")
        parts.append(row(header))
        parts.append(row(["---"] * len(header)))
        parts.extend(row(cell) for cell in cells)
        parts.append("")
        parts.append("Gradients: " + self.gradient_line())
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<Explanation of {self.output_name}: {len(self.rows)} rows>"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _fmt(self, x: Any) -> str:
        if x is None:
            return "-"
        return summary(x, self.digits)


def explain(
    output: Tensor,
    names: Any = None,
    grad_output: Any = None,
    digits: int = 4,
    title: str | None = None,
    output_name: str = "f",
) -> Explanation:
    """The backward pass of ``output``'s graph, step by step, as a table.

    Args:
        output: the result of a computation on tensors that require grad.
        names: a Module, or a dict name -> tensor, naming inputs and (optionally)
            intermediate results; others are called ``t1``, ``t2``, ... in forward order.
        grad_output: the gradient flowing into ``output`` (needed when it has more
            than one element).
        digits: significant digits in the text forms.
        title: a line printed above the table.
        output_name: the output's name when ``names`` does not give one (``f``).

    Returns:
        An ``Explanation``: print it, or read ``.rows`` and ``.gradients``.

    Example::

        >>> w = cr.tensor([2.0, -3.0, -3.0], dtype=cr.float64, requires_grad=True)
        >>> x = cr.tensor([-1.0, -2.0], dtype=cr.float64, requires_grad=True)
        >>> f = (w[0] * x[0] + w[1] * x[1] + w[2]).sigmoid()
        >>> explain(f, names={"w": w, "x": x}).gradients["x"]   # [0.39, -0.59]
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"explain() takes a Tensor, got {type(output).__name__}")
    if output.grad_fn is None:
        raise ValueError(
            "explain() needs the result of a computation on tensors with requires_grad=True; "
            "this tensor has no graph behind it (a leaf, or computed under no_grad())"
        )
    if grad_output is None and output.data.size != 1:
        raise ValueError(
            f"explain(): the output has shape {output.shape}; pass grad_output (the gradient "
            "flowing into it) or explain a scalar such as output.sum()"
        )
    traced = trace(output, names, grad_output=grad_output, output_name=output_name)
    return Explanation(traced, digits=digits, title=title)


def _formula(traced: Trace, value: Value) -> str:
    """How an op value was computed, in terms of its inputs' names."""
    names = [_operand(traced.values[i].name) for i in value.inputs]
    maker = _FORMULAS.get(value.op or "")
    if maker is not None:
        return maker(names, value.node)
    return f"{(value.op or '').lower()}({', '.join(names)})"


def _operand(name: str) -> str:
    """A name as an operand: in parentheses if it is not a plain name or number."""
    plain = name.replace(".", "").replace("_", "").replace("-", "", 1).isalnum()
    return name if plain else f"({name})"


def _rows(traced: Trace) -> list[ExplainRow]:
    """One row per (op, input), ops in backward order, with the notes filled in."""
    values, edges = traced.values, traced.edges
    fan_in_notes = _copy_adds_notes(traced)
    rows = []
    for value in traced.ops_backward():
        if value.grad is None:
            continue  # no gradient reaches this op
        for position, edge_index in enumerate(value.in_edges):
            edge = edges[edge_index]
            source = values[edge.source]
            note = _note(traced, value, position, edge)
            extra = fan_in_notes.get(edge.index)
            if extra:
                note = f"{note}; {extra}" if note else extra
            rows.append(
                ExplainRow(
                    step=edge.step,
                    node=value.name,
                    op=value.op or "",
                    value=as_float_or_array(value.data),
                    upstream=as_float_or_array(value.grad),
                    input=source.name,
                    local=as_float_or_array(edge.local if edge.grad is not None else None),
                    passed=as_float_or_array(edge.grad),
                    note=note,
                )
            )
    return rows


def _note(traced: Trace, value: Value, position: int, edge: Edge) -> str:
    """The pattern of backward flow through this input of this op."""
    source = traced.values[edge.source]
    if source.kind == "constant":
        return "a constant: no gradient"
    pattern = PATTERNS.get(value.op or "")
    if pattern is None:
        return _rule_of(type(value.node))
    other = ""
    other_value = ""
    if len(value.inputs) == 2:
        other_index = value.inputs[1 - position]
        other = traced.values[other_index].name
        other_value = summary(traced.values[other_index].data)
    return pattern(_Use(source.name, position, other, other_value, edge.local))


def _term(text: str) -> str:
    """A negative number in a sum, in parentheses: 1 + (-1)."""
    return f"({text})" if text.startswith("-") else text


def _copy_adds_notes(traced: Trace) -> dict[int, str]:
    """For each value used more than once, a note on the edge that completes its sum."""
    notes = {}
    for value in traced.values:
        shares = [traced.edges[e] for e in value.uses if traced.edges[e].grad is not None]
        if len(shares) < 2:
            continue
        # The backward pass visits the higher step later; within one op, the later input.
        shares.sort(key=lambda e: (e.step, e.position))
        total = summary(value.grad) if value.grad is not None else "?"
        terms = " + ".join(_term(summary(e.grad)) for e in shares)
        notes[shares[-1].index] = (
            f"copy adds: {value.name} is used {len(shares)} times, {terms} = {total}"
        )
    return notes
