"""`measure_speed`: is the learner's function at least T times faster than the AI version?

The plan of one measurement:

1. The parent draws a secret seed and makes every input itself with the exercise's
   ``make(rng, size)``; arrays are sent to the workers. (Sending only a seed would let
   candidate code, which runs in its worker, replace ``make`` and choose its own inputs.)
2. Baseline, reference and candidate each load in their own worker process.
3. Warm-up calls (JIT compilation, first touch) are checked but not timed.
4. Each repetition: ``best_of`` fresh inputs; each input goes to all workers in a random
   order; each worker's CPU time is read from outside. A repetition's ratio is
   best(baseline) / best(candidate); the verdict uses the median over repetitions.
5. In the grey zone around the threshold, twice as many repetitions more are measured.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.speed import check, verdict
from grader.speed.candidates import Candidate, as_candidate
from grader.speed.machine import machine_note
from grader.speed.memory import input_bytes, memory_report
from grader.speed.session import CallFailed, Contestant
from grader.speed.spec import MemoryReport, RepSample, SpeedReport, SpeedSpec
from grader.speed.workerproc import WorkerFailure

Factory = Callable[[np.random.Generator, int], tuple[Any, ...]]


class _Stop(Exception):
    """Ends a measurement early with a report reason (``failed: ...`` or ``error: ...``)."""


def measure_speed(spec: SpeedSpec, *, inputs: Candidate | Factory,
                  expected: Callable[..., Any] | None, baseline: Candidate | Callable[..., Any],
                  candidate: Candidate | Callable[..., Any],
                  reference: Candidate | Callable[..., Any] | None = None,
                  progress: bool = False,
                  compare: check.Comparator | None = None) -> SpeedReport:
    """Time ``candidate`` against ``baseline`` (and ``reference``) and decide.

    ``inputs`` is the exercise's trusted ``make(rng, size) -> tuple`` (a Candidate such as
    ``ModuleCandidate(path, "make")``, loaded here in the parent, or a callable).
    ``expected(*args)`` computes the right answer here in the parent; with None the
    reference's answers are used. ``compare(got, expected) -> str | None`` replaces the
    default allclose comparison. Plain callables are wrapped in `CallableCandidate`.

    Bad arguments raise TypeError/ValueError. Everything a worker does wrong (dies, hangs,
    raises, answers wrongly, outgrows its memory) ends in a report with ``passed=False``.
    """
    if not isinstance(spec, SpeedSpec):
        raise TypeError(f"spec must be a SpeedSpec, got {type(spec).__name__}")
    if expected is None and reference is None:
        raise ValueError("expected: give expected(*args) or a reference to compare with")
    if expected is not None and not callable(expected):
        raise TypeError("expected must be callable")
    factory = inputs.load_here() if isinstance(inputs, Candidate) else inputs
    if not callable(factory):
        raise TypeError("inputs must be a Candidate or a callable make(rng, size)")
    roles = {"baseline": as_candidate(baseline), "candidate": as_candidate(candidate)}
    if reference is not None:
        roles["reference"] = as_candidate(reference)
    return _Measurement(spec, factory, expected, roles, progress, compare).run()


class _Measurement:
    def __init__(self, spec: SpeedSpec, factory: Factory, expected: Callable[..., Any] | None,
                 roles: dict[str, Candidate], progress: bool,
                 compare: check.Comparator | None) -> None:
        self.spec, self.factory, self.expected = spec, factory, expected
        self.roles, self.compare = roles, compare
        # With no seed, every input gets its own generator seeded from `secrets`: PCG64 is
        # not a cryptographic generator, so one long stream could in principle be
        # predicted from the inputs a candidate has already seen.
        seed = spec.seed if spec.seed is not None else secrets.randbits(63)
        self.rng = np.random.default_rng(seed) if spec.seed is not None else None
        self.order_rng = np.random.default_rng([seed, 1])
        self.progress = progress
        self.started = time.monotonic()
        self.deadline = self.started + spec.max_seconds
        self.timed_timeout = spec.call_timeout
        self.contestants: dict[str, Contestant] = {}
        self.calls: dict[str, list[Any]] = {role: [] for role in roles}
        self.report = SpeedReport(passed=False, reason="", threshold=spec.threshold,
                                  machine=machine_note())
        self.in_bytes = 0
        self.out_bytes = 0
        self.timed_calls = 0

    # ---- driving ----------------------------------------------------------------------

    def run(self) -> SpeedReport:
        from tqdm.auto import tqdm

        spec = self.spec
        per_round = len(self.roles)
        total = per_round * (spec.warmup + spec.reps * spec.best_of)
        self.bar = tqdm(total=total, desc="speed test", unit="call", disable=not self.progress)
        try:
            self._start()
            self._warm_up()
            if spec.measure_memory:
                self._memory()
            self._repetitions(spec.reps)
            median = verdict.summarize([s.speedup for s in self.report.samples])[0]
            if spec.grey_zone and verdict.in_grey_zone(median, spec.threshold, spec.grey_zone):
                self.report.grey_zone_rerun = True
                self.bar.total += per_round * 2 * spec.reps * spec.best_of
                try:
                    self._repetitions(2 * spec.reps)
                except _Stop as stop:
                    if not str(stop).startswith("budget"):
                        raise
                    self.report.notes.append("note: the grey-zone re-measurement was cut "
                                             "short by max_seconds")
            self._decide()
        except _Stop as stop:
            text = str(stop)
            if text.startswith("budget"):
                text = (f"failed: the measurement did not finish within max_seconds="
                        f"{spec.max_seconds:g} ({len(self.report.samples)} of {spec.reps} "
                        "repetitions done); the code is too slow or the machine too busy")
            self.report.passed = False
            self.report.reason = text
        finally:
            self.bar.close()
            for contestant in self.contestants.values():
                contestant.close()
            self.report.seconds = time.monotonic() - self.started
        return self.report

    def _make(self) -> tuple[Any, ...]:
        rng = self.rng or np.random.default_rng(secrets.randbits(128))
        args = self.factory(rng, self.spec.size)
        if isinstance(args, list):
            args = tuple(args)
        if not isinstance(args, tuple):
            raise TypeError(f"the inputs factory must return a tuple of arguments, got "
                            f"{type(args).__name__}")
        return args

    def _timeout(self, base: float) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _Stop("budget")
        return max(0.5, min(base, left))

    def _fail(self, role: str, message: str) -> _Stop:
        # The learner's problems fail the test; the course's own code failing is an error.
        if role == "candidate":
            return _Stop(f"failed: {message}")
        return _Stop(f"error: the {role} (course code, not the learner's) failed: {message}")

    def _start(self) -> None:
        sample = self._make()
        self.in_bytes = input_bytes(sample)
        factor = self.spec.memory_limit_factor
        rss_limit = None if factor is None else int(factor * self.in_bytes) + (512 << 20)
        address_space = None if rss_limit is None else 2 * rss_limit + (4 << 30)
        for role in self.roles:  # start all first: they import at the same time
            self.contestants[role] = Contestant(role, rss_limit=rss_limit)
        for role, contestant in self.contestants.items():
            contestant.start_load(self.roles[role].payload(), address_space)
        for role, contestant in self.contestants.items():
            self._guard(role, "while loading", contestant.finish_load,
                        self._timeout(self.spec.call_timeout))
        # The baseline runs only trusted code, so its empty round trip is the overhead
        # every worker's timed phase carries; candidates cannot inflate it.
        floor = self._guard("baseline", "while calibrating",
                            self.contestants["baseline"].calibrate,
                            self._timeout(self.spec.call_timeout))
        for contestant in self.contestants.values():
            contestant.floor_ns = floor

    def _guard(self, role: str, where: str, func: Callable[..., Any], *args: Any,
               **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except WorkerFailure as exc:
            if exc.kind == "timeout" and time.monotonic() >= self.deadline - 0.1:
                raise _Stop("budget") from exc  # cut short by max_seconds, not call_timeout
            raise self._fail(role, f"{exc} {where}") from exc
        except CallFailed as exc:
            raise self._fail(role, f"{exc} {where}") from exc

    # ---- phases -----------------------------------------------------------------------

    def _round(self, label: str, timeout: float, fetch_all: bool) -> dict[str, Any]:
        """Give one fresh input to every worker in random order; check the answers."""
        args = self._make()
        want = None if self.expected is None else check.expected_value(self.expected, args)
        results: dict[str, Any] = {}
        for index in self.order_rng.permutation(len(self.roles)):
            role = list(self.roles)[index]
            fetch = fetch_all or role == "candidate" or (role == "reference" and want is None)
            results[role] = self._guard(role, f"on {label}", self.contestants[role].call, args,
                                        self._timeout(timeout), fetch)
            self.bar.update(1)
        if want is None:
            want = results["reference"][1]
        for role, (_, got, header) in results.items():
            if got is None:
                continue
            problem = check.compare_result(
                got, str(header.get("type")), want, dtype=self.spec.dtype, rtol=self.spec.rtol,
                atol=self.spec.atol, strict=role != "baseline", comparator=self.compare)
            if problem:
                raise self._fail(role, f"wrong answer on {label}: {problem}")
            if role == "candidate":
                self.out_bytes = got.nbytes
        return {role: timing for role, (timing, _, _) in results.items()}

    def _warm_up(self) -> None:
        slowest = 0.0
        for i in range(self.spec.warmup):
            timings = self._round(f"warm-up call {i + 1}", self.spec.call_timeout, True)
            slowest = max(slowest, timings["baseline"].wall)
        for contestant in self.contestants.values():
            contestant.handle.clock.refresh()
        # A timed call may take 20x the baseline's slowest warm-up (a candidate slower than
        # that fails anyway), so a hang is noticed in seconds, not after call_timeout.
        self.timed_timeout = min(self.spec.call_timeout, max(2.0, 20 * slowest))

    def _memory(self) -> None:
        # Not the baseline: tracing a million list allocations costs seconds and the
        # baseline's memory is not graded.
        timeout = self.spec.call_timeout
        for role, contestant in self.contestants.items():
            if role == "baseline":
                continue
            traced = self._guard(role, "in the memory measurement", contestant.traced_memory,
                                 self._make(), self._timeout(timeout))
            before, peak = self._guard(role, "in the memory measurement", contestant.rss_call,
                                       self._make(), self._timeout(timeout))
            self.report.memory[role] = memory_report(self.in_bytes, traced, before, peak)

    def _repetitions(self, count: int) -> None:
        spec = self.spec
        for _ in range(count):
            rep = len(self.report.samples) + 1
            calls: dict[str, list[Any]] = {role: [] for role in self.roles}
            for j in range(spec.best_of):
                self.timed_calls += 1
                label = (f"timed call {self.timed_calls} (repetition {rep}, call {j + 1} of "
                         f"{spec.best_of})")
                for role, timing in self._round(label, self.timed_timeout, False).items():
                    calls[role].append(timing)
            for contestant in self.contestants.values():
                contestant.handle.clock.refresh()  # a helper process started? count it from now
            best = {role: verdict.best_of(timings) for role, timings in calls.items()}
            for role, timing in best.items():
                self.calls[role].append(timing)
            ref = best.get("reference")
            self.report.samples.append(RepSample(
                baseline_s=best["baseline"].cpu, candidate_s=best["candidate"].cpu,
                reference_s=None if ref is None else ref.cpu,
                speedup=best["baseline"].cpu / best["candidate"].cpu,
                candidate_wall_s=best["candidate"].wall))

    # ---- deciding ---------------------------------------------------------------------

    def _stats(self, role: str) -> verdict.PhaseStats:
        timings = self.calls[role]
        return verdict.PhaseStats(cpu=[t.cpu for t in timings], wall=[t.wall for t in timings],
                                  prepare=[t.prepare for t in timings],
                                  fetch=[t.fetch for t in timings])

    def _decide(self) -> None:
        report, spec = self.report, self.spec
        median, low, high = verdict.summarize([s.speedup for s in report.samples])
        report.speedup, report.speedup_min, report.speedup_max = median, low, high
        refs = [(s.baseline_s / s.reference_s, s.reference_s / s.candidate_s)
                for s in report.samples if s.reference_s]
        if refs:
            report.reference_speedup = verdict.summarize([r[0] for r in refs])[0]
            report.vs_reference = verdict.summarize([r[1] for r in refs])[0]
            if report.reference_speedup < spec.threshold:
                report.notes.append(
                    f"note: the model solution itself reached only {report.reference_speedup:.1f}x"
                    " here; the machine may be overloaded or the threshold too high")
        base, cand = self._stats("baseline"), self._stats("candidate")
        problem = (self._memory_problem() or verdict.wall_problem(cand, base)
                   or verdict.overhead_problem(cand, base, self.out_bytes / max(self.in_bytes, 1)))
        if problem:
            report.reason = f"failed: {problem}"
        elif median >= spec.threshold:
            report.passed = True
            report.reason = (f"passed: median speedup {median:.1f}x >= required "
                             f"{spec.threshold:g}x")
        else:
            report.reason = (f"failed: median speedup {median:.1f}x < required "
                             f"{spec.threshold:g}x (range {low:.1f}x to {high:.1f}x)")

    def _memory_problem(self) -> str | None:
        limit = self.spec.max_memory_ratio
        mem: MemoryReport | None = self.report.memory.get("candidate")
        if limit is None or mem is None or mem.ratio <= limit:
            return None
        return (f"one call needs {mem.ratio:.1f}x the input's size in extra memory "
                f"(limit {limit:g}x): {mem}")
