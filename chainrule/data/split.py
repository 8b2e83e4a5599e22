"""Dividing data into training, validation and test sets.

The network learns its weights on the training set; the validation set chooses among
settings and decides when to stop (early stopping); the test set is looked at once, at
the end, to estimate how the chosen model does on data it has never seen.

Both functions follow scikit-learn's ``train_test_split`` in how they return the
parts: for each array given, its parts in turn. So ``train_val_test_split(X, y)``
returns ``X_train, X_val, X_test, y_train, y_val, y_test``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.data.dataset import as_array
from chainrule.random import seed_from

__all__ = ["train_test_split", "train_val_test_split", "split_indices"]

Size = int | float


def _count(size: Size, n: int, name: str) -> int:
    """The number of samples that ``size`` (a count, or a fraction of ``n``) asks for.

    A fraction ``f`` gives ``ceil(f * n)`` samples, as in scikit-learn.
    """
    if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a fraction in [0, 1) or a count, got {size!r}")
    if isinstance(size, (int, np.integer)):
        if not 0 <= size <= n:
            raise ValueError(f"{name}={size} must be a count between 0 and the {n} samples")
        return int(size)
    if not 0.0 <= size < 1.0:
        raise ValueError(f"{name}={size} must be a fraction in [0, 1) (or an int count of samples)")
    return int(math.ceil(size * n - 1e-9))


def _stratified_order(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random order of the samples in which every prefix holds each class in (nearly)
    its overall proportion.

    Within each class the samples are shuffled and ranked; a sample of rank ``r`` in a
    class of ``m`` gets the key ``(r + 1/2) / m``, and sorting by key interleaves the
    classes evenly. The first ``k`` samples then hold ``k * m / n`` of each class, give
    or take one.
    """
    n = labels.shape[0]
    shuffled = rng.permutation(n)
    _, class_of = np.unique(labels[shuffled], return_inverse=True)
    class_of = class_of.reshape(-1)
    sizes = np.bincount(class_of)
    by_class = np.argsort(class_of, kind="stable")
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(n, dtype=np.int64)
    rank[by_class] = np.arange(n) - starts[class_of[by_class]]
    key = (rank + 0.5) / sizes[class_of]
    return shuffled[np.argsort(key, kind="stable")]


