"""Reading nbgrader notebooks: grade cells, solution blocks and hidden-test blocks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

BLOCKS = {
    "solution": (re.compile(r"###\s*BEGIN SOLUTION"), re.compile(r"###\s*END SOLUTION")),
    "hidden": (re.compile(r"###\s*BEGIN HIDDEN TESTS"), re.compile(r"###\s*END HIDDEN TESTS")),
}
MARKERS = re.compile(r"(BEGIN|END) (SOLUTION|HIDDEN TESTS)")


@dataclass(frozen=True)
class GradeCell:
    grade_id: str
    points: float
    source: str


def read(path: Path) -> nbformat.NotebookNode:
    """Read a notebook; raise ValueError naming the file when it is not valid JSON/nbformat."""
    try:
        return nbformat.read(str(path), as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for bad files
        raise ValueError(f"{path}: not a readable notebook ({type(exc).__name__}: {exc})") from None


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def grade_cells(path: Path) -> list[GradeCell]:
    cells = []
    for cell in read(path).cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade"):
            cells.append(GradeCell(meta["grade_id"], float(meta.get("points", 0)), cell.source))
    return cells


def block_lines(source: str, kind: str) -> list[str]:
    """The lines inside ``### BEGIN <kind>`` / ``### END <kind>`` blocks of a cell source."""
    begin, end = BLOCKS[kind]
    inside, lines = False, []
    for line in source.splitlines():
        if begin.search(line):
            inside = True
        elif end.search(line):
            inside = False
        elif inside:
            lines.append(line)
    return lines


def outside_blocks(source: str) -> list[str]:
    """The lines of a cell source outside every solution and hidden-test block."""
    inside, lines = False, []
    for line in source.splitlines():
        if any(begin.search(line) for begin, _ in BLOCKS.values()):
            inside = True
        elif any(end.search(line) for _, end in BLOCKS.values()):
            inside = False
        elif not inside:
            lines.append(line)
    return lines
