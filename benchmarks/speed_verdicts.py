"""How often does the speed grader get it wrong on a busy machine? (run on demand)

For every speed exercise of every assignment: grade the model solution N times (it must
pass) and the AI baseline N times (it must fail) while a bounded competing process keeps
every core busy; print false fails, false passes, the reference's speedup and the seconds
per verdict. For contrast, the same question answered by a naive timing (one call of each,
wall clock, in this process) on the same machine.

    .venv/bin/python benchmarks/speed_verdicts.py            # 50 + 50 per exercise
    .venv/bin/python benchmarks/speed_verdicts.py --quick    # 5 + 5, a CI smoke run
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from tqdm import tqdm

from grader.metadata import iter_assignments
from grader.paths import course_root
from grader.speed import NotebookCandidate
from grader.speedtest import run_speed, setup_for

BUSY = "import time\nend = time.monotonic() + {s}\nwhile time.monotonic() < end: pass\n"


@contextmanager
def competing_load(cores: int, seconds: float):
    """Busy loops on every core, each ending by itself after ``seconds`` at the latest."""
    procs = [subprocess.Popen([sys.executable, "-c", BUSY.format(s=seconds)])
             for _ in range(cores)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def naive_ratio(setup, reference_func) -> float:
    """One wall-clock call of each, in this process: what a simple grader would do."""
    args = setup.inputs.load_here()(np.random.default_rng(), setup.spec.size)
    baseline = setup.baseline.load_here()
    start = time.perf_counter()
    baseline(*args)
    base = time.perf_counter() - start
    start = time.perf_counter()
    reference_func(*args)
    return base / max(time.perf_counter() - start, 1e-9)


def bench_exercise(root: Path, assignment, exercise, n: int) -> dict:
    setup = setup_for(assignment, exercise, None)
    reference = NotebookCandidate(assignment.folder / assignment.notebook, exercise.name)
    ref_func = reference.load_here()
    T = setup.spec.threshold
    speedups, seconds, false_fail, false_pass, naive_wrong = [], [], 0, 0, 0
    for _ in tqdm(range(n), desc=f"{exercise.name} (2 x {n} verdicts)", file=sys.stderr):
        for who, candidate in (("reference", reference), ("baseline", setup.baseline)):
            start = time.monotonic()
            report = run_speed(setup, candidate, progress=False)
            seconds.append(time.monotonic() - start)
            if who == "reference":
                speedups.append(report.speedup or 0.0)
                false_fail += not report.passed
            else:
                false_pass += report.passed
        naive = naive_ratio(setup, ref_func)
        naive_wrong += naive < T  # the naive grader fails the model solution
    return dict(exercise=f"{assignment.name}/{exercise.name}", T=T,
                median=statistics.median(speedups), min=min(speedups),
                false_fails=false_fail, false_passes=false_pass, n=n,
                sec=statistics.mean(seconds), naive_false_fails=naive_wrong)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 + 5 verdicts per exercise")
    parser.add_argument("-n", type=int, default=50, help="verdicts of each kind per exercise")
    parser.add_argument("--only", help="an assignment (01_vectorization) or one exercise "
                        "(01_vectorization/normalize)")
    args = parser.parse_args()
    n = 5 if args.quick else args.n
    root = course_root()
    rows = []
    with competing_load(cores=2, seconds=4 * 3600):
        for assignment in iter_assignments(root):
            for exercise in assignment.exercises:
                name = f"{assignment.name}/{exercise.name}"
                if exercise.speed and args.only in (None, name, assignment.name):
                    rows.append(bench_exercise(root, assignment, exercise, n))
    print(f"\nspeed verdicts under a competing load on every core ({n} + {n} per exercise)")
    print(f"{'exercise':<32} {'T':>4} {'ref median':>10} {'ref min':>8} {'false fail':>10} "
          f"{'false pass':>10} {'s/verdict':>9} {'naive false fail':>16}")
    for r in rows:
        print(f"{r['exercise']:<32} {r['T']:>4g} {r['median']:>9.1f}x {r['min']:>7.1f}x "
              f"{r['false_fails']:>6}/{r['n']:<3} {r['false_passes']:>6}/{r['n']:<3} "
              f"{r['sec']:>9.1f} {r['naive_false_fails']:>12}/{r['n']:<3}")
    bad = sum(r["false_fails"] + r["false_passes"] for r in rows)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
