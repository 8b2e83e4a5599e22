"""The lean forward/backward of SoftmaxCrossEntropy and Relu give what the plain
formulas give.

SoftmaxCrossEntropy keeps the softmax of its forward for backward; Relu's backward
multiplies by a float mask instead of a bool one. These tests pin the results to the
textbook formulas (bit for bit), to PyTorch and to finite differences, in float32 and
float64, and check the cases a kept softmax could get wrong: an op that ran forward
on other logits before its backward (as a compiled function's replay does), a second
backward (retain_graph), and the recorded backward of create_graph.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import ops

DTYPES = [np.float32, np.float64]
REDUCTIONS = ["mean", "sum", "none"]
# Tolerances against PyTorch, which sums in another order.
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}


def plain_cross_entropy(x: np.ndarray, y: np.ndarray, reduction: str) -> np.ndarray:
    """loss_i = log sum_j e^(x_ij - m_i) - (x_iy - m_i), m_i the row maximum."""
    shifted = x - x.max(axis=1, keepdims=True)
    losses = np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(x)), y]
    if reduction == "mean":
        return np.asarray(losses.mean(), dtype=x.dtype)
    if reduction == "sum":
        return np.asarray(losses.sum(), dtype=x.dtype)
    return losses


def plain_cross_entropy_grad(
    x: np.ndarray, y: np.ndarray, g: np.ndarray, reduction: str
) -> np.ndarray:
    """(softmax(x) - one_hot(y)) times g (and 1/N for the mean)."""
    e = np.exp(x - x.max(axis=1, keepdims=True))
    grad = e / e.sum(axis=1, keepdims=True)
    grad[np.arange(len(x)), y] -= 1.0
    scale = g * (1.0 / len(x)) if reduction == "mean" else g
    grad *= scale.reshape((len(x), 1)) if reduction == "none" else scale
    return grad


def logits_and_labels(
    dtype: type, n: int = 128, classes: int = 10, seed: int = 0, scale: float = 3.0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, classes)) * scale).astype(dtype)
    return x, rng.integers(0, classes, n)


def upstream(reduction: str, n: int, dtype: type, seed: int = 1) -> np.ndarray:
    """A random upstream gradient of the loss's shape (not 1, so scaling is checked)."""
    shape = (n,) if reduction == "none" else ()
    return np.asarray(np.random.default_rng(seed).standard_normal(shape) + 2, dtype=dtype)


def assert_same_bits(ours: np.ndarray, expected: np.ndarray) -> None:
    ours, expected = np.asarray(ours), np.asarray(expected)
    assert ours.dtype == expected.dtype and ours.shape == expected.shape
    assert ours.tobytes() == expected.tobytes()


