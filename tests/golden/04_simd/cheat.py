"""Cheats, each scoring 0 exactly where it cheats (graded as on a machine without Mojo).

* sum_array: the AI's scalar kernel behind a memo keyed on the array's size and ends. A
  benchmark that repeats one array would call it 1000x faster; the speed test gives every
  call a fresh input, so it fails, and a Python wrapper is no numba kernel, so the SIMD test
  fails too. The values are right.
* sum_positive: "NumPy is vectorized already": a NumPy one-liner instead of a kernel. The
  values are right; the SIMD test fails, since there is no kernel to compile.
* dot: the model's (full marks).
"""

import numba
import numpy as np


def sum_array(data, _memo={}):  # noqa: B006 - the memo is the cheat
    key = (data.size, data[:1].tobytes(), data[-1:].tobytes())
    if key not in _memo:
        _memo[key] = _scalar_sum(data)  # noqa: F821 - defined in EXTRA_CELLS
    return _memo[key]


@numba.njit(fastmath={"reassoc", "nsz", "contract"})
def dot(x, y):
    if x.shape[0] != y.shape[0]:
        raise ValueError("dot: x and y must have the same length")
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i] * y[i]
    return total


def sum_positive(data):
    return float(np.maximum(data, 0.0).sum())


# A cell the cheat adds after the setup cell: the AI's scalar kernel that the memo wraps.
EXTRA_CELLS = [
    "@numba.njit\n"
    "def _scalar_sum(values):\n"
    "    total = 0.0\n"
    "    for val in values:\n"
    "        total += val\n"
    "    return total\n",
]
