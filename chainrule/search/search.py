"""Grid search and random search over any configuration.

The user writes one function, ``train_fn(config, seed) -> scores``: train a model with
the hyperparameters in ``config`` (a dict), seeding every random choice with ``seed``,
and return its scores on a validation split as a dict, e.g.
``{"train_accuracy": 0.99, "val_accuracy": 0.95}``. The search makes the configurations,
gives trial i the seed ``trial_seed(search_seed, i)``, runs the trials on an executor
(this process, local processes, or a Ray cluster) and collects a ``SearchResult``.

Given the same seed, the same configurations and seeds are tried in every executor,
so the results (and the best trial) are the same sequentially, in processes and on Ray,
and ``result.rerun(i, train_fn)`` repeats trial i exactly.

Example::

    >>> from chainrule.search import grid_search, log_uniform, random_search
    >>> def train_fn(config, seed):
    ...     ...  # train with config["lr"], config["hidden"], seeded with seed
    ...     return {"train_accuracy": 0.99, "val_accuracy": 0.95}
    >>> result = grid_search({"hidden": [32, 64], "lr": [0.01, 0.1]}, train_fn,
    ...                      metric="val_accuracy", executor="processes")
    >>> result = random_search({"lr": log_uniform(1e-4, 1e-1), "hidden": [32, 64]},
    ...                        train_fn, n_trials=20, seed=0, executor="ray", address="auto")
    >>> result.best.config
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from chainrule.search.executors import Executor, get_executor
from chainrule.search.result import MODES, SearchResult, default_metric
from chainrule.search.space import grid_points, sample_config
from chainrule.search.trial import TrainFn, Trial, is_better, trial_seed

__all__ = [
    "grid_search",
    "random_search",
    "run_search",
    "random_configs",
    "SearchInterrupted",
    "new_seed",
]


class SearchInterrupted(KeyboardInterrupt):
    """Ctrl-C during a search: the trials not started were cancelled, the workers stopped.

    A ``KeyboardInterrupt``, so it stops a script as Ctrl-C does; catch it to keep
    what finished::

        try:
            result = grid_search(space, train_fn)
        except SearchInterrupted as interrupt:
            result = interrupt.result    # the finished trials, result.interrupted is True
    """

    def __init__(self, result: SearchResult) -> None:
        super().__init__(f"search interrupted after {len(result)} finished trials")
        self.result = result


def new_seed() -> int:
    """A fresh random search seed (from the OS), for ``seed=None``; it is recorded."""
    return int(np.random.SeedSequence().generate_state(1, np.uint32)[0])


def _check_seed(seed: Any) -> int:
    if seed is None:
        return new_seed()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
    return int(seed)


class _Progress:
    """A tqdm bar over trials showing the best score so far; silent if disabled."""

    def __init__(self, enabled: bool, total: int, metric: str | None, mode: str) -> None:
        self.bar: Any = None
        self.metric = metric
        self.mode = mode
        self.best: float | None = None
        self.failed = 0
        self.done = 0
        self.total = total
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:  # a line per trial instead
            self.bar = False
            return
        self.bar = tqdm(total=total, desc="trials", unit="trial", file=sys.stderr)

    def update(self, trial: Trial) -> None:
        self.done += 1
        if not trial.ok:
            self.failed += 1
        if self.metric is None and trial.scores:
            self.metric = default_metric(trial.scores)
        score = trial.scores.get(self.metric or "")
        if score is not None and (self.best is None or is_better(score, self.best, self.mode)):
            self.best = score
        if self.bar is None:
            return
        status: dict[str, Any] = {"failed": self.failed}
        if self.best is not None:
            status = {f"best {self.metric}": round(self.best, 4), **status}
        if self.bar is False:
            print(f"trial {self.done}/{self.total} done, {status}", file=sys.stderr)
            return
        self.bar.set_postfix(status, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar:
            self.bar.close()


def run_search(
    configs: Sequence[Mapping[str, Any]],
    train_fn: TrainFn,
    *,
    seed: int | None = 0,
    metric: str | None = None,
    mode: str = "max",
    executor: str | Executor = "processes",
    n_jobs: int | None = None,
    address: str | None = None,
    on_result: Callable[[Trial], None] | None = None,
    progress: bool = False,
    kind: str = "custom",
) -> SearchResult:
    """Train and score each configuration in ``configs``: the engine under both searches.

    Trial i is ``train_fn(dict(configs[i]), trial_seed(seed, i))``.

    Args:
        configs: the configurations to try, each a dict.
        train_fn: ``train_fn(config, seed) -> {score name: number}``; an exception in
            it fails that trial only (its type, message and traceback are recorded).
        seed: the search's seed (None: a fresh one, recorded in the result).
        metric: the score that ranks trials (default: the first one train_fn returns
            whose name starts with "val", else its first one).
        mode: "max" if higher is better (accuracy), "min" if lower is (loss).
        executor: "processes" (default: every core), "sequential", "ray", or an
            ``Executor`` instance (``ProcessExecutor(n_jobs=2)``, ``RayExecutor(...)``).
        n_jobs: worker processes for "processes" (None: every core).
        address: for "ray": None (a local Ray), "auto" or "ray://host:10001".
        on_result: called with each Trial as it finishes, in this process.
        progress: show a progress bar over trials (tqdm) on stderr.
        kind: recorded in the result ("grid", "random", "custom").

    Returns:
        a ``SearchResult`` with one Trial per configuration, ordered by index.

    Raises:
        SearchInterrupted: on Ctrl-C, after cancelling what was left; carries the
            finished trials as ``.result``.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if not callable(train_fn):
        raise TypeError(f"train_fn must be callable as train_fn(config, seed), got {train_fn!r}")
    search_seed = _check_seed(seed)
    tasks = []
    for index, config in enumerate(configs):
        if not isinstance(config, Mapping):
            raise TypeError(f"configuration {index} must be a dict, got {type(config).__name__}")
        tasks.append((index, dict(config), trial_seed(search_seed, index)))
    runner = get_executor(executor, n_jobs=n_jobs, address=address)
    trials: list[Trial] = []
    bar = _Progress(progress, len(tasks), metric, mode)
    stream = runner.run(train_fn, tasks)
    try:
        for trial in stream:
            trials.append(trial)
            bar.update(trial)
            if on_result is not None:
                on_result(trial)
    except KeyboardInterrupt:
        stream.close()  # cancels what is left, stops the workers
        bar.close()
        partial = SearchResult(trials, metric, mode, search_seed, kind, interrupted=True)
        raise SearchInterrupted(partial) from None
    finally:
        stream.close()
        bar.close()
    return SearchResult(trials, metric, mode, search_seed, kind)


