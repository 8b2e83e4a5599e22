"""Optimizers by name, for the command line, the search and the estimators."""

from __future__ import annotations

from typing import Any

from chainrule.optim.adagrad import Adagrad
from chainrule.optim.adam import Adam, AdamW
from chainrule.optim.optimizer import Optimizer
from chainrule.optim.rmsprop import RMSprop
from chainrule.optim.sgd import SGD

__all__ = ["OPTIMIZERS", "TAKES_MOMENTUM", "get_optimizer"]

OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adam": Adam,
    "adamw": AdamW,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
}

# The optimizers that have a ``momentum`` option.
TAKES_MOMENTUM = ("sgd", "rmsprop")


def get_optimizer(
    name: str, params: Any, lr: float, momentum: float = 0.0, **options: Any
) -> Optimizer:
    """The optimizer called ``name`` (a key of ``OPTIMIZERS``) over ``params``.

    ``momentum`` is passed on only to the optimizers that take it (a non-zero one to
    another optimizer is an error that says which take it).

    Example::

        >>> get_optimizer("sgd", model.parameters(), lr=0.1, momentum=0.9)
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    if name in TAKES_MOMENTUM:
        options["momentum"] = momentum
    elif momentum:
        raise ValueError(f"optimizer {name!r} takes no momentum; {' and '.join(TAKES_MOMENTUM)} do")
    optimizer_class: Any = OPTIMIZERS[name]  # each subclass takes lr (the base does not)
    return optimizer_class(params, lr=lr, **options)
