"""Chapter 03 (silent logic), part 1: six functions an assistant wrote, golden submissions
against every grade cell of theirs.

A golden (tests/golden/03_silent_logic/<name>.py) gives the source of some solution cells
(``# %% <grade id>`` sections); the rest comes from the released exercise, or from the model
solution when its first line says ``# base: solution``. Each golden's cells run in a child
process (a kernel stand-in), then every part-1 grade cell of the source notebook, hidden
tests and hypothesis properties included, runs on what they defined: as
tests/test_apis_chapter.py runs its ordinary cells. Two goldens also go through the whole
``grade`` door (nbgrader, the sandbox, the verifier calling the learner's functions as data);
the model and the unsolved release go through it in test_classgrade_chapters.

Part 2 (the ``pricing_tests`` exercise, tests graded by mutation) is in
tests/test_silent_logic_mutation.py: here only the cells named in PART1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader import leaks
from grader.metadata import load_assignment
from grader.notebooks import block_lines, nbgrader_meta
from grader.testing import TestSuite
from tests import conftest
from tests.conftest import GOLDEN, ROOT, grade_json

A = "03_silent_logic"
SOURCE = ROOT / "solutions" / A
RELEASE = ROOT / "exercises" / A
GOLDEN_DIR = GOLDEN / A
NOTEBOOK = "silent_logic.ipynb"
ASSIGNMENT = load_assignment(SOURCE)
POINTS = ASSIGNMENT.grade_ids()
PART2_HEADING = "## Part 2 — write the tests"

FUNCTIONS = ("qualifies", "monthly_totals", "checkout_total", "add_months", "daily_runs",
             "unique_names")
PART1 = {f"{name}_{kind}" for name in FUNCTIONS for kind in ("public", "hidden")}
PUBLIC = {g for g in PART1 if g.endswith("_public")}

# golden -> the part-1 grade cells it passes
EXPECTED: dict[str, set[str]] = {
    "solution": PART1,
    "alternative": PART1,
    "unsolved": set(),
    "ai_version": set(),
    "public_only": PUBLIC,
    "boundary_bug": PART1 - {"qualifies_hidden"},
}


def golden_cells(golden: str) -> tuple[dict[str, str], str]:
    """(solution cell grade id -> source, base) of a golden file."""
    return conftest.golden_cells(GOLDEN_DIR, golden)


def _without_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines()
                     if not re.match(r"\s*### (BEGIN|END) SOLUTION", line))


def submission(golden: str, folder: Path) -> Path:
    """The released assignment folder at ``folder`` with the golden's solution cells: the
    notebook's path."""
    shutil.copytree(RELEASE, folder)
    cells, base = golden_cells(golden)
    model = nbformat.read(str(SOURCE / NOTEBOOK), as_version=4)
    model_cells = {nbgrader_meta(c).get("grade_id"): c.source for c in model.cells}
    nb = nbformat.read(str(folder / NOTEBOOK), as_version=4)
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if not meta.get("solution"):
            continue
        if meta["grade_id"] in cells:
            cell.source = cells.pop(meta["grade_id"])
        elif base == "solution":
            cell.source = _without_markers(model_cells[meta["grade_id"]])
    assert not cells, f"{golden}: no solution cell named {sorted(cells)}"
    nbformat.write(nb, str(folder / NOTEBOOK))
    return folder / NOTEBOOK


def run_part1(notebook: str, source: str) -> dict[str, str]:
    """In a child: run the submission's code cells (not grade cells, not check() calls),
    then each part-1 grade cell of the source notebook in a copy of that namespace; the
    error of each (empty when it passed)."""
    import contextlib
    import io

    os.chdir(Path(notebook).parent)  # assert_checks reads this folder's assignment.toml
    namespace: dict[str, object] = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type != "code" or meta.get("grade") or "check(" in cell.source:
            continue
        with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
            exec(compile(cell.source, "<cell>", "exec"), namespace)  # noqa: S102
    out: dict[str, str] = {}
    for cell in nbformat.read(source, as_version=4).cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id not in PART1:
            continue
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(cell.source, f"<{grade_id}>", "exec"), dict(namespace))  # noqa: S102
            out[grade_id] = ""
        except BaseException as exc:  # noqa: BLE001
            out[grade_id] = f"{type(exc).__name__}: {exc}"[:1500]
    return out


def _outcome(notebook: Path) -> dict[str, str]:
    script = ("import json, sys\nfrom tests.test_silent_logic_chapter import run_part1\n"
              "print(json.dumps(run_part1(sys.argv[1], sys.argv[2])))")
    done = subprocess.run([sys.executable, "-c", script, str(notebook), str(SOURCE / NOTEBOOK)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """golden -> grade id -> error ('' when the cell passed), each golden run once."""
    base = tmp_path_factory.mktemp("silent_logic")
    cache: dict[str, dict[str, str]] = {}

    def get(golden: str) -> dict[str, str]:
        if golden not in cache:
            cache[golden] = _outcome(submission(golden, base / golden))
        return cache[golden]

    return get


# --- the assignment's shape (quick) ----------------------------------------------------------


def test_every_golden_file_has_an_expectation():
    files = {p.stem for p in GOLDEN_DIR.iterdir() if p.suffix == ".py"}
    assert files == set(EXPECTED) - {"solution", "unsolved"}


def test_part_1_cells_and_points():
    assert PART1 <= set(POINTS)
    assert {g: POINTS[g] for g in PART1} == {g: 1.0 if g in PUBLIC else 2.0 for g in PART1}
    assert sum(POINTS[g] for g in PART1) == 18
    assert ASSIGNMENT.toolchains == () and ASSIGNMENT.notebook == NOTEBOOK
    for name in FUNCTIONS:
        exercise = ASSIGNMENT.exercise(name)
        assert set(exercise.points) == {f"{name}_public", f"{name}_hidden"}
        assert 2 <= len(exercise.hints) <= 4, name


def test_hints_give_no_solution_line_away():
    secret = leaks.secrets(ASSIGNMENT)
    for name in FUNCTIONS:
        for hint in ASSIGNMENT.exercise(name).hints:
            given = [s for s in secret if s in " ".join(hint.split())]
            assert not given, (name, given)


def test_notebook_layout():
    """Per function: a solution cell with its stub, a check() cell, the public cell (only
    the public tests) and the hidden cell (a public test, then hidden tests with a bounded,
    derandomized hypothesis property); part 2's heading after the last of them."""
    cells = nbformat.read(str(SOURCE / NOTEBOOK), as_version=4).cells
    assert nbgrader_meta(cells[1]) | {"locked": True} == nbgrader_meta(cells[1])
    assert nbgrader_meta(cells[1])["grade_id"] == "setup"
    by_id = {nbgrader_meta(c).get("grade_id"): (i, c) for i, c in enumerate(cells)}
    for name in FUNCTIONS:
        _, solution = by_id[f"{name}_solution"]
        assert solution.source.startswith(f"def {name}(")
        assert "### BEGIN SOLUTION" in solution.source
        _, public = by_id[f"{name}_public"]
        assert public.source.rstrip().endswith(f"assert_checks('{name}_public', {name})")
        assert "HIDDEN" not in public.source
        _, hidden = by_id[f"{name}_hidden"]
        assert f"assert_checks('{name}_hidden', {name})\n### BEGIN HIDDEN TESTS" in hidden.source
        body = "\n".join(block_lines(hidden.source, "hidden"))
        assert "@given(" in body and "database=None" in body and "derandomize=True" in body
        assert "deadline=None" in body
        assert all(int(n) <= 60 for n in re.findall(r"max_examples=(\d+)", body)), name
        for gid in (f"{name}_public", f"{name}_hidden"):
            meta = nbgrader_meta(by_id[gid][1])
            assert meta["grade"] and meta["locked"] and meta["points"] == POINTS[gid]
    heading = [i for i, c in enumerate(cells) if c.cell_type == "markdown"
               and c.source.startswith(PART2_HEADING)]
    assert heading and heading[0] > max(by_id[g][0] for g in PART1)


def _defined(sources: list[str]) -> dict[str, object]:
    namespace: dict[str, object] = {}
    for source in sources:
        exec(compile(source, "<cell>", "exec"), namespace)  # noqa: S102
    return namespace


def _suite() -> TestSuite:
    from grader.checking import load_suite

    return load_suite(SOURCE)


def test_public_tests_pass_the_model_and_catch_the_assistant():
    """checks.py in this process: the model passes every public test (each grade cell has
    some); the assistant's code fails at least one public test of every function."""
    suite = _suite()
    cells = nbformat.read(str(SOURCE / NOTEBOOK), as_version=4).cells
    setup = next(c.source for c in cells if nbgrader_meta(c).get("grade_id") == "setup")
    model = _defined([setup] + [_without_markers(c.source) for c in cells
                                if nbgrader_meta(c).get("grade_id") in
                                {f"{name}_solution" for name in FUNCTIONS}])
    ai_cells, _ = golden_cells("ai_version")
    assistant = _defined([setup, *ai_cells.values()])
    for name in FUNCTIONS:
        for gid in (f"{name}_public", f"{name}_hidden"):
            results = suite.run(gid, model[name])
            assert results and all(r.passed for r in results), [r.reason for r in results]
        failed = [r for r in suite.run(f"{name}_public", assistant[name]) if not r.passed]
        assert failed, f"the assistant's {name} passes every public test"


# --- goldens, cell by cell (slow: a child process per golden) -----------------------------


@pytest.mark.slow
@pytest.mark.parametrize("golden", sorted(EXPECTED))
def test_golden_cells(outcomes, golden):
    outcome = outcomes(golden)
    assert set(outcome) == PART1
    passed = {cell for cell, error in outcome.items() if not error}
    wrong = {cell: outcome[cell][:500] or "passed" for cell in PART1
             if (cell in passed) != (cell in EXPECTED[golden])}
    assert not wrong, wrong


@pytest.mark.slow
def test_public_only_loses_every_hidden_cell_to_a_hidden_test(outcomes):
    """public_only passes each hidden cell's public test: what fails it is the hidden part."""
    outcome = outcomes("public_only")
    for name in FUNCTIONS:
        error = outcome[f"{name}_hidden"]
        assert error and "tests failed" not in error, (name, error)


@pytest.mark.slow
@pytest.mark.parametrize("golden", ["alternative", "public_only"])
def test_grade_gives_the_cells_points(tmp_path, golden):
    """`python -m grader grade` (nbgrader, the sandbox, the verifier calling the learner's
    functions through the codec: Decimal, dates, aware datetimes and exceptions as data)
    gives each part-1 cell the points the cell-by-cell run gives it."""
    result = grade_json(A, submission(golden, tmp_path / golden))
    assert result["sandbox"] == "bubblewrap", result
    cells = {c["grade_id"]: c for c in result["cells"]}
    for cell in PART1:
        want = POINTS[cell] if cell in EXPECTED[golden] else 0
        assert cells[cell]["points"] == want, cells[cell]
