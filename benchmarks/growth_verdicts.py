"""How often is a growth verdict wrong on a busy machine? (run on demand, alone)

For every growth cell of every assignment in solutions/: measure the model solution (the
source notebook's functions) and the honest alternatives among the golden submissions N
times each (they must pass), and the golden cheats for that cell N times each (they must
fail), while a bounded
competing load keeps both cores busy: one process spinning on the CPU and one streaming
memory (benchmarks/speed_verdicts.py). Every verdict is the controller's own measurer,
`grader.growth.cells.growth_outputs`, on a notebook, as grading runs it.

    .venv/bin/python benchmarks/growth_verdicts.py            # 10 of each, every cell
    .venv/bin/python benchmarks/growth_verdicts.py -n 3 --only 08_scale/match_orders_growth
    .venv/bin/python benchmarks/growth_verdicts.py --quiet    # no competing load

Prints one row per cell and submission (false fails or false passes, the submission's slope:
median and range, the AI version's slope measured beside it in the same verdicts, the
machine's allowance, seconds per verdict) and exits 1 on any wrong verdict.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.growth.cells import candidate_of, growth_setup, run_growth
from grader.metadata import iter_assignments
from grader.paths import course_root

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from benchmarks.speed_verdicts import competing_load  # noqa: E402
from tests import conftest  # noqa: E402

# cell -> golden submissions (tests/golden/<assignment>/) that must fail it
CHEATS = {
    "match_orders_growth": ["quadratic", "sizes_cheat", "memo_cheat", "slow_linear"],
    "recent_orders_growth": ["no_index", "defeats_index"],
    "profile_cache_memory": ["unbounded_cache"],
}
# cell -> honest goldens that must pass it, besides the model
HONEST = {"match_orders_growth": ["sort_merge", "alternative"],
          "recent_orders_growth": ["index_then_sort", "alternative"],
          "profile_cache_memory": ["alternative"]}


@dataclass
class Row:
    cell: str
    who: str
    must_pass: bool
    slopes: list[float] = field(default_factory=list)
    ai_slopes: list[float] = field(default_factory=list)
    allowances: list[float] = field(default_factory=list)
    memory_slopes: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    wrong: int = 0
    reasons: list[str] = field(default_factory=list)

    def line(self) -> str:
        def span(values: list[float]) -> str:
            if not values:
                return "-"
            return (f"{statistics.median(values):.2f} ({min(values):.2f}-"
                    f"{max(values):.2f})")
        verdict = "false fails" if self.must_pass else "false passes"
        memory = f"memory slope {span(self.memory_slopes):<18} " if self.memory_slopes else ""
        return (f"{self.cell:<22} {self.who:<16} {verdict} {self.wrong}/{len(self.seconds)}  "
                f"slope {span(self.slopes):<18} AI {span(self.ai_slopes):<18} "
                f"allowance {span(self.allowances):<18} {memory}"
                f"{statistics.median(self.seconds or [0]):.1f} s each")


def notebook_for(assignment, who: str, folder: Path) -> Path:
    """The notebook a verdict is measured on: the model's source notebook, or the golden
    ``who`` built on the released exercise (tests/conftest.py)."""
    if who == "model":
        return assignment.folder / assignment.notebook
    root = course_root()
    return conftest.golden_notebook(root / "exercises" / assignment.name, assignment.folder,
                                    assignment.notebook, HERE.parent / "tests" / "golden" /
                                    assignment.name, who, folder / who)


def measure(assignment, exercise, row: Row, notebook: Path) -> None:
    setup = growth_setup(assignment, exercise)
    candidate = candidate_of(setup, notebook)
    start = time.monotonic()
    report = run_growth(setup, candidate)
    row.seconds.append(time.monotonic() - start)
    if report.slope is not None:
        row.slopes.append(report.slope)
    ai = report.curves["baseline"].fit
    if ai is not None:
        row.ai_slopes.append(ai.slope)
    row.allowances.append(report.allowance)
    if report.memory_slope is not None:
        row.memory_slopes.append(report.memory_slope)
    if report.passed != row.must_pass:
        row.wrong += 1
        row.reasons.append(report.reason)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10, help="verdicts of each kind (default 10)")
    parser.add_argument("--only", help="ASSIGNMENT/GRADE_ID, e.g. 08_scale/match_orders_growth")
    parser.add_argument("--quiet", action="store_true", help="no competing load")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for assignment in iter_assignments(course_root()):
            for exercise, kind, settings in assignment.measured():
                cell = str(settings["grade_id"])
                if kind != "growth" or (args.only and args.only != f"{assignment.name}/{cell}"):
                    continue
                plan = [("model", True)]
                plan += [(g, True) for g in HONEST.get(cell, [])]
                plan += [(g, False) for g in CHEATS.get(cell, [])]
                for who, must_pass in plan:
                    row = Row(cell, who, must_pass)
                    notebook = notebook_for(assignment, who, Path(tmp) / cell)
                    load = contextlib.nullcontext() if args.quiet else competing_load(3600)
                    with load:
                        for _ in range(args.n):
                            measure(assignment, exercise, row, notebook)
                    print(row.line(), flush=True)
                    for reason in row.reasons[:3]:
                        print("    wrong:", " ".join(reason.split())[:300])
                    rows.append(row)
    wrong = sum(r.wrong for r in rows)
    print(f"\n{sum(len(r.seconds) for r in rows)} verdicts, {wrong} wrong")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
