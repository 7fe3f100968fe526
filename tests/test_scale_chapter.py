"""Chapter 08 (scale, graded by growth): golden submissions against every cell.

A golden (tests/golden/08_scale/<name>.py) gives the source of some solution cells
(``# %% <cell id>`` sections); the rest comes from the released exercise, or from the model
solution when its first line says ``# base: solution`` (tests/conftest.py). Each golden is
judged on the cells of the exercises it changes (the model's own cells score full marks in
tests/test_classgrade_chapters.py):

* scenario cells by their public and hidden tests, as the controller runs them (run_cell
  against the subject made from the submission, grader/snippets/subjects.py);
* growth cells by the controller's own measurer (grader/growth/cells.py ``growth_outputs``,
  what grader/classgrade/speedcheck.py runs in the sandbox);
* two goldens go through the whole ``grade`` door, which also runs the ordinary cells'
  public and hidden tests.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.golang.grading import run_cell
from grader.growth.cells import growth_outputs
from grader.metadata import load_assignment
from grader.snippets.subjects import close, subject_for
from tests import conftest
from tests.conftest import GOLDEN, ROOT, grade_json

A = "08_scale"
SOURCE = ROOT / "solutions" / A
RELEASE = ROOT / "exercises" / A
GOLDEN_DIR = GOLDEN / A
ASSIGNMENT = load_assignment(SOURCE)
POINTS = ASSIGNMENT.grade_ids()
MEASURED = {str(s["grade_id"]): (e, kind, s) for e, kind, s in ASSIGNMENT.measured()}

pytestmark = pytest.mark.slow

# golden -> {measured cell: (passes, a regular expression its verdict must match)}
EXPECTED: dict[str, dict[str, tuple[bool, str]]] = {
    # match_orders. An honest n log n join (sort, then binary search): slower than the hash
    # join, and steeper, but within what the contract allows.
    "sort_merge": {"match_orders_growth": (True, r"grows like n\^")},
    # The hash join with the AI's key: every growth call's answer is checked too.
    "lower_not_casefold": {"match_orders_growth": (False, "wrong answer at n=")},
    # Right keys, list membership: fast on any unit test's hundred rows.
    "quadratic": {"match_orders_growth": (False, "not timed at the larger sizes")},
    # The hash join at the public tests' sizes, the nested loop at every other.
    "sizes_cheat": {"match_orders_growth": (False, "not timed at the larger sizes")},
    # Remembers each customer list it has seen: no help on fresh inputs.
    "memo_cheat": {"match_orders_growth": (False, "not timed at the larger sizes")},
    # Linear, about 17x the model's cost: over max_slowdown, or over the call limit.
    "slow_linear": {"match_orders_growth": (False, r"allowed 10x|over the 1 s limit|not timed")},
    # recent_orders. No schema change: the plan scans, and so does every lookup.
    "no_index": {"recent_orders_rows": (True, ""), "recent_orders_plan": (False, "SCAN"),
                 "recent_orders_growth": (False, "")},
    # An index on customer_id alone: searched, then sorted. The plan cell wants no sort;
    # the cost still grows like the data.
    "index_then_sort": {"recent_orders_rows": (True, ""),
                        "recent_orders_plan": (False, "TEMP B-TREE"),
                        "recent_orders_growth": (True, r"grows like n\^")},
    # The right index and a query that cannot use it: the course's plan looks fine, the
    # growth of the learner's own query does not.
    "defeats_index": {"recent_orders_rows": (True, ""), "recent_orders_plan": (True, ""),
                      "recent_orders_growth": (False, "")},
    # fetch_many. One at a time; every URL at once; errors swallowed; returns while
    # requests still run.
    "sequential": {"fetch_many_results": (True, ""),
                   "fetch_many_concurrency": (False, "took .* s from first to last")},
    "thread_per_url": {"fetch_many_results": (True, ""),
                       "fetch_many_concurrency": (False, "requests in flight at once")},
    "swallows_errors": {"fetch_many_results": (False, "expected status 404"),
                        "fetch_many_concurrency": (True, "")},
    "gives_up_early": {"fetch_many_results": (False, "still running after it returned"),
                       "fetch_many_concurrency": (True, "")},
    # profile_cache. Never forgets; forgets the oldest; trusts lru_cache with any maxsize.
    "unbounded_cache": {"profile_cache_hits": (False, "least-recently-used cache asks"),
                        "profile_cache_memory": (False, "its memory grows like")},
    "fifo_cache": {"profile_cache_hits": (False, "least-recently-used cache asks")},
    "lru_unchecked": {"profile_cache_hits": (False, "expected ValueError or TypeError")},
}
# golden -> cells it scores through the grade door (nbgrader, the sandbox, the controller)
DOOR_EXPECTED = {"alternative": set(POINTS)}
# golden -> (ordinary cell -> does it pass its public tests), run here on the golden's
# function (the goldens are the course's own code)
PUBLIC_EXPECTED = {
    # The hash join, keyed right, that normalizes the caller's list in place.
    "modifies_input": {"match_orders_values": True, "match_orders_edge_cases": False},
}


def submission(golden: str, base: Path) -> Path:
    return conftest.golden_notebook(RELEASE, SOURCE, ASSIGNMENT.notebook, GOLDEN_DIR, golden,
                                    base / golden)


def verdict(grade_id: str, notebook: Path) -> tuple[bool, str]:
    """(passed, text) of one measured cell, as the controller decides it."""
    exercise, kind, settings = MEASURED[grade_id]
    if kind == "growth":
        outputs = growth_outputs(ASSIGNMENT, exercise, settings, notebook)
        return len(outputs) == 1, outputs[0]["data"]["text/plain"]
    subject = subject_for(ASSIGNMENT, settings, notebook)
    try:
        results = run_cell(SOURCE, grade_id, subject)
    finally:
        close(subject)
    assert results, grade_id
    failed = [f"{r.doc}: {r.message}" for r in results if not r.passed]
    return not failed, "\n".join(failed)


def test_every_golden_file_has_an_expectation():
    files = {p.stem for p in GOLDEN_DIR.iterdir() if p.suffix == ".py"}
    kinds = [set(EXPECTED), set(DOOR_EXPECTED), set(PUBLIC_EXPECTED)]
    assert files == set.union(*kinds)
    assert sum(len(k) for k in kinds) == len(files)  # each golden in one table
    assert {c for cells in EXPECTED.values() for c in cells} == set(MEASURED)


@pytest.mark.parametrize("golden", sorted(EXPECTED))
def test_measured_cells_of_the_goldens(tmp_path, golden):
    notebook = submission(golden, tmp_path)
    wrong = {}
    for grade_id, (passes, phrase) in EXPECTED[golden].items():
        passed, text = verdict(grade_id, notebook)
        if passed != passes or not re.search(phrase, text):
            wrong[grade_id] = text[:1500]
    assert not wrong, wrong


@pytest.mark.parametrize("golden", sorted(DOOR_EXPECTED))
def test_grade_door_gives_each_cell_its_points(tmp_path, golden):
    result = grade_json(A, submission(golden, tmp_path))
    assert result["sandbox"] == "bubblewrap", result
    cells = {c["grade_id"]: c for c in result["cells"]}
    for cell, points in POINTS.items():
        want = points if cell in DOOR_EXPECTED[golden] else 0
        assert cells[cell]["points"] == want, cells[cell]


@pytest.mark.parametrize("golden", sorted(PUBLIC_EXPECTED))
def test_public_tests_of_ordinary_cells(tmp_path, golden):
    from grader.checking import load_checks
    from grader.speed import NotebookCandidate

    notebook = submission(golden, tmp_path)
    suite = load_checks(SOURCE).suite
    for grade_id, passes in PUBLIC_EXPECTED[golden].items():
        name = next(e.name for e in ASSIGNMENT.exercises if grade_id in e.points)
        func = NotebookCandidate(notebook, name).load_here()
        results = suite.run(grade_id, func)
        assert results and all(r.passed for r in results) == passes, \
            [(r.doc, r.reason) for r in results if not r.passed]
