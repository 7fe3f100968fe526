"""The course as nbgrader sees it: configuration, the assignment's source cells, submissions.

Read once per batch, in the parent: the gradebook's record of the source notebook (grade
cells, locked cells with their trusted source, kernelspec) is what every submission is
restored from and verified against.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.nbgrader_api import load_config, venv_on_path

MAX_SUBMITTED_BYTES = 32 * 1024 * 1024


class CourseError(RuntimeError):
    """The course cannot be graded at all (no such assignment in the gradebook...)."""


@dataclass(frozen=True)
class SourceNotebook:
    """What the gradebook recorded of the assignment's notebook at generate_assignment."""

    name: str  # notebook id, file name without .ipynb
    kernelspec: dict[str, Any]
    grade_cells: dict[str, float]  # grade_id -> max points
    locked: dict[str, str]  # grade_id -> trusted source of every locked cell
    solution_ids: frozenset[str]
    order: tuple[str, ...]  # grade ids in source order


@dataclass
class Course:
    root: Path
    assignment: str
    config: Any
    coursedir: Any
    notebook: SourceNotebook
    source_files: dict[str, bytes] = field(default_factory=dict)
    speed_ids: frozenset[str] = frozenset()  # grade cells the sandboxed measurement decides
    mutation_ids: frozenset[str] = frozenset()  # of those, the ones graded by mutation
    toolchains: tuple[str, ...] = ()  # native toolchains the sandbox must offer
    keep_submitted: frozenset[str] = frozenset()  # nbgrader's Autograde.exclude_overwriting
    trusted_files: dict[str, bytes] = field(default_factory=dict)  # what sandboxes may read

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    @property
    def course_id(self) -> str:
        return self.coursedir.course_id

    def submitted_dir(self, student: str) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.submitted_directory, student,
                                               self.assignment))

    def autograded_dir(self, student: str) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.autograded_directory, student,
                                               self.assignment))

    def release_dir(self) -> Path:
        return Path(self.coursedir.format_path(self.coursedir.release_directory, ".",
                                               self.assignment))

    def state_dir(self) -> Path:
        """Journal and results: the course's git-ignored .cache/, one folder per gradebook."""
        tag = hashlib.sha256(self.db_url.encode()).hexdigest()[:10]
        path = self.root / ".cache" / "classgrade" / f"{self.assignment}-{tag}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def students(self) -> list[str]:
        """Every student with a submitted/<student>/<assignment>/ folder, sorted."""
        base = Path(self.coursedir.format_path(self.coursedir.submitted_directory, ".", "."))
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir()
                      if (p / self.assignment).is_dir() and not p.name.startswith("."))

    def ignored(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.coursedir.ignore)

    def submitted_files(self, student: str) -> dict[str, bytes]:
        """The submission's non-notebook files (ignore patterns applied, size capped)."""
        return read_tree(self.submitted_dir(student), self.ignored, MAX_SUBMITTED_BYTES)

    def graded_files(self, student: str) -> dict[str, bytes]:
        """The autograded folder's files as nbgrader makes it: the submitted files, then the
        source's over them, except those the course lets students submit."""
        source = {k: v for k, v in self.source_files.items() if k not in self.keep_submitted}
        return {**self.submitted_files(student), **source}

    def digest(self, student: str) -> str:
        """Fingerprint of a submission and of the source it is graded against."""
        h = hashlib.sha256()
        for rel, data in sorted(read_tree(self.submitted_dir(student), self.ignored,
                                           None, notebooks=True).items()):
            h.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
        h.update(json.dumps([self.notebook.locked, self.notebook.grade_cells],
                            sort_keys=True).encode())
        return h.hexdigest()


