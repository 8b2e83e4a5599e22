"""L2 and L1 penalties on weights (not biases), added to the loss.

The course's rule: "L2 and L1 penalties apply to weights and not biases". A bias
only shifts a unit's threshold; shrinking it does not make the function smoother,
so it is left alone. These functions pick the weights by name and return a
differentiable Tensor to add to the data loss::

    loss = criterion(model(x), y) + l2_penalty(model, 1e-4)
    loss.backward()

How this differs from an optimizer's ``weight_decay``: ``weight_decay=lambda`` adds
lambda * theta to the gradient of *every* parameter of the group, biases included
(for SGD this is the gradient of (lambda / 2) ||theta||^2; for AdamW it is a
decoupled shrink that is not a penalty at all). The penalty here is part of the
loss, so it shows up in the loss value, reaches only the weights, and goes through
whatever optimizer you use (for Adam, through its adaptive scaling). To get
decay-without-biases from the optimizer instead, give biases their own parameter
group with ``weight_decay=0``; ``weight_decay_groups`` builds those groups.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.autograd import ops
from chainrule.optim.optimizer import is_real

__all__ = ["is_bias", "penalized_parameters", "l2_penalty", "l1_penalty", "weight_decay_groups"]

# Names of 1-D parameters that are biases: b, b1, b_out, bias_ih, ...
_BIAS_NAME = re.compile(r"b|b\d+|b_\w+|bias\w*")

# A model (anything with named_parameters()), a dict name -> tensor, or (name, tensor) pairs.
NamedParameters = Any


def is_bias(name: str, param: Tensor) -> bool:
    """Whether a parameter is a bias, which the penalties leave alone.

    A parameter is a bias when the last part of its dotted name ends in ``bias``
    (``"fc1.bias"``, ``"out_bias"``), or when it is 1-D and that last part is named
    like one: ``b``, ``b2``, ``b_hidden``, ``bias_ih``.
    """
    leaf = name.rsplit(".", 1)[-1].lower()
    return leaf.endswith("bias") or (param.ndim == 1 and _BIAS_NAME.fullmatch(leaf) is not None)


def _named(source: NamedParameters) -> list[tuple[str, Tensor]]:
    """(name, tensor) pairs from a model, a dict or an iterable of pairs."""
    if isinstance(source, Tensor):
        raise TypeError(
            "the penalties need parameter names to tell weights from biases; pass a model "
            "(with named_parameters()), a dict {name: tensor} or (name, tensor) pairs"
        )
    if hasattr(source, "named_parameters"):
        items = list(source.named_parameters())
    elif isinstance(source, Mapping):
        items = list(source.items())
    else:
        items = list(source)
    for item in items:
        if not (
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[0], str)
            and isinstance(item[1], Tensor)
        ):
            raise TypeError(
                "expected (name, tensor) pairs, e.g. model.named_parameters(), but got "
                f"{type(item).__name__} {item!r:.60}"
            )
    return items


def penalized_parameters(
    source: NamedParameters, exclude: Callable[[str, Tensor], bool] = is_bias
) -> list[tuple[str, Tensor]]:
    """The (name, tensor) pairs the penalties apply to: all but the excluded (biases).

    Args:
        source: a model with ``named_parameters()``, a dict {name: tensor}, or an
            iterable of (name, tensor) pairs.
        exclude: decides which parameters to leave out (default ``is_bias``).

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import penalized_parameters
        >>> params = {"fc.weight": cr.ones(2, 3), "fc.bias": cr.zeros(2)}
        >>> [name for name, _ in penalized_parameters(params)]
        ['fc.weight']
    """
    return [(name, p) for name, p in _named(source) if not exclude(name, p)]


def _penalty(
    source: NamedParameters,
    strength: float,
    total_of: Callable[[list[Tensor], float], Tensor],
    exclude: Callable[[str, Tensor], bool],
) -> Tensor:
    """``total_of(weights, strength)`` over the penalized weights (0 if there are none)."""
    if not is_real(strength) or not strength >= 0:
        raise ValueError(f"strength must be a number >= 0, got {strength!r}")
    weights = [w for _, w in penalized_parameters(source, exclude)]
    if not weights:
        return Tensor(np.array(0.0, dtype=np.float32))
    return total_of(weights, strength)


def _sum_of_squares(weights: list[Tensor], strength: float) -> Tensor:
    """strength * sum_w sum(w^2), as one node of the graph."""
    return ops.SumOfSquares(strength)(*weights)


def _sum_of_absolute_values(weights: list[Tensor], strength: float) -> Tensor:
    """strength * sum_w sum(|w|)."""
    total = weights[0].abs().sum()
    for w in weights[1:]:
        total = total + w.abs().sum()
    return total * strength


def l2_penalty(
    source: NamedParameters,
    strength: float,
    *,
    half: bool = False,
    exclude: Callable[[str, Tensor], bool] = is_bias,
) -> Tensor:
    r"""The L2 penalty on the weights: strength * sum_w w^2 (biases excluded).

    With ``half=True`` it is (strength / 2) * sum_w w^2, whose gradient is
    strength * w: the same push as ``SGD(weight_decay=strength)``, but on weights
    only. Without it the gradient is 2 * strength * w.

    Args:
        source: a model with ``named_parameters()``, a dict {name: tensor}, or an
            iterable of (name, tensor) pairs.
        strength: lambda >= 0.
        half: use the (lambda / 2) ||w||^2 convention.
        exclude: which parameters to leave out (default ``is_bias``).

    Returns:
        a 0-d Tensor to add to the loss (differentiable with respect to the weights).

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import l2_penalty
        >>> w = cr.tensor([[1.0, -2.0]], requires_grad=True)
        >>> b = cr.tensor([5.0], requires_grad=True)
        >>> penalty = l2_penalty({"weight": w, "bias": b}, 0.1)
        >>> round(penalty.item(), 6)          # 0.1 * (1 + 4); the bias is left out
        0.5
    """
    factor = strength / 2 if half else strength
    return _penalty(source, factor, _sum_of_squares, exclude)


def l1_penalty(
    source: NamedParameters,
    strength: float,
    *,
    exclude: Callable[[str, Tensor], bool] = is_bias,
) -> Tensor:
    r"""The L1 penalty on the weights: strength * sum_w |w| (biases excluded).

    Its gradient, strength * sign(w), pushes every weight toward zero by the same
    amount whatever its size, so weights that matter little end up (near) exactly
    zero: L1 makes sparse weights, where L2 only shrinks them.

    Args:
        source: a model with ``named_parameters()``, a dict {name: tensor}, or an
            iterable of (name, tensor) pairs.
        strength: lambda >= 0.
        exclude: which parameters to leave out (default ``is_bias``).

    Returns:
        a 0-d Tensor to add to the loss (its gradient at w = 0 is 0, as PyTorch's).

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import l1_penalty
        >>> w = cr.tensor([[1.0, -2.0]], requires_grad=True)
        >>> round(l1_penalty([("fc.weight", w)], 0.1).item(), 6)
        0.3
    """
    return _penalty(source, strength, _sum_of_absolute_values, exclude)


def weight_decay_groups(
    source: NamedParameters,
    weight_decay: float,
    exclude: Callable[[str, Tensor], bool] = is_bias,
) -> list[dict[str, Any]]:
    """Parameter groups that apply ``weight_decay`` to the weights but not the biases.

    Returns ``[{"params": weights, "weight_decay": weight_decay},
    {"params": biases, "weight_decay": 0.0}]`` (an empty group is left out), the
    params given as (name, tensor) pairs, ready for any optimizer.

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, weight_decay_groups
        >>> params = {"fc.weight": cr.ones(2, 3, requires_grad=True),
        ...           "fc.bias": cr.zeros(2, requires_grad=True)}
        >>> opt = SGD(weight_decay_groups(params, 1e-4), lr=0.1)
        >>> [g["weight_decay"] for g in opt.param_groups]
        [0.0001, 0.0]
    """
    if not is_real(weight_decay) or not weight_decay >= 0:
        raise ValueError(f"weight_decay must be a number >= 0, got {weight_decay!r}")
    named = _named(source)
    weights = [(n, p) for n, p in named if not exclude(n, p)]
    biases = [(n, p) for n, p in named if exclude(n, p)]
    groups = [
        {"params": weights, "weight_decay": weight_decay},
        {"params": biases, "weight_decay": 0.0},
    ]
    return [group for group in groups if group["params"]]
