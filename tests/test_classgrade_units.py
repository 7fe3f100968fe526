"""grader.classgrade pieces that need no kernel and no sandbox: codec, verifier, journal,
merging untrusted results, the gradebook transaction, feedback redaction, the CLI."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader.classgrade import codec, gradebook, verify
from grader.classgrade.feedback import REDACTED, RedactHiddenTests
from grader.classgrade.journal import Journal
from grader.classgrade.unreported import NOT_RUN_ENAME, mark_unreported
from tests.conftest import ROOT

# ---------------------------------------------------------------- codec


@pytest.mark.parametrize("value", [
    None, True, 3, 2**70, -1.5, float("inf"), "text", b"\x00bytes", 1 + 2j,
    [1, [2, (3, "x")]], {"a": [1.0]}, np.arange(5.0), np.array([[1, 2]], dtype=np.uint8),
    np.float32(2.5), np.int64(10), np.array([], dtype=np.int64), np.array(["a", "bc"]),
])
def test_codec_round_trips_data(value):
    back = codec.decode(json.loads(json.dumps(codec.encode(value))))
    if isinstance(value, np.ndarray):
        assert type(back) is np.ndarray and back.dtype == value.dtype
        np.testing.assert_array_equal(back, value)
    else:
        assert type(back) is type(value) and back == value


def test_codec_carries_money_and_time_exactly():
    import datetime as dt
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    values = [Decimal("12.30"), Decimal("-0.005"), dt.date(2024, 2, 29), dt.time(2, 30),
              dt.timedelta(days=-1, seconds=5), dt.datetime(2024, 10, 27, 2, 30, fold=1),
              dt.datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=berlin),
              dt.datetime(2024, 1, 1, tzinfo=dt.UTC)]
    for value in values:
        back = codec.decode(json.loads(json.dumps(codec.encode(value))))
        assert type(back) is type(value) and back == value and str(back) == str(value)
        assert getattr(back, "fold", 0) == getattr(value, "fold", 0)
    autumn = codec.decode(codec.encode(values[6]))
    assert autumn.tzinfo is berlin and autumn.fold == 1  # the zone's rules, not an offset
    assert autumn + dt.timedelta(days=1) == dt.datetime(2024, 10, 28, 2, 30, tzinfo=berlin)
    for bad in ({"$decimal": 5}, {"$date": "x" * 300}, {"$date": "2024-02-30"},
                {"$datetime": ["2024-01-01T00:00+00:00", "../../etc/passwd"]},
                {"$datetime": ["2024-01-01T00:00+00:00", "No/Such_Zone"]},
                {"$timedelta": [1, "x", 0]}):
        with pytest.raises(codec.ProtocolError):
            codec.decode(bad)


def test_codec_never_unpickles_and_turns_objects_into_inert_placeholders():
    class Sneaky:
        def __reduce__(self):
            return (print, ("pwned",))

    for value in (Sneaky(), np.array([Sneaky()], dtype=object), {1: "int key"}, print):
        back = codec.decode(codec.encode(value))
        assert isinstance(back, codec.Opaque)
        assert not isinstance(back, np.ndarray)
    with pytest.raises(codec.ProtocolError):
        codec.decode({"$pickle": "gASV"})
    with pytest.raises(codec.ProtocolError):
        codec.decode({"$ndarray": "bm90IGFuIG5weQ=="})  # "not an npy"
    with pytest.raises(codec.ProtocolError):
        codec.decode([1, 2])  # a bare list is not a tagged value


def test_exceptions_come_back_as_the_nearest_builtin():
    class Mine(ValueError):
        pass

    exc = codec.decode_exception(codec.encode_exception(Mine("scores is empty")))
    assert type(exc) is ValueError and str(exc) == "scores is empty"
    assert type(codec.decode_exception(codec.encode_exception(NotImplementedError()))) is \
        NotImplementedError
    # SystemExit is not something the verifier should ever raise on the student's behalf.
    assert type(codec.decode_exception({"types": ["SystemExit", "BaseException"],
                                        "message": "0"})) is BaseException


def test_frames_are_size_checked_and_must_be_json():
    a, b = socket.socketpair()
    with a, b:
        codec.send(a, {"x": 1})
        assert codec.recv(b) == {"x": 1}
        a.sendall(codec._HEADER.pack(codec.MAX_FRAME + 1))
        with pytest.raises(codec.ProtocolError, match="exceeds"):
            codec.recv(b)
    a, b = socket.socketpair()
    with a, b:
        a.sendall(codec._HEADER.pack(3) + b"{{{")
        with pytest.raises(codec.ProtocolError, match="not JSON"):
            codec.recv(b)


# ---------------------------------------------------------------- verifier (no sandbox)


def test_names_used_sees_nested_functions():
    code = compile("def f():\n    return normalize(x)\nassert_checks('g', f)", "<c>", "exec")
    assert {"normalize", "x", "assert_checks"} <= verify.names_used(code)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _serve(script: str, tmp_path: Path, spec: dict, sigint_ignored: bool = False) -> dict:
    """Run the real worker (unsandboxed, it is our own test code) against verify();
    ``sigint_ignored`` starts it as a background job of a non-interactive shell would."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in
                                         ["import numpy as np", script, ""]])
    (tmp_path / "w.ipynb").write_text(nbformat.writes(nb))
    path = str(tmp_path / "sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    proc = subprocess.Popen([sys.executable, "-m", "grader.classgrade.worker",
                             str(tmp_path / "w.ipynb"), path],
                            preexec_fn=_ignore_sigint if sigint_ignored else None)
    try:
        listener.settimeout(60)
        conn, _ = listener.accept()
        link = verify.WorkerLink(conn, deadline=float("inf"))
        verdicts = verify.verify(spec, link)
        link.close()
        conn.close()  # a worker written off exits on the closed socket
        proc.wait(timeout=30)
    finally:
        proc.kill()
        listener.close()
    return verdicts


