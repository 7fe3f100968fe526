"""Growth as a graded test: ``[exercises.growth]`` in assignment.toml -> a verdict.

The exercise folder's ``speed.py`` names, for exercise ``NAME``: ``make_NAME(rng, n)`` (valid
inputs of size n, made in the trusted process), ``ai_NAME`` (the AI version) and
``expected_NAME`` (the right answer, computed in the trusted process, and timed in a worker of
its own as the model solution: the yardstick of ``max_slowdown``). The metadata::

    [exercises.growth]
    grade_id = "match_orders_growth"   # the grade cell, also listed in points
    min_size = 2_000
    max_size = 200_000
    max_slope = 1.4
    # any other GrowthSpec field: baseline_max_size, max_slowdown, call_limit, ...
    slope_margin = 0.2                 # dev-check: the model's slope + this <= max_slope

The grade cell calls `assert_growth`; graded, the cell is measured by the grading controller
(grader/classgrade/speedcheck.py, `growth_outputs`) and its own code decides nothing.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from grader.growth.drivers import DrivenCandidate
from grader.metadata import Assignment, Exercise, MetadataError, find_exercise
from grader.paths import find_course_root, package_course_root
from grader.speedtest import SPEED_FILE, TRUSTED_ENV, SpeedFailure, show_view

SLOPE_MARGIN = 0.2  # dev-check: the model's slope must stay this far under max_slope
# driver, functions: the learner's functions bound to a course driver (drivers.py)
_META_ONLY = {"grade_id", "slope_margin", "driver", "functions"}


@dataclass(frozen=True)
class GrowthSetup:
    exercise: str
    grade_id: str
    spec: Any  # grader.growth.spec.GrowthSpec
    inputs: Any
    expected: Any
    baseline: Any
    yardstick: Any
    driver: str | None = None
    compare: Any = None  # speed.py's compare_NAME(got, want) -> str | None, when it has one
    functions: list[str] = field(default_factory=list)
    slope_margin: float = SLOPE_MARGIN


class GrowthFailure(SpeedFailure):
    """A failed growth test; ``report`` keeps the view for check()'s table, or None."""


def settings_problems(table: dict[str, Any]) -> list[str]:
    """What is wrong with an ``[exercises.growth]`` table (unknown fields, bad values)."""
    from grader.growth.spec import GrowthSpec

    known = {f.name for f in fields(GrowthSpec)}
    unknown = sorted(set(table) - known - _META_ONLY)
    if unknown:
        return [f"unknown fields {unknown}"]
    try:
        GrowthSpec(**{k: v for k, v in table.items() if k in known})
    except (TypeError, ValueError) as exc:
        return [str(exc)]
    margin = table.get("slope_margin", SLOPE_MARGIN)
    if isinstance(margin, bool) or not isinstance(margin, int | float) or margin < 0:
        return [f"slope_margin must be a number >= 0, got {margin!r}"]
    functions = table.get("functions", [])
    if not isinstance(functions, list) or not all(isinstance(f, str) and f for f in functions):
        return [f"functions must be a list of function names, got {functions!r}"]
    if functions and "driver" not in table:
        return ["functions needs a driver (grader.growth.drivers) to call them"]
    if "driver" in table:
        from grader.growth.drivers import driver_function

        try:
            driver_function(table["driver"])
        except ValueError as exc:
            return [str(exc)]
    return []


def growth_setup(assignment: Assignment, exercise: Exercise, **overrides: Any) -> GrowthSetup:
    """The measurement plan of ``exercise``'s growth cell; MetadataError names a bad field.
    The model timed beside the learner's is speed.py's ``expected_NAME`` (the trusted
    answer), or with a driver its ``model_*`` functions, driven like the learner's;
    dev-check proves the solution notebook's functions grow as well."""
    from grader.growth.spec import GrowthSpec
    from grader.speed import ModuleCandidate

    table = exercise.settings("growth")
    where = f"{assignment.folder}: growth of {exercise.name!r}"
    if not table:
        raise MetadataError(f"{where}: the exercise has no [exercises.growth] table")
    problems = settings_problems(table)
    if problems:
        raise MetadataError(f"{where}: {'; '.join(problems)}")
    known = {f.name for f in fields(GrowthSpec)}
    spec = GrowthSpec(**{k: v for k, v in table.items() if k in known} | overrides)
    module = assignment.folder / SPEED_FILE
    driver = table.get("driver")
    if driver:  # speed.py's ai_/model_ versions of the functions, driven like the learner's
        names = functions_of(exercise)
        baseline: Any = DrivenCandidate(ModuleCandidate(module, f"ai_{names[0]}"),
                                        [f"ai_{n}" for n in names], driver)
        yardstick: Any = DrivenCandidate(ModuleCandidate(module, f"model_{names[0]}"),
                                         [f"model_{n}" for n in names], driver)
    else:
        baseline = ModuleCandidate(module, f"ai_{exercise.name}")
        yardstick = ModuleCandidate(module, f"expected_{exercise.name}")
    try:  # speed.py may say how answers are compared
        compare = ModuleCandidate(module, f"compare_{exercise.name}").load_here()
    except LookupError:
        compare = None
    return GrowthSetup(
        exercise=exercise.name, grade_id=str(table["grade_id"]), spec=spec, compare=compare,
        inputs=ModuleCandidate(module, f"make_{exercise.name}"),
        expected=ModuleCandidate(module, f"expected_{exercise.name}").load_here(),
        baseline=baseline, yardstick=yardstick, driver=driver,
        functions=functions_of(exercise),
        slope_margin=float(table.get("slope_margin", SLOPE_MARGIN)))


