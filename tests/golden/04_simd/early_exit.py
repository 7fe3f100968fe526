"""Kernels that check for NaN inside the loop and return early, with the article's Mojo code
pasted as is.

numba: the values are right (NaN gives NaN), but a loop that may leave in the middle cannot
be split into SIMD lanes: the SIMD cells fail saying the loop stayed scalar because of an
early exit, and the speed cells fail. dot is the model's (full marks).
Mojo (early_exit.mojo): the article's code verbatim; Mojo 1.2 rejects it ('fn' has been
removed, DTypePointer, math.simd_width), so both Mojo cells score 0 with Mojo's message.
"""

import numba
import numpy as np


@numba.njit(fastmath={"reassoc", "nsz"})
def sum_array(data):
    total = 0.0
    for i in range(data.shape[0]):
        if np.isnan(data[i]):
            return np.nan
        total += data[i]
    return total


@numba.njit(fastmath={"reassoc", "nsz", "contract"})
def dot(x, y):
    if x.shape[0] != y.shape[0]:
        raise ValueError("dot: x and y must have the same length")
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i] * y[i]
    return total


@numba.njit(fastmath={"reassoc", "nsz"})
def sum_positive(data):
    total = 0.0
    for i in range(data.shape[0]):
        x = data[i]
        if x != x:
            return x
        total += max(x, 0.0)
    return total
