"""``python -m grader grade ASSIGNMENT NOTEBOOK``: one notebook graded by nbgrader itself.

The notebook is graded in a throw-away course folder: nbgrader ``generate_assignment`` records
the source's grade cells (hidden tests included) in a gradebook, ``autograde`` restores
locked and hidden cells from it and scores. Its Execute step is the course's
``SandboxedGrading`` (nbgrader_config.py), i.e. the grading engine of ``python -m grader
autograde``: the learner's code runs only in ``grader.sandbox`` and every verdict is decided
outside it. The points are therefore the ones stock ``nbgrader autograde`` and the class
autograde give, read back from the gradebook, and a score outside [0, a cell's maximum] is
reported as an error, never added up.

Generating costs ~7 s (nbgrader's preprocessors and the gradebook's migrations), so the
generated gradebook and release are kept in ``.cache/grade/ASSIGNMENT/KEY/``, KEY a hash of
everything they depend on (the source folder, nbgrader_config.py, nbgrader's version), and
copied into each throw-away course: editing the source makes a new one.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from grader.metadata import MetadataError, load_assignment
from grader.nbgrader_api import NbgraderError, checked, make_api
from grader.notebooks import nbgrader_meta, read
from grader.paths import CONFIG_NAME, SOURCE_DIR, cache_dir, file_lock

STUDENT = "student"
_MESSAGE_LIMIT = 2000


class GradingError(RuntimeError):
    """The notebook could not be graded at all (unknown assignment, unreadable file)."""


@dataclass
class CellGrade:
    grade_id: str
    points: float
    max_points: float
    status: str  # "passed", "partial", "failed", "error" (a score outside [0, max])
    message: str


@dataclass
class GradeResult:
    assignment: str
    notebook: str
    score: float
    max_score: float
    cells: list[CellGrade] = field(default_factory=list)
    sandbox: str = ""  # "bubblewrap", or what the learner's code ran without
    problems: list[str] = field(default_factory=list)  # e.g. the kernel died, and where

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_text(self) -> str:
        width = max((len(c.grade_id) for c in self.cells), default=8)
        lines = [f"{self.assignment} / {self.notebook}: {self.score:g} of {self.max_score:g}"]
        if self.sandbox != "bubblewrap":
            lines.append(f"  WARNING: {self.sandbox}")
        lines += [f"  note: {problem}" for problem in self.problems]
        for c in self.cells:
            lines.append(f"  {c.grade_id:<{width}}  {c.points:g}/{c.max_points:g}  {c.status:<7}"
                         f"  {c.message}".rstrip())
        return "\n".join(lines)


def grade_notebook(root: Path, assignment: str, notebook: Path, *,
                   cell_timeout: int | None = None, timeout: float | None = None) -> GradeResult:
    """Grade ``notebook`` as a submission of ``assignment``; raise GradingError if impossible.
    ``cell_timeout`` (seconds per cell) and ``timeout`` (wall seconds per sandboxed run)
    default to the course's ``Execute.timeout`` and ``SandboxedGrading.timeout``."""
    source = root / SOURCE_DIR / assignment
    try:
        meta = load_assignment(source)
    except MetadataError as exc:
        raise GradingError(f"unknown assignment {assignment!r}: {exc}") from None
    try:
        read(notebook)
    except (ValueError, OSError) as exc:
        raise GradingError(str(exc)) from None
    sandbox = _sandbox_kind()
    with tempfile.TemporaryDirectory(prefix="grader-grade-") as tmp:
        course = Path(tmp)
        submitted = course / "submitted" / STUDENT / assignment
        submitted.mkdir(parents=True)
        shutil.copy(notebook, submitted / meta.notebook)
        _copy_learner_files(root, assignment, notebook.parent, submitted)
        api = make_api(root, source_directory=str(root / SOURCE_DIR),
                       release_directory=str(course / "release"),
                       submitted_directory=str(course / "submitted"),
                       autograded_directory=str(course / "autograded"),
                       feedback_directory=str(course / "feedback"),
                       db_url=f"sqlite:///{course}/gradebook.db")
        if cell_timeout:
            api.config.Execute.timeout = int(cell_timeout)
        if timeout:
            api.config.SandboxedGrading.timeout = float(timeout)
        try:
            _copy_generated(root, assignment, course)
            with _private_progress(course):
                checked(api.autograde(assignment, STUDENT, force=True, create=True), "autograde")
            from grader.nbgrader_ext import REPORTED

            problems = REPORTED.pop((str(api.coursedir.submitted_directory), assignment,
                                     STUDENT), [])
        except NbgraderError as exc:
            raise GradingError(str(exc)) from None
        graded = course / "autograded" / STUDENT / assignment / meta.notebook
        result = _collect(api, assignment, meta.notebook, graded, notebook)
        result.sandbox, result.problems = sandbox, problems
        return result


def _sandbox_kind() -> str:
    """"bubblewrap", or the warning saying what isolation the learner's code runs without;
    GradingError when no sandbox at all can run (GRADER_SANDBOX_KIND=bubblewrap without it)."""
    from grader.sandbox import SandboxUnavailable, choose_kind

    try:
        kind, warnings = choose_kind()
    except SandboxUnavailable as exc:
        raise GradingError(f"no sandbox to run the notebook in: {exc}") from None
    return kind if kind == "bubblewrap" else " ".join(warnings) or kind


