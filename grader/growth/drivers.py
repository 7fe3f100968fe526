"""Course code that drives a learner's functions in a growth measurement.

Some exercises are not one function of plain inputs: a cache is a function that returns a
function, a query needs a database and a schema change. A driver is the course's code that
turns them into one call of plain inputs, so the growth engine can time it from outside:
``driver(*learner_functions, *inputs)``. It runs in the worker beside the learner's code and
decides nothing: what it returns is checked against the trusted answer in the parent, and
time and memory are read from outside the worker.

``[exercises.growth]`` names it: ``driver = "grader.growth.drivers:cache_stream"`` and
``functions = ["profile_cache"]`` (default: the exercise's name). The AI version and the
model are speed.py's ``ai_<function>`` and ``model_<function>``, driven the same way.
"""

from __future__ import annotations

import functools
import importlib
import re
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from grader.speed.candidates import Candidate, load_payload, lookup_name

DRIVER = re.compile(r"grader\.growth\.drivers:\w+")  # only this module's drivers
VALUE_BYTES = 128  # size of one cached value: big enough that a leak shows in RSS


def driver_function(spec: str) -> Callable[..., Any]:
    """The driver named ``grader.growth.drivers:NAME``; ValueError for any other name."""
    if not isinstance(spec, str) or not DRIVER.fullmatch(spec):
        raise ValueError(f"driver must name a function of grader.growth.drivers as "
                         f"'grader.growth.drivers:name', got {spec!r}")
    module, name = spec.split(":")
    func = getattr(importlib.import_module(module), name, None)
    if not callable(func):
        raise ValueError(f"grader.growth.drivers has no driver {name!r}")
    return func


class DrivenCandidate(Candidate):
    """The functions ``names`` of ``inner`` (a notebook, speed.py), bound to a driver: the
    worker loads them and calls ``driver(*functions, *args)``."""

    def __init__(self, inner: Candidate, names: Sequence[str], driver: str) -> None:
        driver_function(driver)  # fail here, in the parent, on a bad name
        if not names or not all(isinstance(n, str) and n for n in names):
            raise ValueError(f"names must be a non-empty list of function names, got {names!r}")
        self.inner, self.names, self.driver = inner, list(names), driver
        self.name = self.names[-1]

    def payload(self) -> dict[str, Any]:
        return {"kind": "driven", "name": self.name, "inner": self.inner.payload(),
                "names": self.names, "driver": self.driver}

    def __repr__(self) -> str:
        return f"DrivenCandidate({self.inner!r}, {self.names!r}, {self.driver!r})"


def load_driven(payload: dict[str, Any], in_worker: bool) -> tuple[dict[str, Any], Any]:
    """Worker side of `DrivenCandidate` (grader/speed/candidates.py ``load_payload``)."""
    inner = payload["inner"]
    namespace, loaded = load_payload(inner, in_worker=in_worker)
    functions = [lookup_name(inner, namespace, loaded, name) for name in payload["names"]]
    for name, func in zip(payload["names"], functions, strict=True):
        if not callable(func):
            raise LookupError(f"{name!r} is not a function (it is {type(func).__name__})")
    return namespace, functools.partial(driver_function(payload["driver"]), *functions)


# ---- the drivers ---------------------------------------------------------------------------


def cache_stream(profile_cache: Callable[..., Any], maxsize: int,
                 keys: Sequence[int]) -> np.ndarray:
    """Stream ``keys`` through ``get = profile_cache(load, maxsize)``. One row per get: the
    serial number of the load that produced the answer, and the key that load was for.
    ``load(key)`` makes a new value of VALUE_BYTES carrying both, so the parent can tell a
    hit (a serial seen before) from a load, and a wrong answer (another key's value); and a
    cache that never forgets holds every value, which its memory shows."""
    serial = 0

    def load(key: int) -> bytes:
        nonlocal serial
        serial += 1
        return serial.to_bytes(4, "little") + key.to_bytes(4, "little", signed=True) + \
            bytes(VALUE_BYTES - 8)

    get = profile_cache(load, maxsize)
    # int32: the answer itself is part of the call's memory, kept small beside the cache's
    out = np.empty((len(keys), 2), dtype=np.int32)
    for i, key in enumerate(keys):
        value = get(key)
        if not isinstance(value, bytes) or len(value) != VALUE_BYTES:
            raise TypeError(f"get({key}) returned {type(value).__name__}, not the value "
                            "load returned")
        out[i, 0] = int.from_bytes(value[:4], "little")
        out[i, 1] = int.from_bytes(value[4:8], "little", signed=True)
    return out


def sqlite_lookups(prepare: Callable[[sqlite3.Connection], Any],
                   query: Callable[[sqlite3.Connection, int, int], Any],
                   image: bytes, customers: Sequence[int], limit: int) -> np.ndarray:
    """Load the database ``image`` (sqlite3 serialize() bytes), apply the schema change
    ``prepare(conn)`` once, then ``query(conn, customer, limit)`` for every customer: the
    order ids found, one row of ``limit`` per customer, -1 where there are fewer."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.deserialize(image)
        prepare(conn)
        out = np.full((len(customers), limit), -1, dtype=np.int64)
        for i, customer in enumerate(customers):
            rows = list(query(conn, customer, limit))
            if len(rows) > limit:
                raise ValueError(f"recent_orders(conn, {customer}, {limit}) returned "
                                 f"{len(rows)} rows")
            for j, row in enumerate(rows):
                out[i, j] = int(row[0])
        return out
    finally:
        conn.close()
