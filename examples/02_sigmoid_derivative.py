"""The sigmoid's derivative is sigma'(x) = sigma(x) (1 - sigma(x)).

The course claims: the logistic sigmoid sigma(x) = 1 / (1 + e^-x) has the derivative
sigma(x) (1 - sigma(x)), so the backward pass can compute it from the forward output
alone, and it is at most 1/4 (at x = 0).

This script computes sigma'(x) on a grid of x, in float64, four ways: by chainrule's
backward pass through its sigmoid op (whose backward rule is the formula), by the
backward pass through the gates 1 / (1 + exp(-x)) (the chain rule finds the identity on
its own), by the formula, and by central differences (sigma(x+h) - sigma(x-h)) / 2h; it
prints a few rows and the largest disagreements.

    python examples/02_sigmoid_derivative.py [--out sigmoid.png]
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="sigma'(x) = sigma(x)(1 - sigma(x)), checked.")
    parser.add_argument("--quick", action="store_true", help="fewer grid points")
    parser.add_argument("--out", help="draw sigma and the three derivatives to this PNG")
    args = parser.parse_args(argv)

    x = cr.linspace(-8.0, 8.0, 33 if args.quick else 1601, dtype=cr.float64).requires_grad_()
    s = x.sigmoid()
    # sigmoid acts elementwise, so d(sum sigma(x))/dx_i = sigma'(x_i): one backward pass.
    (autograd,) = cr.autograd.grad(s.sum(), x)
    autograd = autograd.numpy()
    # The same function as four gates: negate, exp, add 1, invert.
    (gates,) = cr.autograd.grad((1 / (1 + (-x).exp())).sum(), x)
    gates = gates.numpy()

    sigma = s.detach().numpy()
    formula = sigma * (1 - sigma)

    h = 1e-5
    with cr.no_grad():
        finite = ((x + h).sigmoid() - (x - h).sigmoid()).numpy() / (2 * h)

    print(f"{'x':>6} {'sigmoid op':>12} {'gates':>12} {'formula':>12} {'finite diff':>12}")
    for value in (-8.0, -4.0, -1.0, 0.0, 1.0, 4.0, 8.0):
        i = int(np.argmin(np.abs(x.detach().numpy() - value)))
        row = " ".join(f"{column[i]:12.8f}" for column in (autograd, gates, formula, finite))
        print(f"{value:6.1f} {row}")
    print(f"max |sigmoid op - formula|     = {np.max(np.abs(autograd - formula)):.1e}")
    print(f"max |gates - formula|          = {np.max(np.abs(gates - formula)):.1e}")
    print(f"max |sigmoid op - finite diff| = {np.max(np.abs(autograd - finite)):.1e}")
    print(f"largest slope sigma'(0) = {autograd.max():.4f} (= 1/4)")
    agree = (
        np.allclose(autograd, formula, rtol=0, atol=1e-15)
        and np.allclose(gates, formula, rtol=0, atol=1e-15)
        and np.allclose(autograd, finite, rtol=0, atol=1e-9)
    )
    print("the identity holds:", "yes" if agree else "NO")

    if args.out:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4), layout="constrained")
        ax = fig.add_subplot()
        grid = x.detach().numpy()
        ax.plot(grid, sigma, label="sigma(x)")
        ax.plot(grid, autograd, lw=4, alpha=0.4, label="sigma'(x), autograd")
        ax.plot(grid, gates, "-.", label="autograd through the gates")
        ax.plot(grid, formula, "--", label="sigma(x)(1 - sigma(x))")
        ax.plot(grid, finite, ":", label="finite differences")
        ax.set_xlabel("x")
        ax.legend()
        fig.savefig(args.out)
        print(f"picture written to {args.out}")


if __name__ == "__main__":
    main()
