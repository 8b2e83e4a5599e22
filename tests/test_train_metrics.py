"""chainrule.train.metrics: accuracy, confusion matrix, MSE, MAE, R^2, against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.train import metrics as M


def test_accuracy_from_logits_and_probabilities_multiclass():
    logits = cr.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [4.0, 0.0, 0.0]])
    labels = cr.tensor([0, 1, 1, 0])
    assert M.accuracy(logits, labels) == 0.75
    assert M.accuracy(logits.softmax(dim=1), labels) == 0.75
    one_hot = np.eye(3, dtype=np.float32)[labels.numpy()]
    assert M.accuracy(logits, one_hot) == 0.75


@pytest.mark.parametrize(
    "scores, targets",
    [
        ([0.9, 0.2, 0.6, 0.4], [1, 0, 0, 0]),  # probabilities: threshold 0.5
        ([2.0, -1.0, 0.3, -0.2], [1, 0, 0, 0]),  # logits: threshold 0
        ([[0.9], [0.2], [0.6], [0.4]], [[1.0], [0.0], [0.0], [0.0]]),  # column vectors
        ([0.7, -0.9, 0.2, -0.1], [1.0, -1.0, -1.0, -1.0]),  # tanh outputs, -1/+1 labels
        ([0.9, 0.2, 0.6, 0.4], [True, False, False, False]),
    ],
)
def test_accuracy_binary(scores, targets):
    assert M.accuracy(scores, targets) == 0.75


def test_accuracy_binary_threshold_can_be_fixed():
    # all logits in [0, 1] would be read as probabilities; a fixed threshold says otherwise
    assert M.accuracy([0.2, 0.4], [1, 1]) == 0.0
    assert M.accuracy([0.2, 0.4], [1, 1], threshold=0.0) == 1.0


def test_accumulating_over_batches_equals_the_whole():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(103, 4))
    labels = rng.integers(0, 4, size=103)
    outputs = rng.normal(size=(103, 2))
    targets = outputs + rng.normal(scale=0.5, size=(103, 2))
    accuracy, confusion = M.Accuracy(), M.ConfusionMatrix()
    mse, mae, r2 = M.MeanSquaredError(), M.MeanAbsoluteError(), M.R2Score()
    for start in range(0, 103, 10):
        part = slice(start, start + 10)
        accuracy.update(cr.tensor(logits[part]), cr.tensor(labels[part]))
        confusion.update(logits[part], labels[part])
        for metric in (mse, mae, r2):
            metric.update(cr.tensor(outputs[part]), cr.tensor(targets[part]))
    predicted = logits.argmax(1)
    assert accuracy.compute() == pytest.approx(sklearn_metrics.accuracy_score(labels, predicted))
    np.testing.assert_array_equal(
        confusion.compute(), sklearn_metrics.confusion_matrix(labels, predicted)
    )
    assert mse.compute() == pytest.approx(sklearn_metrics.mean_squared_error(targets, outputs))
    assert mae.compute() == pytest.approx(sklearn_metrics.mean_absolute_error(targets, outputs))
    assert r2.compute() == pytest.approx(sklearn_metrics.r2_score(targets, outputs), rel=1e-9)


def test_r2_and_mse_accept_a_column_against_a_vector():
    outputs = cr.tensor([[1.0], [2.0], [3.0]])
    targets = cr.tensor([1.0, 2.0, 4.0])
    assert M.r2_score(outputs, targets) == pytest.approx(1 - 1 / (14 / 3))
    assert M.mean_squared_error(outputs, targets) == pytest.approx(1 / 3)
    assert M.r2_score([1.0, 1.0], [1.0, 1.0]) == 1.0  # constant targets fitted exactly
    assert M.r2_score([1.0, 2.0], [1.0, 1.0]) == 0.0


def test_confusion_matrix_grows_or_keeps_its_size():
    matrix = M.confusion_matrix([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], [1, 1, 0], num_classes=3)
    np.testing.assert_array_equal(matrix, [[0, 1, 0], [1, 1, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match="num_classes=2"):
        M.confusion_matrix(np.eye(3), [0, 1, 2], num_classes=2)


def test_get_metric_by_name_instance_class_or_function():
    assert isinstance(M.get_metric("acc"), M.Accuracy)
    assert isinstance(M.get_metric(M.R2Score), M.R2Score)
    metric = M.MeanSquaredError()
    assert M.get_metric(metric) is metric

    def half(output, target):
        return 0.5

    wrapped = M.get_metric(half)
    assert wrapped.name == "half"
    wrapped.update(cr.ones(4, 2), cr.ones(4))
    assert wrapped.compute() == 0.5
    with pytest.raises(ValueError, match="accuracy"):
        M.get_metric("precision@k")
    with pytest.raises(TypeError):
        M.get_metric(3)  # type: ignore[arg-type]


def test_mismatched_shapes_are_named():
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(2,\)"):
        M.mean_squared_error(np.zeros((3, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="3 samples"):
        M.accuracy(np.zeros((3, 2)), [0, 1])
    assert np.isnan(M.Accuracy().compute())
