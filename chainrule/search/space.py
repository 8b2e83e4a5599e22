"""Search spaces: the grid of a grid search and the distributions of a random search.

A search space is a dict from a hyperparameter's name to what it may be:

- in a **grid**, a list of values (every combination is tried) or a single value
  (held fixed);
- in a **random** search, a distribution to sample from (``uniform``, ``log_uniform``,
  ``integer``, ``choice``), a list (sampled like ``choice``), or a single value.

The distributions, each drawn with a NumPy ``Generator``:

==================  =====================================================  ==========
name                draws                                                  example
==================  =====================================================  ==========
``uniform(a, b)``   x ~ U[a, b)                                            dropout
``log_uniform``     x = exp(u), u ~ U[log a, log b): every decade as likely  lr, alpha
``integer(a, b)``   an integer k, a <= k <= b (both ends included)         width
``choice(values)``  one of the values, each as likely                      activation
==================  =====================================================  ==========

Example::

    >>> from chainrule.search import choice, grid_points, log_uniform, sample_config
    >>> grid_points({"hidden": [32, 64], "lr": [0.01, 0.1]})
    [{'hidden': 32, 'lr': 0.01}, {'hidden': 32, 'lr': 0.1}, {'hidden': 64, 'lr': 0.01}, ...]
    >>> rng = np.random.default_rng(0)
    >>> sample_config({"lr": log_uniform(1e-4, 1e-1), "act": choice(["relu", "tanh"])}, rng)
    {'lr': 0.0027..., 'act': 'tanh'}
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "Distribution",
    "Uniform",
    "LogUniform",
    "Integer",
    "Choice",
    "uniform",
    "log_uniform",
    "integer",
    "choice",
    "grid_points",
    "sample_config",
]


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return float(value)


class Distribution:
    """A distribution over one hyperparameter's values; ``sample(rng)`` draws one value."""

    def sample(self, rng: np.random.Generator) -> Any:
        """One value drawn with ``rng``."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(self)))


class Uniform(Distribution):
    """x ~ U[low, high): every value in the interval as likely."""

    def __init__(self, low: float, high: float) -> None:
        self.low = _number(low, "uniform(low, high): low")
        self.high = _number(high, "uniform(low, high): high")
        if not self.low < self.high:
            raise ValueError(f"uniform(low, high) needs low < high, got ({low!r}, {high!r})")

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    def __repr__(self) -> str:
        return f"uniform({self.low!r}, {self.high!r})"


class LogUniform(Distribution):
    """x = exp(u), u ~ U[log low, log high): as likely in [1e-4, 1e-3) as in [1e-2, 1e-1)."""

    def __init__(self, low: float, high: float) -> None:
        self.low = _number(low, "log_uniform(low, high): low")
        self.high = _number(high, "log_uniform(low, high): high")
        if not 0 < self.low < self.high:
            raise ValueError(
                f"log_uniform(low, high) needs 0 < low < high, got ({low!r}, {high!r})"
            )

    def sample(self, rng: np.random.Generator) -> float:
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def __repr__(self) -> str:
        return f"log_uniform({self.low!r}, {self.high!r})"


class Integer(Distribution):
    """An integer k with low <= k <= high (both ends included), each as likely."""

    def __init__(self, low: int, high: int) -> None:
        for name, value in (("low", low), ("high", high)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"integer(low, high): {name} must be an integer, got {value!r}")
        if not low <= high:
            raise ValueError(f"integer(low, high) needs low <= high, got ({low!r}, {high!r})")
        self.low = int(low)
        self.high = int(high)

    def sample(self, rng: np.random.Generator) -> int:
        return int(rng.integers(self.low, self.high, endpoint=True))

    def __repr__(self) -> str:
        return f"integer({self.low!r}, {self.high!r})"


class Choice(Distribution):
    """One of ``values``, each as likely."""

    def __init__(self, values: Sequence[Any]) -> None:
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise TypeError(f"choice(values) takes a list of values, got {values!r}")
        if len(values) == 0:
            raise ValueError("choice(values) needs at least one value, got an empty list")
        self.values = list(values)

    def sample(self, rng: np.random.Generator) -> Any:
        return self.values[int(rng.integers(len(self.values)))]

    def __repr__(self) -> str:
        return f"choice({self.values!r})"


def uniform(low: float, high: float) -> Uniform:
    """x ~ U[low, high). Example: ``uniform(0.0, 0.5)`` for a dropout rate."""
    return Uniform(low, high)


def log_uniform(low: float, high: float) -> LogUniform:
    """log x ~ U[log low, log high). Example: ``log_uniform(1e-4, 1e-1)`` for a learning rate."""
    return LogUniform(low, high)


def integer(low: int, high: int) -> Integer:
    """An integer in [low, high], both ends included. Example: ``integer(16, 128)``."""
    return Integer(low, high)


def choice(values: Sequence[Any]) -> Choice:
    """One of ``values``. Example: ``choice(["relu", "tanh"])``."""
    return Choice(values)


def _check_space(space: Any, kind: str) -> Mapping[str, Any]:
    if not isinstance(space, Mapping):
        raise TypeError(
            f"a {kind} space must be a dict from hyperparameter name to values, "
            f"got {type(space).__name__}"
        )
    for name in space:
        if not isinstance(name, str) or not name:
            raise TypeError(f"hyperparameter names must be non-empty strings, got {name!r}")
    return space


def grid_points(space: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every combination of a grid's values, the last name varying fastest.

    A list value is the values to try; anything else, a tuple included, is held
    fixed: ``{"hidden": [(64,), (64, 32)], "epochs": 5}`` is two points.

    Raises:
        TypeError: the space is not a dict, or a value is a distribution (use
            ``random_search`` for those).
        ValueError: a list of values is empty.
    """
    space = _check_space(space, "grid")
    axes: list[list[Any]] = []
    for name, values in space.items():
        if isinstance(values, Distribution):
            raise TypeError(
                f"grid value of {name!r} is a distribution ({values!r}); a grid takes a "
                "list of values. Use random_search for distributions."
            )
        if isinstance(values, list):
            if len(values) == 0:
                raise ValueError(f"grid value of {name!r} is an empty list: nothing to try")
            axes.append(list(values))
        else:
            axes.append([values])
    names = list(space)
    return [dict(zip(names, combination)) for combination in itertools.product(*axes)]


def sample_config(space: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """One configuration drawn from a random-search space, names in the space's order.

    A distribution is sampled, a list is sampled like ``choice``, anything else is
    held fixed.
    """
    space = _check_space(space, "random-search")
    config: dict[str, Any] = {}
    for name, value in space.items():
        if isinstance(value, Distribution):
            config[name] = value.sample(rng)
        elif isinstance(value, list):
            config[name] = Choice(value).sample(rng)
        else:
            config[name] = value
    return config
