"""Test helpers for compiled extensions: counted allocations and Rust panics.

These counts are for the learner's own ``check()`` table, in the kernel, where notebook code
can reach them. Graded allocation cells are decided elsewhere: counted at the C library in a
fresh process that loads only the built crate (grader/native/allocations.py).

Allocation counts come from the crate's ``#[global_allocator]`` (``alloc_counter``), read
through the module's ``alloc_totals() -> (events, bytes, resets)``. Those totals never go
down, so a count taken as "totals after minus totals before" cannot be hidden by code that
resets the counter inside the call; the reset itself is reported. The ``alloc_totals``
function is remembered when ``build()`` loads a module, before any learner function runs,
so a function that replaces the module's attribute later does not change what is read.

A Rust panic (``todo!()``, an index out of range) reaches Python as PyO3's
``PanicException``, which derives from ``BaseException``: ``except Exception`` does not catch
it. :func:`rust_test` turns it into an AssertionError with a readable reason, so a public
test reports a failing row instead of breaking the whole ``check()`` table.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from grader.testing import short

_COUNTERS: weakref.WeakKeyDictionary[ModuleType, Callable[[], tuple[int, int, int]]] = (
    weakref.WeakKeyDictionary()
)


def remember_counter(module: ModuleType) -> None:
    """Keep ``module.alloc_totals`` as loaded (called by ``build()`` right after import)."""
    totals = getattr(module, "alloc_totals", None)
    if callable(totals) and module not in _COUNTERS:
        _COUNTERS[module] = totals


def _totals(module: ModuleType) -> tuple[int, int, int]:
    totals = _COUNTERS.get(module) or getattr(module, "alloc_totals", None)
    if not callable(totals):
        raise AssertionError(f"module {getattr(module, '__name__', module)!r} has no "
                             "alloc_totals(): it was not built from the course's crate")
    events, size, resets = totals()
    return int(events), int(size), int(resets)


@dataclass(frozen=True)
class AllocationCount:
    """Rust heap allocations per call, averaged over ``calls`` calls after a warm-up call."""

    events: float  # allocations + reallocations per call
    bytes: float  # bytes requested per call
    calls: int
    resets: int  # how many times the code under test reset the counter (should be 0)

    def describe(self) -> str:
        text = (f"{self.events:g} Rust heap allocation{'s' if self.events != 1 else ''} "
                f"({self.bytes:,.0f} bytes) per call")
        if self.resets:
            text += (f"; the code also reset the allocation counter {self.resets} time"
                     f"{'s' if self.resets != 1 else ''}, which does not lower this count")
        return text


def count_allocations(module: ModuleType, func: Callable[..., Any], *args: Any,
                      calls: int = 20) -> tuple[AllocationCount, Any]:
    """Call ``func(*args)`` once to warm up, then ``calls`` times, counting Rust allocations.

    Returns the count and the warm-up call's result. ``calls`` must be a positive int
    (ValueError). Exceptions from ``func`` propagate.
    """
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 1:
        raise ValueError(f"calls must be a positive int, got {calls!r}")
    first = func(*args)  # first-call work (lazy statics, type objects) is not per-call cost
    events0, bytes0, resets0 = _totals(module)
    for _ in range(calls):
        func(*args)
    events1, bytes1, resets1 = _totals(module)
    count = AllocationCount((events1 - events0) / calls, (bytes1 - bytes0) / calls, calls,
                            resets1 - resets0)
    return count, first


_ANY = object()


def assert_allocations(module: ModuleType, func: Callable[..., Any], *args: Any,
                       max_events: float, max_bytes: float | None = None, call: str,
                       calls: int = 20, why: str = "", expected: Any = _ANY) -> AllocationCount:
    """Raise AssertionError unless ``func(*args)`` makes at most ``max_events`` Rust heap
    allocations (and ``max_bytes`` bytes) per call and never resets the counter.

    With ``expected``, the call must also return that value: a function that allocates
    nothing because it does not do the work earns nothing here. The message says what was
    called, what was counted and what was allowed; ``why`` is appended as the likely cause.
    """
    count, first = count_allocations(module, func, *args, calls=calls)
    if expected is not _ANY and first != expected:
        raise AssertionError(f"{call} returned {short(first)}; expected {short(expected)} "
                             "(allocations are only counted for a right answer)")
    too_many = count.events > max_events or (max_bytes is not None and count.bytes > max_bytes)
    if too_many or count.resets:
        allowed = f"at most {max_events:g}"
        if max_bytes is not None:
            allowed += f" ({max_bytes:,.0f} bytes)"
        raise AssertionError(f"{call}: counted {count.describe()}; allowed {allowed}"
                             + (f". {why}" if why and too_many else ""))
    return count


def is_rust_panic(exc: BaseException) -> bool:
    """True for PyO3's ``PanicException`` (each extension defines its own class)."""
    return type(exc).__name__ == "PanicException"


def panic_reason(exc: BaseException) -> str:
    """One line for a learner: a ``todo!()`` says the function is not written yet, anything
    else is a panic with its message. (Not worded "not implemented ..." on purpose: that
    prefix makes assert_checks tell the learner to write code in a notebook cell.)"""
    message = " ".join(str(exc).split())
    if message.startswith("not yet implemented"):
        detail = message.removeprefix("not yet implemented").lstrip(": ")
        return ("todo!() still runs: the Rust function in src/lib.rs is not written yet"
                + (f" ({detail})" if detail else ""))
    return f"the Rust code panicked: {message or type(exc).__name__}"


def rust_test(func: Callable[[Any], None]) -> Callable[[Any], None]:
    """Decorator for a public test: a Rust panic inside becomes an AssertionError whose text
    is :func:`panic_reason` (anything else passes through unchanged)."""

    @functools.wraps(func)
    def wrapper(obj: Any) -> None:
        __tracebackhide__ = True
        if obj is None:
            raise AssertionError("the crate is not built: run the cell with build(...) and "
                                 "fix the errors it shows")
        try:
            func(obj)
        except BaseException as exc:
            if is_rust_panic(exc):
                raise AssertionError(panic_reason(exc)) from None
            raise

    return wrapper


def describe_args(*args: Any) -> str:
    """``short()`` of each argument, for the ``call=`` text of a failure message."""
    return ", ".join(short(a, 40) for a in args)
