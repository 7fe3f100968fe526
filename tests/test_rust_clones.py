"""Chapter 05 (Rust clones) end to end: the exercise, its grading and the golden submissions.

Fast tests cover the layout (which files learners edit, what they start from), the build
helper's crate lookup and cache key, and the allocation/panic helpers with stand-in modules.
Tests marked ``slow`` build crates with maturin and grade submissions with nbgrader (the
golden ones in tests/golden/05_rust_clones/, see its README). Builds are cached by source
content (grader/native/crates.py), so each distinct lib.rs is compiled once per machine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType, SimpleNamespace

import nbformat
import pytest

from grader.grading import GradeResult, _copy_learner_files, _messages, grade_notebook
from grader.grading import learner_files as graded_learner_files
from grader.metadata import load_assignment
from grader.native import testing as native_testing
from grader.native.crates import CrateNotFound, locate_crate, source_digest
from grader.sources import learner_version, regions, solution_lines
from tests.conftest import GOLDEN, ROOT

A = "05_rust_clones"
SOLUTION = ROOT / "solutions" / A
EXERCISE = ROOT / "exercises" / A
CRATES = ("users", "report", "stats")
NOTEBOOK = "rust_clones.ipynb"
MAX_SCORE = 18


def _rust_missing() -> str | None:
    if shutil.which("cargo") is None and not (Path.home() / ".cargo" / "bin" / "cargo").exists():
        return "cargo is not installed"
    return None


needs_rust = pytest.mark.skipif(_rust_missing() is not None, reason=str(_rust_missing()))


# ----------------------------------------------------------------------------- submissions


def make_rust_submission(golden: str | None, out: Path) -> Path:
    """A learner's folder: the released exercise with ``golden``'s ``<crate>.rs`` files as
    ``crates/<crate>/src/lib.rs`` ("solution": the model solution's lib.rs files; None: as
    released, unsolved). Returns the notebook to grade."""
    shutil.copytree(EXERCISE, out, ignore=shutil.ignore_patterns("target", "__pycache__",
                                                                  ".ipynb_checkpoints"))
    if golden == "solution":
        replacements = {c: SOLUTION / "crates" / c / "src" / "lib.rs" for c in CRATES}
    elif golden is not None:
        replacements = {p.stem: p for p in sorted((GOLDEN / A / golden).glob("*.rs"))}
        assert replacements, f"golden {golden!r} has no .rs files"
    else:
        replacements = {}
    for crate, source in replacements.items():
        shutil.copy(source, out / "crates" / crate / "src" / "lib.rs")
    return out / NOTEBOOK


def by_id(result: GradeResult) -> dict:
    return {c.grade_id: c for c in result.cells}


def grade_golden(golden: str | None, tmp_path: Path) -> GradeResult:
    return grade_notebook(ROOT, A, make_rust_submission(golden, tmp_path / "submission"))


def cells_of(result: GradeResult, prefix: str) -> list:
    return [c for c in result.cells if c.grade_id.startswith(prefix)]


# ----------------------------------------------------------------------------- fast: layout


def test_learners_edit_exactly_the_lib_rs_files_that_hold_solution_regions():
    with_regions = sorted(
        str(p.relative_to(SOLUTION)) for p in SOLUTION.rglob("*.rs")
        if "target" not in p.parts and any(k == "SOLUTION" for k, *_ in regions(p.read_text()))
    )
    assert with_regions == [f"crates/{c}/src/lib.rs" for c in sorted(CRATES)]
    assert sorted(graded_learner_files(ROOT, A)) == with_regions


@pytest.mark.parametrize("crate", CRATES)
def test_learner_version_starts_from_todo_and_keeps_the_baseline(crate):
    solution = (SOLUTION / "crates" / crate / "src" / "lib.rs").read_text()
    released = (EXERCISE / "crates" / crate / "src" / "lib.rs").read_text()
    assert released == learner_version(solution)
    assert "todo!(" in released
    # In the solution the starter is only comments, so the solution crate compiles as is.
    assert not any(line.lstrip().startswith("todo!(") for line in solution.splitlines())
    for marker in ("// >>> baseline:", "// <<< baseline", "// >>> fixed:", "// <<< fixed"):
        assert marker in released
    assert solution_lines(solution) and not solution_lines(released)
    # The crate root (allocation counter, Python module) has no regions and is the same.
    module = (SOLUTION / "crates" / crate / "src" / "module.rs").read_text()
    assert regions(module) == []
    assert (EXERCISE / "crates" / crate / "src" / "module.rs").read_text() == module
    assert "#[global_allocator]" in module and "#[global_allocator]" not in released


def test_no_solution_line_reaches_the_released_crates():
    from grader import leaks

    assert leaks.scan(ROOT, load_assignment(SOLUTION)) == []
    secret = leaks.secrets(load_assignment(SOLUTION))
    assert any("user_name(&table.get().users, id)" in s for s in secret)  # .rs lines count


def test_speed_settings_are_valid_and_name_their_grade_cells():
    from grader.speedtest import setup_for

    assignment = load_assignment(SOLUTION)
    timed = [e for e in assignment.exercises if e.speed]
    assert [e.name for e in timed] == ["get_user_name", "mean_var"]
    for exercise in timed:
        setup = setup_for(assignment, exercise, None)  # no root: no model build needed here
        assert setup.grade_id == f"{exercise.name}_speed"
        assert setup.spec.threshold >= 2
    assert load_assignment(SOLUTION).exercise("mean_var").speed["size"] == 10_000_000


def test_copy_of_learner_files_takes_only_the_listed_files(tmp_path):
    mine = tmp_path / "mine"
    (mine / "crates" / "users" / "src").mkdir(parents=True)
    (mine / "crates" / "users" / "src" / "lib.rs").write_text("// mine\n")
    (mine / "crates" / "users" / "src" / "module.rs").write_text("// tampered\n")
    (mine / "crates" / "users" / "build.rs").write_text("fn main() {}\n")
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    _copy_learner_files(ROOT, A, mine, submitted)
    copied = sorted(str(p.relative_to(submitted)) for p in submitted.rglob("*") if p.is_file())
    assert copied == ["crates/users/src/lib.rs"]
    assert graded_learner_files(ROOT, "01_vectorization") == []


# ----------------------------------------------------------------------------- fast: build helper


def test_locate_crate_looks_beside_the_notebook(tmp_path):
    (tmp_path / "crates" / "users").mkdir(parents=True)
    (tmp_path / "crates" / "users" / "Cargo.toml").write_text("[package]\nname='users'\n")
    assert locate_crate("users", tmp_path) == (tmp_path / "crates" / "users").resolve()
    assert locate_crate(tmp_path / "crates" / "users") == (tmp_path / "crates" / "users").resolve()
    with pytest.raises(CrateNotFound, match=r"no crate 'userz' beside this notebook: looked for"):
        locate_crate("userz", tmp_path)
    with pytest.raises(CrateNotFound, match="needs a crate name"):
        locate_crate("  ", tmp_path)
    with pytest.raises(TypeError, match=r"build\('users'\)"):
        locate_crate(42, tmp_path)  # type: ignore[arg-type]


def test_build_without_raise_prints_one_line_for_a_missing_crate(tmp_path, capsys):
    from grader.native import build

    assert build("nope", folder=tmp_path) is None
    out = capsys.readouterr()
    assert out.out.startswith("no crate 'nope' beside this notebook") and out.err == ""
    with pytest.raises(CrateNotFound):
        build("nope", folder=tmp_path, raise_error=True)


def test_source_digest_follows_content_not_location(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for copy in (a, b):
        shutil.copytree(SOLUTION / "crates", copy, ignore=shutil.ignore_patterns("target"))
    assert source_digest(a / "users") == source_digest(b / "users")
    (b / "users" / "target").mkdir()
    (b / "users" / "target" / "junk").write_text("build output is not a source")
    assert source_digest(a / "users") == source_digest(b / "users")
    lib = b / "users" / "src" / "lib.rs"
    lib.write_text(lib.read_text() + "\n// edited\n")
    assert source_digest(a / "users") != source_digest(b / "users")
    # A path dependency (the allocation counter) is part of what gets built.
    counter = a / "alloc_counter" / "src" / "lib.rs"
    before = source_digest(a / "users")
    counter.write_text(counter.read_text() + "\n// edited\n")
    assert source_digest(a / "users") != before


# ----------------------------------------------------------------------------- fast: test helpers


class _Counter:
    """A stand-in extension module: ``alloc_totals`` like the crates' own."""

    def __init__(self) -> None:
        self.events = self.size = self.resets = 0

    def alloc_totals(self):
        return self.events, self.size, self.resets


