"""Where do chapter 04's SIMD and bandwidth cells sit? (run on demand, alone)

For every ``simd`` and ``bandwidth`` table of solutions/04_simd/assignment.toml, measure
kernels the way grading measures them (grader/speed/simdcheck.py: each kernel compiled alone
from its source, timed by the speed engine against the yardstick of speed.py) N times, with
an optional competing load (one process spinning, one streaming memory, as in
benchmarks/speed_verdicts.py):

* simd: the throughput ratio against the scalar baseline, and whether packed adds sit in a
  loop of the machine code, for the model solution, the AI loop, a plain indexed loop
  without fastmath (tests/golden/04_simd/scalar_and_article_tail.py), the alternative
  golden, the decoy (a scalar hot loop beside a small vectorized loop,
  tests/golden/04_simd/decoy_vector_loop.py) and ``for x in data`` with fastmath;
* bandwidth: the read rate as a fraction of the copy's, for the model, the AI loop, the
  plain indexed loop and a kernel that copies its input first.

    .venv/bin/python benchmarks/simd_verdicts.py -n 5            # everything
    .venv/bin/python benchmarks/simd_verdicts.py -n 3 --only sum_array --kind simd --load

Prints one row per cell and variant: the verdict's median and min-max over the N runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from grader.metadata import load_assignment
from grader.speed.kernels import KernelCandidate, kernel_module
from grader.speed.simdcheck import (
    bandwidth_fractions,
    bandwidth_report,
    packed_adds_in_loops,
    simd_throughput,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SOURCE = ROOT / "solutions" / "04_simd"
GOLDEN = ROOT / "tests" / "golden" / "04_simd"

ITER_FASTMATH = """
import numba


@numba.njit(fastmath={"reassoc", "nsz"})
def sum_array(data):
    total = 0.0
    for x in data:
        total += x
    return total


@numba.njit(fastmath={"reassoc", "nsz"})
def sum_positive(data):
    total = 0.0
    for x in data:
        total += max(x, 0.0)
    return total
"""

UNROLLED_SCALAR = """
import numba


@numba.njit
def sum_array(data):
    n = data.shape[0]
    a = b = c = d = 0.0
    i = 0
    while i + 4 <= n:
        a += data[i]
        b += data[i + 1]
        c += data[i + 2]
        d += data[i + 3]
        i += 4
    while i < n:
        a += data[i]
        i += 1
    return (a + b) + (c + d)
"""

UNROLLED_SCALAR_8 = """
import numba


@numba.njit
def sum_array(data):
    n = data.shape[0]
    a = b = c = d = e = f = g = h = 0.0
    i = 0
    while i + 8 <= n:
        a += data[i]
        b += data[i + 1]
        c += data[i + 2]
        d += data[i + 3]
        e += data[i + 4]
        f += data[i + 5]
        g += data[i + 6]
        h += data[i + 7]
        i += 8
    while i < n:
        a += data[i]
        i += 1
    return ((a + b) + (c + d)) + ((e + f) + (g + h))
"""

COPY_FIRST = """
import numba


@numba.njit(fastmath={"reassoc", "nsz"})
def sum_array(data):
    values = data.copy()
    total = 0.0
    for i in range(values.shape[0]):
        total += values[i]
    return total
