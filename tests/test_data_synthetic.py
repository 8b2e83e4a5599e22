"""The playground's generators and the multi-class ones, checked against their formulas."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import (
    GENERATORS,
    blobs,
    circle,
    gauss,
    get_generator,
    reg_gauss,
    reg_plane,
    spiral,
    spirals,
    xor,
)


@pytest.mark.parametrize("name", list(GENERATORS))
def test_shapes_dtypes_and_defaults(name: str) -> None:
    generator = GENERATORS[name]
    X, y = generator(seed=0)
    n = generator.default_n
    assert n == (500 if generator.problem == "classification" else 1200)
    assert X.shape == (n, 2) and X.dtype == np.float32
    assert y.shape == (n,)
    if generator.problem == "classification":
        assert y.dtype == np.int64
        assert set(np.unique(y).tolist()) == set(range(generator.num_classes() or 0))
    else:
        assert y.dtype == np.float32
        assert generator.num_classes() is None
    assert np.abs(X).max() <= 6.5


@pytest.mark.parametrize("name", list(GENERATORS))
def test_seeds_repeat(name: str) -> None:
    generator = GENERATORS[name]
    X1, y1 = generator(100, noise=0.2, seed=3)
    X2, y2 = generator(100, noise=0.2, seed=3)
    X3, _ = generator(100, noise=0.2, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    cr.manual_seed(5)
    X4, y4 = generator(100, noise=0.2)
    cr.manual_seed(5)
    X5, y5 = generator(100, noise=0.2)
    np.testing.assert_array_equal(X4, X5)
    np.testing.assert_array_equal(y4, y5)


@pytest.mark.parametrize("function", [circle, gauss, spiral])
@pytest.mark.parametrize("n", [500, 501])
def test_two_class_sets_are_balanced(function: Callable[..., Any], n: int) -> None:
    _, y = function(n, seed=0)
    counts = np.bincount(y)
    assert counts.sum() == n and abs(counts[0] - counts[1]) <= 1


def test_rows_are_shuffled() -> None:
    _, y = circle(200, seed=0)
    assert not (np.all(y[:100] == y[0]) and np.all(y[100:] == y[-1]))


def test_circle_without_noise_is_separated_by_radius() -> None:
    X, y = circle(1000, noise=0.0, seed=1)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.all(r[y == 1] < 2.5) and np.all(r[y == 0] >= 3.5 - 1e-5)
    assert np.all(r <= 5 + 1e-5)
    np.testing.assert_array_equal(y, (r < 2.5).astype(np.int64))


def test_circle_noise_moves_labels_not_points() -> None:
    X0, _ = circle(1000, noise=0.0, seed=1)
    X, y = circle(1000, noise=0.5, seed=1)
    r = np.hypot(X[:, 0], X[:, 1])
    # Points keep their radii (inner disc or outer ring), but some labels disagree.
    assert np.all((r < 2.5) | (r >= 3.5 - 1e-5))
    assert 0 < np.mean(y != (r < 2.5)) < 0.5


def test_xor_labels_match_sign_of_product_without_noise() -> None:
    X, y = xor(1000, noise=0.0, seed=2)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] >= 0).astype(np.int64))
    assert np.abs(X).min() >= 0.3 - 1e-6  # the playground's padding around the axes
    assert np.abs(X).max() <= 5.3 + 1e-5
    assert 0.4 < y.mean() < 0.6
    _, y_noisy = xor(1000, noise=0.5, seed=2)
    X_noisy, _ = xor(1000, noise=0.5, seed=2)
    assert np.mean(y_noisy != (X_noisy[:, 0] * X_noisy[:, 1] >= 0)) > 0.05


@pytest.mark.parametrize(("noise", "variance"), [(0.0, 0.5), (0.25, 2.25), (0.5, 4.0)])
def test_gauss_centres_and_playground_variance(noise: float, variance: float) -> None:
    X, y = gauss(4000, noise=noise, seed=3)
    for label, centre in [(1, [2.0, 2.0]), (0, [-2.0, -2.0])]:
        points = X[y == label].astype(np.float64)
        np.testing.assert_allclose(points.mean(axis=0), centre, atol=0.15)
        np.testing.assert_allclose(points.var(axis=0), [variance, variance], rtol=0.1)


def arm_residual(X: np.ndarray, y: np.ndarray, classes: int) -> float:
    """How far each point is from its class's noise-free arm: radius r = 5 i/m and angle
    t = 1.75 * 2 pi i/m + pi (1 + 2 j/k), so t follows from r."""
    r = np.hypot(X[:, 0], X[:, 1]).astype(np.float64)
    t = 1.75 * 2 * np.pi * r / 5 + np.pi * (1 + 2 * y / classes)
    expected = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return float(np.abs(X - expected).max())


@pytest.mark.parametrize("classes", [2, 3, 5])
def test_spirals_lie_on_k_arms(classes: int) -> None:
    X, y = spirals(60 * classes, classes=classes, noise=0.0, seed=4)
    assert np.bincount(y).tolist() == [60] * classes
    assert arm_residual(X, y, classes) < 1e-4
    # Each point is on its own arm and not on any other class's.
    for shift in range(1, classes):
        assert arm_residual(X, (y + shift) % classes, classes) > 1.0


def test_spiral_is_two_arms_and_noise_moves_points() -> None:
    X, y = spiral(500, noise=0.0, seed=5)
    assert arm_residual(X, y, 2) < 1e-4
    X_noisy, y_noisy = spiral(500, noise=0.3, seed=5)
    residual = arm_residual(X_noisy, y_noisy, 2)
    assert residual > 0.05
    # The class-1 arm starts at angle 0, going through (0, r) first (x = r sin t).
    first = X[(y == 1) & (np.hypot(X[:, 0], X[:, 1]) > 0.05)]
    first = first[np.argmin(np.hypot(first[:, 0], first[:, 1]))]
    assert first[1] > 0 and abs(first[0]) < first[1]


def test_two_class_variants_match_the_playground_sets() -> None:
    for a, b in [(spirals(300, 2, 0.1, seed=6), spiral(300, 0.1, seed=6)),
                 (blobs(300, 2, 0.1, seed=6), gauss(300, 0.1, seed=6))]:  # fmt: skip
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize("classes", [3, 4, 6])
def test_blobs_on_a_circle(classes: int) -> None:
    X, y = blobs(200 * classes, classes=classes, seed=7)
    assert np.bincount(y).tolist() == [200] * classes
    angles = 5 * np.pi / 4 + 2 * np.pi * np.arange(classes) / classes
    centres = 2 * math.sqrt(2) * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    for j in range(classes):
        np.testing.assert_allclose(X[y == j].mean(axis=0), centres[j], atol=0.2)


def test_reg_plane_without_noise_is_the_plane() -> None:
    X, y = reg_plane(500, noise=0.0, seed=8)
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / 10, atol=1e-6)
    assert np.abs(X).max() <= 6
    _, y_noisy = reg_plane(500, noise=0.5, seed=8)
    assert np.abs(y_noisy - (X[:, 0] + X[:, 1]) / 10).max() > 0.1


def playground_gauss_label(x: float, y: float) -> float:
    """regressGaussian's getLabel from tensorflow/playground, one point at a time."""
    label = 0.0
    for cx, cy, sign in [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1),
                         (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)]:  # fmt: skip
        d = math.hypot(x - cx, y - cy)
        new = sign * min(max(1 - d / 2, 0.0), 1.0)
        if abs(new) > abs(label):
            label = new
    return label


