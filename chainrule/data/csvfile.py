"""Your own data from a CSV file: numeric feature columns and a label column.

    x1,x2,label
    0.5,-1.2,cat
    2.0,0.3,dog

``load_csv`` reads it with the standard library's ``csv`` module and returns
``(X, y, info)``: X float32 (rows, features); for classification y int64 class indices
made from the label values (sorted: numerically if they are all numbers, else as text),
with ``info.class_names[i]`` the value that became index ``i``; for regression y float32.
``save_csv`` writes the same layout.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.data.dataset import as_array
from chainrule.data.info import DatasetInfo

__all__ = ["load_csv", "save_csv", "LABEL_NAMES"]

# Column names taken as the label when label_column is not given, in this order; with
# none of them (or no header) the last column is the label.
LABEL_NAMES = ("label", "target", "class", "y")

PROBLEMS = ("classification", "regression")


def _number(cell: str) -> float | None:
    """``cell`` as a finite float, or None if it is not one."""
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _read_rows(path: Path, delimiter: str) -> list[tuple[int, list[str]]]:
    """The non-blank rows of the file with their line numbers, cells stripped."""
    rows = []
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file, delimiter=delimiter)
        try:
            for row in reader:
                cells = [cell.strip() for cell in row]
                if any(cells):
                    rows.append((reader.line_num, cells))
        except csv.Error as error:
            raise ValueError(f"load_csv: {path}, line {reader.line_num}: {error}") from None
    return rows


def _label_index(label_column: str | int | None, header: list[str] | None, width: int) -> int:
    """The index of the label column."""
    if label_column is None:
        if header is not None:
            lowered = [name.lower() for name in header]
            for name in LABEL_NAMES:
                if name in lowered:
                    return lowered.index(name)
        return width - 1
    if isinstance(label_column, bool) or not isinstance(label_column, (str, int, np.integer)):
        raise TypeError(
            f"load_csv: label_column must be a column name or index, got {label_column!r}"
        )
    if isinstance(label_column, str):
        if header is None:
            raise ValueError(
                f"load_csv: label_column={label_column!r} names a column, but the file has no "
                "header row; give the label column's index instead (e.g. label_column=-1)"
            )
        if label_column not in header:
            raise ValueError(
                f"load_csv: no column named {label_column!r}; the columns are {header}"
            )
        return header.index(label_column)
    if not -width <= label_column < width:
        raise ValueError(
            f"load_csv: label_column={label_column} is out of range for {width} columns"
        )
    return int(label_column) % width


def _column_name(header: list[str] | None, index: int) -> str:
    return f"{header[index]!r} (column {index})" if header else f"column {index}"


def _class_labels(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Class indices for label values, and the value of each index."""
    numbers = [_number(v) for v in values]
    if all(number is not None for number in numbers):
        # Numbers sort numerically, and "1" and "1.0" are the same class.
        classes, y = np.unique(np.array(numbers, dtype=np.float64), return_inverse=True)
        names = [f"{c:g}" for c in classes]
    else:
        text_classes, y = np.unique(np.array(values, dtype=str), return_inverse=True)
        names = [str(c) for c in text_classes]
    return y.reshape(-1).astype(np.int64), names


