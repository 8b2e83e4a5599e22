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
)

__all__ = ["SGD", "sgd"]


def sgd(
    params: list[np.ndarray],
    grads: list[np.ndarray],
    momentum_buffers: list[np.ndarray | None],
    *,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    maximize: bool,
) -> None:
    """One SGD update of every array in ``params``, in place (the rule is in ``SGD``'s
    docstring).

    All the parameters of a group are updated in one call, so that the options are
    read once and the loop is all that runs per parameter (for a small network the
    Python around each update costs more than the update itself).

    Args:
        params, grads: the parameters' values (changed in place) and their gradients.
        momentum_buffers: b from the previous step for each parameter, or None on its
            first step; new buffers are stored into this list. Unused when
            ``momentum`` is 0.
    """
    if not params:
        return
    # The options as NumPy scalars of the parameters' dtype: multiplying an array by
    # one is cheaper than by a Python float, which NumPy converts on every call.
    dtype = params[0].dtype
    rate = np.asarray(lr, dtype=dtype)
    if momentum == 0 and weight_decay == 0 and not maximize:  # plain SGD
        for param, grad in zip(params, grads):
            if param.dtype != dtype:  # a group mixing dtypes: plain floats for the others
                rate = lr  # type: ignore[assignment]
            param -= np.multiply(grad, rate)
        return
    mu, decay = np.asarray(momentum, dtype=dtype), np.asarray(weight_decay, dtype=dtype)
    for i, (param, grad) in enumerate(zip(params, grads)):
        if param.dtype != dtype:
            rate, mu, decay = lr, momentum, weight_decay  # type: ignore[assignment]
        g = effective_grad(param, grad, decay, maximize)
        if momentum != 0:
            buffer = momentum_buffers[i]
            if buffer is None:
                buffer = momentum_buffers[i] = np.array(g, dtype=param.dtype)  # b_1 = g_1
            else:
                buffer *= mu  # b_t = mu b_(t-1) + (1 - tau) g_t
                buffer += g if dampening == 0 else (1 - dampening) * g
            g = g + np.multiply(buffer, mu) if nesterov else buffer
        param -= np.multiply(g, rate)


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

    def _update_group(
        self, params: list[Any], grads: list[np.ndarray], group: dict[str, Any]
    ) -> None:
        buffers: list[np.ndarray | None] = [None] * len(params)
        with_momentum = group["momentum"] != 0
        if with_momentum:  # the buffer starts as the first gradient (PyTorch's rule)
            states = [self.state.setdefault(p, {"momentum_buffer": None}) for p in params]
            buffers = [state.get("momentum_buffer") for state in states]
        sgd(
            [p.data for p in params],
            grads,
            buffers,
            lr=group["lr"],
            momentum=group["momentum"],
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=group["nesterov"],
            maximize=group["maximize"],
        )
        if with_momentum:
            for state, buffer in zip(states, buffers):
                state["momentum_buffer"] = buffer
