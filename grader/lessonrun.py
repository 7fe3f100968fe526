"""Running a lesson's small programs (Go in chapter 06, Node in chapter 02) from a notebook.

    result = run_group([binary, *args], timeout=10)     # -> ProgramRun fields, as a tuple
    display(result)                                      # stdout, the crash, "exit code 0..."

Each program runs in its own process group, with stdin closed and a time limit: at the limit
the whole group is killed (an open socket or a pending timer never hangs a cell), and the
result says so. Why not ``subprocess.run(..., timeout=...)``: it kills only the direct child
and then waits for the pipes, which a grandchild may hold open for ever. `ProgramRun` is
how a result shows in a notebook; each language says what its crash looks like.
"""

from __future__ import annotations

import contextlib
import html
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any, ClassVar


@dataclass(frozen=True)
class ProgramRun:
    """What one run of a lesson program did. ``exit_code`` is negative for a signal (-9 when
    the time limit killed it); ``timed_out`` says the limit did."""

    name: str
    args: tuple[str, ...]
    stdout: str
    stderr: str
    exit_code: int
    seconds: float
    timed_out: bool
    timeout: float

    # Show stderr of a run that exited 0 (Node's warnings) or only of one that failed.
    STDERR_ON_SUCCESS: ClassVar[bool] = False
    EXIT_WORDS: ClassVar[str] = "exit code"

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def crash(self) -> list[str]:
        """The lines of stderr that say why the program died ([] for none): per language."""
        return []

    def status(self) -> str:
        if self.timed_out:
            return f"killed after {self.timeout:g} s: still running when the time limit ran out"
        if self.exit_code < 0:
            return f"killed by signal {-self.exit_code} after {self.seconds:.1f} s"
        return f"{self.EXIT_WORDS} {self.exit_code} after {self.seconds:.2f} s"

    def _parts(self) -> tuple[str, str, str]:
        crash = self.crash()
        shown = self.STDERR_ON_SUCCESS or self.exit_code != 0
        other = "" if crash or not shown else self.stderr.strip()[-2000:]
        return self.stdout.rstrip(), "\n".join(crash) or other, self.status()

    def __str__(self) -> str:
        return "\n".join(part for part in self._parts() if part)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))  # IPython's text/plain: the output, not the dataclass fields

    def _repr_html_(self) -> str:
        out, err, status = (html.escape(part) for part in self._parts())
        color = "#1a7f37" if self.exit_code == 0 else "#cf222e"
        pieces = [f"<pre style='margin:0'>{out}</pre>" if out else "",
                  f"<pre style='margin:0;color:#cf222e'>{err}</pre>" if err else "",
                  f"<pre style='margin:0;color:{color};font-weight:bold'>{status}</pre>"]
        return "<div>" + "".join(pieces) + "</div>"


def run_group(command: Sequence[str], *, timeout: float, env: dict[str, str] | None = None,
              cwd: str | os.PathLike[str] | None = None,
              on_line: Callable[[str], None] | None = None
              ) -> tuple[str, str, int, float, bool]:
    """Run ``command`` in a process group of its own; (stdout, stderr, exit code, seconds,
    timed out). At ``timeout`` seconds, or when the cell is interrupted, the whole group is
    killed (an interrupt is raised again after that).

    ``on_line`` is called with each stdout line as it arrives (from a reader thread), while
    the program is still alive: the moment to ask a server what the program holds open.
    An exception it raises is raised here once the run is over.
    """
    start = time.monotonic()
    proc = subprocess.Popen(list(command), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True)
    out: list[str] = []
    err: list[str] = []
    failed: list[BaseException] = []

    def pump(stream: IO[bytes], into: list[str], callback: Callable[[str], None] | None) -> None:
        for raw in stream:  # keeps reading after a failed callback: a full pipe would block
            into.append(raw.decode("utf-8", "replace"))
            if callback is not None and not failed:
                try:
                    callback(into[-1].rstrip("\n"))
                except Exception as exc:
                    failed.append(exc)

    readers = [threading.Thread(target=pump, args=(proc.stdout, out, on_line), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, err, None), daemon=True)]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        proc.wait(timeout)
    except BaseException as exc:  # the limit, or the learner interrupting the cell
        timed_out = isinstance(exc, subprocess.TimeoutExpired)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # not reaped yet: the group id is still ours
        proc.wait()
        if not timed_out:
            raise
    seconds = time.monotonic() - start
    for reader in readers:
        reader.join(5.0)
    if failed:
        raise failed[0]
    return "".join(out), "".join(err), proc.returncode, seconds, timed_out
