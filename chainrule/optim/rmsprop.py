"""RMSprop: steps divided by a running root-mean-square of the gradients."""

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

__all__ = ["RMSprop", "rmsprop"]


def rmsprop(
    param: np.ndarray,
    grad: np.ndarray,
    square_avg: np.ndarray,
    grad_avg: np.ndarray | None,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
    work: list[np.ndarray] | None = None,
) -> None:
    """One RMSprop update of ``param`` and its averages, in place.

    The rule is in ``RMSprop``'s docstring. ``grad_avg`` is needed only when
    ``centered``, ``momentum_buffer`` only when ``momentum > 0``; ``work`` is two
    scratch arrays shaped like ``param`` (allocated if None).
    """
    g_buf, tmp = scratch(param, work, 2)
    g = effective_grad(param, grad, weight_decay, maximize, out=g_buf)

    square_avg *= alpha  # v_t = alpha v + (1 - alpha) g^2
    np.multiply(g, g, out=tmp)
    tmp *= 1 - alpha
    square_avg += tmp

    if centered:
        if grad_avg is None:
            raise ValueError("rmsprop(centered=True) needs the grad_avg buffer")
        np.subtract(g, grad_avg, out=tmp)  # gbar_t = gbar + (1 - alpha)(g - gbar)
        tmp *= 1 - alpha
        grad_avg += tmp
        np.multiply(grad_avg, grad_avg, out=tmp)  # sqrt(v_t - gbar_t^2)
        np.subtract(square_avg, tmp, out=tmp)
        np.sqrt(tmp, out=tmp)
    else:
        np.sqrt(square_avg, out=tmp)
    tmp += eps
    np.divide(g, tmp, out=tmp)  # g / (sqrt(v~) + eps)

    if momentum > 0:
        if momentum_buffer is None:
            raise ValueError("rmsprop(momentum > 0) needs the momentum_buffer")
        momentum_buffer *= momentum
        momentum_buffer += tmp
        np.multiply(momentum_buffer, lr, out=tmp)
    else:
        tmp *= lr
    param -= tmp


class RMSprop(Optimizer):
    r"""RMSprop: divide each step by a running root-mean-square of the gradient.

    As ``torch.optim.RMSprop``. For each parameter theta with gradient g_t, at step
    t = 1, 2, ... (v_0 = gbar_0 = b_0 = 0)::

        if maximize:        g_t = -g_t
        if weight_decay:    g_t = g_t + lambda * theta_(t-1)
        v_t = alpha * v_(t-1) + (1 - alpha) * g_t^2
        v~_t = v_t
        if centered:        gbar_t = alpha * gbar_(t-1) + (1 - alpha) * g_t
                            v~_t = v_t - gbar_t^2           (a variance estimate)
        if momentum mu > 0: b_t = mu * b_(t-1) + g_t / (sqrt(v~_t) + eps)
                            theta_t = theta_(t-1) - lr * b_t
        else:               theta_t = theta_(t-1) - lr * g_t / (sqrt(v~_t) + eps)

    ``weight_decay`` adds lambda * theta to the gradient of every parameter in the
    group (biases too); use parameter groups to leave biases out.

    Args:
        params: tensors, (name, tensor) pairs, or parameter-group dicts.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the squared-gradient average (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: lambda, L2 penalty coefficient (default 0).
        momentum: momentum factor mu (default 0).
        centered: normalize by an estimate of the gradient's variance.
        maximize: climb the objective instead of descending.

    State per parameter: ``step``, ``square_avg``, ``momentum_buffer`` (momentum > 0)
    and ``grad_avg`` (centered).

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import RMSprop
        >>> w = cr.tensor([1.0], requires_grad=True)
        >>> opt = RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward()
        >>> opt.step()          # 1 - 0.01 * 2 / sqrt(0.01 * 4) = 0.9
        >>> w
        tensor([0.9], requires_grad=True)
    """

    option_checks = {
        "lr": non_negative,
        "momentum": non_negative,
        "alpha": non_negative,
        "eps": non_negative,
        "centered": is_bool,
        "weight_decay": non_negative,
        "maximize": is_bool,
    }

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": np.zeros((), dtype=np.float32), "square_avg": np.zeros_like(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param)
        return state

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        for key, needed in (
            ("momentum_buffer", group["momentum"] > 0),
            ("grad_avg", group["centered"]),
        ):
            if needed and key not in state:  # the option was switched on midway
                state[key] = np.zeros_like(param)
        state["step"] += 1
        rmsprop(
            param,
            grad,
            state["square_avg"],
            state.get("grad_avg"),
            state.get("momentum_buffer"),
            lr=group["lr"],
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=group["momentum"],
            centered=group["centered"],
            maximize=group["maximize"],
            work=self._work(param),
        )
