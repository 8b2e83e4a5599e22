"""Standardization: shift and scale each input column to mean 0 and standard deviation 1.

Gradient descent works best when the inputs have similar scales: a column in the
thousands next to one in [0, 1] makes the loss surface a long narrow valley. The
statistics are fitted on the training set only and then applied, unchanged, to the
validation and test sets (and to new data), so no information leaks from them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.data.dataset import as_array

__all__ = ["Standardizer", "standardize"]


class Standardizer:
    """Per-column standardization, ``z = (x - mean) / std``, fitted on training data.

    ``mean`` and ``std`` are the column means and (population) standard deviations of
    the data given to ``fit``. A constant column has std 0; its std is taken as 1, so it
    becomes all zeros instead of NaN.

    Works on NumPy arrays and on chainrule Tensors (a Tensor in gives a Tensor out);
    float arrays keep their dtype, other inputs become float32.

    Attributes:
        mean: shape (features,), float64, after ``fit`` (before, reading it raises).
        std: shape (features,), float64, after ``fit`` (zeros replaced by ones).

    Example::

        >>> X_train, X_test = np.array([[1.0, 10.0], [3.0, 30.0]]), np.array([[2.0, 50.0]])
        >>> scaler = Standardizer().fit(X_train)
        >>> scaler.transform(X_test)           # with the training set's mean and std
        array([[0., 3.]])
        >>> scaler.inverse_transform(scaler.transform(X_test))
        array([[ 2., 50.]])
    """

    def __init__(self) -> None:
        self._mean: np.ndarray | None = None
        self._std: np.ndarray | None = None

    @property
    def fitted(self) -> bool:
        """Whether ``fit`` (or ``load_state_dict``) has been called."""
        return self._mean is not None and self._std is not None

    @property
    def mean(self) -> np.ndarray:
        """The column means of the fitted data, shape (features,)."""
        if self._mean is None:
            raise RuntimeError("Standardizer: not fitted yet; call fit(X_train) first")
        return self._mean

    @property
    def std(self) -> np.ndarray:
        """The column standard deviations of the fitted data (0 replaced by 1)."""
        if self._std is None:
            raise RuntimeError("Standardizer: not fitted yet; call fit(X_train) first")
        return self._std

    def fit(self, X: Any) -> Standardizer:
        """Learn each column's mean and standard deviation from ``X`` (shape (n, features)
        or (n,)); returns ``self``."""
        data = as_array(X, "X")
        if data.ndim not in (1, 2) or data.shape[0] == 0:
            raise ValueError(
                f"Standardizer.fit: X must have shape (n, features) or (n,) with n >= 1, "
                f"got {data.shape}"
            )
        if data.dtype.kind not in "biuf":
            raise TypeError(f"Standardizer.fit: X must be numeric, got dtype {data.dtype}")
        data64 = data.astype(np.float64, copy=False)
        self._mean = data64.mean(axis=0).reshape(-1)
        std = data64.std(axis=0).reshape(-1)
        self._std = np.where(std > 0, std, 1.0)
        return self

    def _stats(self, X: Any, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not self.fitted:
            raise RuntimeError(f"Standardizer.{method}: not fitted yet; call fit(X_train) first")
        data = as_array(X, "X")
        features = data.shape[-1] if data.ndim == 2 else 1
        if data.ndim not in (1, 2) or features != self.mean.shape[0]:
            raise ValueError(
                f"Standardizer.{method}: X has shape {data.shape}, but the standardizer was "
                f"fitted on {self.mean.shape[0]} feature column(s)"
            )
        mean, std = self.mean, self.std
        if data.ndim == 1:
            mean, std = mean[0], std[0]
        return data, mean, std

    @staticmethod
    def _like(result: np.ndarray, X: Any, data: np.ndarray) -> Any:
        dtype = data.dtype if data.dtype.kind == "f" else np.dtype(np.float32)
        out = result.astype(dtype, copy=False)
        return Tensor(out) if isinstance(X, Tensor) else out

    def transform(self, X: Any) -> Any:
        """``(X - mean) / std``, column by column."""
        data, mean, std = self._stats(X, "transform")
        return self._like((data - mean) / std, X, data)

    def fit_transform(self, X: Any) -> Any:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: Any) -> Any:
        """``Z * std + mean``: undo ``transform``."""
        data, mean, std = self._stats(Z, "inverse_transform")
        return self._like(data * std + mean, Z, data)

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{"mean": ..., "std": ...}``, to save beside a model (e.g. in safetensors)."""
        if not self.fitted:
            raise RuntimeError("Standardizer.state_dict: not fitted yet; call fit(X_train) first")
        return {"mean": self.mean.copy(), "std": self.std.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> Standardizer:
        """Restore ``mean`` and ``std`` saved by ``state_dict``; returns ``self``."""
        missing = {"mean", "std"} - set(state)
        if missing:
            raise KeyError(f"Standardizer.load_state_dict: missing key(s) {sorted(missing)}")
        mean = np.asarray(as_array(state["mean"]), np.float64).reshape(-1)
        std = np.asarray(as_array(state["std"]), np.float64).reshape(-1)
        if mean.shape != std.shape:
            raise ValueError(
                f"Standardizer.load_state_dict: mean has shape {mean.shape} but std has "
                f"shape {std.shape}"
            )
        self._mean, self._std = mean, np.where(std > 0, std, 1.0)
        return self

    def __repr__(self) -> str:
        if not self.fitted:
            return "Standardizer(not fitted)"
        return f"Standardizer(features={self.mean.shape[0]})"


def standardize(X: Any) -> Any:
    """``X`` with each column shifted and scaled to mean 0 and std 1 (its own statistics).

    For a train/test split, fit a ``Standardizer`` on the training part instead.

    Example::

        >>> standardize(np.array([[1.0, 10.0], [3.0, 10.0]]))
        array([[-1.,  0.],
               [ 1.,  0.]])
    """
    return Standardizer().fit_transform(X)
