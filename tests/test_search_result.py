"""SearchResult: best, ranking, CSV, Markdown, the validation curve; k-fold scoring."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from chainrule.search import (
    SearchResult,
    Trial,
    TrialError,
    cross_validated,
    default_metric,
    grid_search,
    kfold_indices,
)


def make_result(mode: str = "max") -> SearchResult:
    trials = [
        Trial(2, {"lr": 0.1, "act": "tanh"}, 12, {"train_acc": 0.99, "val_acc": 0.80}, 1.5),
        Trial(0, {"lr": 0.001, "act": "relu"}, 10, {"train_acc": 0.70, "val_acc": 0.65}, 1.0),
        Trial(1, {"lr": 0.01, "act": "relu"}, 11, {"train_acc": 0.95, "val_acc": 0.90}, 1.2),
        Trial(3, {"lr": 0.01, "act": "tanh"}, 13, {"train_acc": 0.93, "val_acc": 0.90}, 1.1),
        Trial(4, {"lr": 1.0, "act": "relu"}, 14, {"train_acc": math.nan, "val_acc": math.nan}, 0.2),
        Trial(5, {"lr": 9.0, "act": "relu"}, 15, error=TrialError("ValueError", "lr|bad")),
    ]
    return SearchResult(trials, metric="val_acc", mode=mode, seed=0, kind="grid")


def test_trials_are_ordered_by_index_and_split_by_outcome():
    result = make_result()
    assert [t.index for t in result] == [0, 1, 2, 3, 4, 5]
    assert [t.index for t in result.failed] == [5]
    assert result.params == ["lr", "act"]
    assert result.score_names == ["train_acc", "val_acc"]


def test_best_breaks_ties_by_index_and_never_picks_nan():
    assert make_result("max").best.index == 1  # 1 and 3 tie at 0.90
    assert make_result("min").best.index == 0
    assert [t.index for t in make_result().ranked()] == [1, 3, 2, 0, 4]


def test_best_names_a_missing_metric():
    result = make_result()
    result.metric = "accuracy"
    with pytest.raises(RuntimeError, match="no trial reported the metric 'accuracy'"):
        _ = result.best


def test_to_csv_has_one_row_per_trial_and_floats_round_trip(tmp_path):
    path = tmp_path / "search.csv"
    make_result().to_csv(path)
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == [
        "trial",
        "lr",
        "act",
        "seed",
        "train_acc",
        "val_acc",
        "duration_s",
        "error",
        "worker",
    ]
    assert [row["trial"] for row in rows] == ["0", "1", "2", "3", "4", "5"]
    assert float(rows[1]["val_acc"]) == 0.90 and rows[1]["act"] == "relu"
    assert rows[5]["error"] == "ValueError: lr|bad" and rows[5]["val_acc"] == ""
    assert int(rows[2]["seed"]) == 12


def test_to_markdown_ranks_marks_the_best_and_escapes_pipes():
    text = make_result().to_markdown()
    lines = text.splitlines()
    assert lines[0] == "| trial | lr | act | seed | train_acc | val_acc | time (s) | error |"
    assert lines[2].startswith("| 1* | 0.01 | relu | 11 | 0.95 | 0.9 |")
    assert lines[-1].endswith("| ValueError: lr\\|bad |")  # failed trials last
    assert len(make_result().to_markdown(top=2).splitlines()) == 2 + 2 + 1
    in_order = make_result().to_markdown(sort=False).splitlines()
    assert in_order[2].startswith("| 0 |")


def test_a_score_named_like_a_parameter_gets_a_prefix():
    result = SearchResult([Trial(0, {"lr": 0.1}, 1, {"lr": 0.5})])
    assert "score_lr" in result.to_rows()[0]


def test_validation_curve_averages_over_the_other_parameters():
    curve = make_result().validation_curve("act")
    assert curve["values"] == ["relu", "tanh"]
    assert curve["train_metric"] == "train_acc" and curve["val_metric"] == "val_acc"
    # relu: trials 0, 1, 4 (the NaN trial counts as a finished trial)
    assert math.isnan(curve["val_mean"][0])
    curve = make_result().validation_curve("lr")
    assert curve["values"] == [0.001, 0.01, 0.1, 1.0]
    assert curve["val_mean"][1] == pytest.approx(0.90)
    assert curve["train_mean"][1] == pytest.approx(0.94)
    assert curve["train_std"][1] == pytest.approx(0.01)
    with pytest.raises(ValueError, match="no hyperparameter named 'momentum'"):
        make_result().validation_curve("momentum")
    with pytest.raises(ValueError, match="no score named 'loss'"):
        make_result().validation_curve("lr", train_metric="loss")


def test_plot_validation_curve_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "lr.png"
    figure = make_result().plot_validation_curve("lr", path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    axes = figure.axes[0]
    assert axes.get_xscale() == "log"  # lr spans three decades
    assert [line.get_label() for line in axes.get_lines()] == ["train_acc", "val_acc"]
    figure = make_result().plot_validation_curve("act", tmp_path / "act.png")
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["relu", "tanh"]


# -- k-fold ------------------------------------------------------------------------


def test_kfold_indices_partition_the_samples():
    folds = kfold_indices(10, 3, seed=0)
    assert [(len(t), len(v)) for t, v in folds] == [(6, 4), (7, 3), (7, 3)]
    all_val = np.concatenate([v for _, v in folds])
    assert sorted(all_val.tolist()) == list(range(10))
    for train, val in folds:
        assert not set(train) & set(val)
    assert [v.tolist() for _, v in kfold_indices(6, 3, shuffle=False)] == [[0, 1], [2, 3], [4, 5]]


def test_kfold_stratified_keeps_class_proportions():
    labels = np.array([0] * 30 + [1] * 15)
    for _, val in kfold_indices(45, 3, stratify=labels, seed=1):
        assert np.bincount(labels[val]).tolist() == [10, 5]


@pytest.mark.parametrize(
    "args, error, words",
    [
        ((10, 1), ValueError, "n_splits must be an integer >= 2"),
        ((2, 3), ValueError, "at least as many samples"),
    ],
)
def test_kfold_errors(args, error, words):
    with pytest.raises(error, match=words):
        kfold_indices(*args)
    with pytest.raises(ValueError, match="one label per sample"):
        kfold_indices(10, 2, stratify=[0, 1])


def mean_of_fold(config: dict, seed: int, train_index: np.ndarray, val_index: np.ndarray) -> dict:
    data = np.arange(12.0)
    return {"val": float(data[val_index].mean()) * config["scale"], "n": float(len(train_index))}


def test_cross_validated_averages_fold_scores_and_runs_in_processes():
    train_fn = cross_validated(mean_of_fold, n_samples=12, n_splits=3, shuffle=False)
    scores = train_fn({"scale": 1.0}, 0)
    assert scores["val"] == pytest.approx(np.mean([1.5, 5.5, 9.5]))
    assert scores["val_std"] == pytest.approx(np.std([1.5, 5.5, 9.5]))
    assert scores["n"] == 8 and scores["n_std"] == 0
    result = grid_search({"scale": [1.0, 2.0]}, train_fn, n_jobs=2)
    assert result.best.config == {"scale": 2.0}
    assert result.best.scores["val"] == pytest.approx(11.0)


def test_the_default_metric_is_the_validation_score():
    result = SearchResult([Trial(0, {}, 1, {"train_acc": 1.0, "val_acc": 0.5, "loss": 2.0})])
    assert result.metric == "val_acc"
    assert default_metric(["loss", "accuracy"]) == "loss"
    assert default_metric(["train_loss", "validation_loss"]) == "validation_loss"
    assert default_metric([]) is None
