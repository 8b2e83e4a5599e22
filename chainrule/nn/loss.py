"""Loss functions as modules, and the name table ``LOSSES``.

A loss compares the network's output with the target and gives one number to
minimise. Each module is a thin shell over its function in
``chainrule.nn.functional``; all take ``reduction``: "mean" (default: the average
over elements, or over samples for the classification losses), "sum", or "none"
(one loss per element or sample).

Arguments after the first are keyword-only: PyTorch's own signatures still carry the
deprecated ``size_average`` and ``reduce`` in front of ``reduction``, so a positional
call would mean something different there.

    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> nn.MSELoss()(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 4.0]))
    tensor(2.)
"""

# ruff: noqa: A002  (PyTorch's argument name `input` is kept so keyword calls port as is)

from __future__ import annotations

from typing import Any

from chainrule._tensor import Tensor, _to_array
from chainrule.nn import functional as F
from chainrule.nn.module import Module

__all__ = [
    "MSELoss",
    "L1Loss",
    "HuberLoss",
    "SmoothL1Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "MultiMarginLoss",
    "LOSSES",
    "get_loss",
]


class _Loss(Module):
    """Holds and checks ``reduction``."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(reduction)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class _WeightedLoss(_Loss):
    """Holds a per-class (or per-element) ``weight`` as a buffer, as PyTorch does, so it
    is saved in ``state_dict`` and converted by ``to(dtype)``."""

    weight: Tensor | None

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _buffer(weight))


def _buffer(value: Any) -> Tensor | None:
    if value is None or isinstance(value, Tensor):
        return value
    return Tensor(_to_array(value, None))


class MSELoss(_Loss):
    """Mean squared error: loss_i = (x_i - y_i)^2, averaged (or summed) over elements.

    The course's convention E = 1/2 sum (x - y)^2, whose gradient is simply x - y,
    is ``MSELoss(reduction="sum", half=True)``; ``half=True`` multiplies any reduction
    by 1/2 (PyTorch has no ``half``; its behaviour is ``half=False``, the default).

    For regression with a linear output. Input and target must have the same shape
    (an error, not a silent broadcast of (N, 1) against (N,)).

    Args:
        reduction: "mean" | "sum" | "none".
        half: multiply by 1/2 (default False).

    Example::

        >>> nn.MSELoss(reduction="sum", half=True)(cr.tensor([3.0]), cr.tensor([1.0]))
        tensor(2.)
    """

    def __init__(self, *, reduction: str = "mean", half: bool = False) -> None:
        super().__init__(reduction)
        self.half = half

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, self.reduction, half=self.half)

    def extra_repr(self) -> str:
        parts = [super().extra_repr(), "half=True" if self.half else ""]
        return ", ".join(part for part in parts if part)


class L1Loss(_Loss):
    """Mean absolute error: loss_i = |x_i - y_i|; d/dx = sign(x - y).

    Less sensitive to outliers than MSE, but its gradient does not shrink near the
    target.

    Example::

        >>> nn.L1Loss()(cr.tensor([1.0, 2.0]), cr.tensor([0.0, 4.0]))
        tensor(1.5)
    """

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__(reduction)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    """Huber loss: d^2 / 2 for |d| < delta, delta (|d| - delta / 2) beyond (d = x - y).

    Quadratic near the target (smooth gradients), linear far away (outliers do not
    dominate).

    Args:
        reduction: "mean" | "sum" | "none".
        delta: where the quadratic part ends (default 1.0).

    Example::

        >>> nn.HuberLoss()(cr.tensor([0.5, 3.0]), cr.tensor([0.0, 0.0]))
        tensor(1.3125)
    """

    def __init__(self, *, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.huber_loss(input, target, self.reduction, self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1: d^2 / (2 beta) for |d| < beta, else |d| - beta / 2 (Huber / beta).

    Example::

        >>> nn.SmoothL1Loss()(cr.tensor([0.5, 3.0]), cr.tensor([0.0, 0.0]))
        tensor(1.3125)
    """

    def __init__(self, *, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, self.reduction, self.beta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities: loss = -(y log p + (1 - y) log(1 - p)).

    ``input`` holds probabilities (after a sigmoid). Prefer ``BCEWithLogitsLoss`` on
    the logits: it is stable for any logit and its gradient is sigmoid(a) - y.

    Args:
        weight: rescales each element's loss (broadcast to the input).
        reduction: "mean" | "sum" | "none".

    Example::

        >>> nn.BCELoss()(cr.tensor([0.5]), cr.tensor([1.0]))
        tensor(0.6931)
    """

    def __init__(self, weight: Any = None, *, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Sigmoid + binary cross-entropy from the logits a, in one stable formula:

        loss = softplus(a) - y a = -(y log sigmoid(a) + (1 - y) log(1 - sigmoid(a))),

    with d/da = sigmoid(a) - y: the same "prediction minus target" as softmax with
    cross-entropy. For binary (and multi-label) classification.

    Args:
        weight: rescales each element's loss.
        reduction: "mean" | "sum" | "none".
        pos_weight: weight of the positive examples (per class), > 1 to raise recall.

    Example::

        >>> nn.BCEWithLogitsLoss()(cr.tensor([0.0]), cr.tensor([1.0]))
        tensor(0.6931)
    """

    pos_weight: Tensor | None

    def __init__(
        self, weight: Any = None, *, reduction: str = "mean", pos_weight: Any = None
    ) -> None:
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", _buffer(pos_weight))

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, self.reduction, self.pos_weight
        )


