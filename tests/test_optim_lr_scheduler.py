"""Learning-rate schedules against torch.optim.lr_scheduler: the same lr sequence."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim
from chainrule.optim import lr_scheduler

torch = pytest.importorskip("torch")

EPOCHS = 30
BASE_LRS = (0.5, 0.02)  # two parameter groups, each with its own starting rate


def _ours() -> Any:
    return optim.SGD(
        [{"params": [cr.zeros(2, requires_grad=True)], "lr": lr} for lr in BASE_LRS], lr=1.0
    )


def _torch() -> Any:
    return torch.optim.SGD(
        [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in BASE_LRS], lr=1.0
    )


def _lrs(opt: Any, scheduler: Any, metrics: list[float] | None = None) -> np.ndarray:
    """The learning rate of each group during each epoch, stepping in PyTorch's order."""
    seen = []
    for epoch in range(EPOCHS):
        seen.append([group["lr"] for group in opt.param_groups])
        opt.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[epoch])
    return np.array(seen)


# the schedule in chainrule, and the same schedule in torch
PAIRS: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    (
        "InverseTimeDecay",
        lambda o: lr_scheduler.InverseTimeDecay(o, decay=0.3),
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + 0.3 * e)),
    ),
    (
        "PowerDecay",
        lambda o: lr_scheduler.PowerDecay(o, power=0.5),
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1) ** 0.5),
    ),
    (
        "StepLR",
        lambda o: lr_scheduler.StepLR(o, step_size=7, gamma=0.5),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5),
    ),
    (
        "StepLR-default-gamma",
        lambda o: lr_scheduler.StepLR(o, step_size=10),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=10),
    ),
    (
        "CosineAnnealingLR",  # T_max < EPOCHS: the cosine goes down and back up
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=12),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=12),
    ),
    (
        "CosineAnnealingLR-eta_min",
        lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=EPOCHS, eta_min=0.001),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=EPOCHS, eta_min=0.001),
    ),
]


@pytest.mark.parametrize("name, ours, theirs", PAIRS, ids=[p[0] for p in PAIRS])
def test_schedule_matches_torch(
    name: str, ours: Callable[[Any], Any], theirs: Callable[[Any], Any]
) -> None:
    opt, topt = _ours(), _torch()
    sched, tsched = ours(opt), theirs(topt)
    np.testing.assert_allclose(_lrs(opt, sched), _lrs(topt, tsched), rtol=1e-12, atol=1e-15)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-12)
    assert sched.last_epoch == tsched.last_epoch == EPOCHS
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASE_LRS)


def test_the_course_schedules_follow_their_formulas() -> None:
    opt = _ours()
    lrs = _lrs(opt, optim.InverseTimeDecay(opt, decay=0.1))
    np.testing.assert_allclose(lrs[:, 0], 0.5 / (1 + 0.1 * np.arange(EPOCHS)))
    opt = _ours()
    lrs = _lrs(opt, optim.PowerDecay(opt, power=2.0))
    t = np.arange(1, EPOCHS + 1)  # t counts from 1: the first epoch runs at lr_0
    np.testing.assert_allclose(lrs[:, 1], 0.02 / t**2)


# a loss that falls, stalls, wiggles below the threshold, falls again, then rises
METRICS = (
    [5.0, 4.0, 3.0, 3.0, 3.0, 3.0, 2.9999, 3.0, 2.0, 2.0]
    + [2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.6, 0.7, 0.8]
    + [0.9, 0.4, 0.4, 0.4, 0.4, 0.41, 0.39, 0.39, 0.39, 0.39]
)

PLATEAU_OPTIONS = [
    {"patience": 2},
    {"patience": 0, "factor": 0.5},
    {"patience": 1, "cooldown": 2, "factor": 0.5},
    {"patience": 1, "threshold": 0.1, "threshold_mode": "abs"},
    {"patience": 2, "min_lr": 0.01},
    {"patience": 1, "min_lr": [0.1, 0.001], "factor": 0.3},
    {"mode": "max", "patience": 1, "factor": 0.5},
    {"mode": "max", "patience": 1, "threshold_mode": "abs", "threshold": 0.5},
]


@pytest.mark.parametrize("options", PLATEAU_OPTIONS, ids=[str(o) for o in PLATEAU_OPTIONS])
def test_reduce_on_plateau_matches_torch(options: dict[str, Any]) -> None:
    opt, topt = _ours(), _torch()
    sched = optim.ReduceLROnPlateau(opt, **options)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **options)
    ours, theirs = _lrs(opt, sched, METRICS), _lrs(topt, tsched, METRICS)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert len(np.unique(ours[:, 0])) > 1, "the scripted metrics should trigger a cut"
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr())
    assert (sched.best, sched.num_bad_epochs) == (tsched.best, tsched.num_bad_epochs)


