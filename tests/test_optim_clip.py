"""Gradient clipping against torch.nn.utils."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (4,), ()]


def _pair(scale: float, seed: int = 0) -> tuple[list[Any], list[Any]]:
    """The same parameters with the same gradients in chainrule and in torch."""
    rng = np.random.default_rng(seed)
    grads = [scale * rng.standard_normal(s) for s in SHAPES]
    ours = [cr.zeros(s, dtype=cr.float64, requires_grad=True) for s in SHAPES]
    theirs = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in SHAPES]
    for p, t, g in zip(ours, theirs, grads):
        p.grad, t.grad = cr.tensor(g.copy()), torch.tensor(g.copy())
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("scale", [0.01, 10.0])  # below and above max_norm
def test_clip_grad_norm_matches_torch(norm_type: Any, scale: float) -> None:
    ours, theirs = _pair(scale)
    total = optim.clip_grad_norm_(ours, max_norm=1.5, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm=1.5, norm_type=norm_type)
    assert isinstance(total, cr.Tensor) and total.shape == () and total.dtype == cr.float64
    assert total.item() == pytest.approx(ttotal.item(), rel=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_bounds_the_norm_and_keeps_the_direction() -> None:
    ours, _ = _pair(10.0)
    before = np.concatenate([p.grad.data.ravel() for p in ours])
    optim.clip_grad_norm_(ours, 2.0)
    after = np.concatenate([p.grad.data.ravel() for p in ours])
    assert np.linalg.norm(after) == pytest.approx(2.0, rel=1e-5)
    np.testing.assert_allclose(after / np.linalg.norm(after), before / np.linalg.norm(before))


def test_clip_grad_norm_skips_missing_gradients_and_takes_one_tensor() -> None:
    w = cr.tensor([3.0, 4.0], requires_grad=True)
    v = cr.zeros(2, requires_grad=True)  # never gets a gradient
    w.grad = cr.tensor([3.0, 4.0])
    assert optim.clip_grad_norm_([w, v], 1.0).item() == pytest.approx(5.0)
    assert v.grad is None
    assert w.grad.dtype == cr.float32
    np.testing.assert_allclose(w.grad.data, [0.6, 0.8], rtol=1e-5)
    w.grad = cr.tensor([3.0, 4.0])
    assert optim.clip_grad_norm_(w, 10.0).item() == pytest.approx(5.0)
    np.testing.assert_array_equal(w.grad.data, [3.0, 4.0])  # under the bound: untouched
    assert optim.clip_grad_norm_([v], 1.0).item() == 0.0


def test_clip_grad_norm_on_a_nonfinite_norm() -> None:
    w = cr.zeros(2, requires_grad=True)
    w.grad = cr.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="error_if_nonfinite"):
        optim.clip_grad_norm_([w], 1.0, error_if_nonfinite=True)


def test_clip_grad_value_matches_torch() -> None:
    ours, theirs = _pair(2.0)
    assert optim.clip_grad_value_(ours, 0.5) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.data, t.grad.numpy())
    assert max(np.abs(p.grad.data).max() for p in ours) == 0.5


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda ps: optim.clip_grad_norm_(ps, -1.0), ValueError, "max_norm"),
        (lambda ps: optim.clip_grad_norm_(ps, 1.0, norm_type=0), ValueError, "norm_type"),
        (lambda ps: optim.clip_grad_norm_([np.ones(2)], 1.0), TypeError, "item 0"),
        (lambda ps: optim.clip_grad_value_(ps, -0.1), ValueError, "clip_value"),
    ],
)
def test_bad_clip_arguments_are_named(call: Any, error: type, words: str) -> None:
    ours, _ = _pair(1.0)
    with pytest.raises(error, match=words):
        call(ours)
