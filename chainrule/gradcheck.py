"""Gradient checking: compare backpropagation with finite differences.

For each input element x_i, the numerical derivative is the central difference

    (f(x + eps e_i) - f(x - eps e_i)) / (2 eps),

computed in float64, and it must match the analytical derivative from backward
within ``atol + rtol * |numerical|``. The check covers the whole Jacobian: every
output element with respect to every input element.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.autograd import grad as autograd_grad

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """Backpropagation and finite differences disagree."""


def gradcheck(
    fn: Callable[..., Tensor],
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check the gradients of ``fn`` at ``inputs`` against central differences.

    The inputs that require grad are checked; they are converted to float64 copies
    first, so ``fn`` is evaluated in double precision.

    Args:
        fn: a function of the inputs returning a tensor (of any shape).
        inputs: a tensor or a sequence of tensors (and other arguments, passed as is).
        eps: the step of the finite difference.
        atol, rtol: an element passes when |analytical - numerical| <= atol +
            rtol * |numerical|.
        raise_exception: raise ``GradcheckError`` on failure (default) instead of
            returning False.

    Returns:
        True when every element passes.

    Example::

        >>> x = chainrule.randn(3, 4, requires_grad=True)
        >>> chainrule.gradcheck(lambda x: (x * x).tanh().sum(), x)
        True
    """
    given = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    args: list[Any] = [
        Tensor(a.data.astype(np.float64), requires_grad=a.requires_grad)
        if isinstance(a, Tensor) and a.dtype.kind == "f"
        else a
        for a in given
    ]
    checked = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not checked:
        raise ValueError("gradcheck(): no input requires grad, so there is nothing to check")

    output = fn(*args)
    if not isinstance(output, Tensor):
        raise TypeError(f"gradcheck(): fn must return a Tensor, got {type(output).__name__}")
    out_size = output.data.size

    # Analytical Jacobian, one row per output element: backward with a one-hot gradient.
    analytical = {i: np.zeros((out_size, args[i].data.size)) for i in checked}
    for row in range(out_size):
        one_hot = np.zeros(out_size)
        one_hot[row] = 1.0
        grads = autograd_grad(
            output,
            [args[i] for i in checked],
            one_hot.reshape(output.shape),
            retain_graph=True,
            allow_unused=True,
        )
        for i, g in zip(checked, grads):
            if g is not None:
                analytical[i][row] = g.data.ravel()

    # Numerical Jacobian, one column per input element: central differences.
    for i in checked:
        values = args[i].data.reshape(-1)  # a view: changing it changes the input
        for column in range(values.size):
            original = values[column]
            # Evaluated with grad mode on, since fn may itself take gradients.
            values[column] = original + eps
            plus = np.array(fn(*args).data, dtype=np.float64).ravel()
            values[column] = original - eps
            minus = np.array(fn(*args).data, dtype=np.float64).ravel()
            values[column] = original
            numerical = (plus - minus) / (2 * eps)
            exact = analytical[i][:, column]
            bad = np.abs(exact - numerical) > atol + rtol * np.abs(numerical)
            if bad.any():
                row = int(np.argmax(bad))
                message = _failure_message(
                    i, args[i].shape, column, row, output.shape, numerical[row], exact[row]
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def _failure_message(
    position: int,
    shape: tuple[int, ...],
    column: int,
    row: int,
    out_shape: tuple[int, ...],
    numerical: float,
    analytical: float,
) -> str:
    element = np.unravel_index(column, shape) if shape else ()
    out_element = np.unravel_index(row, out_shape) if out_shape else ()
    scale = max(abs(numerical), abs(analytical), 1e-12)
    relative = abs(numerical - analytical) / scale
    return (
        f"gradcheck failed for input {position} (shape {tuple(shape)}) at element "
        f"{tuple(int(k) for k in element)}, output element {tuple(int(k) for k in out_element)}: "
        f"numerical {numerical:.8g} vs analytical (backward) {analytical:.8g}, "
        f"relative error {relative:.3g}"
    )
