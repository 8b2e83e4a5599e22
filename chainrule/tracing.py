"""``chainrule.compile``: trace a function once, then replay it as a flat schedule.

Eager chainrule pays a little Python overhead per op: a Tensor object, a graph node,
the engine's bookkeeping. For a small network that overhead is most of the time.
``compile`` removes it: on the first call it runs the function eagerly while
recording every primitive op in order (a *trace*); on later calls with inputs of the
same shapes and dtypes it replays the recorded ops directly on NumPy arrays.

The replayed computation is one node of the graph: its backward replays the ops'
vector-Jacobian products in reverse order, so ``loss.backward()`` and the optimizers
work exactly as in eager code.

    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))

    @chainrule.compile
    def loss_of(x, y):
        return F.mse_loss(model(x), y)

    for x, y in loader:
        optimizer.zero_grad()
        loss = loss_of(x, y)     # traced on the first call, replayed afterwards
        loss.backward()          # one node: replays the recorded backward pass
        optimizer.step()

Limits (the price of replaying instead of re-running Python):

* Data must come in through the arguments (tensors or arrays). Parameters and other
  tensors the function reads from outside are read afresh on every call.
* Python control flow is frozen at the trace: an ``if`` on a tensor's value, a loop
  whose length depends on data, ``model.train()``/``model.eval()`` switches inside.
  Compile separate functions for training and evaluation.
* Values taken out of the graph inside the function (``.item()``, ``.numpy()``,
  ``.data``, ``.tolist()``) are frozen too. Compute metrics outside.
* A new trace is made for each new combination of argument shapes and dtypes (and
  non-tensor arguments); traces are kept, up to ``max_traces``.

As a safety net, the second call with a given trace checks the replay against an
eager run; if they differ (the function broke a rule above), compile warns and runs
that function eagerly from then on.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule import random as _random
from chainrule._tensor import Tensor
from chainrule.autograd.function import Function, _grad_mode
from chainrule.autograd.ops import sum_to_shape

__all__ = ["compile", "CompiledFunction"]


@dataclass
class _Step:
    """One recorded op: which slots it reads and which slot it writes."""

    op: Function
    inputs: tuple[int, ...]
    output: int


class _Tracer:
    """Listens to every op during the first (eager) call and numbers the values.

    Every value gets a *slot*: the function's arguments, the tensors it reads from
    outside (parameters, constants), and the output of each recorded op.
    """

    def __init__(self, args: list[Tensor]) -> None:
        self.slot_of: dict[int, int] = {}
        self.alive: list[Tensor] = []  # keeps traced tensors alive, so ids stay unique
        self.externals: list[tuple[int, Tensor]] = []
        self.steps: list[_Step] = []
        self.n_slots = 0
        self.arg_slots = [self._new_slot(t) for t in args]

    def _new_slot(self, tensor: Tensor) -> int:
        slot = self.n_slots
        self.n_slots += 1
        self.slot_of[id(tensor)] = slot
        self.alive.append(tensor)
        return slot

    def slot(self, tensor: Tensor) -> int:
        """The slot of a value an op reads; unknown values come from outside."""
        slot = self.slot_of.get(id(tensor))
        if slot is None:
            slot = self._new_slot(tensor)
            self.externals.append((slot, tensor))
        return slot

    def record(self, op: Function, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        step_inputs = tuple(self.slot(t) for t in inputs)
        self.steps.append(_Step(_detached_copy(op), step_inputs, self._new_slot(output)))


def _detached_copy(op: Function) -> Function:
    """The op with its parameters but none of the eager graph's references."""
    clone = object.__new__(type(op))
    for cls in type(op).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if name in ("parents", "out", "versions", "retained", "__weakref__"):
                continue
            if hasattr(op, name):
                setattr(clone, name, getattr(op, name))
    return clone


