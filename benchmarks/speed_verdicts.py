"""How often is a speed verdict wrong on a busy machine? (run on demand, alone)

For every speed cell of every assignment in solutions/: grade the model solution N times (it
must pass), the AI baseline N times and one honest-but-slow variant N times (both must
fail), while a bounded competing load keeps both cores busy: one process spinning on the
CPU and one streaming memory. Every verdict is a full `grader.speedtest.run_speed`, the same
measurement a grade cell makes, with the candidate loaded the way grading loads a learner's
(a notebook function, a kernel compiled alone, a Mojo file, a crate).

    .venv/bin/python benchmarks/speed_verdicts.py              # 30 of each, every cell
    .venv/bin/python benchmarks/speed_verdicts.py -n 5 --only 04_simd/sum_array

Prints one row per cell and kind (threshold, false fails, false passes, median and min/max
ratio, seconds per verdict) and the totals; exits 1 on any wrong verdict. The slow variants
are in benchmarks/variants/; chapter 04's numba ones and the Rust one are golden submissions
(tests/golden/).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from grader.metadata import Assignment, Exercise, iter_assignments
from grader.paths import course_root
from grader.speed import ModuleCandidate
from grader.speed.kernels import KernelCandidate, kernel_module
from grader.speedtest import candidate_for, run_speed, setup_for

HERE = Path(__file__).resolve().parent
VARIANTS = HERE / "variants"
GOLDEN = HERE.parent / "tests" / "golden"
GOLDEN_CRATES = GOLDEN / "05_rust_clones" / "still_clones"
# Honest scalar kernels (indexed loops, no fastmath): the golden submission, compiled alone.
SCALAR_KERNELS = GOLDEN / "04_simd" / "scalar_and_article_tail.py"

SPIN = "import time\nend = time.monotonic() + {s}\nwhile time.monotonic() < end: pass\n"
STREAM = ("import time, numpy as np\nend = time.monotonic() + {s}\n"
          "a = np.ones(8 << 20); b = np.empty_like(a)\n"  # 64 MB each: beyond every cache
          "while time.monotonic() < end: np.copyto(b, a)\n")


@contextmanager
def competing_load(seconds: float) -> Iterator[None]:
    """One process spinning, one copying 64 MB arrays, each ending by itself after
    ``seconds`` at the latest, and killed when the block ends."""
    procs = [subprocess.Popen([sys.executable, "-c", code.format(s=seconds)])
             for code in (SPIN, STREAM)]
    try:
        yield
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


@dataclass
class Row:
    cell: str
    kind: str  # "model", "AI", "slow"
    threshold: float
    must_pass: bool
    ratios: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    wrong: int = 0
    reasons: list[str] = field(default_factory=list)
    untimed: str = ""

    def add(self, report: Any, seconds: float) -> None:
        self.seconds.append(seconds)
        if report.speedup is not None:
            self.ratios.append(report.speedup)
        elif not self.untimed:
            self.untimed = report.reason  # failed before any timing (a list, not an array)
        if report.passed != self.must_pass:
            self.wrong += 1
            self.reasons.append(report.reason)


def slow_variant(assignment: Assignment, exercise: Exercise, work: Path) -> Any:
    """The honest-but-slow candidate of ``exercise``, loaded as a learner's would be."""
    name = exercise.name
    if assignment.name == "01_vectorization":
        return ModuleCandidate(VARIANTS / "vectorization.py", name)
    if name == "mojo_sum_array":
        folder = work / "mojo_scalar"
        folder.mkdir(exist_ok=True)
        shutil.copy(VARIANTS / "mojo_scalar" / "sum_array.mojo", folder)
        shutil.copy(assignment.folder / "numpy_buffer.mojo", folder)
        return candidate_for(assignment, exercise, folder, folder / assignment.notebook)
    if assignment.name == "04_simd":
        source = SCALAR_KERNELS.read_text()
        return KernelCandidate(kernel_module([source], name), name, SCALAR_KERNELS.name)
    if assignment.name == "05_rust_clones":
        folder = work / "still_clones"
        if not folder.is_dir():
            shutil.copytree(assignment.folder, folder,
                            ignore=shutil.ignore_patterns("target", "solution_only"))
            for crate in GOLDEN_CRATES.glob("*.rs"):
                shutil.copy(crate, folder / "crates" / crate.stem / "src" / "lib.rs")
        return candidate_for(assignment, exercise, folder, folder / assignment.notebook)
    raise LookupError(f"no slow variant for {assignment.name}/{name}")


