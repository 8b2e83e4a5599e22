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

Or compile the whole training step, so that nothing but the ops and the update runs:

    train_step = chainrule.compile(lambda x, y: F.mse_loss(model(x), y), optimizer=optimizer)
    for x, y in loader:
        loss = train_step(x, y)  # forward, backward into each .grad, optimizer.step()

Limits (the price of replaying instead of re-running Python):

* Data must come in through the arguments (tensors or arrays). Parameters and other
  tensors the function reads from outside are read afresh on every call; their values
  may change, their shapes and dtypes may not (replace a parameter by one of another
  shape, and compile the function again).
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
import sys
import warnings
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule import random as _random
from chainrule._tensor import Tensor
from chainrule.autograd.engine import _owned
from chainrule.autograd.function import Function, _grad_mode
from chainrule.autograd.ops import fit_gradient

__all__ = ["compile", "CompiledFunction", "CompiledStep"]


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
            if name in ("parents", "arrays", "out", "changes", "retained", "__weakref__"):
                continue
            if hasattr(op, name):
                setattr(clone, name, getattr(op, name))
    return clone


class _Plan:
    """A traced function: the ops to replay, forward and backward."""

    def __init__(self, tracer: _Tracer, outputs: tuple[Tensor, ...], as_tuple: bool) -> None:
        self.steps = tracer.steps
        self.n_slots = tracer.n_slots
        self.arg_slots = tracer.arg_slots
        self.externals = tracer.externals
        if any(id(output) not in tracer.slot_of for output in outputs):
            raise TypeError("compile: the function must return tensors computed from chainrule ops")
        # The first output is differentiated; any others ride along (a compiled step's
        # auxiliary outputs, e.g. the network's outputs for the metrics).
        self.output_slots = [tracer.slot_of[id(output)] for output in outputs]
        self.output_slot = self.output_slots[0]
        self.as_tuple = as_tuple
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

        self.grad_slots = self.arg_slots + [slot for slot, t in self.externals if t.requires_grad]
        # Which arguments require grad: part of the trace's key, so fixed for the plan.
        self.arg_grads = [
            i for i, slot in enumerate(self.arg_slots) if tracer.alive[slot]._requires_grad
        ]
        # The outside tensors the replay node takes as inputs, for their gradients.
        self.grad_externals = [t for _, t in self.externals if t.requires_grad]
        output_value = tracer.alive[self.output_slot]
        self.seed = np.ones(output_value.shape, dtype=output_value.dtype)  # d output/d output

        # The replay is generated Python (``plan.source``). Until the first backward has
        # run, every gradient goes through fit_gradient (sum back to the input's shape,
        # cast to its dtype) and the plan notes which of them changed anything; then it
        # writes the backward again with only those calls (shapes and dtypes are fixed
        # for a trace, so the others would do nothing on every later call).
        self.namespace: dict[str, Any] = {"fit_gradient": fit_gradient, "probe": self._probe}
        self.fits: set[int] = set()
        self.specialized = False
        # For a compiled step: the gradients that must be copied before they become a
        # .grad, because the replay hands out an array twice or a view of another one
        # (the same on every call of a trace). Found on the first replay.
        self.grad_copies: list[int] | None = None
        self.checked = False  # whether a replay was compared with an eager run
        self._write(fits=None)

    def _forward_lines(self) -> list[str]:
        """Run the recorded ops, one line each, into the variables v0, v1, ..."""
        namespace = self.namespace
        lines = [f"    {_names(self.arg_slots, 'v')}, = args"] if self.arg_slots else []
        for slot, tensor in self.externals:
            namespace[f"external{slot}"] = tensor
            lines.append(f"    v{slot} = external{slot}.data")
        for step in self.steps:
            namespace[f"forward{step.output}"] = step.op.forward
            lines.append(
                f"    v{step.output} = forward{step.output}({_names(step.inputs, 'v')})"
                f"  # {step.op.name}"
            )
        return lines

    def _backward_lines(self, fits: set[int] | None) -> tuple[list[str], str]:
        """The ops' vector-Jacobian products in reverse order, from the output's gradient
        in g; only the steps the output's gradient reaches. Returns the lines and the
        tuple of the gradients of ``grad_slots``.

        ``fits``: which gradient terms need fit_gradient (None: all of them, through
        ``probe``, which records the ones that changed something).
        """
        namespace = self.namespace
        lines = [f"    g{self.output_slot} = g"]
        has_grad = {self.output_slot}
        term = 0
        for step in reversed(self.steps):
            if step.output not in has_grad or not self.requires[step.output]:
                continue
            op = step.op
            namespace[f"backward{step.output}"] = op.backward
            namespace[f"shape{step.output}"] = [self.shapes[i] for i in step.inputs]
            namespace[f"dtype{step.output}"] = [self.dtypes[i] for i in step.inputs]
            out = f"v{step.output}" if op.uses_output else "None"
            lines.append(
                f"    d = backward{step.output}(g{step.output}, {out}, "
                f"{_names(step.inputs, 'v')})  # {op.name}"
            )
            for position, (slot, needed) in enumerate(zip(step.inputs, op.needs_grad)):
                if not needed:
                    continue
                where = f"shape{step.output}[{position}], dtype{step.output}[{position}]"
                if fits is None:
                    value = f"probe({term}, d[{position}], {where})"
                elif term in fits:
                    value = f"fit_gradient(d[{position}], {where})"
                else:
                    value = f"d[{position}]"
                term += 1
                if slot in has_grad:
                    lines.append(f"    g{slot} = g{slot} + {value}")
                else:
                    lines.append(f"    g{slot} = {value}")
                    has_grad.add(slot)
        results = [f"g{slot}" if slot in has_grad else "None" for slot in self.grad_slots]
        return lines, f"({', '.join(results)}{',' if len(results) == 1 else ''})"

    def _write(self, fits: set[int] | None) -> None:
        """Generate ``forward``, ``backward`` and ``step`` (both in one call)."""
        forward = self._forward_lines()
        backward, gradients = self._backward_lines(fits)
        values = f"[{_names(range(self.n_slots), 'v')}]"
        self.source = "\n".join(
            ["def forward(args):", *forward, f"    return {values}", ""]
            + ["def backward(values, g):", f"    {values[1:-1]}, = values", *backward]
            + [f"    return {gradients}"]
        )
        outputs = f"({_names(self.output_slots, 'v')},)"
        step = "\n".join(
            ["def step(args, g):", *forward, *backward, f"    return {outputs}, {gradients}"]
        )
        namespace = self.namespace
        exec(_compile_source(self.source + "\n\n" + step), namespace)  # our generated code
        self.forward = namespace["forward"]
        self._backward = namespace["backward"]
        self._step = namespace["step"]

    def _probe(self, term: int, g: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
        fitted = fit_gradient(g, shape, dtype)
        if fitted is not g:
            self.fits.add(term)
        return fitted

    def backward(self, values: list[Any], g: Any) -> tuple[Any, ...]:
        """The gradients of ``grad_slots``, given the forward's values and the
        output's gradient g."""
        grads = self._backward(values, g)
        if not self.specialized:
            self.specialized = True
            self._write(self.fits)
        return grads

    def step(self, arrays: list[np.ndarray]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """Forward and backward (from a gradient of 1) in one call: the outputs' values
        and the gradients of ``grad_slots``."""
        if not self.specialized:
            values = self.forward(arrays)
            outputs = tuple([values[slot] for slot in self.output_slots])
            return outputs, self.backward(values, self.seed)
        return self._step(arrays, self.seed)


def _names(slots: Any, prefix: str) -> str:
    return ", ".join(f"{prefix}{slot}" for slot in slots)


def _compile_source(source: str) -> Any:
    """Python's compile() (the module's own compile is chainrule.compile)."""
    import builtins

    return builtins.compile(source, "<chainrule.compile replay>", "exec")


class _Replay(Function):
    """A whole traced function as one node: forward replays the recorded ops, backward
    replays their vector-Jacobian products in reverse."""

    __slots__ = ("plan", "values", "arg_count")
    keeps_state = True  # the values of every slot, for backward

    def __init__(self, plan: _Plan, arg_count: int) -> None:
        self.plan = plan
        self.arg_count = arg_count
        self.values: list[Any] | None = None

    def forward(self, *arrays: np.ndarray) -> np.ndarray:
        self.values = self.plan.forward(arrays[: self.arg_count])
        return self.values[self.plan.output_slot]

    def backward(self, g: Any, out: Any, *inputs: Any) -> tuple[Any, ...]:
        if not isinstance(g, np.ndarray | np.generic):
            raise RuntimeError(
                "compile: create_graph=True is not supported through a compiled function"
            )
        if self.values is None:
            raise RuntimeError("compile: the replay's values were already freed by a backward")
        return self.plan.backward(self.values, g)

    def release(self) -> None:
        super().release()
        self.values = None


class CompiledFunction:
    """A function traced on its first call and replayed afterwards (see the module)."""

    def __init__(self, fn: Callable[..., Any], max_traces: int = 16, check: bool = True):
        self.fn = fn
        self.max_traces = max_traces
        self.check = check
        self.plans: dict[Hashable, _Plan] = {}
        self.eager_only: set[Hashable] = set()
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any) -> Tensor:
        key = tuple(
            [
                (a.data.shape, a.data.dtype, a._requires_grad) if type(a) is Tensor else _key(a)
                for a in args
            ]
        )
        plan = self.plans.get(key)
        if plan is not None and plan.checked:  # the usual case, once warmed up
            return self._replay(plan, args)
        if key in self.eager_only:
            return self._finish_eager(self.fn(*args))
        if plan is None:
            return self._finish_eager(self._trace(key, args))
        if self.check:
            return self._replay_checked(key, plan, args)
        plan.checked = True
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
        outputs = self._outputs(output)
        if len(self.plans) >= self.max_traces:
            self.plans.pop(next(iter(self.plans)))
        self.plans[key] = _Plan(tracer, outputs, as_tuple=not isinstance(output, Tensor))
        return output

    def _outputs(self, output: Any) -> tuple[Tensor, ...]:
        """The function's result as a tuple of tensors (here: exactly one)."""
        if not isinstance(output, Tensor):
            raise TypeError(
                f"compile: the function must return a Tensor, got {type(output).__name__}"
                + (" (a tuple of outputs needs optimizer=...)" if isinstance(output, tuple) else "")
            )
        return (output,)

    def _finish_eager(self, output: Any) -> Any:
        """What an eager run returns (here: the output itself, with its graph)."""
        return output

    def _replay(self, plan: _Plan, args: tuple[Any, ...]) -> Tensor:
        arg_tensors = [a for a in args if isinstance(a, Tensor)]
        return _Replay(plan, len(arg_tensors))(*arg_tensors, *plan.grad_externals)

    def _replay_checked(self, key: Hashable, plan: _Plan, args: tuple[Any, ...]) -> Tensor:
        """Replay, and compare once with an eager run drawing the same random numbers."""
        generator = _random.default_generator()
        state = generator.bit_generator.state
        replayed = self._replay(plan, args)
        generator.bit_generator.state = state
        eager = self.fn(*args)  # with its graph: it is the answer if the replay is wrong
        if not self._agrees(key, plan, eager, replayed.data):
            return self._finish_eager(eager)
        return replayed

    def _agrees(self, key: Hashable, plan: _Plan, eager: Tensor, replayed: np.ndarray) -> bool:
        """Whether a replay gave the eager result; if not, run eagerly from now on."""
        plan.checked = True
        tolerance = 1e-4 if replayed.dtype == np.float32 else 1e-9
        if eager.shape == replayed.shape and np.allclose(
            eager.data, replayed, rtol=tolerance, atol=tolerance, equal_nan=True
        ):
            return True
        warnings.warn(
            f"compile: replaying {getattr(self.fn, '__name__', 'the function')} did not "
            "match running it; it reads data that does not come through its arguments, "
            "or branches on values. It will run eagerly from now on.",
            RuntimeWarning,
            stacklevel=4,
        )
        self.eager_only.add(key)
        self.plans.pop(key, None)
        return False


class CompiledStep(CompiledFunction):
    """A whole training step: the loss function's forward and backward replayed, and
    the optimizer's update, with no graph in between (``compile(fn, optimizer=...)``).

    Each call sets every parameter's ``.grad`` to this step's gradient (it does not
    add to what was there: the step zeroes first, as the usual loop does), runs
    ``optimizer.step()``, and returns the loss as a tensor outside any graph.

    The function may also return a tuple ``(loss, *others)``: the first is
    differentiated, the others (say the network's outputs, for metrics, or the loss
    without its penalty) are returned with it, detached, at no extra cost.
    """

    def __init__(
        self, fn: Callable[..., Any], optimizer: Any, max_traces: int = 16, check: bool = True
    ):
        super().__init__(fn, max_traces, check)
        if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
            got = type(optimizer).__name__
            raise TypeError(f"compile: optimizer must have step() and zero_grad(), got {got}")
        self.optimizer = optimizer

    def _outputs(self, output: Any) -> tuple[Tensor, ...]:
        """The loss, or a tuple (loss, *others): all tensors."""
        outputs = tuple(output) if isinstance(output, (tuple, list)) else (output,)
        if not outputs or not all(isinstance(t, Tensor) for t in outputs):
            got = ", ".join(type(t).__name__ for t in outputs) or "nothing"
            raise TypeError(
                f"compile: the function must return the loss (a Tensor) or a tuple of "
                f"Tensors (loss, *others), got {got}"
            )
        return outputs

    def _finish_eager(self, output: Any) -> Any:
        """The usual loop: zero the gradients, backward, update."""
        outputs = self._outputs(output)
        self.optimizer.zero_grad()
        outputs[0].backward()
        self.optimizer.step()
        if isinstance(output, Tensor):
            return output.detach()
        return tuple([t.detach() for t in outputs])

    def _replay(self, plan: _Plan, args: tuple[Any, ...]) -> Any:
        arg_tensors = [a for a in args if isinstance(a, Tensor)]
        outputs, grads = plan.step([a.data for a in arg_tensors])
        copies = plan.grad_copies
        if copies is None:  # first replay: which gradients are not the replay's own arrays
            stored: set[int] = set()
            copies = plan.grad_copies = [
                i for i, g in enumerate(grads) if g is not None and _owned(g, stored) is not g
            ]
        if copies:  # a shared or borrowed array: its .grad gets its own copy
            grads = tuple([np.array(g) if i in copies else g for i, g in enumerate(grads)])
        for tensor, g in zip(plan.grad_externals, grads[len(arg_tensors) :]):
            old = tensor.grad
            # The last step's .grad tensor takes the new array when nothing but the
            # parameter refers to it (so no one can tell): one object less per step.
            if old is not None and g is not None and _refcount(old) <= _UNSHARED:
                old.data = g
            else:
                tensor.grad = None if g is None else Tensor(g)
        for i in plan.arg_grads:  # the arguments that require grad (usually none)
            g = grads[i]
            arg_tensors[i].grad = None if g is None else Tensor(g)
        self.optimizer.step()
        if plan.as_tuple:
            return tuple([Tensor(value) for value in outputs])
        return Tensor(outputs[0])

    def _replay_checked(self, key: Hashable, plan: _Plan, args: tuple[Any, ...]) -> Tensor:
        """Compare the replayed forward once with an eager run; the step itself runs
        eagerly this time (so the parameters are updated once either way)."""
        generator = _random.default_generator()
        state = generator.bit_generator.state
        replayed = plan.forward([a.data for a in args if isinstance(a, Tensor)])
        generator.bit_generator.state = state
        eager = self.fn(*args)
        self._agrees(key, plan, self._outputs(eager)[0], np.asarray(replayed[plan.output_slot]))
        return self._finish_eager(eager)


# sys.getrefcount of a tensor held only by a parameter's .grad, once bound to a local
# name and passed to the function; None where the interpreter does not count references.
_refcount = getattr(sys, "getrefcount", lambda obj: 1 << 30)
_UNSHARED = 3


def _key(value: Any) -> Hashable:
    """What a new trace is made for: a tensor's shape, dtype and requires_grad, or the
    value of any other argument (it is baked into the trace)."""
    if isinstance(value, Tensor):
        return (value.data.shape, value.data.dtype, value._requires_grad)
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
    fn: Callable[..., Any] | None = None,
    *,
    optimizer: Any = None,
    max_traces: int = 16,
    check: bool = True,
) -> Any:
    """Trace ``fn`` on its first call and replay the recorded ops on later calls.

    Usable as ``compile(fn)`` or as a decorator (``@compile`` or
    ``@compile(max_traces=4)``). See the module's docstring for what may be traced.

    Args:
        fn: a function of tensors returning a tensor (typically the loss).
        optimizer: make each call a whole training step: forward, backward into the
            parameters' ``.grad`` and ``optimizer.step()``, returning the loss (with no
            graph). ``fn`` may then return a tuple ``(loss, *others)``; the others come
            back with the loss (see ``CompiledStep``). Without it, the call returns the
            loss and ``backward()`` is yours.
        max_traces: how many traces (one per argument shapes/dtypes) to keep.
        check: compare the second call of each trace with an eager run, and fall back
            to eager execution (with a warning) if they differ.

    Example::

        >>> train_step = chainrule.compile(lambda x, y: loss_fn(model(x), y), optimizer=opt)
        >>> for x, y in loader:
        ...     loss = train_step(x, y)       # forward, backward and update
    """

    def make(f: Callable[..., Any]) -> CompiledFunction:
        if optimizer is not None:
            return CompiledStep(f, optimizer, max_traces, check)
        return CompiledFunction(f, max_traces, check)

    return make if fn is None else make(fn)
