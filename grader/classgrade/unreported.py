"""Grade cells that never reported: an error output each, worth 0 points.

Stock nbgrader scores a grade cell that never ran (its kernel died first) as a pass (nbgrader
#427). Here a cell without a verdict gets an error output naming why, so it scores 0.
"""

from __future__ import annotations

import nbformat
from nbformat import NotebookNode

NOT_RUN_ENAME = "GraderNoReport"


def is_grade_cell(cell: NotebookNode) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))


def not_run_error(reason: str) -> NotebookNode:
    """The error output a grade cell gets when it never reported: worth 0 points."""
    return nbformat.v4.new_output(
        "error", ename=NOT_RUN_ENAME, evalue=reason, traceback=[f"{NOT_RUN_ENAME}: {reason}"]
    )


def mark_unreported(nb: NotebookNode, start: int, reason: str) -> None:
    """Give every code grade cell from ``start`` on that has no error yet an error output."""
    for cell in nb.cells[start:]:
        if cell.cell_type == "code" and is_grade_cell(cell):
            if not any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                cell.outputs = list(cell.get("outputs", [])) + [not_run_error(reason)]
