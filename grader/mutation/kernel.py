"""``check()`` and the grade cells of a mutation exercise, in the learner's kernel.

Feedback only, like every ``check()``: the same engine as grading (a sandbox per run when
bubblewrap is there), on the tests the kernel has defined, against the course's module and
its generated mutants. Hand-written hidden mutants exist only where the source folder has
them (never in a learner's copy), so a grade may differ from ``check()`` by those: the
table says so. One run serves the whole exercise: the reports are kept by the tests' text.
"""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path
from typing import Any

from grader.mutation.grading import mutants_for, subject_for, thresholds
from grader.mutation.report import MutationReport
from grader.testing import TestResult

_REPORTS: dict[str, MutationReport] = {}
_KEEP = 8


def tests_source(namespace: dict[str, Any]) -> tuple[str, int]:
    """The source of the cells that define the kernel's tests (functions named ``test...``
    and classes named ``Test...``), each cell once, and how many cells that is."""
    from grader.snippets.python import defining_source

    sources: list[str] = []
    for name, value in list(namespace.items()):
        is_test = (name.startswith("test") and inspect.isfunction(value)) or \
            (name.startswith("Test") and inspect.isclass(value))
        if not is_test or getattr(value, "__module__", "") not in ("__main__", None):
            continue
        source = defining_source(value)
        if source and source not in sources:
            sources.append(source)
    return "\n\n".join(sources), len(sources)


def kernel_report(folder: Path, settings: dict[str, Any], namespace: dict[str, Any],
                  *, progress: bool = True) -> MutationReport:
    """The report for the kernel's tests (kept, so the cells of one exercise share it)."""
    from grader.mutation.engine import run_mutation

    source, cells = tests_source(namespace)
    subject = subject_for(folder, settings)
    if not source:
        return MutationReport([], {}, [], failure="no tests are defined yet: write functions "
                                                  "named test_... and run their cell")
    key = hashlib.sha256(f"{subject.source}\0{source}".encode()).hexdigest()
    if key in _REPORTS:
        return _REPORTS[key]
    mutants = mutants_for(folder, subject, hidden=False)
    bar = _bar(len(mutants) + 2) if progress else None
    try:
        report = run_mutation(source, subject, mutants,
                              progress=(lambda done, total: bar.update(1)) if bar else None)
    finally:
        if bar is not None:
            bar.close()
    report.notes.append("Grading adds hidden mutants; the share each cell needs is of all of "
                        "them.")
    if cells > 1:
        report.notes.append(f"Your tests come from {cells} cells here; only the tests cell "
                            f"({settings['cell']}) is graded.")
    while len(_REPORTS) >= _KEEP:
        _REPORTS.pop(next(iter(_REPORTS)))
    _REPORTS[key] = report
    return report


def _bar(total: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="runs (original and mutants)", leave=False)


def check_rows(folder: Path, settings: dict[str, Any], namespace: dict[str, Any]
               ) -> list[TestResult]:
    """One row per grade cell of the table: passed when the tests kill its share."""
    report = kernel_report(folder, settings, namespace)
    rows = []
    for index, (gid, share) in enumerate(thresholds(settings).items()):
        passed, why = report.verdict(share)
        rows.append(TestResult(gid, f"kills_{round(100 * share)}",
                               f"your tests kill at least {round(100 * share)} % of the mutants",
                               passed, "" if passed else why, report.seconds if not index else 0.0,
                               report if index == 0 else None))
    return rows


def assert_cell(folder: Path, settings: dict[str, Any], grade_id: str,
                namespace: dict[str, Any], exercise: str) -> None:
    """What a mutation grade cell does in a kernel: its verdict in one line, an
    AssertionError below its share (``check()`` shows the whole report)."""
    report = kernel_report(folder, settings, namespace)
    passed, why = report.verdict(thresholds(settings)[grade_id])
    if not passed:
        raise AssertionError(why if report.problem else
                             f"{why} (check({exercise!r}) lists them, as diffs)")
    print(why)
