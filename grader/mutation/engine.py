"""Grade a learner's tests by the mutants they kill, each run in a sandbox of its own.

    subject = Subject("pricing", source, ("is_eligible", "order_total"))
    report = run_mutation(tests_source, subject, generate(source, subject.functions))
    report.score        # killed / total, 0.0 when the tests fail on the correct module

The trust rule, for tests a learner wrote (grader/TRUST.md):
- every run of the tests is a fresh ``grader.sandbox`` run (its own /tmp, pid, IPC and
  network namespaces), so nothing one run learns (that a call returned 10.01 here) can
  reach another: a suite that would learn the majority answer across runs and fail on the
  odd one out has nothing to learn from;
- the functions the tests call answer from the oracle (oracle.py), outside the sandbox;
  the run cannot see which version answers, so only behaviour can kill a mutant;
- the original runs first (tests that fail or hang on it end the grading at once, without
  a run per mutant) and once more at a random place among the mutants: a test that passes
  only on the first run, or only while caches are cold, fails that second run;
- a mutant's run gets a few times the original's time, not the whole budget: a mutant
  that makes the tests loop counts as caught when it overruns;
- the verdict (the run passed or not; the share killed) is decided here, in the grading
  process, which never runs learner code.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from grader.mutation import runner
from grader.mutation.mutants import Mutant
from grader.mutation.report import NOT_RUN, MutationReport, RunOutcome
from grader.sandbox import GiB, Limits, MiB, run_sandboxed

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # grader/, read-only in each sandbox
RUN_TIMEOUT = 15.0  # wall seconds of one run of the tests on the original
MUTANT_FACTOR, MUTANT_FLOOR = 4.0, 5.0  # a mutant's run: 4x the original's time, >= 5 s
# Wall seconds for a whole grading: a suite slow enough to pass it (a test that sleeps) has
# its remaining mutants counted as survivors instead of holding a class's grading for long.
BUDGET = 150.0
RUN_ENV = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONHASHSEED": "0", "HYPOTHESIS_STORAGE_DIRECTORY": "/tmp/hypothesis"}
ORIGINAL = "original"
SAME_ANSWERS = "not run: it gives every call your tests made the same answer as the original"
REPLAY_WAIT = 10.0  # wall seconds for one replay's answer (oracle.REPLAY_CPU of CPU)
RECORD_WAIT = 10.0  # wall seconds for the recording run's child to write its calls


@dataclass(frozen=True)
class Subject:
    """The trusted module the learner's tests are about."""

    module: str  # the name the tests import it by ("pricing")
    source: str  # its text, from the course's files, never from a submission
    functions: tuple[str, ...]  # the functions the tests call and the mutants change
    preamble: str = ""  # imports every test file gets, one line (the notebook's setup)


def run_mutation(tests_source: str, subject: Subject, mutants: list[Mutant], *,
                 workers: int = 2, run_timeout: float = RUN_TIMEOUT,
                 progress: Callable[[int, int], None] | None = None,
                 rng: random.Random | None = None, budget: float = BUDGET) -> MutationReport:
    """Run the tests on the original module twice and on every mutant, each run sandboxed;
    stop early once the tests fail on the original; mutants not started within ``budget``
    seconds are not run and count as survivors. ``progress(done, total)`` after each."""
    if not isinstance(tests_source, str):
        raise TypeError(f"the tests must be Python source text, got {type(tests_source).__name__}")
    started = time.monotonic()
    rest = [ORIGINAL] + [m.id for m in mutants]
    (rng or random.SystemRandom()).shuffle(rest)
    total = len(rest) + 1
    index = {ORIGINAL: 0, **{m.id: i + 1 for i, m in enumerate(mutants)}}
    outcomes: dict[str, RunOutcome] = {}
    originals: list[RunOutcome] = []
    stop = threading.Event()
    with tempfile.TemporaryDirectory(prefix="grader-mutation-") as tmp, \
            Oracle(subject, [subject.source] + [m.source for m in mutants],
                   cpu_seconds=int(run_timeout)) as oracle:
        base = Path(tmp)
        base.chmod(0o755)
        folder = _test_folder(base, tests_source, subject)

        def one(version: str, slot: int, record: Path | None = None) -> None:
            if stop.is_set():
                return
            if version != ORIGINAL and time.monotonic() - started > budget:
                outcomes[version] = RunOutcome(version, NOT_RUN)
                return
            limit = run_timeout
            if version != ORIGINAL and originals:  # once the original's time is known
                slowest = max(o.seconds for o in originals)
                limit = min(run_timeout, max(MUTANT_FLOOR, MUTANT_FACTOR * slowest))
            outcome = _run(folder, base / f"run-{slot}", oracle, index[version], version,
                           limit, record)
            if version == ORIGINAL:
                originals.append(outcome)
                if not outcome.passed:
                    stop.set()  # nothing can score: say why at once
            else:
                outcomes[version] = outcome
            if progress is not None:
                progress(len(originals) + len(outcomes), total)

        # Alone, and recorded: when it fails or hangs no other run is started; when it passes,
        # a mutant that gives each of its calls the same reply cannot fail them (the same
        # calls, the same answers: deterministic tests pass again), so it is not run.
        trace = base / "trace.json"
        one(ORIGINAL, 0, trace)
        if not stop.is_set():
            for version in _same_answers(oracle, trace, mutants, index, workers):
                outcomes[version] = RunOutcome(version, "passed", message=SAME_ANSWERS)
            rest = [v for v in rest if v not in outcomes]
            total = len(rest) + 1 + len(outcomes)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            for future in [pool.submit(one, v, i + 1) for i, v in enumerate(rest)]:
                future.result()
    report = MutationReport(mutants=list(mutants), outcomes=outcomes, originals=originals,
                            seconds=time.monotonic() - started)
    skipped = sum(o.status == NOT_RUN for o in outcomes.values())
    if skipped:
        report.notes.append(f"{skipped} mutants were not run: the grading's {budget:.0f} s ran "
                            "out. They count as survivors; faster tests catch more.")
    return report


