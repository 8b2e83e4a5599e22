"""Reverse-mode automatic differentiation: the graph's nodes, the primitive ops and
the backward pass.

* ``function.py``: ``Function``, the graph node, and the grad mode (``no_grad``).
* ``ops.py``: every primitive op with its forward and vector-Jacobian product.
* ``engine.py``: the backward pass that applies the chain rule node by node.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chainrule.autograd.engine import run_backward
from chainrule.autograd.function import (
    Function,
    ShapeError,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)

__all__ = [
    "Function",
    "ShapeError",
    "grad",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
]


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Any, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned, not stored.

    Unlike ``backward()``, nothing is accumulated into ``.grad``.

    Args:
        outputs: a tensor or a sequence of tensors to differentiate.
        inputs: a tensor or a sequence of tensors to differentiate with respect to.
        grad_outputs: the gradient flowing into each output (may be left out for
            outputs with one element).
        retain_graph: keep the graph for another backward (default: ``create_graph``).
        create_graph: record the computation of the gradients, so that they can be
            differentiated again (second derivatives, Hessian-vector products).
        allow_unused: return None for an input the outputs do not depend on, instead
            of raising.

    Returns:
        A tuple with one gradient (a Tensor, or None) per input.

    Example::

        >>> x = chainrule.tensor(3.0, requires_grad=True)
        >>> (dy,) = chainrule.autograd.grad(x**3, x, create_graph=True)  # 3x^2 = 27
        >>> (d2y,) = chainrule.autograd.grad(dy, x)                       # 6x = 18
    """
    from chainrule._tensor import Tensor, _seed_gradient

    outputs_list = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs_list = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    grad_outputs_list = _per_output(grad_outputs, outputs, len(outputs_list))
    if len(grad_outputs_list) != len(outputs_list):
        raise ValueError(
            f"grad(): got {len(grad_outputs_list)} grad_outputs for {len(outputs_list)} outputs"
        )
    for position, tensor in enumerate(inputs_list):
        if not isinstance(tensor, Tensor) or not tensor.requires_grad:
            raise RuntimeError(f"grad(): input {position} is not a tensor that requires grad")
    for position, tensor in enumerate(outputs_list):
        if not isinstance(tensor, Tensor) or not tensor.requires_grad:
            raise RuntimeError(
                f"grad(): output {position} does not require grad (none of its inputs does)"
            )
    seeds = [
        _seed_gradient(out, g, create_graph, "grad()")
        for out, g in zip(outputs_list, grad_outputs_list)
    ]
    found = run_backward(
        outputs_list,
        seeds,
        retain_graph=create_graph if retain_graph is None else retain_graph,
        create_graph=create_graph,
        targets=inputs_list,
    )
    assert found is not None  # run_backward returns a list when given targets
    for position, g in enumerate(found):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): input {position} (shape {inputs_list[position].shape}) was not used "
                "to compute the outputs; pass allow_unused=True to get None for it"
            )
    return tuple(found)


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate into the leaves' ``.grad`` the gradients of several outputs at once."""
    from chainrule._tensor import Tensor, _seed_gradient

    tensors_list = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    grads_list = _per_output(grad_tensors, tensors, len(tensors_list))
    seeds = [
        _seed_gradient(t, g, create_graph, "backward()") for t, g in zip(tensors_list, grads_list)
    ]
    run_backward(
        tensors_list,
        seeds,
        retain_graph=create_graph if retain_graph is None else retain_graph,
        create_graph=create_graph,
    )


def _per_output(grads: Any, outputs: Any, count: int) -> Sequence[Any]:
    """One upstream gradient per output: a single output takes ``grads`` as it is."""
    from chainrule._tensor import Tensor

    if grads is None:
        return [None] * count
    if isinstance(outputs, Tensor):
        return [grads]
    return list(grads)
