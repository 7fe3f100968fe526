"""Feedback HTML per student through nbgrader's own ``generate_feedback``, minus the leaks.

Stock nbgrader 0.9.6 renders the autograded notebook as is, so hidden tests reach students
in three places (nbgrader #917): the grade cells' source, the tracebacks (IPython prints the
failing test lines), and anything the student's code printed about its caller (a function
can print ``inspect.stack()``). The feedback pipeline here is nbgrader's with two steps
added, in this order:

    GetGrades -> RedactHiddenTests -> ClearHiddenTests -> CSSHTMLHeaderPreprocessor

``RedactHiddenTests`` (needs the hidden source, so it runs before ClearHiddenTests) cuts
every grade cell's tracebacks down to their last line and replaces any hidden-test line that
appears in any output with ``[hidden test]``. The same list in nbgrader_config.py
(``c.GenerateFeedback.preprocessors``) makes stock ``nbgrader generate_feedback`` safe too.
"""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor

from grader.notebooks import block_lines

REDACTED = "[hidden test]"
_MIN_LINE = 6  # shorter lines (")", "else:") carry no test and would shred real output


def _hidden_lines(nb: Any) -> list[str]:
    lines: set[str] = set()
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            lines |= {s.strip() for s in block_lines(cell.source, "hidden")
                      if len(s.strip()) >= _MIN_LINE}
    return sorted(lines, key=len, reverse=True)  # longest first: no partial leftovers


def _redact(text: str, hidden: list[str]) -> str:
    for line in hidden:
        if line in text:
            text = text.replace(line, REDACTED)
    return text


class RedactHiddenTests(Preprocessor):
    """Tracebacks of grade cells shortened; hidden-test lines removed from all outputs."""

    enabled = True

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        hidden = _hidden_lines(nb)
        for cell in nb.cells:
            grade = cell.get("metadata", {}).get("nbgrader", {}).get("grade")
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    if grade:
                        out["traceback"] = [f"{out.get('ename', '')}: {out.get('evalue', '')}"]
                    out["evalue"] = _redact(str(out.get("evalue", "")), hidden)
                    out["traceback"] = [_redact(str(t), hidden) for t in out["traceback"]]
                if "text" in out:
                    text = out["text"]
                    out["text"] = _redact("".join(text) if isinstance(text, list) else text,
                                          hidden)
                for mime, value in list(out.get("data", {}).items()):
                    if isinstance(value, str | list) and not mime.startswith("image/"):
                        text = "".join(value) if isinstance(value, list) else value
                        out["data"][mime] = _redact(text, hidden)
        return nb, resources


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
