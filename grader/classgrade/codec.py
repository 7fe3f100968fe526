"""A data-only codec and framing for the verifier <-> student-worker socket.

The verifier is trusted and the worker runs student code, so nothing the worker sends may
execute anything when decoded: no pickle. Values are JSON with tagged containers; NumPy
arrays and scalars travel as ``.npy`` bytes loaded with ``allow_pickle=False``. Whatever
else the student returns becomes an inert ``Opaque`` placeholder, which fails every
assertion the way a wrong type would. Exceptions travel as (class names, message) and are
rebuilt as the nearest built-in exception class, so ``raises(ValueError, ...)`` still
recognises a student's ``ValueError`` subclass.
"""

from __future__ import annotations

import base64
import builtins
import io
import json
import socket
import struct
from typing import Any

import numpy as np

MAX_FRAME = 64 * 1024 * 1024  # a bigger answer is refused, never buffered by the verifier
MAX_DEPTH = 50
MAX_MESSAGE = 4000
_HEADER = struct.Struct("!Q")


class ProtocolError(RuntimeError):
    """The peer sent something that is not a valid frame (too big, not JSON, bad tags)."""


class Opaque:
    """Stands in for a student object that has no data-only encoding."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


def _npy(value: np.ndarray) -> str:
    buf = io.BytesIO()
    np.save(buf, value, allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _from_npy(text: str) -> np.ndarray:
    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


def encode(value: Any, depth: int = 0) -> Any:
    """A JSON-able form of ``value``; unsupported objects become an opaque tag."""
    if depth > MAX_DEPTH:
        return {"$opaque": "deeply nested object"}
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is complex:
        return {"$complex": [value.real, value.imag]}
    if kind is bytes:
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if kind in (list, tuple):
        return {"$" + kind.__name__: [encode(v, depth + 1) for v in value]}
    if kind is dict and all(type(k) is str for k in value):
        return {"$dict": [[k, encode(v, depth + 1)] for k, v in value.items()]}
    if kind is np.ndarray and value.dtype.kind != "O":
        return {"$ndarray": _npy(value)}
    if isinstance(value, np.generic) and kind.__module__ == "numpy" and value.dtype.kind != "O":
        return {"$npscalar": _npy(np.asarray(value))}
    return {"$opaque": f"{kind.__module__}.{kind.__qualname__}"[:200]}


def decode(obj: Any, depth: int = 0) -> Any:
    """The value ``encode`` described; raises ProtocolError for anything malformed."""
    if depth > MAX_DEPTH + 1:
        raise ProtocolError("nesting too deep")
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if type(obj) is not dict or len(obj) != 1:
        raise ProtocolError(f"unexpected value of type {type(obj).__name__}")
    (tag, body), = obj.items()
    try:
        if tag == "$list":
            return [decode(v, depth + 1) for v in body]
        if tag == "$tuple":
            return tuple(decode(v, depth + 1) for v in body)
        if tag == "$dict":
            return {str(k): decode(v, depth + 1) for k, v in body}
        if tag == "$complex":
            return complex(float(body[0]), float(body[1]))
        if tag == "$bytes":
            return base64.b64decode(body)
        if tag == "$ndarray":
            return _from_npy(body)
        if tag == "$npscalar":
            return _from_npy(body)[()]
        if tag == "$opaque":
            return Opaque(str(body))
    except (TypeError, ValueError, IndexError) as exc:
        raise ProtocolError(f"malformed {tag}: {exc}") from None
    raise ProtocolError(f"unknown tag {tag!r}")


def encode_exception(exc: BaseException) -> dict[str, Any]:
    names = [k.__name__ for k in type(exc).__mro__]
    try:
        message = str(exc)
    except Exception:  # a student exception whose __str__ raises
        message = "<unprintable exception>"
    return {"types": names[:20], "message": message[:MAX_MESSAGE]}


def decode_exception(data: Any) -> BaseException:
    """A built-in exception rebuilt from its class names (first built-in in the MRO)."""
    if type(data) is not dict:
        raise ProtocolError("bad exception record")
    message = str(data.get("message", ""))[:MAX_MESSAGE]
    for name in data.get("types", [])[:20]:
        cls = getattr(builtins, str(name), None)
        if isinstance(cls, type) and issubclass(cls, BaseException) and cls not in (
                SystemExit, GeneratorExit):
            try:
                return cls(message)
            except Exception:  # e.g. UnicodeDecodeError needs five arguments
                continue
    return Exception(message)


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message).encode()
    if len(data) > MAX_FRAME:
        raise ProtocolError(f"message of {len(data)} bytes exceeds {MAX_FRAME}")
    sock.sendall(_HEADER.pack(len(data)) + data)


def _read_exact(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("peer closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv(sock: socket.socket) -> dict[str, Any]:
    """One frame; ProtocolError for an oversized or non-JSON frame, EOFError on close."""
    (size,) = _HEADER.unpack(_read_exact(sock, _HEADER.size))
    if size > MAX_FRAME:
        raise ProtocolError(f"frame of {size} bytes exceeds {MAX_FRAME}")
    try:
        message = json.loads(_read_exact(sock, size))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"frame is not JSON: {type(exc).__name__}") from None
    if type(message) is not dict:
        raise ProtocolError("frame is not an object")
    return message
