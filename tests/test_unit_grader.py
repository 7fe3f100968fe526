"""Fast unit tests of the grader package: metadata, test helpers, check/hint, progress."""

from __future__ import annotations

import json

import numpy as np
import pytest

from grader import progress
from grader.checking import check, hint, load_suite
from grader.metadata import MetadataError, load_assignment
from grader.testing import TestSuite, assert_array, raises, run_one
from tests.conftest import GOLDEN, ROOT, golden_functions

A = ROOT / "solutions" / "01_vectorization"


def write_meta(tmp_path, text):
    (tmp_path / "assignment.toml").write_text(text)
    return tmp_path


def test_metadata_loads_and_matches_points():
    meta = load_assignment(A)
    assert [e.name for e in meta.exercises] == ["normalize", "rolling_mean", "group_sums"]
    assert sum(meta.grade_ids().values()) == 22


@pytest.mark.parametrize("text, message", [
    ("title = 'x'\nnotebook = 'n.ipynb'\n", "missing required field 'exercises'"),
    ("title = 'x'\nnotebook = 'n.ipynb'\n[[exercises]]\nname='a'\ntitle='t'\npoints={g=-1}\n",
     "points of 'g' must be a number >= 0"),
    ("title = 'x'\nnotebook = 'n.ipynb'\ntoolchains=['cobol']\n[[exercises]]\nname='a'\n"
     "title='t'\npoints={g=1}\n", "unknown toolchains"),
    ("title = 'x'\nnotebook = 'n.ipynb'\n[[exercises]]\nname='a'\ntitle='t'\npoints={g=1}\n"
     "[[exercises]]\nname='b'\ntitle='t'\npoints={g=1}\n", "grade id 'g' appears twice"),
    ("title = \n", "not valid TOML"),
    ("title = 'x'\nnotebook = 'n.ipynb'\nkernel_only = []\n[[exercises]]\nname='a'\n"
     "title='t'\npoints={a_values=1}\n", "'kernel_only' is gone: no grade cell is decided"),
    ("title = 'x'\nnotebook = 'n.ipynb'\n[[exercises]]\nname='a'\ntitle='t'\n"
     "points={a_values=1}\nspeed={grade_id='a_sped'}\n", r"names \['a_sped'\], which are not"),
    ("title = 'x'\nnotebook = 'n.ipynb'\n[[exercises]]\nname='a'\ntitle='t'\n"
     "points={a_values=1}\nscenarios={grade_ids=[]}\n", "grade_ids must be a non-empty list"),
])
def test_bad_metadata_names_the_problem(tmp_path, text, message):
    with pytest.raises(MetadataError, match=message):
        load_assignment(write_meta(tmp_path, text))


def test_measured_tables_name_the_cells_the_measurement_decides(tmp_path):
    meta = load_assignment(write_meta(tmp_path, (
        "title = 'x'\nnotebook = 'n.ipynb'\n[[exercises]]\nname='a'\ntitle='t'\n"
        "points={a_values=1, a_speed=1, a_simd=1}\nspeed={grade_id='a_speed', size=10}\n"
        "simd={grade_id='a_simd'}\nnotes={grade_id='a_values'}\n")))
    assert meta.measured_ids() == {"a_speed", "a_simd"}  # `notes` is no measured kind
    several = load_assignment(write_meta(tmp_path, (
        "title = 'x'\nnotebook = 'n.ipynb'\n[[exercises]]\nname='a'\ntitle='t'\n"
        "points={a_one=1, a_two=1}\nscenarios={grade_ids=['a_one', 'a_two'], package='p'}\n")))
    assert [(kind, s["grade_id"], s["package"]) for _, kind, s in several.measured()] == \
        [("scenarios", "a_one", "p"), ("scenarios", "a_two", "p")]
    assert load_assignment(A).measured_ids() == {"normalize_speed", "rolling_mean_speed",
                                                  "group_sums_speed"}


def test_missing_metadata_file(tmp_path):
    with pytest.raises(MetadataError, match="no assignment.toml"):
        load_assignment(tmp_path)


