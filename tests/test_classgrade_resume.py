"""Kill -9 in the middle of `python -m grader autograde`, rerun: every submission ends graded
exactly once (slow: kernels run)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.test_classgrade_support import HONEST as POINTS
from tests.test_classgrade_support import A, gradebook_scores, new_course, submit

pytestmark = pytest.mark.slow
KINDS = {"a_solution": "solution", "b_alternative": "alternative", "c_boundary": "boundary_bug",
         "d_exercise": "exercise", "e_solution": "solution"}
CLI = [sys.executable, "-m", "grader", "autograde", A, "--workers", "2", "--no-feedback",
       "--cell-timeout", "30", "--timeout", "120"]


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}


def _journal_rows(course) -> dict[str, tuple[str, int]]:
    found = list((course / ".cache" / "classgrade").glob(f"{A}-*/journal.sqlite3"))
    if not found:
        return {}
    try:
        with sqlite3.connect(found[0]) as db:
            return {s: (state, n) for s, state, n in
                    db.execute("SELECT student, state, executions FROM submission")}
    except sqlite3.OperationalError:  # the run has created the file but not the table yet
        return {}


def test_kill_9_mid_run_then_rerun_grades_each_submission_exactly_once(tmp_path):
    course = new_course(tmp_path / "course", quick_speed=True)
    for student, kind in KINDS.items():
        submit(course, student, kind)
    proc = subprocess.Popen(CLI, cwd=course, env=_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 400
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            rows = _journal_rows(course)
            if any(state == "written" for state, _ in rows.values()):
                break
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    before = _journal_rows(course)
    written = {s for s, (state, _) in before.items() if state == "written"}
    assert written and len(written) < len(KINDS), before  # killed mid-run, really

    again = subprocess.run(CLI + ["--report", str(course / "report.csv")], cwd=course,
                           env=_env(), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"already graded: {len(written)}" in again.stdout
    after = _journal_rows(course)
    assert after == {s: ("written", 1) for s in KINDS}  # none ran twice
    scores = gradebook_scores(course)
    assert sorted(scores) == sorted(KINDS)  # one submission each in the gradebook
    for student, kind in KINDS.items():
        assert sum(scores[student].values()) == POINTS[kind], (student, scores[student])
    for student in KINDS:  # one complete autograded folder each, no leftovers of the kill
        folder = course / "autograded" / student / A
        assert (folder / "vectorization.ipynb").is_file()
    assert not [p for p in (course / "autograded").rglob(".*") if p.is_dir()]


def test_a_result_saved_before_the_kill_is_written_without_running_again(tmp_path):
    course = new_course(tmp_path / "course", quick_speed=True)
    submit(course, "solo", "alternative")
    first = subprocess.run(CLI, cwd=course, env=_env(), capture_output=True, text=True,
                           timeout=600)
    assert first.returncode == 0, first.stderr
    journal = next((course / ".cache" / "classgrade").glob(f"{A}-*/journal.sqlite3"))
    with sqlite3.connect(journal) as db:  # as if killed right after the result was saved
        db.execute("UPDATE submission SET state = 'executed'")
    (course / "autograded" / "solo" / A / "vectorization.ipynb").chmod(0o644)
    (course / "autograded" / "solo" / A / "vectorization.ipynb").unlink()
    second = subprocess.run(CLI, cwd=course, env=_env(), capture_output=True, text=True,
                            timeout=600)
    assert second.returncode == 0, second.stderr
    assert "executed now: 0" in second.stdout
    assert _journal_rows(course) == {"solo": ("written", 1)}
    assert (course / "autograded" / "solo" / A / "vectorization.ipynb").is_file()
    assert sum(gradebook_scores(course)["solo"].values()) == POINTS["alternative"]
