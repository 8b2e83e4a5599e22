"""The training loop, written out, and ``fit``: the same loop with the bookkeeping done for you.

One epoch of training is the loop every PyTorch user writes (``train_epoch``)::

    model.train()
    for inputs, targets in batches:
        optimizer.zero_grad()                # forget the last batch's gradients
        outputs = model(inputs)              # forward pass: records the graph
        loss = loss_fn(outputs, targets)     # the data loss, a 0-d Tensor
        loss.backward()                      # backward pass: d loss / d parameter
        optimizer.step()                     # update every parameter

``fit`` runs it for some epochs and adds what one usually writes around it:
shuffled mini-batches, a validation pass per epoch, metrics, a learning-rate
schedule, callbacks (early stopping, checkpoints), a progress bar, and the history
of it all. ``evaluate`` and ``predict`` run the model in evaluation mode without
recording a graph, and put the model back in the mode it was in.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from typing import Any

import numpy as np

from chainrule._tensor import Tensor, _to_array
from chainrule.autograd.function import no_grad
from chainrule.random import seed_from
from chainrule.train.callbacks import Callback, CallbackList, History
from chainrule.train.metrics import Accuracy, Metric, get_metric
from chainrule.train.progress import progress_callback

__all__ = ["fit", "train_epoch", "compiled_train_step", "evaluate", "predict", "ArrayBatches"]

# Validation and evaluation run in batches of at least this many samples: bigger
# matrix products are faster, and no gradients are kept.
EVAL_BATCH_SIZE = 1024


# ---------------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------------


def _as_array(data: Any, name: str) -> np.ndarray:
    """The NumPy array behind a Tensor, an array, or nested lists (floats -> float32)."""
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, np.ndarray):
        return data
    try:
        return _to_array(data, None)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be an array or a Tensor, got {type(data).__name__}: {error}"
        ) from None


class ArrayBatches:
    """Mini-batches ``(inputs, targets)`` of two arrays, as Tensors, reshuffled every epoch.

    Each ``iter()`` is one epoch. With ``shuffle=True`` the samples are copied, once per
    epoch, into two buffers allocated once, in a new random order; every batch is then
    a slice of the buffers (a view: no copy and no allocation per batch).

    Args:
        inputs, targets: arrays or Tensors with the same first dimension N.
        batch_size: samples per batch (the last batch may be smaller), or None for
            one batch of everything.
        shuffle: a new random order every epoch.
        generator: the ``np.random.Generator`` that draws the orders.
        drop_last: leave out a last batch smaller than ``batch_size``.

    Example::

        >>> batches = ArrayBatches(X, y, batch_size=32, shuffle=True)
        >>> for inputs, targets in batches:
        ...     ...
    """

    def __init__(
        self,
        inputs: Any,
        targets: Any,
        batch_size: int | None = 32,
        shuffle: bool = False,
        generator: np.random.Generator | None = None,
        drop_last: bool = False,
    ) -> None:
        self.inputs = _as_array(inputs, "inputs")
        self.targets = _as_array(targets, "targets")
        if self.inputs.ndim == 0 or self.targets.ndim == 0:
            raise ValueError("inputs and targets need a first dimension (the samples)")
        n = self.inputs.shape[0]
        if self.targets.shape[0] != n:
            raise ValueError(
                f"inputs and targets must have as many samples: inputs have shape "
                f"{self.inputs.shape}, targets {self.targets.shape}"
            )
        if n == 0:
            raise ValueError("there are no samples (the first dimension is 0)")
        if batch_size is None:
            batch_size = n
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = seed_from(generator)
        if shuffle:  # allocated once, refilled every epoch
            self._order = np.arange(n)
            self._inputs = np.empty_like(self.inputs)
            self._targets = np.empty_like(self.targets)

    def __len__(self) -> int:
        n = self.inputs.shape[0]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        inputs, targets = self.inputs, self.targets
        if self.shuffle:
            self.generator.shuffle(self._order)
            inputs = np.take(self.inputs, self._order, axis=0, out=self._inputs, mode="clip")
            targets = np.take(self.targets, self._order, axis=0, out=self._targets, mode="clip")
        size = self.batch_size
        stop = len(self) * size
        for start in range(0, stop, size):
            yield Tensor(inputs[start : start + size]), Tensor(targets[start : start + size])


def _batches(
    data: Any,
    batch_size: int | None,
    shuffle: bool,
    generator: np.random.Generator | None,
    name: str,
) -> Iterable[Any]:
    """Something to iterate over, once per epoch, for ``(inputs, targets)`` batches.

    ``data`` is ``(X, y)`` (arrays, Tensors or lists), a chainrule ``Dataset`` (batched
    with a ``DataLoader``), or anything else that yields batches each time it is
    iterated (a ``DataLoader``, a list of batches).
    """
    if isinstance(data, (tuple, list)) and len(data) == 2 and not _is_batch_list(data):
        return ArrayBatches(data[0], data[1], batch_size, shuffle, generator)
    from chainrule.data import DataLoader, Dataset

    if isinstance(data, Dataset):
        return DataLoader(data, batch_size=batch_size or len(data), shuffle=shuffle)
    if isinstance(data, Iterator):
        raise TypeError(
            f"{name} is an iterator, which runs out after one epoch; pass (X, y), a "
            "DataLoader, or a list of batches"
        )
    if isinstance(data, Iterable) and not isinstance(data, (str, bytes, Mapping)):
        return data
    raise TypeError(f"{name} must be (X, y), a Dataset or a DataLoader, got {type(data).__name__}")


def _is_batch_list(data: Sequence[Any]) -> bool:
    """True for a list of two batches [(x0, y0), (x1, y1)] rather than (X, y)."""
    return all(isinstance(item, (tuple, list)) and len(item) == 2 for item in data) and all(
        isinstance(part, (Tensor, np.ndarray)) for item in data for part in item
    )


def _split_batch(batch: Any) -> tuple[Any, Any]:
    try:
        inputs, targets = batch
    except (TypeError, ValueError):
        raise TypeError(
            f"a training batch must be a pair (inputs, targets), got {type(batch).__name__}"
        ) from None
    return inputs, targets


def _batch_size(inputs: Any) -> int:
    shape = getattr(inputs, "shape", None)
    return int(shape[0]) if shape else len(inputs)


@contextlib.contextmanager
def _evaluating(model: Any) -> Iterator[None]:
    """Evaluation mode and no graph inside; the model's previous mode after."""
    was_training = getattr(model, "training", None)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with no_grad():
            yield
    finally:
        if was_training is not None and hasattr(model, "train"):
            model.train(was_training)


