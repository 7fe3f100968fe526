"""nbgrader preprocessors of this course, named in nbgrader_config.py.

``TrustedSpeed`` runs right after ``Execute`` in autograde: the kernel that just ran is the
learner's, and anything it computed (including a speed verdict) could have been patched.
So every speed grade cell is measured again from the grading process, with the learner's
code (the notebook's cells without the tests) loaded into fresh worker processes inside
``grader.sandbox`` (grader/classgrade/speedcheck.py: no network, no solutions or gradebook,
a separate uid); the cell's outputs are replaced by that verdict before ``SaveAutoGrades``
scores them. Ordering rule: after Execute (needs the executed notebook), before
IgnorePattern/SaveAutoGrades (they read the outputs this writes).

``RedactHiddenTests`` is for ``generate_feedback``: stock nbgrader 0.9.6 shows hidden tests
to students in tracebacks and printed output (nbgrader #917). Ordering rule: after GetGrades,
before ClearHiddenTests (it needs the hidden source to know what to cut).
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader.preprocessors import NbGraderPreprocessor

from grader.metadata import MetadataError, load_assignment
from grader.notebooks import block_lines, nbgrader_meta
from grader.speedtest import TRUSTED_ENV


class TrustedSpeed(NbGraderPreprocessor):
    """Recompute speed grade cells outside the learner's kernel, inside grader.sandbox."""

    timeout = 900.0  # wall seconds for all speed cells of one submission

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        os.environ[TRUSTED_ENV] = "1"

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        try:
            assignment = load_assignment(folder)
        except MetadataError:
            return nb, resources  # not one of our assignments: nothing to re-measure
        speed_ids = {e.speed["grade_id"] for e in assignment.exercises if e.speed.get("grade_id")}
        cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") in speed_ids]
        if not cells:
            return nb, resources
        verdicts, problem = self._measure(nb, folder, assignment, resources)
        for cell in cells:
            outputs = (verdicts or {}).get(nbgrader_meta(cell)["grade_id"])
            cell.outputs = ([nbformat.from_dict(o) for o in outputs] if isinstance(outputs, list)
                            else [_error("SpeedTestError", problem or "no speed verdict")])
        return nb, resources

    def _measure(self, nb: Any, folder: Path, assignment: Any,
                 resources: dict) -> tuple[dict | None, str]:
        """Every speed cell of the submission measured in one sandboxed run."""
        from grader.classgrade.speedcheck import measure_in_sandbox, trusted_inputs
        from grader.sandbox import GiB, Limits, MiB

        learner = copy.deepcopy(nb)
        for cell in learner.cells:  # hidden tests never reach the measured code
            if nbgrader_meta(cell).get("grade"):
                cell.source = ""
        name = resources.get("nbgrader", {}).get("assignment", assignment.name)
        keep = set(self.config.Autograde.get("exclude_overwriting", {}).get(name, []))
        try:
            files = _files(folder)
            # From the source, not the autograded folder the learner's kernel just ran in;
            # files learners edit from the release (their source versions are solutions).
            source, release = self._step_dir("source", name), self._step_dir("release", name)
            if not (source / "assignment.toml").is_file():
                return None, f"no assignment.toml in the course's source folder {source}"
            trusted = trusted_inputs(_files(source), release, keep)
        except (OSError, ValueError) as exc:
            return None, str(exc)
        limits = Limits(cpu_seconds=int(self.timeout), memory_bytes=4 * GiB,
                        max_file_bytes=64 * MiB)
        with tempfile.TemporaryDirectory(prefix="grader-speed-") as tmp:
            base = Path(tmp)
            base.chmod(0o755)
            try:
                ran = measure_in_sandbox(base, trusted_files=trusted, files=files,
                                         notebook_name="submission.ipynb",
                                         notebook=nbformat.writes(learner), limits=limits,
                                         timeout=self.timeout,
                                         toolchains=assignment.toolchains)
            except Exception as exc:  # no sandbox, a broken toolchain: an error, never a pass
                return None, f"{type(exc).__name__}: {exc}"
        for warning in ran.warnings:
            self.log.warning("speed sandbox: %s", warning)
        return ran.verdicts, ran.problem


    def _step_dir(self, step: str, assignment: str) -> Path:
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config)
        folder = getattr(coursedir, f"{step}_directory")
        return Path(coursedir.format_path(folder, ".", assignment))


def _files(folder: Path) -> dict[str, bytes]:
    from grader.classgrade.course import read_tree

    return read_tree(folder, _SKIP.__contains__, 32 * 1024 * 1024)


# Build outputs and caches a kernel may leave beside the notebook, and the source's
# solution_only/: never inputs.
_SKIP = {"target", "__pycache__", ".ipynb_checkpoints", ".cache", "solution_only"}


def _error(name: str, value: str) -> Any:
    return nbformat.v4.new_output("error", ename=name, evalue=value,
                                  traceback=[f"{name}: {value}"])


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
