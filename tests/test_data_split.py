"""train_test_split and train_val_test_split."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import train_test_split, train_val_test_split


def data(n: int = 100) -> tuple[np.ndarray, np.ndarray]:
    X = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
    y = np.arange(n) % 2
    return X, y


def test_train_val_test_order_sizes_and_coverage() -> None:
    X, y = data(100)
    X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(X, y, seed=0)
    assert (len(X_train), len(X_val), len(X_test)) == (70, 15, 15)
    assert (len(y_train), len(y_val), len(y_test)) == (70, 15, 15)
    rows = np.concatenate([X_train[:, 0], X_val[:, 0], X_test[:, 0]]) / 2
    assert sorted(rows.astype(int).tolist()) == list(range(100))
    # The same rows of X and y go together.
    for Xp, yp in [(X_train, y_train), (X_val, y_val), (X_test, y_test)]:
        np.testing.assert_array_equal((Xp[:, 0] / 2).astype(int) % 2, yp)


def test_sizes_as_counts_and_ceil_of_fractions() -> None:
    X, y = data(10)
    parts = train_val_test_split(X, val_size=2, test_size=0.25, seed=0)
    assert [len(p) for p in parts] == [5, 2, 3]  # ceil(0.25 * 10) = 3
    parts = train_val_test_split(X, val_size=0, test_size=0.15, seed=0)
    assert [len(p) for p in parts] == [8, 0, 2]
    X_train, X_test = train_test_split(X, test_size=0.3, seed=0)
    assert (len(X_train), len(X_test)) == (7, 3)


def test_seeds_and_manual_seed_repeat() -> None:
    X, y = data(50)
    a = train_test_split(X, y, seed=1)
    b = train_test_split(X, y, seed=1)
    c = train_test_split(X, y, seed=2)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    cr.manual_seed(3)
    d = train_test_split(X, y)
    cr.manual_seed(3)
    e = train_test_split(X, y)
    assert all(np.array_equal(p, q) for p, q in zip(d, e))


def test_without_shuffle_rows_stay_in_order() -> None:
    X, y = data(20)
    _, _, _, y_train, y_val, y_test = train_val_test_split(
        X, np.arange(20), val_size=0.2, test_size=0.1, shuffle=False
    )
    assert y_train.tolist() == list(range(14))
    assert y_val.tolist() == [14, 15, 16, 17]
    assert y_test.tolist() == [18, 19]


@pytest.mark.parametrize("n", [200, 203, 1000])
def test_stratified_split_keeps_class_proportions(n: int) -> None:
    rng = np.random.default_rng(0)
    y = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    X = rng.normal(size=(n, 2))
    overall = np.bincount(y, minlength=3)
    _, _, _, y_train, y_val, y_test = train_val_test_split(
        X, y, val_size=0.2, test_size=0.2, stratify=y, seed=0
    )
    for part in (y_train, y_val, y_test):
        counts = np.bincount(part, minlength=3)
        expected = overall * len(part) / n
        assert np.all(np.abs(counts - expected) <= 1.0), (counts, expected)
    assert len(y_train) + len(y_val) + len(y_test) == n
    # The parts are shuffled, not in a regular class pattern.
    assert not np.array_equal(y_test, np.sort(y_test))


def test_stratified_split_is_still_random_and_repeatable() -> None:
    X, y = data(100)
    a = train_test_split(X, y, stratify=y, seed=0)
    b = train_test_split(X, y, stratify=y, seed=0)
    c = train_test_split(X, y, stratify=y, seed=1)
    assert np.array_equal(a[1], b[1]) and not np.array_equal(a[1], c[1])
    assert np.bincount(a[3]).tolist() == [13, 12] or np.bincount(a[3]).tolist() == [12, 13]


def test_stratified_beats_chance_on_a_rare_class() -> None:
    y = np.zeros(100, dtype=np.int64)
    y[:5] = 1  # five rare samples
    for seed in range(10):
        _, y_test = train_test_split(y, test_size=0.2, stratify=y, seed=seed)
        assert y_test.sum() == 1


def test_tensors_in_tensors_out_and_lists_become_arrays() -> None:
    X, y = data(10)
    X_train, X_test, y_train, y_test = train_test_split(cr.tensor(X), list(y), seed=0)
    assert isinstance(X_train, cr.Tensor) and isinstance(X_test, cr.Tensor)
    assert isinstance(y_train, np.ndarray)
    assert X_train.shape == (7, 2)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda X, y: train_test_split(X, y[:5]), ValueError, r"10 \(array 0\), 5 \(array 1\)"),
        (lambda X, y: train_test_split(), ValueError, "at least one array"),
        (lambda X, y: train_test_split(X, test_size=1.5), ValueError, r"test_size=1.5.*\[0, 1\)"),
        (lambda X, y: train_test_split(X, test_size=-0.1), ValueError, "test_size"),
        (lambda X, y: train_test_split(X, test_size=11), ValueError, "between 0 and the 10"),
        (lambda X, y: train_test_split(X, test_size="half"), TypeError, "test_size"),  # type: ignore[arg-type]
        (lambda X, y: train_val_test_split(X, val_size=0.5, test_size=0.5), ValueError,
         "leave 0 of the 10 samples for training"),
        (lambda X, y: train_test_split(X, stratify=y, shuffle=False), ValueError, "shuffle=True"),
        (lambda X, y: train_test_split(X, stratify=y[:3]), ValueError, r"shape \(10,\)"),
    ],
)  # fmt: skip
def test_errors(call: Callable[..., Any], error: type, match: str) -> None:
    X, y = data(10)
    with pytest.raises(error, match=match):
        call(X, y)