# ---------------------------------------------------------------------------------
# One epoch
# ---------------------------------------------------------------------------------


def train_epoch(
    model: Any,
    loss_fn: Callable[[Any, Any], Tensor],
    optimizer: Any,
    batches: Iterable[Any],
    regularization: Callable[[Any], Tensor] | None = None,
    metrics: Sequence[Metric] = (),
    callbacks: CallbackList | None = None,
    *,
    step: Callable[[Any, Any], tuple[Tensor, Tensor, Tensor]] | None = None,
) -> float:
    """One pass over ``batches``: forward, loss, backward and an optimizer step per batch.

    Args:
        model: the network (called as ``model(inputs)``); put in training mode.
        loss_fn: ``loss_fn(outputs, targets)`` -> a 0-d Tensor (a mean over the batch).
        optimizer: has ``zero_grad()`` and ``step()``.
        batches: yields ``(inputs, targets)``.
        regularization: ``regularization(model)`` -> a penalty Tensor added to the loss
            before backward (e.g. ``lambda m: l2_penalty(m, 1e-4)``).
        metrics: ``Metric`` objects to update with each batch's outputs.
        callbacks: called before and after each batch.
        step: the same training step compiled (``compiled_train_step``), to run instead
            of the eager forward, backward and update; it returns (objective, loss,
            outputs).

    Returns:
        the mean data loss over the epoch's samples (without the penalty, so that it
        compares with the validation loss), NaN if there was no batch.

    Example::

        >>> for epoch in range(10):
        ...     loss = train_epoch(model, nn.CrossEntropyLoss(), opt, loader)
    """
    if hasattr(model, "train"):
        model.train()
    total, count = 0.0, 0
    logs: dict[str, Any] = {}  # one dict, refilled for every batch
    for batch, data in enumerate(batches):
        inputs, targets = _split_batch(data)
        if callbacks is not None:
            callbacks.on_batch_begin(batch, logs)

        if step is not None:  # all of the below, replayed as one call
            _, loss, outputs = step(inputs, targets)
        else:
            optimizer.zero_grad()  # forget the last batch's gradients
            outputs = model(inputs)  # forward pass: records the graph
            loss = loss_fn(outputs, targets)  # the data loss, a 0-d Tensor
            objective = loss + regularization(model) if regularization is not None else loss
            objective.backward()  # backward pass: d objective / d parameter, into .grad
            optimizer.step()  # update every parameter

        size = _batch_size(inputs)
        value = loss.item()
        total += value * size
        count += size
        for metric in metrics:
            metric.update(outputs, targets)
        if callbacks is not None:
            logs["batch"], logs["size"], logs["loss"] = batch, size, value
            callbacks.on_batch_end(batch, logs)
            if callbacks.stop_training:
                break
    return total / count if count else math.nan


