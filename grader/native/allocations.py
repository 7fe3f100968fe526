"""Allocation cells decided outside the learner's kernel: heap allocations counted at libc.

A measured grade cell of kind ``allocations`` (grader/metadata.py MEASURED_KINDS, the
``[exercises.allocations]`` table of assignment.toml: ``grade_id``, ``crate``, optional
``cases`` file, default ``allocations.py`` beside speed.py) is decided here, in the speedcheck
controller (grader/classgrade/speedcheck.py: sandboxed, non-dumpable, never runs learner
code), as follows:

1. the learner's crate (beside the notebook) is built by the grader, as the speed cells do;
2. ``alloc_shim.c`` (beside this file) is compiled with the system C compiler into a sealed
   anonymous file (memfd) that only this process and the worker it starts can reach;
3. a FRESH worker process (``python -P -m grader.native.allocations worker ...``) is started
   with that shim preloaded (LD_PRELOAD): no notebook statement ever runs in it; it imports
   the trusted cases file, loads the built library (the only learner code), and for every
   call builds fresh inputs with the case's trusted factory and calls the function through
   the shim's ``grader_counted_call``, which counts malloc & co. during exactly that call and
   writes the count (C code, write(2)) to a file only the controller reads afterwards;
4. the controller checks every call's answer against its own expected value (computed here
   from the same seeded data) and every call's count against the case's limits, and decides.

Every judged call is counted, the first one on each input included: a crate that copies only
on the first call per table pays on every call here, because every call gets a new table. One
call per process on a tiny throwaway input comes first and is shown but not judged: PyO3 and
rust-numpy initialise themselves on first use (rust-numpy: 6 allocations on its first array).

What is counted: allocations whose caller is outside the interpreter (the learner's module,
the Rust standard library inside it, whichever Rust allocator it installs, NumPy) are the
"heap allocations" judged against ``max_events``/``max_bytes``; allocations CPython makes
itself (the ``str`` built from a returned Rust ``String``) are counted apart and only held to a
loose ``max_interpreter_events``. Not counted: CPython's small-object allocator (its own
mmap'd arenas), mmap/brk/raw syscalls, glibc's ``__libc_malloc`` called by name, a static
arena. And native code runs with full rights in the worker: it could overwrite the shim's
counters or the count file. Those are deliberate attacks on the grader rather than copies;
the speed cells (timed in other fresh processes from the crate's files) back this count.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

SHIM_SOURCE = Path(__file__).resolve().with_name("alloc_shim.c")
RECORD = struct.Struct("6Q")
RECORD_MAGIC = 0x31434F4C4C41
SEED = 20260517
DEFAULT_CASES = "allocations.py"
WORKER_TIMEOUT = 300.0
MAX_RESULT_BYTES = 16 << 20


@dataclass(frozen=True)
class Case:
    """One counted call, made ``calls`` times on fresh inputs.

    ``make(rng)`` returns plain data (run in the controller for ``expected`` and in the worker
    for the arguments); ``args(module, data)`` the call's arguments, built in the worker
    (a fresh ``UserTable``); ``expected(data)`` the right answer (controller); ``same(got,
    want)`` compares them (default: equal and of the same type). With ``raises``, the call
    must raise that built-in exception instead (its allocations are not judged).
    """

    call: str
    function: str
    make: Callable[[np.random.Generator], Any]
    args: Callable[[ModuleType, Any], tuple] = lambda module, data: tuple(data)
    expected: Callable[[Any], Any] | None = None
    same: Callable[[Any, Any], bool] | None = None
    max_events: int = 0
    max_bytes: int | None = None
    max_interpreter_events: int = 16
    calls: int = 3
    raises: str | None = None
    why: str = ""
    warmup: bool = False  # process warm-up: counted and shown, never judged


@dataclass(frozen=True)
class Count:
    events: int
    bytes: int
    interpreter_events: int
    interpreter_bytes: int


def load_cases(path: Path) -> ModuleType:
    """The trusted cases file, imported by path (never from the working folder)."""
    from grader.speed.candidates import import_path

    return import_path(path, siblings=False)


def cases_for(module: ModuleType, exercise: str) -> list[Case]:
    cases = getattr(module, "CASES", {}).get(exercise)
    if not cases:
        raise LookupError(f"{module.__file__} defines no CASES[{exercise!r}]")
    return list(cases)


def _rng(case_index: int, call_index: int) -> np.random.Generator:
    return np.random.default_rng([SEED, case_index, call_index])


def _schedule(cases: list[Case]) -> list[tuple[int, int]]:
    """(case index, call index) of every counted call, in the order the worker makes them."""
    return [(k, i) for k, case in enumerate(cases) for i in range(1 if case.warmup else
                                                                  case.calls)]


# ---------------------------------------------------------------------------- the shim

_SHIM: bytes | None = None


def shim_bytes() -> bytes:
    """alloc_shim.c compiled by the system C compiler, once per process, in a private
    temporary folder (never a cache the learner's processes could have written to)."""
    global _SHIM
    if _SHIM is None:
        compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
        if compiler is None:
            raise FileNotFoundError("no C compiler (cc) to build the allocation counter")
        with tempfile.TemporaryDirectory(prefix="alloc-shim-") as tmp:
            out = Path(tmp) / "liballocshim.so"
            run = subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", str(out),
                                  str(SHIM_SOURCE), "-ldl"], capture_output=True, text=True,
                                 timeout=120, check=False)
            if run.returncode != 0 or not out.is_file():
                raise RuntimeError(f"the allocation counter did not compile: {run.stderr[-800:]}")
            _SHIM = out.read_bytes()
    return _SHIM


