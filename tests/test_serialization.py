"""chainrule.serialization: safetensors files, atomic writes, clear errors, PyTorch interop."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.serialization import CheckpointError, load, load_metadata, save


def _model(dtype: object = cr.float64) -> nn.Sequential:
    cr.manual_seed(0)
    return nn.Sequential(
        nn.Linear(3, 5, dtype=dtype),
        nn.Tanh(),
        nn.Linear(5, 4, dtype=dtype),
        nn.ReLU(),
        nn.Linear(4, 2, dtype=dtype),
    )


def test_round_trip_keeps_names_dtypes_shapes_values_and_metadata(tmp_path):
    tensors = {
        "w": cr.randn(2, 3),
        "w64": cr.tensor(np.arange(6.0).reshape(3, 2)),
        "count": cr.tensor(np.array(7, dtype=np.int64)),
        "mask": cr.tensor(np.array([True, False])),
        "array": np.arange(4, dtype=np.int32),
        "strided": np.arange(12.0).reshape(3, 4)[:, ::2],  # not contiguous
    }
    path = tmp_path / "t.safetensors"
    save(tensors, path, metadata={"note": "hello", "epoch": "3"})
    loaded = load(path)
    assert set(loaded) == set(tensors)
    for name, value in tensors.items():
        expected = np.asarray(value)
        assert isinstance(loaded[name], cr.Tensor)
        assert loaded[name].dtype == expected.dtype
        np.testing.assert_array_equal(loaded[name].numpy(), expected)
        assert loaded[name].numpy().flags.writeable
        assert not loaded[name].requires_grad
    assert load_metadata(path) == {"note": "hello", "epoch": "3"}


def test_state_dict_round_trip_reloads_into_a_fresh_model(tmp_path):
    model = _model()
    save(model.state_dict(), tmp_path / "m.safetensors")
    other = nn.Sequential(
        nn.Linear(3, 5, dtype=cr.float64),
        nn.Tanh(),
        nn.Linear(5, 4, dtype=cr.float64),
        nn.ReLU(),
        nn.Linear(4, 2, dtype=cr.float64),
    )
    other.load_state_dict(load(tmp_path / "m.safetensors"))
    x = cr.tensor(np.random.default_rng(0).normal(size=(6, 3)))
    np.testing.assert_array_equal(model(x).numpy(), other(x).numpy())


def test_weights_move_to_pytorch_and_back_with_identical_outputs(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    model = _model()
    first = tmp_path / "chainrule.safetensors"
    save(model.state_dict(), first)

    # chainrule -> safetensors -> PyTorch
    torch_model = torch.nn.Sequential(
        torch.nn.Linear(3, 5),
        torch.nn.Tanh(),
        torch.nn.Linear(5, 4),
        torch.nn.ReLU(),
        torch.nn.Linear(4, 2),
    ).double()
    torch_model.load_state_dict(safetensors_torch.load_file(str(first)))
    x = np.random.default_rng(1).normal(size=(8, 3))
    ours = model(cr.tensor(x)).numpy()
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)

    # PyTorch -> safetensors -> chainrule
    second = tmp_path / "torch.safetensors"
    safetensors_torch.save_file(torch_model.state_dict(), str(second))
    back = _model()
    for p in back.parameters():
        p.data[...] = 0.0
    back.load_state_dict(load(second))
    np.testing.assert_array_equal(back(cr.tensor(x)).numpy(), ours)


def test_save_is_atomic_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "m.safetensors"
    save({"a": cr.ones(3)}, path)
    save({"a": cr.zeros(3)}, path)  # replaces the file
    assert os.listdir(tmp_path) == ["m.safetensors"]
    np.testing.assert_array_equal(load(path)["a"].numpy(), np.zeros(3, np.float32))


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(
    tmp_path, monkeypatch, failing
):
    path = tmp_path / "m.safetensors"
    save({"a": cr.ones(3)}, path, metadata={"version": "old"})
    before = path.read_bytes()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, failing, broken)
    with pytest.raises(OSError, match="simulated"):
        save({"a": cr.zeros(3)}, path, metadata={"version": "new"})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.safetensors"]
    assert load_metadata(path) == {"version": "old"}


def test_new_files_get_the_usual_permissions_and_replaced_files_keep_theirs(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    path = tmp_path / "m.safetensors"
    save({"a": cr.ones(1)}, path)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    os.chmod(path, 0o640)
    save({"a": cr.zeros(1)}, path)
    assert os.stat(path).st_mode & 0o777 == 0o640


def _corrupt(tmp_path, payload: bytes):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(payload)
    return path


def test_empty_truncated_and_foreign_files_give_errors_naming_the_file(tmp_path):
    good = tmp_path / "good.safetensors"
    save({"weight": cr.randn(10, 10)}, good)
    data = good.read_bytes()
    cases = {
        b"": "empty",
        b"abc": "too short",
        data[:-7]: "truncated",
        data[:40]: "truncated",
        pickle.dumps({"weight": [1.0, 2.0]}): "pickle",
        b"PK\x03\x04" + b"\x00" * 100: "zip",
        b"hello, this is a text file and not a model\n" * 3: "not a safetensors file",
    }
    for payload, words in cases.items():
        path = _corrupt(tmp_path, payload)
        with pytest.raises(CheckpointError, match=words) as info:
            load(path)
        assert "bad.safetensors" in str(info.value)
        with pytest.raises(CheckpointError):
            load_metadata(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere"):
        load(tmp_path / "nothere.safetensors")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save({"a": cr.ones(1)}, tmp_path / "no" / "dir" / "m.safetensors")


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="state_dict"):
        save(_model(), "x.safetensors")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'a'"):
        save({"a": [1.0, 2.0]}, "x.safetensors")
    with pytest.raises(TypeError, match="strings"):
        save({1: cr.ones(1)}, "x.safetensors")  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="json.dumps"):
        save({"a": cr.ones(1)}, "x.safetensors", metadata={"epoch": 3})  # type: ignore[dict-item]
