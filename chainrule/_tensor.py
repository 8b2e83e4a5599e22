"""``Tensor``: a NumPy array that remembers how it was computed.

A tensor holds its values in ``.data`` (a NumPy array). When it was produced by an
op from tensors that require gradients, it also holds that op (``grad_fn``), which
holds its inputs: together they form the computational graph. ``backward()`` walks
that graph from this tensor back to the leaves, applying the chain rule, and leaves
find dOutput/dLeaf in ``.grad``.

Names, arguments and behaviour follow PyTorch; broadcasting follows NumPy. Every
method that can be differentiated is a primitive of ``autograd/ops.py`` or is
written in terms of them, right here.
"""

from __future__ import annotations

import functools
import numbers
import operator
from collections import namedtuple
from collections.abc import Iterator
from typing import Any

import numpy as np

from chainrule.autograd import ops
from chainrule.autograd.engine import run_backward
from chainrule.autograd.function import Function, is_grad_enabled, mark_changed

__all__ = ["Tensor", "DTypeLike"]

DTypeLike = np.dtype | type | str | None

# Dtypes whose tensors can require gradients.
_FLOAT_KINDS = "f"

# What ``x.max(dim)`` and ``x.min(dim)`` return, as in PyTorch.
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _reduction_axis(dim: Any, axis: Any) -> Any:
    """The axes of a reduction, from PyTorch's ``dim`` or NumPy's ``axis``."""
    if axis is not None:
        if dim is not None:
            raise TypeError("give either dim or axis (its NumPy name), not both")
        dim = axis
    if isinstance(dim, list):
        dim = tuple(dim)
    return dim


def _keep(keepdim: bool, keepdims: bool | None) -> bool:
    """PyTorch's ``keepdim`` or NumPy's ``keepdims``."""
    return keepdim if keepdims is None else keepdims


