"""The grading engine every path shares: one submission in, the graded notebook out.

``python -m grader autograde`` (grader/classgrade/batch.py), stock ``nbgrader autograde``
with this course's config and ``python -m grader grade`` (both through
``grader.nbgrader_ext.SandboxedGrading``, which takes the place of nbgrader's Execute) all
grade a notebook with these functions, so they give the same points:

1. ``job_options``: the limits of the sandboxed runs (the course's cell timeout);
2. ``grader.classgrade.sanitize.build_spec`` then ``grader.classgrade.job.run_job``: the
   learner's code runs only in the sandbox, grade cells run in the trusted verifier,
   measured cells (speed, SIMD...) in the sandboxed measurement;
3. ``finish``: outputs merged onto the caller's own sanitized copy, verdicts applied. What
   nbgrader's remaining autograde steps then score is decided here, never by the kernel.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode

from grader.classgrade import gradebook
from grader.classgrade.course import Course
from grader.classgrade.job import JobResult
from grader.sandbox import GiB, Limits, MiB

DEFAULT_TIMEOUT = 900.0  # wall seconds per sandboxed run of one submission
DEFAULT_MEMORY = 4 * GiB


def job_options(course: Course, *, timeout: float = DEFAULT_TIMEOUT,
                memory_bytes: int = DEFAULT_MEMORY,
                cell_timeout: int | None = None) -> dict[str, Any]:
    """``build_spec`` keyword arguments: sandbox limits and the cell timeout (the course's
    ``Execute.timeout`` unless given; nbgrader's default is 30 s)."""
    if not cell_timeout:
        cell_timeout = int(course.config.Execute.get("timeout", 30) or 30)
    limits = Limits(cpu_seconds=max(1, int(timeout)), memory_bytes=memory_bytes,
                    max_file_bytes=64 * MiB)
    return {"cell_timeout": int(cell_timeout), "timeout": float(timeout), "limits": limits}


def finish(course: Course, nb: NotebookNode, result: JobResult
           ) -> tuple[NotebookNode, list[str]]:
    """``nb`` (the caller's sanitized copy) with the job's outputs and verdicts, and the
    problems to report. Only outputs cross from the untrusted side (``gradebook.merge``)."""
    graded, problems = gradebook.merge(nb, result.executed)
    gradebook.apply_verdicts(graded, result.verdicts, result.speed, course.speed_ids)
    return graded, list(dict.fromkeys(result.problems + problems))
