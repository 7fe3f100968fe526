"""Executing lesson notebooks top to bottom, as a learner would with "Run All"."""

from __future__ import annotations

from pathlib import Path

import nbformat

from grader.notebooks import read

LESSON_TIMEOUT = 600  # seconds per cell: lessons time loops at 10M elements


class LessonError(RuntimeError):
    """A lesson cell raised; the message names the cell and the error, not the traceback."""


def execute(path: Path, timeout: int = LESSON_TIMEOUT) -> nbformat.NotebookNode:
    """Run every cell of ``path`` in a fresh kernel from the lesson's own folder."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from grader.nbgrader_api import venv_on_path

    venv_on_path()
    notebook = read(path)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        first = str(exc).strip().splitlines()
        raise LessonError(f"{path}: a cell failed: {first[-1] if first else exc}") from None
    return notebook
