"""The digits data set: chainrule's ``fit`` against scikit-learn's ``MLPClassifier``.

Both peers train the same network with the same schedule on the same split of
scikit-learn's 8x8 digits (1797 images, 64 pixels, 10 classes), standardized with the
training part's statistics:

* network 64-64-10, ReLU, softmax cross-entropy (scikit-learn's log-loss);
* SGD with classical momentum 0.9 (not Nesterov), constant learning rate 0.01,
  mini-batches of 32, reshuffled every epoch, a fixed number of epochs (no early
  stopping, no tolerance-based stop);
* L2 penalty alpha = 1e-4 on the weights only, in scikit-learn's convention: each
  batch adds (alpha / 2) ||W||^2 / batch_size to the loss, so chainrule adds
  ``l2_penalty(weights, alpha / batch_size, half=True)`` (scikit-learn divides by the
  actual size of a short last batch; chainrule by 32: a negligible difference);
* initialization as scikit-learn's: weights and biases uniform in
  +- sqrt(6 / (fan_in + fan_out)).

scikit-learn's update ``v = momentum * v - lr * g; w += v`` and PyTorch's (which
chainrule follows) ``b = momentum * b + g; w -= lr * b`` are the same sequence of
weights for a constant learning rate.

Three rows are timed: scikit-learn's ``fit``, chainrule's ``fit``, and chainrule's
explicit loop (``zero_grad / forward / loss / backward / step``, no callbacks or
metrics), which shows what ``fit``'s bookkeeping costs. Each run trains from a new
seed; runs of the peers are interleaved, after one warm-up run each. Reported: test
accuracy (median and range over runs) and training time (median and range), with
ratios to scikit-learn. NumPy's BLAS threads are not limited (both peers use the same
BLAS).

Usage::

    python benchmarks/digits_vs_sklearn.py [--runs 5] [--epochs 50] [--quick]
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
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # benchmark the working copy next to this script

HIDDEN = 64
LR = 0.01
MOMENTUM = 0.9
BATCH_SIZE = 32
ALPHA = 1e-4
TEST_SIZE = 0.25
SPLIT_SEED = 0


def load_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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


def run_sklearn(data: tuple[np.ndarray, ...], epochs: int, seed: int) -> tuple[float, float]:
    """(seconds, test accuracy) of scikit-learn's MLPClassifier."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X_train, X_test, y_train, y_test = data
    clf = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,),
        activation="relu",
        solver="sgd",
        alpha=ALPHA,
        batch_size=BATCH_SIZE,
        learning_rate="constant",
        learning_rate_init=LR,
        momentum=MOMENTUM,
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


def _chainrule_model(seed: int) -> Any:
    """64-64-10 ReLU with scikit-learn's initialization."""
    import chainrule as cr
    from chainrule import nn

    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))
    rng = np.random.default_rng(seed)
    for layer in (model[0], model[2]):
        bound = np.sqrt(6.0 / (layer.in_features + layer.out_features))
        layer.weight.data[...] = rng.uniform(-bound, bound, layer.weight.shape)
        layer.bias.data[...] = rng.uniform(-bound, bound, layer.bias.shape)
    return model


def run_chainrule_fit(data: tuple[np.ndarray, ...], epochs: int, seed: int) -> tuple[float, float]:
    """(seconds, test accuracy) of chainrule.train.fit."""
    from chainrule import nn, optim
    from chainrule.train import evaluate, fit

    X_train, X_test, y_train, y_test = data
    model = _chainrule_model(seed)
    loss = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    start = time.perf_counter()
    fit(
        model,
        loss,
        optimizer,
        (X_train, y_train),
        epochs=epochs,
        batch_size=BATCH_SIZE,
        shuffle=True,
        seed=seed,
        verbose=0,
        # strength * sum w^2 with strength = alpha / (2 batch): gradient alpha / batch * w
        regularization={"l2": ALPHA / (2 * BATCH_SIZE)},
    )
    seconds = time.perf_counter() - start
    return seconds, float(evaluate(model, None, (X_test, y_test), ["accuracy"])["accuracy"])