def ai_candidate(setup: Any) -> Any:
    """The AI baseline as a candidate; compiled alone when the test reuses inputs."""
    if setup.spec.reuse:
        return KernelCandidate.from_function(setup.baseline.load_here(), setup.exercise)
    return setup.baseline


def bench_cell(assignment: Assignment, exercise: Exercise, n: int,
               work: Path) -> list[Row]:
    setup = setup_for(assignment, exercise, None)
    model = candidate_for(assignment, exercise, assignment.folder,
                          assignment.folder / assignment.notebook)
    kinds: list[tuple[str, Callable[[], Any], bool]] = [
        ("model", lambda: model, True), ("AI", lambda: ai_candidate(setup), False),
        ("slow", lambda: slow_variant(assignment, exercise, work), False)]
    cell = f"{assignment.name}/{exercise.name}"
    rows = [Row(cell, kind, setup.spec.threshold, must_pass) for kind, _, must_pass in kinds]
    candidates = [make() for _, make, _ in kinds]
    for _ in tqdm(range(n), desc=f"{cell} (3 x {n} verdicts)", file=sys.stderr):
        for row, candidate in zip(rows, candidates, strict=True):  # interleaved in time
            start = time.monotonic()
            report = run_speed(setup, candidate, progress=False)
            row.add(report, time.monotonic() - start)
    return rows


def print_table(rows: list[Row], n: int) -> None:
    print(f"\nspeed verdicts under a competing load (one process spinning, one streaming "
          f"memory), {n} of each kind per cell\n")
    print(f"| {'speed cell':<28} | {'kind':<5} | {'threshold':>9} | {'false fails':>11} | "
          f"{'false passes':>12} | {'median':>7} | {'min-max':>13} | {'s/verdict':>9} |")
    print(f"|{'-' * 30}|{'-' * 7}|{'-' * 11}|{'-' * 13}|{'-' * 14}|{'-' * 9}|{'-' * 15}|"
          f"{'-' * 11}|")
    for r in rows:
        fails = f"{r.wrong}/{len(r.seconds)}" if r.must_pass else "-"
        passes = "-" if r.must_pass else f"{r.wrong}/{len(r.seconds)}"
        if r.ratios:
            median = f"{statistics.median(r.ratios):.2f}x"
            spread = f"{min(r.ratios):.2f}-{max(r.ratios):.2f}x"
        else:
            median, spread = "n/a", "n/a"
        print(f"| {r.cell:<28} | {r.kind:<5} | {r.threshold:>9g} | {fails:>11} | {passes:>12} |"
              f" {median:>7} | {spread:>13} | {statistics.mean(r.seconds):>9.1f} |")
    false_fails = sum(r.wrong for r in rows if r.must_pass)
    false_passes = sum(r.wrong for r in rows if not r.must_pass)
    verdicts = sum(len(r.seconds) for r in rows)
    print(f"\ntotal: {verdicts} verdicts, {false_fails} false fails, {false_passes} false "
          f"passes")
    for r in rows:
        if r.untimed:
            print(f"  n/a ({r.cell}, {r.kind}): {r.untimed}")
        for reason in r.reasons[:3]:
            print(f"  wrong ({r.cell}, {r.kind}): {reason}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="verdicts of each kind per cell")
    parser.add_argument("--only", help="an assignment (04_simd) or one cell (04_simd/dot)")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("-n must be at least 1")
    root = course_root()
    cells = [(a, e) for a in iter_assignments(root) for e in a.exercises
             if e.speed and args.only in (None, a.name, f"{a.name}/{e.name}")]
    if not cells:
        parser.error(f"no speed cell matches {args.only!r}")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="speed-verdicts-") as tmp, \
            competing_load(seconds=6 * 3600):
        for assignment, exercise in cells:
            work = Path(tmp) / assignment.name
            work.mkdir(exist_ok=True)
            done = bench_cell(assignment, exercise, args.n, work)
            rows += done
            for r in done:  # as it goes: a run cut short still shows what it measured
                print(f"{r.cell} {r.kind}: {r.wrong} wrong of {len(r.seconds)}, ratios "
                      f"{min(r.ratios, default=0):.2f}-{max(r.ratios, default=0):.2f}x",
                      file=sys.stderr, flush=True)
    print_table(rows, args.n)
    return 1 if any(r.wrong for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
