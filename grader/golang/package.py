"""A learner's Go package, built with a course harness, as the notebook and the grader use it.

``fetch = build_go("fetch")`` in a notebook builds the folder ``fetch/`` beside it together
with the course's harness (``harness/``) and shows the compiler's errors when it does not
build. ``fetch.request("FetchData", url=..., limit=...)`` then runs the harness in a fresh
process for that one request (grader/golang/run.py says why a fresh process each time) and
returns what it answered, or why it did not.

The same object is what the trusted tests of a chapter (its checks.py) receive: in the
learner's kernel for ``check()``, and in the grading controller, where the package is built
from the submitted files and the harness from the course's own copy
(grader/golang/grading.py).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grader.golang.build import build
from grader.golang.errors import GoBuildError, GoImportRefused
from grader.golang.run import RunResult, run
from grader.golang.toolchain import GoNotFound

DEFAULT_TIMEOUT = 30.0  # seconds one request may take before its process is killed


class GoPackage:
    """A Go package (``folder``) and the harness (``harness``) that calls it."""

    def __init__(self, folder: Path | str, harness: Path | str) -> None:
        self.folder = Path(folder).resolve()
        self.harness = Path(harness).resolve()
        for what, path in (("package", self.folder), ("harness", self.harness)):
            if not path.is_dir():
                raise FileNotFoundError(f"{path}: no such folder (the Go {what})")
        self._binaries: dict[bool, Path] = {}

    def __repr__(self) -> str:
        return f"<Go package {self.folder.name} (harness {self.harness.name})>"

    def binary(self, *, race: bool = False) -> Path:
        """The harness binary built with this package (``race``: with the race detector);
        built on first use, cached by content under .cache/go/bin. Raises GoBuildError,
        GoImportRefused or GoNotFound with a message meant for the learner."""
        if race not in self._binaries:
            self._binaries[race] = build(self.folder, self.harness, race=race)
        return self._binaries[race]

    def request(self, op: str, /, *, timeout: float = DEFAULT_TIMEOUT,
                gomaxprocs: int | None = None, race: bool = False,
                inspect: Callable[[dict[str, Any]], Any] | None = None,
                **fields: Any) -> RunResult:
        """Run the harness once on ``{"op": op, **fields}``.

        ``inspect`` is called with the response while the harness process is still alive
        (it waits for its stdin to close): a test looks at the fault server then, so that
        connections the learner's code left open are counted before the process exit
        closes them. Its return value is ``RunResult.inspected``.
        """
        if not isinstance(op, str) or not op:
            raise ValueError(f"op must be a non-empty string, got {op!r}")
        if not (isinstance(timeout, int | float) and timeout > 0):
            raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
        return run(self.binary(race=race), {"op": op, **fields}, timeout=float(timeout),
                   gomaxprocs=gomaxprocs, inspect=inspect)


def build_go(package: str, /, *, harness: str = "harness", folder: Path | str | None = None,
             raise_error: bool = False, quiet: bool = False) -> GoPackage | None:
    """Build the Go package in ``folder/package`` (default: the current folder, the
    notebook's) with the harness in ``folder/harness``; return it, ready to run.

    A package that does not build (compiler errors, a refused import) or a machine without
    Go prints the reason and returns None, so a notebook cell shows the message instead of a
    traceback; ``raise_error=True`` raises instead (grade cells). ``quiet`` drops the
    success line.
    """
    __tracebackhide__ = True
    base = Path(folder) if folder is not None else Path(os.getcwd())
    start = time.perf_counter()
    try:
        built = GoPackage(base / package, base / harness)
        built.binary()
    except (GoBuildError, GoImportRefused, GoNotFound, FileNotFoundError) as exc:
        if raise_error:
            raise
        print(f"{package}: not built\n{exc}")
        return None
    if not quiet:
        print(f"{package}: built in {time.perf_counter() - start:.1f} s")
    return built
