"""A measurement worker: ``python -m grader.speed.worker READ_FD WRITE_FD``.

Runs one candidate (or baseline, or reference) for the parent and does nothing the parent
did not ask for. It never times anything itself: the parent reads this process's CPU clock
from outside, just before sending ``go`` and just after ``done`` arrives, so the code
between those two messages is kept as short as possible.

Requests (pickled dicts from the trusted parent) -> replies (JSON, see protocol.py):
  load {payload, address_space}  -> {ok, error?}
  input {args}                   -> {ok}
  go {noop?}                     -> {ok, error?}        the timed call
  fetch {send}                   -> {ok, ...array header} [+ raw payload]
  memory {}                      -> {ok, tracemalloc_bytes}
  simd {name, factory, size, seed} -> {ok, asm, recompiled, signature, ...}
  exit                           -> (exits)
"""

from __future__ import annotations

import contextlib
import gc
import os
import resource
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any

from grader.speed import protocol

_OK = b'{"ok": true}'


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 500 else text[:497] + "..."


def _limit_address_space(extra: int | None) -> None:
    # A safety net beside the parent's RSS watch: a runaway allocation fails with
    # MemoryError here instead of waking the OOM killer, which might pick the kernel.
    if not extra:
        return
    try:
        with open("/proc/self/status") as status:
            vm = next(int(line.split()[1]) * 1024 for line in status
                      if line.startswith("VmSize:"))
        limit = vm + extra
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, ValueError, StopIteration):
        pass


class Worker:
    """The request loop; state is the loaded function, the current input and result."""

    def __init__(self, conn_in: Connection, conn_out: Connection) -> None:
        self.conn_in = conn_in
        self.conn_out = conn_out
        self.func: Any = None
        self.payload: dict[str, Any] = {}
        self.namespace: dict[str, Any] = {}
        self.args: tuple[Any, ...] = ()
        self.result: Any = None

    def reply(self, message: dict[str, Any], payload: Any = None) -> None:
        protocol.send_json(self.conn_out, message, payload)

    def run(self) -> None:
        while True:
            request = self.conn_in.recv()
            op = request["op"]
            if op == "go":
                # The timed path: nothing here but the call and the reply.
                func = _noop if request.get("noop") else self.func
                try:
                    self.result = func(*self.args)
                except BaseException as exc:  # noqa: BLE001 - SystemExit too: report it
                    self.result = None
                    self.reply({"ok": False, "error": _describe(exc),
                                "traceback": traceback.format_exc(limit=-4)[-2000:]})
                    continue
                self.conn_out.send_bytes(_OK)  # pre-encoded: keeps the timed path short
            elif op == "input":
                self.args = ()
                self.args = protocol.recv_args(self.conn_in, request["args"])
                # Park every object alive now (modules, JIT caches, harness state) outside
                # the cyclic GC, so a collection that happens to fire inside the timed call
                # does not walk them; gc.freeze() is O(1).
                gc.freeze()
                self.reply({"ok": True})
            elif op == "fetch":
                self.fetch(bool(request.get("send", True)))
            elif op == "load":
                self.load(request)
            elif op == "memory":
                self.memory()
            elif op == "simd":
                self.simd(request)
            elif op == "exit":
                return
            else:
                self.reply({"ok": False, "error": f"unknown request {op!r}"})

    def fetch(self, send: bool) -> None:
        result, self.result, self.args = self.result, None, ()
        if not send:
            self.reply({"ok": True})
            return
        header, payload = protocol.result_to_wire(result)
        del result
        self.reply({"ok": "error" not in header, **header}, payload)

    def load(self, request: dict[str, Any]) -> None:
        from grader.speed.candidates import load_payload

        _limit_address_space(request.get("address_space"))
        try:
            self.payload = request["payload"]
            self.namespace, self.func = load_payload(self.payload)
        except BaseException as exc:  # noqa: BLE001 - a broken candidate is a verdict
            self.reply({"ok": False, "error": _describe(exc),
                        "traceback": traceback.format_exc(limit=-4)[-2000:]})
            return
        if not callable(self.func):
            self.reply({"ok": False, "error": f"{request['payload']['name']!r} is a "
                        f"{type(self.func).__name__}, not a function"})
            return
        self.reply({"ok": True})

    def memory(self) -> None:
        from grader.speed.memory import traced_peak_bytes

        try:
            traced = traced_peak_bytes(self.func, self.args)
        except BaseException as exc:  # noqa: BLE001
            self.reply({"ok": False, "error": _describe(exc)})
            return
        finally:
            self.args = ()
        self.reply({"ok": True, "tracemalloc_bytes": traced})

    def simd(self, request: dict[str, Any]) -> None:
        from grader.simd import compiled_asm
        from grader.speed.candidates import load_payload, lookup_name

        try:
            factory = None
            if request.get("factory") is not None:
                factory = load_payload(request["factory"])[1]
            kernel = lookup_name(self.payload, self.namespace, self.func, request["name"])
            info = compiled_asm(kernel, factory, request["size"], request["seed"])
        except BaseException as exc:  # noqa: BLE001
            self.reply({"ok": False, "error": _describe(exc)})
            return
        self.reply({"ok": True, **info})


def _noop(*args: Any) -> None:
    """What the calibration call runs: measures the request/reply overhead itself."""


def main(argv: list[str]) -> int:
    read_fd, write_fd = int(argv[1]), int(argv[2])
    worker = Worker(Connection(read_fd, writable=False), Connection(write_fd, readable=False))
    # EOF/BrokenPipe: the parent went away, so there is nothing left to report to.
    with contextlib.suppress(EOFError, BrokenPipeError, KeyboardInterrupt):
        worker.run()
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    # os._exit skips interpreter teardown, which can hang on threads candidate code left.
    os._exit(code)
