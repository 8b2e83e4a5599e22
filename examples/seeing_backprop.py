"""Seeing backpropagation: a tour of chainrule.viz, top to bottom.

    python examples/seeing_backprop.py                          # the tables only
    python examples/seeing_backprop.py --out seeing_backprop/   # and the pictures

1. the course's sigmoid neuron, traced step by step and drawn with its gradients;
2. a network's graph, one node per layer;
3. training with TrainingDiagnostics watching every layer, then the curves and the
   decision boundary.

The pictures need matplotlib and Graphviz (pip install 'chainrule[plot]',
apt-get install graphviz); the tables print without them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import synthetic
from chainrule.train import fit
from chainrule.viz import (
    TrainingDiagnostics,
    explain,
    graph,
    plot_decision_boundary,
    plot_gradient_norms,
    plot_history,
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A tour of chainrule.viz.")
    parser.add_argument("--quick", action="store_true", help="fewer training epochs")
    parser.add_argument("--out", type=Path, help="a directory to write the pictures to")
    args = parser.parse_args(argv)
    out: Path | None = args.out
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)

    # 1. The sigmoid neuron f = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))), gate by gate.
    w = cr.tensor([2.0, -3.0, -3.0], dtype=cr.float64, requires_grad=True)
    x = cr.tensor([-1.0, -2.0], dtype=cr.float64, requires_grad=True)
    f = 1 / (1 + (-(w[0] * x[0] + w[1] * x[1] + w[2])).exp())
    print(explain(f, {"w": w, "x": x}))  # df/dw = (-0.20, -0.39, 0.20), df/dx = (0.39, -0.59)
    if out is not None:
        graph(f, {"w": w, "x": x}, title="the sigmoid neuron").save(out / "neuron.svg")

    # 2. A network: its graph collapses to one node per layer.
    cr.manual_seed(0)
    X, y = synthetic.spiral(300, noise=0.05, seed=0)
    model = nn.Sequential(
        nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2)
    )
    loss = nn.CrossEntropyLoss()(model(cr.tensor(X)), cr.tensor(y))
    if out is not None:
        graph(loss, model, rankdir="TB").save(out / "network.svg")
    loss.backward()
    if out is not None:
        plot_gradient_norms(model, out=out / "gradient_norms.png")

    # 3. Train with the diagnostics watching (they print advice if a layer misbehaves).
    diagnostics = TrainingDiagnostics()
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    history = fit(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        (X, y),
        epochs=30 if args.quick else 200,
        verbose=0,
        validation_split=0.2,
        metrics=["accuracy"],
        callbacks=[diagnostics],
        seed=0,
    )
    print(diagnostics.summary())
    print(f"spiral: validation accuracy {history['val_accuracy'][-1]:.0%}")
    if out is not None:
        plot_history(history, out=out / "history.png")
        plot_decision_boundary(model, X, y, title="spiral", out=out / "boundary.png")
        print(f"pictures written to {out}/")


if __name__ == "__main__":
    main()
