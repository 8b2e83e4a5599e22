"""grid_search and random_search on every local executor: same results, failures reported,
results streamed, BLAS limited in workers, Ctrl-C cancels cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from chainrule.search import (
    ProcessExecutor,
    SequentialExecutor,
    get_executor,
    grid_search,
    integer,
    log_uniform,
    random_search,
    run_search,
    trial_seed,
)

# Workers import these functions by name: they live at the top level of this module.


def noisy_quadratic(config: dict, seed: int) -> dict:
    """A stand-in for training: best at lr = 0.01 and large h, noise from the seed."""
    if config.get("fail"):
        raise ValueError(f"bad config {config}")
    rng = np.random.default_rng(seed)
    val = -((np.log10(config["lr"]) + 2) ** 2) + config["h"] / 10 + 0.01 * rng.normal()
    return {"train_score": val + 0.1, "val_score": float(val)}


def tiny_logistic(config: dict, seed: int) -> dict:
    """A real (tiny) training: logistic regression by gradient descent, seeded init."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(float)
    X_train, y_train, X_val, y_val = X[:150], y[:150], X[150:], y[150:]
    w = np.random.default_rng(seed).normal(size=2)
    for _ in range(config["steps"]):
        p = 1 / (1 + np.exp(-X_train @ w))
        w -= config["lr"] * X_train.T @ (p - y_train) / len(y_train)

    def accuracy(X_: np.ndarray, y_: np.ndarray) -> float:
        return float(((X_ @ w > 0) == (y_ > 0.5)).mean())

    return {"val_accuracy": accuracy(X_val, y_val), "train_accuracy": accuracy(X_train, y_train)}


def echo_seed(config: dict, seed: int) -> dict:
    return {"seed": seed, "pid": os.getpid()}


def blas_threads(config: dict, seed: int) -> dict:
    from threadpoolctl import threadpool_info

    counts = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    return {"blas_threads": max(counts) if counts else 1, "omp": int(os.environ["OMP_NUM_THREADS"])}


GRID = {"lr": [0.001, 0.01, 0.1], "h": [1, 2]}


def summary(result):
    return [(t.index, t.config, t.seed, t.scores, t.ok) for t in result]


@pytest.fixture(scope="module")
def sequential_grid():
    return grid_search(GRID, noisy_quadratic, metric="val_score", executor="sequential")


def test_grid_search_sequential_finds_the_best(sequential_grid):
    result = sequential_grid
    assert len(result) == 6 and result.kind == "grid" and result.seed == 0
    assert result.best.config == {"lr": 0.01, "h": 2}
    assert [t.seed for t in result] == [trial_seed(0, i) for i in range(6)]


def test_grid_and_random_search_same_in_processes_as_sequential(sequential_grid):
    in_processes = grid_search(GRID, noisy_quadratic, metric="val_score", n_jobs=2)
    assert summary(in_processes) == summary(sequential_grid)
    assert in_processes.best.index == sequential_grid.best.index

    space = {"lr": log_uniform(1e-4, 1.0), "steps": integer(1, 30)}
    runs = [
        random_search(space, tiny_logistic, 6, seed=3, executor=executor)
        for executor in ("sequential", ProcessExecutor(n_jobs=2))
    ]
    assert summary(runs[0]) == summary(runs[1])
    assert runs[0].best.index == runs[1].best.index
    assert runs[0].metric == "val_accuracy"  # the default: the validation score


def test_random_search_configs_repeat_with_the_seed_and_prefix():
    space = {"lr": log_uniform(1e-4, 1.0), "h": integer(1, 100)}
    a = random_search(space, noisy_quadratic, 5, seed=11, executor="sequential")
    b = random_search(space, noisy_quadratic, 3, seed=11, executor="sequential")
    c = random_search(space, noisy_quadratic, 3, seed=12, executor="sequential")
    assert [t.config for t in a][:3] == [t.config for t in b]
    assert [t.config for t in b] != [t.config for t in c]
    assert summary(a)[:3] == summary(b)


def test_any_trial_reruns_exactly_from_its_record(sequential_grid):
    trial = sequential_grid[4]
    assert sequential_grid.rerun(4, noisy_quadratic) == trial.scores
    assert noisy_quadratic(trial.config, trial.seed) == trial.scores


def test_seed_none_draws_a_seed_and_records_it():
    result = grid_search({"x": [1, 2]}, echo_seed, seed=None, executor="sequential")
    assert isinstance(result.seed, int)
    assert [t.seed for t in result] == [trial_seed(result.seed, i) for i in range(2)]


@pytest.mark.parametrize("executor", ["sequential", "processes"])
def test_a_failing_trial_is_reported_and_the_others_finish(executor):
    grid = {"lr": [0.01, 0.1], "h": [1], "fail": [False, True]}
    seen = []
    result = grid_search(
        grid,
        noisy_quadratic,
        executor=executor,
        n_jobs=2 if executor == "processes" else None,
        on_result=seen.append,
    )
    assert len(result.ok) == 2 and len(result.failed) == 2
    assert sorted(t.index for t in seen) == [0, 1, 2, 3]  # streamed, one call per trial
    for trial in result.failed:
        assert trial.config["fail"] is True
        assert trial.error.type == "ValueError"
        assert "bad config" in trial.error.message
        assert "noisy_quadratic" in trial.error.traceback  # the user's frame is in it
        assert trial.scores == {}
    assert result.best.config["lr"] == 0.01
    assert "ValueError: bad config" in result.to_markdown()