def compiled_train_step(
    model: Any,
    loss_fn: Callable[[Any, Any], Tensor],
    optimizer: Any,
    regularization: Callable[[Any], Tensor] | None = None,
) -> Callable[[Any, Any], tuple[Tensor, Tensor, Tensor]]:
    """``train_epoch``'s step (forward, loss, penalty, backward, update) under
    ``chainrule.compile``: traced on the first batch of each shape, then replayed as
    straight-line NumPy code with no graph.

    Returns:
        ``step(inputs, targets)`` -> (objective, data loss, outputs), all detached, after
        updating the parameters.

    The model's Python runs only while tracing: forward hooks, Python branches on
    values and changes of ``train()``/``eval()`` are not seen by the replays (see
    ``chainrule.compile``). Dropout draws new masks on every call.
    """
    from chainrule.tracing import compile as compile_step

    def objective(inputs: Any, targets: Any) -> tuple[Tensor, Tensor, Tensor]:
        outputs = model(inputs)
        loss = loss_fn(outputs, targets)
        total = loss + regularization(model) if regularization is not None else loss
        return total, loss, outputs

    return compile_step(objective, optimizer=optimizer)


def _forward_hooks(model: Any) -> list[str]:
    """The names of the modules of ``model`` that have forward hooks."""
    if not hasattr(model, "named_modules"):
        return []
    return [
        name or "the model" for name, m in model.named_modules() if m.__dict__.get("_forward_hooks")
    ]


# ---------------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------------


