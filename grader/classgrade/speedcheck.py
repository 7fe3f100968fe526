"""``python -P -m grader.classgrade.speedcheck TRUSTED NOTEBOOK``: speed grade cells, sandboxed.

Runs *inside* a sandbox of its own (no kernel, no other student process): the speed engine
(grader.speed, and the other MEASURERS below) measures
the student's functions, loaded from NOTEBOOK, in worker processes, against the AI baseline
and inputs from TRUSTED (a read-only copy of the source's assignment.toml and speed.py).
Student code runs only in those workers; it shares this sandbox's uid, so before any worker
starts this process makes itself non-dumpable: same-uid code can then neither ptrace it nor
open its /proc files (memory, file descriptors), and its stdout, where the verdict goes, is
out of the workers' reach (their output goes to the engine's log files). ``-P`` keeps the
writable working folder off ``sys.path``, so a module planted there cannot be imported here.

Output: one line ``SPEED-VERDICTS <json>``, ``{grade_id: [nbformat outputs]}``; an output
list ends with an error output unless the cell passed. Anything missing or malformed is read
by the parent as a failed speed test, never a pass.
"""

from __future__ import annotations

import ctypes
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.classgrade.capture import error_output
from grader.paths import METADATA_NAME

MARKER = "SPEED-VERDICTS "
_PR_SET_DUMPABLE = 4
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # grader/, read-only in the sandbox


@dataclass
class SandboxedSpeed:
    """What one sandboxed measurement gave: verdicts by grade id, or None and why not."""

    verdicts: dict[str, list[dict[str, Any]]] | None
    sandbox_kind: str = ""
    warnings: list[str] = field(default_factory=list)
    problem: str = ""  # set when verdicts is None, or the sandbox stopped the run


def write_folder(path: Path, files: dict[str, bytes], mode: int = 0o755) -> Path:
    """Create ``path`` with ``files`` (relative names; anything escaping it is skipped)."""
    path.mkdir(mode=mode)
    path.chmod(mode)  # mkdir's mode is masked by the umask
    for rel, data in files.items():
        target = (path / rel).resolve()
        if not target.is_relative_to(path.resolve()):
            continue  # a name like ../../x from a submission folder: never written
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return path


def measure_in_sandbox(base: Path, *, trusted_files: dict[str, bytes],
                       files: dict[str, bytes], notebook_name: str, notebook: str,
                       limits: Any, timeout: float,
                       toolchains: tuple[str, ...] = (),
                       mojo_store: Path | None = None) -> SandboxedSpeed:
    """Run this module's ``main`` in ``grader.sandbox`` on one submission.

    ``base`` is an empty scratch folder (world-searchable); ``trusted_files`` the source's
    assignment.toml, speed.py... (read-only inside); ``files`` and ``notebook`` the
    submission (in a writable folder: loading a notebook may cache beside it);
    ``mojo_store`` its Mojo modules compiled for this grading. Used by the
    grading engine (grader/classgrade/job.py) on every grading path, so
    student code is never measured outside a sandbox.
    """
    from grader.golang.grading import HIDDEN_ENV, HIDDEN_FILE
    from grader.mutation.grading import HIDDEN_MUTANTS
    from grader.sandbox import run_sandboxed

    # Hidden tests go in a folder of their own that the controller empties before any
    # learner code exists in the sandbox: learner code there (a Go package's http.Dir, a
    # crate) can read every file it is shown, and the sandbox's pid 1 (bwrap) shows its
    # whole command line, environment included, in /proc/1/cmdline.
    trusted_files = dict(trusted_files)
    trusted_files.pop(HIDDEN_MUTANTS.as_posix(), None)  # for the grading process only
    hidden = trusted_files.pop(HIDDEN_FILE.as_posix(), None)
    trusted = write_folder(base / "speed-trusted", trusted_files)
    work = write_folder(base / "speed-work", {**files, notebook_name: notebook.encode()})
    native = native_paths(toolchains, base / "speed-native", trusted, mojo_store)
    env = dict(native.env)
    readable = [PACKAGE_DIR, trusted, *native.readable]
    writable = [work, *native.writable]
    if hidden is not None:
        folder = write_folder(base / "speed-hidden", {HIDDEN_FILE.name: hidden}, mode=0o700)
        writable.append(folder)
        env[HIDDEN_ENV] = str(folder / HIDDEN_FILE.name)
    # -P: the writable working folder is never on sys.path of the measuring process.
    ran = run_sandboxed([sys.executable, "-P", "-m", "grader.classgrade.speedcheck",
                         str(trusted), str(work / notebook_name)],
                        workdir=work, readable=readable, writable=writable, limits=limits,
                        env=env, timeout=timeout)
    found = parse(ran.stdout)
    problem = "" if found is not None else "the speed measurement never reported"
    if ran.killed_by:
        problem = f"stopped by the sandbox ({ran.killed_by}) after {ran.wall_seconds:.0f} s"
    return SandboxedSpeed(found, ran.sandbox_kind, list(ran.warnings), problem)


