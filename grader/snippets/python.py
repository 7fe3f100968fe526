"""A learner's Python function, called in a child process from a grading process.

    fetch_user = PythonFunction.from_notebook(notebook, "fetch_user", cells=["fetch_user"])
    fetch_user("http://127.0.0.1:8123/ok_json", 7, timeout=1.0)   # runs in the child
    fetch_user.call(url, 7, deadline=5.0)    # -> CallResult: value or CallFailed, seconds

Used where the function must meet something the judging process owns: the fault server of
chapter 02's tests runs in the grading controller, and the learner's code runs in a child
started here (inside the controller's sandbox when graded), so the server's record of
connections and the call's wall time are measured where learner code cannot reach. The
child is kept across calls and restarted after a call that hung or killed it.
Values cross as data (wire.py); an exception becomes `CallFailed` with its class names.
"""

from __future__ import annotations

import base64
import contextlib
import inspect
import os
import pickle
import re
import select
import signal
import subprocess
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.snippets import wire
from grader.snippets.wire import CallCrashed, CallFailed
from grader.speed.candidates import CallableCandidate, Candidate, NotebookCandidate
from grader.speed.environment import python_executable, worker_env

LOAD_TIMEOUT = 60.0  # seconds to import the notebook's cells in the child
OUTPUT_CAP = 4000  # characters of the child's printed output kept for a failure message
ADAPTER = re.compile(r"grader(\.\w+)+:\w+")  # only the course's own wrappers


@dataclass
class CallResult:
    """One call: ``value`` or ``error`` (it raised), ``seconds`` of wall time measured here."""

    value: Any = None
    error: CallFailed | None = None
    seconds: float = 0.0

    def unwrap(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


class PythonFunction:
    """A function of a notebook (or of a live kernel), run in a child process."""

    def __init__(self, candidate: Candidate, *, source: str = "", adapter: str = "") -> None:
        if adapter and not ADAPTER.fullmatch(adapter):
            raise ValueError(f"adapter must name a function of a grader module as "
                             f"'grader.module:function', got {adapter!r}")
        self.candidate = candidate
        self.name = candidate.name
        self.source = source  # the learner's code, for static checks (api_check, types)
        self.adapter = adapter  # the course's wrapper, applied in the child (see pyworker)
        self._proc: subprocess.Popen[bytes] | None = None
        self._to_child: int | None = None
        self._from_child: int | None = None
        self._log: Any = None

    @classmethod
    def from_callable(cls, func: Any, name: str | None = None, *, adapter: str = ""
                      ) -> PythonFunction:
        """A live function (check() in a kernel); its source from ``inspect`` when known."""
        return cls(CallableCandidate(func, name), source=defining_source(func), adapter=adapter)

    @classmethod
    def from_notebook(cls, notebook: Path, name: str, cells: list[str] | tuple[str, ...] = (),
                      *, adapter: str = "") -> PythonFunction:
        """``name`` defined by ``notebook``'s cells (run in the child); ``cells``: the nbgrader
        cell ids whose source is the learner's code (default: every code cell); ``adapter``:
        ``"grader.module:function"``, a wrapper the child applies to the function before the
        first call (grader/attacks/adapters.py: e.g. open a database for ``find_user(conn,
        name)``, whose connection cannot cross a pipe)."""
        return cls(NotebookCandidate(notebook, name), source=cell_sources(notebook, cells),
                   adapter=adapter)

    def __call__(self, *args: Any, deadline: float = 30.0, **kwargs: Any) -> Any:
        return self.call(*args, deadline=deadline, **kwargs).unwrap()

    def call(self, *args: Any, deadline: float = 30.0, **kwargs: Any) -> CallResult:
        """Call the function with JSON-like arguments; CallCrashed when the child does not
        answer within ``deadline`` seconds (it is killed), dies, or cannot load it."""
        self._start()
        assert self._to_child is not None
        request = {"args": wire.encode(list(args)), "kwargs": wire.encode(kwargs)}
        started = time.monotonic()
        os.write(self._to_child, wire.dumps(request))
        reply = self._reply(deadline, "call")
        seconds = time.monotonic() - started
        if "error" in reply:
            return CallResult(error=wire.failure(reply["error"]), seconds=seconds)
        return CallResult(value=wire.decode(reply.get("value")), seconds=seconds)

    def output(self, limit: int | None = OUTPUT_CAP) -> str:
        """The last ``limit`` bytes the child printed (stdout and stderr), decoded: for a
        failure message; ``None``: all of it, to search for a secret it must not print
        (a leak followed by megabytes of noise is still found; in a grading sandbox the
        file is capped by the sandbox's file size limit). Empty after a restart: each child
        has its own log."""
        if self._log is None:
            return ""
        self._log.seek(0, os.SEEK_END)
        size = self._log.tell()
        self._log.seek(0 if limit is None else max(size - limit, 0))
        return self._log.read().decode("utf-8", "replace")

    def _start(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        self.close()
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [python_executable(), "-P", "-m", "grader.snippets.pyworker", str(req_r), str(rep_w)],
            pass_fds=(req_r, rep_w), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, env=worker_env(), start_new_session=True)
        os.close(req_r)
        os.close(rep_w)
        self._to_child, self._from_child = req_w, rep_r
        blob = base64.b64encode(pickle.dumps(self.candidate.payload())).decode()
        os.write(req_w, wire.dumps({"payload": blob, "adapter": self.adapter}))
        loaded = self._reply(LOAD_TIMEOUT, "load")
        if not loaded.get("loaded"):
            error = wire.failure(loaded.get("error"))
            self.close()
            raise CallCrashed("missing", f"{self.name} could not be loaded: {error}")

    def _reply(self, deadline: float, what: str) -> dict[str, Any]:
        assert self._from_child is not None and self._proc is not None
        data = b""
        end = time.monotonic() + deadline
        while not data.endswith(b"\n"):
            left = end - time.monotonic()
            ready, _, _ = select.select([self._from_child], [], [], max(left, 0))
            if not ready:
                self.close()
                raise CallCrashed("timeout", f"{self.name}: no answer within {deadline:g} s "
                                             f"(the {what} was stopped)")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                code = self._proc.wait(timeout=5)
                tail = self.output().strip().splitlines()[-1:] or [""]
                self.close()
                raise CallCrashed("died", f"{self.name}: its process ended during the {what} "
                                          f"(exit code {code}) {tail[0]}".rstrip())
            data += chunk
            if len(data) > wire.MAX_REPLY:
                self.close()
                raise CallCrashed("protocol", f"{self.name}: the answer is over "
                                              f"{wire.MAX_REPLY >> 20} MB")
        try:
            return wire.loads(data)
        except ValueError as exc:
            self.close()
            raise CallCrashed("protocol", f"{self.name}: unreadable answer ({exc})") from None

    def close(self) -> None:
        """Stop the child (and anything it started) and close the pipes."""
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=10)
            self._proc = None
        for fd in (self._to_child, self._from_child):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._to_child = self._from_child = None

    def __enter__(self) -> PythonFunction:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def __repr__(self) -> str:
        return f"PythonFunction({self.candidate!r})"


