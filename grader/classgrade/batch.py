"""The class run: plan from the journal, run jobs in parallel, write results one at a time.

The parent prepares each submission (sanitize) just before handing it to a worker, so the
workers start at once; a thread pool (or a dask cluster) runs ``run_job``; as each job
finishes, the parent alone saves its result to the journal and writes the gradebook.
"""

from __future__ import annotations

import queue
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from tqdm import tqdm

from grader.classgrade import engine, gradebook
from grader.classgrade.course import Course, open_course
from grader.classgrade.job import JobResult, JobSpec, run_job
from grader.classgrade.journal import DONE, Journal
from grader.classgrade.report import Row, summarize, write_csv
from grader.classgrade.sanitize import SubmissionError, prepare
from grader.sandbox import GiB


@dataclass
class Options:
    workers: int = 2
    scheduler: str | None = None  # dask.distributed address; None: local threads
    force: bool = False  # regrade submissions the journal says are done
    feedback: bool = True
    cell_timeout: int | None = None  # default: the course's Execute.timeout
    timeout: float = 900.0  # wall clock per sandboxed run of one submission
    memory_bytes: int = 4 * GiB  # address space per sandboxed process (see grader.sandbox)
    db_url: str | None = None
    report: Path | None = None
    progress: bool = True
    students: list[str] | None = None


@dataclass
class Outcome:
    rows: list[Row] = field(default_factory=list)
    graded_now: int = 0
    skipped: int = 0
    seconds: float = 0.0
    sandbox_warnings: list[str] = field(default_factory=list)
    feedback_failures: dict[str, str] = field(default_factory=dict)


