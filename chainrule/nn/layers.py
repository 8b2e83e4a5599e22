"""Layers with weights (``Linear``, ``Maxout``) and simple shape or noise layers
(``Identity``, ``Flatten``, ``Dropout``).

    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> layer = nn.Linear(2, 3)
    >>> layer(cr.ones(5, 2)).shape
    (5, 3)
"""

# ruff: noqa: A002  (PyTorch's argument name `input` is kept so keyword calls port as is)

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.autograd.ops import Linear as _LinearOp
from chainrule.nn import functional as F
from chainrule.nn import init
from chainrule.nn.module import Module, Parameter

__all__ = ["Identity", "Linear", "Maxout", "Flatten", "Dropout"]


def _check_size(value: Any, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative integer, got {value!r}")
    return int(value)


def _float_dtype(dtype: Any, owner: str) -> np.dtype:
    resolved = np.dtype(np.float32 if dtype is None else dtype)
    if resolved.kind != "f":
        raise TypeError(f"{owner}: dtype must be a floating-point type, got {resolved}")
    return resolved


class Identity(Module):
    """Returns its input unchanged: f(a) = a, f'(a) = 1 (arguments are accepted and
    ignored).

    Useful as a placeholder, e.g. the "linear" activation of an output layer.

    Example::

        >>> nn.Identity()(cr.ones(2)).shape
        (2,)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """The dense (fully connected) layer: y = x W^T + b.

    Each of the ``out_features`` neurons computes a weighted sum of all
    ``in_features`` inputs plus its bias: row k of W holds neuron k's weights.
    Forward is one fused primitive (``F.linear``); backward gives
    dL/dx = g W, dL/dW = g^T x, dL/db = sum of g over the batch.

    Init (the course's, NOT PyTorch's default): Glorot (Xavier) uniform weights,
    W ~ U(-b, b) with b = sqrt(6 / (in_features + out_features)), and zero biases.
    PyTorch draws both from U(-1/sqrt(in), 1/sqrt(in)); to get that, call
    ``init.kaiming_uniform_(layer.weight, a=math.sqrt(5))`` and
    ``init.uniform_(layer.bias, -1/math.sqrt(in_features), 1/math.sqrt(in_features))``,
    or load PyTorch's weights with ``load_state_dict``. For ReLU layers, He init
    (``init.kaiming_uniform_(layer.weight, nonlinearity="relu")``) is the usual choice.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample (number of neurons).
        bias: learn an additive bias (default True).
        dtype: dtype of the parameters (default float32).

    Shape:
        input (*, in_features) -> output (*, out_features).

    Attributes:
        weight: Parameter of shape (out_features, in_features).
        bias: Parameter of shape (out_features,), or None.

    Example::

        >>> layer = nn.Linear(20, 30)
        >>> layer(cr.randn(128, 20)).shape
        (128, 30)
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, dtype: Any = None
    ) -> None:
        super().__init__()
        self.in_features = _check_size(in_features, "in_features", "Linear")
        self.out_features = _check_size(out_features, "out_features", "Linear")
        dtype = _float_dtype(dtype, "Linear")
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype))
        if bias:
            self.bias = Parameter(np.zeros(self.out_features, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new weights (Glorot uniform) and set the biases to zero."""
        if self.weight.numel():
            init.xavier_uniform_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        # F.linear(input, self.weight, self.bias), without the extra call
        bias = self.bias
        if bias is None:
            return _LinearOp()(input, self.weight)
        return _LinearOp()(input, self.weight, bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Maxout(Module):
    """Maxout layer: each output is the largest of ``pieces`` affine functions of x.

        y_k = max_j (x . w_kj + b_kj),  j = 1 .. pieces.

    A maxout unit learns its own convex, piecewise-linear activation; with two
    pieces it can represent ReLU (one piece at zero) or the absolute value. It does
    not saturate and has no dead units, at the cost of ``pieces`` times the weights.
    f'(a): the gradient flows only into the winning piece ("max routes").

    Implemented as ``Linear(in_features, out_features * pieces)`` followed by
    ``F.maxout``: rows k*pieces .. k*pieces + pieces - 1 of ``weight`` are the pieces
    of unit k. Init as ``Linear``: Glorot uniform (fan_out = out_features * pieces),
    zero bias.

    Args:
        in_features: size of each input sample.
        out_features: number of maxout units.
        pieces: number of linear pieces per unit (k in the course, at least 1).
        bias: learn biases (default True).

    Shape:
        input (*, in_features) -> output (*, out_features).

    Example::

        >>> nn.Maxout(4, 3, pieces=2)(cr.randn(10, 4)).shape
        (10, 3)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        pieces: int,
        bias: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = _check_size(in_features, "in_features", "Maxout")
        self.out_features = _check_size(out_features, "out_features", "Maxout")
        self.pieces = _check_size(pieces, "pieces", "Maxout")
        if self.pieces < 1:
            raise ValueError("Maxout: pieces must be at least 1")
        dtype = _float_dtype(dtype, "Maxout")
        rows = self.out_features * self.pieces
        self.weight = Parameter(np.empty((rows, self.in_features), dtype))
        if bias:
            self.bias = Parameter(np.zeros(rows, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new weights (Glorot uniform) and set the biases to zero."""
        if self.weight.numel():
            init.xavier_uniform_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.maxout(F.linear(input, self.weight, self.bias), self.pieces)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"pieces={self.pieces}, bias={self.bias is not None}"
        )


class Flatten(Module):
    """Merges axes ``start_dim`` .. ``end_dim`` into one (by default all but the batch).

    Shape:
        (N, d1, d2, ...) -> (N, d1 * d2 * ...) with the defaults.

    Example::

        >>> nn.Flatten()(cr.ones(32, 28, 28)).shape
        (32, 784)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability p and scale the
    others by 1/(1-p); in evaluation mode (``model.eval()``), the identity.

    Dropping random units keeps them from co-adapting: a regulariser against
    overfitting. Scaling at training time keeps the expected value of every unit, so
    the trained network is used as is. The mask comes from chainrule's generator:
    ``chainrule.manual_seed`` makes it repeat.

    Args:
        p: probability of zeroing an element (default 0.5), in [0, 1].
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Shape:
        any shape, unchanged.

    Example::

        >>> drop = nn.Dropout(0.2)
        >>> y = drop(cr.ones(4, 5))      # zeros and 1.25s
        >>> drop.eval()(cr.ones(2, 3))   # all ones
        tensor([[1., 1., 1.],
                [1., 1., 1.]])
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        F._check_probability(p, "dropout probability")
        self.p = float(p)
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
