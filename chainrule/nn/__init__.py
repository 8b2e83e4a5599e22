"""chainrule.nn: the parts of a neural network, with PyTorch's names.

* ``module.py``: ``Module`` (registers parameters and sub-modules, ``parameters()``,
  ``state_dict()`` with PyTorch's keys, ``train()``/``eval()``) and ``Parameter``;
* ``layers.py``: ``Linear`` (the dense layer, Glorot-initialised), ``Maxout``,
  ``Dropout``, ``Flatten``, ``Identity``;
* ``containers.py``: ``Sequential``, ``ModuleList``;
* ``activation.py``: every activation as a module, and the name table ``ACTIVATIONS``;
* ``loss.py``: the losses, and the name table ``LOSSES``;
* ``functional.py``: the functions behind all of them (``import chainrule.nn.functional
  as F``);
* ``init.py``: initialisers (``init.xavier_uniform_``, ``init.kaiming_normal_``, ...);
* ``perceptron.py``: Rosenblatt's perceptron and its delta rule.

    >>> import chainrule as cr
    >>> from chainrule import nn
    >>> model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    >>> loss = nn.MSELoss()(model(cr.randn(8, 2)), cr.zeros(8, 1))
    >>> loss.backward()
    >>> model[0].weight.grad.shape
    (4, 2)
"""

from __future__ import annotations

from chainrule.nn import functional, init
from chainrule.nn.activation import (
    ACTIVATIONS,
    ELU,
    GELU,
    Hardswish,
    LeakyReLU,
    LogSoftmax,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
    get_activation,
)
from chainrule.nn.containers import ModuleList, Sequential, mlp
from chainrule.nn.layers import Dropout, Flatten, Identity, Linear, Maxout
from chainrule.nn.loss import (
    LOSSES,
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    MultiMarginLoss,
    NLLLoss,
    SmoothL1Loss,
    get_loss,
)
from chainrule.nn.module import IncompatibleKeys, Module, Parameter
from chainrule.nn.perceptron import Perceptron

__all__ = [
    "functional",
    "init",
    # containers of weights
    "Module",
    "Parameter",
    "IncompatibleKeys",
    "Sequential",
    "mlp",
    "ModuleList",
    # layers
    "Identity",
    "Linear",
    "Maxout",
    "Flatten",
    "Dropout",
    "Perceptron",
    # activations
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
    # losses
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
