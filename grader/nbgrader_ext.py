"""nbgrader preprocessors of this course, named in nbgrader_config.py.

``SandboxedGrading`` takes the place of nbgrader's ``Execute`` in autograde. Stock Execute
runs the learner's notebook in an ordinary kernel with the grader's rights (it can read
solutions/ and the gradebook, reach the network) and scores whatever that kernel reports.
This step hands the notebook to the course's grading engine instead (grader/classgrade/
engine.py, the one ``python -m grader autograde`` uses): the learner's cells run only in
``grader.sandbox``, every grade cell's verdict is decided in a process that never ran
learner code, and the outputs written here are what SaveAutoGrades scores. So stock
``nbgrader autograde``, ``python -m grader grade`` and ``python -m grader autograde`` give
the same points. Ordering rule: after nbgrader's sanitize steps (it needs the restored test
cells), before IgnorePattern/LimitOutput/SaveAutoGrades (they read the outputs it writes).

``RedactHiddenTests`` is for ``generate_feedback``: stock nbgrader 0.9.6 shows hidden tests
to students in tracebacks and printed output (nbgrader #917). Ordering rule: after GetGrades,
before ClearHiddenTests (it needs the hidden source to know what to cut).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Integer

from grader.notebooks import block_lines

# (submitted folder, assignment, student) -> the engine's problems with that submission (a
# dead kernel, a sandbox stop), for a caller in this process: `python -m grader grade`.
REPORTED: dict[tuple[str, str, str], list[str]] = {}


class GradingFailed(RuntimeError):
    """The engine could not grade this submission (no sandbox, a broken toolchain...):
    nbgrader reports it as a failed autograde, never as a score."""


class SandboxedGrading(NbGraderPreprocessor):
    """Grade the notebook with the course's sandboxed engine instead of a trusted kernel."""

    timeout = Float(900.0, help="Wall seconds per sandboxed run of one submission").tag(
        config=True)
    memory_bytes = Integer(4 << 30, help="Address space per sandboxed process").tag(
        config=True)

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        from grader.classgrade import engine
        from grader.classgrade.course import CourseError, open_course
        from grader.classgrade.job import run_job
        from grader.classgrade.sanitize import SubmissionError, build_spec, sanitize

        ids = resources.get("nbgrader", {})
        assignment, student = ids.get("assignment"), ids.get("student")
        if not assignment or not student:
            raise GradingFailed("SandboxedGrading runs inside nbgrader autograde only")
        root = Path(self.config.CourseDirectory.get("root") or ".").resolve()
        try:
            course = open_course(root, assignment, ids.get("db_url"), config=self.config)
            nb = sanitize(course, student, nb)  # add_missing_cells, as the class path does
            spec = build_spec(course, student, nb, **engine.job_options(
                course, timeout=self.timeout, memory_bytes=self.memory_bytes))
        except (CourseError, SubmissionError) as exc:
            raise GradingFailed(f"{student}/{assignment}: {exc}") from None
        result = run_job(spec)
        if result.error is not None:
            raise GradingFailed(f"{student}/{assignment} not graded: {result.error}")
        for warning in result.sandbox_warnings:
            self.log.warning("sandbox: %s", warning)
        graded, problems = engine.finish(course, nb, result)
        for problem in problems:
            self.log.warning("%s: %s", student, problem)
        key = (str(self.config.CourseDirectory.get("submitted_directory", "submitted")),
               assignment, student)
        REPORTED[key] = problems
        return graded, resources


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
