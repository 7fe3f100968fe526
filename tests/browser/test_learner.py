"""A learner's first hour in JupyterLab (`make lab`): the first lesson runs and plots; the
first exercise's check() reports a wrong answer, then a right one, and its grade cells pass.
When these tests end, the server's log must hold no error (conftest's learner_server)."""

from __future__ import annotations

import pytest

from tests.browser.lab import (
    JupyterLab,
    Notebook,
    assert_check_failed,
    assert_check_passed,
    open_first_failure,
    read_check,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.timeout(300)]

LESSON = "course/01_vectorization.ipynb"
EXERCISE = "exercises/01_vectorization/vectorization.ipynb"

WRONG_NORMALIZE = "def normalize(scores):\n    return scores\n"
# The contract of solutions/01_vectorization (checks.py's normalize tests), written afresh.
RIGHT_NORMALIZE = '''\
def normalize(scores):
    a = np.asarray(scores)
    if a.ndim != 1:
        raise ValueError(f"scores must be 1-D, got shape {a.shape}")
    if a.size == 0:
        raise ValueError("scores is empty")
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise TypeError(f"scores must be numbers, got {a.dtype}")
    a = a.astype(np.float64)  # a copy: the input stays as it was, int64 sums cannot overflow
    if not np.isfinite(a).all():
        raise ValueError("scores must be finite")
    if (a < 0).any():
        raise ValueError("scores must not be negative")
    total = a.sum()
    if total == 0:
        raise ValueError("scores sum to zero")
    return a / total
'''


def test_first_lesson_runs_and_plots(learner: JupyterLab) -> None:
    with learner.step("default URL"):
        learner.goto("/")
        shown = learner.main_area_documents()
        assert shown == [LESSON], f"the default URL shows {shown}, not the first lesson"
    with learner.step("open the lesson"):
        lesson = learner.notebook(LESSON)
    with learner.step("run all"):
        lesson.run_all()
    with learner.step("no error output"):
        assert lesson.error_outputs() == []
    with learner.step("a plot"):
        lesson.wait_for_images(at_least=1)
    with learner.step("the scaling curve's size slider redraws it"):
        curve = lesson.find_cell("scaling_explorer(")
        before = lesson.wait_for_output(curve, r"at [\d,]+ elements")
        handle = lesson.cell(curve).locator(".jp-OutputArea .noUi-handle").first
        handle.focus()
        learner.page.keyboard.press("Home")  # the smallest measured size
        after = lesson.wait_for_output(curve, r"at 1,000 elements")
        assert after != before


def test_exercise_check_then_grade_cells(learner: JupyterLab) -> None:
    with learner.step("open the exercise"):
        exercise = learner.open_notebook(EXERCISE)
        solution = exercise.find_cell_by_grade_id("normalize_solution")
        check = exercise.find_cell('check("normalize"', start=solution)
        panel = exercise.find_cell("progress_panel()")
    with learner.step("setup cell"):
        exercise.run_cell(exercise.find_cell_by_grade_id("setup"))
        assert exercise.error_outputs() == []
    with learner.step("hints one at a time"):
        exercise.set_source(check, 'hint("normalize")')
        exercise.run_cell(check)
        exercise.wait_for_output(check, "Hint 1 of 4")
        button = exercise.cell(check).locator(".grader-hints button")
        for shown in (2, 3, 4):
            assert button.inner_text().strip() == f"Show hint {shown} of 4"
            button.click()
            exercise.wait_for_output(check, f"Hint {shown} of 4")
        assert "No more hints: all 4 shown" in button.inner_text() and button.is_disabled()
    with learner.step("check without the timed tests"):
        exercise.set_source(check, 'check("normalize", speed=False)')
    with learner.step("a wrong normalize fails, and a failing row opens to the call"):
        assert_check_failed(_answer_and_check(exercise, solution, check, WRONG_NORMALIZE))
        opened = open_first_failure(exercise, check)
        assert "call" in opened and "normalize(" in opened and "expected" in opened
    with learner.step("the progress panel"):
        exercise.run_cell(panel)
        exercise.wait_for_output(panel, r"Workbook progress: 0 of \d+ points")
        assert "Refresh" in exercise.output_text(panel)
    with learner.step("a right normalize passes, and the panel follows"):
        assert_check_passed(_answer_and_check(exercise, solution, check, RIGHT_NORMALIZE))
        # normalize_values 2 + normalize_edge_cases 3 + normalize_integers 1; the speed
        # cell was not measured (speed=False).
        exercise.cell(panel).scroll_into_view_if_needed()
        exercise.wait_for_output(panel, r"Workbook progress: 6 of \d+ points")
    for grade_id in ("normalize_values", "normalize_edge_cases", "normalize_integers"):
        with learner.step(f"grade cell {grade_id}"):
            exercise.run_cell(exercise.find_cell_by_grade_id(grade_id))
            assert exercise.error_outputs() == []
    with learner.step("the speed grade cell says its verdict in one line, with a plot"):
        speed = exercise.find_cell_by_grade_id("normalize_speed")
        exercise.run_cell(speed, timeout=180)
        assert exercise.error_outputs() == []
        exercise.wait_for_output(speed, r"pass\W*normalize_speed\W+[\d.]+x faster than the AI")
        assert exercise.cell(speed).locator(".jp-OutputArea img").count() >= 1


def _answer_and_check(exercise: Notebook, solution: int, check: int, answer: str
                      ) -> dict[str, int]:
    """Write ``answer`` into the solution cell, run it, then run the check cell; how many
    rows of check()'s table pass and fail."""
    exercise.set_source(solution, answer)
    exercise.run_cell(solution)
    assert exercise.error_outputs() == []
    exercise.run_cell(check)
    return read_check(exercise, check)
