"""grader/mutation: the mutants, the report, and the engine against honest tests and cheats.

The engine tests use a five-line module (a handful of mutants, a few seconds each); the
chapter's own module and its goldens are in tests/test_silent_logic_mutation.py.
"""

from __future__ import annotations

import ast
import random

import pytest

from grader.mutation.engine import Subject, run_mutation
from grader.mutation.mutants import from_replacement, generate
from grader.mutation.report import MutationReport, RunOutcome

SOURCE = '''from decimal import Decimal, ROUND_HALF_UP


def grade(score):
    """Pass from 50 points, both included."""
    if not isinstance(score, int) or isinstance(score, bool):
        raise TypeError(f"score must be an int, got {score!r} (50 to pass)")
    if score >= 50:
        return "pass"
    return "fail"


def fee(amount):
    return (amount * Decimal("0.015")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
'''
SUBJECT = Subject("marks", SOURCE, ("grade",), "import pytest")
HONEST = '''
@pytest.mark.parametrize("score, expected", [(49, "fail"), (50, "pass"), (51, "pass")])
def test_boundary(score, expected):
    assert grade(score) == expected


def test_types():
    with pytest.raises(TypeError):
        grade(True)
    with pytest.raises(TypeError):
        grade(50.0)
'''


def mutants():
    return generate(SOURCE, ["grade"])


# `not isinstance(score, int)` -> `isinstance(score, int)`: raises on every int, so any test
# that calls grade() at all "kills" it.
CRASHING = {m.id for m in mutants() if m.operator == "negation"}


def run(tests: str, **kwargs):
    return run_mutation(tests, SUBJECT, mutants(), rng=random.Random(7), **kwargs)


# --- mutants ---------------------------------------------------------------------------


def test_each_mutant_changes_one_line_and_still_compiles():
    found = generate(SOURCE, ["grade", "fee"])
    assert len({m.id for m in found}) == len(found)
    operators = {m.operator for m in found}
    assert {"boundary", "off-by-one", "dropped-branch", "logic", "negation",
            "rounding"} <= operators
    for m in found:
        ast.parse(m.source)
        changed = [ln for ln in m.diff.splitlines() if ln.startswith("-") and
                   not ln.startswith("---")]
        assert len(changed) == 1, m.diff
    assert generate(SOURCE, ["grade"]) == generate(SOURCE, ["grade"])  # stable


def test_messages_docstrings_and_fstrings_are_never_mutated():
    for m in generate(SOURCE, ["grade", "fee"]):
        assert "Pass from 50 points" in m.source
        assert "(50 to pass)" in m.source, m.description


def test_off_by_one_keeps_only_the_neighbour_the_boundary_swap_does_not_give():
    found = {m.description for m in generate(SOURCE, ["grade"])}
    assert "line 8: `score >= 50` became `score > 50`" in found
    assert "line 8: `50` became `49`" in found
    assert "line 8: `50` became `51`" not in found  # the same code as `score > 50`


def test_quantize_precision_and_rounding_mode_are_mutated_not_the_cent_value():
    found = {m.description for m in generate(SOURCE, ["fee"])}
    assert any("Decimal('0.1')" in d for d in found)
    assert any("ROUND_HALF_UP` became `ROUND_HALF_EVEN`" in d for d in found)
    assert not any("Decimal('0.02')" in d or "Decimal('0.00')" in d for d in found)


def test_an_axis_is_mutated():
    source = "import numpy as np\n\n\ndef totals(x):\n    return np.sum(x, axis=0)\n"
    (m,) = [m for m in generate(source, ["totals"]) if m.operator == "axis"]
    assert "axis=1" in m.source


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="not valid Python"):
        generate("def f(:\n", ["f"])
    with pytest.raises(ValueError, match="no top-level function missing"):
        generate(SOURCE, ["missing"])
    with pytest.raises(ValueError, match="occurs 0 times in grade"):
        from_replacement(SOURCE, "grade", "no such text", "x", description="x")
    with pytest.raises(ValueError, match="occurs 2 times in grade"):
        from_replacement(SOURCE, "grade", "return", "yield", description="x")
    with pytest.raises(ValueError, match="not valid Python"):
        from_replacement(SOURCE, "grade", "score >= 50:", "score >=", description="x")


