"""What a speed test asks for (`SpeedSpec`) and what it found (`SpeedReport`).

Both are plain dataclasses so a grade cell can print them, compare fields, or store
``dataclasses.asdict(report)`` as JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SpeedSpec:
    """How to time one exercise.

    Bad values raise ``ValueError`` naming the field (checked in ``__post_init__``).

    size:        length passed to the input factory ``make(rng, size)``; >= 1.
    threshold:   pass when median(baseline time / candidate time) >= threshold; > 0.
    reps:        repetitions; each one is the best of ``best_of`` calls; >= 3 so a
                 median means something.
    best_of:     timed batches per repetition per worker; >= 1.
    batch_ms:    CPU milliseconds one timed batch should cost: the calls of a batch run back
                 to back between two reads of the worker's CPU clock, so the harness's own
                 round trip (tens of us) is noise of well under 1 %. The baseline gets
                 batch_ms / (its time per call) calls, candidate and reference ``threshold``
                 times as many (grader/speed/batching.py); 0 = one call per batch; >= 0.
    reuse:       0 = every call gets a fresh input; r > 0 = each batch has r fresh inputs,
                 called in turn and read-only, so they sit in the cache (a SIMD kernel's
                 speed on cache-resident data). Only for candidates that cannot remember
                 anything between calls (``Candidate.stateless``, grader/speed/kernels.py).
    warmup:      untimed calls per worker first (JIT compile, first touch); >= 1 because the
                 first call's answer also tells us the worker works before timing starts.
    grey_zone:   relative band around ``threshold`` (0.25 = +/-25 %) where the verdict is
                 re-measured with twice the repetitions before deciding; in [0, 1).
    max_seconds: wall-clock budget for the whole measurement; > 0.
    call_timeout: longest a single untimed call (load, warm-up incl. JIT) may take; timed
                 calls get min(call_timeout, max(2 s, 20 x the baseline's warm-up call)).
    rtol, atol:  tolerances for comparing results to the trusted expected value; >= 0.
    dtype:       exact dtype the candidate (and reference) must return; None = any numeric.
    max_memory_ratio: grade peak extra memory / input bytes of one candidate call
                 (e.g. 3.0 rejects an O(n) Python list); None = report only.
    memory_limit_factor: kill a worker whose RSS grows by more than this many input sizes
                 (+ 512 MB slack) over its idle size; None = no limit.
    measure_memory: measure the memory ratios at all (one extra untimed call per worker).
    seed:        seed of the parent's input generator; None = fresh from ``secrets`` (default:
                 the candidate must not be able to predict its inputs).
    """

    size: int
    threshold: float
    reps: int = 7
    best_of: int = 3
    batch_ms: float = 20.0
    reuse: int = 0
    warmup: int = 2
    grey_zone: float = 0.25
    max_seconds: float = 300.0
    call_timeout: float = 60.0
    rtol: float = 1e-9
    atol: float = 0.0
    dtype: str | None = "float64"
    max_memory_ratio: float | None = None
    memory_limit_factor: float | None = 50.0
    measure_memory: bool = True
    seed: int | None = None

    def __post_init__(self) -> None:
        int_at_least("size", self.size, 1)
        int_at_least("reps", self.reps, 3)
        int_at_least("best_of", self.best_of, 1)
        int_at_least("reuse", self.reuse, 0)
        finite_number("batch_ms", self.batch_ms)
        if self.batch_ms < 0:
            raise ValueError(f"batch_ms must be >= 0, got {self.batch_ms!r}")
        int_at_least("warmup", self.warmup, 1)
        positive("threshold", self.threshold)
        positive("max_seconds", self.max_seconds)
        positive("call_timeout", self.call_timeout)
        finite_number("grey_zone", self.grey_zone)
        if not 0.0 <= self.grey_zone < 1.0:
            raise ValueError(f"grey_zone must be in [0, 1), got {self.grey_zone!r}")
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            finite_number(name, value)
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        if self.max_memory_ratio is not None:
            positive("max_memory_ratio", self.max_memory_ratio)
        if self.memory_limit_factor is not None:
            positive("memory_limit_factor", self.memory_limit_factor)
        if self.dtype is not None:
            import numpy as np

            try:
                np.dtype(self.dtype)
            except TypeError as exc:
                raise ValueError(f"dtype must name a numpy dtype, got {self.dtype!r}") from exc
        if not isinstance(self.measure_memory, bool):
            raise ValueError(f"measure_memory must be a bool, got {self.measure_memory!r}")
        if self.seed is not None and (not isinstance(self.seed, int) or self.seed < 0):
            raise ValueError(f"seed must be None or an int >= 0, got {self.seed!r}")


def int_at_least(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")


def finite_number(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def positive(name: str, value: object) -> None:
    finite_number(name, value)
    if value <= 0:  # type: ignore[operator]
        raise ValueError(f"{name} must be > 0, got {value!r}")


@dataclass
class RepSample:
    """One repetition: each worker's CPU seconds per call in its best batch, and the ratio."""

    baseline_s: float
    candidate_s: float
    reference_s: float | None
    speedup: float
    candidate_wall_s: float


@dataclass
class MemoryReport:
    """Peak extra memory of one untimed call, relative to the bytes of its array inputs.

    ``tracemalloc_bytes`` comes from the worker (numpy reports to tracemalloc, so arrays
    count); ``rss_bytes`` is the growth of the worker's peak RSS read by the parent from
    /proc (a second opinion the candidate cannot patch; None where /proc is unavailable).
    ``ratio`` uses the larger of the two.
    """

    input_bytes: int
    tracemalloc_bytes: int
    rss_bytes: int | None
    ratio: float

    def __str__(self) -> str:
        return (f"peak extra {self.ratio:.2f}x the input ({megabytes(self.input_bytes)} in; "
                f"tracemalloc {megabytes(self.tracemalloc_bytes)}, "
                f"peak RSS growth {megabytes(self.rss_bytes)})")


def megabytes(count: int | None) -> str:
    """Bytes for people: None reads "not measured", and an amount that would print as
    0.0 MB reads "< 0.1 MB". A peak RSS that did not grow (the call reused pages the worker
    already held) is a small number, not a measurement of nothing, and a reader seeing
    "0.0 MB" beside tracemalloc's megabytes would take it for a broken gauge."""
    if count is None:
        return "not measured"
    if count < 100_000:
        return "< 0.1 MB"
    return f"{count / 1e6:.1f} MB"


@dataclass
class SpeedReport:
    """The verdict of `measure_speed`.

    ``passed`` is True only when every call answered correctly, no worker failed, the
    sanity checks held and median(baseline/candidate) >= threshold. ``reason`` is one line
    starting with ``passed:``, ``failed:`` or ``error:`` (``error`` = the baseline, the
    reference or the harness misbehaved, not the learner).
    """

    passed: bool
    reason: str
    threshold: float
    speedup: float | None = None
    speedup_min: float | None = None
    speedup_max: float | None = None
    reference_speedup: float | None = None
    vs_reference: float | None = None
    samples: list[RepSample] = field(default_factory=list)
    grey_zone_rerun: bool = False
    # role -> (calls, inputs) of its timed batches, and their median CPU milliseconds
    batches: dict[str, tuple[int, int]] = field(default_factory=dict)
    batch_ms: dict[str, float] = field(default_factory=dict)
    memory: dict[str, MemoryReport] = field(default_factory=dict)
    machine: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [self.reason]
        if self.speedup is not None:
            lines.append(f"speedup vs baseline: median {self.speedup:.1f}x "
                         f"(min {self.speedup_min:.1f}x, max {self.speedup_max:.1f}x) "
                         f"over {len(self.samples)} repetitions"
                         + (", re-measured in the grey zone" if self.grey_zone_rerun else ""))
        if self.reference_speedup is not None and self.vs_reference is not None:
            lines.append(f"model solution: {self.reference_speedup:.1f}x; yours runs at "
                         f"{self.vs_reference:.2f}x its speed")
        if self.batch_ms:
            lines.append("timed batches: " + ", ".join(
                f"{role} {self.batches[role][0]} calls on {self.batches[role][1]} inputs, "
                f"{ms:.1f} ms" for role, ms in self.batch_ms.items()))
        for who, mem in self.memory.items():
            lines.append(f"memory ({who}): {mem}")
        lines.extend(self.notes)
        lines.append(f"{self.machine}; took {self.seconds:.1f} s")
        return "\n".join(lines)
