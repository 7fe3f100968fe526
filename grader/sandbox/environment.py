"""The environment variables a sandboxed process starts with.

Built from scratch, never inherited: the grader's environment can hold tokens and
paths (CI secrets, cloud credentials) that student code must not see.  Only a few
hardware workarounds are copied through.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# scratch_root is the private tmpfs /tmp under bwrap, or a fresh host directory owned
# by the sandbox uid in rlimits-only mode.  HOME and the Jupyter runtime dir live
# inside it and are created by the sandboxed process itself (see launcher.py), so they
# belong to the sandbox uid and can be 0700 as Jupyter expects.

# Copied from the host when set: on some CPUs OpenBLAS needs these to pick a kernel
# that does not crash or compute wrong results.  Not secrets.
_PASSTHROUGH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TZ")

# Thread pools size themselves by core count; every thread counts against
# RLIMIT_NPROC, so on a many-core grader an `import numpy` alone could exhaust the
# process limit.  Pin them low unless the caller asks otherwise.
_THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_MAX_THREADS",
    "NUMBA_NUM_THREADS",
)


def default_env(scratch_root: str, threads: int | None = None) -> dict[str, str]:
    n = str(threads if threads is not None else min(4, os.cpu_count() or 1))
    home = f"{scratch_root}/home"
    runtime = f"{scratch_root}/runtime"
    venv_bin = str(Path(sys.prefix) / "bin")
    env = {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "USER": "sandbox",
        "LOGNAME": "sandbox",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": scratch_root,
        "VIRTUAL_ENV": sys.prefix,
        "PYTHONDONTWRITEBYTECODE": "1",  # the venv is read-only anyway
        "PYTHONUNBUFFERED": "1",  # output reaches our capture even if killed
        # Jupyter writes kernel connection files and sockets here: must be writable.
        "JUPYTER_RUNTIME_DIR": runtime,
        "JUPYTER_DATA_DIR": f"{home}/.local/share/jupyter",
        "JUPYTER_CONFIG_DIR": f"{home}/.jupyter",
        "JUPYTER_PLATFORM_DIRS": "1",
        "IPYTHONDIR": f"{home}/.ipython",
        "XDG_RUNTIME_DIR": runtime,
        "XDG_CACHE_HOME": f"{home}/.cache",
        "XDG_CONFIG_HOME": f"{home}/.config",
        "XDG_DATA_HOME": f"{home}/.local/share",
        "MPLCONFIGDIR": f"{home}/.config/matplotlib",
        "MPLBACKEND": "Agg",  # no display in the sandbox
        "NUMBA_CACHE_DIR": f"{scratch_root}/numba-cache",
        # glibc reserves a 64 MiB malloc arena per thread: address space, not RAM,
        # but RLIMIT_AS counts it.  A Jupyter kernel that jits with numba has ~14
        # threads; measured here its VmPeak drops from ~1.15 GiB to ~0.54 GiB with
        # this, so memory_bytes limits what the code really uses.
        "MALLOC_ARENA_MAX": "2",
    }
    for var in _THREAD_VARS:
        env[var] = n
    for var in _PASSTHROUGH:
        if var in os.environ:
            env[var] = os.environ[var]
    return env


def build_env(extra: dict[str, str] | None, scratch_root: str) -> dict[str, str]:
    """Defaults overlaid with the caller's variables (the caller wins)."""
    env = default_env(scratch_root)
    if extra:
        env.update(extra)
    return env
