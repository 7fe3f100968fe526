"""Run a built harness once: one JSON request in, one JSON response out, in a fresh process.

A Go runtime cannot be unloaded from a process, nor safely forked once started, so every
call is a new process.  The child starts in its own session (its own process group, no
terminal) with:

* stdin: the request, then end of file;
* file descriptor 3: a pipe only the harness writes its response to (gradeproto), read
  here to end of file and capped at 64 MB;
* stdout and stderr: pipes drained all along (a full pipe would block the child) and
  kept as tails; stderr is where the Go runtime reports panics, deadlocks and races.

It is started with ``os.posix_spawn``, not subprocess: subprocess can pass a pipe to the
child only under the number it has here, and moving it to 3 would take a ``preexec_fn``,
which is unsafe in a multi-threaded parent such as a Jupyter kernel (see
grader/sandbox/launcher.py).  posix_spawn's file actions do the ``dup2`` in C.

The child does not inherit our environment (it could hold tokens, and net/http reads
proxy settings from it): it gets ``LANG``, ``PATH``, ``GOMAXPROCS`` when asked, and ``env``.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import selectors
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.golang.crashes import describe

RESPONSE_FD = 3
MAX_RESPONSE_BYTES = 64 << 20
STDERR_KEPT_BYTES = 256 << 10  # enough for a whole panic or race report
TAIL_BYTES = 4096
_CHUNK = 65536
_DRAIN_GRACE_S = 3.0  # after the child is gone, how long to wait for its pipes to close
_OUTPUTS = ("stdout", "stderr", "response")
_BASE_ENV = {"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"}


@dataclass(frozen=True)
class RunResult:
    """How one run went.

    response: the harness's JSON object, or None if it did not answer (or answered
        something that is not a JSON object: then ``crash`` says so).
    crash: None for a clean run, else one line a learner can read ("panicked: ...
        (fetch.go:12)", "deadlock: ...", "data race detected (fetch.go:30)",
        "timed out after 5.0 s (killed)", "exited with status 1 before answering", ...).
    exit_code: the exit status, negative for a signal (-9: SIGKILL), as in subprocess.
    stderr_tail, stdout_tail: the last ~4 KB of each, decoded.
    seconds: wall-clock time from start to exit.
    inspected: what ``run(..., inspect=...)`` returned, else None.
    """

    response: dict[str, Any] | None
    crash: str | None
    exit_code: int | None
    stderr_tail: str
    stdout_tail: str
    seconds: float
    inspected: Any = None

    @property
    def ok(self) -> bool:
        """Answered, and ended without any crash."""
        return self.crash is None and self.response is not None


def _encode_request(request: object) -> bytes:
    if not isinstance(request, dict):
        raise ValueError(f"request must be a dict (a JSON object), got {type(request).__name__}")
    try:
        return json.dumps(request, allow_nan=False).encode() + b"\n"
    except (TypeError, ValueError) as exc:
        raise ValueError(f"request is not JSON-serialisable: {exc}") from None


def _child_env(gomaxprocs: int | None, env: Mapping[str, str] | None) -> dict[str, str]:
    result = dict(_BASE_ENV)
    if gomaxprocs is not None:
        if isinstance(gomaxprocs, bool) or not isinstance(gomaxprocs, int) or gomaxprocs < 1:
            raise ValueError(f"gomaxprocs must be a positive int or None, got {gomaxprocs!r}")
        result["GOMAXPROCS"] = str(gomaxprocs)
    for key, value in (env or {}).items():
        if not isinstance(key, str) or not isinstance(value, str) or "=" in key or not key:
            raise ValueError(f"env entries must be str names and values, got {key!r}={value!r}")
        result[key] = value
    return result


def _high_fd(fd: int) -> int:
    """``fd`` moved to a number above 3 (close-on-exec), so no dup2 below overwrites it."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


def _inherited_fds(keep: set[int]) -> list[int]:
    """Our descriptors a child would inherit (not close-on-exec), besides ``keep``."""
    found: list[int] = []
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:  # no /proc: rely on close-on-exec, Python's default for every fd
        return found
    for name in names:
        fd = int(name)
        if fd in keep:
            continue
        try:
            if os.get_inheritable(fd):
                found.append(fd)
        except OSError:
            pass  # the listing's own descriptor, already closed
    return found


