"""The backward pass: the course's worked examples, accumulation, graph lifetime,
higher-order gradients, grad mode, in-place safety and error messages."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd.ops import Linear

# --------------------------------------------------------------------------------
# The course's worked examples come out exactly.
# --------------------------------------------------------------------------------


def test_circuit_x_plus_y_times_z() -> None:
    x = cr.tensor(-2.0, requires_grad=True)
    y = cr.tensor(5.0, requires_grad=True)
    z = cr.tensor(-4.0, requires_grad=True)
    f = (x + y) * z
    f.backward()
    assert f.item() == -12.0
    assert (x.grad.item(), y.grad.item(), z.grad.item()) == (-4.0, -4.0, 3.0)


def test_sigmoid_neuron() -> None:
    w = cr.tensor([2.0, -3.0, -3.0], dtype=cr.float64, requires_grad=True)
    x = cr.tensor([-1.0, -2.0], dtype=cr.float64, requires_grad=True)
    f = 1 / (1 + (-(w[0] * x[0] + w[1] * x[1] + w[2])).exp())
    f.backward()
    assert f.item() == pytest.approx(0.7310585786)
    np.testing.assert_allclose(w.grad.numpy(), [-0.19661193, -0.39322387, 0.19661193], rtol=1e-7)
    np.testing.assert_allclose(x.grad.numpy(), [0.39322387, -0.58983580], rtol=1e-7)
    assert np.round(w.grad.numpy(), 2).tolist() == [-0.2, -0.39, 0.2]
    assert np.round(x.grad.numpy(), 2).tolist() == [0.39, -0.59]
    # The sigmoid primitive gives the same numbers in one node.
    w2 = cr.tensor([2.0, -3.0, -3.0], dtype=cr.float64, requires_grad=True)
    (w2[0] * -1.0 + w2[1] * -2.0 + w2[2]).sigmoid().backward()
    np.testing.assert_allclose(w2.grad.numpy(), w.grad.numpy(), rtol=1e-12)


def test_squared_error_of_one_weight() -> None:
    x, y = cr.tensor(1.0), cr.tensor(2.0)
    w = cr.tensor(1.0, requires_grad=True)
    loss = (x * w - y) ** 2
    loss.backward()
    assert w.grad.item() == -2.0


def test_softmax_cross_entropy_gradient_is_probabilities_minus_one_hot() -> None:
    logits = cr.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]], dtype=cr.float64, requires_grad=True)
    labels = np.array([0, 2])
    loss = -logits.log_softmax(dim=1)[np.arange(2), labels].sum()
    loss.backward()
    expected = logits.softmax(dim=1).numpy() - np.eye(3)[labels]
    np.testing.assert_allclose(logits.grad.numpy(), expected, rtol=1e-12)


# --------------------------------------------------------------------------------
# Accumulation, fan-out and the graph's lifetime.
# --------------------------------------------------------------------------------


def test_gradients_accumulate_across_backward_calls() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])


def test_fan_out_adds_gradients() -> None:
    x = cr.tensor(3.0, requires_grad=True)
    y = x * x * x + x  # x is used four times
    y.backward()
    assert x.grad.item() == 3 * 9 + 1


def test_leaf_gradients_never_share_memory() -> None:
    a = cr.tensor([1.0, 2.0], requires_grad=True)
    b = cr.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # add hands the same upstream gradient to both
    a.grad.data += 10
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_second_backward_through_a_freed_graph_says_so() -> None:
    x = cr.tensor(2.0, requires_grad=True)
    y = x.exp() * x
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward() -> None:
    x = cr.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 8.0


def test_backward_frees_the_graph() -> None:
    x = cr.randn(100, 100, requires_grad=True)
    hidden = (x * 2).tanh()
    probe = weakref.ref(hidden)
    y = hidden.sum()
    del hidden
    y.backward()
    gc.collect()
    assert probe() is None  # nothing in the freed graph keeps the intermediate alive


def test_deep_graph_of_100k_nodes() -> None:
    x = cr.tensor(1.0, dtype=cr.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.000001
    y.backward()
    assert x.grad.item() == pytest.approx(1.000001**100_000)
    del y


def test_non_scalar_backward_needs_a_gradient() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"non-scalar output of shape \(2,\)"):
        (x * 2).backward()
    (x * 2).backward(gradient=[1.0, 10.0])
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 20.0])


def test_gradient_of_the_wrong_shape_is_refused() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\) but the output has shape"):
        (x * 2).backward(gradient=[1.0, 1.0, 1.0])


def test_backward_on_a_constant_says_why() -> None:
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.tensor(1.0).backward()


def test_retain_grad_keeps_a_non_leaf_gradient() -> None:
    x = cr.tensor(2.0, requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).backward()
    assert h.grad.item() == 12.0
    assert x.grad.item() == 36.0


# --------------------------------------------------------------------------------
# autograd.grad and higher-order gradients.
# --------------------------------------------------------------------------------


def test_autograd_grad_returns_without_touching_dot_grad() -> None:
    x = cr.tensor(3.0, requires_grad=True)
    (dy,) = cr.autograd.grad(x**3, x)
    assert dy.item() == 27.0
    assert x.grad is None


def test_second_derivative() -> None:
    x = cr.tensor(3.0, requires_grad=True)
    (dy,) = cr.autograd.grad(x**3, x, create_graph=True)
    (d2y,) = cr.autograd.grad(dy, x)
    assert (dy.item(), d2y.item()) == (27.0, 18.0)


def test_unused_input_is_an_error_unless_allowed() -> None:
    x = cr.tensor(1.0, requires_grad=True)
    z = cr.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="input 1 .* was not used"):
        cr.autograd.grad(x * 2, [x, z], retain_graph=True)
    gx, gz = cr.autograd.grad(x * 2, [x, z], allow_unused=True)
    assert gx.item() == 2.0 and gz is None


def test_grad_with_respect_to_an_intermediate_tensor() -> None:
    x = cr.tensor(2.0, requires_grad=True)
    h = x * x
    y = h.exp()
    gh, gx = cr.autograd.grad(y, [h, x])
    assert gh.item() == pytest.approx(np.exp(4.0))
    assert gx.item() == pytest.approx(np.exp(4.0) * 4.0)


def linear(x, w, b):  # type: ignore[no-untyped-def]
    """The fused dense-layer op for chainrule tensors, F.linear for torch's."""
    if isinstance(x, cr.Tensor):
        return Linear()(x, w, b)
    import torch

    return torch.nn.functional.linear(x, w, b)


