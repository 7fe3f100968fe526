"""grader.snippets.lesson: the runner of lesson 02's Node programs (course/js) and ruff_says.

Each Node run takes a fraction of a second; the one that hangs is killed after 1 s.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from grader.faults import FaultServer
from grader.snippets.lesson import JsRun, js_programs, ruff_findings, ruff_says, run_js

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")


def _program(tmp_path, text: str, name: str = "prog.mjs"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_missing_program_names_the_folder_and_the_programs_in_it() -> None:
    with pytest.raises(FileNotFoundError, match="no program 'nope' in ") as info:
        run_js("nope")
    message = str(info.value)
    assert os.path.join("course", "js") in message
    assert "article_ai" in message and "fixed" in message
    assert "_service" not in message  # a module the programs import, not a program


def test_a_missing_path_names_its_folder(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        run_js(tmp_path / "absent.mjs")


def test_bad_names_and_timeouts_are_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="not a program name"):
        run_js("_service")
    for bad in (0, -1, float("nan"), "5", True):
        with pytest.raises(ValueError, match="timeout must be a positive number"):
            run_js("article_ai", timeout=bad)


def test_the_lesson_programs_are_found() -> None:
    assert {"article_ai", "ai_json", "fixed", "fetch_timeout"} <= set(js_programs())


@needs_node
def test_exit_code_stdout_stderr_and_env_are_captured(tmp_path) -> None:
    path = _program(tmp_path, 'console.log("out", process.argv[2], process.env.LESSON_X);\n'
                              'console.error("oops");\nprocess.exit(3);\n')
    result = run_js(path, 42, env={"LESSON_X": "set"}, timeout=10)
    assert isinstance(result, JsRun)
    assert (result.exit_code, result.timed_out) == (3, False)
    assert result.lines == ["out 42 set"] and result.stderr.strip() == "oops"
    assert result.args == ("42",) and result.program == "prog"
    assert "exit code 3" in str(result) and "oops" in str(result)
    assert "exit code 3" in result._repr_html_()


@needs_node
def test_an_uncaught_error_is_reduced_to_its_source_line_and_message(tmp_path) -> None:
    path = _program(tmp_path, "async function f() { null.x(); }\nawait f();\n")
    result = run_js(path, timeout=10)
    assert result.exit_code == 1
    assert result.error().startswith("TypeError: Cannot read properties of null")
    crash = result.crash()
    assert crash[0].endswith("prog.mjs:1") and crash[-1] == result.error()
    assert not any(line.strip().startswith("at ") for line in crash)  # no stack


@needs_node
def test_a_hanging_program_and_its_child_are_killed_at_the_timeout(tmp_path) -> None:
    path = _program(tmp_path, 'import { spawn } from "node:child_process";\n'
                              "const forever = 'setInterval(() => {}, 1000)';\n"
                              'const child = spawn(process.execPath, ["-e", forever]);\n'
                              "console.log(child.pid);\nsetInterval(() => {}, 1000);\n")
    started = time.monotonic()
    result = run_js(path, timeout=1.0)
    assert time.monotonic() - started < 5
    assert result.timed_out and result.exit_code == -9
    assert 1.0 <= result.seconds < 5
    assert "killed after 1 s" in str(result)
    child = int(result.lines[0])
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the program's child outlived the time limit"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"  # a zombie is dead
    except FileNotFoundError:
        return False


@needs_node
def test_the_article_version_fails_on_its_hallucinated_method() -> None:
    with FaultServer() as server:
        result = run_js("article_ai", server.url("ok_json"), timeout=10)
    assert result.exit_code == 1
    assert result.error() == "TypeError: resp.json_safe is not a function"


def test_ruff_says_what_its_default_rules_find() -> None:
    assert ruff_says("x = 1\n") == "All checks passed!"
    says = ruff_says("import os\n")
    assert ruff_findings(says) == ["snippet.py:1:8: F401 [*] `os` imported but unused"]
    numpy = "import numpy as np\n\nnp.trapz([1.0, 2.0])\n"
    assert ruff_findings(ruff_says(numpy)) == []
    assert "NPY201" in ruff_says(numpy, select="NPY201")


def test_ruff_says_refuses_bad_input() -> None:
    with pytest.raises(TypeError, match="as a string"):
        ruff_says(b"x = 1\n")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="ruff failed"):
        ruff_says("x = 1\n", select="NOTARULE999")


def test_ruff_says_writes_no_color_codes_even_in_a_kernel(monkeypatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # as ipykernel sets it
    monkeypatch.setenv("CLICOLOR_FORCE", "1")
    assert "\x1b[" not in ruff_says("import os\n")


@needs_node
def test_an_errors_cause_is_kept_in_the_crash_lines(tmp_path) -> None:
    path = _program(tmp_path, 'const cause = new Error("connect ECONNREFUSED");\n'
                              'throw new TypeError("fetch failed", { cause });\n')
    result = run_js(path, timeout=10)
    assert result.exit_code == 1 and result.error() == "TypeError: fetch failed"
    assert result.crash()[-1] == "[cause]: Error: connect ECONNREFUSED"
    assert result.first_stderr_line.endswith("prog.mjs:2")
