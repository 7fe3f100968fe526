"""``python -m grader build [--check]``: learner notebooks from the solution sources.

Generation is nbgrader's own ``generate_assignment`` (solutions/ is nbgrader's source
directory, exercises/ its release directory), never a re-implementation. ``--check`` builds
into a temporary folder and compares, then scans exercises/ for anything that must not reach
learners. Non-notebook sources (a crate's ``lib.rs``) lose their marked solution regions
right after nbgrader copies them (grader/sources.py). Order matters: generate first,
compare, then scan, so a stale tree is reported as stale before its leaks are listed.
"""

from __future__ import annotations

import filecmp
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader import leaks, sources
from grader.metadata import Assignment, iter_assignments
from grader.nbgrader_api import checked, make_api
from grader.notebooks import grade_cells
from grader.paths import METADATA_NAME, RELEASE_DIR, SOURCE_DIR


@dataclass(frozen=True)
class Problem:
    path: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}: {self.what}"


def generate(root: Path, assignment: str, release_dir: Path) -> Path:
    """Run nbgrader generate_assignment for one assignment into ``release_dir``."""
    with tempfile.TemporaryDirectory(prefix="grader-db-") as tmp:
        api = make_api(root, release_directory=str(release_dir),
                       db_url=f"sqlite:///{tmp}/gradebook.db")
        checked(api.generate_assignment(assignment, force=True, create=True),
                f"generate_assignment {assignment}")
    # nbgrader copies non-notebook files verbatim: strip their solution regions after it.
    sources.strip_tree(release_dir / assignment)
    return release_dir / assignment


def build(root: Path, only: str | None = None) -> list[str]:
    """Regenerate exercises/ from solutions/ (all, or just ``only``); return what was built."""
    built = []
    with tempfile.TemporaryDirectory(prefix="grader-build-") as tmp:
        for assignment in iter_assignments(root, SOURCE_DIR):
            if only and assignment.name != only:
                continue
            fresh = generate(root, assignment.name, Path(tmp))
            target = root / RELEASE_DIR / assignment.name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(fresh, target)
            built.append(assignment.name)
    if not only:
        _remove_orphans(root, built)
    return built


def _remove_orphans(root: Path, built: list[str]) -> None:
    release = root / RELEASE_DIR
    for folder in release.iterdir() if release.is_dir() else []:
        if folder.is_dir() and folder.name not in built:
            shutil.rmtree(folder)


def check_build(root: Path) -> list[Problem]:
    """Everything wrong with exercises/: stale or missing files, leaks, bad metadata."""
    problems: list[Problem] = []
    sources = list(iter_assignments(root, SOURCE_DIR))
    with tempfile.TemporaryDirectory(prefix="grader-check-") as tmp:
        for assignment in sources:
            problems += _points_agree(assignment)
            problems += _hint_markdown(assignment)
            fresh = generate(root, assignment.name, Path(tmp))
            problems += _compare_trees(fresh, root / RELEASE_DIR / assignment.name, root)
    expected = {a.name for a in sources}
    release = root / RELEASE_DIR
    for folder in sorted(release.iterdir()) if release.is_dir() else []:
        if folder.is_dir() and folder.name not in expected:
            problems.append(Problem(str(folder.relative_to(root)), "has no source in solutions/"))
    for assignment in sources:
        problems += [Problem(p, w) for p, w in leaks.scan(root, assignment)]
    return problems


def _points_agree(assignment: Assignment) -> list[Problem]:
    notebook = assignment.folder / assignment.notebook
    where = str(notebook)
    if not notebook.is_file():
        return [Problem(where, "notebook named in assignment.toml does not exist")]
    declared = assignment.grade_ids()
    actual = {c.grade_id: c.points for c in grade_cells(notebook)}
    problems = [Problem(where, f"grade cell {g!r} is not listed in assignment.toml")
                for g in actual if g not in declared]
    problems += [Problem(where, f"assignment.toml lists {g!r} but the notebook has no such "
                         "grade cell") for g in declared if g not in actual]
    problems += [Problem(where, f"{g!r} is worth {actual[g]:g} points in the notebook but "
                         f"{declared[g]:g} in assignment.toml")
                 for g in declared if g in actual and actual[g] != declared[g]]
    return problems


# Hints render as Markdown: `2**62, 2**62` outside a code span turns bold and reads as
# "262, 262"; `__init__` turns into a bold "init".
_CODE_SPAN = re.compile(r"`[^`]*`")
_MARKDOWN_TRAPS = re.compile(r"\w\*\*\w|(?<![\w`])__\w+__")


def _hint_markdown(assignment: Assignment) -> list[Problem]:
    where = str(assignment.folder / METADATA_NAME)
    return [Problem(where, f"hint {i} of {ex.name!r} has {match.group()!r} outside a code "
                    "span, which Markdown renders as bold: put code in backticks")
            for ex in assignment.exercises for i, text in enumerate(ex.hints, 1)
            for match in [_MARKDOWN_TRAPS.search(_CODE_SPAN.sub("", text))] if match]


def _compare_trees(fresh: Path, committed: Path, root: Path) -> list[Problem]:
    rel = str(committed.relative_to(root))
    if not committed.is_dir():
        return [Problem(rel, "missing: run `python -m grader build`")]
    want = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
    have = {p.relative_to(committed) for p in committed.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}
    problems = [Problem(f"{rel}/{p}", "missing: run `python -m grader build`")
                for p in sorted(want - have)]
    problems += [Problem(f"{rel}/{p}", "not generated from solutions/ (remove it or rebuild)")
                 for p in sorted(have - want)]
    problems += [Problem(f"{rel}/{p}", "stale: differs from what solutions/ generates; "
                         "edit solutions/ and run `python -m grader build`")
                 for p in sorted(want & have)
                 if not filecmp.cmp(fresh / p, committed / p, shallow=False)]
    return problems
