"""The functions behind the layers: activations, the dense map, dropout and losses.

Import it as PyTorch users do: ``import chainrule.nn.functional as F``. Every module
of ``chainrule.nn`` is a thin shell over one of these functions (``nn.ReLU()(x)`` is
``F.relu(x)``). Each is written with the primitive ops of ``chainrule.autograd.ops``;
the docstrings give the function f(a) and its derivative f'(a), which backward uses.
The modules' docstrings (``nn.ReLU``, ``nn.Tanh``, ...) add when to use each one.

Names, arguments and defaults are PyTorch's. The argument ``inplace`` is accepted so
that PyTorch code runs unchanged, but results are always new tensors.

    >>> import chainrule as cr
    >>> import chainrule.nn.functional as F
    >>> logits = cr.tensor([[2.0, 1.0, 0.1]], requires_grad=True)
    >>> loss = F.cross_entropy(logits, cr.tensor([0]))
    >>> loss.backward()
    >>> logits.grad            # softmax(logits) - one_hot(0)
    tensor([[-0.341 ,  0.2424,  0.0986]])
"""

# ruff: noqa: A002  (PyTorch's argument name `input` is kept so keyword calls port as is)

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule._tensor import Tensor, _to_array, where
from chainrule.autograd import ops

__all__ = [
    # dense map and regularisation
    "linear",
    "dropout",
    "one_hot",
    # activations
    "identity",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "prelu",
    "elu",
    "softplus",
    "silu",
    "hardswish",
    "gelu",
    "maxout",
    "softmax",
    "log_softmax",
    # losses
    "mse_loss",
    "l1_loss",
    "huber_loss",
    "smooth_l1_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "multi_margin_loss",
]

