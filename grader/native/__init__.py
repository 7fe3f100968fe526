"""Native extensions for the workbook: building, loading and grading compiled code.

``from grader.native import build`` is the notebook's entry point (see grader.native.crates);
the rest is imported lazily so that ``import grader.native`` stays cheap in a kernel.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

__all__ = ["build", "speed_candidate"]


def build(crate: str, /, **options: Any) -> ModuleType | None:
    """Build the crate ``crate`` beside the notebook and load it; see grader.native.crates."""
    __tracebackhide__ = True
    from grader.native.crates import build as _build

    return _build(crate, **options)


def speed_candidate(exercise: str, module: ModuleType | None, /) -> Any:
    """The speed-engine candidate of a built module; see grader.native.speed."""
    from grader.native.speed import speed_candidate as _speed_candidate

    return _speed_candidate(exercise, module)