def native_paths(toolchains: tuple[str, ...], base: Path, trusted: Path | None = None,
                 mojo_store: Path | None = None) -> Any:
    """Toolchains (Rust, Mojo) the learner's code builds with: read-only toolchains and
    dependency caches, a writable build folder ``base`` (grader/native/sandboxing.py).
    ``trusted``: the source's files, whose ``crates/`` have their dependencies prebuilt,
    and whose ``prebuilt`` Mojo files (assignment.toml) are compiled before the sandbox
    starts. ``mojo_store``: the submission's Mojo modules, compiled once for this grading
    (grader/native/learner_builds.py)."""
    from grader.native.sandboxing import native_sandbox

    crates = [trusted / "crates"] if trusted is not None and (trusted / "crates").is_dir() \
        else []
    return native_sandbox(toolchains, base, crates=crates, mojo_files=_prebuilt(trusted),
                          mojo_stores=[mojo_store] if mojo_store is not None else [])


def _prebuilt(trusted: Path | None) -> list[Path]:
    """The course files assignment.toml's ``prebuilt`` names, in the trusted folder.
    Validated by grader.metadata (``build --check``); a name missing here is skipped, so a
    sandbox then compiles it itself as before."""
    import tomllib

    if trusted is None or not (trusted / METADATA_NAME).is_file():
        return []
    data = tomllib.loads((trusted / METADATA_NAME).read_text(encoding="utf-8"))
    names = data.get("prebuilt", [])
    return [trusted / name for name in names if isinstance(name, str)
            and (trusted / name).resolve().is_relative_to(trusted.resolve())
            and (trusted / name).is_file()]


def trusted_inputs(source: dict[str, bytes], release_dir: Path,
                   learner_files: set[str] | frozenset[str]) -> dict[str, bytes]:
    """The source's files a sandbox may read: a learner-edited file (nbgrader's
    exclude_overwriting) comes from the release folder instead, where its solution regions
    are stripped but its starter and the AI baseline (a crate's ``_clone`` functions) stay."""
    files = {rel: data for rel, data in source.items() if rel not in learner_files}
    for rel in learner_files:
        released = release_dir / rel
        if released.is_file() and not released.is_symlink():
            files[rel] = released.read_bytes()
    return files


def _undumpable() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


# Outputs are written as plain nbformat-v4 dicts, not with nbformat.v4.new_output: importing
# nbformat imports jsonschema, whose eager rfc3987_syntax import builds ~35 Earley parsers
# (about 3 s of CPU here, jsonschema#1428) in every sandboxed measurement. The parent
# validates every output it takes (grader/classgrade/gradebook.py, _valid_outputs).


def _speed_outputs(assignment: Any, exercise: Any, settings: dict[str, Any],
                   notebook: Path) -> list[dict[str, Any]]:
    """A speed cell: grader.speed against the AI baseline (assignment.toml's ``speed``)."""
    from grader.speedtest import candidate_for, run_speed, setup_for
    from grader.speedview import SpeedView

    setup = setup_for(assignment, exercise, None)
    candidate = candidate_for(assignment, exercise, notebook.parent, notebook)
    report = run_speed(setup, candidate, progress=False)
    view = SpeedView(exercise.name, report, settings.get("grade_id"))
    shown = {"output_type": "display_data", "metadata": {},
             "data": {"text/plain": str(view), "text/html": view._repr_html_()}}
    return [shown] if report.passed else [shown, error_output("SpeedFailure", report.reason)]


