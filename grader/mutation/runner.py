"""``python -P -m grader.mutation.runner FOLDER FD``: a learner's tests, run once, sandboxed.

Runs in a fresh sandbox per run (engine.py): FOLDER (read-only) holds ``spec.json`` and
``test_yours.py`` (the learner's test cell, after one line of imports), FD is a socket to
the trusted oracle (oracle.py). The functions under test are proxies: each call is sent to
the oracle as data and its value or exception comes back as data. Nothing here knows which
version of the module answers, and no run shares anything with another (each sandbox has
its own /tmp, pid, IPC and network namespaces), so a test can only kill a mutant by what
the functions return or raise.

pytest runs the file in-process with plugin autoloading off (PYTEST_DISABLE_PLUGIN_AUTOLOAD,
set by the engine), which makes a run ~0.25 s instead of ~1.4 s with every installed plugin;
hypothesis gets a derandomized profile without a database, so a run is repeatable. The
report is one line ``MUTATION-RUN <json>`` on stdout: which tests ran, which failed and why.
Learner code could print a line like it; that only forges its own pass or fail, which its
asserts decide anyway.
"""

from __future__ import annotations

import json
import random
import socket
import sys
import types
from pathlib import Path
from typing import Any

from grader.classgrade import codec

MARKER = "MUTATION-RUN "
TEST_FILE = "test_yours.py"
_MESSAGE_CAP = 400
MAX_EXAMPLES = 40  # hypothesis examples per property test, unless the test says otherwise


class Unreachable(RuntimeError):
    """The function under test stopped answering (its process was stopped)."""


def proxy(conn: socket.socket, name: str, doc: str) -> Any:
    """A stand-in for the function ``name``: calls cross ``conn``; exceptions come back as
    the nearest builtin class (a ValueError stays a ValueError)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            codec.send(conn, {"call": name, "args": codec.encode(list(args)),
                              "kwargs": codec.encode(kwargs)})
            reply = codec.recv(conn)
        except (EOFError, OSError, codec.ProtocolError) as exc:
            raise Unreachable(f"{name}() stopped answering: its process was stopped "
                              f"(it ran out of time or memory) [{type(exc).__name__}]") from None
        if "error" in reply:
            raise codec.decode_exception(reply["error"])
        return codec.decode(reply.get("value"))

    call.__name__ = call.__qualname__ = name
    call.__doc__ = doc
    return call


class Collector:
    """A pytest plugin keeping each test's outcome and a short reason for a failure."""

    def __init__(self) -> None:
        self.tests: list[dict[str, str]] = []
        self.errors: list[str] = []

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or not report.passed:
            self.tests.append({"test": report.nodeid.split("::", 1)[-1], "when": report.when,
                               "outcome": report.outcome, "message": _reason(report)})

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.errors.append(_reason(report))


def _reason(report: Any) -> str:
    if report.passed or report.skipped:
        return ""
    text = str(getattr(report, "longreprtext", "") or "")
    lines = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("E ")]
    reason = " ".join(lines[:4]) if lines else (text.strip().splitlines() or [""])[-1]
    return reason[:_MESSAGE_CAP]


def _hypothesis_profile() -> None:
    """Repeatable property tests: the same examples in every run, no example database."""
    try:
        from hypothesis import HealthCheck, Phase, settings
    except ImportError:
        return
    # No shrinking: a run only has to fail, not find the smallest failing example, and
    # shrinking is most of the time a killed mutant's run would take.
    settings.register_profile("grader-mutation", derandomize=True, database=None,
                              deadline=None, max_examples=MAX_EXAMPLES, print_blob=False,
                              phases=[Phase.explicit, Phase.reuse, Phase.generate],
                              suppress_health_check=list(HealthCheck))
    settings.load_profile("grader-mutation")


def run(folder: Path, fd: int) -> dict[str, Any]:
    spec = json.loads((folder / "spec.json").read_text())
    conn = socket.socket(fileno=fd)
    module = types.ModuleType(spec["module"])
    for name in spec["functions"]:
        setattr(module, name, proxy(conn, name, spec.get("docs", {}).get(name, "")))
    sys.modules[spec["module"]] = module
    random.seed(0)
    if "hypothesis" in (folder / TEST_FILE).read_text(errors="replace"):
        _hypothesis_profile()
    import pytest

    collector = Collector()
    code = pytest.main(
        [str(folder / TEST_FILE), "-q", "-p", "no:cacheprovider", "--noconftest",
         "--rootdir", str(folder), "-c", str(folder / "pytest.ini"), "--tb=short",
         "-o", "python_files=" + TEST_FILE, "-W", "ignore::DeprecationWarning"],
        plugins=[collector])
    return {"exit": int(code), "tests": collector.tests, "errors": collector.errors}


def main(argv: list[str]) -> int:
    folder, fd = Path(argv[0]), int(argv[1])
    result = run(folder, fd)
    sys.stdout.flush()
    sys.stdout.write("\n" + MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


def parse(stdout: str) -> dict[str, Any] | None:
    """The last report line of a run's output, or None (killed, garbled, never printed)."""
    from grader.sandbox.result import marked_json

    return marked_json(stdout, MARKER)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
