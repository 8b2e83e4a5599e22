"""The backward pass: the chain rule applied node by node, from the output back.

Starting from the output's gradient (1 for a scalar loss), each node of the graph is
visited once, after every node that used its output, so that its upstream gradient
is complete. The node's vector-Jacobian product turns that upstream gradient into a
gradient for each of its inputs; where a value fans out to several uses, the
gradients of the uses are added up. Leaves (tensors made by the user with
``requires_grad=True``) accumulate the result in ``.grad``.

Nodes are numbered in creation order, and an op is always created after its inputs,
so popping nodes from a max-heap on that number is a topological order: no recursion
and no separate sort, so graphs of any depth work.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Sequence
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

import numpy as np

from chainrule.autograd.function import Function, _changes, changed_since, set_grad_enabled
from chainrule.autograd.ops import fit_gradient

if TYPE_CHECKING:
    from chainrule._tensor import Tensor

__all__ = ["run_backward"]

_NOTHING = contextlib.nullcontext()

FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or to use values of it after "
    "they were freed). The graph is freed after backward() to save memory: pass "
    "retain_graph=True to the first backward() if you need to go through it again."
)


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Any],
    *,
    retain_graph: bool,
    create_graph: bool,
    targets: Sequence[Tensor] | None = None,
) -> list[Any] | None:
    """Propagate ``root_grads`` from ``roots`` back through the graph.

    Without ``targets`` (``Tensor.backward``), leaf gradients are accumulated into
    their ``.grad``. With ``targets`` (``autograd.grad``), nothing is written to
    ``.grad``; the gradients of the targets are returned in a list instead (None for a
    target the roots do not depend on).

    With ``create_graph``, gradients are Tensors computed by recorded ops, so they can
    be differentiated again; otherwise they are NumPy arrays.
    """
    tensor_class = _tensor_class()
    collect = _Collector(targets, tensor_class) if targets is not None else None
    grads: dict[Function, Any] = {}  # node -> gradient of its output, summed so far
    heap: list[tuple[int, Function]] = []  # nodes that have a gradient, highest seq first
    # Arrays already stored in some .grad: a second tensor must not share one of them.
    stored: set[int] = {id(g) for g in root_grads}

    def store(tensor: Tensor, g: Any) -> None:
        """Add ``g`` into ``tensor.grad``, creating it on first use."""
        grad = tensor.grad
        if grad is None:
            tensor.grad = g if create_graph else tensor_class(_owned(g, stored))
        elif create_graph or grad._requires_grad:  # recorded gradients: stay out of place
            tensor.grad = grad + g
        else:
            # Out of place: the array in .grad may be the very gradient an op handed to
            # several inputs (Add gives its g to both), still on its way to the others.
            grad.data = grad.data + g

    # A leaf's gradient is final: store it (backward) or collect it (autograd.grad).
    reach_leaf = store if collect is None else collect.add

    def reach_node(node: Function, g: Any) -> None:
        """Add ``g`` to the gradient of ``node``'s output; queue the node on first use."""
        previous = grads.get(node)
        if previous is None:
            grads[node] = g
            heappush(heap, (-node.seq, node))
        else:
            grads[node] = previous + g

    for root, g in zip(roots, root_grads):
        if root._node is None:
            reach_leaf(root, g)
        else:
            reach_node(root._node, g)

    # Only a recorded backward (create_graph) makes ops on tensors; otherwise the rules
    # see NumPy arrays and nothing is recorded whatever the grad mode.
    with set_grad_enabled(True) if create_graph else _NOTHING:
        while heap:
            node = heappop(heap)[1]
            g = grads.pop(node)  # complete: every use of this node's output is done
            if node.retained is not None:  # a non-leaf asked to keep its .grad
                kept = node.retained()
                if kept is not None:
                    store(kept, g)
            if collect is not None:
                collect.add_node(node, g)
            parents = node.parents
            if parents is None:
                raise RuntimeError(FREED_GRAPH_MESSAGE)
            if node.uses_inputs and node.changes != _changes[0]:  # some tensor was changed
                for parent in parents:
                    if changed_since(node, parent):
                        raise _modified_error(node, parents, parent)
            if create_graph:
                input_grads = _differentiable_vjp(node, g, parents)
            else:
                input_grads = node.backward(g, node.out, *node.arrays)  # type: ignore[misc]
            # The chain rule's sum: each input's gradient flows on to what made it.
            for parent, needed, pg in zip(parents, node.needs_grad, input_grads):
                if pg is None or not needed:
                    continue
                data = parent.data
                if pg.shape != data.shape or pg.dtype != data.dtype:  # rarely: skip the call
                    pg = fit_gradient(pg, data.shape, data.dtype)
                if parent._node is None:
                    reach_leaf(parent, pg)
                else:
                    reach_node(parent._node, pg)
            if not retain_graph:
                node.parents = node.arrays = node.out = None  # release(): free as we go
                if node.keeps_state:
                    node.release()

    return collect.results(create_graph, stored) if collect is not None else None


