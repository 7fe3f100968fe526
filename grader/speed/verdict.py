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

# Idle sanity: between two of its batches a worker waits for the parent and uses no CPU
# (read from outside, like the rest). A candidate worker that does (a thread preparing
# something for the next batch while the others are timed) is not graded.
IDLE_SLACK_S = 0.002

# Harness-phase sanity: delivering the inputs runs the same trusted code in every worker, and
# fetching the results should cost what the trusted baseline worker needs to hand back as
# many results of that shape, plus releasing the inputs (a worker frees them after the batch:
# unmapping or trimming the heap costs up to ~0.16x their delivery, 2-11 ms for 8-32 MB on a
# busy 2-core machine). A candidate worker that burns far more CPU there (e.g. it hooked the
# input or result code to compute outside the calls) is not graded. The baseline's own
# *fetch* is no yardstick: it includes freeing its Python lists.
OVERHEAD_FACTOR = 3.0
RELEASE_FACTOR = 0.5
OVERHEAD_SLACK_S = 0.002


@dataclass
class PhaseStats:
    """Per-repetition best batches of one role: CPU and wall seconds per call, CPU seconds
    of the whole prepare and fetch phases, and each batch's numbers of calls and inputs."""

    cpu: list[float]
    wall: list[float]
    prepare: list[float]
    fetch: list[float]
    calls: list[int]
    inputs: list[int]
    idle: list[float] | None = None


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
    """A reason when the candidate's wall time is implausibly far above its CPU time.

    Timings are per call; the wake-up slack is per batch, so it is shared by its calls."""
    cand_cpu = statistics.median(candidate.cpu)
    cand_wall = statistics.median(candidate.wall)
    base_ratio = statistics.median(w / max(c, 1e-9) for w, c in zip(baseline.wall, baseline.cpu,
                                                                    strict=True))
    calls = statistics.median(candidate.calls)
    allowed = max(WALL_FACTOR, 2.0 * base_ratio) * cand_cpu + WALL_SLACK_S / calls
    if cand_wall <= allowed:
        return None
    return (f"the candidate's calls took {cand_wall * 1e3:.1f} ms of wall time but only "
            f"{cand_cpu * 1e3:.1f} ms of CPU in its process (baseline ratio "
            f"{base_ratio:.1f}x): work done outside the measured process or sleeping is "
            "not graded")


def overhead_problem(candidate: PhaseStats, baseline: PhaseStats,
                     fetch_cost: float) -> str | None:
    """A reason when the candidate's worker works hard while the harness moves data.

    Delivering inputs runs the same trusted code in every worker: the candidate's prepare
    phase may cost OVERHEAD_FACTOR x the baseline's per input. Its fetch phase may cost
    OVERHEAD_FACTOR x ``fetch_cost`` (the trusted baseline worker handing back as many
    results of the same shape, `Contestant.fetch_cost`) plus releasing the batch's inputs.
    The candidate's least cost over the repetitions is compared: noise (a heap trim, a
    page-fault burst) hits some batches, hidden work every one. Idle CPU between batches
    (a thread at work while the other workers are timed) may be IDLE_SLACK_S at most.
    """
    per_input = statistics.median(p / max(n, 1) for p, n in zip(baseline.prepare,
                                                                baseline.inputs, strict=True))
    least_idle = min(candidate.idle or [0.0])
    if least_idle > IDLE_SLACK_S:
        return (f"the candidate's worker used {least_idle * 1e3:.1f} ms of CPU while it was "
                f"idle between two timed batches (allowed {IDLE_SLACK_S * 1e3:.0f} ms): work "
                "done outside the timed calls is not graded")
    least: dict[str, tuple[float, float]] = {}  # phase -> (used, allowed) of its best batch
    for prepare, fetch, inputs in zip(candidate.prepare, candidate.fetch, candidate.inputs,
                                      strict=True):
        batch = {"prepare": (prepare, OVERHEAD_FACTOR * per_input * inputs + OVERHEAD_SLACK_S),
                 "fetch": (fetch, RELEASE_FACTOR * per_input * inputs
                           + OVERHEAD_FACTOR * max(fetch_cost, 0.0) + OVERHEAD_SLACK_S)}
        for phase, (used, allowed) in batch.items():
            if phase not in least or used / allowed < least[phase][0] / least[phase][1]:
                least[phase] = (used, allowed)
    for phase, (used, allowed) in least.items():
        if used > allowed:
            what = "receiving its input" if phase == "prepare" else "handing back its result"
            return (f"the candidate's worker used {used * 1e3:.1f} ms of CPU outside the "
                    f"timed call while {what} (allowed {allowed * 1e3:.1f} ms): work hidden "
                    "in the harness is not graded")
    return None
