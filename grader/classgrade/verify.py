"""``python -m grader.classgrade.verify SPEC OUT --socket-fd N``: grade cells re-run out of process.

Why: inside a kernel, student code can rebind anything the grade cells rely on before they
run (``grader.testing.raises``, ``numpy.allclose``, IPython's own error reporting), and
nbgrader scores whatever the kernel reports. This verifier runs the trusted cells (the locked
cells restored from the gradebook, hidden tests included) in a fresh interpreter that never
executes student code. Names the grade cells use but do not define (``normalize``...) are
proxies: each call is sent, as data only (grader/classgrade/codec.py), to the sandboxed
worker that runs the student's cells (grader/classgrade/worker.py), and its answer comes back
as data. A grade cell scores only if it passes here (and in the kernel, when one runs).

The verifier itself runs outside the sandbox (it is the instructor's code) but is given only
data by the student side. Its time limits: each worker request is bounded by the cell
timeout; a public test's own ``time_limit`` (SIGALRM, main thread) interrupts a call, the
worker is interrupted like a kernel, and a worker that does not answer the interrupt is
written off, failing every grade cell after it.

SPEC (JSON): ``{"cells": [{"role": "student"|"locked"|"grade"|"speed", "index": i,
"grade_id": ..., "source": trusted source}], "cell_timeout": s, "connect_timeout": s,
"deadline": s, "outputs": bool, "output_cap": bytes}``. Measured ("speed") cells are
skipped here: grader/classgrade/speedcheck.py decides them. Native code is never built out
here (this process sets ``GRADER_VERIFIER``): grader.native's ``build()`` and Mojo's
``build_and_import()`` build in the worker instead and hand back a remote module
(grader/classgrade/remote.py).
OUT (JSON): ``{"verdicts": {grade_id: {"passed": bool, "ename": str, "evalue": str}},
"broken": why the worker was written off, "outputs": {cell index: [outputs]}}``, a verdict
for every grade cell of SPEC (a missing or broken worker fails them, never passes them);
with ``"outputs": true`` in SPEC, the outputs of every cell run, from which the parent
builds the executed notebook without running the student's code a second time
(grader/classgrade/capture.py).
"""

from __future__ import annotations

import argparse
import builtins
import json
import os
import socket
import sys
import time
import types
from typing import Any

from grader.classgrade import capture, codec, remote

_INTERRUPT_GRACE = 10.0
# Set in this process: native code is never built here, outside the sandbox; grader.native's
# build() asks the worker to build instead (grader/classgrade/remote.py).
VERIFIER_ENV = "GRADER_VERIFIER"


class WorkerGone(RuntimeError):
    """The student's process died, closed the socket, or stopped answering."""


class WorkerLink:
    """Requests to the student worker, each answered within a deadline or written off."""

    def __init__(self, sock: socket.socket | None, deadline: float, broken: str = "") -> None:
        self.sock, self.deadline, self.broken = sock, deadline, broken
        self.seq = 0
        self.cell_deadline = deadline
        self.grace = _INTERRUPT_GRACE

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        if self.broken or self.sock is None:
            raise WorkerGone(self.broken or "the student's code is not running")
        self.seq += 1
        message["id"] = self.seq
        until = min(time.monotonic() + timeout, self.deadline, self.cell_deadline)
        frame = codec.frame(message, codec.MAX_REQUEST_FRAME)  # ProtocolError: too large,
        try:  # and nothing was sent: the worker is still fine
            self.sock.sendall(frame)
            return self._wait(self.seq, until)
        except TimeoutError:
            self._recover()
            raise TimeoutError(f"no answer within {timeout:g} s") from None
        except (EOFError, OSError, codec.ProtocolError) as exc:
            self.broken = f"the student's process stopped answering ({exc})"
            raise WorkerGone(self.broken) from None
        except BaseException:  # e.g. a public test's time_limit firing mid-call
            self._recover()
            raise

    def _wait(self, seq: int, until: float) -> dict[str, Any]:
        assert self.sock is not None
        while True:
            self.sock.settimeout(max(0.01, until - time.monotonic()))
            reply = codec.recv(self.sock)
            if reply.get("id") == seq:
                return reply

    def _recover(self) -> None:
        """Interrupt the student code and drain its late answer, or write the worker off."""
        if self.broken or self.sock is None:
            return
        try:
            codec.send(self.sock, {"op": "interrupt"})
            self._wait(self.seq, time.monotonic() + min(_INTERRUPT_GRACE, self.grace))
        except BaseException as exc:
            self.broken = f"the student's code did not stop when interrupted ({exc!r})"

    def close(self) -> None:
        if self.sock is not None and not self.broken:
            try:
                codec.send(self.sock, {"op": "exit"})
            except OSError:
                pass


