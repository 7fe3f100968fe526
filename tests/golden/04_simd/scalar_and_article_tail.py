"""The AI's loops as they were (plain @numba.njit, no fastmath) with the article's Mojo port.

numba: values correct, but no packed additions in the machine code (the SIMD cells fail
saying "no packed arithmetic instructions found") and no speedup over the AI (speed fails).
Mojo (scalar_and_article_tail.mojo): the article's loop ported to Mojo 1.2 line by line,
`range(0, n - width, width)` included: it compiles and drops the tail (values and speed 0).
Partial marks expected.
"""

import numba


@numba.njit
def sum_array(data):
    total = 0.0
    for i in range(data.shape[0]):
        total += data[i]
    return total


@numba.njit
def dot(x, y):
    if x.shape[0] != y.shape[0]:
        raise ValueError("dot: x and y must have the same length")
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i] * y[i]
    return total


@numba.njit
def sum_positive(data):
    total = 0.0
    for i in range(data.shape[0]):
        total += max(data[i], 0.0)
    return total
