"""A SIMD cheat that is fast without SIMD: each kernel's real work is a scalar loop unrolled by
hand into four independent accumulators (instruction-level parallelism: 2-3x the AI loop's
single chain, near the SIMD cells' throughput floor), beside a small vectorized loop over the
first 64 elements whose result is thrown away, so packed additions sit in a loop.

Values are right, so the value cells pass. The SIMD cells fail before any timing: a loop adds
in four separate scalar chains (grader/speed/simdcheck.py ``scalar_chains``).
"""

import numba
import numpy as np


@numba.njit(fastmath={"reassoc", "nsz"})
def sum_array(data):
    n = data.shape[0]
    decoy = 0.0
    for i in range(min(n, 64)):
        decoy += data[i]
    a0 = a1 = a2 = a3 = 0.0
    m = n - n % 4
    for i in range(0, m, 4):
        if data[i] != data[i]:
            return np.nan
        a0 += data[i]
        a1 += data[i + 1]
        a2 += data[i + 2]
        a3 += data[i + 3]
    for i in range(m, n):
        a0 += data[i]
    return (a0 + a1) + (a2 + a3) + decoy * 0.0


@numba.njit(fastmath={"reassoc", "nsz", "contract"})
def dot(x, y):
    if x.shape[0] != y.shape[0]:
        raise ValueError("dot: x and y must have the same length")
    n = x.shape[0]
    decoy = 0.0
    for i in range(min(n, 64)):
        decoy += x[i] * y[i]
    a0 = a1 = a2 = a3 = 0.0
    m = n - n % 4
    for i in range(0, m, 4):
        if x[i] != x[i]:
            return np.nan
        a0 += x[i] * y[i]
        a1 += x[i + 1] * y[i + 1]
        a2 += x[i + 2] * y[i + 2]
        a3 += x[i + 3] * y[i + 3]
    for i in range(m, n):
        a0 += x[i] * y[i]
    return (a0 + a1) + (a2 + a3) + decoy * 0.0


@numba.njit(fastmath={"reassoc", "nsz"})
def sum_positive(data):
    n = data.shape[0]
    decoy = 0.0
    for i in range(min(n, 64)):
        decoy += max(data[i], 0.0)
    a0 = a1 = a2 = a3 = 0.0
    m = n - n % 4
    for i in range(0, m, 4):
        if data[i] != data[i]:
            return data[i]
        a0 += max(data[i], 0.0)
        a1 += max(data[i + 1], 0.0)
        a2 += max(data[i + 2], 0.0)
        a3 += max(data[i + 3], 0.0)
    for i in range(m, n):
        a0 += max(data[i], 0.0)
    return (a0 + a1) + (a2 + a3) + decoy * 0.0
