"""``python -m grader autograde``: a class graded by nbgrader, sandboxed, in parallel.

nbgrader is the engine and the gradebook its own; this package adds what stock
``nbgrader autograde`` lacks: parallel runs (nbgrader #174), student code sandboxed away
from solutions, gradebook and classmates, grade cells that a kernel cannot fake, no points
for a dead kernel (#427), feedback without hidden tests (#917), resumable runs.

Per submission, in this order (one module per step):

1. ``sanitize`` (parent): read; wrong-language kernel, bad JSON or unrepairable cells are a
   per-submission error; nbgrader's sanitize preprocessors with ``add_missing_cells``;
   cell roles for the verifier, trusted sources taken from the gradebook.
2. ``job`` (thread or dask worker; student code only inside ``grader.sandbox``):
   ``verify`` runs the grade cells out of process against the sandboxed ``worker``, and
   ``capture`` records every cell's outputs on the way (the executed notebook);
   ``speedcheck`` decides measured cells (speed, SIMD, allocations...) in a sandbox of
   their own. No Jupyter kernel runs the learner's notebook for grading.
3. ``journal`` (parent): the result is saved before anything is written.
4. ``gradebook`` (parent, one at a time): outputs merged onto the parent's copy, verifier
   verdicts and measured verdicts applied (``engine.finish``), nbgrader's remaining
   autograde preprocessors, one transaction; a score outside [0, max] is never written.
5. ``feedback`` (parent): nbgrader's generate_feedback with hidden tests redacted.

A grade cell scores only if it passes in the verifier, a measured cell only if its
measurement passes; nothing the learner's process says is a verdict. Steps 1, 2 and 4 are
``engine.py``: stock ``nbgrader autograde`` and ``python -m grader grade`` run the same
engine through ``grader.nbgrader_ext.SandboxedGrading``. The trust boundary, written down:
grader/TRUST.md.
"""

from typing import Any

__all__ = ["CourseError", "Options", "Outcome", "autograde_class", "summarize"]
_HOMES = {"CourseError": "course", "Options": "batch", "Outcome": "batch",
          "autograde_class": "batch", "summarize": "report"}


def __getattr__(name: str) -> Any:
    # Lazy: the sandboxed entry points (execute, worker) live in this package and must not
    # pay for importing nbgrader and nbconvert at start-up.
    if name not in _HOMES:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(f"grader.classgrade.{_HOMES[name]}"), name)
