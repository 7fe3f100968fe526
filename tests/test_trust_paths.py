"""Every grading path uses the one engine (grader/classgrade/engine.py), so the attacks the
class autograde contains are contained by `python -m grader grade` and by stock
`nbgrader autograde` with this course's config too, with the same points (slow: sandboxed
runs)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from grader.grading import grade_notebook
from tests.conftest import GOLDEN, ROOT, make_submission
from tests.test_classgrade_batch import EXPECTED
from tests.test_classgrade_support import EXERCISE, A, gradebook_scores

pytestmark = pytest.mark.slow
# Short limits keep endless loops cheap; honest cells need < 1 s.
QUICK = {"cell_timeout": 8, "timeout": 120}
# The attack classes reported against `grade` and stock autograde: a forged gradebook, the
# model solution read from solutions/, the network, a dead kernel, patched grader helpers, a
# fork bomb. (Endless loops and memory bombs: the same engine, tested on the class path in
# tests/test_classgrade_batch.py, where their timeouts are short.)
ON_GRADE = ["write_gradebook", "read_solutions", "network_call", "os_exit", "patched_helpers",
            "patched_allclose", "fork_bomb"]


def _grade(name: str, tmp_path: Path):
    sub = make_submission(EXERCISE, GOLDEN / A / "adversarial" / f"{name}.py",
                          tmp_path / "sub.ipynb")
    return grade_notebook(ROOT, A, sub, **QUICK)


@pytest.mark.parametrize("name", ON_GRADE)
def test_grade_gives_an_attack_the_class_autograde_points(name, tmp_path):
    result = _grade(name, tmp_path)
    assert result.score == EXPECTED[name], result.as_text()
    assert result.sandbox == "bubblewrap"
    assert all(0 <= c.points <= c.max_points for c in result.cells)
    if name == "os_exit":  # every cell after the death says why it has no points
        after = [c for c in result.cells if c.grade_id in ("normalize_edge_cases",
                                                           "rolling_mean_values")]
        assert all("not graded" in c.message and "stopped answering" in c.message
                   for c in after), result.as_text()
        assert any("stopped answering" in p for p in result.problems)


def test_a_listener_on_the_graders_loopback_hears_nothing(tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.5)
        port = server.getsockname()[1]
        golden = tmp_path / "phone_home.py"
        golden.write_text(
            "EXTRA_CELLS = [\n"
            "    'import socket\\n'\n"
            f"    'try:\\n    socket.create_connection((\"127.0.0.1\", {port}), timeout=2)"
            ".sendall(b\"SECRET\")\\n    print(\"CONNECTED\")\\n'\n"
            "    'except OSError as _exc:\\n    print(\"blocked\", type(_exc).__name__)',\n"
            "]\n")
        heard: list[bytes] = []

        def listen() -> None:
            while not done.is_set():
                try:
                    conn, _ = server.accept()
                except OSError:
                    continue
                heard.append(conn.recv(64))
                conn.close()

        done = threading.Event()
        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        sub = make_submission(EXERCISE, golden, tmp_path / "sub.ipynb")
        result = grade_notebook(ROOT, A, sub, **QUICK)
        done.set()
        thread.join(5)
    assert heard == [] and result.score == 0, result.as_text()


def test_stock_nbgrader_autograde_grades_with_the_engine(tmp_path):
    """`nbgrader autograde` from the shell, with the course's nbgrader_config.py: forged
    gradebook, read solutions and a dead kernel end exactly as under the class autograde."""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / A, course / "solutions" / A)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    names = ["write_gradebook", "read_solutions", "os_exit"]
    for name in names:
        folder = course / "submitted" / name / A
        folder.mkdir(parents=True)
        make_submission(EXERCISE, GOLDEN / A / "adversarial" / f"{name}.py",
                        folder / "vectorization.ipynb")
    nbgrader = [str(Path(sys.executable).parent / "nbgrader")]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run(nbgrader + ["generate_assignment", A], cwd=course, check=True,
                   capture_output=True, env=env)
    done = subprocess.run(nbgrader + ["autograde", A, "--Execute.timeout=8"], cwd=course,
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    scores = gradebook_scores(course)
    assert {n: sum(scores[n].values()) for n in names} == {n: EXPECTED[n] for n in names}
    assert not list(course.rglob("forged.txt"))
