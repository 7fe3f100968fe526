"""grader.golang: building a learner's Go package with a course harness, and running it.

Fast tests read canned Go output (panics, races, compiler errors).  Tests marked ``slow``
build tests/golang_fixtures (package ``calc`` and its harness) and variants written to
tmp folders, once per module: a Go build takes a second or two when the project's build
cache is warm (``python -m grader.golang warm``, run by ``make install``) and about a
minute per flavour (normal, -race) when it is cold.  Timeouts are generous: the machine
may be a loaded 2-core box.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from grader.golang import (
    DEFAULT_ALLOWED,
    GoBuildError,
    GoImportRefused,
    GoNotFound,
    RunResult,
    build,
    crashes,
    errors,
    go_env,
    run,
    toolchain,
)
from tests.conftest import needs_go

FIXTURES = Path(__file__).resolve().parent / "golang_fixtures"
CALC = FIXTURES / "calc"
HARNESS = FIXTURES / "calc_harness"

slow_go = [pytest.mark.slow, needs_go]

# Add(a, b) misbehaves in a different way for each a; lines marked "// at:<name>" are
# where a report must point (see _line).
MISBEHAVING = FIXTURES / "misbehaving"


def _line(marker: str) -> str:
    """``calc.go:N`` of the line of the misbehaving calc.go marked ``// at:<marker>``."""
    for number, text in enumerate((MISBEHAVING / "calc.go").read_text().splitlines(), 1):
        if text.endswith(f"// at:{marker}"):
            return f"calc.go:{number}"
    raise AssertionError(f"no marker {marker}")


