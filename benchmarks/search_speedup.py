"""Speed-up of a hyperparameter search from running its trials in parallel.

The same 16-trial grid search, an MLP on scikit-learn's digits (1797 8x8 images,
80/20 split) for each of hidden in (32, 64, 128, 256) x lr in (1e-3, 3e-3, 1e-2, 3e-2),
Adam, batch 32, ``--epochs`` epochs, run by:

* ``sequential``: one trial after another in this process (NumPy's BLAS with its
  default threads), and again with BLAS limited to 1 thread (threadpoolctl);
* ``processes``: ``ProcessPoolExecutor`` ("spawn"), one worker per core, BLAS
  limited to 1 thread per worker (the default);
* ``processes, BLAS unlimited``: the same with ``blas_threads=None``, to show what
  oversubscription costs (N workers x N BLAS threads on N cores);
* ``ray`` (with ``--ray``): a local Ray started by the search, one CPU per trial
  (Ray's start-up, a few seconds, is part of the time).

Reported: the wall time of the whole search (worker start-up included), the sum of
the trials' own durations, the speed-up over sequential, and whether every executor
found the same scores (it must: the trials and their seeds are the same).

Usage::

    python benchmarks/search_speedup.py [--epochs 50] [--jobs N] [--ray] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from chainrule.search import (  # noqa: E402
    MLPTrainFn,
    ProcessExecutor,
    RayExecutor,
    SequentialExecutor,
    available_cpus,
    grid_search,
)

GRID = {"hidden": [32, 64, 128, 256], "lr": [1e-3, 3e-3, 1e-2, 3e-2], "optimizer": "adam"}


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    pools = [p for p in threadpool_info() if p["user_api"] == "blas"]
    return ", ".join(
        f"{p['internal_api']} {p['version']} ({p['num_threads']} threads)" for p in pools
    )


@contextlib.contextmanager
def blas_limit(threads: int | None) -> Iterator[None]:
    """Limit this process's BLAS threads inside the block (threadpoolctl), if asked."""
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=50, help="epochs per trial (default 50)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (all cores)")
    parser.add_argument("--ray", action="store_true", help="also run on a local Ray")
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args()

    jobs = args.jobs or available_cpus()
    train_fn = MLPTrainFn("digits", epochs=args.epochs)
    train_fn.data()  # load scikit-learn's digits here once, outside the timings
    runs: list[tuple[str, Any]] = [
        ("sequential", SequentialExecutor()),
        ("sequential, BLAS 1 thread", SequentialExecutor()),
        (f"processes ({jobs} workers, BLAS 1 thread)", ProcessExecutor(n_jobs=jobs)),
        (
            f"processes ({jobs} workers, BLAS unlimited)",
            ProcessExecutor(n_jobs=jobs, blas_threads=None),
        ),
    ]
    if args.ray:
        runs.append((f"ray (local, {jobs} CPUs)", RayExecutor(init_kwargs={"num_cpus": jobs})))

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, BLAS: {blas_info()}"
    )
    print(
        f"search: {len(GRID['hidden']) * len(GRID['lr'])} trials, MLP 64-h-10 on digits, "
        f"{args.epochs} epochs each\n"
    )
    rows = []
    reference = None
    for name, executor in runs:
        limit = 1 if "BLAS 1" in name and isinstance(executor, SequentialExecutor) else None
        with blas_limit(limit):
            start = time.perf_counter()
            result = grid_search(GRID, train_fn, metric="val_accuracy", executor=executor)
            wall = time.perf_counter() - start
        scores = [t.scores for t in result]
        same = "reference" if reference is None else ("yes" if scores == reference else "NO")
        reference = reference or scores
        busy = sum(t.duration for t in result)
        rows.append((name, wall, busy, same, result.best))
        print(f"  {name}: {wall:.2f} s", flush=True)

    base = rows[0][1]
    lines = [
        "| executor | wall time (s) | sum of trial times (s) | speed-up | same scores |",
        "|:---|---:|---:|---:|:---|",
    ]
    for name, wall, busy, same, _ in rows:
        lines.append(f"| {name} | {wall:.2f} | {busy:.2f} | {base / wall:.2f}x | {same} |")
    best = rows[0][4]
    table = "\n".join(lines)
    print("\n" + table)
    print(f"\nbest trial: {best.config}, val_accuracy {best.scores['val_accuracy']:.4f}")
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")


if __name__ == "__main__":
    main()
