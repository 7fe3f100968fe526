"""Chapter 05 graded outside the learner's kernel (the trust rule for native code).

* Correctness cells: the verifier's ``build()`` builds the crate in the sandboxed worker and
  calls it by reference (grader/classgrade/remote.py, codec references).
* Allocation cells: heap allocations counted at the C library in a fresh process that loads
  only the built crate (grader/native/allocations.py), every call on fresh inputs.

Cheats that beat the crate's own counter in a kernel (cloning through ``std::alloc::System``,
cloning only on the first call per table, a notebook that patches grader.native.testing)
must lose the allocation points; the model solution and the golden alternative keep them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader.classgrade import codec, remote, verify
from grader.grading import grade_notebook
from grader.metadata import load_assignment
from tests.conftest import GOLDEN, ROOT
from tests.test_rust_clones import by_id, make_rust_submission, needs_rust

A = "05_rust_clones"
SOLUTION = ROOT / "solutions" / A

# ---------------------------------------------------------------- codec references (fast)


def test_references_cross_as_numbers_and_decode_only_where_asked():
    obj = object()
    sent = codec.encode([obj, 1], refs=lambda value: 7 if value is obj else None)
    assert sent == {"$list": [{"$ref": [7, "builtins.object"]}, 1]}
    assert isinstance(codec.decode(sent)[0], codec.Opaque)  # no refs callback: inert
    assert codec.decode(sent, refs=lambda h, name: ("proxy", h, name))[0] == \
        ("proxy", 7, "builtins.object")
    with pytest.raises(codec.ProtocolError):
        codec.decode({"$ref": ["7", "x"]}, refs=lambda h, name: h)


def test_strided_views_and_paths_keep_their_shape_and_panics_their_name():
    data = np.arange(30.0)[::3]
    back = codec.decode(json.loads(json.dumps(codec.encode(data))))
    assert not back.flags.c_contiguous and back.strides == data.strides
    np.testing.assert_array_equal(back, data)
    assert codec.decode(codec.encode(Path("sum_array.mojo"))) == Path("sum_array.mojo")
    panic = codec.decode_exception({"types": ["PanicException", "BaseException"],
                                    "message": "not yet implemented"})
    assert type(panic).__name__ == "PanicException" and not isinstance(panic, Exception)
    with pytest.raises(codec.ProtocolError):
        codec.decode({"$strided": [codec._npy(np.zeros(3)), 10**9]})


def test_a_remote_object_answers_dunder_probes_locally():
    proxy = remote.RemoteObject(1, "builtins.module")
    assert not hasattr(proxy, "__array__") and not hasattr(proxy, "_repr_html_")
    assert bool(proxy) and "sandboxed worker" in repr(proxy)
    with pytest.raises(AttributeError):
        proxy.x = 1


def test_allocation_cells_are_measured_and_chapter_05_has_no_kernel_only_cell():
    assignment = load_assignment(SOLUTION)
    measured = {s["grade_id"]: kind for _, kind, s in assignment.measured()}
    assert {g: measured.get(g) for g in ("get_user_name_allocations",
                                         "build_report_allocations", "mean_var_no_copy")} == \
        dict.fromkeys(("get_user_name_allocations", "build_report_allocations",
                       "mean_var_no_copy"), "allocations")
    simd = load_assignment(ROOT / "solutions" / "04_simd")
    assert "mojo_sum_values" not in simd.measured_ids()  # tested through the verifier


# ---------------------------------------------------------------- helpers (slow)


def _crates(golden: str | None, tmp_path: Path) -> Path:
    """A submission folder (released exercise + golden lib.rs files); its notebook path."""
    return make_rust_submission(golden, tmp_path / "submission")


def _measure(notebook: Path) -> dict[str, list[dict]]:
    from grader.native.allocations import measure

    assignment = load_assignment(SOLUTION)
    return {s["grade_id"]: measure(assignment, e, s, notebook)
            for e, kind, s in assignment.measured() if kind == "allocations"}


def _failure(outputs: list[dict]) -> str | None:
    errors = [o for o in outputs if o.get("output_type") == "error"]
    return f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else None


# ---------------------------------------------------------------- allocations (slow)


@pytest.mark.slow
@needs_rust
@pytest.mark.parametrize("golden", ["solution", "alternative"])
def test_correct_crates_pass_every_allocation_cell(tmp_path, golden):
    for grade_id, outputs in _measure(_crates(golden, tmp_path)).items():
        assert _failure(outputs) is None, (grade_id, outputs)


@pytest.mark.slow
@needs_rust
@pytest.mark.parametrize("golden", ["system_alloc", "first_call_clone"])
def test_cheats_that_fool_the_crates_counter_fail_at_libc(tmp_path, golden):
    """Both pass the kernel's assert_allocations (the crate's own counter, warm-up call
    uncounted), and both fail when every call on a fresh table is counted at libc."""
    from grader.native import testing
    from grader.native.crates import build

    notebook = _crates(golden, tmp_path)
    users = build(notebook.parent / "crates" / "users", raise_error=True, quiet=True)
    table = users.UserTable([(i, f"user-{i}") for i in range(1000)])
    count = testing.assert_allocations(users, users.get_user_name, table, 500, max_events=0,
                                       expected="user-500", call="lookup")
    assert count.events == 0  # what a kernel would have scored: full marks
    failure = _failure(_measure(notebook)["get_user_name_allocations"])
    assert failure is not None and failure.startswith(
        "AllocationFailure: get_user_name(<UserTable of 1,000 users>, 500): counted 1,0"), failure


# ---------------------------------------------------------------- verifier with remote builds


def _verify_remote(workdir: Path, student: list[str], grade_ids: list[str]) -> dict:
    """The real worker (unsandboxed: it runs our golden code) driven by verify() with
    GRADER_VERIFIER set, on the source notebook's grade cells (hidden tests included)."""
    source = nbformat.read(str(SOLUTION / "rust_clones.ipynb"), as_version=4)
    trusted = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("grade_id") in grade_ids}
    cells = ["import numpy as np", *student, *[""] * len(grade_ids)]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in cells])
    (workdir / "w.ipynb").write_text(nbformat.writes(nb))
    spec = {"cell_timeout": 600, "cells": [
        {"role": "locked", "index": 0, "grade_id": "setup", "source": "import numpy as np"},
        *({"role": "student", "index": 1 + i} for i in range(len(student))),
        *({"role": "grade", "index": 1 + len(student) + i, "grade_id": g, "source": trusted[g]}
          for i, g in enumerate(grade_ids))]}
    path = str(workdir / "sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    proc = subprocess.Popen([sys.executable, "-m", "grader.classgrade.worker",
                             str(workdir / "w.ipynb"), path], cwd=workdir,
                            env={**{k: v for k, v in os.environ.items()
                                    if k != verify.VERIFIER_ENV},
                                 "NBGRADER_EXECUTION": "autograde"})
    try:
        listener.settimeout(120)
        conn, _ = listener.accept()
        link = verify.WorkerLink(conn, deadline=float("inf"))
        verdicts = verify.verify(spec, link)
        link.close()
        conn.close()
        proc.wait(timeout=60)
    finally:
        proc.kill()
        listener.close()
    return verdicts