# ------------------------------------------------------------------------------------
# The dense map, dropout, one-hot
# ------------------------------------------------------------------------------------


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """The affine map y = x W^T + b, W shaped (out_features, in_features).

    One fused primitive (``ops.Linear``): dL/dx = g W, dL/dW = g^T x, dL/db = sum of g
    over the batch.

    Shape: input (*, in_features) -> output (*, out_features).

    Example::

        >>> y = linear(cr.ones(4, 2), cr.ones(3, 2), cr.zeros(3))   # shape (4, 3)
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            f"linear() takes a chainrule Tensor as input, got {type(input).__name__}; "
            "wrap arrays with chainrule.tensor(x) or chainrule.from_numpy(x)"
        )
    if bias is None:
        return ops.Linear()(input, weight)
    return ops.Linear()(input, weight, bias)


def dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
    *,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p).

    In training, y = x * m / (1 - p) with m_i ~ Bernoulli(1 - p), so E[y] = x and
    nothing needs rescaling at test time; with ``training=False`` it is the identity.
    The gradient is the same mask: dy/dx = m / (1 - p). Draws from chainrule's
    generator (``chainrule.manual_seed``) unless ``generator`` is given.

    Example::

        >>> y = dropout(cr.ones(1000), p=0.2)   # about 200 zeros, the rest 1.25
    """
    _check_probability(p, "dropout probability")
    if not training or p == 0.0:
        return input
    return input * ops.DropoutMask(p, generator)(input)


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Integer class labels as one-hot rows: label k becomes e(k), a 1 at place k.

    Shape: (*) -> (*, num_classes), int64. ``num_classes=-1`` uses max label + 1.

    Example::

        >>> one_hot(cr.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    labels = _labels(tensor, "one_hot")
    values = labels.data
    if num_classes == -1:
        num_classes = int(values.max()) + 1 if values.size else 0
    if values.size and (values.min() < 0 or values.max() >= num_classes):
        raise ValueError(
            f"one_hot: class labels must be in [0, {num_classes}), got values from "
            f"{values.min()} to {values.max()}"
        )
    return _from_labels(_one_hot, labels, classes=num_classes, dtype=np.dtype(np.int64))


# ------------------------------------------------------------------------------------
# Activations
# ------------------------------------------------------------------------------------

_SQRT1_2 = 1.0 / math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def identity(input: Tensor) -> Tensor:
    """f(a) = a, f'(a) = 1: the "linear" activation (regression outputs)."""
    return input


def sigmoid(input: Tensor) -> Tensor:
    """f(a) = 1 / (1 + e^-a),  f'(a) = f(a) (1 - f(a))."""
    return ops.Sigmoid()(input)


def tanh(input: Tensor) -> Tensor:
    """f(a) = tanh a = (e^a - e^-a) / (e^a + e^-a),  f'(a) = 1 - f(a)^2."""
    return ops.Tanh()(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """f(a) = max(0, a),  f'(a) = 1 for a > 0, else 0."""
    return ops.Relu()(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """f(a) = a for a > 0, else negative_slope * a;  f'(a) = 1 or negative_slope."""
    return where(input > 0, input, input * negative_slope)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Leaky ReLU with a learned slope w: f(a) = a for a > 0, else w a.

    f'(a) = 1 or w;  df/dw = a for a <= 0, else 0. ``weight`` has one slope, or one
    per channel (axis 1 of the input, axis 0 for a 1-D input).
    """
    slope = weight
    channels = weight.shape[0] if weight.ndim else 1
    if channels != 1 and input.ndim >= 1:
        axis = 1 if input.ndim >= 2 else 0
        if input.shape[axis] != channels:
            raise ValueError(
                f"prelu: weight has {channels} slopes but the input's channel axis {axis} "
                f"has size {input.shape[axis]} (input shape {input.shape})"
            )
        slope = weight.reshape((channels,) + (1,) * (input.ndim - axis - 1))
    elif input.ndim == 0:
        slope = weight.reshape(())
    return where(input > 0, input, slope * input)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """f(a) = a for a > 0, else alpha (e^a - 1);  f'(a) = 1, else alpha e^a = f(a) + alpha."""
    negative = (input.clamp(max=0.0).exp() - 1.0) * alpha
    return where(input > 0, input, negative)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """f(a) = log(1 + e^(beta a)) / beta (a itself where beta a > threshold);
    f'(a) = sigmoid(beta a)."""
    return ops.Softplus(beta, threshold)(input)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Swish: f(a) = a sigmoid(a),  f'(a) = sigmoid(a) (1 + a (1 - sigmoid(a)))."""
    return input * ops.Sigmoid()(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """f(a) = a min(max(a + 3, 0), 6) / 6: 0 below -3, a above 3, a(a+3)/6 between;
    f'(a) = 0, (2a + 3) / 6, 1 on those three pieces."""
    return input * (input + 3.0).clamp(0.0, 6.0) * (1.0 / 6.0)


_GELU_FORMS = ("none", "tanh")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """f(a) = a Phi(a), Phi the standard normal CDF = (1 + erf(a / sqrt 2)) / 2;
    f'(a) = Phi(a) + a phi(a), phi the normal density.

    ``approximate="tanh"``: Phi(a) ~ (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3))) / 2.
    """
    if approximate == "none":
        cdf = (ops.Erf()(input * _SQRT1_2) + 1.0) * 0.5
    elif approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * _SQRT_2_OVER_PI
        cdf = (ops.Tanh()(inner) + 1.0) * 0.5
    else:
        raise ValueError(f"gelu: approximate must be one of {_GELU_FORMS}, got {approximate!r}")
    return input * cdf


def maxout(input: Tensor, pieces: int) -> Tensor:
    """The maxout activation: the largest of each group of ``pieces`` consecutive values.

    f(a)_k = max_j a_(k pieces + j); the gradient goes to the largest piece of each
    group ("max routes"), zero to the others.

    Shape: (*, out * pieces) -> (*, out).
    """
    features = input.shape[-1] if input.ndim else 0
    if pieces < 1 or features % pieces:
        raise ValueError(
            f"maxout: the last axis ({features}) must be a multiple of pieces ({pieces})"
        )
    grouped = input.reshape(input.shape[:-1] + (features // pieces, pieces))
    return grouped.amax(-1)


def softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """f(a)_i = e^(a_i) / sum_j e^(a_j) along ``dim``: probabilities that sum to 1.

    df_i/da_j = f_i (delta_ij - f_j). One stable primitive (``ops.Softmax``).
    ``dim=None`` means the last axis.
    """
    return ops.Softmax(-1 if dim is None else dim)(input)


def log_softmax(input: Tensor, dim: int | None = None) -> Tensor:
    """f(a)_i = a_i - log sum_j e^(a_j) along ``dim``, without overflow.

    df_i/da_j = delta_ij - softmax(a)_j. ``dim=None`` means the last axis.
    """
    return ops.LogSoftmax(-1 if dim is None else dim)(input)


# ------------------------------------------------------------------------------------
# Losses
# ------------------------------------------------------------------------------------

_REDUCTIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "mean": Tensor.mean,
    "sum": Tensor.sum,
    "none": lambda loss: loss,
}


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"reduction {reduction!r} is not valid; choose one of 'mean', 'sum', 'none'"
        )


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """Apply the ``reduction`` (already checked) to elementwise losses."""
    return _REDUCTIONS[reduction](loss)


def _check_probability(p: float, what: str) -> None:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{what} has to be between 0 and 1, but got {p!r}")


def _float_target(target: Any, input: Tensor, name: str) -> Tensor:
    """The target as a float tensor of the input's shape and dtype (a target that
    requires grad keeps its gradient)."""
    if not isinstance(target, Tensor):
        target = Tensor(_to_array(target, input.dtype))
    if target.shape != input.shape:
        raise ValueError(
            f"{name}: target shape {target.shape} differs from input shape {input.shape}; "
            "they must be equal (broadcasting is refused: an (N, 1) output against (N,) "
            "targets would compare every pair). Reshape one, e.g. target.reshape(input.shape)"
        )
    if target.dtype != input.dtype:
        target = ops.Cast(input.dtype)(target)  # an op, so compile sees each new target
    return target


# Class labels. Everything computed from the labels (one-hot rows, weights, masks) is
# computed by a gradient-free op from the label tensor (``_from_labels``), not from
# its NumPy values directly: so a compiled (traced) loss reads the new labels of every
# batch instead of keeping the first batch's.


def _labels(target: Any, name: str) -> Tensor:
    """Integer class labels as a tensor."""
    labels = target if isinstance(target, Tensor) else Tensor(np.asarray(target))
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: class labels must be integers, got dtype {labels.dtype} "
            "(for class probabilities use a float target of the input's shape)"
        )
    return labels


def _from_labels(fn: Callable[..., np.ndarray], labels: Tensor, **params: Any) -> Tensor:
    """``fn(labels, **params)``, computed by a gradient-free op on the label tensor."""
    return ops.NoGrad(functools.partial(fn, **params))(labels)


def _one_hot(labels: np.ndarray, classes: int, dtype: np.dtype) -> np.ndarray:
    return np.eye(classes, dtype=dtype)[labels]


def _kept(labels: np.ndarray, ignore_index: int) -> np.ndarray:
    """The labels, with ignored ones replaced by class 0 (their weight is zero)."""
    return np.where(labels != ignore_index, labels, 0)


def _row_weights(
    labels: np.ndarray, ignore_index: int, weight: np.ndarray | None, dtype: np.dtype
) -> np.ndarray:
    """w_(y_i) per row (1 without class weights), 0 where y_i is ``ignore_index``."""
    counted = labels != ignore_index
    per_row = (
        np.ones(labels.shape, dtype) if weight is None else weight[_kept(labels, ignore_index)]
    )
    return per_row * counted


def _target_distribution(
    labels: np.ndarray,
    classes: int,
    ignore_index: int,
    weight: np.ndarray | None,
    smoothing: float,
    dtype: np.dtype,
) -> np.ndarray:
    """q_ic = (1 - eps) w_(y_i) [c = y_i] + (eps / C) w_c, zero rows for ignored labels."""
    counted = labels != ignore_index
    kept = np.where(counted, labels, 0)
    q = np.zeros((len(labels), classes), dtype=dtype)
    q[np.arange(len(labels)), kept] = 1.0 - smoothing
    if weight is not None:
        q *= weight[kept][:, None]
    if smoothing:
        q += (smoothing / classes) * (np.ones(classes, dtype) if weight is None else weight)
    return q * counted[:, None]


def _other_classes(labels: np.ndarray, classes: int, dtype: np.dtype) -> np.ndarray:
    """1 for every class but the row's label (the terms of the hinge loss)."""
    return 1 - _one_hot(labels, classes, dtype)


def mse_loss(input: Tensor, target: Any, reduction: str = "mean", *, half: bool = False) -> Tensor:
    """Squared error: loss_i = (x_i - y_i)^2, reduced by ``reduction``.

    ``half=True`` gives the course's convention loss_i = (x_i - y_i)^2 / 2, whose
    derivative is simply x_i - y_i (PyTorch has no such option: its default is
    ``half=False``). d/dx = 2 (x - y) (or x - y with half), divided by N for the mean.
    """
    _check_reduction(reduction)
    target = _float_target(target, input, "mse_loss")
    if reduction != "none":  # one fused node
        return ops.SquaredError(reduction == "mean", half)(input, target)
    diff = input - target
    return diff * diff * 0.5 if half else diff * diff


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Absolute error: loss_i = |x_i - y_i|;  d/dx = sign(x - y)."""
    _check_reduction(reduction)
    return _reduce((input - _float_target(target, input, "l1_loss")).abs(), reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Huber loss: squared near zero, absolute far away (robust to outliers).

    With d = x - y: loss = d^2 / 2 if |d| < delta, else delta (|d| - delta / 2);
    d/dx = d, else delta sign(d).
    """
    _check_reduction(reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    diff = input - _float_target(target, input, "huber_loss")
    size = diff.abs()
    loss = where(size < delta, diff * diff * 0.5, (size - 0.5 * delta) * delta)
    return _reduce(loss, reduction)


def smooth_l1_loss(
    input: Tensor, target: Any, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """Smooth L1: d^2 / (2 beta) if |d| < beta, else |d| - beta / 2 (Huber / beta)."""
    _check_reduction(reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    diff = input - _float_target(target, input, "smooth_l1_loss")
    size = diff.abs()
    if beta == 0:
        return _reduce(size, reduction)
    loss = where(size < beta, diff * diff * (0.5 / beta), size - 0.5 * beta)
    return _reduce(loss, reduction)


def _weighted(loss: Tensor, weight: Any) -> Tensor:
    if weight is None:
        return loss
    return loss * (weight if isinstance(weight, Tensor) else Tensor(_to_array(weight, loss.dtype)))


def binary_cross_entropy(
    input: Tensor, target: Any, weight: Any = None, reduction: str = "mean"
) -> Tensor:
    """Binary cross-entropy of probabilities: loss = -(y log x + (1 - y) log(1 - x)).

    ``input`` holds probabilities in [0, 1] (a sigmoid output); each log is clamped
    at -100 as in PyTorch. d/dx = (x - y) / (x (1 - x)). ``weight`` rescales each
    element. Prefer ``binary_cross_entropy_with_logits`` on the pre-activation: it is
    stable, and its gradient is simply sigmoid(a) - y.
    """
    _check_reduction(reduction)
    target = _float_target(target, input, "binary_cross_entropy")
    data = input.data
    if data.size and (data.min() < 0 or data.max() > 1):
        raise ValueError(
            "binary_cross_entropy: all elements of input should be between 0 and 1 "
            f"(got values from {data.min()} to {data.max()}); for raw scores (logits) use "
            "binary_cross_entropy_with_logits"
        )
    loss = ops.BinaryCrossEntropy()(input, target)
    return _reduce(_weighted(loss, weight), reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Binary cross-entropy from logits a (before the sigmoid), stable for any a.

    loss = -(y log sigmoid(a) + (1 - y) log(1 - sigmoid(a))) = softplus(a) - y a,
    computed with a stable softplus; d/da = sigmoid(a) - y. ``pos_weight`` p weighs
    the positive term: loss = (1 - y) a + (1 + (p - 1) y) softplus(-a).
    """
    _check_reduction(reduction)
    target = _float_target(target, input, "binary_cross_entropy_with_logits")
    exact = ops.Softplus(1.0, math.inf)
    if pos_weight is None:
        loss = exact(input) - input * target
    else:
        p = pos_weight if isinstance(pos_weight, Tensor) else Tensor(_to_array(pos_weight, None))
        p = p.to(input.dtype) if p.dtype != input.dtype else p
        loss = (1.0 - target) * input + ((p - 1.0) * target + 1.0) * exact(-input)
    return _reduce(_weighted(loss, weight), reduction)


def _class_rows(input: Tensor, labels: Tensor, name: str) -> tuple[Tensor, Tensor]:
    """Scores (N, C) and labels (N,) from input (C,), (N, C) or (N, C, d1, ...)."""
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class axis, got a 0-d tensor")
    expected = () if input.ndim == 1 else (input.shape[0],) + input.shape[2:]
    if labels.shape != expected:
        raise ValueError(
            f"{name}: input of shape {input.shape} (classes on axis {min(input.ndim - 1, 1)}) "
            f"needs class labels of shape {expected}, got {labels.shape}"
        )
    classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    if input.ndim == 1:
        return input.reshape(1, classes), labels.reshape(1)
    if input.ndim > 2:
        moved = input.permute((0, *range(2, input.ndim), 1))
        return moved.reshape(-1, classes), labels.reshape(-1)
    return input, labels


def _check_labels(labels: np.ndarray, classes: int, ignore_index: int, name: str) -> None:
    """Raise on a label outside [0, classes) that is not ``ignore_index``."""
    bad = (labels != ignore_index) & ((labels < 0) | (labels >= classes))
    if bad.any():
        raise ValueError(
            f"{name}: class label {labels[bad][0]} is out of range for {classes} classes "
            f"(labels must be in [0, {classes - 1}] or equal ignore_index={ignore_index})"
        )


def _class_weight(weight: Any, classes: int, dtype: np.dtype, name: str) -> np.ndarray | None:
    if weight is None:
        return None
    w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
    if w.shape != (classes,):
        raise ValueError(f"{name}: weight must have shape ({classes},), got {w.shape}")
    return w.astype(dtype, copy=False)


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy from logits: loss_i = -log softmax(x_i)[y_i].

    ``input``: logits (N, C), (C,) or (N, C, d1, ...). ``target``: integer class
    labels (N,) (or (N, d1, ...)), or class probabilities of the input's shape.

    With integer labels, no ``weight`` and no smoothing, it is one fused primitive
    (``ops.SoftmaxCrossEntropy``) whose gradient is the course's
        dloss/dx_i = softmax(x_i) - e(y_i)   (divided by N for the mean),
    stable for logits of any size. Otherwise: loss_i = -sum_c q_ic log softmax(x_i)_c
    with q the (weighted, smoothed) target distribution:

    * ``weight`` (C,): class c counts w_c times; the mean divides by sum_i w_(y_i);
    * ``ignore_index``: labels equal to it count for nothing (not in the mean either);
    * ``label_smoothing`` eps: the target is (1 - eps) e(y) + eps / C.

    Example::

        >>> F.cross_entropy(cr.tensor([[1e4, 0.0]]), cr.tensor([1]))   # no overflow
        tensor(10000.)
    """
    _check_reduction(reduction)
    _check_probability(label_smoothing, "label_smoothing")
    target_dtype = target.dtype if isinstance(target, Tensor) else np.asarray(target).dtype
    if target_dtype.kind == "f":
        if tuple(np.shape(target)) != input.shape:
            raise ValueError(
                f"cross_entropy: a float target holds class probabilities and must have the "
                f"input's shape {input.shape}, got {tuple(np.shape(target))}; for class "
                "labels use integers (e.g. target.long())"
            )
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing)
    labels = _labels(target, "cross_entropy")
    scores, rows = _class_rows(input, labels, "cross_entropy")
    classes = scores.shape[1]
    values = rows.data
    fast = (
        weight is None
        and label_smoothing == 0.0
        and values.size > 0
        and values.min() >= 0
        and values.max() < classes
        and not (0 <= ignore_index < classes and (values == ignore_index).any())
    )
    if fast:
        loss = ops.SoftmaxCrossEntropy(reduction)(scores, rows)
    else:
        _check_labels(values, classes, ignore_index, "cross_entropy")
        w = _class_weight(weight, classes, scores.dtype, "cross_entropy")
        q = _from_labels(
            _target_distribution,
            rows,
            classes=classes,
            ignore_index=ignore_index,
            weight=w,
            smoothing=label_smoothing,
            dtype=scores.dtype,
        )
        losses = -(ops.LogSoftmax(1)(scores) * q).sum(1)
        if reduction == "mean":
            total_weight = _from_labels(
                _row_weights, rows, ignore_index=ignore_index, weight=w, dtype=scores.dtype
            ).sum()
            loss = losses.sum() / total_weight
        else:
            loss = _reduce(losses, reduction)
    if reduction == "none":
        return loss.reshape(labels.shape)
    return loss


def _cross_entropy_probabilities(
    input: Tensor, target: Any, weight: Any, reduction: str, label_smoothing: float
) -> Tensor:
    """cross_entropy with class probabilities q: loss_i = -sum_c w_c q_ic log softmax(x_i)_c;
    the mean divides by the number of rows N."""
    q = _float_target(target, input, "cross_entropy")
    axis = 0 if input.ndim == 1 else 1
    classes = input.shape[axis]
    if label_smoothing:
        q = q * (1.0 - label_smoothing) + label_smoothing / classes
    w = _class_weight(weight, classes, input.dtype, "cross_entropy")
    if w is not None:
        q = q * Tensor(w.reshape((classes,) + (1,) * (input.ndim - axis - 1)))
    losses = -(ops.LogSoftmax(axis)(input) * q).sum(axis)
    return _reduce(losses, reduction)


def nll_loss(
    input: Tensor,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood: loss_i = -w_(y_i) x_i[y_i], x holding log-probabilities.

    ``nll_loss(log_softmax(x), y)`` equals ``cross_entropy(x, y)``. The mean divides by
    sum_i w_(y_i) over the labels that are not ``ignore_index``. d/dx_i[y_i] = -w_(y_i).
    """
    _check_reduction(reduction)
    labels = _labels(target, "nll_loss")
    scores, rows = _class_rows(input, labels, "nll_loss")
    classes = scores.shape[1]
    _check_labels(rows.data, classes, ignore_index, "nll_loss")
    w = _class_weight(weight, classes, scores.dtype, "nll_loss")
    kept = _from_labels(_kept, rows, ignore_index=ignore_index)
    row_weight = _from_labels(
        _row_weights, rows, ignore_index=ignore_index, weight=w, dtype=scores.dtype
    )
    losses = -scores[np.arange(len(rows)), kept] * row_weight
    if reduction == "mean":
        return losses.sum() / row_weight.sum()
    if reduction == "none":
        return losses.reshape(labels.shape)
    return losses.sum()


def multi_margin_loss(
    input: Tensor,
    target: Any,
    p: int = 1,
    margin: float = 1.0,
    weight: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Multiclass hinge loss (the multiclass SVM loss), from class scores x:

        loss_i = sum_(j != y_i) max(0, margin - x_i[y_i] + x_i[j])^p / C,

    zero once the right class beats every other by ``margin``. PyTorch divides by the
    number of classes C; the course's SVM loss is the plain sum (multiply by C).
    d/dx_i[j] = 1 for each violating j, and d/dx_i[y_i] = -(number of violators) (p = 1).
    ``weight`` (C,) multiplies the loss of row i by w_(y_i).
    """
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p = 1 or 2 are supported, got {p!r}")
    labels = _labels(target, "multi_margin_loss")
    scores, rows = _class_rows(input, labels, "multi_margin_loss")
    n, classes = scores.shape
    _check_labels(rows.data, classes, -(2**62), "multi_margin_loss")
    correct = scores[np.arange(n), rows].reshape(n, 1)
    violation = ops.Relu()(scores - correct + margin)
    if p == 2:
        violation = violation * violation
    others = _from_labels(_other_classes, rows, classes=classes, dtype=scores.dtype)
    losses = (violation * others).sum(1) * (1.0 / classes)
    w = _class_weight(weight, classes, scores.dtype, "multi_margin_loss")
    if w is not None:
        losses = losses * _from_labels(
            _row_weights, rows, ignore_index=-(2**62), weight=w, dtype=scores.dtype
        )
    if reduction == "none":
        return losses.reshape(labels.shape)
    return _reduce(losses, reduction)
