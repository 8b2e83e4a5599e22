"""Training and validation curves: underfitting and overfitting.

The course claims: the validation loss tells what the training loss cannot. A model
too simple for the data underfits: training and validation losses both stay high. A
model with far more freedom than the data overfits: its training loss keeps falling
(it learns the noise) while the validation loss reaches a minimum and then rises; the
epoch of that minimum is where early stopping would stop.

This script fits 10 noisy samples of sin(x) with three models, a linear unit, 3 tanh
units, and two layers of 64 tanh units, using ``chainrule.train.fit`` with a validation
set of 200 fresh samples, and reads the curves from the returned ``History``.

    python examples/14_over_underfitting.py [--quick] [--out curves.png]
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.train import History, fit

NOISE = 0.3  # standard deviation of the noise: the best possible MSE is about 0.09


def noisy_sine(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-3, 3, (n, 1)).astype(np.float32)
    return x, (np.sin(x) + NOISE * rng.standard_normal((n, 1))).astype(np.float32)


def network(hidden: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = 1
    for units in hidden:
        layers += [nn.Linear(width, units), nn.Tanh()]
        width = units
    return nn.Sequential(*layers, nn.Linear(width, 1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Under- and overfitting, seen in the curves.")
    parser.add_argument("--quick", action="store_true", help="fewer epochs")
    parser.add_argument("--out", help="draw the three models' curves to this PNG")
    args = parser.parse_args(argv)
    epochs = 400 if args.quick else 1000

    rng = np.random.default_rng(0)
    train, validation = noisy_sine(10, rng), noisy_sine(200, rng)
    models = {"linear": [], "3 units": [3], "64 x 64 units": [64, 64]}
    histories: dict[str, History] = {}
    print(f"10 training points, {epochs} epochs of full-batch Adam; noise variance {NOISE**2:.2f}")
    for name, hidden in models.items():
        cr.manual_seed(0)
        model = network(hidden)
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        history = fit(
            model,
            nn.MSELoss(),
            optimizer,
            train,
            epochs,
            batch_size=10,
            validation_data=validation,
            verbose=0,
            seed=0,
        )
        histories[name] = history
        best_epoch, best = history.best("val_loss")
        print(
            f"{name:>14}: train loss {history['loss'][-1]:.3f}, validation loss "
            f"{history['val_loss'][-1]:.3f} (lowest {best:.3f} at epoch {best_epoch + 1})"
        )

    big = histories["64 x 64 units"]
    best_epoch, best = big.best("val_loss")
    print(
        f"64 x 64 units: after epoch {best_epoch + 1} the training loss fell from "
        f"{big['loss'][best_epoch]:.3f} to {big['loss'][-1]:.3f} while the validation loss "
        f"rose from {best:.3f} to {big['val_loss'][-1]:.3f}: overfitting"
    )
    linear = histories["linear"]
    print(
        f"linear: train {linear['loss'][-1]:.3f}, validation {linear['val_loss'][-1]:.3f}: both "
        f"above the noise's {NOISE**2:.2f}, and no better after epoch "
        f"{linear.best('val_loss')[0] + 1}: underfitting"
    )

    if args.out:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(12, 3.8), layout="constrained")
        for ax, (name, history) in zip(fig.subplots(1, 3, sharey=True), histories.items()):
            epochs_axis = np.arange(1, len(history) + 1)
            ax.plot(epochs_axis, history["loss"], label="training")
            ax.plot(epochs_axis, history["val_loss"], label="validation")
            ax.axhline(NOISE**2, color="gray", ls=":", label="noise variance")
            ax.set_yscale("log")
            ax.set_xlabel("epoch")
            ax.set_title(name)
            ax.legend()
        fig.savefig(args.out)
        print(f"picture written to {args.out}")


if __name__ == "__main__":
    main()