class _Collector:
    """For ``autograd.grad``: catches the gradients of the requested inputs.

    Leaves are recognised by the tensor, other tensors by the node that made them; a
    tensor asked for twice gets its gradient twice.
    """

    def __init__(self, targets: Sequence[Tensor], tensor_class: type) -> None:
        self.tensor_class = tensor_class
        keys = [("leaf", id(t)) if t._node is None else ("node", id(t._node)) for t in targets]
        self.index = {key: i for i, key in reversed(list(enumerate(keys)))}  # first place
        self.places = [self.index[key] for key in keys]
        self.found: list[Any] = [None] * len(targets)

    def add(self, leaf: Tensor, g: Any) -> None:
        position = self.index.get(("leaf", id(leaf)))
        if position is not None:
            previous = self.found[position]
            self.found[position] = g if previous is None else previous + g

    def add_node(self, node: Function, g: Any) -> None:
        position = self.index.get(("node", id(node)))
        if position is not None:
            self.found[position] = g

    def results(self, create_graph: bool, stored: set[int]) -> list[Any]:
        found = [self.found[place] for place in self.places]
        if create_graph:
            return found
        return [None if g is None else self.tensor_class(_owned(g, stored)) for g in found]


def _tensor_class() -> type:
    """Tensor (imported when first needed: the tensor module imports this one)."""
    global _TENSOR
    if _TENSOR is None:
        from chainrule._tensor import Tensor

        _TENSOR = Tensor
    return _TENSOR


_TENSOR: type | None = None


def _modified_error(node: Function, parents: tuple[Tensor, ...], parent: Tensor) -> Exception:
    position = next(i for i, p in enumerate(parents) if p is parent)
    return RuntimeError(
        f"One of the tensors needed to compute the gradient of {node.name} "
        f"(input {position}, shape {tuple(parent.shape)}) was modified in place "
        f"after it was used (it is at version {parent._version[0]} now). "
        "Use an out-of-place op (x = x + 1 instead of x += 1) or clone() it first."
    )


def _differentiable_vjp(node: Function, g: Tensor, parents: tuple[Tensor, ...]) -> Any:
    """Apply the node's backward rule to Tensors, so the backward pass is recorded."""
    out = copy.copy(node)(*parents) if node.uses_output else None
    return node.backward(g, out, *parents)


def _owned(g: Any, stored: set[int]) -> np.ndarray:
    """``g`` itself if nothing else holds it, else a copy (so .grad arrays never alias).

    A rule may hand on its upstream gradient (add does), a view of it (reshape does)
    or a NumPy scalar (0-d results); only fresh arrays are kept without a copy.
    """
    if type(g) is not np.ndarray or g.base is not None or id(g) in stored:
        g = np.array(g)
    stored.add(id(g))
    return g