def _test_folder(base: Path, tests_source: str, subject: Subject) -> Path:
    """The read-only folder every run sees: the spec, pytest's ini, the tests."""
    folder = base / "tests"
    folder.mkdir(mode=0o755)
    imports = f"from {subject.module} import {', '.join(subject.functions)}"
    header = "; ".join(p for p in (subject.preamble.strip(), imports) if p)
    (folder / runner.TEST_FILE).write_text(
        f"{header}  # added by the grader: the imports of the notebook's setup cell\n"
        f"{tests_source}\n", encoding="utf-8")
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "spec.json").write_text(json.dumps(
        {"module": subject.module, "functions": list(subject.functions)}))
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


def _same_answers(oracle: Oracle, trace: Path, mutants: list[Mutant], index: dict[str, int],
                  workers: int) -> list[str]:
    """The mutants that give every call of the recorded run its recorded reply (none when
    the trace is missing or too long: then every mutant runs)."""
    try:
        recorded = json.loads(trace.read_text())
    except (OSError, ValueError):
        return []
    if not recorded:
        return []

    def same(mutant: Mutant) -> bool:
        ours, theirs = socket.socketpair()
        with ours, theirs:
            oracle.send({"replay": index[mutant.id], "trace": str(trace)}, theirs)
            theirs.close()
            ours.settimeout(REPLAY_WAIT)
            try:
                return json.loads(ours.recv(1 << 10) or b"{}").get("same") is True
            except (OSError, ValueError):
                return False  # no answer in time (a mutant that loops): run it

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        verdicts = list(pool.map(same, mutants))
    return [m.id for m, alike in zip(mutants, verdicts, strict=True) if alike]


def _run(folder: Path, work: Path, oracle: Oracle, version_index: int, version: str,
         timeout: float, record: Path | None = None) -> RunOutcome:
    work.mkdir(mode=0o755)
    ours, theirs = socket.socketpair()
    pidfd = -1
    try:
        # The child cannot end before this run does (it serves until `theirs` closes), so
        # the pidfd taken now names it and no process that might reuse its pid later.
        message = {"serve": version_index, **({"record": str(record)} if record else {})}
        pidfd = os.pidfd_open(oracle.send(message, ours))
        ours.close()
        begin = time.monotonic()
        ran = run_sandboxed(
            [sys.executable, "-P", "-m", "grader.mutation.runner", str(folder),
             str(theirs.fileno())],
            workdir=work, readable=[PACKAGE_DIR, folder], writable=[work],
            limits=Limits(cpu_seconds=max(1, int(timeout)), memory_bytes=2 * GiB,
                          max_processes=32, max_file_bytes=16 * MiB, output_bytes=256 * 1024,
                          tmp_bytes=64 * MiB),
            env=RUN_ENV, timeout=timeout, pass_fds=(theirs.fileno(),))
        seconds = time.monotonic() - begin
    finally:
        theirs.close()
        with contextlib.suppress(OSError):
            ours.close()
        if pidfd >= 0:  # a version still computing (a mutant that loops) stops now
            if record is not None:  # but first let it write the calls it recorded
                select.select([pidfd], [], [], RECORD_WAIT)
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            os.close(pidfd)
    return RunOutcome.from_run(version, runner.parse(ran.stdout), ran.timed_out,
                               ran.killed_by or "", ran.stderr, seconds)


class Oracle:
    """The oracle process (oracle.py) for one grading, and a lock around its control line."""

    def __init__(self, subject: Subject, sources: list[str], cpu_seconds: int) -> None:
        self._ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._lock = threading.Lock()
        self._proc = subprocess.Popen(
            [sys.executable, "-P", "-m", "grader.mutation.oracle", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=None, start_new_session=True, cwd=PACKAGE_DIR.parent,
            env={**os.environ, "PYTHONPATH": str(PACKAGE_DIR.parent)})
        theirs.close()
        setup = {"module": subject.module, "functions": list(subject.functions),
                 "sources": sources, "cpu_seconds": cpu_seconds, "memory_bytes": 2 * GiB}
        assert self._proc.stdin is not None
        with self._proc.stdin as pipe:
            pipe.write(json.dumps(setup).encode())

    def send(self, message: dict[str, object], conn: socket.socket) -> int:
        """Have the oracle fork a child for ``message`` (serve or replay, oracle.py) with
        ``conn`` as its socket; the child's pid."""
        with self._lock:
            socket.send_fds(self._ours, [json.dumps(message).encode()], [conn.fileno()])
            line = self._ours.recv(1 << 12)
        answer = json.loads(line) if line else {}
        if "pid" not in answer:
            raise RuntimeError(f"the mutation oracle did not start a run: {answer or 'it died'}")
        return int(answer["pid"])

    def __enter__(self) -> Oracle:
        return self

    def __exit__(self, *exc: object) -> None:
        self._ours.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait(timeout=10)
