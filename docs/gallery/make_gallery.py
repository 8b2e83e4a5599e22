"""Regenerate the pictures of docs/gallery/ (see README.md there).

    python docs/gallery/make_gallery.py            # writes next to this file
    python docs/gallery/make_gallery.py --out /tmp/gallery

Needs matplotlib, the graphviz Python package and Graphviz's ``dot`` program
(``pip install 'chainrule[plot]'``, ``apt-get install graphviz``). Everything is
seeded, so the pictures come out the same on every run. Takes about ten seconds.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import chainrule as cr
from chainrule import nn, optim
from chainrule.data import synthetic
from chainrule.train import History, fit
from chainrule.viz import explain, graph
from chainrule.viz.plots import (
    new_figure,
    plot_activations,
    plot_decision_boundary,
    plot_gradient_norms,
    plot_history,
    save_figure,
)

HERE = Path(__file__).resolve().parent


def circuit(out: Path) -> None:
    """f = (x + y) z at x=-2, y=5, z=-4, with q = x + y named as on the slide."""
    x, y, z = (cr.tensor(v, dtype=cr.float64, requires_grad=True) for v in (-2.0, 5.0, -4.0))
    q = x + y
    f = q * z
    names = {"x": x, "y": y, "z": z, "q": q}
    drawing = graph(f, names, title="f = (x + y) z")
    drawing.save(out / "circuit.svg")
    (out / "circuit_explain.txt").write_text(str(explain(f, names)) + "\n", encoding="utf-8")


def sigmoid_neuron(out: Path) -> None:
    """The sigmoid neuron 1/(1+exp(-(w0 x0 + w1 x1 + w2))), gate by gate."""
    values = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
    t = {name: cr.tensor(v, dtype=cr.float64, requires_grad=True) for name, v in values.items()}
    f = 1 / (1 + (-(t["w0"] * t["x0"] + t["w1"] * t["x1"] + t["w2"])).exp())
    drawing = graph(f, t, title="f = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2)))")
    drawing.save(out / "sigmoid_neuron.svg")
    (out / "sigmoid_neuron_explain.txt").write_text(str(explain(f, t)) + "\n", encoding="utf-8")


def mlp(hidden: list[int], activation: str, outputs: int = 2) -> nn.Sequential:
    """Linear, activation, ..., Linear."""
    layers: list[nn.Module] = []
    width = 2
    for size in hidden:
        layers += [nn.Linear(width, size), nn.get_activation(activation)]
        width = size
    layers.append(nn.Linear(width, outputs))
    return nn.Sequential(*layers)


def train(
    model: nn.Module, data: tuple[Any, Any], epochs: int, lr: float, **options: Any
) -> History:
    """Adam on cross-entropy, quietly."""
    optimizer = optim.Adam(model.parameters(), lr=lr)
    return fit(
        model, nn.CrossEntropyLoss(), optimizer, data, epochs=epochs, verbose=0, seed=0, **options
    )


def network_graph(out: Path) -> None:
    """A whole MLP, one node per layer, and every op with the layers framed."""
    cr.manual_seed(0)
    X, y = synthetic.xor(64, seed=0)
    model = mlp([8, 8], "tanh")
    inputs, targets = cr.tensor(X), cr.tensor(y)
    loss = nn.CrossEntropyLoss()(model(inputs), targets)
    drawing = graph(
        loss,
        model,
        names={"x": inputs},
        rankdir="TB",
        title="MLP 2-8-8-2 on a batch of 64 (one node per layer)",
    )
    drawing.save(out / "mlp_collapsed.svg")
    expanded = graph(
        loss,
        model,
        names={"x": inputs},
        collapse=False,
        rankdir="TB",
        title="The same graph, every op (layers framed)",
    )
    expanded.save(out / "mlp_expanded.svg")


def xor_boundary(out: Path) -> None:
    cr.manual_seed(0)
    X, y = synthetic.xor(400, noise=0.1, seed=0)
    model = mlp([8, 8], "tanh")
    train(model, (X, y), epochs=60, lr=0.02)
    plot_decision_boundary(
        model, X, y, title="XOR: 2-8-8-2 tanh network, 60 epochs", out=out / "xor_boundary.png"
    )


def spiral_tanh_vs_relu(out: Path) -> None:
    """The same network and training, two activations: smooth vs piecewise-linear regions."""
    X, y = synthetic.spiral(500, seed=0)
    fig = new_figure(11, 5.2)
    axes = fig.subplots(1, 2)
    for ax, activation in zip(axes, ["tanh", "relu"]):
        cr.manual_seed(0)
        model = mlp([16, 16, 16], activation)
        history = train(model, (X, y), epochs=200, lr=0.01)
        accuracy = _accuracy(model, X, y)
        title = f"{activation}: loss {history['loss'][-1]:.3f}, accuracy {accuracy:.0%}"
        plot_decision_boundary(model, X, y, ax=ax, title=title)
    fig.suptitle("Spiral, 2-16-16-16-2 network, Adam, 200 epochs: tanh vs ReLU", fontsize=13)
    save_figure(fig, out / "spiral_tanh_vs_relu.png")


def overfitting(out: Path) -> None:
    """Too big a network on too few noisy points: validation loss turns back up."""
    cr.manual_seed(0)
    X, y = synthetic.circle(120, noise=0.35, seed=1)
    model = mlp([64, 64], "relu")
    history = train(
        model,
        (X, y),
        epochs=150,
        lr=0.003,
        batch_size=16,
        validation_split=0.5,
        metrics=["accuracy"],
    )
    plot_history(
        history,
        title="2-64-64-2 ReLU on 60 noisy circle points: overfitting",
        out=out / "overfitting.png",
    )


def vanishing_gradients(out: Path) -> None:
    """Gradient norm per layer in a deep sigmoid network and the same with ReLU."""
    X, y = synthetic.circle(256, seed=0)
    fig = new_figure(12, 4.2)
    axes = fig.subplots(1, 2, sharey=True)
    for ax, activation in zip(axes, ["sigmoid", "relu"]):
        cr.manual_seed(0)
        model = mlp([16] * 8, activation)
        loss = nn.CrossEntropyLoss()(model(cr.tensor(X)), cr.tensor(y))
        loss.backward()
        plot_gradient_norms(model, title=f"8 hidden {activation} layers", ax=ax)
    fig.suptitle("Weight gradient norm per layer, at initialization (first layer on the left)")
    save_figure(fig, out / "gradient_norms.png")


def diagnostics(out: Path) -> None:
    """What TrainingDiagnostics prints when a huge learning rate kills the ReLUs."""
    import contextlib
    import io

    from chainrule.viz.diagnostics import TrainingDiagnostics

    cr.manual_seed(0)
    X, y = synthetic.circle(200, seed=0)
    model = mlp([16, 16], "relu")
    watcher = TrainingDiagnostics()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        fit(
            model,
            nn.CrossEntropyLoss(),
            optim.SGD(model.parameters(), lr=5.0),
            (X, y),
            epochs=5,
            verbose=0,
            seed=0,
            callbacks=[watcher],
        )
    text = printed.getvalue() + "\n" + watcher.summary() + "\n"
    (out / "diagnostics_dying_relu.txt").write_text(text, encoding="utf-8")


def _accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with cr.no_grad():
        predicted = model(cr.tensor(X)).numpy().argmax(axis=1)
    return float(np.mean(predicted == y))


PICTURES: dict[str, Callable[[Path], object]] = {
    "circuit": circuit,
    "sigmoid_neuron": sigmoid_neuron,
    "network_graph": network_graph,
    "activations": lambda out: plot_activations(out=out / "activations.png"),
    "xor_boundary": xor_boundary,
    "spiral_tanh_vs_relu": spiral_tanh_vs_relu,
    "overfitting": overfitting,
    "vanishing_gradients": vanishing_gradients,
    "diagnostics": diagnostics,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="the folder to write to")
    parser.add_argument("only", nargs="*", choices=[[], *PICTURES], help="pictures to make")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, make in PICTURES.items():
        if args.only and name not in args.only:
            continue
        make(args.out)
        print(f"made {name}")


if __name__ == "__main__":
    main()