def run_chainrule_loop(data: tuple[np.ndarray, ...], epochs: int, seed: int) -> tuple[float, float]:
    """(seconds, test accuracy) of the hand-written loop on chainrule."""
    import chainrule as cr
    from chainrule import nn, optim

    X_train, X_test, y_train, y_test = data
    model = _chainrule_model(seed)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    weights = optim.penalized_parameters(model)  # the weights, not the biases
    rng = np.random.default_rng(seed)
    n = X_train.shape[0]
    start = time.perf_counter()
    model.train()
    for _ in range(epochs):
        order = rng.permutation(n)
        X_epoch, y_epoch = X_train[order], y_train[order]
        for i in range(0, n, BATCH_SIZE):
            inputs = cr.Tensor(X_epoch[i : i + BATCH_SIZE])
            targets = cr.Tensor(y_epoch[i : i + BATCH_SIZE])
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss = loss + optim.l2_penalty(weights, ALPHA / BATCH_SIZE, half=True)
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with cr.no_grad():
        predicted = model(cr.Tensor(X_test)).numpy().argmax(axis=1)
    return seconds, float((predicted == y_test).mean())


PEERS: dict[str, Callable[[tuple[np.ndarray, ...], int, int], tuple[float, float]]] = {
    "scikit-learn MLPClassifier": run_sklearn,
    "chainrule fit": run_chainrule_fit,
    "chainrule explicit loop": run_chainrule_loop,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per peer (default 5)")
    parser.add_argument("--epochs", type=int, default=50, help="epochs per run (default 50)")
    parser.add_argument("--quick", action="store_true", help="3 runs of 20 epochs")
    args = parser.parse_args(argv)
    runs, epochs = (3, 20) if args.quick else (args.runs, args.epochs)

    import sklearn

    data = load_split()
    print(
        f"digits: {data[0].shape[0]} training / {data[1].shape[0]} test images; "
        f"64-{HIDDEN}-10 ReLU, SGD lr {LR} momentum {MOMENTUM}, batch {BATCH_SIZE}, "
        f"L2 alpha {ALPHA}, {epochs} epochs; {runs} runs per peer (+1 warm-up)"
    )
    print(
        f"Python {platform.python_version()}, NumPy {np.__version__}, scikit-learn "
        f"{sklearn.__version__}, {os.cpu_count()} CPUs"
        + "".join(
            f", {key}={os.environ[key]}"
            for key in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
            if key in os.environ
        )
    )

    for peer in PEERS.values():  # warm-up: imports, caches
        peer(data, 1, 1000)
    times: dict[str, list[float]] = {name: [] for name in PEERS}
    accuracies: dict[str, list[float]] = {name: [] for name in PEERS}
    for run in range(runs):
        for name, peer in PEERS.items():
            seconds, accuracy = peer(data, epochs, run)
            times[name].append(seconds)
            accuracies[name].append(accuracy)

    reference = statistics.median(times["scikit-learn MLPClassifier"])
    ref_accuracy = statistics.median(accuracies["scikit-learn MLPClassifier"])
    header = (
        f"{'peer':<28}{'test accuracy (median, range)':>32}{'train time s (median, range)':>32}"
        f"{'time / sklearn':>16}{'acc - sklearn':>15}"
    )
    print()
    print(header)
    print("-" * len(header))
    for name in PEERS:
        t, a = times[name], accuracies[name]
        median_t, median_a = statistics.median(t), statistics.median(a)
        print(
            f"{name:<28}"
            f"{f'{median_a:.4f} ({min(a):.4f}-{max(a):.4f})':>32}"
            f"{f'{median_t:.3f} ({min(t):.3f}-{max(t):.3f})':>32}"
            f"{median_t / reference:>16.2f}"
            f"{median_a - ref_accuracy:>+15.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
