"""``DataLoader``: a dataset served in mini-batches, shuffled each epoch if asked.

An epoch is one pass over the samples. With ``shuffle=True`` each pass (each
``iter(loader)``) visits them in a new random order drawn from chainrule's generator,
so ``chainrule.manual_seed(s)`` makes the whole sequence of batches repeat.

For a ``TensorDataset`` (or a ``Subset`` of one) a batch is cut from the whole arrays
with one NumPy index array, ``array[order[start:stop]]``: no Python loop over samples.
Any other ``Dataset`` is read sample by sample and the samples are stacked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.creation import tensor
from chainrule.data.dataset import Dataset, Subset, TensorDataset
from chainrule.random import default_generator

__all__ = ["DataLoader", "default_collate"]


def default_collate(samples: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch along a new first axis.

    A sample that is a tuple ``(x, y, ...)`` gives a tuple of batched Tensors; a Tensor,
    array or number gives one Tensor (Python floats become float32, as in
    ``chainrule.tensor``).

    Example::

        >>> x, y = default_collate([(np.zeros(2), 0), (np.ones(2), 1)])
        >>> x.shape, y.tolist()
        ((2, 2), [0, 1])
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        width = len(first)
        for position, sample in enumerate(samples):
            if not isinstance(sample, (tuple, list)) or len(sample) != width:
                raise ValueError(
                    f"default_collate: sample 0 has {width} fields but sample {position} "
                    f"is {type(sample).__name__} of length {len(sample)}"
                )
        return tuple(default_collate([sample[i] for sample in samples]) for i in range(width))
    if isinstance(first, Tensor):
        return Tensor(np.stack([sample.data for sample in samples]))
    if isinstance(first, (np.ndarray, np.generic)):
        return Tensor(np.stack(samples))
    return tensor(list(samples))


def _fast_path(dataset: Dataset) -> tuple[tuple[np.ndarray, ...], np.ndarray | None] | None:
    """The arrays behind ``dataset`` and the sample indices into them (None: all of them,
    in order), if ``dataset`` is a TensorDataset or a chain of Subsets of one."""
    indices: np.ndarray | None = None
    while isinstance(dataset, Subset):
        indices = dataset.indices if indices is None else dataset.indices[indices]
        dataset = dataset.dataset
    if isinstance(dataset, TensorDataset):
        return dataset.arrays, indices
    return None


class DataLoader:
    """Iterate over ``dataset`` in mini-batches.

    Each ``iter(loader)`` is one epoch. Batches are tuples of chainrule Tensors (one per
    array of a ``TensorDataset``, one per field of a tuple sample), or a single Tensor
    when the samples are single values, as in PyTorch. The number of batches is
    ``ceil(N / batch_size)``, or ``floor(N / batch_size)`` with ``drop_last=True``.

    Args:
        dataset: a ``Dataset`` (anything with ``__len__`` and ``__getitem__``).
        batch_size: samples per batch (the last one may be smaller unless ``drop_last``).
        shuffle: visit the samples in a new random order every epoch.
        drop_last: drop the last batch if it has fewer than ``batch_size`` samples.
        generator: the randomness for ``shuffle``: None for chainrule's generator (seeded
            by ``chainrule.manual_seed``), an int seed, or a ``numpy.random.Generator``.
        collate_fn: turns a list of samples into a batch; ``default_collate`` by default.
            Giving one turns off the fast path for ``TensorDataset``.

    Example::

        >>> import chainrule as cr
        >>> X, y = np.zeros((10, 2), np.float32), np.arange(10)
        >>> loader = DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True)
        >>> len(loader)
        3
        >>> for xb, yb in loader:
        ...     print(xb.shape, yb.shape)
        (4, 2) (4,)
        (4, 2) (4,)
        (2, 2) (2,)
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: int | np.random.Generator | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                "DataLoader: dataset must have __len__ and __getitem__ (a chainrule.data."
                f"Dataset such as TensorDataset), got {type(dataset).__name__}"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        if generator is not None and not isinstance(
            generator, (int, np.integer, np.random.Generator)
        ):
            raise TypeError(
                "DataLoader: generator must be None, an int seed or a numpy.random.Generator, "
                f"got {type(generator).__name__}"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn or default_collate
        self._custom_collate = collate_fn is not None
        # A seed makes a generator of our own once, so that successive epochs differ
        # while the whole run repeats; None means chainrule's generator, looked up at
        # each epoch so that a later manual_seed() takes effect.
        self.generator: np.random.Generator | None = (
            np.random.default_rng(int(generator))
            if isinstance(generator, (int, np.integer))
            else generator
        )

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self, n: int) -> np.ndarray:
        """The sample order of one epoch."""
        if not self.shuffle:
            return np.arange(n)
        rng = self.generator if self.generator is not None else default_generator()
        return rng.permutation(n)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        order = self._order(n)
        stops = range(self.batch_size, n + 1, self.batch_size)
        bounds = [(stop - self.batch_size, stop) for stop in stops]
        if not self.drop_last and n % self.batch_size:
            bounds.append((n - n % self.batch_size, n))
        fast = None if self._custom_collate else _fast_path(self.dataset)
        if fast is not None:
            arrays, base = fast
            if base is not None:
                order = base[order]
            for start, stop in bounds:
                index = order[start:stop]
                yield tuple(Tensor(array[index]) for array in arrays)
        else:
            for start, stop in bounds:
                yield self.collate_fn([self.dataset[int(i)] for i in order[start:stop]])

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last})"
        )
