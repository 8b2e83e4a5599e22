"""The plot functions write real, non-empty PNG and SVG files."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr

pytest.importorskip("matplotlib")
from chainrule.viz import plots  # noqa: E402


def check_files(make: object, tmp_path: Path, stem: str) -> None:
    for suffix in ("png", "svg"):
        path = tmp_path / f"{stem}.{suffix}"
        make(path)  # type: ignore[operator]
        assert path.stat().st_size > 1000
        if suffix == "png":
            assert path.read_bytes().startswith(b"\x89PNG")
        else:
            ET.parse(path)


def test_activation_curves_use_autograd() -> None:
    x = np.linspace(-3, 3, 13)
    value, slope = plots.activation_curves(cr.Tensor.tanh, x)
    np.testing.assert_allclose(value, np.tanh(x))
    np.testing.assert_allclose(slope, 1 - np.tanh(x) ** 2)
    table = plots.activation_table()
    assert {"sigmoid", "tanh", "relu"} <= set(table)


def test_plot_activations(tmp_path: Path) -> None:
    check_files(
        lambda p: plots.plot_activations(["sigmoid", "relu", "tanh"], out=p), tmp_path, "act"
    )
    with pytest.raises(ValueError, match="unknown activation"):
        plots.plot_activations(["nope"])


def linear_model(x: cr.Tensor) -> cr.Tensor:
    """A fixed binary classifier: the logit x1 + x2."""
    return x[:, 0:1] + x[:, 1:2]


def test_plot_decision_boundary_binary_and_multiclass(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2)).astype(np.float32)
    y = (X.sum(axis=1) > 0).astype(np.int64)
    check_files(
        lambda p: plots.plot_decision_boundary(linear_model, X, y, resolution=40, out=p),
        tmp_path,
        "binary",
    )

    def three_classes(x: cr.Tensor) -> cr.Tensor:
        return cr.stack([x[:, 0], x[:, 1], -x[:, 0] - x[:, 1]], dim=1)

    labels = rng.integers(0, 3, 60)
    check_files(
        lambda p: plots.plot_decision_boundary(three_classes, X, labels, resolution=40, out=p),
        tmp_path,
        "multi",
    )
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plots.plot_decision_boundary(linear_model, X[:, :1], y)
    with pytest.raises(ValueError, match="labels"):
        plots.plot_decision_boundary(linear_model, X, y[:10])


def test_probability_of_class_1() -> None:
    logits = np.array([[[0.0, 2.0]]])
    np.testing.assert_allclose(plots._probability_of_class_1(logits), 1 / (1 + np.exp(-2.0)))
    np.testing.assert_allclose(plots._probability_of_class_1(np.array([[[0.3, 0.7]]])), 0.7)
    np.testing.assert_allclose(plots._probability_of_class_1(np.array([[[0.25]]])), 0.25)


def test_plot_history_from_a_dict_and_a_history(tmp_path: Path) -> None:
    overfit = {
        "loss": [1.0, 0.6, 0.4, 0.3, 0.2, 0.1, 0.05],
        "val_loss": [1.1, 0.7, 0.5, 0.55, 0.7, 0.9, 1.0],
        "accuracy": [0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99],
        "val_accuracy": [0.5, 0.65, 0.75, 0.74, 0.7, 0.68, 0.66],
        "lr": [0.1] * 7,
    }
    check_files(lambda p: plots.plot_history(overfit, out=p), tmp_path, "history")
    fig = plots.plot_history(overfit)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("overfitting" in t for t in texts) and any("best val epoch 3" in t for t in texts)
    calm = plots.plot_history({"loss": [1.0, 0.5], "val_loss": [1.0, 0.6]})
    assert not any("overfitting" in t.get_text() for ax in calm.axes for t in ax.texts)
    train = pytest.importorskip("chainrule.train")
    history = train.History()
    for epoch, (a, b) in enumerate(zip(overfit["loss"], overfit["val_loss"])):
        history.on_epoch_end(epoch, {"loss": a, "val_loss": b})
    assert len(plots.plot_history(history).axes) == 1
    with pytest.raises(ValueError, match="no \\['nope'\\]"):
        plots.plot_history(overfit, metrics=["nope"])
    with pytest.raises(TypeError):
        plots.plot_history([1, 2, 3])


def test_plot_gradient_norms(tmp_path: Path) -> None:
    nn = pytest.importorskip("chainrule.nn")
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    with pytest.raises(ValueError, match="backward"):
        plots.gradient_norms(model)
    model(cr.randn(8, 2)).sum().backward()
    norms = plots.gradient_norms(model)
    assert list(norms) == ["0 Linear", "2 Linear"]
    expected = np.linalg.norm(model[0].weight.grad.numpy())
    np.testing.assert_allclose(norms["0 Linear"], expected, rtol=1e-6)
    per_parameter = plots.gradient_norms(model, per="parameter")
    assert list(per_parameter) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(ValueError, match="per must be"):
        plots.gradient_norms(model, per="unit")
    check_files(lambda p: plots.plot_gradient_norms(model, out=p), tmp_path, "norms")
    steps = {"0.weight": [1.0, 0.5, 0.1], "2.weight": [2.0, 1.0, 0.5]}
    check_files(lambda p: plots.plot_gradient_norms(steps, out=p), tmp_path, "norm_steps")


def test_unknown_extension() -> None:
    fig = plots.plot_history({"loss": [1.0, 0.5]})
    with pytest.raises(ValueError, match=".png, .svg or .pdf"):
        plots.save_figure(fig, "curves.gif")
