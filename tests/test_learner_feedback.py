"""What a learner sees: the check() table, hints, the progress panel, unknown names, and
tracebacks without the grader's frames (in a real kernel)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from grader import progress
from grader.build import _hint_markdown
from grader.checking import check, hint
from grader.metadata import UnknownExercise, find_exercise, load_assignment
from grader.panel import ProgressTable, course_assignments, rows
from grader.report import CheckReport, parts
from grader.testing import TestResult
from grader.tracebacks import startup_file, trimmed
from tests.conftest import ROOT

VECTOR = ROOT / "exercises" / "01_vectorization"


@pytest.fixture
def state(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "progress.json"
    monkeypatch.setenv("GRADER_STATE_FILE", str(path))
    return path


def test_failure_message_parts():
    assert parts("normalize([1, 2]) returned [1, 2]; expected array([0.33, 0.67])") == {
        "call": "normalize([1, 2])", "returned": "[1, 2]", "expected": "array([0.33, 0.67])"}
    assert parts("f(x) raised ValueError: bad; expected TypeError")["raised"] == \
        "ValueError: bad"
    assert parts("normalize(<3 values>): element 1 is 0.5, expected 0.25 (1 of 3 differ)") \
        == {"call": "normalize(<3 values>)", "returned": "element 1 is 0.5",
            "expected": "0.25 (1 of 3 differ)"}
    assert parts("did not finish within 20 s") == {}


def test_report_states_in_words_and_failing_rows_expand():
    fail = TestResult("a_values", "t1", "values", False, "f([1]) returned 2; expected 1",
                      0.0, None, "f([1]) returned 2; expected 1")
    ok = TestResult("a_values", "t2", "empty", True, "", 0.0)
    report = CheckReport("a", "Exercise A", [fail, ok], {"a_values": 2, "a_speed": 1})
    page = report._repr_html_()
    assert "FAIL" in page and ">pass<" in page and "not yet" in page
    assert "✅" not in page and "❌" not in page
    assert page.count("<details>") == 1 and "<code>f([1])</code>" in page
    assert "no public test" in page  # a_speed has none here
    text = str(report)
    assert "[FAIL] values" in text and "[pass] empty" in text and "0/3 points" in text


def test_hints_one_at_a_time_and_say_when_none_remain(state):
    _, ex = find_exercise("normalize", ROOT, VECTOR)
    shown = [str(hint("normalize")) for _ in range(len(ex.hints) + 1)]
    assert shown[0].startswith("**Hint 1 of 4")
    assert "(the last one)" in shown[3]
    assert shown[4].startswith("**No more hints for") and "all 4 were shown" in shown[4]
    assert progress.hints_shown("normalize") == 4
    assert "`np.array([2**62, 2**62]).sum()`" in shown[2]  # code, not bold


def test_hint_markdown_traps_are_build_problems(tmp_path):
    folder = tmp_path / "99_x"
    folder.mkdir()
    (folder / "assignment.toml").write_text(
        'name = "99_x"\ntitle = "X"\nnotebook = "x.ipynb"\n\n[[exercises]]\nname = "f"\n'
        'title = "F"\nhints = ["2**62 wraps", "`2**62` is fine", "see __init__"]\n'
        '[exercises.points]\nf_values = 1\n')
    problems = _hint_markdown(load_assignment(folder))
    assert [p.what.split(" of ")[0] for p in problems] == ["hint 1", "hint 3"]


def test_unknown_names_list_the_current_assignment():
    with pytest.raises(UnknownExercise) as caught:
        find_exercise("normalise", ROOT, VECTOR)
    message = str(caught.value)
    assert message.startswith("no exercise named 'normalise' in this assignment; did you "
                              "mean 'normalize'? Its exercises: normalize, rolling_mean")
    assert "find_user" not in message  # other chapters stay out of it
    elsewhere = str(pytest.raises(KeyError, find_exercise, "zzz", ROOT, ROOT).value)
    assert "01_vectorization: normalize" in elsewhere and "zzz" in elsewhere


def test_progress_panel_adds_up_the_workbook(state):
    before = rows(course_assignments(ROOT), {})
    assert {r.state for r in before} == {"not checked"}
    check("normalize", lambda s: 1.0, speed=False)
    after = rows(course_assignments(ROOT), progress.load())
    mine = next(r for r in after if r.exercise == "normalize")
    chapter = next(r for r in after if r.chapter == "01_vectorization" and not r.exercise)
    total = json.loads(state.read_text())["normalize"]["total"]
    assert mine.state == "FAIL" and mine.tests.endswith(f"/{total}")
    assert chapter.state == "FAIL" and chapter.points == sum(
        r.points for r in after if r.chapter == "01_vectorization" and r.exercise)
    done = {"normalize": {"passed": 3, "total": 3, "done": True, "points_ready": 8}}
    partly = rows(course_assignments(ROOT), done)
    assert next(r for r in partly if r.chapter == "01_vectorization").state == "in progress"
    table = ProgressTable(after)
    assert "points within reach" in table._repr_html_() and "normalize" in str(table)


def _raise_inside_grader():
    return check("nonexistent", None)


def test_trimmed_drops_grader_frames_only():
    try:
        _raise_inside_grader()
    except KeyError as exc:
        names = []
        tb = trimmed(exc.__traceback__)
        while tb is not None:
            names.append(tb.tb_frame.f_code.co_filename)
            tb = tb.tb_next
    assert names and all("/grader/" not in n for n in names)
    assert names[-1].endswith("test_learner_feedback.py")


@pytest.mark.slow
def test_kernel_tracebacks_show_the_call_not_the_grader(tmp_path):
    """In a real kernel (the startup file `make install` writes): check() before the setup
    cell, an unknown exercise, and a failing grade cell show no grader frame."""
    ipython_dir = tmp_path / "ipython"
    startup_file(ipython_dir)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        'check("normalize")',
        "from grader import check, assert_checks",
        'check("normalise")',
        'assert_checks("normalize_values", lambda scores: scores)',
        "1 +",
    )])
    env = {**os.environ, "IPYTHONDIR": str(ipython_dir)}
    client = NotebookClient(nb, timeout=120, allow_errors=True, resources={
        "metadata": {"path": str(VECTOR)}}, kernel_name="python3")
    client.km = client.create_kernel_manager()
    client.start_new_kernel(env=env)
    with client.setup_kernel(env=env):
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    errors = [next((o for o in c.outputs if o.output_type == "error"), None) for c in nb.cells]
    text = ["\n".join(e.traceback) if e else "" for e in errors]
    assert "run the setup cell at the top of this notebook" in text[0]
    assert errors[1] is None
    assert "did you mean 'normalize'" in text[2]
    assert errors[3].ename == "AssertionError" and "tests failed" in text[3]
    for shown in text[:4]:
        assert "grader/checking.py" not in shown and "grader/__init__.py" not in shown
        assert "During handling" not in shown
    assert errors[4].ename == "SyntaxError"


def test_grader_list_shows_the_panels_figures(state):
    from grader.listing import render_list

    check("normalize", lambda s: 1.0, speed=False)
    text = render_list(ROOT)
    line = next(x for x in text.splitlines() if x.startswith("01_vectorization      normalize"))
    assert "FAIL" in line and "0/8" in line
    assert "0/" in text.splitlines()[-1] and "points within reach" in text.splitlines()[-1]
