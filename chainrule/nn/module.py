"""``Module`` and ``Parameter``: the containers that hold a network's weights.

A ``Module`` is a piece of a network (a layer, an activation, a whole model). It
registers the ``Parameter``s and sub-modules assigned to its attributes, so that
``model.parameters()`` finds every weight to train, ``model.state_dict()`` names them
with dotted paths (``"0.weight"``, ``"0.bias"``, exactly PyTorch's keys) and
``model.train()`` / ``model.eval()`` reach every layer. Calling a module calls its
``forward``.

Registered values are kept twice: in the ordered registries (``_parameters``,
``_buffers``, ``_modules``) that ``parameters()``, ``state_dict()`` and ``repr`` walk,
and in the instance's ``__dict__``, so that ``self.weight`` inside ``forward`` is an
ordinary, fast attribute read. ``__setattr__`` and ``__delattr__`` keep the two in step.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import numpy as np

from chainrule._tensor import Tensor
from chainrule.autograd.function import mark_changed, no_grad

__all__ = ["Module", "Parameter", "IncompatibleKeys"]

ModuleT = TypeVar("ModuleT", bound="Module")

# What ``load_state_dict`` returns, as in PyTorch.
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A tensor that is a trainable weight of a module: ``requires_grad=True`` by default.

    Assigning a ``Parameter`` to an attribute of a ``Module`` registers it, so it shows
    up in ``parameters()`` and ``state_dict()``. The data is not copied when it is
    already a NumPy array or a Tensor.

    Args:
        data: the initial values (a Tensor, a NumPy array or nested lists; Python
            floats become float32). None gives an empty float32 tensor.
        requires_grad: whether backward computes a gradient for it (default True).

    Example::

        >>> w = Parameter(chainrule.zeros(3, 2))
        >>> w.requires_grad
        True
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty(0, dtype=np.float32)
        elif isinstance(data, Tensor):
            data = data.data
        super().__init__(data, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol: Any) -> Any:
        # copy.deepcopy and pickle: rebuild from the values (the graph is not copied).
        return (Parameter, (self.data, self._requires_grad))


def _add_indent(text: str, spaces: int) -> str:
    """Indent every line but the first (for nested module reprs)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return lines[0] + "\n" + "\n".join(" " * spaces + line for line in lines[1:])


