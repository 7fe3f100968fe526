"""Chapter 06 (Go): golden submissions against every grade cell, and the grading paths.

Each golden is a whole ``fetch/fetch.go`` a learner could hand in (tests/golden/06_go_errors/):
a correct one written differently, the article's fix, one that leaks connections, one that
panics, a fan-out that deadlocks, a cheat with canned answers, one that does not compile,
one that imports os to reach the harness's answer channel; plus the model solution and the
unsolved starter. The cells' tests (public and hidden) run through grader/golang/grading.py,
the code the grading controller runs; the `grade` tests go through the whole engine
(nbgrader, the sandbox, the controller) for three of them.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from grader.golang import GoPackage
from grader.golang.grading import run_cell
from grader.metadata import load_assignment
from grader.sources import solution_version
from tests.conftest import GOLDEN, ROOT, grade_json, needs_go

A = "06_go_errors"
SOURCE = ROOT / "solutions" / A
RELEASE = ROOT / "exercises" / A
GOLDEN_DIR = GOLDEN / A
CELLS = ("fetch_data_errors", "fetch_data_faults", "fetch_all_correct",
         "fetch_all_concurrency", "fetch_item_correct")


pytestmark = [pytest.mark.slow, needs_go]

# golden -> (cells that pass, a text every failing cell's reasons must contain, or None)
EXPECTED: dict[str, tuple[set[str], str | None]] = {
    "solution": (set(CELLS), None),
    "alternative": (set(CELLS), None),
    "unsolved": (set(), None),
    "article_fix": ({"fetch_all_correct", "fetch_all_concurrency", "fetch_item_correct"},
                    "silent truncation"),
    "still_leaks": ({"fetch_data_errors", "fetch_all_correct", "fetch_all_concurrency",
                     "fetch_item_correct"}, "connections were still open"),
    "panics": ({"fetch_item_correct"}, "invalid memory address or nil pointer dereference"),
    "errch_deadlock": ({"fetch_data_errors", "fetch_data_faults", "fetch_item_correct"}, None),
    "canned": ({"fetch_data_faults", "fetch_all_correct", "fetch_all_concurrency",
                "fetch_item_correct"}, None),
    "does_not_compile": (set(), "fetch.go:20:10: assignment mismatch"),
    "imports_os": (set(), 'import "os" is not allowed'),
}


def assemble(part: str, model: str) -> str:
    """A golden that names only what differs (no import block): ``model`` with each of the
    part's functions in place of the model's function of the same name, and the imports
    its ``// drop import "x"`` lines name removed (Go refuses unused imports)."""
    for dropped in re.findall(r'^// drop import "([\w/]+)"$', part, re.M):
        model = model.replace(f'\t"{dropped}"\n', "", 1)
    for match in re.finditer(r"^func (\w+)\(.*?^}\n", part, re.M | re.S):
        start = model.index(f"\nfunc {match.group(1)}(") + 1
        end = model.index("\n}\n", start) + 3
        model = model[:start] + match.group(0) + model[end:]
    return model


def package_text(golden: str) -> str:
    """The fetch/fetch.go of a golden submission."""
    if golden == "solution":
        return (SOURCE / "fetch" / "fetch.go").read_text()
    if golden == "unsolved":
        return (RELEASE / "fetch" / "fetch.go").read_text()
    text = (GOLDEN_DIR / f"{golden}.go").read_text()
    if re.search(r"^import", text, re.M):
        return text
    return assemble(text, solution_version((SOURCE / "fetch" / "fetch.go").read_text()))


def _submission(golden: str, base: Path) -> Path:
    """The released assignment folder with the golden as fetch/fetch.go."""
    folder = base / golden
    shutil.copytree(RELEASE, folder)
    (folder / "fetch" / "fetch.go").write_text(package_text(golden))
    return folder


def test_every_golden_file_has_an_expectation():
    files = {p.stem for p in GOLDEN_DIR.glob("*.go")}
    assert files == set(EXPECTED) - {"solution", "unsolved"}


@pytest.mark.parametrize("golden", sorted(EXPECTED))
def test_golden_cells(tmp_path, golden):
    passing, why = EXPECTED[golden]
    folder = _submission(golden, tmp_path)
    package = GoPackage(folder / "fetch", SOURCE / "harness")
    outcome = {}
    for cell in CELLS:
        results = run_cell(SOURCE, cell, package)
        assert results, f"{cell}: no tests"
        outcome[cell] = [r for r in results if not r.passed]
    got = {cell for cell, failed in outcome.items() if not failed}
    assert got == passing, {c: [f"{r.doc}: {r.reason}" for r in f] for c, f in outcome.items()}
    if why:
        reasons = " ".join(r.reason for failed in outcome.values() for r in failed)
        assert why in reasons, reasons


def test_points_add_up_to_the_notebook():
    assignment = load_assignment(SOURCE)
    measured = {settings["grade_id"] for _, kind, settings in assignment.measured()
                if kind == "scenarios"}
    assert measured == set(CELLS) == set(assignment.grade_ids())


# The unsolved notebook through a door is test_classgrade_chapters[06_go_errors]'s.
@pytest.mark.parametrize("golden", ["solution", "errch_deadlock"])
def test_grade_runs_the_cells_in_the_sandboxed_controller(tmp_path, golden):
    """`python -m grader grade` (nbgrader, the sandbox, the controller) gives the points the
    cells' tests give; errch_deadlock loses fetch_all_correct only to a hidden test, so the
    hidden tests reach the controller."""
    passing, _ = EXPECTED[golden]
    folder = _submission(golden, tmp_path)
    if golden == "solution":  # the model notebook too, whose cells call check()
        shutil.copy(SOURCE / "go_errors.ipynb", folder / "go_errors.ipynb")
    result = grade_json(A, folder / "go_errors.ipynb")
    assert result["sandbox"] == "bubblewrap", result
    points = load_assignment(SOURCE).grade_ids()
    cells = {c["grade_id"]: c for c in result["cells"]}
    for cell in CELLS:
        want = points[cell] if cell in passing else 0
        assert cells[cell]["points"] == want, cells[cell]
    assert result["score"] == sum(points[c] for c in passing)


def test_the_controller_deletes_the_hidden_tests_before_anything_runs(tmp_path, monkeypatch):
    """The hidden tests reach the sandboxed controller as a file it reads and deletes first
    (learner code there can read any file, and /proc/1/cmdline shows the environment)."""
    from grader.golang import grading

    hidden = tmp_path / "hidden_checks.py"
    hidden.write_text("def register(suite, checks):\n    pass\n")
    monkeypatch.setenv(grading.HIDDEN_ENV, str(hidden))
    monkeypatch.setattr(grading, "_hidden_source", None)
    grading.take_hidden()
    assert not hidden.exists()
    assert grading.HIDDEN_ENV not in os.environ
    assert "def register" in grading._hidden_source
