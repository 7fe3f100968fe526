"""The parent's handle on one worker process: start, talk with deadlines, watch, stop.

Every wait on a worker is bounded: it ends with the reply, or with a `WorkerFailure` when
the worker died (os._exit, a segfault, the OOM killer), exceeded its deadline, grew past
its memory limit, or sent something unreadable. The worker is killed in all those cases.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import signal
import subprocess
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import psutil

from grader.speed import batching, protocol
from grader.speed.cpuclock import ClockUnsettled, WorkerClock
from grader.speed.environment import project_root, python_executable, worker_env

# How often a waiting parent looks at the worker's RSS and liveness. A reply wakes the
# parent at once; this only bounds how late a hang or a memory blow-up is noticed.
_WATCH_INTERVAL = 0.05


# The shared input segment is a memfd, so RLIMIT_FSIZE (64 MiB in the grading sandbox)
# bounds it; arrays beyond it travel on the pipe.
SEGMENT_LIMIT = batching.MAX_FRESH_BYTES


class WorkerFailure(Exception):
    """A worker stopped answering properly. ``kind``: died, timeout, memory, protocol, or
    busy (a thread kept running when its CPU time had to be read)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class WorkerHandle:
    """One ``python -m grader.speed.worker`` process and its two pipes."""

    def __init__(self, label: str, *, rss_limit: int | None = None) -> None:
        self.label = label
        self.rss_limit = rss_limit  # bytes of RSS growth over the idle size, None = no limit
        self.idle_rss: int | None = None
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # The inputs' shared segment (protocol.layout_batch); grown by the parent as needed.
        self._shm_fd = os.memfd_create(f"grader-inputs-{label}", os.MFD_CLOEXEC)
        self._shm: mmap.mmap | None = None
        # Candidate output (prints, warnings, tracebacks) goes to a file, never to the pipes:
        # a stray print must not corrupt the protocol.
        self._log = tempfile.TemporaryFile()
        env = worker_env()
        env["MPLBACKEND"] = "Agg"  # a plt.show() in a notebook cell must not block
        try:
            self.proc = subprocess.Popen(
                [python_executable(), "-m", "grader.speed.worker", str(to_child_r),
                 str(from_child_w), str(self._shm_fd)],
                pass_fds=(to_child_r, from_child_w, self._shm_fd), env=env, cwd=project_root(),
                stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log)
        finally:
            # Close the child's ends here, so its death shows up as EOF on our side.
            os.close(to_child_r)
            os.close(from_child_w)
        self._to = Connection(to_child_w, readable=False)
        self._from = Connection(from_child_r, writable=False)
        self.clock = WorkerClock(self.proc.pid)

        self._ps = psutil.Process(self.proc.pid)

    @property
    def pid(self) -> int:
        return self.proc.pid

    # ---- talking --------------------------------------------------------------------------

    def send(self, request: dict[str, Any]) -> None:
        try:
            self._to.send(request)
        except (BrokenPipeError, OSError) as exc:
            raise self._died() from exc

    def send_batch(self, request: dict[str, Any], batch: list[tuple[Any, ...]],
                   timeout: float = 60.0) -> None:
        """Put a batch of argument tuples in the worker's shared segment and send
        ``request`` saying where they are; arrays beyond the segment's limit follow on the
        pipe (within ``timeout``: a worker stuck in candidate code may stop reading)."""
        described, placed, inline, needed = protocol.layout_batch(batch, SEGMENT_LIMIT)
        segment = self._segment(needed)
        for offset, flat in placed:
            if flat.nbytes:
                segment[offset:offset + flat.nbytes] = flat.reshape(-1).view(np.uint8).data
        self.send({**request, "batch": described, "segment": len(segment) if segment else 0})
        if inline:
            self._send_inline(inline, timeout)

    def _send_inline(self, arrays: list[np.ndarray], timeout: float) -> None:
        """Raw array bytes on the pipe, from a helper thread we can stop waiting for."""
        errors: list[BaseException] = []

        def push() -> None:
            try:
                for flat in arrays:
                    self._to.send_bytes(flat.reshape(-1).view(np.uint8))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                errors.append(exc)

        sender = threading.Thread(target=push, name=f"send-{self.label}", daemon=True)
        sender.start()
        sender.join(timeout)
        if sender.is_alive():
            self.kill()  # the broken pipe then ends the helper thread
            sender.join(5)
            raise WorkerFailure("timeout", f"{self.label} worker stopped reading its input "
                                f"(not done in {timeout:.1f} s)")
        if errors:
            if isinstance(errors[0], OSError):
                raise self._died() from errors[0]
            raise errors[0]

    def _segment(self, needed: int) -> mmap.mmap | None:
        """The shared segment, grown (never shrunk) to at least ``needed`` bytes."""
        if needed == 0:
            return self._shm
        if self._shm is None or len(self._shm) < needed:
            size = -(-needed // mmap.PAGESIZE) * mmap.PAGESIZE
            if self._shm is not None:
                self._shm.close()
            os.ftruncate(self._shm_fd, size)
            self._shm = mmap.mmap(self._shm_fd, size)
        return self._shm

    def wait(self, timeout: float) -> dict[str, Any]:
        """The next JSON reply, or WorkerFailure within ``timeout`` seconds."""
        self._await(timeout)
        try:
            return protocol.recv_json(self._from)
        except EOFError as exc:
            raise self._died() from exc
        except protocol.ProtocolError as exc:
            self.kill()
            raise WorkerFailure("protocol", f"{self.label} worker: {exc}") from exc

    def wait_payload(self, timeout: float) -> bytes:
        """The raw payload that follows a header announcing one."""
        self._await(timeout)
        try:
            return self._from.recv_bytes()
        except EOFError as exc:
            raise self._died() from exc

    def request(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        self.send(request)
        return self.wait(timeout)

    def cpu_ns(self) -> int:
        """The worker's CPU ns, read once none of its threads is running (cpuclock.py)."""
        try:
            return self.clock.read_ns()
        except ProcessLookupError as exc:
            raise self._died() from exc
        except ClockUnsettled as exc:
            self.kill()
            raise WorkerFailure("busy", f"{self.label} worker: {exc}; work outside the timed "
                                "call is not graded") from exc

    # ---- watching -------------------------------------------------------------------------

    def _await(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if self._from.poll(max(0.0, min(_WATCH_INTERVAL, remaining))):
                return  # data or EOF: the reader reports which
            if self.proc.poll() is not None:
                raise self._died()
            self._check_memory()
            if remaining <= 0:
                self.kill()
                raise WorkerFailure(
                    "timeout", f"{self.label} worker timed out (no answer in {timeout:.1f} s)")

    def rss(self) -> int | None:
        try:
            return int(self._ps.memory_info().rss)
        except psutil.Error:
            return None

    def _check_memory(self) -> None:
        if self.rss_limit is None or self.idle_rss is None:
            return
        rss = self.rss()
        if rss is not None and rss - self.idle_rss > self.rss_limit:
            self.kill()
            raise WorkerFailure(
                "memory", f"{self.label} worker exceeded its memory limit (RSS grew by "
                f"{(rss - self.idle_rss) / 1e6:.0f} MB > {self.rss_limit / 1e6:.0f} MB)")

    def _died(self) -> WorkerFailure:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        if code is not None and code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exit code {code}"
        tail = self.output_tail()
        return WorkerFailure("died", f"{self.label} worker died ({how})"
                             + (f"; last output: {tail}" if tail else ""))

    def output_tail(self, lines: int = 3, limit: int = 400) -> str:
        """The last lines the worker printed (for messages), one line, at most ``limit``."""
        try:
            self._log.flush()
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - 4096))
            text = self._log.read().decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""
        tail = " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])
        return tail[-limit:]

    # ---- stopping -------------------------------------------------------------------------

    def kill(self) -> None:
        """Kill the worker and anything it started (its own pid and descendants only)."""
        try:
            victims = [*self._ps.children(recursive=True), self._ps]
        except psutil.Error:
            victims = []
        for proc in victims:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)

    def close(self) -> None:
        """Ask the worker to exit, kill it if it does not within a second, free the pipes."""
        if self.proc.poll() is None:
            try:
                self._to.send({"op": "exit"})
                self.proc.wait(timeout=1)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        for conn in (self._to, self._from):
            with contextlib.suppress(OSError):
                conn.close()
        if self._shm is not None:
            self._shm.close()
            self._shm = None
        with contextlib.suppress(OSError):
            os.close(self._shm_fd)
        self._log.close()

    def __enter__(self) -> WorkerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
