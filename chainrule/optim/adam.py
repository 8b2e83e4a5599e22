"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.optim.optimizer import (
    Optimizer,
    ParamsT,
    betas_pair,
    effective_grad,
    is_bool,
    non_negative,
    scratch,
)

__all__ = ["Adam", "AdamW", "adam"]


def adam(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    exp_avg_sq: np.ndarray,
    max_exp_avg_sq: np.ndarray | None,
    step: float,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool,
    work: list[np.ndarray] | None = None,
) -> None:
    """One Adam (or AdamW) update of ``param`` and its moments, in place.

    The rule is in ``Adam``'s docstring. ``step`` is t, already counted (1 on the
    first call); ``max_exp_avg_sq`` is needed only with ``amsgrad``; ``work`` is two
    scratch arrays shaped like ``param`` (allocated if None).
    """
    g_buf, tmp = scratch(param, work, 2)
    if decoupled_weight_decay:
        if weight_decay != 0:
            param *= 1 - lr * weight_decay  # AdamW: shrink theta directly
        g = effective_grad(param, grad, 0, maximize, out=g_buf)
    else:
        g = effective_grad(param, grad, weight_decay, maximize, out=g_buf)

    np.subtract(g, exp_avg, out=tmp)  # m_t = m + (1 - beta1)(g - m)
    tmp *= 1 - beta1
    exp_avg += tmp
    exp_avg_sq *= beta2  # v_t = beta2 v + (1 - beta2) g^2
    np.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    exp_avg_sq += tmp

    second = exp_avg_sq
    if amsgrad:
        if max_exp_avg_sq is None:
            raise ValueError("adam(amsgrad=True) needs the max_exp_avg_sq buffer")
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq

    bias_correction1 = 1 - beta1**step
    bias_correction2 = 1 - beta2**step
    np.sqrt(second, out=tmp)  # denominator sqrt(v_hat) + eps
    tmp /= bias_correction2**0.5
    tmp += eps
    np.divide(exp_avg, tmp, out=tmp)
    tmp *= lr / bias_correction1  # lr * m_hat / (sqrt(v_hat) + eps)
    param -= tmp


class Adam(Optimizer):
    r"""Adam: steps scaled by running averages of the gradient and its square.

    As ``torch.optim.Adam``. For each parameter theta with gradient g_t, at step
    t = 1, 2, ... (m_0 = v_0 = 0)::

        if maximize:        g_t = -g_t
        if weight_decay:    g_t = g_t + lambda * theta_(t-1)      (L2, coupled)
        m_t = beta1 * m_(t-1) + (1 - beta1) * g_t                  (first moment)
        v_t = beta2 * v_(t-1) + (1 - beta2) * g_t^2                (second moment)
        m_hat = m_t / (1 - beta1^t)                                (bias corrections)
        if amsgrad:  vmax_t = max(vmax_(t-1), v_t);  v_hat = vmax_t / (1 - beta2^t)
        else:        v_hat = v_t / (1 - beta2^t)
        theta_t = theta_(t-1) - lr * m_hat / (sqrt(v_hat) + eps)

    ``weight_decay`` here adds lambda * theta to the gradient of every parameter in
    the group (biases too), and that term is then rescaled by the adaptive
    denominator; ``AdamW`` decouples it instead. To leave biases out, use parameter
    groups (``chainrule.optim.weight_decay_groups``).

    Args:
        params: tensors, (name, tensor) pairs, or parameter-group dicts.
        lr: learning rate (default 1e-3).
        betas: (beta1, beta2), decay rates of the two averages (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: lambda, L2 penalty coefficient (default 0).
        amsgrad: use the maximum of past second moments (AMSGrad).
        maximize: climb the objective instead of descending.
        decoupled_weight_decay: apply weight decay as AdamW does.

    State per parameter: ``step`` (a float32 count, as in PyTorch), ``exp_avg``,
    ``exp_avg_sq``, and ``max_exp_avg_sq`` with amsgrad.

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import Adam
        >>> w = cr.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()          # the first step moves each weight by about lr
        >>> w
        tensor([ 0.9, -0.9], requires_grad=True)
    """

    option_checks = {
        "lr": non_negative,
        "betas": betas_pair,
        "eps": non_negative,
        "weight_decay": non_negative,
        "amsgrad": is_bool,
        "maximize": is_bool,
        "decoupled_weight_decay": is_bool,
    }

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas) if isinstance(betas, list) else betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _init_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        state = {
            "step": np.zeros((), dtype=np.float32),
            "exp_avg": np.zeros_like(param),
            "exp_avg_sq": np.zeros_like(param),
        }
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param)
        return state

    def _update(
        self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        if group["amsgrad"] and "max_exp_avg_sq" not in state:  # switched on midway
            state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        adam(
            param,
            grad,
            state["exp_avg"],
            state["exp_avg_sq"],
            state.get("max_exp_avg_sq"),
            float(state["step"]),
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            amsgrad=group["amsgrad"],
            maximize=group["maximize"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            work=self._work(param),
        )


class AdamW(Adam):
    r"""AdamW: Adam with weight decay decoupled from the gradient.

    As ``torch.optim.AdamW``. Identical to ``Adam`` except that the weights are
    shrunk directly, before the moments are updated, instead of adding
    lambda * theta to the gradient::

        theta_(t-1) = theta_(t-1) * (1 - lr * lambda)
        if maximize:  g_t = -g_t
        m_t = beta1 * m_(t-1) + (1 - beta1) * g_t
        v_t = beta2 * v_(t-1) + (1 - beta2) * g_t^2
        m_hat = m_t / (1 - beta1^t)
        v_hat = max(vmax_(t-1), v_t) / (1 - beta2^t)  if amsgrad  else  v_t / (1 - beta2^t)
        theta_t = theta_(t-1) - lr * m_hat / (sqrt(v_hat) + eps)

    So the decay does not pass through the adaptive denominator: every weight
    decays at the same relative rate lr * lambda per step. It still applies to every
    parameter of the group (biases too); use parameter groups to exclude them.

    Args:
        params: tensors, (name, tensor) pairs, or parameter-group dicts.
        lr: learning rate (default 1e-3).
        betas: (beta1, beta2) (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: lambda, the decoupled decay coefficient (default 1e-2).
        amsgrad: use the maximum of past second moments (AMSGrad).
        maximize: climb the objective instead of descending.

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import AdamW
        >>> w = cr.tensor([1.0], requires_grad=True)
        >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * 0).sum().backward()   # zero gradient: only the decay acts
        >>> opt.step()
        >>> w                          # 1 * (1 - 0.1 * 0.5)
        tensor([0.95], requires_grad=True)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
