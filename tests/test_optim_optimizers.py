"""Optimizers against torch.optim: same start, same gradients, same trajectory."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (4,), ()]
STEPS = 20


def _grid(**options: list[Any]) -> list[dict[str, Any]]:
    """Every combination of the given option values."""
    names = list(options)
    return [dict(zip(names, values)) for values in itertools.product(*options.values())]


def _sgd_cases() -> list[dict[str, Any]]:
    cases = _grid(
        momentum=[0.0, 0.9],
        dampening=[0.0, 0.5],
        nesterov=[False, True],
        weight_decay=[0.0, 0.1],
        maximize=[False, True],
    )
    valid = [c for c in cases if not c["nesterov"] or (c["momentum"] > 0 and c["dampening"] == 0)]
    return [dict(c, lr=0.05) for c in valid]


CASES: list[tuple[str, dict[str, Any]]] = (
    [("SGD", c) for c in _sgd_cases()]
    + [
        ("Adagrad", dict(c, lr=0.1))
        for c in _grid(
            lr_decay=[0.0, 0.1],
            weight_decay=[0.0, 0.1],
            initial_accumulator_value=[0.0, 0.5],
            maximize=[False, True],
        )
    ]
    + [
        ("RMSprop", dict(c, lr=0.01))
        for c in _grid(
            momentum=[0.0, 0.9],
            centered=[False, True],
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
            alpha=[0.99, 0.5],
        )
    ]
    + [
        ("Adam", dict(c, lr=0.05))
        for c in _grid(
            amsgrad=[False, True],
            weight_decay=[0.0, 0.1],
            maximize=[False, True],
            betas=[(0.9, 0.999), (0.5, 0.9)],
            decoupled_weight_decay=[False, True],
        )
    ]
    + [
        ("AdamW", dict(c, lr=0.05))
        for c in _grid(amsgrad=[False, True], weight_decay=[0.01, 0.3], maximize=[False, True])
    ]
)


def _ids(case: tuple[str, dict[str, Any]]) -> str:
    name, options = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in options.items())


# ---------------------------------------------------------------- the harness


def _start(seed: int = 0, dtype: Any = np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(dtype) for shape in SHAPES]


def _noise(steps: int = STEPS, seed: int = 1) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(shape) for shape in SHAPES] for _ in range(steps)]


def _gradient(values: list[np.ndarray], noise: list[np.ndarray], t: int) -> list[Any]:
    """The gradient of a noisy quadratic at the current values; the last parameter gets
    no gradient on odd steps (the optimizer must skip it)."""
    grads: list[Any] = [0.7 * v + n for v, n in zip(values, noise)]
    if t % 2 == 1:
        grads[-1] = None
    return grads


def _run_chainrule(
    make: Callable[[list[Any]], Any],
    start: list[np.ndarray],
    noise: list[list[np.ndarray]],
    first_step: int = 0,
) -> tuple[list[list[np.ndarray]], Any, list[Any]]:
    """Steps ``first_step``, ... with chainrule: (trajectory, optimizer, parameters)."""
    params = [cr.tensor(v.copy(), requires_grad=True) for v in start]
    opt = make(params)
    trajectory = []
    for t, step_noise in enumerate(noise, first_step):
        for p, g in zip(params, _gradient([p.data for p in params], step_noise, t)):
            p.grad = None if g is None else cr.tensor(g.astype(p.data.dtype))
        opt.step()
        trajectory.append([p.data.copy() for p in params])
    return trajectory, opt, params


def _run_torch(
    make: Callable[[list[Any]], Any], start: list[np.ndarray], noise: list[list[np.ndarray]]
) -> tuple[list[list[np.ndarray]], Any]:
    """The same steps with torch: (trajectory, optimizer)."""
    params = [torch.tensor(v.copy(), requires_grad=True) for v in start]
    opt = make(params)
    trajectory = []
    for t, step_noise in enumerate(noise):
        for p, g in zip(params, _gradient([p.detach().numpy() for p in params], step_noise, t)):
            p.grad = None if g is None else torch.tensor(g, dtype=p.dtype)
        opt.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory, opt


def _assert_same(ours: list[list[np.ndarray]], theirs: list[list[np.ndarray]]) -> None:
    for t, (a_step, b_step) in enumerate(zip(ours, theirs)):
        for i, (a, b) in enumerate(zip(a_step, b_step)):
            np.testing.assert_allclose(
                a, b, rtol=1e-10, atol=1e-12, err_msg=f"step {t + 1}, parameter {i}"
            )


# ------------------------------------------------------------------ trajectories


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_trajectory_matches_torch(case: tuple[str, dict[str, Any]]) -> None:
    name, options = case
    start, noise = _start(), _noise()
    ours, _, _ = _run_chainrule(lambda ps: getattr(optim, name)(ps, **options), start, noise)
    theirs, _ = _run_torch(lambda ps: getattr(torch.optim, name)(ps, **options), start, noise)
    _assert_same(ours, theirs)


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_defaults_match_torch(name: str) -> None:
    start, noise = _start(), _noise()
    ours, opt, _ = _run_chainrule(lambda ps: getattr(optim, name)(ps), start, noise)
    theirs, _ = _run_torch(lambda ps: getattr(torch.optim, name)(ps), start, noise)
    _assert_same(ours, theirs)
    reference = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    for key, value in opt.defaults.items():
        assert reference[key] == value, key


def test_param_groups_with_their_own_options() -> None:
    start, noise = _start(), _noise()

    def groups(ps: list[Any]) -> list[dict[str, Any]]:
        return [
            {"params": ps[:1], "lr": 0.2, "momentum": 0.5},
            {"params": ps[1:], "weight_decay": 0.3},
        ]

    ours, opt, _ = _run_chainrule(lambda ps: optim.SGD(groups(ps), lr=0.05), start, noise)
    theirs, _ = _run_torch(lambda ps: torch.optim.SGD(groups(ps), lr=0.05), start, noise)
    _assert_same(ours, theirs)
    assert [g["lr"] for g in opt.param_groups] == [0.2, 0.05]
    assert [g["momentum"] for g in opt.param_groups] == [0.5, 0]


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_training_through_backward_matches_torch(name: str) -> None:
    """A linear least-squares fit where each library computes its own gradients."""
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 2))
    w0, b0 = rng.standard_normal((2, 3)), rng.standard_normal(2)
    options = {"lr": 0.05, "momentum": 0.9, "nesterov": True} if name == "SGD" else {"lr": 0.05}

    w, b = cr.tensor(w0.copy(), requires_grad=True), cr.tensor(b0.copy(), requires_grad=True)
    tw = torch.tensor(w0.copy(), requires_grad=True)
    tb = torch.tensor(b0.copy(), requires_grad=True)
    opt = getattr(optim, name)([w, b], **options)
    topt = getattr(torch.optim, name)([tw, tb], **options)
    xc, yc, xt, yt = cr.tensor(x), cr.tensor(y), torch.tensor(x), torch.tensor(y)
    for _ in range(STEPS):
        opt.zero_grad()
        loss = ((xc @ w.T + b - yc) ** 2).mean()
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = ((xt @ tw.T + tb - yt) ** 2).mean()
        tloss.backward()
        topt.step()
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-10)
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-10)


def test_named_parameters_are_accepted_and_named_in_the_state_dict() -> None:
    w = cr.zeros(2, 2, requires_grad=True)
    b = cr.zeros(2, requires_grad=True)
    opt = optim.SGD([("fc.weight", w), ("fc.bias", b)], lr=0.1)
    first, second = opt.param_groups[0]["params"]
    assert first is w and second is b
    assert opt.param_groups[0]["param_names"] == ["fc.weight", "fc.bias"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["fc.weight", "fc.bias"]


# -------------------------------------------------------------- the step itself


def test_step_runs_the_closure_and_returns_its_loss() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.25)

    def closure() -> Any:
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx(5.0)
    np.testing.assert_allclose(w.data, [0.5, 1.0])


def test_step_counts_an_in_place_change_once_per_parameter() -> None:
    w, v = cr.ones(3, requires_grad=True), cr.ones(2, requires_grad=True)
    opt = optim.Adam([w, v])
    w.grad = cr.ones(3)  # v gets no gradient: it is neither updated nor counted
    before_w, before_v = w._version[0], v._version[0]
    opt.step()
    assert (w._version[0], v._version[0]) == (before_w + 1, before_v)


def test_a_graph_that_used_the_old_values_is_detected_as_stale() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    stale = (w * w).sum()  # recorded with the values before the step
    opt.step()
    with pytest.raises(RuntimeError):
        stale.backward()


def test_zero_grad_to_none_and_to_zeros() -> None:
    w = cr.ones(3, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad is not None and np.all(w.grad.data == 0)
    opt.zero_grad()
    assert w.grad is None


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_float32_parameters_and_state_stay_float32(name: str) -> None:
    options = {"momentum": 0.9, "weight_decay": 0.1} if name in ("SGD", "RMSprop") else {}
    if name in ("Adam", "AdamW"):
        options = {"amsgrad": True, "weight_decay": 0.1}
    start = _start(dtype=np.float32)
    trajectory, opt, params = _run_chainrule(
        lambda ps: getattr(optim, name)(ps, **options), start, _noise(5)
    )
    for p in params:
        assert p.data.dtype == np.float32
        for key, value in opt.state[p].items():
            if isinstance(value, np.ndarray) and key != "step":
                assert value.dtype == np.float32, key
    # and the values agree with a float64 run to float32 precision
    ours64, _, _ = _run_chainrule(
        lambda ps: getattr(optim, name)(ps, **options), _start(), _noise(5)
    )
    for a, b in zip(trajectory[-1], ours64[-1]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_update_functions_work_on_plain_arrays() -> None:
    """The pure update rule, without an optimizer: a whole group of arrays at once."""
    from chainrule.optim.sgd import sgd

    params = [np.array([1.0, 2.0]), np.array([[3.0]])]
    grads = [np.array([0.5, -0.5]), np.array([[1.0]])]
    buffers: list = [None, None]
    sgd(params, grads, buffers, lr=0.1, momentum=0.9, dampening=0, weight_decay=0,
        nesterov=False, maximize=False)  # fmt: skip
    np.testing.assert_allclose(params[0], [0.95, 2.05])
    np.testing.assert_allclose(params[1], [[2.9]])
    np.testing.assert_allclose(buffers[0], grads[0])  # b_1 = g_1, stored into the list
    assert buffers[0] is not grads[0]  # a copy: the next step changes it in place
    sgd(params, grads, buffers, lr=0.1, momentum=0.9, dampening=0, weight_decay=0,
        nesterov=False, maximize=False)  # fmt: skip
    np.testing.assert_allclose(params[0], [0.95 - 0.1 * 1.9 * 0.5, 2.05 + 0.1 * 1.9 * 0.5])


# ------------------------------------------------------------------- checkpoints


@pytest.mark.parametrize(
    "case",
    [
        ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
        ("Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
        ("RMSprop", {"momentum": 0.5, "centered": True}),
        ("Adam", {"lr": 0.05, "amsgrad": True}),
        ("AdamW", {"lr": 0.05}),
    ],
    ids=_ids,
)
def test_state_dict_round_trip_continues_the_same_trajectory(
    case: tuple[str, dict[str, Any]],
) -> None:
    name, options = case
    start, noise = _start(), _noise()
    make = lambda ps: getattr(optim, name)(ps, **options)  # noqa: E731
    whole, _, _ = _run_chainrule(make, start, noise)

    first, opt, _ = _run_chainrule(make, start, noise[:5])
    saved = opt.state_dict()
    opt.step()  # later steps must not change the saved copy
    resumed, _, _ = _run_chainrule(
        lambda ps: _loaded(make(ps), saved), first[-1], noise[5:], first_step=5
    )
    _assert_same(first + resumed, whole)


def _loaded(opt: Any, state: dict[str, Any]) -> Any:
    opt.load_state_dict(state)
    return opt


def test_state_dict_has_pytorchs_layout() -> None:
    params = [cr.ones(2, requires_grad=True), cr.ones(3, requires_grad=True)]
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}])
    for p in params:
        p.grad = cr.ones(p.shape)
    opt.step()
    state = opt.state_dict()
    assert [g["params"] for g in state["param_groups"]] == [[0], [1]]
    assert list(state["param_groups"][1])[-1] == "params"
    assert set(state["state"]) == {0, 1}
    assert set(state["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert state["state"][1]["step"] == 1 and state["state"][1]["step"].dtype == np.float32


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "Adagrad"])
def test_state_dicts_move_between_chainrule_and_torch(name: str) -> None:
    options = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    start, noise = _start(), _noise()
    whole, _ = _run_torch(lambda ps: getattr(torch.optim, name)(ps, **options), start, noise)

    # five steps in torch, then continue in chainrule from torch's state dict ...
    first, torch_opt = _run_torch(
        lambda ps: getattr(torch.optim, name)(ps, **options), start, noise[:5]
    )
    ours, opt, _ = _run_chainrule(
        lambda ps: _loaded(getattr(optim, name)(ps, **options), torch_opt.state_dict()),
        first[-1],
        noise[5:],
        first_step=5,
    )
    _assert_same(first + ours, whole)

    # ... and back: chainrule's state dict, with its arrays as tensors, loads into torch
    saved = opt.state_dict()
    as_tensors = {
        "state": {
            k: {n: torch.as_tensor(v) for n, v in s.items()} for k, s in saved["state"].items()
        },
        "param_groups": saved["param_groups"],
    }
    back = getattr(torch.optim, name)(
        [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in SHAPES], **options
    )
    back.load_state_dict(as_tensors)
    for k, s in saved["state"].items():
        for n, v in s.items():
            np.testing.assert_array_equal(back.state_dict()["state"][k][n].numpy(), v)


# ------------------------------------------------------------------------ errors


def _leaf() -> Any:
    return cr.ones(2, requires_grad=True)


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda: optim.SGD(_leaf(), lr=0.1), TypeError, "wrap it in a list"),
        (lambda: optim.SGD([cr.ones(2)], lr=0.1), ValueError, "does not require grad"),
        (lambda: optim.SGD([_leaf() * 2], lr=0.1), ValueError, "not a leaf"),
        (lambda: optim.SGD([np.ones(2)], lr=0.1), TypeError, "chainrule Tensors"),
        (lambda: optim.SGD([_leaf()], lr=-0.1), ValueError, "lr must be a number >= 0"),
        (lambda: optim.SGD([_leaf()], lr=0.1, nesterov=True), ValueError, "nesterov"),
        (lambda: optim.Adam([_leaf()], betas=(0.9, 1.0)), ValueError, "betas[1]"),
        (lambda: optim.Adam([_leaf()], eps=-1.0), ValueError, "eps"),
        (lambda: optim.RMSprop([_leaf()], momentum=-0.5), ValueError, "momentum"),
        (lambda: optim.Adagrad([_leaf()], lr_decay=-1), ValueError, "lr_decay"),
        (
            lambda: optim.SGD([{"params": [_leaf()], "learning_rate": 0.1}]),
            ValueError,
            "unknown option(s) ['learning_rate']",
        ),
        (lambda: optim.SGD([{"lr": 0.1}]), ValueError, "'params'"),
        (lambda: optim.SGD([{"params": []}]), ValueError, "empty parameter list"),
        (lambda: optim.SGD([{"params": [_leaf()], "lr": -1}]), ValueError, "lr must be"),
        (lambda: optim.SGD({"params": [_leaf()]}), TypeError, "single dict"),
    ],
)
def test_bad_arguments_are_named(make: Callable[[], Any], error: type, words: str) -> None:
    with pytest.raises(error) as info:
        make()
    assert words in str(info.value)


def test_a_parameter_in_two_groups_is_an_error() -> None:
    w = _leaf()
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([w, w], lr=0.1)


def test_a_gradient_of_the_wrong_shape_is_named() -> None:
    w = _leaf()
    opt = optim.SGD([("w", w)], lr=0.1)
    w.grad = cr.ones(3)
    with pytest.raises(ValueError, match=r"parameter w has shape \(2,\) but its .grad"):
        opt.step()


def test_a_mismatched_state_dict_is_named() -> None:
    a, b = _leaf(), cr.ones(3, requires_grad=True)
    opt = optim.Adam([a, b])
    a.grad, b.grad = cr.ones(2), cr.ones(3)
    opt.step()
    saved = opt.state_dict()

    with pytest.raises(ValueError, match="1 parameter group.* this Adam has 2"):
        optim.Adam([{"params": [_leaf()]}, {"params": [_leaf()]}]).load_state_dict(saved)
    with pytest.raises(ValueError, match="group 0 has 1 parameter"):
        optim.Adam([_leaf()]).load_state_dict(saved)
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 1 has shape \(3,\)"):
        optim.Adam([_leaf(), _leaf()]).load_state_dict(saved)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        optim.Adam([_leaf()]).load_state_dict({"state": {}})


def test_repr_lists_the_groups() -> None:
    text = repr(optim.SGD([_leaf()], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "momentum: 0.9" in text


def test_numpy_numbers_are_accepted_as_options() -> None:
    opt = optim.SGD([_leaf()], lr=np.float32(0.1), momentum=np.float64(0.9), nesterov=np.True_)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    optim.StepLR(opt, step_size=np.int64(3))


def test_a_state_dict_with_string_keys_loads() -> None:
    """A checkpoint format that stores keys as text (e.g. JSON metadata) still loads."""
    w = _leaf()
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    w.grad = cr.ones(2)
    opt.step()
    saved = opt.state_dict()
    as_text = {
        "state": {str(k): v for k, v in saved["state"].items()},
        "param_groups": [dict(g, params=[str(i) for i in g["params"]])
                         for g in saved["param_groups"]],
    }  # fmt: skip
    fresh = optim.SGD([_leaf()], lr=0.1, momentum=0.9)
    fresh.load_state_dict(as_text)
    (p,) = fresh.param_groups[0]["params"]
    np.testing.assert_array_equal(fresh.state[p]["momentum_buffer"], [1.0, 1.0])


def test_optimizers_by_name() -> None:
    from chainrule import nn

    params = list(nn.Linear(2, 2).parameters())
    for name, cls in optim.OPTIMIZERS.items():
        assert type(optim.get_optimizer(name, params, lr=0.1)) is cls
    assert (
        optim.get_optimizer("sgd", params, lr=0.1, momentum=0.9).param_groups[0]["momentum"] == 0.9
    )
    with pytest.raises(ValueError, match="takes no momentum; sgd and rmsprop do"):
        optim.get_optimizer("adam", params, lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'; choose one of sgd, adam"):
        optim.get_optimizer("lbfgs", params, lr=0.1)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_updates_a_group_that_mixes_dtypes(momentum: float) -> None:
    """The group-level SGD takes its scalars in the first parameter's dtype; a float64
    parameter after a float32 one is still updated in float64, and vice versa."""
    w32 = cr.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    w64 = cr.tensor(np.array([1.0, 2.0], dtype=np.float64) / 3, requires_grad=True)
    opt = optim.SGD([w32, w64], lr=0.1, momentum=momentum, weight_decay=0.01)
    start64 = w64.numpy().copy()
    for _ in range(2):
        opt.zero_grad()
        ((w32 * w32).sum() + (w64 * w64).sum()).backward()
        opt.step()
    assert w32.dtype == np.float32 and w64.dtype == np.float64
    # the same rule by hand, in float64
    p, b = start64.copy(), None
    for _ in range(2):
        g = 2 * p + 0.01 * p
        b = g if b is None else momentum * b + g
        p = p - 0.1 * (b if momentum else g)
    np.testing.assert_allclose(w64.numpy(), p, rtol=1e-15)
