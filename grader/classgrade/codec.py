"""A data-only codec and framing for the verifier <-> student-worker socket.

The verifier is trusted and the worker runs student code, so nothing the worker sends may
execute anything when decoded: no pickle. Values are JSON with tagged containers; NumPy
arrays and scalars travel as ``.npy`` bytes loaded with ``allow_pickle=False``. Whatever
else the student returns becomes an inert ``Opaque`` placeholder, which fails every
assertion the way a wrong type would. Exceptions travel as (class names, message) and are
rebuilt as the nearest built-in exception class, so ``raises(ValueError, ...)`` still
recognises a student's ``ValueError`` subclass (PyO3's ``PanicException``, which derives from
``BaseException``, comes back as this module's class of that name).

References: a compiled module built in the worker (grader/classgrade/remote.py) stays there;
``encode``/``decode`` given a ``refs`` callback turn objects without a data form into
``{"$ref": handle, "type": name}`` and back. A reference is only a number: decoded on the
trusted side it becomes an inert proxy whose every use is another request to the worker.
1-D strided NumPy views keep their stride (``$strided``), so a learner's code still receives
a non-contiguous array when a test sends one.
"""

from __future__ import annotations

import base64
import builtins
import datetime as dt
import decimal
import io
import json
import pathlib
import socket
import struct
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# NumPy is imported only when an array crosses: a process that never sees one (chapter 03's
# test runs, grader/mutation) does not pay its import in every sandbox it starts.

MAX_FRAME = 64 * 1024 * 1024  # a bigger answer is refused, never buffered by the verifier
# What the verifier may send the worker (a test's 10-million-value array for a compiled
# function is ~110 MB as base64 JSON); the worker reads frames up to this size, the verifier
# still reads at most MAX_FRAME.
MAX_REQUEST_FRAME = 256 * 1024 * 1024
MAX_DEPTH = 50
MAX_MESSAGE = 4000
_HEADER = struct.Struct("!Q")


class ProtocolError(RuntimeError):
    """The peer sent something that is not a valid frame (too big, not JSON, bad tags)."""


class PanicException(BaseException):
    """PyO3's ``PanicException`` (a Rust panic), rebuilt by name on the trusted side: like
    PyO3's it derives from BaseException, and grader.native.testing recognises it by name."""


