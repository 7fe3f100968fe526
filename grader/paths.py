"""Where things live: the course root, its assignments and the project-local caches.

The course root is the nearest folder (from the current directory upwards) that holds
``nbgrader_config.py``. A learner who only received a released assignment folder has no
such file; then the assignment folder itself is the root, so progress is still kept.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CONFIG_NAME = "nbgrader_config.py"
METADATA_NAME = "assignment.toml"
SOURCE_DIR = "solutions"
RELEASE_DIR = "exercises"
LESSON_DIR = "course"


def find_course_root(start: Path | None = None) -> Path | None:
    """Return the nearest ancestor of ``start`` (default: cwd) holding nbgrader_config.py."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def package_course_root() -> Path | None:
    """The course this installed package was checked out with (editable installs)."""
    candidate = Path(__file__).resolve().parent.parent
    return candidate if (candidate / CONFIG_NAME).is_file() else None


def course_root(start: Path | None = None) -> Path:
    """The course root, or raise FileNotFoundError saying where we looked."""
    root = find_course_root(start) or package_course_root()
    if root is None:
        raise FileNotFoundError(
            f"no {CONFIG_NAME} found in {Path.cwd()} or its parents: "
            "run this from inside the workbook folder"
        )
    return root


def cache_dir(root: Path, *parts: str) -> Path:
    """A folder under the project's ignored ``.cache/`` (created on demand)."""
    path = root.joinpath(".cache", *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def state_file(start: Path | None = None) -> Path:
    """The learner's progress file: ``.cache/grader/progress.json`` under the course root."""
    root = find_course_root(start) or (start or Path.cwd()).resolve()
    override = os.environ.get("GRADER_STATE_FILE")
    return Path(override) if override else root / ".cache" / "grader" / "progress.json"


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (created with its folder): one process at
    a time in a shared cache (a crate's target dir, a dependency store, a test fixture)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
