"""Build and run the small Go programs of a lesson (``course/go/<name>``) from a notebook.

    from grader.golang.lesson import run_program
    run_program("article_ai", "-url", server.dead_url(), timeout=3)

Why a separate runner and not ``grader.golang.run``: that one speaks the grading protocol
with a harness; a lesson program is a plain ``main`` package with flags that prints what it
saw, and the lesson wants that output as a learner would see it in a terminal. Why not
``go run``: it rebuilds on every call and its own process sits between us and the program,
so a timeout would kill ``go`` and leave the program running. Here each program is built
once per content into ``<cache_root()>/lesson-bin/<name>-<hash>`` and started directly, in
its own process group, so a timeout kills it and anything it started.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from grader.golang.toolchain import cache_root, go_env, prepare
from grader.lessonrun import ProgramRun, run_group
from grader.paths import file_lock, find_course_root, package_course_root

BUILD_TIMEOUT_S = 600.0
_CRASH_STARTS = ("panic:", "fatal error:")
_OWN_FRAME = "course/"  # with -trimpath, frames in the programs read course/<name>/main.go:N


class ProgramBuildError(RuntimeError):
    """``go build`` of a lesson program failed; the message holds the compiler's output."""


def programs_dir() -> Path:
    """``<course root>/course/go``, the Go module of the lesson programs; the root is looked
    up from the working directory (a lesson runs in ``course/``), else beside this package."""
    for root in (find_course_root(), package_course_root()):
        if root is not None and (root / "course" / "go" / "go.mod").is_file():
            return root / "course" / "go"
    raise FileNotFoundError("course/go/go.mod not found above the working directory or "
                            "beside the grader package: run this from inside the workbook")


def programs() -> list[str]:
    """The names of the lesson programs: the folders of course/go that hold Go files."""
    return sorted(p.name for p in programs_dir().iterdir()
                  if p.is_dir() and any(p.glob("*.go")))


def build_program(name: str) -> Path:
    """The binary of ``course/go/<name>``, built when go.mod, its ``*.go`` files or the Go
    version changed (an edit rebuilds, a rerun of the notebook does not). A file lock keeps
    two kernels from building it at once; the binary gets its final name only when whole."""
    known = programs()
    if name not in known:
        raise ValueError(f"unknown lesson program {name!r}; the programs in "
                         f"{programs_dir()} are: {', '.join(known)}")
    module, chain = programs_dir(), prepare()
    digest = hashlib.sha256(f"{chain.version_text}\0".encode())
    digest.update((module / "go.mod").read_bytes())
    for source in sorted((module / name).glob("*.go")):
        digest.update(f"\0{source.name}\0".encode() + source.read_bytes())
    binary = cache_root() / "lesson-bin" / f"{name}-{digest.hexdigest()[:16]}"
    if binary.is_file():
        return binary
    with file_lock(binary.parent / f".{name}.lock"):  # one per program, not per version
        if not binary.is_file():
            partial = binary.with_name(f"{binary.name}.{os.getpid()}.partial")
            proc = subprocess.run(
                [str(chain.go), "build", "-trimpath", "-o", str(partial), f"./{name}"],
                cwd=module, env=go_env(), capture_output=True, text=True,
                timeout=BUILD_TIMEOUT_S, check=False,
            )  # fmt: skip
            if proc.returncode != 0:
                partial.unlink(missing_ok=True)
                raise ProgramBuildError(f"go build ./{name} failed:\n{proc.stderr.strip()}")
            partial.replace(binary)
    return binary


class ProgramResult(ProgramRun):
    """What one run of a lesson program did (grader/lessonrun.py), a Go crash read from
    the runtime's stderr."""

    EXIT_WORDS = "exit status"

    def crash(self, max_lines: int = 12) -> list[str]:
        """A panic's or fatal error's first lines, down to the first frame in the program's
        own code (``main.go:N``): the part a reader needs, without every goroutine's stack."""
        lines = self.stderr.splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith(_CRASH_STARTS)), None)
        if start is None:
            return []
        shown = lines[start:start + max_lines]
        own = next((i for i, line in enumerate(shown) if line.strip().startswith(_OWN_FRAME)),
                   None)
        return shown[:own + 1] if own is not None else shown


def run_program(name: str, *args: str, timeout: float = 20.0, gomaxprocs: int | None = None,
                on_line: Callable[[str], None] | None = None) -> ProgramResult:
    """Build ``course/go/<name>`` (once) and run it with ``args``; kill it after ``timeout`` s.

    ``on_line`` is called with each stdout line as it arrives (from a reader thread), while
    the program is still alive: the moment to ask a server what the program holds open,
    since once it exits the kernel closes its sockets. ``gomaxprocs`` sets GOMAXPROCS.
    """
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    binary = build_program(name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    if gomaxprocs is not None:
        env["GOMAXPROCS"] = str(int(gomaxprocs))
    out, err, code, seconds, timed_out = run_group([str(binary), *map(str, args)], env=env,
                                                   timeout=timeout, on_line=on_line)
    return ProgramResult(name, tuple(map(str, args)), out, err, code, seconds, timed_out,
                         float(timeout))