class Opaque:
    """Stands in for a student object that has no data-only encoding."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


def _npy(value: np.ndarray) -> str:
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, value, allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _from_npy(text: str) -> np.ndarray:
    import numpy as np

    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


def _strided(value: np.ndarray) -> dict[str, Any] | None:
    """A 1-D view with a positive stride that is a whole number of items (``a[::3]``, a
    column of a Fortran array) as a span and a step, or None (sent contiguous)."""
    if value.ndim != 1 or value.size < 2 or value.flags.c_contiguous:
        return None
    step, rest = divmod(value.strides[0], value.itemsize)
    if rest or step < 2 or (value.size - 1) * step + 1 > max(4 * value.size, 1 << 17):
        return None
    import numpy as np

    span = np.zeros((value.size - 1) * step + 1, dtype=value.dtype)
    span[::step] = value
    return {"$strided": [_npy(span), step]}


def _type_name(value: Any) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"[:200]


def encode(value: Any, depth: int = 0, refs: Callable[[Any], int | None] | None = None) -> Any:
    """A JSON-able form of ``value``; unsupported objects become an opaque tag, or, with
    ``refs`` (object -> handle, or None), a reference."""
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
        return {"$" + kind.__name__: [encode(v, depth + 1, refs) for v in value]}
    if kind is dict and all(type(k) is str for k in value):
        return {"$dict": [[k, encode(v, depth + 1, refs)] for k, v in value.items()]}
    np = sys.modules.get("numpy")  # no NumPy loaded: no value can be one of its arrays
    if np is not None and kind is np.ndarray and value.dtype.kind != "O":
        return _strided(value) or {"$ndarray": _npy(value)}
    if np is not None and isinstance(value, np.generic) and kind.__module__ == "numpy" \
            and value.dtype.kind != "O":
        return {"$npscalar": _npy(np.asarray(value))}
    if isinstance(value, pathlib.PurePath):
        return {"$path": str(value)}
    if kind in _TIME_KINDS or kind is decimal.Decimal:
        return _encode_exact(value)
    handle = refs(value) if refs is not None else None
    if type(handle) is int:
        return {"$ref": [handle, _type_name(value)]}
    return {"$opaque": _type_name(value)}


def decode(obj: Any, depth: int = 0, refs: Callable[[int, str], Any] | None = None) -> Any:
    """The value ``encode`` described; raises ProtocolError for anything malformed. A
    reference becomes ``refs(handle, type name)`` (an Opaque without ``refs``)."""
    if depth > MAX_DEPTH + 1:
        raise ProtocolError("nesting too deep")
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if type(obj) is not dict or len(obj) != 1:
        raise ProtocolError(f"unexpected value of type {type(obj).__name__}")
    (tag, body), = obj.items()
    try:
        if tag == "$list":
            return [decode(v, depth + 1, refs) for v in body]
        if tag == "$tuple":
            return tuple(decode(v, depth + 1, refs) for v in body)
        if tag == "$dict":
            return {str(k): decode(v, depth + 1, refs) for k, v in body}
        if tag == "$complex":
            return complex(float(body[0]), float(body[1]))
        if tag == "$bytes":
            return base64.b64decode(body)
        if tag == "$ndarray":
            return _from_npy(body)
        if tag == "$npscalar":
            return _from_npy(body)[()]
        if tag == "$strided":
            span, step = _from_npy(body[0]), body[1]
            if type(step) is not int or not 2 <= step <= max(2, span.size) or span.ndim != 1:
                raise ValueError("bad step")
            return span[::step]
        if tag == "$path":
            return pathlib.Path(str(body))
        if tag in _EXACT_TAGS:
            return _decode_exact(tag, body)
        if tag == "$ref":
            handle, name = body
            if type(handle) is not int:
                raise TypeError("a reference is an int")
            return refs(handle, str(name)[:200]) if refs is not None else Opaque(str(name))
        if tag == "$opaque":
            return Opaque(str(body))
    except (TypeError, ValueError, IndexError, ArithmeticError, KeyError) as exc:
        raise ProtocolError(f"malformed {tag}: {exc}") from None
    raise ProtocolError(f"unknown tag {tag!r}")


# Money and time travel exactly (chapter 03 compares cents and wall-clock times): a Decimal
# as its text, dates and times in ISO form, an aware datetime with its zone's key when it is
# a zoneinfo zone (else its fixed offset), so that arithmetic on the other side still crosses
# DST the way it did here.
_TIME_KINDS = (dt.date, dt.datetime, dt.time, dt.timedelta)
_EXACT_TAGS = ("$decimal", "$date", "$datetime", "$time", "$timedelta")
_MAX_TEXT = 200


def _encode_exact(value: Any) -> dict[str, Any]:
    if isinstance(value, decimal.Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, dt.timedelta):
        return {"$timedelta": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, dt.datetime):  # fold: which of a repeated wall time (ISO drops it)
        return {"$datetime": [value.isoformat(), _zone_key(value.tzinfo), value.fold]}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    return {"$date": value.isoformat()}


def _zone_key(tz: Any) -> str | None:
    key = getattr(tz, "key", None)
    return key if isinstance(key, str) else None


def _decode_exact(tag: str, body: Any) -> Any:
    if tag == "$timedelta":
        days, seconds, micros = (int(v) for v in body)
        return dt.timedelta(days=days, seconds=seconds, microseconds=micros)
    if tag == "$datetime":
        text, zone, fold = body if len(body) == 3 else (*body, 0)
        value = dt.datetime.fromisoformat(_text(text)).replace(fold=1 if fold == 1 else 0)
        if zone is not None and value.tzinfo is not None:
            from zoneinfo import ZoneInfo

            value = value.astimezone(ZoneInfo(_text(zone)))  # same instant, the zone's rules
        return value
    text = _text(body)
    if tag == "$decimal":
        return decimal.Decimal(text)
    return dt.time.fromisoformat(text) if tag == "$time" else dt.date.fromisoformat(text)


def _text(value: Any) -> str:
    if type(value) is not str or len(value) > _MAX_TEXT:
        raise ValueError("expected a short string")
    return value


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
    names = data.get("types", [])
    if isinstance(names, list) and names and names[0] == "PanicException":
        return PanicException(message)
    for name in names[:20] if isinstance(names, list) else []:
        cls = getattr(builtins, str(name), None)
        if isinstance(cls, type) and issubclass(cls, BaseException) and cls not in (
                SystemExit, GeneratorExit):
            try:
                return cls(message)
            except Exception:  # e.g. UnicodeDecodeError needs five arguments
                continue
    return Exception(message)


def frame(message: dict[str, Any], limit: int = MAX_FRAME) -> bytes:
    """``message`` framed for the socket; ProtocolError when it is larger than ``limit``."""
    data = json.dumps(message).encode()
    if len(data) > limit:
        raise ProtocolError(f"message of {len(data)} bytes exceeds {limit}")
    return _HEADER.pack(len(data)) + data


def send(sock: socket.socket, message: dict[str, Any], limit: int = MAX_FRAME) -> None:
    sock.sendall(frame(message, limit))


def _read_exact(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise EOFError("peer closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def recv(sock: socket.socket, limit: int = MAX_FRAME) -> dict[str, Any]:
    """One frame; ProtocolError for an oversized or non-JSON frame, EOFError on close."""
    (size,) = _HEADER.unpack(_read_exact(sock, _HEADER.size))
    if size > limit:
        raise ProtocolError(f"frame of {size} bytes exceeds {limit}")
    try:
        message = json.loads(_read_exact(sock, size))
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"frame is not JSON: {type(exc).__name__}") from None
    if type(message) is not dict:
        raise ProtocolError("frame is not an object")
    return message
