"""Honest but scalar kernels for chapter 04: indexed loops, right answers, no fastmath, so
no SIMD. benchmarks/speed_verdicts.py compiles them alone (grader.speed.kernels), as the
grader does a learner's, and checks the speed test fails each."""

import numba


@numba.njit
def sum_array(data):
    total = 0.0
    for i in range(data.shape[0]):
        total += data[i]
    return total


@numba.njit
def sum_positive(data):
    total = 0.0
    for i in range(data.shape[0]):
        total += max(data[i], 0.0)  # branch-free, so ~2x the AI's loop, but one lane
    return total
