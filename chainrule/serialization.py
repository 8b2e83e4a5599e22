"""Model files: tensors by name in the safetensors format, written atomically, never pickled.

A safetensors file is three parts, one after the other:

1. 8 bytes: ``N``, the length of the header, a little-endian unsigned 64-bit integer;
2. ``N`` bytes of JSON: for each tensor its ``dtype``, ``shape`` and
   ``data_offsets`` (start and end in the data part), and an optional
   ``"__metadata__"`` object of text keys and text values;
3. the raw little-endian bytes of every tensor.

Nothing in it is code, so loading a file cannot run anything (a pickle can). The same
file loads into PyTorch::

    >>> import chainrule.serialization as cs
    >>> cs.save(model.state_dict(), "model.safetensors", metadata={"note": "2-8-1 tanh"})
    >>> state = cs.load("model.safetensors")         # dict of chainrule Tensors
    >>> model.load_state_dict(state)

    >>> from safetensors.torch import load_file      # and in PyTorch
    >>> torch_model.load_state_dict(load_file("model.safetensors"))

``save`` writes the bytes to a temporary file in the same directory, flushes them to
disk (``fsync``) and renames it over the target (``os.replace``, atomic on POSIX and
Windows): a crash or a failed write leaves either the old file or the new one, never
half of one. ``load`` checks the file's structure first, so an empty, truncated or
foreign file (a ``torch.save`` pickle, a text file) gives a ``CheckpointError`` that
names the file and says what is wrong, not a deep decoder message.

This module needs the ``safetensors`` package (``pip install 'chainrule[train]'``).
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import tempfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from chainrule._tensor import Tensor

__all__ = ["save", "load", "load_metadata", "CheckpointError", "atomic_write_bytes"]

PathLike = str | os.PathLike[str]

# The header may be at most this long (safetensors' own limit is 100 MB).
_MAX_HEADER_BYTES = 100_000_000

# The first bytes of files that people mistake for model files, and what they are.
_FOREIGN_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a zip archive (PyTorch's torch.save writes these)"),
    (b"\x80", "a Python pickle (torch.save or pickle.dump)"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"\x89HDF", "an HDF5 file (Keras .h5)"),
)


class CheckpointError(ValueError):
    """A file that is not a complete safetensors file (empty, truncated or foreign)."""


# ---------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------


def save(
    tensors: Mapping[str, Any],
    path: PathLike,
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write named tensors (a ``state_dict``) to ``path`` in the safetensors format.

    The write is atomic: the bytes go to a temporary file beside ``path``, are flushed
    to disk, and the temporary file is renamed over ``path``. If anything fails, an
    existing file at ``path`` is left as it was and no temporary file remains.

    Args:
        tensors: name -> ``Tensor`` or NumPy array (e.g. ``model.state_dict()``).
            Dtypes keep their width (float32 stays float32). Gradients are not saved.
        path: where to write; by convention ending in ``.safetensors``.
        metadata: optional text -> text pairs stored in the file's header
            (safetensors allows only strings; encode other values with ``json.dumps``).

    Raises:
        TypeError: a name is not a string, a value is not a tensor or array, or
            metadata is not text -> text.

    Example::

        >>> import chainrule as cr
        >>> from chainrule.serialization import save, load
        >>> save({"weight": cr.ones(2, 3)}, "w.safetensors", metadata={"epoch": "3"})
        >>> load("w.safetensors")["weight"].shape
        (2, 3)
    """
    if not isinstance(tensors, Mapping):
        hint = "; pass model.state_dict(), not the model" if hasattr(tensors, "state_dict") else ""
        raise TypeError(
            f"save() takes a mapping of names to tensors, got {type(tensors).__name__}{hint}"
        )
    arrays = {name: _to_array(name, value) for name, value in tensors.items()}
    text = _check_metadata(metadata)
    safetensors_numpy = _safetensors_numpy()
    payload = safetensors_numpy.save(arrays, metadata=text)
    atomic_write_bytes(path, payload)


def _to_array(name: Any, value: Any) -> np.ndarray:
    """The contiguous NumPy array of one entry of a state dict."""
    if not isinstance(name, str):
        raise TypeError(f"save(): tensor names must be strings, got {name!r}")
    if isinstance(value, Tensor):
        array = value.data
    elif isinstance(value, (np.ndarray, np.generic, int, float, bool)):
        array = np.asarray(value)
    else:
        raise TypeError(
            f"save(): the value of {name!r} is a {type(value).__name__}; expected a "
            "chainrule Tensor or a NumPy array"
        )
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"save(): {name!r} has dtype {array.dtype}; safetensors stores booleans, "
            "integers and floats only"
        )
    return np.ascontiguousarray(array)


