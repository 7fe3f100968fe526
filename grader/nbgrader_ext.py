"""nbgrader preprocessors of this course, named in nbgrader_config.py.

``TrustedSpeed`` runs right after ``Execute`` in autograde: the kernel that just ran is the
learner's, and anything it computed (including a speed verdict) could have been patched.
So every speed grade cell is measured again here, in the grading process, with the
learner's code loaded from the executed notebook into fresh worker processes; the cell's
outputs are replaced by that verdict before ``SaveAutoGrades`` scores them. Ordering rule:
after Execute (needs the executed notebook), before IgnorePattern/SaveAutoGrades (they
read the outputs this writes).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from grader.metadata import MetadataError, load_assignment
from grader.notebooks import nbgrader_meta
from grader.speedtest import TRUSTED_ENV


class TrustedSpeed(NbGraderPreprocessor):
    """Recompute speed grade cells outside the learner's kernel."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        os.environ[TRUSTED_ENV] = "1"

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        try:
            assignment = load_assignment(folder)
        except MetadataError:
            return nb, resources  # not one of our assignments: nothing to re-measure
        speed_ids = {e.speed["grade_id"]: e for e in assignment.exercises
                     if e.speed.get("grade_id")}
        cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") in speed_ids]
        if not cells:
            return nb, resources
        with tempfile.TemporaryDirectory(prefix="grader-speed-") as tmp:
            executed = Path(tmp) / "submission.ipynb"
            nbformat.write(nb, str(executed))
            for cell in cells:
                exercise = speed_ids[nbgrader_meta(cell)["grade_id"]]
                cell.outputs = self._verdict(assignment, exercise, executed, folder)
        return nb, resources

    def _verdict(self, assignment: Any, exercise: Any, executed: Path,
                 folder: Path) -> list[Any]:
        from grader.speedtest import candidate_for, run_speed, setup_for
        from grader.speedview import SpeedView

        try:
            setup = setup_for(assignment, exercise, None)
            candidate = candidate_for(assignment, exercise, folder, executed)
            report = run_speed(setup, candidate, progress=False)
        except Exception as exc:  # the harness failing must read as an error, never a pass
            return [_error("SpeedTestError", f"{type(exc).__name__}: {exc}")]
        view = SpeedView(exercise.name, report)
        shown = nbformat.v4.new_output("display_data", data={
            "text/plain": str(view), "text/html": view._repr_html_()})
        if report.passed:
            return [shown]
        return [shown, _error("SpeedFailure", report.reason)]


def _error(name: str, value: str) -> Any:
    return nbformat.v4.new_output("error", ename=name, evalue=value,
                                  traceback=[f"{name}: {value}"])
