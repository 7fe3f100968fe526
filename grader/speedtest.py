"""Speed as a graded test: ``[exercises.speed]`` in assignment.toml -> a verdict.

The exercise folder's ``speed.py`` names, for each exercise ``NAME``: ``make_NAME(rng, size)``
(valid inputs, made in the trusted process), ``ai_NAME`` (the AI baseline) and
``expected_NAME`` (the right answer, computed in the trusted process). The metadata::

    [exercises.speed]
    grade_id = "normalize_speed"   # the grade cell, also listed in points
    size = 1_000_000
    threshold = 10                 # pass at median(baseline / yours) >= 10
    # any other SpeedSpec field: reps, best_of, rtol, max_memory_ratio, ...
    reference_margin = 1.2         # optional, default REFERENCE_MARGIN (see below)

The model solution (the source notebook's function) is timed too when solutions/ is
present, for the "against the reference" column.

Thresholds are chosen so that the model solution reaches at least twice the threshold and
the AI version and an honest-but-slow variant at most half of it, measured under load by
``benchmarks/speed_verdicts.py`` (30 verdicts of each, one process spinning and one
streaming memory beside them); the measured ranges are written next to each threshold.
``python -m grader dev-check``, part of ``make test``, checks one measurement of the model
against ``reference_margin`` x the threshold: the default REFERENCE_MARGIN (1.5) is what the
model clears in every measured run even on a loaded machine, so the check catches a
threshold set too high without ever flipping; the 2x claim itself lives in the benchmark. A
speed test bound by memory bandwidth (the Mojo sum, whose inputs cannot be reused) states
a smaller margin with its measurements beside it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from grader.metadata import Assignment, Exercise, MetadataError, find_exercise
from grader.paths import SOURCE_DIR, find_course_root, package_course_root

SPEED_FILE = "speed.py"
FIRST_CALL_LIMIT = 20.0  # seconds for assert_speed's one quick call in the kernel
# Set by the grading engine (grader/classgrade/job.py) in the learner's sandboxed process, so
# the kernel skips its own untrusted, duplicate measurement. Kept here, not in nbgrader_ext:
# importing that module imports nbformat, whose jsonschema import alone costs seconds.
TRUSTED_ENV = "GRADER_SPEED_OUT_OF_KERNEL"
REFERENCE_MARGIN = 1.5
_META_ONLY = {"grade_id", "reference_margin"}


@dataclass(frozen=True)
class SpeedSetup:
    exercise: str
    grade_id: str
    spec: Any  # grader.speed.SpeedSpec
    inputs: Any
    expected: Any
    baseline: Any
    reference: Any | None
    reference_margin: float = REFERENCE_MARGIN


def setup_for(assignment: Assignment, exercise: Exercise, root: Path | None,
              **overrides: Any) -> SpeedSetup:
    """Build the measurement plan of ``exercise``; MetadataError names a bad field."""
    from grader.speed import ModuleCandidate, SpeedSpec

    table = dict(exercise.speed)
    if not table:
        raise MetadataError(f"{assignment.folder}: exercise {exercise.name!r} has no speed test")
    grade_id = table.get("grade_id")
    if grade_id not in exercise.points:
        raise MetadataError(f"{assignment.folder}: speed grade_id {grade_id!r} of "
                            f"{exercise.name!r} must also be listed in its points")
    known = {f.name for f in fields(SpeedSpec)}
    unknown = set(table) - known - _META_ONLY
    if unknown:
        raise MetadataError(f"{assignment.folder}: unknown speed fields {sorted(unknown)} "
                            f"for {exercise.name!r}")
    try:
        spec = SpeedSpec(**{k: v for k, v in table.items() if k in known} | overrides)
    except (TypeError, ValueError) as exc:
        raise MetadataError(f"{assignment.folder}: speed of {exercise.name!r}: {exc}") from None
    margin = table.get("reference_margin", REFERENCE_MARGIN)
    if isinstance(margin, bool) or not isinstance(margin, int | float) or margin < 1:
        raise MetadataError(f"{assignment.folder}: reference_margin of {exercise.name!r} must "
                            f"be a number >= 1, got {margin!r}")
    module = assignment.folder / SPEED_FILE
    source_nb = root / SOURCE_DIR / assignment.name / assignment.notebook if root else None
    reference = (candidate_for(assignment, exercise, source_nb.parent, source_nb)
                 if source_nb is not None and source_nb.is_file() else None)
    return SpeedSetup(
        exercise=exercise.name, grade_id=grade_id, spec=spec,
        inputs=ModuleCandidate(module, f"make_{exercise.name}"),
        expected=ModuleCandidate(module, f"expected_{exercise.name}").load_here(),
        baseline=ModuleCandidate(module, f"ai_{exercise.name}"),
        reference=reference, reference_margin=float(margin),
    )


def candidate_for(assignment: Assignment, exercise: Exercise, folder: Path,
                  notebook: Path) -> Any:
    """The code under test of ``exercise`` in a submission ``folder``: what speed.py's
    ``candidate_NAME(folder)`` returns when it defines one (code that is not a notebook
    function, such as a Rust crate beside the notebook); for a speed test that reuses
    inputs (``reuse``), the numba kernel ``NAME`` compiled alone from the notebook's source
    (grader/speed/kernels.py); else ``NAME`` from ``notebook``, its cells run in a worker.
    A kernel that cannot be compiled alone raises KernelSourceError (a failed test)."""
    from grader.speed import ModuleCandidate, NotebookCandidate
    from grader.speed.kernels import KernelCandidate

    hook = assignment.folder / SPEED_FILE
    try:
        make = ModuleCandidate(hook, f"candidate_{exercise.name}").load_here()
    except (FileNotFoundError, LookupError):
        if exercise.speed.get("reuse"):
            return KernelCandidate.from_notebook(notebook, exercise.name)
        return NotebookCandidate(notebook, exercise.name)
    return make(folder)


def run_speed(setup: SpeedSetup, candidate: Any, progress: bool = True) -> Any:
    """Measure ``candidate`` (a function or a grader.speed Candidate); a SpeedReport."""
    from grader.speed import measure_speed

    return measure_speed(setup.spec, inputs=setup.inputs, expected=setup.expected,
                         baseline=setup.baseline, candidate=candidate,
                         reference=setup.reference, progress=progress)


def _root() -> Path | None:
    return find_course_root() or package_course_root()


class SpeedFailure(AssertionError):
    """A failed speed test; ``report`` keeps the view (chart and table) when something was
    timed, for check()'s table (grader/testing.py reads it), else None."""

    def __init__(self, message: str, report: Any) -> None:
        super().__init__(message)
        self.report = report