def _check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str] | None:
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a dict of str -> str, got {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(
                f"metadata must map text to text (safetensors stores only strings); "
                f"got {key!r}: {type(value).__name__}. Encode values with json.dumps()"
            )
    return dict(metadata)


def atomic_write_bytes(path: PathLike, payload: bytes) -> None:
    """Write ``payload`` to ``path`` so that the file is either the old one or the new one.

    The bytes go to a temporary file in the same directory (a rename is atomic only
    within one file system), are flushed with ``fsync``, and the temporary file is
    renamed over ``path`` with ``os.replace``; then the directory entry is flushed too.
    On any error the temporary file is removed and the error re-raised.
    """
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {target!r}: directory {directory!r} does not exist")
    mode = _new_file_mode(target)
    fd, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _new_file_mode(path: str) -> int:
    """The permissions for the file: those of the file it replaces, else 0o666 - umask."""
    with contextlib.suppress(OSError):
        return os.stat(path).st_mode & 0o777
    return 0o666 & ~_umask()


_UMASK: list[int] = []


def _umask() -> int:
    if not _UMASK:  # os.umask can only be read by setting it; do it once
        current = os.umask(0o022)
        os.umask(current)
        _UMASK.append(current)
    return _UMASK[0]


def _fsync_directory(directory: str) -> None:
    """Flush the directory entry of a renamed file (POSIX; a no-op where unsupported)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------


def load(path: PathLike) -> dict[str, Tensor]:
    """Read a safetensors file into a dict of chainrule Tensors (name -> Tensor).

    Each Tensor owns a fresh, writable NumPy array of the stored dtype; none requires
    grad. Pass the dict to ``model.load_state_dict``. Files written by PyTorch's
    ``safetensors.torch.save_file`` load too (bfloat16 excepted: NumPy has no such
    dtype). The header metadata is read by ``load_metadata``.

    Raises:
        FileNotFoundError: no file at ``path``.
        CheckpointError: the file is empty, truncated, or not a safetensors file.

    Example::

        >>> state = chainrule.serialization.load("model.safetensors")
        >>> model.load_state_dict(state)
    """
    arrays, _ = read_safetensors(path)
    return {name: Tensor(array) for name, array in arrays.items()}


def load_metadata(path: PathLike) -> dict[str, str]:
    """The text metadata in the header of a safetensors file (empty if there is none).

    Reads only the header, not the tensors (but checks that the file holds all of them).

    Example::

        >>> chainrule.serialization.load_metadata("model.safetensors")
        {'note': '2-8-1 tanh'}
    """
    target = os.fspath(path)
    _check_exists(target)
    with open(target, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        prefix = handle.read(9)
        header_length = _header_length(target, prefix, size)
        handle.seek(8)
        header = _parse_header(target, prefix, handle.read(header_length))
    _check_data_offsets(target, header, size - 8 - header_length)
    return dict(header.get("__metadata__") or {})


def read_safetensors(path: PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The arrays and the text metadata of a safetensors file, after checking its structure."""
    target = os.fspath(path)
    _check_exists(target)
    with open(target, "rb") as handle:
        payload = handle.read()
    size = len(payload)
    header_length = _header_length(target, payload[:9], size)
    header = _parse_header(target, payload[:9], payload[8 : 8 + header_length])
    _check_data_offsets(target, header, size - 8 - header_length)
    try:
        arrays = _safetensors_numpy().load(payload)
    except Exception as error:  # the decoder's own message, with the file's name
        raise CheckpointError(f"{target!r} is not a valid safetensors file: {error}") from None
    # Own each array: a loaded array must be writable and must not keep the file's
    # whole byte string alive.
    owned = {name: np.array(array, copy=True) for name, array in arrays.items()}
    return owned, dict(header.get("__metadata__") or {})


def _check_exists(path: str) -> None:
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a directory, not a safetensors file")


def _foreign(path: str, prefix: bytes) -> CheckpointError:
    for signature, what in _FOREIGN_SIGNATURES:
        if prefix.startswith(signature):
            return CheckpointError(
                f"{path!r} is {what}, not a safetensors file; chainrule reads only "
                "safetensors (convert in PyTorch with "
                "safetensors.torch.save_file(model.state_dict(), path))"
            )
    return CheckpointError(f"{path!r} is not a safetensors file (its header is unreadable)")


def _header_length(path: str, prefix: bytes, size: int) -> int:
    """``N`` from the first 8 bytes, checked against the size of the file.

    ``prefix`` is the file's first 9 bytes: the length and the header's opening brace.
    """
    if size == 0:
        raise CheckpointError(
            f"{path!r} is empty (0 bytes), not a safetensors file; was its write interrupted?"
        )
    if size < 8:
        raise CheckpointError(
            f"{path!r} is too short ({size} bytes) to be a safetensors file "
            "(truncated, or another kind of file)"
        )
    (length,) = struct.unpack("<Q", prefix[:8])
    if length == 0 or length > _MAX_HEADER_BYTES:
        raise _foreign(path, prefix)
    if 8 + length > size:
        if not prefix.startswith(b"{", 8):  # no JSON where the header should start
            raise _foreign(path, prefix)
        raise CheckpointError(
            f"{path!r} is truncated or not a safetensors file: its header should be "
            f"{length} bytes long but the file has only {size - 8} after the length"
        )
    return int(length)


def _parse_header(path: str, prefix: bytes, raw: bytes) -> dict[str, Any]:
    """The JSON header; ``prefix`` (the file's first bytes) names a foreign file's kind."""
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _foreign(path, prefix) from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path!r} is not a safetensors file (its header is not a table)")
    return header


def _check_data_offsets(path: str, header: dict[str, Any], data_size: int) -> None:
    """Every tensor's bytes must lie inside the file: a cut-off file fails here."""
    end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2):
            raise CheckpointError(
                f"{path!r} is not a valid safetensors file: tensor {name!r} has no data_offsets"
            )
        end = max(end, int(offsets[1]))
    if end > data_size:
        raise CheckpointError(
            f"{path!r} is truncated: its tensors need {end} bytes of data but only "
            f"{data_size} are in the file"
        )


def _safetensors_numpy() -> Any:
    try:
        import safetensors.numpy
    except ModuleNotFoundError:  # pragma: no cover - depends on the environment
        raise ModuleNotFoundError(
            "reading and writing model files needs the safetensors package: "
            "pip install 'chainrule[train]'"
        ) from None
    return safetensors.numpy
