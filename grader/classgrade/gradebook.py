"""Parent side, after the sandbox: merge, score, and write one submission atomically.

Order (nbgrader's ``Autograde.autograde_preprocessors`` minus Execute, which ran in the
sandbox):

1. ``merge``: only *outputs* are taken from the untrusted executed notebook, cell by cell,
   onto the parent's own sanitized copy (so a forged source, points value or checksum in
   the returned file changes nothing); an unusable result marks every grade cell unreported;
2. ``apply_verdicts``: a grade cell that failed (or never reported) in the out-of-process
   verifier gets an error output, so it scores 0 even when the kernel claimed a pass; a
   speed cell's outputs become its sandboxed measurement (grader/classgrade/speedcheck.py);
3. IgnorePattern, ClearMetadataPreprocessor, LimitOutput, CheckCellMetadata (as configured
   in nbgrader_config.py);
4. in one database transaction: student, submission (with its timestamp), SaveAutoGrades,
   AssignLatePenalties; the autograded folder is swapped in just before the commit.

Only this module writes the gradebook, and only from the parent process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode

from grader.classgrade.capture import VERIFY_NOTE
from grader.classgrade.course import Course
from grader.classgrade.sanitize import resources
from grader.classgrade.unreported import is_grade_cell, mark_unreported


def merge(nb: NotebookNode, executed_text: str | None) -> tuple[NotebookNode, list[str]]:
    """``nb`` with the executed notebook's outputs; problems found on the way."""
    nb = nbformat.from_dict(nb)
    problems: list[str] = []
    executed = None
    if executed_text is not None:
        try:
            executed = nbformat.reads(executed_text, as_version=4)
        except Exception:  # the file is student-writable: anything may be in it
            problems.append("execution: the executed notebook is unreadable")
    if executed is not None and len(executed.cells) != len(nb.cells):
        problems.append("execution: the executed notebook has a different cell count")
        executed = None
    if executed is None:
        mark_unreported(nb, 0, "the notebook's execution did not report; no points")
        return nb, problems
    for mine, theirs in zip(nb.cells, executed.cells, strict=True):
        if mine.cell_type != "code" or theirs.get("cell_type") != "code":
            continue
        outputs = theirs.get("outputs", [])
        count = theirs.get("execution_count")
        if _valid_outputs(outputs) and (count is None or type(count) is int):
            mine.outputs, mine.execution_count = outputs, count
        else:
            mine.outputs = []
            if is_grade_cell(mine):
                mark_unreported(nbformat.v4.new_notebook(cells=[mine]), 0,
                                "this cell's outputs came back malformed; no points")
    return nb, problems


def _valid_outputs(outputs: Any) -> bool:
    if not isinstance(outputs, list):
        return False
    try:
        for out in outputs:
            nbformat.validate(out, ref="output", version=4, version_minor=4)
    except Exception:  # NotebookValidationError, or a non-dict from a forged file
        return False
    return True


def apply_verdicts(nb: NotebookNode, verdicts: dict[str, dict[str, Any]],
                   speed: dict[str, list[Any]] | None = None,
                   speed_ids: frozenset[str] = frozenset()) -> None:
    """Zero every grade cell that the verifier did not pass (missing verdict = failed), and
    take away nbgrader's partial credit (``_no_partial_credit``); a
    measured cell's outputs are replaced by its sandboxed measurement (speedcheck.py)."""
    speed = speed or {}
    for cell in nb.cells:
        if cell.cell_type != "code" or not is_grade_cell(cell):
            continue
        gid = cell.metadata.nbgrader.get("grade_id")
        if gid in speed_ids or gid in speed:
            outputs = speed.get(gid)
            cell.outputs = ([nbformat.from_dict(o) for o in outputs] if _valid_outputs(outputs)
                            else [nbformat.v4.new_output(
                                "error", ename="SpeedTestError",
                                evalue="the speed measurement did not report; no points",
                                traceback=["SpeedTestError: the speed measurement did not "
                                           "report; no points"])])
            continue
        verdict = verdicts.get(gid) or {"passed": False, "ename": "GraderNoReport",
                                        "evalue": "the out-of-process check never reported"}
        if verdict.get("passed") or any(o.output_type == "error" for o in cell.outputs):
            continue
        ename = str(verdict.get("ename") or "AssertionError")
        evalue = str(verdict.get("evalue") or "")
        cell.outputs.append(nbformat.v4.new_output(
            "error", ename=ename, evalue=evalue,
            traceback=[f"{ename}: {evalue}", VERIFY_NOTE]))
    for cell in nb.cells:
        if cell.cell_type == "code" and is_grade_cell(cell):
            _no_partial_credit(cell)


def _no_partial_credit(cell: NotebookNode) -> None:
    """A grade cell here scores all or nothing. nbgrader reads a grade cell's
    ``execute_result`` as partial credit, and its rule gives full marks for a negative or
    NaN value and raises for one above the maximum; a value a learner's function returned
    must not reach that rule, so results are shown as display data instead."""
    for index, out in enumerate(cell.outputs):
        if out.get("output_type") == "execute_result":
            cell.outputs[index] = nbformat.v4.new_output(
                "display_data", data=out.get("data", {}), metadata=out.get("metadata", {}))


def autograde_pipeline(config: Any) -> list[type]:
    """The course's ``Autograde.autograde_preprocessors`` (nbgrader's default list when the
    config does not set one), as classes, in order."""
    from nbgrader.converters import Autograde
    from traitlets.utils.importstring import import_item

    names = config.Autograde.get("autograde_preprocessors") or Autograde.class_traits()[
        "autograde_preprocessors"].default()
    return [import_item(n) if isinstance(n, str) else n for n in names]


