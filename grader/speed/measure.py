"""`measure_speed`: is the learner's function at least T times faster than the AI version?

The plan of one measurement:

1. The parent draws a secret seed and makes every input itself with the exercise's
   ``make(rng, size)``; arrays are sent to the workers. (Sending only a seed would let
   candidate code, which runs in its worker, replace ``make`` and choose its own inputs.)
2. Baseline, reference and candidate each load in their own worker process.
3. Warm-up calls (JIT compilation, first touch) are checked but not timed.
4. Each repetition: ``best_of`` batches of ``batch`` fresh inputs each; each batch goes to
   all workers in a random order; each worker makes the batch's calls back to back and its
   CPU time is read from outside around them; every answer is checked afterwards. A
   repetition's ratio is best(baseline) / best(candidate), per call; the verdict uses the
   median over repetitions.
5. In the grey zone around the threshold, twice as many repetitions more are measured.
"""

from __future__ import annotations

import math
import secrets
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.speed import batching, check, progressbar, verdict
from grader.speed.batching import BatchShape
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
    if spec.reuse and not roles["candidate"].stateless:
        raise ValueError(f"reuse={spec.reuse} lets calls share inputs, so it needs a candidate "
                         "that cannot remember anything between calls (a KernelCandidate); "
                         f"got {roles['candidate']!r}")
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
        self.timed_timeout: dict[str, float] = {}
        self.shapes: dict[str, BatchShape] = {role: BatchShape(1, 1) for role in roles}
        self.contestants: dict[str, Contestant] = {}
        self.calls: dict[str, list[Any]] = {role: [] for role in roles}
        self.report = SpeedReport(passed=False, reason="", threshold=spec.threshold,
                                  machine=machine_note())
        self.in_bytes = 0
        self.out_bytes = 0
        self.result_like: dict[str, Any] = {}  # the header of a candidate's result
        self.fetch_cost = 0.0
        self.timed_calls = 0

    # ---- driving ----------------------------------------------------------------------

    def run(self) -> SpeedReport:
        spec = self.spec
        per_round = len(self.roles)
        total = per_round * (spec.warmup + spec.reps * spec.best_of)
        self.bar = progressbar.open_bar(total, f"timing {self.roles['candidate'].name}",
                                        self.progress)
        try:
            self._start()
            self._warm_up()
            if spec.measure_memory:
                self._memory()
            self._plan_batches()
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
            self.bar.close()  # gone, however the measurement ended (progressbar.py)
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
        # A batch's inputs, their shared copy and its results come on top of what the
        # factor allows one call.
        held = 3 * batching.MAX_FRESH_BYTES
        rss_limit = (None if factor is None else
                     int(factor * self.in_bytes) + held + (512 << 20))
        address_space = None if rss_limit is None else 2 * rss_limit + (4 << 30)
        for role in self.roles:  # start all first: they import at the same time
            self.contestants[role] = Contestant(role, rss_limit=rss_limit)
        for role, contestant in self.contestants.items():
            contestant.start_load(self.roles[role].payload(), address_space)
        for role, contestant in self.contestants.items():
            self._guard(role, "while loading", contestant.finish_load,
                        self._timeout(self.spec.call_timeout))

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

    def _round(self, label: str, fetch_all: bool,
               timeouts: dict[str, float] | None = None) -> dict[str, Any]:
        """One batch for every worker, in random order, on fresh inputs (each role's shape
        from _plan_batches); every answer is checked. Returns each role's timing."""
        reuse = bool(self.spec.reuse)
        inputs = [self._make() for _ in range(max(s.inputs for s in self.shapes.values()))]
        wants: list[Any] = [None if self.expected is None else
                            check.expected_value(self.expected, args) for args in inputs]
        results: dict[str, Any] = {}
        for index in self.order_rng.permutation(len(self.roles)):
            role = list(self.roles)[index]
            shape = self.shapes[role]
            fetch = fetch_all or role == "candidate" or (role == "reference" and
                                                         self.expected is None)
            timeout = (timeouts or {}).get(role, self.spec.call_timeout * shape.calls)
            results[role] = self._guard(
                role, f"on {label}", self.contestants[role].call_batch,
                inputs[:shape.inputs], self._timeout(timeout), fetch, shape.calls, reuse)
            self.bar.update(1)
        if self.expected is None:
            answers = results["reference"][1]
            wants = answers[:self.shapes["reference"].inputs]
        for role, (_, gots, headers) in results.items():
            for i, (got, header) in enumerate(zip(gots, headers, strict=True)):
                if got is None:
                    continue
                problem = check.compare_result(
                    got, str(header.get("type")), wants[i % len(wants)],
                    dtype=self.spec.dtype, rtol=self.spec.rtol, atol=self.spec.atol,
                    strict=role != "baseline", comparator=self.compare)
                if problem:
                    where = f", call {i + 1} of {len(gots)}" if len(gots) > 1 else ""
                    raise self._fail(role, f"wrong answer on {label}{where}: {problem}")
                if role == "candidate":
                    self.out_bytes, self.result_like = got.nbytes, header
        return {role: timing for role, (timing, _, _) in results.items()}

    def _warm_up(self) -> None:
        self.warm_cpu = math.inf
        for i in range(self.spec.warmup):
            timings = self._round(f"warm-up call {i + 1}", True)
            self.warm_cpu = min(self.warm_cpu, timings["baseline"].cpu)
        for contestant in self.contestants.values():
            contestant.handle.clock.refresh()

    def _plan_batches(self) -> None:
        """Each role's batch shape from the baseline's time per call, the harness overhead
        of each shape (measured on the trusted baseline's worker), memory limits and the
        timeout of a timed batch."""
        spec, baseline = self.spec, self.contestants["baseline"]
        per_call = self._probe()
        plan = batching.plan(spec.batch_ms, spec.threshold, per_call, self.in_bytes,
                             self.out_bytes, spec.reuse)
        self.shapes = {role: plan["baseline" if role == "baseline" else "fast"]
                       for role in self.roles}
        floors: dict[BatchShape, int] = {}
        for shape in set(self.shapes.values()):
            floors[shape] = self._guard("baseline", "while calibrating", baseline.calibrate,
                                        self._timeout(spec.call_timeout), shape.calls,
                                        shape.inputs)
        for role, contestant in self.contestants.items():
            contestant.floor_ns = floors[self.shapes[role]]
        if self.result_like:
            self.fetch_cost = self._guard(
                "baseline", "while measuring the cost of results", baseline.fetch_cost,
                self._timeout(spec.call_timeout), self.shapes["candidate"].calls,
                self.result_like)
            # A timed batch may take 20x what the baseline needs for as many calls (a
            # candidate slower than that fails anyway): a hang is noticed in seconds.
            self.timed_timeout[role] = max(2.0, 20 * per_call * self.shapes[role].calls)
        self.report.batches = {role: (s.calls, s.inputs) for role, s in self.shapes.items()}

    def _probe(self) -> float:
        """The baseline's CPU seconds per call, from untimed batches growing towards
        batch_ms (one call is mostly harness overhead when it takes microseconds; the
        warm-up's may include compiling)."""
        spec, baseline = self.spec, self.contestants["baseline"]
        if spec.batch_ms <= 0:
            return self.warm_cpu
        fresh_cap = max(1, batching.MAX_FRESH_BYTES // max(self.in_bytes, 1))
        calls, per_call = max(spec.reuse, 1), math.inf
        for _ in range(4):
            inputs = [self._make() for _ in range(spec.reuse or calls)]
            timing = self._guard("baseline", "while sizing the timed batches",
                                 baseline.call_batch, inputs,
                                 self._timeout(spec.call_timeout * calls), False, calls,
                                 bool(spec.reuse))[0]
            per_call = timing.cpu
            wanted = batching.calls_for(spec.batch_ms / 1e3, per_call)
            if not spec.reuse:
                wanted = min(wanted, fresh_cap)
            if wanted <= calls * 1.2:
                break
            calls = wanted
        return per_call

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
                label = (f"timed batch {self.timed_calls} (repetition {rep}, batch {j + 1} of "
                         f"{spec.best_of})")
                for role, timing in self._round(label, False, self.timed_timeout).items():
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
                                  fetch=[t.fetch for t in timings],
                                  calls=[t.calls for t in timings],
                                  inputs=[t.inputs for t in timings],
                                  idle=[t.idle for t in timings])

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
        report.batch_ms = {role: statistics.median(t.cpu * t.calls for t in self.calls[role]) * 1e3
                           for role in self.roles}
        problem = (self._memory_problem() or verdict.wall_problem(cand, base)
                   or verdict.overhead_problem(cand, base, self.fetch_cost))
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