def _copy_generated(root: Path, assignment: str, course: Path) -> None:
    """Copy the gradebook and release generated from ``assignment``'s current source into
    ``course``, generating them first when the cache has none (one process at a time:
    concurrent graders of a class share the cache). Raises NbgraderError when generation
    fails."""
    key = source_key(root, assignment)
    folder = cache_dir(root, "grade", assignment)
    cached = folder / key
    with file_lock(folder / ".lock"):
        if not (cached / "gradebook.db").is_file():
            _generate(root, assignment, folder, cached)
            for old in folder.iterdir():
                if old.is_dir() and old != cached:
                    shutil.rmtree(old, ignore_errors=True)  # a previous source's
        shutil.copy(cached / "gradebook.db", course / "gradebook.db")
        shutil.copytree(cached / "release", course / "release")


def _generate(root: Path, assignment: str, folder: Path, cached: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="generating-", dir=folder))
    try:
        api = make_api(root, source_directory=str(root / SOURCE_DIR),
                       release_directory=str(work / "release"),
                       db_url=f"sqlite:///{work}/gradebook.db")
        checked(api.generate_assignment(assignment, force=True, create=True),
                "generate_assignment")
        shutil.rmtree(cached, ignore_errors=True)  # a partial one, from a crash
        os.rename(work, cached)  # never a half-generated folder under the final name
    finally:
        shutil.rmtree(work, ignore_errors=True)


def source_key(root: Path, assignment: str) -> str:
    """A hash of what the generated gradebook depends on: every file of the assignment's
    source folder that nbgrader does not ignore, the course's nbgrader_config.py and
    nbgrader's version."""
    import nbgrader

    from grader.nbgrader_api import load_config

    ignore = list(load_config(root).CourseDirectory.get("ignore", []))
    digest = hashlib.sha256(f"nbgrader {nbgrader.__version__}\n".encode())
    config = root / CONFIG_NAME
    digest.update(config.read_bytes() if config.is_file() else b"")
    source = root / SOURCE_DIR / assignment
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if not path.is_file() or any(fnmatch.fnmatch(part, pattern) for part in relative.parts
                                     for pattern in ignore):
            continue
        digest.update(f"\0{relative.as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def learner_files(root: Path, assignment: str) -> list[str]:
    """Files of ``assignment`` that learners edit beside the notebook (a crate's lib.rs):
    nbgrader's ``Autograde.exclude_overwriting`` for it, relative to the assignment folder."""
    from grader.nbgrader_api import load_config

    value = load_config(root).Autograde.get("exclude_overwriting", {})
    files = value.get(assignment, []) if isinstance(value, dict) else []
    return [f for f in files if isinstance(f, str)]


def _copy_learner_files(root: Path, assignment: str, folder: Path, submitted: Path) -> None:
    """A submission is the notebook plus the files the learner edits next to it, as in
    nbgrader's submitted/ folder; autograde then restores every other file from the source.
    A missing file stays missing (the grade cells that need it fail)."""
    for name in learner_files(root, assignment):
        source = folder / name
        if source.is_file():
            target = submitted / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)


@contextmanager
def _private_progress(course: Path):
    """check() cells executed while grading must not touch the learner's progress file."""
    old = os.environ.get("GRADER_STATE_FILE")
    os.environ["GRADER_STATE_FILE"] = str(course / "progress.json")
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("GRADER_STATE_FILE", None)
        else:
            os.environ["GRADER_STATE_FILE"] = old


def _collect(api: Any, assignment: str, nb_file: str, graded: Path, original: Path) -> GradeResult:
    from nbgrader.api import Gradebook

    messages = _messages(graded)
    nb_id = Path(nb_file).stem
    with Gradebook(api.coursedir.db_url) as gb:
        submission = gb.find_submission_notebook(nb_id, assignment, STUDENT)
        order = {gid: i for i, gid in enumerate(messages)}
        grades = sorted(submission.grades, key=lambda g: order.get(g.name, len(order)))
        cells = [_cell(g.name, g.score, g.max_score, messages.get(g.name, "")) for g in grades]
    return GradeResult(assignment, str(original), sum(c.points for c in cells),
                       sum(c.max_points for c in cells), cells)


def _cell(grade_id: str, score: float | None, max_score: float, message: str) -> CellGrade:
    points, top = float(score or 0.0), float(max_score)
    if not 0.0 <= points <= top:  # NaN included: the gradebook is wrong, not the learner
        return CellGrade(grade_id, 0.0, top, "error",
                         f"the gradebook holds {points:g} points for a cell worth {top:g}; "
                         "not counted")
    status = "passed" if points >= top else "partial" if points > 0 else "failed"
    return CellGrade(grade_id, points, top, status, message)


def _messages(graded: Path) -> dict[str, str]:
    """grade_id -> the error a grade cell raised (empty when it raised none), in cell order."""
    out: dict[str, str] = {}
    for cell in read(graded).cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade"):
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        text = f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else ""
        text = " ".join(text.split())
        out[meta["grade_id"]] = text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "…"
    return out
