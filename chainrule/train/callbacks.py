"""Callbacks: code that ``fit`` runs at fixed points of training, and the ``History``.

``fit`` calls, on every callback in order::

    on_train_begin(logs)
    for each epoch:
        on_epoch_begin(epoch, logs)
        for each batch:
            on_batch_begin(batch, logs)   ...forward, loss, backward, step...
            on_batch_end(batch, logs)     logs: {"batch", "size", "loss"}
        on_epoch_end(epoch, logs)         logs: {"loss", metrics, "val_loss", ..., "lr"}
    on_train_end(logs)

Epochs are counted from 0 here (printed from 1). Before training, each callback gets
``model``, ``optimizer`` and ``params`` (``epochs``, ``steps``, ``verbose``,
``metrics``: the names in the logs). A callback ends training by setting
``self.stop_training = True``: ``fit`` stops after the current batch.

The callbacks here:

* ``History``: every epoch's logs, as lists (``fit`` returns it).
* ``EarlyStopping``: stop when a monitored value stops improving; optionally put back
  the best weights.
* ``ModelCheckpoint``: save a checkpoint file every epoch, or only on improvement.
* ``LearningRateScheduler``: set the learning rate from ``schedule(epoch, lr)``.
* ``TerminateOnNaN``: stop as soon as the loss is NaN or infinite.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "Callback",
    "CallbackList",
    "History",
    "EarlyStopping",
    "ModelCheckpoint",
    "LearningRateScheduler",
    "TerminateOnNaN",
    "improvement_mode",
]

Logs = dict[str, Any]

# Logged quantities that are better when larger; anything else is better when smaller.
_HIGHER_IS_BETTER = ("accuracy", "acc", "r2", "r2_score", "auc", "precision", "recall", "f1")


def improvement_mode(monitor: str, mode: str = "auto") -> str:
    """``"min"`` or ``"max"``: whether a smaller or a larger ``monitor`` is better.

    ``"auto"`` gives ``"max"`` for accuracy and R^2 (also with a ``val_`` prefix) and
    ``"min"`` for everything else (losses, errors).

    Example::

        >>> improvement_mode("val_accuracy")
        'max'
    """
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    name = monitor[4:] if monitor.startswith("val_") else monitor
    return "max" if name in _HIGHER_IS_BETTER else "min"


def _monitored(callback: str, monitor: str, logs: Mapping[str, Any]) -> float:
    """``logs[monitor]`` as a float, or a clear error listing what is there."""
    if monitor not in logs:
        hint = (
            "; pass validation_data or validation_split to fit(), or monitor 'loss'"
            if monitor.startswith("val_")
            else ""
        )
        raise ValueError(
            f"{callback} monitors {monitor!r}, but the epoch's logs have only {sorted(logs)}{hint}"
        )
    return float(logs[monitor])


class Callback:
    """Base class: override the hooks you need; each does nothing by default.

    Attributes (set by ``fit`` before ``on_train_begin``):
        model: the model being trained.
        optimizer: its optimizer.
        params: ``{"epochs", "steps", "verbose", "metrics"}``.
        stop_training: set it to True to end training after the current batch.

    Example::

        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(epoch + 1, logs["loss"])
    """

    model: Any = None
    optimizer: Any = None
    stop_training: bool = False
    # True for a callback that watches the forward pass itself (through forward hooks):
    # fit(compile=True), whose replayed steps run no Python of the model, refuses it.
    watches_forward: bool = False

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def set_context(self, model: Any, optimizer: Any, params: Mapping[str, Any]) -> None:
        """Called by ``fit`` before training: what the hooks may look at."""
        self.model = model
        self.optimizer = optimizer
        self.params = dict(params)
        self.stop_training = False

    def on_train_begin(self, logs: Logs | None = None) -> None:
        """Before the first epoch."""

    def on_train_end(self, logs: Logs | None = None) -> None:
        """After the last epoch (also when training was stopped early)."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        """Before epoch ``epoch`` (counted from 0)."""

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        """After epoch ``epoch`` and its validation; ``logs`` holds its numbers."""

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        """Before batch ``batch`` of the epoch (counted from 0)."""

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        """After the optimizer step; ``logs`` holds ``batch``, ``size`` and ``loss``."""


class CallbackList:
    """Several callbacks called as one, in order."""

    def __init__(self, callbacks: Iterable[Callback] = ()) -> None:
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"callbacks must be Callback instances, got {type(callback).__name__}"
                )

    def set_context(self, model: Any, optimizer: Any, params: Mapping[str, Any]) -> None:
        for callback in self.callbacks:
            callback.set_context(model, optimizer, params)

    @property
    def stop_training(self) -> bool:
        """True when some callback asked training to stop."""
        return any(callback.stop_training for callback in self.callbacks)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs: Logs | None = None) -> None:
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs)

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs)


# ---------------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------------


class History(Callback):
    """Every epoch's logs: ``history["loss"][e]`` is the training loss of epoch ``e``.

    ``history`` is a dict of lists, one entry per epoch, as in Keras: ``loss``, one
    key per metric (``accuracy``, ...), the same with ``val_`` for the validation set
    when there is one, and ``lr``, the learning rate used in that epoch. ``epoch`` is
    the list of epoch numbers (from 0). Every list has one entry per epoch (NaN where
    an epoch did not log that key).

    Example::

        >>> history = fit(model, loss, opt, (X, y), epochs=20, validation_split=0.2)
        >>> history["val_loss"][-1], len(history)
        (0.0412, 20)
        >>> history.best("val_loss")        # (epoch, value) of the lowest
        (17, 0.0398)
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        for key in logs:
            if key not in self.history:  # a key first logged now: NaN for earlier epochs
                self.history[key] = [math.nan] * len(self.epoch)
        for key, values in self.history.items():
            values.append(logs.get(key, math.nan))
        self.epoch.append(epoch)

    def __getitem__(self, key: str) -> list[Any]:
        try:
            return self.history[key]
        except KeyError:
            raise KeyError(f"no {key!r} in the history; it has {sorted(self.history)}") from None

    def __contains__(self, key: object) -> bool:
        return key in self.history

    def __len__(self) -> int:
        """The number of epochs recorded."""
        return len(self.epoch)

    def keys(self) -> list[str]:
        """The logged names, e.g. ``['loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr']``."""
        return list(self.history)

    def last(self) -> dict[str, Any]:
        """The last epoch's logs (empty before the first epoch ends)."""
        return {key: values[-1] for key, values in self.history.items() if values}

    def best(self, key: str = "val_loss", mode: str = "auto") -> tuple[int, float]:
        """``(epoch, value)`` of the best value of ``key`` (lowest loss, highest accuracy)."""
        values = np.asarray(self[key], dtype=np.float64)
        if values.size == 0 or np.all(np.isnan(values)):
            raise ValueError(f"no values of {key!r} recorded yet")
        pick = np.nanargmax if improvement_mode(key, mode) == "max" else np.nanargmin
        index = int(pick(values))
        return self.epoch[index], float(values[index])

    def __repr__(self) -> str:
        last = ", ".join(
            f"{k}={v:.4g}" for k, v in self.last().items() if isinstance(v, (int, float))
        )
        return f"History(epochs={len(self)}{', ' + last if last else ''})"


