"""Activation functions as modules, and the name table ``ACTIVATIONS``.

Each docstring gives the function f(a) of the pre-activation a, its derivative f'(a)
(what backward multiplies the upstream gradient by) and the course's advice on when
to use it. The computation itself is in ``chainrule.nn.functional``.

Three things to look at when choosing a hidden activation:

* saturation: where f is flat, f'(a) ~ 0 and the gradient vanishes on its way back
  (sigmoid and tanh for |a| greater than a few units);
* zero-centred outputs: outputs that are all positive (sigmoid, ReLU) make the
  gradients of a neuron's weights share one sign, so updates zig-zag;
* dead units: a ReLU whose pre-activation is negative for every input gets zero
  gradient and never recovers ("dying ReLU"); leaky ReLU, PReLU, ELU and the smooth
  ones (softplus, SiLU, GELU) always pass some gradient.

    >>> from chainrule import nn
    >>> nn.get_activation("relu")
    ReLU()
"""

# ruff: noqa: A002  (PyTorch's argument name `input` is kept so keyword calls port as is)

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.autograd import ops
from chainrule.nn import functional as F
from chainrule.nn.layers import Identity
from chainrule.nn.module import Module, Parameter

__all__ = [
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "Softplus",
    "SiLU",
    "Hardswish",
    "GELU",
    "Softmax",
    "LogSoftmax",
    "ACTIVATIONS",
    "get_activation",
]


