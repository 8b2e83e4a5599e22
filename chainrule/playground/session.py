"""One person's experiment: settings, data, network, training, and what the page draws.

A ``Session`` is pure Python with no server in it: the websocket handler
(``server.py``) feeds it checked messages (``handle``), asks it to train for a slice
of time (``train_for``) while it plays, and sends the frames it makes (``frame``). The
tests drive it directly.

Training is the explicit loop, one mini-batch per call of ``train_step``::

    optimizer.zero_grad()
    loss = loss_fn(model(x_batch), t_batch) + penalty(model, rate)
    loss.backward()
    optimizer.step()

over a permutation of the training points drawn anew each epoch from a generator
seeded with the experiment's seed, with the network's initial weights drawn after
``chainrule.manual_seed(seed)``: the same settings give the same run, which is what
the exported script (``export.py``) replays.

Example::

    >>> session = Session.from_query("dataset=xor&networkShape=4")
    >>> session.train_epoch()
    >>> session.epoch
    1
"""

from __future__ import annotations

import math
import os
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import numpy as np

import chainrule as cr
from chainrule import data
from chainrule.playground import export
from chainrule.playground.network import (
    OPTIMIZERS,
    PENALTIES,
    Network,
    Task,
    features_of,
    generate,
    grid_points,
)
from chainrule.playground.protocol import Message, pack
from chainrule.playground.state import (
    ACTIVATION_NAMES,
    FEATURE_NAMES,
    MAX_SEED,
    Limits,
    SettingError,
    check_changes,
    describe,
    from_query,
    to_query,
)

__all__ = ["Session", "SessionError", "GRID", "Reply", "parse_csv", "hello"]

# Heatmaps are GRID x GRID samples of the plane, one batched forward pass for all nodes.
GRID = 50

# A reply to the page: a JSON message (dict) or a binary one (bytes from ``pack``).
Reply = dict[str, Any] | bytes

# Size of the data-set pictures on the buttons.
_THUMBNAIL_POINTS = 120


class SessionError(ValueError):
    """An action the session cannot do; the message is for the page."""


def hello(limits: Limits) -> dict[str, Any]:
    """The first message: the settings table, the limits, names and data-set pictures."""
    thumbnails = {}
    for name, generator in data.GENERATORS.items():
        X, y = generator(n=_THUMBNAIL_POINTS, noise=0.0, seed=0)
        task = Task.for_labels(y)
        points = np.column_stack([X, y]).round(2).tolist()
        thumbnails[name] = {"points": points, "task": task.as_dict()}
    return {
        "type": "hello",
        "limits": limits.as_dict(),
        "table": describe(limits),
        "features": FEATURE_NAMES,
        "activations": ACTIVATION_NAMES,
        "datasets": {
            "classification": {
                n: g.description for n, g in data.GENERATORS.items() if g.problem != "regression"
            },
            "regression": {
                n: g.description for n, g in data.GENERATORS.items() if g.problem == "regression"
            },
        },
        "multiclass": [n for n, g in data.GENERATORS.items() if g.multiclass],
        "thumbnails": thumbnails,
    }


def _encode_signed(values: np.ndarray) -> bytes:
    """v in [-1, 1] -> round((v + 1) * 127.5) as bytes (clamped; NaN -> 127, the middle)."""
    encoded = np.clip(np.rint((values + 1.0) * 127.5), 0, 255)
    encoded[np.isnan(encoded)] = 127
    return encoded.astype(np.uint8).tobytes()


def _encode_prob(values: np.ndarray) -> bytes:
    """p in [0, 1] -> round(p * 255) as bytes (NaN -> 0)."""
    encoded = np.clip(np.rint(values * 255.0), 0, 255)
    encoded[np.isnan(encoded)] = 0
    return encoded.astype(np.uint8).tobytes()


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _rounded(values: np.ndarray) -> list[Any]:
    """Weights for the drawing: 4 decimals, and 0 for what training made NaN or infinite
    (the page is told that training diverged)."""
    if not np.isfinite(values).all():
        values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    return np.round(values, 4).tolist()