def test_all_trials_failing_makes_best_say_why():
    result = grid_search({"fail": [True], "lr": [1]}, noisy_quadratic, executor="sequential")
    with pytest.raises(RuntimeError, match="1 of 1 trials failed; the first: ValueError"):
        _ = result.best


def test_bad_scores_are_a_trial_error():
    result = run_search([{}], bad_scores, executor="sequential")
    assert result[0].error.type == "TypeError"
    assert "'acc' = 'high' that is not a number" in result[0].error.message


def bad_scores(config: dict, seed: int) -> dict:
    return {"acc": "high"}


def test_a_number_is_taken_as_the_score():
    result = run_search([{"a": 1}, {"a": 3}], number_score, executor="sequential", mode="min")
    assert result.metric == "score" and result.best.config == {"a": 1}


def number_score(config: dict, seed: int) -> float:
    return float(config["a"])


def test_processes_use_the_workers_and_limit_blas_threads():
    pytest.importorskip("threadpoolctl")
    result = grid_search({"i": list(range(4))}, blas_threads, n_jobs=2)
    assert all(t.scores == {"blas_threads": 1.0, "omp": 1.0} for t in result)
    assert all(t.worker and t.worker.split(":")[1] != str(os.getpid()) for t in result)


def test_an_unpicklable_train_fn_is_refused_with_the_reason():
    with pytest.raises(TypeError, match="picklable train_fn.*top level of an importable module"):
        grid_search({"x": [1]}, lambda config, seed: {"s": 1.0}, executor="processes")
    # the sequential executor takes anything callable
    result = grid_search({"x": [1]}, lambda config, seed: {"s": 1.0}, executor="sequential")
    assert result.best.scores == {"s": 1.0}


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"executor": "threads"}, ValueError, "executor must be one of"),
        ({"executor": "sequential", "address": "auto"}, ValueError, "for executor='ray'"),
        ({"executor": "ray", "n_jobs": 2}, ValueError, "n_jobs is for executor='processes'"),
        ({"executor": SequentialExecutor(), "n_jobs": 2}, ValueError, "instance"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be a positive integer"),
        ({"mode": "best"}, ValueError, "mode must be one of"),
        ({"seed": -3}, ValueError, "seed must be a non-negative integer"),
    ],
)
def test_bad_options_are_named(kwargs, error, words):
    with pytest.raises(error, match=words):
        grid_search({"x": [1]}, echo_seed, **kwargs)


def test_random_search_needs_a_positive_trial_count():
    with pytest.raises(ValueError, match="n_trials must be a positive integer"):
        random_search({"x": [1]}, echo_seed, 0)


def test_get_executor_table():
    assert isinstance(get_executor("sequential"), SequentialExecutor)
    executor = get_executor("processes", n_jobs=3)
    assert isinstance(executor, ProcessExecutor) and executor.n_jobs == 3
    with pytest.raises(ValueError, match="start_method"):
        ProcessExecutor(start_method="fork")


CTRL_C_SCRIPT = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from chainrule.search import SearchInterrupted, grid_search
    from test_search_executors import slow

    def report(trial):
        print("done", trial.index, trial.worker.split(":")[1], flush=True)

    if __name__ == "__main__":
        try:
            grid_search({{"i": list(range(40))}}, slow, n_jobs=2, on_result=report)
        except SearchInterrupted as interrupt:
            print("partial", len(interrupt.result), interrupt.result.interrupted, flush=True)
            raise
    """
)


def slow(config: dict, seed: int) -> dict:
    import os

    time.sleep(0.2)
    return {"i": config["i"], "pid": os.getpid()}


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")
def test_ctrl_c_cancels_pending_trials_and_stops_the_workers(tmp_path):
    script = tmp_path / "search.py"
    script.write_text(CTRL_C_SCRIPT.format(tests=os.path.dirname(__file__)))
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    first = process.stdout.readline()  # a trial finished: the workers are running
    assert first.startswith("done"), process.stderr.read()
    worker_pid = int(first.split()[2])
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode != 0
    assert "KeyboardInterrupt" in err or "SearchInterrupted" in err
    partial = [line for line in out.splitlines() if line.startswith("partial")]
    assert partial, out + err
    finished = int(partial[0].split()[1])
    assert 1 <= finished < 40 and partial[0].endswith("True")
    for _ in range(50):  # the worker is gone (terminated, not left running the grid)
        try:
            os.kill(worker_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"worker {worker_pid} still runs after Ctrl-C")


@pytest.mark.skipif(sys.platform == "win32", reason="forkserver is POSIX only")
def test_forkserver_workers_give_the_same_results(sequential_grid):
    executor = ProcessExecutor(n_jobs=2, start_method="forkserver")
    result = grid_search(GRID, noisy_quadratic, metric="val_score", executor=executor)
    assert summary(result) == summary(sequential_grid)
