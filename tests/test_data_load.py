"""load_dataset and scikit-learn's shipped data sets."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chainrule.data import (
    GENERATORS,
    REAL_DATASETS,
    dataset_names,
    load_breast_cancer,
    load_dataset,
    load_digits,
    load_iris,
    load_real,
    load_wine,
    save_csv,
    xor,
)


@pytest.mark.parametrize(
    ("name", "problem", "classes", "n"),
    [("circle", "classification", 2, 500), ("spirals", "classification", 3, 500),
     ("reg_gauss", "regression", None, 1200), ("reg-plane", "regression", None, 1200)],
)  # fmt: skip
def test_generators_by_name(name: str, problem: str, classes: int | None, n: int) -> None:
    X, y, info = load_dataset(name, seed=0)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert (info.problem, info.num_classes, info.source) == (problem, classes, "synthetic")
    assert info.n_samples == n and info.n_features == 2
    assert info.feature_names == ["x1", "x2"]
    assert info.to_dict()["problem"] == problem


def test_generator_arguments_pass_through() -> None:
    X, y, info = load_dataset("xor", n=120, noise=0.2, seed=4)
    X2, y2 = xor(120, noise=0.2, seed=4)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert info.noise == 0.2
    _, y, info = load_dataset("blobs", n=100, classes=5, seed=0)
    assert info.num_classes == 5 and set(y.tolist()) == set(range(5))


def test_csv_path(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    save_csv(path, *xor(40, seed=0))
    X, y, info = load_dataset(str(path))
    assert X.shape == (40, 2) and info.source == "csv" and info.num_classes == 2
    X, y, info = load_dataset(path, n=10, seed=0)
    assert X.shape == (10, 2) and info.n_samples == 10


def test_unknown_name_lists_choices() -> None:
    with pytest.raises(ValueError, match=r"choose a generator \(circle, xor.*shipped set \(digits"):
        load_dataset("moons")


def test_dataset_names() -> None:
    assert dataset_names() == [*GENERATORS, *REAL_DATASETS]


# ------------------------------------------------------------------ shipped sets

REAL = [
    (load_digits, "digits", (1797, 64), 10),
    (load_iris, "iris", (150, 4), 3),
    (load_wine, "wine", (178, 13), 3),
    (load_breast_cancer, "breast_cancer", (569, 30), 2),
]


@pytest.mark.parametrize(("loader", "name", "shape", "classes"), REAL)
def test_shipped_sets(
    loader: Callable[[], Any], name: str, shape: tuple[int, int], classes: int
) -> None:
    pytest.importorskip("sklearn")
    X, y = loader()
    assert X.shape == shape and X.dtype == np.float32 and X.flags.c_contiguous
    assert y.shape == (shape[0],) and y.dtype == np.int64
    assert set(np.unique(y).tolist()) == set(range(classes))
    spec = REAL_DATASETS[name]
    assert (spec.n_samples, spec.n_features, spec.n_classes) == (*shape, classes)
    X2, y2, info = load_real(name)
    np.testing.assert_array_equal(X, X2)
    assert len(info.feature_names) == shape[1] and len(info.class_names or []) == classes


def test_shipped_sets_through_load_dataset() -> None:
    pytest.importorskip("sklearn")
    X, y, info = load_dataset("iris")
    assert X.shape == (150, 4) and info.problem == "classification" and info.num_classes == 3
    assert info.class_names == ["setosa", "versicolor", "virginica"]
    X, y, info = load_dataset("digits", n=100, seed=0)
    assert X.shape == (100, 64) and info.n_samples == 100
    with pytest.raises(ValueError, match="noise=0.1 applies only to generators"):
        load_dataset("iris", noise=0.1)
    with pytest.raises(ValueError, match="n=1000 must be an int from 1 to the 150 rows"):
        load_dataset("iris", n=1000)
    with pytest.raises(ValueError, match="classes=4 applies only"):
        load_dataset("wine", classes=4)


def test_missing_sklearn_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes `import sklearn.datasets` fail, as if absent.
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(
        ImportError, match=r"load_iris\(\) needs scikit-learn.*pip install 'chainrule\[datasets\]'"
    ):
        load_iris()
