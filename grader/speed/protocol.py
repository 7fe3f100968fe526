"""The wire format between the trusted parent and a worker.

Parent -> worker: pickled dicts (the worker may unpickle what the trusted parent made).
Inputs travel as a batch, one argument tuple per call of the timed batch: the arrays are
written by the parent into a shared-memory segment of that worker (a memfd), the request
says where each one lies, and the worker copies them out (`load_batch`).

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

_ALIGN = 64  # each array of a batch starts on a cache line in the shared segment


def layout_batch(batch: list[tuple[Any, ...]], capacity: int
                 ) -> tuple[list[list[dict[str, Any]]], list[tuple[int, np.ndarray]],
                            list[np.ndarray], int]:
    """Describe a batch of argument tuples for the shared input segment.

    Arrays go into the segment while they fit in ``capacity`` bytes (a memfd counts against
    RLIMIT_FSIZE); the rest are marked ``inline`` and follow the request on the pipe.
    Returns (descriptions, [(offset, array)] for the segment, [inline arrays], segment bytes
    needed); values (not arrays) travel in the description.
    """
    described: list[list[dict[str, Any]]] = []
    placed: list[tuple[int, np.ndarray]] = []
    inline: list[np.ndarray] = []
    offset = 0
    for args in batch:
        items: list[dict[str, Any]] = []
        for arg in args:
            if not isinstance(arg, np.ndarray):
                items.append({"kind": "value", "value": arg})
                continue
            if arg.dtype.hasobject:
                raise TypeError("input arrays must not have dtype=object")
            flat = np.ascontiguousarray(arg)
            item = {"kind": "array", "dtype": flat.dtype.str, "shape": list(flat.shape),
                    "nbytes": flat.nbytes}
            padded = -(-flat.nbytes // _ALIGN) * _ALIGN
            if offset + padded <= capacity:
                item["offset"] = offset
                placed.append((offset, flat))
                offset += padded
            else:
                item["inline"] = True
                inline.append(flat)
            items.append(item)
        described.append(items)
    return described, placed, inline, offset


def batch_bytes(batch: list[tuple[Any, ...]]) -> int:
    """Bytes of the arrays in a batch of argument tuples."""
    return sum(a.nbytes for args in batch for a in args if isinstance(a, np.ndarray))


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


def array_bytes(header: dict[str, Any]) -> int:
    """Bytes of the array a result header announces (ProtocolError if it is malformed)."""
    try:
        dtype = np.dtype(str(header["dtype"]))
        shape = [int(n) for n in header["shape"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError(f"bad array header {header!r}") from exc
    if len(shape) > _MAX_NDIM or any(n < 0 for n in shape):
        raise ProtocolError(f"bad result shape {shape}")
    return math.prod(shape) * dtype.itemsize


def decode_array(header: dict[str, Any], payload: bytes | memoryview) -> np.ndarray:
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

def _cached_copy(src: np.ndarray, dst: np.ndarray) -> None:
    """Copy bytes so that they end up in this core's cache: a ufunc's ordinary vector
    stores, not memcpy, whose ``rep movsb`` on large blocks may stream past the caches (a
    first sum over a memcpy'd 256 KB array measured 1.5-3x slower than over the same data
    read once more)."""
    whole = src.size // 8 * 8
    np.bitwise_or(src[:whole].view(np.uint64), 0, out=dst[:whole].view(np.uint64))
    dst[whole:] = src[whole:]


def load_batch(segment: Any, described: list[list[dict[str, Any]]],
               conn: Connection | None = None) -> tuple[tuple[Any, ...], ...]:
    """Copy the arrays announced in ``described`` out of the shared ``segment`` (a buffer),
    or receive them from ``conn`` when they came inline: fresh, private, writable, aligned
    arrays, one argument tuple per call.

    The copy is the point: the worker's own writes leave each input in its core's cache,
    where a kernel that is fast on cache-resident data can show it, and the candidate can
    change its arrays in place without touching the parent's segment.
    """
    view = memoryview(segment)
    batch: list[tuple[Any, ...]] = []
    for items in described:
        args: list[Any] = []
        for item in items:
            if item["kind"] == "value":
                args.append(item["value"])
                continue
            # np.empty gives aligned memory (a bytearray may not be), so numba sees the
            # same aligned array type as in the learner's kernel.
            raw = np.empty(item["nbytes"], dtype=np.uint8)
            if item.get("inline"):
                if conn is None:
                    raise ProtocolError("an inline array needs the connection")
                if item["nbytes"]:
                    conn.recv_bytes_into(raw)
                else:
                    conn.recv_bytes()
            else:
                start = item["offset"]
                _cached_copy(np.frombuffer(view[start:start + item["nbytes"]],
                                           dtype=np.uint8), raw)
            args.append(raw.view(np.dtype(item["dtype"])).reshape(item["shape"]))
        batch.append(tuple(args))
    return tuple(batch)


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