def test_a_hand_written_mutant_changes_its_function_only():
    m = from_replacement(SOURCE, "grade", '    return "fail"\n', '    return "pass"\n',
                         description="everyone passes")
    assert m.hidden and m.source.count('return "pass"') == 2 and "def fee" in m.source
    assert m.id == "grade:hidden:everyone-passes" and '+    return "pass"' in m.diff


# --- report ----------------------------------------------------------------------------


def _report(killed: set[str], original: str = "passed") -> MutationReport:
    found = mutants() + [from_replacement(SOURCE, "grade", '"fail"', "1",
                                          description="hidden one")]
    outcomes = {m.id: RunOutcome(m.id, "failed" if m.id in killed else "passed",
                                 ("test_a",), (("test_a", "assert"),) if m.id in killed else ())
                for m in found}
    originals = [RunOutcome("original", original, ("test_a",),
                            (("test_a", "assert 1 == 2"),) if original == "failed" else ())]
    return MutationReport(found, outcomes, originals)


def test_score_thresholds_and_what_the_learner_sees():
    every = {m.id for m in mutants()} | {"grade:hidden:hidden-one"}
    report = _report(every - {mutants()[0].id, "grade:hidden:hidden-one"})
    n = len(every)
    assert report.score == pytest.approx((n - 2) / n)
    assert report.verdict(0.5)[0] and not report.verdict(1.0)[0]
    text = str(report)
    assert mutants()[0].description in text and "hidden one" not in text
    assert "0 of 1 hidden" in text
    outputs = report.outputs(1.0)
    assert outputs[-1]["output_type"] == "error" and "needs 100 %" in outputs[-1]["evalue"]
    assert report.outputs(0.5)[-1]["output_type"] == "stream"


def test_tests_failing_on_the_correct_module_score_zero_and_name_the_test():
    report = _report({m.id for m in mutants()}, original="failed")
    assert report.score == 0.0
    passed, why = report.verdict(0.01)
    assert not passed and "test_a: assert 1 == 2" in why


def test_a_run_that_never_reported_is_a_crash_or_a_timeout_never_a_pass():
    assert RunOutcome.from_run("m", None, True, "", "", 1.0).status == "timeout"
    crashed = RunOutcome.from_run("m", None, False, "memory", "MemoryError\n", 1.0)
    assert crashed.status == "crashed" and not crashed.passed
    assert RunOutcome.from_run("m", {"tests": []}, False, "", "", 1.0).status == "no tests"
    assert RunOutcome.from_run("m", {"tests": "garbage", "errors": [1]}, False, "", "",
                               1.0).status == "error"


# --- the engine: honest tests and cheats, each run in a fresh sandbox ---------------------

engine_test = pytest.mark.slow


@engine_test
def test_honest_tests_kill_every_mutant():
    report = run(HONEST)
    assert report.problem == "" and report.score == 1.0, str(report)
    assert set(report.tests) >= {"test_boundary[49-fail]", "test_types"}


@engine_test
def test_tests_that_assert_nothing_kill_only_what_crashes():
    report = run("def test_calls():\n    grade(50)\n    grade(10)\n")
    assert {m.id for m in report.mutants if report.killed(m)} <= CRASHING
    assert report.score < 0.4


@engine_test
def test_a_failing_or_missing_or_broken_suite_scores_zero_with_its_reason():
    assert "test_wrong" in run("def test_wrong():\n    assert grade(49) == 'pass'\n").problem
    assert "no tests ran" in run("x = 1\n").problem
    assert "does not run" in run("def test_x(:\n    pass\n").problem
    assert "does not run" in run("import no_such_module\n\ndef test_x():\n    pass\n").problem


@engine_test
def test_a_hanging_suite_is_stopped_after_one_run():
    report = run("def test_forever():\n    while True:\n        pass\n", run_timeout=4)
    assert "did not finish" in report.problem
    assert len(report.originals) == 1 and not report.outcomes  # no run per mutant
    assert report.seconds < 15


