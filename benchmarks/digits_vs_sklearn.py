"""The digits data set: chainrule against scikit-learn's ``MLPClassifier``, same settings.

Every peer trains the same network with the same schedule on the same split of
scikit-learn's 8x8 digits (1797 images, 64 pixels, 10 classes), standardized with the
training part's statistics, for a fixed number of epochs (no early stopping, no
tolerance-based stop), reshuffling every epoch. Two settings:

* ``sgd``: 64-64-10 ReLU, SGD with classical momentum 0.9 (not Nesterov), constant
  learning rate 0.01, mini-batches of 32.
* ``adam``: ``MLPClassifier``'s defaults: 64-100-10 ReLU, Adam (lr 1e-3, betas 0.9 and
  0.999, eps 1e-8), mini-batches of min(200, n) = 200.

In both, as in ``MLPClassifier``:

* softmax cross-entropy (scikit-learn's log-loss);
* L2 penalty alpha = 1e-4 on the weights only, in scikit-learn's convention: each
  batch adds (alpha / 2) ||W||^2 / batch_size to the loss, so chainrule adds
  ``l2_penalty(weights, alpha / batch_size, half=True)`` (scikit-learn divides by the
  actual size of a short last batch; chainrule by the nominal one: a negligible
  difference);
* initialization as scikit-learn's for ReLU: weights and biases uniform in
  +- sqrt(6 / (fan_in + fan_out)).

scikit-learn's SGD update ``v = momentum * v - lr * g; w += v`` and PyTorch's (which
chainrule follows) ``b = momentum * b + g; w -= lr * b`` are the same sequence of
weights for a constant learning rate. The two Adams differ only in where epsilon sits
(scikit-learn folds the bias corrections into the step size).

Rows: scikit-learn's ``fit``; chainrule's ``fit`` (``chainrule.train.fit``: batching,
shuffling, loss bookkeeping), and the same with ``compile=True``; chainrule's explicit
loop (``zero_grad / forward / loss / backward / step``, no callbacks or metrics); the
same loop with the loss computation under ``chainrule.compile``; and the loop with the
whole step compiled (``chainrule.compile(objective, optimizer=...)``). Each run trains
from a new seed; runs of the peers are interleaved, after one warm-up run each.
Reported: test accuracy (median and range over runs), training time (median and
range), speed relative to scikit-learn (its median time over the peer's) and the
accuracy difference. NumPy's BLAS threads are not limited (all peers use the same
BLAS).

Usage::

    python benchmarks/digits_vs_sklearn.py [--runs 5] [--epochs 50] [--quick]
        [--settings sgd,adam] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # benchmark the working copy next to this script

ALPHA = 1e-4
TEST_SIZE = 0.25
SPLIT_SEED = 0


@dataclass(frozen=True)
class Setting:
    """One training configuration, applied identically by every peer."""

    name: str
    hidden: int
    solver: str  # "sgd" or "adam"
    lr: float
    momentum: float  # SGD only
    batch_size: int

    def describe(self) -> str:
        if self.solver == "sgd":
            rule = f"SGD lr {self.lr} momentum {self.momentum}"
        else:
            rule = f"Adam lr {self.lr}"
        return f"64-{self.hidden}-10 ReLU, {rule}, batch {self.batch_size}, L2 alpha {ALPHA}"


SETTINGS = {
    "sgd": Setting("sgd", hidden=64, solver="sgd", lr=0.01, momentum=0.9, batch_size=32),
    # MLPClassifier's defaults: hidden_layer_sizes=(100,), solver="adam",
    # learning_rate_init=1e-3, batch_size=min(200, n_samples).
    "adam": Setting("adam", hidden=100, solver="adam", lr=1e-3, momentum=0.0, batch_size=200),
}

Data = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def load_split() -> Data:
    """The digits, split 75/25 (stratified), standardized with the training statistics."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, stratify=y, random_state=SPLIT_SEED
    )
    scaler = StandardScaler().fit(X_train)
    return (
        scaler.transform(X_train).astype(np.float32),
        scaler.transform(X_test).astype(np.float32),
        y_train.astype(np.int64),
        y_test.astype(np.int64),
    )