def test_reduce_on_plateau_takes_a_tensor_metric() -> None:
    opt = _ours()
    sched = optim.ReduceLROnPlateau(opt, patience=0)
    sched.step(cr.tensor(1.0))
    sched.step(cr.tensor(2.0))
    assert sched.get_last_lr() == pytest.approx([0.05, 0.002])


@pytest.mark.parametrize(
    "make",
    [
        lambda o: optim.StepLR(o, step_size=4, gamma=0.5),
        lambda o: optim.CosineAnnealingLR(o, T_max=9, eta_min=0.01),
        lambda o: optim.InverseTimeDecay(o, decay=0.2),
        lambda o: optim.ReduceLROnPlateau(o, patience=1),
    ],
    ids=["StepLR", "Cosine", "InverseTime", "Plateau"],
)
def test_scheduler_state_dict_round_trip(make: Callable[[Any], Any]) -> None:
    """Stop after 10 epochs, restore optimizer and scheduler, get the same sequence."""
    opt = _ours()
    sched = make(opt)
    metrics = METRICS if isinstance(sched, optim.ReduceLROnPlateau) else None
    whole = _lrs(opt, sched, metrics)

    opt = _ours()
    sched = make(opt)
    head = []
    for epoch in range(10):
        head.append([g["lr"] for g in opt.param_groups])
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[epoch])
    opt_state, sched_state = opt.state_dict(), sched.state_dict()

    opt2 = _ours()
    sched2 = make(opt2)  # create the scheduler first, then load both (PyTorch's order)
    opt2.load_state_dict(opt_state)
    sched2.load_state_dict(sched_state)
    tail = []
    for epoch in range(10, EPOCHS):
        tail.append([g["lr"] for g in opt2.param_groups])
        opt2.step()
        sched2.step() if metrics is None else sched2.step(metrics[epoch])
    np.testing.assert_allclose(np.array(head + tail), whole, rtol=1e-15)


def test_torch_scheduler_state_loads_into_chainrule() -> None:
    topt = _torch()
    tsched = torch.optim.lr_scheduler.StepLR(topt, step_size=3, gamma=0.5)
    for _ in range(7):
        topt.step()
        tsched.step()
    opt = _ours()
    sched = optim.StepLR(opt, step_size=3, gamma=0.5)
    sched.load_state_dict(tsched.state_dict())  # torch's private keys are ignored
    opt.step()
    sched.step()
    topt.step()
    tsched.step()
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr())


def test_stepping_the_scheduler_before_the_optimizer_warns() -> None:
    opt = _ours()
    sched = optim.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before optimizer.step"):
        sched.step()
    opt = _ours()
    sched = optim.StepLR(opt, step_size=2)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda o: optim.StepLR(o, step_size=0), "step_size must be a positive integer"),
        (lambda o: optim.StepLR(o, step_size=2.5), "step_size"),
        (lambda o: optim.CosineAnnealingLR(o, T_max=0), "T_max"),
        (lambda o: optim.InverseTimeDecay(o, decay=-1), "decay must be"),
        (lambda o: optim.PowerDecay(o, power=-0.5), "power must be"),
        (lambda o: optim.ReduceLROnPlateau(o, mode="lowest"), "mode must be 'min' or 'max'"),
        (lambda o: optim.ReduceLROnPlateau(o, threshold_mode="x"), "threshold_mode"),
        (lambda o: optim.ReduceLROnPlateau(o, factor=1.0), "factor must be in [0, 1)"),
        (lambda o: optim.ReduceLROnPlateau(o, min_lr=[0.1]), "min_lr has 1 values"),
        (lambda o: optim.ReduceLROnPlateau(o, patience=-1), "patience"),
        (lambda o: optim.StepLR(o, step_size=2, last_epoch=4), "initial_lr"),
    ],
)
def test_bad_scheduler_arguments_are_named(make: Callable[[Any], Any], words: str) -> None:
    with pytest.raises(ValueError) as info:
        make(_ours())
    assert words in str(info.value)


def test_a_scheduler_needs_a_chainrule_optimizer() -> None:
    with pytest.raises(TypeError, match="needs a chainrule Optimizer"):
        optim.StepLR(_torch(), step_size=2)


def test_an_unknown_state_key_is_named() -> None:
    sched = optim.StepLR(_ours(), step_size=2)
    with pytest.raises(ValueError, match="unknown key"):
        sched.load_state_dict({"step_size": 3, "warmup": 5})
