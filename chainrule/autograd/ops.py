"""The primitive ops: each one's forward and its vector-Jacobian product, in one place.

Every differentiable thing in chainrule is built from the ops in this file. Each op is
a small class: ``forward`` works on NumPy arrays, ``backward(g, out, *inputs)`` returns
the gradient for each input (local derivative x upstream gradient ``g``), and the
docstring states the local derivative. Gradients are returned in the shape of the
broadcast result; the engine sums them back to each input's shape ("unbroadcasting").

The backward rules use only operators, ``.sum``, ``.reshape``, ``.swapaxes`` and the
helpers just below, which work on NumPy arrays (the fast first-order backward) and on
Tensors (``create_graph=True``, where the backward pass is recorded too).

To add an op: write its class here, then a method on ``Tensor`` that calls it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd.function import Function

# ---------------------------------------------------------------------------------
# Helpers that work on NumPy arrays and on Tensors alike.
# ---------------------------------------------------------------------------------


def _is_array(x: Any) -> bool:
    """True for NumPy values (arrays, and the scalars NumPy returns for 0-d results)."""
    return isinstance(x, (np.ndarray, np.generic))


def sum_to_shape(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum a broadcast gradient back to ``shape``: the inverse of broadcasting.

    A value that was broadcast (copied) to many places gets the sum of their
    gradients: "copy adds".
    """
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and g.shape[extra + i] != 1
    )
    return g.sum(axis=axes, keepdims=True).reshape(shape)


