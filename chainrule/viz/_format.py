"""Numbers and arrays as short text, shared by the graph drawings and the tables."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["number", "summary", "norm", "as_float_or_array", "values_preview"]


def number(x: float, digits: int = 4) -> str:
    """A number with ``digits`` significant digits, without a negative zero."""
    text = f"{float(x):.{digits}g}"
    return "0" if text in ("-0", "-0.0") else text


def summary(array: Any, digits: int = 4, max_items: int = 4) -> str:
    """A value as text: the number itself for one element, else a compact summary.

    Small arrays are listed (``[1, -2, 3]``); larger ones are given by shape and
    min / mean / max.
    """
    a = np.asarray(array)
    if a.size == 1:
        return number(a.item(), digits)
    if a.size == 0:
        return f"empty {tuple(a.shape)}"
    if a.size <= max_items:
        return "[" + ", ".join(number(v, digits) for v in a.ravel()) + "]"
    stats = (number(a.min(), 3), number(a.mean(), 3), number(a.max(), 3))
    return f"{shape_text(a.shape)} min {stats[0]} mean {stats[1]} max {stats[2]}"


def shape_text(shape: tuple[int, ...]) -> str:
    """``(64, 8)`` for a shape, ``(3,)`` for one axis."""
    return str(tuple(int(n) for n in shape))


def norm(array: Any) -> float:
    """The Euclidean norm of all elements."""
    return float(np.sqrt(np.sum(np.square(np.asarray(array, dtype=np.float64)))))


def as_float_or_array(array: Any) -> Any:
    """A Python float for a one-element array (handy in tables), else the array."""
    if array is None:
        return None
    a = np.asarray(array)
    return float(a.item()) if a.size == 1 else a


def values_preview(array: Any, count: int = 8, digits: int = 4) -> str:
    """The first ``count`` values of an array, for tooltips."""
    a = np.asarray(array).ravel()
    shown = ", ".join(number(v, digits) for v in a[:count])
    return f"[{shown}{', ...' if a.size > count else ''}]"