# ---------------------------------------------------------------------------------
# Early stopping
# ---------------------------------------------------------------------------------


class _Improvement:
    """Tracks the best value of a monitored quantity: improved if better by ``min_delta``."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        if min_delta < 0:
            raise ValueError(f"min_delta must be >= 0, got {min_delta}")
        self.monitor = monitor
        self.mode = improvement_mode(monitor, mode)
        self.min_delta = min_delta
        self.best = math.inf if self.mode == "min" else -math.inf

    def improves(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    After each epoch the monitored value is compared with the best so far: it
    improves if it is lower by more than ``min_delta`` (``mode="min"``) or higher by
    more than ``min_delta`` (``mode="max"``). After ``patience`` epochs in a row
    without improvement, training stops (as in Keras: with ``patience=2`` and the best
    value at epoch 0, training ends after epoch 2). With ``restore_best_weights=True`` the
    model's weights are put back to those of the best epoch when training ends.

    Args:
        monitor: the logged name to watch (``"val_loss"``, ``"val_accuracy"``, ``"loss"``).
        patience: epochs without improvement to allow before stopping.
        min_delta: the smallest change that counts as an improvement.
        mode: ``"min"``, ``"max"``, or ``"auto"`` (max for accuracy and R^2).
        restore_best_weights: reload the best epoch's weights at the end.
        baseline: a value the monitor must beat; until it does, epochs count as
            without improvement.
        start_from_epoch: epochs to wait before watching (a warm-up).

    Attributes:
        best: the best value seen; ``best_epoch``: its epoch (from 0);
        stopped_epoch: the epoch after which training stopped (None if it did not).

    Example::

        >>> stop = EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
        >>> fit(model, loss, opt, (X, y), epochs=500, validation_split=0.2, callbacks=[stop])
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
        baseline: float | None = None,
        start_from_epoch: int = 0,
        verbose: int = 0,
    ) -> None:
        super().__init__()
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be an integer >= 0, got {patience!r}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = abs(min_delta)
        self.mode = improvement_mode(monitor, mode)
        self.restore_best_weights = restore_best_weights
        self.baseline = baseline
        self.start_from_epoch = start_from_epoch
        self.verbose = verbose
        self._reset()

    def _reset(self) -> None:
        self._tracker = _Improvement(self.monitor, self.mode, self.min_delta)
        if self.baseline is not None:
            self._tracker.best = self.baseline
        self.wait = 0
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.best_weights: dict[str, np.ndarray] | None = None

    @property
    def best(self) -> float:
        return self._tracker.best

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if epoch < self.start_from_epoch:
            return
        value = _monitored("EarlyStopping", self.monitor, logs or {})
        if self._tracker.improves(value):
            self._tracker.best = value
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = _copy_weights(self.model)
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.stopped_epoch is not None and self.verbose:
            print(
                f"early stopping after epoch {self.stopped_epoch + 1}: {self.monitor} "
                f"was best at epoch {(self.best_epoch or 0) + 1} ({self.best:.6g})"
            )
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
            if self.verbose:
                print(f"restored the weights of epoch {(self.best_epoch or 0) + 1}")


def _copy_weights(model: Any) -> dict[str, np.ndarray]:
    """A copy of the model's state dict, as arrays that later steps cannot change."""
    return {name: np.array(value, copy=True) for name, value in model.state_dict().items()}