def cat(items, dim):  # type: ignore[no-untyped-def]
    if isinstance(items[0], cr.Tensor):
        return cr.cat(items, dim)
    import torch

    return torch.cat(items, dim)


HIGHER_ORDER = {
    "tanh_mlp": lambda x, w: ((x @ w).tanh() ** 2).sum(),
    "sigmoid_log": lambda x, w: (x @ w).sigmoid().log().sum(),
    "softmax": lambda x, w: ((x @ w).softmax(dim=1) * (x @ w)).sum(),
    "exp_div": lambda x, w: (x * x).sum() / (w.exp().sum() + 1),
    "relu_max": lambda x, w: (x @ w).relu().amax(dim=0).sum() + (w * w * w).sum(),
    "sqrt_abs": lambda x, w: ((x * x + 1).sqrt() @ w.abs()).sum(),
    "linear": lambda x, w: (linear(x, w.T, w[0]).sin() ** 2).sum(),
    "getitem_cat": lambda x, w: (cat([x[:, :2] * w[0, 0], x[[0, 0], :2]], dim=0) ** 3).sum(),
}


@pytest.mark.parametrize("name", list(HIGHER_ORDER))
def test_hessian_vector_products_match_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    fn = HIGHER_ORDER[name]
    rng = np.random.default_rng(0)
    x0, w0 = rng.standard_normal((4, 3)), rng.standard_normal((3, 3))
    v = rng.standard_normal((3, 3))

    x, w = cr.tensor(x0, requires_grad=True), cr.tensor(w0, requires_grad=True)
    gx, gw = cr.autograd.grad(fn(x, w), [x, w], create_graph=True)
    hvp_x, hvp_w = cr.autograd.grad((gw * cr.tensor(v)).sum(), [x, w], allow_unused=True)

    tx, tw = torch.tensor(x0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    tgx, tgw = torch.autograd.grad(fn(tx, tw), [tx, tw], create_graph=True)
    thx, thw = torch.autograd.grad((tgw * torch.tensor(v)).sum(), [tx, tw], allow_unused=True)

    np.testing.assert_allclose(gw.numpy(), tgw.detach().numpy(), rtol=1e-9, atol=1e-12)
    for ours, theirs, shape in ((hvp_x, thx, x0.shape), (hvp_w, thw, w0.shape)):
        # An unused input (None) has a zero gradient, however each library says it.
        mine = np.zeros(shape) if ours is None else ours.numpy()
        reference = np.zeros(shape) if theirs is None else theirs.detach().numpy(force=True)
        np.testing.assert_allclose(mine, reference, rtol=1e-9, atol=1e-12)


def test_gradient_penalty_trains_through_a_gradient() -> None:
    w = cr.tensor([[0.5, -1.0]], dtype=cr.float64, requires_grad=True)
    x = cr.tensor([[1.0, 2.0]], dtype=cr.float64, requires_grad=True)
    out = (x @ w.T).tanh().sum()
    (gx,) = cr.autograd.grad(out, x, create_graph=True)
    penalty = (gx * gx).sum()
    penalty.backward()
    assert w.grad is not None and np.all(np.isfinite(w.grad.numpy()))
    assert cr.gradcheck(
        lambda w: (cr.autograd.grad((x @ w.T).tanh().sum(), x, create_graph=True)[0] ** 2).sum(),
        [w],
    )


# --------------------------------------------------------------------------------
# Grad mode.
# --------------------------------------------------------------------------------


def test_no_grad_records_nothing() -> None:
    x = cr.tensor(1.0, requires_grad=True)
    with cr.no_grad():
        y = x * 2
        assert not cr.is_grad_enabled()
        with cr.enable_grad():
            z = x * 2
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad


def test_no_grad_as_a_decorator() -> None:
    @cr.no_grad()
    def evaluate(x: cr.Tensor) -> cr.Tensor:
        return x * 2

    assert not evaluate(cr.tensor(1.0, requires_grad=True)).requires_grad
    assert cr.is_grad_enabled()


def test_no_grad_restores_the_mode_after_an_exception() -> None:
    with pytest.raises(ValueError), cr.no_grad():
        raise ValueError
    assert cr.is_grad_enabled()


def test_detach_cuts_the_graph() -> None:
    x = cr.tensor(2.0, requires_grad=True)
    y = x * x.detach()
    y.backward()
    assert x.grad.item() == 2.0


# --------------------------------------------------------------------------------
# In-place changes.
# --------------------------------------------------------------------------------


def test_in_place_change_of_a_needed_input_is_detected() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    x = cr.tensor([3.0, 4.0])
    y = (w * x).sum()  # backward needs x
    x.add_(1.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_in_place_change_through_a_view_is_detected() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    x = cr.tensor([[3.0, 4.0]])
    y = (w * x).sum()
    x[0].mul_(2.0)  # the row is a view of x
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_in_place_changes_elsewhere_or_before_the_use_are_fine() -> None:
    """Backward checks only the inputs changed after the node read them."""
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    x = cr.tensor([3.0, 4.0])
    x.add_(1.0)  # before the forward pass: the graph sees [4, 5]
    y = (w * x).sum()
    other = cr.tensor([0.0, 0.0])
    other.add_(1.0)  # after it, but not an input of y
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, 5.0])