@engine_test
def test_no_run_learns_from_another():
    # The majority-vote cheat: remember every answer seen in earlier runs (in files, shared
    # memory, a daemon left running) and fail when this run's answers differ from them. With
    # a fresh sandbox per run, every run is the first: it kills only the mutants that crash
    # on every call, as a suite that asserts nothing does.
    cheat = '''
import json, os, socket, subprocess, sys

PLACES = ["/tmp/seen.json", "/dev/shm/seen.json", os.path.join(os.getcwd(), "seen.json")]


def _daemon_answers():
    try:
        s = socket.socket(socket.AF_UNIX); s.connect("\\0grader-cheat"); s.settimeout(2)
        return json.loads(s.recv(65536) or b"null")
    except OSError:
        code = ("import socket,sys\\ns=socket.socket(socket.AF_UNIX)\\n"
                "s.bind(chr(0)+'grader-cheat'); s.listen()\\n"
                "import time\\nwhile True:\\n c,_=s.accept(); c.send(sys.argv[1].encode())")
        subprocess.Popen([sys.executable, "-c", code, json.dumps(_answers())],
                         start_new_session=True)
        return None


def _answers():
    return [grade(s) for s in range(40, 60)]


def test_same_as_before():
    mine = _answers()
    for place in PLACES:
        try:
            with open(place) as f:
                assert json.load(f) == mine
        except FileNotFoundError:
            with open(place, "w") as f:
                json.dump(mine, f)
    earlier = _daemon_answers()
    assert earlier in (None, mine)
'''
    report = run(cheat)
    assert report.problem == "", report.problem
    assert {m.id for m in report.mutants if report.killed(m)} <= CRASHING, str(report)


@engine_test
def test_the_tests_cannot_see_which_version_answers():
    cheat = '''
import glob, inspect, os


def test_peek():
    seen = inspect.getsource(grade) + repr(grade.__code__.co_consts)
    places = ["/tmp", os.getcwd(), os.path.dirname(__file__),
              os.path.dirname(os.path.dirname(inspect.getsourcefile(grade)))]
    for root in places:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                if name.endswith((".py", ".json")) and name != "test_yours.py":
                    seen += open(os.path.join(dirpath, name), errors="ignore").read()
    for path in glob.glob("/proc/*/cmdline") + glob.glob("/proc/*/environ"):
        try:
            seen += open(path, errors="ignore").read()
        except OSError:
            pass
    assert "score > 50" not in seen and "score >= 49" not in seen
'''
    report = run(cheat)
    assert report.problem == "", report.problem
    assert {m.id for m in report.mutants if report.killed(m)} <= CRASHING, str(report)


@engine_test
def test_a_mutant_that_loops_is_stopped_and_counts_as_caught():
    source = "def count(n):\n    i = 0\n    while i < n:\n        i += 1\n    return i\n"
    subject = Subject("loops", source, ("count",))
    tests = "def test_count():\n    assert (count(3), count(0), count(-2)) == (3, 0, 0)\n"
    report = run_mutation(tests, subject, generate(source, ["count"]), run_timeout=6)
    assert report.problem == "" and report.score == 1.0, str(report)
    loops = [m for m in report.mutants if "`1` became `0`" in m.description
             or "`i += 1` became `i -= 1`" in m.description]
    assert len(loops) == 2
    assert all(report.outcomes[m.id].status in ("timeout", "failed", "crashed") for m in loops)


@engine_test
def test_a_slow_suite_runs_out_of_time_and_its_unrun_mutants_survive():
    # The first run alone takes longer than the budget: no mutant is started after it.
    slow = "import time\n\ndef test_slow():\n    time.sleep(1.5)\n    assert grade(50) == 'pass'\n"
    report = run(slow, budget=1.0)
    assert report.problem == ""
    not_run = [o for o in report.outcomes.values() if o.status == "not run"]
    assert not_run and not any(report.killed(m) for m in report.mutants
                               if report.outcomes[m.id].status == "not run")
    assert any("were not run" in note for note in report.notes)
