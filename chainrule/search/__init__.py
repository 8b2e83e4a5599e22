"""Hyperparameter search: grid and random, on this machine's cores or on a Ray cluster.

Reading order:

- ``space.py``: the grid (lists of values) and the distributions of a random search
  (``uniform``, ``log_uniform``, ``integer``, ``choice``);
- ``trial.py``: one trial, ``train_fn(config, seed) -> scores``, its seed
  ``trial_seed(search_seed, index)``, its record (``Trial``, ``TrialError``);
- ``executors.py``: where trials run ("sequential", "processes", "ray");
- ``search.py``: ``grid_search``, ``random_search``, ``run_search``;
- ``result.py``: ``SearchResult``: the table, the best trial, CSV, Markdown, the
  validation curve;
- ``kfold.py``: k-fold cross-validation as a train_fn;
- ``mlp.py``: ``MLPTrainFn``, a ready train_fn for an MLP on a named data set
  (what ``chainrule search`` runs);
- ``spec.py``: the command line's ``"hidden=[32,64];lr=loguniform(1e-4,1e-1)"`` syntax;
- ``cli.py``: the ``chainrule search`` command.

How to point a search at a Ray cluster: ``README.md`` beside this file.

Example::

    >>> from chainrule.search import grid_search, log_uniform, random_search
    >>> def train_fn(config, seed):           # top level: picklable for processes
    ...     ...
    ...     return {"train_accuracy": 0.99, "val_accuracy": 0.95}
    >>> result = grid_search({"hidden": [32, 64], "lr": [0.01, 0.1]}, train_fn,
    ...                      metric="val_accuracy")
    >>> print(result.to_markdown())
    >>> result.plot_validation_curve("lr", "lr.png")
"""

from __future__ import annotations

from chainrule.search.executors import (
    EXECUTORS,
    Executor,
    ProcessExecutor,
    RayExecutor,
    SequentialExecutor,
    available_cpus,
    get_executor,
    limit_blas_threads,
)
from chainrule.search.kfold import CrossValidated, cross_validated, kfold_indices
from chainrule.search.mlp import OPTIMIZERS, MLPTrainFn, make_optimizer
from chainrule.search.result import SearchResult, default_metric
from chainrule.search.search import (
    SearchInterrupted,
    grid_search,
    new_seed,
    random_configs,
    random_search,
    run_search,
)
from chainrule.search.space import (
    Choice,
    Distribution,
    Integer,
    LogUniform,
    Uniform,
    choice,
    grid_points,
    integer,
    log_uniform,
    sample_config,
    uniform,
)
from chainrule.search.trial import Trial, TrialError, run_trial, trial_seed

__all__ = [
    "grid_search",
    "random_search",
    "run_search",
    "random_configs",
    "SearchResult",
    "default_metric",
    "SearchInterrupted",
    "Trial",
    "TrialError",
    "run_trial",
    "trial_seed",
    "new_seed",
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
    "Executor",
    "SequentialExecutor",
    "ProcessExecutor",
    "RayExecutor",
    "EXECUTORS",
    "get_executor",
    "available_cpus",
    "limit_blas_threads",
    "kfold_indices",
    "cross_validated",
    "CrossValidated",
    "MLPTrainFn",
    "OPTIMIZERS",
    "make_optimizer",
]