def test_an_optimizer_step_between_forward_and_backward_is_detected() -> None:
    from chainrule import optim

    w = cr.tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    y = (w * w).sum()  # reads w
    optimizer.step()  # changes w in place
    with pytest.raises(RuntimeError, match="input 0.*modified in place"):
        y.backward()


def test_in_place_change_of_an_unneeded_input_is_fine() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    x = cr.tensor([3.0, 4.0])
    y = (w + x).sum()  # addition's gradient does not need x
    x.add_(1.0)
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 1.0])


def test_in_place_on_a_parameter_needs_no_grad() -> None:
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.add_(1.0)
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 1.0
    with cr.no_grad():
        w -= 1.0
        w.mul_(2.0)
    np.testing.assert_allclose(w.numpy(), [0.0, 2.0])
    assert w.requires_grad


def test_augmented_assignment_on_a_non_leaf_makes_a_new_tensor() -> None:
    x = cr.tensor(2.0, requires_grad=True)
    y = x * 3
    y += x  # recorded out of place: y now names x*3 + x
    y.backward()
    assert x.grad.item() == 4.0


# --------------------------------------------------------------------------------
# Errors a newcomer can act on.
# --------------------------------------------------------------------------------


def test_matmul_shape_error_names_the_op_and_both_shapes() -> None:
    with pytest.raises(cr.ShapeError, match=r"MatMul.*\(2, 3\) and \(4, 5\)"):
        cr.zeros(2, 3) @ cr.zeros(4, 5)


