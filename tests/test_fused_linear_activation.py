"""A Linear layer and the activation after it, fused into one node.

``ops.LinearActivation`` computes f(x @ w^T + b) for f = tanh, relu or sigmoid as one
node, and ``nn.Sequential`` uses it for each ``Linear`` followed by ``Tanh``, ``ReLU`` or
``Sigmoid``. These tests check that the fused node gives the numbers of the two
unfused nodes (values and gradients, first and second order), finite differences and
PyTorch; that Sequential fuses only where nothing can tell (no hooks, exact classes)
and follows changes to its children; and that drawings and compiled steps still see
the layer and its activation.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.autograd import ops
from chainrule.gradcheck import gradcheck

ACTIVATIONS = {"tanh": ops.Tanh, "relu": ops.Relu, "sigmoid": ops.Sigmoid}
MODULES = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


def layer_inputs(dtype: type, bias: bool, seed: int = 0) -> list[cr.Tensor]:
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((6, 4)), rng.standard_normal((3, 4))]
    if bias:
        arrays.append(rng.standard_normal(3))
    return [cr.tensor(a.astype(dtype), requires_grad=True) for a in arrays]


def gradients_of(output: cr.Tensor, inputs: list[cr.Tensor], g: np.ndarray) -> list[np.ndarray]:
    grads = cr.autograd.grad(output, inputs, grad_outputs=cr.tensor(g))
    return [grad.numpy() for grad in grads]


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_node_gives_the_two_nodes_numbers(activation: str, bias: bool, dtype: type) -> None:
    inputs = layer_inputs(dtype, bias)
    fused = ops.LinearActivation(activation)(*inputs)
    unfused = ACTIVATIONS[activation]()(ops.Linear()(*inputs))
    assert fused.dtype == dtype
    np.testing.assert_array_equal(fused.numpy(), unfused.numpy())
    g = np.random.default_rng(1).standard_normal(fused.shape).astype(dtype)
    for got, want in zip(gradients_of(fused, inputs, g), gradients_of(unfused, inputs, g)):
        np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32 else 1e-14)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("batch", [(), (2, 5)])
def test_fused_node_takes_any_leading_axes(activation: str, batch: tuple[int, ...]) -> None:
    """A single sample (no batch axis) or several batch axes, as Linear takes them."""
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((*batch, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)]
    inputs = [cr.tensor(a, requires_grad=True) for a in arrays]
    fused = ops.LinearActivation(activation)(*inputs)
    unfused = ACTIVATIONS[activation]()(ops.Linear()(*inputs))
    assert fused.shape == (*batch, 3)
    g = rng.standard_normal(fused.shape)
    for got, want in zip(gradients_of(fused, inputs, g), gradients_of(unfused, inputs, g)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_fused_gradient_matches_finite_differences(activation: str) -> None:
    inputs = layer_inputs(np.float64, bias=True)
    assert gradcheck(lambda x, w, b: ops.LinearActivation(activation)(x, w, b), inputs)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_fused_second_derivative_is_the_unfused_one(activation: str) -> None:
    """create_graph: the backward of the fused node is itself differentiable."""

    def grad_norm(layer: object) -> np.ndarray:
        inputs = layer_inputs(np.float64, bias=True, seed=2)
        (dx,) = cr.autograd.grad(layer(*inputs).sum(), inputs[:1], create_graph=True)
        (dw,) = cr.autograd.grad((dx * dx).sum(), inputs[1:2])
        return dw.numpy()

    fused = grad_norm(lambda *t: ops.LinearActivation(activation)(*t))
    unfused = grad_norm(lambda *t: ACTIVATIONS[activation]()(ops.Linear()(*t)))
    np.testing.assert_allclose(fused, unfused, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_fused_layer_matches_torch(activation: str) -> None:
    torch = pytest.importorskip("torch")
    inputs = layer_inputs(np.float32, bias=True, seed=3)
    out = ops.LinearActivation(activation)(*inputs)
    out.sum().backward()
    t_inputs = [torch.tensor(t.numpy(), requires_grad=True) for t in inputs]
    t_out = getattr(torch, activation)(torch.nn.functional.linear(*t_inputs))
    t_out.sum().backward()
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    for mine, theirs in zip(inputs, t_inputs):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_an_activation_that_cannot_be_fused_is_named() -> None:
    with pytest.raises(ValueError, match="'gelu'.*'tanh', 'relu', 'sigmoid'"):
        ops.LinearActivation("gelu")


# ------------------------------------------------------------------ Sequential


def op_names(output: cr.Tensor) -> list[str]:
    """The names of the graph's nodes, from the output back (in creation order)."""
    nodes, stack = {}, [output]
    while stack:
        node = stack.pop().grad_fn
        if node is not None and id(node) not in nodes:
            nodes[id(node)] = node
            stack.extend(node.parents)
    return [node.name for node in sorted(nodes.values(), key=lambda n: -n.seq)]


def test_sequential_fuses_each_linear_with_the_activation_after_it() -> None:
    cr.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8),
        nn.LeakyReLU(), nn.Linear(8, 4), nn.Sigmoid(), nn.Linear(4, 1),
    )  # fmt: skip
    out = model(cr.randn(5, 2))
    names = op_names(out)
    assert [n for n in names if n.startswith("Linear")] == [
        "Linear", "Linear+Sigmoid", "Linear", "Linear+Relu", "Linear+Tanh",
    ]  # fmt: skip
    assert "Where" in names  # LeakyReLU is not fused: its own ops follow the third Linear


