"""Is the learner's worker working outside its timed calls? (as grader/speed/verdict.py)

Receiving inputs and handing back results run the same trusted code in the learner's
worker as in the model's; far more CPU there, CPU used while idle between batches, or wall
time far beyond CPU time, is work hidden from the timed calls (a hooked harness, a result
computed lazily when it is handed back, a thread working while the others are timed).
"""

from __future__ import annotations

import statistics

from grader.speed.session import CallTiming

HARNESS_FACTOR = 3.0
HARNESS_SLACK_S = 0.005
IDLE_SLACK_S = 0.002
WALL_FACTOR = 3.0
WALL_SLACK_S = 0.05
RESULT_NS = 400  # per element of a result: converting a Python list and freeing it

# role -> (size, timing, result elements) of every timed batch (grader/growth/measure.py)
Harness = dict[str, list[tuple[int, CallTiming, int]]]


def harness_problem(harness: Harness, sizes: list[int]) -> str | None:
    """A reason when the candidate's worker works outside its timed calls at one of
    ``sizes``, judged against the model ("yardstick") timed on the same inputs: the least
    excess over the batches of each size counts (noise hits some batches, hidden work every
    one). Handing back a result may cost RESULT_NS per element more than the model's: a
    list of Python ints is converted and freed there, where the model returns an array; a
    result computed lazily there costs far more."""
    yard = harness.get("yardstick")
    if not yard:
        return None
    for n in sizes:
        mine = [(t, e) for size, t, e in harness.get("candidate", []) if size == n]
        ref = [t for size, t, _ in yard if size == n]
        if not mine or not ref:
            continue
        problem = _excess(n, mine, ref)
        if problem:
            return problem
    return None


def _excess(n: int, mine: list[tuple[CallTiming, int]], ref: list[CallTiming]) -> str | None:
    ref_in = min(t.prepare / t.inputs for t in ref)
    ref_out = min(t.fetch / t.calls for t in ref)
    # Wall time beyond CPU time: judged against the model's own ratio in the same rounds (on
    # a machine with more work than cores every process waits for a core, the model too).
    wall_factor = max(WALL_FACTOR, 2 * statistics.median(t.wall / max(t.cpu, 1e-9)
                                                         for t in ref))
    checks = {
        "receiving its inputs": min(
            t.prepare - HARNESS_FACTOR * ref_in * t.inputs for t, _ in mine),
        "handing back its results": min(
            t.fetch - HARNESS_FACTOR * ref_out * t.calls - RESULT_NS * 1e-9 * e
            for t, e in mine),
        "idle between two batches": min(t.idle for t, _ in mine) - IDLE_SLACK_S
        + HARNESS_SLACK_S,
        "waiting (wall time far beyond CPU time)": min(
            (t.wall - wall_factor * t.cpu) * t.calls for t, _ in mine) - WALL_SLACK_S
        + HARNESS_SLACK_S,
    }
    for what, excess in checks.items():
        if excess > HARNESS_SLACK_S:
            return (f"at n={n:,} your function's worker used "
                    f"{(excess + HARNESS_SLACK_S) * 1e3:.1f} ms more than allowed while "
                    f"{what}: work done outside the timed calls is not graded")
    return None