def _spawn(binary: Path, env: dict[str, str], child_fds: tuple[int, int, int, int]) -> int:
    actions: list[tuple[int, ...]] = [
        (os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(child_fds)
    ]
    actions += [(os.POSIX_SPAWN_CLOSE, fd) for fd in _inherited_fds({0, 1, 2, 3})]
    return os.posix_spawn(
        str(binary), [str(binary)], env, file_actions=actions, setsid=True,
        setsigmask=(), setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),
    )  # fmt: skip


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class _Tail:
    """The last ``cap`` bytes written to it."""

    def __init__(self, cap: int) -> None:
        self.cap, self.data = cap, bytearray()

    def add(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > self.cap:
            del self.data[: len(self.data) - self.cap]

    def text(self, last: int = TAIL_BYTES) -> str:
        return bytes(self.data[-last:]).decode("utf-8", "replace")


def run(
    binary: str | os.PathLike[str],
    request: dict[str, Any],
    *,
    timeout: float,
    gomaxprocs: int | None = None,
    env: Mapping[str, str] | None = None,
    inspect: Callable[[dict[str, Any]], Any] | None = None,
) -> RunResult:
    """Run ``binary`` (from :func:`grader.golang.build`) on ``request``; see the module doc.

    ``timeout`` (seconds, wall clock) ends the run by killing its whole process group.
    ``inspect``, when given, is called with the response as soon as it is complete and
    before stdin is closed (a harness that reads stdin to its end after answering is
    still alive then); its return value becomes ``RunResult.inspected``, its time does
    not count against ``timeout``, and an exception from it kills the run and propagates.
    Without ``inspect``, stdin is closed right after the request.

    Raises FileNotFoundError for a missing binary and ValueError for a request that is
    not a JSON-serialisable dict, a timeout that is not a positive number, a bad
    ``gomaxprocs`` or ``env``.  Everything the program does wrong is in the result.
    """
    path = Path(binary)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise FileNotFoundError(f"no executable harness at {path}")
    payload = _encode_request(request)
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not (math.isfinite(timeout) and timeout > 0)
    ):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if inspect is not None and not callable(inspect):
        raise ValueError(f"inspect must be callable or None, got {inspect!r}")
    child_env = _child_env(gomaxprocs, env)

    pipes = [os.pipe() for _ in range(4)]  # stdin, stdout, stderr, response
    pipes = [(_high_fd(r), _high_fd(w)) for r, w in pipes]
    (in_r, in_w), (out_r, out_w), (err_r, err_w), (resp_r, resp_w) = pipes
    started = time.monotonic()
    try:
        pid = _spawn(path, child_env, (in_r, out_w, err_w, resp_w))
    except BaseException:
        for fd in (fd for pair in pipes for fd in pair):
            os.close(fd)
        raise
    for fd in (in_r, out_w, err_w, resp_w):
        os.close(fd)
    child = _Child(pid, payload, in_w, out_r, err_r, resp_r, started, float(timeout), inspect)
    return child.supervise()


