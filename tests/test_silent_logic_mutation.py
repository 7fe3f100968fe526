"""Chapter 03, part 2: learners' tests of pricing.py, scored by the mutants they catch.

Each golden in tests/golden/03_silent_logic/tests/ is the source of a tests cell; the model
is the solution notebook's. They are graded the way the grading process grades the cell
(grader/mutation/grading.py: the course's pricing.py, its generated and hidden mutants, a
fresh sandbox per run), and the three cells' verdicts compared with EXPECTED. The kernel
side (check() and the grade cells in a live kernel) is run once, on a suite that fails.
The whole door (nbgrader, sandbox, verifier, this phase) runs on the model and the unsolved
release in test_classgrade_chapters.py and test_silent_logic_chapter.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from grader.metadata import load_assignment
from grader.mutation.engine import SAME_ANSWERS
from grader.mutation.grading import (
    grade_cell_source,
    graded_outputs,
    mutants_for,
    notebook_cell,
    subject_for,
    thresholds,
)
from tests.conftest import GOLDEN, ROOT

pytestmark = pytest.mark.slow
SOURCE = ROOT / "solutions" / "03_silent_logic"
ASSIGNMENT = load_assignment(SOURCE)
SETTINGS = ASSIGNMENT.exercise("pricing_tests").settings("mutation")
CELLS = list(thresholds(SETTINGS))  # some (35 %), most (70 %), nearly_all (90 %)
TESTS = GOLDEN / "03_silent_logic" / "tests"

# golden -> the cells it passes
EXPECTED = {
    "model": set(CELLS),
    "alternative": set(CELLS),  # one table per function, checked in loops
    "partial": {"pricing_tests_some"},  # the happy path and two edges: ~45 %
    "nothing": set(),  # asserts nothing: catches only mutants that crash on every call
    "failing": set(),  # one wrong belief (75 excluded): fails on the correct functions
}
# Graded by benchmarks/mutation_scores.py and same_points.py, not here (the suite's time):
BENCH_ONLY = {
    "snapshot": set(),  # expected values taken from the functions themselves
    "properties": set(CELLS),  # hypothesis against an oracle written from the spec: 79 of 80
}


def _source(golden: str) -> str:
    if golden == "model":
        text = notebook_cell((SOURCE / ASSIGNMENT.notebook).read_text(), SETTINGS["cell"])
        assert text is not None
        return text
    return (TESTS / f"{golden}.py").read_text()


@pytest.mark.parametrize("golden", sorted(EXPECTED))
def test_golden_tests_score_their_cells(golden):
    # One grading per golden, in one test: xdist would grade a shared one once per worker.
    report = grade_cell_source(SOURCE, SETTINGS, _source(golden))
    passed = {gid for gid, share in thresholds(SETTINGS).items() if report.verdict(share)[0]}
    assert passed == EXPECTED[golden], str(report)
    CHECKS.get(golden, lambda report: None)(report)


def _model(report):
    """Every mutant, hidden ones included, is catchable: the model catches them all."""
    assert report.score == 1.0, str(report)
    assert report.counts(hidden=True)[1] >= 4
    assert report.seconds < 90  # ~18 s on this machine alone; the budget is 30 s


def _failing(report):
    """Tests that fail on the correct functions say which, after a single run."""
    assert "test_age_limits[75-False]" in report.problem
    assert not report.outcomes


def _partial(report):
    """The learner sees each visible survivor, never a hidden mutant."""
    text = str(report)
    survivors = report.survivors()
    assert survivors and all(m.description in text for m in survivors)
    assert not any(m.hidden for m in survivors)
    hidden = [m for m in report.mutants if m.hidden]
    assert hidden and all(m.description not in text for m in hidden)
    skipped = [o for o in report.outcomes.values() if o.message == SAME_ANSWERS]
    assert skipped and all(not report.killed(m) for m in report.mutants
                           if report.outcomes[m.id].message == SAME_ANSWERS)


CHECKS = {"model": _model, "failing": _failing, "partial": _partial}


def test_every_mutant_is_catchable_and_none_is_repeated():
    subject = subject_for(SOURCE, SETTINGS)
    mutants = mutants_for(SOURCE, subject, hidden=True)
    assert len({m.source for m in mutants}) == len(mutants)
    assert {m.function for m in mutants} == set(SETTINGS["functions"])
    assert 40 <= len(mutants) <= 100  # a grading stays within its time budget


def test_the_release_has_no_hidden_mutants_and_the_same_module():
    release = ROOT / "exercises" / "03_silent_logic"
    assert not (release / "solution_only").exists()
    assert (release / "pricing.py").read_text() == (SOURCE / "pricing.py").read_text()


def test_a_missing_or_unsolved_tests_cell_scores_zero_everywhere(tmp_path):
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    for name in ("assignment.toml", "pricing.py"):
        (trusted / name).write_text((SOURCE / name).read_text())
    release = (ROOT / "exercises" / "03_silent_logic" / ASSIGNMENT.notebook).read_text()
    nb = json.loads(release)
    nb["cells"] = [c for c in nb["cells"]
                   if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != SETTINGS["cell"]]
    for notebook, why in ((release, "no tests yet"), (json.dumps(nb), "has no tests cell")):
        outputs = graded_outputs(trusted, notebook)
        assert set(outputs) == set(CELLS)
        for gid in CELLS:
            assert outputs[gid][-1]["output_type"] == "error"
            assert why in outputs[gid][-1]["evalue"]


def test_check_and_the_grade_cells_in_a_kernel(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(str(SOURCE / ASSIGNMENT.notebook), as_version=4)
    keep = []
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if gid in ("setup", "pricing_setup") or gid.startswith("pricing_tests") or \
                cell.source.strip() == 'check("pricing_tests")':
            keep.append(cell)
            if gid == SETTINGS["cell"]:
                cell.source = _source("failing")
    nb.cells = keep
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(SOURCE)}}).execute()
    texts = [o.get("text", "") + o.get("evalue", "") + json.dumps(o.get("data", {}))
             for cell in nb.cells for o in cell.outputs]
    shown = "\n".join(texts)
    assert "test_age_limits[75-False]" in shown
    errors = [o for cell in nb.cells[-3:] for o in cell.outputs if o.output_type == "error"]
    assert len(errors) == 3 and all("fail on the correct functions" in e.evalue for e in errors)


def test_model_cell_is_what_the_notebook_holds():
    # The goldens' "model" is read from the notebook: a stale copy elsewhere cannot drift.
    assert "def test_" in _source("model")
    assert Path(SOURCE / "solution_only" / "hidden_mutants.py").is_file()
