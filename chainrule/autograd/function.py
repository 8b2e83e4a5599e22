"""The node of the computational graph: a primitive operation that remembers its inputs.

Every primitive op (``Add``, ``MatMul``, ``Tanh``, ...) is a subclass of ``Function``
with two methods:

* ``forward(*arrays)`` computes the output from the inputs' NumPy arrays;
* ``backward(g, out, *inputs)`` is the op's vector-Jacobian product: given the
  upstream gradient ``g`` (dLoss/dOutput) it returns dLoss/dInput for each input,
  that is, the local derivative times the upstream gradient: the chain rule.

Calling an op on tensors (``Mul()(a, b)``) runs ``forward`` and, when gradients are
being recorded and some input requires them, makes the op a node of the graph: it
keeps its inputs (``parents``) so that ``backward`` can be applied later, walking the
graph from the loss back to the leaves (see ``engine.py``).

The backward rules are written once, in a small vocabulary (arithmetic operators,
``sum``, ``reshape``, ``swapaxes`` and the helpers of ``ops.py``) that works on NumPy
arrays and on Tensors alike. The ordinary backward pass feeds them arrays, which is
fast; ``create_graph=True`` feeds them Tensors, so the backward pass is itself
recorded and can be differentiated again (Hessian-vector products, gradient penalties).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from chainrule import _tensor as _tensor_module

if TYPE_CHECKING:
    from chainrule._tensor import Tensor

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]


class _GradMode(threading.local):
    """Whether ops record the graph, per thread (as in PyTorch), and whether a
    ``chainrule.compile`` trace is listening to every op."""

    enabled: bool = True
    tracer: Any = None


_grad_mode = _GradMode()

# Nodes are numbered in the order they are created. A node is always created after the
# nodes of its inputs, so visiting nodes from the highest number down reaches every node
# after all the nodes that use its output: a topological order for free.
_node_counter = itertools.count()

# In-place changes. Each tensor's version record, ``tensor._version`` (a list shared
# with its views), holds [how many times it was changed in place, the number of the
# latest change]; changes are numbered across all tensors by ``_changes``. A node notes
# the number of the latest change when it is made (``node.changes``): if no tensor was
# changed in place since, none of its inputs was, and backward has nothing to check.
_changes = [0]


def mark_changed(*tensors: Tensor) -> None:
    """Record that ``tensors`` (and their views) are changed in place just now."""
    _changes[0] += 1
    now = _changes[0]
    for tensor in tensors:
        version = tensor._version
        version[0] += 1
        version[1] = now


def changed_since(node: Function, parent: Tensor) -> bool:
    """Whether ``parent`` was changed in place after ``node`` read it."""
    return parent._version[1] > node.changes


class Function:
    """A primitive op and, once called on tensors that require grad, a graph node.

    Subclasses implement ``forward`` and ``backward`` and say, with two class
    attributes, what ``backward`` reads:

    * ``uses_inputs``: it reads the inputs' values (so they must not be changed in
      place before backward; a version counter checks this);
    * ``uses_output``: it reads the op's own output (``tanh``, ``exp``, ``sigmoid``
      express their derivatives through it).
    """

    __slots__ = ("parents", "arrays", "needs_grad", "changes", "out", "seq", "retained")

    uses_inputs: ClassVar[bool] = True
    uses_output: ClassVar[bool] = False
    # False for ops with no gradient (comparisons, argmax): never graph nodes, but a
    # compile trace still records them, since their results depend on the inputs.
    differentiable: ClassVar[bool] = True
    # True for ops that keep more than their output for backward (and so override
    # release() to drop it).
    keeps_state: ClassVar[bool] = False

    # What a node holds once recorded (set by __call__, dropped by release()).
    parents: tuple[Tensor, ...] | None
    arrays: list[np.ndarray] | None  # the inputs' values, as forward saw them
    needs_grad: tuple[bool, ...]
    changes: int  # how many in-place changes had been made when the node was made
    out: np.ndarray | None
    seq: int
    retained: Callable[[], Tensor | None] | None

    # Each op defines (see ops.py):
    #   forward(self, *arrays) -> array: the output from the input arrays;
    #   backward(self, g, out, *inputs) -> tuple: dL/dx for each input x, given
    #   g = dL/d(output), out = the output and the inputs (arrays, or Tensors when
    #   the backward pass is itself recorded).
    forward: Callable[..., np.ndarray]
    backward: Callable[..., tuple[Any, ...]]

    @property
    def name(self) -> str:
        """The op's name, as shown in errors and graph drawings."""
        return type(self).__name__

    def __call__(self, *inputs: Tensor) -> Tensor:
        """Run the op on tensors and, if gradients are needed, record it in the graph."""
        try:
            arrays = [t.data for t in inputs]
            data = self.forward(*arrays)
        except (ValueError, IndexError) as error:
            raise _op_error(self, inputs, error) from None
        except AttributeError:
            for position, t in enumerate(inputs):
                if not isinstance(t, _tensor_module.Tensor):
                    raise TypeError(
                        f"{self.name}: input {position} must be a Tensor, got "
                        f"{type(t).__name__} (wrap data with chainrule.tensor(...))"
                    ) from None
            raise
        mode = _grad_mode
        needs = tuple([t._requires_grad for t in inputs])
        if mode.enabled and self.differentiable and True in needs:
            # A graph node: keep what backward needs.
            self.parents = inputs
            self.arrays = arrays
            self.needs_grad = needs
            self.changes = _changes[0]
            self.out = data if self.uses_output else None
            self.seq = next(_node_counter)
            self.retained = None
            result = _tensor_module.Tensor(data, True, self)
        else:  # nothing to differentiate: the result is a constant
            result = _tensor_module.Tensor(data)
        if mode.tracer is not None:
            mode.tracer.record(self, inputs, result)
        return result

    def release(self) -> None:
        """Drop the references backward needed, so the graph's memory can be freed.

        Ops that keep more (``keeps_state``) extend this."""
        self.parents = None
        self.arrays = None
        self.out = None

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"


