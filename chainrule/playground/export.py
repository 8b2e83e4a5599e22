"""The "Python script" export: a runnable script that rebuilds and retrains an experiment.

The script is plain chainrule, the same recipe as the playground's session: the data
set from ``chainrule.data`` (or the points themselves, for uploaded or clicked data),
the chosen features, ``chainrule.manual_seed(seed)`` before the layers are made, the
explicit training loop over a permutation drawn each epoch from
``numpy.random.default_rng(seed)``. Run with the same number of epochs, it ends with
the same weights and losses as the playground did (when nothing was changed by hand
during training: live learning-rate changes and edited weights are not recorded).

Example::

    >>> from chainrule.playground.state import defaults
    >>> from chainrule.playground.network import Task
    >>> source = script(defaults(), Task("binary", 2), epochs=5)
    >>> compile(source, "experiment.py", "exec") is not None
    True
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np

from chainrule.playground.network import Task
from chainrule.playground.state import to_query

__all__ = ["script"]

# Class names in chainrule.nn of the activations the page offers, and the output's.
_MODULES = {
    "relu": "nn.ReLU()",
    "tanh": "nn.Tanh()",
    "sigmoid": "nn.Sigmoid()",
    "linear": "nn.Identity()",
}
_OPTIMIZERS = {
    "sgd": "optim.SGD(model.parameters(), lr=LEARNING_RATE)",
    "momentum": "optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=0.9)",
    "adam": "optim.Adam(model.parameters(), lr=LEARNING_RATE)",
}
_PENALTIES = {
    "none": None,
    "L1": "optim.l1_penalty(model, REGULARIZATION_RATE)",
    "L2": "optim.l2_penalty(model, REGULARIZATION_RATE, half=True)",
}


def _layers(settings: dict[str, Any], task: Task) -> str:
    """The nn.Sequential's arguments, one per line."""
    sizes = [len(settings["features"]), *settings["networkShape"], task.outputs]
    lines = []
    for i, activation in enumerate(settings["activation"][: len(settings["networkShape"])]):
        lines.append(f"nn.Linear({sizes[i]}, {sizes[i + 1]}),")
        lines.append(f"{_MODULES[activation]},")
        if settings["dropout"] > 0:
            lines.append(f"nn.Dropout({settings['dropout']!r}),")
    lines.append(f"nn.Linear({sizes[-2]}, {sizes[-1]}),")
    if task.kind == "binary":
        lines.append("nn.Tanh(),  # output in [-1, 1]: the class is its sign")
    return "\n".join(lines)


def _data_code(settings: dict[str, Any], custom: tuple[np.ndarray, np.ndarray, int] | None) -> str:
    """Code that sets X, y and n_train (the first n_train points are for training)."""
    if custom is None:
        regression = settings["problem"] == "regression"
        name = settings["regDataset"] if regression else settings["dataset"]
        classes = f", classes={settings['classes']}" if name in ("blobs", "spirals") else ""
        return (
            "# The points come in random order: the first PERCENT_TRAIN % are for training.\n"
            f'X, y = data.GENERATORS["{name}"](noise={settings["noise"] / 100!r}, '
            f"seed=SEED{classes})\n"
            "n_train = max(1, min(len(X), round(len(X) * PERCENT_TRAIN / 100)))"
        )
    X, y, n_train = custom
    # Exact values (float32 -> Python float keeps every bit), so the run repeats exactly.
    rows = ",\n".join(f"    [{a!r}, {b!r}]" for a, b in X.astype(float).tolist())
    regression = y.dtype.kind == "f"
    values = y.astype(float).tolist() if regression else y.astype(int).tolist()
    labels = "\n".join(
        textwrap.wrap(
            ", ".join(map(repr, values)), 88, initial_indent="    ", subsequent_indent="    "
        )
    )
    return (
        "# Uploaded or hand-placed points, the training points first.\n"
        f"X = np.array([\n{rows}\n], dtype=np.float32)\n"
        f"y = np.array([\n{labels}\n], dtype={'np.float32' if regression else 'np.int64'})\n"
        f"n_train = {n_train}"
    )