def run_sklearn(setting: Setting, data: Data, epochs: int, seed: int) -> tuple[float, float]:
    """(seconds, test accuracy) of scikit-learn's MLPClassifier."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X_train, X_test, y_train, y_test = data
    clf = MLPClassifier(
        hidden_layer_sizes=(setting.hidden,),
        activation="relu",
        solver=setting.solver,
        alpha=ALPHA,
        batch_size=setting.batch_size,
        learning_rate="constant",
        learning_rate_init=setting.lr,
        momentum=setting.momentum if setting.solver == "sgd" else 0.9,
        nesterovs_momentum=False,
        max_iter=epochs,
        shuffle=True,
        tol=0.0,
        n_iter_no_change=epochs + 1,  # never stop early
        early_stopping=False,
        random_state=seed,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # "max_iter reached": intended
        clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    return seconds, float(clf.score(X_test, y_test))


def _chainrule_model(setting: Setting, seed: int) -> Any:
    """64-hidden-10 ReLU with scikit-learn's initialization."""
    import chainrule as cr
    from chainrule import nn

    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, setting.hidden), nn.ReLU(), nn.Linear(setting.hidden, 10))
    rng = np.random.default_rng(seed)
    for layer in (model[0], model[2]):
        bound = np.sqrt(6.0 / (layer.in_features + layer.out_features))
        layer.weight.data[...] = rng.uniform(-bound, bound, layer.weight.shape)
        layer.bias.data[...] = rng.uniform(-bound, bound, layer.bias.shape)
    return model


def _chainrule_optimizer(setting: Setting, model: Any) -> Any:
    """The setting's optimizer with PyTorch's update rule."""
    from chainrule import optim

    if setting.solver == "sgd":
        return optim.SGD(model.parameters(), lr=setting.lr, momentum=setting.momentum)
    return optim.Adam(model.parameters(), lr=setting.lr, betas=(0.9, 0.999), eps=1e-8)


def run_chainrule_fit(
    setting: Setting, data: Data, epochs: int, seed: int, compiled: bool = False
) -> tuple[float, float]:
    """(seconds, test accuracy) of chainrule.train.fit (optionally ``compile=True``)."""
    from chainrule import nn
    from chainrule.train import evaluate, fit

    X_train, X_test, y_train, y_test = data
    model = _chainrule_model(setting, seed)
    optimizer = _chainrule_optimizer(setting, model)
    start = time.perf_counter()
    fit(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        (X_train, y_train),
        epochs=epochs,
        batch_size=setting.batch_size,
        shuffle=True,
        seed=seed,
        verbose=0,
        # strength * sum w^2 with strength = alpha / (2 batch): gradient alpha / batch * w
        regularization={"l2": ALPHA / (2 * setting.batch_size)},
        compile=compiled,
    )
    seconds = time.perf_counter() - start
    return seconds, float(evaluate(model, None, (X_test, y_test), ["accuracy"])["accuracy"])


def _run_chainrule_loop(
    setting: Setting, data: Data, epochs: int, seed: int, compiled: bool, whole_step: bool = False
) -> tuple[float, float]:
    """(seconds, test accuracy) of the hand-written loop, optionally compiled (the loss,
    or with ``whole_step`` the whole training step)."""
    import chainrule as cr
    from chainrule import nn, optim

    X_train, X_test, y_train, y_test = data
    model = _chainrule_model(setting, seed)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = _chainrule_optimizer(setting, model)
    weights = optim.penalized_parameters(model)  # the weights, not the biases
    strength = ALPHA / setting.batch_size

    def objective(inputs: Any, targets: Any) -> Any:
        loss = loss_fn(model(inputs), targets)
        return loss + optim.l2_penalty(weights, strength, half=True)

    if compiled:
        objective = cr.compile(objective)  # one trace per batch shape (full, last)
    train_step = cr.compile(objective, optimizer=optimizer) if whole_step else None
    rng = np.random.default_rng(seed)
    n, batch = X_train.shape[0], setting.batch_size
    start = time.perf_counter()
    model.train()
    for _ in range(epochs):
        order = rng.permutation(n)
        X_epoch, y_epoch = X_train[order], y_train[order]
        for i in range(0, n, batch):
            inputs = cr.from_numpy(X_epoch[i : i + batch])
            targets = cr.from_numpy(y_epoch[i : i + batch])
            if train_step is not None:
                train_step(inputs, targets)  # forward, backward and update
                continue
            optimizer.zero_grad()
            loss = objective(inputs, targets)
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with cr.no_grad():
        predicted = model(cr.Tensor(X_test)).numpy().argmax(axis=1)
    return seconds, float((predicted == y_test).mean())


def run_chainrule_loop(setting: Setting, data: Data, epochs: int, seed: int) -> tuple[float, float]:
    """(seconds, test accuracy) of the explicit eager loop."""
    return _run_chainrule_loop(setting, data, epochs, seed, compiled=False)


def run_chainrule_compiled(
    setting: Setting, data: Data, epochs: int, seed: int
) -> tuple[float, float]:
    """(seconds, test accuracy) of the explicit loop with a compiled loss."""
    return _run_chainrule_loop(setting, data, epochs, seed, compiled=True)