GRADE_SOURCE = """
from grader.testing import assert_array, raises
assert_array(double(np.array([1.0, 2.0])), [2.0, 4.0], call="double([1, 2])")
raises(ValueError, double, np.array([]), match="empty", call="double([])")
"""


def _spec(timeout: float = 20) -> dict:
    return {"cell_timeout": timeout, "cells": [
        {"role": "locked", "index": 0, "grade_id": "setup", "source": "import numpy as np"},
        {"role": "student", "index": 1},
        {"role": "grade", "index": 2, "grade_id": "double_test", "source": GRADE_SOURCE},
    ]}


def test_verifier_passes_honest_code_and_sees_its_exceptions(tmp_path):
    honest = ("def double(x):\n    x = np.asarray(x, dtype=float)\n"
              "    if x.size == 0:\n        raise ValueError('empty input')\n    return 2 * x")
    assert _serve(honest, tmp_path, _spec())["double_test"]["passed"]


def test_verifier_is_not_fooled_by_patched_helpers_or_numpy(tmp_path):
    cheat = ("import grader.testing, numpy\n"
             "grader.testing.raises = grader.testing.assert_array = lambda *a, **k: None\n"
             "numpy.allclose = lambda *a, **k: True\n"
             "def double(x):\n    return np.zeros(len(x))")
    verdict = _serve(cheat, tmp_path, _spec())["double_test"]
    assert not verdict["passed"] and verdict["ename"] == "AssertionError"
    assert "element 0" in verdict["evalue"]


@pytest.mark.parametrize("sigint_ignored", [False, True], ids=["foreground", "background-job"])
def test_verifier_interrupts_an_endless_call_and_fails_it(tmp_path, sigint_ignored):
    """Also when the grader runs as `make test &` or a CI step: SIGINT inherited ignored
    (first seen on a fresh clone run with nohup ... &, where this test hung)."""
    endless = "def double(x):\n    while True:\n        pass\ndef half(x):\n    return x / 2"
    spec = _spec(timeout=2)
    spec["cells"].append({"role": "grade", "index": 3, "grade_id": "half_test",
                          "source": "assert half(4.0) == 2.0"})
    verdicts = _serve(endless, tmp_path, spec, sigint_ignored)
    assert not verdicts["double_test"]["passed"]
    assert verdicts["double_test"]["ename"] == "TimeoutError"
    assert verdicts["half_test"]["passed"], "the interrupted worker must go on answering"


def test_verifier_fails_every_grade_cell_when_the_worker_is_gone():
    link = verify.WorkerLink(None, deadline=float("inf"), broken="never started")
    verdicts = verify.verify(_spec(), link)
    assert verdicts == {"double_test": {"passed": False, "ename": "GraderNoReport",
                                        "evalue": "not graded: never started"}}