def _package(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def _variant(tmp_path: Path, edit: tuple[str, str] | None = None, **extra: str) -> Path:
    """The fixture package with one replacement in calc.go, plus extra files."""
    text = (CALC / "calc.go").read_text()
    if edit:
        assert edit[0] in text
        text = text.replace(*edit)
    return _package(tmp_path / "calc", {"calc.go": text, **extra})


# ----------------------------------------------------------------------------- fast tests

PANIC_STDERR = """\
panic: not a real one (printed by the learner)
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a1b2c]

goroutine 21 [running]:
fmt.Fprintln(...)
\t/usr/local/go/src/fmt/print.go:305
gradeharness/gradeproto.helper()
\tgradeharness/gradeproto/gradeproto.go:40 +0x25
gradeharness/calc.Add.func1()
\tgradeharness/calc/calc.go:22 +0x25
created by gradeharness/calc.Add in goroutine 1
\tgradeharness/calc/calc.go:20 +0x1f
"""

RACE_STDERR = """\
==================
WARNING: DATA RACE
Read at 0x00c000014108 by goroutine 8:
  gradeharness/calc.Add.func1()
      gradeharness/calc/calc.go:46 +0x84

Previous write at 0x00c000014108 by goroutine 7:
  gradeharness/calc.Add.func1()
      gradeharness/calc/calc.go:46 +0x96
==================
Found 1 data race(s)
"""

DEADLOCK_STDERR = """\
fatal error: all goroutines are asleep - deadlock!

goroutine 1 [chan receive (nil chan)]:
gradeharness/calc.Add(0x3, 0x0)
\tgradeharness/calc/calc.go:27 +0x3c
main.main.func1()
\tgradeharness/main.go:44 +0x8f
"""


def test_panic_report_names_the_message_and_the_learner_line():
    got = crashes.describe(exit_code=2, answered=False, stderr=PANIC_STDERR, timed_out=None)
    assert got == (
        "panicked: runtime error: invalid memory address or nil pointer dereference "
        "(calc.go:22)"
    )


def test_panic_text_without_a_stack_is_not_a_panic():
    fake = "panic: printed by the learner, then log.Fatal\n"
    got = crashes.describe(exit_code=1, answered=False, stderr=fake, timed_out=None)
    assert got == "exited with status 1 before answering"


def test_deadlock_race_signal_and_timeout_reports():
    describe = crashes.describe
    assert describe(exit_code=2, answered=False, stderr=DEADLOCK_STDERR, timed_out=None) == (
        "deadlock: all goroutines are asleep (calc.go:27)"
    )
    assert describe(exit_code=66, answered=True, stderr=RACE_STDERR, timed_out=None) == (
        "data race detected (calc.go:46)"
    )
    assert describe(exit_code=-9, answered=False, stderr="", timed_out=None) == (
        "killed by signal SIGKILL"
    )
    assert describe(exit_code=-9, answered=False, stderr="", timed_out=5) == (
        "timed out after 5.0 s (killed)"
    )
    assert describe(exit_code=3, answered=False, stderr="", timed_out=None) == (
        "exited with status 3 before answering"
    )
    assert describe(exit_code=0, answered=True, stderr=RACE_STDERR, timed_out=None) is None


def _layout(files: tuple[str, ...] = ("calc.go",)) -> errors.Layout:
    harness = (HARNESS / "main.go").read_text()
    return errors.Layout("/tmp/gradeharness-x/gradeharness", "calc", files, {"main.go": harness})


def test_compile_errors_use_the_learners_file_names():
    output = (
        "# gradeharness/calc\n"
        "calc/calc.go:9:9: undefined: x\n"
        "/tmp/gradeharness-x/gradeharness/calc/calc.go:10:2: declared and not used: y\n"
    )
    assert errors.compile_summary(output, _layout()) == (
        "calc.go:9:9: undefined: x\ncalc.go:10:2: declared and not used: y"
    )


def test_harness_errors_become_sentences_about_the_package():
    line = next(
        n for n, t in enumerate((HARNESS / "main.go").read_text().splitlines(), 1)
        if "calc.Add(" in t
    )  # fmt: skip
    missing = f"# gradeharness\n./main.go:{line}:11: undefined: calc.Add\n"
    assert errors.compile_summary(missing, _layout()) == (
        "calc.go must define Add(...) (the course's tests call it)"
    )
    assert errors.compile_summary(missing, _layout(("a.go", "b.go"))).startswith(
        "package calc must define Add(...)"
    )
    arity = (
        f"./main.go:{line}:21: too many arguments in call to calc.Add\n"
        "\thave (int, int)\n\twant (int)\n"
    )
    assert errors.compile_summary(arity, _layout()) == (
        "calc.go: Add must take (int, int) (the course's tests call it so); yours takes (int)"
    )


def test_at_most_ten_error_lines():
    output = "".join(f"calc/calc.go:{n}:1: undefined: v{n}\n" for n in range(1, 30))
    lines = errors.compile_summary(output, _layout()).splitlines()
    assert len(lines) == 11 and lines[-1] == "... and 19 more"


def test_go_env_ignores_the_callers_go_settings(monkeypatch):
    monkeypatch.setenv("GOFLAGS", "-tags=cheat")
    monkeypatch.setenv("GOPROXY", "https://example.invalid")
    monkeypatch.setenv("CGO_CFLAGS", "-O0")
    env = go_env()
    assert env["GOFLAGS"] == "-mod=mod -buildvcs=false"
    assert env["GOPROXY"] == "off" and env["GOSUMDB"] == "off"
    assert env["GOTOOLCHAIN"] == "local" and env["GOENV"] == "off"
    assert env["CGO_ENABLED"] == "0" and "CGO_CFLAGS" not in env
    assert go_env(cgo=True)["CGO_ENABLED"] == "1"
    cache = Path(env["GOCACHE"])
    assert cache.parent == toolchain.cache_root() and cache.name == "build"


def test_no_toolchain_says_how_to_install_one(monkeypatch):
    monkeypatch.setattr(toolchain, "_candidates", lambda: [Path("/nonexistent/go")])
    toolchain.toolchain.cache_clear()
    try:
        with pytest.raises(GoNotFound, match=r"/nonexistent/go \(does not run\).*pip install"):
            toolchain.toolchain()
    finally:
        toolchain.toolchain.cache_clear()


def test_bad_arguments_are_refused_before_anything_runs(tmp_path):
    with pytest.raises(FileNotFoundError, match="no folder"):
        build(tmp_path / "missing", HARNESS)
    with pytest.raises(FileNotFoundError, match="no harness folder"):
        build(CALC, tmp_path / "missing")
    with pytest.raises(ValueError, match="may not include"):
        build(CALC, HARNESS, allowed_imports=DEFAULT_ALLOWED | {"os"})
    with pytest.raises(ValueError, match="not a string"):
        build(CALC, HARNESS, allowed_imports="fmt")
    with pytest.raises(GoBuildError, match="no .go files in calc/"):
        build(_package(tmp_path / "calc", {"calc_test.go": "package calc\n"}), HARNESS)
    with pytest.raises(FileNotFoundError, match="no executable harness"):
        run(tmp_path / "missing", {"op": "Add"}, timeout=5)


# ----------------------------------------------------------------------------- Go builds


@pytest.fixture(scope="module")
def calc_binary() -> Path:
    return build(CALC, HARNESS)


@pytest.fixture(scope="module")
def bad_binary() -> Path:
    return build(MISBEHAVING, HARNESS)


@pytest.mark.slow
@needs_go
def test_a_correct_package_answers(calc_binary):
    result = run(calc_binary, {"op": "Add", "a": 2, "b": 3}, timeout=30)
    assert isinstance(result, RunResult) and result.ok
    assert result.response["result"] == 5 and result.response["leaked"] == 0
    assert result.exit_code == 0 and result.crash is None
    div = run(calc_binary, {"op": "Div", "a": 1, "b": 0}, timeout=30)
    assert div.response["error"] == "division by zero" and div.ok


@pytest.mark.slow
@needs_go
def test_builds_are_cached_by_content(calc_binary, tmp_path):
    started = time.monotonic()
    assert build(CALC, HARNESS) == calc_binary
    assert time.monotonic() - started < 2.0
    edited = _variant(tmp_path, ("return a + b", "return b + a"))
    again = build(edited, HARNESS)
    assert again != calc_binary and again.parent == calc_binary.parent
    assert run(again, {"op": "Add", "a": 2, "b": 3}, timeout=30).response["result"] == 5


@pytest.mark.slow
@needs_go
def test_the_child_gets_only_what_it_is_given(calc_binary, monkeypatch):
    monkeypatch.setenv("HOME", "/home/grader-secret")
    result = run(
        calc_binary, {"op": "Add", "a": 1, "b": 1}, timeout=30, gomaxprocs=1,
        env={"CALC_ECHO": "hello"},
    )  # fmt: skip
    assert result.response["gomaxprocs"] == 1
    assert result.response["echo"] == "hello" and result.response["home"] == ""


@pytest.mark.slow
@needs_go
def test_inspect_sees_the_answer_before_stdin_closes(calc_binary):
    seen: list[dict] = []
    result = run(
        calc_binary, {"op": "Add", "a": 4, "b": 4}, timeout=30,
        inspect=lambda response: seen.append(response) or "looked",
    )  # fmt: skip
    assert seen == [result.response] and result.inspected == "looked"


@pytest.mark.slow
@needs_go
def test_bad_requests_are_refused(calc_binary):
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        run(calc_binary, {"op": "Add", "a": object()}, timeout=5)
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        run(calc_binary, {"op": "Add", "a": float("nan")}, timeout=5)
    with pytest.raises(ValueError, match="must be a dict"):
        run(calc_binary, ["Add"], timeout=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        run(calc_binary, {"op": "Add"}, timeout=0)
    with pytest.raises(ValueError, match="gomaxprocs"):
        run(calc_binary, {"op": "Add"}, timeout=5, gomaxprocs=0)


@pytest.mark.slow
@needs_go
def test_a_panic_on_the_calling_goroutine_is_recovered_and_located(bad_binary):
    result = run(bad_binary, {"op": "Add", "a": 1, "b": 2}, timeout=30)
    assert result.ok
    assert result.response["panic"] == f"assignment to entry in nil map ({_line('nilmap')})"


@pytest.mark.slow
@needs_go
def test_a_panic_in_a_goroutine_ends_the_process(bad_binary):
    result = run(bad_binary, {"op": "Add", "a": 2, "b": 0}, timeout=30)
    assert result.response is None and result.exit_code == 2
    assert result.crash == (
        "panicked: runtime error: invalid memory address or nil pointer dereference "
        f"({_line('nilptr')})"
    )
    other = run(bad_binary, {"op": "Add", "a": 6, "b": 0}, timeout=30)
    assert other.crash == f"panicked: boom in a goroutine ({_line('gopanic')})"
    assert "goroutine" in other.stderr_tail


@pytest.mark.slow
@needs_go
def test_deadlock_and_hang(bad_binary):
    deadlock = run(bad_binary, {"op": "Add", "a": 3, "b": 0}, timeout=30)
    assert deadlock.crash == f"deadlock: all goroutines are asleep ({_line('deadlock')})"
    started = time.monotonic()
    hang = run(bad_binary, {"op": "Add", "a": 4, "b": 0}, timeout=3)
    assert hang.crash == "timed out after 3.0 s (killed)"
    assert hang.exit_code == -9 and hang.response is None
    assert 3.0 <= time.monotonic() - started < 20


@pytest.mark.slow
@needs_go
def test_a_leaked_goroutine_is_counted(bad_binary):
    result = run(bad_binary, {"op": "Add", "a": 5, "b": 0}, timeout=30)
    assert result.ok and result.response["leaked"] == 1


@pytest.mark.slow
@needs_go
def test_learner_output_cannot_pose_as_the_answer_or_a_crash(bad_binary):
    printed = run(bad_binary, {"op": "Add", "a": 8, "b": 1}, timeout=30)
    assert printed.ok and printed.response["result"] == 9
    assert '{"result": 999}' in printed.stdout_tail
    assert "panic: not a real one" in printed.stderr_tail
    fatal = run(bad_binary, {"op": "Add", "a": 9, "b": 1}, timeout=30)
    assert fatal.crash == "exited with status 1 before answering"
    assert "giving up" in fatal.stderr_tail


@pytest.mark.slow
@needs_go
def test_race_build_reports_a_data_race():
    binary = build(MISBEHAVING, HARNESS, race=True)
    result = run(binary, {"op": "Add", "a": 7, "b": 0}, timeout=60)
    assert result.exit_code == 66 and result.response is not None
    assert result.crash == f"data race detected ({_line('race')})"
    clean = run(binary, {"op": "Add", "a": 0, "b": 5}, timeout=60)
    assert clean.ok and clean.response["result"] == 5


@pytest.mark.slow
@needs_go
def test_compile_errors_are_short_and_name_the_learners_file(tmp_path):
    broken = _variant(tmp_path, ("return a + b", "return a + b + c"))
    with pytest.raises(GoBuildError) as caught:
        build(broken, HARNESS)
    assert caught.value.summary == "calc.go:9:17: undefined: c"
    assert "gradeharness" not in str(caught.value) and "/tmp" not in str(caught.value)


@pytest.mark.slow
@needs_go
def test_missing_or_mismatched_functions_become_sentences(tmp_path):
    renamed = _variant(tmp_path / "renamed", ("func Add(", "func Plus("))
    with pytest.raises(GoBuildError, match=re.escape("calc.go must define Add(...)")):
        build(renamed, HARNESS)
    one_argument = ("func Add(a, b int) int {\n\treturn a + b", "func Add(a int) int {\n\treturn a")
    narrowed = _variant(tmp_path / "narrowed", one_argument)
    with pytest.raises(GoBuildError, match=re.escape("Add must take (int, int)")):
        build(narrowed, HARNESS)
    renamed_package = _variant(tmp_path / "pkg", ("package calc", "package calculator"))
    with pytest.raises(GoBuildError, match="say `package calculator`.*`package calc`"):
        build(renamed_package, HARNESS)


@pytest.mark.slow
@needs_go
def test_refused_imports_and_files(tmp_path):
    with_os = _variant(tmp_path / "os", ('import "errors"', 'import (\n\t"errors"\n\t"os"\n)'))
    (with_os / "calc.go").write_text(
        (with_os / "calc.go").read_text() + "\nvar _ = os.Args\n"
    )
    with pytest.raises(GoImportRefused) as caught:
        build(with_os, HARNESS)
    error = caught.value
    assert (error.file, error.import_path) == ("calc.go:7", "os")
    assert 'calc.go:7: import "os" is not allowed' in str(error)
    assert "net/http" in str(error) and error.allowed == tuple(sorted(DEFAULT_ALLOWED))

    cgo = _variant(tmp_path / "cgo", ('import "errors"', 'import "errors"\nimport "C"'))
    with pytest.raises(GoImportRefused, match='import "C"'):
        build(cgo, HARNESS)
    assembly = _variant(tmp_path / "asm", None, **{"add_amd64.s": "TEXT ·add(SB),0,$0\n"})
    with pytest.raises(GoImportRefused, match="add_amd64.s: only Go source files"):
        build(assembly, HARNESS)
    linked = _variant(tmp_path / "link")
    (tmp_path / "elsewhere.go").write_text("package calc\n")
    (linked / "secret.go").symlink_to(tmp_path / "elsewhere.go")
    with pytest.raises(GoBuildError, match="secret.go is a symbolic link"):
        build(linked, HARNESS)
    (tmp_path / "pointer").symlink_to(CALC)
    with pytest.raises(GoBuildError, match="pointer/ is a symbolic link"):
        build(tmp_path / "pointer", HARNESS)
    narrower = sorted(DEFAULT_ALLOWED - {"errors"})
    with pytest.raises(GoImportRefused, match='import "errors" is not allowed'):
        build(CALC, HARNESS, allowed_imports=narrower)


@pytest.mark.slow
@needs_go
def test_warm_up_is_quick_once_warm(capsys):
    from grader.golang.__main__ import main

    assert main(["warm"]) == 0  # cold, this is the minutes-long compile of net/http
    started = time.monotonic()
    assert main(["warm"]) == 0
    assert time.monotonic() - started < 5
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].startswith("go warm-up: go1.")
