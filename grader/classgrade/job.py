"""One submission's untrusted work: everything that runs student code, and nothing else.

``run_job`` takes plain data and returns plain data, so it runs the same in a local thread
and on a dask worker on another machine (files travel as bytes, never as parent paths).
Two sandboxed runs, in this order (2 is skipped when the assignment has no measured cells);
the learner's notebook is never run in a Jupyter kernel for grading, and the outputs
recorded in run 1 make the executed notebook:

1. verification: the student's cells in a sandboxed worker, driven over a Unix socket by
   the trusted verifier (a separate, unsandboxed interpreter that has never run student
   code) which runs every grade cell with the student's functions as data-only proxies,
   recording every cell's outputs (grader/classgrade/capture.py);
2. measurement (only when the assignment has measured cells: speed...): the student's
   functions measured in a sandbox of their own (grader/classgrade/speedcheck.py);
3. mutation (only for ``[exercises.mutation]`` cells): the student's tests run here, one
   fresh sandbox per run, against the course's module and each of its mutants
   (grader/mutation); this process decides, and runs no student code itself.

Each run gets fresh scratch folders, so nothing the student leaves behind in one reaches the
other; native builds (Rust crates, Mojo)
get their toolchains read-only and a private build folder (grader/native/sandboxing.py).
Nothing here touches the gradebook.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grader
from grader.classgrade import speedcheck
from grader.native.learner_builds import store_in
from grader.sandbox import GiB, Limits, MiB, SandboxUnavailable, run_sandboxed
from grader.speedtest import TRUSTED_ENV

# Set in the learner's process, its assert_speed leaves speed to the measurement.
TRUSTED_SPEED_ENV = TRUSTED_ENV
PACKAGE_DIR = Path(grader.__file__).resolve().parent
# What the student's code sees in the verification worker, as in a kernel under autograde:
# nbgrader's marker (check() then leaves testing to the grade cells) and the speed one.
KERNEL_ENV = {"NBGRADER_EXECUTION": "autograde", TRUSTED_SPEED_ENV: "1"}


@dataclass
class JobSpec:
    """Everything one submission's run needs, as data (picklable for dask)."""

    student: str
    notebook_name: str
    notebook: str  # sanitized submission, nbformat JSON, hidden tests included
    worker_notebook: str  # the same with every grade cell's source removed
    verify_spec: dict[str, Any]  # see grader/classgrade/verify.py
    files: dict[str, bytes] = field(default_factory=dict)  # the kernel's working folder
    trusted_files: dict[str, bytes] = field(default_factory=dict)  # verifier's folder
    speed_ids: list[str] = field(default_factory=list)  # grade cells grader.speed measures
    mutation_ids: list[str] = field(default_factory=list)  # of those, graded by mutation
    toolchains: tuple[str, ...] = ()  # native toolchains (assignment.toml) the sandbox offers
    # A second sandboxed worker that runs none of the notebook's cells: the verifier's
    # build() builds the learner's crate or Mojo file there (grader/classgrade/remote.py), so
    # no notebook statement can stand between the files and what the grade cells call.
    native_worker: bool = False
    cell_timeout: int = 180
    timeout: float = 900.0  # wall clock per sandboxed run
    output_cap: int = 1 * MiB
    limits: Limits = field(default_factory=lambda: Limits(
        cpu_seconds=900, memory_bytes=4 * GiB, max_file_bytes=64 * MiB))


@dataclass
class JobResult:
    """What came back; ``executed`` and everything the worker said are untrusted."""

    student: str
    executed: str | None = None
    verdicts: dict[str, dict[str, Any]] = field(default_factory=dict)
    speed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # outputs by grade id
    problems: list[str] = field(default_factory=list)
    sandbox_kind: str = ""
    sandbox_warnings: list[str] = field(default_factory=list)
    error: str | None = None  # infrastructure failure: the submission was not graded
    seconds: float = 0.0
    ran_on: str = ""  # host:pid of the process that ran the job (a dask worker, or us)
    phases: dict[str, float] = field(default_factory=dict)  # wall seconds of each phase


_folder = speedcheck.write_folder


def _note_kind(result: JobResult, kind: str, warnings: list[str]) -> None:
    if kind != "bubblewrap" and result.sandbox_kind != kind:
        result.problems.append(f"SANDBOX DEGRADED to {kind}: no filesystem "
                               "or network isolation for this submission")
    result.sandbox_kind = kind
    for warning in warnings:
        if warning not in result.sandbox_warnings:
            result.sandbox_warnings.append(warning)


