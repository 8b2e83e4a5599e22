"""Metrics: how good a model's outputs are, by name or as objects that add up over batches.

Each metric is a small class with ``reset()``, ``update(output, target)`` (one batch)
and ``compute()`` (the value over every batch since the last reset). Counting this way
gives the exact value over a whole epoch, not an average of per-batch values, and
costs no more memory than a few sums. Each class has a one-call function beside it
(``accuracy(output, target)``) for a single set of outputs.

=====================  =======================================================  ======
name                   value                                                    better
=====================  =======================================================  ======
``accuracy``           fraction of samples whose predicted class is the true   higher
                       one
``mse``                mean of (output - target)^2 over all elements            lower
``mae``                mean of |output - target| over all elements              lower
``r2``                 1 - SS_res / SS_tot, averaged over output columns        higher
``confusion_matrix``   counts C[i, j] of samples of class i predicted as j      --
=====================  =======================================================  ======

How ``accuracy`` reads outputs:

* ``(N, C)`` with ``C > 1``: class scores (logits or probabilities, the same to
  ``argmax``); the prediction is ``argmax`` over the classes.
* ``(N,)`` or ``(N, 1)``: one score per sample for two classes. The prediction is
  ``output > threshold``; by default the threshold is 0 (logits, ``tanh`` outputs)
  unless every output lies in [0, 1] (probabilities), then it is 0.5. Give
  ``threshold`` to fix it (``fit`` sets 0 for ``BCEWithLogitsLoss``).

Targets are class indices ``(N,)``, one-hot or probability rows ``(N, C)`` (their
``argmax`` is the class), or for two classes 0/1, False/True or -1/+1 labels.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule._tensor import Tensor

__all__ = [
    "Metric",
    "Accuracy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "R2Score",
    "ConfusionMatrix",
    "BatchAverage",
    "METRICS",
    "get_metric",
    "accuracy",
    "mean_squared_error",
    "mean_absolute_error",
    "r2_score",
    "confusion_matrix",
    "predicted_classes",
]


def _array(x: Any) -> np.ndarray:
    """The NumPy array of a Tensor, array or nested list."""
    return x.data if isinstance(x, Tensor) else np.asarray(x)


class Metric:
    """A quantity computed over many batches: ``reset``, ``update`` per batch, ``compute``.

    Subclasses set ``name`` (the key in training logs), ``higher_is_better`` (what
    early stopping and checkpoints maximize), and implement the three methods.
    """

    name: str = "metric"
    higher_is_better: bool | None = None

    def reset(self) -> None:
        """Forget every batch seen so far."""
        raise NotImplementedError

    def update(self, output: Any, target: Any) -> None:
        """Count one batch of model outputs against their targets."""
        raise NotImplementedError

    def compute(self) -> Any:
        """The value over all batches since the last ``reset`` (NaN if there were none)."""
        raise NotImplementedError

    def __call__(self, output: Any, target: Any) -> Any:
        """The value on these outputs alone (the running counts are left untouched)."""
        fresh = copy.deepcopy(self)
        fresh.reset()
        fresh.update(output, target)
        return fresh.compute()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# ---------------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------------


def _binary_threshold(scores: np.ndarray) -> float:
    """0.5 for probabilities (all scores in [0, 1]), else 0 (logits or tanh outputs)."""
    if scores.size and scores.min() >= 0.0 and scores.max() <= 1.0:
        return 0.5
    return 0.0


def predicted_classes(output: Any, threshold: float | None = None) -> np.ndarray:
    """The class index predicted for each sample, as an integer array of shape ``(N,)``.

    ``argmax`` over the last axis for ``(N, C)`` scores with ``C > 1``; for one score
    per sample, ``1`` where ``score > threshold`` (see the module's docstring for the
    default threshold).

    Example::

        >>> predicted_classes([[0.1, 2.0], [3.0, -1.0]])
        array([1, 0])
        >>> predicted_classes([-0.3, 0.8])
        array([0, 1])
    """
    scores = _array(output)
    if scores.ndim == 2 and scores.shape[1] > 1:
        return np.argmax(scores, axis=1)
    if scores.ndim > 2 or (scores.ndim == 2 and scores.shape[1] != 1):
        raise ValueError(
            f"class scores must have shape (N, C) or (N,) or (N, 1), got {scores.shape}"
        )
    scores = scores.reshape(-1)
    cut = _binary_threshold(scores) if threshold is None else threshold
    return (scores > cut).astype(np.int64)


def _true_classes(target: Any, n: int) -> np.ndarray:
    """Class indices from labels, one-hot rows, or two-class -1/+1 or 0/1 labels."""
    labels = _array(target)
    if labels.ndim == 2 and labels.shape[1] > 1:
        classes = np.argmax(labels, axis=1)
    else:
        labels = labels.reshape(-1)
        if labels.dtype.kind == "b":
            classes = labels.astype(np.int64)
        elif labels.dtype.kind == "f":
            if labels.size and labels.min() < 0:  # two classes labelled -1 / +1
                classes = (labels > 0).astype(np.int64)
            else:
                classes = np.rint(labels).astype(np.int64)
        else:
            classes = labels.astype(np.int64, copy=False)
    if classes.shape[0] != n:
        raise ValueError(
            f"outputs are for {n} samples but the targets {tuple(_array(target).shape)} "
            f"are for {classes.shape[0]}"
        )
    return classes


class Accuracy(Metric):
    """The fraction of samples whose predicted class is the true class.

    accuracy = (1/N) sum_i [argmax_c output_ic == y_i]   (or [output_i > threshold]
    for one score per sample). See the module's docstring for the shapes it reads.

    Args:
        threshold: for one score per sample, the score above which class 1 is
            predicted; ``None`` picks 0.5 for outputs in [0, 1] and 0 otherwise.

    Example::

        >>> m = Accuracy()
        >>> m.update(cr.tensor([[2.0, 1.0], [0.0, 3.0]]), cr.tensor([0, 0]))
        >>> m.compute()
        0.5
    """

    name = "accuracy"
    higher_is_better = True

    def __init__(self, threshold: float | None = None) -> None:
        self.threshold = threshold
        self.reset()

    def reset(self) -> None:
        self.correct = 0
        self.total = 0

    def update(self, output: Any, target: Any) -> None:
        predicted = predicted_classes(output, self.threshold)
        actual = _true_classes(target, predicted.shape[0])
        self.correct += int(np.count_nonzero(predicted == actual))
        self.total += predicted.shape[0]

    def compute(self) -> float:
        return self.correct / self.total if self.total else float("nan")


class ConfusionMatrix(Metric):
    """Counts ``C[i, j]``: samples of true class ``i`` predicted as class ``j``.

    Rows are true classes and columns predictions (scikit-learn's layout), so the
    diagonal holds the correct predictions and ``C.sum(1)`` the class sizes.

    Args:
        num_classes: the matrix's size; ``None`` grows it to the largest class seen.
        threshold: as for ``Accuracy``.

    Example::

        >>> confusion_matrix(cr.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), [0, 0, 1])
        array([[1, 1],
               [1, 0]])
    """

    name = "confusion_matrix"
    higher_is_better = None

    def __init__(self, num_classes: int | None = None, threshold: float | None = None) -> None:
        self.num_classes = num_classes
        self.threshold = threshold
        self.reset()

    def reset(self) -> None:
        size = self.num_classes or 0
        self.matrix = np.zeros((size, size), dtype=np.int64)

    def update(self, output: Any, target: Any) -> None:
        predicted = predicted_classes(output, self.threshold)
        actual = _true_classes(target, predicted.shape[0])
        if predicted.size == 0:
            return
        size = int(max(predicted.max(), actual.max())) + 1
        if self.num_classes is not None and size > self.num_classes:
            raise ValueError(
                f"ConfusionMatrix(num_classes={self.num_classes}) got class {size - 1}"
            )
        if size > self.matrix.shape[0]:
            grown = np.zeros((size, size), dtype=np.int64)
            old = self.matrix.shape[0]
            grown[:old, :old] = self.matrix
            self.matrix = grown
        size = self.matrix.shape[0]
        self.matrix += np.bincount(actual * size + predicted, minlength=size * size).reshape(
            size, size
        )

    def compute(self) -> np.ndarray:
        return self.matrix.copy()


# ---------------------------------------------------------------------------------
# Regression
# ---------------------------------------------------------------------------------


def _paired(output: Any, target: Any) -> tuple[np.ndarray, np.ndarray]:
    """Outputs and targets as arrays of one shape (``(N, 1)`` against ``(N,)`` is fine)."""
    out, tgt = _array(output), _array(target)
    if out.shape != tgt.shape:
        if out.size != tgt.size:
            raise ValueError(
                f"outputs of shape {out.shape} and targets of shape {tgt.shape} do not match"
            )
        tgt = tgt.reshape(out.shape)
    return out, tgt


class _MeanError(Metric):
    """The mean over all n elements of an error of (output - target)."""

    higher_is_better = False

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.sum = 0.0
        self.count = 0

    def update(self, output: Any, target: Any) -> None:
        out, tgt = _paired(output, target)
        difference = out - tgt
        self.sum += self.total_error(difference)
        self.count += difference.size

    def total_error(self, difference: np.ndarray) -> float:
        """The error summed over the elements."""
        raise NotImplementedError

    def compute(self) -> float:
        return self.sum / self.count if self.count else float("nan")


class MeanSquaredError(_MeanError):
    """mse = (1/n) sum (output - target)^2 over all n elements.

    Example::

        >>> mean_squared_error(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 4.0]))
        2.0
    """

    name = "mse"

    def total_error(self, difference: np.ndarray) -> float:
        return float(np.vdot(difference, difference))


class MeanAbsoluteError(_MeanError):
    """mae = (1/n) sum |output - target| over all n elements.

    Example::

        >>> mean_absolute_error(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 4.0]))
        1.0
    """

    name = "mae"

    def total_error(self, difference: np.ndarray) -> float:
        return float(np.abs(difference).sum())


class R2Score(Metric):
    """The coefficient of determination, as scikit-learn's ``r2_score``.

    R^2 = 1 - SS_res / SS_tot, with SS_res = sum (y - output)^2 and
    SS_tot = sum (y - mean(y))^2, per output column, then averaged over the columns.
    1 is a perfect fit, 0 is no better than predicting the mean. A column whose
    targets are all equal scores 1 if it is fitted exactly, else 0.

    Over batches it keeps n, sum y, sum y^2 and SS_res per column (in float64), and
    uses SS_tot = sum y^2 - (sum y)^2 / n.

    Example::

        >>> r2_score(cr.tensor([1.0, 2.0, 3.0]), cr.tensor([1.0, 2.0, 4.0]))
        0.6428571428571428
    """

    name = "r2"
    higher_is_better = True

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.sum_y: np.ndarray | float = 0.0
        self.sum_y2: np.ndarray | float = 0.0
        self.residual: np.ndarray | float = 0.0

    def update(self, output: Any, target: Any) -> None:
        out, tgt = _paired(output, target)
        n = out.shape[0] if out.ndim else 1
        out = out.reshape(n, -1).astype(np.float64, copy=False)
        tgt = tgt.reshape(n, -1).astype(np.float64, copy=False)
        self.count += n
        self.sum_y = self.sum_y + tgt.sum(axis=0)
        self.sum_y2 = self.sum_y2 + (tgt * tgt).sum(axis=0)
        self.residual = self.residual + ((tgt - out) ** 2).sum(axis=0)

    def compute(self) -> float:
        if self.count == 0:
            return float("nan")
        sum_y = np.asarray(self.sum_y)
        total = np.asarray(self.sum_y2) - sum_y * sum_y / self.count
        residual = np.asarray(self.residual)
        scale = np.abs(np.asarray(self.sum_y2)) * 1e-12  # round-off of the subtraction
        constant = total <= scale
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.where(
                constant, np.where(residual <= scale, 1.0, 0.0), 1.0 - residual / total
            )
        return float(np.mean(scores))


# ---------------------------------------------------------------------------------
# Any function of (output, target)
# ---------------------------------------------------------------------------------


class BatchAverage(Metric):
    """A function ``fn(output, target) -> number`` averaged over batches, weighted by size.

    The exact value over the epoch for functions that are means over samples; an
    approximation for others. ``fn`` receives the batch's outputs and targets as
    chainrule Tensors (no graph is recorded).

    Example::

        >>> def within_half(output, target):
        ...     return float(((output - target).abs() < 0.5).float().mean())
        >>> fit(model, loss, opt, (X, y), epochs=5, metrics=[within_half])
    """

    def __init__(
        self,
        fn: Callable[[Any, Any], Any],
        name: str | None = None,
        higher_is_better: bool | None = None,
    ) -> None:
        self.fn = fn
        self.name = str(name or getattr(fn, "__name__", type(fn).__name__))
        self.higher_is_better = higher_is_better
        self.reset()

    def reset(self) -> None:
        self.sum = 0.0
        self.count = 0

    def update(self, output: Any, target: Any) -> None:
        n = len(_array(output))
        self.sum += float(self.fn(output, target)) * n
        self.count += n

    def compute(self) -> float:
        return self.sum / self.count if self.count else float("nan")

    def __repr__(self) -> str:
        return f"BatchAverage({self.name})"


# name -> metric class. Aliases map to the same class.
METRICS: dict[str, type[Metric]] = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "r2": R2Score,
    "r2_score": R2Score,
    "confusion_matrix": ConfusionMatrix,
}


def get_metric(metric: str | Metric | type[Metric] | Callable[[Any, Any], Any]) -> Metric:
    """A fresh ``Metric`` from a name in ``METRICS``, a Metric, a Metric class or a function.

    A ``Metric`` instance is returned as it is; a function ``fn(output, target)`` is
    wrapped in ``BatchAverage``.

    Example::

        >>> get_metric("acc")
        Accuracy()
    """
    if isinstance(metric, str):
        try:
            return METRICS[metric.lower()]()
        except KeyError:
            raise ValueError(
                f"unknown metric {metric!r}; the metrics are {sorted(METRICS)}, "
                "or pass a Metric or a function fn(output, target)"
            ) from None
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, type) and issubclass(metric, Metric):
        return metric()
    if callable(metric):
        return BatchAverage(metric)
    raise TypeError(
        f"a metric is a name, a Metric or a function fn(output, target), got "
        f"{type(metric).__name__}"
    )


# ---------------------------------------------------------------------------------
# One call each
# ---------------------------------------------------------------------------------


def accuracy(output: Any, target: Any, threshold: float | None = None) -> float:
    """The fraction of correctly classified samples (see ``Accuracy``).

    Example::

        >>> accuracy(cr.tensor([[2.0, 1.0], [0.0, 3.0]]), cr.tensor([0, 1]))
        1.0
    """
    return float(Accuracy(threshold)(output, target))


def confusion_matrix(
    output: Any, target: Any, num_classes: int | None = None, threshold: float | None = None
) -> np.ndarray:
    """The confusion matrix, rows true classes and columns predictions (see
    ``ConfusionMatrix``)."""
    result: np.ndarray = ConfusionMatrix(num_classes, threshold)(output, target)
    return result


def mean_squared_error(output: Any, target: Any) -> float:
    """(1/n) sum (output - target)^2 over all elements."""
    return float(MeanSquaredError()(output, target))


def mean_absolute_error(output: Any, target: Any) -> float:
    """(1/n) sum |output - target| over all elements."""
    return float(MeanAbsoluteError()(output, target))


def r2_score(output: Any, target: Any) -> float:
    """1 - SS_res / SS_tot averaged over output columns (see ``R2Score``)."""
    return float(R2Score()(output, target))
