"""chainrule.compile: a traced function replays to the same values and gradients."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd.ops import Linear


def make_mlp(seed: int = 0) -> list[cr.Tensor]:
    rng = np.random.default_rng(seed)
    sizes = [(8, 2), (8, 8), (1, 8)]
    params = []
    for out_features, in_features in sizes:
        params.append(
            cr.tensor(rng.standard_normal((out_features, in_features)) * 0.5, requires_grad=True)
        )
        params.append(cr.tensor(rng.standard_normal(out_features) * 0.1, requires_grad=True))
    return params


def mlp_loss(params: list[cr.Tensor], x: cr.Tensor, y: cr.Tensor) -> cr.Tensor:
    w1, b1, w2, b2, w3, b3 = params
    h = Linear()(x, w1, b1).tanh()
    h = (h @ w2.T + b2).relu()
    out = Linear()(h, w3, b3)
    return ((out - y) ** 2).mean() + 0.01 * (w1 * w1).sum()


def gradients(params: list[cr.Tensor]) -> list[np.ndarray]:
    grads = [p.grad.numpy().copy() for p in params]
    for p in params:
        p.grad = None
    return grads


def test_replay_gives_eager_values_and_gradients_while_training() -> None:
    params = make_mlp()
    rng = np.random.default_rng(1)
    compiled = cr.compile(lambda x, y: mlp_loss(params, x, y))
    for _ in range(5):  # trace, checked replay, then plain replays; parameters change
        x = cr.tensor(rng.standard_normal((10, 2)))
        y = cr.tensor(rng.standard_normal((10, 1)))
        eager = mlp_loss(params, x, y)
        eager.backward()
        expected = gradients(params)
        replayed = compiled(x, y)
        replayed.backward()
        np.testing.assert_allclose(replayed.item(), eager.item(), rtol=1e-6)
        for ours, theirs in zip(gradients(params), expected):
            np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)
        with cr.no_grad():
            for p, g in zip(params, expected):
                p -= 0.1 * g
    assert len(compiled.plans) == 1


def test_new_shapes_make_a_new_trace() -> None:
    params = make_mlp()
    compiled = cr.compile(lambda x, y: mlp_loss(params, x, y))
    for batch in (4, 4, 7, 7, 4):
        x, y = cr.randn(batch, 2), cr.randn(batch, 1)
        np.testing.assert_allclose(compiled(x, y).item(), mlp_loss(params, x, y).item(), rtol=1e-5)
    assert len(compiled.plans) == 2


def test_float32_stays_float32_in_replay() -> None:
    params = [p.float().detach().requires_grad_() for p in make_mlp()]
    compiled = cr.compile(lambda x, y: mlp_loss(params, x, y))
    for _ in range(3):
        loss = compiled(cr.randn(5, 2), cr.randn(5, 1))
        loss.backward()
        assert loss.dtype == np.float32
        assert all(p.grad.dtype == np.float32 for p in params)
        gradients(params)


def test_a_function_reading_data_from_outside_falls_back_to_eager() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    batches = iter([np.array([1.0, 1.0]), np.array([3.0, 5.0]), np.array([2.0, 0.0])])
    holder = {}

    def loss(scale: cr.Tensor) -> cr.Tensor:
        # Reads a new array on every call without passing it in: a rule breaker.
        holder["x"] = cr.tensor(next(batches))
        return (w * holder["x"] * scale).sum()

    compiled = cr.compile(loss)
    compiled(cr.tensor(1.0))
    with pytest.warns(RuntimeWarning, match="did not match"):
        second = compiled(cr.tensor(1.0))
    assert second.item() == 13.0  # the eager answer, w . (3, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert compiled(cr.tensor(1.0)).item() == 2.0  # eager from now on


def test_arrays_must_come_as_tensors() -> None:
    compiled = cr.compile(lambda x: x * 2)
    with pytest.raises(TypeError, match="from_numpy"):
        compiled(np.ones(2))


def test_the_function_must_return_a_tensor() -> None:
    compiled = cr.compile(lambda x: 3.0)
    with pytest.raises(TypeError, match="must return a Tensor"):
        compiled(cr.ones(2))


def test_works_as_a_decorator_with_options() -> None:
    @cr.compile(max_traces=1)
    def double(x: cr.Tensor) -> cr.Tensor:
        return x * 2

    assert double(cr.ones(2)).tolist() == [2.0, 2.0]
    assert double(cr.ones(3)).tolist() == [2.0, 2.0, 2.0]
    assert len(double.plans) == 1


def test_labels_masks_and_argmax_are_read_afresh_on_every_call() -> None:
    rng = np.random.default_rng(3)
    w = cr.tensor(rng.standard_normal((3, 4)), requires_grad=True)

    def loss_and_parts(x: cr.Tensor, labels: cr.Tensor) -> cr.Tensor:
        logits = x @ w.T
        rows = cr.arange(len(labels))
        nll = -logits.log_softmax(dim=1)[rows, labels].mean()
        positive = cr.where(logits > 0, logits, logits * 0.1)  # a mask from the data
        correct = (logits.argmax(dim=1) == labels).float().mean()  # no gradient
        return nll + positive.mean() * 0.5 + correct * 0.0 + (correct.detach() * 0)

    compiled = cr.compile(loss_and_parts)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checked replay must agree with eager
        for _ in range(4):
            x = cr.tensor(rng.standard_normal((6, 4)))
            labels = cr.tensor(rng.integers(0, 3, 6))
            eager = loss_and_parts(x, labels)
            eager.backward()
            expected = w.grad.numpy().copy()
            w.grad = None
            replayed = compiled(x, labels)
            replayed.backward()
            np.testing.assert_allclose(replayed.item(), eager.item(), rtol=1e-10)
            np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-10)
            w.grad = None


def test_the_replay_is_straight_line_code_one_line_per_op() -> None:
    w = cr.tensor([[1.0, 2.0]], requires_grad=True)
    compiled = cr.compile(lambda x: (x @ w.T).tanh().sum())
    compiled(cr.ones(3, 2))
    (plan,) = compiled.plans.values()
    forward, backward = plan.source.split("\n\n")
    assert [line.split("# ")[-1] for line in forward.splitlines() if "#" in line] == [
        "Permute",
        "MatMul",
        "Tanh",
        "Sum",
    ]
    assert "backward" in backward and "Tanh" in backward


def _classifier(seed: int, sizes: tuple[int, int, int], lr: float, momentum: float) -> Any:
    """A two-layer classifier and its SGD optimizer, the same for the same seed."""
    from chainrule import nn, optim

    cr.manual_seed(seed)
    n_in, hidden, n_out = sizes
    model = nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, n_out))
    return model, optim.SGD(model.parameters(), lr=lr, momentum=momentum)


def _labelled_batches(seed: int, count: int, size: int, features: int, classes: int) -> list:
    rng = np.random.default_rng(seed)
    return [
        (
            cr.tensor(rng.standard_normal((size, features))),
            cr.tensor(rng.integers(0, classes, size)),
        )
        for _ in range(count)
    ]


def test_a_compiled_training_step_follows_the_eager_loop() -> None:
    from chainrule import nn

    def make() -> Any:
        return _classifier(7, (2, 6, 3), lr=0.1, momentum=0.9)

    batches = _labelled_batches(0, count=6, size=8, features=2, classes=3)
    eager_model, eager_optimizer = make()
    eager_losses = []
    for x, y in batches:
        eager_optimizer.zero_grad()
        loss = nn.functional.cross_entropy(eager_model(x), y)
        loss.backward()
        eager_optimizer.step()
        eager_losses.append(loss.item())

    model, optimizer = make()
    step = cr.compile(lambda x, y: nn.functional.cross_entropy(model(x), y), optimizer=optimizer)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = [step(x, y).item() for x, y in batches]
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-5)
    for ours, theirs in zip(model.parameters(), eager_model.parameters()):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
        assert ours.grad is not None  # the last step's gradient, as after the eager loop
    assert not step(*batches[0]).requires_grad  # the step returns the loss, no graph


def test_a_compiled_step_needs_an_optimizer_like_object() -> None:
    with pytest.raises(TypeError, match="optimizer must have step"):
        cr.compile(lambda x: x.sum(), optimizer=object())


def test_after_the_first_backward_only_the_needed_fits_remain() -> None:
    """The probing backward notes which gradients needed summing back to shape (the
    broadcast bias here) or a cast; the rewritten replay keeps only those, and still
    gives eager's gradients."""
    params = make_mlp()
    rng = np.random.default_rng(3)
    compiled = cr.compile(lambda x, y: mlp_loss(params, x, y))
    x, y = cr.tensor(rng.standard_normal((10, 2))), cr.tensor(rng.standard_normal((10, 1)))
    compiled(x, y).backward()  # trace (eager)
    gradients(params)
    (plan,) = compiled.plans.values()
    assert "probe(" in plan.source
    for _ in range(3):
        eager = mlp_loss(params, x, y)
        eager.backward()
        expected = gradients(params)
        compiled(x, y).backward()
        for ours, theirs in zip(gradients(params), expected):
            np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-9)
    assert "probe(" not in plan.source
    # h @ w2.T + b2 broadcasts b2 over the batch: its gradient is summed back, once.
    assert plan.source.count("fit_gradient(") == 1


