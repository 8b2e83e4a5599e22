"""Activations and losses of chainrule.nn against PyTorch, values and gradients, in float64.

One table of (chainrule function, torch function, input domain) drives both the value
and the gradient tests; every new primitive is also checked by central differences.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.autograd import ops

torch = pytest.importorskip("torch")
TF = torch.nn.functional

SHAPES = [(7,), (3, 4), (2, 3, 5)]


def _away_from(points: tuple[float, ...], gap: float = 1e-3) -> Callable[[np.ndarray], np.ndarray]:
    """A domain: standard normal times 3, nudged away from the kinks at ``points``."""

    def sample(x: np.ndarray) -> np.ndarray:
        for point in points:
            near = np.abs(x - point) < gap
            x = np.where(near, x + 4 * gap, x)
        return x

    return sample


def _anywhere(x: np.ndarray) -> np.ndarray:
    return x


@dataclass(frozen=True)
class Case:
    name: str
    ours: Callable[[cr.Tensor], cr.Tensor]
    theirs: Callable[[Any], Any]
    domain: Callable[[np.ndarray], np.ndarray] = _anywhere


ACTIVATION_CASES = [
    Case("identity", F.identity, lambda x: x),
    Case("sigmoid", F.sigmoid, torch.sigmoid),
    Case("tanh", F.tanh, torch.tanh),
    Case("relu", F.relu, TF.relu, _away_from((0.0,))),
    Case("leaky_relu", F.leaky_relu, TF.leaky_relu, _away_from((0.0,))),
    Case(
        "leaky_relu_0.2",
        lambda x: F.leaky_relu(x, 0.2),
        lambda x: TF.leaky_relu(x, 0.2),
        _away_from((0.0,)),
    ),
    Case("elu", F.elu, TF.elu, _away_from((0.0,))),
    Case("elu_alpha", lambda x: F.elu(x, alpha=0.5), lambda x: TF.elu(x, alpha=0.5)),
    Case("softplus", F.softplus, TF.softplus),
    Case(
        "softplus_beta",
        lambda x: F.softplus(x * 10, beta=2.0, threshold=5.0),
        lambda x: TF.softplus(x * 10, beta=2.0, threshold=5.0),
        _away_from((0.25, -0.25), 1e-2),
    ),
    Case("silu", F.silu, TF.silu),
    Case("hardswish", F.hardswish, TF.hardswish, _away_from((-3.0, 3.0))),
    Case("gelu", F.gelu, TF.gelu),
    Case(
        "gelu_tanh",
        lambda x: F.gelu(x, approximate="tanh"),
        lambda x: TF.gelu(x, approximate="tanh"),
    ),
    Case("softmax_last", lambda x: F.softmax(x, -1), lambda x: TF.softmax(x, -1)),
    Case("softmax_first", lambda x: F.softmax(x, 0), lambda x: TF.softmax(x, 0)),
    Case("log_softmax_last", lambda x: F.log_softmax(x, -1), lambda x: TF.log_softmax(x, -1)),
    Case("log_softmax_first", lambda x: F.log_softmax(x, 0), lambda x: TF.log_softmax(x, 0)),
]


def _inputs(shape: tuple[int, ...], domain: Callable[[np.ndarray], np.ndarray], seed: int):
    rng = np.random.default_rng(seed)
    x = domain(rng.standard_normal(shape) * 3)
    upstream = rng.standard_normal(shape)
    return x, upstream


def _compare(case_ours, case_theirs, arrays, upstream_shape_seed=1):
    """Run both, compare values and the gradients of sum(output * upstream)."""
    ours_in = [cr.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours_out = case_ours(*ours_in)
    theirs_out = case_theirs(*theirs_in)
    np.testing.assert_allclose(
        ours_out.numpy(), theirs_out.detach().numpy(), rtol=1e-10, atol=1e-12
    )
    upstream = np.random.default_rng(upstream_shape_seed).standard_normal(theirs_out.shape)
    (ours_out * cr.tensor(upstream)).sum().backward()
    (theirs_out * torch.tensor(upstream)).sum().backward()
    for ours_x, theirs_x in zip(ours_in, theirs_in):
        np.testing.assert_allclose(
            ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-9, atol=1e-11
        )


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("case", ACTIVATION_CASES, ids=lambda c: c.name)
def test_activation_matches_torch(case: Case, shape: tuple[int, ...]) -> None:
    x, _ = _inputs(shape, case.domain, seed=len(shape))
    _compare(case.ours, case.theirs, [x])


ACTIVATION_MODULES = [
    (nn.Identity(), torch.nn.Identity()),
    (nn.Sigmoid(), torch.nn.Sigmoid()),
    (nn.Tanh(), torch.nn.Tanh()),
    (nn.ReLU(), torch.nn.ReLU()),
    (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
    (nn.ELU(alpha=0.5), torch.nn.ELU(alpha=0.5)),
    (nn.Softplus(beta=2.0, threshold=3.0), torch.nn.Softplus(beta=2.0, threshold=3.0)),
    (nn.SiLU(), torch.nn.SiLU()),
    (nn.Hardswish(), torch.nn.Hardswish()),
    (nn.GELU(), torch.nn.GELU()),
    (nn.GELU("tanh"), torch.nn.GELU("tanh")),
    (nn.Softmax(dim=0), torch.nn.Softmax(dim=0)),
    (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
]


@pytest.mark.parametrize(
    "ours, theirs", ACTIVATION_MODULES, ids=[repr(m) for m, _ in ACTIVATION_MODULES]
)
def test_activation_module_matches_torch(ours: nn.Module, theirs: Any) -> None:
    x = _away_from((0.0, 1.5, -3.0, 3.0))(np.linspace(-4, 4, 12).reshape(3, 4))
    _compare(ours, theirs, [x])
    assert repr(ours) == repr(theirs)


def test_prelu_matches_torch_and_learns_its_slope() -> None:
    rng = np.random.default_rng(0)
    x = _away_from((0.0,))(rng.standard_normal((6, 3, 4)))
    for num_parameters in (1, 3):
        ours = nn.PReLU(num_parameters, init=0.3).double()
        theirs = torch.nn.PReLU(num_parameters, init=0.3).double()
        xo = cr.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        upstream = rng.standard_normal(x.shape)
        out_o, out_t = ours(xo), theirs(xt)
        np.testing.assert_allclose(out_o.numpy(), out_t.detach().numpy(), rtol=1e-12)
        (out_o * cr.tensor(upstream)).sum().backward()
        (out_t * torch.tensor(upstream)).sum().backward()
        np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10)


def test_prelu_rejects_a_wrong_number_of_slopes() -> None:
    with pytest.raises(ValueError, match="3 slopes"):
        nn.PReLU(3)(cr.ones(2, 4))


def test_gelu_rejects_unknown_approximation() -> None:
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(cr.ones(2), approximate="fast")


def test_softmax_is_stable_for_huge_logits() -> None:
    x = cr.tensor([[1e4, 0.0, -1e4], [1000.0, 1000.0, 1000.0]], dtype=cr.float64)
    np.testing.assert_allclose(F.softmax(x, 1).numpy(), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(F.log_softmax(x, 1).numpy()[0], [0.0, -1e4, -2e4], rtol=1e-12)


# --------------------------------------------------------------------------------------
# erf and the new primitives: central differences
# --------------------------------------------------------------------------------------


def test_erf_matches_math_erf() -> None:
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 1e-300, -1e-10, 30.0, -40.0]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(ops.erf(x), expected, rtol=1e-15, atol=5e-16)
    assert ops.erf(np.array([np.inf, -np.inf])).tolist() == [1.0, -1.0]
    assert np.isnan(ops.erf(np.array([np.nan])))[0]
    assert ops.erf(np.ones(3, dtype=np.float32)).dtype == np.float32


def test_erf_matches_torch_with_gradient() -> None:
    x = np.random.default_rng(3).standard_normal((4, 5)) * 2
    _compare(lambda t: ops.Erf()(t), torch.erf, [x])


def _random_input(*shape: int, seed: int = 0, scale: float = 1.0) -> cr.Tensor:
    rng = np.random.default_rng(seed)
    return cr.tensor(rng.standard_normal(shape) * scale, requires_grad=True)


GRADCHECKS: list[tuple[str, Callable[..., cr.Tensor], list[cr.Tensor]]] = [
    ("erf", lambda x: ops.Erf()(x), [_random_input(3, 4, scale=1.5)]),
    ("softplus", lambda x: ops.Softplus()(x), [_random_input(3, 4, scale=3)]),
    ("softplus_beta", lambda x: ops.Softplus(2.0, 4.0)(x), [_random_input(3, 4, seed=5)]),
    ("softmax_rows", lambda x: ops.Softmax(1)(x), [_random_input(3, 4)]),
    ("softmax_cols", lambda x: ops.Softmax(0)(x), [_random_input(3, 4, 2)]),
    ("log_softmax", lambda x: ops.LogSoftmax(-1)(x), [_random_input(3, 4)]),
    ("log_softmax_0", lambda x: ops.LogSoftmax(0)(x), [_random_input(5)]),
    (
        "softmax_cross_entropy_mean",
        lambda x: ops.SoftmaxCrossEntropy("mean")(x, cr.tensor([0, 2, 1])),
        [_random_input(3, 4, scale=2)],
    ),
    (
        "softmax_cross_entropy_sum",
        lambda x: ops.SoftmaxCrossEntropy("sum")(x, cr.tensor([3, 3])),
        [_random_input(2, 4, seed=1)],
    ),
    (
        "softmax_cross_entropy_none",
        lambda x: ops.SoftmaxCrossEntropy("none")(x, cr.tensor([1, 0, 3])),
        [_random_input(3, 4, seed=2)],
    ),
    (
        "binary_cross_entropy",
        lambda x: ops.BinaryCrossEntropy()(x.sigmoid(), cr.tensor([0.0, 1.0, 0.3, 1.0])),
        [_random_input(4)],
    ),
    (
        "binary_cross_entropy_target",
        lambda t: ops.BinaryCrossEntropy()(cr.tensor([0.2, 0.9, 0.5], dtype=cr.float64), t),
        [_random_input(3)],
    ),
]


@pytest.mark.parametrize("fn, inputs", [c[1:] for c in GRADCHECKS], ids=[c[0] for c in GRADCHECKS])
def test_new_primitive_gradcheck(fn: Callable[..., cr.Tensor], inputs: list[cr.Tensor]) -> None:
    assert cr.gradcheck(fn, inputs)


# The loss is linear in the BCE target: its second derivative is zero, nothing to check.
SECOND_ORDER = [c for c in GRADCHECKS if c[0] != "binary_cross_entropy_target"]


@pytest.mark.parametrize(
    "fn, inputs", [c[1:] for c in SECOND_ORDER], ids=[c[0] for c in SECOND_ORDER]
)
def test_new_primitive_second_order(fn: Callable[..., cr.Tensor], inputs: list[cr.Tensor]) -> None:
    """The backward rules also work on Tensors: a gradient of the gradient is checked
    against central differences of the first gradient."""
    (x,) = inputs
    v = cr.tensor(np.random.default_rng(9).standard_normal(x.shape))

    def directional_gradient(t: cr.Tensor) -> cr.Tensor:
        (g,) = cr.autograd.grad(fn(t).sum(), t, create_graph=True)
        return (g * v).sum()

    assert cr.gradcheck(directional_gradient, [x], atol=1e-4)


def test_softmax_cross_entropy_gradient_is_softmax_minus_one_hot() -> None:
    """The course's result: d(cross-entropy)/d(logits) = f(x) - e(y), over N for the mean."""
    logits = _random_input(5, 4, scale=3)
    labels = np.array([0, 3, 1, 1, 2])
    F.cross_entropy(logits, cr.tensor(labels)).backward()
    expected = (F.softmax(logits.detach(), 1).numpy() - np.eye(4)[labels]) / 5
    np.testing.assert_allclose(logits.grad.numpy(), expected, rtol=1e-12, atol=1e-15)
    assert isinstance(F.cross_entropy(logits, cr.tensor(labels)).grad_fn, ops.SoftmaxCrossEntropy)


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    logits = cr.tensor([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0]], dtype=cr.float64, requires_grad=True)
    loss = F.cross_entropy(logits, cr.tensor([1, 1]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [1e4, 0.0])
    loss.sum().backward()
    assert np.isfinite(logits.grad.numpy()).all()
    np.testing.assert_allclose(logits.grad.numpy(), [[1, -1, 0], [0, 0, 0]], atol=1e-12)


# --------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LossCase:
    name: str
    ours: Callable[..., cr.Tensor]
    theirs: Callable[..., Any]
    make: Callable[[np.random.Generator], tuple[np.ndarray, Any]]  # (input, target)


def _regression(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((6, 3)) * 2
    return x, x + rng.standard_normal((6, 3)) * 1.5  # some |d| above and below 1


def _probabilities(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(0.05, 0.95, (5, 3)), rng.uniform(0, 1, (5, 3))


def _logits_and_binary(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.standard_normal((5, 3)) * 4, (rng.uniform(size=(5, 3)) > 0.5) * 1.0


def _labels(batch: tuple[int, ...], classes: int = 4, spatial: tuple[int, ...] = ()):
    """Logits (*batch, C, *spatial) and integer labels (*batch, *spatial)."""

    def make(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal(batch + (classes,) + spatial) * 3
        return x, rng.integers(0, classes, size=batch + spatial)

    return make


def _soft_labels(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal((5, 4)) * 2
    p = rng.uniform(size=(5, 4))
    return x, p / p.sum(1, keepdims=True)


def _with_ignored(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x, y = _labels((6,))(rng)
    y[[1, 4]] = -100
    return x, y


def _log_probabilities(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x, y = _labels((6,))(rng)
    return x - np.log(np.exp(x).sum(1, keepdims=True)), y


CLASS_WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])
ELEMENT_WEIGHT = np.array([1.0, 0.5, 2.0])


def _t(a: Any) -> Any:
    return torch.tensor(a)


LOSS_CASES = [
    LossCase("mse", F.mse_loss, TF.mse_loss, _regression),
    LossCase("l1", F.l1_loss, TF.l1_loss, _regression),
    LossCase("huber", F.huber_loss, TF.huber_loss, _regression),
    LossCase(
        "huber_delta",
        lambda x, y, reduction: F.huber_loss(x, y, reduction=reduction, delta=0.5),
        lambda x, y, reduction: TF.huber_loss(x, y, reduction=reduction, delta=0.5),
        _regression,
    ),
    LossCase("smooth_l1", F.smooth_l1_loss, TF.smooth_l1_loss, _regression),
    LossCase("bce", F.binary_cross_entropy, TF.binary_cross_entropy, _probabilities),
    LossCase(
        "bce_weight",
        lambda x, y, reduction: F.binary_cross_entropy(
            x, y, weight=ELEMENT_WEIGHT, reduction=reduction
        ),
        lambda x, y, reduction: TF.binary_cross_entropy(
            x, y, weight=_t(ELEMENT_WEIGHT), reduction=reduction
        ),
        _probabilities,
    ),
    LossCase(
        "bce_logits",
        F.binary_cross_entropy_with_logits,
        TF.binary_cross_entropy_with_logits,
        _logits_and_binary,
    ),
    LossCase(
        "bce_logits_pos_weight",
        lambda x, y, reduction: F.binary_cross_entropy_with_logits(
            x, y, weight=ELEMENT_WEIGHT, reduction=reduction, pos_weight=cr.tensor([1.0, 3.0, 0.5])
        ),
        lambda x, y, reduction: TF.binary_cross_entropy_with_logits(
            x, y, weight=_t(ELEMENT_WEIGHT), reduction=reduction, pos_weight=_t([1.0, 3.0, 0.5])
        ),
        _logits_and_binary,
    ),
    LossCase("cross_entropy", F.cross_entropy, TF.cross_entropy, _labels((6,))),
    LossCase("cross_entropy_1d", F.cross_entropy, TF.cross_entropy, _labels(())),
    LossCase("cross_entropy_spatial", F.cross_entropy, TF.cross_entropy, _labels((2,), 3, (4,))),
    LossCase(
        "cross_entropy_weight",
        lambda x, y, reduction: F.cross_entropy(x, y, weight=CLASS_WEIGHT, reduction=reduction),
        lambda x, y, reduction: TF.cross_entropy(
            x, y, weight=_t(CLASS_WEIGHT), reduction=reduction
        ),
        _labels((6,)),
    ),
    LossCase(
        "cross_entropy_smoothing",
        lambda x, y, reduction: F.cross_entropy(x, y, reduction=reduction, label_smoothing=0.2),
        lambda x, y, reduction: TF.cross_entropy(x, y, reduction=reduction, label_smoothing=0.2),
        _labels((6,)),
    ),
    LossCase(
        "cross_entropy_weight_smoothing_ignore",
        lambda x, y, reduction: F.cross_entropy(
            x, y, weight=CLASS_WEIGHT, reduction=reduction, label_smoothing=0.1
        ),
        lambda x, y, reduction: TF.cross_entropy(
            x, y, weight=_t(CLASS_WEIGHT), reduction=reduction, label_smoothing=0.1
        ),
        _with_ignored,
    ),
    LossCase("cross_entropy_ignore", F.cross_entropy, TF.cross_entropy, _with_ignored),
    LossCase(
        "cross_entropy_ignore_a_class",
        lambda x, y, reduction: F.cross_entropy(x, y, ignore_index=2, reduction=reduction),
        lambda x, y, reduction: TF.cross_entropy(x, y, ignore_index=2, reduction=reduction),
        _labels((8,)),
    ),
    LossCase("cross_entropy_probabilities", F.cross_entropy, TF.cross_entropy, _soft_labels),
    LossCase(
        "cross_entropy_probabilities_weight_smoothing",
        lambda x, y, reduction: F.cross_entropy(
            x, y, weight=CLASS_WEIGHT, reduction=reduction, label_smoothing=0.3
        ),
        lambda x, y, reduction: TF.cross_entropy(
            x, y, weight=_t(CLASS_WEIGHT), reduction=reduction, label_smoothing=0.3
        ),
        _soft_labels,
    ),
    LossCase("nll", F.nll_loss, TF.nll_loss, _log_probabilities),
    LossCase(
        "nll_weight_ignore",
        lambda x, y, reduction: F.nll_loss(x, y, weight=CLASS_WEIGHT, reduction=reduction),
        lambda x, y, reduction: TF.nll_loss(x, y, weight=_t(CLASS_WEIGHT), reduction=reduction),
        _with_ignored,
    ),
    LossCase("multi_margin", F.multi_margin_loss, TF.multi_margin_loss, _labels((6,))),
    LossCase(
        "multi_margin_p2_weight",
        lambda x, y, reduction: F.multi_margin_loss(
            x, y, p=2, margin=0.7, weight=CLASS_WEIGHT, reduction=reduction
        ),
        lambda x, y, reduction: TF.multi_margin_loss(
            x, y, p=2, margin=0.7, weight=_t(CLASS_WEIGHT), reduction=reduction
        ),
        _labels((6,)),
    ),
    LossCase("multi_margin_1d", F.multi_margin_loss, TF.multi_margin_loss, _labels(())),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", LOSS_CASES, ids=lambda c: c.name)
def test_loss_matches_torch(case: LossCase, reduction: str) -> None:
    x, y = case.make(np.random.default_rng(len(case.name)))
    ours_y = cr.tensor(y)
    _compare(
        lambda xo: case.ours(xo, ours_y, reduction=reduction),
        lambda xt: case.theirs(xt, torch.tensor(y), reduction=reduction),
        [x],
    )


ELEMENTWISE_LOSSES = {
    "mse": (F.mse_loss, TF.mse_loss, lambda x, rng: x + rng.standard_normal(x.shape)),
    "l1": (F.l1_loss, TF.l1_loss, lambda x, rng: x + rng.standard_normal(x.shape)),
    "huber": (F.huber_loss, TF.huber_loss, lambda x, rng: x + rng.standard_normal(x.shape)),
    "smooth_l1": (
        F.smooth_l1_loss,
        TF.smooth_l1_loss,
        lambda x, rng: x + rng.standard_normal(x.shape),
    ),
    "bce_with_logits": (
        F.binary_cross_entropy_with_logits,
        TF.binary_cross_entropy_with_logits,
        lambda x, rng: rng.uniform(size=x.shape),
    ),
}


@pytest.mark.parametrize("shape", SHAPES + [()], ids=str)
@pytest.mark.parametrize("name", ELEMENTWISE_LOSSES)
def test_elementwise_losses_over_shapes(name: str, shape: tuple[int, ...]) -> None:
    ours, theirs, make_target = ELEMENTWISE_LOSSES[name]
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape) * 2
    y = make_target(x, rng)
    _compare(lambda a: ours(a, cr.tensor(y)), lambda a: theirs(a, torch.tensor(y)), [x])


LOSS_MODULES = [
    (nn.MSELoss(), torch.nn.MSELoss(), _regression),
    (nn.MSELoss(reduction="sum"), torch.nn.MSELoss(reduction="sum"), _regression),
    (nn.L1Loss(), torch.nn.L1Loss(), _regression),
    (nn.HuberLoss(delta=2.0), torch.nn.HuberLoss(delta=2.0), _regression),
    (nn.SmoothL1Loss(beta=0.5), torch.nn.SmoothL1Loss(beta=0.5), _regression),
    (nn.BCELoss(), torch.nn.BCELoss(), _probabilities),
    (
        nn.BCEWithLogitsLoss(pos_weight=[2.0, 1.0, 1.0]),
        torch.nn.BCEWithLogitsLoss(pos_weight=_t([2.0, 1.0, 1.0])),
        _logits_and_binary,
    ),
    (
        nn.CrossEntropyLoss(CLASS_WEIGHT, label_smoothing=0.1),
        torch.nn.CrossEntropyLoss(_t(CLASS_WEIGHT), label_smoothing=0.1),
        _labels((6,)),
    ),
    (nn.NLLLoss(reduction="none"), torch.nn.NLLLoss(reduction="none"), _log_probabilities),
    (nn.MultiMarginLoss(margin=2.0), torch.nn.MultiMarginLoss(margin=2.0), _labels((6,))),
]


@pytest.mark.parametrize("ours, theirs, make", LOSS_MODULES, ids=[repr(c[0]) for c in LOSS_MODULES])
def test_loss_module_matches_torch(ours: nn.Module, theirs: Any, make: Callable) -> None:
    x, y = make(np.random.default_rng(0))
    value = ours(cr.tensor(x), cr.tensor(y))
    np.testing.assert_allclose(value.numpy(), theirs(_t(x), _t(y)).numpy(), rtol=1e-10)


def test_bce_gradient_with_respect_to_the_target_matches_torch() -> None:
    x, y = _probabilities(np.random.default_rng(2))
    _compare(
        lambda t: F.binary_cross_entropy(cr.tensor(x), t),
        lambda t: TF.binary_cross_entropy(torch.tensor(x), t),
        [y],
    )


def test_mse_half_is_the_course_convention() -> None:
    x = cr.tensor([1.0, 3.0], dtype=cr.float64, requires_grad=True)
    y = cr.tensor([0.0, 1.0], dtype=cr.float64)
    loss = nn.MSELoss(reduction="sum", half=True)(x, y)  # (1 + 4) / 2
    assert loss.item() == 2.5
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 2.0])  # simply x - y
    assert F.mse_loss(x, y, half=True).item() == 1.25


def test_the_course_squared_error_example() -> None:
    """loss = (x w - y)^2 at x = 1, y = 2, w = 1 gives dloss/dw = -2."""
    w = cr.tensor([[1.0]], requires_grad=True)
    loss = F.mse_loss(F.linear(cr.tensor([[1.0]]), w), cr.tensor([[2.0]]))
    loss.backward()
    assert w.grad.item() == -2.0


def test_loss_errors_name_the_problem() -> None:
    x = cr.randn(4, 1)
    with pytest.raises(ValueError, match=r"target shape \(4,\) differs from input shape \(4, 1\)"):
        F.mse_loss(x, cr.randn(4))
    with pytest.raises(ValueError, match="reduction 'avg' is not valid"):
        nn.L1Loss(reduction="avg")
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(cr.tensor([1.5]), cr.tensor([1.0]))
    with pytest.raises(ValueError, match="class label 7 is out of range for 3 classes"):
        F.cross_entropy(cr.randn(2, 3), cr.tensor([0, 7]))
    with pytest.raises(ValueError, match="class label -1 is out of range"):
        F.cross_entropy(cr.randn(2, 3), cr.tensor([0, -1]))
    with pytest.raises(TypeError, match="class labels must be integers"):
        F.nll_loss(cr.randn(2, 3), cr.tensor([0.0, 1.0, 0.0]))
    with pytest.raises(ValueError, match=r"needs class labels of shape \(2,\)"):
        F.cross_entropy(cr.randn(2, 3), cr.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"float target holds class probabilities.*\(2, 3\)"):
        F.cross_entropy(cr.randn(2, 3), cr.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="label_smoothing"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="p = 1 or 2"):
        nn.MultiMarginLoss(p=3)


def test_name_tables() -> None:
    assert type(nn.get_activation("ReLU")) is nn.ReLU
    assert type(nn.get_activation("linear")) is nn.Identity
    assert type(nn.get_activation("swish")) is nn.SiLU
    assert nn.get_activation("leaky_relu", negative_slope=0.2).negative_slope == 0.2
    for name in ("relu", "tanh", "sigmoid", "linear", "identity", "leaky_relu", "elu",
                 "softplus", "silu", "swish", "hardswish", "gelu", "prelu"):  # fmt: skip
        assert isinstance(nn.get_activation(name), nn.Module)
    with pytest.raises(ValueError, match="unknown activation 'relu6'; choose one of: elu, gelu"):
        nn.get_activation("relu6")
    assert type(nn.get_loss("cross_entropy")) is nn.CrossEntropyLoss
    assert type(nn.get_loss("hinge")) is nn.MultiMarginLoss
    with pytest.raises(ValueError, match="unknown loss 'kl'"):
        nn.get_loss("kl")
    for name, cls in nn.LOSSES.items():
        assert isinstance(nn.get_loss(name), cls)


def test_one_hot() -> None:
    assert F.one_hot(cr.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert F.one_hot(np.array([[1], [0]])).shape == (2, 1, 2)
    with pytest.raises(ValueError, match=r"in \[0, 2\)"):
        F.one_hot(cr.tensor([2]), 2)


# --------------------------------------------------------------------------------------
# chainrule.compile: losses and dropout read each call's new labels and draw new masks
# --------------------------------------------------------------------------------------

COMPILED_LOSSES = {
    "cross_entropy": lambda out, y: F.cross_entropy(out, y),
    "cross_entropy_weight_smoothing": lambda out, y: F.cross_entropy(
        out, y, weight=CLASS_WEIGHT, label_smoothing=0.1
    ),
    "nll": lambda out, y: F.nll_loss(F.log_softmax(out, 1), y, weight=CLASS_WEIGHT),
    "multi_margin": lambda out, y: F.multi_margin_loss(out, y, weight=CLASS_WEIGHT),
    "one_hot_mse": lambda out, y: F.mse_loss(out, F.one_hot(y, 4)),  # int target, cast
}


@pytest.mark.parametrize("name", COMPILED_LOSSES)
def test_compiled_loss_reads_each_batchs_labels(name: str) -> None:
    loss_fn = COMPILED_LOSSES[name]
    cr.manual_seed(0)
    model = nn.Linear(3, 4).double()
    compiled = cr.compile(lambda x, y: loss_fn(model(x), y))
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to eager execution would warn
        for _ in range(4):
            x = cr.tensor(rng.standard_normal((6, 3)))
            y = cr.tensor(rng.integers(0, 4, 6))
            expected = loss_fn(model(x), y)
            expected.backward()
            expected_grad = model.weight.grad.numpy().copy()
            model.zero_grad()
            got = compiled(x, y)
            got.backward()
            np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)
            np.testing.assert_allclose(model.weight.grad.numpy(), expected_grad, rtol=1e-10)
            model.zero_grad()


def test_compiled_binary_losses_read_each_batchs_targets() -> None:
    model = nn.Linear(3, 1).double()
    losses = {
        "bce": (lambda out, y: F.binary_cross_entropy(out.sigmoid(), y), np.float64),
        "bce_logits": (F.binary_cross_entropy_with_logits, np.float64),
        "mse_float32_target": (F.mse_loss, np.float32),  # cast to the output's dtype
    }
    rng = np.random.default_rng(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, (loss_fn, dtype) in losses.items():
            compiled = cr.compile(lambda x, y, loss_fn=loss_fn: loss_fn(model(x), y))
            for _ in range(3):
                x = cr.tensor(rng.standard_normal((5, 3)))
                y = cr.tensor(((rng.uniform(size=(5, 1)) > 0.5) * 1.0).astype(dtype))
                got, expected = compiled(x, y).item(), loss_fn(model(x), y).item()
                assert got == pytest.approx(expected, rel=1e-6), name


def test_compiled_dropout_draws_a_new_mask_each_call() -> None:
    compiled = cr.compile(lambda x: F.dropout(x, 0.5) * 1.0)
    x = cr.ones(50, 40, dtype=cr.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        masks = [compiled(x).numpy().copy() for _ in range(4)]
    for first, second in zip(masks, masks[1:]):
        assert (first != second).any()
    assert all(set(np.unique(mask)) <= {0.0, 2.0} for mask in masks)
    cr.manual_seed(3)
    replayed = compiled(x)
    replayed.sum().backward()
    cr.manual_seed(3)
    np.testing.assert_array_equal(replayed.numpy(), F.dropout(x, 0.5).numpy())
    np.testing.assert_array_equal(x.grad.numpy(), replayed.numpy())
