"""From timings to a verdict: medians, the grey zone, and two sanity checks.

Why medians of per-repetition ratios: each repetition runs baseline, reference and
candidate interleaved on the same inputs under the same momentary load, so the ratio of
one repetition cancels most of the load; the median then ignores the repetitions a burst
of outside load hit anyway. Why best-of-k inside a repetition: a call is only ever slowed
down by noise (page faults, preemption), never sped up, so the minimum is the estimate.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from grader.speed.session import CallTiming

# Wall-time sanity: a candidate whose call takes much longer in wall time than its worker
# spends on the CPU is waiting for work done elsewhere (another process we cannot see,
# sleeping). Allowed: this factor, or twice the baseline's own wall/CPU ratio under the same
# load, whichever is larger, plus an absolute slack for wake-up latency on a busy machine.
WALL_FACTOR = 3.0
WALL_SLACK_S = 0.05

# Harness-phase sanity: delivering the input runs the same trusted code in every worker, and
# fetching a result should cost about what delivering as many bytes costs, plus releasing
# the input (a worker frees it after the call: unmapping or trimming the heap it used costs
# up to ~0.16x its delivery, 2-11 ms for 8-32 MB inputs on a busy 2-core machine). A candidate
# worker that burns far more CPU there (e.g. it hooked the input or result code to compute
# outside the call) is not graded. The baseline's *fetch* is no yardstick: it includes
# freeing its Python list.
OVERHEAD_FACTOR = 3.0
RELEASE_FACTOR = 0.5
OVERHEAD_SLACK_S = 0.002


@dataclass
class PhaseStats:
    """Per-repetition best timings of one role."""

    cpu: list[float]
    wall: list[float]
    prepare: list[float]
    fetch: list[float]


def best_of(calls: Sequence[CallTiming]) -> CallTiming:
    """The call with the least CPU time (noise only ever adds time)."""
    return min(calls, key=lambda call: call.cpu)


def summarize(ratios: Sequence[float]) -> tuple[float, float, float]:
    """(median, min, max) of per-repetition ratios; ValueError when empty."""
    if not ratios:
        raise ValueError("no repetitions to summarize")
    return statistics.median(ratios), min(ratios), max(ratios)


def in_grey_zone(median: float, threshold: float, grey_zone: float) -> bool:
    """True when ``median`` is within +/- ``grey_zone`` (a fraction) of ``threshold``."""
    return threshold * (1 - grey_zone) <= median <= threshold * (1 + grey_zone)


def wall_problem(candidate: PhaseStats, baseline: PhaseStats) -> str | None:
    """A reason when the candidate's wall time is implausibly far above its CPU time."""
    cand_cpu = statistics.median(candidate.cpu)
    cand_wall = statistics.median(candidate.wall)
    base_ratio = statistics.median(w / max(c, 1e-9) for w, c in zip(baseline.wall, baseline.cpu,
                                                                    strict=True))
    allowed = max(WALL_FACTOR, 2.0 * base_ratio) * cand_cpu + WALL_SLACK_S
    if cand_wall <= allowed:
        return None
    return (f"the candidate's calls took {cand_wall * 1e3:.1f} ms of wall time but only "
            f"{cand_cpu * 1e3:.1f} ms of CPU in its process (baseline ratio "
            f"{base_ratio:.1f}x): work done outside the measured process or sleeping is "
            "not graded")


def overhead_problem(candidate: PhaseStats, baseline: PhaseStats,
                     out_per_in: float) -> str | None:
    """A reason when the candidate's worker works hard while the harness moves data.

    ``out_per_in`` is result bytes / input bytes: fetching the result should cost about
    that fraction of delivering the input, which the baseline's worker measured, plus
    releasing the input. The candidate's least cost over the repetitions is compared:
    noise (a heap trim, a page-fault burst) hits some calls, hidden work every one.
    """
    per_input = statistics.median(baseline.prepare)
    out_per_in = max(out_per_in, 0.0)
    allowed = {"prepare": OVERHEAD_FACTOR * per_input + OVERHEAD_SLACK_S,
               "fetch": (RELEASE_FACTOR + OVERHEAD_FACTOR * out_per_in) * per_input
               + OVERHEAD_SLACK_S}
    for phase, limit in allowed.items():
        used = min(getattr(candidate, phase))
        if used > limit:
            what = "receiving its input" if phase == "prepare" else "handing back its result"
            return (f"the candidate's worker used {used * 1e3:.1f} ms of CPU outside the timed "
                    f"call while {what} (allowed {limit * 1e3:.1f} ms): work hidden in the "
                    "harness is not graded")
    return None
