"""``python -m grader.classgrade.worker NOTEBOOK SOCKET [CAP]``: the student's side of verification.

Runs *inside* the sandbox. NOTEBOOK is the sanitized submission with every grade cell's
source removed by the parent, so hidden tests never reach this process. The trusted verifier
(grader/classgrade/verify.py) drives it over the Unix socket SOCKET:

* ``run``: execute cell N in an IPython shell (magics work as in a kernel) and send back
  its notebook outputs, at most CAP bytes (grader/classgrade/capture.py);
* ``lookup``: is NAME a callable, a class (sent as a handle), a data value, or undefined in
  the student's namespace;
* ``call``: call NAME with decoded arguments and send back the result (a handle when it
  has no data form) or the exception, plus the arguments' final state (so "the input is not
  modified" checks still see a mutation);
* ``build``: build and import native code (a Rust crate, a ``.mojo`` file) for the
  verifier's ``build()`` (grader/classgrade/remote.py), with the grader's build functions as
  they were before any notebook cell ran; the module is kept in a table of handles;
* ``getattr`` / ``rcall``: an attribute of a handle, a call of a handle (arguments decoded
  from data or handles); what comes back is data, or a new handle when it has none;
* ``interrupt``: raise KeyboardInterrupt in the code running now (like a kernel interrupt);
* ``exit``.

Nothing this process says is trusted: whatever it sends is only data to the verifier.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import sys
import threading
from typing import Any

from grader.classgrade import codec
from grader.classgrade.capture import ShellCapture

_exit = os._exit  # bound before any student code runs, which may rebind os._exit
_BUILDERS: dict[str, Any] = {}  # native build functions, taken before any student code runs
_HANDLES: dict[int, Any] = {}  # handle -> object, for the verifier's RemoteObjects
_HANDLE_OF: dict[int, int] = {}  # id(object) -> handle (objects are kept alive in _HANDLES)
_BUILD_ERRORS = ("RustBuildError", "CrateNotFound", "MojoBuildError", "MojoNotInstalled")


def _take_builders() -> None:
    from grader.native import crates, mojo

    _BUILDERS["rust"] = crates.build
    _BUILDERS["mojo"] = mojo.build_and_import


def _register(value: Any) -> int:
    handle = _HANDLE_OF.get(id(value))
    if handle is None or _HANDLES.get(handle) is not value:
        handle = len(_HANDLES) + 1
        _HANDLES[handle] = value
        _HANDLE_OF[id(value)] = handle
    return handle


def _lookup(handle: int, _type_name: str) -> Any:
    if handle not in _HANDLES:
        raise codec.ProtocolError(f"no handle {handle}")
    return _HANDLES[handle]


def _native(message: dict) -> dict[str, Any]:
    op = message.get("op")
    if op == "build":
        kind, target = str(message.get("kind")), str(message.get("target"))
        name = message.get("module_name")
        try:
            if kind == "rust":
                module = _BUILDERS["rust"](target, raise_error=True, quiet=True)
            elif kind == "mojo":
                from pathlib import Path

                module = _BUILDERS["mojo"](Path(target), None if name is None else str(name))
            else:
                raise ValueError(f"unknown native kind {kind!r}")
        except Exception as exc:
            if type(exc).__name__ not in _BUILD_ERRORS:
                raise
            return {"build_error": {"name": type(exc).__name__, "message": str(exc),
                                    "summary": str(getattr(exc, "summary", "") or ""),
                                    "crate": str(getattr(exc, "crate", "") or ""),
                                    "exc": codec.encode_exception(exc)}}
        return {"value": {"$ref": [_register(module), "builtins.module"]}}
    obj = _lookup(int(message["ref"]), "")
    if op == "getattr":
        return {"value": codec.encode(getattr(obj, str(message["name"])), refs=_register)}
    if message.get("attr") is not None:
        obj = getattr(obj, str(message["attr"]))
    args = codec.decode(message["args"], refs=_lookup)
    kwargs = codec.decode(message["kwargs"], refs=_lookup)
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise codec.ProtocolError("bad arguments")
    return {"value": codec.encode(obj(*args, **kwargs), refs=_register)}


def _silence_output() -> None:
    """Student prints go nowhere: a flood must not trip the sandbox's output cap (which
    would kill the run and fail an honest but chatty submission)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)


def _reader(sock: socket.socket, inbox: queue.Queue, main_ident: int) -> None:
    """Requests to the inbox; interrupts straight to the main thread (a kernel's SIGINT)."""
    while True:
        try:
            message = codec.recv(sock, codec.MAX_REQUEST_FRAME)
        except (EOFError, OSError, codec.ProtocolError):
            # The verifier is gone: nothing the student code does next matters, and a cell
            # that ignores interrupts must not hold the sandbox until its wall clock.
            _exit(0)
        if message.get("op") == "interrupt":
            signal.pthread_kill(main_ident, signal.SIGINT)
        else:
            inbox.put(message)


def _handle(capture: ShellCapture, cells: list[dict], message: dict) -> dict[str, Any]:
    op = message.get("op")
    ns = capture.shell.user_ns
    if op == "run":
        index = int(message["index"])
        source = cells[index].get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        return {"done": True, "outputs": capture.run(source)}
    if op == "lookup":
        name = str(message["name"])
        if name not in ns:
            return {"kind": "missing"}
        value = ns[name]
        if isinstance(value, type):  # a class: its methods and instances are used through it
            return {"kind": "ref", "value": codec.encode(value, refs=_register)}
        if callable(value):
            return {"kind": "callable"}
        return {"kind": "value", "value": codec.encode(value)}
    if op == "call":
        func = ns.get(str(message["name"]))
        args = codec.decode(message["args"], refs=_lookup)
        kwargs = codec.decode(message["kwargs"], refs=_lookup)
        if func is None:
            raise NameError(f"name {message['name']!r} is not defined")
        result = func(*args, **kwargs)
        # An object without a data form (an instance of the learner's class) goes back as
        # a handle: the verifier reads its attributes and calls its methods through it.
        return {"value": codec.encode(result, refs=_register), "args": codec.encode(list(args))}
    if op in ("build", "getattr", "rcall"):
        return _native(message)
    raise ValueError(f"unknown op {op!r}")


def serve(capture: ShellCapture, cells: list[dict], sock: socket.socket) -> None:
    inbox: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(sock, inbox, threading.get_ident()),
                     daemon=True).start()
    while True:
        try:
            message = inbox.get()
            if message.get("op") == "exit":
                return
            try:
                reply = _handle(capture, cells, message)
            except BaseException as exc:  # student code raises anything, even SystemExit
                reply = {"exc": codec.encode_exception(exc)}
            reply["id"] = message.get("id")
            codec.send(sock, reply)
        except KeyboardInterrupt:
            continue  # a late interrupt for a call that had already finished
        except (OSError, codec.ProtocolError):
            return


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    notebook, path = argv[:2]
    cap = int(argv[2]) if len(argv) > 2 else 1 << 20  # bytes of output per cell
    with open(notebook) as f:
        cells = json.load(f)["cells"]
    # An interrupt is SIGINT to the main thread. A process started in the background of a
    # non-interactive shell (a CI step, `cmd &`) inherits SIGINT ignored, and Python then
    # installs no KeyboardInterrupt handler: every endless call would write the worker off.
    # Install it ourselves, as ipykernel does for each request, before any student code.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _take_builders()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    capture = ShellCapture(shell, cap)
    _silence_output()  # what the student prints is recorded by ``capture``, cell by cell
    serve(capture, cells, sock)
    return 0


if __name__ == "__main__":
    _exit(main())  # skip atexit hooks a student may have registered
