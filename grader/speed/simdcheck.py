"""SIMD and memory-bandwidth grade cells, decided outside the learner's kernel.

Two measured cell kinds (grader.metadata.MEASURED_KINDS), each an ``[exercises.KIND]`` table
of assignment.toml, registered as measurers in grader/classgrade/speedcheck.py. There they
run in the sandboxed controller, which never runs learner code: the kernel is compiled
alone from its own source (`KernelCandidate`, grader/speed/kernels.py) in worker processes,
so no statement of the notebook (say, one replacing ``grader.simd.simd_report_for``) runs
anywhere near the verdict. ``checks.py`` calls the same functions in the learner's kernel
(`check_in_kernel`), so ``check()`` gives the verdict grading will give.

``simd`` (``simd = { grade_id = "...", size = ..., reuse = ..., threshold = ..., ... }``,
any other `SpeedSpec` field, plus ``baseline`` (default ``ai_NAME``) and ``factory``
(default ``make_NAME``) from the folder's speed.py), three conditions, all required:

1. the machine code, compiled in a worker (grader/simd.py), has packed floating-point adds
   or FMAs (``vaddpd``, ``vfmadd231pd`` ...) *inside a loop*: between a label and a later
   jump back to it, in the kernel's own functions. Packed adds only in the reduction after
   the loop prove nothing;
2. no loop adds in two or more scalar chains (``scalar_chains``): a scalar loop unrolled
   by hand into several accumulators runs 2-3x faster than the AI's single chain without
   SIMD, and beside a vectorized decoy loop it would satisfy 1 and come near 3;
3. on cache-resident inputs the kernel runs at least ``threshold`` times as fast as the
   scalar ``baseline``, both timed by the speed engine in the same rounds (CPU time read
   from outside, grader/speed/measure.py). A scalar hot loop beside a small vectorized
   throw-away loop satisfies 1 and 2 but not 3; ``for x in data`` (packed adds, one load
   per element) fails 1 already.

``bandwidth`` (``bandwidth = { grade_id = "...", size = ..., fraction = ... }``): on inputs
of ``size`` elements, beyond the private caches, the kernel's read rate as a fraction of a
memory copy's rate (read + write, ``copy_and_sum`` in speed.py) timed in the same rounds.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

# The machine-code reading lives in asmloops.py; its names are this module's API too.
from grader.speed.asmloops import (  # noqa: E402, F401
    PACKED_ADD,
    SCALAR_ACCUMULATE,
    Loop,
    hot_loop_candidates,
    loops,
    packed_adds_in_loops,
    scalar_chains,
)

SPEED_FILE = "speed.py"
TIMEOUT = 400.0  # seconds a check may take in the learner's kernel (workers, JIT, timing)

_META = {"grade_id", "baseline", "factory", "fraction"}


@dataclass
class Verdict:
    """What a measured cell decided: ``message`` says why (the error text when failed),
    ``details`` the measurement in a few lines."""

    passed: bool
    message: str
    details: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join([self.message, *self.details])


# ---- settings --------------------------------------------------------------------------------


def _spec(table: dict[str, Any], where: str, **defaults: Any) -> Any:
    from grader.metadata import MetadataError
    from grader.speed import SpeedSpec

    known = {f.name for f in fields(SpeedSpec)}
    unknown = set(table) - known - _META
    if unknown:
        raise MetadataError(f"{where}: unknown fields {sorted(unknown)}")
    values = defaults | {k: v for k, v in table.items() if k in known}
    try:
        return SpeedSpec(**values)
    except (TypeError, ValueError) as exc:
        raise MetadataError(f"{where}: {exc}") from None


def _module(folder: Path, name: str) -> Any:
    from grader.speed import ModuleCandidate

    return ModuleCandidate(folder / SPEED_FILE, name)


def _one_line(report: Any) -> str:
    return " | ".join(line for line in str(report).splitlines() if line.strip())


# ---- simd ----------------------------------------------------------------------------------


def simd_spec(folder: Path, name: str, settings: dict[str, Any]) -> Any:
    return _spec(settings, f"{folder}: simd of {name!r}", size=16_384, reuse=4, threshold=2.0,
                 reps=5, best_of=2, warmup=1, grey_zone=0.1, measure_memory=False)


def simd_throughput(folder: Path, name: str, settings: dict[str, Any], kernel: Any) -> Any:
    """The speed engine's report of ``kernel`` against the scalar ``baseline`` of speed.py
    on cache-resident inputs (the simd table's size and reuse)."""
    from grader.speed import measure_speed

    factory = _module(folder, str(settings.get("factory", f"make_{name}")))
    return measure_speed(simd_spec(folder, name, settings), inputs=factory,
                         expected=_module(folder, f"expected_{name}").load_here(),
                         baseline=_module(folder, _baseline(name, settings)), candidate=kernel)


def _baseline(name: str, settings: dict[str, Any]) -> str:
    return str(settings.get("baseline", f"ai_{name}"))


def simd_verdict(folder: Path, name: str, settings: dict[str, Any], kernel: Any) -> Verdict:
    """Packed adds in a loop of ``kernel`` (a KernelCandidate) and a throughput no scalar
    loop reaches; ``folder`` holds speed.py, ``settings`` the exercise's ``simd`` table."""
    from grader.simd import simd_report_for

    spec = simd_spec(folder, name, settings)  # bad settings fail before any worker starts
    factory = _module(folder, str(settings.get("factory", f"make_{name}")))
    report = simd_report_for(kernel, name, factory)
    in_loops, element_wise = packed_adds_in_loops(report.asm)
    adds = {op: n for op, n in report.packed.items() if PACKED_ADD.match(op)}
    if not adds:
        if report.uses_simd:  # packed compares/blends/max, but the additions are scalar
            found = ", ".join(f"{op} x{n}" for op, n in report.packed.items())
            return Verdict(False, f"{name}: packed instructions ({found}) but no packed "
                           f"additions: the sum is still added one value at a time "
                           f"({', '.join(report.scalar) or 'no adds'}) [{report.isa}]")
        return Verdict(False, f"{name}: {report}")
    listed = ", ".join(f"{op} x{n}" for op, n in sorted(adds.items()))
    if not in_loops and element_wise:
        return Verdict(False, f"{name}: packed additions in a loop, but the loop loads one "
                       "element at a time (no whole-vector load: gathers or vmovsd/vmovhpd "
                       "pairs), so it runs at scalar speed; `for x in data` compiles to that: "
                       f"index the array, range(data.shape[0]) [{report.isa}]")
    if not in_loops:
        return Verdict(False, f"{name}: packed additions ({listed}) only outside its loops: "
                       "the loop itself still adds one value at a time; loops with an early "
                       "exit, an `if` on each element or function calls stay scalar "
                       f"[{report.isa}]")
    chains = scalar_chains(report.asm)
    if len(chains) > 1:  # a hand-unrolled scalar loop: fast without SIMD, so not timed
        return Verdict(False, f"{name}: a loop adds in {len(chains)} separate scalar chains "
                       f"({', '.join(chains)}, one value per instruction): accumulators "
                       "unrolled by hand run several additions at once without SIMD. Keep one "
                       "accumulator and let numba vectorize it (the fastmath flags) "
                       f"[{report.isa}]")
    baseline = _baseline(name, settings)
    timed = simd_throughput(folder, name, settings, kernel)
    looped = ", ".join(f"{op} x{n}" for op, n in sorted(in_loops.items()))
    details = [f"machine code: packed additions in a loop ({looped}) [{report.isa}]",
               f"throughput on cache-resident data vs the scalar loop `{baseline}`: "
               f"{_one_line(timed)}"]
    if timed.passed:
        return Verdict(True, f"{name}: SIMD: packed additions in its loop and "
                       f"{timed.speedup:.1f}x the scalar loop's speed (at least "
                       f"{spec.threshold:g}x required)", details)
    if timed.speedup is None:  # wrong answers, a crash: no timing to judge
        return Verdict(False, f"{name}: {timed.reason}", details)
    return Verdict(False, f"{name}: packed additions in a loop ({looped}), but on "
                   f"cache-resident data it runs only {timed.speedup:.1f}x as fast as the "
                   f"scalar loop `{baseline}` (at least {spec.threshold:g}x required, more than a "
                   "plain scalar loop gets): the loop that does the work still handles one "
                   "value at a time. Index the array (range(data.shape[0])), no `for x in "
                   "data`, no early exit, and keep all the work in one vectorizable loop.",
                   details)


# ---- bandwidth -----------------------------------------------------------------------------


def bandwidth_report(folder: Path, name: str, settings: dict[str, Any], kernel: Any) -> Any:
    """The speed engine's report of ``kernel`` against the copy yardstick (``size`` elements,
    fresh inputs every call)."""
    from grader.speed import measure_speed

    table = {k: v for k, v in settings.items() if k not in ("threshold", "fraction")}
    # The "baseline" is the copy yardstick, timed in the same rounds as the kernel (same
    # fresh inputs, same load); the verdict is the bandwidth fraction, not a speedup.
    spec = _spec(table, f"{folder}: bandwidth of {name!r}", threshold=1e-6, reps=3, best_of=2,
                 warmup=1, grey_zone=0.0, max_seconds=300.0, measure_memory=False)
    return measure_speed(spec, inputs=_module(folder, f"make_{name}"),
                         expected=_module(folder, f"expected_{name}").load_here(),
                         baseline=_module(folder, str(table.get("baseline", "copy_and_sum"))),
                         candidate=kernel)


def bandwidth_fractions(report: Any) -> list[float]:
    """Per repetition: the kernel's read rate / the copy's rate (read + write). A copy moves
    2 * size * 8 bytes, the sum reads size * 8: fraction = copy time / (2 * sum time)."""
    return sorted(s.baseline_s / (2 * s.candidate_s) for s in report.samples)


def bandwidth_verdict(folder: Path, name: str, settings: dict[str, Any],
                      kernel: Any) -> Verdict:
    """``kernel``'s read rate beyond the private caches as a fraction of a copy's rate."""
    size, wanted = int(settings["size"]), float(settings["fraction"])
    report = bandwidth_report(folder, name, settings, kernel)
    if not report.passed:
        return Verdict(False, f"{name} at {size:,} elements: {_one_line(report)}")
    fractions = bandwidth_fractions(report)
    reached = statistics.median(fractions)
    copy_s = statistics.median(s.baseline_s for s in report.samples)
    sum_s = statistics.median(s.candidate_s for s in report.samples)
    rates = (f"{name} read {size * 8 / sum_s / 1e9:.1f} GB/s at {size:,} elements: "
             f"{reached:.0%} of the copy bandwidth measured in the same rounds "
             f"({2 * size * 8 / copy_s / 1e9:.1f} GB/s read + write; repetitions "
             f"{', '.join(f'{f:.0%}' for f in fractions)}); required {wanted:.0%}")
    if reached >= wanted:
        return Verdict(True, rates, [report.machine])
    return Verdict(False, rates + ". It does not stream its input: look for copies, "
                   "temporary arrays or Python objects in the loop.", [report.machine])


# ---- where it runs ---------------------------------------------------------------------------

_VERDICTS = {"simd": simd_verdict, "bandwidth": bandwidth_verdict}


def measured_outputs(kind: str, assignment: Any, exercise: Any, settings: dict[str, Any],
                     notebook: Path) -> list[dict[str, Any]]:
    """A measurer of grader/classgrade/speedcheck.py: the kernel ``exercise.name`` compiled
    alone from ``notebook``'s source, judged; nbformat outputs ending with an error output
    unless the cell passed."""
    from grader.classgrade.capture import error_output
    from grader.speed.kernels import KernelCandidate, KernelSourceError

    try:
        kernel = KernelCandidate.from_notebook(notebook, exercise.name)
    except KernelSourceError as exc:
        return [error_output("AssertionError", str(exc))]
    verdict = _VERDICTS[kind](assignment.folder, exercise.name, settings, kernel)
    shown = {"output_type": "stream", "name": "stdout", "text": verdict.text() + "\n"}
    return [shown] if verdict.passed else [shown, error_output("AssertionError",
                                                                verdict.message)]


def simd_outputs(assignment: Any, exercise: Any, settings: dict[str, Any],
                 notebook: Path) -> list[dict[str, Any]]:
    return measured_outputs("simd", assignment, exercise, settings, notebook)


def bandwidth_outputs(assignment: Any, exercise: Any, settings: dict[str, Any],
                      notebook: Path) -> list[dict[str, Any]]:
    return measured_outputs("bandwidth", assignment, exercise, settings, notebook)


def check_in_kernel(kind: str, folder: Path, name: str, func: Any) -> str:
    """The same verdict for a kernel defined in this (the learner's) process: its source
    compiled alone, measured in workers. AssertionError unless it passes; returns the
    measurement. While the grader measures outside the kernel, does nothing."""
    import os

    from grader.metadata import load_assignment
    from grader.speed.kernels import KernelCandidate, KernelSourceError
    from grader.speedtest import TRUSTED_ENV

    if os.environ.get(TRUSTED_ENV):
        return f"{kind} is measured by the grader outside this kernel"
    settings = load_assignment(folder).exercise(name).settings(kind)
    try:
        kernel = KernelCandidate.from_function(func, name)
    except KernelSourceError as exc:
        raise AssertionError(str(exc)) from None
    verdict = _VERDICTS[kind](folder, name, settings, kernel)
    if not verdict.passed:
        raise AssertionError(verdict.message)
    return verdict.text()
