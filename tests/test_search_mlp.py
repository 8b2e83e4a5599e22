"""MLPTrainFn, the ready train_fn behind `chainrule search`."""

from __future__ import annotations

import pickle

import pytest

from chainrule import optim
from chainrule.search import OPTIMIZERS, MLPTrainFn, make_optimizer
from chainrule.search.mlp import hidden_sizes


def test_scores_repeat_with_the_seed_and_change_with_it():
    train_fn = MLPTrainFn("xor", epochs=3, n=120)
    config = {"hidden": 8, "activation": "tanh", "lr": 0.05}
    a, b, c = train_fn(config, 1), train_fn(config, 1), train_fn(config, 2)
    assert a == b and a != c
    assert set(a) == {"val_accuracy", "val_loss", "train_accuracy", "train_loss"}
    assert 0 <= a["val_accuracy"] <= 1
    assert train_fn.metric() == "val_accuracy"


def test_learns_a_data_set_with_enough_epochs():
    scores = MLPTrainFn("gauss", epochs=20, n=200)({"hidden": [8], "lr": 0.01}, 0)
    assert scores["val_accuracy"] > 0.9


def test_regression_scores_r2():
    train_fn = MLPTrainFn("reg_plane", epochs=10, n=200)
    scores = train_fn({"hidden": 8, "lr": 0.01}, 0)
    assert set(scores) == {"val_r2", "val_loss", "train_r2", "train_loss"}
    assert scores["val_r2"] > 0.5
    assert train_fn.metric() == "val_r2"


def test_check_fills_defaults_and_names_bad_values():
    train_fn = MLPTrainFn("xor", epochs=7)
    options = train_fn.check({"hidden": [16, 8]})
    assert options["hidden"] == [16, 8] and options["epochs"] == 7
    assert options["optimizer"] == "adam" and options["lr"] is None
    with pytest.raises(ValueError, match=r"unknown hyperparameter\(s\) \['width'\]"):
        train_fn.check({"width": 3})
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        train_fn.check({"optimizer": "lbfgs"})
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        train_fn.check({"batch_size": 0})
    with pytest.raises(ValueError, match="lr must be a number >= 0"):
        train_fn.check({"lr": "fast"})


def test_hidden_sizes_forms():
    assert hidden_sizes(32) == [32]
    assert hidden_sizes((64, 32)) == [64, 32]
    assert hidden_sizes([]) == hidden_sizes(0) == hidden_sizes(None) == []
    with pytest.raises(ValueError, match="hidden must be layer widths"):
        hidden_sizes([8, "x"])


def test_make_optimizer_table():
    from chainrule import nn

    params = list(nn.Linear(2, 2).parameters())
    for name, default_lr in OPTIMIZERS.items():
        opt = make_optimizer(name, params)
        assert type(opt) is optim.OPTIMIZERS[name]
        assert opt.param_groups[0]["lr"] == default_lr
    assert make_optimizer("sgd", params, lr=0.5, momentum=0.9).param_groups[0]["momentum"] == 0.9
    with pytest.raises(ValueError, match="takes no momentum"):
        make_optimizer("adam", params, momentum=0.9)


def test_a_train_fn_with_no_hidden_layer_and_pickles():
    train_fn = pickle.loads(pickle.dumps(MLPTrainFn("xor", epochs=1, n=60)))
    assert train_fn({"hidden": []}, 0)["val_accuracy"] >= 0