def script(
    settings: dict[str, Any],
    task: Task,
    epochs: int,
    custom: tuple[np.ndarray, np.ndarray, int] | None = None,
) -> str:
    """The source of a script that retrains the experiment for ``epochs`` epochs.

    Args:
        settings: the session's settings.
        task: binary, multiclass or regression.
        epochs: the default number of epochs (``--epochs`` changes it).
        custom: the points (X, y, n_train) when the data is not generated from the
            settings: X (n, 2), y labels, training points first.
    """
    penalty = _PENALTIES[settings["regularization"]]
    penalty_line = (
        f"loss = loss + {penalty}  # {settings['regularization']} penalty, weights only"
        if penalty and settings["regularizationRate"] > 0
        else ""
    )
    if task.kind == "multiclass":
        loss, targets = "nn.CrossEntropyLoss()", "cr.tensor(labels.astype(np.int64))"
    else:
        loss = "nn.MSELoss(half=True)  # 1/2 (output - target)^2, averaged"
        value = "2.0 * labels - 1.0" if task.kind == "binary" else "labels"
        targets = f"cr.tensor(np.asarray({value}, np.float32).reshape(-1, 1))"
    accuracy = {
        "binary": "float(((out.numpy()[:, 0] >= 0) == (labels == 1)).mean())",
        "multiclass": "float((out.numpy().argmax(axis=1) == labels).mean())",
        "regression": "None",
    }[task.kind]
    body = f'''\
"""A chainrule playground experiment, rebuilt and retrained with chainrule.

Generated by `chainrule playground`; the page's settings were:
    ?{to_query(settings)}

Run:  python playground_experiment.py [--epochs N] [--save model.safetensors]
"""

import argparse

import numpy as np

import chainrule as cr
from chainrule import data, nn, optim

SEED = {settings["seed"]}
PERCENT_TRAIN = {settings["percTrainData"]}
FEATURES = {settings["features"]!r}
BATCH_SIZE = {settings["batchSize"]}
LEARNING_RATE = {settings["learningRate"]!r}
REGULARIZATION_RATE = {settings["regularizationRate"]!r}


def load_points():
{textwrap.indent(_data_code(settings, custom), "    ")}
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def targets(labels):
    """What the loss compares the output with."""
    return {targets}


def build_model():
    cr.manual_seed(SEED)  # the initial weights of the playground's run
    return nn.Sequential(
{textwrap.indent(_layers(settings, task), "        ")}
    )


def evaluate(model, loss_fn, inputs, labels):
    """(loss, accuracy) without dropout."""
    if len(inputs) == 0:
        return float("nan"), None
    model.eval()
    with cr.no_grad():
        out = model(cr.tensor(inputs))
        loss = loss_fn(out, targets(labels)).item()
        {"out = out.softmax(-1)" if task.kind == "multiclass" else "pass"}
    model.train()
    return loss, {accuracy}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default={epochs})
    parser.add_argument("--save", default=None, help="write the weights (safetensors) here")
    args = parser.parse_args()

    X_train, y_train, X_test, y_test = load_points()
    F_train = data.feature_map(X_train, FEATURES)
    F_test = data.feature_map(X_test, FEATURES)
    T_train = targets(y_train).numpy()

    model = build_model()
    loss_fn = {loss}
    optimizer = {_OPTIMIZERS[settings["optimizer"]]}
    shuffle = np.random.default_rng(SEED)  # the order of the mini-batches

    order = shuffle.permutation(len(F_train))
    for epoch in range(1, args.epochs + 1):
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            optimizer.zero_grad()
            loss = loss_fn(model(cr.tensor(F_train[batch])), cr.tensor(T_train[batch]))
            {penalty_line or "# (no regularization)"}
            loss.backward()
            optimizer.step()
        order = shuffle.permutation(len(F_train))
        train_loss, train_acc = evaluate(model, loss_fn, F_train, y_train)
        test_loss, test_acc = evaluate(model, loss_fn, F_test, y_test)
        line = f"epoch {{epoch}}  train loss {{train_loss!r}}  test loss {{test_loss!r}}"
        if train_acc is not None:
            line += f"  train accuracy {{train_acc:.3f}}  test accuracy {{test_acc}}"
        print(line)

    if args.save:
        cr.save(model.state_dict(), args.save)  # safetensors, PyTorch's key names
        print("saved", args.save)


if __name__ == "__main__":
    main()
'''
    return body