def test_a_compiled_step_gives_every_parameter_its_own_gradient_array() -> None:
    """Add hands its upstream gradient to both inputs; each .grad must still own its
    array (a later in-place change to one must not change the other)."""
    from chainrule import optim

    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, 4.0], requires_grad=True)
    optimizer = optim.SGD([a, b], lr=0.1)
    step = cr.compile(lambda x: ((a + b) * x).sum(), optimizer=optimizer)
    x = cr.tensor([1.0, 1.0])
    for _ in range(4):
        step(x)
        assert a.grad is not None and b.grad is not None
        assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data.fill(0)
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(a.numpy(), [1.0 - 0.4, 2.0 - 0.4], rtol=1e-6)


def test_a_compiled_step_returns_its_auxiliary_outputs_on_every_call() -> None:
    """fn may return (loss, *others): the first is trained on, the others come back
    detached; on the trace, the checked call and the replays alike."""
    from chainrule import nn

    def make() -> Any:
        return _classifier(3, (3, 5, 2), lr=0.05, momentum=0.5)

    batches = _labelled_batches(2, count=5, size=6, features=3, classes=2)
    eager_model, eager_optimizer = make()
    expected = []
    for x, y in batches:
        eager_optimizer.zero_grad()
        outputs = eager_model(x)
        loss = nn.functional.cross_entropy(outputs, y)
        penalty = 0.01 * (eager_model[0].weight ** 2).sum()
        (loss + penalty).backward()
        eager_optimizer.step()
        expected.append((loss.item(), outputs.numpy().copy()))

    model, optimizer = make()

    def objective(x: cr.Tensor, y: cr.Tensor) -> tuple[cr.Tensor, ...]:
        outputs = model(x)
        loss = nn.functional.cross_entropy(outputs, y)
        return loss + 0.01 * (model[0].weight ** 2).sum(), loss, outputs

    step = cr.compile(objective, optimizer=optimizer)
    for (x, y), (loss_value, output_values) in zip(batches, expected):
        total, loss, outputs = step(x, y)
        assert not (total.requires_grad or loss.requires_grad or outputs.requires_grad)
        np.testing.assert_allclose(loss.item(), loss_value, rtol=1e-6)
        np.testing.assert_allclose(outputs.numpy(), output_values, rtol=1e-6, atol=1e-9)
        assert total.item() > loss.item()  # the penalty is in the first only
    for ours, theirs in zip(model.parameters(), eager_model.parameters()):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-9)