def cell_sources(notebook: Path, cell_ids: list[str] | tuple[str, ...] = ()) -> str:
    """The source of the code cells of ``notebook`` whose nbgrader ``grade_id`` is in
    ``cell_ids`` (all code cells but grade cells when empty), joined in notebook order.
    Read as JSON: no code runs. ValueError when a named cell is missing."""
    import json

    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    chosen, seen = [], set()
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or meta.get("grade") is True:
            continue
        if cell_ids and meta.get("grade_id") not in cell_ids:
            continue
        source = cell.get("source", "")
        chosen.append("".join(source) if isinstance(source, list) else source)
        seen.add(meta.get("grade_id"))
    missing = [c for c in cell_ids if c not in seen]
    if missing:
        raise ValueError(f"{Path(notebook).name} has no code cell with id {', '.join(missing)}")
    return "\n\n".join(chosen)


def defining_source(obj: Any) -> str:
    """The whole source file, or notebook cell, that defined ``obj`` (a function or a class),
    so that static checks see its imports too; "" when Python does not know it. In a
    kernel, a cell's code lives under a temporary file name that IPython keeps in
    linecache."""
    import linecache

    func = getattr(obj, "py_func", obj)
    files = [func.__code__.co_filename] if hasattr(func, "__code__") else []
    if isinstance(obj, type):
        # Its module's file; else (a class defined in a kernel cell, in a __main__ without a
        # file) the cell file of one of its own methods: not a generated one (a dataclass's
        # __init__ is "<string>", its __repr__ comes from dataclasses.py).
        with contextlib.suppress(OSError, TypeError):
            files.append(inspect.getsourcefile(obj) or "")
        stdlib = sysconfig.get_paths()["stdlib"]
        files += [v.__code__.co_filename for v in vars(obj).values() if hasattr(v, "__code__")
                  and not v.__code__.co_filename.startswith(stdlib)]
    for name in files:
        lines = linecache.getlines(name) if name and not name.startswith("<") else []
        if lines:
            return "".join(lines)
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""
