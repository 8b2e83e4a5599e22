"""Search spaces: grids, distributions, sampling, seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chainrule.search import (
    choice,
    grid_points,
    integer,
    log_uniform,
    sample_config,
    trial_seed,
    uniform,
)


def test_grid_points_every_combination_last_name_fastest():
    points = grid_points({"hidden": [32, 64], "lr": [0.01, 0.1, 1.0], "epochs": 5})
    assert len(points) == 6
    assert points[0] == {"hidden": 32, "lr": 0.01, "epochs": 5}
    assert points[1] == {"hidden": 32, "lr": 0.1, "epochs": 5}
    assert points[3] == {"hidden": 64, "lr": 0.01, "epochs": 5}


def test_grid_points_tuples_are_single_values():
    points = grid_points({"hidden": [(64,), (64, 32)], "sizes": (1, 2)})
    assert points == [{"hidden": (64,), "sizes": (1, 2)}, {"hidden": (64, 32), "sizes": (1, 2)}]


@pytest.mark.parametrize(
    "space, error, words",
    [
        ({"lr": []}, ValueError, "'lr' is an empty list"),
        ({"lr": log_uniform(1e-3, 1)}, TypeError, "random_search"),
        ([("lr", [1])], TypeError, "dict"),
        ({1: [1]}, TypeError, "names"),
    ],
)
def test_grid_points_errors_name_the_fault(space, error, words):
    with pytest.raises(error, match=words):
        grid_points(space)


def test_distributions_stay_in_range_and_cover_it():
    rng = np.random.default_rng(0)
    u = [uniform(-1.0, 2.0).sample(rng) for _ in range(2000)]
    assert min(u) >= -1.0 and max(u) < 2.0 and abs(np.mean(u) - 0.5) < 0.1
    lu = np.array([log_uniform(1e-4, 1e-1).sample(rng) for _ in range(4000)])
    assert lu.min() >= 1e-4 and lu.max() < 1e-1
    # every decade as likely: about a third of the draws in each
    decades = np.histogram(np.log10(lu), bins=[-4, -3, -2, -1])[0] / len(lu)
    assert np.allclose(decades, 1 / 3, atol=0.04)
    k = [integer(2, 4).sample(rng) for _ in range(600)]
    assert set(k) == {2, 3, 4} and all(isinstance(v, int) for v in k)
    c = [choice(["relu", "tanh"]).sample(rng) for _ in range(200)]
    assert set(c) == {"relu", "tanh"}


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: uniform(1, 1), ValueError, "low < high"),
        (lambda: log_uniform(0, 1), ValueError, "0 < low < high"),
        (lambda: log_uniform(1, float("inf")), ValueError, "finite"),
        (lambda: integer(1.5, 3), TypeError, "low must be an integer"),
        (lambda: integer(5, 3), ValueError, "low <= high"),
        (lambda: choice([]), ValueError, "at least one"),
        (lambda: choice("abc"), TypeError, "list of values"),
        (lambda: uniform("a", 1), TypeError, "number"),
    ],
)
def test_distribution_errors(make, error, words):
    with pytest.raises(error, match=words):
        make()


def test_sample_config_lists_are_choices_and_constants_stay():
    rng = np.random.default_rng(1)
    space = {"lr": log_uniform(1e-3, 1.0), "act": ["relu", "tanh"], "epochs": 3}
    configs = [sample_config(space, rng) for _ in range(50)]
    assert all(list(c) == ["lr", "act", "epochs"] for c in configs)
    assert {c["act"] for c in configs} == {"relu", "tanh"}
    assert all(c["epochs"] == 3 and 1e-3 <= c["lr"] < 1.0 for c in configs)


def test_sample_config_repeats_with_the_seed():
    space = {"lr": log_uniform(1e-3, 1.0), "h": integer(1, 100)}
    a = [sample_config(space, np.random.default_rng(7)) for _ in range(3)]
    b = [sample_config(space, np.random.default_rng(7)) for _ in range(3)]
    assert a == b


def test_trial_seed_is_deterministic_distinct_and_32_bit():
    seeds = [trial_seed(0, i) for i in range(100)]
    assert seeds == [trial_seed(0, i) for i in range(100)]
    assert len(set(seeds)) == 100
    assert all(0 <= s < 2**32 for s in seeds)
    assert trial_seed(1, 0) != trial_seed(0, 0)
    # it is SeedSequence's first word, documented so that anyone can recompute it
    assert trial_seed(5, 3) == int(
        np.random.SeedSequence(5, spawn_key=(3,)).generate_state(1, np.uint32)[0]
    )
    with pytest.raises(ValueError, match="non-negative"):
        trial_seed(-1, 0)


def test_distribution_repr_reads_like_the_call():
    assert repr(log_uniform(0.001, 0.1)) == "log_uniform(0.001, 0.1)"
    assert repr(integer(1, 3)) == "integer(1, 3)"
    assert repr(choice(["a"])) == "choice(['a'])"
    assert uniform(0, 1) == uniform(0.0, 1.0)
    assert not math.isnan(uniform(0, 1).sample(np.random.default_rng(0)))
