"""Assertions on calls to a learner's function in a child process, for a course's checks.py.

    with as_function(find_user, "find_user") as f:          # kernel object or subject
        rows = expect_value(call(f, path, "alice", what="find_user(conn, 'alice')"), ...)

Every failure is an AssertionError whose message names the learner's call and what came
back, never the grader's frames (`__tracebackhide__` marks these helpers for pytest).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from grader.snippets.python import CallResult, PythonFunction
from grader.snippets.wire import CallCrashed


@contextlib.contextmanager
def as_function(obj: Any, name: str, *, adapter: str = "") -> Iterator[PythonFunction]:
    """``obj`` as a function run in a child process: a `PythonFunction` as given (the
    controller made it from the submitted notebook), or a kernel function pickled into a
    child (``check()``), with the course's ``adapter`` (grader/attacks/adapters.py)."""
    if isinstance(obj, PythonFunction):
        yield obj
        return
    if obj is None or not callable(obj):
        raise AssertionError(f"{name} is not defined: run the cell that defines it")
    function = PythonFunction.from_callable(obj, name, adapter=adapter)
    try:
        yield function
    finally:
        function.close()


@contextlib.contextmanager
def as_functions(obj: Any, names: tuple[str, ...], *, adapter: str = ""
                 ) -> Iterator[dict[str, PythonFunction]]:
    """Several functions by name, from a dict: the controller's subject (name ->
    PythonFunction) or a kernel's ``globals()``."""
    if not isinstance(obj, dict):
        raise AssertionError(f"expected the notebook's namespace with {', '.join(names)}; "
                             f"got {type(obj).__name__}")
    with contextlib.ExitStack() as stack:
        yield {n: stack.enter_context(as_function(obj.get(n), n, adapter=adapter))
               for n in names}


def call(function: PythonFunction, *args: Any, what: str, deadline: float = 20.0) -> CallResult:
    """One call; a crash, a hang or a function that cannot be loaded is a failure, and the
    stub's NotImplementedError is raised here, so the row says "not implemented yet"."""
    __tracebackhide__ = True
    try:
        result = function.call(*args, deadline=deadline)
    except CallCrashed as exc:
        raise AssertionError(f"{what}: {exc}") from None
    if result.error is not None and result.error.is_a("NotImplementedError"):
        raise NotImplementedError(what)
    return result


def expect_value(result: CallResult, what: str) -> Any:
    __tracebackhide__ = True
    if result.error is not None:
        raise AssertionError(f"{what} raised {result.error.type_name}: "
                             f"{result.error.message[:200]}")
    return result.value


def expect_error(result: CallResult, kinds: tuple[str, ...], what: str, *, says: str = "",
                 not_kinds: tuple[str, ...] = ()) -> str:
    """The error's message, after checking it is one of ``kinds`` (short or qualified names)
    and mentions ``says`` (a regex, case-insensitive)."""
    __tracebackhide__ = True
    if result.error is None:
        raise AssertionError(f"{what} returned {short(result.value)}; expected "
                             f"{' or '.join(kinds)}")
    error = result.error
    if not error.is_a(*kinds) or (not_kinds and error.is_a(*not_kinds)):
        raise AssertionError(f"{what} raised {error.type_name}: {error.message[:160]}; "
                             f"expected {' or '.join(kinds)}")
    if says and not re.search(says, error.message, re.IGNORECASE):
        raise AssertionError(f"{what}: the message {error.message[:160]!r} does not say "
                             f"{says!r}")
    return error.message


def short(value: Any, limit: int = 80) -> str:
    """A capped repr; an object the adapters described (grader/attacks/adapters.py) by its
    own repr."""
    if isinstance(value, dict) and "__object__" in value:
        text = f"<{str(value['__object__']).rsplit('.', 1)[-1]}: {value.get('repr')}>"
        return text if len(text) <= limit else text[:limit] + "…"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"
