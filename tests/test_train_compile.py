"""fit(compile=True): the same training as eager fit, through chainrule.compile."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.train import compiled_train_step, fit


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((90, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] ** 2 > 0.5).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    return x, y


def _model() -> nn.Module:
    cr.manual_seed(11)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))


def _train(compiled: bool) -> tuple[dict[str, list[float]], list[np.ndarray]]:
    x, y = _data()
    model = _model()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        (x[:70], y[:70]),
        epochs=4,
        batch_size=16,  # 4 full batches and one of 6: two traces
        validation_data=(x[70:], y[70:]),
        metrics=["accuracy"],
        regularization={"l2": 1e-3},
        seed=5,
        verbose=0,
        compile=compiled,
    )
    return history.history, [p.numpy().copy() for p in model.parameters()]


def test_compiled_fit_trains_as_eager_fit() -> None:
    eager_history, eager_weights = _train(compiled=False)
    history, weights = _train(compiled=True)
    assert history.keys() == eager_history.keys()
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(history[key], eager_history[key], rtol=1e-5, atol=1e-7)
    for ours, theirs in zip(weights, eager_weights):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert eager_history["loss"][-1] < eager_history["loss"][0]  # it did learn


def test_compiled_train_step_returns_objective_loss_and_outputs() -> None:
    x, y = _data()
    model = _model()
    optimizer = optim.SGD(model.parameters(), lr=0.0)  # no update: compare with eager
    penalty = lambda m: 0.5 * (m[0].weight ** 2).sum()  # noqa: E731
    step = compiled_train_step(model, nn.CrossEntropyLoss(), optimizer, penalty)
    inputs, targets = cr.tensor(x[:8]), cr.tensor(y[:8])
    for _ in range(3):  # trace, checked call, replay
        objective, loss, outputs = step(inputs, targets)
        expected_outputs = model(inputs)
        expected_loss = nn.functional.cross_entropy(expected_outputs, targets)
        np.testing.assert_allclose(outputs.numpy(), expected_outputs.numpy(), rtol=1e-6)
        np.testing.assert_allclose(loss.item(), expected_loss.item(), rtol=1e-6)
        expected_objective = expected_loss.item() + penalty(model).item()
        np.testing.assert_allclose(objective.item(), expected_objective, rtol=1e-6)


def test_compiled_fit_refuses_callbacks_and_hooks_that_watch_the_forward_pass() -> None:
    from chainrule.viz import TrainingDiagnostics

    x, y = _data()
    model = _model()
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="TrainingDiagnostics"):
        fit(model, nn.CrossEntropyLoss(), optimizer, (x, y), epochs=1, verbose=0,
            callbacks=[TrainingDiagnostics(verbose=False)], compile=True)  # fmt: skip
    handle = model[1].register_forward_hook(lambda module, inputs, output: None)
    with pytest.raises(ValueError, match="'1'|1 watches"):
        fit(model, nn.CrossEntropyLoss(), optimizer, (x, y), epochs=1, verbose=0, compile=True)
    handle.remove()
    fit(model, nn.CrossEntropyLoss(), optimizer, (x, y), epochs=1, verbose=0, compile=True)
