"""What ``fit`` prints while it trains, by ``verbose`` level.

==========  ==================================================================
``verbose``  output
==========  ==================================================================
0           nothing
1           a tqdm progress bar over all the batches of all epochs, showing the
            epoch and the latest loss, metrics and validation numbers; only when
            standard output is a terminal or in Jupyter (in a pipe, a log file
            or a test: nothing)
2           one line per epoch on standard output, always (for logs)
==========  ==================================================================

Without tqdm installed, level 1 in a terminal prints level 2's lines instead.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from chainrule.train.callbacks import Callback, Logs

__all__ = ["ProgressBar", "EpochLogger", "progress_callback", "format_logs"]


def format_logs(logs: Logs, separator: str = " - ") -> str:
    """``"loss 0.1234 - accuracy 0.9500 - lr 0.01"``: the scalar entries of a log."""
    parts = []
    for key, value in logs.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            parts.append(f"{key} {value:.4g}" if key == "lr" else f"{key} {value:.4f}")
    return separator.join(parts)


class EpochLogger(Callback):
    """Print one line per epoch: ``epoch 3/100 - 0.02s - loss 0.4312 - val_loss 0.4410 ...``.

    Args:
        stream: where to print (standard output by default).
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        seconds = time.perf_counter() - self._start
        epochs = self.params.get("epochs", "?")
        line = f"epoch {epoch + 1}/{epochs} - {seconds:.2f}s - {format_logs(logs or {})}"
        print(line, file=self.stream or sys.stdout, flush=True)


class ProgressBar(Callback):
    """A tqdm bar over every batch of the run, its postfix the latest epoch's numbers.

    Args:
        stream: where to draw the bar (standard output by default).
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream
        self._bar: Any = None
        self._postfix: dict[str, str] = {}

    def on_train_begin(self, logs: Logs | None = None) -> None:
        from tqdm.auto import tqdm

        epochs = self.params.get("epochs", 0) - self.params.get("initial_epoch", 0)
        steps = self.params.get("steps")
        self._bar = tqdm(
            total=epochs * steps if steps else epochs,
            unit="batch" if steps else "epoch",
            file=self.stream or sys.stdout,
            dynamic_ncols=True,
            leave=True,
        )
        self._per_batch = bool(steps)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._bar.set_description(f"epoch {epoch + 1}/{self.params.get('epochs', '?')}")

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._per_batch:
            self._bar.update(1)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if not self._per_batch:
            self._bar.update(1)
        postfix = {
            key: f"{value:.4f}" if key != "lr" else f"{value:.3g}"
            for key, value in (logs or {}).items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)
        }
        self._bar.set_postfix(postfix, refresh=True)

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def progress_callback(verbose: int, stream: TextIO | None = None) -> Callback | None:
    """The callback that prints progress at this ``verbose`` level (see the module's table)."""
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    out = stream or sys.stdout
    if verbose == 0:
        return None
    if verbose == 2:
        return EpochLogger(stream)
    isatty = getattr(out, "isatty", None)
    in_notebook = "ipykernel" in sys.modules  # Jupyter draws tqdm.auto's bar as a widget
    if not (isatty and isatty()) and not in_notebook:
        return None
    try:
        import tqdm  # noqa: F401
    except ModuleNotFoundError:
        return EpochLogger(stream)
    return ProgressBar(stream)