def _module(counter: _Counter) -> ModuleType:
    module = ModuleType("fake_ext")
    module.alloc_totals = counter.alloc_totals  # type: ignore[attr-defined]
    return module


def test_assert_allocations_counts_per_call_and_sees_resets():
    counter = _Counter()
    module = _module(counter)

    def clones(n):
        counter.events += n + 2
        counter.size += 32 * n
        return "ada"

    with pytest.raises(AssertionError) as caught:
        native_testing.assert_allocations(module, clones, 1000, max_events=0, call="lookup(t, 1)",
                                          why="Borrow the table.")
    message = str(caught.value)
    assert message.startswith("lookup(t, 1): counted 1002 Rust heap allocations (32,000 bytes) "
                              "per call; allowed at most 0. Borrow the table.")

    def hides(n):
        clones(n)
        counter.resets += 1  # what alloc_counter::reset() inside the call does to the totals
        return "ada"

    with pytest.raises(AssertionError, match="reset the allocation counter 20 times"):
        native_testing.assert_allocations(module, hides, 10, max_events=0, call="f()")

    def free(_):
        return None

    count = native_testing.assert_allocations(module, free, 1, max_events=0, call="f()")
    assert (count.events, count.bytes, count.resets) == (0, 0, 0)
    with pytest.raises(AssertionError, match=r"returned None; expected 'ada' \(allocations are "
                                             r"only counted for a right answer\)"):
        native_testing.assert_allocations(module, free, 1, max_events=0, call="f()",
                                          expected="ada")
    with pytest.raises(ValueError, match="calls must be a positive int"):
        native_testing.count_allocations(module, free, 1, calls=0)