def random_configs(space: Mapping[str, Any], n_trials: int, seed: int) -> list[dict[str, Any]]:
    """The ``n_trials`` configurations ``random_search`` tries: drawn in order from
    ``np.random.default_rng(seed)``, so the first k are those of a k-trial search."""
    if isinstance(n_trials, bool) or not isinstance(n_trials, (int, np.integer)) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer, got {n_trials!r}")
    rng = np.random.default_rng(_check_seed(seed))
    return [sample_config(space, rng) for _ in range(int(n_trials))]


def grid_search(
    space: Mapping[str, Any],
    train_fn: TrainFn,
    *,
    seed: int | None = 0,
    metric: str | None = None,
    mode: str = "max",
    executor: str | Executor = "processes",
    n_jobs: int | None = None,
    address: str | None = None,
    on_result: Callable[[Trial], None] | None = None,
    progress: bool = False,
) -> SearchResult:
    """Try every combination of the values in ``space`` (the last name varying fastest).

    Args:
        space: {name: [values...]} (a non-list value is held fixed), e.g.
            ``{"hidden": [32, 64, 128], "lr": [0.01, 0.1]}``: 6 trials.
        train_fn, seed, metric, mode, executor, n_jobs, address, on_result, progress:
            as in ``run_search``.

    Example::

        >>> result = grid_search({"lr": [0.01, 0.1]}, train_fn, metric="val_accuracy")
        >>> result.best.config
        {'lr': 0.1}
    """
    return run_search(
        grid_points(space),
        train_fn,
        seed=seed,
        metric=metric,
        mode=mode,
        executor=executor,
        n_jobs=n_jobs,
        address=address,
        on_result=on_result,
        progress=progress,
        kind="grid",
    )


def random_search(
    space: Mapping[str, Any],
    train_fn: TrainFn,
    n_trials: int,
    seed: int | None = 0,
    *,
    metric: str | None = None,
    mode: str = "max",
    executor: str | Executor = "processes",
    n_jobs: int | None = None,
    address: str | None = None,
    on_result: Callable[[Trial], None] | None = None,
    progress: bool = False,
) -> SearchResult:
    """Try ``n_trials`` configurations drawn from the distributions in ``space``.

    The configurations are drawn, in order, from ``np.random.default_rng(seed)``:
    the same seed gives the same configurations, and the first k of n trials are the
    same as those of a search of k trials.

    Args:
        space: {name: distribution | list | value}, e.g.
            ``{"lr": log_uniform(1e-4, 1e-1), "hidden": integer(16, 128),
            "activation": choice(["relu", "tanh"])}``; a list is drawn from like
            ``choice``, anything else is held fixed.
        n_trials: how many configurations to try.
        seed: draws the configurations and, with the trial index, each trial's seed.
        train_fn, metric, mode, executor, n_jobs, address, on_result, progress:
            as in ``run_search``.

    Example::

        >>> result = random_search({"lr": log_uniform(1e-3, 1.0)}, train_fn, n_trials=8)
    """
    search_seed = _check_seed(seed)
    return run_search(
        random_configs(space, n_trials, search_seed),
        train_fn,
        seed=search_seed,
        metric=metric,
        mode=mode,
        executor=executor,
        n_jobs=n_jobs,
        address=address,
        on_result=on_result,
        progress=progress,
        kind="random",
    )