class _Pool:
    """Local threads or a dask cluster behind one submit(); results arrive on a queue."""

    def __init__(self, options: Options) -> None:
        self.done: queue.Queue = queue.Queue()
        self.students: dict[Any, str] = {}
        self.client = None
        if options.scheduler:
            from distributed import Client

            self.client = Client(options.scheduler)
            self.executor: Any = self.client
            info = self.client.scheduler_info().get("workers", {})
            self.slots = max(1, sum(w.get("nthreads", 1) for w in info.values()))
        else:
            self.executor = ThreadPoolExecutor(max_workers=max(1, options.workers))
            self.slots = max(1, options.workers)

    def submit(self, spec: JobSpec) -> None:
        if self.client is not None:  # pure=False: a resubmission must really run again
            future = self.client.submit(run_job, spec, pure=False, key=f"grade-{spec.student}"
                                        f"-{time.monotonic_ns()}")
        else:
            future = self.executor.submit(run_job, spec)
        self.students[future] = spec.student
        future.add_done_callback(self.done.put)

    def next_result(self) -> JobResult:
        future = self.done.get()
        student = self.students.pop(future)
        try:
            return future.result()
        except Exception as exc:  # a dask worker lost, a cancelled future...
            return JobResult(student, error=f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        else:
            self.executor.shutdown(wait=True)


def autograde_class(root: Path, assignment: str, options: Options | None = None) -> Outcome:
    """Grade every submission of ``assignment`` at ``root`` into its gradebook."""
    options = options or Options()
    start = time.monotonic()
    course = open_course(root, assignment, options.db_url)
    journal = Journal(course.state_dir())
    from nbgrader.api import Gradebook

    gb = Gradebook(course.db_url, course.course_id)
    outcome = Outcome()
    if not options.scheduler:  # dask workers report their own sandbox with each result
        _announce_sandbox(outcome)
    try:
        students = options.students or course.students()
        todo, rewrite = _plan(course, journal, students, options.force)
        outcome.skipped = len(students) - len(todo) - len(rewrite)
        for student in rewrite:  # executed before a kill: write without re-running
            _write(course, journal, gb, student, course.digest(student))
        if todo:
            _run(course, journal, gb, todo, options, outcome)
        if options.feedback:
            written = [e.student for e in journal.entries() if e.state == "written"
                       and e.student in students and _feedback_stale(course, e.student)]
            from grader.classgrade.feedback import generate_feedback

            outcome.feedback_failures = generate_feedback(course, written)
        entries = {e.student: e for e in journal.entries()}
        outcome.rows = [Row.from_entry(entries[s]) for s in students if s in entries]
    finally:
        gb.close()
        journal.close()
    outcome.seconds = time.monotonic() - start
    if options.report:
        write_csv(options.report, outcome.rows)
    return outcome


def _announce_sandbox(outcome: Outcome) -> None:
    """Say it before anything runs, and loudly, when student code would not be isolated."""
    from grader.sandbox import choose_kind

    kind, warnings = choose_kind()  # SandboxUnavailable propagates: nothing runs then
    for warning in warnings if kind != "bubblewrap" else []:
        outcome.sandbox_warnings.append(warning)
        print(f"WARNING: {warning}", file=sys.stderr)


def _feedback_stale(course: Course, student: str) -> bool:
    graded = course.autograded_dir(student) / f"{course.notebook.name}.ipynb"
    page = Path(course.coursedir.format_path(course.coursedir.feedback_directory, student,
                                             course.assignment)) / f"{course.notebook.name}.html"
    return not page.is_file() or (graded.is_file() and
                                  page.stat().st_mtime < graded.stat().st_mtime)


def _plan(course: Course, journal: Journal, students: list[str],
          force: bool) -> tuple[list[str], list[str]]:
    todo, rewrite = [], []
    for student in students:
        entry = journal.get(student)
        digest = course.digest(student)
        if force or entry is None or entry.digest != digest:
            todo.append(student)
        elif entry.state == "executed" and journal.load_result(student) is not None:
            rewrite.append(student)
        elif entry.state not in DONE:
            todo.append(student)
    return todo, rewrite


def _run(course: Course, journal: Journal, gb: Any, todo: list[str], options: Options,
         outcome: Outcome) -> None:
    pool = _Pool(options)
    pending = deque(todo)
    digests: dict[str, str] = {}
    sanitized: dict[str, Any] = {}  # the parent's own copy; the job's is never trusted
    running = 0
    spec_options = engine.job_options(course, timeout=options.timeout,
                                      memory_bytes=options.memory_bytes,
                                      cell_timeout=options.cell_timeout)
    bar = tqdm(total=len(todo), desc=f"autograde {course.assignment}", unit="sub",
               file=sys.stderr, disable=not options.progress)
    try:
        while pending or running:
            # Keep each worker busy with one queued job beyond the one it runs.
            while pending and running < 2 * pool.slots:
                student = pending.popleft()
                digests[student] = course.digest(student)
                try:
                    nb, spec = prepare(course, student, **spec_options)
                except SubmissionError as exc:
                    _fail(course, journal, gb, student, digests[student], str(exc))
                    bar.update(1)
                    continue
                except Exception as exc:  # ours, not the student's: retry on the next run
                    _fail(course, journal, gb, student, digests[student],
                          f"not graded: {type(exc).__name__}: {exc}", zero=False)
                    bar.update(1)
                    continue
                sanitized[student] = nb
                pool.submit(spec)
                running += 1
            if not running:
                continue
            result = pool.next_result()
            running -= 1
            nb = sanitized.pop(result.student)
            _record(course, journal, gb, result, nb, digests[result.student], outcome)
            bar.update(1)
    finally:
        bar.close()
        pool.close()


def _record(course: Course, journal: Journal, gb: Any, result: JobResult, nb: Any,
            digest: str, outcome: Outcome) -> None:
    for warning in result.sandbox_warnings:
        if warning not in outcome.sandbox_warnings:
            outcome.sandbox_warnings.append(warning)
            print(f"WARNING: {warning}", file=sys.stderr)
    if result.error is not None:
        _fail(course, journal, gb, result.student, digest, f"not graded: {result.error}",
              zero=False)
        return
    payload = {"sanitized": nbformat.writes(nb), "result": asdict(result)}
    journal.save_result(result.student, digest, payload, result.seconds)
    outcome.graded_now += 1
    _write(course, journal, gb, result.student, digest)


def _write(course: Course, journal: Journal, gb: Any, student: str, digest: str) -> None:
    """Write one saved result; a failure here is ours, logged and retried on the next run."""
    try:
        _write_result(course, journal, gb, student, digest)
    except Exception as exc:
        journal.mark(student, digest, "error",
                     message=f"not written: {type(exc).__name__}: {exc}")


def _write_result(course: Course, journal: Journal, gb: Any, student: str, digest: str) -> None:
    payload = journal.load_result(student)
    assert payload is not None
    result = JobResult(**payload["result"])
    nb = nbformat.reads(payload["sanitized"], as_version=4)
    nb, problems = engine.finish(course, nb, result)
    files = course.graded_files(student)
    score, max_score = gradebook.write_graded(gb, course, student, nb, files)
    message = "; ".join(problems)
    journal.mark(student, digest, "written", score=score, max_score=max_score, message=message)


def _fail(course: Course, journal: Journal, gb: Any, student: str, digest: str, message: str,
          zero: bool = True) -> None:
    """Record an ungradable submission; ``zero`` also writes zeros to the gradebook."""
    if zero:
        gradebook.write_failed(gb, course, student)
    journal.mark(student, digest, "failed" if zero else "error", score=0.0 if zero else None,
                 max_score=sum(course.notebook.grade_cells.values()), message=message)


__all__ = ["Options", "Outcome", "autograde_class", "summarize"]
