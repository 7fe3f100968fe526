"""Grader for the AI-to-production workbook.

Learner-facing entry points live here so a notebook needs one import::

    from grader import check, hint, progress_panel
    check("normalize")

Everything else (building, grading, speed and SIMD measurement) is in submodules,
imported lazily so that ``import grader`` stays fast inside a kernel.
"""

from __future__ import annotations

from typing import Any

__all__ = ["check", "hint", "assert_checks", "progress_panel"]


def check(exercise: str, obj: Any = None, /, *, speed: bool = True) -> Any:
    """Run the public tests of ``exercise`` against the learner's object; see grader.checking.
    ``speed=False`` skips the timed tests for a quicker round."""
    from grader.checking import check as _check

    return _check(exercise, obj, speed=speed, _caller_globals=_caller_namespace())


def hint(exercise: str, /) -> Any:
    """Show the next hint of ``exercise``; see grader.checking."""
    from grader.checking import hint as _hint

    return _hint(exercise)


def progress_panel() -> Any:
    """The workbook's progress: chapters, exercises, points within reach; redrawn whenever
    check() runs in this kernel (see grader.panel)."""
    from grader.panel import progress_panel as _panel

    return _panel()


def assert_checks(grade_id: str, obj: Any, /) -> None:
    """Used by grade cells: raise AssertionError unless every public test of ``grade_id`` passes."""
    from grader.checking import assert_checks as _assert_checks

    _assert_checks(grade_id, obj)


def _caller_namespace() -> dict[str, Any]:
    import sys

    # Two frames up: the learner's cell that called grader.check().
    return sys._getframe(2).f_globals


def _install_tracebacks() -> None:
    # In a kernel, tracebacks show the learner's call without grader frames (see
    # grader.tracebacks); outside IPython this costs one dict lookup.
    import sys

    if "IPython" in sys.modules:
        from grader.tracebacks import install

        install()


_install_tracebacks()
