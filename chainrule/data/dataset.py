"""Datasets: things with a length that hand out samples by index.

``Dataset`` is the interface (``__len__`` and ``__getitem__``), as in PyTorch.
``TensorDataset`` holds whole arrays whose first dimension indexes the samples; the
``DataLoader`` batches it by indexing those arrays once per batch, with no Python loop
over samples. ``Subset`` and ``random_split`` select and divide datasets.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.random import seed_from

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "as_array"]


def as_array(data: Any, name: str = "data") -> np.ndarray:
    """The NumPy array behind ``data`` (a Tensor, an array, or nested lists), uncopied
    where possible."""
    if isinstance(data, Tensor):
        return data.data
    if isinstance(data, np.ndarray):
        return data
    try:
        return np.asarray(data)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{name} must be a Tensor, a NumPy array or a (nested) list of numbers, "
            f"got {type(data).__name__}: {error}"
        ) from None


class Dataset(ABC):
    """A collection of samples: ``len(dataset)`` and ``dataset[i]`` for ``0 <= i < len``.

    Subclass it and define both methods; ``dataset[i]`` usually returns a tuple such as
    ``(features, label)``. The ``DataLoader`` turns samples into batches.

    Example::

        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 10
        ...     def __getitem__(self, i):
        ...         return float(i), float(i * i)
        >>> Squares()[3]
        (3.0, 9.0)
    """

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def __getitem__(self, index: int) -> Any: ...


class TensorDataset(Dataset):
    """Samples that are rows of whole arrays: ``dataset[i] = (t[i] for t in tensors)``.

    Args:
        *tensors: chainrule Tensors, NumPy arrays or nested lists, all with the same size
            of the first dimension (the number of samples). Arrays are kept without a copy.

    Attributes:
        tensors: the data as a tuple of chainrule Tensors (sharing memory with ``arrays``).
        arrays: the same data as NumPy arrays.

    Example::

        >>> X, y = np.zeros((100, 2), np.float32), np.zeros(100, np.int64)
        >>> dataset = TensorDataset(X, y)
        >>> len(dataset), dataset[0][0].shape
        (100, (2,))
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset() needs at least one tensor or array")
        arrays = tuple(as_array(t, f"TensorDataset tensor {i}") for i, t in enumerate(tensors))
        for i, array in enumerate(arrays):
            if array.ndim == 0:
                raise ValueError(
                    f"TensorDataset: tensor {i} is a scalar (shape ()); every tensor needs "
                    "a first dimension that indexes the samples"
                )
        sizes = [array.shape[0] for array in arrays]
        if len(set(sizes)) > 1:
            listed = ", ".join(f"{size} (tensor {i})" for i, size in enumerate(sizes))
            raise ValueError(
                "TensorDataset: all tensors must have the same size of the first dimension "
                f"(the number of samples), got {listed}"
            )
        self.arrays: tuple[np.ndarray, ...] = arrays
        self.tensors: tuple[Tensor, ...] = tuple(Tensor(array) for array in arrays)

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(Tensor(np.asarray(array[index])) for array in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.shape} {a.dtype}" for a in self.arrays)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: the dataset to select from.
        indices: sample indices (a sequence or an integer array).

    Example::

        >>> dataset = TensorDataset(np.arange(100.0))
        >>> len(Subset(dataset, range(10)))
        10
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        index_array = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(dataset)
        if index_array.size and (index_array.min() < -n or index_array.max() >= n):
            raise IndexError(
                f"Subset: indices must lie in [0, {n}) for a dataset of {n} samples, "
                f"got values from {index_array.min()} to {index_array.max()}"
            )
        self.dataset = dataset
        self.indices: np.ndarray = index_array % max(n, 1)

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def __getitem__(self, index: Any) -> Any:
        return self.dataset[self.indices[index]]


def _lengths(lengths: Sequence[float], n: int) -> list[int]:
    """Counts from ``lengths`` given as counts summing to ``n`` or fractions summing to 1."""
    values = list(lengths)
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        counts = [int(v) for v in values]
        if any(c < 0 for c in counts) or sum(counts) != n:
            raise ValueError(
                f"random_split: lengths {counts} must be non-negative and sum to the dataset "
                f"size {n}"
            )
        return counts
    if any(not 0.0 <= float(v) <= 1.0 for v in values) or not math.isclose(
        sum(float(v) for v in values), 1.0, abs_tol=1e-6
    ):
        raise ValueError(
            f"random_split: fractional lengths must lie in [0, 1] and sum to 1, got {values}"
        )
    counts = [int(math.floor(n * float(v))) for v in values]
    # Hand out the remainder one by one, round-robin, as PyTorch does.
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    return counts


def random_split(
    dataset: Dataset,
    lengths: Sequence[float],
    generator: int | np.random.Generator | None = None,
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping subsets of the given lengths.

    Args:
        dataset: the dataset to divide.
        lengths: the sizes, as counts that sum to ``len(dataset)``, or as fractions that
            sum to 1 (counts are rounded down and the remainder given out round-robin).
        generator: a seed, a NumPy generator, or None for chainrule's generator (so
            ``chainrule.manual_seed`` makes the split repeat).

    Example::

        >>> train, val = random_split(TensorDataset(np.arange(10.0)), [0.8, 0.2], generator=0)
        >>> len(train), len(val)
        (8, 2)
    """
    n = len(dataset)
    counts = _lengths(lengths, n)
    order = seed_from(generator).permutation(n)
    bounds = np.cumsum([0, *counts])
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
