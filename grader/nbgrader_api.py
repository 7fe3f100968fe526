"""A thin door into nbgrader's own Python API, configured from the course's nbgrader_config.py.

Everything that generates or grades goes through here, so ``python -m grader`` and stock
``nbgrader`` commands share one configuration and give the same results.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from grader.paths import CONFIG_NAME


class NbgraderError(RuntimeError):
    """An nbgrader step failed; the message carries nbgrader's own log lines."""


def load_config(root: Path, **overrides: Any) -> Any:
    """The course's nbgrader config plus ``CourseDirectory`` overrides (root, db_url, ...)."""
    from traitlets.config import Config, PyFileConfigLoader

    config = Config()
    if (root / CONFIG_NAME).is_file():
        config.merge(PyFileConfigLoader(CONFIG_NAME, path=str(root)).load_config())
    config.CourseDirectory.root = str(root)
    for key, value in overrides.items():
        setattr(config.CourseDirectory, key, value)
    return config


def make_api(root: Path, **overrides: Any) -> Any:
    """An ``NbGraderAPI`` for the course at ``root`` with quiet logging."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    venv_on_path()
    config = load_config(root, **overrides)
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    api.log.setLevel(logging.ERROR)
    return api


def checked(result: dict[str, Any], step: str) -> dict[str, Any]:
    """Raise NbgraderError with nbgrader's log when ``result`` says the step failed."""
    if not result.get("success"):
        log = (result.get("log") or "").strip().splitlines()[-15:]
        error = (result.get("error") or "").strip().splitlines()[-5:]
        raise NbgraderError(f"nbgrader {step} failed:\n" + "\n".join(log + error))
    return result


def venv_on_path() -> None:
    """nbgrader's gradebook shells out to the ``alembic`` script and starts kernels by name;
    both must come from this interpreter's environment even when it was not activated."""
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in path:
        os.environ["PATH"] = os.pathsep.join([bindir, *path])
