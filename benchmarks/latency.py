"""How long a learner waits (run on demand, alone): median of 5, printed as a table.

* ``check("normalize", speed=False)``: the public correctness tests in a live kernel, after
  the first call (which pays the imports); goal under 1 s;
* ``check("normalize")``: the same plus its speed test (workers, batches); goal under 5 s;
* ``python -m grader grade 01_vectorization <notebook>``: one notebook graded by nbgrader
  in a fresh process, the cached release and gradebook reused; goal under 6 s.

Each measurement runs in a fresh interpreter, as a kernel or a terminal would.

    .venv/bin/python benchmarks/latency.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "01_vectorization" / "vectorization.ipynb"
RUNS = 5

# Runs in a fresh interpreter: define the model normalize, call check once (imports), then
# time RUNS more calls of each kind and print the seconds as JSON.
KERNEL = """
import json, sys, time
import numpy as np
from grader.checking import check
from grader.speed.candidates import notebook_code_cells
namespace = {"np": np}
for _, source in notebook_code_cells(__import__("pathlib").Path(sys.argv[1])):
    if "def normalize" in source:
        exec(source, namespace)
normalize = namespace["normalize"]
check("normalize", normalize, speed=False)
out = {"quick": [], "speed": []}
for _ in range(int(sys.argv[2])):
    start = time.perf_counter(); report = check("normalize", normalize, speed=False)
    out["quick"].append(time.perf_counter() - start); assert report.all_passed, report
for _ in range(int(sys.argv[2])):
    start = time.perf_counter(); report = check("normalize", normalize)
    out["speed"].append(time.perf_counter() - start); assert report.all_passed, report
print("LATENCY " + json.dumps(out))
"""


def kernel_checks() -> dict[str, list[float]]:
    ran = subprocess.run([sys.executable, "-c", KERNEL, str(SOLUTION), str(RUNS)],
                         capture_output=True, text=True, cwd=ROOT)
    if ran.returncode:
        raise SystemExit(f"the check() run failed:\n{ran.stdout[-2000:]}{ran.stderr[-2000:]}")
    line = next(x for x in ran.stdout.splitlines() if x.startswith("LATENCY "))
    return json.loads(line.removeprefix("LATENCY "))


def grade_runs() -> list[float]:
    command = [sys.executable, "-m", "grader", "grade", "01_vectorization", str(SOLUTION)]
    subprocess.run(command, capture_output=True, cwd=ROOT, check=True)  # fills the cache
    seconds = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, cwd=ROOT, check=True)
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> int:
    checks = kernel_checks()
    rows = [("check('normalize', speed=False), after the first", checks["quick"], 1.0),
            ("check('normalize') with its speed test", checks["speed"], 5.0),
            ("python -m grader grade 01_vectorization", grade_runs(), 6.0)]
    print(f"\n| {'what a learner waits for':<50} | {'median s':>8} | {'min-max s':>11} | "
          f"{'goal':>6} |")
    print(f"|{'-' * 52}|{'-' * 10}|{'-' * 13}|{'-' * 8}|")
    missed = 0
    for label, values, goal in rows:
        median = statistics.median(values)
        missed += median >= goal
        print(f"| {label:<50} | {median:>8.2f} | {min(values):>5.2f}-{max(values):<5.2f} | "
              f"< {goal:g} s{'' if median < goal else ' MISSED'} |")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