class Session:
    """One experiment of the playground.

    Args:
        settings: every setting (see ``state.SETTINGS``), already checked.
        limits: what the server allows.

    Attributes:
        settings: the current settings; ``query`` is them as a URL query.
        playing: whether training runs continuously.
        epoch: completed epochs since the last reset.
        task, network, optimizer: the model being trained (``network.Network``).
        X_train, y_train, X_test, y_test: the points and their labels.
        custom: a description of the data if it is not generated from the settings
            (uploaded, or with points added by clicking), else None.
    """

    def __init__(self, settings: dict[str, Any], limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.settings = settings
        self.playing = False
        self.step_target: int | None = None  # the epoch a "step" trains up to
        self.uploaded: str | None = None  # the uploaded file, if the data came from one
        self.added = 0  # points added by clicking
        self.task: Task = self._settings_task()
        self.notices: list[str] = []
        self.dirty = True  # something changed since the last frame
        self.static_sent = False  # the input features' maps (constant) were sent
        self.seq = 0
        self.X = np.zeros((0, 2), np.float32)
        self.y = np.zeros(0, np.int64)
        self._grid = grid_points(GRID)
        all_features = list(FEATURE_NAMES)
        grid_features = features_of(self._grid, all_features)
        # Each feature's map is scaled by its typical size over the plane (75th percentile
        # of |value|), so that x1 and x1*x2 are both visible.
        scale = np.percentile(np.abs(grid_features), 75, axis=0)
        self._feature_maps = {
            name: _encode_signed(grid_features[:, i] / scale[i])
            for i, name in enumerate(all_features)
        }
        self._new_data()

    @classmethod
    def from_query(cls, query: str, limits: Limits | None = None) -> Session:
        """A session from a page's URL query; invalid keys become notices. Without a
        seed in the query, a random one is drawn (and written into the URL)."""
        limits = limits or Limits()
        settings, problems = from_query(query, limits)
        if "seed" not in dict(urllib.parse.parse_qsl(query[:8192])):
            settings["seed"] = int(np.random.default_rng().integers(MAX_SEED))
        session = cls(settings, limits)
        session.notices.extend(problems)
        return session

    @property
    def query(self) -> str:
        return to_query(self.settings)

    # ------------------------------------------------------------------- data

    @property
    def custom(self) -> str | None:
        """What the data is, if it is not (only) the data set the settings generate."""
        if self.uploaded is None and self.added == 0:
            return None
        plural = "s" if self.added > 1 else ""
        added = f" + {self.added} added point{plural}" if self.added else ""
        return (self.uploaded or self._data_name()) + added

    def _new_data(self) -> None:
        """Generate the data set the settings name, and split it."""
        self.uploaded, self.added = None, 0
        X, y = generate(self.settings)
        self._set_data(X, y)

    def _set_data(self, X: np.ndarray, y: np.ndarray, task: Task | None = None) -> None:
        """Use the points (X, y): the first ``percTrainData`` percent train, the rest test.
        The task is the settings' for generated data, else the one given or kept."""
        self.X, self.y = X.astype(np.float32), y
        n_train = max(1, min(len(X), round(len(X) * self.settings["percTrainData"] / 100)))
        self.task = task or (self.task if self.custom else self._settings_task())
        self.X_train, self.y_train = self.X[:n_train], self.y[:n_train]
        self.X_test, self.y_test = self.X[n_train:], self.y[n_train:]
        self.reset()

    def _settings_task(self) -> Task:
        s = self.settings
        if s["problem"] == "regression":
            return Task("regression", 0)
        if data.GENERATORS[s["dataset"]].multiclass:
            return Task("multiclass", s["classes"])
        return Task("binary", 2)

    def _add_training_point(self, x: float, y: float, label: Any) -> None:
        if len(self.X) >= self.limits.max_points:
            raise SessionError(
                f"this session has {len(self.X)} points, the most this server allows "
                f"(--max-points {self.limits.max_points})"
            )
        label_array = np.asarray([label], self.y.dtype)
        n_train = len(self.X_train)
        self.X = np.concatenate([self.X_train, [[x, y]], self.X_test]).astype(np.float32)
        self.y = np.concatenate([self.y_train, label_array, self.y_test])
        self.X_train, self.y_train = self.X[: n_train + 1], self.y[: n_train + 1]
        self._prepare_inputs()
        self.dirty = True

    # ----------------------------------------------------------------- network

    def reset(self) -> None:
        """New network with the seed's initial weights; epoch 0; paused."""
        s = self.settings
        self.playing = False
        self.step_target = None
        self.epoch = 0
        self.position = 0
        cr.manual_seed(s["seed"])
        self.network = Network(
            len(s["features"]), s["networkShape"], s["activation"], self.task, s["dropout"]
        )
        self.optimizer = OPTIMIZERS[s["optimizer"]](self.network.parameters(), s["learningRate"])
        self.optimizer_name = s["optimizer"]
        self.shuffle = np.random.default_rng(s["seed"])
        self._prepare_inputs()
        self.order = self.shuffle.permutation(len(self.X_train))
        self.static_sent = False
        self.dirty = True

    def _prepare_inputs(self) -> None:
        """The features and targets of every point, computed once per data/network."""
        features = self.settings["features"]
        self.F_train = features_of(self.X_train, features)
        self.F_test = features_of(self.X_test, features)
        self.T_train = self.network.targets(self.y_train)
        self.T_test = self.network.targets(self.y_test)
        self.F_grid = features_of(self._grid, features)

    def _apply_live(self) -> None:
        """Learning rate, optimizer, dropout: changed without touching the weights."""
        s = self.settings
        if s["optimizer"] != self.optimizer_name:
            self.optimizer = OPTIMIZERS[s["optimizer"]](
                self.network.parameters(), s["learningRate"]
            )
            self.optimizer_name = s["optimizer"]
        for group in self.optimizer.param_groups:
            group["lr"] = s["learningRate"]
        self.network.set_dropout(s["dropout"])

    # ---------------------------------------------------------------- training

    def train_step(self) -> None:
        """One mini-batch: forward, loss (+ penalty), backward, optimizer step."""
        s = self.settings
        batch = self.order[self.position : self.position + s["batchSize"]]
        net = self.network
        self.optimizer.zero_grad()
        # A diverging run overflows to inf/nan; frame() notices and pauses it.
        with np.errstate(over="ignore", invalid="ignore"):
            loss = net.loss_fn(net.model(cr.tensor(self.F_train[batch])), self._targets(batch))
            penalty = PENALTIES[s["regularization"]]
            if penalty is not None and s["regularizationRate"] > 0:
                loss = loss + penalty(net.model, s["regularizationRate"])
            loss.backward()
            self.optimizer.step()
        self.position += len(batch)
        if self.position >= len(self.order):  # points added by clicking join next epoch
            self.epoch += 1
            self.position = 0
            self.order = self.shuffle.permutation(len(self.X_train))
        self.dirty = True

    def _targets(self, batch: np.ndarray) -> cr.Tensor:
        return cr.tensor(self.T_train.numpy()[batch])

    def train_epoch(self) -> None:
        """Train to the end of the current epoch."""
        epoch = self.epoch
        while self.epoch == epoch:
            self.train_step()

    @property
    def wants_training(self) -> bool:
        return self.playing or self.step_target is not None

    def train_for(self, seconds: float) -> int:
        """Train mini-batches for about ``seconds`` (at least one), while playing or
        stepping; returns the number of steps. A "step" stops at its epoch's end."""
        steps = 0
        deadline = time.perf_counter() + seconds
        while self.wants_training:
            self.train_step()
            steps += 1
            if self.step_target is not None and self.epoch >= self.step_target:
                self.step_target = None
                break
            if time.perf_counter() >= deadline:
                break
        return steps

    # ---------------------------------------------------------------- messages

    def handle(self, message: Message) -> list[Reply]:
        """Do what a checked message asks; returns the replies for the page.

        Raises:
            SessionError: the action is not possible (the page shows the message).
        """
        handler: Callable[[Session, dict[str, Any]], list[Reply]] = HANDLERS[message.kind]
        return handler(self, message.args)

    def _on_set(self, args: dict[str, Any]) -> list[Reply]:
        try:
            new, effects = check_changes(self.settings, args["settings"], self.limits)
        except SettingError as error:
            raise SessionError(str(error)) from None
        old, self.settings = self.settings, new
        replies: list[Reply] = []
        data_keys = ("problem", "dataset", "regDataset", "classes", "noise", "seed")
        if "data" in effects and any(old[k] != new[k] for k in data_keys):
            self._new_data()
            replies.append(self.data_message())
        elif "data" in effects:  # only the train/test ratio: split the same points again
            self._set_data(self.X, self.y)
            replies.append(self.data_message())
        elif "reset" in effects:
            self.reset()
        elif "live" in effects:
            self._apply_live()
            self.dirty = True
        return [self.state_message(), *replies]

    def _on_play(self, args: dict[str, Any]) -> list[Reply]:
        self.playing = True
        self.step_target = None
        return [self.state_message()]

    def _on_pause(self, args: dict[str, Any]) -> list[Reply]:
        self.playing = False
        self.step_target = None
        return [self.state_message()]

    def _on_step(self, args: dict[str, Any]) -> list[Reply]:
        self.playing = False
        self.step_target = self.epoch + 1
        return [self.state_message()]

    def _on_reset(self, args: dict[str, Any]) -> list[Reply]:
        self.reset()
        return [self.state_message()]

    def _on_regenerate(self, args: dict[str, Any]) -> list[Reply]:
        seed = int(np.random.default_rng().integers(MAX_SEED))
        return self._on_set({"settings": {"seed": seed}})

    def _parameter(self, layer: int, row: int) -> tuple[Any, int]:
        linears = self.network.linears
        if layer >= len(linears):
            raise SessionError(f"layer {layer} does not exist; the network has {len(linears)}")
        linear = linears[layer]
        if row >= linear.out_features:
            raise SessionError(f"layer {layer} has {linear.out_features} neurons, not {row + 1}")
        return linear, row

    def _on_set_weight(self, args: dict[str, Any]) -> list[Reply]:
        linear, row = self._parameter(args["layer"], args["row"])
        if args["col"] >= linear.in_features:
            raise SessionError(
                f"neurons of layer {args['layer']} have {linear.in_features} inputs, "
                f"not {args['col'] + 1}"
            )
        with cr.no_grad():
            linear.weight[row, args["col"]] = args["value"]
        self.dirty = True
        return []

    def _on_set_bias(self, args: dict[str, Any]) -> list[Reply]:
        linear, row = self._parameter(args["layer"], args["row"])
        with cr.no_grad():
            linear.bias[row] = args["value"]
        self.dirty = True
        return []

    def _on_add_point(self, args: dict[str, Any]) -> list[Reply]:
        label = args["label"]
        if self.task.kind == "regression":
            if not -1.0 <= label <= 1.0:
                raise SessionError(f"a regression point's value must be in [-1, 1], got {label:g}")
        elif not (float(label).is_integer() and 0 <= label < self.task.classes):
            raise SessionError(
                f"a point's class must be 0 to {self.task.classes - 1}, got {label:g}"
            )
        else:
            label = int(label)
        self._add_training_point(args["x"], args["y"], label)
        self.added += 1
        return [self.state_message(), self.data_message()]

    def _on_upload(self, args: dict[str, Any]) -> list[Reply]:
        name = os.path.basename(args["name"]) or "upload.csv"
        X, y, note = parse_csv(args["text"], name, self.limits.max_points)
        self.uploaded, self.added = f"uploaded: {name} ({len(X)} points)", 0
        problem = "regression" if y.dtype.kind == "f" else "classification"
        self.settings = {**self.settings, "problem": problem}
        order = np.random.default_rng(self.settings["seed"]).permutation(len(X))
        self._set_data(X[order], y[order], Task.for_labels(y))
        replies: list[Reply] = [self.state_message(), self.data_message()]
        if note:
            replies.append({"type": "info", "message": note})
        return replies

    def _on_math(self, args: dict[str, Any]) -> list[Reply]:
        self.playing = False
        self.step_target = None
        if "x" in args and "y" in args:
            distance = np.hypot(self.X_train[:, 0] - args["x"], self.X_train[:, 1] - args["y"])
            index = int(distance.argmin())
        else:
            index = int(np.random.default_rng().integers(len(self.X_train)))
        return [self.state_message(), self.math_message(index)]

    def _on_export(self, args: dict[str, Any]) -> list[Reply]:
        if args["what"] == "model":
            header = {
                "kind": "file",
                "name": "playground_model.safetensors",
                "mime": "application/octet-stream",
            }
            return [pack(header, self.model_bytes())]
        header = {"kind": "file", "name": "playground_experiment.py", "mime": "text/x-python"}
        return [pack(header, self.script().encode())]

    # ------------------------------------------------------------ what is sent

    def _data_name(self) -> str:
        s = self.settings
        name = s["regDataset"] if s["problem"] == "regression" else s["dataset"]
        if self.task.kind == "multiclass":
            name += f", {self.task.classes} classes"
        return f"{name} (noise {s['noise']}, seed {s['seed']})"

    def state_message(self) -> dict[str, Any]:
        """Everything the page shows apart from the data and the frames."""
        s = self.settings
        return {
            "type": "state",
            "settings": s,
            "query": self.query,
            "playing": self.playing,
            "task": self.task.as_dict(),
            "network": {
                "features": s["features"],
                "shape": s["networkShape"],
                "activations": s["activation"],
            },
            "custom": self.custom is not None,
            "dataName": ("Data: " + (self.custom or self._data_name())),
            "points": {"train": len(self.X_train), "test": len(self.X_test)},
        }

    def data_message(self) -> dict[str, Any]:
        """The points, rounded for the drawing: [x1, x2, label] each."""

        def rows(X: np.ndarray, y: np.ndarray) -> list[list[float]]:
            labels = y.round(3) if y.dtype.kind == "f" else y
            return np.column_stack([X.round(3), labels]).tolist()

        return {
            "type": "data",
            "train": rows(self.X_train, self.y_train),
            "test": rows(self.X_test, self.y_test),
        }

    def metrics(self) -> dict[str, Any]:
        """Losses, and for classification accuracy and the test confusion matrix."""
        train_loss, train_out = self.network.evaluate(self.F_train, self.T_train)
        test_loss, test_out = self.network.evaluate(self.F_test, self.T_test)
        result: dict[str, Any] = {
            "trainLoss": train_loss,
            "testLoss": test_loss,
            "trainAcc": None,
            "testAcc": None,
            "confusion": None,
        }
        if self.task.kind == "regression":
            return result
        k = self.task.classes

        def predicted(out: np.ndarray) -> np.ndarray:
            return (out[:, 0] >= 0).astype(np.int64) if k == 2 else out.argmax(axis=1)

        train_pred, test_pred = predicted(train_out), predicted(test_out)
        result["trainAcc"] = float((train_pred == self.y_train).mean())
        result["testAcc"] = float((test_pred == self.y_test).mean()) if len(test_pred) else None
        confusion = np.zeros((k, k), np.int64)
        np.add.at(confusion, (self.y_test, test_pred), 1)
        result["confusion"] = confusion.tolist()
        return result

    def frame(self) -> bytes:
        """One update for the page: numbers in a JSON header, heatmaps as bytes.

        Every map is GRID x GRID bytes (row 0 at x2 = +6): input features (only in the
        first frame after a reset: they never change), hidden neurons ("h{layer}.{i}")
        and outputs ("o.{i}"); see ``heatmap.js`` for the encodings.
        """
        self.seq += 1
        maps: list[list[str]] = []
        chunks: list[bytes] = []
        if not self.static_sent:
            for name, encoded in self._feature_maps.items():
                maps.append([name, "signed"])
                chunks.append(encoded)
            self.static_sent = True
        with np.errstate(over="ignore", invalid="ignore"):
            outputs = self.network.node_outputs(self.F_grid)
            metrics = self.metrics()
        # All hidden maps in one go: columns of (GRID * GRID, neurons) become rows of bytes.
        if len(outputs) > 1:
            hidden = np.concatenate(outputs[:-1], axis=1)
            chunks.append(_encode_signed(np.ascontiguousarray(hidden.T)))
            for layer, values in enumerate(outputs[:-1], start=1):
                maps.extend([f"h{layer}.{i}", "signed"] for i in range(values.shape[1]))
        out = outputs[-1]
        multiclass = self.task.kind == "multiclass"
        encode = _encode_prob if multiclass else _encode_signed
        chunks.append(encode(np.ascontiguousarray(out.T)))
        maps.extend([f"o.{i}", "prob" if multiclass else "signed"] for i in range(out.shape[1]))
        if self.playing and not math.isfinite(metrics["trainLoss"]):
            self.playing = False
            self.notices.append(
                "Training diverged (the loss is not a number): lower the learning rate and reset."
            )
        linears = self.network.linears
        header = {
            "kind": "frame",
            "seq": self.seq,
            "epoch": self.epoch,
            "epochs": self.epoch + self.position / max(len(self.order), 1),
            **{k: _finite_or_none(v) if isinstance(v, float) else v for k, v in metrics.items()},
            "health": self.network.health(self.F_train) if len(self.F_train) else [],
            "weights": [_rounded(lin.weight.numpy()) for lin in linears],
            "biases": [_rounded(lin.bias.numpy()) for lin in linears],
            "grid": GRID,
            "maps": maps,
            "playing": self.playing,
        }
        self.dirty = False
        return pack(header, b"".join(chunks), finite=True)

    def math_message(self, index: int) -> dict[str, Any]:
        """The forward and backward pass of training point ``index`` (see
        ``Network.trace``), with the settings the page explains it with."""
        s = self.settings
        label = self.y_train[index]
        trace = self.network.trace(self.F_train[index], label)
        point_label = float(label) if self.task.kind == "regression" else int(label)
        x1, x2 = self.X_train[index]
        return {
            "type": "math",
            "task": self.task.kind,
            "point": {"index": index, "x": float(x1), "y": float(x2), "label": point_label},
            "features": s["features"],
            "labels": {k: FEATURE_NAMES[k] for k in s["features"]},
            "lr": s["learningRate"],
            "batchSize": s["batchSize"],
            "optimizer": {"sgd": "SGD", "momentum": "momentum", "adam": "Adam"}[s["optimizer"]],
            "regularization": s["regularization"],
            **trace,
        }

    # ------------------------------------------------------------------ export

    def model_bytes(self) -> bytes:
        """The network's weights as a safetensors file (``chainrule.save``: PyTorch's key
        names), with the experiment's URL query in its metadata."""
        metadata = {
            "chainrule_playground_query": self.query,
            "features": ",".join(self.settings["features"]),
            "task": self.task.kind,
            "epoch": str(self.epoch),
        }
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "model.safetensors")
            cr.save(self.network.model.state_dict(), path, metadata=metadata)
            with open(path, "rb") as file:
                return file.read()

    def script(self) -> str:
        """A Python script that rebuilds and retrains this experiment with chainrule."""
        custom = (self.X, self.y, len(self.X_train)) if self.custom else None
        return export.script(self.settings, self.task, max(self.epoch, 1), custom)


