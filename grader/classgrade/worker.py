"""``python -m grader.classgrade.worker NOTEBOOK SOCKET [CAP]``: the student's side of verification.

Runs *inside* the sandbox. NOTEBOOK is the sanitized submission with every grade cell's
source removed by the parent, so hidden tests never reach this process. The trusted verifier
(grader/classgrade/verify.py) drives it over the Unix socket SOCKET:

* ``run``: execute cell N in an IPython shell (magics work as in a kernel) and send back
  its notebook outputs, at most CAP bytes (grader/classgrade/capture.py);
* ``lookup``: is NAME a callable, a data value, or undefined in the student's namespace;
* ``call``: call NAME with decoded arguments and send back the result or the exception,
  plus the arguments' final state (so "the input is not modified" checks still see a
  mutation);
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
            message = codec.recv(sock)
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
        if callable(value):
            return {"kind": "callable"}
        return {"kind": "value", "value": codec.encode(value)}
    if op == "call":
        func = ns.get(str(message["name"]))
        args = codec.decode(message["args"])
        kwargs = codec.decode(message["kwargs"])
        if func is None:
            raise NameError(f"name {message['name']!r} is not defined")
        result = func(*args, **kwargs)
        return {"value": codec.encode(result), "args": codec.encode(list(args))}
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
