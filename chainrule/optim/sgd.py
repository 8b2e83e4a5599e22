"""Stochastic gradient descent, with momentum and Nesterov momentum."""

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

__all__ = ["SGD", "sgd"]


def sgd(
    param: np.ndarray,
    grad: np.ndarray,
    momentum_buffer: np.ndarray | None,
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
    work: list[np.ndarray] | None = None,
) -> np.ndarray | None:
    """One SGD update of ``param``, in place (the rule is in ``SGD``'s docstring).

    Args:
        param, grad: the parameter's values (changed in place) and its gradient.
        momentum_buffer: b from the previous step, or None on the first step.
        work: two scratch arrays shaped like ``param`` (allocated if None).

    Returns:
        the momentum buffer b_t (a new array on the first step, else the same one),
        or None when ``momentum`` is 0.
    """
    g_buf, tmp = scratch(param, work, 2)
    g = effective_grad(param, grad, weight_decay, maximize, out=g_buf)
    if momentum != 0:
        if momentum_buffer is None:
            momentum_buffer = np.array(g, dtype=param.dtype)  # b_1 = g_1
        else:
            momentum_buffer *= momentum  # b_t = mu b_(t-1) + (1 - tau) g_t
            if dampening == 0:
                momentum_buffer += g
            else:
                np.multiply(g, 1 - dampening, out=tmp)
                momentum_buffer += tmp
        if nesterov:
            np.multiply(momentum_buffer, momentum, out=tmp)  # g_t + mu b_t
            g = np.add(g, tmp, out=g_buf)
        else:
            g = momentum_buffer
    np.multiply(g, lr, out=tmp)
    param -= tmp
    return momentum_buffer


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (as ``torch.optim.SGD``).

    For each parameter theta with gradient g_t, at step t = 1, 2, ...::

        if maximize:        g_t = -g_t
        if weight_decay:    g_t = g_t + lambda * theta_(t-1)
        if momentum mu:     b_t = g_t                                (t = 1)
                            b_t = mu * b_(t-1) + (1 - tau) * g_t     (t > 1)
                            g_t = g_t + mu * b_t   if nesterov  else  b_t
        theta_t = theta_(t-1) - lr * g_t

    Momentum keeps an exponential average of past gradients (the course's "velocity"),
    so steps build up along directions where the gradients agree and cancel where
    they oscillate. ``weight_decay`` adds lambda * theta to the gradient of *every*
    parameter in the group, biases included: this is the gradient of the L2 penalty
    (lambda / 2) ||theta||^2. To decay weights but not biases, put the biases in a
    group with ``weight_decay=0`` (see ``chainrule.optim.weight_decay_groups``) or
    add ``chainrule.optim.l2_penalty`` to the loss.

    Args:
        params: tensors, (name, tensor) pairs, or parameter-group dicts.
        lr: learning rate (default 1e-3).
        momentum: momentum factor mu (default 0: plain SGD).
        dampening: tau, scales down the new gradient in the momentum average
            (default 0).
        weight_decay: lambda, L2 penalty coefficient (default 0).
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: climb the objective instead of descending.

    State per parameter: ``momentum_buffer`` (when momentum != 0).

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import SGD
        >>> w = cr.tensor([1.0], requires_grad=True)
        >>> opt = SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> round(w.item(), 4)    # 1 - 0.2 = 0.8, then 0.8 - 0.1 * (0.9*2 + 1.6)
        0.46
    """

    option_checks = {
        "lr": non_negative,
        "momentum": non_negative,
        "dampening": non_negative,
        "weight_decay": non_negative,
        "nesterov": is_bool,
        "maximize": is_bool,
    }

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        # The buffer starts as the first gradient (PyTorch's rule), so it is made then.
        return {"momentum_buffer": None} if group["momentum"] != 0 else {}

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        buffer = sgd(
            param,
            grad,
            state.get("momentum_buffer"),
            lr=group["lr"],
            momentum=group["momentum"],
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
            maximize=group["maximize"],
            work=self._work(param),
        )
        if group["momentum"] != 0:
            state["momentum_buffer"] = buffer