# --------------------------------------------------------------------------------------
# SoftmaxCrossEntropy
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("n, classes, scale", [(128, 10, 3.0), (7, 3, 1e4), (33, 50, 0.01)])
def test_cross_entropy_is_the_plain_formula_bit_for_bit(
    dtype: type, reduction: str, n: int, classes: int, scale: float
) -> None:
    x, y = logits_and_labels(dtype, n, classes, scale=scale)
    g = upstream(reduction, n, dtype)
    op = ops.SoftmaxCrossEntropy(reduction)
    assert_same_bits(op.forward(x, y), plain_cross_entropy(x, y, reduction))
    expected = plain_cross_entropy_grad(x, y, g, reduction)
    assert_same_bits(op.backward(g, None, x, y)[0], expected)  # the kept softmax
    assert_same_bits(op.backward(g, None, x, y)[0], expected)  # kept, not used up
    assert_same_bits(op.backward(g, None, x.copy(), y)[0], expected)  # computed again


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_rows_with_nan_or_infinity_are_unchanged(dtype: type) -> None:
    x, y = logits_and_labels(dtype, n=6, classes=4)
    x[0, 1] = np.nan
    x[1] = -np.inf
    x[2, 3] = np.inf
    g = upstream("none", 6, dtype)
    op = ops.SoftmaxCrossEntropy("none")
    with np.errstate(invalid="ignore"):
        assert_same_bits(op.forward(x, y), plain_cross_entropy(x, y, "none"))
        assert_same_bits(op.backward(g, None, x, y)[0], plain_cross_entropy_grad(x, y, g, "none"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_torch(dtype: type, reduction: str) -> None:
    torch = pytest.importorskip("torch")
    x, y = logits_and_labels(dtype)
    g = upstream(reduction, len(x), dtype)
    logits = cr.tensor(x, requires_grad=True)
    loss = ops.SoftmaxCrossEntropy(reduction)(logits, cr.tensor(y))
    loss.backward(cr.tensor(g))
    theirs = torch.tensor(x, requires_grad=True)
    expected = torch.nn.functional.cross_entropy(theirs, torch.tensor(y), reduction=reduction)
    expected.backward(torch.tensor(g))
    tolerance = TOLERANCE[dtype]
    assert loss.dtype == dtype and logits.grad.dtype == dtype
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=tolerance)
    np.testing.assert_allclose(
        logits.grad.numpy(), theirs.grad.numpy(), rtol=tolerance, atol=tolerance
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_gradient_matches_finite_differences(reduction: str) -> None:
    x, y = logits_and_labels(np.float64, n=5, classes=4, scale=2.0)
    logits = cr.tensor(x, requires_grad=True)
    labels = cr.tensor(y)
    assert cr.gradcheck(lambda t: ops.SoftmaxCrossEntropy(reduction)(t, labels).sum(), [logits])


def test_backward_after_a_forward_on_other_logits_uses_its_own_logits() -> None:
    """One op object, forward on x1 then on x2, then backward for x1: x1's gradient
    (what a compiled function does when it is called twice before backward)."""
    x1, y1 = logits_and_labels(np.float32, seed=1)
    x2, y2 = logits_and_labels(np.float32, seed=2)
    g = upstream("mean", len(x1), np.float32)
    op = ops.SoftmaxCrossEntropy("mean")
    op.forward(x1, y1)
    op.forward(x2, y2)
    assert_same_bits(op.backward(g, None, x1, y1)[0], plain_cross_entropy_grad(x1, y1, g, "mean"))
    assert_same_bits(op.backward(g, None, x2, y2)[0], plain_cross_entropy_grad(x2, y2, g, "mean"))
    # Same logits, other labels (the kept softmax does not depend on them).
    assert_same_bits(op.backward(g, None, x2, y1)[0], plain_cross_entropy_grad(x2, y1, g, "mean"))


def test_compiled_function_called_twice_before_backward() -> None:
    rng = np.random.default_rng(0)
    w = cr.tensor(rng.standard_normal((10, 20)).astype(np.float32) * 0.3, requires_grad=True)

    def loss_of(x: cr.Tensor, y: cr.Tensor) -> cr.Tensor:
        return F.cross_entropy(x @ w.T, y)

    compiled = cr.compile(loss_of)
    batches = [
        (
            cr.tensor(rng.standard_normal((16, 20)).astype(np.float32)),
            cr.tensor(rng.integers(0, 10, 16)),
        )
        for _ in range(4)
    ]
    for x, y in batches[:2]:  # the trace, then the checked replay
        compiled(x, y).backward()
    w.grad = None
    first, second = (compiled(x, y) for x, y in batches[2:])  # plain replays
    expected = []
    for x, y in batches[2:]:
        loss_of(x, y).backward()
        expected.append(w.grad.numpy().copy())
        w.grad = None
    first.backward()
    np.testing.assert_allclose(w.grad.numpy(), expected[0], rtol=1e-6, atol=1e-7)
    w.grad = None
    second.backward()
    np.testing.assert_allclose(w.grad.numpy(), expected[1], rtol=1e-6, atol=1e-7)
    assert w.grad.dtype == np.float32


def test_kept_softmax_is_released_after_backward_unless_the_graph_is_retained() -> None:
    x, y = logits_and_labels(np.float64, n=4, classes=3)
    logits = cr.tensor(x, requires_grad=True)
    loss = ops.SoftmaxCrossEntropy("sum")(logits, cr.tensor(y))
    node = loss.grad_fn
    assert node.saved is not None
    loss.backward(retain_graph=True)
    assert node.saved is not None
    loss.backward()  # the kept softmax serves a second backward too
    expected = plain_cross_entropy_grad(x, y, np.ones(()), "sum")
    np.testing.assert_array_equal(logits.grad.numpy(), 2 * expected)
    assert node.saved is None


def test_cross_entropy_through_create_graph() -> None:
    """The recorded backward (Tensors, not arrays) gives the same gradient, and its
    own gradient (a Hessian-vector product) matches PyTorch."""
    torch = pytest.importorskip("torch")
    x, y = logits_and_labels(np.float64, n=6, classes=5)
    v = np.random.default_rng(3).standard_normal(x.shape)
    logits = cr.tensor(x, requires_grad=True)
    (grad,) = cr.autograd.grad(F.cross_entropy(logits, cr.tensor(y)), logits, create_graph=True)
    np.testing.assert_allclose(grad.numpy(), plain_cross_entropy_grad(x, y, np.ones(()), "mean"))
    (hvp,) = cr.autograd.grad((grad * cr.tensor(v)).sum(), logits)

    theirs = torch.tensor(x, requires_grad=True)
    (their_grad,) = torch.autograd.grad(
        torch.nn.functional.cross_entropy(theirs, torch.tensor(y)), theirs, create_graph=True
    )
    (their_hvp,) = torch.autograd.grad((their_grad * torch.tensor(v)).sum(), theirs)
    np.testing.assert_allclose(hvp.numpy(), their_hvp.numpy(), rtol=1e-10, atol=1e-12)


def test_labels_out_of_range_still_raise() -> None:
    logits = cr.tensor(np.zeros((3, 4), np.float32), requires_grad=True)
    with pytest.raises(IndexError):
        ops.SoftmaxCrossEntropy("mean")(logits, cr.tensor([0, 4, 1]))


# --------------------------------------------------------------------------------------
# Relu
# --------------------------------------------------------------------------------------


def relu_input(dtype: type, shape: tuple[int, ...]) -> np.ndarray:
    """Normal samples, the first (up to) five being the kink (0 and -0) and special values."""
    x = np.asarray(np.random.default_rng(4).standard_normal(shape), dtype=dtype)
    flat = x.reshape(-1)  # a view: writes go to x
    specials = [0.0, -0.0, np.nan, np.inf, -np.inf][: flat.size]
    flat[: len(specials)] = specials
    return x


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(128, 256), (128, 128), (7,), ()])
def test_relu_gradient_is_the_plain_product_bit_for_bit(
    dtype: type, shape: tuple[int, ...]
) -> None:
    x = relu_input(dtype, shape)
    g = np.asarray(np.random.default_rng(5).standard_normal(shape), dtype=dtype)
    g.reshape(-1)[:2] = np.inf  # at x = 0 and -0: inf * 0 is nan, as in the plain product
    g_before = g.copy()
    with np.errstate(invalid="ignore"):
        (grad,) = ops.Relu().backward(g, None, x)
        assert_same_bits(grad, g * (x > 0))
    assert_same_bits(g, g_before)  # g is not written to
    assert grad is not g


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_gradient_is_zero_at_zero_and_matches_torch(dtype: type) -> None:
    torch = pytest.importorskip("torch")
    x = np.array([[-1.5, -0.0, 0.0, 1e-30, 2.0]], dtype=dtype)
    g = np.array([[3.0, 3.0, 3.0, 3.0, 3.0]], dtype=dtype)
    ours = cr.tensor(x, requires_grad=True)
    ours.relu().backward(cr.tensor(g))
    theirs = torch.tensor(x, requires_grad=True)
    theirs.relu().backward(torch.tensor(g))
    assert ours.grad.dtype == dtype
    np.testing.assert_array_equal(ours.grad.numpy(), [[0.0, 0.0, 0.0, 3.0, 3.0]])
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_relu_gradient_with_a_float64_upstream_on_float32_input() -> None:
    x = relu_input(np.float32, (4, 6))
    g = np.random.default_rng(6).standard_normal((4, 6))  # float64
    (grad,) = ops.Relu().backward(g, None, x)
    assert_same_bits(grad, g * (x > 0))


def test_relu_leaves_an_upstream_gradient_it_shares_alone() -> None:
    """h feeds relu and, directly, the sum: both get the very same gradient array, so
    relu must not write into it."""
    x = cr.tensor([[-1.0, 0.0, 2.0], [3.0, -0.0, -4.0]], dtype=cr.float64, requires_grad=True)
    h = x * 3.0
    (h.relu() + h).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 3.0 * ((x.numpy() > 0) + 1.0))


def test_relu_through_create_graph() -> None:
    x = np.random.default_rng(7).standard_normal((4, 5))
    t = cr.tensor(x, requires_grad=True)
    (grad,) = cr.autograd.grad((t.relu() * t).sum(), t, create_graph=True)
    np.testing.assert_allclose(grad.numpy(), 2 * np.maximum(x, 0))
    (second,) = cr.autograd.grad(grad.sum(), t)  # d/dx of 2 relu(x) = 2 (x > 0)
    np.testing.assert_array_equal(second.numpy(), 2.0 * (x > 0))