class _Plan:
    """A traced function: the ops to replay, forward and backward."""

    def __init__(self, tracer: _Tracer, output: Tensor) -> None:
        self.steps = tracer.steps
        self.n_slots = tracer.n_slots
        self.arg_slots = tracer.arg_slots
        self.externals = tracer.externals
        if id(output) not in tracer.slot_of:
            raise TypeError(
                "compile: the function must return a tensor computed from chainrule ops"
            )
        self.output_slot = tracer.slot_of[id(output)]
        self.shapes = [t.shape for t in tracer.alive]
        self.dtypes = [t.dtype for t in tracer.alive]

        # Which slots carry gradient: those that depend on a tensor requiring it.
        requires = [False] * self.n_slots
        for slot, tensor in self.externals:
            requires[slot] = tensor.requires_grad
        for slot, tensor in zip(self.arg_slots, tracer.alive):
            requires[slot] = tensor.requires_grad
        for step in self.steps:
            needs = tuple(requires[i] for i in step.inputs)
            step.op.needs_grad = needs
            requires[step.output] = step.op.differentiable and any(needs)
        self.requires = requires

    def forward(self, arrays: list[np.ndarray]) -> list[Any]:
        """Run every recorded op on fresh values; return all slots' values."""
        values: list[Any] = [None] * self.n_slots
        for slot, array in zip(self.arg_slots, arrays):
            values[slot] = array
        for slot, tensor in self.externals:
            values[slot] = tensor.data
        for step in self.steps:
            values[step.output] = step.op.forward(*[values[i] for i in step.inputs])
        return values

    def backward(self, values: list[Any], g: Any) -> list[Any]:
        """The recorded ops' vector-Jacobian products, in reverse order."""
        grads: list[Any] = [None] * self.n_slots
        grads[self.output_slot] = g
        for step in reversed(self.steps):
            upstream = grads[step.output]
            if upstream is None or not self.requires[step.output]:
                continue
            grads[step.output] = None  # free it as soon as it is used
            op = step.op
            out = values[step.output] if op.uses_output else None
            input_grads = op.backward(upstream, out, *[values[i] for i in step.inputs])
            for slot, needed, pg in zip(step.inputs, op.needs_grad, input_grads):
                if not needed or pg is None:
                    continue
                value = values[slot]
                if pg.shape != value.shape:
                    pg = sum_to_shape(pg, value.shape)
                if pg.dtype != value.dtype:
                    pg = pg.astype(value.dtype)
                grads[slot] = pg if grads[slot] is None else grads[slot] + pg
        return grads


class _Replay(Function):
    """A whole traced function as one node: forward replays the recorded ops, backward
    replays their vector-Jacobian products in reverse."""

    __slots__ = ("plan", "values", "arg_count")

    def __init__(self, plan: _Plan, arg_count: int) -> None:
        self.plan = plan
        self.arg_count = arg_count
        self.values: list[Any] | None = None

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        self.values = self.plan.forward(list(arrays[: self.arg_count]))
        return self.values[self.plan.output_slot]

    def backward(self, g: Any, out: Any, *inputs: Any) -> tuple[Any, ...]:
        if not isinstance(g, np.ndarray | np.generic):
            raise RuntimeError(
                "compile: create_graph=True is not supported through a compiled function"
            )
        assert self.values is not None  # forward ran first
        grads = self.plan.backward(self.values, g)
        plan = self.plan
        slots = plan.arg_slots + [slot for slot, t in plan.externals if t.requires_grad]
        return tuple(grads[slot] for slot in slots)

    def release(self) -> None:
        super().release()
        self.values = None


