"""``Optimizer``: the base class that turns gradients into parameter updates.

An optimizer holds the parameters to train in *parameter groups*: each group is a
dict with a ``"params"`` list and its own options (``lr``, ``weight_decay``, ...),
any option left out taking the optimizer's default. ``step()`` visits every
parameter that has a gradient and hands its NumPy arrays to the subclass's update
rule, which changes ``p.data`` in place using per-parameter state buffers
(``optimizer.state[p]``) that are allocated once and reused on every step.

Names, arguments, update rules and the ``state_dict`` layout follow ``torch.optim``,
so a chainrule optimizer and a PyTorch one given the same start and the same
gradients follow the same trajectory, and checkpoints move between them.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.autograd.function import enable_grad, mark_changed

__all__ = ["Optimizer", "ParamsT"]

# What an optimizer accepts: tensors, (name, tensor) pairs, or dicts (parameter groups).
ParamsT = Iterable[Tensor] | Iterable[tuple[str, Tensor]] | Iterable[dict[str, Any]]

# Keys a parameter group may hold besides the optimizer's options: the parameters,
# their names (when given as named_parameters()), and the base learning rate that
# learning-rate schedulers record.
_GROUP_KEYS = ("params", "param_names", "initial_lr")


# --------------------------------------------------------------- option checks


def is_real(value: Any) -> bool:
    """Whether ``value`` is a real number (Python or NumPy), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def is_whole(value: Any) -> bool:
    """Whether ``value`` is an integer (Python or NumPy), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def non_negative(name: str, value: Any) -> None:
    """Raise ValueError unless ``value`` is a real number >= 0."""
    if not is_real(value) or not value >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")


def in_unit_interval(name: str, value: Any) -> None:
    """Raise ValueError unless 0 <= ``value`` < 1 (a decay rate such as a beta)."""
    if not is_real(value) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")


def is_bool(name: str, value: Any) -> None:
    """Raise TypeError unless ``value`` is True or False."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def betas_pair(name: str, value: Any) -> None:
    """Raise ValueError unless ``value`` is a pair (beta1, beta2), both in [0, 1)."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (beta1, beta2), got {value!r}")
    in_unit_interval(f"{name}[0]", value[0])
    in_unit_interval(f"{name}[1]", value[1])


# ----------------------------------------------------------------- the class


class Optimizer:
    """Base class of all optimizers.

    A subclass sets ``option_checks`` (a table: option name -> check) and implements
    ``_init_state`` (the per-parameter buffers) and ``_update`` (one parameter's
    update, a call to the pure update function of its module), or, for a rule cheap
    enough that the loop around it matters, ``_update_group`` (all parameters of a
    group at once).

    Args:
        params: the tensors to optimize (each a leaf with ``requires_grad=True``), or
            ``(name, tensor)`` pairs as from ``model.named_parameters()``, or dicts,
            each a parameter group: ``{"params": [...], "lr": 0.1, ...}`` (options left
            out take the defaults).
        defaults: the default value of every option of this optimizer.

    Attributes:
        param_groups: list of dicts, each with ``"params"`` and every option.
        defaults: the options' default values.
        state: per-parameter state, ``{tensor: {"step": ..., "exp_avg": ...}}``;
            buffers are NumPy arrays with the parameter's shape and dtype.

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import SGD
        >>> w = cr.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()          # w <- w - 0.1 * 2w
        >>> w
        tensor([ 0.8, -1.6], requires_grad=True)
        >>> opt.zero_grad()
    """

    # option name -> a function (name, value) that raises on a bad value
    option_checks: dict[str, Callable[[str, Any], None]] = {}

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of tensors or of dicts (parameter groups), "
                "got a single Tensor; wrap it in a list: [tensor]"
            )
        if isinstance(params, Mapping):
            raise TypeError(
                "params must be an iterable of tensors or of dicts; got a single dict. "
                "Wrap a parameter group in a list: [{'params': ..., 'lr': ...}]"
            )
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        # Scratch arrays for the update rules, shared by parameters of one shape and
        # dtype (updates run one parameter at a time): (shape, dtype) -> arrays.
        self._scratch: dict[tuple[tuple[int, ...], np.dtype], list[np.ndarray]] = {}
        # How many times step() ran: schedulers use it to warn about a wrong order.
        self._step_count = 0

        items: list[Any] = list(params)
        if not items:
            raise ValueError("the optimizer got an empty parameter list")
        groups = items if isinstance(items[0], Mapping) else [{"params": items}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------ param groups

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (e.g. a layer to fine-tune).

        Options missing from ``param_group`` take the optimizer's defaults. A
        parameter may appear in only one group.
        """
        if not isinstance(param_group, Mapping):
            raise TypeError(
                "a parameter group must be a dict such as {'params': [...], 'lr': 0.1}, "
                f"got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError("a parameter group needs a 'params' entry (its tensors)")
        unknown = set(param_group) - set(self.defaults) - set(_GROUP_KEYS)
        if unknown:
            raise ValueError(
                f"unknown option(s) {sorted(unknown)} for {type(self).__name__}; "
                f"its options are {sorted(self.defaults)}"
            )
        group = dict(param_group)
        params, names = _split_names(group["params"])
        if not params:
            raise ValueError("a parameter group got an empty parameter list")
        group["params"] = params
        if names is not None:
            group["param_names"] = names
        for name, value in self.defaults.items():
            group.setdefault(name, value)

        for i, p in enumerate(params):
            label = names[i] if names is not None else f"#{i}"
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"the optimizer can only optimize chainrule Tensors, but parameter "
                    f"{label} of group {len(self.param_groups)} is a {type(p).__name__}"
                )
            if not p.requires_grad:
                raise ValueError(
                    f"parameter {label} (shape {p.shape}) does not require grad, so it would "
                    "never be updated; pass only trainable parameters, e.g. "
                    "[p for p in model.parameters() if p.requires_grad]"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"parameter {label} (shape {p.shape}) is not a leaf: it was computed "
                    "from other tensors. Optimize the leaves it came from, or detach it and "
                    "set requires_grad_()"
                )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids) or seen & set(ids):
            raise ValueError("some parameters appear more than once in the parameter groups")

        self._check_group(group)
        self.param_groups.append(group)
        for p in params:
            self._eager_state(p, group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Check every option of ``group`` against ``option_checks``."""
        for name, check in self.option_checks.items():
            check(name, group[name])

    def _eager_state(self, param: Tensor, group: dict[str, Any]) -> None:
        """Create state at construction (most optimizers do it on the first step)."""

    # ---------------------------------------------------------------- stepping

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all parameters before the next backward pass.

        Args:
            set_to_none: drop the gradients (``p.grad = None``, the default, which
                saves memory and lets ``step`` skip parameters that get no gradient);
                if False, fill them with zeros instead.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                elif p.grad.grad_fn is not None:  # a recorded gradient: cut it loose
                    p.grad = Tensor(np.zeros_like(p.grad.data))
                else:
                    p.grad.data.fill(0)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, once.

        Args:
            closure: optional; a function that clears the gradients, recomputes the
                loss, calls ``backward()`` and returns the loss. It runs first (with
                gradients enabled) and its loss is returned.

        Returns:
            the closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads = [], []
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                grad = grad.data
                if grad.shape != p.data.shape:
                    raise _grad_shape_error(group, p, grad)
                params.append(p)
                grads.append(grad)
            if params:
                mark_changed(*params)  # about to change in place: stale graphs will notice
                self._update_group(params, grads, group)
        self._step_count += 1
        return loss

    def _update_group(
        self, params: list[Tensor], grads: list[np.ndarray], group: dict[str, Any]
    ) -> None:
        """Update the parameters of one group that have a gradient, in place.

        The default visits them one at a time (``_init_state`` on the first step, then
        ``_update``). An optimizer whose rule is cheap overrides this to update the
        whole group in one loop, as PyTorch's ``foreach`` implementations do: for
        small networks, the Python around each parameter costs more than the update.
        """
        for p, grad in zip(params, grads):
            state = self.state.get(p)
            if state is None:
                state = self._init_state(p.data, group)
                if state:  # as in PyTorch, a rule without state stores nothing
                    self.state[p] = state
            self._update(p.data, grad, state, group)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        """The state of a parameter before its first update (buffers, step count)."""
        return {}

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        """Update ``param`` in place from ``grad``, ``state`` and the group's options."""
        raise NotImplementedError

    def _work(self, param: np.ndarray, count: int = 2) -> list[np.ndarray]:
        """``count`` scratch arrays shaped like ``param``, reused from step to step."""
        key = (param.shape, param.dtype)
        arrays = self._scratch.get(key)
        if arrays is None or len(arrays) < count:
            arrays = self._scratch[key] = [np.empty_like(param) for _ in range(count)]
        return arrays

    # -------------------------------------------------------------- checkpoints

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state, in PyTorch's layout, for a checkpoint.

        Returns:
            ``{"state": {index: {name: array, ...}}, "param_groups": [{option: value,
            ..., "params": [index, ...]}]}``, where parameters are numbered 0, 1, ...
            in the order of the groups. Arrays are copies (NumPy), so later steps do
            not change a saved state dict.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()}
            for p, s in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore the state saved by ``state_dict()`` (from chainrule or PyTorch).

        The saved groups must hold as many parameters as this optimizer's, in the same
        order; their options replace the current ones (options this optimizer does
        not have, such as PyTorch's ``foreach``, are dropped). State arrays are copied into
        the parameters' dtype (the step count stays float32, as in PyTorch).
        """
        if not isinstance(state_dict, Mapping) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(
                "an optimizer state dict is a dict with keys 'state' and 'param_groups'"
            )
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"the state dict has {len(saved_groups)} parameter group(s) but this "
                f"{type(self).__name__} has {len(self.param_groups)}"
            )
        by_index: dict[int, Tensor] = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"parameter group {i} has {len(group['params'])} parameter(s) but the "
                    f"saved one has {len(saved['params'])}"
                )
            by_index.update(zip((int(k) for k in saved["params"]), group["params"]))

        state: dict[Tensor, dict[str, Any]] = {}
        for key, saved_state in state_dict["state"].items():
            p = by_index.get(int(key))
            if p is None:
                raise ValueError(
                    f"the state dict has state for parameter {key}, which none of its "
                    "parameter groups lists"
                )
            state[p] = {k: _restore(k, v, p, int(key)) for k, v in saved_state.items()}

        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            # Options this optimizer does not have (PyTorch's foreach, fused, ...) are dropped.
            new = {k: v for k, v in saved.items() if k in self.defaults or k in _GROUP_KEYS}
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
            for name, value in self.defaults.items():
                new.setdefault(name, value)
            self._check_group(new)
            new_groups.append(new)
        self.param_groups = new_groups
        self.state = state

    # ------------------------------------------------------------------- repr

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        lines.append(")")
        return "\n".join(lines)


# ---------------------------------------------------------------------- helpers


def _grad_shape_error(group: dict[str, Any], param: Tensor, grad: Any) -> ValueError:
    index = next(i for i, p in enumerate(group["params"]) if p is param)
    names = group.get("param_names")
    label = names[index] if names is not None else f"#{index}"
    return ValueError(
        f"parameter {label} has shape {param.data.shape} but its .grad has shape {grad.shape}"
    )


def _split_names(params: Any) -> tuple[list[Any], list[str] | None]:
    """The tensors of a group, and their names if given as (name, tensor) pairs."""
    if isinstance(params, Tensor):
        return [params], None
    if isinstance(params, (set, frozenset)):
        raise TypeError(
            "parameters must be given in an ordered collection (a list), not a set: "
            "the order numbers them in state_dict()"
        )
    items = list(params)
    named = [isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) for x in items]
    if any(named) and not all(named):
        raise ValueError("give all parameters of a group with names (name, tensor) or none")
    if items and all(named):
        return [t for _, t in items], [n for n, _ in items]
    return items, None


def _restore(key: str, value: Any, param: Tensor, index: int) -> Any:
    """One saved state value, as this optimizer keeps it."""
    if value is None:
        return None
    if key == "step":
        return np.asarray(value, dtype=np.float32).reshape(()).copy()
    if is_real(value):
        return value
    array = np.asarray(value, dtype=param.dtype).copy()  # our own copy, the parameter's dtype
    if array.shape != param.shape:
        raise ValueError(
            f"saved state {key!r} of parameter {index} has shape {array.shape} but the "
            f"parameter has shape {param.shape}"
        )
    return array


def effective_grad(
    param: np.ndarray,
    grad: np.ndarray,
    weight_decay: Any,
    maximize: bool,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """The gradient an update rule follows: g = (-grad if maximize else grad) + wd * param.

    Returns ``grad`` itself when there is nothing to add (no copy); otherwise the
    result is written into ``out`` (a new array without it). ``weight_decay`` is a
    number, or a 0-d array of the parameter's dtype.
    """
    if weight_decay == 0:
        if not maximize:
            return grad
        return np.negative(grad, out=out)
    g = np.multiply(param, weight_decay, out=out)
    if maximize:
        g -= grad
    else:
        g += grad
    return g


def scratch(param: np.ndarray, work: list[np.ndarray] | None, count: int) -> list[np.ndarray]:
    """``work`` if given, else ``count`` new arrays shaped like ``param``."""
    return work if work is not None else [np.empty_like(param) for _ in range(count)]