def _sealed_memfd(name: str, data: bytes) -> int:
    import fcntl

    fd = os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.write(fd, data)
    seals = fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    return fd


def _read_all(fd: int, limit: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks, size = [], 0
    while size < limit:
        chunk = os.read(fd, min(1 << 20, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------------------- controller


@dataclass
class Run:
    counts: list[Count | None]
    results: list[dict[str, Any] | None]
    problem: str = ""


def run_worker(library: Path, module_name: str, cases_path: Path, exercise: str,
               n_calls: int, timeout: float = WORKER_TIMEOUT) -> Run:
    """Start the counting worker and read what it left: one count (from the shim) and one
    answer (from the worker's Python) per scheduled call, None where there is none."""
    shim = _sealed_memfd("grader-alloc-shim", shim_bytes())
    records = os.memfd_create("grader-alloc-records", 0)
    results = os.memfd_create("grader-alloc-results", 0)
    fds = (shim, records, results)
    try:
        for fd in fds:
            os.set_inheritable(fd, True)
        env = {**os.environ, "LD_PRELOAD": f"/proc/self/fd/{shim}",
               "GRADER_ALLOC_FD": str(records)}
        with tempfile.TemporaryFile() as log:
            try:
                proc = subprocess.run(
                    [sys.executable, "-P", "-m", "grader.native.allocations", "worker",
                     str(library), module_name, str(cases_path), exercise, str(results)],
                    env=env, pass_fds=fds, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    timeout=timeout, check=False)
                problem = "" if proc.returncode == 0 else \
                    f"the counting process ended with status {proc.returncode}"
            except subprocess.TimeoutExpired:
                problem = f"the counting process did not finish within {timeout:g} s"
            log.seek(0)
            tail = log.read()[-1500:].decode(errors="replace").strip()
        raw = _read_all(records, RECORD.size * (n_calls + 64))
        text = _read_all(results, MAX_RESULT_BYTES).decode(errors="replace")
    finally:
        for fd in fds:
            os.close(fd)
    counts: list[Count | None] = [None] * n_calls
    for offset in range(0, len(raw) - RECORD.size + 1, RECORD.size):
        magic, seq, *numbers = RECORD.unpack_from(raw, offset)
        if magic == RECORD_MAGIC and 1 <= seq <= n_calls and counts[seq - 1] is None:
            counts[seq - 1] = Count(*numbers)
    answers: list[dict[str, Any] | None] = [None] * n_calls
    for line in text.splitlines():
        try:
            item = json.loads(line)
            seq = item["seq"]
        except (ValueError, TypeError, KeyError):
            continue
        if type(seq) is int and 1 <= seq <= n_calls and answers[seq - 1] is None:
            answers[seq - 1] = item
    if problem and tail:
        problem += f"; it said: {tail}"
    return Run(counts, answers, problem)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _same(case: Case, got: Any, want: Any) -> bool:
    if case.same is not None:
        try:
            return bool(case.same(got, want))
        except Exception:  # an odd answer (an Opaque) is a wrong answer
            return False
    return type(got) is type(want) and got == want


def judge(cases: list[Case], run: Run) -> tuple[list[str], str | None]:
    """Lines of the report and the first failure (None: every case passed)."""
    from grader.classgrade import codec
    from grader.testing import short

    lines: list[str] = []
    failure: str | None = None
    schedule = _schedule(cases)
    for k, case in enumerate(cases):
        seqs = [n for n, (kk, _) in enumerate(schedule) if kk == k]
        counts = [run.counts[n] for n in seqs]
        problem = ""
        for position, n in enumerate(seqs, start=1):
            count, answer = run.counts[n], run.results[n]
            where = f"call {position} of {len(seqs)}"
            if count is None or answer is None:
                problem = f"{case.call}: {where} never reported" + \
                    (f" ({run.problem})" if run.problem else "")
                break
            if case.warmup:
                continue
            if case.raises is not None:
                names = (answer.get("exc") or {}).get("types") or []
                if case.raises not in names:
                    got = (f"raised {names[0]}" if names else
                           f"returned {short(codec.decode(answer.get('value')))}")
                    problem = f"{case.call} {got}; expected it to raise {case.raises}"
                    break
                continue
            if "exc" in answer:
                exc = answer["exc"] or {}
                name = (exc.get("types") or ["Exception"])[0]
                problem = f"{case.call} raised {name}: {str(exc.get('message', ''))[:300]}"
                break
            try:
                got = codec.decode(answer.get("value"))
            except codec.ProtocolError:
                got = codec.Opaque("malformed answer")
            if case.expected is not None:
                data = case.make(_rng(k, position - 1))
                want = case.expected(data)
                if not _same(case, got, want):
                    problem = (f"{case.call} returned {short(got)}; expected {short(want)} "
                               "(allocations are only counted for a right answer)")
                    break
            too_many = count.events > case.max_events or (
                case.max_bytes is not None and count.bytes > case.max_bytes)
            if too_many or count.interpreter_events > case.max_interpreter_events:
                allowed = f"at most {case.max_events:,}"
                if case.max_bytes is not None:
                    allowed += f" ({case.max_bytes:,} bytes)"
                problem = (f"{case.call}: counted {_plural(count.events, 'heap allocation')} "
                           f"({count.bytes:,} bytes) on {where}; allowed {allowed}")
                if not too_many:
                    problem = (f"{case.call}: CPython allocated "
                               f"{_plural(count.interpreter_events, 'block')} for it on {where}; "
                               f"allowed at most {case.max_interpreter_events}")
                if case.why:
                    problem += f". {case.why}"
                break
        shown = ", ".join("?" if c is None else f"{c.events:,}" for c in counts)
        byte_text = ", ".join("?" if c is None else f"{c.bytes:,}" for c in counts)
        label = "warm-up, not judged: " if case.warmup else ""
        verdict = "" if case.warmup else ("  FAILED" if problem else "  ok")
        limit = "" if case.warmup or case.raises else f" (allowed {case.max_events:,})"
        what = f"raises {case.raises}" if case.raises else \
            f"heap allocations per call: {shown}{limit}; bytes: {byte_text}"
        lines.append(f"{label}{case.call}: {what}{verdict}")
        if problem and failure is None:
            failure = problem
    return lines, failure


def measure(assignment: Any, exercise: Any, settings: dict[str, Any],
            notebook: Path) -> list[dict[str, Any]]:
    """The ``allocations`` measurer of grader/classgrade/speedcheck.py: the cell's outputs,
    ending with an error output unless every case passed."""
    from grader.classgrade.capture import error_output
    from grader.native.crates import cached_build, locate_crate
    from grader.native.rust import RustBuildError

    cases_path = Path(assignment.folder) / str(settings.get("cases", DEFAULT_CASES))
    cases = cases_for(load_cases(cases_path), exercise.name)
    try:
        built = cached_build(locate_crate(str(settings["crate"]), notebook.parent))
    except (RustBuildError, FileNotFoundError) as exc:
        return [error_output(type(exc).__name__, str(exc))]
    schedule = _schedule(cases)
    run = run_worker(built.library, built.module_name, cases_path, exercise.name,
                     len(schedule), float(settings.get("timeout", WORKER_TIMEOUT)))
    lines, failure = judge(cases, run)
    header = ("Heap allocations counted at the C library (malloc and friends) in a fresh "
              "process that loads only your compiled crate; every call on fresh inputs, "
              "the first included. CPython's own blocks are counted apart.")
    shown = {"output_type": "stream", "name": "stdout",
             "text": "\n".join([header, *lines]) + "\n"}
    if failure is None:
        return [shown]
    return [shown, error_output("AllocationFailure", failure)]


# ---------------------------------------------------------------------------- worker


def _worker(library: str, module_name: str, cases_path: str, exercise: str,
            results_fd: int) -> int:
    """Runs in the fresh, preloaded process. Everything it needs from the grader is bound
    before the learner's library is loaded; the counts never pass through this code."""
    gc.disable()  # a collection inside a counted call would be noise
    from grader.classgrade import codec

    encode, encode_exception, write = codec.encode, codec.encode_exception, os.write
    counted = ctypes.PyDLL(None).grader_counted_call  # AttributeError: shim not preloaded
    counted.restype = ctypes.py_object
    counted.argtypes = (ctypes.py_object, ctypes.py_object)
    cases = cases_for(load_cases(Path(cases_path)), exercise)
    from grader.native.rust import load_library

    module = load_library(Path(library), module_name)  # the learner's code starts here
    functions = [getattr(module, case.function, None) for case in cases]
    # Every input stays alive to the end, so no two calls ever see an object at the same
    # address (code that remembers "tables seen before" by address is not fooled by reuse).
    kept: list[tuple] = []
    for seq, (k, i) in enumerate(_schedule(cases), start=1):
        case = cases[k]
        try:  # fresh inputs for every call, built before the counter is armed
            args = tuple(case.args(module, case.make(_rng(k, i))))
            func = functions[k] if functions[k] is not None else _raiser(
                AttributeError(f"the module has no function {case.function!r}"))
        except BaseException as exc:  # a UserTable the learner's code refused, say
            args, func = (), _raiser(exc)
        try:  # every scheduled call goes through the shim, so records stay in step
            reply: dict[str, Any] = {"seq": seq, "value": encode(counted(func, args))}
        except BaseException as exc:  # a panic too: it is the learner's answer
            reply = {"seq": seq, "exc": encode_exception(exc)}
        kept.append(args)
        write(results_fd, (json.dumps(reply) + "\n").encode())
    return 0


def _raiser(exc: BaseException) -> Callable[[], Any]:
    def fail() -> Any:
        raise exc

    return fail


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 6 or argv[0] != "worker":
        print("usage: python -m grader.native.allocations worker LIBRARY MODULE CASES "
              "EXERCISE RESULTS_FD", file=sys.stderr)
        return 2
    return _worker(argv[1], argv[2], argv[3], argv[4], int(argv[5]))


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # no atexit hooks a learner's module may have registered
