"""Correct, written differently from the model solution: full marks expected.

* sum_array: a `while` loop with an explicit index and "contract" allowed too;
* dot: the length check through `len`, and no FMA ("reassoc" and "nsz" only);
* sum_positive: the condition as arithmetic, `x * (x > 0.0)` (NaN * 0.0 is NaN);
* sum_array.mojo (alternative.mojo): one SIMD accumulator, `range` loops, the tail after.
"""

import numba
import numpy as np


@numba.njit(fastmath={"reassoc", "nsz", "contract"})
def sum_array(data):
    n = len(data)
    total = 0.0
    i = 0
    while i < n:
        total += data[i]
        i += 1
    return total


@numba.njit(fastmath={"reassoc", "nsz"})
def dot(x, y):
    if len(x) != len(y):
        raise ValueError("x and y differ in length")
    total = 0.0
    for i in range(len(x)):
        total += x[i] * y[i]
    return total


@numba.njit(fastmath={"reassoc", "nsz"})
def sum_positive(data):
    total = np.float64(0.0)
    for i in range(data.size):
        x = data[i]
        total += x * (x > 0.0)
    return total