class StudentFunction:
    """A trusted-side stand-in for a student's callable: every call crosses the socket."""

    def __init__(self, link: WorkerLink, name: str, timeout: float) -> None:
        self._link, self.__name__, self._timeout = link, name, timeout
        self.__qualname__ = name

    def __repr__(self) -> str:
        return f"<student function {self.__name__}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        reply = self._link.request({"op": "call", "name": self.__name__,
                                    "args": codec.encode(list(args), refs=remote._handle_of),
                                    "kwargs": codec.encode(dict(kwargs),
                                                           refs=remote._handle_of)},
                                   self._timeout)
        if "exc" in reply:
            raise codec.decode_exception(reply["exc"])
        _copy_back(args, codec.decode(reply.get("args", {"$list": []})))
        # Data, or a handle on an object that stays in the worker (remote.RemoteObject).
        return codec.decode(reply.get("value"), refs=remote.proxies(self._link))


def _copy_back(sent: tuple, returned: Any) -> None:
    """Mirror the student's in-place changes to array and list arguments."""
    if not isinstance(returned, list) or len(returned) != len(sent):
        return
    import numpy as np

    for mine, theirs in zip(sent, returned, strict=True):
        try:
            if type(mine) is list and type(theirs) is list:
                mine[:] = theirs
            elif (isinstance(mine, np.ndarray) and isinstance(theirs, np.ndarray)
                  and mine.shape == theirs.shape and mine.flags.writeable):
                mine[...] = theirs
        except (TypeError, ValueError):
            continue


def names_used(code: types.CodeType) -> set[str]:
    """Every global name a code object (and the functions it defines) may read."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= names_used(const)
    return names


def _bind_student_names(code: types.CodeType, ns: dict, trusted: set[str],
                        link: WorkerLink, timeout: float) -> dict[str, Any]:
    """Bind the student's names a trusted cell reads; return what was bound."""
    bound: dict[str, Any] = {}
    for name in sorted(names_used(code)):
        if name in trusted or hasattr(builtins, name) or link.broken:
            continue
        try:
            reply = link.request({"op": "lookup", "name": name}, timeout)
        except (WorkerGone, TimeoutError):
            break
        if reply.get("kind") == "callable":
            bound[name] = StudentFunction(link, name, timeout)
        elif reply.get("kind") == "ref":  # a class: a handle, its methods called through it
            bound[name] = codec.decode(reply.get("value"), refs=remote.proxies(link))
        elif reply.get("kind") == "value":
            bound[name] = codec.decode(reply.get("value"))
    ns.update(bound)
    return bound


def verify(spec: dict[str, Any], link: WorkerLink,
           outputs: dict[str, list[dict[str, Any]]] | None = None,
           native: WorkerLink | None = None) -> dict[str, dict[str, Any]]:
    """Run SPEC's cells in order; the verdict of every grade cell (failed unless it ran).
    ``outputs``, when given, receives every run cell's notebook outputs by cell index: the
    student's cells as the worker recorded them, grade cells as they ran here. ``native``:
    the worker that ran no notebook cell, where grader.native's build() builds (without
    it, the notebook's worker builds)."""
    timeout = float(spec.get("cell_timeout", 180))
    cap = int(spec.get("output_cap", 1 << 20))
    link.grace = min(_INTERRUPT_GRACE, timeout)
    if native is not None:
        native.grace = link.grace
    # grader.native's build() here builds in a worker and returns a remote module.
    remote.install(native if native is not None else link, timeout)
    try:
        return _verify_cells(spec, link, outputs, timeout, cap)
    finally:
        remote.install(None, timeout)


