"""Class-scale grading: stock ``nbgrader autograde`` vs ``python -m grader autograde``.

    .venv/bin/python benchmarks/class_grading.py [--submissions 40] [--workers 2] [--keep DIR]

Builds one course (generate_assignment once), hands in N submissions (correct, partial,
unsolved and a few adversarial ones from tests/golden), copies it twice, grades one copy with
stock nbgrader (the course's config: its SandboxedGrading step is the same engine, one
submission at a time) and the other with ours, then prints both wall times, their ratio, the
points of every submission side by side, and whether the speed verdicts agree. Every
submission must agree, adversarial ones included: both paths grade with one engine.
Not a unit test: it takes minutes, and the numbers depend on the machine's load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_classgrade_support import A, gradebook_scores, new_course, submit  # noqa: E402

# (kind, how many of the 40); scaled to --submissions.
MIX = [("solution", 8), ("alternative", 8), ("boundary_bug", 8), ("warns", 4),
       ("article_loop", 4), ("exercise", 4), ("adversarial/patched_helpers", 1),
       ("adversarial/patched_allclose", 1), ("adversarial/memoize_peek", 1),
       ("adversarial/deleted_cells", 1)]


def plan(n: int) -> dict[str, str]:
    kinds = [kind for kind, count in MIX for _ in range(count)]
    while len(kinds) < n:
        kinds += kinds
    return {f"s{i:02d}_{kind.split('/')[-1]}": kind for i, kind in enumerate(kinds[:n])}


def timed(cmd: list[str], cwd: Path) -> float:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{cmd[:4]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="build the courses here and keep them")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="class-bench-"))
    students = plan(args.submissions)
    print(f"building a course with {len(students)} submissions in {base} ...", flush=True)
    course = new_course(base / "course")
    for student, kind in students.items():
        submit(course, student, kind)
    stock, ours = base / "stock", base / "ours"
    for copy in (stock, ours):
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(course, copy)

    bindir = Path(sys.executable).parent
    print("stock nbgrader autograde ...", flush=True)
    t_stock = timed([str(bindir / "nbgrader"), "autograde", A], stock)
    print(f"python -m grader autograde --workers {args.workers} ...", flush=True)
    t_ours = timed([sys.executable, "-m", "grader", "autograde", A, "--workers",
                    str(args.workers), "--no-feedback"], ours)

    g_stock, g_ours = gradebook_scores(stock), gradebook_scores(ours)
    s_stock = {s: sum(g.values()) for s, g in g_stock.items()}
    s_ours = {s: sum(g.values()) for s, g in g_ours.items()}
    disagree = []
    print(f"\n{'submission':<28}{'stock':>7}{'ours':>7}")
    for student, kind in students.items():
        adversarial = kind.startswith("adversarial/")
        a, b = s_stock.get(student), s_ours.get(student)
        mark = " (adversarial)" if adversarial else ("" if a == b else "  <-- DIFFERS")
        if not adversarial and a != b:
            disagree.append(student)
        print(f"{student:<28}{a if a is not None else '-':>7}{b if b is not None else '-':>7}"
              f"{mark}")
    honest = sum(not k.startswith("adversarial/") for k in students.values())
    print("\n| grader | wall time (s) | per submission (s) |\n|---|---:|---:|")
    print(f"| stock nbgrader autograde | {t_stock:.1f} | {t_stock / len(students):.2f} |")
    print(f"| python -m grader autograde --workers {args.workers} | {t_ours:.1f} | "
          f"{t_ours / len(students):.2f} |")
    print(f"\nspeed-up: {t_stock / t_ours:.2f}x (goal >= 1.8x on 2 cores)")
    print(f"honest submissions agreeing: {honest - len(disagree)}/{honest}"
          + (f"; differ: {', '.join(disagree)}" if disagree else ""))
    # Stock nbgrader grades one submission at a time; ours two at once. Same speed verdicts?
    speed_ids = sorted({g for grades in g_stock.values() for g in grades if "speed" in g})
    verdicts = [(s, g) for s in students for g in speed_ids
                if not students[s].startswith("adversarial/")]
    same = [v for v in verdicts if g_stock.get(v[0], {}).get(v[1]) ==
            g_ours.get(v[0], {}).get(v[1])]
    print(f"speed verdicts equal to one-at-a-time (stock) grading: {len(same)}/{len(verdicts)}"
          + "".join(f"\n  differs: {s} {g}: stock {g_stock.get(s, {}).get(g)}, ours "
                    f"{g_ours.get(s, {}).get(g)}" for s, g in verdicts if (s, g) not in same))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