# kind -> handler; "ack" is the server's (flow control), not the session's.
HANDLERS: dict[str, Callable[[Session, dict[str, Any]], list[Reply]]] = {
    "set": Session._on_set,
    "play": Session._on_play,
    "pause": Session._on_pause,
    "step": Session._on_step,
    "reset": Session._on_reset,
    "regenerate": Session._on_regenerate,
    "set_weight": Session._on_set_weight,
    "set_bias": Session._on_set_bias,
    "add_point": Session._on_add_point,
    "upload": Session._on_upload,
    "math": Session._on_math,
    "export": Session._on_export,
}


# -------------------------------------------------------------------- CSV upload


def parse_csv(text: str, name: str, max_points: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Points from an uploaded CSV text: two feature columns and a label column.

    Read with ``chainrule.data.load_csv`` (a header row is optional; the label column
    is the one named label/target/class/y, else the last). Labels that are all whole
    numbers, or text, are classes (2 to 5 of them); other numbers are regression
    targets. Points are scaled toward the origin to fit the plane [-6, 6]^2 if needed.

    Returns:
        (X float32 (n, 2), y int64 classes or float32 targets, a note for the user or "").

    Raises:
        SessionError: with a message naming what is wrong (columns, cells, classes, size).
    """
    if not text.strip():
        raise SessionError(f"{name} is empty: expected rows of x1,x2,label")
    rows = len(text.strip().splitlines())
    if rows > max_points + 1:  # (+1: a header row) refused before it is parsed
        raise SessionError(
            f"{name} has {rows} rows; this server takes at most {max_points} points (--max-points)"
        )
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "upload.csv")
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)

        def load(problem: str) -> tuple[np.ndarray, np.ndarray, Any]:
            try:
                return data.load_csv(path, problem=problem)
            except ValueError as error:
                message = str(error).replace(repr(path), name).replace(path, name)
                raise SessionError(message.replace("load_csv: ", "")) from None

        X, y, info = load("classification")
        notes = []
        if _all_numbers(info.class_names) and (
            len(info.class_names) > 5 or not _all_whole(info.class_names)
        ):
            X, y, info = load("regression")
            notes.append("the labels are numbers, not 2 to 5 classes: a regression problem")
    if X.shape[1] != 2:
        raise SessionError(
            f"{name} has {X.shape[1]} feature column{'s' if X.shape[1] != 1 else ''} "
            f"({', '.join(map(str, info.feature_names))}); the playground needs exactly two "
            "(x1, x2) and a label column"
        )
    if len(X) > max_points:
        raise SessionError(
            f"{name} has {len(X)} rows; this server takes at most {max_points} points "
            f"(--max-points)"
        )
    if len(X) < 4:
        raise SessionError(f"{name} has {len(X)} rows; at least 4 points are needed")
    if y.dtype.kind != "f":
        classes = len(info.class_names)
        if classes < 2:
            raise SessionError(f"{name}: every label is {info.class_names[0]!r}; need 2 classes")
        if classes > 5:
            raise SessionError(
                f"{name} has {classes} classes ({', '.join(map(str, info.class_names[:8]))}"
                f"{', ...' if classes > 8 else ''}); the playground shows at most 5"
            )
        if info.class_names != list(range(classes)):
            notes.append(
                "classes: " + ", ".join(f"{c} = {n}" for c, n in enumerate(info.class_names))
            )
    extent = float(np.abs(X).max())
    if extent > 6.0:
        X = X * (5.0 / extent)
        notes.append(f"points scaled by {5.0 / extent:.3g} to fit the plane [-6, 6]²")
    note = f"{name}: " + "; ".join(notes) if notes else ""
    return X.astype(np.float32), y, note


def _all_numbers(values: list[Any]) -> bool:
    for value in values:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            continue
        try:
            float(value)
        except (TypeError, ValueError):
            return False
    return True


def _all_whole(values: list[Any]) -> bool:
    return all(float(v).is_integer() for v in values)
