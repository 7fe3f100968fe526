"""grader.golang.lesson: the runner of the lesson's Go programs (course/go/<name>).

The programs are built once per content into .cache/go/lesson-bin (about a second each when
the build cache is warm, as `make install` leaves it), so these tests are not marked slow.
"""

from __future__ import annotations

import pytest

from grader.faults import FaultServer
from grader.golang.lesson import ProgramResult, programs, run_program
from tests.conftest import needs_go


def test_unknown_program_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown lesson program 'nope'") as info:
        run_program("nope")
    assert "article_ai" in str(info.value) and "fanout_ai" in str(info.value)
    with pytest.raises(ValueError):
        run_program("../go")  # a path is not a program name


def test_the_lesson_programs_are_found() -> None:
    assert {"article_ai", "article_fix", "early_return", "fanout_ai", "fanout_errch",
            "deadlock_detector"} <= set(programs())


@needs_go
def test_a_run_returns_the_output_and_the_exit_status() -> None:
    with FaultServer() as server:
        result = run_program("article_fix", "-url", server.url("ok_json"), timeout=20)
    assert isinstance(result, ProgramResult)
    assert result.exit_code == 0 and not result.timed_out
    assert "50 bytes, error: <nil>" in result.stdout
    assert str(result).endswith(result.status()) and "exit status 0" in result.status()


@needs_go
def test_a_crash_shows_its_first_lines_down_to_the_programs_own_frame() -> None:
    result = run_program("deadlock_detector", timeout=20)
    assert result.exit_code == 2
    crash = result.crash()
    assert crash[0] == "fatal error: all goroutines are asleep - deadlock!"
    assert crash[-1].strip().startswith("course/deadlock_detector/main.go:")
    assert "exit status 2" in result._repr_html_()


@needs_go
def test_a_program_past_its_time_limit_is_killed_and_says_so() -> None:
    lines: list[str] = []
    with FaultServer() as server:
        result = run_program("deadlock_detector", "-url", server.url("ok_json"), timeout=1.0,
                             on_line=lines.append)
    assert result.timed_out and result.exit_code == -9
    assert 1.0 <= result.seconds < 10
    assert "killed after 1 s" in str(result)
    assert lines == result.lines and "waiting for the workers" in lines
