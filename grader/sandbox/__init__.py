"""Run untrusted student code (typically a notebook execution) in a sandbox.

    result = run_sandboxed(
        [sys.executable, "-m", "grader.something", "nb.ipynb"],
        workdir=submission_dir, readable=[course_release_dir], writable=[submission_dir],
        limits=Limits(cpu_seconds=120, memory_bytes=8 * GiB), env=None, timeout=300,
    )

With bubblewrap (``sandbox_kind == "bubblewrap"``) the code sees only: /usr (and the
/bin, /lib* links), a handful of /etc files, the grader's Python (venv and base
install, read-only), ``readable`` (read-only), ``writable`` (read-write), a private
size-capped tmpfs /tmp and /dev/shm, a fresh /proc and a minimal /dev.  It has no
network (own net namespace with only loopback), its own pid namespace, a seccomp
filter (no new namespaces, keyrings, bpf, io_uring), and runs as an unprivileged uid
with setrlimit limits.  The wall timeout kills everything it started.

Without a working bwrap the run degrades to ``"rlimits-only"`` (limits, dropped uid,
no isolation) and says so loudly in ``result.warnings``; it refuses instead when the
dropped uid could not even reach the interpreter (pyenv under a 0700 /root) rather
than run untrusted code as root.  GRADER_SANDBOX_KIND=bubblewrap forbids degrading.

Memory: ``Limits.memory_bytes`` is RLIMIT_AS, i.e. *virtual* address space per
process, not RAM, and each process gets the whole amount (worst case total:
max_processes x memory_bytes).  Thread stacks and malloc arenas reserve far more than
they touch; the sandbox sets MALLOC_ARENA_MAX=2, with which a Jupyter kernel that
jits with numba peaks at ~0.54 GiB virtual (~1.15 GiB without it; measured on
Python 3.11, numba 0.68).  Measure a representative notebook before lowering the
4 GiB default.

Modules: limits (Limits, prlimit argv), identity (per-run uid, chown hand-over),
layout (what of the filesystem is visible), environment (clean env vars), launcher
(setpriv/prlimit chain), seccomp (the BPF filter), bwrap (command line, self-test),
capture (capped pipes, deadline), result (SandboxResult, kill classification),
runner (run_sandboxed).
"""

from .bwrap import probe_bwrap
from .limits import GiB, Limits, MiB
from .result import KilledBy, SandboxKind, SandboxResult
from .runner import KIND_ENV, SandboxUnavailable, choose_kind, run_sandboxed

__all__ = [
    "GiB",
    "KIND_ENV",
    "KilledBy",
    "Limits",
    "MiB",
    "SandboxKind",
    "SandboxResult",
    "SandboxUnavailable",
    "choose_kind",
    "probe_bwrap",
    "run_sandboxed",
]
