"""Parent side, before any student code runs: read, check and sanitize one submission.

The order is nbgrader's ``Autograde.sanitize_preprocessors`` (ClearOutput, DeduplicateIds,
OverwriteKernelspec, OverwriteCells, CheckCellMetadata), with ``add_missing_cells`` on so
deleted test cells come back from the gradebook. Then the cells are given roles for the
verifier: only cells whose source the gradebook restored (locked cells) are trusted, and
their trusted source is taken from the gradebook, never from the submission's metadata.
"""

from __future__ import annotations

import copy
from typing import Any

import nbformat
from nbformat import NotebookNode

from grader.classgrade.course import Course
from grader.classgrade.job import JobSpec


class SubmissionError(ValueError):
    """This submission cannot be graded (unreadable, wrong kernel, cells beyond repair);
    the message says why in one line, for the report."""


def read_submission(course: Course, student: str) -> NotebookNode:
    path = course.submitted_dir(student) / f"{course.notebook.name}.ipynb"
    if not path.is_file():
        raise SubmissionError(f"no {path.name} in the submission")
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8", errors="replace"), as_version=4)
    except Exception as exc:  # nbformat raises JSON, validation and version errors alike
        raise SubmissionError(f"{path.name} is not a readable notebook "
                              f"({type(exc).__name__}: {str(exc)[:200]})") from None
    if not isinstance(nb.get("cells"), list):
        raise SubmissionError(f"{path.name} has no cells")
    _check_kernel(course, nb)
    return nb


def _check_kernel(course: Course, nb: NotebookNode) -> None:
    """Another language's kernel is an error; another Python kernel name is not (nbgrader
    overwrites the kernelspec with the source's, and so do we)."""
    wanted = course.notebook.kernelspec.get("language")
    spec = nb.get("metadata", {}).get("kernelspec") or {}
    language = spec.get("language") or nb.get("metadata", {}).get("language_info", {}).get("name")
    if wanted and language and str(language).lower() != str(wanted).lower():
        raise SubmissionError(f"written for a {language} kernel ({spec.get('name', '?')}); "
                              f"this assignment runs on {wanted} "
                              f"({course.notebook.kernelspec.get('name')})")


def resources(course: Course, student: str) -> dict[str, Any]:
    return {"nbgrader": {"notebook": course.notebook.name, "assignment": course.assignment,
                         "student": student, "db_url": course.db_url}}


def sanitize(course: Course, student: str, nb: NotebookNode) -> NotebookNode:
    """nbgrader's sanitize pipeline on ``nb``; SubmissionError when it cannot be repaired."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        OverwriteCells,
        OverwriteKernelspec,
    )

    present = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells}
    lost = sorted(course.notebook.solution_ids - present)
    if lost:  # an answer cell cannot be restored: there is no answer to restore
        raise SubmissionError(f"cells missing from the notebook: {', '.join(lost)} (answer "
                              "cells cannot be restored; only test cells can)")
    res = resources(course, student)
    pipeline = [ClearOutput(config=course.config), DeduplicateIds(config=course.config),
                OverwriteKernelspec(config=course.config),
                OverwriteCells(config=course.config, add_missing_cells=True),
                CheckCellMetadata(config=course.config)]
    try:
        for pp in pipeline:
            nb, res = pp(nb, res)
    except Exception as exc:  # nbgrader raises KeyError, ValueError, schema errors...
        raise SubmissionError(f"nbgrader could not restore the notebook's cells "
                              f"({type(exc).__name__}: {str(exc)[:200]})") from None
    present = {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells}
    missing = sorted(set(course.notebook.grade_cells) - present)
    if missing:
        raise SubmissionError(f"grade cells missing and not restorable: {', '.join(missing)}")
    return nb


def roles(course: Course, nb: NotebookNode) -> list[dict[str, Any]]:
    """The verifier's view of the cells, with trusted sources from the gradebook."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        trusted = gid in course.notebook.locked and gid not in seen
        if trusted and gid not in course.notebook.solution_ids:
            seen.add(gid)
            role = ("speed" if gid in course.speed_ids else
                    "grade" if gid in course.notebook.grade_cells else "locked")
            out.append({"role": role, "index": index, "grade_id": gid,
                        "source": course.notebook.locked[gid]})
        else:  # template cells like check("normalize") too: quick under autograde (check()
            # leaves testing to the grade cells), and their output belongs in the feedback
            out.append({"role": "student", "index": index})
    return out


def build_spec(course: Course, student: str, nb: NotebookNode, **options: Any) -> JobSpec:
    """The job for one sanitized submission (files as nbgrader's autograded folder has them:
    the submitted files, overwritten by the source's)."""
    cells = roles(course, nb)
    worker_nb = copy.deepcopy(nb)
    for cell in cells:
        if cell["role"] in ("grade", "speed"):
            worker_nb.cells[cell["index"]].source = ""  # hidden tests never reach the worker
    try:
        files = course.graded_files(student)
    except (OSError, ValueError) as exc:
        raise SubmissionError(str(exc)) from None
    builds = any(word in cell.get("source", "") for cell in cells
                 for word in ("build(", "build_and_import("))
    return JobSpec(student=student, notebook_name=f"{course.notebook.name}.ipynb",
                   native_worker=builds,
                   notebook=nbformat.writes(nb), worker_notebook=nbformat.writes(worker_nb),
                   verify_spec={"cells": cells}, files=files,
                   trusted_files=course.trusted_files,
                   speed_ids=sorted(course.speed_ids), toolchains=course.toolchains,
                   mutation_ids=sorted(course.mutation_ids),
                   **options)


def prepare(course: Course, student: str, **options: Any) -> tuple[NotebookNode, JobSpec]:
    """Read, sanitize and package one submission; SubmissionError if it cannot be graded."""
    nb = sanitize(course, student, read_submission(course, student))
    return nb, build_spec(course, student, nb, **options)