def test_only_a_compiled_step_may_return_a_tuple() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="tuple of outputs needs optimizer"):
        cr.compile(lambda x: ((w * x).sum(), x))(cr.ones(2))
    from chainrule import optim

    step = cr.compile(lambda x: ((w * x).sum(), 3.0), optimizer=optim.SGD([w], lr=0.1))
    with pytest.raises(TypeError, match="tuple of Tensors"):
        step(cr.ones(2))


def test_a_gradient_kept_by_the_user_is_not_changed_by_the_next_compiled_step() -> None:
    """The step reuses last step's .grad tensor only when nothing else refers to it."""
    from chainrule import optim

    w = cr.tensor([1.0, -2.0], requires_grad=True)
    step = cr.compile(lambda x: ((w * x) ** 2).sum(), optimizer=optim.SGD([w], lr=0.1))
    for i in range(6):
        x = cr.tensor([float(i + 1), 1.0])
        before = w.numpy().copy()
        step(x)
        expected = 2 * before * x.numpy() ** 2
        np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-6)
        if i == 3:
            kept, kept_values = w.grad, w.grad.numpy().copy()
    np.testing.assert_array_equal(kept.numpy(), kept_values)  # still step 4's gradient
    assert kept is not w.grad


def test_a_compiled_float32_step_stays_float32() -> None:
    """Values, gradients, the optimizer's state and the returned loss: no upcast to
    float64 anywhere in a compiled training step (Python-number constants included)."""
    from chainrule import nn, optim

    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    step = cr.compile(
        lambda x, y: nn.functional.mse_loss(model(x), y) * 0.5 + 1e-3, optimizer=optimizer
    )
    for _ in range(4):  # trace, checked call, probing replay, specialised replay
        loss = step(cr.randn(6, 3), cr.randn(6, 1))
        assert loss.dtype == np.float32
    for p in model.parameters():
        assert p.dtype == np.float32 and p.grad.dtype == np.float32
        assert optimizer.state[p]["momentum_buffer"].dtype == np.float32