class ShapeError(ValueError):
    """An op got inputs whose shapes do not fit together."""


def _op_error(op: Function, inputs: tuple[Tensor, ...], error: Exception) -> Exception:
    """Turn a NumPy error inside ``forward`` into one that names the op and the shapes."""
    shapes = " and ".join(str(tuple(t.shape)) for t in inputs)
    hint = getattr(op, "shape_hint", "")
    message = f"{op.name}: cannot apply to input shapes {shapes}{hint}. NumPy said: {error}"
    if isinstance(error, np.exceptions.AxisError):  # a dim that the tensor does not have
        return IndexError(f"{op.name}: {error} (the tensor has shape {shapes})")
    if isinstance(error, IndexError):
        return IndexError(f"{op.name}: bad index for a tensor of shape {shapes}: {error}")
    return ShapeError(message)


# ---------------------------------------------------------------------------------
# Grad mode: no_grad / enable_grad, usable as context managers and decorators.
# ---------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


class set_grad_enabled:  # noqa: N801  (PyTorch's name)
    """Turn graph recording on or off, as a context manager or a decorator.

    Example::

        with chainrule.set_grad_enabled(False):
            y = model(x)  # no graph is recorded
    """

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode
        self.previous: list[bool] = []

    def __enter__(self) -> None:
        self.previous.append(_grad_mode.enabled)
        _grad_mode.enabled = self.mode

    def __exit__(self, *exc_info: object) -> None:
        _grad_mode.enabled = self.previous.pop()

    def __call__(self, function: F) -> F:
        import functools

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(self.mode):
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(set_grad_enabled):  # noqa: N801
    """Do not record the graph: for evaluation and for updating parameters.

    Example::

        with chainrule.no_grad():
            for p in params:
                p -= lr * p.grad
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(set_grad_enabled):  # noqa: N801
    """Record the graph again inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)


def is_grad_enabled() -> bool:
    """Whether ops are being recorded for backward in this thread."""
    return _grad_mode.enabled
