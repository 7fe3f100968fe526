"""Grade Go code: build a learner's package with a course harness, run it in fresh processes.

``build(package_dir, harness_dir)`` checks the learner's package against an allow-list of
standard imports, compiles it with the course's harness (package main) into a cached
binary, and raises GoBuildError / GoImportRefused with the learner's own file names when
that fails.  ``run(binary, request, timeout=...)`` starts that binary once per request
(a Go runtime can be neither unloaded nor forked) and returns a RunResult: the harness's
JSON answer from file descriptor 3, and a one-line ``crash`` read from Go's stderr.

In a notebook: ``fetch = build_go("fetch")`` (package.py) builds the folder beside it with
the course's harness and returns a GoPackage whose ``request(...)`` runs it; a chapter's
checks.py tests that object (testing.py), and a ``scenarios`` grade cell runs those tests in
the grading controller (grading.py).

The pieces: toolchain.py (which go, its environment), build.py, errors.py (build errors
a learner can read), run.py, crashes.py (panics, deadlocks, races), gradeproto/ (the Go
side of the protocol), ``python -m grader.golang warm`` (fill the build cache at install).

Imported eagerly, unlike grader.native's lazy wrappers: ``build`` and ``run`` are the names
of both a submodule and a function here, and the import system sets the package's
attribute to the submodule whenever that is first imported (``from grader.golang.build
import ...`` anywhere), so a lazy ``__getattr__`` would hand out the module.  Importing
them here first makes the function win for good.  It costs only standard-library modules
(a few ms): the one heavy import, grader.speed (numpy), waits until a cache folder is
needed (toolchain.cache_root).
"""

from __future__ import annotations

from grader.golang.build import DEFAULT_ALLOWED, build
from grader.golang.errors import GoBuildError, GoImportRefused
from grader.golang.package import GoPackage, build_go
from grader.golang.run import RunResult, run
from grader.golang.toolchain import GoNotFound, go_binary, go_env

__all__ = [
    "DEFAULT_ALLOWED",
    "GoBuildError",
    "GoImportRefused",
    "GoNotFound",
    "GoPackage",
    "RunResult",
    "build",
    "build_go",
    "go_binary",
    "go_env",
    "run",
]
