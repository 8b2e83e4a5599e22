"""Functions that make tensors: from data, filled with a value, or random."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import random as _random
from chainrule._tensor import DTypeLike, Tensor, _shape_args, _to_array

__all__ = [
    "tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "eye",
    "arange",
    "linspace",
    "rand",
    "randn",
    "randint",
    "zeros_like",
    "ones_like",
    "full_like",
    "rand_like",
    "randn_like",
]

DEFAULT_FLOAT = np.dtype(np.float32)


def _float_dtype(dtype: DTypeLike) -> np.dtype:
    return DEFAULT_FLOAT if dtype is None else np.dtype(dtype)


def tensor(data: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``.

    Python floats become float32, Python ints int64, bools bool; a NumPy array keeps
    its dtype unless ``dtype`` is given.

    Example::

        >>> chainrule.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    """
    source = data.data if isinstance(data, Tensor) else data
    array = _to_array(source, dtype)
    if isinstance(source, np.ndarray) and np.may_share_memory(array, source):
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with ``array`` (keeps its dtype)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy() takes a NumPy array, got {type(array).__name__}")
    if type(array) is np.ndarray and array.dtype.kind in "fiub":  # the usual case, quick
        return Tensor(array)
    return Tensor(_to_array(array, None))  # subclasses become arrays; other dtypes fail


def zeros(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of the given shape (float32 by default)."""
    return Tensor(np.zeros(_shape_args(size), _float_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of the given shape (float32 by default)."""
    return Tensor(np.ones(_shape_args(size), _float_dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """A tensor of the given shape with unset values."""
    return Tensor(np.empty(_shape_args(size), _float_dtype(dtype)), requires_grad)


def full(
    size: Any, fill_value: float, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """A tensor of the given shape filled with ``fill_value``.

    The dtype follows the value (float32 for a float, int64 for an int, bool for a bool).
    """
    if dtype is None:
        dtype = _to_array(fill_value, None).dtype
    shape = (size,) if isinstance(size, int) else tuple(size)
    return Tensor(np.full(shape, fill_value, dtype=dtype), requires_grad)


def eye(
    n: int, m: int | None = None, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """The identity matrix (n x m)."""
    return Tensor(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
) -> Tensor:
    """Values from ``start`` up to (not including) ``end`` by ``step``.

    int64 when all of start, end and step are integers, else float32.
    """
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if integral else DEFAULT_FLOAT
    return Tensor(np.arange(start, end, step, dtype=dtype), requires_grad)


def linspace(
    start: float, end: float, steps: int, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    """``steps`` values evenly spaced from ``start`` to ``end``, both included."""
    return Tensor(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad)


def rand(
    *size: Any,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Uniform random values in [0, 1), from chainrule's seeded generator."""
    rng = generator or _random.default_generator()
    dtype = _float_dtype(dtype)
    values = rng.random(_shape_args(size), dtype=dtype if dtype.itemsize >= 4 else np.float32)
    return Tensor(values.astype(dtype, copy=False), requires_grad)


def randn(
    *size: Any,
    dtype: DTypeLike = None,
    requires_grad: bool = False,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Standard normal random values, from chainrule's seeded generator."""
    rng = generator or _random.default_generator()
    dtype = _float_dtype(dtype)
    values = rng.standard_normal(
        _shape_args(size), dtype=dtype if dtype.itemsize >= 4 else np.float32
    )
    return Tensor(values.astype(dtype, copy=False), requires_grad)


def randint(
    low: int,
    high: int | None = None,
    size: Any = (),
    dtype: DTypeLike = np.int64,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Random integers in [low, high) (or [0, low) when ``high`` is left out)."""
    if high is None:
        low, high = 0, low
    rng = generator or _random.default_generator()
    shape = (size,) if isinstance(size, int) else tuple(size)
    return Tensor(rng.integers(low, high, shape, dtype=np.dtype(dtype)))


def zeros_like(x: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.zeros(x.shape, dtype or x.dtype), requires_grad)


def ones_like(x: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    return Tensor(np.ones(x.shape, dtype or x.dtype), requires_grad)


def full_like(
    x: Tensor, fill_value: float, dtype: DTypeLike = None, requires_grad: bool = False
) -> Tensor:
    return Tensor(np.full(x.shape, fill_value, dtype or x.dtype), requires_grad)


def rand_like(x: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    return rand(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)


def randn_like(x: Tensor, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    return randn(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad)
