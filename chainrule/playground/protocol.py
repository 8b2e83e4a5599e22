"""The websocket protocol between the page and the server: what may be sent, checked.

The page sends JSON text messages, ``{"type": KIND, ...fields}``; ``MESSAGES`` lists
every kind with its fields, and ``parse`` checks a raw message against it (size,
JSON, kind, field types and ranges, no unknown fields) before the session sees it.
Anything else raises ``ProtocolError``, whose message the page shows; the session
goes on.

The server sends JSON text (``hello``, ``state``, ``data``, ``math``, ``error``,
``info``) and binary messages made by ``pack``: a 4-byte little-endian header length,
a UTF-8 JSON header (``{"kind": "frame" | "file", ...}``), then the body (a frame's
heatmaps as bytes, or a file to download).

Example::

    >>> from chainrule.playground.state import Limits
    >>> parse('{"type": "set_bias", "layer": 0, "row": 1, "value": 0.5}', Limits())
    Message(kind='set_bias', args={'layer': 0, 'row': 1, 'value': 0.5})
    >>> unpack(pack({"kind": "frame"}, b"\\x01\\x02"))
    ({'kind': 'frame'}, b'\\x01\\x02')
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chainrule.playground.state import Limits

__all__ = ["Field", "Message", "MESSAGES", "ProtocolError", "parse", "pack", "unpack", "dumps"]


class ProtocolError(ValueError):
    """A message from the page that cannot be used; the text says why."""


@dataclass(frozen=True)
class Field:
    """One field of a message.

    Attributes:
        kind: ``"int"``, ``"float"`` (any finite number), ``"str"``, ``"object"`` or
            ``"choice"``.
        low, high: the allowed range of a number, or of a string's length.
        optional: whether the field may be left out.
        choices: the allowed strings of a ``"choice"``.
    """

    kind: str
    low: float = -math.inf
    high: float = math.inf
    optional: bool = False
    choices: tuple[str, ...] = ()


def _check_int(name: str, spec: Field, value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError(f"{name} must be a whole number, got {_short(value)}")
    if not spec.low <= value <= spec.high:
        raise ProtocolError(f"{name} must be between {spec.low:g} and {spec.high:g}, got {value}")
    return value


def _check_float(name: str, spec: Field, value: Any) -> Any:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ProtocolError(f"{name} must be a finite number, got {_short(value)}")
    if not spec.low <= value <= spec.high:
        raise ProtocolError(f"{name} must be between {spec.low:g} and {spec.high:g}, got {value:g}")
    return float(value)


def _check_str(name: str, spec: Field, value: Any) -> Any:
    if not isinstance(value, str):
        raise ProtocolError(f"{name} must be text, got {_short(value)}")
    if not spec.low <= len(value) <= spec.high:
        raise ProtocolError(f"{name} must have {spec.low:g} to {spec.high:g} characters")
    return value


def _check_object(name: str, spec: Field, value: Any) -> Any:
    if not isinstance(value, dict):
        raise ProtocolError(f"{name} must be an object, got {_short(value)}")
    if len(value) > spec.high:
        raise ProtocolError(f"{name} has {len(value)} entries; at most {spec.high:g}")
    return value


def _check_choice(name: str, spec: Field, value: Any) -> Any:
    if value not in spec.choices:
        raise ProtocolError(f"{name} must be one of {', '.join(spec.choices)}, got {_short(value)}")
    return value


CHECKS: dict[str, Callable[[str, Field, Any], Any]] = {
    "int": _check_int,
    "float": _check_float,
    "str": _check_str,
    "object": _check_object,
    "choice": _check_choice,
}

_INDEX = Field("int", 0, 1000)
_WEIGHT = Field("float", -1000.0, 1000.0)
_COORD = Field("float", -6.0, 6.0)

# Every kind of message the page may send, and its fields.
MESSAGES: dict[str, dict[str, Field]] = {
    "set": {"settings": Field("object", high=64)},
    "play": {},
    "pause": {},
    "step": {},
    "reset": {},
    "regenerate": {},
    "set_weight": {"layer": _INDEX, "row": _INDEX, "col": _INDEX, "value": _WEIGHT},
    "set_bias": {"layer": _INDEX, "row": _INDEX, "value": _WEIGHT},
    "add_point": {"x": _COORD, "y": _COORD, "label": Field("float", -1000.0, 1000.0)},
    "upload": {"name": Field("str", 0, 200), "text": Field("str")},
    "math": {
        "x": Field("float", -6.0, 6.0, optional=True),
        "y": Field("float", -6.0, 6.0, optional=True),
    },
    "export": {"what": Field("choice", choices=("model", "script"))},
    "ack": {"seq": Field("int", 0, 2**53)},
}


@dataclass(frozen=True)
class Message:
    """A checked message: its kind and its fields."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)


