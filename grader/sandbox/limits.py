"""Resource limits for one sandboxed run, and how to impose them with setrlimit.

The limits are applied with util-linux's ``prlimit`` *inside* the sandbox, after the
uid drop, so they bind the student's process tree and never the grader or bwrap's
own monitor process.  Every rlimit is per process (except RLIMIT_NPROC, which is
per real uid), so the wall-clock timeout in the runner is what bounds the whole run.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

GiB = 1024**3
MiB = 1024**2

# SIGXCPU arrives at the soft CPU limit and SIGKILL at the hard one.  A gap of a
# couple of seconds lets the recognisable SIGXCPU win, with SIGKILL as backstop for
# a process that ignores SIGXCPU.
_CPU_HARD_GRACE_SECONDS = 2


@dataclass(frozen=True)
class Limits:
    """Per-run resource limits; defaults suit a small teaching notebook.

    cpu_seconds: RLIMIT_CPU of each process (user+system time).
    memory_bytes: RLIMIT_AS (virtual address space) of each process.  Virtual, not
        resident: JIT compilers (numba/LLVM) and thread stacks reserve far more than
        they touch, so keep this generous (see the module README in __init__).
    max_processes: RLIMIT_NPROC, counted by the kernel per real uid *including
        threads*; the runner gives each concurrent run its own uid so runs do not
        share this budget.
    max_file_bytes: RLIMIT_FSIZE, the largest file a process may write.
    max_open_files: RLIMIT_NOFILE.
    output_bytes: cap on captured stdout and on captured stderr (each).
    tmp_bytes: size of the private tmpfs mounted on /tmp (and on /dev/shm); tmpfs
        lives in RAM, so without a cap /tmp writes would be an unbounded memory sink.
    kill_on_output_overflow: stop the run once output passes the cap, instead of
        draining (and discarding) a flood until the timeout.
    """

    cpu_seconds: int = 60
    memory_bytes: int = 4 * GiB
    max_processes: int = 64
    max_file_bytes: int = 256 * MiB
    max_open_files: int = 1024
    output_bytes: int = 1 * MiB
    tmp_bytes: int = 512 * MiB
    kill_on_output_overflow: bool = True

    def __post_init__(self) -> None:
        for name in (
            "cpu_seconds",
            "memory_bytes",
            "max_processes",
            "max_file_bytes",
            "max_open_files",
            "output_bytes",
            "tmp_bytes",
        ):
            value = getattr(self, name)
            # bool is an int subclass; reject it so Limits(cpu_seconds=True) is an error.
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive int, got {value!r}")


def rlimit_table(limits: Limits) -> list[tuple[int, str, int, int]]:
    """(resource, prlimit option name, soft, hard) for every limit we impose."""
    return [
        (
            resource.RLIMIT_CPU,
            "cpu",
            limits.cpu_seconds,
            limits.cpu_seconds + _CPU_HARD_GRACE_SECONDS,
        ),
        (resource.RLIMIT_AS, "as", limits.memory_bytes, limits.memory_bytes),
        (resource.RLIMIT_NPROC, "nproc", limits.max_processes, limits.max_processes),
        (resource.RLIMIT_FSIZE, "fsize", limits.max_file_bytes, limits.max_file_bytes),
        (resource.RLIMIT_NOFILE, "nofile", limits.max_open_files, limits.max_open_files),
        # No core files: a SIGXCPU/SIGSEGV core of a multi-GB process would land in a
        # writable directory and defeat max_file_bytes' intent.
        (resource.RLIMIT_CORE, "core", 0, 0),
    ]


def prlimit_argv(limits: Limits, prlimit: str = "/usr/bin/prlimit") -> list[str]:
    """argv prefix that sets the limits, then execs the command that follows it."""
    argv = [prlimit]
    for _res, name, soft, hard in rlimit_table(limits):
        argv.append(f"--{name}={soft}:{hard}")
    argv.append("--")
    return argv
