"""TensorDataset, DataLoader, Subset and random_split."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def make_data(n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    X = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n, dtype=np.int64)
    return X, y


class Squares(Dataset):
    """A dataset that is not a TensorDataset: the loader's sample-by-sample path."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return np.array([i, i * i], dtype=np.float32), i


# ------------------------------------------------------------------ TensorDataset


def test_tensor_dataset_holds_arrays_and_tensors() -> None:
    X, y = make_data()
    dataset = TensorDataset(X, cr.tensor(y))
    assert len(dataset) == 10
    x3, y3 = dataset[3]
    assert isinstance(x3, cr.Tensor) and isinstance(y3, cr.Tensor)
    np.testing.assert_array_equal(x3.numpy(), X[3])
    assert y3.item() == 3
    assert dataset.arrays[0] is X  # no copy
    assert all(isinstance(t, cr.Tensor) for t in dataset.tensors)
    assert dataset.tensors[1].dtype == cr.int64


def test_tensor_dataset_size_mismatch_names_sizes() -> None:
    X, y = make_data()
    with pytest.raises(ValueError, match=r"10 \(tensor 0\), 9 \(tensor 1\)"):
        TensorDataset(X, y[:9])


def test_tensor_dataset_rejects_no_tensors_and_scalars() -> None:
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="scalar"):
        TensorDataset(np.float32(1.0))


# ------------------------------------------------------------------ DataLoader


@pytest.mark.parametrize(
    ("n", "batch_size", "drop_last", "sizes"),
    [
        (10, 4, False, [4, 4, 2]),
        (10, 4, True, [4, 4]),
        (12, 4, False, [4, 4, 4]),
        (12, 4, True, [4, 4, 4]),
        (3, 5, False, [3]),
        (3, 5, True, []),
        (7, 1, False, [1] * 7),
    ],
)
def test_loader_batch_counts(n: int, batch_size: int, drop_last: bool, sizes: list[int]) -> None:
    X, y = make_data(n)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(sizes) == len(batches)
    assert [xb.shape[0] for xb, _ in batches] == sizes
    for xb, yb in batches:
        assert xb.shape[1:] == (2,) and yb.shape == (xb.shape[0],)
        assert xb.dtype == cr.float32 and yb.dtype == cr.int64
        assert not xb.requires_grad


def test_loader_in_order_without_shuffle() -> None:
    X, y = make_data(10)
    batches = list(DataLoader(TensorDataset(X, y), batch_size=3))
    np.testing.assert_array_equal(np.concatenate([yb.numpy() for _, yb in batches]), y)
    np.testing.assert_array_equal(np.concatenate([xb.numpy() for xb, _ in batches]), X)


def test_loader_shuffle_is_a_permutation_that_keeps_rows_together() -> None:
    X, y = make_data(50)
    cr.manual_seed(0)
    batches = list(DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True))
    ys = np.concatenate([yb.numpy() for _, yb in batches])
    assert sorted(ys.tolist()) == list(range(50))
    assert not np.array_equal(ys, np.arange(50))
    for xb, yb in batches:
        np.testing.assert_array_equal(xb.numpy(), X[yb.numpy()])


def epoch_order(loader: DataLoader) -> list[int]:
    return np.concatenate([yb.numpy() for _, yb in loader]).tolist()


def test_loader_shuffle_repeats_with_manual_seed() -> None:
    X, y = make_data(40)
    loader = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True)
    cr.manual_seed(123)
    first = [epoch_order(loader), epoch_order(loader)]
    cr.manual_seed(123)
    second = [epoch_order(loader), epoch_order(loader)]
    assert first == second
    assert first[0] != first[1]  # each epoch has a new order


def test_loader_shuffle_with_its_own_seed() -> None:
    X, y = make_data(40)
    a = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, generator=7)
    b = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, generator=7)
    cr.manual_seed(0)
    orders_a = [epoch_order(a), epoch_order(a)]
    cr.manual_seed(1)  # chainrule's generator does not matter with a seed of its own
    orders_b = [epoch_order(b), epoch_order(b)]
    assert orders_a == orders_b and orders_a[0] != orders_a[1]


def test_loader_batches_do_not_alias_the_dataset() -> None:
    X, y = make_data(6)
    original = X.copy()
    for xb, _ in DataLoader(TensorDataset(X, y), batch_size=2):
        xb.data[...] = -1
    np.testing.assert_array_equal(X, original)


def test_loader_generic_dataset_collates_samples() -> None:
    loader = DataLoader(Squares(5), batch_size=2)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    xb, yb = batches[0]
    np.testing.assert_array_equal(xb.numpy(), [[0, 0], [1, 1]])
    assert xb.dtype == cr.float32 and yb.dtype == cr.int64
    assert yb.tolist() == [0, 1]


def test_loader_custom_collate_fn() -> None:
    X, y = make_data(4)
    loader = DataLoader(TensorDataset(X, y), batch_size=2, collate_fn=len)
    assert list(loader) == [2, 2]


def test_default_collate_numbers_and_single_values() -> None:
    batch = default_collate([1.5, 2.5])
    assert isinstance(batch, cr.Tensor) and batch.dtype == cr.float32
    x, y = default_collate([(cr.tensor([1.0, 2.0]), 0), (cr.tensor([3.0, 4.0]), 1)])
    assert x.shape == (2, 2) and y.tolist() == [0, 1]
    with pytest.raises(ValueError, match="fields"):
        default_collate([(1, 2), (3,)])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"batch_size": 0}, ValueError, "batch_size must be at least 1"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an int"),
        ({"generator": "seed"}, TypeError, "generator"),
    ],
)
def test_loader_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    X, y = make_data()
    with pytest.raises(error, match=match):
        DataLoader(TensorDataset(X, y), **kwargs)


def test_loader_rejects_non_dataset() -> None:
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(42)  # type: ignore[arg-type]


# ------------------------------------------------------------------ Subset, random_split


def test_subset_and_loader_fast_path() -> None:
    X, y = make_data(10)
    subset = Subset(TensorDataset(X, y), [7, 2, 5])
    assert len(subset) == 3
    assert subset[0][1].item() == 7
    nested = Subset(subset, [2, 0])
    (xb, yb) = next(iter(DataLoader(nested, batch_size=5)))
    assert yb.tolist() == [5, 7]
    np.testing.assert_array_equal(xb.numpy(), X[[5, 7]])
    with pytest.raises(IndexError, match=r"\[0, 10\)"):
        Subset(TensorDataset(X, y), [10])


def test_random_split_counts_fractions_and_seed() -> None:
    X, y = make_data(10)
    dataset = TensorDataset(X, y)
    parts = random_split(dataset, [7, 3], generator=0)
    assert [len(p) for p in parts] == [7, 3]
    indices = np.concatenate([p.indices for p in parts])
    assert sorted(indices.tolist()) == list(range(10))
    again = random_split(dataset, [7, 3], generator=0)
    assert all(np.array_equal(a.indices, b.indices) for a, b in zip(parts, again))
    assert [len(p) for p in random_split(dataset, [0.5, 0.3, 0.2], generator=0)] == [5, 3, 2]
    assert [len(p) for p in random_split(make_squares(11), [0.5, 0.5])] == [6, 5]
    with pytest.raises(ValueError, match="sum to the dataset size 10"):
        random_split(dataset, [5, 4])
    with pytest.raises(ValueError, match="sum to 1"):
        random_split(dataset, [0.5, 0.4])


def make_squares(n: int) -> Squares:
    return Squares(n)