def test_remembered_counter_survives_a_replaced_attribute():
    counter = _Counter()
    module = _module(counter)
    native_testing.remember_counter(module)
    module.alloc_totals = lambda: (0, 0, 0)  # type: ignore[attr-defined]

    def allocates():
        counter.events += 1

    assert native_testing.count_allocations(module, allocates, calls=4)[0].events == 1


def test_rust_test_turns_panics_into_readable_failures():
    PanicException = type("PanicException", (BaseException,), {})  # as PyO3 defines it

    @native_testing.rust_test
    def unsolved(module):
        raise PanicException("not yet implemented: get_user_name: find the name")

    @native_testing.rust_test
    def crashes(module):
        raise PanicException("index out of bounds: the len is 3 but the index is 7")

    with pytest.raises(AssertionError, match=r"^todo!\(\) still runs: the Rust function in "
                                             r"src/lib.rs is not written yet \(get_user_name"):
        unsolved(object())
    with pytest.raises(AssertionError, match="the Rust code panicked: index out of bounds"):
        crashes(object())
    with pytest.raises(AssertionError, match="the crate is not built"):
        unsolved(None)
    with pytest.raises(KeyboardInterrupt):  # anything else passes through untouched
        native_testing.rust_test(lambda m: (_ for _ in ()).throw(KeyboardInterrupt()))(1)


def test_check_hands_the_tests_the_object_named_in_assignment_toml(monkeypatch):
    from grader.checking import check

    monkeypatch.chdir(EXERCISE)
    report = check("get_user_name", _caller_globals={"get_user_name": object()})
    assert any("No object named 'users'" in note for note in report.notes)
    assert report.results and all(r.reason == "not defined yet" for r in report.results)


def test_extension_candidate_needs_a_compiled_module(tmp_path):
    from grader.native.speed import extension_candidate, speed_candidate

    with pytest.raises(TypeError, match="compiled module"):
        extension_candidate(ModuleType("plain"), SOLUTION / "speed.py", "driver_mean_var", "f")
    with pytest.raises(TypeError, match="the crate is not built"):
        speed_candidate("mean_var", None)
    fake = SimpleNamespace(__file__=str(tmp_path / "x.so"), __name__="x")
    with pytest.raises(TypeError):
        extension_candidate(fake, SOLUTION / "speed.py", "driver_mean_var", "f")  # type: ignore