def functions_of(exercise: Exercise) -> list[str]:
    """The learner's functions a growth cell measures (``functions``, default the
    exercise's name)."""
    return list(exercise.settings("growth").get("functions") or [exercise.name])


def candidate_of(setup: GrowthSetup, notebook: Path | None = None,
                 functions: tuple[Any, ...] = ()) -> Any:
    """What is measured: the functions from ``notebook`` (graded) or live ``functions``
    (a kernel), bound to the exercise's driver when it has one."""
    from grader.speed import CallableCandidate, NotebookCandidate

    if notebook is not None:
        inner = NotebookCandidate(notebook, setup.functions[0])
        return (DrivenCandidate(inner, setup.functions, setup.driver) if setup.driver
                else inner)
    if len(functions) != len(setup.functions):
        raise TypeError(f"{setup.exercise}: pass the functions "
                        f"{', '.join(setup.functions)} ({len(setup.functions)}), got "
                        f"{len(functions)}")
    if not setup.driver:
        return functions[0]
    from grader.growth.drivers import driver_function

    # Pickled for the worker: the learner's functions by value, the driver by reference.
    bound = functools.partial(driver_function(setup.driver), *functions)
    return CallableCandidate(bound, setup.functions[-1])


def run_growth(setup: GrowthSetup, candidate: Any, progress: bool = False) -> Any:
    """Measure ``candidate`` (a function or a grader.speed Candidate): a GrowthReport."""
    from grader.growth.measure import measure_growth

    return measure_growth(setup.spec, inputs=setup.inputs, expected=setup.expected,
                          baseline=setup.baseline, candidate=candidate,
                          yardstick=setup.yardstick, progress=progress,
                          compare=setup.compare)


def assert_growth(exercise: str, *functions: Any, show: bool | None = None) -> Any:
    """Grade-cell helper: measure how the exercise's function(s) grow, out of process;
    raise GrowthFailure (one readable line) unless it passes. ``show`` as grader.speedtest's
    assert_speed: display the view here when called straight from a notebook cell."""
    __tracebackhide__ = True
    from grader.growth.view import GrowthView

    if os.environ.get(TRUSTED_ENV):
        # Graded: the controller measures this cell in its own sandbox and replaces the
        # cell's outputs with its verdict; a measurement here would be untrusted.
        print("growth is measured by the grader outside this kernel")
        return None
    if show is None:
        show = sys._getframe(1).f_globals.get("__name__") == "__main__"
    root = find_course_root() or package_course_root()
    assignment, ex = find_exercise(exercise, root)
    setup = growth_setup(assignment, ex)
    for name, func in zip(setup.functions, functions, strict=False):
        if not callable(func):
            raise GrowthFailure(f"{setup.grade_id}: {name} is not defined: run the cell that "
                                "defines it", None)
    candidate = candidate_of(setup, functions=functions)
    report = run_growth(setup, candidate, progress=True)
    view = GrowthView(ex.name, report, setup.grade_id)
    if show and (report.passed or view.measured):
        show_view(view)
    if not report.passed:
        raise GrowthFailure(view.message(), view if view.measured else None)
    return None if show else view


def growth_outputs(assignment: Any, exercise: Any, settings: dict[str, Any],
                   notebook: Path) -> list[dict[str, Any]]:
    """The measurer of a growth cell (grader/classgrade/speedcheck.py MEASURERS): nbformat
    outputs, ending with an error output unless the cell passed."""
    from grader.classgrade.capture import error_output
    from grader.growth.view import GrowthView

    setup = growth_setup(assignment, exercise)
    report = run_growth(setup, candidate_of(setup, notebook))
    view = GrowthView(exercise.name, report, str(settings.get("grade_id")))
    shown = {"output_type": "display_data", "metadata": {},
             "data": {"text/plain": str(view), "text/html": view._repr_html_()}}
    return [shown] if report.passed else [shown, error_output("GrowthFailure", view.message())]
