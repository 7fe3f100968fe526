"""Support for the class-grading tests and the benchmark (benchmarks/class_grading.py): a
throw-away nbgrader course with golden submissions. Holds no tests itself."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat

from grader.nbgrader_api import checked, make_api
from tests.conftest import GOLDEN, ROOT, make_submission

A = "01_vectorization"
EXERCISE = ROOT / "exercises" / A / "vectorization.ipynb"
SOLUTION = ROOT / "solutions" / A / "vectorization.ipynb"
ADVERSARIAL = GOLDEN / A / "adversarial"
# Points of 22 that stock nbgrader autograde gives each (measured: 16 for correctness, 2 per
# function for speed).
HONEST = {"solution": 22, "alternative": 22, "boundary_bug": 18, "warns": 8, "exercise": 0}
MALFORMED = ("bad_json", "missing_cells", "wrong_kernel")


def new_course(folder: Path, quick_speed: bool = False) -> Path:
    """solutions/ + nbgrader_config.py, with the assignment generated into its gradebook.
    ``quick_speed``: speed tests on smaller inputs, fewer repetitions (same verdicts for
    these submissions, a fraction of the time; the benchmark keeps the real settings)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "solutions" / A, folder / "solutions" / A)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    if quick_speed:
        toml = folder / "solutions" / A / "assignment.toml"
        text = re.sub(r"size = [0-9_]+", "size = 20_000", toml.read_text())
        text = re.sub(r"reps = \d+", "reps = 3, call_timeout = 15", text)
        toml.write_text(re.sub(r"best_of = \d+", "best_of = 1", text))
    api = make_api(folder)
    checked(api.generate_assignment(A, force=True, create=True), "generate_assignment")
    return folder


def submit(course: Path, student: str, kind: str) -> Path:
    """Hand in ``kind``: an honest golden name, ``adversarial/<name>``, or a malformed one."""
    folder = course / "submitted" / student / A
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "vectorization.ipynb"
    if kind == "solution":
        shutil.copy(SOLUTION, target)
    elif kind == "exercise":
        shutil.copy(EXERCISE, target)
    elif kind == "bad_json":
        target.write_text('{"cells": [ this is not json')
    elif kind == "missing_cells":  # every nbgrader cell deleted: answers cannot be restored
        nb = nbformat.read(str(EXERCISE), as_version=4)
        nb.cells = [c for c in nb.cells if "nbgrader" not in c.get("metadata", {})]
        nbformat.write(nb, str(target))
    elif kind == "wrong_kernel":
        nb = nbformat.read(str(SOLUTION), as_version=4)
        nb.metadata.kernelspec = {"name": "ir", "display_name": "R", "language": "R"}
        nb.metadata.language_info = {"name": "R"}
        nbformat.write(nb, str(target))
    else:
        make_submission(EXERCISE, GOLDEN / A / f"{kind}.py", target)
    return target


def adversarial_names() -> list[str]:
    return sorted(p.stem for p in ADVERSARIAL.glob("*.py"))


def hidden_test_lines() -> list[str]:
    from grader.notebooks import block_lines

    lines = set()
    for cell in nbformat.read(str(SOLUTION), as_version=4).cells:
        lines |= {s.strip() for s in block_lines(cell.source, "hidden") if len(s.strip()) > 12}
    return sorted(lines)


def gradebook_scores(course: Path) -> dict[str, dict[str, float]]:
    """student -> {grade_id: score} read back from the course's gradebook."""
    from nbgrader.api import Gradebook

    out: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        for sub in gb.assignment_submissions(A):
            out[sub.student_id] = {g.name: float(g.score) for g in sub.notebooks[0].grades}
    return out


def load_json(path: Path) -> dict:
    return json.loads(path.read_text())