class CompiledFunction:
    """A function traced on its first call and replayed afterwards (see the module)."""

    def __init__(self, fn: Callable[..., Tensor], max_traces: int = 16, check: bool = True):
        self.fn = fn
        self.max_traces = max_traces
        self.check = check
        self.plans: dict[Hashable, _Plan] = {}
        self.checked: set[Hashable] = set()
        self.eager_only: set[Hashable] = set()
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any) -> Tensor:
        tensors = [a if isinstance(a, Tensor) else None for a in args]
        key = tuple(
            (t.shape, t.dtype.str, t.requires_grad) if t is not None else _constant_key(a)
            for t, a in zip(tensors, args)
        )
        if key in self.eager_only:
            return self.fn(*args)
        plan = self.plans.get(key)
        if plan is None:
            return self._trace(key, args)
        if self.check and key not in self.checked:
            return self._replay_checked(key, plan, args)
        return self._replay(plan, args)

    def _trace(self, key: Hashable, args: tuple[Any, ...]) -> Tensor:
        if _grad_mode.tracer is not None:
            raise RuntimeError("compile: a compiled function cannot be traced inside another")
        tracer = _Tracer([a for a in args if isinstance(a, Tensor)])
        _grad_mode.tracer = tracer
        try:
            output = self.fn(*args)
        finally:
            _grad_mode.tracer = None
        if not isinstance(output, Tensor):
            raise TypeError(
                f"compile: the function must return a Tensor, got {type(output).__name__}"
            )
        if len(self.plans) >= self.max_traces:
            self.plans.pop(next(iter(self.plans)))
        self.plans[key] = _Plan(tracer, output)
        return output

    def _replay(self, plan: _Plan, args: tuple[Any, ...]) -> Tensor:
        arg_tensors = [a for a in args if isinstance(a, Tensor)]
        grad_externals = [t for _, t in plan.externals if t.requires_grad]
        return _Replay(plan, len(arg_tensors))(*arg_tensors, *grad_externals)

    def _replay_checked(self, key: Hashable, plan: _Plan, args: tuple[Any, ...]) -> Tensor:
        """Replay, and compare once with an eager run drawing the same random numbers."""
        generator = _random.default_generator()
        state = generator.bit_generator.state
        replayed = self._replay(plan, args)
        generator.bit_generator.state = state
        eager = self.fn(*args)  # with its graph: it is the answer if the replay is wrong
        self.checked.add(key)
        tolerance = 1e-4 if replayed.dtype == np.float32 else 1e-9
        if eager.shape != replayed.shape or not np.allclose(
            eager.data, replayed.data, rtol=tolerance, atol=tolerance, equal_nan=True
        ):
            warnings.warn(
                f"compile: replaying {getattr(self.fn, '__name__', 'the function')} did not "
                "match running it; it reads data that does not come through its arguments, "
                "or branches on values. It will run eagerly from now on.",
                RuntimeWarning,
                stacklevel=3,
            )
            self.eager_only.add(key)
            self.plans.pop(key, None)
            return eager
        return replayed


def _constant_key(value: Any) -> Hashable:
    """Non-tensor arguments are part of the trace's key (they are baked in)."""
    if isinstance(value, np.ndarray):
        raise TypeError(
            "compile: pass arrays as tensors (chainrule.from_numpy(array)), so that each call "
            "reads the new values"
        )
    try:
        hash(value)
    except TypeError:
        raise TypeError(
            f"compile: argument of type {type(value).__name__} is neither a tensor nor "
            "hashable; pass tensors, numbers or strings"
        ) from None
    return ("const", value)


def compile(  # noqa: A001  (the name users expect, as torch.compile)
    fn: Callable[..., Tensor] | None = None, *, max_traces: int = 16, check: bool = True
) -> Any:
    """Trace ``fn`` on its first call and replay the recorded ops on later calls.

    Usable as ``compile(fn)`` or as a decorator (``@compile`` or
    ``@compile(max_traces=4)``). See the module's docstring for what may be traced.

    Args:
        fn: a function of tensors returning a tensor (typically the loss).
        max_traces: how many traces (one per argument shapes/dtypes) to keep.
        check: compare the second call of each trace with an eager run, and fall back
            to eager execution (with a warning) if they differ.
    """
    if fn is None:
        return lambda f: CompiledFunction(f, max_traces, check)
    return CompiledFunction(fn, max_traces, check)
