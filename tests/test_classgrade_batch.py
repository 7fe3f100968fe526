"""`python -m grader autograde` on one class: honest, adversarial and malformed submissions
graded in the same batch, two at a time, sandboxed (slow: kernels run)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.paths import file_lock
from tests.test_classgrade_support import (
    HONEST,
    MALFORMED,
    A,
    adversarial_names,
    gradebook_scores,
    hidden_test_lines,
    load_json,
    new_course,
    submit,
)

pytestmark = pytest.mark.slow
# Short limits keep the hostile submissions (endless loops) cheap; honest cells need < 1 s.
OPTIONS = ["--workers", "2", "--cell-timeout", "8", "--timeout", "90", "--memory-mib", "1536"]
# Where each adversarial submission must end, of 22 (see the docstring of each golden file;
# 2 points per function for speed, measured in a sandbox of its own).
EXPECTED = {
    "deleted_cells": 8, "fork_bomb": 0, "infinite_loop": 0, "memoize_peek": 17,
    "memory_bomb": 0, "network_call": 0, "os_exit": 4, "output_flood": 22,
    "patched_allclose": 0, "patched_helpers": 0, "patched_timers": 14, "read_solutions": 0,
    "write_gradebook": 0,
}


def run_cli(course: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run([sys.executable, "-m", "grader", "autograde", A, *args], cwd=course,
                          capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The class, graded once per test session (shared by pytest-xdist workers)."""
    base = tmp_path_factory.getbasetemp()
    # xdist's variable, not its worker_id fixture: that fixture is missing under -p no:xdist.
    base = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    course = base / "classgrade-batch"
    with file_lock(base / "classgrade-batch.lock"):  # one xdist worker builds it
        done = course / "done.json"
        if not done.exists():
            new_course(course, quick_speed=True)
            for name in HONEST:
                submit(course, f"h_{name}", name)
            for name in adversarial_names():
                submit(course, f"x_{name}", f"adversarial/{name}")
            for name in MALFORMED:
                submit(course, f"m_{name}", name)
            proc = run_cli(course, *OPTIONS, "--report", str(course / "report.csv"))
            done.write_text(json.dumps({"rc": proc.returncode, "stdout": proc.stdout,
                                        "stderr": proc.stderr[-5000:]}))
    return course, load_json(done)


def report(course: Path) -> dict[str, dict[str, str]]:
    with open(course / "report.csv") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def outputs_text(course: Path, student: str) -> str:
    """Everything the submission's cells printed or displayed (tracebacks excluded: they
    quote the cell's source, which names what a cheat hoped to print)."""
    path = course / "autograded" / student / A / "vectorization.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    return json.dumps([[{k: v for k, v in o.items() if k != "traceback"}
                        for o in c.get("outputs", [])] for c in nb.cells])


def verifier_zeroed(course: Path, student: str) -> set[str]:
    """Grade cells whose only error came from the out-of-process verifier."""
    from grader.classgrade.gradebook import VERIFY_NOTE

    path = course / "autograded" / student / A / "vectorization.ipynb"
    zeroed = set()
    for cell in nbformat.read(str(path), as_version=4).cells:
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors and all(VERIFY_NOTE in o.get("traceback", []) for o in errors):
            zeroed.add(cell.metadata.nbgrader["grade_id"])
    return zeroed


def test_the_batch_finishes_with_every_submission_in_the_report(graded):
    course, run = graded
    assert run["rc"] == 0, run["stdout"] + run["stderr"]
    rows = report(course)
    assert len(rows) == len(HONEST) + len(EXPECTED) + len(MALFORMED)
    assert {r["status"] for r in rows.values()} == {"graded", "error"}
    assert "autograde 01_vectorization" in run["stderr"] and "sub/s" in run["stderr"]  # tqdm
    assert sorted(EXPECTED) == adversarial_names()


