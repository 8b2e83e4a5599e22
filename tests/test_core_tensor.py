"""Tensor creation, dtypes, conversions and the gradient checker itself."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_python_floats_become_float32_and_arrays_keep_their_dtype() -> None:
    assert cr.tensor(1.5).dtype == np.float32
    assert cr.tensor([[1.0, 2.0]]).dtype == np.float32
    assert cr.tensor([1, 2]).dtype == np.int64
    assert cr.tensor([True, False]).dtype == np.bool_
    assert cr.tensor(np.zeros(2, dtype=np.float64)).dtype == np.float64
    assert cr.tensor(np.zeros(2, dtype=np.float16)).dtype == np.float16
    assert cr.tensor([1, 2], dtype=cr.float64).dtype == np.float64


def test_tensor_copies_its_data_and_from_numpy_shares_it() -> None:
    array = np.zeros(3, dtype=np.float32)
    copied, shared = cr.tensor(array), cr.from_numpy(array)
    array[0] = 5
    assert copied.numpy()[0] == 0
    assert shared.numpy()[0] == 5


def test_float32_stays_float32_through_ops_and_backward() -> None:
    x = cr.randn(4, 3, requires_grad=True)
    w = cr.randn(3, 2, requires_grad=True)
    y = ((x @ w).tanh() * 0.5 + 1.0).sigmoid().log_softmax(dim=1).mean() ** 2 / 3.0
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_integer_and_float_operands_promote_like_torch() -> None:
    i = cr.arange(3)
    assert i.dtype == np.int64
    assert (i * 2).dtype == np.int64
    assert (i * 2.5).dtype == np.float32
    assert (i + cr.ones(3)).dtype == np.float32
    assert (cr.ones(3) + i).dtype == np.float32
    assert (i / 2).dtype == np.float32
    np.testing.assert_allclose((i / 2).numpy(), [0.0, 0.5, 1.0])


def test_reflected_operators_with_numpy_arrays() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0], dtype=np.float32) * x
    assert isinstance(y, cr.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


def test_creation_functions() -> None:
    assert cr.zeros(2, 3).shape == (2, 3)
    assert cr.ones((2, 3)).numpy().sum() == 6
    assert cr.full((2,), 7).dtype == np.int64
    assert cr.full((2,), 7.0).dtype == np.float32
    assert cr.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert cr.arange(0, 1, 0.5).dtype == np.float32
    assert cr.eye(3).numpy().trace() == 3
    assert cr.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    x = cr.randn(3, 2)
    assert cr.zeros_like(x).shape == (3, 2) and cr.ones_like(x).dtype == np.float32
    uniform = cr.rand(100).numpy()
    assert uniform.min() >= 0 and uniform.max() < 1
    assert cr.randint(0, 3, (50,)).numpy().max() <= 2


def test_manual_seed_repeats_random_creation() -> None:
    cr.manual_seed(123)
    a = (cr.randn(3), cr.rand(2), cr.randint(10, size=(4,)))
    cr.manual_seed(123)
    b = (cr.randn(3), cr.rand(2), cr.randint(10, size=(4,)))
    for first, second in zip(a, b):
        np.testing.assert_array_equal(first.numpy(), second.numpy())
    with pytest.raises(ValueError, match="non-negative integer"):
        cr.manual_seed(-1)


def test_conversions_and_python_protocols() -> None:
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert np.asarray(x).dtype == np.float32
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert x.size() == (2, 2) and x.size(1) == 2 and x.ndim == 2 and x.numel() == 4
    assert float(x[1, 1]) == 4.0 and int(x[0, 1]) == 2
    assert len(x) == 2 and [row.tolist() for row in x] == [[1.0, 2.0], [3.0, 4.0]]
    assert x.double().dtype == np.float64 and x.long().dtype == np.int64
    assert x.to(cr.float32) is x
    assert "tensor([[1., 2.]," in repr(x)
    assert "requires_grad=True" in repr(cr.tensor(1.0, requires_grad=True))
    assert "grad_fn=<MulBackward>" in repr(cr.tensor(1.0, requires_grad=True) * 2)
    assert bool(cr.tensor(1.0) > 0)
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(cr.zeros(2))
    t = cr.tensor(1.0)
    assert t in {t}  # tensors hash by identity although == is elementwise


def test_max_with_dim_returns_values_and_indices() -> None:
    x = cr.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.min().item() == 0.0 and x.argmax().item() == 3


def test_boolean_mask_and_setitem() -> None:
    x = cr.tensor([1.0, -2.0, 3.0])
    assert x[x > 0].tolist() == [1.0, 3.0]
    x[x < 0] = 0.0
    assert x.tolist() == [1.0, 0.0, 3.0]


def test_gradcheck_passes_a_correct_gradient_and_names_a_wrong_one() -> None:
    x = cr.randn(3, 4, requires_grad=True)
    assert cr.gradcheck(lambda x: (x * x).tanh().sum(dim=1), x)

    class WrongSquare(cr.autograd.Function):
        """x^2 with a deliberately wrong derivative (x instead of 2x)."""

        def forward(self, a: np.ndarray) -> np.ndarray:
            return a * a

        def backward(self, g, out, a):  # type: ignore[no-untyped-def]
            return (g * a,)

    def wrong(x: cr.Tensor) -> cr.Tensor:
        return WrongSquare()(x)

    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(wrong, [cr.tensor([[1.0, 2.0]], requires_grad=True)])
    message = str(info.value)
    assert "input 0 (shape (1, 2)) at element (0, 0)" in message
    assert "numerical 2 vs analytical (backward) 1" in message
    assert "relative error 0.5" in message
    assert (
        cr.gradcheck(wrong, [cr.tensor([1.0], requires_grad=True)], raise_exception=False) is False
    )


def test_gradcheck_needs_something_to_check() -> None:
    with pytest.raises(ValueError, match="no input requires grad"):
        cr.gradcheck(lambda x: x * 2, [cr.tensor([1.0])])