def test_speed_driver_reports_made_up_names_as_wrong_answers():
    """A lookup that returns a name no row has ("ada", an int, "05") must come out as a wrong
    answer in the speed engine, not as a ValueError inside the trusted driver."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("speed05", SOLUTION / "speed.py")
    speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(speed)  # type: ignore[union-attr]
    answers = {0: "0", 1: "ada", 2: 2, 3: "03", 4: None, 5: "٣", 6: "6"}
    fake = SimpleNamespace(UserTable=lambda rows: rows,
                           lookup=lambda table, uid: answers[uid])
    run = speed.driver_get_user_name(fake, "lookup")
    import numpy as np

    got = run([(0, "0")], np.arange(7, dtype=np.uint64))
    assert got.tolist() == [0, -2, -2, -2, -1, -2, 6]


# ----------------------------------------------------------------------------- slow: builds


@pytest.mark.slow
@needs_rust
def test_build_prints_rustc_errors_and_returns_none(tmp_path, capsys):
    from grader.native import build
    from grader.native.rust import RustBuildError

    folder = make_rust_submission("does_not_compile", tmp_path / "sub").parent
    assert build("users", folder=folder) is None
    first = capsys.readouterr().out
    assert "Rust build of crate 'users' failed" in first
    assert re.search(r"src/lib\.rs:\d+:\d+: error\[E0515\]: cannot return value referencing "
                     r"local variable `users`", first)
    assert "Traceback" not in first and "Compiling" not in first and "\x1b" not in first
    assert len(first.splitlines()) < 40
    started = time.perf_counter()
    assert build("users", folder=folder) is None  # the failure is remembered: no cargo run
    assert time.perf_counter() - started < 5
    assert capsys.readouterr().out == first
    with pytest.raises(RustBuildError) as caught:
        build("users", folder=folder, raise_error=True)
    assert caught.value.diagnostics[0].code == "E0515"


@pytest.mark.slow
@needs_rust
def test_unsolved_functions_raise_python_exceptions_and_leave_the_kernel_alive(tmp_path):
    """todo!() is a PanicException in Python; the script prints its last line after it."""
    script = """
import numpy as np
from grader.native import build
from grader.checking import check
users = build("users", quiet=True); report = build("report", quiet=True)
stats = build("stats", quiet=True)
calls = [lambda: users.get_user_name(users.UserTable([(1, "ada")]), 1),
         lambda: report.build_report([("ada", 1.0)]), lambda: stats.mean_var(np.ones(3))]
for call in calls:
    try:
        call()
    except BaseException as exc:
        print(type(exc).__name__, "|", exc)