# ---------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------


class ModelCheckpoint(Callback):
    """Save a checkpoint file after every epoch, or only when ``monitor`` improves.

    Files are written atomically by ``save_checkpoint`` (model weights, and optimizer
    state unless ``save_weights_only``), so an interrupted run never leaves a broken
    file. ``path`` may hold ``str.format`` fields filled from the epoch's logs, with
    ``epoch`` counted from 1: ``"ckpt-{epoch:03d}-{val_loss:.3f}.safetensors"``.

    Args:
        path: the file to write (or a pattern, see above).
        monitor: the logged name that decides what is best.
        save_best_only: write only when ``monitor`` improves on the best so far.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (as for ``EarlyStopping``).
        save_weights_only: leave out the optimizer state (a plain weights file,
            which PyTorch reads with ``safetensors.torch.load_file``).
        metadata: extra text -> text pairs for the file's header.

    Attributes:
        best: the best monitored value; ``last_path``: the last file written.

    Example::

        >>> ckpt = ModelCheckpoint("best.safetensors", monitor="val_accuracy",
        ...                        save_best_only=True)
        >>> fit(model, loss, opt, (X, y), epochs=100, validation_split=0.2, callbacks=[ckpt])
        >>> load_checkpoint("best.safetensors", model)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
        save_weights_only: bool = False,
        metadata: Mapping[str, str] | None = None,
        verbose: int = 0,
    ) -> None:
        super().__init__()
        self.path = os.fspath(path)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.metadata = dict(metadata or {})
        self.verbose = verbose
        self._tracker = _Improvement(monitor, mode, 0.0)
        self.last_path: str | None = None

    @property
    def best(self) -> float:
        return self._tracker.best

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        from chainrule.train.checkpoint import save_checkpoint

        logs = logs or {}
        if self.save_best_only:
            value = _monitored("ModelCheckpoint", self.monitor, logs)
            if not self._tracker.improves(value):
                return
            self._tracker.best = value
        try:
            path = self.path.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"ModelCheckpoint path {self.path!r} uses a field the logs do not have "
                f"({error}); the fields are epoch and {sorted(logs)}"
            ) from None
        metadata = dict(self.metadata)
        if self.monitor in logs:
            metadata["monitor"] = self.monitor
            metadata["monitor_value"] = repr(float(logs[self.monitor]))
        save_checkpoint(
            path,
            self.model,
            None if self.save_weights_only else self.optimizer,
            epoch=epoch + 1,
            metadata=metadata,
        )
        self.last_path = path
        if self.verbose:
            print(f"epoch {epoch + 1}: saved {path}")


# ---------------------------------------------------------------------------------
# Learning rate and safety
# ---------------------------------------------------------------------------------


class LearningRateScheduler(Callback):
    """Set every parameter group's learning rate to ``schedule(epoch, lr)`` before each epoch.

    ``epoch`` counts from 0 and ``lr`` is the current rate of the first group. For
    the course's decays, with a0 the initial rate::

        schedule = lambda epoch, lr: a0 / (1 + d * epoch)     # a / (1 + d t)
        schedule = lambda epoch, lr: a0 / (epoch + 1) ** d    # a / t^d

    (``chainrule.optim``'s schedulers do the same as objects: pass one to ``fit`` as
    ``scheduler=``.)

    Example::

        >>> fit(model, loss, opt, (X, y), epochs=50,
        ...     callbacks=[LearningRateScheduler(lambda epoch, lr: 0.1 / (1 + 0.05 * epoch))])
    """

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule must be a function (epoch, lr) -> lr, got {schedule!r}")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        groups = self.optimizer.param_groups
        lr = float(self.schedule(epoch, float(groups[0]["lr"])))
        if not math.isfinite(lr) or lr < 0:
            raise ValueError(f"the schedule gave the learning rate {lr} for epoch {epoch}")
        for group in groups:
            group["lr"] = lr
        if self.verbose:
            print(f"epoch {epoch + 1}: learning rate {lr:.6g}")


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite (a diverging run).

    Example::

        >>> fit(model, loss, SGD(model.parameters(), lr=100.0), (X, y), epochs=10,
        ...     callbacks=[TerminateOnNaN()])
    """

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"batch {batch}: the loss is {loss}; stopping")
            self.stop_training = True
