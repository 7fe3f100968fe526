"""Read why a harness process ended from its exit status and Go's stderr.

The Go runtime reports every unrecovered failure on stderr in a fixed shape and exits:

* a panic: ``panic: <message>`` (``[signal SIGSEGV ...]`` for a nil dereference), then
  ``goroutine N [running]:`` and frames as ``\\tgradeharness/calc/calc.go:12 +0x1d``
  (builds use ``-trimpath``, so every file of the build is named from the module root);
  exit status 2;
* a fatal error (deadlock, concurrent map writes, stack overflow, out of memory):
  ``fatal error: <message>`` and the goroutines' stacks; exit status 2;
* the race detector (``-race``): a ``WARNING: DATA RACE`` block per race while the program
  carries on, then exit status 66 at the end.

The learner's code can write to stderr as well (``log``, ``println``), so the exit status
decides what kind of end it was, and only the runtime's last report counts: text
printed before a real panic cannot pose as it.  The learner's location is the first frame
in a package of the build other than the harness (``gradeharness/main.go``) and gradeproto.
"""

from __future__ import annotations

import re
import signal

PANIC_STATUS = 2  # the runtime's exit status after an unrecovered panic or fatal error
RACE_STATUS = 66  # the race detector's default exitcode
_FRAME = re.compile(
    r"^\s+gradeharness/(?!gradeproto/)(?:[\w.-]+/)+(?P<file>[\w.-]+\.go):(?P<line>\d+)\b"
)
_GOROUTINE = re.compile(r"^goroutine \d+ \[")
_DEADLOCK = "all goroutines are asleep - deadlock!"


def learner_location(lines: list[str], start: int = 0) -> str | None:
    """``calc.go:12`` of the first learner frame at or after ``lines[start]``, else None."""
    for line in lines[start:]:
        match = _FRAME.match(line)
        if match:
            return f"{match['file']}:{match['line']}"
    return None


def _at(message: str, where: str | None) -> str:
    return f"{message} ({where})" if where else message


def _last_report(lines: list[str], prefix: str) -> int | None:
    """Index of the last line starting with ``prefix`` that a goroutine stack follows."""
    stacks = [i for i, line in enumerate(lines) if _GOROUTINE.match(line)]
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith(prefix) and any(s > i for s in stacks):
            return i
    return None


def runtime_failure(stderr: str) -> str | None:
    """The panic or fatal error the runtime reported last in ``stderr``, as one line."""
    lines = stderr.splitlines()
    panic_at = _last_report(lines, "panic: ")
    fatal_at = _last_report(lines, "fatal error: ")
    if fatal_at is not None and (panic_at is None or fatal_at > panic_at):
        message = lines[fatal_at].removeprefix("fatal error: ").strip()
        where = learner_location(lines, fatal_at)
        if message == _DEADLOCK:
            return _at("deadlock: all goroutines are asleep", where)
        return _at(f"fatal error: {message}", where)
    if panic_at is not None:
        message = lines[panic_at].removeprefix("panic: ").strip()
        message = message.removesuffix(" [recovered]").removesuffix(" [recovered, repanicked]")
        return _at(f"panicked: {message}", learner_location(lines, panic_at))
    return None


def data_race(stderr: str) -> str | None:
    """``data race detected (calc.go:30)`` for the first race report, else None."""
    lines = stderr.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "WARNING: DATA RACE":
            return _at("data race detected", learner_location(lines, i))
    return None


def signal_name(number: int) -> str:
    """``SIGKILL`` for 9; ``signal 77`` for a number Python does not name."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def describe(
    *, exit_code: int | None, answered: bool, stderr: str, timed_out: float | None
) -> str | None:
    """One line a learner can read about how the run ended badly, or None if it did not.

    ``exit_code`` is negative for a signal (as in subprocess); ``timed_out`` is the
    timeout in seconds when the grader killed the run, else None.
    """
    if timed_out is not None:
        return f"timed out after {timed_out:.1f} s (killed)"
    if exit_code is None:
        return "did not exit"
    if exit_code < 0:
        return f"killed by signal {signal_name(-exit_code)}"
    if exit_code == PANIC_STATUS:
        failure = runtime_failure(stderr)
        if failure:
            return failure
    if exit_code == RACE_STATUS:
        race = data_race(stderr)
        if race:
            return race
    if exit_code != 0:
        when = "after" if answered else "before"
        return f"exited with status {exit_code} {when} answering"
    return None if answered else "exited with status 0 before answering"
