"""``python -m grader dev-check``: the rustlings-style proof that the workbook is sound.

For every assignment: the solution notebook scores full marks, the generated exercise
notebook scores exactly 0 and grades without crashing. Then every lesson in course/ runs top
to bottom. Each job runs in its own process (two at a time: the machines are 2-core), so one
crash cannot take the others with it.
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from grader.metadata import iter_assignments
from grader.paths import LESSON_DIR, RELEASE_DIR, SOURCE_DIR


@dataclass(frozen=True)
class Job:
    kind: str  # "solution", "exercise", "lesson", "speed", "growth"
    assignment: str
    path: Path

    @property
    def label(self) -> str:
        return f"{self.kind:<8} {self.path}"


def _run(root: Path, job: Job) -> str | None:
    """None when the job meets its expectation, else one line saying what went wrong."""
    try:
        if job.kind == "speed":
            return _speed_margin(root, job)
        if job.kind == "growth":
            return _growth_margin(root, job)
        if job.kind == "lesson":
            from grader.lessons import execute

            execute(job.path)
            return None
        from grader.grading import grade_notebook

        result = grade_notebook(root, job.assignment, job.path)
    except Exception as exc:  # report and go on: one broken notebook must not hide others
        return f"{type(exc).__name__}: {exc}"
    if job.kind == "solution" and result.score != result.max_score:
        lost = [f"{c.grade_id} ({c.message})" for c in result.cells if c.points < c.max_points]
        return f"scored {result.score:g}/{result.max_score:g}; lost: {'; '.join(lost)}"
    if job.kind == "exercise" and (result.score != 0 or result.max_score <= 0):
        won = [c.grade_id for c in result.cells if c.points > 0]
        return f"unsolved exercise scored {result.score:g}/{result.max_score:g}: {', '.join(won)}"
    return None


def _speed_margin(root: Path, job: Job) -> str | None:
    """The model solution must clear its reference margin (REFERENCE_MARGIN unless the
    speed table sets ``reference_margin``) x the threshold on this machine, or the threshold
    (or the input size) is wrong, not the learner."""
    from grader.metadata import load_assignment
    from grader.speedtest import candidate_for, run_speed, setup_for

    assignment = load_assignment(root / SOURCE_DIR / job.assignment)
    exercise = assignment.exercise(job.path.name)
    setup = setup_for(assignment, exercise, None)
    candidate = candidate_for(assignment, exercise, assignment.folder,
                              assignment.folder / assignment.notebook)
    report = run_speed(setup, candidate, progress=False)
    need = setup.reference_margin * setup.spec.threshold
    if report.speedup is None or report.speedup < need:
        return (f"model solution reaches {report.speedup or 0:.1f}x, needs {need:g}x "
                f"({setup.reference_margin:g} x threshold {setup.spec.threshold:g}): "
                f"{report.reason}")
    return None


def _growth_margin(root: Path, job: Job) -> str | None:
    """The model solution's slope must stay ``slope_margin`` under max_slope, and its cost at
    the largest size within half of max_slowdown, or the limits are wrong, not the learner."""
    from grader.growth.cells import candidate_of, growth_setup, run_growth
    from grader.metadata import load_assignment

    assignment = load_assignment(root / SOURCE_DIR / job.assignment)
    exercise = assignment.exercise(job.path.name)
    setup = growth_setup(assignment, exercise)
    report = run_growth(setup, candidate_of(setup, assignment.folder / assignment.notebook))
    spec = setup.spec
    if not report.passed or report.slope is None:
        return f"model solution fails its growth check: {report.reason}"
    if report.slope > spec.max_slope - setup.slope_margin:
        return (f"model solution grows like n^{report.slope:.2f}, needs at most "
                f"{spec.max_slope - setup.slope_margin:.2f} (max_slope {spec.max_slope:g} - "
                f"slope_margin {setup.slope_margin:g})")
    if spec.max_slowdown and report.slowdown and report.slowdown > spec.max_slowdown / 2:
        return (f"model solution costs {report.slowdown:.1f}x speed.py's model at the largest "
                f"size, over half of max_slowdown {spec.max_slowdown:g}")
    return None


KINDS = ("solution", "exercise", "speed", "growth", "lesson")


def jobs(root: Path, lessons: bool = True, only: str | None = None,
         kinds: tuple[str, ...] = KINDS) -> list[Job]:
    """The jobs of every assignment (or ``only`` one), of the given ``kinds``; ValueError for
    a kind that is not one of `KINDS`."""
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown dev-check job kind {', '.join(unknown)}; known: "
                         f"{', '.join(KINDS)}")
    out = []
    for a in iter_assignments(root, SOURCE_DIR):
        if only and a.name != only:
            continue
        out.append(Job("solution", a.name, a.folder / a.notebook))
        out.append(Job("exercise", a.name, root / RELEASE_DIR / a.name / a.notebook))
        out += [Job("speed", a.name, a.folder / e.name) for e in a.exercises if e.speed]
        out += [Job("growth", a.name, a.folder / e.name) for e in a.exercises
                if e.settings("growth")]
        if lessons and a.lesson:
            out.append(Job("lesson", a.name, root / LESSON_DIR / a.lesson))
    return [job for job in out if job.kind in kinds]


def dev_check(root: Path, lessons: bool = True, only: str | None = None, workers: int = 2,
              kinds: tuple[str, ...] = KINDS) -> int:
    todo = jobs(root, lessons, only, kinds)
    failures: list[str] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(_run, root, job): job for job in todo}
        for future in tqdm(as_completed(futures), total=len(todo), desc="dev-check",
                           file=sys.stderr):
            job = futures[future]
            error = future.result()
            print(f"{'FAIL' if error else 'ok  '} {job.label}" + (f": {error}" if error else ""))
            if error:
                failures.append(job.label)
    print(f"dev-check: {len(todo) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0
