"""The Ray executor against a local Ray cluster started once for this module.

Ray takes a few seconds to start, so one ``ray.init(num_cpus=2)`` serves every test.
"""

from __future__ import annotations

import os

import pytest

ray = pytest.importorskip(
    "ray", reason='Ray is not installed: pip install "chainrule[cluster]" to test executor="ray"'
)

from chainrule.search import (  # noqa: E402
    MLPTrainFn,
    RayExecutor,
    grid_search,
    log_uniform,
    random_search,
)

# A tiny real training (an MLP on 120 xor points, 2 epochs): chainrule is installed in the
# environment the Ray workers use, so MLPTrainFn travels by reference.
TRAIN_FN = MLPTrainFn("xor", epochs=2, n=120)


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    # address="local": a new Ray of our own, even if this machine runs (or ran) a cluster
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        logging_level="ERROR",
    )
    yield
    ray.shutdown()


def summary(result):
    return [(t.index, t.config, t.seed, t.scores, t.ok) for t in result]


def test_grid_search_on_ray_matches_sequential():
    space = {"hidden": [4, 8], "lr": [0.01, 0.1], "activation": "tanh"}
    on_ray = grid_search(space, TRAIN_FN, executor="ray")
    sequential = grid_search(space, TRAIN_FN, executor="sequential")
    assert summary(on_ray) == summary(sequential)
    assert on_ray.best.index == sequential.best.index
    assert ray.is_initialized()  # the search did not shut down the Ray it did not start
    workers = {t.worker.split(":")[1] for t in on_ray}
    assert str(os.getpid()) not in workers  # the trials ran in Ray's worker processes


def test_random_search_on_ray_streams_results_and_matches_processes():
    seen = []
    space = {"lr": log_uniform(1e-3, 1e-1), "hidden": [4, 8]}
    on_ray = random_search(
        space, TRAIN_FN, 4, seed=5, executor=RayExecutor(num_cpus=1), on_result=seen.append
    )
    in_processes = random_search(space, TRAIN_FN, 4, seed=5, n_jobs=2)
    assert summary(on_ray) == summary(in_processes)
    assert sorted(t.index for t in seen) == [0, 1, 2, 3]


def test_a_failing_trial_on_ray_is_reported_and_the_others_finish():
    result = grid_search({"hidden": [4, -1, 8]}, TRAIN_FN, executor="ray")
    assert [t.ok for t in result] == [True, False, True]
    error = result[1].error
    assert error.type == "ValueError"
    assert "hidden must be layer widths" in error.message
    assert "mlp.py" in error.traceback and "\x1b[" not in error.traceback


def outside_chainrule(config: dict, seed: int) -> dict:
    return {"score": 1.0}


def test_a_train_fn_the_workers_cannot_import_is_explained():
    # This test module is importable here (pytest put tests/ on sys.path) but not in
    # Ray's workers: each trial reports that, with the ways out.
    result = grid_search({"x": [1, 2]}, outside_chainrule, executor="ray")
    if all(t.ok for t in result):  # the workers found it after all (e.g. run from tests/)
        pytest.skip("the Ray workers could import the test module")
    for trial in result:
        assert trial.error.type == "ModuleNotFoundError"
        assert "test_search_ray" in trial.error.message and "runtime_env" in trial.error.message


def test_ray_executor_argument_errors():
    with pytest.raises(ValueError, match="num_cpus must be a positive number"):
        RayExecutor(num_cpus=0)
    with pytest.raises(TypeError, match="address must be a string"):
        RayExecutor(address=10001)
