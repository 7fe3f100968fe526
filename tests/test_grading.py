"""Golden submissions graded exactly as nbgrader autograde would (slow: kernels run)."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.grading import GradingError, grade_notebook
from tests.conftest import GOLDEN, ROOT, make_submission

pytestmark = pytest.mark.slow
A = "01_vectorization"
EXERCISE = ROOT / "exercises" / A / "vectorization.ipynb"
SOLUTION = ROOT / "solutions" / A / "vectorization.ipynb"


def grade_golden(name: str, tmp_path: Path):
    submission = make_submission(EXERCISE, GOLDEN / A / f"{name}.py", tmp_path / "sub.ipynb")
    return grade_notebook(ROOT, A, submission)


def by_id(result):
    return {c.grade_id: c for c in result.cells}


def test_solution_scores_full_marks():
    result = grade_notebook(ROOT, A, SOLUTION)
    assert result.max_score == 22
    assert result.score == result.max_score, result.as_text()


def test_unsolved_exercise_scores_zero_with_readable_messages():
    result = grade_notebook(ROOT, A, EXERCISE)
    assert result.score == 0 and result.max_score == 22
    for cell in result.cells:
        assert cell.status == "failed"
        assert "not implemented yet" in cell.message or "NotImplementedError" in cell.message
        assert "Traceback" not in cell.message


def test_alternative_correct_solution_scores_full_marks(tmp_path):
    result = grade_golden("alternative", tmp_path)
    assert result.score == result.max_score, result.as_text()


def test_boundary_bugs_lose_exactly_their_cells(tmp_path):
    result = grade_golden("boundary_bug", tmp_path)
    lost = {c.grade_id for c in result.cells if c.points < c.max_points}
    assert lost == {"rolling_mean_values", "normalize_integers"}, result.as_text()
    assert 0 < result.score < result.max_score
    message = by_id(result)["rolling_mean_values"].message
    assert "a window as long as the data gives exactly one mean: raised ValueError" in message


def test_article_loop_fails_edge_cases_with_readable_messages(tmp_path):
    cells = by_id(grade_golden("article_loop", tmp_path))
    edge = cells["normalize_edge_cases"]
    assert edge.points == 0
    # On a NumPy array the loop divides NumPy floats: NaN and a warning, not ZeroDivisionError.
    assert "normalize([0., 0., 0.]) returned [np.float64(nan)" in edge.message
    assert "normalize([]) returned []" in edge.message
    assert "returned list; expected a NumPy array" in cells["normalize_values"].message
    assert cells["normalize_speed"].points == 0


def test_memoizing_timer_patching_slow_loop_gets_no_speed_points(tmp_path):
    cells = by_id(grade_golden("speed_cheat", tmp_path))
    assert cells["normalize_values"].points == cells["normalize_values"].max_points
    assert cells["normalize_edge_cases"].points == cells["normalize_edge_cases"].max_points
    speed = cells["normalize_speed"]
    assert speed.points == 0, speed
    assert "SpeedFailure: failed:" in speed.message


def test_warnings_on_stderr_do_not_cost_points(tmp_path):
    cells = by_id(grade_golden("warns", tmp_path))
    for gid in ("normalize_values", "normalize_edge_cases", "normalize_integers"):
        assert cells[gid].points == cells[gid].max_points, cells[gid]


def test_cheat_rebinding_helpers_and_editing_test_cells_scores_zero(tmp_path):
    sub = make_submission(EXERCISE, GOLDEN / A / "cheat_rebind.py", tmp_path / "sub.ipynb")
    nb = nbformat.read(str(sub), as_version=4)
    for cell in nb.cells:  # the cheat also empties every locked test cell
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            cell.source = "pass"
    nbformat.write(nb, str(sub))
    result = grade_notebook(ROOT, A, sub)
    assert result.score == 0, result.as_text()


def test_malformed_notebook_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{ this is not json")
    with pytest.raises(GradingError, match="not a readable notebook"):
        grade_notebook(ROOT, A, bad)
    with pytest.raises(GradingError, match="unknown assignment"):
        grade_notebook(ROOT, "99_nope", SOLUTION)


def test_cli_json_shape_and_same_points_as_stock_nbgrader(tmp_path):
    """`python -m grader grade --json` agrees with `nbgrader autograde` run from the shell."""
    sub = make_submission(EXERCISE, GOLDEN / A / "boundary_bug.py", tmp_path / "sub.ipynb")
    out = subprocess.run([sys.executable, "-m", "grader", "grade", A, str(sub), "--json"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    ours = json.loads(out.stdout)
    assert set(ours) == {"assignment", "notebook", "score", "max_score", "cells", "sandbox",
                         "problems"}
    assert ours["sandbox"] == "bubblewrap" and ours["problems"] == []
    assert set(ours["cells"][0]) == {"grade_id", "points", "max_points", "status", "message"}

    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions", course / "solutions")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    target = course / "submitted" / "alice" / A
    target.mkdir(parents=True)
    shutil.copy(sub, target / "vectorization.ipynb")
    nbgrader = [str(Path(sys.executable).parent / "nbgrader")]
    subprocess.run(nbgrader + ["generate_assignment", A], cwd=course, check=True,
                   capture_output=True)
    subprocess.run(nbgrader + ["autograde", A], cwd=course, check=True, capture_output=True)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        stock = {g.name: g.score for g in
                 gb.find_submission_notebook("vectorization", A, "alice").grades}
    assert stock == {c["grade_id"]: c["points"] for c in ours["cells"]}
    # Stock generate_feedback with the course's config shows no hidden test (nbgrader #917).
    subprocess.run(nbgrader + ["generate_feedback", A], cwd=course, check=True,
                   capture_output=True)
    page = (course / "feedback" / "alice" / A / "vectorization.html").read_text()
    assert "rolling_mean_values" in page
    from tests.test_classgrade_support import hidden_test_lines

    text = html.unescape(re.sub(r"<[^>]+>", "", page))  # highlighted code is split in spans
    leaked = [line for line in hidden_test_lines() if line in text]
    assert not leaked, leaked[:3]
