"""Feedback HTML per student through nbgrader's own ``generate_feedback``, minus the leaks.

Stock nbgrader 0.9.6 renders the autograded notebook as is, so hidden tests reach students
in three places (nbgrader #917): the grade cells' source, the tracebacks (IPython prints the
failing test lines), and anything the student's code printed about its caller (a function
can print ``inspect.stack()``). The feedback pipeline here is nbgrader's with two steps
added, in this order:

    GetGrades -> RedactHiddenTests -> ClearHiddenTests -> CSSHTMLHeaderPreprocessor

``RedactHiddenTests`` (grader/nbgrader_ext.py; needs the hidden source, so it runs before
ClearHiddenTests) cuts every grade cell's tracebacks down to their last line and replaces
any hidden-test line that appears in any output with ``[hidden test]``. The same list in
nbgrader_config.py (``c.GenerateFeedback.preprocessors``) makes stock ``nbgrader
generate_feedback`` safe too.
"""

from __future__ import annotations

from typing import Any

from grader.nbgrader_ext import REDACTED, RedactHiddenTests

__all__ = ["REDACTED", "RedactHiddenTests", "feedback_config", "generate_feedback"]

def feedback_config(config: Any) -> Any:
    """``config`` with the leak-free feedback pipeline."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import ClearHiddenTests, GetGrades
    from traitlets.config import Config

    merged = Config()
    merged.merge(config)
    merged.GenerateFeedback.preprocessors = [GetGrades, RedactHiddenTests, ClearHiddenTests,
                                             CSSHTMLHeaderPreprocessor]
    return merged


def generate_feedback(course: Any, students: list[str]) -> dict[str, str]:
    """Feedback HTML for ``students``; student -> error message for those that failed."""
    import logging

    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = feedback_config(course.config)
    coursedir = CourseDirectory(config=config)
    coursedir.db_url = course.db_url
    api = NbGraderAPI(coursedir=coursedir, config=config)
    api.log.setLevel(logging.ERROR)
    failures: dict[str, str] = {}
    for student in students:
        result = api.generate_feedback(course.assignment, student, force=True)
        if not result.get("success"):
            failures[student] = (result.get("error") or result.get("log") or "")[-500:]
    return failures
