"""How many calls each worker makes per timed batch, and on how many inputs.

Why batches: the parent reads a worker's CPU clock before "go" and after "done"; that round
trip costs the worker 20-80 us of CPU, with jitter of the same order on a busy machine. One
call of a kernel on a cache-sized input takes microseconds, so timed alone it would measure
the harness. A batch of calls that together cost ``SpeedSpec.batch_ms`` (20 ms by default)
turns that overhead into a fraction of a percent, and the overhead that is left (an empty
batch of the same shape, timed on the trusted baseline's worker) is subtracted.

Each role gets its own number of calls, chosen from the trusted baseline's time per call,
never from the candidate's: the baseline ``batch_ms / t``, the candidate and the reference
``threshold`` times as many (a candidate exactly at the threshold then spends ``batch_ms``
too; a faster one less, a slower one more). Inputs:

* fresh (``reuse == 0``): every call gets an input of its own, so nothing can be
  remembered; a batch holds at most ``MAX_FRESH_BYTES`` of inputs, so a large input gets
  fewer calls;
* reused (``reuse == r``): r fresh inputs per batch, called in turn, read-only. They stay in
  the core's cache, which is how a SIMD kernel is meant to be timed; it is allowed only for
  candidates that cannot remember anything between calls (``Candidate.stateless``: a numba
  kernel compiled alone from its own source, grader/speed/kernels.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Inputs of one fresh batch, at most: with results and the shared segment a worker holds
# about three times this. The shared segment is a memfd, so RLIMIT_FSIZE (64 MiB in the
# grading sandbox) bounds it too.
MAX_CALLS = 200_000


def _fresh_limit() -> int:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    limit = 256 << 20
    return limit if soft == resource.RLIM_INFINITY else min(limit, soft // 2)


MAX_FRESH_BYTES = _fresh_limit()


@dataclass(frozen=True)
class BatchShape:
    """One role's timed batch: ``calls`` calls on ``inputs`` inputs (inputs < calls: reused)."""

    calls: int
    inputs: int

    @property
    def reused(self) -> bool:
        return self.inputs < self.calls


def calls_for(seconds: float, per_call: float) -> int:
    """Calls of ``per_call`` seconds that fill ``seconds`` (at least one, at most MAX_CALLS)."""
    if seconds <= 0 or per_call <= 0:
        return 1
    return max(1, min(MAX_CALLS, math.ceil(seconds / per_call)))


def plan(batch_ms: float, threshold: float, baseline_per_call: float, input_bytes: int,
         result_bytes: int, reuse: int) -> dict[str, BatchShape]:
    """The batch shape of each role: keys ``baseline`` and ``fast`` (candidate, reference).

    ``baseline_per_call`` is the baseline's measured CPU seconds per call; ``input_bytes``
    and ``result_bytes`` the array bytes of one input and of one result (results of a batch
    are all held until fetched). Raises ValueError for a negative ``reuse``.
    """
    if reuse < 0:
        raise ValueError(f"reuse must be >= 0, got {reuse!r}")
    target = batch_ms / 1e3
    wanted = {"baseline": calls_for(target, baseline_per_call),
              "fast": calls_for(target * threshold, baseline_per_call)}
    shapes = {}
    for role, calls in wanted.items():
        inputs = reuse or calls
        per_call = result_bytes + (0 if reuse else input_bytes)
        cap = max(1, (MAX_FRESH_BYTES - reuse * input_bytes) // max(per_call, 1))
        calls = max(min(calls, cap), reuse or 1)
        shapes[role] = BatchShape(calls, min(inputs, calls))
    return shapes