def assert_speed(exercise: str, func: Any, *, show: bool | None = None) -> Any:
    """Grade-cell helper: measure ``func`` out of process; raise SpeedFailure (one readable
    line) unless it passes.

    ``show``: display the verdict line, chart and table here (default: when called straight
    from a notebook cell, as the grade cell does; not inside check(), whose table shows the
    returned view). Returns the view, or None when it was displayed here already, so a
    bare call at the end of a cell does not show it twice.
    """
    __tracebackhide__ = True
    import os
    import sys

    from grader.speedview import SpeedView

    if os.environ.get(TRUSTED_ENV):
        # nbgrader autograde: the grading controller measures this cell in its own sandbox
        # and replaces the cell's outputs with its verdict (grader/classgrade/speedcheck.py);
        # a measurement here would be untrusted and only double the grading time.
        print("speed is measured by the grader outside this kernel")
        return None
    if show is None:
        show = sys._getframe(1).f_globals.get("__name__") == "__main__"
    assignment, ex = find_exercise(exercise, _root())
    setup = setup_for(assignment, ex, _root())
    if setup.spec.reuse and not getattr(func, "stateless", False):
        from grader.speed.kernels import KernelCandidate, KernelSourceError

        try:  # the kernel as the grader will see it: its own source, compiled alone
            func = KernelCandidate.from_function(func, ex.name)
        except KernelSourceError as exc:
            raise SpeedFailure(f"{setup.grade_id}: {exc}", None) from None
    report = _first_call(setup, func) or run_speed(setup, func)
    view = SpeedView(ex.name, report, setup.grade_id)
    if show and (report.passed or view.measured):
        show_view(view)
    if not report.passed:
        raise SpeedFailure(view.message(), view if view.measured else None)
    return None if show else view


def show_view(view: Any) -> None:
    """Display a verdict's view in a notebook (its text form elsewhere)."""
    try:
        from IPython.display import display
    except ImportError:  # plain Python without IPython: the text form
        print(view)
        return
    display(view)


def _first_call(setup: SpeedSetup, func: Any) -> Any:
    """A failed SpeedReport when ``func`` raises on one input of the test's size, else None.

    Kernel-side feedback only (grading never comes here, see TRUSTED_ENV): a stub that
    raises NotImplementedError is told so at once, instead of after three worker processes
    have started and loaded. The call is what check()'s public tests do in this kernel
    anyway, and the report says what the measurement's first (warm-up) call would have
    said. Candidates that are not plain functions (a Rust crate, a kernel compiled alone)
    are left to the measurement."""
    import numpy as np

    from grader.speed import Candidate, SpeedReport
    from grader.testing import TestTimeout, time_limit

    if isinstance(func, Candidate) or not callable(func):
        return None
    args = setup.inputs.load_here()(np.random.default_rng(), setup.spec.size)
    # Inside check() a time limit is running already (an interval timer; a second one would
    # cancel it). Straight from a grade cell, an endless loop must not hang the kernel here:
    # past FIRST_CALL_LIMIT the measurement, with its own limits, decides.
    outer = (threading.current_thread() is threading.main_thread()
             and signal.getitimer(signal.ITIMER_REAL)[0] > 0)
    try:
        with contextlib.nullcontext() if outer else time_limit(FIRST_CALL_LIMIT):
            func(*args)
    except TestTimeout:
        if outer:  # check()'s time limit: not the function's answer
            raise
        return None
    except Exception as exc:  # learner code can raise anything
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return SpeedReport(passed=False, reason=f"failed: raised {text} on warm-up call 1",
                           threshold=setup.spec.threshold)
    return None
