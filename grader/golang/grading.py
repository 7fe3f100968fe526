"""A ``scenarios`` grade cell (grader.metadata.MEASURED_KINDS), decided in the controller.

The controller (grader/classgrade/speedcheck.py) runs no learner code: here it makes the
cell's subject (grader/snippets/subjects.py: the submitted Go package built with the
course's harness from the trusted folder, a learner's JavaScript module, or a notebook
function run in a child process), and runs the trusted tests of the cell, public
(checks.py) and hidden (solution_only/hidden_checks.py), against it.
Learner code runs only in the subject's child processes; what they answer is data, and
what the fault server saw (connections left open, requests in flight) and how long a call
took are measured here, in this process, which the children cannot reach (the controller
is non-dumpable; a Go package may not import os, syscall or unsafe: grader/golang/build.py).
"""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path
from typing import Any

from grader.classgrade.capture import error_output
from grader.testing import TestResult, TestSuite

HIDDEN_FILE = Path("solution_only") / "hidden_checks.py"
HIDDEN_ENV = "GRADER_HIDDEN_CHECKS"  # where the sandboxed controller finds HIDDEN_FILE
_hidden_source: str | None = None  # what take_hidden read, in the controller


def take_hidden() -> None:
    """Controller side: read the hidden tests from the file ``$GRADER_HIDDEN_CHECKS`` names,
    then delete it, before any learner code runs in this sandbox (which could read any file
    left there). RuntimeError when the file cannot be removed: better no verdict than
    hidden tests left readable."""
    global _hidden_source
    path = os.environ.pop(HIDDEN_ENV, None)
    if path is None:
        return
    hidden = Path(path)
    _hidden_source = hidden.read_text(encoding="utf-8")
    try:
        hidden.unlink()
    except OSError as exc:
        raise RuntimeError(f"cannot remove the hidden tests at {hidden}: {exc}") from None


def hidden_suite(folder: Path, checks: types.ModuleType) -> TestSuite:
    """The hidden tests beside a trusted copy of an assignment, or an empty suite.

    ``solution_only/hidden_checks.py`` defines ``register(suite, checks)``: it adds tests to
    ``suite`` and may use the helpers of the public ``checks`` module. That folder never
    reaches learners (nbgrader_config.py ignores it); in the controller's sandbox the file
    exists only until :func:`take_hidden` has read it."""
    suite = TestSuite()
    path = folder / HIDDEN_FILE
    if _hidden_source is not None:
        source = _hidden_source
    elif path.is_file():
        source = path.read_text(encoding="utf-8")
    else:
        return suite
    module = types.ModuleType(f"_grader_hidden_{folder.name}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module
    exec(compile(source, str(path), "exec"), vars(module))  # noqa: S102 - the course's tests
    module.register(suite, checks)
    return suite


def run_cell(folder: Path, grade_id: str, obj: Any) -> list[TestResult]:
    """Every public and hidden test of ``grade_id`` in the assignment ``folder``."""
    from grader.checking import load_checks

    checks = load_checks(folder)
    results = checks.suite.run(grade_id, obj)
    results += hidden_suite(folder, checks).run(grade_id, obj)
    return results


def scenario_outputs(assignment: Any, exercise: Any, settings: dict[str, Any],
                     notebook: Path) -> list[dict[str, Any]]:
    """The cell's nbformat outputs: a table of its tests, then an error unless all pass."""
    from grader.report import CheckReport
    from grader.snippets.subjects import close, subject_for

    grade_id = str(settings["grade_id"])
    obj = subject_for(assignment, settings, notebook)
    try:
        results = run_cell(Path(assignment.folder), grade_id, obj)
    finally:
        close(obj)
    if not results:
        return [error_output("ScenarioError", f"{grade_id}: no tests are registered")]
    report = CheckReport(exercise.name, exercise.title, results,
                         {grade_id: exercise.points.get(grade_id, 0.0)})
    shown = {"output_type": "display_data", "metadata": {},
             "data": {"text/plain": str(report), "text/html": report._repr_html_()}}
    failed = [r for r in results if not r.passed]
    if not failed:
        return [shown]
    lines = [f"{len(failed)} of {len(results)} tests failed:"]
    lines += [f"  - {r.doc}: {r.reason}" for r in failed]
    return [shown, error_output("ScenarioFailure", "\n".join(lines))]
