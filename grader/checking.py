"""``check()``, ``hint()`` and ``assert_checks()``: the learner-facing side of the grader.

``check`` runs an exercise's public tests (from the assignment's ``checks.py``) against the
learner's object in the live kernel and returns a ``CheckReport`` that renders as a table.
``assert_checks`` is what a visible grade cell calls: same tests, but it raises one short
``AssertionError`` so nbgrader scores the cell 0. Hidden tests live only in the source
notebook's grade cells and are never loaded here.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from grader import progress
from grader.metadata import Assignment, find_exercise, load_assignment
from grader.paths import METADATA_NAME, find_course_root, package_course_root
from grader.report import CheckReport
from grader.testing import TestResult, TestSuite

CHECKS_FILE = "checks.py"


def load_checks(folder: Path) -> ModuleType:
    """Import ``folder/checks.py`` afresh (edits are picked up); it must define ``suite``."""
    path = folder / CHECKS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: this assignment has no public tests file")
    digest = hashlib.sha1(str(path.resolve()).encode() + path.read_bytes()).hexdigest()[:12]
    name = f"_grader_checks_{folder.name}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    spec.loader.exec_module(module)
    if not isinstance(getattr(module, "suite", None), TestSuite):
        raise TypeError(f"{path} must define `suite = TestSuite()`")
    return module


def load_suite(folder: Path) -> TestSuite:
    """Import ``folder/checks.py`` afresh (edits are picked up) and return its ``suite``."""
    return load_checks(folder).suite


def _root() -> Path | None:
    return find_course_root() or package_course_root()


def check(exercise: str, obj: Any = None, *, speed: bool = True,
          _caller_globals: dict[str, Any] | None = None) -> CheckReport:
    """Run the public tests of ``exercise`` against ``obj`` (default: the learner's object
    of the same name in the notebook) and return a table of results.

    ``speed=False`` skips the timed tests (speed, memory bandwidth), which start worker
    processes and take seconds: for quick rounds while the answers are still wrong.

    Bad input: an unknown exercise name raises KeyError listing the known ones; a missing
    object is reported as a failing row, not an exception.
    """
    if not isinstance(exercise, str):
        raise TypeError(f"check() takes the exercise name as a string, e.g. check('normalize'); "
                        f"got {exercise!r}")
    assignment, ex = find_exercise(exercise, _root())
    if os.environ.get("NBGRADER_EXECUTION") == "autograde":
        # While nbgrader grades, the grade cells run these same tests; running them here too
        # would only double the grading time (SIMD and speed tests start worker processes).
        return CheckReport(ex.name, ex.title, [], dict(ex.points),
                           ["check() does not run while nbgrader grades: the grade cells "
                            "run the same tests."])
    notes: list[str] = []
    # The tests receive the notebook's object of the exercise's name, or the one named by
    # `object = "..."` in assignment.toml (e.g. the module a Rust crate was built into).
    wanted = ex.extra.get("object", exercise)
    if obj is None:
        # `object = "globals()"`: the tests receive the notebook's namespace (a mutation
        # exercise grades the tests the learner defined, grader/mutation).
        obj = _caller_globals if wanted == "globals()" else (_caller_globals or {}).get(wanted)
    if obj is None:
        notes.append(f"No object named {wanted!r} is defined yet: run the cell that defines it.")
    suite = load_suite(assignment.folder)
    results: list[TestResult] = []
    timed = set() if speed else timed_grade_ids(ex)
    if timed:
        notes.append(f"Not measured (speed=False): {', '.join(sorted(timed))}.")
    mutation = ex.settings("mutation")
    if mutation and obj is not None:
        from grader.mutation.kernel import check_rows

        results += check_rows(assignment.folder, mutation, obj)
    for grade_id in ex.points:
        if grade_id in timed or grade_id in mutation.get("grade_ids", []):
            continue
        results += suite.run(grade_id, obj) if obj is not None else _not_defined(suite, grade_id)
    untested = [g for g in ex.points if not suite.tests_for(g)
                and g not in mutation.get("grade_ids", [])]
    if untested:
        notes.append(f"Graded by hidden tests only: {', '.join(untested)}.")
    report = CheckReport(ex.name, ex.title, results, dict(ex.points), notes, frozenset(timed))
    progress.record_check(ex.name, report.passed, len(results),
                          points_ready=report.points_ready)
    if "grader.panel" in sys.modules:  # a progress panel is on screen in this kernel
        sys.modules["grader.panel"].refresh_all()
    return report


def timed_grade_ids(exercise: Any) -> set[str]:
    """Grade cells of ``exercise`` that time code: its speed test and any other table of
    assignment.toml that names a grade cell (the SIMD chapter's bandwidth test), but not an
    ``[exercises.allocations]`` table: its public tests in checks.py are quick."""
    tables = [exercise.speed, *(v for k, v in exercise.extra.items()
                                if isinstance(v, dict) and k != "allocations")]
    return {t["grade_id"] for t in tables if isinstance(t.get("grade_id"), str)}


def _not_defined(suite: TestSuite, grade_id: str) -> list[TestResult]:
    return [TestResult(grade_id, t.name, t.doc, False, "not defined yet", 0.0)
            for t in suite.tests_for(grade_id)]


def hint(exercise: str) -> Any:
    """The hints of ``exercise``, revealed one at a time (grader/hints.py)."""
    from grader.hints import hint_panel

    _, ex = find_exercise(exercise, _root())
    return hint_panel(ex)


def _assignment_for_grade_id(grade_id: str) -> Assignment:
    here = Path.cwd()
    if (here / METADATA_NAME).is_file():
        assignment = load_assignment(here)
        if grade_id in assignment.grade_ids():
            return assignment
    root = _root()
    for kind in ("exercises", "solutions"):
        base = root / kind if root else None
        for folder in sorted(base.iterdir()) if base and base.is_dir() else []:
            if (folder / METADATA_NAME).is_file():
                assignment = load_assignment(folder)
                if grade_id in assignment.grade_ids():
                    return assignment
    raise KeyError(f"no assignment declares the grade cell {grade_id!r}")


def assert_checks(grade_id: str, obj: Any) -> None:
    """Raise one readable AssertionError unless all public tests of ``grade_id`` pass."""
    __tracebackhide__ = True  # IPython hides this frame: the learner sees only the message
    assignment = _assignment_for_grade_id(grade_id)
    for exercise in assignment.exercises:
        mutation = exercise.settings("mutation")
        if grade_id in mutation.get("grade_ids", []):
            from grader.mutation.kernel import assert_cell

            if not isinstance(obj, dict):
                raise TypeError(f"{grade_id} grades the tests your notebook defines: call "
                                f"assert_checks({grade_id!r}, globals())")
            assert_cell(assignment.folder, mutation, grade_id, obj, exercise.name)
            return
    suite = load_suite(assignment.folder)
    results = suite.run(grade_id, obj)
    failed = [r for r in results if not r.passed]
    if failed and all(r.reason.startswith("not implemented") for r in failed):
        raise AssertionError(f"{grade_id}: not implemented yet (the function raises "
                             "NotImplementedError); write your code in its cell")
    if failed:
        lines = [f"{len(failed)} of {len(results)} tests failed:"]
        lines += [f"  - {r.doc}: {r.reason}" for r in failed]
        raise AssertionError("\n".join(lines))