def fit(
    model: Any,
    loss: Callable[[Any, Any], Tensor],
    optimizer: Any,
    train_data: Any,
    epochs: int,
    batch_size: int = 32,
    *,
    validation_data: Any = None,
    validation_split: float | None = None,
    metrics: Sequence[Any] = (),
    callbacks: Sequence[Callback] = (),
    verbose: int = 1,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    scheduler: Any = None,
    scheduler_monitor: str | None = None,
    regularization: Callable[[Any], Tensor] | Mapping[str, float] | None = None,
    initial_epoch: int = 0,
    compile: bool = False,  # noqa: A002  (the name of chainrule.compile)
) -> History:
    """Train ``model`` for ``epochs`` epochs and return the ``History`` of each epoch's numbers.

    Each epoch: ``train_epoch`` (forward, loss, backward, step for every mini-batch),
    then the validation pass (``evaluate``), then ``scheduler.step()``; callbacks
    run around all of it. The per-epoch numbers (``loss``, the metrics, ``val_loss``
    and ``val_<metric>`` with validation data, and ``lr``, the rate the epoch used) go
    to the returned ``History`` and to the callbacks.

    Args:
        model: a ``chainrule.nn.Module`` (or any callable with ``train()``/``eval()``).
        loss: ``loss(outputs, targets)`` -> 0-d Tensor, e.g. ``nn.CrossEntropyLoss()``.
        optimizer: e.g. ``optim.SGD(model.parameters(), lr=0.1)``.
        train_data: ``(X, y)`` (arrays or Tensors, batched and shuffled here), a
            ``Dataset``, or a ``DataLoader`` (then ``batch_size`` and ``shuffle`` are the
            loader's own).
        epochs: the epoch to stop after (counting ``initial_epoch`` ones already done).
        batch_size: samples per mini-batch for ``(X, y)`` data.
        validation_data: ``(X_val, y_val)`` or a ``DataLoader``, evaluated every epoch.
        validation_split: instead, a fraction in (0, 1) of ``(X, y)`` held out at random
            (drawn with ``seed``; Keras takes the last samples instead).
        metrics: names (``"accuracy"``, ``"mse"``, ``"r2"``, ...), ``Metric`` objects or
            functions ``fn(outputs, targets)``; computed over each whole epoch.
        callbacks: ``Callback`` objects (``EarlyStopping``, ``ModelCheckpoint``, ...).
        verbose: 0 silent; 1 a progress bar when standard output is a terminal;
            2 one line per epoch (see ``chainrule.train.progress``).
        shuffle: reshuffle ``(X, y)`` every epoch.
        seed: seeds the shuffling and ``validation_split`` (None: chainrule's generator,
            set by ``chainrule.manual_seed``).
        scheduler: a learning-rate scheduler, stepped once per epoch; one whose
            ``step`` needs a value (``ReduceLROnPlateau``) gets ``logs[scheduler_monitor]``.
        scheduler_monitor: what such a scheduler watches; default ``"val_loss"`` with
            validation data, else ``"loss"``.
        regularization: ``fn(model)`` -> a penalty Tensor added to the loss, or a dict
            ``{"l1": strength, "l2": strength}`` for ``chainrule.optim``'s penalties on
            the weights (not the biases). The logged ``loss`` leaves it out.
        initial_epoch: the epoch to start from (resuming from a checkpoint).
        compile: run each training step through ``chainrule.compile`` (see
            ``compiled_train_step``): the same numbers, faster for small networks,
            where Python's share of a step is largest. Not with forward hooks or the
            ``TrainingDiagnostics`` callback, which watch the forward pass: a replayed
            step runs none of the model's Python.

    Returns:
        the ``History``: ``history.history["val_loss"]`` etc., one entry per epoch.

    Example::

        >>> import chainrule.nn as nn, chainrule.optim as optim
        >>> from chainrule.train import fit, EarlyStopping
        >>> model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
        >>> history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1),
        ...               (X, y), epochs=100, validation_split=0.2, metrics=["accuracy"],
        ...               callbacks=[EarlyStopping(patience=10, restore_best_weights=True)])
        >>> history["val_accuracy"][-1]
        0.97
    """
    _check_count("epochs", epochs, minimum=0)
    _check_count("initial_epoch", initial_epoch, minimum=0)
    if not (hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")):
        raise TypeError(
            f"optimizer must have step() and zero_grad(), got {type(optimizer).__name__}; "
            "e.g. chainrule.optim.SGD(model.parameters(), lr=0.1)"
        )
    if not callable(loss):
        raise TypeError(f"loss must be a function loss(outputs, targets), got {loss!r}")
    generator = seed_from(seed)

    # The data: training batches, and the validation set if any.
    if validation_split is not None:
        if validation_data is not None:
            raise ValueError("give validation_data or validation_split, not both")
        train_data, validation_data = _hold_out(train_data, validation_split, generator)
    train_batches = _batches(train_data, batch_size, shuffle, generator, "train_data")
    val_batches = (
        None
        if validation_data is None
        else _batches(
            validation_data, max(batch_size, EVAL_BATCH_SIZE), False, None, "validation_data"
        )
    )

    # The metrics, twice: one set counts training batches, the other the validation set.
    train_metrics = [_for_loss(get_metric(m), loss) for m in metrics]
    names = [m.name for m in train_metrics]
    if len(set(names)) != len(names) or "loss" in names:
        raise ValueError(f"metric names must be unique and not 'loss', got {names}")
    val_metrics = [copy.deepcopy(m) for m in train_metrics]
    penalty = _regularizer(regularization, model)
    monitor = scheduler_monitor or ("val_loss" if val_batches is not None else "loss")
    scheduler_wants_value = scheduler is not None and _step_takes_value(scheduler)

    history = History()
    progress = progress_callback(verbose)
    callback_list = CallbackList(
        [history, *callbacks, *([progress] if progress is not None else [])]
    )
    steps = len(train_batches) if isinstance(train_batches, Sized) else None
    callback_list.set_context(
        model,
        optimizer,
        {
            "epochs": epochs,
            "initial_epoch": initial_epoch,
            "steps": steps,
            "verbose": verbose,
            "metrics": ["loss", *names],
        },
    )

    logs: dict[str, Any] = {}
    callback_list.on_train_begin(logs)
    step = None
    if compile:
        watchers = [type(c).__name__ for c in callbacks if getattr(c, "watches_forward", False)]
        hooked = _forward_hooks(model)
        if watchers or hooked:
            what = f"the callback {', '.join(watchers)}" if watchers else ", ".join(hooked)
            raise ValueError(
                f"fit(compile=True): {what} watches the forward pass through forward hooks, "
                "which the replayed steps would skip (only the first batch runs the model's "
                "Python). Train without compile=True, or without them."
            )
        step = compiled_train_step(model, loss, optimizer, penalty)
    for epoch in range(initial_epoch, epochs):
        callback_list.on_epoch_begin(epoch, {})
        lr = _learning_rate(optimizer)
        for metric in train_metrics:
            metric.reset()

        train_loss = train_epoch(
            model, loss, optimizer, train_batches, penalty, train_metrics, callback_list, step=step
        )

        logs = {"loss": train_loss}
        logs.update({m.name: m.compute() for m in train_metrics})
        if val_batches is not None:
            results = evaluate(model, loss, val_batches, val_metrics)
            logs.update({f"val_{key}": value for key, value in results.items()})
        if lr is not None:
            logs["lr"] = lr
        callback_list.on_epoch_end(epoch, logs)
        if scheduler is not None:
            if scheduler_wants_value:
                if monitor not in logs:
                    raise ValueError(
                        f"the scheduler watches {monitor!r}, which the logs do not have; "
                        f"they have {sorted(logs)} (set scheduler_monitor)"
                    )
                scheduler.step(logs[monitor])
            else:
                scheduler.step()
        if callback_list.stop_training:
            break
    callback_list.on_train_end(logs)
    return history


def _check_count(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _hold_out(data: Any, fraction: float, generator: np.random.Generator) -> tuple[Any, Any]:
    """Split ``(X, y)`` at random into training and validation parts."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise ValueError(
            "validation_split works with train_data given as (X, y); with a DataLoader, "
            "pass validation_data"
        )
    if not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise ValueError(f"validation_split must be a fraction in (0, 1), got {fraction!r}")
    inputs, targets = _as_array(data[0], "X"), _as_array(data[1], "y")
    n = inputs.shape[0]
    n_val = int(round(n * fraction))
    if not 0 < n_val < n:
        raise ValueError(
            f"validation_split={fraction} of {n} samples leaves no training or no validation "
            "samples"
        )
    order = generator.permutation(n)
    val, train = order[:n_val], order[n_val:]
    return (inputs[train], targets[train]), (inputs[val], targets[val])


def _for_loss(metric: Metric, loss: Any) -> Metric:
    """Accuracy of one score per sample: threshold 0 for logits, 0.5 for probabilities."""
    if isinstance(metric, Accuracy) and metric.threshold is None:
        name = type(loss).__name__
        if "WithLogits" in name:
            metric.threshold = 0.0
        elif name == "BCELoss":
            metric.threshold = 0.5
    return metric


def _regularizer(
    regularization: Callable[[Any], Tensor] | Mapping[str, float] | None, model: Any
) -> Callable[[Any], Tensor] | None:
    """The penalty function ``fn(model)`` from a function or ``{"l1": a, "l2": b}``.

    For a dict, the weights to penalize (``chainrule.optim.penalized_parameters``: every
    parameter but the biases) are picked once, here, not on every batch.
    """
    if regularization is None or callable(regularization):
        return regularization
    if not isinstance(regularization, Mapping):
        raise TypeError(
            "regularization must be a function fn(model) -> Tensor or a dict like "
            f"{{'l2': 1e-4}}, got {type(regularization).__name__}"
        )
    from chainrule.optim import l1_penalty, l2_penalty, penalized_parameters

    table = {"l1": l1_penalty, "l2": l2_penalty}
    unknown = set(regularization) - set(table)
    if unknown:
        raise ValueError(
            f"unknown regularization {sorted(unknown)}; the choices are {sorted(table)}"
        )
    terms = [(table[kind], float(strength)) for kind, strength in regularization.items()]
    terms = [(fn, strength) for fn, strength in terms if strength != 0]
    if not terms:
        return None
    weights = penalized_parameters(model)

    def keep(name: str, param: Tensor) -> bool:
        return False  # the biases are already left out of ``weights``

    def penalty(model: Any) -> Tensor:
        total = terms[0][0](weights, terms[0][1], exclude=keep)
        for fn, strength in terms[1:]:
            total = total + fn(weights, strength, exclude=keep)
        return total

    return penalty


def _learning_rate(optimizer: Any) -> float | None:
    groups = getattr(optimizer, "param_groups", None)
    if groups and "lr" in groups[0]:
        return float(groups[0]["lr"])
    return None


def _step_takes_value(scheduler: Any) -> bool:
    """Whether ``scheduler.step`` needs an argument (ReduceLROnPlateau's metric)."""
    try:
        signature = inspect.signature(scheduler.step)
    except (TypeError, ValueError):
        return False
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return any(
        p.default is inspect.Parameter.empty and p.kind in positional
        for p in signature.parameters.values()
    )


# ---------------------------------------------------------------------------------
# evaluate and predict
# ---------------------------------------------------------------------------------


def evaluate(
    model: Any,
    loss: Callable[[Any, Any], Tensor] | None,
    data: Any,
    metrics: Sequence[Any] = (),
    batch_size: int | None = None,
) -> dict[str, Any]:
    """The loss and metrics of ``model`` on ``data``, in evaluation mode, without a graph.

    The loss is averaged over samples (``sum_batches loss_b * size_b / N``); metrics are
    counted over the whole data set. The model is put back in its previous mode.

    Args:
        model: the network.
        loss: ``loss(outputs, targets)``, or None for metrics only.
        data: ``(X, y)``, a ``Dataset`` or a ``DataLoader``.
        metrics: names, ``Metric`` objects (reset first) or functions.
        batch_size: for ``(X, y)``: samples per forward pass (None: all at once).

    Returns:
        ``{"loss": ..., "<metric>": ...}``.

    Example::

        >>> evaluate(model, nn.CrossEntropyLoss(), (X_test, y_test), ["accuracy"])
        {'loss': 0.0931, 'accuracy': 0.975}
    """
    measures = [_for_loss(get_metric(m), loss) for m in metrics]
    for metric in measures:
        metric.reset()
    batches = _batches(data, batch_size, False, None, "data")
    total, count = 0.0, 0
    with _evaluating(model):
        for data_batch in batches:
            inputs, targets = _split_batch(data_batch)
            outputs = model(inputs)
            size = _batch_size(inputs)
            if loss is not None:
                total += loss(outputs, targets).item() * size
            count += size
            for metric in measures:
                metric.update(outputs, targets)
    results: dict[str, Any] = {}
    if loss is not None:
        results["loss"] = total / count if count else math.nan
    results.update({metric.name: metric.compute() for metric in measures})
    return results


def predict(model: Any, inputs: Any, batch_size: int | None = None) -> Tensor:
    """The model's outputs for ``inputs``, in evaluation mode, without a graph.

    Args:
        model: the network.
        inputs: an array or Tensor of samples (first dimension N), or a ``DataLoader``
            whose batches are inputs or ``(inputs, targets)``.
        batch_size: samples per forward pass (None: all at once).

    Returns:
        a Tensor with the outputs of all N samples, in order.

    Example::

        >>> probabilities = predict(model, X_test).softmax(dim=1)
    """
    if isinstance(inputs, (Tensor, np.ndarray, list)):
        array = _as_array(inputs, "inputs")
        size = array.shape[0] if batch_size is None else batch_size
        _check_count("batch_size", size, minimum=1)
        chunks: Iterable[Any] = (
            Tensor(array[start : start + size]) for start in range(0, array.shape[0], size)
        )
    else:
        chunks = inputs
    outputs = []
    with _evaluating(model):
        for chunk in chunks:
            if isinstance(chunk, (tuple, list)):
                chunk = chunk[0]
            outputs.append(model(chunk).data)
    if not outputs:
        raise ValueError("predict() got no samples")
    return Tensor(outputs[0] if len(outputs) == 1 else np.concatenate(outputs))
