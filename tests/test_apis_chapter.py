"""Chapter 02 (hallucinated APIs, drift): golden submissions against every grade cell.

A golden (tests/golden/02_hallucinated_apis/<name>.py, optional <name>.mjs) gives the source
of some solution cells (``# %% <cell id>`` sections) and js/users.mjs; the rest comes from
the released exercise, or from the model solution when its first line says ``# base:
solution``. The measured cells run through grader/golang/grading.py's run_cell with the
subject the controller makes (grader/snippets/subjects.py); the ordinary cells (names, the
drift's behaviour) run as their grade cells would, on objects defined by the submission's
cells; two goldens go through the whole ``grade`` door (nbgrader, sandbox, verifier,
controller).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.golang.grading import run_cell
from grader.metadata import load_assignment
from grader.snippets.python import cell_sources
from grader.snippets.subjects import close, subject_for
from tests import conftest
from tests.conftest import GOLDEN, ROOT, grade_json

A = "02_hallucinated_apis"
SOURCE = ROOT / "solutions" / A
RELEASE = ROOT / "exercises" / A
GOLDEN_DIR = GOLDEN / A
NOTEBOOK = "hallucinated_apis.ipynb"
ASSIGNMENT = load_assignment(SOURCE)
POINTS = ASSIGNMENT.grade_ids()
MEASURED = sorted(str(s["grade_id"]) for _, _, s in ASSIGNMENT.measured())
ORDINARY = sorted(set(POINTS) - set(MEASURED))

pytestmark = pytest.mark.slow

# golden -> the grade cells it passes
EVERY = set(POINTS)
EXPECTED: dict[str, set[str]] = {
    "solution": EVERY,
    "alternative": EVERY,
    "unsolved": set(),
    "ai_version": set(),
    "renamed_only": {"hallucinated_names"},
    "wrong_names": EVERY - {"hallucinated_names"},
    "silenced": EVERY - {"drift_types"},
    "object_everywhere": EVERY - {"drift_types"},
    "canned": EVERY - {"get_user_data_fixed"},
}


def golden_cells(golden: str) -> tuple[dict[str, str], str]:
    """(cell id -> source, base) of a golden file."""
    return conftest.golden_cells(GOLDEN_DIR, golden)


def submission(golden: str, base_dir: Path, folder: Path | None = None) -> Path:
    """The released assignment folder (at ``folder``, default ``base_dir/golden``) with the
    golden's cells and js/users.mjs: the notebook's path."""
    folder = folder or base_dir / golden
    notebook = conftest.golden_notebook(RELEASE, SOURCE, NOTEBOOK, GOLDEN_DIR, golden, folder)
    _, base = golden_cells(golden)
    js = GOLDEN_DIR / f"{golden}.mjs"
    if js.is_file():
        shutil.copy(js, folder / "js" / "users.mjs")
    elif base == "solution":
        shutil.copy(SOURCE / "js" / "users.mjs", folder / "js" / "users.mjs")
    return notebook


def test_every_golden_file_has_an_expectation():
    files = {p.stem for p in GOLDEN_DIR.iterdir()}
    assert files == set(EXPECTED) - {"solution", "unsolved"}


def test_cells_cover_the_assignment():
    assert set(MEASURED) == {"fetch_user_fixed", "latency_summary_fixed", "load_settings_fixed",
                             "get_user_data_fixed", "fetch_text_fixed", "drift_types"}
    assert sum(POINTS.values()) == 22


def measured_outcome(notebook: Path, cache: dict) -> dict[str, list[str]]:
    """grade id -> reasons of the failing tests, for every measured cell (as the controller
    runs them: public and hidden tests against the subject built from the submission).
    ``cache``: outcomes by cell and by the subject's source, shared between goldens (most
    of them differ from another in one cell only)."""
    out = {}
    for _, _, settings in ASSIGNMENT.measured():
        grade_id = str(settings["grade_id"])
        subject = subject_for(ASSIGNMENT, settings, notebook)
        key = (grade_id, getattr(subject, "source", None))
        try:
            if key not in cache:
                results = run_cell(SOURCE, grade_id, subject)
                assert results, grade_id
                cache[key] = [f"{r.doc}: {r.reason}" for r in results if not r.passed]
        finally:
            close(subject)
        out[grade_id] = cache[key]
    return out


def ordinary_outcome(notebook: Path) -> dict[str, list[str]]:
    """grade id -> the error of each ordinary grade cell (hidden tests included), run on
    what the submission's cells define, in a child process (a kernel stand-in)."""
    script = ("import json, sys\nfrom tests.test_apis_chapter import run_ordinary\n"
              "print(json.dumps(run_ordinary(sys.argv[1], sys.argv[2])))")
    done = subprocess.run([sys.executable, "-c", script, str(notebook), str(SOURCE / NOTEBOOK)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_ordinary(notebook: str, source: str) -> dict[str, list[str]]:
    """In a child: run the submission's code cells (not grade cells, not check() calls),
    then the source notebook's ordinary grade cells, each in that namespace."""
    import contextlib
    import io

    os.chdir(Path(notebook).parent)
    namespace: dict[str, object] = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("grade") or "check(" in cell.source:
            continue
        with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
            exec(compile(cell.source, "<cell>", "exec"), namespace)  # noqa: S102
    out: dict[str, list[str]] = {}
    for cell in nbformat.read(source, as_version=4).cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id not in ORDINARY:
            continue
        try:
            exec(compile(cell.source, f"<{grade_id}>", "exec"), dict(namespace))  # noqa: S102
            out[grade_id] = []
        except BaseException as exc:  # noqa: BLE001
            out[grade_id] = [f"{type(exc).__name__}: {exc}"]
    return out


def test_golden_cells(tmp_path):
    """Every golden, cell by cell (one test: the goldens share most of their cells, and a
    cell's outcome is computed once per distinct source)."""
    cache: dict = {}
    wrong = {}
    for golden in sorted(EXPECTED):
        notebook = submission(golden, tmp_path)
        key = ("ordinary", cell_sources(notebook, ["hallucinated_answers", "drift_solution"]))
        if key not in cache:
            cache[key] = ordinary_outcome(notebook)
        outcome = {**measured_outcome(notebook, cache), **cache[key]}
        assert set(outcome) == EVERY
        passed = {cell for cell, failed in outcome.items() if not failed}
        if passed != EXPECTED[golden]:
            wrong[golden] = {c: f[:3] for c, f in outcome.items()
                             if (not f) != (c in EXPECTED[golden])}
    assert not wrong, wrong


# The model and the unsolved notebook through a door: test_classgrade_chapters[02_...].
@pytest.mark.parametrize("golden", ["canned", "silenced"])
def test_grade_gives_the_cells_points(tmp_path, golden):
    """`python -m grader grade` (nbgrader, the sandbox, the verifier for the ordinary cells,
    the controller for the measured ones) gives each cell's points: canned loses
    get_user_data_fixed to hidden tests only, and only if its own js/users.mjs is graded;
    silenced loses the typing cell and keeps the behaviour cells, run through handles."""
    result = grade_json(A, submission(golden, tmp_path))
    assert result["sandbox"] == "bubblewrap", result
    cells = {c["grade_id"]: c for c in result["cells"]}
    for cell, points in POINTS.items():
        want = points if cell in EXPECTED[golden] else 0
        assert cells[cell]["points"] == want, cells[cell]
    assert result["score"] == sum(POINTS[c] for c in EXPECTED[golden])
