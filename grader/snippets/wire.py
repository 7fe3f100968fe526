"""Values across the line between a grading process and a learner's function.

A learner's function runs in a child process (python.py, node.py); what it returns or raises
comes back as JSON and is rebuilt here as plain data, never unpickled: a value the child
made can only ever be data in the process that judges it. JSON has no tuples, no bytes, no
non-string keys, no arrays: those travel tagged (``{"__t__": ...}``) and come back as
lists, bytes, dicts with their keys, and lists; anything else comes back as a `Foreign`
holding its type and repr.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any

TAG = "__t__"
MAX_DEPTH = 40
MAX_REPLY = 8 << 20  # bytes of one reply line; more is a protocol error, not a value
_REPR_CAP = 400


@dataclass(frozen=True)
class Foreign:
    """A returned object with no data form: its type's qualified name and a capped repr."""

    type_name: str
    text: str

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text}>"


class CallFailed(Exception):
    """The learner's function raised (Python) or threw / rejected (JavaScript).

    ``type_names``: the qualified names of the exception's classes, most derived first
    (``requests.exceptions.HTTPError``, ..., ``builtins.OSError``...), or the JS error's
    ``name`` chain; ``message``: its text, capped."""

    def __init__(self, type_names: tuple[str, ...], message: str) -> None:
        super().__init__(f"{type_names[0] if type_names else 'error'}: {message}")
        self.type_names = type_names
        self.message = message

    @property
    def type_name(self) -> str:
        """The short name of the most derived type: ``HTTPError``, ``TypeError``."""
        return self.type_names[0].rsplit(".", 1)[-1] if self.type_names else "error"

    def is_a(self, *names: str) -> bool:
        """True when any of ``names`` (short like ``Timeout`` or qualified) is among the
        exception's types."""
        short = {n.rsplit(".", 1)[-1] for n in self.type_names}
        return any(n in self.type_names or n in short for n in names)


class CallCrashed(Exception):
    """No answer: the child died, hung past its deadline, or answered garbage. ``kind``:
    ``timeout``, ``died``, ``protocol``, ``missing`` (no such function) or ``crash`` (an
    unhandled rejection or exception that ended a Node process)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def encode(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON-ready data (child side). Never raises for odd objects: they become
    ``Foreign`` tags."""
    if depth > MAX_DEPTH:
        return {TAG: "foreign", "type": "nested too deep", "repr": "..."}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else {TAG: "bigint", "text": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {TAG: "float", "text": repr(value)}
    if isinstance(value, bytes | bytearray):
        return {TAG: "bytes", "b64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, list | tuple):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and TAG not in value:
            return {k: encode(v, depth + 1) for k, v in value.items()}
        return {TAG: "dict", "items": [[encode(k, depth + 1), encode(v, depth + 1)]
                                       for k, v in value.items()]}
    item = getattr(value, "item", None)  # NumPy scalars
    if callable(item) and getattr(value, "shape", None) == ():
        try:
            return encode(item(), depth + 1)
        except Exception:  # noqa: BLE001 - falls through to the repr below
            pass
    tolist = getattr(value, "tolist", None)  # NumPy arrays
    if callable(tolist) and hasattr(value, "dtype"):
        try:
            return encode(tolist(), depth + 1)
        except Exception:  # noqa: BLE001
            pass
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {TAG: "object", "type": _qualname(value),
                "fields": {f.name: encode(getattr(value, f.name, None), depth + 1)
                           for f in dataclasses.fields(value)}}
    return {TAG: "foreign", "type": _qualname(value), "repr": _safe_repr(value)}


def decode(data: Any, depth: int = 0) -> Any:
    """Plain data back from ``encode``'s JSON (judging side). Unknown tags stay dicts."""
    if depth > MAX_DEPTH + 2:
        raise ValueError("reply nested too deeply")
    if isinstance(data, list):
        return [decode(v, depth + 1) for v in data]
    if not isinstance(data, dict):
        return data
    tag = data.get(TAG)
    if tag == "dict" and isinstance(data.get("items"), list):
        return {_key(decode(k, depth + 1)): decode(v, depth + 1) for k, v in
                (pair for pair in data["items"] if isinstance(pair, list) and len(pair) == 2)}
    if tag == "bigint":
        return int(str(data.get("text", "0")))
    if tag == "float":
        return float(str(data.get("text", "nan")))
    if tag == "bytes":
        return base64.b64decode(str(data.get("b64", "")), validate=True)
    if tag == "object":
        fields = data.get("fields")
        return {"__type__": str(data.get("type", "")),
                **(decode(fields, depth + 1) if isinstance(fields, dict) else {})}
    if tag == "foreign":
        return Foreign(str(data.get("type", "?")), str(data.get("repr", ""))[:_REPR_CAP])
    return {k: decode(v, depth + 1) for k, v in data.items()}


def _key(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key  # a tuple key came back as a list


def dumps(message: dict[str, Any]) -> bytes:
    """One protocol line."""
    return json.dumps(message, allow_nan=False, separators=(",", ":")).encode() + b"\n"


def loads(line: bytes) -> dict[str, Any]:
    """One protocol line back; ValueError when it is not a JSON object."""
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError("a reply must be a JSON object")
    return message


def exception_data(exc: BaseException) -> dict[str, Any]:
    """What a child sends for an exception: its class chain and capped text."""
    names = [f"{c.__module__}.{c.__qualname__}" for c in type(exc).__mro__
             if c not in (object, BaseException)]
    return {"types": names, "message": _safe_text(exc)[:2000]}


def failure(data: Any) -> CallFailed:
    """The `CallFailed` for an exception's data from a child (anything malformed included)."""
    if not isinstance(data, dict):
        return CallFailed(("error",), "an error the child could not describe")
    types = data.get("types")
    names = tuple(str(t) for t in types[:20]) if isinstance(types, list) else ()
    return CallFailed(names or ("error",), str(data.get("message", ""))[:2000])


def _qualname(value: Any) -> str:
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}"


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)[:_REPR_CAP]
    except Exception:  # noqa: BLE001 - a hostile __repr__ is not our error
        return f"<{_qualname(value)} with a failing repr>"


def _safe_text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001
        return f"<{type(exc).__name__} with a failing str>"
