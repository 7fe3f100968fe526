"""`measure_memory`: peak extra memory of one call, without timing anything."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.speed.candidates import Candidate, as_candidate
from grader.speed.memory import input_bytes, memory_report
from grader.speed.session import CallFailed, Contestant
from grader.speed.spec import MemoryReport
from grader.speed.workerproc import WorkerFailure


class MemoryMeasurementFailed(RuntimeError):
    """The function could not be measured: it failed to load, raised, or its worker died."""


def measure_memory(candidate: Candidate | Callable[..., Any], *,
                   inputs: Candidate | Callable[[np.random.Generator, int], tuple[Any, ...]],
                   size: int, seed: int | None = None, timeout: float = 60.0) -> MemoryReport:
    """Peak extra bytes of one call of ``candidate`` on ``inputs(rng, size)``, in a worker.

    One warm-up call first (so JIT compilation and import-time caches do not count), then
    one call under tracemalloc and one under the parent's peak-RSS watch, each on a fresh
    input. ``size`` < 1 or ``timeout`` <= 0 raise ValueError; a candidate that fails raises
    MemoryMeasurementFailed naming what went wrong.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be an int >= 1, got {size!r}")
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0, got {timeout!r}")
    factory = inputs.load_here() if isinstance(inputs, Candidate) else inputs
    rng = np.random.default_rng(seed if seed is not None else secrets.randbits(63))
    subject = as_candidate(candidate)
    contestant = Contestant("candidate")
    try:
        contestant.start_load(subject.payload(), None)
        contestant.finish_load(timeout)
        contestant.call(tuple(factory(rng, size)), timeout, fetch=False)
        args = tuple(factory(rng, size))
        traced = contestant.traced_memory(args, timeout)
        before, peak = contestant.rss_call(tuple(factory(rng, size)), timeout)
    except (CallFailed, WorkerFailure) as exc:
        raise MemoryMeasurementFailed(f"{subject!r}: {exc}") from exc
    finally:
        contestant.close()
    return memory_report(input_bytes(args), traced, before, peak)
