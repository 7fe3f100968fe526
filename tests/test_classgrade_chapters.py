"""Every chapter under ``python -m grader autograde``: the model solution keeps full marks and
the unsolved exercise scores 0, whatever the chapter needs (numba machine code, Mojo, Rust
crates built inside the sandbox). Slow: real kernels, real builds, real speed tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.metadata import iter_assignments
from grader.nbgrader_api import checked, make_api
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
ASSIGNMENTS = [a.name for a in iter_assignments(ROOT)]
_SKIP = shutil.ignore_patterns("solution_only", "target", "__pycache__", ".ipynb_checkpoints")


def _course(base: Path, assignment: str) -> Path:
    """A fresh course with two hand-ins: the source folder itself and the release folder."""
    shutil.copytree(ROOT / "solutions" / assignment, base / "solutions" / assignment,
                    ignore=shutil.ignore_patterns("target", "__pycache__"))
    shutil.copy(ROOT / "nbgrader_config.py", base)
    checked(make_api(base).generate_assignment(assignment, force=True, create=True),
            "generate_assignment")
    for student, kind in (("model", "solutions"), ("unsolved", "exercises")):
        shutil.copytree(ROOT / kind / assignment, base / "submitted" / student / assignment,
                        ignore=_SKIP)
    return base


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_full_marks_and_exercise_zero_under_class_autograde(tmp_path, assignment):
    from grader.classgrade import Options, autograde_class

    course = _course(tmp_path / "course", assignment)
    outcome = autograde_class(course, assignment,
                              Options(workers=2, feedback=False, progress=False))
    rows = {r.student: r for r in outcome.rows}
    assert rows["model"].status == "graded", rows["model"]
    assert rows["model"].score == rows["model"].max_score > 0, rows["model"]
    assert rows["unsolved"].score == 0, rows["unsolved"]
    assert not outcome.sandbox_warnings
