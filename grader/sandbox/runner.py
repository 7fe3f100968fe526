"""run_sandboxed: pick the strongest sandbox available, run, report what happened."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from .bwrap import build_command, probe_bwrap
from .capture import pump
from .environment import build_env
from .identity import Identity, claim_identity, hand_back, hand_over, kill_all_processes_of
from .launcher import find_tool, inner_argv, untraversable_dir
from .layout import user_binds
from .limits import Limits
from .result import SandboxKind, SandboxResult, classify, normalize_returncode

log = logging.getLogger(__name__)

# "auto" (default): bubblewrap if its self-test passes, else rlimits-only with a warning.
# "bubblewrap": refuse to run without it (set this in production/CI).
# "rlimits-only": skip bwrap (used by tests of the fallback path).
KIND_ENV = "GRADER_SANDBOX_KIND"
_REAP_SECONDS = 5.0


class SandboxUnavailable(RuntimeError):
    """GRADER_SANDBOX_KIND=bubblewrap was requested but bwrap does not work here."""


def choose_kind() -> tuple[SandboxKind, list[str]]:
    wanted = os.environ.get(KIND_ENV, "auto").strip().lower()
    if wanted == "rlimits-only":
        return "rlimits-only", [f"{KIND_ENV}=rlimits-only: bubblewrap deliberately not used"]
    probe = probe_bwrap()
    if probe.ok:
        return "bubblewrap", []
    if wanted == "bubblewrap":
        raise SandboxUnavailable(probe.detail)
    msg = (
        "SANDBOX DEGRADED to rlimits-only: "
        f"{probe.detail}. Student code runs with resource limits and (as root) a "
        "dropped uid, but WITHOUT filesystem or network isolation: it can read every "
        "world-readable file and reach the network. Install bubblewrap "
        "(scripts/install-system-deps.sh)."
    )
    log.warning(msg)
    return "rlimits-only", [msg]


def run_sandboxed(
    argv: list[str],
    *,
    workdir: Path,
    readable: list[Path],
    writable: list[Path],
    limits: Limits,
    env: dict[str, str] | None,
    timeout: float,
    pass_fds: tuple[int, ...] = (),
) -> SandboxResult:
    """Run argv as untrusted code.  See grader/sandbox/__init__.py for the contract.

    env is added to a clean default environment (the grader's own is never passed on).
    Writable trees are chowned to the sandbox uid for the run and back afterwards.
    ``pass_fds``: open descriptors the code inherits under the same numbers (a socket to a
    trusted process that answers it, grader/mutation); nothing else of ours is inherited.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    kind, warnings = choose_kind()
    binds, bind_warnings = user_binds(readable, writable, workdir)
    warnings += bind_warnings
    writable_roots = [b.src for b in binds if b.writable]
    root = os.geteuid() == 0
    with contextlib.ExitStack() as stack:
        ident = stack.enter_context(claim_identity()) if root else None
        if ident is not None:
            owners = hand_over(writable_roots, ident)
            stack.callback(hand_back, owners)
            # Callbacks run last-in first-out: this sweep runs *before* hand_back, so
            # no sandbox process (e.g. one still dying after bwrap exited) can race
            # the chown walk by swapping a file for a symlink.
            stack.callback(kill_all_processes_of, ident)
        if kind == "bubblewrap":
            cmd = build_command(
                argv, chdir=Path(os.path.abspath(workdir)), binds=binds, limits=limits,
                env=env, identity=ident, bwrap=find_tool("bwrap") or "bwrap",
            )  # fmt: skip
            stack.callback(cmd.close)
            warnings += cmd.warnings
            return _execute(
                cmd.argv, pass_fds=(*cmd.pass_fds, *pass_fds), cwd=None, popen_env={}, ident=ident,
                limits=limits, timeout=timeout, kind=kind, warnings=warnings,
            )  # fmt: skip
        if ident is None:
            warnings.append("not root: rlimits-only runs as the caller's own uid")
        scratch = stack.enter_context(_scratch_dir(ident))
        popen_env = build_env(env, str(scratch))
        blocked = untraversable_dir(argv[0], popen_env["PATH"]) if ident else None
        if blocked is not None:
            # The alternative, running it as root, would be no sandbox at all.
            raise SandboxUnavailable(
                f"rlimits-only fallback cannot run {argv[0]} as the sandbox uid: "
                f"{blocked} is not searchable by other users. Refusing to run untrusted "
                "code as root; install bubblewrap (scripts/install-system-deps.sh)."
            )
        full = inner_argv(argv, identity=ident, limits=limits, pdeathsig=True)
        return _execute(
            full, pass_fds=tuple(pass_fds), cwd=workdir, popen_env=popen_env,
            ident=ident, limits=limits, timeout=timeout, kind=kind, warnings=warnings,
        )  # fmt: skip
    raise AssertionError("unreachable")  # pragma: no cover  (ExitStack swallows nothing)


@contextlib.contextmanager
def _scratch_dir(ident: Identity | None) -> Iterator[Path]:
    """rlimits-only stand-in for bwrap's private /tmp: a fresh 0700 dir of the uid."""
    path = Path(tempfile.mkdtemp(prefix="grader-sandbox-"))
    try:
        if ident is not None:
            os.chown(path, ident.uid, ident.gid)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _execute(
    full_argv: list[str],
    *,
    pass_fds: tuple[int, ...],
    cwd: Path | None,
    popen_env: dict[str, str],
    ident: Identity | None,
    limits: Limits,
    timeout: float,
    kind: SandboxKind,
    warnings: list[str],
) -> SandboxResult:
    start = time.monotonic()
    proc = subprocess.Popen(
        full_argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=popen_env,
        pass_fds=pass_fds,
        # Own process group: one killpg reaches bwrap (or the rlimits-only child) and
        # whatever stayed in its group, never the grader.
        start_new_session=True,
    )

    def kill() -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if ident is not None:
            # Reaches processes that left the group (setsid) or hide in the pid
            # namespace: everything running as this run's uid.
            kill_all_processes_of(ident)

    captured = pump(
        proc, deadline=start + timeout, cap=limits.output_bytes, kill=kill,
        kill_on_overflow=limits.kill_on_output_overflow,
    )  # fmt: skip
    timed_out = captured.timed_out
    try:
        # Pipes can close before exit (the code closed fds 1 and 2); keep the deadline.
        if timed_out or captured.overflow:
            wait_for = _REAP_SECONDS  # already killed: only reaping is left
        else:
            wait_for = max(0.0, start + timeout - time.monotonic())
        raw = proc.wait(timeout=wait_for)
    except subprocess.TimeoutExpired:
        timed_out = True
        kill()
        raw = proc.wait(timeout=_REAP_SECONDS)
    finally:
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    wall = time.monotonic() - start
    rc = normalize_returncode(raw, via_bwrap=kind == "bubblewrap")
    stderr = captured.stderr.decode(errors="replace")
    return SandboxResult(
        returncode=rc,
        stdout=captured.stdout.decode(errors="replace"),
        stderr=stderr,
        timed_out=timed_out,
        killed_by=classify(rc, stderr, timed_out=timed_out, output_overflow=captured.overflow),
        wall_seconds=wall,
        sandbox_kind=kind,
        warnings=warnings,
        stdout_truncated=captured.stdout_truncated,
        stderr_truncated=captured.stderr_truncated,
        command=full_argv,
    )