def test_student_mutation_of_arguments_is_mirrored():
    sent = (np.array([3.0, 1.0]), [1, 2])
    verify._copy_back(sent, [np.array([0.75, 0.25]), [9]])
    assert sent[0].tolist() == [0.75, 0.25] and sent[1] == [9]


# ---------------------------------------------------------------- journal


def test_journal_states_and_execution_count(tmp_path):
    j = Journal(tmp_path)
    assert j.get("ann") is None
    j.save_result("ann", "d1", {"x": 1}, 3.0)
    assert j.get("ann").state == "executed" and j.load_result("ann") == {"x": 1}
    j.mark("ann", "d1", "written", score=5, max_score=16)
    e = j.get("ann")
    assert (e.state, e.executions, e.score, e.seconds) == ("written", 1, 5, 3.0)
    j.save_result("ann", "d2", {"x": 2}, 1.0)  # resubmitted: a new digest counts afresh
    assert j.get("ann").executions == 1
    j.close()
    assert Journal(tmp_path).get("ann").digest == "d2"  # survives a restart


# ---------------------------------------------------------------- merge and verdicts


def _graded_nb() -> nbformat.NotebookNode:
    grade = nbformat.v4.new_code_cell("assert f() == 1", metadata={"nbgrader": {
        "grade": True, "grade_id": "t", "points": 2, "locked": True, "solution": False,
        "schema_version": 3}})
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("def f(): return 1"),
                                           grade])


def test_merge_takes_only_outputs_from_the_untrusted_notebook():
    mine = _graded_nb()
    forged = _graded_nb()
    forged.cells[1].source = "pass"
    forged.cells[1].metadata.nbgrader["points"] = 1000
    forged.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi")]
    merged, problems = gradebook.merge(mine, nbformat.writes(forged))
    assert problems == []
    assert merged.cells[1].source == "assert f() == 1"
    assert merged.cells[1].metadata.nbgrader["points"] == 2
    assert merged.cells[0].outputs[0].text == "hi"


@pytest.mark.parametrize("executed", [None, "{not json", "EXTRA"])
def test_unusable_results_leave_every_grade_cell_unreported(executed):
    if executed == "EXTRA":
        nb = _graded_nb()
        nb.cells.append(nbformat.v4.new_code_cell("x"))
        executed = nbformat.writes(nb)
    merged, problems = gradebook.merge(_graded_nb(), executed)
    assert merged.cells[1].outputs[0].ename == NOT_RUN_ENAME
    assert problems or executed is None


def test_malformed_outputs_of_a_grade_cell_score_nothing():
    forged = json.loads(nbformat.writes(_graded_nb()))
    forged["cells"][1]["outputs"] = [{"output_type": "stream", "name": 7}]
    merged, _ = gradebook.merge(_graded_nb(), json.dumps(forged))
    assert [o.ename for o in merged.cells[1].outputs] == [NOT_RUN_ENAME]


def test_verdicts_zero_kernel_passes_but_never_add_points():
    from nbgrader.utils import determine_grade

    nb = _graded_nb()
    gradebook.apply_verdicts(nb, {"t": {"passed": True}})
    assert determine_grade(nb.cells[1]) == (2, 2)
    gradebook.apply_verdicts(nb, {"t": {"passed": False, "ename": "AssertionError",
                                        "evalue": "wrong"}})
    assert determine_grade(nb.cells[1]) == (0, 2)
    nb = _graded_nb()
    gradebook.apply_verdicts(nb, {})  # no verdict at all is a failure
    assert determine_grade(nb.cells[1]) == (0, 2)


def test_measured_cells_are_hidden_from_the_worker_and_skipped_by_the_verifier(tmp_path):
    from types import SimpleNamespace

    from grader.classgrade.sanitize import roles

    nb = _graded_nb()
    course = SimpleNamespace(notebook=SimpleNamespace(locked={"t": nb.cells[1].source},
                                                      solution_ids=frozenset(),
                                                      grade_cells={"t": 2.0}),
                             speed_ids=frozenset({"t"}))
    assert [c["role"] for c in roles(course, nb)] == ["student", "speed"]
    link = verify.WorkerLink(None, time.monotonic() + 5, "never started")
    assert verify.verify({"cells": roles(course, nb)}, link) == {}


def test_mark_unreported_skips_cells_that_already_failed():
    nb = _graded_nb()
    nb.cells[1].outputs = [nbformat.v4.new_output("error", ename="E", evalue="", traceback=[])]
    mark_unreported(nb, 0, "why")
    assert len(nb.cells[1].outputs) == 1


