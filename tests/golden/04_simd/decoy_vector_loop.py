"""A SIMD decoy: each kernel's real work stays in a scalar loop, beside a small vectorized
loop over the first 64 elements whose result is thrown away (multiplied by 0.0).

The machine code then holds packed additions inside a loop (the decoy's), which is all the
old machine-code check asked for, while the loop that runs for every element adds one value
at a time (``vaddsd``: its early exit on NaN keeps it scalar). The values are right. The
SIMD cells measure throughput on cache-resident data against the scalar AI loop and fail;
so do the speed cells. The module-level code in EXTRA_CELLS replaces the grader's checks in
the learner's kernel (the SIMD report, assert_checks, the speed test): it changes nothing,
because these cells are decided by the sandboxed measurement, which compiles each kernel
alone from its own source.
"""

import numba
import numpy as np


@numba.njit(fastmath={"reassoc", "nsz"})
def sum_array(data):
    n = data.shape[0]
    decoy = 0.0
    for i in range(min(n, 64)):
        decoy += data[i]
    total = 0.0
    for i in range(n):
        if np.isnan(data[i]):
            return np.nan
        total += data[i]
    return total + decoy * 0.0


@numba.njit(fastmath={"reassoc", "nsz", "contract"})
def dot(x, y):
    if x.shape[0] != y.shape[0]:
        raise ValueError("dot: x and y must have the same length")
    n = x.shape[0]
    decoy = 0.0
    for i in range(min(n, 64)):
        decoy += x[i] * y[i]
    total = 0.0
    for i in range(n):
        if np.isnan(x[i]):
            return np.nan
        total += x[i] * y[i]
    return total + decoy * 0.0


@numba.njit(fastmath={"reassoc", "nsz"})
def sum_positive(data):
    n = data.shape[0]
    decoy = 0.0
    for i in range(min(n, 64)):
        decoy += max(data[i], 0.0)
    total = 0.0
    for i in range(n):
        x = data[i]
        if x != x:
            return x
        total += max(x, 0.0)
    return total + decoy * 0.0


# Cells the submission adds after the setup cell: they make every in-kernel check pass.
EXTRA_CELLS = [
    "import grader\n"
    "import grader.checking\n"
    "import grader.simd\n"
    "import grader.speed.simdcheck\n"
    "import grader.speedtest\n"
    "from grader.simd import SimdReport\n"
    "\n"
    "\n"
    "def _fake_report(*args, **kwargs):\n"
    "    return SimdReport(True, 'packed arithmetic found', packed={'vaddpd': 8})\n"
    "\n"
    "\n"
    "def _always_passes(*args, **kwargs):\n"
    "    return None\n"
    "\n"
    "\n"
    "grader.simd.simd_report_for = _fake_report\n"
    "grader.simd.simd_report = _fake_report\n"
    "grader.speed.simdcheck.check_in_kernel = _always_passes\n"
    "grader.speedtest.assert_speed = _always_passes\n"
    "grader.checking.assert_checks = _always_passes\n"
    "grader.assert_checks = _always_passes\n",
]
