"""A measurement worker: ``python -m grader.speed.worker READ_FD WRITE_FD``.

Runs one candidate (or baseline, or reference) for the parent and does nothing the parent
did not ask for. It never times anything itself: the parent reads this process's CPU clock
from outside, just before sending ``go`` and just after ``done`` arrives, so the code
between those two messages is kept as short as possible.

Requests (pickled dicts from the trusted parent) -> replies (JSON, see protocol.py):
  load {payload, address_space}  -> {ok, error?}
  input {batch, segment, calls, readonly}
                                 -> {ok}                 r argument tuples for k calls
  go {noop?}                     -> {ok, error?, index?} the timed batch: k calls back to back
  fetch {send}                   -> {ok, items: [array header]} [+ one raw payload per item]
  memory {}                      -> {ok, tracemalloc_bytes}  (on the batch's first input)
  simd {name, factory, size, seed} -> {ok, asm, recompiled, signature, ...}
  exit                           -> (exits)
"""

from __future__ import annotations

import contextlib
import gc
import mmap
import os
import resource
import sys
import traceback
from multiprocessing.connection import Connection
from typing import Any

from grader.speed import protocol

_OK = b'{"ok": true}'


def _describe(exc: BaseException) -> str:
    # `raise NotImplementedError()` has no message: "NotImplementedError", not "...: ".
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
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

    def __init__(self, conn_in: Connection, conn_out: Connection, shm_fd: int = -1) -> None:
        self.conn_in = conn_in
        self.conn_out = conn_out
        self.shm_fd = shm_fd  # the parent's input segment (protocol.layout_batch)
        self.segment: mmap.mmap | None = None
        self.func: Any = None
        self.payload: dict[str, Any] = {}
        self.namespace: dict[str, Any] = {}
        self.inputs: tuple[tuple[Any, ...], ...] = ()
        self.plan: list[tuple[Any, ...]] = []  # the argument tuple of each timed call
        self.results: list[Any] = []

    def reply(self, message: dict[str, Any], payload: Any = None) -> None:
        protocol.send_json(self.conn_out, message, payload)

    def run(self) -> None:
        while True:
            request = self.conn_in.recv()
            op = request["op"]
            if op == "go":
                # The timed path: nothing here but the calls and the reply. Every answer
                # is kept until fetch; none is converted or checked here.
                func = _noop if request.get("noop") else self.func
                if isinstance(request.get("noop"), dict):  # results shaped like a real call's
                    func = _template(request["noop"])
                results: list[Any] = []
                try:
                    for args in self.plan:
                        results.append(func(*args))
                except BaseException as exc:  # noqa: BLE001 - SystemExit too: report it
                    self.results = []
                    self.reply({"ok": False, "error": _describe(exc), "index": len(results),
                                "traceback": traceback.format_exc(limit=-4)[-2000:]})
                    continue
                self.results = results
                self.conn_out.send_bytes(_OK)  # pre-encoded: keeps the timed path short
            elif op == "input":
                self.take_inputs(request)
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

    def take_inputs(self, request: dict[str, Any]) -> None:
        """The batch's distinct inputs, copied out of the parent's segment, and the plan:
        call i gets input i mod r (r == k unless the parent reuses inputs, which it does
        only for kernels compiled alone, given read-only arrays: grader/speed/kernels.py)."""
        self.inputs, self.plan = (), []
        size = int(request["segment"])
        if size and (self.segment is None or len(self.segment) != size):
            if self.segment is not None:
                self.segment.close()
            self.segment = mmap.mmap(self.shm_fd, size)
        inputs = protocol.load_batch(self.segment if size else b"", request["batch"],
                                     self.conn_in)
        if request.get("readonly"):
            for args in inputs:
                for arg in args:
                    if hasattr(arg, "flags"):
                        arg.flags.writeable = False
        calls = int(request.get("calls") or len(inputs))
        self.inputs = inputs
        self.plan = [inputs[i % len(inputs)] for i in range(calls)] if inputs else []

    def fetch(self, send: bool) -> None:
        results, self.results = self.results, []
        self.inputs, self.plan = (), []
        if not send:
            self.reply({"ok": True})
            return
        wired = [protocol.result_to_wire(result) for result in results]
        del results
        # One payload for the whole batch: a thousand small results cost one write.
        payload = b"".join(p for _, p in wired if p is not None)
        self.reply({"ok": all("error" not in header for header, _ in wired),
                    "items": [header for header, _ in wired]}, payload)

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
            traced = traced_peak_bytes(self.func, self.plan[0])
        except BaseException as exc:  # noqa: BLE001
            self.reply({"ok": False, "error": _describe(exc)})
            return
        finally:
            self.inputs, self.plan = (), []
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


def _template(like: dict[str, Any]) -> Any:
    """A do-nothing function returning zeros shaped like ``like`` (dtype, shape, scalar):
    fetching its results measures what handing back real results costs."""
    import numpy as np

    value = np.zeros(tuple(like["shape"]), dtype=np.dtype(like["dtype"]))
    value = value.item() if like.get("scalar") else value

    def template(*args: Any) -> Any:
        return value

    return template


def main(argv: list[str]) -> int:
    read_fd, write_fd = int(argv[1]), int(argv[2])
    shm_fd = int(argv[3]) if len(argv) > 3 else -1
    worker = Worker(Connection(read_fd, writable=False), Connection(write_fd, readable=False),
                    shm_fd)
    # EOF/BrokenPipe: the parent went away, so there is nothing left to report to.
    with contextlib.suppress(EOFError, BrokenPipeError, KeyboardInterrupt):
        worker.run()
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    # os._exit skips interpreter teardown, which can hang on threads candidate code left.
    os._exit(code)