def _as_array(value: Any, key: str) -> np.ndarray:
    """A state_dict value as a NumPy array: a Tensor, an array, or anything NumPy reads
    (a PyTorch tensor too: it is detached first)."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach"):  # a PyTorch tensor that may require grad
        value = value.detach()
    try:
        return np.asarray(value)
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(
            f"state_dict value for {key!r} is a {type(value).__name__}, which cannot be "
            f"read as an array ({error}); give a chainrule Tensor or a NumPy array"
        ) from None


class _HookHandle:
    """What ``register_forward_hook`` returns: ``remove()`` takes the hook away."""

    def __init__(self, module: Module, key: object) -> None:
        self.module, self.key = module, key

    def remove(self) -> None:
        hooks = self.module.__dict__.get("_forward_hooks")
        if hooks is None or self.key not in hooks:
            return
        del hooks[self.key]
        if not hooks:  # back to the plain class: calls are forward again
            del self.module.__dict__["_forward_hooks"]
            object.__setattr__(self.module, "__class__", type(self.module).__bases__[0])


_HOOKED_CLASSES: dict[type, type] = {}


def _hooked_class(cls: type) -> type:
    """``cls`` with a call that runs the module's forward hooks after forward."""
    hooked = _HOOKED_CLASSES.get(cls)
    if hooked is None:
        plain_call = cls.__call__

        def __call__(self: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N807
            output = plain_call(self, *args, **kwargs)
            for hook in list(self.__dict__["_forward_hooks"].values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
            return output

        namespace = {"__call__": __call__, "__module__": cls.__module__, "__doc__": cls.__doc__}
        hooked = type(cls.__name__, (cls,), namespace)
        hooked.__qualname__ = cls.__qualname__
        _HOOKED_CLASSES[cls] = hooked
    return hooked


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign their parameters and
    sub-modules as attributes, and define ``forward``. Calling the module calls
    ``forward`` directly (nothing in between, until a forward hook is registered).

    Example::

        >>> class TwoLayer(Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = Linear(2, 4)
        ...         self.out = Linear(4, 1)
        ...     def forward(self, x):
        ...         return self.out(self.hidden(x).tanh())
        >>> [name for name, _ in TwoLayer().named_parameters()]
        ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers: set[str]
    _modules: dict[str, Module]  # a name may hold None (a declared, absent child)

    def __init__(self) -> None:
        set_attribute = object.__setattr__
        set_attribute(self, "training", True)
        set_attribute(self, "_parameters", {})
        set_attribute(self, "_buffers", {})
        set_attribute(self, "_non_persistent_buffers", set())
        set_attribute(self, "_modules", {})

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of the module; every subclass defines it."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Calling a module IS its forward: a subclass that defines ``forward`` gets it as
        # ``__call__`` too, so ``model(x)`` costs no extra call. A subclass that defines
        # its own ``__call__`` keeps it (so do the hooked classes below).
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__ and "__call__" not in cls.__dict__:
            cls.__call__ = cls.__dict__["forward"]  # type: ignore[method-assign]

    def register_forward_hook(self, hook: Callable[[Module, tuple[Any, ...], Any], Any]) -> Any:
        """Call ``hook(module, inputs, output)`` after every forward of this module.

        A hook that returns something other than None replaces the output, as in
        PyTorch. Hooks cost nothing while none is registered: the module is moved to a
        subclass (same name) whose call runs forward and then the hooks, and moved back
        when the last hook is removed.

        Returns:
            a handle whose ``remove()`` takes the hook away.

        Example::

            >>> layer, seen = Linear(2, 3), []
            >>> handle = layer.register_forward_hook(lambda m, inputs, out: seen.append(out.shape))
            >>> _ = layer(chainrule.ones(4, 2))
            >>> handle.remove()
            >>> seen
            [(4, 3)]
        """
        if not callable(hook):
            raise TypeError(f"register_forward_hook() needs a callable, got {type(hook).__name__}")
        hooks = self.__dict__.get("_forward_hooks")
        if hooks is None:
            hooks = {}
            object.__setattr__(self, "_forward_hooks", hooks)
            object.__setattr__(self, "__class__", _hooked_class(type(self)))
        key = object()
        hooks[key] = hook
        return _HookHandle(self, key)

    # ------------------------------------------------------------- registration

    def _registries(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        try:
            return self._parameters, self._buffers, self._modules
        except AttributeError:
            raise AttributeError(
                f"cannot assign parameters or modules before {type(self).__name__}."
                "__init__() has called super().__init__()"
            ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, (Parameter, Module)):
            self._registries()
            if name not in self._parameters and name not in self._modules:
                self.__dict__.pop(name, None)  # a plain attribute becomes a registered one
            if isinstance(value, Parameter):
                self.register_parameter(name, value)
            else:
                self.add_module(name, value)
        elif "_parameters" in self.__dict__ and name in self._parameters:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} of "
                    f"{type(self).__name__} (a chainrule.nn.Parameter or None expected)"
                )
            self._parameters[name] = None
            self.__dict__[name] = None
        elif "_modules" in self.__dict__ and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module {name!r} of "
                    f"{type(self).__name__} (a Module or None expected)"
                )
            self._modules[name] = None  # type: ignore[assignment]
            self.__dict__[name] = None
        elif "_buffers" in self.__dict__ and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as buffer {name!r} of "
                    f"{type(self).__name__} (a Tensor or None expected)"
                )
            self._buffers[name] = value
            self.__dict__[name] = value
        else:
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._buffers, self._modules):
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)
        object.__delattr__(self, name)

    def _check_name(self, name: str, what: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{what} name must be a string, got {type(name).__name__}")
        if name == "" or "." in name:
            raise KeyError(f'{what} name must be non-empty and contain no ".", got {name!r}')
        parameters, buffers, modules = self._registries()
        registered = name in parameters or name in buffers or name in modules
        if not registered and hasattr(self, name):
            raise KeyError(f"attribute {name!r} already exists on {type(self).__name__}")

    def _register(self, registry: dict[str, Any], name: str, value: Any) -> None:
        """Put ``value`` under ``name`` in ``registry`` only, and in ``__dict__``."""
        for other in self._registries():
            if other is not registry:
                other.pop(name, None)
        registry[name] = value
        self.__dict__[name] = value

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or None, a declared but absent one, like ``bias=False``)."""
        self._check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot register a {type(param).__name__} as parameter {name!r} "
                "(wrap it: chainrule.nn.Parameter(tensor))"
            )
        self._register(self._parameters, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not trained (saved in state_dict if persistent)."""
        self._check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot register a {type(tensor).__name__} as buffer {name!r} (a Tensor needed)"
            )
        self._register(self._buffers, name, tensor)
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module, reachable as an attribute and named ``name`` in state_dict."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_name(name, "module")
        self._register(self._modules, name, module)

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The sub-module at a dotted path, e.g. ``"encoder.0"``; ``""`` is self."""
        module: Module = self
        if target == "":
            return module
        for part in target.split("."):
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r}")
            module = child
        return module

    # ---------------------------------------------------------------- traversal

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every module inside it, each once,
        parents before their children."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{key}" if name else key, child)
                for key, child in module._modules.items()
                if child is not None
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, each once, parents first."""
        seen: set[int] = set()
        stack: list[Module] = [self]
        while stack:
            module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield module
            stack.extend(
                [child for child in reversed(module._modules.values()) if child is not None]
            )

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct children."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct child modules."""
        for _, module in self.named_children():
            yield module

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, e.g. ``("0.weight", ...)``, in registration
        order; a parameter shared by two modules is given once."""
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, param in module._parameters.items():
                if param is None or (remove_duplicate and id(param) in seen):
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every parameter, each once: what an optimizer trains.

        Example::

            >>> sum(p.numel() for p in Linear(2, 3).parameters())
            9
        """
        seen: set[int] = set()
        modules = self.modules() if recurse else iter([self])
        for module in modules:
            for param in module._parameters.values():
                if param is not None and id(param) not in seen:
                    seen.add(id(param))
                    yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs."""
        modules = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for module_name, module in modules:
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer (tensors of state that are not trained)."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ------------------------------------------------------------ mode and grads

    def train(self: ModuleT, mode: bool = True) -> ModuleT:
        """Put this module and all inside it in training mode (or evaluation mode for
        ``mode=False``): dropout is active only in training mode. Returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be a bool, got {mode!r}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self: ModuleT) -> ModuleT:
        """Evaluation mode: ``train(False)``. Returns self."""
        return self.train(False)

    def requires_grad_(self: ModuleT, requires_grad: bool = True) -> ModuleT:
        """Turn gradients on or off for every parameter (e.g. to freeze layers)."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad``: None (default), or zeros in place."""
        for param in self.parameters():
            if set_to_none or param.grad is None:
                param.grad = None
            else:
                param.grad = param.grad.detach()
                param.grad.data.fill(0)

    def apply(self: ModuleT, fn: Callable[[Module], Any]) -> ModuleT:
        """Call ``fn`` on every sub-module (children first) and then on self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self: ModuleT, dtype: Any) -> ModuleT:
        """Convert every parameter and buffer to a float ``dtype``, in place. Returns self.

        ``to("cpu")`` is accepted and does nothing (chainrule runs on the CPU). The
        parameters stay the same objects (an optimizer holding them still works);
        their ``.grad`` is dropped.
        """
        if dtype == "cpu":  # PyTorch code's model.to(device): chainrule runs on the CPU
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Module.to() takes a floating-point dtype, got {dtype}")
        for module in self.modules():
            for tensor in [*module._parameters.values(), *module._buffers.values()]:
                if tensor is not None and tensor.data.dtype.kind == "f":
                    tensor.data = tensor.data.astype(dtype)
                    mark_changed(tensor)
                    tensor.grad = None
        return self

    def double(self: ModuleT) -> ModuleT:
        """Parameters and buffers in float64. Returns self."""
        return self.to(np.float64)

    def float(self: ModuleT) -> ModuleT:
        """Parameters and buffers in float32. Returns self."""
        return self.to(np.float32)

    # --------------------------------------------------------------- state_dict

    def _state_items(self) -> Iterator[tuple[str, Tensor]]:
        """(dotted key, tensor) of everything saved: parameters and persistent buffers,
        module by module (a module's own entries before its children's), as PyTorch.
        A module used twice is saved under both names, as PyTorch does."""
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            prefix, module = stack.pop()
            stack.extend(
                (f"{prefix}{name}.", child)
                for name, child in reversed(module._modules.items())
                if child is not None
            )
            for name, param in module._parameters.items():
                if param is not None:
                    yield prefix + name, param
            for name, buffer in module._buffers.items():
                if buffer is not None and name not in module._non_persistent_buffers:
                    yield prefix + name, buffer

    def state_dict(self, *, prefix: str = "", keep_vars: bool = False) -> dict[str, Tensor]:
        """Every parameter and persistent buffer by dotted name: ``{"0.weight": ...}``.

        The keys are PyTorch's for the same model, so weights move both ways:
        ``torch_model.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in
        model.state_dict().items()})``. Values are detached tensors sharing memory with
        the parameters (``keep_vars=True``: the parameters themselves).

        Example::

            >>> list(Sequential(Linear(2, 3), Tanh(), Linear(3, 1)).state_dict())
            ['0.weight', '0.bias', '2.weight', '2.bias']
        """
        return {
            prefix + key: (tensor if keep_vars else tensor.detach())
            for key, tensor in self._state_items()
        }

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy values into the parameters and buffers, by PyTorch's dotted keys.

        Values may be chainrule Tensors, NumPy arrays or PyTorch tensors; they are
        copied in place (cast to each parameter's dtype), so optimizers keep working.
        Everything is checked before anything is copied: on an error the module is
        unchanged.

        Args:
            state_dict: a mapping from keys like ``"0.weight"`` to values.
            strict: raise if a key of the module is missing from ``state_dict`` or
                ``state_dict`` has keys the module does not (default True). Shape
                mismatches always raise.

        Returns:
            ``IncompatibleKeys(missing_keys, unexpected_keys)``.

        Raises:
            RuntimeError: naming every missing key, unexpected key and mismatched shape.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"expected a mapping from names to tensors for state_dict, got "
                f"{type(state_dict).__name__}"
            )
        own = dict(self._state_items())
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        errors = []
        updates = []
        for key, tensor in own.items():
            if key not in state_dict:
                continue
            value = _as_array(state_dict[key], key)
            if value.shape != tensor.shape:
                errors.append(
                    f"size mismatch for {key}: copying a value with shape {tuple(value.shape)} "
                    f"from the state_dict, the shape in the current model is {tensor.shape}."
                )
            else:
                updates.append((tensor, value))
        if strict:
            if unexpected:
                keys = ", ".join(f'"{key}"' for key in unexpected)
                errors.insert(0, f"Unexpected key(s) in state_dict: {keys}.")
            if missing:
                keys = ", ".join(f'"{key}"' for key in missing)
                errors.insert(0, f"Missing key(s) in state_dict: {keys}.")
        if errors:
            details = "\n\t".join(errors)
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t{details}"
            )
        with no_grad():
            for tensor, value in updates:
                tensor.copy_(value)
        return IncompatibleKeys(missing, unexpected)

    # --------------------------------------------------------------------- repr

    def extra_repr(self) -> str:
        """The module's settings shown inside its repr, e.g. ``in_features=2, ...``."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, module in self._modules.items():
            lines.append(f"({name}): " + _add_indent(repr(module), 2))
        name = type(self).__name__
        if not self._modules:
            return f"{name}({extra})"
        return name + "(\n  " + "\n  ".join(lines) + "\n)"