def unfused_forward(model: nn.Sequential, x: cr.Tensor) -> cr.Tensor:
    for module in model:
        x = module(x)
    return x


@pytest.mark.parametrize("activation", list(MODULES))
def test_fused_sequential_trains_like_the_modules_called_one_by_one(activation: str) -> None:
    cr.manual_seed(1)
    x, y = cr.randn(16, 3), cr.randn(16, 2)
    model = nn.Sequential(
        nn.Linear(3, 5), MODULES[activation](), nn.Linear(5, 2, bias=False), MODULES[activation]()
    )
    twin = nn.Sequential(*[type(m)() if not isinstance(m, nn.Linear) else m for m in model])
    twin.load_state_dict({k: v.clone() for k, v in model.state_dict().items()}, strict=True)
    for forward, net in ((lambda m, t: m(t), model), (unfused_forward, twin)):
        optimizer = cr.optim.SGD(net.parameters(), lr=0.1)
        for _ in range(3):
            optimizer.zero_grad()
            nn.MSELoss()(forward(net, x), y).backward()
            optimizer.step()
    assert op_names(model(x))[0].startswith("Linear+")
    for mine, theirs in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_a_forward_hook_sees_the_unfused_outputs() -> None:
    cr.manual_seed(2)
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = cr.randn(4, 2)
    model(x)  # the plan is made before the hooks are added
    seen: dict[str, np.ndarray] = {}

    def keep(name: str) -> object:
        def hook(module: nn.Module, inputs: tuple, out: cr.Tensor) -> None:
            seen[name] = out.numpy()

        return hook

    model[0].register_forward_hook(keep("z"))
    handle = model[1].register_forward_hook(keep("a"))
    model(x)
    z = x.numpy() @ model[0].weight.numpy().T + model[0].bias.numpy()
    np.testing.assert_allclose(seen["z"], z, rtol=1e-6)
    np.testing.assert_allclose(seen["a"], np.maximum(z, 0), rtol=1e-6)
    handle.remove()
    assert op_names(model(x)) == ["Linear", "Relu", "Linear"]  # the Linear still has its hook


def test_changed_children_change_the_plan() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    x = cr.randn(4, 2)
    assert op_names(model(x)) == ["Linear", "Linear+Tanh"]
    model[1] = nn.Softplus()
    assert op_names(model(x)) == ["Linear", "Softplus", "Linear"]
    model.append(nn.Sigmoid())
    model[1] = nn.ReLU()
    assert op_names(model(x)) == ["Linear+Sigmoid", "Linear+Relu"]


def test_a_subclass_of_linear_or_of_the_activation_is_not_fused() -> None:
    class Doubled(nn.Linear):
        def forward(self, x: cr.Tensor) -> cr.Tensor:
            return super().forward(x) * 2

    class Shifted(nn.Tanh):
        def forward(self, x: cr.Tensor) -> cr.Tensor:
            return super().forward(x) + 1

    x = cr.randn(4, 2)
    assert op_names(nn.Sequential(Doubled(2, 3), nn.Tanh())(x)) == ["Tanh", "Mul", "Linear"]
    assert op_names(nn.Sequential(nn.Linear(2, 3), Shifted())(x)) == ["Add", "Tanh", "Linear"]


def test_a_drawing_shows_the_layer_and_its_activation_apart() -> None:
    from chainrule.viz import trace

    cr.manual_seed(3)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    x = cr.randn(5, 2)
    fused = trace(model(x).sum(), names=model)
    unfused = trace(unfused_forward(model, x).sum(), names=model)
    assert [v.op for v in fused.values] == [v.op for v in unfused.values]
    assert "Relu" in [v.op for v in fused.values]
    for mine, theirs in zip(fused.values, unfused.values):
        assert mine.name == theirs.name
        np.testing.assert_array_equal(mine.data, theirs.data)
        if theirs.grad is None:
            assert mine.grad is None
        else:
            np.testing.assert_allclose(mine.grad, theirs.grad, rtol=1e-6)


def test_a_drawing_after_the_weights_changed_in_place_is_refused() -> None:
    from chainrule.viz import trace

    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh())
    out = model(cr.randn(5, 2)).sum()
    with cr.no_grad():
        model[0].weight += 1
    with pytest.raises(RuntimeError, match="changed in place"):
        trace(out)
    with pytest.raises(RuntimeError, match="changed in place"):  # z would be recomputed wrong
        trace(out, gradients=False)


def test_a_compiled_step_replays_the_fused_node() -> None:
    cr.manual_seed(4)
    model = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 1))
    twin = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 1))
    twin.load_state_dict({k: v.clone() for k, v in model.state_dict().items()})
    x, y = cr.randn(8, 3), cr.randn(8, 1)
    compiled = cr.compile(
        lambda a, b: nn.MSELoss()(model(a), b), optimizer=cr.optim.SGD(model.parameters(), lr=0.1)
    )
    optimizer = cr.optim.SGD(twin.parameters(), lr=0.1)
    for _ in range(4):
        loss = compiled(x, y)
        optimizer.zero_grad()
        eager = nn.MSELoss()(unfused_forward(twin, x), y)
        eager.backward()
        optimizer.step()
        np.testing.assert_allclose(float(loss), float(eager), rtol=1e-6)
    for mine, theirs in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-7)
