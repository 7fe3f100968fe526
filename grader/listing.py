"""``python -m grader list``: the workbook at a glance, like ``rustlings list``."""

from __future__ import annotations

from pathlib import Path

from grader import progress
from grader.metadata import iter_assignments
from grader.paths import RELEASE_DIR, SOURCE_DIR, state_file


def status_of(entry: dict) -> str:
    if not entry or "total" not in entry:
        return "not started"
    return "done" if entry.get("done") else "in progress"


def render_list(root: Path) -> str:
    kind = RELEASE_DIR if (root / RELEASE_DIR).is_dir() else SOURCE_DIR
    saved = progress.load(state_file(root))
    rows = [("assignment", "exercise", "status", "public tests", "hints used", "points")]
    done = total = 0
    for assignment in iter_assignments(root, kind):
        for ex in assignment.exercises:
            entry = saved.get(ex.name, {})
            status = status_of(entry)
            tests = f"{entry['passed']}/{entry['total']}" if "total" in entry else "-"
            hints = f"{entry.get('hints_shown', 0)}/{len(ex.hints)}"
            rows.append((assignment.name, ex.name, status, tests, hints, f"{ex.max_points:g}"))
            total += 1
            done += status == "done"
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"\nProgress: {done}/{total} exercises done (public tests all pass).")
    return "\n".join(lines)
