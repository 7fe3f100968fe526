"""`measure_growth`: time a function at sizes drawn per run, from outside, and grade its slope.

The plan of one measurement (the speed engine's workers and clocks, grader/speed/):

1. The parent draws the sizes (sizes.py) and, for every call, a fresh input made here by the
   exercise's ``make(rng, n)`` from secret randomness: no two calls of a worker share an
   input, so a cache across calls never hits, and no run has the sizes of another.
2. The AI version (``baseline``), the model solution (``yardstick``: the course's trusted
   answer, timed like the others) and the learner's function (``candidate``) each load in
   a worker process of their own.
3. Size by size, smallest first, every role still in the race gets ``best_of`` timed batches
   in a random order, the model and the learner on the same inputs; a batch is one call, or
   at small sizes several calls back to back on fresh inputs (``batch_ms``). The worker's CPU
   clock is read from outside around the calls; every answer but the AI version's is
   compared here with ``expected(*args)``. The fastest batch counts.
4. A role whose call costs more than ``call_limit`` stops there (the AI version at its
   quadratic end); a learner's function that stops, hangs or answers wrongly fails.
5. Where memory is graded, one call per size in a fresh worker, its peak RSS read from /proc.
6. Each curve gets a line in log-log space (fit.py). The learner passes when the slope is at
   most ``max_slope`` plus the machine's allowance (how much steeper than in theory the
   model measured in the same rounds), memory's slope at most ``max_memory_slope``, and,
   at the largest size, one call costs at most ``max_slowdown`` x the model's.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.growth import sizes as sizing
from grader.growth.fit import fit_growth
from grader.growth.sanity import harness_problem
from grader.growth.spec import Curve, GrowthReport, GrowthSpec
from grader.speed import check, progressbar
from grader.speed.candidates import Candidate, as_candidate
from grader.speed.machine import machine_note
from grader.speed.session import CallFailed, CallTiming, Contestant
from grader.speed.workerproc import WorkerFailure

Factory = Callable[[np.random.Generator, int], tuple[Any, ...]]
LABELS = {"baseline": "AI version", "yardstick": "model solution",
          "candidate": "yours"}
MAX_BATCH_CALLS = 1000
# A call this long (CPU seconds) is timed once per size, not best_of times: a busy machine
# adds a small part to it, and repeating a quadratic version's seconds-long calls would
# only make its verdict slow to come.
ONCE_ABOVE_S = 0.5
RSS_LIMIT = 3 << 30  # a worker past 3 GiB is stopped before the sandbox stops everything


class _Stop(Exception):
    """Ends the measurement with a report reason (``failed: ...`` or ``error: ...``)."""


def measure_growth(spec: GrowthSpec, *, inputs: Candidate | Factory,
                   expected: Callable[..., Any], baseline: Candidate | Callable[..., Any],
                   candidate: Candidate | Callable[..., Any],
                   yardstick: Candidate | Callable[..., Any] | None = None,
                   progress: bool = False,
                   compare: check.Comparator | None = None) -> GrowthReport:
    """Measure how ``candidate``'s CPU time grows, beside the other roles, and decide.

    ``inputs``: the trusted ``make(rng, n) -> tuple``; ``expected(*args)``: the right answer,
    computed here; ``compare(got, want) -> str | None`` replaces the default comparison of
    values. Bad arguments raise TypeError/ValueError; everything a worker does wrong ends in
    a report with ``passed=False``. ``progress``: show the speed engine's in-place progress
    bar (grader/speed/progressbar.py) while it takes a while.
    """
    if not isinstance(spec, GrowthSpec):
        raise TypeError(f"spec must be a GrowthSpec, got {type(spec).__name__}")
    if not callable(expected):
        raise TypeError("expected must be callable")
    factory = inputs.load_here() if isinstance(inputs, Candidate) else inputs
    if not callable(factory):
        raise TypeError("inputs must be a Candidate or a callable make(rng, n)")
    roles = {"baseline": as_candidate(baseline)}
    if yardstick is not None:
        roles["yardstick"] = as_candidate(yardstick)
    roles["candidate"] = as_candidate(candidate)
    if spec.max_slowdown is not None and yardstick is None:
        raise ValueError("max_slowdown needs a yardstick to compare with")
    return _Growth(spec, factory, expected, roles, progress, compare).run()


class _Growth:
    def __init__(self, spec: GrowthSpec, factory: Factory, expected: Callable[..., Any],
                 roles: dict[str, Candidate], progress: bool,
                 compare: check.Comparator | None = None) -> None:
        self.spec, self.factory, self.expected, self.roles = spec, factory, expected, roles
        self.compare = compare
        self.show_progress = progress
        seed = spec.seed if spec.seed is not None else secrets.randbits(63)
        self.seeded = spec.seed is not None
        self.rng = np.random.default_rng(seed)
        where = sizing.fractions(self.rng, spec.points)
        low, high = spec.baseline_range
        self.sizes = {role: sizing.sizes_at(low, high, where) if role == "baseline" else
                      sizing.sizes_at(spec.min_size, spec.max_size, where) for role in roles}
        self.curves = {role: Curve(role, LABELS[role]) for role in roles}
        # role -> (size, timing, result elements) of every timed batch
        self.harness: dict[str, list[tuple[int, CallTiming, int]]] = {r: [] for r in roles}
        self.contestants: dict[str, Contestant] = {}
        self.started = time.monotonic()
        self.deadline = self.started + spec.max_seconds
        self.report = GrowthReport(False, "", spec.max_slope, self.curves,
                                   machine=machine_note())

    def run(self) -> GrowthReport:
        spec = self.spec
        steps = (spec.points * len(self.roles) * spec.best_of
                 + (6 if spec.max_memory_slope is not None else 0))
        self.bar = progressbar.open_bar(steps, f"growth of {self.roles['candidate'].name}",
                                        self.show_progress)
        try:
            self._start()
            for i in range(self.spec.points):
                self._size(i)
            if self.spec.max_memory_slope is not None and not self.curves["candidate"].stopped:
                self._memory()
            self._decide()
        except _Stop as stop:
            self.report.passed, self.report.reason = False, str(stop)
        finally:
            self.bar.close()  # gone, however the measurement ended
            for contestant in self.contestants.values():
                contestant.close()
            self._fit_all()
            self.report.seconds = time.monotonic() - self.started
        return self.report

    # ---- driving ----------------------------------------------------------------------

    def _make(self, n: int) -> tuple[Any, ...]:
        rng = self.rng if self.seeded else np.random.default_rng(secrets.randbits(128))
        args = self.factory(rng, n)
        args = tuple(args) if isinstance(args, list) else args
        if not isinstance(args, tuple):
            raise TypeError(f"make() must return a tuple of arguments, got {type(args).__name__}")
        return args

    def _left(self, wanted: float) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _Stop(f"failed: the measurement did not finish within max_seconds="
                        f"{self.spec.max_seconds:g}; the code is too slow or the machine "
                        "too busy")
        return max(0.5, min(wanted, left))

    def _fail(self, role: str, message: str) -> _Stop:
        if role == "candidate":
            return _Stop(f"failed: {message}")
        return _Stop(f"error: the {LABELS[role]} (course code, not the learner's) failed: "
                     f"{message}")

    def _start(self) -> None:
        for role in self.roles:  # all start first, so they import at the same time
            self.contestants[role] = Contestant(role, rss_limit=RSS_LIMIT)
        for role, contestant in self.contestants.items():
            contestant.start_load(self.roles[role].payload(), None)
        for role, contestant in self.contestants.items():
            try:
                contestant.finish_load(self._left(60.0))
            except (WorkerFailure, CallFailed) as exc:
                raise self._fail(role, f"{exc} while loading") from exc
            # Untimed first call at the smallest size: imports, first touch, and proof that
            # the worker answers before anything is timed.
            n = self.sizes[role][0]
            try:
                self._batch(role, n, [self._make(n)], {}, self._left(60.0))
                contestant.floor_ns = contestant.calibrate(self._left(10.0))
                contestant._ended_ns = None  # calibrating is not idle time of the next batch
            except (WorkerFailure, CallFailed) as exc:
                if role == "candidate" and "NotImplementedError" in str(exc):
                    raise _Stop(f"failed: not implemented yet ({self.roles[role].name} raises "
                                "NotImplementedError)") from exc
                raise self._fail(role, f"{exc} on the first call, at n={n:,}") from exc
        self.harness = {role: [] for role in self.roles}

    def _batch(self, role: str, n: int, batch: list[tuple[Any, ...]],
               wants: dict[int, Any], timeout: float) -> CallTiming:
        """One timed batch of ``role``: a call on each input of ``batch`` (of size ``n``),
        each answer checked here against ``wants`` (filled in as needed: input i -> the
        expected answer, shared by the roles that get the same inputs)."""
        # The AI version's answers are not checked: it is timed for its curve, and it is
        # often wrong at the edges the exercise fixes (str.lower() where casefold() is meant).
        if role == "baseline":
            return self.contestants[role].call_batch(batch, timeout, False)[0]
        timing, gots, headers = self.contestants[role].call_batch(batch, timeout, True)
        elements = 0
        for i, (got, header) in enumerate(zip(gots, headers, strict=True)):
            if i not in wants:
                wants[i] = check.expected_value(self.expected, batch[i])
            problem = "returned nothing" if got is None else check.compare_result(
                got, str(header.get("type")), wants[i], dtype=self.spec.dtype,
                rtol=self.spec.rtol, atol=self.spec.atol, strict=self.spec.strict,
                comparator=self.compare)
            if problem:
                where = f" (call {i + 1} of {len(batch)})" if len(batch) > 1 else ""
                raise CallFailed(f"wrong answer at n={n:,}{where}: {problem}")
            elements += 0 if got is None else int(got.size)
        self.harness[role].append((n, timing, elements))
        return timing

    def _size(self, i: int) -> None:
        """Every role still in the race at its i-th size: ``best_of`` rounds. In a round the
        roles timed at the learner's sizes get the same fresh inputs (each worker its own
        copy, so nothing carries over), in a random order; the fastest batch counts."""
        spec = self.spec
        active = [r for r in self.roles if not self.curves[r].stopped]
        calls = dict.fromkeys(active, 1)
        best = dict.fromkeys(active, math.inf)
        done: set[str] = set()
        for _ in range(spec.best_of):
            n = self.sizes["candidate"][i]
            shared = [r for r in active if r != "baseline" and not self.curves[r].stopped
                      and r not in done]
            inputs = [self._make(n) for _ in range(max((calls[r] for r in shared), default=0))]
            wants: dict[int, Any] = {}
            for role in self.rng.permutation(active):
                role = str(role)
                if self.curves[role].stopped or role in done:
                    continue
                size = self.sizes[role][i]
                batch = ([self._make(size) for _ in range(calls[role])] if role == "baseline"
                         else inputs[:calls[role]])
                timing = self._timed(role, size, batch, wants)
                self.bar.update(1)
                if timing is None:
                    continue
                best[role] = min(best[role], timing.cpu)
                if timing.cpu > spec.call_limit:
                    self._record(role, size, best[role])
                    continue
                if timing.cpu > ONCE_ABOVE_S:
                    done.add(role)  # seconds per call: noise is a small part of it
                calls[role] = max(1, min(MAX_BATCH_CALLS,
                                         math.ceil(spec.batch_ms / 1e3 / timing.cpu)))
        for role in active:
            if not self.curves[role].stopped:
                self._record(role, self.sizes[role][i], best[role])

    def _timed(self, role: str, n: int, batch: list[tuple[Any, ...]],
               wants: dict[int, Any]) -> CallTiming | None:
        """One batch, or None when the role ran out of time (it is then stopped)."""
        # Wall time: a call past call_limit of CPU is over the limit anyway, and even on a
        # loaded machine a call well inside it answers within twice its CPU time. A batch
        # of several calls was sized to cost batch_ms, so it gets 20 x that on top.
        spec = self.spec
        timeout = self._left(2 * spec.call_limit + 1.0 + 20 * spec.batch_ms / 1e3)
        try:
            return self._batch(role, n, batch, wants, timeout)
        except WorkerFailure as exc:
            if exc.kind == "timeout" and timeout >= 2 * spec.call_limit:
                self.curves[role].stopped = (
                    f"no answer within {timeout:.0f} s at n={n:,} (the limit is "
                    f"{spec.call_limit:g} s of CPU per call)")
                return None
            raise self._fail(role, f"{exc} at n={n:,}") from exc
        except CallFailed as exc:
            raise self._fail(role, str(exc)) from exc

    def _record(self, role: str, n: int, seconds: float) -> None:
        curve = self.curves[role]
        curve.sizes.append(n)
        curve.seconds.append(seconds)
        if seconds > self.spec.call_limit:
            curve.stopped = (f"one call at n={n:,} took {seconds:.2f} s of CPU, over the "
                             f"{self.spec.call_limit:g} s limit")

    def _memory(self) -> None:
        """Peak extra RSS of one untimed call at each size, for the AI version and the
        learner's function, each call in a fresh worker: a worker keeps memory a previous
        call freed, and a larger call reusing it would hide growth. Read from outside
        (/proc: the peak is reset just before the call and read just after)."""
        from grader.speed.memory import peak_rss, reset_peak_rss

        for role in ("baseline", "candidate"):
            curve = self.curves[role]
            # Three sizes (both ends and the middle): a fresh worker per point is the cost.
            picked = sorted({curve.sizes[0], curve.sizes[len(curve.sizes) // 2],
                             curve.sizes[-1]})
            for n in picked:
                self.bar.update(1)
                contestant = Contestant(role, rss_limit=RSS_LIMIT)
                try:
                    contestant.start_load(self.roles[role].payload(), None)
                    contestant.finish_load(self._left(60.0))
                    handle = contestant.handle
                    handle.send_batch({"op": "input"}, [self._make(n)])
                    handle.wait(self._left(60.0))
                    before = reset_peak_rss(handle.pid)
                    done = handle.request({"op": "go"}, self._left(4 * self.spec.call_limit))
                    peak = peak_rss(handle.pid)
                except (WorkerFailure, CallFailed) as exc:
                    raise self._fail(role, f"{exc} in the memory measurement at n={n:,}") \
                        from exc
                finally:
                    contestant.close()
                if not done.get("ok"):
                    raise self._fail(role, f"raised {done.get('error')} in the memory "
                                     f"measurement at n={n:,}")
                if before is None or peak is None:
                    self.report.notes.append("note: memory could not be read from /proc here")
                    return
                curve.memory_sizes.append(n)
                curve.memory.append(max(0, peak - before))

    # ---- deciding ---------------------------------------------------------------------

    def _fit_all(self) -> None:
        floor = self.spec.memory_floor
        for curve in self.curves.values():
            if len(curve.sizes) >= 2:
                curve.fit = fit_growth(curve.sizes, curve.seconds)
            if len(curve.memory_sizes) >= 2:
                curve.memory_fit = fit_growth(curve.memory_sizes,
                                              [max(b, floor) for b in curve.memory])

    def _decide(self) -> None:
        self._fit_all()
        spec, report, mine = self.spec, self.report, self.curves["candidate"]
        ai = self.curves["baseline"].fit
        ai_words = f"; the AI version {ai.words()}" if ai else ""
        if mine.stopped:
            report.reason = (f"failed: {mine.stopped}, so it was not timed at the larger "
                             f"sizes{ai_words}")
            return
        problem = harness_problem(self.harness, self.curves["candidate"].sizes)
        if problem:
            report.reason = f"failed: {problem}"
            return
        assert mine.fit is not None
        slope, allowed = mine.fit.slope, spec.max_slope + self._allowance()
        verdict = f"{mine.fit.words()} (allowed up to {allowed:.2f}"
        if not report.allowance:
            verdict = f"{mine.fit.words()} (allowed up to {allowed:g}"
        else:
            verdict += (f": {spec.max_slope:g}, plus {report.allowance:.2f} by which the "
                        f"model measured steeper than n^{spec.model_exponent:g} here")
        verdict += f"){ai_words}"
        slow = self._slowdown()
        memory = self._memory_words()
        if slope > allowed:
            report.reason = f"failed: {verdict}"
        elif memory and memory[0]:
            report.reason = f"failed: {memory[1]}"
        elif spec.max_slowdown is not None and slow is not None and slow > spec.max_slowdown:
            report.reason = (f"failed: {verdict}, but at n={mine.sizes[-1]:,} one call costs "
                             f"{slow:.1f}x the model solution's (allowed {spec.max_slowdown:g}x)")
        else:
            report.passed = True
            report.reason = f"passed: {verdict}" + (f"; {memory[1]}" if memory else "")

    def _allowance(self) -> float:
        """How much steeper than in theory the model measured in these rounds (caches,
        load), up to max_allowance: the learner's slope is allowed as much more."""
        model = self.curves.get("yardstick")
        if model is None or model.fit is None:
            return 0.0
        excess = model.fit.slope - self.spec.model_exponent
        self.report.allowance = min(self.spec.max_allowance, max(0.0, excess))
        return self.report.allowance

    def _memory_words(self) -> tuple[bool, str] | None:
        """(failed, words) of the memory verdict, or None when memory is not graded."""
        limit = self.spec.max_memory_slope
        if limit is None:
            return None
        self.report.max_memory_slope = limit
        mine, ai = self.curves["candidate"], self.curves["baseline"]
        if mine.memory_fit is None:
            return True, "its memory could not be measured at two sizes or more"
        top = mine.memory[-1]
        words = (f"its memory {mine.memory_fit.words()} (allowed up to {limit:g}; "
                 f"{top / 1e6:.1f} MB at n={mine.memory_sizes[-1]:,})")
        if ai.memory_fit is not None:
            words += f"; the AI version's {ai.memory_fit.words()}"
        return mine.memory_fit.slope > limit, words

    def _slowdown(self) -> float | None:
        """Candidate / yardstick CPU per call at the largest size, both timed there."""
        yard = self.curves.get("yardstick")
        mine = self.curves["candidate"]
        if yard is None or not mine.sizes:
            return None
        theirs = yard.at(mine.sizes[-1])
        if theirs is None:
            return None
        self.report.slowdown = mine.seconds[-1] / theirs
        return self.report.slowdown
