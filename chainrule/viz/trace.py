"""The graph behind a tensor, with every value and every gradient written down.

``trace(output)`` walks the computational graph that produced ``output`` (without
recursion) and lists its values in forward order: the inputs (leaves that require
grad), the constants, and the output of every op. Then it runs the backward pass
itself, node by node, and records what the engine only uses and forgets:

* for every value, the total gradient d(output)/d(value);
* for every edge (an input of an op), the share of the gradient that flows back
  along it, ``upstream x local`` (a value used twice gets two shares, which add up:
  "copy adds");
* the local gradient d(op output)/d(input), for ops where it is an array of the
  input's shape: elementwise ops and ops with a one-element output.

Nothing is written to any ``.grad`` and the graph is not freed, so ``trace`` can be
called before or after ``backward()`` (after, only if that was ``retain_graph=True``:
otherwise the graph is gone). ``chainrule.viz.graph`` draws a trace and
``chainrule.viz.explain`` prints it as a table.

Example::

    >>> x, y, z = (cr.tensor(v, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    >>> t = trace((x + y) * z, names={"x": x, "y": y, "z": z})
    >>> [(v.name, float(v.grad)) for v in t.values if v.kind == "input"]
    [('x', -4.0), ('y', -4.0), ('z', 3.0)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.autograd.function import Function, changed_since, enable_grad
from chainrule.autograd.ops import Linear, LinearActivation, sum_to_shape

__all__ = ["Value", "Edge", "Trace", "trace", "names_of", "ELEMENTWISE_OPS"]

# Ops whose output element i depends only on element i of each input (after
# broadcasting): their local gradient is an array of the output's shape.
ELEMENTWISE_OPS = frozenset(
    {
        "Add", "Sub", "Mul", "Div", "Pow", "Maximum", "Minimum", "Where", "Neg", "Exp",
        "Log", "Sqrt", "PowScalar", "Abs", "Sin", "Cos", "Tanh", "Sigmoid", "Relu",
        "Clamp", "Cast", "LeakyRelu", "Elu", "Softplus", "Silu", "Gelu", "Hardswish",
        "Hardtanh", "Hardsigmoid", "Selu", "Celu", "Mish", "Softsign", "Prelu",
    }
)  # fmt: skip

FREED_GRAPH_MESSAGE = (
    "the graph behind this tensor was freed by backward(): draw or explain it before "
    "calling backward(), or call backward(retain_graph=True)"
)


@dataclass
class Value:
    """One value of the graph: an input, a constant, or the output of an op.

    Attributes:
        index: position in forward order (inputs of an op come before the op).
        tensor: the tensor holding the value.
        kind: ``"input"`` (a leaf that requires grad), ``"constant"`` (a leaf that does
            not) or ``"op"`` (the output of an op).
        name: the name given by the user, or a generated one (``t3``, ``input1``).
        named: True when the name was given (a parameter's or a variable's name).
        op: the op's name (``"Mul"``) for kind ``"op"``, else None.
        node: the graph node (a ``Function``) for kind ``"op"``, else None.
        inputs: for an op, the indices of its inputs in argument order.
        grad: d(output)/d(this value), summed over all its uses; None when no
            gradient was computed or none reaches it (constants).
    """

    index: int
    tensor: Tensor
    kind: str
    name: str
    named: bool = False
    op: str | None = None
    node: Function | None = None
    inputs: tuple[int, ...] = ()
    grad: np.ndarray | None = None
    in_edges: tuple[int, ...] = ()  # for an op, the indices of its input edges, by position
    uses: list[int] = field(default_factory=list)  # indices of the edges leaving this value

    @property
    def data(self) -> np.ndarray:
        """The forward value, a NumPy array."""
        return self.tensor.data


@dataclass
class Edge:
    """An input of an op: the value ``source`` feeds argument ``position`` of ``target``.

    Attributes:
        grad: the share of the gradient flowing back along this edge, that is the
            target's upstream gradient times the local gradient, summed back to the
            source's shape; None for constants.
        local: d(target)/d(source) elementwise, for elementwise ops and ops with a
            one-element output; None otherwise (the gradient is then a
            vector-Jacobian product, never an explicit Jacobian).
        step: the backward step (1 = the output's op) that sent the share.
    """

    index: int
    source: int
    target: int
    position: int
    grad: np.ndarray | None = None
    local: np.ndarray | None = None
    step: int = 0


@dataclass
class Trace:
    """A recorded graph: values in forward order, edges, and the output's index."""

    values: list[Value]
    edges: list[Edge]
    output: int
    seed: np.ndarray | None

    @property
    def has_gradients(self) -> bool:
        """Whether the backward pass was traced (the output had a seed gradient)."""
        return self.seed is not None

    def ops_backward(self) -> list[Value]:
        """The op values in the order the backward pass visits them, output first."""
        ops = [v for v in self.values if v.node is not None]
        return sorted(ops, key=lambda v: -v.node.seq)  # type: ignore[union-attr]

    def find(self, tensor: Tensor) -> Value:
        """The value held by ``tensor`` (raises KeyError if it is not in the graph)."""
        for value in self.values:
            if value.tensor is tensor:
                return value
        raise KeyError(f"tensor of shape {tensor.shape} is not part of this graph")

    def inputs(self) -> list[Value]:
        """The leaves that require grad, in forward order."""
        return [v for v in self.values if v.kind == "input"]


def names_of(params: Any) -> dict[int, str]:
    """Map ``id(tensor)`` to a name, from a Module or a mapping name -> tensor.

    A Module gives its ``named_parameters()`` (dotted names as in ``state_dict``); a
    mapping may also name intermediate tensors (``{"q": x + y}``). A list of such
    sources is merged, the first name of a tensor winning.
    """
    if params is None:
        return {}
    if isinstance(params, (list, tuple)):
        merged: dict[int, str] = {}
        for source in params:
            for key, name in names_of(source).items():
                merged.setdefault(key, name)
        return merged
    if hasattr(params, "named_parameters"):
        items: Iterable[tuple[str, Any]] = params.named_parameters()
    elif isinstance(params, Mapping):
        items = params.items()
    else:
        raise TypeError(
            "params must be a Module (with named_parameters()) or a dict name -> tensor, "
            f"got {type(params).__name__}"
        )
    names: dict[int, str] = {}
    for name, tensor in items:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"params[{name!r}] is a {type(tensor).__name__}, not a Tensor")
        names.setdefault(id(tensor), str(name))
    return names


