"""Small real data sets that ship inside scikit-learn (no download).

Each loader returns ``(X, y)``: features as float32 of shape (n, features), raw (not
standardized; see ``Standardizer``), and class labels as int64 ``0 .. classes - 1``.
``load_real(name)`` also returns a ``DatasetInfo`` with the feature and class names.

    name            samples  features  classes  what
    digits             1797        64       10  8x8 images of handwritten digits, 0..16
    iris                150         4        3  iris flowers' sepal and petal sizes
    wine                178        13        3  chemical analysis of three cultivars
    breast_cancer       569        30        2  cell nuclei measurements; 0 malignant

scikit-learn is an optional dependency: ``pip install 'chainrule[datasets]'``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule.data.info import DatasetInfo

__all__ = [
    "load_digits",
    "load_iris",
    "load_wine",
    "load_breast_cancer",
    "load_real",
    "RealDataset",
    "REAL_DATASETS",
]


@dataclass(frozen=True)
class RealDataset:
    """A data set shipped with scikit-learn.

    Attributes:
        name: the key in ``REAL_DATASETS``.
        sklearn_loader: the name of the loader in ``sklearn.datasets``.
        n_samples, n_features, n_classes: its size.
        description: one line for menus and ``--help``.
    """

    name: str
    sklearn_loader: str
    n_samples: int
    n_features: int
    n_classes: int
    description: str


REAL_DATASETS: dict[str, RealDataset] = {
    d.name: d
    for d in [
        RealDataset("digits", "load_digits", 1797, 64, 10, "8x8 handwritten digits"),
        RealDataset("iris", "load_iris", 150, 4, 3, "iris flowers: sepal and petal sizes"),
        RealDataset("wine", "load_wine", 178, 13, 3, "wines: chemical analysis"),
        RealDataset("breast_cancer", "load_breast_cancer", 569, 30, 2, "breast cancer cell nuclei"),
    ]
}


def _sklearn_datasets(function: str) -> Any:
    """``sklearn.datasets``, imported only when needed, or a clear error."""
    try:
        return importlib.import_module("sklearn.datasets")
    except ImportError:
        raise ImportError(
            f"{function}() needs scikit-learn, which ships this data set: "
            "pip install 'chainrule[datasets]'"
        ) from None


def load_real(name: str) -> tuple[np.ndarray, np.ndarray, DatasetInfo]:
    """The shipped data set ``name`` (a key of ``REAL_DATASETS``) as ``(X, y, info)``.

    ``info.feature_names`` and ``info.class_names`` are scikit-learn's.

    Example::

        >>> X, y, info = load_real("iris")
        >>> X.shape, info.num_classes, info.class_names
        ((150, 4), 3, ['setosa', 'versicolor', 'virginica'])
    """
    key = name.strip().lower().replace("-", "_") if isinstance(name, str) else None
    if key not in REAL_DATASETS:
        raise ValueError(
            f"unknown shipped data set {name!r}; choose one of {', '.join(REAL_DATASETS)}"
        )
    spec = REAL_DATASETS[key]
    bunch = getattr(_sklearn_datasets(f"load_{key}"), spec.sklearn_loader)()
    X = np.ascontiguousarray(bunch.data, dtype=np.float32)
    y = np.asarray(bunch.target, dtype=np.int64)
    feature_names = [str(f) for f in getattr(bunch, "feature_names", range(X.shape[1]))]
    class_names = [str(c) for c in bunch.target_names]
    info = DatasetInfo(
        name=key,
        problem="classification",
        num_classes=len(class_names),
        n_samples=X.shape[0],
        n_features=X.shape[1],
        feature_names=feature_names,
        class_names=class_names,
        source="sklearn",
    )
    return X, y, info


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """8x8 images of handwritten digits: X float32 (1797, 64), pixel values 0..16;
    y int64 in 0..9.

    Example::

        >>> X, y = load_digits()
        >>> X.shape, int(y.max())
        ((1797, 64), 9)
    """
    X, y, _ = load_real("digits")
    return X, y


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """Iris flowers: X float32 (150, 4), sepal and petal length and width in cm;
    y int64 in 0..2 (setosa, versicolor, virginica).

    Example::

        >>> X, y = load_iris()
        >>> np.bincount(y).tolist()
        [50, 50, 50]
    """
    X, y, _ = load_real("iris")
    return X, y


def load_wine() -> tuple[np.ndarray, np.ndarray]:
    """Wines from three cultivars: X float32 (178, 13), a chemical analysis;
    y int64 in 0..2.

    Example::

        >>> X, y = load_wine()
        >>> X.shape
        (178, 13)
    """
    X, y, _ = load_real("wine")
    return X, y


def load_breast_cancer() -> tuple[np.ndarray, np.ndarray]:
    """Breast cancer diagnosis: X float32 (569, 30), measurements of cell nuclei;
    y int64, 0 malignant and 1 benign.

    Example::

        >>> X, y = load_breast_cancer()
        >>> X.shape
        (569, 30)
    """
    X, y, _ = load_real("breast_cancer")
    return X, y