def run_chainrule_step(setting: Setting, data: Data, epochs: int, seed: int) -> tuple[float, float]:
    """(seconds, test accuracy) of the loop with the whole training step compiled."""
    return _run_chainrule_loop(setting, data, epochs, seed, compiled=False, whole_step=True)


def run_chainrule_fit_compiled(
    setting: Setting, data: Data, epochs: int, seed: int
) -> tuple[float, float]:
    """(seconds, test accuracy) of chainrule.train.fit(compile=True)."""
    return run_chainrule_fit(setting, data, epochs, seed, compiled=True)


REFERENCE = "scikit-learn MLPClassifier"
PEERS: dict[str, Callable[[Setting, Data, int, int], tuple[float, float]]] = {
    REFERENCE: run_sklearn,
    "chainrule fit": run_chainrule_fit,
    "chainrule fit, compile=True": run_chainrule_fit_compiled,
    "chainrule explicit loop": run_chainrule_loop,
    "chainrule compiled loop": run_chainrule_compiled,
    "chainrule compiled step": run_chainrule_step,
}


def measure(
    setting: Setting, data: Data, epochs: int, runs: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Times and accuracies of every peer: one warm-up run each, then interleaved runs."""
    for peer in PEERS.values():  # warm-up: imports, caches
        peer(setting, data, 1, 1000)
    times: dict[str, list[float]] = {name: [] for name in PEERS}
    accuracies: dict[str, list[float]] = {name: [] for name in PEERS}
    for run in range(runs):
        for name, peer in PEERS.items():
            seconds, accuracy = peer(setting, data, epochs, run)
            times[name].append(seconds)
            accuracies[name].append(accuracy)
    return times, accuracies


def table_rows(
    times: dict[str, list[float]], accuracies: dict[str, list[float]]
) -> list[list[str]]:
    """The result table, header first."""
    reference_time = statistics.median(times[REFERENCE])
    reference_accuracy = statistics.median(accuracies[REFERENCE])
    rows = [
        [
            "peer",
            "test accuracy (median, range)",
            "train time s (median, range)",
            "speed vs sklearn",
            "accuracy - sklearn",
        ]
    ]
    for name in PEERS:
        t, a = times[name], accuracies[name]
        median_t, median_a = statistics.median(t), statistics.median(a)
        rows.append(
            [
                name,
                f"{median_a:.4f} ({min(a):.4f}-{max(a):.4f})",
                f"{median_t:.3f} ({min(t):.3f}-{max(t):.3f})",
                f"{reference_time / median_t:.2f}x",
                f"{median_a - reference_accuracy:+.4f}",
            ]
        )
    return rows


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |"]
    lines.append("|" + "|".join([":---"] + ["---:"] * (len(rows[0]) - 1)) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per peer (default 5)")
    parser.add_argument("--epochs", type=int, default=50, help="epochs per run (default 50)")
    parser.add_argument("--quick", action="store_true", help="3 runs of 20 epochs")
    parser.add_argument("--settings", default="sgd,adam", help="comma-separated subset of sgd,adam")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write markdown")
    args = parser.parse_args(argv)
    runs, epochs = (3, 20) if args.quick else (args.runs, args.epochs)
    names = [name for name in args.settings.split(",") if name]
    unknown = [name for name in names if name not in SETTINGS]
    if unknown or not names:
        parser.error(f"--settings: unknown {unknown or 'empty list'}; choose from {list(SETTINGS)}")

    import sklearn

    data = load_split()
    environment = (
        f"Python {platform.python_version()}, NumPy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, {os.cpu_count()} CPUs"
        + "".join(
            f", {key}={os.environ[key]}"
            for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
            if key in os.environ
        )
    )
    header = (
        f"digits: {data[0].shape[0]} training / {data[1].shape[0]} test images; "
        f"{epochs} epochs; {runs} runs per peer (+1 warm-up)"
    )
    print(header)
    print(environment)

    markdown = [
        "### Digits: chainrule against scikit-learn's MLPClassifier",
        "",
        "Command: `python benchmarks/digits_vs_sklearn.py "
        + " ".join(
            Path(a).name if "/" in a else a for a in (sys.argv[1:] if argv is None else argv)
        )
        + "`",
        "",
        f"{header}. {environment}.",
        "",
    ]
    for name in names:
        setting = SETTINGS[name]
        times, accuracies = measure(setting, data, epochs, runs)
        rows = table_rows(times, accuracies)
        title = f"Setting `{name}`: {setting.describe()}"
        print(f"\n{title}\n")
        print(text_table(rows))
        markdown += [f"**{title}**", "", markdown_table(rows), ""]

    if args.markdown is not None:
        args.markdown.write_text("\n".join(markdown), encoding="utf-8")
        print(f"\nMarkdown written to {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