class _Child:
    """One running harness: feeds its stdin, drains its pipes, enforces the deadline."""

    def __init__(
        self, pid: int, payload: bytes, in_w: int, out_r: int, err_r: int, resp_r: int,
        started: float, timeout: float, inspect: Callable[[dict[str, Any]], Any] | None,
    ) -> None:  # fmt: skip
        self.pid, self.payload, self.sent = pid, payload, 0
        self.in_w, self.fds = in_w, (out_r, err_r, resp_r)
        self.started, self.timeout, self.deadline = started, timeout, started + timeout
        self.inspect, self.inspected = inspect, None
        self.stdout, self.stderr = _Tail(TAIL_BYTES), _Tail(STDERR_KEPT_BYTES)
        self.response = bytearray()
        self.oversized = self.timed_out = False
        self.status: int | None = None
        self.gone_at: float | None = None  # when the child exited or was killed
        self.sel = selectors.DefaultSelector()
        try:
            self.pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.pidfd = None  # old kernel: poll waitpid instead

    def _close_stdin(self) -> None:
        if self.in_w >= 0:
            if self.in_w in self.sel.get_map():
                self.sel.unregister(self.in_w)
            os.close(self.in_w)
            self.in_w = -1

    def _write_stdin(self) -> None:
        try:
            self.sent += os.write(self.in_w, self.payload[self.sent : self.sent + _CHUNK])
        except BlockingIOError:
            return
        except BrokenPipeError:  # it exited or closed stdin: it has had enough
            self.sent = len(self.payload)
        if self.sent >= len(self.payload):
            if self.inspect is None:
                self._close_stdin()
            else:
                self.sel.unregister(self.in_w)  # kept open until the response is inspected

    def _answered(self) -> None:
        """The response pipe is at its end: inspect the answer, then let the child go."""
        if self.inspect is not None:
            parsed, _ = _parse_response(bytes(self.response), self.oversized)
            if parsed is not None:
                before = time.monotonic()
                self.inspected = self.inspect(parsed)
                self.deadline += time.monotonic() - before
        self._close_stdin()

    def _read(self, key: selectors.SelectorKey) -> None:
        chunk = os.read(key.fd, _CHUNK)
        if not chunk:
            self.sel.unregister(key.fd)
            if key.data == "response":
                self._answered()
        elif key.data == "stdout":
            self.stdout.add(chunk)
        elif key.data == "stderr":
            self.stderr.add(chunk)
        elif len(self.response) + len(chunk) > MAX_RESPONSE_BYTES:
            self.oversized = True
            _kill_group(self.pid)
            self.sel.unregister(key.fd)
        else:
            self.response += chunk

    def _reap(self) -> None:
        reaped, raw = os.waitpid(self.pid, os.WNOHANG)
        if reaped:
            self.status = raw
            self.gone_at = self.gone_at or time.monotonic()
            if self.pidfd is not None:
                self.sel.unregister(self.pidfd)

    def _loop(self) -> None:
        for fd in (self.in_w, *self.fds):
            os.set_blocking(fd, False)
        self.sel.register(self.in_w, selectors.EVENT_WRITE, "stdin")
        for fd, name in zip(self.fds, _OUTPUTS, strict=True):
            self.sel.register(fd, selectors.EVENT_READ, name)
        if self.pidfd is not None:
            self.sel.register(self.pidfd, selectors.EVENT_READ, "exit")
        while True:
            if self.status is None:
                self._reap()
            outputs_open = any(k.data in _OUTPUTS for k in self.sel.get_map().values())
            now = time.monotonic()
            if self.status is not None and not outputs_open:
                return
            if self.gone_at is not None and now - self.gone_at > _DRAIN_GRACE_S:
                return
            if not self.timed_out and now > self.deadline:
                self.timed_out, self.gone_at = True, now
                _kill_group(self.pid)
            wait = 0.05 if self.pidfd is None else max(0.0, self.deadline - now) + 0.01
            if self.gone_at is not None:
                wait = min(wait, 0.05)
            for key, _ in self.sel.select(timeout=wait):
                if key.data == "stdin":
                    self._write_stdin()
                elif key.data in _OUTPUTS:
                    self._read(key)
                # "exit": reaped at the top of the loop

    def supervise(self) -> RunResult:
        try:
            self._loop()
        finally:
            if self.status is None:
                _kill_group(self.pid)
                self.status = os.waitpid(self.pid, 0)[1]
            self.sel.close()
            for fd in (self.in_w, *self.fds, self.pidfd):
                if fd is not None and fd >= 0:
                    os.close(fd)
        exit_code = os.waitstatus_to_exitcode(self.status)
        parsed, problem = _parse_response(bytes(self.response), self.oversized)
        crash = describe(
            exit_code=exit_code, answered=parsed is not None,
            stderr=self.stderr.text(STDERR_KEPT_BYTES),
            timed_out=self.timeout if self.timed_out else None,
        )  # fmt: skip
        if problem and not self.timed_out:
            crash = problem  # says more than "killed by SIGKILL" or "exited before answering"
        return RunResult(
            response=parsed, crash=crash, exit_code=exit_code,
            stderr_tail=self.stderr.text(), stdout_tail=self.stdout.text(),
            seconds=time.monotonic() - self.started, inspected=self.inspected,
        )  # fmt: skip


def _parse_response(data: bytes, oversized: bool) -> tuple[dict[str, Any] | None, str | None]:
    """The response object, or None and why not (None, None: no answer at all)."""
    if oversized:
        return None, f"answered more than {MAX_RESPONSE_BYTES >> 20} MB (killed)"
    if not data.strip():
        return None, None
    try:
        value = json.loads(data)
    except ValueError as exc:
        return None, f"answered something that is not JSON ({exc})"
    if not isinstance(value, dict):
        return None, f"answered a JSON {type(value).__name__}, not an object"
    return value, None