def _shape_args(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike, as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


class Tensor:
    """An n-dimensional array of numbers with reverse-mode automatic differentiation.

    Create tensors with ``chainrule.tensor(data, dtype=None, requires_grad=False)``
    and the other creation functions; ``Tensor(array)`` wraps a NumPy array without
    copying it.

    Attributes:
        data: the values, a NumPy array (changing it directly bypasses autograd).
        grad: after ``backward()``, the gradient of the output with respect to this
            tensor, a Tensor of the same shape (leaves only, unless ``retain_grad()``).
        requires_grad: whether ops on this tensor are recorded for backward.
        grad_fn: the op that produced this tensor (None for leaves).

    Example::

        >>> import chainrule as cr
        >>> x = cr.tensor(-2.0, requires_grad=True)
        >>> y = cr.tensor(5.0, requires_grad=True)
        >>> z = cr.tensor(-4.0, requires_grad=True)
        >>> f = (x + y) * z
        >>> f.backward()
        >>> x.grad, y.grad, z.grad
        (tensor(-4.), tensor(-4.), tensor(3.))
    """

    __slots__ = ("data", "grad", "_requires_grad", "_node", "_version", "__weakref__")

    # NumPy defers to our reflected operators (array * tensor -> Tensor.__rmul__).
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, _node: Function | None = None):
        if type(data) is not np.ndarray:
            # NumPy returns scalars for 0-d results; other data goes through the dtype rules.
            data = np.asarray(data) if isinstance(data, np.generic) else _to_array(data, None)
        if requires_grad and data.dtype.kind not in _FLOAT_KINDS:
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {data.dtype}; "
                "convert it first, e.g. chainrule.tensor(data, dtype=chainrule.float32)"
            )
        self.data: np.ndarray = data
        self.grad: Tensor | None = None
        self._requires_grad = requires_grad
        self._node = _node
        # [in-place changes, number of the latest]: shared with views, so that a change
        # through a view counts (see function.mark_changed).
        self._version = [0, 0]

    # ----------------------------------------------------------------- properties

    @property
    def requires_grad(self) -> bool:
        """Whether ops on this tensor are recorded so that gradients can flow to it."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place on a leaf; returns the tensor."""
        if requires_grad and self.data.dtype.kind not in _FLOAT_KINDS:
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.dtype}"
            )
        if not requires_grad and self._node is not None:
            raise RuntimeError(
                "requires_grad can only be turned off on a leaf; use detach() to get a "
                "tensor outside the graph"
            )
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad_fn(self) -> Function | None:
        """The op that produced this tensor, or None for a leaf."""
        return self._node

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (the graph's inputs)."""
        return self._node is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def device(self) -> str:
        """Always ``"cpu"``: chainrule runs on NumPy."""
        return "cpu"

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the length of one axis."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    # ------------------------------------------------------------ leaving the graph

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (shares memory with the tensor)."""
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with exactly one element, got shape {self.shape}"
            )
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> Tensor:
        """The same values, cut from the graph (shares memory; no gradient flows)."""
        return self._view_of(ops.NoGrad(np.asarray)(self))

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too after backward."""
        import weakref

        if self._node is None:
            if not self._requires_grad:
                raise RuntimeError("retain_grad() on a tensor that does not require grad")
            return
        self._node.retained = weakref.ref(self)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn={self._node!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    __hash__ = object.__hash__

    # ------------------------------------------------------------------- backward

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
    ) -> None:
        """Compute the gradient of this tensor with respect to the graph's leaves.

        Each leaf with ``requires_grad=True`` gets d(self)/d(leaf), weighted by
        ``gradient``, added into its ``.grad``.

        Args:
            gradient: d(final)/d(self), same shape as self. May be left out for a
                tensor with one element (it is then 1).
            retain_graph: keep the graph so backward can run through it again
                (default: the value of ``create_graph``).
            create_graph: record the backward pass too, so the gradients can be
                differentiated again (higher-order derivatives).
        """
        if not self._requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input of the "
                "computation has requires_grad=True (or it ran under no_grad())"
            )
        seed = _seed_gradient(self, gradient, create_graph, "backward()")
        run_backward(
            [self],
            [seed],
            retain_graph=create_graph if retain_graph is None else retain_graph,
            create_graph=create_graph,
        )

    # ----------------------------------------------------------- binary operators

    def _operand(self, other: Any) -> Tensor:
        """``other`` as a tensor for a binary op with ``self``.

        Python numbers take the tensor's dtype where they fit (a float with an integer
        tensor becomes float32); an integer tensor meeting a float one is converted to
        the float dtype, as in PyTorch.
        """
        if isinstance(other, Tensor):
            if self.data.dtype.kind == "f" and other.data.dtype.kind != "f":
                return Tensor(other.data.astype(self.data.dtype))
            return other
        dtype = self.data.dtype
        if type(other) is float or type(other) is int:  # the common case, made quick
            if dtype.kind == "f" or type(other) is int:
                return Tensor(np.array(other, dtype))
            return Tensor(np.array(other, np.float32))
        if isinstance(other, (bool, numbers.Number)) and not isinstance(other, complex):
            if isinstance(other, bool) and dtype.kind == "b":
                return Tensor(np.array(other, np.bool_))
            if dtype.kind != "f" and not isinstance(other, numbers.Integral):
                return Tensor(np.array(other, np.float32))
            return Tensor(np.array(other, dtype))
        if isinstance(other, (np.ndarray, np.generic, list, tuple)):
            return self._operand(Tensor(_to_array(other, None)))
        raise TypeError(f"unsupported operand type for a tensor op: {type(other).__name__}")

    def _binary(self, op: type[Function], other: Any) -> Tensor:
        other = self._operand(other)
        if self.data.dtype.kind in "iub" and other.data.dtype.kind == "f":
            return op()(other._operand(self), other)
        return op()(self, other)

    def _rbinary(self, op: type[Function], other: Any) -> Tensor:
        return self._operand(other)._binary(op, self)

    def __add__(self, other: Any) -> Tensor:
        return self._binary(ops.Add, other)

    def __radd__(self, other: Any) -> Tensor:
        return self._rbinary(ops.Add, other)

    def __sub__(self, other: Any) -> Tensor:
        return self._binary(ops.Sub, other)

    def __rsub__(self, other: Any) -> Tensor:
        return self._rbinary(ops.Sub, other)

    def __mul__(self, other: Any) -> Tensor:
        return self._binary(ops.Mul, other)

    def __rmul__(self, other: Any) -> Tensor:
        return self._rbinary(ops.Mul, other)

    def __truediv__(self, other: Any) -> Tensor:
        if self.data.dtype.kind != "f" and not (
            isinstance(other, Tensor) and other.data.dtype.kind == "f"
        ):
            return self.float()._binary(ops.Div, other)  # true division gives floats
        return self._binary(ops.Div, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return self._operand(other).__truediv__(self)

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, bool):
            return ops.PowScalar(float(exponent))(self)
        return self._binary(ops.Pow, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return self._rbinary(ops.Pow, base)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.MatMul()(self, self._operand(other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.MatMul()(self._operand(other), self)

    def __neg__(self) -> Tensor:
        return ops.Neg()(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self.abs()

    # -------------------------------------------- comparisons and logic (no grad)

    def _compare(self, ufunc: np.ufunc, other: Any) -> Tensor:
        return ops.NoGrad(ufunc)(self, self._operand(other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(np.equal, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(np.not_equal, other)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(np.less, other)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(np.less_equal, other)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(np.greater, other)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(np.greater_equal, other)

    def __and__(self, other: Any) -> Tensor:
        return self._compare(np.logical_and, other)

    def __or__(self, other: Any) -> Tensor:
        return self._compare(np.logical_or, other)

    def __invert__(self) -> Tensor:
        return ops.NoGrad(np.logical_not)(self)

    def eq(self, other: Any) -> Tensor:
        return self == other

    def any(self) -> Tensor:
        return ops.NoGrad(np.any)(self)

    def all(self) -> Tensor:
        return ops.NoGrad(np.all)(self)

    def sign(self) -> Tensor:
        """-1, 0 or 1 per element. Its gradient is zero, so it is not recorded."""
        return ops.NoGrad(np.sign)(self)

    def argmax(
        self,
        dim: int | None = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Index of the largest element (over all elements, or along ``dim``)."""
        axis = _reduction_axis(dim, axis)
        argmax = functools.partial(np.argmax, axis=axis, keepdims=_keep(keepdim, keepdims))
        return ops.NoGrad(argmax)(self)

    def argmin(
        self,
        dim: int | None = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Index of the smallest element (over all elements, or along ``dim``)."""
        axis = _reduction_axis(dim, axis)
        argmin = functools.partial(np.argmin, axis=axis, keepdims=_keep(keepdim, keepdims))
        return ops.NoGrad(argmin)(self)

    # ------------------------------------------------------ elementwise functions

    def exp(self) -> Tensor:
        return ops.Exp()(self)

    def log(self) -> Tensor:
        return ops.Log()(self)

    def sqrt(self) -> Tensor:
        return ops.Sqrt()(self)

    def abs(self) -> Tensor:
        return ops.Abs()(self)

    def sin(self) -> Tensor:
        return ops.Sin()(self)

    def cos(self) -> Tensor:
        return ops.Cos()(self)

    def tanh(self) -> Tensor:
        return ops.Tanh()(self)

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid()(self)

    def relu(self) -> Tensor:
        return ops.Relu()(self)

    def square(self) -> Tensor:
        return ops.PowScalar(2)(self)

    def pow(self, exponent: Any) -> Tensor:
        return self**exponent

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        """Limit values to [min, max]; the gradient is zero where a value was clipped."""
        if min is None and max is None:
            raise ValueError("clamp() needs at least one of min and max")
        return ops.Clamp(min, max)(self)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        return self._binary(ops.Maximum, other)

    def minimum(self, other: Any) -> Tensor:
        return self._binary(ops.Minimum, other)

    def where(self, condition: Any, other: Any) -> Tensor:
        """``self`` where ``condition`` holds, else ``other`` (PyTorch's x.where)."""
        return where(condition, self, other)

    def matmul(self, other: Any) -> Tensor:
        return self @ other

    # ----------------------------------------------------------------- reductions

    def sum(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Sum over ``dim`` (an int, a tuple, or None for all elements)."""
        return ops.Sum(_reduction_axis(dim, axis), _keep(keepdim, keepdims))(self)

    def mean(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Mean over ``dim``: the sum divided by the number of elements summed."""
        axis = _reduction_axis(dim, axis)
        total = self.sum(axis, _keep(keepdim, keepdims))
        if total.data.size == 0 or self.data.size == 0:
            raise ValueError(f"mean() of an empty tensor of shape {self.shape}")
        return total * (total.data.size / self.data.size)

    def var(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        correction: int = 1,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Variance over ``dim``, with Bessel's ``correction`` (1) as in PyTorch."""
        axis = _reduction_axis(dim, axis)
        keep = _keep(keepdim, keepdims)
        mean = self.mean(axis, keepdim=True)
        centred = self - mean
        count = self.data.size // max(mean.data.size, 1)
        return (centred * centred).sum(axis, keep) * (1.0 / max(count - correction, 1))

    def std(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        correction: int = 1,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Standard deviation over ``dim`` (the square root of ``var``)."""
        return self.var(dim, keepdim, correction=correction, axis=axis, keepdims=keepdims).sqrt()

    def amax(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Largest value over ``dim``; the gradient goes to the maximum (split on ties)."""
        return ops.Max(_reduction_axis(dim, axis), _keep(keepdim, keepdims))(self)

    def amin(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """Smallest value over ``dim``: -amax(-x)."""
        return -((-self).amax(dim, keepdim, axis=axis, keepdims=keepdims))

    def max(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """The largest element, or with ``dim`` a (values, indices) pair, as in PyTorch."""
        if dim is None:
            return self.amax()
        return ValuesIndices(self.amax(dim, keepdim), self.argmax(dim, keepdim))

    def min(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """The smallest element, or with ``dim`` a (values, indices) pair."""
        if dim is None:
            return self.amin()
        return ValuesIndices(self.amin(dim, keepdim), self.argmin(dim, keepdim))

    def logsumexp(
        self,
        dim: Any = None,
        keepdim: bool = False,
        *,
        axis: Any = None,
        keepdims: bool | None = None,
    ) -> Tensor:
        """log(sum(exp(x))) over ``dim``, computed without overflow (the largest value
        m is taken out first: log sum e^x = m + log sum e^(x - m))."""
        return ops.LogSumExp(_reduction_axis(dim, axis), _keep(keepdim, keepdims))(self)

    def softmax(self, dim: int = -1) -> Tensor:
        """e^x / sum(e^x) along ``dim``: probabilities that sum to 1."""
        return ops.Softmax(dim)(self)

    def log_softmax(self, dim: int = -1) -> Tensor:
        """log(softmax(x)) = x - logsumexp(x), computed without overflow."""
        return ops.LogSoftmax(dim)(self)

    # ------------------------------------------------------------------ shape ops

    def _view_of(self, out: Tensor) -> Tensor:
        """Mark ``out`` as a view of self: they share the in-place version counter."""
        out._version = self._version
        return out

    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape (one axis may be -1: inferred)."""
        return self._view_of(ops.Reshape(_shape_args(shape))(self))

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge axes ``start_dim`` .. ``end_dim`` into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = start_dim % self.ndim, end_dim % self.ndim
        shape = self.shape[:start] + (-1,) + self.shape[end + 1 :]
        return self.reshape(shape)

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert an axis of length 1 at ``dim``."""
        if dim < 0:
            dim += self.ndim + 1
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def squeeze(self, dim: int | None = None) -> Tensor:
        """Remove axes of length 1 (all of them, or only ``dim``)."""
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dim %= max(self.ndim, 1)
        if self.ndim == 0 or self.shape[dim] != 1:
            return self
        return self.reshape(self.shape[:dim] + self.shape[dim + 1 :])

    def permute(self, *dims: Any) -> Tensor:
        """Reorder the axes: ``x.permute(1, 0)`` swaps the two axes of a matrix."""
        axes = _shape_args(dims)
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(
                f"permute({axes}) is not a reordering of the {self.ndim} axes "
                f"of a tensor of shape {self.shape}"
            )
        return self._view_of(ops.Permute(axes)(self))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two axes."""
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return self.permute(tuple(axes))

    swapaxes = transpose

    @property
    def T(self) -> Tensor:  # noqa: N802
        """The axes in reverse order (the transpose of a matrix)."""
        return self._view_of(ops.Permute(tuple(range(self.data.ndim - 1, -1, -1)))(self))

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to a larger shape without copying (-1 keeps an axis's size)."""
        shape = _shape_args(sizes)
        offset = len(shape) - self.ndim
        shape = tuple(
            self.shape[i - offset] if n == -1 and i >= offset else n for i, n in enumerate(shape)
        )
        return self._view_of(ops.Expand(shape)(self))

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def __getitem__(self, index: Any) -> Tensor:
        template, arrays = _normalize_index(index)
        if not arrays:  # basic indexing: a view
            return self._view_of(ops.GetItem(template, False)(self))
        return ops.GetItem(template, True)(self, *arrays)

    # ---------------------------------------------------------------- conversions

    def to(self, dtype: DTypeLike) -> Tensor:
        """This tensor with another dtype (itself if it already has it).

        Converting to a non-float dtype gives a tensor outside the graph.
        """
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if dtype.kind != "f":
            return ops.NoGrad(operator.methodcaller("astype", dtype))(self)
        return ops.Cast(dtype)(self)

    astype = to

    def clone(self) -> Tensor:
        """A copy with its own memory; gradients flow back through it."""
        return ops.Cast(self.data.dtype)(self)

    def contiguous(self) -> Tensor:
        return self

    # ------------------------------------------------------------ in-place updates

    def _check_inplace(self, what: str) -> None:
        if self._requires_grad and is_grad_enabled():
            raise RuntimeError(
                f"{what} would change a tensor that requires grad in place while the graph "
                "is being recorded. Update parameters inside `with chainrule.no_grad():`, "
                "or use the out-of-place form (x = x + y)."
            )

    def _changed(self) -> Tensor:
        mark_changed(self)
        return self

    def _inplace_value(self, other: Any) -> Any:
        value = other.data if isinstance(other, Tensor) else other
        if np.shape(value) and np.broadcast_shapes(np.shape(value), self.shape) != self.shape:
            raise ops_shape_error("in-place update", self.shape, np.shape(value), None)
        return value

    def add_(self, other: Any, *, alpha: float = 1.0) -> Tensor:
        """self += alpha * other, in place."""
        self._check_inplace("add_()")
        value = self._inplace_value(other)
        if alpha == 1.0:
            self.data += value
        else:
            self.data += alpha * np.asarray(value, dtype=self.data.dtype)
        return self._changed()

    def sub_(self, other: Any, *, alpha: float = 1.0) -> Tensor:
        """self -= alpha * other, in place."""
        return self.add_(other, alpha=-alpha)

    def mul_(self, other: Any) -> Tensor:
        """self *= other, in place."""
        self._check_inplace("mul_()")
        self.data *= self._inplace_value(other)
        return self._changed()

    def div_(self, other: Any) -> Tensor:
        """self /= other, in place."""
        self._check_inplace("div_()")
        self.data /= self._inplace_value(other)
        return self._changed()

    def copy_(self, source: Any) -> Tensor:
        """Overwrite the values with ``source`` (broadcast to this shape)."""
        self._check_inplace("copy_()")
        self.data[...] = self._inplace_value(source)
        return self._changed()

    def fill_(self, value: float) -> Tensor:
        self._check_inplace("fill_()")
        self.data.fill(value)
        return self._changed()

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        self._check_inplace("clamp_()")
        np.clip(self.data, min, max, out=self.data)
        return self._changed()

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("item assignment")
        template, arrays = _normalize_index(index)
        full_index = ops.GetItem(template, bool(arrays)).index(tuple(arrays))
        self.data[full_index] = value.data if isinstance(value, Tensor) else value
        self._changed()

    def _inplace_or_new(self, inplace: str, op: Any, other: Any) -> Tensor:
        """``x += y``: in place when nothing is being recorded, else a new tensor."""
        if is_grad_enabled() and (
            self._requires_grad or (isinstance(other, Tensor) and other._requires_grad)
        ):
            if self._node is None and self._requires_grad:
                self._check_inplace(f"'{inplace}' on a leaf")
            return op(self, other)
        getattr(self.data, f"__i{op.__name__.strip('_')}__")(self._inplace_value(other))
        return self._changed()

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace_or_new("+=", Tensor.__add__, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace_or_new("-=", Tensor.__sub__, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace_or_new("*=", Tensor.__mul__, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace_or_new("/=", Tensor.__truediv__, other)

    # Conversions named after builtins come last, so the annotations above see the builtins.

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def int(self) -> Tensor:
        return self.to(np.int32)

    def bool(self) -> Tensor:
        return self.to(np.bool_)


# ---------------------------------------------------------------------- helpers


def ops_shape_error(what: str, shape: Any, other_shape: Any, error: Exception | None) -> Exception:
    from chainrule.autograd.function import ShapeError

    said = f" NumPy said: {error}" if error is not None else ""
    return ShapeError(
        f"{what}: shapes {tuple(shape)} and {tuple(other_shape)} do not broadcast together.{said}"
    )


def _to_array(data: Any, dtype: DTypeLike) -> np.ndarray:
    """Make a NumPy array from Python data, with chainrule's dtype rules.

    Python floats (and lists of them) become float32; a NumPy array keeps its dtype
    unless one is given.
    """
    if isinstance(data, Tensor):
        data = data.data
    try:
        array = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError) as error:
        raise TypeError(f"cannot make a tensor from {type(data).__name__}: {error}") from None
    if array.dtype.kind not in "fiub":
        raise TypeError(
            f"cannot make a tensor from {type(data).__name__} with dtype {array.dtype}: "
            "chainrule tensors hold floats, integers or booleans"
        )
    from_python = not isinstance(data, (np.ndarray, np.generic))
    if dtype is None and array.dtype == np.float64 and from_python:
        array = array.astype(np.float32)
    return array


def _normalize_index(index: Any) -> tuple[Any, list[Tensor]]:
    """Split an index into its template and its index arrays (as tensors).

    Integer and bool arrays, lists and tensors inside the index become inputs of the
    ``GetItem`` op (``ops.INDEX_SLOT`` marks their places in the template).
    """
    parts = index if isinstance(index, tuple) else (index,)
    template: list[Any] = []
    arrays: list[Tensor] = []
    for part in parts:
        if isinstance(part, (list, np.ndarray)):
            part = Tensor(np.asarray(part))
        if isinstance(part, Tensor):
            if part.dtype.kind not in "iub":
                raise IndexError(
                    f"tensors used as indices must be integer or bool, got dtype {part.dtype}"
                )
            arrays.append(part)
            part = ops.INDEX_SLOT
        template.append(part)
    return (tuple(template) if isinstance(index, tuple) else template[0]), arrays


def _seed_gradient(output: Tensor, gradient: Any, create_graph: bool, where: str) -> Any:
    """The starting gradient of backward: ``gradient``, or 1 for a one-element output."""
    if gradient is None:
        if output.data.size != 1:
            raise RuntimeError(
                f"{where} needs `gradient` for a non-scalar output of shape {output.shape}: "
                "reduce it to a scalar first (e.g. loss = out.sum() or out.mean()), or pass "
                "gradient=a tensor of the same shape"
            )
        if create_graph:
            return Tensor(np.ones(output.shape, dtype=output.dtype))
        if output.data.ndim == 0:  # the usual loss: a shared read-only 1 (rules never
            return ops._one(output.data.dtype)  # write into g; the engine copies a .grad)
        return np.ones(output.shape, dtype=output.dtype)
    g = gradient if isinstance(gradient, Tensor) else Tensor(_to_array(gradient, output.dtype))
    if g.shape != output.shape:
        raise ValueError(
            f"{where}: gradient has shape {g.shape} but the output has shape {output.shape}"
        )
    g = g.to(output.dtype) if g.dtype != output.dtype else g
    return g if create_graph else g.data


def where(condition: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``input if condition else other``; gradients flow to the chosen one."""
    cond = condition if isinstance(condition, Tensor) else Tensor(np.asarray(condition))
    if cond.dtype != np.bool_:
        raise TypeError(f"where() needs a bool condition, got dtype {cond.dtype}")
    a = input if isinstance(input, Tensor) else None
    b = other if isinstance(other, Tensor) else None
    if a is None and b is None:
        a = Tensor(_to_array(input, None))
    a = a if a is not None else b._operand(input)  # type: ignore[union-attr]
    b = b if b is not None else a._operand(other)
    a, b = (a, a._operand(b)) if a.dtype.kind == "f" else (b._operand(a), b)
    return ops.Where()(cond, a, b)


def is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)
