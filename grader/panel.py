"""The workbook's progress panel: every chapter and exercise, the points within reach.

``progress_panel()`` shows one row per chapter and one per exercise: the state of its last
``check()`` (pass, FAIL, or not checked yet), the public tests that pass, the points of the
grade cells whose public tests all pass, and the hints used. In a kernel with a widget
front end it is an ipywidget that redraws itself whenever ``check()`` runs in the same
kernel, with a Refresh button for checks run in another notebook; elsewhere (a terminal,
nbconvert, nbgrader's feedback) the same table as HTML or text. The figures come from the
progress file (grader/progress.py), written by ``check()``; nothing here grades anything.
"""

from __future__ import annotations

import html
import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import progress, widgets
from grader.metadata import Assignment, MetadataError, iter_assignments
from grader.paths import RELEASE_DIR, SOURCE_DIR, find_course_root, package_course_root
from grader.report import FAIL, PASS, badge

GREY, BLUE = "#6e7781", "#0969da"
_LIVE: weakref.WeakSet[Any] = weakref.WeakSet()


@dataclass(frozen=True)
class Row:
    chapter: str
    exercise: str  # "" on a chapter's row
    title: str
    state: str  # "pass", "FAIL", "not checked"; a chapter's can also be "in progress"
    tests: str  # "5/7" or ""
    ready: float
    points: float
    hints: str  # "1 of 3" or ""


def course_assignments(root: Path | None = None) -> list[Assignment]:
    """The learner's assignments (exercises/), else the sources (solutions/)."""
    root = root or find_course_root() or package_course_root()
    if root is None:
        return []
    for kind in (RELEASE_DIR, SOURCE_DIR):
        try:
            found = list(iter_assignments(root, kind))
        except MetadataError:
            continue
        if found:
            return found
    return []


def rows(assignments: list[Assignment], state: dict[str, Any]) -> list[Row]:
    """One row per chapter, then its exercises, from the saved progress ``state``."""
    out: list[Row] = []
    for assignment in assignments:
        mine: list[Row] = []
        for ex in assignment.exercises:
            entry = state.get(ex.name) if isinstance(state.get(ex.name), dict) else {}
            checked = "total" in entry
            done = bool(entry.get("done"))
            shown = min(int(entry.get("hints_shown", 0) or 0), len(ex.hints))
            mine.append(Row(
                assignment.name, ex.name, ex.title,
                ("pass" if done else "FAIL") if checked else "not checked",
                f"{entry.get('passed', 0)}/{entry.get('total', 0)}" if checked else "",
                float(entry.get("points_ready", 0) or 0) if checked else 0.0,
                ex.max_points, f"{shown} of {len(ex.hints)}" if ex.hints else ""))
        states = {r.state for r in mine}
        chapter_state = ("FAIL" if "FAIL" in states else
                         "pass" if states == {"pass"} else
                         "not checked" if states == {"not checked"} else "in progress")
        out.append(Row(assignment.name, "", assignment.title, chapter_state, "",
                       sum(r.ready for r in mine), sum(r.points for r in mine), ""))
        out += mine
    return out


def _state_badge(state: str) -> str:
    return badge(state, {"pass": PASS, "FAIL": FAIL, "in progress": BLUE}.get(state, GREY))


def table_html(table: list[Row]) -> str:
    ready = sum(r.ready for r in table if not r.exercise)
    total = sum(r.points for r in table if not r.exercise)
    body = []
    for r in table:
        style = "" if r.exercise else " style='background:rgba(127,127,127,0.12)'"
        # Most titles start with the exercise's call, "normalize(scores): ...".
        title = (html.escape(r.title) if r.title.startswith(r.exercise)
                 else f"<code>{html.escape(r.exercise)}</code> {html.escape(r.title)}")
        name = (f"&nbsp;&nbsp;{title}" if r.exercise
                else f"<b>{html.escape(r.chapter)}</b> {html.escape(r.title)}")
        body.append(f"<tr{style}><td style='text-align:left'>{name}</td>"
                    f"<td>{_state_badge(r.state)}</td><td>{r.tests}</td>"
                    f"<td>{r.ready:g} / {r.points:g}</td><td>{r.hints}</td></tr>")
    return (f"<div class='grader-progress'><p><b>Workbook progress</b>: {ready:g} of "
            f"{total:g} points within reach (public tests; hidden tests run at grading)</p>"
            "<table><thead><tr><th style='text-align:left'>chapter / exercise</th>"
            "<th>last check()</th><th>public tests</th><th>points within reach</th>"
            f"<th>hints used</th></tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def table_text(table: list[Row]) -> str:
    ready = sum(r.ready for r in table if not r.exercise)
    total = sum(r.points for r in table if not r.exercise)
    lines = [f"Workbook progress: {ready:g} of {total:g} points within reach"]
    for r in table:
        name = f"  {r.exercise}" if r.exercise else f"{r.chapter} {r.title}"
        lines.append(f"{name:<40} {r.state:<12} {r.tests:>6}  {r.ready:g}/{r.points:g} pt"
                     + (f"  hints {r.hints}" if r.hints else ""))
    return "\n".join(lines)


class ProgressTable:
    """The panel as plain HTML and text: for terminals, nbconvert and feedback."""

    def __init__(self, table: list[Row]) -> None:
        self.table = table

    def _repr_html_(self) -> str:
        return table_html(self.table)

    def __str__(self) -> str:
        return table_text(self.table)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def current() -> ProgressTable:
    """The table as the progress file has it now; an unreadable course or file reads as
    no progress rather than an error (the panel only displays)."""
    try:
        return ProgressTable(rows(course_assignments(), progress.load()))
    except (OSError, MetadataError):
        return ProgressTable([])


class GradingNote:
    def _repr_html_(self) -> str:
        return f"<p>{html.escape(str(self))}</p>"

    def __str__(self) -> str:
        return ("progress_panel(): your progress shows in your own JupyterLab; nbgrader is "
                "grading this notebook, so there is none to show here.")


def progress_panel() -> Any:
    """The progress panel: a live widget in a kernel with a front end, else a table."""
    if os.environ.get("NBGRADER_EXECUTION"):  # in the grading sandbox: nothing to read
        return GradingNote()
    if not widgets.available():
        return current()
    import ipywidgets as w

    view = w.HTML(table_html(current().table))
    button = w.Button(description="Refresh", tooltip="Read the progress file again "
                      "(after check() ran in another notebook)", icon="refresh")
    box = w.VBox([view, button])
    box.add_class("grader-progress-panel")

    def refresh(_: Any = None) -> None:
        view.value = table_html(current().table)

    button.on_click(refresh)
    box._grader_refresh = refresh
    _LIVE.add(box)
    return widgets.with_fallback(box, current())


def refresh_all() -> None:
    """Redraw every panel on screen in this kernel (check() calls this)."""
    for box in list(_LIVE):
        try:
            box._grader_refresh()
        except Exception:  # a closed widget: the next check() forgets it
            _LIVE.discard(box)
