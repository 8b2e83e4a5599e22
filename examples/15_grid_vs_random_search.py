"""Grid search against random search for hyperparameters.

The course claims: a grid of n values per hyperparameter spends n^k trials but tries
only n distinct values of each. When one hyperparameter matters much more than the
others (here the learning rate; the hidden layer's width matters little), random search
with the same budget tries a new value of it on every trial, so it is more likely to
land near the best one (Bergstra and Bengio, 2012).

This script tunes the learning rate (0.003 to 3, log scale) and the hidden units (2 to
32) of a small network on the playground's circle data with ``chainrule.search``: a
3 x 3 grid and 9 random trials, scored by the validation loss; it prints both tables,
how many distinct values each search tried, and the best of each. (One run of each,
with fixed seeds: the advantage of random search holds on average, a single comparison
can go either way; with these seeds random search wins.)

    python examples/15_grid_vs_random_search.py [--quick]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import circle, train_test_split
from chainrule.search import SearchResult, grid_search, integer, log_uniform, random_search
from chainrule.train import evaluate, fit


class TrainFn:
    """One trial: train a 2 -> hidden -> 1 tanh network, score it on the validation set."""

    def __init__(self, epochs: int) -> None:
        X, y = circle(300, noise=0.1, seed=0)
        X, y = X / 6, y[:, None].astype(np.float32)
        self.X_train, self.X_val, self.y_train, self.y_val = train_test_split(
            X, y, test_size=0.5, seed=0
        )
        self.epochs = epochs

    def __call__(self, config: dict[str, Any], seed: int) -> dict[str, float]:
        cr.manual_seed(seed)
        hidden = config["hidden"]
        model = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        optimizer = optim.SGD(model.parameters(), lr=config["lr"])
        loss = nn.BCEWithLogitsLoss()
        fit(
            model,
            loss,
            optimizer,
            (self.X_train, self.y_train),
            self.epochs,
            16,
            verbose=0,
            seed=seed,
        )
        scores = evaluate(model, loss, (self.X_val, self.y_val), ["accuracy"])
        return {"val_loss": scores["loss"], "val_accuracy": scores["accuracy"]}


def report(name: str, result: SearchResult) -> float:
    print(f"{name} search:")
    print(result.to_markdown())
    distinct = {p: len({trial.config[p] for trial in result}) for p in result.params}
    best = result.best
    print(f"{name}: {len(result)} trials, distinct values tried: {distinct}")
    print(
        f"{name}: best validation loss {best.scores['val_loss']:.4f} at lr "
        f"{best.config['lr']:.3g}, hidden {best.config['hidden']}\n"
    )
    return best.scores["val_loss"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Grid against random hyperparameter search.")
    parser.add_argument("--quick", action="store_true", help="fewer epochs per trial")
    args = parser.parse_args(argv)
    train_fn = TrainFn(epochs=30 if args.quick else 60)
    options: dict[str, Any] = {"metric": "val_loss", "mode": "min", "executor": "sequential"}

    grid = grid_search({"lr": [0.003, 0.1, 3.0], "hidden": [2, 8, 32]}, train_fn, **options)
    space = {"lr": log_uniform(0.003, 3.0), "hidden": integer(2, 32)}
    randomly = random_search(space, train_fn, n_trials=9, seed=0, **options)
    grid_best = report("grid", grid)
    random_best = report("random", randomly)
    winner = "random" if random_best < grid_best else "grid"
    print(
        f"same budget of 9 trials: {winner} search found the lower validation loss "
        f"({min(grid_best, random_best):.4f} against {max(grid_best, random_best):.4f})"
    )


if __name__ == "__main__":
    main()