def split_indices(
    n: int,
    sizes: list[tuple[str, Size]],
    shuffle: bool = True,
    stratify: Any = None,
    seed: int | np.random.Generator | None = None,
) -> list[np.ndarray]:
    """Sample indices for a training part and the held-out parts named in ``sizes``.

    Returns ``[train, *held_out]``, index arrays that together cover ``range(n)`` once.
    Without shuffling the training part is the first rows and the held-out parts follow
    in order.

    Args:
        n: the number of samples.
        sizes: ``(name, size)`` for each held-out part; a size is a fraction in [0, 1)
            (giving ``ceil(size * n)`` samples) or an int count. Names go in errors.
        shuffle: pick the parts at random (otherwise in row order).
        stratify: class labels of the samples; each part then keeps the classes in
            their overall proportions (up to one sample per class).
        seed: a seed, a NumPy generator, or None for chainrule's generator.
    """
    counts = [_count(size, n, name) for name, size in sizes]
    n_train = n - sum(counts)
    if n_train < 1:
        asked = ", ".join(f"{name}={size!r} ({c})" for (name, size), c in zip(sizes, counts))
        raise ValueError(
            f"{asked} leave {n_train} of the {n} samples for training; make them smaller"
        )
    if stratify is not None:
        if not shuffle:
            raise ValueError("stratify needs shuffle=True (a stratified split is random)")
        labels = as_array(stratify, "stratify")
        if labels.ndim != 1 or labels.shape[0] != n:
            raise ValueError(
                f"stratify must be one label per sample, shape ({n},), got {labels.shape}"
            )
        rng = seed_from(seed)
        order = _stratified_order(labels, rng)
        # The held-out parts take the front of the order; every part is then shuffled so
        # that the classes do not come in a regular pattern.
        bounds = np.cumsum([0, *counts])
        held_out = [rng.permutation(order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        train = rng.permutation(order[bounds[-1] :])
        return [train, *held_out]
    order = seed_from(seed).permutation(n) if shuffle else np.arange(n)
    bounds = np.cumsum([n_train, *counts])
    parts = [order[:n_train]]
    parts += [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    return parts


def _take(data: Any, index: np.ndarray) -> Any:
    """Rows ``index`` of ``data``: a Tensor stays a Tensor, anything else becomes an array."""
    if isinstance(data, Tensor):
        return Tensor(data.data[index])
    return as_array(data)[index]


def _check_arrays(arrays: tuple[Any, ...], function: str) -> int:
    if not arrays:
        raise ValueError(f"{function}() needs at least one array to split")
    sizes = []
    for i, data in enumerate(arrays):
        array = as_array(data, f"{function}() array {i}")
        if array.ndim == 0:
            raise ValueError(f"{function}(): array {i} is a scalar; it has no rows to split")
        sizes.append(array.shape[0])
    if len(set(sizes)) > 1:
        listed = ", ".join(f"{size} (array {i})" for i, size in enumerate(sizes))
        raise ValueError(f"{function}(): arrays must have the same number of rows, got {listed}")
    return sizes[0]


def train_test_split(
    *arrays: Any,
    test_size: Size = 0.25,
    shuffle: bool = True,
    stratify: Any = None,
    seed: int | np.random.Generator | None = None,
) -> tuple[Any, ...]:
    """Split arrays into a training part and a test part, row by row, the same rows for
    every array.

    Args:
        *arrays: arrays, Tensors or lists with the same number of rows.
        test_size: a fraction in [0, 1) (``ceil(test_size * n)`` rows) or a row count.
        shuffle: pick the test rows at random; otherwise the last rows are the test part.
        stratify: class labels (usually ``y``): keep each class's proportion in both parts.
        seed: a seed, a NumPy generator, or None for chainrule's generator (so
            ``chainrule.manual_seed`` makes the split repeat).

    Returns:
        For each array its training part then its test part:
        ``X_train, X_test, y_train, y_test`` for ``(X, y)``. Tensors give Tensors; other
        inputs give NumPy arrays.

    Example::

        >>> X, y = np.zeros((10, 2)), np.arange(10)
        >>> X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, seed=0)
        >>> X_train.shape, y_test.shape
        ((8, 2), (2,))
    """
    n = _check_arrays(arrays, "train_test_split")
    train, test = split_indices(n, [("test_size", test_size)], shuffle, stratify, seed)
    return tuple(part for data in arrays for part in (_take(data, train), _take(data, test)))


def train_val_test_split(
    *arrays: Any,
    val_size: Size = 0.15,
    test_size: Size = 0.15,
    shuffle: bool = True,
    stratify: Any = None,
    seed: int | np.random.Generator | None = None,
) -> tuple[Any, ...]:
    """Split arrays into training, validation and test parts, the same rows for every
    array.

    Args:
        *arrays: arrays, Tensors or lists with the same number of rows.
        val_size: a fraction in [0, 1) (``ceil(val_size * n)`` rows) or a row count.
        test_size: a fraction in [0, 1) (``ceil(test_size * n)`` rows) or a row count.
        shuffle: pick the rows at random; otherwise the rows stay in order: training
            first, then validation, then test.
        stratify: class labels (usually ``y``): keep each class's proportion in every part.
        seed: a seed, a NumPy generator, or None for chainrule's generator.

    Returns:
        For each array its training, validation and test parts:
        ``X_train, X_val, X_test, y_train, y_val, y_test`` for ``(X, y)``.

    Example::

        >>> X, y = np.zeros((100, 2)), np.arange(100) % 2
        >>> X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
        ...     X, y, val_size=0.15, test_size=0.15, stratify=y, seed=0)
        >>> len(y_train), len(y_val), len(y_test)
        (70, 15, 15)
    """
    n = _check_arrays(arrays, "train_val_test_split")
    train, val, test = split_indices(
        n, [("val_size", val_size), ("test_size", test_size)], shuffle, stratify, seed
    )
    return tuple(
        part
        for data in arrays
        for part in (_take(data, train), _take(data, val), _take(data, test))
    )