CORRECT = ["get_user_name_correct", "build_report_correct", "mean_var_correct"]


@pytest.mark.slow
@needs_rust
@pytest.mark.parametrize("golden, passed", [("solution", [True, True, True]),
                                            ("cheats", [False, True, False]),
                                            (None, [False, False, False]),
                                            ("does_not_compile", [False, False, False])])
def test_correctness_cells_run_in_the_verifier_against_the_worker_build(
        tmp_path, monkeypatch, golden, passed):
    monkeypatch.setenv(verify.VERIFIER_ENV, "1")
    notebook = _crates(golden, tmp_path)
    patch = ("import grader.native.testing as t, grader.testing as g, grader.checking as c\n"
             "c.assert_checks = t.rust_test = g.raises = lambda *a, **k: None\n")
    verdicts = _verify_remote(notebook.parent, [patch], CORRECT)
    assert [verdicts[g]["passed"] for g in CORRECT] == passed, verdicts
    if golden is None:
        assert "todo!() still runs" in verdicts["get_user_name_correct"]["evalue"]
    if golden == "does_not_compile":
        assert "error[E0515]" in verdicts["get_user_name_correct"]["evalue"]
        assert verdicts["get_user_name_correct"]["ename"] == "RustBuildError"


@pytest.mark.slow
@needs_rust
def test_a_notebook_patching_the_grader_in_its_kernel_loses_the_allocation_points(tmp_path):
    """Graded end to end (nbgrader + the sandboxed engine): the AI's cloning lookup, with the
    notebook replacing grader.native.testing's checks in its kernel, as a reviewer saw it
    get full allocation points when those cells were graded in the kernel."""
    notebook = make_rust_submission("solution", tmp_path / "submission")
    shutil.copy(GOLDEN / A / "still_clones" / "users.rs",
                notebook.parent / "crates" / "users" / "src" / "lib.rs")
    nb = nbformat.read(str(notebook), as_version=4)
    patch = nbformat.v4.new_code_cell(
        "import grader.native.testing as _t\n"
        "_t.assert_allocations = lambda *a, **k: None\n"
        "_t.count_allocations = lambda m, f, *a, calls=20: (_t.AllocationCount(0, 0, calls, 0),"
        " f(*a))\n")
    nb.cells.insert(2, patch)
    nbformat.write(nb, str(notebook))
    cells = by_id(grade_notebook(ROOT, A, notebook))
    assert cells["get_user_name_correct"].points == 3, cells["get_user_name_correct"]
    assert cells["get_user_name_allocations"].points == 0
    assert "counted 1,002 heap allocations" in cells["get_user_name_allocations"].message
    for grade_id in ("build_report_allocations", "mean_var_no_copy"):
        assert cells[grade_id].points == cells[grade_id].max_points > 0, cells[grade_id]


@pytest.mark.slow
@needs_rust
def test_a_notebook_faking_the_built_module_gains_no_correctness_points(tmp_path):
    """The unsolved crate, with notebook code that makes every build() in its process return
    a correct pure-Python stand-in. Grade cells call the module built from the submitted
    files in a worker that runs no notebook cell, so the fake is never what they test."""
    notebook = make_rust_submission(None, tmp_path / "submission")
    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(
        "import types, grader.native.crates as _crates\n"
        "class UserTable:\n"
        "    def __init__(self, rows):\n"
        "        self.rows = [(int(i), str(n)) for i, n in rows]\n"
        "def get_user_name(table, wanted):\n"
        "    return next((n for i, n in table.rows if i == wanted), None)\n"
        "_fake = types.ModuleType('users')\n"
        "_fake.UserTable, _fake.get_user_name = UserTable, get_user_name\n"
        "_crates.import_fresh = lambda built: _fake\n"))
    nbformat.write(nb, str(notebook))
    cells = by_id(grade_notebook(ROOT, A, notebook))
    assert cells["get_user_name_correct"].points == 0, cells["get_user_name_correct"]
    assert "todo!() still runs" in cells["get_user_name_correct"].message
