"""``python -P -m grader.mutation.oracle FD``: the trusted side of every test run.

A learner's tests never hold the functions they test: in their sandbox those names are
proxies (runner.py) whose every call crosses a socket to a child of this process, which
runs one version of the course's module, the original or one mutant. The learner's process
cannot read which one it talks to (the version lives here, outside its sandbox), so its
tests can only tell a mutant from the original by what the functions *do*.

Trusted: started by the grading process (engine.py) and given only the course's module and
its mutants; learner data reaches it as data (grader/classgrade/codec.py, never pickle).
One process forks a child per run (a zygote), so each run gets a fresh copy of the module
without paying an interpreter start.

Standard input, read to its end first: {"module": "pricing", "functions": [...],
"sources": [original, mutant, ...], "cpu_seconds": 20, "memory_bytes": ...}.
Control socket FD (a Unix SOCK_SEQPACKET socket: one message per send), then:
    {"serve": index} with one descriptor attached (SCM_RIGHTS): the run's socket.
            Answer: {"pid": child}. The child serves version ``index`` on that socket until
            the other end closes, under RLIMIT_CPU and RLIMIT_AS: a mutant that loops or
            grows without end is stopped, and the learner's test sees the call fail.
            With "record": PATH, the child writes the run's calls and replies there when the
            run ends (JSON; null past MAX_TRACE calls).
    {"replay": index, "trace": PATH} with one descriptor: the child answers {"same": bool}
            on it: whether version ``index`` gives every recorded call the recorded reply
            (engine.py does not run such a mutant: the same calls get the same answers).
A run's socket carries codec frames: {"call": name, "args": [...], "kwargs": {...}} ->
{"value": ...} or {"error": {"types": [...], "message": ...}}.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
import socket
import sys
from typing import Any

from grader.classgrade import codec

_PR_SET_PDEATHSIG = 1
MAX_TRACE = 5000  # calls recorded from the first run; more, and every mutant is run
REPLAY_CPU = 2  # CPU seconds to replay a trace against one version


def _read_message(control: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    """One control message and the descriptors that came with it; None at end of input."""
    data, fds, _flags, _addr = socket.recv_fds(control, 1 << 12, 4)
    if not data:
        return None, fds
    message = json.loads(data)
    return (message if isinstance(message, dict) else {}), fds


def _load(module: str, source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": module}
    exec(compile(source, f"{module}.py", "exec"), namespace)  # noqa: S102 - the course's module
    return namespace


def _reply_error(exc: BaseException) -> dict[str, Any]:
    return {"error": codec.encode_exception(exc)}


def serve(conn: socket.socket, namespace: dict[str, Any], functions: list[str],
          trace: list[list[dict[str, Any]]] | None = None) -> None:
    """Answer calls on ``conn`` until it closes (or sends garbage); with ``trace``, keep
    each (request, reply) in it, up to MAX_TRACE calls (then it is cleared and stays so)."""
    while True:
        try:
            request = codec.recv(conn, codec.MAX_FRAME)
        except (EOFError, OSError, codec.ProtocolError):
            return
        reply = answer(namespace, functions, request)
        if trace is not None:
            trace.append([request, reply])
            if len(trace) > MAX_TRACE:
                trace.clear()
                trace = None
        try:
            codec.send(conn, reply)
        except codec.ProtocolError as exc:  # a value too large to send back
            codec.send(conn, _reply_error(ValueError(f"the answer cannot be sent: {exc}")))
        except OSError:
            return


def answer(namespace: dict[str, Any], functions: list[str], request: dict[str, Any]
           ) -> dict[str, Any]:
    """The reply to one call request, as data."""
    name = request.get("call")
    if name not in functions:
        return _reply_error(NameError(f"no function {name!r} under test"))
    try:
        args = codec.decode(request.get("args", {"$list": []}))
        kwargs = codec.decode(request.get("kwargs", {"$dict": []}))
        if not isinstance(args, list | tuple) or not isinstance(kwargs, dict):
            raise codec.ProtocolError("arguments must be a list and a dict")
    except codec.ProtocolError as exc:
        return _reply_error(TypeError(f"these arguments cannot be sent to the function "
                                      f"under test: {exc}"))
    return _call(namespace[name], args, kwargs)


def replay(namespace: dict[str, Any], functions: list[str],
           trace: list[list[dict[str, Any]]]) -> bool:
    """Whether this version gives every recorded call the recorded reply: if it does, tests
    that made those calls (deterministic ones) cannot tell it from the version recorded."""
    return all(answer(namespace, functions, request) == reply for request, reply in trace)


def _call(func: Any, args: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        value = func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the function's answer, for the tests to judge
        return _reply_error(exc)
    return {"value": codec.encode(value)}


def _child(conn: socket.socket, control: socket.socket, setup: dict[str, Any],
           message: dict[str, Any]) -> None:
    control.close()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the oracle gone: stop too
    replaying = "replay" in message
    cpu = REPLAY_CPU if replaying else int(setup.get("cpu_seconds", 30))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory = int(setup.get("memory_bytes", 2 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    functions = [str(f) for f in setup["functions"]]
    index = message["replay"] if replaying else message["serve"]
    try:
        namespace = _load(setup["module"], setup["sources"][index])
    except Exception as exc:  # noqa: BLE001 - a mutant that fails to import: every call says so
        namespace = {name: _raiser(exc) for name in functions}
    if replaying:  # the trace is the grading process's file; the answer goes on conn
        with open(message["trace"], encoding="utf-8") as file:
            same = replay(namespace, functions, json.load(file))
        conn.sendall(json.dumps({"same": same}).encode())
        return
    trace: list[list[dict[str, Any]]] | None = [] if message.get("record") else None
    serve(conn, namespace, functions, trace)
    if trace is not None:  # after the run: where the grading process asked for it
        with open(message["record"], "w", encoding="utf-8") as file:
            json.dump(trace if trace else None, file)


def _raiser(exc: BaseException) -> Any:
    def raise_it(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return raise_it


def main(fd: int) -> int:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    control = socket.socket(fileno=fd)
    setup = json.loads(sys.stdin.buffer.read())
    # The original once here, so that what it imports (decimal, numpy...) is loaded before
    # the children fork and each run pays only for running its version's top level.
    with contextlib.suppress(Exception):
        _load(setup["module"], setup["sources"][0])
    while True:
        message, fds = _read_message(control)
        if message is None:
            return 0
        index = message.get("serve", message.get("replay"))
        if len(fds) != 1 or not isinstance(index, int) or \
                not 0 <= index < len(setup["sources"]):
            for extra in fds:
                os.close(extra)
            control.send(b'{"error": "bad request"}')
            continue
        conn = socket.socket(fileno=fds[0])
        pid = os.fork()
        if pid == 0:
            with contextlib.suppress(BaseException):
                _child(conn, control, setup, message)
            os._exit(0)
        conn.close()
        control.send(json.dumps({"pid": pid}).encode())


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