def read_tree(folder: Path, ignored: Any, cap: int | None,
              notebooks: bool = False) -> dict[str, bytes]:
    """Relative path -> bytes of the files under ``folder``: names ``ignored(name)`` rejects
    (files and folders), symlinks and, unless ``notebooks``, .ipynb files left out;
    ValueError once the total passes ``cap`` bytes."""
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not ignored(d)]
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if ignored(name) or path.is_symlink() or (name.endswith(".ipynb") and not notebooks):
                continue
            data = path.read_bytes()
            total += len(data)
            if cap is not None and total > cap:
                raise ValueError(f"submitted files exceed {cap // (1024 * 1024)} MiB")
            files[str(path.relative_to(folder))] = data
    return files


def open_course(root: Path, assignment: str, db_url: str | None = None,
                config: Any = None) -> Course:
    """The course at ``root`` for ``assignment``; CourseError if it was never generated.
    ``config``: a loaded nbgrader config to use instead of ``root``'s nbgrader_config.py
    (the running nbgrader app's, when stock ``nbgrader autograde`` calls the engine)."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.coursedir import CourseDirectory

    venv_on_path()
    if config is None:
        config = load_config(root, **({"db_url": db_url} if db_url else {}))
    elif db_url:
        config.CourseDirectory.db_url = db_url
    coursedir = CourseDirectory(config=config)
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            notebooks = gb.find_assignment(assignment).notebooks
        except MissingEntry:
            raise CourseError(
                f"assignment {assignment!r} is not in the gradebook {coursedir.db_url}: run "
                f"`nbgrader generate_assignment {assignment}` first") from None
        if len(notebooks) != 1:
            raise CourseError(f"{assignment} has {len(notebooks)} notebooks; python -m grader "
                              "autograde grades one-notebook assignments (use nbgrader "
                              "autograde for the others)")
        nb = notebooks[0]
        source = SourceNotebook(
            name=nb.name,
            kernelspec=json.loads(nb.kernelspec) if nb.kernelspec else {},
            grade_cells={c.name: float(c.max_score) for c in nb.grade_cells},
            locked={c.name: c.source for c in nb.source_cells if c.locked},
            solution_ids=frozenset(c.name for c in nb.solution_cells),
            order=tuple(c.name for c in nb.source_cells),
        )
    source_dir = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    files = read_tree(source_dir, lambda n: any(fnmatch.fnmatch(n, p) for p in
                                                 coursedir.ignore), None)
    keep = config.Autograde.get("exclude_overwriting", {})
    keep = keep.get(assignment, []) if isinstance(keep, dict) else []
    course = Course(root, assignment, config, coursedir, source, files,
                    keep_submitted=frozenset(keep))
    _read_metadata(course, source_dir)
    # The source's versions of files learners edit are model solutions: never shown to a
    # sandbox, even read-only (the release's instead).
    from grader.classgrade.speedcheck import trusted_inputs

    course.trusted_files = trusted_inputs(files, course.release_dir(), course.keep_submitted)
    # Hidden tests of measured cells: solution_only/ never reaches a submission; the
    # controller gets this one file in a folder of its own and deletes it before any
    # learner code runs (grader/classgrade/speedcheck.py).
    from grader.golang.grading import HIDDEN_FILE
    from grader.mutation.grading import HIDDEN_MUTANTS

    for name in (HIDDEN_FILE, HIDDEN_MUTANTS):  # hand-written mutants too (grader/mutation)
        hidden = source_dir / name
        if hidden.is_file() and not hidden.is_symlink():
            course.trusted_files[name.as_posix()] = hidden.read_bytes()
    return course


def _read_metadata(course: Course, source_dir: Path) -> None:
    """Measured cells and toolchains from the source's assignment.toml (a plain nbgrader
    assignment has none: every grade cell is verified)."""
    from grader.metadata import PARENT_KINDS, MetadataError, load_assignment

    if not (source_dir / "assignment.toml").is_file():
        return
    try:
        assignment = load_assignment(source_dir)
    except MetadataError as exc:  # a broken file must not silently verify every cell
        raise CourseError(str(exc)) from None
    course.speed_ids = assignment.measured_ids()
    course.mutation_ids = assignment.measured_ids(PARENT_KINDS)
    course.toolchains = assignment.toolchains
