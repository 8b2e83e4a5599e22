"""What ``chainrule train`` and ``chainrule evaluate`` share: the data options, the
train/validation/test split, the results table and the one-line errors.

The data a model was trained on is recorded in its file (``DataSpec`` as JSON under
``chainrule.data``), so ``chainrule evaluate model.safetensors`` regenerates the same
data, cuts the same split, and reports the same numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

__all__ = [
    "DataSpec",
    "DATA_KEY",
    "RESULTS_KEY",
    "SPLITS",
    "add_data_arguments",
    "data_spec_from_args",
    "load_data",
    "split_data",
    "prepare_targets",
    "results_table",
    "UsageError",
    "report_error",
    "checked_value",
    "positive_int",
    "non_negative_float",
    "fraction",
]

DATA_KEY = "chainrule.data"
RESULTS_KEY = "chainrule.results"
SPLITS = ("train", "validation", "test")


class UsageError(ValueError):
    """A bad combination of options: printed as one line, exit status 2."""


def report_error(command: str, error: BaseException) -> int:
    """Print ``chainrule COMMAND: error: MESSAGE`` on one line to stderr; return 2."""
    message = " ".join(str(error).split()) or type(error).__name__
    print(f"chainrule {command}: error: {message}", file=sys.stderr)
    return 2


# ---------------------------------------------------------------------------------
# argparse value types: each rejects a bad value with a message naming what is allowed
# ---------------------------------------------------------------------------------


def checked_value(
    text: str, convert: Callable[[str], Any], accept: Callable[[Any], bool], expected: str
) -> Any:
    """``convert(text)`` if it converts and ``accept`` takes it; otherwise the argparse
    error "expected EXPECTED, got TEXT" (which argparse prints with the option's name)."""
    try:
        value = convert(text)
    except ValueError:
        value = None
    if value is None or not accept(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An integer >= 1."""
    return int(checked_value(text, int, lambda v: v >= 1, "an integer >= 1"))


def non_negative_float(text: str) -> float:
    """A finite number >= 0."""
    return float(
        checked_value(text, float, lambda v: bool(np.isfinite(v)) and v >= 0, "a number >= 0")
    )


def fraction(text: str) -> float:
    """A number in [0, 1)."""
    return float(checked_value(text, float, lambda v: 0 <= v < 1, "a fraction in [0, 1)"))


def _non_negative_int(text: str) -> int:
    return int(checked_value(text, int, lambda v: v >= 0, "an integer >= 0"))


# ---------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------


@dataclass
class DataSpec:
    """Where the data comes from and how it is split (recorded in the model file).

    Attributes:
        dataset: a name from ``chainrule.data.dataset_names()``, or None for a CSV file.
        csv: the CSV file's path, or None.
        label_column: the CSV file's label column (None: ``load_csv``'s default).
        problem: for a CSV file, ``"classification"`` or ``"regression"``.
        n: the number of samples (None: the data set's default, or all rows).
        noise: a generator's noise.
        classes: the number of classes of ``spirals`` / ``blobs``.
        seed: seeds the data, the split, the initial weights and the shuffling.
        val_split, test_split: the fractions held out for validation and testing.
    """

    dataset: str | None = None
    csv: str | None = None
    label_column: str | None = None
    problem: str | None = None
    n: int | None = None
    noise: float = 0.0
    classes: int | None = None
    seed: int = 0
    val_split: float = 0.15
    test_split: float = 0.15

    def describe(self) -> str:
        """``"spiral (n=500, noise=0.1, seed=0)"``."""
        source = self.dataset if self.dataset is not None else f"{self.csv}"
        details = [f"{k}={v}" for k, v in (("n", self.n), ("classes", self.classes)) if v]
        if self.noise:
            details.append(f"noise={self.noise:g}")
        details.append(f"seed={self.seed}")
        return f"{source} ({', '.join(details)})"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> DataSpec:
        data = json.loads(text)
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def add_data_arguments(parser: argparse.ArgumentParser, evaluating: bool = False) -> None:
    """The options that choose and split the data set.

    Their defaults are None, so that ``chainrule evaluate`` can tell what was typed from
    what was not (``data_spec_from_args`` fills in the rest).
    """
    from chainrule.data import dataset_names

    group = parser.add_argument_group(
        "data",
        "each option defaults to the value recorded in the model file" if evaluating else None,
    )
    source = group.add_mutually_exclusive_group()
    source.add_argument(
        "--dataset",
        choices=dataset_names(),
        metavar="NAME",
        help=f"a generated or shipped data set: {', '.join(dataset_names())}"
        + (" (default: the one the model was trained on)" if evaluating else " (default spiral)"),
    )
    source.add_argument("--csv", metavar="FILE", help="a CSV file of numeric features and labels")
    group.add_argument(
        "--label-column",
        metavar="NAME",
        help="the CSV file's label column (default: label, "
        "target, class or y, else the last column)",
    )
    group.add_argument(
        "--problem",
        choices=["classification", "regression"],
        help="what the CSV file's labels are (default classification)",
    )
    group.add_argument("--n", type=positive_int, metavar="N", help="number of samples")
    group.add_argument(
        "--noise", type=non_negative_float, metavar="F", help="noise of a generated set, 0..0.5"
    )
    group.add_argument(
        "--classes", type=positive_int, metavar="K", help="classes of spirals / blobs (default 3)"
    )
    group.add_argument(
        "--seed", type=_non_negative_int, metavar="S", help="random seed (default 0)"
    )
    group.add_argument(
        "--val-split",
        type=fraction,
        metavar="F",
        help="fraction held out for validation (default 0.15)",
    )
    group.add_argument(
        "--test-split",
        type=fraction,
        metavar="F",
        help="fraction held out for testing (default 0.15)",
    )


def data_spec_from_args(args: argparse.Namespace, base: DataSpec | None = None) -> DataSpec:
    """The data spec from the options typed, the rest taken from ``base`` (or defaults).

    ``base`` (what a model was trained on) fills in only when the data source is the
    same as its own or not given.
    """
    typed = {
        "dataset": args.dataset,
        "csv": args.csv,
        "label_column": args.label_column,
        "problem": args.problem,
        "n": args.n,
        "noise": args.noise,
        "classes": args.classes,
        "seed": args.seed,
        "val_split": args.val_split,
        "test_split": args.test_split,
    }
    same_source = base is not None and (
        (args.dataset is None and args.csv is None)
        or (args.dataset is not None and args.dataset == base.dataset)
        or (args.csv is not None and args.csv == base.csv)
    )
    spec = DataSpec(**asdict(base)) if same_source and base is not None else DataSpec()
    if args.dataset is None and args.csv is None and not same_source:
        spec.dataset = "spiral"
    for key, value in typed.items():
        if value is not None:
            setattr(spec, key, value)
    if spec.csv is not None:
        spec.dataset = None
    if spec.csv is None and (spec.label_column is not None or spec.problem is not None):
        raise UsageError("--label-column and --problem apply only to --csv files")
    if spec.val_split + spec.test_split >= 1:
        raise UsageError(
            f"--val-split {spec.val_split} and --test-split {spec.test_split} leave no "
            "training data; their sum must be below 1"
        )
    return spec


def load_data(spec: DataSpec) -> tuple[np.ndarray, np.ndarray, Any]:
    """``(X, y, info)`` for the spec (see ``chainrule.data.load_dataset``)."""
    from chainrule.data import load_csv, load_dataset

    if spec.csv is not None:
        X, y, info = load_csv(
            spec.csv, label_column=spec.label_column, problem=spec.problem or "classification"
        )
        if spec.n is not None:
            if spec.n > len(X):
                raise UsageError(f"--n {spec.n} is more than the {len(X)} rows of {spec.csv!r}")
            rows = np.sort(np.random.default_rng(spec.seed).choice(len(X), spec.n, replace=False))
            X, y = X[rows], y[rows]
        if spec.noise:
            raise UsageError("--noise applies only to generated data sets, not to --csv")
        return X, y, info
    if spec.dataset is None:
        raise UsageError("choose the data: --dataset NAME or --csv FILE")
    return load_dataset(
        spec.dataset,
        n=spec.n,
        noise=spec.noise,
        seed=spec.seed,
        classes=spec.classes,
    )


def split_data(
    X: np.ndarray, y: np.ndarray, spec: DataSpec, classification: bool
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"train": (X, y), "validation": ..., "test": ...}``; empty parts left out.

    The split is random, drawn from ``spec.seed``, and stratified for classification
    (each part keeps the class proportions).
    """
    from chainrule.data import train_val_test_split

    parts = train_val_test_split(
        X,
        y,
        val_size=spec.val_split,
        test_size=spec.test_split,
        stratify=y if classification else None,
        seed=spec.seed,
    )
    X_train, X_val, X_test, y_train, y_val, y_test = parts
    split = {"train": (X_train, y_train), "validation": (X_val, y_val), "test": (X_test, y_test)}
    return {name: part for name, part in split.items() if len(part[0])}


def prepare_targets(y: np.ndarray, loss: str, output_size: int) -> np.ndarray:
    """Targets in the form the loss takes.

    Class indices (int64) for cross-entropy; one-hot rows (float32) for a
    classification trained with squared error; a column ``(n, 1)`` (float32) for
    regression.
    """
    if loss == "cross_entropy":
        return y.astype(np.int64, copy=False)
    if y.dtype.kind in "iu":  # classification with a regression loss: one-hot targets
        return np.eye(output_size, dtype=np.float32)[y]
    return y.astype(np.float32, copy=False).reshape(-1, 1)


def results_table(results: dict[str, dict[str, Any]], sizes: dict[str, int]) -> str:
    """The final table: one row per split, one column per number.

    Example::

        split       samples    loss  accuracy
        train           350  0.0312    99.71%
        test             75  0.0675    98.67%
    """
    columns: list[str] = []
    for row in results.values():
        columns += [key for key in row if key not in columns]
    header = ["split", "samples", *columns]
    lines = [header]
    for name, row in results.items():
        cells = [name, str(sizes.get(name, ""))]
        for key in columns:
            value = row.get(key)
            if value is None:
                cells.append("")
            elif key == "accuracy":
                cells.append(f"{100 * value:.2f}%")
            else:
                cells.append(f"{value:.4f}")
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths))
        )
        for line in lines
    )
