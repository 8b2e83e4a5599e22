"""Linear, Maxout, Dropout, Flatten, Identity: shapes, init, values and gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.autograd.function import ShapeError

torch = pytest.importorskip("torch")


def test_linear_shapes_and_default_init() -> None:
    cr.manual_seed(0)
    layer = nn.Linear(300, 200)
    assert layer.weight.shape == (200, 300) and layer.bias.shape == (200,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    bound = math.sqrt(6 / (300 + 200))  # Glorot uniform
    w = layer.weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.mean()) < 0.01 * bound
    assert w.var() == pytest.approx(bound**2 / 3, rel=0.02)
    assert not layer.bias.numpy().any()
    assert repr(layer) == "Linear(in_features=300, out_features=200, bias=True)"


def test_linear_without_bias_and_in_float64() -> None:
    layer = nn.Linear(3, 2, bias=False, dtype=cr.float64)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert layer(cr.ones(4, 3, dtype=cr.float64)).dtype == np.float64
    assert layer(cr.ones(5, 4, 3, dtype=cr.float64)).shape == (5, 4, 2)  # (*, in)


def test_linear_matches_torch_with_gradients() -> None:
    rng = np.random.default_rng(0)
    ours = nn.Linear(4, 3).double()
    theirs = torch.nn.Linear(4, 3).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((2, 5, 4))
    xo, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_o, out_t = ours(xo), theirs(xt)
    np.testing.assert_allclose(out_o.numpy(), out_t.detach().numpy(), rtol=1e-12)
    upstream = rng.standard_normal(out_t.shape)
    (out_o * cr.tensor(upstream)).sum().backward()
    (out_t * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), rtol=1e-12)
    assert cr.gradcheck(lambda a: ours(a), [cr.tensor(x[0], requires_grad=True)])


def test_linear_errors() -> None:
    with pytest.raises(ValueError, match="in_features must be a non-negative integer"):
        nn.Linear(-1, 2)
    with pytest.raises(ValueError, match="out_features"):
        nn.Linear(2, 2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="floating-point"):
        nn.Linear(2, 2, dtype=np.int64)
    with pytest.raises(ShapeError, match=r"Linear.*\(4, 3\) and \(2, 2\)"):
        nn.Linear(2, 2)(cr.ones(4, 3))
    with pytest.raises(TypeError, match="chainrule Tensor"):
        F.linear([[1.0, 2.0]], cr.ones(2, 2))  # type: ignore[arg-type]


def test_the_course_sigmoid_neuron() -> None:
    """f = sigmoid(w0 x0 + w1 x1 + w2) at w = (2, -3, -3), x = (-1, -2)."""
    neuron = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid()).double()
    neuron.load_state_dict({"0.weight": [[2.0, -3.0]], "0.bias": [-3.0]})
    x = cr.tensor([[-1.0, -2.0]], dtype=cr.float64, requires_grad=True)
    f = neuron(x)
    f.backward()
    assert f.item() == pytest.approx(0.73, abs=0.005)
    np.testing.assert_allclose(neuron[0].weight.grad.numpy(), [[-0.20, -0.39]], atol=0.005)
    np.testing.assert_allclose(neuron[0].bias.grad.numpy(), [0.20], atol=0.005)
    np.testing.assert_allclose(x.grad.numpy(), [[0.39, -0.59]], atol=0.005)


def test_maxout_matches_its_definition_and_torch() -> None:
    rng = np.random.default_rng(1)
    layer = nn.Maxout(4, 3, pieces=2).double()
    assert layer.weight.shape == (6, 4) and layer.bias.shape == (6,)
    assert repr(layer) == "Maxout(in_features=4, out_features=3, pieces=2, bias=True)"
    nn.init.normal_(layer.bias)
    x = rng.standard_normal((5, 4))
    weight, bias = layer.weight.numpy(), layer.bias.numpy()

    xo = cr.tensor(x, requires_grad=True)
    out = layer(xo)
    assert out.shape == (5, 3)
    expected = (x @ weight.T + bias).reshape(5, 3, 2).max(-1)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)

    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(weight, requires_grad=True)
    bt = torch.tensor(bias, requires_grad=True)
    out_t = torch.nn.functional.linear(xt, wt, bt).reshape(5, 3, 2).amax(-1)
    upstream = rng.standard_normal((5, 3))
    (out * cr.tensor(upstream)).sum().backward()
    (out_t * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.numpy(), wt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.numpy(), bt.grad.numpy(), rtol=1e-12)
    # for one sample, only the winning piece of each unit gets a gradient ("max routes")
    layer.zero_grad()
    layer(cr.tensor(x[:1])).sum().backward()
    routed = layer.bias.grad.numpy().reshape(3, 2)
    assert ((routed == 1).sum(1) == 1).all() and ((routed == 0).sum(1) == 1).all()
    assert cr.gradcheck(lambda a: layer(a), [cr.tensor(x, requires_grad=True)])


def test_maxout_with_one_piece_is_linear_and_errors() -> None:
    layer = nn.Maxout(3, 2, pieces=1)
    x = cr.randn(4, 3)
    np.testing.assert_allclose(layer(x).numpy(), F.linear(x, layer.weight, layer.bias).numpy())
    with pytest.raises(ValueError, match="pieces must be at least 1"):
        nn.Maxout(3, 2, pieces=0)
    with pytest.raises(ValueError, match=r"last axis \(5\) must be a multiple of pieces \(2\)"):
        F.maxout(cr.ones(2, 5), 2)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_statistics(p: float) -> None:
    cr.manual_seed(0)
    x = cr.ones(200, 500, requires_grad=True)
    y = nn.Dropout(p)(x)
    values = y.numpy()
    kept = values != 0
    assert kept.mean() == pytest.approx(1 - p, abs=0.01)
    np.testing.assert_allclose(values[kept], 1 / (1 - p), rtol=1e-6)
    assert values.mean() == pytest.approx(1.0, abs=0.03)  # inverted: expectation kept
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)  # the gradient is the same mask


def test_dropout_eval_identity_and_edge_cases() -> None:
    drop = nn.Dropout(0.5)
    x = cr.randn(4, 6)
    assert drop.eval()(x) is x
    assert nn.Dropout(0.0)(x) is x
    assert not nn.Dropout(1.0)(x).numpy().any()
    assert F.dropout(x, 0.5, training=False) is x
    assert repr(drop) == repr(torch.nn.Dropout(0.5))
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, -0.1)


def test_dropout_is_seeded() -> None:
    x = cr.ones(10, 10)
    cr.manual_seed(7)
    first = nn.Dropout(0.5)(x).numpy()
    cr.manual_seed(7)
    np.testing.assert_array_equal(nn.Dropout(0.5)(x).numpy(), first)
    generator = np.random.default_rng(3)
    again = F.dropout(x, 0.5, generator=np.random.default_rng(3)).numpy()
    np.testing.assert_array_equal(F.dropout(x, 0.5, generator=generator).numpy(), again)
    assert nn.Dropout(0.5)(cr.ones(3, dtype=cr.float64)).dtype == np.float64


def test_flatten_and_identity() -> None:
    x = cr.ones(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert repr(nn.Flatten()) == repr(torch.nn.Flatten())
    assert nn.Identity(54, unused="x")(x) is x


def test_mlp_builds_the_course_network_with_pytorchs_keys() -> None:
    model = nn.mlp(2, [8, 4], 3, "tanh")
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert list(model.state_dict()) == [
        "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias",
    ]
    assert model(cr.ones(5, 2)).shape == (5, 3)
    assert len(nn.mlp(3, [], 1)) == 1  # no hidden layer: a linear model
    with pytest.raises(ValueError, match="unknown activation"):
        nn.mlp(2, [4], 1, "nope")
