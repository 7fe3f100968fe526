"""Solution regions in the source files that sit beside a notebook (Rust, Go, Mojo, Python).

nbgrader strips solutions from notebooks only; it copies other files verbatim. For files a
learner edits (``src/lib.rs`` of a crate, a ``.mojo`` module) the solution source marks its
regions with comments, the scikit-learn-mooc way::

    fn get_user_name(users: &[User], id: u64) -> Option<&str> {
        // BEGIN SOLUTION
        users.iter().find(|u| u.id == id).map(|u| u.name.as_str())
        // END SOLUTION
        // BEGIN STARTER
        // todo!("borrow instead of cloning")
        // END STARTER
    }

The learner's copy keeps the starter lines, uncommented, and loses the solution. The
solution file itself compiles as is, because the starter is only comments there.
"""

from __future__ import annotations

import re
from pathlib import Path

BEGIN = re.compile(r"^(\s*)(//|#|--)\s*BEGIN (SOLUTION|STARTER)\s*$")
END = re.compile(r"^\s*(//|#|--)\s*END (SOLUTION|STARTER)\s*$")
SOURCE_SUFFIXES = {".rs", ".go", ".mojo", ".py", ".c", ".h", ".mjs", ".js"}


class RegionError(ValueError):
    """Unbalanced or nested BEGIN/END markers; the message names file and line."""


def regions(text: str, where: str = "<text>") -> list[tuple[str, int, int]]:
    """(kind, first line, last line) of every marked region, marker lines included (0-based)."""
    found, open_kind, start = [], None, 0
    for number, line in enumerate(text.splitlines()):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if open_kind:
                raise RegionError(f"{where}:{number + 1}: BEGIN inside an open {open_kind} region")
            open_kind, start = begin.group(3), number
        elif end:
            if end.group(2) != open_kind:
                raise RegionError(f"{where}:{number + 1}: END {end.group(2)} without its BEGIN")
            found.append((open_kind, start, number))
            open_kind = None
    if open_kind:
        raise RegionError(f"{where}:{start + 1}: {open_kind} region is never closed")
    return found


def _uncomment(line: str, prefix: str) -> str:
    stripped = line.lstrip()
    indent = line[: len(line) - len(stripped)]
    if stripped.startswith(prefix):
        stripped = stripped[len(prefix):]
        stripped = stripped[1:] if stripped.startswith(" ") else stripped
    return indent + stripped


def learner_version(text: str, where: str = "<text>") -> str:
    """``text`` with solution regions removed and starter regions uncommented."""
    lines = text.splitlines(keepends=True)
    keep = [True] * len(lines)
    for kind, first, last in regions(text, where):
        keep[first] = keep[last] = False
        if kind == "SOLUTION":
            keep[first:last + 1] = [False] * (last - first + 1)
        else:
            prefix = BEGIN.match(lines[first].rstrip("\n")).group(2)
            for i in range(first + 1, last):
                lines[i] = _uncomment(lines[i], prefix)
    return "".join(line for line, k in zip(lines, keep, strict=True) if k)


def solution_version(text: str, where: str = "<text>") -> str:
    """``text`` as the model solution: solution regions kept, starter regions and every
    marker line removed (what a learner who solved it all would hand in)."""
    lines = text.splitlines(keepends=True)
    keep = [True] * len(lines)
    for kind, first, last in regions(text, where):
        keep[first] = keep[last] = False
        if kind == "STARTER":
            keep[first:last + 1] = [False] * (last - first + 1)
    return "".join(line for line, k in zip(lines, keep, strict=True) if k)


def solution_lines(text: str, where: str = "<text>") -> list[str]:
    """The lines inside solution regions (what must never reach a learner)."""
    lines = text.splitlines()
    return [lines[i] for kind, first, last in regions(text, where) if kind == "SOLUTION"
            for i in range(first + 1, last)]


def strip_tree(release: Path) -> list[Path]:
    """Rewrite every marked source file under ``release`` into its learner version."""
    changed = []
    for path in sorted(release.rglob("*")):
        if path.is_file() and path.suffix in SOURCE_SUFFIXES:
            text = path.read_text(encoding="utf-8")
            if BEGIN.search(text) is None and "BEGIN SOLUTION" not in text:
                continue
            path.write_text(learner_version(text, str(path)), encoding="utf-8")
            changed.append(path)
    return changed
