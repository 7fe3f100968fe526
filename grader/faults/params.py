"""Scenario parameters, parsed from a query string or from Python values and range-checked.

Why a class rather than a bare int(): every bad value, whether a typo in a notebook or
garbage sent by a learner's client, must come back as one clear message naming the
parameter and its allowed range, from `FaultServer.url()` (ValueError) and from the
server (a 400 response) alike. Upper bounds keep a URL from asking the server to sleep for
a day or to send a terabyte.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

Value = int | float | bool

_INT = re.compile(r"[+-]?\d{1,30}")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?")
_BOOL = {"1": True, "0": False, "true": True, "false": False}
_MAX_QUERY_FIELDS = 20


@dataclass(frozen=True)
class Param:
    """One named parameter of a scenario: int, float or bool (written 0/1), in [low, high]."""

    name: str
    kind: type
    default: Value
    low: Value = 0
    high: Value = 1
    doc: str = ""

    def describe(self) -> str:
        """e.g. ``size: int in [0, 536870912], default 11000000``."""
        if self.kind is bool:
            return f"{self.name}: 0 or 1, default {int(self.default)}"
        return (f"{self.name}: {self.kind.__name__} in [{_show(self.low)}, {_show(self.high)}],"
                f" default {_show(self.default)}")

    def from_text(self, text: str) -> Value:
        """Parse a query-string value strictly (no '1_000', no 'nan')."""
        text = text.strip()
        if self.kind is bool:
            if text.lower() not in _BOOL:
                raise self._error(text)
            return _BOOL[text.lower()]
        pattern = _INT if self.kind is int else _FLOAT
        if not pattern.fullmatch(text):
            raise self._error(text)
        return self._in_range(self.kind(text), text)

    def from_python(self, value: object) -> Value:
        """Check a value given to url()/body(); strings are parsed like a query string."""
        if isinstance(value, str):
            return self.from_text(value)
        if self.kind is bool:
            if value in (0, 1) and isinstance(value, int | bool):
                return bool(value)
            raise self._error(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._error(value)
        if self.kind is int:
            if isinstance(value, float) and not value.is_integer():
                raise self._error(value)
            return self._in_range(int(value), value)
        return self._in_range(float(value), value)

    def to_text(self, value: Value) -> str:
        """The canonical query-string form (what from_text reads back)."""
        if self.kind is bool:
            return "1" if value else "0"
        return str(int(value)) if self.kind is int else repr(float(value))

    def _in_range(self, value: int | float, shown: object) -> Value:
        if not math.isfinite(value) or not self.low <= value <= self.high:
            raise self._error(shown)
        return value

    def _error(self, got: object) -> ValueError:
        return ValueError(f"parameter {self.describe()}; got {got!r}")


def parse_query(query: str) -> dict[str, str]:
    """Query string -> {name: raw value}; a repeated name or a flood of fields is an error."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=_MAX_QUERY_FIELDS)
    except ValueError as exc:  # more than _MAX_QUERY_FIELDS
        raise ValueError(f"bad query string: {exc}") from None
    out: dict[str, str] = {}
    for name, value in pairs:
        if name in out:
            raise ValueError(f"parameter {name!r} given more than once")
        out[name] = value
    return out


def resolve(params: tuple[Param, ...], given: Mapping[str, object], *,
            text: bool) -> dict[str, Value]:
    """All parameters with defaults filled in; `text` says `given` came from a query string."""
    known = {p.name: p for p in params}
    unknown = [name for name in given if name not in known]
    if unknown:
        allowed = "; ".join(p.describe() for p in params) or "none"
        raise ValueError(f"unknown parameter {', '.join(map(repr, unknown))}; "
                         f"allowed: {allowed}")
    out: dict[str, Value] = {}
    for p in params:
        if p.name not in given:
            out[p.name] = p.default
        elif text:
            out[p.name] = p.from_text(str(given[p.name]))
        else:
            out[p.name] = p.from_python(given[p.name])
    return out


def _show(value: Value) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{value:.1f}"
    return str(value)