def _replaced_elsewhere(cls: type) -> bool:
    """Steps the job already did: Execute, or the course's SandboxedGrading in its place
    (the engine itself, grader/nbgrader_ext.py)."""
    from nbgrader.preprocessors import Execute

    from grader.nbgrader_ext import SandboxedGrading

    return issubclass(cls, Execute | SandboxedGrading)


@contextlib.contextmanager
def transaction(gb: Any) -> Iterator[Any]:
    """Everything nbgrader's Gradebook does inside commits once, or not at all.

    nbgrader commits after every row; a session joined to an outer transaction in
    "rollback_only" mode turns those commits into flushes (SQLAlchemy's documented recipe
    for running code that commits inside a larger transaction).
    """
    from sqlalchemy.orm import scoped_session, sessionmaker

    with gb.engine.connect() as conn:
        outer = conn.begin()
        saved = gb.db
        gb.db = scoped_session(sessionmaker(bind=conn, autoflush=True,
                                            join_transaction_mode="rollback_only"))
        try:
            yield gb
            gb.db.flush()
            outer.commit()
        except BaseException:
            outer.rollback()
            raise
        finally:
            gb.db.remove()
            gb.db = saved


def _save_grades(gb: Any, nb: NotebookNode, res: dict[str, Any], config: Any) -> None:
    """nbgrader's SaveAutoGrades and AssignLatePenalties on the caller's gradebook."""
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

    save = SaveAutoGrades(config=config)
    ids = res["nbgrader"]
    save.notebook_id, save.assignment_id = ids["notebook"], ids["assignment"]
    save.student_id, save.db_url = ids["student"], ids["db_url"]
    save.gradebook = gb
    Preprocessor.preprocess(save, nb, res)  # the per-cell loop, without opening a new DB
    late = AssignLatePenalties(config=config)
    late.init_plugin()
    submission = gb.find_submission(save.assignment_id, save.student_id)
    notebook = gb.find_submission_notebook(save.notebook_id, save.assignment_id,
                                           save.student_id)
    notebook.late_submission_penalty = None
    if submission.total_seconds_late > 0:
        penalty = late.plugin_inst.late_submission_penalty(
            save.student_id, notebook.score, submission.total_seconds_late)
        if penalty is not None:
            notebook.late_submission_penalty = late._check_late_penalty(notebook, penalty)


def _open_submission(gb: Any, course: Course, student: str) -> None:
    gb.update_or_create_student(student)
    stamp = course.coursedir.get_existing_timestamp(str(course.submitted_dir(student)))
    if stamp:
        gb.update_or_create_submission(course.assignment, student, timestamp=stamp)
    else:
        gb.update_or_create_submission(course.assignment, student)


def write_graded(gb: Any, course: Course, student: str, nb: NotebookNode,
                 files: dict[str, bytes]) -> tuple[float, float]:
    """The rest of the course's autograde pipeline, its scores and the autograded folder of
    one submission, atomically; the new (score, max_score), late penalty not deducted.

    Every step of ``Autograde.autograde_preprocessors`` runs in its order; SaveAutoGrades
    and AssignLatePenalties run on this transaction's gradebook (a preprocessor of some
    other course that opens its own gradebook would commit on its own)."""
    from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades

    res = resources(course, student)
    with transaction(gb):
        _open_submission(gb, course, student)
        for cls in autograde_pipeline(course.config):
            if _replaced_elsewhere(cls) or issubclass(cls, AssignLatePenalties):
                continue  # late penalties need the scores: applied with SaveAutoGrades
            if issubclass(cls, SaveAutoGrades):
                _save_grades(gb, nb, res, course.config)
            else:
                nb, res = cls(config=course.config)(nb, res)
        gb.db.flush()
        gb.db.expire_all()  # score is an SQL aggregate: read it back after the flush
        notebook = gb.find_submission_notebook(course.notebook.name, course.assignment, student)
        check_in_range(notebook.grades)  # raising rolls the whole submission back
        score = (float(notebook.score), float(notebook.max_score))
        _swap_folder(course.autograded_dir(student),
                     {**files, f"{course.notebook.name}.ipynb": nbformat.writes(nb).encode()})
    return score


class ScoreOutOfRange(ValueError):
    """A grade outside [0, its cell's maximum]: never written, reported as an error."""


def check_in_range(grades: Any) -> None:
    """Raise ScoreOutOfRange naming the first grade whose score leaves [0, max]."""
    for grade in grades:
        for kind in ("auto_score", "manual_score"):
            value = getattr(grade, kind, None)
            if value is None:
                continue
            value, top = float(value), float(grade.max_score)
            if not 0.0 <= value <= top:  # NaN fails both comparisons
                raise ScoreOutOfRange(f"{grade.name}: {kind} {value:g} is outside [0, {top:g}]")


def write_failed(gb: Any, course: Course, student: str) -> None:
    """An ungradable submission scores 0 on every cell, as nbgrader does a missing file."""
    with transaction(gb):
        _open_submission(gb, course, student)
        notebook = gb.find_submission_notebook(course.notebook.name, course.assignment, student)
        for grade in notebook.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        shutil.rmtree(course.autograded_dir(student), ignore_errors=True)


def _swap_folder(target: Path, files: dict[str, bytes]) -> None:
    """Replace ``target`` by a folder holding ``files`` (read-only, as nbgrader leaves it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    for rel, data in files.items():
        path = fresh / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o444)
    fresh.chmod(0o755)
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(fresh, target)
    shutil.rmtree(old, ignore_errors=True)
