"""What must never reach learners: solution code, hidden tests, solution-only files.

A line counts as leaked when it stands inside a solution or hidden-test block of a source
notebook, does not also appear outside those blocks anywhere in the source folder (a line the
learner is given anyway is no secret), and is long enough to be specific.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from grader import sources
from grader.metadata import Assignment
from grader.notebooks import MARKERS, block_lines, outside_blocks, read
from grader.paths import RELEASE_DIR

MIN_SECRET_LENGTH = 16  # shorter lines ("return x", "else:") are not specific to a solution
TEXT_SUFFIXES = {".py", ".toml", ".md", ".txt", ".json", ".rs", ".go", ".mojo", ".cfg", ".ipynb"}


def _norm(line: str) -> str:
    return " ".join(line.split())


def secrets(assignment: Assignment) -> set[str]:
    """Normalised solution and hidden-test lines of every source notebook of the folder."""
    hidden: set[str] = set()
    public: set[str] = set()
    for path in assignment.folder.rglob("*.ipynb"):
        for cell in read(path).cells:
            for kind in ("solution", "hidden"):
                hidden.update(_norm(x) for x in block_lines(cell.source, kind))
            public.update(_norm(x) for x in outside_blocks(cell.source))
    for path in assignment.folder.rglob("*"):
        if path.is_file() and path.suffix in TEXT_SUFFIXES and path.suffix != ".ipynb" \
                and "solution_only" not in path.parts:
            text = path.read_text(errors="replace")
            secret_here = sources.solution_lines(text, str(path))
            hidden.update(_norm(x) for x in secret_here)
            public.update(_norm(x) for x in sources.learner_version(text, str(path)).splitlines())
    return {s for s in hidden - public if len(s) >= MIN_SECRET_LENGTH and not s.startswith("#")}


def _texts(path: Path) -> Iterator[str]:
    if path.suffix == ".ipynb":
        for cell in read(path).cells:
            yield from cell.source.splitlines()
            for output in cell.get("outputs", []):
                yield from str(output.get("text", "")).splitlines()
    else:
        yield from path.read_text(errors="replace").splitlines()


def scan(root: Path, assignment: Assignment) -> list[tuple[str, str]]:
    """(path, problem) for every leak in the released copy of ``assignment``."""
    release = root / RELEASE_DIR / assignment.name
    if not release.is_dir():
        return []
    secret = secrets(assignment)
    problems = []
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        rel = str(path.relative_to(root))
        if "solution_only" in path.parts:
            problems.append((rel, "solution-only file reached exercises/"))
            continue
        if path.suffix not in TEXT_SUFFIXES:
            continue
        for line in _texts(path):
            if MARKERS.search(line):
                problems.append((rel, f"contains an nbgrader marker: {line.strip()!r}"))
            elif any(s in _norm(line) for s in secret):  # also inside a quoted hint string
                problems.append((rel, f"contains solution or hidden-test code: {line.strip()!r}"))
    return problems
