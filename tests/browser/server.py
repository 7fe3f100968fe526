"""A JupyterLab server for the browser tests, started the way learners and instructors start
it (``make lab``, ``make instructor``), serving a throwaway copy of the course.

Why a copy: JupyterLab autosaves edited notebooks (every 120 s by default) and kernels write
next to their notebooks, so serving the checkout would let a test's wrong answer land in
``exercises/``, under the feet of the other tests running in parallel. Turning autosave off
instead would rest on a setting that a mode's config or a learner's settings can silently
override; with a copy, any write is harmless. LAB_OPTS's ``--ServerApp.root_dir`` (the
command line outranks the mode's config file) points the server at the copy, and
``start_lab`` checks through the contents API that the copy is what it serves.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

# What a course needs to be one: grader.paths finds the root by nbgrader_config.py, check()
# reads exercises/ and solutions/, the lessons live in course/.
COURSE_PARTS = ("course", "exercises", "solutions", "nbgrader_config.py")
# The .gitignore'd kinds of file that may sit in a working tree: not part of the course.
IGNORED = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc", "*.so",
                                 "target", "build", ".cache", ".hypothesis")
STARTUP_TIMEOUT = 180  # make may first refresh a stale .venv stamp (pip install -e .)
# Jupyter's own level letters ([E ...], [C ...]) and the words the brief names.
PROBLEM_LINE = re.compile(r"^\[[EC] |ERROR|CRITICAL|Traceback")


@dataclass
class LabServer:
    """A running ``make <target>``: its URL, token, the course copy it serves, its log."""

    target: str
    url: str
    token: str
    root: Path
    log: Path
    log_start: int  # the log's size when this server started (the log is per session)
    proc: subprocess.Popen
    sockets: Path | None = None  # the kernels' Unix sockets (removed by stop_lab)

    def api(self, path: str, method: str = "GET") -> object:
        """The JSON answer of the server's REST API at ``path`` (e.g. ``api/sessions``)."""
        request = urllib.request.Request(f"{self.url}/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_text(self) -> str:
        """What this server has printed so far (stdout and stderr)."""
        with open(self.log, errors="replace") as f:
            f.seek(self.log_start)
            return f.read()

    def problem_lines(self) -> list[str]:
        """Log lines that report an error, a critical condition or a traceback."""
        return [line for line in self.log_text().splitlines() if PROBLEM_LINE.search(line)]

    def shut_down_kernels(self, timeout: float = 15) -> None:
        """End every kernel session (a test's kernels must not outlive it), once no page is
        connected to them: a kernel's last messages written to a websocket that is still
        closing fail in the server ("Task exception was never retrieved")."""
        deadline = time.monotonic() + timeout
        while (any(k["connections"] for k in self.api("api/kernels"))
               and time.monotonic() < deadline):
            time.sleep(0.1)  # polling the condition; past the deadline, shut down anyway
        for session in self.api("api/sessions"):
            self.api(f"api/sessions/{session['id']}", method="DELETE")


def copy_course(dest: Path) -> Path:
    """A fresh copy of the course (its parts in COURSE_PARTS) at ``dest``."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for part in COURSE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=IGNORED)
        else:
            shutil.copy2(source, dest / part)
    return dest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(target: str, course: Path, log: Path, scratch: Path) -> LabServer:
    """``make TARGET`` serving ``course`` on a free port, its output appended to ``log``;
    ``scratch`` holds its JupyterLab workspaces and the learner's progress file."""
    port, token = _free_port(), secrets.token_hex(16)
    sockets = Path(tempfile.mkdtemp(prefix="lab-ipc-"))  # short: a socket path has 107 bytes
    opts = [f"--no-browser --port={port} --ServerApp.ip=127.0.0.1",
            # Kernels over Unix sockets, not TCP. Over TCP the server picks each kernel's
            # ports and the kernel binds them a second later; on this machine the other
            # pytest worker's loopback traffic took one in between (fresh15: the heartbeat
            # thread's "Address already in use" traceback in the lab log). The race is the
            # kernel protocol's own (JEP 66 proposes the handshake that removes it); sockets
            # named by the server cannot be taken by another process's connection.
            f"--KernelManager.transport=ipc --KernelManager.ip={sockets}/k",
            # window.jupyterapp: lets the tests read what the DOM cannot tell (tests/browser/lab.py)
            "--LabApp.expose_app_in_browser=True",
            f"--ServerApp.root_dir={course}",
            # formgrader takes its course from the server's cwd (the checkout) unless told
            f"--CourseDirectory.root={course}"]
    env = dict(os.environ, JUPYTER_TOKEN=token, LAB_OPTS=" ".join(opts),
               # no tabs restored from the developer's own lab, nor left behind for it
               JUPYTERLAB_WORKSPACES_DIR=str(scratch / "workspaces"),
               GRADER_STATE_FILE=str(scratch / "progress.json"))
    log.parent.mkdir(parents=True, exist_ok=True)
    start = log.stat().st_size if log.exists() else 0
    with open(log, "a") as out:
        proc = subprocess.Popen(["make", "--no-print-directory", target], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = LabServer(target, f"http://127.0.0.1:{port}", token, course, log, start, proc,
                       sockets)
    try:
        _wait_until_up(server)
        _check_serves(server, course)
    except BaseException:
        stop_lab(server)
        raise
    return server


def _wait_until_up(server: LabServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        try:
            server.api("api/status")
            return
        except OSError:
            if server.proc.poll() is not None:
                raise RuntimeError(f"`make {server.target}` exited with {server.proc.returncode}:"
                                   f"\n{server.log_text()[-3000:]}") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"`make {server.target}` did not answer within "
                                   f"{STARTUP_TIMEOUT} s; its log: {server.log}") from None
            time.sleep(0.25)  # polling the condition, not waiting for luck


def _check_serves(server: LabServer, course: Path) -> None:
    """Refuse to go on unless the server's root is the copy, never the checkout."""
    served = {item["name"] for item in server.api("api/contents")["content"]}
    expected = {p.name for p in course.iterdir() if not p.name.startswith(".")}
    if served != expected:
        raise RuntimeError(f"`make {server.target}` serves {sorted(served)}, not the course "
                           f"copy {course} ({sorted(expected)}): does LAB_OPTS still reach "
                           "`jupyter lab`?")


def stop_lab(server: LabServer) -> None:
    """Stop make and the server (their process group; on SIGTERM the server shuts its kernels
    down, which run in sessions of their own); SIGKILL after 30 s."""
    try:
        os.killpg(server.proc.pid, signal.SIGTERM)
        server.proc.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=30)
    if server.sockets is not None:
        shutil.rmtree(server.sockets, ignore_errors=True)