# ---------------------------------------------------------------- gradebook transaction


def test_gradebook_transaction_is_all_or_nothing(tmp_path):
    from nbgrader.api import Gradebook, MissingEntry

    from grader.nbgrader_api import venv_on_path

    venv_on_path()  # nbgrader's Gradebook shells out to alembic
    with Gradebook(f"sqlite:///{tmp_path}/gb.db") as gb:
        with gradebook.transaction(gb):
            gb.update_or_create_student("kept")
        with pytest.raises(RuntimeError), gradebook.transaction(gb):
            gb.update_or_create_student("lost")  # commits inside nbgrader...
            raise RuntimeError("crash before the end of the submission")
        gb.db.rollback()
        assert gb.find_student("kept")
        with pytest.raises(MissingEntry):
            gb.find_student("lost")  # ...yet nothing of it reached the database


# ---------------------------------------------------------------- feedback


def test_feedback_redacts_hidden_tests_from_tracebacks_and_prints():
    hidden = "assert_array(normalize(np.array([5.0])), [1.0], call='x')"
    cell = nbformat.v4.new_code_cell(
        f"check()\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS",
        metadata={"nbgrader": {"grade": True, "grade_id": "g", "points": 1}})
    cell.outputs = [
        nbformat.v4.new_output("error", ename="AssertionError", evalue=f"saw {hidden}",
                               traceback=["Cell In[5], line 3", f"----> 3 {hidden}"]),
        nbformat.v4.new_output("stream", name="stdout", text=f"caller: {hidden}\n"),
    ]
    nb, _ = RedactHiddenTests().preprocess(nbformat.v4.new_notebook(cells=[cell]), {})
    text = json.dumps(nb.cells[0].outputs)
    assert hidden not in text and REDACTED in text
    assert nb.cells[0].outputs[0].traceback == [f"AssertionError: saw {REDACTED}"]


# ---------------------------------------------------------------- command line and packaging


def test_cli_has_autograde_and_keeps_the_other_commands():
    from grader.cli import main

    with pytest.raises(SystemExit) as info:
        main(["autograde", "--help"])
    assert info.value.code == 0
    for command in ("build", "list", "grade", "dev-check"):
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0


def test_dask_is_an_optional_cluster_dependency():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(r.startswith("dask[distributed]") for r in
               project["optional-dependencies"]["cluster"])
    assert not any("dask" in r or "distributed" in r for r in project["dependencies"])



# ---------------------------------------------------------------- speed cells and pipeline


def _speed_nb() -> nbformat.NotebookNode:
    nb = _graded_nb()
    nb.cells[1].metadata.nbgrader["grade_id"] = "f_speed"
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                  text="speed is measured outside")]
    return nb


def test_speed_cells_take_the_sandboxed_measurement_or_score_nothing():
    from nbgrader.utils import determine_grade

    shown = nbformat.v4.new_output("display_data", data={"text/plain": "10x"})
    nb = _speed_nb()
    gradebook.apply_verdicts(nb, {}, {"f_speed": [shown]}, frozenset({"f_speed"}))
    assert nb.cells[1].outputs == [shown] and determine_grade(nb.cells[1]) == (2, 2)
    for measured in ({}, {"f_speed": [{"output_type": "stream"}]}, {"f_speed": "x"}):
        nb = _speed_nb()  # the kernel's own "pass" never counts for a speed cell
        gradebook.apply_verdicts(nb, {}, measured, frozenset({"f_speed"}))
        assert determine_grade(nb.cells[1]) == (0, 2)


def test_speed_verdicts_are_read_from_the_last_marker_line_only():
    from grader.classgrade.speedcheck import MARKER, parse

    assert parse(f"noise\n{MARKER}{{\"a\": []}}\n") == {"a": []}
    assert parse("nothing here") is None
    assert parse(f"{MARKER}{{not json") is None
    assert parse(f"{MARKER}[1, 2]") is None


def test_the_course_pipeline_grades_with_the_engine_in_place_of_execute():
    from nbgrader.preprocessors import Execute, IgnorePattern, SaveAutoGrades

    from grader.nbgrader_api import load_config
    from grader.nbgrader_ext import SandboxedGrading

    pipeline = gradebook.autograde_pipeline(load_config(ROOT))
    assert pipeline[0] is SandboxedGrading and Execute not in pipeline
    assert [gradebook._replaced_elsewhere(c) for c in (Execute, SandboxedGrading,
                                                       IgnorePattern, SaveAutoGrades)] == [
        1, 1, 0, 0]


