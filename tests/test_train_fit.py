"""chainrule.train.fit / evaluate / predict: the loop with its bookkeeping."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.train import (
    ArrayBatches,
    Callback,
    LearningRateScheduler,
    evaluate,
    fit,
    predict,
    train_epoch,
)


def _blobs(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    X = rng.normal(size=(n, 2)).astype(np.float32) + 2.0 * (2 * y[:, None] - 1)
    return X.astype(np.float32), y.astype(np.int64)


def _net(seed: int = 0) -> nn.Sequential:
    cr.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))


def test_fit_reduces_the_loss_and_records_every_epoch():
    X, y = _blobs()
    model = _net()
    loss = nn.CrossEntropyLoss()
    before = evaluate(model, loss, (X, y))["loss"]
    history = fit(
        model,
        loss,
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        epochs=8,
        batch_size=16,
        metrics=["accuracy"],
        verbose=0,
        seed=0,
    )
    assert history.keys() == ["loss", "accuracy", "lr"]
    assert len(history) == 8 and history.epoch == list(range(8))
    assert all(len(values) == 8 for values in history.history.values())
    assert history["loss"][-1] < history["loss"][0] < before
    assert history["accuracy"][-1] > 0.95
    assert history["lr"] == [0.1] * 8
    assert evaluate(model, loss, (X, y))["loss"] < before / 4


def test_validation_split_and_validation_data():
    X, y = _blobs(100)
    model = _net()
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.Adam(model.parameters(), lr=0.01),
        (X, y),
        epochs=3,
        validation_split=0.2,
        metrics=["accuracy", "confusion_matrix"],
        verbose=0,
        seed=0,
    )
    assert history.keys() == [
        "loss",
        "accuracy",
        "confusion_matrix",
        "val_loss",
        "val_accuracy",
        "val_confusion_matrix",
        "lr",
    ]
    assert history["val_confusion_matrix"][-1].sum() == 20  # 20% of 100 held out
    assert history["confusion_matrix"][-1].sum() == 80
    epoch, value = history.best("val_loss")
    assert value == min(history["val_loss"]) and history["val_loss"][epoch] == value

    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.01),
        (X[:80], y[:80]),
        epochs=2,
        validation_data=(X[80:], y[80:]),
        verbose=0,
    )
    assert history.keys() == ["loss", "val_loss", "lr"]
    expected = evaluate(model, nn.CrossEntropyLoss(), (X[80:], y[80:]))["loss"]
    assert history["val_loss"][-1] == pytest.approx(expected)


def test_fit_is_the_explicit_loop():
    """fit with shuffle=False does exactly what the hand-written loop does."""
    X, y = _blobs(64)
    loss = nn.CrossEntropyLoss()
    by_hand = _net()
    opt = optim.SGD(by_hand.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        for start in range(0, 64, 16):
            opt.zero_grad()
            batch_loss = loss(
                by_hand(cr.tensor(X[start : start + 16])), cr.tensor(y[start : start + 16])
            )
            batch_loss.backward()
            opt.step()
    fitted = _net()
    fit(
        fitted,
        loss,
        optim.SGD(fitted.parameters(), lr=0.1, momentum=0.9),
        (X, y),
        epochs=3,
        batch_size=16,
        shuffle=False,
        verbose=0,
    )
    for a, b in zip(by_hand.parameters(), fitted.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_seed_makes_runs_repeat_and_accepts_a_dataloader():
    from chainrule.data import DataLoader, TensorDataset

    X, y = _blobs(50)
    runs = []
    for _ in range(2):
        model = _net()
        fit(
            model,
            nn.CrossEntropyLoss(),
            optim.SGD(model.parameters(), lr=0.1),
            (X, y),
            epochs=2,
            batch_size=8,
            seed=3,
            verbose=0,
        )
        runs.append(model.state_dict()["0.weight"].numpy().copy())
    np.testing.assert_array_equal(runs[0], runs[1])

    model = _net()
    loader = DataLoader(TensorDataset(X, y), batch_size=10, shuffle=True)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        loader,
        epochs=2,
        validation_data=loader,
        verbose=0,
    )
    assert len(history["val_loss"]) == 2
    with pytest.raises(ValueError, match="validation_data"):
        fit(
            model,
            nn.CrossEntropyLoss(),
            optim.SGD(model.parameters(), lr=0.1),
            loader,
            epochs=1,
            validation_split=0.2,
            verbose=0,
        )


def test_regularization_penalizes_weights_but_is_left_out_of_the_logged_loss():
    X, y = _blobs(64)
    plain, penalized = _net(), _net()
    h1 = fit(
        plain,
        nn.CrossEntropyLoss(),
        optim.SGD(plain.parameters(), lr=0.1),
        (X, y),
        epochs=5,
        shuffle=False,
        verbose=0,
    )
    h2 = fit(
        penalized,
        nn.CrossEntropyLoss(),
        optim.SGD(penalized.parameters(), lr=0.1),
        (X, y),
        epochs=5,
        shuffle=False,
        verbose=0,
        regularization={"l2": 0.1},
    )
    norm = lambda m: float((m.state_dict()["0.weight"].numpy() ** 2).sum())  # noqa: E731
    assert norm(penalized) < norm(plain)
    assert h1["loss"][0] == pytest.approx(h2["loss"][0], rel=0.05)  # data loss, no penalty
    with pytest.raises(ValueError, match="l1"):
        fit(
            plain,
            nn.CrossEntropyLoss(),
            optim.SGD(plain.parameters(), lr=0.1),
            (X, y),
            epochs=1,
            verbose=0,
            regularization={"l3": 1.0},
        )


def test_schedulers_step_per_epoch_and_plateau_gets_the_monitored_value():
    X, y = _blobs(40)
    model = _net()
    opt = optim.SGD(model.parameters(), lr=0.1)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        (X, y),
        epochs=4,
        verbose=0,
        scheduler=optim.StepLR(opt, step_size=2, gamma=0.5),
    )
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05])

    seen = []

    class Plateau(optim.ReduceLROnPlateau):
        def step(self, metrics):  # type: ignore[override]
            seen.append(metrics)
            super().step(metrics)

    opt = optim.SGD(model.parameters(), lr=0.1)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        (X, y),
        epochs=3,
        verbose=0,
        validation_split=0.25,
        scheduler=Plateau(opt),
    )
    assert seen == history["val_loss"]

    history = fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        (X, y),
        epochs=3,
        verbose=0,
        callbacks=[LearningRateScheduler(lambda epoch, lr: 0.2 / (1 + epoch))],
    )
    assert history["lr"] == pytest.approx([0.2, 0.1, 0.2 / 3])


def test_callback_hooks_run_in_order_and_can_stop_training():
    calls: list[str] = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")
            assert self.params["epochs"] == 5 and self.params["steps"] == 2

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin {epoch}")

        def on_batch_end(self, batch, logs=None):
            calls.append(f"batch {batch} size {logs['size']}")
            if logs["batch"] == 1 and len(calls) > 6:
                self.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end {epoch}")

        def on_train_end(self, logs=None):
            calls.append("train_end")

    X, y = _blobs(20)
    model = _net()
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        epochs=5,
        batch_size=10,
        callbacks=[Recorder()],
        verbose=0,
    )
    assert calls == [
        "train_begin",
        "epoch_begin 0",
        "batch 0 size 10",
        "batch 1 size 10",
        "epoch_end 0",
        "epoch_begin 1",
        "batch 0 size 10",
        "batch 1 size 10",
        "epoch_end 1",
        "train_end",
    ]
    assert len(history) == 2


def test_evaluate_and_predict_use_eval_mode_no_grad_and_restore_the_mode():
    modes = []

    class Spy(nn.Module):
        def forward(self, x):
            modes.append((self.training, cr.is_grad_enabled()))
            return x

    model = nn.Sequential(nn.Linear(2, 2), Spy())
    model.train()
    X, y = _blobs(10)
    out = predict(model, X, batch_size=4)
    assert out.shape == (10, 2) and not out.requires_grad
    np.testing.assert_allclose(out.numpy(), model(cr.tensor(X)).numpy(), rtol=1e-6)
    assert modes[:3] == [(False, False)] * 3  # three chunks of 4, 4 and 2
    assert model.training
    model.eval()
    evaluate(model, nn.CrossEntropyLoss(), (X, y))
    assert not model.training


def test_array_batches_shuffle_in_place_and_cover_every_sample():
    X = np.arange(10, dtype=np.float32).reshape(10, 1)
    y = np.arange(10)
    batches = ArrayBatches(X, y, batch_size=4, shuffle=True, generator=np.random.default_rng(0))
    assert len(batches) == 3
    first = [b for b in batches]
    seen = np.concatenate([xb.numpy()[:, 0] for xb, _ in first])
    assert sorted(seen.tolist()) == list(range(10))
    for xb, yb in first:
        np.testing.assert_array_equal(xb.numpy()[:, 0], yb.numpy())  # rows stay paired
    assert ArrayBatches(X, y, batch_size=4, drop_last=True).__len__() == 2


def test_train_epoch_returns_the_sample_weighted_mean_loss():
    X, y = _blobs(10)
    model = _net()
    loss = nn.CrossEntropyLoss()
    lr0 = optim.SGD(model.parameters(), lr=0.0)  # no change: the loss is that of the data
    value = train_epoch(model, loss, lr0, ArrayBatches(X, y, batch_size=4))
    assert value == pytest.approx(evaluate(model, loss, (X, y))["loss"], rel=1e-6)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"epochs": -1}, ValueError, "epochs"),
        ({"epochs": 1, "batch_size": 0}, ValueError, "batch_size"),
        ({"epochs": 1, "validation_split": 1.5}, ValueError, "validation_split"),
        ({"epochs": 1, "metrics": ["nope"]}, ValueError, "unknown metric"),
        ({"epochs": 1, "verbose": 3}, ValueError, "verbose"),
        ({"epochs": 1, "metrics": ["accuracy", "acc"]}, ValueError, "unique"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, words):
    X, y = _blobs(10)
    model = _net()
    with pytest.raises(error, match=words):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y), **kwargs)


def test_mismatched_sample_counts_and_bad_optimizer():
    X, y = _blobs(10)
    model = _net()
    with pytest.raises(ValueError, match=r"\(10, 2\).*\(9,\)"):
        fit(
            model,
            nn.CrossEntropyLoss(),
            optim.SGD(model.parameters(), lr=0.1),
            (X, y[:9]),
            epochs=1,
            verbose=0,
        )
    with pytest.raises(TypeError, match="zero_grad"):
        fit(model, nn.CrossEntropyLoss(), "sgd", (X, y), epochs=1)