def broadcast_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Copy ``g`` along its size-1 axes to ``shape``."""
    if not _is_array(g):
        return g.expand(shape)
    copied = np.empty(shape, dtype=g.dtype)
    copied[...] = g
    return copied


def permute(g: Any, axes: tuple[int, ...]) -> Any:
    """Reorder the axes of ``g``."""
    return g.transpose(axes) if _is_array(g) else g.permute(axes)


def sign(x: Any) -> Any:
    """-1, 0 or 1 by the sign of each element (a constant: no gradient)."""
    return np.sign(x) if _is_array(x) else x.sign()


def scatter_add(g: Any, shape: tuple[int, ...], index: Any, advanced: bool) -> Any:
    """A zero array of ``shape`` with ``g`` added at ``index`` (repeats accumulate)."""
    if not _is_array(g):
        return ScatterAdd(shape, index, advanced)(g)
    grad = np.zeros(shape, dtype=g.dtype)
    if advanced:
        np.add.at(grad, index, g)
    else:
        grad[index] = g
    return grad


def _keepdims_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """The shape a reduction over ``axis`` has with keepdims=True."""
    if axis is None:
        return (1,) * len(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    reduced = {a % len(shape) for a in axes}
    return tuple(1 if i in reduced else n for i, n in enumerate(shape))


# ---------------------------------------------------------------------------------
# Elementwise ops with two inputs (NumPy broadcasting applies).
# ---------------------------------------------------------------------------------


class Add(Function):
    """a + b.  d/da = 1, d/db = 1: addition distributes the gradient to both inputs."""

    __slots__ = ()
    uses_inputs = False

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a + b

    def backward(self, g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
        return g, g


class Sub(Function):
    """a - b.  d/da = 1, d/db = -1."""

    __slots__ = ()
    uses_inputs = False

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    def backward(self, g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
        return g, (-g if self.needs_grad[1] else None)


class Mul(Function):
    """a * b.  d/da = b, d/db = a: multiplication swaps its inputs in the gradient."""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a * b

    def backward(self, g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
        da = g * b if self.needs_grad[0] else None
        db = g * a if self.needs_grad[1] else None
        return da, db


class Div(Function):
    """a / b.  d/da = 1/b, d/db = -a/b^2."""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a / b

    def backward(self, g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
        da = g / b if self.needs_grad[0] else None
        db = -g * a / (b * b) if self.needs_grad[1] else None
        return da, db


class Pow(Function):
    """a ** b.  d/da = b a^(b-1), d/db = a^b log(a)."""

    __slots__ = ()
    uses_output = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a**b

    def backward(self, g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
        da = g * b * a ** (b - 1) if self.needs_grad[0] else None
        db = g * out * Log.of(a) if self.needs_grad[1] else None
        return da, db


class Maximum(Function):
    """max(a, b) elementwise.  The gradient goes to the larger input ("max routes");
    on a tie it is split in half, as in PyTorch."""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.maximum(a, b)

    def backward(self, g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
        share_a = (a > b) + (a == b) * 0.5
        da = g * share_a if self.needs_grad[0] else None
        db = g * (1 - share_a) if self.needs_grad[1] else None
        return da, db


class Minimum(Function):
    """min(a, b) elementwise.  The gradient goes to the smaller input; ties split."""

    __slots__ = ()

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.minimum(a, b)

    def backward(self, g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
        share_a = (a < b) + (a == b) * 0.5
        da = g * share_a if self.needs_grad[0] else None
        db = g * (1 - share_a) if self.needs_grad[1] else None
        return da, db


class Where(Function):
    """condition ? a : b.  d/da = condition, d/db = not condition."""

    __slots__ = ("condition",)
    uses_inputs = False

    def __init__(self, condition: np.ndarray) -> None:
        self.condition = condition

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(self.condition, a, b)

    def backward(self, g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
        da = g * self.condition if self.needs_grad[0] else None
        db = g * ~self.condition if self.needs_grad[1] else None
        return da, db


# ---------------------------------------------------------------------------------
# Elementwise ops with one input.
# ---------------------------------------------------------------------------------


class Neg(Function):
    """-x.  d/dx = -1."""

    __slots__ = ()
    uses_inputs = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        return -x

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (-g,)


class Exp(Function):
    """e^x.  d/dx = e^x, the output itself."""

    __slots__ = ()
    uses_inputs = False
    uses_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g * out,)


class Log(Function):
    """ln x.  d/dx = 1/x."""

    __slots__ = ()

    @staticmethod
    def of(x: Any) -> Any:
        """ln x of an array or a tensor (used inside other backward rules)."""
        return np.log(x) if _is_array(x) else x.log()

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.log(x)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g / x,)


class Sqrt(Function):
    """sqrt(x).  d/dx = 1 / (2 sqrt(x))."""

    __slots__ = ()
    uses_inputs = False
    uses_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.sqrt(x)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g / (2 * out),)


class PowScalar(Function):
    """x ** c for a constant c.  d/dx = c x^(c-1)."""

    __slots__ = ("exponent",)

    def __init__(self, exponent: float) -> None:
        self.exponent = exponent

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.exponent == 2:
            return x * x
        return x**self.exponent

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        c = self.exponent
        if c == 2:
            return (g * (2 * x),)
        return (g * (c * x ** (c - 1)),)


class Abs(Function):
    """|x|.  d/dx = sign(x) (0 at x = 0, as in PyTorch)."""

    __slots__ = ()

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.abs(x)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g * sign(x),)


class Sin(Function):
    """sin x.  d/dx = cos x."""

    __slots__ = ()

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.sin(x)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g * (np.cos(x) if _is_array(x) else x.cos()),)


class Cos(Function):
    """cos x.  d/dx = -sin x."""

    __slots__ = ()

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.cos(x)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (-g * (np.sin(x) if _is_array(x) else x.sin()),)


class Tanh(Function):
    """tanh x.  d/dx = 1 - tanh(x)^2."""

    __slots__ = ()
    uses_inputs = False
    uses_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g * (1 - out * out),)


class Sigmoid(Function):
    """sigma(x) = 1 / (1 + e^-x).  d/dx = sigma(x) (1 - sigma(x))."""

    __slots__ = ()
    uses_inputs = False
    uses_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        # e^-|x| never overflows; pick the form that does not lose precision.
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g * (out * (1 - out)),)


class Relu(Function):
    """max(0, x).  d/dx = 1 where x > 0, else 0."""

    __slots__ = ()

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g * (x > 0),)


class Clamp(Function):
    """x limited to [low, high].  d/dx = 1 inside the range, 0 where clipped."""

    __slots__ = ("low", "high")

    def __init__(self, low: float | None, high: float | None) -> None:
        self.low = low
        self.high = high

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x, self.low, self.high)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        if self.low is not None:
            g = g * (x >= self.low)
        if self.high is not None:
            g = g * (x <= self.high)
        return (g,)


class Cast(Function):
    """x converted to another float dtype (also a copy).  d/dx = 1, cast back."""

    __slots__ = ("dtype",)
    uses_inputs = False

    def __init__(self, dtype: np.dtype) -> None:
        self.dtype = dtype

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.astype(self.dtype)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g,)  # the engine casts it to x's dtype


# ---------------------------------------------------------------------------------
# Reductions.
# ---------------------------------------------------------------------------------


class Sum(Function):
    """Sum over ``axis``.  d/dx = 1 for every element: the gradient is copied back
    to every element that was added."""

    __slots__ = ("axis", "keepdims")
    uses_inputs = False

    def __init__(self, axis: int | tuple[int, ...] | None, keepdims: bool) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        if not self.keepdims:
            g = g.reshape(_keepdims_shape(x.shape, self.axis))
        return (broadcast_to(g, x.shape),)


class Max(Function):
    """Largest element over ``axis``.  The gradient goes to the element(s) that were
    the maximum ("max routes"), split evenly between ties, as PyTorch's amax does."""

    __slots__ = ("axis", "keepdims")
    uses_output = True

    def __init__(self, axis: int | tuple[int, ...] | None, keepdims: bool) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.max(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        if not self.keepdims:
            shape = _keepdims_shape(x.shape, self.axis)
            g, out = g.reshape(shape), out.reshape(shape)
        is_max = x == out
        return (g * is_max / is_max.sum(axis=self.axis, keepdims=True),)


# ---------------------------------------------------------------------------------
# Ops that move elements around.
# ---------------------------------------------------------------------------------


class Reshape(Function):
    """x with a new shape, same elements in the same order.  The gradient is
    reshaped back."""

    __slots__ = ("shape",)
    uses_inputs = False

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(self.shape)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g.reshape(x.shape),)