# ---------------------------------------------------------------- scores stay in range


@pytest.mark.parametrize("value", ["-5", "nan", "999", "0.5"])
def test_a_grade_cell_scores_all_or_nothing_whatever_number_it_shows(value):
    """nbgrader's partial credit gives full marks for -5 or nan and raises for 999; the
    engine's verdict alone decides."""
    from nbgrader.utils import determine_grade

    for passed, points in ((True, 2), (False, 0)):
        nb = _graded_nb()
        nb.cells[1].outputs = [nbformat.v4.new_output(
            "execute_result", data={"text/plain": value}, execution_count=1)]
        gradebook.apply_verdicts(nb, {"t": {"passed": passed, "ename": "E", "evalue": "x"}})
        assert determine_grade(nb.cells[1]) == (points, 2)
        assert nb.cells[1].outputs[0].output_type == "display_data"


@pytest.mark.parametrize("score", [999.0, -1.0, float("nan"), 2.5])
def test_a_gradebook_score_out_of_range_is_an_error_never_a_grade(score):
    from types import SimpleNamespace

    from grader.grading import _cell

    grade = SimpleNamespace(name="t", auto_score=score, manual_score=None, max_score=2.0)
    with pytest.raises(gradebook.ScoreOutOfRange, match="t: auto_score"):
        gradebook.check_in_range([grade])
    cell = _cell("t", score, 2.0, "")
    assert (cell.status, cell.points) == ("error", 0.0) and "not counted" in cell.message
    gradebook.check_in_range([SimpleNamespace(name="t", auto_score=2.0, manual_score=0.0,
                                              max_score=2.0)])
    assert _cell("t", 2.0, 2.0, "").status == "passed"


def test_cells_after_the_learners_process_died_name_the_cause():
    nb = _graded_nb()
    from types import SimpleNamespace

    from grader.classgrade.sanitize import roles

    course = SimpleNamespace(notebook=SimpleNamespace(locked={"t": nb.cells[1].source},
                                                      solution_ids=frozenset(),
                                                      grade_cells={"t": 2.0}),
                             speed_ids=frozenset())
    link = verify.WorkerLink(None, time.monotonic() + 5, "the student's process exited")
    outputs: dict = {}
    verdict = verify.verify({"cells": roles(course, nb)}, link, outputs)["t"]
    assert verdict["passed"] is False and verdict["ename"] == "GraderNoReport"
    assert "the student's process exited" in verdict["evalue"]
    assert outputs["1"][0]["ename"] == "GraderNoReport"


def test_the_verifier_never_builds_native_code(monkeypatch, tmp_path):
    from grader.native import mojo, rust

    monkeypatch.setenv(verify.VERIFIER_ENV, "1")
    with pytest.raises(RuntimeError, match="never built by the verifier"):
        rust.build_crate(tmp_path)
    with pytest.raises(RuntimeError, match="never built by the verifier"):
        mojo.build(tmp_path / "x.mojo")


def test_per_submission_processes_skip_jsonschemas_slow_import():
    """rfc3987_syntax builds ~35 parsers at import (~3 s of CPU); every sandboxed process of
    every submission paid it once (jsonschema#1428). None of them may import it."""
    code = ("import sys\nimport grader.classgrade.speedcheck\n"
            "import grader.classgrade.worker, grader.classgrade.verify, grader.speed.worker\n"
            "print(sys.modules.get('rfc3987_syntax', 'absent'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out in ("None", "absent"), out


def test_grade_says_plainly_when_the_learners_code_runs_without_bubblewrap(monkeypatch):
    from grader.grading import GradeResult, _sandbox_kind

    monkeypatch.setenv("GRADER_SANDBOX_KIND", "rlimits-only")
    kind = _sandbox_kind()
    assert kind != "bubblewrap" and "bubblewrap deliberately not used" in kind
    text = GradeResult("a", "n.ipynb", 0, 1, sandbox=kind).as_text()
    assert text.splitlines()[1].startswith("  WARNING: ") and "rlimits-only" in text
    assert "WARNING" not in GradeResult("a", "n.ipynb", 0, 1, sandbox="bubblewrap").as_text()
