"""The outcome of one sandboxed run, and how we tell why a run ended badly."""

from __future__ import annotations

import signal
from dataclasses import dataclass, field
from typing import Any, Literal

SandboxKind = Literal["bubblewrap", "rlimits-only"]
KilledBy = Literal["timeout", "output", "cpu", "memory", "file_size", "signal"]

# Text that a process prints when an allocation fails under RLIMIT_AS.  We can only
# recognise memory exhaustion this way: RLIMIT_AS makes malloc/mmap fail (no signal),
# and Python turns that into MemoryError, C++ into bad_alloc, LLVM into "out of memory".
_MEMORY_MARKERS = (
    "MemoryError",
    "Cannot allocate memory",
    "std::bad_alloc",
    "out of memory",
    "Unable to allocate",  # numpy's message for a failed array allocation
)


@dataclass
class SandboxResult:
    """What happened.  returncode follows subprocess: -N means killed by signal N."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    killed_by: KilledBy | None
    wall_seconds: float
    sandbox_kind: SandboxKind
    warnings: list[str] = field(default_factory=list)
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    # The full argv that was executed (bwrap ... -- setpriv ... -- prlimit ... -- argv),
    # kept for audit logs and for reproducing a run by hand.
    command: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.killed_by is None


def normalize_returncode(raw: int, *, via_bwrap: bool) -> int:
    """Map bwrap's shell-style 128+N for "killed by signal N" to subprocess's -N.

    bwrap reports its pid-2 child's status the way a shell does.  Normalising makes
    both sandbox kinds report signals identically.  A real exit(129..159) from the
    student is indistinguishable and is read as a signal too; Python code practically
    never exits with those codes, so this is the lesser evil.
    """
    if via_bwrap and 128 < raw < 128 + signal.NSIG:
        return -(raw - 128)
    return raw


def classify(
    returncode: int,
    stderr: str,
    *,
    timed_out: bool,
    output_overflow: bool,
) -> KilledBy | None:
    """Best-effort reason a run was stopped, or None for an ordinary exit."""
    if timed_out:
        return "timeout"
    if output_overflow:
        return "output"
    if returncode == -signal.SIGXCPU:
        return "cpu"
    if returncode == -signal.SIGXFSZ:
        return "file_size"
    if returncode != 0:
        # Only the tail matters: the final traceback names the fatal error, while a
        # MemoryError caught and printed earlier in a long log should not count.
        tail = stderr[-4000:]
        if any(marker in tail for marker in _MEMORY_MARKERS):
            return "memory"
        if "File too large" in tail:  # EFBIG: Python ignores SIGXFSZ and raises OSError
            return "file_size"
    if returncode < 0:
        return "signal"
    return None


def marked_json(stdout: str, marker: str) -> dict[str, Any] | None:
    """The JSON object on the last line of ``stdout`` that starts with ``marker`` (how a
    sandboxed program reports to the process that started it), or None when there is none
    or it is not a JSON object: the run was killed, or garbled its output."""
    import json

    for line in reversed(stdout.splitlines()):
        if line.startswith(marker):
            try:
                data = json.loads(line[len(marker):])
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
    return None
