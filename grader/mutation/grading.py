"""``[exercises.mutation]`` cells: a learner's tests graded by the share of mutants they kill.

    [exercises.mutation]
    grade_ids = ["pricing_tests_some", "pricing_tests_most", "pricing_tests_nearly_all"]
    thresholds = [0.4, 0.7, 0.9]        # share of mutants each cell needs (all or nothing)
    cell = "pricing_tests_solution"     # the learner's tests: this cell's source
    module = "pricing.py"               # the functions under test (the course's copy)
    functions = ["is_eligible", "order_total"]
    preamble = "from decimal import Decimal; import pytest"   # the setup cell's imports

Hand-written mutants (a change no single-node operator makes) live in the source's
``solution_only/hidden_mutants.py`` as ``MUTANTS = [{"function", "description",
"replace": (old text, new text)}]``;
they count in the grade, never in ``check()``, and are never shown.

Graded by the grading process itself (grader/classgrade/job.py, phase ``mutation``), which
starts a sandbox per run: a run cannot start sandboxes of its own, so this kind is not
measured inside the sandboxed controller (grader/classgrade/speedcheck.py skips it).
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

from grader.mutation.engine import Subject, run_mutation
from grader.mutation.mutants import Mutant, from_replacement, generate
from grader.mutation.report import MutationReport

HIDDEN_MUTANTS = Path("solution_only") / "hidden_mutants.py"


def settings_problems(settings: dict[str, Any]) -> list[str]:
    """What is wrong with a ``[exercises.mutation]`` table (empty when it is usable)."""
    problems = []
    ids, thresholds = settings.get("grade_ids", []), settings.get("thresholds")
    if not isinstance(thresholds, list) or len(thresholds) != len(ids) or not all(
            isinstance(t, int | float) and not isinstance(t, bool) and 0 < t <= 1
            for t in thresholds):
        problems.append("thresholds must list one share in (0, 1] per grade id")
    for key in ("cell", "module"):
        if not isinstance(settings.get(key), str) or not settings.get(key):
            problems.append(f"{key} must be a non-empty string")
    functions = settings.get("functions")
    if not isinstance(functions, list) or not functions or not all(
            isinstance(f, str) and f.isidentifier() for f in functions):
        problems.append("functions must be a non-empty list of names")
    if not isinstance(settings.get("preamble", ""), str):
        problems.append("preamble must be a string")
    return problems


def subject_for(folder: Path, settings: dict[str, Any]) -> Subject:
    """The module under test, read from ``folder`` (the course's files, never a learner's)."""
    problems = settings_problems(settings)
    if problems:
        raise ValueError(f"[exercises.mutation]: {'; '.join(problems)}")
    path = folder / str(settings["module"])
    return Subject(module=Path(settings["module"]).stem, source=path.read_text("utf-8"),
                   functions=tuple(settings["functions"]),
                   preamble=str(settings.get("preamble", "")))


def mutants_for(folder: Path, subject: Subject, *, hidden: bool) -> list[Mutant]:
    """The generated mutants, and with ``hidden`` the hand-written ones of ``folder``."""
    found = generate(subject.source, subject.functions)
    path = folder / HIDDEN_MUTANTS
    if hidden and path.is_file():
        for entry in runpy.run_path(str(path)).get("MUTANTS", []):  # the course's own file
            old, new = entry["replace"]
            found.append(from_replacement(subject.source, entry["function"], old, new,
                                          description=entry["description"]))
    return found


def thresholds(settings: dict[str, Any]) -> dict[str, float]:
    """grade id -> the share of mutants its cell needs."""
    return {str(g): float(t) for g, t in zip(settings["grade_ids"], settings["thresholds"],
                                             strict=True)}


def notebook_cell(notebook_json: str, cell_id: str) -> str | None:
    """The source of the code cell ``cell_id`` of a notebook given as JSON, or None."""
    nb = json.loads(notebook_json)
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("grade_id") == cell_id:
            source = cell.get("source", "")
            return "".join(source) if isinstance(source, list) else str(source)
    return None


def graded_outputs(trusted: Path, notebook_json: str) -> dict[str, list[dict[str, Any]]]:
    """grade id -> nbformat outputs of every mutation cell of the assignment in ``trusted``
    (the source's files, hidden mutants included) for the submitted notebook."""
    from grader.classgrade.capture import error_output
    from grader.metadata import load_assignment

    assignment = load_assignment(trusted)
    out: dict[str, list[dict[str, Any]]] = {}
    for _exercise, settings in mutation_tables(assignment):
        cells = thresholds(settings)
        try:
            report = grade_cell_source(trusted, settings,
                                       notebook_cell(notebook_json, str(settings["cell"])))
        except Exception as exc:  # the harness failing reads as an error, never a pass
            for gid in cells:
                out[gid] = [error_output("MeasurementError", f"{type(exc).__name__}: {exc}")]
            continue
        for index, (gid, share) in enumerate(cells.items()):
            out[gid] = report.outputs(share, full=index == 0)
    return out


def grade_cell_source(folder: Path, settings: dict[str, Any], source: str | None
                      ) -> MutationReport:
    """The report for the tests in ``source`` (None: the cell is missing)."""
    subject = subject_for(folder, settings)
    mutants = mutants_for(folder, subject, hidden=True)
    if source is None:
        return MutationReport(mutants, {}, [], failure=f"the notebook has no tests cell "
                                                       f"{settings['cell']!r}")
    return run_mutation(source, subject, mutants)


def mutation_tables(assignment: Any) -> list[tuple[Any, dict[str, Any]]]:
    """(exercise, table) of each exercise with an ``[exercises.mutation]`` table."""
    return [(e, e.settings("mutation")) for e in assignment.exercises if e.settings("mutation")]
