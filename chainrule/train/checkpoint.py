"""Training checkpoints: model weights, optimizer state and the epoch, in one safetensors file.

A checkpoint is an ordinary safetensors file (see ``chainrule.serialization``):

* the model's ``state_dict`` under its own names (``0.weight``, ``0.bias``, ...), so
  the file still loads into the same PyTorch model;
* every array of the optimizer's (and scheduler's) ``state_dict`` as a tensor named by
  its path with ``/`` separators, e.g. ``optimizer/state/0/momentum_buffer``
  (``/`` never occurs in a module's parameter names, so the two cannot collide);
* in the header's text metadata: ``chainrule.format``, ``chainrule.epoch``, and the
  rest of the optimizer's state (``param_groups``: learning rate, momentum, ...) as JSON
  in ``chainrule.optimizer``, where each array stands as ``{"__tensor__": name}``.

Nothing is pickled. To load a checkpoint's weights into PyTorch::

    from safetensors.torch import load_file
    weights = {k: v for k, v in load_file(path).items() if "/" not in k}
    torch_model.load_state_dict(weights)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chainrule._tensor import Tensor
from chainrule.serialization import CheckpointError, read_safetensors, save

__all__ = ["save_checkpoint", "load_checkpoint", "Checkpoint", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = "chainrule.checkpoint/1"

# Metadata keys this module writes; user metadata may not use them.
_FORMAT_KEY = "chainrule.format"
_EPOCH_KEY = "chainrule.epoch"
# part name -> metadata key holding that state dict's JSON
_PARTS = {"optimizer": "chainrule.optimizer", "scheduler": "chainrule.scheduler"}
_RESERVED = {_FORMAT_KEY, _EPOCH_KEY, *_PARTS.values()}


@dataclass
class Checkpoint:
    """What ``load_checkpoint`` read from a file.

    Attributes:
        model_state: the model's state dict (name -> Tensor).
        optimizer_state: the optimizer's state dict in PyTorch's layout, or None.
        scheduler_state: the learning-rate scheduler's state dict, or None.
        epoch: the number of epochs completed when it was saved, or None.
        metadata: the user's text metadata.
    """

    model_state: dict[str, Tensor]
    optimizer_state: dict[str, Any] | None = None
    scheduler_state: dict[str, Any] | None = None
    epoch: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def save_checkpoint(
    path: str | os.PathLike[str],
    model: Any,
    optimizer: Any = None,
    epoch: int | None = None,
    metadata: Mapping[str, str] | None = None,
    scheduler: Any = None,
) -> None:
    """Write the model's weights, and optionally the optimizer's state, to ``path`` atomically.

    Args:
        path: the file to write (``.safetensors``).
        model: anything with ``state_dict()`` (or a state dict itself).
        optimizer: anything with ``state_dict()`` in ``torch.optim``'s layout, or None.
        epoch: the number of epochs completed, to resume from.
        metadata: extra text -> text pairs for the header (keys starting with
            ``chainrule.`` that this module uses are reserved).
        scheduler: a learning-rate scheduler with ``state_dict()``, or None.

    Example::

        >>> save_checkpoint("run.safetensors", model, optimizer, epoch=10)
        >>> ckpt = load_checkpoint("run.safetensors", model, optimizer)
        >>> ckpt.epoch
        10
    """
    model_state = model if isinstance(model, Mapping) else model.state_dict()
    tensors: dict[str, Any] = {}
    for name, value in model_state.items():
        if "/" in name:
            raise ValueError(f"model state names may not contain '/', got {name!r}")
        tensors[name] = value
    header: dict[str, str] = {_FORMAT_KEY: CHECKPOINT_FORMAT}
    for key, value in (metadata or {}).items():
        if key in _RESERVED:
            raise ValueError(f"metadata key {key!r} is reserved for the checkpoint format")
        header[key] = value
    if epoch is not None:
        header[_EPOCH_KEY] = str(int(epoch))
    for part, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is not None:
            encoded = _encode(obj.state_dict(), part, tensors)
            header[_PARTS[part]] = json.dumps(encoded, allow_nan=True)
    save(tensors, path, metadata=header)


def load_checkpoint(
    path: str | os.PathLike[str],
    model: Any = None,
    optimizer: Any = None,
    scheduler: Any = None,
    strict: bool = True,
) -> Checkpoint:
    """Read a checkpoint; load it into ``model``, ``optimizer`` and ``scheduler`` if given.

    Reads plain weight files too (``chainrule.serialization.save`` or
    ``safetensors.torch.save_file``): then only ``model_state`` is set.

    Args:
        path: the file.
        model: a module to ``load_state_dict`` the weights into (``strict`` passed on).
        optimizer: an optimizer to restore; an error if the file has no optimizer state.
        scheduler: a scheduler to restore; an error if the file has no scheduler state.

    Raises:
        FileNotFoundError, CheckpointError: a missing, truncated or foreign file.

    Example::

        >>> ckpt = load_checkpoint("run.safetensors", model, optimizer)
        >>> fit(model, loss, optimizer, (X, y), epochs=20, initial_epoch=ckpt.epoch)
    """
    arrays, header = read_safetensors(path)
    model_state = {name: Tensor(array) for name, array in arrays.items() if "/" not in name}
    states: dict[str, Any] = {}
    for part, key in _PARTS.items():
        if key in header:
            try:
                encoded = json.loads(header[key])
                states[part] = _decode(encoded, arrays)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                raise CheckpointError(
                    f"{os.fspath(path)!r}: the saved {part} state is damaged ({error})"
                ) from None
    epoch = int(header[_EPOCH_KEY]) if _EPOCH_KEY in header else None
    user = {k: v for k, v in header.items() if k not in _RESERVED}
    checkpoint = Checkpoint(
        model_state, states.get("optimizer"), states.get("scheduler"), epoch, user
    )
    if model is not None:
        model.load_state_dict(model_state, strict=strict)
    for part, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is None:
            continue
        if part not in states:
            raise ValueError(f"{os.fspath(path)!r} holds no {part} state (saved without one?)")
        obj.load_state_dict(states[part])
    return checkpoint


# ---------------------------------------------------------------------------------
# A nested state dict <-> JSON text + named arrays
# ---------------------------------------------------------------------------------


def _encode(value: Any, path: str, tensors: dict[str, Any]) -> Any:
    """JSON-able form of ``value``; arrays go to ``tensors`` under ``path``."""
    if isinstance(value, (Tensor, np.ndarray)):
        tensors[path] = value
        return {"__tensor__": path}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        if all(isinstance(k, str) for k in value):
            return {k: _encode(v, f"{path}/{k}", tensors) for k, v in value.items()}
        # int keys (parameter indices): a list of pairs keeps their type
        return {"__items__": [[k, _encode(v, f"{path}/{k}", tensors)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, f"{path}/{i}", tensors) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{path}/{i}", tensors) for i, v in enumerate(value)]
    raise TypeError(
        f"cannot store {path!r} of type {type(value).__name__} in a checkpoint; state dicts "
        "may hold arrays, numbers, strings, None, lists, tuples and dicts"
    )


def _decode(value: Any, arrays: Mapping[str, np.ndarray]) -> Any:
    """The inverse of ``_encode``: arrays come back as NumPy arrays."""
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tensor__" in value:
        return arrays[value["__tensor__"]]
    if "__tuple__" in value:
        return tuple(_decode(v, arrays) for v in value["__tuple__"])
    if "__items__" in value:
        return {k: _decode(v, arrays) for k, v in value["__items__"]}
    return {k: _decode(v, arrays) for k, v in value.items()}