def _allocation_outputs(assignment: Any, exercise: Any, settings: dict[str, Any],
                        notebook: Path) -> list[dict[str, Any]]:
    """An allocation cell: libc-level counts in a fresh process (grader/native/allocations.py)."""
    from grader.native.allocations import measure

    return measure(assignment, exercise, settings, notebook)


def _simd_outputs(assignment: Any, exercise: Any, settings: dict[str, Any],
                  notebook: Path) -> list[dict[str, Any]]:
    """A SIMD cell: packed adds in a loop of the kernel compiled alone, and a throughput no
    scalar loop reaches (grader/speed/simdcheck.py)."""
    from grader.speed.simdcheck import simd_outputs

    return simd_outputs(assignment, exercise, settings, notebook)


def _bandwidth_outputs(assignment: Any, exercise: Any, settings: dict[str, Any],
                       notebook: Path) -> list[dict[str, Any]]:
    """A bandwidth cell: the kernel compiled alone against a memory copy
    (grader/speed/simdcheck.py)."""
    from grader.speed.simdcheck import bandwidth_outputs

    return bandwidth_outputs(assignment, exercise, settings, notebook)


def _scenario_outputs(assignment: Any, exercise: Any, settings: dict[str, Any],
                      notebook: Path) -> list[dict[str, Any]]:
    """A scenarios cell: the cell's trusted tests against the submitted Go package built with
    the course's harness, driven against the fault server here (grader/golang/grading.py)."""
    from grader.golang.grading import scenario_outputs

    return scenario_outputs(assignment, exercise, settings, notebook)


def _growth_outputs(assignment: Any, exercise: Any, settings: dict[str, Any],
                    notebook: Path) -> list[dict[str, Any]]:
    """A growth cell: the function timed at sizes drawn for this run beside the AI version
    and the course's answer, graded by its slope (grader/growth)."""
    from grader.growth.cells import growth_outputs

    return growth_outputs(assignment, exercise, settings, notebook)


# kind (grader.metadata.MEASURED_KINDS) -> measurer(assignment, exercise, settings, notebook):
# the cell's nbformat outputs, ending with an error output unless the cell passed. A measurer
# runs here, in the controller, and must run learner code only in worker processes.
MEASURERS: dict[str, Callable[[Any, Any, dict[str, Any], Path], list[dict[str, Any]]]] = {
    "speed": _speed_outputs,
    "allocations": _allocation_outputs,
    "simd": _simd_outputs,
    "bandwidth": _bandwidth_outputs,
    "scenarios": _scenario_outputs,
    "growth": _growth_outputs,
}


def verdicts(trusted: Path, notebook: Path) -> dict[str, list[dict[str, Any]]]:
    """grade_id -> outputs of every measured grade cell of the assignment in ``trusted``."""
    from grader.metadata import PARENT_KINDS, load_assignment

    assignment = load_assignment(trusted)
    out: dict[str, list[dict[str, Any]]] = {}
    for exercise, kind, settings in assignment.measured():
        if kind in PARENT_KINDS:
            continue  # measured by the grading process (grader/classgrade/job.py)
        grade_id = str(settings["grade_id"])
        measurer = MEASURERS.get(kind)
        try:
            if measurer is None:
                raise LookupError(f"no measurer for [{kind}] cells")
            out[grade_id] = measurer(assignment, exercise, settings, notebook)
        except Exception as exc:  # the harness failing reads as an error, never a pass
            name = "SpeedTestError" if kind == "speed" else "MeasurementError"
            out[grade_id] = [error_output(name, f"{type(exc).__name__}: {exc}")]
    return out


def main(argv: list[str] | None = None) -> int:
    _undumpable()  # first: before any student code exists in this sandbox
    from grader.golang import grading

    grading.take_hidden()  # read and deleted before any learner code runs in here
    trusted, notebook = (Path(a) for a in (sys.argv[1:] if argv is None else argv))
    result = verdicts(trusted, notebook)
    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


def parse(stdout: str) -> dict[str, Any] | None:
    """The verdicts printed by ``main``, or None when there are none (killed, garbled)."""
    from grader.sandbox.result import marked_json

    return marked_json(stdout, MARKER)


if __name__ == "__main__":
    sys.exit(main())
