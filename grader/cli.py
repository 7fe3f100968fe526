"""Command line: ``python -m grader {build,list,grade,dev-check}``.

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
    for name in build(root):
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
    from grader.devcheck import dev_check

    return dev_check(course_root(), lessons=not args.skip_lessons, only=args.only)


def main(argv: list[str] | None = None) -> int:
    # nbgrader's gradebook trips SQLAlchemy session warnings that say nothing to a user.
    warnings.filterwarnings("ignore", message=".*not in session.*")
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="generate exercises/ from solutions/ with nbgrader")
    p.add_argument("--check", action="store_true", help="fail if exercises/ is stale or leaks")
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
    p.set_defaults(func=_cmd_dev_check)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
