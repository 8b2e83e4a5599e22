"""One trial of a search: a configuration, its seed, and what training it gave.

``run_trial`` is what every executor runs, in whatever process or machine the trial
lands on: it calls ``train_fn(config, seed)``, times it, and turns an exception into
a ``TrialError`` (type, message, traceback text) so that one failed trial is reported
and the search goes on.

The seed of trial ``i`` of a search with seed ``s`` is ``trial_seed(s, i)``, the first
32-bit word of NumPy's ``SeedSequence(s, spawn_key=(i,))``: the same on every machine
and in every executor, so any trial can be rerun exactly with
``train_fn(trial.config, trial.seed)``.
"""

from __future__ import annotations

import math
import os
import socket
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Trial", "TrialError", "TrainFn", "run_trial", "trial_seed", "worker_name"]

#: What a search calls: ``train_fn(config, seed)`` trains one model and returns its
#: scores, a dict from name to number (a bare number is taken as ``{"score": x}``).
TrainFn = Callable[[dict[str, Any], int], Any]


def trial_seed(search_seed: int, index: int) -> int:
    """The seed handed to trial ``index`` of a search seeded with ``search_seed``.

    seed_i = first uint32 word of ``SeedSequence(search_seed, spawn_key=(index,))``:
    independent streams for different trials, the same on every platform.

    Example::

        >>> trial_seed(0, 0) == trial_seed(0, 0) != trial_seed(0, 1)
        True
    """
    if isinstance(search_seed, bool) or not isinstance(search_seed, (int, np.integer)):
        raise TypeError(f"seed must be a non-negative integer, got {search_seed!r}")
    if search_seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {search_seed!r}")
    sequence = np.random.SeedSequence(int(search_seed), spawn_key=(int(index),))
    return int(sequence.generate_state(1, np.uint32)[0])


def worker_name() -> str:
    """``host:pid`` of the process running this: which worker ran a trial."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class TrialError:
    """Why a trial failed: the exception's type name, its message, and the traceback text."""

    type: str
    message: str
    traceback: str = ""

    @classmethod
    def from_exception(cls, error: BaseException) -> TrialError:
        """The error's type name, message and formatted traceback."""
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        return cls(type(error).__name__, str(error), text)

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


@dataclass
class Trial:
    """One row of a search's results.

    Attributes:
        index: the trial's number in the search (its place in the grid, or the draw).
        config: the hyperparameters it was trained with.
        seed: the seed passed to ``train_fn``; ``train_fn(config, seed)`` reruns it.
        scores: what ``train_fn`` returned, each value a float ({} if it failed).
        duration: seconds ``train_fn`` took, measured where it ran.
        error: None, or why it failed.
        worker: ``host:pid`` of the process that ran it.
    """

    index: int
    config: dict[str, Any]
    seed: int
    scores: dict[str, float] = field(default_factory=dict)
    duration: float = 0.0
    error: TrialError | None = None
    worker: str = ""

    @property
    def ok(self) -> bool:
        """True when the trial finished and returned its scores."""
        return self.error is None


def _scores(value: Any) -> dict[str, float]:
    """The scores train_fn returned, as a dict of floats, or a TypeError naming the fault."""
    if isinstance(value, Mapping):
        scores: dict[str, float] = {}
        for name, score in value.items():
            if not isinstance(name, str):
                raise TypeError(f"train_fn returned a score named {name!r}; names must be str")
            try:
                scores[name] = float(score)
            except (TypeError, ValueError):
                raise TypeError(
                    f"train_fn returned a score {name!r} = {score!r} that is not a number"
                ) from None
        return scores
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return {"score": float(value)}
    raise TypeError(
        "train_fn(config, seed) must return its scores as a dict from name to number, "
        f"e.g. {{'val_accuracy': 0.93}}, got {type(value).__name__}"
    )


def run_trial(train_fn: TrainFn, index: int, config: dict[str, Any], seed: int) -> Trial:
    """Run ``train_fn(config, seed)`` and record it as a Trial; an exception becomes its error.

    ``KeyboardInterrupt`` and ``SystemExit`` are not caught: they stop the search.
    """
    start = time.perf_counter()
    try:
        scores = _scores(train_fn(dict(config), seed))
    except Exception as error:  # any failure of user code is reported, not raised
        return Trial(
            index,
            config,
            seed,
            duration=time.perf_counter() - start,
            error=TrialError.from_exception(error),
            worker=worker_name(),
        )
    return Trial(index, config, seed, scores, time.perf_counter() - start, worker=worker_name())


def is_better(a: float, b: float, mode: str) -> bool:
    """True when score ``a`` beats ``b`` under ``mode`` ("max" or "min"); NaN never wins."""
    if math.isnan(a):
        return False
    if math.isnan(b):
        return True
    return a > b if mode == "max" else a < b