def _verify_cells(spec: dict[str, Any], link: WorkerLink,
                  outputs: dict[str, list[dict[str, Any]]] | None, timeout: float, cap: int
                  ) -> dict[str, dict[str, Any]]:
    ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    trusted: set[str] = set()
    verdicts: dict[str, dict[str, Any]] = {}
    shown = outputs if outputs is not None else {}
    for cell in spec["cells"]:
        role, index = cell["role"], str(cell["index"])
        if role in ("student", "locked"):
            shown[index] = _run_student(link, cell["index"], timeout, cap)
        if role not in ("locked", "grade"):
            continue
        if role == "grade" and link.broken:  # the learner's process is gone: say so, and
            # why, rather than run the cell into a NameError for every name it lost
            why = f"not graded: {link.broken}"
            verdicts[cell["grade_id"]] = {"passed": False, "ename": "GraderNoReport",
                                          "evalue": why[:codec.MAX_MESSAGE]}
            shown[index] = [capture.error_output("GraderNoReport", why)]
            continue
        for name in set(ns) - trusted - {"__name__", "__builtins__"}:
            del ns[name]  # student values are looked up afresh for every trusted cell
        filename = f"<grade cell {cell.get('grade_id')}>"
        try:  # compiled here only to learn the names it reads; run_trusted runs it
            code: types.CodeType | None = compile(cell["source"], filename, "exec")
        except SyntaxError:
            code = None  # run_trusted reports it
        student = _bind_student_names(code, ns, trusted, link, timeout) if code else {}
        link.cell_deadline = time.monotonic() + timeout
        error, cell_outputs = capture.run_trusted(cell["source"], filename, ns, cap)
        link.cell_deadline = link.deadline
        # What the trusted cell bound itself (imports, helpers) survives to later cells.
        trusted |= {n for n, v in ns.items() if n not in student or v is not student[n]}
        if role == "grade":
            shown[index] = cell_outputs
            verdicts[cell["grade_id"]] = (
                {"passed": True, "ename": "", "evalue": ""} if error is None else
                {"passed": False, "ename": type(error).__name__,
                 "evalue": str(error)[:codec.MAX_MESSAGE]})
    return verdicts


def _run_student(link: WorkerLink, index: int, timeout: float, cap: int
                 ) -> list[dict[str, Any]]:
    """Run a student cell in the worker; its outputs (untrusted data, size-checked here,
    validated by the parent), or the error a kernel's executor would have recorded."""
    try:
        reply = link.request({"op": "run", "index": index}, timeout)
    except TimeoutError:  # what nbgrader's Execute records for a cell that never finished
        return [capture.error_output("CellTimeoutError", "",
                                     f"CellTimeoutError: no reply within {timeout:g} s")]
    except WorkerGone as exc:  # the grade cells that need this cell will say so
        return [capture.error_output("GraderNoReport", str(exc))]
    outputs = reply.get("outputs")
    if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs) \
            or len(json.dumps(outputs)) > cap + 64 * 1024:
        return [{"output_type": "stream", "name": "stdout",
                 "text": "[grader: this cell's outputs came back malformed or too large]\n"}]
    return outputs


def _accept(fd: int, spec: dict[str, Any], deadline: float, why: str) -> WorkerLink:
    listener = socket.socket(fileno=fd)
    listener.settimeout(float(spec.get("connect_timeout", 120)))
    try:
        conn, _ = listener.accept()
        return WorkerLink(conn, deadline)
    except OSError as exc:
        return WorkerLink(None, deadline, f"{why} ({exc!r})")
    finally:
        listener.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.classgrade.verify")
    parser.add_argument("spec")
    parser.add_argument("out")
    parser.add_argument("--socket-fd", type=int, required=True)
    parser.add_argument("--native-socket-fd", type=int,
                        help="the worker that builds native code and runs no notebook cell")
    args = parser.parse_args(argv)
    os.environ[VERIFIER_ENV] = "1"
    with open(args.spec) as f:
        spec = json.load(f)
    start = time.monotonic()
    deadline = start + float(spec.get("deadline", 900))
    link = _accept(args.socket_fd, spec, deadline, "the student's code never started")
    native = None if args.native_socket_fd is None else _accept(
        args.native_socket_fd, spec, deadline, "the native build worker never started")
    outputs: dict[str, list[dict[str, Any]]] = {}
    verdicts = verify(spec, link, outputs, native=native)
    link.close()
    if native is not None:
        native.close()
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"verdicts": verdicts, "broken": link.broken,
                   "outputs": outputs if spec.get("outputs") else {}}, f)
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
