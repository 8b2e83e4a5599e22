"""Learning-rate schedules: change each parameter group's ``lr`` as training goes on.

As in PyTorch, a scheduler wraps an optimizer and is stepped once per epoch (or per
iteration, if that is the unit you want), *after* the optimizer::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, optimizer)      # calls optimizer.step() many times
        scheduler.step()                       # then the schedule moves on

Creating a scheduler records each group's starting rate as ``group["initial_lr"]``
(lr_0 below) and sets ``lr`` to the schedule's value at epoch 0. ``last_epoch``
counts the ``step()`` calls, so the learning rate during epoch e is lr_e.

The schedules of the course, ``InverseTimeDecay`` (lr_0 / (1 + d e)) and
``PowerDecay`` (lr_0 / t^d), sit next to PyTorch's ``StepLR``,
``CosineAnnealingLR`` and ``ReduceLROnPlateau``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, SupportsFloat

from chainrule.optim.optimizer import Optimizer, is_real, is_whole

__all__ = [
    "LRScheduler",
    "InverseTimeDecay",
    "PowerDecay",
    "StepLR",
    "CosineAnnealingLR",
    "ReduceLROnPlateau",
]


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


class LRScheduler:
    """Base class of the schedules that are a formula of the epoch.

    A subclass implements ``lr_at(base_lr, epoch)``, the learning rate of a group
    whose starting rate is ``base_lr``, at ``epoch`` (0 for the first epoch).

    Args:
        optimizer: the optimizer whose groups' ``lr`` this scheduler sets.
        last_epoch: the index of the last epoch done, -1 to start fresh. When
            resuming, prefer ``load_state_dict``.

    Attributes:
        base_lrs: each group's starting learning rate (``group["initial_lr"]``).
        last_epoch: how many times ``step()`` ran since epoch 0.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{type(self).__name__} needs a chainrule Optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ValueError(
                        f"resuming with last_epoch={last_epoch} needs 'initial_lr' in every "
                        f"parameter group, but group {i} has none: load the optimizer's "
                        "state dict first, or start with last_epoch=-1"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._last_lr: list[float] = []
        self.step()  # move to epoch 0 (or last_epoch + 1) and set the learning rates

    def lr_at(self, base_lr: float, epoch: int) -> float:
        """The learning rate at ``epoch`` of a group that started at ``base_lr``."""
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        """The learning rate of each parameter group at ``last_epoch``."""
        return [self.lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)

    def step(self) -> None:
        """Move to the next epoch and set each group's ``lr``.

        Call it after ``optimizer.step()``: calling it first skips the schedule's
        first value (a warning says so).
        """
        if self._step_count == 1 and self.optimizer._step_count == 0:
            warnings.warn(
                "scheduler.step() was called before optimizer.step(); call it after, so "
                "the first epoch trains with the schedule's first learning rate",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state (everything but the optimizer), as in PyTorch."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state from ``state_dict()`` (PyTorch's private extras are ignored)."""
        own = self.state_dict()
        unknown = [k for k in state_dict if k not in own and not k.startswith("_")]
        if unknown:
            raise ValueError(
                f"unknown key(s) {unknown} in the state dict of a {type(self).__name__}; "
                f"its keys are {sorted(own)}"
            )
        for key, value in state_dict.items():
            if key in own:
                setattr(self, key, list(value) if isinstance(value, list) else value)


class InverseTimeDecay(LRScheduler):
    """The course's a / (1 + d t) decay: lr_e = lr_0 / (1 + decay * e).

    ``e`` is the number of ``step()`` calls so far (0 in the first epoch), so the
    first epoch trains at lr_0, the second at lr_0 / (1 + decay), and so on.
    The same schedule as ``LambdaLR(opt, lambda e: 1 / (1 + decay * e))`` in PyTorch.

    Args:
        optimizer: the optimizer to schedule.
        decay: d >= 0, how fast the rate falls.
        last_epoch: -1 to start fresh.

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, InverseTimeDecay
        >>> opt = SGD([cr.zeros(2, requires_grad=True)], lr=1.0)
        >>> sched = InverseTimeDecay(opt, decay=0.5)
        >>> lrs = []
        >>> for epoch in range(3):
        ...     opt.step()
        ...     lrs.append(sched.get_last_lr()[0])
        ...     sched.step()
        >>> lrs                      # 1 / (1 + 0.5 e)
        [1.0, 0.6666666666666666, 0.5]
    """

    def __init__(self, optimizer: Optimizer, decay: float, last_epoch: int = -1) -> None:
        _check(is_real(decay) and decay >= 0, f"decay must be a number >= 0, got {decay!r}")
        self.decay = decay
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr / (1 + self.decay * epoch)


class PowerDecay(LRScheduler):
    """The course's a / t^d decay: lr_e = lr_0 / t^power with t = e + 1.

    ``t`` counts epochs from 1 (t = e + 1, where ``e`` is the number of ``step()``
    calls so far), so the first epoch trains at lr_0 / 1^power = lr_0, the second at
    lr_0 / 2^power. ``power=0.5`` gives the common 1 / sqrt(t) schedule. The same
    schedule as ``LambdaLR(opt, lambda e: 1 / (e + 1) ** power)`` in PyTorch.

    Args:
        optimizer: the optimizer to schedule.
        power: d >= 0.
        last_epoch: -1 to start fresh.

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, PowerDecay
        >>> opt = SGD([cr.zeros(2, requires_grad=True)], lr=1.0)
        >>> sched = PowerDecay(opt, power=1.0)
        >>> for epoch in range(3):
        ...     opt.step()
        ...     sched.step()
        >>> sched.get_last_lr()      # epoch 3: 1 / 4
        [0.25]
    """

    def __init__(self, optimizer: Optimizer, power: float, last_epoch: int = -1) -> None:
        _check(is_real(power) and power >= 0, f"power must be a number >= 0, got {power!r}")
        self.power = power
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr / (epoch + 1) ** self.power


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs (as PyTorch's).

    lr_e = lr_0 * gamma ^ floor(e / step_size)

    Args:
        optimizer: the optimizer to schedule.
        step_size: epochs between decays (a positive integer).
        gamma: the factor (default 0.1).
        last_epoch: -1 to start fresh.

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, StepLR
        >>> opt = SGD([cr.zeros(2, requires_grad=True)], lr=0.5)
        >>> sched = StepLR(opt, step_size=2, gamma=0.1)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     opt.step()
        ...     lrs.append(sched.get_last_lr()[0])
        ...     sched.step()
        >>> [round(lr, 6) for lr in lrs]
        [0.5, 0.5, 0.05, 0.05, 0.005]
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        _check(
            is_whole(step_size) and step_size > 0,
            f"step_size must be a positive integer, got {step_size!r}",
        )
        _check(is_real(gamma) and gamma >= 0, f"gamma must be a number >= 0, got {gamma!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from lr_0 down to ``eta_min`` over ``T_max`` epochs.

    lr_e = eta_min + (lr_0 - eta_min) * (1 + cos(pi * e / T_max)) / 2

    Past ``T_max`` the cosine continues (the rate climbs back), as in PyTorch.
    PyTorch computes the same values with a recursive form; the two agree unless
    something else changes ``lr`` between steps, where this closed form ignores the
    change.

    Args:
        optimizer: the optimizer to schedule.
        T_max: epochs to go from lr_0 to eta_min (a positive integer).
        eta_min: the lowest rate (default 0).
        last_epoch: -1 to start fresh.

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, CosineAnnealingLR
        >>> opt = SGD([cr.zeros(2, requires_grad=True)], lr=1.0)
        >>> sched = CosineAnnealingLR(opt, T_max=2)
        >>> lrs = []
        >>> for epoch in range(3):
        ...     opt.step()
        ...     lrs.append(round(sched.get_last_lr()[0], 6))
        ...     sched.step()
        >>> lrs
        [1.0, 0.5, 0.0]
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        _check(
            is_whole(T_max) and T_max > 0,
            f"T_max must be a positive integer, got {T_max!r}",
        )
        _check(is_real(eta_min) and eta_min >= 0, f"eta_min must be a number >= 0, got {eta_min!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


class ReduceLROnPlateau(LRScheduler):
    """Cut the rate by ``factor`` when a watched metric stops improving (as PyTorch's).

    Call ``step(metric)`` once per epoch with, e.g., the validation loss. A value
    is an improvement when it beats the best so far by the threshold::

        mode='min', 'rel':  metric < best * (1 - threshold)
        mode='min', 'abs':  metric < best - threshold
        mode='max', 'rel':  metric > best * (1 + threshold)
        mode='max', 'abs':  metric > best + threshold

    After more than ``patience`` epochs in a row without improvement, each group's
    rate becomes max(lr * factor, min_lr) (changes smaller than ``eps`` are skipped),
    then ``cooldown`` epochs pass in which bad epochs are not counted.

    Args:
        optimizer: the optimizer to schedule.
        mode: 'min' (a loss) or 'max' (an accuracy).
        factor: new_lr = lr * factor, 0 <= factor < 1 (default 0.1).
        patience: epochs without improvement to tolerate (default 10).
        threshold: how much better counts as better (default 1e-4).
        threshold_mode: 'rel' or 'abs'.
        cooldown: epochs to wait after a cut before counting again (default 0).
        min_lr: the lowest rate, one number or one per group (default 0).
        eps: the smallest change of rate worth making (default 1e-8).

    Example::

        >>> import chainrule as cr
        >>> from chainrule.optim import SGD, ReduceLROnPlateau
        >>> opt = SGD([cr.zeros(2, requires_grad=True)], lr=1.0)
        >>> sched = ReduceLROnPlateau(opt, patience=1, factor=0.5)
        >>> for val_loss in [3.0, 2.0, 2.0, 2.0, 2.0]:
        ...     opt.step()
        ...     sched.step(val_loss)
        >>> sched.get_last_lr()     # two epochs without improvement -> halved
        [0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"ReduceLROnPlateau needs a chainrule Optimizer, got {type(optimizer).__name__}"
            )
        _check(mode in ("min", "max"), f"mode must be 'min' or 'max', got {mode!r}")
        _check(
            threshold_mode in ("rel", "abs"),
            f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}",
        )
        _check(is_real(factor) and 0 <= factor < 1, f"factor must be in [0, 1), got {factor!r}")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            _check(
                is_whole(value) and value >= 0,
                f"{name} must be an integer >= 0, got {value!r}",
            )
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            _check(
                len(min_lr) == n_groups,
                f"min_lr has {len(min_lr)} values but the optimizer has {n_groups} groups",
            )
            self.default_min_lr: float | None = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * n_groups
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.best = self.mode_worse
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, value: float, best: float) -> bool:
        """Whether ``value`` improves on ``best`` by more than the threshold."""
        if self.mode == "min":
            bar = (
                best * (1 - self.threshold)
                if self.threshold_mode == "rel"
                else best - self.threshold
            )
            return value < bar
        bar = best * (1 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold
        return value > bar

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def step(self, metrics: SupportsFloat) -> None:  # type: ignore[override]
        """Record this epoch's metric and cut the learning rate if it has plateaued."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"the optimizer now has {len(groups)} parameter groups but min_lr gave "
                    f"{len(self.min_lrs)} values; set scheduler.min_lrs to one per group"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr
