"""Chapter 07 (insecure defaults, graded by attacks): golden submissions against every cell.

A golden (tests/golden/07_insecure_defaults/<name>.py) gives the source of some solution
cells (``# %% <cell id>`` sections); the rest comes from the released exercise, or from the
model solution when its first line says ``# base: solution``. Every cell is a scenarios
cell: its public and hidden attacks run as the controller runs them (run_cell against the
subject made from the submission, grader/snippets/subjects.py); one golden goes through the
whole ``grade`` door.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checking import load_checks
from grader.golang.grading import run_cell
from grader.metadata import load_assignment
from grader.snippets.python import cell_sources
from grader.snippets.subjects import close, subject_for
from tests import conftest
from tests.conftest import GOLDEN, ROOT, grade_json

A = "07_insecure_defaults"
SOURCE = ROOT / "solutions" / A
RELEASE = ROOT / "exercises" / A
GOLDEN_DIR = GOLDEN / A
ASSIGNMENT = load_assignment(SOURCE)
NOTEBOOK = ASSIGNMENT.notebook
POINTS = ASSIGNMENT.grade_ids()
SETTINGS = {str(s["grade_id"]): s for _, _, s in ASSIGNMENT.measured()}

pytestmark = pytest.mark.slow

EVERY = set(POINTS)
EXPECTED: dict[str, set[str]] = {  # golden -> the cells it passes
    "solution": EVERY,
    "alternative": EVERY,
    "unsolved": set(),
    "ai_version": set(),
    "blocklist": EVERY - {"find_user_safe", "session_cookie_safe", "config_safe"},
    "characters_not_bytes": EVERY - {"passwords_safe"},
    "signed_pickle": EVERY - {"sessions_safe"},
    "equals_mac": EVERY - {"sessions_safe"},
    "verify_after_load": EVERY - {"sessions_safe"},
    "hides_tracks": EVERY - {"sessions_safe"},
    "leaky": EVERY - {"passwords_safe", "config_safe"},
    "like_query": EVERY - {"find_user_safe"},
    "dollar_regex": EVERY - {"session_cookie_safe"},
}
# Cells a golden passes on their public tests and fails only on hidden attacks.
HIDDEN_ONLY = {"blocklist": {"find_user_safe", "session_cookie_safe", "config_safe"},
               "dollar_regex": {"session_cookie_safe"}}


def submission(golden: str, base_dir: Path, folder: Path | None = None) -> Path:
    """The released assignment folder (at ``folder``, default ``base_dir/golden``) with the
    golden's cells: the notebook's path."""
    return conftest.golden_notebook(RELEASE, SOURCE, NOTEBOOK, GOLDEN_DIR, golden,
                                    folder or base_dir / golden)


def test_every_golden_file_has_an_expectation():
    files = {p.stem for p in GOLDEN_DIR.iterdir() if p.suffix == ".py"}
    assert files == set(EXPECTED) - {"solution", "unsolved"}


def test_cells_cover_the_assignment():
    assert set(SETTINGS) == EVERY == {"find_user_safe", "sessions_safe", "passwords_safe",
                                      "session_cookie_safe", "config_safe"}
    assert sum(POINTS.values()) == 20


def outcome(notebook: Path, cache: dict, public_only: bool = False) -> dict[str, list[str]]:
    """grade id -> the failing tests' reasons, as the controller runs them (public and hidden
    attacks against the subject made from the submission). ``cache``: by cell and by the
    cell's source, shared between goldens (most differ from the model in one cell)."""
    out = {}
    for grade_id, settings in SETTINGS.items():
        key = (grade_id, public_only, cell_sources(notebook, settings["cells"]))
        if key not in cache:
            subject = subject_for(ASSIGNMENT, settings, notebook)
            try:
                results = (load_checks(SOURCE).suite.run(grade_id, subject) if public_only
                           else run_cell(SOURCE, grade_id, subject))
            finally:
                close(subject)
            assert results, grade_id
            cache[key] = [f"{r.doc}: {r.reason}" for r in results if not r.passed]
        out[grade_id] = cache[key]
    return out


def test_golden_cells(tmp_path):
    """Every golden, cell by cell, public and hidden attacks (one test: a cell's outcome is
    computed once per distinct source)."""
    cache: dict = {}
    wrong = {}
    for golden in sorted(EXPECTED):
        got = outcome(submission(golden, tmp_path), cache)
        passed = {cell for cell, failed in got.items() if not failed}
        if passed != EXPECTED[golden]:
            wrong[golden] = {c: f[:3] for c, f in got.items()
                             if (not f) != (c in EXPECTED[golden])}
    assert not wrong, wrong
    for golden, cells in HIDDEN_ONLY.items():
        public = outcome(submission(golden, tmp_path / "public"), cache, public_only=True)
        failing = {c: f for c, f in public.items() if c in cells and f}
        assert not failing, f"{golden} should pass the public attacks of {cells}: {failing}"


def test_grade_gives_the_cells_points(tmp_path):
    """`python -m grader grade` (nbgrader, the sandbox, the controller) on the blocklist
    golden: the points of the cells whose hidden attacks it survives, and only those."""
    result = grade_json(A, submission("blocklist", tmp_path))
    assert result["sandbox"] == "bubblewrap", result
    cells = {c["grade_id"]: c for c in result["cells"]}
    for cell, points in POINTS.items():
        assert cells[cell]["points"] == (points if cell in EXPECTED["blocklist"] else 0), \
            cells[cell]
    assert result["score"] == sum(POINTS[c] for c in EXPECTED["blocklist"])