class CrossEntropyLoss(_WeightedLoss):
    """Softmax + cross-entropy from logits: loss_i = -log softmax(x_i)[y_i].

    The loss for one-of-C classification: give it the raw scores (logits) of the last
    Linear layer, without a softmax. With integer labels it is one fused, stable
    primitive whose gradient is the course's  softmax(x_i) - e(y_i)  (over N for the
    mean). Targets can also be class probabilities (a float tensor shaped like x).

    Args:
        weight: (C,) weight of each class (the mean divides by the weights' sum).
        ignore_index: a label value that contributes nothing (default -100).
        reduction: "mean" | "sum" | "none".
        label_smoothing: eps in [0, 1]: the target becomes (1 - eps) e(y) + eps / C.

    Shape:
        input (N, C) or (C,) or (N, C, d1, ...); target (N,) or () or (N, d1, ...)
        integer labels in [0, C), or probabilities shaped like the input.

    Example::

        >>> loss_fn = nn.CrossEntropyLoss()
        >>> loss_fn(cr.tensor([[2.0, 0.0], [0.0, 2.0]]), cr.tensor([0, 1]))
        tensor(0.1269)
    """

    def __init__(
        self,
        weight: Any = None,
        *,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, reduction)
        F._check_probability(label_smoothing, "label_smoothing")
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(
            input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood: loss_i = -w_(y_i) x_i[y_i], x holding log-probabilities.

    ``NLLLoss()(LogSoftmax(dim=1)(x), y)`` is ``CrossEntropyLoss()(x, y)``.

    Args:
        weight: (C,) weight of each class.
        ignore_index: a label value that contributes nothing (default -100).
        reduction: "mean" | "sum" | "none".

    Example::

        >>> nn.NLLLoss()(cr.tensor([[-0.1, -2.3]]), cr.tensor([0]))
        tensor(0.1)
    """

    def __init__(
        self, weight: Any = None, *, ignore_index: int = -100, reduction: str = "mean"
    ) -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multiclass hinge loss (multiclass SVM): from class scores x and labels y,

        loss_i = sum_(j != y_i) max(0, margin - x_i[y_i] + x_i[j])^p / C.

    Zero once the correct class's score beats every other by ``margin``: unlike
    cross-entropy it stops pushing then. PyTorch divides by the number of classes C;
    the course's SVM loss is the plain sum (C times this).

    Args:
        p: 1 (hinge) or 2 (squared hinge).
        margin: the required gap (default 1).
        weight: (C,) weight of each class (multiplies the loss of rows of that class).
        reduction: "mean" | "sum" | "none".

    Example::

        >>> nn.MultiMarginLoss()(cr.tensor([[0.1, 0.2, 0.4, 0.8]]), cr.tensor([3]))
        tensor(0.325)
    """

    def __init__(
        self,
        p: int = 1,
        margin: float = 1.0,
        weight: Any = None,
        *,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p = 1 or 2 are supported, got {p!r}")
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight, self.reduction)


# Lowercase names (as a command line or the playground gives them) to classes.
LOSSES: dict[str, type[Module]] = {
    "mse": MSELoss,
    "l1": L1Loss,
    "huber": HuberLoss,
    "smooth_l1": SmoothL1Loss,
    "bce": BCELoss,
    "bce_with_logits": BCEWithLogitsLoss,
    "cross_entropy": CrossEntropyLoss,
    "nll": NLLLoss,
    "multi_margin": MultiMarginLoss,
    "hinge": MultiMarginLoss,
}


def get_loss(name: str, **kwargs: Any) -> Module:
    """A new loss module from its lowercase name (see ``LOSSES``).

    Example::

        >>> get_loss("cross_entropy", label_smoothing=0.1)
        CrossEntropyLoss()
    """
    cls = LOSSES.get(name.lower() if isinstance(name, str) else name)
    if cls is None:
        raise ValueError(f"unknown loss {name!r}; choose one of: {', '.join(sorted(LOSSES))}")
    return cls(**kwargs)
