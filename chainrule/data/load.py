"""``load_dataset``: one entry point for every data set, by name or path.

    load_dataset("spiral", noise=0.2)      a generator of the playground (GENERATORS)
    load_dataset("spirals", classes=5)     a multi-class generator
    load_dataset("iris")                   a set shipped with scikit-learn (REAL_DATASETS)
    load_dataset("my_points.csv")          a CSV file (see load_csv)

The command line and the playground call it with what the user typed.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from chainrule.data.csvfile import load_csv
from chainrule.data.info import DatasetInfo
from chainrule.data.real import REAL_DATASETS, load_real
from chainrule.data.synthetic import GENERATORS, _normal_name
from chainrule.random import seed_from

__all__ = ["load_dataset", "dataset_names"]


def dataset_names() -> list[str]:
    """The names ``load_dataset`` knows: the generators, then the shipped sets."""
    return [*GENERATORS, *REAL_DATASETS]


def _is_csv(name: str | os.PathLike[str]) -> bool:
    return (
        isinstance(name, os.PathLike)
        or str(name).lower().endswith(".csv")
        or (Path(str(name)).is_file() and _normal_name(str(name)) not in dataset_names())
    )


def load_dataset(
    name: str | os.PathLike[str],
    n: int | None = None,
    noise: float = 0.0,
    seed: int | np.random.Generator | None = None,
    classes: int | None = None,
    label_column: str | int | None = None,
) -> tuple[np.ndarray, np.ndarray, DatasetInfo]:
    """Load or generate the data set ``name``: ``(X, y, info)``.

    Args:
        name: a generator (``circle xor gauss spiral reg_plane reg_gauss spirals blobs``),
            a shipped set (``digits iris wine breast_cancer``, needs scikit-learn), or the
            path of a CSV file.
        n: the number of points to generate (default: the generator's, 500 or 1200); for
            a shipped set or a CSV file, a random subset of ``n`` rows (default: all).
        noise: a generator's noise, as a fraction (the playground's 0..50 is 0..0.5).
            Only generators take it.
        seed: a seed, a NumPy generator, or None for chainrule's generator.
        classes: the number of classes for ``spirals`` and ``blobs`` (default 3).
        label_column: for a CSV file, the label column (see ``load_csv``).

    Returns:
        X (float32, shape (n, features)), y (int64 class indices, or float32 regression
        targets, shape (n,)), and a ``DatasetInfo`` whose ``problem`` is
        ``"classification"`` or ``"regression"`` and ``num_classes`` the number of
        classes (None for regression).

    Example::

        >>> X, y, info = load_dataset("xor", n=200, noise=0.1, seed=0)
        >>> X.shape, info.problem, info.num_classes
        ((200, 2), 'classification', 2)
    """
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError(f"load_dataset: name must be a string or a path, got {name!r}")
    key = _normal_name(str(name))
    if key in GENERATORS and not isinstance(name, os.PathLike):
        generator = GENERATORS[key]
        X, y = generator(n, noise=noise, seed=seed, classes=classes)
        info = DatasetInfo(
            name=key,
            problem=generator.problem,
            num_classes=generator.num_classes(classes),
            n_samples=X.shape[0],
            n_features=X.shape[1],
            feature_names=["x1", "x2"],
            source="synthetic",
            noise=float(noise),
        )
        return X, y, info

    if key in REAL_DATASETS and not isinstance(name, os.PathLike):
        source = f"the shipped data set {key!r}"
        X, y, info = load_real(key)
    elif _is_csv(name):
        source = f"the CSV file {str(name)!r}"
        X, y, info = load_csv(name, label_column=label_column)
    else:
        raise ValueError(
            f"unknown data set {str(name)!r}; choose a generator ({', '.join(GENERATORS)}), "
            f"a shipped set ({', '.join(REAL_DATASETS)}) or the path of a .csv file"
        )
    if noise:
        raise ValueError(f"load_dataset: noise={noise} applies only to generators, not {source}")
    if classes is not None:
        raise ValueError(f"load_dataset: classes={classes} applies only to spirals and blobs")
    if n is not None:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= len(X):
            raise ValueError(
                f"load_dataset: n={n!r} must be an int from 1 to the {len(X)} rows of {source}"
            )
        rows = np.sort(seed_from(seed).choice(len(X), size=int(n), replace=False))
        X, y = X[rows], y[rows]
        info.n_samples = int(n)
    return X, y, info
