"""chainrule.nn.init: bounds, statistics, gains, seeding, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.nn import init

torch = pytest.importorskip("torch")

FAN_OUT, FAN_IN = 400, 600


def _weight() -> cr.Tensor:
    return cr.empty(FAN_OUT, FAN_IN)


def test_xavier_uniform_bound_and_variance() -> None:
    w = init.xavier_uniform_(_weight(), gain=2.0).numpy()
    bound = 2.0 * math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert w.var() == pytest.approx(bound**2 / 3, rel=0.01)


def test_xavier_normal_std() -> None:
    w = init.xavier_normal_(_weight()).numpy()
    assert w.std() == pytest.approx(math.sqrt(2 / (FAN_IN + FAN_OUT)), rel=0.01)
    assert abs(w.mean()) < 0.001


def test_kaiming_uniform_for_relu() -> None:
    w = init.kaiming_uniform_(_weight(), nonlinearity="relu").numpy()
    bound = math.sqrt(6 / FAN_IN)  # He: variance 2 / fan_in
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert w.var() == pytest.approx(2 / FAN_IN, rel=0.01)


def test_kaiming_normal_fan_out_and_leaky_slope() -> None:
    w = init.kaiming_normal_(_weight(), a=0.2, mode="fan_out").numpy()
    expected = math.sqrt(2 / (1 + 0.2**2)) / math.sqrt(FAN_OUT)
    assert w.std() == pytest.approx(expected, rel=0.01)


def test_simple_fills() -> None:
    t = cr.empty(50, 40)
    assert init.uniform_(t, -0.5, 0.25) is t
    assert t.numpy().min() >= -0.5 and t.numpy().max() < 0.25
    init.normal_(t, mean=3.0, std=0.1)
    assert t.numpy().mean() == pytest.approx(3.0, abs=0.01)
    assert t.numpy().std() == pytest.approx(0.1, rel=0.05)
    assert not init.zeros_(t).numpy().any()
    assert (init.ones_(t).numpy() == 1).all()
    assert (init.constant_(t, 0.3).numpy() == np.float32(0.3)).all()


@pytest.mark.parametrize(
    "name, param",
    [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None),
     ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None), ("conv2d", None)],
)  # fmt: skip
def test_calculate_gain_matches_torch(name: str, param: float | None) -> None:
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param)
    )


def test_seeding_repeats() -> None:
    cr.manual_seed(11)
    first = [init.xavier_uniform_(_weight()).numpy().copy(), nn.Linear(3, 4).weight.numpy().copy()]
    cr.manual_seed(11)
    second = [init.xavier_uniform_(_weight()).numpy().copy(), nn.Linear(3, 4).weight.numpy().copy()]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    one = init.normal_(cr.empty(5), generator=np.random.default_rng(1)).numpy().copy()
    two = init.normal_(cr.empty(5), generator=np.random.default_rng(1)).numpy()
    np.testing.assert_array_equal(one, two)


def test_fills_a_parameter_in_place_outside_the_graph() -> None:
    layer = nn.Linear(3, 2)
    weight = layer.weight
    init.kaiming_normal_(layer.weight)
    assert layer.weight is weight and weight.requires_grad and weight.grad_fn is None
    assert cr.is_grad_enabled()


def test_errors() -> None:
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape \(5,\)"):
        init.xavier_uniform_(cr.empty(5))
    with pytest.raises(ValueError, match="mode 'fan_avg'"):
        init.kaiming_uniform_(_weight(), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="a <= b"):
        init.uniform_(_weight(), 1.0, 0.0)
    with pytest.raises(TypeError, match="chainrule Tensor"):
        init.zeros_(np.zeros(3))  # type: ignore[arg-type]
