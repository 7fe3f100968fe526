"""One metadata file per assignment folder: ``assignment.toml``.

Like rustlings' ``info.toml``, it is the one place that names the exercises, their points,
hints and required toolchains. Points must agree with the nbgrader metadata of the source
notebook; ``python -m grader build --check`` proves they do.

Example::

    title = "Loops vs vectorization"
    notebook = "vectorization.ipynb"
    lesson = "01_vectorization.ipynb"
    toolchains = []
    prebuilt = []        # course .mojo files compiled once by the grader (a baseline)

    [[exercises]]
    name = "normalize"
    title = "Normalize scores into proportions"
    hints = ["...", "..."]
    points = { normalize_values = 2, normalize_edge_cases = 3 }
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.paths import METADATA_NAME, RELEASE_DIR, SOURCE_DIR

KNOWN_TOOLCHAINS = {"rust", "go", "mojo", "node"}
# Exercise tables whose ``grade_id`` cell is decided by a sandboxed measurement (fresh worker
# processes driven by a controller that never runs learner code: grader/classgrade/
# speedcheck.py), never by the grade cell's own code. Each kind has a measurer registered in
# speedcheck.MEASURERS.
# ``allocations``: heap allocations counted at libc in a fresh process that loads only the
# learner's compiled crate (grader/native/allocations.py).
# ``simd``, ``bandwidth``: a numba kernel compiled alone, its machine code read and its
# throughput timed against a yardstick of speed.py (grader/speed/simdcheck.py).
# ``mutation``: a learner's own tests, run against the course's module and each of its
# mutants, every run in a fresh sandbox; the cell passes when they kill its share of the
# mutants (grader/mutation). Measured by the grading process itself, not the controller
# (PARENT_KINDS): a sandboxed process cannot start the sandboxes it needs.
# ``scenarios``: the trusted tests of each grade id (checks.py, and solution_only/
# hidden_checks.py when the source has one) run in the controller against a native program
# built from the learner's files (a Go package with the course's harness, grader/golang)
# that they drive against the fault server (grader/faults); one table may name several
# cells (``grade_ids``).
# ``growth``: the learner's function timed at sizes drawn per run, on fresh inputs, beside the
# AI version and the course's answer; graded by the slope of log(time) against log(n)
# (grader/growth).
MEASURED_KINDS = ("speed", "allocations", "simd", "bandwidth", "scenarios", "mutation",
                  "growth")
PARENT_KINDS = ("mutation",)


class MetadataError(ValueError):
    """assignment.toml is missing, unreadable or inconsistent; the message names the field."""


@dataclass(frozen=True)
class Exercise:
    name: str
    title: str
    hints: tuple[str, ...]
    points: dict[str, float]
    speed: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def max_points(self) -> float:
        return sum(self.points.values())

    def settings(self, kind: str) -> dict[str, Any]:
        """The exercise's ``[exercises.KIND]`` table (``speed``, ...), or {}."""
        value = self.speed if kind == "speed" else self.extra.get(kind, {})
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Assignment:
    name: str
    folder: Path
    title: str
    notebook: str
    lesson: str | None
    toolchains: tuple[str, ...]
    exercises: tuple[Exercise, ...]
    # Course .mojo files the grader compiles once, outside the sandbox, for every sandbox
    # to load (grader/native/mojo.py, prebuild): a baseline no learner edits.
    prebuilt: tuple[str, ...] = ()

    def exercise(self, name: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.name == name:
                return exercise
        known = ", ".join(e.name for e in self.exercises)
        raise KeyError(f"assignment {self.name!r} has no exercise {name!r} (it has: {known})")

    def grade_ids(self) -> dict[str, float]:
        return {gid: pts for e in self.exercises for gid, pts in e.points.items()}

    def measured(self) -> list[tuple[Exercise, str, dict[str, Any]]]:
        """(exercise, kind, settings) of every measured grade cell (MEASURED_KINDS); a
        table naming several cells (``grade_ids``) gives one entry per cell, each with its
        own ``grade_id``."""
        found = []
        for e in self.exercises:
            for kind in MEASURED_KINDS:
                settings = e.settings(kind)
                ids = [settings["grade_id"]] if settings.get("grade_id") else \
                    list(settings.get("grade_ids", []))
                found += [(e, kind, {**settings, "grade_id": gid}) for gid in ids]
        return found

    def measured_ids(self, kinds: tuple[str, ...] = MEASURED_KINDS) -> frozenset[str]:
        """Grade ids decided by a measurement (of ``kinds``) instead of their cell's code."""
        return frozenset(str(settings["grade_id"]) for _, kind, settings in self.measured()
                         if kind in kinds)



def _require(table: dict[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise MetadataError(f"{where}: missing required field {key!r}")
    value = table[key]
    if not isinstance(value, kind):
        raise MetadataError(f"{where}: field {key!r} must be {kind.__name__}, got {value!r}")
    return value


def _string_list(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MetadataError(f"{where}: field {key!r} must be a list of strings, got {value!r}")
    return tuple(value)


def _points(table: dict[str, Any], where: str) -> dict[str, float]:
    points = _require(table, "points", dict, where)
    if not points:
        raise MetadataError(f"{where}: 'points' names no grade cell")
    for gid, pts in points.items():
        if isinstance(pts, bool) or not isinstance(pts, int | float) or pts < 0:
            raise MetadataError(f"{where}: points of {gid!r} must be a number >= 0, got {pts!r}")
    return {gid: float(pts) for gid, pts in points.items()}


def _exercise(table: Any, where: str) -> Exercise:
    if not isinstance(table, dict):
        raise MetadataError(f"{where}: each [[exercises]] entry must be a table")
    name = _require(table, "name", str, where)
    where = f"{where} ({name})"
    known = {"name", "title", "hints", "points", "speed"}
    exercise = Exercise(
        name=name,
        title=_require(table, "title", str, where),
        hints=_string_list(table, "hints", where),
        points=_points(table, where),
        speed=dict(table.get("speed", {})),
        extra={k: v for k, v in table.items() if k not in known},
    )
    _measured_cells_exist(exercise, where)
    return exercise


def _measured_cells_exist(exercise: Exercise, where: str) -> None:
    """A measured table must name cells of this exercise: a typo would otherwise leave the
    cell to its own code, or measure nothing."""
    for kind in MEASURED_KINDS:
        table = exercise.speed if kind == "speed" else exercise.extra.get(kind)
        if table is None:
            continue
        if not isinstance(table, dict):
            raise MetadataError(f"{where}: [exercises.{kind}] must be a table")
        ids = table.get("grade_ids", [])
        if "grade_ids" in table and (not isinstance(ids, list) or not ids or
                                     not all(isinstance(g, str) for g in ids)):
            raise MetadataError(f"{where}: [exercises.{kind}] grade_ids must be a non-empty "
                                f"list of strings, got {ids!r}")
        if "grade_id" in table:
            ids = [table["grade_id"], *ids]
        unknown = [g for g in ids if g not in exercise.points]
        if unknown:
            raise MetadataError(f"{where}: [exercises.{kind}] names {unknown}, which are not "
                                f"in points {sorted(exercise.points)}")
        if kind == "mutation":
            from grader.mutation.grading import settings_problems

            problems = settings_problems(table)
            if problems:
                raise MetadataError(f"{where}: [exercises.mutation] {'; '.join(problems)}")
        if kind == "growth":
            from grader.growth.cells import settings_problems as growth_problems

            problems = growth_problems(table)
            if problems:
                raise MetadataError(f"{where}: [exercises.growth] {'; '.join(problems)}")


def load_assignment(folder: Path) -> Assignment:
    """Read and validate ``folder/assignment.toml``; raise MetadataError naming any problem."""
    path = folder / METADATA_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MetadataError(f"{path}: no {METADATA_NAME} in this assignment folder") from None
    except tomllib.TOMLDecodeError as exc:
        raise MetadataError(f"{path}: not valid TOML: {exc}") from None
    where = str(path)
    toolchains = _string_list(data, "toolchains", where)
    unknown = set(toolchains) - KNOWN_TOOLCHAINS
    if unknown:
        raise MetadataError(f"{where}: unknown toolchains {sorted(unknown)}")
    raw_exercises = _require(data, "exercises", list, where)
    exercises = tuple(_exercise(t, f"{where} exercises[{i}]") for i, t in enumerate(raw_exercises))
    _no_duplicates([e.name for e in exercises], "exercise name", where)
    _no_duplicates([g for e in exercises for g in e.points], "grade id", where)
    if "kernel_only" in data:  # the old escape hatch: cells graded from the learner's kernel
        raise MetadataError(f"{where}: 'kernel_only' is gone: no grade cell is decided in the "
                            "learner's kernel. Test through the verifier (grader.native.build "
                            "builds in the sandbox) or measure the cell (MEASURED_KINDS); see "
                            "grader/TRUST.md")
    prebuilt = _string_list(data, "prebuilt", where)
    for name in prebuilt:
        file = folder / name
        if not name.endswith(".mojo") or "/" in name or "\\" in name or not file.is_file():
            raise MetadataError(f"{where}: prebuilt names {name!r}, which is not a .mojo file "
                                "of this assignment folder")
    return Assignment(
        name=folder.name,
        folder=folder,
        title=_require(data, "title", str, where),
        notebook=_require(data, "notebook", str, where),
        lesson=data.get("lesson"),
        toolchains=toolchains,
        exercises=exercises,
        prebuilt=prebuilt,
    )


def _no_duplicates(names: list[str], what: str, where: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise MetadataError(f"{where}: {what} {name!r} appears twice")
        seen.add(name)


def iter_assignments(root: Path, kind: str = SOURCE_DIR) -> Iterator[Assignment]:
    """Every assignment under ``root/kind`` (``solutions`` or ``exercises``), sorted by name."""
    base = root / kind
    if not base.is_dir():
        return
    for folder in sorted(p for p in base.iterdir() if (p / METADATA_NAME).is_file()):
        yield load_assignment(folder)


class UnknownExercise(KeyError):
    """``check()``/``hint()`` got a name no assignment declares; the message lists the
    current assignment's exercises (all of them outside an assignment folder)."""

    def __str__(self) -> str:  # KeyError's own str() would wrap the message in quotes
        return str(self.args[0]) if self.args else "unknown exercise"


def find_exercise(
    name: str, root: Path | None, cwd: Path | None = None
) -> tuple[Assignment, Exercise]:
    """Locate exercise ``name``: the current folder first, then the course's exercises/ and
    solutions/. Raise UnknownExercise (a KeyError) naming what exists when nothing matches."""
    here = (cwd or Path.cwd()).resolve()
    candidates: list[Path] = [here] if (here / METADATA_NAME).is_file() else []
    for kind in (RELEASE_DIR, SOURCE_DIR):
        if root is not None and (root / kind).is_dir():
            candidates += sorted(p for p in (root / kind).iterdir()
                                 if (p / METADATA_NAME).is_file())
    seen: dict[str, list[str]] = {}
    for folder in candidates:
        assignment = load_assignment(folder)
        for exercise in assignment.exercises:
            if exercise.name == name:
                return assignment, exercise
        seen.setdefault(assignment.name, [e.name for e in assignment.exercises])
    raise UnknownExercise(_unknown_message(name, seen, here if candidates[:1] == [here] else None))


def _unknown_message(name: str, seen: dict[str, list[str]], here: Path | None) -> str:
    import difflib

    every = [n for names in seen.values() for n in names]
    close = difflib.get_close_matches(str(name), every, n=1)
    guess = f"; did you mean {close[0]!r}?" if close else "."
    if here is not None:
        mine = seen.get(here.name) or next(iter(seen.values()), [])
        return (f"no exercise named {name!r} in this assignment{guess} Its exercises: "
                f"{', '.join(mine)}")
    if not seen:
        return f"no exercise named {name!r}: no assignments were found"
    listed = "; ".join(f"{a}: {', '.join(names)}" for a, names in seen.items())
    return f"no exercise named {name!r}{guess} Exercises by assignment: {listed}"
