"""Optimizers, learning-rate schedules, gradient clipping and weight penalties.

Names, arguments, update rules and ``state_dict`` layouts follow ``torch.optim``:
given the same start and the same gradients, each optimizer follows PyTorch's
trajectory. The optimizers, sorted in order of increasing complexity:

- ``SGD``: theta -= lr * g, with optional (Nesterov) momentum and weight decay.
- ``Adagrad``: per-coordinate steps divided by the root of the summed squares.
- ``RMSprop``: steps divided by a running root-mean-square of the gradients.
- ``Adam``, ``AdamW``: running averages of the gradient and its square, bias
  corrected; AdamW decouples the weight decay.

The typical loop::

    import chainrule.optim as optim
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = optim.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(epochs):
        for x, y in batches:
            opt.zero_grad()
            loss = criterion(model(x), y) + optim.l2_penalty(model, 1e-4)
            loss.backward()
            optim.clip_grad_norm_(model.parameters(), max_norm=5.0)
            opt.step()
        sched.step()
"""

from chainrule.optim import lr_scheduler
from chainrule.optim.adagrad import Adagrad
from chainrule.optim.adam import Adam, AdamW
from chainrule.optim.clip import clip_grad_norm_, clip_grad_value_
from chainrule.optim.lr_scheduler import (
    CosineAnnealingLR,
    InverseTimeDecay,
    LRScheduler,
    PowerDecay,
    ReduceLROnPlateau,
    StepLR,
)
from chainrule.optim.optimizer import Optimizer
from chainrule.optim.registry import OPTIMIZERS, TAKES_MOMENTUM, get_optimizer
from chainrule.optim.regularization import (
    is_bias,
    l1_penalty,
    l2_penalty,
    penalized_parameters,
    weight_decay_groups,
)
from chainrule.optim.rmsprop import RMSprop
from chainrule.optim.sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "lr_scheduler",
    "LRScheduler",
    "InverseTimeDecay",
    "PowerDecay",
    "StepLR",
    "CosineAnnealingLR",
    "ReduceLROnPlateau",
    "clip_grad_norm_",
    "clip_grad_value_",
    "is_bias",
    "penalized_parameters",
    "l1_penalty",
    "l2_penalty",
    "weight_decay_groups",
    "OPTIMIZERS",
    "TAKES_MOMENTUM",
    "get_optimizer",
]
