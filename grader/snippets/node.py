"""A learner's JavaScript module, its functions called one per fresh Node process.

    users = NodeModule("js/users.mjs")
    users.call("getUserData", base_url, 7, deadline=5.0)   # -> CallResult

Each call starts ``node`` on the course's harness (harness.mjs), which imports the module,
calls the export with JSON arguments, awaits it, and answers on a pipe of its own. An
unhandled rejection or uncaught exception ends the process, as it ends a server in
production, and comes back as `CallCrashed` (kind ``crash``). The call's wall time is
measured here, and a call past its deadline is killed with its whole process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from grader.apicheck.tools import node_flags
from grader.snippets import wire
from grader.snippets.python import CallResult
from grader.snippets.wire import CallCrashed

HARNESS = Path(__file__).with_name("harness.mjs")
OUTPUT_CAP = 4000


class NodeNotFound(FileNotFoundError):
    """No ``node`` on PATH: the message says how to get it."""


def node_binary() -> str:
    found = shutil.which("node")
    if not found:
        raise NodeNotFound("node (Node.js 20+) is not on PATH: install it (apt-get install "
                           "nodejs, or nodejs.org) and restart the kernel")
    return found


class NodeModule:
    """An ES module file (``.mjs``) of the learner's; ``source`` is its text."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).resolve()
        if not self.path.is_file():
            raise FileNotFoundError(f"no such JavaScript module: {self.path}")
        self.source = self.path.read_text(encoding="utf-8", errors="replace")
        self.last_output = ""

    def call(self, export: str, *args: Any, deadline: float = 30.0) -> CallResult:
        """``export(*args)`` awaited in a fresh Node process. CallCrashed when the module
        does not load or lacks ``export`` (kind ``missing``), the process ends without an
        answer or with an unhandled rejection (``died``, ``crash``), or ``deadline`` passes
        (``timeout``: the process group is killed)."""
        if not isinstance(export, str) or not export.isidentifier():
            raise ValueError(f"export must be a JavaScript identifier, got {export!r}")
        rep_r, rep_w = os.pipe()
        log = tempfile.TemporaryFile()
        started = time.monotonic()
        node = node_binary()
        proc = subprocess.Popen([node, *node_flags(node), str(HARNESS), str(self.path), export,
                                 str(rep_w)], pass_fds=(rep_w,), stdin=subprocess.PIPE,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                cwd=self.path.parent)
        os.close(rep_w)
        try:
            assert proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.write(json.dumps(wire.encode(list(args))).encode())
                proc.stdin.close()
            data = _read_answer(rep_r, proc, started + deadline)
        finally:
            os.close(rep_r)
            _kill(proc)
            log.seek(0)
            self.last_output = log.read()[-OUTPUT_CAP:].decode("utf-8", "replace")
            log.close()
        seconds = time.monotonic() - started
        what = f"{export}() in {self.path.name}"
        if data is None:
            raise CallCrashed("timeout", f"{what}: no answer within {deadline:g} s (stopped)")
        if not data:
            raise CallCrashed("died", f"{what}: Node ended without an answer "
                                      f"(exit code {proc.returncode})")
        try:
            replies = [wire.loads(line) for line in data.splitlines()[:2] if line.strip()]
        except ValueError as exc:
            raise CallCrashed("protocol", f"{what}: unreadable answer ({exc})") from None
        # A crash reported after the answer (a promise rejected later that nobody handles)
        # still ends the process: it wins over the answer.
        reply = next((r for r in replies if "crash" in r), replies[0] if replies else {})
        if "crash" in reply:
            raise CallCrashed("crash", f"{what} ended the Node process: {reply['crash']}")
        if "missing" in reply:
            raise CallCrashed("missing", f"{what}: {reply['missing']}")
        if "error" in reply:
            return CallResult(error=wire.failure(reply["error"]), seconds=seconds)
        return CallResult(value=wire.decode(reply.get("value")), seconds=seconds)

    def __repr__(self) -> str:
        return f"NodeModule({str(self.path)!r})"


def _read_answer(fd: int, proc: subprocess.Popen[bytes], end: float) -> bytes | None:
    """The answer line; b"" when the process closed the pipe without one (it may still
    report a crash after the answer: we wait for the process to end or the deadline),
    None at the deadline."""
    data = b""
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return None if not data else data
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None if not data else data
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return data
        data += chunk
        if len(data) > wire.MAX_REPLY:
            return data[: wire.MAX_REPLY]


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
