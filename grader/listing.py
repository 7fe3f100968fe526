"""``python -m grader list``: the workbook at a glance, like ``rustlings list``.

The same figures as the notebook's progress panel (grader/panel.py, from the progress file
``check()`` writes), as an aligned table for a terminal.
"""

from __future__ import annotations

from pathlib import Path

from grader import progress
from grader.panel import course_assignments, rows
from grader.paths import state_file


def render_list(root: Path) -> str:
    table = rows(course_assignments(root), progress.load(state_file(root)))
    lines = [("assignment", "exercise", "last check()", "public tests", "hints used",
              "points within reach")]
    for r in table:
        if r.exercise:
            lines.append((r.chapter, r.exercise, r.state, r.tests or "-", r.hints or "-",
                          f"{r.ready:g}/{r.points:g}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
            for line in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    exercises = [r for r in table if r.exercise]
    done = sum(r.state == "pass" for r in exercises)
    ready = sum(r.ready for r in exercises)
    total = sum(r.points for r in exercises)
    text.append(f"\nProgress: {done}/{len(exercises)} exercises pass their public tests; "
                f"{ready:g}/{total:g} points within reach (hidden tests run at grading).")
    return "\n".join(text)