def load_csv(
    path: str | os.PathLike[str],
    label_column: str | int | None = None,
    problem: str = "classification",
    delimiter: str = ",",
    header: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, DatasetInfo]:
    """Load numeric features and a label column from a CSV file.

    Args:
        path: the CSV file.
        label_column: the label column's name (needs a header row) or index (negative
            counts from the end). By default the column named ``label``, ``target``,
            ``class`` or ``y`` (in that order, any case), else the last column. Every
            other column is a feature and must hold numbers.
        problem: ``"classification"`` (labels become int64 class indices) or
            ``"regression"`` (labels must be numbers; float32 targets).
        delimiter: the cell separator.
        header: whether the first row holds column names; by default it does when none
            of its cells is a number.

    Returns:
        ``(X, y, info)``: X float32 of shape (rows, features), y of shape (rows,), and a
        ``DatasetInfo`` with ``feature_names`` and (for classification) ``class_names``,
        where ``class_names[i]`` is the label value that became class ``i``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: an empty file, a missing label column, rows of different lengths, or
            a cell that is not a number (the message gives its line and column).

    Example::

        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "points.csv")
        >>> save_csv(path, [[0.5, -1.2], [2.0, 0.3], [1.0, 1.0]], ["dog", "cat", "dog"])
        >>> X, y, info = load_csv(path, label_column="label")
        >>> X.shape, y.tolist(), info.class_names   # class 0 is "cat", 1 is "dog"
        ((3, 2), [1, 0, 1], ['cat', 'dog'])
    """
    if problem not in PROBLEMS:
        raise ValueError(f"load_csv: problem must be one of {PROBLEMS}, got {problem!r}")
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(f"load_csv: no such file: {str(file)!r}")
    if not file.is_file():
        raise ValueError(f"load_csv: {str(file)!r} is not a file")
    rows = _read_rows(file, delimiter)
    if not rows:
        raise ValueError(f"load_csv: {str(file)!r} is empty (no rows)")

    first_line, first = rows[0]
    if header is None:
        header = all(_number(cell) is None for cell in first)
    names = first if header else None
    data = rows[1:] if header else rows
    if not data:
        raise ValueError(f"load_csv: {str(file)!r} has a header row but no data rows")
    width = len(first)
    for line, cells in data:
        if len(cells) != width:
            raise ValueError(
                f"load_csv: {str(file)!r}, line {line} has {len(cells)} cells, but line "
                f"{first_line} has {width}"
            )
    if width < 2:
        raise ValueError(
            f"load_csv: {str(file)!r} has {width} column; it needs at least one feature "
            "column and a label column"
        )
    label = _label_index(label_column, names, width)
    feature_columns = [j for j in range(width) if j != label]

    # Fast path: NumPy parses all the cells at once; if that fails, go cell by cell to
    # name the first one that is not a number.
    cells_of_features = np.array([cells for _, cells in data], dtype=str)[:, feature_columns]
    try:
        X64 = cells_of_features.astype(np.float64)
        parsed = bool(np.isfinite(X64).all())
    except ValueError:
        parsed = False
    if not parsed:
        X64 = np.empty(cells_of_features.shape)
        for i, (line, cells) in enumerate(data):
            for k, j in enumerate(feature_columns):
                number = _number(cells[j])
                if number is None:
                    raise ValueError(
                        f"load_csv: {str(file)!r}, line {line}, {_column_name(names, j)}: "
                        f"{cells[j]!r} is not a finite number (feature columns must be numeric)"
                    )
                X64[i, k] = number
    X = X64.astype(np.float32)

    labels = [cells[label] for _, cells in data]
    for (line, _), text in zip(data, labels):
        if not text or (problem == "regression" and _number(text) is None):
            what = "an empty label" if not text else f"{text!r} is not a number"
            raise ValueError(
                f"load_csv: {str(file)!r}, line {line}, {_column_name(names, label)}: {what}"
                + (" (regression targets must be numeric)" if text else "")
            )
    class_names: list[str] | None
    if problem == "classification":
        y, class_names = _class_labels(labels)
    else:
        y = np.array([float(v) for v in labels], dtype=np.float32)
        class_names = None

    feature_names = (
        [names[j] for j in feature_columns]
        if names
        else [f"x{k + 1}" for k in range(len(feature_columns))]
    )
    info = DatasetInfo(
        name=str(file),
        problem=problem,
        num_classes=len(class_names) if class_names is not None else None,
        n_samples=X.shape[0],
        n_features=X.shape[1],
        feature_names=feature_names,
        class_names=class_names,
        source="csv",
    )
    return X, y, info


def save_csv(
    path: str | os.PathLike[str],
    X: Any,
    y: Any,
    feature_names: Sequence[str] | None = None,
    label_name: str = "label",
    class_names: Sequence[str] | None = None,
) -> None:
    """Write ``X`` and ``y`` as a CSV file with a header row, readable by ``load_csv``.

    Args:
        path: the file to write.
        X: features, shape (rows, features).
        y: labels or targets, shape (rows,).
        feature_names: the feature columns' names (default ``x1, x2, ...``).
        label_name: the label column's name.
        class_names: if given, write ``class_names[y[i]]`` instead of the index ``y[i]``.

    Example::

        >>> import os, tempfile
        >>> from chainrule.data import spiral
        >>> save_csv(os.path.join(tempfile.mkdtemp(), "spiral.csv"), *spiral(200, seed=0))
    """
    features = as_array(X, "X")
    labels = as_array(y, "y").reshape(-1)
    if features.ndim != 2 or features.shape[0] != labels.shape[0]:
        raise ValueError(
            f"save_csv: X must have shape (rows, features) and y shape (rows,), got "
            f"{features.shape} and {labels.shape}"
        )
    names = list(feature_names or [f"x{k + 1}" for k in range(features.shape[1])])
    if len(names) != features.shape[1]:
        raise ValueError(
            f"save_csv: {len(names)} feature names for {features.shape[1]} feature columns"
        )
    with Path(path).open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([*names, label_name])
        for row, label in zip(features.tolist(), labels.tolist()):
            writer.writerow([*row, class_names[int(label)] if class_names else label])
