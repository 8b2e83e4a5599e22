"""Weight initialisation: fill a tensor in place with values drawn for a good start.

Why it matters (the course's point): with all weights equal every hidden unit computes
the same thing and gets the same gradient, so they never become different; with
weights too large, tanh and sigmoid units saturate and their gradients vanish; too
small, and the signal shrinks layer after layer. Glorot (Xavier) initialisation keeps
the variance of activations and gradients about the same across layers:

    W ~ U(-b, b),  b = gain * sqrt(6 / (fan_in + fan_out)),

and He (Kaiming) initialisation does the same for ReLU units, which zero half of
their inputs:  W ~ N(0, 2 / fan_in)  or  U(-b, b) with b = sqrt(6 / fan_in).

Every function changes its tensor in place (outside the graph) and returns it. They
draw from chainrule's generator, so ``chainrule.manual_seed(s)`` makes them repeat;
pass ``generator=`` (a ``numpy.random.Generator``) to use another one. Names and
arguments are PyTorch's.

    >>> import chainrule as cr
    >>> from chainrule.nn import init
    >>> w = cr.empty(3, 5)
    >>> w = init.xavier_uniform_(w)   # in place; bound sqrt(6 / (5 + 3)) = 0.866
    >>> bool((w.abs() <= 0.866).all())
    True
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule import random as _random
from chainrule._tensor import Tensor
from chainrule.autograd.function import no_grad

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "constant_",
    "ones_",
    "zeros_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]

# The gain for each nonlinearity: the factor that makes up for how much the function
# shrinks the variance of its input (PyTorch's table).
_GAINS = {
    "linear": lambda param: 1.0,
    "identity": lambda param: 1.0,
    "conv1d": lambda param: 1.0,
    "conv2d": lambda param: 1.0,
    "conv3d": lambda param: 1.0,
    "sigmoid": lambda param: 1.0,
    "tanh": lambda param: 5.0 / 3,
    "relu": lambda param: math.sqrt(2.0),
    "leaky_relu": lambda param: math.sqrt(2.0 / (1 + _slope(param) ** 2)),
    "selu": lambda param: 3.0 / 4,
}

_FAN_MODES = ("fan_in", "fan_out")


def _slope(param: float | None) -> float:
    if param is None:
        return 0.01
    if isinstance(param, bool) or not isinstance(param, (int, float)):
        raise ValueError(f"negative_slope {param!r} is not a valid number")
    return float(param)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (multiplies the init's scale).

    linear/identity/sigmoid: 1, tanh: 5/3, relu: sqrt(2), leaky_relu:
    sqrt(2 / (1 + negative_slope^2)) (``param`` is the slope, default 0.01), selu: 3/4.

    Example::

        >>> calculate_gain("tanh")
        1.6666666666666667
    """
    rule = _GAINS.get(nonlinearity)
    if rule is None:
        raise ValueError(
            f"unsupported nonlinearity {nonlinearity!r}; choose one of {', '.join(_GAINS)}"
        )
    return rule(param)


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel): in * kernel, out * kernel."""
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dimensions, got shape {tensor.shape}"
        )
    receptive_field = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in _FAN_MODES:
        raise ValueError(f"mode {mode!r} not supported, choose 'fan_in' or 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor: Tensor, values: Any) -> Tensor:
    """Write ``values`` into ``tensor`` in place, outside the graph."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init functions fill a chainrule Tensor, got {type(tensor).__name__}")
    with no_grad():
        tensor.copy_(values)
    return tensor


def uniform_(
    tensor: Tensor,
    a: float = 0.0,
    b: float = 1.0,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Fill with values drawn uniformly from [a, b).

    Example::

        >>> w = uniform_(chainrule.empty(2, 3), -0.1, 0.1)
    """
    if not a <= b:
        raise ValueError(f"uniform_ needs a <= b, got a={a}, b={b}")
    rng = _random.seed_from(generator)
    return _fill(tensor, rng.uniform(a, b, size=tensor.shape))


def normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Fill with values drawn from the normal distribution N(mean, std^2).

    Example::

        >>> w = normal_(chainrule.empty(2, 3), std=0.01)
    """
    if std < 0:
        raise ValueError(f"normal_ needs std >= 0, got {std}")
    rng = _random.seed_from(generator)
    return _fill(tensor, rng.normal(mean, std, size=tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with the value ``val``."""
    return _fill(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with ones."""
    return _fill(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with zeros (the course's initial biases)."""
    return _fill(tensor, 0.0)


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Glorot (Xavier) uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).

    The course's default initialisation of a dense layer's weights (with zero biases);
    it keeps the variance of the signal about constant through tanh/sigmoid layers.
    For a weight of shape (out, in), fan_in = in and fan_out = out.

    Example::

        >>> w = xavier_uniform_(chainrule.empty(4, 2))   # bound sqrt(6/6) = 1
        >>> bool((w.abs() <= 1).all())
        True
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(
    tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Glorot (Xavier) normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    Example::

        >>> w = xavier_normal_(chainrule.empty(4, 2))
    """
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """He (Kaiming) uniform: U(-b, b) with b = gain * sqrt(3 / fan).

    For ReLU (``nonlinearity="relu"``, gain sqrt 2) that is b = sqrt(6 / fan_in): the
    variance 2 / fan_in makes up for ReLU zeroing half of its inputs.

    Args:
        a: the negative slope of the leaky ReLU after this layer (0: plain ReLU).
        mode: "fan_in" keeps the forward signal's variance, "fan_out" the gradient's.
        nonlinearity: the activation that follows, for ``calculate_gain``.

    Example::

        >>> w = kaiming_uniform_(chainrule.empty(128, 784), nonlinearity="relu")
    """
    fan = _fan(tensor, mode)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """He (Kaiming) normal: N(0, std^2) with std = gain / sqrt(fan).

    Arguments as in ``kaiming_uniform_``.

    Example::

        >>> w = kaiming_normal_(chainrule.empty(128, 784), mode="fan_in", nonlinearity="relu")
    """
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)
