"""``chainrule.viz.explain`` and ``trace``: the course's circuits, step by step."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.viz import explain, parse_expression, trace


def circuit() -> tuple[cr.Tensor, dict[str, cr.Tensor]]:
    """f = (x + y) z at x=-2, y=5, z=-4."""
    result = parse_expression("(x+y)*z").evaluate({"x": -2, "y": 5, "z": -4})
    return result.output, result.inputs


def neuron() -> tuple[cr.Tensor, dict[str, cr.Tensor]]:
    """The sigmoid neuron of the slides, gate by gate."""
    result = parse_expression("1/(1+exp(-(w0*x0+w1*x1+w2)))").evaluate(
        {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
    )
    return result.output, result.inputs


def test_first_circuit_reproduces_the_slide() -> None:
    f, inputs = circuit()
    explanation = explain(f, inputs)
    assert explanation.gradients == {"x": -4.0, "y": -4.0, "z": 3.0}
    mul_q, mul_z, add_x, add_y = explanation.rows
    assert (mul_q.step, mul_q.op, mul_q.value, mul_q.upstream) == (1, "Mul", -12.0, 1.0)
    assert (mul_q.input, mul_q.local, mul_q.passed) == ("t1", -4.0, -4.0)  # q gets z
    assert (mul_z.input, mul_z.local, mul_z.passed) == ("z", 3.0, 3.0)  # z gets q
    assert (add_x.step, add_x.op, add_x.value, add_x.upstream) == (2, "Add", 3.0, -4.0)
    assert (add_x.local, add_x.passed, add_y.passed) == (1.0, -4.0, -4.0)
    assert "mul swaps" in mul_q.note and "add distributes" in add_x.note
    text = str(explanation)
    assert "df/dx = -4, df/dy = -4, df/dz = 3" in text
    assert "f = t1 * z = -12" in text


def test_sigmoid_neuron_reproduces_the_slide() -> None:
    f, inputs = neuron()
    explanation = explain(f, inputs)
    assert round(f.item(), 2) == 0.73
    grads = {name: round(g, 2) for name, g in explanation.gradients.items()}
    assert grads == {"w0": -0.20, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.20}
    # The upstream gradient at each gate, output first: 1/x, +1, exp, *-1, +, +, *, *.
    by_step: dict[int, float] = {r.step: r.upstream for r in explanation.rows}
    assert [round(by_step[s], 2) for s in range(1, 9)] == [
        1.0, -0.53, -0.53, -0.20, 0.20, 0.20, 0.20, 0.20
    ]  # fmt: skip
    # The constants 1 of "1 + e" and "1 / d" have rows too, without gradient.
    constant_rows = [r for r in explanation.rows if r.input == "1"]
    assert len(constant_rows) == 2
    assert all(r.passed is None and "constant" in r.note for r in constant_rows)
    # exp's local gradient is its output e^-1 ~ 0.37, 1/x's is -1/x^2 ~ -0.53.
    exp_row = next(r for r in explanation.rows if r.op == "Exp")
    assert round(exp_row.local, 2) == 0.37 and round(exp_row.passed, 2) == -0.20
    div_row = next(r for r in explanation.rows if r.op == "Div" and r.input != "1")
    assert round(div_row.local, 2) == -0.53


def test_sigmoid_as_one_gate_gives_the_same_gradients() -> None:
    w = cr.tensor([2.0, -3.0, -3.0], dtype=cr.float64, requires_grad=True)
    x = cr.tensor([-1.0, -2.0], dtype=cr.float64, requires_grad=True)
    f = (w[0] * x[0] + w[1] * x[1] + w[2]).sigmoid()
    explanation = explain(f, {"w": w, "x": x})
    np.testing.assert_allclose(explanation.gradients["w"], [-0.19661, -0.39322, 0.19661], atol=1e-5)
    np.testing.assert_allclose(explanation.gradients["x"], [0.39322, -0.58984], atol=1e-5)
    sigmoid_row = next(r for r in explanation.rows if r.op == "Sigmoid")
    assert round(sigmoid_row.local, 4) == round(0.7311 * (1 - 0.7311), 4)
    # w is read by three GetItem ops: its three shares add up ("copy adds").
    assert any("copy adds: w is used 3 times" in r.note for r in explanation.rows)


def test_max_routes_and_copy_adds_are_named() -> None:
    result = parse_expression("x*y + max(x, z) + x").evaluate({"x": 3, "y": -1, "z": 2})
    explanation = explain(result.output, result.inputs)
    notes = [r.note for r in explanation.rows]
    assert any("max routes: x was the larger" in n for n in notes)
    assert any("max routes: z was not the larger, it gets none" in n for n in notes)
    assert any("copy adds: x is used 3 times, 1 + 1 + (-1) = 1" in n for n in notes)
    assert explanation.gradients == {"x": 1.0, "y": 3.0, "z": 0.0}


def test_markdown_and_rows_for_programs() -> None:
    f, inputs = circuit()
    markdown = explain(f, inputs).to_markdown()
    assert "| step | node | op | value | upstream | input | local | passed down |" in markdown
    assert "| 1 | f | Mul | -12 | 1 | t1 | -4 | -4 |" in markdown


def test_explain_leaves_grad_and_graph_alone() -> None:
    f, inputs = circuit()
    explain(f, inputs)
    assert all(t.grad is None for t in inputs.values())
    f.backward()  # the graph is still there
    assert inputs["z"].grad.item() == 3.0


def test_explain_errors() -> None:
    v = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="grad_output"):
        explain(v * 2)
    with pytest.raises(ValueError, match="no graph"):
        explain(v)
    with pytest.raises(TypeError):
        explain(3.0)  # type: ignore[arg-type]
    out = (v * v).sum()
    out.backward()
    with pytest.raises(RuntimeError, match="freed by backward"):
        explain(out)


def test_arrays_get_vector_jacobian_products() -> None:
    v = cr.tensor([1.0, -2.0, 3.0], dtype=cr.float64, requires_grad=True)
    explanation = explain((v * v).sum(), {"v": v})
    sum_row = explanation.rows[0]
    assert sum_row.op == "Sum" and isinstance(sum_row.passed, np.ndarray)
    np.testing.assert_allclose(explanation.gradients["v"], [2.0, -4.0, 6.0])
    explained = explain(v * 3, {"v": v}, grad_output=np.ones(3))
    np.testing.assert_allclose(explained.gradients["v"], [3.0, 3.0, 3.0])


def test_trace_matches_the_engine_on_a_network() -> None:
    cr.manual_seed(0)
    x = cr.randn(5, 3)
    w1 = cr.randn(4, 3, requires_grad=True)
    w2 = cr.randn(2, 4, requires_grad=True)
    hidden = (x @ w1.T).tanh()
    out = (hidden @ w2.T).relu()
    loss = (out * out).mean() + (hidden.amax() - w1.sum()) ** 2
    traced = trace(loss, {"w1": w1, "w2": w2, "hidden": hidden})
    expected = cr.autograd.grad(loss, [w1, w2, hidden], retain_graph=True)
    got = [traced.find(t).grad for t in (w1, w2, hidden)]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e.numpy(), rtol=1e-6)
    assert traced.find(hidden).name == "hidden"
    # Each share on an edge is upstream x local for elementwise ops.
    for edge in traced.edges:
        target = traced.values[edge.target]
        if target.op == "Tanh":
            np.testing.assert_allclose(edge.grad, target.grad * edge.local, rtol=1e-6)


def test_trace_refuses_values_changed_in_place() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with cr.no_grad():
        w -= 0.1
    with pytest.raises(RuntimeError, match="changed in place"):
        trace(loss)