class Permute(Function):
    """x with its axes reordered (transpose).  The gradient is permuted back."""

    __slots__ = ("axes",)
    uses_inputs = False

    def __init__(self, axes: tuple[int, ...]) -> None:
        self.axes = axes

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x.transpose(self.axes)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        inverse = [0] * len(self.axes)
        for position, axis in enumerate(self.axes):
            inverse[axis] = position
        return (permute(g, tuple(inverse)),)


class Expand(Function):
    """x broadcast to a larger shape (no copy).  Copies add up: the gradient is
    summed back to x's shape."""

    __slots__ = ("shape",)
    uses_inputs = False

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.broadcast_to(x, self.shape)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (sum_to_shape(g, x.shape),)


class GetItem(Function):
    """x[index].  The gradient of each picked element goes back to its place;
    elements picked twice get both gradients added."""

    __slots__ = ("index", "advanced")
    uses_inputs = False

    def __init__(self, index: Any, advanced: bool) -> None:
        self.index = index
        self.advanced = advanced

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x[self.index]

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (scatter_add(g, x.shape, self.index, self.advanced),)


class ScatterAdd(Function):
    """zeros(shape) with x added at index: the transpose of ``GetItem``, whose
    gradient is therefore ``x[index]``."""

    __slots__ = ("shape", "index", "advanced")
    uses_inputs = False

    def __init__(self, shape: tuple[int, ...], index: Any, advanced: bool) -> None:
        self.shape = shape
        self.index = index
        self.advanced = advanced

    def forward(self, x: np.ndarray) -> np.ndarray:
        return scatter_add(x, self.shape, self.index, self.advanced)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g[self.index],)


class Cat(Function):
    """Inputs joined along ``axis``.  Each input gets its own slice of the gradient."""

    __slots__ = ("axis",)
    uses_inputs = False

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        return np.concatenate(xs, axis=self.axis)

    def backward(self, g: Any, out: Any, *xs: Any) -> tuple[Any, ...]:
        axis = self.axis % g.ndim
        grads, start = [], 0
        for x, needed in zip(xs, self.needs_grad):
            stop = start + x.shape[axis]
            piece = (slice(None),) * axis + (slice(start, stop),)
            grads.append(g[piece] if needed else None)
            start = stop
        return tuple(grads)


# ---------------------------------------------------------------------------------
# Linear algebra.
# ---------------------------------------------------------------------------------


class Linear(Function):
    """x @ w^T + b, the dense layer's affine map (w shaped (out, in), as in PyTorch).

    dL/dx = g @ w,  dL/dw = g^T @ x,  dL/db = sum of g over the batch.
    One node instead of three (transpose, matmul, add): the same math, less overhead.
    Called with two inputs, it is x @ w^T without a bias.
    """

    __slots__ = ()
    shape_hint = " (x's last axis must equal w's second axis, and b must have w's first)"

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        out = x @ w.T
        if b is not None:
            out += b
        return out

    def backward(self, g: Any, out: Any, x: Any, w: Any, b: Any = None) -> tuple[Any, ...]:
        needs = self.needs_grad
        dx = g @ w if needs[0] else None
        rows_g = g.reshape((-1, g.shape[-1]))  # all leading axes are the batch
        dw = rows_g.swapaxes(-1, -2) @ x.reshape((-1, x.shape[-1])) if needs[1] else None
        if b is None:
            return dx, dw
        db = rows_g.sum(axis=0) if needs[2] else None
        return dx, dw, db


class MatMul(Function):
    """a @ b.  dL/da = g @ b^T, dL/db = a^T @ g (batched over leading axes; a 1-D
    input is treated as a row (a) or a column (b) vector, as in NumPy)."""

    __slots__ = ()
    shape_hint = " (the last axis of the first must equal the second-to-last of the second)"

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a @ b

    def backward(self, g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
        if a.ndim == 1:  # a row vector: put back the axis matmul removed from g
            a = a.reshape((1, a.shape[0]))
            g = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
        if b.ndim == 1:  # a column vector
            b = b.reshape((b.shape[0], 1))
            g = g.reshape(g.shape + (1,))
        da = g @ b.swapaxes(-1, -2) if self.needs_grad[0] else None
        db = a.swapaxes(-1, -2) @ g if self.needs_grad[1] else None
        return da, db
