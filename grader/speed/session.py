"""One contestant (baseline, reference or candidate) in its worker, timed batch by batch.

A timed batch has three phases, each bracketed by reads of the worker's CPU clock:

  prepare  parent puts r fresh inputs in the worker's shared segment, the worker copies
           them out and answers "ready"
  run      parent sends "go", worker makes k calls back to back (call i on input i mod r;
           r == k unless inputs are reused), answers "done"             <- the timing
  fetch    worker sends the k results as raw bytes (or drops them)

Only ``run`` is the measurement: its request/reply overhead (an empty batch on the trusted
baseline's worker, `calibrate`) is subtracted and the rest divided by k. A batch of
milliseconds makes that overhead, and its jitter, small beside the work even when one call
takes microseconds. ``prepare`` and ``fetch`` are recorded too, so the verdict can notice a
candidate that does its work while the harness is busy (e.g. by hooking the worker's input
code): those phases run the same trusted code in every worker and should cost about the
same per input and per result.
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
    """Seconds of one batch of ``calls`` calls on ``inputs`` inputs: CPU and wall time of
    the run phase per call (overhead floor removed), and the CPU of the whole prepare and
    fetch phases, and of the idle time before it."""

    cpu: float
    wall: float
    prepare: float
    fetch: float
    calls: int = 1
    inputs: int = 1
    idle: float = 0.0  # CPU the worker used since its previous batch ended (0 for the first)


class Contestant:
    """A worker running one role's function."""

    def __init__(self, role: str, *, rss_limit: int | None = None) -> None:
        self.role = role
        self.handle = WorkerHandle(role, rss_limit=rss_limit)
        self.floor_ns = 0  # request/reply CPU overhead, subtracted from every run phase
        self._ended_ns: int | None = None  # CPU clock when the last timed batch ended
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

    def calibrate(self, timeout: float, calls: int = 1, inputs: int = 1,
                  tries: int = 7) -> int:
        """CPU ns of an empty go/done round trip over ``calls`` do-nothing calls on
        ``inputs`` empty inputs (min over ``tries``): what the harness adds to every timed
        batch of that shape."""
        costs = []
        for _ in range(tries):
            self.handle.send_batch({"op": "input", "calls": calls}, [()] * max(1, inputs))
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
        """One call on fresh ``args`` (a batch of one); see `call_batch`."""
        timing, results, headers = self.call_batch([args], timeout, fetch)
        return timing, results[0], headers[0]

    def call_batch(self, inputs: list[tuple[Any, ...]], timeout: float, fetch: bool = True,
                   calls: int | None = None, readonly: bool = False
                   ) -> tuple[CallTiming, list[np.ndarray | None], list[dict[str, Any]]]:
        """``calls`` calls (default: one per input) back to back in one timed run, call i
        on ``inputs[i % len(inputs)]``; returns (timing, result arrays or Nones, result
        headers), one per call. ``readonly``: the worker gets read-only arrays (required
        when calls reuse inputs, so no call can leave anything in them for the next).

        Raises CallFailed when a call raised or returned a non-numeric value, and
        WorkerFailure when the worker died, hung past ``timeout`` or outgrew its memory.
        """
        handle, k = self.handle, calls or len(inputs)
        c0 = handle.cpu_ns()
        idle = 0 if self._ended_ns is None else c0 - self._ended_ns
        handle.send_batch({"op": "input", "calls": k, "readonly": readonly}, inputs)
        handle.wait(timeout)
        c1 = handle.cpu_ns()
        w1 = time.perf_counter()
        handle.send({"op": "go"})
        done = handle.wait(timeout)
        w2 = time.perf_counter()
        c2 = handle.cpu_ns()
        handle.send({"op": "fetch", "send": fetch and done.get("ok", False)})
        header = handle.wait(timeout)
        results, headers = self._fetched(header, k, timeout)
        c3 = self._ended_ns = handle.cpu_ns()
        if not done.get("ok"):
            where = f" (call {int(done.get('index', 0)) + 1} of {k})" if k > 1 else ""
            raise CallFailed(f"raised {done.get('error')}{where}")
        if fetch:
            for i, item in enumerate(headers):
                if "error" in item:
                    where = f" (call {i + 1} of {k})" if k > 1 else ""
                    raise CallFailed(f"returned {item.get('type')}: {item.get('error')}{where}")
        timing = CallTiming(cpu=max(c2 - c1 - self.floor_ns, 1_000) / 1e9 / k,
                            wall=(w2 - w1) / k, prepare=(c1 - c0) / 1e9,
                            fetch=(c3 - c2) / 1e9, calls=k, inputs=len(inputs),
                            idle=idle / 1e9)
        return timing, results, headers

    def _fetched(self, header: dict[str, Any], k: int, timeout: float
                 ) -> tuple[list[np.ndarray | None], list[dict[str, Any]]]:
        """The k results announced by a fetch reply (Nones when nothing was sent), cut out
        of its one payload."""
        items = header.get("items")
        if items is None:
            return [None] * k, [{}] * k
        if not isinstance(items, list) or len(items) != k or \
                not all(isinstance(item, dict) for item in items):
            self.handle.kill()
            raise WorkerFailure("protocol", f"{self.role} worker sent a malformed result list")
        payload = memoryview(self.handle.wait_payload(timeout))
        results: list[np.ndarray | None] = []
        offset = 0
        try:
            for item in items:
                if "dtype" not in item:
                    results.append(None)
                    continue
                size = protocol.array_bytes(item)
                results.append(protocol.decode_array(item, payload[offset:offset + size]))
                offset += size
            if offset != len(payload):
                raise protocol.ProtocolError(f"{len(payload) - offset} bytes too many")
        except protocol.ProtocolError as exc:
            self.handle.kill()
            raise WorkerFailure("protocol", f"{self.role} worker: {exc}") from exc
        return results, items

    def fetch_cost(self, timeout: float, calls: int, like: dict[str, Any]) -> float:
        """CPU seconds this (trusted) worker needs to hand back ``calls`` results shaped
        like ``like`` (a result header): the yardstick of a candidate's fetch phase."""
        costs = []
        template = {"dtype": like.get("dtype"), "shape": like.get("shape"),
                    "scalar": str(like.get("type")) in ("builtins.float", "builtins.int",
                                                        "builtins.complex", "builtins.bool")}
        for _ in range(3):
            self.handle.send_batch({"op": "input", "calls": calls}, [()])
            self.handle.wait(timeout)
            self.handle.request({"op": "go", "noop": template}, timeout)
            before = self.handle.cpu_ns()
            self.handle.send({"op": "fetch", "send": True})
            self._fetched(self.handle.wait(timeout), calls, timeout)
            costs.append(self.handle.cpu_ns() - before)
        return min(costs) / 1e9

    def traced_memory(self, args: tuple[Any, ...], timeout: float) -> int:
        """tracemalloc peak bytes of one untimed call on ``args`` (measured in the worker)."""
        self._ended_ns = None  # untimed work follows: the next batch's idle is not counted
        self.handle.send_batch({"op": "input"}, [args])
        self.handle.wait(timeout)
        reply = self.handle.request({"op": "memory"}, timeout)
        if not reply.get("ok"):
            raise CallFailed(f"raised {reply.get('error')} (memory measurement)")
        return int(reply["tracemalloc_bytes"])

    def rss_call(self, args: tuple[Any, ...], timeout: float) -> tuple[int | None, int | None]:
        """(RSS before, peak RSS) around one untimed call, both read from outside."""
        from grader.speed.memory import peak_rss, reset_peak_rss

        self._ended_ns = None
        self.handle.send_batch({"op": "input"}, [args])
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
