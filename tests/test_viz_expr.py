"""The safe expression parser of ``chainrule explain``: grammar, errors, values, gradients."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.viz.expr import ExpressionError, parse_expression

REFUSED = {
    "__import__('os')": "__import__",
    "__import__('os').system('ls')": "__import__('os').system",
    "x.real": "attribute access",
    "exp(x).data": "attribute access",
    "lambda: 1": "lambda",
    "(lambda: x)()": "lambda",
    "x[0]": "subscript",
    "[i for i in x]": "comprehension",
    "{i for i in x}": "comprehension",
    "(i for i in x)": "comprehension",
    "{i: i for i in x}": "comprehension",
    "x if x else 1": "conditional",
    "x == 1": "comparison",
    "'text'": "constant",
    "open('f')": "calling 'open'",
    "exp(x=1)": "keyword argument",
    "exp(x, x)": "exp() with 2 argument(s)",
    "_x + 1": "'_x'",
    "exp + 1": "'exp' without a call",
    "x // 2": "FloorDiv",
    "x @ x": "MatMult",
    "(x := 2)": "assignment",
    "1j * x": "constant",
    "True * x": "constant",
    "[x, x]": "a list",
}


@pytest.mark.parametrize("source", sorted(REFUSED))
def test_refuses_anything_outside_the_grammar(source: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(source)
    message = str(caught.value)
    assert REFUSED[source] in message
    assert "not allowed" in message and "column" in message


def test_syntax_errors_point_at_the_column() -> None:
    with pytest.raises(ExpressionError, match="cannot parse"):
        parse_expression("(x + ")
    with pytest.raises(ExpressionError, match="empty"):
        parse_expression("   ")
    with pytest.raises(TypeError):
        parse_expression(3)  # type: ignore[arg-type]


def test_variables_in_order_of_first_use() -> None:
    expression = parse_expression("1/(1+exp(-(w0*x0+w1*x1+w2)))")
    assert expression.variables == ("w0", "x0", "w1", "x1", "w2")
    assert parse_expression("x*x + x").variables == ("x",)


def test_missing_and_unused_values_are_named() -> None:
    expression = parse_expression("x * y")
    with pytest.raises(ExpressionError, match="no value for 'y'"):
        expression.evaluate({"x": 1.0})
    with pytest.raises(ExpressionError, match="'z' given a value but not used"):
        expression.evaluate({"x": 1.0, "y": 2.0, "z": 3.0})
    with pytest.raises(ExpressionError, match="must be a number"):
        expression.evaluate({"x": "a", "y": 2.0})
    with pytest.raises(ExpressionError, match="no variables"):
        parse_expression("2 * 3").evaluate({})


def test_huge_powers_do_not_hang() -> None:
    result = parse_expression("9**9**9 * x").evaluate({"x": 1.0})
    assert np.isinf(result.output.item())


def test_values_and_gradients_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    source = (
        "tanh(x*y) + sigmoid(x) / (1 + exp(-y)) - sqrt(abs(x)) + log(y**2) "
        "+ max(x, y) * min(x, y) + relu(x - y) - -x + +y ** 3 / 2"
    )
    values = {"x": 0.7, "y": -1.3}
    result = parse_expression(source).evaluate(values)
    result.output.backward()

    tx = torch.tensor(values["x"], dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(values["y"], dtype=torch.float64, requires_grad=True)
    expected = (
        torch.tanh(tx * ty)
        + torch.sigmoid(tx) / (1 + torch.exp(-ty))
        - torch.sqrt(torch.abs(tx))
        + torch.log(ty**2)
        + torch.maximum(tx, ty) * torch.minimum(tx, ty)
        + torch.relu(tx - ty)
        + tx
        + ty**3 / 2
    )
    expected.backward()
    assert result.output.dtype == cr.float64
    np.testing.assert_allclose(result.output.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(result.inputs["x"].grad.item(), tx.grad.item(), rtol=1e-12)
    np.testing.assert_allclose(result.inputs["y"].grad.item(), ty.grad.item(), rtol=1e-12)


def test_max_of_one_argument_reduces_an_array() -> None:
    result = parse_expression("max(v) + min(v)").evaluate({"v": [1.0, -2.0, 5.0]})
    assert result.output.item() == 3.0
