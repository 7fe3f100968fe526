"""Chapter 03's tests of tests: each golden tests cell graded by mutation, with its time.

    .venv/bin/python benchmarks/mutation_scores.py [--runs 1]

Prints a Markdown table: the share of mutants each suite catches (generated and hidden),
the cells it passes, and the wall time of the whole grading (a fresh sandbox per run of the
suite, two at a time: grader/mutation/engine.py). Run it alone: the time is what one
learner's grading costs on this machine, the issue's budget is 30 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.mutation.grading import grade_cell_source, thresholds  # noqa: E402
from tests.test_silent_logic_mutation import BENCH_ONLY, EXPECTED, SETTINGS, SOURCE, _source  # noqa: E402

ORDER = ["model", "alternative", "properties", "partial", "snapshot", "nothing", "failing"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="gradings per suite (best time)")
    args = parser.parse_args()
    print("| tests cell | tests | caught (shown + hidden) | share | cells passed | seconds |")
    print("|---|---|---|---|---|---|")
    for golden in [g for g in ORDER if g in EXPECTED or g in BENCH_ONLY]:
        times, report = [], None
        for _ in range(max(1, args.runs)):
            start = time.monotonic()
            report = grade_cell_source(SOURCE, SETTINGS, _source(golden))
            times.append(time.monotonic() - start)
        assert report is not None
        shown, hidden = report.counts(hidden=False), report.counts(hidden=True)
        passed = [g.removeprefix("pricing_tests_") for g, share in thresholds(SETTINGS).items()
                  if report.verdict(share)[0]]
        caught = (f"{shown[0]}/{shown[1]} + {hidden[0]}/{hidden[1]}" if not report.problem
                  else f"0 ({report.problem[:60]}…)")
        print(f"| {golden} | {len(report.tests)} | {caught} | {100 * report.score:.0f} % | "
              f"{', '.join(passed) or 'none'} | {min(times):.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
