"""The wire format between the trusted parent and a worker.

Parent -> worker: pickled dicts (the worker may unpickle what the trusted parent made),
array arguments follow as raw bytes so an 80 MB input is not copied into a pickle first.

Worker -> parent: a JSON header, optionally followed by one raw payload. The parent never
unpickles anything a worker sends: candidate code runs in the worker and could otherwise
hand the parent an object whose unpickling runs code. Arrays come back as
bytes + dtype string + shape and are rebuilt with ``np.frombuffer`` after checking the
dtype is plain numeric.
"""

from __future__ import annotations

import json
import math
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

# Numeric kinds only: bool, signed, unsigned, float, complex. Object ("O"), void/structured
# ("V"), strings ("S", "U") and datetimes are refused when rebuilding a result.
_NUMERIC_KINDS = frozenset("biufc")
_MAX_NDIM = 32


class ProtocolError(RuntimeError):
    """A worker sent something the parent cannot accept (bad JSON, bad array header)."""


# ---- parent side -------------------------------------------------------------------------

def send_args(conn: Connection, op: dict[str, Any], args: tuple[Any, ...]) -> None:
    """Send ``op`` plus the positional arguments; arrays go as raw bytes after the header."""
    described: list[dict[str, Any]] = []
    buffers: list[np.ndarray] = []
    for arg in args:
        if isinstance(arg, np.ndarray):
            if arg.dtype.hasobject:
                raise TypeError("input arrays must not have dtype=object")
            flat = np.ascontiguousarray(arg)
            described.append({"kind": "array", "dtype": flat.dtype.str,
                              "shape": list(flat.shape), "nbytes": flat.nbytes})
            buffers.append(flat)
        else:
            described.append({"kind": "value", "value": arg})
    conn.send({**op, "args": described})
    for flat in buffers:
        conn.send_bytes(flat.reshape(-1).view(np.uint8))


def recv_json(conn: Connection) -> dict[str, Any]:
    """Receive one JSON header from a worker (EOFError if it died)."""
    raw = conn.recv_bytes()
    try:
        message = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"worker sent a non-JSON header: {raw[:80]!r}") from exc
    if not isinstance(message, dict):
        raise ProtocolError(f"worker sent {type(message).__name__}, not a JSON object")
    return message


def decode_array(header: dict[str, Any], payload: bytes) -> np.ndarray:
    """Rebuild a result array from its header and raw bytes, refusing non-numeric dtypes.

    A scalar result (header shape ``[]``) comes back as a 0-d array of its dtype:
    ``.item()`` gives the Python float/int/complex/bool again.
    """
    try:
        dtype = np.dtype(str(header["dtype"]))
        shape = tuple(int(n) for n in header["shape"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError(f"bad array header {header!r}") from exc
    if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype:
        raise ProtocolError(f"result dtype {dtype} is not a plain numeric dtype")
    if len(shape) > _MAX_NDIM or any(n < 0 for n in shape):
        raise ProtocolError(f"bad result shape {shape}")
    if math.prod(shape) * dtype.itemsize != len(payload):
        raise ProtocolError(f"result of shape {shape} and dtype {dtype} cannot be "
                            f"{len(payload)} bytes")
    return np.frombuffer(payload, dtype=dtype).reshape(shape)


# ---- worker side -------------------------------------------------------------------------

def recv_args(conn: Connection, described: list[dict[str, Any]]) -> tuple[Any, ...]:
    """Receive the arrays announced in ``described``; returns fresh, writable, aligned arrays."""
    args: list[Any] = []
    for item in described:
        if item["kind"] == "value":
            args.append(item["value"])
            continue
        # np.empty gives aligned memory (a bytearray may not be), so numba sees the same
        # aligned array type as in the learner's kernel; writable so in-place code works.
        raw = np.empty(item["nbytes"], dtype=np.uint8)
        if item["nbytes"]:
            conn.recv_bytes_into(raw)
        else:
            conn.recv_bytes()
        args.append(raw.view(np.dtype(item["dtype"])).reshape(item["shape"]))
    return tuple(args)


def send_json(conn: Connection, message: dict[str, Any], payload: Any = None) -> None:
    """Send a JSON header and, when given, one raw payload (anything with the buffer API)."""
    conn.send_bytes(json.dumps(message, default=str).encode("utf-8"))
    if payload is not None:
        conn.send_bytes(payload)


def result_to_wire(result: Any) -> tuple[dict[str, Any], Any]:
    """Turn a call's result into (header, raw bytes) for the parent.

    ndarrays and numpy/Python scalars become arrays; lists and tuples (an AI baseline often
    returns a list of floats) are converted with ``np.asarray``. A scalar becomes a 0-d
    array (shape ``[]``) of its own dtype, so the parent can tell it from an array of one
    element. The header records the original type so the parent can refuse lists where an
    ndarray is required. Anything that does not become a numeric array gets
    ``{"error": ...}`` and no payload.
    """
    kind = type(result).__module__ + "." + type(result).__qualname__
    try:
        # Not np.ascontiguousarray: it returns at least 1-d, turning a float into shape (1,).
        array = np.asarray(result, order="C")
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        return {"type": kind, "error": f"cannot convert to an array: {exc!r}"}, None
    if array.dtype.kind not in _NUMERIC_KINDS or array.dtype.fields is not None:
        return {"type": kind, "error": f"not numeric (dtype {array.dtype})"}, None
    header = {"type": kind, "dtype": array.dtype.str, "shape": list(array.shape)}
    return header, array.reshape(-1).view(np.uint8)
