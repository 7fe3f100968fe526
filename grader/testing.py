"""The public-test library used by each assignment's ``checks.py``.

A ``checks.py`` declares tests against the learner's object and groups them by the nbgrader
grade cell they belong to::

    suite = TestSuite()

    @suite.test("normalize_values")
    def sums_to_one(normalize):
        out = normalize([1, 2, 3])
        assert_array(out, [1 / 6, 2 / 6, 3 / 6], call="normalize([1, 2, 3])")

The same tests serve ``check()`` in the live kernel and the visible part of the grade cell
(``assert_checks``), so what a learner sees is exactly what the grader runs before its
hidden tests.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_TIMEOUT = 20.0
_REASON_LIMIT = 300
_MESSAGE_LIMIT = 4000


@dataclass(frozen=True)
class PublicTest:
    grade_id: str
    name: str
    doc: str
    func: Callable[[Any], None]
    timeout: float | None = None  # overrides the suite's limit (e.g. a speed measurement)


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class

    grade_id: str
    name: str
    doc: str
    passed: bool
    reason: str
    seconds: float
    detail: Any = None  # something displayable (a speed chart), shown under the table
    message: str = ""  # the whole failure message; ``reason`` is its first 300 characters


class TestTimeout(Exception):
    """A public test ran longer than its limit (an infinite loop, or far too slow)."""


class TestSuite:
    """Tests of one assignment, keyed by nbgrader grade id."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self._tests: list[PublicTest] = []

    def test(self, grade_id: str, *, timeout: float | None = None
             ) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
        """Decorator registering a test of the grade cell ``grade_id``; ``timeout`` (seconds,
        > 0) replaces the default limit for a test that is slow by design."""
        if not grade_id or not isinstance(grade_id, str):
            raise ValueError(f"grade_id must be a non-empty string, got {grade_id!r}")
        if timeout is not None and (isinstance(timeout, bool) or
                                    not isinstance(timeout, int | float) or timeout <= 0):
            raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")

        def register(func: Callable[[Any], None]) -> Callable[[Any], None]:
            doc = (func.__doc__ or func.__name__.replace("_", " ")).strip().splitlines()[0]
            self._tests.append(PublicTest(grade_id, func.__name__, doc, func, timeout))
            return func

        return register

    def grade_ids(self) -> list[str]:
        return list(dict.fromkeys(t.grade_id for t in self._tests))

    def tests_for(self, grade_id: str) -> list[PublicTest]:
        return [t for t in self._tests if t.grade_id == grade_id]

    def run(self, grade_id: str, obj: Any, timeout: float = DEFAULT_TIMEOUT) -> list[TestResult]:
        """Run every test of ``grade_id`` against ``obj``; never raises for a failing test."""
        return [run_one(test, obj, test.timeout or timeout) for test in self.tests_for(grade_id)]


def run_one(test: PublicTest, obj: Any, timeout: float) -> TestResult:
    start = time.perf_counter()
    try:
        with time_limit(timeout):
            shown = test.func(obj)
    except AssertionError as exc:
        reason = str(exc) or "assertion failed"
        return _result(test, False, reason, start, getattr(exc, "report", None))
    except TestTimeout:
        return _result(test, False, f"did not finish within {timeout:g} s", start)
    except NotImplementedError:
        return _result(test, False, "not implemented yet (raises NotImplementedError)", start)
    except Exception as exc:  # learner code can raise anything; report it in one line
        return _result(test, False, f"raised {type(exc).__name__}: {exc}", start)
    return _result(test, True, "", start, shown if hasattr(shown, "_repr_html_") else None)


def _result(test: PublicTest, passed: bool, reason: str, start: float,
            detail: Any = None) -> TestResult:
    message = " ".join(reason.split())
    reason = message if len(message) <= _REASON_LIMIT else message[: _REASON_LIMIT - 1] + "…"
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 1] + "…"
    elapsed = time.perf_counter() - start
    return TestResult(test.grade_id, test.name, test.doc, passed, reason, elapsed, detail,
                      message)


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TestTimeout in the main thread after ``seconds`` (a no-op off the main thread,
    where signals cannot be delivered; the notebook runner's cell timeout covers that case)."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def _expire(signum: int, frame: Any) -> None:
        raise TestTimeout

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------------------------------
# Assertion helpers: each failure message says what was called, what came back, and what
# was expected, in one line a learner can act on.


def short(value: Any, limit: int = 80) -> str:
    """A one-line repr, shortened for tables."""
    if isinstance(value, np.ndarray):
        text = np.array2string(value, threshold=6, edgeitems=2, precision=4, separator=", ")
        text = f"array({' '.join(text.split())}, dtype={value.dtype})"
    else:
        text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def raises(
    expected: type[BaseException] | tuple[type[BaseException], ...],
    func: Callable[..., Any], *args: Any,
    match: str | None = None, call: str | None = None, **kwargs: Any,
) -> BaseException:
    """Assert ``func(*args, **kwargs)`` raises ``expected`` whose message matches ``match``
    (a case-insensitive regular expression); return the exception."""
    call = call or f"{getattr(func, '__name__', 'function')}({', '.join(map(short, args))})"
    wanted = " or ".join(e.__name__ for e in (expected if isinstance(expected, tuple) else
                                               (expected,)))
    try:
        value = func(*args, **kwargs)
    except expected as exc:
        message = str(exc)
        if match and not re.search(match, message, flags=re.IGNORECASE):
            raise AssertionError(
                f"{call} raised {type(exc).__name__}({message!r}) but the message should "
                f"name the problem (expected it to mention /{match}/)"
            ) from None
        return exc
    except NotImplementedError:
        raise
    except Exception as exc:
        raise AssertionError(
            f"{call} raised {type(exc).__name__}: {exc}; expected {wanted}"
        ) from None
    raise AssertionError(f"{call} returned {short(value)}; expected it to raise {wanted}")


def assert_array(
    actual: Any, expected: Any, *, call: str, dtype: Any = np.float64,
    rtol: float = 1e-12, atol: float = 0.0,
) -> None:
    """Assert ``actual`` is a NumPy array of ``dtype`` with ``expected``'s shape and values."""
    expected = np.asarray(expected)
    if not isinstance(actual, np.ndarray):
        raise AssertionError(f"{call} returned {type(actual).__name__}; expected a NumPy array")
    if dtype is not None and actual.dtype != np.dtype(dtype):
        raise AssertionError(f"{call} returned dtype {actual.dtype}; expected {np.dtype(dtype)}")
    if actual.shape != expected.shape:
        raise AssertionError(f"{call} returned shape {actual.shape}; expected {expected.shape}")
    if not np.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=False):
        bad = np.flatnonzero(~np.isclose(actual, expected, rtol=rtol, atol=atol).ravel())
        i = int(bad[0])
        raise AssertionError(
            f"{call}: element {i} is {actual.ravel()[i].item()!r}, "
            f"expected {expected.ravel()[i].item()!r} "
            f"({bad.size} of {expected.size} values differ)"
        )
