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

import functools
from typing import Any

import numpy as np

from chainrule.autograd.function import Function

# ---------------------------------------------------------------------------------
# Helpers that work on NumPy arrays and on Tensors alike.
# ---------------------------------------------------------------------------------


def _is_array(x: Any) -> bool:
    """True for NumPy values (arrays, and the scalars NumPy returns for 0-d results)."""
    return isinstance(x, (np.ndarray, np.generic))


@functools.lru_cache(maxsize=16)
def _one(dtype: np.dtype) -> np.ndarray:
    """A shared, read-only 0-d 1 of ``dtype``: NumPy takes it faster than the Python
    number 1, which it converts on every call (also the seed of backward from a scalar)."""
    one = np.ones((), dtype)
    one.flags.writeable = False
    return one


@functools.lru_cache(maxsize=64)
def _ones(n: int, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of n ones of ``dtype``: ``_ones(n, dtype) @ g`` sums g's rows."""
    ones = np.ones(n, dtype)
    ones.flags.writeable = False
    return ones


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


def fit_gradient(g: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """A gradient made to match its input: summed back to ``shape`` where the input was
    broadcast, and cast to the input's ``dtype``."""
    if g.shape != shape:
        g = sum_to_shape(g, shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


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
    """condition ? a : b.  d/da = condition, d/db = not condition; the condition (a
    bool tensor, the first input) gets no gradient."""

    __slots__ = ()

    def forward(self, condition: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(condition, a, b)

    def backward(self, g: Any, out: Any, condition: Any, a: Any, b: Any) -> tuple[Any, ...]:
        da = g * condition if self.needs_grad[1] else None
        db = g * ~condition if self.needs_grad[2] else None
        return None, da, db


class NoGrad(Function):
    """An elementwise NumPy function whose result has no gradient: comparisons,
    logic, sign, argmax. Never a node of the graph, but a ``compile`` trace records
    it, since its result depends on its inputs."""

    __slots__ = ("function",)
    differentiable = False

    def __init__(self, function: Any) -> None:
        self.function = function

    @property
    def name(self) -> str:
        return getattr(self.function, "__name__", "NoGrad")

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        return np.asarray(self.function(*xs))


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
        return (_tanh_slope_times(g, out),)


class Sigmoid(Function):
    """sigma(x) = 1 / (1 + e^-x).  d/dx = sigma(x) (1 - sigma(x))."""

    __slots__ = ()
    uses_inputs = False
    uses_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        return _sigmoid(x)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (_sigmoid_slope_times(g, out),)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # e^-|x| never overflows; pick the form that does not lose precision.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


class Relu(Function):
    """max(0, x).  d/dx = 1 where x > 0, else 0."""

    __slots__ = ()

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (_relu_slope_times(g, x),)  # x > 0 exactly where relu(x) > 0


# Dense layer + activation, fused (``LinearActivation``): for each activation, its op,
# its forward on z = x w^T + b computed in place, and dL/dz from g and its output a.


def _tanh_slope_times(g: Any, a: Any) -> Any:
    """g * (1 - a^2), with a = tanh(z); one new array when given arrays."""
    if type(a) is not np.ndarray:  # a Tensor (create_graph), or a NumPy scalar
        return g * (1 - a * a)
    local = a * a
    np.subtract(_one(local.dtype), local, out=local)
    local *= g
    return local


def _relu_slope_times(g: Any, a: Any) -> Any:
    """g * [a > 0]: relu(z) is positive exactly where z is."""
    if not _is_array(a):
        return g * (a > 0)
    # NumPy multiplies floats by a bool mask by converting it piece by piece, so convert
    # the mask once and multiply into it (never into g, which others may share).
    local = (a > 0).astype(g.dtype)
    local *= g
    return local


def _sigmoid_slope_times(g: Any, a: Any) -> Any:
    """g * a (1 - a), with a = sigmoid(z)."""
    return g * (a * (1 - a))


_FUSED_ACTIVATIONS: dict[str, tuple[type[Function], Any, Any]] = {
    "tanh": (Tanh, lambda z: np.tanh(z, out=z), _tanh_slope_times),
    "relu": (Relu, lambda z: np.maximum(z, 0, out=z), _relu_slope_times),
    "sigmoid": (Sigmoid, _sigmoid, _sigmoid_slope_times),
}


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


class LogSumExp(Function):
    """log(sum(e^x)) over ``axis``, without overflow: m + log(sum(e^(x - m))) with m
    the largest value.  d/dx = e^(x - out) = softmax(x) along ``axis``."""

    __slots__ = ("axis", "keepdims")
    uses_output = True

    def __init__(self, axis: int | tuple[int, ...] | None, keepdims: bool) -> None:
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x: np.ndarray) -> np.ndarray:
        m = x.max(axis=self.axis, keepdims=True)
        m[~np.isfinite(m)] = 0  # all -inf (or inf): leave the values as they are
        total = np.log(np.exp(x - m).sum(axis=self.axis, keepdims=True)) + m
        return total if self.keepdims else total.reshape(_reduced_shape(x.shape, self.axis))

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        if not self.keepdims:
            shape = _keepdims_shape(x.shape, self.axis)
            g, out = g.reshape(shape), out.reshape(shape)
        softmax = np.exp(x - out) if _is_array(x) else (x - out).exp()
        return (g * softmax,)


def _reduced_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """The shape a reduction over ``axis`` has without keepdims."""
    if axis is None:
        return ()
    axes = axis if isinstance(axis, tuple) else (axis,)
    reduced = {a % len(shape) for a in axes}
    return tuple(n for i, n in enumerate(shape) if i not in reduced)


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
    elements picked twice get both gradients added.

    Index arrays (integer or bool) are inputs after x, so that a traced function
    reads new ones on every call; ``template`` is the index with ``INDEX_SLOT`` where
    each array goes.
    """

    __slots__ = ("template", "advanced")
    uses_inputs = False

    def __init__(self, template: Any, advanced: bool) -> None:
        self.template = template
        self.advanced = advanced

    def index(self, arrays: tuple[Any, ...]) -> Any:
        """The full index, with the arrays put into their places."""
        if not self.advanced:
            return self.template
        given = iter(a if _is_array(a) else a.data for a in arrays)
        if self.template is INDEX_SLOT:
            return next(given)
        return tuple(next(given) if part is INDEX_SLOT else part for part in self.template)

    def forward(self, x: np.ndarray, *arrays: np.ndarray) -> np.ndarray:
        return x[self.index(arrays)]

    def backward(self, g: Any, out: Any, x: Any, *arrays: Any) -> tuple[Any, ...]:
        dx = scatter_add(g, x.shape, self.index(arrays), self.advanced)
        return (dx,) + (None,) * len(arrays)


class _IndexSlot:
    """Marks where an index array goes in a ``GetItem`` template."""

    def __repr__(self) -> str:
        return "INDEX_SLOT"


INDEX_SLOT = _IndexSlot()


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
        return (g[self.index],)  # the index's arrays are constants here


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
        if g.ndim != 2:  # all leading axes are the batch: make it one
            g, x = g.reshape((-1, g.shape[-1])), x.reshape((-1, x.shape[-1]))
        dw = g.T @ x if needs[1] else None
        if b is None:
            return dx, dw
        db = None
        if needs[2]:  # the column sums of g: as a product with ones, 2-3x faster in NumPy
            db = np.dot(_ones(len(g), g.dtype), g) if isinstance(g, np.ndarray) else g.sum(axis=0)
        return dx, dw, db


class LinearActivation(Linear):
    """f(x @ w^T + b) for an elementwise activation f: a dense layer and the activation
    after it, as one node (``nn.Sequential`` uses it for a ``Linear`` followed by
    ``Tanh``, ``ReLU`` or ``Sigmoid``).

    With z = x @ w^T + b and a = f(z): dL/dz = g * f'(z), where f'(z) is read off the
    output (tanh: 1 - a^2, sigmoid: a (1 - a), relu: 1 where a > 0); then ``Linear``'s
    rule turns dL/dz into the gradients of x, w and b. The same numbers as the two
    nodes ``Linear`` then ``Tanh``, with one node's bookkeeping and one array fewer.
    """

    __slots__ = ("activation",)
    uses_output = True

    def __init__(self, activation: str) -> None:
        if activation not in _FUSED_ACTIVATIONS:
            raise ValueError(
                f"LinearActivation: cannot fuse the activation {activation!r}; "
                f"choose one of {', '.join(map(repr, _FUSED_ACTIVATIONS))}"
            )
        self.activation = activation

    @property
    def name(self) -> str:
        return f"Linear+{_FUSED_ACTIVATIONS[self.activation][0].__name__}"

    def activation_op(self) -> Function:
        """A new op of the activation alone (``Tanh()``, ...), as drawings show it."""
        return _FUSED_ACTIVATIONS[self.activation][0]()

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        z = Linear.forward(self, x, w, b)  # a new array, so the activation may overwrite it
        return _FUSED_ACTIVATIONS[self.activation][1](z)

    def backward(self, g: Any, out: Any, x: Any, w: Any, b: Any = None) -> tuple[Any, ...]:
        dz = _FUSED_ACTIVATIONS[self.activation][2](g, out)
        return Linear.backward(self, dz, None, x, w, b)


class MatMul(Function):
    """a @ b.  dL/da = g @ b^T, dL/db = a^T @ g (batched over leading axes; a 1-D
    input is treated as a row (a) or a column (b) vector, as in NumPy)."""

    __slots__ = ()
    shape_hint = " (the last axis of the first must equal the second-to-last of the second)"

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a @ b

    def backward(self, g: Any, out: Any, a: Any, b: Any) -> tuple[Any, ...]:
        a_is_vector, b_is_vector = a.ndim == 1, b.ndim == 1
        if a_is_vector:  # a row vector: put back the axis matmul removed from g
            a = a.reshape((1, a.shape[0]))
            g = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
        if b_is_vector:  # a column vector
            b = b.reshape((b.shape[0], 1))
            g = g.reshape(g.shape + (1,))
        da = db = None
        if self.needs_grad[0]:
            da = g @ b.swapaxes(-1, -2)
            if a_is_vector:  # (..., 1, k) -> (..., k)
                da = da.reshape(da.shape[:-2] + da.shape[-1:])
        if self.needs_grad[1]:
            db = a.swapaxes(-1, -2) @ g
            if b_is_vector:  # (..., k, 1) -> (..., k)
                db = db.reshape(db.shape[:-1])
        return da, db


# Ops added for chainrule.nn
# ---------------------------------------------------------------------------------
# Activations (erf, softplus), softmax and log-softmax, the fused losses (softmax
# cross-entropy, binary cross-entropy) and dropout's random mask, used by chainrule.nn.
# ---------------------------------------------------------------------------------


def _exp_of(x: Any) -> Any:
    """e^x of an array or a tensor (used inside backward rules)."""
    return np.exp(x) if _is_array(x) else x.exp()


def _sigmoid_of(x: Any) -> Any:
    """sigma(x) of an array or a tensor (used inside backward rules)."""
    return Sigmoid().forward(x) if _is_array(x) else x.sigmoid()


# Rational approximations of erf and erfc from S. L. Moshier's Cephes library (the
# coefficients of its ndtr.c): relative error about 1e-16 in double precision.
# Polynomials are written highest power first, as np.polyval wants; the leading 1 of
# the denominators is written out.
_ERF_T = np.array(
    [9.60497373987051638749e0, 9.00260197203842689217e1, 2.23200534594684319226e3,
     7.00332514112805075473e3, 5.55923013010394962768e4]
)  # fmt: skip
_ERF_U = np.array(
    [1.0, 3.35617141647503099647e1, 5.21357949780152679795e2, 4.59432382970980127987e3,
     2.26290000613890934246e4, 4.92673942608635921086e4]
)  # fmt: skip
_ERFC_P = np.array(
    [2.46196981473530512524e-10, 5.64189564831068821977e-1, 7.46321056442269912687e0,
     4.86371970985681366614e1, 1.96520832956077098242e2, 5.26445194995477358631e2,
     9.34528527171957607540e2, 1.02755188689515710272e3, 5.57535335369399327526e2]
)  # fmt: skip
_ERFC_Q = np.array(
    [1.0, 1.32281951154744992508e1, 8.67072140885989742329e1, 3.54937778887819891062e2,
     9.75708501743205489753e2, 1.82390916687909736289e3, 2.24633760818710981792e3,
     1.65666309194161350182e3, 5.57535340817727675546e2]
)  # fmt: skip
_ERFC_R = np.array(
    [5.64189583547755073984e-1, 1.27536670759978104416e0, 5.01905042251180477414e0,
     6.16021097993053585195e0, 7.40974269950448939160e0, 2.97886665372100240670e0]
)  # fmt: skip
_ERFC_S = np.array(
    [1.0, 2.26052863220117276590e0, 9.39603524938001434673e0, 1.20489539808096656605e1,
     1.70814450747565897222e1, 9.60896809063285878198e0, 3.36907645100081516050e0]
)  # fmt: skip


def erf(x: np.ndarray) -> np.ndarray:
    """The error function erf(x) = 2/sqrt(pi) * integral_0^x e^(-t^2) dt, elementwise.

    NumPy has no erf, so it is computed here from rational approximations: for
    |x| <= 1, erf(x) = x T(x^2) / U(x^2); beyond, erf(x) = 1 - erfc(|x|) (with the sign
    of x), where erfc(z) = e^(-z^2) P(z) / Q(z) for z < 8 and e^(-z^2) R(z) / S(z)
    beyond. Agrees with ``math.erf`` to about 1e-16 in float64; the result has x's
    float dtype.
    """
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    # Beyond |x| = 6, erf(x) is +-1 in double precision: clipping keeps inf out.
    z = np.minimum(np.abs(x.astype(np.float64)), 30.0)
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        z2 = z * z
        small = x * np.polyval(_ERF_T, z2) / np.polyval(_ERF_U, z2)
        tail = np.where(
            z < 8.0,
            np.polyval(_ERFC_P, z) / np.polyval(_ERFC_Q, z),
            np.polyval(_ERFC_R, z) / np.polyval(_ERFC_S, z),
        )
        large = np.copysign(1.0 - np.exp(-z2) * tail, x)
    return np.where(z <= 1.0, small, large).astype(dtype, copy=False)


class Erf(Function):
    """erf(x), the error function (GELU is x Phi(x) = x (1 + erf(x / sqrt 2)) / 2).

    d/dx = 2 / sqrt(pi) e^(-x^2): the Gaussian bell, scaled.
    """

    __slots__ = ()

    def forward(self, x: np.ndarray) -> np.ndarray:
        return erf(x)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g * (2 / np.sqrt(np.pi)) * _exp_of(-(x * x)),)


class Softplus(Function):
    """softplus(x) = log(1 + e^(beta x)) / beta, and x itself where beta x > threshold.

    d/dx = sigma(beta x) (1 where beta x > threshold): softplus is a smooth ReLU whose
    derivative is the sigmoid. Computed as logaddexp(0, beta x) / beta, which neither
    overflows for large x nor loses the small values for very negative x.
    """

    __slots__ = ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: np.ndarray) -> np.ndarray:
        scaled = x * self.beta
        smooth = np.logaddexp(0, scaled) / self.beta
        return np.where(scaled > self.threshold, x, smooth).astype(x.dtype, copy=False)

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        scaled = x * self.beta
        linear = (scaled > self.threshold) if _is_array(x) else (scaled.data > self.threshold)
        return (g * (_sigmoid_of(scaled) * ~linear + linear),)


class Softmax(Function):
    """softmax(x)_i = e^(x_i) / sum_j e^(x_j) along ``axis``: probabilities that sum to 1.

    Forward subtracts the largest value first (the result is the same, e^x cannot
    overflow). With s = softmax(x), ds_i/dx_j = s_i (delta_ij - s_j), so the
    vector-Jacobian product is  dL/dx = s * (g - sum(g * s)).
    """

    __slots__ = ("axis",)
    uses_inputs = False
    uses_output = True

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        e /= e.sum(axis=self.axis, keepdims=True)
        return e

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (out * (g - (g * out).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """log softmax(x) = x - log sum_j e^(x_j) along ``axis``, without overflow.

    d/dx_j of log s_i = delta_ij - s_j, so  dL/dx = g - softmax(x) * sum(g), where
    softmax(x) = e^(output).
    """

    __slots__ = ("axis",)
    uses_inputs = False
    uses_output = True

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, x: np.ndarray) -> np.ndarray:
        m = x.max(axis=self.axis, keepdims=True)
        m[~np.isfinite(m)] = 0  # a row of -inf (or inf) stays as it is
        shifted = x - m
        shifted -= np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        return shifted

    def backward(self, g: Any, out: Any, x: Any) -> tuple[Any, ...]:
        return (g - _exp_of(out) * g.sum(axis=self.axis, keepdims=True),)


@functools.lru_cache(maxsize=64)
def _row_index(n: int) -> np.ndarray:
    """0, 1, ..., n - 1, made once per n: ``a[_row_index(n), cols]`` picks one element
    of each row of ``a``."""
    rows = np.arange(n)
    rows.flags.writeable = False  # shared by every caller
    return rows


def _exp_of_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """e = e^(x - m) for each row of the 2-D array x, with m the row's maximum (so
    that e^x cannot overflow), and the row sums of e: softmax(x) = e / sums.

    Returns (e, sums, m).
    """
    # The row maxima, picked by argmax: NumPy's max along a short last axis (10
    # classes) is several times slower. The same values, NaN included.
    m = x[_row_index(len(x)), x.argmax(axis=1)]
    e = x - m[:, None]
    np.exp(e, out=e)
    return e, np.add.reduce(e, axis=1), m


class SoftmaxCrossEntropy(Function):
    """Cross-entropy of softmax(x) against integer labels y, fused into one node.

    Inputs: the logits x, shape (N, C), and the labels y, shape (N,) (an integer
    tensor, a constant for the gradient). Per row i:
        loss_i = -log softmax(x_i)[y_i] = logsumexp(x_i) - x_i[y_i],
    reduced by ``reduction``: "mean" (divided by N), "sum" or "none" (shape (N,)).

    The course's result: the gradient with respect to the pre-activations is the
    predicted distribution minus the one-hot target,
        dloss_i/dx_i = softmax(x_i) - e(y_i),
    times the upstream gradient (and 1/N for the mean). Forward is stable for logits
    of any size (the row maximum is taken out of the log-sum-exp).

    The log-sum-exp of forward is the log of softmax's denominator: forward keeps
    the exponentials and their sums in ``saved`` for backward, with the x they came
    from. The op may run forward again on other inputs before its backward (a
    compiled function replays the same op on every call), so backward uses them only
    when it gets the very same x array, and otherwise computes them again.
    """

    __slots__ = ("reduction", "saved")
    keeps_state = True  # the exponentials, until release()

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = reduction
        self.saved: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def forward(self, x: np.ndarray, target: np.ndarray) -> np.ndarray:
        e, sums, m = _exp_of_rows(x)
        self.saved = (x, e, sums)
        # logsumexp(x_i) - x_i[y_i], with m_i taken out of both terms.
        losses = np.log(sums)
        losses -= x[_row_index(len(x)), target] - m
        if self.reduction == "mean":  # losses.mean(), without its Python overhead
            return np.asarray(np.add.reduce(losses) / len(x), dtype=x.dtype)
        if self.reduction == "sum":
            return np.asarray(np.add.reduce(losses), dtype=x.dtype)
        return losses

    def backward(self, g: Any, out: Any, x: Any, target: Any) -> tuple[Any, ...]:
        n = len(x)
        scale = g * (1.0 / n) if self.reduction == "mean" else g
        if self.reduction == "none":
            scale = scale.reshape((n, 1))
        rows = _row_index(n)
        if _is_array(x):
            saved = self.saved
            if saved is not None and saved[0] is x:  # what forward kept, for this very x
                _, e, sums = saved
            else:
                e, sums, _ = _exp_of_rows(x)
            grad = e / sums[:, None]  # softmax(x) ...
            grad[rows, target] -= 1.0  # ... - e(y)
            grad *= scale
            return grad, None
        one_hot = np.zeros(x.shape, dtype=x.dtype)
        one_hot[rows, target.data] = 1.0
        return (x.softmax(1) - one_hot) * scale, None

    def release(self) -> None:
        super().release()
        self.saved = None


class SquaredError(Function):
    """The squared error of x against a target t, summed or averaged:

        loss = c * sum_i (x_i - t_i)^2,  c = 1 (sum) or 1/N (mean), times 1/2 with the
        course's convention (``half``).

    d/dx = 2 c (x - t) (just c (x - t) with the 1/2), and d/dt = -d/dx. One node for
    what would be four (subtract, square, sum, scale).
    """

    __slots__ = ("mean", "half")

    def __init__(self, mean: bool, half: bool) -> None:
        self.mean = mean
        self.half = half

    def _scale(self, size: int) -> float:
        return (0.5 if self.half else 1.0) / (size if self.mean else 1)

    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        d = (x - t).ravel()
        return np.asarray(np.dot(d, d) * self._scale(d.size), dtype=d.dtype)

    def backward(self, g: Any, out: Any, x: Any, t: Any) -> tuple[Any, ...]:
        if _is_array(g):  # the same, the factor a Python float
            dx = x - t
            dx *= float(g) * (2 * self._scale(x.size))
        else:
            dx = (x - t) * (g * (2 * self._scale(x.size)))
        return dx, (-dx if self.needs_grad[1] else None)


class SumOfSquares(Function):
    """c * (sum of w^2 over every element of every input): the L2 penalty of many
    weight matrices as one node.  d/dw = 2 c w for each input w."""

    __slots__ = ("scale",)

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def forward(self, *ws: np.ndarray) -> np.ndarray:
        total = sum(np.dot(w.ravel(), w.ravel()) for w in ws)
        return np.asarray(total * self.scale, dtype=ws[0].dtype)

    def backward(self, g: Any, out: Any, *ws: Any) -> tuple[Any, ...]:
        factor = g * (2 * self.scale)
        return tuple(w * factor if needed else None for w, needed in zip(ws, self.needs_grad))


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities x against targets t, elementwise:

        loss = -(t log x + (1 - t) log(1 - x)),  each log clamped at -100 (as PyTorch),

    so that x = 0 or 1 gives a large finite loss, not inf.
    d/dx = (x - t) / (x (1 - x)), with the denominator kept >= 1e-12;
    d/dt = log(1 - x) - log x (the clamped logs).
    """

    __slots__ = ()

    @staticmethod
    def _logs(x: Any) -> tuple[Any, Any]:
        if _is_array(x):
            with np.errstate(divide="ignore"):
                return np.maximum(np.log(x), -100), np.maximum(np.log(1 - x), -100)
        return x.log().clamp(min=-100), (1 - x).log().clamp(min=-100)

    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        log_x, log_1mx = self._logs(x)
        return -(t * log_x + (1 - t) * log_1mx)

    def backward(self, g: Any, out: Any, x: Any, t: Any) -> tuple[Any, ...]:
        dx = dt = None
        if self.needs_grad[0]:
            spread = x * (1 - x)
            spread = np.maximum(spread, 1e-12) if _is_array(x) else spread.clamp(min=1e-12)
            dx = g * (x - t) / spread
        if self.needs_grad[1]:
            log_x, log_1mx = self._logs(x)
            dt = g * (log_1mx - log_x)
        return dx, dt


class DropoutMask(Function):
    """The random mask of inverted dropout, shaped like its input x (whose values are
    not used): each element is 0 with probability p, else 1 / (1 - p).

    Drawn in ``forward`` from ``generator`` (chainrule's own when None), so that a
    compiled function draws a new mask on every call. No gradient: dropout is
    x * mask, and the Mul carries the gradient (the mask itself).
    """

    __slots__ = ("p", "generator")
    differentiable = False

    def __init__(self, p: float, generator: np.random.Generator | None = None) -> None:
        self.p = p
        self.generator = generator

    def forward(self, x: np.ndarray) -> np.ndarray:
        from chainrule import random as _random

        dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        if self.p >= 1.0:
            return np.zeros(x.shape, dtype)
        rng = self.generator if self.generator is not None else _random.default_generator()
        mask = (rng.random(x.shape, dtype=dtype) >= self.p).astype(dtype)
        mask *= 1.0 / (1.0 - self.p)
        return mask
