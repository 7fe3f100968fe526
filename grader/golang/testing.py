"""Helpers for a chapter's tests of Go code (its checks.py): one readable line per failure.

A test receives the :class:`~grader.golang.package.GoPackage` the notebook built (or None
when it did not build), runs requests through it and reads the harness's answers with
:func:`answer`, which turns a crash of the learner's process (a panic in a goroutine, a
deadlock, a hang, a data race) into an AssertionError naming the call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from grader.golang.errors import GoBuildError, GoImportRefused
from grader.golang.run import RunResult
from grader.golang.toolchain import GoNotFound


def go_test(func: Callable[[Any], None]) -> Callable[[Any], None]:
    """Decorator for a public test of a Go package: a package that is not built, does not
    compile or imports what it may not becomes an AssertionError with the reason."""

    @functools.wraps(func)
    def wrapper(pkg: Any) -> None:
        __tracebackhide__ = True
        if pkg is None:
            raise AssertionError("the Go package is not built: run the cell with "
                                 "build_go(...) and fix the errors it shows")
        try:
            func(pkg)
        except (GoBuildError, GoImportRefused, GoNotFound) as exc:
            raise AssertionError(str(exc)) from None

    return wrapper


def answer(result: RunResult, what: str) -> dict[str, Any]:
    """The harness's response to a request, or AssertionError saying why there is none."""
    __tracebackhide__ = True
    if result.crash:
        raise AssertionError(f"{what} ended its process: {result.crash}")
    response = result.response
    if not isinstance(response, dict):
        raise AssertionError(f"{what}: the harness gave no answer (exit code "
                             f"{result.exit_code})")
    if "protocol_error" in response:
        raise AssertionError(f"{what}: the harness refused the request: "
                             f"{response['protocol_error']}")
    calls = response.get("calls")
    if not isinstance(calls, list) or not calls:
        raise AssertionError(f"{what}: the harness's answer has no calls")
    return dict(response)
