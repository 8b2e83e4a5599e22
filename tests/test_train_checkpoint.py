"""save_checkpoint / load_checkpoint: weights + optimizer state, resuming exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.serialization import CheckpointError, load_metadata, save
from chainrule.train import fit, load_checkpoint, save_checkpoint


def _data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(48, 3)).astype(np.float32), rng.integers(0, 3, size=48)


def _net() -> nn.Sequential:
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 3))


OPTIMIZERS = {
    "sgd_momentum": lambda params: optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda params: optim.Adam(params, lr=0.01, betas=(0.8, 0.99)),
    "rmsprop": lambda params: optim.RMSprop(params, lr=0.01, momentum=0.5, centered=True),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_resuming_from_a_checkpoint_continues_exactly(tmp_path, name):
    X, y = _data()
    loss = nn.CrossEntropyLoss()
    straight = _net()
    opt = OPTIMIZERS[name](straight.parameters())
    fit(straight, loss, opt, (X, y), epochs=4, batch_size=16, shuffle=False, verbose=0)

    first = _net()
    opt = OPTIMIZERS[name](first.parameters())
    fit(first, loss, opt, (X, y), epochs=2, batch_size=16, shuffle=False, verbose=0)
    path = tmp_path / "run.safetensors"
    save_checkpoint(path, first, opt, epoch=2, metadata={"run": "a"})

    resumed = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 3))
    opt2 = OPTIMIZERS[name](resumed.parameters())
    opt2.param_groups[0]["lr"] = 123.0  # replaced by the saved value
    ckpt = load_checkpoint(path, resumed, opt2)
    assert ckpt.epoch == 2 and ckpt.metadata == {"run": "a"}
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    fit(
        resumed,
        loss,
        opt2,
        (X, y),
        epochs=4,
        batch_size=16,
        shuffle=False,
        verbose=0,
        initial_epoch=ckpt.epoch,
    )
    for a, b in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_checkpoint_layout_is_plain_safetensors_that_pytorch_reads(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    model = _net()
    opt = optim.Adam(model.parameters(), lr=0.01)
    X, y = _data()
    fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=1, verbose=0)
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, model, opt, epoch=1)

    header = load_metadata(path)
    assert header["chainrule.format"] == "chainrule.checkpoint/1"
    groups = json.loads(header["chainrule.optimizer"])["param_groups"]
    assert groups[0]["lr"] == 0.01 and groups[0]["betas"] == {"__tuple__": [0.9, 0.999]}

    tensors = safetensors_torch.load_file(str(path))
    assert "optimizer/state/0/exp_avg" in tensors
    weights = {k: v for k, v in tensors.items() if "/" not in k}
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))
    torch_model.load_state_dict(weights)
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(model(cr.tensor(X)).numpy(), theirs, rtol=1e-5, atol=1e-6)

    # The saved Adam state also restores a PyTorch Adam (same layout).
    state = load_checkpoint(path).optimizer_state
    assert state is not None
    torch_opt = torch.optim.Adam(torch_model.parameters(), lr=0.5)
    torch_opt.load_state_dict(
        {
            "state": {
                i: {k: torch.as_tensor(v) for k, v in s.items()} for i, s in state["state"].items()
            },
            "param_groups": state["param_groups"],
        }
    )
    assert torch_opt.param_groups[0]["lr"] == 0.01


def test_plain_weight_files_load_as_checkpoints_and_errors_are_clear(tmp_path):
    model = _net()
    path = tmp_path / "weights.safetensors"
    save(model.state_dict(), path)
    ckpt = load_checkpoint(path, _net())
    assert ckpt.epoch is None and ckpt.optimizer_state is None
    with pytest.raises(ValueError, match="no optimizer state"):
        load_checkpoint(path, _net(), optim.SGD(_net().parameters(), lr=0.1))
    with pytest.raises(ValueError, match="reserved"):
        save_checkpoint(path, model, metadata={"chainrule.epoch": "3"})
    bad = tmp_path / "cut.safetensors"
    bad.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(CheckpointError, match="cut.safetensors.*truncated"):
        load_checkpoint(bad)
    with pytest.raises(RuntimeError):  # the weights do not fit this model
        load_checkpoint(path, nn.Sequential(nn.Linear(3, 2)))
