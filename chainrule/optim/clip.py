"""Gradient clipping: bound the gradients before ``optimizer.step()``.

Both functions change ``p.grad`` in place, between ``loss.backward()`` and
``optimizer.step()``, as ``torch.nn.utils.clip_grad_norm_`` and
``clip_grad_value_`` do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from chainrule._tensor import Tensor
from chainrule.optim.optimizer import is_real

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Tensor | Iterable[Tensor], where: str) -> list[np.ndarray]:
    """The gradient arrays of ``parameters`` that have one."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(
                f"{where} takes a Tensor or an iterable of Tensors; item {i} is a "
                f"{type(p).__name__}"
            )
    return [p.grad.data for p in params if p.grad is not None]


def _norm(x: np.ndarray, p: float) -> float:
    """||x||_p over all elements, accumulated in float64."""
    if p == math.inf:
        return float(np.max(np.abs(x))) if x.size else 0.0
    x = x.astype(np.float64, copy=False)
    if p == 2:
        return math.sqrt(float(np.dot(x.ravel(), x.ravel())))
    if p == 1:
        return float(np.abs(x).sum())
    return float((np.abs(x) ** p).sum() ** (1 / p))


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    r"""Scale all gradients together so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients as if they were one vector::

        total = ( sum_p ||g_p||^q )^(1/q)          (q = norm_type; max |g| for inf)
        g_p = g_p * min(1, max_norm / (total + 1e-6))

    The direction of the update is kept; only its length is bounded. Parameters
    without a gradient are skipped.

    Args:
        parameters: a Tensor or an iterable of Tensors whose ``.grad`` to clip.
        max_norm: the largest allowed norm (>= 0).
        norm_type: q > 0, or ``inf`` (``float('inf')`` or ``'inf'``) for the largest
            absolute value (default 2).
        error_if_nonfinite: raise if the total norm is nan or inf (otherwise the
            gradients become nan, as in PyTorch).

    Returns:
        the total norm of the gradients before clipping, a 0-d Tensor (as in
        PyTorch; ``float(...)`` or ``.item()`` gives a number).

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import clip_grad_norm_
        >>> w = cr.tensor([0.0, 0.0], requires_grad=True)
        >>> (w * cr.tensor([3.0, 4.0])).sum().backward()
        >>> clip_grad_norm_([w], max_norm=1.0)
        tensor(5.)
        >>> w.grad                  # (3, 4) / 5
        tensor([0.6, 0.8])
    """
    q = math.inf if norm_type == "inf" else norm_type
    if not is_real(q) or not float(q) > 0:
        raise ValueError(f"norm_type must be a number > 0 or inf, got {norm_type!r}")
    q = float(q)
    if not is_real(max_norm) or not max_norm >= 0:
        raise ValueError(f"max_norm must be a number >= 0, got {max_norm!r}")
    grads = _grads(parameters, "clip_grad_norm_")
    if not grads:
        return Tensor(np.array(0.0, dtype=np.float32))
    norms = [_norm(g, q) for g in grads]
    total = _norm(np.array(norms), q)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total {q}-norm of the gradients is {total}, so they cannot be "
            "clipped; set error_if_nonfinite=False to clip anyway (the gradients become nan)"
        )
    coefficient = max_norm / (total + 1e-6)
    if not coefficient >= 1:  # also when nan, as in PyTorch
        for g in grads:
            g *= coefficient
    return Tensor(np.array(total, dtype=np.result_type(*grads)))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place.

    Unlike ``clip_grad_norm_`` this changes the gradient's direction.

    Args:
        parameters: a Tensor or an iterable of Tensors whose ``.grad`` to clip.
        clip_value: the largest allowed absolute value (>= 0).

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import clip_grad_value_
        >>> w = cr.tensor([0.0, 0.0], requires_grad=True)
        >>> (w * cr.tensor([3.0, -0.5])).sum().backward()
        >>> clip_grad_value_([w], 1.0)
        >>> w.grad
        tensor([ 1. , -0.5])
    """
    if not is_real(clip_value) or not clip_value >= 0:
        raise ValueError(f"clip_value must be a number >= 0, got {clip_value!r}")
    for g in _grads(parameters, "clip_grad_value_"):
        np.clip(g, -clip_value, clip_value, out=g)
