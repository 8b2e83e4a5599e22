"""Module, Parameter, Sequential, ModuleList: registration, state_dict, PyTorch interop."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn

torch = pytest.importorskip("torch")


class Block(nn.Module):
    """A small nested model, written the same way in both libraries."""

    def __init__(self, lib: Any) -> None:
        super().__init__()
        self.encoder = lib.Sequential(lib.Linear(3, 5), lib.Tanh(), lib.Linear(5, 4))
        self.heads = lib.ModuleList([lib.Linear(4, 2), lib.Linear(4, 2, bias=False)])
        self.act = lib.PReLU(4)

    def forward(self, x: Any) -> Any:
        h = self.act(self.encoder(x))
        return self.heads[0](h) + self.heads[1](h)


class TorchBlock(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = torch.nn.Sequential(
            torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4)
        )
        self.heads = torch.nn.ModuleList([torch.nn.Linear(4, 2), torch.nn.Linear(4, 2, bias=False)])
        self.act = torch.nn.PReLU(4)

    def forward(self, x: Any) -> Any:
        h = self.act(self.encoder(x))
        return self.heads[0](h) + self.heads[1](h)


def _models() -> list[tuple[nn.Module, Any]]:
    return [
        (
            nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1)),
            torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)),
        ),
        (
            nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Dropout(0.1), nn.Linear(4, 3, bias=False)),
            torch.nn.Sequential(
                torch.nn.Linear(2, 4),
                torch.nn.ReLU(),
                torch.nn.Dropout(0.1),
                torch.nn.Linear(4, 3, bias=False),
            ),
        ),
        (Block(nn), TorchBlock()),
    ]


def _to_numpy(state: dict[str, Any]) -> dict[str, np.ndarray]:
    return {key: value.detach().numpy() for key, value in state.items()}


@pytest.mark.parametrize("index", range(3))
def test_names_and_keys_are_pytorchs(index: int) -> None:
    ours, theirs = _models()[index]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [p.shape for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert repr(ours) == repr(theirs).replace("TorchBlock", "Block")


@pytest.mark.parametrize("index", range(3))
def test_weights_move_both_ways_with_identical_outputs(index: int) -> None:
    ours, theirs = _models()[index]
    ours.double().eval()
    theirs.double().eval()
    x = np.random.default_rng(index).standard_normal((6, 3 if index == 2 else 2))

    # PyTorch -> chainrule, as NumPy arrays
    result = ours.load_state_dict(_to_numpy(theirs.state_dict()))
    assert result.missing_keys == [] and result.unexpected_keys == []
    expected = theirs(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours(cr.tensor(x)).numpy(), expected, rtol=1e-12)

    # chainrule -> PyTorch, after changing the chainrule weights
    for param in ours.parameters():
        nn.init.normal_(param, std=0.5)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in ours.state_dict().items()})
    np.testing.assert_allclose(
        theirs(torch.tensor(x)).detach().numpy(), ours(cr.tensor(x)).numpy(), rtol=1e-12
    )

    # PyTorch tensors (even ones that require grad) are accepted directly
    ours.load_state_dict(dict(theirs.named_parameters()))


def test_state_dict_values_are_detached_views() -> None:
    layer = nn.Linear(2, 3)
    state = layer.state_dict()
    assert not state["weight"].requires_grad
    assert np.shares_memory(state["weight"].numpy(), layer.weight.numpy())
    assert layer.state_dict(keep_vars=True)["weight"] is layer.weight


def test_load_state_dict_errors_name_every_problem_and_change_nothing() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    good = {k: v.numpy() + 1 for k, v in model.state_dict().items()}

    missing = dict(good)
    del missing["2.bias"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "2.bias"'):
        model.load_state_dict(missing)

    unexpected = dict(good, **{"3.weight": np.zeros(2)})
    with pytest.raises(RuntimeError, match='Unexpected key\\(s\\) in state_dict: "3.weight"'):
        model.load_state_dict(unexpected)

    wrong_shape = dict(good, **{"0.weight": np.zeros((2, 3))})
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight: .*\(2, 3\).*\(3, 2\)"):
        model.load_state_dict(wrong_shape)
    with pytest.raises(RuntimeError, match="size mismatch"):  # even when not strict
        model.load_state_dict(wrong_shape, strict=False)

    for key, value in model.state_dict().items():  # nothing was copied
        np.testing.assert_array_equal(value.numpy(), before[key])

    result = model.load_state_dict(dict(missing, extra=np.ones(1)), strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model[0].weight.numpy(), good["0.weight"].astype(np.float32))
    np.testing.assert_array_equal(model[2].bias.numpy(), before["2.bias"])

    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([("0.weight", np.zeros((3, 2)))])  # type: ignore[arg-type]


def test_load_state_dict_copies_in_place_and_casts() -> None:
    layer = nn.Linear(2, 2)
    weight = layer.weight
    layer.load_state_dict({"weight": cr.ones(2, 2, dtype=cr.float64), "bias": [1.0, 2.0]})
    assert layer.weight is weight and weight.dtype == np.float32
    assert weight.tolist() == [[1, 1], [1, 1]] and layer.bias.tolist() == [1, 2]


def test_registration_by_assignment() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(cr.ones(1))
            self.layer = nn.Linear(2, 2)
            self.plain = cr.zeros(3)  # a plain tensor is not a parameter
            self.numbers = [nn.Linear(1, 1)]  # modules in a list are not registered

        def forward(self, x: cr.Tensor) -> cr.Tensor:
            return self.layer(x) * self.scale

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "layer.weight", "layer.bias"]
    assert list(net.children()) == [net.layer]
    assert len(list(net.modules())) == 2
    assert net(cr.ones(4, 2)).shape == (4, 2)

    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'scale'"):
        net.scale = cr.ones(1)
    net.scale = None  # allowed: a declared but absent parameter
    assert [n for n, _ in net.named_parameters()] == ["layer.weight", "layer.bias"]
    del net.layer
    assert list(net.named_parameters()) == [] and not hasattr(net, "layer")
    net.plain = nn.Parameter(cr.zeros(3))  # a plain attribute becomes a parameter
    assert [n for n, _ in net.named_parameters()] == ["plain"]


def test_assignment_before_init_is_a_clear_error() -> None:
    class Forgot(nn.Module):
        def __init__(self) -> None:
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Forgot()


def test_shared_parameters_are_listed_once() -> None:
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    assert len(list(model.parameters())) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    tied = torch.nn.Linear(2, 2)
    assert list(model.state_dict()) == list(
        torch.nn.Sequential(tied, torch.nn.Tanh(), tied).state_dict()
    )


def test_parameter() -> None:
    p = nn.Parameter(cr.zeros(2, 3))
    assert isinstance(p, cr.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not nn.Parameter(np.zeros(2), requires_grad=False).requires_grad
    assert type(p * 2) is cr.Tensor
    assert nn.Parameter().shape == (0,)
    data = np.zeros(3, dtype=np.float32)
    assert np.shares_memory(nn.Parameter(data).numpy(), data)
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(np.arange(3))


def test_train_eval_and_dropout_follow_the_mode() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Sequential(nn.Dropout(0.9)))
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    x = cr.ones(3, 4)
    np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())
    assert model.train() is model and all(m.training for m in model.modules())
    with pytest.raises(ValueError, match="bool"):
        model.train("no")  # type: ignore[arg-type]


def test_zero_grad() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    model(cr.ones(3, 2)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_requires_grad_freezes() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    model[0].requires_grad_(False)
    model(cr.ones(1, 2)).sum().backward()
    assert model[0].weight.grad is None and model[1].weight.grad is not None


def test_double_converts_in_place() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.PReLU())
    params = list(model.parameters())
    assert model.double() is model
    assert [p is q for p, q in zip(params, model.parameters())] == [True] * 3
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model(cr.ones(1, 2, dtype=cr.float64)).dtype == np.float64
    assert model.float()[0].weight.dtype == np.float32
    with pytest.raises(TypeError, match="floating-point"):
        model.to(np.int64)


def test_deepcopy_is_independent() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    clone = copy.deepcopy(model)
    assert list(clone.state_dict()) == list(model.state_dict())
    assert isinstance(clone[0].weight, nn.Parameter)
    assert clone[0].weight is clone[0]._parameters["weight"]
    with cr.no_grad():
        clone[0].weight.fill_(0.0)
    assert model[0].weight.numpy().any()


def test_call_is_forward_and_subclasses_keep_their_own() -> None:
    class Double(nn.Module):
        def forward(self, x: cr.Tensor) -> cr.Tensor:
            return x * 2

    class Quadruple(Double):
        def forward(self, x: cr.Tensor) -> cr.Tensor:
            return super().forward(x) * 2

    class Inherits(Double):
        pass

    class Custom(Double):
        def __call__(self, x: cr.Tensor) -> str:  # type: ignore[override]
            return "custom"

    x = cr.ones(1)
    assert Double()(x).item() == 2 and Quadruple()(x).item() == 4 and Inherits()(x).item() == 2
    assert Custom()(x) == "custom"
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(x)


def test_buffers_are_saved_like_pytorchs() -> None:
    class WithBuffers(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("running_mean", cr.zeros(3))
            self.register_buffer("scratch", cr.zeros(3), persistent=False)

    module = WithBuffers()
    assert list(module.state_dict()) == ["running_mean"]
    assert [n for n, _ in module.named_buffers()] == ["running_mean", "scratch"]
    module.running_mean = cr.ones(3)
    assert module.state_dict()["running_mean"].tolist() == [1, 1, 1]
    with pytest.raises(TypeError, match="buffer"):
        module.running_mean = [1, 2, 3]  # type: ignore[assignment]

    weight = np.array([1.0, 2.0, 0.5])
    ours = nn.CrossEntropyLoss(weight)
    theirs = torch.nn.CrossEntropyLoss(torch.tensor(weight))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == list(
        torch.nn.CrossEntropyLoss().state_dict()
    )


def test_sequential_behaves_like_a_list() -> None:
    a, b, c = nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)
    model = nn.Sequential(a, b)
    assert len(model) == 2 and model[0] is a and model[-1] is b and list(model) == [a, b]
    assert model.append(c) is model and model[2] is c
    sub = model[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    assert list(sub.state_dict()) == ["2.weight", "2.bias"]  # PyTorch keeps the keys
    assert model(cr.ones(4, 2)).shape == (4, 1)
    del model[1]
    assert list(model) == [a, c] and list(model.state_dict())[-1] == "1.bias"
    model.insert(1, b)
    assert list(model) == [a, b, c]
    model[1] = nn.ReLU()
    assert isinstance(model[1], nn.ReLU)
    with pytest.raises(IndexError, match="out of range"):
        model[3]
    with pytest.raises(TypeError, match="argument 1 is a int"):
        nn.Sequential(a, 3)  # type: ignore[arg-type]
    named = nn.Sequential({"hidden": nn.Linear(2, 2), "act": nn.ReLU()})
    assert list(named.state_dict()) == ["hidden.weight", "hidden.bias"]
    assert named.hidden is named[0]
    assert len(model + named) == 5


def test_module_list() -> None:
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers += [nn.Linear(2, 1)]
    layers.append(nn.Tanh()).extend([nn.ReLU()])
    assert len(layers) == 6 and isinstance(layers[-1], nn.ReLU)
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    del layers[0]
    assert list(layers.state_dict())[:2] == ["0.weight", "0.bias"]
    with pytest.raises(NotImplementedError):
        layers(cr.ones(1))
    with pytest.raises(TypeError, match="not a Module"):
        layers.append(3)  # type: ignore[arg-type]


def test_get_submodule_and_apply() -> None:
    model = Block(nn)
    assert model.get_submodule("encoder.2") is model.encoder[2]
    with pytest.raises(AttributeError, match="no submodule 'x'"):
        model.get_submodule("encoder.x")
    seen: list[str] = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Block" and seen.count("Linear") == 4


def test_parameters_is_cheap_and_follows_changes() -> None:
    model = nn.Sequential(nn.Linear(2, 2))
    assert len(list(model.parameters())) == 2
    model.append(nn.Linear(2, 2))
    assert len(list(model.parameters())) == 4
    model[0].bias = None
    assert len(list(model.parameters())) == 3


def test_forward_hooks_see_and_replace_outputs_and_go_away() -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh())
    seen = []
    watch = model[1].register_forward_hook(lambda m, inputs, out: seen.append(out.shape))
    zero = model[0].register_forward_hook(lambda m, inputs, out: out * 0)
    out = model(cr.ones(4, 2))
    assert seen == [(4, 3)] and np.all(out.numpy() == 0)
    assert type(model[1]).__name__ == "Tanh" and repr(model[1]) == "Tanh()"
    watch.remove()
    zero.remove()
    assert type(model[0]) is nn.Linear and type(model[1]) is nn.Tanh
    assert not np.all(model(cr.ones(1, 2)).numpy() == 0)
    assert seen == [(4, 3)]
