"""Where workers run and with which environment.

Kept separate from ``grader.paths`` on purpose: the measurement engine must work from a
bare checkout (no nbgrader course yet), so the root is the folder holding pyproject.toml.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Every threading runtime a candidate might pull in: one thread each, so a timing compares
# algorithms on one core instead of how many idle cores happened to be free (CPU time is
# summed over threads anyway, so extra threads could only add overhead).
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "BLIS_NUM_THREADS",
)


def project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` (default: this package) with pyproject.toml.

    Falls back to the current directory when there is none (an installed copy).
    """
    here = (start or Path(__file__)).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return Path.cwd().resolve()


def cache_dir(*parts: str) -> Path:
    """A folder under the project's ignored ``.cache/`` (created on demand)."""
    path = project_root().joinpath(".cache", *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def worker_env() -> dict[str, str]:
    """The environment of a worker process: ours, single-threaded, with our import path."""
    env = dict(os.environ)
    for name in THREAD_VARIABLES:
        env[name] = "1"
    env["NUMBA_CACHE_DIR"] = str(cache_dir("numba"))
    # The worker runs `python -m grader.speed.worker`; make sure this checkout's `grader`
    # wins even when the parent was started from elsewhere (a notebook folder).
    package_parent = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(
        [package_parent, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    env.pop("PYTHONSTARTUP", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def python_executable() -> str:
    """The interpreter for workers: the one running us (the kernel's venv)."""
    return sys.executable
