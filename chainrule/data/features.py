"""The playground's input features: functions of a point ``(x1, x2)``.

A network that sees only ``x1`` and ``x2`` must build curved boundaries out of its
hidden units; given ``x1^2`` and ``x2^2`` a single linear unit can already separate the
circle. ``feature_map`` computes the chosen features for every point:

    key      label     value          tensorflow/playground's name
    x1       x1        x1             x
    x2       x2        x2             y
    x1sq     x1^2      x1 * x1        xSquared
    x2sq     x2^2      x2 * x2        ySquared
    x1x2     x1*x2     x1 * x2        xTimesY
    sinx1    sin(x1)   sin(x1)        sinX
    sinx2    sin(x2)   sin(x2)        sinY

The keys are short and safe in URLs and on the command line; the labels are for
display. Either one, or the playground's name, selects a feature (case does not
matter).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule.data.dataset import as_array

__all__ = ["Feature", "FEATURES", "feature_map", "feature_key", "feature_labels"]


@dataclass(frozen=True)
class Feature:
    """One input feature of the playground.

    Attributes:
        key: the short name (the key in ``FEATURES``), e.g. ``"x1sq"``.
        label: the name to display, e.g. ``"x1^2"``.
        function: ``function(x1, x2)`` on arrays of shape (n,), giving shape (n,).
        playground_name: tensorflow/playground's name for it, e.g. ``"xSquared"``.
    """

    key: str
    label: str
    function: Callable[[np.ndarray, np.ndarray], np.ndarray]
    playground_name: str

    def __call__(self, X: Any) -> np.ndarray:
        """The feature of every row of ``X`` (shape (n, 2)), as shape (n,)."""
        points = _points(X)
        return np.asarray(self.function(points[:, 0], points[:, 1]))


FEATURES: dict[str, Feature] = {
    f.key: f
    for f in [
        Feature("x1", "x1", lambda x1, x2: x1, "x"),
        Feature("x2", "x2", lambda x1, x2: x2, "y"),
        Feature("x1sq", "x1^2", lambda x1, x2: x1 * x1, "xSquared"),
        Feature("x2sq", "x2^2", lambda x1, x2: x2 * x2, "ySquared"),
        Feature("x1x2", "x1*x2", lambda x1, x2: x1 * x2, "xTimesY"),
        Feature("sinx1", "sin(x1)", lambda x1, x2: np.sin(x1), "sinX"),
        Feature("sinx2", "sin(x2)", lambda x1, x2: np.sin(x2), "sinY"),
    ]
}

# Every accepted spelling, lower-cased -> key.
_ALIASES: dict[str, str] = {
    spelling.lower(): f.key
    for f in FEATURES.values()
    for spelling in (f.key, f.label, f.playground_name)
}


def feature_key(name: str) -> str:
    """The key of the feature called ``name`` (a key, a label or the playground's name).

    Example::

        >>> feature_key("x1^2"), feature_key("xSquared"), feature_key("X1SQ")
        ('x1sq', 'x1sq', 'x1sq')
    """
    key = _ALIASES.get(name.strip().lower()) if isinstance(name, str) else None
    if key is None:
        allowed = ", ".join(f"{f.key} ({f.label})" for f in FEATURES.values())
        raise ValueError(f"unknown feature {name!r}; choose from {allowed}")
    return key


def feature_labels(names: Sequence[str]) -> list[str]:
    """The display labels of the features ``names``, e.g. ``["x1", "x1^2"]``."""
    return [FEATURES[feature_key(name)].label for name in names]


def _points(X: Any) -> np.ndarray:
    points = as_array(X, "X")
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(
            f"features are functions of 2-D points: X must have shape (n, 2), got {points.shape}"
        )
    return points


def feature_map(X: Any, names: Sequence[str] | str = ("x1", "x2")) -> np.ndarray:
    """The chosen features of every point, one column each.

    ``out[i, j] = FEATURES[names[j]](X[i, 0], X[i, 1])``.

    Args:
        X: points, an array or Tensor of shape (n, 2).
        names: the features, in column order: keys, labels or the playground's names
            (a single comma-separated string is accepted too, e.g. ``"x1,x2,x1sq"``).

    Shape:
        X: (n, 2) -> output: (n, len(names)), float32.

    Example::

        >>> X = np.array([[1.0, 2.0], [3.0, -1.0]])
        >>> feature_map(X, ["x1sq", "x1x2"])
        array([[ 1.,  2.],
               [ 9., -3.]], dtype=float32)
    """
    if isinstance(names, str):
        names = [part for part in names.split(",") if part.strip()]
    keys = [feature_key(name) for name in names]
    if not keys:
        raise ValueError(
            f"feature_map() needs at least one feature; choose from {', '.join(FEATURES)}"
        )
    points = _points(X).astype(np.float64, copy=False)
    x1, x2 = points[:, 0], points[:, 1]
    columns = [FEATURES[key].function(x1, x2) for key in keys]
    return np.stack(columns, axis=1).astype(np.float32)
