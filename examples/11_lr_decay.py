"""Learning-rate decay a / (1 + d t) against a constant rate.

The course claims: with mini-batch SGD a large constant rate gets near the minimum fast
but then keeps bouncing around it (each mini-batch's gradient is noisy), a small
constant rate settles closer but takes long to get there, and a decaying rate
lr_t = a / (1 + d t) has both: large steps first, small steps later.

This script fits a linear model to noisy data with SGD on mini-batches of 4, with a
constant rate 0.1, a constant rate 0.01, and 0.1 / (1 + 0.5 t) per epoch t
(``optim.InverseTimeDecay``), and prints, per epoch, how far the training loss is above
the best possible (the least-squares solution's).

    python examples/11_lr_decay.py [--quick] [--out decay.png]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.train import Callback, evaluate, fit


class ExcessLoss(Callback):
    """After each epoch: the model's loss on the whole set minus the least-squares loss."""

    def __init__(self, model: nn.Module, X: np.ndarray, y: np.ndarray, best: float) -> None:
        super().__init__()
        self.model, self.data, self.best = model, (X, y), best
        self.values: list[float] = []

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.values.append(evaluate(self.model, nn.MSELoss(), self.data)["loss"] - self.best)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="a / (1 + d t) decay against constant rates.")
    parser.add_argument("--quick", action="store_true", help="fewer epochs")
    parser.add_argument("--out", help="draw the three curves to this PNG")
    args = parser.parse_args(argv)
    epochs = 8 if args.quick else 20

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5)).astype(np.float32)
    y = (X @ (3 * rng.standard_normal(5)) + 1 + rng.standard_normal(200)).astype(np.float32)
    y = y[:, None]
    A = np.hstack([X, np.ones((200, 1))]).astype(np.float64)  # inputs and a bias column
    solution = np.linalg.lstsq(A, y, rcond=None)[0]
    best = float(np.mean((A @ solution - y) ** 2))
    print(f"least-squares training loss: {best:.4f}; below, the loss above it per epoch")

    runs = {
        "constant 0.1": (0.1, None),
        "constant 0.01": (0.01, None),
        "0.1 / (1 + 0.5 t)": (0.1, 0.5),
    }
    shown = [e for e in (1, 2, 3, 5, 10, 15, 20) if e <= epochs]
    print(f"{'epoch':>18} " + " ".join(f"{e:>8d}" for e in shown))
    curves = {}
    for name, (lr, decay) in runs.items():
        cr.manual_seed(0)
        model = nn.Linear(5, 1)
        optimizer = optim.SGD(model.parameters(), lr=lr)
        schedule = optim.InverseTimeDecay(optimizer, decay) if decay else None
        excess = ExcessLoss(model, X, y, best)
        history = fit(
            model,
            nn.MSELoss(),
            optimizer,
            (X, y),
            epochs,
            4,
            verbose=0,
            seed=0,
            scheduler=schedule,
            callbacks=[excess],
        )
        curves[name] = excess.values
        print(f"{name:>18} " + " ".join(f"{excess.values[e - 1]:8.4f}" for e in shown))
        print(f"{'':>18}   (learning rate in the last epoch: {history['lr'][-1]:.4f})")
    ratio = curves["constant 0.1"][-1] / curves["0.1 / (1 + 0.5 t)"][-1]
    print(f"after {epochs} epochs the decayed rate is {ratio:.0f} times closer to the best loss")
    print("than the constant rate 0.1, and in the first epochs ahead of the constant rate 0.01")

    if args.out:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4), layout="constrained")
        ax = fig.add_subplot()
        for name, values in curves.items():
            ax.plot(np.arange(1, epochs + 1), values, marker=".", label=name)
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss - least-squares loss")
        ax.legend()
        fig.savefig(args.out)
        print(f"picture written to {args.out}")


if __name__ == "__main__":
    main()
