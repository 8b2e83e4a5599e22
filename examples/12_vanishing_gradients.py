"""Vanishing gradients: with sigmoid units, the first layers' gradient shrinks with depth.

The course claims: backpropagation multiplies the gradient, layer by layer, by each
layer's weights and by the activation's slope. The sigmoid's slope is at most 1/4, so
through many sigmoid layers the gradient reaching the first layers shrinks roughly
geometrically with depth, and those layers barely learn. ReLU's slope is 1 where it is
active, which is why deep networks use it (with He initialization, which doubles the
weights' variance to make up for the half of the units ReLU switches off).

This script builds networks of 1 to 16 hidden layers of 32 units (Glorot-uniform
weights), runs one batch forward and backward, and prints the gradient norm of the
first layer's weights for sigmoid units, ReLU units, and ReLU units with He-uniform
weights, and the per-layer norms of the deepest sigmoid network.

    python examples/12_vanishing_gradients.py [--quick] [--out gradients.png]
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
from chainrule import nn

WIDTH = 32


def deep_network(depth: int, activation: type[nn.Module], he: bool = False) -> nn.Sequential:
    """``depth`` hidden layers of WIDTH units; Glorot-uniform weights, or He-uniform."""
    layers: list[nn.Module] = [nn.Linear(2, WIDTH), activation()]
    for _ in range(depth - 1):
        layers += [nn.Linear(WIDTH, WIDTH), activation()]
    model = nn.Sequential(*layers, nn.Linear(WIDTH, 2))
    if he:
        for layer in list(model)[:-1]:
            if isinstance(layer, nn.Linear):
                nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
    return model


def layer_gradient_norms(model: nn.Sequential, X: cr.Tensor, y: cr.Tensor) -> list[float]:
    """The norm of each Linear layer's weight gradient after one backward pass."""
    model.zero_grad()
    nn.CrossEntropyLoss()(model(X), y).backward()
    return [
        float(np.linalg.norm(layer.weight.grad.numpy()))
        for layer in model
        if isinstance(layer, nn.Linear)
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Vanishing gradients in deep sigmoid networks.")
    parser.add_argument("--quick", action="store_true", help="fewer depths")
    parser.add_argument("--out", help="draw the gradient norm against depth to this PNG")
    args = parser.parse_args(argv)
    depths = [1, 2, 4, 8] if args.quick else [1, 2, 4, 6, 8, 12, 16]

    cr.manual_seed(0)
    X = cr.randn(256, 2)
    y = (X[:, 0] * X[:, 1] > 0).long()

    kinds = {"sigmoid": (nn.Sigmoid, False), "relu": (nn.ReLU, False), "relu, He": (nn.ReLU, True)}
    first: dict[str, list[float]] = {name: [] for name in kinds}
    print("norm of the first layer's weight gradient:")
    print(f"{'hidden layers':>14} " + " ".join(f"{name:>10}" for name in kinds))
    for depth in depths:
        for name, (activation, he) in kinds.items():
            cr.manual_seed(depth)
            model = deep_network(depth, activation, he)
            first[name].append(layer_gradient_norms(model, X, y)[0])
        print(f"{depth:14d} " + " ".join(f"{first[name][-1]:10.2e}" for name in kinds))
    ratio = first["sigmoid"][0] / first["sigmoid"][-1]
    print(
        f"sigmoid: {depths[-1]} hidden layers have a first-layer gradient {ratio:.0e} times"
        " smaller than 1 hidden layer"
    )

    cr.manual_seed(depths[-1])
    norms = layer_gradient_norms(deep_network(depths[-1], nn.Sigmoid), X, y)
    print(f"per layer, {depths[-1]} sigmoid layers (input side first):")
    print("  " + " ".join(f"{n:.1e}" for n in norms))

    if args.out:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4), layout="constrained")
        ax = fig.add_subplot()
        for name, values in first.items():
            ax.plot(depths, values, marker="o", label=name)
        ax.set_yscale("log")
        ax.set_xlabel("hidden layers")
        ax.set_ylabel("|dL/dW| of the first layer")
        ax.legend()
        fig.savefig(args.out)
        print(f"picture written to {args.out}")


if __name__ == "__main__":
    main()