def trace(
    output: Tensor,
    names: Any = None,
    grad_output: Any = None,
    gradients: bool = True,
    output_name: str = "f",
) -> Trace:
    """Walk the graph behind ``output`` and run a recorded backward pass through it.

    Args:
        output: the tensor whose graph to trace.
        names: a Module or a dict name -> tensor naming inputs, parameters or
            intermediate results (or a list of those).
        grad_output: the gradient flowing into ``output`` (default: 1 when the output
            has one element; for larger outputs no gradients are traced unless given).
        gradients: set False to trace the forward values only.
        output_name: the name of the output when ``names`` does not name it.

    Returns:
        A ``Trace``.

    Raises:
        RuntimeError: if the graph was freed by ``backward()`` or an input was changed
            in place since the forward pass (the values drawn would be wrong).
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"expected a Tensor to trace, got {type(output).__name__}")
    given = names_of(names)
    values, edges = _walk(output, given, output_name)
    result = Trace(values=values, edges=edges, output=len(values) - 1, seed=None)
    if gradients:
        seed = _seed(output, grad_output)
        if seed is not None:
            result.seed = seed
            _backward(result)
    return result


def _walk(
    output: Tensor, given: dict[int, str], output_name: str
) -> tuple[list[Value], list[Edge]]:
    """Collect every tensor behind ``output``; return values in forward order and edges."""
    found: dict[int, Tensor] = {id(output): output}
    nodes: dict[int, Function | None] = {}  # id(tensor) -> the node drawn as making it

    def node_of(tensor: Tensor) -> Function | None:
        node = nodes.get(id(tensor), tensor.grad_fn)
        if isinstance(node, LinearActivation) and id(tensor) not in nodes:
            node = nodes[id(tensor)] = _unfused(node)
        return node

    stack = [output]
    while stack:  # iterative depth-first search: no recursion limit on deep graphs
        tensor = stack.pop()
        node = node_of(tensor)
        if node is None:
            continue
        if node.parents is None:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        for parent in node.parents:
            if id(parent) not in found:
                found[id(parent)] = parent
                stack.append(parent)

    # Forward order: ops by creation number, each preceded by the leaves it reads.
    op_tensors = sorted(
        (t for t in found.values() if node_of(t) is not None),
        key=lambda t: node_of(t).seq,  # type: ignore[union-attr]
    )
    order: list[Tensor] = []
    placed: set[int] = set()
    for tensor in op_tensors:
        for parent in node_of(tensor).parents:  # type: ignore[union-attr]
            if node_of(parent) is None and id(parent) not in placed:
                placed.add(id(parent))
                order.append(parent)
        order.append(tensor)
        placed.add(id(tensor))
    if not op_tensors:  # the output is itself a leaf
        order.append(output)

    index_of = {id(t): i for i, t in enumerate(order)}
    values: list[Value] = []
    edges: list[Edge] = []
    counters = {"input": 0, "constant": 0, "op": 0}
    for index, tensor in enumerate(order):
        node = node_of(tensor)
        kind = "op" if node is not None else "input" if tensor.requires_grad else "constant"
        counters[kind] += 1
        name = given.get(id(tensor))
        value = Value(
            index=index,
            tensor=tensor,
            kind=kind,
            name=name or _default_name(tensor, kind, counters[kind], output, output_name),
            named=name is not None,
            op=node.name if node is not None else None,
            node=node,
        )
        if node is not None:
            value.inputs = tuple(index_of[id(p)] for p in node.parents)  # type: ignore[union-attr]
            in_edges = []
            for position, source in enumerate(value.inputs):
                edge = Edge(index=len(edges), source=source, target=index, position=position)
                values[source].uses.append(edge.index)
                in_edges.append(edge.index)
                edges.append(edge)
            value.in_edges = tuple(in_edges)
        values.append(value)
    return values, edges


def _unfused(node: LinearActivation) -> Function:
    """A fused ``Linear``+activation node drawn as what it fuses: a ``Linear`` node,
    its output z (computed again from the node's inputs) and the activation's node on
    z, which is returned and stands for the fused node in the drawing.

    The two nodes take the fused node's place in the creation order (just before it)
    and its in-place change number. A layer whose inputs were changed in place since
    (its weights, by ``optimizer.step()``) is refused, values or not: z would be
    computed from the new weights.
    """
    if node.parents is None:
        raise RuntimeError(FREED_GRAPH_MESSAGE)
    _check_versions(node)  # z is computed again from the inputs: they must be unchanged
    with enable_grad():
        z = Linear()(*node.parents)
        activation = node.activation_op()
        activation(z)
    for part in (z.grad_fn, activation):
        part.changes = node.changes  # type: ignore[union-attr]
    z.grad_fn.seq = node.seq - 0.5  # type: ignore[union-attr]  # after the inputs, before the node
    activation.seq = node.seq
    activation.out = node.out
    return activation


def _default_name(tensor: Tensor, kind: str, count: int, output: Tensor, output_name: str) -> str:
    """A generated name: f for the output, t1.. for ops, input1.., constants by value."""
    if tensor is output:
        return output_name
    if kind == "op":
        return f"t{count}"
    if kind == "input":
        return f"input{count}"
    if tensor.data.size == 1:
        return f"{tensor.data.item():g}"
    return f"const{count}"


def _seed(output: Tensor, grad_output: Any) -> np.ndarray | None:
    """The gradient that starts the backward pass."""
    if grad_output is None:
        if output.data.size != 1 or not output.requires_grad:
            return None
        return np.ones_like(output.data)
    seed = np.asarray(grad_output.data if isinstance(grad_output, Tensor) else grad_output)
    if seed.shape != output.shape:
        try:
            seed = np.broadcast_to(seed, output.shape).copy()
        except ValueError:
            raise ValueError(
                f"grad_output has shape {seed.shape} but the output has shape {output.shape}"
            ) from None
    return seed.astype(output.dtype)


def _backward(result: Trace) -> None:
    """The engine's backward pass, keeping every share of every gradient."""
    values, edges = result.values, result.edges
    totals: dict[int, np.ndarray] = {result.output: result.seed}  # type: ignore[dict-item]
    for step, value in enumerate(result.ops_backward(), start=1):
        node = value.node
        assert node is not None  # ops_backward lists op values only
        g = totals.get(value.index)
        if g is None:
            continue
        inputs = [values[i].data for i in value.inputs]
        _check_versions(node)
        shares = node.backward(g, value.data, *inputs)
        local = _local_gradients(value, inputs)
        triples = zip(value.inputs, node.needs_grad, shares)
        for position, (source, needed, share) in enumerate(triples):
            edge = edges[value.in_edges[position]]
            edge.step = step
            if local is not None and needed and local[position] is not None:
                edge.local = np.asarray(local[position])
            if not needed or share is None:
                continue
            share = np.asarray(share)
            shape = values[source].data.shape
            if share.shape != shape:  # the input was broadcast: copies add up
                share = sum_to_shape(share, shape)
            share = share.astype(values[source].data.dtype, copy=False)
            edge.grad = share
            previous = totals.get(source)
            totals[source] = share if previous is None else previous + share
    for index, total in totals.items():
        values[index].grad = total


def _local_gradients(value: Value, inputs: list[np.ndarray]) -> tuple[Any, ...] | None:
    """d(op output)/d(input) as arrays, where that is not a full Jacobian."""
    node = value.node
    assert node is not None
    if value.data.size != 1 and value.op not in ELEMENTWISE_OPS:
        return None
    ones = np.ones_like(value.data)
    return tuple(node.backward(ones, value.data, *inputs))


def _check_versions(node: Function | None) -> None:
    """Refuse to trace a graph whose inputs were changed in place after the forward pass."""
    if node is None or not node.uses_inputs:
        return
    for position, parent in enumerate(node.parents or ()):
        if changed_since(node, parent):
            raise RuntimeError(
                f"input {position} of {node.name} (shape {tuple(parent.shape)}) was changed in "
                "place after the forward pass (e.g. by optimizer.step()), so the graph no "
                "longer holds the values it was computed with: trace it before the update"
            )