def test_raises_helper_messages():
    def returns(x):
        return [x]

    def divides(x):
        return 1 / x

    with pytest.raises(AssertionError, match=r"f\(0\) returned \[0\]; expected it to raise"):
        raises(ValueError, returns, 0, call="f(0)")
    with pytest.raises(AssertionError, match="raised ZeroDivisionError.*expected ValueError"):
        raises(ValueError, divides, 0)
    with pytest.raises(AssertionError, match="should name the problem"):
        raises(ValueError, lambda: (_ for _ in ()).throw(ValueError("bad")), match="empty")
    assert isinstance(raises((TypeError, ValueError), int, "x"), ValueError)


def test_assert_array_messages():
    with pytest.raises(AssertionError, match="returned list; expected a NumPy array"):
        assert_array([1.0], [1.0], call="f()")
    with pytest.raises(AssertionError, match="dtype int64; expected float64"):
        assert_array(np.array([1]), [1.0], call="f()")
    with pytest.raises(AssertionError, match=r"shape \(2,\); expected \(3,\)"):
        assert_array(np.zeros(2), np.zeros(3), call="f()")
    with pytest.raises(AssertionError, match="element 1 is 5.0, expected 2.0"):
        assert_array(np.array([1.0, 5.0]), [1.0, 2.0], call="f()")
    with pytest.raises(AssertionError, match="element 0 is nan"):
        assert_array(np.array([np.nan]), [np.nan], call="f()")


def test_run_one_survives_anything_and_times_out():
    suite = TestSuite()

    @suite.test("g")
    def loops_forever(func):
        while True:
            pass

    @suite.test("g")
    def learner_raises(func):
        func()

    loop, raised = suite.run("g", lambda: {}["missing"], timeout=0.3)
    assert not loop.passed and "did not finish within 0.3 s" in loop.reason
    assert not raised.passed and raised.reason.startswith("raised KeyError")
    assert run_one(suite.tests_for("g")[1], lambda: None, 1).passed


def test_public_tests_pass_on_solution_functions_and_fail_on_ai_versions():
    suite = load_suite(A)
    alt = {}
    for src in golden_functions(GOLDEN / "01_vectorization" / "alternative.py").values():
        exec(src, alt)
    for gid in suite.grade_ids():
        name = gid.rsplit("_", 2)[0] if gid.startswith("rolling") or gid.startswith("group") \
            else "normalize"
        name = {"rolling": "rolling_mean", "group": "group_sums"}.get(name, name)
        results = suite.run(gid, alt[name])
        assert all(r.passed for r in results), [r for r in results if not r.passed]

    def ai_normalize(scores):
        total = sum(scores)
        return [s / total for s in scores]

    edge = suite.run("normalize_edge_cases", ai_normalize)
    assert sum(not r.passed for r in edge) == len(edge) - 1  # only strings fail loudly


def test_check_reports_table_records_progress_and_hints(tmp_path, monkeypatch):
    state = tmp_path / "state.json"
    monkeypatch.setenv("GRADER_STATE_FILE", str(state))
    report = check("normalize", lambda scores: np.asarray(scores) / np.sum(scores))
    assert 0 < report.passed < len(report.results)
    html = report._repr_html_()
    assert "<table>" in html and "normalize_edge_cases" in html and "Traceback" not in html
    saved = json.loads(state.read_text())["normalize"]
    assert saved["passed"] == report.passed and saved["done"] is False
    first, second = hint("normalize"), hint("normalize")
    assert "Hint 1 of 4" in str(first) and "Hint 2 of 4" in str(second)
    with pytest.raises(KeyError, match="did you mean 'normalize'"):
        check("normalise", print)
    with pytest.raises(TypeError, match="exercise name as a string"):
        check(print)


def test_check_without_object_says_so(tmp_path):
    report = check("group_sums", _caller_globals={})
    assert report.passed == 0 and any("No object named" in n for n in report.notes)


def test_corrupt_progress_file_is_kept_aside(tmp_path):
    state = tmp_path / "p.json"
    state.write_text("{not json")
    with pytest.warns(UserWarning, match="unreadable"):
        assert progress.load(state) == {}
    assert list(tmp_path.glob("p.corrupt-*.json"))


def test_dev_check_jobs_by_kind():
    from grader.devcheck import KINDS, jobs

    every = jobs(ROOT)
    assert {j.kind for j in every} == set(KINDS)
    speed = jobs(ROOT, kinds=("speed",))
    assert speed and all(j.kind == "speed" for j in speed)
    assert speed == [j for j in every if j.kind == "speed"]
    with pytest.raises(ValueError, match="unknown dev-check job kind"):
        jobs(ROOT, kinds=("nope",))