def _inplace_repr(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


class Sigmoid(Module):
    """The logistic function: f(a) = 1 / (1 + e^-a), in (0, 1).

    f'(a) = f(a) (1 - f(a)), at most 1/4 (at a = 0).

    Advice: use it at the output for a probability (binary classification; better,
    give the logits to ``BCEWithLogitsLoss``). As a hidden activation it saturates
    (f' ~ 0 for |a| > 5: vanishing gradients), its outputs are not zero-centred, and
    even at best it shrinks the gradient 4 times per layer.

    Example::

        >>> nn.Sigmoid()(cr.tensor([0.0]))
        tensor([0.5])
    """

    def forward(self, input: Tensor) -> Tensor:
        return ops.Sigmoid()(input)  # F.sigmoid, without the extra call


class Tanh(Module):
    """The hyperbolic tangent: f(a) = (e^a - e^-a) / (e^a + e^-a), in (-1, 1).

    f'(a) = 1 - f(a)^2, equal to 1 at a = 0.

    Advice: zero-centred, so better than the sigmoid in hidden layers (tanh(a) =
    2 sigmoid(2a) - 1); it still saturates for large |a|. Pair with Glorot init.

    Example::

        >>> nn.Tanh()(cr.tensor([0.0]))
        tensor([0.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return ops.Tanh()(input)  # F.tanh, without the extra call


class ReLU(Module):
    """The rectified linear unit: f(a) = max(0, a).

    f'(a) = 1 for a > 0, 0 for a < 0 (0 is used at a = 0).

    Advice: the default for hidden layers: cheap, no saturation for a > 0, sparse
    outputs. Not zero-centred, and a unit whose pre-activation is always negative
    dies (zero gradient forever): watch the learning rate, use He init, or switch to
    leaky ReLU / PReLU / ELU.

    Args:
        inplace: accepted for PyTorch compatibility; the result is always a new tensor.

    Example::

        >>> nn.ReLU()(cr.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return ops.Relu()(input)  # F.relu, without the extra call

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class LeakyReLU(Module):
    """Leaky ReLU: f(a) = a for a > 0, else negative_slope * a.

    f'(a) = 1 for a > 0, else negative_slope.

    Advice: a ReLU that cannot die: negative inputs still pass a small gradient.

    Args:
        negative_slope: the slope for a < 0 (default 0.01).
        inplace: accepted for PyTorch compatibility.

    Example::

        >>> nn.LeakyReLU(0.1)(cr.tensor([-1.0, 2.0]))
        tensor([-0.1,  2. ])
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """Parametric ReLU: a leaky ReLU whose slope w is learned, f(a) = a for a > 0, else w a.

    f'(a) = 1 for a > 0, else w;  df/dw = a for a <= 0, else 0 (summed over the
    elements that share the slope).

    Advice: lets the network choose between ReLU (w = 0), leaky ReLU and a linear
    unit (w = 1). Do not put weight decay on w. One slope, or one per channel (axis 1
    of the input).

    Args:
        num_parameters: number of slopes: 1, or the number of input channels.
        init: initial slope (default 0.25).

    Attributes:
        weight: Parameter of shape (num_parameters,).

    Example::

        >>> prelu = nn.PReLU()
        >>> prelu(cr.tensor([-1.0, 2.0]))
        tensor([-0.25,  2.  ], grad_fn=<WhereBackward>)
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype: Any = None) -> None:
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, int):
            raise ValueError(f"PReLU: num_parameters must be an integer, got {num_parameters!r}")
        if num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be at least 1, got {num_parameters}")
        self.num_parameters = num_parameters
        self.init = init
        dtype = np.dtype(np.float32 if dtype is None else dtype)
        self.weight = Parameter(np.full(num_parameters, init, dtype=dtype))

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """Exponential linear unit: f(a) = a for a > 0, else alpha (e^a - 1).

    f'(a) = 1 for a > 0, else alpha e^a (= f(a) + alpha).

    Advice: smooth for alpha = 1, negative outputs push the mean activation towards
    zero (closer to zero-centred), and no dead units; it saturates only for very
    negative a, at -alpha. Costs an exponential.

    Args:
        alpha: the value approached for a -> -inf is -alpha (default 1.0).
        inplace: accepted for PyTorch compatibility.

    Example::

        >>> nn.ELU()(cr.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.    ])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    """Softplus, a smooth ReLU: f(a) = log(1 + e^(beta a)) / beta.

    f'(a) = sigmoid(beta a). Where beta a > threshold, f(a) = a (the two agree to
    float precision there, and the exponential is not computed).

    Advice: always differentiable and always positive, but not zero-centred and
    slower than ReLU; in practice ReLU usually trains as well. Also the way to make a
    value positive (a standard deviation, a rate).

    Args:
        beta: sharpness (default 1); large beta approaches ReLU.
        threshold: above beta a > threshold the function is linear (default 20).

    Example::

        >>> nn.Softplus()(cr.tensor([0.0]))
        tensor([0.6931])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        if beta == 0:
            raise ValueError("Softplus: beta must not be 0")
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class SiLU(Module):
    """Sigmoid linear unit, also called swish: f(a) = a sigmoid(a).

    f'(a) = sigmoid(a) (1 + a (1 - sigmoid(a))).

    Advice: smooth and non-monotonic (a small dip below zero near a = -1.3), no dead
    units, unbounded above; often a little better than ReLU in deep networks, at the
    cost of a sigmoid.

    Args:
        inplace: accepted for PyTorch compatibility.

    Example::

        >>> nn.SiLU()(cr.tensor([0.0, 1.0]))
        tensor([0.    , 0.7311])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class Hardswish(Module):
    """Hard swish: f(a) = a relu6(a + 3) / 6 = 0 for a <= -3, a for a >= 3,
    a (a + 3) / 6 between.

    f'(a) = 0 for a < -3, (2a + 3) / 6 between, 1 for a > 3.

    Advice: a piecewise-polynomial swish without the exponential, cheap on small
    devices (MobileNetV3); behaves like SiLU.

    Args:
        inplace: accepted for PyTorch compatibility.

    Example::

        >>> nn.Hardswish()(cr.tensor([-4.0, 1.0, 4.0]))
        tensor([-0.    ,  0.6667,  4.    ])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class GELU(Module):
    """Gaussian error linear unit: f(a) = a Phi(a), Phi the standard normal CDF,
    Phi(a) = (1 + erf(a / sqrt 2)) / 2.

    f'(a) = Phi(a) + a phi(a), phi(a) = e^(-a^2/2) / sqrt(2 pi).

    Advice: a smooth ReLU that weighs its input by how likely it is to be positive;
    the default in transformers. Non-monotonic near a = -0.75, no dead units.

    Args:
        approximate: "none" (exact, with erf) or "tanh" (the approximation
            Phi(a) ~ (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3))) / 2).

    Example::

        >>> nn.GELU()(cr.tensor([1.0]))
        tensor([0.8413])
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in F._GELU_FORMS:
            raise ValueError(
                f"GELU: approximate must be one of {F._GELU_FORMS}, got {approximate!r}"
            )
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    """Softmax along ``dim``: f(a)_i = e^(a_i) / sum_j e^(a_j), probabilities summing to 1.

    df_i/da_j = f_i (delta_ij - f_j): every output depends on every input.

    Advice: the output activation for one-of-C classification. For training, do not
    put it in the model: give the logits to ``CrossEntropyLoss``, which fuses softmax
    and cross-entropy (stable, and its gradient is simply softmax - one_hot).

    Args:
        dim: the axis that sums to 1 (None: the last axis).

    Example::

        >>> nn.Softmax(dim=1)(cr.tensor([[1.0, 1.0]]))
        tensor([[0.5, 0.5]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(a)) along ``dim``: f(a)_i = a_i - log sum_j e^(a_j), computed stably.

    df_i/da_j = delta_ij - softmax(a)_j. Pair with ``NLLLoss`` (together they are
    ``CrossEntropyLoss``).

    Args:
        dim: the axis of the classes (None: the last axis).

    Example::

        >>> nn.LogSoftmax(dim=1)(cr.tensor([[0.0, 0.0]]))
        tensor([[-0.6931, -0.6931]])
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


# Lowercase names (as a command line or the playground gives them) to classes.
ACTIVATIONS: dict[str, type[Module]] = {
    "identity": Identity,
    "linear": Identity,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "prelu": PReLU,
    "elu": ELU,
    "softplus": Softplus,
    "silu": SiLU,
    "swish": SiLU,
    "hardswish": Hardswish,
    "gelu": GELU,
}


def get_activation(name: str, **kwargs: Any) -> Module:
    """A new activation module from its lowercase name (see ``ACTIVATIONS``).

    Keyword arguments go to the class, e.g. ``get_activation("leaky_relu",
    negative_slope=0.2)``.

    Example::

        >>> get_activation("tanh")
        Tanh()
    """
    cls = ACTIVATIONS.get(name.lower() if isinstance(name, str) else name)
    if cls is None:
        raise ValueError(
            f"unknown activation {name!r}; choose one of: {', '.join(sorted(ACTIVATIONS))}"
        )
    return cls(**kwargs)