def _note(result: JobResult, sandboxed: Any, phase: str) -> None:
    _note_kind(result, sandboxed.sandbox_kind, sandboxed.warnings)
    if sandboxed.killed_by:
        result.problems.append(f"{phase}: stopped by the sandbox ({sandboxed.killed_by}) "
                               f"after {sandboxed.wall_seconds:.0f} s")


def _trusted_here(spec: JobSpec, base: Path) -> Path:
    """The source's files in a folder only this process reads (prebuilding dependencies)."""
    folder = base / "trusted-parent"
    if not folder.is_dir():
        _folder(folder, spec.trusted_files, mode=0o700)
    return folder


def _mojo_build(spec: JobSpec, base: Path, result: JobResult) -> None:
    """The submission's Mojo modules, compiled once in a sandbox of their own for the
    sandboxes after it (each used to compile them again, 9-14 s per file)."""
    from grader.native.learner_builds import build_once

    ran = build_once(spec.files, base, trusted=_trusted_here(spec, base), limits=spec.limits,
                     timeout=spec.timeout)
    if ran is not None:
        _note(result, ran, "Mojo build")


def _verify(spec: JobSpec, base: Path, result: JobResult) -> None:
    ro = _folder(base / "verify-in", {"worker.ipynb": spec.worker_notebook.encode()})
    rpc = _folder(base / "verify-rpc", {})
    work = _folder(base / "verify-work", spec.files)
    trusted = _folder(base / "verify-trusted", spec.trusted_files, mode=0o700)
    (trusted / "spec.json").write_text(json.dumps(
        {**spec.verify_spec, "cell_timeout": spec.cell_timeout, "deadline": spec.timeout,
         "outputs": True, "output_cap": spec.output_cap}))
    sock_path, listener = _listen(rpc / "sock")
    sockets = [sock_path]
    fds = ["--socket-fd", str(listener.fileno())]
    listeners = [listener]
    if spec.native_worker:
        native_sock, native_listener = _listen(rpc / "native")
        sockets.append(native_sock)
        listeners.append(native_listener)
        fds += ["--native-socket-fd", str(native_listener.fileno())]
    out = trusted / "verdicts.json"
    # Toolchains first (prebuilding a crate's dependencies can take minutes): the verifier's
    # wait for the worker to connect starts only when the worker is about to start.
    native = speedcheck.native_paths(spec.toolchains, base / "verify-native",
                                     _trusted_here(spec, base), store_in(base))
    builder = _native_worker(spec, base, ro, rpc, sockets) if spec.native_worker else None
    env = {**os.environ, "GRADER_STATE_FILE": str(trusted / "progress.json")}
    with open(trusted / "verify.log", "wb") as log:
        harness = subprocess.Popen(
            [sys.executable, "-m", "grader.classgrade.verify", "spec.json", str(out), *fds],
            cwd=trusted, env=env, pass_fds=tuple(s.fileno() for s in listeners),
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    for each in listeners:
        each.close()
    try:  # the learner's cells may build native code (a crate, a Mojo file) too
        if builder is not None:
            builder.start()
        sandboxed = run_sandboxed(
            [sys.executable, "-m", "grader.classgrade.worker",
             str(ro / "worker.ipynb"), str(sock_path), str(spec.output_cap)],
            workdir=work, readable=[PACKAGE_DIR, ro, rpc, *native.readable],
            writable=[work, *native.writable], limits=spec.limits,
            env={**native.env, **KERNEL_ENV}, timeout=spec.timeout)
        _note(result, sandboxed, "verification")
        for path in sockets:  # a worker that never connected: let the verifier give up now
            _unblock(path)
        harness.wait(timeout=spec.timeout + 30)
        if builder is not None:
            builder.join(timeout=spec.timeout + 30)
            if builder.ran is not None:
                _note(result, builder.ran, "native build worker")
    finally:
        if harness.poll() is None:
            harness.kill()
            harness.wait()
    try:
        data = json.loads(out.read_text())
    except (OSError, ValueError):
        tail = (trusted / "verify.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the verifier failed: {tail}") from None
    result.verdicts = data["verdicts"]
    if data.get("broken"):
        result.problems.append(f"verification: {data['broken']}")
    result.executed = executed_notebook(spec.notebook, data.get("outputs") or {})


def _listen(path: Path) -> tuple[Path, socket.socket]:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    path.chmod(0o666)  # the sandbox uid connects; the folder stays root-owned
    listener.listen(1)
    return path, listener


class _Sandboxed(threading.Thread):
    """One sandboxed run in a thread of its own; ``ran`` is its SandboxResult."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(daemon=True, name="native-build-worker")
        self.kwargs, self.ran = kwargs, None

    def run(self) -> None:
        try:
            self.ran = run_sandboxed(**self.kwargs)
        finally:
            _unblock(self.kwargs["argv"][-2])  # never leave the verifier waiting for it


def _native_worker(spec: JobSpec, base: Path, ro: Path, rpc: Path,
                   sockets: list[Path]) -> _Sandboxed:
    """The worker the verifier's build() talks to: the submission's files, no notebook cell
    (not started yet: its toolchain folders are ready before the verifier starts waiting)."""
    (ro / "empty.ipynb").write_text(json.dumps({"cells": []}))
    work = _folder(base / "build-work", spec.files)
    native = speedcheck.native_paths(spec.toolchains, base / "build-native",
                                     _trusted_here(spec, base), store_in(base))
    thread = _Sandboxed(
        argv=[sys.executable, "-m", "grader.classgrade.worker", str(ro / "empty.ipynb"),
              str(sockets[1]), str(spec.output_cap)],
        workdir=work, readable=[PACKAGE_DIR, ro, rpc, *native.readable],
        writable=[work, *native.writable], limits=spec.limits,
        env={**native.env, **KERNEL_ENV}, timeout=spec.timeout)
    return thread


def executed_notebook(notebook: str, outputs: dict[str, list[dict[str, Any]]]) -> str:
    """The sanitized notebook with each run cell's recorded outputs, numbered in run order
    as a kernel numbers them. The outputs stay untrusted: the parent validates them."""
    nb = json.loads(notebook)
    count = 0
    for index, cell in enumerate(nb["cells"]):
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"], cell["execution_count"] = [], None
        if str(index) in outputs:
            count += 1
            cell["execution_count"] = count
            cell["outputs"] = outputs[str(index)]
            for output in cell["outputs"]:
                if isinstance(output, dict) and output.get("output_type") == "execute_result":
                    output["execution_count"] = count
    return json.dumps(nb)


def _unblock(sock_path: Path) -> None:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(1)
            probe.connect(str(sock_path))
    except OSError:
        pass  # nobody listening any more: the verifier is already done


def _speed(spec: JobSpec, base: Path, result: JobResult) -> None:
    measured = speedcheck.measure_in_sandbox(
        base, trusted_files=spec.trusted_files, files=spec.files,
        notebook_name=spec.notebook_name, notebook=spec.worker_notebook, limits=spec.limits,
        timeout=spec.timeout, toolchains=spec.toolchains, mojo_store=store_in(base))
    _note_kind(result, measured.sandbox_kind, measured.warnings)
    if measured.problem:
        result.problems.append(f"speed: {measured.problem}")
    found = measured.verdicts or {}
    result.speed = {gid: found[gid] for gid in spec.speed_ids if isinstance(found.get(gid), list)}


def _mutation(spec: JobSpec, base: Path, result: JobResult) -> None:
    from grader.mutation.grading import graded_outputs

    trusted = _folder(base / "mutation-trusted", spec.trusted_files, mode=0o700)
    found = graded_outputs(trusted, spec.notebook)
    result.speed.update({gid: found[gid] for gid in spec.mutation_ids if gid in found})


def run_job(spec: JobSpec) -> JobResult:
    """Verify, then measure one submission; never raises (errors go into the result)."""
    start = time.monotonic()
    result = JobResult(spec.student, ran_on=f"{socket.gethostname()}:{os.getpid()}")
    try:
        with tempfile.TemporaryDirectory(prefix="classgrade-") as tmp:
            base = Path(tmp)
            base.chmod(0o755)
            phases = (("mojo-build", _mojo_build), ("verify", _verify), ("speed", _speed),
                      ("mutation", _mutation))
            for name, phase in phases:
                if name == "speed" and not set(spec.speed_ids) - set(spec.mutation_ids):
                    continue  # nothing for the controller to measure
                if name == "mutation" and not spec.mutation_ids:
                    continue
                begin = time.monotonic()
                phase(spec, base, result)
                result.phases[name] = round(time.monotonic() - begin, 2)
    except SandboxUnavailable as exc:
        result.error = f"sandbox unavailable: {exc}"
    except Exception as exc:  # one broken submission must not stop the batch
        result.error = f"{type(exc).__name__}: {exc}"
    result.seconds = time.monotonic() - start
    return result
