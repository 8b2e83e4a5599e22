"""L1 and L2 penalties on weights but not biases, and weight-decay groups."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim


class TinyNet:
    """A stand-in for an nn.Module: two layers' worth of named parameters."""

    def __init__(self) -> None:
        rng = np.random.default_rng(0)
        self.params = {
            "hidden.weight": cr.tensor(rng.standard_normal((4, 3)), requires_grad=True),
            "hidden.bias": cr.tensor(rng.standard_normal(4), requires_grad=True),
            "out.weight": cr.tensor(rng.standard_normal((2, 4)), requires_grad=True),
            "out.bias": cr.tensor(rng.standard_normal(2), requires_grad=True),
        }

    def named_parameters(self) -> Iterator[tuple[str, Any]]:
        return iter(self.params.items())

    def parameters(self) -> Iterator[Any]:
        return iter(self.params.values())


def _weights(net: TinyNet) -> list[np.ndarray]:
    return [net.params["hidden.weight"].data, net.params["out.weight"].data]


@pytest.mark.parametrize("half", [False, True])
def test_l2_value_and_gradient_by_hand(half: bool) -> None:
    net = TinyNet()
    penalty = optim.l2_penalty(net, 0.3, half=half)
    factor = 0.15 if half else 0.3
    assert penalty.item() == pytest.approx(factor * sum((w**2).sum() for w in _weights(net)))
    penalty.backward()
    for name, p in net.params.items():
        if name.endswith("bias"):
            assert p.grad is None, f"{name} is a bias: no penalty, no gradient"
        else:
            np.testing.assert_allclose(p.grad.data, 2 * factor * p.data)


def test_l1_value_and_gradient_by_hand() -> None:
    net = TinyNet()
    penalty = optim.l1_penalty(net, 0.2)
    assert penalty.item() == pytest.approx(0.2 * sum(np.abs(w).sum() for w in _weights(net)))
    penalty.backward()
    for name, p in net.params.items():
        if name.endswith("bias"):
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad.data, 0.2 * np.sign(p.data))


def test_penalties_pass_gradcheck() -> None:
    w = cr.randn(3, 2, dtype=cr.float64, requires_grad=True) + 0.1
    w = w.detach().requires_grad_()
    assert cr.gradcheck(lambda x: optim.l2_penalty([("w", x)], 0.7), (w,))
    assert cr.gradcheck(lambda x: optim.l1_penalty([("w", x)], 0.7), (w,))


def test_which_parameters_are_penalized() -> None:
    one_d, two_d = cr.zeros(3), cr.zeros(3, 3)
    names = {
        "fc.weight": (two_d, True),
        "fc.bias": (one_d, False),
        "out_bias": (two_d, False),  # ends in 'bias': a bias whatever its shape
        "layer.b": (one_d, False),
        "b2": (one_d, False),
        "b_hidden": (one_d, False),
        "rnn.bias_ih": (one_d, False),
        "W1": (two_d, True),
        "scale": (one_d, True),  # 1-D but not named like a bias
        "b": (two_d, True),  # named like a bias but a matrix
    }
    kept = optim.penalized_parameters({n: t for n, (t, _) in names.items()})
    assert [n for n, _ in kept] == [n for n, (_, keep) in names.items() if keep]


def test_sources_of_names() -> None:
    net = TinyNet()
    expected = optim.l2_penalty(net, 1.0).item()
    assert optim.l2_penalty(dict(net.params), 1.0).item() == expected
    assert optim.l2_penalty(list(net.named_parameters()), 1.0).item() == expected
    assert optim.l2_penalty(net.named_parameters(), 1.0).item() == expected
    only_biases = [("bias", cr.ones(2, requires_grad=True))]
    assert optim.l1_penalty(only_biases, 1.0).item() == 0.0
    exclude_none = optim.l1_penalty(only_biases, 1.0, exclude=lambda name, p: False)
    assert exclude_none.item() == 2.0


def test_penalty_keeps_the_dtype() -> None:
    w32 = cr.ones(2, 2, requires_grad=True)
    assert optim.l2_penalty([("w", w32)], 0.5).dtype == cr.float32
    w64 = cr.ones(2, 2, dtype=cr.float64, requires_grad=True)
    assert optim.l1_penalty([("w", w64)], 0.5).dtype == cr.float64


def test_l1_drives_a_useless_weight_to_zero_where_l2_only_shrinks_it() -> None:
    """Minimize (w - 0.3)^2 / 2 plus a penalty of strength 0.5 with plain SGD.

    L1: the optimum is the soft threshold max(|0.3| - 0.5, 0) = 0, exactly zero.
    L2 (lambda w^2): the optimum is 0.3 / (1 + 2 * 0.5) = 0.15, shrunk but not zero.
    """
    finals = {}
    for name, penalty in (("l1", optim.l1_penalty), ("l2", optim.l2_penalty)):
        w = cr.tensor([0.8], dtype=cr.float64, requires_grad=True)
        opt = optim.SGD([("w", w)], lr=0.01)
        for _ in range(2000):
            opt.zero_grad()
            loss = ((w - 0.3) ** 2).sum() / 2 + penalty([("weight", w)], 0.5)
            loss.backward()
            opt.step()
        finals[name] = w.item()
    # within one step of zero (a step is at most lr * (0.3 + 0.5)), where it hovers
    assert abs(finals["l1"]) <= 0.01 * (0.3 + 0.5)
    assert finals["l2"] == pytest.approx(0.15, abs=1e-6)


def test_weight_decay_groups_spare_the_biases() -> None:
    net = TinyNet()
    groups = optim.weight_decay_groups(net, 0.1)
    assert [[n for n, _ in g["params"]] for g in groups] == [
        ["hidden.weight", "out.weight"],
        ["hidden.bias", "out.bias"],
    ]
    opt = optim.SGD(groups, lr=1.0)
    before = {n: p.data.copy() for n, p in net.params.items()}
    for p in net.parameters():
        p.grad = cr.zeros(p.shape, dtype=p.dtype)
    opt.step()  # zero gradient: only the decay acts
    for name, p in net.params.items():
        expected = before[name] if name.endswith("bias") else 0.9 * before[name]
        np.testing.assert_allclose(p.data, expected)
    assert opt.param_groups[1]["param_names"] == ["hidden.bias", "out.bias"]


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: optim.l2_penalty(cr.ones(2), 0.1), TypeError, "need parameter names"),
        (lambda: optim.l2_penalty([cr.ones(2)], 0.1), TypeError, r"\(name, tensor\) pairs"),
        (lambda: optim.l1_penalty({"w": cr.ones(2)}, -0.1), ValueError, "strength"),
        (lambda: optim.weight_decay_groups({"w": cr.ones(2)}, -1), ValueError, "weight_decay"),
    ],
)
def test_bad_penalty_arguments_are_named(call: Any, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        call()


@pytest.mark.skipif(
    importlib.util.find_spec("chainrule.nn") is None, reason="chainrule.nn is not there yet"
)
def test_with_a_real_module() -> None:
    from chainrule import nn

    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    names = [n for n, _ in optim.penalized_parameters(model)]
    assert names and all(n.endswith("weight") for n in names)
    expected = sum((p.data**2).sum() for p in (model[0].weight, model[1].weight))
    assert optim.l2_penalty(model, 1.0).item() == pytest.approx(expected, rel=1e-5)
    opt = optim.SGD(optim.weight_decay_groups(model, 1e-2), lr=0.1, momentum=0.9)
    assert len(opt.param_groups) == 2
