"""What a growth check asks for (`GrowthSpec`) and what it found (`GrowthReport`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.growth.fit import GrowthFit
from grader.speed.spec import finite_number, int_at_least, megabytes, positive

__all__ = ["Curve", "GrowthReport", "GrowthSpec", "megabytes"]


@dataclass(frozen=True)
class GrowthSpec:
    """How to measure how one exercise's cost grows. Bad values raise ValueError naming the
    field (``__post_init__``).

    min_size, max_size: the range of sizes the learner's function is timed at; the sizes
                 themselves are drawn per run (``points`` of them, spread geometrically, each
                 moved by a random part of a step: sizes.py), so code that recognises the
                 sizes a grader uses has nothing to recognise. max_size >= 8 x min_size.
    points:      how many sizes; 4 to 8.
    baseline_min_size, baseline_max_size: the AI version's own range (a quadratic baseline
                 at the learner's largest size would take minutes); default: the learner's.
    max_slope:   pass when the fitted slope of log(CPU time) against log(n) is at most this,
                 plus the machine's allowance: what the model's slope, measured in the same
                 rounds, exceeds ``model_exponent`` by (at most ``max_allowance``). A linear
                 algorithm measures steeper than 1 where its data outgrows the caches, and
                 more so on a busy machine; the model, timed beside it, shows how much.
    model_exponent: the exponent of the model's algorithm in theory (1 for linear).
    max_allowance: the most the machine's allowance adds to max_slope.
    max_slowdown: and when, at the largest size, one call costs at most this many times the
                 course's own answer (``expected_NAME``, timed in a worker of its own in
                 the same rounds); None = not graded.
    call_limit:  CPU seconds one call may take; a role whose call takes longer is not timed
                 at larger sizes (the AI version), and a learner's function that does fails.
    batch_ms:    CPU milliseconds a timed batch should cost: small sizes run several calls
                 back to back between two reads of the CPU clock (each on a fresh input).
    best_of:     timed batches per size; the fastest counts (a busy machine only ever adds).
    max_seconds: wall-clock budget of the whole measurement.
    max_memory_slope: also measure memory: peak RSS growth of one call at the smallest, the
                 middle and the largest size (read from outside, in a fresh worker per size,
                 so memory a previous call freed but kept cannot hide growth), fitted like
                 time; pass when its slope is at most this. None = memory not measured.
    memory_floor: bytes under which a call's extra memory counts as this much (page and
                 allocator granularity: a bounded cache's few hundred kilobytes are noise).
    rtol, atol, dtype, strict: how answers are compared with ``expected_NAME``'s
                 (grader/speed/check.py); ``strict`` also requires a NumPy result.
    seed:        None = fresh secret randomness for sizes and inputs (the default).
    """

    min_size: int
    max_size: int
    max_slope: float
    points: int = 5
    baseline_min_size: int | None = None
    baseline_max_size: int | None = None
    max_slowdown: float | None = None
    call_limit: float = 2.0
    batch_ms: float = 30.0
    best_of: int = 3
    max_seconds: float = 240.0
    model_exponent: float = 1.0
    max_allowance: float = 0.3
    max_memory_slope: float | None = None
    memory_floor: int = 4 << 20
    rtol: float = 1e-9
    atol: float = 0.0
    dtype: str | None = None
    strict: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("min_size", "max_size"):
            int_at_least(name, getattr(self, name), 1)
        if self.max_size < 8 * self.min_size:
            raise ValueError(f"max_size must be at least 8 x min_size for a slope to mean "
                             f"anything, got {self.min_size} to {self.max_size}")
        int_at_least("points", self.points, 4)
        if self.points > 8:
            raise ValueError(f"points must be at most 8, got {self.points}")
        low, high = self.baseline_range
        int_at_least("baseline_min_size", low, 1)
        int_at_least("baseline_max_size", high, 1)
        if high < 4 * low:
            raise ValueError(f"baseline_max_size must be at least 4 x baseline_min_size, got "
                             f"{low} to {high}")
        for name in ("max_slope", "call_limit", "batch_ms", "max_seconds"):
            positive(name, getattr(self, name))
        if self.max_slowdown is not None:
            positive("max_slowdown", self.max_slowdown)
        finite_number("model_exponent", self.model_exponent)
        finite_number("max_allowance", self.max_allowance)
        if self.max_allowance < 0:
            raise ValueError(f"max_allowance must be >= 0, got {self.max_allowance!r}")
        if self.max_memory_slope is not None:
            positive("max_memory_slope", self.max_memory_slope)
        int_at_least("memory_floor", self.memory_floor, 1)
        int_at_least("best_of", self.best_of, 1)
        for name in ("rtol", "atol"):
            finite_number(name, getattr(self, name))
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not isinstance(self.strict, bool):
            raise ValueError(f"strict must be a bool, got {self.strict!r}")
        if self.seed is not None and (not isinstance(self.seed, int) or self.seed < 0):
            raise ValueError(f"seed must be None or an int >= 0, got {self.seed!r}")

    @property
    def baseline_range(self) -> tuple[int, int]:
        return (self.baseline_min_size or self.min_size,
                self.baseline_max_size or self.max_size)


@dataclass
class Curve:
    """One role's measured points: CPU seconds per call at each size it was timed at, and
    why it stopped early (``stopped``: "" when it reached its largest size)."""

    role: str
    label: str
    sizes: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    stopped: str = ""
    fit: GrowthFit | None = None
    # peak extra RSS bytes of one call at each of ``memory_sizes`` (memory exercises only)
    memory_sizes: list[int] = field(default_factory=list)
    memory: list[int] = field(default_factory=list)
    memory_fit: GrowthFit | None = None

    def at(self, size: int) -> float | None:
        return self.seconds[self.sizes.index(size)] if size in self.sizes else None


@dataclass
class GrowthReport:
    """The verdict. ``reason`` is one line starting with ``passed:``, ``failed:`` or
    ``error:`` (the course's code or the harness misbehaved, not the learner)."""

    passed: bool
    reason: str
    max_slope: float
    curves: dict[str, Curve] = field(default_factory=dict)
    slowdown: float | None = None
    machine: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    max_memory_slope: float | None = None
    allowance: float = 0.0  # added to max_slope for this machine (GrowthSpec.max_slope)

    @property
    def memory_slope(self) -> float | None:
        curve = self.curves.get("candidate")
        return None if curve is None or curve.memory_fit is None else curve.memory_fit.slope

    @property
    def slope(self) -> float | None:
        curve = self.curves.get("candidate")
        return None if curve is None or curve.fit is None else curve.fit.slope

    def __str__(self) -> str:
        lines = [self.reason]
        for curve in self.curves.values():
            where = ", ".join(f"{n:,}: {s * 1e3:.3g} ms" for n, s in
                              zip(curve.sizes, curve.seconds, strict=True))
            grows = f"{curve.fit.words()}; " if curve.fit else ""
            lines.append(f"{curve.label}: {grows}{where or 'not timed'}"
                         + (f" ({curve.stopped})" if curve.stopped else ""))
            if curve.memory:
                grows = f"grows like n^{curve.memory_fit.slope:.1f}; " if curve.memory_fit else ""
                lines.append(f"{curve.label}, memory: {grows}" + ", ".join(
                    f"{n:,}: {b / 1e6:.1f} MB" for n, b in
                    zip(curve.memory_sizes, curve.memory, strict=True)))
        lines.extend(self.notes)
        lines.append(f"{self.machine}; took {self.seconds:.1f} s")
        return "\n".join(lines)
