"""Drain a child's stdout/stderr with a byte cap and a wall-clock deadline.

One selector loop on the parent side, no threads: reading both pipes together is what
stops a child blocking on a full stderr pipe while we wait on stdout (the classic
subprocess deadlock), and the loop is also where the deadline and the cap are
enforced, so nothing a child prints can make the grader wait or grow without bound.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

_CHUNK = 65536
# After we have killed the sandbox, its pipes close as soon as the last process in it
# is gone.  Only in rlimits-only mode can a process that escaped our kill still hold
# them open, so never wait longer than this for the final EOF.
_DRAIN_GRACE_SECONDS = 3.0


@dataclass
class Captured:
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    timed_out: bool = False
    overflow: bool = False


def pump(
    proc: subprocess.Popen[bytes],
    *,
    deadline: float,
    cap: int,
    kill: Callable[[], None],
    kill_on_overflow: bool,
) -> Captured:
    """Read proc's stdout/stderr until both close; kill on deadline or overflow.

    ``kill`` must take down everything the child started (the caller knows how).
    Returns once both pipes are closed or the post-kill grace period has passed;
    the caller still has to reap the process.
    """
    assert proc.stdout is not None and proc.stderr is not None
    out = Captured()
    bufs = {"stdout": bytearray(), "stderr": bytearray()}
    sel = selectors.DefaultSelector()
    for name, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        os.set_blocking(pipe.fileno(), False)
        sel.register(pipe, selectors.EVENT_READ, name)

    killed_at: float | None = None
    try:
        while sel.get_map():
            now = time.monotonic()
            if killed_at is None and now >= deadline:
                out.timed_out = True
                kill()
                killed_at = now
            if killed_at is not None and now - killed_at > _DRAIN_GRACE_SECONDS:
                break
            limit = deadline if killed_at is None else killed_at + _DRAIN_GRACE_SECONDS
            for key, _events in sel.select(timeout=max(0.0, limit - now)):
                name = key.data
                try:
                    chunk = os.read(key.fd, _CHUNK)
                except BlockingIOError:
                    continue
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                buf = bufs[name]
                room = cap - len(buf)
                if len(chunk) > room:
                    # Keep the first `cap` bytes: the start of a flood is what explains it.
                    buf.extend(chunk[: max(room, 0)])
                    setattr(out, f"{name}_truncated", True)
                    if kill_on_overflow and killed_at is None:
                        out.overflow = True
                        kill()
                        killed_at = time.monotonic()
                else:
                    buf.extend(chunk)
    finally:
        sel.close()
    out.stdout = bytes(bufs["stdout"])
    out.stderr = bytes(bufs["stderr"])
    return out
