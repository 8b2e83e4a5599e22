"""The gradient of softmax + cross-entropy is f(x) - e(y).

The course claims: with class probabilities f(x) = softmax(x) and the loss
L = -log f_y(x), the gradient with respect to the pre-activations (logits) x is simply
f(x) - e(y), where e(y) is the one-hot vector of the true class y: the predicted
probabilities minus the target distribution. (With the mean over a batch of N, each
row is divided by N.)

This script computes the gradient by chainrule's backward pass twice: through the
gates softmax -> log -> pick the true class (no shortcut), and through the fused
``nn.functional.cross_entropy``; it compares both with softmax(x) - one_hot(y).

    python examples/05_softmax_cross_entropy.py [--quick]
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule as cr
from chainrule.nn import functional as F


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="softmax + cross-entropy: gradient f(x) - e(y).")
    parser.add_argument("--quick", action="store_true", help="no effect: this is always quick")
    parser.parse_args(argv)

    cr.manual_seed(0)
    batch, classes = 4, 3
    logits = cr.randn(batch, classes, dtype=cr.float64, requires_grad=True)
    labels = cr.tensor([0, 2, 1, 2])

    # 1. Gate by gate: probabilities, their logs, the true class's entry, summed over rows.
    probabilities = logits.softmax(dim=1)
    loss = -probabilities.log()[cr.arange(batch), labels].sum()
    (by_gates,) = cr.autograd.grad(loss, logits)

    # 2. The fused op (what nn.CrossEntropyLoss uses): a stable log-softmax inside.
    fused_loss = F.cross_entropy(logits, labels, reduction="sum")
    (fused,) = cr.autograd.grad(fused_loss, logits)

    # 3. The course's formula: f(x) - e(y).
    formula = probabilities.detach().numpy() - F.one_hot(labels, classes).numpy()

    np.set_printoptions(precision=4, suppress=True)
    print(f"labels y = {labels.tolist()}")
    print("probabilities f(x) = softmax(x):")
    print(probabilities.detach().numpy())
    print("gradient dL/dx through the gates:")
    print(by_gates.numpy())
    print("f(x) - e(y):")
    print(formula)
    print(f"loss: gates {loss.item():.6f}, fused {fused_loss.item():.6f}")
    print(f"max |gates - (f(x) - e(y))| = {np.max(np.abs(by_gates.numpy() - formula)):.1e}")
    print(f"max |fused - (f(x) - e(y))| = {np.max(np.abs(fused.numpy() - formula)):.1e}")

    # The mean over the batch divides every row by N.
    (mean_grad,) = cr.autograd.grad(F.cross_entropy(logits, labels), logits)
    print(
        f"with reduction='mean': max |grad - (f(x) - e(y)) / N| = "
        f"{np.max(np.abs(mean_grad.numpy() - formula / batch)):.1e}"
    )
    ok = np.allclose(by_gates.numpy(), formula, rtol=0, atol=1e-12) and np.allclose(
        fused.numpy(), formula, rtol=0, atol=1e-12
    )
    print("gradient = f(x) - e(y):", "yes" if ok else "NO")


if __name__ == "__main__":
    main()
