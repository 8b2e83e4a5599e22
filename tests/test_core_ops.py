"""Every primitive op, forward and backward, against finite differences and PyTorch.

One table of test cases drives all three checks (style.md: one table of test
functions reused for value and derivative tests):

* ``test_gradcheck``: chainrule's backward against central differences (float64);
* ``test_matches_torch``: values and gradients against PyTorch in float64;
* ``test_gradcheck_generated_shapes``: Hypothesis draws broadcastable shapes for the
  elementwise binary ops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule as cr


@dataclass(frozen=True)
class Case:
    """One op under test: the same function written for chainrule and for torch."""

    name: str
    shapes: tuple[tuple[int, ...], ...]
    ours: Callable[..., Any]
    theirs: Callable[..., Any]
    # Maps standard-normal samples into the op's domain (e.g. positive for log).
    domain: Callable[[np.ndarray], np.ndarray] = lambda x: x


def squared_error(x: cr.Tensor, t: cr.Tensor, mean: bool, half: bool = False) -> cr.Tensor:
    from chainrule.autograd.ops import SquaredError

    return SquaredError(mean, half)(x, t)


def positive(x: np.ndarray) -> np.ndarray:
    return np.abs(x) + 0.5


def away_from_zero(x: np.ndarray) -> np.ndarray:
    """Keep kinks (relu, abs, clamp at 0) out of the finite-difference step."""
    return np.where(np.abs(x) < 0.1, x + np.sign(x + 1e-12) * 0.2, x)


def distinct(x: np.ndarray) -> np.ndarray:
    """Make values distinct so max/min and their gradients have one winner."""
    return x + np.arange(x.size).reshape(x.shape) * 0.37


CASES = [
    # elementwise, two inputs, with broadcasting
    Case("add", ((3, 4), (4,)), lambda a, b: a + b, lambda a, b: a + b),
    Case("add_scalar", ((3, 4),), lambda a: 2.5 + a, lambda a: 2.5 + a),
    Case("sub", ((2, 3, 4), (3, 1)), lambda a, b: a - b, lambda a, b: a - b),
    Case("rsub_scalar", ((3,),), lambda a: 1 - a, lambda a: 1 - a),
    Case("mul", ((3, 4), (3, 1)), lambda a, b: a * b, lambda a, b: a * b),
    Case("div", ((3, 4), (4,)), lambda a, b: a / b, lambda a, b: a / b, positive),
    Case("rdiv_scalar", ((5,),), lambda a: 1 / a, lambda a: 1 / a, positive),
    Case("pow", ((3, 4), (3, 4)), lambda a, b: a**b, lambda a, b: a**b, positive),
    Case("pow_scalar", ((3, 4),), lambda a: a**3, lambda a: a**3),
    Case("pow_half", ((6,),), lambda a: a**0.5, lambda a: a**0.5, positive),
    Case("square", ((6,),), lambda a: a**2, lambda a: a**2),
    Case("rpow", ((4,),), lambda a: 2.0**a, lambda a: 2.0**a),
    Case("maximum", ((3, 4), (4,)), lambda a, b: a.maximum(b), lambda a, b: a.maximum(b)),
    Case("minimum", ((3, 4), (3, 4)), lambda a, b: a.minimum(b), lambda a, b: a.minimum(b)),
    Case(
        "where",
        ((3, 4), (3, 4)),
        lambda a, b: cr.where(a > 0, a, b),
        lambda a, b: __import__("torch").where(a > 0, a, b),
        away_from_zero,
    ),
    # elementwise, one input
    Case("neg", ((3, 4),), lambda a: -a, lambda a: -a),
    Case("exp", ((3, 4),), lambda a: a.exp(), lambda a: a.exp()),
    Case("log", ((3, 4),), lambda a: a.log(), lambda a: a.log(), positive),
    Case("sqrt", ((3, 4),), lambda a: a.sqrt(), lambda a: a.sqrt(), positive),
    Case("abs", ((3, 4),), lambda a: a.abs(), lambda a: a.abs(), away_from_zero),
    Case("sin", ((3, 4),), lambda a: a.sin(), lambda a: a.sin()),
    Case("cos", ((3, 4),), lambda a: a.cos(), lambda a: a.cos()),
    Case("tanh", ((3, 4),), lambda a: a.tanh(), lambda a: a.tanh()),
    Case("sigmoid", ((3, 4),), lambda a: a.sigmoid(), lambda a: a.sigmoid()),
    Case("relu", ((3, 4),), lambda a: a.relu(), lambda a: a.relu(), away_from_zero),
    Case(
        "clamp",
        ((4, 5),),
        lambda a: a.clamp(-0.5, 0.7),
        lambda a: a.clamp(-0.5, 0.7),
        lambda x: np.where(np.abs(np.abs(x) - 0.6) < 0.1, x * 1.5, x),
    ),
    Case(
        "clamp_min",
        ((7,),),
        lambda a: a.clamp(min=0.1),
        lambda a: a.clamp(min=0.1),
        away_from_zero,
    ),
    # reductions
    Case("sum_all", ((3, 4),), lambda a: a.sum(), lambda a: a.sum()),
    Case("sum_dim", ((3, 4, 2),), lambda a: a.sum(dim=1), lambda a: a.sum(dim=1)),
    Case(
        "sum_dims_keep",
        ((3, 4, 2),),
        lambda a: a.sum(dim=(0, 2), keepdim=True),
        lambda a: a.sum(dim=(0, 2), keepdim=True),
    ),
    Case(
        "sum_axis_alias",
        ((3, 4),),
        lambda a: a.sum(axis=-1, keepdims=True),
        lambda a: a.sum(dim=-1, keepdim=True),
    ),
    Case("mean", ((3, 4),), lambda a: a.mean(dim=0), lambda a: a.mean(dim=0)),
    Case("var", ((5, 4),), lambda a: a.var(dim=0), lambda a: a.var(dim=0)),
    Case("std_all", ((5, 4),), lambda a: a.std(), lambda a: a.std()),
    Case("amax", ((3, 4),), lambda a: a.amax(dim=1), lambda a: a.amax(dim=1), distinct),
    Case("amax_all", ((3, 4),), lambda a: a.amax(), lambda a: a.amax(), distinct),
    Case(
        "amin",
        ((3, 4),),
        lambda a: a.amin(dim=0, keepdim=True),
        lambda a: a.amin(dim=0, keepdim=True),
        distinct,
    ),
    Case(
        "max_dim_values",
        ((3, 4),),
        lambda a: a.max(dim=1).values,
        lambda a: a.max(dim=1).values,
        distinct,
    ),
    Case("logsumexp", ((3, 4),), lambda a: a.logsumexp(dim=1), lambda a: a.logsumexp(dim=1)),
    Case(
        "logsumexp_big",
        ((3, 4),),
        lambda a: (a * 300).logsumexp(dim=0),
        lambda a: (a * 300).logsumexp(dim=0),
    ),
    Case("softmax", ((3, 5),), lambda a: a.softmax(dim=-1), lambda a: a.softmax(dim=-1)),
    Case("softmax_dim0", ((3, 5),), lambda a: a.softmax(dim=0), lambda a: a.softmax(dim=0)),
    Case("log_softmax", ((3, 5),), lambda a: a.log_softmax(dim=1), lambda a: a.log_softmax(dim=1)),
    # shapes
    Case("reshape", ((3, 4),), lambda a: a.reshape(2, 6), lambda a: a.reshape(2, 6)),
    Case("view_infer", ((3, 4),), lambda a: a.view(-1, 2), lambda a: a.view(-1, 2)),
    Case("transpose", ((2, 3, 4),), lambda a: a.transpose(0, 2), lambda a: a.transpose(0, 2)),
    Case("permute", ((2, 3, 4),), lambda a: a.permute(1, 2, 0), lambda a: a.permute(1, 2, 0)),
    Case("T", ((3, 4),), lambda a: a.T, lambda a: a.T),
    Case("unsqueeze", ((3, 4),), lambda a: a.unsqueeze(1), lambda a: a.unsqueeze(1)),
    Case("squeeze", ((3, 1, 4),), lambda a: a.squeeze(1), lambda a: a.squeeze(1)),
    Case("flatten", ((2, 3, 4),), lambda a: a.flatten(1), lambda a: a.flatten(1)),
    Case("expand", ((3, 1),), lambda a: a.expand(3, 4), lambda a: a.expand(3, 4)),
    Case("expand_new_axis", ((4,),), lambda a: a.expand(2, -1), lambda a: a.expand(2, -1)),
    Case("getitem_slice", ((4, 5),), lambda a: a[1:3, ::2], lambda a: a[1:3, ::2]),
    Case("getitem_int", ((4, 5),), lambda a: a[2], lambda a: a[2]),
    Case("getitem_none", ((4,),), lambda a: a[None, :], lambda a: a[None, :]),
    Case(
        "getitem_repeated",
        ((4, 3),),
        lambda a: a[[0, 2, 2, 0, 0]],
        lambda a: a[[0, 2, 2, 0, 0]],
    ),
    Case(
        "getitem_pairs",
        ((4, 3),),
        lambda a: a[cr.tensor([0, 1, 3, 1]), cr.tensor([2, 0, 1, 0])],
        lambda a: a[[0, 1, 3, 1], [2, 0, 1, 0]],
    ),
    Case(
        "getitem_mask",
        ((3, 4),),
        lambda a: a[a > 0],
        lambda a: a[a > 0],
        away_from_zero,
    ),
    Case(
        "cat",
        ((2, 3), (4, 3)),
        lambda a, b: cr.cat([a, b]),
        lambda a, b: __import__("torch").cat([a, b]),
    ),
    Case(
        "cat_dim1",
        ((2, 3), (2, 1)),
        lambda a, b: cr.cat([a, b], dim=1),
        lambda a, b: __import__("torch").cat([a, b], dim=1),
    ),
    Case(
        "stack",
        ((2, 3), (2, 3)),
        lambda a, b: cr.stack([a, b], dim=1),
        lambda a, b: __import__("torch").stack([a, b], dim=1),
    ),
    Case("clone", ((3,),), lambda a: a.clone() * a, lambda a: a.clone() * a),
    # linear algebra
    Case("matmul", ((3, 4), (4, 2)), lambda a, b: a @ b, lambda a, b: a @ b),
    Case("matmul_batched", ((2, 3, 4), (4, 5)), lambda a, b: a @ b, lambda a, b: a @ b),
    Case("matmul_both_batched", ((2, 3, 4), (2, 4, 5)), lambda a, b: a @ b, lambda a, b: a @ b),
    Case("matmul_vec_right", ((3, 4), (4,)), lambda a, b: a @ b, lambda a, b: a @ b),
    Case("matmul_vec_left", ((4,), (4, 2)), lambda a, b: a @ b, lambda a, b: a @ b),
    Case("dot", ((4,), (4,)), lambda a, b: a @ b, lambda a, b: a @ b),
    Case(
        "linear",
        ((5, 3), (4, 3), (4,)),
        lambda x, w, b: __import__("chainrule.autograd.ops").autograd.ops.Linear()(x, w, b),
        lambda x, w, b: __import__("torch").nn.functional.linear(x, w, b),
    ),
    Case(
        "linear_batched_no_bias",
        ((2, 5, 3), (4, 3)),
        lambda x, w: __import__("chainrule.autograd.ops").autograd.ops.Linear()(x, w),
        lambda x, w: __import__("torch").nn.functional.linear(x, w),
    ),
    Case(
        "squared_error_mean",
        ((5, 3), (5, 3)),
        lambda x, t: squared_error(x, t, mean=True),
        lambda x, t: __import__("torch").nn.functional.mse_loss(x, t),
    ),
    Case(
        "squared_error_half_sum",
        ((4,), (4,)),
        lambda x, t: squared_error(x, t, mean=False, half=True),
        lambda x, t: ((x - t) ** 2).sum() / 2,
    ),
    Case(
        "sum_of_squares",
        ((3, 2), (4,), (2, 2)),
        lambda a, b, c: __import__("chainrule.autograd.ops").autograd.ops.SumOfSquares(0.3)(
            a, b, c
        ),
        lambda a, b, c: 0.3 * ((a * a).sum() + (b * b).sum() + (c * c).sum()),
    ),
    # compositions: fan-out and reuse of one value
    Case("fan_out", ((3,),), lambda a: a * a.exp() + a, lambda a: a * a.exp() + a),
    Case(
        "mlp_layer",
        ((5, 3), (4, 3), (4,)),
        lambda x, w, b: (x @ w.T + b).tanh().sum(dim=1),
        lambda x, w, b: (x @ w.T + b).tanh().sum(dim=1),
    ),
]

IDS = [case.name for case in CASES]


def make_inputs(case: Case, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [case.domain(rng.standard_normal(shape)) for shape in case.shapes]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradcheck(case: Case) -> None:
    inputs = [cr.tensor(x, requires_grad=True) for x in make_inputs(case)]
    assert cr.gradcheck(case.ours, inputs)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_torch(case: Case) -> None:
    torch = pytest.importorskip("torch")
    arrays = make_inputs(case, seed=1)
    ours = [cr.tensor(x, requires_grad=True) for x in arrays]
    theirs = [torch.tensor(x, requires_grad=True) for x in arrays]
    out, expected = case.ours(*ours), case.theirs(*theirs)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert out.dtype == np.float64
    # A random upstream gradient checks the whole vector-Jacobian product.
    upstream = np.random.default_rng(2).standard_normal(expected.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(
            mine.grad.numpy(), reference.grad.numpy(), rtol=1e-10, atol=1e-12
        )


BINARY_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "maximum": lambda a, b: a.maximum(b),
    "pow": lambda a, b: (a * a + 1) ** b,
}


@st.composite
def broadcastable_pair(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    elements = st.floats(-2, 2, allow_nan=False, width=64)
    a = draw(hnp.arrays(np.float64, shapes.input_shapes[0], elements=elements))
    b = draw(hnp.arrays(np.float64, shapes.input_shapes[1], elements=elements))
    return a, b


@pytest.mark.parametrize("name", list(BINARY_OPS))
@settings(max_examples=25, deadline=None)
@given(pair=broadcastable_pair())
def test_gradcheck_generated_shapes(name: str, pair: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = pair
    if name == "maximum":  # ties make max non-differentiable: keep them apart
        b = b + 0.05 + np.abs(a).max(initial=0) * 0 + 1e-3 * np.arange(b.size).reshape(b.shape)
        if np.any(np.abs(np.broadcast_arrays(a, b)[0] - np.broadcast_arrays(a, b)[1]) < 1e-3):
            return
    fn = BINARY_OPS[name]
    inputs = [cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)]
    assert cr.gradcheck(fn, inputs)
    # The gradient of each input has that input's shape, not the broadcast shape.
    fn(*inputs).sum().backward()
    assert inputs[0].grad.shape == a.shape
    assert inputs[1].grad.shape == b.shape


@settings(max_examples=25, deadline=None)
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
    data=st.data(),
)
def test_reductions_over_generated_shapes(shape: tuple[int, ...], data: st.DataObject) -> None:
    torch = pytest.importorskip("torch")
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdim = data.draw(st.booleans())
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    for reduce in ("sum", "mean", "logsumexp"):
        ours = cr.tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        getattr(ours, reduce)(dim, keepdim).sum().backward()
        getattr(theirs, reduce)(dim, keepdim).sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10)


def test_ties_split_the_gradient_like_torch() -> None:
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours.amax(dim=1).sum().backward()
    theirs.amax(dim=1).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())
    a, b = cr.tensor([1.0, 2.0], requires_grad=True), cr.tensor([1.0, 0.0], requires_grad=True)
    a.maximum(b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.5, 1.0])
    np.testing.assert_allclose(b.grad.numpy(), [0.5, 0.0])


def test_softmax_is_stable_for_huge_logits() -> None:
    x = cr.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    p = x.softmax(dim=1)
    assert np.all(np.isfinite(p.numpy()))
    np.testing.assert_allclose(p.numpy(), [[1.0, 0.0, 0.0]], atol=1e-7)
    logp = x.log_softmax(dim=1)
    np.testing.assert_allclose(logp.numpy(), [[0.0, -1000.0, -2000.0]])
    logp[0, 1].backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_cast_between_float_dtypes_carries_the_gradient_back() -> None:
    x = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