"""


def from_source(source: str, name: str, origin: str) -> KernelCandidate:
    return KernelCandidate(kernel_module([source], name, origin=origin), name, origin)


def variants(name: str, kind: str) -> dict[str, KernelCandidate]:
    speed_py = (SOURCE / "speed.py").read_text()
    found = {
        "model": KernelCandidate.from_notebook(SOURCE / "simd.ipynb", name),
        "AI": KernelCandidate(kernel_module([speed_py], f"ai_{name}", origin="speed.py",
                                            alias=name), name, "speed.py"),
        "scalar": from_source((GOLDEN / "scalar_and_article_tail.py").read_text(), name,
                              "scalar_and_article_tail.py"),
    }
    if kind == "simd":
        found["alternative"] = from_source((GOLDEN / "alternative.py").read_text(), name,
                                           "alternative.py")
        found["decoy"] = from_source((GOLDEN / "decoy_vector_loop.py").read_text(), name,
                                     "decoy_vector_loop.py")
        if name != "dot":
            found["for x in data"] = from_source(ITER_FASTMATH, name, "iter")
        if name == "sum_array":
            found["unrolled scalar"] = from_source(UNROLLED_SCALAR, name, "unrolled")
            found["unrolled x8"] = from_source(UNROLLED_SCALAR_8, name, "unrolled8")
    elif name == "sum_array":
        found["copy first"] = from_source(COPY_FIRST, name, "copy_first")
    return found


def in_loops(name: str, kernel: KernelCandidate, factory: str) -> str:
    from grader.simd import simd_report_for
    from grader.speed import ModuleCandidate

    report = simd_report_for(kernel, name, ModuleCandidate(SOURCE / "speed.py", factory))
    streaming, one_by_one = packed_adds_in_loops(report.asm)
    text = ", ".join(f"{op} x{n}" for op, n in sorted(streaming.items())) or "none"
    if one_by_one:
        text += " (one-element loads: " + ", ".join(
            f"{op} x{n}" for op, n in sorted(one_by_one.items())) + ")"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="measurements of each variant")
    parser.add_argument("--only", help="one exercise (sum_array, dot, sum_positive)")
    parser.add_argument("--kind", choices=("simd", "bandwidth"), help="one cell kind")
    parser.add_argument("--load", action="store_true", help="a competing load beside")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a setting of the table (e.g. size=4096)")
    args = parser.parse_args()
    assignment = load_assignment(SOURCE)
    overrides = {k: eval(v, {}) for k, v in (s.split("=", 1) for s in args.set)}  # noqa: S307
    rows: list[tuple[str, str, str, list[float], str, float]] = []
    from contextlib import nullcontext

    from speed_verdicts import competing_load

    with competing_load(6 * 3600) if args.load else nullcontext():
        for exercise in assignment.exercises:
            for kind in ("simd", "bandwidth"):
                settings = exercise.settings(kind) | overrides
                if not settings.get("grade_id") or args.kind not in (None, kind) or \
                        args.only not in (None, exercise.name):
                    continue
                cell = f"{exercise.name} {kind}"
                found = variants(exercise.name, kind)
                loops = {v: in_loops(exercise.name, k, f"make_{exercise.name}")
                         for v, k in found.items()} if kind == "simd" else {}
                values: dict[str, list[float]] = {v: [] for v in found}
                seconds: dict[str, list[float]] = {v: [] for v in found}
                notes: dict[str, str] = {}
                for _ in range(args.n):
                    for variant, kernel in found.items():  # interleaved in time
                        start = time.monotonic()
                        if kind == "simd":
                            report = simd_throughput(SOURCE, exercise.name, settings, kernel)
                            got = [report.speedup] if report.speedup is not None else []
                        else:
                            report = bandwidth_report(SOURCE, exercise.name, settings, kernel)
                            got = ([statistics.median(bandwidth_fractions(report))]
                                   if report.passed else [])
                        seconds[variant].append(time.monotonic() - start)
                        values[variant] += got
                        if not got:
                            notes[variant] = report.reason
                        print(f"{cell} {variant}: {got}", file=sys.stderr, flush=True)
                for variant in found:
                    rows.append((cell, variant, loops.get(variant, ""), values[variant],
                                 notes.get(variant, ""), statistics.mean(seconds[variant])))
    print(f"\n{args.n} measurements of each; load: {'yes' if args.load else 'no'}; "
          f"overrides: {overrides or 'none'}\n")
    print(f"| {'cell':<22} | {'variant':<16} | {'median':>7} | {'min-max':>13} | {'s':>5} | "
          "packed adds in loops |")
    for cell, variant, loops_text, got, note, secs in rows:
        if got:
            median = f"{statistics.median(got):.2f}"
            spread = f"{min(got):.2f}-{max(got):.2f}"
        else:
            median, spread = "n/a", note[:40]
        print(f"| {cell:<22} | {variant:<16} | {median:>7} | {spread:>13} | {secs:5.1f} | "
              f"{loops_text} |")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(main())