def _short(value: Any, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def parse(raw: str | bytes | None, limits: Limits) -> Message:
    """Check a raw websocket message from the page.

    Args:
        raw: the text of a message (bytes mean a binary message, which the page never
            sends).
        limits: the server's limits (``max_message_bytes``).

    Raises:
        ProtocolError: with a message for the page, for anything that is not a valid
            message.
    """
    if raw is None:
        raise ProtocolError("empty message")
    if isinstance(raw, bytes):
        raise ProtocolError("binary messages are not understood; send JSON text")
    if len(raw) > limits.max_message_bytes:
        raise ProtocolError(
            f"message too large: {len(raw)} characters; this server takes at most "
            f"{limits.max_message_bytes}"
        )
    try:
        message = json.loads(raw)
    except RecursionError:
        raise ProtocolError("not valid JSON: nested too deeply") from None
    except ValueError as error:
        raise ProtocolError(f"not valid JSON: {str(error)[:80]}") from None
    if not isinstance(message, dict):
        raise ProtocolError(
            f'a message must be a JSON object {{"type": ...}}, got {_short(message)}'
        )
    kind = message.get("type")
    fields = MESSAGES.get(kind) if isinstance(kind, str) else None
    if fields is None or not isinstance(kind, str):
        raise ProtocolError(
            f"unknown message type {_short(kind)}; known types: {', '.join(MESSAGES)}"
        )
    unknown = [name for name in message if name != "type" and name not in fields]
    if unknown:
        raise ProtocolError(f"{kind}: unexpected field {_short(unknown[0])}")
    args = {}
    for name, spec in fields.items():
        if name not in message:
            if spec.optional:
                continue
            raise ProtocolError(f"{kind}: missing field {name!r}")
        args[name] = CHECKS[spec.kind](f"{kind}.{name}", spec, message[name])
    return Message(kind, args)


def dumps(message: dict[str, Any]) -> str:
    """JSON for the page: NaN and infinities (which JSON cannot carry) become null."""
    return json.dumps(_finite(message), separators=(",", ":"), allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def pack(header: dict[str, Any], body: bytes = b"", *, finite: bool = False) -> bytes:
    """A binary message: 4-byte little-endian header length, JSON header, body.

    ``finite=True`` promises that the header holds no NaN or infinity (it is then
    encoded without the check, which costs time in every frame)."""
    encoded = (json.dumps(header, separators=(",", ":")) if finite else dumps(header)).encode()
    return struct.pack("<I", len(encoded)) + encoded + body


def unpack(message: bytes) -> tuple[dict[str, Any], bytes]:
    """The header and body of a binary message made by ``pack``."""
    if len(message) < 4:
        raise ProtocolError("binary message shorter than its 4-byte header length")
    (length,) = struct.unpack("<I", message[:4])
    if 4 + length > len(message):
        raise ProtocolError("binary message shorter than its header")
    return json.loads(message[4 : 4 + length]), message[4 + length :]
