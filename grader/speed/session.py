"""One contestant (baseline, reference or candidate) in its worker, timed call by call.

A timed call has three phases, each bracketed by reads of the worker's CPU clock:

  prepare  parent sends the input arrays, worker rebuilds them, answers "ready"
  run      parent sends "go", worker calls the function, answers "done"   <- the timing
  fetch    worker sends the result as raw bytes (or drops it)

Only ``run`` is the measurement. ``prepare`` and ``fetch`` are recorded too, so the verdict
can notice a candidate that does its work while the harness is busy (e.g. by hooking the
worker's input code): those phases run the same trusted code in every worker and should
cost about the same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.speed import protocol
from grader.speed.workerproc import WorkerFailure, WorkerHandle


class CallFailed(Exception):
    """The function raised, returned something unusable, or could not be loaded."""


@dataclass
class CallTiming:
    """Seconds of one call: CPU of the run phase (overhead floor removed), its wall time,
    and the CPU of the prepare and fetch phases."""

    cpu: float
    wall: float
    prepare: float
    fetch: float


class Contestant:
    """A worker running one role's function."""

    def __init__(self, role: str, *, rss_limit: int | None = None) -> None:
        self.role = role
        self.handle = WorkerHandle(role, rss_limit=rss_limit)
        self.floor_ns = 0  # request/reply CPU overhead, subtracted from every run phase
        self._loading = ""

    def start_load(self, payload: dict[str, Any], address_space: int | None) -> None:
        """Ask the worker to load the function (answer read by `finish_load`), so several
        workers import their code at the same time."""
        self._loading = str(payload["name"])
        self.handle.send({"op": "load", "payload": payload, "address_space": address_space})

    def finish_load(self, timeout: float) -> None:
        """Wait for the load; CallFailed when it failed, WorkerFailure if the worker died."""
        reply = self.handle.wait(timeout)
        if not reply.get("ok"):
            raise CallFailed(f"could not load {self._loading!r}: {reply.get('error')}")
        self.handle.idle_rss = self.handle.rss()

    def calibrate(self, timeout: float, calls: int = 7) -> int:
        """Measure the CPU cost of an empty go/done round trip (min over ``calls``)."""
        costs = []
        for _ in range(calls):
            self.handle.send_args({"op": "input"}, (), timeout)
            self.handle.wait(timeout)
            before = self.handle.cpu_ns()
            reply = self.handle.request({"op": "go", "noop": True}, timeout)
            costs.append(self.handle.cpu_ns() - before)
            if not reply.get("ok"):
                raise CallFailed(f"calibration failed: {reply.get('error')}")
            self.handle.request({"op": "fetch", "send": False}, timeout)
        return min(costs)

    def call(self, args: tuple[Any, ...], timeout: float,
             fetch: bool = True) -> tuple[CallTiming, np.ndarray | None, dict[str, Any]]:
        """One call on fresh ``args``; returns (timing, result array or None, result header).

        Raises CallFailed when the function raised or returned a non-numeric value, and
        WorkerFailure when the worker died, hung past ``timeout`` or outgrew its memory.
        """
        handle = self.handle
        c0 = handle.cpu_ns()
        handle.send_args({"op": "input"}, args, timeout)
        handle.wait(timeout)
        c1 = handle.cpu_ns()
        w1 = time.perf_counter()
        handle.send({"op": "go"})
        done = handle.wait(timeout)
        w2 = time.perf_counter()
        c2 = handle.cpu_ns()
        handle.send({"op": "fetch", "send": fetch and done.get("ok", False)})
        header = handle.wait(timeout)
        payload = handle.wait_payload(timeout) if "dtype" in header else None
        c3 = handle.cpu_ns()
        if not done.get("ok"):
            raise CallFailed(f"raised {done.get('error')}")
        if fetch and not header.get("ok"):
            raise CallFailed(f"returned {header.get('type')}: {header.get('error')}")
        result = None
        if payload is not None:
            try:
                result = protocol.decode_array(header, payload)
            except protocol.ProtocolError as exc:
                handle.kill()
                raise WorkerFailure("protocol", f"{self.role} worker: {exc}") from exc
        timing = CallTiming(cpu=max(c2 - c1 - self.floor_ns, 1_000) / 1e9, wall=w2 - w1,
                            prepare=(c1 - c0) / 1e9, fetch=(c3 - c2) / 1e9)
        return timing, result, header

    def traced_memory(self, args: tuple[Any, ...], timeout: float) -> int:
        """tracemalloc peak bytes of one untimed call on ``args`` (measured in the worker)."""
        self.handle.send_args({"op": "input"}, args, timeout)
        self.handle.wait(timeout)
        reply = self.handle.request({"op": "memory"}, timeout)
        if not reply.get("ok"):
            raise CallFailed(f"raised {reply.get('error')} (memory measurement)")
        return int(reply["tracemalloc_bytes"])

    def rss_call(self, args: tuple[Any, ...], timeout: float) -> tuple[int | None, int | None]:
        """(RSS before, peak RSS) around one untimed call, both read from outside."""
        from grader.speed.memory import peak_rss, reset_peak_rss

        self.handle.send_args({"op": "input"}, args, timeout)
        self.handle.wait(timeout)
        before = reset_peak_rss(self.handle.pid)
        done = self.handle.request({"op": "go"}, timeout)
        peak = peak_rss(self.handle.pid)
        self.handle.request({"op": "fetch", "send": False}, timeout)
        if not done.get("ok"):
            raise CallFailed(f"raised {done.get('error')} (memory measurement)")
        return before, peak

    def close(self) -> None:
        self.handle.close()
