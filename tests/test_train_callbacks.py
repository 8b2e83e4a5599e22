"""EarlyStopping, ModelCheckpoint, TerminateOnNaN and the History they read."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.serialization import load
from chainrule.train import (
    Callback,
    EarlyStopping,
    History,
    ModelCheckpoint,
    TerminateOnNaN,
    fit,
    load_checkpoint,
)


def _data(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=n)
    X = (rng.normal(size=(n, 2)) + 1.5 * (2 * y[:, None] - 1)).astype(np.float32)
    return X, y.astype(np.int64)


def _net() -> nn.Sequential:
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 2))


class Snapshots(Callback):
    """The weights at the end of every epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.weights: list[dict[str, np.ndarray]] = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append({k: v.numpy().copy() for k, v in self.model.state_dict().items()})


def test_early_stopping_stops_when_validation_loss_rises_and_restores_the_best_weights():
    X, y = _data()
    # The validation labels are the opposite of the training labels: the better the
    # model learns, the worse the validation loss, so the best epoch is the first one.
    model = _net()
    snapshots = Snapshots()
    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.5),
        (X, y),
        epochs=50,
        validation_data=(X, 1 - y),
        callbacks=[snapshots, stop],
        verbose=0,
    )
    assert np.all(np.diff(history["val_loss"]) > 0)
    assert len(history) == 3  # epoch 0 best, then 2 epochs of patience, stop after the 3rd
    assert stop.best_epoch == 0 and stop.stopped_epoch == 2
    assert stop.best == history["val_loss"][0]
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), snapshots.weights[0][name])
        assert not np.array_equal(value.numpy(), snapshots.weights[-1][name])


def test_early_stopping_modes_min_delta_and_missing_monitor():
    stop = EarlyStopping(monitor="val_accuracy", patience=1)
    assert stop.mode == "max"
    stop.set_context(None, None, {})
    stop.on_train_begin()
    for epoch, value in enumerate([0.5, 0.6, 0.6]):
        stop.on_epoch_end(epoch, {"val_accuracy": value})
    assert stop.stop_training and stop.best_epoch == 1 and stop.stopped_epoch == 2

    stop = EarlyStopping(monitor="loss", patience=0, min_delta=0.1)
    stop.set_context(None, None, {})
    stop.on_train_begin()
    stop.on_epoch_end(0, {"loss": 1.0})
    stop.on_epoch_end(1, {"loss": 0.95})  # better, but not by min_delta
    assert stop.stop_training

    X, y = _data(10)
    model = _net()
    with pytest.raises(ValueError, match="validation_split"):
        fit(
            model,
            nn.CrossEntropyLoss(),
            optim.SGD(model.parameters(), lr=0.1),
            (X, y),
            epochs=2,
            callbacks=[EarlyStopping()],
            verbose=0,
        )
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")


def test_model_checkpoint_saves_the_best_epoch_atomically(tmp_path):
    X, y = _data()
    model = _net()
    path = tmp_path / "best.safetensors"
    snapshots = Snapshots()
    checkpoint = ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.5)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        (X, y),
        epochs=6,
        validation_data=(X, 1 - y),
        callbacks=[snapshots, checkpoint],
        verbose=0,
    )
    assert os.listdir(tmp_path) == ["best.safetensors"]  # no temporary file left
    saved = load_checkpoint(path)
    assert saved.epoch == 1  # the first epoch was the best (see the test above)
    assert saved.metadata["monitor"] == "val_loss"
    assert float(saved.metadata["monitor_value"]) == history["val_loss"][0]
    for name, value in saved.model_state.items():
        np.testing.assert_array_equal(value.numpy(), snapshots.weights[0][name])
    assert saved.optimizer_state is not None
    assert saved.optimizer_state["param_groups"][0]["momentum"] == 0.5


def test_model_checkpoint_every_epoch_with_a_pattern_and_weights_only(tmp_path):
    X, y = _data(20)
    model = _net()
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{loss:.2f}.safetensors")
    checkpoint = ModelCheckpoint(pattern, save_weights_only=True)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        epochs=3,
        callbacks=[checkpoint],
        verbose=0,
    )
    names = sorted(os.listdir(tmp_path))
    assert names == [f"ckpt-{e + 1:02d}-{history['loss'][e]:.2f}.safetensors" for e in range(3)]
    assert set(load(tmp_path / names[-1])) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    with pytest.raises(ValueError, match="val_acc"):
        fit(
            model,
            nn.CrossEntropyLoss(),
            optim.SGD(model.parameters(), lr=0.1),
            (X, y),
            epochs=1,
            callbacks=[ModelCheckpoint(str(tmp_path / "{val_acc}.st"))],
            verbose=0,
        )


def test_a_failing_checkpoint_write_keeps_the_previous_file(tmp_path, monkeypatch):
    X, y = _data(20)
    model = _net()
    path = tmp_path / "last.safetensors"
    opt = optim.SGD(model.parameters(), lr=0.1)
    fit(
        model,
        nn.CrossEntropyLoss(),
        opt,
        (X, y),
        epochs=1,
        callbacks=[ModelCheckpoint(path)],
        verbose=0,
    )
    before = path.read_bytes()

    class Failing(Callback):
        def on_epoch_end(self, epoch, logs=None):
            # from now on the file system fails half-way through every write
            def broken_fsync(fd):
                raise OSError("I/O error (simulated)")

            monkeypatch.setattr(os, "fsync", broken_fsync)

    with pytest.raises(OSError, match="simulated"):
        fit(
            model,
            nn.CrossEntropyLoss(),
            opt,
            (X, y),
            epochs=1,
            callbacks=[Failing(), ModelCheckpoint(path)],
            verbose=0,
        )
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["last.safetensors"]
    assert load_checkpoint(path).epoch == 1


def test_terminate_on_nan_stops_a_diverging_run(capsys):
    X, y = _data(32)
    X[0, 0] = np.nan
    model = _net()
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        epochs=5,
        batch_size=32,
        callbacks=[TerminateOnNaN()],
        verbose=0,
    )
    assert len(history) == 1 and math.isnan(history["loss"][0])
    assert "nan" in capsys.readouterr().out


def test_history_pads_keys_that_appear_late():
    history = History()
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.7})
    history.on_epoch_end(2, {"loss": 0.4})
    assert history["loss"] == [1.0, 0.5, 0.4]
    assert math.isnan(history["val_loss"][0]) and math.isnan(history["val_loss"][2])
    assert history.best("val_loss") == (1, 0.7)
    assert history.best("loss") == (2, 0.4)
    assert history.last() == {"loss": 0.4, "val_loss": history["val_loss"][2]}
    assert "val_loss" in history and len(history) == 3
    with pytest.raises(KeyError, match="accuracy"):
        history["accuracy"]


def test_verbose_2_prints_one_line_per_epoch_and_1_is_silent_off_a_terminal(capsys):
    X, y = _data(20)
    model = _net()
    fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        epochs=3,
        metrics=["accuracy"],
        verbose=2,
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("epoch 1/3") and "loss" in lines[0] and "accuracy" in lines[0]
    fit(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        (X, y),
        epochs=3,
        verbose=1,
    )
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
