"""Containers of modules: ``Sequential`` (a pipeline) and ``ModuleList`` (a list).

The children are registered under the names "0", "1", ..., so the keys of
``state_dict()`` are PyTorch's: ``"0.weight"``, ``"0.bias"``, ``"2.weight"``, ...

    >>> from chainrule import nn
    >>> model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    >>> len(model), model[0]
    (3, Linear(in_features=2, out_features=4, bias=True))
"""

# ruff: noqa: A002  (PyTorch's argument name `input` is kept so keyword calls port as is)

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from chainrule.autograd.ops import LinearActivation
from chainrule.nn.activation import ReLU, Sigmoid, Tanh
from chainrule.nn.layers import Linear
from chainrule.nn.module import Module

__all__ = ["Sequential", "ModuleList", "mlp"]


class _Indexed(Module):
    """What Sequential and ModuleList share: children addressed by position."""

    def _index(self, index: int) -> int:
        size = len(self._modules)
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"{type(self).__name__} indices must be integers or slices")
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of range for {type(self).__name__} of {size}")
        return index % size

    def _key(self, index: int) -> str:
        return list(self._modules)[self._index(index)]

    def _renumber(self, modules: list[Module]) -> None:
        """Register ``modules`` again under "0", "1", ..., dropping the old names."""
        for name in list(self._modules):
            delattr(self, name)
        for position, module in enumerate(modules):
            self.add_module(str(position), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(self._key(index), module)

    def __delitem__(self, index: int | slice) -> None:
        modules = list(self._modules.values())
        if isinstance(index, slice):
            del modules[index]
        else:
            del modules[self._index(index)]
        self._renumber(modules)

    def append(self, module: Module) -> Any:
        """Add ``module`` at the end. Returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> Any:
        """Add each of ``modules`` at the end. Returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put ``module`` before position ``index``."""
        if not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)


class Sequential(_Indexed):
    """Modules applied one after the other: ``Sequential(a, b, c)(x)`` is ``c(b(a(x)))``.

    Children are named "0", "1", ... (or by the keys of a dict given as the only
    argument), supporting indexing, slicing, ``len``, iteration and ``append``.

    A ``Linear`` followed by ``Tanh``, ``ReLU`` or ``Sigmoid`` runs as one fused node,
    ``Linear+Tanh`` (``ops.LinearActivation``): the same numbers and gradients as the
    two modules, for half the bookkeeping, which is most of a small network's step.
    Nothing else changes: ``chainrule.viz`` still draws the layer and its activation
    apart, and a module with a forward hook (or a subclass of those classes) is
    called on its own, so its hook sees its output.

    Example::

        >>> model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
        >>> model(cr.randn(5, 2)).shape
        (5, 1)
        >>> list(model.state_dict())
        ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, *args: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], Mapping):
            for name, named in args[0].items():
                self.add_module(name, named)
            return
        for position, module in enumerate(args):
            if not isinstance(module, Module):
                raise TypeError(
                    f"Sequential: argument {position} is a {type(module).__name__}, not a Module"
                )
            self.add_module(str(position), module)

    def forward(self, input: Any) -> Any:
        output = input
        for step in self._steps():
            output = step(output)
        return output

    def _steps(self) -> list[Any]:
        """The children as called by forward: each ``Linear`` followed by a ``Tanh``,
        ``ReLU`` or ``Sigmoid`` becomes one step (``_LinearThen``), the rest are called
        as they are. Worked out again whenever the children change."""
        modules = tuple(self._modules.values())
        plan = self.__dict__.get("_plan")
        if plan is None or plan[0] != modules:
            plan = (modules, _fused_steps(modules))
            object.__setattr__(self, "_plan", plan)
        return plan[1]

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(dict(list(self._modules.items())[index]))
        return self._modules[self._key(index)]

    def __add__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise TypeError(
                f"can only add a Sequential to a Sequential, not {type(other).__name__}"
            )
        return Sequential(*self, *other)


# The activations a Linear layer can be fused with, by module class (exactly that class:
# a subclass may compute something else) -> the name ops.LinearActivation knows.
_FUSABLE: dict[type, str] = {Tanh: "tanh", ReLU: "relu", Sigmoid: "sigmoid"}


class _LinearThen:
    """``activation(linear(x))`` computed as one node, ``ops.LinearActivation``: the
    same numbers as the two modules one after the other, with half the bookkeeping
    (on a small network, the Python around each op costs more than its NumPy work).

    It falls back to calling the two modules when either got a forward hook after the
    plan was made (a hooked module changes class): the hook must see its module's
    output.
    """

    __slots__ = ("linear", "activation", "kind", "op_name")

    def __init__(self, linear: Linear, activation: Module) -> None:
        self.linear = linear
        self.activation = activation
        self.kind = type(activation)
        self.op_name = _FUSABLE[self.kind]

    def __call__(self, input: Any) -> Any:
        linear = self.linear
        if type(linear) is not Linear or type(self.activation) is not self.kind:
            return self.activation(linear(input))
        bias = linear.bias
        if bias is None:
            return LinearActivation(self.op_name)(input, linear.weight)
        return LinearActivation(self.op_name)(input, linear.weight, bias)


def _fused_steps(modules: tuple[Module, ...]) -> list[Any]:
    """``modules`` with each (Linear, fusable activation) pair replaced by one step."""
    steps: list[Any] = []
    position = 0
    while position < len(modules):
        module = modules[position]
        following = modules[position + 1] if position + 1 < len(modules) else None
        if type(module) is Linear and type(following) in _FUSABLE:
            steps.append(_LinearThen(module, following))  # type: ignore[arg-type]
            position += 2
        else:
            steps.append(module)
            position += 1
    return steps


class ModuleList(_Indexed):
    """A list of modules, registered so their parameters are found (a plain Python
    list of layers would hide them from ``parameters()`` and ``state_dict()``).

    It has no ``forward``: the owner decides how to use the modules.

    Example::

        >>> layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        >>> len(list(layers.parameters()))
        6
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[self._key(index)]

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])


def mlp(
    in_features: int,
    hidden: Iterable[int],
    out_features: int,
    activation: str = "relu",
    dtype: Any = None,
) -> Sequential:
    """A multilayer perceptron: ``Linear, activation, ..., Linear`` in a ``Sequential``.

    ``mlp(2, [8, 8], 1, "tanh")`` is ``Sequential(Linear(2, 8), Tanh(), Linear(8, 8),
    Tanh(), Linear(8, 1))``: the course's network, with its weights under PyTorch's keys
    (``0.weight``, ``0.bias``, ``2.weight``, ...). The output layer has no activation
    (a loss such as ``CrossEntropyLoss`` takes the raw scores).

    Args:
        in_features: inputs per sample.
        hidden: the widths of the hidden layers (empty: a linear model).
        out_features: outputs per sample.
        activation: the hidden layers' activation, by name (see ``ACTIVATIONS``).
        dtype: the weights' dtype (float32 by default).

    Example::

        >>> mlp(2, [4], 1, "tanh")
        Sequential(
          (0): Linear(in_features=2, out_features=4, bias=True)
          (1): Tanh()
          (2): Linear(in_features=4, out_features=1, bias=True)
        )
    """
    from chainrule.nn.activation import get_activation
    from chainrule.nn.layers import Linear

    layers: list[Module] = []
    width = in_features
    for size in hidden:
        layers += [Linear(width, size, dtype=dtype), get_activation(activation)]
        width = size
    layers.append(Linear(width, out_features, dtype=dtype))
    return Sequential(*layers)
