"""chainrule: neural networks from the chain rule up.

A NumPy tensor with reverse-mode automatic differentiation (``Tensor``,
``backward``), and on top of it the parts of a multilayer perceptron and the tools to
train it. Names follow PyTorch.

    >>> import chainrule as cr
    >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

# The Tensor class comes first: the autograd package refers back to it. (The module is
# _tensor.py, as in PyTorch, so that it is not hidden by the function chainrule.tensor.)
from chainrule._tensor import Tensor, is_tensor, where  # isort: skip
from chainrule import autograd
from chainrule.autograd.function import (
    ShapeError,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from chainrule.creation import (
    arange,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from chainrule.gradcheck import GradcheckError, gradcheck
from chainrule.random import manual_seed
from chainrule.tracing import compile  # noqa: A004  (PyTorch's name: chainrule.compile)

__version__ = "0.1.0"

# The larger parts load on first use, so `import chainrule` stays quick:
# chainrule.nn, chainrule.optim, chainrule.data, ... and a few names from them.
_SUBPACKAGES = ("nn", "optim", "data", "train", "viz", "search", "playground", "sklearn")
_LAZY_NAMES = {
    "save": "chainrule.serialization",
    "load": "chainrule.serialization",
    "explain": "chainrule.viz",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _SUBPACKAGES:
        return importlib.import_module(f"chainrule.{name}")
    if name in _LAZY_NAMES:
        return getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)


def cat(tensors: Any, dim: int = 0) -> Tensor:
    """Join tensors along an existing axis ``dim``."""
    from chainrule.autograd.ops import Cat

    items = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    if not items:
        raise ValueError("cat() needs at least one tensor")
    return Cat(dim)(*items)


def stack(tensors: Any, dim: int = 0) -> Tensor:
    """Join tensors of the same shape along a new axis ``dim``."""
    items = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    if not items:
        raise ValueError("stack() needs at least one tensor")
    shapes = {t.shape for t in items}
    if len(shapes) > 1:
        raise ValueError(f"stack() needs tensors of one shape, got {sorted(shapes)}")
    return cat([t.unsqueeze(dim) for t in items], dim)


def matmul(a: Tensor, b: Any) -> Tensor:
    return a @ b


def maximum(a: Tensor, b: Any) -> Tensor:
    return a.maximum(b)


def minimum(a: Tensor, b: Any) -> Tensor:
    return a.minimum(b)


def exp(x: Tensor) -> Tensor:
    return x.exp()


def log(x: Tensor) -> Tensor:
    return x.log()


def sqrt(x: Tensor) -> Tensor:
    return x.sqrt()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def relu(x: Tensor) -> Tensor:
    return x.relu()


def clamp(x: Tensor, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
    return x.clamp(min, max)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    return x.softmax(dim)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    return x.log_softmax(dim)


def logsumexp(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return x.logsumexp(dim, keepdim)


__all__ = [
    "Tensor",
    "ShapeError",
    "GradcheckError",
    "autograd",
    "tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "eye",
    "arange",
    "linspace",
    "rand",
    "randn",
    "randint",
    "zeros_like",
    "ones_like",
    "full_like",
    "rand_like",
    "randn_like",
    "manual_seed",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "gradcheck",
    "compile",
    "is_tensor",
    "where",
    "cat",
    "stack",
    "matmul",
    "maximum",
    "minimum",
    "exp",
    "log",
    "sqrt",
    "tanh",
    "sigmoid",
    "relu",
    "clamp",
    "softmax",
    "log_softmax",
    "logsumexp",
    "float16",
    "float32",
    "float64",
    "int32",
    "int64",
    "bool_",
]
