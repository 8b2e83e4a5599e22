"""Adagrad: per-coordinate steps that shrink with the sum of past squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.optim.optimizer import (
    Optimizer,
    ParamsT,
    effective_grad,
    is_bool,
    non_negative,
    scratch,
)

__all__ = ["Adagrad", "adagrad"]


def adagrad(
    param: np.ndarray,
    grad: np.ndarray,
    state_sum: np.ndarray,
    step: float,
    *,
    lr: float,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
    work: list[np.ndarray] | None = None,
) -> None:
    """One Adagrad update of ``param`` and its sum of squares, in place.

    The rule is in ``Adagrad``'s docstring. ``step`` is t, already counted (1 on the
    first call); ``work`` is two scratch arrays shaped like ``param``.
    """
    g_buf, tmp = scratch(param, work, 2)
    g = effective_grad(param, grad, weight_decay, maximize, out=g_buf)
    clr = lr / (1 + (step - 1) * lr_decay)
    np.multiply(g, g, out=tmp)  # s_t = s + g^2
    state_sum += tmp
    np.sqrt(state_sum, out=tmp)
    tmp += eps
    np.divide(g, tmp, out=tmp)  # clr * g / (sqrt(s_t) + eps)
    tmp *= clr
    param -= tmp


class Adagrad(Optimizer):
    r"""Adagrad: each coordinate's step is divided by the root of its summed squares.

    As ``torch.optim.Adagrad``. For each parameter theta with gradient g_t, at step
    t = 1, 2, ... (s_0 = initial_accumulator_value)::

        if maximize:        g_t = -g_t
        if weight_decay:    g_t = g_t + lambda * theta_(t-1)
        lr_t = lr / (1 + (t - 1) * lr_decay)
        s_t = s_(t-1) + g_t^2
        theta_t = theta_(t-1) - lr_t * g_t / (sqrt(s_t) + eps)

    Coordinates with large past gradients take small steps, rarely-updated ones
    large steps; since s only grows, the steps only shrink. ``weight_decay`` adds
    lambda * theta to the gradient of every parameter in the group (biases too).

    Args:
        params: tensors, (name, tensor) pairs, or parameter-group dicts.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: lambda, L2 penalty coefficient (default 0).
        initial_accumulator_value: starting value of s (default 0).
        eps: added to the denominator (default 1e-10).
        maximize: climb the objective instead of descending.

    State per parameter (created at construction, as in PyTorch): ``step`` and
    ``sum``.

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import Adagrad
        >>> w = cr.tensor([1.0], requires_grad=True)
        >>> opt = Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()          # 1 - 0.1 * 2 / sqrt(4)
        >>> w
        tensor([0.9], requires_grad=True)
    """

    option_checks = {
        "lr": non_negative,
        "lr_decay": non_negative,
        "eps": non_negative,
        "weight_decay": non_negative,
        "initial_accumulator_value": non_negative,
        "maximize": is_bool,
    }

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _eager_state(self, param: Any, group: dict[str, Any]) -> None:
        self.state[param] = self._init_state(param.data, group)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {
            "step": np.zeros((), dtype=np.float32),
            "sum": np.full_like(param, group["initial_accumulator_value"]),
        }

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        state["step"] += 1
        adagrad(
            param,
            grad,
            state["sum"],
            float(state["step"]),
            lr=group["lr"],
            lr_decay=group["lr_decay"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
            work=self._work(param),
        )
