"""Command line: ``python -m grader {build,list,grade,dev-check,autograde,lab}``.

Each subcommand is a small function returning an exit code: 0 success, 1 the check found
problems, 2 the command was used wrongly (argparse) or its input was unusable.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from grader.paths import course_root


def _cmd_build(args: argparse.Namespace) -> int:
    from grader.build import build, check_build

    root = course_root()
    if args.check:
        problems = check_build(root)
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"build --check: {len(problems)} problem(s)")
        return 1 if problems else 0
    for name in build(root, only=args.only):
        print(f"built exercises/{name}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from grader.listing import render_list

    print(render_list(course_root()))
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    from grader.grading import GradingError, grade_notebook

    try:
        result = grade_notebook(course_root(), args.assignment, Path(args.notebook))
    except GradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result.as_dict(), indent=2) if args.json else result.as_text())
    return 0


def _cmd_dev_check(args: argparse.Namespace) -> int:
    from grader.devcheck import KINDS, dev_check

    return dev_check(course_root(), lessons=not args.skip_lessons, only=args.only,
                     kinds=tuple(args.kind or KINDS))


def _cmd_autograde(args: argparse.Namespace) -> int:
    from grader.classgrade import CourseError, Options, autograde_class, summarize
    from grader.sandbox import SandboxUnavailable

    for flag, value, low in (("--workers", args.workers, 1), ("--timeout", args.timeout, 1),
                             ("--memory-mib", args.memory_mib, 256),
                             ("--cell-timeout", args.cell_timeout or 1, 1)):
        if value < low:
            print(f"error: {flag} must be at least {low}, got {value}", file=sys.stderr)
            return 2
    options = Options(workers=args.workers, scheduler=args.scheduler, force=args.force,
                      feedback=not args.no_feedback, cell_timeout=args.cell_timeout,
                      timeout=args.timeout, db_url=args.db_url,
                      memory_bytes=args.memory_mib * 1024 * 1024,
                      report=Path(args.report) if args.report else None,
                      students=args.student or None)
    try:
        outcome = autograde_class(course_root(), args.assignment, options)
    except (CourseError, SandboxUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summarize(outcome))
    return 1 if any(r.status == "not graded" for r in outcome.rows) else 0


def _cmd_lab(args: argparse.Namespace) -> int:
    from grader.lab import start_lab

    start_lab(course_root(), "instructor" if args.instructor else "learner", args.jupyter_args)


def main(argv: list[str] | None = None) -> int:
    # nbgrader's gradebook trips SQLAlchemy session warnings that say nothing to a user.
    warnings.filterwarnings("ignore", message=".*not in session.*")
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="generate exercises/ from solutions/ with nbgrader")
    p.add_argument("--check", action="store_true", help="fail if exercises/ is stale or leaks")
    p.add_argument("--only", help="build just this assignment")
    p.set_defaults(func=_cmd_build)
    p = sub.add_parser("list", help="the workbook with each exercise's status")
    p.set_defaults(func=_cmd_list)
    p = sub.add_parser("grade", help="grade one notebook exactly as nbgrader autograde would")
    p.add_argument("assignment", help="assignment folder name, e.g. 01_vectorization")
    p.add_argument("notebook", help="path to the notebook to grade")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_cmd_grade)
    p = sub.add_parser("dev-check", help="solutions score full, exercises zero, lessons run")
    p.add_argument("--skip-lessons", action="store_true", help="do not execute course/")
    p.add_argument("--only", help="one assignment name")
    p.add_argument("--kind", action="append",
                   choices=["solution", "exercise", "speed", "growth", "lesson"],
                   help="only jobs of this kind (repeatable; default: all)")
    p.set_defaults(func=_cmd_dev_check)
    p = sub.add_parser("autograde", help="grade every submission: sandboxed, parallel, "
                       "resumable, into nbgrader's gradebook")
    p.add_argument("assignment", help="assignment folder name, e.g. 01_vectorization")
    p.add_argument("--workers", type=int, default=2, help="submissions graded at once")
    p.add_argument("--scheduler", help="dask.distributed scheduler address (pip install "
                   "'.[cluster]'); the gradebook is still written here")
    p.add_argument("--report", help="write the class table as CSV here")
    p.add_argument("--force", action="store_true", help="regrade submissions already graded")
    p.add_argument("--no-feedback", action="store_true", help="skip feedback HTML")
    p.add_argument("--cell-timeout", type=int, help="seconds per cell (default: the "
                   "course's Execute.timeout)")
    p.add_argument("--timeout", type=float, default=900.0,
                   help="wall-clock seconds per sandboxed run of one submission")
    p.add_argument("--memory-mib", type=int, default=4096,
                   help="address-space limit of each sandboxed process, MiB")
    p.add_argument("--db-url", help="gradebook URL (default: the course's db_url)")
    p.add_argument("--student", action="append", help="only this student (repeatable)")
    p.set_defaults(func=_cmd_autograde)
    p = sub.add_parser("lab", allow_abbrev=False,
                       usage="python -m grader lab [--instructor] [jupyter lab arguments]",
                       help="JupyterLab on the workbook (learner mode; --instructor for "
                       "nbgrader's tools); other arguments go to `jupyter lab`",
                       description="Open the workbook in JupyterLab at the first lesson. "
                       "Other arguments go to `jupyter lab`, e.g. --no-browser --port=8899.")
    p.add_argument("--instructor", action="store_true",
                   help="with nbgrader's Formgrader, Create Assignment and Assignment List")
    p.set_defaults(func=_cmd_lab)
    # `lab` hands the arguments it does not know to `jupyter lab` (LAB_OPTS in the Makefile).
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.jupyter_args = extra
    try:
        return args.func(args)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
