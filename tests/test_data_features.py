"""The playground's feature maps and standardization."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (
    FEATURES,
    Standardizer,
    feature_key,
    feature_labels,
    feature_map,
    standardize,
)

POINTS = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, -1.5]], dtype=np.float32)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("x1", POINTS[:, 0]),
        ("x2", POINTS[:, 1]),
        ("x1sq", POINTS[:, 0] ** 2),
        ("x2sq", POINTS[:, 1] ** 2),
        ("x1x2", POINTS[:, 0] * POINTS[:, 1]),
        ("sinx1", np.sin(POINTS[:, 0])),
        ("sinx2", np.sin(POINTS[:, 1])),
    ],
)
def test_each_feature_value(key: str, expected: np.ndarray) -> None:
    out = feature_map(POINTS, [key])
    assert out.shape == (3, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0], expected, rtol=1e-6)
    np.testing.assert_allclose(FEATURES[key](POINTS), expected, rtol=1e-6)


def test_feature_map_stacks_in_the_order_given() -> None:
    out = feature_map(POINTS, ["x1x2", "x1", "sinx2"])
    np.testing.assert_allclose(
        out,
        np.stack([POINTS[:, 0] * POINTS[:, 1], POINTS[:, 0], np.sin(POINTS[:, 1])], 1),
        rtol=1e-6,
    )
    np.testing.assert_array_equal(feature_map(POINTS), POINTS)  # default: x1, x2
    np.testing.assert_array_equal(
        feature_map(POINTS, "x1, x2sq"), feature_map(POINTS, ["x1", "x2sq"])
    )
    np.testing.assert_array_equal(feature_map(cr.tensor(POINTS), ["x1"]), POINTS[:, :1])


def test_keys_labels_and_playground_names_all_work() -> None:
    assert list(FEATURES) == ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"]
    assert [f.label for f in FEATURES.values()] == [
        "x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)",
    ]  # fmt: skip
    playground = ["x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY"]
    assert [feature_key(name) for name in playground] == list(FEATURES)
    assert [feature_key(f.label) for f in FEATURES.values()] == list(FEATURES)
    assert feature_key("SIN(X1)") == "sinx1"
    assert feature_labels(["x1sq", "xTimesY"]) == ["x1^2", "x1*x2"]
    for key in FEATURES:
        assert key.isalnum()  # safe in URLs and on the command line


def test_feature_errors() -> None:
    with pytest.raises(ValueError, match=r"unknown feature 'cos\(x1\)'; choose from x1 \(x1\), x2"):
        feature_map(POINTS, ["cos(x1)"])
    with pytest.raises(ValueError, match="at least one feature"):
        feature_map(POINTS, [])
    with pytest.raises(ValueError, match=r"shape \(n, 2\), got \(3, 3\)"):
        feature_map(np.zeros((3, 3)), ["x1"])


# ------------------------------------------------------------------ standardization


def test_standardizer_fit_transform_inverse() -> None:
    rng = np.random.default_rng(0)
    X = (rng.normal(size=(200, 3)) * [1.0, 10.0, 0.1] + [5.0, -3.0, 100.0]).astype(np.float32)
    scaler = Standardizer().fit(X)
    np.testing.assert_allclose(scaler.mean, X.astype(np.float64).mean(0), rtol=1e-6)
    np.testing.assert_allclose(scaler.std, X.astype(np.float64).std(0), rtol=1e-6)
    Z = scaler.transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(Z.std(0), 1, atol=1e-5)
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, rtol=1e-5, atol=1e-4)
    # Test data uses the training statistics.
    np.testing.assert_allclose(
        scaler.transform(X[:5] + 1), (X[:5] + 1 - scaler.mean) / scaler.std, rtol=1e-5
    )


def test_standardizer_constant_column_and_tensors() -> None:
    X = np.array([[1.0, 7.0], [3.0, 7.0]])
    Z = standardize(X)
    np.testing.assert_array_equal(Z, [[-1.0, 0.0], [1.0, 0.0]])
    assert Z.dtype == np.float64
    scaler = Standardizer().fit(cr.tensor(X, dtype=cr.float32))
    out = scaler.transform(cr.tensor(X, dtype=cr.float32))
    assert isinstance(out, cr.Tensor) and out.dtype == cr.float32
    assert standardize(np.array([[1], [3]])).dtype == np.float32  # ints become float32


def test_standardizer_state_dict_round_trip() -> None:
    X = np.random.default_rng(1).normal(size=(50, 2))
    scaler = Standardizer().fit(X)
    restored = Standardizer().load_state_dict(scaler.state_dict())
    np.testing.assert_array_equal(restored.transform(X), scaler.transform(X))


def test_standardizer_errors() -> None:
    with pytest.raises(RuntimeError, match="fit"):
        Standardizer().transform(np.zeros((2, 2)))
    scaler = Standardizer().fit(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="fitted on 3 feature"):
        scaler.transform(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="n >= 1"):
        Standardizer().fit(np.zeros((0, 2)))
    with pytest.raises(KeyError, match="std"):
        Standardizer().load_state_dict({"mean": np.zeros(2)})