def test_broadcast_error_names_the_op_and_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"Add.*\(2, 3\) and \(4,\)"):
        cr.zeros(2, 3) + cr.zeros(4)
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2,\)"):
        _ = cr.zeros(2, 3) > cr.zeros(2)


def test_integer_tensors_cannot_require_grad() -> None:
    with pytest.raises(TypeError, match="only floating-point tensors.*int64"):
        cr.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        cr.arange(3).requires_grad_()


def test_bad_index_names_the_shape() -> None:
    with pytest.raises(IndexError, match=r"\(3,\)"):
        cr.randn(3, requires_grad=True)[5]
    with pytest.raises(IndexError, match="integer or bool"):
        cr.randn(3)[cr.tensor([0.5])]


def test_requesting_item_of_many_elements() -> None:
    with pytest.raises(ValueError, match=r"exactly one element, got shape \(2,\)"):
        cr.zeros(2).item()


def test_unsupported_data_is_refused_clearly() -> None:
    with pytest.raises(TypeError, match="cannot make a tensor from str"):
        cr.tensor("abc")
    with pytest.raises(TypeError, match="unsupported operand"):
        cr.zeros(2) + "a"  # type: ignore[operator]


def test_permute_must_be_a_reordering() -> None:
    with pytest.raises(ValueError, match=r"permute\(\(0, 0\)\)"):
        cr.zeros(2, 3).permute(0, 0)


def test_an_op_given_something_else_than_tensors_names_it() -> None:
    with pytest.raises(TypeError, match=r"Linear: input 0 must be a Tensor, got list"):
        Linear()([[1.0, 2.0]], cr.ones(3, 2))  # type: ignore[arg-type]


def test_grad_of_the_same_input_asked_twice() -> None:
    x = cr.tensor(2.0, requires_grad=True)
    h = x * x
    g1, g2, g3 = cr.autograd.grad(h * 3, [h, h, x])
    assert (g1.item(), g2.item(), g3.item()) == (3.0, 3.0, 12.0)
    g1.data += 1  # they do not share memory
    assert g2.item() == 3.0


def test_a_dim_the_tensor_does_not_have_is_named() -> None:
    with pytest.raises(IndexError, match=r"Sum: axis 5 is out of bounds .* shape \(2, 3\)"):
        cr.zeros(2, 3).sum(dim=5)


def test_a_leaf_used_on_both_sides_of_an_add_gets_the_whole_gradient() -> None:
    """Add hands one gradient array to both inputs. When one input is a leaf, that array
    becomes the leaf's .grad while the other branch still needs it: later gradients
    must not be added into it in place (this once gave 12 instead of 6)."""
    import torch

    values = np.array([0.5, -1.0, 2.0])
    x = cr.tensor(values, requires_grad=True)
    ((x * 2 + x * 3) + x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0, 6.0])

    y = cr.tensor(values, requires_grad=True)
    (y.tanh() + y.tanh() * 2 + y).sum().backward()
    t = torch.tensor(values, requires_grad=True)
    (t.tanh() + t.tanh() * 2 + t).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_the_seed_of_backward_never_becomes_a_shared_grad() -> None:
    """backward() from a scalar starts from a shared read-only 1; whatever .grad it
    reaches must be the tensor's own, writable array."""
    x = cr.tensor(2.0, requires_grad=True)
    x.backward()  # the seed reaches the leaf itself
    x.grad.data += 1  # writable, and only x's
    y = cr.tensor(3.0, requires_grad=True)
    (y * 1.0).backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2.0)
    np.testing.assert_array_equal(y.grad.numpy(), 1.0)
    z = cr.tensor([5.0], requires_grad=True)
    z.reshape(()).backward()  # a view of the seed on its way to the leaf
    z.grad.data *= 3
    np.testing.assert_array_equal(z.grad.numpy(), [3.0])
