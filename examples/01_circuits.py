"""The course's two circuits, forward and backward, gate by gate.

The course claims: backpropagation is the chain rule applied node by node. In
f = (x + y) z at x = -2, y = 5, z = -4, the value is f = -12 and the gradients are
df/dx = -4, df/dy = -4, df/dz = 3 (the add gate distributes its upstream gradient, the
mul gate swaps its inputs' values). For the sigmoid neuron
f = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2))) at w = (2, -3, -3), x = (-1, -2), f = 0.73 and
df/dw = (-0.20, -0.39, 0.20), df/dx = (0.39, -0.59); and the whole sigmoid can be one
gate whose local gradient is (1 - f) f = 0.20.

This script builds both circuits with chainrule tensors, prints the backward pass as
a table (``chainrule.explain``) and checks the numbers.

    python examples/01_circuits.py [--out neuron.png]   # --out needs Graphviz
"""

from __future__ import annotations

import argparse

import chainrule as cr


def scalar(value: float) -> cr.Tensor:
    """A float64 leaf that records the gradient flowing into it."""
    return cr.tensor(value, dtype=cr.float64, requires_grad=True)


def first_circuit() -> None:
    x, y, z = scalar(-2.0), scalar(5.0), scalar(-4.0)
    q = x + y
    f = q * z
    print(cr.explain(f, {"x": x, "y": y, "z": z, "q": q}, title="f = (x + y) z"))
    f.backward()  # the same numbers, accumulated into .grad
    print(
        f"f = {f.item():g}   df/dx = {x.grad.item():g}   df/dy = {y.grad.item():g}"
        f"   df/dz = {z.grad.item():g}"
    )


def sigmoid_neuron(out: str | None) -> None:
    w0, w1, w2 = scalar(2.0), scalar(-3.0), scalar(-3.0)
    x0, x1 = scalar(-1.0), scalar(-2.0)
    names = {"w0": w0, "w1": w1, "w2": w2, "x0": x0, "x1": x1}

    # Gate by gate, as the course draws it: *, +, *-1, exp, +1, 1/x.
    f = 1 / (1 + (-(w0 * x0 + w1 * x1 + w2)).exp())
    print()
    print(cr.explain(f, names, title="f = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2)))"))
    if out:  # before backward(), which frees the graph
        cr.viz.graph(f, names, title="the sigmoid neuron").save(out)
        print(f"graph written to {out}")
    f.backward()
    print(f"f = {f.item():.2f}")
    print(f"df/dw = ({w0.grad.item():.2f}, {w1.grad.item():.2f}, {w2.grad.item():.2f})")
    print(f"df/dx = ({x0.grad.item():.2f}, {x1.grad.item():.2f})")

    # The sigmoid as a single gate: its local gradient is (1 - f) f.
    dot = w0 * x0 + w1 * x1 + w2
    g = dot.sigmoid()
    (d_dot,) = cr.autograd.grad(g, dot)
    print(
        f"one sigmoid gate: local gradient d f/d(dot) = {d_dot.item():.4f}"
        f" = (1 - f) f = {(1 - g.item()) * g.item():.4f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The course's two circuits, backward.")
    parser.add_argument("--quick", action="store_true", help="no effect: this is always quick")
    parser.add_argument("--out", help="draw the neuron's graph to this .png/.svg (needs Graphviz)")
    args = parser.parse_args(argv)
    first_circuit()
    sigmoid_neuron(args.out)


if __name__ == "__main__":
    main()
