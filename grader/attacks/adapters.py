"""Wrappers a learner's function runs inside, in its child process (grader/snippets/pyworker.py,
named by ``adapter = "grader.attacks.adapters:<name>"`` in assignment.toml).

They adapt a call to what can cross a pipe and make what the function writes visible to the
parent; they decide nothing. The tests judge the answers in the grading process.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import sys
import traceback
from collections.abc import Callable
from typing import Any

_PLAIN = (type(None), bool, int, float, str, bytes, list, tuple, dict)
_ATTRIBUTES = 40  # public attributes described of a returned object, at most


def sqlite(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func(conn, *args)`` called as ``call(database_path, *args)``: a fresh connection to
    the test's database file per call, committed afterwards as the application would (what
    a payload changed stays changed), and the rows returned as lists."""

    def call(database: str, *args: Any, **kwargs: Any) -> Any:
        conn = sqlite3.connect(database)
        try:
            rows = _rows(func(conn, *args, **kwargs))
            conn.commit()
        finally:
            conn.close()
        return rows

    return call


def _rows(value: Any) -> Any:
    if isinstance(value, str | bytes | dict) or not hasattr(value, "__iter__"):
        return value
    return [list(row) if isinstance(row, tuple | list | sqlite3.Row) else row
            for row in value]


def logged(func: Callable[..., Any]) -> Callable[..., Any]:
    """Every log record at DEBUG and above, through the root logger, goes to stderr, which the
    parent captures with stdout; an exception is also printed there with its whole chain
    (``raise ... from`` and the exceptions it happened during), then raised as usual. A
    returned object that is not plain data comes back described (`described`)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, force=True,
                            format="%(levelname)s %(name)s: %(message)s")
        logging.captureWarnings(True)
        try:
            value = func(*args, **kwargs)
        except BaseException as exc:
            traceback.print_exception(exc, file=sys.stderr)
            raise
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        return described(value)

    return call


def described(value: Any) -> Any:
    """Plain data as it is; any other object as ``{"__object__": its type, "repr": ...,
    "str": ..., "attributes": {public name: plain value}}``, so that the parent can read
    its fields and what printing it would show."""
    if isinstance(value, _PLAIN):
        return value
    return {"__object__": f"{type(value).__module__}.{type(value).__qualname__}",
            "repr": _text(repr, value), "str": _text(str, value),
            "attributes": _attributes(value)}


def _attributes(value: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(value):
        names = [f.name for f in dataclasses.fields(value)]
    else:
        names = [n for n in dir(value) if not n.startswith("_")]
    out: dict[str, Any] = {}
    for name in names[:_ATTRIBUTES]:
        try:
            attr = getattr(value, name)
        except Exception:  # noqa: BLE001, S112 - a property that raises is not an attribute
            continue
        if isinstance(attr, _PLAIN) and not callable(attr):
            out[name] = attr
    return out


def _text(show: Callable[[Any], str], value: Any) -> str:
    try:
        return show(value)[:2000]
    except Exception as exc:  # noqa: BLE001 - a failing __repr__ is an answer too
        return f"<{show.__name__} raised {type(exc).__name__}>"