print("baseline still works:", users.get_user_name_clone(users.UserTable([(1, "ada")]), 1))
table = check("build_report", report)
print("check rows:", [r.reason for r in table.results][0])
"""
    env = dict(os.environ, RUST_BACKTRACE="1")
    out = subprocess.run([sys.executable, "-c", script], cwd=EXERCISE, capture_output=True,
                         text=True, timeout=900, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    panics = [line for line in lines if line.startswith("PanicException | not yet implemented")]
    assert len(panics) == 3, out.stdout
    assert "baseline still works: ada" in lines
    assert any(line.startswith("check rows: todo!() still runs") for line in lines)
    # The crates' panic hook prints one short line per panic, never a backtrace (even with
    # RUST_BACKTRACE set, as it is on some machines).
    assert "stack backtrace" not in out.stderr and out.stderr.count("Rust panicked at") >= 3


# ----------------------------------------------------------------------------- slow: goldens


@pytest.mark.slow
@needs_rust
def test_still_clones_fails_allocations_and_speed_in_stock_nbgrader(tmp_path):
    """Stock `nbgrader autograde`: the submission's own lib.rs is what gets built and graded,
    while a tampered crate root (no counting allocator) is replaced by the course's copy."""
    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions", course / "solutions",
                    ignore=shutil.ignore_patterns("target", "__pycache__"))
    shutil.copy(ROOT / "nbgrader_config.py", course)
    submitted = course / "submitted" / "alice" / A
    make_rust_submission("still_clones", submitted)
    tampered = submitted / "crates" / "users" / "src" / "module.rs"
    tampered.write_text(tampered.read_text().replace(
        "#[global_allocator]\nstatic ALLOC", "static ALLOC"))
    bindir = Path(sys.executable).parent
    # nbgrader shells out to `alembic` and starts kernels by name: both from this venv.
    env = dict(os.environ, PATH=os.pathsep.join([str(bindir), os.environ.get("PATH", "")]))
    for step in (["generate_assignment", A], ["autograde", A]):
        run = subprocess.run([str(bindir / "nbgrader"), *step], cwd=course, env=env,
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    graded = course / "autograded" / "alice" / A
    for crate in CRATES:
        golden = (GOLDEN / A / "still_clones" / f"{crate}.rs").read_text()
        assert (graded / "crates" / crate / "src" / "lib.rs").read_text() == golden
        source = (SOLUTION / "crates" / crate / "src" / "module.rs").read_text()
        assert (graded / "crates" / crate / "src" / "module.rs").read_text() == source

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db") as gb:
        notebook = gb.find_submission_notebook(Path(NOTEBOOK).stem, A, "alice")
        scores = {g.name: g.score for g in notebook.grades}
    messages = _messages(graded / NOTEBOOK)
    assert scores["get_user_name_correct"] == 3  # the AI lookup is correct, only wasteful
    for grade_id in ("get_user_name_allocations", "get_user_name_speed",
                     "build_report_allocations", "mean_var_no_copy", "mean_var_speed"):
        assert scores[grade_id] == 0, (grade_id, messages[grade_id])
    # Allocation cells are counted at libc in a fresh process (grader/native/allocations.py).
    assert re.search(r"get_user_name\(<UserTable of 1,000 users>, 500\): counted 1,002 heap "
                     r"allocations \([\d,]+ bytes\) on call 1 of 3; allowed at most 0",
                     messages["get_user_name_allocations"])
    assert re.search(r"build_report\(<1,000 rows>\): counted [\d,]+ heap allocations",
                     messages["build_report_allocations"])
    assert re.search(r"mean_var\(<1,000,000 float64>\): counted 3 heap allocations "
                     r"\(24,000,000 bytes\) on call 1 of 3; allowed at most 1 \(256 bytes\)",
                     messages["mean_var_no_copy"])
    assert "median speedup" in messages["get_user_name_speed"]
    assert "median speedup" in messages["mean_var_speed"]


@pytest.mark.slow
@needs_rust
def test_cheats_score_zero_on_what_they_cheat(tmp_path):
    cells = by_id(grade_golden("cheats", tmp_path))
    # get_user_name answers the public tests' ids from memory: hidden tests, the checked
    # answer of the allocation test and the speed engine's answer check all catch it.
    for grade_id in ("get_user_name_correct", "get_user_name_allocations",
                     "get_user_name_speed"):
        assert cells[grade_id].points == 0, cells[grade_id]
    assert re.search(r"get_user_name\(<UserTable of 1,000 users>, 500\) returned None; "
                     r"expected 'person number \d+'", cells["get_user_name_allocations"].message)
    assert "wrong answer" in cells["get_user_name_speed"].message
    # build_report is right but allocates per row and resets the crate's counter to hide it:
    # counted at libc in a fresh process, the reset changes nothing.
    assert cells["build_report_correct"].points == 3, cells["build_report_correct"]
    allocations = cells["build_report_allocations"]
    assert allocations.points == 0
    assert re.search(r"build_report\(<1,000 rows>\): counted [\d,]+ heap allocations",
                     allocations.message), allocations.message


@pytest.mark.slow
@needs_rust
def test_model_solution_in_the_released_notebook_scores_full_marks(tmp_path):
    result = grade_golden("solution", tmp_path)
    assert result.max_score == MAX_SCORE
    assert result.score == MAX_SCORE, result.as_text()


@pytest.mark.slow
@needs_rust
def test_unsolved_exercise_scores_zero_with_readable_messages():
    result = grade_notebook(ROOT, A, EXERCISE / NOTEBOOK)
    assert result.score == 0 and result.max_score == MAX_SCORE, result.as_text()
    for cell in result.cells:
        assert cell.status == "failed"
        assert "todo!() still runs" in cell.message or (
            "PanicException: not yet implemented" in cell.message), cell
        assert "Traceback" not in cell.message


@pytest.mark.slow
@needs_rust
def test_alternative_correct_solution_scores_full_marks(tmp_path):
    result = grade_golden("alternative", tmp_path)
    assert result.score == MAX_SCORE, result.as_text()


@pytest.mark.slow
@needs_rust
def test_code_that_does_not_compile_scores_zero_and_shows_rustc(tmp_path):
    result = grade_golden("does_not_compile", tmp_path)
    assert result.score == 0, result.as_text()
    codes = {"get_user_name": "E0515", "build_report": "E0369", "mean_var": "E0599"}
    for prefix, code in codes.items():
        for cell in cells_of(result, prefix):
            assert f"error[{code}]" in cell.message, cell
            assert "Rust build of crate" in cell.message and "src/lib.rs:" in cell.message
            assert "Compiling" not in cell.message and "Traceback" not in cell.message


def test_golden_folders_match_their_readme():
    readme = (GOLDEN / A / "README.md").read_text()
    folders = sorted(p.name for p in (GOLDEN / A).iterdir() if p.is_dir())
    assert folders == ["alternative", "cheats", "does_not_compile", "first_call_clone",
                       "still_clones", "system_alloc"]
    for name in folders:
        assert f"`{name}/`" in readme
    nb = nbformat.read(str(EXERCISE / NOTEBOOK), as_version=4)
    assert any("build(\"users\")" in c.source for c in nb.cells)
