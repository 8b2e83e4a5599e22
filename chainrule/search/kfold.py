"""k-fold cross-validation as a ``train_fn``: score each configuration on k folds, averaged.

With k folds, the samples are dealt into k parts; fold j trains on the other k - 1
parts and scores on part j. The score of a configuration is the mean over the folds,
with its standard deviation beside it:

    score = (1/k) sum_j score_j,    score_std = sqrt((1/k) sum_j (score_j - score)^2)

Every configuration is scored on the same folds (they depend on ``split_seed`` only),
so differences between configurations are not differences between splits.

Example::

    >>> def fold_fn(config, seed, train_index, val_index):
    ...     model = fit_model(X[train_index], y[train_index], config, seed)
    ...     return {"val_accuracy": accuracy(model, X[val_index], y[val_index])}
    >>> train_fn = cross_validated(fold_fn, n_samples=len(X), n_splits=5, stratify=y)
    >>> result = grid_search({"lr": [0.01, 0.1]}, train_fn)   # scores: val_accuracy(_std)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule.search.trial import _scores

__all__ = ["kfold_indices", "CrossValidated", "cross_validated"]

#: ``fold_fn(config, seed, train_index, val_index) -> {score name: number}``.
FoldFn = Callable[[dict[str, Any], int, np.ndarray, np.ndarray], Any]


def kfold_indices(
    n_samples: int,
    n_splits: int = 5,
    shuffle: bool = True,
    seed: int = 0,
    stratify: Any = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train_index, val_index) pairs of k-fold cross-validation.

    Without ``stratify`` the (shuffled) samples are cut into k parts whose sizes
    differ by at most one. With ``stratify`` (the class labels) each class's
    samples are shuffled and dealt round-robin into the parts, so every part keeps
    the class proportions.

    Args:
        n_samples: N, the samples are 0..N-1.
        n_splits: k >= 2.
        shuffle: shuffle before cutting (always, within classes, when stratified).
        seed: the shuffling's seed.
        stratify: None, or N labels.

    Example::

        >>> [(len(t), len(v)) for t, v in kfold_indices(10, 3)]
        [(6, 4), (7, 3), (7, 3)]
    """
    if isinstance(n_splits, bool) or not isinstance(n_splits, int) or n_splits < 2:
        raise ValueError(f"n_splits must be an integer >= 2, got {n_splits!r}")
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise TypeError(f"n_samples must be an integer, got {n_samples!r}")
    if n_samples < n_splits:
        raise ValueError(
            f"n_splits={n_splits} folds need at least as many samples, got {n_samples}"
        )
    rng = np.random.default_rng(seed)
    fold_of = np.empty(n_samples, dtype=np.int64)
    if stratify is None:
        order = rng.permutation(n_samples) if shuffle else np.arange(n_samples)
        sizes = np.full(n_splits, n_samples // n_splits)
        sizes[: n_samples % n_splits] += 1
        fold_of[order] = np.repeat(np.arange(n_splits), sizes)
    else:
        labels = np.asarray(stratify)
        if labels.shape != (n_samples,):
            raise ValueError(
                f"stratify must hold one label per sample, shape ({n_samples},), got {labels.shape}"
            )
        start = 0  # continue the round-robin across classes: fold sizes stay even
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            members = rng.permutation(members)
            fold_of[members] = (start + np.arange(len(members))) % n_splits
            start += len(members)
    everything = np.arange(n_samples)
    return [(everything[fold_of != j], everything[fold_of == j]) for j in range(n_splits)]


class CrossValidated:
    """A ``train_fn(config, seed)`` that runs ``fold_fn`` on each fold and averages.

    Every score ``name`` fold_fn returns becomes ``name`` (the mean over folds) and
    ``name_std`` (their standard deviation). Each fold trains from the trial's seed.
    Picklable when ``fold_fn`` is, so it runs in processes and on Ray.

    Args:
        fold_fn: ``fold_fn(config, seed, train_index, val_index) -> scores``.
        n_samples, n_splits, shuffle, stratify: as in ``kfold_indices``.
        split_seed: the seed of the folds, the same for every configuration.
    """

    def __init__(
        self,
        fold_fn: FoldFn,
        n_samples: int,
        n_splits: int = 5,
        shuffle: bool = True,
        split_seed: int = 0,
        stratify: Any = None,
    ) -> None:
        if not callable(fold_fn):
            raise TypeError(f"fold_fn must be callable, got {fold_fn!r}")
        self.fold_fn = fold_fn
        self.folds = kfold_indices(n_samples, n_splits, shuffle, split_seed, stratify)

    def __call__(self, config: dict[str, Any], seed: int) -> dict[str, float]:
        per_fold = [
            _scores(self.fold_fn(dict(config), seed, train_index, val_index))
            for train_index, val_index in self.folds
        ]
        scores: dict[str, float] = {}
        for name in per_fold[0]:
            values = np.array([fold[name] for fold in per_fold if name in fold])
            scores[name] = float(values.mean())
            scores[f"{name}_std"] = float(values.std())
        return scores

    def __repr__(self) -> str:
        return f"CrossValidated({self.fold_fn!r}, n_splits={len(self.folds)})"


def cross_validated(
    fold_fn: FoldFn,
    n_samples: int,
    n_splits: int = 5,
    shuffle: bool = True,
    split_seed: int = 0,
    stratify: Any = None,
) -> CrossValidated:
    """Turn a per-fold ``fold_fn`` into a ``train_fn`` scored by k-fold cross-validation.

    See ``CrossValidated``; the example is in this module's docstring.
    """
    return CrossValidated(fold_fn, n_samples, n_splits, shuffle, split_seed, stratify)
