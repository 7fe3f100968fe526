"""Every chapter under ``python -m grader autograde``: the model solution keeps full marks and
the unsolved exercise scores 0 (or is graded by the chapter's own module), whatever the
chapter needs (numba machine code, Mojo, Rust crates built inside the sandbox). Slow: real
kernels, real builds, real speed tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.metadata import iter_assignments
from grader.nbgrader_api import checked, make_api
from tests.conftest import ROOT

ASSIGNMENTS = [a.name for a in iter_assignments(ROOT)]
# Chapters whose unsolved release is graded through `grade` (the same engine: grader/
# classgrade/job.py) by their own module, which also checks its messages: grading it here
# again cost 20-60 s of CPU each. Their model solution is graded only here.
UNSOLVED_GRADED_BY = {
    "01_vectorization": "tests/test_grading.py",
    "04_simd": "tests/test_simd_chapter.py",
    "05_rust_clones": "tests/test_rust_clones.py",
}
_SKIP = shutil.ignore_patterns("solution_only", "target", "__pycache__", ".ipynb_checkpoints")


def _course(base: Path, assignment: str) -> Path:
    """A fresh course with two hand-ins: the source folder itself and the release folder
    (the second left out where UNSOLVED_GRADED_BY names a module that grades it)."""
    shutil.copytree(ROOT / "solutions" / assignment, base / "solutions" / assignment,
                    ignore=shutil.ignore_patterns("target", "__pycache__"))
    shutil.copy(ROOT / "nbgrader_config.py", base)
    checked(make_api(base).generate_assignment(assignment, force=True, create=True),
            "generate_assignment")
    students = [("model", "solutions")]
    if assignment not in UNSOLVED_GRADED_BY:
        students.append(("unsolved", "exercises"))
    for student, kind in students:
        shutil.copytree(ROOT / kind / assignment, base / "submitted" / student / assignment,
                        ignore=_SKIP)
    return base


@pytest.mark.parametrize("assignment", sorted(UNSOLVED_GRADED_BY))
def test_the_modules_named_grade_the_unsolved_release(assignment):
    text = (ROOT / UNSOLVED_GRADED_BY[assignment]).read_text()
    assert "def test_unsolved_exercise_scores_zero_with_readable_messages(" in text
    assert f'"{assignment}"' in text, "the module grades another assignment"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_full_marks_and_exercise_zero_under_class_autograde(tmp_path, assignment):
    from grader.classgrade import Options, autograde_class

    course = _course(tmp_path / "course", assignment)
    outcome = autograde_class(course, assignment,
                              Options(workers=2, feedback=False, progress=False))
    rows = {r.student: r for r in outcome.rows}
    assert rows["model"].status == "graded", rows["model"]
    assert rows["model"].score == rows["model"].max_score > 0, rows["model"]
    if assignment not in UNSOLVED_GRADED_BY:
        assert rows["unsolved"].score == 0, rows["unsolved"]
    assert not outcome.sandbox_warnings