@pytest.mark.parametrize("name", sorted(HONEST))
def test_honest_submissions_get_stock_nbgrader_points(graded, name):
    course, _ = graded
    scores = gradebook_scores(course)[f"h_{name}"]
    assert sum(scores.values()) == HONEST[name], scores
    assert report(course)[f"h_{name}"]["executions"] == "1"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_adversarial_submission_is_contained_and_scores_nothing_it_cheated(graded, name):
    course, _ = graded
    student = f"x_{name}"
    scores = gradebook_scores(course)[student]
    assert sum(scores.values()) == EXPECTED[name], (scores, report(course)[student])
    assert report(course)[student]["status"] == "graded"
    text = outputs_text(course, student)
    if name == "patched_timers":  # only the looping function's cells are lost
        assert {g for g, s in scores.items() if s == 0} == {
            "normalize_values", "normalize_edge_cases", "normalize_integers", "normalize_speed"}
    if name == "memoize_peek":  # the peeked answer would pass in a kernel, not in the verifier
        assert scores["group_sums_values"] == 0
        assert verifier_zeroed(course, student) == {"group_sums_values"}
    if name == "read_solutions":
        assert "FOUND" not in text and "found 0" in text
    if name == "write_gradebook":
        assert "PWNED" not in text and "gradebooks found: []" in text
        assert not list(course.rglob("forged.txt"))
    if name == "network_call":
        assert "CONNECTED" not in text and "DOWNLOADED" not in text and "blocked" in text
    if name == "fork_bomb":
        assert int(text.split("forked ")[1].split("\\n")[0]) < 64
    if name == "memory_bomb":
        # The address-space limit stops the hoard below 1.5 GiB; on a machine busy enough
        # (CI with a memory-streaming neighbour) touching that much can outlast the 8 s cell
        # timeout instead, which contains it just as well: either way, nothing scored.
        if "hoarded " in text:
            assert int(text.split("hoarded ")[1].split(" MiB")[0]) < 1536
        else:
            assert "CellTimeoutError" in text, text[:2000]
    if name == "output_flood":
        size = (course / "autograded" / student / A / "vectorization.ipynb").stat().st_size
        assert size < 5 * 1024 * 1024 and "truncated" in text
    if name == "deleted_cells":
        nb = nbformat.read(str(course / "autograded" / student / A / "vectorization.ipynb"), 4)
        restored = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert len(restored) == 10
    if name == "os_exit":  # nothing the dead kernel or worker never reported scores;
        # speed is measured apart from both, so the correct functions keep their 2+2
        assert {g for g, s in scores.items() if s} == {"rolling_mean_speed", "group_sums_speed"}
    if name == "infinite_loop":
        assert all(s == 0 for s in scores.values())


@pytest.mark.parametrize("name,why", [("bad_json", "not a readable notebook"),
                                      ("missing_cells", "cells missing from the notebook"),
                                      ("wrong_kernel", "written for a R kernel")])
def test_malformed_notebook_is_a_clear_error_scored_zero(graded, name, why):
    course, _ = graded
    row = report(course)[f"m_{name}"]
    assert row["status"] == "error" and why in row["message"], row
    assert sum(gradebook_scores(course)[f"m_{name}"].values()) == 0


def test_feedback_html_never_contains_hidden_tests(graded):
    course, _ = graded
    pages = list((course / "feedback").glob(f"*/{A}/vectorization.html"))
    assert len(pages) == len(HONEST) + len(EXPECTED)
    hidden = hidden_test_lines()
    assert len(hidden) > 20
    for page in pages:
        html = page.read_text()
        leaked = [line for line in hidden if line in html]
        assert not leaked, (page, leaked[:3])
        assert "BEGIN HIDDEN TESTS" not in html


def test_rerun_grades_nothing_twice(graded):
    course, _ = graded
    rows = {s: r["executions"] for s, r in report(course).items()}
    proc = run_cli(course, "--no-feedback", "--report", str(course / "again.csv"), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "executed now: 0" in proc.stdout
    with open(course / "again.csv") as f:
        assert {r["student"]: r["executions"] for r in csv.DictReader(f)} == rows
