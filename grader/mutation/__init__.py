"""Mutation testing of a learner's tests (chapter 03): how many small bugs do they catch?

    from grader.mutation import Subject, generate, run_mutation
    report = run_mutation(tests_source, subject, generate(subject.source, subject.functions))

``mutants`` makes the mutants of a trusted module, ``engine`` runs the tests against the
original and each mutant in fresh sandboxes (``runner`` inside, ``oracle`` answering the
calls outside), ``report`` scores and shows the result, ``grading`` turns it into grade
cells (the grading engine's ``mutation`` phase) and ``check()`` rows in a kernel.
Imports here are lazy: the sandboxed runner imports this package too.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Mutant", "MutationReport", "Subject", "generate", "run_mutation"]


def __getattr__(name: str) -> Any:
    if name in ("Mutant", "generate"):
        from grader.mutation import mutants

        return getattr(mutants, name)
    if name in ("Subject", "run_mutation"):
        from grader.mutation import engine

        return getattr(engine, name)
    if name == "MutationReport":
        from grader.mutation.report import MutationReport

        return MutationReport
    raise AttributeError(name)