def test_reg_gauss_matches_the_playground_formula() -> None:
    X, y = reg_gauss(300, noise=0.0, seed=9)
    expected = [playground_gauss_label(float(a), float(b)) for a, b in X.astype(np.float64)]
    np.testing.assert_allclose(y, expected, atol=1e-5)
    assert y.min() < -0.5 and y.max() > 0.5 and np.any(y == 0)


def test_generator_table_and_names() -> None:
    assert set(GENERATORS) == {
        "circle", "xor", "gauss", "spiral", "reg_plane", "reg_gauss", "spirals", "blobs",
    }  # fmt: skip
    assert get_generator("Reg-Plane") is GENERATORS["reg_plane"]
    assert GENERATORS["spirals"].num_classes(5) == 5
    assert GENERATORS["spirals"].num_classes() == 3
    X, y = GENERATORS["blobs"](90, classes=4, seed=0)
    assert np.bincount(y).tolist() == [23, 23, 22, 22]
    with pytest.raises(ValueError, match="circle, xor, gauss, spiral"):
        get_generator("moons")
    with pytest.raises(ValueError, match="has 2 classes"):
        GENERATORS["circle"](100, classes=3)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: circle(2.5), TypeError, "n must be an int"),  # type: ignore[arg-type]
        (lambda: circle(0), ValueError, "too few"),
        (lambda: reg_plane(0), ValueError, "too few"),
        (lambda: xor(10, noise=-0.1), ValueError, "noise must be a non-negative"),
        (lambda: gauss(10, noise=float("nan")), ValueError, "noise"),
        (lambda: spirals(10, classes=1), ValueError, "classes must be an int of at least 2"),
        (lambda: blobs(2, classes=3), ValueError, "one per class"),
    ],
)
def test_bad_arguments(call: Callable[[], Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call()
